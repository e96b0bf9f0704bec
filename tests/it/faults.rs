//! Broker faults during a publish: what was acknowledged stays counted, what
//! was not is reported with the lines to resume from, and the exit code says so.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::common::*;

#[test]
fn kafka_stalling_mid_run_exits_4_with_the_line_to_resume_from() {
    let (broker_port, proxy_port) = (free_port(), free_port());
    let proxy = Proxy::start(proxy_port, broker_port);
    let tansu = Tansu::start_advertising(broker_port, proxy_port);
    let topic = topic("stall");
    tansu.create_topic(&topic, 1);

    let mut child = dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .args(["publish", "--timeout", "3s", "--summary", "json"])
        .spawn();
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(events(0, 20, 2).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tansu.records(&topic).len() < 20 {
        assert!(Instant::now() < deadline, "first events never arrived");
        std::thread::sleep(Duration::from_millis(100));
    }

    proxy.stall(true);
    let stalled_at = Instant::now();
    stdin.write_all(events(20, 20, 2).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stalled_at.elapsed() < Duration::from_secs(30),
            "publish hung on a stalled broker"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("20 of 40 events not acknowledged"),
        "{stderr}"
    );
    assert!(stderr.contains("20 acknowledged"), "{stderr}");
    assert!(stderr.contains("resume from <stdin>:21"), "{stderr}");
    assert!(stderr.contains("\"failed\":20"), "{stderr}");

    proxy.stall(false);
    let ns: Vec<u64> = tansu
        .records(&topic)
        .iter()
        .map(|r| r.json()["n"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ns,
        (0..20).collect::<Vec<u64>>(),
        "only acknowledged events are in Kafka"
    );
}
