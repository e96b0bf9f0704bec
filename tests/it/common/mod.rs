//! Test fixtures: real Redis and Apache Kafka servers on free loopback ports, a
//! Kafka reader and a Redis subscriber to check what arrived, and a builder
//! that runs the real `dualstream` binary. Servers stop when dropped.
//!
//! By concern: [`env`] (a test's servers and topic in one value, and a
//! `dualstream` pointed at them), `kafka` (Apache Kafka nodes and clusters),
//! `redis_server` and `cluster` (a redis-server, a Redis Cluster), `records` (what
//! landed in Kafka; test data), `run` (the binary, run or spawned), `proxy`
//! (cut and stalled connections), `process` (ports, children, signals),
//! `sequence` (the sequence checks of the fault tests), `browser` (a headless
//! Chromium driven over the DevTools protocol).

#![allow(dead_code)]

mod browser;
mod cluster;
mod env;
mod kafka;
mod process;
mod proxy;
mod pty;
mod records;
mod redis_server;
mod run;
mod sequence;
pub use browser::*;
pub use cluster::*;
pub use env::*;
pub use kafka::*;
pub use process::*;
pub use proxy::*;
pub use pty::*;
pub use records::*;
pub use redis_server::*;
pub use run::*;
pub use sequence::*;
