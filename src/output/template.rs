//! Output templates: `replay --format '{partition}@{offset} {value.type}'`,
//! `tail --format '{channel} {payload.id}'`, and the columns of `--fields`.
//!
//! A template is compiled once (a bad placeholder is a usage error naming
//! it and its column) and rendered into one reused line buffer: a dotted
//! path is looked up in the record's JSON bytes by a seeking deserializer
//! that borrows what it finds, so rendering allocates nothing but the line
//! (and a key or string that holds JSON escapes). A path that is not there
//! renders as nothing, never as an error; so does JSON `null`. Strings are
//! shown without their quotes; numbers keep their digits; objects and arrays
//! are compact JSON. Escaping follows the rest of the output: control
//! characters escaped on a terminal, bytes kept on a pipe.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// What a template is rendered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A Kafka record (`replay`).
    Record,
    /// A Redis message (`tail`); `fetch`: the full event is read too.
    Message { fetch: bool },
}

/// How a point in time is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// RFC 3339 in UTC, to the millisecond: `2026-12-01T10:00:00.000Z`.
    Rfc3339,
    /// Epoch milliseconds.
    Millis,
}

/// A dotted path into a JSON document; empty: the whole document. A
/// top-level key that holds the dots literally wins over the nested lookup,
/// as in `--filter` and the field flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPath {
    dotted: String,
    parts: Vec<String>,
}

impl JsonPath {
    fn new(dotted: &str) -> JsonPath {
        JsonPath {
            dotted: dotted.to_string(),
            parts: if dotted.is_empty() {
                Vec::new()
            } else {
                dotted.split('.').map(str::to_string).collect()
            },
        }
    }
}

/// One placeholder, resolved for its subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placeholder {
    Topic,
    Partition,
    Offset,
    Key,
    Timestamp(Clock),
    Header(String),
    /// The record's value (replay), or what tail shows: the event with
    /// --fetch, else the payload.
    Value(JsonPath),
    Channel,
    Pattern,
    ReceivedAt(Clock),
    /// `redis`, or `kafka` for a message read from Kafka.
    Origin,
    /// The Redis message as it came (the notification).
    Payload(JsonPath),
    /// The full event (tail --fetch).
    Event(JsonPath),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Placeholder(Placeholder),
}

/// A compiled `--format` template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Piece>,
}

/// What a subject gives for a field, borrowed from it.
pub enum Lookup<'a> {
    /// Bytes shown as text.
    Text(&'a [u8]),
    Int(i64),
    /// Epoch ms (`None`: the record has no timestamp).
    Time(Option<i64>),
    /// A JSON document (or text that is not JSON), for the field's path.
    Doc(&'a [u8]),
    Nothing,
}

const RECORD_NAMES: &str = "{topic} {partition} {offset} {key} {timestamp} {timestamp:ms} \
    {headers.NAME} {value} {value.PATH}";
const MESSAGE_NAMES: &str = "{received_at} {received_at:ms} {channel} {pattern} {source} \
    {topic} {partition} {offset} {key} {payload} {payload.PATH} {value} {value.PATH}, and with \
    --fetch {event} {event.PATH}";

impl Subject {
    fn names(self) -> &'static str {
        match self {
            Subject::Record => RECORD_NAMES,
            Subject::Message { .. } => MESSAGE_NAMES,
        }
    }

    /// The field a placeholder's name stands for, or why it stands for none.
    fn field(self, name: &str) -> Result<Placeholder, String> {
        let (name, clock) = match name.split_once(':') {
            Some((n, "ms")) => (n, Some(Clock::Millis)),
            Some((n, form)) => {
                return Err(format!(
                    "{{{n}:{form}}}: unknown time form {form:?} (only :ms, epoch milliseconds; \
                     without one: RFC 3339 in UTC)"
                ))
            }
            None => (name, None),
        };
        let clocked = clock.unwrap_or(Clock::Rfc3339);
        let path = |prefix: &str| -> Option<JsonPath> {
            if name == prefix {
                Some(JsonPath::new(""))
            } else {
                name.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .filter(|rest| !rest.is_empty())
                    .map(JsonPath::new)
            }
        };
        let field = match (self, name) {
            (Subject::Record, "timestamp") => Some(Placeholder::Timestamp(clocked)),
            (Subject::Message { .. }, "received_at") => Some(Placeholder::ReceivedAt(clocked)),
            _ if clock.is_some() => {
                return Err(format!(
                    "{{{name}:ms}}: only a time takes :ms ({})",
                    match self {
                        Subject::Record => "{timestamp:ms}",
                        Subject::Message { .. } => "{received_at:ms}",
                    }
                ))
            }
            (Subject::Record, "topic") => Some(Placeholder::Topic),
            (Subject::Record, "partition") => Some(Placeholder::Partition),
            (Subject::Record, "offset") => Some(Placeholder::Offset),
            (Subject::Record, "key") => Some(Placeholder::Key),
            (Subject::Record, "headers") => {
                return Err("{headers} needs a header's name: {headers.NAME}".to_string())
            }
            (Subject::Record, _) if name.starts_with("headers.") => {
                Some(Placeholder::Header(name["headers.".len()..].to_string()))
            }
            (Subject::Message { .. }, "channel") => Some(Placeholder::Channel),
            (Subject::Message { .. }, "pattern") => Some(Placeholder::Pattern),
            (Subject::Message { .. }, "source") => Some(Placeholder::Origin),
            // The notification carries the record's coordinates, and its
            // key as source_id.
            (Subject::Message { .. }, "topic" | "partition" | "offset") => {
                Some(Placeholder::Payload(JsonPath::new(name)))
            }
            (Subject::Message { .. }, "key") => {
                Some(Placeholder::Payload(JsonPath::new("source_id")))
            }
            (Subject::Message { fetch }, _) if path("event").is_some() => {
                if !fetch {
                    return Err(format!(
                        "{{{name}}} is the full event from Kafka: it needs --fetch"
                    ));
                }
                path("event").map(Placeholder::Event)
            }
            (Subject::Message { .. }, _) if path("payload").is_some() => {
                path("payload").map(Placeholder::Payload)
            }
            _ => path("value").map(Placeholder::Value),
        };
        field.ok_or_else(|| format!("unknown placeholder {{{name}}}"))
    }
}

impl Template {
    /// Compile `text`: `{name}` placeholders, `{{` and `}}` for literal
    /// braces. An error names the placeholder and its column (1-based,
    /// in characters).
    pub fn parse(text: &str, subject: Subject) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        let column = |at: usize| text[..at].chars().count() + 1;
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|&(_, n)| n == '{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().is_some_and(|&(_, n)| n == '}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(format!(
                        "column {}: a lone '}}' (write }}}} for a literal brace)",
                        column(at)
                    ))
                }
                '{' => {
                    let rest = &text[at + 1..];
                    let Some(close) = rest
                        .find(['}', '{'])
                        .filter(|&i| rest[i..].starts_with('}'))
                    else {
                        return Err(format!(
                            "column {}: '{{' is not closed (write {{{{ for a literal brace)",
                            column(at)
                        ));
                    };
                    let name = &rest[..close];
                    let field = subject.field(name).map_err(|why| {
                        format!(
                            "column {}: {why}; placeholders: {}",
                            column(at),
                            subject.names()
                        )
                    })?;
                    if !literal.is_empty() {
                        parts.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Piece::Placeholder(field));
                    // Past the name and its closing brace.
                    for _ in 0..name.chars().count() + 1 {
                        chars.next();
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Piece::Text(literal));
        }
        Ok(Template { parts })
    }

    /// `--fields a,b.c`: one single-placeholder template per column, and
    /// the names for the header line.
    pub fn columns(names: &[String], subject: Subject) -> Result<Vec<Template>, String> {
        names
            .iter()
            .map(|name| {
                let name = name.trim();
                let name = name
                    .strip_prefix('{')
                    .and_then(|n| n.strip_suffix('}'))
                    .unwrap_or(name);
                subject
                    .field(name)
                    .map(|f| Template {
                        parts: vec![Piece::Placeholder(f)],
                    })
                    .map_err(|why| format!("{why}; fields: {}", subject.names()))
            })
            .collect()
    }

    /// Append the rendering to `line`; `look` gives what the subject holds
    /// for each field; `escape`: control characters as visible escapes.
    pub fn render<'a>(
        &self,
        line: &mut Vec<u8>,
        escape: bool,
        look: impl Fn(&Placeholder) -> Lookup<'a>,
    ) {
        for part in &self.parts {
            match part {
                Piece::Text(t) => line.extend_from_slice(t.as_bytes()),
                Piece::Placeholder(f) => render_field(line, escape, f, look(f)),
            }
        }
    }
}

fn render_field(line: &mut Vec<u8>, escape: bool, field: &Placeholder, source: Lookup<'_>) {
    match source {
        Lookup::Text(bytes) => push_text(line, bytes, escape),
        Lookup::Int(n) => {
            let _ = write!(line, "{n}");
        }
        Lookup::Time(None) | Lookup::Nothing => {}
        Lookup::Time(Some(ms)) => {
            let clock = match field {
                Placeholder::Timestamp(c) | Placeholder::ReceivedAt(c) => *c,
                _ => Clock::Millis,
            };
            match (clock, jiff::Timestamp::from_millisecond(ms)) {
                (Clock::Rfc3339, Ok(t)) => {
                    let _ = write!(line, "{t:.3}");
                }
                _ => {
                    let _ = write!(line, "{ms}");
                }
            }
        }
        Lookup::Doc(doc) => {
            let path = match field {
                Placeholder::Value(p) | Placeholder::Payload(p) | Placeholder::Event(p) => p,
                _ => return,
            };
            push_json_at(line, doc, path, escape);
        }
    }
}

/// Bytes as text: kept as they are, or (escape) read as UTF-8 (invalid
/// bytes as U+FFFD) with control characters as visible escapes.
pub fn push_text(line: &mut Vec<u8>, bytes: &[u8], escape: bool) {
    if !escape {
        line.extend_from_slice(bytes);
        return;
    }
    let text = String::from_utf8_lossy(bytes);
    let mut buf = [0u8; 4];
    for c in text.chars() {
        match c {
            '\n' => line.extend_from_slice(b"\\n"),
            c if c.is_control() => {
                let _ = write!(line, "{}", c.escape_default());
            }
            c => line.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
}

/// The value at `path` in `doc`: a string without its quotes, anything else
/// as compact JSON, nothing for `null` or a path that is not there. A `doc`
/// that is not JSON is shown as text for the whole-document path.
fn push_json_at(line: &mut Vec<u8>, doc: &[u8], path: &JsonPath, escape: bool) {
    let found = if path.parts.is_empty() {
        match serde_json::from_slice::<&RawValue>(doc) {
            Ok(raw) => Some(raw),
            Err(_) => return push_text(line, doc, escape),
        }
    } else {
        let mut de = serde_json::Deserializer::from_slice(doc);
        Seek {
            parts: &path.parts,
            whole: (path.parts.len() > 1).then_some(path.dotted.as_str()),
        }
        .deserialize(&mut de)
        .ok()
        .flatten()
    };
    let Some(raw) = found else { return };
    let json = raw.get();
    if json.starts_with('"') {
        if let Ok(Text(text)) = serde_json::from_str::<Text>(json) {
            push_text(line, text.as_bytes(), escape);
        }
    } else if json != "null" {
        // JSON holds no raw control characters (they are escaped inside
        // strings): nothing to escape.
        let _ = write_compact(line, json.as_bytes());
    }
}

/// A whole document as [`Template`] shows `{value}`: compact JSON (a string
/// without quotes), or the text when it is not JSON.
pub fn push_json(line: &mut Vec<u8>, doc: &[u8], escape: bool) {
    push_json_at(line, doc, &JsonPath::new(""), escape);
}

/// Valid JSON without the whitespace between its tokens: on one line.
pub fn write_compact(w: &mut impl Write, json: &[u8]) -> std::io::Result<()> {
    let spaced = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    if !json.iter().any(spaced) {
        return w.write_all(json);
    }
    let (mut in_string, mut escaped) = (false, false);
    let mut out = Vec::with_capacity(json.len());
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if spaced(&b) {
            continue;
        }
        out.push(b);
    }
    w.write_all(&out)
}

/// A JSON string or key, borrowed unless it holds escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Walks a JSON document to `parts`, skipping everything else, and hands
/// back the raw value found there (borrowed from the document).
struct Seek<'p> {
    parts: &'p [String],
    /// At the top level: the whole dotted path as one key, which wins.
    whole: Option<&'p str>,
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = Option<&'de RawValue>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some((first, rest)) = self.parts.split_first() else {
            return Ok(None);
        };
        let (mut nested, mut whole) = (None, None);
        while let Some(Text(key)) = map.next_key::<Text>()? {
            if self.whole == Some(&*key) {
                whole = Some(map.next_value::<&RawValue>()?);
            } else if *key == **first {
                nested = if rest.is_empty() {
                    Some(map.next_value::<&RawValue>()?)
                } else {
                    map.next_value_seed(Seek {
                        parts: rest,
                        whole: None,
                    })?
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(whole.or(nested))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let index = self
            .parts
            .split_first()
            .and_then(|(first, rest)| Some((first.parse::<usize>().ok()?, rest)));
        let mut found = None;
        if let Some((index, rest)) = index {
            let mut i = 0;
            loop {
                if i == index {
                    found = if rest.is_empty() {
                        seq.next_element::<&RawValue>()?
                    } else {
                        seq.next_element_seed(Seek {
                            parts: rest,
                            whole: None,
                        })?
                        .flatten()
                    };
                    break;
                }
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
                i += 1;
            }
        }
        // The rest of the array is read past, as the deserializer wants.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(found)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: Subject = Subject::Record;

    fn doc_render(template: &str, doc: &[u8], escape: bool) -> String {
        let t = Template::parse(template, RECORD).unwrap();
        let mut line = Vec::new();
        t.render(&mut line, escape, |f| match f {
            Placeholder::Value(_) => Lookup::Doc(doc),
            Placeholder::Partition => Lookup::Int(2),
            Placeholder::Offset => Lookup::Int(17),
            Placeholder::Key => Lookup::Text(b"k\x1b"),
            Placeholder::Timestamp(_) => Lookup::Time(Some(1_700_000_000_123)),
            Placeholder::Header(h) if h == "id" => Lookup::Text(b"h-1"),
            _ => Lookup::Nothing,
        });
        String::from_utf8_lossy(&line).into_owned()
    }

    #[test]
    fn placeholders_paths_and_escapes() {
        let doc = br#"{"type":"push","n":1.50,"repo":{"name":"a\"b","tags":["x","y"]},"a.b":"flat","nul":null}"#;
        assert_eq!(
            doc_render("{partition}@{offset} {value.type}", doc, false),
            "2@17 push"
        );
        assert_eq!(doc_render("{value.n}", doc, false), "1.50");
        assert_eq!(doc_render("{value.repo.name}", doc, false), "a\"b");
        assert_eq!(
            doc_render("{value.repo}", doc, false),
            r#"{"name":"a\"b","tags":["x","y"]}"#
        );
        assert_eq!(doc_render("{value.repo.tags.1}", doc, false), "y");
        assert_eq!(doc_render("{value.a.b}", doc, false), "flat");
        assert_eq!(
            doc_render("[{value.missing}|{value.nul}|{value.n.x}]", doc, false),
            "[||]"
        );
        assert_eq!(doc_render("{{{value.type}}}", doc, false), "{push}");
        assert_eq!(
            doc_render("{headers.id} {headers.none}.", doc, false),
            "h-1 ."
        );
        assert_eq!(
            doc_render("{timestamp} {timestamp:ms}", doc, false),
            "2023-11-14T22:13:20.123Z 1700000000123"
        );
    }

    #[test]
    fn control_characters_are_escaped_only_on_a_terminal() {
        assert_eq!(doc_render("{key}", b"{}", false), "k\x1b");
        assert_eq!(doc_render("{key}", b"{}", true), "k\\u{1b}");
        let doc = br#"{"s":"a\nb\u001b"}"#;
        assert_eq!(doc_render("{value.s}", doc, true), "a\\nb\\u{1b}");
        assert_eq!(doc_render("{value.s}", doc, false), "a\nb\x1b");
        // Not JSON: the whole value as text; a path finds nothing.
        assert_eq!(
            doc_render("{value}|{value.x}", b"plain\x07", true),
            "plain\\u{7}|"
        );
    }

    #[test]
    fn bad_templates_name_the_placeholder_and_its_column() {
        let err = |t: &str, s: Subject| Template::parse(t, s).unwrap_err();
        let e = err("{partition} {vaule.type}", RECORD);
        assert!(
            e.starts_with("column 13: unknown placeholder {vaule.type}; placeholders: {topic}"),
            "{e}"
        );
        assert!(err("ab {offset", RECORD).starts_with("column 4: '{' is not closed"));
        assert!(err("a } b", RECORD).starts_with("column 3: a lone '}'"));
        assert!(err("{timestamp:iso}", RECORD).contains("unknown time form \"iso\""));
        assert!(err("{offset:ms}", RECORD).contains("only a time takes :ms"));
        assert!(err("{headers}", RECORD).contains("{headers.NAME}"));
        assert!(err("{event.type}", Subject::Message { fetch: false }).contains("needs --fetch"));
        assert!(err("{channel}", RECORD).contains("unknown placeholder {channel}"));
        assert!(err("é{x}", RECORD).starts_with("column 2:"));
    }

    #[test]
    fn message_fields() {
        let t = Template::parse(
            "{received_at:ms} {channel} {key} {partition} {payload.id} {value.id} {event.id}",
            Subject::Message { fetch: true },
        )
        .unwrap();
        let payload = br#"{"id":"n1","source_id":"s1","partition":3}"#;
        let event = br#"{"id":"e1"}"#;
        let mut line = Vec::new();
        t.render(&mut line, false, |f| match f {
            Placeholder::ReceivedAt(_) => Lookup::Time(Some(5)),
            Placeholder::Channel => Lookup::Text(b"events:a"),
            Placeholder::Payload(_) => Lookup::Doc(payload),
            Placeholder::Value(_) | Placeholder::Event(_) => Lookup::Doc(event),
            _ => Lookup::Nothing,
        });
        assert_eq!(line, b"5 events:a s1 3 n1 e1 e1");
    }

    #[test]
    fn columns_of_fields() {
        let cols = Template::columns(&["offset".into(), "{value.type}".into()], RECORD).unwrap();
        assert_eq!(cols.len(), 2);
        assert!(Template::columns(&["nope".into()], RECORD)
            .unwrap_err()
            .starts_with("unknown placeholder {nope}; fields:"));
    }

    #[test]
    fn hostile_documents_render_nothing_rather_than_fail() {
        let deep = "[".repeat(100_000);
        assert_eq!(doc_render("[{value.a.b}]", deep.as_bytes(), false), "[]");
        assert_eq!(doc_render("[{value.a}]", b"{\"a\":", false), "[]");
        assert_eq!(doc_render("[{value.0}]", b"[1,2", false), "[]");
    }
}
