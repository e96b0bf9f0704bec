//! The canonical form of a JSON line as written, for derived ids: keys
//! sorted at every depth (the last of duplicate keys wins, as in a parsed
//! object), no whitespace, strings and numbers as serde_json renders them
//! — except a number that serde_json cannot hold exactly (an integer beyond
//! 64 bits, a decimal with more digits than an `f64` keeps), which is
//! written as the exact decimal it denotes. So every number that fits keeps
//! the form (and the ids) of earlier releases, and distinct numbers give
//! distinct forms.
//!
//! Reads text that serde_json has already accepted (so nesting is bounded
//! by its recursion limit); `None` if it meets anything else.

use std::collections::BTreeMap;

use serde_json::Value;

/// The canonical form of the JSON `text`.
pub fn of_text(text: &str) -> Option<String> {
    let mut scan = Scan {
        text: text.as_bytes(),
        at: 0,
    };
    let out = scan.value()?;
    scan.space();
    (scan.at == scan.text.len()).then_some(out)
}

struct Scan<'t> {
    text: &'t [u8],
    at: usize,
}

impl Scan<'_> {
    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn value(&mut self) -> Option<String> {
        self.space();
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => {
                let s = self.string()?;
                Some(Value::String(s).to_string())
            }
            b't' => self.word("true"),
            b'f' => self.word("false"),
            b'n' => self.word("null"),
            _ => self.number(),
        }
    }

    fn word(&mut self, word: &str) -> Option<String> {
        let end = self.at + word.len();
        (self.text.get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            word.to_string()
        })
    }

    fn object(&mut self) -> Option<String> {
        self.eat(b'{')?;
        let mut members = BTreeMap::new();
        self.space();
        if self.peek()? == b'}' {
            self.at += 1;
        } else {
            loop {
                self.space();
                let key = self.string()?;
                self.eat(b':')?;
                let value = self.value()?;
                members.insert(key, value);
                self.space();
                match self.peek()? {
                    b',' => self.at += 1,
                    b'}' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let mut out = String::from("{");
        for (i, (key, value)) in members.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&Value::String(key).to_string());
            out.push(':');
            out.push_str(&value);
        }
        out.push('}');
        Some(out)
    }

    fn array(&mut self) -> Option<String> {
        self.eat(b'[')?;
        let mut out = String::from("[");
        self.space();
        if self.peek()? == b']' {
            self.at += 1;
        } else {
            loop {
                if out.len() > 1 {
                    out.push(',');
                }
                out.push_str(&self.value()?);
                self.space();
                match self.peek()? {
                    b',' => self.at += 1,
                    b']' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        out.push(']');
        Some(out)
    }

    /// A string token, decoded by serde_json.
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        if self.peek()? != b'"' {
            return None;
        }
        let mut i = start + 1;
        loop {
            match *self.text.get(i)? {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        self.at = i + 1;
        let token = std::str::from_utf8(&self.text[start..self.at]).ok()?;
        serde_json::from_str(token).ok()
    }

    fn number(&mut self) -> Option<String> {
        let start = self.at;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.at += 1;
        }
        let token = std::str::from_utf8(&self.text[start..self.at]).ok()?;
        number(token)
    }
}

/// A number token: serde_json's rendering when it denotes the same decimal
/// as the token, else the token's exact decimal.
pub fn number(token: &str) -> Option<String> {
    let exact = Decimal::parse(token)?;
    let rendered = serde_json::from_str::<Value>(token).ok()?.to_string();
    if Decimal::parse(&rendered).as_ref() == Some(&exact) {
        Some(rendered)
    } else {
        Some(exact.to_string())
    }
}

/// A decimal as `digits × 10^exponent`: no leading or trailing zeros in
/// `digits`, zero as no digits (and never negative).
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i128,
}

impl Decimal {
    /// A JSON number (also serde_json's renderings of one).
    fn parse(token: &str) -> Option<Decimal> {
        let (negative, rest) = match token.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, token),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], saturating_exponent(&rest[i + 1..])?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let all = format!("{int}{frac}");
        let mut exponent = exponent - frac.len() as i128;
        let trimmed = all.trim_end_matches('0');
        exponent += (all.len() - trimmed.len()) as i128;
        let digits = trimmed.trim_start_matches('0').to_string();
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }
}

/// An exponent's digits, held at ±10^30 (far beyond any exponent a line
/// can make meaningful; serde_json refuses the large ones anyway).
fn saturating_exponent(text: &str) -> Option<i128> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: i128 = 0;
    for b in digits.bytes() {
        n = (n * 10 + i128::from(b - b'0')).min(10i128.pow(30));
    }
    Some(if negative { -n } else { n })
}

impl std::fmt::Display for Decimal {
    /// Whole numbers with all their digits (up to 64 trailing zeros), the
    /// rest as `digits` `e` `exponent`: either way the exact value.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        let sign = if self.negative { "-" } else { "" };
        match self.exponent {
            0 => write!(f, "{sign}{}", self.digits),
            e @ 1..=64 => write!(f, "{sign}{}{}", self.digits, "0".repeat(e as usize)),
            e => write!(f, "{sign}{}e{e}", self.digits),
        }
    }
}
