//! `replay`'s settings: where reading starts and stops, the sink, and
//! `--exactly-once`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::cli::{FormatOr, ReplayArgs, ReplayFormat};
use crate::duration::{parse_duration, parse_time_or_ago};
use crate::error;
use crate::event::ChannelTemplate;
use crate::kafka::config::Isolation;
use crate::kafka::read::{Start, Stop};
use crate::kafka::KafkaSettings;
use crate::output::records::RecordFormat;
use crate::output::summary::SummaryTo;
use crate::output::template::Subject;
use crate::output::Output;
use crate::pubsub::Target;
use crate::select::Filter;

use super::check::{check_topic_name, flag, parse_rate, parse_timeout};
use super::format::{columns, template};
use super::summary::{expect, summaries, Expect};
use super::{needs_redis, Needs};

/// replay's `--format`, `--envelope` and `--fields`.
fn record_format(args: &ReplayArgs, out: &Output) -> Result<RecordFormat> {
    if args.envelope {
        return Ok(RecordFormat::Envelope);
    }
    let columns = |tab: bool| -> Result<RecordFormat> {
        let names = [
            "topic",
            "partition",
            "offset",
            "timestamp:ms",
            "key",
            "value",
        ]
        .map(String::from)
        .into();
        columns(&args.fields, names, tab, Subject::Record).map(RecordFormat::Columns)
    };
    match (&args.format, args.fields.is_empty()) {
        (None | Some(FormatOr::Named(ReplayFormat::Csv)), false) => columns(false),
        (Some(FormatOr::Named(ReplayFormat::Tsv)), _) => columns(true),
        (Some(_), false) => Err(error::usage(
            "--fields picks the columns of --format csv or tsv",
        )),
        (None, true) => Ok(out.for_stdout(RecordFormat::Pretty, RecordFormat::Ndjson)),
        (Some(FormatOr::Template(t)), true) => {
            Ok(RecordFormat::Template(template(t, Subject::Record)?))
        }
        (Some(FormatOr::Named(named)), true) => Ok(match named {
            ReplayFormat::Pretty => RecordFormat::Pretty,
            ReplayFormat::Ndjson => RecordFormat::Ndjson,
            ReplayFormat::Envelope => RecordFormat::Envelope,
            ReplayFormat::Csv => RecordFormat::Csv,
            ReplayFormat::Tsv => return columns(true),
        }),
    }
}

/// Where replayed records go.
// One per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum ReplaySink {
    /// Stdout, in this format.
    Stdout(RecordFormat),
    /// --to-redis: notifications sent again.
    Redis {
        /// Where to publish them (replay refuses --to-redis with --redis off).
        target: Target,
        /// The channel of each notification.
        channel: ChannelTemplate,
        /// --rate: at most this many a second.
        rate: Option<f64>,
    },
    /// --to-topic: copies in another topic.
    Topic(CopyTo),
}

/// Where `replay --to-topic` copies to, and how.
pub struct CopyTo {
    /// The topic of the copies (not empty).
    pub topic: String,
    /// The copy producer's settings: the shared ones, then --compression's
    /// codec (the reading consumer has none).
    pub producer: KafkaSettings,
    /// --max-in-flight: most copies sent and not yet acknowledged (at least 1).
    pub max_in_flight: usize,
}

/// `--exactly-once`: how big a transaction gets, and whose it is.
pub struct ExactlyOnce {
    /// --txn-records: at most this many records (at least 1).
    pub records: u64,
    /// --txn-interval: open at most this long (more than 0).
    pub interval: Duration,
    /// --transactional-id, when given.
    pub transactional_id: Option<String>,
}

/// `replay`'s settings.
pub struct ReplayConfig {
    /// Where reading starts in each partition.
    pub start: Start,
    /// Where reading stops in each partition (or --follow).
    pub stop: Stop,
    /// --count: stop after this many records handed to the sink.
    pub count: Option<u64>,
    /// --partition: only these (checked against the topic once it is known).
    pub partitions: Option<Vec<i32>>,
    /// --group: read as a member of this consumer group, and commit.
    pub group: Option<String>,
    /// --exactly-once (only with --group and --to-topic).
    pub exactly_once: Option<ExactlyOnce>,
    /// --filter: the records to hand on.
    pub filter: Filter,
    /// Where the records go.
    pub sink: ReplaySink,
    /// --progress: the progress bar even off a terminal.
    pub progress: bool,
    /// The stderr summary's format, and --summary json=FILE.
    pub summary: SummaryTo,
    /// --timeout: how long Kafka (and Redis) may take (never zero).
    pub timeout: Duration,
    /// --wait: how long --follow may take to meet --count or --expect.
    pub wait: Option<Duration>,
    /// --last N: the newest N records, merged by time.
    pub last: Option<u64>,
    /// --expect: stop once these were read.
    pub expect: Option<Expect>,
    /// --summary junit=FILE (only with --expect).
    pub junit: Option<PathBuf>,
}

/// A replay sink, waiting for the shared settings.
enum SinkFlags {
    Stdout(RecordFormat),
    Redis {
        channel: ChannelTemplate,
        rate: Option<f64>,
    },
    Topic(String),
}

pub(super) fn replay(args: &ReplayArgs, out: &Output) -> Result<Needs<ReplayConfig>> {
    let start = if args.last.is_some() {
        // Read back from the end; after the newest N, --follow goes on live.
        Start::End
    } else if let Some(n) = args.from_offset {
        Start::Offset(n)
    } else if let Some(t) = &args.from_time {
        Start::Time(flag("--from-time", parse_time_or_ago(t))?)
    } else if args.from_end {
        Start::End
    } else {
        Start::Beginning
    };
    if let Some(to) = args.to_offset {
        if to < 0 {
            return Err(error::usage("--to-offset must be 0 or more"));
        }
    }
    let sink = if args.to_redis {
        let rate = args
            .rate
            .as_deref()
            .map(|v| flag("--rate", parse_rate(v)))
            .transpose()?;
        let channel = ChannelTemplate::parse(&args.channel).map_err(error::usage)?;
        SinkFlags::Redis { channel, rate }
    } else if let Some(t) = &args.to_topic {
        if t.is_empty() {
            return Err(error::usage("--to-topic needs a topic name"));
        }
        check_topic_name(t, "--to-topic")?;
        SinkFlags::Topic(t.clone())
    } else {
        SinkFlags::Stdout(record_format(args, out)?)
    };
    if args.max_in_flight == 0 {
        return Err(error::usage("--max-in-flight must be at least 1"));
    }
    let exactly_once = exactly_once(args, &sink)?;
    let expect = expect(args.expect.as_deref(), args.expect_once)?;
    let (summary, junit) = summaries(&args.summary, &expect)?;
    let stop = Stop {
        follow: args.follow,
        to_offset: args.to_offset,
        to_time: args
            .to_time
            .as_deref()
            .map(|v| flag("--to-time", parse_time_or_ago(v)))
            .transpose()?,
    };
    let filter = Filter::parse(&args.filter).map_err(error::usage)?;
    let timeout = flag("--timeout", parse_timeout(&args.timeout))?;
    let wait = args
        .wait
        .as_deref()
        .map(|v| flag("--wait", parse_duration(v)))
        .transpose()?;
    let (count, partitions, group) = (args.count, args.partition.clone(), args.group.clone());
    let (progress, last, max_in_flight) = (args.progress, args.last, args.max_in_flight);
    let codec = args.compression.map(|c| c.codec());
    Ok(Box::new(move |common| {
        if exactly_once.is_some() && common.kafka.isolation == Isolation::ReadUncommitted {
            return Err(error::usage(
                "--exactly-once reads the source read_committed (a record of an aborted transaction must not be copied): not with --isolation read_uncommitted",
            ));
        }
        let sink = match sink {
            SinkFlags::Stdout(format) => ReplaySink::Stdout(format),
            SinkFlags::Redis { channel, rate } => ReplaySink::Redis {
                target: needs_redis(common, "--to-redis needs Redis: not with --redis off")?,
                channel,
                rate,
            },
            SinkFlags::Topic(topic) => {
                // The flag is the user's word on the copies' codec: after -F
                // and -X, and the copy producer's alone.
                let mut producer = common.kafka.clone();
                if let Some(codec) = codec {
                    producer
                        .properties
                        .push(("compression.codec".to_string(), codec.to_string()));
                }
                ReplaySink::Topic(CopyTo {
                    topic,
                    producer,
                    max_in_flight,
                })
            }
        };
        Ok(ReplayConfig {
            start,
            stop,
            count,
            partitions,
            group,
            exactly_once,
            filter,
            sink,
            progress,
            summary,
            timeout,
            wait,
            last,
            expect,
            junit,
        })
    }))
}

/// `--exactly-once` and its flags, checked: only a group's copy to a topic
/// can be exactly once.
fn exactly_once(args: &ReplayArgs, sink: &SinkFlags) -> Result<Option<ExactlyOnce>> {
    let given = |name: &str, default: bool| (!default).then(|| name.to_string());
    let tuning: Vec<String> = [
        given("--txn-records", args.txn_records == 5000),
        given("--txn-interval", args.txn_interval == "500ms"),
        given("--transactional-id", args.transactional_id.is_none()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !args.exactly_once {
        if let Some(flag) = tuning.first() {
            return Err(error::usage(format!("{flag} needs --exactly-once")));
        }
        return Ok(None);
    }
    if !matches!(sink, SinkFlags::Topic(_)) {
        return Err(error::usage(
            "--exactly-once needs --to-topic: only a copy to a Kafka topic can commit its records and the group's offsets in one transaction (stdout and Redis cannot take part in a Kafka transaction)",
        ));
    }
    if args.group.is_none() {
        return Err(error::usage(
            "--exactly-once needs --group: the read positions are committed as the group's offsets in each transaction, and a rerun resumes from them",
        ));
    }
    if args.txn_records == 0 {
        return Err(error::usage("--txn-records must be at least 1"));
    }
    let interval = flag("--txn-interval", parse_duration(&args.txn_interval))?;
    if interval.is_zero() {
        return Err(error::usage("--txn-interval must be longer than 0"));
    }
    if args.transactional_id.as_deref().is_some_and(str::is_empty) {
        return Err(error::usage("--transactional-id must not be empty"));
    }
    Ok(Some(ExactlyOnce {
        records: args.txn_records,
        interval,
        transactional_id: args.transactional_id.clone(),
    }))
}
