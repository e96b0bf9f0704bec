//! `dualstream replay` against a real Tansu broker.

use std::collections::BTreeSet;

use crate::common::*;
use serde_json::Value;

/// A 3-partition topic holding events 0..30 with timestamps 1_700_000_000_000 + i.
fn topic_with_events(kafka: &Kafka, name: &str) -> String {
    let topic = topic(name);
    kafka.create_topic(&topic, 3);
    seed(kafka, &topic, events(0, 30, 6));
    topic
}

fn replay(kafka: &Kafka, topic: &str, args: &[&str]) -> Run {
    dualstream()
        .brokers(&kafka.brokers(), "off", topic)
        .arg("replay")
        .args(args)
        .run()
}

fn ns(run: &Run) -> Vec<u64> {
    let mut ns: Vec<u64> = run
        .stdout()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect();
    ns.sort();
    ns
}

#[test]
fn start_modes_and_bounds() {
    let kafka = Kafka::shared();
    let topic = topic_with_events(kafka, "starts");
    let records = kafka.records(&topic);
    let filled = records
        .iter()
        .map(|r| r.partition)
        .collect::<BTreeSet<_>>()
        .len();

    let all = replay(kafka, &topic, &["--from-beginning"]).expect_code(0);
    assert_eq!(ns(&all), (0..30).collect::<Vec<_>>());

    // --from-offset N is per partition.
    // (Partitions shorter than that are read from their end, with a warning.)
    let run = replay(kafka, &topic, &["--from-offset", "2", "--summary", "json"]).expect_code(0);
    let expected: Vec<u64> = {
        let mut v: Vec<u64> = records
            .iter()
            .filter(|r| r.offset >= 2)
            .map(|r| r.json()["n"].as_u64().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ns(&run), expected);
    assert_eq!(run.summary()["records"], expected.len());

    // Negative: that many before the end of each partition.
    let run = replay(kafka, &topic, &["--from-offset", "-1"]).expect_code(0);
    assert_eq!(ns(&run).len(), filled);

    // A time inside the data: records at or after it (timestamps rise with n).
    let run = replay(kafka, &topic, &["--from-time", "1700000000020"]).expect_code(0);
    assert_eq!(ns(&run), (20..30).collect::<Vec<_>>());
    let run = replay(kafka, &topic, &["--from-time", "2023-11-14T22:13:20.025Z"]).expect_code(0);
    assert_eq!(ns(&run), (25..30).collect::<Vec<_>>());

    // A time after the last record starts at the end (Tansu answers 0 there).
    let run = replay(kafka, &topic, &["--from-time", "2099-01-01T00:00:00Z"]).expect_code(0);
    assert_eq!(run.stdout(), "", "{}", run.describe());
    let run = replay(kafka, &topic, &["--from-time", "1m"]).expect_code(0);
    assert_eq!(run.stdout(), "");

    // Past the end is an error, not a silent reread.
    let run = replay(kafka, &topic, &["--from-offset", "1000"]).expect_code(2);
    assert!(
        run.stderr().contains("start offset is past the end of"),
        "{}",
        run.describe()
    );

    // --to-offset, --count and --partition.
    let run = replay(kafka, &topic, &["--to-offset", "1"]).expect_code(0);
    assert_eq!(ns(&run).len(), filled);
    let run = replay(kafka, &topic, &["--count", "4"]).expect_code(0);
    assert_eq!(ns(&run).len(), 4);
    let run = replay(kafka, &topic, &["--partition", "1"]).expect_code(0);
    let in_p1: Vec<u64> = {
        let mut v: Vec<u64> = records
            .iter()
            .filter(|r| r.partition == 1)
            .map(|r| r.json()["n"].as_u64().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ns(&run), in_p1);
    replay(kafka, &topic, &["--partition", "7"]).expect_code(2);
}

#[test]
fn empty_partitions_and_empty_topics_terminate() {
    let env = Env::new("empty").partitions(4);
    let run = replay(env.kafka(), &env.topic, &["--summary", "json"]).expect_code(0);
    assert_eq!(run.stdout(), "");
    assert_eq!(run.summary()["records"], 0);
    // One key: one partition has data, three stay empty.
    env.seed(events(0, 5, 1));
    let run = replay(env.kafka(), &env.topic, &["--summary", "json"]).expect_code(0);
    assert_eq!(ns(&run), [0, 1, 2, 3, 4]);
    assert_eq!(run.summary()["partitions"].as_array().unwrap().len(), 4);
}

#[test]
fn values_round_trip_byte_for_byte_and_envelopes_carry_coordinates() {
    let env = Env::new("bytes").partitions(1);
    let input = "{ \"id\" : \"a\", \"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"k\",  \"text\":\"héllo \\u00e9 \\\"q\\\"\" }\n\
                 {\"id\":\"b\",\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"k\",\"n\":1.50,\"time\":\"2026-11-24T10:00:00Z\"}\n";
    env.seed(input);
    let run = replay(env.kafka(), &env.topic, &[]).expect_code(0);
    assert_eq!(
        run.stdout(),
        input,
        "replay must give back exactly what was published"
    );

    let run = replay(env.kafka(), &env.topic, &["--envelope"]).expect_code(0);
    let lines: Vec<Value> = run
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[1]["partition"], 0);
    assert_eq!(lines[1]["offset"], 1);
    assert_eq!(lines[1]["timestamp"], 1_795_514_400_000u64);
    assert_eq!(lines[1]["key"], "k");
    assert_eq!(
        lines[1]["headers"],
        serde_json::json!({"id":"b","type":"t","source_type":"s"})
    );
    assert_eq!(lines[1]["value"]["n"], 1.5);
    assert_eq!(lines[1]["topic"], env.topic.as_str());
    let offsets: BTreeSet<i64> = lines
        .iter()
        .map(|l| l["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, BTreeSet::from([0, 1]));
}

#[test]
fn missing_topic_and_unreachable_broker_exit_4() {
    let kafka = Kafka::shared();
    let run = replay(kafka, "nope", &["--timeout", "5s"]).expect_code(4);
    assert!(
        run.stderr().contains("topic \"nope\" does not exist"),
        "{}",
        run.describe()
    );
    let run = dualstream()
        .brokers(&format!("127.0.0.1:{}", closed_port()), "off", "x")
        .args(["replay", "--timeout", "2s"])
        .run()
        .expect_code(4);
    assert!(
        run.stderr().contains("no broker reachable"),
        "{}",
        run.describe()
    );
}

#[test]
fn to_time_filter_and_csv() {
    let env = Env::new("totime").partitions(2);
    let mut input = events(0, 10, 2);
    input.push_str(
        "{\"id\":\"x1\",\"type\":\"delete\",\"source_type\":\"issue\",\"source_id\":\"i1\",\"time\":1700000000100,\"n\":100}\n",
    );
    env.seed(input);

    // Events 0..10 have timestamps 1_700_000_000_000 + n.
    let run = replay(
        env.kafka(),
        &env.topic,
        &["--from-time", "1700000000002", "--to-time", "1700000000006"],
    )
    .expect_code(0);
    assert_eq!(ns(&run), [2, 3, 4, 5]);

    let run = replay(
        env.kafka(),
        &env.topic,
        &["--filter", "type=delete", "--summary", "json"],
    )
    .expect_code(0);
    assert_eq!(ns(&run), [100]);
    assert_eq!(run.summary()["filtered_out"], 10);
    let run = replay(
        env.kafka(),
        &env.topic,
        &["--filter", "source_type=repo,source_id=r1"],
    )
    .expect_code(0);
    assert_eq!(ns(&run), [1, 3, 5, 7, 9]);
    // Any other name is a path into the value: no record has a colour.
    let run = replay(env.kafka(), &env.topic, &["--filter", "colour=red"]).expect_code(0);
    assert_eq!(run.stdout(), "");
    replay(env.kafka(), &env.topic, &["--filter", "=red"]).expect_stderr(2, "empty field name");

    // Records published without headers are filtered on their value.
    let plain = topic_without_headers(env.kafka());
    let run = replay(env.kafka(), &plain, &["--filter", "source_id=r0"]).expect_code(0);
    assert_eq!(ns(&run), [0, 2]);

    let run = replay(
        env.kafka(),
        &env.topic,
        &["--format", "csv", "--count", "2"],
    )
    .expect_code(0);
    let out = run.stdout();
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["topic", "partition", "offset", "timestamp", "key", "value"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let records = env.records();
    for row in rows {
        let (p, o): (i32, i64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
        let r = records
            .iter()
            .find(|r| r.partition == p && r.offset == o)
            .unwrap();
        assert_eq!(row[5].as_bytes(), r.value.as_slice());
        assert_eq!(Some(&row[4]), r.key.as_deref());
        assert_eq!(row[3].parse::<i64>().ok(), r.timestamp);
    }
}

fn topic_without_headers(kafka: &Kafka) -> String {
    let topic = topic("plain");
    kafka.create_topic(&topic, 1);
    dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["publish", "--no-headers"])
        .stdin(events(0, 4, 2))
        .run()
        .expect_code(0);
    topic
}

#[test]
fn to_redis_resends_notifications_as_publish_would() {
    let env = Env::new("toredis").partitions(2).redis();
    // Published while Redis was "down": Kafka has the events, nobody was notified.
    env.seed(events(0, 20, 4));
    let sub = env.subscribe("events:repo:*");
    let started = std::time::Instant::now();
    let run = env
        .dualstream()
        .args([
            "replay",
            "--to-redis",
            "--rate",
            "100/s",
            "--summary",
            "json",
        ])
        .run()
        .expect_code(0);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(150),
        "--rate 100/s paces 20 notifications"
    );
    assert_eq!(run.summary()["sent"], 20);
    assert_eq!(run.stdout(), "", "--to-redis prints no records");
    let notes = sub.wait_for(20, std::time::Duration::from_secs(10));
    assert_eq!(notes.len(), 20);
    let records = env.records();
    for (channel, payload) in notes {
        let n: Value = serde_json::from_str(&payload).unwrap();
        let r = records
            .iter()
            .find(|r| {
                r.partition == n["partition"].as_i64().unwrap() as i32
                    && r.offset == n["offset"].as_i64().unwrap()
            })
            .expect("notification points at a record");
        assert_eq!(r.headers["id"], n["id"].as_str().unwrap());
        assert_eq!(
            channel,
            format!("events:repo:{}", r.key.as_deref().unwrap())
        );
        assert_eq!(n.as_object().unwrap().len(), 6);
    }

    let dead = format!("redis://127.0.0.1:{}", closed_port());
    let run = dualstream()
        .brokers(&env.brokers(), &dead, &env.topic)
        .args(["replay", "--to-redis"])
        .run()
        .expect_code(5);
    assert!(
        run.stderr().contains("redis: cannot connect"),
        "{}",
        run.describe()
    );
}

#[test]
fn to_topic_copies_keeping_key_headers_and_timestamp() {
    let kafka = Kafka::shared();
    let source = topic("copysrc");
    let target = topic("copydst");
    kafka.create_topic(&source, 2);
    kafka.create_topic(&target, 2);
    seed(kafka, &source, events(0, 30, 5));
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &source)
        .args([
            "replay",
            "--to-topic",
            &target,
            "--filter",
            "source_id=r2",
            "--summary",
            "json",
        ])
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["sent"], 6);
    let mut copies = kafka.records(&target);
    copies.sort_by_key(|r| r.json()["n"].as_u64());
    let originals: Vec<Record> = kafka
        .records(&source)
        .into_iter()
        .filter(|r| r.key.as_deref() == Some("r2"))
        .collect();
    assert_eq!(copies.len(), 6);
    for c in &copies {
        let o = originals
            .iter()
            .find(|o| o.value == c.value)
            .expect("copy of an original");
        assert_eq!(c.key, o.key);
        assert_eq!(c.headers, o.headers);
        assert_eq!(c.timestamp, o.timestamp);
    }
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &source)
        .args(["replay", "--to-topic", "nowhere", "--timeout", "5s"])
        .run()
        .expect_code(4);
    assert!(
        run.stderr().contains("topic \"nowhere\" does not exist"),
        "{}",
        run.describe()
    );
}

#[test]
fn to_topic_with_compression_gzip_lands_readable_compressed_copies() {
    let kafka = Kafka::shared();
    let source = topic("gzipsrc");
    let target = topic("gzipdst");
    kafka.create_topic(&source, 2);
    kafka.create_topic(&target, 2);
    seed(kafka, &source, events(0, 40, 4));
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &source)
        .args([
            "replay",
            "--to-topic",
            &target,
            "--compression",
            "gzip",
            "--summary",
            "json",
        ])
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["sent"], 40, "{}", run.describe());
    let mut copies = kafka.records(&target);
    let mut originals = kafka.records(&source);
    copies.sort_by(|a, b| a.value.cmp(&b.value));
    originals.sort_by(|a, b| a.value.cmp(&b.value));
    assert_eq!(copies.len(), 40);
    for (c, o) in copies.iter().zip(&originals) {
        assert_eq!(
            (&c.value, &c.key, &c.headers),
            (&o.value, &o.key, &o.headers)
        );
    }
    // What the broker serves back is gzip: librdkafka's fetch log names the codec.
    let read = dualstream()
        .brokers(&kafka.brokers(), "off", &target)
        .args(["-vv", "-X", "debug=msg", "replay"])
        .run()
        .expect_code(0);
    let log = read.stderr();
    let fetched: Vec<&str> = log.lines().filter(|l| l.contains("fetch queue")).collect();
    assert!(!fetched.is_empty(), "{}", read.describe());
    assert!(
        fetched.iter().all(|l| l.trim_end().ends_with("gzip)")),
        "{fetched:?}"
    );
    let run = dualstream()
        .brokers(&kafka.brokers(), "off", &source)
        .args(["replay", "--compression", "gzip"])
        .run();
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr().contains("--to-topic"), "{}", run.describe());
}

#[test]
fn group_members_split_partitions_and_reruns_resume() {
    let env = Env::new("group").partitions(4);
    env.seed(events(0, 2000, 40));
    let member = || {
        env.dualstream()
            .args(["replay", "--group", "backfill", "--timeout", "30s"])
            .spawn()
    };
    let (mut a, mut b) = (member(), member());
    let (out_a, out_b) = (
        collect(a.stdout.take().unwrap()),
        collect(b.stdout.take().unwrap()),
    );
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let read = |s: String| -> Vec<u64> {
        s.lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["n"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    let mut all = read(out_a.join().unwrap());
    all.extend(read(out_b.join().unwrap()));
    all.sort();
    assert_eq!(
        all,
        (0..2000).collect::<Vec<u64>>(),
        "every record once across the group"
    );

    // A rerun of the group reads only what arrived since.
    env.seed(events(2000, 10, 40));
    let run = replay(env.kafka(), &env.topic, &["--group", "backfill"]).expect_code(0);
    assert_eq!(ns(&run), (2000..2010).collect::<Vec<u64>>());
    let run = replay(env.kafka(), &env.topic, &["--group", "backfill"]).expect_code(0);
    assert_eq!(run.stdout(), "", "nothing new");
    // Without --group nothing was committed: a plain replay still reads everything.
    assert_eq!(ns(&replay(env.kafka(), &env.topic, &[])).len(), 2010);
}

#[test]
fn follow_runs_until_ctrl_c_then_exits_130_with_the_summary() {
    let env = Env::new("follow").partitions(1);
    let mut child = env
        .dualstream()
        .args(["replay", "--follow", "--summary", "json"])
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    env.seed(events(0, 3, 1));
    for _ in 0..3 {
        stdout
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("record while following");
    }
    sigint(child.id());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let stderr = stderr.join().unwrap();
    assert!(stderr.contains("\"records\":3"), "{stderr}");
}

#[test]
fn slow_group_members_share_the_partitions_without_overlap() {
    let env = Env::new("groupslow").partitions(4).redis();
    env.seed(events(0, 800, 40));
    let sub = env.subscribe("events:*");
    // Paced at 200/s, each member is still reading when the other joins.
    let member = || {
        env.dualstream()
            .args([
                "replay",
                "--group",
                "repair",
                "--to-redis",
                "--rate",
                "200/s",
                "--summary",
                "json",
            ])
            // A member learns of a rebalance at its next heartbeat (3 s by
            // default): by then the first could have finished the very
            // partitions the second is given.
            .args(["-X", "heartbeat.interval.ms=200"])
            .spawn()
    };
    let mut a = member();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut b = member();
    let (err_a, err_b) = (
        collect(a.stderr.take().unwrap()),
        collect(b.stderr.take().unwrap()),
    );
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let sent = |s: String| -> u64 {
        let line = s
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("{s}"));
        serde_json::from_str::<Value>(line).unwrap()["sent"]
            .as_u64()
            .unwrap()
    };
    let (sent_a, sent_b) = (sent(err_a.join().unwrap()), sent(err_b.join().unwrap()));
    assert!(
        sent_a > 0 && sent_b > 0,
        "both members worked: {sent_a} + {sent_b}"
    );
    let notes = sub.wait_for(800, std::time::Duration::from_secs(10));
    let mut ids: Vec<String> = notes
        .iter()
        .map(|(_, p)| {
            serde_json::from_str::<Value>(p).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    let total = ids.len();
    ids.dedup();
    assert_eq!(
        (ids.len(), total),
        (800, 800),
        "every event notified once ({sent_a} + {sent_b})"
    );
}

/// Timestamps are event times, not monotonic: one backfilled old event at
/// the end of a partition must not hide the newer records before it.
#[test]
fn from_time_reads_the_window_even_when_the_last_record_is_older() {
    let env = Env::new("backfilled").partitions(1).redis();
    let mut input = events(0, 10, 1);
    input.push_str(
        "{\"id\":\"old\",\"type\":\"push\",\"source_type\":\"repo\",\"source_id\":\"r0\",\"time\":1600000000000,\"n\":99}\n",
    );
    env.seed(input);
    let run = replay(env.kafka(), &env.topic, &["--from-time", "1700000000005"]).expect_code(0);
    assert_eq!(ns(&run), [5, 6, 7, 8, 9, 99], "{}", run.describe());
    // A time after every record still starts at the end (Tansu answers 0 there).
    let run = replay(env.kafka(), &env.topic, &["--from-time", "1800000000000"]).expect_code(0);
    assert_eq!(ns(&run), Vec::<u64>::new(), "{}", run.describe());
    // tail --catch-up plans its window the same way.
    let t = tail(
        &env.redis_url(),
        &[
            "--brokers",
            &env.brokers(),
            "--topic",
            &env.topic,
            "events:repo:*",
            "--catch-up",
            "1700000000008",
            "--count",
            "3",
            "--timeout",
            "30s",
        ],
    );
    let (code, stdout, stderr) = t.finish();
    assert_eq!(code, Some(0), "{stderr}");
    let ids: Vec<String> = json_lines(&stdout)
        .iter()
        .map(|l| l["payload"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["e8", "e9", "old"], "{stdout}");
}

/// A broker restart is routine: `replay --follow`, alone or as a group
/// member, logs the errors librdkafka reports while the broker is away and
/// goes on reading when it is back.
#[test]
fn follow_survives_a_broker_restart() {
    follows_through_a_restart("followrestart", &[]);
}

#[test]
fn a_group_member_survives_a_broker_restart() {
    follows_through_a_restart("grouprestart", &["--group", "g-restart"]);
}

fn follows_through_a_restart(name: &str, extra: &[&str]) {
    let kafka = Kafka::start();
    let topic = topic(name);
    kafka.create_topic(&topic, 1);
    let mut child = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["replay", "--follow", "--summary", "json"])
        .args(extra)
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    seed(&kafka, &topic, events(0, 3, 1));
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(
            stdout
                .recv_timeout(std::time::Duration::from_secs(30))
                .expect("record before the restart"),
        );
    }
    kafka.stop();
    std::thread::sleep(std::time::Duration::from_secs(2));
    kafka.restart();
    seed(&kafka, &topic, events(3, 3, 1));
    for _ in 0..3 {
        got.push(
            stdout
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap_or_else(|_| {
                    panic!("no record after the restart; exit {:?}", child.try_wait())
                }),
        );
    }
    sigint(child.id());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let stderr = stderr.join().unwrap();
    assert!(stderr.contains("\"records\":6"), "{stderr}");
    let ns: Vec<u64> = got
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(ns, [0, 1, 2, 3, 4, 5], "each record once");
}

/// What a group committed reached the sink: a member killed with records in
/// its output buffer (behind a reader that stopped reading) has committed
/// no offset past what it flushed, so a rerun starts at or before the first
/// record the reader never got.
#[test]
fn group_commits_only_what_reached_stdout() {
    let env = Env::new("groupkill").partitions(1);
    use std::io::BufRead;
    let n = 20_000;
    env.dualstream()
        .args(["publish", "--no-headers"])
        .stdin(events(0, n, 1))
        .run()
        .expect_code(0);
    let mut child = env
        .dualstream()
        .args([
            "replay",
            "--group",
            "killed",
            "-X",
            "auto.commit.interval.ms=100",
        ])
        .spawn();
    // Read 5000 lines, then stop reading: the pipe fills and the member
    // blocks with a full output buffer while librdkafka keeps committing in
    // the background.
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed = 0u64;
    let mut line = String::new();
    while printed < 5000 {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "output ended early");
        printed += 1;
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    printed += rest.lines().count() as u64;
    assert!(printed < n as u64, "the member was stopped midway");

    let health = env
        .dualstream()
        .args(["health", "--group", "killed", "--format", "json"])
        .run()
        .expect_code(0);
    let report: Value = serde_json::from_str(&health.stdout()).unwrap();
    let committed = report["kafka"]["group"]["partitions"][0]["committed"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        committed <= printed,
        "the group committed offset {committed} but only {printed} records reached stdout"
    );
    assert!(
        committed >= 1000,
        "commits kept up with flushes: {committed}"
    );
}

/// The `n` of each stdout line, in the order printed.
fn ns_in_order(run: &Run) -> Vec<u64> {
    run.stdout()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

#[test]
fn last_n_merges_partitions_by_time_oldest_first() {
    let kafka = Kafka::shared();
    let topic = topic_with_events(kafka, "last");
    // Events 0..30 are spread over three partitions by source id; their
    // timestamps grow with n.
    let run = replay(kafka, &topic, &["--last", "5"]).expect_code(0);
    assert_eq!(
        ns_in_order(&run),
        [25, 26, 27, 28, 29],
        "{}",
        run.describe()
    );
    // More than there are: all of them, in time order.
    let run = replay(kafka, &topic, &["--last", "100"]).expect_code(0);
    assert_eq!(ns_in_order(&run), (0..30).collect::<Vec<_>>());
    // --filter counts matching records, reading further back as needed:
    // source r1 holds 1, 7, 13, 19, 25; id e0 is the first record of all.
    let run = replay(kafka, &topic, &["--last", "2", "--filter", "source_id=r1"]).expect_code(0);
    assert_eq!(ns_in_order(&run), [19, 25]);
    let run = replay(kafka, &topic, &["--last", "1", "--filter", "id=e0"]).expect_code(0);
    assert_eq!(ns_in_order(&run), [0]);
    let run = replay(kafka, &topic, &["--last", "3", "--filter", "n=4,n=5,n=28"]).expect_code(0);
    assert_eq!(ns_in_order(&run), [4, 5, 28]);
    // Every format, one partition only.
    let run = replay(
        kafka,
        &topic,
        &["--last", "2", "--partition", "0", "--envelope"],
    )
    .expect_code(0);
    let lines = json_lines(&run.stdout());
    assert_eq!(lines.len(), 2, "{}", run.describe());
    assert!(lines.iter().all(|l| l["partition"] == 0));
    assert!(lines[0]["timestamp"].as_i64() < lines[1]["timestamp"].as_i64());
    let run = replay(kafka, &topic, &["--last", "2", "--format", "csv"]).expect_code(0);
    assert_eq!(run.stdout().lines().count(), 3, "{}", run.describe());
    // Other sinks take the same records: a copy of the newest 3.
    let copy = format!("{topic}-copy");
    kafka.create_topic(&copy, 1);
    replay(kafka, &topic, &["--last", "3", "--to-topic", &copy]).expect_code(0);
    let copied: Vec<u64> = kafka
        .records(&copy)
        .iter()
        .map(|r| r.json()["n"].as_u64().unwrap())
        .collect();
    assert_eq!(copied, [27, 28, 29]);
    // --last 0 prints nothing; it does not combine with a start.
    let run = replay(kafka, &topic, &["--last", "0"]).expect_code(0);
    assert_eq!(run.stdout(), "");
    replay(kafka, &topic, &["--last", "2", "--from-beginning"])
        .expect_stderr(2, "cannot be used with");
}

#[test]
fn last_n_with_follow_goes_on_live() {
    let kafka = Kafka::shared();
    let topic = topic_with_events(kafka, "last-follow");
    let mut child = dualstream()
        .brokers(&kafka.brokers(), "off", &topic)
        .args(["replay", "--last", "2", "--follow", "--count", "4"])
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    let first: Vec<String> = (0..2)
        .map(|_| {
            stdout
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap()
        })
        .collect();
    seed(kafka, &topic, events(30, 2, 6));
    let code = wait_exit(&mut child, std::time::Duration::from_secs(30));
    let rest: Vec<String> = drain(&stdout);
    let stderr = stderr.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let n = |l: &String| {
        serde_json::from_str::<Value>(l).unwrap()["n"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(first.iter().map(n).collect::<Vec<_>>(), [28, 29]);
    let mut live: Vec<u64> = rest.iter().map(n).collect();
    live.sort();
    assert_eq!(live, [30, 31]);
}
