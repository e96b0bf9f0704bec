//! A topic's configs as the broker reports them (DescribeConfigs), and the
//! record limits `publish` reads from them.

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminOptions, ResourceSpecifier};

use crate::duration::remaining;
use crate::kafka::{config, KafkaSettings};

use super::metadata::controller_id;

/// What the broker's topic configs say about the records it takes, for
/// `publish`: `max.message.bytes` (the topic's own setting or the broker's
/// default), and how far from the broker's clock a record's timestamp may
/// be, in ms (`message.timestamp.before.max.ms`, `…after.max.ms`) for a
/// topic that keeps CreateTime (`None` for LogAppendTime: the broker sets
/// the time). One DescribeConfigs request (it was one per value: a cluster
/// that does not answer them cost twice the budget); all `None` when the
/// cluster does not say.
pub async fn record_limits(
    settings: &KafkaSettings,
    topic: &str,
    budget: Duration,
) -> (Option<u64>, Option<(Option<i64>, Option<i64>)>) {
    let Some(resource) = topic_configs(settings, topic, budget).await else {
        return (None, None);
    };
    let value = |name: &str| resource.get(name).and_then(|e| e.value.clone());
    let number = |name: &str| value(name).and_then(|v| v.parse::<i64>().ok());
    let max = number("max.message.bytes").and_then(|n| u64::try_from(n).ok());
    let window = (value("message.timestamp.type").as_deref() != Some("LogAppendTime")).then(|| {
        (
            number("message.timestamp.before.max.ms"),
            number("message.timestamp.after.max.ms"),
        )
    });
    (max, window)
}

/// The topic's `min.insync.replicas`, when the cluster says.
pub(super) async fn min_insync_replicas(
    settings: &KafkaSettings,
    topic: &str,
    budget: Duration,
) -> Option<i64> {
    topic_number(settings, topic, "min.insync.replicas", budget).await
}

/// A numeric config of `topic`, when the cluster says.
async fn topic_number(
    settings: &KafkaSettings,
    topic: &str,
    name: &str,
    budget: Duration,
) -> Option<i64> {
    topic_configs(settings, topic, budget)
        .await?
        .get(name)
        .and_then(|e| e.value.as_deref())
        .and_then(|v| v.parse().ok())
}

/// The configs of `topic` (DescribeConfigs: its own settings and the
/// broker's defaults), when the cluster answers within `budget`.
///
/// librdkafka sends DescribeConfigs to the controller, and waits for it
/// until the timeout when the metadata names a controller it does not know:
/// so the metadata is read first, and a cluster whose controller is not one
/// of its brokers is not asked at all. librdkafka's mock cluster (the
/// benchmarks' broker, the fault tests') is one: it names broker 0 of
/// brokers 1…n, and answers no DescribeConfigs anyway — asking it held
/// every publish 5 s before its first record.
async fn topic_configs(
    settings: &KafkaSettings,
    topic: &str,
    budget: Duration,
) -> Option<rdkafka::admin::ConfigResource> {
    let started = Instant::now();
    let admin = config::admin(settings).ok()?;
    let name = topic.to_string();
    let (admin, answerable) = tokio::task::spawn_blocking(move || {
        let answerable = admin
            .inner()
            .fetch_metadata(Some(&name), budget)
            .ok()
            .is_some_and(|metadata| {
                controller_id(admin.inner(), Duration::ZERO)
                    .is_some_and(|id| metadata.brokers().iter().any(|b| b.id() == id))
            });
        (admin, answerable)
    })
    .await
    .ok()?;
    if !answerable {
        tracing::debug!("kafka: no known controller to ask for {topic}'s configs");
        return None;
    }
    let budget = remaining(started + budget);
    let options = AdminOptions::new().request_timeout(Some(budget));
    let answer = tokio::time::timeout(
        budget,
        admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options),
    )
    .await
    .ok()?
    .ok()?;
    answer.into_iter().next()?.ok()
}
