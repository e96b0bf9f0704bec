//! `dualstream health`: what Kafka and Redis look like right now, checked
//! side by side under one deadline, and optionally one probe event through
//! the whole path. The report is a table or a JSON document of a stable
//! shape; the exit code says healthy (0), Kafka unreachable (4), Redis
//! unreachable (5) or degraded (6).

use std::time::{Duration, Instant};

use anyhow::Result;
use futures::StreamExt;
use rdkafka::consumer::Consumer as _;
use rdkafka::producer::{FutureRecord, Producer as _};
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use crate::cli::ReportFormat;
use crate::config::{show_duration, Common, HealthConfig, RedisTarget};
use crate::error::Code;
use crate::kafka::{self, KafkaSettings};
use crate::output::Output;

#[derive(Debug, Serialize)]
pub struct Report {
    /// `ok`, `degraded`, `kafka_unreachable` or `redis_unreachable`.
    pub status: &'static str,
    pub problems: Vec<String>,
    pub kafka: KafkaReport,
    /// Absent with `--redis off`.
    pub redis: Option<RedisReport>,
    pub probe: Option<ProbeReport>,
}

#[derive(Debug, Default, Serialize)]
pub struct KafkaReport {
    pub bootstrap: String,
    pub error: Option<String>,
    pub controller: Option<i32>,
    pub brokers: Vec<BrokerInfo>,
    pub topics: Vec<TopicInfo>,
    pub under_replicated: usize,
    pub offline: usize,
    pub group: Option<GroupInfo>,
}

#[derive(Debug, Serialize)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

#[derive(Debug, Serialize)]
pub struct TopicInfo {
    pub name: String,
    pub error: Option<String>,
    pub partitions: Vec<PartitionInfo>,
}

#[derive(Debug, Serialize)]
pub struct PartitionInfo {
    pub id: i32,
    /// -1 when the partition has no leader.
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub low: Option<i64>,
    pub high: Option<i64>,
    pub under_replicated: bool,
    pub offline: bool,
}

impl PartitionInfo {
    fn new(id: i32, leader: i32, replicas: Vec<i32>, isr: Vec<i32>) -> PartitionInfo {
        PartitionInfo {
            id,
            leader,
            under_replicated: isr.len() < replicas.len(),
            offline: leader < 0,
            replicas,
            isr,
            low: None,
            high: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct GroupInfo {
    pub name: String,
    pub topic: String,
    pub total_lag: i64,
    pub partitions: Vec<GroupPartition>,
}

#[derive(Debug, Serialize)]
pub struct GroupPartition {
    pub partition: i32,
    /// `None` when the group committed nothing for this partition.
    pub committed: Option<i64>,
    pub high: i64,
    pub lag: i64,
}

#[derive(Debug, Default, Serialize)]
pub struct RedisReport {
    pub url: String,
    pub error: Option<String>,
    pub ping_ms: Option<f64>,
    pub version: Option<String>,
    pub role: Option<String>,
    pub connected_clients: Option<i64>,
    pub used_memory: Option<String>,
    pub pattern_subscriptions: Option<i64>,
    pub channel_subscribers: Vec<(String, i64)>,
}

#[derive(Debug, Default, Serialize)]
pub struct ProbeReport {
    pub channel: String,
    pub topic: String,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub kafka_ack_ms: Option<f64>,
    pub redis_roundtrip_ms: Option<f64>,
    pub total_ms: Option<f64>,
    /// The step that failed, with why; `None` when the probe went through.
    pub failed: Option<String>,
}

/// How long every broker must have been down before health says so.
const ALL_DOWN_GRACE: Duration = Duration::from_secs(1);

pub async fn run(common: Common, cfg: HealthConfig, out: &Output) -> Result<Code> {
    let deadline = Instant::now() + cfg.timeout;
    let settings = common.kafka.clone();
    let (topic, topic_given, group) = (common.topic.clone(), common.topic_given, cfg.group.clone());
    let kafka_check = tokio::task::spawn_blocking(move || {
        kafka_report(&settings, &topic, topic_given, group.as_deref(), deadline)
    });
    let redis_check = async {
        match &common.redis {
            Some(r) => Some(redis_report(r, &cfg.channels, deadline).await),
            None => None,
        }
    };
    let (kafka, redis) = tokio::join!(kafka_check, redis_check);
    let kafka = kafka.unwrap_or_else(|e| KafkaReport {
        error: Some(format!("check failed: {e}")),
        ..KafkaReport::default()
    });
    let probe = match (&common.redis, cfg.probe) {
        (_, false) => None,
        (_, true) if kafka.error.is_some() => Some(skipped_probe(&common, "kafka unreachable")),
        (Some(_), true) if redis.as_ref().is_some_and(|r| r.error.is_some()) => {
            Some(skipped_probe(&common, "redis unreachable"))
        }
        (_, true)
            if !kafka
                .topics
                .iter()
                .any(|t| t.name == common.topic && !t.partitions.is_empty()) =>
        {
            Some(skipped_probe(
                &common,
                &format!(
                    "topic {:?} does not exist (give another with --topic)",
                    common.topic
                ),
            ))
        }
        (Some(r), true) => Some(probe(&common.kafka, r, &common.topic, remaining(deadline)).await),
        (None, true) => Some(skipped_probe(&common, "--redis off")),
    };
    let (status, code, problems) = judge(&kafka, redis.as_ref(), probe.as_ref(), &cfg);
    let report = Report {
        status,
        problems,
        kafka,
        redis,
        probe,
    };
    match cfg.format {
        ReportFormat::Json => out.json_stdout(&serde_json::to_value(&report)?)?,
        ReportFormat::Table => print_tables(out, &report),
    }
    Ok(code)
}

fn remaining(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100))
}

/// Decide the status and exit code from what was found.
fn judge(
    kafka: &KafkaReport,
    redis: Option<&RedisReport>,
    probe: Option<&ProbeReport>,
    cfg: &HealthConfig,
) -> (&'static str, Code, Vec<String>) {
    let mut problems = Vec::new();
    if let Some(e) = &kafka.error {
        problems.push(format!("kafka: {e}"));
    }
    if let Some(e) = redis.and_then(|r| r.error.as_ref()) {
        problems.push(format!("redis: {e}"));
    }
    if kafka.error.is_some() {
        return ("kafka_unreachable", Code::Kafka, problems);
    }
    if redis.is_some_and(|r| r.error.is_some()) {
        return ("redis_unreachable", Code::Redis, problems);
    }
    for t in &kafka.topics {
        if let Some(e) = &t.error {
            problems.push(format!("topic {}: {e}", t.name));
        }
        for p in &t.partitions {
            if p.offline {
                problems.push(format!("{}/{}: offline (no leader)", t.name, p.id));
            } else if p.under_replicated {
                problems.push(format!(
                    "{}/{}: under-replicated (isr {:?} of replicas {:?})",
                    t.name, p.id, p.isr, p.replicas
                ));
            }
        }
    }
    if let (Some(g), Some(max)) = (&kafka.group, cfg.max_lag) {
        if g.total_lag > max {
            problems.push(format!(
                "group {}: lag {} is over --max-lag {max}",
                g.name, g.total_lag
            ));
        }
    }
    if let Some(p) = probe {
        if let Some(f) = &p.failed {
            problems.push(format!("probe: {f}"));
        } else if let (Some(total), Some(max)) = (p.total_ms, cfg.max_latency) {
            if total > max.as_secs_f64() * 1000.0 {
                problems.push(format!(
                    "probe: {total:.1} ms is over --max-latency {}",
                    show_duration(max)
                ));
            }
        }
    }
    if problems.is_empty() {
        ("ok", Code::Success, problems)
    } else {
        ("degraded", Code::Degraded, problems)
    }
}

fn kafka_report(
    settings: &KafkaSettings,
    topic: &str,
    topic_given: bool,
    group: Option<&str>,
    deadline: Instant,
) -> KafkaReport {
    let mut report = KafkaReport {
        bootstrap: settings.brokers.clone(),
        ..KafkaReport::default()
    };
    let consumer = match kafka::consumer(settings, group) {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    // Ask in short slices: once librdkafka has seen every broker refuse for
    // a moment, the answer is "unreachable" now, not at the deadline.
    let started = Instant::now();
    let metadata = loop {
        let slice = remaining(deadline).min(Duration::from_millis(250));
        match consumer.fetch_metadata(topic_given.then_some(topic), slice) {
            Ok(m) => break m,
            Err(e) => {
                // Error events reach the context only through poll.
                let _ = consumer.poll(Duration::ZERO);
                let down =
                    consumer.context().all_brokers_down() && started.elapsed() > ALL_DOWN_GRACE;
                if down || Instant::now() >= deadline {
                    report.error = Some(format!(
                        "no broker reachable at {} after {} ({e})",
                        settings.brokers,
                        show_duration(started.elapsed())
                    ));
                    return report;
                }
            }
        }
    };
    report.controller = kafka::controller_id(
        consumer.client(),
        remaining(deadline).min(Duration::from_secs(2)),
    );
    report.brokers = metadata
        .brokers()
        .iter()
        .map(|b| BrokerInfo {
            id: b.id(),
            host: b.host().to_string(),
            port: b.port(),
        })
        .collect();
    for t in metadata.topics() {
        let mut info = TopicInfo {
            name: t.name().to_string(),
            error: t
                .error()
                .map(|e| rdkafka::error::RDKafkaErrorCode::from(e).to_string()),
            partitions: t
                .partitions()
                .iter()
                .map(|p| {
                    PartitionInfo::new(p.id(), p.leader(), p.replicas().to_vec(), p.isr().to_vec())
                })
                .collect(),
        };
        for p in &mut info.partitions {
            if let Ok((low, high)) = consumer.fetch_watermarks(t.name(), p.id, remaining(deadline))
            {
                (p.low, p.high) = (Some(low), Some(high));
            }
        }
        info.partitions.sort_by_key(|p| p.id);
        report.under_replicated += info
            .partitions
            .iter()
            .filter(|p| p.under_replicated)
            .count();
        report.offline += info.partitions.iter().filter(|p| p.offline).count();
        report.topics.push(info);
    }
    report.topics.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(name) = group {
        report.group = group_lag(&consumer, name, topic, &report.topics, deadline);
    }
    report
}

/// Committed offsets of `group` on `topic`, and the lag to each end offset.
fn group_lag(
    consumer: &kafka::Consumer,
    group: &str,
    topic: &str,
    topics: &[TopicInfo],
    deadline: Instant,
) -> Option<GroupInfo> {
    let info = topics.iter().find(|t| t.name == topic)?;
    let mut tpl = TopicPartitionList::new();
    for p in &info.partitions {
        tpl.add_partition(topic, p.id);
    }
    let committed = consumer.committed_offsets(tpl, remaining(deadline)).ok()?;
    let mut partitions = Vec::new();
    for p in &info.partitions {
        let (low, high) = (p.low.unwrap_or(0), p.high.unwrap_or(0));
        let offset = committed.find_partition(topic, p.id).map(|e| e.offset());
        let committed = match offset {
            Some(Offset::Offset(o)) => Some(o),
            _ => None,
        };
        let lag = (high - committed.unwrap_or(low)).max(0);
        partitions.push(GroupPartition {
            partition: p.id,
            committed,
            high,
            lag,
        });
    }
    Some(GroupInfo {
        name: group.to_string(),
        topic: topic.to_string(),
        total_lag: partitions.iter().map(|p| p.lag).sum(),
        partitions,
    })
}

async fn redis_report(target: &RedisTarget, channels: &[String], deadline: Instant) -> RedisReport {
    let mut report = RedisReport {
        url: target.shown.clone(),
        ..RedisReport::default()
    };
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(remaining(deadline)))
        .set_response_timeout(Some(remaining(deadline)));
    let mut conn = match target
        .client
        .get_multiplexed_async_connection_with_config(&config)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(format!("cannot connect to {}: {e}", target.shown));
            return report;
        }
    };
    let sent = Instant::now();
    if let Err(e) = redis::cmd("PING").query_async::<String>(&mut conn).await {
        report.error = Some(format!("PING to {}: {e}", target.shown));
        return report;
    }
    report.ping_ms = Some(ms(sent.elapsed()));
    if let Ok(info) = redis::cmd("INFO").query_async::<String>(&mut conn).await {
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
                .map(|v| v.trim().to_string())
        };
        report.version = field("redis_version");
        report.role = field("role");
        report.connected_clients = field("connected_clients").and_then(|v| v.parse().ok());
        report.used_memory = field("used_memory_human");
    }
    report.pattern_subscriptions = redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query_async(&mut conn)
        .await
        .ok();
    if !channels.is_empty() {
        let counts: Vec<(String, i64)> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channels)
            .query_async(&mut conn)
            .await
            .unwrap_or_default();
        report.channel_subscribers = counts;
    }
    report
}

fn skipped_probe(common: &Common, why: &str) -> ProbeReport {
    ProbeReport {
        topic: common.topic.clone(),
        failed: Some(format!("not run: {why}")),
        ..ProbeReport::default()
    }
}

/// One event through the whole path: subscribe to a probe channel, produce a
/// probe record and wait for its ack, publish its notification, receive it.
async fn probe(
    settings: &KafkaSettings,
    target: &RedisTarget,
    topic: &str,
    budget: Duration,
) -> ProbeReport {
    let now = jiff::Timestamp::now();
    let id = format!("probe-{}-{}", std::process::id(), now.as_nanosecond());
    let mut report = ProbeReport {
        channel: format!("dualstream:probe:{id}"),
        topic: topic.to_string(),
        ..ProbeReport::default()
    };
    if let Err(failed) = probe_steps(settings, target, &id, now, budget, &mut report).await {
        report.failed = Some(failed);
    }
    report
}

/// The probe's steps, filling in `report` as they succeed; the error names
/// the step that failed and why.
async fn probe_steps(
    settings: &KafkaSettings,
    target: &RedisTarget,
    id: &str,
    now: jiff::Timestamp,
    budget: Duration,
    report: &mut ProbeReport,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + budget;
    let step = |name: &str, e: &dyn std::fmt::Display| format!("{name}: {e}");
    let topic = report.topic.clone();

    let mut pubsub = tokio::time::timeout_at(deadline, target.client.get_async_pubsub())
        .await
        .map_err(|_| step("redis subscribe", &"timed out"))?
        .map_err(|e| step("redis subscribe", &e))?;
    pubsub
        .subscribe(&report.channel)
        .await
        .map_err(|e| step("redis subscribe", &e))?;
    let producer =
        kafka::producer(settings, budget, 10, true).map_err(|e| step("kafka produce", &e))?;
    // Connect before the clock starts: the probe times the path, not client start-up.
    let (warm, warm_topic) = (producer.clone(), topic.clone());
    let _ = tokio::task::spawn_blocking(move || {
        warm.client().fetch_metadata(Some(&warm_topic), budget)
    })
    .await;
    let value = serde_json::json!({
        "id": id, "type": "dualstream.probe", "source_type": "dualstream", "source_id": "probe",
        "time": now.to_string(),
    })
    .to_string();
    let record = FutureRecord::to(&topic)
        .key("probe")
        .payload(&value)
        .headers(kafka::event_headers(id, "dualstream.probe", "dualstream"));
    let started = Instant::now();
    let delivery =
        tokio::time::timeout_at(deadline, producer.send(record, remaining_tokio(deadline)))
            .await
            .map_err(|_| step("kafka produce", &"no acknowledgement in time"))?
            .map_err(|(e, _)| step("kafka produce", &e))?;
    report.kafka_ack_ms = Some(ms(started.elapsed()));
    (report.partition, report.offset) = (Some(delivery.partition), Some(delivery.offset));
    let note = crate::event::Notification {
        id,
        kind: "dualstream.probe",
        source_id: "probe",
        topic: &topic,
        partition: delivery.partition,
        offset: delivery.offset,
    }
    .to_json();

    let published = Instant::now();
    let sent = async {
        let mut conn = target.client.get_multiplexed_async_connection().await?;
        redis::cmd("PUBLISH")
            .arg(&report.channel)
            .arg(&note)
            .query_async::<i64>(&mut conn)
            .await
    };
    tokio::time::timeout_at(deadline, sent)
        .await
        .map_err(|_| step("redis publish", &"timed out"))?
        .map_err(|e| step("redis publish", &e))?;
    let mut messages = pubsub.on_message();
    loop {
        match tokio::time::timeout_at(deadline, messages.next()).await {
            Ok(Some(m)) if m.get_payload_bytes() == note.as_bytes() => break,
            Ok(Some(_)) => continue,
            Ok(None) => return Err(step("redis receive", &"subscription closed")),
            Err(_) => return Err(step("redis receive", &"notification not received in time")),
        }
    }
    report.redis_roundtrip_ms = Some(ms(published.elapsed()));
    report.total_ms = Some(ms(started.elapsed()));
    Ok(())
}

fn remaining_tokio(deadline: tokio::time::Instant) -> Duration {
    deadline.saturating_duration_since(tokio::time::Instant::now())
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn print_tables(out: &Output, r: &Report) {
    let k = &r.kafka;
    let mut kafka_rows = vec![("bootstrap", k.bootstrap.clone())];
    match &k.error {
        Some(e) => kafka_rows.push(("error", e.clone())),
        None => {
            for b in &k.brokers {
                let controller = if k.controller == Some(b.id) {
                    " (controller)"
                } else {
                    ""
                };
                kafka_rows.push((
                    "broker",
                    format!("{} {}:{}{controller}", b.id, b.host, b.port),
                ));
            }
            kafka_rows.push(("topics", k.topics.len().to_string()));
            kafka_rows.push((
                "under-replicated partitions",
                k.under_replicated.to_string(),
            ));
            kafka_rows.push(("offline partitions", k.offline.to_string()));
            if let Some(g) = &k.group {
                kafka_rows.push((
                    "group",
                    format!("{} on {}: lag {}", g.name, g.topic, g.total_lag),
                ));
            }
        }
    }
    out.report_table(
        "Kafka",
        &["", ""],
        kafka_rows
            .iter()
            .map(|(a, b)| vec![a.to_string(), b.clone()])
            .collect(),
    );
    if k.error.is_none() && !k.topics.is_empty() {
        let mut rows = Vec::new();
        for t in &k.topics {
            for p in &t.partitions {
                let state = if p.offline {
                    "OFFLINE"
                } else if p.under_replicated {
                    "UNDER-REPLICATED"
                } else {
                    "ok"
                };
                let offsets = match (p.low, p.high) {
                    (Some(l), Some(h)) => format!("{l}..{h}"),
                    _ => "?".to_string(),
                };
                rows.push(vec![
                    t.name.clone(),
                    p.id.to_string(),
                    p.leader.to_string(),
                    format!("{:?}", p.replicas),
                    format!("{:?}", p.isr),
                    offsets,
                    state.to_string(),
                ]);
            }
        }
        out.report_table(
            "",
            &[
                "topic",
                "partition",
                "leader",
                "replicas",
                "isr",
                "offsets",
                "state",
            ],
            rows,
        );
    }
    if let Some(rd) = &r.redis {
        let mut rows = vec![vec!["url".to_string(), rd.url.clone()]];
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                rows.push(vec![k.to_string(), v]);
            }
        };
        add("error", rd.error.clone());
        add("ping", rd.ping_ms.map(|m| format!("{m:.2} ms")));
        add("version", rd.version.clone());
        add("role", rd.role.clone());
        add("clients", rd.connected_clients.map(|c| c.to_string()));
        add("used memory", rd.used_memory.clone());
        add(
            "pattern subscriptions",
            rd.pattern_subscriptions.map(|c| c.to_string()),
        );
        for (ch, n) in &rd.channel_subscribers {
            add(&format!("subscribers of {ch}"), Some(n.to_string()));
        }
        out.report_table("Redis", &["", ""], rows);
    }
    if let Some(p) = &r.probe {
        let fmt = |v: Option<f64>| v.map_or("-".to_string(), |m| format!("{m:.1} ms"));
        let mut rows = vec![
            vec!["kafka produce → ack".to_string(), fmt(p.kafka_ack_ms)],
            vec![
                "redis publish → received".to_string(),
                fmt(p.redis_roundtrip_ms),
            ],
            vec!["total".to_string(), fmt(p.total_ms)],
        ];
        if let Some(f) = &p.failed {
            rows.push(vec!["failed".to_string(), f.clone()]);
        }
        out.report_table("Probe", &["", ""], rows);
    }
    let mut status = format!("status: {}", r.status);
    for p in &r.problems {
        status.push_str(&format!("\n  - {p}"));
    }
    out.line(&status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_states() {
        let p = PartitionInfo::new(0, 1, vec![1, 2, 3], vec![1, 2]);
        assert!(p.under_replicated && !p.offline);
        let p = PartitionInfo::new(0, -1, vec![1], vec![]);
        assert!(p.offline);
        let p = PartitionInfo::new(0, 1, vec![1, 2], vec![2, 1]);
        assert!(!p.under_replicated && !p.offline);
    }

    #[test]
    fn judging() {
        let cfg = HealthConfig {
            probe: false,
            group: None,
            max_lag: Some(10),
            max_latency: None,
            channels: vec![],
            format: ReportFormat::Json,
            timeout: Duration::from_secs(1),
        };
        let mut k = KafkaReport::default();
        assert_eq!(judge(&k, None, None, &cfg).1, Code::Success);
        k.topics.push(TopicInfo {
            name: "t".into(),
            error: None,
            partitions: vec![PartitionInfo::new(0, 1, vec![1, 2], vec![1])],
        });
        let (status, code, problems) = judge(&k, None, None, &cfg);
        assert_eq!((status, code), ("degraded", Code::Degraded));
        assert_eq!(
            problems,
            ["t/0: under-replicated (isr [1] of replicas [1, 2])"]
        );
        let down = RedisReport {
            error: Some("refused".into()),
            ..RedisReport::default()
        };
        assert_eq!(judge(&k, Some(&down), None, &cfg).1, Code::Redis);
        k.error = Some("unreachable".into());
        assert_eq!(judge(&k, Some(&down), None, &cfg).1, Code::Kafka);
    }
}
