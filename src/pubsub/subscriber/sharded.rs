//! Sharded Pub/Sub (`--sharded`, Redis 7+): following channels with
//! SSUBSCRIBE at the master that owns each channel's slot. It maps channel
//! → slot → owner (routing, the slot map and MOVED/ASK are
//! [`super::super::slots`], shared with the sharded notifier), keeps one
//! connection per owner (made by [`super::super::node`]), sends one
//! SSUBSCRIBE per slot (Redis refuses one that names channels of two slots),
//! and reconciles: when a slot's subscription ends — an unsolicited
//! `sunsubscribe` (the slot moved), a MOVED reply, a dropped connection, a
//! failover, a PING unanswered — it asks the cluster again for the owner and
//! subscribes that slot's channels there. redis-rs's cluster Pub/Sub loses
//! subscriptions in each of these cases (issue 15), so it is not used.
//!
//! It hands out the same [`Feed`] as classic mode. While a slot is being
//! resubscribed, the messages of the other slots are held back; once every
//! slot is back a [`Item::Gap`] goes in first (its warning names the
//! channels), then what was held. So, as in classic mode, everything before
//! a gap marker arrived, and a reader that fills the gap from Kafka reads
//! from where the stream was last whole.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::super::feed::{Feed, Gap, Handoff, Item, Message, Subscriptions};
use super::super::node::RESPONSE_TIMEOUT;
use super::super::slots::{key_slot, Route, SlotCache};
use super::super::target::Target;
use super::super::{resp, wire, Warn};
use crate::duration::show_duration;

/// How long the first subscription may take in all.
const SUBSCRIBE_TIMEOUT: Duration = RESPONSE_TIMEOUT;
/// How often a slot without a subscription is tried again, and the links
/// looked at.
const RETRY_EVERY: Duration = Duration::from_millis(100);
/// Most messages held back while a slot is being resubscribed; past it they
/// are dropped (and said to be, as a full queue's are).
const HOLD_MOST: usize = 100_000;

/// Subscribe to every channel of `subs` at its slot's owner (failing with
/// why, naming the address), then keep the subscriptions for as long as the
/// feed lives. Channel names only: SSUBSCRIBE has no pattern form.
pub async fn subscribe(
    target: &Target,
    subs: &Subscriptions,
    queue: usize,
    warn: Warn,
) -> Result<Feed, String> {
    if !subs.patterns.is_empty() {
        return Err(format!(
            "sharded Pub/Sub has no pattern form: {}",
            subs.patterns.join(", ")
        ));
    }
    let (events, mut events_rx) = mpsc::channel(1024);
    let dropped = Arc::new(AtomicU64::new(0));
    let mut state = State::new(target.clone(), &subs.names, events, warn, dropped.clone());
    let deadline = Instant::now() + SUBSCRIBE_TIMEOUT;
    loop {
        state.fix().await;
        if state.slots.values().all(|s| s.confirmed()) {
            break;
        }
        if Instant::now() >= deadline {
            let why = state.last_error.clone().unwrap_or_else(|| {
                format!("not confirmed within {}", show_duration(SUBSCRIBE_TIMEOUT))
            });
            return Err(format!(
                "redis: cannot subscribe at {}: {why}",
                target.shown
            ));
        }
        tokio::select! {
            Some((id, frame)) = events_rx.recv() => state.on_frame(id, frame),
            _ = tokio::time::sleep(RETRY_EVERY) => {}
        }
    }
    for (addr, conn) in &state.conns {
        tracing::info!("redis: sharded subscription at {} ({addr})", conn.shown);
    }
    let (tx, rx) = mpsc::channel(queue.max(1));
    let task = tokio::spawn(follow(state, events_rx, tx, dropped.clone()));
    Ok(Feed::new(rx, dropped, task))
}

/// Keep every slot subscribed until the reader is gone.
async fn follow(
    mut state: State,
    mut events_rx: mpsc::Receiver<(u64, Result<Option<wire::Frame>, String>)>,
    tx: mpsc::Sender<Item>,
    dropped: Arc<AtomicU64>,
) {
    let mut handoff = Handoff {
        tx: &tx,
        dropped: &dropped,
        overflow_since: None,
    };
    let mut tick = tokio::time::interval(RETRY_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if state.deliver(&mut handoff).await.is_err() {
            return;
        }
        tokio::select! {
            event = events_rx.recv() => match event {
                Some((id, frame)) => state.on_frame(id, frame),
                None => return,
            },
            _ = tick.tick() => {
                if tx.is_closed() || handoff.mark().is_err() {
                    return;
                }
                state.keepalive().await;
                if state.slots.values().any(|s| s.conn.is_none()) {
                    state.fix().await;
                }
            }
        }
    }
}

/// One slot's channels and where they are subscribed.
struct SlotChannels {
    channels: Vec<String>,
    /// The connection subscribed (or subscribing) to them.
    conn: Option<u64>,
    /// Confirmations still awaited from `conn`.
    waiting: usize,
    /// When the subscription was lost; `None` while it holds.
    lost: Option<(Instant, jiff::Timestamp)>,
    /// It was confirmed once: losing it now means a gap (before, nothing
    /// was delivered yet, so nothing is missing).
    began: bool,
    /// Where a MOVED or ASK said to go next.
    hint: Option<Route>,
}

impl SlotChannels {
    fn confirmed(&self) -> bool {
        self.conn.is_some() && self.waiting == 0
    }
}

/// A connection to one node.
struct Conn {
    addr: String,
    /// The node's URL without credentials, for messages.
    shown: String,
    writer: wire::Writer,
    /// SSUBSCRIBEs sent and not answered in full: (slot, answers left).
    sent: VecDeque<(u16, usize)>,
    alive: wire::Liveness,
    reader: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Slots that were resubscribed since the last gap marker.
struct Recovered {
    channels: Vec<String>,
    at: String,
    lost: (Instant, jiff::Timestamp),
}

struct State {
    target: Target,
    slots: BTreeMap<u16, SlotChannels>,
    ours: HashSet<Vec<u8>>,
    conns: HashMap<u64, Conn>,
    next_id: u64,
    /// The owners as last asked; forgotten after a loss (ask again).
    owners: SlotCache,
    events: mpsc::Sender<(u64, Result<Option<wire::Frame>, String>)>,
    warn: Warn,
    /// Messages not yet handed over: held while a slot is resubscribed.
    held: VecDeque<Message>,
    /// When holding first had to drop a message (the marker is owed).
    held_overflow: Option<jiff::Timestamp>,
    dropped: Arc<AtomicU64>,
    recovered: Vec<Recovered>,
    last_error: Option<String>,
}

impl State {
    fn new(
        target: Target,
        channels: &[String],
        events: mpsc::Sender<(u64, Result<Option<wire::Frame>, String>)>,
        warn: Warn,
        dropped: Arc<AtomicU64>,
    ) -> State {
        let mut slots: BTreeMap<u16, SlotChannels> = BTreeMap::new();
        for channel in channels {
            let slot = slots
                .entry(key_slot(channel.as_bytes()))
                .or_insert(SlotChannels {
                    channels: Vec::new(),
                    conn: None,
                    waiting: 0,
                    lost: None,
                    began: false,
                    hint: None,
                });
            if !slot.channels.contains(channel) {
                slot.channels.push(channel.clone());
            }
        }
        State {
            target,
            slots,
            ours: channels.iter().map(|c| c.as_bytes().to_vec()).collect(),
            conns: HashMap::new(),
            next_id: 0,
            owners: SlotCache::new(),
            events,
            warn,
            held: VecDeque::new(),
            held_overflow: None,
            dropped,
            recovered: Vec::new(),
            last_error: None,
        }
    }

    /// Whether messages wait: a slot is lost and not yet back.
    fn holding(&self) -> bool {
        self.slots.values().any(|s| s.lost.is_some())
    }

    /// Subscribe every slot that has no subscription at its owner: the one a
    /// redirect named, else the slot map's (asked again after a loss).
    async fn fix(&mut self) {
        let needed: Vec<u16> = self
            .slots
            .iter()
            .filter(|(_, s)| s.conn.is_none())
            .map(|(&slot, _)| slot)
            .collect();
        if needed.is_empty() {
            return;
        }
        if needed.iter().any(|s| self.slots[s].hint.is_none()) {
            if let Err(e) = self.owners.get(&self.target).await {
                tracing::debug!("redis: no slot map: {e}");
                self.last_error = Some(e);
                return;
            }
        }
        let mut by_owner: BTreeMap<Route, Vec<u16>> = BTreeMap::new();
        for slot in needed {
            let hint = self.slots.get_mut(&slot).and_then(|s| s.hint.take());
            match self.owners.route(slot, hint) {
                Some(route) => by_owner.entry(route).or_default().push(slot),
                None => self.last_error = Some(format!("slot {slot} has no master")),
            }
        }
        for (Route { addr, asking }, slots) in by_owner {
            tracing::debug!("redis: SSUBSCRIBE slots {slots:?} at {addr} (asking: {asking})");
            let id = match self.conn_to(&addr).await {
                Ok(id) => id,
                Err(e) => {
                    tracing::debug!("redis: {e}");
                    // Most likely a master that died: ask for the owner again.
                    self.last_error = Some(e);
                    self.owners.forget();
                    continue;
                }
            };
            for slot in slots {
                let Some(s) = self.slots.get_mut(&slot) else {
                    continue;
                };
                let Some(conn) = self.conns.get_mut(&id) else {
                    break;
                };
                let mut args: Vec<&[u8]> = vec![b"SSUBSCRIBE"];
                args.extend(s.channels.iter().map(|c| c.as_bytes()));
                let mut sent = Ok(());
                if asking {
                    // Mid-migration: the importing node takes the slot's
                    // commands only right after ASKING (answered +OK).
                    sent = conn.writer.send(&[b"ASKING"]).await;
                }
                if sent.is_ok() {
                    sent = conn.writer.send(&args).await;
                }
                match sent {
                    Ok(()) => {
                        conn.sent.push_back((slot, s.channels.len()));
                        s.conn = Some(id);
                        s.waiting = s.channels.len();
                    }
                    Err(e) => {
                        let e = self.target.clean(&e);
                        self.drop_conn(id, &e);
                        break;
                    }
                }
            }
        }
        // Connections no slot needs any more (their slots moved away).
        let used: HashSet<u64> = self.slots.values().filter_map(|s| s.conn).collect();
        self.conns
            .retain(|id, c| used.contains(id) || !c.sent.is_empty());
    }

    /// The connection to `addr`, made if need be.
    async fn conn_to(&mut self, addr: &str) -> Result<u64, String> {
        if let Some((&id, _)) = self.conns.iter().find(|(_, c)| c.addr == addr) {
            return Ok(id);
        }
        let node = self.target.node_at(addr)?;
        let (mut reader, writer) = node
            .subscriber()
            .await
            .map_err(|e| format!("{}: {}", node.shown, self.target.clean(&e)))?;
        let id = self.next_id;
        self.next_id += 1;
        let events = self.events.clone();
        let reader = tokio::spawn(async move {
            loop {
                let frame = reader.next().await;
                let end = !matches!(frame, Ok(Some(_)));
                if events.send((id, frame)).await.is_err() || end {
                    return;
                }
            }
        });
        self.conns.insert(
            id,
            Conn {
                addr: addr.to_string(),
                shown: node.shown,
                writer,
                sent: VecDeque::new(),
                alive: wire::Liveness::new(),
                reader,
            },
        );
        Ok(id)
    }

    /// The subscription of `slot` ended (`why`): it is resubscribed at its
    /// owner, asked again.
    fn lose(&mut self, slot: u16, why: &str) {
        let Some(s) = self.slots.get_mut(&slot) else {
            return;
        };
        let at = s
            .conn
            .and_then(|id| self.conns.get(&id))
            .map_or_else(|| self.target.shown.clone(), |c| c.shown.clone());
        s.conn = None;
        s.waiting = 0;
        self.owners.forget();
        if s.lost.is_none() && s.began {
            s.lost = Some((Instant::now(), jiff::Timestamp::now()));
            (self.warn)(&format!(
                "redis: sharded subscription to {} (slot {slot}) at {at} lost ({why}); \
                 resubscribing at the slot's owner",
                s.channels.join(", ")
            ));
        }
    }

    /// Connection `id` is gone: every slot subscribed there is lost.
    fn drop_conn(&mut self, id: u64, why: &str) {
        let slots: Vec<u16> = self
            .slots
            .iter()
            .filter(|(_, s)| s.conn == Some(id))
            .map(|(&slot, _)| slot)
            .collect();
        for slot in slots {
            self.lose(slot, why);
        }
        self.conns.remove(&id);
    }

    /// What connection `id` said.
    fn on_frame(&mut self, id: u64, frame: Result<Option<wire::Frame>, String>) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.alive.heard();
        match frame {
            Ok(Some(wire::Frame::Message {
                channel,
                payload,
                sharded: true,
                ..
            })) => {
                if !self.ours.contains(&channel) {
                    return;
                }
                if self.held.len() >= HOLD_MOST {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    self.held_overflow.get_or_insert_with(jiff::Timestamp::now);
                    return;
                }
                self.held.push_back(Message::new(channel, None, payload));
            }
            Ok(Some(wire::Frame::Subscribed {
                kind: resp::Kind::Shard,
                channel,
                ..
            })) => {
                let slot = key_slot(&channel);
                if let Some(front) = conn.sent.front_mut().filter(|f| f.0 == slot) {
                    front.1 = front.1.saturating_sub(1);
                    if front.1 == 0 {
                        conn.sent.pop_front();
                    }
                }
                let shown = conn.shown.clone();
                let Some(s) = self.slots.get_mut(&slot) else {
                    return;
                };
                if s.conn != Some(id) || s.waiting == 0 {
                    return;
                }
                s.waiting -= 1;
                if s.waiting == 0 {
                    s.began = true;
                    if let Some(lost) = s.lost.take() {
                        self.recovered.push(Recovered {
                            channels: s.channels.clone(),
                            at: shown,
                            lost,
                        });
                    }
                }
            }
            Ok(Some(wire::Frame::Unsubscribed {
                kind: resp::Kind::Shard,
                channel,
                ..
            })) => {
                // Never asked for: Redis ends a shard subscription when
                // the slot leaves the node (migrated, or the node demoted).
                let slot = key_slot(&channel);
                if self.slots.get(&slot).is_some_and(|s| s.conn == Some(id)) {
                    let why = format!("the slot left {}", conn.shown);
                    self.lose(slot, &why);
                }
            }
            Ok(Some(wire::Frame::Error(e))) => {
                // The answer to the oldest SSUBSCRIBE not yet answered.
                let Some((slot, _)) = conn.sent.pop_front() else {
                    tracing::debug!("redis: {} said {e}", conn.shown);
                    return;
                };
                let e = self.target.clean(&e);
                let hint = Route::redirect(&e);
                let at = conn.shown.clone();
                if self.slots.get(&slot).is_some_and(|s| s.conn == Some(id)) {
                    self.lose(slot, &format!("{at} answered {e}"));
                }
                if let Some(s) = self.slots.get_mut(&slot) {
                    s.hint = hint;
                }
                self.last_error = Some(format!("{at}: {e}"));
            }
            Ok(Some(_)) => {}
            Ok(None) => self.drop_conn(id, "the server closed the connection"),
            Err(e) => {
                let e = self.target.clean(&e);
                self.drop_conn(id, &e);
            }
        }
    }

    /// PING quiet links; drop those that do not answer.
    async fn keepalive(&mut self) {
        let mut dead = Vec::new();
        for (&id, conn) in self.conns.iter_mut() {
            if let Err(why) = conn.alive.check(&mut conn.writer).await {
                dead.push((id, why));
            }
        }
        for (id, why) in dead {
            let why = self.target.clean(&why);
            self.drop_conn(id, &why);
        }
    }

    /// Hand over what is due: when no slot is being resubscribed, the gap
    /// marker for those that were (first), then the held messages. `Err`
    /// when the reader is gone.
    async fn deliver(&mut self, handoff: &mut Handoff<'_>) -> Result<(), ()> {
        if self.holding() {
            return Ok(());
        }
        if !self.recovered.is_empty() {
            let recovered = std::mem::take(&mut self.recovered);
            let since = recovered.iter().map(|r| r.lost.1).min();
            let lasted = recovered
                .iter()
                .map(|r| r.lost.0.elapsed())
                .max()
                .unwrap_or_default();
            for r in &recovered {
                (self.warn)(&format!(
                    "redis: resubscribed to {} at {} after {}",
                    r.channels.join(", "),
                    r.at,
                    show_duration(r.lost.0.elapsed())
                ));
            }
            if let Some(since) = since {
                let cause = Gap::Disconnected { lasted };
                handoff
                    .tx
                    .send(Item::Gap { since, cause })
                    .await
                    .map_err(|_| ())?;
            }
        }
        if let Some(since) = self.held_overflow.take() {
            handoff.overflow_since.get_or_insert(since);
        }
        while let Some(message) = self.held.pop_front() {
            handoff.give(message)?;
        }
        Ok(())
    }
}
