//! What the cluster looks like and changes to it: metadata checks before a
//! command starts, topic creation, the controller, and the report `health`
//! prints (brokers, partitions with leaders and ISR, offsets, group lag).

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use rdkafka::admin::{AdminOptions, ConfigSource, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::Client;
use rdkafka::consumer::Consumer as _;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::config::BrokersFrom;
use super::{config, Consumer, Context, KafkaSettings};
use crate::duration::{remaining, show_duration};
use crate::error;
use crate::findings::{
    BrokerInfo, Created, GroupInfo, GroupPartition, KafkaReport, PartitionInfo, TopicDetail,
    TopicInfo, TopicSetting,
};

/// How long every broker must have been down before the report says so.
const ALL_DOWN_GRACE: Duration = Duration::from_secs(1);

/// The controller's broker id, from librdkafka's metadata cache (rdkafka has
/// no safe wrapper for it).
pub fn controller_id<C: ClientContext>(client: &Client<C>, timeout: Duration) -> Option<i32> {
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: the handle is valid for the client's lifetime; the call only
    // reads librdkafka's metadata cache (waiting up to `ms` for it).
    let id = unsafe { rdkafka::bindings::rd_kafka_controllerid(client.native_ptr(), ms) };
    (id >= 0).then_some(id)
}

/// The cluster's metadata (of `topic`, or of every topic), asked in short
/// slices: fails (the message without "kafka: ") with the cause when the
/// brokers refused this client (authentication, TLS: at once), when every
/// broker refused the connection or has a name that does not resolve
/// (after a second, not at the timeout: nothing is listening, and waiting
/// cures nothing), or at `timeout`. A broker that took the TCP connection
/// and is slow to answer (busy, starting, frozen) gets the whole timeout.
/// `pump` serves the client's events (a consumer's poll), so that
/// librdkafka's errors are heard. How soon "every broker down" ends the
/// wait is `patience`'s.
fn wait_metadata(
    client: &Client<Context>,
    pump: &dyn Fn(),
    settings: &KafkaSettings,
    topic: Option<&str>,
    timeout: Duration,
    patience: Patience,
) -> std::result::Result<rdkafka::metadata::Metadata, String> {
    let started = Instant::now();
    let deadline = started + timeout;
    // librdkafka says nothing when a later connection succeeds: a broker
    // that refused at first and is listening now (starting up) would still
    // read as refused. Asked once, before failing fast.
    let mut listening: Option<bool> = None;
    loop {
        let slice = remaining(deadline).min(Duration::from_millis(250));
        match client.fetch_metadata(topic, slice) {
            Ok(m) => return Ok(m),
            Err(e) => {
                pump();
                let context = client.context();
                if let Some(why) = context.refused() {
                    return Err(why);
                }
                let waited = started.elapsed() > ALL_DOWN_GRACE;
                let hint = match settings.from {
                    BrokersFrom::Default if settings.servers_property().is_none() => {
                        " (give --brokers HOST:PORT or set DUALSTREAM_BROKERS)"
                    }
                    _ => "",
                };
                let fast = waited && patience != Patience::Timeout;
                if let Some(cause) = context.unreachable().filter(|_| fast) {
                    if !*listening.get_or_insert_with(|| any_listening(settings.effective())) {
                        return Err(format!(
                            "no broker reachable at {}: {cause}{hint}",
                            settings.shown()
                        ));
                    }
                }
                let down = patience == Patience::AnyDown && waited && context.all_brokers_down();
                if (down || Instant::now() >= deadline) && listening == Some(true) {
                    return Err(format!(
                        "no answer from {} within {}: something takes the connection but does not answer as a Kafka broker (still starting? a TLS or SASL listener: see security.protocol) ({e})",
                        settings.shown(),
                        show_duration(started.elapsed())
                    ));
                }
                if down || Instant::now() >= deadline {
                    return Err(format!(
                        "no broker reachable at {} after {} ({e}){hint}",
                        settings.shown(),
                        show_duration(started.elapsed())
                    ));
                }
            }
        }
    }
}

/// Does anything take a TCP connection at one of `servers`
/// (`host:port,…`, an optional `scheme://` before each) now?
fn any_listening(servers: &str) -> bool {
    use std::net::{TcpStream, ToSocketAddrs};
    servers
        .split(',')
        .map(|s| s.trim())
        .map(|s| s.split_once("://").map_or(s, |(_, rest)| rest))
        .filter(|s| !s.is_empty())
        .map(|s| match s.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() => s.to_string(),
            _ => format!("{s}:9092"),
        })
        .filter_map(|s| s.to_socket_addrs().ok())
        .flatten()
        .any(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok())
}

/// How soon waiting for brokers that are all down gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Patience {
    /// After a second when each refused the connection or does not
    /// resolve (a command starting: nothing listens there).
    Refused,
    /// After a second whatever the cause (`health`, which reports rather
    /// than waits).
    AnyDown,
    /// At the timeout only: mid-run, where a refusing broker is most
    /// likely restarting (a gap read of `tail --fill-gaps`).
    Timeout,
}

/// [`wait_metadata`] for a command starting: its failure is exit 4.
fn metadata(
    client: &Client<Context>,
    pump: &dyn Fn(),
    settings: &KafkaSettings,
    topic: Option<&str>,
    timeout: Duration,
) -> Result<rdkafka::metadata::Metadata> {
    wait_metadata(client, pump, settings, topic, timeout, Patience::Refused)
        .map_err(|why| error::kafka(format!("kafka: {why}")))
}

/// Wait for the topic's metadata ([`metadata`]): fails with exit 4 when no
/// broker answers, or naming the topic when it does not exist or this user
/// may not use it. Returns the topic's partition count.
pub fn check_topic(
    client: &Client<Context>,
    pump: &dyn Fn(),
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<usize> {
    check_topic_with(client, pump, settings, topic, timeout, Patience::Refused)
}

/// [`check_topic`], giving up on brokers that are all down as `patience` says.
fn check_topic_with(
    client: &Client<Context>,
    pump: &dyn Fn(),
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
    patience: Patience,
) -> Result<usize> {
    let brokers = settings.effective();
    let metadata = wait_metadata(client, pump, settings, Some(topic), timeout, patience)
        .map_err(|why| error::kafka(format!("kafka: {why}")))?;
    let found = metadata.topics().iter().find(|t| t.name() == topic);
    if let Some(why) = found
        .and_then(|t| t.error())
        .and_then(|e| super::denied(e.into(), topic, None))
    {
        return Err(error::kafka(format!("kafka: {why}")));
    }
    let partitions = found
        .filter(|t| t.error().is_none())
        .map(|t| t.partitions().len())
        .unwrap_or(0);
    if partitions == 0 {
        return Err(error::kafka(format!(
            "kafka: topic {topic:?} does not exist on {brokers} (create it with: dualstream topic create {topic} --partitions N, or publish --create-topic)"
        )));
    }
    Ok(partitions)
}

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

/// The topic's `min.insync.replicas`, when the cluster says.
async fn min_insync_replicas(
    settings: &KafkaSettings,
    topic: &str,
    budget: Duration,
) -> Option<i64> {
    topic_number(settings, topic, "min.insync.replicas", budget).await
}

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

/// Wait until a broker of the cluster answers (exit 4 naming the cause
/// when none does: within about a second when each refuses or does not
/// resolve, else at `timeout`).
pub fn reachable(consumer: &Consumer, settings: &KafkaSettings, timeout: Duration) -> Result<()> {
    let pump = || {
        let _ = consumer.poll(Duration::ZERO);
    };
    metadata(consumer.client(), &pump, settings, None, timeout).map(|_| ())
}

/// The partitions of `topic` (0..n), after [`check_topic`].
pub fn partitions(
    consumer: &Consumer,
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<i32>> {
    let pump = || {
        let _ = consumer.poll(Duration::ZERO);
    };
    let count = check_topic(consumer.client(), &pump, settings, topic, timeout)?;
    Ok((0..i32::try_from(count).unwrap_or(i32::MAX)).collect())
}

/// [`partitions`] mid-run: brokers that refuse are waited for until
/// `timeout` (they are most likely restarting).
pub fn partitions_patiently(
    consumer: &Consumer,
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<i32>> {
    let pump = || {
        let _ = consumer.poll(Duration::ZERO);
    };
    let count = check_topic_with(
        consumer.client(),
        &pump,
        settings,
        topic,
        timeout,
        Patience::Timeout,
    )?;
    Ok((0..i32::try_from(count).unwrap_or(i32::MAX)).collect())
}

/// [`check_topic`] for a producer (its own thread serves its events).
pub fn producer_topic(
    producer: &config::Producer,
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<usize> {
    use rdkafka::producer::Producer as _;
    check_topic(producer.client(), &|| {}, settings, topic, timeout)
}

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
pub const DEFAULT_PARTITIONS: i32 = 3;

/// The replication a topic is created with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replication {
    pub factor: i32,
    pub min_insync: i32,
}

/// The replication for a new topic on a cluster of `brokers`: with
/// `acks=all`, a write waits for `min.insync.replicas` copies, so a factor
/// of 3 with 2 in sync survives one broker loss without losing an
/// acknowledged event. Asking for more replicas than brokers is an error.
pub fn replication(brokers: usize, spec: &TopicSpec) -> Result<Replication, String> {
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
                let why = super::denied(code, &name, None).unwrap_or_else(|| code.to_string());
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
fn topic_info(
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
                code => super::denied(code, &name, None).unwrap_or_else(|| code.to_string()),
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
