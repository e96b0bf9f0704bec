//! The one read path: the span planner (watermarks → start offset → span
//! per partition, with the checks Tansu's offsets-for-times needs), the
//! span reader (assign(), nothing committed), the group reader (`--group`),
//! and single-record fetches (`tail --fetch`, the time check). Used by
//! `replay` and `tail`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use rdkafka::consumer::Consumer as _;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message, OwnedMessage};
use rdkafka::{Offset, TopicPartitionList};

use super::{config, Consumer, KafkaSettings};
use crate::duration::show_duration;
use crate::error;

/// Where reading starts in each partition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Start {
    Beginning,
    End,
    /// Negative: that many before the end.
    Offset(i64),
    /// Epoch milliseconds.
    Time(i64),
}

/// Where reading stops in each partition.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stop {
    /// Never: keep reading what arrives.
    pub follow: bool,
    /// Before this offset.
    pub to_offset: Option<i64>,
    /// Before the first record at or after this time (epoch ms).
    pub to_time: Option<i64>,
}

/// One partition's part of a plan.
#[derive(Clone, Copy, Debug)]
pub struct Planned {
    /// The partition's offsets when the plan was made.
    pub low: i64,
    pub high: i64,
    /// The start asked for, before clamping into `low..=high`.
    pub wanted: i64,
    pub start: i64,
    /// Exclusive; `None` to follow.
    pub end: Option<i64>,
}

impl Planned {
    pub fn span(&self, partition: i32) -> Span {
        Span {
            partition,
            start: self.start,
            end: self.end,
        }
    }
}

/// Plan the read of `partitions` of `topic`: take each partition's offsets
/// now (the ends a bounded read stops at), resolve the start, and bound it.
pub fn plan(
    consumer: &Consumer,
    topic: &str,
    partitions: &[i32],
    start: Start,
    stop: Stop,
    timeout: Duration,
) -> Result<BTreeMap<i32, Planned>> {
    let mut planned = BTreeMap::new();
    let deadline = Instant::now() + timeout;
    for &p in partitions {
        let (low, high) = watermarks(consumer, topic, p, deadline)?;
        let wanted = start_offset(consumer, topic, p, start, (low, high), timeout)?;
        // An explicit offset outside a partition is clamped to it; the
        // caller says so, from `wanted`.
        let first = wanted.clamp(low, high);
        let mut end = match (stop.follow, stop.to_offset) {
            (true, _) => None,
            (false, Some(to)) => Some(to.clamp(first, high)),
            (false, None) => Some(high),
        };
        if let Some(to) = stop.to_time {
            let at = start_offset(consumer, topic, p, Start::Time(to), (low, high), timeout)?;
            end = end.map(|e| e.min(at.max(first)));
        }
        planned.insert(
            p,
            Planned {
                low,
                high,
                wanted,
                start: first,
                end,
            },
        );
    }
    Ok(planned)
}

/// One partition to read: from `start` up to `end` (exclusive), or on and
/// on when `end` is `None`.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub partition: i32,
    pub start: i64,
    pub end: Option<i64>,
}

/// What the readers hand their callback: a record, or word that none is
/// waiting right now (the moment to flush output).
pub enum Polled<'a, 'm> {
    Record(&'a BorrowedMessage<'m>),
    Idle,
    /// The topic grew: these partitions are read too now, from their start.
    Grew(&'a [i32]),
}

/// What the record callback of [`read_spans`] wants next.
pub enum Flow {
    Continue,
    Stop,
}

/// How [`read_spans`] ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    Done,
    Interrupted,
}

/// Read `spans` of `topic` with assign() (no group, nothing committed),
/// calling `each` for every record inside them, until every bounded span is
/// read, `each` says stop, or `stop` is set. `idle` bounds how long no record
/// may arrive while bounded spans are unfinished (exit 4 after it). With
/// `grow`, partitions added to the topic while it is read are read too,
/// from their start (every record in them is newer than the read), and
/// `each` hears of them (`Polled::Grew`).
pub fn read_spans(
    consumer: &Consumer,
    topic: &str,
    spans: &[Span],
    stop: &AtomicBool,
    (idle, grow): (Option<Duration>, bool),
    mut each: impl FnMut(Polled<'_, '_>) -> Result<Flow>,
) -> Result<Read> {
    let mut ends: ByPartition<Option<i64>> = ByPartition::default();
    let mut tpl = TopicPartitionList::new();
    for s in spans
        .iter()
        .filter(|s| s.end.is_none_or(|end| s.start < end))
    {
        tpl.add_partition_offset(topic, s.partition, Offset::Offset(s.start))
            .map_err(|e| error::kafka(format!("kafka: {e}")))?;
        ends.insert(s.partition, s.end);
    }
    if ends.is_empty() {
        return Ok(Read::Done);
    }
    consumer
        .assign(&tpl)
        .map_err(|e| error::kafka(format!("kafka: assign: {e}")))?;
    let mut known: Vec<i32> = spans.iter().map(|s| s.partition).collect();
    let mut watch = TopicWatch::default();
    let mut last_record = Instant::now();
    let mut last_error: Option<String> = None;
    let mut tick = Instant::now();
    while !ends.is_empty() {
        if stop.load(Ordering::SeqCst) {
            return Ok(Read::Interrupted);
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => last_error = Some(retriable(e, topic, None)?),
            Some(Ok(message)) => {
                // One clock read a record: for the idle check and the tick.
                let now = Instant::now();
                let p = message.partition();
                if let Some(&end) = ends.get(&p) {
                    if end.is_some_and(|end| message.offset() >= end) {
                        // Past its end (the records before were skipped
                        // offsets: control records, compaction): finished.
                        finish(consumer, topic, p, &mut ends);
                    } else {
                        last_record = now;
                        if let Flow::Stop = each(Polled::Record(&message))? {
                            return Ok(Read::Done);
                        }
                        if end.is_some_and(|end| message.offset() + 1 >= end) {
                            finish(consumer, topic, p, &mut ends);
                        }
                    }
                }
                // A busy topic may never let poll come back empty: the
                // housekeeping below still runs every TICK.
                if now.saturating_duration_since(tick) < TICK {
                    continue;
                }
            }
        }
        tick = Instant::now();
        if let Flow::Stop = each(Polled::Idle)? {
            return Ok(Read::Done);
        }
        // Offsets can skip (control records, compaction): a partition is
        // finished when its position reaches the end, whatever was seen.
        finish_by_position(consumer, topic, &mut ends);
        if let Some(all) = watch.check(consumer, topic)? {
            let added: Vec<i32> = all.into_iter().filter(|p| !known.contains(p)).collect();
            if grow && !added.is_empty() {
                let mut tpl = TopicPartitionList::new();
                for &p in &added {
                    tpl.add_partition_offset(topic, p, Offset::Beginning)
                        .map_err(|e| error::kafka(format!("kafka: {e}")))?;
                    ends.insert(p, None);
                }
                consumer
                    .incremental_assign(&tpl)
                    .map_err(|e| error::kafka(format!("kafka: assign new partitions: {e}")))?;
                known.extend(&added);
                if let Flow::Stop = each(Polled::Grew(&added))? {
                    return Ok(Read::Done);
                }
            }
        }
        if let Some(idle) = idle {
            let unfinished = ends.values().any(Option::is_some);
            if unfinished && last_record.elapsed() > idle {
                return Err(error::kafka(format!(
                    "kafka: no records for {} while {} of {topic} were unfinished{}",
                    show_duration(last_record.elapsed()),
                    match ends.len() {
                        1 => "1 partition".to_string(),
                        n => format!("{n} partitions"),
                    },
                    last_error
                        .map(|e| format!(" (last error: {e})"))
                        .unwrap_or_default()
                )));
            }
        }
    }
    Ok(Read::Done)
}

/// The newest `n` records that `keep` accepts across the partitions of
/// `bounds` (`(partition, low, high)`, the offsets taken at start), oldest
/// first: per partition the newest `n` accepted by offset, read backwards
/// from `high` in chunks that double each round (a rare match costs a few
/// rounds, not one per record), then merged by timestamp, ties by partition
/// and offset. `scanned` hears of every record read. `None` if `stop` was
/// set. Holds at most `n` records per partition.
pub fn read_last(
    settings: &KafkaSettings,
    topic: &str,
    bounds: &[(i32, i64, i64)],
    n: u64,
    (stop, idle): (&AtomicBool, Duration),
    mut keep: impl FnMut(&BorrowedMessage<'_>) -> bool,
    mut scanned: impl FnMut(&BorrowedMessage<'_>),
) -> Result<Option<Vec<OwnedMessage>>> {
    let want = usize::try_from(n).unwrap_or(usize::MAX);
    // Per partition: the offset reading has got back to, and the newest
    // accepted records found so far, oldest first.
    let mut state: BTreeMap<i32, (i64, i64, VecDeque<OwnedMessage>)> = bounds
        .iter()
        .map(|&(p, low, high)| (p, (low, high, VecDeque::new())))
        .collect();
    let mut chunk = i64::try_from(n).unwrap_or(i64::MAX).max(1);
    loop {
        let spans: Vec<Span> = state
            .iter()
            .filter(|(_, (low, from, found))| found.len() < want && from > low)
            .map(|(&p, &(low, from, _))| Span {
                partition: p,
                start: from.saturating_sub(chunk).max(low),
                end: Some(from),
            })
            .collect();
        if spans.is_empty() || want == 0 {
            break;
        }
        // A fresh consumer per round: the last one paused what it finished.
        let consumer = config::consumer(settings, None)?;
        let mut got: HashMap<i32, VecDeque<OwnedMessage>> = HashMap::new();
        let outcome = read_spans(
            &consumer,
            topic,
            &spans,
            stop,
            (Some(idle), false),
            |polled| {
                if let Polled::Record(m) = polled {
                    scanned(m);
                    if keep(m) {
                        let found = got.entry(m.partition()).or_default();
                        found.push_back(m.detach());
                        if found.len() > want {
                            found.pop_front();
                        }
                    }
                }
                Ok(Flow::Continue)
            },
        )?;
        if outcome == Read::Interrupted {
            return Ok(None);
        }
        for span in &spans {
            if let Some((_, from, found)) = state.get_mut(&span.partition) {
                *from = span.start;
                let mut older = got.remove(&span.partition).unwrap_or_default();
                // The chunk read now is older than what was found before.
                older.extend(found.drain(..));
                while older.len() > want {
                    older.pop_front();
                }
                *found = older;
            }
        }
        chunk = chunk.saturating_mul(2);
    }
    let mut all: Vec<OwnedMessage> = state.into_values().flat_map(|(_, _, f)| f).collect();
    all.sort_by_key(|m| {
        (
            m.timestamp().to_millis().unwrap_or(-1),
            m.partition(),
            m.offset(),
        )
    });
    let extra = all.len().saturating_sub(want);
    all.drain(..extra);
    Ok(Some(all))
}

/// The oldest and newest record timestamps (epoch ms) of the partitions
/// of `bounds` (`(partition, low, high)`): the first few records of each
/// and the last few (a few, not one: the last offset of a transactional
/// topic is a commit marker, which no read returns). For a note that says
/// where the data is; `None` where nothing was read.
pub fn edge_times(
    settings: &KafkaSettings,
    topic: &str,
    bounds: &[(i32, i64, i64)],
    (stop, idle): (&AtomicBool, Duration),
) -> Result<(Option<i64>, Option<i64>)> {
    const FEW: i64 = 8;
    let mut edges = (None, None);
    for newest in [false, true] {
        let spans: Vec<Span> = bounds
            .iter()
            .filter(|(_, low, high)| high > low)
            .map(|&(partition, low, high)| Span {
                partition,
                start: if newest {
                    high.saturating_sub(FEW).max(low)
                } else {
                    low
                },
                end: Some(if newest {
                    high
                } else {
                    high.min(low.saturating_add(FEW))
                }),
            })
            .collect();
        let consumer = config::consumer(settings, None)?;
        let mut found: Option<i64> = None;
        read_spans(
            &consumer,
            topic,
            &spans,
            stop,
            (Some(idle), false),
            |polled| {
                if let Polled::Record(m) = polled {
                    if let Some(t) = m.timestamp().to_millis() {
                        found = Some(match found {
                            Some(f) if newest => f.max(t),
                            Some(f) => f.min(t),
                            None => t,
                        });
                    }
                }
                Ok(Flow::Continue)
            },
        )?;
        if newest {
            edges.1 = found;
        } else {
            edges.0 = found;
        }
    }
    Ok(edges)
}

/// A map keyed by partition, looked up for every record read: a multiply
/// for a hash instead of SipHash (partitions are not chosen by an attacker).
type ByPartition<V> = HashMap<i32, V, BuildHasherDefault<PartitionHash>>;

#[derive(Default)]
struct PartitionHash(u64);

impl Hasher for PartitionHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i32(&mut self, n: i32) {
        self.0 = u64::from(n as u32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// How often readers flush their callers, check positions and deadlines,
/// whether or not records keep coming.
const TICK: Duration = Duration::from_millis(100);

/// How often a read asks whether its topic grew or was deleted.
const GROW_CHECK: Duration = Duration::from_secs(3);

/// Asks every [`GROW_CHECK`] what metadata says of the topic being read:
/// its partitions now, or an error once it was deleted.
pub(super) struct TopicWatch {
    checked: Instant,
    gone: u32,
}

impl Default for TopicWatch {
    fn default() -> TopicWatch {
        TopicWatch {
            checked: Instant::now(),
            gone: 0,
        }
    }
}

impl TopicWatch {
    /// `Some(partitions)` when it was time to ask and the cluster answered.
    pub(super) fn check(&mut self, consumer: &Consumer, topic: &str) -> Result<Option<Vec<i32>>> {
        if self.checked.elapsed() < GROW_CHECK {
            return Ok(None);
        }
        self.checked = Instant::now();
        match topic_now(consumer, topic) {
            TopicNow::Gone => {
                self.gone += 1;
                // Twice in a row: one answer from a broker that has not
                // caught up with metadata is not proof.
                if self.gone >= 2 {
                    return Err(error::kafka(format!(
                        "kafka: topic {topic:?} no longer exists (deleted while it was read)"
                    )));
                }
                Ok(None)
            }
            TopicNow::Partitions(all) => {
                self.gone = 0;
                Ok(Some(all))
            }
            TopicNow::Refused => Err(error::kafka(format!(
                "kafka: not authorized to read topic {topic:?} any more (TOPIC_AUTHORIZATION_FAILED)"
            ))),
            TopicNow::Unknown => Ok(None),
        }
    }
}

/// What metadata says of a topic being read.
enum TopicNow {
    /// Deleted: the cluster answers that it does not know it.
    Gone,
    Partitions(Vec<i32>),
    /// The client may not see it (an ACL revoked).
    Refused,
    /// No answer (the cluster is busy or away): ask again later.
    Unknown,
}

fn topic_now(consumer: &Consumer, topic: &str) -> TopicNow {
    use rdkafka::types::RDKafkaRespErr::{
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
    };
    let Ok(metadata) = consumer.fetch_metadata(Some(topic), Duration::from_secs(1)) else {
        return TopicNow::Unknown;
    };
    match metadata.topics().iter().find(|t| t.name() == topic) {
        Some(t) if t.error().is_none() => {
            TopicNow::Partitions(t.partitions().iter().map(|p| p.id()).collect())
        }
        Some(t) if t.error() == Some(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) => TopicNow::Gone,
        Some(t) if t.error() == Some(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) => {
            TopicNow::Refused
        }
        _ => TopicNow::Unknown,
    }
}

/// A partition read to its end: stop fetching it (a busy one would keep
/// `poll` from ever coming back empty) and forget it.
fn finish(consumer: &Consumer, topic: &str, p: i32, ends: &mut ByPartition<Option<i64>>) {
    ends.remove(&p);
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, p);
    if let Err(e) = consumer.pause(&tpl) {
        tracing::debug!("pausing {topic}/{p}: {e}");
    }
}

/// A consumer error that is not fatal (a broker restarting, a leader moving,
/// a connection refused for a while): logged (`-v`), and the read goes on,
/// because librdkafka retries it. Only a fatal error, or the broker's
/// refusal of this user (topic not authorised; the group not authorised,
/// for a `group` member), ends the read (exit 4). A reader without a group
/// (assign) has one configured all the same, and librdkafka looks up its
/// coordinator: a refusal of that group concerns nothing it does.
/// Returns the error's text for messages.
fn retriable(e: KafkaError, topic: &str, group: Option<&str>) -> Result<String> {
    if matches!(e, KafkaError::MessageConsumptionFatal(_)) {
        return Err(error::kafka(format!("kafka: reading {topic}: {e}")));
    }
    if let Some(code) = e.rdkafka_error_code() {
        if code == RDKafkaErrorCode::GroupAuthorizationFailed && group.is_none() {
            tracing::debug!("kafka: reading {topic} without a group: {e}");
            return Ok(e.to_string());
        }
        if let Some(why) = super::denied(code, topic, group) {
            return Err(error::kafka(format!("kafka: reading {topic}: {why}")));
        }
    }
    tracing::warn!("kafka: reading {topic}: {e} (retrying)");
    Ok(e.to_string())
}

fn finish_by_position(consumer: &Consumer, topic: &str, ends: &mut ByPartition<Option<i64>>) {
    let Ok(positions) = consumer.position() else {
        return;
    };
    for e in positions.elements_for_topic(topic) {
        if let (Offset::Offset(pos), Some(Some(end))) = (e.offset(), ends.get(&e.partition())) {
            if pos >= *end {
                finish(consumer, topic, e.partition(), ends);
            }
        }
    }
}

/// A partition's low and high offsets, asked again until `deadline` while
/// the answer is an error: a cluster that is electing leaders (nodes just
/// restarted) answers "leader not available" or drops broker handles for a
/// few seconds, which is no reason to fail a run that has time left.
fn watermarks(consumer: &Consumer, topic: &str, p: i32, deadline: Instant) -> Result<(i64, i64)> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match consumer.fetch_watermarks(topic, p, left.max(Duration::from_millis(500))) {
            Ok(w) => {
                tracing::debug!("offsets of {topic}/{p}: {}..{}", w.0, w.1);
                return Ok(w);
            }
            Err(e) if !refused(&e) && Instant::now() + Duration::from_millis(250) < deadline => {
                tracing::debug!("offsets of {topic}/{p}: {e}; asking again");
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => return Err(error::kafka(format!("kafka: offsets of {topic}/{p}: {e}"))),
        }
    }
}

/// An answer that asking again will not change.
fn refused(e: &KafkaError) -> bool {
    use rdkafka::types::RDKafkaErrorCode::*;
    matches!(
        e.rdkafka_error_code(),
        Some(TopicAuthorizationFailed | ClusterAuthorizationFailed | SaslAuthenticationFailed)
    )
}

/// The first offset to read in one partition for `start`. Explicit offsets
/// are returned as asked (the caller clamps and says so); times go through
/// offsets-for-times, whose answer is checked where it points.
///
/// Tansu (sqlite) answers 0, the start, for a time after the last record
/// instead of -1, the end. So the record at the answered offset is read: if
/// it is older than the time asked for, the broker meant "nothing", and the
/// read starts at the end. The last record's timestamp would not do:
/// timestamps are event times, not monotonic, and one backfilled old event
/// at the end of a partition would hide every newer record before it.
fn start_offset(
    consumer: &Consumer,
    topic: &str,
    p: i32,
    start: Start,
    (low, high): (i64, i64),
    timeout: Duration,
) -> Result<i64> {
    match start {
        Start::Beginning => Ok(low),
        Start::End => Ok(high),
        Start::Offset(n) if n < 0 => Ok(high.saturating_add(n).max(low)),
        Start::Offset(n) => Ok(n),
        // Offsets-for-times reads -1, -2, -3 as "latest", "earliest" and
        // "max timestamp": a time at or before 1970 means the beginning.
        Start::Time(ms) if ms <= 0 => Ok(low),
        Start::Time(ms) => {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(topic, p, Offset::Offset(ms))
                .map_err(|e| error::kafka(format!("kafka: {e}")))?;
            let answer = consumer.offsets_for_times(tpl, timeout).map_err(|e| {
                error::kafka(format!("kafka: offsets for time in {topic}/{p}: {e}"))
            })?;
            let found = match answer.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => o.clamp(low, high),
                _ => high,
            };
            if found < high {
                let there = read_at(consumer, topic, p, found, timeout)?;
                if there.timestamp().to_millis().is_some_and(|t| t < ms) {
                    return Ok(high);
                }
            }
            Ok(found)
        }
    }
}

/// The first record at or after `offset` in one partition, read by
/// reassigning `consumer` there.
pub fn read_at(
    consumer: &Consumer,
    topic: &str,
    p: i32,
    offset: i64,
    timeout: Duration,
) -> Result<OwnedMessage> {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, p, Offset::Offset(offset))
        .map_err(|e| error::kafka(format!("kafka: {e}")))?;
    consumer
        .assign(&tpl)
        .map_err(|e| error::kafka(format!("kafka: assign: {e}")))?;
    let deadline = Instant::now() + timeout;
    let mut last_error = None;
    // A deleted topic (or a revoked ACL) answers no fetch: said within
    // seconds instead of at the end of `timeout`.
    let mut watch = TopicWatch::default();
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) if m.partition() == p && m.offset() >= offset => return Ok(m.detach()),
            Some(Ok(_)) => {}
            None => {
                // Read committed, a record of an aborted transaction (or a
                // marker) is skipped: with nothing committed after it, no
                // record comes, but the position moves past it.
                if position(consumer, topic, p).is_some_and(|at| at > offset) {
                    return Err(error::kafka(format!(
                        "kafka: {topic}/{p}@{offset} is no committed record (an aborted transaction's, or a transaction marker; --isolation read_uncommitted shows aborted records)"
                    )));
                }
            }
            Some(Err(e)) => last_error = Some(retriable(e, topic, None)?),
        }
        watch.check(consumer, topic)?;
    }
    Err(error::kafka(format!(
        "kafka: no record at {topic}/{p}@{offset} within {}{}",
        show_duration(timeout),
        last_error
            .map(|e| format!(" (last error: {e})"))
            .unwrap_or_default()
    )))
}

/// Where `consumer` reads `topic`/`p` next, once it knows.
pub(super) fn position(consumer: &Consumer, topic: &str, p: i32) -> Option<i64> {
    let positions = consumer.position().ok()?;
    match positions.find_partition(topic, p)?.offset() {
        Offset::Offset(at) => Some(at),
        _ => None,
    }
}

mod fetch;
mod group;

pub use fetch::Fetcher;
pub use group::{commit_and_close, read_group, Confirmed};
