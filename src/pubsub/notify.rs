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
//! Classic mode PUBLISHes a pipeline at any node (a cluster's bus carries
//! it everywhere). Sharded mode (`--sharded`) SPUBLISHes each notification
//! at its channel's slot owner, one pipeline per owner, from a slot map it
//! keeps, following MOVED and ASK per command.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use super::cluster::{key_slot, slot_map, SlotMap};
use super::{Node, Target, Warn};

/// One notification: the channel and the JSON text to publish on it.
pub type Note = (String, String);

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
}

/// Publisher of notification batches.
pub struct Notifier {
    tx: mpsc::UnboundedSender<Vec<Note>>,
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
/// How long one pipeline may take before it counts as failed.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
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

    /// Hand over a batch. Best effort never waits: past the bound the batch
    /// is dropped (counted). Required waits for room.
    pub async fn send(&mut self, batch: Vec<Note>) {
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
                return;
            }
            room.await;
        }
        self.shared.pending.fetch_add(n, Ordering::Relaxed);
        if self.tx.send(batch).is_err() {
            self.shared.pending.fetch_sub(n, Ordering::Relaxed);
            self.dropped += n as u64;
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
    mut rx: mpsc::UnboundedReceiver<Vec<Note>>,
    shared: Arc<Shared>,
    rate: Option<f64>,
    mode: Mode,
    warn: Warn,
) -> NotifyStats {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let mut stats = NotifyStats::default();
    let mut conn: Option<(MultiplexedConnection, Node)> = None;
    // The node whose pipeline failed last: tried last when reconnecting.
    let mut avoid: Option<String> = None;
    let mut retry_at = Instant::now();
    let started = Instant::now();
    let most = pipeline_size(rate);
    let mut queued: Vec<Note> = Vec::new();
    let mut shards = Shards::new(config.clone());
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
                Ok(more) => queued.extend(more),
                Err(_) => break,
            }
        }
        let rest = if queued.len() > most {
            queued.split_off(most)
        } else {
            Vec::new()
        };
        let batch = std::mem::replace(&mut queued, rest);
        let n = batch.len() as u64;
        let _done = Done(&shared, batch.len());
        if mode == Mode::Required && stats.first_error.is_some() {
            // Nothing after a failure: what was published stays a prefix.
            stats.failed += n;
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
            shared.notified.fetch_add(took, Ordering::Release);
            if let Some((at, error)) = error {
                fail(&mut stats, &shared, mode, &warn, &at, &error);
                if unreachable {
                    // No node answered: no new attempt for a moment.
                    retry_at = Instant::now() + RETRY_AFTER;
                }
            }
            continue;
        }
        if conn.is_none() && Instant::now() >= retry_at {
            let target = &target;
            let connected = target
                .on_any(avoid.as_deref(), |node| {
                    let config = config.clone();
                    async move {
                        node.client
                            .get_multiplexed_async_connection_with_config(&config)
                            .await
                            .map_err(|e| target.clean(&e))
                    }
                })
                .await;
            match connected {
                Ok((c, node)) => {
                    if stats.failed > 0 {
                        tracing::info!("redis: reconnected to {}", node.shown);
                    }
                    conn = Some((c, node));
                }
                Err(e) => {
                    fail(&mut stats, &shared, mode, &warn, &target.shown, &e);
                    retry_at = Instant::now() + RETRY_AFTER;
                }
            }
        }
        let Some((c, node)) = conn.as_mut() else {
            stats.failed += n;
            continue;
        };
        let mut pipe = redis::pipe();
        for (channel, payload) in &batch {
            pipe.publish(channel, payload).ignore();
        }
        match pipe.query_async::<()>(c).await {
            Ok(()) => {
                stats.notified += n;
                shared.notified.fetch_add(n, Ordering::Release);
            }
            Err(e) => {
                stats.failed += n;
                let error = target.clean(&e);
                fail(&mut stats, &shared, mode, &warn, &node.shown, &error);
                if target.cluster().is_some() {
                    // Another node takes the next pipeline right away: any
                    // node's PUBLISH reaches every subscriber. This one's
                    // notifications are lost (some may have gone out), as
                    // with a single Redis.
                    tracing::info!("redis: {error} at {}; moving to another node", node.shown);
                    avoid = Some(node.shown.clone());
                    retry_at = Instant::now();
                } else {
                    retry_at = Instant::now() + RETRY_AFTER;
                }
                conn = None;
            }
        }
    }
    stats
}

/// Most rounds of redirects (MOVED, ASK) or retries for one batch.
const MOST_ROUNDS: usize = 5;
/// A stale slot map is asked for again at most this often (a failover
/// takes seconds; every batch meanwhile must not cost a round trip).
const REFRESH_EVERY: Duration = Duration::from_millis(50);
/// A node that failed is not tried again for this long: its notifications
/// count as failed at once (the other nodes' go on).
const DOWN_FOR: Duration = Duration::from_millis(100);

/// Sharded mode's connections: one per slot owner, and the slot map.
struct Shards {
    config: AsyncConnectionConfig,
    map: Option<SlotMap>,
    /// The map is known to be out of date (a MOVED, a failed node).
    stale: bool,
    refreshed: Option<Instant>,
    conns: HashMap<String, (MultiplexedConnection, Node)>,
    /// Nodes that failed: until when they are skipped, and what they said.
    down: HashMap<String, (Instant, String, String)>,
}

/// What became of one notification in a round.
enum Outcome {
    Taken,
    /// MOVED or ASK (true) to `host:port`.
    Redirected(String, bool),
    Failed(String),
}

impl Shards {
    fn new(config: AsyncConnectionConfig) -> Shards {
        Shards {
            config,
            map: None,
            stale: false,
            refreshed: None,
            conns: HashMap::new(),
            down: HashMap::new(),
        }
    }

    /// The connection to `addr`, made if need be.
    async fn conn(
        &mut self,
        target: &Target,
        addr: &str,
    ) -> Result<(MultiplexedConnection, Node), String> {
        if let Some(c) = self.conns.get(addr) {
            return Ok(c.clone());
        }
        let node = target.node_at(addr)?;
        let conn = node
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
            .map_err(|e| target.clean(&e))?;
        self.conns
            .insert(addr.to_string(), (conn.clone(), node.clone()));
        Ok((conn, node))
    }

    /// SPUBLISH `batch`, one pipeline per slot owner at once: per
    /// notification whether Redis took it, and the first error (the node's
    /// address and what it said). A MOVED refreshes the map and goes to the
    /// new owner, an ASK goes to the node named with ASKING first; a node
    /// that fails gets its notifications again once, after a refresh (and
    /// is skipped for [`DOWN_FOR`]). Also whether no node answered at all.
    async fn publish(
        &mut self,
        target: &Target,
        batch: &[Note],
    ) -> (Vec<bool>, Option<(String, String)>, bool) {
        let slots: Vec<u16> = batch.iter().map(|(c, _)| key_slot(c.as_bytes())).collect();
        let mut done = vec![false; batch.len()];
        let mut failures = vec![0u8; batch.len()];
        let mut redirect: Vec<Option<(String, bool)>> = vec![None; batch.len()];
        let mut todo: Vec<usize> = (0..batch.len()).collect();
        let mut first_error: Option<(String, String)> = None;
        let mut last_error: Option<(String, String)> = None;
        for _ in 0..MOST_ROUNDS {
            if todo.is_empty() {
                break;
            }
            let due = self
                .refreshed
                .is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
            if self.map.is_none() || (self.stale && due) {
                match slot_map(target).await {
                    Ok(map) => {
                        self.map = Some(map);
                        self.stale = false;
                        self.refreshed = Some(Instant::now());
                    }
                    Err(e) => {
                        return (done, Some((target.shown.clone(), e)), true);
                    }
                }
            }
            let now = Instant::now();
            self.down.retain(|_, (until, ..)| now < *until);
            let map = self.map.clone().unwrap_or_default();
            let mut groups: BTreeMap<(String, bool), Vec<usize>> = BTreeMap::new();
            for &i in &todo {
                let route = redirect[i]
                    .take()
                    .or_else(|| map.owner(slots[i]).map(|addr| (addr.to_string(), false)));
                match route {
                    Some(route) => groups.entry(route).or_default().push(i),
                    None => {
                        let e = format!("slot {} has no master", slots[i]);
                        last_error = Some((target.shown.clone(), e));
                        failures[i] = u8::MAX;
                    }
                }
            }
            let mut sends = Vec::new();
            let mut outcomes: Vec<(usize, Outcome)> = Vec::new();
            for ((addr, asking), idx) in groups {
                if let Some((_, shown, e)) = self.down.get(&addr) {
                    last_error = Some((shown.clone(), e.clone()));
                    for i in idx {
                        failures[i] = u8::MAX;
                    }
                    continue;
                }
                match self.conn(target, &addr).await {
                    Ok((mut conn, node)) => {
                        let mut pipe = redis::pipe();
                        pipe.ignore_errors();
                        for &i in &idx {
                            if asking {
                                pipe.cmd("ASKING");
                            }
                            let (channel, payload) = &batch[i];
                            pipe.cmd("SPUBLISH").arg(channel).arg(payload);
                        }
                        sends.push(async move {
                            let replies = pipe.query_async::<Vec<redis::Value>>(&mut conn).await;
                            (addr, node, asking, idx, replies)
                        });
                    }
                    Err(e) => {
                        let shown = target
                            .node_at(&addr)
                            .map_or_else(|_| addr.clone(), |n| n.shown);
                        last_error = Some((shown.clone(), e.clone()));
                        self.down
                            .insert(addr.clone(), (now + DOWN_FOR, shown, e.clone()));
                        outcomes.extend(idx.into_iter().map(|i| (i, Outcome::Failed(e.clone()))));
                    }
                }
            }
            let mut refresh = false;
            for (addr, node, asking, idx, replies) in futures::future::join_all(sends).await {
                let replies = match replies {
                    Ok(replies) => replies,
                    Err(e) => {
                        // The link is gone (or timed out): a new one next time.
                        self.conns.remove(&addr);
                        let e = target.clean(&e);
                        last_error = Some((node.shown.clone(), e.clone()));
                        self.down.insert(
                            addr.clone(),
                            (now + DOWN_FOR, node.shown.clone(), e.clone()),
                        );
                        outcomes.extend(idx.into_iter().map(|i| (i, Outcome::Failed(e.clone()))));
                        continue;
                    }
                };
                // With ASKING first, every other reply is an SPUBLISH's.
                let step = if asking { 2 } else { 1 };
                let answers = replies.into_iter().skip(step - 1).step_by(step);
                let mut answers = answers.fuse();
                for i in idx {
                    let outcome = match answers.next() {
                        Some(redis::Value::ServerError(e)) => match (e.code(), e.details()) {
                            ("MOVED", Some(d)) | ("ASK", Some(d)) => {
                                match d.split_whitespace().nth(1) {
                                    Some(to) => {
                                        Outcome::Redirected(to.to_string(), e.code() == "ASK")
                                    }
                                    None => Outcome::Failed(format!("{} {d}", e.code())),
                                }
                            }
                            (code, d) => Outcome::Failed(format!("{code} {}", d.unwrap_or(""))),
                        },
                        Some(_) => Outcome::Taken,
                        None => Outcome::Failed("no reply".to_string()),
                    };
                    if let Outcome::Failed(e) = &outcome {
                        last_error = Some((node.shown.clone(), e.clone()));
                    }
                    if let Outcome::Redirected(to, ask) = &outcome {
                        tracing::debug!(
                            "redis: {} said {} to {to}",
                            node.shown,
                            if *ask { "ASK" } else { "MOVED" }
                        );
                    }
                    outcomes.push((i, outcome));
                }
            }
            todo.clear();
            for (i, outcome) in outcomes {
                match outcome {
                    Outcome::Taken => done[i] = true,
                    Outcome::Redirected(to, ask) => {
                        // MOVED: the map is stale. ASK: only this command
                        // goes elsewhere, mid-migration.
                        refresh |= !ask;
                        redirect[i] = Some((to, ask));
                        todo.push(i);
                    }
                    Outcome::Failed(_) => {
                        refresh = true;
                        failures[i] += 1;
                        if failures[i] < 2 {
                            todo.push(i);
                        }
                    }
                }
            }
            todo.sort_unstable();
            if first_error.is_none() && done.iter().any(|d| !d) {
                first_error = last_error.clone();
            }
            self.stale |= refresh;
        }
        let error = if done.iter().all(|d| *d) {
            None
        } else {
            last_error.or(first_error).or_else(|| {
                Some((
                    target.shown.clone(),
                    format!("still redirected after {MOST_ROUNDS} tries"),
                ))
            })
        };
        (done, error, false)
    }
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

fn fail(
    stats: &mut NotifyStats,
    shared: &Shared,
    mode: Mode,
    warn: &Warn,
    shown_url: &str,
    error: &str,
) {
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
