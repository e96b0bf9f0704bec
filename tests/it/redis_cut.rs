//! What a Redis cut lost, counted: a real Redis whose pubsub output-buffer
//! limit is tiny cuts `tail` off while it is frozen (SIGSTOP) and a flood
//! of notifications comes; once it is back and resubscribed, tail says how
//! many notifications the gap lost, per partition, from the Kafka offsets
//! of the notifications around it — checked against what Kafka holds and
//! what tail printed.

use std::time::{Duration, Instant};

use crate::common::*;

/// A Redis that cuts a subscriber 64 kB behind at once.
fn cutting_redis() -> Redis {
    Redis::start_with(&["--client-output-buffer-limit", "pubsub 64kb 32kb 1"])
}

/// Whether `redis` has a Pub/Sub client now.
fn has_subscriber(redis: &Redis) -> bool {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .arg("TYPE")
        .arg("pubsub")
        .query(&mut conn)
        .unwrap();
    list.lines().any(|l| !l.trim().is_empty())
}

fn publish(env: &Env, redis: &Redis, prefix: &str, n: usize) {
    let run = dualstream()
        .brokers(&env.brokers(), &redis.url(), &env.topic)
        .args(["publish", "--summary", "json"])
        .stdin(ticks(prefix, n).concat())
        .run()
        .expect_code(0);
    let summary = run.summary();
    assert_eq!(summary["notified"], n as u64, "{}", run.describe());
}

/// Freeze `t`, flood until Redis cut it off, thaw it and wait until it is
/// back; the ticks published (of prefix `f`).
fn cut_off(env: &Env, redis: &Redis, t: &Tailing) -> (usize, Vec<String>) {
    signal(t.child.id(), "-STOP");
    let mut flooded = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while has_subscriber(redis) {
        assert!(Instant::now() < deadline, "Redis never cut tail off");
        // Each batch its own ids: f<batch>-<i>.
        publish(env, redis, &format!("f{flooded}-"), 20_000);
        flooded += 1;
    }
    signal(t.child.id(), "-CONT");
    let said = t.wait_stderr("resubscribed after a gap");
    (flooded, said)
}

/// `N` of "lost N notifications" / "lost at least N notifications".
fn counted(line: &str) -> u64 {
    let rest = line.split(" lost ").nth(1).unwrap();
    let rest = rest.strip_prefix("at least ").unwrap_or(rest);
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

/// The distinct (partition, offset) of every notification tail printed.
fn printed_offsets(lines: &[String]) -> std::collections::BTreeSet<(i64, i64)> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["payload"]["partition"].as_i64().unwrap(),
                v["payload"]["offset"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Notifications in both partitions before and after a cut of `t` by
/// Redis, whose gap warning must say `gap_says`; then Ctrl-C. What tail
/// printed, its count line, and all it said.
fn cut_and_counted(
    env: &Env,
    redis: &Redis,
    t: Tailing,
    gap_says: &str,
) -> (Vec<String>, String, String) {
    t.wait_stderr("subscribed");
    publish(env, redis, "a", 200);
    let mut out = t.lines(200, Duration::from_secs(20));
    let (_, mut said) = cut_off(env, redis, &t);
    assert!(said.iter().any(|l| l.contains(gap_says)), "{said:#?}");
    // After it: every partition gets notifications again, and the count
    // is said.
    publish(env, redis, "b", 200);
    said.extend(t.wait_stderr(" lost "));
    std::thread::sleep(Duration::from_millis(1000));
    sigint(t.child.id());
    let (_, rest, stderr) = t.finish();
    out.extend(rest.lines().map(str::to_string));
    let line = said
        .iter()
        .find(|l| l.contains("redis: the gap of") && l.contains(" lost "))
        .unwrap_or_else(|| panic!("no count: {said:#?}\n{stderr}"))
        .clone();
    (out, line, format!("{}\n{stderr}", said.join("\n")))
}

#[test]
fn a_redis_cut_reports_how_many_notifications_it_lost_per_partition() {
    let env = Env::new("redis-cut").partitions(2);
    let redis = cutting_redis();
    let t = tail(
        &redis.url(),
        &[
            "events:seq:*",
            "--format",
            "json",
            "--queue",
            "1000000",
            "--timeout",
            "120s",
        ],
    );
    let (out, line, stderr) =
        cut_and_counted(&env, &redis, t, "messages published in the gap were missed");
    // Exact: both partitions had notifications before and after, every
    // offset on a tailed channel.
    assert!(
        !line.contains("at least") && !line.contains("at most"),
        "{line}"
    );
    assert!(line.contains(&format!("of {}", env.topic)), "{line}");
    assert!(line.contains("counted by their Kafka offsets"), "{line}");
    let records = env.records();
    let seen = printed_offsets(&out);
    // Tail's own queue held all: only Redis lost any.
    assert!(!stderr.contains("dropped"), "{stderr}");
    let lost = counted(&line);
    assert!(lost > 0, "{line}");
    // What Kafka holds, less what tail printed, is what the cut lost.
    assert_eq!(
        lost,
        records.len() as u64 - seen.len() as u64,
        "{line}\n{} records in Kafka, {} printed\n{stderr}",
        records.len(),
        seen.len()
    );
    assert_eq!(out.len(), seen.len(), "printed twice\n{stderr}");
    // Per partition too.
    for p in 0..2i64 {
        let in_kafka = records.iter().filter(|r| r.partition as i64 == p).count() as u64;
        let printed = seen.iter().filter(|(q, _)| *q == p).count() as u64;
        let part = format!("partition {p}: {}", in_kafka - printed);
        assert!(
            line.contains(&part) || in_kafka == printed,
            "{line}: wanted {part}"
        );
    }
    eprintln!("redis cut: {line}");
}

#[test]
fn a_redis_cut_filled_from_kafka_reports_the_same_count_read_from_kafka() {
    let env = Env::new("redis-cut-fill").partitions(2);
    let redis = cutting_redis();
    let t = dualstream()
        .brokers(&env.brokers(), &redis.url(), &env.topic)
        .args(["tail", "events:seq:*", "--format", "json", "--fill-gaps"])
        .args(["--queue", "1000000"])
        .args(["--timeout", "120s"])
        .start();
    let (out, line, stderr) = cut_and_counted(&env, &redis, t, "reading the gap from Kafka");
    assert!(line.contains("read from Kafka"), "{line}");
    assert!(!line.contains("at least"), "{line}");
    // Every record printed once, the gap's from Kafka.
    let records = env.records();
    let seen = printed_offsets(&out);
    assert_eq!(seen.len(), records.len(), "{stderr}");
    assert_eq!(out.len(), records.len(), "printed twice\n{stderr}");
    let from_kafka = out
        .iter()
        .filter(|l| l.contains("\"source\":\"kafka\""))
        .count() as u64;
    // What the cut lost was read from Kafka (the fill reads a little past
    // it, up to the end offsets a second after the resubscription, and
    // drops the live originals of those).
    let lost = counted(&line);
    assert!(
        lost > 0 && lost <= from_kafka,
        "{line}: {from_kafka} read from Kafka\n{stderr}"
    );
    eprintln!("redis cut, filled: {line}; {from_kafka} printed from Kafka");
}
