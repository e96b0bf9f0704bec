//! What `health` and `topic` found, as plain data: the Kafka cluster (filled by
//! `kafka::admin`), Redis (filled by `pubsub::info`), the probe and the
//! judgement (filled by the `health` command). Nothing here decides how it
//! looks: `output::report` turns it into tables or the JSON document. It
//! sits beside the broker layers and `output`, so neither imports the other.

/// The whole `health` document.
#[derive(Debug)]
pub struct Report {
    /// `ok`, `degraded`, `kafka_unreachable` or `redis_unreachable`.
    pub status: &'static str,
    pub problems: Vec<String>,
    pub kafka: KafkaReport,
    /// Absent with `--redis off`.
    pub redis: Option<RedisReport>,
    pub probe: Option<ProbeReport>,
}

#[derive(Debug, Default)]
pub struct ProbeReport {
    pub channel: String,
    pub topic: String,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub kafka_ack_ms: Option<f64>,
    pub redis_roundtrip_ms: Option<f64>,
    pub total_ms: Option<f64>,
    /// The step that failed, with why; `None` when the probe went through.
    pub failed: Option<String>,
}

/// What Kafka's metadata, watermarks and the group's offsets say.
#[derive(Debug, Default)]
pub struct KafkaReport {
    pub bootstrap: String,
    pub error: Option<String>,
    pub controller: Option<i32>,
    pub brokers: Vec<BrokerInfo>,
    pub topics: Vec<TopicInfo>,
    pub under_replicated: usize,
    pub offline: usize,
    pub group: Option<GroupInfo>,
}

#[derive(Debug)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

#[derive(Debug)]
pub struct TopicInfo {
    pub name: String,
    pub error: Option<String>,
    /// The cluster does not know the topic (it was asked for by name).
    pub missing: bool,
    pub partitions: Vec<PartitionInfo>,
}

#[derive(Debug)]
pub struct PartitionInfo {
    pub id: i32,
    /// -1 when the partition has no leader.
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub low: Option<i64>,
    pub high: Option<i64>,
    pub under_replicated: bool,
    pub offline: bool,
}

impl PartitionInfo {
    pub fn new(id: i32, leader: i32, replicas: Vec<i32>, isr: Vec<i32>) -> PartitionInfo {
        PartitionInfo {
            id,
            leader,
            under_replicated: isr.len() < replicas.len(),
            offline: leader < 0,
            replicas,
            isr,
            low: None,
            high: None,
        }
    }
}

#[derive(Debug)]
pub struct GroupInfo {
    pub name: String,
    pub topic: String,
    /// Why the group's offsets could not be read (not authorised, no
    /// answer); its partitions are empty then.
    pub error: Option<String>,
    pub total_lag: i64,
    pub partitions: Vec<GroupPartition>,
}

#[derive(Debug)]
pub struct GroupPartition {
    pub partition: i32,
    /// `None` when the group committed nothing for this partition.
    pub committed: Option<i64>,
    pub high: i64,
    pub lag: i64,
}

/// What Redis says about itself (INFO, PUBSUB) and its cluster.
#[derive(Debug, Default)]
pub struct RedisReport {
    pub url: String,
    /// `--sharded`: notifications and subscriptions are sharded Pub/Sub.
    pub sharded: bool,
    pub error: Option<String>,
    pub ping_ms: Option<f64>,
    pub version: Option<String>,
    pub role: Option<String>,
    pub connected_clients: Option<i64>,
    pub used_memory: Option<String>,
    pub pattern_subscriptions: Option<i64>,
    pub channel_subscribers: Vec<(String, i64)>,
    /// A Redis Cluster's state and nodes (the fields above are of the node
    /// that answered); absent for a single Redis.
    pub cluster: Option<ClusterReport>,
}

/// What a cluster node says about the cluster.
#[derive(Debug, Default)]
pub struct ClusterReport {
    /// The node asked (its address, without credentials).
    pub answered_by: String,
    /// `cluster_state` of CLUSTER INFO: `ok` or `fail`.
    pub state: String,
    /// Slots that no master that is up serves (failed or unassigned).
    pub slots_without_master: u32,
    pub nodes: Vec<ClusterNode>,
}

#[derive(Debug, Default)]
pub struct ClusterNode {
    pub address: String,
    pub id: String,
    /// `master` or `replica`, with `(failed)` or `(failing?)`.
    pub role: String,
    /// A replica's master's address.
    pub replica_of: Option<String>,
    pub slots: u32,
    /// The cluster bus link: `connected` or `disconnected`.
    pub link: String,
    pub flags: Vec<String>,
}

/// One topic as `topic describe` shows it (filled by `kafka::admin`).
#[derive(Debug)]
pub struct TopicDetail {
    pub topic: TopicInfo,
    /// Every config entry the broker reports, by name.
    pub configs: Vec<TopicSetting>,
    /// Why the configs are missing, when the cluster did not give them
    /// (the partitions are still shown).
    pub configs_missing: Option<String>,
}

/// One config entry of a topic.
#[derive(Debug)]
pub struct TopicSetting {
    pub name: String,
    /// `None` when the broker does not say (sensitive, or unset).
    pub value: Option<String>,
    /// Where the value comes from: `topic` (set on it), `broker`,
    /// `cluster`, `broker file`, `default`.
    pub source: &'static str,
    pub sensitive: bool,
}

/// What creating a topic did (`topic create`, `publish --create-topic`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// It was created so.
    New {
        partitions: i32,
        factor: i32,
        min_insync: i32,
    },
    /// It was there already and was left as it is.
    Existing {
        partitions: usize,
        factor: usize,
        min_insync: Option<i64>,
        /// Each setting asked for that the topic does not have, as the
        /// topic has it: `3 partitions, not 5`.
        differs: Vec<String>,
    },
}
