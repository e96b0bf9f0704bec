//! Kafka windows joined to a live Redis stream, for the commands that do
//! it (`tail --catch-up` and `--fill-gaps`, `serve`'s resumes): reading a
//! window into the notifications publish sent (or would have sent) for it,
//! and the end offsets that make the seam with the live stream exact.
//!
//! The seam: the command subscribes first, then takes the end offsets E of every
//! partition, reads Kafka from the window's start up to E, and only then
//! hands on what Redis delivered meanwhile, skipping notifications whose offset
//! lies in the range Kafka printed (see [`Seam`]). An event acknowledged
//! before E was taken is below E; one acknowledged after is at or above E and
//! its notification was published after the subscription, so it is live. No
//! gap, no duplicate.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::kafka::Message;
use anyhow::Result;
use tokio::sync::mpsc;

use crate::event::{self, ChannelTemplate};
use crate::kafka::identity::{self, LogIdentity};
use crate::kafka::read::{self, Flow, Polled, Start, Stop};
use crate::kafka::{admin, config, record, KafkaSettings};
use crate::output::records::Received;
use crate::pubsub::Subscriptions;

/// How long Kafka may take to answer while the window is read.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(30);

/// The seam: per partition, the offsets `[start, end)` each window printed
/// from Kafka, `end` taken right after subscribing (or resubscribing).
///
/// A live notification inside a range is the original notification of an
/// event the window already printed, and is dropped — but only while it can
/// be one. The notifications of one channel come in offset order, so once a
/// live one of a channel at or past `end` arrived, anything of that channel
/// in the range that comes later is a re-send (`replay --to-redis`) and is
/// printed; the same after [`SEAM_OPEN`] without one. Per channel, not per
/// partition: a partition carries the events of many channels, and their
/// notifications do not keep the partition's order between channels (with
/// `--sharded` they come from different masters, each on its own
/// connection), so another channel's original may still be on its way.
/// Notifications below `start` were never printed from Kafka and always
/// pass.
#[derive(Debug, Default)]
pub struct Seam {
    pub topic: String,
    /// Per partition, what each window printed there, oldest first.
    pub ranges: HashMap<i32, Vec<SeamRange>>,
    /// Records in the window that carried no routable id/type/source.
    pub unroutable: u64,
    /// When the window was read.
    pub read_at: Option<jiff::Timestamp>,
}

/// The offsets `[start, end)` a window printed from one partition, and the
/// channels already past it.
#[derive(Debug, Default)]
pub struct SeamRange {
    pub start: i64,
    pub end: i64,
    /// The channels a live notification at or past `end` came on: the
    /// range is closed for them, what they bring into it now is a re-send.
    passed: HashSet<Vec<u8>>,
}

impl SeamRange {
    pub fn new(start: i64, end: i64) -> SeamRange {
        SeamRange {
            start,
            end,
            passed: HashSet::new(),
        }
    }
}

/// How long after the window was read a late original notification can
/// still arrive (the publisher notifies after each acknowledgement, within
/// milliseconds; this leaves room for a slow Redis).
const SEAM_OPEN: Duration = Duration::from_secs(10);

/// Most ranges kept per partition (gaps in a row, each less than
/// [`SEAM_OPEN`] after the last); past it the oldest is forgotten.
const MOST_RANGES: usize = 16;

impl Seam {
    /// Take in the seam of a later window (a gap filled), and restart the
    /// clock. A range still open is kept, not replaced: the originals of
    /// what the earlier window printed may still be on their way (a record
    /// is readable in Kafka before its publisher has the acknowledgement and
    /// notifies), and must still be dropped when they come. It is widened
    /// when no channel has passed it yet (nothing past its end was seen
    /// live, so the later window starts inside it or right after it); else
    /// the later range is a range of its own, for every channel: between the
    /// two lie offsets the stream went past, where a channel that lagged may
    /// still bring originals that were never printed.
    pub fn merge(&mut self, later: Seam) {
        if !self.open(later.read_at.unwrap_or_else(jiff::Timestamp::now)) {
            // Nothing the earlier windows printed can still come.
            self.ranges.clear();
        }
        for (p, ranges) in later.ranges {
            let mine = self.ranges.entry(p).or_default();
            for range in ranges {
                match mine.last_mut() {
                    Some(last) if last.passed.is_empty() && range.start <= last.end => {
                        last.start = last.start.min(range.start);
                        last.end = last.end.max(range.end);
                    }
                    _ => mine.push(range),
                }
            }
            if mine.len() > MOST_RANGES {
                mine.drain(..mine.len() - MOST_RANGES);
            }
        }
        self.unroutable += later.unroutable;
        self.read_at = later.read_at;
    }

    /// Can a live notification received at `received` still be the
    /// original of one the windows printed?
    fn open(&self, received: jiff::Timestamp) -> bool {
        self.read_at.is_none_or(|at| {
            received.duration_since(at)
                < jiff::SignedDuration::try_from(SEAM_OPEN).unwrap_or_default()
        })
    }

    /// Was this live notification of `channel`, received at `received`,
    /// already printed from Kafka? Learns from every notification it sees.
    /// The clock is the message's arrival, not its printing: a slow output
    /// must not turn originals queued during catch-up into "late" ones.
    pub fn covers(
        &mut self,
        place: Option<&(String, i32, i64)>,
        channel: &[u8],
        received: jiff::Timestamp,
    ) -> bool {
        let Some(&(ref topic, partition, offset)) = place else {
            return false;
        };
        if *topic != self.topic || !self.open(received) {
            return false;
        }
        let Some(ranges) = self.ranges.get_mut(&partition) else {
            return false;
        };
        let mut covered = false;
        for range in ranges {
            if offset >= range.end {
                // Past the range on this channel: it is closed for it.
                if !range.passed.contains(channel) {
                    range.passed.insert(channel.to_vec());
                }
            } else if offset >= range.start && !range.passed.contains(channel) {
                covered = true;
            }
        }
        covered
    }
}

/// Where a window starts in each partition.
pub enum WindowStart {
    /// The first record at or after this time (epoch ms): --catch-up.
    Time(i64),
    /// A gap: per partition, the offset after the last notification seen;
    /// partitions with none from the first record at or after `otherwise`.
    After {
        next: HashMap<i32, i64>,
        otherwise: i64,
    },
    /// A resume (`serve`): exactly these offsets in the log `of`
    /// (partitions not named from their first record). A position below
    /// the log's start or past its end, or another log, is [`HistoryGone`],
    /// never clamped into a partial read.
    At {
        next: HashMap<i32, i64>,
        of: LogIdentity,
    },
}

/// Why a resume cannot go on from its position, and where the log is now
/// (its end offsets and identity), for the reader to start again there.
#[derive(Debug)]
pub struct HistoryGone {
    pub reason: String,
    pub ends: HashMap<i32, i64>,
    pub now: LogIdentity,
}

impl std::fmt::Display for HistoryGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for HistoryGone {}

/// What to catch up on: `topic` from `from`, the events whose channel
/// (rendered with `template`) falls under `subs`.
pub struct WindowPlan {
    pub settings: KafkaSettings,
    pub topic: String,
    pub from: WindowStart,
    pub subs: Subscriptions,
    pub template: ChannelTemplate,
    /// Attach each full event (--fetch).
    pub fetch: bool,
}

/// Starts window reads: the catch-up window, and each gap to fill.
pub struct WindowReader {
    pub settings: KafkaSettings,
    pub topic: String,
    pub subs: Subscriptions,
    pub template: ChannelTemplate,
    pub fetch: bool,
    /// Set when tail ends: a read in progress stops.
    pub stop: Arc<AtomicBool>,
}

/// A window being read: its notifications, then its seam.
pub type Reading = (
    mpsc::Receiver<Received>,
    tokio::task::JoinHandle<Result<Seam>>,
);

impl WindowReader {
    /// Read the window from `from` on a blocking thread.
    pub fn spawn(&self, from: WindowStart) -> Reading {
        let (tx, rx) = mpsc::channel(4096);
        let window = WindowPlan {
            settings: self.settings.clone(),
            topic: self.topic.clone(),
            from,
            subs: self.subs.clone(),
            template: self.template.clone(),
            fetch: self.fetch,
        };
        let stop = self.stop.clone();
        (
            rx,
            tokio::task::spawn_blocking(move || read(&window, tx, &stop)),
        )
    }
}

impl WindowReader {
    /// [`WindowReader::spawn`], and the window's spans once it is planned.
    pub fn spawn_planned(
        &self,
        from: WindowStart,
    ) -> (Reading, tokio::sync::oneshot::Receiver<Spans>) {
        let (tx, rx) = mpsc::channel(4096);
        let (told, spans) = tokio::sync::oneshot::channel();
        let window = WindowPlan {
            settings: self.settings.clone(),
            topic: self.topic.clone(),
            from,
            subs: self.subs.clone(),
            template: self.template.clone(),
            fetch: self.fetch,
        };
        let stop = self.stop.clone();
        let reading =
            tokio::task::spawn_blocking(move || read_planned(&window, tx, &stop, Some(told)));
        ((rx, reading), spans)
    }
}

/// How long `--fill-gaps` waits at start for Kafka to show the topic.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Make sure `topic` can be read before tail relies on it to fill gaps: a
/// wrong topic or an unreachable broker fails the run now (exit 4), not
/// in the middle of the first gap, after minutes of following Redis.
pub fn check(settings: &KafkaSettings, topic: &str) -> Result<()> {
    let consumer = config::consumer(settings, None)?;
    admin::partitions(&consumer, settings, topic, CHECK_TIMEOUT).map(|_| ())
}

/// How long after a resubscription a gap's end offsets are taken: longer
/// than a publisher's notifier waits before it reconnects (500 ms).
pub const GAP_SETTLE: Duration = Duration::from_secs(1);

/// Read the window up to the end offsets taken now (a gap's: after
/// [`GAP_SETTLE`]), sending a notification
/// for each matching event; returns those end offsets, the seam.
pub fn read(w: &WindowPlan, tx: mpsc::Sender<Received>, stop: &AtomicBool) -> Result<Seam> {
    read_planned(w, tx, stop, None)
}

/// Where a window starts and ends in each partition, `(start, end)`, as
/// soon as it is planned (before any record is read).
pub type Spans = HashMap<i32, (i64, i64)>;

/// [`read`], telling `planned` the window's spans before reading them.
pub fn read_planned(
    w: &WindowPlan,
    tx: mpsc::Sender<Received>,
    stop: &AtomicBool,
    planned: Option<tokio::sync::oneshot::Sender<Spans>>,
) -> Result<Seam> {
    let (settings, topic, subs, template, fetch) =
        (&w.settings, w.topic.as_str(), &w.subs, &w.template, w.fetch);
    let (since, next) = match &w.from {
        WindowStart::Time(t) => (*t, None),
        WindowStart::After { next, otherwise } => (*otherwise, Some(next)),
        WindowStart::At { .. } => (0, None),
    };
    if next.is_some() {
        // Publishers lost Redis too, and may take a moment longer than tail
        // to be back: what they acknowledge until then is never notified.
        // End offsets taken after a pause cover it.
        let until = std::time::Instant::now() + GAP_SETTLE;
        while std::time::Instant::now() < until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let consumer = config::consumer(settings, None)?;
    // A gap's window is read mid-run, when a refusing broker is most
    // likely restarting: it gets the whole timeout. --catch-up's, at start,
    // fails fast like every command's first connection.
    let partitions = match next {
        Some(_) => admin::partitions_patiently(&consumer, settings, topic, KAFKA_TIMEOUT)?,
        None => admin::partitions(&consumer, settings, topic, KAFKA_TIMEOUT)?,
    };
    let mut plan = read::plan(
        &consumer,
        topic,
        &partitions,
        match w.from {
            WindowStart::At { .. } => Start::Beginning,
            _ => Start::Time(since),
        },
        Stop::default(),
        KAFKA_TIMEOUT,
    )?;
    for (p, planned) in &mut plan {
        if let Some(&offset) = next.and_then(|n| n.get(p)) {
            planned.start = offset.clamp(planned.low, planned.high);
        }
    }
    if let WindowStart::At { next, of } = &w.from {
        exactly(&consumer, topic, &mut plan, next, of)?;
    }
    let mut seam = Seam {
        topic: topic.to_string(),
        ranges: plan
            .iter()
            .map(|(&p, planned)| (p, vec![SeamRange::new(planned.start, planned.high)]))
            .collect(),
        ..Seam::default()
    };
    if let Some(told) = planned {
        let _ = told.send(
            plan.iter()
                .map(|(&p, pl)| (p, (pl.start, pl.high)))
                .collect(),
        );
    }
    let spans: Vec<read::Span> = plan.iter().map(|(&p, planned)| planned.span(p)).collect();
    let mut unroutable = 0;
    read::read_spans(
        &consumer,
        topic,
        &spans,
        stop,
        (Some(KAFKA_TIMEOUT), false),
        |polled| {
            let Polled::Record(m) = polled else {
                return Ok(Flow::Continue);
            };
            let Some(event) = record::record_event(m) else {
                unroutable += 1;
                return Ok(Flow::Continue);
            };
            let (channel, note) =
                event::notification(template, &event, topic, Some((m.partition(), m.offset())));
            let Some(pattern) = subs.matching(channel.as_bytes()) else {
                return Ok(Flow::Continue);
            };
            let incoming = Received {
                received_at: jiff::Timestamp::now(),
                channel: channel.into_bytes(),
                pattern: pattern.map(String::into_bytes),
                payload: note.into_bytes(),
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
    seam.read_at = Some(jiff::Timestamp::now());
    Ok(seam)
}

/// Start each partition exactly at `next` in the log `of`: fails with
/// [`HistoryGone`] when the log is another one now, or a position lies
/// below its partition's first offset (deleted by retention or by hand)
/// or past its end (a log re-created and refilled).
fn exactly(
    consumer: &crate::kafka::Consumer,
    topic: &str,
    plan: &mut std::collections::BTreeMap<i32, read::Planned>,
    next: &HashMap<i32, i64>,
    of: &LogIdentity,
) -> Result<()> {
    let now = identity::identity(consumer, topic, KAFKA_TIMEOUT)?;
    let ends = || plan.iter().map(|(&p, pl)| (p, pl.high)).collect();
    let gone = |reason: String| -> anyhow::Error {
        HistoryGone {
            reason,
            ends: ends(),
            now: now.clone(),
        }
        .into()
    };
    if now.cluster != of.cluster {
        return Err(gone(format!(
            "the position belongs to another Kafka cluster ({}, this is {})",
            of.cluster, now.cluster
        )));
    }
    if now.topic != of.topic {
        return Err(gone(format!(
            "topic {topic} was deleted and re-created since the position was taken"
        )));
    }
    if let Some(p) = next.keys().find(|p| !plan.contains_key(p)) {
        return Err(gone(format!("topic {topic} has no partition {p} any more")));
    }
    for (p, planned) in plan.iter() {
        let at = next.get(p).copied().unwrap_or(planned.low);
        if at < planned.low {
            return Err(gone(format!(
                "history gone: partition {p} starts at offset {}, the position is at {at}",
                planned.low
            )));
        }
        if at > planned.high {
            return Err(gone(format!(
                "partition {p} ends at offset {}, before the position ({at})",
                planned.high
            )));
        }
    }
    for (p, planned) in plan.iter_mut() {
        planned.start = next.get(p).copied().unwrap_or(planned.low);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::coordinates;

    impl Seam {
        fn covers_now(&mut self, payload: &[u8]) -> bool {
            self.covers_on(b"events:repo:a", payload)
        }

        fn covers_on(&mut self, channel: &[u8], payload: &[u8]) -> bool {
            self.covers(
                coordinates(payload).as_ref(),
                channel,
                jiff::Timestamp::now(),
            )
        }

        /// The ranges, per partition.
        fn spans(&self) -> HashMap<i32, Vec<(i64, i64)>> {
            self.ranges
                .iter()
                .map(|(&p, r)| (p, r.iter().map(|r| (r.start, r.end)).collect()))
                .collect()
        }
    }

    /// The seam of a window of "events" read at `read_at`.
    fn seam_of(read_at: jiff::Timestamp, ranges: &[(i32, (i64, i64))]) -> Seam {
        Seam {
            topic: "events".into(),
            ranges: ranges
                .iter()
                .map(|&(p, (start, end))| (p, vec![SeamRange::new(start, end)]))
                .collect(),
            unroutable: 0,
            read_at: Some(read_at),
        }
    }

    fn note(t: &str, p: i32, o: i64) -> Vec<u8> {
        format!(r#"{{"id":"x","topic":"{t}","partition":{p},"offset":{o}}}"#).into_bytes()
    }

    #[test]
    fn a_later_window_widens_open_ranges() {
        let now = jiff::Timestamp::now();
        let mut first = seam_of(now, &[(0, (60, 198)), (1, (10, 20))]);
        first.unroutable = 1;
        let mut later = seam_of(now, &[(0, (198, 250)), (2, (5, 9))]);
        later.unroutable = 2;
        first.merge(later);
        assert_eq!(
            first.spans(),
            HashMap::from([(0, vec![(60, 250)]), (1, vec![(10, 20)]), (2, vec![(5, 9)])])
        );
        assert_eq!(first.unroutable, 3);
        // The original of a record the first window printed, arriving after
        // the second window was read, is still a duplicate.
        assert!(first.covers_now(&note("events", 0, 170)));
        // A seam no original can reach any more is not widened.
        let mut old = seam_of(now - jiff::SignedDuration::from_secs(11), &[(0, (0, 10))]);
        old.merge(seam_of(now, &[(0, (10, 20))]));
        assert_eq!(old.spans(), HashMap::from([(0, vec![(10, 20)])]));
    }

    #[test]
    fn seam_covers_the_window_of_its_topic_until_the_stream_passes_it() {
        let now = jiff::Timestamp::now();
        let mut seam = seam_of(now, &[(0, (5, 10)), (1, (0, 0))]);
        assert!(seam.covers_now(&note("events", 0, 9)));
        assert!(seam.covers_now(&note("events", 0, 5)));
        assert!(!seam.covers_now(&note("events", 0, 4)), "below the window");
        assert!(!seam.covers_now(&note("other", 0, 7)));
        assert!(!seam.covers_now(b"not json"));
        assert!(!seam.covers_now(&note("events", 1, 0)));
        // Once the live stream is past the end, what comes back is a re-send.
        assert!(!seam.covers_now(&note("events", 0, 10)));
        assert!(!seam.covers_now(&note("events", 0, 7)));
        // And after a while, whatever comes.
        let mut late = seam_of(now - jiff::SignedDuration::from_secs(11), &[(0, (0, 10))]);
        let place = coordinates(&note("events", 0, 3));
        let a = b"events:repo:a";
        assert!(!late.covers(place.as_ref(), a, now));
        // What arrived in time counts, however late it is printed.
        assert!(late.covers(place.as_ref(), a, now - jiff::SignedDuration::from_secs(5)));
    }

    /// One partition carries the events of several channels, and their
    /// notifications come on different connections (sharded: from
    /// different masters), so one channel's notification past the end can
    /// arrive before another channel's original inside the window. Only
    /// that channel is past the seam; the others' originals are still
    /// dropped until they pass it too.
    #[test]
    fn one_channel_past_the_end_leaves_the_seam_open_on_the_others() {
        let mut seam = seam_of(jiff::Timestamp::now(), &[(0, (10, 20))]);
        let (k0, k1, k2) = (b"events:seq:k0", b"events:seq:k1", b"events:seq:k2");
        assert!(seam.covers_on(k2, &note("events", 0, 18)));
        // k2's first event after the window, on k2's master's connection…
        assert!(!seam.covers_on(k2, &note("events", 0, 20)));
        // …before k0's original of an event the window printed, on k0's.
        assert!(seam.covers_on(k0, &note("events", 0, 19)), "printed twice");
        // k2's own range is closed: what comes on it now is a re-send.
        assert!(!seam.covers_on(k2, &note("events", 0, 15)));
        assert!(!seam.covers_on(k0, &note("events", 0, 21)));
        assert!(!seam.covers_on(k0, &note("events", 0, 19)), "a re-send");
        // A later window (a gap, its fill from 25 on): its range is open
        // for every channel, and the first one's still holds for k1.
        seam.merge(seam_of(jiff::Timestamp::now(), &[(0, (25, 30))]));
        assert_eq!(seam.spans(), HashMap::from([(0, vec![(10, 20), (25, 30)])]));
        assert!(seam.covers_on(k2, &note("events", 0, 26)));
        assert!(seam.covers_on(k0, &note("events", 0, 27)));
        assert!(seam.covers_on(k1, &note("events", 0, 12)));
        // Between the two, the stream went past 20 to 24 before the gap:
        // an original of k1 from there, late on its connection, was never
        // printed from Kafka.
        assert!(!seam.covers_on(k1, &note("events", 0, 23)), "never printed");
    }

    #[test]
    fn gaps_in_a_row_keep_a_bounded_number_of_ranges() {
        let now = jiff::Timestamp::now();
        let mut all = seam_of(now, &[(0, (0, 10))]);
        for i in 1..100 {
            // Each time the stream went past the last range, then a gap.
            assert!(!all.covers_on(b"c", &note("events", 0, i * 10 + 5)));
            all.merge(seam_of(now, &[(0, (i * 10 + 6, i * 10 + 10))]));
        }
        assert_eq!(all.ranges[&0].len(), MOST_RANGES);
        assert!(all.covers_on(b"c", &note("events", 0, 997)));
    }
}
