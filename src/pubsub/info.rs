//! What `health` asks Redis: PING round trip, INFO fields, pattern and
//! channel subscriber counts; and the probe's listener, which waits for
//! one payload on the same subscription path as `tail` ([`super::subscribe`];
//! the probe publishes through the notifier).

use std::time::Instant;

use super::cluster;
use super::feed::{Feed, Item, Subscriptions};
use super::node::{Node, CONNECT_TIMEOUT};
use super::slots::{key_slot, slot_map};
use super::target::Target;
use crate::duration::{millis, remaining};
use crate::error::{fail, Code};
use crate::findings::{ClusterNode, ClusterReport, RedisReport};

pub async fn report(target: &Target, channels: &[String], deadline: Instant) -> RedisReport {
    let mut report = RedisReport {
        url: target.shown.clone(),
        sharded: target.sharded(),
        ..RedisReport::default()
    };
    let at = |node: &Node| match target.cluster() {
        None => format!(" to {}", node.shown),
        Some(_) => String::new(),
    };
    let connected = target
        .on_any(None, |node| {
            // A cluster's unreachable node must not take the whole budget.
            let connect = match target.cluster() {
                None => remaining(deadline),
                Some(_) => remaining(deadline).min(CONNECT_TIMEOUT),
            };
            let at = at(&node);
            async move {
                node.commands(connect, remaining(deadline))
                    .await
                    .map_err(|e| format!("cannot connect{at}: {}", target.clean(&e)))
            }
        })
        .await;
    let (mut conn, node) = match connected {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let sent = Instant::now();
    if let Err(e) = redis::cmd("PING").query_async::<String>(&mut conn).await {
        report.error = Some(format!("PING to {}: {}", node.shown, target.clean(&e)));
        return report;
    }
    report.ping_ms = Some(millis(sent.elapsed()));
    // A command refused (an ACL user without the permission: NOPERM) is a
    // problem to report, not a silent gap in the table.
    let mut refused = |what: &str, e: redis::RedisError| {
        report_error(&mut report.error, target, what, &e);
    };
    match redis::cmd("INFO").query_async::<String>(&mut conn).await {
        Ok(info) => {
            let field = |name: &str| {
                info.lines()
                    .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
                    .map(|v| v.trim().to_string())
            };
            report.version = field("redis_version");
            report.role = field("role");
            report.connected_clients = field("connected_clients").and_then(|v| v.parse().ok());
            report.used_memory = field("used_memory_human");
        }
        Err(e) => refused("INFO", e),
    }
    match redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query_async(&mut conn)
        .await
    {
        Ok(n) => report.pattern_subscriptions = Some(n),
        Err(e) => refused("PUBSUB NUMPAT", e),
    }
    if !channels.is_empty() && target.sharded() {
        match shard_subscribers(target, channels, deadline).await {
            Ok(counts) => report.channel_subscribers = counts,
            Err(e) => {
                if report.error.is_none() {
                    report.error = Some(format!("PUBSUB SHARDNUMSUB on {}: {e}", target.shown));
                }
            }
        }
    } else if !channels.is_empty() {
        match redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channels)
            .query_async::<Vec<(String, i64)>>(&mut conn)
            .await
        {
            Ok(counts) => report.channel_subscribers = counts,
            Err(e) => refused("PUBSUB NUMSUB", e),
        }
    }
    if target.cluster().is_some() {
        report.cluster = Some(cluster_report(&mut conn, &node, target).await);
    }
    report
}

/// Sharded subscribers of each channel, asked of its slot's owner
/// (`PUBSUB SHARDNUMSUB` counts only the node's own).
async fn shard_subscribers(
    target: &Target,
    channels: &[String],
    deadline: Instant,
) -> Result<Vec<(String, i64)>, String> {
    let map = slot_map(target).await?;
    let mut counts = Vec::new();
    for channel in channels {
        let slot = key_slot(channel.as_bytes());
        let owner = map
            .owner(slot)
            .ok_or_else(|| format!("slot {slot} has no master"))?;
        let node = target.node_at(owner)?;
        let mut conn = node
            .commands(
                remaining(deadline).min(CONNECT_TIMEOUT),
                remaining(deadline),
            )
            .await
            .map_err(|e| format!("{}: {}", node.shown, target.clean(&e)))?;
        let mut pair = redis::cmd("PUBSUB")
            .arg("SHARDNUMSUB")
            .arg(channel)
            .query_async::<Vec<(String, i64)>>(&mut conn)
            .await
            .map_err(|e| format!("{}: {}", node.shown, target.clean(&e)))?;
        counts.append(&mut pair);
    }
    Ok(counts)
}

/// The cluster as the node on `conn` sees it.
async fn cluster_report(
    conn: &mut redis::aio::MultiplexedConnection,
    node: &Node,
    target: &Target,
) -> ClusterReport {
    let mut report = ClusterReport {
        answered_by: node.shown.clone(),
        state: "unknown".to_string(),
        ..ClusterReport::default()
    };
    match redis::cmd("CLUSTER")
        .arg("INFO")
        .query_async::<String>(conn)
        .await
    {
        Ok(info) => {
            if let Some(state) = info.lines().find_map(|l| l.strip_prefix("cluster_state:")) {
                report.state = state.trim().to_string();
            }
        }
        Err(e) => report.state = format!("unknown (CLUSTER INFO: {})", target.clean(&e)),
    }
    let view = match redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async::<String>(conn)
        .await
    {
        Ok(text) => cluster::parse_nodes(&text),
        Err(_) => Vec::new(),
    };
    report.slots_without_master = cluster::slots_without_master(&view);
    let address = |id: &str| {
        view.iter()
            .find(|n| n.id == id)
            .map_or_else(|| id.to_string(), |n| n.addr.clone())
    };
    report.nodes = view
        .iter()
        .map(|n| ClusterNode {
            address: n.addr.clone(),
            id: n.id.clone(),
            role: n.role(),
            replica_of: n.master.as_deref().map(address),
            slots: n.slots,
            link: n.link.clone(),
            flags: n.flags.clone(),
        })
        .collect();
    report.nodes.sort_by(|a, b| a.address.cmp(&b.address));
    report
}

/// Keep the first failed command's error, password-free.
fn report_error(slot: &mut Option<String>, target: &Target, what: &str, e: &redis::RedisError) {
    if slot.is_none() {
        *slot = Some(format!("{what} on {}: {}", target.shown, target.clean(e)));
    }
}

/// A subscription to one channel that waits for one payload (the probe):
/// classic or sharded as the target says, through [`super::subscribe`].
pub struct Listener {
    feed: Feed,
}

impl Listener {
    /// Subscribe to `channel` now.
    pub async fn start(target: &Target, channel: &str) -> anyhow::Result<Listener> {
        let subs = Subscriptions {
            names: vec![channel.to_string()],
            patterns: Vec::new(),
        };
        let quiet: super::Warn = std::sync::Arc::new(|_: &str| {});
        let feed = super::subscribe(target, &subs, 16, quiet).await?;
        Ok(Listener { feed })
    }

    /// Wait until `payload` arrives.
    pub async fn receive(&mut self, payload: &[u8]) -> anyhow::Result<()> {
        loop {
            match self.feed.rx.recv().await {
                Some(Item::Message(m)) if m.payload == payload => return Ok(()),
                Some(_) => continue,
                None => return Err(fail(Code::Redis, "subscription closed")),
            }
        }
    }
}
