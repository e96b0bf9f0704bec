//! Unit tests of `config`.

use std::time::Duration;

use super::check::{parse_rate, parse_timeout};
use super::*;
use crate::error::{code_of, Code};
use crate::event::Field;
use crate::input::Syntax;
use crate::kafka::read::Start;
use crate::output::records::{RecordFormat, TailLayout};
use crate::output::summary::SummaryKind;
use crate::output::DocFormat;
use crate::profile::Action;

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
    // The command's own flags are checked first.
    assert_eq!(
        refused(&["--redis", "off", "tail", "x", ""]),
        "an empty channel pattern matches nothing"
    );
    assert!(
        refused(&["--redis", "off", "replay", "--to-redis", "--rate", "0"]).starts_with("--rate: ")
    );
    // Those that need Redis get it in their own settings.
    assert_eq!(tail_of(&["x"]).redis.shown, "redis://127.0.0.1:6379");
    assert!(matches!(
        replay_of(&["--to-redis"]).sink,
        ReplaySink::Redis { ref target, .. } if target.shown == "redis://127.0.0.1:6379"
    ));
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
fn replay_compression_is_the_copy_producers_alone() {
    let (common, job) = resolved(&["replay", "--to-topic", "c", "--compression", "lz4"]).unwrap();
    // Not in the shared properties: the replay's consumer gets no codec.
    assert!(common.kafka.properties.is_empty());
    let copy_to = |job| match job {
        Job::Replay(ReplayConfig {
            sink: ReplaySink::Topic(copy_to),
            ..
        }) => copy_to,
        _ => unreachable!("replay --to-topic resolves to a copy"),
    };
    let producer = copy_to(job).producer;
    assert_eq!(
        producer.properties,
        vec![("compression.codec".into(), "lz4".into())]
    );
    // After -F and -X, like publish's.
    let args = [
        "-X",
        "compression.codec=gzip",
        "replay",
        "--to-topic",
        "c",
        "--compression",
        "zstd",
    ];
    let (common, job) = resolved(&args).unwrap();
    assert_eq!(
        common.kafka.properties,
        vec![("compression.codec".into(), "gzip".into())]
    );
    let codec = copy_to(job).producer.properties.last().cloned().unwrap();
    assert_eq!(codec, ("compression.codec".into(), "zstd".into()));
    let (_, job) = resolved(&["replay", "--to-topic", "c"]).unwrap();
    assert!(copy_to(job).producer.properties.is_empty());
}

#[test]
fn publish_settings() {
    let p = publish_of(&[]);
    assert_eq!(p.sources.len(), 1);
    assert_eq!(
        (p.sources[0].name.as_str(), p.sources[0].format),
        ("<stdin>", Syntax::Ndjson)
    );
    assert!(p.sources[0].path.is_none());
    assert_eq!(p.on_invalid, OnInvalid::Fail);
    assert!(p.headers);
    assert!(p.create_topic.is_none());
    assert_eq!(p.timeout, Duration::from_secs(30));
    assert_eq!((p.max_in_flight, p.redis_batch), (40_000, 500));
    assert_eq!(p.summary.kind, SummaryKind::Auto);
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
        (Some(1), None, None)
    );
    assert!(matches!(p.fields.kind, Field::Const(ref c) if c == "push"));
    assert!(matches!(p.fields.source_id, Field::Path(ref f) if f.as_str() == "repo.name"));
    assert_eq!(
        (p.fields.id.as_str(), p.fields.time.as_str()),
        ("key", "at")
    );
    assert_eq!(p.timeout, Duration::from_secs(2));
    assert_eq!(p.summary.kind, SummaryKind::Json);
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
    assert_eq!(
        publish_of(&["--summary", "table"]).summary.kind,
        SummaryKind::Table
    );
    assert_eq!(
        publish_of(&["--summary", "none"]).summary.kind,
        SummaryKind::None
    );
    assert_eq!(
        publish_of(&["--summary", "auto"]).summary.kind,
        SummaryKind::Auto
    );
    let both = publish_of(&["--summary", "json=s.json", "--summary", "table"]).summary;
    assert_eq!(both.kind, SummaryKind::Table);
    assert_eq!(both.file, Some(PathBuf::from("s.json")));
    assert!(publish_of(&["--redis-required"]).redis_required);
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
    let formats: Vec<Syntax> = p.sources.iter().map(|s| s.format).collect();
    assert_eq!(
        formats,
        [Syntax::Csv, Syntax::Csv, Syntax::Ndjson, Syntax::Ndjson]
    );
    assert_eq!(p.sources[0].name, csv);
    assert_eq!(p.sources[0].path, Some(PathBuf::from(&csv)));
    assert_eq!(p.sources[0].size, Some(5));
    assert_eq!(p.sources[3].name, "<stdin>");
    let p = publish_of(&["--format", "csv", &ndjson]);
    assert_eq!(p.sources[0].format, Syntax::Csv);
    let p = publish_of(&["--format", "ndjson", &csv]);
    assert_eq!(p.sources[0].format, Syntax::Ndjson);

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
    let out = Output::new(Color::Never, false);
    let pretty_or_ndjson = out.for_stdout(RecordFormat::Pretty, RecordFormat::Ndjson);
    assert!(matches!(r.sink, ReplaySink::Stdout(ref f) if *f == pretty_or_ndjson));
    assert!(matches!(
        replay_of(&["--fields", "offset,value.id"]).sink,
        ReplaySink::Stdout(RecordFormat::Columns(ref c)) if c.names == ["offset", "value.id"] && !c.tab
    ));
    assert!(matches!(
        replay_of(&["--format", "tsv"]).sink,
        ReplaySink::Stdout(RecordFormat::Columns(ref c)) if c.tab && c.names.len() == 6
    ));
    assert!(matches!(
        replay_of(&["--format", "{offset}"]).sink,
        ReplaySink::Stdout(RecordFormat::Template(_))
    ));
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
        ReplaySink::Topic(CopyTo { ref topic, max_in_flight: 20_000, .. }) if topic == "copy"
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
    assert!(matches!(
        r.sink,
        ReplaySink::Topic(CopyTo {
            max_in_flight: 1,
            ..
        })
    ));

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
    assert_eq!(
        t.format,
        out.for_stdout(TailLayout::Pretty, TailLayout::Json)
    );
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
    assert_eq!(t.format, TailLayout::Csv);
    assert_eq!(t.timeout, Some(Duration::from_secs(5)));
    assert_eq!((t.catch_up, t.count), (Some(1_700_000_000_000), Some(3)));
    for (name, format) in [
        ("pretty", TailLayout::Pretty),
        ("json", TailLayout::Json),
        ("raw", TailLayout::Raw),
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
    assert!(refused(&["health", "--probe", "--max-latency", "x"]).starts_with("--max-latency: "));
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
    assert!(refused(&["--config", file, "--profile", "r", "health"]).contains("no profile \"r\""));
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

#[test]
fn exactly_once_needs_a_group_a_topic_copy_and_committed_reads() {
    let usage = |args: &[&str]| match resolved(args) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{args:?} resolved"),
    };
    assert!(usage(&["replay", "--to-topic", "c", "--exactly-once"])
        .starts_with("--exactly-once needs --group"));
    assert!(usage(&["replay", "--group", "g", "--exactly-once"])
        .starts_with("--exactly-once needs --to-topic"));
    assert!(usage(&[
        "--isolation",
        "read_uncommitted",
        "replay",
        "--group",
        "g",
        "--to-topic",
        "c",
        "--exactly-once"
    ])
    .contains("not with --isolation read_uncommitted"));
    let (_, job) = resolved(&[
        "replay",
        "--group",
        "g",
        "--to-topic",
        "c",
        "--exactly-once",
        "--txn-records",
        "7",
        "--txn-interval",
        "2s",
    ])
    .unwrap();
    match job {
        Job::Replay(ReplayConfig {
            exactly_once: Some(eos),
            ..
        }) => {
            assert_eq!(eos.records, 7);
            assert_eq!(eos.interval, Duration::from_secs(2));
            assert_eq!(eos.transactional_id, None);
        }
        _ => panic!("not an exactly-once replay"),
    }
}

#[test]
fn output_templates_and_fields_are_checked_before_anything_runs() {
    assert_eq!(
        refused(&["replay", "--format", "{offset} {vaule}"]),
        "--format \"{offset} {vaule}\": column 10: unknown placeholder {vaule}; placeholders: \
         {topic} {partition} {offset} {key} {timestamp} {timestamp:ms} {headers.NAME} {value} \
         {value.PATH}"
    );
    assert!(refused(&["tail", "x", "--format", "{event.id}"]).contains("needs --fetch"));
    assert!(refused(&["tail", "x", "--fields", "channel,nope"])
        .starts_with("--fields: unknown placeholder {nope}"));
    assert!(
        refused(&["replay", "--format", "ndjson", "--fields", "offset"])
            .contains("--fields picks the columns of --format csv or tsv")
    );
    assert!(matches!(
        tail_of(&["x", "--fetch", "--format", "{event.id}"]).format,
        TailLayout::Template(_)
    ));
    assert!(matches!(
        tail_of(&["x", "--format", "tsv"]).format,
        TailLayout::Columns(ref c) if c.tab && c.names == ["received_at", "channel", "pattern", "payload", "source"]
    ));
}

#[test]
fn friendlier_values_for_durations_times_and_sizes() {
    let p = publish_of(&["--timeout", "30", "--max-line-bytes", "64KiB"]);
    assert_eq!(
        (p.timeout, p.max_line_bytes),
        (Duration::from_secs(30), 65_536)
    );
    assert_eq!(
        publish_of(&["--max-line-bytes", "1MB"]).max_line_bytes,
        1_000_000
    );
    assert_eq!(publish_of(&[]).max_line_bytes, 1 << 20);
    assert_eq!(
        replay_of(&["--from-time", "2026-12-01"]).start,
        Start::Time(1_796_083_200_000)
    );
    assert_eq!(
        replay_of(&["--to-time", "2026-12-01 10:00:00"])
            .stop
            .to_time,
        Some(1_796_083_200_000 + 36_000_000)
    );
    assert_eq!(
        replay_of(&["--timeout", "1w"]).timeout,
        Duration::from_secs(604_800)
    );
    assert!(tail_of(&["x", "--catch-up", "2d"]).catch_up.is_some());
    assert!(
        refused(&["replay", "--from-time", "yesterday"]).starts_with(
            "--from-time: \"yesterday\" is not a time: try RFC 3339 (2026-12-01T10:00:00Z), a date"
        )
    );
    assert!(refused(&["publish", "--timeout", "0"]).contains("a timeout must be longer than 0"));
}

#[test]
fn serve_client_queue_takes_sizes_as_every_size_flag() {
    let queue = |size: &str| match resolved(&["serve", "--client-queue", size]).unwrap().1 {
        Job::Serve(s) => s.client_queue,
        _ => unreachable!("serve resolves to a serve job"),
    };
    assert_eq!(queue("1MB"), 1_000_000);
    assert_eq!(queue("512KiB"), 512 << 10);
    assert_eq!(queue(" 2 MiB "), 2 << 20);
    assert_eq!(queue("4096"), 4096);
    assert!(refused(&["serve", "--client-queue", "512"]).contains("at least 1KiB"));
    assert!(refused(&["serve", "--client-queue", "1XB"]).contains("64KiB, 1MiB, 1GiB, 1MB (10^6)"));
}
