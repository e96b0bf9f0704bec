//! `serve` in a real browser: headless Chromium (Debian's `chromium`,
//! driven over the DevTools protocol by `common::browser`, whose doc says
//! why CDP), the page at `/` and a plain `EventSource` as an application
//! writes it, through a serve restart on the same port and a Redis
//! restart. Without `chromium` the test fails saying what to install.

use std::time::Duration;

use crate::common::*;
use crate::serve::serve_at;

/// A plain EventSource in a page of serve's origin, keeping per source
/// the last sequence number, the duplicates and the numbers missing.
/// The sequence number is the one the event's id ends with (`s1-17`).
const PLAIN: &str = r#"(() => {
  window.got = {received: 0, duplicates: 0, missing: 0, last: {}, opened: 0};
  const es = new EventSource('/events');
  es.onopen = () => { got.opened++; };
  es.onmessage = (e) => {
    const d = JSON.parse(e.data).data;
    got.received++;
    const seq = Number(d.id.split('-')[1]);
    const last = got.last[d.source_id];
    if (last !== undefined && seq <= last) { got.duplicates++; return; }
    got.missing += seq - (last === undefined ? -1 : last) - 1;
    got.last[d.source_id] = seq;
  };
  return true;
})()"#;

/// Sources in the test's events, each numbering its own from 0 (in the
/// id, which the notification carries: `s{source}-{seq}`).
const SOURCES: usize = 3;

fn lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "{{\"id\":\"s{}-{}\",\"type\":\"tick\",\"source_type\":\"seq\",\"source_id\":\"s{}\"}}\n",
                i % SOURCES,
                i / SOURCES,
                i % SOURCES
            )
        })
        .collect()
}

/// What the page at `/` counted, and per source its last sequence number.
const PAGE_STATE: &str = r#"JSON.stringify({
  counts: JSON.parse(document.getElementById('stats').dataset.json),
  status: document.getElementById('status').dataset.state,
  last: Object.fromEntries([...document.querySelectorAll('#sources tr')]
    .map(r => [r.cells[0].textContent, Number(r.cells[2].textContent)])),
})"#;

fn received(b: &mut Browser, page: &Page) -> u64 {
    let state: serde_json::Value =
        serde_json::from_str(b.eval(page, PAGE_STATE).as_str().unwrap()).unwrap();
    state["counts"]["received"].as_u64().unwrap()
}

#[test]
fn the_page_and_a_plain_event_source_ride_out_a_serve_and_a_redis_restart() {
    const N: usize = 1500;
    let (kafka, mut redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-browser");
    kafka.create_topic(&topic, 2);
    let listen = format!("127.0.0.1:{}", free_port());
    let retry = ["--retry", "300ms"];
    let mut s = serve_at(kafka, &redis, &topic, &listen, &retry);
    let mut b = Browser::start();
    let page = b.open(&format!("http://{listen}/?seq=id"));
    b.wait_for(
        &page,
        "document.getElementById('status')?.dataset.state === 'live'",
        "document.documentElement.outerHTML",
        Duration::from_secs(30),
    );
    let plain = b.open(&format!("http://{listen}/healthz"));
    b.wait_for(
        &plain,
        "location.pathname === '/healthz' && document.readyState === 'complete'",
        "location.href",
        Duration::from_secs(30),
    );
    b.eval(&plain, PLAIN);
    b.wait_for(
        &plain,
        "got.opened === 1",
        "JSON.stringify(got)",
        Duration::from_secs(30),
    );

    // Published after both loaded, through both restarts.
    let publisher = steady_publisher(
        &kafka.brokers(),
        &redis.url(),
        &topic,
        lines(N),
        Duration::from_millis(6),
    );
    let began = std::time::Instant::now();
    let until = began + Duration::from_secs(60);
    while received(&mut b, &page) < (N / 5) as u64 {
        assert!(std::time::Instant::now() < until, "no events in the page");
        std::thread::sleep(Duration::from_millis(50));
    }
    // serve stops (telling every client to reconnect) and comes back on
    // the same port; the clients resume with their last id.
    signal(s.t.child.id(), "-TERM");
    assert!(
        wait_exit(&mut s.t.child, Duration::from_secs(10)).is_some(),
        "serve did not stop on SIGTERM"
    );
    drop(s);
    eprintln!("serve stopped at {:?}", began.elapsed());
    let s = serve_at(kafka, &redis, &topic, &listen, &retry);
    while received(&mut b, &page) < (N / 2) as u64 {
        assert!(
            std::time::Instant::now() < until,
            "no events in the page after the serve restart"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Redis goes away under serve and the publisher, and comes back.
    eprintln!("Redis restarts at {:?}", began.elapsed());
    redis.restart();
    let (code, stderr) = publisher.join().unwrap();
    assert_eq!(code, Some(0), "publish: {stderr}");

    eprintln!("published at {:?}", began.elapsed());
    let last = N / SOURCES - 1;
    b.wait_for(
        &page,
        &format!("JSON.parse(document.getElementById('stats').dataset.json).received >= {N}"),
        PAGE_STATE,
        Duration::from_secs(60),
    );
    b.wait_for(
        &plain,
        &format!("got.received >= {N}"),
        "JSON.stringify(got)",
        Duration::from_secs(60),
    );
    eprintln!("all received at {:?}", began.elapsed());
    // Anything twice would come right after.
    std::thread::sleep(Duration::from_millis(700));
    let state: serde_json::Value =
        serde_json::from_str(b.eval(&page, PAGE_STATE).as_str().unwrap()).unwrap();
    let counts = &state["counts"];
    assert_eq!(counts["received"], N, "{state}");
    assert_eq!(counts["duplicates"], 0, "{state}");
    assert_eq!(counts["gaps"], 0, "{state}");
    assert_eq!(counts["missing"], 0, "{state}");
    assert_eq!(counts["errors"], 0, "{state}");
    // serve's restart makes the browsers reconnect; Redis's does not (serve
    // reads what its subscription lost from Kafka).
    assert!(
        counts["reconnects"].as_u64().unwrap() >= 1,
        "the page did not reconnect after serve's restart: {state}"
    );
    assert_eq!(state["status"], "live", "{state}");
    for source in 0..SOURCES {
        assert_eq!(state["last"][format!("s{source}")], last, "{state}");
    }
    let got: serde_json::Value =
        serde_json::from_str(b.eval(&plain, "JSON.stringify(got)").as_str().unwrap()).unwrap();
    assert_eq!(got["received"], N, "{got}");
    assert_eq!(got["duplicates"], 0, "{got}");
    assert_eq!(got["missing"], 0, "{got}");
    assert!(got["opened"].as_u64().unwrap() >= 2, "{got}");
    for source in 0..SOURCES {
        assert_eq!(got["last"][format!("s{source}")], last, "{got}");
    }
    drop(s);
}
