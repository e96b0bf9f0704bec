//! Command-line arguments turned into plain, checked settings, in one step:
//! [`resolve`] builds the settings every command shares and the command's
//! own. Every check that can fail without a broker happens here, flag
//! combinations included, so a bad flag exits 2 before anything is
//! connected. Clap types stop at this module.
//!
//! A named profile (`profile.rs`) fills in what the user left at a built-in
//! default: flag > environment > profile > default. Clap tells which values
//! are defaults ([`crate::cli::Defaulted`]); only those are replaced.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::cli::{
    AuthChoice, Cli, ColorChoice, Command, FormatOr, Global, HealthArgs, InputFormat,
    IsolationChoice, ProfileAction, PublishArgs, ReplayArgs, ReplayFormat, ReportFormat, ServeArgs,
    SummaryChoice, SummaryFormat, TailArgs, TailFormat, TopicAction,
};
use crate::duration::{parse_duration, parse_time_or_ago};
use crate::error;
use crate::event::{ChannelTemplate, Field, FieldMap, FieldPath};
use crate::input::{Source, Syntax};
use crate::kafka::admin::TopicSpec;
use crate::kafka::config::{parse_properties_file, parse_property};
use crate::kafka::config::{BrokersFrom, Isolation};
use crate::kafka::read::{Start, Stop};
use crate::kafka::KafkaSettings;
use crate::output::records::{Columns, RecordFormat, TailLayout};
use crate::output::summary::{SummaryKind, SummaryTo};
use crate::output::template::{Subject, Template};
use crate::output::{Color, DocFormat, Output};
use crate::profile::{self, Action, Profile, ProfileJob};
use crate::pubsub::{Subscriptions, Target};
use crate::select::{Expectations, Filter};

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

/// publish's `--summary`: a stderr format and a JSON file, no JUnit (it has
/// no --expect).
fn publish_summary(choices: &[SummaryChoice]) -> Result<SummaryTo> {
    if choices.iter().any(|c| matches!(c, SummaryChoice::Junit(_))) {
        return Err(error::usage(
            "--summary junit=FILE reports the expectations of tail and replay: publish has none (json=FILE writes its summary)",
        ));
    }
    Ok(summaries(choices, &None)?.0)
}

fn summary(f: SummaryFormat) -> SummaryKind {
    match f {
        SummaryFormat::Auto => SummaryKind::Auto,
        SummaryFormat::Table => SummaryKind::Table,
        SummaryFormat::Json => SummaryKind::Json,
        SummaryFormat::None => SummaryKind::None,
    }
}

/// `--summary` given any number of times: at most one stderr format (auto
/// when none), at most one JSON file (whose directory must exist) and at
/// most one JUnit file, which needs --expect.
fn summaries(
    choices: &[SummaryChoice],
    expect: &Option<Expect>,
) -> Result<(SummaryTo, Option<PathBuf>)> {
    let mut format = None;
    let mut file = None;
    let mut junit = None;
    for choice in choices {
        match choice {
            SummaryChoice::Format(f) if format.is_none() => format = Some(summary(*f)),
            SummaryChoice::JsonFile(path) if file.is_none() => file = Some(path.clone()),
            SummaryChoice::Junit(path) if junit.is_none() => junit = Some(path.clone()),
            SummaryChoice::Format(_) => {
                return Err(error::usage(
                    "--summary: give one of auto, table, json, none (and json=FILE or junit=FILE beside it)",
                ))
            }
            SummaryChoice::JsonFile(_) => {
                return Err(error::usage("--summary: one json=FILE at most"))
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
    if let Some(path) = &file {
        // Said now, not after the run: a file that cannot be where asked.
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if path.is_dir() || !dir.is_dir() {
            return Err(error::usage(format!(
                "--summary json={}: {}",
                path.display(),
                if path.is_dir() {
                    "is a directory"
                } else {
                    "its directory does not exist"
                }
            )));
        }
    }
    let to = SummaryTo {
        kind: format.unwrap_or(SummaryKind::Auto),
        file,
    };
    Ok((to, junit))
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
            "longer than {:.1} MB",
            limit as f64 / 1e6
        )));
    }
    Ok(bytes)
}

/// What `--expect` asks for.
pub struct Expect {
    /// The expectations of the file, each met or not yet.
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
    /// The brokers and the librdkafka properties (profile, then -F, then
    /// -X; publish's --compression last).
    pub kafka: KafkaSettings,
    /// --topic.
    pub topic: String,
    /// The topic was chosen by the user, not defaulted.
    pub topic_given: bool,
    /// `None` for `--redis off`: for the commands to which Redis is
    /// optional. Those that need it (tail, replay --to-redis) have it in
    /// their own settings.
    pub redis: Option<Target>,
}

/// Where the brokers come from (flag > environment > profile > default),
/// decided before [`apply`] fills in the profile's.
fn brokers_from(global: &Global, profile: Option<&Profile>) -> BrokersFrom {
    match profile.filter(|p| p.brokers.is_some()) {
        _ if !global.defaulted.brokers && global.brokers_from_env => BrokersFrom::Env,
        _ if !global.defaulted.brokers => BrokersFrom::Flag,
        Some(p) => BrokersFrom::Profile(p.name.clone()),
        None => BrokersFrom::Default,
    }
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
    if let (true, Some(on)) = (g.defaulted.sharded, p.sharded) {
        g.sharded = on;
        g.defaulted.sharded = false;
    }
    fill(&mut g.defaulted.topic, &mut g.topic, &p.topic);
    let channel = match &mut cli.command {
        Command::Publish(a) => &mut a.channel,
        Command::Tail(a) => &mut a.channel,
        Command::Replay(a) => &mut a.channel,
        Command::Serve(a) => &mut a.channel,
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
    check_topic_name(&global.topic, "--topic")?;
    let redis = match global.redis.as_str() {
        "off" | "none" => None,
        url => Some(
            Target::open(url)
                .map_err(|e| error::fail(error::code_of(&e), format!("--redis {e}")))?
                .with_sharded(global.sharded),
        ),
    };
    Ok(Common {
        kafka: KafkaSettings {
            brokers: global.brokers.clone(),
            from: BrokersFrom::Default,
            properties,
            isolation: match global.isolation {
                IsolationChoice::ReadCommitted => Isolation::ReadCommitted,
                IsolationChoice::ReadUncommitted => Isolation::ReadUncommitted,
            },
        },
        topic: global.topic.clone(),
        topic_given: !global.defaulted.topic,
        redis,
    })
}

/// The most partitions librdkafka lets a topic be created with.
const MAX_PARTITIONS: i32 = 100_000;

/// A name Kafka can never have as a topic's is a usage error (exit 2) that
/// says what is allowed, instead of a broker's INVALID_TOPIC (exit 4) or a
/// "does not exist, create it" hint that cannot be followed.
fn check_topic_name(name: &str, what: &str) -> Result<()> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let why = if name == "." || name == ".." {
        Some("is not allowed".to_string())
    } else if name.len() > 249 {
        Some(format!("is {} characters long (at most 249)", name.len()))
    } else {
        name.chars().find(|&c| !legal(c)).map(|c| {
            format!(
                "has {c:?}, and a topic name may only have ASCII letters, digits, '.', '_' and '-'"
            )
        })
    };
    let shown: String = match name.chars().count() > 60 {
        true => name.chars().take(60).chain(['…']).collect(),
        false => name.to_string(),
    };
    match why {
        Some(why) => Err(error::usage(format!("{what} {shown:?} {why}"))),
        None => Ok(()),
    }
}

/// A broker list that cannot name a broker is a usage error (exit 2), not a
/// wait for brokers that cannot exist: empty (an unset secret in CI), an
/// empty entry, a port outside 1–65535, or a scheme librdkafka does not
/// take.
fn check_servers(kafka: &KafkaSettings) -> Result<()> {
    let list = kafka.effective();
    let source = match kafka.servers_property() {
        Some(_) => "from the bootstrap.servers property".to_string(),
        None => kafka.from.to_string(),
    };
    let bad = |why: &str| error::usage(format!("the broker list {list:?} ({source}): {why}"));
    if list.trim().is_empty() {
        return Err(bad("it is empty; give --brokers HOST:PORT[,HOST:PORT…]"));
    }
    for entry in list.split(',').map(str::trim) {
        if entry.is_empty() {
            return Err(bad("it has an empty entry"));
        }
        let address = match entry.split_once("://") {
            Some((scheme, rest)) => {
                let known = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"];
                if !known.contains(&scheme.to_ascii_lowercase().as_str()) {
                    return Err(bad(&format!(
                        "{scheme}:// is not a protocol librdkafka knows (give HOST:PORT)"
                    )));
                }
                rest
            }
            None => entry,
        };
        if let Some((host, port)) = address.rsplit_once(':') {
            let bracketed = host.starts_with('[') && host.ends_with(']');
            let v6_bare = host.contains(':') && !bracketed;
            if !v6_bare && !matches!(port.parse::<u32>(), Ok(1..=65535)) {
                return Err(bad(&format!(
                    "{port:?} in {entry:?} is not a port (1-65535)"
                )));
            }
            if host.is_empty() {
                return Err(bad(&format!("{entry:?} has no host")));
            }
        }
    }
    Ok(())
}

/// What to do with an invalid input line.
#[derive(Clone, Debug, PartialEq)]
pub enum OnInvalid {
    /// Stop the run (exit 3).
    Fail,
    /// Count it and go on.
    Skip,
    /// Write it to this file and go on.
    DeadLetter(PathBuf),
}

/// `publish`'s settings.
pub struct PublishConfig {
    /// The inputs, in order (stdin at most once).
    pub sources: Vec<Source>,
    /// Where each event's id, type, source and time are found.
    pub fields: FieldMap,
    /// The Redis channel of each notification.
    pub channel: ChannelTemplate,
    /// --channel as given, when not the default (for a repair command).
    pub channel_flag: Option<String>,
    /// --on-invalid.
    pub on_invalid: OnInvalid,
    /// --max-line-bytes: longest line (NDJSON) or record (CSV).
    pub max_line_bytes: usize,
    /// --skip-lines: lines 1..=N of the first input are not published.
    pub skip_lines: u64,
    /// --dry-run: print what would be sent, connect to nothing.
    pub dry_run: bool,
    /// The stderr summary's format, and --summary json=FILE.
    pub summary: SummaryTo,
    /// --progress: the progress bar even off a terminal.
    pub progress: bool,
    /// --timeout: how long Kafka may take (never zero).
    pub timeout: Duration,
    /// --max-in-flight: most records sent and not yet acknowledged (at least 1).
    pub max_in_flight: usize,
    /// --redis-batch: most notifications in one pipeline (at least 1).
    pub redis_batch: usize,
    /// --redis-required: a failed notification is exit 5 (not only a warning).
    pub redis_required: bool,
    /// Send id/type/source_type headers (not --no-headers).
    pub headers: bool,
    /// With --create-topic: the topic to create if it is missing.
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
        None => Field::Path(FieldPath::new(path)),
    };
    let fields = FieldMap {
        id: FieldPath::new(&args.id_field),
        kind: field(&args.type_const, &args.type_field),
        source_type: field(&args.source_type_const, &args.source_type_field),
        source_id: field(&args.source_id_const, &args.source_id_field),
        time: FieldPath::new(&args.time_field),
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
    let spec = topic_spec(
        args.partitions,
        args.replication_factor,
        args.min_insync_replicas,
    )?;
    Ok(PublishConfig {
        sources,
        fields,
        channel,
        channel_flag: (args.channel != "events:{source_type}:{source_id}")
            .then(|| args.channel.clone()),
        on_invalid,
        max_line_bytes: args.max_line_bytes,
        skip_lines: args.skip_lines,
        dry_run: args.dry_run,
        summary: publish_summary(&args.summary)?,
        progress: args.progress,
        timeout: flag("--timeout", parse_timeout(&args.timeout))?,
        max_in_flight: args.max_in_flight,
        redis_batch: args.redis_batch,
        redis_required: args.redis_required,
        headers: !args.no_headers,
        create_topic: args.create_topic.then_some(spec),
    })
}

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

fn tail(args: &TailArgs, out: &Output) -> Result<Needs<TailConfig>> {
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

/// A `--format` template, compiled; a usage error names the placeholder.
fn template(text: &str, subject: Subject) -> Result<Template> {
    Template::parse(text, subject).map_err(|e| error::usage(format!("--format {text:?}: {e}")))
}

/// `--fields` (else `default`), as columns.
fn columns(
    fields: &[String],
    default: Vec<String>,
    tab: bool,
    subject: Subject,
) -> Result<Columns> {
    let names = if fields.is_empty() {
        default
    } else {
        fields.to_vec()
    };
    let templates =
        Template::columns(&names, subject).map_err(|e| error::usage(format!("--fields: {e}")))?;
    let names = names
        .iter()
        .map(|n| {
            n.trim()
                .trim_start_matches('{')
                .trim_end_matches('}')
                .to_string()
        })
        .collect();
    Ok(Columns {
        tab,
        names,
        templates,
    })
}

/// `serve`'s settings.
pub struct ServeConfig {
    /// The Redis server or cluster serve subscribes to, once.
    pub redis: Target,
    /// serve's own subscriptions; a client narrows them, never widens.
    pub subscriptions: Subscriptions,
    /// --listen, checked: a loopback address, or --no-auth given.
    pub listen: std::net::SocketAddr,
    /// The publisher's channel template, to match Kafka events to patterns.
    pub channel: ChannelTemplate,
    /// --client-queue: bytes queued for one client.
    pub client_queue: usize,
    /// --max-clients.
    pub max_clients: usize,
    /// --heartbeat.
    pub heartbeat: Duration,
    /// --retry: the SSE reconnection delay.
    pub retry: Duration,
    /// --header-timeout.
    pub header_timeout: Duration,
    /// --queue: messages between Redis and the fan-out.
    pub queue: usize,
    /// --auth: how a client's JWT is checked; none without it.
    pub auth: Option<ServeAuth>,
    /// --allow-origin: the origins (or `*`) CORS lets read.
    pub allow_origins: Vec<String>,
    /// --tls-cert and --tls-key.
    pub tls: Option<ServeTls>,
}

/// `serve --auth`: the key a client's JWT must be signed with, and the
/// `aud`/`iss` it must carry when given.
pub struct ServeAuth {
    pub key: AuthKey,
    pub audience: Vec<String>,
    pub issuer: Vec<String>,
}

/// The key of `serve --auth`, read but not parsed (`serve::auth` does).
pub enum AuthKey {
    /// HS256: the secret's bytes, and where they came from (never the bytes
    /// themselves in a message).
    Secret { bytes: Vec<u8>, from: String },
    /// RS256: a PEM public key and its file.
    Rsa { pem: Vec<u8>, file: PathBuf },
    /// EdDSA (Ed25519): a PEM public key and its file.
    Ed { pem: Vec<u8>, file: PathBuf },
}

/// The environment variable holding `serve --auth hs256`'s secret when no
/// `--auth-secret-file` is given: never a flag, which `ps` would show.
pub const AUTH_SECRET_ENV: &str = "DUALSTREAM_AUTH_SECRET";

/// `serve --tls-cert/--tls-key`: PEM files, read by `serve::tls`.
pub struct ServeTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn serve(args: &ServeArgs) -> Result<Needs<ServeConfig>> {
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        error::usage(format!(
            "--listen {}: expected ADDRESS:PORT (127.0.0.1:8080, [::1]:8080)",
            args.listen
        ))
    })?;
    if !listen.ip().is_loopback() && !args.no_auth && args.auth.is_none() {
        return Err(error::usage(format!(
            "--listen {listen} is not a loopback address: anyone who reaches it would read every \
             event; give --auth to require a token, or --no-auth to serve it open"
        )));
    }
    let auth = serve_auth(args)?;
    let allow_origins = args
        .allow_origin
        .iter()
        .map(|o| check_origin(o))
        .collect::<Result<Vec<_>>>()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(ServeTls {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let given = if args.patterns.is_empty() {
        vec!["events:*".to_string()]
    } else {
        args.patterns.clone()
    };
    if given.iter().any(String::is_empty) {
        return Err(error::usage("an empty channel pattern matches nothing"));
    }
    let subscriptions = Subscriptions::new(&given, args.literal);
    let channel = ChannelTemplate::parse(&args.channel).map_err(error::usage)?;
    let client_queue = flag("--client-queue", parse_bytes(&args.client_queue))?;
    let duration = |name: &str, v: &str| -> Result<Duration> {
        let d = flag(name, parse_duration(v))?;
        if d.is_zero() {
            return Err(error::usage(format!("{name} must be longer than 0")));
        }
        Ok(d)
    };
    let heartbeat = duration("--heartbeat", &args.heartbeat)?;
    let retry = duration("--retry", &args.retry)?;
    let header_timeout = duration("--header-timeout", &args.header_timeout)?;
    if args.max_clients == 0 || args.queue == 0 {
        return Err(error::usage("--max-clients and --queue must be at least 1"));
    }
    let (max_clients, queue) = (args.max_clients, args.queue);
    Ok(Box::new(move |common| {
        Ok(ServeConfig {
            redis: needs_redis(
                common,
                "serve reads Redis: --redis off leaves nothing to serve",
            )?,
            subscriptions,
            listen,
            channel,
            client_queue,
            max_clients,
            heartbeat,
            retry,
            header_timeout,
            queue,
            auth,
            allow_origins,
            tls,
        })
    }))
}

/// `serve --auth` and its key: the secret from `--auth-secret-file` or
/// the environment, or a public key's PEM file; read now, so that a
/// missing file exits 2 before anything connects.
fn serve_auth(args: &ServeArgs) -> Result<Option<ServeAuth>> {
    let read = |flag: &str, file: &Path| {
        std::fs::read(file).map_err(|e| error::usage(format!("{flag} {}: {e}", file.display())))
    };
    let Some(alg) = args.auth else {
        if args.auth_secret_file.is_some() || args.auth_public_key.is_some() {
            return Err(error::usage(
                "--auth-secret-file and --auth-public-key need --auth hs256|rs256|eddsa",
            ));
        }
        return Ok(None);
    };
    let key =
        match (alg, &args.auth_secret_file, &args.auth_public_key) {
            (AuthChoice::Hs256, _, Some(_)) => {
                return Err(error::usage(
                    "--auth hs256 takes a secret (--auth-secret-file or DUALSTREAM_AUTH_SECRET), \
                 not --auth-public-key",
                ))
            }
            (AuthChoice::Rs256 | AuthChoice::EdDsa, Some(_), _) => return Err(error::usage(
                "--auth rs256 and eddsa check with a public key (--auth-public-key FILE), not a \
                 secret",
            )),
            (AuthChoice::Hs256, Some(file), None) => {
                let mut bytes = read("--auth-secret-file", file)?;
                while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    bytes.pop();
                }
                AuthKey::Secret {
                    bytes,
                    from: format!("--auth-secret-file {}", file.display()),
                }
            }
            (AuthChoice::Hs256, None, None) => match std::env::var_os(AUTH_SECRET_ENV) {
                Some(v) => AuthKey::Secret {
                    bytes: v.into_encoded_bytes(),
                    from: AUTH_SECRET_ENV.to_string(),
                },
                None => {
                    return Err(error::usage(format!(
                    "--auth hs256 needs its secret: --auth-secret-file FILE, or {AUTH_SECRET_ENV} \
                     in the environment"
                )))
                }
            },
            (AuthChoice::Rs256 | AuthChoice::EdDsa, None, None) => {
                return Err(error::usage(
                    "--auth rs256 and eddsa need --auth-public-key FILE (PEM)",
                ))
            }
            (AuthChoice::Rs256, None, Some(file)) => AuthKey::Rsa {
                pem: read("--auth-public-key", file)?,
                file: file.clone(),
            },
            (AuthChoice::EdDsa, None, Some(file)) => AuthKey::Ed {
                pem: read("--auth-public-key", file)?,
                file: file.clone(),
            },
        };
    if let AuthKey::Secret { bytes, from } = &key {
        // RFC 7518 3.2: a key of at least the hash's size.
        if bytes.len() < 32 {
            return Err(error::usage(format!(
                "{from}: an HS256 secret needs at least 32 bytes, it has {}",
                bytes.len()
            )));
        }
    }
    if args
        .auth_audience
        .iter()
        .chain(&args.auth_issuer)
        .any(String::is_empty)
    {
        return Err(error::usage(
            "--auth-audience and --auth-issuer cannot be empty",
        ));
    }
    Ok(Some(ServeAuth {
        key,
        audience: args.auth_audience.clone(),
        issuer: args.auth_issuer.clone(),
    }))
}

/// An `--allow-origin` value: `*`, or an exact origin (scheme, host,
/// optional port; no path), as browsers send it in `Origin`.
fn check_origin(origin: &str) -> Result<String> {
    if origin == "*" {
        return Ok(origin.to_string());
    }
    let bad = || {
        error::usage(format!(
            "--allow-origin {origin:?}: expected an origin such as https://app.example.com or \
             http://localhost:3000 (no path, no trailing /), or *"
        ))
    };
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if rest.is_empty() || !rest.chars().all(fine) || rest.starts_with(':') {
        return Err(bad());
    }
    Ok(origin.to_ascii_lowercase())
}

/// `--client-queue`: a size as every size flag takes it
/// ([`crate::duration::parse_size`]), at least 1KiB.
fn parse_bytes(text: &str) -> Result<usize, String> {
    let bytes = crate::duration::parse_size(text)?;
    if bytes < 1024 {
        return Err(format!("{text} is too small: at least 1KiB"));
    }
    usize::try_from(bytes).map_err(|_| format!("{text:?} is too large"))
}

/// `health`'s settings.
pub struct HealthConfig {
    /// --probe: send one real event through the whole path.
    pub probe: bool,
    /// --group: report this consumer group's offsets and lag.
    pub group: Option<String>,
    /// --max-lag: degraded past this total lag.
    pub max_lag: Option<i64>,
    /// --max-latency: degraded when the probe took longer.
    pub max_latency: Option<Duration>,
    /// --channel: channels whose subscriber counts to report.
    pub channels: Vec<String>,
    /// The report's format.
    pub format: DocFormat,
    /// --timeout: how long each broker may take to answer.
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

/// `topic`'s settings.
pub struct TopicJob {
    pub task: TopicTask,
    /// --timeout: how long Kafka may take to answer.
    pub timeout: Duration,
}

/// What `topic` does, to which topic.
pub enum TopicTask {
    Create {
        name: String,
        spec: TopicSpec,
    },
    List {
        internal: bool,
        format: DocFormat,
    },
    Describe {
        name: String,
        format: DocFormat,
    },
    /// Only with --yes.
    Delete {
        name: String,
    },
}

/// A topic task waiting for `--topic`, the default name.
type TaskFor = Box<dyn FnOnce(&Common) -> TopicTask>;

fn topic(action: &TopicAction, out: &Output) -> Result<Needs<TopicJob>> {
    let format = |f: Option<ReportFormat>| match f {
        Some(ReportFormat::Table) => DocFormat::Table,
        Some(ReportFormat::Json) => DocFormat::Json,
        None => out.for_stdout(DocFormat::Table, DocFormat::Json),
    };
    let named = |name: &Option<String>| -> Result<Option<String>> {
        match name {
            Some(n) if n.is_empty() => Err(error::usage("the topic name must not be empty")),
            Some(n) => check_topic_name(n, "the topic name").map(|()| Some(n.clone())),
            None => Ok(None),
        }
    };
    let (task, timeout): (TaskFor, &str) = match action {
        TopicAction::Create(a) => {
            let spec = topic_spec(a.partitions, a.replication_factor, a.min_insync_replicas)?;
            let name = named(&a.name)?;
            (
                Box::new(move |c: &Common| TopicTask::Create {
                    name: name.unwrap_or_else(|| c.topic.clone()),
                    spec,
                }),
                &a.timeout,
            )
        }
        TopicAction::List(a) => {
            let (internal, format) = (a.internal, format(a.format));
            (
                Box::new(move |_: &Common| TopicTask::List { internal, format }),
                &a.timeout,
            )
        }
        TopicAction::Describe(a) => {
            let (name, format) = (named(&a.name)?, format(a.format));
            (
                Box::new(move |c: &Common| TopicTask::Describe {
                    name: name.unwrap_or_else(|| c.topic.clone()),
                    format,
                }),
                &a.timeout,
            )
        }
        TopicAction::Delete(a) => {
            let name = named(&Some(a.name.clone()))?.unwrap_or_default();
            if !a.yes {
                return Err(error::usage(format!(
                    "topic delete {name}: this deletes the topic and every record in it; add --yes to do it"
                )));
            }
            (
                Box::new(move |_: &Common| TopicTask::Delete { name }),
                &a.timeout,
            )
        }
    };
    let timeout = flag("--timeout", parse_timeout(timeout))?;
    Ok(Box::new(move |common| {
        Ok(TopicJob {
            task: task(common),
            timeout,
        })
    }))
}

/// Partitions, replication factor and min.insync.replicas, checked against
/// each other (`topic create`, `publish --create-topic`).
fn topic_spec(
    partitions: Option<i32>,
    replication: Option<i32>,
    min_insync: Option<i32>,
) -> Result<TopicSpec> {
    if partitions.is_some_and(|p| p < 1) {
        return Err(error::usage("--partitions must be at least 1"));
    }
    if let Some(p) = partitions.filter(|&p| p > MAX_PARTITIONS) {
        return Err(error::usage(format!(
            "--partitions {p} is more than a topic can have ({MAX_PARTITIONS})"
        )));
    }
    if replication.is_some_and(|r| r < 1) {
        return Err(error::usage("--replication-factor must be at least 1"));
    }
    if min_insync.is_some_and(|m| m < 1) {
        return Err(error::usage("--min-insync-replicas must be at least 1"));
    }
    if let (Some(r), Some(m)) = (replication, min_insync) {
        if m > r {
            return Err(error::usage(format!(
                "--min-insync-replicas {m} is more than --replication-factor {r}: no write could succeed"
            )));
        }
    }
    Ok(TopicSpec {
        partitions,
        replication,
        min_insync,
    })
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

fn replay(args: &ReplayArgs, out: &Output) -> Result<Needs<ReplayConfig>> {
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
        Some(e) if e.eq_ignore_ascii_case("csv") => Syntax::Csv,
        _ => Syntax::Ndjson,
    };
    let format = match format {
        Some(InputFormat::Csv) => Syntax::Csv,
        Some(InputFormat::Ndjson) => Syntax::Ndjson,
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
mod tests;
