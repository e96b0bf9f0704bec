//! The one summary type. A command fills in a [`Summary`] (its JSON
//! document and the rows of its table) and returns it in an [`Ending`];
//! `main` hands that to [`Output::end`], which prints the summary on stderr
//! as a table or JSON, then the notes that belong after it.

use anyhow::Result;
use comfy_table::{presets, Cell, CellAlignment, Table};

use super::Output;
use crate::error::Code;

/// Which summary to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A table on a terminal, nothing on a pipe (or with -q).
    Auto,
    Table,
    Json,
    None,
}

/// The end-of-run summary of a command.
pub struct Summary {
    format: Format,
    title: String,
    json: serde_json::Value,
    rows: Vec<(String, String)>,
}

impl Summary {
    /// A summary titled `title` (the table's header) whose JSON form is `json`.
    pub fn new(format: Format, title: impl Into<String>, json: serde_json::Value) -> Summary {
        Summary {
            format,
            title: title.into(),
            json,
            rows: Vec::new(),
        }
    }

    /// Add a row to the table form.
    pub fn row(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.rows.push((key.into(), value.into()));
    }
}

/// A line printed after the summary.
pub enum Note {
    Warn(String),
    Info(String),
}

/// How a command ended: its result (an exit code, or an error that carries
/// one), the summary to print first, and notes to print after it.
pub struct Ending {
    pub summary: Option<Summary>,
    pub notes: Vec<Note>,
    pub result: Result<Code>,
}

impl Ending {
    /// An ending with nothing to print but the result.
    pub fn bare(result: Result<Code>) -> Ending {
        Ending {
            summary: None,
            notes: Vec::new(),
            result,
        }
    }
}

/// Rounded to three decimals, for JSON summaries.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Output {
    /// Print how a command ended, summary first; returns its result.
    pub fn end(&self, ending: Ending) -> Result<Code> {
        if let Some(summary) = &ending.summary {
            self.summary(summary);
        }
        for note in &ending.notes {
            match note {
                Note::Warn(m) => self.warn(m),
                Note::Info(m) => self.info(m),
            }
        }
        ending.result
    }

    fn summary(&self, s: &Summary) {
        let format = match s.format {
            Format::Auto if self.quiet || !self.stderr_tty => Format::None,
            Format::Auto => Format::Table,
            other => other,
        };
        match format {
            Format::Json => {
                use std::io::Write;
                let mut err = std::io::stderr().lock();
                let _ = serde_json::to_writer(&mut err, &s.json);
                let _ = writeln!(err);
            }
            Format::Table => {
                let mut table = Table::new();
                table.load_preset(presets::UTF8_FULL_CONDENSED);
                if !self.color {
                    table.force_no_tty();
                }
                table.set_header(vec![Cell::new(&s.title), Cell::new("")]);
                for (k, v) in &s.rows {
                    table.add_row(vec![
                        Cell::new(k),
                        Cell::new(v).set_alignment(CellAlignment::Right),
                    ]);
                }
                super::stderr_line(format_args!("{table}"));
            }
            Format::Auto | Format::None => {}
        }
    }
}
