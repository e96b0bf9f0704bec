//! The contract of a subscription, shared by the classic and the sharded
//! subscriber and read by commands: what to subscribe to
//! ([`Subscriptions`]), what comes ([`Message`]; [`Item::Gap`] where some
//! may be missing, and why: [`Gap`]), and the [`Feed`] it all comes on,
//! filled through a [`Handoff`] (a bounded queue, and an overflow marker
//! in order where it dropped some).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::glob;

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
    pub(super) fn first_match(&self, channel: &[u8], pattern: Option<&[u8]>) -> bool {
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

impl Message {
    /// A message received now.
    pub fn new(channel: Vec<u8>, pattern: Option<Vec<u8>>, payload: Vec<u8>) -> Message {
        Message {
            received_at: jiff::Timestamp::now(),
            channel,
            pattern,
            payload,
        }
    }
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
    /// A feed fed by `task` (each subscriber spawns its own).
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
