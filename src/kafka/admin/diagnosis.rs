//! Why acknowledgements stopped, as far as the cluster can tell.

use std::time::Duration;

use rdkafka::consumer::Consumer as _;

use crate::kafka::{config, KafkaSettings};

use super::configs::min_insync_replicas;

/// Why acknowledgements stopped, as far as the cluster can tell now: the
/// partitions of `topic` that have no leader, or fewer in-sync replicas
/// than the topic's `min.insync.replicas`. A broker refuses acks=all writes
/// to those with NOT_ENOUGH_REPLICAS, which librdkafka retries until the
/// message times out, so a delivery report says only "timed out". `None`
/// when every partition looks writable or the cluster does not answer.
pub async fn why_unacknowledged(
    settings: &KafkaSettings,
    topic: &str,
    budget: Duration,
) -> Option<String> {
    use rdkafka::types::RDKafkaRespErr::{
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
    };
    let reader = config::consumer(settings, None).ok()?;
    let name = topic.to_string();
    let partitions = tokio::task::spawn_blocking(move || {
        let metadata = reader.fetch_metadata(Some(&name), budget).ok()?;
        let t = metadata.topics().iter().find(|t| t.name() == name)?;
        match t.error() {
            Some(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) => return Some(Err("gone")),
            Some(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) => return Some(Err("refused")),
            Some(_) => return None,
            None => {}
        }
        Some(Ok(t
            .partitions()
            .iter()
            .map(|p| (p.id(), p.leader(), p.isr().len(), p.replicas().len()))
            .collect::<Vec<_>>()))
    })
    .await
    .ok()??;
    let partitions = match partitions {
        Ok(p) => p,
        Err("gone") => {
            return Some(format!(
                "topic {topic:?} does not exist any more (deleted while publishing?)"
            ))
        }
        Err(_) => {
            return Some(format!(
                "not authorized to write to topic {topic:?} (TOPIC_AUTHORIZATION_FAILED)"
            ))
        }
    };
    let leaderless: Vec<String> = partitions
        .iter()
        .filter(|p| p.1 < 0)
        .map(|p| p.0.to_string())
        .collect();
    let min_insync = min_insync_replicas(settings, topic, budget).await;
    let short: Vec<String> = partitions
        .iter()
        .filter(|p| p.1 >= 0 && min_insync.is_some_and(|m| (p.2 as i64) < m))
        .map(|p| format!("{} ({} of {} in sync)", p.0, p.2, p.3))
        .collect();
    let mut why = Vec::new();
    if !leaderless.is_empty() {
        why.push(format!(
            "partition {} of {topic} has no leader",
            leaderless.join(", ")
        ));
    }
    if let (false, Some(m)) = (short.is_empty(), min_insync) {
        why.push(format!(
            "partition {} of {topic} has fewer in-sync replicas than min.insync.replicas={m}, so the broker refuses acks=all writes (NOT_ENOUGH_REPLICAS: not enough in-sync replicas)",
            short.join(", ")
        ));
    }
    (!why.is_empty()).then(|| why.join("; "))
}
