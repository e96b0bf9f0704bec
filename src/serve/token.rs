//! The resume token: a client's position in the log of its stream (the
//! next offset per partition) and that log's identity (cluster id, topic
//! id), as an opaque, URL-safe string. Pure: no I/O.
//!
//! Layout (version 1), then URL-safe base64 without padding:
//! `1` · topic id (16 bytes) · cluster id length (1 byte) and bytes ·
//! partition count (LEB128) · per partition its next offset (LEB128) ·
//! the first 4 bytes of the SHA-256 of all before. At most
//! [`MOST_CHARS`] characters: a truncated, altered or foreign string fails
//! the checksum or the layout, and is refused with a reason.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::kafka::identity::LogIdentity;

/// The only version this build writes and reads.
const VERSION: u8 = 1;

/// The longest token accepted (and so the most partitions a position can
/// name: a few hundred at the largest offsets, thousands at small ones).
pub const MOST_CHARS: usize = 4096;

/// The most partitions a token names.
const MOST_PARTITIONS: u64 = 4096;

/// A position in a log: `next[p]` is the next offset to send of partition `p`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub log: LogIdentity,
    pub next: Vec<i64>,
}

impl Position {
    /// The token of this position.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(32 + self.next.len() * 4);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.log.topic);
        let cluster = self.log.cluster.as_bytes();
        let cluster = &cluster[..cluster.len().min(255)];
        bytes.push(cluster.len() as u8);
        bytes.extend_from_slice(cluster);
        leb128(&mut bytes, self.next.len() as u64);
        for &offset in &self.next {
            leb128(&mut bytes, offset.max(0) as u64);
        }
        let sum = Sha256::digest(&bytes);
        bytes.extend_from_slice(&sum[..4]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Read a token back; `Err` says why it is not one.
    pub fn decode(token: &str) -> Result<Position, String> {
        if token.len() > MOST_CHARS {
            return Err(format!(
                "the resume token is {} characters long, more than any this server issues ({MOST_CHARS})",
                token.len()
            ));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| "the resume token is not URL-safe base64".to_string())?;
        if bytes.len() < 1 + 16 + 1 + 1 + 4 {
            return Err("the resume token is too short (truncated?)".into());
        }
        if bytes[0] != VERSION {
            return Err(format!(
                "the resume token has version {}, this server reads version {VERSION}",
                bytes[0]
            ));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 4);
        if Sha256::digest(body)[..4] != *sum {
            return Err("the resume token's checksum does not match (truncated or altered)".into());
        }
        let mut r = Cursor { bytes: body, at: 1 };
        let mut topic = [0u8; 16];
        topic.copy_from_slice(r.take(16)?);
        let len = r.take(1)?[0] as usize;
        let cluster = std::str::from_utf8(r.take(len)?)
            .map_err(|_| "the resume token's cluster id is not UTF-8".to_string())?
            .to_string();
        let count = r.leb128()?;
        if count > MOST_PARTITIONS {
            return Err(format!("the resume token names {count} partitions"));
        }
        let mut next = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let offset = r.leb128()?;
            next.push(i64::try_from(offset).map_err(|_| "an offset out of range".to_string())?);
        }
        if r.at != body.len() {
            return Err("the resume token has bytes after its offsets".into());
        }
        Ok(Position {
            log: LogIdentity { cluster, topic },
            next,
        })
    }
}

fn leb128(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| "the resume token ends too soon".to_string())?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn leb128(&mut self) -> Result<u64, String> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            n |= u64::from(byte & 0x7f)
                .checked_shl(shift)
                .ok_or_else(|| "an offset out of range".to_string())?;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("an offset out of range".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Position {
        Position {
            log: LogIdentity {
                cluster: "MkU3OEVBNTcwNTJENDM2Qk".into(),
                topic: [7; 16],
            },
            next: vec![0, 1, 127, 128, 300_000_000_000],
        }
    }

    #[test]
    fn a_token_reads_back_as_its_position() {
        let p = position();
        let token = p.encode();
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Position::decode(&token).unwrap(), p);
    }

    #[test]
    fn truncated_altered_foreign_and_oversized_tokens_are_refused() {
        let token = position().encode();
        let why = |t: &str| Position::decode(t).unwrap_err();
        assert!(
            why(&token[..token.len() - 3]).contains("checksum"),
            "truncated"
        );
        let mut altered = token.clone().into_bytes();
        altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
        assert!(why(std::str::from_utf8(&altered).unwrap()).contains("checksum"));
        assert!(why("not a token!").contains("base64"));
        assert!(why("abc").contains("short"));
        assert!(why(&"A".repeat(MOST_CHARS + 1)).contains("more than"));
        let mut v2 = URL_SAFE_NO_PAD.decode(&token).unwrap();
        v2[0] = 2;
        assert!(why(&URL_SAFE_NO_PAD.encode(v2)).contains("version 2"));
    }
}
