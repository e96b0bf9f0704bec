//! Sharded notifications (`--sharded`): each SPUBLISH at its channel's
//! slot owner, one pipeline per owner at once, routed by the slot map of
//! [`super::super::slots`], following MOVED (the map is out of date) and
//! ASK (this command only, with ASKING first) per command.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;

use super::super::node::{Node, CONNECT_TIMEOUT, RESPONSE_TIMEOUT};
use super::super::slots::{key_slot, Route, SlotCache};
use super::super::target::Target;
use super::Outbound;

/// Most rounds of redirects (MOVED, ASK) or retries for one batch.
const MOST_ROUNDS: usize = 5;
/// A node that failed is not tried again for this long: its notifications
/// count as failed at once (the other nodes' go on).
const DOWN_FOR: Duration = Duration::from_millis(100);

/// Sharded mode's connections: one per slot owner, and the slot map.
pub struct Shards {
    owners: SlotCache,
    conns: HashMap<String, (MultiplexedConnection, Node)>,
    /// Nodes that failed: until when they are skipped, and what they said.
    down: HashMap<String, (Instant, String, String)>,
}

/// What became of one notification in a round.
enum Answer {
    Taken,
    /// MOVED or ASK elsewhere.
    Redirected(Route),
    Failed(String),
}

impl Shards {
    pub fn new() -> Shards {
        Shards {
            owners: SlotCache::new(),
            conns: HashMap::new(),
            down: HashMap::new(),
        }
    }

    /// The connection to `addr`, made if need be.
    async fn conn(
        &mut self,
        target: &Target,
        addr: &str,
    ) -> Result<(MultiplexedConnection, Node), String> {
        if let Some(c) = self.conns.get(addr) {
            return Ok(c.clone());
        }
        let node = target.node_at(addr)?;
        let conn = node
            .commands(CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
            .await
            .map_err(|e| target.clean(&e))?;
        self.conns
            .insert(addr.to_string(), (conn.clone(), node.clone()));
        Ok((conn, node))
    }

    /// SPUBLISH `batch`, one pipeline per slot owner at once: per
    /// notification whether Redis took it, and the first error (the node's
    /// address and what it said). A MOVED refreshes the map and goes to the
    /// new owner, an ASK goes to the node named with ASKING first; a node
    /// that fails gets its notifications again once, after a refresh (and
    /// is skipped for [`DOWN_FOR`]). Also whether no node answered at all.
    pub async fn publish(
        &mut self,
        target: &Target,
        batch: &[Outbound],
    ) -> (Vec<bool>, Option<(String, String)>, bool) {
        let slots: Vec<u16> = batch.iter().map(|(c, _)| key_slot(c.as_bytes())).collect();
        let mut done = vec![false; batch.len()];
        let mut failures = vec![0u8; batch.len()];
        let mut redirect: Vec<Option<Route>> = vec![None; batch.len()];
        let mut todo: Vec<usize> = (0..batch.len()).collect();
        let mut first_error: Option<(String, String)> = None;
        let mut last_error: Option<(String, String)> = None;
        for _ in 0..MOST_ROUNDS {
            if todo.is_empty() {
                break;
            }
            if let Err(e) = self.owners.get(target).await {
                return (done, Some((target.shown.clone(), e)), true);
            }
            let now = Instant::now();
            self.down.retain(|_, (until, ..)| now < *until);
            let mut groups: BTreeMap<Route, Vec<usize>> = BTreeMap::new();
            for &i in &todo {
                match self.owners.route(slots[i], redirect[i].take()) {
                    Some(route) => groups.entry(route).or_default().push(i),
                    None => {
                        let e = format!("slot {} has no master", slots[i]);
                        last_error = Some((target.shown.clone(), e));
                        failures[i] = u8::MAX;
                    }
                }
            }
            let mut sends = Vec::new();
            let mut outcomes: Vec<(usize, Answer)> = Vec::new();
            for (Route { addr, asking }, idx) in groups {
                if let Some((_, shown, e)) = self.down.get(&addr) {
                    last_error = Some((shown.clone(), e.clone()));
                    for i in idx {
                        failures[i] = u8::MAX;
                    }
                    continue;
                }
                match self.conn(target, &addr).await {
                    Ok((mut conn, node)) => {
                        let mut pipe = redis::pipe();
                        pipe.ignore_errors();
                        for &i in &idx {
                            if asking {
                                pipe.cmd("ASKING");
                            }
                            let (channel, payload) = &batch[i];
                            pipe.cmd("SPUBLISH").arg(channel).arg(payload);
                        }
                        sends.push(async move {
                            let replies = pipe.query_async::<Vec<redis::Value>>(&mut conn).await;
                            (addr, node, asking, idx, replies)
                        });
                    }
                    Err(e) => {
                        let shown = target
                            .node_at(&addr)
                            .map_or_else(|_| addr.clone(), |n| n.shown);
                        last_error = Some((shown.clone(), e.clone()));
                        self.down
                            .insert(addr.clone(), (now + DOWN_FOR, shown, e.clone()));
                        outcomes.extend(idx.into_iter().map(|i| (i, Answer::Failed(e.clone()))));
                    }
                }
            }
            let mut refresh = false;
            for (addr, node, asking, idx, replies) in futures::future::join_all(sends).await {
                let replies = match replies {
                    Ok(replies) => replies,
                    Err(e) => {
                        // The link is gone (or timed out): a new one next time.
                        self.conns.remove(&addr);
                        let e = target.clean(&e);
                        last_error = Some((node.shown.clone(), e.clone()));
                        self.down.insert(
                            addr.clone(),
                            (now + DOWN_FOR, node.shown.clone(), e.clone()),
                        );
                        outcomes.extend(idx.into_iter().map(|i| (i, Answer::Failed(e.clone()))));
                        continue;
                    }
                };
                // With ASKING first, every other reply is an SPUBLISH's.
                let step = if asking { 2 } else { 1 };
                let answers = replies.into_iter().skip(step - 1).step_by(step);
                let mut answers = answers.fuse();
                for i in idx {
                    let outcome = match answers.next() {
                        Some(redis::Value::ServerError(e)) => {
                            let said = format!("{} {}", e.code(), e.details().unwrap_or(""));
                            match Route::redirect(&said) {
                                Some(route) => Answer::Redirected(route),
                                None => Answer::Failed(said),
                            }
                        }
                        Some(_) => Answer::Taken,
                        None => Answer::Failed("no reply".to_string()),
                    };
                    if let Answer::Failed(e) = &outcome {
                        last_error = Some((node.shown.clone(), e.clone()));
                    }
                    if let Answer::Redirected(to) = &outcome {
                        tracing::debug!(
                            "redis: {} said {} to {}",
                            node.shown,
                            if to.asking { "ASK" } else { "MOVED" },
                            to.addr
                        );
                    }
                    outcomes.push((i, outcome));
                }
            }
            todo.clear();
            for (i, outcome) in outcomes {
                match outcome {
                    Answer::Taken => done[i] = true,
                    Answer::Redirected(to) => {
                        // MOVED: the map is stale. ASK: only this command
                        // goes elsewhere, mid-migration.
                        refresh |= !to.asking;
                        redirect[i] = Some(to);
                        todo.push(i);
                    }
                    Answer::Failed(_) => {
                        refresh = true;
                        failures[i] += 1;
                        if failures[i] < 2 {
                            todo.push(i);
                        }
                    }
                }
            }
            todo.sort_unstable();
            if first_error.is_none() && done.iter().any(|d| !d) {
                first_error = last_error.clone();
            }
            if refresh {
                self.owners.outdated();
            }
        }
        let error = if done.iter().all(|d| *d) {
            None
        } else {
            last_error.or(first_error).or_else(|| {
                Some((
                    target.shown.clone(),
                    format!("still redirected after {MOST_ROUNDS} tries"),
                ))
            })
        };
        (done, error, false)
    }
}
