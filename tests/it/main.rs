//! The integration tests: one binary (one link of librdkafka), a module per
//! command. Each test starts its own Redis on free loopback ports and shares
//! one Apache Kafka broker with the others, or starts its own nodes
//! through `common` and runs the real `dualstream` binary.

mod common;

mod cluster;
mod exactly_once;
mod expect;
mod faults;
mod gaps;
mod generated;
mod glob_redis;
mod golden;
mod health;
mod hints;
mod kafka_cluster;
mod kafka_security;
mod kraft;
mod notes;
mod profile;
mod publish;
mod redis_cut;
mod replay;
mod resume;
mod scripts;
mod security;
mod serve;
mod serve_auth;
mod serve_browser;
mod serve_resilience;
mod sharded_notify;
mod soak;
mod tail;
mod terminal;
mod topic;
mod topology;
