//! The integration tests: one binary (one link of librdkafka), a module per
//! command. Each test starts its own Redis and Tansu on free loopback ports
//! through `common` and runs the real `dualstream` binary.

mod common;

mod faults;
mod generated;
mod glob_redis;
mod golden;
mod health;
mod publish;
mod replay;
mod security;
mod soak;
mod tail;
