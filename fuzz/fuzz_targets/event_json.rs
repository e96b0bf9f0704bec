//! One NDJSON line → event. Never panics; a valid event keeps the line as its
//! value, has the needed fields, and its derived id does not depend on how
//! the JSON was formatted.
#![no_main]

use dualstream_fuzz::event::{self, ChannelTemplate, FieldMap};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    let fields = FieldMap::defaults();
    let Ok(ev) = event::from_json_line(line, &fields) else {
        return;
    };
    assert_eq!(ev.value, line, "the value is the line as given");
    assert!(!ev.id.is_empty() && !ev.kind.is_empty());
    assert!(!ev.source_type.is_empty() && !ev.source_id.is_empty());
    // The same event written differently gets the same id when derived.
    let value: serde_json::Value = serde_json::from_slice(line).unwrap();
    let compact = serde_json::to_vec(&value).unwrap();
    let again = event::from_json_line(&compact, &fields).expect("re-serialized event is valid");
    assert_eq!(again.id, ev.id, "id changed with formatting");
    assert_eq!(again.timestamp, ev.timestamp);
    let channel = ChannelTemplate::parse("events:{source_type}:{source_id}")
        .unwrap()
        .render(&ev, "events");
    assert!(channel.starts_with("events:"));
});
