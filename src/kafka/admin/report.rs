//! The cluster part of `health`'s findings: brokers, topics, group lag.

use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer as _;
use rdkafka::{Offset, TopicPartitionList};

use crate::duration::remaining;
use crate::findings::{BrokerInfo, GroupInfo, GroupPartition, KafkaReport, TopicInfo};
use crate::kafka::{config, Consumer, KafkaSettings};

use super::metadata::{controller_id, wait_metadata, Patience};
use super::topics::topic_info;

pub fn cluster_report(
    settings: &KafkaSettings,
    topic: &str,
    topic_given: bool,
    group: Option<&str>,
    deadline: Instant,
) -> anyhow::Result<KafkaReport> {
    let mut report = KafkaReport {
        bootstrap: settings.effective().to_string(),
        ..KafkaReport::default()
    };
    // A configuration librdkafka refuses is the user's mistake (exit 2),
    // not an unreachable cluster.
    let consumer = config::consumer(settings, group)?;
    // Once librdkafka has seen every broker down for a moment, the answer
    // is "unreachable" now, not at the deadline.
    let pump = || {
        let _ = consumer.poll(Duration::ZERO);
    };
    let metadata = match wait_metadata(
        consumer.client(),
        &pump,
        settings,
        topic_given.then_some(topic),
        remaining(deadline),
        Patience::AnyDown,
    ) {
        Ok(m) => m,
        Err(why) => {
            report.error = Some(why);
            return Ok(report);
        }
    };
    report.controller = controller_id(
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
        let info = topic_info(&consumer, t, deadline);
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
    Ok(report)
}

/// Committed offsets of `group` on `topic`, and the lag to each end offset.
fn group_lag(
    consumer: &Consumer,
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
    let failed = |why: String| GroupInfo {
        name: group.to_string(),
        topic: topic.to_string(),
        error: Some(why),
        total_lag: 0,
        partitions: Vec::new(),
    };
    // In short slices: a group this user may not use is refused when its
    // coordinator is looked up, and librdkafka would wait out the deadline.
    let committed = loop {
        let slice = remaining(deadline).min(Duration::from_millis(250));
        match consumer.committed_offsets(tpl.clone(), slice) {
            Ok(c) => break c,
            Err(e) => {
                let _ = consumer.poll(Duration::ZERO);
                if consumer.context().group_denied() {
                    return Some(failed(
                        "not authorised (GROUP_AUTHORIZATION_FAILED): the user needs an ACL allowing Describe on the group".to_string(),
                    ));
                }
                if Instant::now() >= deadline {
                    return Some(failed(format!("committed offsets: {e}")));
                }
            }
        }
    };
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
        error: None,
        total_lag: partitions.iter().map(|p| p.lag).sum(),
        partitions,
    })
}
