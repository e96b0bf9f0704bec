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
use std::time::Duration;

use anyhow::Result;

use crate::cli::Compression;
use crate::cli::{
    Cli, ColorChoice, Command, Global, HealthArgs, InputFormat, ProfileAction, PublishArgs,
    ReplayArgs, ReplayFormat, ReportFormat, SummaryChoice, SummaryFormat, TailArgs, TailFormat,
};
use crate::duration::{parse_duration, parse_time_or_ago};
use crate::error;
use crate::event::{ChannelTemplate, Field, FieldMap, Path};
use crate::input::{Format, Source};
use crate::kafka::admin::TopicSpec;
use crate::kafka::config::{parse_properties_file, parse_property};
use crate::kafka::read::{Start, Stop};
use crate::kafka::KafkaSettings;
use crate::output::records::{RecordFormat, TailFormat as Tail};
use crate::output::summary::Format as Summary;
use crate::output::{Color, DocFormat, Output};
use crate::profile::{self, Action, Profile, ProfileJob};
use crate::pubsub::subscribe::Subscriptions;
use crate::pubsub::Target;
use crate::select::{Expectations, Filter};

/// What to run, with its checked settings.
pub enum Job {
    Publish(PublishConfig),
    Tail(TailConfig),
    Replay(ReplayConfig),
    Health(HealthConfig),
    Profile(ProfileJob),
    Completions(clap_complete::Shell),
    /// Print the top page, or write every page into a directory.
    Man(Option<PathBuf>),
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
    if let Some(p) = &profile {
        apply(p, &mut cli);
    }
    let job = match &cli.command {
        Command::Publish(args) => Job::Publish(publish(args)?),
        Command::Tail(args) => Job::Tail(tail(args, out)?),
        Command::Replay(args) => Job::Replay(replay(args)?),
        Command::Health(args) => Job::Health(health(args)?),
        Command::Profile(args) => Job::Profile(profile_job(&args.action, &cli.global)),
        Command::Completions(args) => Job::Completions(args.shell),
        Command::Man(args) => Job::Man(args.out_dir.clone()),
    };
    let mut common = common(&cli.global, profile.as_ref())?;
    if let Command::Publish(PublishArgs {
        compression: Some(codec),
        ..
    }) = &cli.command
    {
        // The flag is the user's word on compression: after -F and -X.
        let codec = match codec {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        };
        common
            .kafka
            .properties
            .push(("compression.codec".to_string(), codec.to_string()));
    }
    match &job {
        Job::Tail(_) if common.redis.is_none() => {
            return Err(error::usage(
                "tail reads Redis: --redis off leaves nothing to follow",
            ))
        }
        Job::Replay(r) if matches!(r.sink, ReplaySink::Redis { .. }) && common.redis.is_none() => {
            return Err(error::usage("--to-redis needs Redis: not with --redis off"))
        }
        _ => {}
    }
    Ok((common, job))
}

fn summary(f: SummaryFormat) -> Summary {
    match f {
        SummaryFormat::Auto => Summary::Auto,
        SummaryFormat::Table => Summary::Table,
        SummaryFormat::Json => Summary::Json,
        SummaryFormat::None => Summary::None,
    }
}

/// `--summary` given any number of times: at most one stderr format (auto
/// when none) and at most one JUnit file, which needs --expect.
fn summaries(
    choices: &[SummaryChoice],
    expect: &Option<Expect>,
) -> Result<(Summary, Option<PathBuf>)> {
    let mut format = None;
    let mut junit = None;
    for choice in choices {
        match choice {
            SummaryChoice::Format(f) if format.is_none() => format = Some(summary(*f)),
            SummaryChoice::Junit(path) if junit.is_none() => junit = Some(path.clone()),
            SummaryChoice::Format(_) => {
                return Err(error::usage(
                    "--summary: give one of auto, table, json, none (and junit=FILE beside it)",
                ))
            }
            SummaryChoice::Junit(_) => {
                return Err(error::usage("--summary: one junit=FILE at most"))
            }
        }
    }
    if junit.is_some() && expect.is_none() {
        return Err(error::usage(
            "--summary junit=FILE reports expectations: it needs --expect FILE",
        ));
    }
    Ok((format.unwrap_or(Summary::Auto), junit))
}

/// Longest expectation file read: a million ids fit many times over, and a
/// mistaken `--expect /dev/zero` stops here.
const EXPECT_LIMIT: u64 = 64 << 20;

/// A file's bytes, refused past `limit`.
fn read_bounded(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "longer than {} MiB",
            limit >> 20
        )));
    }
    Ok(bytes)
}

/// What `--expect` asks for.
pub struct Expect {
    pub expectations: Expectations,
    /// --expect-once: an expectation met twice fails the run.
    pub once: bool,
}

fn expect(file: Option<&std::path::Path>, once: bool) -> Result<Option<Expect>> {
    let Some(file) = file else {
        return Ok(None);
    };
    let name = file.display().to_string();
    let text = read_bounded(file, EXPECT_LIMIT)
        .map_err(|e| error::usage(format!("--expect {name}: {e}")))?;
    let text = String::from_utf8(text).map_err(|e| {
        error::usage(format!(
            "--expect {name}: not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let expectations = Expectations::parse(&name, &text).map_err(error::usage)?;
    Ok(Some(Expect { expectations, once }))
}

/// Where Kafka and Redis are: the settings every command shares.
pub struct Common {
    pub kafka: KafkaSettings,
    pub topic: String,
    /// The topic was chosen by the user, not defaulted.
    pub topic_given: bool,
    /// `None` for `--redis off`.
    pub redis: Option<Target>,
}

/// Put the profile's values where the user left a built-in default.
fn apply(p: &Profile, cli: &mut Cli) {
    let g = &mut cli.global;
    let fill = |defaulted: &mut bool, value: &mut String, from: &Option<String>| {
        if let (true, Some(v)) = (*defaulted, from) {
            *value = v.clone();
            *defaulted = false;
        }
    };
    fill(&mut g.defaulted.brokers, &mut g.brokers, &p.brokers);
    fill(&mut g.defaulted.redis, &mut g.redis, &p.redis);
    fill(&mut g.defaulted.topic, &mut g.topic, &p.topic);
    let channel = match &mut cli.command {
        Command::Publish(a) => &mut a.channel,
        Command::Tail(a) => &mut a.channel,
        Command::Replay(a) => &mut a.channel,
        _ => return,
    };
    fill(&mut g.defaulted.channel, channel, &p.channel);
}

fn profile_job(action: &ProfileAction, global: &Global) -> ProfileJob {
    let doc = |f: ReportFormat| match f {
        ReportFormat::Table => DocFormat::Table,
        ReportFormat::Json => DocFormat::Json,
    };
    let (action, format) = match action {
        ProfileAction::List(a) => (Action::List, doc(a.format)),
        ProfileAction::Show(a) => (Action::Show(a.name.clone()), doc(a.format)),
    };
    ProfileJob {
        action,
        format,
        config: global.config.clone(),
        chosen: global.profile.clone(),
    }
}

/// The shared settings. A profile's librdkafka properties come first, so
/// that -F and -X on the command line override them.
fn common(global: &Global, profile: Option<&Profile>) -> Result<Common> {
    let mut properties = match profile {
        Some(p) => p.kafka_properties()?,
        None => Vec::new(),
    };
    if let Some(file) = &global.properties_file {
        let name = file.display().to_string();
        let text =
            std::fs::read_to_string(file).map_err(|e| error::usage(format!("-F {name}: {e}")))?;
        properties.extend(parse_properties_file(&text, &name)?);
    }
    for pair in &global.property {
        properties.push(parse_property(pair)?);
    }
    if global.topic.is_empty() {
        return Err(error::usage("--topic must not be empty"));
    }
    let redis = match global.redis.as_str() {
        "off" | "none" => None,
        url => Some(Target::open(url).map_err(|e| error::usage(format!("--redis {e}")))?),
    };
    Ok(Common {
        kafka: KafkaSettings {
            brokers: global.brokers.clone(),
            properties,
        },
        topic: global.topic.clone(),
        topic_given: !global.defaulted.topic,
        redis,
    })
}

/// What to do with an invalid input line.
#[derive(Clone, Debug, PartialEq)]
pub enum OnInvalid {
    Fail,
    Skip,
    DeadLetter(PathBuf),
}

pub struct PublishConfig {
    pub sources: Vec<Source>,
    pub fields: FieldMap,
    pub channel: ChannelTemplate,
    pub on_invalid: OnInvalid,
    pub max_line_bytes: usize,
    pub dry_run: bool,
    pub summary: Summary,
    pub progress: bool,
    pub timeout: Duration,
    pub max_in_flight: usize,
    pub redis_batch: usize,
    pub headers: bool,
    /// With --create-topic.
    pub create_topic: Option<TopicSpec>,
}

fn publish(args: &PublishArgs) -> Result<PublishConfig> {
    let channel = ChannelTemplate::parse(&args.channel).map_err(error::usage)?;
    let on_invalid = match args.on_invalid.as_str() {
        "fail" => OnInvalid::Fail,
        "skip" => OnInvalid::Skip,
        other => match other.strip_prefix("dead-letter=") {
            Some(file) if !file.is_empty() => OnInvalid::DeadLetter(PathBuf::from(file)),
            _ => {
                return Err(error::usage(format!(
                    "--on-invalid {other}: expected fail, skip or dead-letter=FILE"
                )))
            }
        },
    };
    let field = |constant: &Option<String>, path: &str| match constant {
        Some(c) => Field::Const(c.clone()),
        None => Field::Path(Path::new(path)),
    };
    let fields = FieldMap {
        id: Path::new(&args.id_field),
        kind: field(&args.type_const, &args.type_field),
        source_type: field(&args.source_type_const, &args.source_type_field),
        source_id: field(&args.source_id_const, &args.source_id_field),
        time: Path::new(&args.time_field),
    };
    let files: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(error::usage("stdin (-) can be read only once"));
    }
    let sources = files
        .into_iter()
        .map(|f| source(f, args.format))
        .collect::<Result<Vec<_>>>()?;
    if let OnInvalid::DeadLetter(dead) = &on_invalid {
        check_dead_letter(dead, &sources)?;
    }
    if args.max_in_flight == 0 || args.redis_batch == 0 {
        return Err(error::usage(
            "--max-in-flight and --redis-batch must be at least 1",
        ));
    }
    if args.partitions < 1 {
        return Err(error::usage("--partitions must be at least 1"));
    }
    if args.replication_factor.is_some_and(|r| r < 1) {
        return Err(error::usage("--replication-factor must be at least 1"));
    }
    if args.min_insync_replicas.is_some_and(|m| m < 1) {
        return Err(error::usage("--min-insync-replicas must be at least 1"));
    }
    if let (Some(r), Some(m)) = (args.replication_factor, args.min_insync_replicas) {
        if m > r {
            return Err(error::usage(format!(
                "--min-insync-replicas {m} is more than --replication-factor {r}: no write could succeed"
            )));
        }
    }
    Ok(PublishConfig {
        sources,
        fields,
        channel,
        on_invalid,
        max_line_bytes: args.max_line_bytes,
        dry_run: args.dry_run,
        summary: summary(args.summary),
        progress: args.progress,
        timeout: flag("--timeout", parse_timeout(&args.timeout))?,
        max_in_flight: args.max_in_flight,
        redis_batch: args.redis_batch,
        headers: !args.no_headers,
        create_topic: args.create_topic.then_some(TopicSpec {
            partitions: args.partitions,
            replication: args.replication_factor,
            min_insync: args.min_insync_replicas,
        }),
    })
}

pub struct TailConfig {
    pub subscriptions: Subscriptions,
    pub format: Tail,
    pub count: Option<u64>,
    pub timeout: Option<Duration>,
    pub queue: usize,
    /// Epoch ms to catch up from.
    pub catch_up: Option<i64>,
    pub channel: ChannelTemplate,
    pub fetch: bool,
    pub filter: Filter,
    pub expect: Option<Expect>,
    pub summary: Summary,
    pub junit: Option<PathBuf>,
    /// Read gaps in the live stream from Kafka.
    pub fill_gaps: bool,
}

fn tail(args: &TailArgs, out: &Output) -> Result<TailConfig> {
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
    Ok(TailConfig {
        subscriptions: Subscriptions::new(&args.patterns, args.literal),
        format: match args.format {
            Some(TailFormat::Pretty) => Tail::Pretty,
            Some(TailFormat::Json) => Tail::Json,
            Some(TailFormat::Csv) => Tail::Csv,
            Some(TailFormat::Raw) => Tail::Raw,
            None => out.for_stdout(Tail::Pretty, Tail::Json),
        },
        count: args.count,
        timeout,
        queue: args.queue,
        catch_up: args
            .catch_up
            .as_deref()
            .map(|v| flag("--catch-up", parse_time_or_ago(v)))
            .transpose()?,
        channel: ChannelTemplate::parse(&args.channel).map_err(error::usage)?,
        fetch: args.fetch,
        filter: Filter::parse(&args.filter).map_err(error::usage)?,
        expect,
        summary,
        junit,
        // On by default with --catch-up, which reads Kafka anyway.
        fill_gaps: (args.fill_gaps || args.catch_up.is_some()) && !args.no_fill_gaps,
    })
}

pub struct HealthConfig {
    pub probe: bool,
    pub group: Option<String>,
    pub max_lag: Option<i64>,
    pub max_latency: Option<Duration>,
    pub channels: Vec<String>,
    pub format: DocFormat,
    pub timeout: Duration,
}

fn health(args: &HealthArgs) -> Result<HealthConfig> {
    let max_latency = args
        .max_latency
        .as_deref()
        .map(|v| flag("--max-latency", parse_duration(v)))
        .transpose()?;
    Ok(HealthConfig {
        probe: args.probe,
        group: args.group.clone(),
        max_lag: args.max_lag,
        max_latency,
        channels: args.channels.clone(),
        format: match args.format {
            ReportFormat::Table => DocFormat::Table,
            ReportFormat::Json => DocFormat::Json,
        },
        timeout: flag("--timeout", parse_timeout(&args.timeout))?,
    })
}

/// Where replayed records go.
pub enum ReplaySink {
    Stdout(RecordFormat),
    /// Re-sent notifications; `rate` is per second.
    Redis {
        channel: ChannelTemplate,
        rate: Option<f64>,
    },
    Topic(String),
}

pub struct ReplayConfig {
    pub start: Start,
    pub stop: Stop,
    pub count: Option<u64>,
    pub partitions: Option<Vec<i32>>,
    pub group: Option<String>,
    pub filter: Filter,
    pub sink: ReplaySink,
    pub progress: bool,
    pub summary: Summary,
    pub timeout: Duration,
    /// Most copies in flight with --to-topic.
    pub max_in_flight: usize,
    /// --wait: how long --follow may take to meet --count or --expect.
    pub wait: Option<Duration>,
    /// --last N: the newest N records, merged by time.
    pub last: Option<u64>,
    pub expect: Option<Expect>,
    pub junit: Option<PathBuf>,
}

fn replay(args: &ReplayArgs) -> Result<ReplayConfig> {
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
        ReplaySink::Redis { channel, rate }
    } else if let Some(t) = &args.to_topic {
        if t.is_empty() {
            return Err(error::usage("--to-topic needs a topic name"));
        }
        ReplaySink::Topic(t.clone())
    } else if args.envelope {
        ReplaySink::Stdout(RecordFormat::Envelope)
    } else {
        ReplaySink::Stdout(match args.format {
            ReplayFormat::Ndjson => RecordFormat::Ndjson,
            ReplayFormat::Envelope => RecordFormat::Envelope,
            ReplayFormat::Csv => RecordFormat::Csv,
        })
    };
    if args.max_in_flight == 0 {
        return Err(error::usage("--max-in-flight must be at least 1"));
    }
    let expect = expect(args.expect.as_deref(), args.expect_once)?;
    let (summary, junit) = summaries(&args.summary, &expect)?;
    Ok(ReplayConfig {
        start,
        stop: Stop {
            follow: args.follow,
            to_offset: args.to_offset,
            to_time: args
                .to_time
                .as_deref()
                .map(|v| flag("--to-time", parse_time_or_ago(v)))
                .transpose()?,
        },
        count: args.count,
        partitions: args.partition.clone(),
        group: args.group.clone(),
        filter: Filter::parse(&args.filter).map_err(error::usage)?,
        sink,
        progress: args.progress,
        summary,
        timeout: flag("--timeout", parse_timeout(&args.timeout))?,
        max_in_flight: args.max_in_flight,
        wait: args
            .wait
            .as_deref()
            .map(|v| flag("--wait", parse_duration(v)))
            .transpose()?,
        expect,
        junit,
        last: args.last,
    })
}

/// A timeout: a duration, and not zero (librdkafka reads 0 as "never").
fn parse_timeout(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err(format!("{text:?}: a timeout must be longer than 0")),
        d => Ok(d),
    }
}

/// A flag's parsed value, or a usage error naming the flag.
fn flag<T>(name: &str, parsed: Result<T, String>) -> Result<T> {
    parsed.map_err(|e| error::usage(format!("{name}: {e}")))
}

/// A rate such as `500`, `500/s` or `2.5/s`, per second.
fn parse_rate(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches("/s");
    match number.parse::<f64>() {
        // Below one a minute is a typo, and a pacing delay that overflows.
        Ok(r) if (1.0 / 60.0..=1e9).contains(&r) => Ok(r),
        _ => Err(format!(
            "{text:?} is not a positive rate (try 500 or 500/s)"
        )),
    }
}

/// A dead-letter file must not be one of the inputs: writing it would
/// destroy (or endlessly grow) what is being read.
fn check_dead_letter(dead: &std::path::Path, sources: &[Source]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(target) = std::fs::metadata(dead) else {
        return Ok(()); // Not there yet: it cannot be an input.
    };
    for s in sources {
        // stdin: whatever file it was redirected from.
        let input = match &s.path {
            Some(p) => std::fs::metadata(p),
            None => std::fs::metadata("/dev/stdin"),
        };
        if let Ok(input) = input {
            if input.dev() == target.dev() && input.ino() == target.ino() {
                return Err(error::usage(format!(
                    "--on-invalid dead-letter={}: that file is an input ({})",
                    dead.display(),
                    s.name
                )));
            }
        }
    }
    Ok(())
}

fn source(path: PathBuf, format: Option<InputFormat>) -> Result<Source> {
    let by_extension = || match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
        _ => Format::Ndjson,
    };
    let format = match format {
        Some(InputFormat::Csv) => Format::Csv,
        Some(InputFormat::Ndjson) => Format::Ndjson,
        None => by_extension(),
    };
    if path.as_os_str() == "-" {
        return Ok(Source {
            name: "<stdin>".to_string(),
            path: None,
            format,
            size: None,
        });
    }
    let meta =
        std::fs::metadata(&path).map_err(|e| error::usage(format!("{}: {e}", path.display())))?;
    if meta.is_dir() {
        return Err(error::usage(format!("{}: is a directory", path.display())));
    }
    Ok(Source {
        name: path.display().to_string(),
        size: meta.is_file().then_some(meta.len()),
        format,
        path: Some(path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{code_of, Code};

    #[test]
    fn rates() {
        assert_eq!(parse_rate("500"), Ok(500.0));
        assert_eq!(parse_rate("2.5/s"), Ok(2.5));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("1e-30").is_err());
        assert!(parse_rate("1e30").is_err());
        assert!(parse_rate("inf").is_err());
        assert!(parse_rate("-1/s").is_err());
        assert!(parse_rate("fast").is_err());
        // The bounds: one a minute and a billion a second, both included.
        assert_eq!(parse_rate("0.5/s"), Ok(0.5));
        assert!(parse_rate("0.0166").is_err());
        assert!(parse_rate("0.0167").is_ok());
        assert_eq!(parse_rate("1000000000"), Ok(1e9));
        assert!(parse_rate("1000000001").is_err());
    }

    #[test]
    fn timeouts_are_never_zero() {
        assert!(parse_timeout("0s").unwrap_err().contains("longer than 0"));
        assert_eq!(parse_timeout("1ms"), Ok(Duration::from_millis(1)));
        assert!(refused(&["publish", "--timeout", "0s"]).contains("longer than 0"));
        assert!(refused(&["replay", "--timeout", "0ms"]).contains("longer than 0"));
        assert!(refused(&["health", "--timeout", "0s"]).contains("longer than 0"));
    }

    #[test]
    fn replication_flags_are_checked_before_any_broker() {
        let create = |extra: &[&str]| {
            let mut args = vec!["publish", "--create-topic"];
            args.extend(extra);
            args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
        };
        let refused_with = |extra: &[&str]| {
            let args = create(extra);
            refused(&args.iter().map(String::as_str).collect::<Vec<_>>())
        };
        assert_eq!(
            refused_with(&["--replication-factor", "0"]),
            "--replication-factor must be at least 1"
        );
        assert_eq!(
            refused_with(&["--min-insync-replicas", "0"]),
            "--min-insync-replicas must be at least 1"
        );
        assert!(
            refused_with(&["--replication-factor", "2", "--min-insync-replicas", "3"])
                .contains("no write could succeed")
        );
        // At the limits: accepted.
        let spec = publish_of(&[
            "--create-topic",
            "--replication-factor",
            "1",
            "--min-insync-replicas",
            "1",
        ])
        .create_topic
        .expect("--create-topic");
        assert_eq!((spec.replication, spec.min_insync), (Some(1), Some(1)));
        let spec = publish_of(&[
            "--create-topic",
            "--replication-factor",
            "3",
            "--min-insync-replicas",
            "3",
        ])
        .create_topic
        .expect("--create-topic");
        assert_eq!((spec.replication, spec.min_insync), (Some(3), Some(3)));
    }

    #[test]
    fn a_dead_letter_file_may_not_be_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.ndjson");
        let other = dir.path().join("other.ndjson");
        std::fs::write(&input, "{}\n").unwrap();
        std::fs::write(&other, "{}\n").unwrap();
        let (input, other) = (input.to_str().unwrap(), other.to_str().unwrap());
        let dead = |path: &str| format!("dead-letter={path}");
        let e = refused(&["publish", other, input, "--on-invalid", &dead(input)]);
        assert!(
            e.contains("that file is an input (") && e.contains("in.ndjson)"),
            "{e}"
        );
        // Another existing file, or one not there yet, is fine.
        publish_of(&[input, "--on-invalid", &dead(other)]);
        let fresh = dir.path().join("fresh.ndjson");
        publish_of(&[input, "--on-invalid", &dead(fresh.to_str().unwrap())]);
        // The same name through another path is still the same file.
        let dotted = format!("{}/./in.ndjson", dir.path().display());
        assert!(refused(&["publish", input, "--on-invalid", &dead(&dotted)])
            .contains("that file is an input"));
    }

    fn resolved(args: &[&str]) -> Result<(Common, Job)> {
        // A Redis URL of our own, whatever DUALSTREAM_REDIS says.
        let redis: &[&str] = if args.contains(&"--redis") {
            &[]
        } else {
            &["--redis", "redis://127.0.0.1:6379"]
        };
        // An empty config file of our own, whatever the user's says.
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("config.toml");
        std::fs::write(&empty, "").unwrap();
        let config = ["--config", empty.to_str().unwrap()];
        let config: &[&str] = if args.contains(&"--config") {
            &[]
        } else {
            &config
        };
        let argv = ["dualstream"].iter().chain(redis).chain(config).chain(args);
        let cli = Cli::try_parse_args(argv).unwrap();
        resolve(cli, &Output::new(Color::Never, false))
    }

    /// The usage error these arguments give (exit 2), as printed.
    fn refused(args: &[&str]) -> String {
        match resolved(args) {
            Ok(_) => panic!("{args:?} were accepted"),
            Err(e) => {
                assert_eq!(code_of(&e), Code::Usage, "{e:#}");
                format!("{e:#}")
            }
        }
    }

    fn publish_of(args: &[&str]) -> PublishConfig {
        let mut argv = vec!["publish"];
        argv.extend(args);
        match resolved(&argv).unwrap().1 {
            Job::Publish(p) => p,
            _ => unreachable!("publish resolves to a publish job"),
        }
    }

    fn replay_of(args: &[&str]) -> ReplayConfig {
        let mut argv = vec!["replay"];
        argv.extend(args);
        match resolved(&argv).unwrap().1 {
            Job::Replay(r) => r,
            _ => unreachable!("replay resolves to a replay job"),
        }
    }

    fn tail_of(args: &[&str]) -> TailConfig {
        let mut argv = vec!["tail"];
        argv.extend(args);
        match resolved(&argv).unwrap().1 {
            Job::Tail(t) => t,
            _ => unreachable!("tail resolves to a tail job"),
        }
    }

    fn health_of(args: &[&str]) -> HealthConfig {
        let mut argv = vec!["health"];
        argv.extend(args);
        match resolved(&argv).unwrap().1 {
            Job::Health(h) => h,
            _ => unreachable!("health resolves to a health job"),
        }
    }

    #[test]
    fn commands_that_need_redis_refuse_redis_off() {
        assert_eq!(
            refused(&["--redis", "off", "tail", "x"]),
            "tail reads Redis: --redis off leaves nothing to follow"
        );
        assert_eq!(
            refused(&["--redis", "off", "replay", "--to-redis"]),
            "--to-redis needs Redis: not with --redis off"
        );
        assert!(resolved(&["--redis", "off", "replay"]).is_ok());
        assert!(resolved(&["--redis", "none", "publish", "--dry-run"]).is_ok());
        assert!(resolved(&["tail", "x"]).is_ok());
        assert!(resolved(&["replay", "--to-redis"]).is_ok());
    }

    #[test]
    fn shared_settings() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("client.properties");
        std::fs::write(&file, "# tls\nsecurity.protocol=ssl\nlinger.ms=5\n").unwrap();
        let file = file.to_str().unwrap();
        let (common, _) = resolved(&[
            "--brokers",
            "k1:9092,k2:9092",
            "--topic",
            "orders",
            "-F",
            file,
            "-X",
            "linger.ms=50",
            "health",
        ])
        .unwrap();
        assert_eq!(common.kafka.brokers, "k1:9092,k2:9092");
        assert_eq!(common.topic, "orders");
        let pairs: Vec<(&str, &str)> = common
            .kafka
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("security.protocol", "ssl"),
                ("linger.ms", "5"),
                ("linger.ms", "50")
            ]
        );
        assert_eq!(
            common.redis.map(|r| r.shown),
            Some("redis://127.0.0.1:6379".to_string())
        );
        let (common, _) = resolved(&["--redis", "off", "health"]).unwrap();
        assert!(common.redis.is_none());

        assert_eq!(
            refused(&["--topic", "", "health"]),
            "--topic must not be empty"
        );
        assert!(refused(&["-F", "/nonexistent/client.properties", "health"])
            .starts_with("-F /nonexistent/client.properties: "));
        assert!(refused(&["-X", "linger.ms", "health"]).contains("linger.ms"));
        assert!(refused(&["--redis", "http://x", "health"]).starts_with("--redis "));
    }

    #[test]
    fn compression_is_the_last_word_on_the_codec() {
        let (common, _) = resolved(&["-X", "compression.codec=gzip", "publish"]).unwrap();
        assert_eq!(
            common.kafka.properties,
            vec![("compression.codec".into(), "gzip".into())]
        );
        let args = [
            "-X",
            "compression.codec=gzip",
            "publish",
            "--compression",
            "zstd",
        ];
        let (common, _) = resolved(&args).unwrap();
        let codec = common.kafka.properties.last().unwrap();
        assert_eq!(codec, &("compression.codec".into(), "zstd".into()));
    }

    #[test]
    fn publish_settings() {
        let p = publish_of(&[]);
        assert_eq!(p.sources.len(), 1);
        assert_eq!(
            (p.sources[0].name.as_str(), p.sources[0].format),
            ("<stdin>", Format::Ndjson)
        );
        assert!(p.sources[0].path.is_none());
        assert_eq!(p.on_invalid, OnInvalid::Fail);
        assert!(p.headers);
        assert!(p.create_topic.is_none());
        assert_eq!(p.timeout, Duration::from_secs(30));
        assert_eq!((p.max_in_flight, p.redis_batch), (20_000, 500));
        assert_eq!(p.summary, Summary::Auto);
        assert!(matches!(p.fields.kind, Field::Path(ref f) if f.as_str() == "type"));

        let p = publish_of(&[
            "--on-invalid",
            "skip",
            "--no-headers",
            "--create-topic",
            "--partitions",
            "1",
            "--type",
            "push",
            "--source-id-field",
            "repo.name",
            "--id-field",
            "key",
            "--time-field",
            "at",
            "--timeout",
            "2s",
            "--summary",
            "json",
            "--max-in-flight",
            "1",
            "--redis-batch",
            "1",
            "--max-line-bytes",
            "64",
            "--dry-run",
            "--progress",
            "-",
        ]);
        assert_eq!(p.on_invalid, OnInvalid::Skip);
        assert!(!p.headers);
        let spec = p.create_topic.expect("--create-topic");
        assert_eq!(
            (spec.partitions, spec.replication, spec.min_insync),
            (1, None, None)
        );
        assert!(matches!(p.fields.kind, Field::Const(ref c) if c == "push"));
        assert!(matches!(p.fields.source_id, Field::Path(ref f) if f.as_str() == "repo.name"));
        assert_eq!(
            (p.fields.id.as_str(), p.fields.time.as_str()),
            ("key", "at")
        );
        assert_eq!(p.timeout, Duration::from_secs(2));
        assert_eq!(p.summary, Summary::Json);
        assert_eq!(
            (p.max_in_flight, p.redis_batch, p.max_line_bytes),
            (1, 1, 64)
        );
        assert!(p.dry_run && p.progress);
        assert_eq!(p.sources.len(), 1);

        assert_eq!(
            publish_of(&["--on-invalid", "dead-letter=bad.ndjson"]).on_invalid,
            OnInvalid::DeadLetter(PathBuf::from("bad.ndjson"))
        );
        assert_eq!(publish_of(&["--summary", "table"]).summary, Summary::Table);
        assert_eq!(publish_of(&["--summary", "none"]).summary, Summary::None);
        assert_eq!(publish_of(&["--summary", "auto"]).summary, Summary::Auto);
    }

    #[test]
    fn publish_refusals() {
        let on_invalid = "expected fail, skip or dead-letter=FILE";
        assert!(refused(&["publish", "--on-invalid", "dead-letter="]).contains(on_invalid));
        assert!(refused(&["publish", "--on-invalid", "ignore"]).contains(on_invalid));
        assert_eq!(
            refused(&["publish", "-", "-"]),
            "stdin (-) can be read only once"
        );
        let at_least_one = "--max-in-flight and --redis-batch must be at least 1";
        assert_eq!(refused(&["publish", "--max-in-flight", "0"]), at_least_one);
        assert_eq!(refused(&["publish", "--redis-batch", "0"]), at_least_one);
        assert_eq!(
            refused(&["publish", "--create-topic", "--partitions", "0"]),
            "--partitions must be at least 1"
        );
        assert!(refused(&["publish", "--timeout", "soon"]).starts_with("--timeout: "));
        assert!(refused(&["publish", "--channel", "x:{nope}"]).contains("unknown placeholder"));
    }

    #[test]
    fn input_files_and_their_formats() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, "12345").unwrap();
            p.to_str().unwrap().to_string()
        };
        let (csv, upper, ndjson) = (path("a.csv"), path("b.CSV"), path("c.ndjson"));
        let p = publish_of(&[&csv, &upper, &ndjson, "-"]);
        let formats: Vec<Format> = p.sources.iter().map(|s| s.format).collect();
        assert_eq!(
            formats,
            [Format::Csv, Format::Csv, Format::Ndjson, Format::Ndjson]
        );
        assert_eq!(p.sources[0].name, csv);
        assert_eq!(p.sources[0].path, Some(PathBuf::from(&csv)));
        assert_eq!(p.sources[0].size, Some(5));
        assert_eq!(p.sources[3].name, "<stdin>");
        let p = publish_of(&["--format", "csv", &ndjson]);
        assert_eq!(p.sources[0].format, Format::Csv);
        let p = publish_of(&["--format", "ndjson", &csv]);
        assert_eq!(p.sources[0].format, Format::Ndjson);

        let missing = dir.path().join("missing.ndjson");
        assert!(refused(&["publish", missing.to_str().unwrap()]).contains("missing.ndjson"));
        let here = dir.path().to_str().unwrap();
        assert_eq!(
            refused(&["publish", here]),
            format!("{here}: is a directory")
        );
    }

    #[test]
    fn replay_settings() {
        let r = replay_of(&[]);
        assert_eq!(r.start, Start::Beginning);
        assert!(matches!(r.sink, ReplaySink::Stdout(RecordFormat::Ndjson)));
        assert_eq!(r.timeout, Duration::from_secs(30));
        assert!(r.filter.is_empty());
        assert_eq!(replay_of(&["--from-offset", "-2"]).start, Start::Offset(-2));
        assert_eq!(replay_of(&["--from-end"]).start, Start::End);
        assert_eq!(
            replay_of(&["--from-time", "1700000000000"]).start,
            Start::Time(1_700_000_000_000)
        );
        let r = replay_of(&["--to-offset", "0", "--to-time", "2023-11-14T22:13:20Z"]);
        assert_eq!(
            (r.stop.to_offset, r.stop.to_time),
            (Some(0), Some(1_700_000_000_000))
        );
        assert!(matches!(
            replay_of(&["--envelope"]).sink,
            ReplaySink::Stdout(RecordFormat::Envelope)
        ));
        assert!(matches!(
            replay_of(&["--format", "csv"]).sink,
            ReplaySink::Stdout(RecordFormat::Csv)
        ));
        assert!(matches!(
            replay_of(&["--format", "envelope"]).sink,
            ReplaySink::Stdout(RecordFormat::Envelope)
        ));
        assert!(matches!(
            replay_of(&["--to-topic", "copy"]).sink,
            ReplaySink::Topic(ref t) if t == "copy"
        ));
        assert!(matches!(
            replay_of(&["--to-redis", "--rate", "10/s"]).sink,
            ReplaySink::Redis { rate: Some(r), .. } if r == 10.0
        ));
        let r = replay_of(&[
            "--filter",
            "type=push",
            "--to-topic",
            "copy",
            "--max-in-flight",
            "1",
        ]);
        assert!(!r.filter.is_empty());
        assert_eq!(r.max_in_flight, 1);

        assert_eq!(
            refused(&["replay", "--to-offset=-1"]),
            "--to-offset must be 0 or more"
        );
        assert_eq!(
            refused(&["replay", "--to-topic", ""]),
            "--to-topic needs a topic name"
        );
        assert_eq!(
            refused(&["replay", "--to-topic", "copy", "--max-in-flight", "0"]),
            "--max-in-flight must be at least 1"
        );
        assert!(refused(&["replay", "--to-redis", "--rate", "0"]).starts_with("--rate: "));
        assert!(refused(&["replay", "--from-time", "soon"]).starts_with("--from-time: "));
        assert!(refused(&["replay", "--to-time", "soon"]).starts_with("--to-time: "));
        assert!(refused(&["replay", "--filter", "=red"]).contains("empty field name"));
    }

    #[test]
    fn tail_and_health_settings() {
        let out = Output::new(Color::Never, false);
        let t = tail_of(&["events:*", "plain"]);
        assert_eq!(t.subscriptions.patterns, ["events:*"]);
        assert_eq!(t.subscriptions.names, ["plain"]);
        assert_eq!(t.format, out.for_stdout(Tail::Pretty, Tail::Json));
        assert_eq!((t.timeout, t.catch_up, t.count), (None, None, None));
        let t = tail_of(&[
            "--literal",
            "--format",
            "csv",
            "--timeout",
            "5s",
            "--catch-up",
            "1700000000000",
            "--count",
            "3",
            "a*",
        ]);
        assert_eq!(t.subscriptions.names, ["a*"]);
        assert_eq!(t.format, Tail::Csv);
        assert_eq!(t.timeout, Some(Duration::from_secs(5)));
        assert_eq!((t.catch_up, t.count), (Some(1_700_000_000_000), Some(3)));
        for (name, format) in [
            ("pretty", Tail::Pretty),
            ("json", Tail::Json),
            ("raw", Tail::Raw),
        ] {
            assert_eq!(tail_of(&["--format", name, "x"]).format, format);
        }
        assert_eq!(
            refused(&["tail", "x", ""]),
            "an empty channel pattern matches nothing"
        );
        assert!(refused(&["tail", "--timeout", "soon", "x"]).starts_with("--timeout: "));
        assert!(refused(&["tail", "--catch-up", "soon", "x"]).starts_with("--catch-up: "));
        assert!(refused(&["tail", "--channel", "{", "x"]).contains("unclosed"));

        let h = health_of(&[]);
        assert_eq!((h.timeout, h.max_latency), (Duration::from_secs(10), None));
        assert!(matches!(h.format, DocFormat::Table));
        let h = health_of(&["--probe", "--max-latency", "250ms", "--format", "json"]);
        assert_eq!(h.max_latency, Some(Duration::from_millis(250)));
        assert!(h.probe && matches!(h.format, DocFormat::Json));
        assert!(refused(&["health", "--timeout", "soon"]).starts_with("--timeout: "));
        assert!(
            refused(&["health", "--probe", "--max-latency", "x"]).starts_with("--max-latency: ")
        );
    }

    #[test]
    fn a_profile_fills_only_what_was_left_at_a_default() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(
            &file,
            "default = \"p\"\n[profiles.p]\nbrokers = \"pk:1\"\nredis = \"redis://pr:2\"\n\
             topic = \"pt\"\nchannel = \"prof:{source_type}:{source_id}\"\n\
             [profiles.p.kafka]\n\"linger.ms\" = 1\n[profiles.q]\ntopic = \"qt\"\n",
        )
        .unwrap();
        let file = file.to_str().unwrap();
        let with = |args: &[&str]| {
            let mut argv = vec!["--config", file];
            argv.extend(args);
            resolved(&argv).unwrap()
        };
        // The profile's values where the user gave none (the test helper gives --redis).
        let (common, _) = with(&["health"]);
        assert_eq!(common.kafka.brokers, "pk:1");
        assert_eq!((common.topic.as_str(), common.topic_given), ("pt", true));
        assert_eq!(
            common.redis.as_ref().map(|r| r.shown.as_str()),
            Some("redis://127.0.0.1:6379")
        );
        let pairs = |c: &Common| {
            c.kafka
                .properties
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(&common), ["linger.ms=1"]);
        let (common, _) = with(&["--redis", "off", "health"]);
        assert!(common.redis.is_none());
        // Flags win, and -X comes after the profile's properties.
        let (common, _) = with(&[
            "--brokers",
            "fk:1",
            "--topic",
            "ft",
            "-X",
            "linger.ms=2",
            "health",
        ]);
        assert_eq!(common.kafka.brokers, "fk:1");
        assert_eq!(common.topic, "ft");
        assert_eq!(pairs(&common), ["linger.ms=1", "linger.ms=2"]);
        // The channel template of tail (and publish, replay), unless given.
        let channel_of = |args: &[&str]| {
            let mut argv = vec!["--config", file, "tail"];
            argv.extend(args);
            argv.push("x");
            match resolved(&argv).unwrap().1 {
                Job::Tail(t) => t.channel,
                _ => unreachable!("tail resolves to a tail job"),
            }
        };
        assert_eq!(channel_of(&[]).source_type_of("prof:repo:a"), Some("repo"));
        assert_eq!(
            channel_of(&["--channel", "ev:{source_type}:{source_id}"]).source_type_of("ev:repo:a"),
            Some("repo")
        );
        // Another profile by name; none without a default.
        let (common, _) = with(&["--profile", "q", "health"]);
        assert_eq!(
            (common.kafka.brokers.as_str(), common.topic.as_str()),
            ("localhost:9092", "qt")
        );
        let (common, _) = resolved(&["health"]).unwrap();
        assert_eq!(
            (common.topic.as_str(), common.topic_given),
            ("events", false)
        );
        assert!(
            refused(&["--config", file, "--profile", "r", "health"]).contains("no profile \"r\"")
        );
        // `profile` itself prints the file: nothing is applied, nothing refused.
        match with(&["--profile", "r", "profile", "show", "q", "--format", "json"]).1 {
            Job::Profile(job) => {
                assert!(matches!(job.action, Action::Show(Some(ref n)) if n == "q"));
                assert_eq!(job.format, DocFormat::Json);
                assert_eq!(job.chosen.as_deref(), Some("r"));
                assert_eq!(job.config.as_deref(), Some(std::path::Path::new(file)));
            }
            _ => unreachable!("profile resolves to a profile job"),
        }
        match with(&["profile", "list"]).1 {
            Job::Profile(job) => {
                assert!(matches!(job.action, Action::List));
                assert_eq!(job.format, DocFormat::Table);
            }
            _ => unreachable!("profile resolves to a profile job"),
        }
    }
}
