//! The classic subscriber: SUBSCRIBE to names, PSUBSCRIBE to globs, at
//! one server (a cluster: any node, the bus carries every message
//! everywhere). PING to notice a dead link, reconnect with backoff (a
//! cluster: to another node at once) and resubscribe, and hand each message
//! over the [`Feed`]. Redis drops what is published while a subscriber is
//! away, and the queue drops what the reader is too slow to take: either
//! way an [`Item::Gap`] marker goes into the queue, in order, so the reader
//! knows where messages are missing (and can fill them from Kafka).

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::super::feed::{Feed, Gap, Handoff, Item, Message, Subscriptions};
use super::super::node::{Node, RESPONSE_TIMEOUT};
use super::super::target::Target;
use super::super::{wire, Warn};
use crate::duration::show_duration;

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
    Ok(Feed::new(rx, dropped, task))
}

/// A subscribed connection, and the messages that came with the
/// confirmations (delivered first).
struct Link {
    reader: wire::FrameReader,
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
                let (mut reader, mut writer) = node.subscriber().await?;
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
                            early.push(Message::new(channel, pattern, payload));
                        }
                        Some(_) => {}
                        None => return Err("the server closed the connection".to_string()),
                    }
                }
                Ok((reader, writer, early))
            };
            tokio::time::timeout(RESPONSE_TIMEOUT, confirmed)
                .await
                .map_err(|_| format!("no answer within {}", show_duration(RESPONSE_TIMEOUT)))?
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
