//! Kafka: the one place the librdkafka client configuration is built
//! (defaults, then `-F` file, then `-X` pairs), the client context that
//! routes librdkafka's logs and remembers fatal errors, and the checks made
//! before a command starts (brokers reachable, topic present or created).
//! Delivery accounting lives in `publish.rs`, which reads the reports.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::Client;
use rdkafka::config::{ClientConfig, FromClientConfigAndContext, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{DeliveryResult, FutureProducer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use rdkafka::{Offset, TopicPartitionList};

use crate::config::{show_duration, Start};
use crate::error;
use crate::event::{self, Event, FieldMap};

/// Where Kafka is and how to talk to it, as the user gave it.
#[derive(Clone, Debug)]
pub struct KafkaSettings {
    pub brokers: String,
    /// `-F` file pairs first, then `-X` pairs: later ones win.
    pub properties: Vec<(String, String)>,
}

/// Property names whose values are never printed.
pub fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "ssl.key.pem",
        "private.key",
        "jaas",
    ]
    .iter()
    .any(|s| key.contains(s))
}

/// A client that librdkafka refused to create, as a usage error. librdkafka's
/// message carries the offending property's value: secret ones are replaced.
fn config_error(settings: &KafkaSettings, e: &KafkaError) -> anyhow::Error {
    error::usage(format!(
        "kafka client configuration: {}",
        settings.scrub(&e.to_string())
    ))
}

impl KafkaSettings {
    /// `text` with the value of every secret property replaced.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (k, v) in &self.properties {
            if is_secret(k) && !v.is_empty() {
                text = text.replace(v.as_str(), "<redacted>");
            }
        }
        text
    }
}

/// Parse `-X key=value`.
pub fn parse_property(pair: &str) -> Result<(String, String)> {
    match pair.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(error::usage(format!(
            "-X {}: expected KEY=VALUE",
            if is_secret(pair) { "<redacted>" } else { pair }
        ))),
    }
}

/// Parse a librdkafka properties file: `key=value` lines, `#` comments, blank lines.
pub fn parse_properties_file(text: &str, name: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => {
                return Err(error::usage(format!(
                    "{name}:{}: expected KEY=VALUE",
                    i + 1
                )))
            }
        }
    }
    Ok(out)
}

/// The client config: bootstrap servers, then the command's defaults, then the
/// user's properties (file, then -X), which override both.
pub fn client_config(settings: &KafkaSettings, defaults: &[(&str, String)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &settings.brokers);
    config.set("client.id", "dualstream");
    for (k, v) in defaults {
        config.set(*k, v);
    }
    for (k, v) in &settings.properties {
        config.set(k, v);
    }
    if tracing::enabled!(tracing::Level::INFO) {
        let shown: Vec<String> = config
            .config_map()
            .iter()
            .map(|(k, v)| {
                if is_secret(k) {
                    format!("{k}=<redacted>")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        tracing::info!("kafka config: {}", shown.join(" "));
    }
    config
}

/// Client context: librdkafka's logs and global errors go to `tracing`
/// (shown with -v) instead of the `log` crate, and it remembers when every
/// broker was seen down (health uses that to answer without waiting out its
/// timeout). Fatal errors of the idempotent producer are read back with
/// `Client::fatal_error` where deliveries fail.
#[derive(Default)]
pub struct KafkaContext {
    all_brokers_down: AtomicBool,
}

impl KafkaContext {
    /// librdkafka reported that it could reach none of the brokers.
    pub fn all_brokers_down(&self) -> bool {
        self.all_brokers_down.load(Ordering::Relaxed)
    }
}

impl ClientContext for KafkaContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        log_to_tracing(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.all_brokers_down.store(true, Ordering::Relaxed);
        }
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

fn log_to_tracing(level: RDKafkaLogLevel, fac: &str, message: &str) {
    {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", "{fac}: {message}")
            }
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", "{fac}: {message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", "{fac}: {message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", "{fac}: {message}"),
        }
    }
}

impl ConsumerContext for KafkaContext {}

pub type Producer = FutureProducer<KafkaContext>;
pub type Consumer = BaseConsumer<KafkaContext>;

/// A consumer for reading partitions we assign ourselves (never subscribe):
/// nothing is committed unless `group` is given.
pub fn consumer(settings: &KafkaSettings, group: Option<&str>) -> Result<Consumer> {
    let defaults = [
        ("group.id", group.unwrap_or("dualstream-replay").to_string()),
        ("enable.auto.commit", "false".to_string()),
        ("enable.auto.offset.store", "false".to_string()),
        ("enable.partition.eof", "false".to_string()),
        ("auto.offset.reset", "earliest".to_string()),
    ];
    let config = client_config(settings, &defaults);
    BaseConsumer::from_config_and_context(&config, KafkaContext::default())
        .map_err(|e| config_error(settings, &e))
}

/// Producer defaults for the critical path: every replica acknowledges,
/// idempotence keeps retries from duplicating or reordering, and deliveries
/// fail after `timeout` instead of librdkafka's five minutes. One request in
/// flight per connection: with five (librdkafka's default) the idempotent
/// producer busy-polls while it waits for a slow broker — measured against
/// Tansu: 2.6 s of CPU instead of 0.8 s for 100k events, at equal or lower
/// throughput; on the mock cluster one in flight was faster too.
///
/// `probe: true` is for the health probe, one timed record: no linger, and
/// no idempotence, whose start-up (getting a producer id) added up to half a
/// second to the first acknowledgement.
pub fn producer(
    settings: &KafkaSettings,
    timeout: Duration,
    max_in_flight: usize,
    probe: bool,
) -> Result<Producer> {
    let config = producer_config(settings, timeout, max_in_flight, probe);
    FutureProducer::from_config_and_context(&config, KafkaContext::default())
        .map_err(|e| config_error(settings, &e))
}

fn producer_config(
    settings: &KafkaSettings,
    timeout: Duration,
    max_in_flight: usize,
    probe: bool,
) -> ClientConfig {
    let defaults = [
        ("acks", "all".to_string()),
        ("enable.idempotence", (!probe).to_string()),
        ("max.in.flight.requests.per.connection", "1".to_string()),
        ("linger.ms", if probe { "0" } else { "5" }.to_string()),
        ("batch.num.messages", "10000".to_string()),
        ("message.timeout.ms", timeout.as_millis().to_string()),
        (
            "socket.connection.setup.timeout.ms",
            timeout.as_millis().clamp(1000, 30_000).to_string(),
        ),
        (
            "queue.buffering.max.messages",
            (max_in_flight.max(1) * 2).to_string(),
        ),
    ];
    client_config(settings, &defaults)
}

/// Delivery accounting for `replay --to-topic`: every copy ends acknowledged
/// or failed, counted here by the delivery callback.
#[derive(Default)]
pub struct CopyContext {
    pub acknowledged: AtomicU64,
    pub failed: AtomicU64,
    pub first_error: Mutex<Option<String>>,
}

impl ClientContext for CopyContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        log_to_tracing(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

impl ProducerContext for CopyContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = self.first_error.lock() {
                    first.get_or_insert_with(|| e.to_string());
                }
            }
        }
    }
}

pub type CopyProducer = ThreadedProducer<CopyContext>;

/// A producer for copies, with the publish defaults (acks=all, idempotent).
pub fn copy_producer(settings: &KafkaSettings, timeout: Duration) -> Result<CopyProducer> {
    let config = producer_config(settings, timeout, 20_000, false);
    ThreadedProducer::from_config_and_context(&config, CopyContext::default())
        .map_err(|e| config_error(settings, &e))
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

/// Create a topic through the admin API (an existing one is fine), then wait
/// until metadata lists its partitions.
pub async fn create_topic(
    settings: &KafkaSettings,
    topic: &str,
    partitions: i32,
    timeout: Duration,
) -> Result<()> {
    let config = client_config(settings, &[]);
    let admin = AdminClient::from_config_and_context(&config, KafkaContext::default())
        .map_err(|e| config_error(settings, &e))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_file_and_pairs() {
        let p =
            parse_properties_file("# c\n\nsasl.username = u\nsasl.password=p=q\n", "f").unwrap();
        assert_eq!(
            p,
            vec![
                ("sasl.username".into(), "u".into()),
                ("sasl.password".into(), "p=q".into())
            ]
        );
        let err = parse_properties_file("nonsense\n", "client.properties").unwrap_err();
        assert_eq!(err.to_string(), "client.properties:1: expected KEY=VALUE");
        assert_eq!(
            parse_property("linger.ms=0").unwrap(),
            ("linger.ms".into(), "0".into())
        );
        let err = parse_property("sasl.password").unwrap_err().to_string();
        assert!(!err.contains("sasl.password"), "{err}");
    }

    #[test]
    fn config_errors_lose_secret_values() {
        let s = KafkaSettings {
            brokers: "b:1".into(),
            properties: vec![
                ("sasl.password".into(), "hunter2".into()),
                ("linger.ms".into(), "5".into()),
            ],
        };
        let e = KafkaError::ClientConfig(
            rdkafka::types::RDKafkaConfRes::RD_KAFKA_CONF_INVALID,
            "bad value".into(),
            "sasl.password".into(),
            "hunter2".into(),
        );
        let text = config_error(&s, &e).to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
        assert_eq!(s.scrub("linger 5 ok"), "linger 5 ok");
    }

    #[test]
    fn user_properties_override_defaults() {
        let s = KafkaSettings {
            brokers: "b:1".into(),
            properties: vec![("acks".into(), "1".into())],
        };
        let c = client_config(&s, &[("acks", "all".into()), ("linger.ms", "5".into())]);
        assert_eq!(c.get("acks"), Some("1"));
        assert_eq!(c.get("linger.ms"), Some("5"));
        assert_eq!(c.get("bootstrap.servers"), Some("b:1"));
    }
}

/// One partition to read: from `start` up to `end` (exclusive), or on and
/// on when `end` is `None`.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub partition: i32,
    pub start: i64,
    pub end: Option<i64>,
}

/// What the readers hand their callback: a record, or word that none is
/// waiting right now (the moment to flush output).
pub enum Polled<'a, 'm> {
    Record(&'a BorrowedMessage<'m>),
    Idle,
}

/// What the record callback of [`read_spans`] wants next.
pub enum Flow {
    Continue,
    Stop,
}

/// How [`read_spans`] ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    Done,
    Interrupted,
}

/// Read `spans` of `topic` with assign() (no group, nothing committed),
/// calling `each` for every record inside them, until every bounded span is
/// read, `each` says stop, or `stop` is set. `idle` bounds how long no record
/// may arrive while bounded spans are unfinished (exit 4 after it).
pub fn read_spans(
    consumer: &Consumer,
    topic: &str,
    spans: &[Span],
    stop: &AtomicBool,
    idle: Option<Duration>,
    mut each: impl FnMut(Polled<'_, '_>) -> Result<Flow>,
) -> Result<Read> {
    let mut ends: HashMap<i32, Option<i64>> = HashMap::new();
    let mut tpl = TopicPartitionList::new();
    for s in spans
        .iter()
        .filter(|s| s.end.is_none_or(|end| s.start < end))
    {
        tpl.add_partition_offset(topic, s.partition, Offset::Offset(s.start))
            .map_err(|e| error::kafka(format!("kafka: {e}")))?;
        ends.insert(s.partition, s.end);
    }
    if ends.is_empty() {
        return Ok(Read::Done);
    }
    consumer
        .assign(&tpl)
        .map_err(|e| error::kafka(format!("kafka: assign: {e}")))?;
    let mut last_record = Instant::now();
    while !ends.is_empty() {
        if stop.load(Ordering::SeqCst) {
            return Ok(Read::Interrupted);
        }
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            if let Flow::Stop = each(Polled::Idle)? {
                return Ok(Read::Done);
            }
            // Offsets can skip (control records, compaction): a partition is
            // finished when its position reaches the end, whatever was seen.
            finish_by_position(consumer, topic, &mut ends);
            if let Some(idle) = idle {
                let unfinished = ends.values().any(Option::is_some);
                if unfinished && last_record.elapsed() > idle {
                    return Err(error::kafka(format!(
                        "kafka: no records for {} while {} partitions of {topic} were unfinished",
                        show_duration(last_record.elapsed()),
                        ends.len()
                    )));
                }
            }
            continue;
        };
        let message = message.map_err(|e| error::kafka(format!("kafka: {e}")))?;
        last_record = Instant::now();
        let p = message.partition();
        let Some(&end) = ends.get(&p) else { continue };
        if end.is_some_and(|end| message.offset() >= end) {
            continue;
        }
        if let Flow::Stop = each(Polled::Record(&message))? {
            return Ok(Read::Done);
        }
        if end.is_some_and(|end| message.offset() + 1 >= end) {
            ends.remove(&p);
        }
    }
    Ok(Read::Done)
}

fn finish_by_position(consumer: &Consumer, topic: &str, ends: &mut HashMap<i32, Option<i64>>) {
    let Ok(positions) = consumer.position() else {
        return;
    };
    for e in positions.elements_for_topic(topic) {
        if let (Offset::Offset(pos), Some(Some(end))) = (e.offset(), ends.get(&e.partition())) {
            if pos >= *end {
                ends.remove(&e.partition());
            }
        }
    }
}

/// The first offset to read in one partition for `start`. Explicit offsets
/// are returned as asked (the caller clamps and says so); times go through
/// offsets-for-times, checked against the last record's timestamp because
/// Tansu (sqlite) answers 0 instead of the end for a time after it.
pub fn start_offset(
    consumer: &Consumer,
    settings: &KafkaSettings,
    topic: &str,
    p: i32,
    start: Start,
    (low, high): (i64, i64),
    timeout: Duration,
) -> Result<i64> {
    match start {
        Start::Beginning => Ok(low),
        Start::End => Ok(high),
        Start::Offset(n) if n < 0 => Ok((high + n).max(low)),
        Start::Offset(n) => Ok(n),
        Start::Time(ms) => {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(topic, p, Offset::Offset(ms))
                .map_err(|e| error::kafka(format!("kafka: {e}")))?;
            let answer = consumer.offsets_for_times(tpl, timeout).map_err(|e| {
                error::kafka(format!("kafka: offsets for time in {topic}/{p}: {e}"))
            })?;
            let found = match answer.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => o.clamp(low, high),
                _ => high,
            };
            if high > low && found < high {
                let last = fetch_one(settings, topic, p, high - 1, timeout)?;
                if last.timestamp().to_millis().is_some_and(|last| ms > last) {
                    return Ok(high);
                }
            }
            Ok(found)
        }
    }
}

/// The record at `offset` (or the first after it), read with a consumer of
/// its own.
pub fn fetch_one(
    settings: &KafkaSettings,
    topic: &str,
    p: i32,
    offset: i64,
    timeout: Duration,
) -> Result<OwnedMessage> {
    read_at(&consumer(settings, None)?, topic, p, offset, timeout)
}

/// The first record at or after `offset` in one partition, read by
/// reassigning `consumer` there.
pub fn read_at(
    consumer: &Consumer,
    topic: &str,
    p: i32,
    offset: i64,
    timeout: Duration,
) -> Result<OwnedMessage> {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, p, Offset::Offset(offset))
        .map_err(|e| error::kafka(format!("kafka: {e}")))?;
    consumer
        .assign(&tpl)
        .map_err(|e| error::kafka(format!("kafka: assign: {e}")))?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            let m =
                m.map_err(|e| error::kafka(format!("kafka: reading {topic}/{p}@{offset}: {e}")))?;
            if m.partition() == p && m.offset() >= offset {
                return Ok(m.detach());
            }
        }
    }
    Err(error::kafka(format!(
        "kafka: no record at {topic}/{p}@{offset} within {}",
        show_duration(timeout)
    )))
}

/// The headers publish writes, which [`record_event`] reads back: they let
/// consumers filter without parsing the value.
pub fn event_headers(id: &str, kind: &str, source_type: &str) -> OwnedHeaders {
    OwnedHeaders::new_with_capacity(3)
        .insert(Header {
            key: "id",
            value: Some(id.as_bytes()),
        })
        .insert(Header {
            key: "type",
            value: Some(kind.as_bytes()),
        })
        .insert(Header {
            key: "source_type",
            value: Some(source_type.as_bytes()),
        })
}

/// The event a record holds, as publish wrote it: id, type and source type
/// from its headers and the source id from its key; for records without
/// those headers, from the value's default fields (the key still wins for
/// the source id).
pub fn record_event(m: &BorrowedMessage<'_>) -> Option<Event> {
    let header = |key: &str| {
        m.headers()?
            .iter()
            .find(|h| h.key == key)
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
    if let (Some(id), Some(kind), Some(source_type), Some(source_id)) = (
        header("id"),
        header("type"),
        header("source_type"),
        key.clone(),
    ) {
        return Some(Event {
            id,
            kind,
            source_type,
            source_id,
            timestamp: None,
            value: Vec::new(),
        });
    }
    let mut event = event::from_json_line(m.payload()?, &FieldMap::defaults()).ok()?;
    event.value = Vec::new();
    if let Some(key) = key {
        event.source_id = key;
    }
    Some(event)
}

/// Consumer context for `--group`: remembers the current assignment, and
/// commits what was processed before partitions are taken away, so the
/// process that gets them next starts after it (no record read twice).
#[derive(Default)]
pub struct GroupContext {
    assigned: Mutex<Option<Vec<i32>>>,
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        log_to_tracing(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(_) = rebalance {
            if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
                // Nothing stored yet is the usual reason; anything else is worth -v.
                tracing::info!("commit before revoke: {e}");
            }
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let now = match rebalance {
            Rebalance::Assign(tpl) => tpl.elements().iter().map(|e| e.partition()).collect(),
            Rebalance::Revoke(_) | Rebalance::Error(_) => Vec::new(),
        };
        if let Ok(mut assigned) = self.assigned.lock() {
            *assigned = Some(now);
        }
    }
}

pub type GroupConsumer = BaseConsumer<GroupContext>;

/// A consumer in group `group` that commits what its caller stored, and
/// starts partitions without a committed offset at the beginning (or the
/// end, `from_end`).
pub fn group_consumer(
    settings: &KafkaSettings,
    group: &str,
    from_end: bool,
) -> Result<GroupConsumer> {
    let defaults = [
        ("group.id", group.to_string()),
        ("enable.auto.commit", "true".to_string()),
        ("enable.auto.offset.store", "false".to_string()),
        ("enable.partition.eof", "false".to_string()),
        (
            "auto.offset.reset",
            if from_end { "latest" } else { "earliest" }.to_string(),
        ),
    ];
    let config = client_config(settings, &defaults);
    BaseConsumer::from_config_and_context(&config, GroupContext::default())
        .map_err(|e| config_error(settings, &e))
}

/// Read `topic` as a member of the consumer's group: call `each` for every
/// record below `ends` (the end offsets taken at start; `None` follows), store
/// its offset once `each` returns, and stop when every partition this member
/// holds has reached its end (or it holds none). Commits on the way out.
pub fn read_group(
    consumer: &GroupConsumer,
    topic: &str,
    ends: Option<&HashMap<i32, (i64, i64)>>,
    stop: &AtomicBool,
    mut each: impl FnMut(Polled<'_, '_>) -> Result<Flow>,
) -> Result<Read> {
    consumer
        .subscribe(&[topic])
        .map_err(|e| error::kafka(format!("kafka: subscribe to {topic}: {e}")))?;
    let outcome = loop {
        if stop.load(Ordering::SeqCst) {
            break Read::Interrupted;
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(message) => {
                let message = message.map_err(|e| error::kafka(format!("kafka: {e}")))?;
                let end = ends
                    .and_then(|e| e.get(&message.partition()))
                    .map(|&(_, high)| high);
                if end.is_some_and(|end| message.offset() >= end) {
                    continue;
                }
                let flow = each(Polled::Record(&message))?;
                consumer
                    .store_offset_from_message(&message)
                    .map_err(|e| error::kafka(format!("kafka: storing offset: {e}")))?;
                if let Flow::Stop = flow {
                    break Read::Done;
                }
            }
            None => {
                if let Flow::Stop = each(Polled::Idle)? {
                    break Read::Done;
                }
                if let Some(ends) = ends {
                    if group_done(consumer, topic, ends) {
                        break Read::Done;
                    }
                }
            }
        }
    };
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        tracing::info!("final commit: {e}");
    }
    Ok(outcome)
}

/// Has this member read everything it holds up to the ends? Only once it has
/// joined (an assignment was seen). A partition's position counts what this
/// member consumed; one it resumed at its end has consumed nothing, so the
/// group's committed offset counts too.
fn group_done(consumer: &GroupConsumer, topic: &str, ends: &HashMap<i32, (i64, i64)>) -> bool {
    let Some(assigned) = consumer
        .context()
        .assigned
        .lock()
        .ok()
        .and_then(|a| a.clone())
    else {
        return false;
    };
    let Ok(positions) = consumer.position() else {
        return false;
    };
    let reached = |list: &TopicPartitionList, p: i32, high: i64| {
        list.find_partition(topic, p)
            .is_some_and(|e| matches!(e.offset(), Offset::Offset(pos) if pos >= high))
    };
    let open: Vec<(i32, i64)> = assigned
        .iter()
        .filter_map(|p| ends.get(p).map(|&(low, high)| (*p, low, high)))
        .filter(|&(p, low, high)| high > low && !reached(&positions, p, high))
        .map(|(p, _, high)| (p, high))
        .collect();
    if open.is_empty() {
        return true;
    }
    match consumer.committed(Duration::from_secs(5)) {
        Ok(committed) => open.iter().all(|&(p, high)| reached(&committed, p, high)),
        Err(_) => false,
    }
}
