//! `dualstream tail`: follow Redis channels and print each message once in
//! the chosen format, until --count, --timeout or Ctrl-C. With --catch-up
//! the window is first read from Kafka (`catchup`), with an exact seam to
//! the live stream; with --fetch each notification's full event is read
//! from Kafka. --filter picks the messages to print and count; --expect
//! ends the run once the expected events arrived.

mod catchup;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;

use crate::config::{Common, Expect, TailConfig};
use crate::duration::show_duration;
use crate::error::{self, Code};
use crate::event;
use crate::kafka::read::Fetcher;
use crate::output::expect as verdict;
use crate::output::records::{Received, TailPrinter};
use crate::output::summary::{Ending, Format, Note, Summary};
use crate::output::Output;
use crate::pubsub::{self, Feed, Gap, Item, Message};
use crate::select::View;
use crate::shutdown::Shutdown;
use catchup::{From, Reader, Reading, Seam};

pub async fn run(common: Common, mut cfg: TailConfig, out: &Output, shutdown: &Shutdown) -> Ending {
    let started = std::time::Instant::now();
    let mut expect = cfg.expect.take();
    let mut counts = Counts::default();
    let mut ending = match tail(common, &cfg, &mut expect, &mut counts, out, shutdown).await {
        Ok(ending) => ending,
        Err(e) => Ending::bare(Err(e)),
    };
    if let Some(expect) = &expect {
        judge(&cfg, expect, &counts, started.elapsed(), &mut ending);
    } else if cfg.summary != Format::Auto {
        ending.summary = Some(summary(&cfg, None, &counts));
    }
    ending
}

/// What a run printed and left out.
#[derive(Default)]
struct Counts {
    printed: u64,
    filtered: u64,
    dropped: u64,
}

/// The end of a run with --expect: the expectations decide the exit code,
/// say what is missing, fill the summary and write the JUnit report.
fn judge(
    cfg: &TailConfig,
    expect: &Expect,
    counts: &Counts,
    elapsed: std::time::Duration,
    ending: &mut Ending,
) {
    verdict::conclude(
        &expect.expectations,
        expect.once,
        cfg.junit.as_deref().map(|p| (p, "dualstream tail")),
        elapsed,
        (&mut ending.result, &mut ending.notes),
    );
    ending.summary = Some(summary(cfg, Some(expect), counts));
}

fn summary(cfg: &TailConfig, expect: Option<&Expect>, counts: &Counts) -> Summary {
    let mut json = serde_json::json!({
        "printed": counts.printed,
        "filtered_out": counts.filtered,
        "dropped": counts.dropped,
    });
    if let Some(expect) = expect {
        json["expect"] = expect.expectations.to_json();
    }
    let mut s = Summary::new(cfg.summary, "tail", json);
    s.row("printed", counts.printed.to_string());
    if counts.filtered > 0 {
        s.row("filtered out", counts.filtered.to_string());
    }
    if counts.dropped > 0 {
        s.row("dropped", counts.dropped.to_string());
    }
    if let Some(expect) = expect {
        let (key, value) = verdict::met_row(&expect.expectations);
        s.row(key, value);
    }
    s
}

async fn tail(
    common: Common,
    cfg: &TailConfig,
    expect: &mut Option<Expect>,
    counts: &mut Counts,
    out: &Output,
    shutdown: &Shutdown,
) -> Result<Ending> {
    // config::resolve refuses --redis off for tail.
    let redis = common
        .redis
        .as_ref()
        .ok_or_else(|| error::usage("tail reads Redis: --redis off leaves nothing to follow"))?;
    if cfg.fill_gaps && cfg.catch_up.is_none() {
        let (settings, topic) = (common.kafka.clone(), common.topic.clone());
        shutdown
            .or_interrupted(async {
                tokio::task::spawn_blocking(move || catchup::check(&settings, &topic))
                    .await
                    .map_err(|e| anyhow::anyhow!("--fill-gaps: {e}"))?
                    .map_err(|e| e.context("--fill-gaps reads the gaps from Kafka"))
            })
            .await?;
    }
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
    let reader = Reader {
        settings: common.kafka.clone(),
        topic: common.topic.clone(),
        subs: cfg.subscriptions.clone(),
        template: cfg.channel.clone(),
        fetch: cfg.fetch,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let catch_up = cfg.catch_up.map(|since| reader.spawn(From::Time(since)));
    let fetcher = if cfg.fetch {
        Some(Fetcher::start(&common.kafka)?)
    } else {
        None
    };
    let result = write(
        cfg,
        (&reader, catch_up),
        &mut feed,
        fetcher.as_ref(),
        (expect, &mut *counts),
        out,
        shutdown,
    )
    .await;
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
            "{lost} messages dropped: output could not keep up ({what})"
        )));
    }
    Ok(Ending {
        summary: None,
        notes,
        result,
    })
}

/// What the loop waits for next.
enum Next {
    /// From a window being read (`None`: it is read).
    Window(Option<Received>),
    /// From Redis (`None`: the subscription ended).
    Live(Option<Item>),
}

/// Print messages until --count, --timeout or Ctrl-C: first the catch-up
/// window from Kafka (if any), then live ones, minus those the window held.
/// A gap in the live stream (a reconnect, a full queue) is reported, or
/// with --fill-gaps read from Kafka like a window, with the same seam.
async fn write(
    cfg: &TailConfig,
    (reader, catch_up): (&Reader, Option<Reading>),
    feed: &mut Feed,
    fetcher: Option<&Fetcher>,
    (expect, counts): (&mut Option<Expect>, &mut Counts),
    out: &Output,
    shutdown: &Shutdown,
) -> Result<Code> {
    let mut stdout = out.data(true);
    let mut printer = TailPrinter::new(cfg.format, out.style(), cfg.fetch);
    printer.header(&mut stdout)?;
    let mut seen = 0u64;
    let selecting = !cfg.filter.is_empty() || expect.is_some();
    if cfg.count == Some(0) {
        stdout.finish()?;
        return Ok(Code::Success);
    }
    let started = jiff::Timestamp::now();
    let deadline = cfg.timeout.map(|t| tokio::time::Instant::now() + t);
    let (mut window, mut reading) = match catch_up {
        Some((rx, reading)) => (Some(rx), Some(reading)),
        None => (None, None),
    };
    // The window being read fills a gap (its failure is a warning, not
    // the end of the run).
    let mut filling = false;
    // Per partition of --topic: the offset after the last notification
    // seen, where a gap's fill starts.
    let mut next: HashMap<i32, i64> = HashMap::new();
    let mut seam: Option<Seam> = None;
    let mut unread_window = false;
    // Drops are said as they happen (at most once a second), not only at exit.
    let (mut said_dropped, mut said_at) = (0u64, std::time::Instant::now());
    // Made once: a stream of messages must not pay for new timers each time.
    let interrupted = shutdown.pressed(1);
    tokio::pin!(interrupted);
    let expired = sleep_until(deadline);
    tokio::pin!(expired);
    let code = loop {
        let next_item = async {
            match window.as_mut() {
                Some(rx) => Next::Window(rx.recv().await),
                None => Next::Live(feed.rx.recv().await),
            }
        };
        tokio::select! {
            biased;
            _ = &mut interrupted => break Code::Interrupted,
            // Before the messages: a stream that never pauses must not
            // starve the deadline.
            _ = &mut expired => {
                // The catch-up window was asked for and never came: that is
                // Kafka's failure, not a quiet channel.
                unread_window = reading.is_some() && !filling;
                break timed_out(cfg, seen, expect.is_some(), out);
            }
            item = next_item => {
                let (mut msg, from_window) = match item {
                    Next::Window(Some(msg)) => (msg, true),
                    Next::Live(Some(Item::Message(m))) => (live(m), false),
                    Next::Live(Some(Item::Gap { since, cause })) => {
                        if let Some(fill) = gap(cfg, reader, &next, (since, cause), started, out) {
                            (window, reading, filling) =
                                (Some(fill.0), Some(fill.1), true);
                        }
                        continue;
                    }
                    Next::Live(None) => break Code::Unexpected,
                    Next::Window(None) => {
                        // The window is read: learn the seam, then go live.
                        window = None;
                        if let Some(r) = reading.take() {
                            let what = if filling { "filling the gap" } else { "catch-up" };
                            let found = r.await.map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
                            let found = match (found, filling) {
                                (Ok(found), _) => found,
                                (Err(e), true) => {
                                    out.warn(&format!(
                                        "could not fill the gap from Kafka ({e:#}): messages published in it were missed"
                                    ));
                                    continue;
                                }
                                (Err(e), false) => return Err(e),
                            };
                            if found.unroutable > 0 {
                                out.warn(&format!(
                                    "{what}: {} records had no id/type/source_type headers or fields and were skipped",
                                    found.unroutable
                                ));
                            }
                            match seam.as_mut() {
                                Some(s) => s.merge(found),
                                None => seam = Some(found),
                            }
                        }
                        filling = false;
                        continue;
                    }
                };
                // Where the notification points, read once for all who ask.
                let needs_place = seam.is_some() || cfg.fill_gaps || fetcher.is_some();
                let place = needs_place.then(|| event::coordinates(&msg.payload)).flatten();
                if !from_window && seam.as_mut().is_some_and(|s| s.covers(place.as_ref(), msg.received_at)) {
                    continue;
                }
                if let (true, Some((topic, p, offset))) = (cfg.fill_gaps, &place) {
                    if *topic == reader.topic {
                        let after = next.entry(*p).or_insert(0);
                        *after = (*after).max(offset.saturating_add(1));
                    }
                }
                if let (Some(f), None) = (fetcher, &msg.event) {
                    // A fetch waits for Kafka: Ctrl-C and the deadline
                    // still end the run meanwhile.
                    let fetched = tokio::select! {
                        biased;
                        _ = &mut interrupted => break Code::Interrupted,
                        _ = &mut expired => break timed_out(cfg, seen, expect.is_some(), out),
                        fetched = fetch(f, place.as_ref()) => fetched,
                    };
                    msg.event = Some(match fetched {
                        Ok(event) => event,
                        Err(why) => {
                            out.warn(&format!("--fetch: {why}"));
                            Vec::new()
                        }
                    });
                }
                let (wanted, met_all) = match selecting {
                    true => select(cfg, expect, &msg),
                    false => (true, false),
                };
                if wanted {
                    printer.print(&mut stdout, &msg)?;
                    seen += 1;
                    counts.printed = seen;
                    if met_all {
                        break Code::Success;
                    }
                } else {
                    counts.filtered += 1;
                }
                let dropped = feed.dropped();
                if dropped > said_dropped && said_at.elapsed() >= std::time::Duration::from_secs(1) {
                    let fill = if cfg.fill_gaps { " (read again from Kafka)" } else { " (see --queue)" };
                    out.warn(&format!(
                        "{dropped} messages dropped so far: output could not keep up{fill}"
                    ));
                    (said_dropped, said_at) = (dropped, std::time::Instant::now());
                }
                if cfg.count.is_some_and(|n| seen >= n) {
                    break Code::Success;
                }
                // Flush when nothing else is waiting: each line is seen at
                // once by `tail | jq`, yet bursts cost one write.
                if window.as_ref().map_or(feed.rx.is_empty(), |w| w.is_empty()) {
                    stdout.idle()?;
                }
            }
        }
    };
    stdout.finish()?;
    if unread_window {
        return Err(error::kafka(
            "kafka: --catch-up: the window was still being read when --timeout ran out",
        ));
    }
    Ok(code)
}

/// How far before a disconnect a gap's fill reaches back in partitions
/// that had no notification yet: a notification is published within
/// milliseconds of its acknowledgement, this leaves room for a slow Redis.
const GAP_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(10);

/// Say what a gap in the live stream means; with --fill-gaps, start
/// reading it from Kafka: per partition from the offset after the last
/// notification seen, elsewhere from a little before the gap (never before
/// tail started), up to the end offsets taken now.
fn gap(
    cfg: &TailConfig,
    reader: &Reader,
    next: &HashMap<i32, i64>,
    (since, cause): (jiff::Timestamp, Gap),
    started: jiff::Timestamp,
    out: &Output,
) -> Option<Reading> {
    let lasted = match cause {
        Gap::Disconnected { lasted } => format!(
            "redis: resubscribed after a gap of {}",
            show_duration(lasted)
        ),
        Gap::Overflow => "output could not keep up and messages were dropped".to_string(),
    };
    if !cfg.fill_gaps {
        if matches!(cause, Gap::Disconnected { .. }) {
            out.warn(&format!(
                "{lasted}; messages published in the gap were missed (--fill-gaps reads them from Kafka)"
            ));
        }
        return None;
    }
    out.warn(&format!("{lasted}; reading the gap from Kafka"));
    let otherwise = since
        .checked_sub(GAP_MARGIN)
        .unwrap_or(since)
        .max(started)
        .as_millisecond();
    Some(reader.spawn(From::After {
        next: next.clone(),
        otherwise,
    }))
}

/// Resolves at the deadline, if there is one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

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

/// The exit of a run that reached --timeout: 124 if --count was not met
/// (--expect decides for itself once the run is over).
fn timed_out(cfg: &TailConfig, seen: u64, expecting: bool, out: &Output) -> Code {
    if expecting {
        return Code::Timeout;
    }
    match cfg.count {
        Some(n) => {
            out.info(&format!(
                "timeout: {seen} of {n} messages arrived within {}",
                show_duration(cfg.timeout.unwrap_or_default())
            ));
            Code::Timeout
        }
        None => Code::Success,
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
