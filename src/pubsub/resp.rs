//! RESP2, as much of it as a subscriber meets: replies cut off the front
//! of a buffer without copying (arrays of bulk strings, integers, status
//! and error lines; nested arrays skipped), turned into [`Frame`]s, and
//! commands encoded. No I/O here: [`super::wire`] reads and writes.

use std::ops::Range;

use crate::event::decimal;

/// What a subscription delivers, as Redis framed it.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// `message`, `pmessage` (with its pattern) or `smessage` (`sharded`).
    Message {
        channel: Vec<u8>,
        pattern: Option<Vec<u8>>,
        payload: Vec<u8>,
        sharded: bool,
    },
    /// A subscription took effect; `count` is how many the connection has.
    Subscribed {
        kind: Kind,
        channel: Vec<u8>,
        count: i64,
    },
    /// A subscription ended: asked for, or (`sunsubscribe` after a slot
    /// moved away from this node) not.
    Unsubscribed {
        kind: Kind,
        channel: Vec<u8>,
        count: i64,
    },
    /// The answer to PING (`["pong", ""]` once subscribed, `+PONG` before).
    Pong,
    /// An error reply (`-MOVED 1234 h:p`, `-NOPERM …`), without the dash.
    Error(String),
    /// Anything else (`+OK`, a reply this reader has no use for).
    Other,
}

/// Which kind of subscription a confirmation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE: a channel name.
    Channel,
    /// PSUBSCRIBE: a glob.
    Pattern,
    /// SSUBSCRIBE: a shard channel (Redis Cluster, sharded Pub/Sub).
    Shard,
}

/// Redis's own limit on a bulk string (`proto-max-bulk-len`).
const MAX_BULK: usize = 512 * 1024 * 1024;
/// The longest status or error line taken.
const MAX_STATUS: usize = 64 * 1024;
/// Elements of a reply this reader keeps; longer ones are skipped whole.
const MAX_PARTS: usize = 4;
/// How deep nested replies may go before the stream counts as garbage.
const MAX_DEPTH: usize = 8;

/// A command in RESP: an array of bulk strings.
///
/// The notifier's pipelines are written with it straight into one buffer,
/// a command per notification: lengths in digits without `format!`.
pub fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    let mut digits = [0u8; 20];
    out.push(b'*');
    out.extend_from_slice(decimal(args.len() as u64, &mut digits));
    out.extend_from_slice(b"\r\n");
    for arg in args {
        bulk(out, &[arg]);
    }
}

/// One bulk string of a command, the parts of `text` one after the other;
/// where in `out` its text starts.
pub fn bulk(out: &mut Vec<u8>, text: &[&[u8]]) -> usize {
    let mut digits = [0u8; 20];
    let len: usize = text.iter().map(|t| t.len()).sum();
    out.reserve(len + 24);
    out.push(b'$');
    out.extend_from_slice(decimal(len as u64, &mut digits));
    out.extend_from_slice(b"\r\n");
    let at = out.len();
    for part in text {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(b"\r\n");
    at
}

/// How many of the replies at the start of `buf`, at most `most`, are
/// whole integer replies (`:N\r\n`, as Redis answers each PUBLISH of a
/// pipeline), and the bytes they take. Anything else, or an integer this
/// cannot vouch for (no digits, more than 18), ends the count: [`parse`]
/// then reads it (and says what is wrong with it).
pub fn integer_replies(buf: &[u8], most: usize) -> (usize, usize) {
    let (mut n, mut at) = (0, 0);
    while n < most {
        let rest = &buf[at..];
        if rest.first() != Some(&b':') {
            break;
        }
        let sign = usize::from(rest.get(1) == Some(&b'-'));
        let digits = rest[1 + sign..]
            .iter()
            .take(19)
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = 1 + sign + digits;
        if digits == 0 || digits > 18 || rest.get(end..end + 2) != Some(b"\r\n") {
            break;
        }
        (n, at) = (n + 1, at + end + 2);
    }
    (n, at)
}

/// One element of a reply, as a place in the buffer.
#[derive(Clone, Debug)]
enum Part {
    Bulk(Range<usize>),
    Nil,
    Int(i64),
    Simple(Range<usize>),
    Error(Range<usize>),
    /// A nested array, skipped.
    Nested,
}

/// A whole reply: a scalar, or an array of up to [`MAX_PARTS`] elements
/// (`len` counts them all; beyond MAX_PARTS they are skipped).
pub struct Raw {
    parts: [Part; MAX_PARTS],
    len: usize,
    array: bool,
}

pub enum Parsed {
    /// A reply, and the bytes it took.
    Frame(Raw, usize),
    /// Not all here yet; at least this many more bytes are needed.
    Need(usize),
}

/// Cut one reply off the front of `buf`.
pub fn parse(buf: &[u8]) -> Result<Parsed, String> {
    let mut at = 0;
    let none = || Part::Nil;
    let mut raw = Raw {
        parts: [none(), none(), none(), none()],
        len: 0,
        array: false,
    };
    if buf.first() == Some(&b'*') {
        let Some((n, next)) = line(buf, 0)? else {
            return Ok(Parsed::Need(1));
        };
        at = next;
        let n = number(&buf[1..n])?;
        raw.array = true;
        raw.len = usize::try_from(n).unwrap_or(0);
        for i in 0..raw.len {
            match element(buf, at, 1)? {
                Step::Done(part, next) => {
                    if i < MAX_PARTS {
                        raw.parts[i] = part;
                    }
                    at = next;
                }
                Step::Need(more) => return Ok(Parsed::Need(more)),
            }
        }
        return Ok(Parsed::Frame(raw, at));
    }
    match element(buf, at, 0)? {
        Step::Done(part, next) => {
            raw.parts[0] = part;
            raw.len = 1;
            Ok(Parsed::Frame(raw, next))
        }
        Step::Need(more) => Ok(Parsed::Need(more)),
    }
}

enum Step {
    Done(Part, usize),
    Need(usize),
}

/// The line starting at `at`: the index of its `\r` and of the byte after
/// its `\n`; `None` if it is not all here. A length or a number is short;
/// a status or an error line may be longer, but not without end.
fn line(buf: &[u8], at: usize) -> Result<Option<(usize, usize)>, String> {
    let longest = match buf[at] {
        b'+' | b'-' => MAX_STATUS,
        _ => 32,
    };
    match memchr::memchr(b'\n', &buf[at..]) {
        Some(i) if i > 0 && buf[at + i - 1] == b'\r' => Ok(Some((at + i - 1, at + i + 1))),
        Some(_) => Err("protocol error: a line without \\r\\n".to_string()),
        None if buf.len() - at > longest => Err("protocol error: no line end".to_string()),
        None => Ok(None),
    }
}

fn number(digits: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| {
            format!(
                "protocol error: {:?} is not a number",
                String::from_utf8_lossy(digits)
            )
        })
}

/// One element starting at `at`.
fn element(buf: &[u8], at: usize, depth: usize) -> Result<Step, String> {
    if at >= buf.len() {
        return Ok(Step::Need(1));
    }
    let Some((cr, next)) = line(buf, at)? else {
        return Ok(Step::Need(1));
    };
    let body = at + 1..cr;
    let part = match buf[at] {
        b'$' => {
            let len = number(&buf[body])?;
            if len < 0 {
                return Ok(Step::Done(Part::Nil, next));
            }
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len > MAX_BULK {
                return Err(format!("protocol error: a bulk string of {len} bytes"));
            }
            let end = next + len + 2;
            if buf.len() < end {
                return Ok(Step::Need(end - buf.len()));
            }
            if &buf[end - 2..end] != b"\r\n" {
                return Err("protocol error: a bulk string without \\r\\n".to_string());
            }
            return Ok(Step::Done(Part::Bulk(next..end - 2), end));
        }
        b':' => Part::Int(number(&buf[body])?),
        b'+' => Part::Simple(body),
        b'-' => Part::Error(body),
        b'*' => {
            if depth >= MAX_DEPTH {
                return Err("protocol error: replies nested too deep".to_string());
            }
            let n = number(&buf[body])?;
            let mut at = next;
            for _ in 0..n.max(0) {
                match element(buf, at, depth + 1)? {
                    Step::Done(_, after) => at = after,
                    need => return Ok(need),
                }
            }
            return Ok(Step::Done(Part::Nested, at));
        }
        other => {
            return Err(format!(
                "protocol error: unexpected {:?}",
                char::from(other).escape_default().to_string()
            ))
        }
    };
    Ok(Step::Done(part, next))
}

impl Raw {
    /// The frame this reply is, with owned bytes from `buf`.
    pub fn frame(&self, buf: &[u8]) -> Frame {
        let bytes = |i: usize| match &self.parts[i] {
            Part::Bulk(r) | Part::Simple(r) => buf[r.clone()].to_vec(),
            _ => Vec::new(),
        };
        let int = |i: usize| match self.parts[i] {
            Part::Int(n) => n,
            _ => 0,
        };
        if !self.array {
            return match &self.parts[0] {
                Part::Error(r) => Frame::Error(String::from_utf8_lossy(&buf[r.clone()]).into()),
                Part::Simple(r) if buf[r.clone()].eq_ignore_ascii_case(b"PONG") => Frame::Pong,
                _ => Frame::Other,
            };
        }
        let Some(Part::Bulk(kind)) = self.parts.first().filter(|_| self.len > 0) else {
            return Frame::Other;
        };
        let kind = &buf[kind.clone()];
        match (kind, self.len) {
            (b"message", 3) | (b"smessage", 3) => Frame::Message {
                channel: bytes(1),
                pattern: None,
                payload: bytes(2),
                sharded: kind == b"smessage",
            },
            (b"pmessage", 4) => Frame::Message {
                pattern: Some(bytes(1)),
                channel: bytes(2),
                payload: bytes(3),
                sharded: false,
            },
            (b"pong", _) => Frame::Pong,
            (_, 3) => {
                let (channel, count) = (bytes(1), int(2));
                match kind {
                    b"subscribe" => Frame::Subscribed {
                        kind: Kind::Channel,
                        channel,
                        count,
                    },
                    b"psubscribe" => Frame::Subscribed {
                        kind: Kind::Pattern,
                        channel,
                        count,
                    },
                    b"ssubscribe" => Frame::Subscribed {
                        kind: Kind::Shard,
                        channel,
                        count,
                    },
                    b"unsubscribe" => Frame::Unsubscribed {
                        kind: Kind::Channel,
                        channel,
                        count,
                    },
                    b"punsubscribe" => Frame::Unsubscribed {
                        kind: Kind::Pattern,
                        channel,
                        count,
                    },
                    b"sunsubscribe" => Frame::Unsubscribed {
                        kind: Kind::Shard,
                        channel,
                        count,
                    },
                    _ => Frame::Other,
                }
            }
            _ => Frame::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame of `wire`, parsed from the bytes split at every place.
    fn frames(wire: &[u8]) -> Vec<Frame> {
        let whole = all(wire);
        for cut in 0..wire.len() {
            // A prefix parses to whole frames and then asks for more.
            let mut at = 0;
            let mut got = Vec::new();
            while let Parsed::Frame(raw, used) = parse(&wire[at..cut]).unwrap() {
                got.push(raw.frame(&wire[at..]));
                at += used;
            }
            assert_eq!(got[..], whole[..got.len()], "cut at {cut}");
        }
        whole
    }

    fn all(wire: &[u8]) -> Vec<Frame> {
        let mut at = 0;
        let mut got = Vec::new();
        while at < wire.len() {
            match parse(&wire[at..]).unwrap() {
                Parsed::Frame(raw, used) => {
                    got.push(raw.frame(&wire[at..]));
                    at += used;
                }
                Parsed::Need(_) => panic!("incomplete at {at}"),
            }
        }
        got
    }

    #[test]
    fn pubsub_frames_are_read() {
        let wire = b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n\
*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhe\r\no\r\n\
*4\r\n$8\r\npmessage\r\n$2\r\ne*\r\n$2\r\nev\r\n$0\r\n\r\n\
*3\r\n$8\r\nsmessage\r\n$3\r\n{x}\r\n$1\r\n{\r\n\
*3\r\n$12\r\nsunsubscribe\r\n$3\r\n{x}\r\n:0\r\n\
*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n\
*2\r\n$4\r\npong\r\n$0\r\n\r\n+PONG\r\n+OK\r\n\
-MOVED 3999 127.0.0.1:7002\r\n*2\r\n*1\r\n:1\r\n:2\r\n";
        let got = frames(wire);
        let v = |s: &str| s.as_bytes().to_vec();
        assert_eq!(
            got,
            vec![
                Frame::Subscribed {
                    kind: Kind::Channel,
                    channel: v("a"),
                    count: 1
                },
                Frame::Message {
                    channel: v("a"),
                    pattern: None,
                    payload: v("he\r\no"),
                    sharded: false
                },
                Frame::Message {
                    channel: v("ev"),
                    pattern: Some(v("e*")),
                    payload: v(""),
                    sharded: false
                },
                Frame::Message {
                    channel: v("{x}"),
                    pattern: None,
                    payload: v("{"),
                    sharded: true
                },
                Frame::Unsubscribed {
                    kind: Kind::Shard,
                    channel: v("{x}"),
                    count: 0
                },
                Frame::Unsubscribed {
                    kind: Kind::Channel,
                    channel: v(""),
                    count: 0
                },
                Frame::Pong,
                Frame::Pong,
                Frame::Other,
                Frame::Error("MOVED 3999 127.0.0.1:7002".to_string()),
                Frame::Other,
            ]
        );
    }

    #[test]
    fn garbage_and_hostile_lengths_are_errors() {
        for bad in [
            &b"?what\r\n"[..],
            b"$x\r\n",
            b"$3\r\nabcde",
            b"*1\r\n$99999999999\r\n",
            b":1\n",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        // A header line that never ends is garbage, not a wait.
        assert!(parse(&[b'$'; 100]).is_err());
        // An error line split by a read is a wait, however long.
        let long = format!("-NOPERM {}", "x".repeat(500));
        assert!(matches!(parse(long.as_bytes()).unwrap(), Parsed::Need(_)));
        let whole = format!("{long}\r\n");
        assert!(matches!(
            parse(whole.as_bytes()).unwrap(),
            Parsed::Frame(..)
        ));
        let deep = "*1\r\n".repeat(MAX_DEPTH + 2);
        assert!(parse(deep.as_bytes()).is_err());
        // A big bulk string not yet here says how much more it needs.
        assert!(matches!(parse(b"$1000\r\nab").unwrap(), Parsed::Need(1000)));
    }

    #[test]
    fn integer_replies_are_counted_up_to_anything_else() {
        assert_eq!(integer_replies(b":0\r\n:12\r\n:-3\r\n", 10), (3, 14));
        assert_eq!(integer_replies(b":0\r\n:12\r\n:-3\r\n", 2), (2, 9));
        assert_eq!(integer_replies(b":0\r\n-ERR no\r\n:1\r\n", 10), (1, 4));
        // Unfinished, empty, too long or not digits: left to `parse`.
        for stop in [
            &b":1"[..],
            b":12\r",
            b":\r\n",
            b":-\r\n",
            b":1x\r\n",
            b":+1\r\n",
            b":1234567890123456789\r\n",
            b"+OK\r\n",
            b"",
        ] {
            let mut wire = b":5\r\n".to_vec();
            wire.extend_from_slice(stop);
            assert_eq!(integer_replies(&wire, 10), (1, 4), "{stop:?}");
        }
        assert_eq!(integer_replies(b":123456789012345678\r\n", 1), (1, 21));
        // What it counts, parse reads as one reply each, of the same length.
        let wire = b":0\r\n:-99\r\n:7\r\n";
        let (n, used) = integer_replies(wire, 10);
        assert_eq!(all(wire).len(), n);
        assert_eq!(used, wire.len());
    }

    #[test]
    fn commands_are_encoded_as_arrays() {
        let mut out = Vec::new();
        encode(&mut out, &[b"SSUBSCRIBE", b"{a}x", b""]);
        assert_eq!(out, b"*3\r\n$10\r\nSSUBSCRIBE\r\n$4\r\n{a}x\r\n$0\r\n\r\n");
        for (channel, payload, want) in [
            (
                "{a}x",
                "",
                &b"*3\r\n$7\r\nPUBLISH\r\n$4\r\n{a}x\r\n$0\r\n\r\n"[..],
            ),
            (
                "",
                "he\r\nllo",
                b"*3\r\n$7\r\nPUBLISH\r\n$0\r\n\r\n$7\r\nhe\r\nllo\r\n",
            ),
            ("c", "x", b"*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n$1\r\nx\r\n"),
        ] {
            let mut out = Vec::new();
            encode(
                &mut out,
                &[b"PUBLISH", channel.as_bytes(), payload.as_bytes()],
            );
            assert_eq!(out, want);
        }
        let long = vec![b'x'; 1_234_567];
        let mut out = Vec::new();
        encode(&mut out, &[b"SPUBLISH", b"", &long]);
        assert!(out.starts_with(b"*3\r\n$8\r\nSPUBLISH\r\n$0\r\n\r\n$1234567\r\nxxx"));
    }
}
