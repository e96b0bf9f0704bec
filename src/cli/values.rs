//! The values flags take: formats, codecs, choices.

use std::path::PathBuf;

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
    /// The payload only, one a line.
    Raw,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReplayFormat {
    Ndjson,
    Envelope,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}
