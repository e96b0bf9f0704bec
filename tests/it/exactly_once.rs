//! `replay --group G --to-topic T --exactly-once`: every record of the
//! source in the target exactly once, in per-partition order, as Kafka's own
//! Java consumer (read_committed) sees it — after the copy was killed -9 mid-
//! transaction and rerun, the transaction coordinator's node killed, a
//! target partition's leader killed, a second copy started over the first
//! (which is fenced and says so), members joining and leaving. On the
//! 3-node cluster (RF 3, min.insync 2); the sources hold 10,000 records (the
//! issue's 100,000 take minutes per test on two cores, where starting the
//! cluster alone takes 45 s: the faults land mid-copy either way, with
//! transactions of 200 records). Plus, on the shared
//! broker: readers never show an aborted record nor stall at a transaction
//! marker, and the usage errors.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::common::*;

/// Records in each cluster test's source.
const N: usize = 10_000;

/// A source of `n` events over 12 source ids on 3 partitions, and its
/// empty target.
fn source(kafka: &Kafka, name: &str, n: usize) -> (String, String) {
    let src = topic(name);
    let dst = format!("{src}-copy");
    kafka.create_topic(&src, 3);
    kafka.create_topic(&dst, 3);
    seed(kafka, &src, events(0, n, 12));
    (src, dst)
}

/// The exactly-once copy of `src` to `dst` for `group`.
fn copy(kafka: &Kafka, src: &str, dst: &str, group: &str, extra: &[&str]) -> Dualstream {
    dualstream()
        .brokers(&kafka.brokers(), "off", src)
        .args([
            "replay",
            "--group",
            group,
            "--to-topic",
            dst,
            "--exactly-once",
        ])
        .args(["--summary", "json", "-v"])
        .args(if extra.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "60s"][..]
        })
        .args(if extra.contains(&"--txn-records") {
            &[][..]
        } else {
            &["--txn-records", "200"][..]
        })
        // A member killed -9 holds its partitions until its session ends:
        // the broker's shortest, not librdkafka's 45 s.
        .args([
            "-X",
            "session.timeout.ms=6000",
            "-X",
            "heartbeat.interval.ms=500",
        ])
        .args(extra)
}

/// The ids of `topic` per partition in offset order, read by librdkafka
/// (a source is written by `publish`: no transactions).
fn by_partition(records: &[Record]) -> BTreeMap<i32, Vec<String>> {
    let mut out: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    for r in records {
        let id = r.json()["id"].as_str().unwrap().to_string();
        out.entry(r.partition).or_default().push((r.offset, id));
    }
    out.into_iter()
        .map(|(p, mut rows)| {
            rows.sort();
            (p, rows.into_iter().map(|(_, id)| id).collect())
        })
        .collect()
}

/// What a check found: missing and duplicated ids, partitions out of order.
#[derive(Debug, Default, PartialEq, Eq)]
struct Violations {
    missing: usize,
    duplicated: usize,
    out_of_order: usize,
}

/// Compare the target, as Kafka's Java consumer reads it with
/// read_committed (everything there: it stops after 5 s without a record),
/// against the source: each source partition's records, in order, are the
/// same partition's records of the target (the copies keep their keys, and
/// both topics have the same partitions).
fn violations(kafka: &Kafka, src: &str, dst: &str, n: usize) -> Violations {
    let source = by_partition(&kafka.records(src));
    assert_eq!(source.values().map(Vec::len).sum::<usize>(), n);
    let java = kafka.java_records_until(dst, n + 100, Duration::from_secs(5));
    let mut target: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (p, offset, _key, value) in &java {
        let v: serde_json::Value = serde_json::from_str(value).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        *seen.entry(id.clone()).or_default() += 1;
        target.entry(*p).or_default().push((*offset, id));
    }
    let all: HashSet<&String> = source.values().flatten().collect();
    let mut found = Violations {
        missing: all.iter().filter(|id| !seen.contains_key(**id)).count(),
        duplicated: seen.values().map(|&c| c.saturating_sub(1)).sum(),
        out_of_order: 0,
    };
    for (p, ids) in &source {
        let mut rows = target.remove(p).unwrap_or_default();
        rows.sort();
        let copied: Vec<String> = rows.into_iter().map(|(_, id)| id).collect();
        if &copied != ids {
            found.out_of_order += 1;
        }
    }
    found
}

/// Every record once, in order: nothing missing, nothing twice.
fn assert_exactly_once(kafka: &Kafka, src: &str, dst: &str, n: usize, said: &str) {
    assert_eq!(
        violations(kafka, src, dst, n),
        Violations::default(),
        "the target is not the source exactly once in order\n{said}"
    );
}

/// Wait until the group has committed at least `n` records of `src`: the
/// copy is mid-way.
fn wait_committed(kafka: &Kafka, src: &str, group: &str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let done: i64 = try_committed(&kafka.brokers(), src, group)
            .map(|c| c.values().sum())
            .unwrap_or(0);
        if done >= n {
            return;
        }
        assert!(Instant::now() < deadline, "the copy never got to {n}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A run's last JSON line on stderr: its summary.
fn summary_of(stderr: &str) -> serde_json::Value {
    stderr
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_default()
}

/// The node coordinating transactional id `id`, as Kafka's own
/// transactions tool names it.
fn txn_coordinator(kafka: &Kafka, id: &str) -> u32 {
    let out = kafka.tool(
        "org.apache.kafka.tools.TransactionsCommand",
        &[
            "--bootstrap-server",
            &kafka.brokers(),
            "describe",
            "--transactional-id",
            id,
        ],
    );
    // CoordinatorId  TransactionalId  ProducerId  …
    let mut lines = out.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let values: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let at = header
        .iter()
        .position(|h| *h == "CoordinatorId")
        .unwrap_or_else(|| panic!("no coordinator in {out}"));
    values[at].parse().unwrap()
}

/// The node coordinating consumer group `group`, as Kafka's own group tool
/// names it (`host:port (id)`).
fn group_coordinator(kafka: &Kafka, group: &str) -> u32 {
    let out = kafka.tool(
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        &[
            "--bootstrap-server",
            &kafka.brokers(),
            "--describe",
            "--group",
            group,
            "--state",
        ],
    );
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(group))
        .and_then(|l| l.split_once(" ("))
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(id, _)| id.trim().parse().ok())
        .unwrap_or_else(|| panic!("no coordinator of {group} in {out}"))
}

/// Spawn `run`, keeping its stderr.
fn start(run: Dualstream) -> (std::process::Child, std::thread::JoinHandle<String>) {
    let mut child = run.spawn();
    let stderr = collect(child.stderr.take().unwrap());
    (child, stderr)
}

/// The copy killed -9 mid-transaction, then run again: the rerun fences the
/// killed copy's producer (its open transaction is aborted) and goes on
/// from the last committed transaction.
#[test]
fn a_copy_killed_mid_transaction_and_rerun_copies_every_record_once() {
    let kafka = Kafka::cluster(3);
    let (src, dst) = source(&kafka, "eoskill", N);
    let group = format!("{src}-g");
    let (mut child, stderr) = start(copy(&kafka, &src, &dst, &group, &[]));
    wait_committed(&kafka, &src, &group, (N / 4) as i64);
    signal(child.id(), "-KILL");
    wait_exit(&mut child, Duration::from_secs(10));
    let first = stderr.join().unwrap();
    let rerun = copy(&kafka, &src, &dst, &group, &[]).run();
    assert_eq!(rerun.code(), 0, "{}", rerun.describe());
    let s = rerun.summary();
    let copied = s["transactions"]["records_copied"].as_u64().unwrap();
    assert!(copied > 0 && copied < N as u64, "{}", rerun.describe());
    assert_exactly_once(
        &kafka,
        &src,
        &dst,
        N,
        &format!("{first}\n{}", rerun.describe()),
    );
}

/// Which node a kill test kills -9, a fifth of the way into the copy.
enum Victim {
    /// The node coordinating the copy's transactions.
    TransactionCoordinator,
    /// The node coordinating the copy's consumer group.
    GroupCoordinator,
    /// The leader of the target's partition 0.
    TargetLeader,
}

/// Copy `N` records of a 3-node cluster's topic with `extra` flags, kill
/// `victim` mid-copy: the copy ends with 0, counts every record in its
/// summary, and the target has each record once, in order. Returns what
/// the copy said.
fn killed_mid_copy(name: &str, victim: Victim, extra: &[&str]) -> String {
    let kafka = Kafka::cluster(3);
    let (src, dst) = source(&kafka, name, N);
    let group = format!("{src}-g");
    let (mut child, stderr) = start(copy(&kafka, &src, &dst, &group, extra));
    wait_committed(&kafka, &src, &group, (N / 5) as i64);
    let node = match victim {
        Victim::TransactionCoordinator => {
            txn_coordinator(&kafka, &format!("dualstream-replay:{group}:{dst}"))
        }
        Victim::GroupCoordinator => group_coordinator(&kafka, &group),
        Victim::TargetLeader => kafka.leader(&dst, 0) as u32,
    };
    kafka.kill_node(node);
    let (code, said) = wait_exit_said(&mut child, Duration::from_secs(120), stderr);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(
        summary_of(&said)["transactions"]["records_copied"],
        N as u64,
        "{said}"
    );
    assert_exactly_once(&kafka, &src, &dst, N, &said);
    said
}

/// The node coordinating the copy's transactions killed -9 mid-copy: the
/// coordinator moves (the transaction state log has RF 3), librdkafka finds
/// it, and the copy ends with 0.
#[test]
fn the_transaction_coordinator_killed_mid_copy_moves_and_the_copy_completes() {
    killed_mid_copy("eoscoord", Victim::TransactionCoordinator, &[]);
}

/// The node coordinating the consumer group killed -9 mid-copy: the
/// group moves; librdkafka's transactional producer may wait without a
/// limit for the coordinator it had cached to add the group's offsets
/// (librdkafka#5456, #5511). The copy gives that producer up after
/// --timeout, a new one of the id aborts its transaction, the records are
/// copied again, and the copy ends with 0.
#[test]
fn the_group_coordinator_killed_mid_copy_moves_and_the_copy_completes() {
    let said = killed_mid_copy("eosgroup", Victim::GroupCoordinator, &["--timeout", "20s"]);
    eprintln!(
        "the producer was given up on: {}",
        said.contains("librdkafka#5456")
    );
}

/// The leader of a target partition killed -9 mid-copy: a replica takes
/// over, the idempotent producer resends what was in flight, the copy
/// ends with 0.
#[test]
fn a_target_partition_leader_killed_mid_copy_loses_and_duplicates_nothing() {
    killed_mid_copy("eosleader", Victim::TargetLeader, &[]);
}

/// A second copy of the same group and target started while the first
/// runs: it fences the first, which exits 4 saying another copy took over;
/// the second completes the copy.
#[test]
fn a_second_copy_fences_the_first_which_exits_4_naming_it() {
    let kafka = Kafka::cluster(3);
    let (src, dst) = source(&kafka, "eosfence", N);
    let group = format!("{src}-g");
    let (mut first, first_err) = start(copy(&kafka, &src, &dst, &group, &["--follow"]));
    wait_committed(&kafka, &src, &group, (N / 5) as i64);
    let second = copy(&kafka, &src, &dst, &group, &[]).run();
    let (code, said) = wait_exit_said(&mut first, Duration::from_secs(60), first_err);
    assert_eq!(code, Some(4), "{said}");
    assert!(
        said.contains("fenced: another copy started with transactional id")
            && said.contains(&format!("dualstream-replay:{group}:{dst}")),
        "{said}"
    );
    assert_eq!(second.code(), 0, "{}", second.describe());
    assert_exactly_once(
        &kafka,
        &src,
        &dst,
        N,
        &format!("{said}\n{}", second.describe()),
    );
}

/// Members with their own transactional ids join and leave (Ctrl-C) while
/// the group copies: each rebalance aborts the open transactions, the
/// partitions' next owners start at the last committed ones.
#[test]
fn members_joining_and_leaving_mid_copy_copy_every_record_once() {
    let kafka = Kafka::cluster(3);
    let (src, dst) = source(&kafka, "eosmembers", N);
    let group = format!("{src}-g");
    let member = |id: &str| copy(&kafka, &src, &dst, &group, &["--transactional-id", id]);
    let (mut one, one_err) = start(member("m1"));
    wait_committed(&kafka, &src, &group, (N / 6) as i64);
    // m2 follows: it runs until its Ctrl-C, whatever it holds by then.
    let (mut two, two_err) = start(copy(
        &kafka,
        &src,
        &dst,
        &group,
        &["--transactional-id", "m2", "--follow"],
    ));
    wait_committed(&kafka, &src, &group, (N / 3) as i64);
    let (mut three, three_err) = start(member("m3"));
    wait_committed(&kafka, &src, &group, (N / 2) as i64);
    sigint(two.id());
    let codes = [
        wait_exit(&mut one, Duration::from_secs(120)),
        wait_exit(&mut two, Duration::from_secs(60)),
        wait_exit(&mut three, Duration::from_secs(120)),
    ];
    let said = [one_err, two_err, three_err]
        .map(|e| e.join().unwrap())
        .join("\n");
    // m2 was stopped: 130 (after aborting its transaction). A member whose
    // last commit met a rebalance exits 4 and leaves the rest to a rerun.
    assert_eq!(codes[1], Some(130), "{said}");
    for code in [codes[0], codes[2]] {
        assert!(matches!(code, Some(0) | Some(4)), "{codes:?}\n{said}");
    }
    let last = member("m1").run();
    assert_eq!(last.code(), 0, "{}", last.describe());
    assert_exactly_once(
        &kafka,
        &src,
        &dst,
        N,
        &format!("{said}\n{}", last.describe()),
    );
}

/// Write `values` to `topic` partition 0 in one transaction of `id`,
/// committed or aborted.
fn transaction(kafka: &Kafka, topic: &str, id: &str, batches: &[(&[String], bool)]) {
    use rdkafka::config::ClientConfig;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", kafka.brokers())
        .set("transactional.id", id)
        .set("log_level", "0")
        .create()
        .unwrap();
    producer.init_transactions(Duration::from_secs(30)).unwrap();
    for (values, commit) in batches {
        producer.begin_transaction().unwrap();
        for v in *values {
            producer
                .send(BaseRecord::<str, str>::to(topic).partition(0).payload(v))
                .map_err(|(e, _)| e)
                .unwrap();
        }
        producer.flush(Duration::from_secs(30)).unwrap();
        if *commit {
            producer
                .commit_transaction(Duration::from_secs(30))
                .unwrap();
        } else {
            producer.abort_transaction(Duration::from_secs(30)).unwrap();
        }
    }
}

/// A topic written in transactions, committed and aborted, ending with an
/// aborted one (its last offset an abort marker): `replay` reads only the
/// committed records and ends at once; `--isolation read_uncommitted` shows
/// every one; `tail --catch-up` shows the committed ones; `tail --fetch` of
/// a notification pointing at an aborted record shows nothing and does not
/// wait.
#[test]
fn readers_never_show_an_aborted_record_nor_stall_at_a_marker() {
    let kafka = Kafka::shared();
    let topic = topic("aborted");
    kafka.create_topic(&topic, 1);
    let batch = |prefix: &str, from: usize| -> Vec<String> {
        events(from, 5, 2)
            .lines()
            .map(|l| l.replace("\"id\":\"e", &format!("\"id\":\"{prefix}")))
            .collect()
    };
    let (c1, a1, c2, a2) = (batch("c", 0), batch("a", 5), batch("c", 10), batch("a", 15));
    transaction(
        kafka,
        &topic,
        &format!("{topic}-writer"),
        &[(&c1, true), (&a1, false), (&c2, true), (&a2, false)],
    );
    let ids = |out: &str| -> Vec<String> {
        json_lines(out)
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect()
    };
    let committed: Vec<String> = c1
        .iter()
        .chain(&c2)
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let started = Instant::now();
    let replay = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["replay", "--timeout", "20s"])
        .run();
    assert_eq!(replay.code(), 0, "{}", replay.describe());
    assert_eq!(ids(&replay.stdout()), committed);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "replay stalled at a marker: {:?}",
        started.elapsed()
    );
    let everything = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args([
            "--isolation",
            "read_uncommitted",
            "replay",
            "--timeout",
            "20s",
        ])
        .run();
    assert_eq!(everything.code(), 0, "{}", everything.describe());
    assert_eq!(ids(&everything.stdout()).len(), 20);

    // tail --catch-up: the committed records of the window, then live.
    let redis = Redis::start();
    let tailing = tail(
        &redis.url(),
        &[
            "events:*",
            "--brokers",
            &kafka.brokers(),
            "--topic",
            &topic,
            "--catch-up",
            "10m",
            "--timeout",
            "20s",
        ],
    );
    // tail --fetch of a notification pointing at an aborted record of the
    // last transaction (offset 19: after it only aborted records and the
    // abort marker, so no committed record ever comes after it).
    let fetching = tail(
        &redis.url(),
        &[
            "events:*",
            "--brokers",
            &kafka.brokers(),
            "--topic",
            &topic,
            "--fetch",
            "--timeout",
            "20s",
        ],
    );
    fetching.wait_stderr("subscribed");
    let note = format!(
        "{{\"id\":\"a16\",\"type\":\"push\",\"source_id\":\"r0\",\"topic\":\"{topic}\",\"partition\":0,\"offset\":19}}"
    );
    let sent = Instant::now();
    redis_publish(&redis, &[("events:repo:r0", note.as_bytes())]);
    let said = fetching.wait_stderr("--fetch");
    let fetched_in = sent.elapsed();
    std::thread::sleep(Duration::from_secs(1));
    sigint(tailing.child.id());
    sigint(fetching.child.id());
    let payload_ids = |out: &str| -> Vec<String> {
        json_lines(out)
            .iter()
            .filter_map(|v| v["payload"]["id"].as_str().map(str::to_string))
            .collect()
    };
    let (code, out, err) = tailing.finish();
    assert_eq!(code, Some(130), "{err}");
    let caught: Vec<String> = payload_ids(&out)
        .into_iter()
        .filter(|id| id.starts_with('c'))
        .collect();
    assert_eq!(caught, committed, "{out}\n{err}");
    assert!(
        payload_ids(&out)
            .iter()
            .all(|id| !id.starts_with('a') || id == "a16"),
        "an aborted record in the catch-up: {out}"
    );
    let (code, out, err) = fetching.finish();
    assert_eq!(code, Some(130), "{err}");
    assert!(
        said.iter().any(|l| l.contains("19 is no committed record")),
        "{said:?}\n{err}"
    );
    assert!(
        !out.contains("\"time\""),
        "the fetch showed the aborted record's body: {out}\n{err}"
    );
    assert!(
        fetched_in < Duration::from_secs(10),
        "the fetch stalled at the marker: {fetched_in:?}"
    );
}

/// `--exactly-once` needs a group and a copy to a topic, and says why.
#[test]
fn exactly_once_without_a_group_or_a_topic_copy_is_a_usage_error() {
    let run = |args: &[&str]| {
        dualstream()
            .brokers("127.0.0.1:1", "off", "t")
            .arg("replay")
            .args(args)
            .run()
    };
    run(&["--to-topic", "c", "--exactly-once"]).expect_stderr(
        2,
        "--exactly-once needs --group: the read positions are committed",
    );
    run(&["--group", "g", "--exactly-once"]).expect_stderr(
        2,
        "--exactly-once needs --to-topic: only a copy to a Kafka topic",
    );
    run(&["--group", "g", "--to-redis", "--exactly-once"])
        .expect_stderr(2, "--exactly-once needs --to-topic");
    run(&["--group", "g", "--to-topic", "c", "--txn-records", "10"])
        .expect_stderr(2, "--txn-records needs --exactly-once");
    run(&[
        "--group",
        "g",
        "--to-topic",
        "c",
        "--exactly-once",
        "--txn-interval",
        "0s",
    ])
    .expect_stderr(2, "--txn-interval must be longer than 0");
}

/// A broker whose transaction state log cannot be created (it needs three
/// replicas, the node is alone): no coordinator ever answers, and the copy
/// exits 4 at its --timeout naming the log, having copied nothing.
#[test]
fn no_transaction_coordinator_exits_4_naming_the_transaction_state_log() {
    let kafka = Kafka::builder()
        .config("transaction.state.log.replication.factor=3")
        .start();
    let (src, dst) = source(&kafka, "eosnolog", 50);
    let group = format!("{src}-g");
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &src)
        .args([
            "replay",
            "--group",
            &group,
            "--to-topic",
            &dst,
            "--exactly-once",
        ])
        .args(["--timeout", "8s"])
        .run();
    assert_eq!(run.code(), 4, "{}", run.describe());
    assert!(
        run.stderr()
            .contains("no transaction coordinator answered within")
            && run.stderr().contains("__transaction_state"),
        "{}",
        run.describe()
    );
    assert!(kafka
        .java_records_until(&dst, 1, Duration::from_secs(3))
        .is_empty());
}

/// What a soak run does to the copy while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    /// The copy killed -9 (then rerun).
    KillCopy,
    /// A second copy of the same transactional id started: the first is
    /// fenced.
    SecondCopy,
    /// A member with its own transactional id joins, then leaves (Ctrl-C).
    JoinAndLeave,
    /// The leader of a target partition killed -9, restarted after the run.
    KillTargetLeader,
    /// The transaction coordinator's node killed -9, restarted after.
    KillCoordinator,
    /// The group coordinator's node killed -9, restarted after.
    KillGroupCoordinator,
}

const FAULTS: [Fault; 6] = [
    Fault::KillCopy,
    Fault::SecondCopy,
    Fault::JoinAndLeave,
    Fault::KillTargetLeader,
    Fault::KillCoordinator,
    Fault::KillGroupCoordinator,
];

/// A randomized soak of the exactly-once copy on the 3-node cluster: each
/// run copies a fresh source of 2,000 records (transactions of 50) under
/// one or two faults at random moments — the copy killed, fenced by a second
/// copy, a member joining and leaving, a target leader, the transaction
/// coordinator or the group coordinator killed (one node at a time) — then reruns the copy until it
/// exits 0 and checks with Kafka's Java consumer (read_committed) that the
/// target is the source exactly once in per-partition order. One run in
/// the suite; `DUALSTREAM_SOAK_RUNS=100` (and `DUALSTREAM_SOAK_SEED`) for a
/// long one. Prints runs, faults by kind, records checked, violations.
#[test]
fn exactly_once_copy_soak_under_random_faults_on_a_3_node_cluster() {
    let runs: u64 = std::env::var("DUALSTREAM_SOAK_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let seed: u64 = std::env::var("DUALSTREAM_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xe05_5eed);
    let mut rng = crate::soak::Rng(seed | 1);
    let kafka = Kafka::cluster(3);
    let n = 2_000;
    let mut faults: BTreeMap<Fault, u64> = BTreeMap::new();
    let mut exits: BTreeMap<i32, u64> = BTreeMap::new();
    let (mut checked, mut reruns) = (0u64, 0u64);
    let mut broken: Vec<String> = Vec::new();
    for run in 0..runs {
        let (src, dst) = source(&kafka, &format!("eossoak{run}"), n);
        let group = format!("{src}-g");
        let quick = |extra: &[&str]| {
            // 20 s: a producer stuck on a dead group coordinator is given
            // up on 25 s in, not 65.
            let args: Vec<&str> = ["--txn-records", "50", "--timeout", "20s"]
                .iter()
                .chain(extra)
                .copied()
                .collect();
            copy(&kafka, &src, &dst, &group, &args)
        };
        let mut picked = vec![FAULTS[rng.below(FAULTS.len() as u64) as usize]];
        if rng.below(2) == 1 {
            picked.push(FAULTS[rng.below(FAULTS.len() as u64) as usize]);
        }
        eprintln!("exactly-once soak run {run}: {picked:?}");
        let (first, first_err) = start(quick(&[]));
        let mut others: Vec<(std::process::Child, std::thread::JoinHandle<String>)> = Vec::new();
        let mut down: Option<u32> = None;
        for &fault in &picked {
            *faults.entry(fault).or_default() += 1;
            let at = 100 + rng.below(n as u64 / 2) as i64;
            wait_committed(&kafka, &src, &group, at);
            match fault {
                Fault::KillCopy => {
                    // Killed, and run again at once: later faults hit the rerun.
                    let victim = others.last().map_or(first.id(), |(c, _)| c.id());
                    signal(victim, "-KILL");
                    others.push(start(quick(&[])));
                }
                Fault::SecondCopy => others.push(start(quick(&[]))),
                Fault::JoinAndLeave => {
                    let (mut member, err) =
                        start(quick(&["--transactional-id", &format!("{group}-2")]));
                    std::thread::sleep(Duration::from_millis(500 + rng.below(3000)));
                    sigint(member.id());
                    let code = wait_exit(&mut member, Duration::from_secs(60));
                    *exits.entry(code.unwrap_or(-1)).or_default() += 1;
                    let said = err.join().unwrap();
                    if code != Some(130) && code != Some(0) {
                        broken.push(format!(
                            "run {run}: the leaving member exited {code:?}\n{said}"
                        ));
                    }
                }
                Fault::KillTargetLeader | Fault::KillCoordinator | Fault::KillGroupCoordinator
                    if down.is_none() =>
                {
                    let node = match fault {
                        Fault::KillCoordinator => {
                            txn_coordinator(&kafka, &format!("dualstream-replay:{group}:{dst}"))
                        }
                        Fault::KillGroupCoordinator => group_coordinator(&kafka, &group),
                        _ => kafka.leader(&dst, rng.below(3) as i32) as u32,
                    };
                    kafka.kill_node(node);
                    down = Some(node);
                }
                Fault::KillTargetLeader | Fault::KillCoordinator | Fault::KillGroupCoordinator => {}
            }
        }
        others.insert(0, (first, first_err));
        for (mut child, err) in others {
            let deadline = Instant::now() + Duration::from_secs(120);
            let code = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break Ok(status.code());
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(());
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            let said = err.join().unwrap();
            let Ok(code) = code else {
                let tail: Vec<&str> = said.lines().rev().take(30).collect();
                broken.push(format!(
                    "run {run} {picked:?}: a copy hung; its stderr ends:\n{}",
                    tail.join("\n")
                ));
                continue;
            };
            *exits.entry(code.unwrap_or(-1)).or_default() += 1;
            // 0, or 4 (fenced, a rebalance met the last commit, a node
            // gone), or killed: anything else breaks the contract.
            if !matches!(code, Some(0) | Some(4) | None) {
                broken.push(format!(
                    "run {run} {picked:?}: a copy exited {code:?}\n{said}"
                ));
            }
        }
        if let Some(node) = down {
            kafka.start_node(node);
            kafka.wait_healthy(&dst);
        }
        let mut done = false;
        for _ in 0..3 {
            reruns += 1;
            let rerun = quick(&[]).run();
            if rerun.code() == 0 {
                done = true;
                break;
            }
        }
        if !done {
            broken.push(format!(
                "run {run} {picked:?}: three reruns did not complete the copy"
            ));
        }
        let found = violations(&kafka, &src, &dst, n);
        checked += n as u64;
        if found != Violations::default() {
            broken.push(format!("run {run} {picked:?}: {found:?}"));
        }
        eprintln!("exactly-once soak run {run}: {picked:?}: {found:?}");
    }
    eprintln!(
        "exactly-once soak (3 nodes): {runs} runs (seed {seed}), faults {faults:?}, exits {exits:?}, {reruns} reruns, {checked} source records checked in the target, {} violations",
        broken.len()
    );
    assert!(broken.is_empty(), "violations:\n{}", broken.join("\n"));
}
