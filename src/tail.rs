//! `dualstream tail`: follow Redis channels. A connection task subscribes,
//! keeps the link alive with PING, reconnects with backoff and resubscribes,
//! and hands messages over a bounded queue to the writer, which prints each
//! once in the chosen format and stops on --count, --timeout or Ctrl-C.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use serde_json::json;
use tokio::sync::mpsc;

use crate::catchup::{self, Fetcher, Seam, Window};
use crate::cli::TailFormat;
use crate::config::{show_duration, Common, RedisTarget, TailConfig};
use crate::error::{self, Code};
use crate::glob;
use crate::output::Output;

/// One message to print: off the wire, or rebuilt from Kafka by --catch-up.
pub struct Incoming {
    pub received_at: jiff::Timestamp,
    pub channel: Vec<u8>,
    pub pattern: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    /// Read from Kafka during --catch-up rather than received from Redis.
    pub from_kafka: bool,
    /// The full event, with --fetch.
    pub event: Option<Vec<u8>>,
}

/// What to subscribe to: names (SUBSCRIBE) and globs (PSUBSCRIBE).
#[derive(Clone, Debug)]
pub struct Subscriptions {
    pub names: Vec<String>,
    pub patterns: Vec<String>,
}

impl Subscriptions {
    pub fn new(given: &[String], literal: bool) -> Subscriptions {
        let (patterns, names) = given
            .iter()
            .cloned()
            .partition(|p| !literal && glob::is_pattern(p));
        Subscriptions { names, patterns }
    }

    /// Redis delivers a message once per matching subscription. Keep it only
    /// from the first that matches: names first, then patterns in order.
    fn first_match(&self, msg: &Incoming) -> bool {
        let Some(pattern) = &msg.pattern else {
            return true;
        };
        if self
            .names
            .iter()
            .any(|n| n.as_bytes() == msg.channel.as_slice())
        {
            return false;
        }
        for p in &self.patterns {
            if glob::matches(p.as_bytes(), &msg.channel) {
                return p.as_bytes() == pattern.as_slice();
            }
        }
        true
    }

    /// Which subscription a channel falls under: `Some(None)` for a name,
    /// `Some(Some(pattern))` for the first matching pattern, `None` for none.
    pub fn matching(&self, channel: &[u8]) -> Option<Option<String>> {
        if self.names.iter().any(|n| n.as_bytes() == channel) {
            return Some(None);
        }
        self.patterns
            .iter()
            .find(|p| glob::matches(p.as_bytes(), channel))
            .map(|p| Some(p.clone()))
    }

    fn describe(&self) -> String {
        self.names
            .iter()
            .chain(&self.patterns)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const KEEPALIVE: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub async fn run(common: Common, cfg: TailConfig, out: &Output) -> Result<Code> {
    let redis = common
        .redis
        .ok_or_else(|| error::usage("tail reads Redis: --redis off leaves nothing to follow"))?;
    let (sink, stream) = connect(&redis, &cfg.subscriptions).await.map_err(|e| {
        error::fail(
            Code::Redis,
            format!("redis: cannot subscribe at {}: {e}", redis.shown),
        )
    })?;
    out.info(&format!(
        "subscribed to {} on {}",
        cfg.subscriptions.describe(),
        redis.shown
    ));
    let (tx, rx) = mpsc::channel(cfg.queue.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let link = tokio::spawn(follow(
        redis,
        cfg.subscriptions.clone(),
        sink,
        stream,
        tx,
        dropped.clone(),
        out.clone(),
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let catch_up = cfg.catch_up.map(|since| {
        let (tx, rx) = mpsc::channel(4096);
        let window = Window {
            settings: common.kafka.clone(),
            topic: common.topic.clone(),
            since,
            subs: cfg.subscriptions.clone(),
            template: cfg.channel.clone(),
            fetch: cfg.fetch,
        };
        let stop = stop.clone();
        (
            rx,
            tokio::task::spawn_blocking(move || catchup::read(&window, tx, &stop)),
        )
    });
    let fetcher = if cfg.fetch {
        Some(Fetcher::start(&common.kafka)?)
    } else {
        None
    };
    let result = write(&cfg, catch_up, rx, fetcher.as_ref(), out).await;
    stop.store(true, Ordering::SeqCst);
    link.abort();
    let lost = dropped.load(Ordering::Relaxed);
    if lost > 0 {
        out.warn(&format!(
            "{lost} messages dropped: output could not keep up (see --queue)"
        ));
    }
    result
}

async fn connect(redis: &RedisTarget, subs: &Subscriptions) -> Result<(PubSubSink, PubSubStream)> {
    let pubsub = tokio::time::timeout(CONNECT_TIMEOUT, redis.client.get_async_pubsub())
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {}", show_duration(CONNECT_TIMEOUT)))??;
    let (mut sink, stream) = pubsub.split();
    if !subs.names.is_empty() {
        sink.subscribe(&subs.names).await?;
    }
    if !subs.patterns.is_empty() {
        sink.psubscribe(&subs.patterns).await?;
    }
    Ok((sink, stream))
}

/// Keep the subscription alive for as long as the writer runs.
async fn follow(
    redis: RedisTarget,
    subs: Subscriptions,
    mut sink: PubSubSink,
    mut stream: PubSubStream,
    tx: mpsc::Sender<Incoming>,
    dropped: Arc<AtomicU64>,
    out: Output,
) {
    loop {
        let why = pump(&subs, &mut sink, &mut stream, &tx, &dropped).await;
        let Some(why) = why else { return };
        let lost_at = Instant::now();
        out.warn(&format!(
            "redis: connection to {} lost ({why}); reconnecting",
            redis.shown
        ));
        let mut backoff = Duration::from_millis(100);
        loop {
            tokio::time::sleep(backoff).await;
            match connect(&redis, &subs).await {
                Ok((s, st)) => {
                    (sink, stream) = (s, st);
                    out.warn(&format!(
                        "redis: resubscribed after a gap of {}; messages published in the gap were missed",
                        show_duration(lost_at.elapsed())
                    ));
                    break;
                }
                Err(_) => backoff = (backoff * 2).min(MAX_BACKOFF),
            }
        }
    }
}

/// Move messages to the writer until the link fails (Some(reason)) or the
/// writer is gone (None).
async fn pump(
    subs: &Subscriptions,
    sink: &mut PubSubSink,
    stream: &mut PubSubStream,
    tx: &mpsc::Sender<Incoming>,
    dropped: &AtomicU64,
) -> Option<String> {
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else {
                    return Some("the server closed the connection".to_string());
                };
                let incoming = Incoming {
                    received_at: jiff::Timestamp::now(),
                    channel: msg.get_channel::<Vec<u8>>().unwrap_or_default(),
                    pattern: msg.get_pattern::<Option<Vec<u8>>>().unwrap_or_default(),
                    payload: msg.get_payload_bytes().to_vec(),
                    from_kafka: false,
                    event: None,
                };
                if !subs.first_match(&incoming) {
                    continue;
                }
                match tx.try_send(incoming) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => return None,
                }
            }
            // A subscribed RESP2 connection answers PING with ["pong", ""],
            // not +PONG: any answer proves the link is alive.
            _ = keepalive.tick() => {
                match tokio::time::timeout(PING_TIMEOUT, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Some(e.to_string()),
                    Err(_) => return Some(format!("no PING answer within {}", show_duration(PING_TIMEOUT))),
                }
            }
        }
    }
}

type CatchUp = (
    mpsc::Receiver<Incoming>,
    tokio::task::JoinHandle<Result<Seam>>,
);

/// Print messages until --count, --timeout or Ctrl-C: first the catch-up
/// window from Kafka (if any), then live ones, minus those the window held.
async fn write(
    cfg: &TailConfig,
    catch_up: Option<CatchUp>,
    mut live: mpsc::Receiver<Incoming>,
    fetcher: Option<&Fetcher>,
    out: &Output,
) -> Result<Code> {
    let mut stdout = out.stdout();
    let mut printer = Printer::new(cfg.format, out, cfg.fetch);
    printer.header(&mut stdout)?;
    let mut seen = 0u64;
    if cfg.count == Some(0) {
        return Ok(Code::Success);
    }
    let deadline = cfg.timeout.map(|t| tokio::time::Instant::now() + t);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let (mut window, mut reading) = match catch_up {
        Some((rx, reading)) => (Some(rx), Some(reading)),
        None => (None, None),
    };
    let mut seam: Option<Seam> = None;
    let code = loop {
        let timeout = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let next = async {
            match window.as_mut() {
                Some(rx) => (rx.recv().await, true),
                None => (live.recv().await, false),
            }
        };
        tokio::select! {
            biased;
            _ = &mut ctrl_c => break Code::Interrupted,
            (msg, from_window) = next => {
                let Some(mut msg) = msg else {
                    if !from_window {
                        break Code::Unexpected;
                    }
                    // The window is read: learn the seam, then go live.
                    window = None;
                    if let Some(r) = reading.take() {
                        let found = r.await.map_err(|e| anyhow::anyhow!("catch-up: {e}"))??;
                        if found.unroutable > 0 {
                            out.warn(&format!(
                                "catch-up: {} records had no id/type/source_type headers or fields and were skipped",
                                found.unroutable
                            ));
                        }
                        seam = Some(found);
                    }
                    continue;
                };
                if !from_window && seam.as_ref().is_some_and(|s| s.covers(&msg.payload)) {
                    continue;
                }
                if let (Some(f), None) = (fetcher, &msg.event) {
                    msg.event = Some(match f.fetch(&msg.payload).await {
                        Ok(event) => event,
                        Err(why) => {
                            out.warn(&format!("--fetch: {why}"));
                            Vec::new()
                        }
                    });
                }
                printer.print(&mut stdout, &msg)?;
                seen += 1;
                if cfg.count.is_some_and(|n| seen >= n) {
                    break Code::Success;
                }
                // Flush when nothing else is waiting: each line is seen at
                // once by `tail | jq`, yet bursts cost one write.
                if window.as_ref().map_or(live.is_empty(), |w| w.is_empty()) {
                    stdout.flush()?;
                }
            }
            _ = timeout => {
                break match cfg.count {
                    Some(n) => {
                        out.info(&format!("timeout: {seen} of {n} messages arrived within {}",
                            show_duration(cfg.timeout.unwrap_or_default())));
                        Code::Timeout
                    }
                    None => Code::Success,
                };
            }
        }
    };
    stdout.flush()?;
    Ok(code)
}

struct Printer {
    format: TailFormat,
    /// --fetch: print the full event (json: beside the notification).
    fetch: bool,
    color: bool,
    /// Escape control characters: they must never reach a terminal raw.
    escape: bool,
}

impl Printer {
    fn new(format: TailFormat, out: &Output, fetch: bool) -> Printer {
        Printer {
            format,
            fetch,
            color: out.color_stdout(),
            escape: out.stdout_tty,
        }
    }

    fn header(&self, w: &mut impl Write) -> Result<()> {
        if self.format == TailFormat::Csv {
            let event = if self.fetch { ",event" } else { "" };
            writeln!(w, "received_at,channel,pattern,payload,source{event}")?;
        }
        Ok(())
    }

    fn print(&mut self, w: &mut impl Write, msg: &Incoming) -> Result<()> {
        let time = format!("{:.3}", msg.received_at);
        match self.format {
            TailFormat::Json => {
                serde_json::to_writer(&mut *w, &json_line(&time, msg))?;
                w.write_all(b"\n")?;
            }
            TailFormat::Csv => {
                let pattern = msg.pattern.as_deref().map(lossy).unwrap_or_default();
                let mut fields = vec![
                    time,
                    lossy(&msg.channel),
                    pattern,
                    lossy(&msg.payload),
                    source(msg).to_string(),
                ];
                if self.fetch {
                    fields.push(msg.event.as_deref().map(lossy).unwrap_or_default());
                }
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(&mut *w);
                csv.write_record(fields.iter().map(|f| self.clean(f)))?;
                csv.flush()?;
            }
            TailFormat::Raw => {
                let bytes = self.shown(msg);
                if self.escape {
                    writeln!(w, "{}", self.clean(&lossy(bytes)))?;
                } else {
                    w.write_all(bytes)?;
                    w.write_all(b"\n")?;
                }
            }
            TailFormat::Pretty => {
                let payload = self.clean(&compact(self.shown(msg)));
                let clock = time.get(11..23).unwrap_or(&time);
                let channel = self.clean(&lossy(&msg.channel));
                let tag = if msg.from_kafka { " (kafka)" } else { "" };
                if self.color {
                    writeln!(w, "\x1b[2m{clock}\x1b[0m \x1b[36m{channel}\x1b[0m\x1b[2m{tag}\x1b[0m {payload}")?;
                } else {
                    writeln!(w, "{clock} {channel}{tag} {payload}")?;
                }
            }
        }
        Ok(())
    }

    /// What raw and pretty show: the full event with --fetch, else the payload.
    fn shown<'m>(&self, msg: &'m Incoming) -> &'m [u8] {
        match (&msg.event, self.fetch) {
            (Some(event), true) => event,
            _ => &msg.payload,
        }
    }

    /// Text for output: control characters escaped on a terminal, and always
    /// in the pretty format (which is for people).
    fn clean(&self, text: &str) -> String {
        if self.escape || self.format == TailFormat::Pretty {
            escape_controls(text)
        } else {
            text.to_string()
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Control characters as visible escapes (`\u{1b}`), newlines included.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// A JSON payload on one line; anything else as text.
fn compact(payload: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(v) => v.to_string(),
        Err(_) => lossy(payload),
    }
}

fn source(msg: &Incoming) -> &'static str {
    if msg.from_kafka {
        "kafka"
    } else {
        "redis"
    }
}

/// The `--format json` object: `received_at`, `channel`, `pattern`,
/// `payload`, `source` (`redis`, or `kafka` for --catch-up), and `event` with
/// --fetch. JSON is embedded as JSON, other text as a string, and bytes that
/// are not UTF-8 as base64 (`payload_base64`, `event_base64`).
fn json_line(time: &str, msg: &Incoming) -> serde_json::Value {
    let mut line = json!({
        "received_at": time,
        "channel": lossy(&msg.channel),
        "pattern": msg.pattern.as_deref().map(lossy),
    });
    embed(&mut line, "payload", &msg.payload);
    line["source"] = json!(source(msg));
    if let Some(event) = &msg.event {
        embed(&mut line, "event", event);
    }
    line
}

fn embed(line: &mut serde_json::Value, key: &str, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            line[key] =
                serde_json::from_str::<serde_json::Value>(text).unwrap_or_else(|_| json!(text));
        }
        Err(_) => {
            use base64::Engine as _;
            line[key] = serde_json::Value::Null;
            line[format!("{key}_base64")] =
                json!(base64::engine::general_purpose::STANDARD.encode(bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(channel: &str, pattern: Option<&str>) -> Incoming {
        Incoming {
            received_at: jiff::Timestamp::UNIX_EPOCH,
            channel: channel.as_bytes().to_vec(),
            pattern: pattern.map(|p| p.as_bytes().to_vec()),
            payload: b"{}".to_vec(),
            from_kafka: false,
            event: None,
        }
    }

    #[test]
    fn overlapping_subscriptions_print_once() {
        let subs = Subscriptions::new(
            &[
                "events:*".into(),
                "events:repo:*".into(),
                "events:repo:a".into(),
            ],
            false,
        );
        assert_eq!(subs.names, ["events:repo:a"]);
        assert!(subs.first_match(&msg("events:repo:a", None)));
        assert!(!subs.first_match(&msg("events:repo:a", Some("events:*"))));
        assert!(!subs.first_match(&msg("events:repo:a", Some("events:repo:*"))));
        assert!(subs.first_match(&msg("events:repo:b", Some("events:*"))));
        assert!(!subs.first_match(&msg("events:repo:b", Some("events:repo:*"))));
        let literal = Subscriptions::new(&["a[1]".into()], true);
        assert_eq!(literal.names, ["a[1]"]);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
    }

    #[test]
    fn json_lines_keep_json_and_encode_binary() {
        let mut m = msg("c", Some("*"));
        m.payload = br#"{"a":1}"#.to_vec();
        assert_eq!(json_line("t", &m)["payload"], json!({"a":1}));
        m.payload = b"plain".to_vec();
        assert_eq!(json_line("t", &m)["payload"], "plain");
        m.payload = vec![0xff, 0x00];
        let line = json_line("t", &m);
        assert_eq!(line["payload_base64"], "/wA=");
        assert_eq!(line["pattern"], "*");
    }
}
