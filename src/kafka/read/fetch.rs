//! Single records by their coordinates (`tail --fetch`).

use std::time::Duration;

use anyhow::Result;
use rdkafka::message::Message;
use tokio::sync::oneshot;

use super::read_at;
use crate::kafka::{admin, config, Consumer, KafkaSettings};

type FetchRequest = (String, i32, i64, oneshot::Sender<Result<Vec<u8>, String>>);

/// Fetches single records by their coordinates on a thread of its own, with
/// one consumer reassigned to each (`tail --fetch`).
pub struct Fetcher {
    tx: std::sync::mpsc::Sender<FetchRequest>,
}

/// How long Kafka may take to answer a fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

impl Fetcher {
    /// The fetcher, once a broker answers: with the cluster unreachable
    /// `tail --fetch` fails at the start (exit 4), instead of waiting out
    /// a fetch for each notification.
    pub fn start(settings: &KafkaSettings) -> Result<Fetcher> {
        let consumer = config::consumer(settings, None)?;
        admin::reachable(&consumer, settings, FETCH_TIMEOUT)?;
        let (tx, rx) = std::sync::mpsc::channel::<FetchRequest>();
        std::thread::spawn(move || {
            for (topic, p, offset, reply) in rx {
                let _ = reply.send(fetch_exact(&consumer, &topic, p, offset));
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

fn fetch_exact(consumer: &Consumer, topic: &str, p: i32, offset: i64) -> Result<Vec<u8>, String> {
    let m = read_at(consumer, topic, p, offset, FETCH_TIMEOUT).map_err(|e| e.to_string())?;
    if m.offset() != offset {
        return Err(format!(
            "{topic}/{p}@{offset} is gone (next is {})",
            m.offset()
        ));
    }
    Ok(m.payload().unwrap_or_default().to_vec())
}
