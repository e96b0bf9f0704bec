//! Everything printed goes through here. Terminal or pipe is decided once, in
//! [`Output::new`]: colours (`--color`, `NO_COLOR`), whether progress bars are
//! drawn, what the summary looks like. Data goes to stdout; progress, warnings
//! and summaries to stderr.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use comfy_table::{presets, Cell, CellAlignment, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{ColorChoice, SummaryFormat};

#[derive(Clone, Debug)]
pub struct Output {
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    color: bool,
    color_stdout: bool,
    quiet: bool,
}

impl Output {
    pub fn new(color: ColorChoice, quiet: bool) -> Output {
        let stdout_tty = io::stdout().is_terminal();
        let stderr_tty = io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let colored = |tty: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color,
        };
        Output {
            stdout_tty,
            stderr_tty,
            color: colored(stderr_tty),
            color_stdout: colored(stdout_tty),
            quiet,
        }
    }

    /// A warning on stderr, unless -q.
    pub fn warn(&self, message: &str) {
        if self.quiet {
            return;
        }
        let label = if self.color {
            "\x1b[33mwarning\x1b[0m"
        } else {
            "warning"
        };
        eprintln!("dualstream: {label}: {message}");
    }

    /// A line of information on stderr (not data), unless -q.
    pub fn info(&self, message: &str) {
        if !self.quiet {
            eprintln!("dualstream: {message}");
        }
    }

    /// Progress on stderr: a bar of bytes of `total` when the size is known,
    /// else a running count and rate. On a pipe nothing, unless `force`: then
    /// a plain line every few seconds (for CI logs). Nothing with -q.
    pub fn progress(&self, total: Option<u64>, force: bool, unit: Unit) -> Progress {
        let bar = if self.quiet || !self.stderr_tty {
            ProgressBar::hidden()
        } else {
            let template = match (total, unit) {
                (Some(_), Unit::Bytes) => "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
                (None, Unit::Bytes) => "{spinner} [{elapsed_precise}] {bytes} {bytes_per_sec} {msg}",
                (Some(_), Unit::Records) => "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} records {per_sec} eta {eta} {msg}",
                (None, Unit::Records) => "{spinner} [{elapsed_precise}] {human_pos} records {per_sec} {msg}",
            };
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(5));
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        };
        Progress {
            bar,
            unit,
            plain: force && !self.quiet && !self.stderr_tty,
            started: Instant::now(),
            last_line: Instant::now(),
            events: 0,
            bytes: 0,
        }
    }

    /// Which summary to print, with `auto` resolved: a table on a terminal,
    /// nothing on a pipe; -q prints none unless one was asked for.
    pub fn summary_format(&self, asked: SummaryFormat) -> SummaryFormat {
        match asked {
            SummaryFormat::Auto if self.quiet || !self.stderr_tty => SummaryFormat::None,
            SummaryFormat::Auto => SummaryFormat::Table,
            other => other,
        }
    }

    /// Print `rows` as a two-column table on stderr.
    pub fn table(&self, title: &str, rows: &[(&str, String)]) {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        if !self.color {
            table.force_no_tty();
        }
        table.set_header(vec![Cell::new(title), Cell::new("")]);
        for (k, v) in rows {
            table.add_row(vec![
                Cell::new(k),
                Cell::new(v).set_alignment(CellAlignment::Right),
            ]);
        }
        eprintln!("{table}");
    }

    /// A table of report data on stdout (`title` above it when not empty).
    pub fn report_table(&self, title: &str, header: &[&str], rows: Vec<Vec<String>>) {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        if !self.color_stdout {
            table.force_no_tty();
        }
        if header.iter().any(|h| !h.is_empty()) {
            table.set_header(header.to_vec());
        }
        for row in rows {
            table.add_row(row);
        }
        if !title.is_empty() {
            println!("{title}");
        }
        println!("{table}");
    }

    /// A line of data on stdout.
    pub fn line(&self, text: &str) {
        println!("{text}");
    }

    /// One JSON document on stdout.
    pub fn json_stdout(&self, value: &serde_json::Value) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, value)?;
        writeln!(stdout)
    }

    /// One JSON document on stderr.
    pub fn json_stderr(&self, value: &serde_json::Value) {
        let mut err = io::stderr().lock();
        let _ = serde_json::to_writer(&mut err, value);
        let _ = writeln!(err);
    }

    /// Whether data printed on stdout may carry colours.
    pub fn color_stdout(&self) -> bool {
        self.color_stdout
    }

    /// stdout for data: buffered; callers flush where a line must be seen at once.
    pub fn stdout(&self) -> io::BufWriter<io::StdoutLock<'static>> {
        io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
    }
}

/// What a progress bar counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Records,
}

/// Progress of a run; see [`Output::progress`].
pub struct Progress {
    bar: ProgressBar,
    unit: Unit,
    plain: bool,
    started: Instant,
    last_line: Instant,
    events: u64,
    bytes: u64,
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
            eprintln!(
                "dualstream: progress: {} events, {:.1} MB, {:.0} events/s",
                self.events,
                self.bytes as f64 / 1e6,
                self.events as f64 / secs
            );
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
