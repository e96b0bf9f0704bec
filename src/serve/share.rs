//! Resumes that share one Kafka read: a reconnect storm whose positions
//! lie before the recent frames in memory (a serve restarted, clients
//! long away) would open a Kafka read each. Instead, resumes that come
//! within [`GATHER`] of each other (and are of the hub's log, the same
//! partitions, not `?full=1`) are read together: one read from the oldest
//! position of each partition up to the end offsets taken after the last
//! of them joined the hub (so the seam holds for each), every record
//! handed to each whose position lies at or before it. Each gets its own
//! spans and seam, as its own read would give.
//!
//! Resumes share a read only when their positions lie within [`NEARBY`]
//! offsets of the first one's in every partition.
//!
//! Bounded: at most [`MOST_SHARING`] resumes per read, [`QUEUE`] records
//! waiting for each; one whose queue kept the read waiting [`STALL`] in
//! all is let go with an overflow and resumes with its last id, as a slow
//! live client is (so a slow one holds the others back a second at most). When
//! the read cannot go on from the oldest position (history gone, another
//! log), each resume reads on its own, which says exactly why for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::hub::Hub;
use crate::output::records::Received;
use crate::window::{HistoryGone, Seam, SeamRange, Spans, WindowStart};

/// How long a shared read waits for more resumes before it starts.
pub const GATHER: Duration = Duration::from_millis(100);
/// Resumes one read serves at most.
const MOST_SHARING: usize = 1024;
/// Records waiting for one resume.
const QUEUE: usize = 1024;
/// How long, in all, the read waits for one resume whose queue is full.
const STALL: Duration = Duration::from_secs(1);

/// How a shared read ended for one resume.
pub enum ShareEnd {
    /// Read up to its seam.
    Read(Seam),
    /// Not from the oldest position: read on your own, from where you are.
    Alone,
    /// Its full queue held the read [`STALL`] in all.
    Overflow,
    /// Kafka failed.
    Failed(anyhow::Error),
}

/// One resume's part of a shared read, as its session sees it.
pub struct Sharing {
    pub rx: mpsc::Receiver<Arc<Received>>,
    pub spans: oneshot::Receiver<Spans>,
    pub end: oneshot::Receiver<ShareEnd>,
}

/// A resume waiting in a shared read.
struct Sharer {
    next: Vec<i64>,
    /// Its records; none once it is finished.
    tx: Option<mpsc::Sender<Arc<Received>>>,
    spans: Option<oneshot::Sender<Spans>>,
    end: Option<oneshot::Sender<ShareEnd>>,
    /// How long its full queue held the read so far.
    stalled: Duration,
}

impl Sharer {
    /// Say how it ended, and close its records (its session reads what
    /// it has, then the end).
    fn finish(&mut self, how: ShareEnd) {
        self.tx = None;
        if let Some(end) = self.end.take() {
            let _ = end.send(how);
        }
    }

    /// Is it still served?
    fn served(&self) -> bool {
        self.tx.is_some() && self.end.is_some()
    }
}

/// The reads gathering resumes now.
#[derive(Default)]
pub struct Gathering {
    /// The last number given, and each open read's number (its timer
    /// starts only its own) and who waits in it.
    open: Mutex<(u64, OpenReads)>,
}

/// The reads gathering: each its number and who waits in it.
type OpenReads = Vec<(u64, Vec<Sharer>)>;

/// How far apart, in offsets of a partition, resumes may lie and share a
/// read: one far ahead would wait while the read goes through what lies
/// before it.
const NEARBY: i64 = 50_000;

/// Can `next` take part in a read that `first` opened?
fn near(first: &[i64], next: &[i64]) -> bool {
    first.len() == next.len()
        && first
            .iter()
            .zip(next)
            .all(|(&a, &b)| a.abs_diff(b) <= NEARBY.unsigned_abs())
}

impl Gathering {
    /// Take part in a read gathering now whose first resume lies near, or
    /// open one that starts after [`GATHER`]. `next` is the resume's
    /// position in the hub's log.
    pub fn join(self: &Arc<Self>, hub: &Arc<Hub>, next: Vec<i64>) -> Sharing {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (spans_tx, spans) = oneshot::channel();
        let (end_tx, end) = oneshot::channel();
        let sharer = Sharer {
            next,
            tx: Some(tx),
            spans: Some(spans_tx),
            end: Some(end_tx),
            stalled: Duration::ZERO,
        };
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let fits = open.1.iter_mut().find(|(_, v)| {
            v.len() < MOST_SHARING && v.first().is_some_and(|f| near(&f.next, &sharer.next))
        });
        if let Some((_, v)) = fits {
            v.push(sharer);
            return Sharing { rx, spans, end };
        }
        open.0 += 1;
        let number = open.0;
        open.1.push((number, vec![sharer]));
        let (hub, gathering) = (hub.clone(), self.clone());
        tokio::spawn(async move {
            tokio::time::sleep(GATHER).await;
            let taken = {
                let mut open = gathering.open.lock().unwrap_or_else(|e| e.into_inner());
                let at = open.1.iter().position(|(n, _)| *n == number);
                at.map(|i| open.1.swap_remove(i).1)
            };
            if let Some(sharers) = taken {
                read(hub, sharers).await;
            }
        });
        Sharing { rx, spans, end }
    }
}

/// Read Kafka once for `sharers`, from the oldest of their positions.
async fn read(hub: Arc<Hub>, mut sharers: Vec<Sharer>) {
    if sharers.is_empty() {
        return;
    }
    hub.metrics.resume_reads.fetch_add(1, Ordering::Relaxed);
    hub.metrics
        .resume_shared
        .fetch_add(sharers.len() as u64 - 1, Ordering::Relaxed);
    let width = sharers[0].next.len();
    let oldest: HashMap<i32, i64> = (0..width)
        .map(|p| {
            let o = sharers.iter().map(|s| s.next[p]).min().unwrap_or(0);
            (p as i32, o)
        })
        .collect();
    // serve's own patterns, no full events: each session filters its own.
    let reader = hub.reader(false);
    let stop: Arc<AtomicBool> = reader.stop.clone();
    let ((mut rx, done), planned) = reader.spawn_planned(WindowStart::At {
        next: oldest,
        of: hub.log.clone(),
    });
    // Each one's start per partition: its position, or (a partition its
    // position does not name) where the read starts.
    let mut starts: Vec<HashMap<i32, i64>> = Vec::new();
    if let Ok(spans) = planned.await {
        for s in &mut sharers {
            let past = spans.iter().any(|(&p, &(_, high))| {
                usize::try_from(p).is_ok_and(|p| s.next.get(p).is_some_and(|&n| n > high))
            });
            if past {
                // Its position lies past the log's end: its own read says so.
                s.finish(ShareEnd::Alone);
            }
            let mine: Spans = spans
                .iter()
                .map(|(&p, &(start, high))| {
                    let at = usize::try_from(p)
                        .ok()
                        .and_then(|i| s.next.get(i).copied())
                        .unwrap_or(start);
                    (p, (at, high))
                })
                .collect();
            if let Some(told) = s.spans.take() {
                let _ = told.send(mine.clone());
            }
            starts.push(mine.iter().map(|(&p, &(at, _))| (p, at)).collect());
        }
    }
    while let Some(r) = rx.recv().await {
        let Some((_, p, o)) = crate::event::coordinates(&r.payload) else {
            continue;
        };
        let r = Arc::new(r);
        let mut full = Vec::new();
        for (i, s) in sharers.iter_mut().enumerate() {
            let wants = starts
                .get(i)
                .and_then(|m| m.get(&p))
                .is_some_and(|&at| o >= at);
            let Some(tx) = s.tx.as_ref().filter(|_| wants && s.end.is_some()) else {
                continue;
            };
            match tx.try_send(r.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => full.push(i),
                // Gone: the client left.
                Err(mpsc::error::TrySendError::Closed(_)) => s.finish(ShareEnd::Alone),
            }
        }
        if !full.is_empty() {
            let waits = full.iter().filter_map(|&i| {
                let s = &sharers[i];
                let (tx, left) = (s.tx.clone()?, STALL.saturating_sub(s.stalled));
                let r = r.clone();
                Some(async move {
                    let began = tokio::time::Instant::now();
                    let sent = tokio::time::timeout(left, tx.send(r)).await;
                    (i, sent, began.elapsed())
                })
            });
            for (i, sent, waited) in futures::future::join_all(waits).await {
                sharers[i].stalled += waited;
                match sent {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => sharers[i].finish(ShareEnd::Alone),
                    Err(_) => {
                        hub.metrics.overflows.fetch_add(1, Ordering::Relaxed);
                        sharers[i].finish(ShareEnd::Overflow);
                    }
                }
            }
        }
        if !sharers.iter().any(Sharer::served) {
            stop.store(true, Ordering::SeqCst);
        }
    }
    let result = match done.await {
        Ok(r) => r,
        Err(e) => Err(anyhow::anyhow!("the read of history stopped: {e}")),
    };
    match result {
        Ok(seam) => {
            for (i, s) in sharers.iter_mut().enumerate() {
                let ranges = seam
                    .ranges
                    .iter()
                    .map(|(&p, r)| {
                        let end = r.iter().map(|r| r.end).max().unwrap_or(0);
                        let at = starts
                            .get(i)
                            .and_then(|m| m.get(&p))
                            .copied()
                            .unwrap_or(end);
                        (p, vec![SeamRange::new(at.min(end), end)])
                    })
                    .collect();
                s.finish(ShareEnd::Read(Seam {
                    topic: seam.topic.clone(),
                    ranges,
                    unroutable: 0,
                    read_at: seam.read_at,
                }));
            }
        }
        Err(e) if e.downcast_ref::<HistoryGone>().is_some() => {
            for s in &mut sharers {
                s.finish(ShareEnd::Alone);
            }
        }
        Err(e) => {
            let why = format!("{e:#}");
            for s in &mut sharers {
                s.finish(ShareEnd::Failed(anyhow::anyhow!("{why}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_share_a_read_only_when_near_in_every_partition() {
        assert!(near(&[10, 20], &[10, 20]));
        assert!(near(&[10, 20], &[10 + NEARBY, 0]));
        assert!(!near(&[10, 20], &[11 + NEARBY, 20]), "far ahead");
        assert!(!near(&[NEARBY + 1, 20], &[0, 20]), "far behind");
        assert!(!near(&[10, 20], &[10, 20, 0]), "other partitions");
    }
}
