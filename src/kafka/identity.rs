//! The identity of a log: the cluster's id and the topic's id, so that a
//! position taken in one log is never read as a position in another (a
//! topic deleted and re-created under the same name, another cluster).
//! rdkafka has no safe wrapper for either: the cluster id comes through
//! its client, the topic id through librdkafka's DescribeTopics.

use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use rdkafka::bindings;
use rdkafka::consumer::Consumer as _;

use super::Consumer;

/// Which log a position belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogIdentity {
    /// The cluster's id (KRaft: the cluster's UUID, base64).
    pub cluster: String,
    /// The topic's UUID, its 16 bytes; all zero when the broker has none.
    pub topic: [u8; 16],
}

/// Ask the cluster and the topic's ids, waiting at most `timeout`.
pub fn identity(consumer: &Consumer, topic: &str, timeout: Duration) -> Result<LogIdentity> {
    let started = Instant::now();
    let cluster = consumer
        .client()
        .fetch_cluster_id(timeout)
        .ok_or_else(|| anyhow!("kafka: the cluster did not say its id within {timeout:?}"))?;
    let left = timeout.saturating_sub(started.elapsed());
    let id = topic_id(consumer, topic, left)?;
    Ok(LogIdentity { cluster, topic: id })
}

/// The topic's UUID through DescribeTopics, on a queue of our own.
fn topic_id(consumer: &Consumer, topic: &str, timeout: Duration) -> Result<[u8; 16]> {
    let name = CString::new(topic).map_err(|_| anyhow!("topic name holds a NUL byte"))?;
    let ms = i32::try_from(timeout.as_millis())
        .unwrap_or(i32::MAX)
        .max(1);
    let rk = consumer.client().native_ptr();
    // SAFETY: every pointer below is created here and destroyed before
    // return; `rk` lives as long as `consumer`, which outlives the call.
    // The result's descriptions are read only while the event lives.
    unsafe {
        let queue = bindings::rd_kafka_queue_new(rk);
        let mut names = [name.as_ptr()];
        let topics = bindings::rd_kafka_TopicCollection_of_topic_names(names.as_mut_ptr(), 1);
        bindings::rd_kafka_DescribeTopics(rk, topics, std::ptr::null(), queue);
        let event = bindings::rd_kafka_queue_poll(queue, ms);
        let answer = read_topic_id(event);
        if !event.is_null() {
            bindings::rd_kafka_event_destroy(event);
        }
        bindings::rd_kafka_TopicCollection_destroy(topics);
        bindings::rd_kafka_queue_destroy(queue);
        answer
    }
}

/// The topic id out of a DescribeTopics result event.
///
/// # Safety
/// `event` is null or a live DescribeTopics result event.
unsafe fn read_topic_id(event: *mut bindings::rd_kafka_event_t) -> Result<[u8; 16]> {
    if event.is_null() {
        return Err(anyhow!(
            "kafka: the topic's description did not come in time"
        ));
    }
    let text = |p: *const std::os::raw::c_char| {
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    };
    if bindings::rd_kafka_event_error(event)
        != bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
    {
        return Err(anyhow!(
            "kafka: describing the topic failed: {}",
            text(bindings::rd_kafka_event_error_string(event))
        ));
    }
    let result = bindings::rd_kafka_event_DescribeTopics_result(event);
    if result.is_null() {
        return Err(anyhow!("kafka: no description of the topic came back"));
    }
    let mut count = 0usize;
    let described = bindings::rd_kafka_DescribeTopics_result_topics(result, &mut count);
    if described.is_null() || count == 0 {
        return Err(anyhow!("kafka: no description of the topic came back"));
    }
    let first = *described;
    let error = bindings::rd_kafka_TopicDescription_error(first);
    if !error.is_null()
        && bindings::rd_kafka_error_code(error)
            != bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
    {
        return Err(anyhow!(
            "kafka: describing the topic failed: {}",
            text(bindings::rd_kafka_error_string(error))
        ));
    }
    let uuid = bindings::rd_kafka_TopicDescription_topic_id(first);
    if uuid.is_null() {
        return Ok([0; 16]);
    }
    let high = bindings::rd_kafka_Uuid_most_significant_bits(uuid);
    let low = bindings::rd_kafka_Uuid_least_significant_bits(uuid);
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&high.to_be_bytes());
    id[8..].copy_from_slice(&low.to_be_bytes());
    Ok(id)
}
