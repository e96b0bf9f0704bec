//! One Redis server, and the one way to connect to it, with one set of
//! timeouts: a command connection (redis-rs, multiplexed: PING, INFO,
//! `CLUSTER …`) or a raw connection (our own RESP2 reader, [`super::wire`]:
//! the subscribers' and the notifier's PUBLISH and SPUBLISH pipelines). Every connection of
//! this module — the subscribers', the notifier's, `health`'s, the slot
//! map's — is made here.

use std::time::Duration;

use redis::aio::MultiplexedConnection;

use super::wire;
use crate::duration::show_duration;

/// Connecting to one node: TCP, TLS, AUTH. Short, so that a dead node does
/// not hold up the others (another cluster node, the next retry), and long
/// enough for a TLS handshake to a Redis in another region.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// One node's answer to a question about the cluster (`CLUSTER NODES`,
/// `CLUSTER SLOTS`): asked of the next node when this one is slow.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(1);
/// A node's answer to a pipeline, or a subscription's confirmations (in all).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// One server: a client for it and its address without credentials.
#[derive(Clone)]
pub struct Node {
    pub client: redis::Client,
    pub shown: String,
}

impl Node {
    /// A command connection, made within `connect`; each reply may take
    /// `response`. Most callers pass [`CONNECT_TIMEOUT`] and
    /// [`RESPONSE_TIMEOUT`]; a check under the user's deadline passes what
    /// is left of it.
    pub async fn commands(
        &self,
        connect: Duration,
        response: Duration,
    ) -> Result<MultiplexedConnection, redis::RedisError> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(connect))
            .set_response_timeout(Some(response));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// A subscriber's connection, connected and authenticated as the URL
    /// says within [`CONNECT_TIMEOUT`]. Errors hold no password (Redis's
    /// own refusals never quote it), but callers still scrub them.
    pub async fn subscriber(&self) -> Result<(wire::FrameReader, wire::Writer), String> {
        tokio::time::timeout(CONNECT_TIMEOUT, wire::open(&self.client))
            .await
            .map_err(|_| format!("no answer within {}", show_duration(CONNECT_TIMEOUT)))?
    }

    /// The notifier's PUBLISH connection: the same connection as a
    /// subscriber's (our own RESP2 wire, without redis-rs's per-command
    /// encoding and reply parsing).
    pub async fn publisher(&self) -> Result<(wire::FrameReader, wire::Writer), String> {
        self.subscriber().await
    }

    /// `CLUSTER <what>` (`NODES`, `SLOTS`): connected and answered within
    /// [`ASK_TIMEOUT`] in all. Errors may hold the password (callers scrub
    /// what they show).
    pub async fn ask<T: redis::FromRedisValue>(&self, what: &str) -> Result<T, String> {
        let query = async {
            let mut conn = self.commands(CONNECT_TIMEOUT, ASK_TIMEOUT).await?;
            redis::cmd("CLUSTER")
                .arg(what)
                .query_async::<T>(&mut conn)
                .await
        };
        tokio::time::timeout(ASK_TIMEOUT, query)
            .await
            .map_err(|_| "no answer in time".to_string())?
            .map_err(|e| e.to_string())
    }
}
