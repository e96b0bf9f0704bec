//! Redis Pub/Sub: every conversation with Redis. Connecting (with URLs
//! safe to print), subscribing with keepalive and reconnection
//! ([`subscribe`]), publishing notifications in pipelines, best effort or
//! required, paced or not ([`notify`]), and the state `health` reports
//! ([`info`]). Channel globs are matched here too ([`glob`]).
//!
//! This is the seam where Redis Cluster plugs in: commands see only
//! [`Target`], [`subscribe::Feed`], [`notify::Notifier`] and
//! [`info::report`], never a connection. It never prints; what a user should
//! hear about comes through the [`Warn`] callback a command passes in.

pub mod cluster;
pub mod glob;
pub mod info;
pub mod notify;
pub mod resp;
pub mod sharded;
pub mod subscribe;
pub mod wire;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use crate::warn::Warn;

/// A Redis server, or a Redis Cluster (`redis+cluster://h:p,h:p`), to talk to.
#[derive(Clone)]
pub struct Target {
    kind: Kind,
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
enum Kind {
    Single(redis::Client),
    Cluster(Arc<cluster::Nodes>),
}

/// One server: a client for it and its address without credentials.
#[derive(Clone)]
pub(crate) struct Node {
    pub client: redis::Client,
    pub shown: String,
}

impl Target {
    /// Parse a Redis URL; the error never contains the password.
    pub fn open(url: &str) -> Result<Target, String> {
        let shown = display_url(url);
        let kind = if cluster::is_cluster_url(url) {
            let nodes = cluster::Nodes::parse(url)
                .map_err(|e| format!("{shown}: not a Redis Cluster URL ({})", scrub(&e, url)))?;
            Kind::Cluster(Arc::new(nodes))
        } else {
            let client = redis::Client::open(url).map_err(|e| {
                format!("{shown}: not a Redis URL ({})", scrub(&e.to_string(), url))
            })?;
            Kind::Single(client)
        };
        Ok(Target {
            kind,
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
    pub(crate) fn node_at(&self, addr: &str) -> Result<Node, String> {
        match &self.kind {
            Kind::Single(client) => Ok(Node {
                client: client.clone(),
                shown: self.shown.clone(),
            }),
            Kind::Cluster(nodes) => nodes.node(addr).map_err(|e| self.clean(&e)),
        }
    }

    /// An error's text for a message, with this URL's passwords replaced
    /// (every error that leaves this module goes through here).
    pub fn clean(&self, e: &dyn std::fmt::Display) -> String {
        scrub(&e.to_string(), &self.url)
    }

    pub(crate) fn cluster(&self) -> Option<&cluster::Nodes> {
        match &self.kind {
            Kind::Single(_) => None,
            Kind::Cluster(nodes) => Some(nodes),
        }
    }

    /// The servers to try, in order. A single Redis: its one. A cluster: its
    /// nodes as the cluster sees them now (asked of the first that answers),
    /// the given ones first, failed ones last.
    pub(crate) async fn nodes(&self) -> Vec<Node> {
        match &self.kind {
            Kind::Single(client) => vec![Node {
                client: client.clone(),
                shown: self.shown.clone(),
            }],
            Kind::Cluster(nodes) => nodes.refresh(self).await,
        }
    }

    /// Run `attempt` on each server in turn until one succeeds; `avoid` (a
    /// node's `shown`, the one that just failed) is tried last. The error
    /// names what was tried, without passwords.
    pub(crate) async fn on_any<T, F, Fut>(
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

    /// Connect and PING within `timeout` (a cluster: any node): fails with a
    /// message naming the (password-free) address.
    pub async fn check(&self, timeout: Duration) -> Result<(), String> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        // A single server is named here; a cluster's nodes by `on_any`.
        let at = |node: &Node| match self.cluster() {
            None => format!(" to {}", node.shown),
            Some(_) => String::new(),
        };
        self.on_any(None, |node| {
            let config = config.clone();
            let at = at(&node);
            async move {
                let mut conn = node
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
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
        .map_err(|e| format!("redis: {e}"))
    }
}

/// `text` with every password of `url` replaced: the user info's (as
/// written and percent-decoded) and a `pass=` query parameter's.
fn scrub(text: &str, url: &str) -> String {
    let mut secrets: Vec<String> = Vec::new();
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    {
        if let Some((userinfo, after)) = rest.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                secrets.push(password.to_string());
                secrets.push(percent_decode(password));
            }
            if let Some((_, query)) = after.split_once('?') {
                secrets.extend(query_secrets(query));
            }
        } else if let Some((_, query)) = rest.split_once('?') {
            secrets.extend(query_secrets(query));
        }
    }
    let mut text = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(s.as_str(), "<redacted>");
    }
    text
}

fn query_secrets(query: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| is_secret_param(k))
        .flat_map(|(_, v)| [v.to_string(), percent_decode(v)])
        .collect()
}

/// `%XX` escapes decoded (lossily): how the password is sent to Redis.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A Redis URL with any user and password removed, for messages and logs.
/// Everything up to the last `@` is user and password — also when the
/// password holds `/`, `?` or `#` unencoded; a `pass=`/`password=` query
/// parameter (unix socket URLs) is replaced.
pub fn display_url(url: &str) -> String {
    // Without a scheme (a mistyped URL) the user info goes all the same.
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, after)| after);
    let (place, query) = match rest.split_once('?') {
        Some((place, query)) => (place, Some(query)),
        None => (rest, None),
    };
    let mut shown = if scheme.is_empty() {
        place.to_string()
    } else {
        format!("{scheme}://{place}")
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_secret_param(k) => format!("{k}=<redacted>"),
                _ => pair.to_string(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    shown
}

fn is_secret_param(key: &str) -> bool {
    matches!(key.to_ascii_lowercase().as_str(), "pass" | "password")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_lose_the_password() {
        assert_eq!(
            scrub("bad s3cret here", "redis://:s3cret@h:1/0"),
            "bad <redacted> here"
        );
        assert_eq!(scrub("no secret", "redis://h:1"), "no secret");
        assert_eq!(
            scrub("auth p@ss failed", "redis://u:p%40ss@h:1"),
            "auth <redacted> failed"
        );
        assert_eq!(
            scrub("x s3cret y", "unix:///tmp/r.sock?pass=s3cret"),
            "x <redacted> y"
        );
        let err = Target::open("redis://:s3cret@h:notaport").err().unwrap();
        assert!(!err.contains("s3cret"), "{err}");
        let err = Target::open("user:s3cret@host:6379").err().unwrap();
        assert!(!err.contains("s3cret"), "{err}");
        assert_eq!(scrub("x s3cret y", "user:s3cret@host:1"), "x <redacted> y");
    }

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
        assert_eq!(
            display_url("redis+unix:///tmp/r.sock?db=1&pass=s3cret&user=u"),
            "redis+unix:///tmp/r.sock?db=1&pass=<redacted>&user=u"
        );
        // Unencoded / ? # @ in a password still never show.
        assert_eq!(display_url("redis://:pa/s?s#w@rd@h:1/0"), "redis://h:1/0");
        assert_eq!(display_url("redis://u:p%40ss@h:1"), "redis://h:1");
        // A mistyped URL without a scheme still loses its user info.
        assert_eq!(display_url("user:s3cret@host:6379"), "host:6379");
        assert_eq!(display_url(":s3cret@h:6379/0"), "h:6379/0");
    }
}
