//! Following channels: SUBSCRIBE to names, PSUBSCRIBE to globs, PING to
//! notice a dead link, reconnect with backoff and resubscribe, and hand each
//! message over a bounded queue. Redis drops what is published while a
//! subscriber is away, and the queue drops what the reader is too slow to
//! take: either way a [`Item::Gap`] marker goes into the queue, in order,
//! so the reader knows where messages are missing (and can fill them from
//! Kafka).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{glob, Target, Warn};
use crate::duration::show_duration;

/// What to subscribe to: names (SUBSCRIBE) and globs (PSUBSCRIBE).
#[derive(Clone, Debug)]
pub struct Subscriptions {
    pub names: Vec<String>,
    pub patterns: Vec<String>,
}

impl Subscriptions {
    /// Split what the user gave into names and globs; with `literal`, all
    /// are names, glob characters included.
    pub fn new(given: &[String], literal: bool) -> Subscriptions {
        let (patterns, names) = given
            .iter()
            .cloned()
            .partition(|p| !literal && glob::is_pattern(p));
        Subscriptions { names, patterns }
    }

    /// Redis delivers a message once per matching subscription. Keep it only
    /// from the first that matches: names first, then patterns in order.
    fn first_match(&self, channel: &[u8], pattern: Option<&[u8]>) -> bool {
        let Some(pattern) = pattern else {
            return true;
        };
        if self.names.iter().any(|n| n.as_bytes() == channel) {
            return false;
        }
        for p in &self.patterns {
            if glob::matches(p.as_bytes(), channel) {
                return p.as_bytes() == pattern;
            }
        }
        true
    }

    /// Which subscription a channel falls under: `Some(None)` for a name,
    /// `Some(Some(pattern))` for the first matching pattern, `None` for none.
    pub fn matching(&self, channel: &[u8]) -> Option<Option<String>> {
        if self.names.iter().any(|n| n.as_bytes() == channel) {
            return Some(None);
        }
        self.patterns
            .iter()
            .find(|p| glob::matches(p.as_bytes(), channel))
            .map(|p| Some(p.clone()))
    }

    /// The subscriptions, for messages.
    pub fn describe(&self) -> String {
        self.names
            .iter()
            .chain(&self.patterns)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One message as Redis delivered it.
pub struct Message {
    pub received_at: jiff::Timestamp,
    pub channel: Vec<u8>,
    /// The glob it matched; `None` for a name subscription.
    pub pattern: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

/// What the queue carries: messages, and marks where some were lost.
pub enum Item {
    Message(Message),
    /// Messages published since `since` may be missing here: the link was
    /// down (and is back, resubscribed), or the queue was full.
    Gap {
        since: jiff::Timestamp,
        cause: Gap,
    },
}

/// Why messages are missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// The connection was lost; `lasted` is how long until resubscribed.
    Disconnected { lasted: Duration },
    /// The reader did not keep up: the queue dropped messages.
    Overflow,
}

/// A live subscription: messages arrive on `rx`, each once however many
/// subscriptions match it. Stops when dropped.
pub struct Feed {
    pub rx: mpsc::Receiver<Item>,
    dropped: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Feed {
    /// Messages dropped because the queue was full (the reader too slow).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const KEEPALIVE: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Subscribe now (failing with why, naming the address), then keep the
/// subscription alive for as long as the feed lives, holding at most
/// `queue` messages the reader has not taken.
pub async fn subscribe(
    target: &Target,
    subs: &Subscriptions,
    queue: usize,
    warn: Warn,
) -> Result<Feed, String> {
    let (sink, stream) = connect(target, subs)
        .await
        .map_err(|e| format!("redis: cannot subscribe at {}: {e}", target.shown))?;
    let (tx, rx) = mpsc::channel(queue.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(follow(
        target.clone(),
        subs.clone(),
        (sink, stream),
        tx,
        dropped.clone(),
        warn,
    ));
    Ok(Feed { rx, dropped, task })
}

async fn connect(
    target: &Target,
    subs: &Subscriptions,
) -> Result<(PubSubSink, PubSubStream), String> {
    let pubsub = tokio::time::timeout(CONNECT_TIMEOUT, target.client().get_async_pubsub())
        .await
        .map_err(|_| format!("no answer within {}", show_duration(CONNECT_TIMEOUT)))?
        .map_err(|e| target.clean(&e))?;
    let (mut sink, stream) = pubsub.split();
    if !subs.names.is_empty() {
        sink.subscribe(&subs.names)
            .await
            .map_err(|e| target.clean(&e))?;
    }
    if !subs.patterns.is_empty() {
        sink.psubscribe(&subs.patterns)
            .await
            .map_err(|e| target.clean(&e))?;
    }
    Ok((sink, stream))
}

/// Keep the subscription alive until the reader is gone.
async fn follow(
    target: Target,
    subs: Subscriptions,
    (mut sink, mut stream): (PubSubSink, PubSubStream),
    tx: mpsc::Sender<Item>,
    dropped: Arc<AtomicU64>,
    warn: Warn,
) {
    loop {
        let Some(why) = pump(&subs, &mut sink, &mut stream, &tx, &dropped).await else {
            return;
        };
        let lost_at = Instant::now();
        let since = jiff::Timestamp::now();
        warn(&format!(
            "redis: connection to {} lost ({why}); reconnecting",
            target.shown
        ));
        let mut backoff = Duration::from_millis(100);
        loop {
            tokio::time::sleep(backoff).await;
            if tx.is_closed() {
                return;
            }
            match connect(&target, &subs).await {
                Ok(link) => {
                    (sink, stream) = link;
                    // The reader says what the gap means (missed, or filled).
                    let cause = Gap::Disconnected {
                        lasted: lost_at.elapsed(),
                    };
                    if tx.send(Item::Gap { since, cause }).await.is_err() {
                        return;
                    }
                    break;
                }
                Err(_) => backoff = (backoff * 2).min(MAX_BACKOFF),
            }
        }
    }
}

/// Move messages to the reader until the link fails (`Some(reason)`) or the
/// reader is gone (`None`).
async fn pump(
    subs: &Subscriptions,
    sink: &mut PubSubSink,
    stream: &mut PubSubStream,
    tx: &mpsc::Sender<Item>,
    dropped: &AtomicU64,
) -> Option<String> {
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    // When the queue first dropped a message the reader has not yet been
    // told about: the marker goes in as soon as there is room.
    let mut overflow_since: Option<jiff::Timestamp> = None;
    loop {
        tokio::select! {
            msg = stream.next() => {
                // Redis ends the stream when it cuts the connection, also when
                // it drops a slow subscriber at its output-buffer limit.
                let Some(msg) = msg else {
                    return Some("the server closed the connection".to_string());
                };
                let message = Message {
                    received_at: jiff::Timestamp::now(),
                    channel: msg.get_channel::<Vec<u8>>().unwrap_or_default(),
                    pattern: msg.get_pattern::<Option<Vec<u8>>>().unwrap_or_default(),
                    payload: msg.get_payload_bytes().to_vec(),
                };
                if !subs.first_match(&message.channel, message.pattern.as_deref()) {
                    continue;
                }
                if let Some(since) = overflow_since {
                    let gap = Item::Gap { since, cause: Gap::Overflow };
                    match tx.try_send(gap) {
                        Ok(()) => overflow_since = None,
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            dropped.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => return None,
                    }
                }
                match tx.try_send(Item::Message(message)) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        dropped.fetch_add(1, Ordering::Relaxed);
                        overflow_since.get_or_insert_with(jiff::Timestamp::now);
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => return None,
                }
            }
            // A subscribed RESP2 connection answers PING with ["pong", ""],
            // not +PONG: any answer proves the link is alive.
            _ = keepalive.tick() => {
                // A quiet stream after an overflow: the marker still goes in.
                if let Some(since) = overflow_since {
                    if tx.try_send(Item::Gap { since, cause: Gap::Overflow }).is_ok() {
                        overflow_since = None;
                    }
                }
                match tokio::time::timeout(PING_TIMEOUT, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Some(e.to_string()),
                    Err(_) => return Some(format!("no PING answer within {}", show_duration(PING_TIMEOUT))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_subscriptions_print_once() {
        let subs = Subscriptions::new(
            &[
                "events:*".into(),
                "events:repo:*".into(),
                "events:repo:a".into(),
            ],
            false,
        );
        assert_eq!(subs.names, ["events:repo:a"]);
        let first = |c: &str, p: Option<&str>| subs.first_match(c.as_bytes(), p.map(str::as_bytes));
        assert!(first("events:repo:a", None));
        assert!(!first("events:repo:a", Some("events:*")));
        assert!(!first("events:repo:a", Some("events:repo:*")));
        assert!(first("events:repo:b", Some("events:*")));
        assert!(!first("events:repo:b", Some("events:repo:*")));
        let literal = Subscriptions::new(&["a[1]".into()], true);
        assert_eq!(literal.names, ["a[1]"]);
        assert_eq!(
            subs.matching(b"events:repo:z"),
            Some(Some("events:*".to_string()))
        );
        assert_eq!(subs.matching(b"events:repo:a"), Some(None));
        assert_eq!(subs.matching(b"other"), None);
    }
}
