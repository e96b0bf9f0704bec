//! `dualstream publish`: read events, send each to Kafka with many in flight,
//! notify Redis for each acknowledged one, and account for every event until
//! it ends acknowledged, failed, invalid or unsent. The exit code comes from
//! these counts only.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::sync::mpsc;

use crate::config::{Common, OnInvalid, PublishConfig};
use crate::duration::show_duration;
use crate::error::{self, Code};
use crate::event::{Drafter, Event, NoteDraft};
use crate::input::{self, Chunk, Entry, Origin};
use crate::kafka::produce::{Delivery, Ledger, Outcome, Record, Refused, Sender};
use crate::kafka::{self, admin, record, KafkaSettings};
use crate::output::records;
use crate::output::summary::{Ending, Note, PublishCounts, Summary};
use crate::output::{Output, Unit};
use crate::pubsub::{Mode, Notes, Notifier, NotifyStats};
use crate::shutdown::Shutdown;

mod dry_run;

/// Why deliveries failed, as the ledger counted them, most frequent first:
/// the broker's reason belongs in the error line, not only in the JSON.
fn failure_reasons(ledger: &Ledger) -> String {
    let mut reasons: Vec<(&String, &u64)> = ledger.failures.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1));
    let shown: Vec<String> = reasons
        .iter()
        .take(3)
        .map(|(reason, n)| format!("{reason}: {n}"))
        .collect();
    if shown.is_empty() {
        return "delivery failed".to_string();
    }
    shown.join("; ")
}

/// Invalid lines shown one by one before the rest are only counted.
const SHOWN_INVALID: u64 = 10;
/// Failed lines listed in the final error.
const SHOWN_FAILED: usize = 10;

pub async fn run(common: Common, cfg: PublishConfig, out: &Output, shutdown: &Shutdown) -> Ending {
    match publish(common, &cfg, out, shutdown).await {
        Ok(ending) => ending,
        Err(e) => Ending::bare(Err(e)),
    }
}

async fn publish(
    common: Common,
    cfg: &PublishConfig,
    out: &Output,
    shutdown: &Shutdown,
) -> Result<Ending> {
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
        return Ok(Ending::bare(dry_run::dry_run(&common, cfg, rx, out).await));
    }
    let dead_letters = match &cfg.on_invalid {
        OnInvalid::DeadLetter(path) => Some(BufWriter::new(open_dead_letters(path)?)),
        _ => None,
    };

    let producer = kafka::config::producer(&common.kafka, cfg.timeout, cfg.max_in_flight, false)?;
    let connecting = out.connecting(&common.kafka.shown());
    if let Some(spec) = &cfg.create_topic {
        let created = shutdown
            .or_interrupted(admin::create_topic(
                &common.kafka,
                &common.topic,
                spec,
                cfg.timeout,
            ))
            .await;
        drop(connecting);
        out.created(&common.topic, &created?, false);
    }
    let connecting = out.connecting(&common.kafka.shown());
    let check = producer.clone();
    let (settings, topic, timeout) = (common.kafka.clone(), common.topic.clone(), cfg.timeout);
    let checked = shutdown
        .or_interrupted(async move {
            tokio::task::spawn_blocking(move || {
                admin::producer_topic(&check, &settings, &topic, timeout)
            })
            .await
            .context("metadata check")?
        })
        .await;
    drop(connecting);
    checked?;
    // The largest record the broker takes and how far an event's own time
    // may be from the broker's clock, asked once the cluster answered.
    let (topic_max, times) = shutdown
        .or_interrupted(async {
            let budget = cfg.timeout.min(Duration::from_secs(5));
            Ok(admin::record_limits(&common.kafka, &common.topic, budget).await)
        })
        .await?;
    let max_record = RecordLimit::new(topic_max, kafka::config::producer_limits(&common.kafka));
    let times = times.map(|(before, after)| TimeWindow { before, after });
    // Under a topic limit below librdkafka's batch size, a batch of small
    // events would be refused whole: a producer whose batches fit.
    let producer = match topic_max {
        Some(max) if kafka::config::bounds_batches(&common.kafka, max) => {
            kafka::config::producer_within(&common.kafka, cfg.timeout, cfg.max_in_flight, max)?
        }
        _ => producer,
    };
    let lowered = common.kafka.lowered_durability();
    if !lowered.is_empty() {
        out.warn(&format!(
            "-X {}: the critical path is weaker than acks=all with idempotence (acknowledged events can be lost or duplicated)",
            lowered.join(" ")
        ));
    }

    let notifier = common
        .redis
        .as_ref()
        .map(|r| Notifier::spawn(r, Mode::BestEffort, None, out.warner()));
    let unnotified = Arc::new(Mutex::new(Unnotified::default()));
    if let Some(n) = &notifier {
        let unnotified = unnotified.clone();
        n.on_lost(Box::new(move |batch| {
            if let Ok(mut u) = unnotified.lock() {
                u.add(batch);
            }
        }));
    }
    start_reading(readers, tx);

    let mut run = Run {
        sender: {
            let sender = Sender::new(producer, &common.topic, cfg.max_in_flight, cfg.timeout);
            match max_record.report_limit {
                Some(limit) => sender.too_large_is_input(limit),
                None => sender,
            }
        },
        max_record,
        times,
        book: Book {
            drafter: Drafter::new(&common.topic),
            cfg,
            out,
            notes: Notes::with_capacity(cfg.redis_batch),
            notifier,
            dead_letters,
            progress: out.progress(total_size, cfg.progress, Unit::Bytes, false),
            stats: Stats::new(),
            stop: None,
            unnotified,
        },
        lowered,
        kafka: &common.kafka,
    };
    run.pump(rx, shutdown).await;
    run.drain(shutdown).await;
    run.finish().await
}

/// The largest record the broker takes: the smaller of the topic's
/// `max.message.bytes` and the producer's `message.max.bytes`, learned at
/// start. An event over it can never be published, by any retry: it is
/// invalid input and follows `--on-invalid`.
struct RecordLimit {
    /// The limit checked before sending, and what it is, for the reason.
    max: Option<(u64, String)>,
    /// The smaller of the two, compressed or not: a record over it that the
    /// broker refuses as too large was refused for itself, not its batch.
    report_limit: Option<u64>,
}

impl RecordLimit {
    /// `producer`: its `message.max.bytes`, and whether it compresses (then
    /// the broker checks the smaller compressed batch against the topic's
    /// limit, and only librdkafka's own check is known beforehand).
    fn new(topic: Option<u64>, producer: (Option<u64>, bool)) -> RecordLimit {
        let (producer, compressed) = producer;
        let report_limit = topic.into_iter().chain(producer).min();
        let topic = topic.filter(|_| !compressed);
        let max = match (topic, producer) {
            (Some(t), Some(p)) if t < p => Some((t, format!("the topic's max.message.bytes {t}"))),
            (_, Some(p)) => Some((p, format!("the producer's message.max.bytes {p}"))),
            (Some(t), None) => Some((t, format!("the topic's max.message.bytes {t}"))),
            (None, None) => None,
        };
        RecordLimit { max, report_limit }
    }

    /// Why the broker would refuse a record of `size` bytes
    /// ([`record::wire_size`]), if it would.
    fn refuses(&self, size: u64) -> Option<String> {
        let (max, what) = self.max.as_ref()?;
        (size > *max).then(|| {
            format!(
                "the event is {size} bytes as a Kafka record, more than the broker takes ({what})"
            )
        })
    }
}

/// How far from the broker's clock a record's own timestamp may be (the
/// topic's `message.timestamp.before.max.ms` and `…after.max.ms`, ms): the
/// broker refuses a record outside, and with it the others of its batch.
/// An event whose time is outside is invalid input (its content decides
/// it) and follows `--on-invalid`; checked against this machine's clock,
/// so a broker whose clock is far off can still refuse.
struct TimeWindow {
    before: Option<i64>,
    after: Option<i64>,
}

impl TimeWindow {
    /// Why the broker would refuse an event of time `ms`, now being `now`.
    fn refuses(&self, ms: i64, now: i64) -> Option<String> {
        let shown = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
        };
        if let Some(after) = self.after.filter(|&a| ms > now.saturating_add(a)) {
            return Some(format!(
                "the event's time {} is more than {} ahead of now (the topic's message.timestamp.after.max.ms): the broker refuses it",
                shown(ms),
                show_duration(Duration::from_millis(after.max(0) as u64))
            ));
        }
        if let Some(before) = self.before.filter(|&b| ms < now.saturating_sub(b)) {
            return Some(format!(
                "the event's time {} is more than {} before now (the topic's message.timestamp.before.max.ms): the broker refuses it",
                shown(ms),
                show_duration(Duration::from_millis(before.max(0) as u64))
            ));
        }
        None
    }
}

/// Why a run stopped before the end of its input.
#[derive(Debug)]
enum Halt {
    Interrupted,
    Invalid(String),
    Kafka(String),
    /// Kafka stopped taking or acknowledging records and said nothing of
    /// why (librdkafka's queue stayed full, no delivery report came): the
    /// cluster is asked at the end.
    Stalled(String),
    Input(String),
}

/// What is known about an event while Kafka has it.
struct Pending {
    at: Origin,
    /// Its notification, but for the place Kafka gives it; `None` with
    /// `--redis off`.
    note: Option<NoteDraft>,
}

/// What publish counts beside the delivery ledger: input positions.
struct Stats {
    started: Instant,
    read: u64,
    bytes: u64,
    invalid: u64,
    /// Input positions of events that did not end acknowledged.
    failed_at: Vec<Origin>,
    /// The earliest input position that is not known to be in Kafka.
    resume: Option<Origin>,
    /// The last input position taken from the reader.
    last_taken: Option<Origin>,
    /// Lines and records left out by --skip-lines.
    skipped: u64,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            started: Instant::now(),
            read: 0,
            bytes: 0,
            invalid: 0,
            failed_at: Vec::new(),
            resume: None,
            last_taken: None,
            skipped: 0,
        }
    }

    fn not_in_kafka(&mut self, at: Origin) {
        if self.resume.is_none_or(|r| at < r) {
            self.resume = Some(at);
        }
    }

    fn failed(&mut self, at: Origin) {
        self.failed_at.push(at);
        self.not_in_kafka(at);
    }
}

struct Run<'a> {
    sender: Sender<Pending>,
    max_record: RecordLimit,
    /// The topic's window for events' own times; `None` when the broker
    /// sets the time, or did not say.
    times: Option<TimeWindow>,
    book: Book<'a>,
    lowered: Vec<String>,
    /// To ask the cluster why acknowledgements stopped.
    kafka: &'a KafkaSettings,
}

/// Everything but the sender: what the deliveries are booked into.
struct Book<'a> {
    /// Writes each event's notification (but for its place); holds the topic.
    drafter: Drafter,
    cfg: &'a PublishConfig,
    out: &'a Output,
    notes: Notes,
    notifier: Option<Notifier>,
    dead_letters: Option<BufWriter<File>>,
    progress: crate::output::Progress,
    stats: Stats,
    stop: Option<Halt>,
    /// Where the notifications that failed are in Kafka.
    unnotified: Arc<Mutex<Unnotified>>,
}

/// The Kafka coordinates of the notifications Redis did not take: per
/// partition the lowest and highest offset, and how many were placed.
#[derive(Default)]
struct Unnotified {
    spans: BTreeMap<i32, (i64, i64)>,
    placed: u64,
}

impl Unnotified {
    /// Place each notification of `batch` by the coordinates it carries.
    fn add(&mut self, batch: &Notes) {
        #[derive(serde::Deserialize)]
        struct At {
            partition: i32,
            offset: i64,
        }
        for (_, note) in batch.iter() {
            if let Ok(At { partition, offset }) = serde_json::from_slice::<At>(note) {
                let span = self.spans.entry(partition).or_insert((offset, offset));
                *span = (span.0.min(offset), span.1.max(offset));
                self.placed += 1;
            }
        }
    }

    /// `(partition, from, to)`, `to` exclusive: what `replay --to-redis`
    /// re-sends.
    fn ranges(&self) -> Vec<(i32, i64, i64)> {
        self.spans
            .iter()
            .map(|(&p, &(low, high))| (p, low, high.saturating_add(1)))
            .collect()
    }
}

/// Repair commands listed one by one; the rest are in the JSON summary.
const SHOWN_REPAIRS: usize = 16;

/// A word for a POSIX shell: as it is when it is plain, else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:/@%+=,-".contains(&b));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

enum Next {
    Interrupt,
    Delivered(Delivery<Pending>),
    Input(Option<Chunk>),
    Tick,
}

impl Run<'_> {
    /// Move input into Kafka until the input ends or something stops the run.
    async fn pump(&mut self, mut rx: mpsc::Receiver<Chunk>, shutdown: &Shutdown) {
        let mut tick = tokio::time::interval(Duration::from_millis(25));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while self.book.stop.is_none() {
            let room = self.sender.has_room();
            let waiting = self.sender.pending() > 0;
            let next = tokio::select! {
                biased;
                _ = shutdown.pressed(1) => Next::Interrupt,
                Some(d) = self.sender.next(), if waiting => Next::Delivered(d),
                chunk = rx.recv(), if room => Next::Input(chunk),
                _ = tick.tick() => Next::Tick,
            };
            match next {
                Next::Interrupt => self.book.stop = Some(Halt::Interrupted),
                Next::Delivered(d) => {
                    // Take every report that is already in, then notify:
                    // at high rates that makes big pipelines, at low rates
                    // a notification leaves as soon as its ack is in.
                    self.book.delivered(d).await;
                    while let Some(d) = self.sender.next_ready() {
                        self.book.delivered(d).await;
                    }
                    self.book.flush_notes().await;
                }
                Next::Input(None) => break,
                Next::Input(Some(chunk)) => self.take(chunk).await,
                Next::Tick => {
                    self.book.flush_notes().await;
                    self.book
                        .progress
                        .message(format!("{} acknowledged", self.sender.ledger.acknowledged));
                    if let Some(why) = self.sender.stalled() {
                        self.book.stop = Some(Halt::Stalled(why));
                    }
                }
            }
        }
        if self.book.stop.is_some() {
            // Whatever the reader had read past the stop was never sent.
            if let Ok(chunk) = rx.try_recv() {
                if let Some(at) = chunk.iter().find_map(origin) {
                    self.book.stats.not_in_kafka(at);
                }
            }
        }
    }

    async fn take(&mut self, chunk: Chunk) {
        for item in chunk {
            if self.book.stop.is_some() {
                if let Some(at) = origin(&item) {
                    self.book.stats.not_in_kafka(at);
                }
                return;
            }
            match item {
                Entry::Event { at, bytes, .. } | Entry::Invalid { at, bytes, .. }
                    if skipped(self.book.cfg, at) =>
                {
                    self.book.stats.skipped += 1;
                    self.book.progress.advance(0, bytes);
                }
                Entry::Event { at, event, bytes } => {
                    self.book.account_read(at, bytes);
                    self.send(at, event).await;
                }
                Entry::Invalid {
                    at,
                    column,
                    reason,
                    raw,
                    bytes,
                } => {
                    self.book.account_read(at, bytes);
                    self.book.invalid(at, column, &reason, &raw);
                }
                Entry::Broken(message) => {
                    self.book.stop = Some(Halt::Input(message));
                }
                Entry::Unusable(message) => {
                    self.book.stop = Some(Halt::Invalid(message));
                }
            }
        }
    }

    /// Hand one event to Kafka; a full queue waits for deliveries (up to the
    /// timeout, then the run stops); a refused event is a failed line.
    async fn send(&mut self, at: Origin, event: Event) {
        let headers = self
            .book
            .cfg
            .headers
            .then(|| record::event_headers(&event.id, &event.kind, &event.source_type));
        let size = record::event_wire_size(
            event.source_id.as_bytes(),
            &event.value,
            headers
                .is_some()
                .then(|| [&*event.id, &*event.kind, &*event.source_type]),
        );
        let book = &self.book;
        let note = book
            .notifier
            .is_some()
            .then(|| book.drafter.draft(&book.cfg.channel, &event));
        if let Some(why) = self.max_record.refuses(size) {
            self.book.invalid(at, None, &why, &event.value);
            return;
        }
        if let (Some(window), Some(ms)) = (&self.times, event.timestamp) {
            let now = jiff::Timestamp::now().as_millisecond();
            if let Some(why) = window.refuses(ms, now) {
                self.book.invalid(at, None, &why, &event.value);
                return;
            }
        }
        let pending = Pending { at, note };
        let out = Record {
            key: Some(event.source_id.as_bytes()),
            payload: Some(&event.value),
            headers,
            timestamp: event.timestamp,
        };
        match self.sender.send(out, pending).await {
            Ok(()) => {}
            Err(Refused::StayedFull(p, why)) => {
                self.book.stats.failed(p.at);
                self.book.stop = Some(Halt::Stalled(why));
            }
            Err(Refused::TooLarge(p, why)) => {
                let why = format!("the broker refuses the event as too large ({why})");
                self.book.invalid(p.at, None, &why, &event.value);
            }
            Err(Refused::Rejected(p, _)) => {
                self.book.stats.failed(p.at);
                // A fatal producer refuses every record after: stop (the
                // error names the fatal cause).
                if let Some(f) = &self.sender.ledger.fatal {
                    self.book.stop = Some(Halt::Kafka(f.clone()));
                }
            }
        }
    }

    /// Wait for what is in flight (bounded by the timeout; a second Ctrl-C
    /// gives up at once), counting anything without a report as failed.
    async fn drain(&mut self, shutdown: &Shutdown) {
        let interrupted = matches!(self.book.stop, Some(Halt::Interrupted));
        let give_up = async {
            if interrupted {
                shutdown.pressed(2).await
            } else {
                std::future::pending().await
            }
        };
        let mut reports = Vec::new();
        let unreported = self.sender.drain(give_up, |d| reports.push(d)).await;
        for d in reports {
            self.book.delivered(d).await;
        }
        if !unreported.is_empty() {
            self.book.stop.get_or_insert(Halt::Kafka(
                "no delivery report before giving up".to_string(),
            ));
        }
        for p in unreported {
            self.book.stats.failed(p.at);
        }
        self.book.flush_notes().await;
    }

    async fn finish(self) -> Result<Ending> {
        let Run {
            sender,
            mut book,
            lowered,
            kafka,
            ..
        } = self;
        book.progress.finish();
        let redis = match book.notifier.take() {
            Some(n) => Some(
                n.finish(book.cfg.timeout.min(Duration::from_secs(10)))
                    .await,
            ),
            None => None,
        };
        // A dead-letter file that cannot be written loses the invalid lines,
        // not events: it must not hide how Kafka did.
        let dead_letter_error = book
            .dead_letters
            .as_mut()
            .and_then(|w| w.flush().err())
            .map(|e| format!("writing dead letters: {e}"));
        let (repair, placed) = match book.unnotified.lock() {
            Ok(u) => (u.ranges(), u.placed),
            Err(_) => (Vec::new(), 0),
        };
        let summary = book.summary(&sender, redis.as_ref(), (&lowered, &repair));
        let mut notes = Vec::new();
        if book.stats.skipped > 0 && book.stats.read == 0 {
            notes.push(Note::Why(format!(
                "--skip-lines {} is past the end of the input ({}): nothing was published",
                book.cfg.skip_lines,
                crate::output::plural(book.stats.skipped, "line")
            )));
        }
        let mut redis_failed = None;
        if let Some(r) = &redis {
            if r.failed > 0 {
                let message = format!(
                    "{} not sent to Redis ({}); the events are in Kafka ({})",
                    crate::output::plural(r.failed, "notification"),
                    r.first_error.as_deref().unwrap_or("unknown error"),
                    if repair.is_empty() {
                        "replay --to-redis can re-send them"
                    } else {
                        "the replay --to-redis of each partition, printed here, re-sends them"
                    }
                );
                if book.cfg.redis_required {
                    redis_failed = Some(message);
                } else {
                    notes.push(Note::Warn(message));
                }
                notes.extend(book.repairs(&repair, r.failed.saturating_sub(placed)));
            }
        }
        let ledger = &sender.ledger;
        let resume = book.resume_text();
        let stop = match book.stop.take() {
            Some(Halt::Kafka(_) | Halt::Stalled(_)) if ledger.fatal.is_some() => {
                Some(Halt::Kafka(ledger.fatal.clone().unwrap_or_default()))
            }
            stop => stop,
        };
        let result = match stop {
            Some(Halt::Interrupted) => {
                notes.push(Note::Info(format!(
                    "interrupted: {} acknowledged{resume}",
                    crate::output::plural(ledger.acknowledged, "event")
                )));
                Ok(Code::Interrupted)
            }
            Some(Halt::Input(message)) => Err(anyhow::anyhow!("{message}{resume}")),
            stop if ledger.not_acknowledged() > 0
                || matches!(stop, Some(Halt::Kafka(_) | Halt::Stalled(_))) =>
            {
                let (mut why, stalled) = match stop {
                    Some(Halt::Kafka(why)) => (why, false),
                    Some(Halt::Stalled(why)) => (why, true),
                    _ => (failure_reasons(ledger), false),
                };
                // "Timed out" is all librdkafka says of a write the broker
                // kept refusing with a retriable error, and a stall says
                // nothing of why: ask the cluster (a deleted topic, a
                // revoked ACL, leaderless partitions).
                if stalled || why.to_lowercase().contains("timed out") {
                    let budget = book.cfg.timeout.min(Duration::from_secs(3));
                    if let Some(cause) =
                        admin::why_unacknowledged(kafka, book.drafter.topic(), budget).await
                    {
                        why.push_str("; ");
                        why.push_str(&cause);
                    }
                }
                Err(error::kafka(format!(
                    "kafka: {} of {} events not acknowledged ({why}); {} acknowledged{}{resume}",
                    ledger.not_acknowledged() + book.unsent(&sender),
                    book.stats.read - book.stats.invalid,
                    ledger.acknowledged,
                    book.failed_lines()
                )))
            }
            Some(Halt::Invalid(message)) => {
                let before = match ledger.acknowledged {
                    1 => "1 event before it is".to_string(),
                    n => format!("{n} events before it are"),
                };
                Err(error::fail(
                    Code::InvalidInput,
                    format!("{message}; {before} in Kafka{resume}"),
                ))
            }
            _ => Ok(Code::Success),
        };
        // --redis-required: a run Kafka took whole still fails for Redis.
        let result = match (result, redis_failed) {
            (Ok(Code::Success), Some(why)) => {
                Err(error::fail(Code::Redis, format!("--redis-required: {why}")))
            }
            (result, Some(why)) => {
                notes.push(Note::Warn(why));
                result
            }
            (result, None) => result,
        };
        let result = match (result, dead_letter_error) {
            (Ok(Code::Success), Some(e)) => Err(anyhow::anyhow!(e)),
            (result, Some(e)) => {
                notes.push(Note::Warn(e));
                result
            }
            (result, None) => result,
        };
        Ok(Ending {
            summary: Some(summary),
            notes,
            result,
        })
    }
}

impl Book<'_> {
    fn account_read(&mut self, at: Origin, bytes: u64) {
        self.stats.read += 1;
        self.stats.bytes += bytes;
        self.stats.last_taken = Some(at);
        self.progress.advance(1, bytes);
    }

    /// The `replay --to-redis` of each partition that re-sends exactly the
    /// offsets whose notifications failed (a few that did not fail, between
    /// them, are sent again), and what they do not cover.
    fn repairs(&self, repair: &[(i32, i64, i64)], unplaced: u64) -> Vec<Note> {
        let channel = self
            .cfg
            .channel_flag
            .as_deref()
            .map(|c| format!(" --channel {}", shell_word(c)))
            .unwrap_or_default();
        let mut notes: Vec<Note> = repair
            .iter()
            .take(SHOWN_REPAIRS)
            .map(|&(p, from, to)| {
                Note::Info(format!(
                    "re-send partition {p}: dualstream replay --topic {} --to-redis{channel} --partition {p} --from-offset {from} --to-offset {to}",
                    shell_word(self.drafter.topic())
                ))
            })
            .collect();
        if repair.len() > SHOWN_REPAIRS {
            notes.push(Note::Info(format!(
                "and {} more partitions: every range is under redis_repair in --summary json",
                repair.len() - SHOWN_REPAIRS
            )));
        }
        if unplaced > 0 {
            notes.push(Note::Warn(format!(
                "{unplaced} more failed notifications were still queued when publish stopped waiting for Redis, their offsets not known: the run's newest (replay --to-redis --from-time with the run's start covers them)"
            )));
        }
        notes
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
                // A field missing from every line so far is a mapping to fix, not a line to skip.
                let mapping =
                    reason.starts_with("missing field") && self.stats.read == self.stats.invalid;
                let hint = if mapping {
                    ""
                } else {
                    " (use --on-invalid skip or dead-letter=FILE to continue past bad lines)"
                };
                self.stop = Some(Halt::Invalid(format!("{place}: {reason}{hint}")));
            }
            OnInvalid::Skip | OnInvalid::DeadLetter(_) => {
                if self.stats.invalid <= SHOWN_INVALID {
                    let done = match &self.cfg.on_invalid {
                        OnInvalid::DeadLetter(f) => format!("dead-lettered to {}", f.display()),
                        _ => "skipped".to_string(),
                    };
                    self.out.warn(&format!("{place}: {reason} ({done})"));
                } else if self.stats.invalid == SHOWN_INVALID + 1 {
                    self.out
                        .warn("more invalid lines; counted in the summary, not shown");
                }
                if let Some(w) = self.dead_letters.as_mut() {
                    let source = &self.cfg.sources[at.source as usize].name;
                    let written =
                        records::write_dead_letter(&mut *w, source, at.line, column, reason, raw);
                    if let Err(e) = written {
                        self.stop = Some(Halt::Input(format!("writing dead letters: {e}")));
                    }
                }
            }
        }
    }

    async fn delivered(&mut self, d: Delivery<Pending>) {
        let p = d.tag;
        match d.outcome {
            Outcome::Acked { partition, offset } => {
                if let Some(draft) = p.note {
                    self.notes.push_draft(&draft, (partition, offset));
                    if self.notes.len() >= self.cfg.redis_batch {
                        self.flush_notes().await;
                    }
                }
            }
            Outcome::TooLarge { reason, payload } => {
                let why = format!("the broker refused the event as too large ({reason})");
                self.invalid(p.at, None, &why, &payload);
            }
            Outcome::Failed { reason, stops_run } => {
                self.stats.failed(p.at);
                if stops_run {
                    self.stop.get_or_insert(Halt::Kafka(reason));
                }
            }
        }
    }

    /// Notifications leave in the order deliveries were reported, which is
    /// Kafka order within a partition: librdkafka reports one partition's
    /// deliveries in order, and the futures complete in the order they are woken.
    async fn flush_notes(&mut self) {
        if self.notes.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.notes, Notes::with_capacity(self.cfg.redis_batch));
        if let Some(n) = self.notifier.as_mut() {
            n.send(batch).await;
        }
    }

    /// Valid events read but never handed to Kafka (the run stopped first).
    fn unsent(&self, sender: &Sender<Pending>) -> u64 {
        let l = &sender.ledger;
        (self.stats.read - self.stats.invalid).saturating_sub(l.acknowledged + l.not_acknowledged())
    }

    fn resume_text(&self) -> String {
        match (self.stats.resume, self.stats.last_taken) {
            (Some(at), _) => format!(
                "; resume from {} ({})",
                self.place(at),
                rerun_from(self.cfg, at)
            ),
            (None, Some(at)) if self.stop.is_some() => format!(
                "; resume after {} ({})",
                self.place(at),
                rerun_from(
                    self.cfg,
                    Origin {
                        line: at.line.saturating_add(1),
                        ..at
                    }
                )
            ),
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

    fn summary(
        &self,
        sender: &Sender<Pending>,
        redis: Option<&NotifyStats>,
        (lowered, repair): (&[String], &[(i32, i64, i64)]),
    ) -> Summary {
        let s = &self.stats;
        let l = &sender.ledger;
        let counts = PublishCounts {
            topic: self.drafter.topic(),
            read: s.read,
            skipped: s.skipped,
            invalid: s.invalid,
            acknowledged: l.acknowledged,
            failed: l.not_acknowledged(),
            unsent: self.unsent(sender),
            redis: redis.map(|r| (r.notified, r.failed)),
            elapsed: s.started.elapsed(),
            bytes: s.bytes,
            latency_ms: (l.latency_ms(0.5), l.latency_ms(0.99)),
            failures: &l.failures,
            resume_from: s.resume.map(|at| self.place(at)),
            lowered,
            repair,
        };
        Summary::publish(&self.cfg.summary, &counts)
    }
}

/// The dead-letter file, appended to (earlier dead letters are kept, also
/// when this run fails before its first invalid line), created 0600 (it
/// holds raw input), never through a symlink.
fn open_dead_letters(path: &std::path::Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| {
            let why = if e.raw_os_error() == Some(libc::ELOOP) {
                "is a symlink (refused)".to_string()
            } else {
                e.to_string()
            };
            error::usage(format!("dead-letter file {}: {why}", path.display()))
        })
}

/// Whether --skip-lines leaves out what starts at `at`: a line of the
/// first input up to N.
fn skipped(cfg: &PublishConfig, at: Origin) -> bool {
    at.source == 0 && at.line <= cfg.skip_lines
}

/// The flag (and inputs) a rerun from `at` needs: `--skip-lines N`, and
/// with a later input, the inputs from that one on.
fn rerun_from(cfg: &PublishConfig, at: Origin) -> String {
    let skip = at.line.saturating_sub(1);
    if at.source == 0 {
        return if skip == 0 {
            "rerun the same command".to_string()
        } else {
            format!("rerun with --skip-lines {skip}")
        };
    }
    let names: Vec<&str> = cfg.sources[at.source as usize..]
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    format!(
        "rerun with the inputs {} and --skip-lines {skip}",
        names.join(" ")
    )
}

fn origin(item: &Entry) -> Option<Origin> {
    match item {
        Entry::Event { at, .. } | Entry::Invalid { at, .. } => Some(*at),
        Entry::Broken(_) | Entry::Unusable(_) => None,
    }
}

#[cfg(test)]
mod time_window_tests {
    use super::TimeWindow;

    #[test]
    fn an_event_outside_the_topics_time_window_is_refused_with_why() {
        let now = 1_800_000_000_000;
        let w = TimeWindow {
            before: Some(i64::MAX),
            after: Some(3_600_000),
        };
        assert!(w.refuses(now, now).is_none());
        assert!(w.refuses(now + 3_600_000, now).is_none());
        let why = w.refuses(now + 3_600_001, now).unwrap();
        assert!(
            why.contains("ahead of now") && why.contains("after.max.ms"),
            "{why}"
        );
        assert!(w.refuses(0, now).is_none(), "no before bound by default");
        let w = TimeWindow {
            before: Some(86_400_000),
            after: None,
        };
        let why = w.refuses(now - 86_400_001, now).unwrap();
        assert!(why.contains("before now"), "{why}");
        assert!(w.refuses(i64::MAX, now).is_none());
    }
}
