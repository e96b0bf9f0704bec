//! Reading input: files and stdin, NDJSON lines (bounded in length) and CSV
//! records, turned into [`Entry`]s on a reader thread so parsing overlaps with
//! sending. Owns where each item came from (source, line); knows nothing of
//! Kafka or Redis.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;

use anyhow::{Context, Result};
use tokio::sync::mpsc;

use crate::event::{self, Event, FieldMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Ndjson,
    Csv,
}

/// One input: a file or stdin, with its format and (for files) its size.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub path: Option<PathBuf>,
    pub format: Syntax,
    pub size: Option<u64>,
}

/// Where an item came from: index into the sources, and 1-based line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub source: u32,
    pub line: u64,
}

#[derive(Debug)]
pub enum Entry {
    Event {
        at: Origin,
        event: Event,
        bytes: u64,
    },
    Invalid {
        at: Origin,
        column: Option<usize>,
        reason: String,
        raw: Vec<u8>,
        bytes: u64,
    },
    /// The input itself could not be read (I/O error); the run stops.
    Broken(String),
    /// The input cannot be read as its format at all (a CSV header that is
    /// too long, names a column twice or never closes a quote): invalid
    /// input, and the run stops.
    Unusable(String),
}

/// Items travel in small chunks: one channel operation per chunk, not per event.
pub type Chunk = Vec<Entry>;
const CHUNK: usize = 256;

/// Open every source now, so a missing file fails before any broker is touched.
pub fn open_all(sources: &[Source]) -> Result<Vec<Box<dyn Read + Send>>> {
    sources
        .iter()
        .map(|s| -> Result<Box<dyn Read + Send>> {
            match &s.path {
                None => Ok(Box::new(io::stdin())),
                Some(p) => Ok(Box::new(
                    File::open(p).with_context(|| p.display().to_string())?,
                )),
            }
        })
        .collect()
}

/// Read every source in order on a thread of its own, sending chunks of items.
/// The thread ends at the end of input or when the receiver is dropped.
pub fn spawn_reader(
    sources: Vec<Source>,
    readers: Vec<Box<dyn Read + Send>>,
    fields: FieldMap,
    max_line: usize,
    tx: mpsc::Sender<Chunk>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut sink = Sink {
            tx,
            chunk: Vec::with_capacity(CHUNK),
        };
        for (index, (source, reader)) in sources.iter().zip(readers).enumerate() {
            let index = index as u32;
            let result = match source.format {
                Syntax::Ndjson => read_ndjson(index, reader, &fields, max_line, &mut sink),
                Syntax::Csv => read_csv(index, reader, &fields, max_line, &mut sink),
            };
            match result {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    let message = format!("{}: {e}", source.name);
                    let entry = match e.kind() {
                        io::ErrorKind::InvalidData => Entry::Unusable(message),
                        _ => Entry::Broken(message),
                    };
                    sink.push(entry, true);
                    sink.flush();
                    return;
                }
            }
        }
        sink.flush();
    })
}

struct Sink {
    tx: mpsc::Sender<Chunk>,
    chunk: Chunk,
}

impl Sink {
    /// Queue an item; send the chunk when full or when the input would block
    /// (`idle`), so slow interactive input is not held back. False once the
    /// receiver is gone.
    fn push(&mut self, item: Entry, idle: bool) -> bool {
        self.chunk.push(item);
        if self.chunk.len() >= CHUNK || idle {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(chunk).is_ok()
    }
}

/// Ok(false) means the receiver went away and reading should stop.
fn read_ndjson(
    source: u32,
    reader: Box<dyn Read + Send>,
    fields: &FieldMap,
    max_line: usize,
    sink: &mut Sink,
) -> io::Result<bool> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u64;
    while let Some(read) = read_line(&mut reader, &mut buf, max_line)? {
        line_no += 1;
        let at = Origin {
            source,
            line: line_no,
        };
        let mut line = trim_newline(&buf);
        if line_no == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        let item = if read.too_long {
            Entry::Invalid {
                at,
                column: None,
                reason: format!("line is longer than --max-line-bytes {max_line}"),
                raw: line.to_vec(),
                bytes: read.bytes,
            }
        } else if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            match event::from_json_line(line, fields) {
                Ok(event) => Entry::Event {
                    at,
                    event,
                    bytes: read.bytes,
                },
                Err(bad) => Entry::Invalid {
                    at,
                    column: bad.column,
                    reason: bad.reason,
                    raw: line.to_vec(),
                    bytes: read.bytes,
                },
            }
        };
        if !sink.push(item, reader.buffer().is_empty()) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn trim_newline(buf: &[u8]) -> &[u8] {
    let buf = buf.strip_suffix(b"\n").unwrap_or(buf);
    buf.strip_suffix(b"\r").unwrap_or(buf)
}

struct LineRead {
    /// Bytes consumed from the input, newline included.
    bytes: u64,
    too_long: bool,
}

/// Read one line into `buf`, keeping at most `max + 2` bytes of it (room for
/// "\r\n") so a huge line cannot exhaust memory; `None` at end of input.
fn read_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<LineRead>> {
    buf.clear();
    let mut bytes = 0u64;
    let mut content = 0usize;
    loop {
        let available = match reader.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((bytes > 0).then_some(LineRead {
                bytes,
                too_long: content > max,
            }));
        }
        // memchr: a byte-by-byte search was a fifth of the reader's time.
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = (max + 2).saturating_sub(buf.len());
        buf.extend_from_slice(&available[..take.min(room)]);
        content += take - usize::from(done);
        bytes += take as u64;
        reader.consume(take);
        if done {
            let content = content - usize::from(buf.ends_with(b"\r\n"));
            return Ok(Some(LineRead {
                bytes,
                too_long: content > max,
            }));
        }
    }
}

fn read_csv(
    source: u32,
    reader: Box<dyn Read + Send>,
    fields: &FieldMap,
    max_line: usize,
    sink: &mut Sink,
) -> io::Result<bool> {
    // The header is bounded too, but not by --max-line-bytes (a small bound
    // for records must not refuse a wide header).
    let header_max = max_line.max(HEADER_BYTES);
    let mut csv = CsvRecords::new(reader, header_max);
    let header = csv
        .next()
        .map_err(|e| io::Error::other(format!("line 1: CSV header: {e}")))?;
    csv.max = max_line;
    let headers: Vec<String> = match header {
        None => return Ok(true),
        Some(read) if read.too_long => {
            return Err(invalid_header(format!(
                "line {}: CSV header is longer than {header_max} bytes",
                read.line
            )))
        }
        Some(read) if read.open_quote.is_some() => {
            return Err(invalid_header(format!(
                "line {}: CSV header: a quote that is never closed (opened on line {})",
                read.line,
                read.open_quote.unwrap_or(read.line)
            )))
        }
        Some(read) => {
            let names: Vec<String> = csv
                .fields()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            let mut seen = std::collections::HashSet::new();
            if let Some(twice) = names.iter().find(|n| !seen.insert(n.as_str())) {
                return Err(invalid_header(format!(
                    "line {}: CSV header names {twice:?} twice (one column would hide the other)",
                    read.line
                )));
            }
            names
        }
    };
    while let Some(read) = csv.next()? {
        let at = Origin {
            source,
            line: read.line,
        };
        let bytes = read.bytes;
        let record: csv::ByteRecord = csv.fields().collect();
        let raw = || csv_line(&record);
        let item = if let Some(opened) = read.open_quote {
            Entry::Invalid {
                at,
                column: None,
                reason: format!(
                    "a quote that is never closed (opened on line {opened}): the rest of the input was read into one field"
                ),
                raw: raw(),
                bytes,
            }
        } else if read.too_long {
            let spans = if read.last_line > read.line + 1 {
                format!(
                    "; it runs on to line {} (a quote that is never closed?)",
                    read.last_line
                )
            } else {
                String::new()
            };
            Entry::Invalid {
                at,
                column: None,
                reason: format!("record is longer than --max-line-bytes {max_line}{spans}"),
                raw: raw(),
                bytes,
            }
        } else if record.len() != headers.len() {
            Entry::Invalid {
                at,
                column: None,
                reason: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    headers.len()
                ),
                raw: raw(),
                bytes,
            }
        } else {
            let texts: Result<Vec<&str>, usize> = record
                .iter()
                .enumerate()
                .map(|(i, f)| std::str::from_utf8(f).map_err(|_| i + 1))
                .collect();
            match texts {
                Err(field) => Entry::Invalid {
                    at,
                    column: None,
                    reason: format!("invalid UTF-8 in field {field}"),
                    raw: raw(),
                    bytes,
                },
                Ok(texts) => match event::from_csv_record(&headers, &texts, fields) {
                    Ok(event) => Entry::Event { at, event, bytes },
                    Err(bad) => Entry::Invalid {
                        at,
                        column: bad.column,
                        reason: bad.reason,
                        raw: raw(),
                        bytes,
                    },
                },
            }
        };
        if !sink.push(item, false) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The least a CSV header may take, whatever --max-line-bytes says.
const HEADER_BYTES: usize = 1 << 20;

/// CSV records read with `csv_core`, whose parser writes into buffers we
/// hand it: a record's fields are kept up to `max` bytes, and the rest of a
/// longer one (a quote never closed runs to the end of the file) is parsed
/// through a small scratch buffer and dropped, so memory stays bounded
/// whatever the input. The same dialect as the `csv` crate's defaults
/// (comma, double quotes, `""` escapes, any line ending, a BOM skipped,
/// blank lines ignored).
struct CsvRecords {
    reader: BufReader<Box<dyn Read + Send>>,
    core: csv_core::Reader,
    max: usize,
    /// The record's field bytes (`len` of them valid) and field ends.
    out: Vec<u8>,
    len: usize,
    ends: Vec<usize>,
    nends: usize,
    /// Where the parse goes once a record is too long.
    scratch: Vec<u8>,
    scratch_ends: Vec<usize>,
    /// The record's input bytes as read (up to `max` + 1 of them), from its
    /// first byte that is not a line ending: where a quote opened.
    raw: Vec<u8>,
}

/// One record read by [`CsvRecords::next`].
struct CsvRead {
    /// The line it starts on (1-based) and the line its last field ends on.
    line: u64,
    last_line: u64,
    /// Bytes consumed from the input, line ending included.
    bytes: u64,
    /// Its fields came to more than `max` bytes: only the first are kept.
    too_long: bool,
    /// The input ended inside a quoted field: the line the quote opened on.
    open_quote: Option<u64>,
}

impl CsvRecords {
    fn new(reader: Box<dyn Read + Send>, max: usize) -> CsvRecords {
        CsvRecords {
            reader: BufReader::with_capacity(256 * 1024, reader),
            core: csv_core::Reader::new(),
            max,
            out: vec![0; 1024.min(max + 1)],
            len: 0,
            ends: vec![0; 64],
            nends: 0,
            scratch: vec![0; 64 * 1024],
            scratch_ends: vec![0; 1024],
            raw: Vec::new(),
        }
    }

    /// The next record; `None` at the end of the input.
    fn next(&mut self) -> io::Result<Option<CsvRead>> {
        use csv_core::ReadRecordResult;
        // csv_core skips blank lines before a record: the record starts on
        // the line of its first other byte.
        let mut line = self.core.line();
        let mut started = false;
        let (mut bytes, mut too_long, mut ended_line) = (0u64, false, false);
        (self.len, self.nends) = (0, 0);
        self.raw.clear();
        loop {
            let input = match self.reader.fill_buf() {
                Ok(input) => input,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let at_eof = input.is_empty();
            let (result, nin, nout, nend) = if too_long {
                self.core
                    .read_record(input, &mut self.scratch, &mut self.scratch_ends)
            } else {
                // No more than max + 1 bytes, also when the header grew
                // the buffers past a smaller bound.
                let (out, ends) = (
                    self.out.len().min(self.max + 1),
                    self.ends.len().min(self.max + 1),
                );
                self.core.read_record(
                    input,
                    &mut self.out[self.len..out],
                    &mut self.ends[self.nends..ends],
                )
            };
            if nin > 0 {
                ended_line = input[nin - 1] == b'\n';
                let mut taken = &input[..nin];
                if !started {
                    let blank = taken
                        .iter()
                        .position(|&b| b != b'\n' && b != b'\r')
                        .unwrap_or(taken.len());
                    line += memchr::memchr_iter(b'\n', &taken[..blank]).count() as u64;
                    started = blank < taken.len();
                    taken = &taken[blank..];
                }
                let room = (self.max + 1).saturating_sub(self.raw.len());
                self.raw.extend_from_slice(&taken[..taken.len().min(room)]);
            }
            self.reader.consume(nin);
            bytes += nin as u64;
            if !too_long {
                self.len += nout;
                self.nends += nend;
            }
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull if too_long => {}
                ReadRecordResult::OutputFull => {
                    if self.len > self.max {
                        too_long = true;
                    } else if self.len == self.out.len() {
                        let grown = (self.len * 2).min(self.max + 1);
                        self.out.resize(grown, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull => {
                    // Every field but the last takes a byte of input.
                    if self.nends > self.max {
                        too_long = true;
                    } else if self.nends == self.ends.len() {
                        let grown = (self.nends * 2).min(self.max + 1);
                        self.ends.resize(grown, 0);
                    }
                }
                ReadRecordResult::Record => {
                    let too_long = too_long || self.len > self.max;
                    // Only a record the input's end closed can hold a quote
                    // that never closed; one too long to keep whole says so
                    // in its own message.
                    let open_quote = match at_eof && !too_long {
                        true => open_quote(&self.raw).map(|newlines| line + newlines),
                        false => None,
                    };
                    return Ok(Some(CsvRead {
                        line,
                        last_line: self.core.line() - u64::from(ended_line),
                        bytes,
                        too_long,
                        open_quote,
                    }));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    /// The fields of the record [`CsvRecords::next`] read (of a record that
    /// was too long, those it kept, the last one cut).
    fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let ends = &self.ends[..self.nends];
        let cut = ends.last().is_none_or(|&end| end < self.len);
        let tail = cut.then_some(self.len);
        ends.iter()
            .copied()
            .filter(|&end| end <= self.len)
            .chain(tail)
            .scan(0, |start, end| {
                let field = &self.out[*start..end];
                *start = end;
                Some(field)
            })
    }
}

/// Where a quoted field that never closes opens in `raw` (one record's
/// input, as csv_core reads it: a quote opens a field only at its start,
/// `""` inside is a quote), as the number of line endings before it.
fn open_quote(raw: &[u8]) -> Option<u64> {
    let (mut quoted, mut field_start, mut opened) = (false, true, 0usize);
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if quoted {
            if b == b'"' {
                if raw.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' && field_start {
            (quoted, opened) = (true, i);
        } else {
            field_start = matches!(b, b',' | b'\n' | b'\r');
            i += 1;
            continue;
        }
        field_start = false;
        i += 1;
    }
    quoted.then(|| memchr::memchr_iter(b'\n', &raw[..opened]).count() as u64)
}

/// A CSV header dualstream cannot read records under (see
/// [`Entry::Unusable`]).
fn invalid_header(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A record written back as one CSV line, for dead letters.
fn csv_line(record: &csv::ByteRecord) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_byte_record(record);
    let mut out = w.into_inner().unwrap_or_default();
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests;
