//! `dualstream replay` against a real Tansu broker.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// A 3-partition topic holding events 0..30 with timestamps 1_700_000_000_000 + i.
fn topic_with_events(tansu: &Tansu, name: &str) -> String {
    let topic = topic(name);
    tansu.create_topic(&topic, 3);
    dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .arg("publish")
        .stdin(events(0, 30, 6))
        .run()
        .expect_code(0);
    topic
}

fn replay(tansu: &Tansu, topic: &str, args: &[&str]) -> Run {
    dualstream()
        .brokers(&tansu.brokers(), "off", topic)
        .arg("replay")
        .args(args)
        .run()
}

fn ns(run: &Run) -> Vec<u64> {
    let mut ns: Vec<u64> = run
        .stdout()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect();
    ns.sort();
    ns
}

#[test]
fn start_modes_and_bounds() {
    let tansu = Tansu::start();
    let topic = topic_with_events(&tansu, "starts");
    let records = tansu.records(&topic);
    let filled = records
        .iter()
        .map(|r| r.partition)
        .collect::<BTreeSet<_>>()
        .len();

    let all = replay(&tansu, &topic, &["--from-beginning"]).expect_code(0);
    assert_eq!(ns(&all), (0..30).collect::<Vec<_>>());

    // --from-offset N is per partition.
    // (Partitions shorter than that are read from their end, with a warning.)
    let run = replay(&tansu, &topic, &["--from-offset", "2", "--summary", "json"]).expect_code(0);
    let expected: Vec<u64> = {
        let mut v: Vec<u64> = records
            .iter()
            .filter(|r| r.offset >= 2)
            .map(|r| r.json()["n"].as_u64().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ns(&run), expected);
    assert_eq!(run.summary()["records"], expected.len());

    // Negative: that many before the end of each partition.
    let run = replay(&tansu, &topic, &["--from-offset", "-1"]).expect_code(0);
    assert_eq!(ns(&run).len(), filled);

    // A time inside the data: records at or after it (timestamps rise with n).
    let run = replay(&tansu, &topic, &["--from-time", "1700000000020"]).expect_code(0);
    assert_eq!(ns(&run), (20..30).collect::<Vec<_>>());
    let run = replay(&tansu, &topic, &["--from-time", "2023-11-14T22:13:20.025Z"]).expect_code(0);
    assert_eq!(ns(&run), (25..30).collect::<Vec<_>>());

    // A time after the last record starts at the end (Tansu answers 0 there).
    let run = replay(&tansu, &topic, &["--from-time", "2099-01-01T00:00:00Z"]).expect_code(0);
    assert_eq!(run.stdout(), "", "{}", run.describe());
    let run = replay(&tansu, &topic, &["--from-time", "1m"]).expect_code(0);
    assert_eq!(run.stdout(), "");

    // Past the end is an error, not a silent reread.
    let run = replay(&tansu, &topic, &["--from-offset", "1000"]).expect_code(2);
    assert!(
        run.stderr().contains("start offset is past the end of"),
        "{}",
        run.describe()
    );

    // --to-offset, --count and --partition.
    let run = replay(&tansu, &topic, &["--to-offset", "1"]).expect_code(0);
    assert_eq!(ns(&run).len(), filled);
    let run = replay(&tansu, &topic, &["--count", "4"]).expect_code(0);
    assert_eq!(ns(&run).len(), 4);
    let run = replay(&tansu, &topic, &["--partition", "1"]).expect_code(0);
    let in_p1: Vec<u64> = {
        let mut v: Vec<u64> = records
            .iter()
            .filter(|r| r.partition == 1)
            .map(|r| r.json()["n"].as_u64().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ns(&run), in_p1);
    replay(&tansu, &topic, &["--partition", "7"]).expect_code(2);
}

#[test]
fn empty_partitions_and_empty_topics_terminate() {
    let tansu = Tansu::start();
    let topic = topic("empty");
    tansu.create_topic(&topic, 4);
    let run = replay(&tansu, &topic, &["--summary", "json"]).expect_code(0);
    assert_eq!(run.stdout(), "");
    assert_eq!(run.summary()["records"], 0);
    // One key: one partition has data, three stay empty.
    dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .arg("publish")
        .stdin(events(0, 5, 1))
        .run()
        .expect_code(0);
    let run = replay(&tansu, &topic, &["--summary", "json"]).expect_code(0);
    assert_eq!(ns(&run), [0, 1, 2, 3, 4]);
    assert_eq!(run.summary()["partitions"].as_array().unwrap().len(), 4);
}

#[test]
fn values_round_trip_byte_for_byte_and_envelopes_carry_coordinates() {
    let tansu = Tansu::start();
    let topic = topic("bytes");
    tansu.create_topic(&topic, 1);
    let input = "{ \"id\" : \"a\", \"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"k\",  \"text\":\"héllo \\u00e9 \\\"q\\\"\" }\n\
                 {\"id\":\"b\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"k\",\"n\":1.50,\"time\":\"2026-11-24T10:00:00Z\"}\n";
    dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .arg("publish")
        .stdin(input)
        .run()
        .expect_code(0);
    let run = replay(&tansu, &topic, &[]).expect_code(0);
    assert_eq!(
        run.stdout(),
        input,
        "replay must give back exactly what was published"
    );

    let run = replay(&tansu, &topic, &["--envelope"]).expect_code(0);
    let lines: Vec<Value> = run
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[1]["partition"], 0);
    assert_eq!(lines[1]["offset"], 1);
    assert_eq!(lines[1]["timestamp"], 1_795_514_400_000u64);
    assert_eq!(lines[1]["key"], "k");
    assert_eq!(
        lines[1]["headers"],
        serde_json::json!({"id":"b","type":"t","source_type":"s"})
    );
    assert_eq!(lines[1]["value"]["n"], 1.5);
    assert_eq!(lines[1]["topic"], topic.as_str());
    let offsets: BTreeSet<i64> = lines
        .iter()
        .map(|l| l["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, BTreeSet::from([0, 1]));
}

#[test]
fn missing_topic_and_unreachable_broker_exit_4() {
    let tansu = Tansu::start();
    let run = replay(&tansu, "nope", &["--timeout", "5s"]).expect_code(4);
    assert!(
        run.stderr().contains("topic \"nope\" does not exist"),
        "{}",
        run.describe()
    );
    let run = dualstream()
        .brokers(&format!("127.0.0.1:{}", closed_port()), "off", "x")
        .args(["replay", "--timeout", "2s"])
        .run()
        .expect_code(4);
    assert!(
        run.stderr().contains("no broker reachable"),
        "{}",
        run.describe()
    );
}
