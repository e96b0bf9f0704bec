//! Sharded notifications (`--sharded`): each SPUBLISH at its channel's
//! slot owner, one pipeline per owner at once, routed by the slot map of
//! [`super::super::slots`], following MOVED (the map is out of date) and
//! ASK (this command only, with ASKING first) per command.
//!
//! Each owner's pipeline goes out on a [`Outlet`] of its own (the classic
//! side's connection: written raw into one reused buffer, its replies read
//! one by one by our RESP2 reader), and every reply is the fate of one
//! notification: taken, redirected, or refused (CLUSTERDOWN, TRYAGAIN,
//! NOPERM: counted as failed, never the whole pipeline).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::super::cluster::SLOTS;
use super::super::node::Node;
use super::super::notes::Notes;
use super::super::resp::encode;
use super::super::slots::{key_slot, Route, SlotCache};
use super::super::target::Target;
use super::super::wire::Frame;
use super::link::Outlet;

/// Most rounds of redirects (MOVED, ASK) or retries for one batch.
const MOST_ROUNDS: usize = 5;
/// A node that failed is not tried again for this long: its notifications
/// count as failed at once (the other nodes' go on).
const DOWN_FOR: Duration = Duration::from_millis(100);

/// Sharded mode's connections: one per slot owner, and the slot map.
pub struct Shards {
    owners: SlotCache,
    links: HashMap<String, Outlet>,
    /// Per slot, its group in the round being sent (`u32::MAX`: none yet);
    /// `touched` the slots set, reset before the next round.
    group_of: Vec<u32>,
    touched: Vec<u16>,
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
            links: HashMap::new(),
            group_of: vec![u32::MAX; SLOTS as usize],
            touched: Vec::new(),
            down: HashMap::new(),
        }
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
        batch: &Notes,
    ) -> (Vec<bool>, Option<(String, String)>, bool) {
        let slots: Vec<u16> = batch.iter().map(|(c, _)| key_slot(c)).collect();
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
            // One group per route; each slot's route looked up once (a
            // redirect is the command's own).
            let mut groups: Vec<(Route, Vec<usize>)> = Vec::new();
            for &slot in &self.touched {
                self.group_of[usize::from(slot)] = u32::MAX;
            }
            self.touched.clear();
            for &i in &todo {
                let hint = redirect[i].take();
                let known = match hint {
                    None => Some(self.group_of[usize::from(slots[i])] as usize)
                        .filter(|&g| g < groups.len()),
                    Some(_) => None,
                };
                if let Some(g) = known {
                    groups[g].1.push(i);
                    continue;
                }
                let by_map = hint.is_none();
                match self.owners.route(slots[i], hint) {
                    Some(route) => {
                        let g = match groups.iter().position(|(r, _)| *r == route) {
                            Some(g) => g,
                            None => {
                                groups.push((route, Vec::new()));
                                groups.len() - 1
                            }
                        };
                        groups[g].1.push(i);
                        if by_map {
                            self.group_of[usize::from(slots[i])] = g as u32;
                            self.touched.push(slots[i]);
                        }
                    }
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
                let link = match self.links.remove(&addr) {
                    Some(link) => Via::Open(link),
                    None => match target.node_at(&addr) {
                        Ok(node) => Via::Connect(node),
                        Err(e) => Via::Not(e),
                    },
                };
                sends.push(send(target, batch, addr, asking, idx, link));
            }
            let mut refresh = false;
            for (addr, sent) in futures::future::join_all(sends).await {
                let Sent {
                    shown,
                    idx,
                    answers,
                    link,
                    cut,
                    reused,
                } = sent;
                if let Some(link) = link {
                    self.links.insert(addr.clone(), link);
                }
                let answered = answers.len();
                for (&i, outcome) in idx.iter().zip(answers) {
                    match &outcome {
                        Answer::Failed(e) => last_error = Some((shown.clone(), e.clone())),
                        Answer::Redirected(to) => tracing::debug!(
                            "redis: {shown} said {} to {}",
                            if to.asking { "ASK" } else { "MOVED" },
                            to.addr
                        ),
                        Answer::Taken => {}
                    }
                    outcomes.push((i, outcome));
                }
                if let Some(e) = cut {
                    // The link is gone (refused, closed, timed out): a new
                    // one next time. What it did not answer goes again
                    // once, after a refresh. The node is skipped for a
                    // moment, unless this was a link kept from before that
                    // failed at once (the server closed an idle link): the
                    // retry then tries a new one.
                    last_error = Some((shown.clone(), e.clone()));
                    if !(reused && answered == 0) {
                        self.down
                            .insert(addr, (now + DOWN_FOR, shown.clone(), e.clone()));
                    }
                    outcomes.extend(
                        idx[answered..]
                            .iter()
                            .map(|&i| (i, Answer::Failed(e.clone()))),
                    );
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

/// What one owner's pipeline came to: the answers to the first
/// `answers.len()` of `idx`, in order; the link, unless it was cut (`cut`
/// says why, scrubbed); `shown`, the node's address for messages.
struct Sent {
    shown: String,
    idx: Vec<usize>,
    answers: Vec<Answer>,
    link: Option<Outlet>,
    cut: Option<String>,
    /// The link was kept from an earlier pipeline.
    reused: bool,
}

/// How a pipeline reaches its node: the link kept from before, a node to
/// connect to, or why there is none (an address the URL cannot name).
enum Via {
    Open(Outlet),
    Connect(Node),
    Not(String),
}

/// SPUBLISH `batch[idx]` at `addr` on `link` (connected first when it is
/// a node to connect to), each after ASKING when `asking`.
async fn send(
    target: &Target,
    batch: &Notes,
    addr: String,
    asking: bool,
    idx: Vec<usize>,
    link: Via,
) -> (String, Sent) {
    let mut sent = Sent {
        shown: addr.clone(),
        idx,
        answers: Vec::new(),
        link: None,
        cut: None,
        reused: matches!(link, Via::Open(_)),
    };
    let mut link = match link {
        Via::Open(link) => link,
        Via::Not(e) => {
            sent.cut = Some(e);
            return (addr, sent);
        }
        Via::Connect(node) => {
            sent.shown = node.shown.clone();
            match Outlet::open(node).await {
                Ok(link) => link,
                Err(e) => {
                    sent.cut = Some(target.clean(&e));
                    return (addr, sent);
                }
            }
        }
    };
    sent.shown = link.node.shown.clone();
    let out = link.pipeline();
    for &i in &sent.idx {
        if asking {
            encode(out, &[b"ASKING"]);
        }
        let (channel, payload) = batch.get(i);
        encode(out, &[b"SPUBLISH", channel, payload]);
    }
    // With ASKING first, every other reply is an SPUBLISH's.
    let step = if asking { 2 } else { 1 };
    let mut nth = 0;
    let answers = &mut sent.answers;
    let exchanged = link
        .exchange(None, sent.idx.len() * step, |frame| {
            nth += 1;
            if nth % step == 0 {
                answers.push(answer(frame));
            }
        })
        .await;
    match exchanged {
        Ok(()) => sent.link = Some(link),
        Err(error) => sent.cut = Some(target.clean(&error)),
    }
    (addr, sent)
}

/// One SPUBLISH's reply: taken, or an error reply, a redirect or not.
fn answer(frame: Frame) -> Answer {
    match frame {
        Frame::Error(said) => match Route::redirect(&said) {
            Some(route) => Answer::Redirected(route),
            None => Answer::Failed(said),
        },
        _ => Answer::Taken,
    }
}
