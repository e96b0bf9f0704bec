//! `replay --group G --to-topic T --exactly-once`: the copies (key, value,
//! headers, timestamp, as `--to-topic` makes them) of a batch of records
//! and the group's offsets after them are committed in one Kafka
//! transaction, bounded by `--txn-records` and `--txn-interval`. A
//! rebalance aborts the open transaction (its records are read again by
//! whoever holds their partitions now); any other failure aborts it and
//! ends the run. A read-committed reader of T sees each record once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::kafka::Message;
use anyhow::Result;

use super::RecordSink;
use crate::config::{CopyTo, ExactlyOnce};
use crate::duration::show_duration;
use crate::error;
use crate::event::Event;
use crate::kafka::produce::{Delivery, Outcome, Record, Refused, Sender};
use crate::kafka::read::Confirmed;
use crate::kafka::transact::{Committed, Parties, Transactions};
use crate::kafka::{self, admin, Consumer};
use crate::output::summary::{Note, TxnCounts};
use crate::replay::bridge::Bridge;
use crate::shutdown::Shutdown;
use crate::warn::Warn;

/// Another topic, as copies committed in transactions with the group's
/// offsets.
pub(in crate::replay) struct TxnSink<'a> {
    bridge: Bridge,
    copy: &'a CopyTo,
    timeout: Duration,
    /// Per partition, the first record handed in the open transaction:
    /// where reading starts again when it is given up on.
    began: HashMap<i32, i64>,
    /// Producers given up on and replaced (see [`TxnSink::restart`]).
    restarts: u32,
    warn: Warn,
    sender: Sender<(i32, i64)>,
    txn: Transactions,
    member: Arc<Consumer>,
    bounds: &'a ExactlyOnce,
    /// Records in the open transaction, and when it was opened.
    in_txn: u64,
    opened: Instant,
    /// The member's rebalance count when the open transaction began.
    revokes: u64,
    counts: &'a RefCell<TxnCounts>,
    topic: &'a str,
}

impl<'a> TxnSink<'a> {
    /// The transactional producer, once the topic is known to be there and
    /// every older producer of the transactional id is fenced.
    pub(in crate::replay) fn open(
        (copy, bounds): (&'a CopyTo, &'a ExactlyOnce),
        (group, source): (&str, &str),
        member: &Arc<Consumer>,
        (timeout, bridge): (Duration, Bridge),
        (counts, warn): (&'a RefCell<TxnCounts>, Warn),
    ) -> Result<TxnSink<'a>> {
        let topic = copy.topic.as_str();
        let id = bounds
            .transactional_id
            .clone()
            .unwrap_or_else(|| kafka::transact::default_id(group, topic));
        let parties = Parties {
            id,
            group: group.to_string(),
            source: source.to_string(),
            target: topic.to_string(),
        };
        let (sender, txn) = start((copy, bounds), parties, timeout, true)?;
        Ok(TxnSink {
            bridge,
            copy,
            timeout,
            began: HashMap::new(),
            restarts: 0,
            warn,
            sender,
            txn,
            member: Arc::clone(member),
            bounds,
            in_txn: 0,
            opened: Instant::now(),
            revokes: kafka::transact::rebalances(member),
            counts,
            topic,
        })
    }

    /// The producer stopped answering mid-commit (see
    /// [`Committed::Stuck`]): a new one of the same id fences it — its
    /// transaction is aborted — and the partitions are read again from
    /// where that transaction began.
    fn restart(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        let parties = self.txn.parties().clone();
        (self.warn)(&format!(
            "kafka: no answer to adding the group's offsets to a transaction within {} (librdkafka waits for a group coordinator that died: librdkafka#5456); a new producer of transactional id {:?} aborts that transaction, and its records are copied again",
            show_duration(self.timeout),
            parties.id
        ));
        let (sender, txn) = start((self.copy, self.bounds), parties, self.timeout, false)?;
        // The old producer stays with the call that hangs on it.
        (self.sender, self.txn) = (sender, txn);
        self.restarts += 1;
        self.count(|c| c.aborted += 1);
        self.in_txn = 0;
        confirmed.forget();
        let source = self.txn.parties().source.clone();
        let began: Vec<(i32, i64)> = self.began.drain().collect();
        kafka::transact::read_again(&self.member, &source, began, self.timeout)
    }

    fn count(&self, change: impl FnOnce(&mut TxnCounts)) {
        change(&mut self.counts.borrow_mut());
    }

    /// Partitions were taken away since the open transaction began: it may
    /// not commit (the partitions' next owner starts at the group's last
    /// commit), so it is aborted, and nothing handed before counts.
    fn after_rebalance(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        let now = kafka::transact::rebalances(&self.member);
        if now == self.revokes {
            return Ok(());
        }
        self.revokes = now;
        if self.txn.is_open() {
            self.settle()?;
            self.txn.abort()?;
            self.count(|c| c.aborted += 1);
            self.in_txn = 0;
        }
        self.began.clear();
        confirmed.forget();
        Ok(())
    }

    /// Wait for every copy in flight; the first failure fails the run
    /// (after aborting the transaction).
    fn settle(&mut self) -> Result<()> {
        let mut failed = None;
        let left = self
            .bridge
            .wait(self.sender.drain(std::future::pending::<()>(), |d| {
                if failed.is_none() {
                    failed = failure(d);
                }
            }));
        if failed.is_none() && !left.is_empty() {
            failed = Some(format!("{} copies got no delivery report", left.len()));
        }
        match failed {
            None => Ok(()),
            Some(why) => Err(self.fail(&why)),
        }
    }

    /// A copy failed: abort the transaction and say why (the producer's
    /// fatal error first: a fenced producer's copies fail with it).
    fn fail(&mut self, why: &str) -> anyhow::Error {
        let message = self
            .txn
            .fatal()
            .unwrap_or_else(|| format!("kafka: copying to {}: {why}", self.topic));
        if let Err(e) = self.txn.abort() {
            tracing::info!("aborting after a failed copy: {e}");
        }
        self.count(|c| c.aborted += 1);
        self.in_txn = 0;
        error::kafka(message)
    }

    /// Commit the open transaction with the offsets after its records.
    fn commit(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        if !self.txn.is_open() {
            return Ok(());
        }
        self.settle()?;
        let offsets = confirmed.take_offsets();
        let records = self.in_txn;
        self.in_txn = 0;
        let committed = self.txn.commit(&self.member, &offsets);
        if !matches!(committed, Ok(Committed::Stuck)) {
            self.began.clear();
        }
        match committed {
            Ok(Committed::Stuck) => self.restart(confirmed),
            Ok(Committed::Done) => {
                self.count(|c| {
                    c.committed += 1;
                    c.copied += records;
                    for &(p, offset) in &offsets {
                        c.position(p, offset);
                    }
                });
                Ok(())
            }
            Ok(Committed::Rebalanced) => {
                self.count(|c| c.aborted += 1);
                confirmed.forget();
                Ok(())
            }
            Err(e) => {
                self.count(|c| c.aborted += 1);
                Err(e)
            }
        }
    }

    /// Is the open transaction due: full, or open for the interval?
    fn due(&self) -> bool {
        self.txn.is_open()
            && (self.in_txn >= self.bounds.records || self.opened.elapsed() >= self.bounds.interval)
    }
}

/// Why a copy's delivery failed, if it did.
fn failure(d: Delivery<(i32, i64)>) -> Option<String> {
    match d.outcome {
        Outcome::Acked { .. } => None,
        Outcome::Failed { reason, .. } | Outcome::TooLarge { reason, .. } => Some(reason),
    }
}

/// A transactional producer for `parties`, registered with its
/// coordinator (every older producer of the id fenced, its open transaction
/// aborted), and the sender of its copies; `check` first makes sure the
/// target topic is there.
fn start(
    (copy, bounds): (&CopyTo, &ExactlyOnce),
    parties: Parties,
    timeout: Duration,
    check: bool,
) -> Result<(Sender<(i32, i64)>, Transactions)> {
    let producer = kafka::config::transactional_producer(
        &copy.producer,
        &parties.id,
        (timeout, bounds.interval),
        copy.max_in_flight,
    )?;
    if check {
        admin::producer_topic(&producer, &copy.producer, &copy.topic, timeout)?;
    }
    let txn = Transactions::init(Arc::clone(&producer), parties, timeout)?;
    let sender = Sender::new(producer, &copy.topic, copy.max_in_flight, timeout);
    Ok((sender, txn))
}

impl RecordSink for TxnSink<'_> {
    fn take<M: Message>(
        &mut self,
        m: &M,
        _event: Option<&Event>,
        confirmed: &mut Confirmed,
    ) -> Result<()> {
        self.after_rebalance(confirmed)?;
        if !self.txn.is_open() {
            self.txn.begin()?;
            self.opened = Instant::now();
        }
        let (p, offset) = (m.partition(), m.offset());
        let copy = Record::copy_of(m);
        self.began.entry(p).or_insert(offset);
        confirmed.handed(p, offset);
        self.in_txn += 1;
        match self.bridge.wait(self.sender.send(copy, (p, offset))) {
            Ok(()) => {}
            Err(Refused::StayedFull(_, why))
            | Err(Refused::Rejected(_, why))
            | Err(Refused::TooLarge(_, why)) => return Err(self.fail(&why)),
        }
        while let Some(d) = self.sender.next_ready() {
            if let Some(why) = failure(d) {
                return Err(self.fail(&why));
            }
        }
        if self.due() {
            self.commit(confirmed)?;
        }
        Ok(())
    }

    fn idle(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        self.after_rebalance(confirmed)?;
        if let Some(why) = self.sender.stalled() {
            return Err(self.fail(&why));
        }
        if self.due() {
            self.commit(confirmed)?;
        }
        Ok(())
    }

    fn finish(
        mut self,
        confirmed: &mut Confirmed,
        shutdown: &Shutdown,
    ) -> Result<(u64, Vec<Note>)> {
        self.after_rebalance(confirmed)?;
        if shutdown.flag().load(Ordering::SeqCst) {
            // Stopped mid-transaction: nothing of it is committed; a rerun
            // goes on from the last committed one.
            if self.txn.is_open() {
                self.txn.abort()?;
                self.count(|c| c.aborted += 1);
            }
        } else {
            let (before, restarts) = (self.counts.borrow().aborted, self.restarts);
            self.commit(confirmed)?;
            if self.restarts > restarts {
                return Err(error::kafka(format!(
                    "kafka: copying to {}: the last transaction got no answer as it was committed and was aborted: its records are left to a rerun, which goes on from the group's last commit",
                    self.topic
                )));
            }
            if self.counts.borrow().aborted > before {
                return Err(error::kafka(format!(
                    "kafka: copying to {}: the group rebalanced as the last transaction was committed: it was aborted, and its records are left to the group's members or a rerun",
                    self.topic
                )));
            }
        }
        Ok((self.counts.borrow().copied, Vec::new()))
    }
}
