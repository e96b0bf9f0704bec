//! `dualstream health` against real Tansu and Redis, and librdkafka's mock
//! cluster for the states Tansu (one broker) cannot be in.

use std::time::Duration;

use crate::common::*;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

fn health(kafka: &str, redis: &str, topic: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = dualstream().args(["--brokers", kafka, "--redis", redis]);
    if let Some(t) = topic {
        cmd = cmd.args(["--topic", t]);
    }
    cmd.arg("health").args(args).run()
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}\n{}", run.describe()))
}

#[test]
fn healthy_cluster_reports_brokers_partitions_redis_and_probe() {
    let env = Env::new("healthy").partitions(2).redis();
    env.seed(events(0, 10, 1));
    let run = health(
        &env.brokers(),
        &env.redis_url(),
        Some(&env.topic),
        &["--probe", "--format", "json", "--channel", "x"],
    )
    .expect_code(0);
    let r = json(&run);
    assert_eq!(r["status"], "ok");
    assert_eq!(r["problems"], serde_json::json!([]));
    let brokers = r["kafka"]["brokers"].as_array().unwrap();
    assert_eq!(brokers.len(), 1);
    assert_eq!(brokers[0]["port"], env.kafka().port());
    assert_eq!(r["kafka"]["controller"], brokers[0]["id"]);
    let topics = r["kafka"]["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 1, "--topic limits the report");
    assert_eq!(topics[0]["name"], env.topic.as_str());
    let parts = topics[0]["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    let total: i64 = parts
        .iter()
        .map(|p| p["high"].as_i64().unwrap() - p["low"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 10);
    assert_eq!(parts[0]["leader"], brokers[0]["id"]);
    assert_eq!(r["kafka"]["under_replicated"], 0);
    assert_eq!(r["kafka"]["offline"], 0);
    assert!(r["redis"]["version"]
        .as_str()
        .unwrap()
        .starts_with(char::is_numeric));
    assert_eq!(r["redis"]["role"], "master");
    assert!(r["redis"]["ping_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(
        r["redis"]["channel_subscribers"],
        serde_json::json!([["x", 0]])
    );
    let probe = &r["probe"];
    assert_eq!(probe["failed"], Value::Null);
    for step in ["kafka_ack_ms", "redis_roundtrip_ms", "total_ms"] {
        assert!(probe[step].as_f64().unwrap() > 0.0, "{step}: {probe}");
    }
    // The probe record is really in Kafka, where the report says.
    let records = env.records();
    let probe_record = records
        .iter()
        .find(|r| r.headers.get("type").map(String::as_str) == Some("dualstream.probe"));
    let probe_record = probe_record.expect("probe record in Kafka");
    assert_eq!(probe_record.offset, probe["offset"].as_i64().unwrap());

    // The table form on a pipe, for people reading CI logs.
    let run = health(&env.brokers(), &env.redis_url(), Some(&env.topic), &[]).expect_code(0);
    assert!(run.stdout().contains("status: ok"), "{}", run.describe());
    assert!(run.stdout().contains("(controller)"), "{}", run.describe());
}

#[test]
fn redis_down_exits_5_and_kafka_down_exits_4_within_the_timeout() {
    let kafka = Kafka::shared();
    let dead_redis = format!("redis://:pw@127.0.0.1:{}", closed_port());
    let run = health(&kafka.brokers(), &dead_redis, None, &["--format", "json"]).expect_code(5);
    assert_eq!(json(&run)["status"], "redis_unreachable");
    assert!(!run.stdout().contains(":pw@"), "{}", run.describe());

    let redis = Redis::start();
    let dead_kafka = format!("127.0.0.1:{}", closed_port());
    let run = health(
        &dead_kafka,
        &redis.url(),
        None,
        &["--format", "json", "--probe"],
    )
    .expect_code(4);
    // A refused connection is an answer: no need to wait out the 10 s timeout.
    assert!(
        run.elapsed < Duration::from_secs(6),
        "took {:?}",
        run.elapsed
    );
    let r = json(&run);
    assert_eq!(r["status"], "kafka_unreachable");
    assert!(r["kafka"]["error"].as_str().unwrap().contains(&dead_kafka));
    assert_eq!(r["probe"]["failed"], "not run: kafka unreachable");
    assert!(
        r["redis"]["ping_ms"].as_f64().is_some(),
        "Redis is still checked"
    );
}

#[test]
fn group_lag_and_max_lag() {
    let env = Env::new("lag").partitions(1);
    env.seed(events(0, 10, 1));
    // A consumer of group "readers" that got through 4 of 10 records.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", env.brokers())
        .set("group.id", "readers")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&env.topic, 0, Offset::Offset(4))
        .unwrap();
    consumer.commit(&tpl, CommitMode::Sync).unwrap();

    let run = health(
        &env.brokers(),
        "off",
        Some(&env.topic),
        &["--group", "readers", "--format", "json"],
    )
    .expect_code(0);
    let g = &json(&run)["kafka"]["group"];
    assert_eq!(g["total_lag"], 6, "{g}");
    assert_eq!(g["partitions"][0]["committed"], 4);
    assert_eq!(g["partitions"][0]["high"], 10);

    let run = health(
        &env.brokers(),
        "off",
        Some(&env.topic),
        &["--group", "readers", "--max-lag", "5", "--format", "json"],
    )
    .expect_code(6);
    let r = json(&run);
    assert_eq!(r["status"], "degraded");
    assert!(
        r["problems"][0]
            .as_str()
            .unwrap()
            .contains("lag 6 is over --max-lag 5"),
        "{r}"
    );
}

#[test]
fn probe_slower_than_max_latency_and_missing_topic_are_degraded() {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let run = health(
        &kafka.brokers(),
        &redis.url(),
        Some("absent"),
        &["--probe", "--format", "json"],
    )
    .expect_code(6);
    let r = json(&run);
    assert!(
        r["probe"]["failed"]
            .as_str()
            .unwrap()
            .contains("topic \"absent\" does not exist"),
        "{r}"
    );

    let topic = topic("slowprobe");
    kafka.create_topic(&topic, 1);
    let run = health(
        &kafka.brokers(),
        &redis.url(),
        Some(&topic),
        &["--probe", "--max-latency", "1us", "--format", "json"],
    )
    .expect_code(6);
    assert!(
        json(&run)["problems"][0]
            .as_str()
            .unwrap()
            .contains("over --max-latency"),
        "{}",
        run.describe()
    );
}

#[test]
fn offline_partitions_on_the_mock_cluster_are_degraded() {
    let cluster = MockCluster::new(3).unwrap();
    cluster.create_topic("orders", 3, 3).unwrap();
    cluster.partition_leader("orders", 1, None).unwrap();
    let run = health(
        &cluster.bootstrap_servers(),
        "off",
        Some("orders"),
        &["--format", "json"],
    )
    .expect_code(6);
    let r = json(&run);
    assert_eq!(r["kafka"]["brokers"].as_array().unwrap().len(), 3);
    assert_eq!(r["kafka"]["offline"], 1);
    assert_eq!(r["kafka"]["topics"][0]["partitions"][1]["leader"], -1);
    assert_eq!(
        r["problems"],
        serde_json::json!(["orders/1: offline (no leader)"])
    );
}
