//! [`Target`]: the Redis given with `--redis` — one server, or a Redis
//! Cluster's nodes — printable without its password, and the order to try
//! its nodes in.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::cluster::{self, Nodes};
use super::node::Node;
use super::url::{display_url, scrub};
use crate::error::{fail, Code};

/// A Redis server, or a Redis Cluster (`redis+cluster://h:p,h:p`), to talk to.
#[derive(Clone)]
pub struct Target {
    servers: Servers,
    /// The URL without credentials, for messages.
    pub shown: String,
    /// The URL as given, only to scrub its passwords out of error texts.
    url: Arc<str>,
    /// Sharded Pub/Sub (`--sharded`): SPUBLISH and SSUBSCRIBE at each
    /// channel's slot owner instead of PUBLISH and SUBSCRIBE anywhere.
    sharded: bool,
}

#[derive(Clone)]
// One per Target: a Redis client (larger with TLS built in) beside a pointer
// costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
enum Servers {
    Single(redis::Client),
    Cluster(Arc<Nodes>),
}

impl Target {
    /// Parse a Redis URL; the error (a usage error) never contains the
    /// password.
    pub fn open(url: &str) -> anyhow::Result<Target> {
        let shown = display_url(url);
        let bad = |what: &str, e: &str| {
            fail(
                Code::Usage,
                format!("{shown}: not a {what} URL ({})", scrub(e, url)),
            )
        };
        let servers = if cluster::is_cluster_url(url) {
            let nodes = Nodes::parse(url).map_err(|e| bad("Redis Cluster", &e))?;
            Servers::Cluster(Arc::new(nodes))
        } else {
            let client = redis::Client::open(url).map_err(|e| bad("Redis", &e.to_string()))?;
            Servers::Single(client)
        };
        Ok(Target {
            servers,
            shown,
            url: Arc::from(url),
            sharded: false,
        })
    }

    /// The same Redis in sharded Pub/Sub mode (`on`) or classic mode.
    pub fn with_sharded(mut self, on: bool) -> Target {
        self.sharded = on;
        self
    }

    /// Whether notifications and subscriptions are sharded (`--sharded`).
    pub fn sharded(&self) -> bool {
        self.sharded
    }

    /// The server at `addr` (`host:port`, from a slot map or a redirect):
    /// a cluster node with the URL's credentials; a single Redis is its own
    /// one server whatever the address.
    pub(super) fn node_at(&self, addr: &str) -> Result<Node, String> {
        match &self.servers {
            Servers::Single(client) => Ok(Node {
                client: client.clone(),
                shown: self.shown.clone(),
            }),
            Servers::Cluster(nodes) => nodes.node(addr).map_err(|e| self.clean(&e)),
        }
    }

    /// An error's text for a message, with this URL's passwords replaced
    /// (every error that leaves this module goes through here).
    pub(super) fn clean(&self, e: &dyn std::fmt::Display) -> String {
        super::url::reworded(scrub(&e.to_string(), &self.url))
    }

    pub(super) fn cluster(&self) -> Option<&Nodes> {
        match &self.servers {
            Servers::Single(_) => None,
            Servers::Cluster(nodes) => Some(nodes),
        }
    }

    /// The servers to try, in order. A single Redis: its one. A cluster: its
    /// nodes as the cluster sees them now (asked of the first that answers),
    /// the given ones first, failed ones last.
    pub(super) async fn nodes(&self) -> Vec<Node> {
        match &self.servers {
            Servers::Single(client) => vec![Node {
                client: client.clone(),
                shown: self.shown.clone(),
            }],
            Servers::Cluster(nodes) => nodes.refresh(&self.shown).await,
        }
    }

    /// Run `attempt` on each server in turn until one succeeds; `avoid` (a
    /// node's `shown`, the one that just failed) is tried last. The error
    /// names what was tried, without passwords.
    pub(super) async fn on_any<T, F, Fut>(
        &self,
        avoid: Option<&str>,
        mut attempt: F,
    ) -> Result<(T, Node), String>
    where
        F: FnMut(Node) -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        let mut nodes = self.nodes().await;
        if let Some(avoid) = avoid {
            // Stable: the others keep their order.
            nodes.sort_by_key(|n| n.shown == avoid);
        }
        let single = self.cluster().is_none();
        let mut errors = Vec::new();
        for node in nodes {
            match attempt(node.clone()).await {
                Ok(t) => return Ok((t, node)),
                Err(e) if single => return Err(e),
                Err(e) => errors.push(format!("{}: {e}", node.shown)),
            }
        }
        Err(if errors.is_empty() {
            "no node known".to_string()
        } else {
            format!("no cluster node answered ({})", errors.join("; "))
        })
    }

    /// Connect and PING within `timeout` (a cluster: any node): fails with
    /// a message naming the (password-free) address, exit 5.
    pub async fn check(&self, timeout: Duration) -> anyhow::Result<()> {
        // A single server is named here; a cluster's nodes by `on_any`.
        let at = |node: &Node| match self.cluster() {
            None => format!(" to {}", node.shown),
            Some(_) => String::new(),
        };
        self.on_any(None, |node| {
            let at = at(&node);
            async move {
                let mut conn = node
                    .commands(timeout, timeout)
                    .await
                    .map_err(|e| format!("cannot connect{at}: {}", self.clean(&e)))?;
                redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .map_err(|e| format!("PING{at}: {}", self.clean(&e)))
            }
        })
        .await
        .map(|_| ())
        .map_err(|e| fail(Code::Redis, format!("redis: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_are_usage_errors_without_the_password() {
        for url in [
            "redis://:s3cret@h:notaport",
            "user:s3cret@host:6379",
            "redis+cluster://:s3cret@h:1,h",
        ] {
            let err = Target::open(url).err().unwrap();
            assert_eq!(crate::error::code_of(&err), Code::Usage, "{url}");
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
        let err = Target::open("redis+cluster://:s3cret@h:1,h").err().unwrap();
        assert!(err.to_string().contains("redis+cluster://h:1,h"), "{err}");
    }
}
