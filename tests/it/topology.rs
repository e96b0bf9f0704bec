//! Topics that change under running commands: partitions added, the topic
//! deleted. Each command either goes on correctly or stops with a precise
//! message and exit 4 within its --timeout; never silently, never forever.
//! On the shared broker: each test changes only its own topic.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::*;

/// Lines arriving on `rx` until `n` were seen or `limit` passed.
fn take_lines(rx: &std::sync::mpsc::Receiver<String>, n: usize, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => break,
        }
    }
    got
}

/// How many times each id appears in NDJSON lines.
fn id_counts(lines: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        *counts
            .entry(v["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

/// `replay --follow` of a whole topic reads the partitions added while it
/// runs, from their start, and says so; before, it read only the
/// partitions it started with and missed every record keyed to a new one.
#[test]
fn replay_follow_reads_partitions_added_while_it_runs() {
    let kafka = Kafka::shared();
    let topic = topic("growfollow");
    kafka.create_topic(&topic, 1);
    seed(kafka, &topic, events(0, 20, 6));
    let mut child = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["replay", "--follow"])
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    assert_eq!(take_lines(&stdout, 20, Duration::from_secs(30)).len(), 20);
    kafka.add_partitions(&topic, 3);
    seed(kafka, &topic, events(20, 60, 6));
    let got = take_lines(&stdout, 60, Duration::from_secs(30));
    sigint(child.id());
    let status = wait_exit(&mut child, Duration::from_secs(30));
    let said: Vec<String> = stderr.try_iter().collect();
    let counts = id_counts(&got);
    assert_eq!(
        counts.len(),
        60,
        "every new record, in every partition; stderr {said:?}"
    );
    assert!(counts.values().all(|&c| c == 1));
    let partitions: std::collections::HashSet<i32> =
        kafka.records(&topic).iter().map(|r| r.partition).collect();
    assert!(
        partitions.len() > 1,
        "the new records went to the new partitions too"
    );
    assert!(
        said.iter()
            .any(|l| l.contains("grew") && l.contains("partition 1, 2")),
        "{said:?}"
    );
    assert_eq!(status, Some(130));
}

/// `replay --group G --follow`: partitions added while it runs reach the
/// group within its metadata refresh (10 s, librdkafka's default is 5
/// minutes) and their records are read.
#[test]
fn replay_group_follow_reads_partitions_added_while_it_runs() {
    let kafka = Kafka::shared();
    let topic = topic("growgroup");
    kafka.create_topic(&topic, 1);
    seed(kafka, &topic, events(0, 10, 6));
    let mut child = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["replay", "--group", "growers", "--follow"])
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    assert_eq!(take_lines(&stdout, 10, Duration::from_secs(30)).len(), 10);
    kafka.add_partitions(&topic, 3);
    seed(kafka, &topic, events(10, 60, 6));
    let got = take_lines(&stdout, 60, Duration::from_secs(45));
    sigint(child.id());
    let status = wait_exit(&mut child, Duration::from_secs(30));
    let stderr = stderr.join().unwrap();
    assert_eq!(id_counts(&got).len(), 60, "{stderr}");
    assert_eq!(status, Some(130), "{stderr}");
}

/// Partitions added under `publish`: it goes on and every event lands once.
#[test]
fn publish_goes_on_when_partitions_are_added() {
    let kafka = Kafka::shared();
    let topic = topic("growpublish");
    kafka.create_topic(&topic, 1);
    let publisher = steady_publisher(
        &kafka.brokers(),
        "off",
        &topic,
        ticks("gp", 3_000),
        Duration::from_millis(2),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while kafka.records(&topic).len() < 300 {
        assert!(Instant::now() < deadline, "no records arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
    kafka.add_partitions(&topic, 4);
    let (code, stderr) = publisher.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let records = kafka.records(&topic);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in &records {
        *counts
            .entry(r.json()["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(counts.len(), 3_000);
    assert!(counts.values().all(|&c| c == 1), "each event once");
    // The producer learns of the new partitions at its next metadata
    // refresh (librdkafka: every 5 minutes, -X
    // topic.metadata.refresh.interval.ms), so a short run may keep to the
    // old one: that is correct, and keeps per-key order meanwhile.
}

/// The topic deleted under `publish` (a slow stdin): exit 4 within
/// --timeout, naming the topic as gone and the line to resume from.
#[test]
fn a_topic_deleted_under_publish_exits_4_naming_it() {
    let kafka = Kafka::shared();
    let topic = topic("delpublish");
    kafka.create_topic(&topic, 2);
    let mut child = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["publish", "--timeout", "5s"])
        .spawn();
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        for line in ticks("dp", 2_000) {
            if stdin.write_all(line.as_bytes()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while kafka.try_records(&topic).map_or(0, |r| r.len()) < 50 {
        assert!(Instant::now() < deadline, "no records arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
    let deleted_at = Instant::now();
    kafka.delete_topic(&topic);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let elapsed = deleted_at.elapsed();
    let stderr = stderr.join().unwrap();
    writer.join().unwrap();
    assert_eq!(status, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("topic {topic:?} does not exist any more")),
        "{stderr}"
    );
    assert!(stderr.contains("resume from <stdin>:"), "{stderr}");
    assert!(
        elapsed < Duration::from_secs(20),
        "publish took {elapsed:?} with --timeout 5s"
    );
}

/// The topic deleted under `replay --follow`: exit 4 within seconds, naming
/// the topic, instead of waiting for records forever (it did).
#[test]
fn a_topic_deleted_under_replay_follow_exits_4_naming_it() {
    let kafka = Kafka::shared();
    let topic = topic("delfollow");
    kafka.create_topic(&topic, 2);
    seed(kafka, &topic, events(0, 10, 3));
    let mut child = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["replay", "--follow", "--timeout", "5s"])
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    assert_eq!(take_lines(&stdout, 10, Duration::from_secs(30)).len(), 10);
    let deleted_at = Instant::now();
    kafka.delete_topic(&topic);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let elapsed = deleted_at.elapsed();
    let stderr = stderr.join().unwrap();
    assert_eq!(status, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("topic {topic:?} no longer exists")),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}
