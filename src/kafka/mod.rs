//! Kafka: everything that talks to the brokers, through librdkafka. Commands
//! describe what they want (a topic to read from a start, records to send,
//! a report of the cluster) and never touch librdkafka's types for the
//! protocol themselves.
//!
//! * [`config`]: the one place a client configuration is built (defaults,
//!   then `-F`, then `-X`), secret scrubbing, and the clients themselves;
//! * [`produce`]: the bounded sender and its delivery ledger, used by every
//!   produce path (`publish`, `replay --to-topic`);
//! * [`read`]: the span planner and readers, used by every read path
//!   (`replay`, `tail --catch-up`, `tail --fetch`);
//! * [`admin`]: metadata, topic creation, the cluster report for `health`;
//! * [`record`]: how an event is written into a record and read back.
//!
//! It never prints: problems become errors with exit codes, and what a user
//! should know comes back as values.

pub mod admin;
pub mod config;
pub mod identity;
pub mod produce;
pub mod read;
pub mod record;
pub mod transact;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::ProducerContext;
use rdkafka::ClientContext;
use rdkafka::TopicPartitionList;

pub use config::KafkaSettings;
/// Commands read a record through rdkafka's `Message` trait, and only
/// through this re-export: the one rdkafka type past `kafka/`
/// (ARCHITECTURE.md).
pub use rdkafka::message::Message;

/// A consumer that reads partitions it assigns itself, or as a group member.
pub type Consumer = BaseConsumer<Context>;

/// The one client context of every client: routes librdkafka's logs and
/// global errors to `tracing` (shown with -v) instead of the `log` crate,
/// remembers when every broker was seen down (health answers without
/// waiting out its timeout), and, for group members, keeps the current
/// assignment and commits what was processed before partitions are taken
/// away, so the member that gets them next starts after it. Fatal errors of
/// the idempotent producer are read back with `Client::fatal_error` where
/// deliveries fail. For the critical path's producer it also takes the
/// delivery reports, for `produce::Sender` to book.
#[derive(Default)]
pub struct Context {
    all_brokers_down: AtomicBool,
    /// Why the cluster refused this client's connections (authentication,
    /// TLS), as librdkafka said it: a refused client sees every broker
    /// "down", and "no broker reachable" would hide the cause.
    refused: Mutex<Option<String>>,
    /// How each broker's last connection attempt failed, by broker name
    /// (`host:port`): whether "every broker is down" is hopeless (nothing
    /// listens, the name does not resolve) or may pass (a broker that took
    /// the TCP connection and is slow to answer, or restarting).
    down: Mutex<BTreeMap<String, Down>>,
    /// The broker refused this client's group (GROUP_AUTHORIZATION_FAILED
    /// on finding its coordinator).
    group_denied: AtomicBool,
    assigned: Mutex<Option<Vec<i32>>>,
    pub(crate) deliveries: Arc<produce::Deliveries>,
    /// The final commit was made (`read::commit_and_close`): closing revokes the
    /// partitions, and that must not commit again, unbounded.
    closing: AtomicBool,
    /// A member whose offsets go into transactions: nothing is committed
    /// before a revoke (the open transaction is aborted instead).
    transactional: AtomicBool,
    /// Rebalances that took partitions away (or failed) so far: a
    /// transaction opened before one may not commit.
    revokes: AtomicU64,
}

impl Context {
    /// librdkafka reported that it could reach none of the brokers.
    pub fn all_brokers_down(&self) -> bool {
        self.all_brokers_down.load(Ordering::Relaxed)
    }

    /// Why the brokers refused this client (a wrong password, an unknown
    /// user, a certificate that does not verify), once one did.
    pub fn refused(&self) -> Option<String> {
        self.refused.lock().ok().and_then(|r| r.clone())
    }

    /// Why no broker can be reached, in words, once librdkafka saw every
    /// broker down and each one's connection refused or its name
    /// unresolvable (`connection refused`, `cannot resolve kafak`); `None`
    /// while any broker failed otherwise (it accepted the connection: slow,
    /// or starting), or before every broker was seen down.
    pub fn unreachable(&self) -> Option<String> {
        if !self.all_brokers_down() {
            return None;
        }
        let down = self.down.lock().ok()?;
        if down.is_empty() || down.values().any(|d| *d == Down::Other) {
            return None;
        }
        let words = |name: &str, d: Down| match d {
            Down::Refused => "connection refused".to_string(),
            _ => format!(
                "cannot resolve {}",
                name.rsplit_once(':').map_or(name, |(host, _)| host)
            ),
        };
        if down.len() == 1 {
            let (name, d) = down.iter().next()?;
            return Some(words(name, *d));
        }
        Some(
            down.iter()
                .map(|(name, d)| format!("{name}: {}", words(name, *d)))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// The broker said this client may not use its consumer group.
    pub fn group_denied(&self) -> bool {
        self.group_denied.load(Ordering::Relaxed)
    }

    /// The member is closing after its final commit.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// This member commits its offsets in transactions, never on its own.
    pub fn in_transactions(&self) {
        self.transactional.store(true, Ordering::SeqCst);
    }

    /// How many times partitions were taken away (or a rebalance failed).
    pub fn revokes(&self) -> u64 {
        self.revokes.load(Ordering::SeqCst)
    }

    /// A group member's partitions now; `None` until it has joined.
    pub fn assigned(&self) -> Option<Vec<i32>> {
        self.assigned.lock().ok().and_then(|a| a.clone())
    }
}

impl ClientContext for Context {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
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

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.all_brokers_down.store(true, Ordering::Relaxed);
        }
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::GroupAuthorizationFailed) {
            self.group_denied.store(true, Ordering::Relaxed);
        }
        if let Some(why) = refusal(&error, reason) {
            if let Ok(mut refused) = self.refused.lock() {
                refused.get_or_insert(why);
            }
        }
        if let Some((name, how)) = down(&error, reason) {
            if let Ok(mut down) = self.down.lock() {
                down.insert(name, how);
            }
        }
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

/// How a broker's connection failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Down {
    /// Nothing listens there (ECONNREFUSED).
    Refused,
    /// Its name does not resolve.
    Unresolved,
    /// Anything else: it took the TCP connection, or may yet.
    Other,
}

/// The broker (`host:port`) and how its connection failed, from a transport
/// or resolve error; librdkafka's reason starts with the broker's name
/// (`kafak:9092/bootstrap: Failed to resolve 'kafak:9092': …`,
/// `localhost:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed:
/// Connection refused (after 0ms in state CONNECT)`).
fn down(error: &KafkaError, reason: &str) -> Option<(String, Down)> {
    let how = match error.rdkafka_error_code()? {
        RDKafkaErrorCode::Resolve => Down::Unresolved,
        RDKafkaErrorCode::BrokerTransportFailure if reason.contains("Connection refused") => {
            Down::Refused
        }
        RDKafkaErrorCode::BrokerTransportFailure => Down::Other,
        _ => return None,
    };
    let (name, _) = reason.split_once(": ")?;
    let name = name.split_once("://").map_or(name, |(_, rest)| rest);
    let name = name.split_once('/').map_or(name, |(n, _)| n);
    Some((name.to_string(), how))
}

/// A connection error that no retry will cure, as a user should read it:
/// authentication (SASL) refused, or TLS failed (a certificate that does not
/// verify). `None` for anything else. librdkafka's reason names the broker
/// and the cause; its "(after N ms in state …)" tail is left out.
pub fn refusal(error: &KafkaError, reason: &str) -> Option<String> {
    let what = match error.rdkafka_error_code()? {
        RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed => {
            "authentication failed"
        }
        RDKafkaErrorCode::SSL => "TLS failed",
        _ => return None,
    };
    let reason = match reason.rfind(" (after ") {
        Some(at) if reason.ends_with(')') => &reason[..at],
        _ => reason,
    };
    let hint = match what {
        "authentication failed" => " (check sasl.mechanisms, sasl.username and sasl.password)",
        _ => "",
    };
    Some(format!("{what}: {reason}{hint}"))
}

/// The broker's answer for a resource this user may not use, as a user
/// should read it (with the protocol's name for the error, which is what
/// the broker's log and its documentation call it); `None` for others.
pub fn denied(code: RDKafkaErrorCode, topic: &str, group: Option<&str>) -> Option<String> {
    match code {
        RDKafkaErrorCode::TopicAuthorizationFailed => Some(format!(
            "not authorised for topic {topic:?} (TOPIC_AUTHORIZATION_FAILED): the user needs an ACL allowing Describe and Write (publish) or Read (replay, tail) on it"
        )),
        RDKafkaErrorCode::GroupAuthorizationFailed => Some(match group {
            Some(g) => format!(
                "not authorised for consumer group {g:?} (GROUP_AUTHORIZATION_FAILED): the user needs an ACL allowing Read on the group"
            ),
            None => "not authorised for the consumer group (GROUP_AUTHORIZATION_FAILED)".to_string(),
        }),
        RDKafkaErrorCode::ClusterAuthorizationFailed => {
            Some("not authorised on the cluster (CLUSTER_AUTHORIZATION_FAILED)".to_string())
        }
        _ => None,
    }
}

impl ProducerContext for Context {
    /// The record's ticket in the sender's table of records in flight.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, ticket: usize) {
        self.deliveries.report(result, ticket);
    }
}

impl ConsumerContext for Context {
    // Rebalances happen only to group members (`read::read_group`); readers
    // that assign() their partitions never see these.
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(_) | Rebalance::Error(_) = rebalance {
            self.revokes.fetch_add(1, Ordering::SeqCst);
        }
        if let Rebalance::Revoke(_) = rebalance {
            // A transactional member commits only in its transactions: the
            // open one is aborted once poll returns, and the partitions'
            // next owner starts at the last committed transaction.
            if self.transactional.load(Ordering::SeqCst) {
                return;
            }
            // librdkafka's synchronous commit waits for the coordinator
            // without a limit: at close, with the broker gone, it would
            // never return. The final commit has been made by then.
            if self.closing.load(Ordering::SeqCst) {
                return;
            }
            if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
                // Nothing stored yet is the usual reason; anything else is worth -v.
                tracing::info!("commit before revoke: {e}");
            }
        }
    }

    // Auto-commits report here, not to `error`: a commit the broker refused
    // for the group's ACL (revoked mid-run) ends a group read at its next
    // tick, instead of at the session timeout when the member rejoins.
    fn commit_callback(&self, result: KafkaResult<()>, _: &TopicPartitionList) {
        if let Err(e) = result {
            if e.rdkafka_error_code() == Some(RDKafkaErrorCode::GroupAuthorizationFailed) {
                self.group_denied.store(true, Ordering::Relaxed);
            }
            tracing::info!("commit: {e}");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_named_without_librdkafkas_timing_tail() {
        let auth = KafkaError::Global(RDKafkaErrorCode::Authentication);
        let why = refusal(
            &auth,
            "sasl_plaintext://h:1/bootstrap: SASL authentication error: invalid credentials (after 423ms in state AUTH_REQ)",
        )
        .unwrap();
        assert_eq!(
            why,
            "authentication failed: sasl_plaintext://h:1/bootstrap: SASL authentication error: invalid credentials (check sasl.mechanisms, sasl.username and sasl.password)"
        );
        let tls = KafkaError::Global(RDKafkaErrorCode::SSL);
        assert_eq!(
            refusal(&tls, "ssl://h:1/bootstrap: certificate verify failed").unwrap(),
            "TLS failed: ssl://h:1/bootstrap: certificate verify failed"
        );
        let down = KafkaError::Global(RDKafkaErrorCode::AllBrokersDown);
        assert_eq!(refusal(&down, "1/1 brokers are down"), None);
    }

    #[test]
    fn every_broker_refused_or_unresolvable_is_unreachable_in_words() {
        let transport = KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure);
        let resolve = KafkaError::Global(RDKafkaErrorCode::Resolve);
        let all_down = KafkaError::Global(RDKafkaErrorCode::AllBrokersDown);
        let c = Context::default();
        c.error(
            transport.clone(),
            "localhost:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)",
        );
        assert_eq!(c.unreachable(), None, "not before every broker is down");
        c.error(all_down.clone(), "1/1 brokers are down");
        assert_eq!(c.unreachable().as_deref(), Some("connection refused"));

        let c = Context::default();
        c.error(
            resolve,
            "kafak:9092/bootstrap: Failed to resolve 'kafak:9092': Name or service not known (after 2ms in state CONNECT)",
        );
        c.error(
            transport.clone(),
            "sasl_ssl://b:1/bootstrap: Connect to ipv4#10.0.0.1:1 failed: Connection refused",
        );
        c.error(all_down.clone(), "2/2 brokers are down");
        assert_eq!(
            c.unreachable().as_deref(),
            Some("b:1: connection refused; kafak:9092: cannot resolve kafak")
        );

        // A broker that took the connection and then timed out may be slow
        // or starting: never the fast path.
        let c = Context::default();
        c.error(
            transport,
            "h:9092/bootstrap: ApiVersionRequest failed: Local: Timed out: probably due to broker version < 0.10",
        );
        c.error(all_down, "1/1 brokers are down");
        assert_eq!(c.unreachable(), None);
    }

    #[test]
    fn denials_name_the_resource() {
        let t = denied(RDKafkaErrorCode::TopicAuthorizationFailed, "t", None).unwrap();
        assert!(t.starts_with("not authorised for topic \"t\" (TOPIC_AUTHORIZATION_FAILED)"));
        let g = denied(RDKafkaErrorCode::GroupAuthorizationFailed, "t", Some("g")).unwrap();
        assert!(
            g.starts_with("not authorised for consumer group \"g\" (GROUP_AUTHORIZATION_FAILED)")
        );
        assert_eq!(
            denied(RDKafkaErrorCode::UnknownTopicOrPartition, "t", None),
            None
        );
    }

    #[test]
    fn the_context_remembers_the_first_refusal_and_a_denied_group() {
        let c = Context::default();
        assert_eq!(c.refused(), None);
        c.error(KafkaError::Global(RDKafkaErrorCode::SSL), "first");
        c.error(
            KafkaError::Global(RDKafkaErrorCode::Authentication),
            "second",
        );
        assert_eq!(c.refused().as_deref(), Some("TLS failed: first"));
        assert!(!c.group_denied());
        c.error(
            KafkaError::Global(RDKafkaErrorCode::GroupAuthorizationFailed),
            "FindCoordinator",
        );
        assert!(c.group_denied());
    }
}
