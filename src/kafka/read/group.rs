//! The group reader (`replay --group`): partitions from the group
//! coordinator, and offsets committed only once the sink confirmed them.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::Result;
use rdkafka::consumer::{CommitMode, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::{retriable, Flow, Polled, Read, TICK};
use crate::duration::show_duration;
use crate::error;
use crate::kafka::Consumer;

/// What a sink has confirmed of the records it was handed, per partition. A
/// group member stores — and so commits — an offset only once every record
/// before it was confirmed (written and flushed, acknowledged by Kafka,
/// published by Redis): what the group committed reached the sink. Records
/// handed but not confirmed when partitions move to another member are read
/// again there: at least once, never lost.
#[derive(Debug, Default)]
pub struct Confirmed {
    /// Off for readers that commit nothing: every call is free.
    on: bool,
    /// Handed and not yet confirmed.
    open: HashMap<i32, BTreeSet<i64>>,
    /// One past the last record handed.
    next: HashMap<i32, i64>,
    /// Partitions whose committable offset may have moved.
    moved: HashSet<i32>,
    /// The offsets go into transactions (`--exactly-once`): the reader
    /// neither stores nor commits them.
    transactional: bool,
}

impl Confirmed {
    /// Tracking for a group member.
    pub fn tracking() -> Confirmed {
        Confirmed {
            on: true,
            ..Confirmed::default()
        }
    }

    /// Tracking for a group member whose sink commits the offsets in its
    /// transactions.
    pub fn transactional() -> Confirmed {
        Confirmed {
            on: true,
            transactional: true,
            ..Confirmed::default()
        }
    }

    /// The offsets to commit with a transaction whose every record the
    /// sink has: per partition read since the last call, the next record.
    pub fn take_offsets(&mut self) -> Vec<(i32, i64)> {
        self.confirm_all();
        let mut offsets = self.committable();
        offsets.sort_unstable();
        offsets
    }

    /// Forget everything handed: its transaction was aborted, and the
    /// partitions start again at the group's last commit (wherever they
    /// are now).
    pub fn forget(&mut self) {
        self.open.clear();
        self.next.clear();
        self.moved.clear();
    }

    /// Is anything tracked (a group member)?
    pub fn is_tracking(&self) -> bool {
        self.on
    }

    /// A record was handed to the sink.
    pub fn handed(&mut self, p: i32, offset: i64) {
        if self.on {
            self.open.entry(p).or_default().insert(offset);
            self.next.insert(p, offset + 1);
        }
    }

    /// The sink confirmed a record.
    pub fn confirm(&mut self, p: i32, offset: i64) {
        if self.on {
            if let Some(open) = self.open.get_mut(&p) {
                open.remove(&offset);
            }
            self.moved.insert(p);
        }
    }

    /// A record that needs nothing from the sink (filtered out).
    pub fn skipped(&mut self, p: i32, offset: i64) {
        if self.on {
            self.next.insert(p, offset + 1);
            self.moved.insert(p);
        }
    }

    /// The sink confirmed everything it was handed (a flush).
    pub fn confirm_all(&mut self) {
        for (p, open) in &mut self.open {
            if !open.is_empty() {
                open.clear();
                self.moved.insert(*p);
            }
        }
    }

    /// Per partition that moved: the first record not confirmed, or one
    /// past the last handed — the offset a restart must begin at.
    fn committable(&mut self) -> Vec<(i32, i64)> {
        let moved: Vec<i32> = self.moved.drain().collect();
        moved
            .into_iter()
            .filter_map(|p| {
                let first_open = self.open.get(&p).and_then(|o| o.first()).copied();
                let next = *self.next.get(&p)?;
                Some((p, first_open.unwrap_or(next)))
            })
            .collect()
    }
}

/// Store what is committable; librdkafka's auto-commit and the commit
/// before a rebalance then commit it.
fn store(consumer: &Consumer, topic: &str, confirmed: &mut Confirmed) {
    if confirmed.transactional {
        return;
    }
    let offsets = confirmed.committable();
    if offsets.is_empty() {
        return;
    }
    let mut tpl = TopicPartitionList::new();
    for (p, offset) in offsets {
        let _ = tpl.add_partition_offset(topic, p, Offset::Offset(offset));
    }
    // Partitions taken away since cannot be stored: the next owner reads
    // their unconfirmed records again.
    if let Err(e) = consumer.store_offsets(&tpl) {
        tracing::info!("storing offsets: {e}");
    }
}

/// Store what the sink confirmed, commit it and leave the group: after the
/// sink has finished (flushed, drained), whether the run succeeded or not.
/// Waits up to `timeout` for the commit and for the close: librdkafka's
/// synchronous commit and its close wait for the group coordinator without
/// a limit, so with the broker gone `replay --group` never exited. The
/// process is about to exit then; the group resumes from its last commit,
/// and the broker drops the member when its session times out.
/// A final commit that fails, or gets no answer in time, is an error
/// (exit 4): the group's progress was not recorded, and the next run reads
/// again what this one handed on. A refused group is named.
pub fn commit_and_close(
    consumer: Consumer,
    (group, topic): (&str, &str),
    confirmed: &mut Confirmed,
    timeout: Duration,
) -> Result<()> {
    store(&consumer, topic, confirmed);
    let commit = !confirmed.transactional;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let closing = std::thread::spawn(move || {
        // A transactional member's offsets were committed with its
        // transactions, and only there.
        let committed = if commit {
            consumer.commit_consumer_state(CommitMode::Sync)
        } else {
            Ok(())
        };
        let denied = consumer.context().group_denied();
        // Closing revokes the partitions: no second commit then.
        consumer.context().close();
        drop(consumer);
        let _ = done_tx.send((committed, denied));
    });
    let Some((committed, denied)) = closed_within(&done_rx, timeout) else {
        return Err(error::kafka(format!(
            "kafka: group {group:?}: no answer from the group coordinator to the final commit within {}: this run's progress may not be recorded, and the next run in the group reads again from the last commit",
            show_duration(timeout)
        )));
    };
    let _ = closing.join();
    let failed = match committed {
        Ok(()) => None,
        // Nothing stored since the last commit: nothing to record.
        Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => None,
        // Mid-rebalance the commit waits for the close: librdkafka commits
        // the stored offsets as the member leaves.
        Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::RebalanceInProgress)) => {
            tracing::info!(
                "final commit: a rebalance is in progress; committed as the member leaves"
            );
            None
        }
        Err(e) => Some(e),
    };
    if denied
        || failed
            .as_ref()
            .and_then(KafkaError::rdkafka_error_code)
            .is_some_and(|c| c == RDKafkaErrorCode::GroupAuthorizationFailed)
    {
        let why = crate::kafka::denied(
            RDKafkaErrorCode::GroupAuthorizationFailed,
            topic,
            Some(group),
        )
        .unwrap_or_default();
        return Err(error::kafka(format!(
            "kafka: {why}: this run's progress was not recorded, and the next run in the group reads again from the last commit"
        )));
    }
    match failed {
        None => Ok(()),
        Some(e) => Err(error::kafka(format!(
            "kafka: group {group:?}: the final commit failed ({e}): this run's progress was not recorded, and the next run in the group reads again from the last commit"
        ))),
    }
}

/// Wait up to `timeout` for the closing thread's word: the commit's result
/// and whether the group was refused; `None` when it did not come.
fn closed_within<T>(done: &Receiver<T>, timeout: Duration) -> Option<T> {
    done.recv_timeout(timeout).ok()
}

/// How long the cluster may take to answer the metadata request that
/// decides whether a quiet group read goes on.
const PROBE: Duration = Duration::from_secs(2);

/// Read `topic` as a member of the consumer's group: call `each` for every
/// record below `ends` (the end offsets taken at start; `None` follows),
/// store what the sink confirmed as it goes, and stop when every partition
/// this member holds has reached its end (or it holds none). The caller
/// finishes its sink, then calls [`commit_and_close`].
///
/// A bounded read (with `ends`) fails with exit 4 when no record arrived for
/// `timeout` and the cluster does not answer a metadata request within it
/// either (at most [`PROBE`]): retriable errors alone never end the read, and with the broker
/// gone for good it waited forever. A quiet member whose cluster answers
/// (joining, holding no partitions) goes on waiting. A group or topic this
/// user may not use ends the read at once (exit 4), naming them.
pub fn read_group(
    consumer: &Consumer,
    (group, topic): (&str, &str),
    ends: Option<&HashMap<i32, (i64, i64)>>,
    timeout: Duration,
    stop: &AtomicBool,
    confirmed: &mut Confirmed,
    mut each: impl FnMut(Polled<'_, '_>, &mut Confirmed) -> Result<Flow>,
) -> Result<Read> {
    consumer
        .subscribe(&[topic])
        .map_err(|e| error::kafka(format!("kafka: subscribe to {topic}: {e}")))?;
    let mut tick = Instant::now();
    let mut watch = super::TopicWatch::default();
    // When Kafka last answered: a record, or a metadata request.
    let mut heard = Instant::now();
    let outcome = loop {
        if stop.load(Ordering::SeqCst) {
            break Read::Interrupted;
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => {
                retriable(e, topic, Some(group))?;
            }
            Some(Ok(message)) => {
                heard = Instant::now();
                let end = ends
                    .and_then(|e| e.get(&message.partition()))
                    .map(|&(_, high)| high);
                if end.is_none_or(|end| message.offset() < end) {
                    let flow = each(Polled::Record(&message), confirmed)?;
                    store(consumer, topic, confirmed);
                    if let Flow::Stop = flow {
                        break Read::Done;
                    }
                }
                // The last record of a partition: perhaps the last of all,
                // and then the run need not wait for the next tick.
                if end.is_some_and(|end| message.offset() + 1 >= end) {
                    if let Some(ends) = ends {
                        if group_done(consumer, topic, ends) {
                            break Read::Done;
                        }
                    }
                }
                // On a busy topic poll may never come back empty: the
                // checks below still run every TICK.
                if tick.elapsed() < TICK {
                    continue;
                }
            }
        }
        tick = Instant::now();
        // A heartbeat or commit the broker refused for the group's ACL
        // reaches only the error callback: poll hears of it only when the
        // member rejoins, a session timeout (45 s) later.
        // It ends the read as the same refusal from poll would.
        if consumer.context().group_denied() {
            let refused = KafkaError::Global(RDKafkaErrorCode::GroupAuthorizationFailed);
            retriable(refused, topic, Some(group))?;
        }
        let flow = each(Polled::Idle, confirmed)?;
        store(consumer, topic, confirmed);
        if let Flow::Stop = flow {
            break Read::Done;
        }
        // A deleted topic ends the read (the group would wait for it forever).
        watch.check(consumer, topic)?;
        if let Some(ends) = ends {
            if group_done(consumer, topic, ends) {
                break Read::Done;
            }
            if heard.elapsed() >= timeout {
                // Already `timeout` without a word: the probe need not be as long.
                consumer
                    .client()
                    .fetch_metadata(Some(topic), timeout.min(PROBE))
                    .map_err(|e| {
                        error::kafka(format!(
                            "kafka: no records of {topic} and no answer from the cluster for {} ({e})",
                            show_duration(heard.elapsed())
                        ))
                    })?;
                heard = Instant::now();
            }
        }
    };
    Ok(outcome)
}

/// Has this member read everything it holds up to the ends? Only once it has
/// joined (an assignment was seen). A partition's position counts what this
/// member consumed; one it resumed at its end has consumed nothing, so the
/// group's committed offset counts too.
fn group_done(consumer: &Consumer, topic: &str, ends: &HashMap<i32, (i64, i64)>) -> bool {
    let Some(assigned) = consumer.context().assigned() else {
        return false;
    };
    let Ok(positions) = consumer.position() else {
        return false;
    };
    let reached = |list: &TopicPartitionList, p: i32, high: i64| {
        list.find_partition(topic, p)
            .is_some_and(|e| matches!(e.offset(), Offset::Offset(pos) if pos >= high))
    };
    if assigned.is_empty() {
        // Holding nothing is not "done": the partitions may sit with a
        // member that died (it keeps them until its session expires) or be
        // on their way here. Done once the group has committed every
        // partition up to its end, whoever did it.
        let mut all = TopicPartitionList::new();
        for (&p, &(low, high)) in ends {
            if high > low {
                all.add_partition(topic, p);
            }
        }
        return match consumer.committed_offsets(all, Duration::from_secs(5)) {
            Ok(committed) => ends
                .iter()
                .all(|(&p, &(low, high))| high <= low || reached(&committed, p, high)),
            Err(_) => false,
        };
    }
    let open: Vec<(i32, i64)> = assigned
        .iter()
        .filter_map(|p| ends.get(p).map(|&(low, high)| (*p, low, high)))
        .filter(|&(p, low, high)| high > low && !reached(&positions, p, high))
        .map(|(p, _, high)| (p, high))
        .collect();
    if open.is_empty() {
        return true;
    }
    // A partition with a position below its end is still being read. Only
    // one without a position yet may have resumed at its end (nothing to
    // consume there): then the group's commits decide, at the cost of a
    // round trip to the coordinator, which every tick would otherwise pay.
    let unpositioned = open.iter().any(|&(p, _)| {
        positions
            .find_partition(topic, p)
            .is_none_or(|e| !matches!(e.offset(), Offset::Offset(_)))
    });
    if !unpositioned {
        return false;
    }
    match consumer.committed(Duration::from_secs(5)) {
        Ok(committed) => open.iter().all(|&(p, high)| reached(&committed, p, high)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::closed_within;

    #[test]
    fn a_coordinator_that_never_answers_gives_no_word() {
        let (_closing, done) = std::sync::mpsc::channel::<u8>();
        assert_eq!(closed_within(&done, Duration::from_millis(20)), None);
    }

    #[test]
    fn a_close_in_time_gives_its_word() {
        let (closing, done) = std::sync::mpsc::channel();
        closing.send(7u8).unwrap();
        assert_eq!(closed_within(&done, Duration::from_millis(20)), Some(7));
    }
}
