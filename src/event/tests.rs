//! Unit tests of `event`.

use super::*;
use proptest::prelude::*;

fn fields() -> FieldMap {
    FieldMap::defaults()
}

#[test]
fn json_line_keeps_the_value_byte_exact() {
    let line = br#"{"id":"e1", "type":"push","source_type":"repo","source_id":"a/b","time":"2026-01-02T03:04:05.006Z"}"#;
    let e = from_json_line(line, &fields()).unwrap();
    assert_eq!(e.value, line.to_vec());
    assert_eq!(e.id, "e1");
    assert_eq!(e.kind, "push");
    assert_eq!(e.source_id, "a/b");
    assert_eq!(e.timestamp, Some(1_767_323_045_006));
}

#[test]
fn dotted_paths_and_constants() {
    let mut f = fields();
    f.source_id = Field::Path(FieldPath::new("repo.name"));
    f.source_type = Field::Const("repo".into());
    let e = from_json_line(br#"{"type":"x","repo":{"name":"r1"},"items":[1]}"#, &f).unwrap();
    assert_eq!(
        (e.source_type.as_str(), e.source_id.as_str()),
        ("repo", "r1")
    );
    f.source_id = Field::Path(FieldPath::new("items.0"));
    let e = from_json_line(br#"{"type":"x","items":[7]}"#, &f).unwrap();
    assert_eq!(e.source_id, "7");
}

#[test]
fn literal_dotted_key_wins() {
    let mut f = fields();
    f.source_id = Field::Path(FieldPath::new("repo.name"));
    let e = from_json_line(
        br#"{"type":"x","source_type":"r","repo.name":"flat","repo":{"name":"nested"}}"#,
        &f,
    )
    .unwrap();
    assert_eq!(e.source_id, "flat");
}

/// With an id the line takes the one-pass path (without, the derived id
/// needs the whole object): nested and literal dotted keys are found alike.
#[test]
fn dotted_paths_with_an_id_are_found_alike() {
    let mut f = fields();
    f.source_id = Field::Path(FieldPath::new("repo.name"));
    let e = from_json_line(
        br#"{"id":"e1","type":"x","source_type":"r","repo.name":"flat","repo":{"name":"nested"}}"#,
        &f,
    )
    .unwrap();
    assert_eq!(e.source_id, "flat");
    let e = from_json_line(
        br#"{"id":"e2","type":"x","source_type":"r","repo":{"name":"nested"}}"#,
        &f,
    )
    .unwrap();
    assert_eq!(e.source_id, "nested");
}

#[test]
fn derived_id_ignores_formatting_and_key_order() {
    let a = from_json_line(
        br#"{"type":"t","source_type":"s","source_id":"1","n":{"b":1,"a":2}}"#,
        &fields(),
    )
    .unwrap();
    let b = from_json_line(
        br#"{ "n": {"a": 2, "b": 1}, "source_id": "1", "source_type": "s", "type": "t" }"#,
        &fields(),
    )
    .unwrap();
    let c = from_json_line(
        br#"{"type":"t","source_type":"s","source_id":"1","n":{"b":1,"a":3}}"#,
        &fields(),
    )
    .unwrap();
    assert_eq!(a.id, b.id);
    assert_ne!(a.id, c.id);
    assert_eq!(a.id.len(), 32);
}

/// Derived ids are a promise across releases: a re-run after an upgrade
/// must give every event the id it had before, or consumers that dedup by
/// id see duplicates. These values are committed; never change them.
#[test]
fn derived_ids_are_pinned_across_releases() {
    let id = |line: &str| from_json_line(line.as_bytes(), &fields()).unwrap().id;
    assert_eq!(
        id(r#"{"type":"push","source_type":"repo","source_id":"r1","time":1700000000000,"n":1}"#),
        "bd3455ba16740345a4e52267a206f3fb"
    );
    assert_eq!(
        id(
            r#"{"type":"issue","source_type":"repo","source_id":"r2","time":"2023-11-14T22:13:20Z","body":{"title":"Grüße, 世界 🚀","labels":["a","b"],"nested":{"z":null,"a":[1.5,-2,3e10,true]}}}"#
        ),
        "8c7ea86d5ef73fcea472bce2f00bba45"
    );
    assert_eq!(
        id(
            r#"{"type":"t","source_type":"s","source_id":"quote\"and\\slash","big":18446744073709551615,"neg":-9223372036854775808,"f":0.1,"esc":"tab\tnew\nline\u0000"}"#
        ),
        "4a5a5085eedc289807182bf210d10d1e"
    );
    // The canonical form itself: keys sorted at every depth, no
    // whitespace, serde_json's rendering of strings and numbers.
    let v: Value =
        serde_json::from_str(r#"{"b":[{"y":1,"x":"é\n"}],"a":{"d":null,"c":2.50}}"#).unwrap();
    let mut canonical = String::new();
    write_canonical(&mut canonical, &v);
    assert_eq!(
        canonical,
        r#"{"a":{"c":2.5,"d":null},"b":[{"x":"é\n","y":1}]}"#
    );
}

/// Numbers that serde_json holds only approximately (integers beyond 64
/// bits, decimals with more digits than an f64 keeps) give ids of their
/// own: the canonical form carries their exact decimal. Pinned like the
/// ids above.
#[test]
fn numbers_beyond_64_bits_and_long_decimals_keep_their_ids_apart() {
    let id = |n: &str| {
        let line = format!(r#"{{"type":"t","source_type":"s","source_id":"x","n":{n}}}"#);
        from_json_line(line.as_bytes(), &fields()).unwrap().id
    };
    let pinned = [
        ("123456789092324567890", "c71119ccc0aefc71cbb9598e36250ac1"),
        ("123456789092324567891", "8018575474419b08c7f6bbcf9dea68ad"),
        ("0.10000000000000000001", "76f0d558c870fa966d057256522b3f85"),
        (
            "123456789012345678901234567890",
            "880e7c3295ece9d54c602d9dfc4c7046",
        ),
    ];
    let got: Vec<(&str, String)> = pinned.iter().map(|(n, _)| (*n, id(n))).collect();
    let want: Vec<(&str, String)> = pinned.iter().map(|(n, i)| (*n, i.to_string())).collect();
    assert_eq!(got, want);
    // The same number written otherwise is the same event.
    assert_eq!(id("123456789092324567890"), id("1.2345678909232456789e20"));
    assert_eq!(id("123456789092324567890"), id("12345678909232456789.0e1"));
    // A number an f64 holds exactly keeps the id it always had.
    assert_eq!(id("1.2345678909232457e20"), id("123456789092324570000"));
    assert_ne!(id("1.2345678909232457e20"), id("123456789092324567890"));
    assert_ne!(id("0.1"), id("0.10000000000000000001"));
    assert_eq!(id("0.1"), id("0.10"));
}

#[test]
fn exact_decimals_of_numbers_serde_json_rounds() {
    let n = |t: &str| canonical::number(t).unwrap();
    assert_eq!(n("123456789092324567890"), "123456789092324567890");
    assert_eq!(n("-123456789092324567890e3"), "-123456789092324567890000");
    assert_eq!(n("0.10000000000000000001"), "10000000000000000001e-20");
    assert_eq!(n("1e-400"), "1e-400");
    // What serde_json holds exactly is rendered as serde_json renders it.
    assert_eq!(n("18446744073709551615"), "18446744073709551615");
    assert_eq!(
        n("-0"),
        serde_json::from_str::<Value>("-0").unwrap().to_string()
    );
    assert_eq!(n("2.50"), "2.5");
    assert_eq!(
        n("3e10"),
        serde_json::from_str::<Value>("3e10").unwrap().to_string()
    );
}

#[test]
fn deep_nesting_is_said_plainly() {
    let line = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let e = from_json_line(line.as_bytes(), &fields()).unwrap_err();
    assert_eq!(e.reason, "nested more than 128 levels deep");
    assert_eq!(e.column, Some(128));
    // Other messages keep serde_json's words, without its position.
    let e = from_json_line(b"{\"a\":}", &fields()).unwrap_err();
    assert_eq!(
        e.reason,
        "expected a value: an object, array, string, number, true, false or null"
    );
    let e = from_json_line(b"not json", &fields()).unwrap_err();
    assert_eq!(
        e.reason,
        "not JSON: expected an object, array, string, number, true, false or null"
    );
}

#[test]
fn the_quick_parse_refuses_what_the_whole_parse_refuses() {
    let event = r#""id":"1","type":"t","source_type":"s","source_id":"x""#;
    let deep = format!("{{{event},\"d\":{}{}}}", "[".repeat(200), "]".repeat(200));
    let e = from_json_line(deep.as_bytes(), &fields()).unwrap_err();
    assert_eq!(e.reason, "nested more than 128 levels deep");
    let e = from_json_line(format!("{{{event},\"n\":1e400}}").as_bytes(), &fields()).unwrap_err();
    assert_eq!(e.reason, "number out of range");
    let e = from_json_line(format!("{{{event},\"s\":\"\\x\"}}").as_bytes(), &fields()).unwrap_err();
    assert_eq!(e.reason, "invalid escape");
    let e = from_json_line(format!("{{{event}}} x").as_bytes(), &fields()).unwrap_err();
    assert_eq!(e.reason, "trailing characters");
    // Escaped keys are keys like any other.
    let escaped = r#"{"\u0069d":"7","type":"t","source_type":"s","source_id":"x"}"#;
    assert_eq!(
        from_json_line(escaped.as_bytes(), &fields()).unwrap().id,
        "7"
    );
}

#[test]
fn invalid_lines_say_why_and_where() {
    let e = from_json_line(br#"{"type":"t", oops}"#, &fields()).unwrap_err();
    assert_eq!(e.column, Some(14));
    assert!(e.reason.contains("key must be a string"), "{}", e.reason);
    let e = from_json_line(b"[1,2]", &fields()).unwrap_err();
    assert_eq!(e.reason, "expected a JSON object, found an array");
    let e = from_json_line(br#"{"type":"t","source_type":"s"}"#, &fields()).unwrap_err();
    assert!(
        e.reason.starts_with("missing field \"source_id\""),
        "{}",
        e.reason
    );
    let e = from_json_line(b"{\"type\":\"\xff\"}", &fields()).unwrap_err();
    assert_eq!((e.column, e.reason.as_str()), (Some(10), "invalid UTF-8"));
    let e = from_json_line(
        br#"{"type":"t","source_type":"s","source_id":{"a":1}}"#,
        &fields(),
    )
    .unwrap_err();
    assert!(e.reason.contains("is an object"), "{}", e.reason);
    let e = from_json_line(
        br#"{"type":"t","source_type":"s","source_id":"1","time":"yesterday"}"#,
        &fields(),
    )
    .unwrap_err();
    assert!(
        e.reason.contains("neither RFC 3339 nor epoch"),
        "{}",
        e.reason
    );
}

#[test]
fn times() {
    assert_eq!(parse_time_text("1700000000123"), Ok(1_700_000_000_123));
    assert_eq!(
        parse_time_text("2026-11-24T10:00:00+01:00"),
        Ok(1_795_510_800_000)
    );
    assert_eq!(
        parse_time(&serde_json::json!(1_700_000_000_123i64)),
        Ok(1_700_000_000_123)
    );
    assert!(parse_time(&serde_json::json!(1.5)).is_err());
    // Epoch seconds, and times before 1970, are refused with the fix.
    let seconds = parse_time(&serde_json::json!(1_700_000_000)).unwrap_err();
    assert!(seconds.contains("looks like epoch seconds"), "{seconds}");
    assert!(seconds.contains("1700000000000"), "{seconds}");
    assert!(parse_time_text("1700000000").is_err());
    assert!(parse_time(&serde_json::json!(-5))
        .unwrap_err()
        .contains("before 1970"));
    assert!(parse_time(&serde_json::json!(0))
        .unwrap_err()
        .contains("looks like epoch seconds"));
    assert_eq!(parse_time_text("100000000000"), Ok(100_000_000_000));
    assert!(parse_time_text("99999999999").is_err());
}

#[test]
fn csv_record_becomes_json_object() {
    let headers = vec![
        "type".to_string(),
        "source_type".into(),
        "source_id".into(),
        "n".into(),
    ];
    let e = from_csv_record(&headers, &["push", "repo", "r1", "5"], &fields()).unwrap();
    let v: Value = serde_json::from_slice(&e.value).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"type":"push","source_type":"repo","source_id":"r1","n":"5"})
    );
}

#[test]
fn channel_template() {
    let t = ChannelTemplate::parse("events:{source_type}:{source_id}").unwrap();
    let e = from_json_line(
        br#"{"id":"i","type":"t","source_type":"repo","source_id":"a/b"}"#,
        &fields(),
    )
    .unwrap();
    assert_eq!(t.render(&e, "events"), "events:repo:a/b");
    let t = ChannelTemplate::parse("{topic}.{type}.{id}").unwrap();
    assert_eq!(t.render(&e, "top"), "top.t.i");
    assert!(ChannelTemplate::parse("x:{nope}")
        .unwrap_err()
        .contains("unknown placeholder {nope}"));
    assert!(ChannelTemplate::parse("x:{source_id").is_err());
    // Text after the last placeholder, and a template of text only.
    let t = ChannelTemplate::parse("{source_type}/{source_id}.v1").unwrap();
    assert_eq!(t.render(&e, "events"), "repo/a/b.v1");
    let t = ChannelTemplate::parse("fixed").unwrap();
    assert_eq!(t.render(&e, "events"), "fixed");
    // Doubled braces are literal: a hash tag for Redis Cluster.
    let t = ChannelTemplate::parse("events:{{{source_type}}}:{source_id}").unwrap();
    assert_eq!(t.render(&e, "events"), "events:{repo}:a/b");
    assert_eq!(t.source_type_of("events:{repo}:a/b"), Some("repo"));
    let t = ChannelTemplate::parse("{{x}}:{{{{").unwrap();
    assert_eq!(t.render(&e, "events"), "{x}:{{");
    let t = ChannelTemplate::parse("a}b:{id}").unwrap();
    assert_eq!(t.render(&e, "events"), "a}b:i");
}

#[test]
fn source_type_read_back_from_a_channel() {
    let t = ChannelTemplate::parse("events:{source_type}:{source_id}").unwrap();
    assert_eq!(t.source_type_of("events:repo:a:b"), Some("repo"));
    assert_eq!(t.source_type_of("events::a"), Some(""));
    assert_eq!(t.source_type_of("other:repo:a"), None);
    assert_eq!(t.source_type_of("events:repo"), None);
    let t = ChannelTemplate::parse("{source_id}/{source_type}.v1").unwrap();
    assert_eq!(t.source_type_of("a/repo.v1"), Some("repo"));
    assert_eq!(t.source_type_of("a/repo.v1x"), None);
    let t = ChannelTemplate::parse("{source_type}{source_id}").unwrap();
    assert_eq!(t.source_type_of("repoa"), None);
    let t = ChannelTemplate::parse("events:{source_id}").unwrap();
    assert_eq!(t.source_type_of("events:a"), None);
}

#[test]
fn missing_fields_name_the_flags_that_fix_them() {
    let e = from_json_line(br#"{"type":"t","source_id":"1"}"#, &fields()).unwrap_err();
    assert_eq!(
        e.reason,
        "missing field \"source_type\" (source_type; point elsewhere with \
         --source-type-field or give a constant with --source-type)"
    );
    // An empty string is missing, like null.
    let e = from_json_line(
        br#"{"type":"t","source_type":"s","source_id":""}"#,
        &fields(),
    )
    .unwrap_err();
    assert!(
        e.reason.starts_with("missing field \"source_id\""),
        "{}",
        e.reason
    );
    let e = from_json_line(
        br#"{"type":null,"source_type":"s","source_id":"1"}"#,
        &fields(),
    )
    .unwrap_err();
    assert!(
        e.reason.starts_with("missing field \"type\""),
        "{}",
        e.reason
    );
    // An empty or null id is derived from the content instead.
    let e = from_json_line(
        br#"{"id":"","type":"t","source_type":"s","source_id":"1"}"#,
        &fields(),
    )
    .unwrap();
    assert_eq!(e.id.len(), 32);
    let e = from_json_line(
        br#"{"id":true,"type":"t","source_type":"s","source_id":1.5}"#,
        &fields(),
    )
    .unwrap();
    assert_eq!((e.id.as_str(), e.source_id.as_str()), ("true", "1.5"));
}

#[test]
fn notification_shape() {
    let e = Event {
        id: "i".into(),
        kind: "t".into(),
        source_type: "repo".into(),
        source_id: "s\"q".into(),
        timestamp: Some(1),
        value: b"{}".to_vec(),
    };
    let t = ChannelTemplate::parse("ev:{topic}:{source_type}:{id}").unwrap();
    assert_eq!(
        notification(&t, &e, "events", Some((2, 9))),
        (
            "ev:events:repo:i".to_string(),
            r#"{"id":"i","type":"t","source_id":"s\"q","topic":"events","partition":2,"offset":9}"#
                .to_string()
        )
    );
    let (_, extremes) = notification(&t, &e, "t", Some((i32::MIN, i64::MIN)));
    assert!(
        extremes.ends_with(r#""partition":-2147483648,"offset":-9223372036854775808}"#),
        "{extremes}"
    );
}

proptest! {
    /// The hand-written notification is the text serde_json makes of the
    /// same fields, escapes and all.
    #[test]
    fn notification_is_what_serde_writes(
        id in any::<String>(),
        kind in "[a-z\"\\\\\n\u{1}\u{7f}é/]{0,8}",
        source_id in any::<String>(),
        topic in "[a-z.\"]{1,6}",
        place in proptest::option::of((any::<i32>(), any::<i64>())),
    ) {
        #[derive(serde::Serialize)]
        struct Expected<'a> {
            id: &'a str,
            #[serde(rename = "type")]
            kind: &'a str,
            source_id: &'a str,
            topic: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            partition: Option<i32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            offset: Option<i64>,
        }
        let e = Event {
            id: id.clone(),
            kind: kind.clone(),
            source_type: "s".into(),
            source_id: source_id.clone(),
            timestamp: None,
            value: Vec::new(),
        };
        let t = ChannelTemplate::parse("ev:{id}").unwrap();
        let expected = serde_json::to_string(&Expected {
            id: &id,
            kind: &kind,
            source_id: &source_id,
            topic: &topic,
            partition: place.map(|(p, _)| p),
            offset: place.map(|(_, o)| o),
        })
        .unwrap();
        prop_assert_eq!(notification(&t, &e, &topic, place).1, expected);
    }
}

/// Any JSON value: scalars, and arrays and objects of them a few levels
/// deep. Floats are eighths, so their text reads back exactly.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i32>().prop_map(|n| Value::from(f64::from(n) / 8.0)),
        ".{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((".{0,5}", inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((".{0,5}", json_value()), 0..6)
        .prop_map(|pairs| pairs.into_iter().collect())
}

/// The same value with every object's keys in reverse order.
fn reversed(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        scalar => scalar.clone(),
    }
}

/// The same value with every object's keys sorted.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut pairs: Vec<(&String, &Value)> = map.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        scalar => scalar.clone(),
    }
}

fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, v);
    out
}

/// One step of a dotted path: a key, or an index into an array of `len`.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize, usize),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        "[a-z_]{1,6}".prop_map(Step::Key),
        (0usize..4, 1usize..4).prop_map(|(i, extra)| Step::Index(i, i + extra)),
    ];
    // A path starts at an object key: the event itself is an object.
    ("[a-z_]{1,6}", prop::collection::vec(step, 0..4))
        .prop_map(|(first, rest)| std::iter::once(Step::Key(first)).chain(rest).collect())
}

/// `value` placed at the end of `steps`, built from the inside out; other
/// array slots are null.
fn nest(steps: &[Step], value: Value) -> Value {
    steps.iter().rev().fold(value, |inner, step| match step {
        Step::Key(k) => serde_json::json!({ k.as_str(): inner }),
        Step::Index(i, len) => {
            let mut items = vec![Value::Null; *len];
            items[*i] = inner;
            Value::Array(items)
        }
    })
}

fn dotted(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.clone(),
            Step::Index(i, _) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Fields that any object satisfies: constants, and id and time paths
/// that the generated headers never use.
fn constant_fields() -> FieldMap {
    FieldMap {
        id: FieldPath::new("ID"),
        kind: Field::Const("t".into()),
        source_type: Field::Const("s".into()),
        source_id: Field::Const("1".into()),
        time: FieldPath::new("TIME"),
    }
}

/// Default field names, each often present, sometimes twice, with any
/// kind of value, among other keys; compact or pretty.
fn event_text() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("id"),
        Just("type"),
        Just("source_type"),
        Just("source_id"),
        Just("time")
    ];
    let wanted = prop::collection::vec(
        (
            field,
            prop_oneof![json_value(), "[a-z0-9]{0,4}".prop_map(Value::String)],
        ),
        0..8,
    );
    (json_object(), wanted, any::<bool>()).prop_map(|(object, wanted, pretty)| {
        let mut parts: Vec<String> = object
            .iter()
            .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
            .collect();
        for (i, (k, v)) in wanted.into_iter().enumerate() {
            parts.insert(i % (parts.len() + 1), format!("\"{k}\":{v}"));
        }
        let sep = if pretty { ",\n  " } else { "," };
        format!("{{{}}}", parts.join(sep))
    })
}

proptest! {
    #[test]
    fn the_quick_parse_agrees_with_the_whole_object(text in event_text()) {
        let whole = from_whole_object(&text, text.as_bytes(), &fields());
        prop_assert_eq!(from_json_line(text.as_bytes(), &fields()), whole);
    }

    #[test]
    fn the_quick_parse_agrees_on_broken_lines(text in event_text(), cut in any::<prop::sample::Index>(), junk in "[\\[\\]{}\",:0-9e.-]{0,3}") {
        let at = cut.index(text.len() + 1);
        prop_assume!(text.is_char_boundary(at));
        let broken = format!("{}{junk}{}", &text[..at], &text[at..]);
        let whole = from_whole_object(&broken, broken.as_bytes(), &fields());
        prop_assert_eq!(from_json_line(broken.as_bytes(), &fields()), whole);
    }

    #[test]
    fn a_line_of_ordinary_numbers_keeps_the_id_of_its_object(object in json_object()) {
        let value = Value::Object(object.clone());
        let pretty = serde_json::to_string_pretty(&reversed(&value)).unwrap();
        prop_assert_eq!(canonical::of_text(&pretty), Some(canonical(&value)));
    }

    #[test]
    fn derived_ids_ignore_key_order_and_whitespace(object in json_object()) {
        let value = Value::Object(object.clone());
        let compact = serde_json::to_string(&value).unwrap();
        let pretty = serde_json::to_string_pretty(&reversed(&value)).unwrap();
        let from = |text: &str| -> Map<String, Value> { serde_json::from_str(text).unwrap() };
        prop_assert_eq!(derived_id(&from(&pretty)), derived_id(&object));
        prop_assert_eq!(derived_id(&from(&compact)), derived_id(&object));
        prop_assert_eq!(canonical(&reversed(&value)), canonical(&value));
    }

    #[test]
    fn the_canonical_form_is_compact_json_with_sorted_keys(value in json_value()) {
        let text = canonical(&value);
        prop_assert_eq!(&text, &serde_json::to_string(&sorted(&value)).unwrap());
        prop_assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }

    #[test]
    fn different_values_get_different_ids(a in json_object(), b in json_object()) {
        prop_assert_eq!(derived_id(&a) == derived_id(&b), a == b);
        prop_assert_eq!(derived_id(&a).len(), 32);
        prop_assert!(derived_id(&a).bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn changing_one_field_changes_the_id(
        object in json_object(),
        key in ".{0,5}",
        x in json_value(),
        y in json_value(),
    ) {
        prop_assume!(x != y);
        let mut a = object.clone();
        a.insert(key.clone(), x);
        let mut b = object;
        b.insert(key, y);
        prop_assert_ne!(derived_id(&a), derived_id(&b));
    }

    #[test]
    fn a_value_at_a_dotted_path_is_found_there(steps in steps(), leaf in json_value()) {
        let Value::Object(object) = nest(&steps, leaf.clone()) else {
            unreachable!("a path starts with a key");
        };
        let path = FieldPath::new(&dotted(&steps));
        prop_assert_eq!(path.lookup(&object), Some(&leaf));
        // One step further leads nowhere unless the leaf has that step.
        let deeper = FieldPath::new(&format!("{}.zz", dotted(&steps)));
        prop_assert_eq!(deeper.lookup(&object), leaf.get("zz"));
    }

    #[test]
    fn a_top_level_key_with_the_dots_wins(
        steps in steps(),
        nested in json_value(),
        flat in json_value(),
    ) {
        let Value::Object(mut object) = nest(&steps, nested) else {
            unreachable!("a path starts with a key");
        };
        let dotted = dotted(&steps);
        object.insert(dotted.clone(), flat.clone());
        prop_assert_eq!(FieldPath::new(&dotted).lookup(&object), Some(&flat));
    }

    #[test]
    fn a_csv_record_becomes_the_object_of_its_headers(
        headers in prop::collection::btree_set("[a-z_ .]{0,6}", 0..6),
        record in prop::collection::vec(".{0,8}", 0..7),
    ) {
        let headers: Vec<String> = headers.into_iter().collect();
        let fields: Vec<&str> = record.iter().map(String::as_str).collect();
        let e = from_csv_record(&headers, &fields, &constant_fields()).unwrap();
        let object: Map<String, Value> = serde_json::from_slice(&e.value).unwrap();
        let n = headers.len().min(fields.len());
        // In header order, every field a string, extra fields dropped.
        let keys: Vec<&String> = object.keys().collect();
        prop_assert_eq!(keys, headers[..n].iter().collect::<Vec<_>>());
        for (h, f) in headers.iter().zip(&fields) {
            prop_assert_eq!(&object[h], &Value::String(f.to_string()));
        }
        prop_assert_eq!(e.id, derived_id(&object));
        prop_assert_eq!((e.kind.as_str(), e.timestamp), ("t", None));
    }
}

/// What the first pass picked, as values, for comparing with serde's.
fn scanned(text: &str) -> Option<Vec<(String, Value)>> {
    let wanted = |k: &str| ["id", "type", "source_type", "source_id", "time"].contains(&k);
    let picked = scan::top_level(text, wanted)?;
    Some(
        picked
            .into_iter()
            .map(|(k, raw)| {
                let v = match raw {
                    scan::Written::Plain(s) => Value::String(s.to_string()),
                    scan::Written::Json(j) => {
                        serde_json::from_str(j).expect("the pass vouched for it")
                    }
                };
                (k.to_string(), v)
            })
            .collect(),
    )
}

#[test]
fn the_first_pass_reads_ordinary_lines_itself() {
    let line = r#"{"id":"evt-1","type":"push","source_type":"repo","source_id":"r/1","time":1764000000000,"payload":{"a":[1,2.5,-3,true,null,"x\"y\\z\n"]},"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#;
    let picked = scanned(line).expect("an ordinary line is read by the first pass");
    assert_eq!(
        picked,
        vec![
            ("id".to_string(), Value::from("evt-1")),
            ("type".to_string(), Value::from("push")),
            ("source_type".to_string(), Value::from("repo")),
            ("source_id".to_string(), Value::from("r/1")),
            ("time".to_string(), Value::from(1_764_000_000_000u64)),
        ]
    );
    // Pretty spacing and an escaped value are still its own.
    let spaced = "{ \"id\" : \"a\\\"b\" , \"n\" : [ ] , \"o\" : { } }";
    assert_eq!(
        scanned(spaced),
        Some(vec![("id".to_string(), Value::from("a\"b"))])
    );
    assert_eq!(scanned("{}"), Some(vec![]));
}

#[test]
fn the_first_pass_leaves_to_serde_what_it_cannot_vouch_for() {
    let deep = format!("{{\"d\":{}{}}}", "[".repeat(150), "]".repeat(150));
    for text in [
        r#"{"id":"\u0041"}"#,
        r#"{"\u0069d":"7"}"#,
        r#"{"n":1e3}"#,
        r#"{"n":1E400}"#,
        r#"{"n":01}"#,
        r#"{"n":1.}"#,
        r#"{"n":-}"#,
        r#"{"n":.5}"#,
        r#"{"s":"\x"}"#,
        "{\"s\":\"a\u{1}b\"}",
        "{\"s\":1,\t\"t\":2}",
        r#"{"a":1,}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":1} x"#,
        r#"{"a":1"#,
        r#"{"a" 1}"#,
        r#"{"a":tru}"#,
        r#"{"a":"unterminated}"#,
        r#"[1,2]"#,
        r#""s""#,
        "",
        &deep,
        &format!("{{\"n\":{}}}", "9".repeat(400)),
    ] {
        assert_eq!(scan::top_level(text, |_| true), None, "{text}");
    }
}

proptest! {
    #[test]
    fn what_the_first_pass_reads_serde_reads_alike(text in event_text()) {
        if let Some(picked) = scanned(&text) {
            let object: Map<String, Value> = serde_json::from_str(&text).expect("serde reads it too");
            for (k, _) in &picked {
                // The last of duplicate keys is the object's.
                let last = picked.iter().rev().find(|(k2, _)| k2 == k).map(|(_, v)| v);
                prop_assert_eq!(last, object.get(k));
            }
        }
    }

    #[test]
    fn the_first_pass_never_vouches_for_a_broken_line(text in event_text(), cut in any::<prop::sample::Index>(), junk in "[\\[\\]{}\",:0-9e.\\\\-]{0,3}") {
        let at = cut.index(text.len() + 1);
        prop_assume!(text.is_char_boundary(at));
        let broken = format!("{}{junk}{}", &text[..at], &text[at..]);
        if scanned(&broken).is_some() {
            prop_assert!(serde_json::from_str::<Map<String, Value>>(&broken).is_ok(), "{}", broken);
        }
    }
}
