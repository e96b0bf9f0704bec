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

pub mod glob;
pub mod info;
pub mod notify;
pub mod subscribe;

use std::sync::Arc;
use std::time::Duration;

/// Where warnings go (the command's `Output`); called from any task.
pub type Warn = Arc<dyn Fn(&str) + Send + Sync>;

/// A Redis server to talk to.
#[derive(Clone)]
pub struct Target {
    client: redis::Client,
    /// The URL without credentials, for messages.
    pub shown: String,
}

impl Target {
    /// Parse a Redis URL; the error never contains the password.
    pub fn open(url: &str) -> Result<Target, String> {
        let shown = display_url(url);
        let client = redis::Client::open(url)
            .map_err(|e| format!("{shown}: not a Redis URL ({})", scrub(&e.to_string(), url)))?;
        Ok(Target { client, shown })
    }

    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Connect and PING within `timeout`: fails with a message naming the
    /// (password-free) address.
    pub async fn check(&self, timeout: Duration) -> Result<(), String> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let mut conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| format!("redis: cannot connect to {}: {e}", self.shown))?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map_err(|e| format!("redis: PING to {}: {e}", self.shown))?;
        Ok(())
    }
}

/// `text` with the password of `url` (if any) replaced.
fn scrub(text: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':').map(|(_, p)| p))
        .filter(|p| !p.is_empty());
    match password {
        Some(p) => text.replace(p, "<redacted>"),
        None => text.to_string(),
    }
}

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
        let err = Target::open("redis://:s3cret@h:notaport").err().unwrap();
        assert!(!err.contains("s3cret"), "{err}");
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
    }
}
