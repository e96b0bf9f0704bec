//! Ports, child processes and their output, signals.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A port nothing listens on (bound, then released).
/// A TCP listener that takes connections (the kernel's backlog) and never
/// answers: a broker that is busy, starting or frozen, as librdkafka meets
/// it. Keep the listener alive for as long as it should stay silent.
pub fn silent_broker() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    (listener, address)
}

pub fn closed_port() -> u16 {
    free_port()
}

pub fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} was not ready within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait until `ready`, failing early when `child` exited: a server that
/// could not bind its port (another test took it between `free_port` and
/// the bind) must not pass as ready by answering through someone else's.
pub fn wait_for_child(
    what: &str,
    child: &mut Child,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{what} exited at start ({status}): port taken?"));
        }
        if ready() {
            // Still ours? A bind failure can take a moment to end the process.
            std::thread::sleep(Duration::from_millis(300));
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("{what} exited at start ({status}): port taken?"));
            }
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("{what} was not ready within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Start a server on a free port, retrying on another when the port was
/// taken meanwhile.
pub fn on_free_port<T>(mut start: impl FnMut(u16) -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..5 {
        match start(free_port()) {
            Ok(server) => return server,
            Err(e) => last = e,
        }
    }
    panic!("could not start a server: {last}");
}

pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Read a child's stderr to the end on a thread.
pub fn collect(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        s
    })
}

/// Lines of a child's stream as they come.
pub fn lines(r: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Every line left on a stream from [`lines`] once its process has exited:
/// read to the end (the reader thread may lag behind the exit), 10 s at
/// most.
pub fn drain(rx: &std::sync::mpsc::Receiver<String>) -> Vec<String> {
    let until = std::time::Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => break,
        }
    }
    got
}

pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let started = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        if started.elapsed() > limit {
            eprintln!("{}", stacks(child.id()));
            let _ = child.kill();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`wait_exit`], and on a hang the child's stderr so far (after its
/// threads' stacks) before the panic: what it was waiting for.
pub fn wait_exit_said(
    child: &mut Child,
    limit: Duration,
    stderr: std::thread::JoinHandle<String>,
) -> (Option<i32>, String) {
    let hung = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wait_exit(child, limit)));
    let said = stderr.join().unwrap();
    match hung {
        Ok(code) => (code, said),
        Err(panic) => {
            eprintln!("--- its stderr ---\n{said}");
            std::panic::resume_unwind(panic)
        }
    }
}

/// Every thread's stack of a process that hangs, by gdb when the machine
/// has it (a hang's cause, where its log says nothing).
fn stacks(pid: u32) -> String {
    let out = Command::new("gdb")
        .args([
            "-p",
            &pid.to_string(),
            "-batch",
            "-nx",
            "-ex",
            "thread apply all bt 30",
        ])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) => format!(
            "--- stacks of {pid}, which hangs ---\n{}",
            String::from_utf8_lossy(&o.stdout)
        ),
        Err(e) => format!("--- no stacks of {pid} (gdb: {e}) ---"),
    }
}

/// Send SIGINT (Ctrl-C) to a process.
pub fn sigint(pid: u32) {
    signal(pid, "-INT");
}

/// Send a signal (`-TERM`, `-STOP`, …) to a process.
pub fn signal(pid: u32, which: &str) {
    let status = std::process::Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
