//! Issue #27, resume and repair in one paste: `publish --skip-lines N`, the
//! resume message that prints it, the count before a bad line, and the
//! per-partition `replay --to-redis` printed after Redis failures, run as
//! printed.

use crate::common::*;
use std::collections::BTreeSet;

fn publish(kafka: &Kafka, redis: &str, topic: &str, args: &[&str], input: &str) -> Run {
    dualstream()
        .brokers(&kafka.brokers(), redis, topic)
        .arg("publish")
        .args(args)
        .stdin(input.to_string())
        .run()
}

fn ns(kafka: &Kafka, topic: &str) -> BTreeSet<u64> {
    kafka
        .records(topic)
        .iter()
        .map(|r| r.json()["n"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_bad_line_says_how_many_are_in_and_the_flag_to_rerun_with() {
    let kafka = Kafka::shared();
    let topic = topic("resume");
    kafka.create_topic(&topic, 2);
    let good = events(0, 10, 3);
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(7, "not json");
    let input = lines.join("\n") + "\n";

    let run = publish(kafka, "off", &topic, &[], &input).expect_code(3);
    assert!(
        run.stderr().contains(
            "<stdin>:8:2: not JSON: expected an object, array, string, number, true, false or null (use --on-invalid skip or dead-letter=FILE to continue past bad lines); 7 events before it are in Kafka; resume from <stdin>:8 (rerun with --skip-lines 7)"
        ),
        "{}",
        run.describe()
    );
    assert_eq!(ns(kafka, &topic), (0..7).collect());

    // Fixed, and rerun with the flag printed: every event once.
    lines[7] = r#"{"id":"fixed","type":"push","source_type":"repo","source_id":"r0","n":100}"#;
    let fixed = lines.join("\n") + "\n";
    let run = publish(
        kafka,
        "off",
        &topic,
        &["--skip-lines", "7", "--summary", "json"],
        &fixed,
    )
    .expect_code(0);
    assert_eq!(run.summary()["skipped"], 7);
    assert_eq!(run.summary()["read"], 4);
    let mut all: BTreeSet<u64> = (0..10).collect();
    all.insert(100);
    assert_eq!(ns(kafka, &topic), all);
    assert_eq!(kafka.records(&topic).len(), 11, "nothing twice");
}

#[test]
fn skip_lines_past_the_end_and_across_files() {
    let kafka = Kafka::shared();
    let topic = topic("skip");
    kafka.create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.ndjson");
    let b = dir.path().join("b.ndjson");
    std::fs::write(&a, events(0, 3, 1)).unwrap();
    std::fs::write(&b, events(3, 3, 1) + "not json\n").unwrap();

    // N past the end of the input: nothing published, said.
    let run = publish(
        kafka,
        "off",
        &topic,
        &["--skip-lines", "18446744073709551615"],
        &events(0, 3, 1),
    )
    .expect_code(0);
    assert!(
        run.stderr().contains("note: --skip-lines 18446744073709551615 is past the end of the input (3 lines): nothing was published"),
        "{}",
        run.describe()
    );
    assert_eq!(kafka.records(&topic).len(), 0);

    // Several files: the first one's lines only; a stop in a later file
    // names the inputs to rerun with.
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["publish", "--skip-lines", "2"])
        .arg(a.display().to_string())
        .arg(b.display().to_string())
        .run()
        .expect_code(3);
    assert_eq!(ns(kafka, &topic), BTreeSet::from([2, 3, 4, 5]));
    let b_name = b.display().to_string();
    assert!(
        run.stderr().contains(&format!(
            "4 events before it are in Kafka; resume from {b_name}:4 (rerun with the inputs {b_name} and --skip-lines 3)"
        )),
        "{}",
        run.describe()
    );

    // A CSV header is read all the same.
    let csv =
        "id,type,source_type,source_id,n\nc1,push,repo,r,1\nc2,push,repo,r,2\nc3,push,repo,r,3\n";
    let csv_topic = crate::common::topic("skip-csv");
    kafka.create_topic(&csv_topic, 1);
    publish(
        kafka,
        "off",
        &csv_topic,
        &["--format", "csv", "--skip-lines", "2"],
        csv,
    )
    .expect_code(0);
    let ids: Vec<String> = kafka
        .records(&csv_topic)
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["c2", "c3"], "line 2 is the first record");
}

#[test]
fn redis_failures_print_the_replay_that_repairs_them() {
    let kafka = Kafka::shared();
    let topic = topic("repair");
    kafka.create_topic(&topic, 3);
    let dead = format!("redis://127.0.0.1:{}", closed_port());
    // Half the events notified, then Redis gone for the other half.
    let redis = Redis::start();
    let sub = redis.subscribe("events:*");
    publish(kafka, &redis.url(), &topic, &[], &events(0, 6, 3)).expect_code(0);
    assert_eq!(sub.wait_for(6, std::time::Duration::from_secs(10)).len(), 6);
    let run = publish(
        kafka,
        &dead,
        &topic,
        &["--summary", "json"],
        &events(6, 6, 3),
    )
    .expect_code(0);
    let summary = run.summary();
    assert_eq!(summary["redis_failures"], 6);
    let repairs: Vec<String> = run
        .stderr()
        .lines()
        .filter_map(|l| {
            l.split_once("re-send partition ")
                .map(|(_, rest)| rest.to_string())
        })
        .collect();
    assert_eq!(
        repairs.len(),
        summary["redis_repair"].as_array().unwrap().len(),
        "{}",
        run.describe()
    );
    assert!(!repairs.is_empty(), "{}", run.describe());
    // Run each command as printed: exactly the six that failed arrive.
    for line in &repairs {
        let command = line.split_once(": dualstream ").unwrap().1;
        assert!(
            command.contains(&format!("--topic {topic} --to-redis --partition ")),
            "{command}"
        );
        dualstream()
            .args(["--brokers", &kafka.brokers(), "--redis", &redis.url()])
            .args(command.split_whitespace())
            .run()
            .expect_code(0);
    }
    let got = sub.wait_for(12, std::time::Duration::from_secs(10));
    let ids: BTreeSet<String> = got[6..]
        .iter()
        .map(|(_, m)| {
            serde_json::from_str::<serde_json::Value>(m).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, (6..12).map(|i| format!("e{i}")).collect());
    assert_eq!(
        sub.settle(std::time::Duration::from_millis(500)).len(),
        12,
        "no re-send of what arrived"
    );
}
