//! Redis: connection strings safe to print, and the best-effort notifier that
//! publishes notifications in pipelines on a task of its own, so a slow or
//! dead Redis never holds up Kafka. Subscribing lives here too once `tail`
//! exists.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A Redis URL with any user and password removed, for messages and logs.
pub fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{path}")
}

/// One notification: the channel and the JSON text to publish on it.
pub type Note = (String, String);

/// What the notifier did, read by the summary.
#[derive(Debug, Default, Clone)]
pub struct NotifyStats {
    pub notified: u64,
    pub failed: u64,
    pub first_error: Option<String>,
}

/// Best-effort publisher of notification batches.
pub struct Notifier {
    tx: mpsc::UnboundedSender<Vec<Note>>,
    task: JoinHandle<NotifyStats>,
    /// Notifications handed over and not yet published (or failed).
    pending: Arc<AtomicUsize>,
    /// Notifications dropped because too many were pending (Redis too slow).
    dropped: u64,
}

/// Notifications the notifier may hold before new ones are dropped and
/// counted. Bounded by count, not by batches: publish hands over small
/// batches when acks trickle in and big ones under load.
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
    /// Start the notifier. `warn` is called once, on the first failure, with a
    /// message naming the (password-free) address.
    pub fn spawn(
        client: redis::Client,
        shown_url: String,
        warn: impl Fn(&str) + Send + 'static,
    ) -> Notifier {
        let (tx, rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(run(client, shown_url, rx, pending.clone(), warn));
        Notifier {
            tx,
            task,
            pending,
            dropped: 0,
        }
    }

    /// Hand over a batch; never waits. Past `MAX_PENDING` notifications not
    /// yet published, the batch is dropped (counted).
    pub fn send(&mut self, batch: Vec<Note>) {
        let n = batch.len();
        if n == 0 {
            return;
        }
        if self.pending.load(Ordering::Relaxed) + n > MAX_PENDING {
            self.dropped += n as u64;
            return;
        }
        self.pending.fetch_add(n, Ordering::Relaxed);
        if self.tx.send(batch).is_err() {
            self.pending.fetch_sub(n, Ordering::Relaxed);
            self.dropped += n as u64;
        }
    }

    /// Publish what is queued, waiting at most `grace`; whatever is left then
    /// counts as failed.
    pub async fn finish(self, grace: Duration) -> NotifyStats {
        let Notifier {
            tx, task, dropped, ..
        } = self;
        drop(tx);
        let abort = task.abort_handle();
        let mut stats = match tokio::time::timeout(grace, task).await {
            Ok(Ok(stats)) => stats,
            _ => {
                abort.abort();
                NotifyStats {
                    first_error: Some(format!("redis did not finish within {}s", grace.as_secs())),
                    ..NotifyStats::default()
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
    client: redis::Client,
    shown_url: String,
    mut rx: mpsc::UnboundedReceiver<Vec<Note>>,
    pending: Arc<AtomicUsize>,
    warn: impl Fn(&str),
) -> NotifyStats {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let mut stats = NotifyStats::default();
    let mut conn: Option<MultiplexedConnection> = None;
    let mut retry_at = Instant::now();
    while let Some(mut batch) = rx.recv().await {
        // Merge what else is waiting into one pipeline.
        while batch.len() < PIPELINE {
            match rx.try_recv() {
                Ok(more) => batch.extend(more),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        let _done = Done(&pending, batch.len());
        if conn.is_none() && Instant::now() >= retry_at {
            match client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                Ok(c) => {
                    if stats.failed > 0 {
                        tracing::info!("redis: reconnected to {shown_url}");
                    }
                    conn = Some(c);
                }
                Err(e) => {
                    fail(&mut stats, &warn, &shown_url, &e.to_string());
                    retry_at = Instant::now() + RETRY_AFTER;
                }
            }
        }
        let Some(c) = conn.as_mut() else {
            stats.failed += n;
            continue;
        };
        let mut pipe = redis::pipe();
        for (channel, payload) in &batch {
            pipe.publish(channel, payload).ignore();
        }
        match pipe.query_async::<()>(c).await {
            Ok(()) => stats.notified += n,
            Err(e) => {
                stats.failed += n;
                fail(&mut stats, &warn, &shown_url, &e.to_string());
                conn = None;
                retry_at = Instant::now() + RETRY_AFTER;
            }
        }
    }
    stats
}

/// Takes a pipeline's notifications off the pending count however it ends.
struct Done<'a>(&'a AtomicUsize, usize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(self.1, Ordering::Relaxed);
    }
}

fn fail(stats: &mut NotifyStats, warn: &impl Fn(&str), shown_url: &str, error: &str) {
    if stats.first_error.is_none() {
        let message = format!(
            "redis: {error} at {shown_url}; notifications are being dropped, Kafka publishing continues"
        );
        warn(&message);
        stats.first_error = Some(format!("{error} at {shown_url}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            display_url("redis://:s3cret@127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(display_url("rediss://user:p@ss@host:1"), "rediss://host:1");
        assert_eq!(
            display_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(display_url("unix:///tmp/r.sock"), "unix:///tmp/r.sock");
    }
}
