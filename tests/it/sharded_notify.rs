//! `publish --sharded` on a real 6-node Redis Cluster, its SPUBLISH
//! pipelines written raw: every notification reaches an SSUBSCRIBE
//! subscriber (`redis-cli`, not ours) at its shard's master; a slot moved
//! mid-publish (ASK, then MOVED) is followed without a failure; a
//! master killed mid-publish is a warning and a count, never a failed
//! publish.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::*;

/// The channels of `ticks` (`events:seq:k<i % 4>`): their slots are spread
/// over all three masters.
const CHANNELS: [&str; 4] = [
    "events:seq:k0",
    "events:seq:k1",
    "events:seq:k2",
    "events:seq:k3",
];

/// `redis-cli SSUBSCRIBE` at one node: the (channel, payload) of each
/// `smessage` it prints, as they come.
struct ShardSubscriber {
    child: Child,
    got: mpsc::Receiver<(String, String)>,
    port: u16,
    channels: Vec<String>,
}

impl ShardSubscriber {
    fn start(port: u16, channels: &[&str]) -> ShardSubscriber {
        let mut child = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "SSUBSCRIBE"])
            .args(channels)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-cli");
        let out = child.stdout.take().unwrap();
        let (tx, got) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(out).lines().map_while(Result::ok);
            while let Some(line) = lines.next() {
                if line == "smessage" {
                    let (Some(channel), Some(payload)) = (lines.next(), lines.next()) else {
                        return;
                    };
                    if tx.send((channel, payload)).is_err() {
                        return;
                    }
                }
            }
        });
        let subscriber = ShardSubscriber {
            child,
            got,
            port,
            channels: channels.iter().map(|c| c.to_string()).collect(),
        };
        subscriber.wait_subscribed();
        subscriber
    }

    /// Until the node counts a subscriber on each of its channels.
    fn wait_subscribed(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.port)).unwrap();
        let mut conn = client.get_connection().unwrap();
        loop {
            let mut cmd = redis::cmd("PUBSUB");
            cmd.arg("SHARDNUMSUB").arg(&self.channels);
            let counts: Vec<redis::Value> = cmd.query(&mut conn).unwrap();
            let all = counts
                .chunks(2)
                .all(|pair| matches!(pair.get(1), Some(redis::Value::Int(n)) if *n >= 1));
            if all && counts.len() == 2 * self.channels.len() {
                return;
            }
            assert!(Instant::now() < deadline, "redis-cli did not subscribe");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What came until `n` came or `quiet` passed without any.
    fn take(&self, n: usize, quiet: Duration) -> Vec<(String, String)> {
        let mut got = Vec::new();
        while got.len() < n {
            match self.got.recv_timeout(quiet) {
                Ok(m) => got.push(m),
                Err(_) => break,
            }
        }
        got
    }
}

impl Drop for ShardSubscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tick number of a notification's event (`{prefix}<n>`).
fn tick(payload: &str, prefix: &str) -> u64 {
    let doc: serde_json::Value = serde_json::from_str(payload).unwrap();
    doc["id"]
        .as_str()
        .and_then(|id| id.strip_prefix(prefix))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a notification of ours: {payload}"))
}

/// The summary a publisher printed last on stderr.
fn summary_of(said: &str) -> serde_json::Value {
    let line = said
        .lines()
        .rfind(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no summary: {said}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn sharded_publish_reaches_an_ssubscriber_at_each_shard_every_notification_once() {
    let env = Env::new("sharded-raw").partitions(3);
    let cluster = RedisCluster::start();
    let masters = cluster.masters();
    let mut owned: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for c in CHANNELS {
        owned
            .entry(cluster.owner_of(cluster.slot_of(c)))
            .or_default()
            .push(c);
    }
    assert_eq!(owned.len(), 3, "the channels should span every master");
    // One redis-cli per channel (SSUBSCRIBE takes channels of one slot),
    // at the master that owns it.
    let subscribers: Vec<ShardSubscriber> = owned
        .iter()
        .flat_map(|(&m, channels)| channels.iter().map(move |c| (m, *c)))
        .map(|(m, c)| ShardSubscriber::start(cluster.nodes[m].port, &[c]))
        .collect();
    let n = 3000;
    let run = dualstream()
        .brokers(&env.brokers(), &cluster.url_from(masters[1]), &env.topic)
        .args(["--sharded", "publish", "--summary", "json"])
        .stdin(ticks("r", n).concat())
        .run()
        .expect_code(0);
    let summary = run.summary();
    assert_eq!(summary["acknowledged"], n as u64, "{}", run.describe());
    assert_eq!(summary["notified"], n as u64, "{}", run.describe());
    assert_eq!(summary["redis_failures"], 0, "{}", run.describe());
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for s in &subscribers {
        // Each shard gets the ticks of its channels, none of another's.
        let mine = (0..n)
            .filter(|i| s.channels.contains(&CHANNELS[i % 4].to_string()))
            .count();
        let got = s.take(mine, Duration::from_secs(10));
        assert_eq!(
            got.len(),
            mine,
            "at port {}: {} of {mine}",
            s.port,
            got.len()
        );
        for (channel, payload) in got {
            assert!(
                s.channels.contains(&channel),
                "{channel} at port {}",
                s.port
            );
            let i = tick(&payload, "r");
            assert_eq!(channel, CHANNELS[i as usize % 4], "{payload}");
            *seen.entry(i).or_default() += 1;
        }
        assert!(
            s.take(1, Duration::from_millis(300)).is_empty(),
            "more came"
        );
    }
    assert_eq!(seen.len(), n);
    assert!(seen.values().all(|&c| c == 1), "some came twice");
}

/// The ticks of `channel` (of four, `i % 4`) in `0..n` that `seen` lacks,
/// and whether they are one run with every later tick of the channel there.
fn holes(seen: &BTreeMap<u64, usize>, k: u64, n: usize) -> (Vec<u64>, bool) {
    let ticks: Vec<u64> = (0..n as u64).filter(|i| i % 4 == k).collect();
    let missing: Vec<u64> = ticks
        .iter()
        .copied()
        .filter(|i| !seen.contains_key(i))
        .collect();
    let one_run = match (missing.first(), missing.last()) {
        (Some(first), Some(last)) => ticks
            .iter()
            .filter(|t| *t >= first && *t <= last)
            .all(|t| !seen.contains_key(t)),
        _ => true,
    };
    let last_there = ticks.last().is_some_and(|t| seen.contains_key(t));
    (missing, one_run && last_there)
}

#[test]
fn sharded_publish_follows_a_slot_moved_mid_publish_and_loses_none_after_it() {
    let env = Env::new("sharded-raw-move").partitions(3);
    let cluster = RedisCluster::start();
    let masters = cluster.masters();
    let n = 2000;
    // tail --sharded resubscribes a channel whose slot left its node.
    let mut args: Vec<&str> = CHANNELS.to_vec();
    args.extend(["--sharded", "--format", "json", "--timeout", "60s"]);
    let t = tail(&cluster.url_from(masters[0]), &args);
    t.wait_stderr("subscribed");
    let publisher = steady_publisher_with(
        &env.brokers(),
        &cluster.url_from(masters[2]),
        &env.topic,
        &["--sharded", "-vv"],
        ticks("m", n),
        Duration::from_millis(3),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let slot = cluster.slot_of("events:seq:k1");
    let owner = cluster.owner_of(slot);
    let to = *masters.iter().find(|&&m| m != owner).unwrap();
    // Half-way (MIGRATING/IMPORTING: ASK) for a while, then done (MOVED).
    let from = cluster.begin_migration(slot, to);
    std::thread::sleep(Duration::from_millis(800));
    cluster.finish_migration(slot, to, from);
    let (published, said) = publisher.join().unwrap();
    assert_eq!(published, Some(0), "{said}");
    let summary = summary_of(&said);
    // Every acknowledged event's notification was taken, none counted failed.
    assert_eq!(summary["acknowledged"], n as u64, "{said}");
    assert_eq!(summary["notified"], n as u64, "{said}");
    assert_eq!(summary["redis_failures"], 0, "{said}");
    assert!(said.contains("said MOVED to"), "{said}");
    std::thread::sleep(Duration::from_millis(1000));
    sigint(t.child.id());
    let (_, stdout, stderr) = t.finish();
    let seen = printed(&stdout, "m");
    assert!(seen.values().all(|&c| c == 1), "printed twice\n{stderr}");
    // The channels that stayed lost nothing; k1 at most one run while tail
    // moved its subscription, and nothing after it.
    for k in [0, 2, 3] {
        let (missing, _) = holes(&seen, k, n);
        assert!(missing.is_empty(), "k{k} lost {missing:?}\n{stderr}");
    }
    let (missing, after_none) = holes(&seen, 1, n);
    assert!(after_none, "k1 lost {missing:?} (not one run)\n{stderr}");
    eprintln!(
        "slot move: tail missed {} of k1's notifications while it resubscribed",
        missing.len()
    );
}

#[test]
fn sharded_publish_outlives_a_killed_master_with_a_warning_and_a_count() {
    let env = Env::new("sharded-raw-kill").partitions(3);
    let mut cluster = RedisCluster::start();
    let masters = cluster.masters();
    let n = 2500;
    let mut args: Vec<&str> = CHANNELS.to_vec();
    args.extend(["--sharded", "--format", "json", "--timeout", "60s"]);
    let k2 = cluster.owner_of(cluster.slot_of("events:seq:k2"));
    let other = *masters.iter().find(|&&m| m != k2).unwrap();
    let t = tail(&cluster.url_from(other), &args);
    t.wait_stderr("subscribed");
    let publisher = steady_publisher_with(
        &env.brokers(),
        &cluster.url_from(other),
        &env.topic,
        &["--sharded"],
        ticks("d", n),
        Duration::from_millis(4),
    );
    std::thread::sleep(Duration::from_millis(1500));
    cluster.kill(k2);
    let (published, said) = publisher.join().unwrap();
    assert_eq!(
        published,
        Some(0),
        "a dead master failed the publish: {said}"
    );
    let summary = summary_of(&said);
    assert_eq!(summary["acknowledged"], n as u64, "{said}");
    let notified = summary["notified"].as_u64().unwrap();
    let failed = summary["redis_failures"].as_u64().unwrap();
    assert!(
        failed > 0,
        "nothing counted while a master was dead: {said}"
    );
    assert_eq!(notified + failed, n as u64, "{said}");
    assert!(
        said.contains("notifications that cannot be sent are counted as failed"),
        "{said}"
    );
    // Once its replica took over, k2's notifications went on.
    assert_ne!(cluster.owner_of(cluster.slot_of("events:seq:k2")), k2);
    std::thread::sleep(Duration::from_millis(1000));
    sigint(t.child.id());
    let (_, stdout, stderr) = t.finish();
    let seen = printed(&stdout, "d");
    assert!(seen.values().all(|&c| c == 1), "printed twice\n{stderr}");
    // Nothing counted as failed arrived: what tail saw, Redis took.
    assert!(
        seen.len() as u64 <= notified,
        "tail saw {} but {notified} were notified\n{stderr}",
        seen.len()
    );
    let lasts: BTreeSet<u64> = (n as u64 - 4..n as u64).collect();
    assert!(
        lasts.iter().all(|i| seen.contains_key(i)),
        "the last notifications of each channel did not arrive\n{said}\n{stderr}"
    );
    eprintln!("killed master: {failed} of {n} notifications counted failed");
}
