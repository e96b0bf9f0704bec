//! Single records by their coordinates (`tail --fetch`, `serve ?full=1`).
//!
//! Notifications come in offset order per partition, so the fetcher reads
//! forward: a partition once asked for stays assigned, and the next record
//! asked for is usually already fetched. Reassigning the consumer for each
//! record (as it did) cost a fetch round trip per record: serve handed on
//! 2–4 events a second while a `?full=1` client was connected.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::Result;
use rdkafka::consumer::Consumer as _;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::oneshot;

use super::{position, retriable, TopicWatch};
use crate::duration::show_duration;
use crate::kafka::{admin, config, Consumer, KafkaSettings};

type FetchRequest = (String, i32, i64, oneshot::Sender<Result<Vec<u8>, String>>);

/// Fetches single records by their coordinates on a thread of its own, with
/// one consumer reading forward from where it was asked last.
pub struct Fetcher {
    tx: std::sync::mpsc::Sender<FetchRequest>,
}

/// How long Kafka may take to answer a fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Records read on past to reach one asked for, at most; further ahead the
/// consumer is sent there.
const READ_ON: i64 = 1000;

/// Bytes of records read ahead of their request and kept for it.
const KEPT_BYTES: usize = 8 << 20;

impl Fetcher {
    /// The fetcher, once a broker answers: with the cluster unreachable
    /// `tail --fetch` fails at the start (exit 4), instead of waiting out
    /// a fetch for each notification.
    pub fn start(settings: &KafkaSettings) -> Result<Fetcher> {
        let consumer = config::consumer(settings, None)?;
        admin::reachable(&consumer, settings, FETCH_TIMEOUT)?;
        let (tx, rx) = std::sync::mpsc::channel::<FetchRequest>();
        std::thread::spawn(move || {
            let mut reader = Reader::new(consumer);
            for (topic, p, offset, reply) in rx {
                let _ = reply.send(reader.fetch(&topic, p, offset));
            }
        });
        Ok(Fetcher { tx })
    }

    /// The value of the record at `topic`/`p`@`offset`.
    pub async fn fetch(&self, topic: String, p: i32, offset: i64) -> Result<Vec<u8>, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((topic, p, offset, reply))
            .map_err(|_| "fetcher stopped".to_string())?;
        answer.await.map_err(|_| "fetcher stopped".to_string())?
    }
}

/// The consumer and what it has read ahead.
struct Reader {
    consumer: Consumer,
    /// Per topic and partition assigned: the offset it delivers next.
    next: HashMap<String, HashMap<i32, i64>>,
    kept: Kept,
}

/// A partition's records kept: per offset, its place in the age order and
/// its value.
type Partition = BTreeMap<i64, (u64, Vec<u8>)>;

/// Records read before they were asked for.
#[derive(Default)]
struct Kept {
    /// Per topic and partition, each with its place in `aged`.
    records: HashMap<String, HashMap<i32, Partition>>,
    /// What `records` holds, oldest first (dropped past [`KEPT_BYTES`]).
    aged: BTreeMap<u64, (String, i32, i64)>,
    seq: u64,
    bytes: usize,
}

impl Reader {
    fn new(consumer: Consumer) -> Reader {
        Reader {
            consumer,
            next: HashMap::new(),
            kept: Kept::default(),
        }
    }

    fn fetch(&mut self, topic: &str, p: i32, offset: i64) -> Result<Vec<u8>, String> {
        if let Some(value) = self.kept.take(topic, p, offset) {
            return Ok(value);
        }
        self.go_to(topic, p, offset)?;
        let deadline = Instant::now() + FETCH_TIMEOUT;
        let mut last_error = None;
        // A deleted topic (or a revoked ACL) answers no fetch: said within
        // seconds instead of at the end of the timeout.
        let mut watch = TopicWatch::default();
        while Instant::now() < deadline {
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    let (t, mp, mo) = (m.topic(), m.partition(), m.offset());
                    if let Some(next) = self.next.get_mut(t).and_then(|n| n.get_mut(&mp)) {
                        *next = mo + 1;
                    }
                    let here = t == topic && mp == p;
                    if here && mo == offset {
                        return Ok(m.payload().unwrap_or_default().to_vec());
                    }
                    if !here || mo > offset {
                        let value = m.payload().unwrap_or_default().to_vec();
                        self.kept.keep(t, mp, mo, value);
                    }
                    if here && mo > offset {
                        return Err(format!("{topic}/{p}@{offset} is gone (next is {mo})"));
                    }
                }
                None => {
                    // Read committed, a record of an aborted transaction (or a
                    // marker) is skipped: with nothing committed after it, no
                    // record comes, but the position moves past it.
                    if position(&self.consumer, topic, p).is_some_and(|at| at > offset) {
                        return Err(format!(
                            "kafka: {topic}/{p}@{offset} is no committed record (an aborted transaction's, or a transaction marker; --isolation read_uncommitted shows aborted records)"
                        ));
                    }
                }
                Some(Err(e)) => {
                    last_error = Some(retriable(e, topic, None).map_err(|e| e.to_string())?);
                }
            }
            watch
                .check(&self.consumer, topic)
                .map_err(|e| e.to_string())?;
        }
        Err(format!(
            "kafka: no record at {topic}/{p}@{offset} within {}{}",
            show_duration(FETCH_TIMEOUT),
            last_error
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default()
        ))
    }

    /// Make the consumer deliver `topic`/`p` from `offset`, unless reading
    /// on from where it is reaches it soon.
    fn go_to(&mut self, topic: &str, p: i32, offset: i64) -> Result<(), String> {
        let next = self.next.get(topic).and_then(|n| n.get(&p)).copied();
        match next {
            Some(next) if next <= offset && offset - next <= READ_ON => return Ok(()),
            Some(_) => {
                self.consumer
                    .seek(topic, p, Offset::Offset(offset), FETCH_TIMEOUT)
                    .map_err(|e| format!("kafka: seek {topic}/{p}@{offset}: {e}"))?;
            }
            None => {
                let mut tpl = TopicPartitionList::new();
                tpl.add_partition_offset(topic, p, Offset::Offset(offset))
                    .map_err(|e| format!("kafka: {e}"))?;
                self.consumer
                    .incremental_assign(&tpl)
                    .map_err(|e| format!("kafka: assign {topic}/{p}: {e}"))?;
            }
        }
        // What was kept of the partition before `offset` will not be asked
        // for again in order; it stays until dropped by age.
        self.next
            .entry(topic.to_string())
            .or_default()
            .insert(p, offset);
        Ok(())
    }
}

impl Kept {
    fn take(&mut self, topic: &str, p: i32, offset: i64) -> Option<Vec<u8>> {
        let (seq, value) = self.records.get_mut(topic)?.get_mut(&p)?.remove(&offset)?;
        self.aged.remove(&seq);
        self.bytes -= value.len();
        Some(value)
    }

    fn keep(&mut self, topic: &str, p: i32, offset: i64, value: Vec<u8>) {
        let _ = self.take(topic, p, offset);
        self.seq += 1;
        self.bytes += value.len();
        self.aged.insert(self.seq, (topic.to_string(), p, offset));
        let partition = match self.records.get_mut(topic) {
            Some(partitions) => partitions.entry(p).or_default(),
            None => self
                .records
                .entry(topic.to_string())
                .or_default()
                .entry(p)
                .or_default(),
        };
        partition.insert(offset, (self.seq, value));
        while self.bytes > KEPT_BYTES {
            let Some((_, (t, op, oo))) = self.aged.pop_first() else {
                break;
            };
            let dropped = self
                .records
                .get_mut(&t)
                .and_then(|k| k.get_mut(&op))
                .and_then(|k| k.remove(&oo));
            if let Some((_, value)) = dropped {
                self.bytes -= value.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Kept, KEPT_BYTES};

    #[test]
    fn a_kept_record_is_taken_once() {
        let mut kept = Kept::default();
        kept.keep("t", 0, 5, b"five".to_vec());
        kept.keep("t", 1, 5, b"other".to_vec());
        assert_eq!(kept.take("t", 0, 5).as_deref(), Some(&b"five"[..]));
        assert_eq!(kept.take("t", 0, 5), None);
        assert_eq!(kept.take("u", 1, 5), None);
        assert_eq!(kept.bytes, 5);
        assert_eq!(kept.aged.len(), 1);
    }

    #[test]
    fn what_is_kept_stays_within_its_bytes_dropping_the_oldest() {
        let mut kept = Kept::default();
        let record = vec![0u8; 64 << 10];
        let n = (KEPT_BYTES / record.len()) as i64 * 2;
        for offset in 0..n {
            kept.keep("t", 0, offset, record.clone());
            assert!(kept.bytes <= KEPT_BYTES);
        }
        assert_eq!(kept.take("t", 0, 0), None, "the oldest went first");
        assert!(kept.take("t", 0, n - 1).is_some(), "the newest stays");
        assert_eq!(kept.aged.len() * record.len(), kept.bytes);
    }
}
