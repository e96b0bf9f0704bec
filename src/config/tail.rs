//! `tail`'s settings.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::cli::{FormatOr, TailArgs, TailFormat};
use crate::duration::{parse_duration, parse_time_or_ago};
use crate::error;
use crate::event::ChannelTemplate;
use crate::output::records::TailLayout;
use crate::output::summary::SummaryTo;
use crate::output::template::Subject;
use crate::output::Output;
use crate::pubsub::{Subscriptions, Target};
use crate::select::Filter;

use super::check::flag;
use super::format::{columns, template};
use super::summary::{expect, summaries, Expect};
use super::{needs_redis, Needs};

/// `tail`'s settings.
pub struct TailConfig {
    /// The Redis server or cluster to follow (tail refuses --redis off).
    pub redis: Target,
    /// The channels and patterns to follow.
    pub subscriptions: Subscriptions,
    /// How each message is printed.
    pub format: TailLayout,
    /// --count: stop after this many messages printed.
    pub count: Option<u64>,
    /// --timeout: stop after this long.
    pub timeout: Option<Duration>,
    /// --queue: messages held between Redis and the output.
    pub queue: usize,
    /// --catch-up: epoch ms to read Kafka from before going live.
    pub catch_up: Option<i64>,
    /// The publisher's channel template, to match Kafka events to the
    /// subscriptions (and read a source type back from a channel).
    pub channel: ChannelTemplate,
    /// --fetch: print each notification's full event from Kafka.
    pub fetch: bool,
    /// --filter: the messages to print and count.
    pub filter: Filter,
    /// --expect: end once these arrived.
    pub expect: Option<Expect>,
    /// The stderr summary's format, and --summary json=FILE.
    pub summary: SummaryTo,
    /// --summary junit=FILE (only with --expect).
    pub junit: Option<PathBuf>,
    /// Read gaps in the live stream from Kafka.
    pub fill_gaps: bool,
}

pub(super) fn tail(args: &TailArgs, out: &Output) -> Result<Needs<TailConfig>> {
    let timeout = args
        .timeout
        .as_deref()
        .map(|v| flag("--timeout", parse_duration(v)))
        .transpose()?;
    if args.patterns.iter().any(String::is_empty) {
        return Err(error::usage("an empty channel pattern matches nothing"));
    }
    let expect = expect(args.expect.as_deref(), args.expect_once)?;
    let (summary, junit) = summaries(&args.summary, &expect)?;
    let subscriptions = Subscriptions::new(&args.patterns, args.literal);
    let format = tail_format(args, out)?;
    let catch_up = args
        .catch_up
        .as_deref()
        .map(|v| flag("--catch-up", parse_time_or_ago(v)))
        .transpose()?;
    let channel = ChannelTemplate::parse(&args.channel).map_err(error::usage)?;
    let filter = Filter::parse(&args.filter).map_err(error::usage)?;
    // On by default with --catch-up, which reads Kafka anyway.
    let fill_gaps = (args.fill_gaps || args.catch_up.is_some()) && !args.no_fill_gaps;
    let (count, queue, fetch) = (args.count, args.queue, args.fetch);
    Ok(Box::new(move |common| {
        Ok(TailConfig {
            redis: needs_redis(
                common,
                "tail reads Redis: --redis off leaves nothing to follow",
            )?,
            subscriptions,
            format,
            count,
            timeout,
            queue,
            catch_up,
            channel,
            fetch,
            filter,
            expect,
            summary,
            junit,
            fill_gaps,
        })
    }))
}

/// tail's `--format` and `--fields`.
fn tail_format(args: &TailArgs, out: &Output) -> Result<TailLayout> {
    let subject = Subject::Message { fetch: args.fetch };
    let columns = |tab: bool| -> Result<TailLayout> {
        let mut names: Vec<String> = ["received_at", "channel", "pattern", "payload", "source"]
            .map(String::from)
            .into();
        if args.fetch {
            names.push("event".to_string());
        }
        columns(&args.fields, names, tab, subject).map(TailLayout::Columns)
    };
    match (&args.format, args.fields.is_empty()) {
        (None | Some(FormatOr::Named(TailFormat::Csv)), false) => columns(false),
        (Some(FormatOr::Named(TailFormat::Tsv)), _) => columns(true),
        (Some(_), false) => Err(error::usage(
            "--fields picks the columns of --format csv or tsv",
        )),
        (None, true) => Ok(out.for_stdout(TailLayout::Pretty, TailLayout::Json)),
        (Some(FormatOr::Template(t)), true) => Ok(TailLayout::Template(template(t, subject)?)),
        (Some(FormatOr::Named(named)), true) => Ok(match named {
            TailFormat::Pretty => TailLayout::Pretty,
            TailFormat::Json => TailLayout::Json,
            TailFormat::Csv => TailLayout::Csv,
            TailFormat::Raw => TailLayout::Raw,
            TailFormat::Tsv => return columns(true),
        }),
    }
}
