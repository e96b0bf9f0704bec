//! A batch of notifications, kept as the PUBLISH pipeline that carries it:
//! each notification is written once, as its RESP command, where it is
//! made, and the notifier sends the buffer as it is. What else needs a
//! notification (the sharded side's routing, a caller told of the lost
//! ones) reads its channel and payload back out of the buffer by the marks
//! kept beside it.

use super::resp::bulk;
use crate::event::{NoteDraft, PLACE_TEXT};

/// Notifications, in order, as back-to-back `PUBLISH channel payload`
/// commands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notes {
    wire: Vec<u8>,
    marks: Vec<Mark>,
}

/// Where one notification is in the buffer: its command starts at `start`;
/// its channel and payload are the bytes at `channel` and `payload`, of the
/// lengths given. Its command ends two bytes after its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mark {
    start: usize,
    channel: usize,
    channel_len: usize,
    payload: usize,
    payload_len: usize,
}

impl Mark {
    fn end(&self) -> usize {
        self.payload + self.payload_len + 2
    }
}

impl Notes {
    pub fn new() -> Notes {
        Notes::default()
    }

    /// Room for `n` notifications of about 200 bytes each.
    pub fn with_capacity(n: usize) -> Notes {
        Notes {
            wire: Vec::with_capacity(n.saturating_mul(200).min(1 << 20)),
            marks: Vec::with_capacity(n.min(1 << 16)),
        }
    }

    /// One notification on `channel`, its payload the parts of `payload`
    /// one after the other.
    pub fn push(&mut self, channel: &[u8], payload: &[&[u8]]) {
        let wire = &mut self.wire;
        let start = wire.len();
        wire.extend_from_slice(b"*3\r\n$7\r\nPUBLISH\r\n");
        let at_channel = bulk(wire, &[channel]);
        let at_payload = bulk(wire, payload);
        self.marks.push(Mark {
            start,
            channel: at_channel,
            channel_len: channel.len(),
            payload: at_payload,
            payload_len: wire.len() - 2 - at_payload,
        });
    }

    /// `draft`'s notification, finished at `place` (Kafka's partition and
    /// offset).
    pub fn push_draft(&mut self, draft: &NoteDraft, place: (i32, i64)) {
        let mut tail = [0u8; PLACE_TEXT];
        let (head, tail) = draft.payload(Some(place), &mut tail);
        self.push(draft.channel().as_bytes(), &[head.as_bytes(), tail]);
    }

    pub fn len(&self) -> usize {
        self.marks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    /// The pipeline: every notification's PUBLISH, in order.
    pub fn wire(&self) -> &[u8] {
        &self.wire
    }

    /// The channel and payload of the `i`th notification.
    pub fn get(&self, i: usize) -> (&[u8], &[u8]) {
        let m = &self.marks[i];
        (
            &self.wire[m.channel..m.channel + m.channel_len],
            &self.wire[m.payload..m.payload + m.payload_len],
        )
    }

    /// Each notification's channel and payload, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// `other`'s notifications after these.
    pub fn append(&mut self, other: &Notes) {
        let shift = self.wire.len();
        self.wire.extend_from_slice(&other.wire);
        self.marks.extend(other.marks.iter().map(|m| Mark {
            start: m.start + shift,
            channel: m.channel + shift,
            payload: m.payload + shift,
            ..*m
        }));
    }

    /// Keep the first `n` notifications; the rest are returned.
    pub fn split_off(&mut self, n: usize) -> Notes {
        if n >= self.len() {
            return Notes::new();
        }
        let cut = self.marks[n].start;
        let mut rest = Notes {
            wire: self.wire.split_off(cut),
            marks: self.marks.split_off(n),
        };
        for m in &mut rest.marks {
            m.start -= cut;
            m.channel -= cut;
            m.payload -= cut;
        }
        rest
    }

    /// The notifications at `indices`, in the order given (copies).
    pub fn pick(&self, indices: impl IntoIterator<Item = usize>) -> Notes {
        let mut picked = Notes::new();
        for i in indices {
            let m = self.marks[i];
            let shift = picked.wire.len();
            picked.wire.extend_from_slice(&self.wire[m.start..m.end()]);
            picked.marks.push(Mark {
                start: shift,
                channel: m.channel - m.start + shift,
                payload: m.payload - m.start + shift,
                ..m
            });
        }
        picked
    }

    /// The notifications past the first `n` (copies).
    pub fn skip(&self, n: usize) -> Notes {
        self.pick(n.min(self.len())..self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pubsub::resp::encode;

    fn notes(items: &[(&str, &str)]) -> Notes {
        let mut n = Notes::new();
        for (c, p) in items {
            n.push(c.as_bytes(), &[p.as_bytes()]);
        }
        n
    }

    fn pairs(n: &Notes) -> Vec<(String, String)> {
        n.iter()
            .map(|(c, p)| {
                (
                    String::from_utf8(c.to_vec()).unwrap(),
                    String::from_utf8(p.to_vec()).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn the_wire_is_the_publish_commands_in_order() {
        let mut n = Notes::new();
        n.push(b"ev:a", &[b"{\"id\":", b"1}"]);
        n.push(b"", &[]);
        n.push("é:\r\n".as_bytes(), &[&[b'x'; 300]]);
        let mut expected = Vec::new();
        encode(&mut expected, &[b"PUBLISH", b"ev:a", b"{\"id\":1}"]);
        encode(&mut expected, &[b"PUBLISH", b"", b""]);
        encode(
            &mut expected,
            &[b"PUBLISH", "é:\r\n".as_bytes(), &[b'x'; 300]],
        );
        assert_eq!(n.wire(), &expected[..]);
        assert_eq!(n.len(), 3);
        assert_eq!(n.get(0), (&b"ev:a"[..], &b"{\"id\":1}"[..]));
        assert_eq!(n.get(1), (&b""[..], &b""[..]));
        assert_eq!(n.get(2).0, "é:\r\n".as_bytes());
        assert_eq!(n.get(2).1.len(), 300);
    }

    #[test]
    fn a_finished_draft_is_the_notification() {
        use crate::event::{notification, ChannelTemplate, Event};
        let e = Event {
            id: "i\"1".into(),
            kind: "push".into(),
            source_type: "repo".into(),
            source_id: "r\n9".into(),
            timestamp: None,
            value: b"{}".to_vec(),
        };
        let t = ChannelTemplate::parse("ev:{source_type}:{source_id}").unwrap();
        for place in [
            (0, 0),
            (3, 1 << 40),
            (i32::MIN, i64::MIN),
            (i32::MAX, i64::MAX),
        ] {
            let mut n = Notes::new();
            n.push_draft(&NoteDraft::new(&t, &e, "events"), place);
            let (channel, payload) = notification(&t, &e, "events", Some(place));
            assert_eq!(n, notes(&[(&channel, &payload)]));
        }
    }

    #[test]
    fn appended_split_and_picked_notes_stay_whole() {
        let all = [("a", "1"), ("bb", "22"), ("ccc", "333"), ("d", "4444")];
        let mut n = notes(&all[..1]);
        n.append(&notes(&all[1..]));
        assert_eq!(n, notes(&all));

        let rest = n.split_off(2);
        assert_eq!(n, notes(&all[..2]));
        assert_eq!(rest, notes(&all[2..]));
        assert!(n.split_off(2).is_empty());
        assert!(n.split_off(7).is_empty());
        assert_eq!(n.len(), 2);

        let whole = notes(&all);
        let picked = whole.pick([3, 0]);
        assert_eq!(
            pairs(&picked),
            [("d".into(), "4444".into()), ("a".into(), "1".into())]
        );
        assert_eq!(picked, notes(&[all[3], all[0]]));
        assert_eq!(whole.skip(1), notes(&all[1..]));
        assert!(whole.skip(9).is_empty());
        assert!(Notes::new().skip(0).is_empty());
    }
}
