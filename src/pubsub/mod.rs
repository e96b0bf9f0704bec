//! Redis Pub/Sub: every conversation with Redis. Commands see only what is
//! re-exported here: a [`Target`] (a Redis address, printable without its
//! password), [`subscribe`] → [`Feed`] (the one subscription path, for
//! `tail` and `health --probe` alike), the [`Notifier`] (every publish),
//! and [`report`] (what `health` asks). Errors carry their exit code
//! ([`crate::error::Fail`]): 5 for Redis, 2 for a bad URL. It never prints;
//! what a user should hear about comes through the [`Warn`] callback a
//! command passes in.
//!
//! Inside, by layer (each file imports only those above it):
//!
//! * `url`, `resp`, `glob`: pure text — URLs without passwords, RESP2
//!   frames, channel globs;
//! * `wire` (a subscriber's connection), `node` (the one way to connect
//!   to a node, and its timeouts), `cluster` (a cluster's nodes), `target`,
//!   `slots` (sharded routing: slot map cache, MOVED/ASK);
//! * `feed`: the contract of a subscription;
//! * two sides, each classic and sharded: `subscriber`, `notifier`;
//! * `info`: `health`'s questions and the probe's listener.

mod cluster;
mod feed;
mod glob;
mod info;
mod node;
mod notes;
mod notifier;
// The RESP2 parser is also compiled on its own by the fuzz target
// `resp_frames` (fuzz/src/lib.rs includes this file by path): it imports
// nothing of the crate.
mod resp;
mod slots;
mod subscriber;
mod target;
mod url;
mod wire;

// How many slots a Redis Cluster has: `health` says how many have no master.
pub use cluster::SLOTS;
pub use feed::{Feed, Gap, Item, Message, Subscriptions};
pub use info::{report, Listener};
pub use notes::Notes;
pub use notifier::{Mode, Notifier, NotifyStats};
pub use target::Target;
pub use url::display_url;

use crate::error::{fail, Code};
use crate::warn::Warn;

/// Subscribe now (failing with why, naming the address; exit 5), then keep
/// the subscription alive for as long as the feed lives, holding at most
/// `queue` messages the reader has not taken: classic SUBSCRIBE/PSUBSCRIBE
/// (on a cluster: at one node, moving to another when it fails), or
/// sharded SSUBSCRIBE at each channel's slot owner (`--sharded`).
pub async fn subscribe(
    target: &Target,
    subs: &Subscriptions,
    queue: usize,
    warn: Warn,
) -> anyhow::Result<Feed> {
    let feed = if target.sharded() {
        subscriber::sharded::subscribe(target, subs, queue, warn).await
    } else {
        subscriber::classic::subscribe(target, subs, queue, warn).await
    };
    feed.map_err(|e| fail(Code::Redis, e))
}
