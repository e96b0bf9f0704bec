//! The pure modules of dualstream, compiled here by path so the fuzz targets
//! can call them: the binary crate has no library to depend on. Only
//! `event` (parsing, field extraction, ids, channels), `input` (the NDJSON
//! and CSV readers) and `resp` (tail's RESP2 parser) come in; they import
//! nothing else of the crate.

#![allow(dead_code)]

#[path = "../../src/event.rs"]
pub mod event;

#[path = "../../src/input.rs"]
pub mod input;

#[path = "../../src/pubsub/resp.rs"]
pub mod resp;

use input::{Format, Item, Source};

/// Everything the input reader makes of `data` as one source of `format`,
/// with lines limited to `max_line` bytes.
pub fn read_all(data: &[u8], format: Format, max_line: usize) -> Vec<Item> {
    let source = Source {
        name: "fuzz".to_string(),
        path: None,
        format,
        size: Some(data.len() as u64),
    };
    let reader: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(data.to_vec()));
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let thread = input::spawn_reader(
        vec![source],
        vec![reader],
        event::FieldMap::defaults(),
        max_line,
        tx,
    );
    let mut items = Vec::new();
    while let Some(chunk) = rx.blocking_recv() {
        items.extend(chunk);
    }
    thread.join().expect("the reader thread panicked");
    items
}
