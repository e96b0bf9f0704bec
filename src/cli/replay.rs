//! `replay`'s flags.

use std::path::PathBuf;

use clap::Args;

use super::values::{
    summary_choice, Compression, FormatOr, FormatParser, ReplayFormat, SummaryChoice,
};
use super::{FILTER, KAFKA, OUTPUT, SINK, START, STOP};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("from").args(["from_beginning", "from_offset", "from_time", "from_end"])))]
pub struct ReplayArgs {
    /// Start at the first offset of each partition (the default).
    #[arg(long, help_heading = START)]
    pub from_beginning: bool,

    /// Start at offset N in each partition; negative: N before the end.
    #[arg(long, value_name = "N", allow_hyphen_values = true, help_heading = START)]
    pub from_offset: Option<i64>,

    /// Start at the first record at or after TIME: RFC 3339, a date (2026-12-01) or date and time
    /// (2026-12-01 10:00:00) in UTC unless an offset follows, epoch ms, or a duration ago (30m, 2d).
    #[arg(long, value_name = "TIME|DURATION", help_heading = START)]
    pub from_time: Option<String>,

    /// Start at the end: only what arrives from now on (with --follow).
    #[arg(long, help_heading = START)]
    pub from_end: bool,

    /// The newest N records across all partitions, merged by timestamp and printed oldest first
    /// (with --filter: the newest N that match; with --follow: then go on live).
    #[arg(long, value_name = "N", conflicts_with_all = ["from", "to_offset", "to_time", "group"], help_heading = START)]
    pub last: Option<u64>,

    /// Read as a member of consumer group G and commit what was processed: several
    /// `replay --group G` split the partitions, and a rerun resumes where the last one stopped.
    /// Partitions the group never committed start at the beginning (or --from-end).
    #[arg(long, value_name = "G", conflicts_with_all = ["from_offset", "from_time", "partition", "to_offset", "to_time"], help_heading = START)]
    pub group: Option<String>,

    /// Stop before offset N in each partition.
    #[arg(long, value_name = "N", conflicts_with = "follow", help_heading = STOP)]
    pub to_offset: Option<i64>,

    /// Stop after N records in all.
    #[arg(long, value_name = "N", help_heading = STOP)]
    pub count: Option<u64>,

    /// Keep reading past the end offsets, until Ctrl-C or --count.
    #[arg(long, help_heading = STOP)]
    pub follow: bool,

    /// Stop each partition at its first record at or after TIME, in the forms of --from-time.
    #[arg(long, value_name = "TIME|DURATION", conflicts_with = "follow", help_heading = STOP)]
    pub to_time: Option<String>,

    /// With --follow, stop after this long: exit 124 if --count records (or every --expect
    /// expectation) had not arrived by then.
    #[arg(long, value_name = "DURATION", requires = "follow", help_heading = STOP)]
    pub wait: Option<String>,

    /// Wait for the events in FILE (one a line: an id, or a JSON object of field values): stop with
    /// 0 once every one was read, 124 at the end (or at --wait with --follow) naming those that
    /// were not.
    #[arg(long, value_name = "FILE", conflicts_with = "count", help_heading = STOP)]
    pub expect: Option<PathBuf>,

    /// With --expect, an expectation met twice is a failure (exit 6).
    #[arg(long, requires = "expect", help_heading = STOP)]
    pub expect_once: bool,

    /// Only these partitions.
    #[arg(long, value_name = "P,…", value_delimiter = ',', help_heading = FILTER)]
    pub partition: Option<Vec<i32>>,

    /// Only records whose field has one of the values: type, source_type, source_id, id (read
    /// from headers and key, else from the value), or a dotted path into the value.
    #[arg(long, value_name = "FIELD=VALUE,…", value_delimiter = ',', help_heading = FILTER)]
    pub filter: Vec<String>,

    /// Instead of printing, re-send each record's notification to Redis as publish would
    /// (repairs subscribers after a Redis outage).
    #[arg(long, conflicts_with = "to_topic", help_heading = SINK)]
    pub to_redis: bool,

    /// Channel template for --to-redis.
    #[arg(long,
        default_value = "events:{source_type}:{source_id}",
        value_name = "TEMPLATE", help_heading = SINK)]
    pub channel: String,

    /// With --to-redis, send at most N notifications a second (500 or 500/s).
    #[arg(long, value_name = "N/s", requires = "to_redis", help_heading = SINK)]
    pub rate: Option<String>,

    /// Instead of printing, copy the records to this topic, keeping key, headers and timestamp
    /// (acks=all, idempotent; exit 4 if any copy is not acknowledged).
    #[arg(long, value_name = "TOPIC", help_heading = SINK)]
    pub to_topic: Option<String>,

    /// With --group and --to-topic: copy exactly once. The copies of each batch and the group's
    /// offsets after it are committed in one Kafka transaction (read-committed readers of the
    /// target see every record once, also after a crash, a rebalance or a broker failure); a
    /// rerun fences the copy before it.
    #[arg(long, help_heading = SINK)]
    pub exactly_once: bool,

    /// With --exactly-once, commit a transaction after this many records at most.
    #[arg(long, default_value_t = 5000, value_name = "N", help_heading = SINK)]
    pub txn_records: u64,

    /// With --exactly-once, commit a transaction after it has been open this long at most (what
    /// read-committed readers of the target wait for a copy, at the most).
    #[arg(long, default_value = "500ms", value_name = "DURATION", help_heading = SINK)]
    pub txn_interval: String,

    /// With --exactly-once, the producer's transactional id [default: dualstream-replay:G:TOPIC].
    /// A copy starting with the id of a running one fences it: give each concurrent member of
    /// the group its own (stable across reruns).
    #[arg(long, value_name = "ID", help_heading = SINK)]
    pub transactional_id: Option<String>,

    /// With --to-topic, most copies sent and not yet acknowledged.
    #[arg(long,
        default_value_t = 20_000,
        value_name = "N",
        requires = "to_topic", help_heading = SINK)]
    pub max_in_flight: usize,

    /// With --to-topic, compress the copies' record batches (librdkafka's compression.codec).
    /// Tansu 0.6 stores snappy batches but cannot serve them back: use another codec with it.
    #[arg(long, value_enum, value_name = "CODEC", requires = "to_topic", help_heading = SINK)]
    pub compression: Option<Compression>,

    /// What to print, or a template such as '{partition}@{offset} {key} {value.type}' [default:
    /// pretty on a terminal, ndjson on a pipe].
    ///
    /// Template placeholders: {topic}, {partition}, {offset}, {key}, {timestamp} (RFC 3339 UTC;
    /// {timestamp:ms} epoch ms), {headers.NAME}, {value}, {value.PATH}; {{ and }} for braces. A
    /// missing path prints nothing.
    #[arg(long, value_name = "FORMAT|TEMPLATE", value_parser = FormatParser::<ReplayFormat>::new(), help_heading = OUTPUT)]
    pub format: Option<FormatOr<ReplayFormat>>,

    /// The columns of csv or tsv output (implies csv), each a placeholder of --format without
    /// braces: partition,offset,key,value.type.
    #[arg(long, value_name = "FIELD,…", value_delimiter = ',', conflicts_with_all = ["envelope", "to_redis", "to_topic"], help_heading = OUTPUT)]
    pub fields: Vec<String>,

    /// Short for --format envelope.
    #[arg(long, conflicts_with = "format", help_heading = OUTPUT)]
    pub envelope: bool,

    /// Show the progress bar even when stderr is not a terminal.
    #[arg(long, help_heading = OUTPUT)]
    pub progress: bool,

    /// End-of-run summary per partition on stderr: auto, table, json or none [auto: a table on a
    /// terminal, nothing on a pipe]; json=FILE also writes the JSON summary to FILE, apart from any
    /// warning; junit=FILE the expectations of --expect as a JUnit report (repeatable).
    #[arg(long, value_name = "FORMAT", value_parser = summary_choice, help_heading = OUTPUT)]
    pub summary: Vec<SummaryChoice>,

    /// How long Kafka may take to answer before the run fails (exit 4).
    #[arg(long, default_value = "30s", value_name = "DURATION", help_heading = KAFKA)]
    pub timeout: String,
}
