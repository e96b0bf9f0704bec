//! Field extraction with arbitrary dotted paths and constants, over NDJSON
//! and CSV events, plus time parsing and channel templates: never panics, and
//! a field given as a constant comes out as given.
#![no_main]

use dualstream_fuzz::event::{self, ChannelTemplate, Field, FieldMap, Path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Lines: id path, type path, source id (a path, or `=constant`), time
    // path, channel template, then the event.
    let mut parts = text.splitn(6, '\n');
    let mut next = || parts.next().unwrap_or("").to_string();
    let (id, kind, source_id, time, template, line) =
        (next(), next(), next(), next(), next(), next());
    let field = |spec: &str| match spec.strip_prefix('=') {
        Some(constant) => Field::Const(constant.to_string()),
        None => Field::Path(Path::new(spec)),
    };
    let fields = FieldMap {
        id: Path::new(&id),
        kind: field(&kind),
        source_type: Field::Const("fuzz".to_string()),
        source_id: field(&source_id),
        time: Path::new(&time),
    };
    let _ = event::parse_time_text(&line);
    let template = ChannelTemplate::parse(&template);
    if let Ok(ev) = event::from_json_line(line.as_bytes(), &fields) {
        if let Some(constant) = source_id.strip_prefix('=') {
            assert_eq!(ev.source_id, constant);
        }
        if let Ok(t) = &template {
            let _ = t.render(&ev, "topic");
        }
    }
    // The same text as a CSV record under headers named by the paths.
    let headers: Vec<String> = [&id, &kind, &source_id, &time]
        .iter()
        .map(|h| h.to_string())
        .collect();
    let record: Vec<&str> = line.split(',').collect();
    if let Ok(ev) = event::from_csv_record(&headers, &record, &fields) {
        let v: serde_json::Value = serde_json::from_slice(&ev.value).unwrap();
        assert!(v.is_object());
    }
});
