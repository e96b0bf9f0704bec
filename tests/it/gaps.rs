//! `tail --fill-gaps`: a Redis tail that misses nothing. A publisher emits
//! sequence-numbered events at a steady rate while Redis is killed and
//! restarted, and tail's connection is killed; every event must be printed
//! exactly once, the gaps read from Kafka.

use std::time::Duration;

use crate::common::*;

fn kill_subscribers(redis: &Redis) {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query(&mut conn)
        .unwrap();
    assert!(killed >= 1, "no subscriber to kill");
}

#[test]
fn fill_gaps_prints_every_event_once_across_redis_restarts_and_a_killed_subscriber() {
    let mut env = Env::new("fill-gaps").partitions(3).redis();
    // About 15 s of events: the faults below all happen while they flow.
    let n = 3000;
    let t = tail(
        &env.redis_url(),
        &[
            "events:seq:*",
            "--brokers",
            &env.brokers(),
            "--topic",
            &env.topic,
            "--fill-gaps",
            "--count",
            &n.to_string(),
            "--timeout",
            "90s",
        ],
    );
    let mut said = t.wait_stderr("subscribed");
    let publisher = steady_publisher(
        &env.brokers(),
        &env.redis_url(),
        &env.topic,
        ticks("s", n),
        Duration::from_millis(4),
    );
    std::thread::sleep(Duration::from_millis(1000));
    env.redis_server_mut().stop();
    std::thread::sleep(Duration::from_millis(400));
    env.redis_server_mut().restart();
    said.extend(t.wait_stderr("reading the gap from Kafka"));
    std::thread::sleep(Duration::from_millis(800));
    kill_subscribers(env.redis_server());
    said.extend(t.wait_stderr("reading the gap from Kafka"));
    std::thread::sleep(Duration::from_millis(800));
    env.redis_server_mut().stop();
    std::thread::sleep(Duration::from_millis(400));
    env.redis_server_mut().restart();
    said.extend(t.wait_stderr("reading the gap from Kafka"));
    let (code, said_publish) = publisher.join().unwrap();
    assert_eq!(code, Some(0), "publish failed: {said_publish}");
    let (code, stdout, stderr) = t.finish();
    let stderr = format!("{}\n{stderr}", said.join("\n"));
    assert_eq!(code, Some(0), "{stderr}");
    let seen = each_once(&stdout, "s", n, &stderr);
    // The gaps really were filled from Kafka.
    let from_kafka = json_lines(&stdout)
        .iter()
        .filter(|l| l["source"] == "kafka")
        .count();
    assert!(from_kafka > 0, "nothing came from Kafka\n{stderr}");
    eprintln!(
        "published {n}, gaps 3, printed {}, {from_kafka} of them from Kafka",
        seen.len()
    );
}

#[test]
fn without_fill_gaps_the_gap_is_reported_and_events_are_missed() {
    let mut env = Env::new("no-fill").partitions(2).redis();
    let n = 400;
    let t = tail(
        &env.redis_url(),
        &["events:seq:*", "--format", "json", "--timeout", "6s"],
    );
    t.wait_stderr("subscribed");
    let publisher = steady_publisher(
        &env.brokers(),
        &env.redis_url(),
        &env.topic,
        ticks("s", n),
        Duration::from_millis(5),
    );
    std::thread::sleep(Duration::from_millis(600));
    env.redis_server_mut().stop();
    std::thread::sleep(Duration::from_millis(500));
    env.redis_server_mut().restart();
    t.wait_stderr("messages published in the gap were missed (--fill-gaps reads them from Kafka)");
    assert_eq!(publisher.join().unwrap().0, Some(0));
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    let got = stdout.lines().count();
    assert!(got < n, "nothing was missed: {got} of {n}\n{stderr}");
}

#[test]
fn fill_gaps_reprints_what_a_full_queue_dropped() {
    let env = Env::new("fill-queue").partitions(2).redis();
    let n = 400;
    // --fetch waits for Kafka at every message: with a queue of 5, a burst
    // overflows it.
    let t = tail(
        &env.redis_url(),
        &[
            "events:seq:*",
            "--brokers",
            &env.brokers(),
            "--topic",
            &env.topic,
            "--fill-gaps",
            "--fetch",
            "--queue",
            "5",
            "--count",
            &n.to_string(),
            "--timeout",
            "90s",
        ],
    );
    t.wait_stderr("subscribed");
    env.dualstream()
        .arg("publish")
        .stdin(ticks("s", n).concat())
        .run()
        .expect_code(0);
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("dropped"),
        "the queue never overflowed\n{stderr}"
    );
    each_once(&stdout, "s", n, &stderr);
    assert!(json_lines(&stdout).iter().all(|l| l["event"]["n"].is_u64()));
}

#[test]
fn fill_gaps_checks_kafka_before_following_redis() {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    // A topic that is not there: said at once, not at the first gap.
    let run = dualstream()
        .args(["--redis", &redis.url(), "--brokers", &kafka.brokers()])
        .args([
            "--topic",
            "no-such-topic",
            "tail",
            "x",
            "--fill-gaps",
            "--timeout",
            "30s",
        ])
        .run();
    let run = run.expect_stderr(4, "--fill-gaps reads the gaps from Kafka");
    assert!(run.stderr().contains("no-such-topic"), "{}", run.describe());
    assert!(!run.stderr().contains("subscribed"), "{}", run.describe());
}
