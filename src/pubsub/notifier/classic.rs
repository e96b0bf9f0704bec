//! Classic notifications: a PUBLISH pipeline at the one server, or at any
//! node of a cluster (its bus carries each to every subscriber). After a
//! failure a cluster's next pipeline goes to another node at once.

use redis::aio::MultiplexedConnection;

use super::super::node::{Node, CONNECT_TIMEOUT, RESPONSE_TIMEOUT};
use super::super::target::Target;
use super::Outbound;

/// The connection pipelines go out on, made when needed.
pub struct Classic {
    conn: Option<(MultiplexedConnection, Node)>,
    /// The node whose pipeline failed last: tried last when reconnecting.
    avoid: Option<String>,
}

/// What became of a pipeline.
pub enum Fate {
    /// Redis took all of it.
    Taken,
    /// Not sent: there is no connection, and none may be tried yet.
    Skipped,
    /// Lost (some may have gone out): `at` (a node, or the target) said
    /// `error`. `pause`: no new connection attempt for a moment (a single
    /// Redis; a cluster moves on to another node at once).
    Failed {
        at: String,
        error: String,
        pause: bool,
    },
}

impl Classic {
    pub fn new() -> Classic {
        Classic {
            conn: None,
            avoid: None,
        }
    }

    /// PUBLISH `batch` in one pipeline. `may_connect`: whether a new
    /// connection may be tried now; `recovering`: earlier ones failed (a
    /// reconnection is logged).
    pub async fn publish(
        &mut self,
        target: &Target,
        batch: &[Outbound],
        may_connect: bool,
        recovering: bool,
    ) -> Fate {
        if self.conn.is_none() && may_connect {
            let connected = target
                .on_any(self.avoid.as_deref(), |node| async move {
                    node.commands(CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
                        .await
                        .map_err(|e| target.clean(&e))
                })
                .await;
            match connected {
                Ok((c, node)) => {
                    if recovering {
                        tracing::info!("redis: reconnected to {}", node.shown);
                    }
                    self.conn = Some((c, node));
                }
                Err(error) => {
                    return Fate::Failed {
                        at: target.shown.clone(),
                        error,
                        pause: true,
                    }
                }
            }
        }
        let Some((c, node)) = self.conn.as_mut() else {
            return Fate::Skipped;
        };
        let mut pipe = redis::pipe();
        for (channel, payload) in batch {
            pipe.publish(channel, payload).ignore();
        }
        match pipe.query_async::<()>(c).await {
            Ok(()) => Fate::Taken,
            Err(e) => {
                let error = target.clean(&e);
                let at = node.shown.clone();
                let clustered = target.cluster().is_some();
                if clustered {
                    // Another node takes the next pipeline right away: any
                    // node's PUBLISH reaches every subscriber. This one's
                    // notifications are lost (some may have gone out), as
                    // with a single Redis.
                    tracing::info!("redis: {error} at {at}; moving to another node");
                    self.avoid = Some(at.clone());
                }
                self.conn = None;
                Fate::Failed {
                    at,
                    error,
                    pause: !clustered,
                }
            }
        }
    }
}
