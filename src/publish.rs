//! `dualstream publish`: read events, send each to Kafka with many in flight,
//! notify Redis for each acknowledged one, and account for every event until
//! it ends acknowledged, failed, invalid or unsent. The exit code comes from
//! these counts only.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use base64::Engine as _;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use rdkafka::producer::{FutureRecord, Producer as _};
use serde_json::json;
use tokio::sync::mpsc;

use crate::cli::SummaryFormat;
use crate::config::{show_duration, Common, OnInvalid, PublishConfig};
use crate::error::{self, Code};
use crate::event::{Event, Notification};
use crate::input::{self, Chunk, Item, Origin};
use crate::kafka::{self, Producer};
use crate::output::Output;
use crate::redis::{Note, Notifier, NotifyStats};

/// Invalid lines shown one by one before the rest are only counted.
const SHOWN_INVALID: u64 = 10;
/// Failed lines listed in the final error.
const SHOWN_FAILED: usize = 10;

pub async fn run(common: Common, cfg: PublishConfig, out: &Output) -> Result<Code> {
    let readers = input::open_all(&cfg.sources).map_err(|e| error::usage(format!("{e:#}")))?;
    let total_size = cfg.sources.iter().map(|s| s.size).sum::<Option<u64>>();
    let (tx, rx) = mpsc::channel::<Chunk>(8);
    let start_reading = |readers, tx| {
        input::spawn_reader(
            cfg.sources.clone(),
            readers,
            cfg.fields.clone(),
            cfg.max_line_bytes,
            tx,
        );
    };
    if cfg.dry_run {
        start_reading(readers, tx);
        return dry_run(&common, &cfg, rx, out).await;
    }
    let mut dead_letters = match &cfg.on_invalid {
        OnInvalid::DeadLetter(path) => {
            Some(BufWriter::new(File::create(path).map_err(|e| {
                error::usage(format!("dead-letter file {}: {e}", path.display()))
            })?))
        }
        _ => None,
    };

    let producer = kafka::producer(&common.kafka, cfg.timeout, cfg.max_in_flight, false)?;
    if let Some(partitions) = cfg.create_topic {
        kafka::create_topic(&common.kafka, &common.topic, partitions, cfg.timeout).await?;
    }
    let check = producer.clone();
    let (brokers, topic, timeout) = (
        common.kafka.brokers.clone(),
        common.topic.clone(),
        cfg.timeout,
    );
    tokio::task::spawn_blocking(move || {
        kafka::check_topic(check.client(), &brokers, &topic, timeout)
    })
    .await
    .context("metadata check")??;

    let notifier = common.redis.map(|r| {
        let out = out.clone();
        Notifier::spawn(r.client, r.shown, move |m| out.warn(m))
    });
    start_reading(readers, tx);

    let mut run = Run {
        producer,
        topic: common.topic.clone(),
        cfg: &cfg,
        out,
        inflight: FuturesUnordered::new(),
        inflight_at: BTreeSet::new(),
        notes: Vec::with_capacity(cfg.redis_batch),
        notifier,
        dead_letters: dead_letters.as_mut(),
        progress: out.progress(total_size, cfg.progress, crate::output::Unit::Bytes),
        stats: Stats::new(),
        stop: None,
        last_delivery: Instant::now(),
    };
    run.pump(rx).await;
    run.drain().await;
    run.finish().await
}

/// Why a run stopped before the end of its input.
#[derive(Debug)]
enum Stop {
    Interrupted,
    Invalid(String),
    Kafka(String),
    Input(String),
}

/// What is known about an event while Kafka has it.
struct Pending {
    at: Origin,
    id: String,
    kind: String,
    source_id: String,
    channel: String,
    sent: Instant,
}

type Delivery = (
    Pending,
    Result<OwnedDeliveryResult, futures::channel::oneshot::Canceled>,
);

struct Stats {
    started: Instant,
    read: u64,
    bytes: u64,
    invalid: u64,
    acknowledged: u64,
    failed: u64,
    failures: BTreeMap<String, u64>,
    failed_at: Vec<Origin>,
    /// The earliest input position that is not known to be in Kafka.
    resume: Option<Origin>,
    /// The last input position taken from the reader.
    last_taken: Option<Origin>,
    latency: hdrhistogram::Histogram<u64>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            started: Instant::now(),
            read: 0,
            bytes: 0,
            invalid: 0,
            acknowledged: 0,
            failed: 0,
            failures: BTreeMap::new(),
            failed_at: Vec::new(),
            resume: None,
            last_taken: None,
            // Microseconds, 1µs to 1h, 3 significant digits.
            latency: hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap_or_else(
                |_| hdrhistogram::Histogram::new(3).unwrap_or_else(|_| unreachable!()),
            ),
        }
    }

    fn not_in_kafka(&mut self, at: Origin) {
        if self.resume.is_none_or(|r| at < r) {
            self.resume = Some(at);
        }
    }

    fn fail(&mut self, at: Origin, reason: String) {
        self.failed += 1;
        *self.failures.entry(reason).or_default() += 1;
        self.failed_at.push(at);
        self.not_in_kafka(at);
    }
}

struct Run<'a> {
    producer: Producer,
    topic: String,
    cfg: &'a PublishConfig,
    out: &'a Output,
    inflight: FuturesUnordered<BoxFuture<'static, Delivery>>,
    /// Input positions of the events in flight, to report them if they never
    /// get a delivery report.
    inflight_at: BTreeSet<Origin>,
    notes: Vec<Note>,
    notifier: Option<Notifier>,
    dead_letters: Option<&'a mut BufWriter<File>>,
    progress: crate::output::Progress,
    stats: Stats,
    stop: Option<Stop>,
    last_delivery: Instant,
}

// One value per loop turn, on the stack: not worth boxing the delivery.
#[allow(clippy::large_enum_variant)]
enum Next {
    Interrupt,
    Delivered(Delivery),
    Input(Option<Chunk>),
    Tick,
}

impl Run<'_> {
    /// Move input into Kafka until the input ends or something stops the run.
    async fn pump(&mut self, mut rx: mpsc::Receiver<Chunk>) {
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut tick = tokio::time::interval(Duration::from_millis(25));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while self.stop.is_none() {
            let room = self.inflight.len() < self.cfg.max_in_flight;
            let next = tokio::select! {
                biased;
                _ = &mut ctrl_c => Next::Interrupt,
                Some(d) = self.inflight.next(), if !self.inflight.is_empty() => Next::Delivered(d),
                chunk = rx.recv(), if room => Next::Input(chunk),
                _ = tick.tick() => Next::Tick,
            };
            match next {
                Next::Interrupt => self.stop = Some(Stop::Interrupted),
                Next::Delivered(d) => {
                    // Take every report that is already in, then notify:
                    // at high rates that makes big pipelines, at low rates
                    // a notification leaves as soon as its ack is in.
                    self.delivered(d);
                    while let Some(Some(d)) = self.inflight.next().now_or_never() {
                        self.delivered(d);
                    }
                    self.flush_notes();
                }
                Next::Input(None) => break,
                Next::Input(Some(chunk)) => self.take(chunk).await,
                Next::Tick => self.tick(),
            }
        }
        if self.stop.is_some() {
            // Whatever the reader had read past the stop was never sent.
            if let Ok(chunk) = rx.try_recv() {
                if let Some(at) = chunk.iter().find_map(origin) {
                    self.stats.not_in_kafka(at);
                }
            }
        }
    }

    async fn take(&mut self, chunk: Chunk) {
        for item in chunk {
            if self.stop.is_some() {
                if let Some(at) = origin(&item) {
                    self.stats.not_in_kafka(at);
                }
                return;
            }
            match item {
                Item::Event { at, event, bytes } => {
                    self.account_read(at, bytes);
                    self.send(at, event).await;
                }
                Item::Invalid {
                    at,
                    column,
                    reason,
                    raw,
                    bytes,
                } => {
                    self.account_read(at, bytes);
                    self.invalid(at, column, &reason, &raw);
                }
                Item::Broken(message) => {
                    self.stop = Some(Stop::Input(message));
                }
            }
        }
    }

    fn account_read(&mut self, at: Origin, bytes: u64) {
        self.stats.read += 1;
        self.stats.bytes += bytes;
        self.stats.last_taken = Some(at);
        self.progress.advance(1, bytes);
    }

    fn place(&self, at: Origin) -> String {
        format!("{}:{}", self.cfg.sources[at.source as usize].name, at.line)
    }

    fn invalid(&mut self, at: Origin, column: Option<usize>, reason: &str, raw: &[u8]) {
        self.stats.invalid += 1;
        let place = match column {
            Some(c) => format!("{}:{c}", self.place(at)),
            None => self.place(at),
        };
        match &self.cfg.on_invalid {
            OnInvalid::Fail => {
                self.stats.not_in_kafka(at);
                self.stop = Some(Stop::Invalid(format!(
                    "{place}: {reason} (use --on-invalid skip or dead-letter=FILE to continue past bad lines)"
                )));
            }
            OnInvalid::Skip | OnInvalid::DeadLetter(_) => {
                if self.stats.invalid <= SHOWN_INVALID {
                    self.out.warn(&format!("{place}: {reason} (skipped)"));
                } else if self.stats.invalid == SHOWN_INVALID + 1 {
                    self.out
                        .warn("more invalid lines; counted in the summary, not shown");
                }
                if let Some(w) = self.dead_letters.as_mut() {
                    let source = &self.cfg.sources[at.source as usize].name;
                    let written = serde_json::to_writer(
                        &mut **w,
                        &dead_letter(source, at.line, column, reason, raw),
                    )
                    .map_err(std::io::Error::from)
                    .and_then(|()| w.write_all(b"\n"));
                    if let Err(e) = written {
                        self.stop = Some(Stop::Input(format!("writing dead letters: {e}")));
                    }
                }
            }
        }
    }

    /// Hand one event to librdkafka. A full queue waits for deliveries, up to
    /// the timeout; an event librdkafka refuses outright is counted as failed.
    async fn send(&mut self, at: Origin, event: Event) {
        let channel = self.cfg.channel.render(&event, &self.topic);
        let topic = self.topic.clone();
        let mut record = FutureRecord::to(&topic)
            .key(event.source_id.as_bytes())
            .payload(&event.value);
        if self.cfg.headers {
            record = record.headers(kafka::event_headers(
                &event.id,
                &event.kind,
                &event.source_type,
            ));
        }
        if let Some(ts) = event.timestamp {
            record = record.timestamp(ts);
        }
        let waited_since = Instant::now();
        let future = loop {
            match self.producer.send_result(record) {
                Ok(future) => break future,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    if waited_since.elapsed() > self.cfg.timeout {
                        self.stats
                            .fail(at, "librdkafka queue stayed full".to_string());
                        self.stop = Some(Stop::Kafka(format!(
                            "kafka took no events for {}",
                            show_duration(self.cfg.timeout)
                        )));
                        return;
                    }
                    match tokio::time::timeout(Duration::from_millis(100), self.inflight.next())
                        .await
                    {
                        Ok(Some(d)) => self.delivered(d),
                        _ => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
                Err((e, _)) => {
                    self.stats.fail(at, format!("not queued: {e}"));
                    return;
                }
            }
        };
        let pending = Pending {
            at,
            id: event.id,
            kind: event.kind,
            source_id: event.source_id,
            channel,
            sent: Instant::now(),
        };
        self.inflight_at.insert(at);
        self.inflight
            .push(future.map(move |r| (pending, r)).boxed());
    }

    fn delivered(&mut self, (p, result): Delivery) {
        self.last_delivery = Instant::now();
        self.inflight_at.remove(&p.at);
        match result {
            Ok(Ok(delivery)) => {
                self.stats.acknowledged += 1;
                let micros = p.sent.elapsed().as_micros().clamp(1, 3_600_000_000) as u64;
                let _ = self.stats.latency.record(micros);
                if self.notifier.is_some() {
                    let note = Notification {
                        id: &p.id,
                        kind: &p.kind,
                        source_id: &p.source_id,
                        topic: &self.topic,
                        partition: delivery.partition,
                        offset: delivery.offset,
                    };
                    self.notes.push((p.channel, note.to_json()));
                    if self.notes.len() >= self.cfg.redis_batch {
                        self.flush_notes();
                    }
                }
            }
            Ok(Err((e, _))) => {
                let stops = stops_the_run(&e);
                self.stats.fail(p.at, e.to_string());
                if let Some((code, reason)) = self.producer.client().fatal_error() {
                    self.stop.get_or_insert(Stop::Kafka(format!(
                        "fatal producer error: {code}: {reason}"
                    )));
                } else if stops {
                    self.stop.get_or_insert(Stop::Kafka(e.to_string()));
                }
            }
            Err(_canceled) => self
                .stats
                .fail(p.at, "producer closed before delivery".to_string()),
        }
    }

    fn tick(&mut self) {
        self.flush_notes();
        self.progress
            .message(format!("{} acknowledged", self.stats.acknowledged));
        // librdkafka fails deliveries after message.timeout.ms; this is the
        // guard for when even that does not happen.
        if !self.inflight.is_empty()
            && self.last_delivery.elapsed() > self.cfg.timeout + Duration::from_secs(5)
        {
            self.stop = Some(Stop::Kafka(format!(
                "no delivery report for {}",
                show_duration(self.last_delivery.elapsed())
            )));
        }
    }

    /// Notifications leave in the order deliveries were reported, which is
    /// Kafka order within a partition: librdkafka reports one partition's
    /// deliveries in order, and the futures complete in the order they are woken.
    fn flush_notes(&mut self) {
        if self.notes.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.notes, Vec::with_capacity(self.cfg.redis_batch));
        if let Some(n) = self.notifier.as_mut() {
            n.send(batch);
        }
    }

    /// Wait for what is in flight (bounded by the timeout; a second Ctrl-C
    /// gives up at once), counting anything without a report as failed.
    async fn drain(&mut self) {
        let deadline = tokio::time::Instant::now() + self.cfg.timeout + Duration::from_secs(5);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let interrupted = matches!(self.stop, Some(Stop::Interrupted));
        while !self.inflight.is_empty() {
            tokio::select! {
                biased;
                _ = &mut ctrl_c, if interrupted => break,
                _ = tokio::time::sleep_until(deadline) => break,
                Some(d) = self.inflight.next() => self.delivered(d),
            }
        }
        // Whatever is still in flight got no report: as far as we know it is
        // not in Kafka.
        self.inflight = FuturesUnordered::new();
        let unreported = std::mem::take(&mut self.inflight_at);
        if !unreported.is_empty() {
            self.stop.get_or_insert(Stop::Kafka(
                "no delivery report before giving up".to_string(),
            ));
        }
        for at in unreported {
            self.stats.fail(at, "no delivery report".to_string());
        }
        let _ = self.producer.flush(Duration::from_millis(500));
        self.flush_notes();
    }

    async fn finish(mut self) -> Result<Code> {
        self.progress.finish();
        let redis = match self.notifier.take() {
            Some(n) => Some(
                n.finish(self.cfg.timeout.min(Duration::from_secs(10)))
                    .await,
            ),
            None => None,
        };
        if let Some(w) = self.dead_letters.as_mut() {
            w.flush().context("writing dead letters")?;
        }
        let summary = self.summary(redis.as_ref());
        match self.out.summary_format(self.cfg.summary) {
            SummaryFormat::Json => self.out.json_stderr(&summary),
            SummaryFormat::Table => self.print_table(&summary),
            SummaryFormat::Auto | SummaryFormat::None => {}
        }
        if let Some(r) = &redis {
            if r.failed > 0 {
                self.out.warn(&format!(
                    "{} notifications not sent to Redis ({}); the events are in Kafka (replay --to-redis can re-send them)",
                    r.failed,
                    r.first_error.as_deref().unwrap_or("unknown error")
                ));
            }
        }
        let resume = self.resume_text();
        match self.stop.take() {
            Some(Stop::Interrupted) => {
                self.out.info(&format!(
                    "interrupted: {} events acknowledged{resume}",
                    self.stats.acknowledged
                ));
                Ok(Code::Interrupted)
            }
            Some(Stop::Input(message)) => Err(anyhow::anyhow!("{message}{resume}")),
            stop if self.stats.failed > 0 || matches!(stop, Some(Stop::Kafka(_))) => {
                let why = match stop {
                    Some(Stop::Kafka(why)) => why,
                    _ => "delivery failed".to_string(),
                };
                Err(error::kafka(format!(
                    "kafka: {} of {} events not acknowledged ({why}); {} acknowledged{}{resume}",
                    self.stats.failed + self.unsent(),
                    self.stats.read - self.stats.invalid,
                    self.stats.acknowledged,
                    self.failed_lines()
                )))
            }
            Some(Stop::Invalid(message)) => Err(error::fail(Code::InvalidInput, message)),
            _ => Ok(Code::Success),
        }
    }

    /// Valid events read but never handed to Kafka (the run stopped first).
    fn unsent(&self) -> u64 {
        (self.stats.read - self.stats.invalid)
            .saturating_sub(self.stats.acknowledged + self.stats.failed)
    }

    fn resume_text(&self) -> String {
        match (self.stats.resume, self.stats.last_taken) {
            (Some(at), _) => format!("; resume from {}", self.place(at)),
            (None, Some(at)) if self.stop.is_some() => format!("; resume after {}", self.place(at)),
            _ => String::new(),
        }
    }

    fn failed_lines(&self) -> String {
        let mut lines = self.stats.failed_at.clone();
        if lines.is_empty() {
            return String::new();
        }
        lines.sort();
        let shown: Vec<String> = lines
            .iter()
            .take(SHOWN_FAILED)
            .map(|&at| self.place(at))
            .collect();
        let more = lines.len().saturating_sub(SHOWN_FAILED);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!("; failed lines: {}{more}", shown.join(", "))
    }

    fn summary(&self, redis: Option<&NotifyStats>) -> serde_json::Value {
        let s = &self.stats;
        let elapsed = s.started.elapsed().as_secs_f64();
        let rate = |n: f64| if elapsed > 0.0 { n / elapsed } else { 0.0 };
        let quantile = |q: f64| {
            if s.latency.is_empty() {
                None
            } else {
                Some(s.latency.value_at_quantile(q) as f64 / 1000.0)
            }
        };
        json!({
            "topic": self.topic,
            "read": s.read,
            "invalid": s.invalid,
            "acknowledged": s.acknowledged,
            "failed": s.failed,
            "unsent": self.unsent(),
            "notified": redis.map(|r| r.notified),
            "redis_failures": redis.map(|r| r.failed),
            "redis": if redis.is_some() { "on" } else { "off" },
            "elapsed_s": round3(elapsed),
            "events_per_s": round3(rate(s.acknowledged as f64)),
            "mb_per_s": round3(rate(s.bytes as f64 / 1e6)),
            "ack_latency_ms": { "p50": quantile(0.5).map(round3), "p99": quantile(0.99).map(round3) },
            "failures": s.failures,
            "resume_from": s.resume.map(|at| self.place(at)),
        })
    }

    fn print_table(&self, summary: &serde_json::Value) {
        let n = |k: &str| summary[k].to_string().replace("null", "-");
        let ms = |q: &str| match summary["ack_latency_ms"][q].as_f64() {
            Some(v) => format!("{v:.1} ms"),
            None => "-".to_string(),
        };
        let mut rows = vec![
            ("read", n("read")),
            ("invalid", n("invalid")),
            ("acknowledged by Kafka", n("acknowledged")),
            ("failed", n("failed")),
        ];
        if summary["unsent"].as_u64() > Some(0) {
            rows.push(("not sent", n("unsent")));
        }
        if summary["redis"] == "on" {
            rows.push(("notified on Redis", n("notified")));
            rows.push(("Redis failures", n("redis_failures")));
        }
        rows.extend([
            (
                "elapsed",
                format!("{:.2} s", summary["elapsed_s"].as_f64().unwrap_or(0.0)),
            ),
            (
                "events/s",
                format!("{:.0}", summary["events_per_s"].as_f64().unwrap_or(0.0)),
            ),
            (
                "MB/s",
                format!("{:.2}", summary["mb_per_s"].as_f64().unwrap_or(0.0)),
            ),
            ("ack latency p50", ms("p50")),
            ("ack latency p99", ms("p99")),
        ]);
        self.out.table(&format!("publish → {}", self.topic), &rows);
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn origin(item: &Item) -> Option<Origin> {
    match item {
        Item::Event { at, .. } | Item::Invalid { at, .. } => Some(*at),
        Item::Broken(_) => None,
    }
}

/// Failures that will hit every following event too (broker gone, topic gone,
/// producer fenced): stop reading rather than fail the rest one by one.
fn stops_the_run(e: &KafkaError) -> bool {
    use RDKafkaErrorCode::*;
    !matches!(
        e.rdkafka_error_code(),
        Some(
            MessageSizeTooLarge
                | MessageBatchTooLarge
                | InvalidMessage
                | InvalidMessageSize
                | InvalidRecord
                | InvalidTimestamp
        )
    )
}

fn dead_letter(
    source: &str,
    line: u64,
    column: Option<usize>,
    reason: &str,
    raw: &[u8],
) -> serde_json::Value {
    let mut v = json!({ "source": source, "line": line, "column": column, "error": reason });
    match std::str::from_utf8(raw) {
        Ok(text) => v["raw"] = json!(text),
        Err(_) => v["raw_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(raw)),
    }
    v
}

/// Validate and print what would be sent, one JSON object a line, without
/// connecting to anything.
async fn dry_run(
    common: &Common,
    cfg: &PublishConfig,
    mut rx: mpsc::Receiver<Chunk>,
    out: &Output,
) -> Result<Code> {
    let mut stdout = out.stdout();
    let (mut valid, mut invalid) = (0u64, 0u64);
    while let Some(chunk) = rx.recv().await {
        for item in chunk {
            match item {
                Item::Event { at, event, .. } => {
                    valid += 1;
                    let value: Box<serde_json::value::RawValue> =
                        serde_json::from_slice(&event.value)
                            .context("re-reading a parsed event")?;
                    let line = json!({
                        "source": cfg.sources[at.source as usize].name,
                        "line": at.line,
                        "topic": common.topic,
                        "key": event.source_id,
                        "headers": { "id": event.id, "type": event.kind, "source_type": event.source_type },
                        "timestamp": event.timestamp,
                        "channel": common.redis.as_ref().map(|_| cfg.channel.render(&event, &common.topic)),
                        "notification": common.redis.as_ref().map(|_| json!({
                            "id": event.id, "type": event.kind, "source_id": event.source_id, "topic": common.topic,
                        })),
                        "value": value,
                    });
                    serde_json::to_writer(&mut stdout, &line)?;
                    stdout.write_all(b"\n")?;
                }
                Item::Invalid {
                    at, column, reason, ..
                } => {
                    invalid += 1;
                    let name = &cfg.sources[at.source as usize].name;
                    let place = match column {
                        Some(c) => format!("{name}:{}:{c}", at.line),
                        None => format!("{name}:{}", at.line),
                    };
                    if cfg.on_invalid == OnInvalid::Fail {
                        stdout.flush()?;
                        return Err(error::fail(
                            Code::InvalidInput,
                            format!("{place}: {reason}"),
                        ));
                    }
                    out.warn(&format!("{place}: {reason}"));
                }
                Item::Broken(message) => return Err(anyhow::anyhow!(message)),
            }
        }
    }
    stdout.flush()?;
    out.info(&format!(
        "dry run: {valid} valid events, {invalid} invalid; nothing was sent"
    ));
    Ok(Code::Success)
}
