//! One client's stream, the same for SSE and WebSocket: join the hub
//! (live frames buffer from then on), read Kafka from the client's
//! position up to the end offsets taken after joining, then hand on the
//! buffered live frames minus what Kafka already gave (the seam of
//! `crate::window`), then live. What comes out is an [`Out`]; the
//! transports only render it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::hub::{self, End, Hub, Joined, LiveFrame, Wants};
use super::share::{Gathering, ShareEnd};
use super::token::Position;
use crate::output::records::Received;
use crate::shutdown::Shutdown;
use crate::window::{HistoryGone, Seam, SeamRange, Spans, WindowReader, WindowStart};

/// Where a client starts.
pub enum JoinAt {
    /// Only what comes from now on.
    Latest,
    /// From the first record at or after this time (epoch ms; 0: the first).
    Time(i64),
    /// Right after a position it was sent (a resume token).
    Resume(Position),
}

/// What the client is sent next.
pub enum Out {
    /// A live frame, as every client at this position gets it.
    Shared(Arc<LiveFrame>, bool),
    /// An event with this client's own token.
    Event { token: String, body: Bytes },
    /// History is gone: live from `token` on.
    Reset { reason: String, token: String },
    /// The stream ends: resume with the last id (overflow, a Redis gap,
    /// serve stopping).
    Ended { why: End, token: String },
    /// The stream ends on a failure (Kafka unreachable while reading history).
    Failed { reason: String },
    /// Nothing happened for a while.
    Heartbeat,
}

/// A window being read: its records, its spans, its end.
struct Window {
    rx: WindowRecords,
    spans: Option<oneshot::Receiver<Spans>>,
    done: WindowEnd,
    stop: Arc<AtomicBool>,
}

/// A window's records: of its own read, or of one it shares.
enum WindowRecords {
    Own(mpsc::Receiver<Received>),
    Shared(mpsc::Receiver<Arc<Received>>),
}

impl WindowRecords {
    async fn recv(&mut self) -> Option<Arc<Received>> {
        match self {
            WindowRecords::Own(rx) => rx.recv().await.map(Arc::new),
            WindowRecords::Shared(rx) => rx.recv().await,
        }
    }
}

/// How a window's read ends.
enum WindowEnd {
    Own(tokio::task::JoinHandle<anyhow::Result<Seam>>),
    Shared(oneshot::Receiver<ShareEnd>),
}

/// One client's stream.
pub struct Session {
    hub: Arc<Hub>,
    /// The log this client's positions are in (after a reset for a
    /// re-created topic, the new one).
    log: crate::kafka::identity::LogIdentity,
    joined: Joined,
    full: bool,
    /// Per partition, the next offset this client has not been sent.
    next: Vec<i64>,
    window: Option<Window>,
    seam: Option<Seam>,
    /// A resume from memory: the recent frames after its position.
    replay: std::collections::VecDeque<Arc<LiveFrame>>,
    subs: crate::pubsub::Subscriptions,
    filter: crate::select::Filter,
    heartbeat: tokio::time::Interval,
    quiet: bool,
    ended: bool,
    shutdown: Shutdown,
    /// A reset to say before anything else.
    owed: Option<Out>,
    /// A resume from memory, until Kafka confirms the log is still the
    /// hub's (else it is read from Kafka, as any other).
    unconfirmed: Option<(WindowReader, WindowStart)>,
}

/// Where a resume starts in Kafka.
fn at(p: Position) -> WindowStart {
    WindowStart::At {
        next: p
            .next
            .iter()
            .enumerate()
            .map(|(i, &o)| (i as i32, o))
            .collect(),
        of: p.log,
    }
}

/// Start reading a window from Kafka.
fn read_window(hub: &Hub, reader: &WindowReader, from: WindowStart) -> Window {
    hub.metrics.resume_reads.fetch_add(1, Ordering::Relaxed);
    let ((rx, done), spans) = reader.spawn_planned(from);
    Window {
        rx: WindowRecords::Own(rx),
        spans: Some(spans),
        done: WindowEnd::Own(done),
        stop: reader.stop.clone(),
    }
}

/// Take part in the shared read of resumes gathering now (see `share`).
fn share_window(gathering: &Arc<Gathering>, hub: &Arc<Hub>, next: Vec<i64>) -> Window {
    let sharing = gathering.join(hub, next);
    Window {
        rx: WindowRecords::Shared(sharing.rx),
        spans: Some(sharing.spans),
        done: WindowEnd::Shared(sharing.end),
        // Its read stops once no one it serves is left.
        stop: Arc::new(AtomicBool::new(false)),
    }
}

impl Session {
    /// Join the hub and start reading history. `None`: the hub is full.
    pub fn start(
        hub: Arc<Hub>,
        wants: Wants,
        from: JoinAt,
        (settings, gathering): (&crate::kafka::KafkaSettings, &Arc<Gathering>),
        heartbeat: Duration,
        shutdown: Shutdown,
    ) -> Option<Session> {
        let filter = wants.filter.clone();
        let full = wants.full;
        let reader = WindowReader {
            settings: settings.clone(),
            topic: hub.topic.clone(),
            subs: wants.subs.clone(),
            template: hub.template.clone(),
            fetch: full,
            stop: Arc::new(AtomicBool::new(false)),
        };
        let subs = wants.subs.clone();
        let resuming = match &from {
            JoinAt::Resume(p) => Some(p),
            _ => None,
        };
        let mut joined = hub.join(wants, resuming)?;
        let replay = joined.replay.take();
        let mut next = Vec::new();
        let mut unconfirmed = None;
        let mut shared = false;
        let start = match from {
            JoinAt::Latest => {
                next = joined.positions.to_vec();
                None
            }
            JoinAt::Time(t) => Some(WindowStart::Time(t)),
            JoinAt::Resume(p) if replay.is_some() => {
                next = p.next.clone();
                unconfirmed = Some(at(p));
                None
            }
            // Of the hub's log, not full: one Kafka read for the resumes
            // that come together.
            JoinAt::Resume(p) if !full && p.log == hub.log => {
                next = p.next.clone();
                shared = true;
                None
            }
            JoinAt::Resume(p) => {
                next = p.next.clone();
                Some(at(p))
            }
        };
        let window = match start {
            _ if shared => Some(share_window(gathering, &hub, next.clone())),
            Some(s) => Some(read_window(&hub, &reader, s)),
            None => None,
        };
        let mut heartbeat = tokio::time::interval(heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.reset();
        Some(Session {
            unconfirmed: unconfirmed.map(|s| (reader, s)),
            log: hub.log.clone(),
            hub,
            joined,
            full,
            next,
            window,
            seam: None,
            replay: replay.unwrap_or_default().into(),
            subs,
            filter,
            heartbeat,
            quiet: true,
            ended: false,
            shutdown,
            owed: None,
        })
    }

    fn token(&self) -> String {
        Position {
            log: self.log.clone(),
            next: self.next.clone(),
        }
        .encode()
    }

    /// What to send next; `None` once the stream is over.
    pub async fn next(&mut self) -> Option<Out> {
        if self.ended {
            return None;
        }
        if let Some(out) = self.owed.take() {
            return Some(out);
        }
        if let Some((reader, from)) = self.unconfirmed.take() {
            let current = tokio::select! {
                current = self.hub.log_is_current() => current,
                _ = self.shutdown.pressed(1) => {
                    self.ended = true;
                    return Some(self.stop(End::Shutdown));
                }
            };
            if current {
                self.hub
                    .metrics
                    .resume_memory
                    .fetch_add(1, Ordering::Relaxed);
            } else {
                // Re-created, another cluster, or Kafka away: Kafka says which.
                self.replay.clear();
                self.window = Some(read_window(&self.hub, &reader, from));
            }
        }
        loop {
            let out = if self.window.is_some() {
                self.history().await
            } else {
                self.live().await
            };
            if let Some(out) = out {
                self.account(&out);
                return Some(out);
            }
        }
    }

    /// What can be sent next without waiting: live frames already queued
    /// (after a [`Session::next`], to write what came together in one
    /// write); `None` when nothing is ready or anything else is due first
    /// (a window being read, an owed ending, the end).
    pub fn ready(&mut self) -> Option<Out> {
        if self.ended || self.owed.is_some() || self.unconfirmed.is_some() || self.window.is_some()
        {
            return None;
        }
        loop {
            let out = match self.replay.pop_front() {
                Some(f) => self.replayed(f),
                None => {
                    let f = self.joined.rx.try_recv().ok()?;
                    self.frame(f)
                }
            };
            if let Some(out) = out {
                self.account(&out);
                return Some(out);
            }
        }
    }

    /// Book what is handed out: the end, activity, the events counted.
    fn account(&mut self, out: &Out) {
        match out {
            Out::Heartbeat => {}
            Out::Ended { .. } | Out::Failed { .. } => self.ended = true,
            _ => {
                self.quiet = false;
                if !matches!(out, Out::Reset { .. }) {
                    self.hub.metrics.events_out.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// While the window is read: its records (live frames wait in the queue).
    async fn history(&mut self) -> Option<Out> {
        let window = self.window.as_mut()?;
        if let Some(spans) = window.spans.as_mut() {
            tokio::select! {
                planned = spans => {
                    window.spans = None;
                    if let Ok(spans) = planned {
                        for (p, (start, _)) in spans {
                            let p = usize::try_from(p).unwrap_or(0);
                            if self.next.len() <= p {
                                self.next.resize(p + 1, 0);
                            }
                            self.next[p] = start;
                        }
                    }
                    return None;
                }
                _ = self.heartbeat.tick() => return self.beat(),
                _ = self.shutdown.pressed(1) => return Some(self.stop(End::Shutdown)),
            }
        }
        tokio::select! {
            record = window.rx.recv() => match record {
                Some(r) => self.record(&r),
                None => self.window_read().await,
            },
            _ = self.heartbeat.tick() => self.beat(),
            _ = self.shutdown.pressed(1) => Some(self.stop(End::Shutdown)),
        }
    }

    fn beat(&mut self) -> Option<Out> {
        let quiet = std::mem::replace(&mut self.quiet, true);
        quiet.then_some(Out::Heartbeat)
    }

    fn stop(&mut self, why: End) -> Out {
        Out::Ended {
            why,
            token: self.token(),
        }
    }

    /// A record from the window.
    fn record(&mut self, r: &Received) -> Option<Out> {
        let (_, p, o) = crate::event::coordinates(&r.payload)?;
        let data = r.event.as_deref().unwrap_or(&r.payload);
        // A shared read reads serve's patterns: this client's own narrow it.
        if self.subs.matching(&r.channel).is_none()
            || !self.filter.is_empty()
                && !hub::wanted(
                    &self.filter,
                    &self.hub.template,
                    &r.channel,
                    &r.payload,
                    &mut None,
                )
        {
            self.advance(p, o);
            return None;
        }
        let body = hub::body(&r.channel, Some((p, o)), data);
        self.advance(p, o);
        self.hub
            .metrics
            .resume_records
            .fetch_add(1, Ordering::Relaxed);
        Some(Out::Event {
            token: self.token(),
            body,
        })
    }

    fn advance(&mut self, p: i32, o: i64) {
        let Ok(p) = usize::try_from(p) else { return };
        if self.next.len() <= p {
            self.next.resize(p + 1, 0);
        }
        self.next[p] = self.next[p].max(o + 1);
    }

    /// The window is read: its end is the seam; or history is gone, or Kafka failed.
    async fn window_read(&mut self) -> Option<Out> {
        // Awaited in place, then taken: a caller may drop this future (a
        // WebSocket that closed meanwhile) without losing the window's end.
        let result = match &mut self.window.as_mut()?.done {
            WindowEnd::Own(done) => match done.await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("the read of history stopped: {e}")),
            },
            WindowEnd::Shared(end) => match end.await {
                Ok(ShareEnd::Read(seam)) => Ok(seam),
                Ok(ShareEnd::Failed(e)) => Err(e),
                Ok(ShareEnd::Overflow) => {
                    self.window = None;
                    return Some(self.stop(End::Overflow));
                }
                // Read on its own from where it is now, which says why.
                Ok(ShareEnd::Alone) | Err(_) => {
                    let reader = WindowReader {
                        subs: self.subs.clone(),
                        ..self.hub.reader(self.full)
                    };
                    let from = at(Position {
                        log: self.log.clone(),
                        next: self.next.clone(),
                    });
                    self.window = Some(read_window(&self.hub, &reader, from));
                    return None;
                }
            },
        };
        self.window = None;
        match result {
            Ok(seam) => {
                for (&p, ranges) in &seam.ranges {
                    if let Some(end) = ranges.iter().map(|r| r.end).max() {
                        self.advance(p, end - 1);
                    }
                }
                self.seam = Some(seam);
                None
            }
            Err(e) => match e.downcast::<HistoryGone>() {
                Ok(gone) => {
                    self.hub.metrics.resets.fetch_add(1, Ordering::Relaxed);
                    self.next = Vec::new();
                    self.log = gone.now.clone();
                    let mut ranges = HashMap::new();
                    for (&p, &end) in &gone.ends {
                        self.advance(p, end - 1);
                        ranges.insert(p, vec![SeamRange::new(0, end)]);
                    }
                    // Live frames below the new position came before it.
                    self.seam = Some(Seam {
                        topic: self.hub.topic.clone(),
                        ranges,
                        unroutable: 0,
                        read_at: Some(jiff::Timestamp::now()),
                    });
                    let token = self.token();
                    Some(Out::Reset {
                        reason: gone.reason,
                        token,
                    })
                }
                Err(e) => {
                    self.hub.metrics.errors.fetch_add(1, Ordering::Relaxed);
                    Some(Out::Failed {
                        reason: format!("{e:#}"),
                    })
                }
            },
        }
    }

    /// Live: the hub's frames, minus what the window already sent.
    async fn live(&mut self) -> Option<Out> {
        if let Some(f) = self.replay.pop_front() {
            return self.replayed(f);
        }
        tokio::select! {
            frame = self.joined.rx.recv() => match frame {
                Some(f) => self.frame(f),
                None => {
                    let why = match self.joined.end() {
                        End::No => End::Shutdown,
                        why => why,
                    };
                    Some(self.stop(why))
                }
            },
            _ = self.heartbeat.tick() => self.beat(),
            _ = self.shutdown.pressed(1) => Some(self.stop(End::Shutdown)),
        }
    }

    /// A frame of the recent ones kept in memory, if this client wants it.
    fn replayed(&mut self, f: Arc<LiveFrame>) -> Option<Out> {
        let wanted = self.subs.matching(&f.channel).is_some()
            && (self.filter.is_empty()
                || hub::wanted(
                    &self.filter,
                    &self.hub.template,
                    &f.channel,
                    &f.payload,
                    &mut None,
                ));
        if !wanted {
            if let Some((_, p, o)) = f.place {
                self.advance(p, o);
            }
            return None;
        }
        self.pass(f)
    }

    fn frame(&mut self, f: Arc<LiveFrame>) -> Option<Out> {
        self.joined
            .queued
            .fetch_sub(f.cost(self.full), Ordering::SeqCst);
        self.pass(f)
    }

    /// A frame to send unless the window sent it; the position merged.
    fn pass(&mut self, f: Arc<LiveFrame>) -> Option<Out> {
        if let Some(seam) = self.seam.as_mut() {
            if f.place.is_some() && seam.covers(f.place.as_ref(), &f.channel, f.received_at) {
                return None;
            }
        }
        // An offset this client was sent (or passed) already: a notification
        // sent again (`replay --to-redis` repairing Redis, a publisher's
        // retry) or one that came after Kafka gave it. Once is the promise.
        if let Some((_, p, o)) = &f.place {
            let passed = usize::try_from(*p)
                .ok()
                .and_then(|p| self.next.get(p))
                .is_some_and(|&next| *o < next);
            if passed && self.log == self.hub.log {
                return None;
            }
        }
        let shared = &f.positions;
        if self.next.len() < shared.len() {
            self.next.resize(shared.len(), 0);
        }
        let mut same = self.next.len() == shared.len() && self.log == self.hub.log;
        for (mine, &theirs) in self.next.iter_mut().zip(shared.iter()) {
            *mine = (*mine).max(theirs);
            same &= *mine == theirs;
        }
        if let Some((_, p, o)) = f.place {
            self.advance(p, o);
        }
        if same {
            return Some(Out::Shared(f, self.full));
        }
        let body = match (self.full, &f.full_body) {
            (true, Some(b)) => b.clone(),
            _ => f.body.clone(),
        };
        Some(Out::Event {
            token: self.token(),
            body,
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(w) = &self.window {
            w.stop.store(true, Ordering::SeqCst);
        }
        self.hub.leave(self.joined.id);
    }
}
