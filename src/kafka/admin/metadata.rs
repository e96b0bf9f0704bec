//! The one wait for brokers (refused or unresolvable everywhere fails after
//! a second, with the cause and where the address came from), a topic's
//! existence and partitions, the controller.

use std::time::{Duration, Instant};

use anyhow::Result;
use rdkafka::client::Client;
use rdkafka::consumer::Consumer as _;
use rdkafka::ClientContext;

use crate::duration::{remaining, show_duration};
use crate::error;
use crate::kafka::config::BrokersFrom;
use crate::kafka::{config, Consumer, Context, KafkaSettings};

/// How long every broker must have been down before the report says so.
const ALL_DOWN_GRACE: Duration = Duration::from_secs(1);

/// The controller's broker id, from librdkafka's metadata cache (rdkafka has
/// no safe wrapper for it).
pub(super) fn controller_id<C: ClientContext>(
    client: &Client<C>,
    timeout: Duration,
) -> Option<i32> {
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
pub(super) fn wait_metadata(
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
pub(super) enum Patience {
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
pub(super) fn metadata(
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
pub(super) fn check_topic(
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
        .and_then(|e| crate::kafka::denied(e.into(), topic, None))
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
