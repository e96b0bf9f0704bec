//! `dualstream replay`: read a topic from an offset or a time up to the end
//! offsets taken at start (or forever with --follow), printing record values
//! byte for byte, or envelopes. Reads with assign(), never a group
//! subscription, so nothing is committed.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use base64::Engine as _;
use rdkafka::consumer::Consumer as _;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use serde_json::json;

use crate::cli::{ReplayFormat, SummaryFormat};
use crate::config::{show_duration, Common, ReplayConfig, ReplaySink, Start};
use crate::error::{self, Code};
use crate::event::{ChannelTemplate, Event, Notification};
use crate::kafka::{self, CopyProducer, Flow, Polled, Read, Span};
use crate::output::{Output, Unit};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer as _};

/// Where one partition is read from and to.
#[derive(Debug, Clone, Copy)]
struct Range {
    /// The partition's first offset when replay started.
    low: i64,
    start: i64,
    /// Exclusive; `None` with --follow.
    end: Option<i64>,
    read: u64,
    bytes: u64,
}

pub async fn run(common: Common, cfg: ReplayConfig, out: &Output) -> Result<Code> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::SeqCst);
        }
    });
    let out = out.clone();
    tokio::task::spawn_blocking(move || replay(&common, &cfg, &out, &stop))
        .await
        .context("replay thread")?
}

fn replay(common: &Common, cfg: &ReplayConfig, out: &Output, stop: &AtomicBool) -> Result<Code> {
    let consumer = kafka::consumer(&common.kafka, None)?;
    let topic = common.topic.as_str();
    let count = kafka::check_topic(consumer.client(), &common.kafka.brokers, topic, cfg.timeout)?;
    let all: Vec<i32> = (0..count as i32).collect();
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

    let mut ranges = BTreeMap::new();
    let mut past_end = Vec::new();
    for &p in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, cfg.timeout)
            .map_err(|e| error::kafka(format!("kafka: offsets of {topic}/{p}: {e}")))?;
        let wanted = kafka::start_offset(
            &consumer,
            &common.kafka,
            topic,
            p,
            cfg.start,
            (low, high),
            cfg.timeout,
        )?;
        // An explicit offset outside a partition is clamped to it, and said.
        let start = wanted.clamp(low, high);
        if wanted > high {
            past_end.push(format!("{p} ({low}..{high})"));
        } else if wanted < low {
            out.warn(&format!(
                "--from-offset {wanted}: {topic}/{p} starts at {low} (older records are gone); reading from {low}"
            ));
        }
        let mut end = match (cfg.follow, cfg.to_offset) {
            (true, _) => None,
            (false, Some(to)) => Some(to.clamp(start, high)),
            (false, None) => Some(high),
        };
        if let Some(to) = cfg.to_time {
            let at = kafka::start_offset(
                &consumer,
                &common.kafka,
                topic,
                p,
                Start::Time(to),
                (low, high),
                cfg.timeout,
            )?;
            end = end.map(|e| e.min(at.max(start)));
        }
        ranges.insert(
            p,
            Range {
                low,
                start,
                end,
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
            return Err(error::usage(message));
        }
        out.warn(&format!("{message}: nothing to read there"));
    }

    let spans: Vec<Span> = ranges
        .iter()
        .map(|(&partition, r)| Span {
            partition,
            start: r.start,
            end: r.end,
        })
        .collect();
    let planned: u64 = ranges
        .values()
        .filter_map(|r| r.end.map(|e| (e - r.start).max(0) as u64))
        .sum();
    // A group member reads only its share: no total to show.
    let mut progress = out.progress(
        (!cfg.follow && cfg.group.is_none()).then_some(planned),
        cfg.progress,
        Unit::Records,
    );
    let mut sink = Sink::open(&cfg.sink, common, out, cfg.timeout)?;
    let started = Instant::now();
    let (mut total, mut filtered) = (0u64, 0u64);
    let idle = (!cfg.follow).then_some(cfg.timeout);
    let in_group = cfg.group.is_some();
    let ends: HashMap<i32, (i64, i64)> = ranges
        .iter()
        .map(|(&p, r)| (p, (r.low, r.end.unwrap_or(i64::MAX))))
        .collect();
    let mut handle = |polled: Polled<'_, '_>| -> Result<Flow> {
        let Polled::Record(message) = polled else {
            // Nothing waiting: what was printed must be seen now (--follow).
            sink.flush()?;
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
            kafka::record_event(message)
        };
        if !cfg.filter.is_empty() && !event.as_ref().is_some_and(|e| cfg.filter.matches(e)) {
            filtered += 1;
            return Ok(Flow::Continue);
        }
        sink.take(message, event.as_ref())?;
        total += 1;
        Ok(if cfg.count.is_some_and(|n| total >= n) {
            Flow::Stop
        } else {
            Flow::Continue
        })
    };
    let outcome = if cfg.count == Some(0) {
        Read::Done
    } else if let Some(group) = &cfg.group {
        let member = kafka::group_consumer(&common.kafka, group, cfg.start == Start::End)?;
        kafka::read_group(
            &member,
            topic,
            (!cfg.follow).then_some(&ends),
            stop,
            &mut handle,
        )?
    } else {
        kafka::read_spans(&consumer, topic, &spans, stop, idle, &mut handle)?
    };
    progress.finish();
    let sent = sink.finish()?;
    summary(
        out,
        cfg.summary,
        topic,
        &ranges,
        (total, filtered, sent),
        started.elapsed(),
    );
    Ok(match outcome {
        Read::Interrupted => Code::Interrupted,
        Read::Done => Code::Success,
    })
}

/// Where records go: stdout in a format, Redis as notifications, or another topic.
// One per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum Sink<'a> {
    Stdout {
        out: std::io::BufWriter<std::io::StdoutLock<'static>>,
        format: ReplayFormat,
        csv_header: bool,
    },
    Redis {
        warn: Output,
        conn: redis::Connection,
        shown: String,
        channel: &'a ChannelTemplate,
        pace: Option<(f64, Instant)>,
        batch: redis::Pipeline,
        queued: usize,
        sent: u64,
        unroutable: u64,
    },
    Topic {
        producer: CopyProducer,
        topic: &'a str,
        brokers: &'a str,
        sent: u64,
        timeout: Duration,
    },
}

/// Notifications per Redis pipeline.
const REDIS_BATCH: usize = 500;

impl<'a> Sink<'a> {
    fn open(
        sink: &'a ReplaySink,
        common: &'a Common,
        out: &Output,
        timeout: Duration,
    ) -> Result<Sink<'a>> {
        Ok(match sink {
            ReplaySink::Stdout(format) => Sink::Stdout {
                out: out.stdout(),
                format: *format,
                csv_header: true,
            },
            ReplaySink::Redis { channel, rate } => {
                let target = common
                    .redis
                    .as_ref()
                    .ok_or_else(|| error::usage("--to-redis needs Redis: not with --redis off"))?;
                let conn = target
                    .client
                    .get_connection_with_timeout(timeout)
                    .map_err(|e| {
                        error::fail(
                            Code::Redis,
                            format!("redis: cannot connect to {}: {e}", target.shown),
                        )
                    })?;
                Sink::Redis {
                    warn: out.clone(),
                    conn,
                    shown: target.shown.clone(),
                    channel,
                    pace: rate.map(|r| (r, Instant::now())),
                    batch: redis::pipe(),
                    queued: 0,
                    sent: 0,
                    unroutable: 0,
                }
            }
            ReplaySink::Topic(topic) => {
                let producer = kafka::copy_producer(&common.kafka, timeout)?;
                kafka::check_topic(producer.client(), &common.kafka.brokers, topic, timeout)?;
                Sink::Topic {
                    producer,
                    topic,
                    brokers: &common.kafka.brokers,
                    sent: 0,
                    timeout,
                }
            }
        })
    }

    /// Push out buffered output (stdout only; the others send as they go).
    fn flush(&mut self) -> Result<()> {
        if let Sink::Stdout { out, .. } = self {
            out.flush()?;
        }
        Ok(())
    }

    fn needs_event(&self) -> bool {
        matches!(self, Sink::Redis { .. })
    }

    fn take(&mut self, m: &BorrowedMessage<'_>, event: Option<&Event>) -> Result<()> {
        match self {
            Sink::Stdout {
                out,
                format,
                csv_header,
            } => write_record(out, m, *format, csv_header),
            Sink::Redis {
                conn,
                shown,
                channel,
                pace,
                batch,
                queued,
                sent,
                unroutable,
                ..
            } => {
                let Some(event) = event else {
                    *unroutable += 1;
                    return Ok(());
                };
                let note = Notification {
                    id: &event.id,
                    kind: &event.kind,
                    source_id: &event.source_id,
                    topic: m.topic(),
                    partition: m.partition(),
                    offset: m.offset(),
                };
                batch
                    .publish(channel.render(event, m.topic()), note.to_json())
                    .ignore();
                *queued += 1;
                *sent += 1;
                // Pace by what was sent so far: never ahead of rate × elapsed.
                let mut flush_now = *queued >= REDIS_BATCH;
                if let Some((rate, since)) = pace {
                    flush_now = true;
                    let due = Duration::from_secs_f64(*sent as f64 / *rate);
                    if let Some(wait) = due.checked_sub(since.elapsed()) {
                        std::thread::sleep(wait);
                    }
                }
                if flush_now {
                    flush_redis(conn, shown, batch, queued)?;
                }
                Ok(())
            }
            Sink::Topic {
                producer,
                topic,
                sent,
                timeout,
                ..
            } => {
                let mut record = BaseRecord::to(topic);
                if let Some(k) = m.key() {
                    record = record.key(k);
                }
                if let Some(p) = m.payload() {
                    record = record.payload(p);
                }
                if let Some(h) = m.headers() {
                    record = record.headers(h.detach());
                }
                if let Some(ts) = m.timestamp().to_millis() {
                    record = record.timestamp(ts);
                }
                let waited = Instant::now();
                loop {
                    match producer.send(record) {
                        Ok(()) => break,
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                            if waited.elapsed() > *timeout {
                                return Err(error::kafka(format!(
                                    "kafka: {topic} took no records for {}",
                                    show_duration(*timeout)
                                )));
                            }
                            record = back;
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err((e, _)) => {
                            return Err(error::kafka(format!("kafka: copying to {topic}: {e}")))
                        }
                    }
                }
                *sent += 1;
                Ok(())
            }
        }
    }

    /// Flush what is buffered and account for it: how many were sent.
    fn finish(self) -> Result<u64> {
        match self {
            Sink::Stdout { mut out, .. } => {
                out.flush()?;
                Ok(0)
            }
            Sink::Redis {
                warn,
                mut conn,
                shown,
                mut batch,
                mut queued,
                sent,
                unroutable,
                ..
            } => {
                flush_redis(&mut conn, &shown, &mut batch, &mut queued)?;
                if unroutable > 0 {
                    warn.warn(&format!(
                        "{unroutable} records had no id/type/source_type (headers or fields) and were not notified"
                    ));
                }
                Ok(sent)
            }
            Sink::Topic {
                producer,
                topic,
                brokers,
                sent,
                timeout,
            } => {
                let _ = producer.flush(timeout);
                let ctx = producer.context();
                let acked = ctx.acknowledged.load(Ordering::Relaxed);
                let failed = ctx.failed.load(Ordering::Relaxed);
                if acked < sent {
                    let why = ctx
                        .first_error
                        .lock()
                        .ok()
                        .and_then(|e| e.clone())
                        .unwrap_or_else(|| "no delivery report in time".to_string());
                    return Err(error::kafka(format!(
                        "kafka: {} of {sent} copies to {topic} at {brokers} not acknowledged ({failed} failed: {why}); {acked} acknowledged",
                        sent - acked
                    )));
                }
                Ok(acked)
            }
        }
    }
}

fn flush_redis(
    conn: &mut redis::Connection,
    shown: &str,
    batch: &mut redis::Pipeline,
    queued: &mut usize,
) -> Result<()> {
    if *queued == 0 {
        return Ok(());
    }
    batch
        .query::<()>(conn)
        .map_err(|e| error::fail(Code::Redis, format!("redis: publishing to {shown}: {e}")))?;
    batch.clear();
    *queued = 0;
    Ok(())
}

fn write_record(
    w: &mut impl Write,
    m: &BorrowedMessage<'_>,
    format: ReplayFormat,
    csv_header: &mut bool,
) -> Result<()> {
    match format {
        ReplayFormat::Ndjson => {
            w.write_all(m.payload().unwrap_or_default())?;
            w.write_all(b"\n")?;
        }
        ReplayFormat::Envelope => {
            serde_json::to_writer(&mut *w, &envelope(m))?;
            w.write_all(b"\n")?;
        }
        ReplayFormat::Csv => {
            let mut csv = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut *w);
            if std::mem::take(csv_header) {
                csv.write_record(["topic", "partition", "offset", "timestamp", "key", "value"])?;
            }
            let lossy = |b: Option<&[u8]>| {
                b.map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            };
            csv.write_record([
                m.topic().to_string(),
                m.partition().to_string(),
                m.offset().to_string(),
                m.timestamp()
                    .to_millis()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                lossy(m.key()),
                lossy(m.payload()),
            ])?;
            csv.flush()?;
        }
    }
    Ok(())
}

/// A record as JSON: coordinates, timestamp, key, headers, and the value
/// embedded as JSON when it is JSON (else text, or base64 for bytes).
fn envelope(m: &BorrowedMessage<'_>) -> serde_json::Value {
    let text = |b: &[u8]| match std::str::from_utf8(b) {
        Ok(s) => json!(s),
        Err(_) => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) }),
    };
    let mut headers = serde_json::Map::new();
    if let Some(hs) = m.headers() {
        for h in hs.iter() {
            headers.insert(
                h.key.to_string(),
                h.value.map(text).unwrap_or(serde_json::Value::Null),
            );
        }
    }
    let value = match m.payload() {
        None => serde_json::Value::Null,
        Some(p) => match serde_json::from_slice::<&serde_json::value::RawValue>(p) {
            Ok(raw) => serde_json::to_value(raw).unwrap_or_else(|_| text(p)),
            Err(_) => text(p),
        },
    };
    json!({
        "topic": m.topic(),
        "partition": m.partition(),
        "offset": m.offset(),
        "timestamp": m.timestamp().to_millis(),
        "key": m.key().map(text),
        "headers": headers,
        "value": value,
    })
}

fn summary(
    out: &Output,
    asked: SummaryFormat,
    topic: &str,
    ranges: &BTreeMap<i32, Range>,
    (total, filtered, sent): (u64, u64, u64),
    elapsed: Duration,
) {
    let secs = elapsed.as_secs_f64();
    match out.summary_format(asked) {
        SummaryFormat::Json => {
            let partitions: Vec<_> = ranges
                .iter()
                .map(|(p, r)| json!({"partition": p, "start": r.start, "end": r.end, "records": r.read, "bytes": r.bytes}))
                .collect();
            out.json_stderr(&json!({
                "topic": topic,
                "records": total,
                "filtered_out": filtered,
                "sent": sent,
                "elapsed_s": (secs * 1000.0).round() / 1000.0,
                "records_per_s": if secs > 0.0 { (total as f64 / secs).round() } else { 0.0 },
                "partitions": partitions,
            }));
        }
        SummaryFormat::Table => {
            let mut rows: Vec<(String, String)> = ranges
                .iter()
                .map(|(p, r)| {
                    let end = r.end.map_or("follow".to_string(), |e| e.to_string());
                    (
                        format!("partition {p} [{}, {end})", r.start),
                        format!("{} records", r.read),
                    )
                })
                .collect();
            rows.push((
                "total".to_string(),
                format!("{total} records in {}", show_duration(elapsed)),
            ));
            if filtered > 0 {
                rows.push(("filtered out".to_string(), filtered.to_string()));
            }
            if sent > 0 {
                rows.push(("sent".to_string(), sent.to_string()));
            }
            let rows: Vec<(&str, String)> =
                rows.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            out.table(&format!("replay {topic}"), &rows);
        }
        SummaryFormat::Auto | SummaryFormat::None => {}
    }
}
