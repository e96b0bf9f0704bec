//! The values flags take: formats, codecs, choices.

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::path::PathBuf;

use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
use clap::ValueEnum;

/// How `serve --auth` checks a client's JWT: the one algorithm it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuthChoice {
    /// HMAC-SHA256 with a shared secret (--auth-secret-file, or DUALSTREAM_AUTH_SECRET).
    #[value(name = "hs256")]
    Hs256,
    /// RSA signatures, checked with the PEM public key of --auth-public-key.
    #[value(name = "rs256")]
    Rs256,
    /// Ed25519 signatures, checked with the PEM public key of --auth-public-key.
    #[value(name = "eddsa")]
    EdDsa,
}

/// Record batch compression (`publish --compression`, `replay --to-topic --compression`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    /// The value of librdkafka's `compression.codec`.
    pub fn codec(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

/// What readers see of transactions (`--isolation`, librdkafka's isolation.level).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IsolationChoice {
    /// Only committed transactions (and records written outside any).
    #[value(name = "read_committed")]
    ReadCommitted,
    /// Everything, records of aborted and open transactions too.
    #[value(name = "read_uncommitted")]
    ReadUncommitted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Ndjson,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Auto,
    Table,
    Json,
    None,
}

/// One `--summary`: a format for stderr, the JSON summary to a file, or a
/// JUnit file (tail and replay, with --expect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SummaryChoice {
    Format(SummaryFormat),
    JsonFile(PathBuf),
    Junit(PathBuf),
}

/// A size flag (`--max-line-bytes 1MiB`): bytes, at least one.
pub(super) fn size(text: &str) -> Result<usize, String> {
    match crate::duration::parse_size(text) {
        Ok(0) => Err(format!("{text:?}: at least 1 byte")),
        Ok(n) => usize::try_from(n).map_err(|_| format!("{text:?} is too large")),
        Err(e) => Err(e),
    }
}

pub(super) fn summary_choice(text: &str) -> Result<SummaryChoice, String> {
    for (prefix, example) in [
        ("junit=", "junit=report.xml"),
        ("json=", "json=summary.json"),
    ] {
        if let Some(file) = text.strip_prefix(prefix) {
            if file.is_empty() {
                return Err(format!("{prefix} needs a file name ({example})"));
            }
            let file = PathBuf::from(file);
            return Ok(if prefix == "json=" {
                SummaryChoice::JsonFile(file)
            } else {
                SummaryChoice::Junit(file)
            });
        }
    }
    SummaryFormat::from_str(text, false)
        .map(SummaryChoice::Format)
        .map_err(|_| format!("{text:?}: expected auto, table, json, none, json=FILE or junit=FILE"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    /// Time, channel and compact payload, for people.
    Pretty,
    /// One object a line: received_at, channel, pattern, payload.
    Json,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// The payload only, one a line.
    Raw,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReplayFormat {
    /// Time, partition@offset, key and the value on one line, for people.
    Pretty,
    /// Each value, byte for byte.
    Ndjson,
    /// JSON with partition, offset, timestamp, key, headers, value.
    Envelope,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
}

/// `--format`: one of the named formats, or a template (`{offset} {value.id}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatOr<F> {
    Named(F),
    Template(String),
}

/// Parses `--format`: a value with a brace is a template, anything else
/// one of `F`'s names (whose possible values help and completions show).
#[derive(Clone)]
pub(super) struct FormatParser<F>(PhantomData<F>);

impl<F> FormatParser<F> {
    pub(super) fn new() -> FormatParser<F> {
        FormatParser(PhantomData)
    }
}

impl<F: ValueEnum + Clone + Send + Sync + 'static> TypedValueParser for FormatParser<F> {
    type Value = FormatOr<F>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<FormatOr<F>, clap::Error> {
        match value.to_str() {
            Some(text) if text.contains(['{', '}']) => Ok(FormatOr::Template(text.to_string())),
            _ => EnumValueParser::<F>::new()
                .parse_ref(cmd, arg, value)
                .map(FormatOr::Named),
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            F::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}
