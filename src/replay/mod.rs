//! `dualstream replay`: read a topic from an offset or a time up to the end
//! offsets taken at start (or forever with --follow), and hand each record
//! to a sink: stdout (values byte for byte, envelopes, CSV), Redis
//! (re-sent notifications) or another topic (a copy). Reads with assign(),
//! nothing committed, unless --group. --expect stops the read once the
//! expected records were read; --wait bounds --follow.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Result;
use rdkafka::message::Message;
use serde_json::json;
use tokio::runtime::Handle;

use crate::config::{Common, Expect, ReplayConfig, ReplaySink};
use crate::duration::show_duration;
use crate::error::{self, Code};
use crate::event::Event;
use crate::kafka::read::{self, Confirmed, Flow, Planned, Polled, Read, Start};
use crate::kafka::{admin, config as kafka_config, record};
use crate::output::expect as verdict;
use crate::output::summary::{round3, Ending, Note, Summary};
use crate::output::{Output, Progress, Unit};
use crate::select::View;
use crate::shutdown::Shutdown;
use sink::Sink;

mod sink;

/// What was read from one partition.
#[derive(Debug, Clone, Copy)]
struct Range {
    planned: Planned,
    /// Where reading started (a group member: where the group left off).
    start: i64,
    read: u64,
    bytes: u64,
}

pub async fn run(
    common: Common,
    mut cfg: ReplayConfig,
    out: &Output,
    shutdown: &Shutdown,
) -> Ending {
    let expect = cfg.expect.take();
    if let ReplaySink::Redis { .. } = cfg.sink {
        // Required here: fail now, before reading anything, if Redis is not there.
        if let Some(target) = &common.redis {
            if let Err(e) = shutdown
                .or_interrupted(async { target.check(cfg.timeout).await })
                .await
            {
                return Ending::bare(Err(e));
            }
        }
    }
    let out = out.clone();
    let shutdown = shutdown.clone();
    let handle = Handle::current();
    match tokio::task::spawn_blocking(move || {
        replay(&common, &cfg, expect, &out, &shutdown, handle)
    })
    .await
    {
        Ok(ending) => ending,
        Err(e) => Ending::bare(Err(anyhow::Error::new(e).context("replay thread"))),
    }
}

fn replay(
    common: &Common,
    cfg: &ReplayConfig,
    mut expect: Option<Expect>,
    out: &Output,
    shutdown: &Shutdown,
    handle: Handle,
) -> Ending {
    let mut ranges = BTreeMap::new();
    let started = Instant::now();
    let mut counts = Counts::default();
    let result = read_all(
        common,
        cfg,
        out,
        shutdown,
        handle,
        &mut ranges,
        (&mut counts, &mut expect),
    );
    let (mut result, sent, mut notes) = match result {
        Ok((outcome, sent, notes)) => (
            Ok(match outcome {
                Read::Interrupted => Code::Interrupted,
                Read::Done if counts.waited_out && cfg.count.is_some_and(|n| counts.total < n) => {
                    notes_timeout(cfg, counts.total, out);
                    Code::Timeout
                }
                Read::Done if counts.waited_out && expect.is_some() => Code::Timeout,
                Read::Done => Code::Success,
            }),
            sent,
            notes,
        ),
        Err(e) => (Err(e), 0, Vec::new()),
    };
    if let Some(x) = &expect {
        let suite = format!("dualstream replay {}", common.topic);
        verdict::conclude(
            &x.expectations,
            x.once,
            cfg.junit.as_deref().map(|p| (p, suite.as_str())),
            started.elapsed(),
            (&mut result, &mut notes),
        );
    }
    let summary = (!ranges.is_empty() || result.is_ok() || expect.is_some()).then(|| {
        summary(
            cfg,
            &common.topic,
            &ranges,
            (counts.total, counts.filtered, sent),
            expect.as_ref(),
            started.elapsed(),
        )
    });
    Ending {
        summary,
        notes,
        result,
    }
}

/// What the read handed on, left out, and whether --wait ran out.
#[derive(Default)]
struct Counts {
    total: u64,
    filtered: u64,
    waited_out: bool,
}

fn notes_timeout(cfg: &ReplayConfig, total: u64, out: &Output) {
    if let (Some(n), Some(wait)) = (cfg.count, cfg.wait) {
        out.info(&format!(
            "--wait: {total} of {n} records arrived within {}",
            show_duration(wait)
        ));
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
    (counts, expect): (&mut Counts, &mut Option<Expect>),
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
    let progress = out.progress(
        (!cfg.stop.follow && cfg.group.is_none()).then_some(planned_total),
        cfg.progress,
        Unit::Records,
    );
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
    let needs_body =
        cfg.filter.needs_body() || expect.as_ref().is_some_and(|x| x.expectations.needs_body());
    let mut handler = Handler {
        cfg,
        topic,
        out,
        sink: Sink::open(cfg, common, out, handle)?,
        progress,
        ranges,
        counts,
        expect,
        deadline: cfg.wait.map(|w| Instant::now() + w),
        in_group,
        needs_body,
    };
    let (outcome, member) = if cfg.count == Some(0) {
        (Ok(Read::Done), None)
    } else if let Some(group) = &cfg.group {
        let member = kafka_config::group_consumer(&common.kafka, group, cfg.start == Start::End)?;
        let outcome = read::read_group(
            &member,
            (group, topic),
            (!cfg.stop.follow).then_some(&ends),
            cfg.timeout,
            stop,
            &mut confirmed,
            |polled, confirmed| handler.polled(polled, confirmed),
        );
        (outcome, Some(member))
    } else {
        let mut untracked = Confirmed::default();
        let mut outcome = Ok(Read::Done);
        if let Some(n) = cfg.last {
            outcome = handler.last(common, &plan, n, (stop, cfg.timeout), &mut untracked);
        }
        if matches!(outcome, Ok(Read::Done)) && (cfg.last.is_none() || cfg.stop.follow) {
            // Following the whole topic: partitions added meanwhile are read too.
            let grow = cfg.stop.follow && cfg.partitions.is_none();
            outcome = read::read_spans(&consumer, topic, &spans, stop, (idle, grow), |polled| {
                handler.polled(polled, &mut untracked)
            });
        }
        (outcome, None)
    };
    let Handler {
        sink, mut progress, ..
    } = handler;
    progress.finish();
    // Finish the sink even when reading failed: what it confirms, a group
    // commits; nothing past the first unconfirmed record.
    let finished = sink.finish(&mut confirmed, shutdown);
    if let Some(member) = member {
        // A read that failed (the cluster gone) already waited --timeout:
        // the final commit gets a short grace, not another --timeout.
        let grace = match &outcome {
            Ok(_) => cfg.timeout,
            Err(_) => cfg.timeout.min(FAILED_CLOSE),
        };
        read::commit_and_close(member, topic, &mut confirmed, grace);
    }
    // The reading (or planning) consumer commits nothing: librdkafka may
    // take its time to stop its threads (about 100 ms), on a thread of its
    // own, which the process does not wait for at exit.
    std::thread::spawn(move || drop(consumer));
    let outcome = outcome?;
    let (sent, notes) = finished?;
    Ok((outcome, sent, notes))
}

/// How long a group member whose read failed may take to commit and leave.
const FAILED_CLOSE: Duration = Duration::from_secs(2);

/// What happens to each record read: counted, selected, handed to the
/// sink, held against the expectations and the deadline.
struct Handler<'a, 'r> {
    cfg: &'a ReplayConfig,
    topic: &'a str,
    out: &'a Output,
    sink: Sink<'a>,
    progress: Progress,
    ranges: &'r mut BTreeMap<i32, Range>,
    counts: &'r mut Counts,
    expect: &'r mut Option<Expect>,
    deadline: Option<Instant>,
    in_group: bool,
    /// A filter or an expectation looks into the value.
    needs_body: bool,
}

impl Handler<'_, '_> {
    fn polled(&mut self, polled: Polled<'_, '_>, confirmed: &mut Confirmed) -> Result<Flow> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.counts.waited_out = true;
            return Ok(Flow::Stop);
        }
        match polled {
            Polled::Record(m) => {
                self.advance(m);
                self.record(m, confirmed)
            }
            // Nothing waiting: what was printed must be seen now (--follow),
            // and what the sink confirmed can be committed.
            Polled::Idle => {
                self.sink.idle(confirmed)?;
                Ok(Flow::Continue)
            }
            Polled::Grew(added) => {
                let shown: Vec<String> = added.iter().map(i32::to_string).collect();
                self.out.info(&format!(
                    "{} grew: reading its new partition {} from the start",
                    self.topic,
                    shown.join(", ")
                ));
                for &p in added {
                    let planned = Planned {
                        low: 0,
                        high: 0,
                        wanted: 0,
                        start: 0,
                        end: None,
                    };
                    self.ranges.entry(p).or_insert(Range {
                        planned,
                        start: 0,
                        read: 0,
                        bytes: 0,
                    });
                }
                Ok(Flow::Continue)
            }
        }
    }

    /// The progress bar and the per-partition counts: every record read.
    fn advance(&mut self, m: &impl Message) {
        let len = m.payload().map_or(0, <[u8]>::len) as u64;
        self.progress.advance(1, len);
        if let Some(range) = self.ranges.get_mut(&m.partition()) {
            if self.in_group && range.read == 0 {
                // A group member starts where the group left off.
                range.start = m.offset();
            }
            range.read += 1;
            range.bytes += len;
        }
    }

    fn record<M: Message>(&mut self, m: &M, confirmed: &mut Confirmed) -> Result<Flow> {
        let selecting = !self.cfg.filter.is_empty() || self.expect.is_some();
        let event = if !selecting && !self.sink.needs_event() {
            None
        } else {
            record::record_event(m)
        };
        let (wanted, body) = select(self.cfg, self.needs_body, m, event.as_ref());
        if !wanted {
            self.counts.filtered += 1;
            confirmed.skipped(m.partition(), m.offset());
            return Ok(Flow::Continue);
        }
        self.sink.take(m, event.as_ref(), confirmed)?;
        self.counts.total += 1;
        let met_all = self.expect.as_mut().is_some_and(|x| {
            x.expectations.observe(&view(event.as_ref(), body.as_ref()));
            x.expectations.all_met()
        });
        Ok(
            if met_all || self.cfg.count.is_some_and(|n| self.counts.total >= n) {
                Flow::Stop
            } else {
                Flow::Continue
            },
        )
    }

    /// --last N: find the newest N wanted records, then hand them on
    /// oldest first.
    fn last(
        &mut self,
        common: &Common,
        plan: &BTreeMap<i32, Planned>,
        n: u64,
        (stop, idle): (&AtomicBool, Duration),
        confirmed: &mut Confirmed,
    ) -> Result<Read> {
        let bounds: Vec<(i32, i64, i64)> = plan.iter().map(|(&p, r)| (p, r.low, r.high)).collect();
        let mut scanned = 0u64;
        let (cfg, needs_body, progress) = (self.cfg, self.needs_body, &mut self.progress);
        let found = read::read_last(
            &common.kafka,
            &common.topic,
            &bounds,
            n,
            (stop, idle),
            |m| {
                let event = (!cfg.filter.is_empty())
                    .then(|| record::record_event(m))
                    .flatten();
                select(cfg, needs_body, m, event.as_ref()).0
            },
            |m| {
                scanned += 1;
                progress.advance(1, m.payload_len() as u64);
            },
        )?;
        let Some(found) = found else {
            return Ok(Read::Interrupted);
        };
        for m in &found {
            if let Some(range) = self.ranges.get_mut(&m.partition()) {
                range.start = range.start.min(m.offset());
                range.read += 1;
                range.bytes += m.payload().map_or(0, <[u8]>::len) as u64;
            }
            if let Flow::Stop = self.record(m, confirmed)? {
                return Ok(Read::Done);
            }
        }
        tracing::info!("--last {n}: scanned {scanned} records for {}", found.len());
        self.sink.idle(confirmed)?;
        Ok(Read::Done)
    }
}

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// Whether --filter wants the record, and the value parsed when a filter or
/// an expectation looks into it.
fn select<M: Message>(
    cfg: &ReplayConfig,
    needs_body: bool,
    m: &M,
    event: Option<&Event>,
) -> (bool, Option<JsonObject>) {
    let body = needs_body
        .then(|| m.payload())
        .flatten()
        .and_then(|v| serde_json::from_slice::<JsonObject>(v).ok());
    let wanted = cfg.filter.matches(&view(event, body.as_ref()));
    (wanted, body)
}

/// What a filter or expectation sees of a record.
fn view<'a>(event: Option<&'a Event>, body: Option<&'a JsonObject>) -> View<'a> {
    View {
        id: event.map(|e| e.id.as_str()),
        kind: event.map(|e| e.kind.as_str()),
        source_type: event.map(|e| e.source_type.as_str()),
        source_id: event.map(|e| e.source_id.as_str()),
        body,
    }
}

fn summary(
    cfg: &ReplayConfig,
    topic: &str,
    ranges: &BTreeMap<i32, Range>,
    (total, filtered, sent): (u64, u64, u64),
    expect: Option<&Expect>,
    elapsed: Duration,
) -> Summary {
    let secs = elapsed.as_secs_f64();
    let partitions: Vec<_> = ranges
        .iter()
        .map(|(p, r)| json!({"partition": p, "start": r.start, "end": r.planned.end, "records": r.read, "bytes": r.bytes}))
        .collect();
    let mut json = json!({
        "topic": topic,
        "records": total,
        "filtered_out": filtered,
        "sent": sent,
        "elapsed_s": round3(secs),
        "records_per_s": if secs > 0.0 { (total as f64 / secs).round() } else { 0.0 },
        "partitions": partitions,
    });
    if let Some(x) = expect {
        json["expect"] = x.expectations.to_json();
    }
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
    if let Some(x) = expect {
        let (key, value) = verdict::met_row(&x.expectations);
        summary.row(key, value);
    }
    summary
}
