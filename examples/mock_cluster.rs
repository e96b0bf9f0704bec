//! A librdkafka mock cluster that other processes can use, for
//! `scripts/bench.sh`: its brokers listen on loopback ports, so publish,
//! replay and librdkafka's own tools can all talk to the same in-memory
//! topics without a broker being the bottleneck.
//!
//!   cargo run --release --example mock_cluster -- [BROKERS] [TOPIC:PARTITIONS ...]
//!
//! Prints the bootstrap servers on one line of stdout, then holds the cluster
//! until its stdin closes (or it is killed).
//!
//! Unlike `rdkafka::mocking::MockCluster`, this sets the mock's initial group
//! rebalance delay to 0 (librdkafka's mock waits 3 s before a new group's
//! first assignment, as Kafka does by default), so that a consumer group's
//! whole run measures reading, not that wait. Each mock partition keeps only
//! its newest ~5 MB: give a topic enough partitions for what it must hold.

use std::ffi::{CStr, CString};
use std::io::{Read, Write};
use std::process::ExitCode;

use rdkafka::bindings as rd;
use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::ClientConfig;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let brokers: i32 = match args.next().map(|a| a.parse()) {
        None => 3,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("mock_cluster: the first argument is the number of brokers (1 or more)");
            return ExitCode::from(2);
        }
    };
    // The client that owns the mock cluster; it lives until the process exits.
    let owner: BaseProducer = match ClientConfig::new().create() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mock_cluster: {e}");
            return ExitCode::FAILURE;
        }
    };
    // SAFETY: the handle is valid for as long as `owner`, which outlives every use below.
    let cluster = unsafe { rd::rd_kafka_mock_cluster_new(owner.client().native_ptr(), brokers) };
    if cluster.is_null() {
        eprintln!("mock_cluster: librdkafka could not create the mock cluster");
        return ExitCode::FAILURE;
    }
    // SAFETY: `cluster` is a live mock cluster (checked non-null above).
    unsafe { rd::rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0) };
    for spec in args {
        let (topic, partitions) = match spec.split_once(':').map(|(t, p)| (t, p.parse::<i32>())) {
            Some((t, Ok(p))) if !t.is_empty() && p > 0 => (t.to_string(), p),
            _ => {
                eprintln!("mock_cluster: {spec:?}: expected TOPIC:PARTITIONS");
                return ExitCode::from(2);
            }
        };
        let Ok(name) = CString::new(topic.as_str()) else {
            eprintln!("mock_cluster: {topic:?}: a topic name has no NUL byte");
            return ExitCode::from(2);
        };
        // SAFETY: live cluster, NUL-terminated name that outlives the call.
        let err = unsafe { rd::rd_kafka_mock_topic_create(cluster, name.as_ptr(), partitions, 1) };
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            eprintln!("mock_cluster: creating {topic}: error {err:?}");
            return ExitCode::FAILURE;
        }
    }
    // SAFETY: the bootstrap string belongs to the live cluster and is copied at once.
    let bootstrap = unsafe { CStr::from_ptr(rd::rd_kafka_mock_cluster_bootstraps(cluster)) }
        .to_string_lossy()
        .into_owned();
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{bootstrap}")
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    // Hold the cluster while whoever started us keeps our stdin open.
    let mut sink = [0u8; 64];
    while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
    // SAFETY: destroyed once, before its owner client.
    unsafe { rd::rd_kafka_mock_cluster_destroy(cluster) };
    drop(owner);
    ExitCode::SUCCESS
}
