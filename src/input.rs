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
                    sink.push(Entry::Broken(format!("{}: {e}", source.name)), true);
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
            return Err(io::Error::other(format!(
                "line 1: CSV header is longer than {header_max} bytes"
            )))
        }
        Some(_) => csv
            .fields()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect(),
    };
    while let Some(read) = csv.next()? {
        let at = Origin {
            source,
            line: read.line,
        };
        let bytes = read.bytes;
        let record: csv::ByteRecord = csv.fields().collect();
        let raw = || csv_line(&record);
        let item = if read.too_long {
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
                raw: Vec::new(),
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
        }
    }

    /// The next record; `None` at the end of the input.
    fn next(&mut self) -> io::Result<Option<CsvRead>> {
        use csv_core::ReadRecordResult;
        let line = self.core.line();
        let (mut bytes, mut too_long, mut ended_line) = (0u64, false, false);
        (self.len, self.nends) = (0, 0);
        loop {
            let input = match self.reader.fill_buf() {
                Ok(input) => input,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
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
                    return Ok(Some(CsvRead {
                        line,
                        last_line: self.core.line() - u64::from(ended_line),
                        bytes,
                        too_long: too_long || self.len > self.max,
                    }))
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
