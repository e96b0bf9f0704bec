//! `replay --group G --to-topic T --exactly-once`: the copies (key, value,
//! headers, timestamp, as `--to-topic` makes them) of a batch of records
//! and the group's offsets after them are committed in one Kafka
//! transaction, bounded by `--txn-records` and `--txn-interval`. A
//! rebalance aborts the open transaction (its records are read again by
//! whoever holds their partitions now); any other failure aborts it and
//! ends the run. A read-committed reader of T sees each record once.

use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::kafka::Message;
use anyhow::Result;

use super::RecordSink;
use crate::config::{CopyTo, ExactlyOnce};
use crate::error;
use crate::event::Event;
use crate::kafka::produce::{Delivery, Outcome, Record, Refused, Sender};
use crate::kafka::read::Confirmed;
use crate::kafka::transact::{Committed, Parties, Transactions};
use crate::kafka::{self, admin, Consumer};
use crate::output::summary::{Note, TxnCounts};
use crate::replay::bridge::Bridge;
use crate::shutdown::Shutdown;

/// Another topic, as copies committed in transactions with the group's
/// offsets.
pub(in crate::replay) struct TxnSink<'a> {
    bridge: Bridge,
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
        counts: &'a RefCell<TxnCounts>,
    ) -> Result<TxnSink<'a>> {
        let topic = copy.topic.as_str();
        let id = bounds
            .transactional_id
            .clone()
            .unwrap_or_else(|| kafka::transact::default_id(group, topic));
        let producer = kafka::config::transactional_producer(
            &copy.producer,
            &id,
            (timeout, bounds.interval),
            copy.max_in_flight,
        )?;
        admin::producer_topic(&producer, &copy.producer, topic, timeout)?;
        let parties = Parties {
            id,
            group: group.to_string(),
            source: source.to_string(),
            target: topic.to_string(),
        };
        let txn = Transactions::init(Arc::clone(&producer), parties, timeout)?;
        Ok(TxnSink {
            bridge,
            sender: Sender::new(producer, topic, copy.max_in_flight, timeout),
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
        match self.txn.commit(&self.member, &offsets) {
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
            let before = self.counts.borrow().aborted;
            self.commit(confirmed)?;
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
