//! A pseudo-terminal for a child's stdout or stderr, and what a terminal
//! of that size would show after the bytes written to it.

use std::fs::File;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A terminal `cols` wide: hand [`Pty::stdio`] to a child, read what it
/// wrote with [`Pty::written`] and [`Pty::screen`].
pub struct Pty {
    slave: Option<File>,
    written: Arc<Mutex<Vec<u8>>>,
    closed: Arc<std::sync::atomic::AtomicBool>,
    cols: usize,
}

impl Pty {
    pub fn new(cols: u16, rows: u16) -> Pty {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: both fds are written by openpty; name and termios may be
        // null, the window size is read only.
        let r = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: openpty returned two fresh descriptors that nothing else owns.
        let (mut master, slave) = unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) };
        let written = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (sink, end) = (written.clone(), closed.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // EIO once every copy of the slave is closed: the end.
            while let Ok(n @ 1..) = master.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            end.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        Pty {
            slave: Some(slave),
            written,
            closed,
            cols: usize::from(cols),
        }
    }

    /// The terminal's side, for a child's stdout or stderr.
    pub fn stdio(&self) -> Stdio {
        Stdio::from(self.slave.as_ref().unwrap().try_clone().unwrap())
    }

    /// Close this side's copy once the child has it: the reader sees the
    /// end when the child exits.
    pub fn release(&mut self) {
        self.slave = None;
    }

    /// Everything written so far, as text.
    pub fn written(&self) -> String {
        String::from_utf8_lossy(&self.written.lock().unwrap()).into_owned()
    }

    /// Wait until what was written contains `text` (panics after `limit`
    /// with everything written).
    pub fn wait_for(&self, text: &str, limit: Duration) {
        let until = Instant::now() + limit;
        while !self.written().contains(text) {
            assert!(
                Instant::now() < until,
                "{text:?} never showed on the terminal within {limit:?}; it shows:\n{}\nwritten: {:?}",
                self.screen().join("\n"),
                self.written()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until every writer has closed the terminal (the child exited
    /// and [`Pty::release`] was called): all it wrote has been read.
    pub fn wait_closed(&self, limit: Duration) {
        let until = Instant::now() + limit;
        while !self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            assert!(
                Instant::now() < until,
                "the terminal was not closed within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The lines the terminal shows now (trailing blanks trimmed).
    pub fn screen(&self) -> Vec<String> {
        screen(&self.written(), self.cols)
    }
}

/// What a terminal `cols` wide shows after `written`: printable text, CR,
/// LF (the pty turns it into CR LF), backspace, and the CSI sequences that
/// progress bars use (cursor up/down/left/right/column, erase line, erase
/// below); colours and modes are ignored. Lines scrolled away are kept.
pub fn screen(written: &str, cols: usize) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = written.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                row += 1;
                col = 0;
                if row == lines.len() {
                    lines.push(Vec::new());
                }
            }
            '\x08' => col = col.saturating_sub(1),
            '\x1b' => {
                if chars.peek() != Some(&'[') {
                    chars.next();
                    continue;
                }
                chars.next();
                let mut params = String::new();
                let mut last = '\0';
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() || c == '@' || c == '~' {
                        last = c;
                        break;
                    }
                    params.push(c);
                }
                let n = params
                    .trim_start_matches('?')
                    .split(';')
                    .next()
                    .and_then(|p| p.parse::<usize>().ok());
                let line = &mut lines[row];
                match last {
                    'A' => row = row.saturating_sub(n.unwrap_or(1).max(1)),
                    'B' => {
                        row += n.unwrap_or(1).max(1);
                        while lines.len() <= row {
                            lines.push(Vec::new());
                        }
                    }
                    'C' => col += n.unwrap_or(1).max(1),
                    'D' => col = col.saturating_sub(n.unwrap_or(1).max(1)),
                    'G' => col = n.unwrap_or(1).max(1) - 1,
                    'K' => match n.unwrap_or(0) {
                        0 => line.truncate(col),
                        1 => line.iter_mut().take(col + 1).for_each(|c| *c = ' '),
                        _ => line.clear(),
                    },
                    'J' if n.unwrap_or(0) == 0 => {
                        line.truncate(col);
                        lines.truncate(row + 1);
                    }
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                if col >= cols {
                    row += 1;
                    col = 0;
                    if row == lines.len() {
                        lines.push(Vec::new());
                    }
                }
                let line = &mut lines[row];
                while line.len() < col {
                    line.push(' ');
                }
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    let mut shown: Vec<String> = lines
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_string())
        .collect();
    while shown.last().is_some_and(|l| l.is_empty()) {
        shown.pop();
    }
    shown
}

#[test]
fn the_screen_is_what_a_terminal_would_show() {
    // A bar drawn twice, cleared, then a summary; data; a wrapped line.
    let written =
        "\r\x1b[2K[==>  ] 3 records\r\x1b[2K[===> ] 5 records\r\x1b[2Kdone\r\nab\x1b[1Dc\n";
    assert_eq!(screen(written, 80), vec!["done", "ac"]);
    let up = "one\r\ntwo\r\n\x1b[2A\r\x1b[2Kuno\x1b[1B\rdos\x1b[K";
    assert_eq!(screen(up, 80), vec!["uno", "dos"]);
    assert_eq!(screen("abcdef", 4), vec!["abcd", "ef"]);
}
