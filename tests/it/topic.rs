//! `dualstream topic create|list|describe|delete` against the real broker,
//! `publish --create-topic` saying what it did, and the first connection:
//! every command failing within seconds when nothing listens at the brokers
//! or their names do not resolve, with the cause and where the address came
//! from, and a broker that took the connection given its whole timeout.

use std::time::Duration;

use crate::common::*;

/// `topic list` as JSON lines (the format on a pipe), by topic.
fn listed(kafka: &Kafka) -> Vec<serde_json::Value> {
    let run = dualstream()
        .args(["--brokers", &kafka.brokers(), "topic", "list"])
        .run()
        .expect_code(0);
    json_lines(&run.stdout())
}

#[test]
fn create_list_describe_and_delete_a_topic() {
    let kafka = Kafka::shared();
    let name = topic("topic-cmd");
    let cmd = || dualstream().args(["--brokers", &kafka.brokers(), "topic"]);
    cmd()
        .args(["create", &name, "--partitions", "2"])
        .run()
        .expect_stderr(
            0,
            &format!(
                "created topic {name:?}: 2 partitions, replication factor 1, min.insync.replicas 1"
            ),
        )
        .expect_stderr(0, "replication factor 1: acks=all waits for one broker");
    // Again with the same settings: nothing to do, said.
    cmd()
        .args(["create", &name, "--partitions", "2"])
        .run()
        .expect_stderr(0, &format!("topic {name:?} already exists: 2 partitions"));
    // Other settings: reported, not ignored, and nothing changed.
    cmd()
        .args([
            "create",
            &name,
            "--partitions",
            "5",
            "--min-insync-replicas",
            "1",
        ])
        .run()
        .expect_stderr(
            4,
            &format!("topic {name:?} already exists with 2 partitions, not 5"),
        );
    seed(kafka, &name, events(0, 7, 3));

    let mine: Vec<_> = listed(kafka)
        .into_iter()
        .filter(|t| t["topic"] == name.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["partitions"], 2);
    assert_eq!(mine[0]["replication_factor"], 1);
    assert_eq!(mine[0]["messages"], 7);
    // Internal topics only when asked for.
    assert!(listed(kafka)
        .iter()
        .all(|t| !t["topic"].as_str().unwrap().starts_with("__")));

    let run = cmd().args(["describe", &name]).run().expect_code(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(doc["topic"], name.as_str());
    assert_eq!(doc["messages"], 7);
    let partitions = doc["partitions"].as_array().unwrap();
    assert_eq!(partitions.len(), 2);
    for p in partitions {
        assert_eq!(p["leader"], 1, "{p}");
        assert_eq!(p["replicas"], serde_json::json!([1]));
        assert_eq!(p["isr"], serde_json::json!([1]));
    }
    assert_eq!(doc["configs"]["min.insync.replicas"]["value"], "1");
    assert_eq!(doc["configs"]["min.insync.replicas"]["source"], "topic");
    assert_eq!(doc["configs"]["cleanup.policy"]["value"], "delete");

    // Delete asks for --yes, before anything is touched.
    cmd()
        .args(["delete", &name])
        .run()
        .expect_stderr(2, "add --yes");
    assert_eq!(kafka.records(&name).len(), 7);
    cmd()
        .args(["delete", &name, "--yes"])
        .run()
        .expect_stderr(0, &format!("deleted topic {name:?}"));
    assert!(listed(kafka).iter().all(|t| t["topic"] != name.as_str()));
    cmd()
        .args(["describe", &name])
        .run()
        .expect_stderr(4, &format!("topic {name:?} does not exist"));
    cmd()
        .args(["delete", &name, "--yes"])
        .run()
        .expect_stderr(4, "it does not exist");
}

#[test]
fn topic_create_refuses_impossible_settings_before_connecting() {
    let closed = format!("127.0.0.1:{}", closed_port());
    dualstream()
        .args([
            "--brokers",
            &closed,
            "topic",
            "create",
            "t",
            "--partitions",
            "0",
        ])
        .run()
        .expect_stderr(2, "--partitions must be at least 1");
    dualstream()
        .args(["--brokers", &closed, "topic", "create", "t"])
        .args(["--replication-factor", "1", "--min-insync-replicas", "2"])
        .run()
        .expect_stderr(2, "no write could succeed");
    let kafka = Kafka::shared();
    dualstream()
        .args([
            "--brokers",
            &kafka.brokers(),
            "topic",
            "create",
            &topic("rf3"),
        ])
        .args(["--replication-factor", "3"])
        .run()
        .expect_stderr(2, "--replication-factor 3 is more than the 1 broker(s)");
}

#[test]
fn publish_create_topic_says_what_it_did_and_reports_other_settings() {
    let kafka = Kafka::shared();
    let name = topic("create-said");
    let publish = |extra: &[&str]| {
        dualstream()
            .brokers(&kafka.brokers(), "off", &name)
            .args(["publish", "--create-topic"])
            .args(extra)
            .stdin(events(0, 4, 2))
            .run()
    };
    publish(&["--partitions", "2"])
        .expect_stderr(0, &format!("created topic {name:?}: 2 partitions"));
    let run = publish(&["--partitions", "5"]).expect_code(0);
    assert!(
        run.stderr().contains(&format!(
            "warning: topic {name:?} already exists with 2 partitions, not 5: left as it is"
        )),
        "{}",
        run.describe()
    );
    // Without --partitions an existing topic is not held to the default.
    let run = publish(&[]).expect_code(0);
    assert!(!run.stderr().contains("warning"), "{}", run.describe());
    assert!(
        run.stderr().contains("already exists: 2 partitions"),
        "{}",
        run.describe()
    );
    assert_eq!(kafka.records(&name).len(), 12);
}

/// Every command that talks to Kafka, with a 30 s timeout it must not wait out.
fn kafka_commands(redis: &str) -> Vec<Vec<&str>> {
    vec![
        vec!["--redis", "off", "publish", "--timeout", "30s"],
        vec![
            "--redis",
            "off",
            "publish",
            "--create-topic",
            "--timeout",
            "30s",
        ],
        vec!["replay", "--timeout", "30s"],
        vec!["--redis", redis, "tail", "--fill-gaps", "x"],
        vec!["--redis", redis, "tail", "--catch-up", "1m", "x"],
        vec!["--redis", "off", "health", "--timeout", "30s"],
        vec!["topic", "list", "--timeout", "30s"],
        vec!["topic", "describe", "--timeout", "30s"],
    ]
}

#[test]
fn every_command_fails_within_seconds_when_nothing_listens_naming_the_cause_and_the_flag() {
    let brokers = format!("127.0.0.1:{}", closed_port());
    // tail subscribes before it reads Kafka: a Redis that answers.
    let redis = Redis::start();
    for args in kafka_commands(&redis.url()) {
        let run = dualstream()
            .args(["--brokers", &brokers])
            .args(&args)
            .stdin(events(0, 2, 1))
            .run()
            .expect_code(4);
        // health reports on stdout, every other command on stderr.
        let (stdout, stderr) = (run.stdout(), run.stderr());
        assert!(
            format!("{stdout}{stderr}").contains(&format!(
                "no broker reachable at {brokers} (from --brokers): connection refused"
            )),
            "{}",
            run.describe()
        );
        assert!(
            run.elapsed < Duration::from_secs(10),
            "{args:?} took {:?}",
            run.elapsed
        );
        // librdkafka's own lines only with -v.
        assert!(
            !stderr.contains("librdkafka") && !stderr.contains("FAIL"),
            "{}",
            run.describe()
        );
        assert!(!stderr.contains("connecting to"), "not on a pipe");
    }
}

#[test]
fn a_name_that_does_not_resolve_is_said_with_where_it_came_from() {
    let run = dualstream()
        .env("DUALSTREAM_BROKERS", "kafak.invalid:9092")
        .args(["--redis", "off", "replay", "--timeout", "30s"])
        .run()
        .expect_code(4);
    assert!(
        run.stderr().contains(
            "no broker reachable at kafak.invalid:9092 (from DUALSTREAM_BROKERS): cannot resolve kafak.invalid"
        ),
        "{}",
        run.describe()
    );
    assert!(
        run.elapsed < Duration::from_secs(10),
        "took {:?}",
        run.elapsed
    );

    // One refusing and one unresolvable: each named.
    let refusing = format!("127.0.0.1:{}", closed_port());
    let both = format!("{refusing},kafak.invalid:9092");
    dualstream()
        .args(["--brokers", &both, "--redis", "off", "topic", "list"])
        .run()
        .expect_stderr(
            4,
            &format!(
                "{refusing}: connection refused; kafak.invalid:9092: cannot resolve kafak.invalid"
            ),
        );

    // From a profile.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("default = \"staging\"\n[profiles.staging]\nbrokers = \"{refusing}\"\n"),
    )
    .unwrap();
    dualstream()
        .args([
            "--config",
            config.to_str().unwrap(),
            "--redis",
            "off",
            "replay",
        ])
        .run()
        .expect_stderr(
            4,
            &format!(
                "no broker reachable at {refusing} (from profile \"staging\"): connection refused"
            ),
        );
}

#[test]
fn the_built_in_default_is_named_with_what_to_set() {
    if std::net::TcpStream::connect("localhost:9092").is_ok() {
        eprintln!("skipped: something listens at localhost:9092");
        return;
    }
    dualstream()
        .args(["--redis", "off", "publish"])
        .stdin(events(0, 1, 1))
        .run()
        .expect_stderr(
            4,
            "no broker reachable at localhost:9092 (the built-in default): connection refused (give --brokers HOST:PORT or set DUALSTREAM_BROKERS)",
        );
}

#[test]
fn a_broker_that_took_the_connection_gets_the_whole_timeout() {
    let (_listener, address) = silent_broker();
    let run = dualstream()
        .args([
            "--brokers",
            &address,
            "--redis",
            "off",
            "replay",
            "--timeout",
            "4s",
        ])
        .run()
        .expect_code(4);
    assert!(
        run.stderr().contains(&format!(
            "no broker reachable at {address} (from --brokers) after"
        )),
        "{}",
        run.describe()
    );
    assert!(
        run.elapsed >= Duration::from_secs(3),
        "a broker that accepted the connection was given up after {:?}",
        run.elapsed
    );
}

#[test]
fn connecting_is_said_on_a_terminal_after_a_second() {
    let (_listener, address) = silent_broker();
    // `script` runs the command on a pseudo-terminal, as a user's shell would.
    let command = format!(
        "{} --brokers {address} --redis off topic list --timeout 3s",
        env!("CARGO_BIN_EXE_dualstream")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .output()
        .expect("script (util-linux) runs a command on a terminal");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("connecting to {address} (from --brokers)…")),
        "{text}"
    );
    assert!(text.contains("no broker reachable"), "{text}");
    // On a pipe the same wait is silent until the error.
    let run = dualstream()
        .args([
            "--brokers",
            &address,
            "--redis",
            "off",
            "topic",
            "list",
            "--timeout",
            "3s",
        ])
        .run()
        .expect_code(4);
    assert!(
        !run.stderr().contains("connecting to"),
        "{}",
        run.describe()
    );
}

/// On a 3-node cluster `topic create` defaults to replication factor 3 with
/// `min.insync.replicas` 2 (no factor-1 warning), `describe` shows every
/// partition's three replicas in sync, and, with a node killed, the
/// partitions it held under-replicated without it in their ISR.
#[test]
fn on_three_nodes_create_replicates_and_describe_shows_a_node_leaving_the_isr() {
    let kafka = Kafka::cluster(3);
    let name = topic("topic-rf3");
    let cmd = || dualstream().args(["--brokers", &kafka.brokers(), "topic"]);
    let run = cmd().args(["create", &name]).run().expect_stderr(
        0,
        &format!(
            "created topic {name:?}: 3 partitions, replication factor 3, min.insync.replicas 2"
        ),
    );
    assert!(!run.stderr().contains("warning"), "{}", run.describe());
    let describe = || -> serde_json::Value {
        let run = cmd().args(["describe", &name]).run().expect_code(0);
        serde_json::from_str(&run.stdout()).unwrap()
    };
    let doc = describe();
    assert_eq!(doc["replication_factor"], 3);
    assert_eq!(doc["configs"]["min.insync.replicas"]["value"], "2");
    for p in doc["partitions"].as_array().unwrap() {
        assert_eq!(p["replicas"].as_array().unwrap().len(), 3, "{p}");
        assert_eq!(p["isr"].as_array().unwrap().len(), 3, "{p}");
        assert!((1..=3).contains(&p["leader"].as_i64().unwrap()), "{p}");
    }

    kafka.kill_node(3);
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let shrunk = loop {
        let doc = describe();
        let partitions = doc["partitions"].as_array().unwrap().clone();
        let without_3 = partitions
            .iter()
            .all(|p| !p["isr"].as_array().unwrap().contains(&3.into()));
        if without_3 {
            break partitions;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node 3 still in an ISR after 90 s: {partitions:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    for p in &shrunk {
        assert_eq!(p["isr"].as_array().unwrap().len(), 2, "{p}");
        assert_ne!(p["leader"], 3, "{p}");
    }
    let table = cmd()
        .args(["describe", &name, "--format", "table"])
        .run()
        .expect_code(0);
    assert!(
        table.stdout().contains("under-replicated"),
        "{}",
        table.describe()
    );
    // list still answers with a node gone.
    let run = cmd().args(["list"]).run().expect_code(0);
    assert!(run.stdout().contains(&name), "{}", run.describe());
}

/// A broker list that cannot name a broker is a usage error at once
/// (exit 2, naming the list, where it came from and what is wrong), not a
/// wait: an empty DUALSTREAM_BROKERS (a secret missing in CI), an empty
/// entry, a port out of range, a scheme librdkafka does not take. A
/// `bootstrap.servers` property is the list messages name.
#[test]
fn a_broker_list_that_names_no_broker_is_a_usage_error() {
    for (list, said) in [
        ("", "it is empty"),
        ("a:1,,b:2", "an empty entry"),
        ("127.0.0.1:99999", "is not a port"),
        ("kafka://127.0.0.1:9092", "kafka:// is not a protocol"),
        (":9092", "has no host"),
    ] {
        let run = dualstream()
            .env("DUALSTREAM_BROKERS", list)
            .args(["--redis", "off", "replay", "--timeout", "30s"])
            .run()
            .expect_code(2);
        assert!(
            run.stderr().contains(&format!(
                "the broker list {list:?} (from DUALSTREAM_BROKERS)"
            )) && run.stderr().contains(said),
            "{}",
            run.describe()
        );
        assert!(run.elapsed < Duration::from_secs(5), "{}", run.describe());
    }
    let refusing = format!("127.0.0.1:{}", closed_port());
    dualstream()
        .args(["--brokers", "127.0.0.1:9", "-X"])
        .arg(format!("metadata.broker.list={refusing}"))
        .args(["--redis", "off", "topic", "list"])
        .run()
        .expect_stderr(
            4,
            &format!(
                "no broker reachable at {refusing} (from the bootstrap.servers property): connection refused"
            ),
        );
}

/// A broker that is starting (refusing at first, then listening without
/// answering yet) is given the whole --timeout, not failed as refused.
#[test]
fn a_broker_that_starts_listening_after_a_refusal_gets_the_whole_timeout() {
    let port = closed_port();
    let late = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        // Hold accepted connections without answering, for longer than the run.
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = std::time::Instant::now() + Duration::from_secs(6);
        while std::time::Instant::now() < until {
            if let Ok((c, _)) = listener.accept() {
                held.push(c);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let run = dualstream()
        .args(["--brokers", &format!("127.0.0.1:{port}")])
        .args(["--redis", "off", "topic", "list", "--timeout", "3s"])
        .run()
        .expect_code(4);
    late.join().unwrap();
    assert!(
        run.elapsed >= Duration::from_secs(3),
        "failed fast although something listened\n{}",
        run.describe()
    );
    assert!(
        run.stderr().contains("does not answer as a Kafka broker"),
        "{}",
        run.describe()
    );
}

/// A name Kafka can never have is a usage error on every command that
/// takes one (exit 2, saying what is allowed), and so is more partitions
/// than a topic can have: not a broker's INVALID_TOPIC (exit 4) or a hint
/// to create what cannot be created.
#[test]
fn a_topic_name_kafka_cannot_have_is_a_usage_error() {
    let long = "t".repeat(250);
    for name in ["bad/name", "..", "a b", long.as_str()] {
        for args in [
            vec!["--topic", name, "replay"],
            vec!["--topic", name, "publish"],
            vec!["topic", "create", name],
            vec!["topic", "describe", name],
            vec!["replay", "--group", "g", "--to-topic", name],
        ] {
            let run = dualstream()
                .args(["--brokers", "127.0.0.1:9", "--redis", "off"])
                .args(&args)
                .stdin("")
                .run()
                .expect_code(2);
            assert!(
                run.stderr().contains("is not allowed")
                    || run.stderr().contains("may only have ASCII letters")
                    || run.stderr().contains("at most 249"),
                "{}",
                run.describe()
            );
            assert!(run.stderr().len() < 400, "{}", run.describe());
        }
    }
    dualstream()
        .args([
            "--brokers",
            "127.0.0.1:9",
            "topic",
            "create",
            "x",
            "--partitions",
            "2147483647",
        ])
        .run()
        .expect_stderr(2, "more than a topic can have (100000)");
}
