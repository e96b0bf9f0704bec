//! The Kafka side of `tail`: reading the `--catch-up` window into the
//! notifications publish sent (or would have sent) for it, the end offsets
//! that make the seam with the live stream exact, and `--fetch`, which reads
//! the full event a notification points at.
//!
//! The seam: tail subscribes first, then takes the end offsets E of every
//! partition, reads Kafka from the window's start up to E, and only then
//! prints what Redis delivered meanwhile, skipping notifications whose offset
//! is below E (Kafka already printed them). An event acknowledged before E was
//! taken is below E; one acknowledged after is at or above E and its
//! notification was published after the subscription, so it is live. No gap,
//! no duplicate.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Result;
use rdkafka::consumer::Consumer as _;
use rdkafka::message::Message;
use tokio::sync::{mpsc, oneshot};

use crate::config::Start;
use crate::error;
use crate::event::{ChannelTemplate, Notification};
use crate::kafka::{self, Flow, KafkaSettings, Polled, Span};
use crate::tail::{Incoming, Subscriptions};

/// How long Kafka may take to answer during catch-up and fetches.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(30);

/// The end offsets taken right after subscribing: the seam.
#[derive(Debug, Default)]
pub struct Seam {
    pub topic: String,
    pub ends: HashMap<i32, i64>,
    /// Records in the window that carried no routable id/type/source.
    pub unroutable: u64,
}

impl Seam {
    /// Was this live notification already printed from Kafka?
    pub fn covers(&self, payload: &[u8]) -> bool {
        let Some((topic, partition, offset)) = coordinates(payload) else {
            return false;
        };
        topic == self.topic && self.ends.get(&partition).is_some_and(|&end| offset < end)
    }
}

/// The Kafka coordinates in a notification payload, if it is one.
fn coordinates(payload: &[u8]) -> Option<(String, i32, i64)> {
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    Some((
        v.get("topic")?.as_str()?.to_string(),
        i32::try_from(v.get("partition")?.as_i64()?).ok()?,
        v.get("offset")?.as_i64()?,
    ))
}

/// What to catch up on: `topic` from `since` (epoch ms), the events whose
/// channel (rendered with `template`) falls under `subs`.
pub struct Window {
    pub settings: KafkaSettings,
    pub topic: String,
    pub since: i64,
    pub subs: Subscriptions,
    pub template: ChannelTemplate,
    /// Attach each full event (--fetch).
    pub fetch: bool,
}

/// Read the window up to the end offsets taken now, sending a notification
/// for each matching event; returns those end offsets, the seam.
pub fn read(w: &Window, tx: mpsc::Sender<Incoming>, stop: &AtomicBool) -> Result<Seam> {
    let (settings, topic, subs, template, fetch) =
        (&w.settings, w.topic.as_str(), &w.subs, &w.template, w.fetch);
    let since = w.since;
    let consumer = kafka::consumer(settings, None)?;
    let count = kafka::check_topic(consumer.client(), &settings.brokers, topic, KAFKA_TIMEOUT)?;
    let mut seam = Seam {
        topic: topic.to_string(),
        ..Seam::default()
    };
    let mut spans = Vec::new();
    for p in 0..count as i32 {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, KAFKA_TIMEOUT)
            .map_err(|e| error::kafka(format!("kafka: offsets of {topic}/{p}: {e}")))?;
        seam.ends.insert(p, high);
        let start = kafka::start_offset(
            &consumer,
            settings,
            topic,
            p,
            Start::Time(since),
            (low, high),
            KAFKA_TIMEOUT,
        )?;
        spans.push(Span {
            partition: p,
            start,
            end: Some(high),
        });
    }
    let mut unroutable = 0;
    kafka::read_spans(
        &consumer,
        topic,
        &spans,
        stop,
        Some(KAFKA_TIMEOUT),
        |polled| {
            let Polled::Record(m) = polled else {
                return Ok(Flow::Continue);
            };
            let Some(event) = kafka::record_event(m) else {
                unroutable += 1;
                return Ok(Flow::Continue);
            };
            let channel = template.render(&event, topic);
            let Some(pattern) = subs.matching(channel.as_bytes()) else {
                return Ok(Flow::Continue);
            };
            let note = Notification {
                id: &event.id,
                kind: &event.kind,
                source_id: &event.source_id,
                topic,
                partition: m.partition(),
                offset: m.offset(),
            };
            let incoming = Incoming {
                received_at: jiff::Timestamp::now(),
                channel: channel.into_bytes(),
                pattern: pattern.map(String::into_bytes),
                payload: note.to_json().into_bytes(),
                from_kafka: true,
                event: fetch.then(|| m.payload().unwrap_or_default().to_vec()),
            };
            Ok(match tx.blocking_send(incoming) {
                Ok(()) => Flow::Continue,
                Err(_) => Flow::Stop,
            })
        },
    )?;
    seam.unroutable = unroutable;
    Ok(seam)
}

type FetchRequest = (String, i32, i64, oneshot::Sender<Result<Vec<u8>, String>>);

/// Fetches full events for `--fetch` on a thread of its own, with one
/// consumer reassigned to each notification's partition and offset.
pub struct Fetcher {
    tx: std::sync::mpsc::Sender<FetchRequest>,
}

impl Fetcher {
    pub fn start(settings: &KafkaSettings) -> Result<Fetcher> {
        let consumer = kafka::consumer(settings, None)?;
        let (tx, rx) = std::sync::mpsc::channel::<FetchRequest>();
        std::thread::spawn(move || {
            for (topic, p, offset, reply) in rx {
                let _ = reply.send(fetch_with(&consumer, &topic, p, offset));
            }
        });
        Ok(Fetcher { tx })
    }

    /// The full event for a notification payload.
    pub async fn fetch(&self, payload: &[u8]) -> Result<Vec<u8>, String> {
        let (topic, p, offset) = coordinates(payload)
            .ok_or("not a notification (no topic/partition/offset)".to_string())?;
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((topic, p, offset, reply))
            .map_err(|_| "fetcher stopped".to_string())?;
        answer.await.map_err(|_| "fetcher stopped".to_string())?
    }
}

fn fetch_with(
    consumer: &kafka::Consumer,
    topic: &str,
    p: i32,
    offset: i64,
) -> Result<Vec<u8>, String> {
    let m = kafka::read_at(consumer, topic, p, offset, KAFKA_TIMEOUT).map_err(|e| e.to_string())?;
    if m.offset() != offset {
        return Err(format!(
            "{topic}/{p}@{offset} is gone (next is {})",
            m.offset()
        ));
    }
    Ok(m.payload().unwrap_or_default().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seam_covers_only_offsets_below_the_ends_of_its_topic() {
        let seam = Seam {
            topic: "events".into(),
            ends: HashMap::from([(0, 10), (1, 0)]),
            unroutable: 0,
        };
        let note = |t: &str, p: i32, o: i64| {
            format!(r#"{{"id":"x","topic":"{t}","partition":{p},"offset":{o}}}"#)
        };
        assert!(seam.covers(note("events", 0, 9).as_bytes()));
        assert!(!seam.covers(note("events", 0, 10).as_bytes()));
        assert!(!seam.covers(note("events", 1, 0).as_bytes()));
        assert!(!seam.covers(note("other", 0, 1).as_bytes()));
        assert!(!seam.covers(b"not json"));
    }
}
