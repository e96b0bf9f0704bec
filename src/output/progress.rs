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
    /// Counted and not yet given to the bar, and in how many calls: the bar
    /// moves every [`BAR_EVERY`] calls (each move reads the clock).
    pub(super) unshown: (u64, u32),
}

const BAR_EVERY: u32 = 256;

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// Count `events` and `bytes`; the bar moves by whichever its unit is.
    pub fn advance(&mut self, events: u64, bytes: u64) {
        self.events += events;
        self.bytes += bytes;
        self.unshown.0 += if self.unit == Unit::Records {
            events
        } else {
            bytes
        };
        self.unshown.1 += 1;
        if self.unshown.1 >= BAR_EVERY {
            self.show();
        }
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

    /// Move the bar by what was counted since it last moved.
    fn show(&mut self) {
        let (unshown, _) = std::mem::take(&mut self.unshown);
        if unshown > 0 {
            self.bar.inc(unshown);
        }
    }

    /// Short status text beside the bar (e.g. acknowledged counts).
    pub fn message(&mut self, text: String) {
        self.show();
        self.bar.set_message(text);
    }

    pub fn finish(&mut self) {
        self.show();
        self.bar.finish_and_clear();
    }
}
