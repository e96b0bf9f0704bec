//! What the cluster looks like and changes to it: metadata checks before a
//! command starts, topic creation, the controller, and the report `health`
//! prints (brokers, partitions with leaders and ISR, offsets, group lag).

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use rdkafka::admin::{AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::Client;
use rdkafka::consumer::Consumer as _;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde::Serialize;

use super::{config, Consumer, KafkaSettings};
use crate::duration::show_duration;
use crate::error;

/// How long every broker must have been down before the report says so.
const ALL_DOWN_GRACE: Duration = Duration::from_secs(1);

fn remaining(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100))
}

/// The controller's broker id, from librdkafka's metadata cache (rdkafka has
/// no safe wrapper for it).
pub fn controller_id<C: ClientContext>(client: &Client<C>, timeout: Duration) -> Option<i32> {
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: the handle is valid for the client's lifetime; the call only
    // reads librdkafka's metadata cache (waiting up to `ms` for it).
    let id = unsafe { rdkafka::bindings::rd_kafka_controllerid(client.native_ptr(), ms) };
    (id >= 0).then_some(id)
}

/// Wait for the topic's metadata: fails with exit 4 naming the brokers when
/// none answers within `timeout`, or naming the topic when it does not exist.
/// Returns the topic's partition count.
pub fn check_topic<C: ClientContext>(
    client: &Client<C>,
    brokers: &str,
    topic: &str,
    timeout: Duration,
) -> Result<usize> {
    let started = Instant::now();
    let metadata = client.fetch_metadata(Some(topic), timeout).map_err(|e| {
        error::kafka(format!(
            "kafka: no broker reachable at {brokers} after {} ({e})",
            show_duration(started.elapsed())
        ))
    })?;
    let partitions = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .filter(|t| t.error().is_none())
        .map(|t| t.partitions().len())
        .unwrap_or(0);
    if partitions == 0 {
        return Err(error::kafka(format!(
            "kafka: topic {topic:?} does not exist on {brokers} (create it with --create-topic [--partitions N])"
        )));
    }
    Ok(partitions)
}

/// The partitions of `topic` (0..n), after [`check_topic`].
pub fn partitions(
    consumer: &Consumer,
    brokers: &str,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<i32>> {
    let count = check_topic(consumer.client(), brokers, topic, timeout)?;
    Ok((0..i32::try_from(count).unwrap_or(i32::MAX)).collect())
}

/// [`check_topic`] for a producer.
pub fn producer_topic(
    producer: &config::Producer,
    brokers: &str,
    topic: &str,
    timeout: Duration,
) -> Result<usize> {
    use rdkafka::producer::Producer as _;
    check_topic(producer.client(), brokers, topic, timeout)
}

/// Create a topic through the admin API (an existing one is fine), then wait
/// until metadata lists its partitions.
pub async fn create_topic(
    settings: &KafkaSettings,
    topic: &str,
    partitions: i32,
    timeout: Duration,
) -> Result<()> {
    let admin = config::admin(settings)?;
    let options = AdminOptions::new()
        .request_timeout(Some(timeout))
        .operation_timeout(Some(timeout));
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = admin.create_topics([&new], &options).await.map_err(|e| {
        error::kafka(format!(
            "kafka: creating topic {topic:?} at {}: {e}",
            settings.brokers
        ))
    })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(error::kafka(format!(
                    "kafka: creating topic {name:?}: {code}"
                )));
            }
        }
    }
    let deadline = Instant::now() + timeout;
    loop {
        match check_topic(
            admin.inner(),
            &settings.brokers,
            topic,
            Duration::from_secs(2),
        ) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(e).context(format!(
                    "topic {topic:?} was created but does not appear in metadata"
                ))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
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
    pub fn new(id: i32, leader: i32, replicas: Vec<i32>, isr: Vec<i32>) -> PartitionInfo {
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

pub fn cluster_report(
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
    let consumer = match config::consumer(settings, group) {
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
}
