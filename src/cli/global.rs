//! The options every command shares, and which of them were left at
//! their defaults.

use std::path::PathBuf;

use clap::Args;

use super::values::{ColorChoice, IsolationChoice};
use super::{KAFKA, OUTPUT, PROFILE, REDIS};

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
