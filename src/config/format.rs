//! `--format` templates and `--fields` columns, as tail and replay take
//! them.

use anyhow::Result;

use crate::error;
use crate::output::records::Columns;
use crate::output::template::{Subject, Template};

/// A `--format` template, compiled; a usage error names the placeholder.
pub(super) fn template(text: &str, subject: Subject) -> Result<Template> {
    Template::parse(text, subject).map_err(|e| error::usage(format!("--format {text:?}: {e}")))
}

/// `--fields` (else `default`), as columns.
pub(super) fn columns(
    fields: &[String],
    default: Vec<String>,
    tab: bool,
    subject: Subject,
) -> Result<Columns> {
    let names = if fields.is_empty() {
        default
    } else {
        fields.to_vec()
    };
    let templates =
        Template::columns(&names, subject).map_err(|e| error::usage(format!("--fields: {e}")))?;
    let names = names
        .iter()
        .map(|n| {
            n.trim()
                .trim_start_matches('{')
                .trim_end_matches('}')
                .to_string()
        })
        .collect();
    Ok(Columns {
        tab,
        names,
        templates,
    })
}
