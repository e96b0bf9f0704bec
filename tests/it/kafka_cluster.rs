//! Kafka clusters: dualstream against librdkafka's mock cluster of three
//! brokers (their ports are real loopback ports, so the real binary talks to
//! them), with partition leaders moved and a broker taken down while events
//! flow. Tansu lists only itself in Metadata and cannot show any of this.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use rdkafka::mocking::MockCluster;

use crate::common::*;

/// NDJSON events `first..first+n` over `keys` source ids, without a time.
fn orders(first: usize, n: usize, keys: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| {
            format!(
                "{{\"id\":\"o{i}\",\"type\":\"order\",\"source_type\":\"shop\",\"source_id\":\"k{}\",\"n\":{i}}}\n",
                i % keys
            )
        })
        .collect()
}

/// Every id once, and per source id in publishing order (by offset).
fn exactly_once_in_order(records: &[Record], n: usize) {
    let mut seen = HashSet::new();
    let mut by_key: BTreeMap<String, Vec<(i32, i64, u64)>> = BTreeMap::new();
    for r in records {
        let v = r.json();
        let id = v["id"].as_str().unwrap().to_string();
        assert!(seen.insert(id.clone()), "{id} is in Kafka twice");
        by_key
            .entry(r.key.clone().unwrap_or_default())
            .or_default()
            .push((r.partition, r.offset, v["n"].as_u64().unwrap()));
    }
    assert_eq!(seen.len(), n, "records in Kafka");
    for (key, mut rows) in by_key {
        let partitions: HashSet<i32> = rows.iter().map(|r| r.0).collect();
        assert_eq!(partitions.len(), 1, "{key} spread over partitions");
        rows.sort_by_key(|r| r.1);
        let ns: Vec<u64> = rows.iter().map(|r| r.2).collect();
        let mut sorted = ns.clone();
        sorted.sort();
        assert_eq!(ns, sorted, "{key} out of order");
    }
}

#[test]
fn publish_rides_out_leader_moves_and_a_broker_restart() {
    let cluster = MockCluster::new(3).unwrap();
    cluster.create_topic("orders", 3, 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    let n = 3000;
    let publisher = steady_publisher(
        &brokers,
        "off",
        "orders",
        orders(0, n, 12),
        Duration::from_millis(1),
    );
    std::thread::sleep(Duration::from_millis(600));
    cluster.partition_leader("orders", 0, Some(2)).unwrap();
    cluster.partition_leader("orders", 1, Some(3)).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    cluster.broker_down(1).unwrap();
    std::thread::sleep(Duration::from_millis(800));
    cluster.broker_up(1).unwrap();
    cluster.partition_leader("orders", 2, Some(1)).unwrap();
    let (code, stderr) = publisher.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let summary: serde_json::Value = stderr
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no summary: {stderr}"));
    assert_eq!(summary["acknowledged"], n, "{stderr}");
    exactly_once_in_order(&read_records(&brokers, "orders").unwrap(), n);
}

#[test]
fn replay_and_a_group_read_every_record_once_across_a_leader_change() {
    let cluster = MockCluster::new(3).unwrap();
    cluster.create_topic("orders", 3, 3).unwrap();
    let brokers = cluster.bootstrap_servers();
    let n = 600;
    steady_publisher(&brokers, "off", "orders", orders(0, n, 6), Duration::ZERO)
        .join()
        .unwrap();
    // A follower and a group member read the first n, then n more arrive
    // while every partition's leader moves.
    let start = |args: &[&str]| {
        let mut child = dualstream()
            .brokers(&brokers, "off", "orders")
            .arg("replay")
            .args(args)
            .args(["--follow", "--count", &(2 * n).to_string(), "--wait", "90s"])
            .spawn();
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        (child, out, err)
    };
    let readers = [start(&[]), start(&["--group", "g1"])];
    std::thread::sleep(Duration::from_millis(1500));
    let publisher = steady_publisher(
        &brokers,
        "off",
        "orders",
        orders(n, n, 6),
        Duration::from_millis(2),
    );
    std::thread::sleep(Duration::from_millis(400));
    for p in 0..3 {
        cluster.partition_leader("orders", p, Some(3 - p)).unwrap();
    }
    assert_eq!(publisher.join().unwrap().0, Some(0));
    for (mut child, out, err) in readers {
        let code = wait_exit(&mut child, Duration::from_secs(90));
        let (out, err) = (out.join().unwrap(), err.join().unwrap());
        assert_eq!(code, Some(0), "{err}");
        let ids: Vec<String> = json_lines(&out)
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect();
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), 2 * n, "{err}");
        assert_eq!(distinct.len(), 2 * n, "a record read twice\n{err}");
    }
}
