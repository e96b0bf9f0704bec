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
use serde_json::json;

use crate::cli::SummaryFormat;
use crate::config::{show_duration, Common, ReplayConfig};
use crate::error::{self, Code};
use crate::kafka::{self, Flow, Read, Span};
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

    let spans: Vec<Span> = ranges
        .iter()
        .map(|(&partition, r)| Span {
            partition,
            start: r.start,
            end: r.end,
        })
        .collect();
    let started = Instant::now();
    let mut stdout = out.stdout();
    let mut total = 0u64;
    let idle = (!cfg.follow).then_some(cfg.timeout);
    let outcome = if cfg.count == Some(0) {
        Read::Done
    } else {
        kafka::read_spans(&consumer, topic, &spans, stop, idle, |message| {
            write_record(&mut stdout, message, cfg.envelope)?;
            if let Some(range) = ranges.get_mut(&message.partition()) {
                range.read += 1;
                range.bytes += message.payload_len() as u64;
            }
            total += 1;
            Ok(if cfg.count.is_some_and(|n| total >= n) {
                Flow::Stop
            } else {
                Flow::Continue
            })
        })?
    };
    stdout.flush()?;
    summary(out, cfg.summary, topic, &ranges, total, started.elapsed());
    Ok(match outcome {
        Read::Interrupted => Code::Interrupted,
        Read::Done => Code::Success,
    })
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
