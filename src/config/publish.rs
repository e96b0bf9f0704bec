//! `publish`'s settings: inputs, fields, channel, what to do with an
//! invalid line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::cli::{InputFormat, PublishArgs};
use crate::error;
use crate::event::{ChannelTemplate, Field, FieldMap, FieldPath};
use crate::input::{Source, Syntax};
use crate::kafka::admin::TopicSpec;
use crate::output::summary::SummaryTo;

use super::check::{flag, parse_timeout};
use super::summary::publish_summary;
use super::topic::topic_spec;

/// What to do with an invalid input line.
#[derive(Clone, Debug, PartialEq)]
pub enum OnInvalid {
    /// Stop the run (exit 3).
    Fail,
    /// Count it and go on.
    Skip,
    /// Write it to this file and go on.
    DeadLetter(PathBuf),
}

/// `publish`'s settings.
pub struct PublishConfig {
    /// The inputs, in order (stdin at most once).
    pub sources: Vec<Source>,
    /// Where each event's id, type, source and time are found.
    pub fields: FieldMap,
    /// The Redis channel of each notification.
    pub channel: ChannelTemplate,
    /// --channel as given, when not the default (for a repair command).
    pub channel_flag: Option<String>,
    /// --on-invalid.
    pub on_invalid: OnInvalid,
    /// --max-line-bytes: longest line (NDJSON) or record (CSV).
    pub max_line_bytes: usize,
    /// --skip-lines: lines 1..=N of the first input are not published.
    pub skip_lines: u64,
    /// --dry-run: print what would be sent, connect to nothing.
    pub dry_run: bool,
    /// The stderr summary's format, and --summary json=FILE.
    pub summary: SummaryTo,
    /// --progress: the progress bar even off a terminal.
    pub progress: bool,
    /// --timeout: how long Kafka may take (never zero).
    pub timeout: Duration,
    /// --max-in-flight: most records sent and not yet acknowledged (at least 1).
    pub max_in_flight: usize,
    /// --redis-batch: most notifications in one pipeline (at least 1).
    pub redis_batch: usize,
    /// --redis-required: a failed notification is exit 5 (not only a warning).
    pub redis_required: bool,
    /// Send id/type/source_type headers (not --no-headers).
    pub headers: bool,
    /// With --create-topic: the topic to create if it is missing.
    pub create_topic: Option<TopicSpec>,
}

pub(super) fn publish(args: &PublishArgs) -> Result<PublishConfig> {
    let channel = ChannelTemplate::parse(&args.channel).map_err(error::usage)?;
    let on_invalid = match args.on_invalid.as_str() {
        "fail" => OnInvalid::Fail,
        "skip" => OnInvalid::Skip,
        other => match other.strip_prefix("dead-letter=") {
            Some(file) if !file.is_empty() => OnInvalid::DeadLetter(PathBuf::from(file)),
            _ => {
                return Err(error::usage(format!(
                    "--on-invalid {other}: expected fail, skip or dead-letter=FILE"
                )))
            }
        },
    };
    let field = |constant: &Option<String>, path: &str| match constant {
        Some(c) => Field::Const(c.clone()),
        None => Field::Path(FieldPath::new(path)),
    };
    let fields = FieldMap {
        id: FieldPath::new(&args.id_field),
        kind: field(&args.type_const, &args.type_field),
        source_type: field(&args.source_type_const, &args.source_type_field),
        source_id: field(&args.source_id_const, &args.source_id_field),
        time: FieldPath::new(&args.time_field),
    };
    let files: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(error::usage("stdin (-) can be read only once"));
    }
    let sources = files
        .into_iter()
        .map(|f| source(f, args.format))
        .collect::<Result<Vec<_>>>()?;
    if let OnInvalid::DeadLetter(dead) = &on_invalid {
        check_dead_letter(dead, &sources)?;
    }
    if args.max_in_flight == 0 || args.redis_batch == 0 {
        return Err(error::usage(
            "--max-in-flight and --redis-batch must be at least 1",
        ));
    }
    let spec = topic_spec(
        args.partitions,
        args.replication_factor,
        args.min_insync_replicas,
    )?;
    Ok(PublishConfig {
        sources,
        fields,
        channel,
        channel_flag: (args.channel != "events:{source_type}:{source_id}")
            .then(|| args.channel.clone()),
        on_invalid,
        max_line_bytes: args.max_line_bytes,
        skip_lines: args.skip_lines,
        dry_run: args.dry_run,
        summary: publish_summary(&args.summary)?,
        progress: args.progress,
        timeout: flag("--timeout", parse_timeout(&args.timeout))?,
        max_in_flight: args.max_in_flight,
        redis_batch: args.redis_batch,
        redis_required: args.redis_required,
        headers: !args.no_headers,
        create_topic: args.create_topic.then_some(spec),
    })
}

/// A dead-letter file must not be one of the inputs: writing it would
/// destroy (or endlessly grow) what is being read.
fn check_dead_letter(dead: &std::path::Path, sources: &[Source]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(target) = std::fs::metadata(dead) else {
        return Ok(()); // Not there yet: it cannot be an input.
    };
    for s in sources {
        // stdin: whatever file it was redirected from.
        let input = match &s.path {
            Some(p) => std::fs::metadata(p),
            None => std::fs::metadata("/dev/stdin"),
        };
        if let Ok(input) = input {
            if input.dev() == target.dev() && input.ino() == target.ino() {
                return Err(error::usage(format!(
                    "--on-invalid dead-letter={}: that file is an input ({})",
                    dead.display(),
                    s.name
                )));
            }
        }
    }
    Ok(())
}

fn source(path: PathBuf, format: Option<InputFormat>) -> Result<Source> {
    let by_extension = || match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => Syntax::Csv,
        _ => Syntax::Ndjson,
    };
    let format = match format {
        Some(InputFormat::Csv) => Syntax::Csv,
        Some(InputFormat::Ndjson) => Syntax::Ndjson,
        None => by_extension(),
    };
    if path.as_os_str() == "-" {
        return Ok(Source {
            name: "<stdin>".to_string(),
            path: None,
            format,
            size: None,
        });
    }
    let meta =
        std::fs::metadata(&path).map_err(|e| error::usage(format!("{}: {e}", path.display())))?;
    if meta.is_dir() {
        return Err(error::usage(format!("{}: is a directory", path.display())));
    }
    Ok(Source {
        name: path.display().to_string(),
        size: meta.is_file().then_some(meta.len()),
        format,
        path: Some(path),
    })
}
