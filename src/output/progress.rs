//! Progress on stderr: a bar on a terminal, a plain line every few seconds
//! on a pipe when asked (`--progress`, for CI logs), nothing otherwise.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;

/// What a progress bar counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Records,
}

/// Progress of a run; see [`Output::progress`].
pub struct Progress {
    pub(super) bar: ProgressBar,
    pub(super) unit: Unit,
    pub(super) plain: bool,
    pub(super) started: Instant,
    pub(super) last_line: Instant,
    pub(super) events: u64,
    pub(super) bytes: u64,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// Count `events` and `bytes`; the bar moves by whichever its unit is.
    pub fn advance(&mut self, events: u64, bytes: u64) {
        self.events += events;
        self.bytes += bytes;
        self.bar.inc(if self.unit == Unit::Records {
            events
        } else {
            bytes
        });
        if self.plain && self.last_line.elapsed() >= PLAIN_EVERY {
            self.last_line = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(1e-9);
            super::stderr_line(format_args!(
                "dualstream: progress: {} events, {:.1} MB, {:.0} events/s",
                self.events,
                self.bytes as f64 / 1e6,
                self.events as f64 / secs
            ));
        }
    }

    /// Short status text beside the bar (e.g. acknowledged counts).
    pub fn message(&self, text: String) {
        self.bar.set_message(text);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
