//! What only a real cluster shows: a 3-node Apache Kafka cluster in KRaft
//! mode (each node broker and controller; RF 3, `min.insync.replicas=2`,
//! unclean leader election off) whose nodes are killed, frozen and outvoted
//! while dualstream runs. Each test checks what users rely on: every
//! acknowledged event is in Kafka exactly once and in order per key, read
//! back by librdkafka and by Kafka's own Java consumer; the exit code and
//! the message are the documented ones; where a run stops, a rerun from its
//! resume line completes the set.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::common::*;

/// What a `publish --summary json` run fed by [`steady_publisher_with`]
/// ended with.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    acknowledged: u64,
    /// The 1-based stdin line to resume from, when the run said so.
    resume: Option<usize>,
}

fn outcome((code, stderr): (Option<i32>, String)) -> Outcome {
    let summary = stderr
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .unwrap_or_default();
    let resume = stderr
        .split("resume from <stdin>:")
        .nth(1)
        .and_then(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        });
    Outcome {
        code,
        acknowledged: summary["acknowledged"].as_u64().unwrap_or(0),
        stderr,
        resume,
    }
}

/// Wait until `topic` holds at least `n` records (the run is mid-stream).
fn wait_records(kafka: &Kafka, topic: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while kafka.try_records(topic).map_or(0, |r| r.len()) < n {
        assert!(Instant::now() < deadline, "{n} records never arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The records' ids in offset order per partition, checking that no id is
/// there twice and that each source's `n` only grows within a partition
/// (per-key order). Returns the ids.
fn ids_once_in_order(records: &[Record]) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut last: HashMap<(i32, String), u64> = HashMap::new();
    for r in records {
        let v = r.json();
        let id = v["id"].as_str().unwrap().to_string();
        assert!(
            seen.insert(id.clone()),
            "{id} is in Kafka twice (partition {} offset {})",
            r.partition,
            r.offset
        );
        let key = (r.partition, v["source_id"].as_str().unwrap().to_string());
        let n = v["n"].as_u64().unwrap();
        if let Some(prev) = last.insert(key.clone(), n) {
            assert!(
                n > prev,
                "{id}: source {} went from n={prev} to n={n} in partition {} (order lost)",
                key.1,
                r.partition
            );
        }
    }
    seen
}

/// Kafka's own Java consumer reads the same records: the same ids, each
/// once (a check by a client that is not librdkafka).
fn java_agrees(kafka: &Kafka, topic: &str, ids: &HashSet<String>) {
    let java = kafka.java_records(topic, ids.len());
    let mut by_java = HashSet::new();
    for (partition, offset, _key, value) in &java {
        let v: serde_json::Value = serde_json::from_str(value).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        assert!(
            by_java.insert(id.clone()),
            "the Java consumer read {id} twice ({partition}/{offset})"
        );
    }
    assert_eq!(
        &by_java, ids,
        "Kafka's Java consumer and librdkafka disagree on what is in {topic}"
    );
}

/// After a run: whatever it acknowledged is in Kafka once, in order per
/// key, and a stopped run said where to resume; a rerun from there (once
/// the cluster is whole) completes the set. `heal` makes the cluster whole.
fn check_and_complete(
    kafka: &Kafka,
    topic: &str,
    lines: &[String],
    run: &Outcome,
    heal: impl FnOnce(),
) {
    heal();
    let first = kafka.records(topic);
    let ids = ids_once_in_order(&first);
    assert!(
        ids.len() as u64 >= run.acknowledged,
        "{} acknowledged, {} in Kafka\n{}",
        run.acknowledged,
        ids.len(),
        run.stderr
    );
    let all: HashSet<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    if run.code == Some(0) {
        assert_eq!(ids, all, "exit 0, but Kafka does not hold every event");
        assert_eq!(run.acknowledged, lines.len() as u64, "{}", run.stderr);
        java_agrees(kafka, topic, &ids);
        return;
    }
    // Every line before the resume line was acknowledged.
    let resume = run
        .resume
        .unwrap_or_else(|| panic!("a failed run names no line to resume from\n{}", run.stderr));
    for line in &lines[..resume - 1] {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            ids.contains(v["id"].as_str().unwrap()),
            "{} is before the resume line {resume} but not in Kafka\n{}",
            v["id"],
            run.stderr
        );
    }
    dualstream()
        .brokers(&kafka.brokers(), "off", topic)
        .args(["publish", "--timeout", "60s"])
        .stdin(lines[resume - 1..].concat())
        .run()
        .expect_code(0);
    let after: HashSet<String> = kafka
        .records(topic)
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        after, all,
        "the rerun from line {resume} did not complete the set"
    );
}

/// `kill -9` of the node leading partition 0 mid-publish: the other two
/// elect a leader, librdkafka's idempotent producer resends what was in
/// flight, and the run ends with 0 and every event in Kafka exactly once.
#[test]
fn a_leader_killed_mid_publish_loses_nothing_and_duplicates_nothing() {
    let env = Env::new("leaderkill").own(Kafka::cluster(3)).partitions(3);
    let lines = ticks("lk", 6_000);
    let publisher = steady_publisher_with(
        &env.brokers(),
        "off",
        &env.topic,
        &[],
        lines.clone(),
        Duration::from_micros(500),
    );
    wait_records(env.kafka(), &env.topic, 1_000);
    let leader = env.kafka().leader(&env.topic, 0);
    assert!(leader > 0, "partition 0 has no leader");
    env.kafka().kill_node(leader as u32);
    let run = outcome(publisher.join().unwrap());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    check_and_complete(env.kafka(), &env.topic, &lines, &run, || {});
    assert_ne!(
        env.kafka().leader(&env.topic, 0),
        leader,
        "leadership moved off the dead node"
    );
}

/// The leader of partition 0 frozen (SIGSTOP) longer than the controller's
/// session timeout and librdkafka's request timeout, then thawed: the
/// cluster moves leadership, the producer follows it, and nothing is lost
/// or doubled. The frozen node comes back as a follower.
#[test]
fn a_leader_frozen_past_the_timeouts_then_thawed_loses_nothing() {
    let env = Env::new("leaderstop").own(Kafka::cluster(3)).partitions(3);
    let lines = ticks("ls", 6_000);
    let publisher = steady_publisher_with(
        &env.brokers(),
        "off",
        &env.topic,
        &["-X", "request.timeout.ms=5000"],
        lines.clone(),
        Duration::from_micros(500),
    );
    wait_records(env.kafka(), &env.topic, 1_000);
    let leader = env.kafka().leader(&env.topic, 0);
    let pid = env.kafka().pid_of(leader as u32).unwrap();
    signal(pid, "-STOP");
    std::thread::sleep(Duration::from_secs(12));
    signal(pid, "-CONT");
    let run = outcome(publisher.join().unwrap());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    check_and_complete(env.kafka(), &env.topic, &lines, &run, || {});
}

/// The leader of partition 0 cut off from the other two nodes (each node
/// in its own network namespace; the link between the nodes goes down,
/// the clients' link stays up) for longer than the controllers' session
/// timeout, then healed. While cut off it can acknowledge nothing (its
/// followers cannot fetch, and it cannot shrink the ISR without the
/// controllers), the other two elect a leader, and what the old leader
/// wrote past that point is truncated when it rejoins: every event the
/// run acknowledged must still be in Kafka, once, in order per key.
#[test]
fn a_leader_cut_off_from_its_replicas_loses_nothing_acknowledged_when_the_partition_heals() {
    let env = Env::new("netsplit")
        .own(Kafka::builder().nodes(3).isolated().start())
        .partitions(3);
    let lines = ticks("ns", 12_000);
    let publisher = steady_publisher_with(
        &env.brokers(),
        "off",
        &env.topic,
        &["-X", "request.timeout.ms=5000", "--timeout", "120s"],
        lines.clone(),
        Duration::from_millis(2),
    );
    wait_records(env.kafka(), &env.topic, 1_000);
    let leader = env.kafka().leader(&env.topic, 0) as u32;
    assert!(leader > 0, "partition 0 has no leader");
    let other = (1..=3).find(|&n| n != leader).unwrap();
    env.kafka().cut_off(leader, true);
    // The other two fence the cut-off node and elect a leader among
    // themselves (broker.session.timeout.ms is 9 s).
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut elected = -1;
    while Instant::now() < deadline {
        elected = env.kafka().leader_seen_by(other, &env.topic, 0);
        if elected > 0 && elected as u32 != leader {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        elected > 0 && elected as u32 != leader,
        "the majority never elected a new leader for partition 0 (node {other} says {elected})"
    );
    // Keep publishing across the split a while longer, then heal it.
    std::thread::sleep(Duration::from_secs(5));
    env.kafka().cut_off(leader, false);
    let run = outcome(publisher.join().unwrap());
    assert!(
        matches!(run.code, Some(0) | Some(4)),
        "publish across a network split ended with {:?}\n{}",
        run.code,
        run.stderr
    );
    check_and_complete(env.kafka(), &env.topic, &lines, &run, || {
        env.kafka().wait_healthy(&env.topic);
    });
}

/// In-sync replicas below `min.insync.replicas` (a topic that wants all 3,
/// one node down and out of the ISR): the broker refuses with
/// NOT_ENOUGH_REPLICAS, publish retries within --timeout and then exits 4
/// naming the reason and the line to resume from; once the node is back
/// the rerun completes the set. (With three combined nodes, two down would
/// also lose the controllers' quorum: raising the topic's min.insync is how
/// one node down shows the ISR case alone.)
#[test]
fn isr_below_min_insync_exits_4_naming_not_enough_replicas() {
    let kafka = Kafka::cluster(3);
    let topic = topic("minisr");
    kafka.create_topic_with(&topic, 1, &[("min.insync.replicas", "3")]);
    let leader = kafka.leader(&topic, 0) as u32;
    let follower = (1..=3).find(|&n| n != leader).unwrap();
    kafka.kill_node(follower);
    // The controller drops the dead node from the ISR after its session
    // times out.
    let deadline = Instant::now() + Duration::from_secs(60);
    while kafka.isr(&topic, 0).len() > 2 {
        assert!(Instant::now() < deadline, "the ISR never shrank");
        std::thread::sleep(Duration::from_millis(200));
    }
    let lines = ticks("mi", 50);
    let started = Instant::now();
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["publish", "--timeout", "5s", "--summary", "json"])
        .stdin(lines.concat())
        .run();
    let elapsed = started.elapsed();
    let run = outcome((run.output.status.code(), run.stderr()));
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert!(
        run.stderr
            .to_lowercase()
            .contains("not enough in-sync replicas"),
        "the reason is named\n{}",
        run.stderr
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "publish took {elapsed:?} with --timeout 5s"
    );
    assert_eq!(run.resume, Some(1), "{}", run.stderr);
    check_and_complete(&kafka, &topic, &lines, &run, || {
        kafka.start_node(follower);
        let deadline = Instant::now() + Duration::from_secs(60);
        while kafka.isr(&topic, 0).len() < 3 {
            assert!(Instant::now() < deadline, "the ISR never grew back");
            std::thread::sleep(Duration::from_millis(200));
        }
    });
}

/// Two of three nodes killed mid-publish: the controllers' quorum is gone
/// and the survivor cannot shrink its ISR, so nothing more is acknowledged.
/// publish exits 4 within --timeout (plus the flush), naming the line to
/// resume from; with the nodes back the rerun completes the set.
#[test]
fn the_controller_quorum_lost_mid_publish_exits_4_and_a_rerun_completes() {
    let env = Env::new("quorumpub").own(Kafka::cluster(3)).partitions(3);
    let lines = ticks("qp", 8_000);
    let publisher = steady_publisher_with(
        &env.brokers(),
        "off",
        &env.topic,
        &["--timeout", "5s"],
        lines.clone(),
        Duration::from_micros(500),
    );
    wait_records(env.kafka(), &env.topic, 1_000);
    let killed_at = Instant::now();
    env.kafka().kill_node(2);
    env.kafka().kill_node(3);
    let run = outcome(publisher.join().unwrap());
    let elapsed = killed_at.elapsed();
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert!(
        elapsed < Duration::from_secs(30),
        "publish took {elapsed:?} to give up with --timeout 5s\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("not acknowledged"), "{}", run.stderr);
    check_and_complete(env.kafka(), &env.topic, &lines, &run, || {
        env.kafka().start_node(2);
        env.kafka().start_node(3);
        env.kafka().wait_all_listed();
        env.kafka().wait_healthy(&env.topic);
    });
}

/// Two of three nodes killed mid-replay: the partitions they led have no
/// leader and none can be elected. replay exits 4 within --timeout naming
/// Kafka, never hangs; once the nodes are back a rerun reads every record.
/// (Fetching is kept small so that most records are still in Kafka, not
/// in librdkafka's queue, when the nodes die; the test reads slowly at
/// first, so replay is mid-topic then.)
#[test]
fn the_controller_quorum_lost_mid_replay_exits_4_and_a_rerun_reads_everything() {
    let env = Env::new("quorumreplay")
        .own(Kafka::cluster(3))
        .partitions(3);
    let n = 30_000;
    seed(env.kafka(), &env.topic, events(0, n, 6));
    let mut child = env
        .dualstream()
        .args(["replay", "--timeout", "5s"])
        .args([
            "-X",
            "fetch.message.max.bytes=4096",
            "-X",
            "queued.max.messages.kbytes=16",
        ])
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    for _ in 0..500 {
        stdout
            .recv_timeout(Duration::from_secs(30))
            .expect("replay printed nothing");
    }
    let killed_at = Instant::now();
    env.kafka().kill_node(2);
    env.kafka().kill_node(3);
    let printed = 500 + stdout.iter().count();
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let elapsed = killed_at.elapsed();
    let stderr = stderr.join().unwrap();
    assert!(
        printed < n,
        "replay ended with every record ({printed}): no fault seen"
    );
    assert_eq!(status, Some(4), "{stderr}");
    assert!(stderr.contains("kafka"), "{stderr}");
    // It reads what the surviving leader still serves (in 4 KB fetches),
    // then gives up: bounded, well under the 60 s it is waited for.
    assert!(
        elapsed < Duration::from_secs(50),
        "replay took {elapsed:?} to give up with --timeout 5s\n{stderr}"
    );
    env.kafka().start_node(2);
    env.kafka().start_node(3);
    env.kafka().wait_all_listed();
    let run = env
        .dualstream()
        .args(["replay", "--timeout", "30s", "--summary", "json"])
        .run()
        .expect_code(0);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for v in json_lines(&run.stdout()) {
        *counts
            .entry(v["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(
        counts.len(),
        n,
        "the rerun read every record\n{}",
        run.stderr()
    );
    assert!(counts.values().all(|&c| c == 1), "each once");
}

/// A rolling restart of all three nodes (each stopped with SIGTERM, started
/// again, and back in every ISR before the next) under `publish`,
/// `replay --group --to-topic --follow` and `tail --fill-gaps` at once:
/// publish ends with 0 and every event in Kafka once, in order per key;
/// tail prints every notification once; the copy, finished by a bounded
/// rerun of the same group, holds every event.
#[test]
fn a_rolling_restart_under_publish_replay_and_tail_loses_nothing() {
    let kafka = Kafka::cluster(3);
    let redis = Redis::start();
    let (topic, copy) = (topic("rolling"), topic("rollingcopy"));
    kafka.create_topic(&topic, 3);
    kafka.create_topic(&copy, 3);
    let n = 10_000;
    let input = ticks("rr", n);

    let mut tail = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["tail", "events:seq:*", "--format", "json", "--fill-gaps"])
        .args(["--count", &n.to_string(), "--timeout", "180s"])
        .spawn();
    let tail_out = collect(tail.stdout.take().unwrap());
    let tail_err = lines(tail.stderr.take().unwrap());
    wait_for_line(&tail_err, "subscribed");

    let mut copier = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args([
            "replay",
            "--group",
            "rolling",
            "--to-topic",
            &copy,
            "--follow",
        ])
        .spawn();
    let copier_err = collect(copier.stderr.take().unwrap());

    let publisher = steady_publisher_with(
        &kafka.brokers(),
        &redis.url(),
        &topic,
        &[],
        input.clone(),
        Duration::from_millis(3),
    );
    wait_records(&kafka, &topic, 500);
    for node in 1..=3 {
        kafka.stop_node(node);
        kafka.start_node(node);
        kafka.wait_all_listed();
        kafka.wait_healthy(&topic);
        kafka.wait_healthy(&copy);
    }
    let run = outcome(publisher.join().unwrap());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    check_and_complete(&kafka, &topic, &input, &run, || {});

    // tail: every notification once.
    let status = wait_exit(&mut tail, Duration::from_secs(120));
    let printed = tail_out.join().unwrap();
    let said: Vec<String> = drain(&tail_err);
    assert_eq!(status, Some(0), "{said:?}");
    let mut seen = HashSet::new();
    for l in printed.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let id = v["payload"]["id"].as_str().unwrap_or_default().to_string();
        assert!(seen.insert(id.clone()), "tail printed {id} twice");
    }
    assert_eq!(seen.len(), n, "{said:?}");

    // The copy: stop the follower, finish with a bounded rerun of the group.
    sigint(copier.id());
    let status = wait_exit(&mut copier, Duration::from_secs(60));
    let copier_err = copier_err.join().unwrap();
    assert_eq!(status, Some(130), "{copier_err}");
    dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["replay", "--group", "rolling", "--to-topic", &copy])
        .run()
        .expect_code(0);
    let copied: HashSet<String> = kafka
        .records(&copy)
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(copied.len(), n, "the copy holds every event");
}

fn wait_for_line(rx: &std::sync::mpsc::Receiver<String>, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.contains(text) => return,
            Ok(_) => {}
            Err(_) => panic!("no line with {text:?}"),
        }
    }
}

/// The node coordinating a group, as Kafka's own group tool names it.
fn coordinator(kafka: &Kafka, group: &str) -> Option<u32> {
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
    // GROUP  COORDINATOR (ID)  ASSIGNMENT-STRATEGY  STATE  #MEMBERS
    out.lines()
        .find(|l| l.starts_with(group))
        .and_then(|l| l.split('(').nth(1))
        .and_then(|rest| rest.split(')').next())
        .and_then(|id| id.trim().parse().ok())
}

/// The group coordinator killed (-9) under `replay --group --follow
/// --to-topic`: the group's coordinator moves to another node (its
/// offsets topic has RF 3), the member finds it and goes on, every record
/// reaches the copy at least once, and nothing is committed before the
/// copy had it.
#[test]
fn the_group_coordinator_killed_under_replay_group_moves_and_the_copy_goes_on() {
    let env = Env::new("coordinator").own(Kafka::cluster(3)).partitions(3);
    let dest = format!("{}-copy", env.topic);
    let group = format!("{}-g", env.topic);
    env.kafka().create_topic(&dest, 3);
    let lines = ticks("co", 6_000);
    let mut member = env
        .dualstream()
        .args(["replay", "--group", &group, "--follow", "--to-topic", &dest])
        .args(["-X", "heartbeat.interval.ms=500"])
        .spawn();
    let stderr = collect(member.stderr.take().unwrap());
    let publisher = steady_publisher_with(
        &env.brokers(),
        "off",
        &env.topic,
        &[],
        lines.clone(),
        Duration::from_millis(1),
    );
    wait_records(env.kafka(), &dest, 500);
    let before = coordinator(env.kafka(), &group).expect("the group has a coordinator");
    env.kafka().kill_node(before);
    let run = outcome(publisher.join().unwrap());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let all: HashSet<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // The copy catches up on its own.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut copied: HashSet<String> = HashSet::new();
    while Instant::now() < deadline {
        copied = env
            .kafka()
            .try_records(&dest)
            .unwrap_or_default()
            .iter()
            .map(|r| r.json()["id"].as_str().unwrap().to_string())
            .collect();
        if copied.len() >= all.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    sigint(member.id());
    let status = wait_exit(&mut member, Duration::from_secs(60));
    let stderr = stderr.join().unwrap();
    assert_eq!(status, Some(130), "{stderr}");
    assert_eq!(
        copied, all,
        "the copy missed records after the coordinator died\n{stderr}"
    );
    let after = coordinator(env.kafka(), &group).expect("the group has a coordinator again");
    assert_ne!(after, before, "the coordinator moved off the dead node");
    // Nothing committed that the copy did not have.
    let source: HashMap<(i64, i64), String> = env
        .kafka()
        .records(&env.topic)
        .iter()
        .map(|r| {
            (
                (r.partition as i64, r.offset),
                r.json()["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let commits = committed(&env.brokers(), &env.topic, &group);
    assert_eq!(commits.len(), 3, "{commits:?}\n{stderr}");
    for (p, c) in &commits {
        for offset in 0..*c {
            assert!(
                copied.contains(&source[&(*p, offset)]),
                "{p}@{offset} committed, not copied"
            );
        }
    }
}
