use rdkafka::message::{Header, OwnedHeaders, OwnedMessage, Timestamp};

use super::*;
use crate::output::template::Subject;

fn msg(payload: &[u8]) -> Received {
    Received {
        received_at: jiff::Timestamp::UNIX_EPOCH,
        channel: b"c".to_vec(),
        pattern: Some(b"*".to_vec()),
        payload: payload.to_vec(),
        from_kafka: false,
        event: None,
    }
}

#[test]
fn control_characters_are_escaped() {
    assert_eq!(escape_controls("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
}

/// A tail JSON line, as written and parsed back.
fn tail_json(m: &Received) -> (String, Value) {
    let mut out = Vec::new();
    write_tail_json(&mut out, "t", m).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.matches('\n').count(), 1, "{text}");
    assert!(text.ends_with('\n'), "{text}");
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

#[test]
fn json_lines_keep_json_and_encode_binary() {
    let (text, line) = tail_json(&msg(br#"{"a":1,"big":123456789012345678901234567890}"#));
    assert_eq!(
            text,
            "{\"received_at\":\"t\",\"channel\":\"c\",\"pattern\":\"*\",\"payload\":{\"a\":1,\"big\":123456789012345678901234567890},\"source\":\"redis\"}\n"
        );
    assert_eq!(line["payload"]["a"], 1);
    assert_eq!(tail_json(&msg(b"plain")).1["payload"], "plain");
    assert_eq!(tail_json(&msg(b"a \"q\"\n")).1["payload"], "a \"q\"\n");
    // JSON over lines is put on one, its strings untouched.
    let (text, line) = tail_json(&msg(b" {\"a\" :\n [1, \"x y\\\" z\"]}\t"));
    assert!(text.contains(r#""payload":{"a":[1,"x y\" z"]},"#), "{text}");
    assert_eq!(line["payload"], json!({"a": [1, "x y\" z"]}));
    // An escape ends with its character: what follows the string is
    // outside it again, and loses its whitespace.
    let (text, _) = tail_json(&msg(br#"{"q": "a\"", "b": "\\", "c": 1}"#));
    assert!(
        text.contains(r#""payload":{"q":"a\"","b":"\\","c":1},"#),
        "{text}"
    );
    let (_, line) = tail_json(&msg(&[0xff, 0x00]));
    assert_eq!(line["payload"], Value::Null);
    assert_eq!(line["payload_base64"], "/wA=");
    assert_eq!(line["pattern"], "*");
    let mut fetched = msg(b"1");
    fetched.event = Some(vec![0xfe]);
    let (text, line) = tail_json(&fetched);
    assert!(
        text.ends_with(",\"event\":null,\"event_base64\":\"/g==\"}\n"),
        "{text}"
    );
    assert_eq!(line["payload"], 1);
}

#[test]
fn one_base64_shape_everywhere() {
    let d = dead_letter("f", 3, Some(2), "bad", &[0xfe]);
    assert_eq!(d["raw"], Value::Null);
    assert_eq!(d["raw_base64"], "/g==");
    let d = dead_letter("f", 3, None, "bad", b"text");
    assert_eq!(d["raw"], "text");
    assert!(d.get("raw_base64").is_none());
}

const PLAIN: Style = Style {
    color: false,
    escape: false,
};

fn printed(format: TailLayout, style: Style, fetch: bool, msg: &Received) -> String {
    let mut printer = TailPrinter::new(format, style, fetch);
    let mut out = Vec::new();
    printer.header(&mut out).unwrap();
    printer.print(&mut out, msg).unwrap();
    String::from_utf8(out).unwrap()
}

fn fetched(payload: &[u8], event: &[u8]) -> Received {
    Received {
        received_at: "2026-11-24T10:00:01.5Z".parse().unwrap(),
        channel: b"events:repo:\x1b1".to_vec(),
        pattern: Some(b"events:*".to_vec()),
        payload: payload.to_vec(),
        from_kafka: true,
        event: Some(event.to_vec()),
    }
}

#[test]
fn tail_lines_in_every_format() {
    let msg = fetched(b"{\"id\": \"e1\"}", b"{\"n\":\n1}");
    assert_eq!(
        printed(TailLayout::Json, PLAIN, true, &msg),
        "{\"received_at\":\"2026-11-24T10:00:01.500Z\",\"channel\":\"events:repo:\\u001b1\",\
             \"pattern\":\"events:*\",\"payload\":{\"id\":\"e1\"},\"source\":\"kafka\",\
             \"event\":{\"n\":1}}\n"
    );
    assert_eq!(
            printed(TailLayout::Csv, PLAIN, true, &msg),
            "received_at,channel,pattern,payload,source,event\n\
             2026-11-24T10:00:01.500Z,events:repo:\x1b1,events:*,\"{\"\"id\"\": \"\"e1\"\"}\",kafka,\"{\"\"n\"\":\n1}\"\n"
        );
    assert_eq!(
            printed(TailLayout::Csv, PLAIN, false, &msg),
            "received_at,channel,pattern,payload,source\n\
             2026-11-24T10:00:01.500Z,events:repo:\x1b1,events:*,\"{\"\"id\"\": \"\"e1\"\"}\",kafka\n"
        );
    // Raw: the bytes as they came, the full event with --fetch.
    assert_eq!(printed(TailLayout::Raw, PLAIN, true, &msg), "{\"n\":\n1}\n");
    assert_eq!(
        printed(TailLayout::Raw, PLAIN, false, &msg),
        "{\"id\": \"e1\"}\n"
    );
    // Pretty: the clock, the channel (escaped), where it came from, and
    // the payload on one line.
    assert_eq!(
        printed(TailLayout::Pretty, PLAIN, false, &msg),
        "10:00:01.500 events:repo:\\u{1b}1 (kafka) {\"id\":\"e1\"}\n"
    );
    assert_eq!(
        printed(TailLayout::Pretty, PLAIN, true, &msg),
        "10:00:01.500 events:repo:\\u{1b}1 (kafka) {\"n\":1}\n"
    );
    let colored = Style {
        color: true,
        escape: true,
    };
    assert_eq!(
            printed(TailLayout::Pretty, colored, false, &msg),
            "\x1b[2m10:00:01.500\x1b[0m \x1b[36mevents:repo:\\u{1b}1\x1b[0m\x1b[2m (kafka)\x1b[0m {\"id\":\"e1\"}\n"
        );
    let mut from_redis = msg;
    from_redis.from_kafka = false;
    from_redis.payload = b"not json\x07".to_vec();
    assert_eq!(
        printed(TailLayout::Pretty, PLAIN, false, &from_redis),
        "10:00:01.500 events:repo:\\u{1b}1 not json\\u{7}\n"
    );
}

#[test]
fn control_characters_never_reach_a_terminal() {
    let on_terminal = Style {
        color: false,
        escape: true,
    };
    let mut msg = fetched(b"a\x1b[2Jb\xff", b"");
    msg.event = None;
    assert_eq!(
        printed(TailLayout::Raw, on_terminal, false, &msg),
        "a\\u{1b}[2Jb\u{fffd}\n"
    );
    assert_eq!(
        printed(TailLayout::Csv, on_terminal, true, &msg),
        "received_at,channel,pattern,payload,source,event\n\
             2026-11-24T10:00:01.500Z,events:repo:\\u{1b}1,events:*,a\\u{1b}[2Jb\u{fffd},kafka,\n"
    );
    // On a pipe, raw keeps every byte.
    let mut out = Vec::new();
    TailPrinter::new(TailLayout::Raw, PLAIN, false)
        .print(&mut out, &msg)
        .unwrap();
    assert_eq!(out, b"a\x1b[2Jb\xff\n");
    // Only the CSV format has a header.
    for format in [TailLayout::Json, TailLayout::Raw, TailLayout::Pretty] {
        let mut out = Vec::new();
        TailPrinter::new(format.clone(), PLAIN, true)
            .header(&mut out)
            .unwrap();
        assert!(out.is_empty(), "{format:?}");
    }
}

fn record(
    payload: Option<&[u8]>,
    key: Option<&[u8]>,
    headers: Option<OwnedHeaders>,
) -> OwnedMessage {
    OwnedMessage::new(
        payload.map(<[u8]>::to_vec),
        key.map(<[u8]>::to_vec),
        "events".into(),
        Timestamp::CreateTime(1_700_000_000_000),
        2,
        41,
        headers,
    )
}

fn replayed(format: RecordFormat, records: &[OwnedMessage]) -> String {
    let mut printer = RecordPrinter::new(format, PLAIN);
    let mut out = Vec::new();
    for r in records {
        printer.print(&mut out, r).unwrap();
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn replayed_records_in_every_format() {
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: "id",
            value: Some("e1"),
        })
        .insert(Header {
            key: "sig",
            value: Some(&[0xff_u8, 0x01][..]),
        })
        .insert(Header::<&str> {
            key: "none",
            value: None,
        });
    let records = [
        record(Some(b"{\"id\": \"e1\"}"), Some(b"r1"), Some(headers)),
        record(None, None, None),
    ];
    assert_eq!(
        replayed(RecordFormat::Ndjson, &records),
        "{\"id\": \"e1\"}\n\n"
    );
    assert_eq!(
        replayed(RecordFormat::Csv, &records),
        "topic,partition,offset,timestamp,key,value\n\
             events,2,41,1700000000000,r1,\"{\"\"id\"\": \"\"e1\"\"}\"\n\
             events,2,41,1700000000000,,\n"
    );
    assert_eq!(
            replayed(RecordFormat::Envelope, &records),
            "{\"topic\":\"events\",\"partition\":2,\"offset\":41,\"timestamp\":1700000000000,\
             \"key\":\"r1\",\"headers\":{\"id\":\"e1\",\"sig\":null,\"sig_base64\":\"/wE=\",\"none\":null},\
             \"value\":{\"id\":\"e1\"}}\n\
             {\"topic\":\"events\",\"partition\":2,\"offset\":41,\"timestamp\":1700000000000,\
             \"key\":null,\"headers\":{},\"value\":null}\n"
        );
    let binary = record(Some(b"\xfe"), Some(b"\xff"), None);
    let e = envelope(&binary);
    assert_eq!(
        (&e["key"], &e["key_base64"]),
        (&Value::Null, &json!("/w=="))
    );
    assert_eq!(
        (&e["value"], &e["value_base64"]),
        (&Value::Null, &json!("/g=="))
    );
    let text = record(Some(b"plain text"), None, None);
    assert_eq!(envelope(&text)["value"], "plain text");
}

/// An envelope, as written and parsed back.
fn envelope(m: &impl Message) -> Value {
    let mut out = Vec::new();
    write_envelope(&mut out, m).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn bytes_and_payloads_in_json() {
    let mut obj = Map::new();
    put_bytes(&mut obj, "a", b"{\"x\":1}");
    let payloads: [(&str, Option<&[u8]>); 4] = [
        ("b", Some(b"{\"x\": 1}")),
        ("c", Some(b"[1,")),
        ("d", Some(b"\x80")),
        ("e", None),
    ];
    let mut out = Vec::new();
    for (key, payload) in payloads {
        write_with_payload(&mut out, &obj, key, payload).unwrap();
        out.push(b'\n');
    }
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"a\":\"{\\\"x\\\":1}\",\"b\":{\"x\":1}}\n\
         {\"a\":\"{\\\"x\\\":1}\",\"c\":\"[1,\"}\n\
         {\"a\":\"{\\\"x\\\":1}\",\"d\":null,\"d_base64\":\"gA==\"}\n\
         {\"a\":\"{\\\"x\\\":1}\",\"e\":null}\n"
    );
    let mut out = Vec::new();
    write_with_payload(&mut out, &Map::new(), "v", Some(b"1")).unwrap();
    assert_eq!(out, b"{\"v\":1}");
}

/// The published bytes, not a rebuilt value: numbers beyond what a double
/// holds, duplicate keys and key order survive an envelope.
#[test]
fn an_envelope_carries_the_value_as_published() {
    let value =
        br#"{"z":1, "big":123456789012345678901234567890,"f":0.10000000000000000001,"z":2}"#;
    let mut out = Vec::new();
    write_envelope(&mut out, &record(Some(value), None, None)).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with(r#","value":{"z":1,"big":123456789012345678901234567890,"f":0.10000000000000000001,"z":2}}"#),
        "{text}"
    );
}

#[test]
fn dead_letters_and_dry_run_lines() {
    assert_eq!(
        dead_letter("in.ndjson", 7, Some(12), "expected ','", b"{\"a\" 1}"),
        json!({"source": "in.ndjson", "line": 7, "column": 12, "error": "expected ','", "raw": "{\"a\" 1}"})
    );
    let event = Event {
        id: "e1".into(),
        kind: "push".into(),
        source_type: "repo".into(),
        source_id: "r1".into(),
        timestamp: Some(5),
        value: b"{\"n\": 1}".to_vec(),
    };
    let dry_run_line = |event: &Event, channel: Option<&str>| -> Result<Value> {
        let mut out = Vec::new();
        let notified = channel.map(|c| {
            let template = crate::event::ChannelTemplate::parse(c).unwrap();
            crate::event::notification(&template, event, "events", None)
        });
        write_dry_run_line(&mut out, "<stdin>", 3, "events", event, notified)?;
        assert!(out.ends_with(b"}\n"));
        Ok(serde_json::from_slice(&out)?)
    };
    assert_eq!(
        dry_run_line(&event, Some("events:{source_type}:{source_id}")).unwrap(),
        json!({
            "source": "<stdin>", "line": 3, "topic": "events", "key": "r1",
            "headers": {"id": "e1", "type": "push", "source_type": "repo"},
            "timestamp": 5, "channel": "events:repo:r1",
            "notification": {"id": "e1", "type": "push", "source_id": "r1", "topic": "events"},
            "value": {"n": 1},
        })
    );
    let line = dry_run_line(&event, None).unwrap();
    assert_eq!(
        (&line["channel"], &line["notification"]),
        (&Value::Null, &Value::Null)
    );
    let bad = Event {
        value: b"{".to_vec(),
        ..event
    };
    assert!(dry_run_line(&bad, None).is_err());
}

fn columns(tab: bool, names: &[&str], subject: Subject) -> Columns {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    Columns {
        tab,
        templates: Template::columns(&names, subject).unwrap(),
        names,
    }
}

#[test]
fn replayed_records_by_template_fields_and_pretty() {
    let headers = OwnedHeaders::new().insert(Header {
        key: "id",
        value: Some("e\x1b1"),
    });
    let records = [
        record(
            Some(br#"{"id":"e1","type":"push","n":{"a":[1, 2]}}"#),
            Some(b"r1"),
            Some(headers),
        ),
        record(Some(b"not json\t"), None, None),
    ];
    let template = |t: &str| RecordFormat::Template(Template::parse(t, Subject::Record).unwrap());
    assert_eq!(
        replayed(
            template("{partition}@{offset} {key} {value.type} {headers.id} {value.n}"),
            &records
        ),
        "2@41 r1 push e\x1b1 {\"a\":[1,2]}\n2@41    \n"
    );
    assert_eq!(
        replayed(
            RecordFormat::Columns(columns(false, &["offset", "value.type", "value"], Subject::Record)),
            &records
        ),
        "offset,value.type,value\n41,push,\"{\"\"id\"\":\"\"e1\"\",\"\"type\"\":\"\"push\"\",\"\"n\"\":{\"\"a\"\":[1,2]}}\"\n41,,not json\t\n"
    );
    assert_eq!(
        replayed(
            RecordFormat::Columns(columns(
                true,
                &["key", "timestamp", "value"],
                Subject::Record
            )),
            &records[1..]
        ),
        "key\ttimestamp\tvalue\n\t2023-11-14T22:13:20.000Z\tnot json\\t\n"
    );
    assert_eq!(
        replayed(
            RecordFormat::Columns(columns(false, &["key"], Subject::Record)),
            &[
                record(Some(b"{}"), None, None),
                record(Some(b"{}"), Some(b"a,\"b\"\nc"), None)
            ]
        ),
        "key\n\"\"\n\"a,\"\"b\"\"\nc\"\n"
    );
    assert_eq!(
        replayed(RecordFormat::Pretty, &records),
        "2023-11-14T22:13:20.000Z 2@41 r1 {\"id\":\"e1\",\"type\":\"push\",\"n\":{\"a\":[1,2]}}\n\
         2023-11-14T22:13:20.000Z 2@41 - not json\\t\n"
    );
}

#[test]
fn tail_lines_by_template_and_fields() {
    let msg = fetched(
        br#"{"id":"n1","source_id":"s1","partition":3,"offset":9}"#,
        br#"{"id":"e1","type":"push"}"#,
    );
    let subject = Subject::Message { fetch: true };
    let t = Template::parse("{partition}@{offset} {key} {value.type} {channel}", subject).unwrap();
    assert_eq!(
        printed(TailLayout::Template(t.clone()), PLAIN, true, &msg),
        "3@9 s1 push events:repo:\x1b1\n"
    );
    let on_terminal = Style {
        color: false,
        escape: true,
    };
    assert_eq!(
        printed(TailLayout::Template(t), on_terminal, true, &msg),
        "3@9 s1 push events:repo:\\u{1b}1\n"
    );
    assert_eq!(
        printed(
            TailLayout::Columns(columns(
                false,
                &["received_at:ms", "payload.id", "event.id"],
                subject
            )),
            PLAIN,
            true,
            &msg
        ),
        "received_at:ms,payload.id,event.id\n1795514401500,n1,e1\n"
    );
}
