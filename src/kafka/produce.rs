//! The one produce path: a bounded sender that keeps many records in flight
//! and a ledger that accounts for every record handed to it. Every record
//! ends acknowledged (partition, offset) or failed with a reason; records
//! librdkafka refused to queue and records that never got a delivery report
//! are counted apart from failed deliveries. Summaries and exit 4 read only
//! the ledger. Used by `publish` and `replay --to-topic`.
//!
//! Delivery reports come from librdkafka's delivery callback (run by the
//! producer's polling thread) through [`Deliveries`], a queue the sender
//! empties in batches: one lock per report and no allocation per record.
//! A future per record (rdkafka's `FutureProducer`) cost a oneshot channel,
//! a boxed future and a wake-up each; see BENCHMARKS.md for the profiles.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::{c_int, c_void, CString};
use std::future::Future;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::bindings::{self, rd_kafka_vtype_t};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedHeaders, DeliveryResult, Message as _, OwnedHeaders};
use rdkafka::producer::{BaseRecord, FutureRecord, Producer as _};
use tokio::sync::Notify;

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

impl Record<'_> {
    /// A copy of a record read, for another topic: its key, value, headers
    /// and timestamp as they are (`replay --to-topic`, with or without
    /// transactions).
    pub fn copy_of<M: rdkafka::message::Message>(m: &M) -> Record<'_> {
        Record {
            key: m.key(),
            payload: m.payload(),
            headers: m.headers().map(super::record::owned_headers),
            timestamp: m.timestamp().to_millis(),
        }
    }
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
    /// The broker refused the record as too large (MSG_SIZE_TOO_LARGE):
    /// no retry can cure that, so with [`Sender::too_large_is_input`] it is
    /// the input's fault, not a delivery failure. `payload` is the record's
    /// value, as librdkafka handed it back.
    TooLarge {
        reason: String,
        payload: Vec<u8>,
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
    /// librdkafka rejected the record outright.
    Rejected(T, String),
    /// librdkafka refused it as larger than `message.max.bytes` (only with
    /// [`Sender::too_large_is_input`]; not counted as a failure).
    TooLarge(T, String),
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
    /// Records refused as too large, with [`Sender::too_large_is_input`]:
    /// not failures (see [`Outcome::TooLarge`]).
    pub too_large: u64,
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
            too_large: 0,
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

/// One delivery report as librdkafka gave it: the record's ticket (see
/// [`Slots`]) and where it landed or why not.
struct DeliveryReport {
    ticket: usize,
    result: Result<(i32, i64), KafkaError>,
    /// Of a record refused as too large: its value (for its dead letter)
    /// and its size ([`super::record::wire_size`]).
    refused: Option<(Vec<u8>, u64)>,
}

/// The hand-over of delivery reports from librdkafka's delivery callback
/// (the producer's polling thread) to the [`Sender`], in the order
/// librdkafka reported them (per partition, that is Kafka's order).
#[derive(Default)]
pub struct Deliveries {
    queue: Mutex<Vec<DeliveryReport>>,
    /// Signalled when a report lands in an empty queue: the sender empties
    /// the whole queue each time it looks, so one wake-up per batch.
    arrived: Notify,
}

impl Deliveries {
    /// Called by the client context for each delivery report.
    pub fn report(&self, result: &DeliveryResult<'_>, ticket: usize) {
        let (result, refused) = match result {
            Ok(m) => (Ok((m.partition(), m.offset())), None),
            Err((e, m)) => {
                let refused = too_large(e).then(|| {
                    let (key, value) =
                        (m.key().unwrap_or_default(), m.payload().unwrap_or_default());
                    let size = super::record::wire_size(key, value, m.headers());
                    (value.to_vec(), size)
                });
                (Err(e.clone()), refused)
            }
        };
        let first = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.push(DeliveryReport {
                ticket,
                result,
                refused,
            });
            queue.len() == 1
        };
        if first {
            self.arrived.notify_one();
        }
    }

    /// Move every report in so far to `into`; false if there was none.
    fn take(&self, into: &mut VecDeque<DeliveryReport>) -> bool {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if queue.is_empty() {
            return false;
        }
        into.extend(queue.drain(..));
        true
    }
}

/// The records in flight: a slab whose slot index, with the slot's reuse
/// count in the high bits, is the ticket librdkafka carries for each record
/// (its delivery opaque). Memory stays bounded by the records in flight even
/// when one partition stalls and the others go on.
struct Slots<T> {
    slots: Vec<Slot<T>>,
    free: Vec<usize>,
    live: usize,
    next_seq: u64,
}

struct Slot<T> {
    reuse: usize,
    busy: Option<Busy<T>>,
}

struct Busy<T> {
    tag: T,
    sent: Instant,
    /// Order of sending, to list records without a report in order.
    seq: u64,
}

const SLOT_BITS: u32 = 32;

impl<T> Slots<T> {
    fn new() -> Self {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            next_seq: 0,
        }
    }

    /// The ticket the next [`Slots::fill`] will use.
    fn next_ticket(&mut self) -> usize {
        let index = match self.free.last() {
            Some(&i) => i,
            None => {
                self.slots.push(Slot {
                    reuse: 0,
                    busy: None,
                });
                self.free.push(self.slots.len() - 1);
                self.slots.len() - 1
            }
        };
        (self.slots[index].reuse << SLOT_BITS) | index
    }

    /// Occupy the slot of [`Slots::next_ticket`].
    fn fill(&mut self, tag: T, sent: Instant) {
        if let Some(index) = self.free.pop() {
            self.slots[index].busy = Some(Busy {
                tag,
                sent,
                seq: self.next_seq,
            });
            self.next_seq += 1;
            self.live += 1;
        }
    }

    /// Free the slot of `ticket`; `None` for a ticket not in flight (a late
    /// report after [`Slots::clear`]).
    fn take(&mut self, ticket: usize) -> Option<Busy<T>> {
        let index = ticket & ((1 << SLOT_BITS) - 1);
        let slot = self.slots.get_mut(index)?;
        if slot.reuse != ticket >> SLOT_BITS {
            return None;
        }
        let busy = slot.busy.take()?;
        slot.reuse = (slot.reuse + 1) & ((1 << SLOT_BITS) - 1);
        self.free.push(index);
        self.live -= 1;
        Some(busy)
    }

    fn oldest(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| s.busy.as_ref().map(|b| b.sent))
            .min()
    }

    /// Every record still in flight, in sending order; the slots are freed
    /// (their tickets are void from now on).
    fn clear(&mut self) -> Vec<T> {
        let mut left: Vec<Busy<T>> = Vec::with_capacity(self.live);
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let Some(busy) = slot.busy.take() {
                slot.reuse = (slot.reuse + 1) & ((1 << SLOT_BITS) - 1);
                self.free.push(index);
                left.push(busy);
            }
        }
        self.live = 0;
        left.sort_by_key(|b| b.seq);
        left.into_iter().map(|b| b.tag).collect()
    }
}

/// Latency-aware flow control: how many records may be in flight, between
/// [`MIN_WINDOW`] and the caller's `max_in_flight`. A fixed window of 20,000
/// queued behind a broker that takes 20k records/s made every record wait
/// about a second for its acknowledgement (Tansu: ack p99 1.5 s), and a
/// fixed small one starves a fast broker (the mock cluster at 1,000: a
/// third of the rate). So the window follows the acknowledgements: once per
/// round (a window of acknowledgements, about one turn of every record in
/// flight, so that a round sees what the last change did; or [`ROUND`]), if their
/// [`QUANTILE`] (the round's 99th percentile, its slowest for a round of
/// fewer than a hundred) is above the target it shrinks in proportion; if
/// the window was what held sending back and that quantile is well below
/// the target, it grows, to at most what the round acknowledged in a
/// target's time. A high quantile, not the mean: acknowledgements
/// come in batches, and a window steered by the mean to 30 ms left its p99
/// at 76 ms (BENCHMARKS.md). The target is [`TARGET`] or 1.5 times the
/// least latency seen lately, whichever is more, so that a distant broker
/// (a long round trip) is not starved chasing a latency it cannot give.
struct AckWindow {
    size: usize,
    max: usize,
    round_start: Instant,
    acks: u64,
    round: RoundLatencies,
    least_us: u64,
    /// The least latency seen lately, and since when it is the least.
    floor_us: u64,
    floor_at: Instant,
    /// Sending found the window full this round.
    limited: bool,
}

const MIN_WINDOW: usize = 64;
const FIRST_WINDOW: usize = 500;
const TARGET: Duration = Duration::from_millis(30);
/// The quantile of a round's latencies the window steers by.
const QUANTILE: f64 = 0.99;
const ROUND: Duration = Duration::from_millis(100);
const FLOOR_KEPT: Duration = Duration::from_secs(10);

impl AckWindow {
    fn new(max: usize, now: Instant) -> AckWindow {
        AckWindow {
            size: max.min(FIRST_WINDOW),
            max,
            round_start: now,
            acks: 0,
            round: RoundLatencies::new(),
            least_us: u64::MAX,
            floor_us: u64::MAX,
            floor_at: now,
            limited: false,
        }
    }

    fn ack(&mut self, micros: u64, now: Instant) {
        self.acks += 1;
        self.round.record(micros);
        self.least_us = self.least_us.min(micros);
        if self.acks >= (self.size as u64).max(1)
            || now.saturating_duration_since(self.round_start) >= ROUND
        {
            self.end_round(now);
        }
    }

    fn end_round(&mut self, now: Instant) {
        let high = self.round.quantile(QUANTILE).max(1);
        if self.least_us <= self.floor_us
            || now.saturating_duration_since(self.floor_at) > FLOOR_KEPT
        {
            (self.floor_us, self.floor_at) = (self.least_us, now);
        }
        let target = (TARGET.as_micros() as u64).max(self.floor_us.saturating_mul(3) / 2);
        let size = self.size as u64;
        // Growing past what the round acknowledged in a target's time would
        // let a burst of sends queue for longer than the target: the cap
        // growth obeys (never a cause to shrink).
        let elapsed = now.saturating_duration_since(self.round_start).as_micros() as u64;
        let drained = self
            .acks
            .saturating_mul(target)
            .checked_div(elapsed)
            .map_or(u64::MAX, |d| d.max(size));
        let next = if high > target {
            (size * target / high).max(size / 2)
        } else if self.limited && high < target / 2 {
            (size * 2).min(drained)
        } else if self.limited && high < target * 4 / 5 {
            (size + size / 8 + 1).min(drained)
        } else {
            size
        };
        self.size = (next as usize).clamp(MIN_WINDOW.min(self.max), self.max);
        (self.round_start, self.acks, self.least_us) = (now, 0, u64::MAX);
        self.round.clear();
        self.limited = false;
    }
}

/// The acknowledgement latencies of one round, counted in buckets an eighth
/// of a power of two wide (a quantile read at a bucket's middle is within
/// 1/16 of the truth): fixed memory, no allocation, one increment per
/// acknowledgement.
struct RoundLatencies {
    counts: [u32; LATENCY_BUCKETS],
    n: u32,
}

/// Eighths of each power of two up to 2^32 µs (over an hour).
const LATENCY_BUCKETS: usize = 240;

impl RoundLatencies {
    fn new() -> RoundLatencies {
        RoundLatencies {
            counts: [0; LATENCY_BUCKETS],
            n: 0,
        }
    }

    fn bucket(micros: u64) -> usize {
        let us = micros.min(u64::from(u32::MAX));
        if us < 8 {
            return us as usize;
        }
        let msb = 63 - us.leading_zeros();
        (((msb - 2) << 3) | ((us >> (msb - 3)) & 7) as u32) as usize
    }

    /// The middle of bucket `i`, in microseconds.
    fn middle(i: usize) -> u64 {
        if i < 8 {
            return i as u64;
        }
        let (msb, sub) = ((i >> 3) as u32 + 2, (i & 7) as u64);
        let width = 1u64 << (msb - 3);
        ((8 + sub) << (msb - 3)) + width / 2
    }

    fn record(&mut self, micros: u64) {
        self.counts[Self::bucket(micros)] += 1;
        self.n += 1;
    }

    /// The latency at quantile `q` of the round (0 for an empty round).
    fn quantile(&self, q: f64) -> u64 {
        let rank = ((q * f64::from(self.n)).ceil() as u32).clamp(1, self.n.max(1));
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank && c > 0 {
                return Self::middle(i);
            }
        }
        0
    }

    fn clear(&mut self) {
        if self.n > 0 {
            self.counts = [0; LATENCY_BUCKETS];
            self.n = 0;
        }
    }
}

/// librdkafka's handle of the sender's topic, taken once. rdkafka's
/// `BaseProducer::send` makes a C string of the topic's name and has
/// librdkafka look the topic up by that name for every record: with the
/// handle, a record is queued without either (callgrind: 500 of publish's
/// instructions a record). `None` when librdkafka gave no handle; then
/// records go through `send` by name.
struct TopicHandle(Option<NonNull<bindings::rd_kafka_topic_t>>);

// SAFETY: librdkafka's topic handles are reference-counted and may be used
// from any thread; this one is only passed to librdkafka.
unsafe impl Send for TopicHandle {}
unsafe impl Sync for TopicHandle {}

impl TopicHandle {
    fn new(producer: &Producer, topic: &str) -> TopicHandle {
        let handle = CString::new(topic).ok().and_then(|name| {
            // SAFETY: a live client and a NUL-terminated name; a NULL
            // config takes the client's default topic config, as a record
            // sent by name does.
            let rkt = unsafe {
                bindings::rd_kafka_topic_new(
                    producer.client().native_ptr(),
                    name.as_ptr(),
                    std::ptr::null_mut(),
                )
            };
            NonNull::new(rkt)
        });
        TopicHandle(handle)
    }

    /// Queue one record to `topic` (this handle's) with delivery ticket
    /// `ticket`. On failure the headers come back with the error
    /// (librdkafka takes them only when it queued the record).
    fn produce(
        &self,
        producer: &Producer,
        topic: &str,
        record: &Record<'_>,
        headers: Option<OwnedHeaders>,
        ticket: usize,
    ) -> Result<(), (KafkaError, Option<OwnedHeaders>)> {
        let Some(rkt) = self.0 else {
            let mut out = BaseRecord::<[u8], [u8], usize>::with_opaque_to(topic, ticket);
            out.key = record.key;
            out.payload = record.payload;
            out.headers = headers;
            out.timestamp = record.timestamp;
            return producer.send(out).map_err(|(e, back)| (e, back.headers));
        };
        let bytes = |b: Option<&[u8]>| {
            b.map_or((std::ptr::null_mut(), 0), |b| {
                (b.as_ptr() as *mut c_void, b.len())
            })
        };
        let (value, value_len) = bytes(record.payload);
        let (key, key_len) = bytes(record.key);
        // `BorrowedHeaders` is librdkafka's header list seen through a
        // reference: its address is the list's.
        let native = headers.as_ref().map_or(std::ptr::null_mut(), |h| {
            h.as_borrowed() as *const BorrowedHeaders as *mut bindings::rd_kafka_headers_t
        });
        // SAFETY: the same call rdkafka's `send` makes, with the topic by
        // handle instead of by name: the client and the handle are live,
        // key and value are copied (MSG_F_COPY), the opaque is a number.
        let err = unsafe {
            bindings::rd_kafka_producev(
                producer.client().native_ptr(),
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_RKT,
                rkt.as_ptr(),
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_PARTITION,
                -1i32,
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_MSGFLAGS,
                bindings::RD_KAFKA_MSG_F_COPY as c_int,
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_VALUE,
                value,
                value_len,
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_KEY,
                key,
                key_len,
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_OPAQUE,
                ticket as *mut c_void,
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_TIMESTAMP,
                record.timestamp.unwrap_or(0),
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_HEADERS,
                native,
                rd_kafka_vtype_t::RD_KAFKA_VTYPE_END,
            )
        };
        if err == bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // librdkafka owns the list now.
            std::mem::forget(headers);
            Ok(())
        } else {
            Err((KafkaError::MessageProduction(err.into()), headers))
        }
    }
}

impl Drop for TopicHandle {
    fn drop(&mut self) {
        if let Some(rkt) = self.0 {
            // SAFETY: taken in `new`, given back once.
            unsafe { bindings::rd_kafka_topic_destroy(rkt.as_ptr()) };
        }
    }
}

/// Sends records to one topic with at most `max_in_flight` unacknowledged
/// (fewer while acknowledgements are slow, see [`AckWindow`]).
pub struct Sender<T> {
    /// Declared before `producer`: dropped first.
    handle: TopicHandle,
    producer: Producer,
    deliveries: Arc<Deliveries>,
    topic: Arc<str>,
    window: AckWindow,
    timeout: Duration,
    slots: Slots<T>,
    /// Reports taken from [`Deliveries`] and not yet booked.
    inbox: VecDeque<DeliveryReport>,
    /// Reports booked while `send` waited for room.
    ready: VecDeque<Delivery<T>>,
    /// When the reports in `inbox` were taken: their acknowledgement time
    /// (one clock read per batch of reports, not one per report).
    taken_at: Instant,
    pub ledger: Ledger,
    /// Records larger than this are the input's fault when the broker
    /// refuses them as too large ([`Outcome::TooLarge`], [`Refused::TooLarge`]).
    too_large_is_input: Option<u64>,
}

impl<T: Send + 'static> Sender<T> {
    pub fn new(producer: Producer, topic: &str, max_in_flight: usize, timeout: Duration) -> Self {
        let deliveries = Arc::clone(&producer.context().deliveries);
        Sender {
            handle: TopicHandle::new(&producer, topic),
            producer,
            deliveries,
            topic: Arc::from(topic),
            window: AckWindow::new(max_in_flight.max(1), Instant::now()),
            timeout,
            slots: Slots::new(),
            inbox: VecDeque::new(),
            ready: VecDeque::new(),
            taken_at: Instant::now(),
            ledger: Ledger::new(),
            too_large_is_input: None,
        }
    }

    /// A record the broker refuses as too large is reported as
    /// [`Outcome::TooLarge`] (or refused by librdkafka as
    /// [`Refused::TooLarge`]) and counted in `ledger.too_large`, not as a
    /// failure (`publish` makes it an invalid line) — when the record alone
    /// is over `limit` (the smaller of the topic's and the producer's). A
    /// record within it was refused for its batch: a Kafka failure.
    pub fn too_large_is_input(mut self, limit: u64) -> Self {
        self.too_large_is_input = Some(limit);
        self
    }

    /// Move the reports in so far to `inbox`; false if there was none.
    fn take_reports(&mut self) -> bool {
        let any = self.deliveries.take(&mut self.inbox);
        if any {
            self.taken_at = Instant::now();
        }
        any
    }

    /// Can another record be sent without waiting?
    pub fn has_room(&self) -> bool {
        self.slots.live < self.window.size
    }

    /// Records sent and not yet reported (including reports not yet taken).
    pub fn pending(&self) -> usize {
        self.slots.live + self.ready.len()
    }

    /// Hand one record to librdkafka. While its queue is full, wait for
    /// deliveries (kept for [`Sender::next`]), for up to the timeout.
    pub async fn send(&mut self, mut record: Record<'_>, tag: T) -> Result<(), Refused<T>> {
        let waited_since = Instant::now();
        // The bound holds for every caller: wait for reports while it is full.
        while self.slots.live >= self.window.size {
            self.window.limited = true;
            if waited_since.elapsed() > self.timeout {
                return Err(self.stayed_full(tag));
            }
            self.wait_for_reports(Duration::from_millis(100)).await;
        }
        let mut headers = record.headers.take();
        loop {
            // Taken again each time: booking reports while waiting frees slots.
            let ticket = self.slots.next_ticket();
            match self
                .handle
                .produce(&self.producer, &self.topic, &record, headers, ticket)
            {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    headers = back;
                    if waited_since.elapsed() > self.timeout {
                        return Err(self.stayed_full(tag));
                    }
                    if !self.wait_for_reports(Duration::from_millis(100)).await {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                Err((e, _)) if self.too_large_is_input.is_some() && too_large(&e) => {
                    self.ledger.too_large += 1;
                    return Err(Refused::TooLarge(tag, e.to_string()));
                }
                Err((e, _)) => {
                    // Once the idempotent producer has failed for good,
                    // librdkafka refuses every record with "Fatal error":
                    // the cause is the fatal error's.
                    let fatal = self.fatal();
                    // A refusal librdkafka knows at once (the topic's
                    // metadata said not authorised) is said as at delivery.
                    let refused = e
                        .rdkafka_error_code()
                        .and_then(|c| super::denied(c, &self.topic, None));
                    let reason = match (&fatal, refused) {
                        (Some(f), _) => f.clone(),
                        (None, Some(why)) => why,
                        (None, None) => format!("not queued: {e}"),
                    };
                    if let Some(f) = fatal {
                        self.ledger.fatal.get_or_insert(f);
                    }
                    self.ledger.not_queued += 1;
                    self.ledger.count(&reason);
                    return Err(Refused::Rejected(tag, reason));
                }
            }
        }
        self.slots.fill(tag, waited_since);
        if self.slots.live >= self.window.size {
            self.window.limited = true;
        }
        Ok(())
    }

    /// Wait up to `max` for delivery reports and book them into `ready`;
    /// false if none came.
    async fn wait_for_reports(&mut self, max: Duration) -> bool {
        let deliveries = Arc::clone(&self.deliveries);
        let arrived = deliveries.arrived.notified();
        if !self.take_reports() && tokio::time::timeout(max, arrived).await.is_ok() {
            self.take_reports();
        }
        let mut any = false;
        while let Some(report) = self.inbox.pop_front() {
            if let Some(d) = self.account(report) {
                self.ready.push_back(d);
                any = true;
            }
        }
        any
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
        loop {
            let deliveries = Arc::clone(&self.deliveries);
            // Registered before looking, so a report that lands between the
            // look and the wait still wakes us.
            let arrived = deliveries.arrived.notified();
            if let Some(d) = self.next_ready() {
                return Some(d);
            }
            if self.slots.live == 0 {
                return None;
            }
            arrived.await;
        }
    }

    /// The next delivery report if one is in already.
    pub fn next_ready(&mut self) -> Option<Delivery<T>> {
        if let Some(d) = self.ready.pop_front() {
            return Some(d);
        }
        loop {
            while let Some(report) = self.inbox.pop_front() {
                if let Some(d) = self.account(report) {
                    return Some(d);
                }
            }
            if !self.take_reports() {
                return None;
            }
        }
    }

    /// The oldest record in flight has waited longer than librdkafka should
    /// take to fail it: the guard for when even that does not happen. Each
    /// record's own age counts, not the time since the last report: after a
    /// quiet spell in the input, the first new record is young.
    pub fn stalled(&self) -> Option<String> {
        let age = self.slots.oldest()?.elapsed();
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
        while self.slots.live > 0 {
            tokio::select! {
                biased;
                _ = &mut give_up => break,
                _ = tokio::time::sleep_until(deadline) => break,
                Some(d) = self.next() => each(d),
            }
        }
        // One last chance for reports librdkafka holds, then whatever is
        // still in flight got no report: as far as we know it is not in Kafka.
        if self.slots.live > 0 {
            let _ = self.producer.flush(Duration::from_millis(500));
        }
        while let Some(d) = self.next_ready() {
            each(d);
        }
        let left = self.slots.clear();
        for _ in 0..left.len() {
            self.ledger.unreported += 1;
            self.ledger.count("no delivery report");
        }
        left
    }

    /// Was the record of this report refused for its own size (see
    /// [`Sender::too_large_is_input`])?
    fn record_too_large(&self, e: &KafkaError, refused: Option<&(Vec<u8>, u64)>) -> bool {
        match (self.too_large_is_input, refused) {
            (Some(limit), Some((_, size))) => too_large(e) && *size > limit,
            _ => false,
        }
    }

    /// The idempotent producer's fatal error, as a user should read it.
    fn fatal(&self) -> Option<String> {
        let (code, reason) = self.producer.client().fatal_error()?;
        Some(fatal_text(code, &reason))
    }

    /// Book one report; `None` for a ticket not in flight (its record was
    /// already given up on).
    fn account(&mut self, report: DeliveryReport) -> Option<Delivery<T>> {
        let Busy { tag, sent, .. } = self.slots.take(report.ticket)?;
        let outcome = match report.result {
            Ok((partition, offset)) => {
                self.ledger.acknowledged += 1;
                let waited = self.taken_at.saturating_duration_since(sent);
                let micros = waited.as_micros().clamp(1, 3_600_000_000) as u64;
                let _ = self.ledger.latency.record(micros);
                self.window.ack(micros, self.taken_at);
                Outcome::Acked { partition, offset }
            }
            Err(e) if self.record_too_large(&e, report.refused.as_ref()) => {
                self.ledger.too_large += 1;
                Outcome::TooLarge {
                    reason: e.to_string(),
                    payload: report.refused.map(|(value, _)| value).unwrap_or_default(),
                }
            }
            Err(e) => {
                self.ledger.failed += 1;
                // A refusal reads as one, naming the topic and the ACL it needs.
                let reason = e
                    .rdkafka_error_code()
                    .and_then(|code| super::denied(code, &self.topic, None))
                    .unwrap_or_else(|| e.to_string());
                self.ledger.count(&reason);
                let fatal = self.fatal();
                let stops_run = fatal.is_some() || stops_the_run(&e);
                if let Some(f) = fatal {
                    self.ledger.fatal.get_or_insert(f);
                }
                Outcome::Failed { reason, stops_run }
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
    let producer = super::config::probe_producer(settings, budget).map_err(|e| e.to_string())?;
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

/// A fatal error of the idempotent producer, with what to do about the one
/// users meet: a user without Write on any topic (KIP-679) is refused a
/// producer id, as CLUSTER_AUTHORIZATION_FAILED.
fn fatal_text(code: RDKafkaErrorCode, reason: &str) -> String {
    let hint = if code == RDKafkaErrorCode::ClusterAuthorizationFailed
        && reason.contains("idempotence")
    {
        " (the idempotent producer needs an ACL allowing Write on the topic, or IdempotentWrite on the cluster)"
    } else {
        ""
    };
    format!("fatal producer error: {code}: {reason}{hint}")
}

/// The broker (or librdkafka) refuses the record for its size: no retry
/// can cure that.
fn too_large(e: &KafkaError) -> bool {
    e.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageSizeTooLarge)
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

#[cfg(test)]
mod tests;
