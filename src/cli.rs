//! Every flag of every command, as clap derive structs whose doc comments are
//! the `--help` text. Nothing here touches a broker: `config.rs` turns these
//! into checked settings before any command runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod examples;
mod values;

use examples::{
    COMPLETIONS_EXAMPLES, EXAMPLES, HEALTH_EXAMPLES, MAN_EXAMPLES, PROFILE_EXAMPLES,
    PUBLISH_EXAMPLES, REPLAY_EXAMPLES, SERVE_EXAMPLES, TAIL_EXAMPLES, TOPIC_EXAMPLES,
};
use values::{size, summary_choice, FormatParser};
pub use values::{
    AuthChoice, ColorChoice, Compression, FormatOr, InputFormat, IsolationChoice, ReplayFormat,
    ReportFormat, SummaryChoice, SummaryFormat, TailFormat,
};

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

/// The options every command shares, under the same headings everywhere:
/// Kafka, Redis, Output, Profile (after each command's own options).
#[derive(Debug, Args)]
pub struct Global {
    /// Kafka bootstrap brokers, comma separated.
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_BROKERS",
        default_value = "localhost:9092",
        value_name = "HOST:PORT,…",
        help_heading = KAFKA
    )]
    pub brokers: String,

    /// Kafka topic.
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_TOPIC",
        default_value = "events",
        value_name = "NAME",
        help_heading = KAFKA
    )]
    pub topic: String,

    /// A librdkafka property, like kcat's -X (repeatable); applied after -F.
    #[arg(short = 'X', global = true, value_name = "KEY=VALUE", help_heading = KAFKA)]
    pub property: Vec<String>,

    /// A librdkafka properties file (key=value lines, # comments).
    #[arg(short = 'F', global = true, value_name = "FILE", help_heading = KAFKA)]
    pub properties_file: Option<PathBuf>,

    /// What readers (replay, tail --catch-up/--fill-gaps/--fetch) see of Kafka transactions:
    /// read_committed hands on only committed records, never aborted ones or transaction markers;
    /// read_uncommitted everything.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = IsolationChoice::ReadCommitted,
        value_name = "LEVEL",
        help_heading = KAFKA
    )]
    pub isolation: IsolationChoice,

    /// Redis URL (redis://, rediss://, or redis+cluster://host:port,… for a Redis Cluster), or `off`
    /// to use Kafka only. A password in it is never printed.
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_REDIS",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true,
        value_name = "URL|off",
        help_heading = REDIS
    )]
    pub redis: String,

    /// Sharded Pub/Sub (Redis 7+): notify with SPUBLISH and tail with SSUBSCRIBE at each channel's
    /// slot owner, so a Redis Cluster keeps each message in one shard. Channel names only, no globs.
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_REDIS_SHARDED",
        value_parser = clap::builder::BoolishValueParser::new(),
        help_heading = REDIS
    )]
    pub sharded: bool,

    /// Print only errors.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = OUTPUT
    )]
    pub quiet: bool,

    /// More detail on stderr: -v for client logs and error causes, -vv for debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = OUTPUT)]
    pub verbose: u8,

    /// When to use colours on a terminal (NO_COLOR is honoured by auto).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN",
        help_heading = OUTPUT
    )]
    pub color: ColorChoice,

    /// Take unset options from this profile of the config file [default: the file's `default`].
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_PROFILE",
        value_name = "NAME",
        help_heading = PROFILE
    )]
    pub profile: Option<String>,

    /// The config file [default: $XDG_CONFIG_HOME/dualstream/config.toml, else
    /// ~/.config/dualstream/config.toml].
    #[arg(
        long,
        global = true,
        env = "DUALSTREAM_CONFIG",
        value_name = "FILE",
        help_heading = PROFILE
    )]
    pub config: Option<PathBuf>,

    /// Which of the options a profile may set were left at their built-in default.
    #[arg(skip)]
    pub defaulted: Defaulted,

    /// `--brokers` came from `DUALSTREAM_BROKERS`, not the command line.
    #[arg(skip)]
    pub brokers_from_env: bool,
}

const KAFKA: &str = "Kafka";
const INPUT: &str = "Input";
const FIELDS: &str = "Fields";
const INVALID: &str = "Invalid lines";
const DELIVERY: &str = "Delivery";
const TOPIC_CREATION: &str = "Topic creation";
const START: &str = "Start";
const STOP: &str = "Stop";
const FILTER: &str = "Filter";
const SINK: &str = "Sink";
const REDIS: &str = "Redis";
const OUTPUT: &str = "Output";
const PROFILE: &str = "Profile";
const GAPS: &str = "Gaps";

/// The options a profile may set that took clap's built-in default: neither
/// given on the command line nor by an environment variable. Only these are
/// replaced by a profile's values (flag > environment > profile > default).
#[derive(Clone, Copy, Debug, Default)]
pub struct Defaulted {
    pub brokers: bool,
    pub redis: bool,
    pub sharded: bool,
    pub topic: bool,
    /// The command's `--channel` template (publish, tail, replay).
    pub channel: bool,
}

impl Cli {
    /// Parse `args` (the program name first), noting which options were left
    /// at their defaults.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::parser::ValueSource;
        use clap::FromArgMatches;
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let matches = Cli::definition(color_asked(&args)).try_get_matches_from(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        let sub = matches.subcommand().map(|(_, sub)| sub);
        // Global options are seen at the top and in the subcommand; given in
        // either (or by the environment), they are not defaulted.
        let defaulted = |m: &clap::ArgMatches, id: &str| {
            !matches!(
                m.value_source(id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        };
        let global = |id: &str| defaulted(&matches, id) && sub.is_none_or(|s| defaulted(s, id));
        let has_channel = matches!(
            cli.command,
            Command::Publish(_) | Command::Tail(_) | Command::Replay(_) | Command::Serve(_)
        );
        cli.global.defaulted = Defaulted {
            brokers: global("brokers"),
            redis: global("redis"),
            sharded: global("sharded"),
            topic: global("topic"),
            channel: has_channel && sub.is_some_and(|s| defaulted(s, "channel")),
        };
        let source = |m: &clap::ArgMatches| m.value_source("brokers");
        let sources = [Some(&matches), sub].map(|m| m.and_then(source));
        cli.global.brokers_from_env = sources.contains(&Some(ValueSource::EnvVariable))
            && !sources.contains(&Some(ValueSource::CommandLine));
        Ok(cli)
    }
}

impl Cli {
    /// The command line as it is parsed, helped, completed and documented
    /// (man pages): the derive's definition, with `color` for clap's own
    /// help and errors, the exit-code table after the top-level examples,
    /// the Kafka and Redis options hidden where nothing connects, and
    /// usage lines that never list options an environment variable set.
    pub fn definition(color: clap::ColorChoice) -> clap::Command {
        use clap::CommandFactory;
        Cli::finished(Cli::command().color(color))
    }

    /// [`Cli::definition`] for the man pages: uncoloured, and without
    /// clap's `help` subcommand (a page of its own would say nothing).
    pub fn documented() -> clap::Command {
        use clap::CommandFactory;
        Cli::finished(
            Cli::command()
                .color(clap::ColorChoice::Never)
                .disable_help_subcommand(true),
        )
    }

    fn finished(cmd: clap::Command) -> clap::Command {
        let mut cmd = cmd.after_long_help(format!("{EXAMPLES}\n\n{}", crate::error::exit_table()));
        // A copy of each connection option, hidden, stands in for the
        // global one on the commands that never connect (clap propagates a
        // global option only where no option of its id exists): still
        // accepted (an exported DUALSTREAM_BROKERS must not break them),
        // never shown.
        let connection: Vec<clap::Arg> = cmd
            .get_arguments()
            .filter(|a| matches!(a.get_help_heading(), Some(KAFKA | REDIS)))
            .cloned()
            .collect();
        for name in ["profile", "completions", "man"] {
            cmd = cmd.mut_subcommand(name, |mut sub| {
                for arg in &connection {
                    sub = sub.arg(arg.clone().hide(true));
                }
                sub
            });
        }
        cmd.build();
        static_usage(cmd)
    }
}

/// Every (sub)command's usage line fixed as clap renders it with nothing
/// given: clap's usage in an error otherwise lists the options that were
/// present, those an environment variable set too, as if they were needed.
fn static_usage(mut cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, static_usage);
    }
    let usage = cmd.render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage).to_string();
    cmd.override_usage(usage)
}

/// The `--color` of a command line not parsed yet, for clap's own help and
/// errors (the last one given wins, as clap would decide).
fn color_asked(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut choice = clap::ColorChoice::Auto;
    let mut words = args.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        let value = match word.strip_prefix("--color") {
            Some("") => words.next().unwrap_or(""),
            Some(rest) => match rest.strip_prefix('=') {
                Some(v) => v,
                None => continue,
            },
            None => continue,
        };
        choice = match value {
            "never" => clap::ColorChoice::Never,
            "always" => clap::ColorChoice::Always,
            _ => clap::ColorChoice::Auto,
        };
    }
    choice
}

// Parsed once per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Publish NDJSON or CSV events to Kafka, then notify Redis.
    #[command(after_long_help = PUBLISH_EXAMPLES)]
    Publish(PublishArgs),
    /// Follow Redis channels by glob (PSUBSCRIBE) or by name (SUBSCRIBE).
    #[command(after_long_help = TAIL_EXAMPLES)]
    Tail(TailArgs),
    /// Serve live events to browsers and services over Server-Sent Events and WebSocket, resuming
    /// from Kafka with no gap and no duplicate.
    #[command(after_long_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Check Kafka and Redis: brokers, partitions, lag, Redis state, and an end-to-end probe.
    #[command(after_long_help = HEALTH_EXAMPLES)]
    Health(HealthArgs),
    /// Read a Kafka topic from an offset or a time, up to the end offsets taken at start.
    #[command(after_long_help = REPLAY_EXAMPLES)]
    Replay(ReplayArgs),
    /// Create, list, describe and delete Kafka topics.
    #[command(after_long_help = TOPIC_EXAMPLES)]
    Topic(TopicArgs),
    /// List and show the named profiles of the config file (secrets masked).
    #[command(after_long_help = PROFILE_EXAMPLES)]
    Profile(ProfileArgs),
    /// Print a shell completion script.
    #[command(after_long_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write every page into a directory.
    #[command(after_long_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

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
    #[arg(long, default_value_t = 20_000, value_name = "N", help_heading = DELIVERY)]
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

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Channels or globs (`events:repo:*`); names without * ? [ use SUBSCRIBE.
    #[arg(value_name = "PATTERN", required = true)]
    pub patterns: Vec<String>,

    /// Subscribe to every PATTERN as a literal channel name, glob characters included.
    #[arg(long, help_heading = REDIS)]
    pub literal: bool,

    /// Messages held between Redis and the output; past this, messages are dropped and counted.
    #[arg(long, default_value_t = 100_000, value_name = "N", help_heading = REDIS)]
    pub queue: usize,

    /// First print the events of this window from Kafka (--topic), then go on live without a
    /// gap or a duplicate at the seam: a duration ago (10m, 2d) or a time (RFC 3339, 2026-12-01
    /// 10:00:00 in UTC, epoch ms).
    #[arg(long, value_name = "DURATION|TIME", help_heading = START)]
    pub catch_up: Option<String>,

    /// Channel template of the publisher, to match Kafka events to PATTERNs in --catch-up.
    #[arg(
        long,
        default_value = "events:{source_type}:{source_id}",
        value_name = "TEMPLATE",
        help_heading = START
    )]
    pub channel: String,

    /// Exit 0 after N messages.
    #[arg(long, value_name = "N", help_heading = STOP)]
    pub count: Option<u64>,

    /// Stop after this long; with --count, exit 124 if fewer than N arrived.
    #[arg(long, value_name = "DURATION", help_heading = STOP)]
    pub timeout: Option<String>,

    /// Wait for the events in FILE (one a line: an id, or a JSON object of field values such as
    /// {"type":"order.created","source_id":"o-17"}): exit 0 once every one arrived, 124 at
    /// --timeout naming those that did not.
    #[arg(long, value_name = "FILE", conflicts_with = "count", help_heading = STOP)]
    pub expect: Option<PathBuf>,

    /// With --expect, an expectation met twice is a failure (exit 6).
    #[arg(long, requires = "expect", help_heading = STOP)]
    pub expect_once: bool,

    /// Print (and count for --count) only messages whose field has one of the values: type,
    /// source_type, source_id, id, or a dotted path into the notification (with --fetch, into the
    /// event).
    #[arg(long, value_name = "FIELD=VALUE,…", value_delimiter = ',', help_heading = FILTER)]
    pub filter: Vec<String>,

    /// Fill every gap in the live stream (a reconnect, messages dropped past --queue) from Kafka
    /// (--topic), with the seam of --catch-up: each event printed once [default: on with
    /// --catch-up].
    #[arg(long, help_heading = GAPS)]
    pub fill_gaps: bool,

    /// Report gaps without filling them, also with --catch-up.
    #[arg(long, conflicts_with = "fill_gaps", help_heading = GAPS)]
    pub no_fill_gaps: bool,

    /// Print the full event from Kafka (at the notification's topic/partition/offset) for each notification.
    #[arg(long, help_heading = OUTPUT)]
    pub fetch: bool,

    /// Output format, or a template such as '{channel} {payload.id}' [default: pretty on a
    /// terminal, json on a pipe].
    ///
    /// Template placeholders: {received_at} (RFC 3339 UTC; {received_at:ms} epoch ms), {channel},
    /// {pattern}, {source}, {topic}, {partition}, {offset}, {key} (the notification's), {payload},
    /// {payload.PATH} (the notification), {value}, {value.PATH} (what raw prints: the event with
    /// --fetch, else the notification), {event}, {event.PATH} (--fetch); {{ and }} for braces. A
    /// missing path prints nothing.
    #[arg(long, value_name = "FORMAT|TEMPLATE", value_parser = FormatParser::<TailFormat>::new(), help_heading = OUTPUT)]
    pub format: Option<FormatOr<TailFormat>>,

    /// The columns of csv or tsv output (implies csv), each a placeholder of --format without
    /// braces: received_at,channel,payload.id.
    #[arg(long, value_name = "FIELD,…", value_delimiter = ',', help_heading = OUTPUT)]
    pub fields: Vec<String>,

    /// End-of-run summary on stderr: auto, table, json or none [auto: a table on a terminal with
    /// --expect]; json=FILE also writes the JSON summary to FILE, apart from any warning; junit=FILE
    /// the expectations as a JUnit report (repeatable).
    #[arg(long, value_name = "FORMAT", value_parser = summary_choice, help_heading = OUTPUT)]
    pub summary: Vec<SummaryChoice>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Channels or globs to subscribe to once, for every client [default: events:*]; a client
    /// narrows them with ?pattern=.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,

    /// Subscribe to every PATTERN as a literal channel name, glob characters included.
    #[arg(long)]
    pub literal: bool,

    /// Address to listen on; any but a loopback address needs --auth or --no-auth.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: String,

    /// Serve a non-loopback --listen address without authentication: anyone who reaches it reads
    /// every event.
    #[arg(long, conflicts_with = "auth")]
    pub no_auth: bool,

    /// Require a JWT signed with this algorithm on every stream (Authorization: Bearer, the
    /// access_token cookie, or ?access_token=); its `channels` claim lists the patterns the
    /// client may read, `exp` is required and checked.
    #[arg(long, value_name = "ALG")]
    pub auth: Option<AuthChoice>,

    /// File holding the --auth hs256 secret (the whole file, a trailing newline dropped); else the
    /// DUALSTREAM_AUTH_SECRET environment variable.
    #[arg(long, value_name = "FILE")]
    pub auth_secret_file: Option<PathBuf>,

    /// PEM file with the public key for --auth rs256 or eddsa.
    #[arg(long, value_name = "FILE")]
    pub auth_public_key: Option<PathBuf>,

    /// The `aud` a token must carry (repeatable: any one of them).
    #[arg(long, value_name = "AUDIENCE", requires = "auth")]
    pub auth_audience: Vec<String>,

    /// The `iss` a token must carry (repeatable: any one of them).
    #[arg(long, value_name = "ISSUER", requires = "auth")]
    pub auth_issuer: Vec<String>,

    /// An origin whose pages may read the streams (exact, as https://app.example.com; repeatable);
    /// `*` lets any page read, without cookies or credentials.
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// PEM certificate chain to serve HTTPS and WSS with (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Channel template of the publisher, to match Kafka events to PATTERNs when a client resumes.
    #[arg(
        long,
        default_value = "events:{source_type}:{source_id}",
        value_name = "TEMPLATE"
    )]
    pub channel: String,

    /// Bytes queued for one client (1048576, 512KiB, 4MiB); past it the client's stream ends with
    /// an overflow event and the client resumes from Kafka.
    #[arg(long, default_value = "1MiB", value_name = "BYTES")]
    pub client_queue: String,

    /// Clients served at once; past it a new client gets 503.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_clients: usize,

    /// A heartbeat (an SSE comment, a WebSocket ping) after this long without an event.
    #[arg(long, default_value = "15s", value_name = "DURATION")]
    pub heartbeat: String,

    /// How long an SSE client waits before it reconnects (the `retry:` field).
    #[arg(long, default_value = "2s", value_name = "DURATION")]
    pub retry: String,

    /// How long a connection may take to send its request headers.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub header_timeout: String,

    /// Messages held between Redis and the fan-out; past this, clients are sent to resume.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub queue: usize,
}

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

    /// Channels whose subscriber counts to report (PUBSUB NUMSUB; with --sharded, SHARDNUMSUB at
    /// each channel's slot owner); repeatable.
    #[arg(long = "channel", value_name = "NAME")]
    pub channels: Vec<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, value_name = "FORMAT")]
    pub format: ReportFormat,

    /// Bound on the whole check; an unreachable broker never hangs it longer.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct TopicArgs {
    #[command(subcommand)]
    pub action: TopicAction,
}

#[derive(Debug, Subcommand)]
pub enum TopicAction {
    /// Create a topic; one that exists already with other settings is reported (exit 4).
    #[command(after_long_help = TOPIC_EXAMPLES)]
    Create(TopicCreateArgs),
    /// Every topic with its partitions, replication factor and messages (end − start offsets).
    #[command(after_long_help = TOPIC_EXAMPLES)]
    List(TopicListArgs),
    /// One topic's partitions (leader, replicas, in-sync replicas, offsets) and configs.
    #[command(after_long_help = TOPIC_EXAMPLES)]
    Describe(TopicDescribeArgs),
    /// Delete a topic and every record in it (needs --yes).
    #[command(after_long_help = TOPIC_EXAMPLES)]
    Delete(TopicDeleteArgs),
}

#[derive(Debug, Args)]
pub struct TopicCreateArgs {
    /// The topic [default: --topic].
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Partitions [default: 3].
    #[arg(long, value_name = "N")]
    pub partitions: Option<i32>,

    /// Replication factor [default: 3, or the number of brokers if fewer].
    #[arg(long, value_name = "N")]
    pub replication_factor: Option<i32>,

    /// min.insync.replicas [default: replication factor − 1, at least 1].
    #[arg(long, value_name = "N")]
    pub min_insync_replicas: Option<i32>,

    /// How long Kafka may take to answer (exit 4).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct TopicListArgs {
    /// Also the internal topics (__consumer_offsets, …).
    #[arg(long)]
    pub internal: bool,

    /// Output format [default: table on a terminal, json (one object a line) on a pipe].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,

    /// How long Kafka may take to answer (exit 4).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct TopicDescribeArgs {
    /// The topic [default: --topic].
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Output format [default: table on a terminal, json on a pipe].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,

    /// How long Kafka may take to answer (exit 4).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct TopicDeleteArgs {
    /// The topic (never --topic's default: name it).
    #[arg(value_name = "NAME", required = true)]
    pub name: String,

    /// Really delete it, with every record in it.
    #[arg(long)]
    pub yes: bool,

    /// How long Kafka may take to answer (exit 4).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[command(subcommand)]
    pub action: ProfileAction,
}

#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// Every profile of the config file: brokers, Redis, topic; the default marked.
    #[command(after_long_help = PROFILE_EXAMPLES)]
    List(ProfileListArgs),
    /// Every setting of one profile, secrets masked.
    #[command(after_long_help = PROFILE_EXAMPLES)]
    Show(ProfileShowArgs),
}

#[derive(Debug, Args)]
pub struct ProfileListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, value_name = "FORMAT")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ProfileShowArgs {
    /// The profile [default: the one --profile (DUALSTREAM_PROFILE) or the file's `default` picks].
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, value_name = "FORMAT")]
    pub format: ReportFormat,
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
        Cli::definition(clap::ColorChoice::Never).debug_assert();
        Cli::documented().debug_assert();
    }

    #[test]
    fn the_color_asked_for_reaches_clap() {
        let asked = |args: &[&str]| {
            let args: Vec<std::ffi::OsString> = args.iter().map(|a| a.into()).collect();
            color_asked(&args)
        };
        use clap::ColorChoice::{Always, Auto, Never};
        assert_eq!(asked(&["d", "--color", "never", "publish"]), Never);
        assert_eq!(asked(&["d", "publish", "--color=always"]), Always);
        assert_eq!(asked(&["d", "--color", "never", "--color", "auto"]), Auto);
        assert_eq!(asked(&["d", "publish", "--", "--color", "never"]), Auto);
        assert_eq!(asked(&["d", "--colorful"]), Auto);
    }

    #[test]
    fn a_bad_size_says_what_sizes_look_like() {
        let err = Cli::try_parse_args(["dualstream", "publish", "--max-line-bytes", "1XB"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--max-line-bytes <SIZE>")
                && err.contains("64KiB, 1MiB, 1GiB, 1MB (10^6)"),
            "{err}"
        );
        let err = Cli::try_parse_args(["dualstream", "publish", "--max-line-bytes", "0"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least 1 byte"), "{err}");
    }
}
