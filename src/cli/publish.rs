//! `publish`'s flags.

use std::path::PathBuf;

use clap::Args;

use super::values::{size, summary_choice, Compression, InputFormat, SummaryChoice};
use super::{DELIVERY, FIELDS, INPUT, INVALID, OUTPUT, TOPIC_CREATION};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Input files; stdin when none is given or for `-`.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Input format [default: by extension (.csv is CSV), else NDJSON].
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = INPUT)]
    pub format: Option<InputFormat>,

    /// Longest accepted line (NDJSON) or record (CSV): bytes, or with a unit (64KiB, 1MiB, 1MB =
    /// 10^6).
    #[arg(long, default_value = "1MiB", value_name = "SIZE", value_parser = size, help_heading = INPUT)]
    pub max_line_bytes: usize,

    /// Skip lines 1..=N of the first input (a rerun from "resume from FILE:N+1"): read, not
    /// published. Positions keep counting from the top; a CSV header is read all the same, and a
    /// record starting on a skipped line is skipped whole. Later inputs are read whole.
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = INPUT)]
    pub skip_lines: u64,

    /// Field holding the event id (dotted path); absent ids are derived from the content.
    #[arg(long, default_value = "id", value_name = "PATH", help_heading = FIELDS)]
    pub id_field: String,

    /// Field holding the event type (dotted path).
    #[arg(long, default_value = "type", value_name = "PATH", help_heading = FIELDS)]
    pub type_field: String,

    /// A constant event type for every event, instead of --type-field.
    #[arg(long = "type", value_name = "TYPE", conflicts_with = "type_field", help_heading = FIELDS)]
    pub type_const: Option<String>,

    /// Field holding the source type (dotted path).
    #[arg(long, default_value = "source_type", value_name = "PATH", help_heading = FIELDS)]
    pub source_type_field: String,

    /// A constant source type for every event, instead of --source-type-field.
    #[arg(long = "source-type",
        value_name = "TYPE",
        conflicts_with = "source_type_field", help_heading = FIELDS)]
    pub source_type_const: Option<String>,

    /// Field holding the source id, the Kafka key (dotted path, e.g. repo.name).
    #[arg(long, default_value = "source_id", value_name = "PATH", help_heading = FIELDS)]
    pub source_id_field: String,

    /// A constant source id for every event, instead of --source-id-field.
    #[arg(long = "source-id",
        value_name = "ID",
        conflicts_with = "source_id_field", help_heading = FIELDS)]
    pub source_id_const: Option<String>,

    /// Field holding the event time (RFC 3339 or epoch ms); the Kafka timestamp, else now.
    #[arg(long, default_value = "time", value_name = "PATH", help_heading = FIELDS)]
    pub time_field: String,

    /// What to do with an invalid line: fail (exit 3), skip, or dead-letter=FILE.
    #[arg(long, default_value = "fail", value_name = "POLICY", help_heading = INVALID)]
    pub on_invalid: String,

    /// Redis channel template; placeholders {source_type} {source_id} {type} {id} {topic}; {{ and }}
    /// for literal braces (a Redis Cluster hash tag).
    #[arg(long,
        default_value = "events:{source_type}:{source_id}",
        value_name = "TEMPLATE", help_heading = DELIVERY)]
    pub channel: String,

    /// Validate and print what would be sent, without connecting to anything.
    #[arg(long, help_heading = DELIVERY)]
    pub dry_run: bool,

    /// How long Kafka may take to connect or to acknowledge an event before the run fails (exit 4).
    #[arg(long, default_value = "30s", value_name = "DURATION", help_heading = DELIVERY)]
    pub timeout: String,

    /// Most events sent to Kafka and not yet acknowledged; fewer while acknowledgements are slow
    /// (the window follows their latency).
    #[arg(long, default_value_t = 40_000, value_name = "N", help_heading = DELIVERY)]
    pub max_in_flight: usize,

    /// Compress record batches (librdkafka's compression.codec). Tansu 0.6 stores snappy
    /// batches but cannot serve them back: use another codec with it.
    #[arg(long, value_enum, value_name = "CODEC", help_heading = DELIVERY)]
    pub compression: Option<Compression>,

    /// Most notifications in one Redis pipeline.
    #[arg(long, default_value_t = 500, value_name = "N", help_heading = DELIVERY)]
    pub redis_batch: usize,

    /// Exit 5 when any notification failed on Redis (the events are in Kafka all the same; the
    /// failed ones are named with the replay that re-sends them).
    #[arg(long, help_heading = DELIVERY)]
    pub redis_required: bool,

    /// Send no id/type/source_type headers. Brokers that store each header as a row (Tansu
    /// with sqlite) take events about three times faster without them.
    #[arg(long, help_heading = DELIVERY)]
    pub no_headers: bool,

    /// Create the topic through the admin API when it does not exist.
    #[arg(long, help_heading = TOPIC_CREATION)]
    pub create_topic: bool,

    /// Partitions for --create-topic [default: 3]; an existing topic with another count is
    /// reported.
    #[arg(long, value_name = "N", requires = "create_topic", help_heading = TOPIC_CREATION)]
    pub partitions: Option<i32>,

    /// Replication factor for --create-topic [default: 3, or the number of brokers if fewer].
    #[arg(long, value_name = "N", requires = "create_topic", help_heading = TOPIC_CREATION)]
    pub replication_factor: Option<i32>,

    /// min.insync.replicas for --create-topic [default: replication factor − 1, at least 1].
    #[arg(long, value_name = "N", requires = "create_topic", help_heading = TOPIC_CREATION)]
    pub min_insync_replicas: Option<i32>,

    /// End-of-run summary on stderr: auto, table, json or none [auto: a table on a terminal,
    /// nothing on a pipe]; json=FILE also writes the JSON summary to FILE, apart from any warning
    /// (repeatable).
    #[arg(long, value_name = "FORMAT", value_parser = summary_choice, help_heading = OUTPUT)]
    pub summary: Vec<SummaryChoice>,

    /// Show the progress bar even when stderr is not a terminal.
    #[arg(long, help_heading = OUTPUT)]
    pub progress: bool,
}
