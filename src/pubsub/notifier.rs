//! The one notifier: every Redis publish of dualstream goes through it.
//! Notifications are published in pipelines on a task of its own, so a slow
//! or dead Redis never holds up Kafka. Two modes:
//!
//! * best effort (`publish`): past a bound, notifications are dropped and
//!   counted; a failure is warned about once and counted, never fatal;
//! * required (`replay --to-redis`): the sender waits for room instead of
//!   dropping, and the first failure is kept for the caller to stop on.
//!
//! With a rate, pipelines are paced so that no more than rate × elapsed
//! notifications have left.
//!
//! Where a pipeline goes is a side of its own: [`classic`] PUBLISHes it at
//! any node (a cluster's bus carries it everywhere); [`sharded`]
//! (`--sharded`) SPUBLISHes each notification at its channel's slot owner,
//! one pipeline per owner, routed by [`super::slots`], following MOVED and
//! ASK per command.

mod classic;
mod link;
mod sharded;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use self::classic::{Classic, Fate};
use self::sharded::Shards;
use super::notes::Notes;
use super::target::Target;
use super::Warn;
use crate::error::{fail, Code};

/// Hears of every notification that was not published (failed, dropped,
/// skipped while Redis was down), for a caller that repairs them.
pub type Lost = Box<dyn FnMut(&Notes) + Send>;

/// Whether a failure to notify is the caller's failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    BestEffort,
    Required,
}

/// What the notifier did, read by the summary.
#[derive(Debug, Default, Clone)]
pub struct NotifyStats {
    pub notified: u64,
    pub failed: u64,
    pub first_error: Option<String>,
}

impl NotifyStats {
    /// Notifications not published, as the error that ends a run where
    /// Redis is required (exit 5).
    pub fn error(&self) -> Option<anyhow::Error> {
        (self.failed > 0).then(|| {
            fail(
                Code::Redis,
                format!(
                    "redis: {} of {} notifications not published ({})",
                    self.failed,
                    self.failed + self.notified,
                    self.first_error.as_deref().unwrap_or("unknown error")
                ),
            )
        })
    }
}

/// State shared between the sender and the publishing task.
struct Shared {
    /// Notifications handed over and not yet published (or failed).
    pending: AtomicUsize,
    /// Signalled whenever `pending` goes down.
    room: Notify,
    first_error: Mutex<Option<String>>,
    /// Notifications Redis took. Required: in hand-over order, with nothing
    /// published after the first failure, so the first `notified` handed
    /// over are exactly the ones published.
    notified: AtomicU64,
    /// Told of what was not published.
    lost: Mutex<Option<Lost>>,
}

impl Shared {
    fn lost(&self, batch: &Notes) {
        if batch.is_empty() {
            return;
        }
        if let Ok(mut hook) = self.lost.lock() {
            if let Some(hook) = hook.as_mut() {
                hook(batch);
            }
        }
    }
}

/// Publisher of notification batches.
pub struct Notifier {
    tx: mpsc::UnboundedSender<Notes>,
    task: JoinHandle<NotifyStats>,
    shared: Arc<Shared>,
    mode: Mode,
    /// Most notifications pending before `send` drops (best effort) or waits.
    bound: usize,
    /// Notifications dropped because too many were pending (Redis too slow).
    dropped: u64,
}

/// Notifications the best-effort notifier may hold before it drops. Bounded
/// by count, not by batches: publish hands over small batches when acks
/// trickle in and big ones under load. A required notifier holds at most two
/// pipelines, so its caller (replay) never reads far ahead of what Redis took.
const MAX_PENDING: usize = 200_000;
/// Most notifications in one pipeline: queued batches are merged up to this.
const PIPELINE: usize = 5_000;
/// After a failure, batches within this time are counted as failed without a
/// new connection attempt, so a dead Redis costs nothing per batch.
const RETRY_AFTER: Duration = Duration::from_millis(500);

impl Notifier {
    /// Start the notifier. `warn` is called once, on the first failure, with
    /// a message naming the (password-free) address. `rate`: most
    /// notifications a second.
    pub fn spawn(target: &Target, mode: Mode, rate: Option<f64>, warn: Warn) -> Notifier {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            pending: AtomicUsize::new(0),
            room: Notify::new(),
            first_error: Mutex::new(None),
            notified: AtomicU64::new(0),
            lost: Mutex::new(None),
        });
        let rate = rate.filter(|r| *r > 0.0 && r.is_finite());
        let most = pipeline_size(rate);
        let bound = match mode {
            Mode::BestEffort => MAX_PENDING,
            Mode::Required => most * 2,
        };
        let task = tokio::spawn(run(target.clone(), rx, shared.clone(), rate, mode, warn));
        Notifier {
            tx,
            task,
            shared,
            mode,
            bound,
            dropped: 0,
        }
    }

    /// From now on, `hook` hears of each notification not published (except
    /// those still queued when [`Notifier::finish`] gives up: counted only).
    pub fn on_lost(&self, hook: Lost) {
        if let Ok(mut lost) = self.shared.lost.lock() {
            *lost = Some(hook);
        }
    }

    /// Hand over a batch. Best effort never waits: past the bound the batch
    /// is dropped (counted). Required waits for room.
    pub async fn send(&mut self, batch: Notes) {
        let n = batch.len();
        if n == 0 {
            return;
        }
        loop {
            // Register for a wake-up before looking, so none is missed.
            let room = self.shared.room.notified();
            let pending = self.shared.pending.load(Ordering::Relaxed);
            if pending == 0 || pending + n <= self.bound {
                break;
            }
            if self.mode == Mode::BestEffort || self.tx.is_closed() {
                self.dropped += n as u64;
                self.shared.lost(&batch);
                return;
            }
            room.await;
        }
        self.shared.pending.fetch_add(n, Ordering::Relaxed);
        if let Err(mpsc::error::SendError(batch)) = self.tx.send(batch) {
            self.shared.pending.fetch_sub(n, Ordering::Relaxed);
            self.dropped += n as u64;
            self.shared.lost(&batch);
        }
    }

    /// How many notifications Redis has taken so far.
    pub fn notified(&self) -> u64 {
        self.shared.notified.load(Ordering::Acquire)
    }

    /// Wait until Redis has taken `count` notifications in all, or one failed.
    pub async fn published(&self, count: u64) {
        loop {
            // Register for a wake-up before looking, so none is missed.
            let progress = self.shared.room.notified();
            if self.notified() >= count || self.failure().is_some() || self.task.is_finished() {
                return;
            }
            progress.await;
        }
    }

    /// The first failure so far, if any (required mode stops on it).
    pub fn failure(&self) -> Option<String> {
        self.shared.first_error.lock().ok().and_then(|e| e.clone())
    }

    /// The first failure so far as the error that stops a run where Redis
    /// is required (exit 5).
    pub fn error(&self) -> Option<anyhow::Error> {
        self.failure()
            .map(|e| fail(Code::Redis, format!("redis: publishing: {e}")))
    }

    /// Publish what is queued, waiting at most `grace`; whatever is left then
    /// counts as failed.
    pub async fn finish(self, grace: Duration) -> NotifyStats {
        let Notifier {
            tx,
            task,
            dropped,
            shared,
            ..
        } = self;
        drop(tx);
        let abort = task.abort_handle();
        let mut stats = match tokio::time::timeout(grace, task).await {
            Ok(Ok(stats)) => stats,
            _ => {
                abort.abort();
                let first = shared.first_error.lock().ok().and_then(|e| e.clone());
                NotifyStats {
                    notified: shared.notified.load(Ordering::Acquire),
                    failed: shared.pending.load(Ordering::Relaxed) as u64,
                    first_error: Some(first.unwrap_or_else(|| {
                        format!("redis did not finish within {}s", grace.as_secs())
                    })),
                }
            }
        };
        if dropped > 0 {
            stats.failed += dropped;
            stats
                .first_error
                .get_or_insert_with(|| "redis too slow: notifications dropped".to_string());
        }
        stats
    }
}

async fn run(
    target: Target,
    mut rx: mpsc::UnboundedReceiver<Notes>,
    shared: Arc<Shared>,
    rate: Option<f64>,
    mode: Mode,
    warn: Warn,
) -> NotifyStats {
    let mut stats = NotifyStats::default();
    let mut retry_at = Instant::now();
    let started = Instant::now();
    let most = pipeline_size(rate);
    let mut queued = Notes::new();
    let mut classic = Classic::new();
    let mut shards = Shards::new();
    loop {
        if queued.is_empty() {
            match rx.recv().await {
                Some(batch) => queued = batch,
                None => break,
            }
        }
        // Merge what else is waiting, up to one pipeline.
        while queued.len() < most {
            match rx.try_recv() {
                Ok(more) => queued.append(&more),
                Err(_) => break,
            }
        }
        let rest = queued.split_off(most);
        let batch = std::mem::replace(&mut queued, rest);
        let n = batch.len() as u64;
        let _done = Done(&shared, batch.len());
        if mode == Mode::Required && stats.first_error.is_some() {
            // Nothing after a failure: what was published stays a prefix.
            stats.failed += n;
            shared.lost(&batch);
            continue;
        }
        if let Some(rate) = rate {
            // Never ahead of rate × elapsed.
            let due =
                Duration::try_from_secs_f64((stats.notified + stats.failed + n) as f64 / rate)
                    .unwrap_or(Duration::MAX);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        if target.sharded() {
            if Instant::now() < retry_at {
                stats.failed += n;
                shared.lost(&batch);
                continue;
            }
            let (done, error, unreachable) = shards.publish(&target, &batch).await;
            // Required: only the run of published notifications from the
            // start counts (what the caller confirms is a prefix); one a
            // later owner took after a failed one counts as failed.
            let took = match mode {
                Mode::BestEffort => done.iter().filter(|d| **d).count(),
                Mode::Required => done.iter().take_while(|d| **d).count(),
            } as u64;
            stats.notified += took;
            stats.failed += n - took;
            if took < n {
                let not_taken = match mode {
                    Mode::BestEffort => batch.pick((0..batch.len()).filter(|&i| !done[i])),
                    Mode::Required => batch.skip(took as usize),
                };
                shared.lost(&not_taken);
            }
            shared.notified.fetch_add(took, Ordering::Release);
            if let Some((at, error)) = error {
                failed(&mut stats, &shared, mode, &warn, &at, &error);
                if unreachable {
                    // No node answered: no new attempt for a moment.
                    retry_at = Instant::now() + RETRY_AFTER;
                }
            }
            continue;
        }
        let may_connect = Instant::now() >= retry_at;
        match classic
            .publish(&target, &batch, may_connect, stats.failed > 0)
            .await
        {
            Fate::Taken => {
                stats.notified += n;
                shared.notified.fetch_add(n, Ordering::Release);
            }
            Fate::Skipped => {
                stats.failed += n;
                shared.lost(&batch);
            }
            Fate::Failed {
                answered,
                refused,
                at,
                error,
                pause,
            } => {
                // Required: only the run taken from the start counts (what
                // the caller confirms is a prefix).
                let not_taken = match mode {
                    Mode::BestEffort => batch.pick(
                        refused
                            .iter()
                            .copied()
                            .chain(answered.min(batch.len())..batch.len()),
                    ),
                    Mode::Required => batch.skip(refused.first().copied().unwrap_or(answered)),
                };
                let took = n - not_taken.len() as u64;
                stats.notified += took;
                stats.failed += n - took;
                shared.notified.fetch_add(took, Ordering::Release);
                shared.lost(&not_taken);
                failed(&mut stats, &shared, mode, &warn, &at, &error);
                retry_at = Instant::now() + if pause { RETRY_AFTER } else { Duration::ZERO };
            }
        }
    }
    stats
}

/// Most notifications in one pipeline: paced, about 10 ms worth.
fn pipeline_size(rate: Option<f64>) -> usize {
    match rate {
        Some(r) => ((r / 100.0) as usize).clamp(1, PIPELINE),
        None => PIPELINE,
    }
}

/// Takes a pipeline's notifications off the pending count however it ends.
struct Done<'a>(&'a Shared, usize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(self.1, Ordering::Relaxed);
        self.0.room.notify_waiters();
    }
}

/// Keep the first failure (and warn of it, best effort).
fn failed(
    stats: &mut NotifyStats,
    shared: &Shared,
    mode: Mode,
    warn: &Warn,
    shown_url: &str,
    error: &str,
) {
    let error = &super::url::reworded(error.to_string());
    if stats.first_error.is_none() {
        if mode == Mode::BestEffort {
            warn(&format!(
                "redis: {error} at {shown_url}; notifications that cannot be sent are counted as failed (the summary says how many), Kafka publishing continues"
            ));
        }
        let first = format!("{error} at {shown_url}");
        if let Ok(mut e) = shared.first_error.lock() {
            *e = Some(first.clone());
        }
        stats.first_error = Some(first);
    }
}
