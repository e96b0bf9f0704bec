//! Every flag of every command, as clap derive structs whose doc comments are
//! the `--help` text. Nothing here touches a broker: `config.rs` turns these
//! into checked settings before any command runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Publish events to Kafka (the durable log) and notify Redis Pub/Sub (real time).
///
/// Every event is written to Kafka first; only once the broker has acknowledged
/// it is a small notification ({"id","type","source_id","topic","partition","offset"})
/// published to Redis. Kafka failures fail the run; Redis failures are warnings.
#[derive(Debug, Parser)]
#[command(
    name = "dualstream",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Kafka bootstrap brokers, comma separated.
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_BROKERS",
        default_value = "localhost:9092",
        value_name = "HOST:PORT,…"
    )]
    pub brokers: String,

    /// Redis URL, or `off` to use Kafka only. A password in it is never printed.
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_REDIS",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true,
        value_name = "URL|off"
    )]
    pub redis: String,

    /// Kafka topic.
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_TOPIC",
        default_value = "events",
        value_name = "NAME"
    )]
    pub topic: String,

    /// A librdkafka property, like kcat's -X (repeatable); applied after -F.
    #[arg(short = 'X', global = true, value_name = "KEY=VALUE")]
    pub property: Vec<String>,

    /// A librdkafka properties file (key=value lines, # comments).
    #[arg(short = 'F', global = true, value_name = "FILE")]
    pub properties_file: Option<PathBuf>,

    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More detail on stderr: -v for client logs and error causes, -vv for debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to use colours on a terminal (NO_COLOR is honoured by auto).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Whether --topic (or DUALSTREAM_TOPIC) was given rather than defaulted.
    #[arg(skip)]
    pub topic_given: bool,
}

impl Cli {
    /// Parse the command line (exiting 2 on a usage error, like clap does),
    /// noting whether the topic was chosen by the user.
    pub fn parse_args() -> Cli {
        use clap::parser::ValueSource;
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let given = |m: &clap::ArgMatches| {
            matches!(
                m.value_source("topic"),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        };
        cli.global.topic_given =
            given(&matches) || matches.subcommand().is_some_and(|(_, sub)| given(sub));
        cli
    }
}

/// Record batch compression (`publish --compression`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Parsed once per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish NDJSON or CSV events to Kafka, then notify Redis.
    Publish(PublishArgs),
    /// Follow Redis channels by glob (PSUBSCRIBE) or by name (SUBSCRIBE).
    Tail(TailArgs),
    /// Check Kafka and Redis: brokers, partitions, lag, Redis state, and an end-to-end probe.
    Health(HealthArgs),
    /// Read a Kafka topic from an offset or a time, up to the end offsets taken at start.
    Replay(ReplayArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write every page into a directory.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Input files; stdin when none is given or for `-`.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Input format [default: by extension (.csv is CSV), else NDJSON].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<InputFormat>,

    /// Field holding the event id (dotted path); absent ids are derived from the content.
    #[arg(long, default_value = "id", value_name = "PATH")]
    pub id_field: String,

    /// Field holding the event type (dotted path).
    #[arg(long, default_value = "type", value_name = "PATH")]
    pub type_field: String,

    /// A constant event type for every event, instead of --type-field.
    #[arg(long = "type", value_name = "TYPE", conflicts_with = "type_field")]
    pub type_const: Option<String>,

    /// Field holding the source type (dotted path).
    #[arg(long, default_value = "source_type", value_name = "PATH")]
    pub source_type_field: String,

    /// A constant source type for every event, instead of --source-type-field.
    #[arg(
        long = "source-type",
        value_name = "TYPE",
        conflicts_with = "source_type_field"
    )]
    pub source_type_const: Option<String>,

    /// Field holding the source id, the Kafka key (dotted path, e.g. repo.name).
    #[arg(long, default_value = "source_id", value_name = "PATH")]
    pub source_id_field: String,

    /// A constant source id for every event, instead of --source-id-field.
    #[arg(
        long = "source-id",
        value_name = "ID",
        conflicts_with = "source_id_field"
    )]
    pub source_id_const: Option<String>,

    /// Field holding the event time (RFC 3339 or epoch ms); the Kafka timestamp, else now.
    #[arg(long, default_value = "time", value_name = "PATH")]
    pub time_field: String,

    /// Redis channel template; placeholders {source_type} {source_id} {type} {id} {topic}.
    #[arg(
        long,
        default_value = "events:{source_type}:{source_id}",
        value_name = "TEMPLATE"
    )]
    pub channel: String,

    /// What to do with an invalid line: fail (exit 3), skip, or dead-letter=FILE.
    #[arg(long, default_value = "fail", value_name = "POLICY")]
    pub on_invalid: String,

    /// Longest accepted line (NDJSON) or record (CSV), in bytes.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_line_bytes: usize,

    /// Validate and print what would be sent, without connecting to anything.
    #[arg(long)]
    pub dry_run: bool,

    /// End-of-run summary on stderr [auto: a table on a terminal, nothing on a pipe].
    #[arg(long, value_enum, default_value_t = SummaryFormat::Auto, value_name = "FORMAT")]
    pub summary: SummaryFormat,

    /// Show the progress bar even when stderr is not a terminal.
    #[arg(long)]
    pub progress: bool,

    /// How long Kafka may take to connect or to acknowledge an event before the run fails (exit 4).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub timeout: String,

    /// Most events sent to Kafka and not yet acknowledged; fewer while acknowledgements are slow
    /// (the window follows their latency).
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub max_in_flight: usize,

    /// Compress record batches (librdkafka's compression.codec). Tansu 0.6 stores snappy
    /// batches but cannot serve them back: use another codec with it.
    #[arg(long, value_enum, value_name = "CODEC")]
    pub compression: Option<Compression>,

    /// Most notifications in one Redis pipeline.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub redis_batch: usize,

    /// Send no id/type/source_type headers. Brokers that store each header as a row (Tansu
    /// with sqlite) take events about three times faster without them.
    #[arg(long)]
    pub no_headers: bool,

    /// Create the topic through the admin API when it does not exist.
    #[arg(long)]
    pub create_topic: bool,

    /// Partitions for --create-topic.
    #[arg(long, default_value_t = 3, value_name = "N", requires = "create_topic")]
    pub partitions: i32,

    /// Replication factor for --create-topic [default: 3, or the number of brokers if fewer].
    #[arg(long, value_name = "N", requires = "create_topic")]
    pub replication_factor: Option<i32>,

    /// min.insync.replicas for --create-topic [default: replication factor − 1, at least 1].
    #[arg(long, value_name = "N", requires = "create_topic")]
    pub min_insync_replicas: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Ndjson,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Auto,
    Table,
    Json,
    None,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Channels or globs (`events:repo:*`); names without * ? [ use SUBSCRIBE.
    #[arg(value_name = "PATTERN", required = true)]
    pub patterns: Vec<String>,

    /// Subscribe to every PATTERN as a literal channel name, glob characters included.
    #[arg(long)]
    pub literal: bool,

    /// Output format [default: pretty on a terminal, json on a pipe].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<TailFormat>,

    /// Exit 0 after N messages.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Stop after this long; with --count, exit 124 if fewer than N arrived.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// First print the events of this window from Kafka (--topic), then go on live without a
    /// gap or a duplicate at the seam: a duration ago (10m) or a time (RFC 3339, epoch ms).
    #[arg(long, value_name = "DURATION|TIME")]
    pub catch_up: Option<String>,

    /// Channel template of the publisher, to match Kafka events to PATTERNs in --catch-up.
    #[arg(
        long,
        default_value = "events:{source_type}:{source_id}",
        value_name = "TEMPLATE"
    )]
    pub channel: String,

    /// Print the full event from Kafka (at the notification's topic/partition/offset) for each notification.
    #[arg(long)]
    pub fetch: bool,

    /// Messages held between Redis and the output; past this, messages are dropped and counted.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub queue: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    /// Time, channel and compact payload, for people.
    Pretty,
    /// One object a line: received_at, channel, pattern, payload.
    Json,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// The payload only, one a line.
    Raw,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("from").args(["from_beginning", "from_offset", "from_time", "from_end"])))]
pub struct ReplayArgs {
    /// Start at the first offset of each partition (the default).
    #[arg(long)]
    pub from_beginning: bool,

    /// Start at offset N in each partition; negative: N before the end.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub from_offset: Option<i64>,

    /// Start at the first record at or after TIME: RFC 3339, epoch ms, or a duration ago (1h, 30m).
    #[arg(long, value_name = "TIME|DURATION")]
    pub from_time: Option<String>,

    /// Start at the end: only what arrives from now on (with --follow).
    #[arg(long)]
    pub from_end: bool,

    /// Stop before offset N in each partition.
    #[arg(long, value_name = "N", conflicts_with = "follow")]
    pub to_offset: Option<i64>,

    /// Stop after N records in all.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Keep reading past the end offsets, until Ctrl-C or --count.
    #[arg(long)]
    pub follow: bool,

    /// Only these partitions.
    #[arg(long, value_name = "P,…", value_delimiter = ',')]
    pub partition: Option<Vec<i32>>,

    /// Read as a member of consumer group G and commit what was processed: several
    /// `replay --group G` split the partitions, and a rerun resumes where the last one stopped.
    /// Partitions the group never committed start at the beginning (or --from-end).
    #[arg(long, value_name = "G", conflicts_with_all = ["from_offset", "from_time", "partition", "to_offset", "to_time"])]
    pub group: Option<String>,

    /// Stop each partition at its first record at or after TIME: RFC 3339, epoch ms, or a duration ago.
    #[arg(long, value_name = "TIME|DURATION", conflicts_with = "follow")]
    pub to_time: Option<String>,

    /// Only records whose field has one of the values: type, source_type, source_id, id
    /// (read from headers and key, else from the value).
    #[arg(long, value_name = "FIELD=VALUE,…", value_delimiter = ',')]
    pub filter: Vec<String>,

    /// What to print: ndjson (each value, byte for byte), envelope (JSON with partition, offset,
    /// timestamp, key, headers, value), or csv.
    #[arg(long, value_enum, default_value_t = ReplayFormat::Ndjson, value_name = "FORMAT")]
    pub format: ReplayFormat,

    /// Short for --format envelope.
    #[arg(long, conflicts_with = "format")]
    pub envelope: bool,

    /// Instead of printing, re-send each record's notification to Redis as publish would
    /// (repairs subscribers after a Redis outage).
    #[arg(long, conflicts_with = "to_topic")]
    pub to_redis: bool,

    /// Channel template for --to-redis.
    #[arg(
        long,
        default_value = "events:{source_type}:{source_id}",
        value_name = "TEMPLATE"
    )]
    pub channel: String,

    /// With --to-redis, send at most N notifications a second (500 or 500/s).
    #[arg(long, value_name = "N/s", requires = "to_redis")]
    pub rate: Option<String>,

    /// Instead of printing, copy the records to this topic, keeping key, headers and timestamp
    /// (acks=all, idempotent; exit 4 if any copy is not acknowledged).
    #[arg(long, value_name = "TOPIC")]
    pub to_topic: Option<String>,

    /// With --to-topic, most copies sent and not yet acknowledged.
    #[arg(
        long,
        default_value_t = 20_000,
        value_name = "N",
        requires = "to_topic"
    )]
    pub max_in_flight: usize,

    /// Show the progress bar even when stderr is not a terminal.
    #[arg(long)]
    pub progress: bool,

    /// End-of-run summary per partition on stderr [auto: a table on a terminal, nothing on a pipe].
    #[arg(long, value_enum, default_value_t = SummaryFormat::Auto, value_name = "FORMAT")]
    pub summary: SummaryFormat,

    /// How long Kafka may take to answer before the run fails (exit 4).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReplayFormat {
    Ndjson,
    Envelope,
    Csv,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Send one real event through the whole path (Kafka produce and ack, Redis publish and receive) and time each step.
    #[arg(long)]
    pub probe: bool,

    /// Report this consumer group's committed offsets and lag on --topic.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,

    /// Degraded (exit 6) when the group's total lag is over N.
    #[arg(long, value_name = "N", requires = "group")]
    pub max_lag: Option<i64>,

    /// Degraded (exit 6) when the probe takes longer than this end to end.
    #[arg(long, value_name = "DURATION", requires = "probe")]
    pub max_latency: Option<String>,

    /// Channels whose subscriber counts to report (PUBSUB NUMSUB); repeatable.
    #[arg(long = "channel", value_name = "NAME")]
    pub channels: Vec<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, value_name = "FORMAT")]
    pub format: ReportFormat,

    /// Bound on the whole check; an unreachable broker never hangs it longer.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write dualstream.1 and one page per subcommand into this directory.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
