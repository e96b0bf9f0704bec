//! `profile`'s subcommands and their flags.

use clap::{Args, Subcommand};

use super::examples::PROFILE_EXAMPLES;
use super::values::ReportFormat;

#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[command(subcommand)]
    pub action: ProfileAction,
}

#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// Every profile of the config file: brokers, Redis, topic; the default marked.
    #[command(after_long_help = PROFILE_EXAMPLES)]
    List(ProfileListArgs),
    /// Every setting of one profile, secrets masked.
    #[command(after_long_help = PROFILE_EXAMPLES)]
    Show(ProfileShowArgs),
}

#[derive(Debug, Args)]
pub struct ProfileListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, value_name = "FORMAT")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ProfileShowArgs {
    /// The profile [default: the one --profile (DUALSTREAM_PROFILE) or the file's `default` picks].
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, value_name = "FORMAT")]
    pub format: ReportFormat,
}
