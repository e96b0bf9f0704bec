//! `dualstream replay`: read a topic from an offset or a time up to the end
//! offsets taken at start (or forever with --follow), printing record values
//! byte for byte, or envelopes. Reads with assign(), never a group
//! subscription, so nothing is committed.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use base64::Engine as _;
use rdkafka::consumer::Consumer as _;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;

use crate::cli::SummaryFormat;
use crate::config::{show_duration, Common, ReplayConfig, Start};
use crate::error::{self, Code};
use crate::kafka::{self, Consumer, KafkaSettings};
use crate::output::Output;

/// Where one partition is read from and to.
#[derive(Debug, Clone, Copy)]
struct Range {
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
        let wanted = start_offset(&consumer, &common.kafka, topic, p, cfg, (low, high))?;
        // An explicit offset outside a partition is clamped to it, and said.
        let start = wanted.clamp(low, high);
        if wanted > high {
            past_end.push(format!("{p} ({low}..{high})"));
        } else if wanted < low {
            out.warn(&format!(
                "--from-offset {wanted}: {topic}/{p} starts at {low} (older records are gone); reading from {low}"
            ));
        }
        let end = match (cfg.follow, cfg.to_offset) {
            (true, _) => None,
            (false, Some(to)) => Some(to.clamp(start, high)),
            (false, None) => Some(high),
        };
        ranges.insert(
            p,
            Range {
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

    let mut tpl = TopicPartitionList::new();
    for (&p, r) in &ranges {
        if r.end.is_none_or(|end| r.start < end) {
            tpl.add_partition_offset(topic, p, Offset::Offset(r.start))
                .map_err(|e| error::kafka(format!("kafka: {e}")))?;
        }
    }
    let started = Instant::now();
    let mut stdout = out.stdout();
    let mut remaining = tpl.count();
    let mut total = 0u64;
    let mut interrupted = false;
    if remaining > 0 && cfg.count != Some(0) {
        consumer
            .assign(&tpl)
            .map_err(|e| error::kafka(format!("kafka: assign: {e}")))?;
        let mut last_progress = Instant::now();
        while remaining > 0 {
            if stop.load(Ordering::SeqCst) {
                interrupted = true;
                break;
            }
            let Some(message) = consumer.poll(Duration::from_millis(100)) else {
                if last_progress.elapsed() > cfg.timeout && !cfg.follow {
                    return Err(error::kafka(format!(
                        "kafka: no records for {} while {} partitions were unfinished",
                        show_duration(last_progress.elapsed()),
                        remaining
                    )));
                }
                continue;
            };
            let message = message.map_err(|e| error::kafka(format!("kafka: {e}")))?;
            last_progress = Instant::now();
            let p = message.partition();
            let Some(range) = ranges.get_mut(&p) else {
                continue;
            };
            if range.end.is_some_and(|end| message.offset() >= end) {
                continue;
            }
            write_record(&mut stdout, &message, cfg.envelope)?;
            range.read += 1;
            range.bytes += message.payload_len() as u64;
            total += 1;
            if cfg.count.is_some_and(|n| total >= n) {
                break;
            }
            // Stop a partition on its position, not on seeing end-1: offsets
            // can skip (control records, compaction).
            if range.end.is_some_and(|end| message.offset() + 1 >= end) {
                remaining -= 1;
                let mut done = TopicPartitionList::new();
                let _ = done.add_partition(topic, p);
                let _ = consumer.incremental_unassign(&done);
            }
        }
    }
    stdout.flush()?;
    summary(out, cfg.summary, topic, &ranges, total, started.elapsed());
    Ok(if interrupted {
        Code::Interrupted
    } else {
        Code::Success
    })
}

/// The first offset to read in one partition, checked against its bounds.
fn start_offset(
    consumer: &Consumer,
    settings: &KafkaSettings,
    topic: &str,
    p: i32,
    cfg: &ReplayConfig,
    (low, high): (i64, i64),
) -> Result<i64> {
    match cfg.start {
        Start::Beginning => Ok(low),
        Start::End => Ok(high),
        Start::Offset(n) if n < 0 => Ok((high + n).max(low)),
        Start::Offset(n) => Ok(n),
        Start::Time(ms) => {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(topic, p, Offset::Offset(ms))
                .map_err(|e| error::kafka(format!("kafka: {e}")))?;
            let answer = consumer.offsets_for_times(tpl, cfg.timeout).map_err(|e| {
                error::kafka(format!("kafka: offsets for time in {topic}/{p}: {e}"))
            })?;
            let offset = answer
                .find_partition(topic, p)
                .map(|e| e.offset())
                .unwrap_or(Offset::End);
            let found = match offset {
                Offset::Offset(o) => o.clamp(low, high),
                _ => high,
            };
            // Tansu (sqlite) answers 0 instead of the end for a time after
            // the last record: check the answer against that record's time.
            if high > low && found < high {
                if let Some(last) = timestamp_at(settings, topic, p, high - 1, cfg.timeout)? {
                    if ms > last {
                        return Ok(high);
                    }
                }
            }
            Ok(found)
        }
    }
}

/// The timestamp of the record at `offset`, read with a consumer of its own.
fn timestamp_at(
    settings: &KafkaSettings,
    topic: &str,
    p: i32,
    offset: i64,
    timeout: Duration,
) -> Result<Option<i64>> {
    let peek = kafka::consumer(settings, None)?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, p, Offset::Offset(offset))
        .map_err(|e| error::kafka(format!("kafka: {e}")))?;
    peek.assign(&tpl)
        .map_err(|e| error::kafka(format!("kafka: assign: {e}")))?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(m) = peek.poll(Duration::from_millis(100)) {
            let m =
                m.map_err(|e| error::kafka(format!("kafka: reading {topic}/{p}@{offset}: {e}")))?;
            if m.offset() >= offset {
                return Ok(m.timestamp().to_millis());
            }
        }
    }
    Err(error::kafka(format!(
        "kafka: no record at {topic}/{p}@{offset} within {}",
        show_duration(timeout)
    )))
}

fn write_record(w: &mut impl Write, m: &BorrowedMessage<'_>, envelope: bool) -> Result<()> {
    if !envelope {
        w.write_all(m.payload().unwrap_or_default())?;
        w.write_all(b"\n")?;
        return Ok(());
    }
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
    let line = json!({
        "topic": m.topic(),
        "partition": m.partition(),
        "offset": m.offset(),
        "timestamp": m.timestamp().to_millis(),
        "key": m.key().map(text),
        "headers": headers,
        "value": value,
    });
    serde_json::to_writer(&mut *w, &line)?;
    w.write_all(b"\n")?;
    Ok(())
}

fn summary(
    out: &Output,
    asked: SummaryFormat,
    topic: &str,
    ranges: &BTreeMap<i32, Range>,
    total: u64,
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
            let rows: Vec<(&str, String)> =
                rows.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            out.table(&format!("replay {topic}"), &rows);
        }
        SummaryFormat::Auto | SummaryFormat::None => {}
    }
}
