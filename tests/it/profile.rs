//! Named profiles: the precedence flag > environment > profile > built-in
//! default, each row shown by a real run against Tansu and Redis; `profile
//! list` and `profile show` masking secrets; every config-file error naming
//! the file, the line and the key.

use std::path::PathBuf;
use std::time::Duration;

use crate::common::*;

/// A config directory for XDG_CONFIG_HOME, holding `dualstream/config.toml`.
struct Config {
    dir: tempfile::TempDir,
}

impl Config {
    fn new(text: &str) -> Config {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("dualstream")).unwrap();
        let config = Config { dir };
        std::fs::write(config.file(), text).unwrap();
        config
    }

    /// An XDG_CONFIG_HOME without a dualstream config file.
    fn empty() -> Config {
        Config {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("dualstream").join("config.toml")
    }

    /// `dualstream` with this config directory (and nothing else) in its environment.
    fn dualstream(&self) -> Dualstream {
        dualstream().env("XDG_CONFIG_HOME", self.dir.path().to_str().unwrap())
    }
}

/// The dry-run line of one event: topic, channel.
fn dry_run(cmd: Dualstream) -> (String, String) {
    let run = cmd
        .args(["publish", "--dry-run"])
        .stdin(events(0, 1, 1))
        .run()
        .expect_code(0);
    let line: serde_json::Value = serde_json::from_str(run.stdout().trim()).unwrap();
    (
        line["topic"].as_str().unwrap().to_string(),
        line["channel"].as_str().unwrap().to_string(),
    )
}

#[test]
fn precedence_flag_then_environment_then_profile_then_default() {
    let kafka = Kafka::shared();
    let redis = Redis::start();
    let (from_profile, from_env, from_flag) = (topic("prof-p"), topic("prof-e"), topic("prof-f"));
    for t in [&from_profile, &from_env, &from_flag] {
        kafka.create_topic(t, 1);
    }
    let dead_kafka = format!("127.0.0.1:{}", closed_port());
    let dead_redis = format!("redis://127.0.0.1:{}", closed_port());
    let config = Config::new(&format!(
        r#"
default = "dev"

[profiles.dev]
brokers = "{brokers}"
redis = "{redis}"
topic = "{from_profile}"
channel = "prof:{{source_id}}"

[profiles.broken]
brokers = "{dead_kafka}"
redis = "{dead_redis}"
topic = "never-used"
"#,
        brokers = kafka.brokers(),
        redis = redis.url(),
    ));

    // Built-in default: no config file, no environment.
    assert_eq!(
        dry_run(Config::empty().dualstream()),
        ("events".to_string(), "events:repo:r0".to_string())
    );

    // Profile over default: the default profile's brokers, Redis, topic and
    // channel are used — records in its topic, notifications on its channels.
    let sub = redis.subscribe("*");
    let run = config
        .dualstream()
        .args(["publish", "--summary", "json"])
        .stdin(events(0, 3, 1))
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["notified"], 3, "{}", run.describe());
    assert_eq!(kafka.records(&from_profile).len(), 3);
    let seen = sub.wait_for(3, Duration::from_secs(10));
    let channels: Vec<&str> = seen.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(channels, ["prof:r0"; 3]);

    // Environment over profile: the profile `broken` (picked by
    // DUALSTREAM_PROFILE) points at nothing; the environment's brokers,
    // Redis and topic are used instead.
    let run = config
        .dualstream()
        .env("DUALSTREAM_PROFILE", "broken")
        .env("DUALSTREAM_BROKERS", &kafka.brokers())
        .env("DUALSTREAM_REDIS", &redis.url())
        .env("DUALSTREAM_TOPIC", &from_env)
        .args(["publish", "--summary", "json", "--timeout", "5s"])
        .stdin(events(10, 2, 1))
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["notified"], 2, "{}", run.describe());
    assert_eq!(kafka.records(&from_env).len(), 2);

    // Flag over environment (and profile): the environment points at
    // nothing, the flags at the real servers; the flag's channel template
    // beats the profile's.
    let sub = redis.subscribe("flag:*");
    let run = config
        .dualstream()
        .env("DUALSTREAM_BROKERS", &dead_kafka)
        .env("DUALSTREAM_REDIS", &dead_redis)
        .env("DUALSTREAM_TOPIC", &from_env)
        .args(["--brokers", &kafka.brokers(), "--redis", &redis.url()])
        .args(["--topic", &from_flag])
        .args(["publish", "--summary", "json", "--timeout", "5s"])
        .args(["--channel", "flag:{source_id}"])
        .stdin(events(20, 4, 2))
        .run()
        .expect_code(0);
    assert_eq!(run.summary()["notified"], 4, "{}", run.describe());
    assert_eq!(kafka.records(&from_flag).len(), 4);
    assert_eq!(
        kafka.records(&from_env).len(),
        2,
        "nothing more from the env"
    );
    assert_eq!(sub.wait_for(4, Duration::from_secs(10)).len(), 4);

    // --profile over DUALSTREAM_PROFILE over the file's default.
    let broken = || config.dualstream().env("DUALSTREAM_PROFILE", "broken");
    assert_eq!(dry_run(broken()).0, "never-used");
    assert_eq!(
        dry_run(broken().args(["--profile", "dev"])),
        (from_profile.clone(), "prof:r0".to_string())
    );
    // --config (or DUALSTREAM_CONFIG) names another file.
    let other = Config::new("default = \"o\"\n[profiles.o]\ntopic = \"other-file\"\n");
    let file = other.file();
    assert_eq!(
        dry_run(
            config
                .dualstream()
                .args(["--config", file.to_str().unwrap()])
        )
        .0,
        "other-file"
    );
    assert_eq!(
        dry_run(
            config
                .dualstream()
                .env("DUALSTREAM_CONFIG", file.to_str().unwrap())
        )
        .0,
        "other-file"
    );
}

#[test]
fn profile_kafka_properties_come_before_minus_f_and_minus_x() {
    let env = Env::new("prof-kafka").partitions(1);
    let config = Config::new(&format!(
        r#"
default = "dev"

[profiles.dev]
brokers = "{}"
redis = "off"
topic = "{}"
properties-file = "client.properties"

[profiles.dev.kafka]
enable.idempotence = false
"#,
        env.brokers(),
        env.topic
    ));
    // Relative to the config file's directory.
    std::fs::write(
        config.dir.path().join("dualstream/client.properties"),
        "linger.ms=7\n",
    )
    .unwrap();
    let publish = |extra: &[&str]| {
        config
            .dualstream()
            .args(extra)
            .args(["-v", "publish", "--summary", "json"])
            .stdin(events(0, 2, 1))
            .run()
            .expect_code(0)
    };

    // The profile's table lowers durability (said in the summary); its
    // properties file sets linger.ms (seen in the -v client config).
    let run = publish(&[]);
    assert_eq!(
        run.summary()["lowered_durability"],
        serde_json::json!(["enable.idempotence=false"])
    );
    assert!(run.stderr().contains(" linger.ms=7"), "{}", run.describe());

    // -X on the command line wins over the profile.
    let run = publish(&["-X", "enable.idempotence=true", "-X", "linger.ms=3"]);
    assert_eq!(run.summary()["lowered_durability"], serde_json::json!([]));
    assert!(run.stderr().contains(" linger.ms=3"), "{}", run.describe());

    // So does -F.
    let file = config.dir.path().join("override.properties");
    std::fs::write(&file, "enable.idempotence=true\n").unwrap();
    let run = publish(&["-F", file.to_str().unwrap()]);
    assert_eq!(run.summary()["lowered_durability"], serde_json::json!([]));
    assert_eq!(env.records().len(), 6);
}

#[test]
fn without_a_config_file_nothing_changes_unless_a_profile_is_named() {
    // No config file: everything as before.
    let empty = Config::empty();
    assert_eq!(dry_run(empty.dualstream()).0, "events");
    // Neither XDG_CONFIG_HOME nor HOME set: the same.
    assert_eq!(dry_run(dualstream()).0, "events");

    // A named profile needs the file: exit 2, naming where it was looked for.
    let looked = empty.dir.path().join("dualstream/config.toml");
    empty
        .dualstream()
        .args(["--profile", "prod", "publish", "--dry-run"])
        .run()
        .expect_stderr(
            2,
            &format!("profile \"prod\": no config file at {}", looked.display()),
        );
    empty
        .dualstream()
        .env("DUALSTREAM_PROFILE", "prod")
        .args(["health"])
        .run()
        .expect_stderr(2, &looked.display().to_string());
    dualstream()
        .args(["--profile", "prod", "health"])
        .run()
        .expect_stderr(
            2,
            "set --config, DUALSTREAM_CONFIG, XDG_CONFIG_HOME or HOME",
        );
    // HOME is the fallback.
    dualstream()
        .env("HOME", "/nonexistent-home")
        .args(["--profile", "prod", "health"])
        .run()
        .expect_stderr(2, "/nonexistent-home/.config/dualstream/config.toml");
    // --config names a file that must exist.
    dualstream()
        .args(["--config", "/nonexistent/ds.toml", "health"])
        .run()
        .expect_stderr(2, "config file /nonexistent/ds.toml: ");

    // `profile list` without a file lists nothing and says where it looked.
    let run = empty
        .dualstream()
        .args(["profile", "list", "--format", "json"])
        .run()
        .expect_code(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(doc["profiles"], serde_json::json!([]));
    assert!(
        run.stderr().contains("no config file at"),
        "{}",
        run.describe()
    );
}

#[test]
fn config_file_errors_name_the_file_the_line_and_the_key() {
    let refused = |text: &str, args: &[&str], expected: &str| {
        let config = Config::new(text);
        let run = config.dualstream().args(args).run().expect_code(2);
        let want = format!("{}:{expected}", config.file().display());
        assert!(
            run.stderr().contains(&want),
            "want {want:?}\n{}",
            run.describe()
        );
        // One line, and nothing connected: exit 2 before any broker.
        assert_eq!(run.stderr().lines().count(), 1, "{}", run.describe());
    };
    let publish = ["publish", "--dry-run"];
    // Malformed TOML.
    refused(
        "[profiles.a]\nbrokers = \"b:1\"\ntopic = \"unterminated\n",
        &publish,
        "3: ",
    );
    refused("[profiles.a\n", &publish, "1: ");
    // An unknown key, in a profile and at the top.
    refused(
        "default = \"a\"\n\n[profiles.a]\nbrokers = \"b:1\"\nbrokerz = \"b:2\"\n",
        &publish,
        "5: unknown field `brokerz`",
    );
    refused(
        "defaults = \"a\"\n",
        &publish,
        "1: unknown field `defaults`",
    );
    // A value of the wrong type or not valid.
    refused(
        "[profiles.a]\ntopic = 7\n",
        &publish,
        "2: topic: invalid type",
    );
    refused(
        "[profiles.a]\n\nredis = \"http://x\"\n",
        &publish,
        "3: redis: ",
    );
    refused(
        "[profiles.a]\nchannel = \"ev:{nope}\"\n",
        &publish,
        "2: channel: ",
    );
    // A default that names no profile.
    refused(
        "# comment\n\ndefault = \"b\"\n[profiles.a]\ntopic = \"t\"\n",
        &publish,
        "3: default = \"b\": no such profile (profiles: a)",
    );
    // A profile that is not there (by flag, by environment, by show).
    refused(
        "[profiles.a]\ntopic = \"t\"\n",
        &["--profile", "nope", "publish", "--dry-run"],
        " no profile \"nope\" (profiles: a)",
    );
    refused(
        "[profiles.a]\ntopic = \"t\"\n",
        &["profile", "show", "nope"],
        " no profile \"nope\" (profiles: a)",
    );
    // The profile's properties file is missing.
    refused(
        "default = \"a\"\n[profiles.a]\n\nproperties-file = \"gone.properties\"\n",
        &publish,
        "4: properties-file ",
    );
    // Through the environment too.
    let config = Config::new("[profiles.a]\ntopic = \"t\"\n");
    config
        .dualstream()
        .env("DUALSTREAM_PROFILE", "nope")
        .args(publish)
        .run()
        .expect_stderr(2, "no profile \"nope\"");
}

#[test]
fn list_and_show_never_print_a_secret() {
    const MARKER: &str = "Zq9-marker-secret";
    let config = Config::new(&format!(
        r#"
default = "staging"

[profiles.local]
brokers = "127.0.0.1:9092"

[profiles.staging]
brokers = "k1.staging:9093,k2.staging:9093"
redis = "redis://app:{MARKER}@redis.staging:6380/2"
topic = "events"
channel = "ev:{{source_id}}"

[profiles.staging.kafka]
security.protocol = "sasl_ssl"
sasl.mechanism = "PLAIN"
sasl.username = "app"
sasl.password = "{MARKER}"
"ssl.key.password" = "{MARKER}"
"#
    ));
    let mut outputs = Vec::new();
    for args in [
        &["profile", "list"][..],
        &["profile", "list", "--format", "json"],
        &["profile", "show"],
        &["profile", "show", "staging", "--format", "json"],
        &["--profile", "local", "profile", "show", "staging"],
    ] {
        let run = config.dualstream().args(args).run().expect_code(0);
        assert!(
            !run.stdout().contains(MARKER) && !run.stderr().contains(MARKER),
            "{}",
            run.describe()
        );
        outputs.push(run.stdout());
    }
    // What is shown: the default marked, the URL without its password,
    // secret properties masked, the others as written.
    assert!(outputs[0].contains("staging (default)"), "{}", outputs[0]);
    assert!(
        outputs[0].contains("redis://redis.staging:6380/2"),
        "{}",
        outputs[0]
    );
    let list: serde_json::Value = serde_json::from_str(&outputs[1]).unwrap();
    assert_eq!(list["default"], "staging");
    assert_eq!(list["profiles"][0]["name"], "local");
    assert_eq!(list["profiles"][1]["redis"], "redis://redis.staging:6380/2");
    assert!(outputs[2].contains("kafka.sasl.password"), "{}", outputs[2]);
    assert!(outputs[2].contains("<redacted>"), "{}", outputs[2]);
    let show: serde_json::Value = serde_json::from_str(&outputs[3]).unwrap();
    assert_eq!(show["name"], "staging");
    assert_eq!(show["default"], true);
    assert_eq!(show["kafka"]["sasl.password"], "<redacted>");
    assert_eq!(show["kafka"]["ssl.key.password"], "<redacted>");
    assert_eq!(show["kafka"]["sasl.username"], "app");
    assert_eq!(show["channel"], "ev:{source_id}");
    assert_eq!(show["file"], config.file().to_str().unwrap());

    // A run with the profile and -v logs its client config: masked too.
    let run = config
        .dualstream()
        .args(["--brokers", &format!("127.0.0.1:{}", closed_port())])
        .args(["-v", "health", "--timeout", "2s"])
        .run();
    assert!(
        !run.stdout().contains(MARKER) && !run.stderr().contains(MARKER),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr().contains("sasl.password=<redacted>"),
        "{}",
        run.describe()
    );
}
