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

/// `tail -F app.log | dualstream publish`: a pause in the input longer than
/// --timeout (plus the guard's grace) is not a stalled broker.
#[test]
fn quiet_input_longer_than_the_timeout_is_not_a_stall() {
    let tansu = Tansu::start();
    let topic = topic("quiet");
    tansu.create_topic(&topic, 1);
    let mut child = dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .args(["publish", "--timeout", "1s", "--summary", "json"])
        .spawn();
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(events(0, 5, 1).as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Longer than --timeout + the 5 s grace of the stall guard.
    std::thread::sleep(Duration::from_millis(7_000));
    // A burst keeps events in flight for several guard ticks.
    stdin.write_all(events(5, 3_000, 3).as_bytes()).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("\"acknowledged\":3005"), "{stderr}");
    assert_eq!(tansu.records(&topic).len(), 3005);
}

/// SIGTERM (`timeout`, container stops) is handled like Ctrl-C: what is in
/// flight is flushed, the summary printed, and the exit code is 143.
#[test]
fn sigterm_mid_publish_flushes_prints_the_summary_and_exits_143() {
    let tansu = Tansu::start();
    let topic = topic("sigterm");
    tansu.create_topic(&topic, 1);
    let mut child = dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .args(["publish", "--summary", "json"])
        .spawn();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(events(0, 10, 2).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tansu.records(&topic).len() < 10 {
        assert!(Instant::now() < deadline, "events never arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
    let stderr = collect(child.stderr.take().unwrap());
    signal(child.id(), "-TERM");
    let status = child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("\"acknowledged\":10"), "{stderr}");
    assert!(stderr.contains("resume after <stdin>:10"), "{stderr}");
    drop(stdin);
}

/// A reader that goes away (`2>&1 | head -1`, `| true`) never turns into a
/// panic: the run finishes, Kafka has everything, the exit code is the run's.
#[test]
fn closed_stderr_and_stdout_never_panic() {
    let tansu = Tansu::start();
    let redis = Redis::start();
    let topic = topic("closedpipes");
    tansu.create_topic(&topic, 1);
    let mut child = dualstream()
        .brokers(&tansu.brokers(), &redis.url(), &topic)
        .args(["publish", "--summary", "table", "--on-invalid", "skip"])
        .spawn();
    // Close the read end of stderr before anything is written to it.
    drop(child.stderr.take());
    let mut stdin = child.stdin.take().unwrap();
    let mut input = events(0, 50, 5);
    input.push_str("not json\n");
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "publish with a closed stderr");
    assert_eq!(tansu.records(&topic).len(), 50);

    // health | true: stdout closed before the report is written.
    let mut child = dualstream()
        .brokers(&tansu.brokers(), &redis.url(), &topic)
        .args(["health", "--format", "json"])
        .spawn();
    drop(child.stdout.take());
    let stderr = collect(child.stderr.take().unwrap());
    let status = child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A broker that accepts connections and never answers: `health` says so
/// within its --timeout (exit 4), and `publish` fails with exit 4 instead
/// of hanging.
#[test]
fn a_broker_that_never_answers_is_reported_within_the_timeout() {
    let (broker_port, proxy_port) = (free_port(), free_port());
    let proxy = Proxy::start(proxy_port, broker_port);
    let tansu = Tansu::start_advertising(broker_port, proxy_port);
    let topic = topic("blackhole");
    tansu.create_topic(&topic, 1);
    proxy.stall(true);
    proxy.cut();
    let started = Instant::now();
    let run = dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .args(["health", "--timeout", "3s", "--format", "json"])
        .run()
        .expect_code(4);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout().contains("kafka_unreachable"),
        "{}",
        run.describe()
    );
    let started = Instant::now();
    dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .args(["publish", "--timeout", "2s"])
        .stdin(events(0, 5, 1))
        .run()
        .expect_stderr(4, "kafka: no broker reachable");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// `| head -1` on every command that prints data: the reader goes away, the
/// command ends quietly with 0.
#[test]
fn a_closed_stdout_ends_each_command_quietly() {
    use std::io::BufRead;
    let tansu = Tansu::start();
    let topic = topic("headone");
    tansu.create_topic(&topic, 1);
    dualstream()
        .brokers(&tansu.brokers(), "off", &topic)
        .args(["publish", "--no-headers"])
        .stdin(events(0, 20_000, 4))
        .run()
        .expect_code(0);
    let commands: Vec<(Vec<&str>, Option<String>)> = vec![
        (vec!["replay"], None),
        (vec!["replay", "--envelope"], None),
        (vec!["replay", "--format", "csv"], None),
        (vec!["publish", "--dry-run"], Some(events(0, 20_000, 4))),
        (vec!["completions", "bash"], None),
        (vec!["man"], None),
    ];
    for (args, stdin) in commands {
        let mut child = dualstream()
            .brokers(&tansu.brokers(), "off", &topic)
            .args(&args)
            .spawn();
        let stderr = collect(child.stderr.take().unwrap());
        let writer = stdin.map(|input| {
            let mut pipe = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = pipe.write_all(input.as_bytes());
            })
        });
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        drop(out);
        let status = child.wait().unwrap();
        let stderr = stderr.join().unwrap();
        if let Some(w) = writer {
            w.join().unwrap();
        }
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}
