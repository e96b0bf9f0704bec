//! Topics that change under running commands: partitions added, the topic
//! deleted. Each command either goes on correctly or stops with a precise
//! message and exit 4 within its --timeout; never silently, never forever.
//! On the shared broker: each test changes only its own topic.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::*;

/// Lines arriving on `rx` until `n` were seen or `limit` passed.
fn take_lines(rx: &std::sync::mpsc::Receiver<String>, n: usize, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => break,
        }
    }
    got
}

/// How many times each id appears in NDJSON lines.
fn id_counts(lines: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        *counts
            .entry(v["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

/// `replay --follow` of a whole topic reads the partitions added while it
/// runs, from their start, and says so; before, it read only the
/// partitions it started with and missed every record keyed to a new one.
#[test]
fn replay_follow_reads_partitions_added_while_it_runs() {
    let env = Env::new("growfollow").partitions(1);
    env.seed(events(0, 20, 6));
    let mut child = env.dualstream().args(["replay", "--follow"]).spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    assert_eq!(take_lines(&stdout, 20, Duration::from_secs(30)).len(), 20);
    env.kafka().add_partitions(&env.topic, 3);
    env.seed(events(20, 60, 6));
    let got = take_lines(&stdout, 60, Duration::from_secs(30));
    sigint(child.id());
    let status = wait_exit(&mut child, Duration::from_secs(30));
    let said: Vec<String> = drain(&stderr);
    let counts = id_counts(&got);
    assert_eq!(
        counts.len(),
        60,
        "every new record, in every partition; stderr {said:?}"
    );
    assert!(counts.values().all(|&c| c == 1));
    let partitions: std::collections::HashSet<i32> =
        env.records().iter().map(|r| r.partition).collect();
    assert!(
        partitions.len() > 1,
        "the new records went to the new partitions too"
    );
    assert!(
        said.iter()
            .any(|l| l.contains("grew") && l.contains("partition 1, 2")),
        "{said:?}"
    );
    assert_eq!(status, Some(130));
}

/// `replay --group G --follow`: partitions added while it runs reach the
/// group within its metadata refresh (10 s, librdkafka's default is 5
/// minutes) and their records are read.
#[test]
fn replay_group_follow_reads_partitions_added_while_it_runs() {
    let env = Env::new("growgroup").partitions(1);
    env.seed(events(0, 10, 6));
    let mut child = env
        .dualstream()
        .args(["replay", "--group", "growers", "--follow"])
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    assert_eq!(take_lines(&stdout, 10, Duration::from_secs(30)).len(), 10);
    env.kafka().add_partitions(&env.topic, 3);
    env.seed(events(10, 60, 6));
    let got = take_lines(&stdout, 60, Duration::from_secs(45));
    sigint(child.id());
    let status = wait_exit(&mut child, Duration::from_secs(30));
    let stderr = stderr.join().unwrap();
    assert_eq!(id_counts(&got).len(), 60, "{stderr}");
    assert_eq!(status, Some(130), "{stderr}");
}

/// Partitions added under `publish`: it goes on and every event lands once.
#[test]
fn publish_goes_on_when_partitions_are_added() {
    let env = Env::new("growpublish").partitions(1);
    let publisher = steady_publisher(
        &env.brokers(),
        "off",
        &env.topic,
        ticks("gp", 3_000),
        Duration::from_millis(2),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.records().len() < 300 {
        assert!(Instant::now() < deadline, "no records arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
    env.kafka().add_partitions(&env.topic, 4);
    let (code, stderr) = publisher.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let records = env.records();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in &records {
        *counts
            .entry(r.json()["id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(counts.len(), 3_000);
    assert!(counts.values().all(|&c| c == 1), "each event once");
    // The producer learns of the new partitions at its next metadata
    // refresh (librdkafka: every 5 minutes, -X
    // env.topic.metadata.refresh.interval.ms), so a short run may keep to the
    // old one: that is correct, and keeps per-key order meanwhile.
}

/// The topic deleted under `publish` (a slow stdin): exit 4 within
/// --timeout, naming the topic as gone and the line to resume from.
#[test]
fn a_topic_deleted_under_publish_exits_4_naming_it() {
    let env = Env::new("delpublish").partitions(2);
    let mut child = env
        .dualstream()
        .args(["publish", "--timeout", "5s"])
        .spawn();
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        for line in ticks("dp", 2_000) {
            if stdin.write_all(line.as_bytes()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.kafka().try_records(&env.topic).map_or(0, |r| r.len()) < 50 {
        assert!(Instant::now() < deadline, "no records arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
    let deleted_at = Instant::now();
    env.kafka().delete_topic(&env.topic);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let elapsed = deleted_at.elapsed();
    let stderr = stderr.join().unwrap();
    writer.join().unwrap();
    assert_eq!(status, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("topic {:?} does not exist any more", env.topic)),
        "{stderr}"
    );
    assert!(stderr.contains("resume from <stdin>:"), "{stderr}");
    assert!(
        elapsed < Duration::from_secs(20),
        "publish took {elapsed:?} with --timeout 5s"
    );
}

/// `replay ARGS` reading a topic that is deleted under it: exit 4 within
/// `limit`, naming the topic.
fn deleted_under_replay(name: &str, args: &[&str], limit: Duration) {
    let kafka = Kafka::shared();
    let topic = topic(name);
    kafka.create_topic(&topic, 2);
    seed(kafka, &topic, events(0, 10, 3));
    let mut child = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .arg("replay")
        .args(args)
        .args(["--timeout", "5s"])
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    assert_eq!(take_lines(&stdout, 10, Duration::from_secs(30)).len(), 10);
    let deleted_at = Instant::now();
    kafka.delete_topic(&topic);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let elapsed = deleted_at.elapsed();
    let stderr = stderr.join().unwrap();
    assert_eq!(status, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("topic {topic:?} no longer exists")),
        "{stderr}"
    );
    assert!(elapsed < limit, "took {elapsed:?}");
}

/// The topic deleted under `replay --follow`: it waited for records forever.
#[test]
fn a_topic_deleted_under_replay_follow_exits_4_naming_it() {
    deleted_under_replay("delfollow", &["--follow"], Duration::from_secs(20));
}

/// The topic deleted under `replay --group G --follow`: the group consumer
/// waited for it forever.
#[test]
fn a_topic_deleted_under_replay_group_follow_exits_4_naming_it() {
    deleted_under_replay(
        "delgroup",
        &["--group", "deleted", "--follow"],
        Duration::from_secs(25),
    );
}

/// Where `replay --group` members send what they read.
#[derive(Clone, Copy, Debug)]
enum Via {
    Redis,
    Topic,
    Stdout,
}

/// Group members joining and leaving mid-stream: a `replay --group G
/// --follow` member with the given sink holds every partition while events
/// arrive, a second joins (the partitions are shared out again), then the
/// first is interrupted (it commits what its sink confirmed and leaves) and
/// the second takes its partitions over from those commits. Every record
/// reaches the sink at least once, and nothing is committed that the sink
/// did not confirm.
fn rebalance_mid_batch(via: Via) {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let topic = topic("groupleave");
    let dest = format!("{topic}-copy");
    let group = format!("{topic}-members");
    kafka.create_topic(&topic, 4);
    kafka.create_topic(&dest, 2);
    let n = 3_000;
    let sub = redis.subscribe("events:*");
    let member = || {
        let mut run = dualstream()
            .brokers(&kafka.brokers(), &redis.url(), &topic)
            .args(["replay", "--group", &group, "--follow"])
            .args(["-X", "heartbeat.interval.ms=200"]);
        run = match via {
            Via::Redis => run.arg("--to-redis"),
            Via::Topic => run.args(["--to-topic", &dest]),
            Via::Stdout => run,
        };
        run.spawn()
    };
    let mut a = member();
    let lines: Vec<String> = events(0, n, 40).lines().map(|l| format!("{l}\n")).collect();
    let publisher = steady_publisher_with(
        &kafka.brokers(),
        "off",
        &topic,
        &[],
        lines,
        Duration::from_millis(2),
    );
    std::thread::sleep(Duration::from_millis(1_500));
    let mut b = member();
    let (out_a, out_b) = (
        collect(a.stdout.take().unwrap()),
        collect(b.stdout.take().unwrap()),
    );
    let (err_a, err_b) = (
        collect(a.stderr.take().unwrap()),
        collect(b.stderr.take().unwrap()),
    );
    // Both hold partitions now; the first leaves mid-stream.
    std::thread::sleep(Duration::from_secs(2));
    sigint(a.id());
    let status_a = wait_exit(&mut a, Duration::from_secs(30));
    let (code, stderr) = publisher.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    // What each source offset holds, to check commits against the sink.
    let source: HashMap<(i64, i64), String> = kafka
        .records(&topic)
        .iter()
        .map(|r| {
            let id = r.json()["id"].as_str().unwrap().to_string();
            ((r.partition as i64, r.offset), id)
        })
        .collect();
    assert_eq!(source.len(), n);
    std::thread::sleep(Duration::from_secs(2));
    sigint(b.id());
    let status_b = wait_exit(&mut b, Duration::from_secs(30));
    let (err_a, err_b) = (err_a.join().unwrap(), err_b.join().unwrap());
    let printed = format!("{}{}", out_a.join().unwrap(), out_b.join().unwrap());
    assert_eq!(status_a, Some(130), "{via:?}: {err_a}");
    assert_eq!(status_b, Some(130), "{via:?}: {err_b}");
    let delivered = |printed: &str| -> std::collections::HashSet<String> {
        match via {
            Via::Redis => sub
                .settle(Duration::from_millis(500))
                .iter()
                .map(|(_, p)| {
                    serde_json::from_str::<serde_json::Value>(p).unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect(),
            Via::Topic => kafka
                .records(&dest)
                .iter()
                .map(|r| r.json()["id"].as_str().unwrap().to_string())
                .collect(),
            Via::Stdout => printed
                .lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect(),
        }
    };
    let so_far = delivered(&printed);
    let commits = committed(&kafka.brokers(), &topic, &group);
    assert!(
        !commits.is_empty(),
        "{via:?}: nothing committed\n{err_a}\n{err_b}"
    );
    for (p, c) in &commits {
        for offset in 0..*c {
            let id = &source[&(*p, offset)];
            assert!(
                so_far.contains(id),
                "{via:?}: {p}@{offset} ({id}) is committed but its sink never had it\n{err_a}\n{err_b}"
            );
        }
    }
    // A rerun of the group from its commits completes the sink.
    let mut rerun = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["replay", "--group", &group]);
    rerun = match via {
        Via::Redis => rerun.arg("--to-redis"),
        Via::Topic => rerun.args(["--to-topic", &dest]),
        Via::Stdout => rerun,
    };
    let rerun = rerun.run().expect_code(0);
    let all = delivered(&format!("{printed}{}", rerun.stdout()));
    assert_eq!(
        all.len(),
        n,
        "{via:?}: every record reached the sink at least once"
    );
}

#[test]
fn a_member_joining_and_leaving_mid_batch_loses_nothing_to_redis() {
    rebalance_mid_batch(Via::Redis);
}

#[test]
fn a_member_joining_and_leaving_mid_batch_loses_nothing_to_a_topic() {
    rebalance_mid_batch(Via::Topic);
}

#[test]
fn a_member_joining_and_leaving_mid_batch_loses_nothing_to_stdout() {
    rebalance_mid_batch(Via::Stdout);
}

/// Publish `lines` dual-stream (Kafka, then Redis) and expect success.
fn publish_lines(kafka: &Kafka, redis: &str, topic: &str, lines: &[String]) {
    dualstream()
        .brokers(&kafka.brokers(), redis, topic)
        .args(["publish", "--timeout", "30s"])
        .stdin(lines.concat())
        .run()
        .expect_code(0);
}

/// `tail events:seq:* --fill-gaps --format json` of `topic`, ending after
/// `count` events (or 60 s), once it has subscribed.
fn filling_tail(kafka: &Kafka, redis: &Redis, topic: &str, count: usize) -> Tailing {
    let count = count.to_string();
    let t = tail(
        &redis.url(),
        &[
            "events:seq:*",
            "--brokers",
            &kafka.brokers(),
            "--topic",
            topic,
            "--fill-gaps",
            "--format",
            "json",
            "--count",
            &count,
            "--timeout",
            "60s",
        ],
    );
    t.wait_stderr("subscribed");
    t
}

/// `tail --fill-gaps` fills a gap from partitions added while it ran:
/// events keyed to the new partitions, published while Redis was down,
/// are read from Kafka when the subscription comes back.
#[test]
fn tail_fill_gaps_reads_a_gap_from_partitions_added_while_it_runs() {
    let mut env = Env::new("tailgrow").partitions(1).redis();
    let lines = ticks("g", 600);
    let t = filling_tail(env.kafka(), env.redis_server(), &env.topic, 600);
    publish_lines(env.kafka(), &env.redis_url(), &env.topic, &lines[..200]);
    env.kafka().add_partitions(&env.topic, 4);
    env.redis_server_mut().stop();
    publish_lines(env.kafka(), "off", &env.topic, &lines[200..400]);
    env.redis_server_mut().restart();
    t.wait_stderr("reading the gap from Kafka");
    publish_lines(env.kafka(), &env.redis_url(), &env.topic, &lines[400..]);
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    each_once(&stdout, "g", 600, &stderr);
    let from_new = json_lines(&stdout)
        .iter()
        .filter(|l| l["source"] == "kafka" && l["payload"]["partition"].as_i64().unwrap_or(0) > 0)
        .count();
    assert!(
        from_new > 0,
        "nothing was read from the added partitions\n{stderr}"
    );
}

/// `tail --fill-gaps` whose topic was deleted: the gap cannot be read, and
/// tail says so at once, naming the topic and that the gap's messages were
/// missed (never claiming it was filled, never waiting forever), then goes
/// on following Redis.
#[test]
fn tail_fill_gaps_names_a_deleted_topic_and_goes_on_live() {
    let mut env = Env::new("taildel").partitions(2).redis();
    let lines = ticks("d", 60);
    let t = filling_tail(env.kafka(), env.redis_server(), &env.topic, 60);
    publish_lines(env.kafka(), &env.redis_url(), &env.topic, &lines[..50]);
    env.kafka().delete_topic(&env.topic);
    env.redis_server_mut().stop();
    env.redis_server_mut().restart();
    let started = Instant::now();
    let said = t.wait_stderr("could not fill the gap");
    let took = started.elapsed();
    let warning = said.last().unwrap().clone();
    assert!(
        warning.contains(&env.topic)
            && warning.contains("does not exist")
            && warning.contains("missed"),
        "{warning}"
    );
    assert!(took < Duration::from_secs(20), "the warning took {took:?}");
    // Live messages still arrive: the last ten, straight to Redis.
    let client = redis::Client::open(env.redis_url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    for line in &lines[50..] {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let channel = format!("events:seq:{}", v["source_id"].as_str().unwrap());
        let _: i64 = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(line.trim_end())
            .query(&mut conn)
            .unwrap();
    }
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 60, "{stdout}\n{stderr}");
}

/// `tail --fetch` of a notification whose topic was deleted: a warning
/// naming the topic within seconds (not the 30 s fetch timeout), and the
/// notification still printed; the next one too.
#[test]
fn tail_fetch_of_a_deleted_topic_warns_at_once_and_goes_on() {
    let env = Env::new("fetchdel").partitions(1).redis();
    let sub = env.subscribe("events:*");
    publish_lines(env.kafka(), &env.redis_url(), &env.topic, &ticks("f", 2));
    let notes = sub.settle(Duration::from_millis(300));
    assert_eq!(notes.len(), 2);
    let t = tail(
        &env.redis_url(),
        &[
            "events:*",
            "--brokers",
            &env.brokers(),
            "--fetch",
            "--format",
            "json",
            "--count",
            "2",
            "--timeout",
            "60s",
        ],
    );
    t.wait_stderr("subscribed");
    env.kafka().delete_topic(&env.topic);
    let client = redis::Client::open(env.redis_url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let started = Instant::now();
    for (channel, payload) in &notes {
        let _: i64 = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .query(&mut conn)
            .unwrap();
    }
    let (code, stdout, stderr) = t.finish();
    let took = started.elapsed();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("--fetch") && stderr.contains(&env.topic),
        "{stderr}"
    );
    assert!(
        took < Duration::from_secs(20),
        "the fetches took {took:?}\n{stderr}"
    );
}

/// `tail --catch-up` of a topic that does not exist (deleted): exit 4
/// naming it, at once.
#[test]
fn tail_catch_up_of_a_deleted_topic_exits_4_naming_it() {
    let env = Env::new("catchdel").partitions(1).redis();
    publish_lines(env.kafka(), "off", &env.topic, &ticks("c", 5));
    env.kafka().delete_topic(&env.topic);
    let run = dualstream()
        .args(["--redis", &env.redis_url(), "--brokers", &env.brokers()])
        .args([
            "tail",
            "events:*",
            "--topic",
            &env.topic,
            "--catch-up",
            "1h",
            "--timeout",
            "20s",
        ])
        .run()
        .expect_code(4);
    assert!(run.stderr().contains(&env.topic), "{}", run.stderr());
}

/// The topic deleted under `replay --group G --follow` with a sink other
/// than stdout: exit 4 within 25 s, naming the topic, after the sink had
/// the first records.
fn deleted_under_group_sink(via: Via) {
    let env = Env::new("delsink").partitions(2).redis();
    let dest = format!("{}-copy", env.topic);
    env.kafka().create_topic(&dest, 2);
    env.seed(events(0, 10, 3));
    let sub = env.subscribe("events:*");
    let mut run = env.dualstream().args([
        "replay",
        "--group",
        "delsink",
        "--follow",
        "--timeout",
        "5s",
    ]);
    run = match via {
        Via::Redis => run.arg("--to-redis"),
        Via::Topic => run.args(["--to-topic", &dest]),
        Via::Stdout => run,
    };
    let mut child = run.spawn();
    let stderr = collect(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let had = match via {
            Via::Redis => sub.wait_for(10, Duration::from_millis(200)).len(),
            Via::Topic => env.kafka().try_records(&dest).map_or(0, |r| r.len()),
            Via::Stdout => unreachable!("deleted_under_replay covers stdout"),
        };
        if had >= 10 {
            break;
        }
        assert!(Instant::now() < deadline, "the sink never had the records");
        std::thread::sleep(Duration::from_millis(100));
    }
    let deleted_at = Instant::now();
    env.kafka().delete_topic(&env.topic);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let elapsed = deleted_at.elapsed();
    let stderr = stderr.join().unwrap();
    assert_eq!(status, Some(4), "{via:?}: {stderr}");
    assert!(
        stderr.contains(&format!("topic {:?} no longer exists", env.topic)),
        "{via:?}: {stderr}"
    );
    assert!(
        elapsed < Duration::from_secs(25),
        "{via:?} took {elapsed:?}"
    );
}

#[test]
fn a_topic_deleted_under_replay_group_to_redis_exits_4_naming_it() {
    deleted_under_group_sink(Via::Redis);
}

#[test]
fn a_topic_deleted_under_replay_group_to_topic_exits_4_naming_it() {
    deleted_under_group_sink(Via::Topic);
}

/// The topic deleted under `publish FILE` (a file read as fast as Kafka
/// takes it): exit 4 within --timeout, naming the topic as gone and the
/// file's line to resume from.
#[test]
fn a_topic_deleted_under_publish_from_a_file_exits_4_naming_it() {
    let env = Env::new("delfile").partitions(2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    std::fs::write(&file, ticks("df", 400_000).concat()).unwrap();
    let mut child = env
        .dualstream()
        .args(["publish", "--timeout", "5s"])
        .arg(file.to_str().unwrap())
        .spawn();
    let stderr = collect(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.kafka().try_records(&env.topic).map_or(0, |r| r.len()) < 1_000 {
        assert!(Instant::now() < deadline, "no records arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
    let deleted_at = Instant::now();
    env.kafka().delete_topic(&env.topic);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let elapsed = deleted_at.elapsed();
    let stderr = stderr.join().unwrap();
    if status == Some(0) {
        // The file was all acknowledged before the deletion took effect:
        // nothing to check, but say so rather than pass silently.
        panic!("publish finished before the topic was deleted; make the file larger\n{stderr}");
    }
    assert_eq!(status, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("topic {:?} does not exist any more", env.topic)),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("resume from {}:", file.display())),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}
