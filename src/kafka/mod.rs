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
pub mod produce;
pub mod read;
pub mod record;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::ProducerContext;
use rdkafka::ClientContext;

pub use config::KafkaSettings;

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
    assigned: Mutex<Option<Vec<i32>>>,
    pub(crate) deliveries: Arc<produce::Deliveries>,
    /// The final commit was made (`read::commit_and_close`): closing revokes the
    /// partitions, and that must not commit again, unbounded.
    closing: AtomicBool,
}

impl Context {
    /// librdkafka reported that it could reach none of the brokers.
    pub fn all_brokers_down(&self) -> bool {
        self.all_brokers_down.load(Ordering::Relaxed)
    }

    /// The member is closing after its final commit.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
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
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
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
        if let Rebalance::Revoke(_) = rebalance {
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
