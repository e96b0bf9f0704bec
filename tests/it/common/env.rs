//! One test's servers and topic in one value: the shared Apache Kafka broker
//! (or one of the test's own), a Redis of its own when asked for, and a
//! topic of its own; `dualstream()` comes already pointed at them.
//!
//! ```ignore
//! let env = Env::new("ndjson").partitions(3).redis();
//! env.dualstream().arg("publish").stdin(events(0, 10, 2)).run().expect_code(0);
//! assert_eq!(env.records().len(), 10);
//! ```

use super::*;

enum Broker {
    Shared(&'static Kafka),
    Own(Kafka),
}

pub struct Env {
    kafka: Broker,
    redis: Option<Redis>,
    /// The test's topic: named at once, created by [`Env::partitions`].
    pub topic: String,
}

impl Env {
    /// The shared broker and a topic name of the test's own (not created
    /// yet), without Redis.
    pub fn new(name: &str) -> Env {
        Env {
            kafka: Broker::Shared(Kafka::shared()),
            redis: None,
            topic: topic(name),
        }
    }

    /// A broker of the test's own instead of the shared one (a test that
    /// stops, freezes or reconfigures it).
    pub fn own(mut self, kafka: Kafka) -> Env {
        self.kafka = Broker::Own(kafka);
        self
    }

    /// Create the topic with `n` partitions.
    pub fn partitions(self, n: i32) -> Env {
        self.kafka().create_topic(&self.topic, n);
        self
    }

    /// Start a Redis of the test's own.
    pub fn redis(mut self) -> Env {
        self.redis = Some(Redis::start());
        self
    }

    pub fn kafka(&self) -> &Kafka {
        match &self.kafka {
            Broker::Shared(k) => k,
            Broker::Own(k) => k,
        }
    }

    /// The test's Redis; panics when [`Env::redis`] was not called.
    pub fn redis_server(&self) -> &Redis {
        self.redis.as_ref().expect("Env::redis() first")
    }

    pub fn redis_server_mut(&mut self) -> &mut Redis {
        self.redis.as_mut().expect("Env::redis() first")
    }

    /// The Redis URL, or `off` without one.
    pub fn redis_url(&self) -> String {
        self.redis.as_ref().map_or("off".to_string(), Redis::url)
    }

    pub fn brokers(&self) -> String {
        self.kafka().brokers()
    }

    /// `dualstream --brokers … --redis … --topic …`, then what the test adds.
    pub fn dualstream(&self) -> Dualstream {
        dualstream().brokers(&self.brokers(), &self.redis_url(), &self.topic)
    }

    /// `dualstream … tail ARGS…` running, its lines on channels.
    pub fn tail(&self, args: &[&str]) -> Tailing {
        self.dualstream().arg("tail").args(args).start()
    }

    /// Publish `input` to the topic with Kafka only: test data.
    pub fn seed(&self, input: impl Into<Vec<u8>>) {
        seed(self.kafka(), &self.topic, input);
    }

    /// Every record of the topic now.
    pub fn records(&self) -> Vec<Record> {
        self.kafka().records(&self.topic)
    }

    /// A pattern subscription on the test's Redis, collecting from now on.
    pub fn subscribe(&self, pattern: &str) -> Subscriber {
        self.redis_server().subscribe(pattern)
    }
}
