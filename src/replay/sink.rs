//! Where `replay` hands its records: stdout in a format, Redis as re-sent
//! notifications, or another topic as copies. Each sink says which records
//! it has confirmed (flushed, published, acknowledged), so that a group
//! commits nothing past the first unconfirmed record.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::Result;
use rdkafka::message::Message;
use tokio::runtime::Handle;

use crate::config::{Common, ReplayConfig, ReplaySink};
use crate::error;
use crate::event::{ChannelTemplate, Event, Notification};
use crate::kafka::produce::{Delivery, Outcome, Record, Refused, Sender};
use crate::kafka::read::Confirmed;
use crate::kafka::{admin, config as kafka_config, record};
use crate::output::records::RecordPrinter;
use crate::output::summary::Note;
use crate::output::{Data, Output};
use crate::pubsub::{Mode, Notifier, Outbound};
use crate::shutdown::Shutdown;

/// Where records go: stdout in a format, Redis as notifications, or another topic.
// One per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Sink<'a> {
    Stdout {
        data: Data,
        printer: RecordPrinter,
        /// Records written since the last flush.
        unflushed: usize,
    },
    Redis {
        handle: Handle,
        notifier: Notifier,
        channel: &'a ChannelTemplate,
        /// Notifications handed over per call: one when paced.
        per_send: usize,
        batch: Vec<Outbound>,
        /// Coordinates of the notifications handed over and not yet known
        /// published, in hand-over order (which is publish order).
        waiting: VecDeque<(i32, i64)>,
        /// How many the notifier had published at the last look.
        seen_notified: u64,
        /// How many were handed over in all.
        handed: u64,
        unroutable: u64,
        timeout: Duration,
    },
    Topic {
        handle: Handle,
        sender: Sender<(i32, i64)>,
        topic: &'a str,
        brokers: &'a str,
    },
}

/// Notifications per Redis pipeline when not paced.
const REDIS_BATCH: usize = 500;

impl<'a> Sink<'a> {
    pub(super) fn open(
        cfg: &'a ReplayConfig,
        common: &'a Common,
        out: &Output,
        handle: Handle,
    ) -> Result<Sink<'a>> {
        Ok(match &cfg.sink {
            ReplaySink::Stdout(format) => Sink::Stdout {
                data: out.data(cfg.stop.follow),
                printer: RecordPrinter::new(*format),
                unflushed: 0,
            },
            ReplaySink::Redis { channel, rate } => {
                let target = common
                    .redis
                    .as_ref()
                    .ok_or_else(|| error::usage("--to-redis needs Redis: not with --redis off"))?;
                let notifier = {
                    let _entered = handle.enter();
                    Notifier::spawn(target, Mode::Required, *rate, out.warner())
                };
                Sink::Redis {
                    handle,
                    notifier,
                    channel,
                    per_send: if rate.is_some() { 1 } else { REDIS_BATCH },
                    batch: Vec::new(),
                    waiting: VecDeque::new(),
                    seen_notified: 0,
                    handed: 0,
                    unroutable: 0,
                    timeout: cfg.timeout,
                }
            }
            ReplaySink::Topic(topic) => {
                // --compression is the copy producer's alone (the reading consumer has no codec).
                let mut settings = common.kafka.clone();
                if let Some(codec) = cfg.compression {
                    settings
                        .properties
                        .push(("compression.codec".to_string(), codec.codec().to_string()));
                }
                let producer =
                    kafka_config::producer(&settings, cfg.timeout, cfg.max_in_flight, false)?;
                admin::producer_topic(&producer, &common.kafka.brokers, topic, cfg.timeout)?;
                Sink::Topic {
                    handle,
                    sender: Sender::new(producer, topic, cfg.max_in_flight, cfg.timeout),
                    topic,
                    brokers: &common.kafka.brokers,
                }
            }
        })
    }

    /// Nothing is waiting to be read: make output visible (live stdout),
    /// and learn what the sink has confirmed.
    pub(super) fn idle(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        match self {
            Sink::Stdout {
                data, unflushed, ..
            } => {
                data.idle()?;
                if *unflushed > 0 && confirmed.is_tracking() {
                    data.finish()?;
                    *unflushed = 0;
                    confirmed.confirm_all();
                }
            }
            Sink::Redis {
                handle,
                notifier,
                batch,
                waiting,
                seen_notified,
                handed,
                ..
            } => {
                // Nothing else is coming right now: send what is batched
                // (--follow on a quiet topic).
                send_notes(handle, notifier, batch, handed, confirmed)?;
                confirm_published(notifier, waiting, seen_notified, confirmed);
            }
            Sink::Topic { sender, topic, .. } => {
                while let Some(d) = sender.next_ready() {
                    confirm_delivered(d, confirmed, topic)?;
                }
                if let Some(why) = sender.stalled() {
                    return Err(error::kafka(format!("kafka: copying to {topic}: {why}")));
                }
            }
        }
        Ok(())
    }

    pub(super) fn needs_event(&self) -> bool {
        matches!(self, Sink::Redis { .. })
    }

    pub(super) fn take<M: Message>(
        &mut self,
        m: &M,
        event: Option<&Event>,
        confirmed: &mut Confirmed,
    ) -> Result<()> {
        let (p, offset) = (m.partition(), m.offset());
        match self {
            Sink::Stdout {
                data,
                printer,
                unflushed,
            } => {
                printer.print(data, m)?;
                confirmed.handed(p, offset);
                *unflushed += 1;
                // A group commits only what was flushed: flush often enough
                // that commits keep up.
                if *unflushed >= FLUSH_EVERY && confirmed.is_tracking() {
                    data.finish()?;
                    *unflushed = 0;
                    confirmed.confirm_all();
                }
                Ok(())
            }
            Sink::Redis {
                handle,
                notifier,
                channel,
                per_send,
                batch,
                waiting,
                seen_notified,
                handed,
                unroutable,
                ..
            } => {
                let Some(event) = event else {
                    *unroutable += 1;
                    confirmed.skipped(p, offset);
                    return Ok(());
                };
                let note = Notification {
                    id: &event.id,
                    kind: &event.kind,
                    source_id: &event.source_id,
                    topic: m.topic(),
                    partition: p,
                    offset,
                };
                batch.push((channel.render(event, m.topic()), note.to_json()));
                confirmed.handed(p, offset);
                waiting.push_back((p, offset));
                if batch.len() >= *per_send {
                    send_notes(handle, notifier, batch, handed, confirmed)?;
                }
                confirm_published(notifier, waiting, seen_notified, confirmed);
                Ok(())
            }
            Sink::Topic {
                handle,
                sender,
                topic,
                ..
            } => {
                let record = Record {
                    key: m.key(),
                    payload: m.payload(),
                    headers: m.headers().map(record::owned_headers),
                    timestamp: m.timestamp().to_millis(),
                };
                confirmed.handed(p, offset);
                match handle.block_on(sender.send(record, (p, offset))) {
                    Ok(()) => {}
                    Err(Refused::StayedFull(_, why)) | Err(Refused::Rejected(_, why)) => {
                        return Err(error::kafka(format!("kafka: copying to {topic}: {why}")))
                    }
                }
                while let Some(d) = sender.next_ready() {
                    confirm_delivered(d, confirmed, topic)?;
                }
                Ok(())
            }
        }
    }

    /// Flush what is buffered and account for it: how many were sent, and
    /// notes for after the summary. Confirms what reached the sink.
    pub(super) fn finish(
        self,
        confirmed: &mut Confirmed,
        shutdown: &Shutdown,
    ) -> Result<(u64, Vec<Note>)> {
        match self {
            Sink::Stdout { mut data, .. } => {
                data.finish()?;
                confirmed.confirm_all();
                Ok((0, Vec::new()))
            }
            Sink::Redis {
                handle,
                mut notifier,
                batch,
                mut waiting,
                seen_notified,
                unroutable,
                timeout,
                ..
            } => {
                if notifier.failure().is_none() {
                    handle.block_on(notifier.send(batch));
                }
                let stats = handle.block_on(notifier.finish(timeout));
                let published = stats.notified.saturating_sub(seen_notified);
                for _ in 0..published {
                    if let Some((p, offset)) = waiting.pop_front() {
                        confirmed.confirm(p, offset);
                    }
                }
                if let Some(e) = stats.error() {
                    return Err(e);
                }
                let mut notes = Vec::new();
                if unroutable > 0 {
                    notes.push(Note::Warn(format!(
                        "{unroutable} records had no id/type/source_type (headers or fields) and were not notified"
                    )));
                }
                Ok((stats.notified, notes))
            }
            Sink::Topic {
                handle,
                mut sender,
                topic,
                brokers,
            } => {
                let mut reports = Vec::new();
                // A second Ctrl-C stops waiting for the copies in flight.
                handle.block_on(sender.drain(shutdown.pressed(2), |d| reports.push(d)));
                for d in reports {
                    // Failures are counted by the ledger and reported below.
                    let _ = confirm_delivered(d, confirmed, topic);
                }
                let l = &sender.ledger;
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
    }
}

/// Hand the batched notifications to the notifier. A group member then
/// hands on nothing more until Redis took them: at a rebalance everything
/// handed is confirmed and committed, and the next member starts right after
/// it (no notification twice). Fails on the notifier's first failure.
fn send_notes(
    handle: &Handle,
    notifier: &mut Notifier,
    batch: &mut Vec<Outbound>,
    handed: &mut u64,
    confirmed: &Confirmed,
) -> Result<()> {
    if !batch.is_empty() && notifier.failure().is_none() {
        *handed += batch.len() as u64;
        handle.block_on(notifier.send(std::mem::take(batch)));
        if confirmed.is_tracking() {
            handle.block_on(notifier.published(*handed));
        }
    }
    match notifier.error() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Records written to stdout between flushes when a group commits.
const FLUSH_EVERY: usize = 1000;

/// Confirm the notifications Redis has published since the last look: the
/// notifier publishes in hand-over order and nothing after a failure.
fn confirm_published(
    notifier: &Notifier,
    waiting: &mut VecDeque<(i32, i64)>,
    seen: &mut u64,
    confirmed: &mut Confirmed,
) {
    let now = notifier.notified();
    for _ in *seen..now {
        if let Some((p, offset)) = waiting.pop_front() {
            confirmed.confirm(p, offset);
        }
    }
    *seen = now;
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
        Outcome::Failed { .. } => Ok(()),
    }
}
