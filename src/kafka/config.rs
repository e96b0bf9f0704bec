//! The one place a librdkafka client configuration is built: bootstrap
//! servers, then the command's defaults, then the user's properties (`-F`
//! file, then `-X` pairs), which override both, in that order and nowhere
//! else. Secret property values never reach a message or a log line.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use rdkafka::admin::AdminClient;
use rdkafka::config::{ClientConfig, FromClientConfigAndContext};
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, ThreadedProducer};

use super::{Consumer, Context};
use crate::error;

/// Where Kafka is and how to talk to it, as the user gave it.
#[derive(Clone, Debug)]
pub struct KafkaSettings {
    pub brokers: String,
    /// Where `brokers` came from, said when none of them answers.
    pub from: BrokersFrom,
    /// `-F` file pairs first, then `-X` pairs: later ones win.
    pub properties: Vec<(String, String)>,
    /// `--isolation`: what readers see of transactions.
    pub isolation: Isolation,
}

/// What a reader sees of transactional records (`isolation.level`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Isolation {
    /// Only records of committed transactions (and non-transactional
    /// ones); aborted records and transaction markers are never handed on,
    /// and a partition ends at its last stable offset.
    #[default]
    ReadCommitted,
    /// Everything, aborted records too.
    ReadUncommitted,
}

impl Isolation {
    /// librdkafka's name of the level.
    pub fn level(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read_committed",
            Isolation::ReadUncommitted => "read_uncommitted",
        }
    }
}

/// Where the bootstrap brokers came from (flag > environment > profile >
/// default), so that "no broker reachable" says which setting to fix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BrokersFrom {
    /// `--brokers`.
    Flag,
    /// `DUALSTREAM_BROKERS`.
    Env,
    /// A profile of the config file, by name.
    Profile(String),
    /// Nothing was set: `localhost:9092`.
    #[default]
    Default,
}

impl std::fmt::Display for BrokersFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BrokersFrom::Flag => f.write_str("from --brokers"),
            BrokersFrom::Env => f.write_str("from DUALSTREAM_BROKERS"),
            BrokersFrom::Profile(name) => write!(f, "from profile {name:?}"),
            BrokersFrom::Default => f.write_str("the built-in default"),
        }
    }
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
        "passphrase",
        "credential",
        // `principal=… clientSecret=…` and extensions such as tokens.
        "oauthbearer.config",
        "oauthbearer.extensions",
    ]
    .iter()
    .any(|s| key.contains(s))
}

/// A client that librdkafka refused to create, as a usage error. librdkafka's
/// message carries the offending property's value: secret ones are replaced.
pub fn config_error(settings: &KafkaSettings, e: &KafkaError) -> anyhow::Error {
    // rust-rdkafka's text ends with the property's name and value; for a
    // name librdkafka does not know (a mistyped `sasl.pasword`) nothing says
    // the value is a secret. librdkafka's own description names the
    // property and, for a value it refused, a value it knows.
    let text = match e {
        KafkaError::ClientConfig(_, description, _, _) => description.clone(),
        other => other.to_string(),
    };
    error::usage(format!(
        "kafka client configuration: {}",
        settings.scrub(&text)
    ))
}

/// Does librdkafka know this property and take this value? One it does not
/// know may be a secret under a mistyped name: its value is never shown.
fn known(key: &str, value: &str) -> bool {
    let mut probe = ClientConfig::new();
    probe.set(key, value);
    probe.create_native_config().is_ok()
}

impl KafkaSettings {
    /// The brokers and where they came from, for messages:
    /// `localhost:9092 (the built-in default)`.
    pub fn shown(&self) -> String {
        match self.servers_property() {
            Some(servers) => format!("{servers} (from the bootstrap.servers property)"),
            None => format!("{} ({})", self.brokers, self.from),
        }
    }

    /// A `bootstrap.servers` property (-F, -X, a profile's Kafka table):
    /// it overrides --brokers in the client config.
    pub fn servers_property(&self) -> Option<&str> {
        self.properties
            .iter()
            .rev()
            .find(|(k, _)| k == "bootstrap.servers" || k == "metadata.broker.list")
            .map(|(_, v)| v.as_str())
    }

    /// The bootstrap servers the client uses: a servers property, else
    /// `--brokers` (or what stands in for it).
    pub fn effective(&self) -> &str {
        self.servers_property().unwrap_or(&self.brokers)
    }

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
        let unknown: Vec<&str> = settings
            .properties
            .iter()
            .filter(|(k, v)| !known(k, v))
            .map(|(k, _)| k.as_str())
            .collect();
        let shown: Vec<String> = config
            .config_map()
            .iter()
            .map(|(k, v)| {
                if is_secret(k) || unknown.iter().any(|u| u == k) {
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

/// A consumer for reading partitions we assign ourselves (never subscribe):
/// nothing is committed unless `group` is given.
pub fn consumer(settings: &KafkaSettings, group: Option<&str>) -> Result<Consumer> {
    let defaults = [
        ("group.id", group.unwrap_or("dualstream-replay").to_string()),
        ("enable.auto.commit", "false".to_string()),
        ("enable.auto.offset.store", "false".to_string()),
        ("enable.partition.eof", "false".to_string()),
        ("auto.offset.reset", "earliest".to_string()),
        ("isolation.level", settings.isolation.level().to_string()),
    ];
    let config = client_config(settings, &defaults);
    BaseConsumer::from_config_and_context(&config, Context::default())
        .map_err(|e| config_error(settings, &e))
}

/// How a group member commits: what its caller stored, or nothing (a
/// transactional copy commits the group's offsets in its transactions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commits {
    Stored,
    InTransactions,
}

/// A consumer in group `group` that commits what its caller stored (or
/// nothing, `Commits::InTransactions`), and starts partitions without a
/// committed offset at the beginning (or the end, `from_end`).
pub fn group_consumer(
    settings: &KafkaSettings,
    group: &str,
    from_end: bool,
    commits: Commits,
) -> Result<Consumer> {
    let transactional = commits == Commits::InTransactions;
    // A transactional member aborts its open transaction when partitions
    // are revoked and relies on every partition starting again at the
    // group's last commit: an incremental (cooperative) rebalance keeps the
    // partitions it does not move where they were read to, past the aborted
    // records.
    let cooperative = settings
        .properties
        .iter()
        .rev()
        .find(|(k, _)| k == "partition.assignment.strategy")
        .is_some_and(|(_, v)| v.contains("cooperative"));
    if transactional && cooperative {
        return Err(error::usage(
            "--exactly-once needs an eager partition assignment (range or roundrobin): with -X partition.assignment.strategy=cooperative-sticky an aborted transaction's records would be skipped on the partitions a rebalance leaves in place",
        ));
    }
    let defaults = [
        ("group.id", group.to_string()),
        ("enable.auto.commit", (!transactional).to_string()),
        ("enable.auto.offset.store", "false".to_string()),
        ("enable.partition.eof", "false".to_string()),
        // Partitions added to the topic reach the group on the next
        // metadata refresh: every 10 s, not librdkafka's 5 minutes.
        ("topic.metadata.refresh.interval.ms", "10000".to_string()),
        (
            "auto.offset.reset",
            if from_end { "latest" } else { "earliest" }.to_string(),
        ),
        ("isolation.level", settings.isolation.level().to_string()),
    ];
    let config = client_config(settings, &defaults);
    let context = Context::default();
    if transactional {
        context.in_transactions();
    }
    BaseConsumer::from_config_and_context(&config, context).map_err(|e| config_error(settings, &e))
}

/// An admin client (create topics).
pub fn admin(settings: &KafkaSettings) -> Result<AdminClient<Context>> {
    let config = client_config(settings, &[]);
    AdminClient::from_config_and_context(&config, Context::default())
        .map_err(|e| config_error(settings, &e))
}

/// The producer of the critical path: librdkafka's polling thread hands
/// delivery reports to the client context, which queues them for
/// `produce::Sender` (see `Context::deliveries`). Shared so that a metadata
/// check can run on a blocking thread while the sender holds it.
pub type Producer = Arc<ThreadedProducer<Context>>;

/// The critical path's linger (see [`producer_config`]).
const LINGER_MS: &str = "1";

/// Producer defaults for the critical path: every replica acknowledges,
/// idempotence keeps retries from duplicating or reordering, and deliveries
/// fail after `timeout` instead of librdkafka's five minutes. One request in
/// flight per connection: with five (librdkafka's default) the idempotent
/// producer busy-polls while it waits for a slow broker — measured against
/// Tansu: 2.6 s of CPU instead of 0.8 s for 100k events, at equal or lower
/// throughput; on the mock cluster one in flight was faster too.
///
/// A linger of 1 ms: with one request in flight per connection librdkafka
/// batches what arrives while the request is out anyway, but against a fast
/// broker the round trips are short and, without a linger, the batches
/// small: on librdkafka's mock cluster 0 ms cost about a sixth of the rate
/// and of the CPU (on one Apache Kafka node, whose round trips are longer,
/// no difference beyond the noise), while at 200 events/s 1 ms adds 1 ms to
/// the ack p50 (0.5 -> 1.5 ms; 5 ms, librdkafka's default, gave 5.6 ms).
/// Measured in BENCHMARKS.md; `-X linger.ms=0` for the least latency.
///
/// `probe: true` is for the health probe, one timed record: no
/// idempotence, whose start-up (getting a producer id) added up to half a
/// second to the first acknowledgement, and no linger.
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
        ("linger.ms", if probe { "0" } else { LINGER_MS }.to_string()),
        ("batch.num.messages", "10000".to_string()),
        ("message.timeout.ms", timeout.as_millis().to_string()),
        (
            "socket.connection.setup.timeout.ms",
            timeout.as_millis().clamp(1000, 30_000).to_string(),
        ),
        (
            "queue.buffering.max.messages",
            max_in_flight.max(1).saturating_mul(2).to_string(),
        ),
    ];
    client_config(settings, &defaults)
}

/// The producer of the critical path (see [`producer_config`]).
pub fn producer(
    settings: &KafkaSettings,
    timeout: Duration,
    max_in_flight: usize,
    probe: bool,
) -> Result<Producer> {
    let config = producer_config(settings, timeout, max_in_flight, probe);
    ThreadedProducer::from_config_and_context(&config, Context::default())
        .map(Arc::new)
        .map_err(|e| config_error(settings, &e))
}

/// The producer of an exactly-once copy: the critical path's producer
/// (see [`producer_config`]) with `transactional.id` set, so that
/// librdkafka makes it idempotent and each run's `init_transactions`
/// fences the last producer of that id. A transaction the broker does not
/// hear of for `transaction.timeout.ms` is aborted by it: at least the
/// batch interval plus the timeout, at least librdkafka's 60 s.
pub fn transactional_producer(
    settings: &KafkaSettings,
    transactional_id: &str,
    (timeout, interval): (Duration, Duration),
    max_in_flight: usize,
) -> Result<Producer> {
    let mut config = producer_config(settings, timeout, max_in_flight, false);
    let txn_timeout = (interval + timeout).max(Duration::from_secs(60));
    let user_set = |key: &str| settings.properties.iter().any(|(k, _)| k == key);
    config.set("transactional.id", transactional_id);
    if !user_set("transaction.timeout.ms") {
        config.set(
            "transaction.timeout.ms",
            txn_timeout.as_millis().to_string(),
        );
    }
    // librdkafka requires message.timeout.ms <= transaction.timeout.ms.
    if !user_set("message.timeout.ms") {
        let message = timeout.min(txn_timeout);
        config.set("message.timeout.ms", message.as_millis().to_string());
    }
    ThreadedProducer::from_config_and_context(&config, Context::default())
        .map(Arc::new)
        .map_err(|e| config_error(settings, &e))
}

/// Does a topic limit of `max_batch` bytes need smaller batches than the
/// producer makes (`batch.size`: librdkafka's 1000000, or `-F`/`-X`'s)? A
/// batch above the limit is refused whole by the broker, so a larger
/// `batch.size` is never of use there.
pub fn bounds_batches(settings: &KafkaSettings, max_batch: u64) -> bool {
    let batch = settings
        .properties
        .iter()
        .rev()
        .find(|(k, _)| k == "batch.size")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .unwrap_or(1_000_000);
    batch > max_batch
}

/// [`producer`] whose batches stay within `max_batch` bytes (a topic's
/// `max.message.bytes`: a broker refuses a whole batch above it, so a
/// batch of small events must not grow past it), also when `-X batch.size`
/// asked for more.
pub fn producer_within(
    settings: &KafkaSettings,
    timeout: Duration,
    max_in_flight: usize,
    max_batch: u64,
) -> Result<Producer> {
    let mut config = producer_config(settings, timeout, max_in_flight, false);
    if bounds_batches(settings, max_batch) {
        config.set("batch.size", max_batch.max(1).to_string());
    }
    ThreadedProducer::from_config_and_context(&config, Context::default())
        .map(Arc::new)
        .map_err(|e| config_error(settings, &e))
}

/// What the critical path's producer takes at most: its `message.max.bytes`
/// (librdkafka's default unless `-F`/`-X` set it), and whether it compresses
/// (then a broker checks the compressed batch, which is smaller).
pub fn producer_limits(settings: &KafkaSettings) -> (Option<u64>, bool) {
    let config = producer_config(settings, Duration::from_secs(30), 1, false);
    let Ok(native) = config.create_native_config() else {
        return (None, false);
    };
    let max = native
        .get("message.max.bytes")
        .ok()
        .and_then(|v| v.parse().ok());
    let compressed = native.get("compression.codec").is_ok_and(|c| c != "none");
    (max, compressed)
}

/// The health probe's producer: one record, awaited as a future.
pub fn probe_producer(
    settings: &KafkaSettings,
    timeout: Duration,
) -> Result<FutureProducer<Context>> {
    let config = producer_config(settings, timeout, 10, true);
    FutureProducer::from_config_and_context(&config, Context::default())
        .map_err(|e| config_error(settings, &e))
}

impl KafkaSettings {
    /// The user's properties that weaken the critical path's guarantees
    /// (`acks` other than all, idempotence off), as `key=value`. Allowed —
    /// some clusters need them — but said once and shown in the summary.
    pub fn lowered_durability(&self) -> Vec<String> {
        let mut lowered = Vec::new();
        let last = |key: &str| {
            self.properties
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_ascii_lowercase())
        };
        for key in ["acks", "request.required.acks"] {
            if let Some(v) = last(key) {
                if v != "all" && v != "-1" {
                    lowered.push(format!("{key}={v}"));
                }
            }
        }
        if let Some(v) = last("enable.idempotence") {
            if v == "false" {
                lowered.push(format!("enable.idempotence={v}"));
            }
        }
        lowered
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
    fn secret_properties_include_oauthbearer_settings_and_passphrases() {
        for key in [
            "sasl.password",
            "ssl.key.password",
            "sasl.oauthbearer.config",
            "sasl.oauthbearer.client.secret",
            "sasl.oauthbearer.extensions",
            "sasl.oauthbearer.assertion.private.key.passphrase",
        ] {
            assert!(is_secret(key), "{key}");
        }
        for key in ["bootstrap.servers", "sasl.username", "ssl.ca.location"] {
            assert!(!is_secret(key), "{key}");
        }
    }

    #[test]
    fn a_bootstrap_servers_property_is_the_address_messages_name() {
        let mut s = KafkaSettings {
            brokers: "localhost:9092".into(),
            from: BrokersFrom::Default,
            properties: vec![],
            isolation: Isolation::default(),
        };
        assert_eq!(s.shown(), "localhost:9092 (the built-in default)");
        s.properties
            .push(("bootstrap.servers".into(), "a:1,b:2".into()));
        assert_eq!(s.shown(), "a:1,b:2 (from the bootstrap.servers property)");
        assert_eq!(
            client_config(&s, &[]).get("bootstrap.servers"),
            Some("a:1,b:2")
        );
    }

    #[test]
    fn config_errors_lose_secret_values() {
        let s = KafkaSettings {
            brokers: "b:1".into(),
            from: BrokersFrom::Flag,
            properties: vec![
                ("sasl.password".into(), "hunter2".into()),
                ("linger.ms".into(), "5".into()),
            ],
            isolation: Isolation::default(),
        };
        let e = KafkaError::ClientConfig(
            rdkafka::types::RDKafkaConfRes::RD_KAFKA_CONF_INVALID,
            "bad value".into(),
            "sasl.password".into(),
            "hunter2".into(),
        );
        let text = config_error(&s, &e).to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(s.scrub("linger 5 ok"), "linger 5 ok");
        let shown = KafkaSettings {
            brokers: "b:1".into(),
            from: BrokersFrom::Flag,
            properties: vec![("sasl.password".into(), "hunter2".into())],
            isolation: Isolation::default(),
        }
        .scrub("Invalid value \"hunter2\"");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn a_mistyped_secret_property_keeps_its_value_out_of_the_error() {
        let s = KafkaSettings {
            brokers: "b:1".into(),
            from: BrokersFrom::Flag,
            properties: vec![("sasl.pasword".into(), "hunter2".into())],
            isolation: Isolation::default(),
        };
        let e = client_config(&s, &[])
            .create::<BaseConsumer>()
            .err()
            .expect("librdkafka refuses an unknown property");
        let text = config_error(&s, &e).to_string();
        assert!(text.contains("sasl.pasword"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(known("linger.ms", "5"));
        assert!(!known("sasl.pasword", "hunter2"));
    }

    #[test]
    fn lowered_durability_is_named() {
        let s = |props: &[(&str, &str)]| KafkaSettings {
            brokers: "b:1".into(),
            from: BrokersFrom::Flag,
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            isolation: Isolation::default(),
        };
        assert!(s(&[]).lowered_durability().is_empty());
        assert!(s(&[("acks", "all")]).lowered_durability().is_empty());
        assert!(s(&[("acks", "-1")]).lowered_durability().is_empty());
        assert_eq!(s(&[("acks", "1")]).lowered_durability(), ["acks=1"]);
        assert_eq!(
            s(&[("acks", "0"), ("enable.idempotence", "false")]).lowered_durability(),
            ["acks=0", "enable.idempotence=false"]
        );
        // The last value wins, as it does in the client configuration.
        assert!(s(&[("acks", "1"), ("acks", "all")])
            .lowered_durability()
            .is_empty());
    }

    #[test]
    fn an_exactly_once_member_refuses_cooperative_rebalancing() {
        let s = KafkaSettings {
            brokers: "b:1".into(),
            from: BrokersFrom::Flag,
            properties: vec![(
                "partition.assignment.strategy".into(),
                "cooperative-sticky".into(),
            )],
            isolation: Isolation::default(),
        };
        let e = group_consumer(&s, "g", false, Commits::InTransactions)
            .err()
            .expect("refused");
        assert_eq!(error::code_of(&e), error::Code::Usage);
        assert!(e.to_string().contains("eager partition assignment"), "{e}");
        assert!(group_consumer(&s, "g", false, Commits::Stored).is_ok());
    }

    #[test]
    fn the_critical_path_lingers_a_millisecond_and_the_probe_not_at_all() {
        let s = KafkaSettings {
            brokers: "b:1".into(),
            from: BrokersFrom::Flag,
            properties: Vec::new(),
            isolation: Isolation::default(),
        };
        let timeout = Duration::from_secs(30);
        let publish = producer_config(&s, timeout, 100, false);
        assert_eq!(publish.get("linger.ms"), Some("1"));
        assert_eq!(publish.get("acks"), Some("all"));
        assert_eq!(
            producer_config(&s, timeout, 100, true).get("linger.ms"),
            Some("0")
        );
        let own = KafkaSettings {
            properties: vec![("linger.ms".into(), "0".into())],
            ..s
        };
        assert_eq!(
            producer_config(&own, timeout, 100, false).get("linger.ms"),
            Some("0")
        );
    }

    #[test]
    fn user_properties_override_defaults() {
        let s = KafkaSettings {
            brokers: "b:1".into(),
            from: BrokersFrom::Flag,
            properties: vec![("acks".into(), "1".into())],
            isolation: Isolation::default(),
        };
        let c = client_config(&s, &[("acks", "all".into()), ("linger.ms", "5".into())]);
        assert_eq!(c.get("acks"), Some("1"));
        assert_eq!(c.get("linger.ms"), Some("5"));
        assert_eq!(c.get("bootstrap.servers"), Some("b:1"));
    }
}
