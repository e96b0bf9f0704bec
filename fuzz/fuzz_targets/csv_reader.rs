//! The CSV reader over arbitrary bytes: never panics or reports a broken
//! input for bytes in memory, line numbers never go back, an event's value is
//! a JSON object of the header's names, and bytes counted fit the input.
#![no_main]

use dualstream_fuzz::input::{Format, Item};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let items = dualstream_fuzz::read_all(data, Format::Csv, 512);
    let mut last_line = 0;
    let mut bytes = 0;
    for item in &items {
        let (at, b) = match item {
            Item::Event { at, bytes, event } => {
                let v: serde_json::Value =
                    serde_json::from_slice(&event.value).expect("value is JSON");
                assert!(v.is_object());
                (at, bytes)
            }
            Item::Invalid { at, bytes, .. } => (at, bytes),
            // A bad header row is reported as the input being unreadable.
            Item::Broken(e) => {
                assert!(e.contains("CSV header"), "{e}");
                continue;
            }
        };
        assert!(at.line >= last_line, "line numbers go forward");
        last_line = at.line;
        bytes += b;
    }
    assert!(bytes <= data.len() as u64);
});
