//! The Kafka side of `tail --catch-up`: reading the window into the
//! notifications publish sent (or would have sent) for it, and the end
//! offsets that make the seam with the live stream exact.
//!
//! The seam: tail subscribes first, then takes the end offsets E of every
//! partition, reads Kafka from the window's start up to E, and only then
//! prints what Redis delivered meanwhile, skipping notifications whose offset
//! lies in the range Kafka printed (see [`Seam`]). An event acknowledged
//! before E was taken is below E; one acknowledged after is at or above E and
//! its notification was published after the subscription, so it is live. No
//! gap, no duplicate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::kafka::Message;
use anyhow::Result;
use tokio::sync::mpsc;

use crate::event::{self, ChannelTemplate};
use crate::kafka::read::{self, Flow, Polled, Start, Stop};
use crate::kafka::{admin, config, record, KafkaSettings};
use crate::output::records::Received;
use crate::pubsub::Subscriptions;

/// How long Kafka may take to answer while the window is read.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(30);

/// The seam: per partition, the offsets `[start, end)` the window printed
/// from Kafka, `end` taken right after subscribing.
///
/// A live notification inside that range is the original notification of
/// an event the window already printed, and is dropped — but only while it
/// can be one. Notifications of one partition are published in offset
/// order, so once a live one at or past `end` arrived, anything in the range
/// that comes later is a re-send (`replay --to-redis`) and is printed; the
/// same after [`SEAM_OPEN`] without one. Notifications below `start` were
/// never printed from Kafka and always pass.
#[derive(Debug, Default)]
pub struct Seam {
    pub topic: String,
    pub ranges: HashMap<i32, (i64, i64)>,
    /// Records in the window that carried no routable id/type/source.
    pub unroutable: u64,
    /// When the window was read.
    pub read_at: Option<jiff::Timestamp>,
}

/// How long after the window was read a late original notification can
/// still arrive (the publisher notifies after each acknowledgement, within
/// milliseconds; this leaves room for a slow Redis).
const SEAM_OPEN: Duration = Duration::from_secs(10);

impl Seam {
    /// Take in the seam of a later window (a gap filled), and restart the
    /// clock. A range still open is widened, not replaced: the originals of
    /// what the earlier window printed may still be on their way (a record
    /// is readable in Kafka before its publisher has the acknowledgement and
    /// notifies), and must still be dropped when they come.
    pub fn merge(&mut self, later: Seam) {
        for (p, (start, end)) in later.ranges {
            let range = self.ranges.entry(p).or_insert((start, end));
            *range = (range.0.min(start), range.1.max(end));
        }
        self.unroutable += later.unroutable;
        self.read_at = later.read_at;
    }

    /// Was this live notification, received at `received`, already printed
    /// from Kafka? Learns from every notification it sees. The clock is the
    /// message's arrival, not its printing: a slow output must not turn
    /// originals queued during catch-up into "late" ones.
    pub fn covers(
        &mut self,
        place: Option<&(String, i32, i64)>,
        received: jiff::Timestamp,
    ) -> bool {
        let Some(&(ref topic, partition, offset)) = place else {
            return false;
        };
        if *topic != self.topic {
            return false;
        }
        let Some(&(start, end)) = self.ranges.get(&partition) else {
            return false;
        };
        if offset >= end {
            // Past the seam on this partition: the range is closed.
            self.ranges.remove(&partition);
            return false;
        }
        let open = self.read_at.is_none_or(|at| {
            received.duration_since(at)
                < jiff::SignedDuration::try_from(SEAM_OPEN).unwrap_or_default()
        });
        open && offset >= start
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
}

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
const GAP_SETTLE: Duration = Duration::from_secs(1);

/// Read the window up to the end offsets taken now (a gap's: after
/// [`GAP_SETTLE`]), sending a notification
/// for each matching event; returns those end offsets, the seam.
pub fn read(w: &WindowPlan, tx: mpsc::Sender<Received>, stop: &AtomicBool) -> Result<Seam> {
    let (settings, topic, subs, template, fetch) =
        (&w.settings, w.topic.as_str(), &w.subs, &w.template, w.fetch);
    let (since, next) = match &w.from {
        WindowStart::Time(t) => (*t, None),
        WindowStart::After { next, otherwise } => (*otherwise, Some(next)),
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
        Start::Time(since),
        Stop::default(),
        KAFKA_TIMEOUT,
    )?;
    for (p, planned) in &mut plan {
        if let Some(&offset) = next.and_then(|n| n.get(p)) {
            planned.start = offset.clamp(planned.low, planned.high);
        }
    }
    let mut seam = Seam {
        topic: topic.to_string(),
        ranges: plan
            .iter()
            .map(|(&p, planned)| (p, (planned.start, planned.high)))
            .collect(),
        ..Seam::default()
    };
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
                event::notification(template, &event, topic, m.partition(), m.offset());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::coordinates;

    impl Seam {
        fn covers_now(&mut self, payload: &[u8]) -> bool {
            self.covers(coordinates(payload).as_ref(), jiff::Timestamp::now())
        }
    }

    fn note(t: &str, p: i32, o: i64) -> Vec<u8> {
        format!(r#"{{"id":"x","topic":"{t}","partition":{p},"offset":{o}}}"#).into_bytes()
    }

    #[test]
    fn a_later_window_widens_open_ranges() {
        let mut seam = Seam {
            topic: "events".into(),
            ranges: HashMap::from([(0, (60, 198)), (1, (10, 20))]),
            unroutable: 1,
            read_at: Some(jiff::Timestamp::now()),
        };
        seam.merge(Seam {
            topic: "events".into(),
            ranges: HashMap::from([(0, (198, 250)), (2, (5, 9))]),
            unroutable: 2,
            read_at: Some(jiff::Timestamp::now()),
        });
        assert_eq!(
            seam.ranges,
            HashMap::from([(0, (60, 250)), (1, (10, 20)), (2, (5, 9))])
        );
        assert_eq!(seam.unroutable, 3);
        // The original of a record the first window printed, arriving after
        // the second window was read, is still a duplicate.
        assert!(seam.covers_now(&note("events", 0, 170)));
    }

    #[test]
    fn seam_covers_the_window_of_its_topic_until_the_stream_passes_it() {
        let mut seam = Seam {
            topic: "events".into(),
            ranges: HashMap::from([(0, (5, 10)), (1, (0, 0))]),
            unroutable: 0,
            read_at: Some(jiff::Timestamp::now()),
        };
        let now = jiff::Timestamp::now();
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
        let mut late = Seam {
            topic: "events".into(),
            ranges: HashMap::from([(0, (0, 10))]),
            unroutable: 0,
            read_at: Some(now - jiff::SignedDuration::from_secs(11)),
        };
        let place = coordinates(&note("events", 0, 3));
        assert!(!late.covers(place.as_ref(), now));
        // What arrived in time counts, however late it is printed.
        assert!(late.covers(place.as_ref(), now - jiff::SignedDuration::from_secs(5)));
    }
}
