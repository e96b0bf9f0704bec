//! Kafka transactions for `replay --group G --to-topic T --exactly-once`:
//! the copies of a batch and the group's offsets for it are committed in
//! one transaction, or neither is. `init` fences every older producer of
//! the transactional id (a copy killed or still running) and aborts its
//! open transaction; the consumer group's metadata goes with the offsets,
//! so a member the group has moved on from cannot commit (its transaction
//! is aborted instead). librdkafka's error classes decide what to do:
//! retriable errors are retried until the timeout, abortable ones abort
//! the transaction, fatal ones (a fenced producer) end the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use rdkafka::consumer::{Consumer as _, ConsumerGroupMetadata};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::producer::Producer as _;
use rdkafka::{Offset, TopicPartitionList};

use super::config::Producer;
use super::{denied, Consumer};
use crate::duration::show_duration;
use crate::error;

/// Who takes part in a transaction, for messages.
#[derive(Clone, Debug)]
pub struct Parties {
    /// The transactional id.
    pub id: String,
    /// The consumer group whose offsets are committed.
    pub group: String,
    /// The topic copied from and the one copied to.
    pub source: String,
    pub target: String,
}

/// The transactional producer's side of a copy: one transaction open at a
/// time.
pub struct Transactions {
    producer: Producer,
    parties: Parties,
    timeout: Duration,
    open: bool,
}

/// How a commit ended when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Committed {
    /// The copies and the offsets are in Kafka.
    Done,
    /// The group moved on (a rebalance) before the offsets were taken: the
    /// transaction was aborted, and the records will be read again by
    /// whoever holds their partitions now.
    Rebalanced,
    /// The producer gave no answer within the timeout and never will
    /// (librdkafka#5456, #5511: a call that waits for a group coordinator
    /// that died, cached, is never timed out). The transaction did not
    /// commit; a new producer of the id fences this one and aborts it.
    Stuck,
}

/// How long past its timeout a call may go unanswered before the producer
/// counts as stuck.
const GRACE: Duration = Duration::from_secs(5);

/// The transactional id a copy uses unless `--transactional-id` says
/// otherwise: stable across reruns of the same copy (group and target), so
/// that a rerun fences the copy before it.
pub fn default_id(group: &str, target: &str) -> String {
    format!("dualstream-replay:{group}:{target}")
}

/// How many times the group took partitions away from `member` (or a
/// rebalance failed) so far: a transaction opened before the count moved
/// must not commit.
pub fn rebalances(member: &Consumer) -> u64 {
    member.context().revokes()
}

impl Transactions {
    /// Register the transactional id with its coordinator: every older
    /// producer of the id is fenced and its open transaction aborted.
    pub fn init(producer: Producer, parties: Parties, timeout: Duration) -> Result<Transactions> {
        let t = Transactions {
            producer,
            parties,
            timeout,
            open: false,
        };
        let deadline = Instant::now() + timeout;
        loop {
            match t.producer.init_transactions(left(deadline)) {
                Ok(()) => return Ok(t),
                Err(e) if retriable(&e) && Instant::now() < deadline => {
                    tracing::info!("init_transactions: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(t.failure("starting transactions", &e)),
            }
        }
    }

    /// Is a transaction open?
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Open a transaction, unless one is open.
    pub fn begin(&mut self) -> Result<()> {
        if self.open {
            return Ok(());
        }
        self.producer
            .begin_transaction()
            .map_err(|e| self.failure("beginning a transaction", &e))?;
        self.open = true;
        Ok(())
    }

    /// Commit the open transaction with `offsets` (per partition of the
    /// source, the next record to read) as the group's offsets, under the
    /// member's current group metadata. A rebalance the broker saw first
    /// aborts the transaction instead ([`Committed::Rebalanced`]); any other
    /// failure aborts it and fails the run.
    pub fn commit(&mut self, member: &Consumer, offsets: &[(i32, i64)]) -> Result<Committed> {
        if !self.open {
            return Ok(Committed::Done);
        }
        let deadline = Instant::now() + self.timeout;
        if !offsets.is_empty() {
            let Some(metadata) = member.group_metadata() else {
                self.abort()?;
                return Ok(Committed::Rebalanced);
            };
            let mut tpl = TopicPartitionList::new();
            for &(p, offset) in offsets {
                tpl.add_partition_offset(&self.parties.source, p, Offset::Offset(offset))
                    .map_err(|e| error::kafka(format!("kafka: {e}")))?;
            }
            let metadata = Arc::new(metadata);
            loop {
                let Some(sent) = self.send_offsets(&tpl, &metadata, left(deadline)) else {
                    self.open = false;
                    return Ok(Committed::Stuck);
                };
                match sent {
                    Ok(()) => break,
                    Err(e) if retriable(&e) && Instant::now() < deadline => {
                        tracing::info!("send_offsets_to_transaction: {e}; retrying");
                    }
                    Err(e) if moved_on(&e) => {
                        tracing::info!("send_offsets_to_transaction: {e}: aborting");
                        self.abort()?;
                        return Ok(Committed::Rebalanced);
                    }
                    Err(e) => return Err(self.fail_open("committing the group's offsets", &e)),
                }
            }
        }
        loop {
            match self.producer.commit_transaction(left(deadline)) {
                Ok(()) => {
                    self.open = false;
                    return Ok(Committed::Done);
                }
                Err(e) if retriable(&e) && Instant::now() < deadline => {
                    tracing::info!("commit_transaction: {e}; retrying");
                }
                Err(e) if moved_on(&e) => {
                    tracing::info!("commit_transaction: {e}: aborting");
                    self.abort()?;
                    return Ok(Committed::Rebalanced);
                }
                Err(e) => return Err(self.fail_open("committing a transaction", &e)),
            }
        }
    }

    /// `send_offsets_to_transaction`, given up on (`None`) when no answer
    /// came within `timeout` and [`GRACE`]: librdkafka waits for it without
    /// a limit (the call runs on a thread of its own, left behind then).
    fn send_offsets(
        &self,
        offsets: &TopicPartitionList,
        metadata: &Arc<ConsumerGroupMetadata>,
        timeout: Duration,
    ) -> Option<KafkaResult<()>> {
        let (self_offsets, self_metadata) = (offsets, metadata);
        let (producer, offsets, metadata) = (
            Arc::clone(&self.producer),
            offsets.clone(),
            Arc::clone(metadata),
        );
        let (tx, rx) = std::sync::mpsc::channel();
        let call = std::thread::Builder::new()
            .name("txn offsets".into())
            .spawn(move || {
                let _ = tx.send(producer.send_offsets_to_transaction(&offsets, &metadata, timeout));
            });
        if call.is_err() {
            // No thread to spare: the call as it is, unbounded.
            return Some(self.producer.send_offsets_to_transaction(
                self_offsets,
                self_metadata.as_ref(),
                timeout,
            ));
        }
        rx.recv_timeout(timeout + GRACE).ok()
    }

    /// Who takes part.
    pub fn parties(&self) -> &Parties {
        &self.parties
    }

    /// Abort the open transaction: its copies are never seen by a
    /// read-committed reader, the group's offsets stay where they were.
    pub fn abort(&mut self) -> Result<()> {
        if !self.open {
            return Ok(());
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.producer.abort_transaction(left(deadline)) {
                Ok(()) => {
                    self.open = false;
                    return Ok(());
                }
                Err(e) if retriable(&e) && Instant::now() < deadline => {
                    tracing::info!("abort_transaction: {e}; retrying");
                }
                Err(e) => {
                    self.open = false;
                    return Err(self.failure("aborting a transaction", &e));
                }
            }
        }
    }

    /// A commit failed: abort what can be aborted (a fatal error leaves
    /// nothing to abort: the broker aborts it, or the next producer of the
    /// id), and say why.
    fn fail_open(&mut self, doing: &str, e: &KafkaError) -> anyhow::Error {
        let failure = self.failure(doing, e);
        if !fatal(e) {
            if let Err(abort) = self.abort() {
                tracing::info!("aborting after a failed commit: {abort}");
            }
        }
        self.open = false;
        failure
    }

    /// A transactional failure as a user should read it (exit 4).
    pub fn failure(&self, doing: &str, e: &KafkaError) -> anyhow::Error {
        error::kafka(explain(doing, e, &self.parties, self.timeout))
    }

    /// The fatal error librdkafka holds, once the producer has one (a
    /// fenced producer's copies fail with it), in words.
    pub fn fatal(&self) -> Option<String> {
        let (code, text) = self.producer.client().fatal_error()?;
        Some(explain_code(
            code,
            &text,
            "copying",
            &self.parties,
            self.timeout,
        ))
    }
}

/// Read `partitions` of `topic` again from the given offsets (the records
/// of a transaction given up on), those this member still holds.
pub fn read_again(
    member: &Consumer,
    topic: &str,
    partitions: impl IntoIterator<Item = (i32, i64)>,
    timeout: Duration,
) -> Result<()> {
    // A partition the group has moved meanwhile starts at the last commit
    // with its new owner.
    // Not knowing what it holds must fail the run: skipping the seek would
    // leave the aborted transaction's records unread, and later commits
    // would pass them.
    let assigned = member.assignment().map_err(|e| {
        error::kafka(format!(
            "kafka: the partitions of {topic} this member holds, to read a transaction given up on again: {e}"
        ))
    })?;
    let held = |p: i32| assigned.find_partition(topic, p).is_some();
    for (p, offset) in partitions.into_iter().filter(|&(p, _)| held(p)) {
        member
            .seek(topic, p, Offset::Offset(offset), timeout)
            .map_err(|e| {
                error::kafka(format!(
                    "kafka: reading partition {p} of {topic} again from offset {offset}, after a transaction was given up on: {e}"
                ))
            })?;
    }
    Ok(())
}

/// Time left until `deadline` (never zero: librdkafka reads 0 as "now").
fn left(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

fn txn_error(e: &KafkaError) -> Option<&rdkafka::error::RDKafkaError> {
    match e {
        KafkaError::Transaction(t) => Some(t),
        _ => None,
    }
}

fn retriable(e: &KafkaError) -> bool {
    txn_error(e).is_some_and(|t| t.is_retriable())
}

fn fatal(e: &KafkaError) -> bool {
    txn_error(e).is_some_and(|t| t.is_fatal())
}

/// The group has moved on from this member (a rebalance, the member
/// dropped): its transaction must not commit, and will not.
fn moved_on(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::IllegalGeneration
                | RDKafkaErrorCode::UnknownMemberId
                | RDKafkaErrorCode::RebalanceInProgress
                | RDKafkaErrorCode::FencedInstanceId
        )
    ) && !fatal(e)
}

/// What went wrong, in words, with the protocol's name of the error.
fn explain(doing: &str, e: &KafkaError, parties: &Parties, timeout: Duration) -> String {
    let (code, text) = match e {
        KafkaError::Transaction(t) => (t.code(), t.string()),
        other => (
            other
                .rdkafka_error_code()
                .unwrap_or(RDKafkaErrorCode::Unknown),
            other.to_string(),
        ),
    };
    explain_code(code, &text, doing, parties, timeout)
}

fn explain_code(
    code: RDKafkaErrorCode,
    text: &str,
    doing: &str,
    parties: &Parties,
    timeout: Duration,
) -> String {
    let Parties {
        id,
        group,
        source,
        target,
    } = parties;
    let why = match code {
        RDKafkaErrorCode::ProducerFenced
        | RDKafkaErrorCode::Fenced
        | RDKafkaErrorCode::TransactionCoordinatorFenced => format!(
            "fenced: another copy started with transactional id {id:?} and took over (PRODUCER_FENCED); this copy stops, its open transaction is aborted and the other one goes on from the group's last commit (give each concurrent copy its own --transactional-id)"
        ),
        RDKafkaErrorCode::InvalidProducerEpoch => format!(
            "the transaction of {id:?} was aborted by the broker (INVALID_PRODUCER_EPOCH: it ran past transaction.timeout.ms, or a newer copy of the id took over); nothing of it is committed, a rerun goes on from the group's last commit"
        ),
        RDKafkaErrorCode::InvalidTransactionTimeout => format!(
            "the broker refused the transaction timeout (INVALID_TRANSACTION_TIMEOUT: above its transaction.max.timeout.ms; lower -X transaction.timeout.ms or --txn-interval): {text}"
        ),
        RDKafkaErrorCode::TransactionalIdAuthorizationFailed => format!(
            "not authorised for transactional id {id:?} (TRANSACTIONAL_ID_AUTHORIZATION_FAILED): the user needs an ACL allowing Write and Describe on it"
        ),
        RDKafkaErrorCode::GroupAuthorizationFailed
        | RDKafkaErrorCode::TopicAuthorizationFailed
        | RDKafkaErrorCode::ClusterAuthorizationFailed => {
            let topic = if code == RDKafkaErrorCode::TopicAuthorizationFailed {
                target
            } else {
                source
            };
            denied(code, topic, Some(group)).unwrap_or_else(|| text.to_string())
        }
        RDKafkaErrorCode::UnsupportedFeature | RDKafkaErrorCode::UnsupportedVersion => format!(
            "the broker does not support transactions ({text}): --exactly-once needs Kafka 2.5 or later; without it, copy at least once (no --exactly-once)"
        ),
        RDKafkaErrorCode::CoordinatorNotAvailable
        | RDKafkaErrorCode::NotCoordinator
        | RDKafkaErrorCode::CoordinatorLoadInProgress
        | RDKafkaErrorCode::RequestTimedOut
        | RDKafkaErrorCode::OperationTimedOut => format!(
            "no transaction coordinator answered within {} ({text}): the transaction state log (__transaction_state) is unavailable — its partitions need a leader and transaction.state.log.min.isr replicas in sync (a single broker needs transaction.state.log.replication.factor=1)",
            show_duration(timeout)
        ),
        RDKafkaErrorCode::ConcurrentTransactions => format!(
            "the previous transaction of {id:?} was still being completed after {} (CONCURRENT_TRANSACTIONS)",
            show_duration(timeout)
        ),
        _ => text.to_string(),
    };
    format!("kafka: {doing} ({source} to {target}, group {group:?}): {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties() -> Parties {
        Parties {
            id: "dualstream-replay:g:t".into(),
            group: "g".into(),
            source: "s".into(),
            target: "t".into(),
        }
    }

    #[test]
    fn a_fenced_copy_says_another_took_over() {
        let m = explain_code(
            RDKafkaErrorCode::ProducerFenced,
            "x",
            "committing a transaction",
            &parties(),
            Duration::from_secs(30),
        );
        assert!(m.starts_with("kafka: committing a transaction (s to t, group \"g\"): fenced: another copy started with transactional id \"dualstream-replay:g:t\""), "{m}");
    }

    #[test]
    fn an_unavailable_state_log_is_named() {
        let m = explain_code(
            RDKafkaErrorCode::CoordinatorNotAvailable,
            "Broker: Coordinator not available",
            "starting transactions",
            &parties(),
            Duration::from_secs(5),
        );
        assert!(m.contains("__transaction_state"), "{m}");
        assert!(m.contains("within 5.0s"), "{m}");
    }

    #[test]
    fn the_default_id_is_stable() {
        assert_eq!(default_id("g", "t"), default_id("g", "t"));
        assert_ne!(default_id("g", "t"), default_id("g", "u"));
    }
}
