//! Everything dualstream prints goes through here. Terminal or pipe is
//! decided once, in [`Output::new`], and kept private: colours (`--color`,
//! `NO_COLOR`), whether progress bars are drawn, whether the summary is a
//! table, how stdout is flushed. Data goes to stdout; progress, warnings and
//! summaries to stderr.
//!
//! * [`records`]: the one convention for records and messages as JSON, CSV
//!   or text (escaping, non-UTF-8 as base64);
//! * [`summary`]: the one summary type and every command's summary in it,
//!   printed as a table or JSON;
//! * [`report`]: the `health` document, as tables or JSON;
//! * [`profile`]: `profile list|show`, as tables or JSON;
//! * [`topic`]: `topic list|describe` as tables or JSON, and what creating a
//!   topic did;
//! * [`expect`]: how a run with `--expect` ends, and its JUnit report;
//! * [`progress`]: progress bars and plain progress lines.

pub mod expect;
pub mod profile;
pub mod progress;
pub mod records;
pub mod report;
pub mod summary;
pub mod template;
pub mod topic;

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use comfy_table::{presets, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use progress::{Progress, Unit};
pub use records::Style;

/// When to colour output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// How a report document (`health`) is printed on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocFormat {
    Table,
    Json,
}

#[derive(Clone, Debug)]
pub struct Output {
    stdout_tty: bool,
    stderr_tty: bool,
    color: bool,
    color_stdout: bool,
    quiet: bool,
    /// The widths tables are fitted to on stdout and stderr; `None`: as
    /// wide as they need (a pipe).
    stdout_width: Option<u16>,
    stderr_width: Option<u16>,
}

impl Output {
    pub fn new(color: Color, quiet: bool) -> Output {
        let stdout_tty = io::stdout().is_terminal();
        let stderr_tty = io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let colored = |tty: bool| match color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => tty && !no_color,
        };
        Output {
            stdout_tty,
            stderr_tty,
            color: colored(stderr_tty),
            color_stdout: colored(stdout_tty),
            quiet,
            stdout_width: width(stdout_tty, terminal_size::terminal_size_of(io::stdout())),
            stderr_width: width(stderr_tty, terminal_size::terminal_size_of(io::stderr())),
        }
    }

    /// `on_terminal` when stdout is a terminal, else `on_pipe`: for defaults
    /// that differ (tail's format).
    pub fn for_stdout<T>(&self, on_terminal: T, on_pipe: T) -> T {
        if self.stdout_tty {
            on_terminal
        } else {
            on_pipe
        }
    }

    /// Whether what goes to stderr is coloured (`--color`, NO_COLOR, a
    /// terminal): for the `-v` log formatter.
    pub fn colors_stderr(&self) -> bool {
        self.color
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
        stderr_line(format_args!("dualstream: {label}: {message}"));
    }

    /// A line of information on stderr (not data), unless -q.
    pub fn info(&self, message: &str) {
        if !self.quiet {
            stderr_line(format_args!("dualstream: {message}"));
        }
    }

    /// Why a result is (or can only be) empty, on stderr, unless -q: one
    /// `note:` line, so an empty read is never left unexplained.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            stderr_line(format_args!("dualstream: note: {message}"));
        }
    }

    /// The warning callback for lower layers, which never print themselves.
    pub fn warner(&self) -> crate::warn::Warn {
        let out = self.clone();
        std::sync::Arc::new(move |m: &str| out.warn(m))
    }

    /// Progress on stderr: a bar of bytes of `total` when the size is known,
    /// else a running count and rate. On a pipe nothing, unless `force`: then
    /// a plain line every few seconds (for CI logs). Nothing with -q.
    ///
    /// `data_on_stdout`: the command prints records on stdout. When that is
    /// a terminal too, no bar is drawn: stdout and stderr share the screen,
    /// and a bar redrawn between records leaves stale lines among them (kcat
    /// and rpk draw none there either); the summary still comes at the end.
    pub fn progress(
        &self,
        total: Option<u64>,
        force: bool,
        unit: Unit,
        data_on_stdout: bool,
    ) -> Progress {
        let drawn = !self.quiet && self.stderr_tty && !(data_on_stdout && self.stdout_tty);
        let bar = if drawn {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(5));
            bar.set_style(progress::style(total.is_some(), unit));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress {
            bar,
            unit,
            plain: force && !self.quiet && !self.stderr_tty,
            started: Instant::now(),
            last_line: Instant::now(),
            events: 0,
            bytes: 0,
            unshown: (0, 0),
        }
    }

    /// "connecting to WHERE…" on stderr after a second of waiting, on a
    /// terminal only (never on a pipe, never with -q): the first connection
    /// to Kafka can take the whole --timeout when a broker is slow, and a
    /// silent terminal looks hung. Dropping the guard ends the wait and
    /// clears the line, before anything else is printed.
    pub fn connecting(&self, to: &str) -> Connecting {
        if self.quiet || !self.stderr_tty {
            return Connecting { waiter: None };
        }
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let text = format!("connecting to {to}…");
        let waiter = std::thread::spawn(move || {
            use std::sync::mpsc::RecvTimeoutError;
            if wait.recv_timeout(CONNECTING_AFTER) != Err(RecvTimeoutError::Timeout) {
                return;
            }
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            spinner.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.set_message(text);
            spinner.enable_steady_tick(Duration::from_millis(100));
            let _ = wait.recv();
            spinner.finish_and_clear();
        });
        Connecting {
            waiter: Some((done, waiter)),
        }
    }

    /// How records printed on stdout look here: colours, and whether control
    /// characters must be escaped (they must never reach a terminal raw).
    pub fn style(&self) -> Style {
        Style {
            color: self.color_stdout,
            escape: self.stdout_tty,
        }
    }

    /// stdout for data. `live` (tail, replay --follow): each line is seen at
    /// once, because [`Data::idle`] flushes whenever the writer has nothing
    /// more waiting; a bounded run on a pipe writes in blocks. On a terminal
    /// lines always show as soon as the writer is idle.
    pub fn data(&self, live: bool) -> Data {
        Data {
            out: io::BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
            flush_when_idle: live || self.stdout_tty,
        }
    }

    /// A table of report data on stdout (`title` above it when not empty),
    /// fitted to stdout's width.
    pub fn report_table(
        &self,
        w: &mut Data,
        title: &str,
        header: &[&str],
        rows: Vec<Vec<String>>,
    ) -> io::Result<()> {
        let mut table = new_table(self.stdout_width);
        if header.iter().any(|h| !h.is_empty()) {
            table.set_header(header.to_vec());
        }
        for row in rows {
            table.add_row(row);
        }
        if !title.is_empty() {
            writeln!(w, "{title}")?;
        }
        writeln!(w, "{table}")
    }

    /// One JSON document, pretty, on stdout.
    pub fn json_document(&self, w: &mut Data, value: &serde_json::Value) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, value)?;
        writeln!(w)
    }
}

/// The width to fit tables to: `COLUMNS` when set to a number (as clap's
/// help and most terminal tools take it; also how tests fix a width), else
/// the terminal's width, else none: on a pipe a table is as wide as its
/// cells.
fn width(
    tty: bool,
    terminal: Option<(terminal_size::Width, terminal_size::Height)>,
) -> Option<u16> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok());
    match columns {
        Some(c) if c > 0 => Some(c),
        _ if tty => terminal.map(|(w, _)| w.0).filter(|&w| w > 0),
        _ => None,
    }
}

/// A table in dualstream's style, fitted to `width` when there is one:
/// columns shrink and their cells wrap (long words are broken) so that no
/// line is wider than the window. Never left to comfy-table's own terminal
/// check, which looks at stdout even for a table printed on stderr.
pub(crate) fn new_table(width: Option<u16>) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.force_no_tty();
    if let Some(width) = width {
        table.set_width(width);
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    table
}

/// `1 record`, `2 records`: a count and its noun, as every message writes
/// it (plain digits, no thousands separators anywhere: counts and offsets
/// are pasted into commands).
pub fn plural(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// How long a first connection may take before [`Output::connecting`] says so.
const CONNECTING_AFTER: Duration = Duration::from_secs(1);

/// The wait of [`Output::connecting`]; dropping it ends it.
pub struct Connecting {
    waiter: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

impl Drop for Connecting {
    fn drop(&mut self) {
        if let Some((done, waiter)) = self.waiter.take() {
            drop(done);
            let _ = waiter.join();
        }
    }
}

/// One line on stderr. A closed stderr is not an error worth dying for: the
/// line is lost, the run goes on (`eprintln!` would panic).
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// stdout for data, with the flush policy chosen by [`Output::data`]. Every
/// write returns its error: a closed pipe ends the command (quietly, exit 0).
pub struct Data {
    out: io::BufWriter<io::StdoutLock<'static>>,
    flush_when_idle: bool,
}

impl Data {
    /// The writer has nothing more waiting right now: make what was written
    /// visible if this output is live.
    pub fn idle(&mut self) -> io::Result<()> {
        if self.flush_when_idle {
            self.out.flush()
        } else {
            Ok(())
        }
    }

    /// Write out everything (at the end of a run).
    pub fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Write for Data {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
