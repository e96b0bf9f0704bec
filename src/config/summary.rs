//! `--summary` and `--expect`: where a run's summary goes and what the run
//! waits for, checked before anything runs.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cli::{SummaryChoice, SummaryFormat};
use crate::error;
use crate::output::summary::{SummaryKind, SummaryTo};
use crate::select::Expectations;

/// publish's `--summary`: a stderr format and a JSON file, no JUnit (it has
/// no --expect).
pub(super) fn publish_summary(choices: &[SummaryChoice]) -> Result<SummaryTo> {
    if choices.iter().any(|c| matches!(c, SummaryChoice::Junit(_))) {
        return Err(error::usage(
            "--summary junit=FILE reports the expectations of tail and replay: publish has none (json=FILE writes its summary)",
        ));
    }
    Ok(summaries(choices, &None)?.0)
}

fn summary(f: SummaryFormat) -> SummaryKind {
    match f {
        SummaryFormat::Auto => SummaryKind::Auto,
        SummaryFormat::Table => SummaryKind::Table,
        SummaryFormat::Json => SummaryKind::Json,
        SummaryFormat::None => SummaryKind::None,
    }
}

/// `--summary` given any number of times: at most one stderr format (auto
/// when none), at most one JSON file (whose directory must exist) and at
/// most one JUnit file, which needs --expect.
pub(super) fn summaries(
    choices: &[SummaryChoice],
    expect: &Option<Expect>,
) -> Result<(SummaryTo, Option<PathBuf>)> {
    let mut format = None;
    let mut file = None;
    let mut junit = None;
    for choice in choices {
        match choice {
            SummaryChoice::Format(f) if format.is_none() => format = Some(summary(*f)),
            SummaryChoice::JsonFile(path) if file.is_none() => file = Some(path.clone()),
            SummaryChoice::Junit(path) if junit.is_none() => junit = Some(path.clone()),
            SummaryChoice::Format(_) => {
                return Err(error::usage(
                    "--summary: give one of auto, table, json, none (and json=FILE or junit=FILE beside it)",
                ))
            }
            SummaryChoice::JsonFile(_) => {
                return Err(error::usage("--summary: one json=FILE at most"))
            }
            SummaryChoice::Junit(_) => {
                return Err(error::usage("--summary: one junit=FILE at most"))
            }
        }
    }
    if junit.is_some() && expect.is_none() {
        return Err(error::usage(
            "--summary junit=FILE reports expectations: it needs --expect FILE",
        ));
    }
    if let Some(path) = &file {
        // Said now, not after the run: a file that cannot be where asked.
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if path.is_dir() || !dir.is_dir() {
            return Err(error::usage(format!(
                "--summary json={}: {}",
                path.display(),
                if path.is_dir() {
                    "is a directory"
                } else {
                    "its directory does not exist"
                }
            )));
        }
    }
    let to = SummaryTo {
        kind: format.unwrap_or(SummaryKind::Auto),
        file,
    };
    Ok((to, junit))
}

/// Longest expectation file read: a million ids fit many times over, and a
/// mistaken `--expect /dev/zero` stops here.
const EXPECT_LIMIT: u64 = 64 << 20;

/// A file's bytes, refused past `limit`.
fn read_bounded(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "longer than {:.1} MB",
            limit as f64 / 1e6
        )));
    }
    Ok(bytes)
}

/// What `--expect` asks for.
pub struct Expect {
    /// The expectations of the file, each met or not yet.
    pub expectations: Expectations,
    /// --expect-once: an expectation met twice fails the run.
    pub once: bool,
}

pub(super) fn expect(file: Option<&std::path::Path>, once: bool) -> Result<Option<Expect>> {
    let Some(file) = file else {
        return Ok(None);
    };
    let name = file.display().to_string();
    let text = read_bounded(file, EXPECT_LIMIT)
        .map_err(|e| error::usage(format!("--expect {name}: {e}")))?;
    let text = String::from_utf8(text).map_err(|e| {
        error::usage(format!(
            "--expect {name}: not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let expectations = Expectations::parse(&name, &text).map_err(error::usage)?;
    Ok(Some(Expect { expectations, once }))
}
