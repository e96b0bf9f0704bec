//! The fan-out: serve's one Redis subscription handed to every client that
//! wants each message. Each message becomes one [`LiveFrame`], serialised once
//! (its SSE and WebSocket bytes, with the resume token of the stream so
//! far) and shared by every client it goes to. Each client has a queue
//! bounded in bytes: the hub never waits for one; a client past its bound
//! is let go with [`End::Overflow`] and resumes from Kafka.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use tokio::sync::mpsc;

use super::order::{Arrival, Bound, Reorder};
use super::token::Position;
use crate::event::{self, ChannelTemplate};
use crate::kafka::identity::LogIdentity;
use crate::kafka::read::Fetcher;
use crate::kafka::KafkaSettings;
use crate::output::records::Received;
use crate::pubsub::{Feed, Item, Subscriptions};
use crate::select::{Filter, View};
use crate::window::{Seam, WindowReader, WindowStart, GAP_SETTLE};

/// Why the hub let a client go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Still served.
    No = 0,
    /// Its queue passed --client-queue.
    Overflow = 1,
    /// serve's own subscription lost messages and they could not be read
    /// from Kafka: the client resumes from Kafka to get them.
    Gap = 2,
    /// serve is stopping.
    Shutdown = 3,
}

impl End {
    fn of(n: u8) -> End {
        match n {
            1 => End::Overflow,
            2 => End::Gap,
            3 => End::Shutdown,
            _ => End::No,
        }
    }
}

/// One message from Redis, ready to send.
pub struct LiveFrame {
    /// Where it lies in --topic, if it is a notification of it.
    pub place: Option<(String, i32, i64)>,
    pub channel: Vec<u8>,
    /// The notification as it came (for the filters of resumes from memory).
    pub payload: Bytes,
    pub received_at: jiff::Timestamp,
    /// `{"channel","partition","offset","data"}`: the notification.
    pub body: Bytes,
    /// The same with the full event as `data` (when a ?full=1 client wanted it).
    pub full_body: Option<Bytes>,
    /// The stream's position after this message.
    pub positions: Arc<Vec<i64>>,
    /// The SSE event and the WebSocket message, with the position's token.
    pub sse: Bytes,
    pub ws: Utf8Bytes,
    pub full_sse: Option<Bytes>,
    pub full_ws: Option<Utf8Bytes>,
}

impl LiveFrame {
    /// What it costs in a client's queue.
    pub fn cost(&self, full: bool) -> usize {
        match (full, &self.full_sse) {
            (true, Some(f)) => f.len(),
            _ => self.sse.len(),
        }
    }
}

/// What a client asked for.
#[derive(Clone)]
pub struct Wants {
    pub subs: Subscriptions,
    pub filter: Filter,
    pub full: bool,
}

struct Seat {
    tx: mpsc::UnboundedSender<Arc<LiveFrame>>,
    queued: Arc<AtomicUsize>,
    end: Arc<AtomicU8>,
    wants: Wants,
}

/// A client's place at the hub: its frames, and why it was let go.
pub struct Joined {
    pub id: u64,
    pub rx: mpsc::UnboundedReceiver<Arc<LiveFrame>>,
    pub queued: Arc<AtomicUsize>,
    end: Arc<AtomicU8>,
    /// The stream's position when the client joined: frames after it come.
    pub positions: Arc<Vec<i64>>,
    /// A resume served from memory: the frames after its position, before
    /// those of `rx`.
    pub replay: Option<Vec<Arc<LiveFrame>>>,
}

impl Joined {
    /// Why the hub stopped sending (once `rx` ended).
    pub fn end(&self) -> End {
        End::of(self.end.load(Ordering::SeqCst))
    }
}

/// A Kafka read of holes in serve's own stream.
struct Filling {
    rx: mpsc::Receiver<Received>,
    done: tokio::task::JoinHandle<anyhow::Result<Seam>>,
}

/// What a fill did next.
enum FillStep {
    Record(Received),
    Done(anyhow::Result<Seam>),
}

/// The next record of the fill under way, or its end; never, without one.
async fn next_of(fill: &mut Option<Filling>) -> FillStep {
    let Some(f) = fill.as_mut() else {
        return std::future::pending().await;
    };
    match f.rx.recv().await {
        Some(r) => FillStep::Record(r),
        None => FillStep::Done(match (&mut f.done).await {
            Ok(done) => done,
            Err(e) => Err(anyhow::anyhow!("the read stopped: {e}")),
        }),
    }
}

/// How long a hole in a partition's offsets may stay open before it is
/// read from Kafka: notifications of several publishers interleave
/// within milliseconds; a record outside serve's patterns, or whose
/// notification was lost, never comes.
const HOLE_WAIT: Duration = Duration::from_millis(200);

/// Counters for /metrics and /healthz.
#[derive(Default)]
pub struct Metrics {
    pub events_in: AtomicU64,
    pub events_out: AtomicU64,
    pub overflows: AtomicU64,
    pub resets: AtomicU64,
    pub resume_reads: AtomicU64,
    /// Resumes that took part in a Kafka read another one opened.
    pub resume_shared: AtomicU64,
    /// Resumes served from the recent frames, with no Kafka read.
    pub resume_memory: AtomicU64,
    pub resume_records: AtomicU64,
    pub redis_gaps: AtomicU64,
    /// Kafka reads of holes in serve's own stream.
    pub fill_reads: AtomicU64,
    /// Notifications not held past a hole, the hold at its bound: a fill
    /// read them.
    pub hold_dropped: AtomicU64,
    /// Notifications held past holes now, and their bytes.
    pub held: AtomicU64,
    pub held_bytes: AtomicU64,
    pub errors: AtomicU64,
    pub refused: AtomicU64,
    pub clients_total: AtomicU64,
}

struct Clients {
    slots: HashMap<u64, Seat>,
    next_id: u64,
    /// The stream's position: per partition the offset after the last
    /// notification the hub handed on (the end offsets at start, before any).
    positions: Arc<Vec<i64>>,
    /// Clients that asked for full events.
    full: usize,
    /// The frames handed on lately, for resumes from memory.
    recent: RecentFrames,
}

/// The frames the hub handed on lately, in order, bounded in bytes: a
/// resume whose position lies within them for every partition is served
/// from here instead of a Kafka read (a reconnect storm opens none).
#[derive(Default)]
struct RecentFrames {
    frames: std::collections::VecDeque<Arc<LiveFrame>>,
    bytes: usize,
    /// Per partition, the offset from which every frame of serve's stream
    /// is here (up to the stream's position).
    from: Vec<i64>,
}

/// What the window of recent frames holds at most, in bytes.
const RECENT_BYTES: usize = 16 * 1024 * 1024;

impl RecentFrames {
    fn push(&mut self, frame: Arc<LiveFrame>) {
        self.bytes += frame.sse.len() + frame.payload.len();
        self.frames.push_back(frame);
        while self.bytes > RECENT_BYTES {
            let Some(old) = self.frames.pop_front() else {
                break;
            };
            self.bytes -= old.sse.len() + old.payload.len();
            if let Some((_, p, o)) = &old.place {
                if let Some(from) = usize::try_from(*p).ok().and_then(|p| self.from.get_mut(p)) {
                    *from = (*from).max(o + 1);
                }
            }
        }
    }

    /// Forget every frame: nothing below `positions` is known to be here.
    fn forget(&mut self, positions: &[i64]) {
        self.frames.clear();
        self.bytes = 0;
        self.from = positions.to_vec();
    }

    /// The frames after `next`, if every partition's part of them is here.
    fn after(&self, next: &[i64], positions: &[i64]) -> Option<Vec<Arc<LiveFrame>>> {
        if next.len() != positions.len() || self.from.len() != positions.len() {
            return None;
        }
        let within = next
            .iter()
            .zip(&self.from)
            .zip(positions)
            .all(|((&n, &from), &at)| from <= n && n <= at);
        if !within {
            return None;
        }
        Some(
            self.frames
                .iter()
                .filter(|f| {
                    f.place.as_ref().is_some_and(|(_, p, o)| {
                        usize::try_from(*p)
                            .ok()
                            .and_then(|p| next.get(p))
                            .is_some_and(|&n| *o >= n)
                    })
                })
                .cloned()
                .collect(),
        )
    }
}

/// The fan-out, shared by the HTTP handlers and the task that reads the feed.
pub struct Hub {
    clients: Mutex<Clients>,
    pub log: LogIdentity,
    pub topic: String,
    pub template: ChannelTemplate,
    pub subs: Subscriptions,
    pub client_queue: usize,
    pub max_clients: usize,
    pub metrics: Metrics,
    fetcher: Fetcher,
    settings: KafkaSettings,
    /// When Kafka last said whether the log is still [`Hub::log`], and what.
    checked: tokio::sync::Mutex<Option<(Instant, bool)>>,
}

/// How long one answer of Kafka on the log's identity serves resumes from
/// memory (a storm asks once).
const CHECK_FRESH: Duration = Duration::from_secs(1);

/// How long Kafka may take to say the log's identity for a resume.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

impl Hub {
    pub fn new(
        log: LogIdentity,
        ends: Vec<i64>,
        (topic, template, subs): (String, ChannelTemplate, Subscriptions),
        (client_queue, max_clients): (usize, usize),
        (fetcher, settings): (Fetcher, KafkaSettings),
    ) -> Hub {
        Hub {
            clients: Mutex::new(Clients {
                slots: HashMap::new(),
                next_id: 0,
                recent: RecentFrames {
                    from: ends.clone(),
                    ..RecentFrames::default()
                },
                positions: Arc::new(ends),
                full: 0,
            }),
            log,
            topic,
            template,
            subs,
            client_queue,
            max_clients,
            metrics: Metrics::default(),
            fetcher,
            settings,
            checked: tokio::sync::Mutex::new(None),
        }
    }

    /// Is the topic still the log the hub started on (not deleted and
    /// re-created, Kafka reachable)? Asked of Kafka at most once per
    /// [`CHECK_FRESH`], by one caller while the others wait for its answer.
    pub async fn log_is_current(&self) -> bool {
        let mut checked = self.checked.lock().await;
        if let Some((at, answer)) = *checked {
            if at.elapsed() < CHECK_FRESH {
                return answer;
            }
        }
        let (settings, topic) = (self.settings.clone(), self.topic.clone());
        let now = tokio::task::spawn_blocking(move || {
            let consumer = crate::kafka::config::consumer(&settings, None)?;
            crate::kafka::identity::identity(&consumer, &topic, CHECK_TIMEOUT)
        })
        .await;
        let answer = matches!(now, Ok(Ok(ref log)) if *log == self.log);
        *checked = Some((Instant::now(), answer));
        answer
    }

    /// Clients served now.
    pub fn clients(&self) -> usize {
        self.lock().slots.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Clients> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take a client in, or `None` past --max-clients. Resuming from
    /// `at`: when the recent frames hold everything after it, they are
    /// [`Joined::replay`] (taken under the same lock as the seat: the live
    /// frames go on right after them).
    pub fn join(&self, wants: Wants, at: Option<&Position>) -> Option<Joined> {
        let mut c = self.lock();
        if c.slots.len() >= self.max_clients {
            return None;
        }
        let replay = at
            .filter(|at| !wants.full && at.log == self.log)
            .and_then(|at| c.recent.after(&at.next, &c.positions));
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let end = Arc::new(AtomicU8::new(End::No as u8));
        c.next_id += 1;
        let id = c.next_id;
        c.full += usize::from(wants.full);
        c.slots.insert(
            id,
            Seat {
                tx,
                queued: queued.clone(),
                end: end.clone(),
                wants,
            },
        );
        self.metrics.clients_total.fetch_add(1, Ordering::Relaxed);
        Some(Joined {
            id,
            rx,
            queued,
            end,
            positions: c.positions.clone(),
            replay,
        })
    }

    /// A client gone.
    pub fn leave(&self, id: u64) {
        let mut c = self.lock();
        if let Some(slot) = c.slots.remove(&id) {
            c.full -= usize::from(slot.wants.full);
        }
    }

    /// Let every client go, for `why`.
    pub fn close_all(&self, why: End) {
        let mut c = self.lock();
        for (_, slot) in c.slots.drain() {
            slot.end.store(why as u8, Ordering::SeqCst);
        }
        c.full = 0;
    }

    /// Read the feed until it ends, handing each message on: per
    /// partition in offset order (`order`), holes that do not fill within
    /// [`HOLE_WAIT`] read from Kafka, and so what the subscription lost
    /// (a gap: a Redis restart, a full queue) [`GAP_SETTLE`] after it.
    pub async fn run(self: Arc<Self>, mut feed: Feed) {
        let mut order = Reorder::new(&self.lock().positions, Bound::default());
        let known = self.lock().positions.len();
        let mut seam = Seam {
            topic: self.topic.clone(),
            ..Seam::default()
        };
        let mut fill: Option<Filling> = None;
        // When to read what serve's own subscription lost.
        let mut gap = None;
        let mut ready = Vec::new();
        loop {
            self.metrics
                .hold_dropped
                .store(order.dropped(), Ordering::Relaxed);
            self.metrics
                .held
                .store(order.held() as u64, Ordering::Relaxed);
            self.metrics
                .held_bytes
                .store(order.bytes() as u64, Ordering::Relaxed);
            let hole = order.due(HOLE_WAIT).map(tokio::time::Instant::from_std);
            let due = match (hole, gap) {
                (Some(h), Some(g)) => Some(h.min(g)),
                (h, g) => h.or(g),
            };
            let far = tokio::time::Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                item = feed.rx.recv() => match item {
                    None => break,
                    Some(Item::Message(m)) => {
                        self.metrics.events_in.fetch_add(1, Ordering::Relaxed);
                        let place = event::coordinates(&m.payload).filter(|(t, _, _)| *t == self.topic);
                        let wants_full = self.lock().full > 0;
                        let full = match (&place, wants_full) {
                            (Some((t, p, o)), true) => self.fetcher.fetch(t.clone(), *p, *o).await.ok(),
                            _ => None,
                        };
                        match place {
                            None => self.dispatch(m.channel, m.payload, m.received_at, None, full),
                            // The original of an event a fill read from Kafka.
                            Some(place) if seam.covers(Some(&place), &m.channel, m.received_at) => {}
                            // A partition serve did not see at start (added
                            // since, or no partition at all): as it comes.
                            Some(place) if usize::try_from(place.1).map_or(true, |p| p >= known) => {
                                self.dispatch(m.channel, m.payload, m.received_at, Some(place), full)
                            }
                            Some(place) => order.arrive(
                                Arrival {
                                    channel: m.channel,
                                    payload: m.payload,
                                    received_at: m.received_at,
                                    place,
                                    full,
                                    at: Instant::now(),
                                },
                                &mut ready,
                            ),
                        }
                    }
                    // Lost while serve was not subscribed: read from Kafka
                    // once the publishers are likely back on Redis too
                    // (what they acknowledge until then is never
                    // notified), and handed on in order; the clients stay.
                    Some(Item::Gap { .. }) => {
                        self.metrics.redis_gaps.fetch_add(1, Ordering::Relaxed);
                        gap = Some(tokio::time::Instant::now() + GAP_SETTLE);
                    }
                },
                _ = tokio::time::sleep_until(due.unwrap_or(far)), if due.is_some() && fill.is_none() => {
                    gap = None;
                    self.metrics.fill_reads.fetch_add(1, Ordering::Relaxed);
                    // Partitions added since start from where the stream is.
                    let mut from = order.positions();
                    for (p, &o) in self.lock().positions.iter().enumerate().skip(known) {
                        from.insert(p as i32, o);
                    }
                    fill = Some(self.fill(from));
                    order.filling(Instant::now());
                }
                step = next_of(&mut fill) => match step {
                    FillStep::Record(r) => {
                        if let Some((t, p, o)) = event::coordinates(&r.payload) {
                            order.record(p, o);
                            let full = if self.lock().full > 0 { r.event } else { None };
                            self.dispatch(r.channel, r.payload, r.received_at, Some((t, p, o)), full);
                        }
                    }
                    FillStep::Done(done) => {
                        fill = None;
                        match done {
                            Ok(read) => {
                                let ends: HashMap<i32, i64> = read
                                    .ranges
                                    .iter()
                                    .filter_map(|(&p, r)| Some((p, r.iter().map(|r| r.end).max()?)))
                                    .collect();
                                seam.merge(read);
                                order.filled(&ends, Instant::now(), &mut ready);
                                // Out before the position is raised past
                                // them: a frame's positions never pass a
                                // frame still to come (a client passed an
                                // offset does not get it).
                                for a in ready.drain(..) {
                                    self.dispatch(a.channel, a.payload, a.received_at, Some(a.place), a.full);
                                }
                            }
                            Err(e) => {
                                tracing::debug!("serve: reading a hole from Kafka: {e:#}");
                                self.metrics.errors.fetch_add(1, Ordering::Relaxed);
                                // What the holes hold cannot be said: every
                                // client resumes from its own position (and is
                                // told if Kafka is still away).
                                order.give_up(&mut ready);
                                ready.clear();
                                self.close_all(End::Gap);
                                self.raise(&order.positions());
                                let mut c = self.lock();
                                let at = c.positions.clone();
                                c.recent.forget(&at);
                            }
                        }
                        self.raise(&order.positions());
                    }
                },
            }
            for a in ready.drain(..) {
                self.dispatch(a.channel, a.payload, a.received_at, Some(a.place), a.full);
            }
        }
    }

    /// A reader of serve's patterns, with full events or not, and a stop
    /// of its own.
    pub fn reader(&self, fetch: bool) -> WindowReader {
        WindowReader {
            settings: self.settings.clone(),
            topic: self.topic.clone(),
            subs: self.subs.clone(),
            template: self.template.clone(),
            fetch,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Read Kafka from `next` up to the end offsets now, for serve's patterns.
    fn fill(&self, next: HashMap<i32, i64>) -> Filling {
        let reader = self.reader(true);
        let (rx, done) = reader.spawn(WindowStart::At {
            next,
            of: self.log.clone(),
        });
        Filling { rx, done }
    }

    /// The stream's position moved past offsets no frame went out for (a
    /// fill found no event of serve's there).
    fn raise(&self, to: &HashMap<i32, i64>) {
        let mut c = self.lock();
        let lower = to.iter().any(|(&p, &o)| {
            usize::try_from(p).is_ok_and(|p| c.positions.get(p).is_none_or(|&have| have < o))
        });
        if !lower {
            return;
        }
        let v = Arc::make_mut(&mut c.positions);
        for (&p, &o) in to {
            let Ok(p) = usize::try_from(p) else { continue };
            if v.len() <= p {
                v.resize(p + 1, 0);
            }
            v[p] = v[p].max(o);
        }
    }

    fn dispatch(
        &self,
        channel: Vec<u8>,
        payload: Vec<u8>,
        received_at: jiff::Timestamp,
        place: Option<(String, i32, i64)>,
        full: Option<Vec<u8>>,
    ) {
        let at = place.as_ref().map(|&(_, p, o)| (p, o));
        let body = body(&channel, at, &payload);
        let full_body = full.map(|f| self::body(&channel, at, &f));
        let mut c = self.lock();
        let mut in_order = false;
        if let Some((p, o)) = at.filter(|&(p, _)| p >= 0) {
            let p = p as usize;
            let grows = p >= c.positions.len() || c.positions[p] < o + 1;
            in_order = grows;
            if grows {
                let v = Arc::make_mut(&mut c.positions);
                if v.len() <= p {
                    v.resize(p + 1, 0);
                }
                v[p] = v[p].max(o + 1);
            }
        }
        let positions = c.positions.clone();
        let token = Position {
            log: self.log.clone(),
            next: positions.to_vec(),
        }
        .encode();
        let sse = sse_event(&token, &body);
        let ws = ws_event(&token, &body);
        let (full_sse, full_ws) = match &full_body {
            Some(f) => (Some(sse_event(&token, f)), Some(ws_event(&token, f))),
            None => (None, None),
        };
        let payload = Bytes::from(payload);
        let frame = Arc::new(LiveFrame {
            place,
            channel,
            payload: payload.clone(),
            received_at,
            body,
            full_body,
            positions,
            sse,
            ws,
            full_sse,
            full_ws,
        });
        if in_order {
            c.recent.push(frame.clone());
        }
        let limit = self.client_queue;
        let mut gone = Vec::new();
        let mut parsed = None;
        for (&id, slot) in &c.slots {
            if slot.wants.subs.matching(&frame.channel).is_none() {
                continue;
            }
            if !slot.wants.filter.is_empty()
                && !wanted(
                    &slot.wants.filter,
                    &self.template,
                    &frame.channel,
                    &payload,
                    &mut parsed,
                )
            {
                continue;
            }
            let cost = frame.cost(slot.wants.full);
            let queued = slot.queued.fetch_add(cost, Ordering::SeqCst) + cost;
            if queued > limit {
                slot.end.store(End::Overflow as u8, Ordering::SeqCst);
                self.metrics.overflows.fetch_add(1, Ordering::Relaxed);
                gone.push(id);
                continue;
            }
            if slot.tx.send(frame.clone()).is_err() {
                gone.push(id);
            }
        }
        for id in gone {
            if let Some(slot) = c.slots.remove(&id) {
                c.full -= usize::from(slot.wants.full);
            }
        }
    }
}

/// The notification as a JSON map, parsed once per message for every
/// client's filter.
type NoteMap = Option<Option<serde_json::Map<String, serde_json::Value>>>;

/// Does `filter` take this notification? (The fields of `tail --filter`.)
pub fn wanted(
    filter: &Filter,
    template: &ChannelTemplate,
    channel: &[u8],
    payload: &[u8],
    parsed: &mut NoteMap,
) -> bool {
    let map = parsed
        .get_or_insert_with(|| serde_json::from_slice(payload).ok())
        .as_ref();
    let field = |name: &str| map.and_then(|n| n.get(name)).and_then(|v| v.as_str());
    let channel = std::str::from_utf8(channel).ok();
    let view = View {
        id: field("id"),
        kind: field("type"),
        source_type: field("source_type")
            .or_else(|| channel.and_then(|c| template.source_type_of(c))),
        source_id: field("source_id"),
        body: map,
    };
    filter.matches(&view)
}

/// An event's JSON: `{"channel","partition","offset","data"}`, `data` the
/// payload as JSON when it is (on one line), else as a string.
pub fn body(channel: &[u8], at: Option<(i32, i64)>, data: &[u8]) -> Bytes {
    let channel = serde_json::Value::String(String::from_utf8_lossy(channel).into_owned());
    let data: std::borrow::Cow<'_, str> =
        match serde_json::from_slice::<&serde_json::value::RawValue>(data) {
            Ok(raw) if !raw.get().contains(['\n', '\r']) => raw.get().into(),
            Ok(_) => serde_json::from_slice::<serde_json::Value>(data)
                .map(|v| v.to_string())
                .unwrap_or_default()
                .into(),
            Err(_) => serde_json::Value::String(String::from_utf8_lossy(data).into_owned())
                .to_string()
                .into(),
        };
    let (p, o) = match at {
        Some((p, o)) => (p.to_string(), o.to_string()),
        None => ("null".into(), "null".into()),
    };
    Bytes::from(format!(
        r#"{{"channel":{channel},"partition":{p},"offset":{o},"data":{data}}}"#
    ))
}

/// An SSE event of the stream: its token as `id:`, its body as `data:`.
pub fn sse_event(token: &str, body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(token.len() + body.len() + 16);
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(token.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(body);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// A WebSocket message of the stream: `{"type":"event","id":TOKEN,…body}`.
pub fn ws_event(token: &str, body: &[u8]) -> Utf8Bytes {
    let rest = String::from_utf8_lossy(body.get(1..).unwrap_or_default());
    Utf8Bytes::from(format!(r#"{{"type":"event","id":"{token}",{rest}"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(p: i32, o: i64, size: usize) -> Arc<LiveFrame> {
        Arc::new(LiveFrame {
            place: Some(("t".into(), p, o)),
            channel: b"events:a".to_vec(),
            payload: Bytes::new(),
            received_at: jiff::Timestamp::now(),
            body: Bytes::new(),
            full_body: None,
            positions: Arc::new(Vec::new()),
            sse: Bytes::from(vec![b'x'; size]),
            ws: Utf8Bytes::from_static(""),
            full_sse: None,
            full_ws: None,
        })
    }

    fn offsets(frames: Option<Vec<Arc<LiveFrame>>>) -> Option<Vec<(i32, i64)>> {
        frames.map(|v| {
            v.iter()
                .map(|f| f.place.as_ref().map(|(_, p, o)| (*p, *o)).unwrap())
                .collect()
        })
    }

    #[test]
    fn a_resume_within_the_recent_frames_of_every_partition_is_served_from_them() {
        let mut r = RecentFrames {
            from: vec![10, 0],
            ..RecentFrames::default()
        };
        for (p, o) in [(0, 10), (1, 0), (0, 11), (1, 1)] {
            r.push(frame(p, o, 10));
        }
        let at = [12, 2];
        assert_eq!(
            offsets(r.after(&[11, 0], &at)),
            Some(vec![(1, 0), (0, 11), (1, 1)])
        );
        assert_eq!(offsets(r.after(&[12, 2], &at)), Some(vec![]));
        assert!(r.after(&[9, 0], &at).is_none(), "below what is here");
        assert!(r.after(&[13, 0], &at).is_none(), "past the stream");
        assert!(r.after(&[11], &at).is_none(), "another partition count");
        // Past the bound the oldest go, and with them what they covered.
        r.push(frame(0, 12, RECENT_BYTES));
        assert!(r.frames.len() <= 1);
        assert!(r.after(&[11, 0], &[13, 2]).is_none());
        assert_eq!(offsets(r.after(&[13, 2], &[13, 2])), Some(vec![]));
        r.forget(&[13, 2]);
        assert!(r.frames.is_empty());
    }

    #[test]
    fn bodies_are_one_line_json() {
        let b = body(b"events:a", Some((1, 7)), b"{\n\"id\": \"x\"}");
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["data"]["id"], "x");
        assert_eq!(v["partition"], 1);
        assert!(!b.contains(&b'\n'));
        let b = body(b"events:a", None, b"not json");
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["data"], "not json");
        let ws = ws_event("TOK", &b);
        let v: serde_json::Value = serde_json::from_str(ws.as_str()).unwrap();
        assert_eq!(v["id"], "TOK");
        assert_eq!(v["type"], "event");
    }
}
