//! `dualstream completions` and `dualstream man`: shell completion scripts
//! and man pages generated from the clap definition, so they never drift
//! from the flags. The committed copies under `completions/` and `man/` are
//! checked against these by a test.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Write the completion script for `shell`.
pub fn completions(shell: Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "dualstream", out);
}

/// Write the top-level man page (roff).
pub fn man(out: &mut dyn Write) -> Result<()> {
    clap_mangen::Man::new(Cli::command())
        .render(out)
        .context("writing the man page")
}

/// Write `dualstream.1` and one page per subcommand into `dir`.
pub fn man_pages(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("writing man pages to {}", dir.display()))
}
