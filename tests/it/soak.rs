//! A randomized soak of the promise "an event reported as published is in
//! Kafka, once per run, in order per source id": publish runs under a random
//! schedule of broker faults — a Kafka node killed (-9) and restarted,
//! frozen (SIGSTOP/SIGCONT), its connections cut or stalled by the proxy in
//! front of it; Redis killed, restarted or frozen — and after each run Kafka
//! is read back. Each soak runs on a single node and on a 3-node cluster
//! (where a node's proxy carries its replication too, so cutting it cuts
//! the node off from the others; the cluster's runs are also read back by
//! Kafka's own Java consumer).
//!
//! A run that succeeded must leave every event in Kafka exactly once; one
//! that failed (exit 4), every line before its resume line exactly once.
//! Past the resume line a failed run may leave an event twice: one it
//! reported as failed (written, its answer lost), or — seen once in 100
//! runs on the cluster, two events of 295,291 — one acknowledged after a
//! message timed out and librdkafka reset its producer epoch, retrying a
//! batch the broker had already written (librdkafka#4953). The user's
//! repair, a rerun from the resume line, sends those lines again anyway:
//! counted (acknowledged when its notification reached Redis, which is
//! sent only after the acknowledgement), not violations. Each failed run
//! is rerun from its resume line without faults, and then every event must
//! be in Kafka.
//!
//! CI runs a few runs; `DUALSTREAM_SOAK_RUNS=100 cargo nextest run --profile soak soak
//! --no-capture` runs a long one (`DUALSTREAM_SOAK_SEED` picks another
//! schedule). Prints runs, faults, events checked, violations.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::time::{Duration, Instant};

use crate::common::*;

/// xorshift64*: a fixed schedule per seed, no dependency.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    KillKafka,
    FreezeKafka,
    CutConnections,
    StallNetwork,
    KillRedis,
    FreezeRedis,
}

const FAULTS: [Fault; 6] = [
    Fault::KillKafka,
    Fault::FreezeKafka,
    Fault::CutConnections,
    Fault::StallNetwork,
    Fault::KillRedis,
    Fault::FreezeRedis,
];

#[derive(Default, Debug)]
struct Tally {
    runs: u64,
    faults: BTreeMap<String, u64>,
    exits: BTreeMap<i32, u64>,
    acknowledged: u64,
    checked: u64,
    violations: Vec<String>,
    /// Runs after which the broker had to be restarted to be read.
    wedged: Vec<String>,
    /// Events the run reported as not acknowledged that Kafka holds twice
    /// (a retry the broker could not tell apart): allowed, since the user
    /// was told they failed and a rerun from the resume line sends them
    /// again anyway; counted.
    unacknowledged_twice: u64,
    /// Events acknowledged past the resume line of a failed run that Kafka
    /// holds twice (librdkafka's epoch reset after a message timeout).
    acknowledged_twice_past_resume: u64,
    /// Exit-4 runs rerun from their resume line, and events that rerun sent.
    reruns: u64,
    resent: u64,
}

#[test]
fn publish_keeps_its_promise_under_random_faults() {
    publish_soak(Rig::single(), 2);
}

#[test]
fn publish_keeps_its_promise_on_a_3_node_cluster_under_random_faults() {
    publish_soak(Rig::cluster(3), 2);
}

/// The servers a soak runs against: Kafka (one node or a cluster) with a
/// fault proxy in front of each node, and a Redis.
struct Rig {
    kafka: Kafka,
    proxies: Vec<Proxy>,
    redis: Redis,
}

impl Rig {
    fn single() -> Rig {
        let (broker_port, proxy_port) = (free_port(), free_port());
        let proxy = Proxy::start(proxy_port, broker_port);
        Rig {
            kafka: Kafka::start_advertising(broker_port, proxy_port),
            proxies: vec![proxy],
            redis: Redis::start(),
        }
    }

    fn cluster(nodes: usize) -> Rig {
        let ports: Vec<(u16, u16)> = (0..nodes).map(|_| (free_port(), free_port())).collect();
        let proxies = ports
            .iter()
            .map(|&(broker, proxy)| Proxy::start(proxy, broker))
            .collect();
        Rig {
            kafka: Kafka::cluster_advertising(&ports),
            proxies,
            redis: Redis::start(),
        }
    }

    fn nodes(&self) -> u64 {
        self.proxies.len() as u64
    }

    /// The node a Kafka fault hits (any of a cluster's).
    fn pick(&self, rng: &mut Rng) -> u32 {
        if self.nodes() > 1 {
            1 + rng.below(self.nodes()) as u32
        } else {
            1
        }
    }

    /// A cluster is read back once every partition has its leader and all
    /// its replicas again.
    fn settle(&self, topic: &str) {
        if self.nodes() > 1 {
            self.kafka.wait_healthy(topic);
        }
    }
}

/// One scheduled fault: what, on which node, when, for how long.
type Scheduled = (Fault, u32, Duration, Duration);

fn publish_soak(mut rig: Rig, default_runs: u64) {
    let runs: u64 = std::env::var("DUALSTREAM_SOAK_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_runs);
    let seed: u64 = std::env::var("DUALSTREAM_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_d0a1);
    let mut rng = Rng(seed | 1);
    let mut tally = Tally::default();
    let nodes = rig.nodes();
    for run in 0..runs {
        eprintln!("soak run {run}: starting");
        let faults: Vec<Scheduled> = (0..1 + rng.below(2))
            .map(|_| {
                let fault = FAULTS[rng.below(FAULTS.len() as u64) as usize];
                let at = Duration::from_millis(100 + rng.below(1500));
                let lasting = Duration::from_millis(200 + rng.below(4000));
                (fault, rig.pick(&mut rng), at, lasting)
            })
            .collect();
        soak_run(run, &faults, &mut rig, &mut tally);
        eprintln!(
            "soak run {run}: {faults:?}; {} violations so far",
            tally.violations.len()
        );
    }
    eprintln!(
        "soak ({nodes} node(s)): {} runs (seed {seed}), faults {:?}, exits {:?}, {} acknowledged events checked in Kafka, {} events read back, {} unacknowledged events found twice, {} acknowledged past the resume line found twice, {} reruns from the resume line re-sending {} events, {} violations",
        tally.runs,
        tally.faults,
        tally.exits,
        tally.acknowledged,
        tally.checked,
        tally.unacknowledged_twice,
        tally.acknowledged_twice_past_resume,
        tally.reruns,
        tally.resent,
        tally.violations.len()
    );
    for w in &tally.wedged {
        eprintln!("soak: broker wedged, restarted to read back: {w}");
    }
    assert!(
        tally.violations.is_empty(),
        "violations:\n{}",
        tally.violations.join("\n")
    );
}

fn soak_run(run: u64, faults: &[Scheduled], rig: &mut Rig, tally: &mut Tally) {
    let topic = format!("{}-{run}", topic("soak"));
    rig.kafka.create_topic(&topic, 3);
    let n = 4000;
    // Unique ids per run; `n` is the sequence within its source.
    let input: Vec<String> = (0..n as u64).map(|i| input_line(run, i)).collect();
    let notified = rig.redis.subscribe("*");
    let mut child = dualstream()
        .brokers(&rig.kafka.brokers(), &rig.redis.url(), &topic)
        .args(["publish", "--timeout", "3s", "--summary", "json"])
        .spawn();
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // About 2 s of input, in small bursts.
        for chunk in input.chunks(100) {
            if stdin.write_all(chunk.concat().as_bytes()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let started = Instant::now();
    for &(fault, node, at, lasting) in faults {
        if let Some(wait) = at.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        *tally.faults.entry(format!("{fault:?}")).or_default() += 1;
        inject(fault, node, lasting, rig);
    }
    writer.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            tally
                .violations
                .push(format!("run {run}: publish hung ({faults:?})"));
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = stderr.join().unwrap();
    let code = status.code().unwrap_or(-1);
    tally.runs += 1;
    *tally.exits.entry(code).or_default() += 1;
    let context = format!("run {run} ({faults:?}), exit {code}");
    if code != 0 && code != 4 {
        tally
            .violations
            .push(format!("{context}: unexpected exit\n{stderr}"));
        return;
    }
    let summary: serde_json::Value = stderr
        .lines()
        .rev()
        .find_map(|l| {
            serde_json::from_str(l)
                .ok()
                .filter(|v: &serde_json::Value| v.is_object())
        })
        .unwrap_or_default();
    let acknowledged = summary["acknowledged"].as_u64().unwrap_or(0);
    // Every line before the resume point is known to be in Kafka.
    let resume_line = match summary["resume_from"].as_str() {
        Some(place) => place
            .rsplit(':')
            .next()
            .and_then(|l| l.parse::<u64>().ok())
            .unwrap_or(1),
        None => n as u64 + 1,
    };
    if code == 0 && (acknowledged != n as u64 || resume_line != n as u64 + 1) {
        tally.violations.push(format!(
            "{context}: exit 0 with {acknowledged} of {n} acknowledged"
        ));
    }
    if code == 4 && !stderr.contains("not acknowledged") {
        tally
            .violations
            .push(format!("{context}: exit 4 without the count\n{stderr}"));
    }
    let proven = acknowledged_by_notification(&notified);
    let Some(records) = read_back(rig, &topic, &context, tally) else {
        return;
    };
    tally.checked += records.len() as u64;
    tally.acknowledged += acknowledged;
    let ids = check_records(&records, code, resume_line, &proven, &context, tally);
    java_agrees(
        rig,
        &topic,
        &records,
        &format!("{context} (resume line {resume_line})"),
        tally,
    );
    if (ids.len() as u64) < acknowledged {
        tally.violations.push(format!(
            "{context}: {acknowledged} acknowledged but only {} in Kafka",
            ids.len()
        ));
    }
    for line in 1..resume_line {
        let id = format!("r{run}-e{}", line - 1);
        if !ids.contains_key(&id) {
            tally.violations.push(format!(
                "{context}: {id} (line {line}, before the resume point) is not in Kafka"
            ));
            break;
        }
    }
    if code == 0 {
        return;
    }
    // The user's repair: send the input again from the resume line, with
    // no faults. Afterwards every event is in Kafka, and what was
    // acknowledged before the resume line still once.
    let rest: Vec<u8> = (resume_line - 1..n as u64)
        .flat_map(|i| input_line(run, i).into_bytes())
        .collect();
    tally.reruns += 1;
    tally.resent += n as u64 + 1 - resume_line;
    let again = dualstream()
        .brokers(&rig.kafka.brokers(), &rig.redis.url(), &topic)
        .args(["publish", "--timeout", "30s"])
        .stdin(rest)
        .run();
    if again.code() != 0 {
        tally.violations.push(format!(
            "{context}: the rerun from line {resume_line} failed\n{}",
            again.describe()
        ));
        return;
    }
    let Some(records) = read_back(rig, &topic, &context, tally) else {
        return;
    };
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for r in &records {
        *seen.entry(record_id(r)).or_default() += 1;
    }
    let missing: Vec<u64> = (0..n as u64)
        .filter(|i| !seen.contains_key(&format!("r{run}-e{i}")))
        .take(10)
        .collect();
    if !missing.is_empty() {
        tally.violations.push(format!(
            "{context}: after the rerun from line {resume_line}, events {missing:?} (0-based) are still not in Kafka"
        ));
    }
    if let Some(line) =
        (1..resume_line).find(|l| seen.get(&format!("r{run}-e{}", l - 1)) != Some(&1))
    {
        tally.violations.push(format!(
            "{context}: after the rerun, line {line} (before the resume point) is not in Kafka exactly once"
        ));
    }
}

/// One event of a run's input, by its 0-based number.
fn input_line(run: u64, i: u64) -> String {
    format!(
        "{{\"id\":\"r{run}-e{i}\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"k{}\",\"n\":{i}}}\n",
        i % 8
    )
}

fn record_id(r: &Record) -> String {
    r.json()["id"].as_str().unwrap_or_default().to_string()
}

/// The ids whose notification reached Redis: publish notifies only after
/// Kafka acknowledged an event, so each proves its event acknowledged,
/// also past the resume line (a subset: Redis faults lose some).
fn acknowledged_by_notification(notified: &Subscriber) -> HashSet<String> {
    notified
        .settle(Duration::from_millis(300))
        .iter()
        .filter_map(|(_, payload)| {
            serde_json::from_str::<serde_json::Value>(payload).ok()?["id"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

/// The topic's records once the log stopped changing: a cluster healed
/// (every replica back in sync), and two reads a second apart agreeing —
/// records a stalled follower held back become readable only when it
/// catches up, and two readers must see the same log. A broker that
/// stopped answering (seen: Tansu after a stall and a kill) is restarted:
/// what it stored is what is checked.
fn read_back(rig: &Rig, topic: &str, context: &str, tally: &mut Tally) -> Option<Vec<Record>> {
    rig.settle(topic);
    let read = |tally: &mut Tally| match rig.kafka.try_records(topic) {
        Ok(r) => Some(r),
        Err(e) => {
            tally.wedged.push(format!("{context}: {e}"));
            rig.kafka.restart();
            match rig.kafka.try_records(topic) {
                Ok(r) => Some(r),
                Err(e) => {
                    tally.violations.push(format!(
                        "{context}: Kafka unreadable even after a restart: {e}"
                    ));
                    None
                }
            }
        }
    };
    let mut records = read(tally)?;
    for _ in 0..10 {
        std::thread::sleep(Duration::from_secs(1));
        let again = read(tally)?;
        if again.len() == records.len() {
            return Some(again);
        }
        records = again;
    }
    tally.violations.push(format!(
        "{context}: {topic} still growing 10 s after the run"
    ));
    None
}

/// Duplicates and per-key order in what a run left in Kafka; the count of
/// each id. A duplicate in a run that succeeded, or before the resume line
/// of one that failed, is a violation; past the resume line (which the
/// user's rerun sends again anyway) it is counted, as acknowledged when its
/// notification was seen.
fn check_records(
    records: &[Record],
    code: i32,
    resume_line: u64,
    proven: &HashSet<String>,
    context: &str,
    tally: &mut Tally,
) -> BTreeMap<String, u64> {
    let mut ids: BTreeMap<String, u64> = BTreeMap::new();
    let mut at: BTreeMap<String, (i32, i64)> = BTreeMap::new();
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    for r in records {
        let v = r.json();
        let id = record_id(r);
        let seq = v["n"].as_u64().unwrap_or(0);
        let count = ids.entry(id.clone()).or_default();
        *count += 1;
        if *count == 2 {
            let (p, o) = at.get(&id).copied().unwrap_or_default();
            if seq + 1 < resume_line || code == 0 {
                tally.violations.push(format!(
                    "{context}: {id}, acknowledged, is in Kafka twice ({p}@{o} and {}@{}; resume line {resume_line})",
                    r.partition, r.offset
                ));
            } else if proven.contains(&id) {
                // Past the resume line of a run that failed: a message
                // timed out, librdkafka reset its producer epoch, and a
                // batch it retried under the new one was written twice
                // (librdkafka#4953). The rerun from the resume line sends
                // it again anyway; counted.
                tally.acknowledged_twice_past_resume += 1;
            } else {
                tally.unacknowledged_twice += 1;
            }
        }
        at.entry(id.clone()).or_insert((r.partition, r.offset));
        // Per-key order: within a partition, each source's sequence grows
        // (a second copy of a failed event may follow later ones).
        let key = format!("{}/{}", r.partition, r.key.clone().unwrap_or_default());
        if *count == 1 {
            if let Some(&before) = last.get(&key) {
                if seq <= before {
                    tally
                        .violations
                        .push(format!("{context}: {key} has n={seq} after n={before}"));
                }
            }
            last.insert(key, seq);
        }
    }
    ids
}

/// On a cluster, Kafka's own Java consumer reads the same records
/// (partition, offset, id) as librdkafka did.
fn java_agrees(rig: &Rig, topic: &str, records: &[Record], context: &str, tally: &mut Tally) {
    if rig.nodes() == 1 {
        return;
    }
    let ours: HashSet<(i32, i64, String)> = records
        .iter()
        .map(|r| (r.partition, r.offset, record_id(r)))
        .collect();
    let java: HashSet<(i32, i64, String)> = rig
        .kafka
        .java_records(topic, records.len())
        .into_iter()
        .filter_map(|(p, o, _, v)| {
            let id = serde_json::from_str::<serde_json::Value>(&v).ok()?["id"]
                .as_str()?
                .to_string();
            Some((p, o, id))
        })
        .collect();
    if java != ours {
        let mut only_java: Vec<_> = java.difference(&ours).collect();
        let mut only_rdkafka: Vec<_> = ours.difference(&java).collect();
        only_java.sort();
        only_rdkafka.sort();
        only_java.truncate(10);
        only_rdkafka.truncate(10);
        tally.violations.push(format!(
            "{context}: Kafka's Java consumer read {} records, librdkafka {} (only Java: {only_java:?}; only librdkafka: {only_rdkafka:?})",
            java.len(),
            ours.len()
        ));
    }
}

fn inject(fault: Fault, node: u32, lasting: Duration, rig: &mut Rig) {
    let proxy = &rig.proxies[node as usize - 1];
    match fault {
        Fault::KillKafka => {
            rig.kafka.kill_node(node);
            std::thread::sleep(lasting);
            rig.kafka.restart();
        }
        Fault::FreezeKafka => freeze(rig.kafka.pid_of(node), lasting),
        Fault::CutConnections => proxy.cut(),
        Fault::StallNetwork => {
            proxy.stall(true);
            std::thread::sleep(lasting);
            proxy.stall(false);
            // Bytes were swallowed mid-request: what is open is garbage now.
            proxy.cut();
        }
        Fault::KillRedis => {
            rig.redis.stop();
            std::thread::sleep(lasting);
            rig.redis.restart();
        }
        Fault::FreezeRedis => freeze(rig.redis.pid(), lasting),
    }
}

fn freeze(pid: Option<u32>, lasting: Duration) {
    if let Some(pid) = pid {
        signal(pid, "-STOP");
        std::thread::sleep(lasting);
        signal(pid, "-CONT");
    }
}

/// Kafka-side faults only: `replay --to-topic` does not use Redis.
const COPY_FAULTS: [Fault; 4] = [
    Fault::KillKafka,
    Fault::FreezeKafka,
    Fault::CutConnections,
    Fault::StallNetwork,
];

/// The promise of `replay --group --to-topic`: what the group committed was
/// copied, and reruns after a failure complete the copy — every source
/// record ends up in the target topic (at least once). Each run copies a
/// fresh source under a random schedule of broker faults, then checks the
/// commits against the target, reruns without faults until a run succeeds
/// and checks the target has every source record.
///
/// `DUALSTREAM_SOAK_RUNS` and `DUALSTREAM_SOAK_SEED` work as for publish.
#[test]
fn replay_group_to_topic_keeps_its_promise_under_random_faults() {
    copy_soak(Rig::single(), 2);
}

#[test]
fn replay_group_to_topic_keeps_its_promise_on_a_3_node_cluster_under_random_faults() {
    copy_soak(Rig::cluster(3), 1);
}

fn copy_soak(mut rig: Rig, default_runs: u64) {
    let runs: u64 = std::env::var("DUALSTREAM_SOAK_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_runs);
    let seed: u64 = std::env::var("DUALSTREAM_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xc0_9e5e);
    let mut rng = Rng(seed | 1);
    let nodes = rig.nodes();
    let mut tally = Tally::default();
    let mut reruns = 0u64;
    let mut duplicates = 0u64;
    for run in 0..runs {
        let faults: Vec<Scheduled> = (0..1 + rng.below(2))
            .map(|_| {
                let fault = COPY_FAULTS[rng.below(COPY_FAULTS.len() as u64) as usize];
                let at = Duration::from_millis(100 + rng.below(1500));
                let lasting = Duration::from_millis(200 + rng.below(4000));
                (fault, rig.pick(&mut rng), at, lasting)
            })
            .collect();
        let mut copy = Copy {
            run,
            faults: &faults,
            rig: &mut rig,
            tally: &mut tally,
        };
        if let Some((r, d)) = copy.run() {
            reruns += r;
            duplicates += d;
        }
        eprintln!(
            "copy soak run {run}: {faults:?}; {} violations so far",
            tally.violations.len()
        );
    }
    eprintln!(
        "copy soak ({nodes} node(s)): {} runs (seed {seed}), faults {:?}, exits of the faulted runs {:?}, {reruns} reruns, {} source records checked in the target, {duplicates} copied twice, {} violations",
        tally.runs,
        tally.faults,
        tally.exits,
        tally.checked,
        tally.violations.len()
    );
    for w in &tally.wedged {
        eprintln!("copy soak: broker wedged, restarted to read back: {w}");
    }
    assert!(
        tally.violations.is_empty(),
        "violations:\n{}",
        tally.violations.join("\n")
    );
}

struct Copy<'a> {
    run: u64,
    faults: &'a [Scheduled],
    rig: &'a mut Rig,
    tally: &'a mut Tally,
}

impl Copy<'_> {
    /// One soak run; `Some((reruns, records copied twice))` when it got as
    /// far as checking.
    fn run(&mut self) -> Option<(u64, u64)> {
        let run = self.run;
        let source = format!("{}-{run}", topic("copysoak-src"));
        let target = format!("{}-{run}", topic("copysoak-dst"));
        let group = format!("copysoak-{run}");
        self.rig.kafka.create_topic(&source, 3);
        self.rig.kafka.create_topic(&target, 3);
        let n = 3000;
        let input: String = (0..n)
            .map(|i| {
                format!(
                    "{{\"id\":\"c{run}-e{i}\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"k{}\",\"n\":{i}}}\n",
                    i % 8
                )
            })
            .collect();
        seed(&self.rig.kafka, &source, input);
        let copy = |kafka: &Kafka| {
            dualstream()
                .brokers(&kafka.brokers(), "off", &source)
                .args([
                    "replay",
                    "--group",
                    &group,
                    "--to-topic",
                    &target,
                    "--timeout",
                    "3s",
                    "-X",
                    "auto.commit.interval.ms=200",
                ])
        };
        // Few copies in flight: the copy lasts long enough for the faults.
        // A member that could not leave (broker gone) is dropped after 6 s
        // rather than 45: the reruns need not wait it out.
        // On the cluster an acks=all copy waits for two followers, about
        // 80 ms here with three JVMs on two cores: 2 in flight would make
        // the copy last minutes, past the faults and the 120 s bound.
        let in_flight = if self.rig.nodes() > 1 { "40" } else { "2" };
        let mut child = copy(&self.rig.kafka)
            .arg("-v")
            .args([
                "--max-in-flight",
                in_flight,
                "-X",
                "session.timeout.ms=6000",
            ])
            .spawn();
        let stderr = collect(child.stderr.take().unwrap());
        let started = Instant::now();
        for &(fault, node, at, lasting) in self.faults {
            if let Some(wait) = at.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            *self.tally.faults.entry(format!("{fault:?}")).or_default() += 1;
            inject(fault, node, lasting, self.rig);
        }
        let context = format!("run {run} ({:?})", self.faults);
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let said = stderr.join().unwrap_or_default();
                let tail: Vec<&str> = said.lines().rev().take(40).collect();
                self.tally.violations.push(format!(
                    "{context}: replay --to-topic hung; its stderr ends:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ));
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stderr = stderr.join().unwrap();
        let code = status.code().unwrap_or(-1);
        self.tally.runs += 1;
        *self.tally.exits.entry(code).or_default() += 1;
        if code != 0 && code != 4 {
            self.tally
                .violations
                .push(format!("{context}: exit {code}\n{stderr}"));
            return None;
        }
        // What the group committed must be in the target already.
        let sources = self.read(&source, &context)?;
        let copied = self.ids(&target, &context)?;
        let commits = match try_committed(&self.rig.kafka.brokers(), &source, &group) {
            Ok(c) => c,
            Err(e) => {
                self.tally
                    .violations
                    .push(format!("{context}: committed offsets unreadable: {e}"));
                return None;
            }
        };
        for r in &sources {
            let below = r.offset < commits.get(&(r.partition as i64)).copied().unwrap_or(0);
            let id = r.json()["id"].as_str().unwrap_or_default().to_string();
            if below && !copied.contains_key(&id) {
                self.tally.violations.push(format!(
                    "{context}, exit {code}: {id} (partition {} offset {}) committed but not in the target",
                    r.partition, r.offset
                ));
                break;
            }
        }
        // Reruns without faults until one succeeds complete the copy.
        let mut reruns = 0;
        let mut last = code;
        while last != 0 && reruns < 3 {
            reruns += 1;
            let mut again = copy(&self.rig.kafka).spawn();
            let stderr = collect(again.stderr.take().unwrap());
            let deadline = Instant::now() + Duration::from_secs(90);
            let status = loop {
                if let Some(s) = again.try_wait().unwrap() {
                    break Some(s);
                }
                if Instant::now() > deadline {
                    let _ = again.kill();
                    let _ = again.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(100));
            };
            let stderr = stderr.join().unwrap();
            let Some(status) = status else {
                // Seen after Tansu was killed and restarted: the group never
                // hands the partitions to the new member (the dead one is
                // never dropped), so it waits with nothing to read.
                self.tally.wedged.push(format!(
                    "{context}: a rerun got no partitions within 90 s; broker restarted"
                ));
                self.rig.kafka.restart();
                return None;
            };
            last = status.code().unwrap_or(-1);
            if last != 0 && last != 4 {
                self.tally
                    .violations
                    .push(format!("{context}: rerun exit {last}\n{stderr}"));
                return None;
            }
        }
        if last != 0 {
            self.tally
                .violations
                .push(format!("{context}: still failing after {reruns} reruns"));
            return None;
        }
        let records = self.read(&target, &context)?;
        java_agrees(self.rig, &target, &records, &context, self.tally);
        let mut copied: BTreeMap<String, u64> = BTreeMap::new();
        for r in &records {
            *copied.entry(record_id(r)).or_default() += 1;
        }
        self.tally.checked += sources.len() as u64;
        for r in &sources {
            let id = r.json()["id"].as_str().unwrap_or_default().to_string();
            if !copied.contains_key(&id) {
                self.tally.violations.push(format!(
                    "{context}: {id} never reached the target after {reruns} reruns"
                ));
                break;
            }
        }
        if sources.len() != n {
            self.tally.violations.push(format!(
                "{context}: the source has {} records, not {n}",
                sources.len()
            ));
        }
        let twice = copied.values().filter(|&&c| c > 1).count() as u64;
        Some((reruns, twice))
    }

    /// A topic's records once its log stopped changing (see [`read_back`]).
    fn read(&mut self, topic: &str, context: &str) -> Option<Vec<Record>> {
        read_back(self.rig, topic, context, self.tally)
    }

    /// How many times each id is in `topic`.
    fn ids(&mut self, topic: &str, context: &str) -> Option<BTreeMap<String, u64>> {
        let mut ids = BTreeMap::new();
        for r in self.read(topic, context)? {
            let id = r.json()["id"].as_str().unwrap_or_default().to_string();
            *ids.entry(id).or_default() += 1;
        }
        Some(ids)
    }
}
