//! `dualstream health`: what Kafka and Redis look like right now, checked
//! side by side under one deadline, and optionally one probe event through
//! the whole path. The report is a table or a JSON document of a stable
//! shape; the exit code says healthy (0), Kafka unreachable (4), Redis
//! unreachable (5) or degraded (6).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::config::{Common, HealthConfig};
use crate::duration::{millis, remaining, show_duration};
use crate::error::Code;
use crate::event::{self, ChannelTemplate, Event};
use crate::findings::{KafkaReport, ProbeReport, RedisReport, Report};
use crate::kafka::admin;
use crate::kafka::produce::{self, Record};
use crate::kafka::{record, KafkaSettings};
use crate::output::summary::Ending;
use crate::output::{DocFormat, Output};
use crate::pubsub::{self, Listener, Mode, Notes, Notifier, Target};

pub async fn run(common: Common, cfg: HealthConfig, out: &Output) -> Ending {
    Ending::bare(health(common, cfg, out).await)
}

async fn health(common: Common, cfg: HealthConfig, out: &Output) -> Result<Code> {
    let deadline = Instant::now() + cfg.timeout;
    let settings = common.kafka.clone();
    let (topic, topic_given, group) = (common.topic.clone(), common.topic_given, cfg.group.clone());
    let kafka_check = tokio::task::spawn_blocking(move || {
        admin::cluster_report(&settings, &topic, topic_given, group.as_deref(), deadline)
    });
    let redis_check = async {
        match &common.redis {
            Some(r) => Some(pubsub::report(r, &cfg.channels, deadline).await),
            None => None,
        }
    };
    let connecting = out.connecting(&common.kafka.shown());
    let (kafka, redis) = tokio::join!(kafka_check, redis_check);
    drop(connecting);
    let kafka = kafka.unwrap_or_else(|e| {
        Ok(KafkaReport {
            error: Some(format!("check failed: {e}")),
            ..KafkaReport::default()
        })
    })?;
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
    let mut data = out.data(false);
    match cfg.format {
        DocFormat::Json => out.report_json(&mut data, &report)?,
        DocFormat::Table => out.report_tables(&mut data, &report)?,
    }
    data.finish()?;
    for why in empty_findings(&report.kafka, &common.kafka.brokers) {
        out.note(&why);
    }
    Ok(code)
}

/// What would otherwise look like an empty answer: a topic asked for that
/// does not exist, a group that never committed on the topic.
fn empty_findings(kafka: &KafkaReport, bootstrap: &str) -> Vec<String> {
    let mut why = Vec::new();
    for t in kafka.topics.iter().filter(|t| t.missing) {
        why.push(format!(
            "topic {} does not exist on {bootstrap} (create it with: dualstream topic create {} --partitions N, or publish --create-topic)",
            t.name, t.name
        ));
    }
    if let Some(g) = kafka.group.as_ref().filter(|g| g.error.is_none()) {
        let never: Vec<String> = g
            .partitions
            .iter()
            .filter(|p| p.committed.is_none())
            .map(|p| p.partition.to_string())
            .collect();
        if !g.partitions.is_empty() && never.len() == g.partitions.len() {
            why.push(format!(
                "group {} has committed no offsets on {}: it never read it (or its offsets expired), so its lag counts every record",
                g.name, g.topic
            ));
        } else if !never.is_empty() {
            why.push(format!(
                "group {} has committed no offset on partition {} of {}: lag counted from the partition's start",
                g.name,
                never.join(", "),
                g.topic
            ));
        }
    }
    why
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
    if let Some(c) = redis.and_then(|r| r.cluster.as_ref()) {
        if c.state != "ok" {
            problems.push(format!(
                "redis cluster: cluster_state is {} (at {})",
                c.state, c.answered_by
            ));
        }
        if c.slots_without_master > 0 {
            let failed: Vec<&str> = c
                .nodes
                .iter()
                .filter(|n| {
                    n.flags.iter().any(|f| f == "master") && n.flags.iter().any(|f| f == "fail")
                })
                .map(|n| n.address.as_str())
                .collect();
            problems.push(format!(
                "redis cluster: {} of {} slots have no master{}",
                c.slots_without_master,
                pubsub::SLOTS,
                if failed.is_empty() {
                    String::new()
                } else {
                    format!(" (failed: {})", failed.join(", "))
                }
            ));
        }
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
    if let Some(g) = &kafka.group {
        if let Some(e) = &g.error {
            problems.push(format!("group {}: {e}", g.name));
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
    target: &Target,
    topic: &str,
    budget: Duration,
) -> ProbeReport {
    let now = jiff::Timestamp::now();
    let event = Event {
        id: format!("probe-{}-{}", std::process::id(), now.as_nanosecond()),
        kind: "dualstream.probe".to_string(),
        source_type: "dualstream".to_string(),
        source_id: "probe".to_string(),
        timestamp: None,
        value: Vec::new(),
    };
    let mut report = ProbeReport {
        topic: topic.to_string(),
        ..ProbeReport::default()
    };
    if let Err(failed) = probe_steps(settings, target, &event, now, budget, &mut report).await {
        report.failed = Some(failed);
    }
    report
}

/// The probe's steps, filling in `report` as they succeed; the error names
/// the step that failed and why.
async fn probe_steps(
    settings: &KafkaSettings,
    target: &Target,
    event: &Event,
    now: jiff::Timestamp,
    budget: Duration,
    report: &mut ProbeReport,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + budget;
    let step = |name: &str, e: &dyn std::fmt::Display| format!("{name}: {e}");
    let topic = report.topic.clone();
    // A channel of its own, so no subscriber of real events sees the probe.
    let template =
        ChannelTemplate::parse("dualstream:probe:{id}").map_err(|e| step("channel", &e))?;
    report.channel = template.render(event, &topic);

    let mut listener = tokio::time::timeout_at(deadline, Listener::start(target, &report.channel))
        .await
        .map_err(|_| step("redis subscribe", &"timed out"))?
        .map_err(|e| step("redis subscribe", &e))?;
    let value = serde_json::json!({
        "id": event.id, "type": event.kind, "source_type": event.source_type,
        "source_id": event.source_id, "time": now.to_string(),
    })
    .to_string();
    let out = Record {
        key: Some(b"probe"),
        payload: Some(value.as_bytes()),
        headers: Some(record::event_headers(
            &event.id,
            &event.kind,
            &event.source_type,
        )),
        timestamp: None,
    };
    let (partition, offset, ack) =
        produce::send_timed(settings, &topic, out, remaining_tokio(deadline))
            .await
            .map_err(|e| step("kafka produce", &e))?;
    report.kafka_ack_ms = Some(millis(ack));
    (report.partition, report.offset) = (Some(partition), Some(offset));
    let (channel, note) = event::notification(&template, event, &topic, Some((partition, offset)));

    let published = Instant::now();
    let mut notifier = Notifier::spawn(target, Mode::Required, None, Arc::new(|_: &str| {}));
    let mut batch = Notes::new();
    batch.push(channel.as_bytes(), &[note.as_bytes()]);
    notifier.send(batch).await;
    let sent = notifier.finish(remaining_tokio(deadline)).await;
    if sent.failed > 0 {
        let why = sent.first_error.unwrap_or_else(|| "timed out".to_string());
        return Err(step("redis publish", &why));
    }
    tokio::time::timeout_at(deadline, listener.receive(note.as_bytes()))
        .await
        .map_err(|_| step("redis receive", &"notification not received in time"))?
        .map_err(|e| step("redis receive", &e))?;
    report.redis_roundtrip_ms = Some(millis(published.elapsed()));
    // The path: the acknowledgement, then Redis publish → received.
    report.total_ms = Some(millis(ack + published.elapsed()));
    Ok(())
}

fn remaining_tokio(deadline: tokio::time::Instant) -> Duration {
    deadline.saturating_duration_since(tokio::time::Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{PartitionInfo, TopicInfo};

    #[test]
    fn judging() {
        let cfg = HealthConfig {
            probe: false,
            group: None,
            max_lag: Some(10),
            max_latency: None,
            channels: vec![],
            format: DocFormat::Json,
            timeout: Duration::from_secs(1),
        };
        let mut k = KafkaReport::default();
        assert_eq!(judge(&k, None, None, &cfg).1, Code::Success);
        k.topics.push(TopicInfo {
            name: "t".into(),
            error: None,
            missing: false,
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
