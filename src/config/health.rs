//! `health`'s settings.

use std::time::Duration;

use anyhow::Result;

use crate::cli::{HealthArgs, ReportFormat};
use crate::duration::parse_duration;
use crate::output::DocFormat;

use super::check::{flag, parse_timeout};

/// `health`'s settings.
pub struct HealthConfig {
    /// --probe: send one real event through the whole path.
    pub probe: bool,
    /// --group: report this consumer group's offsets and lag.
    pub group: Option<String>,
    /// --max-lag: degraded past this total lag.
    pub max_lag: Option<i64>,
    /// --max-latency: degraded when the probe took longer.
    pub max_latency: Option<Duration>,
    /// --channel: channels whose subscriber counts to report.
    pub channels: Vec<String>,
    /// The report's format.
    pub format: DocFormat,
    /// --timeout: how long each broker may take to answer.
    pub timeout: Duration,
}

pub(super) fn health(args: &HealthArgs) -> Result<HealthConfig> {
    let max_latency = args
        .max_latency
        .as_deref()
        .map(|v| flag("--max-latency", parse_duration(v)))
        .transpose()?;
    Ok(HealthConfig {
        probe: args.probe,
        group: args.group.clone(),
        max_lag: args.max_lag,
        max_latency,
        channels: args.channels.clone(),
        format: match args.format {
            ReportFormat::Table => DocFormat::Table,
            ReportFormat::Json => DocFormat::Json,
        },
        timeout: flag("--timeout", parse_timeout(&args.timeout))?,
    })
}
