//! Following channels: SUBSCRIBE to names, PSUBSCRIBE to globs, PING to
//! notice a dead link, reconnect with backoff and resubscribe, and hand each
//! message over a bounded queue. Redis drops what is published while a
//! subscriber is away, and the queue drops what the reader is too slow to
//! take: either way a [`Item::Gap`] marker goes into the queue, in order,
//! so the reader knows where messages are missing (and can fill them from
//! Kafka).

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{glob, wire, Node, Target, Warn};
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
    /// A feed fed by `task` (the sharded subscriber builds its own).
    pub(super) fn new(
        rx: mpsc::Receiver<Item>,
        dropped: Arc<AtomicU64>,
        task: JoinHandle<()>,
    ) -> Feed {
        Feed { rx, dropped, task }
    }

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

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Subscribe now (failing with why, naming the address), then keep the
/// subscription alive for as long as the feed lives, holding at most
/// `queue` messages the reader has not taken. On a cluster the subscription
/// is on one node; when that one fails it moves to another.
pub async fn subscribe(
    target: &Target,
    subs: &Subscriptions,
    queue: usize,
    warn: Warn,
) -> Result<Feed, String> {
    if target.sharded() {
        return super::sharded::subscribe(target, subs, queue, warn).await;
    }
    let link = connect(target, subs, None)
        .await
        .map_err(|e| format!("redis: cannot subscribe at {}: {e}", target.shown))?;
    if target.cluster().is_some() {
        tracing::info!("redis: subscribed at cluster node {}", link.node.shown);
    }
    let (tx, rx) = mpsc::channel(queue.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(follow(
        target.clone(),
        subs.clone(),
        link,
        tx,
        dropped.clone(),
        warn,
    ));
    Ok(Feed { rx, dropped, task })
}

/// A subscribed connection, and the messages that came with the
/// confirmations (delivered first).
struct Link {
    reader: wire::Reader,
    writer: wire::Writer,
    node: Node,
    early: Vec<Message>,
}

/// Connect to the first server that answers (`avoid` last) and subscribe,
/// waiting for Redis to confirm every subscription.
async fn connect(
    target: &Target,
    subs: &Subscriptions,
    avoid: Option<&str>,
) -> Result<Link, String> {
    let ((reader, writer, early), node) = target
        .on_any(avoid, |node| async move {
            let confirmed = async {
                let (mut reader, mut writer) = wire::connect(&node, CONNECT_TIMEOUT).await?;
                let mut wanted = 0;
                for (command, list) in [("SUBSCRIBE", &subs.names), ("PSUBSCRIBE", &subs.patterns)]
                {
                    if list.is_empty() {
                        continue;
                    }
                    let mut args: Vec<&[u8]> = vec![command.as_bytes()];
                    args.extend(list.iter().map(|s| s.as_bytes()));
                    writer.send(&args).await?;
                    wanted += list.len();
                }
                let mut early = Vec::new();
                while wanted > 0 {
                    match reader.next().await? {
                        Some(wire::Frame::Subscribed { .. }) => wanted -= 1,
                        Some(wire::Frame::Error(e)) => return Err(e),
                        Some(wire::Frame::Message {
                            channel,
                            pattern,
                            payload,
                            ..
                        }) => {
                            early.push(message(channel, pattern, payload));
                        }
                        Some(_) => {}
                        None => return Err("the server closed the connection".to_string()),
                    }
                }
                Ok((reader, writer, early))
            };
            tokio::time::timeout(CONNECT_TIMEOUT, confirmed)
                .await
                .map_err(|_| format!("no answer within {}", show_duration(CONNECT_TIMEOUT)))?
                .map_err(|e| target.clean(&e))
        })
        .await?;
    Ok(Link {
        reader,
        writer,
        node,
        early,
    })
}

pub(super) fn message(channel: Vec<u8>, pattern: Option<Vec<u8>>, payload: Vec<u8>) -> Message {
    Message {
        received_at: jiff::Timestamp::now(),
        channel,
        pattern,
        payload,
    }
}

/// Keep the subscription alive until the reader is gone.
async fn follow(
    target: Target,
    subs: Subscriptions,
    mut link: Link,
    tx: mpsc::Sender<Item>,
    dropped: Arc<AtomicU64>,
    warn: Warn,
) {
    let mut recent = Recent::new(target.cluster().is_some());
    loop {
        let Some(why) = pump(&subs, &mut link, &tx, &dropped, &mut recent).await else {
            return;
        };
        let lost_at = Instant::now();
        let since = jiff::Timestamp::now();
        let clustered = target.cluster().is_some();
        warn(&format!(
            "redis: connection to {} lost ({}); {}",
            link.node.shown,
            target.clean(&why),
            if clustered {
                "moving to another cluster node"
            } else {
                "reconnecting"
            }
        ));
        // A cluster moves on at once: another node is most likely up.
        let mut backoff = if clustered {
            Duration::ZERO
        } else {
            Duration::from_millis(100)
        };
        loop {
            tokio::time::sleep(backoff).await;
            if tx.is_closed() {
                return;
            }
            match connect(&target, &subs, Some(&link.node.shown)).await {
                Ok(new) => {
                    if clustered {
                        warn(&format!("redis: subscribed at {} now", new.node.shown));
                    }
                    link = new;
                    recent.moved();
                    // The reader says what the gap means (missed, or filled).
                    let cause = Gap::Disconnected {
                        lasted: lost_at.elapsed(),
                    };
                    if tx.send(Item::Gap { since, cause }).await.is_err() {
                        return;
                    }
                    break;
                }
                Err(_) => backoff = (backoff * 2).clamp(Duration::from_millis(100), MAX_BACKOFF),
            }
        }
    }
}

/// Hands messages to the reader: at most `queue` waiting, and a gap marker,
/// in order, where the queue dropped some.
pub(super) struct Handoff<'a> {
    pub(super) tx: &'a mpsc::Sender<Item>,
    pub(super) dropped: &'a AtomicU64,
    /// When the queue first dropped a message the reader has not yet been
    /// told about: the marker goes in as soon as there is room.
    pub(super) overflow_since: Option<jiff::Timestamp>,
}

impl Handoff<'_> {
    /// Queue `message`; `Err` when the reader is gone.
    pub(super) fn give(&mut self, message: Message) -> Result<(), ()> {
        if !self.mark()? {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        match self.tx.try_send(Item::Message(message)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                self.overflow_since.get_or_insert_with(jiff::Timestamp::now);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
        }
    }

    /// Put in the overflow marker if one is owed: whether the queue has room
    /// after it (`Err` when the reader is gone).
    pub(super) fn mark(&mut self) -> Result<bool, ()> {
        let Some(since) = self.overflow_since else {
            return Ok(true);
        };
        match self.tx.try_send(Item::Gap {
            since,
            cause: Gap::Overflow,
        }) {
            Ok(()) => {
                self.overflow_since = None;
                Ok(true)
            }
            Err(mpsc::error::TrySendError::Full(_)) => Ok(false),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
        }
    }
}

/// How often the link is looked at (see [`wire::Liveness`]).
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Move messages to the reader until the link fails (`Some(reason)`) or the
/// reader is gone (`None`).
async fn pump(
    subs: &Subscriptions,
    link: &mut Link,
    tx: &mpsc::Sender<Item>,
    dropped: &AtomicU64,
    recent: &mut Recent,
) -> Option<String> {
    let mut handoff = Handoff {
        tx,
        dropped,
        overflow_since: None,
    };
    for message in std::mem::take(&mut link.early) {
        if !subs.first_match(&message.channel, message.pattern.as_deref())
            || recent.repeated(&message)
        {
            continue;
        }
        handoff.give(message).ok()?;
    }
    let mut check = tokio::time::interval(CHECK_EVERY);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    check.tick().await;
    let mut alive = wire::Liveness::new();
    loop {
        tokio::select! {
            frame = link.reader.next() => {
                alive.heard();
                // Then every frame the same read brought, without waiting.
                let mut frame = frame;
                loop {
                    let message = match frame {
                        Ok(Some(wire::Frame::Message { channel, pattern, payload, .. })) => Some(Message {
                            received_at: link.reader.read_at(),
                            channel,
                            pattern,
                            payload,
                        }),
                        Ok(Some(wire::Frame::Error(e))) => return Some(e),
                        // Confirmations, PING answers.
                        Ok(Some(_)) => None,
                        // Redis closes the connection when it cuts it, also when
                        // it drops a slow subscriber at its output-buffer limit.
                        Ok(None) => return Some("the server closed the connection".to_string()),
                        Err(e) => return Some(e),
                    };
                    if let Some(message) = message {
                        if subs.first_match(&message.channel, message.pattern.as_deref())
                            && !recent.repeated(&message)
                        {
                            handoff.give(message).ok()?;
                        }
                    }
                    frame = match link.reader.buffered() {
                        Ok(None) => break,
                        other => other,
                    };
                }
            }
            _ = check.tick() => {
                // A quiet stream after an overflow: the marker still goes in.
                handoff.mark().ok()?;
                if let Err(why) = alive.check(&mut link.writer).await {
                    return Some(why);
                }
            }
        }
    }
}

/// How long a message delivered on one cluster node may still reach
/// another over the cluster bus.
const BUS_DELAY: Duration = Duration::from_secs(2);
/// Most messages remembered for that.
const RECENT_MOST: usize = 100_000;

/// A classic-mode cluster subscription that moved to another node: a message
/// the old node delivered may still be on its way over the cluster bus to
/// the new one, and would arrive twice (seen: 37 ms after the first, after
/// `CLIENT KILL TYPE pubsub` on the publisher's node). So what was
/// delivered in the last [`BUS_DELAY`] is remembered, and for that long
/// after a move the same channel and payload are not delivered again. A
/// single Redis remembers nothing.
struct Recent {
    on: bool,
    seen: VecDeque<(Instant, u64)>,
    counts: HashMap<u64, u32>,
    /// Until when a repeat is dropped (set on a move).
    guard_until: Option<Instant>,
}

impl Recent {
    fn new(on: bool) -> Recent {
        Recent {
            on,
            seen: VecDeque::new(),
            counts: HashMap::new(),
            guard_until: None,
        }
    }

    /// The subscription is on another node now.
    fn moved(&mut self) {
        if self.on {
            self.guard_until = Some(Instant::now() + BUS_DELAY);
        }
    }

    /// Whether `message` was just delivered (and must not be again);
    /// otherwise it is remembered.
    fn repeated(&mut self, message: &Message) -> bool {
        if !self.on {
            return false;
        }
        let now = Instant::now();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (&message.channel, &message.payload).hash(&mut hasher);
        let key = hasher.finish();
        if self.guard_until.is_some_and(|until| now < until) && self.counts.contains_key(&key) {
            return true;
        }
        while let Some(&(at, old)) = self.seen.front() {
            if now.duration_since(at) < BUS_DELAY && self.seen.len() < RECENT_MOST {
                break;
            }
            self.seen.pop_front();
            if let Some(c) = self.counts.get_mut(&old) {
                *c -= 1;
                if *c == 0 {
                    self.counts.remove(&old);
                }
            }
        }
        self.seen.push_back((now, key));
        *self.counts.entry(key).or_insert(0) += 1;
        false
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

    #[test]
    fn a_cluster_move_drops_what_the_old_node_just_delivered() {
        let msg = |payload: &str| Message {
            received_at: jiff::Timestamp::now(),
            channel: b"c".to_vec(),
            pattern: None,
            payload: payload.as_bytes().to_vec(),
        };
        let mut recent = Recent::new(true);
        assert!(!recent.repeated(&msg("a")));
        // Before a move, the same payload again is a re-send: delivered.
        assert!(!recent.repeated(&msg("a")));
        recent.moved();
        assert!(recent.repeated(&msg("a")));
        assert!(!recent.repeated(&msg("b")));
        assert!(recent.repeated(&msg("b")));
        let mut single = Recent::new(false);
        single.moved();
        assert!(!single.repeated(&msg("a")));
        assert!(!single.repeated(&msg("a")));
    }
}
