//! Progress on stderr: a bar on a terminal, a plain line every few seconds
//! on a pipe when asked (`--progress`, for CI logs), nothing otherwise.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

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
        // The first thing counted moves the bar at once: a `--follow` read
        // of a few records must not sit at "0 records" for BAR_EVERY calls.
        let first = self.events + self.bytes == 0;
        self.events += events;
        self.bytes += bytes;
        self.unshown.0 += if self.unit == Unit::Records {
            events
        } else {
            bytes
        };
        self.unshown.1 += 1;
        if self.unshown.1 >= BAR_EVERY || first {
            self.show();
        }
        if self.plain && self.last_line.elapsed() >= PLAIN_EVERY {
            self.last_line = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(1e-9);
            super::stderr_line(format_args!(
                "dualstream: progress: {}, {}, {:.0} {}/s",
                super::plural(self.events, self.noun()),
                megabytes(self.bytes),
                self.events as f64 / secs,
                self.noun(),
            ));
        }
    }

    /// The reader has nothing waiting: show what was counted (between
    /// bursts the bar would otherwise lag by up to [`BAR_EVERY`] calls).
    pub fn idle(&mut self) {
        self.show();
    }

    /// What a line of progress counts: records read, events published.
    fn noun(&self) -> &'static str {
        match self.unit {
            Unit::Records => "record",
            Unit::Bytes => "event",
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

    /// Clear the bar (before the summary, and on every way out: dropping
    /// the progress clears it too, so an error or Ctrl-C leaves no stale
    /// bar on the screen).
    pub fn finish(&mut self) {
        self.show();
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

/// `12.3 MB`: sizes shown in decimal megabytes everywhere (the summary's
/// MB/s, the bar, progress lines), never MiB.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The bar's look. Rates are whole numbers, bytes decimal (kB, MB), counts
/// plain digits with the noun's plural right: `1 record`, `2 records`.
pub(super) fn style(total: bool, unit: Unit) -> ProgressStyle {
    let template = match (total, unit) {
        (true, Unit::Bytes) => "{spinner} [{elapsed_precise}] {wide_bar} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta} {msg}",
        (false, Unit::Bytes) => "{spinner} [{elapsed_precise}] {decimal_bytes} {decimal_bytes_per_sec} {msg}",
        (true, Unit::Records) => "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{records} {rate} eta {eta} {msg}",
        (false, Unit::Records) => "{spinner} [{elapsed_precise}] {records} {rate} {msg}",
    };
    let records = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let n = state.len().unwrap_or(state.pos());
        let _ = w.write_str(&super::plural(n, "record"));
    };
    let rate = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{}/s", rate_of(state.per_sec()));
    };
    ProgressStyle::with_template(template)
        .map(|s| s.with_key("records", records).with_key("rate", rate))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A rate as a whole number (`32857`, not `32,856.6549`).
fn rate_of(per_sec: f64) -> u64 {
    if per_sec.is_finite() && per_sec > 0.0 {
        per_sec.round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_whole_and_sizes_decimal() {
        assert_eq!(rate_of(32856.6549), 32857);
        assert_eq!(rate_of(f64::NAN), 0);
        assert_eq!(megabytes(1_500_000), "1.5 MB");
        assert_eq!(super::super::plural(1, "record"), "1 record");
        assert_eq!(super::super::plural(0, "record"), "0 records");
        assert_eq!(super::super::plural(12_000, "event"), "12000 events");
    }
}
