//! `dualstream tail`: follow Redis channels and print each message once in
//! the chosen format, until --count, --timeout or Ctrl-C. With --catch-up
//! the window is first read from Kafka (`crate::window`), with an exact seam to
//! the live stream; with --fetch each notification's full event is read
//! from Kafka. --filter picks the messages to print and count; --expect
//! ends the run once the expected events arrived.

mod lost;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use tokio::sync::{mpsc, oneshot};

use crate::config::{Common, Expect, TailConfig};
use crate::duration::show_duration;
use crate::error::Code;
use crate::event;
use crate::kafka::read::Fetcher;
use crate::output::expect;
use crate::output::records::{Received, TailPrinter};
use crate::output::summary::{Ending, Note, Summary, SummaryKind, TailCounts};
use crate::output::{Data, Output};
use crate::pubsub::{self, Feed, Gap, Item, Message};
use crate::select::View;
use crate::shutdown::Shutdown;
use crate::window::{self, Reading, Seam, Spans, WindowReader, WindowStart};
use lost::Losses;

pub async fn run(common: Common, mut cfg: TailConfig, out: &Output, shutdown: &Shutdown) -> Ending {
    let started = std::time::Instant::now();
    let mut expect = cfg.expect.take();
    let mut counts = Printed::default();
    let mut ending = match tail(common, &cfg, &mut expect, &mut counts, out, shutdown).await {
        Ok(ending) => ending,
        Err(e) => Ending::bare(Err(e)),
    };
    if let Some(expect) = &expect {
        judge(&cfg, expect, &counts, started.elapsed(), &mut ending);
    } else if cfg.summary.kind != SummaryKind::Auto || cfg.summary.file.is_some() {
        ending.summary = Some(summary(&cfg, None, &counts));
    }
    ending
}

/// What a run printed and left out.
#[derive(Default)]
struct Printed {
    printed: u64,
    filtered: u64,
    dropped: u64,
}

/// The end of a run with --expect: the expectations decide the exit code,
/// say what is missing, fill the summary and write the JUnit report.
fn judge(
    cfg: &TailConfig,
    expect: &Expect,
    counts: &Printed,
    elapsed: std::time::Duration,
    ending: &mut Ending,
) {
    expect::conclude(
        &expect.expectations,
        expect.once,
        cfg.junit.as_deref().map(|p| (p, "dualstream tail")),
        elapsed,
        (&mut ending.result, &mut ending.notes),
    );
    ending.summary = Some(summary(cfg, Some(expect), counts));
}

fn summary(cfg: &TailConfig, expect: Option<&Expect>, counts: &Printed) -> Summary {
    let counts = TailCounts {
        printed: counts.printed,
        filtered_out: counts.filtered,
        dropped: counts.dropped,
        expect: expect.map(|x| &x.expectations),
    };
    Summary::tail(&cfg.summary, &counts)
}

async fn tail(
    common: Common,
    cfg: &TailConfig,
    expect: &mut Option<Expect>,
    counts: &mut Printed,
    out: &Output,
    shutdown: &Shutdown,
) -> Result<Ending> {
    let redis = &cfg.redis;
    if cfg.fill_gaps && cfg.catch_up.is_none() {
        let (settings, topic) = (common.kafka.clone(), common.topic.clone());
        let connecting = out.connecting(&settings.shown());
        let checked = shutdown
            .or_interrupted(async {
                tokio::task::spawn_blocking(move || window::check(&settings, &topic))
                    .await
                    .map_err(|e| anyhow::anyhow!("--fill-gaps: {e}"))?
                    .map_err(|e| e.context("--fill-gaps reads the gaps from Kafka"))
            })
            .await;
        drop(connecting);
        checked?;
    }
    // --fetch reads each event from Kafka: with no broker answering it
    // fails here, not once per notification.
    let fetcher = if cfg.fetch {
        let settings = common.kafka.clone();
        let connecting = out.connecting(&settings.shown());
        let started = shutdown
            .or_interrupted(async {
                tokio::task::spawn_blocking(move || Fetcher::start(&settings))
                    .await
                    .map_err(|e| anyhow::anyhow!("--fetch: {e}"))?
            })
            .await;
        drop(connecting);
        Some(started?)
    } else {
        None
    };
    let mut feed = shutdown
        .or_interrupted(async {
            pubsub::subscribe(redis, &cfg.subscriptions, cfg.queue, out.warner()).await
        })
        .await?;
    out.info(&format!(
        "subscribed to {} on {}",
        cfg.subscriptions.describe(),
        redis.shown
    ));
    let reader = WindowReader {
        settings: common.kafka.clone(),
        topic: common.topic.clone(),
        subs: cfg.subscriptions.clone(),
        template: cfg.channel.clone(),
        fetch: cfg.fetch,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let catch_up = cfg
        .catch_up
        .map(|since| reader.spawn_planned(WindowStart::Time(since)));
    let writer = TailWriter::new(cfg, &reader, fetcher.as_ref(), (expect, &mut *counts), out);
    let result = writer.write(catch_up, &mut feed, shutdown).await;
    reader.stop.store(true, Ordering::SeqCst);
    let mut notes = Vec::new();
    let lost = feed.dropped();
    counts.dropped = lost;
    if lost > 0 {
        let what = if cfg.fill_gaps {
            "read again from Kafka"
        } else {
            "see --queue"
        };
        notes.push(Note::Warn(format!(
            "{} dropped: output could not keep up ({what})",
            crate::output::plural(lost, "message")
        )));
    }
    Ok(Ending {
        summary: None,
        notes,
        result,
    })
}

/// What the loop waits for next.
enum Arrived {
    /// From a window being read (`None`: it is read).
    Window(Option<Received>),
    /// From Redis (`None`: the subscription ended).
    Live(Option<Item>),
}

/// What ends a run besides its messages: Ctrl-C, and --timeout (which
/// resolves to its length). Made once: a stream of messages must not pay
/// for new timers each time.
struct Ends<'s> {
    interrupted: Pin<Box<dyn Future<Output = ()> + Send + 's>>,
    expired: Pin<Box<dyn Future<Output = Duration> + Send>>,
}

/// Prints messages until --count, --timeout or Ctrl-C: first the catch-up
/// window from Kafka (if any), then live ones, minus those the window held.
/// A gap in the live stream (a reconnect, a full queue) is reported, or
/// with --fill-gaps read from Kafka like a window, with the same seam. One
/// method per event of the loop in [`TailWriter::write`].
struct TailWriter<'a> {
    cfg: &'a TailConfig,
    reader: &'a WindowReader,
    fetcher: Option<&'a Fetcher>,
    out: &'a Output,
    expect: &'a mut Option<Expect>,
    counts: &'a mut Printed,
    stdout: Data,
    printer: TailPrinter,
    /// A filter or expectations look at each message.
    selecting: bool,
    /// When tail started: a gap's fill never reaches back before it.
    started: jiff::Timestamp,
    /// The notifications of the window being read (catch-up or a gap).
    window: Option<mpsc::Receiver<Received>>,
    /// The read of that window, which ends with its seam.
    reading: Option<tokio::task::JoinHandle<Result<Seam>>>,
    /// The window being read fills a gap (its failure is a warning, not
    /// the end of the run).
    filling: bool,
    /// Per partition of --topic: the offset after the last notification
    /// seen, where a gap's fill starts.
    next: HashMap<i32, i64>,
    /// What the windows printed, for the live originals to be dropped.
    seam: Option<Seam>,
    /// What each cut of the live stream lost, counted from the offsets of
    /// the notifications around it (classic subscriptions: a sharded one's
    /// gap is one slot's, while the others' notifications go on).
    losses: Option<Losses>,
    /// The window being read fills a gap being counted.
    counting_fill: bool,
    /// --timeout came while the catch-up window was still being read.
    unread_window: bool,
    /// Told once the catch-up window is planned: Kafka answered.
    planned: Option<oneshot::Receiver<Spans>>,
    /// --timeout came before Kafka answered anything for the catch-up.
    unanswered: bool,
    /// Drops are said as they happen (at most once a second), not only at
    /// exit: how many were said, and when.
    said_dropped: (u64, std::time::Instant),
}

impl<'a> TailWriter<'a> {
    fn new(
        cfg: &'a TailConfig,
        reader: &'a WindowReader,
        fetcher: Option<&'a Fetcher>,
        (expect, counts): (&'a mut Option<Expect>, &'a mut Printed),
        out: &'a Output,
    ) -> TailWriter<'a> {
        TailWriter {
            cfg,
            reader,
            fetcher,
            out,
            selecting: !cfg.filter.is_empty() || expect.is_some(),
            expect,
            counts,
            stdout: out.data(true),
            printer: TailPrinter::new(cfg.format.clone(), out.style(), cfg.fetch),
            started: jiff::Timestamp::now(),
            window: None,
            reading: None,
            filling: false,
            next: HashMap::new(),
            seam: None,
            losses: (!cfg.redis.sharded()).then(Losses::new),
            counting_fill: false,
            unread_window: false,
            planned: None,
            unanswered: false,
            said_dropped: (0, std::time::Instant::now()),
        }
    }

    /// The loop: wait for the next event, hand it to its method.
    async fn write(
        mut self,
        catch_up: Option<(Reading, oneshot::Receiver<Spans>)>,
        feed: &mut Feed,
        shutdown: &Shutdown,
    ) -> Result<Code> {
        self.printer.header(&mut self.stdout)?;
        if self.cfg.count == Some(0) {
            self.stdout.finish()?;
            return Ok(Code::Success);
        }
        self.started = jiff::Timestamp::now();
        let mut ends = Ends {
            interrupted: Box::pin(shutdown.pressed(1)),
            expired: Box::pin(expiry(
                self.cfg
                    .timeout
                    .map(|t| (tokio::time::Instant::now() + t, t)),
            )),
        };
        if let Some(((rx, reading), planned)) = catch_up {
            (self.window, self.reading) = (Some(rx), Some(reading));
            self.planned = Some(planned);
        }
        let code = loop {
            let next = next(&mut self.window, feed);
            let stop = tokio::select! {
                biased;
                _ = &mut ends.interrupted => Some(Code::Interrupted),
                // Before the messages: a stream that never pauses must not
                // starve the deadline.
                after = &mut ends.expired => Some(self.expired(after)),
                next = next => match next {
                    Arrived::Window(Some(msg)) => self.message(msg, true, feed, &mut ends).await?,
                    Arrived::Live(Some(Item::Message(m))) => {
                        self.message(live(m), false, feed, &mut ends).await?
                    }
                    Arrived::Live(Some(Item::Gap { since, cause })) => {
                        self.gap(since, cause);
                        None
                    }
                    Arrived::Live(None) => Some(Code::Unexpected),
                    Arrived::Window(None) => {
                        self.window_read().await?;
                        None
                    }
                },
            };
            if let Some(code) = stop {
                break code;
            }
        };
        self.end(code)
    }

    /// --timeout ran out.
    fn expired(&mut self, after: Duration) -> Code {
        // The catch-up window was asked for and never came: that is
        // Kafka's failure, not a quiet channel.
        self.unread_window = self.reading.is_some() && !self.filling;
        self.unanswered = self.unread_window
            && self
                .planned
                .as_mut()
                .is_some_and(|p| p.try_recv() == Err(oneshot::error::TryRecvError::Empty));
        self.timed_out(after)
    }

    /// A message, from a window or live: print it unless the seam held it
    /// or the filter leaves it out. `Some` ends the run with that code.
    async fn message(
        &mut self,
        mut msg: Received,
        from_window: bool,
        feed: &Feed,
        ends: &mut Ends<'_>,
    ) -> Result<Option<Code>> {
        // Where the notification points, read once for all who ask.
        let needs_place = self.seam.is_some() || self.cfg.fill_gaps || self.fetcher.is_some();
        // Counting a gap's losses looks only at what may be a notification.
        let counting = self.losses.is_some() && msg.payload.first() == Some(&b'{');
        let place = (needs_place || counting)
            .then(|| event::coordinates(&msg.payload))
            .flatten();
        if let Some(losses) = self.losses.as_mut() {
            if !from_window {
                // Before the seam: a live original it drops still ends a
                // gap's count in its partition.
                for said in losses.live(place.as_ref()) {
                    self.out.warn(&said);
                }
            } else if self.counting_fill {
                losses.read(place.as_ref());
            }
        }
        if !from_window
            && self
                .seam
                .as_mut()
                .is_some_and(|s| s.covers(place.as_ref(), &msg.channel, msg.received_at))
        {
            return Ok(None);
        }
        if let (true, Some((topic, p, offset))) = (self.cfg.fill_gaps, &place) {
            if *topic == self.reader.topic {
                let after = self.next.entry(*p).or_insert(0);
                *after = (*after).max(offset.saturating_add(1));
            }
        }
        if let (Some(f), None) = (self.fetcher, &msg.event) {
            // A fetch waits for Kafka: Ctrl-C and the deadline still end
            // the run meanwhile.
            let fetched = tokio::select! {
                biased;
                _ = &mut ends.interrupted => return Ok(Some(Code::Interrupted)),
                after = &mut ends.expired => return Ok(Some(self.timed_out(after))),
                fetched = fetch(f, place.as_ref()) => fetched,
            };
            msg.event = Some(match fetched {
                Ok(event) => event,
                Err(why) => {
                    self.out.warn(&format!("--fetch: {why}"));
                    Vec::new()
                }
            });
        }
        let (wanted, met_all) = match self.selecting {
            true => select(self.cfg, self.expect, &msg),
            false => (true, false),
        };
        if wanted {
            self.printer.print(&mut self.stdout, &msg)?;
            self.counts.printed += 1;
            if met_all {
                return Ok(Some(Code::Success));
            }
        } else {
            self.counts.filtered += 1;
        }
        self.dropped(feed);
        if self.cfg.count.is_some_and(|n| self.counts.printed >= n) {
            return Ok(Some(Code::Success));
        }
        self.idle(feed)?;
        Ok(None)
    }

    /// Say the messages dropped so far, at most once a second.
    fn dropped(&mut self, feed: &Feed) {
        let dropped = feed.dropped();
        let (said, at) = self.said_dropped;
        if dropped > said && at.elapsed() >= Duration::from_secs(1) {
            let fill = if self.cfg.fill_gaps {
                " (read again from Kafka)"
            } else {
                " (see --queue)"
            };
            self.out.warn(&format!(
                "{} dropped so far: output could not keep up{fill}",
                crate::output::plural(dropped, "message")
            ));
            self.said_dropped = (dropped, std::time::Instant::now());
        }
    }

    /// Flush when nothing else is waiting: each line is seen at once by
    /// `tail | jq`, yet bursts cost one write.
    fn idle(&mut self, feed: &Feed) -> Result<()> {
        let waiting = match &self.window {
            Some(w) => !w.is_empty(),
            None => !feed.rx.is_empty(),
        };
        if !waiting {
            self.stdout.idle()?;
        }
        Ok(())
    }

    /// Say what a gap in the live stream means; with --fill-gaps, start
    /// reading it from Kafka as a window of its own: per partition from the
    /// offset after the last notification seen, elsewhere from a little
    /// before the gap (never before tail started), up to the end offsets
    /// taken now.
    fn gap(&mut self, since: jiff::Timestamp, cause: Gap) {
        self.counting_fill = false;
        if let (Some(losses), Gap::Disconnected { lasted }) = (self.losses.as_mut(), cause) {
            let (said, from_fill) = losses.gap(lasted, self.cfg.fill_gaps);
            for said in said {
                self.out.warn(&said);
            }
            self.counting_fill = from_fill;
        }
        let lasted = match cause {
            Gap::Disconnected { lasted } => format!(
                "redis: resubscribed after a gap of {}",
                show_duration(lasted)
            ),
            Gap::Overflow => "output could not keep up and messages were dropped".to_string(),
        };
        if !self.cfg.fill_gaps {
            if matches!(cause, Gap::Disconnected { .. }) {
                self.out.warn(&format!(
                    "{lasted}; messages published in the gap were missed (--fill-gaps reads them from Kafka)"
                ));
            }
            return;
        }
        self.out
            .warn(&format!("{lasted}; reading the gap from Kafka"));
        let otherwise = since
            .checked_sub(GAP_MARGIN)
            .unwrap_or(since)
            .max(self.started)
            .as_millisecond();
        let (rx, reading) = self.reader.spawn(WindowStart::After {
            next: self.next.clone(),
            otherwise,
        });
        (self.window, self.reading, self.filling) = (Some(rx), Some(reading), true);
    }

    /// The window is read: learn its seam, then go live.
    async fn window_read(&mut self) -> Result<()> {
        self.window = None;
        if let Some(r) = self.reading.take() {
            let what = if self.filling {
                "filling the gap"
            } else {
                "catch-up"
            };
            let found = r.await.map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
            let found = match (found, self.filling) {
                (Ok(found), _) => found,
                (Err(e), true) => {
                    if std::mem::take(&mut self.counting_fill) {
                        if let Some(losses) = self.losses.as_mut() {
                            losses.unread();
                        }
                    }
                    self.out.warn(&format!(
                        "could not fill the gap from Kafka ({e:#}): messages published in it were missed"
                    ));
                    return Ok(());
                }
                (Err(e), false) => return Err(e),
            };
            if found.unroutable > 0 {
                self.out.warn(&format!(
                    "{what}: {} without id/type/source_type headers or fields: skipped",
                    crate::output::plural(found.unroutable, "record")
                ));
            }
            match self.seam.as_mut() {
                Some(s) => s.merge(found),
                None => self.seam = Some(found),
            }
        }
        if std::mem::take(&mut self.counting_fill) {
            if let Some(losses) = self.losses.as_mut() {
                losses.read_done();
            }
        }
        self.filling = false;
        Ok(())
    }

    /// The exit of a run that reached --timeout (`after`): a timeout if
    /// --count was not met (--expect decides for itself once the run is
    /// over).
    fn timed_out(&self, after: Duration) -> Code {
        if self.expect.is_some() {
            return Code::Timeout;
        }
        match self.cfg.count {
            Some(n) => {
                self.out.info(&format!(
                    "timeout: {} of {n} messages arrived within {}",
                    self.counts.printed,
                    show_duration(after)
                ));
                Code::Timeout
            }
            None => Code::Success,
        }
    }

    /// The end: what was printed is flushed; a catch-up window still being
    /// read at --timeout ends the run as a timeout (what was read stays
    /// printed): Kafka answered too slowly for the deadline, which is not
    /// a failure of Kafka (an unreachable broker fails the read itself).
    fn end(mut self, code: Code) -> Result<Code> {
        self.stdout.finish()?;
        if let Some(losses) = self.losses.as_mut() {
            for said in losses.due(true) {
                self.out.warn(&said);
            }
        }
        if self.unread_window {
            let waited = self.cfg.timeout.map(show_duration).unwrap_or_default();
            let n = self.counts.printed;
            let messages = if n == 1 { "message" } else { "messages" };
            // A listener that took the connection and never answered is
            // most often not speaking what the client speaks (TLS, SASL).
            let why = match self.unanswered {
                true => {
                    "; Kafka never answered: something takes the connection but does not answer \
                     as a Kafka broker (still starting? a TLS or SASL listener: see \
                     security.protocol)"
                }
                false => "",
            };
            self.out.info(&format!(
                "timeout: --catch-up: the window was still being read from Kafka when --timeout \
                 {waited} ran out ({n} {messages} printed){why}"
            ));
            return Ok(Code::Timeout);
        }
        Ok(code)
    }
}

/// The next event: from the window while one is read, else from Redis.
async fn next(window: &mut Option<mpsc::Receiver<Received>>, feed: &mut Feed) -> Arrived {
    match window.as_mut() {
        Some(rx) => Arrived::Window(rx.recv().await),
        None => Arrived::Live(feed.rx.recv().await),
    }
}

/// Resolves at the deadline, if there is one, with the --timeout it ends.
async fn expiry(deadline: Option<(tokio::time::Instant, Duration)>) -> Duration {
    match deadline {
        Some((at, timeout)) => {
            tokio::time::sleep_until(at).await;
            timeout
        }
        None => std::future::pending().await,
    }
}

/// How far before a disconnect a gap's fill reaches back in partitions
/// that had no notification yet: a notification is published within
/// milliseconds of its acknowledgement, this leaves room for a slow Redis.
const GAP_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(10);

/// Whether a message passes --filter, and whether it met the last
/// outstanding expectation of --expect.
fn select(cfg: &TailConfig, expect: &mut Option<Expect>, msg: &Received) -> (bool, bool) {
    let notification =
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&msg.payload).ok();
    let event = match (&msg.event, cfg.fetch) {
        (Some(bytes), true) => {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes).ok()
        }
        _ => None,
    };
    let field = |name: &str| {
        notification
            .as_ref()
            .and_then(|n| n.get(name))
            .and_then(|v| v.as_str())
    };
    let channel = std::str::from_utf8(&msg.channel).ok();
    let view = View {
        id: field("id"),
        kind: field("type"),
        // A notification does not carry it: read it back from the channel.
        source_type: field("source_type")
            .or_else(|| channel.and_then(|c| cfg.channel.source_type_of(c))),
        source_id: field("source_id"),
        body: if cfg.fetch {
            event.as_ref()
        } else {
            notification.as_ref()
        },
    };
    if !cfg.filter.matches(&view) {
        return (false, false);
    }
    match expect {
        Some(x) => {
            let x = &mut x.expectations;
            let was_met = x.all_met();
            x.observe(&view);
            (true, !was_met && x.all_met())
        }
        None => (true, false),
    }
}

/// A message off the wire, to print.
fn live(m: Message) -> Received {
    Received {
        received_at: m.received_at,
        channel: m.channel,
        pattern: m.pattern,
        payload: m.payload,
        from_kafka: false,
        event: None,
    }
}

/// The full event a notification points at.
async fn fetch(fetcher: &Fetcher, place: Option<&(String, i32, i64)>) -> Result<Vec<u8>, String> {
    let (topic, p, offset) =
        place.ok_or("not a notification (no topic/partition/offset)".to_string())?;
    fetcher.fetch(topic.clone(), *p, *offset).await
}
