//! `dualstream serve` against real Redis and Kafka, with real HTTP clients
//! (SSE over raw TCP, HTTP/1.0 so the stream is close-delimited).

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::*;

/// SSE clients in the fan-out test, and events: the 200 × 10,000
/// (about 50 s in a debug build on 2 cores, where the test's readers fall
/// behind and resume after overflow, as EventSource would).
const CLIENTS: usize = 200;
const EVENTS: usize = 10000;

pub struct Serving {
    pub t: Tailing,
    pub addr: String,
}

pub fn serve(kafka: &Kafka, redis: &Redis, topic: &str, extra: &[&str]) -> Serving {
    serve_at(kafka, redis, topic, "127.0.0.1:0", extra)
}

/// `dualstream serve 'events:*'` on `listen`, once it says it serves.
pub fn serve_at(
    kafka: &Kafka,
    redis: &Redis,
    topic: &str,
    listen: &str,
    extra: &[&str],
) -> Serving {
    let t = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), topic)
        .args(["serve", "events:*", "--listen", listen])
        .args(extra)
        .start();
    let seen = t.wait_stderr("serving");
    let line = seen.last().unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    Serving { t, addr }
}

/// One SSE event as a client sees it.
#[derive(Debug, Clone)]
pub struct Sse {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

pub struct Client {
    reader: BufReader<TcpStream>,
    pub status: u16,
}

pub fn connect(addr: &str, target: &str, headers: &[(&str, &str)]) -> Client {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("GET {target} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut reader = BufReader::new(s);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        if h == "\r\n" || h.is_empty() {
            break;
        }
    }
    Client { reader, status }
}

impl Client {
    /// The next event (comments and retry skipped); `None` at the end.
    pub fn next(&mut self) -> Option<Sse> {
        let (mut id, mut event, mut data) = (None, "message".to_string(), None);
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end_matches('\n');
            if line.is_empty() {
                if let Some(data) = data.take() {
                    return Some(Sse { id, event, data });
                }
                continue;
            }
            if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = Some(v.to_string());
            }
        }
    }

    pub fn body(mut self) -> String {
        let mut s = String::new();
        let _ = self.reader.read_to_string(&mut s);
        s
    }
}

/// [`take`] as EventSource does it: an overflow ends the stream, and the
/// client reconnects with its last id. The ids, and how many reconnects.
fn take_resuming(addr: &str, mut c: Client, n: usize) -> (Vec<String>, Option<String>, usize) {
    let (mut ids, mut last, mut reconnects) = (Vec::new(), None, 0);
    let mut order: BTreeMap<i64, i64> = BTreeMap::new();
    while ids.len() < n {
        let e = c.next().expect("stream ended early");
        if e.event == "overflow" {
            reconnects += 1;
            c = connect(
                addr,
                "/events",
                &[("Last-Event-ID", e.id.as_deref().unwrap())],
            );
            continue;
        }
        let v = in_order(&e, &mut order);
        ids.push(v["data"]["id"].as_str().unwrap().to_string());
        last = e.id;
    }
    (ids, last, reconnects)
}

/// An event's body, checked to be a message and to come after the last
/// one of its partition (`order`: per partition, the last offset).
fn in_order(e: &Sse, order: &mut BTreeMap<i64, i64>) -> serde_json::Value {
    assert_eq!(e.event, "message", "{e:?}");
    let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
    let (p, o) = (
        v["partition"].as_i64().unwrap(),
        v["offset"].as_i64().unwrap(),
    );
    if let Some(&before) = order.get(&p) {
        assert!(o > before, "partition {p}: {o} after {before}");
    }
    order.insert(p, o);
    v
}

/// The event ids of `n` events, checking per-partition order.
pub fn take(c: &mut Client, n: usize) -> (Vec<String>, Option<String>) {
    let mut ids = Vec::new();
    let mut last = None;
    let mut order: BTreeMap<i64, i64> = BTreeMap::new();
    while ids.len() < n {
        let e = c.next().expect("stream ended early");
        let v = in_order(&e, &mut order);
        ids.push(v["data"]["id"].as_str().unwrap().to_string());
        last = e.id;
    }
    (ids, last)
}

pub fn publish(kafka: &Kafka, redis: &Redis, topic: &str, first: usize, n: usize) {
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), topic)
        .arg("publish")
        .stdin(events(first, n, 7))
        .run()
        .expect_code(0);
}

pub fn exactly_once(ids: &[String], first: usize, n: usize) {
    let got: HashSet<&String> = ids.iter().collect();
    assert_eq!(got.len(), ids.len(), "a duplicate");
    let want: HashSet<String> = (first..first + n).map(|i| format!("e{i}")).collect();
    assert_eq!(got, want.iter().collect());
}

#[test]
fn many_sse_clients_get_every_event_once_then_resume_exactly_after_their_last_id() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-fan");
    kafka.create_topic(&topic, 3);
    let s = serve(kafka, &redis, &topic, &[]);
    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|_| connect(&s.addr, "/events", &[]))
        .collect();
    assert!(clients.iter().all(|c| c.status == 200));
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    publish(kafka, &redis, &topic, 0, EVENTS);
    let readers: Vec<_> = clients
        .drain(..)
        .map(|c| {
            let addr = s.addr.clone();
            std::thread::spawn(move || take_resuming(&addr, c, EVENTS))
        })
        .collect();
    let (mut last_ids, mut reconnects) = (Vec::new(), 0);
    for r in readers {
        let (ids, last, again) = r.join().unwrap();
        exactly_once(&ids, 0, EVENTS);
        last_ids.push(last.unwrap());
        reconnects += again;
    }
    eprintln!(
        "{CLIENTS} clients x {EVENTS} events: {:?}, {reconnects} resumes after overflow",
        started.elapsed()
    );
    // Gone while 300 more came: back with the last id, exactly those, then live.
    publish(kafka, &redis, &topic, EVENTS, 300);
    let mut c = connect(&s.addr, "/events", &[("Last-Event-ID", &last_ids[0])]);
    let (ids, _) = take(&mut c, 300);
    exactly_once(&ids, EVENTS, 300);
    publish(kafka, &redis, &topic, EVENTS + 300, 5);
    let (ids, _) = take(&mut c, 5);
    exactly_once(&ids, EVENTS + 300, 5);
    // A second serve instance resumes the same token alike.
    let other = serve(kafka, &redis, &topic, &[]);
    let target = format!("/events?last_event_id={}", last_ids[1]);
    let mut c = connect(&other.addr, &target, &[]);
    let (ids, _) = take(&mut c, 305);
    exactly_once(&ids, EVENTS, 305);
    // Every resume read Kafka or the recent events in memory.
    let metrics = connect(&s.addr, "/metrics", &[]).body();
    let count = |name: &str| -> usize {
        let line = format!("dualstream_serve_{name} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name}: {metrics}"))
    };
    assert_eq!(
        count("resume_reads_total") + count("resume_memory_total"),
        reconnects + 1,
        "{metrics}"
    );
    drop((s, other));
}

#[test]
fn bad_tokens_and_patterns_are_refused_with_a_reason() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-bad");
    kafka.create_topic(&topic, 1);
    let s = serve(kafka, &redis, &topic, &[]);
    publish(kafka, &redis, &topic, 0, 1);
    let mut live = connect(&s.addr, "/events?from=earliest", &[]);
    let token = live.next().unwrap().id.unwrap();
    for (bad, why) in [
        (token[..token.len() - 2].to_string(), "checksum"),
        ("AAAA".to_string(), "short"),
        ("A".repeat(5000), "more than"),
        ("%%%".to_string(), "base64"),
    ] {
        let c = connect(&s.addr, "/events", &[("Last-Event-ID", &bad)]);
        assert_eq!(c.status, 400);
        let body = c.body();
        assert!(body.contains(why), "{bad}: {body}");
    }
    let c = connect(&s.addr, "/events?pattern=other:*", &[]);
    assert_eq!(c.status, 403);
    let big = format!("/events?x={}", "a".repeat(9000));
    assert_eq!(connect(&s.addr, &big, &[]).status, 414);
    let health: serde_json::Value =
        serde_json::from_str(&connect(&s.addr, "/healthz", &[]).body()).unwrap();
    assert_eq!(health["status"], "ok");
}

#[test]
fn history_gone_is_an_explicit_reset_never_a_partial_replay() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-gone");
    kafka.create_topic(&topic, 1);
    let s = serve(kafka, &redis, &topic, &[]);
    publish(kafka, &redis, &topic, 0, 3);
    let mut c = connect(&s.addr, "/events?from=earliest", &[]);
    let first = c.next().unwrap().id.unwrap();
    drop(c);
    // The topic re-created under the same name: the token is another log's.
    kafka.delete_topic(&topic);
    kafka.create_topic(&topic, 1);
    publish(kafka, &redis, &topic, 10, 5);
    let mut c = connect(&s.addr, "/events", &[("Last-Event-ID", &first)]);
    let e = c.next().unwrap();
    assert_eq!(e.event, "reset", "{e:?}");
    assert!(e.data.contains("re-created"), "{}", e.data);
    assert!(e.id.is_some());
}

#[test]
fn a_client_that_stops_reading_overflows_and_resumes_missing_nothing() {
    const N: usize = 20_000;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-slow");
    kafka.create_topic(&topic, 2);
    let s = serve(kafka, &redis, &topic, &["--client-queue", "256KiB"]);
    let mut stuck = connect(&s.addr, "/events", &[]);
    let fine = connect(&s.addr, "/events", &[]);
    // The reading client gets every event once; on a loaded machine its
    // own reader may fall behind the small queue too, and then it resumes
    // as EventSource does.
    let addr = s.addr.clone();
    let reader = std::thread::spawn(move || take_resuming(&addr, fine, N).0);
    std::thread::sleep(Duration::from_millis(300));
    // Far more than the socket buffers and the queue hold.
    publish(kafka, &redis, &topic, 0, N);
    exactly_once(&reader.join().unwrap(), 0, N);
    let mut ids = Vec::new();
    let mut last = None;
    let overflowed = loop {
        let Some(e) = stuck.next() else { break false };
        if e.event == "overflow" {
            last = e.id;
            break true;
        }
        let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
        ids.push(v["data"]["id"].as_str().unwrap().to_string());
        last = e.id;
    };
    assert!(overflowed, "no overflow after {} events", ids.len());
    let missed = N - ids.len();
    let mut again = connect(&s.addr, "/events", &[("Last-Event-ID", &last.unwrap())]);
    let (rest, _) = take(&mut again, missed);
    ids.extend(rest);
    exactly_once(&ids, 0, N);
}

#[test]
fn kafka_down_during_a_resume_is_an_error_event_and_the_end() {
    let kafka = Kafka::start();
    let redis = Redis::start();
    let topic = topic("serve-down");
    kafka.create_topic(&topic, 1);
    let s = serve(&kafka, &redis, &topic, &[]);
    publish(&kafka, &redis, &topic, 0, 2);
    let mut c = connect(&s.addr, "/events?from=earliest", &[]);
    let token = c.next().unwrap().id.unwrap();
    drop(c);
    kafka.stop();
    let mut c = connect(&s.addr, "/events", &[("Last-Event-ID", &token)]);
    let e = c.next().expect("an error event");
    assert_eq!(e.event, "error", "{e:?}");
    assert!(c.next().is_none(), "the stream goes on");
}

#[test]
fn a_non_loopback_address_without_no_auth_exits_2() {
    let run = dualstream()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .run()
        .expect_code(2);
    assert!(run.stderr().contains("--no-auth"), "{}", run.stderr());
    assert!(run.stderr().contains("--auth"), "{}", run.stderr());
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.t.child.kill();
        let _ = self.t.child.wait();
    }
}

/// WebSocket clients in the fan-out test.
const WS_CLIENTS: usize = 20;

#[test]
fn websocket_clients_get_every_event_once_and_resume_from_the_id_field() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-ws");
    kafka.create_topic(&topic, 3);
    let s = serve(kafka, &redis, &topic, &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("ws://{}/ws", s.addr);
    let sockets: Vec<_> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..WS_CLIENTS {
            v.push(tokio_tungstenite::connect_async(&url).await.unwrap().0);
        }
        v
    });
    std::thread::sleep(Duration::from_millis(300));
    publish(kafka, &redis, &topic, 0, EVENTS);
    /// `n` events; after an overflow (a reader the loaded machine made
    /// slow) back with the last id from `addr`, as a browser would.
    async fn events_of(
        ws: &mut tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        n: usize,
        addr: &str,
    ) -> (Vec<String>, String) {
        let (mut ids, mut last) = (Vec::new(), String::new());
        while ids.len() < n {
            let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
                .await
                .expect("an event in time")
                .expect("the socket open")
                .unwrap();
            if let Message::Text(t) = m {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                last = v["id"].as_str().unwrap().to_string();
                if v["type"] == "overflow" {
                    let url = format!("ws://{addr}/ws?last_event_id={last}");
                    *ws = tokio_tungstenite::connect_async(&url).await.unwrap().0;
                    continue;
                }
                assert_eq!(v["type"], "event", "{v}");
                ids.push(v["data"]["id"].as_str().unwrap().to_string());
            }
        }
        (ids, last)
    }
    let results = rt.block_on(async {
        let tasks: Vec<_> = sockets
            .into_iter()
            .map(|mut ws| {
                let addr = s.addr.clone();
                tokio::spawn(async move { events_of(&mut ws, EVENTS, &addr).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    for (ids, _) in &results {
        exactly_once(ids, 0, EVENTS);
    }
    publish(kafka, &redis, &topic, EVENTS, 100);
    let url = format!("ws://{}/ws?last_event_id={}", s.addr, results[0].1);
    let (ids, _) = rt.block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        events_of(&mut ws, 100, &s.addr).await
    });
    exactly_once(&ids, EVENTS, 100);
}

/// Reads `n` events, leaving after every `every` and coming back with the
/// last id, as a flaky network makes EventSource do; per-partition order
/// is checked across the reconnects.
fn take_hopping(addr: &str, n: usize, every: usize) -> Vec<String> {
    let (mut ids, mut last, mut order) = (Vec::new(), None::<String>, BTreeMap::new());
    while ids.len() < n {
        let mut c = match &last {
            Some(id) => connect(addr, "/events", &[("Last-Event-ID", id)]),
            None => connect(addr, "/events?from=earliest", &[]),
        };
        for _ in 0..every {
            if ids.len() == n {
                break;
            }
            let e = c.next().expect("stream ended early");
            if e.event != "message" {
                assert_eq!(e.event, "overflow", "{e:?}");
                last = e.id;
                break;
            }
            let v = in_order(&e, &mut order);
            ids.push(v["data"]["id"].as_str().unwrap().to_string());
            last = e.id;
        }
    }
    ids
}

/// Two publishers on one partition: their notifications interleave at
/// Redis, so offsets come out of order (5 before 4). serve hands them on
/// in offset order and its ids never pass an offset not sent: a client
/// that leaves and resumes all along, and one that stays, get every
/// event once, in offset order. (Before, the id of 5 resumed after 5, and
/// 4, still on its way, was lost to the client that left.)
#[test]
fn concurrent_publishers_on_one_partition_never_make_an_id_skip_an_event() {
    const EACH: usize = 4000;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-two-pub");
    kafka.create_topic(&topic, 1);
    let s = serve(kafka, &redis, &topic, &[]);
    let mut stays = connect(&s.addr, "/events", &[]);
    std::thread::sleep(Duration::from_millis(300));
    let publishers: Vec<_> = [0, EACH]
        .into_iter()
        .map(|first| {
            let (brokers, url, topic) = (kafka.brokers(), redis.url(), topic.clone());
            std::thread::spawn(move || {
                dualstream()
                    .brokers(&brokers, &url, &topic)
                    .arg("publish")
                    .stdin(events(first, EACH, 7))
                    .run()
                    .expect_code(0);
            })
        })
        .collect();
    let addr = s.addr.clone();
    let hopping = std::thread::spawn(move || take_hopping(&addr, 2 * EACH, 37));
    let (ids, _) = take(&mut stays, 2 * EACH);
    exactly_once(&ids, 0, 2 * EACH);
    for p in publishers {
        p.join().unwrap();
    }
    exactly_once(&hopping.join().unwrap(), 0, 2 * EACH);
}

/// `?full=1` clients get each event as read from Kafka, whole, once and in
/// per-partition order, beside clients of the notifications. The fetches
/// read forward: one reassignment per record (as it was) handed on 2–4
/// events a second to every client while a `?full=1` client was there.
#[test]
fn full_clients_get_each_event_from_kafka_whole_beside_notification_clients() {
    const N: usize = 2000;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-full");
    kafka.create_topic(&topic, 3);
    let s = serve(kafka, &redis, &topic, &[]);
    let mut full = connect(&s.addr, "/events?full=1", &[]);
    let mut plain = connect(&s.addr, "/events", &[]);
    assert_eq!((full.status, plain.status), (200, 200));
    std::thread::sleep(Duration::from_millis(300));
    let input = events(0, N, 7);
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .arg("publish")
        .stdin(input.clone())
        .run()
        .expect_code(0);
    let (ids, _) = take(&mut plain, N);
    exactly_once(&ids, 0, N);
    let mut got: Vec<serde_json::Value> = Vec::new();
    let mut order: BTreeMap<i64, i64> = BTreeMap::new();
    while got.len() < N {
        let e = full.next().expect("stream ended early");
        got.push(in_order(&e, &mut order)["data"].clone());
    }
    let key = |v: &serde_json::Value| v.to_string();
    let mut want: Vec<serde_json::Value> = input
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    want.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(got, want, "the full events are the published ones");
}

/// Notifications sent again — `replay --to-redis` repairing a Redis
/// outage while serve runs — reach no client twice: a live client gets each
/// event once, then the next new one.
#[test]
fn notifications_sent_again_reach_no_client_twice() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-again");
    kafka.create_topic(&topic, 2);
    let s = serve(kafka, &redis, &topic, &[]);
    let mut c = connect(&s.addr, "/events", &[]);
    std::thread::sleep(Duration::from_millis(300));
    publish(kafka, &redis, &topic, 0, 20);
    let (ids, _) = take(&mut c, 20);
    exactly_once(&ids, 0, 20);
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["replay", "--to-redis"])
        .run()
        .expect_code(0);
    publish(kafka, &redis, &topic, 20, 1);
    let (ids, _) = take(&mut c, 1);
    assert_eq!(ids, ["e20"], "a re-sent notification came through");
}
