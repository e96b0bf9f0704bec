//! The real `dualstream` binary, run or spawned, and what it printed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// Runs the real binary with a clean environment.
pub struct Dualstream {
    cmd: Command,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    stdin_file: Option<PathBuf>,
}

pub fn dualstream() -> Dualstream {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dualstream"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1");
    Dualstream {
        cmd,
        args: Vec::new(),
        stdin: None,
        stdin_file: None,
    }
}

impl Dualstream {
    pub fn arg(mut self, a: impl AsRef<str>) -> Self {
        self.args.push(a.as_ref().to_string());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Self {
        for a in args {
            self.args.push(a.as_ref().to_string());
        }
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Redirect stdin from a file (`< file`).
    pub fn stdin_file(mut self, path: &Path) -> Self {
        self.stdin_file = Some(path.to_path_buf());
        self
    }

    /// Point at a Kafka broker and a Redis (or `off`), with a topic.
    pub fn brokers(self, kafka: &str, redis: &str, topic: &str) -> Self {
        self.args(["--brokers", kafka, "--redis", redis, "--topic", topic])
    }

    pub fn run(mut self) -> Run {
        self.cmd.args(&self.args);
        let stdin = match &self.stdin_file {
            Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
            None => Stdio::piped(),
        };
        self.cmd
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = self.cmd.spawn().expect("run dualstream");
        let stdin = child.stdin.take();
        let input = self.stdin.take().unwrap_or_default();
        let writer = std::thread::spawn(move || {
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(&input);
            }
        });
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Run {
            args: self.args,
            output,
            elapsed: started.elapsed(),
        }
    }

    /// Start without waiting, with the given stdin, stdout and stderr (a
    /// terminal's, for instance).
    pub fn spawn_with(mut self, stdin: Stdio, stdout: Stdio, stderr: Stdio) -> Child {
        self.cmd.args(&self.args);
        self.cmd.stdin(stdin).stdout(stdout).stderr(stderr);
        self.cmd.spawn().expect("run dualstream")
    }

    /// Start without waiting; stdin stays open for the test to write.
    pub fn spawn(mut self) -> Child {
        self.cmd.args(&self.args);
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.cmd.spawn().expect("run dualstream")
    }
}

pub struct Run {
    pub args: Vec<String>,
    pub output: Output,
    pub elapsed: Duration,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Assert the exit code, printing everything about the run when it differs.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(self.code(), code, "{}", self.describe());
        self
    }

    pub fn describe(&self) -> String {
        format!(
            "dualstream {}\nexit: {:?} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.args.join(" "),
            self.output.status.code(),
            self.elapsed,
            self.stdout(),
            self.stderr()
        )
    }

    /// The `--summary json` document: the last stderr line that parses as JSON.
    pub fn summary(&self) -> serde_json::Value {
        self.stderr()
            .lines()
            .rev()
            .find_map(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .filter(|v| v.is_object())
            })
            .unwrap_or_else(|| panic!("no JSON summary on stderr\n{}", self.describe()))
    }
}

/// A running `tail` (or any long-running command): its stdout and stderr
/// lines arrive on channels, and every failure to see what was awaited
/// shows the arguments and everything it printed so far.
pub struct Tailing {
    pub child: Child,
    pub args: Vec<String>,
    pub stderr: std::sync::mpsc::Receiver<String>,
    stdout: std::sync::mpsc::Receiver<String>,
    /// Lines taken off the channels so far, for the failure messages.
    seen_out: std::cell::RefCell<Vec<String>>,
    seen_err: std::cell::RefCell<Vec<String>>,
}

/// Lines of a child's stream as they come, split at `\n` only and read
/// lossily: bytes that are not UTF-8 do not end the stream.
fn raw_lines(r: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = std::io::BufReader::new(r);
        let mut line = Vec::new();
        loop {
            line.clear();
            match std::io::BufRead::read_until(&mut r, b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    if tx
                        .send(String::from_utf8_lossy(&line).into_owned())
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// `dualstream --redis REDIS tail ARGS…`.
pub fn tail(redis: &str, args: &[&str]) -> Tailing {
    dualstream()
        .args(["--redis", redis, "tail"])
        .args(args)
        .start()
}

impl Dualstream {
    /// Spawn it as a [`Tailing`]: lines as they come, failures that say all.
    pub fn start(self) -> Tailing {
        let args = self.args.clone();
        let mut child = self.spawn();
        let stderr = lines(child.stderr.take().unwrap());
        let stdout = raw_lines(child.stdout.take().unwrap());
        Tailing {
            child,
            args,
            stderr,
            stdout,
            seen_out: Default::default(),
            seen_err: Default::default(),
        }
    }
}

impl Tailing {
    /// The arguments and everything printed so far (what the channels
    /// still hold included), for a failure message.
    pub fn describe(&self) -> String {
        self.seen_out.borrow_mut().extend(self.stdout.try_iter());
        self.seen_err.borrow_mut().extend(self.stderr.try_iter());
        format!(
            "dualstream {}\n--- stdout\n{}\n--- stderr\n{}",
            self.args.join(" "),
            self.seen_out.borrow().join("\n"),
            self.seen_err.borrow().join("\n")
        )
    }

    /// Wait for a stderr line containing `text`; the lines seen so far.
    pub fn wait_stderr(&self, text: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.stderr.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    self.seen_err.borrow_mut().push(line.clone());
                    let hit = line.contains(text);
                    seen.push(line);
                    if hit {
                        return seen;
                    }
                }
                Err(_) => panic!(
                    "no stderr line with {text:?} within 30 s\n{}",
                    self.describe()
                ),
            }
        }
    }

    /// The next `n` stdout lines, each within `limit`.
    pub fn lines(&self, n: usize, limit: Duration) -> Vec<String> {
        (0..n)
            .map(|i| match self.stdout.recv_timeout(limit) {
                Ok(line) => {
                    self.seen_out.borrow_mut().push(line.clone());
                    line
                }
                Err(_) => panic!(
                    "stdout line {} of {n} did not come within {limit:?}\n{}",
                    i + 1,
                    self.describe()
                ),
            })
            .collect()
    }

    /// Wait for the exit (30 s at most): the code, and the stdout and
    /// stderr lines not taken yet (by [`Tailing::lines`],
    /// [`Tailing::wait_stderr`]).
    pub fn finish(mut self) -> (Option<i32>, String, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s.code();
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("did not exit within 30 s\n{}", self.describe());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader threads end at EOF, once the process is gone.
        let out: Vec<String> = self.stdout.iter().collect();
        let err: Vec<String> = self.stderr.iter().collect();
        let mut stdout = out.join("\n");
        if !stdout.is_empty() {
            stdout.push('\n');
        }
        (status, stdout, err.join("\n"))
    }
}

impl Run {
    /// Assert the exit code and that stderr mentions `text` (a failure's
    /// message, or a warning of a run that succeeded).
    pub fn expect_stderr(self, code: i32, text: &str) -> Self {
        let run = self.expect_code(code);
        assert!(
            run.stderr().contains(text),
            "stderr lacks {text:?}\n{}",
            run.describe()
        );
        run
    }
}
