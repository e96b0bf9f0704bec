//! Classic notifications: a PUBLISH pipeline at the one server, or at any
//! node of a cluster (its bus carries each to every subscriber). After a
//! failure a cluster's next pipeline goes to another node at once.
//!
//! The pipeline goes out as it was written where the notifications were
//! made ([`Notes`]: their PUBLISH commands, back to back) and its replies
//! are counted off our own RESP2 reader ([`super::super::wire`], the
//! subscriber's connection): redis-rs built a command per notification,
//! copied it again into the pipeline and parsed each reply with its general
//! codec, six times what `redis-benchmark` spends on the same PUBLISHes.

use super::super::notes::Notes;
use super::super::target::Target;
use super::super::wire::Frame;
use super::link::Outlet;

/// The connection pipelines go out on, made when needed.
pub struct Classic {
    link: Option<Outlet>,
    /// The node whose pipeline failed last: tried last when reconnecting.
    avoid: Option<String>,
}

/// What became of a pipeline.
pub enum Fate {
    /// Redis took all of it.
    Taken,
    /// Not sent: there is no connection, and none may be tried yet.
    Skipped,
    /// Not all taken: `at` (a node, or the target) said `error`. The first
    /// `answered` notifications got a reply, an error reply for those in
    /// `refused` (the others Redis took); the rest got none (some may have
    /// gone out). `pause`: no new connection attempt for a moment (a single
    /// Redis; a cluster moves on to another node at once).
    Failed {
        answered: usize,
        refused: Vec<usize>,
        at: String,
        error: String,
        pause: bool,
    },
}

impl Classic {
    pub fn new() -> Classic {
        Classic {
            link: None,
            avoid: None,
        }
    }

    /// PUBLISH `batch` in one pipeline. `may_connect`: whether a new
    /// connection may be tried now; `recovering`: earlier ones failed (a
    /// reconnection is logged).
    pub async fn publish(
        &mut self,
        target: &Target,
        batch: &Notes,
        may_connect: bool,
        recovering: bool,
    ) -> Fate {
        if self.link.is_none() && may_connect {
            let connected = target
                .on_any(self.avoid.as_deref(), |node| async move {
                    Outlet::open(node).await.map_err(|e| target.clean(&e))
                })
                .await;
            match connected {
                Ok((link, node)) => {
                    if recovering {
                        tracing::info!("redis: reconnected to {}", node.shown);
                    }
                    self.link = Some(link);
                }
                Err(error) => {
                    return Fate::Failed {
                        answered: 0,
                        refused: Vec::new(),
                        at: target.shown.clone(),
                        error,
                        pause: true,
                    }
                }
            }
        }
        let Some(link) = self.link.as_mut() else {
            return Fate::Skipped;
        };
        let mut answered = 0;
        let mut refused = Vec::new();
        let mut said: Option<String> = None;
        let exchanged = link
            .exchange(Some(batch.wire()), batch.len(), |frame| {
                if let Frame::Error(e) = frame {
                    refused.push(answered);
                    said.get_or_insert(e);
                }
                answered += 1;
            })
            .await;
        let error = match exchanged {
            Ok(()) => match said {
                None => return Fate::Taken,
                Some(e) => e,
            },
            Err(error) => error,
        };
        let error = target.clean(&error);
        let at = link.node.shown.clone();
        let clustered = target.cluster().is_some();
        if clustered {
            // Another node takes the next pipeline right away: any node's
            // PUBLISH reaches every subscriber. What this one did not
            // answer is lost (some may have gone out), as with a single
            // Redis.
            tracing::info!("redis: {error} at {at}; moving to another node");
            self.avoid = Some(at.clone());
        }
        // A fresh connection next time: one that failed or timed out may
        // still owe replies, and an error reply may be the server's state
        // (loading, a changed ACL) that a reconnection sees anew.
        self.link = None;
        Fate::Failed {
            answered,
            refused,
            at,
            error,
            pause: !clustered,
        }
    }
}
