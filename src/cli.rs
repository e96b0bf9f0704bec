//! Every flag of every command, as clap derive structs whose doc comments are
//! the `--help` text. Nothing here touches a broker: `config.rs` turns these
//! into checked settings before any command runs.

use clap::{Parser, Subcommand};

mod examples;
mod generate;
mod global;
mod health;
mod profile;
mod publish;
mod replay;
mod serve;
mod tail;
mod topic;
mod values;

use examples::{
    COMPLETIONS_EXAMPLES, EXAMPLES, HEALTH_EXAMPLES, MAN_EXAMPLES, PROFILE_EXAMPLES,
    PUBLISH_EXAMPLES, REPLAY_EXAMPLES, SERVE_EXAMPLES, TAIL_EXAMPLES, TOPIC_EXAMPLES,
};
use generate::{CompletionsArgs, ManArgs};
pub use global::{Defaulted, Global};
pub use health::HealthArgs;
pub use profile::{ProfileAction, ProfileArgs};
pub use publish::PublishArgs;
pub use replay::ReplayArgs;
pub use serve::ServeArgs;
pub use tail::TailArgs;
pub use topic::{TopicAction, TopicArgs};
pub use values::{
    AuthChoice, ColorChoice, FormatOr, InputFormat, IsolationChoice, ReplayFormat, ReportFormat,
    SummaryChoice, SummaryFormat, TailFormat,
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
