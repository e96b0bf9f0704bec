//! The one summary type, and every command's summary in it. A command
//! hands over what it counted (plain numbers: [`PublishCounts`],
//! [`ReplayCounts`], [`TailCounts`]); the shape of its JSON document and the
//! rows of its table are decided here. It returns the [`Summary`] in an
//! [`Ending`]; `main` hands that to [`Output::end`], which prints the
//! summary on stderr as a table or JSON, then the notes that belong after it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use comfy_table::{Cell, CellAlignment, Table};
use serde_json::json;

use super::{plural, Output};
use crate::duration::show_duration;
use crate::error::Code;
use crate::select::Expectations;

/// Which summary to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryKind {
    /// A table on a terminal, nothing on a pipe (or with -q).
    Auto,
    Table,
    Json,
    None,
}

/// Where a summary goes: a format on stderr, and with `--summary
/// json=FILE` its JSON document to a file too, apart from any warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryTo {
    pub kind: SummaryKind,
    pub file: Option<PathBuf>,
}

/// The end-of-run summary of a command.
pub struct Summary {
    format: SummaryKind,
    file: Option<PathBuf>,
    title: String,
    json: serde_json::Value,
    rows: Vec<(String, String)>,
}

impl Summary {
    /// A summary titled `title` (the table's header) whose JSON form is `json`.
    fn new(to: &SummaryTo, title: impl Into<String>, json: serde_json::Value) -> Summary {
        Summary {
            format: to.kind,
            file: to.file.clone(),
            title: title.into(),
            json,
            rows: Vec::new(),
        }
    }

    /// Add a row to the table form.
    fn row(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.rows.push((key.into(), value.into()));
    }
}

/// A line printed after the summary.
pub enum Note {
    Warn(String),
    Info(String),
    /// Why a result is empty (`note: …`).
    Why(String),
}

/// How a command ended: its result (an exit code, or an error that carries
/// one), the summary to print first, and notes to print after it.
pub struct Ending {
    pub summary: Option<Summary>,
    pub notes: Vec<Note>,
    pub result: Result<Code>,
}

impl Ending {
    /// An ending with nothing to print but the result.
    pub fn bare(result: Result<Code>) -> Ending {
        Ending {
            summary: None,
            notes: Vec::new(),
            result,
        }
    }
}

/// Rounded to three decimals, for JSON summaries.
fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// What `publish` counted.
pub struct PublishCounts<'a> {
    pub topic: &'a str,
    pub read: u64,
    /// Left out by --skip-lines.
    pub skipped: u64,
    pub invalid: u64,
    pub acknowledged: u64,
    /// Not acknowledged: refused or without a delivery report.
    pub failed: u64,
    /// Valid events never handed to Kafka (the run stopped first).
    pub unsent: u64,
    /// Notified and failed on Redis; `None` with `--redis off`.
    pub redis: Option<(u64, u64)>,
    pub elapsed: Duration,
    /// Input bytes read.
    pub bytes: u64,
    /// Acknowledgement latency p50 and p99, in milliseconds.
    pub latency_ms: (Option<f64>, Option<f64>),
    /// Failed deliveries by reason.
    pub failures: &'a BTreeMap<String, u64>,
    /// Where a rerun should start (`file:line`), when the run stopped early.
    pub resume_from: Option<String>,
    /// The librdkafka properties that lowered durability.
    pub lowered: &'a [String],
    /// Per partition, the offsets `[from, to)` whose notifications failed.
    pub repair: &'a [(i32, i64, i64)],
}

/// One partition a replay read.
pub struct ReplayPartition {
    pub partition: i32,
    pub start: i64,
    /// Exclusive; `None` when following.
    pub end: Option<i64>,
    pub records: u64,
    pub bytes: u64,
}

/// What `replay` counted.
pub struct ReplayCounts<'a> {
    pub topic: &'a str,
    pub partitions: Vec<ReplayPartition>,
    pub records: u64,
    pub filtered_out: u64,
    /// Sent to Redis or copied to a topic.
    pub sent: u64,
    pub expect: Option<&'a Expectations>,
    pub elapsed: Duration,
    /// `--exactly-once`: the transactions.
    pub transactions: Option<&'a TxnCounts>,
}

/// What an exactly-once copy's transactions did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnCounts {
    pub committed: u64,
    pub aborted: u64,
    /// Records whose copies were committed.
    pub copied: u64,
    /// The group's position this run committed, per partition of the source:
    /// the next record to read.
    pub positions: BTreeMap<i32, i64>,
}

impl TxnCounts {
    /// A transaction committed the group's offset `next` for `partition`.
    pub fn position(&mut self, partition: i32, next: i64) {
        self.positions.insert(partition, next);
    }
}

/// What `tail` counted.
pub struct TailCounts<'a> {
    pub printed: u64,
    pub filtered_out: u64,
    pub dropped: u64,
    pub expect: Option<&'a Expectations>,
}

impl Summary {
    /// `publish → TOPIC`.
    pub fn publish(format: &SummaryTo, c: &PublishCounts) -> Summary {
        let elapsed = c.elapsed.as_secs_f64();
        let rate = |n: f64| if elapsed > 0.0 { n / elapsed } else { 0.0 };
        let (p50, p99) = c.latency_ms;
        let json = json!({
            "topic": c.topic,
            "read": c.read,
            "skipped": c.skipped,
            "invalid": c.invalid,
            "acknowledged": c.acknowledged,
            "failed": c.failed,
            "unsent": c.unsent,
            "notified": c.redis.map(|r| r.0),
            "redis_failures": c.redis.map(|r| r.1),
            "redis": if c.redis.is_some() { "on" } else { "off" },
            "elapsed_s": round3(elapsed),
            "events_per_s": round3(rate(c.acknowledged as f64)),
            "mb_per_s": round3(rate(c.bytes as f64 / 1e6)),
            "ack_latency_ms": { "p50": p50.map(round3), "p99": p99.map(round3) },
            "failures": c.failures,
            "resume_from": c.resume_from,
            "lowered_durability": c.lowered,
            "redis_repair": c.repair.iter().map(|&(partition, from, to)| json!({
                "partition": partition, "from_offset": from, "to_offset": to,
            })).collect::<Vec<_>>(),
        });
        let mut summary = Summary::new(format, format!("publish → {}", c.topic), json);
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1} ms"));
        summary.row("read", c.read.to_string());
        if c.skipped > 0 {
            summary.row("skipped (--skip-lines)", c.skipped.to_string());
        }
        summary.row("invalid", c.invalid.to_string());
        summary.row("acknowledged by Kafka", c.acknowledged.to_string());
        summary.row("failed", c.failed.to_string());
        if c.unsent > 0 {
            summary.row("not sent", c.unsent.to_string());
        }
        if let Some((notified, failed)) = c.redis {
            summary.row("notified on Redis", notified.to_string());
            summary.row("Redis failures", failed.to_string());
        }
        summary.row("elapsed", format!("{elapsed:.2} s"));
        summary.row("events/s", format!("{:.0}", rate(c.acknowledged as f64)));
        summary.row("MB/s", format!("{:.2}", rate(c.bytes as f64 / 1e6)));
        summary.row("ack latency p50", ms(p50));
        summary.row("ack latency p99", ms(p99));
        if !c.lowered.is_empty() {
            summary.row("durability lowered by", c.lowered.join(" "));
        }
        summary
    }

    /// `replay TOPIC`: one row per partition, then the totals.
    pub fn replay(format: &SummaryTo, c: &ReplayCounts) -> Summary {
        let secs = c.elapsed.as_secs_f64();
        let partitions: Vec<_> = c
            .partitions
            .iter()
            .map(|p| json!({"partition": p.partition, "start": p.start, "end": p.end, "records": p.records, "bytes": p.bytes}))
            .collect();
        let mut json = json!({
            "topic": c.topic,
            "records": c.records,
            "filtered_out": c.filtered_out,
            "sent": c.sent,
            "elapsed_s": round3(secs),
            "records_per_s": if secs > 0.0 { (c.records as f64 / secs).round() } else { 0.0 },
            "partitions": partitions,
        });
        if let Some(x) = c.expect {
            json["expect"] = expect_json(x);
        }
        if let Some(t) = c.transactions {
            let positions: Vec<_> = t
                .positions
                .iter()
                .map(|(p, next)| json!({"partition": p, "committed": next}))
                .collect();
            json["transactions"] = json!({
                "committed": t.committed,
                "aborted": t.aborted,
                "records_copied": t.copied,
                "group_position": positions,
            });
        }
        let mut summary = Summary::new(format, format!("replay {}", c.topic), json);
        for p in &c.partitions {
            let end = p.end.map_or("follow".to_string(), |e| e.to_string());
            summary.row(
                format!("partition {} [{}, {end})", p.partition, p.start),
                plural(p.records, "record"),
            );
        }
        summary.row(
            "total",
            format!(
                "{} in {}",
                plural(c.records, "record"),
                show_duration(c.elapsed)
            ),
        );
        if c.filtered_out > 0 {
            summary.row("filtered out", c.filtered_out.to_string());
        }
        if c.sent > 0 {
            summary.row("sent", c.sent.to_string());
        }
        if let Some(t) = c.transactions {
            summary.row(
                "transactions",
                format!("{} committed, {} aborted", t.committed, t.aborted),
            );
            summary.row("copied (committed)", t.copied.to_string());
            if !t.positions.is_empty() {
                let shown: Vec<String> = t
                    .positions
                    .iter()
                    .map(|(p, next)| format!("{p}:{next}"))
                    .collect();
                summary.row("group position", shown.join(" "));
            }
        }
        if let Some(x) = c.expect {
            let (key, value) = met_row(x);
            summary.row(key, value);
        }
        summary
    }

    /// `tail`.
    pub fn tail(format: &SummaryTo, c: &TailCounts) -> Summary {
        let mut json = json!({
            "printed": c.printed,
            "filtered_out": c.filtered_out,
            "dropped": c.dropped,
        });
        if let Some(x) = c.expect {
            json["expect"] = expect_json(x);
        }
        let mut s = Summary::new(format, "tail", json);
        s.row("printed", c.printed.to_string());
        if c.filtered_out > 0 {
            s.row("filtered out", c.filtered_out.to_string());
        }
        if c.dropped > 0 {
            s.row("dropped", c.dropped.to_string());
        }
        if let Some(x) = c.expect {
            let (key, value) = met_row(x);
            s.row(key, value);
        }
        s
    }
}

impl Output {
    /// Print how a command ended, summary first; returns its result.
    pub fn end(&self, ending: Ending) -> Result<Code> {
        let Ending {
            summary,
            mut notes,
            mut result,
        } = ending;
        if let Some(summary) = &summary {
            let shown = self.summary(summary, summary.format);
            if let Some(path) = &summary.file {
                if let Err(e) = write_json(path, &summary.json) {
                    // The run's result is not lost: the JSON goes to stderr.
                    if shown != SummaryKind::Json {
                        self.summary(summary, SummaryKind::Json);
                    }
                    let e = format!("--summary json={}: {e}", path.display());
                    match result {
                        Ok(Code::Success) => {
                            result = Err(anyhow::anyhow!(
                                "{e} (the run itself succeeded: its summary is on stderr above)"
                            ))
                        }
                        _ => {
                            notes.push(Note::Warn(format!("{e} (its summary is on stderr above)")))
                        }
                    }
                }
            }
        }
        for note in &notes {
            match note {
                Note::Warn(m) => self.warn(m),
                Note::Info(m) => self.info(m),
                Note::Why(m) => self.note(m),
            }
        }
        result
    }

    /// The summary on stderr in `format` (auto decided here); returns the
    /// format it was printed in.
    fn summary(&self, s: &Summary, format: SummaryKind) -> SummaryKind {
        let format = match format {
            SummaryKind::Auto if self.quiet || !self.stderr_tty => SummaryKind::None,
            SummaryKind::Auto => SummaryKind::Table,
            other => other,
        };
        match format {
            SummaryKind::Json => {
                use std::io::Write;
                let mut err = std::io::stderr().lock();
                let _ = serde_json::to_writer(&mut err, &s.json);
                let _ = writeln!(err);
            }
            SummaryKind::Table => {
                super::stderr_line(format_args!("{}", table(s, self.stderr_width)))
            }
            SummaryKind::Auto | SummaryKind::None => {}
        }
        format
    }
}

/// The JSON summary into `path`, whole or not at all: written beside it,
/// then renamed over it (a reader never sees half a document).
fn write_json(path: &Path, json: &serde_json::Value) -> std::io::Result<()> {
    let mut text = json.to_string();
    text.push('\n');
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let part = path.with_file_name(format!(".{name}.{}.part", std::process::id()));
    std::fs::write(&part, text)?;
    std::fs::rename(&part, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&part);
    })
}

/// The table form of a summary: its title over two columns, values right
/// aligned, fitted to `width` (stderr's).
fn table(s: &Summary, width: Option<u16>) -> Table {
    let mut table = super::new_table(width);
    table.set_header(vec![Cell::new(&s.title), Cell::new("")]);
    for (k, v) in &s.rows {
        table.add_row(vec![
            Cell::new(k),
            Cell::new(v).set_alignment(CellAlignment::Right),
        ]);
    }
    table
}

/// The expectations in a `--summary json` document: how many, how many
/// met, the missing and the duplicated ones by line.
pub(super) fn expect_json(x: &Expectations) -> serde_json::Value {
    let entry = |e: &crate::select::Expectation| json!({"line": e.line, "expect": e.text});
    json!({
        "file": x.file,
        "expected": x.len(),
        "met": x.met(),
        "missing": x.missing().map(entry).collect::<Vec<_>>(),
        "duplicated": x.duplicated().map(|(e, n)| {
            let mut v = entry(e);
            v["times"] = n.into();
            v
        }).collect::<Vec<_>>(),
    })
}

/// The summary table's line for the expectations.
fn met_row(x: &Expectations) -> (&'static str, String) {
    ("expectations met", format!("{} of {}", x.met(), x.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_summary_as_a_table_and_json() {
        let s = Summary::tail(
            &SummaryTo {
                kind: SummaryKind::Table,
                file: None,
            },
            &TailCounts {
                printed: 1200,
                filtered_out: 3,
                dropped: 0,
                expect: None,
            },
        );
        assert_eq!(
            table(&s, None).to_string(),
            "┌──────────────┬──────┐\n\
             │ tail         ┆      │\n\
             ╞══════════════╪══════╡\n\
             │ printed      ┆ 1200 │\n\
             │ filtered out ┆    3 │\n\
             └──────────────┴──────┘"
        );
        assert_eq!(
            s.json.to_string(),
            r#"{"printed":1200,"filtered_out":3,"dropped":0}"#
        );
    }

    #[test]
    fn a_summary_table_fits_its_width() {
        let to = SummaryTo {
            kind: SummaryKind::Table,
            file: None,
        };
        let partitions = vec![ReplayPartition {
            partition: 0,
            start: 120,
            end: Some(1_000_001),
            records: 1,
            bytes: 10,
        }];
        let s = Summary::replay(
            &to,
            &ReplayCounts {
                topic: "orders-with-a-rather-long-topic-name",
                partitions,
                records: 1,
                filtered_out: 0,
                sent: 0,
                expect: None,
                elapsed: Duration::from_millis(1500),
                transactions: None,
            },
        );
        let wide = table(&s, None).to_string();
        assert!(wide.lines().any(|l| l.chars().count() > 32), "{wide}");
        let narrow = table(&s, Some(32)).to_string();
        for line in narrow.lines() {
            assert!(line.chars().count() <= 32, "{line:?} in\n{narrow}");
        }
        assert!(narrow.contains("1 record "), "{narrow}");
        assert!(!narrow.contains("records"), "{narrow}");
    }
}
