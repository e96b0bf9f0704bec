//! Test fixtures: real Redis and Apache Kafka servers on free loopback ports, a
//! Kafka reader and a Redis subscriber to check what arrived, and a builder
//! that runs the real `dualstream` binary. Servers stop when dropped.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

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

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
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
fn wait_for_child(
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
fn on_free_port<T>(mut start: impl FnMut(u16) -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..5 {
        match start(free_port()) {
            Ok(server) => return server,
            Err(e) => last = e,
        }
    }
    panic!("could not start a server: {last}");
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A redis-server of our own.
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl Redis {
    pub fn start() -> Redis {
        Redis::start_with(&[])
    }

    /// Start with extra server arguments (`--requirepass`, ACL rules).
    pub fn start_with(extra: &[&str]) -> Redis {
        let extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
        on_free_port(|port| {
            let mut redis = Redis {
                port,
                child: None,
                dir: tempfile::tempdir().unwrap(),
                extra: extra.clone(),
            };
            redis.try_restart().map(|()| redis)
        })
    }

    pub fn start_on(port: u16) -> Redis {
        let dir = tempfile::tempdir().unwrap();
        let mut redis = Redis {
            port,
            child: None,
            dir,
            extra: Vec::new(),
        };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            kill(&mut c);
        }
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Start (again) on the same port.
    pub fn restart(&mut self) {
        if let Err(e) = self.try_restart() {
            panic!("{e}");
        }
    }

    fn try_restart(&mut self) -> Result<(), String> {
        self.stop();
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(&self.extra)
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server, or scripts/install-brokers.sh)");
        let (port, pid) = (self.port, child.id());
        let password = self
            .extra
            .windows(2)
            .find(|w| w[0] == "--requirepass")
            .map(|w| w[1].clone());
        let ready = wait_for_child("redis-server", &mut child, Duration::from_secs(10), || {
            // The server that answers must be ours, not one of another test
            // that took the port first (this one then failed to bind).
            let url = match &password {
                Some(p) => format!("redis://:{p}@127.0.0.1:{port}"),
                None => format!("redis://127.0.0.1:{port}"),
            };
            let info = redis::Client::open(url)
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("INFO").arg("server").query::<String>(&mut c));
            info.is_ok_and(|info| info.contains(&format!("process_id:{pid}\r\n")))
        });
        self.child = Some(child);
        ready
    }

    /// Subscribe to `pattern` now; messages are collected on a thread.
    pub fn subscribe(&self, pattern: &str) -> Subscriber {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_connection().unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let sink = messages.clone();
        let pattern = pattern.to_string();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut pubsub = conn.as_pubsub();
            pubsub.psubscribe(&pattern).unwrap();
            pubsub
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            ready_tx.send(()).unwrap();
            loop {
                match pubsub.get_message() {
                    Ok(m) => {
                        let payload: String = m.get_payload().unwrap();
                        sink.lock()
                            .unwrap()
                            .push((m.get_channel_name().to_string(), payload));
                    }
                    Err(e) if e.is_timeout() => {
                        if Arc::strong_count(&sink) == 1 {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        ready_rx.recv().unwrap();
        Subscriber { messages }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Messages received by a pattern subscription: (channel, payload).
pub struct Subscriber {
    messages: Arc<Mutex<Vec<(String, String)>>>,
}

impl Subscriber {
    /// Wait until `n` messages arrived (or the timeout passed), then return all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<(String, String)> {
        let deadline = Instant::now() + timeout;
        while self.messages.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.messages.lock().unwrap().clone()
    }

    /// Everything that arrived within `quiet` of waiting.
    pub fn settle(&self, quiet: Duration) -> Vec<(String, String)> {
        std::thread::sleep(quiet);
        self.messages.lock().unwrap().clone()
    }
}

/// Every record of `topic` at `brokers` (Kafka, a proxy, librdkafka's mock
/// cluster), read with assign() from the start of each partition to the end
/// offsets taken now.
pub fn read_records(brokers: &str, topic: &str) -> Result<Vec<Record>, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("log_level", "0")
        .set("group.id", "dualstream-test-reader")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    // A broker just restarted (or a proxy just cut) may refuse a while.
    let mut tries = 0;
    let metadata = loop {
        match consumer.fetch_metadata(Some(topic), Duration::from_secs(10)) {
            Ok(m) => break m,
            Err(e) if tries < 5 => {
                tries += 1;
                eprintln!("records({topic}): {e}; retrying");
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(e) => return Err(format!("records({topic}): {e}")),
        }
    };
    let partitions: Vec<i32> = metadata.topics()[0]
        .partitions()
        .iter()
        .map(|p| p.id())
        .collect();
    let mut ends = HashMap::new();
    let mut tpl = TopicPartitionList::new();
    for &p in &partitions {
        // A cluster electing leaders after a fault answers errors a while.
        let mut tries = 0;
        let (low, high) = loop {
            match consumer.fetch_watermarks(topic, p, Duration::from_secs(10)) {
                Ok(w) => break w,
                Err(e) if tries < 5 => {
                    tries += 1;
                    eprintln!("records({topic}): offsets of {p}: {e}; retrying");
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(e) => return Err(format!("offsets of {topic}/{p}: {e}")),
            }
        };
        if high > low {
            ends.insert(p, high);
            tpl.add_partition_offset(topic, p, Offset::Offset(low))
                .unwrap();
        }
    }
    let mut out = Vec::new();
    if ends.is_empty() {
        return Ok(out);
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done: HashMap<i32, bool> = ends.keys().map(|&p| (p, false)).collect();
    while done.values().any(|d| !d) {
        if Instant::now() >= deadline {
            return Err(format!(
                "reading {topic} timed out with {} records",
                out.len()
            ));
        }
        let Some(m) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        // A broker connection lost while a cluster heals is retried by
        // librdkafka; only records matter here.
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                eprintln!("records({topic}): {e}");
                continue;
            }
        };
        let headers = m
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| {
                        (
                            h.key.to_string(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Record {
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
            value: m.payload().unwrap_or_default().to_vec(),
            timestamp: m.timestamp().to_millis(),
            headers,
        });
        if m.offset() + 1 >= ends[&m.partition()] {
            done.insert(m.partition(), true);
        }
    }
    Ok(out)
}

#[derive(Clone, Debug)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub value: Vec<u8>,
    pub timestamp: Option<i64>,
    pub headers: HashMap<String, String>,
}

impl Record {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.value).unwrap()
    }
}

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

/// NDJSON events `first..first+n`, spread over `sources` source ids.
pub fn events(first: usize, n: usize, sources: usize) -> String {
    let mut s = String::new();
    for i in first..first + n {
        s.push_str(&format!(
            "{{\"id\":\"e{i}\",\"type\":\"push\",\"source_type\":\"repo\",\"source_id\":\"r{}\",\"time\":{},\"n\":{i}}}\n",
            i % sources,
            1_700_000_000_000u64 + i as u64
        ));
    }
    s
}

/// Publish `input` to `topic` with Kafka only, expecting success: test data.
pub fn seed(kafka: &Kafka, topic: &str, input: impl Into<Vec<u8>>) {
    dualstream()
        .brokers(&kafka.brokers(), "off", topic)
        .arg("publish")
        .stdin(input)
        .run()
        .expect_code(0);
}

/// A topic name of its own: unique per call, across the test processes
/// that share one broker.
pub fn topic(name: &str) -> String {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("t-{name}-{}-{n}", std::process::id())
}

/// A TCP proxy in front of a broker that can be switched to swallow
/// everything (a stalled network: connections stay open, nothing arrives).
pub struct Proxy {
    pub port: u16,
    blackhole: Arc<std::sync::atomic::AtomicBool>,
    /// Both ends of every connection, to cut them.
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Listen on `port`, forwarding each connection to `target` on 127.0.0.1.
    pub fn start(port: u16, target: u16) -> Proxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let blackhole = Arc::new(AtomicBool::new(false));
        let hole = blackhole.clone();
        let conns = Arc::new(Mutex::new(Vec::new()));
        let open = conns.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                if let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) {
                    open.lock().unwrap().extend([c, s]);
                }
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let hole = hole.clone();
                    std::thread::spawn(move || pump(from, to, &hole));
                }
            }
        });
        fn pump(mut from: TcpStream, mut to: TcpStream, hole: &AtomicBool) {
            let mut buf = [0u8; 64 * 1024];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = to.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    Ok(n) => {
                        if hole.load(Ordering::SeqCst) {
                            continue;
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                }
            }
        }
        Proxy {
            port,
            blackhole,
            conns,
        }
    }

    /// Cut every open connection (new ones are still accepted).
    pub fn cut(&self) {
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn stall(&self, on: bool) {
        self.blackhole
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A running `tail`, with its stderr lines arriving on a channel.
pub struct Tailing {
    pub child: Child,
    pub stderr: std::sync::mpsc::Receiver<String>,
    pub stdout: std::thread::JoinHandle<String>,
}

pub fn tail(redis: &str, args: &[&str]) -> Tailing {
    let mut child = dualstream()
        .args(["--redis", redis, "tail"])
        .args(args)
        .spawn();
    let stderr = lines(child.stderr.take().unwrap());
    let stdout = collect(child.stdout.take().unwrap());
    Tailing {
        child,
        stderr,
        stdout,
    }
}

impl Tailing {
    /// Wait for a stderr line containing `text`; the lines seen so far.
    pub fn wait_stderr(&self, text: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.stderr.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    let hit = line.contains(text);
                    seen.push(line);
                    if hit {
                        return seen;
                    }
                }
                Err(_) => panic!("no stderr line with {text:?}; saw {seen:?}"),
            }
        }
    }

    pub fn finish(mut self) -> (Option<i32>, String, String) {
        let status = wait_exit(&mut self.child, Duration::from_secs(30));
        let stdout = self.stdout.join().unwrap();
        let stderr: Vec<String> = self.stderr.try_iter().collect();
        (status, stdout, stderr.join("\n"))
    }
}

pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let started = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn redis_publish(redis: &Redis, messages: &[(&str, &[u8])]) {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    for (channel, payload) in messages {
        redis::cmd("PUBLISH")
            .arg(*channel)
            .arg(*payload)
            .query::<i64>(&mut conn)
            .unwrap();
    }
}

pub fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
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

mod cluster;
mod kafka;
mod sequence;
pub use cluster::*;
pub use kafka::*;
pub use sequence::*;

/// The committed offset of each partition of `group` on `topic`, as
/// `health --group` reports it (0 when nothing was committed).
pub fn committed(brokers: &str, topic: &str, group: &str) -> BTreeMap<i64, i64> {
    try_committed(brokers, topic, group).unwrap_or_else(|e| panic!("{e}"))
}

/// [`committed`], or why `health` could not tell.
pub fn try_committed(
    brokers: &str,
    topic: &str,
    group: &str,
) -> Result<BTreeMap<i64, i64>, String> {
    let run = dualstream()
        .brokers(brokers, "off", topic)
        .args([
            "health",
            "--group",
            group,
            "--format",
            "json",
            "--timeout",
            "10s",
        ])
        .run();
    let report: serde_json::Value = serde_json::from_str(&run.stdout())
        .map_err(|_| format!("health --group\n{}", run.describe()))?;
    if let Some(e) = report["kafka"]["group"]["error"].as_str() {
        return Err(format!("group {group}: {e}\n{}", run.describe()));
    }
    let partitions = report["kafka"]["group"]["partitions"]
        .as_array()
        .ok_or_else(|| format!("no group partitions\n{}", run.describe()))?;
    Ok(partitions
        .iter()
        .map(|p| {
            (
                p["partition"].as_i64().unwrap_or(-1),
                p["committed"].as_i64().unwrap_or(0).max(0),
            )
        })
        .collect())
}
