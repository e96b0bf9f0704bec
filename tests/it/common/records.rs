//! What landed in Kafka, read back with librdkafka; test data and topic names.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::*;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

/// Every record of `topic` at `brokers` (Kafka, a proxy, librdkafka's mock
/// cluster), read with assign() from the start of each partition to the end
/// offsets taken now.
pub fn read_records(brokers: &str, topic: &str) -> Result<Vec<Record>, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("log_level", "0")
        .set("group.id", "dualstream-test-reader")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    // A broker just restarted (or a proxy just cut) may refuse a while.
    let mut tries = 0;
    let metadata = loop {
        match consumer.fetch_metadata(Some(topic), Duration::from_secs(10)) {
            Ok(m) => break m,
            Err(e) if tries < 5 => {
                tries += 1;
                eprintln!("records({topic}): {e}; retrying");
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(e) => return Err(format!("records({topic}): {e}")),
        }
    };
    let partitions: Vec<i32> = metadata.topics()[0]
        .partitions()
        .iter()
        .map(|p| p.id())
        .collect();
    let mut ends = HashMap::new();
    let mut tpl = TopicPartitionList::new();
    for &p in &partitions {
        // A cluster electing leaders after a fault answers errors a while.
        let mut tries = 0;
        let (low, high) = loop {
            match consumer.fetch_watermarks(topic, p, Duration::from_secs(10)) {
                Ok(w) => break w,
                Err(e) if tries < 5 => {
                    tries += 1;
                    eprintln!("records({topic}): offsets of {p}: {e}; retrying");
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(e) => return Err(format!("offsets of {topic}/{p}: {e}")),
            }
        };
        if high > low {
            ends.insert(p, high);
            tpl.add_partition_offset(topic, p, Offset::Offset(low))
                .unwrap();
        }
    }
    let mut out = Vec::new();
    if ends.is_empty() {
        return Ok(out);
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done: HashMap<i32, bool> = ends.keys().map(|&p| (p, false)).collect();
    while done.values().any(|d| !d) {
        if Instant::now() >= deadline {
            return Err(format!(
                "reading {topic} timed out with {} records",
                out.len()
            ));
        }
        let Some(m) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        // A broker connection lost while a cluster heals is retried by
        // librdkafka; only records matter here.
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                eprintln!("records({topic}): {e}");
                continue;
            }
        };
        let headers = m
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| {
                        (
                            h.key.to_string(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Record {
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
            value: m.payload().unwrap_or_default().to_vec(),
            timestamp: m.timestamp().to_millis(),
            headers,
        });
        if m.offset() + 1 >= ends[&m.partition()] {
            done.insert(m.partition(), true);
        }
    }
    Ok(out)
}

#[derive(Clone, Debug)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: Vec<u8>,
    pub timestamp: Option<i64>,
    pub headers: HashMap<String, String>,
}

impl Record {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.value).unwrap()
    }
}

/// NDJSON events `first..first+n`, spread over `sources` source ids.
pub fn events(first: usize, n: usize, sources: usize) -> String {
    let mut s = String::new();
    for i in first..first + n {
        s.push_str(&format!(
            "{{\"id\":\"e{i}\",\"type\":\"push\",\"source_type\":\"repo\",\"source_id\":\"r{}\",\"time\":{},\"n\":{i}}}\n",
            i % sources,
            1_700_000_000_000u64 + i as u64
        ));
    }
    s
}

/// Publish `input` to `topic` with Kafka only, expecting success: test data.
pub fn seed(kafka: &Kafka, topic: &str, input: impl Into<Vec<u8>>) {
    dualstream()
        .brokers(&kafka.brokers(), "off", topic)
        .arg("publish")
        .stdin(input)
        .run()
        .expect_code(0);
}

/// A topic name of its own: unique per call, across the test processes
/// that share one broker.
pub fn topic(name: &str) -> String {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("t-{name}-{}-{n}", std::process::id())
}

pub fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The committed offset of each partition of `group` on `topic`, as
/// `health --group` reports it (0 when nothing was committed).
pub fn committed(brokers: &str, topic: &str, group: &str) -> BTreeMap<i64, i64> {
    try_committed(brokers, topic, group).unwrap_or_else(|e| panic!("{e}"))
}

/// [`committed`], or why `health` could not tell.
pub fn try_committed(
    brokers: &str,
    topic: &str,
    group: &str,
) -> Result<BTreeMap<i64, i64>, String> {
    let run = dualstream()
        .brokers(brokers, "off", topic)
        .args([
            "health",
            "--group",
            group,
            "--format",
            "json",
            "--timeout",
            "10s",
        ])
        .run();
    let report: serde_json::Value = serde_json::from_str(&run.stdout())
        .map_err(|_| format!("health --group\n{}", run.describe()))?;
    if let Some(e) = report["kafka"]["group"]["error"].as_str() {
        return Err(format!("group {group}: {e}\n{}", run.describe()));
    }
    let partitions = report["kafka"]["group"]["partitions"]
        .as_array()
        .ok_or_else(|| format!("no group partitions\n{}", run.describe()))?;
    Ok(partitions
        .iter()
        .map(|p| {
            (
                p["partition"].as_i64().unwrap_or(-1),
                p["committed"].as_i64().unwrap_or(0).max(0),
            )
        })
        .collect())
}
