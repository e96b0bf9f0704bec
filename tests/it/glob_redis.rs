//! Differential test of `pubsub::glob` against a real redis-server: every
//! pattern of a fixed, generated set is PSUBSCRIBEd, every channel of another
//! is PUBLISHed to, and what Redis delivered must be exactly what
//! `glob::matches` predicts. `tail` relies on that agreement to print a
//! message once when several of its patterns match.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::*;

// The binary's module, compiled into this crate as well: it is pure and
// imports nothing from the crate (its unit tests run here a second time).
#[allow(dead_code)]
#[path = "../../src/pubsub/glob.rs"]
mod glob;

/// splitmix64 with a fixed seed: the same patterns and channels on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, alphabet: &[u8], max_len: usize) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}

/// Pattern pieces: every construct Redis knows, and the odd corners (an
/// empty class, `]` or `-` where a class might end, unclosed classes,
/// escapes at the end, ranges written backwards or over bytes >= 0x80).
const PIECES: &[&[u8]] = &[
    b"a",
    b"b",
    b"*",
    b"**",
    b"?",
    b"[abc]",
    b"[^a]",
    b"[a-c]",
    b"[c-a]",
    b"[^a-b]",
    b"[]a]",
    b"[]",
    b"[^]",
    b"[a-]",
    b"[-a]",
    b"[\\]]",
    b"[\\",
    b"[a\\",
    b"[a-\\]]",
    b"[",
    b"[^",
    b"[ab",
    b"]",
    b"\\*",
    b"\\?",
    b"\\[",
    b"\\a",
    b"\\\\",
    b"\\",
    b"\xff",
    b"\x80",
    b"[a-\xff]",
    b"[\x80-b]",
    b"[^\xff]",
];

/// Bytes for random patterns and channels, glob characters included.
const PATTERN_BYTES: &[u8] = b"abc*?[]^-\\\x80\xff";
const CHANNEL_BYTES: &[u8] = b"abcd-^]\\*?[\x80\xff";

fn patterns(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut set = BTreeSet::new();
    set.insert(Vec::new());
    for piece in PIECES {
        set.insert(piece.to_vec());
    }
    for _ in 0..250 {
        let mut p = Vec::new();
        for _ in 0..1 + rng.below(4) {
            p.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        set.insert(p);
    }
    for _ in 0..150 {
        set.insert(rng.bytes(PATTERN_BYTES, 6));
    }
    set.into_iter().collect()
}

fn channels(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut set = BTreeSet::new();
    // Every channel of up to two bytes, the empty one included.
    set.insert(Vec::new());
    for &a in CHANNEL_BYTES {
        set.insert(vec![a]);
        for &b in CHANNEL_BYTES {
            set.insert(vec![a, b]);
        }
    }
    for _ in 0..250 {
        set.insert(rng.bytes(CHANNEL_BYTES, 8));
    }
    set.into_iter().collect()
}

fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

#[test]
fn glob_matches_what_redis_delivers() {
    let redis = Redis::start();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut rng = Rng(18);
    let patterns = patterns(&mut rng);
    let channels = channels(&mut rng);

    let mut sub_conn = client.get_connection().unwrap();
    let mut sub = sub_conn.as_pubsub();
    for p in &patterns {
        sub.psubscribe(p.as_slice()).unwrap();
    }

    // PUBLISH answers how many subscriptions received the message: the total
    // tells when everything Redis sent has been read.
    let mut publisher = client.get_connection().unwrap();
    let mut sent = 0usize;
    for (i, channel) in channels.iter().enumerate() {
        let receivers: usize = redis::cmd("PUBLISH")
            .arg(channel.as_slice())
            .arg(i.to_string())
            .query(&mut publisher)
            .unwrap();
        sent += receivers;
    }

    sub.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut delivered = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut read = 0usize;
    while read < sent && Instant::now() < deadline {
        let msg = match sub.get_message() {
            Ok(msg) => msg,
            Err(e) if e.is_timeout() => continue,
            Err(e) => panic!("reading pub/sub messages: {e}"),
        };
        read += 1;
        let pattern: Vec<u8> = msg.get_pattern().unwrap();
        let index: usize = msg.get_payload::<String>().unwrap().parse().unwrap();
        let channel: Vec<u8> = msg.get_channel().unwrap();
        assert_eq!(channel, channels[index], "channel and payload disagree");
        delivered.insert((pattern, index));
    }
    assert_eq!(
        read, sent,
        "Redis counted {sent} receivers, {read} messages arrived"
    );
    assert_eq!(delivered.len(), read, "a pattern received a message twice");

    let mut predicted = BTreeSet::new();
    for p in &patterns {
        for (i, c) in channels.iter().enumerate() {
            if glob::matches(p, c) {
                predicted.insert((p.clone(), i));
            }
        }
    }
    // One line per pattern that disagrees, with its first channel.
    let mut disagreements: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for (p, i) in delivered.symmetric_difference(&predicted) {
        if seen.insert(p) {
            disagreements.push(format!(
                "pattern \"{}\" channel \"{}\": redis {}, glob::matches {}",
                show(p),
                show(&channels[*i]),
                delivered.contains(&(p.clone(), *i)),
                predicted.contains(&(p.clone(), *i)),
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} patterns x {} channels, {} deliveries; {} patterns disagree:\n{}",
        patterns.len(),
        channels.len(),
        read,
        disagreements.len(),
        disagreements.join("\n")
    );
    // The sets are large enough to mean something.
    assert!(patterns.len() > 300 && channels.len() > 300 && read > 1000);
}
