//! Command-line arguments turned into plain, checked settings, in one step:
//! [`resolve`] builds the settings every command shares and the command's
//! own. Every check that can fail without a broker happens here, flag
//! combinations included, so a bad flag exits 2 before anything is
//! connected. Clap types stop at this module.
//!
//! A named profile (`profile.rs`) fills in what the user left at a built-in
//! default: flag > environment > profile > default. Clap tells which values
//! are defaults ([`crate::cli::Defaulted`]); only those are replaced.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, ColorChoice, Command, Global, PublishArgs};
use crate::error;
use crate::output::{Color, Output};
use crate::profile::{self, ProfileJob};
use crate::pubsub::Target;

mod check;
mod common;
mod format;
mod health;
mod publish;
mod replay;
mod serve;
mod summary;
mod tail;
mod topic;

pub use common::Common;
pub use health::HealthConfig;
pub use publish::{OnInvalid, PublishConfig};
pub use replay::{CopyTo, ExactlyOnce, ReplayConfig, ReplaySink};
pub use serve::{AuthKey, ServeAuth, ServeConfig, ServeTls};
pub use summary::Expect;
pub use tail::TailConfig;
pub use topic::{TopicJob, TopicTask};

use common::{apply, brokers_from, check_servers, common, profile_job};
use health::health;
use publish::publish;
use replay::replay;
use serve::serve;
use tail::tail;
use topic::topic;

/// What to run, with its checked settings.
pub enum Job {
    /// `publish`: files or stdin to Kafka, then notifications to Redis.
    Publish(PublishConfig),
    /// `tail`: follow Redis channels.
    Tail(TailConfig),
    /// `serve`: live events over SSE and WebSocket.
    Serve(ServeConfig),
    /// `replay`: read a topic back into a sink.
    Replay(ReplayConfig),
    /// `health`: report on Kafka and Redis.
    Health(HealthConfig),
    /// `topic create|list|describe|delete`.
    Topic(TopicJob),
    /// `profile list` / `profile show`.
    Profile(ProfileJob),
    /// Print the completion script of this shell.
    Completions(clap_complete::Shell),
    /// Print the top page, or write every page into a directory.
    Man(Option<PathBuf>),
}

/// A command's own settings, checked, waiting for the shared ones: the
/// parts taken from them (the Redis target a command cannot run without,
/// the copy producer's Kafka settings) are filled in once those are known,
/// so that a command's own flags are checked first.
type Needs<T> = Box<dyn FnOnce(&Common) -> Result<T>>;

/// Settings complete without the shared ones.
fn ready<T: 'static>(settings: T) -> Needs<T> {
    Box::new(move |_| Ok(settings))
}

/// The Redis target of a command that cannot run without one.
fn needs_redis(common: &Common, refusal: &str) -> Result<Target> {
    common.redis.clone().ok_or_else(|| error::usage(refusal))
}

/// The output settings, before anything else (errors are printed through it).
pub fn output(global: &Global) -> Output {
    let color = match global.color {
        ColorChoice::Auto => Color::Auto,
        ColorChoice::Always => Color::Always,
        ColorChoice::Never => Color::Never,
    };
    Output::new(color, global.quiet)
}

/// The settings every command shares and the command's own, checked.
pub fn resolve(mut cli: Cli, out: &Output) -> Result<(Common, Job)> {
    // `profile` prints the file as it is; completions and man need none.
    let profile = match &cli.command {
        Command::Profile(_) | Command::Completions(_) | Command::Man(_) => None,
        _ => profile::choose(cli.global.config.as_deref(), cli.global.profile.as_deref())?,
    };
    let from = brokers_from(&cli.global, profile.as_ref());
    if let Some(p) = &profile {
        apply(p, &mut cli);
    }
    let job: Needs<Job> = match &cli.command {
        Command::Publish(args) => ready(Job::Publish(publish(args)?)),
        Command::Tail(args) => {
            let tail = tail(args, out)?;
            Box::new(move |common| tail(common).map(Job::Tail))
        }
        Command::Serve(args) => {
            let serve = serve(args)?;
            Box::new(move |common| serve(common).map(Job::Serve))
        }
        Command::Replay(args) => {
            let replay = replay(args, out)?;
            Box::new(move |common| replay(common).map(Job::Replay))
        }
        Command::Health(args) => ready(Job::Health(health(args)?)),
        Command::Topic(args) => {
            let topic = topic(&args.action, out)?;
            Box::new(move |common| topic(common).map(Job::Topic))
        }
        Command::Profile(args) => ready(Job::Profile(profile_job(&args.action, &cli.global))),
        Command::Completions(args) => ready(Job::Completions(args.shell)),
        Command::Man(args) => ready(Job::Man(args.out_dir.clone())),
    };
    let mut common = common(&cli.global, profile.as_ref())?;
    common.kafka.from = from;
    let needs_kafka = match &cli.command {
        Command::Publish(args) => !args.dry_run,
        Command::Replay(_) | Command::Health(_) | Command::Topic(_) => true,
        _ => false,
    };
    if needs_kafka {
        check_servers(&common.kafka)?;
    }
    if let Command::Publish(PublishArgs {
        compression: Some(codec),
        ..
    }) = &cli.command
    {
        // The flag is the user's word on compression: after -F and -X.
        common
            .kafka
            .properties
            .push(("compression.codec".to_string(), codec.codec().to_string()));
    }
    let job = job(&common)?;
    match &job {
        Job::Tail(TailConfig { subscriptions, .. })
        | Job::Serve(ServeConfig { subscriptions, .. })
            if cli.global.sharded && !subscriptions.patterns.is_empty() =>
        {
            return Err(error::usage(format!(
                "--sharded cannot follow {}: SSUBSCRIBE has no pattern form (a glob would span \
                 every slot); name the channels, give them a hash tag to keep them in one slot \
                 (events:{{repo}}:…, published with --channel 'events:{{{{{{source_type}}}}}}:{{source_id}}'), \
                 or leave out --sharded for classic Pub/Sub (PSUBSCRIBE)",
                subscriptions.patterns.join(", ")
            )))
        }
        Job::Publish(p) if p.redis_required && common.redis.is_none() && !p.dry_run => {
            return Err(error::usage(
                "--redis-required needs Redis: not with --redis off",
            ))
        }
        _ => {}
    }
    Ok((common, job))
}

#[cfg(test)]
mod tests;
