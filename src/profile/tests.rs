use super::*;
use crate::error::code_of;

fn parse(text: &str) -> Result<ConfigFile> {
    ConfigFile::parse(Path::new("/etc/ds/config.toml"), text)
}

/// The usage error `text` gives, as printed.
fn refused(text: &str) -> String {
    let e = parse(text).expect_err("accepted");
    assert_eq!(code_of(&e), Code::Usage, "{e:#}");
    format!("{e:#}")
}

const FILE: &str = r#"
default = "local"

[profiles.local]
brokers = "127.0.0.1:9092"
topic = "dev-events"

[profiles.staging]
brokers = "k1:9093,k2:9093"
redis = "redis://:hunter2@redis.staging:6380/0"
channel = "ev:{source_id}"
properties-file = "staging.properties"

[profiles.staging.kafka]
"security.protocol" = "sasl_ssl"
sasl.mechanism = "SCRAM-SHA-512"
sasl.password = "hunter2"
"linger.ms" = 5
"enable.idempotence" = true
"#;

#[test]
fn a_file_with_profiles() {
    let f = parse(FILE).unwrap();
    assert_eq!(f.default.as_deref(), Some("local"));
    let names: Vec<&str> = f.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["local", "staging"]);
    let local = &f.profiles[0];
    assert_eq!(local.brokers.as_deref(), Some("127.0.0.1:9092"));
    assert_eq!(local.topic.as_deref(), Some("dev-events"));
    assert_eq!((&local.redis, &local.channel), (&None, &None));
    assert!(local.kafka.is_empty() && local.properties_file.is_none());
    let staging = &f.profiles[1];
    assert_eq!(
        staging.properties_file,
        Some(PathBuf::from("/etc/ds/staging.properties"))
    );
    assert_eq!(staging.channel.as_deref(), Some("ev:{source_id}"));
    let kafka: Vec<(&str, &str)> = staging
        .kafka
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        kafka,
        [
            ("enable.idempotence", "true"),
            ("linger.ms", "5"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.password", "hunter2"),
            ("security.protocol", "sasl_ssl"),
        ]
    );
    assert_eq!(f.select(None).unwrap().unwrap().name, "local");
    assert_eq!(f.select(Some("staging")).unwrap().unwrap().name, "staging");
    let e = format!("{:#}", f.select(Some("prod")).unwrap_err());
    assert_eq!(
        e,
        "/etc/ds/config.toml: no profile \"prod\" (profiles: local, staging)"
    );
    // An absolute properties file stays as it is.
    let f = parse("[profiles.a]\nproperties-file = \"/x/c.properties\"\n").unwrap();
    assert_eq!(
        f.profiles[0].properties_file,
        Some(PathBuf::from("/x/c.properties"))
    );
}

#[test]
fn empty_and_default_less_files() {
    let f = parse("").unwrap();
    assert!(f.profiles.is_empty() && f.default.is_none());
    assert_eq!(f.select(None).unwrap(), None);
    let f = parse("[profiles.a]\ntopic = \"t\"\n").unwrap();
    assert_eq!(f.select(None).unwrap(), None);
    assert!(
        format!("{:#}", parse("").unwrap().select(Some("a")).unwrap_err())
            .contains("the file has no [profiles.NAME] table")
    );
}

#[test]
fn errors_name_the_file_the_line_and_the_key() {
    assert_eq!(
        refused("default = \"x\"\n[profiles.a]\n"),
        "/etc/ds/config.toml:1: default = \"x\": no such profile (profiles: a)"
    );
    let e = refused("[profiles.a]\nbrokers = \"b:1\"\nbrokerz = \"b:2\"\n");
    assert!(
        e.starts_with("/etc/ds/config.toml:3: unknown field `brokerz`, expected one of"),
        "{e}"
    );
    let e = refused("defualt = \"a\"\n");
    assert!(
        e.starts_with("/etc/ds/config.toml:1: unknown field `defualt`"),
        "{e}"
    );
    let e = refused("[profiles.a]\n\ntopic = 5\n");
    assert!(
        e.starts_with("/etc/ds/config.toml:3: topic: invalid type: integer `5`"),
        "{e}"
    );
    let e = refused("[profiles.a]\ntopic = \"unterminated\n");
    assert!(e.starts_with("/etc/ds/config.toml:2: "), "{e}");
    let e = refused("[profiles.a]\n\n\ntopic = \"\"\n");
    assert_eq!(
        e,
        "/etc/ds/config.toml:4: topic: must not be empty (profile \"a\")"
    );
    let e = refused("[profiles.a]\nredis = \"http://x\"\n");
    assert!(e.starts_with("/etc/ds/config.toml:2: redis: "), "{e}");
    let e = refused("[profiles.a]\nchannel = \"x:{nope}\"\n");
    assert!(e.starts_with("/etc/ds/config.toml:2: channel: "), "{e}");
    assert!(e.contains("unknown placeholder"), "{e}");
    let e = refused("[profiles.a.kafka]\n\"bootstrap.x\" = [1, 2]\n");
    assert_eq!(
            e,
            "/etc/ds/config.toml:2: kafka.bootstrap.x: expected a string, a number or a boolean (profile \"a\")"
        );
    let e = refused("[profiles.a]\nkafka = 3\n");
    assert!(e.starts_with("/etc/ds/config.toml:2: kafka: "), "{e}");
}

#[test]
fn errors_never_quote_a_string_value() {
    let e = refused("[profiles]\na = \"hunter2\"\n");
    assert!(!e.contains("hunter2"), "{e}");
    assert!(
        e.starts_with("/etc/ds/config.toml:2: a: invalid type: string,"),
        "{e}"
    );
    assert_eq!(
        without_strings(r#"invalid type: string "a\"b", expected x"#),
        "invalid type: string, expected x"
    );
    assert_eq!(without_strings("no strings here"), "no strings here");
}

#[test]
fn where_the_file_is_looked_for() {
    let os = |s: &str| Some(std::ffi::OsString::from(s));
    assert_eq!(
        Location::of(Some(Path::new("c.toml")), os("/x"), os("/h")),
        Location::Given(PathBuf::from("c.toml"))
    );
    assert_eq!(
        Location::of(None, os("/x"), os("/h")),
        Location::Usual(PathBuf::from("/x/dualstream/config.toml"))
    );
    // A relative XDG_CONFIG_HOME is ignored, as the spec says.
    assert_eq!(
        Location::of(None, os("rel"), os("/h")),
        Location::Usual(PathBuf::from("/h/.config/dualstream/config.toml"))
    );
    assert_eq!(Location::of(None, None, None), Location::Nowhere);
    assert_eq!(Location::Nowhere.load().unwrap().map(|f| f.path), None);
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("config.toml");
    assert!(Location::Usual(absent.clone()).load().unwrap().is_none());
    let e = Location::Given(absent).load().unwrap_err();
    assert_eq!(code_of(&e), Code::Usage);
    assert!(format!("{e:#}").contains("config.toml"), "{e:#}");
}

#[test]
fn shown_profiles_mask_secrets() {
    let f = parse(FILE).unwrap();
    let p = shown(&f.profiles[1], f.default.as_deref());
    let doc = format!("{p:?}");
    assert!(!doc.contains("hunter2"), "{doc}");
    assert_eq!(p.redis.as_deref(), Some("redis://redis.staging:6380/0"));
    assert!(
        p.kafka
            .iter()
            .any(|(k, v)| k == "sasl.password" && v == "<redacted>"),
        "{doc}"
    );
    assert!(!p.default);
}

#[test]
fn kafka_properties_come_from_the_file_then_the_table() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.properties"), "linger.ms=1\nacks=all\n").unwrap();
    let path = dir.path().join("config.toml");
    let text =
        "[profiles.a]\nproperties-file = \"c.properties\"\n[profiles.a.kafka]\n\"linger.ms\" = 7\n";
    let f = ConfigFile::parse(&path, text).unwrap();
    let props = f.profiles[0].kafka_properties().unwrap();
    let props: Vec<(&str, &str)> = props
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        props,
        [("linger.ms", "1"), ("acks", "all"), ("linger.ms", "7")]
    );
    let text = "[profiles.a]\n\nproperties-file = \"missing.properties\"\n";
    let f = ConfigFile::parse(&path, text).unwrap();
    let e = format!("{:#}", f.profiles[0].kafka_properties().unwrap_err());
    assert!(
        e.starts_with(&format!("{}:3: properties-file ", path.display())),
        "{e}"
    );
}
