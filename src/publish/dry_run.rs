//! `publish --dry-run`: every line checked as publish would, nothing sent.

use anyhow::Result;
use tokio::sync::mpsc;

use crate::config::{Common, OnInvalid, PublishConfig};
use crate::error::{self, Code};
use crate::event;
use crate::input::{Chunk, Entry};
use crate::output::records;
use crate::output::Output;

/// Validate and print what would be sent, one JSON object a line, without
/// connecting to anything.
pub(super) async fn dry_run(
    common: &Common,
    cfg: &PublishConfig,
    mut rx: mpsc::Receiver<Chunk>,
    out: &Output,
) -> Result<Code> {
    let mut stdout = out.data(false);
    let (mut valid, mut invalid) = (0u64, 0u64);
    while let Some(chunk) = rx.recv().await {
        for item in chunk {
            match item {
                Entry::Event { at, .. } | Entry::Invalid { at, .. } if super::skipped(cfg, at) => {}
                Entry::Event { at, event, .. } => {
                    valid += 1;
                    // With Redis on: the channel and the notification, as
                    // publish would send them but for the Kafka coordinates.
                    let notified = common
                        .redis
                        .as_ref()
                        .map(|_| event::notification(&cfg.channel, &event, &common.topic, None));
                    records::write_dry_run_line(
                        &mut stdout,
                        &cfg.sources[at.source as usize].name,
                        at.line,
                        &common.topic,
                        &event,
                        notified,
                    )?;
                }
                Entry::Invalid {
                    at, column, reason, ..
                } => {
                    invalid += 1;
                    let name = &cfg.sources[at.source as usize].name;
                    let place = match column {
                        Some(c) => format!("{name}:{}:{c}", at.line),
                        None => format!("{name}:{}", at.line),
                    };
                    if cfg.on_invalid == OnInvalid::Fail {
                        stdout.finish()?;
                        return Err(error::fail(
                            Code::InvalidInput,
                            format!("{place}: {reason}"),
                        ));
                    }
                    out.warn(&format!("{place}: {reason}"));
                }
                Entry::Broken(message) => return Err(anyhow::anyhow!(message)),
                Entry::Unusable(message) => return Err(error::fail(Code::InvalidInput, message)),
            }
        }
    }
    stdout.finish()?;
    out.info(&format!(
        "dry run: {valid} valid events, {invalid} invalid; nothing was sent"
    ));
    Ok(Code::Success)
}
