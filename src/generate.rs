//! `dualstream completions` and `dualstream man`: shell completion scripts
//! and man pages generated from the clap definition, so they never drift
//! from the flags. The committed copies under `completions/` and `man/` are
//! checked against these by a test. The man pages add to what clap_mangen
//! renders the sections a man page has: EXAMPLES (the examples of
//! `--help`), EXIT STATUS (`error.rs`'s table), ENVIRONMENT and FILES.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::{self, Code};
use crate::output::Data;

/// Write the completion script for `shell`.
pub fn completions(shell: Shell, out: &mut Data) -> Result<Code> {
    let mut cmd = Cli::definition(clap::ColorChoice::Never);
    clap_complete::generate(shell, &mut cmd, "dualstream", out);
    out.finish()?;
    Ok(Code::Success)
}

/// Write the top-level man page (roff) to `out`, or `dualstream.1` and one
/// page per subcommand into `dir`.
pub fn man(dir: Option<&Path>, out: &mut Data) -> Result<Code> {
    let cmd = Cli::documented();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
            pages_to(&cmd, dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
        }
        None => {
            page(&cmd, out).context("writing the man page")?;
            out.finish()?;
        }
    }
    Ok(Code::Success)
}

/// `cmd`'s page and those of its subcommands, each in its file.
fn pages_to(cmd: &clap::Command, dir: &Path) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages_to(sub, dir)?;
    }
    let name = clap_mangen::Man::new(cmd.clone()).get_filename();
    let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
    page(cmd, &mut file)?;
    file.flush()
}

/// One page: clap_mangen's sections, then EXAMPLES, EXIT STATUS,
/// ENVIRONMENT and FILES.
fn page(cmd: &clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    let after = cmd
        .get_after_long_help()
        .map(|h| h.to_string())
        .unwrap_or_default();
    // The examples of --help, without their heading (and without the
    // exit-code table the top-level help ends with: EXIT STATUS has it).
    let examples = after.split("\n\nExit status:").next().unwrap_or_default();
    let examples = examples.strip_prefix("Examples:\n").unwrap_or(examples);
    if !examples.trim().is_empty() {
        writeln!(w, ".SH EXAMPLES\n.nf")?;
        for line in examples.lines() {
            writeln!(w, "{}", roff_text(line.strip_prefix("  ").unwrap_or(line)))?;
        }
        writeln!(w, ".fi")?;
    }
    writeln!(w, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in error::MEANINGS {
        writeln!(w, ".TP\n\\fB{}\\fR\n{}", code.number(), roff_text(meaning))?;
    }
    writeln!(w, ".SH ENVIRONMENT")?;
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        if let Some(var) = arg.get_env().and_then(|v| v.to_str()) {
            let flag = arg.get_long().unwrap_or_else(|| arg.get_id().as_str());
            writeln!(
                w,
                ".TP\n\\fB{var}\\fR\nThe default of \\fB\\-\\-{flag}\\fR."
            )?;
        }
    }
    writeln!(
        w,
        ".TP\n\\fBNO_COLOR\\fR\nSet and not empty: no colours with \\fB\\-\\-color auto\\fR.\n\
         .TP\n\\fBRUST_LOG\\fR\nThe \\fB\\-v\\fR log filter (tracing's EnvFilter), over \\fB\\-v\\fR and \\fB\\-q\\fR.\n\
         .TP\n\\fBSSL_CERT_FILE\\fR\nCertificates rediss:// trusts, instead of the system's."
    )?;
    writeln!(
        w,
        ".SH FILES\n.TP\n\\fI$XDG_CONFIG_HOME/dualstream/config.toml\\fR, else \
         \\fI~/.config/dualstream/config.toml\\fR\nThe named profiles (\\fB\\-\\-config\\fR, \
         \\fBDUALSTREAM_CONFIG\\fR; see \\fBdualstream\\-profile\\fR(1)).\n.TP\n\\fB\\-F\\fR \
         \\fIFILE\\fR\nA librdkafka properties file: key=value lines, # comments."
    )?;
    man.render_version_section(w)?;
    Ok(())
}

/// Text for a roff line: backslashes and hyphens escaped, and a line that
/// would start with a control character made text.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
