//! Topic administration: creation (with its replication), listing,
//! describing and deletion.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use rdkafka::admin::{AdminOptions, ConfigSource, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::consumer::Consumer as _;
use rdkafka::error::RDKafkaErrorCode;

use crate::duration::{remaining, show_duration};
use crate::error;
use crate::findings::{Created, PartitionInfo, TopicDetail, TopicInfo, TopicSetting};
use crate::kafka::{config, Consumer, KafkaSettings};

use super::configs::min_insync_replicas;
use super::metadata::{check_topic, metadata};

/// What `--create-topic` and `topic create` ask for; `None` where the user
/// said nothing (an existing topic is then not held to it).
#[derive(Clone, Debug, Default)]
pub struct TopicSpec {
    /// Partitions; default [`DEFAULT_PARTITIONS`].
    pub partitions: Option<i32>,
    /// Replication factor; default min(3, brokers).
    pub replication: Option<i32>,
    /// `min.insync.replicas`; default replication factor − 1, at least 1.
    pub min_insync: Option<i32>,
}

/// Partitions of a topic created without `--partitions`.
const DEFAULT_PARTITIONS: i32 = 3;

/// The replication a topic is created with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Replication {
    pub factor: i32,
    pub min_insync: i32,
}

/// The replication for a new topic on a cluster of `brokers`: with
/// `acks=all`, a write waits for `min.insync.replicas` copies, so a factor
/// of 3 with 2 in sync survives one broker loss without losing an
/// acknowledged event. Asking for more replicas than brokers is an error.
fn replication(brokers: usize, spec: &TopicSpec) -> Result<Replication, String> {
    let brokers = i32::try_from(brokers).unwrap_or(i32::MAX).max(1);
    let factor = spec.replication.unwrap_or(brokers.min(3));
    if factor > brokers {
        return Err(format!(
            "--replication-factor {factor} is more than the {brokers} broker(s) of the cluster"
        ));
    }
    let min_insync = spec.min_insync.unwrap_or((factor - 1).max(1));
    if min_insync > factor {
        return Err(format!(
            "--min-insync-replicas {min_insync} is more than the replication factor {factor}"
        ));
    }
    Ok(Replication { factor, min_insync })
}

/// The settings of `spec` that an existing topic does not have.
fn differences(
    spec: &TopicSpec,
    partitions: usize,
    factor: usize,
    min_insync: Option<i64>,
) -> Vec<String> {
    let mut differs = Vec::new();
    if let Some(p) = spec
        .partitions
        .filter(|p| usize::try_from(*p).ok() != Some(partitions))
    {
        let noun = if partitions == 1 {
            "partition"
        } else {
            "partitions"
        };
        differs.push(format!("{partitions} {noun}, not {p}"));
    }
    if let Some(r) = spec
        .replication
        .filter(|r| usize::try_from(*r).ok() != Some(factor))
    {
        differs.push(format!("replication factor {factor}, not {r}"));
    }
    if let Some(m) = spec
        .min_insync
        .filter(|m| min_insync != Some(i64::from(*m)))
    {
        let now = min_insync.map_or("unknown".to_string(), |n| n.to_string());
        differs.push(format!("min.insync.replicas {now}, not {m}"));
    }
    differs
}

/// The cluster's broker count and, when `topic` exists, its partition count
/// and replication factor; on a thread of its own (metadata requests block,
/// and the caller must stay interruptible).
async fn shape(
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<(usize, Option<(usize, usize)>)> {
    let reader = config::consumer(settings, None)?;
    let (settings, name) = (settings.clone(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let pump = || {
            let _ = reader.poll(Duration::ZERO);
        };
        let m = metadata(reader.client(), &pump, &settings, None, timeout)?;
        let found = m
            .topics()
            .iter()
            .find(|t| t.name() == name && t.error().is_none() && !t.partitions().is_empty())
            .map(|t| {
                let factor = t.partitions().iter().map(|p| p.replicas().len()).max();
                (t.partitions().len(), factor.unwrap_or(0))
            });
        Ok((m.brokers().len(), found))
    })
    .await
    .context("metadata")?
}

/// Create a topic through the admin API, then wait until metadata lists its
/// partitions. An existing topic is left as it is, and said with each
/// setting asked for that it does not have.
pub async fn create_topic(
    settings: &KafkaSettings,
    topic: &str,
    spec: &TopicSpec,
    timeout: Duration,
) -> Result<Created> {
    let existing = |(partitions, factor): (usize, usize)| async move {
        let min_insync = min_insync_replicas(settings, topic, timeout).await;
        Created::Existing {
            partitions,
            factor,
            min_insync,
            differs: differences(spec, partitions, factor, min_insync),
        }
    };
    let (brokers, found) = shape(settings, topic, timeout).await?;
    if let Some(found) = found {
        return Ok(existing(found).await);
    }
    let replication = replication(brokers, spec).map_err(error::usage)?;
    let partitions = spec.partitions.unwrap_or(DEFAULT_PARTITIONS);
    let admin = config::admin(settings)?;
    let options = AdminOptions::new()
        .request_timeout(Some(timeout))
        .operation_timeout(Some(timeout));
    let min_insync = replication.min_insync.to_string();
    let new = NewTopic::new(
        topic,
        partitions,
        TopicReplication::Fixed(replication.factor),
    )
    .set("min.insync.replicas", &min_insync);
    let results = admin.create_topics([&new], &options).await.map_err(|e| {
        error::kafka(format!(
            "kafka: creating topic {topic:?} at {}: {e}",
            settings.effective()
        ))
    })?;
    for result in results {
        match result {
            Ok(_) => {}
            // Created by someone else meanwhile: theirs, as it is, once
            // metadata shows it (it may lag the creation for a moment).
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {
                let deadline = Instant::now() + timeout;
                loop {
                    if let (_, Some(found)) = shape(settings, topic, remaining(deadline)).await? {
                        return Ok(existing(found).await);
                    }
                    if Instant::now() >= deadline {
                        return Err(error::kafka(format!(
                            "kafka: topic {topic:?} exists (created meanwhile by another client) but does not appear in metadata within {}",
                            show_duration(timeout)
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            Err((
                name,
                RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed,
            )) => {
                return Err(error::kafka(format!(
                    "kafka: creating topic {name:?}: not authorised: the user needs an ACL allowing Create on the topic (or on the cluster)"
                )));
            }
            Err((name, code)) => {
                let why =
                    crate::kafka::denied(code, &name, None).unwrap_or_else(|| code.to_string());
                return Err(error::kafka(format!(
                    "kafka: creating topic {name:?}: {why}"
                )));
            }
        }
    }
    let (reader, settings, name) = (
        config::consumer(settings, None)?,
        settings.clone(),
        topic.to_string(),
    );
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + timeout;
        loop {
            let pump = || {
                let _ = reader.poll(Duration::ZERO);
            };
            match check_topic(
                reader.client(),
                &pump,
                &settings,
                &name,
                Duration::from_secs(2),
            ) {
                Ok(_) => return Ok(()),
                // A refusal will not pass by waiting.
                Err(e)
                    if Instant::now() >= deadline
                        || format!("{e:#}").contains("not authorised") =>
                {
                    return Err(e).context(format!(
                        "topic {name:?} was created but does not appear in metadata"
                    ))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    })
    .await
    .context("metadata")??;
    Ok(Created::New {
        partitions,
        factor: replication.factor,
        min_insync: replication.min_insync,
    })
}

/// A topic of the metadata with its partitions' offsets (watermarks).
pub(super) fn topic_info(
    consumer: &Consumer,
    t: &rdkafka::metadata::MetadataTopic,
    deadline: Instant,
) -> TopicInfo {
    let code = t.error().map(RDKafkaErrorCode::from);
    let mut info = TopicInfo {
        name: t.name().to_string(),
        error: code.map(|code| match code {
            RDKafkaErrorCode::TopicAuthorizationFailed => {
                "not authorised (TOPIC_AUTHORIZATION_FAILED): the user needs an ACL allowing Describe on it".to_string()
            }
            RDKafkaErrorCode::UnknownTopicOrPartition => "does not exist".to_string(),
            code => code.to_string(),
        }),
        missing: code == Some(RDKafkaErrorCode::UnknownTopicOrPartition),
        partitions: t
            .partitions()
            .iter()
            .map(|p| PartitionInfo::new(p.id(), p.leader(), p.replicas().to_vec(), p.isr().to_vec()))
            .collect(),
    };
    for p in &mut info.partitions {
        // A partition without a leader has no offsets to give: asking would
        // spend the rest of the deadline, and the partitions after it would
        // get none.
        if p.leader < 0 {
            continue;
        }
        let slice = remaining(deadline).min(Duration::from_secs(2));
        if let Ok((low, high)) = consumer.fetch_watermarks(t.name(), p.id, slice) {
            (p.low, p.high) = (Some(low), Some(high));
        }
    }
    info.partitions.sort_by_key(|p| p.id);
    info
}

/// Every topic (internal ones, `__consumer_offsets` and the like, only
/// with `internal`), by name, with partitions and offsets. Blocks.
pub fn topics(
    settings: &KafkaSettings,
    internal: bool,
    timeout: Duration,
) -> Result<Vec<TopicInfo>> {
    let consumer = config::consumer(settings, None)?;
    let deadline = Instant::now() + timeout;
    let pump = || {
        let _ = consumer.poll(Duration::ZERO);
    };
    let m = metadata(consumer.client(), &pump, settings, None, timeout)?;
    let mut topics: Vec<TopicInfo> = m
        .topics()
        .iter()
        .filter(|t| internal || !t.name().starts_with("__"))
        .map(|t| topic_info(&consumer, t, deadline))
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(topics)
}

/// One topic: partitions with leaders, replicas, ISR and offsets, and its
/// configuration as the broker reports it. Exit 4 naming the topic when it
/// does not exist.
pub async fn describe_topic(
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<TopicDetail> {
    let consumer = config::consumer(settings, None)?;
    let (s, name) = (settings.clone(), topic.to_string());
    // One deadline for the metadata and the configs.
    let deadline = Instant::now() + timeout;
    let info = tokio::task::spawn_blocking(move || {
        let pump = || {
            let _ = consumer.poll(Duration::ZERO);
        };
        check_topic(consumer.client(), &pump, &s, &name, timeout)?;
        let m = metadata(consumer.client(), &pump, &s, Some(&name), timeout)?;
        m.topics()
            .iter()
            .find(|t| t.name() == name)
            .map(|t| topic_info(&consumer, t, deadline))
            .ok_or_else(|| error::kafka(format!("kafka: topic {name:?} does not exist")))
    })
    .await
    .context("metadata")??;
    let admin = config::admin(settings)?;
    // Asked in short attempts: librdkafka sends DescribeConfigs to any
    // broker it thinks is up, and one that just went down takes the whole
    // request timeout to give up on.
    let answer = loop {
        let slice = remaining(deadline).clamp(Duration::from_millis(500), Duration::from_secs(3));
        let options = AdminOptions::new().request_timeout(Some(slice));
        let attempt = tokio::time::timeout(
            slice,
            admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options),
        )
        .await;
        let why = match attempt {
            Ok(Ok(answer)) => break answer,
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {}", show_duration(slice)),
        };
        if Instant::now() >= deadline {
            // The partitions (what a degraded cluster is described for)
            // are known: shown, with why the configs are not.
            return Ok(TopicDetail {
                topic: info,
                configs: Vec::new(),
                configs_missing: Some(format!("{why} (for {})", show_duration(timeout))),
            });
        }
        tracing::info!("the configs of topic {topic:?}: {why}; asking again");
    };
    let mut configs = Vec::new();
    for resource in answer {
        let resource = resource.map_err(|code| {
            error::kafka(format!("kafka: the configs of topic {topic:?}: {code}"))
        })?;
        for e in resource.entries {
            configs.push(TopicSetting {
                source: match e.source {
                    ConfigSource::DynamicTopic => "topic",
                    ConfigSource::DynamicBroker => "broker",
                    ConfigSource::DynamicDefaultBroker => "cluster",
                    ConfigSource::StaticBroker => "broker file",
                    ConfigSource::Default => "default",
                    ConfigSource::Unknown => "unknown",
                },
                value: if e.is_sensitive { None } else { e.value },
                sensitive: e.is_sensitive,
                name: e.name,
            });
        }
    }
    configs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(TopicDetail {
        topic: info,
        configs,
        configs_missing: None,
    })
}

/// Delete a topic, then wait (up to `timeout`) until metadata no longer
/// lists it, so that the next command does not see it: `false` when it is
/// still listed then (accepted, not done everywhere yet). Exit 4 naming the
/// topic when it does not exist or may not be deleted.
pub async fn delete_topic(
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<bool> {
    // First the brokers, with the fast failure and its cause.
    shape(settings, topic, timeout).await?;
    let admin = config::admin(settings)?;
    let options = AdminOptions::new()
        .request_timeout(Some(timeout))
        .operation_timeout(Some(timeout));
    let results = admin.delete_topics(&[topic], &options).await.map_err(|e| {
        error::kafka(format!(
            "kafka: deleting topic {topic:?} at {}: {e}",
            settings.effective()
        ))
    })?;
    for result in results {
        if let Err((name, code)) = result {
            let why = match code {
                RDKafkaErrorCode::UnknownTopicOrPartition => "it does not exist".to_string(),
                RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed => {
                    "not authorised: the user needs an ACL allowing Delete on the topic".to_string()
                }
                code => crate::kafka::denied(code, &name, None).unwrap_or_else(|| code.to_string()),
            };
            return Err(error::kafka(format!(
                "kafka: deleting topic {name:?}: {why}"
            )));
        }
    }
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match shape(
            settings,
            topic,
            remaining(deadline).max(Duration::from_millis(100)),
        )
        .await
        {
            Ok((_, None)) => return Ok(true),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    // Accepted, and still listed: the brokers have not all dropped it yet.
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replication_defaults_and_limits() {
        let spec = |r: Option<i32>, m: Option<i32>| TopicSpec {
            partitions: Some(3),
            replication: r,
            min_insync: m,
        };
        let rep = |factor, min_insync| Ok(Replication { factor, min_insync });
        assert_eq!(replication(1, &spec(None, None)), rep(1, 1));
        assert_eq!(replication(2, &spec(None, None)), rep(2, 1));
        assert_eq!(replication(3, &spec(None, None)), rep(3, 2));
        assert_eq!(replication(5, &spec(None, None)), rep(3, 2));
        assert_eq!(replication(5, &spec(Some(5), None)), rep(5, 4));
        assert_eq!(replication(5, &spec(Some(3), Some(3))), rep(3, 3));
        assert_eq!(replication(0, &spec(None, None)), rep(1, 1));
        assert!(replication(1, &spec(Some(3), None))
            .unwrap_err()
            .contains("more than the 1 broker"));
        assert!(replication(3, &spec(None, Some(4)))
            .unwrap_err()
            .contains("more than the replication factor 3"));
    }

    #[test]
    fn an_existing_topic_is_held_only_to_what_was_asked() {
        let asked = TopicSpec {
            partitions: Some(5),
            replication: None,
            min_insync: Some(2),
        };
        assert_eq!(
            differences(&asked, 3, 1, Some(1)),
            ["3 partitions, not 5", "min.insync.replicas 1, not 2"]
        );
        assert!(differences(&asked, 5, 1, Some(2)).is_empty());
        assert!(differences(&TopicSpec::default(), 9, 3, None).is_empty());
        let rf = TopicSpec {
            replication: Some(3),
            ..TopicSpec::default()
        };
        assert_eq!(
            differences(&rf, 1, 1, None),
            ["replication factor 1, not 3"]
        );
    }

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
