//! CI smoke tests: `tail --filter`, `--expect` on `tail` and `replay`,
//! `replay --follow --wait`, `--summary junit=FILE`, and the example script,
//! against real Redis and Tansu.

use std::path::Path;
use std::time::Duration;

use crate::common::*;
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn note(id: &str, kind: &str, source_id: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","type":"{kind}","source_id":"{source_id}","topic":"t","partition":0,"offset":1}}"#
    )
    .into_bytes()
}

/// The `--summary json` line of a stderr (notes may follow it).
fn summary_of(stderr: &str) -> Value {
    stderr
        .lines()
        .rev()
        .find_map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(Value::is_object)
        })
        .unwrap_or_else(|| panic!("no JSON summary in {stderr}"))
}

fn payload_ids(stdout: &str) -> Vec<String> {
    json_lines(stdout)
        .iter()
        .map(|l| l["payload"]["id"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn tail_filter_prints_and_counts_only_matching_messages() {
    let redis = Redis::start();
    let t = tail(
        &redis.url(),
        &[
            "events:*",
            "--filter",
            "type=push,source_type=repo",
            "--count",
            "2",
            "--timeout",
            "20s",
            "--summary",
            "json",
        ],
    );
    t.wait_stderr("subscribed");
    redis_publish(
        &redis,
        &[
            ("events:repo:a", &note("1", "push", "a")),
            ("events:repo:a", &note("2", "pr", "a")),
            // source_type is read back from the channel: not a repo.
            ("events:issue:b", &note("3", "push", "b")),
            ("events:repo:a", b"not json"),
            ("events:repo:c", &note("4", "push", "c")),
        ],
    );
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(payload_ids(&stdout), ["1", "4"]);
    let summary = summary_of(&stderr);
    assert_eq!(summary["printed"], 2, "{stderr}");
    assert_eq!(summary["filtered_out"], 3, "{stderr}");

    // A dotted path into the notification.
    let t = tail(
        &redis.url(),
        &[
            "x",
            "--filter",
            "meta.region=eu",
            "--count",
            "1",
            "--timeout",
            "20s",
        ],
    );
    t.wait_stderr("subscribed");
    redis_publish(
        &redis,
        &[
            ("x", br#"{"id":"us","meta":{"region":"us"}}"#),
            ("x", br#"{"id":"eu","meta":{"region":"eu"}}"#),
        ],
    );
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(payload_ids(&stdout), ["eu"]);
}

#[test]
fn tail_expect_ends_once_every_expectation_is_met() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let expect = write(
        dir.path(),
        "expected",
        "# what the service must announce\no-1\n{\"type\":\"order.paid\",\"source_id\":\"o-17\"}\n",
    );
    let junit = dir.path().join("tail.xml");
    let t = tail(
        &redis.url(),
        &[
            "orders:*",
            "--expect",
            &expect,
            "--timeout",
            "20s",
            "--summary",
            "json",
            "--summary",
            &format!("junit={}", junit.display()),
        ],
    );
    t.wait_stderr("subscribed");
    redis_publish(
        &redis,
        &[
            ("orders:x", &note("o-0", "order.created", "o-16")),
            ("orders:x", &note("o-1", "order.created", "o-17")),
            ("orders:x", &note("o-2", "order.paid", "o-17")),
        ],
    );
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    // Every message is printed, expected or not; the run ends at the last
    // expectation met.
    assert_eq!(payload_ids(&stdout), ["o-0", "o-1", "o-2"]);
    let summary = summary_of(&stderr);
    assert_eq!(summary["expect"]["expected"], 2, "{stderr}");
    assert_eq!(summary["expect"]["met"], 2, "{stderr}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\" failures=\"0\""), "{xml}");
    assert!(xml.contains(":2: o-1\"/>"), "{xml}");
}

#[test]
fn tail_expect_names_what_is_missing_at_the_deadline_and_duplicates_with_expect_once() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let expect = write(dir.path(), "expected", "a\n{\"type\":\"never\"}\nb\n");
    let junit = dir.path().join("report.xml");
    let t = tail(
        &redis.url(),
        &[
            "c",
            "--expect",
            &expect,
            "--timeout",
            "2s",
            "--summary",
            "json",
            "--summary",
            &format!("junit={}", junit.display()),
        ],
    );
    t.wait_stderr("subscribed");
    redis_publish(
        &redis,
        &[("c", &note("a", "t", "s")), ("c", &note("b", "t", "s"))],
    );
    let (code, _, stderr) = t.finish();
    assert_eq!(code, Some(124), "{stderr}");
    assert!(
        stderr.contains("expect: 1 of 3 expectations in")
            && stderr.contains(&format!("missing {expect}:2: {{\"type\":\"never\"}}")),
        "{stderr}"
    );
    let summary = summary_of(&stderr);
    assert_eq!(
        summary["expect"]["missing"],
        serde_json::json!([{"line": 2, "expect": "{\"type\":\"never\"}"}])
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"3\" failures=\"1\""), "{xml}");
    assert!(xml.contains("<failure type=\"missing\""), "{xml}");

    // --expect-once: the same event twice before the set is complete.
    let expect = write(dir.path(), "once", "a\nb\n");
    let t = tail(
        &redis.url(),
        &[
            "c",
            "--expect",
            &expect,
            "--expect-once",
            "--timeout",
            "20s",
        ],
    );
    t.wait_stderr("subscribed");
    redis_publish(
        &redis,
        &[
            ("c", &note("a", "t", "s")),
            ("c", &note("a", "t", "s")),
            ("c", &note("b", "t", "s")),
        ],
    );
    let (code, _, stderr) = t.finish();
    assert_eq!(code, Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!("2 times {expect}:1: a")),
        "{stderr}"
    );
}

#[test]
fn malformed_expectations_and_misused_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad", "a\n\n{\"type\": }\n");
    let empty = write(dir.path(), "empty", "# nothing yet\n");
    // No broker is touched: every one of these fails before connecting.
    let usage = |args: &[&str], text: &str| {
        dualstream()
            .args(["--redis", "redis://127.0.0.1:1", "--brokers", "127.0.0.1:1"])
            .args(args)
            .run()
            .expect_stderr(2, text);
    };
    usage(
        &["tail", "x", "--expect", &bad],
        &format!("{bad}:3:10: not a JSON object of field values"),
    );
    usage(&["replay", "--expect", &bad], &format!("{bad}:3:"));
    usage(
        &["tail", "x", "--expect", &empty],
        &format!("{empty}: no expectations"),
    );
    usage(
        &["tail", "x", "--expect", "/dev/zero"],
        "--expect /dev/zero: longer than 67.1 MB",
    );
    usage(
        &["tail", "x", "--expect", "/nonexistent/expected"],
        "--expect /nonexistent/expected: No such file",
    );
    usage(
        &["tail", "x", "--summary", "junit=r.xml"],
        "--summary junit=FILE reports expectations: it needs --expect FILE",
    );
    usage(
        &["tail", "x", "--summary", "yaml"],
        "expected auto, table, json, none, json=FILE or junit=FILE",
    );
    usage(&["replay", "--wait", "5s"], "--follow");
    usage(&["tail", "x", "--expect-once"], "--expect");
    usage(
        &["tail", "x", "--expect", &empty, "--count", "3"],
        "cannot be used with",
    );
}

/// Publish `input` dual-stream, expecting success.
fn publish(kafka: &Kafka, redis: &Redis, topic: &str, input: String) {
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), topic)
        .arg("publish")
        .stdin(input)
        .run()
        .expect_code(0);
}

fn orders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| {
            format!(
                "{{\"id\":\"ord-{i}\",\"type\":\"order.{}\",\"source_type\":\"order\",\"source_id\":\"o-{}\",\"total\":{{\"eur\":{i}}}}}\n",
                if i % 2 == 0 { "created" } else { "paid" },
                i / 2
            )
        })
        .collect()
}

#[test]
fn both_sides_of_a_publish_meet_their_expectations() {
    let env = Env::new("expect-both").partitions(3).redis();
    let dir = tempfile::tempdir().unwrap();
    let expect = write(
        dir.path(),
        "expected",
        "ord-3\n{\"type\":\"order.created\",\"source_id\":\"o-2\"}\n{\"total.eur\":5}\n",
    );
    // Redis: --fetch lets the expectations look into the full event.
    let t = tail(
        &env.redis_url(),
        &[
            "events:order:*",
            "--brokers",
            &env.brokers(),
            "--fetch",
            "--expect",
            &expect,
            "--expect-once",
            "--timeout",
            "30s",
        ],
    );
    t.wait_stderr("subscribed");
    publish(env.kafka(), env.redis_server(), &env.topic, orders(0, 8));
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.is_empty());

    // Kafka, after the fact: the records are there.
    let replay = |args: &[&str]| {
        dualstream()
            .brokers(&env.brokers(), "off", &env.topic)
            .arg("replay")
            .args(args)
            .run()
    };
    let run = replay(&["--expect", &expect, "--summary", "json"]).expect_code(0);
    assert_eq!(run.summary()["expect"]["met"], 3, "{}", run.describe());

    // What is not in the topic: the read ends at the end offsets, 124.
    let absent = write(dir.path(), "absent", "ord-1\nord-99\n");
    replay(&["--expect", &absent]).expect_stderr(124, &format!("missing {absent}:2: ord-99"));

    // --follow --wait: waits for what is still to come, then gives up.
    let run = replay(&[
        "--follow",
        "--expect",
        &absent,
        "--wait",
        "2s",
        "--summary",
        "json",
    ])
    .expect_code(124);
    assert_eq!(run.summary()["expect"]["met"], 1, "{}", run.describe());
    let run = replay(&["--follow", "--count", "9", "--wait", "2s"]);
    run.expect_stderr(124, "--wait: 8 of 9 records arrived within 2.0s");
    // --wait without --count or --expect only bounds the follow.
    replay(&["--follow", "--wait", "1s"]).expect_code(0);
    // A filter on a dotted path into the value.
    let run = replay(&["--filter", "total.eur=5,total.eur=6"]).expect_code(0);
    assert_eq!(run.stdout().lines().count(), 2, "{}", run.describe());
}

#[test]
fn replay_follow_expect_ends_when_the_last_expected_record_arrives() {
    let env = Env::new("expect-follow").partitions(2).redis();
    publish(env.kafka(), env.redis_server(), &env.topic, orders(0, 4));
    let dir = tempfile::tempdir().unwrap();
    let expect = write(dir.path(), "expected", "ord-1\nord-6\n");
    let mut child = dualstream()
        .brokers(&env.brokers(), "off", &env.topic)
        .args(["replay", "--follow", "--expect", &expect, "--wait", "60s"])
        .spawn();
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "replay ended before ord-6 was published"
    );
    publish(env.kafka(), env.redis_server(), &env.topic, orders(4, 4));
    let code = wait_exit(&mut child, Duration::from_secs(30));
    let stderr = stderr.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let stdout = stdout.join().unwrap();
    assert!(stdout.contains("\"ord-6\""), "{stdout}");
}

#[test]
fn the_ci_smoke_example_passes() {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let out = std::process::Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci-smoke.sh"))
        .env("DUALSTREAM_BIN", env!("CARGO_BIN_EXE_dualstream"))
        .env("DUALSTREAM_BROKERS", kafka.brokers())
        .env("DUALSTREAM_REDIS", redis.url())
        .env("DUALSTREAM_TOPIC", topic("smoke"))
        .env_remove("DUALSTREAM_PROFILE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("smoke test passed"), "{stdout}\n{stderr}");
}
