//! Numbered events for the tests that must see each one exactly once
//! (gap filling, cluster failover): a generator, a publisher feeding them at
//! a steady rate, and the check of what tail printed.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use super::*;

/// Events `0..n` with ids `{prefix}{i}`, without a time field (stamped now),
/// over four source ids.
pub fn ticks(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "{{\"id\":\"{prefix}{i}\",\"type\":\"tick\",\"source_type\":\"seq\",\"source_id\":\"k{}\",\"n\":{i}}}\n",
                i % 4
            )
        })
        .collect()
}

/// `dualstream publish` to `topic` at `brokers` (Redis `redis`, or `off`),
/// fed one line every `every`; joins to its exit code and stderr, which
/// ends with the `--summary json` document.
pub fn steady_publisher(
    brokers: &str,
    redis: &str,
    topic: &str,
    lines: Vec<String>,
    every: Duration,
) -> std::thread::JoinHandle<(Option<i32>, String)> {
    steady_publisher_with(brokers, redis, topic, &[], lines, every)
}

/// [`steady_publisher`] with more options for `publish` (`--sharded`).
pub fn steady_publisher_with(
    brokers: &str,
    redis: &str,
    topic: &str,
    extra: &[&str],
    lines: Vec<String>,
    every: Duration,
) -> std::thread::JoinHandle<(Option<i32>, String)> {
    let mut child = dualstream()
        .brokers(brokers, redis, topic)
        .args(["publish", "--summary", "json"])
        .args(if extra.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "60s"][..]
        })
        .args(extra)
        .spawn();
    let mut stdin = child.stdin.take().unwrap();
    let stderr = collect(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in lines {
            // A publisher that stopped early says why through its exit.
            if stdin.write_all(line.as_bytes()).is_err() {
                break;
            }
            std::thread::sleep(every);
        }
        drop(stdin);
        let code = wait_exit(&mut child, Duration::from_secs(120));
        (code, stderr.join().unwrap())
    })
}

/// How often tail (json lines on stdout) printed each `{prefix}{n}`.
pub fn printed(stdout: &str, prefix: &str) -> BTreeMap<u64, usize> {
    let mut seen = BTreeMap::new();
    for line in json_lines(stdout) {
        let id = line["payload"]["id"].as_str().unwrap_or_default();
        let Some(n) = id.strip_prefix(prefix).and_then(|n| n.parse().ok()) else {
            panic!("not a notification of ours: {line}");
        };
        *seen.entry(n).or_insert(0) += 1;
    }
    seen
}

/// Assert that tail printed every `{prefix}0..n` exactly once; how often
/// each was printed.
pub fn each_once(stdout: &str, prefix: &str, n: usize, stderr: &str) -> BTreeMap<u64, usize> {
    let seen = printed(stdout, prefix);
    let missing: Vec<u64> = (0..n as u64).filter(|i| !seen.contains_key(i)).collect();
    let twice: Vec<(&u64, &usize)> = seen.iter().filter(|(_, &c)| c > 1).collect();
    // The lines of the first event printed twice: where each copy came from.
    let first_twice: Vec<&str> = twice
        .first()
        .map(|(n, _)| {
            stdout
                .lines()
                .filter(|l| l.contains(&format!("\"{prefix}{n}\"")))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        missing.is_empty() && twice.is_empty(),
        "missing {missing:?}, printed more than once: {twice:?}\n{first_twice:#?}\n{stderr}"
    );
    seen
}
