//! `dualstream publish` against real Tansu and Redis.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use crate::common::*;
use serde_json::{json, Value};

fn setup(name: &str, partitions: i32) -> (&'static Kafka, Redis, String) {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let topic = topic(name);
    kafka.create_topic(&topic, partitions);
    (kafka, redis, topic)
}

#[test]
fn ndjson_file_lands_in_kafka_and_notifies_redis() {
    let (kafka, redis, topic) = setup("ndjson", 3);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    let input = events(0, 60, 6);
    std::fs::write(&file, &input).unwrap();
    let sub = redis.subscribe("events:repo:*");

    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", file.to_str().unwrap(), "--summary", "json"])
        .run()
        .expect_code(0);
    let summary = run.summary();
    assert_eq!(summary["read"], 60);
    assert_eq!(summary["acknowledged"], 60);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["notified"], 60);
    assert!(summary["ack_latency_ms"]["p99"].as_f64().unwrap() > 0.0);

    let records = kafka.records(&topic);
    assert_eq!(records.len(), 60);
    let lines: Vec<&str> = input.lines().collect();
    let mut by_coords = HashMap::new();
    for r in &records {
        let v = r.json();
        let i = v["n"].as_u64().unwrap() as usize;
        // The value is the input line, byte for byte.
        assert_eq!(r.value, lines[i].as_bytes());
        assert_eq!(r.key.as_deref(), Some(format!("r{}", i % 6).as_str()));
        assert_eq!(r.headers["id"], format!("e{i}"));
        assert_eq!(r.headers["type"], "push");
        assert_eq!(r.headers["source_type"], "repo");
        assert_eq!(r.timestamp, Some(1_700_000_000_000 + i as i64));
        by_coords.insert((r.partition, r.offset), v);
    }
    // Records of one source id share a partition (key = source id).
    let mut partition_of = HashMap::new();
    for r in &records {
        let p = partition_of.entry(r.key.clone()).or_insert(r.partition);
        assert_eq!(*p, r.partition, "key {:?} spread over partitions", r.key);
    }

    let notes = sub.wait_for(60, Duration::from_secs(10));
    assert_eq!(notes.len(), 60, "notifications: {notes:?}");
    for (channel, payload) in &notes {
        let n: Value = serde_json::from_str(payload).unwrap();
        let keys: Vec<&str> = n.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys.len(),
            6,
            "notification carries only id,type,source_id,topic,partition,offset: {n}"
        );
        assert_eq!(
            channel,
            &format!("events:repo:{}", n["source_id"].as_str().unwrap())
        );
        assert_eq!(n["topic"], topic.as_str());
        let coords = (
            n["partition"].as_i64().unwrap() as i32,
            n["offset"].as_i64().unwrap(),
        );
        let record = &by_coords[&coords];
        assert_eq!(
            record["id"], n["id"],
            "notification points at the wrong record"
        );
        assert_eq!(n["type"], "push");
    }
}

#[test]
fn csv_input_becomes_json_records() {
    let (kafka, redis, topic) = setup("csv", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.csv");
    std::fs::write(
        &file,
        "id,type,source_type,source_id,time,note\n\
         c1,opened,issue,i-1,2026-11-24T10:00:00Z,\"hello, world\"\n\
         c2,closed,issue,i-2,1700000000000,plain\n",
    )
    .unwrap();
    let sub = redis.subscribe("events:issue:*");
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", file.to_str().unwrap()])
        .run()
        .expect_code(0);
    let records = kafka.records(&topic);
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0].json(),
        serde_json::json!({"id":"c1","type":"opened","source_type":"issue","source_id":"i-1",
                           "time":"2026-11-24T10:00:00Z","note":"hello, world"})
    );
    assert_eq!(records[0].timestamp, Some(1_795_514_400_000));
    assert_eq!(records[1].key.as_deref(), Some("i-2"));
    let notes = sub.wait_for(2, Duration::from_secs(10));
    let channels: Vec<&str> = notes.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(channels, ["events:issue:i-1", "events:issue:i-2"]);
}

#[test]
fn stdin_with_field_paths_constants_and_channel_template() {
    let (kafka, redis, topic) = setup("stdin", 2);
    let input = r#"{"kind":"star","repo":{"name":"octo/one"},"when":"2026-01-01T00:00:00+02:00"}
{"kind":"fork","repo":{"name":"octo/two"},"when":1767225600000}
"#;
    let sub = redis.subscribe("gh.*");
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args([
            "publish",
            "--type-field",
            "kind",
            "--source-id-field",
            "repo.name",
            "--source-type",
            "repo",
            "--time-field",
            "when",
            "--channel",
            "gh.{source_type}.{type}",
        ])
        .stdin(input)
        .run()
        .expect_code(0);
    let mut records = kafka.records(&topic);
    records.sort_by_key(|r| r.timestamp);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].key.as_deref(), Some("octo/one"));
    assert_eq!(records[0].timestamp, Some(1_767_218_400_000));
    assert_eq!(records[0].headers["source_type"], "repo");
    assert_eq!(records[0].headers["type"], "star");
    // No id field: a content-derived id, the same on every run.
    let id = records[0].headers["id"].clone();
    assert_eq!(id.len(), 32);
    let mut notes = sub.wait_for(2, Duration::from_secs(10));
    notes.sort();
    assert_eq!(notes[0].0, "gh.repo.fork");
    assert_eq!(notes[1].0, "gh.repo.star");

    let dry = dualstream()
        .args([
            "--topic",
            &topic,
            "publish",
            "--dry-run",
            "--type-field",
            "kind",
        ])
        .args([
            "--source-id-field",
            "repo.name",
            "--source-type",
            "repo",
            "--time-field",
            "when",
        ])
        .stdin(input)
        .run()
        .expect_code(0);
    let first: Value = serde_json::from_str(dry.stdout().lines().next().unwrap()).unwrap();
    assert_eq!(
        first["headers"]["id"],
        id.as_str(),
        "derived id changed between runs"
    );
}

#[test]
fn several_files_in_one_run_report_their_own_lines() {
    let (kafka, redis, topic) = setup("files", 1);
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.ndjson");
    std::fs::write(&a, events(0, 3, 1)).unwrap();
    std::fs::write(&b, format!("{}{{\"broken\"\n", events(3, 2, 1))).unwrap();
    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", a.to_str().unwrap(), b.to_str().unwrap()])
        .run()
        .expect_code(3);
    assert!(
        run.stderr().contains("b.ndjson:3:9: EOF while parsing"),
        "{}",
        run.describe()
    );
    assert_eq!(kafka.records(&topic).len(), 5);
}

#[test]
fn redis_down_is_a_warning_and_kafka_gets_everything() {
    let env = Env::new("redisdown").partitions(2);
    let dead_redis = format!("redis://:hunter2@127.0.0.1:{}", closed_port());
    let run = dualstream()
        .brokers(&env.brokers(), &dead_redis, &env.topic)
        .args(["publish", "--summary", "json"])
        .stdin(events(0, 500, 10))
        .run()
        .expect_code(0);
    let stderr = run.stderr();
    assert_eq!(
        stderr.matches("warning: redis:").count(),
        1,
        "warn once\n{stderr}"
    );
    assert!(
        stderr.contains("500 notifications not sent to Redis"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "password leaked: {stderr}");
    let summary = run.summary();
    assert_eq!(summary["acknowledged"], 500);
    assert_eq!(summary["redis_failures"], 500);
    assert_eq!(summary["notified"], 0);
    assert_eq!(env.records().len(), 500);
}

/// A Redis that refuses some PUBLISHes (an ACL allows this user two of the
/// four channels): each refusal is an error reply, warned about once with
/// Redis's reason, and the summary's counts are what Redis did — every
/// notification the summary calls notified reached the subscriber, the
/// others are counted as failed, Kafka has every event, exit 0.
#[test]
fn notifications_redis_refuses_are_counted_as_it_answered() {
    let kafka = Kafka::shared();
    let redis = Redis::start_with(&[
        "--user", "pub", "on", ">pub-pw", "~*", "&ev:r0", "&ev:r1", "+@all",
    ]);
    let topic = topic("refused");
    kafka.create_topic(&topic, 2);
    let sub = redis.subscribe("ev:*");
    let n = 400;
    let run = dualstream()
        .brokers(
            &kafka.brokers(),
            &format!("redis://pub:pub-pw@127.0.0.1:{}", redis.port),
            &topic,
        )
        .args([
            "publish",
            "--summary",
            "json",
            "--channel",
            "ev:{source_id}",
        ])
        .stdin(events(0, n, 4))
        .run()
        .expect_code(0);
    let stderr = run.stderr();
    assert_eq!(
        stderr.matches("warning: redis:").count(),
        1,
        "warn once\n{stderr}"
    );
    assert!(
        stderr.contains("NOPERM"),
        "Redis's reason is named\n{stderr}"
    );
    assert!(!stderr.contains("pub-pw"), "password leaked: {stderr}");
    let summary = run.summary();
    assert_eq!(summary["acknowledged"], n);
    let (notified, failed) = (
        summary["notified"].as_u64().unwrap(),
        summary["redis_failures"].as_u64().unwrap(),
    );
    assert_eq!(notified + failed, n as u64, "{}", run.describe());
    assert!(
        failed >= n as u64 / 2,
        "the refused half failed\n{}",
        run.describe()
    );
    let got = sub.settle(Duration::from_millis(500));
    assert_eq!(
        got.len() as u64,
        notified,
        "notified is what arrived\n{}",
        run.describe()
    );
    assert!(
        got.iter().all(|(c, _)| c == "ev:r0" || c == "ev:r1"),
        "{got:?}"
    );
    assert_eq!(kafka.records(&topic).len(), n);
}

#[test]
fn no_headers_leaves_records_without_headers() {
    let env = Env::new("noheaders").partitions(1);
    env.dualstream()
        .args(["publish", "--no-headers"])
        .stdin(events(0, 3, 1))
        .run()
        .expect_code(0);
    let records = env.records();
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.headers.is_empty()), "{records:?}");
    assert_eq!(records[0].key.as_deref(), Some("r0"));
}

#[test]
fn compressed_batches_arrive_whole() {
    let kafka = Kafka::shared();
    let input = events(0, 40, 4);
    // snappy is left out: Tansu 0.6 takes snappy batches but cannot serve them.
    for codec in ["gzip", "lz4", "zstd", "none"] {
        let topic = topic(&format!("compression-{codec}"));
        kafka.create_topic(&topic, 2);
        let run = dualstream()
            .brokers(&kafka.brokers(), "off", &topic)
            .args(["publish", "--compression", codec, "--summary", "json"])
            .stdin(input.clone())
            .run()
            .expect_code(0);
        assert_eq!(run.summary()["acknowledged"], 40, "{codec}");
        let mut values: Vec<Vec<u8>> = kafka.records(&topic).into_iter().map(|r| r.value).collect();
        values.sort();
        let mut lines: Vec<Vec<u8>> = input.lines().map(|l| l.as_bytes().to_vec()).collect();
        lines.sort();
        assert_eq!(values, lines, "{codec}");
    }
    let run = dualstream()
        .args([
            "--brokers",
            "127.0.0.1:1",
            "publish",
            "--compression",
            "brotli",
        ])
        .run();
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr().contains("brotli"), "{}", run.describe());
}

#[test]
fn redis_off_publishes_to_kafka_only() {
    let env = Env::new("redisoff").partitions(1);
    let run = env
        .dualstream()
        .args(["publish", "--summary", "json"])
        .stdin(events(0, 10, 2))
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["redis"], "off");
    assert!(!run.stderr().contains("warning"), "{}", run.describe());
    assert_eq!(env.records().len(), 10);
}

#[test]
fn kafka_unreachable_exits_4_quickly_naming_the_brokers() {
    let brokers = format!("127.0.0.1:{}", closed_port());
    let run = dualstream()
        .brokers(&brokers, "off", "events")
        .args(["publish", "--timeout", "3s"])
        .stdin(events(0, 5, 1))
        .run()
        .expect_code(4);
    assert!(
        run.stderr()
            .contains(&format!("no broker reachable at {brokers}")),
        "{}",
        run.describe()
    );
    assert!(
        run.elapsed < Duration::from_secs(20),
        "took {:?}",
        run.elapsed
    );
}

#[test]
fn missing_topic_is_named_and_create_topic_creates_it() {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let topic = topic("missing");
    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", "--timeout", "10s"])
        .stdin(events(0, 5, 1))
        .run()
        .expect_code(4);
    assert!(
        run.stderr()
            .contains(&format!("topic {topic:?} does not exist")),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr().contains("--create-topic"),
        "{}",
        run.describe()
    );

    // More replicas than brokers, or more in sync than replicas: refused
    // before anything is created.
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", "--create-topic", "--replication-factor", "3"])
        .stdin(events(0, 1, 1))
        .run()
        .expect_stderr(2, "--replication-factor 3 is more than the 1 broker(s)");
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", "--create-topic", "--replication-factor", "1"])
        .args(["--min-insync-replicas", "2"])
        .stdin(events(0, 1, 1))
        .run()
        .expect_stderr(2, "no write could succeed");

    // One broker: replication factor 1, said plainly.
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", "--create-topic", "--partitions", "4"])
        .stdin(events(0, 40, 8))
        .run()
        .expect_stderr(0, "replication factor 1");
    let records = kafka.records(&topic);
    assert_eq!(records.len(), 40);
    assert!(records.iter().all(|r| (0..4).contains(&r.partition)));
}

#[test]
fn on_invalid_fail_stops_at_the_bad_line_with_exit_3() {
    let (kafka, redis, topic) = setup("fail", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.ndjson");
    let input = format!(
        "{}{{\"type\":\"x\", oops}}\n{}",
        events(0, 4, 1),
        events(4, 4, 1)
    );
    std::fs::write(&file, input).unwrap();
    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", file.to_str().unwrap(), "--summary", "json"])
        .run()
        .expect_code(3);
    let stderr = run.stderr();
    assert!(
        stderr.contains("in.ndjson:5:14: key must be a string"),
        "{stderr}"
    );
    assert!(stderr.contains("--on-invalid skip"), "{stderr}");
    let summary = run.summary();
    assert_eq!(summary["acknowledged"], 4);
    assert_eq!(summary["resume_from"], format!("{}:5", file.display()));
    // What came before the bad line is in Kafka; nothing after it.
    let ns: Vec<u64> = kafka
        .records(&topic)
        .iter()
        .map(|r| r.json()["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, [0, 1, 2, 3]);
}

#[test]
fn on_invalid_skip_and_dead_letter_continue() {
    let (kafka, redis, topic) = setup("skip", 1);
    let too_long = format!(
        "{{\"type\":\"x\",\"source_type\":\"s\",\"source_id\":\"1\",\"pad\":\"{}\"}}",
        "z".repeat(300)
    );
    let mut input = events(0, 2, 1).into_bytes();
    input.extend_from_slice(
        b"not json\n[1,2]\n{\"type\":\"t\",\"source_type\":\"s\"}\n{\"type\":\"\xff\"}\n",
    );
    input.extend_from_slice(too_long.as_bytes());
    input.extend_from_slice(b"\n\n");
    input.extend_from_slice(events(2, 2, 1).as_bytes());

    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args([
            "publish",
            "--on-invalid",
            "skip",
            "--max-line-bytes",
            "200",
            "--summary",
            "json",
        ])
        .stdin(input.clone())
        .run()
        .expect_code(0);
    let summary = run.summary();
    assert_eq!(summary["invalid"], 5);
    assert_eq!(summary["acknowledged"], 4);
    let stderr = run.stderr();
    for expected in [
        "<stdin>:3:2: not JSON: expected an object, array, string, number, true, false or null",
        "<stdin>:4: expected a JSON object, found an array",
        "<stdin>:5: missing field \"source_id\"",
        "<stdin>:6:10: invalid UTF-8",
        "<stdin>:7: line is longer than --max-line-bytes 200",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in\n{stderr}"
        );
    }
    assert_eq!(kafka.records(&topic).len(), 4);

    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.ndjson");
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", "--max-line-bytes", "200"])
        .arg(format!("--on-invalid=dead-letter={}", dead.display()))
        .stdin(input)
        .run()
        .expect_code(0);
    let letters: Vec<Value> = std::fs::read_to_string(&dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 5);
    assert_eq!(letters[0]["line"], 3);
    assert_eq!(letters[0]["raw"], "not json");
    assert_eq!(letters[0]["source"], "<stdin>");
    assert!(letters[0]["error"]
        .as_str()
        .unwrap()
        .contains("not JSON: expected an object"));
    assert_eq!(letters[3]["raw_base64"], "eyJ0eXBlIjoi/yJ9");
    assert_eq!(kafka.records(&topic).len(), 8);
}

#[test]
fn dry_run_touches_nothing_and_prints_what_would_be_sent() {
    // Nothing listens on these ports: a dry run must not try.
    let brokers = format!("127.0.0.1:{}", closed_port());
    let redis = format!("redis://127.0.0.1:{}", closed_port());
    let run = dualstream()
        .brokers(&brokers, &redis, "orders")
        .args(["publish", "--dry-run", "--timeout", "1s"])
        .stdin(events(0, 3, 2))
        .run()
        .expect_code(0);
    let lines: Vec<Value> = run
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["key"], "r1");
    assert_eq!(lines[1]["topic"], "orders");
    assert_eq!(
        lines[1]["headers"],
        serde_json::json!({"id":"e1","type":"push","source_type":"repo"})
    );
    assert_eq!(lines[1]["timestamp"], 1_700_000_000_001u64);
    assert_eq!(lines[1]["channel"], "events:repo:r1");
    assert_eq!(lines[1]["notification"]["id"], "e1");
    assert_eq!(lines[1]["value"]["n"], 1);
    assert!(
        run.stderr().contains("nothing was sent"),
        "{}",
        run.describe()
    );
}

#[test]
fn usage_errors_exit_2_before_connecting() {
    for args in [
        vec!["publish", "--on-invalid", "explode"],
        vec!["publish", "--channel", "x:{nope}"],
        vec!["publish", "--timeout", "soon"],
        vec!["publish", "/no/such/file.ndjson"],
        vec!["publish", "--bogus-flag"],
        vec!["-X", "nonsense", "publish"],
    ] {
        let run = dualstream()
            .args(["--brokers", "127.0.0.1:1"])
            .args(&args)
            .run();
        assert_eq!(run.code(), 2, "{}", run.describe());
    }
    let run = dualstream().args(["publish", "/no/such/file.ndjson"]).run();
    assert!(
        run.stderr().contains("/no/such/file.ndjson: No such file"),
        "{}",
        run.describe()
    );
}

#[test]
fn hundred_thousand_events_in_one_run() {
    let (kafka, redis, topic) = setup("100k", 3);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.ndjson");
    std::fs::write(&file, events(0, 100_000, 1000)).unwrap();
    let sub = redis.subscribe("events:*");
    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", file.to_str().unwrap(), "--summary", "json"])
        .run()
        .expect_code(0);
    let summary = run.summary();
    assert_eq!(summary["acknowledged"], 100_000, "{}", run.describe());
    assert_eq!(summary["notified"], 100_000, "{}", run.describe());
    let records = kafka.records(&topic);
    assert_eq!(records.len(), 100_000);
    let mut ids: Vec<&str> = records.iter().map(|r| r.headers["id"].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100_000, "duplicates in Kafka");
    assert_eq!(
        sub.wait_for(100_000, Duration::from_secs(30)).len(),
        100_000
    );
}

#[test]
fn ctrl_c_flushes_in_flight_prints_the_summary_and_exits_130() {
    let (kafka, redis, topic) = setup("sigint", 1);
    let mut child = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["publish", "--summary", "json"])
        .spawn();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(events(0, 25, 5).as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Wait until Kafka has them, then interrupt with stdin still open.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while kafka.records(&topic).len() < 25 {
        assert!(std::time::Instant::now() < deadline, "events never arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
    let stderr = collect(child.stderr.take().unwrap());
    sigint(child.id());
    let status = child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: 25 events acknowledged"),
        "{stderr}"
    );
    assert!(stderr.contains("\"acknowledged\":25"), "{stderr}");
    drop(stdin);
}

#[test]
fn secrets_never_reach_logs_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("client.properties");
    std::fs::write(
        &props,
        "# credentials\nsasl.username=app\nsasl.password=from-file-s3cret\n",
    )
    .unwrap();
    let brokers = format!("127.0.0.1:{}", closed_port());
    let run = dualstream()
        .args([
            "-v",
            "-F",
            props.to_str().unwrap(),
            "-X",
            "ssl.key.password=flag-s3cret",
        ])
        .brokers(&brokers, "redis://:redis-s3cret@127.0.0.1:1", "events")
        .args(["publish", "--timeout", "2s"])
        .stdin(events(0, 1, 1))
        .run()
        .expect_code(4);
    let stderr = run.stderr();
    assert!(
        stderr.contains("sasl.password=<redacted>"),
        "-v shows the config, redacted\n{stderr}"
    );
    assert!(stderr.contains("sasl.username=app"), "{stderr}");
    for secret in ["from-file-s3cret", "flag-s3cret", "redis-s3cret"] {
        assert!(!stderr.contains(secret), "{secret} leaked\n{stderr}");
    }
}

#[test]
fn dead_letter_file_is_never_an_input_is_appended_to_and_private() {
    let env = Env::new("deadletters").partitions(1);
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.ndjson");
    let content = format!("{}not json\n", events(0, 3, 1));
    std::fs::write(&input, &content).unwrap();
    let publish = |dead: &std::path::Path| {
        env.dualstream()
            .arg("publish")
            .arg(input.to_str().unwrap())
            .arg(format!("--on-invalid=dead-letter={}", dead.display()))
            .run()
    };

    // Pointed at the input: refused before anything is touched.
    publish(&input).expect_stderr(2, "that file is an input");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), content);
    // Also when the input comes through stdin.
    env.dualstream()
        .args([
            "publish",
            &format!("--on-invalid=dead-letter={}", input.display()),
        ])
        .stdin_file(&input)
        .run()
        .expect_stderr(2, "that file is an input");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), content);

    // Earlier dead letters are kept; the file is created 0600.
    let dead = dir.path().join("dead.ndjson");
    publish(&dead).expect_code(0);
    publish(&dead).expect_code(0);
    let written = std::fs::read_to_string(&dead).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}");
    let mode = std::fs::metadata(&dead).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Never through a symlink.
    let link = dir.path().join("link.ndjson");
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), &link).unwrap();
    publish(&link).expect_stderr(2, "is a symlink");
    assert!(!dir.path().join("elsewhere").exists());
}

/// Hostile and odd input: each line gets the right policy, with where and
/// why, and nothing panics or grows without bound. `--dry-run` runs the same
/// parser as a real publish without a broker.
#[test]
fn hostile_input_is_refused_with_where_and_why() {
    let dry = |input: Vec<u8>, extra: &[&str]| {
        dualstream()
            .args(["publish", "--dry-run", "--on-invalid", "skip"])
            .args(extra)
            .stdin(input)
            .run()
    };
    let valid = b"{\"id\":\"ok\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"x\"}\n";

    // A 100 MB line is refused by --max-line-bytes (1 MiB) and skipped; the
    // next line still counts.
    let mut input = vec![b'x'; 100 * 1024 * 1024];
    input.push(b'\n');
    input.extend_from_slice(valid);
    let run = dry(input, &[]).expect_code(0);
    assert!(
        run.stderr()
            .contains("<stdin>:1: line is longer than --max-line-bytes"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("1 valid events, 1 invalid"),
        "{}",
        run.stderr()
    );

    // Deep nesting, NUL bytes, invalid UTF-8, epoch seconds, an empty line.
    let mut input = Vec::new();
    input.extend_from_slice(format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000)).as_bytes());
    input.extend_from_slice(
        b"{\"id\":\"a\0b\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"x\"}\n",
    );
    input.extend_from_slice(b"{\"id\":\"\xff\",\"type\":\"t\"}\n");
    input.extend_from_slice(b"{\"id\":\"s\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"x\",\"time\":1700000000}\n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"id\":\"big\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"x\",\"n\":123456789012345678901234567890}\n");
    let run = dry(input, &[]).expect_code(0);
    let err = run.stderr();
    assert!(
        err.contains("<stdin>:1:128: nested more than 128 levels deep"),
        "{err}"
    );
    assert!(err.contains("<stdin>:2:9: control character"), "{err}");
    assert!(err.contains("<stdin>:3:8: invalid UTF-8"), "{err}");
    assert!(
        err.contains("<stdin>:4: field \"time\" (time): 1700000000 looks like epoch seconds"),
        "{err}"
    );
    assert!(err.contains("1 valid events, 4 invalid"), "{err}");
    assert!(
        run.stdout().contains("\"id\":\"big\""),
        "numbers beyond 64 bits pass through"
    );

    // CSV: a BOM, ragged rows, and an empty file.
    let run = dry(
        b"\xef\xbb\xbfid,type,source_type,source_id\n1,t,s\n2,t,s,x\n3,t,s,x,extra\n".to_vec(),
        &["--format", "csv"],
    )
    .expect_code(0);
    let err = run.stderr();
    assert!(
        err.contains("<stdin>:2: 3 fields where the header has 4"),
        "{err}"
    );
    assert!(
        err.contains("<stdin>:4: 5 fields where the header has 4"),
        "{err}"
    );
    assert!(
        run.stdout().contains("\"source_id\":\"x\""),
        "the BOM is not part of the first header"
    );
    dry(Vec::new(), &["--format", "csv"]).expect_stderr(0, "0 valid events, 0 invalid");
    dry(Vec::new(), &[]).expect_stderr(0, "0 valid events, 0 invalid");
}

/// Redis passwords of any characters, in URLs of any form, never appear in
/// anything dualstream prints, even at -vv; a wrong password is a clear
/// message (a warning for publish, exit 5 where Redis is required).
#[test]
fn redis_passwords_never_show_and_wrong_ones_are_named() {
    let kafka = Kafka::shared();
    let redis = Redis::start_with(&["--requirepass", "right-Pa55"]);
    let topic = topic("redispass");
    kafka.create_topic(&topic, 1);
    let secret = "wr0ng/p@ss?#w0rd";
    let url = format!("redis://:{secret}@127.0.0.1:{}", redis.port);
    let encoded = format!("redis://:wr0ng%2Fp%40ss%3F%23w0rd@127.0.0.1:{}", redis.port);
    // Unencoded, the URL does not parse: a usage error that still hides it.
    let run = dualstream()
        .brokers(&kafka.brokers(), &url, &topic)
        .arg("publish")
        .stdin(events(0, 1, 1))
        .run()
        .expect_stderr(2, "not a Redis URL");
    assert!(!run.stderr().contains("wr0ng"), "{}", run.stderr());
    let url = encoded;
    let run = dualstream()
        .args(["-vv"])
        .brokers(&kafka.brokers(), &url, &topic)
        .arg("publish")
        .stdin(events(0, 3, 1))
        .run()
        .expect_code(0);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(all.contains("notifications not sent to Redis"), "{all}");
    assert!(all.contains("authentication failed"), "{all}");
    for leak in ["wr0ng", "p%40ss", "w0rd"] {
        assert!(!all.contains(leak), "{leak} leaked:\n{all}");
    }
    for args in [
        vec!["tail", "x:*", "--timeout", "2s"],
        vec!["health", "--timeout", "5s"],
        vec!["replay", "--to-redis"],
    ] {
        let run = dualstream()
            .args(["-vv"])
            .brokers(&kafka.brokers(), &url, &topic)
            .args(&args)
            .run();
        let all = format!("{}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 5, "{args:?}: {all}");
        assert!(all.contains("authentication failed"), "{args:?}: {all}");
        for leak in ["wr0ng", "p%40ss", "w0rd"] {
            assert!(!all.contains(leak), "{args:?}: {leak} leaked:\n{all}");
        }
    }
    assert_eq!(kafka.records(&topic).len(), 3, "Kafka got every event");
}

/// An event larger than the broker takes (here the topic's
/// `max.message.bytes`, 2000) can never be published by any retry: it is
/// invalid input and follows `--on-invalid` — skipped or dead-lettered with
/// file:line and the run goes on, or the run stops with exit 3 — never a
/// Kafka failure (exit 4, "resume from" the same line forever). Counted as
/// invalid in the summary, beside the other invalid lines.
#[test]
fn an_event_larger_than_the_broker_takes_follows_on_invalid() {
    let kafka = Kafka::shared();
    let topic = topic("too-large");
    kafka.create_topic_with(&topic, 1, &[("max.message.bytes", "2000")]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.ndjson");
    let big = format!(
        "{{\"id\":\"big\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"b\",\"pad\":\"{}\"}}\n",
        "x".repeat(3000)
    );
    let input = format!("{}{big}{}", events(0, 2, 1), events(2, 2, 1));
    std::fs::write(&file, &input).unwrap();
    let name = file.display().to_string();

    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["publish", "--on-invalid", "skip", "--summary", "json"])
        .arg(&name)
        .run()
        .expect_code(0);
    let summary = run.summary();
    assert_eq!(
        (
            &summary["read"],
            &summary["invalid"],
            &summary["acknowledged"],
            &summary["failed"]
        ),
        (&json!(5), &json!(1), &json!(4), &json!(0)),
        "{}",
        run.describe()
    );
    let said = format!("{name}:3: the event is 3192 bytes as a Kafka record, more than the broker takes (the topic's max.message.bytes 2000) (skipped)");
    assert!(run.stderr().contains(&said), "{}", run.describe());
    assert!(!run.stderr().contains("resume from"), "{}", run.describe());
    assert_eq!(kafka.records(&topic).len(), 4);

    let dead = dir.path().join("dead.ndjson");
    dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .arg("publish")
        .arg(format!("--on-invalid=dead-letter={}", dead.display()))
        .arg(&name)
        .run()
        .expect_code(0);
    let letters: Vec<Value> = json_lines(&std::fs::read_to_string(&dead).unwrap());
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (&letters[0]["source"], &letters[0]["line"]),
        (&json!(name), &json!(3))
    );
    assert_eq!(letters[0]["raw"], big.trim_end());
    assert_eq!(kafka.records(&topic).len(), 8);

    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["publish", "--on-invalid", "fail"])
        .arg(&name)
        .run()
        .expect_code(3);
    assert!(
        run.stderr()
            .contains(&format!("{name}:3: the event is 3192 bytes")),
        "{}",
        run.describe()
    );
    // Small events, many at once: batches stay within the topic's limit
    // (also when -X asks for bigger ones), so none of them is refused with
    // a batch too large.
    for extra in [&[][..], &["-X", "batch.size=1000000"][..]] {
        let run = dualstream()
            .brokers(&kafka.brokers(), "off", &topic)
            .args(extra)
            .args(["publish", "--summary", "json"])
            .stdin(events(100, 500, 4))
            .run()
            .expect_code(0);
        assert_eq!(run.summary()["acknowledged"], 500, "{}", run.describe());
    }
}

/// Compressed, the batch the broker checks is smaller than the record, so
/// only the broker can say: its MESSAGE_TOO_LARGE for one event is the
/// same invalid line (dead-lettered with its bytes), not a Kafka failure.
#[test]
fn a_message_too_large_report_is_an_invalid_line() {
    let kafka = Kafka::shared();
    let topic = topic("too-large-report");
    kafka.create_topic_with(&topic, 1, &[("max.message.bytes", "2000")]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.ndjson");
    // Digits of a pseudo-random sequence: lz4 cannot make them fit.
    let mut x: u64 = 88172645463325252;
    let noise: String = (0..6000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'0' + (x % 10) as u8)
        })
        .collect();
    let big = format!(
        "{{\"id\":\"big\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"b\",\"pad\":\"{noise}\"}}\n"
    );
    std::fs::write(
        &file,
        format!("{}{big}{}", events(0, 2, 1), events(2, 2, 1)),
    )
    .unwrap();
    let name = file.display().to_string();
    let dead = dir.path().join("dead.ndjson");
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["publish", "--compression", "lz4", "--summary", "json"])
        .arg(format!("--on-invalid=dead-letter={}", dead.display()))
        .arg(&name)
        .run()
        .expect_code(0);
    let summary = run.summary();
    assert_eq!(
        (
            &summary["invalid"],
            &summary["acknowledged"],
            &summary["failed"]
        ),
        (&json!(1), &json!(4), &json!(0)),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr().contains(&format!(
            "{name}:3: the broker refused the event as too large"
        )),
        "{}",
        run.describe()
    );
    let letters: Vec<Value> = json_lines(&std::fs::read_to_string(&dead).unwrap());
    assert_eq!(letters.len(), 1, "{}", run.describe());
    assert_eq!(letters[0]["line"], 3);
    assert_eq!(letters[0]["raw"], big.trim_end());
    assert_eq!(kafka.records(&topic).len(), 4);
}

/// CSV that cannot be read as the user meant is invalid input, never rows
/// silently swallowed: a quote that never closes (the rest of the file
/// would be one field: the record is refused, exit 3, or skipped and
/// counted), a header that names a column twice or opens a quote it never
/// closes (exit 3 before anything is sent).
#[test]
fn csv_that_cannot_be_read_as_meant_is_invalid_input() {
    let env = Env::new("csvbad").partitions(1);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let open = write(
        "open.csv",
        "id,type,source_type,source_id\n1,t,s,a\n2,t,s,\"b\n3,t,s,c\n4,t,s,d\n",
    );
    let run = env
        .dualstream()
        .args(["publish", &open])
        .run()
        .expect_stderr(
            3,
            "open.csv:3: a quote that is never closed (opened on line 3)",
        );
    assert!(!run.stderr().contains("panicked"), "{}", run.describe());
    let run = env
        .dualstream()
        .args([
            "publish",
            "--on-invalid",
            "skip",
            "--summary",
            "json",
            &open,
        ])
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["invalid"], 1, "{}", run.describe());
    let keys: Vec<Option<String>> = env.records().into_iter().map(|r| r.key).collect();
    // Line 2 each time; never a key holding the rest of the file.
    assert_eq!(keys, [Some("a".to_string()), Some("a".to_string())]);

    for (name, text, said) in [
        (
            "twice.csv",
            "id,type,id,source_type,source_id\n1,t,2,s,k\n",
            "names \"id\" twice",
        ),
        (
            "quote.csv",
            "\"id,type\n1,t\n",
            "CSV header: a quote that is never closed",
        ),
    ] {
        let path = write(name, text);
        env.dualstream()
            .args(["publish", &path])
            .run()
            .expect_stderr(3, said);
    }
    assert_eq!(env.records().len(), 2, "nothing more was sent");
}

/// An event whose own time the broker would refuse (Kafka 4 takes none more
/// than an hour ahead by default) is invalid input decided by its content:
/// exit 3 naming the line and why, or skipped with --on-invalid skip while
/// the events around it are all acknowledged (the broker would have refused
/// them with it in one batch). Times before 1970 likewise.
#[test]
fn an_event_time_the_broker_refuses_is_an_invalid_line() {
    let env = Env::new("futuretime").partitions(1);
    let ahead = jiff::Timestamp::now().as_millisecond() + 3 * 3_600_000;
    let input = format!(
        "{}{{\"id\":\"ahead\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"k\",\"time\":{ahead}}}\n{{\"id\":\"old\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"k\",\"time\":\"1969-06-01T00:00:00Z\"}}\n{}",
        events(0, 1, 1),
        events(1, 1, 1)
    );
    env.dualstream()
        .arg("publish")
        .stdin(input.clone())
        .run()
        .expect_stderr(3, "<stdin>:2: the event's time");
    let run = env
        .dualstream()
        .args(["publish", "--on-invalid", "skip", "--summary", "json"])
        .stdin(input)
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["invalid"], 2, "{}", run.describe());
    assert!(run.stderr().contains("ahead of now"), "{}", run.describe());
    assert!(run.stderr().contains("before 1970"), "{}", run.describe());
    let ids: Vec<String> = env
        .records()
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    // e0 from the first run (stopped at line 2), then e0 and e1.
    assert_eq!(ids, ["e0", "e0", "e1"]);
}
