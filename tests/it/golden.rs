//! Golden tests: the formats that users and downstream systems depend on,
//! pinned as committed snapshots (`tests/it/snapshots/`). A change to any of
//! them fails here first; accept it with `cargo insta review` only together
//! with a CHANGELOG line, because every consumer of that format sees it.
//!
//! Values that differ per run (ports, topic names, clocks, rates) are
//! redacted; everything else is compared byte for byte.

use crate::common::*;

/// Events without ids, so their ids are derived from the content: nested
/// objects, arrays, unicode, numbers, escapes, and the same event twice with
/// its keys in another order and other whitespace (same id).
const NO_IDS: &str = concat!(
    r#"{"type":"push","source_type":"repo","source_id":"r1","time":1700000000000,"n":1}"#,
    "\n",
    r#"{"n":1,"time":1700000000000,"source_id":"r1","source_type":"repo","type":"push"}"#,
    "\n",
    r#"{ "type" : "push", "source_type":"repo","source_id":"r1","time":1700000000000,"n":2 }"#,
    "\n",
    r#"{"type":"issue","source_type":"repo","source_id":"r2","time":"2023-11-14T22:13:20Z","body":{"title":"Grüße, 世界 🚀","labels":["a","b"],"nested":{"z":null,"a":[1.5,-2,3e10,true]}}}"#,
    "\n",
    r#"{"type":"issue","source_type":"repo","source_id":"r2","time":"2023-11-14T22:13:20Z","body":{"nested":{"a":[1.5,-2,3e10,true],"z":null},"labels":["a","b"],"title":"Grüße, 世界 🚀"}}"#,
    "\n",
    r#"{"type":"t","source_type":"s","source_id":"quote\"and\\slash","big":18446744073709551615,"neg":-9223372036854775808,"f":0.1,"esc":"tab\tnew\nline\u0000"}"#,
    "\n",
    r#"{"id":"given-1","type":"t","source_type":"s","source_id":"x"}"#,
    "\n",
    r#"{"id":42,"type":"t","source_type":"s","source_id":"x"}"#,
    "\n",
);

#[test]
fn derived_ids_headers_channels_and_notifications_of_a_dry_run() {
    let run = dualstream()
        .args(["--topic", "events", "--redis", "redis://127.0.0.1:1"])
        .args(["publish", "--dry-run"])
        .stdin(NO_IDS)
        .run()
        .expect_code(0);
    insta::assert_snapshot!(run.stdout());
}

/// The events of issue #28: integers beyond 64 bits and decimals longer than
/// a double, each its own derived id, the value shown as written.
const BEYOND_64_BITS: &str = concat!(
    r#"{"type":"t","source_type":"s","source_id":"x","n":123456789092324567890}"#,
    "\n",
    r#"{"type":"t","source_type":"s","source_id":"x","n":123456789092324567891}"#,
    "\n",
    r#"{"type":"t","source_type":"s","source_id":"x","big":123456789012345678901234567890,"f":0.10000000000000000001}"#,
    "\n",
    r#"{"type":"t","source_type":"s","source_id":"x","big":123456789012345678901234567890,"f":0.1}"#,
    "\n",
);

#[test]
fn derived_ids_of_numbers_beyond_64_bits() {
    let run = dualstream()
        .args(["--topic", "events", "--redis", "off"])
        .args(["publish", "--dry-run"])
        .stdin(BEYOND_64_BITS)
        .run()
        .expect_code(0);
    insta::assert_snapshot!(run.stdout());
}

#[test]
fn dry_run_with_a_channel_template_and_csv_input() {
    let csv = "repo,kind,who,time\nacme/app,push,ann,1700000000000\n\"acme/lib, two\",pull,\"b\"\"ob\",2023-11-14T22:13:20Z\n";
    let run = dualstream()
        .args(["--topic", "events", "--redis", "redis://127.0.0.1:1"])
        .args(["publish", "--dry-run", "--format", "csv"])
        .args(["--source-id-field", "repo", "--type-field", "kind"])
        .args(["--source-type", "repo"])
        .args([
            "--channel",
            "ev:{topic}:{type}:{source_type}:{source_id}:{id}",
        ])
        .stdin(csv)
        .run()
        .expect_code(0);
    insta::assert_snapshot!(run.stdout());
}

#[test]
fn dead_letter_records_and_the_publish_summary() {
    let env = Env::new("golden-dl").partitions(1);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.ndjson");
    let mut input = Vec::new();
    input.extend_from_slice(
        b"{\"id\":\"ok-1\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"a\"}\n",
    );
    input.extend_from_slice(b"{\"id\": \"broken\",\n");
    input.extend_from_slice(b"[1,2,3]\n");
    input.extend_from_slice(b"{\"id\":\"no-source\",\"type\":\"t\",\"source_type\":\"s\"}\n");
    input.extend_from_slice(b"{\"id\":\"bin\xff\xfe\",\"type\":\"t\"}\n");
    input.extend_from_slice(format!("{{\"pad\":\"{}\"}}\n", "x".repeat(300)).as_bytes());
    input.extend_from_slice(b"{\"id\":\"bad-time\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"a\",\"time\":\"yesterday\"}\n");
    input.extend_from_slice(
        b"{\"id\":\"ok-2\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"a\"}\n",
    );
    let run = env
        .dualstream()
        .args(["publish", "--summary", "json", "--max-line-bytes", "200"])
        .arg(format!("--on-invalid=dead-letter={}", dead.display()))
        .stdin(input)
        .run()
        .expect_code(0);
    insta::assert_snapshot!("dead_letter_file", std::fs::read_to_string(&dead).unwrap());
    insta::assert_json_snapshot!("publish_summary_json", run.summary(), {
        ".topic" => "[topic]",
        ".elapsed_s" => "[elapsed]",
        ".events_per_s" => "[rate]",
        ".mb_per_s" => "[rate]",
        ".ack_latency_ms.p50" => "[ms]",
        ".ack_latency_ms.p99" => "[ms]",
    });
    let warnings: Vec<String> = run
        .stderr()
        .lines()
        .filter(|l| !l.starts_with('{'))
        .map(|l| l.replace(&dir.path().display().to_string(), "[dir]"))
        .collect();
    insta::assert_snapshot!("dead_letter_warnings", warnings.join("\n"));
}

/// A one-partition topic with two published events and one raw record whose
/// key, value and a header are not UTF-8.
fn replay_topic(kafka: &Kafka, name: &str) -> String {
    let topic = topic(name);
    kafka.create_topic(&topic, 1);
    seed(kafka, &topic, events(0, 2, 1));
    kafka.produce_raw(
        &topic,
        Some(b"k\xff"),
        Some(b"\x00\x01bin\xfe"),
        &[("id", b"raw-1"), ("blob", b"\xc3\x28")],
        1_700_000_000_123,
    );
    kafka.produce_raw(
        &topic,
        None,
        Some(b"plain text, not JSON"),
        &[],
        1_700_000_000_124,
    );
    topic
}

#[test]
fn replay_envelope_csv_ndjson_and_summary() {
    let kafka = Kafka::shared();
    let topic = replay_topic(kafka, "golden-replay");
    let replay = |args: &[&str]| {
        dualstream()
            .brokers(&kafka.brokers(), "off", &topic)
            .arg("replay")
            .args(args)
            .run()
            .expect_code(0)
    };
    insta::with_settings!({filters => vec![(topic.as_str(), "[topic]")]}, {
        insta::assert_snapshot!("replay_envelope", replay(&["--envelope"]).stdout());
        insta::assert_snapshot!("replay_csv", replay(&["--format", "csv"]).stdout());
    });
    let ndjson = replay(&["--format", "ndjson"]).output.stdout;
    insta::assert_debug_snapshot!("replay_ndjson_bytes", String::from_utf8_lossy(&ndjson));
    let run = replay(&["--summary", "json"]);
    insta::assert_json_snapshot!("replay_summary_json", run.summary(), {
        ".topic" => "[topic]",
        ".elapsed_s" => "[elapsed]",
        ".records_per_s" => "[rate]",
    });
}

/// `replay --format TEMPLATE`, `--fields` as CSV and TSV, and `--format
/// pretty`, on records with binary keys, values and headers.
#[test]
fn replay_templates_fields_and_pretty() {
    let kafka = Kafka::shared();
    let topic = replay_topic(kafka, "golden-template");
    let replay = |args: &[&str]| {
        dualstream()
            .brokers(&kafka.brokers(), "off", &topic)
            .arg("replay")
            .args(args)
            .run()
    };
    let template = "{partition}@{offset} {key} {value.type} {headers.id} [{value.nope}] {timestamp:ms} {{{topic}}}";
    insta::with_settings!({filters => vec![(topic.as_str(), "[topic]")]}, {
        insta::assert_snapshot!("replay_template", replay(&["--format", template]).expect_code(0).stdout());
        insta::assert_snapshot!("replay_fields_csv", replay(&["--fields", "offset,key,value.source_id,headers.id,timestamp"]).expect_code(0).stdout());
        insta::assert_snapshot!("replay_fields_tsv", replay(&["--format", "tsv", "--fields", "offset,value"]).expect_code(0).stdout());
        insta::assert_snapshot!("replay_pretty", replay(&["--format", "pretty"]).expect_code(0).stdout());
    });
    let bad = replay(&["--format", "{offset} {vaule.type}"]).expect_code(2);
    assert!(
        bad.stderr().contains(
            "--format \"{offset} {vaule.type}\": column 10: unknown placeholder {vaule.type}"
        ),
        "{}",
        bad.stderr()
    );
    let bad = replay(&["--format", "envelope", "--fields", "offset"]).expect_code(2);
    assert!(
        bad.stderr()
            .contains("--fields picks the columns of --format csv or tsv"),
        "{}",
        bad.stderr()
    );
}

/// `replay --envelope` carries the published bytes: numbers beyond a double,
/// long decimals, duplicate keys and key order, whitespace dropped.
#[test]
fn replay_envelope_keeps_the_published_value() {
    let env = Env::new("golden-exact").partitions(1);
    env.kafka().produce_raw(
        &env.topic,
        Some(b"x"),
        Some(br#"{"z":1, "big":123456789012345678901234567890, "f":0.10000000000000000001, "a":{"n":1.50, "n":1E+2}, "z":2}"#),
        &[],
        1_700_000_000_123,
    );
    let run = env
        .dualstream()
        .args(["replay", "--envelope"])
        .run()
        .expect_code(0);
    insta::with_settings!({filters => vec![(env.topic.as_str(), "[topic]")]}, {
        insta::assert_snapshot!("replay_envelope_exact", run.stdout());
    });
}

#[test]
fn tail_json_csv_and_raw_lines() {
    let redis = Redis::start();
    let messages: [(&str, &[u8]); 4] = [
        (
            "golden:1",
            br#"{"id":"a","topic":"t","partition":0,"offset":7}"#,
        ),
        ("golden:2", b"plain text"),
        ("golden:3", b"\xff\x00bin"),
        ("golden:4", b"esc\x1b[31m\"q\",\n"),
    ];
    let template = "{channel} {partition}@{offset} [{payload.id}] {payload}";
    for format in ["json", "csv", "raw", template, "tsv"] {
        let t = tail(
            &redis.url(),
            &[
                "golden:*",
                "--format",
                format,
                "--count",
                "4",
                "--timeout",
                "20s",
            ],
        );
        t.wait_stderr("subscribed to golden:*");
        redis_publish(&redis, &messages);
        let (code, stdout, stderr) = t.finish();
        assert_eq!(code, Some(0), "{stderr}");
        if format == "raw" {
            // Bytes kept on a pipe, one payload a line (read back lossily:
            // the harness holds lines as text).
            let mut want = Vec::new();
            for (_, payload) in &messages {
                want.extend_from_slice(payload);
                want.push(b'\n');
            }
            assert_eq!(stdout, String::from_utf8_lossy(&want), "{stderr}");
            continue;
        }
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "[received_at]"),
        ]}, {
            let name = if format == template { "template" } else { format };
            insta::assert_snapshot!(format!("tail_{name}"), stdout);
        });
    }
}

#[test]
fn health_json_shape() {
    let env = Env::new("golden-health").partitions(2).redis();
    env.seed(events(0, 4, 2));
    let run = env
        .dualstream()
        .args([
            "health",
            "--probe",
            "--format",
            "json",
            "--channel",
            "golden",
        ])
        .run()
        .expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    insta::assert_json_snapshot!("health_json", report, {
        ".kafka.bootstrap" => "[brokers]",
        ".kafka.brokers[].port" => "[port]",
        ".kafka.topics[].name" => "[topic]",
        ".kafka.topics[].partitions[].low" => "[offset]",
        ".kafka.topics[].partitions[].high" => "[offset]",
        ".redis.url" => "[url]",
        ".redis.ping_ms" => "[ms]",
        ".redis.version" => "[version]",
        ".redis.connected_clients" => "[n]",
        ".redis.used_memory" => "[memory]",
        ".probe.channel" => "[channel]",
        ".probe.topic" => "[topic]",
        ".probe.partition" => "[partition]",
        ".probe.offset" => "[offset]",
        ".probe.kafka_ack_ms" => "[ms]",
        ".probe.redis_roundtrip_ms" => "[ms]",
        ".probe.total_ms" => "[ms]",
    });
}

#[test]
fn health_tables() {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let topic = topic("golden-table");
    kafka.create_topic(&topic, 1);
    seed(kafka, &topic, events(0, 3, 1));
    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["health", "--probe", "--channel", "golden"])
        .run()
        .expect_code(0);
    let port = kafka.port().to_string();
    let redis_port = redis.port.to_string();
    insta::with_settings!({filters => vec![
        (topic.as_str(), "[topic]"),
        (port.as_str(), "[port]"),
        (redis_port.as_str(), "[port]"),
        (r"\d+\.\d+ ms", "[ms]"),
        (r"version\s+┆\s+[0-9.]+", "version ┆ [version]"),
        (r"clients\s+┆\s+\d+", "clients ┆ [n]"),
        (r"memory\s+┆\s+[0-9.]+[BKMG]?", "memory ┆ [memory]"),
        (r"[─━┈┬┴═╪]+", "─"),
        (r" {2,}", " "),
    ]}, {
        insta::assert_snapshot!("health_table", run.stdout());
    });
}

#[test]
fn help_texts() {
    for sub in [
        "",
        "publish",
        "tail",
        "replay",
        "health",
        "profile",
        "topic",
        "topic create",
        "completions",
    ] {
        let run = dualstream()
            .args(sub.split_whitespace())
            .arg("--help")
            .run()
            .expect_code(0);
        let name = if sub.is_empty() {
            "help".to_string()
        } else {
            format!("help_{}", sub.replace(' ', "_"))
        };
        insta::assert_snapshot!(name, run.stdout());
    }
}

/// `topic list` and `topic describe`, as tables and JSON. The shared
/// broker holds other tests' topics: the list keeps the header and this
/// test's rows; the describe tables are this topic's alone. Offsets are
/// the seeded ones, exact.
#[test]
fn topic_list_and_describe() {
    let kafka = Kafka::shared();
    let prefix = topic("golden-topics");
    let (a, b) = (format!("{prefix}-a"), format!("{prefix}-b"));
    kafka.create_topic(&a, 2);
    kafka.create_topic(&b, 1);
    seed(kafka, &a, events(0, 5, 2));
    let cmd = |args: &[&str]| {
        dualstream()
            .args(["--brokers", &kafka.brokers(), "topic"])
            .args(args)
            .run()
            .expect_code(0)
    };
    // The shared broker holds other tests' topics (and anyone's, on a
    // broker of one's own): only this test's rows, the header and the
    // borders stay.
    let mine = |text: String| {
        text.lines()
            .filter(|l| {
                let row = l.contains('┆') || l.starts_with('{');
                !row || l.contains("partitions ┆") || l.contains(&prefix)
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut filters = vec![(prefix.as_str(), "[topic]")];
    filters.extend(table_filters());
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!(
            "topic_list",
            mine(cmd(&["list", "--format", "table"]).stdout())
        );
        insta::assert_snapshot!("topic_list_json", mine(cmd(&["list"]).stdout()));
        insta::assert_snapshot!(
            "topic_describe",
            cmd(&["describe", &a, "--format", "table"]).stdout()
        );
    });
    let doc: serde_json::Value = serde_json::from_str(&cmd(&["describe", &a]).stdout()).unwrap();
    insta::assert_json_snapshot!("topic_describe_json", doc, {
        ".topic" => "[topic]",
    });
}

/// `COLUMNS` fixes the width tables are fitted to (on a terminal it is
/// the window's): no line of `topic describe` is wider, its cells wrap;
/// without it, on a pipe, the same tables keep their natural width.
#[test]
fn tables_fit_the_width_of_columns() {
    let kafka = Kafka::shared();
    let name = topic("golden-narrow");
    kafka.create_topic(&name, 2);
    let describe = |columns: Option<&str>| {
        let mut cmd = dualstream();
        if let Some(c) = columns {
            cmd = cmd.env("COLUMNS", c);
        }
        cmd.args(["--brokers", &kafka.brokers(), "topic", "describe", &name])
            .args(["--format", "table"])
            .run()
            .expect_code(0)
            .stdout()
    };
    let wide = describe(None);
    assert!(wide.lines().any(|l| l.chars().count() > 40), "{wide}");
    let narrow = describe(Some("40"));
    for line in narrow.lines() {
        assert!(
            line.chars().count() <= 40,
            "{line:?} is wider than 40:\n{narrow}"
        );
    }
    assert!(narrow.contains("Configs"), "{narrow}");
}

/// Table filters for the stderr summaries: the widths of a table follow its
/// widest value, so a volatile value (a rate, a duration) changes every
/// rule and padding; runs of rule characters and of spaces are collapsed,
/// everything else (titles, rows, their order, the values) stays exact.
fn table_filters() -> Vec<(&'static str, &'static str)> {
    vec![(r"[─━┈┬┴═╪]+", "─"), (r" {2,}", " ")]
}

#[test]
fn junit_report_and_the_tail_summary_table_of_an_expect_run() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let expect = dir.path().join("expected");
    std::fs::write(
        &expect,
        "# met, duplicated, missing; markup in a name is escaped\n\
         o-1\n\
         o-2\n\
         {\"type\":\"<never & \\\"ever\\\">\"}\n",
    )
    .unwrap();
    let junit = dir.path().join("report.xml");
    let t = tail(
        &redis.url(),
        &[
            "orders",
            "--format",
            "raw",
            "--expect",
            expect.to_str().unwrap(),
            "--timeout",
            "2s",
            "--summary",
            "table",
            "--summary",
            &format!("junit={}", junit.display()),
        ],
    );
    t.wait_stderr("subscribed");
    let note = |id: &str| {
        format!(
            r#"{{"id":"{id}","type":"order","source_id":"s","topic":"t","partition":0,"offset":1}}"#
        )
    };
    let (one, two, other) = (note("o-1"), note("o-2"), note("o-9"));
    redis_publish(
        &redis,
        &[
            ("orders", one.as_bytes()),
            ("orders", two.as_bytes()),
            ("orders", two.as_bytes()),
            ("orders", other.as_bytes()),
        ],
    );
    let (code, _, stderr) = t.finish();
    assert_eq!(code, Some(124), "{stderr}");
    let dir = dir.path().display().to_string();
    insta::with_settings!({filters => vec![
        (dir.as_str(), "[dir]"),
        (r#"time="\d+\.\d{3}""#, r#"time="[s]""#),
    ]}, {
        insta::assert_snapshot!("expect_junit", std::fs::read_to_string(&junit).unwrap());
    });
    let mut filters = table_filters();
    filters.push((dir.as_str(), "[dir]"));
    filters.push((r"in \d+(\.\d+)?m?s", "in [duration]"));
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!("tail_summary_table", stderr);
    });
}

#[test]
fn publish_and_replay_summary_tables() {
    let env = Env::new("golden-tables").partitions(2);
    let mut input = events(0, 4, 2);
    input.push_str("{\"id\": broken\n");
    let publish = env
        .dualstream()
        .args(["publish", "--summary", "table", "--on-invalid", "skip"])
        .stdin(input)
        .run()
        .expect_code(0);
    let replay = env
        .dualstream()
        .args(["replay", "--summary", "table", "--filter", "source_id=r0"])
        .run()
        .expect_code(0);
    let mut filters = table_filters();
    filters.push((env.topic.as_str(), "[topic]"));
    filters.push((r"┆ \d+\.\d\d s", "┆ [elapsed]"));
    filters.push((r"events/s ┆ \d+", "events/s ┆ [rate]"));
    filters.push((r"MB/s ┆ \d+\.\d\d", "MB/s ┆ [rate]"));
    filters.push((r"\d+\.\d ms", "[ms]"));
    filters.push((r"records in \d+(\.\d+)?m?s", "records in [duration]"));
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!("publish_summary_table", publish.stderr());
        insta::assert_snapshot!("replay_summary_table", replay.stderr());
    });
}

#[test]
fn tail_pretty_lines_plain_coloured_and_from_kafka() {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let messages: [(&str, &[u8]); 4] = [
        (
            "golden:1",
            br#"{ "id": "a",  "topic": "t", "partition": 0, "offset": 7 }"#,
        ),
        ("golden:2", b"plain text"),
        ("golden:3", b"\xff\x00bin"),
        ("golden:4", b"esc\x1b[31m\"q\",\n"),
    ];
    let clock = (r"(?m)^(\x1b\[2m)?\d\d:\d\d:\d\d\.\d{3}", "$1[clock]");
    for (name, color) in [("tail_pretty", "never"), ("tail_pretty_color", "always")] {
        let t = tail(
            &redis.url(),
            &[
                "golden:*",
                "--format",
                "pretty",
                "--color",
                color,
                "--count",
                "4",
                "--timeout",
                "20s",
            ],
        );
        t.wait_stderr("subscribed to golden:*");
        redis_publish(&redis, &messages);
        let (code, stdout, stderr) = t.finish();
        assert_eq!(code, Some(0), "{stderr}");
        insta::with_settings!({filters => vec![clock]}, {
            insta::assert_snapshot!(name, stdout);
        });
    }
    // What a catch-up read from Kafka is tagged with.
    let topic = topic("golden-pretty");
    kafka.create_topic(&topic, 1);
    seed(kafka, &topic, events(0, 2, 1));
    let t = tail(
        &redis.url(),
        &[
            "--brokers",
            &kafka.brokers(),
            "--topic",
            &topic,
            "events:repo:*",
            "--format",
            "pretty",
            "--catch-up",
            "1700000000000",
            "--count",
            "2",
            "--timeout",
            "20s",
        ],
    );
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    insta::with_settings!({filters => vec![clock, (topic.as_str(), "[topic]")]}, {
        insta::assert_snapshot!("tail_pretty_kafka", stdout);
    });
}

/// A config file with a default, a profile with secrets in every place
/// they can hide (the Redis URL, a librdkafka property, a value that
/// repeats a secret), one that sets `sharded`, and one with nothing.
const PROFILES: &str = r#"
default = "local"

[profiles.local]
brokers = "127.0.0.1:9092"
topic = "dev-events"

[profiles.staging]
brokers = "k1:9093,k2:9093"
redis = "redis://:hunter2@redis.staging:6380/0"
sharded = true
channel = "ev:{source_id}:hunter2"
properties-file = "/etc/dualstream/staging.properties"

[profiles.staging.kafka]
"security.protocol" = "sasl_ssl"
sasl.mechanism = "SCRAM-SHA-512"
sasl.password = "hunter2"
"linger.ms" = 5

[profiles.bare]
"#;

#[test]
fn profile_list_and_show_as_tables_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, PROFILES).unwrap();
    let profile = |args: &[&str]| {
        dualstream()
            .arg("--config")
            .arg(config.to_str().unwrap())
            .arg("profile")
            .args(args)
            .run()
            .expect_code(0)
            .stdout()
    };
    let shown = [
        ("profile_list", profile(&["list"])),
        ("profile_list_json", profile(&["list", "--format", "json"])),
        ("profile_show", profile(&["show", "staging"])),
        (
            "profile_show_json",
            profile(&["show", "staging", "--format", "json"]),
        ),
        ("profile_show_default", profile(&["show"])),
    ];
    let dir = dir.path().display().to_string();
    for (name, stdout) in shown {
        assert!(!stdout.contains("hunter2"), "{stdout}");
        insta::with_settings!({filters => vec![(dir.as_str(), "[dir]")]}, {
            insta::assert_snapshot!(name, stdout);
        });
    }
}
