//! The one convention for records and messages on stdout (and in the
//! dead-letter file): `tail`'s lines, `replay`'s values, envelopes and CSV,
//! `publish --dry-run`'s lines.
//!
//! Bytes in JSON: a field whose bytes are JSON is embedded as JSON where a
//! payload is expected; text is a string; bytes that are not UTF-8 are never
//! mangled: the field is `null` and a sibling field `<name>_base64` holds
//! them in standard base64 (RFC 4648, padded). The same rule holds inside
//! the `headers` object of an envelope. CSV and text keep UTF-8 and replace
//! invalid bytes (U+FFFD); on a terminal, control characters are escaped.

use std::io::Write;

use anyhow::{Context, Result};
use base64::Engine as _;
use rdkafka::message::{Headers, Message};
use serde_json::{json, Map, Value};

use super::template::{push_json, push_text, write_compact, Lookup, Placeholder, Template};
use crate::event::Event;

/// How records look on this stdout (decided by [`super::Output::style`]).
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    /// Escape control characters (stdout is a terminal).
    pub escape: bool,
}

/// Put `bytes` under `key`: a string when they are UTF-8, else `null` and
/// `<key>_base64`.
pub fn put_bytes(obj: &mut Map<String, Value>, key: &str, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            obj.insert(key.to_string(), json!(text));
        }
        Err(_) => put_base64(obj, key, bytes),
    }
}

fn put_base64(obj: &mut Map<String, Value>, key: &str, bytes: &[u8]) {
    obj.insert(key.to_string(), Value::Null);
    obj.insert(
        format!("{key}_base64"),
        json!(base64::engine::general_purpose::STANDARD.encode(bytes)),
    );
}

/// `tail`'s output formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TailLayout {
    Pretty,
    Json,
    Csv,
    Raw,
    /// `--format TEMPLATE`.
    Template(Template),
    /// `--fields` (CSV, or TSV with `tab`), and `--format tsv`.
    Columns(Columns),
}

/// Columns picked by `--fields` (or a format's default ones), with the
/// header line's names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    /// Tab separated (TSV) rather than commas.
    pub tab: bool,
    pub names: Vec<String>,
    pub templates: Vec<Template>,
}

impl Columns {
    fn header(&self, w: &mut impl Write) -> Result<()> {
        if self.tab {
            let mut line = Vec::new();
            for (i, name) in self.names.iter().enumerate() {
                if i > 0 {
                    line.push(b'\t');
                }
                push_tsv(&mut line, name.as_bytes());
            }
            line.push(b'\n');
            return Ok(w.write_all(&line)?);
        }
        let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(w);
        csv.write_record(&self.names)?;
        csv.flush()?;
        Ok(())
    }

    /// One row: each column rendered into its reused buffer, the row into
    /// the reused line (no allocation once they have grown). TSV has no
    /// quoting: a tab, newline, carriage return or backslash in a value is
    /// written `\t`, `\n`, `\r`, `\\` (as PostgreSQL's text COPY does).
    fn row<'a>(
        &self,
        w: &mut impl Write,
        (line, cells): (&mut Vec<u8>, &mut Vec<Vec<u8>>),
        escape: bool,
        look: impl Fn(&Placeholder) -> Lookup<'a>,
    ) -> Result<()> {
        cells.resize_with(self.templates.len(), Vec::new);
        for (cell, t) in cells.iter_mut().zip(&self.templates) {
            cell.clear();
            t.render(cell, escape, &look);
        }
        line.clear();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push(if self.tab { b'\t' } else { b',' });
            }
            if self.tab {
                push_tsv(line, cell);
            } else {
                push_csv(line, cell, cells.len() == 1);
            }
        }
        line.push(b'\n');
        Ok(w.write_all(line)?)
    }
}

/// An RFC 4180 field: quoted when it holds a comma, a quote or a line
/// break (quotes doubled), or when it is the only, empty, field of a row
/// (which would otherwise read as no row at all).
fn push_csv(line: &mut Vec<u8>, value: &[u8], alone: bool) {
    let quoted = (alone && value.is_empty())
        || value
            .iter()
            .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if !quoted {
        line.extend_from_slice(value);
        return;
    }
    line.push(b'"');
    for &b in value {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
}

/// A TSV value: tab, newline, carriage return and backslash escaped.
fn push_tsv(line: &mut Vec<u8>, value: &[u8]) {
    for &b in value {
        match b {
            b'\t' => line.extend_from_slice(b"\\t"),
            b'\n' => line.extend_from_slice(b"\\n"),
            b'\r' => line.extend_from_slice(b"\\r"),
            b'\\' => line.extend_from_slice(b"\\\\"),
            b => line.push(b),
        }
    }
}

/// One message for `tail` to print: off the wire, or rebuilt from Kafka.
pub struct Received {
    pub received_at: jiff::Timestamp,
    pub channel: Vec<u8>,
    pub pattern: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    /// Read from Kafka (`--catch-up`) rather than received from Redis.
    pub from_kafka: bool,
    /// The full event, with `--fetch`.
    pub event: Option<Vec<u8>>,
}

pub struct TailPrinter {
    format: TailLayout,
    /// --fetch: print the full event (json: beside the notification).
    fetch: bool,
    color: bool,
    /// Escape control characters: they must never reach a terminal raw.
    escape: bool,
    /// The last `received_at` shown, by millisecond (a burst shares it).
    stamp: (i64, String),
    /// The line a template renders into, reused.
    line: Vec<u8>,
    /// The cells of `--fields`, reused.
    cells: Vec<Vec<u8>>,
}

impl TailPrinter {
    pub fn new(format: TailLayout, style: Style, fetch: bool) -> TailPrinter {
        TailPrinter {
            format,
            fetch,
            color: style.color,
            escape: style.escape,
            stamp: (i64::MIN, String::new()),
            line: Vec::new(),
            cells: Vec::new(),
        }
    }

    /// `at` to the millisecond, as text.
    fn stamp(&mut self, at: jiff::Timestamp) -> String {
        let ms = at.as_millisecond();
        if self.stamp.0 != ms {
            self.stamp = (ms, format!("{at:.3}"));
        }
        self.stamp.1.clone()
    }

    pub fn header(&self, w: &mut impl Write) -> Result<()> {
        match &self.format {
            TailLayout::Csv => {
                let event = if self.fetch { ",event" } else { "" };
                writeln!(w, "received_at,channel,pattern,payload,source{event}")?;
            }
            TailLayout::Columns(columns) => columns.header(w)?,
            _ => {}
        }
        Ok(())
    }

    pub fn print(&mut self, w: &mut impl Write, msg: &Received) -> Result<()> {
        let fetch = self.fetch;
        let look = |f: &Placeholder| message_field(msg, fetch, f);
        match &self.format {
            TailLayout::Template(t) => {
                self.line.clear();
                t.render(&mut self.line, self.escape, look);
                self.line.push(b'\n');
                return Ok(w.write_all(&self.line)?);
            }
            TailLayout::Columns(c) => {
                return c.row(w, (&mut self.line, &mut self.cells), self.escape, look)
            }
            _ => {}
        }
        let time = self.stamp(msg.received_at);
        match self.format {
            TailLayout::Template(_) | TailLayout::Columns(_) => {}
            TailLayout::Json => write_tail_json(w, &time, msg)?,
            TailLayout::Csv => {
                let pattern = msg.pattern.as_deref().map(lossy).unwrap_or_default();
                let mut fields = vec![
                    time,
                    lossy(&msg.channel),
                    pattern,
                    lossy(&msg.payload),
                    source(msg).to_string(),
                ];
                if self.fetch {
                    fields.push(msg.event.as_deref().map(lossy).unwrap_or_default());
                }
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(&mut *w);
                csv.write_record(fields.iter().map(|f| self.clean(f)))?;
                csv.flush()?;
            }
            TailLayout::Raw => {
                let bytes = self.shown(msg);
                if self.escape {
                    writeln!(w, "{}", self.clean(&lossy(bytes)))?;
                } else {
                    w.write_all(bytes)?;
                    w.write_all(b"\n")?;
                }
            }
            TailLayout::Pretty => {
                let payload = self.clean(&compact(self.shown(msg)));
                let clock = time.get(11..23).unwrap_or(&time);
                let channel = self.clean(&lossy(&msg.channel));
                let tag = if msg.from_kafka { " (kafka)" } else { "" };
                if self.color {
                    writeln!(w, "\x1b[2m{clock}\x1b[0m \x1b[36m{channel}\x1b[0m\x1b[2m{tag}\x1b[0m {payload}")?;
                } else {
                    writeln!(w, "{clock} {channel}{tag} {payload}")?;
                }
            }
        }
        Ok(())
    }

    /// What raw and pretty show: the full event with --fetch, else the payload.
    fn shown<'m>(&self, msg: &'m Received) -> &'m [u8] {
        match (&msg.event, self.fetch) {
            (Some(event), true) => event,
            _ => &msg.payload,
        }
    }

    /// Text for output: control characters escaped on a terminal, and always
    /// in the pretty format (which is for people).
    fn clean(&self, text: &str) -> String {
        if self.escape || self.format == TailLayout::Pretty {
            escape_controls(text)
        } else {
            text.to_string()
        }
    }
}

/// What a tail message holds for a template's field.
fn message_field<'a>(msg: &'a Received, fetch: bool, field: &Placeholder) -> Lookup<'a> {
    match field {
        Placeholder::ReceivedAt(_) => Lookup::Time(Some(msg.received_at.as_millisecond())),
        Placeholder::Channel => Lookup::Text(&msg.channel),
        Placeholder::Pattern => msg.pattern.as_deref().map_or(Lookup::Nothing, Lookup::Text),
        Placeholder::Origin => Lookup::Text(source(msg).as_bytes()),
        Placeholder::Payload(_) => Lookup::Doc(&msg.payload),
        Placeholder::Event(_) => msg.event.as_deref().map_or(Lookup::Nothing, Lookup::Doc),
        Placeholder::Value(_) => match (&msg.event, fetch) {
            (Some(event), true) => Lookup::Doc(event),
            _ => Lookup::Doc(&msg.payload),
        },
        _ => Lookup::Nothing,
    }
}

/// What a Kafka record holds for a template's field.
fn record_field<'a, M: Message>(m: &'a M, field: &Placeholder) -> Lookup<'a> {
    match field {
        Placeholder::Topic => Lookup::Text(m.topic().as_bytes()),
        Placeholder::Partition => Lookup::Int(i64::from(m.partition())),
        Placeholder::Offset => Lookup::Int(m.offset()),
        Placeholder::Key => m.key().map_or(Lookup::Nothing, Lookup::Text),
        Placeholder::Timestamp(_) => Lookup::Time(m.timestamp().to_millis()),
        Placeholder::Header(name) => m
            .headers()
            .and_then(|hs| hs.iter().find(|h| h.key == name))
            .and_then(|h| h.value)
            .map_or(Lookup::Nothing, Lookup::Text),
        Placeholder::Value(_) => m.payload().map_or(Lookup::Nothing, Lookup::Doc),
        _ => Lookup::Nothing,
    }
}

pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Control characters as visible escapes (`\u{1b}`), newlines included.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// A JSON payload on one line; anything else as text.
fn compact(payload: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(v) => v.to_string(),
        Err(_) => lossy(payload),
    }
}

fn source(msg: &Received) -> &'static str {
    if msg.from_kafka {
        "kafka"
    } else {
        "redis"
    }
}

/// The `tail --format json` line: `received_at`, `channel`, `pattern`,
/// `payload`, `source` (`redis`, or `kafka` for --catch-up), and `event` with
/// --fetch. Written field by field, with a JSON payload copied as it came
/// (checked, not rebuilt): tail must keep up with a flood.
pub fn write_tail_json(w: &mut impl Write, time: &str, msg: &Received) -> Result<()> {
    w.write_all(b"{\"received_at\":")?;
    serde_json::to_writer(&mut *w, time)?;
    w.write_all(b",\"channel\":")?;
    serde_json::to_writer(&mut *w, &String::from_utf8_lossy(&msg.channel))?;
    w.write_all(b",\"pattern\":")?;
    match &msg.pattern {
        Some(p) => serde_json::to_writer(&mut *w, &String::from_utf8_lossy(p))?,
        None => w.write_all(b"null")?,
    }
    w.write_all(b",")?;
    write_payload(w, "payload", &msg.payload)?;
    w.write_all(b",\"source\":")?;
    serde_json::to_writer(&mut *w, source(msg))?;
    if let Some(event) = &msg.event {
        w.write_all(b",")?;
        write_payload(w, "event", event)?;
    }
    w.write_all(b"}\n")?;
    Ok(())
}

/// `"key":` and a payload: embedded JSON when it is JSON, checked and
/// copied without its whitespace rather than rebuilt (numbers keep their
/// digits).
fn write_payload(w: &mut impl Write, key: &str, bytes: &[u8]) -> Result<()> {
    serde_json::to_writer(&mut *w, key)?;
    w.write_all(b":")?;
    if let Ok(raw) = serde_json::from_slice::<&serde_json::value::RawValue>(bytes) {
        return Ok(write_compact(w, raw.get().as_bytes())?);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::to_writer(&mut *w, text)?,
        Err(_) => {
            w.write_all(b"null,")?;
            serde_json::to_writer(&mut *w, &format!("{key}_base64"))?;
            w.write_all(b":")?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            serde_json::to_writer(&mut *w, &encoded)?;
        }
    }
    Ok(())
}

/// `replay`'s output formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordFormat {
    /// Each value byte for byte, one a line.
    Ndjson,
    Envelope,
    Csv,
    /// For people (the default on a terminal): time, partition@offset, key,
    /// the value on one line, control characters escaped.
    Pretty,
    /// `--format TEMPLATE`.
    Template(Template),
    /// `--fields` (CSV, or TSV), and `--format tsv`.
    Columns(Columns),
}

/// Writes Kafka records to stdout in a [`RecordFormat`].
pub struct RecordPrinter {
    format: RecordFormat,
    csv_header: bool,
    style: Style,
    /// The line a template or the pretty format renders into, reused.
    line: Vec<u8>,
    /// The cells of `--fields`, reused.
    cells: Vec<Vec<u8>>,
}

impl RecordPrinter {
    pub fn new(format: RecordFormat, style: Style) -> RecordPrinter {
        RecordPrinter {
            format,
            csv_header: true,
            style,
            line: Vec::new(),
            cells: Vec::new(),
        }
    }

    pub fn print<M: Message>(&mut self, w: &mut impl Write, m: &M) -> Result<()> {
        let look = |f: &Placeholder| record_field(m, f);
        match &self.format {
            RecordFormat::Template(t) => {
                self.line.clear();
                t.render(&mut self.line, self.style.escape, look);
                self.line.push(b'\n');
                return Ok(w.write_all(&self.line)?);
            }
            RecordFormat::Columns(c) => {
                if std::mem::take(&mut self.csv_header) {
                    c.header(w)?;
                }
                return c.row(
                    w,
                    (&mut self.line, &mut self.cells),
                    self.style.escape,
                    look,
                );
            }
            RecordFormat::Pretty => {
                self.line.clear();
                pretty_record(&mut self.line, self.style.color, m);
                return Ok(w.write_all(&self.line)?);
            }
            _ => {}
        }
        match self.format {
            RecordFormat::Template(_) | RecordFormat::Columns(_) | RecordFormat::Pretty => {}
            RecordFormat::Ndjson => {
                w.write_all(m.payload().unwrap_or_default())?;
                w.write_all(b"\n")?;
            }
            RecordFormat::Envelope => {
                write_envelope(w, m)?;
                w.write_all(b"\n")?;
            }
            RecordFormat::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(&mut *w);
                if std::mem::take(&mut self.csv_header) {
                    csv.write_record([
                        "topic",
                        "partition",
                        "offset",
                        "timestamp",
                        "key",
                        "value",
                    ])?;
                }
                let text = |b: Option<&[u8]>| b.map(lossy).unwrap_or_default();
                csv.write_record([
                    m.topic().to_string(),
                    m.partition().to_string(),
                    m.offset().to_string(),
                    m.timestamp()
                        .to_millis()
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                    text(m.key()),
                    text(m.payload()),
                ])?;
                csv.flush()?;
            }
        }
        Ok(())
    }
}

/// `replay`'s pretty line: `2026-12-01T10:00:00.000Z 0@17 key {"id":…}`,
/// `-` for no key or timestamp; always escaped (it is for people).
fn pretty_record<M: Message>(line: &mut Vec<u8>, color: bool, m: &M) {
    let paint = |line: &mut Vec<u8>, code: &str| {
        if color {
            line.extend_from_slice(code.as_bytes());
        }
    };
    paint(line, "\x1b[2m");
    match m
        .timestamp()
        .to_millis()
        .map(jiff::Timestamp::from_millisecond)
    {
        Some(Ok(t)) => {
            let _ = write!(line, "{t:.3}");
        }
        Some(Err(_)) | None => line.push(b'-'),
    }
    paint(line, "\x1b[0m");
    line.push(b' ');
    paint(line, "\x1b[36m");
    let _ = write!(line, "{}@{}", m.partition(), m.offset());
    paint(line, "\x1b[0m");
    line.push(b' ');
    match m.key() {
        Some(k) => push_text(line, k, true),
        None => line.push(b'-'),
    }
    line.push(b' ');
    if let Some(value) = m.payload() {
        push_json(line, value, true);
    }
    line.push(b'\n');
}

/// A record as JSON: coordinates, timestamp, key, headers, and the value
/// embedded as JSON when it is JSON (else text, or base64 for bytes). The
/// value is the published bytes, checked and copied without whitespace,
/// never rebuilt: numbers keep every digit, keys their order and duplicates.
pub fn write_envelope(w: &mut impl Write, m: &impl Message) -> Result<()> {
    let mut headers = Map::new();
    if let Some(hs) = m.headers() {
        for h in hs.iter() {
            match h.value {
                Some(v) => put_bytes(&mut headers, h.key, v),
                None => {
                    headers.insert(h.key.to_string(), Value::Null);
                }
            }
        }
    }
    let mut e = Map::new();
    e.insert("topic".into(), json!(m.topic()));
    e.insert("partition".into(), json!(m.partition()));
    e.insert("offset".into(), json!(m.offset()));
    e.insert("timestamp".into(), json!(m.timestamp().to_millis()));
    match m.key() {
        Some(k) => put_bytes(&mut e, "key", k),
        None => {
            e.insert("key".into(), Value::Null);
        }
    }
    e.insert("headers".into(), Value::Object(headers));
    write_with_payload(w, &e, "value", m.payload())
}

/// `head` as a JSON object with `"key":` and `payload` (as [`write_payload`]
/// writes it, or `null`) after its members.
fn write_with_payload(
    w: &mut impl Write,
    head: &Map<String, Value>,
    key: &str,
    payload: Option<&[u8]>,
) -> Result<()> {
    let mut text = serde_json::to_vec(head)?;
    // An object's text ends with its closing brace.
    text.pop();
    if !head.is_empty() {
        text.push(b',');
    }
    w.write_all(&text)?;
    match payload {
        Some(p) => write_payload(w, key, p)?,
        None => {
            serde_json::to_writer(&mut *w, key)?;
            w.write_all(b":null")?;
        }
    }
    w.write_all(b"}")?;
    Ok(())
}

/// A line of the dead-letter file: where the line was, why it was refused,
/// and the line itself.
pub fn dead_letter(
    source: &str,
    line: u64,
    column: Option<usize>,
    reason: &str,
    raw: &[u8],
) -> Value {
    let mut v = Map::new();
    v.insert("source".into(), json!(source));
    v.insert("line".into(), json!(line));
    v.insert("column".into(), json!(column));
    v.insert("error".into(), json!(reason));
    put_bytes(&mut v, "raw", raw);
    Value::Object(v)
}

/// [`dead_letter`] as one line of the dead-letter file (NDJSON).
pub fn write_dead_letter(
    w: &mut impl Write,
    source: &str,
    line: u64,
    column: Option<usize>,
    reason: &str,
    raw: &[u8],
) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, &dead_letter(source, line, column, reason, raw))?;
    w.write_all(b"\n")
}

/// One line of `publish --dry-run`'s stdout (NDJSON): where the event was
/// read, the record it would become, and (with Redis on) its channel and
/// notification (without the Kafka coordinates, which only a broker gives).
/// The value is the event's bytes as they would be sent (checked, copied
/// without whitespace, never rebuilt).
pub fn write_dry_run_line(
    w: &mut impl Write,
    source: &str,
    line: u64,
    topic: &str,
    event: &Event,
    notified: Option<(String, String)>,
) -> Result<()> {
    serde_json::from_slice::<&serde_json::value::RawValue>(&event.value)
        .context("re-reading a parsed event")?;
    let (channel, notification) = match notified {
        Some((channel, note)) => (
            Some(channel),
            Some(serde_json::from_str::<Value>(&note).context("re-reading a notification")?),
        ),
        None => (None, None),
    };
    let head: Map<String, Value> = [
        ("source", json!(source)),
        ("line", json!(line)),
        ("topic", json!(topic)),
        ("key", json!(event.source_id)),
        (
            "headers",
            json!({ "id": event.id, "type": event.kind, "source_type": event.source_type }),
        ),
        ("timestamp", json!(event.timestamp)),
        ("channel", json!(channel)),
        ("notification", json!(notification)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    write_with_payload(w, &head, "value", Some(&event.value))?;
    w.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests;
