//! The one produce path: a bounded sender that keeps many records in flight
//! and a ledger that accounts for every record handed to it. Every record
//! ends acknowledged (partition, offset) or failed with a reason; records
//! librdkafka refused to queue and records that never got a delivery report
//! are counted apart from failed deliveries. Summaries and exit 4 read only
//! the ledger. Used by `publish` and `replay --to-topic`.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use rdkafka::producer::{FutureRecord, Producer as _};

use super::config::Producer;
use crate::duration::show_duration;

/// One record to send.
#[derive(Default)]
pub struct Record<'a> {
    pub key: Option<&'a [u8]>,
    pub payload: Option<&'a [u8]>,
    pub headers: Option<OwnedHeaders>,
    /// Milliseconds since the epoch; the broker's clock when `None`.
    pub timestamp: Option<i64>,
}

/// How one record ended.
#[derive(Debug)]
pub enum Outcome {
    Acked {
        partition: i32,
        offset: i64,
    },
    /// `stops_run`: the cause hits every following record too (broker or
    /// topic gone, producer fenced), so sending more is pointless.
    Failed {
        reason: String,
        stops_run: bool,
    },
}

/// A delivery report, with the caller's tag for the record.
pub struct Delivery<T> {
    pub tag: T,
    pub outcome: Outcome,
}

/// Why [`Sender::send`] did not take a record. Either way the ledger has
/// counted it as not queued.
pub enum Refused<T> {
    /// librdkafka's queue stayed full for the whole timeout.
    StayedFull(T, String),
    /// librdkafka rejected the record outright (too large, say).
    Rejected(T, String),
}

/// What happened to every record handed to a [`Sender`].
pub struct Ledger {
    pub acknowledged: u64,
    /// Delivery reports that said failed.
    pub failed: u64,
    /// Records librdkafka would not queue.
    pub not_queued: u64,
    /// Records without a delivery report when the sender gave up on them.
    pub unreported: u64,
    /// Count per reason, over every kind of failure.
    pub failures: BTreeMap<String, u64>,
    /// The idempotent producer's fatal error, once there is one.
    pub fatal: Option<String>,
    latency: hdrhistogram::Histogram<u64>,
}

impl Ledger {
    fn new() -> Ledger {
        Ledger {
            acknowledged: 0,
            failed: 0,
            not_queued: 0,
            unreported: 0,
            failures: BTreeMap::new(),
            fatal: None,
            // Microseconds, 1µs to 1h, 3 significant digits; these bounds
            // are valid, so the fallback never runs.
            latency: hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .or_else(|_| hdrhistogram::Histogram::new(3))
                .unwrap_or_else(|_| unreachable!("valid histogram bounds")),
        }
    }

    /// Every record that did not end acknowledged.
    pub fn not_acknowledged(&self) -> u64 {
        self.failed + self.not_queued + self.unreported
    }

    /// Acknowledgement latency at quantile `q`, in milliseconds.
    pub fn latency_ms(&self, q: f64) -> Option<f64> {
        (!self.latency.is_empty()).then(|| self.latency.value_at_quantile(q) as f64 / 1000.0)
    }

    fn count(&mut self, reason: &str) {
        *self.failures.entry(reason.to_string()).or_default() += 1;
    }
}

type Report = (
    u64,
    Result<OwnedDeliveryResult, futures::channel::oneshot::Canceled>,
);

/// Sends records to one topic with at most `max_in_flight` unacknowledged.
pub struct Sender<T> {
    producer: Producer,
    topic: Arc<str>,
    max_in_flight: usize,
    timeout: Duration,
    inflight: FuturesUnordered<BoxFuture<'static, Report>>,
    /// The tag and send time of each record in flight, by sequence number:
    /// kept outside the futures so that records that never get a report can
    /// still be named, and ordered so the oldest is at hand.
    tags: BTreeMap<u64, (T, Instant)>,
    next_seq: u64,
    /// Reports that arrived while `send` waited for room.
    ready: VecDeque<Delivery<T>>,
    pub ledger: Ledger,
}

impl<T: Send + 'static> Sender<T> {
    pub fn new(producer: Producer, topic: &str, max_in_flight: usize, timeout: Duration) -> Self {
        Sender {
            producer,
            topic: Arc::from(topic),
            max_in_flight: max_in_flight.max(1),
            timeout,
            inflight: FuturesUnordered::new(),
            tags: BTreeMap::new(),
            next_seq: 0,
            ready: VecDeque::new(),
            ledger: Ledger::new(),
        }
    }

    /// Can another record be sent without waiting?
    pub fn has_room(&self) -> bool {
        self.inflight.len() < self.max_in_flight
    }

    /// Records sent and not yet reported (including reports not yet taken).
    pub fn pending(&self) -> usize {
        self.inflight.len() + self.ready.len()
    }

    /// Hand one record to librdkafka. While its queue is full, wait for
    /// deliveries (kept for [`Sender::next`]), for up to the timeout.
    pub async fn send(&mut self, record: Record<'_>, tag: T) -> Result<(), Refused<T>> {
        let topic = Arc::clone(&self.topic);
        let mut out = FutureRecord::<[u8], [u8]>::to(&topic);
        out.key = record.key;
        out.payload = record.payload;
        out.headers = record.headers;
        out.timestamp = record.timestamp;
        let waited_since = Instant::now();
        // The bound holds for every caller: wait for reports while it is full.
        while self.inflight.len() >= self.max_in_flight {
            if waited_since.elapsed() > self.timeout {
                return Err(self.stayed_full(tag));
            }
            match tokio::time::timeout(Duration::from_millis(100), self.inflight.next()).await {
                Ok(Some(done)) => {
                    if let Some(d) = self.account(done) {
                        self.ready.push_back(d);
                    }
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
        let future = loop {
            match self.producer.send_result(out) {
                Ok(future) => break future,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    out = back;
                    if waited_since.elapsed() > self.timeout {
                        return Err(self.stayed_full(tag));
                    }
                    match tokio::time::timeout(Duration::from_millis(100), self.inflight.next())
                        .await
                    {
                        Ok(Some(done)) => {
                            if let Some(d) = self.account(done) {
                                self.ready.push_back(d);
                            }
                        }
                        _ => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
                Err((e, _)) => {
                    let reason = format!("not queued: {e}");
                    self.ledger.not_queued += 1;
                    self.ledger.count(&reason);
                    return Err(Refused::Rejected(tag, reason));
                }
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.tags.insert(seq, (tag, Instant::now()));
        self.inflight.push(future.map(move |r| (seq, r)).boxed());
        Ok(())
    }

    fn stayed_full(&mut self, tag: T) -> Refused<T> {
        self.ledger.not_queued += 1;
        self.ledger.count("librdkafka queue stayed full");
        Refused::StayedFull(
            tag,
            format!("kafka took no events for {}", show_duration(self.timeout)),
        )
    }

    /// The next delivery report, waiting for one; `None` when nothing is in flight.
    pub async fn next(&mut self) -> Option<Delivery<T>> {
        if let Some(d) = self.ready.pop_front() {
            return Some(d);
        }
        loop {
            let done = self.inflight.next().await?;
            if let Some(d) = self.account(done) {
                return Some(d);
            }
        }
    }

    /// The next delivery report if one is in already.
    pub fn next_ready(&mut self) -> Option<Delivery<T>> {
        if let Some(d) = self.ready.pop_front() {
            return Some(d);
        }
        loop {
            let done = self.inflight.next().now_or_never()??;
            if let Some(d) = self.account(done) {
                return Some(d);
            }
        }
    }

    /// The oldest record in flight has waited longer than librdkafka should
    /// take to fail it: the guard for when even that does not happen. Each
    /// record's own age counts, not the time since the last report: after a
    /// quiet spell in the input, the first new record is young.
    pub fn stalled(&self) -> Option<String> {
        let (_, (_, sent)) = self.tags.first_key_value()?;
        let age = sent.elapsed();
        (age > self.timeout + Duration::from_secs(5))
            .then(|| format!("no delivery report for {}", show_duration(age)))
    }

    /// Wait for every report, each handed to `each`, until the timeout
    /// (plus a grace) or `give_up` resolves. Records still without a report
    /// are counted as unreported, and their tags returned.
    pub async fn drain(
        &mut self,
        give_up: impl Future<Output = ()>,
        mut each: impl FnMut(Delivery<T>),
    ) -> Vec<T> {
        let deadline = tokio::time::Instant::now() + self.timeout + Duration::from_secs(5);
        tokio::pin!(give_up);
        while let Some(d) = self.ready.pop_front() {
            each(d);
        }
        while !self.inflight.is_empty() {
            tokio::select! {
                biased;
                _ = &mut give_up => break,
                _ = tokio::time::sleep_until(deadline) => break,
                Some(done) = self.inflight.next() => {
                    if let Some(d) = self.account(done) {
                        each(d);
                    }
                }
            }
        }
        // One last chance for reports librdkafka holds, then whatever is
        // still in flight got no report: as far as we know it is not in Kafka.
        let _ = self.producer.flush(Duration::from_millis(500));
        while let Some(Some(done)) = self.inflight.next().now_or_never() {
            if let Some(d) = self.account(done) {
                each(d);
            }
        }
        self.inflight = FuturesUnordered::new();
        let left = std::mem::take(&mut self.tags);
        for _ in 0..left.len() {
            self.ledger.unreported += 1;
            self.ledger.count("no delivery report");
        }
        left.into_values().map(|(tag, _)| tag).collect()
    }

    /// Book one report; `None` only for a sequence number not in flight,
    /// which cannot happen (each is reported once).
    fn account(&mut self, (seq, result): Report) -> Option<Delivery<T>> {
        let (tag, sent) = self.tags.remove(&seq)?;
        let outcome = match result {
            Ok(Ok(delivery)) => {
                self.ledger.acknowledged += 1;
                let micros = sent.elapsed().as_micros().clamp(1, 3_600_000_000) as u64;
                let _ = self.ledger.latency.record(micros);
                Outcome::Acked {
                    partition: delivery.partition,
                    offset: delivery.offset,
                }
            }
            Ok(Err((e, _))) => {
                self.ledger.failed += 1;
                let reason = e.to_string();
                self.ledger.count(&reason);
                let fatal = self
                    .producer
                    .client()
                    .fatal_error()
                    .map(|(code, reason)| format!("fatal producer error: {code}: {reason}"));
                let stops_run = fatal.is_some() || stops_the_run(&e);
                if let Some(f) = fatal {
                    self.ledger.fatal.get_or_insert(f);
                }
                Outcome::Failed { reason, stops_run }
            }
            Err(_canceled) => {
                self.ledger.failed += 1;
                let reason = "producer closed before delivery".to_string();
                self.ledger.count(&reason);
                Outcome::Failed {
                    reason,
                    stops_run: true,
                }
            }
        };
        Some(Delivery { tag, outcome })
    }
}

/// The health probe's one record: a producer of its own without linger or
/// idempotence (see `config::producer`), connected before the clock starts
/// so the probe times the path, not client start-up. Returns where the
/// record landed and how long the acknowledgement took.
pub async fn send_timed(
    settings: &super::KafkaSettings,
    topic: &str,
    record: Record<'_>,
    budget: Duration,
) -> Result<(i32, i64, Duration), String> {
    let producer =
        super::config::producer(settings, budget, 10, true).map_err(|e| e.to_string())?;
    let (warm, warm_topic) = (producer.clone(), topic.to_string());
    let _ = tokio::task::spawn_blocking(move || {
        warm.client().fetch_metadata(Some(&warm_topic), budget)
    })
    .await;
    let mut out = FutureRecord::<[u8], [u8]>::to(topic);
    out.key = record.key;
    out.payload = record.payload;
    out.headers = record.headers;
    out.timestamp = record.timestamp;
    let started = Instant::now();
    match tokio::time::timeout(budget, producer.send(out, budget)).await {
        Ok(Ok(d)) => Ok((d.partition, d.offset, started.elapsed())),
        Ok(Err((e, _))) => Err(e.to_string()),
        Err(_) => Err("no acknowledgement in time".to_string()),
    }
}

/// Failures that will hit every following record too (broker gone, topic
/// gone, producer fenced): stop sending rather than fail the rest one by one.
fn stops_the_run(e: &KafkaError) -> bool {
    use RDKafkaErrorCode::*;
    !matches!(
        e.rdkafka_error_code(),
        Some(
            MessageSizeTooLarge
                | MessageBatchTooLarge
                | InvalidMessage
                | InvalidMessageSize
                | InvalidRecord
                | InvalidTimestamp
        )
    )
}
