//! The event model: turning one NDJSON line or CSV record into an [`Event`]
//! (field extraction by dotted path, stable ids, timestamps), rendering the
//! Redis channel, and the notification's shape. Pure: no I/O, no clients.

use std::fmt::Write as _;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

mod canonical;
mod scan;

/// Where a needed field comes from: a dotted path into the event, or a constant.
#[derive(Clone, Debug)]
pub enum Field {
    Path(FieldPath),
    Const(String),
}

/// A dotted path such as `repo.name`. A top-level key that contains the dots
/// literally (`"repo.name": …`) wins over the nested lookup, which is what CSV
/// headers and flattened JSON need.
#[derive(Clone, Debug)]
pub struct FieldPath {
    dotted: String,
    parts: Vec<String>,
}

impl FieldPath {
    pub fn new(dotted: &str) -> FieldPath {
        FieldPath {
            dotted: dotted.to_string(),
            parts: dotted.split('.').map(str::to_string).collect(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.dotted
    }

    /// The value at this path in `object`, if there is one.
    pub fn lookup<'v>(&self, object: &'v Map<String, Value>) -> Option<&'v Value> {
        if let Some(v) = object.get(&self.dotted) {
            return Some(v);
        }
        let (first, rest) = self.parts.split_first()?;
        within(object.get(first)?, rest)
    }

    /// [`FieldPath::lookup`] with `top` answering for the top-level keys.
    fn find<'v>(&self, top: impl Fn(&str) -> Option<Found<'v>>) -> Option<Found<'v>> {
        if let Some(v) = top(&self.dotted) {
            return Some(v);
        }
        // Here the path has two steps or more: a string has no members.
        let (first, rest) = self.parts.split_first()?;
        match top(first)? {
            Found::Value(v) => within(v, rest).map(Found::Value),
            Found::Text(_) => None,
        }
    }
}

/// The value `steps` down from `v`: object members by name, array items by
/// index.
fn within<'v>(mut v: &'v Value, steps: &[String]) -> Option<&'v Value> {
    for step in steps {
        v = match v {
            Value::Object(map) => map.get(step)?,
            Value::Array(items) => items.get(step.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// A top-level value as the event builder sees it: a string straight from
/// the line (one without escapes), or a parsed value.
#[derive(Clone, Copy)]
enum Found<'v> {
    Text(&'v str),
    Value(&'v Value),
}

/// Which fields of an event feed the id, type, source, channel and timestamp.
#[derive(Clone, Debug)]
pub struct FieldMap {
    pub id: FieldPath,
    pub kind: Field,
    pub source_type: Field,
    pub source_id: Field,
    pub time: FieldPath,
}

impl FieldMap {
    /// The default field names: id, type, source_type, source_id, time.
    pub fn defaults() -> FieldMap {
        FieldMap {
            id: FieldPath::new("id"),
            kind: Field::Path(FieldPath::new("type")),
            source_type: Field::Path(FieldPath::new("source_type")),
            source_id: Field::Path(FieldPath::new("source_id")),
            time: FieldPath::new("time"),
        }
    }
}

/// One valid event, ready to send: `value` is the Kafka record value.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub source_type: String,
    pub source_id: String,
    /// Milliseconds since the epoch from the time field; `None` means "now".
    pub timestamp: Option<i64>,
    pub value: Vec<u8>,
}

/// Why an input line is not an event, and where in the line (1-based column).
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    pub column: Option<usize>,
    pub reason: String,
}

impl Invalid {
    fn new(reason: impl Into<String>) -> Invalid {
        Invalid {
            column: None,
            reason: reason.into(),
        }
    }
}

/// Parse one NDJSON line (without its newline) into an event whose value is the
/// line exactly as given.
pub fn from_json_line(line: &[u8], fields: &FieldMap) -> Result<Event, Invalid> {
    let text = std::str::from_utf8(line).map_err(|e| Invalid {
        column: Some(e.valid_up_to() + 1),
        reason: "invalid UTF-8".to_string(),
    })?;
    match quick::event(text, line, fields) {
        Some(event) => event,
        None => from_whole_object(text, line, fields),
    }
}

/// [`from_json_line`] through the whole object as a `Value`.
fn from_whole_object(text: &str, line: &[u8], fields: &FieldMap) -> Result<Event, Invalid> {
    let value: Value = serde_json::from_str(text).map_err(|e| Invalid {
        column: Some(e.column()),
        reason: json_error_text(&e),
    })?;
    let Value::Object(object) = value else {
        return Err(Invalid::new(format!(
            "expected a JSON object, found {}",
            kind_of(&value)
        )));
    };
    // The derived id reads the line as written: `object` holds numbers
    // beyond 64 bits only approximately.
    let derive = || canonical::of_text(text).map(|c| id_of_canonical(&c));
    let top = |key: &str| object.get(key).map(Found::Value);
    build_with(top, derive, line.to_vec(), fields)?
        .ok_or_else(|| Invalid::new("JSON the canonical form cannot read"))
}

/// Turn one CSV record into an event whose value is a JSON object of the
/// header names and the record's fields (all strings).
pub fn from_csv_record(
    headers: &[String],
    record: &[&str],
    fields: &FieldMap,
) -> Result<Event, Invalid> {
    let object: Map<String, Value> = headers
        .iter()
        .zip(record)
        .map(|(h, v)| (h.clone(), Value::String((*v).to_string())))
        .collect();
    let value = serde_json::to_vec(&object).map_err(|e| Invalid::new(e.to_string()))?;
    build(&object, value, fields)
}

fn build(object: &Map<String, Value>, value: Vec<u8>, fields: &FieldMap) -> Result<Event, Invalid> {
    let top = |key: &str| object.get(key).map(Found::Value);
    build_with(top, || Some(derived_id(object)), value, fields)
        .map(|event| event.unwrap_or_else(|| unreachable!("a whole object derives its id")))
}

/// The event from its top-level fields (`top`); `derive` gives the id when
/// the event has none, or `None` when it cannot (then so does this).
fn build_with<'v>(
    top: impl Fn(&str) -> Option<Found<'v>> + Copy,
    derive: impl FnOnce() -> Option<String>,
    value: Vec<u8>,
    fields: &FieldMap,
) -> Result<Option<Event>, Invalid> {
    let kind = required(top, &fields.kind, "type")?;
    let source_type = required(top, &fields.source_type, "source_type")?;
    let source_id = required(top, &fields.source_id, "source_id")?;
    let id = match scalar(top, &fields.id, "id")? {
        Some(id) => id,
        None => match derive() {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    let time = match fields.time.find(top) {
        None | Some(Found::Value(Value::Null)) => None,
        Some(Found::Text(text)) => Some(parse_time_text(text)),
        Some(Found::Value(v)) => Some(parse_time(v)),
    };
    let timestamp = time
        .transpose()
        .map_err(|why| Invalid::new(format!("field {:?} (time): {why}", fields.time.as_str())))?;
    Ok(Some(Event {
        id,
        kind,
        source_type,
        source_id,
        timestamp,
        value,
    }))
}

fn required<'v>(
    top: impl Fn(&str) -> Option<Found<'v>>,
    field: &Field,
    role: &str,
) -> Result<String, Invalid> {
    match field {
        Field::Const(c) => Ok(c.clone()),
        Field::Path(path) => scalar(top, path, role)?.ok_or_else(|| {
            Invalid::new(format!(
                "missing field {:?} ({role}; point elsewhere with --{}-field or give a constant with --{})",
                path.as_str(),
                flag_name(role),
                flag_name(role)
            ))
        }),
    }
}

fn flag_name(role: &str) -> String {
    role.replace('_', "-")
}

/// A field as text: strings as they are, numbers and booleans as written;
/// `None` when absent or null, an error for objects and arrays.
fn scalar<'v>(
    top: impl Fn(&str) -> Option<Found<'v>>,
    path: &FieldPath,
    role: &str,
) -> Result<Option<String>, Invalid> {
    let found = match path.find(top) {
        None => return Ok(None),
        Some(Found::Text("")) => return Ok(None),
        Some(Found::Text(text)) => return Ok(Some(text.to_string())),
        Some(Found::Value(v)) => v,
    };
    match found {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        v @ (Value::Number(_) | Value::Bool(_)) => Ok(Some(v.to_string())),
        v => Err(Invalid::new(format!(
            "field {:?} ({role}) is {}, expected a string or number",
            path.as_str(),
            kind_of(v)
        ))),
    }
}

/// The hot path of [`from_json_line`]: one pass over the line that keeps
/// only the top-level values the field map needs (as `Value`s) and checks
/// the rest without building them. Profiled on 324-byte events, building a
/// whole `Value` (an ordered map, a `String` per key and value) was the
/// reader thread's main cost, and the reader was publish's slowest stage.
///
/// It accepts exactly what the full parse accepts (the same deserializer
/// reads every value, numbers and nesting depth included) and answers
/// `None` where the full parse must speak instead: any JSON error or a line
/// that is not an object (for the same message and column), and events
/// without an id (the derived id needs the whole object).
mod quick {
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;

    use super::{build_with, scan, Event, Field, FieldMap, FieldPath, Found, Invalid};

    pub fn event(text: &str, line: &[u8], fields: &FieldMap) -> Option<Result<Event, Invalid>> {
        let picked: Vec<(Cow<str>, Picked)> = match scan::top_level(text, |key| wanted(fields, key))
        {
            Some(raw) => {
                let mut picked = Vec::with_capacity(raw.len());
                for (key, raw) in raw {
                    picked.push((Cow::Borrowed(key), kept(raw)?));
                }
                picked
            }
            None => {
                let mut de = serde_json::Deserializer::from_str(text);
                let picked = de.deserialize_map(Picker { fields }).ok()?;
                de.end().ok()?;
                picked
            }
        };
        let top = |key: &str| {
            // The last of duplicate keys wins, as in a parsed object.
            let (_, kept) = picked.iter().rev().find(|(k, _)| k == key)?;
            Some(match kept {
                Picked::Text(text) => Found::Text(text),
                Picked::Value(v) => Found::Value(v),
            })
        };
        build_with(top, || None, line.to_vec(), fields).transpose()
    }

    /// A top-level value kept for the builder.
    enum Picked<'a> {
        Text(&'a str),
        Value(Value),
    }

    /// A value the first pass kept, as serde would have read it: strings
    /// as they are, whole numbers that surely fit a u64 without serde (as
    /// serde reads them), anything else through serde.
    fn kept(raw: scan::Written) -> Option<Picked> {
        match raw {
            scan::Written::Plain(text) => Some(Picked::Text(text)),
            scan::Written::Json(text)
                if (1..=19).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(Picked::Value(Value::from(text.parse::<u64>().ok()?)))
            }
            scan::Written::Json(text) => serde_json::from_str(text).ok().map(Picked::Value),
        }
    }

    /// Does a top-level `key` feed one of the fields: the whole dotted path
    /// (a literal key wins) or its first step.
    fn wanted(fields: &FieldMap, key: &str) -> bool {
        // A one-step path's first step is the whole path.
        let path = |p: &FieldPath| p.dotted == key || (p.parts.len() > 1 && p.parts[0] == key);
        let field = |f: &Field| matches!(f, Field::Path(p) if path(p));
        path(&fields.id)
            || path(&fields.time)
            || field(&fields.kind)
            || field(&fields.source_type)
            || field(&fields.source_id)
    }

    struct Picker<'f> {
        fields: &'f FieldMap,
    }

    impl<'de> Visitor<'de> for Picker<'_> {
        type Value = Vec<(Cow<'de, str>, Picked<'de>)>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut picked = Vec::with_capacity(8);
            while let Some(key) = map.next_key_seed(KeySeed)? {
                if wanted(self.fields, &key) {
                    let value: Value = map.next_value()?;
                    picked.push((key, Picked::Value(value)));
                } else {
                    map.next_value_seed(Check)?;
                }
            }
            Ok(picked)
        }
    }

    /// A key, borrowed from the line unless it has escapes.
    struct KeySeed;

    impl<'de> DeserializeSeed<'de> for KeySeed {
        type Value = Cow<'de, str>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for KeySeed {
        type Value = Cow<'de, str>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a key")
        }

        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_string()))
        }
    }

    /// Reads one value of any shape and keeps nothing: the same checks as
    /// parsing it into a `Value` (numbers in range, nesting depth, strings),
    /// without allocating.
    #[derive(Clone, Copy)]
    struct Check;

    impl<'de> DeserializeSeed<'de> for Check {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Check {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }

        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Check)?.is_some() {}
            Ok(())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_key_seed(Check)?.is_some() {
                map.next_value_seed(Check)?;
            }
            Ok(())
        }
    }
}

/// Parse a time field: RFC 3339 text, or epoch milliseconds (number or digits).
pub fn parse_time(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("{n} is not a whole number of epoch milliseconds"))
            .and_then(epoch_ms),
        Value::String(s) => parse_time_text(s),
        other => Err(format!(
            "is {}, expected RFC 3339 text or epoch ms",
            kind_of(other)
        )),
    }
}

/// Epoch milliseconds, refusing what is almost surely epoch seconds: as
/// milliseconds, anything below 10^11 is before March 1973, and a Kafka
/// timestamp that old is deleted by retention as soon as it is written.
fn epoch_ms(n: i64) -> Result<i64, String> {
    if n < 0 {
        return Err(format!("{n} is before 1970 (epoch milliseconds)"));
    }
    if n < 100_000_000_000 {
        return Err(format!(
            "{n} looks like epoch seconds; give epoch milliseconds ({n}000) or RFC 3339"
        ));
    }
    Ok(n)
}

/// RFC 3339 (`2026-11-24T10:00:00Z`, any offset) or epoch milliseconds.
pub fn parse_time_text(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .map_err(|e| format!("{s:?}: {e}"))
            .and_then(epoch_ms);
    }
    let ms = s
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| format!("{s:?} is neither RFC 3339 nor epoch milliseconds"))?;
    // Kafka has no timestamp before 1970 (a negative one means "none").
    if ms < 0 {
        return Err(format!("{s:?} is before 1970: Kafka cannot keep it"));
    }
    Ok(ms)
}

/// An id derived from the event's content: the SHA-256 of its canonical JSON
/// (keys sorted, no whitespace; an NDJSON line's numbers as written, see
/// [`canonical`]), so the same event gets the same id on every
/// run and retry, however it was formatted.
pub fn derived_id(object: &Map<String, Value>) -> String {
    let mut canonical = String::new();
    write_canonical_object(&mut canonical, object);
    id_of_canonical(&canonical)
}

/// The id of a canonical form: the first 16 bytes of its SHA-256, in hex.
fn id_of_canonical(canonical: &str) -> String {
    let digest = Sha256::digest(canonical.as_bytes());
    let mut id = String::with_capacity(32);
    for byte in &digest[..16] {
        let _ = write!(id, "{byte:02x}");
    }
    id
}

fn write_canonical_object(out: &mut String, map: &Map<String, Value>) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    out.push('{');
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(k.clone()).to_string());
        out.push(':');
        write_canonical(out, &map[k]);
    }
    out.push('}');
}

fn write_canonical(out: &mut String, v: &Value) {
    match v {
        Value::Object(map) => write_canonical_object(out, map),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json's message without its trailing " at line L column C" (we print
/// file:line:column ourselves).
fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    if text == "recursion limit exceeded" {
        // serde_json's limit, which keeps a hostile line from overflowing the stack.
        return "nested more than 128 levels deep".to_string();
    }
    if text == "expected ident" || text == "expected value" {
        // serde_json's words for a bare word (`not json`, `tru`) or nothing
        // where a value should be: say what would do, and at the line's
        // start that the line is not JSON at all.
        let values = "an object, array, string, number, true, false or null";
        if e.line() == 1 && e.column() <= 2 {
            return format!("not JSON: expected {values}");
        }
        return format!("expected a value: {values}");
    }
    text
}

/// The Redis channel template, checked once: `events:{source_type}:{source_id}`.
#[derive(Clone, Debug)]
pub struct ChannelTemplate {
    parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug)]
enum TemplatePart {
    Text(String),
    Id,
    Kind,
    SourceType,
    SourceId,
    Topic,
}

impl ChannelTemplate {
    /// Parse a template: `{name}` placeholders, `{{` and `}}` for literal
    /// braces (a Redis Cluster hash tag: `events:{{{source_type}}}:{source_id}`).
    pub fn parse(template: &str) -> Result<ChannelTemplate, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = template;
        while let Some(at) = rest.find(['{', '}']) {
            text.push_str(&rest[..at]);
            rest = &rest[at..];
            // `{{` and `}}` are one brace of text; so is a lone `}`, as it
            // always was.
            let literal = ["{{", "}}", "}"].into_iter().find(|l| rest.starts_with(l));
            if let Some(literal) = literal {
                text.push_str(&literal[..1]);
                rest = &rest[literal.len()..];
                continue;
            }
            let close = rest
                .find('}')
                .ok_or_else(|| format!("channel template {template:?}: unclosed '{{'"))?;
            let name = &rest[1..close];
            if !text.is_empty() {
                parts.push(TemplatePart::Text(std::mem::take(&mut text)));
            }
            parts.push(match name {
                "id" => TemplatePart::Id,
                "type" => TemplatePart::Kind,
                "source_type" => TemplatePart::SourceType,
                "source_id" => TemplatePart::SourceId,
                "topic" => TemplatePart::Topic,
                other => {
                    return Err(format!(
                        "channel template {template:?}: unknown placeholder {{{other}}} \
                         (known: {{source_type}} {{source_id}} {{type}} {{id}} {{topic}}; \
                         {{{{ and }}}} for literal braces)"
                    ))
                }
            });
            rest = &rest[close + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Ok(ChannelTemplate { parts })
    }

    pub fn render(&self, event: &Event, topic: &str) -> String {
        let mut out = String::with_capacity(64);
        self.render_into(&mut out, event, topic);
        out
    }

    /// [`ChannelTemplate::render`], appended to `out`.
    pub fn render_into(&self, out: &mut String, event: &Event, topic: &str) {
        for part in &self.parts {
            out.push_str(match part {
                TemplatePart::Text(t) => t,
                TemplatePart::Id => &event.id,
                TemplatePart::Kind => &event.kind,
                TemplatePart::SourceType => &event.source_type,
                TemplatePart::SourceId => &event.source_id,
                TemplatePart::Topic => topic,
            });
        }
    }

    /// The source type a channel was rendered with, read back through the
    /// template (a notification does not carry it). Each placeholder ends at
    /// the first occurrence of the text after it, the last one at the end of
    /// the channel; `None` when the channel does not fit the template, or
    /// two placeholders touch and the split is ambiguous.
    pub fn source_type_of<'c>(&self, channel: &'c str) -> Option<&'c str> {
        let mut rest = channel;
        let mut found = None;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            if let TemplatePart::Text(t) = part {
                rest = rest.strip_prefix(t.as_str())?;
                continue;
            }
            let value = match parts.peek() {
                None => std::mem::take(&mut rest),
                Some(TemplatePart::Text(next)) => {
                    let end = rest.find(next.as_str())?;
                    let (value, after) = rest.split_at(end);
                    rest = after;
                    value
                }
                Some(_) => return None,
            };
            if let TemplatePart::SourceType = part {
                found = Some(value);
            }
        }
        if rest.is_empty() {
            found
        } else {
            None
        }
    }
}

/// The Redis channel and notification of `event` once Kafka has stored it
/// at `topic`/`partition`/`offset`: what `publish` sends, what `replay
/// --to-redis` sends again, what `health --probe` sends and waits for, and
/// what `tail`'s catch-up compares live messages with. The one place both
/// are made, so "as publish would" holds by construction.
///
/// The notification is small: enough to filter on, and the coordinates to
/// fetch the full event from Kafka:
/// `{"id","type","source_id","topic","partition","offset"}`.
pub fn notification(
    template: &ChannelTemplate,
    event: &Event,
    topic: &str,
    place: Option<(i32, i64)>,
) -> (String, String) {
    let NoteDraft {
        text: mut channel,
        channel_len,
    } = NoteDraft::new(template, event, topic);
    let mut json = channel.split_off(channel_len);
    let mut tail = [0u8; PLACE_TEXT];
    // The end is ASCII: signs, digits and punctuation.
    json.extend(place_text(place, &mut tail).iter().map(|&b| char::from(b)));
    (channel, json)
}

/// A notification written before Kafka placed its event: its channel, and
/// its payload up to where the partition and offset go. `publish` keeps
/// one per event in flight (not the event) and finishes it when the
/// acknowledgement names the place.
#[derive(Debug)]
pub struct NoteDraft {
    /// The channel, then the payload's head.
    text: String,
    channel_len: usize,
}

/// Drafts the notifications of one topic's events, the topic's part of
/// them written once.
#[derive(Debug)]
pub struct Drafter {
    topic: String,
    /// `,"topic":` and the topic as a JSON string.
    topic_json: String,
}

impl Drafter {
    pub fn new(topic: &str) -> Drafter {
        let mut topic_json = String::from(",\"topic\":");
        json_string(&mut topic_json, topic);
        Drafter {
            topic: topic.to_string(),
            topic_json,
        }
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn draft(&self, template: &ChannelTemplate, event: &Event) -> NoteDraft {
        draft(template, event, &self.topic, |text| {
            text.push_str(&self.topic_json)
        })
    }
}

/// `event`'s draft; `topic_json` writes `,"topic":` and the topic.
fn draft(
    template: &ChannelTemplate,
    event: &Event,
    topic: &str,
    topic_json: impl FnOnce(&mut String),
) -> NoteDraft {
    // Written by hand (it is built once per event published): the same
    // text as serde_json gives for the struct of these fields, in this
    // order, the offsets left out without a place.
    let strings = event.id.len() + event.kind.len() + event.source_id.len() + topic.len();
    let mut text = String::with_capacity(2 * strings + 80);
    template.render_into(&mut text, event, topic);
    let channel_len = text.len();
    text.push_str("{\"id\":");
    json_string(&mut text, &event.id);
    text.push_str(",\"type\":");
    json_string(&mut text, &event.kind);
    text.push_str(",\"source_id\":");
    json_string(&mut text, &event.source_id);
    topic_json(&mut text);
    NoteDraft { text, channel_len }
}

/// The longest end of a notification's payload: `,"partition":…,"offset":…}`.
pub const PLACE_TEXT: usize = 64;

impl NoteDraft {
    pub fn new(template: &ChannelTemplate, event: &Event, topic: &str) -> NoteDraft {
        draft(template, event, topic, |text| {
            text.push_str(",\"topic\":");
            json_string(text, topic);
        })
    }

    pub fn channel(&self) -> &str {
        &self.text[..self.channel_len]
    }

    /// The payload at `place` (none: without the partition and offset), in
    /// two parts: the head kept, and the end (ASCII), written into `tail`.
    pub fn payload<'t>(
        &self,
        place: Option<(i32, i64)>,
        tail: &'t mut [u8; PLACE_TEXT],
    ) -> (&str, &'t [u8]) {
        (&self.text[self.channel_len..], place_text(place, tail))
    }
}

/// The end of a notification's payload: `,"partition":P,"offset":O}` at
/// `place`, `}` without one, written into `tail`.
fn place_text(place: Option<(i32, i64)>, tail: &mut [u8; PLACE_TEXT]) -> &[u8] {
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        tail[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    let mut digits = [0u8; 20];
    if let Some((partition, offset)) = place {
        put(b",\"partition\":");
        if partition < 0 {
            put(b"-");
        }
        put(decimal(u64::from(partition.unsigned_abs()), &mut digits));
        put(b",\"offset\":");
        if offset < 0 {
            put(b"-");
        }
        put(decimal(offset.unsigned_abs(), &mut digits));
    }
    put(b"}");
    &tail[..at]
}

/// `n` in decimal ASCII digits, written into `digits` (the notification's
/// numbers, RESP lengths: both written once per event published).
pub fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[at..]
}

/// `text` as a JSON string, escaped as serde_json escapes it.
fn json_string(out: &mut String, text: &str) {
    if text.bytes().any(|b| ESCAPED[usize::from(b)]) {
        // Serializing a string cannot fail.
        out.push_str(&serde_json::to_string(text).unwrap_or_default());
    } else {
        out.reserve(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
    }
}

/// The bytes a JSON string escapes: control characters, `"` and `\`.
static ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Where a notification points: the Kafka topic, partition and offset in its
/// payload, if it is one. Read without building the whole object: tail
/// asks this of every live message when it fills gaps.
pub fn coordinates(payload: &[u8]) -> Option<(String, i32, i64)> {
    #[derive(serde::Deserialize)]
    struct Place<'a> {
        #[serde(borrow)]
        topic: std::borrow::Cow<'a, str>,
        partition: i64,
        offset: i64,
    }
    let place: Place = serde_json::from_slice(payload).ok()?;
    Some((
        place.topic.into_owned(),
        i32::try_from(place.partition).ok()?,
        place.offset,
    ))
}

#[cfg(test)]
mod tests;
