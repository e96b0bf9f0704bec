//! Security on a real broker: an Apache Kafka node of the test's own with a
//! SASL_PLAINTEXT listener (SCRAM-SHA-512 users made at format time), an
//! SSL listener (a CA and a server certificate made here with openssl, PEM
//! keystore), a SASL_SSL listener (the same SCRAM users over that TLS) and the StandardAuthorizer (no ACL, no access; the fixture's
//! PLAINTEXT admin is a super user). ACLs are granted with Kafka's own
//! AclCommand.
//!
//! dualstream is configured through -X, -F and a profile; publish lands
//! records, replay reads them, health reports. Every refusal (wrong
//! password, unknown user, topic or group not authorised, publishing with
//! read rights only, a server certificate that does not verify) ends each
//! command with exit 4 and a message that names the cause (health: a topic
//! or group it may not use is a problem, degraded, 6), and no password is
//! printed at -vv.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;

const ALICE: &str = "Alice-Scram-Pa55-marker";
const BOB: &str = "Bob-Scram-Pa55-marker";
const CAROL: &str = "Carol-Scram-Pa55-marker";
const WRONG: &str = "Wrong-Scram-Pa55-marker";
const SECRETS: [&str; 4] = [ALICE, BOB, CAROL, WRONG];

/// The CA that signed the broker's certificate, another CA that did not,
/// and the broker's PEM keystore (key and certificate).
struct Certs {
    /// Holds the files while the node runs.
    _dir: tempfile::TempDir,
    ca: PathBuf,
    rogue_ca: PathBuf,
    keystore: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn certs() -> Certs {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, cn) in [
        ("ca", "dualstream test CA"),
        ("rogue", "not the broker's CA"),
    ] {
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                &format!("/CN={cn}"),
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(d.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "san.cnf",
            "-out",
            "server.pem",
        ],
    );
    // Kafka's PEM keystore: the (unencrypted PKCS#8) key, then the chain.
    let keystore = d.join("keystore.pem");
    let key = std::fs::read_to_string(d.join("server.key")).unwrap();
    let cert = std::fs::read_to_string(d.join("server.pem")).unwrap();
    std::fs::write(&keystore, format!("{key}{cert}")).unwrap();
    Certs {
        ca: d.join("ca.pem"),
        rogue_ca: d.join("rogue.pem"),
        keystore,
        _dir: dir,
    }
}

/// One node with SASL_PLAINTEXT (SCRAM-SHA-512: alice, bob, carol), SSL,
/// SASL_SSL (SCRAM over TLS), and the StandardAuthorizer.
fn secure_kafka(certs: &Certs) -> Kafka {
    Kafka::builder()
        .listener("SASL_PLAINTEXT", "SASL_PLAINTEXT")
        .listener("SSL", "SSL")
        .listener("SASL_SSL", "SASL_SSL")
        .config("sasl.enabled.mechanisms=SCRAM-SHA-512")
        .config(
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=\
             org.apache.kafka.common.security.scram.ScramLoginModule required;",
        )
        .config(
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=\
             org.apache.kafka.common.security.scram.ScramLoginModule required;",
        )
        .config("listener.name.ssl.ssl.keystore.type=PEM")
        .config(format!(
            "listener.name.ssl.ssl.keystore.location={}",
            certs.keystore.display()
        ))
        .config("listener.name.sasl_ssl.ssl.keystore.type=PEM")
        .config(format!(
            "listener.name.sasl_ssl.ssl.keystore.location={}",
            certs.keystore.display()
        ))
        .config("authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer")
        .config("allow.everyone.if.no.acl.found=false")
        // The fixture's PLAINTEXT admin and the controller listener.
        .config("super.users=User:ANONYMOUS")
        .format_arg("--add-scram")
        .format_arg(format!("SCRAM-SHA-512=[name=alice,password={ALICE}]"))
        .format_arg("--add-scram")
        .format_arg(format!("SCRAM-SHA-512=[name=bob,password={BOB}]"))
        .format_arg("--add-scram")
        .format_arg(format!("SCRAM-SHA-512=[name=carol,password={CAROL}]"))
        .start()
}

/// Grant `principal` the `operations` on `resource` (`--topic T`, `--group G`).
fn allow(kafka: &Kafka, principal: &str, operations: &[&str], resource: &[&str]) {
    let brokers = kafka.brokers();
    let mut args = vec![
        "--bootstrap-server",
        &brokers,
        "--add",
        "--allow-principal",
        principal,
    ];
    for op in operations {
        args.extend(["--operation", op]);
    }
    args.extend_from_slice(resource);
    kafka.tool("org.apache.kafka.tools.AclCommand", &args);
}

/// A test's node, with its certificates, topics and ACLs: alice may do
/// anything on `topic` and in the group `alice-group`, and nothing else;
/// carol may read `topic` (Describe, Read) and nothing else; bob exists and
/// may do nothing.
struct Secure {
    kafka: Kafka,
    certs: Certs,
    topic: String,
    /// A topic alice has no ACL for.
    other: String,
}

fn secure() -> Secure {
    let certs = certs();
    let kafka = secure_kafka(&certs);
    let topic = topic("sec");
    let other = topic.clone() + "-other";
    kafka.create_topic(&topic, 2);
    kafka.create_topic(&other, 1);
    allow(
        &kafka,
        "User:alice",
        &["All"],
        &["--topic", &topic, "--group", "alice-group"],
    );
    allow(
        &kafka,
        "User:carol",
        &["Describe", "Read"],
        &["--topic", &topic],
    );
    Secure {
        kafka,
        certs,
        topic,
        other,
    }
}

/// Client properties, `key=value`.
type Props = Vec<(String, String)>;

/// A refusal: its name, the client properties, the listener, the topic,
/// and what every command says.
type Case<'a> = (&'a str, Props, &'a str, &'a str, Vec<String>);

/// SCRAM-SHA-512 client properties for `user`.
fn scram(user: &str, password: &str) -> Props {
    [
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanisms", "SCRAM-SHA-512"),
        ("sasl.username", user),
        ("sasl.password", password),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// SCRAM-SHA-512 over TLS (SASL_SSL) for `user`, trusting `ca`.
fn scram_tls(user: &str, password: &str, ca: &Path) -> Props {
    let mut props = scram(user, password);
    props[0].1 = "SASL_SSL".into();
    props.push(("ssl.ca.location".into(), ca.display().to_string()));
    props
}

/// SSL client properties trusting `ca`.
fn ssl(ca: &Path) -> Props {
    vec![
        ("security.protocol".into(), "SSL".into()),
        ("ssl.ca.location".into(), ca.display().to_string()),
    ]
}

/// How a run is given its Kafka settings.
#[derive(Clone, Copy, Debug)]
enum Way {
    /// `-X key=value` flags.
    X,
    /// A `-F` librdkafka properties file.
    File,
    /// A profile of a config file (`[profiles.NAME.kafka]`), with its
    /// brokers and topic.
    Profile,
}

/// The global flags that point dualstream at `brokers`, `topic` and
/// `redis` with the client properties `props`, given the `way` said;
/// files go into `dir`.
fn flags(
    way: Way,
    props: &[(String, String)],
    brokers: &str,
    topic: &str,
    redis: &str,
    dir: &Path,
) -> Vec<String> {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let given = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match way {
        Way::X => {
            let mut f = given(&["--brokers", brokers, "--topic", topic, "--redis", redis]);
            for (k, v) in props {
                f.extend(["-X".to_string(), format!("{k}={v}")]);
            }
            f
        }
        Way::File => {
            let path = dir.join(format!("client-{n}.properties"));
            let text: String = props.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
            std::fs::write(&path, format!("# librdkafka\n{text}")).unwrap();
            let mut f = given(&["--brokers", brokers, "--topic", topic, "--redis", redis]);
            f.extend(["-F".to_string(), path.display().to_string()]);
            f
        }
        Way::Profile => {
            let path = dir.join(format!("config-{n}.toml"));
            let kafka: String = props
                .iter()
                .map(|(k, v)| format!("{k:?} = {v:?}\n"))
                .collect();
            std::fs::write(
                &path,
                format!(
                    "[profiles.secure]\nbrokers = {brokers:?}\ntopic = {topic:?}\nredis = {redis:?}\n\n[profiles.secure.kafka]\n{kafka}"
                ),
            )
            .unwrap();
            given(&[
                "--config",
                &path.display().to_string(),
                "--profile",
                "secure",
            ])
        }
    }
}

/// Run dualstream at -vv with `flags` in front of `args`, checking that no
/// password and no panic shows in anything it printed.
fn run(flags: &[String], args: &[&str], stdin: String) -> Run {
    let run = dualstream()
        .arg("-vv")
        .args(flags)
        .args(args)
        .stdin(stdin)
        .run();
    let all = format!("{}{}", run.stdout(), run.stderr());
    for secret in SECRETS {
        assert!(
            !all.contains(secret),
            "a password was printed\n{}",
            run.describe()
        );
    }
    assert!(!all.contains("panicked"), "{}", run.describe());
    run
}

/// What a user reads of a run: stderr without the -vv debug lines, and
/// stdout (health's report).
fn shown(run: &Run) -> String {
    let stderr = run.stderr();
    let stderr: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("DEBUG") && !l.contains(" INFO ") && !l.contains("librdkafka"))
        .collect();
    format!("{}\n{}", stderr.join("\n"), run.stdout())
}

/// SCRAM-SHA-512 over SASL_PLAINTEXT, TLS (`ssl.ca.location`) and SCRAM
/// over TLS (SASL_SSL), each given with -X, in a -F file and in a profile: publish lands the records (read
/// back over the PLAINTEXT listener), replay reads every one (with a group
/// too), health reports the topic. No password shows at -vv.
#[test]
fn kafka_security_scram_and_ssl_work_through_x_file_and_profile() {
    let s = &secure();
    let dir = tempfile::tempdir().unwrap();
    let sasl = s.kafka.listener_address("SASL_PLAINTEXT");
    let tls = s.kafka.listener_address("SSL");
    let sasl_tls = s.kafka.listener_address("SASL_SSL");
    let mut published = 0;
    let mut first = 0;
    for (name, props, brokers) in [
        ("scram", scram("alice", ALICE), &sasl),
        ("ssl", ssl(&s.certs.ca), &tls),
        (
            "scram over tls",
            scram_tls("alice", ALICE, &s.certs.ca),
            &sasl_tls,
        ),
    ] {
        for way in [Way::X, Way::File, Way::Profile] {
            let what = format!("{name} through {way:?}");
            let f = flags(way, &props, brokers, &s.topic, "off", dir.path());
            let p = run(&f, &["publish", "--timeout", "20s"], events(first, 3, 2));
            assert_eq!(p.code(), 0, "{what}\n{}", p.describe());
            first += 3;
            published += 3;
            let records = s.kafka.records(&s.topic);
            assert_eq!(records.len(), published, "{what}: records in Kafka");
            let ids: Vec<String> = (first - 3..first).map(|i| format!("e{i}")).collect();
            for id in &ids {
                assert!(
                    records.iter().any(|r| r.headers.get("id") == Some(id)),
                    "{what}: {id} landed"
                );
            }

            let r = run(&f, &["replay", "--timeout", "20s"], String::new());
            assert_eq!(r.code(), 0, "{what}\n{}", r.describe());
            assert_eq!(
                r.stdout().lines().count(),
                published,
                "{what}\n{}",
                r.describe()
            );
            // A reader without a group has one configured all the same,
            // which alice may not use: librdkafka says so (its log, -v),
            // but that is no warning of dualstream's.
            assert!(
                !r.stderr()
                    .lines()
                    .any(|l| l.contains("WARN") && !l.contains("librdkafka")),
                "{what}: replay warned\n{}",
                r.describe()
            );

            let h = run(
                &f,
                &["health", "--format", "json", "--timeout", "20s"],
                String::new(),
            );
            assert_eq!(h.code(), 0, "{what}\n{}", h.describe());
            let report: serde_json::Value = serde_json::from_str(&h.stdout()).unwrap();
            assert_eq!(report["status"], "ok", "{what}\n{}", h.describe());
            let topic = report["kafka"]["topics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == s.topic.as_str())
                .unwrap_or_else(|| panic!("{what}: health lists the topic\n{}", h.describe()));
            assert_eq!(topic["partitions"].as_array().unwrap().len(), 2, "{what}");
        }
    }

    // A group alice may use: every record, once, and its lag in health.
    let f = flags(
        Way::X,
        &scram("alice", ALICE),
        &sasl,
        &s.topic,
        "off",
        dir.path(),
    );
    let r = run(
        &f,
        &["replay", "--group", "alice-group", "--timeout", "20s"],
        String::new(),
    );
    assert_eq!(r.code(), 0, "{}", r.describe());
    assert_eq!(r.stdout().lines().count(), published, "{}", r.describe());
    let h = run(
        &f,
        &[
            "health",
            "--group",
            "alice-group",
            "--format",
            "json",
            "--timeout",
            "20s",
        ],
        String::new(),
    );
    assert_eq!(h.code(), 0, "{}", h.describe());
    let report: serde_json::Value = serde_json::from_str(&h.stdout()).unwrap();
    assert_eq!(report["kafka"]["group"]["total_lag"], 0, "{}", h.describe());
    assert_eq!(report["kafka"]["group"]["error"], serde_json::Value::Null);

    // `profile show` masks the password.
    let f = flags(
        Way::Profile,
        &scram("alice", ALICE),
        &sasl,
        &s.topic,
        "off",
        dir.path(),
    );
    let config = &f[1];
    let show = run(
        &["--config".to_string(), config.clone()],
        &["profile", "show", "secure"],
        String::new(),
    );
    assert_eq!(show.code(), 0, "{}", show.describe());
    assert!(
        show.stdout().contains("sasl.username"),
        "{}",
        show.describe()
    );
}

/// Every refusal, on every command, is exit 4 with a message that names
/// its cause, at once rather than at the timeout, and prints no password:
/// a wrong password, an unknown user, a certificate no trusted CA signed
/// (on SSL and on SASL_SSL, where a wrong password is refused too)
/// (authentication and TLS refusals used to read "no broker reachable …
/// Broker transport failure" after the whole timeout), a topic the user
/// has no ACL for (it used to read "does not exist"), a group the user has
/// no ACL for (`replay --group` used to retry forever), publishing with
/// read rights only (it read "not queued: … Fatal"). `health` reports
/// a refused topic or group as a problem, degraded (6), as it does a
/// missing topic; a refused connection is `kafka_unreachable` (4). Each
/// way of giving the settings (-X, -F, profile) gives the same answer.
#[test]
fn kafka_security_refusals_name_their_cause_with_exit_4() {
    let s = &secure();
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let sasl = s.kafka.listener_address("SASL_PLAINTEXT");
    let tls = s.kafka.listener_address("SSL");
    let sasl_tls = s.kafka.listener_address("SASL_SSL");
    let authentication = "kafka: authentication failed: ";
    let sasl_said = "SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512";
    let tls_said = "certificate verify failed";
    let topic_denied = format!(
        "kafka: not authorised for topic {:?} (TOPIC_AUTHORIZATION_FAILED)",
        s.other
    );
    let group_denied =
        "not authorised for consumer group \"nogroup\" (GROUP_AUTHORIZATION_FAILED)".to_string();
    let cases: Vec<Case> = vec![
        (
            "wrong password",
            scram("alice", WRONG),
            &sasl,
            &s.topic,
            vec![authentication.into(), sasl_said.into()],
        ),
        (
            "unknown user",
            scram("mallory", WRONG),
            &sasl,
            &s.topic,
            vec![authentication.into(), sasl_said.into()],
        ),
        (
            "untrusted certificate",
            ssl(&s.certs.rogue_ca),
            &tls,
            &s.topic,
            vec!["kafka: TLS failed: ".into(), tls_said.into()],
        ),
        (
            "SASL_SSL, untrusted certificate",
            scram_tls("alice", ALICE, &s.certs.rogue_ca),
            &sasl_tls,
            &s.topic,
            vec!["kafka: TLS failed: ".into(), tls_said.into()],
        ),
        (
            "SASL_SSL, wrong password",
            scram_tls("alice", WRONG, &s.certs.ca),
            &sasl_tls,
            &s.topic,
            vec![authentication.into(), sasl_said.into()],
        ),
        (
            "topic not authorised",
            scram("alice", ALICE),
            &sasl,
            &s.other,
            vec![topic_denied.clone()],
        ),
        (
            "no ACL at all",
            scram("bob", BOB),
            &sasl,
            &s.topic,
            vec![format!(
                "kafka: not authorised for topic {:?} (TOPIC_AUTHORIZATION_FAILED)",
                s.topic
            )],
        ),
    ];
    let commands: [&[&str]; 5] = [
        &["publish", "--timeout", "20s"],
        &["replay", "--timeout", "20s"],
        &["replay", "--group", "alice-group", "--timeout", "20s"],
        &["tail", "events:*", "--catch-up", "1h", "--timeout", "20s"],
        &["health", "--timeout", "20s"],
    ];
    let mut checked = 0;
    for (case, props, brokers, topic, said) in &cases {
        for (i, args) in commands.iter().enumerate() {
            // Each way of giving the settings, in turn.
            let way = [Way::X, Way::File, Way::Profile][(checked + i) % 3];
            let f = flags(way, props, brokers, topic, &redis.url(), dir.path());
            let r = run(&f, args, events(100, 2, 1));
            let what = format!("{case}, {way:?}, {args:?}");
            let health_topic = args[0] == "health" && said[0].contains("TOPIC_AUTHORIZATION");
            let (code, said): (i32, Vec<String>) = if health_topic {
                let t = said[0].split('"').nth(1).unwrap().to_string();
                (
                    6,
                    vec![format!(
                        "topic {t}: not authorised (TOPIC_AUTHORIZATION_FAILED)"
                    )],
                )
            } else {
                (4, said.clone())
            };
            assert_eq!(r.code(), code, "{what}\n{}", r.describe());
            let text = shown(&r);
            for s in &said {
                assert!(
                    text.contains(s.as_str()),
                    "{what}: {s:?} is said\n{}",
                    r.describe()
                );
            }
            assert!(
                !text.contains("no broker reachable") && !text.contains("does not exist"),
                "{what}: a refusal is not an outage\n{}",
                r.describe()
            );
            if args[0] == "health" && code == 4 {
                assert!(
                    text.contains("status: kafka_unreachable"),
                    "{what}\n{}",
                    r.describe()
                );
            }
            assert!(
                r.elapsed < Duration::from_secs(12),
                "{what}: the refusal was heard at once, not at the timeout\n{}",
                r.describe()
            );
            checked += 1;
        }
    }

    // A group alice has no ACL for: replay --group fails at once (it used
    // to retry forever), health --group names it.
    for way in [Way::X, Way::File, Way::Profile] {
        let f = flags(
            way,
            &scram("alice", ALICE),
            &sasl,
            &s.topic,
            "off",
            dir.path(),
        );
        let r = run(
            &f,
            &["replay", "--group", "nogroup", "--timeout", "20s"],
            String::new(),
        );
        assert_eq!(r.code(), 4, "{way:?}\n{}", r.describe());
        let text = shown(&r);
        assert!(
            text.contains(&format!("kafka: reading {}: {group_denied}", s.topic)),
            "{way:?}\n{}",
            r.describe()
        );
        assert!(r.elapsed < Duration::from_secs(12), "{}", r.describe());
        let h = run(
            &f,
            &["health", "--group", "nogroup", "--timeout", "20s"],
            String::new(),
        );
        assert_eq!(h.code(), 6, "{way:?}\n{}", h.describe());
        assert!(
            shown(&h).contains("group nogroup: not authorised (GROUP_AUTHORIZATION_FAILED)"),
            "{way:?}\n{}",
            h.describe()
        );
        assert!(h.elapsed < Duration::from_secs(12), "{}", h.describe());
    }
    // A reader (Describe and Read on the topic, no Write) who publishes:
    // the idempotent producer is refused its producer id, fatally; that is
    // the cause (it read "not queued: … Fatal (Local: Fatal error)").
    for way in [Way::X, Way::File, Way::Profile] {
        let f = flags(
            way,
            &scram("carol", CAROL),
            &sasl,
            &s.topic,
            "off",
            dir.path(),
        );
        let r = run(&f, &["publish", "--timeout", "20s"], events(200, 2, 1));
        assert_eq!(r.code(), 4, "{way:?}\n{}", r.describe());
        let text = shown(&r);
        for said in [
            "events not acknowledged (fatal producer error: ",
            "Cluster authorization failed",
            "the idempotent producer needs an ACL allowing Write on the topic",
        ] {
            assert!(text.contains(said), "{way:?}: {said:?}\n{}", r.describe());
        }
        assert!(!text.contains("not queued"), "{way:?}\n{}", r.describe());
    }

    // Nothing of any refused run landed.
    assert!(s.kafka.records(&s.other).is_empty());
    assert!(s.kafka.records(&s.topic).is_empty());
}

/// `user` follows the topic with `replay --follow --timeout 10s` and the
/// extra `args`, reads its first 5 records, then loses the rights that
/// `revoke` names (`AclCommand --remove` arguments after the principal);
/// `after` runs next (more records, say). Returns the exit code, stderr and
/// the time from the revocation to the exit.
fn revoked_mid_follow(
    s: &Secure,
    (user, password): (&str, &str),
    args: &[&str],
    revoke: &[&str],
    after: impl FnOnce(),
) -> (Option<i32>, String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let sasl = s.kafka.listener_address("SASL_PLAINTEXT");
    seed(&s.kafka, &s.topic, events(0, 5, 2));
    let f = flags(
        Way::X,
        &scram(user, password),
        &sasl,
        &s.topic,
        "off",
        dir.path(),
    );
    let mut child = dualstream()
        .args(&f)
        .args(["replay", "--follow", "--timeout", "10s"])
        .args(args)
        .spawn();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    for _ in 0..5 {
        stdout
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{user} reads the topic first"));
    }
    let brokers = s.kafka.brokers();
    let principal = format!("User:{user}");
    let mut acl = vec![
        "--bootstrap-server",
        &brokers,
        "--remove",
        "--force",
        "--allow-principal",
        &principal,
    ];
    acl.extend_from_slice(revoke);
    s.kafka.tool("org.apache.kafka.tools.AclCommand", &acl);
    after();
    let revoked = Instant::now();
    let status = wait_exit(&mut child, Duration::from_secs(60));
    (status, stderr.join().unwrap(), revoked.elapsed())
}

/// An ACL revoked under a running `replay --follow`: carol may read the
/// topic, follows it, and loses every right on it; replay ends with exit 4
/// naming the refusal within seconds, instead of retrying forever.
#[test]
fn kafka_security_an_acl_revoked_mid_follow_ends_the_read_with_exit_4() {
    let s = &secure();
    let (status, stderr, elapsed) = revoked_mid_follow(
        s,
        ("carol", CAROL),
        &[],
        &[
            "--operation",
            "Describe",
            "--operation",
            "Read",
            "--topic",
            &s.topic,
        ],
        || {},
    );
    assert_eq!(status, Some(4), "{stderr}");
    assert!(
        stderr.contains("not authori") && stderr.contains(&s.topic),
        "{stderr}"
    );
    assert!(!stderr.contains(CAROL), "{stderr}");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

/// A group ACL revoked under a running `replay --group --follow`: alice
/// reads in `alice-group`, loses Read on the group (the topic stays hers),
/// and replay ends with exit 4 naming the group within seconds, instead of
/// retrying its commits and heartbeats until the session timeout.
#[test]
fn kafka_security_a_group_acl_revoked_mid_follow_ends_the_read_with_exit_4() {
    let s = &secure();
    let (status, stderr, elapsed) = revoked_mid_follow(
        s,
        ("alice", ALICE),
        &["--group", "alice-group"],
        &["--operation", "All", "--group", "alice-group"],
        // What she reads next must be committed, and cannot be.
        || seed(&s.kafka, &s.topic, events(5, 5, 2)),
    );
    assert_eq!(status, Some(4), "{stderr}");
    assert!(
        stderr.contains("not authori") && stderr.contains("alice-group"),
        "{stderr}"
    );
    assert!(!stderr.contains(ALICE), "{stderr}");
    assert!(
        elapsed < Duration::from_secs(25),
        "took {elapsed:?}\n{stderr}"
    );
}

/// `replay --group G --to-topic T` whose target refuses: a topic alice has
/// no ACL for (not even Describe), one she may describe and read but not
/// write (her producer id comes from her Write on the source), and one
/// that does not exist (as the super user, who may see that). Each ends
/// with exit 4 and a message naming the target and the cause, within
/// `--timeout`, prints no password, lands no copy, and commits nothing for
/// the group: a rerun in the same group reads every record.
#[test]
fn kafka_security_replay_to_a_refused_topic_commits_nothing() {
    let s = &secure();
    let dir = tempfile::tempdir().unwrap();
    let sasl = s.kafka.listener_address("SASL_PLAINTEXT");
    let readonly = s.topic.clone() + "-readonly";
    s.kafka.create_topic(&readonly, 1);
    allow(
        &s.kafka,
        "User:alice",
        &["Describe", "Read"],
        &["--topic", &readonly],
    );
    // alice's groups for this test: every name starting alice-copy.
    allow(
        &s.kafka,
        "User:alice",
        &["Read", "Describe"],
        &[
            "--resource-pattern-type",
            "prefixed",
            "--group",
            "alice-copy",
        ],
    );
    seed(&s.kafka, &s.topic, events(0, 20, 4));
    let alice = flags(
        Way::X,
        &scram("alice", ALICE),
        &sasl,
        &s.topic,
        "off",
        dir.path(),
    );
    let admin = flags(Way::X, &[], &s.kafka.brokers(), &s.topic, "off", dir.path());
    let cases = [
        (
            "no ACL on the target",
            &alice,
            s.other.as_str(),
            format!(
                "not authorised for topic {:?} (TOPIC_AUTHORIZATION_FAILED)",
                s.other
            ),
        ),
        (
            "the target may be read, not written",
            &alice,
            readonly.as_str(),
            format!(
                "not authorised for topic {readonly:?} (TOPIC_AUTHORIZATION_FAILED): the user needs an ACL allowing Describe and Write"
            ),
        ),
        (
            "the target does not exist",
            &admin,
            "nowhere-to-copy",
            "topic \"nowhere-to-copy\" does not exist".to_string(),
        ),
    ];
    for (i, (case, f, target, said)) in cases.iter().enumerate() {
        let group = format!("alice-copy-{i}");
        let r = run(
            f,
            &[
                "replay",
                "--group",
                &group,
                "--to-topic",
                target,
                "--timeout",
                "10s",
            ],
            String::new(),
        );
        assert_eq!(r.code(), 4, "{case}\n{}", r.describe());
        let text = shown(&r);
        assert!(
            text.contains(said.as_str()),
            "{case}: {said:?}\n{}",
            r.describe()
        );
        assert!(
            text.contains(*target),
            "{case}: the target is named\n{}",
            r.describe()
        );
        assert!(
            r.elapsed < Duration::from_secs(25),
            "{case}: within --timeout\n{}",
            r.describe()
        );
        // Nothing committed: the group reads every record again.
        let again = run(
            f,
            &["replay", "--group", &group, "--timeout", "20s"],
            String::new(),
        );
        assert_eq!(again.code(), 0, "{case}\n{}", again.describe());
        assert_eq!(
            again.stdout().lines().count(),
            20,
            "{case}: the refused run committed records\n{}",
            again.describe()
        );
    }
    assert!(s.kafka.records(&s.other).is_empty());
    assert!(s.kafka.records(&readonly).is_empty());
}

/// Topic rights revoked under `tail`, whose Kafka reads come and go with
/// the notifications: carol tails with `--fetch` (each notification's event
/// read from Kafka) and then with `--fill-gaps` (Kafka read when Redis
/// loses messages). Neither goes silent or hangs, and both go on live:
/// with `--fetch` each notification still arrives, with a warning naming
/// the refusal; a gap that cannot be filled is a warning naming the
/// refusal and saying that its messages were missed. No password shows at
/// -vv.
#[test]
fn kafka_security_a_topic_acl_revoked_under_tail_fetch_and_fill_gaps_is_reported() {
    let s = &secure();
    let mut redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let sasl = s.kafka.listener_address("SASL_PLAINTEXT");
    let carol = flags(
        Way::X,
        &scram("carol", CAROL),
        &sasl,
        &s.topic,
        &redis.url(),
        dir.path(),
    );
    let publish = |first: usize, redis: &Redis| {
        dualstream()
            .brokers(&s.kafka.brokers(), &redis.url(), &s.topic)
            .arg("publish")
            .stdin(events(first, 5, 2))
            .run()
            .expect_code(0);
    };
    let rights = ["--operation", "Describe", "--operation", "Read", "--topic"];
    let acl = |change: &str| {
        let brokers = s.kafka.brokers();
        let mut args = vec![
            "--bootstrap-server",
            &brokers,
            change,
            "--force",
            "--allow-principal",
            "User:carol",
        ];
        args.extend_from_slice(&rights);
        args.push(&s.topic);
        s.kafka.tool("org.apache.kafka.tools.AclCommand", &args);
        // The controller has the change; wait until the broker's own
        // authorizer (what Fetch is checked against) lists it too.
        let want = change == "--add";
        let list = [
            "--bootstrap-server",
            &brokers,
            "--list",
            "--principal",
            "User:carol",
            "--topic",
            &s.topic,
        ];
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let listed = s.kafka.tool("org.apache.kafka.tools.AclCommand", &list);
            if listed.contains("operation=READ") == want {
                break;
            }
            assert!(
                Instant::now() < until,
                "the ACL change never showed:\n{listed}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };

    // --fetch: the rights go after five events; five more still arrive.
    let mut tail = dualstream()
        .arg("-vv")
        .args(&carol)
        .args([
            "tail",
            "events:repo:*",
            "--fetch",
            "--count",
            "10",
            "--timeout",
            "60s",
        ])
        .spawn();
    let stdout = lines(tail.stdout.take().unwrap());
    let stderr = lines(tail.stderr.take().unwrap());
    std::thread::sleep(Duration::from_millis(1500));
    publish(0, &redis);
    for _ in 0..5 {
        let line = next_line(&stdout, &mut tail, &stderr, "carol tails the first events");
        assert!(line.contains("\"n\""), "the full event: {line}");
    }
    acl("--remove");
    let revoked = Instant::now();
    publish(5, &redis);
    for _ in 0..5 {
        next_line(
            &stdout,
            &mut tail,
            &stderr,
            "notifications go on after the revocation",
        );
    }
    let status = wait_exit(&mut tail, Duration::from_secs(60));
    let said = drain(&stderr);
    let said = said.join("\n");
    assert_eq!(status, Some(0), "{said}");
    assert!(revoked.elapsed() < Duration::from_secs(30), "{said}");
    assert!(
        said.contains("--fetch") && said.contains("not authori") && said.contains(&s.topic),
        "{said}"
    );
    assert!(!said.contains(CAROL), "{said}");

    // --fill-gaps: rights back, a first event tailed, rights gone, then a
    // gap (Redis restarted while events are published).
    acl("--add");
    let mut tail = dualstream()
        .arg("-vv")
        .args(&carol)
        .args([
            "tail",
            "events:repo:*",
            "--fill-gaps",
            "--count",
            "10",
            "--timeout",
            "60s",
        ])
        .spawn();
    let stdout = lines(tail.stdout.take().unwrap());
    let stderr = lines(tail.stderr.take().unwrap());
    std::thread::sleep(Duration::from_millis(1500));
    publish(10, &redis);
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(next_line(
            &stdout,
            &mut tail,
            &stderr,
            "carol tails with --fill-gaps",
        ));
    }
    acl("--remove");
    redis.stop();
    dualstream()
        .brokers(&s.kafka.brokers(), "off", &s.topic)
        .arg("publish")
        .stdin(events(15, 5, 2))
        .run()
        .expect_code(0);
    redis.restart();
    let revoked = Instant::now();
    publish(20, &redis);
    for _ in 0..5 {
        got.push(next_line(
            &stdout,
            &mut tail,
            &stderr,
            "live events after the unfilled gap",
        ));
    }
    let status = wait_exit(&mut tail, Duration::from_secs(60));
    let said = drain(&stderr);
    let said = said.join("\n");
    assert_eq!(status, Some(0), "{said}");
    assert!(revoked.elapsed() < Duration::from_secs(40), "{said}");
    let ids: Vec<String> = got
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["payload"]["id"].to_string())
        .collect();
    let want: Vec<String> = (10..15)
        .chain(20..25)
        .map(|i| format!("\"e{i}\""))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(sorted, want_sorted, "{said}");
    assert!(
        said.contains("could not fill the gap")
            && said.contains("not authori")
            && said.contains(&s.topic)
            && said.contains("missed"),
        "{said}"
    );
    assert!(!said.contains(CAROL), "{said}");
}

/// The next line on a running command's stdout, or a failure that shows
/// what it said on stderr.
fn next_line(
    stdout: &std::sync::mpsc::Receiver<String>,
    child: &mut std::process::Child,
    stderr: &std::sync::mpsc::Receiver<String>,
    what: &str,
) -> String {
    match stdout.recv_timeout(Duration::from_secs(30)) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            let said = drain(stderr);
            panic!("{what}: no line within 30 s; stderr:\n{}", said.join("\n"));
        }
    }
}

/// Write revoked under a running `publish` fed slowly on stdin: alice
/// publishes, loses every right on the topic, and publish ends with exit 4
/// naming the refusal and the line to resume from, within seconds; every
/// line before that line is in Kafka.
#[test]
fn kafka_security_an_acl_revoked_mid_publish_exits_4_with_the_resume_line() {
    let s = &secure();
    let dir = tempfile::tempdir().unwrap();
    let sasl = s.kafka.listener_address("SASL_PLAINTEXT");
    let alice = flags(
        Way::X,
        &scram("alice", ALICE),
        &sasl,
        &s.topic,
        "off",
        dir.path(),
    );
    let mut child = dualstream()
        .arg("-vv")
        .args(&alice)
        .args(["publish", "--timeout", "10s", "--summary", "json"])
        .spawn();
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        // About 30 s of input unless publish stops reading first.
        for i in 0..3_000 {
            if stdin.write_all(events(i, 1, 4).as_bytes()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.kafka.records(&s.topic).len() < 50 {
        assert!(
            Instant::now() < deadline,
            "alice's first events never landed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let brokers = s.kafka.brokers();
    s.kafka.tool(
        "org.apache.kafka.tools.AclCommand",
        &[
            "--bootstrap-server",
            &brokers,
            "--remove",
            "--force",
            "--allow-principal",
            "User:alice",
            "--operation",
            "All",
            "--topic",
            &s.topic,
        ],
    );
    let revoked = Instant::now();
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let elapsed = revoked.elapsed();
    let said = stderr.join().unwrap();
    drop(writer);
    assert_eq!(status, Some(4), "{said}");
    assert!(
        elapsed < Duration::from_secs(25),
        "took {elapsed:?}\n{said}"
    );
    assert!(
        said.contains("not authori") && said.contains(&s.topic),
        "{said}"
    );
    assert!(!said.contains(ALICE), "{said}");
    let resume: usize = said
        .split("resume from <stdin>:")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no resume line\n{said}"));
    let landed: std::collections::HashSet<String> = s
        .kafka
        .records(&s.topic)
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap_or_default().to_string())
        .collect();
    for line in 1..resume {
        assert!(
            landed.contains(&format!("e{}", line - 1)),
            "line {line}, before the resume line {resume}, is not in Kafka\n{said}"
        );
    }
}

/// `--exactly-once` as a user without an ACL on the transactional id, then
/// with one but without the group: exit 4, each naming what is missing,
/// and nothing of the copy visible to a read-committed reader.
#[test]
fn kafka_security_exactly_once_without_the_transactional_id_or_group_acl_exits_4_naming_it() {
    let s = &secure();
    let dir = tempfile::tempdir().unwrap();
    let sasl = s.kafka.listener_address("SASL_PLAINTEXT");
    let target = s.topic.clone() + "-eos";
    s.kafka.create_topic(&target, 2);
    allow(&s.kafka, "User:alice", &["All"], &["--topic", &target]);
    seed(&s.kafka, &s.topic, events(0, 20, 4));
    let alice = flags(
        Way::X,
        &scram("alice", ALICE),
        &sasl,
        &s.topic,
        "off",
        dir.path(),
    );
    let copy = |group: &str, id: &str| {
        let mut args = vec!["replay", "--group", group, "--to-topic", &target];
        args.extend([
            "--exactly-once",
            "--transactional-id",
            id,
            "--timeout",
            "10s",
        ]);
        run(&alice, &args, String::new())
    };
    let refused = copy("alice-group", "alice-txn");
    assert_eq!(refused.code(), 4, "{}", refused.describe());
    assert!(
        shown(&refused).contains(
            "not authorised for transactional id \"alice-txn\" (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)"
        ),
        "{}",
        refused.describe()
    );
    allow(
        &s.kafka,
        "User:alice",
        &["Write", "Describe"],
        &["--transactional-id", "alice-txn"],
    );
    let refused = copy("not-alices-group", "alice-txn");
    assert_eq!(refused.code(), 4, "{}", refused.describe());
    assert!(
        shown(&refused).contains("not authorised for consumer group \"not-alices-group\""),
        "{}",
        refused.describe()
    );
    assert!(s
        .kafka
        .java_records_until(&target, 1, Duration::from_secs(3))
        .is_empty());
    let done = copy("alice-group", "alice-txn");
    assert_eq!(done.code(), 0, "{}", done.describe());
    assert_eq!(
        s.kafka
            .java_records_until(&target, 21, Duration::from_secs(3))
            .len(),
        20
    );
}
