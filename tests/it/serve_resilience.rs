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

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// Publish `n` events numbered from `first`, one every 3 ms, each id
/// carrying the time it was written (`L{n}-{ms}`), so a client can tell
/// how long it took to reach it.
fn publish_stamped(kafka: &Kafka, redis: &Redis, topic: &str, first: usize, n: usize) {
    let mut child = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), topic)
        .arg("publish")
        .spawn();
    let mut stdin = child.stdin.take().unwrap();
    for i in first..first + n {
        let line = format!(
            "{{\"id\":\"L{i}-{}\",\"type\":\"tick\",\"source_type\":\"seq\",\"source_id\":\"k{}\"}}\n",
            now_ms(),
            i % 4
        );
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(3));
    }
    drop(stdin);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(60)), Some(0));
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Clients that read, with and without one beside them that stopped
/// reading (its queue holds all it is sent, so it stays stuck the whole
/// time): their delivery latency (write to publish's stdin → receipt)
/// with it stays within 2× of without it, the runs without it taken before
/// and after (the larger median, for a machine whose load drifts).
#[test]
fn a_stuck_client_leaves_the_others_latency_within_twice_of_a_run_without_it() {
    const PER: usize = 500;
    const FINE: usize = 5;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-stuck");
    kafka.create_topic(&topic, 2);
    let s = serve(kafka, &redis, &topic, &["--client-queue", "256MiB"]);
    let readers: Vec<_> = (0..FINE)
        .map(|_| {
            let mut c = connect(&s.addr, "/events", &[]);
            std::thread::spawn(move || {
                let mut seen = Vec::with_capacity(3 * PER);
                while seen.len() < 3 * PER {
                    let e = c.next().expect("stream ended early");
                    assert_eq!(e.event, "message", "{e:?}");
                    let got = now_ms();
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
    publish_stamped(kafka, &redis, &topic, 0, PER);
    let stuck = connect(&s.addr, "/events", &[]);
    std::thread::sleep(Duration::from_millis(200));
    publish_stamped(kafka, &redis, &topic, PER, PER);
    assert!(
        metric(&s.addr, "clients") as usize == FINE + 1,
        "the stuck client was let go"
    );
    drop(stuck);
    publish_stamped(kafka, &redis, &topic, 2 * PER, PER);
    let mut phases = [Vec::new(), Vec::new(), Vec::new()];
    for r in readers {
        let seen = r.join().unwrap();
        let ns: std::collections::HashSet<usize> = seen.iter().map(|&(n, _)| n).collect();
        assert_eq!(ns.len(), 3 * PER, "a duplicate");
        for (n, latency) in seen {
            phases[n / PER].push(latency);
        }
    }
    let [before, with, after] = phases.map(median);
    eprintln!(
        "median delivery latency: {before} ms, with a stuck client {with} ms, after {after} ms"
    );
    let without = before.max(after).max(1);
    assert!(
        with <= 2 * without,
        "with a stuck client {with} ms, without {before} ms and {after} ms"
    );
}
