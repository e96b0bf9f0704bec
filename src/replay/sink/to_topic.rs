//! `replay --to-topic`: each record copied to another topic (key, value,
//! headers, timestamp). A record is confirmed once Kafka acknowledged its
//! copy.

use std::time::Duration;

use crate::kafka::Message;
use anyhow::Result;

use super::RecordSink;
use crate::config::CopyTo;
use crate::error;
use crate::event::Event;
use crate::kafka::produce::{Delivery, Outcome, Record, Refused, Sender};
use crate::kafka::read::Confirmed;
use crate::kafka::{self, admin};
use crate::output::summary::Note;
use crate::replay::bridge::Bridge;
use crate::shutdown::Shutdown;

/// Another topic, as copies.
pub(in crate::replay) struct TopicSink<'a> {
    bridge: Bridge,
    sender: Sender<(i32, i64)>,
    topic: &'a str,
    brokers: &'a str,
}

impl<'a> TopicSink<'a> {
    /// The copy producer, once the topic is known to be there.
    pub(in crate::replay) fn open(
        copy: &'a CopyTo,
        timeout: Duration,
        bridge: Bridge,
    ) -> Result<TopicSink<'a>> {
        let (topic, brokers) = (copy.topic.as_str(), copy.producer.effective());
        let producer = kafka::config::producer(&copy.producer, timeout, copy.max_in_flight, false)?;
        admin::producer_topic(&producer, &copy.producer, topic, timeout)?;
        Ok(TopicSink {
            bridge,
            sender: Sender::new(producer, topic, copy.max_in_flight, timeout),
            topic,
            brokers,
        })
    }

    /// Confirm the copies whose delivery reports came.
    fn confirm_ready(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        while let Some(d) = self.sender.next_ready() {
            confirm_delivered(d, confirmed, self.topic)?;
        }
        Ok(())
    }
}

impl RecordSink for TopicSink<'_> {
    fn take<M: Message>(
        &mut self,
        m: &M,
        _event: Option<&Event>,
        confirmed: &mut Confirmed,
    ) -> Result<()> {
        let (p, offset) = (m.partition(), m.offset());
        let record = Record::copy_of(m);
        confirmed.handed(p, offset);
        match self.bridge.wait(self.sender.send(record, (p, offset))) {
            Ok(()) => {}
            Err(Refused::StayedFull(_, why))
            | Err(Refused::Rejected(_, why))
            | Err(Refused::TooLarge(_, why)) => {
                return Err(error::kafka(format!(
                    "kafka: copying to {}: {why}",
                    self.topic
                )))
            }
        }
        self.confirm_ready(confirmed)
    }

    fn idle(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        self.confirm_ready(confirmed)?;
        if let Some(why) = self.sender.stalled() {
            return Err(error::kafka(format!(
                "kafka: copying to {}: {why}",
                self.topic
            )));
        }
        Ok(())
    }

    fn finish(
        mut self,
        confirmed: &mut Confirmed,
        shutdown: &Shutdown,
    ) -> Result<(u64, Vec<Note>)> {
        let (topic, brokers) = (self.topic, self.brokers);
        let mut reports = Vec::new();
        // A second Ctrl-C stops waiting for the copies in flight.
        self.bridge
            .wait(self.sender.drain(shutdown.pressed(2), |d| reports.push(d)));
        for d in reports {
            // Failures are counted by the ledger and reported below.
            let _ = confirm_delivered(d, confirmed, topic);
        }
        let l = &self.sender.ledger;
        if l.not_acknowledged() > 0 {
            let why = l
                .fatal
                .clone()
                .or_else(|| l.failures.keys().next().cloned())
                .unwrap_or_else(|| "no delivery report in time".to_string());
            return Err(error::kafka(format!(
                "kafka: {} of {} copies to {topic} at {brokers} not acknowledged ({why}); {} acknowledged",
                l.not_acknowledged(),
                l.not_acknowledged() + l.acknowledged,
                l.acknowledged
            )));
        }
        Ok((l.acknowledged, Vec::new()))
    }
}

/// Confirm a copy Kafka acknowledged. A failure that will hit every
/// following copy too (broker or topic gone, producer fenced) stops the
/// run; others are counted by the ledger and reported at the end.
fn confirm_delivered(
    d: Delivery<(i32, i64)>,
    confirmed: &mut Confirmed,
    topic: &str,
) -> Result<()> {
    match d.outcome {
        Outcome::Acked { .. } => {
            let (p, offset) = d.tag;
            confirmed.confirm(p, offset);
            Ok(())
        }
        Outcome::Failed {
            reason,
            stops_run: true,
        } => Err(error::kafka(format!("kafka: copying to {topic}: {reason}"))),
        // Not asked for: this sender counts a record too large as failed.
        Outcome::Failed { .. } | Outcome::TooLarge { .. } => Ok(()),
    }
}
