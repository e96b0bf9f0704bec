//! `dualstream completions` and `dualstream man`: shell completion scripts
//! and man pages generated from the clap definition, so they never drift
//! from the flags. The committed copies under `completions/` and `man/` are
//! checked against these by a test.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Code;
use crate::output::Data;

/// Write the completion script for `shell`.
pub fn completions(shell: Shell, out: &mut Data) -> Result<Code> {
    clap_complete::generate(shell, &mut Cli::command(), "dualstream", out);
    out.finish()?;
    Ok(Code::Success)
}

/// Write the top-level man page (roff) to `out`, or `dualstream.1` and one
/// page per subcommand into `dir`.
pub fn man(dir: Option<&Path>, out: &mut Data) -> Result<Code> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
            clap_mangen::generate_to(Cli::command(), dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
        }
        None => {
            clap_mangen::Man::new(Cli::command())
                .render(out)
                .context("writing the man page")?;
            out.finish()?;
        }
    }
    Ok(Code::Success)
}
