//! The first pass over an NDJSON line: one walk over its bytes that checks
//! the JSON and hands back only the top-level values the field map wants,
//! as slices of the line. Callgrind put serde's pass (even one that builds
//! nothing) at 5 k of publish's 18.5 k instructions an event on 324-byte
//! events.
//!
//! It is deliberately narrow: it accepts a subset of what serde_json
//! accepts and answers `None` for everything else (a `\u` escape, an
//! exponent, a very long number, deep nesting, and every error), which the
//! caller then reads with serde, for the same event or the precise error.
//! So when it answers `Some`, serde would have accepted the line too, with
//! the same top-level values.

/// A wanted top-level value, as written in the line.
#[derive(Debug, PartialEq)]
pub(super) enum Written<'a> {
    /// A string without escapes: its text between the quotes.
    Plain(&'a str),
    /// Any other value (a string with escapes, a number, `true`, an
    /// object…): its JSON text, for serde to turn into a `Value`.
    Json(&'a str),
}

/// Nesting allowed before handing the line to serde, whose limit is 128.
const DEPTH: usize = 100;
/// Longest number read here: serde rejects a number whose value does not
/// fit an f64, which without an exponent takes more than 308 digits.
const NUMBER: usize = 300;

/// The top-level `(key, value)` pairs of `text` whose key `wanted` picks,
/// in the order written (duplicates kept), if `text` is one JSON object
/// this walk can vouch for.
pub(super) fn top_level<'a>(
    text: &'a str,
    wanted: impl Fn(&str) -> bool,
) -> Option<Vec<(&'a str, Written<'a>)>> {
    let mut s = Walk {
        text,
        b: text.as_bytes(),
        i: 0,
    };
    if has_control(s.b) {
        return None;
    }
    let mut picked = Vec::with_capacity(8);
    s.space();
    s.object(1, |(key, plain_key), (raw, plain)| {
        // A key with escapes must be decoded to be compared: serde's.
        if !plain_key {
            return None;
        }
        if wanted(key) {
            picked.push((
                key,
                match plain {
                    true => Written::Plain(&raw[1..raw.len() - 1]),
                    false => Written::Json(raw),
                },
            ));
        }
        Some(())
    })?;
    s.space();
    (s.i == s.b.len()).then_some(picked)
}

struct Walk<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Walk<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// JSON's whitespace: space, tab, line feed, carriage return.
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// One value; `Some(true)` for a string without escapes.
    fn value(&mut self, depth: usize) -> Option<bool> {
        match self.peek()? {
            b'"' => self.string().map(|(_, plain)| plain),
            b'{' => self.object(depth + 1, |_, _| Some(())).map(|()| false),
            b'[' => self.array(depth + 1).map(|()| false),
            b't' => self.word(b"true").map(|()| false),
            b'f' => self.word(b"false").map(|()| false),
            b'n' => self.word(b"null").map(|()| false),
            b'-' | b'0'..=b'9' => self.number().map(|()| false),
            _ => None,
        }
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// An object from its `{`, at nesting `depth`; `member` is handed each
    /// key and the text of its value, each with whether it is a string
    /// without escapes, and may refuse the object.
    fn object(
        &mut self,
        depth: usize,
        mut member: impl FnMut((&'a str, bool), (&'a str, bool)) -> Option<()>,
    ) -> Option<()> {
        if depth > DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.space();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.space();
            let key = self.string()?;
            self.space();
            self.eat(b':')?;
            self.space();
            let start = self.i;
            let plain = self.value(depth)?;
            member(key, (self.text.get(start..self.i)?, plain))?;
            self.space();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > DEPTH {
            return None;
        }
        self.eat(b'[')?;
        self.space();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.space();
            self.value(depth)?;
            self.space();
            match self.next()? {
                b',' => continue,
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, no exponent, at most [`NUMBER`] long.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        if self.peek()? == b'-' {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            let before = self.i;
            self.digits();
            if self.i == before {
                return None;
            }
        }
        match self.peek() {
            Some(b'e' | b'E') | Some(b'0'..=b'9') => None,
            _ => (self.i - start <= NUMBER).then_some(()),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    /// A string from its opening quote: its text between the quotes and
    /// whether it has no escapes. Refuses `\u` escapes (left to serde,
    /// which checks surrogates); control characters were refused for the
    /// whole line before the walk began.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut plain = true;
        loop {
            self.skip_ordinary()?;
            match self.next()? {
                b'"' => break,
                _ => {
                    plain = false;
                    match self.next()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        _ => return None,
                    }
                }
            }
        }
        // Both ends are ASCII quotes, so char boundaries.
        Some((self.text.get(start..self.i - 1)?, plain))
    }
}

impl Walk<'_> {
    /// Moves to the next quote or backslash of a string: eight bytes at a
    /// time (the lowest byte the test flags is exact), and memchr's vector
    /// loop for what is left of a long string.
    fn skip_ordinary(&mut self) -> Option<()> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        // The high bit of each zero byte of `w`, and maybe of bytes above it.
        let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
        let quote = ONES * u64::from(b'"');
        let backslash = ONES * u64::from(b'\\');
        for _ in 0..4 {
            let Some(chunk) = self.b.get(self.i..self.i + 8) else {
                break;
            };
            let w = u64::from_le_bytes(chunk.try_into().ok()?);
            let found = zero(w ^ quote) | zero(w ^ backslash);
            if found != 0 {
                self.i += found.trailing_zeros() as usize / 8;
                return Some(());
            }
            self.i += 8;
        }
        self.i += memchr::memchr2(b'"', b'\\', self.b.get(self.i..)?)?;
        Some(())
    }
}

/// Whether any byte of `b` is a control character, which JSON allows only
/// as whitespace between tokens (tab, CR) and never inside a string. Written
/// as a fold without an early exit so that it compiles to vector code.
fn has_control(b: &[u8]) -> bool {
    b.chunks(64)
        .any(|chunk| chunk.iter().fold(false, |any, &c| any | (c < 0x20)))
}
