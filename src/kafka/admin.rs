//! What the cluster looks like and changes to it: metadata checks before a
//! command starts, topic creation, the controller, and the report `health`
//! prints (brokers, partitions with leaders and ISR, offsets, group lag).

mod configs;
mod diagnosis;
mod metadata;
mod report;
mod topics;

pub use configs::record_limits;
pub use diagnosis::why_unacknowledged;
pub use metadata::{partitions, partitions_patiently, producer_topic, reachable};
pub use report::cluster_report;
pub use topics::{create_topic, delete_topic, describe_topic, topics, TopicSpec};
