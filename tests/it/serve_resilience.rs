//! `serve` under faults and load: Redis restarted under many clients, a
//! client that stops reading beside clients that read.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::*;
use crate::serve::{connect, exactly_once, serve, take};

fn metric(addr: &str, name: &str) -> u64 {
    let text = connect(addr, "/metrics", &[]).body();
    let line = format!("dualstream_serve_{name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// Redis goes away under 50 clients while events are published and comes
/// back: serve reads what its subscription lost from Kafka, so every
/// client gets every event once, in per-partition order, on the stream it
/// had (`take` fails on anything but an event, a reconnect included).
#[test]
fn redis_restarted_under_50_clients_every_client_gets_every_event_once() {
    const N: usize = 1200;
    const CLIENTS: usize = 50;
    let (kafka, mut redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-redis-restart");
    kafka.create_topic(&topic, 2);
    let s = serve(kafka, &redis, &topic, &[]);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| connect(&s.addr, "/events", &[]))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let publisher = steady_publisher(
        &kafka.brokers(),
        &redis.url(),
        &topic,
        ticks("e", N),
        Duration::from_millis(4),
    );
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut c| std::thread::spawn(move || take(&mut c, N).0))
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    redis.restart();
    let (code, stderr) = publisher.join().unwrap();
    assert_eq!(code, Some(0), "publish: {stderr}");
    for r in readers {
        exactly_once(&r.join().unwrap(), 0, N);
    }
    assert!(metric(&s.addr, "redis_gaps_total") >= 1, "no gap seen");
    assert!(
        metric(&s.addr, "fill_reads_total") >= 1,
        "nothing read from Kafka"
    );
}

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros()
}

/// A `dualstream publish` fed by the test, each id carrying the time it
/// was written (`L{n}-{µs}`), so a client can tell how long it took to
/// reach it.
struct Stamped {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
}

impl Stamped {
    fn start(kafka: &Kafka, redis: &Redis, topic: &str) -> Stamped {
        let mut child = dualstream()
            .brokers(&kafka.brokers(), &redis.url(), topic)
            .arg("publish")
            .spawn();
        let stdin = child.stdin.take().unwrap();
        Stamped { child, stdin }
    }

    /// Events `first..first + n`, one every millisecond.
    fn send(&mut self, first: usize, n: usize) {
        for i in first..first + n {
            let line = format!(
                "{{\"id\":\"L{i}-{}\",\"type\":\"tick\",\"source_type\":\"seq\",\"source_id\":\"k{}\"}}\n",
                now_us(),
                i % 4
            );
            self.stdin.write_all(line.as_bytes()).unwrap();
            self.stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn finish(self) {
        let Stamped { mut child, stdin } = self;
        drop(stdin);
        assert_eq!(wait_exit(&mut child, Duration::from_secs(60)), Some(0));
    }
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Clients that read, with and without one beside them that stopped
/// reading (its queue holds all it is sent, so it stays stuck while it is
/// there, and its socket's buffers fill): their delivery latency (write to
/// one publish's stdin → receipt, in µs) with it stays within 2× of
/// without it. Runs with and without alternate, so that a machine whose
/// load drifts weighs on both alike.
#[test]
fn a_stuck_client_leaves_the_others_latency_within_twice_of_a_run_without_it() {
    // ~350 KB each, past what a stuck client's socket buffers hold.
    const PER: usize = 1000;
    // The first warms up (publish connecting), and is not counted; then
    // without, with, without, …
    const RUNS: usize = 7;
    const FINE: usize = 5;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-stuck");
    kafka.create_topic(&topic, 2);
    let s = serve(kafka, &redis, &topic, &["--client-queue", "256MiB"]);
    let readers: Vec<_> = (0..FINE)
        .map(|_| {
            let mut c = connect(&s.addr, "/events", &[]);
            std::thread::spawn(move || {
                let mut seen = Vec::with_capacity(RUNS * PER);
                while seen.len() < RUNS * PER {
                    let e = c.next().expect("stream ended early");
                    assert_eq!(e.event, "message", "{e:?}");
                    let got = now_us();
                    let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
                    let id = v["data"]["id"].as_str().unwrap().to_string();
                    let (n, sent) = id[1..].split_once('-').unwrap();
                    let (n, sent): (usize, u128) = (n.parse().unwrap(), sent.parse().unwrap());
                    seen.push((n, got.saturating_sub(sent)));
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut publisher = Stamped::start(kafka, &redis, &topic);
    for run in 0..RUNS {
        let stuck = (run % 2 == 0 && run > 0).then(|| connect(&s.addr, "/events", &[]));
        publisher.send(run * PER, PER);
        drop(stuck);
    }
    publisher.finish();
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for r in readers {
        let seen = r.join().unwrap();
        let ns: std::collections::HashSet<usize> = seen.iter().map(|&(n, _)| n).collect();
        assert_eq!(ns.len(), RUNS * PER, "a duplicate");
        for (n, latency) in seen {
            match n / PER {
                0 => {}
                run if run % 2 == 0 => with.push(latency),
                _ => without.push(latency),
            }
        }
    }
    assert_eq!(
        metric(&s.addr, "overflows_total"),
        0,
        "a stuck client was let go: not stuck all along"
    );
    let (without, with) = (median(without).max(1), median(with));
    eprintln!("median delivery latency: {without} µs, with a stuck client {with} µs");
    assert!(
        with <= 2 * without,
        "with a stuck client {with} µs, without {without} µs"
    );
}

/// A reconnect storm: 200 clients resuming from the same id at once are
/// served from the recent events serve keeps in memory, so they open far
/// fewer Kafka reads than there are clients (here none); each gets exactly
/// the events after the id, then live.
#[test]
fn two_hundred_clients_resuming_from_one_id_open_far_fewer_kafka_reads_than_clients() {
    const CLIENTS: usize = 200;
    const N: usize = 400;
    const AFTER: usize = 100;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-storm");
    kafka.create_topic(&topic, 3);
    let s = serve(kafka, &redis, &topic, &[]);
    let mut live = connect(&s.addr, "/events", &[]);
    std::thread::sleep(Duration::from_millis(300));
    crate::serve::publish(kafka, &redis, &topic, 0, N);
    let (first, id) = take(&mut live, AFTER);
    let id = id.unwrap();
    let (rest, _) = take(&mut live, N - AFTER);
    let reads_before = metric(&s.addr, "resume_reads_total");
    let storm: Vec<_> = (0..CLIENTS)
        .map(|_| connect(&s.addr, "/events", &[("Last-Event-ID", &id)]))
        .collect();
    let readers: Vec<_> = storm
        .into_iter()
        .map(|mut c| std::thread::spawn(move || take(&mut c, N - AFTER + 5).0))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    crate::serve::publish(kafka, &redis, &topic, N, 5);
    let want = rest.to_vec();
    for r in readers {
        let ids = r.join().unwrap();
        assert_eq!(
            ids[..N - AFTER],
            want[..],
            "not exactly what came after the id"
        );
        exactly_once(&ids[N - AFTER..], N, 5);
    }
    let mut all = first;
    all.extend(rest);
    exactly_once(&all, 0, N);
    let reads = metric(&s.addr, "resume_reads_total") - reads_before;
    let memory = metric(&s.addr, "resume_memory_total");
    eprintln!("{CLIENTS} resumes: {reads} Kafka reads, {memory} from memory");
    assert!(
        reads as usize <= CLIENTS / 10,
        "{reads} Kafka reads for {CLIENTS} resumes"
    );
}

/// A storm beyond the memory window: serve restarted, so no position of
/// before is in memory. Clients that come back together share a Kafka
/// read: each gets exactly what came after its own id (two ids, far
/// apart, in one storm), then live; fewer reads open than clients.
#[test]
fn clients_resuming_from_old_ids_after_a_restart_share_kafka_reads_and_get_every_event_once() {
    const CLIENTS: usize = 24;
    const N: usize = 600;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-old-storm");
    kafka.create_topic(&topic, 3);
    let first = serve(kafka, &redis, &topic, &[]);
    let mut live = connect(&first.addr, "/events", &[]);
    std::thread::sleep(Duration::from_millis(300));
    crate::serve::publish(kafka, &redis, &topic, 0, N);
    let (head, early) = take(&mut live, 50);
    let (middle, late) = take(&mut live, 250);
    let (tail, _) = take(&mut live, N - 300);
    drop(live);
    drop(first);
    let s = serve(kafka, &redis, &topic, &[]);
    let reads_before = metric(&s.addr, "resume_reads_total");
    let ids = [early.unwrap(), late.unwrap()];
    let start = std::sync::Arc::new(std::sync::Barrier::new(CLIENTS));
    let readers: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (addr, id, start) = (s.addr.clone(), ids[i % 2].clone(), start.clone());
            let n = if i % 2 == 0 { N - 50 } else { N - 300 } + 5;
            std::thread::spawn(move || {
                start.wait();
                let mut c = connect(&addr, "/events", &[("Last-Event-ID", &id)]);
                take(&mut c, n).0
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    crate::serve::publish(kafka, &redis, &topic, N, 5);
    for (i, r) in readers.into_iter().enumerate() {
        let got = r.join().unwrap();
        let mut want: Vec<String> = if i % 2 == 0 {
            middle.iter().chain(&tail).cloned().collect()
        } else {
            tail.clone()
        };
        // Kafka gives each partition in order, not the live interleaving.
        let old = want.len();
        let mut history = got[..old].to_vec();
        history.sort();
        want.sort();
        assert_eq!(
            history, want,
            "client {i}: not exactly what came after its id"
        );
        exactly_once(&got[old..], N, 5);
    }
    let mut all = head;
    all.extend(middle);
    all.extend(tail);
    exactly_once(&all, 0, N);
    let reads = metric(&s.addr, "resume_reads_total") - reads_before;
    let shared = metric(&s.addr, "resume_shared_total");
    let memory = metric(&s.addr, "resume_memory_total");
    eprintln!("{CLIENTS} resumes: {reads} Kafka reads, {shared} shared, {memory} from memory");
    assert_eq!(memory, 0, "a restarted serve has none of it in memory");
    assert!(
        (reads as usize) < CLIENTS && shared > 0,
        "{reads} Kafka reads ({shared} shared) for {CLIENTS} resumes"
    );
}
