//! Unit tests of `input`.

use super::*;

fn lines(input: &[u8], max: usize) -> Vec<(Vec<u8>, u64, bool)> {
    let mut r = BufReader::with_capacity(4, input);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while let Some(l) = read_line(&mut r, &mut buf, max).unwrap() {
        out.push((trim_newline(&buf).to_vec(), l.bytes, l.too_long));
        assert!(out.len() <= input.len(), "more lines than bytes");
    }
    out
}

#[test]
fn bounded_lines() {
    let got = lines(b"abc\r\nabcdefgh\nxy", 4);
    assert_eq!(got[0], (b"abc".to_vec(), 5, false));
    assert_eq!(got[1].1, 9);
    assert!(got[1].2, "8 bytes is over 4");
    assert!(got[1].0.len() <= 6);
    assert_eq!(got[2], (b"xy".to_vec(), 2, false));
    assert_eq!(got.len(), 3);
    assert!(!lines(b"abcd\r\n", 4)[0].2);
}

/// What an item says, in a form tests can compare.
#[derive(Debug, PartialEq)]
enum Seen {
    Event(Origin, String, u64),
    Invalid(Origin, Option<usize>, String, Vec<u8>, u64),
    Broken(String),
}

fn at(source: u32, line: u64) -> Origin {
    Origin { source, line }
}

fn seen(item: &Entry) -> Seen {
    match item {
        Entry::Event { at, event, bytes } => Seen::Event(*at, event.id.clone(), *bytes),
        Entry::Invalid {
            at,
            column,
            reason,
            raw,
            bytes,
        } => Seen::Invalid(*at, *column, reason.clone(), raw.clone(), *bytes),
        Entry::Broken(why) | Entry::Unusable(why) => Seen::Broken(why.clone()),
    }
}

fn source(i: usize, format: Syntax) -> Source {
    Source {
        name: format!("in{i}"),
        path: None,
        format,
        size: None,
    }
}

/// Run the reader thread over these inputs; every chunk it sent.
fn read_chunks(inputs: Vec<(Syntax, Box<dyn Read + Send>)>, max_line: usize) -> Vec<Chunk> {
    let sources = inputs
        .iter()
        .enumerate()
        .map(|(i, (format, _))| source(i, *format))
        .collect();
    let readers = inputs.into_iter().map(|(_, r)| r).collect();
    let (tx, mut rx) = mpsc::channel(4);
    let reader = spawn_reader(sources, readers, FieldMap::defaults(), max_line, tx);
    let mut chunks = Vec::new();
    while let Some(chunk) = rx.blocking_recv() {
        chunks.push(chunk);
    }
    reader.join().unwrap();
    chunks
}

fn read(inputs: Vec<(Syntax, &'static [u8])>, max_line: usize) -> Vec<Seen> {
    let inputs = inputs
        .into_iter()
        .map(|(f, bytes)| (f, Box::new(bytes) as Box<dyn Read + Send>))
        .collect();
    read_chunks(inputs, max_line)
        .iter()
        .flatten()
        .map(seen)
        .collect()
}

/// Reads `data`, then fails.
struct Failing(&'static [u8], bool);

impl Failing {
    fn after(data: &'static [u8]) -> Failing {
        Failing(data, false)
    }
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Retrying after an error would read forever: fail the test now.
        assert!(!self.1, "read again after an error");
        if self.0.is_empty() {
            self.1 = true;
            return Err(io::Error::other("disk on fire"));
        }
        self.0.read(buf)
    }
}

/// The same valid line, `left` bytes of it, counting the bytes read.
struct Lines {
    left: usize,
    read: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let line = b"{\"type\":\"t\",\"source_type\":\"s\",\"source_id\":\"1\"}\n";
        let n = buf.len().min(self.left) / line.len() * line.len();
        for slot in buf[..n].chunks_mut(line.len()) {
            slot.copy_from_slice(line);
        }
        self.left -= n;
        self.read.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        Ok(n)
    }
}

const EVENT: &str = r#"{"id":"ID","type":"t","source_type":"s","source_id":"1"}"#;

fn event(id: &str) -> String {
    EVENT.replace("ID", id)
}

#[test]
fn ndjson_lines_become_events_where_they_were_read() {
    let text = format!(
        "\u{feff}{}\n\n  \r\n{{\"type\":1\n{}\r\n\u{feff}{}",
        event("a"),
        event("b"),
        event("c")
    );
    let got = read(vec![(Syntax::Ndjson, text.leak().as_bytes())], 1000);
    let len = event("a").len() as u64;
    assert_eq!(got.len(), 4, "{got:?}");
    // The byte-order mark of the first line is not part of the event.
    assert_eq!(got[0], Seen::Event(at(0, 1), "a".into(), 3 + len + 1));
    // Blank lines are skipped, but counted.
    let Seen::Invalid(origin, column, reason, raw, bytes) = &got[1] else {
        panic!("{:?}", got[1]);
    };
    assert_eq!((*origin, *column), (at(0, 4), Some(9)));
    assert!(reason.contains("EOF"), "{reason}");
    assert_eq!((raw.as_slice(), *bytes), (&b"{\"type\":1"[..], 10));
    assert_eq!(got[2], Seen::Event(at(0, 5), "b".into(), len + 2));
    // A byte-order mark on a later line is an error in that line.
    let Seen::Invalid(origin, column, _, raw, bytes) = &got[3] else {
        panic!("{:?}", got[3]);
    };
    assert_eq!((*origin, *column, *bytes), (at(0, 6), Some(1), len + 3));
    assert!(raw.starts_with(b"\xEF\xBB\xBF{"));
}

#[test]
fn a_line_over_the_limit_is_refused_and_kept_short() {
    let text = format!("{}\n{}\n", event("a"), event("long-id"));
    let max = event("a").len();
    let got = read(vec![(Syntax::Ndjson, text.leak().as_bytes())], max);
    assert_eq!(got[0], Seen::Event(at(0, 1), "a".into(), max as u64 + 1));
    let Seen::Invalid(origin, None, reason, raw, bytes) = &got[1] else {
        panic!("{:?}", got[1]);
    };
    assert_eq!(*origin, at(0, 2));
    assert_eq!(
        reason,
        &format!("line is longer than --max-line-bytes {max}")
    );
    assert_eq!(raw.len(), max + 2);
    assert_eq!(*bytes, event("long-id").len() as u64 + 1);
}

#[test]
fn sources_are_read_in_order_with_their_own_line_numbers() {
    let a = format!("{}\n{}\n", event("a1"), event("a2"))
        .leak()
        .as_bytes();
    let b = event("b1").leak().as_bytes();
    let got = read(vec![(Syntax::Ndjson, a), (Syntax::Ndjson, b)], 1000);
    let ids: Vec<(Origin, String)> = got
        .into_iter()
        .map(|s| match s {
            Seen::Event(at, id, _) => (at, id),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            (at(0, 1), "a1".to_string()),
            (at(0, 2), "a2".to_string()),
            (at(1, 1), "b1".to_string())
        ]
    );
}

#[test]
fn items_travel_in_chunks() {
    let text: String = (0..600).map(|i| event(&i.to_string()) + "\n").collect();
    let input: Box<dyn Read + Send> = Box::new(io::Cursor::new(text.into_bytes()));
    let chunks = read_chunks(vec![(Syntax::Ndjson, input)], 1000);
    let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
    assert_eq!(sizes, [256, 256, 88]);
}

#[test]
fn csv_records_become_events() {
    let text: &[u8] = b"id,type,source_type,source_id\n\
        e1,push,repo,r1\n\
        e2,push,repo,\"a,b\"\n\
        e3,push,re\xffpo,r3\n\
        e4,push\n\
        e5,push,repo,\n\
        e6,push,repo,r6-is-long\n\
        e7,push,repo,r7-longer\n";
    // Records count the bytes of their fields: e6's are 20, e7's 19.
    let got = read(vec![(Syntax::Csv, text)], 19);
    assert_eq!(got[0], Seen::Event(at(0, 2), "e1".into(), 16));
    assert_eq!(got[1], Seen::Event(at(0, 3), "e2".into(), 19));
    assert_eq!(
        got[2],
        Seen::Invalid(
            at(0, 4),
            None,
            "invalid UTF-8 in field 3".into(),
            b"e3,push,re\xffpo,r3".to_vec(),
            17
        )
    );
    let Seen::Invalid(_, None, reason, raw, bytes) = &got[3] else {
        panic!("{:?}", got[3]);
    };
    assert_eq!(reason, "2 fields where the header has 4");
    assert_eq!((raw.as_slice(), *bytes), (&b"e4,push"[..], 8));
    let Seen::Invalid(origin, None, reason, raw, bytes) = &got[4] else {
        panic!("{:?}", got[4]);
    };
    assert_eq!(*origin, at(0, 6));
    assert!(
        reason.starts_with("missing field \"source_id\""),
        "{reason}"
    );
    assert_eq!((raw.as_slice(), *bytes), (&b"e5,push,repo,"[..], 14));
    assert_eq!(
        got[5],
        Seen::Invalid(
            at(0, 7),
            None,
            "record is longer than --max-line-bytes 19".into(),
            b"e6,push,repo,r6-is-long".to_vec(),
            24
        )
    );
    assert_eq!(got[6], Seen::Event(at(0, 8), "e7".into(), 23));
    assert_eq!(got.len(), 7);
}

/// A quote that is never closed makes the rest of the file one record: it
/// is cut at --max-line-bytes while it is read (only that much is kept, for
/// the dead letter), reported at the line it starts on, and its bytes are
/// counted whole.
#[test]
fn an_unclosed_quote_is_cut_while_it_is_read() {
    let mut text = b"id,type,source_type,source_id\ne1,t,s,1\ne2,t,s,\"oops\n".to_vec();
    let body = "x".repeat(999) + "\n";
    for _ in 0..2000 {
        text.extend_from_slice(body.as_bytes());
    }
    let total = text.len() as u64;
    let got = read(vec![(Syntax::Csv, &*text.leak())], 100);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], Seen::Event(at(0, 2), "e1".into(), 9));
    let Seen::Invalid(origin, None, reason, raw, bytes) = &got[1] else {
        panic!("{:?}", got[1]);
    };
    assert_eq!(*origin, at(0, 3));
    assert_eq!(
        reason,
        "record is longer than --max-line-bytes 100; it runs on to line 2003 (a quote that is never closed?)"
    );
    assert!(raw.starts_with(b"e2,t,s,\"oops\nxxx"), "{raw:?}");
    assert!(raw.len() < 120, "{}", raw.len());
    assert_eq!(*bytes, total - 39);
}

/// The bound is on the fields' bytes, exactly: a record of `max` bytes
/// passes, one more byte does not, however the buffers grew.
#[test]
fn a_csv_record_of_exactly_max_bytes_passes() {
    for max in [1023, 1024, 1025, 4096] {
        let long = |n: usize| format!("e1,t,s,{}\n", "y".repeat(n - 4));
        let text = format!(
            "id,type,source_type,source_id\n{}{}",
            long(max),
            long(max + 1)
        );
        let got = read(vec![(Syntax::Csv, text.leak().as_bytes())], max);
        assert!(matches!(got[0], Seen::Event(..)), "{max}: {:?}", got[0]);
        assert!(matches!(got[1], Seen::Invalid(..)), "{max}: {:?}", got[1]);
    }
}

#[test]
fn csv_records_are_sent_when_the_input_ends() {
    let text: String = std::iter::once("id,type,source_type,source_id\n".to_string())
        .chain((0..300).map(|i| format!("e{i},t,s,1\n")))
        .collect();
    let input: Box<dyn Read + Send> = Box::new(io::Cursor::new(text.into_bytes()));
    let sizes: Vec<usize> = read_chunks(vec![(Syntax::Csv, input)], 1000)
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(sizes, [256, 44]);
}

#[test]
fn a_read_error_stops_the_run() {
    let line = format!("{}\n", event("a")).leak().as_bytes();
    let inputs: Vec<(Syntax, Box<dyn Read + Send>)> = vec![
        (Syntax::Ndjson, Box::new(Failing::after(line))),
        (Syntax::Ndjson, Box::new(line)),
    ];
    let got: Vec<Seen> = read_chunks(inputs, 1000)
        .iter()
        .flatten()
        .map(seen)
        .collect();
    assert_eq!(
        got,
        [
            Seen::Event(at(0, 1), "a".into(), line.len() as u64),
            Seen::Broken("in0: disk on fire".into())
        ]
    );
    let csv: Vec<(Syntax, Box<dyn Read + Send>)> =
        vec![(Syntax::Csv, Box::new(Failing::after(b"id,type")))];
    let got: Vec<Seen> = read_chunks(csv, 1000).iter().flatten().map(seen).collect();
    assert_eq!(
        got,
        [Seen::Broken("in0: line 1: CSV header: disk on fire".into())]
    );
    let csv: Vec<(Syntax, Box<dyn Read + Send>)> = vec![(
        Syntax::Csv,
        Box::new(Failing::after(b"id,type,source_type,source_id\ne1,t,s,1\n")),
    )];
    let got: Vec<Seen> = read_chunks(csv, 1000).iter().flatten().map(seen).collect();
    assert_eq!(
        got,
        [
            Seen::Event(at(0, 2), "e1".into(), 9),
            Seen::Broken("in0: disk on fire".into())
        ]
    );
}

#[test]
fn reading_stops_when_nobody_listens() {
    for format in [Syntax::Ndjson, Syntax::Csv] {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let (read, second_read) = (std::sync::Arc::default(), std::sync::Arc::default());
        let input = Lines {
            left: 8 << 20,
            read: std::sync::Arc::clone(&read),
        };
        let second = Lines {
            left: 8 << 20,
            read: std::sync::Arc::clone(&second_read),
        };
        let reader = spawn_reader(
            vec![source(0, format), source(1, format)],
            vec![Box::new(input), Box::new(second)],
            FieldMap::defaults(),
            1000,
            tx,
        );
        reader.join().unwrap();
        // The first chunk could not be sent: one buffer was read, not
        // the 8 MiB, and nothing of the second source.
        let read = read.load(std::sync::atomic::Ordering::SeqCst);
        assert!(read <= 256 * 1024, "{format:?}: {read} bytes read");
        let second_read = second_read.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(second_read, 0, "{format:?}");
    }
}

#[test]
fn sources_open_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    std::fs::write(&file, "x\n").unwrap();
    let mut sources = vec![source(0, Syntax::Ndjson), source(1, Syntax::Ndjson)];
    sources[1].path = Some(file.clone());
    let mut readers = open_all(&sources).unwrap();
    let mut text = String::new();
    readers[1].read_to_string(&mut text).unwrap();
    assert_eq!(text, "x\n");
    sources[1].path = Some(dir.path().join("missing.ndjson"));
    let err = open_all(&sources).err().unwrap();
    assert!(format!("{err:#}").contains("missing.ndjson"), "{err:#}");
}

#[test]
fn line_ends_and_interruptions() {
    assert_eq!(trim_newline(b"a\r\n"), b"a");
    assert_eq!(trim_newline(b"a\n"), b"a");
    assert_eq!(trim_newline(b"a\r"), b"a");
    assert_eq!(trim_newline(b"a\n\n"), b"a\n");
    // A line of exactly the limit is fine, with or without "\r\n".
    assert_eq!(lines(b"abcd\nabcde\n", 4)[0], (b"abcd".to_vec(), 5, false));
    assert!(lines(b"abcd\nabcde\n", 4)[1].2);
    assert_eq!(lines(b"abcd", 4), [(b"abcd".to_vec(), 4, false)]);
    assert!(lines(b"abcde", 4)[0].2);
    assert!(lines(b"", 4).is_empty());
    assert_eq!(lines(b"\n", 4), [(Vec::new(), 1, false)]);

    struct Interrupted(bool, &'static [u8]);
    impl Read for Interrupted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if std::mem::take(&mut self.0) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            self.1.read(buf)
        }
    }
    let mut r = BufReader::new(Interrupted(true, b"ab\n"));
    let mut buf = Vec::new();
    let l = read_line(&mut r, &mut buf, 10).unwrap().unwrap();
    assert_eq!((buf.as_slice(), l.bytes), (&b"ab\n"[..], 3));
    let mut r = BufReader::new(Failing::after(b""));
    assert!(read_line(&mut r, &mut buf, 10).is_err());
}

#[test]
fn a_csv_record_is_written_back_as_one_line() {
    let record = csv::ByteRecord::from(vec!["a", "b,c", "d\"e", ""]);
    assert_eq!(csv_line(&record), b"a,\"b,c\",\"d\"\"e\",".to_vec());
}

#[test]
fn a_quote_that_never_closes_is_an_invalid_record_not_swallowed_rows() {
    let got = read(
        vec![(
            Syntax::Csv,
            b"id,type,source_type,source_id\ne1,t,s,\"a\ne2,t,s,b\ne3,t,s,c\n",
        )],
        1000,
    );
    assert_eq!(got.len(), 1, "{got:?}");
    let Seen::Invalid(origin, None, reason, _, _) = &got[0] else {
        panic!("{:?}", got[0]);
    };
    assert_eq!(*origin, at(0, 2));
    assert!(
        reason.contains("a quote that is never closed (opened on line 2)"),
        "{reason}"
    );
    // A quote inside a field, escaped quotes, and one closed at the very end are fine.
    let got = read(
        vec![(
            Syntax::Csv,
            b"id,type,source_type,source_id\ne1,t,s,ab\"c\ne2,t,s,\"x\"\"y\"\ne3,t,s,\"z\"",
        )],
        1000,
    );
    let ids: Vec<&Seen> = got
        .iter()
        .filter(|s| matches!(s, Seen::Event(..)))
        .collect();
    assert_eq!(ids.len(), 3, "{got:?}");
}

#[test]
fn a_csv_record_after_blank_lines_is_placed_on_its_own_line_and_kept_raw() {
    let got = read(
        vec![(
            Syntax::Csv,
            b"id,type,source_type,source_id\n\n\ne1,t,s,1,extra\ne2,t,s,2\n",
        )],
        1000,
    );
    assert_eq!(got.len(), 2, "{got:?}");
    let Seen::Invalid(origin, None, reason, raw, _) = &got[0] else {
        panic!("{:?}", got[0]);
    };
    assert_eq!(*origin, at(0, 4));
    assert_eq!(reason, "5 fields where the header has 4");
    assert_eq!(raw, b"e1,t,s,1,extra");
    assert_eq!(got[1], Seen::Event(at(0, 5), "e2".into(), 9));
}

#[test]
fn a_csv_header_that_cannot_be_read_under_stops_as_invalid_input() {
    for (text, said) in [
        (&b"\"id,type\n1,2\n"[..], "a quote that is never closed"),
        (&b"x,x,id\n1,2,3\n"[..], "names \"x\" twice"),
    ] {
        let got = read(vec![(Syntax::Csv, text)], 1000);
        assert!(
            matches!(&got[..], [Seen::Broken(why)] if why.contains(said)),
            "{got:?}"
        );
    }
}
