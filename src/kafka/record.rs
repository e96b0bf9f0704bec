//! How an event is written into a Kafka record and read back: the key is
//! the source id, and headers carry id, type and source type so consumers
//! can filter without parsing the value.

use rdkafka::message::{Header, Headers, Message, OwnedHeaders};

use crate::event::{self, Event, FieldMap};

/// The headers publish writes, which [`record_event`] reads back: they let
/// consumers filter without parsing the value.
pub fn event_headers(id: &str, kind: &str, source_type: &str) -> OwnedHeaders {
    OwnedHeaders::new_with_capacity(3)
        .insert(Header {
            key: "id",
            value: Some(id.as_bytes()),
        })
        .insert(Header {
            key: "type",
            value: Some(kind.as_bytes()),
        })
        .insert(Header {
            key: "source_type",
            value: Some(source_type.as_bytes()),
        })
}

/// The most bytes a record of `key`, `value` and `headers` takes alone in
/// a batch, as librdkafka reckons it against `message.max.bytes` (its
/// batch header, 61 bytes, and a record's largest framing, 36 bytes, around
/// the key, value and serialized headers); the broker's check against a
/// topic's `max.message.bytes` is on the same batch.
pub fn wire_size<H: Headers>(key: &[u8], value: &[u8], headers: Option<&H>) -> u64 {
    let lengths = headers
        .into_iter()
        .flat_map(|hs| hs.iter())
        .map(|h| (h.key.len(), h.value.map_or(0, <[u8]>::len)));
    size_of_parts(key, value, lengths)
}

/// [`wire_size`] of a record with the headers of [`event_headers`], from
/// the event's fields: reading the headers back out of librdkafka's list
/// took a tenth of publish's own work an event.
pub fn event_wire_size(key: &[u8], value: &[u8], event_headers: Option<[&str; 3]>) -> u64 {
    let lengths = event_headers
        .into_iter()
        .flat_map(|[id, kind, source_type]| {
            [
                ("id".len(), id.len()),
                ("type".len(), kind.len()),
                ("source_type".len(), source_type.len()),
            ]
        });
    size_of_parts(key, value, lengths)
}

/// The size of a record from its key, value and each header's key and
/// value lengths.
fn size_of_parts(key: &[u8], value: &[u8], headers: impl Iterator<Item = (usize, usize)>) -> u64 {
    fn varint(n: usize) -> u64 {
        // Zigzag: lengths are non-negative, so 2n, 7 bits a byte.
        let mut z = (n as u64) << 1;
        let mut bytes = 1;
        while z >= 0x80 {
            z >>= 7;
            bytes += 1;
        }
        bytes
    }
    let headers: u64 = headers
        .map(|(k, v)| varint(k) + k as u64 + varint(v) + v as u64)
        .sum();
    61 + 36 + key.len() as u64 + value.len() as u64 + headers
}

/// The event a record holds, as publish wrote it: id, type and source type
/// from its headers and the source id from its key; for records without
/// those headers, from the value's default fields (the key still wins for
/// the source id).
pub fn record_event(m: &impl Message) -> Option<Event> {
    let header = |key: &str| {
        m.headers()?
            .iter()
            .find(|h| h.key == key)
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
    if let (Some(id), Some(kind), Some(source_type), Some(source_id)) = (
        header("id"),
        header("type"),
        header("source_type"),
        key.clone(),
    ) {
        return Some(Event {
            id,
            kind,
            source_type,
            source_id,
            timestamp: None,
            value: Vec::new(),
        });
    }
    let mut event = event::from_json_line(m.payload()?, &FieldMap::defaults()).ok()?;
    event.value = Vec::new();
    if let Some(key) = key {
        event.source_id = key;
    }
    Some(event)
}

/// A record's headers as owned headers, to copy them into another record.
pub fn owned_headers(headers: &impl Headers) -> OwnedHeaders {
    headers.iter().fold(
        OwnedHeaders::new_with_capacity(headers.count()),
        |owned, h| {
            owned.insert(Header {
                key: h.key,
                value: h.value,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_size_from_its_fields_is_the_size_of_its_record() {
        let long = "x".repeat(300);
        for (id, kind, source_type) in [("e-1", "push", "repo"), ("", "", ""), ("i", &*long, "s")] {
            let headers = event_headers(id, kind, source_type);
            for (key, value) in [(&b"k"[..], &b"{}"[..]), (b"", b""), (long.as_bytes(), b"v")] {
                assert_eq!(
                    event_wire_size(key, value, Some([id, kind, source_type])),
                    wire_size(key, value, Some(&headers)),
                );
                assert_eq!(
                    event_wire_size(key, value, None),
                    wire_size::<OwnedHeaders>(key, value, None),
                );
            }
        }
    }
}
