//! `health`'s flags.

use clap::Args;

use super::values::ReportFormat;

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Send one real event through the whole path (Kafka produce and ack, Redis publish and receive) and time each step.
    #[arg(long)]
    pub probe: bool,

    /// Report this consumer group's committed offsets and lag on --topic.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,

    /// Degraded (exit 6) when the group's total lag is over N.
    #[arg(long, value_name = "N", requires = "group")]
    pub max_lag: Option<i64>,

    /// Degraded (exit 6) when the probe takes longer than this end to end.
    #[arg(long, value_name = "DURATION", requires = "probe")]
    pub max_latency: Option<String>,

    /// Channels whose subscriber counts to report (PUBSUB NUMSUB; with --sharded, SHARDNUMSUB at
    /// each channel's slot owner); repeatable.
    #[arg(long = "channel", value_name = "NAME")]
    pub channels: Vec<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, value_name = "FORMAT")]
    pub format: ReportFormat,

    /// Bound on the whole check; an unreachable broker never hangs it longer.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
}
