//! `dualstream replay`: read a topic from an offset or a time up to the end
//! offsets taken at start (or forever with --follow), and hand each record
//! to a sink: stdout (values byte for byte, envelopes, CSV), Redis
//! (re-sent notifications) or another topic (a copy). Reads with assign(),
//! nothing committed, unless --group. --expect stops the read once the
//! expected records were read; --wait bounds --follow.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::kafka::Message;
use anyhow::Result;

use crate::config::{Common, Expect, ReplayConfig, ReplaySink};
use crate::duration::{show_duration, show_time};
use crate::error::{self, Code};
use crate::event::Event;
use crate::kafka::config::Commits;
use crate::kafka::read::{self, Confirmed, Flow, Planned, Polled, Read, Start};
use crate::kafka::{self, admin, record, Consumer};
use crate::output::expect;
use crate::output::summary::{Ending, Note, ReplayCounts, ReplayPartition, Summary, TxnCounts};
use crate::output::{plural, Output, Progress, Unit};
use crate::select::View;
use crate::shutdown::Shutdown;
use bridge::Bridge;
use sink::{PrintSink, RecordSink, RedisSink, TopicSink, TxnSink};

mod bridge;
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
    if let ReplaySink::Redis { target, .. } = &cfg.sink {
        // Required here: fail now, before reading anything, if Redis is not there.
        if let Err(e) = shutdown
            .or_interrupted(async { target.check(cfg.timeout).await })
            .await
        {
            return Ending::bare(Err(e));
        }
    }
    let out = out.clone();
    let shutdown = shutdown.clone();
    match Bridge::run(move |bridge| replay(&common, &cfg, expect, &out, &shutdown, bridge)).await {
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
    bridge: Bridge,
) -> Ending {
    let mut ranges = BTreeMap::new();
    let started = Instant::now();
    let mut counts = Handed::default();
    let run = Replayer {
        common,
        cfg,
        out,
        shutdown,
    };
    let txns = RefCell::new(TxnCounts::default());
    let state = (&mut ranges, &mut counts, &mut expect);
    // The one place a sink is chosen.
    let result = match &cfg.sink {
        ReplaySink::Stdout(format) => read_all(&run, state, |_| {
            Ok(PrintSink::open(format.clone(), cfg.stop.follow, out))
        }),
        ReplaySink::Redis {
            target,
            channel,
            rate,
        } => read_all(&run, state, |_| {
            Ok(RedisSink::open(
                (target, channel, *rate),
                cfg.timeout,
                out,
                bridge,
            ))
        }),
        ReplaySink::Topic(copy) => match (&cfg.exactly_once, &cfg.group) {
            (Some(eos), Some(group)) => read_all(&run, state, |member| {
                let member = member.ok_or_else(|| error::usage("--exactly-once needs --group"))?;
                TxnSink::open(
                    (copy, eos),
                    (group, &common.topic),
                    member,
                    (cfg.timeout, bridge),
                    (&txns, out.warner()),
                )
            }),
            _ => read_all(&run, state, |_| TopicSink::open(copy, cfg.timeout, bridge)),
        },
    };
    let (mut result, sent, mut notes) = match result {
        Ok((outcome, sent, notes)) => (
            Ok(match (outcome, counts.waited_out) {
                (Read::Interrupted, _) => Code::Interrupted,
                (Read::Done, Some(wait)) if cfg.count.is_some_and(|n| counts.total < n) => {
                    notes_timeout(cfg.count, wait, counts.total, out);
                    Code::Timeout
                }
                (Read::Done, Some(_)) if expect.is_some() => Code::Timeout,
                (Read::Done, _) => Code::Success,
            }),
            sent,
            notes,
        ),
        Err(e) => (Err(e), 0, Vec::new()),
    };
    if let Some(x) = &expect {
        let suite = format!("dualstream replay {}", common.topic);
        expect::conclude(
            &x.expectations,
            x.once,
            cfg.junit.as_deref().map(|p| (p, suite.as_str())),
            started.elapsed(),
            (&mut result, &mut notes),
        );
    }
    let txns = cfg.exactly_once.is_some().then(|| txns.into_inner());
    let summary = (!ranges.is_empty() || result.is_ok() || expect.is_some()).then(|| {
        summary(
            cfg,
            &common.topic,
            &ranges,
            (counts.total, counts.filtered, sent),
            (expect.as_ref(), txns.as_ref()),
            started.elapsed(),
        )
    });
    Ending {
        summary,
        notes,
        result,
    }
}

/// What the read handed on, left out, and the --wait that ran out.
#[derive(Default)]
struct Handed {
    total: u64,
    filtered: u64,
    waited_out: Option<Duration>,
}

fn notes_timeout(count: Option<u64>, wait: Duration, total: u64, out: &Output) {
    if let Some(n) = count {
        out.info(&format!(
            "--wait: {total} of {n} records arrived within {}",
            show_duration(wait)
        ));
    }
}

/// What every read of a run shares, whatever its sink.
struct Replayer<'a> {
    common: &'a Common,
    cfg: &'a ReplayConfig,
    out: &'a Output,
    shutdown: &'a Shutdown,
}

/// What a read fills in for the summary: per partition, the counts, the
/// expectations.
type Tally<'r> = (
    &'r mut BTreeMap<i32, Range>,
    &'r mut Handed,
    &'r mut Option<Expect>,
);

/// Plan, read and sink (opened by `open` once the plan is made); returns
/// how the read ended, how many the sink sent, and notes for after the
/// summary.
fn read_all<S: RecordSink>(
    run: &Replayer<'_>,
    (ranges, counts, expect): Tally<'_>,
    open: impl FnOnce(Option<&Arc<Consumer>>) -> Result<S>,
) -> Result<(Read, u64, Vec<Note>)> {
    let Replayer {
        common,
        cfg,
        out,
        shutdown,
    } = *run;
    let stop = shutdown.flag();
    let consumer = kafka::config::consumer(&common.kafka, None)?;
    let topic = common.topic.as_str();
    let connecting = out.connecting(&common.kafka.shown());
    let all = admin::partitions(&consumer, &common.kafka, topic, cfg.timeout);
    drop(connecting);
    let all = all?;
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
    let mut why = Vec::new();
    if !cfg.stop.follow && cfg.count != Some(0) {
        let what = match &cfg.partitions {
            Some(ps) => format!(
                "partition {} of {topic}",
                ps.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            ),
            None => format!("topic {topic}"),
        };
        if plan.values().all(|r| r.high <= r.low) {
            why.push(Note::Why(format!(
                "{what} holds no records: nothing to read (publish to it first, or add --follow to wait)"
            )));
        } else if planned_total == 0 && cfg.group.is_none() && cfg.last.is_none() {
            why.extend(empty_plan(run, &plan, &what).map(Note::Why));
        }
    }
    // A group member reads only its share: no total to show.
    let progress = out.progress(
        (!cfg.stop.follow && cfg.group.is_none()).then_some(planned_total),
        cfg.progress,
        Unit::Records,
        matches!(cfg.sink, ReplaySink::Stdout(_)),
    );
    let mut confirmed = match (&cfg.group, &cfg.exactly_once) {
        (Some(_), Some(_)) => Confirmed::transactional(),
        (Some(_), None) => Confirmed::tracking(),
        (None, _) => Confirmed::default(),
    };
    // The member exists before the sink: an exactly-once sink commits the
    // group's offsets under the member's group metadata.
    let commits = match cfg.exactly_once {
        Some(_) => Commits::InTransactions,
        None => Commits::Stored,
    };
    let member = match &cfg.group {
        Some(group) if cfg.count != Some(0) => Some(Arc::new(kafka::config::group_consumer(
            &common.kafka,
            group,
            cfg.start == Start::End,
            commits,
        )?)),
        _ => None,
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
        sink: open(member.as_ref())?,
        progress,
        ranges,
        counts,
        expect,
        deadline: cfg.wait.map(|w| (Instant::now() + w, w)),
        in_group,
        needs_body,
    };
    let outcome = if cfg.count == Some(0) {
        Ok(Read::Done)
    } else if let (Some(group), Some(member)) = (&cfg.group, &member) {
        read::read_group(
            member,
            (group, topic),
            (!cfg.stop.follow).then_some(&ends),
            cfg.timeout,
            stop,
            &mut confirmed,
            |polled, confirmed| handler.polled(polled, confirmed),
        )
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
        outcome
    };
    let Handler {
        sink,
        mut progress,
        counts,
        ranges,
        ..
    } = handler;
    progress.finish();
    let read_none = matches!(outcome, Ok(Read::Done)) && counts.total == 0 && why.is_empty();
    if read_none && counts.filtered > 0 {
        why.push(Note::Why(format!(
            "{} read, none matched --filter",
            plural(counts.filtered, "record")
        )));
    } else if read_none && !cfg.stop.follow && ranges.values().all(|r| r.read == 0) {
        if let Some(group) = &cfg.group {
            why.push(Note::Why(format!(
                "group {group} is already at the end of {topic}: its committed offsets are past every record (another --group, or no --group, reads them again)"
            )));
        }
    }
    // Finish the sink even when reading failed: what it confirms, a group
    // commits; nothing past the first unconfirmed record.
    let finished = sink.finish(&mut confirmed, shutdown);
    // The sink is gone, and its share of the member with it.
    let mut commit_failed = None;
    if let Some(member) = member.and_then(|m| Arc::try_unwrap(m).ok()) {
        // A read that failed (the cluster gone) already waited --timeout:
        // the final commit gets a short grace, not another --timeout.
        let grace = match &outcome {
            Ok(_) => cfg.timeout,
            Err(_) => cfg.timeout.min(FAILED_CLOSE),
        };
        let group = cfg.group.as_deref().unwrap_or_default();
        let closed = read::commit_and_close(member, (group, topic), &mut confirmed, grace);
        match (&outcome, closed) {
            // The read's own failure is the run's error; this one is said.
            (Err(_), Err(e)) => out.warn(&format!("{e:#}")),
            (Ok(Read::Interrupted), Err(e)) => out.warn(&format!("{e:#}")),
            (_, Err(e)) => commit_failed = Some(e),
            (_, Ok(())) => {}
        }
    }
    // The reading (or planning) consumer commits nothing: librdkafka may
    // take its time to stop its threads (about 100 ms), on a thread of its
    // own, which the process does not wait for at exit.
    std::thread::spawn(move || drop(consumer));
    let outcome = outcome?;
    let (sent, mut notes) = finished?;
    if let Some(e) = commit_failed {
        return Err(e);
    }
    notes.extend(why);
    Ok((outcome, sent, notes))
}

/// Why a bounded read of records that exist can only be empty: --from-end
/// without --follow, or a time window beside the data (with the newest or
/// oldest record's time, read from the topic).
fn empty_plan(run: &Replayer<'_>, plan: &BTreeMap<i32, Planned>, what: &str) -> Option<String> {
    let cfg = run.cfg;
    if cfg.start == Start::End {
        return Some(
            "--from-end without --follow reads nothing: it starts at the end offsets taken now (add --follow to wait for new records, or --last N for the newest)".to_string(),
        );
    }
    let from = match cfg.start {
        Start::Time(t) => Some(t),
        _ => None,
    };
    let to = cfg.stop.to_time;
    if from.is_none() && to.is_none() {
        return None;
    }
    let bounds: Vec<(i32, i64, i64)> = plan.iter().map(|(&p, r)| (p, r.low, r.high)).collect();
    let edges = read::edge_times(
        &run.common.kafka,
        &run.common.topic,
        &bounds,
        (run.shutdown.flag(), cfg.timeout),
    );
    let (oldest, newest) = edges.unwrap_or((None, None));
    let stamps = "record timestamps are the events' times, not when they were published";
    Some(match (from, to, oldest, newest) {
        (Some(f), _, _, Some(n)) if f > n => format!(
            "--from-time {} is after the newest record of {what} ({}; {stamps}): nothing to read",
            show_time(f),
            show_time(n)
        ),
        (_, Some(t), Some(o), _) if t <= o => format!(
            "--to-time {} is before the oldest record of {what} ({}; {stamps}): nothing to read",
            show_time(t),
            show_time(o)
        ),
        (f, t, o, n) => {
            let span = |v: Option<i64>| v.map_or("?".to_string(), show_time);
            format!(
                "no record of {what} in the window {} .. {} (its records run from {} to {})",
                f.map_or("the beginning".to_string(), show_time),
                t.map_or("the end".to_string(), show_time),
                span(o),
                span(n)
            )
        }
    })
}

/// How long a group member whose read failed may take to commit and leave.
const FAILED_CLOSE: Duration = Duration::from_secs(2);

/// What happens to each record read: counted, selected, handed to the
/// sink, held against the expectations and the deadline.
struct Handler<'a, 'r, S> {
    cfg: &'a ReplayConfig,
    topic: &'a str,
    out: &'a Output,
    sink: S,
    progress: Progress,
    ranges: &'r mut BTreeMap<i32, Range>,
    counts: &'r mut Handed,
    expect: &'r mut Option<Expect>,
    /// --wait: when it runs out, and how long it was.
    deadline: Option<(Instant, Duration)>,
    in_group: bool,
    /// A filter or an expectation looks into the value.
    needs_body: bool,
}

impl<S: RecordSink> Handler<'_, '_, S> {
    fn polled(&mut self, polled: Polled<'_, '_>, confirmed: &mut Confirmed) -> Result<Flow> {
        if let Some((at, wait)) = self.deadline {
            if Instant::now() >= at {
                self.counts.waited_out = Some(wait);
                return Ok(Flow::Stop);
            }
        }
        match polled {
            Polled::Record(m) => {
                self.advance(m);
                self.record(m, confirmed)
            }
            // Nothing waiting: what was printed must be seen now (--follow),
            // and what the sink confirmed can be committed.
            Polled::Idle => {
                self.progress.idle();
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
        let event = if !selecting && !S::NEEDS_EVENT {
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
    (expect, transactions): (Option<&Expect>, Option<&TxnCounts>),
    elapsed: Duration,
) -> Summary {
    let counts = ReplayCounts {
        topic,
        partitions: ranges
            .iter()
            .map(|(&partition, r)| ReplayPartition {
                partition,
                start: r.start,
                end: r.planned.end,
                records: r.read,
                bytes: r.bytes,
            })
            .collect(),
        records: total,
        filtered_out: filtered,
        sent,
        expect: expect.map(|x| &x.expectations),
        elapsed,
        transactions,
    };
    Summary::replay(&cfg.summary, &counts)
}
