//! The load generator of `scripts/bench.sh serve` (bench/serve.py): SSE
//! clients of `dualstream serve` and of Centrifugo's unidirectional SSE,
//! and the feeders of both, so that one program measures both servers.
//!
//!   serve_load feed RATE COUNT
//!       NDJSON events on stdout, for `dualstream publish` (RATE a second,
//!       or `max`); each id carries the wall-clock time it was written:
//!       `bt<epoch µs>-<n>`.
//!   serve_load kafka-feed BROKERS TOPIC RATE COUNT
//!       The same events produced to Kafka with the header
//!       `centrifugo-channels: events` (Centrifugo's Kafka consumer in
//!       publication data mode), with dualstream publish's producer
//!       settings; the id's time is taken right before the produce call.
//!       Prints {"acked", "ack_p50_ms", "ack_p99_ms", "events_per_s"}.
//!   serve_load clients ds|cf URL N EXPECT
//!       N SSE clients; each counts the events it receives (by the id's n,
//!       so duplicates are seen), notes each one's latency (receipt minus
//!       the id's time) and, when its stream ends early, reconnects from its
//!       last position (ds: Last-Event-ID; cf: recover from offset/epoch), as
//!       EventSource does. Prints `ready N` once every client is connected,
//!       then one JSON line when each has EXPECT events or TIMEOUT_S passed.
//!       EXPECT 0: idle clients, held until stdin closes.
//!
//! FIRST_N (0): the n of the feeders' first event.
//! Environment of `clients`: RESUME (ds: a token; cf: OFFSET:EPOCH) to
//! start from, CF_TOKEN (the connection JWT for cf), TIMEOUT_S (120),
//! SOURCE_IPS (1: connections from 127.0.0.1 .. 127.0.0.N, for more than one
//! address's ephemeral ports), CONNECTS (concurrent connection attempts,
//! 1000).

use std::io::{BufRead, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use hdrhistogram::Histogram;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig;

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// CPU seconds this process has used (user + system).
fn cpu_s() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 0.0;
    }
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn event(n: u64, stamp: u64) -> String {
    format!(
        "{{\"id\":\"bt{stamp}-{n}\",\"type\":\"bench\",\"source_type\":\"bench\",\"source_id\":\"s{}\",\"n\":{n}}}",
        n % 4
    )
}

/// When event `i` of a paced run is due (None: as fast as it goes).
fn due(start: Instant, rate: Option<f64>, i: u64) -> Option<Instant> {
    rate.map(|r| start + Duration::from_secs_f64(i as f64 / r))
}

fn rate_arg(s: &str) -> Option<f64> {
    if s == "max" {
        None
    } else {
        Some(s.parse().expect("RATE: a number or max"))
    }
}

fn feed(rate: Option<f64>, count: u64) {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let first: u64 = env_or("FIRST_N", 0);
    let start = Instant::now();
    for i in 0..count {
        let n = first + i;
        if let Some(at) = due(start, rate, i) {
            let wait = at.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
        let line = event(n, now_us());
        if writeln!(out, "{line}").is_err() {
            return;
        }
        if rate.is_some() && out.flush().is_err() {
            return;
        }
    }
    let _ = out.flush();
}

async fn kafka_feed(brokers: &str, topic: &str, rate: Option<f64>, count: u64) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("max.in.flight.requests.per.connection", "1")
        .set("linger.ms", "0")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "40000")
        .create()
        .expect("kafka-feed: producer");
    // Connected, and the idempotent producer's id acquired, before the
    // first timed record (dualstream publish's first ack waits for neither
    // in its figures either).
    {
        let (producer, topic) = (producer.clone(), topic.to_string());
        let _ = tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(Some(&topic), Duration::from_secs(10))
                .map(|_| ())
        })
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<u64>>();
    let first: u64 = env_or("FIRST_N", 0);
    let start = Instant::now();
    for i in 0..count {
        let n = first + i;
        if let Some(at) = due(start, rate, i) {
            tokio::time::sleep_until(at.into()).await;
        }
        let payload = event(n, now_us());
        let key = format!("s{}", n % 4);
        loop {
            let record = FutureRecord::to(topic).payload(&payload).key(&key).headers(
                OwnedHeaders::new().insert(Header {
                    key: "centrifugo-channels",
                    value: Some("events"),
                }),
            );
            let sent = Instant::now();
            match producer.send_result(record) {
                Ok(delivery) => {
                    let tx = tx.clone();
                    // A task of its own per record: its time is taken when
                    // librdkafka's callback wakes it, not when a loop gets
                    // round to it.
                    tokio::spawn(async move {
                        let ok = matches!(delivery.await, Ok(Ok(_)));
                        let _ = tx.send(ok.then(|| sent.elapsed().as_micros() as u64));
                    });
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
            }
        }
    }
    drop(tx);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).expect("histogram");
    let mut failed = 0u64;
    while let Some(r) = rx.recv().await {
        match r {
            Some(us) => hist.saturating_record(us.max(1)),
            None => failed += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"acked\":{},\"failed\":{failed},\"ack_p50_ms\":{:.3},\"ack_p99_ms\":{:.3},\"events_per_s\":{:.0}}}",
        hist.len(),
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.len() as f64 / secs
    );
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Dualstream,
    Centrifugo,
}

/// What every client adds to.
struct Tally {
    connected: AtomicUsize,
    done: AtomicUsize,
    reconnects: AtomicU64,
    refused: AtomicU64,
    first_rx: AtomicU64,
    last_rx: AtomicU64,
    hist: Mutex<Histogram<u64>>,
    results: Mutex<Vec<ClientEnd>>,
}

struct ClientEnd {
    got: u64,
    dups: u64,
    done_after: Option<Duration>,
    last_pos: String,
}

/// One client's view of its stream.
struct Seen {
    bits: Vec<u64>,
    got: u64,
    dups: u64,
    hist: Histogram<u64>,
    /// ds: the last `id:`; cf: the last publication's offset.
    last_id: String,
    offset: u64,
    epoch: String,
}

impl Seen {
    fn note(&mut self, n: u64, stamp: u64, now: u64) {
        // The feeders number from 0 (FIRST_N): a number past this is not
        // one of theirs, and must not size the bitmap.
        if n >= 1 << 32 {
            return;
        }
        let (word, bit) = ((n / 64) as usize, n % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        if self.bits[word] & (1 << bit) != 0 {
            self.dups += 1;
        } else {
            self.bits[word] |= 1 << bit;
            self.got += 1;
        }
        self.hist
            .saturating_record(now.saturating_sub(stamp).max(1));
    }

    /// Every `"id":"bt<stamp>-<n>"` in a frame.
    fn scan(&mut self, frame: &[u8], now: u64) -> usize {
        const MARK: &[u8] = b"\"id\":\"bt";
        let mut found = 0;
        for at in memchr::memmem::find_iter(frame, MARK) {
            let rest = &frame[at + MARK.len()..];
            let Some((stamp, rest)) = number(rest) else {
                continue;
            };
            let Some((n, _)) = rest.strip_prefix(b"-").and_then(number) else {
                continue;
            };
            self.note(n, stamp, now);
            found += 1;
        }
        found
    }
}

fn number(s: &[u8]) -> Option<(u64, &[u8])> {
    let end = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let n = std::str::from_utf8(&s[..end]).ok()?.parse().ok()?;
    Some((n, &s[end..]))
}

/// The last `"offset":N` of a Centrifugo frame (the publication's own
/// comes after its data).
fn last_offset(frame: &[u8]) -> Option<u64> {
    let at = memchr::memmem::rfind(frame, b"\"offset\":")?;
    number(&frame[at + 9..]).map(|(n, _)| n)
}

struct Target {
    kind: Kind,
    url: String,
    token: String,
    expect: u64,
    deadline: Instant,
    start: Instant,
}

impl Target {
    fn request(&self, http: &reqwest::Client, seen: &Seen) -> reqwest::RequestBuilder {
        match self.kind {
            Kind::Dualstream => {
                let r = http.get(&self.url).header("accept", "text/event-stream");
                if seen.last_id.is_empty() {
                    r
                } else {
                    r.header("last-event-id", &seen.last_id)
                }
            }
            Kind::Centrifugo => {
                let mut connect = serde_json::json!({ "token": self.token });
                if !seen.epoch.is_empty() {
                    connect["subs"] = serde_json::json!({
                        "events": {"recover": true, "offset": seen.offset, "epoch": seen.epoch}
                    });
                }
                let url = reqwest::Url::parse_with_params(
                    &self.url,
                    &[("cf_connect", connect.to_string())],
                )
                .expect("URL");
                http.get(url).header("accept", "text/event-stream")
            }
        }
    }
}

async fn client(
    target: Arc<Target>,
    http: reqwest::Client,
    tally: Arc<Tally>,
    gate: Arc<tokio::sync::Semaphore>,
    resume: Option<String>,
) {
    let mut seen = Seen {
        bits: Vec::new(),
        got: 0,
        dups: 0,
        hist: Histogram::new_with_bounds(1, 120_000_000, 2).expect("histogram"),
        last_id: String::new(),
        offset: 0,
        epoch: String::new(),
    };
    match (target.kind, resume) {
        (Kind::Dualstream, Some(r)) => seen.last_id = r,
        (Kind::Centrifugo, Some(r)) => {
            if let Some((o, e)) = r.split_once(':') {
                seen.offset = o.parse().unwrap_or(0);
                seen.epoch = e.to_string();
            }
        }
        _ => {}
    }
    let mut counted = false;
    let mut done_after = None;
    'connect: while Instant::now() < target.deadline {
        let permit = gate.clone().acquire_owned().await.ok();
        let response =
            tokio::time::timeout_at(target.deadline.into(), target.request(&http, &seen).send())
                .await;
        let mut body = match response {
            Ok(Ok(r)) if r.status().is_success() => r.bytes_stream(),
            Ok(Ok(_)) => {
                tally.refused.fetch_add(1, Ordering::Relaxed);
                drop(permit);
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            Ok(Err(_)) => {
                drop(permit);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(_) => break,
        };
        let mut permit = permit;
        let mut first_frame = target.kind == Kind::Dualstream;
        if first_frame {
            permit.take();
            if !counted {
                counted = true;
                tally.connected.fetch_add(1, Ordering::Relaxed);
            }
        }
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        loop {
            let chunk = match tokio::time::timeout_at(target.deadline.into(), body.next()).await {
                Ok(Some(Ok(c))) => c,
                Ok(_) => {
                    tally.reconnects.fetch_add(1, Ordering::Relaxed);
                    continue 'connect;
                }
                Err(_) => break 'connect,
            };
            let now = now_us();
            buf.extend_from_slice(&chunk);
            let mut consumed = 0;
            while let Some(end) = memchr::memmem::find(&buf[consumed..], b"\n\n") {
                let frame = &buf[consumed..consumed + end];
                consumed += end + 2;
                if !first_frame {
                    first_frame = true;
                    permit.take();
                    if !counted {
                        counted = true;
                        tally.connected.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let found = seen.scan(frame, now);
                match target.kind {
                    Kind::Dualstream => {
                        for line in frame.split(|&b| b == b'\n') {
                            if let Some(id) =
                                line.strip_prefix(b"id: ").or(line.strip_prefix(b"id:"))
                            {
                                seen.last_id = String::from_utf8_lossy(id).into_owned();
                            }
                        }
                    }
                    Kind::Centrifugo => {
                        if memchr::memmem::find(frame, b"\"connect\":").is_some() {
                            connect_frame(frame, &mut seen);
                        } else if found > 0 {
                            if let Some(o) = last_offset(frame) {
                                seen.offset = o;
                            }
                        }
                    }
                }
                if found > 0 {
                    let t = now_us();
                    tally.first_rx.fetch_min(t, Ordering::Relaxed);
                    tally.last_rx.fetch_max(t, Ordering::Relaxed);
                }
            }
            buf.drain(..consumed);
            if target.expect > 0 && seen.got >= target.expect {
                done_after = Some(target.start.elapsed());
                break 'connect;
            }
        }
    }
    tally.done.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut h) = tally.hist.lock() {
        let _ = h.add(&seen.hist);
    }
    let last_pos = match target.kind {
        Kind::Dualstream => seen.last_id.clone(),
        Kind::Centrifugo => format!("{}:{}", seen.offset, seen.epoch),
    };
    if let Ok(mut r) = tally.results.lock() {
        r.push(ClientEnd {
            got: seen.got,
            dups: seen.dups,
            done_after,
            last_pos,
        });
    }
}

/// Centrifugo's connect push: the subscription's epoch, and the offset of
/// the last recovered publication (or the stream's top when there were none).
fn connect_frame(frame: &[u8], seen: &mut Seen) {
    let Some(at) = memchr::memmem::find(frame, b"{") else {
        return;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&frame[at..]) else {
        return;
    };
    let sub = &v["connect"]["subs"]["events"];
    if let Some(e) = sub["epoch"].as_str() {
        seen.epoch = e.to_string();
    }
    let last = sub["publications"]
        .as_array()
        .and_then(|p| p.last())
        .and_then(|p| p["offset"].as_u64());
    if let Some(o) = last.or(sub["offset"].as_u64()) {
        seen.offset = o;
    }
}

async fn clients(kind: Kind, url: String, n: usize, expect: u64) {
    let timeout = Duration::from_secs(env_or("TIMEOUT_S", 120));
    let ips: u8 = env_or("SOURCE_IPS", 1u8).max(1);
    let gate = Arc::new(tokio::sync::Semaphore::new(
        env_or("CONNECTS", 1000usize).max(1),
    ));
    let resume = std::env::var("RESUME").ok().filter(|r| !r.is_empty());
    let start = Instant::now();
    let target = Arc::new(Target {
        kind,
        url,
        token: std::env::var("CF_TOKEN").unwrap_or_default(),
        expect,
        deadline: start + timeout,
        start,
    });
    let https: Vec<reqwest::Client> = (0..ips)
        .map(|i| {
            let b = reqwest::Client::builder()
                .http1_only()
                .pool_max_idle_per_host(0)
                .no_proxy();
            let b = if ips > 1 {
                b.local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + i)))
            } else {
                b
            };
            b.build().expect("http client")
        })
        .collect();
    let tally = Arc::new(Tally {
        connected: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        reconnects: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        first_rx: AtomicU64::new(u64::MAX),
        last_rx: AtomicU64::new(0),
        hist: Mutex::new(Histogram::new_with_bounds(1, 120_000_000, 2).expect("histogram")),
        results: Mutex::new(Vec::with_capacity(n)),
    });
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        tasks.push(tokio::spawn(client(
            target.clone(),
            https[i % https.len()].clone(),
            tally.clone(),
            gate.clone(),
            resume.clone(),
        )));
    }
    // `ready` once all are connected (or some gave up).
    loop {
        let (c, d) = (
            tally.connected.load(Ordering::Relaxed),
            tally.done.load(Ordering::Relaxed),
        );
        if c >= n || c + d >= n || Instant::now() >= target.deadline {
            println!("ready {c} {:.3}", start.elapsed().as_secs_f64());
            let _ = std::io::stdout().flush();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if expect == 0 {
        // Idle: hold every connection until stdin closes.
        let _ = tokio::task::spawn_blocking(|| {
            let stdin = std::io::stdin();
            for _ in stdin.lock().lines() {}
        })
        .await;
        println!(
            "{{\"clients\":{n},\"connected\":{},\"reconnects\":{},\"refused\":{}}}",
            tally.connected.load(Ordering::Relaxed),
            tally.reconnects.load(Ordering::Relaxed),
            tally.refused.load(Ordering::Relaxed)
        );
        std::process::exit(0);
    }
    for t in tasks {
        let _ = t.await;
    }
    let results = tally
        .results
        .lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default();
    let hist = tally.hist.lock().map(|h| h.clone()).expect("histogram");
    let got: u64 = results.iter().map(|r| r.got).sum();
    let dups: u64 = results.iter().map(|r| r.dups).sum();
    let complete = results.iter().filter(|r| r.done_after.is_some()).count();
    let all_done = results
        .iter()
        .map(|r| r.done_after)
        .try_fold(Duration::ZERO, |m, d| d.map(|d| m.max(d)));
    let (first, last) = (
        tally.first_rx.load(Ordering::Relaxed),
        tally.last_rx.load(Ordering::Relaxed),
    );
    let span = if last > first {
        (last - first) as f64 / 1e6
    } else {
        0.0
    };
    let q = |p: f64| hist.value_at_quantile(p) as f64 / 1000.0;
    println!(
        "{{\"clients\":{n},\"connected\":{},\"complete\":{complete},\"got\":{got},\"dups\":{dups},\
         \"reconnects\":{},\"refused\":{},\"rx_span_s\":{span:.3},\"all_done_s\":{},\
         \"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"cpu_s\":{:.2},\"last_pos\":{}}}",
        tally.connected.load(Ordering::Relaxed),
        tally.reconnects.load(Ordering::Relaxed),
        tally.refused.load(Ordering::Relaxed),
        all_done.map_or("null".to_string(), |d| format!("{:.3}", d.as_secs_f64())),
        q(0.5),
        q(0.99),
        hist.max() as f64 / 1000.0,
        cpu_s(),
        serde_json::Value::from(
            results
                .first()
                .map(|r| r.last_pos.clone())
                .unwrap_or_default()
        ),
    );
    std::process::exit(0);
}

fn usage() -> ! {
    eprintln!(
        "usage: serve_load feed RATE COUNT | kafka-feed BROKERS TOPIC RATE COUNT | clients ds|cf URL N EXPECT"
    );
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_else(|| usage());
    let count = |i: usize| arg(i).parse::<u64>().unwrap_or_else(|_| usage());
    match args.first().map(String::as_str) {
        Some("feed") => feed(rate_arg(&arg(1)), count(2)),
        Some(mode @ ("kafka-feed" | "clients")) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("runtime");
            if mode == "kafka-feed" {
                rt.block_on(kafka_feed(&arg(1), &arg(2), rate_arg(&arg(3)), count(4)));
            } else {
                let kind = match arg(1).as_str() {
                    "ds" => Kind::Dualstream,
                    "cf" => Kind::Centrifugo,
                    _ => usage(),
                };
                let n = count(3) as usize;
                rt.block_on(clients(kind, arg(2), n, count(4)));
            }
        }
        _ => usage(),
    }
}
