//! Secrets and access control. Every command is run failing, at -vv, with a
//! marker secret in each place a secret can be given (SASL and SSL
//! properties through -X and -F, a mistyped secret property, Redis ACL
//! users), and everything it prints is searched for the marker. Redis ACL
//! refusals (NOPERM, WRONGPASS) are clear messages with exit 5 where Redis
//! is required.

use std::time::Duration;

use crate::common::*;

/// Run `args` (with the global flags in front) and return everything the
/// command printed, checking it for `secret` and for panics.
fn run_checked(
    global: &[String],
    broker_args: (&str, &str, &str),
    args: &[&str],
    secret: &str,
) -> Run {
    let (kafka, redis, topic) = broker_args;
    let run = dualstream()
        .arg("-vv")
        .args(global)
        .brokers(kafka, redis, topic)
        .args(args)
        .stdin(events(0, 3, 1))
        .run();
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        !all.contains(secret),
        "{args:?} with {global:?}: the secret was printed\n{}",
        run.describe()
    );
    assert!(!all.contains("panicked"), "{}", run.describe());
    run
}

/// SASL and SSL secrets given with -X or in a -F file, and a secret whose
/// property name is mistyped (so librdkafka does not know it is one), never
/// appear in any output of any command at -vv; each run fails with the code
/// of its cause.
#[test]
fn kafka_secrets_never_appear_in_any_output() {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let topic = topic("secrets");
    kafka.create_topic(&topic, 1);
    let secret = "Mk7-kafka-SECRET-marker";
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let sasl_file = file(
        "sasl.properties",
        format!("security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\nsasl.username=app\nsasl.password={secret}\n"),
    );
    let typo_file = file("typo.properties", format!("sasl.pasword={secret}\n"));
    let x = |pairs: &[&str]| -> Vec<String> {
        pairs
            .iter()
            .flat_map(|p| ["-X".to_string(), p.replace("MARKER", secret)])
            .collect()
    };
    // (global flags, exit code every command must end with)
    let cases: Vec<(Vec<String>, i32)> = vec![
        (
            x(&[
                "security.protocol=SASL_PLAINTEXT",
                "sasl.mechanisms=PLAIN",
                "sasl.username=app",
                "sasl.password=MARKER",
            ]),
            4,
        ),
        (vec!["-F".to_string(), sasl_file], 4),
        (x(&["security.protocol=SSL", "ssl.key.password=MARKER"]), 4),
        (x(&["sasl.pasword=MARKER"]), 2),
        (x(&["sasl.passwd=MARKER"]), 2),
        (vec!["-F".to_string(), typo_file], 2),
    ];
    let commands: [&[&str]; 5] = [
        &["publish", "--timeout", "3s"],
        &["replay", "--timeout", "3s"],
        &["health", "--timeout", "3s"],
        &["tail", "events:*", "--catch-up", "1h", "--timeout", "3s"],
        &["replay", "--to-topic", "copy", "--timeout", "3s"],
    ];
    let (kafka, url) = (kafka.brokers(), redis.url());
    std::thread::scope(|scope| {
        for (global, code) in &cases {
            let handles: Vec<_> = commands
                .iter()
                .map(|args| {
                    let (kafka, url, topic) = (&kafka, &url, &topic);
                    scope.spawn(move || {
                        let run = run_checked(global, (kafka, url, topic), args, secret);
                        // A refused configuration is a usage error on every
                        // command, health too. tail's catch-up against a
                        // listener that never answers the TLS handshake may
                        // be cut by tail's own --timeout (124, as any
                        // catch-up Kafka never served); it names the cause.
                        let catch_up_cut = *code == 4
                            && args[0] == "tail"
                            && run.code() == 124
                            && run.stderr().contains("Kafka never answered");
                        assert!(run.code() == *code || catch_up_cut, "{}", run.describe());
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
        }
    });
}

/// A Redis ACL user without the permission a command needs gets NOPERM: a
/// clear message, exit 5 where Redis is required (tail, health, replay
/// --to-redis), a warning where it is best effort (publish). A wrong
/// password for the user is WRONGPASS, likewise. No password is printed.
#[test]
fn redis_acl_refusals_are_clear_and_exit_5_where_redis_is_required() {
    let kafka = Kafka::shared();
    let topic = topic("acl");
    kafka.create_topic(&topic, 1);
    seed(kafka, &topic, events(0, 3, 1));
    let password = "Acl-Pa55-marker";
    let rule = format!(">{password}");
    let redis = Redis::start_with(&[
        "--user",
        "limited",
        "on",
        &rule,
        "~*",
        "&*",
        "+@all",
        "-subscribe",
        "-psubscribe",
        "-publish",
        "-info",
    ]);
    let kafka = kafka.brokers();
    let limited = format!("redis://limited:{password}@127.0.0.1:{}", redis.port);
    let required: [&[&str]; 3] = [
        &["tail", "events:*", "--timeout", "3s"],
        &["health", "--timeout", "3s"],
        &["replay", "--to-redis", "--timeout", "3s"],
    ];
    for args in required {
        let run = run_checked(&[], (&kafka, &limited, &topic), args, password);
        assert_eq!(run.code(), 5, "{}", run.describe());
        let all = format!("{}{}", run.stdout(), run.stderr()).to_lowercase();
        assert!(
            all.contains("noperm") && all.contains("no permissions to run"),
            "the refusal is named\n{}",
            run.describe()
        );
    }
    let run = run_checked(&[], (&kafka, &limited, &topic), &["publish"], password);
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(
        run.stderr().to_lowercase().contains("noperm"),
        "{}",
        run.describe()
    );

    let wrong = "Wr0ng-marker-pass";
    let url = format!("redis://limited:{wrong}@127.0.0.1:{}", redis.port);
    for args in required {
        let run = run_checked(&[], (&kafka, &url, &topic), args, wrong);
        assert_eq!(run.code(), 5, "{}", run.describe());
        let all = format!("{}{}", run.stdout(), run.stderr());
        assert!(all.contains(WRONG_PASSWORD), "{}", run.describe());
    }
    // One wording in every command, publish's warning too.
    let run = run_checked(&[], (&kafka, &url, &topic), &["publish"], wrong);
    assert_eq!(run.code(), 0, "{}", run.describe());
    assert!(run.stderr().contains(WRONG_PASSWORD), "{}", run.describe());
    assert!(
        !run.stderr().contains("AuthenticationFailed"),
        "{}",
        run.describe()
    );
}

/// What every command says of a wrong Redis password.
const WRONG_PASSWORD: &str =
    "authentication failed: wrong user or password (check the ones in the Redis URL)";

/// `rediss://`: Redis over TLS (redis-server's --tls-port, a self-signed
/// certificate made here by openssl and trusted through SSL_CERT_FILE).
/// publish notifies and tail receives through it; a certificate the client
/// does not trust is a clear error, exit 5 for tail, and no password shows.
#[test]
fn rediss_urls_notify_and_tail_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let tls_port = free_port().to_string();
    let (cert_s, key_s) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let _redis = Redis::start_with(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        cert_s,
        "--tls-key-file",
        key_s,
        "--tls-ca-cert-file",
        cert_s,
        "--tls-auth-clients",
        "no",
        "--requirepass",
        "Tls-Pa55-marker",
    ]);
    let url = format!("rediss://:Tls-Pa55-marker@127.0.0.1:{tls_port}");
    let kafka = Kafka::shared();
    let topic = topic("rediss");
    kafka.create_topic(&topic, 1);

    let mut tail = dualstream()
        .env("SSL_CERT_FILE", cert_s)
        .args([
            "--redis",
            &url,
            "tail",
            "events:*",
            "--count",
            "3",
            "--timeout",
            "30s",
        ])
        .spawn();
    let stderr = lines(tail.stderr.take().unwrap());
    let stdout = collect(tail.stdout.take().unwrap());
    loop {
        let line = stderr
            .recv_timeout(Duration::from_secs(30))
            .expect("tail never subscribed over TLS");
        if line.contains("subscribed") {
            break;
        }
    }
    let run = dualstream()
        .env("SSL_CERT_FILE", cert_s)
        .brokers(&kafka.brokers(), &url, &topic)
        .args(["publish", "--summary", "json"])
        .stdin(events(0, 3, 1))
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["notified"], 3, "{}", run.describe());
    assert_eq!(wait_exit(&mut tail, Duration::from_secs(30)), Some(0));
    assert_eq!(stdout.join().unwrap().lines().count(), 3);

    // Without the certificate trusted: a clear error, exit 5.
    let run = dualstream()
        .arg("-vv")
        .args(["--redis", &url, "tail", "events:*", "--timeout", "5s"])
        .run()
        .expect_code(5);
    let all = format!("{}{}", run.stdout(), run.stderr());
    assert!(all.contains("certificate"), "{}", run.describe());
    assert!(!all.contains("Tls-Pa55-marker"), "{}", run.describe());
}
