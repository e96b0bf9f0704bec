//! The hub's notifications in offset order, per partition. One publisher
//! notifies a partition's events in offset order, several do not: their
//! notifications interleave at Redis, so offset 5 can come before 4. A
//! client's resume token is the stream's position (per partition the next
//! offset), and it must never pass an offset the client was not sent: so
//! a notification past a hole is held until the hole fills, and the
//! position moves only over contiguous offsets.
//!
//! A hole that does not fill (the record's channel is outside serve's
//! patterns, a transaction marker, a notification lost on its way) is
//! read from Kafka: the hub starts a *fill* ([`Reorder::filling`]) from the
//! held position up to the end offsets, hands on what it reads
//! ([`Reorder::record`]), and at its end ([`Reorder::filled`]) drops what it
//! held below those ends (read from Kafka already) and hands on the rest
//! in order. Pure: no I/O, no clock but the arrival times it is given.
//!
//! The hold is bounded ([`Bound`]): a notification that would pass it is
//! not held but dropped, and a fill is owed ([`Reorder::due`] says now):
//! its record was acknowledged by Kafka before it was notified, so a fill
//! that starts after it came reads it (the one under way, if it lies below
//! that fill's ends; else the one owed). Nothing is handed on past the
//! offset dropped until a fill has read it: no gap, and no duplicate
//! (what a fill read, the hub sends once).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// A notification waiting for its turn.
pub struct Arrival {
    pub channel: Vec<u8>,
    pub payload: Vec<u8>,
    pub received_at: jiff::Timestamp,
    pub place: (String, i32, i64),
    pub full: Option<Vec<u8>>,
    /// When it came (or when it was last looked at by a fill).
    pub at: Instant,
}

impl Arrival {
    /// What holding it costs, in bytes (its buffers and their bookkeeping).
    fn cost(&self) -> usize {
        self.channel.len()
            + self.payload.len()
            + self.full.as_ref().map_or(0, Vec::len)
            + self.place.0.len()
            + 128
    }
}

/// How much may wait past holes: past `soon` a fill starts at once, past
/// `most` a notification is dropped for a fill to read.
#[derive(Clone, Copy)]
pub struct Bound {
    pub soon: (usize, usize),
    /// Notifications, and their bytes.
    pub most: (usize, usize),
}

impl Default for Bound {
    fn default() -> Bound {
        Bound {
            soon: (50_000, 32 * 1024 * 1024),
            most: (100_000, 64 * 1024 * 1024),
        }
    }
}

/// Per partition, the contiguous position and what waits past it.
#[derive(Default)]
pub struct Reorder {
    /// Per partition, the offset after the last one accounted for: every
    /// offset below it was handed on, read by a fill, or found not to be
    /// an event of serve's.
    next: HashMap<i32, i64>,
    held: BTreeMap<(i32, i64), Arrival>,
    /// While a fill reads Kafka: where it started in each partition.
    fill_from: Option<HashMap<i32, i64>>,
    /// When it started.
    fill_started: Option<Instant>,
    /// What `held` costs, in bytes.
    bytes: usize,
    bound: Bound,
    /// Since when a fill is owed for notifications dropped at the bound.
    owed: Option<Instant>,
    /// Notifications dropped at the bound, ever.
    dropped: u64,
}

impl Reorder {
    /// Positions at start: `ends[p]` for partition `p`.
    pub fn new(ends: &[i64], bound: Bound) -> Reorder {
        Reorder {
            next: ends
                .iter()
                .enumerate()
                .map(|(p, &o)| (p as i32, o))
                .collect(),
            bound,
            ..Reorder::default()
        }
    }

    /// The contiguous position of every partition seen.
    pub fn positions(&self) -> HashMap<i32, i64> {
        self.next.clone()
    }

    /// How many notifications wait.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// What waiting notifications cost, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Notifications dropped at the bound so far (a fill read them).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// When the next fill is due: `wait` after the longest-waiting
    /// notification came, at once past the bound's `soon` or when one is
    /// owed; `None` when nothing waits or a fill is under way.
    pub fn due(&self, wait: Duration) -> Option<Instant> {
        if self.fill_from.is_some() {
            return None;
        }
        if let Some(owed) = self.owed {
            return Some(owed);
        }
        let oldest = self.held.values().map(|a| a.at).min()?;
        let (count, bytes) = self.bound.soon;
        if self.held.len() >= count || self.bytes >= bytes {
            Some(oldest)
        } else {
            Some(oldest + wait)
        }
    }

    /// Hold `a` past a hole, within the bound; past it, drop it and owe
    /// a fill. A second notification of a held offset is a re-send: one
    /// is enough.
    fn hold(&mut self, a: Arrival) {
        let key = (a.place.1, a.place.2);
        if self.held.contains_key(&key) {
            return;
        }
        let cost = a.cost();
        let (count, bytes) = self.bound.most;
        if self.held.len() >= count || self.bytes + cost > bytes {
            self.dropped += 1;
            self.owed.get_or_insert(a.at);
            return;
        }
        self.bytes += cost;
        self.held.insert(key, a);
    }

    /// Take `key` out of the hold.
    fn take(&mut self, key: (i32, i64)) -> Option<Arrival> {
        let a = self.held.remove(&key)?;
        self.bytes = self.bytes.saturating_sub(a.cost());
        Some(a)
    }

    /// A notification of the topic: what may go out now, in order, is
    /// pushed to `out`. Below the position: late (after a fill gave up on
    /// it) or a re-send, it goes out as it is.
    pub fn arrive(&mut self, a: Arrival, out: &mut Vec<Arrival>) {
        let (p, o) = (a.place.1, a.place.2);
        let next = *self.next.entry(p).or_insert(0);
        if let Some(from) = &self.fill_from {
            if o < from.get(&p).copied().unwrap_or(0) {
                out.push(a);
            } else {
                self.hold(a);
            }
            return;
        }
        if o < next {
            out.push(a);
        } else if o == next && self.owed.is_none() {
            out.push(a);
            self.next.insert(p, o + 1);
            self.release(p, out);
        } else {
            // Past a hole; or a fill is owed, and it may read a dropped
            // offset below this one.
            self.hold(a);
        }
    }

    /// Hand on what is contiguous from `p`'s position.
    fn release(&mut self, p: i32, out: &mut Vec<Arrival>) {
        let mut next = self.next.get(&p).copied().unwrap_or(0);
        while let Some(a) = self.take((p, next)) {
            out.push(a);
            next += 1;
        }
        self.next.insert(p, next);
    }

    /// A fill starts from the positions now: until it ends, everything
    /// at or past them waits.
    pub fn filling(&mut self, now: Instant) {
        self.fill_from = Some(self.next.clone());
        self.fill_started = Some(now);
        // This fill reads what was dropped until now.
        self.owed = None;
    }

    /// A fill handed on `p`/`o` from Kafka.
    pub fn record(&mut self, p: i32, o: i64) {
        let next = self.next.entry(p).or_insert(0);
        *next = (*next).max(o + 1);
        self.take((p, o));
    }

    /// The fill read every partition up to `ends` (or gave up: `ends` is
    /// then where each partition is now): what waited below them was
    /// read from Kafka or is older than the log, and is dropped; the rest
    /// goes out in order. So is what came before the fill started and lies
    /// at or past its ends: acknowledged before it was notified, a real
    /// one lies below ends taken after it came (this one points past the
    /// log: forged, or of another log), and would start a fill forever.
    /// What still waits past a new hole is looked at again from `now`.
    pub fn filled(&mut self, ends: &HashMap<i32, i64>, now: Instant, out: &mut Vec<Arrival>) {
        self.fill_from = None;
        if let Some(started) = self.fill_started.take() {
            self.held
                .retain(|&(p, o), a| a.at >= started || ends.get(&p).is_none_or(|&end| o < end));
        }
        for (&p, &end) in ends {
            let next = self.next.entry(p).or_insert(0);
            *next = (*next).max(end);
        }
        let below: Vec<(i32, i64)> = self
            .held
            .keys()
            .filter(|(p, o)| *o < self.next.get(p).copied().unwrap_or(0))
            .copied()
            .collect();
        for k in below {
            self.held.remove(&k);
        }
        self.bytes = self.held.values().map(Arrival::cost).sum();
        // Owed a fill: what was dropped during this one may lie past its
        // ends, and nothing goes out past it before the next one read it.
        if self.owed.is_none() {
            let partitions: Vec<i32> = self.next.keys().copied().collect();
            for p in partitions {
                self.release(p, out);
            }
        }
        for a in self.held.values_mut() {
            a.at = now;
        }
    }

    /// Kafka cannot say what the holes are: hand on everything that
    /// waits, in order, the position past it.
    pub fn give_up(&mut self, out: &mut Vec<Arrival>) {
        self.fill_from = None;
        self.owed = None;
        self.bytes = 0;
        for ((p, o), a) in std::mem::take(&mut self.held) {
            let next = self.next.entry(p).or_insert(0);
            *next = (*next).max(o + 1);
            out.push(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(p: i32, o: i64) -> Arrival {
        Arrival {
            channel: b"events:a".to_vec(),
            payload: Vec::new(),
            received_at: jiff::Timestamp::now(),
            place: ("t".into(), p, o),
            full: None,
            at: Instant::now(),
        }
    }

    const WAIT: Duration = Duration::from_millis(200);

    fn offsets(out: &mut Vec<Arrival>) -> Vec<(i32, i64)> {
        out.drain(..).map(|a| (a.place.1, a.place.2)).collect()
    }

    #[test]
    fn notifications_past_a_hole_wait_for_it() {
        let mut r = Reorder::new(&[10, 0], Bound::default());
        let mut out = Vec::new();
        r.arrive(at(0, 12), &mut out);
        r.arrive(at(0, 11), &mut out);
        r.arrive(at(1, 0), &mut out);
        assert_eq!(offsets(&mut out), [(1, 0)]);
        assert_eq!(r.positions()[&0], 10, "never past 10, not sent");
        assert!(r.due(WAIT).is_some());
        r.arrive(at(0, 10), &mut out);
        assert_eq!(offsets(&mut out), [(0, 10), (0, 11), (0, 12)]);
        assert_eq!(r.positions()[&0], 13);
        assert!(r.due(WAIT).is_none());
        // A re-send of something sent goes out as it is, the position stays.
        r.arrive(at(0, 11), &mut out);
        assert_eq!(offsets(&mut out), [(0, 11)]);
        assert_eq!(r.positions()[&0], 13);
    }

    #[test]
    fn a_fill_accounts_for_the_hole_and_drops_what_it_read() {
        let mut r = Reorder::new(&[5], Bound::default());
        let mut out = Vec::new();
        r.arrive(at(0, 8), &mut out);
        r.arrive(at(0, 9), &mut out);
        r.filling(Instant::now());
        assert!(r.due(WAIT).is_none(), "no second fill while one runs");
        // During the fill, even the next offset waits: Kafka may hand it on.
        r.arrive(at(0, 5), &mut out);
        r.arrive(at(0, 12), &mut out);
        r.arrive(at(0, 3), &mut out);
        assert_eq!(
            offsets(&mut out),
            [(0, 3)],
            "below the fill: late, as it is"
        );
        r.record(0, 5);
        r.record(0, 8);
        r.filled(&HashMap::from([(0, 10)]), Instant::now(), &mut out);
        assert!(out.is_empty(), "5, 8, 9 were read from Kafka");
        // 12 came during the fill: it may lie past the ends taken at its start.
        assert_eq!(r.positions()[&0], 10);
        assert_eq!(r.held(), 1);
        r.arrive(at(0, 11), &mut out);
        r.arrive(at(0, 10), &mut out);
        assert_eq!(offsets(&mut out), [(0, 10), (0, 11), (0, 12)]);
    }

    #[test]
    fn what_points_past_the_log_is_dropped_by_the_fill_it_started() {
        let mut r = Reorder::new(&[0], Bound::default());
        let mut out = Vec::new();
        r.arrive(at(0, 1_000_000), &mut out);
        r.arrive(at(0, 2), &mut out);
        let started = Instant::now();
        r.filling(started);
        r.record(0, 0);
        r.filled(&HashMap::from([(0, 3)]), Instant::now(), &mut out);
        assert_eq!(offsets(&mut out), Vec::<(i32, i64)>::new());
        assert_eq!(r.held(), 0, "no fill again for an offset the log never had");
        assert_eq!(r.positions()[&0], 3);
    }

    #[test]
    fn giving_up_hands_everything_on_in_order() {
        let mut r = Reorder::new(&[0, 0], Bound::default());
        let mut out = Vec::new();
        r.arrive(at(1, 4), &mut out);
        r.arrive(at(0, 7), &mut out);
        r.arrive(at(0, 3), &mut out);
        r.give_up(&mut out);
        assert_eq!(offsets(&mut out), [(0, 3), (0, 7), (1, 4)]);
        assert_eq!(r.positions(), HashMap::from([(0, 8), (1, 5)]));
    }

    #[test]
    fn past_its_bound_the_hold_drops_and_owes_a_fill_that_reads_what_it_dropped() {
        let bound = Bound {
            soon: (2, usize::MAX),
            most: (3, usize::MAX),
        };
        let mut r = Reorder::new(&[0], bound);
        let mut out = Vec::new();
        let t0 = Instant::now();
        r.arrive(at(0, 1), &mut out);
        let due = r.due(WAIT).unwrap();
        assert!(due >= t0 + WAIT, "under soon: the hole may still fill");
        r.arrive(at(0, 2), &mut out);
        assert!(r.due(WAIT).unwrap() < t0 + WAIT, "past soon: at once");
        // A fill from 0; while it reads (its ends taken, say 4), 5..9 come:
        // 5 is held, 6.. pass the bound and are dropped.
        r.filling(Instant::now());
        for o in 5..10 {
            r.arrive(at(0, o), &mut out);
        }
        assert_eq!(r.held(), 3);
        assert_eq!(r.dropped(), 4);
        assert!(r.due(WAIT).is_none(), "one fill at a time");
        for o in 0..4 {
            r.record(0, o);
        }
        r.filled(&HashMap::from([(0, 4)]), Instant::now(), &mut out);
        assert!(out.is_empty(), "{:?}", offsets(&mut out));
        assert_eq!(r.positions()[&0], 4);
        // 4 was no event of serve's; 5 waits; 6..9 were dropped: a fill is
        // owed now, and nothing goes out before it, not even the next offset.
        let owed = r.due(WAIT).expect("a fill owed");
        assert!(owed <= Instant::now());
        r.arrive(at(0, 4), &mut out);
        assert!(out.is_empty(), "{:?}", offsets(&mut out));
        // The owed fill reads 4..10 (ends taken after the drops): every
        // dropped offset from Kafka, each once; the hold empties.
        r.filling(Instant::now());
        for o in 4..10 {
            r.record(0, o);
        }
        r.filled(&HashMap::from([(0, 10)]), Instant::now(), &mut out);
        assert!(out.is_empty(), "read from Kafka, not again from the hold");
        assert_eq!(r.held(), 0);
        assert_eq!(r.bytes(), 0);
        assert!(r.due(WAIT).is_none());
        r.arrive(at(0, 10), &mut out);
        assert_eq!(offsets(&mut out), [(0, 10)], "in order again");
    }

    #[test]
    fn the_hold_is_bounded_in_bytes_too() {
        let bound = Bound {
            soon: (usize::MAX, 1000),
            most: (usize::MAX, 2000),
        };
        let mut r = Reorder::new(&[0], bound);
        let mut out = Vec::new();
        let big = |o| Arrival {
            payload: vec![b'x'; 600],
            ..at(0, o)
        };
        for o in 1..=10 {
            r.arrive(big(o), &mut out);
        }
        assert!(r.bytes() <= 2000, "{}", r.bytes());
        assert_eq!(r.held(), 2);
        assert_eq!(r.dropped(), 8);
        assert!(r.due(WAIT).unwrap() <= Instant::now(), "owed at once");
        // The fill reads everything below its ends; what was held is dropped
        // with it: every offset goes out once, from Kafka.
        r.filling(Instant::now());
        for o in 0..=10 {
            r.record(0, o);
        }
        r.filled(&HashMap::from([(0, 11)]), Instant::now(), &mut out);
        assert!(out.is_empty());
        assert_eq!((r.held(), r.bytes()), (0, 0));
    }
}
