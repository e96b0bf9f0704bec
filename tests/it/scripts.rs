//! Issue #27, results scripts can trust: `--summary json=FILE` holds the
//! summary alone (warnings stay on stderr), a file that cannot be written
//! is said and loses nothing, and `publish --redis-required` fails (exit 5)
//! when subscribers were not told, with the events in Kafka all the same.

use crate::common::*;
use serde_json::Value;

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.lines().count(), 1, "one JSON line: {text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_summary_file_holds_the_json_summary_and_nothing_else() {
    let kafka = Kafka::shared();
    let topic = topic("summary-file");
    kafka.create_topic(&topic, 2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("publish.json");
    // A Redis that refuses: warnings on stderr, none of them in the file.
    let dead = format!("redis://127.0.0.1:{}", closed_port());
    let run = dualstream()
        .brokers(&kafka.brokers(), &dead, &topic)
        .args(["publish", "--summary"])
        .arg(format!("json={}", file.display()))
        .stdin(events(0, 5, 2))
        .run()
        .expect_code(0);
    assert!(run.stderr().contains("warning"), "{}", run.describe());
    let s = read_json(&file);
    assert_eq!(s["acknowledged"], 5);
    assert_eq!(s["redis_failures"], 5);

    // Beside a stderr format: both.
    let file = dir.path().join("replay.json");
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["replay", "--summary", "json"])
        .arg("--summary")
        .arg(format!("json={}", file.display()))
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["records"], 5);
    assert_eq!(read_json(&file)["records"], 5);
    // No stray file beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // tail too.
    let redis = Redis::start();
    let file = dir.path().join("tail.json");
    let tailing = tail(
        &redis.url(),
        &[
            "events:*",
            "--count",
            "1",
            "--timeout",
            "20s",
            "--summary",
            &format!("json={}", file.display()),
        ],
    );
    tailing.wait_stderr("subscribed");
    redis_publish(&redis, &[("events:x", b"{\"id\":\"a\"}")]);
    let (code, _, stderr) = tailing.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(read_json(&file)["printed"], 1);
}

#[test]
fn a_summary_file_that_cannot_be_written_is_said_and_loses_nothing() {
    let kafka = Kafka::shared();
    let topic = topic("summary-unwritable");
    kafka.create_topic(&topic, 1);
    let publish = |to: &str| {
        dualstream()
            .brokers(&kafka.brokers(), "off", &topic)
            .args(["publish", "--summary", to])
            .stdin(events(0, 3, 1))
            .run()
    };
    // Its directory missing: refused before anything is published.
    let run = publish("json=/nonexistent-dir/s.json").expect_code(2);
    assert!(
        run.stderr()
            .contains("--summary json=/nonexistent-dir/s.json: its directory does not exist"),
        "{}",
        run.describe()
    );
    assert_eq!(kafka.records(&topic).len(), 0);
    let run = publish("json=/tmp").expect_code(2);
    assert!(
        run.stderr().contains("is a directory"),
        "{}",
        run.describe()
    );
    let run = publish("json=").expect_code(2);
    assert!(
        run.stderr().contains("json= needs a file name"),
        "{}",
        run.describe()
    );

    // Refused at the end (procfs takes no new file): the run's summary goes
    // to stderr instead, and the run does not pass for a success.
    let run = publish("json=/proc/dualstream-summary.json").expect_code(1);
    assert_eq!(run.summary()["acknowledged"], 3, "{}", run.describe());
    assert!(
        run.stderr()
            .contains("the run itself succeeded: its summary is on stderr above"),
        "{}",
        run.describe()
    );
    assert_eq!(kafka.records(&topic).len(), 3);
}

#[test]
fn publish_redis_required_fails_when_subscribers_were_not_told() {
    let kafka = Kafka::shared();
    let topic = topic("redis-required");
    kafka.create_topic(&topic, 2);
    let publish = |redis: &str| {
        dualstream()
            .brokers(&kafka.brokers(), redis, &topic)
            .args(["publish", "--redis-required", "--summary", "json"])
            .stdin(events(0, 4, 2))
            .run()
    };
    let redis = Redis::start();
    let run = publish(&redis.url()).expect_code(0);
    assert_eq!(run.summary()["notified"], 4);

    let dead = format!("redis://127.0.0.1:{}", closed_port());
    let run = publish(&dead).expect_code(5);
    assert_eq!(run.summary()["acknowledged"], 4);
    assert_eq!(run.summary()["redis_failures"], 4);
    assert!(
        run.stderr()
            .contains("--redis-required: 4 notifications not sent to Redis")
            && run.stderr().contains("the events are in Kafka"),
        "{}",
        run.describe()
    );
    assert_eq!(
        kafka.records(&topic).len(),
        8,
        "both runs' events are in Kafka"
    );

    let run = publish("off").expect_code(2);
    assert!(
        run.stderr().contains("--redis-required needs Redis"),
        "{}",
        run.describe()
    );
}
