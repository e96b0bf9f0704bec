//! `tail`'s flags.

use std::path::PathBuf;

use clap::Args;

use super::values::{summary_choice, FormatOr, FormatParser, SummaryChoice, TailFormat};
use super::{FILTER, GAPS, OUTPUT, REDIS, START, STOP};

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
