//! The NDJSON reader over arbitrary bytes: never panics, numbers lines one by
//! one, keeps no more than the limit of a long line, and never counts more
//! bytes than it was given.
#![no_main]

use dualstream_fuzz::input::{Format, Item};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 256;

fuzz_target!(|data: &[u8]| {
    let items = dualstream_fuzz::read_all(data, Format::Ndjson, MAX);
    let mut last_line = 0;
    let mut bytes = 0;
    for item in &items {
        let (at, b) = match item {
            Item::Event { at, bytes, event } => {
                assert!(event.value.len() <= MAX);
                (at, bytes)
            }
            Item::Invalid { at, bytes, raw, .. } => {
                assert!(raw.len() <= MAX + 2, "a long line was kept whole");
                (at, bytes)
            }
            Item::Broken(e) => panic!("reading from memory broke: {e}"),
        };
        assert!(at.line > last_line, "line numbers go forward");
        last_line = at.line;
        bytes += b;
    }
    assert!(bytes <= data.len() as u64);
    let lines = data.split(|&b| b == b'\n').count() as u64;
    assert!(last_line <= lines);
});
