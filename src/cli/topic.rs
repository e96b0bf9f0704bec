//! `topic`'s subcommands and their flags.

use clap::{Args, Subcommand};

use super::examples::TOPIC_EXAMPLES;
use super::values::ReportFormat;

#[derive(Debug, Args)]
pub struct TopicArgs {
    #[command(subcommand)]
    pub action: TopicAction,
}

#[derive(Debug, Subcommand)]
pub enum TopicAction {
    /// Create a topic; one that exists already with other settings is reported (exit 4).
    #[command(after_long_help = TOPIC_EXAMPLES)]
    Create(TopicCreateArgs),
    /// Every topic with its partitions, replication factor and messages (end − start offsets).
    #[command(after_long_help = TOPIC_EXAMPLES)]
    List(TopicListArgs),
    /// One topic's partitions (leader, replicas, in-sync replicas, offsets) and configs.
    #[command(after_long_help = TOPIC_EXAMPLES)]
    Describe(TopicDescribeArgs),
    /// Delete a topic and every record in it (needs --yes).
    #[command(after_long_help = TOPIC_EXAMPLES)]
    Delete(TopicDeleteArgs),
}

#[derive(Debug, Args)]
pub struct TopicCreateArgs {
    /// The topic [default: --topic].
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Partitions [default: 3].
    #[arg(long, value_name = "N")]
    pub partitions: Option<i32>,

    /// Replication factor [default: 3, or the number of brokers if fewer].
    #[arg(long, value_name = "N")]
    pub replication_factor: Option<i32>,

    /// min.insync.replicas [default: replication factor − 1, at least 1].
    #[arg(long, value_name = "N")]
    pub min_insync_replicas: Option<i32>,

    /// How long Kafka may take to answer (exit 4).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct TopicListArgs {
    /// Also the internal topics (__consumer_offsets, …).
    #[arg(long)]
    pub internal: bool,

    /// Output format [default: table on a terminal, json (one object a line) on a pipe].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,

    /// How long Kafka may take to answer (exit 4).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct TopicDescribeArgs {
    /// The topic [default: --topic].
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Output format [default: table on a terminal, json on a pipe].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,

    /// How long Kafka may take to answer (exit 4).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}

#[derive(Debug, Args)]
pub struct TopicDeleteArgs {
    /// The topic (never --topic's default: name it).
    #[arg(value_name = "NAME", required = true)]
    pub name: String,

    /// Really delete it, with every record in it.
    #[arg(long)]
    pub yes: bool,

    /// How long Kafka may take to answer (exit 4).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}
