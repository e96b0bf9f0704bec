//! `dualstream replay`: read a topic from an offset or a time up to the end
//! offsets taken at start (or forever with --follow), and hand each record
//! to a sink: stdout (values byte for byte, envelopes, CSV), Redis
//! (re-sent notifications) or another topic (a copy). Reads with assign(),
//! nothing committed, unless --group.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use anyhow::Result;
use rdkafka::message::{BorrowedMessage, Message};
use serde_json::json;
use tokio::runtime::Handle;

use crate::config::{Common, ReplayConfig, ReplaySink};
use crate::duration::show_duration;
use crate::error::{self, Code};
use crate::event::{ChannelTemplate, Event, Notification};
use crate::kafka::produce::{Delivery, Outcome, Record, Refused, Sender};
use crate::kafka::read::{self, Confirmed, Flow, Planned, Polled, Read, Start};
use crate::kafka::{admin, config as kafka_config, record};
use crate::output::records::RecordPrinter;
use crate::output::summary::{round3, Ending, Note, Summary};
use crate::output::{Data, Output, Unit};
use crate::pubsub::notify::{self, Notifier};
use crate::shutdown::Shutdown;

/// What was read from one partition.
#[derive(Debug, Clone, Copy)]
struct Range {
    planned: Planned,
    /// Where reading started (a group member: where the group left off).
    start: i64,
    read: u64,
    bytes: u64,
}

pub async fn run(common: Common, cfg: ReplayConfig, out: &Output, shutdown: &Shutdown) -> Ending {
    if let ReplaySink::Redis { .. } = cfg.sink {
        // Required here: fail now, before reading anything, if Redis is not there.
        if let Some(target) = &common.redis {
            if let Err(e) = shutdown
                .or_interrupted(async {
                    target
                        .check(cfg.timeout)
                        .await
                        .map_err(|e| error::fail(Code::Redis, e))
                })
                .await
            {
                return Ending::bare(Err(e));
            }
        }
    }
    let out = out.clone();
    let shutdown = shutdown.clone();
    let handle = Handle::current();
    match tokio::task::spawn_blocking(move || replay(&common, &cfg, &out, &shutdown, handle)).await
    {
        Ok(ending) => ending,
        Err(e) => Ending::bare(Err(anyhow::Error::new(e).context("replay thread"))),
    }
}

fn replay(
    common: &Common,
    cfg: &ReplayConfig,
    out: &Output,
    shutdown: &Shutdown,
    handle: Handle,
) -> Ending {
    let mut ranges = BTreeMap::new();
    let started = Instant::now();
    let mut counts = (0u64, 0u64);
    let result = read_all(common, cfg, out, shutdown, handle, &mut ranges, &mut counts);
    let (total, filtered) = counts;
    let (result, sent, notes) = match result {
        Ok((outcome, sent, notes)) => (
            Ok(match outcome {
                Read::Interrupted => Code::Interrupted,
                Read::Done => Code::Success,
            }),
            sent,
            notes,
        ),
        Err(e) => (Err(e), 0, Vec::new()),
    };
    let summary = (!ranges.is_empty() || result.is_ok()).then(|| {
        summary(
            cfg,
            &common.topic,
            &ranges,
            (total, filtered, sent),
            started.elapsed(),
        )
    });
    Ending {
        summary,
        notes,
        result,
    }
}

/// Plan, read and sink; returns how the read ended, how many the sink sent,
/// and notes for after the summary.
fn read_all(
    common: &Common,
    cfg: &ReplayConfig,
    out: &Output,
    shutdown: &Shutdown,
    handle: Handle,
    ranges: &mut BTreeMap<i32, Range>,
    (total, filtered): &mut (u64, u64),
) -> Result<(Read, u64, Vec<Note>)> {
    let stop = shutdown.flag();
    let consumer = kafka_config::consumer(&common.kafka, None)?;
    let topic = common.topic.as_str();
    let all = admin::partitions(&consumer, &common.kafka.brokers, topic, cfg.timeout)?;
    let partitions = match &cfg.partitions {
        Some(wanted) => {
            if let Some(p) = wanted.iter().find(|p| !all.contains(p)) {
                return Err(error::usage(format!(
                    "--partition {p}: topic {topic:?} has partitions 0..{}",
                    all.len().saturating_sub(1)
                )));
            }
            wanted.clone()
        }
        None => all,
    };
    let plan = read::plan(
        &consumer,
        topic,
        &partitions,
        cfg.start,
        cfg.stop,
        cfg.timeout,
    )?;
    let mut past_end = Vec::new();
    for (&p, planned) in &plan {
        let (low, high, wanted) = (planned.low, planned.high, planned.wanted);
        if wanted > high {
            past_end.push(format!("{p} ({low}..{high})"));
        } else if wanted < low {
            out.warn(&format!(
                "--from-offset {wanted}: {topic}/{p} starts at {low} (older records are gone); reading from {low}"
            ));
        }
        ranges.insert(
            p,
            Range {
                planned: *planned,
                start: planned.start,
                read: 0,
                bytes: 0,
            },
        );
    }
    if !past_end.is_empty() {
        let message = format!(
            "the start offset is past the end of {topic} partition {}",
            past_end.join(", partition ")
        );
        if past_end.len() == partitions.len() {
            ranges.clear();
            return Err(error::usage(message));
        }
        out.warn(&format!("{message}: nothing to read there"));
    }

    let spans: Vec<read::Span> = plan.iter().map(|(&p, planned)| planned.span(p)).collect();
    let planned_total: u64 = plan
        .values()
        .filter_map(|r| r.end.map(|e| (e - r.start).max(0) as u64))
        .sum();
    // A group member reads only its share: no total to show.
    let mut progress = out.progress(
        (!cfg.stop.follow && cfg.group.is_none()).then_some(planned_total),
        cfg.progress,
        Unit::Records,
    );
    let mut sink = Sink::open(cfg, common, out, handle)?;
    let mut confirmed = match cfg.group {
        Some(_) => Confirmed::tracking(),
        None => Confirmed::default(),
    };
    let idle = (!cfg.stop.follow).then_some(cfg.timeout);
    let in_group = cfg.group.is_some();
    let ends: HashMap<i32, (i64, i64)> = plan
        .iter()
        .map(|(&p, r)| (p, (r.low, r.end.unwrap_or(i64::MAX))))
        .collect();
    let mut handle_one = |polled: Polled<'_, '_>, confirmed: &mut Confirmed| -> Result<Flow> {
        let Polled::Record(message) = polled else {
            // Nothing waiting: what was printed must be seen now (--follow),
            // and what the sink confirmed can be committed.
            sink.idle(confirmed)?;
            return Ok(Flow::Continue);
        };
        progress.advance(1, message.payload_len() as u64);
        if let Some(range) = ranges.get_mut(&message.partition()) {
            if in_group && range.read == 0 {
                // A group member starts where the group left off.
                range.start = message.offset();
            }
            range.read += 1;
            range.bytes += message.payload_len() as u64;
        }
        let event = if cfg.filter.is_empty() && !sink.needs_event() {
            None
        } else {
            record::record_event(message)
        };
        if !cfg.filter.is_empty() && !event.as_ref().is_some_and(|e| cfg.filter.matches(e)) {
            *filtered += 1;
            confirmed.skipped(message.partition(), message.offset());
            return Ok(Flow::Continue);
        }
        sink.take(message, event.as_ref(), confirmed)?;
        *total += 1;
        Ok(if cfg.count.is_some_and(|n| *total >= n) {
            Flow::Stop
        } else {
            Flow::Continue
        })
    };
    let (outcome, member) = if cfg.count == Some(0) {
        (Ok(Read::Done), None)
    } else if let Some(group) = &cfg.group {
        let member = kafka_config::group_consumer(&common.kafka, group, cfg.start == Start::End)?;
        let outcome = read::read_group(
            &member,
            topic,
            (!cfg.stop.follow).then_some(&ends),
            cfg.timeout,
            stop,
            &mut confirmed,
            &mut handle_one,
        );
        (outcome, Some(member))
    } else {
        let mut untracked = Confirmed::default();
        let outcome = read::read_spans(&consumer, topic, &spans, stop, idle, |polled| {
            handle_one(polled, &mut untracked)
        });
        (outcome, None)
    };
    progress.finish();
    // Finish the sink even when reading failed: what it confirms, a group
    // commits; nothing past the first unconfirmed record.
    let finished = sink.finish(&mut confirmed, shutdown);
    if let Some(member) = member {
        read::commit_and_close(member, topic, &mut confirmed, cfg.timeout);
    }
    let outcome = outcome?;
    let (sent, notes) = finished?;
    Ok((outcome, sent, notes))
}

/// Where records go: stdout in a format, Redis as notifications, or another topic.
// One per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Sink<'a> {
    Stdout {
        data: Data,
        printer: RecordPrinter,
        /// Records written since the last flush.
        unflushed: usize,
    },
    Redis {
        handle: Handle,
        notifier: Notifier,
        channel: &'a ChannelTemplate,
        /// Notifications handed over per call: one when paced.
        per_send: usize,
        batch: Vec<notify::Note>,
        /// Coordinates of the notifications handed over and not yet known
        /// published, in hand-over order (which is publish order).
        waiting: VecDeque<(i32, i64)>,
        /// How many the notifier had published at the last look.
        seen_notified: u64,
        /// How many were handed over in all.
        handed: u64,
        unroutable: u64,
        timeout: Duration,
    },
    Topic {
        handle: Handle,
        sender: Sender<(i32, i64)>,
        topic: &'a str,
        brokers: &'a str,
    },
}

/// Notifications per Redis pipeline when not paced.
const REDIS_BATCH: usize = 500;

impl<'a> Sink<'a> {
    fn open(
        cfg: &'a ReplayConfig,
        common: &'a Common,
        out: &Output,
        handle: Handle,
    ) -> Result<Sink<'a>> {
        Ok(match &cfg.sink {
            ReplaySink::Stdout(format) => Sink::Stdout {
                data: out.data(cfg.stop.follow),
                printer: RecordPrinter::new(*format),
                unflushed: 0,
            },
            ReplaySink::Redis { channel, rate } => {
                let target = common
                    .redis
                    .as_ref()
                    .ok_or_else(|| error::usage("--to-redis needs Redis: not with --redis off"))?;
                let notifier = {
                    let _entered = handle.enter();
                    Notifier::spawn(target, notify::Mode::Required, *rate, out.warner())
                };
                Sink::Redis {
                    handle,
                    notifier,
                    channel,
                    per_send: if rate.is_some() { 1 } else { REDIS_BATCH },
                    batch: Vec::new(),
                    waiting: VecDeque::new(),
                    seen_notified: 0,
                    handed: 0,
                    unroutable: 0,
                    timeout: cfg.timeout,
                }
            }
            ReplaySink::Topic(topic) => {
                let producer =
                    kafka_config::producer(&common.kafka, cfg.timeout, cfg.max_in_flight, false)?;
                admin::producer_topic(&producer, &common.kafka.brokers, topic, cfg.timeout)?;
                Sink::Topic {
                    handle,
                    sender: Sender::new(producer, topic, cfg.max_in_flight, cfg.timeout),
                    topic,
                    brokers: &common.kafka.brokers,
                }
            }
        })
    }

    /// Nothing is waiting to be read: make output visible (live stdout),
    /// and learn what the sink has confirmed.
    fn idle(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        match self {
            Sink::Stdout {
                data, unflushed, ..
            } => {
                data.idle()?;
                if *unflushed > 0 && confirmed.is_tracking() {
                    data.finish()?;
                    *unflushed = 0;
                    confirmed.confirm_all();
                }
            }
            Sink::Redis {
                handle,
                notifier,
                batch,
                waiting,
                seen_notified,
                handed,
                ..
            } => {
                // Nothing else is coming right now: send what is batched
                // (--follow on a quiet topic).
                send_notes(handle, notifier, batch, handed, confirmed)?;
                confirm_published(notifier, waiting, seen_notified, confirmed);
            }
            Sink::Topic { sender, topic, .. } => {
                while let Some(d) = sender.next_ready() {
                    confirm_delivered(d, confirmed, topic)?;
                }
                if let Some(why) = sender.stalled() {
                    return Err(error::kafka(format!("kafka: copying to {topic}: {why}")));
                }
            }
        }
        Ok(())
    }

    fn needs_event(&self) -> bool {
        matches!(self, Sink::Redis { .. })
    }

    fn take(
        &mut self,
        m: &BorrowedMessage<'_>,
        event: Option<&Event>,
        confirmed: &mut Confirmed,
    ) -> Result<()> {
        let (p, offset) = (m.partition(), m.offset());
        match self {
            Sink::Stdout {
                data,
                printer,
                unflushed,
            } => {
                printer.print(data, m)?;
                confirmed.handed(p, offset);
                *unflushed += 1;
                // A group commits only what was flushed: flush often enough
                // that commits keep up.
                if *unflushed >= FLUSH_EVERY && confirmed.is_tracking() {
                    data.finish()?;
                    *unflushed = 0;
                    confirmed.confirm_all();
                }
                Ok(())
            }
            Sink::Redis {
                handle,
                notifier,
                channel,
                per_send,
                batch,
                waiting,
                seen_notified,
                handed,
                unroutable,
                ..
            } => {
                let Some(event) = event else {
                    *unroutable += 1;
                    confirmed.skipped(p, offset);
                    return Ok(());
                };
                let note = Notification {
                    id: &event.id,
                    kind: &event.kind,
                    source_id: &event.source_id,
                    topic: m.topic(),
                    partition: p,
                    offset,
                };
                batch.push((channel.render(event, m.topic()), note.to_json()));
                confirmed.handed(p, offset);
                waiting.push_back((p, offset));
                if batch.len() >= *per_send {
                    send_notes(handle, notifier, batch, handed, confirmed)?;
                }
                confirm_published(notifier, waiting, seen_notified, confirmed);
                Ok(())
            }
            Sink::Topic {
                handle,
                sender,
                topic,
                ..
            } => {
                let record = Record {
                    key: m.key(),
                    payload: m.payload(),
                    headers: m.headers().map(|h| h.detach()),
                    timestamp: m.timestamp().to_millis(),
                };
                confirmed.handed(p, offset);
                match handle.block_on(sender.send(record, (p, offset))) {
                    Ok(()) => {}
                    Err(Refused::StayedFull(_, why)) | Err(Refused::Rejected(_, why)) => {
                        return Err(error::kafka(format!("kafka: copying to {topic}: {why}")))
                    }
                }
                while let Some(d) = sender.next_ready() {
                    confirm_delivered(d, confirmed, topic)?;
                }
                Ok(())
            }
        }
    }

    /// Flush what is buffered and account for it: how many were sent, and
    /// notes for after the summary. Confirms what reached the sink.
    fn finish(self, confirmed: &mut Confirmed, shutdown: &Shutdown) -> Result<(u64, Vec<Note>)> {
        match self {
            Sink::Stdout { mut data, .. } => {
                data.finish()?;
                confirmed.confirm_all();
                Ok((0, Vec::new()))
            }
            Sink::Redis {
                handle,
                mut notifier,
                batch,
                mut waiting,
                seen_notified,
                unroutable,
                timeout,
                ..
            } => {
                if notifier.failure().is_none() {
                    handle.block_on(notifier.send(batch));
                }
                let stats = handle.block_on(notifier.finish(timeout));
                let published = stats.notified.saturating_sub(seen_notified);
                for _ in 0..published {
                    if let Some((p, offset)) = waiting.pop_front() {
                        confirmed.confirm(p, offset);
                    }
                }
                if stats.failed > 0 {
                    return Err(error::fail(
                        Code::Redis,
                        format!(
                            "redis: {} of {} notifications not published ({})",
                            stats.failed,
                            stats.failed + stats.notified,
                            stats.first_error.as_deref().unwrap_or("unknown error")
                        ),
                    ));
                }
                let mut notes = Vec::new();
                if unroutable > 0 {
                    notes.push(Note::Warn(format!(
                        "{unroutable} records had no id/type/source_type (headers or fields) and were not notified"
                    )));
                }
                Ok((stats.notified, notes))
            }
            Sink::Topic {
                handle,
                mut sender,
                topic,
                brokers,
            } => {
                let mut reports = Vec::new();
                // A second Ctrl-C stops waiting for the copies in flight.
                handle.block_on(sender.drain(shutdown.pressed(2), |d| reports.push(d)));
                for d in reports {
                    // Failures are counted by the ledger and reported below.
                    let _ = confirm_delivered(d, confirmed, topic);
                }
                let l = &sender.ledger;
                if l.not_acknowledged() > 0 {
                    let why = l
                        .fatal
                        .clone()
                        .or_else(|| l.failures.keys().next().cloned())
                        .unwrap_or_else(|| "no delivery report in time".to_string());
                    return Err(error::kafka(format!(
                        "kafka: {} of {} copies to {topic} at {brokers} not acknowledged ({why}); {} acknowledged",
                        l.not_acknowledged(),
                        l.not_acknowledged() + l.acknowledged,
                        l.acknowledged
                    )));
                }
                Ok((l.acknowledged, Vec::new()))
            }
        }
    }
}

/// Hand the batched notifications to the notifier. A group member then
/// hands on nothing more until Redis took them: at a rebalance everything
/// handed is confirmed and committed, and the next member starts right after
/// it (no notification twice). Fails on the notifier's first failure.
fn send_notes(
    handle: &Handle,
    notifier: &mut Notifier,
    batch: &mut Vec<notify::Note>,
    handed: &mut u64,
    confirmed: &Confirmed,
) -> Result<()> {
    if !batch.is_empty() && notifier.failure().is_none() {
        *handed += batch.len() as u64;
        handle.block_on(notifier.send(std::mem::take(batch)));
        if confirmed.is_tracking() {
            handle.block_on(notifier.published(*handed));
        }
    }
    match notifier.failure() {
        Some(e) => Err(error::fail(Code::Redis, format!("redis: publishing: {e}"))),
        None => Ok(()),
    }
}

/// Records written to stdout between flushes when a group commits.
const FLUSH_EVERY: usize = 1000;

/// Confirm the notifications Redis has published since the last look: the
/// notifier publishes in hand-over order and nothing after a failure.
fn confirm_published(
    notifier: &Notifier,
    waiting: &mut VecDeque<(i32, i64)>,
    seen: &mut u64,
    confirmed: &mut Confirmed,
) {
    let now = notifier.notified();
    for _ in *seen..now {
        if let Some((p, offset)) = waiting.pop_front() {
            confirmed.confirm(p, offset);
        }
    }
    *seen = now;
}

/// Confirm a copy Kafka acknowledged. A failure that will hit every
/// following copy too (broker or topic gone, producer fenced) stops the
/// run; others are counted by the ledger and reported at the end.
fn confirm_delivered(
    d: Delivery<(i32, i64)>,
    confirmed: &mut Confirmed,
    topic: &str,
) -> Result<()> {
    match d.outcome {
        Outcome::Acked { .. } => {
            let (p, offset) = d.tag;
            confirmed.confirm(p, offset);
            Ok(())
        }
        Outcome::Failed {
            reason,
            stops_run: true,
        } => Err(error::kafka(format!("kafka: copying to {topic}: {reason}"))),
        Outcome::Failed { .. } => Ok(()),
    }
}

fn summary(
    cfg: &ReplayConfig,
    topic: &str,
    ranges: &BTreeMap<i32, Range>,
    (total, filtered, sent): (u64, u64, u64),
    elapsed: Duration,
) -> Summary {
    let secs = elapsed.as_secs_f64();
    let partitions: Vec<_> = ranges
        .iter()
        .map(|(p, r)| json!({"partition": p, "start": r.start, "end": r.planned.end, "records": r.read, "bytes": r.bytes}))
        .collect();
    let json = json!({
        "topic": topic,
        "records": total,
        "filtered_out": filtered,
        "sent": sent,
        "elapsed_s": round3(secs),
        "records_per_s": if secs > 0.0 { (total as f64 / secs).round() } else { 0.0 },
        "partitions": partitions,
    });
    let mut summary = Summary::new(cfg.summary, format!("replay {topic}"), json);
    for (p, r) in ranges {
        let end = r
            .planned
            .end
            .map_or("follow".to_string(), |e| e.to_string());
        summary.row(
            format!("partition {p} [{}, {end})", r.start),
            format!("{} records", r.read),
        );
    }
    summary.row(
        "total",
        format!("{total} records in {}", show_duration(elapsed)),
    );
    if filtered > 0 {
        summary.row("filtered out", filtered.to_string());
    }
    if sent > 0 {
        summary.row("sent", sent.to_string());
    }
    summary
}
