//! Redis Cluster in classic Pub/Sub mode: which nodes there are. A
//! `redis+cluster://[user:pass@]host:port[,host:port…]` URL names some
//! nodes; `CLUSTER NODES`, asked of the first that answers, names the rest
//! and which have failed. Classic `PUBLISH` on any node reaches subscribers
//! on every node (the cluster bus carries it everywhere), so publishing and
//! subscribing only need *a* live node: this module keeps the order in which
//! to try them. It does not use redis-rs's cluster client, whose Pub/Sub
//! loses subscriptions on failover (issue 15).
//!
//! Sharded Pub/Sub (`SPUBLISH`, `SSUBSCRIBE`) is routed by slot like a key:
//! that is [`super::slots`].

use std::sync::Mutex;

use super::node::Node;
use super::url::display_url;

/// Redis Cluster's slot count.
pub const SLOTS: u32 = 16384;

/// Whether `url` names a cluster (`redis+cluster://`, `rediss+cluster://`).
pub fn is_cluster_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("redis+cluster://") || lower.starts_with("rediss+cluster://")
}

/// The nodes of a cluster URL, and the order to try them in.
pub struct Nodes {
    /// `redis` or `rediss`: the scheme of each node's URL.
    scheme: &'static str,
    /// `user:password@` as written, or empty.
    userinfo: String,
    /// What follows the hosts (`/0`, `?protocol=resp3`), as written.
    suffix: String,
    /// `host:port` as given, in order.
    given: Vec<String>,
    /// `host:port` in the order to try, from the latest view.
    known: Mutex<Vec<String>>,
}

impl Nodes {
    /// Parse a cluster URL; every node's URL is checked here. Errors may hold
    /// the password (the caller scrubs them).
    pub fn parse(url: &str) -> Result<Nodes, String> {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "redis+cluster" => "redis",
            "rediss+cluster" => "rediss",
            other => return Err(format!("unknown scheme {other:?}")),
        };
        // Everything up to the last `@` is user and password (as display_url).
        let (userinfo, place) = match rest.rsplit_once('@') {
            Some((u, p)) => (format!("{u}@"), p),
            None => (String::new(), rest),
        };
        let end = place.find(['/', '?']).unwrap_or(place.len());
        let (hosts, suffix) = place.split_at(end);
        let given: Vec<String> = hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .collect();
        if given.is_empty() {
            return Err("no host:port given".to_string());
        }
        let nodes = Nodes {
            scheme,
            userinfo,
            suffix: suffix.to_string(),
            known: Mutex::new(given.clone()),
            given,
        };
        for addr in &nodes.given {
            let parts = addr.rsplit_once(':');
            if parts.is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err()) {
                return Err(format!("{addr:?} is not host:port"));
            }
            nodes.node(addr).map_err(|e| format!("{addr}: {e}"))?;
        }
        Ok(nodes)
    }

    /// A client for the node at `addr`, with the URL's user, password and
    /// options.
    pub fn node(&self, addr: &str) -> Result<Node, String> {
        let url = format!("{}://{}{addr}{}", self.scheme, self.userinfo, self.suffix);
        let client = redis::Client::open(url.as_str()).map_err(|e| e.to_string())?;
        Ok(Node {
            client,
            shown: display_url(&url),
        })
    }

    fn nodes(&self, addrs: &[String]) -> Vec<Node> {
        addrs.iter().filter_map(|a| self.node(a).ok()).collect()
    }

    /// The nodes to try, in order, after asking the first node that answers
    /// for the cluster's current view (when none answers: the last order).
    /// `shown`: the cluster URL, for logs.
    pub async fn refresh(&self, shown: &str) -> Vec<Node> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for node in self.nodes(&known) {
            let Ok(text) = node.ask::<String>("NODES").await else {
                continue;
            };
            let view = parse_nodes(&text);
            if view.is_empty() {
                continue;
            }
            let order = self.order(&view);
            tracing::debug!(
                "redis cluster: {} nodes by {}: {order:?}",
                view.len(),
                node.shown
            );
            *self.known.lock().unwrap_or_else(|e| e.into_inner()) = order.clone();
            return self.nodes(&order);
        }
        tracing::debug!("redis cluster: no node of {shown} answered");
        self.nodes(&known)
    }

    /// The given nodes that are up first (as given), then the other masters
    /// and replicas that are up, then the failed or unknown ones.
    fn order(&self, view: &[NodeLine]) -> Vec<String> {
        let up = |addr: &str| view.iter().any(|n| n.addr == addr && n.is_up());
        let mut order: Vec<String> = self.given.iter().filter(|a| up(a)).cloned().collect();
        for masters in [true, false] {
            for n in view {
                if n.is_up() && n.is_master() == masters && !order.contains(&n.addr) {
                    order.push(n.addr.clone());
                }
            }
        }
        for addr in self.given.iter().chain(view.iter().map(|n| &n.addr)) {
            if !addr.is_empty() && !order.contains(addr) {
                order.push(addr.clone());
            }
        }
        order
    }
}

/// One line of `CLUSTER NODES`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeLine {
    pub id: String,
    /// `host:port` (the cluster bus port and hostname left out).
    pub addr: String,
    /// `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`…
    pub flags: Vec<String>,
    /// The master's id, for a replica.
    pub master: Option<String>,
    /// `connected` or `disconnected`: the cluster bus link.
    pub link: String,
    /// Slots served (a master's), migrations left out.
    pub slots: u32,
}

impl NodeLine {
    pub fn is_master(&self) -> bool {
        self.flags.iter().any(|f| f == "master")
    }

    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// Not failed, nor suspected of it, and with an address.
    pub fn is_up(&self) -> bool {
        !self.addr.is_empty()
            && !["fail", "fail?", "noaddr", "handshake"]
                .iter()
                .any(|f| self.has(f))
    }

    /// Confirmed failed by the cluster (a majority of masters agreed).
    pub fn is_failed(&self) -> bool {
        self.has("fail")
    }

    /// `master`, `replica`, with `(failed)`/`(failing?)` when so.
    pub fn role(&self) -> String {
        let role = if self.is_master() {
            "master"
        } else if self.has("slave") {
            "replica"
        } else {
            "unknown"
        };
        if self.has("fail") {
            format!("{role} (failed)")
        } else if self.has("fail?") {
            format!("{role} (failing?)")
        } else {
            role.to_string()
        }
    }
}

/// Parse `CLUSTER NODES`; malformed lines are left out.
pub fn parse_nodes(text: &str) -> Vec<NodeLine> {
    let mut nodes = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 8 {
            continue;
        }
        // ip:port@cport[,hostname]; a node without an address shows ":0@0".
        let addr = fields[1].split(['@', ',']).next().unwrap_or_default();
        let addr = if addr.starts_with(':') { "" } else { addr };
        let slots = fields[8..]
            .iter()
            .filter(|s| !s.starts_with('['))
            .map(|s| match s.split_once('-') {
                Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
                    (Ok(a), Ok(b)) if b >= a => b - a + 1,
                    _ => 0,
                },
                None => u32::from(s.parse::<u32>().is_ok()),
            })
            .sum();
        nodes.push(NodeLine {
            id: fields[0].to_string(),
            addr: addr.to_string(),
            flags: fields[2].split(',').map(str::to_string).collect(),
            master: (fields[3] != "-").then(|| fields[3].to_string()),
            link: fields[7].to_string(),
            slots,
        });
    }
    nodes
}

/// Slots no master that is up serves: unassigned, or their master failed.
pub fn slots_without_master(view: &[NodeLine]) -> u32 {
    let served: u32 = view
        .iter()
        .filter(|n| n.is_master() && !n.is_failed())
        .map(|n| n.slots)
        .sum();
    SLOTS.saturating_sub(served)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEW: &str = "\
a1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460
a2 127.0.0.1:7002@17002 master - 0 1 2 connected 5461-10922 [5461->-a3]
a3 127.0.0.1:7003@17003,host3 master,fail - 1 0 3 disconnected 10923-16383
b1 127.0.0.1:7004@17004 slave a3 0 1 3 connected
b2 127.0.0.1:7005@17005 slave,fail? a1 0 1 1 connected
b3 :0@0 slave,noaddr a2 0 1 2 disconnected
";

    #[test]
    fn cluster_nodes_are_parsed() {
        let view = parse_nodes(VIEW);
        assert_eq!(view.len(), 6);
        assert_eq!(view[0].addr, "127.0.0.1:7001");
        assert_eq!(view[0].slots, 5461);
        assert_eq!(view[1].slots, 5462);
        assert_eq!(view[2].addr, "127.0.0.1:7003");
        assert_eq!(view[2].role(), "master (failed)");
        assert_eq!(view[3].master.as_deref(), Some("a3"));
        assert_eq!(view[3].role(), "replica");
        assert_eq!(view[4].role(), "replica (failing?)");
        assert!(!view[5].is_up());
        assert_eq!(slots_without_master(&view), 5461);
        assert_eq!(slots_without_master(&view[..2]), SLOTS - 5461 - 5462);
    }

    #[test]
    fn nodes_up_and_given_come_first() {
        let nodes = Nodes::parse("redis+cluster://u:p@ss@127.0.0.1:7003,127.0.0.1:7002/0").unwrap();
        assert_eq!(nodes.userinfo, "u:p@ss@");
        assert_eq!(nodes.suffix, "/0");
        let order = nodes.order(&parse_nodes(VIEW));
        assert_eq!(
            order,
            [
                "127.0.0.1:7002",
                "127.0.0.1:7001",
                "127.0.0.1:7004",
                "127.0.0.1:7003",
                "127.0.0.1:7005"
            ]
        );
        let node = nodes.node("127.0.0.1:7002").unwrap();
        assert_eq!(node.shown, "redis://127.0.0.1:7002/0");
    }

    #[test]
    fn bad_cluster_urls_are_refused() {
        assert!(is_cluster_url("REDIS+cluster://h:1"));
        assert!(!is_cluster_url("redis://h:1"));
        for bad in [
            "redis+cluster://",
            "redis+cluster://h",
            "redis+cluster://h:x",
            "redis+cluster://h:1,:2?",
        ] {
            assert!(Nodes::parse(bad).is_err(), "{bad}");
        }
    }
}
