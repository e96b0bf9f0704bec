//! What a Redis cut lost, counted. Redis says nothing of the messages a
//! subscriber missed while it was cut off (an output-buffer limit, a lost
//! link); dualstream's own notifications carry the Kafka topic, partition
//! and offset of their record, so for those the offsets around a gap tell:
//! per partition, those between the last notification before the gap and
//! the first after it were missed. With `--fill-gaps` the gap is read from
//! Kafka, and the count is of what that read found on the channels tailed,
//! below the first live notification after the gap: exact.
//!
//! Without `--fill-gaps` the offsets count records, not notifications on
//! the channels tailed: a partition whose notifications skipped offsets
//! before the gap shares them with channels tail does not follow (or with
//! transaction markers), and its count is an upper bound. A partition with
//! no notification after the gap (yet) is not counted: the total is then a
//! lower bound. Both are said. Pure bookkeeping: the caller prints.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::duration::show_duration;

/// A topic and partition.
type Spot = (String, i32);

/// How long after a gap (or its fill from Kafka) the count waits for the
/// first notification after it in every partition; then it is said as it
/// stands.
const COUNT_WITHIN: Duration = Duration::from_secs(3);
/// Gaps counted at once, at most; an older one is said as it stands.
const MOST_GAPS: usize = 4;
/// Runs of offsets a gap's fill keeps (over all partitions, 16 bytes each),
/// at most; past it the count is a lower bound.
const MOST_RUNS: usize = 100_000;

/// Per partition, the last notification seen live; and the gaps being
/// counted.
#[derive(Default)]
pub struct Losses {
    last: HashMap<String, HashMap<i32, Last>>,
    gaps: Vec<Counting>,
}

/// The last live notification of a partition: its offset, and whether it
/// came right after the one before (the offsets are the partition's own,
/// so none between went to a channel not tailed).
#[derive(Clone, Copy, Debug)]
struct Last {
    offset: i64,
    dense: bool,
}

/// One gap, being counted.
struct Counting {
    lasted: Duration,
    /// When the count started waiting for the notifications after it.
    since: Instant,
    before: HashMap<Spot, Last>,
    /// The offset of the first live notification after the gap.
    after: HashMap<Spot, i64>,
    /// `--fill-gaps`: the offsets the fill read, as runs `[first, last]`.
    read: Option<HashMap<Spot, Vec<(i64, i64)>>>,
    /// Runs kept, over all partitions.
    runs: usize,
    /// The fill read more runs than are kept.
    overflowed: bool,
}

/// How sure a partition's count is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sure {
    Exact,
    /// Offsets were skipped before the gap: other channels share them.
    AtMost,
    /// Nothing came after the gap.
    Unknown,
}

impl Losses {
    pub fn new() -> Losses {
        Losses::default()
    }

    /// A live notification at `place` (topic, partition, offset), or a
    /// message that is not one (`None`). Returns what gaps are counted now.
    pub fn live(&mut self, place: Option<&(String, i32, i64)>) -> Vec<String> {
        if let Some((topic, p, offset)) = place {
            for gap in &mut self.gaps {
                let at = (topic.clone(), *p);
                if gap.after.contains_key(&at) {
                    continue;
                }
                // Only one past what came before counts (a re-send of an
                // older one, `replay --to-redis`, does not end the gap).
                let past = match gap.before.get(&at) {
                    Some(last) => *offset > last.offset,
                    None => gap.read.is_some(),
                };
                if past {
                    gap.after.insert(at, *offset);
                }
            }
            let partitions = match self.last.get_mut(topic.as_str()) {
                Some(partitions) => partitions,
                None => self.last.entry(topic.clone()).or_default(),
            };
            match partitions.get_mut(p) {
                Some(last) if *offset > last.offset => {
                    *last = Last {
                        offset: *offset,
                        dense: *offset == last.offset + 1,
                    }
                }
                Some(_) => {}
                None => {
                    partitions.insert(
                        *p,
                        Last {
                            offset: *offset,
                            dense: true,
                        },
                    );
                }
            }
        }
        self.due(false)
    }

    /// The live stream was cut for `lasted` and is back: count what the
    /// gap lost, from the notifications seen so far; `fill`: it is read
    /// from Kafka. Returns what older gaps are counted now, and whether
    /// this one is counted from its fill ([`Losses::read`]). Nothing is
    /// counted when no notification of dualstream came before.
    pub fn gap(&mut self, lasted: Duration, fill: bool) -> (Vec<String>, bool) {
        let mut said = Vec::new();
        if self.gaps.len() >= MOST_GAPS {
            let oldest = self.gaps.remove(0);
            said.push(oldest.say());
        }
        let before: HashMap<Spot, Last> = self
            .last
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(|(p, l)| ((t.clone(), *p), *l)))
            .collect();
        let counted = !before.is_empty();
        if counted {
            self.gaps.push(Counting {
                lasted,
                since: Instant::now(),
                before,
                after: HashMap::new(),
                read: fill.then(HashMap::new),
                runs: 0,
                overflowed: false,
            });
        }
        (said, counted && fill)
    }

    /// The newest gap's fill failed: it is counted by offsets instead.
    pub fn unread(&mut self) {
        if let Some(gap) = self.gaps.last_mut() {
            gap.read = None;
            gap.since = Instant::now();
        }
    }

    /// A notification the newest gap's fill read from Kafka.
    pub fn read(&mut self, place: Option<&(String, i32, i64)>) {
        let (Some((topic, p, offset)), Some(gap)) = (place, self.gaps.last_mut()) else {
            return;
        };
        let Some(read) = gap.read.as_mut() else {
            return;
        };
        let runs = read.entry((topic.clone(), *p)).or_default();
        match runs.last_mut() {
            Some(run) if *offset == run.1 + 1 => run.1 = *offset,
            Some(run) if *offset <= run.1 => {}
            _ if gap.overflowed => {}
            _ if gap.runs >= MOST_RUNS => gap.overflowed = true,
            _ => {
                runs.push((*offset, *offset));
                gap.runs += 1;
            }
        }
    }

    /// The newest gap's fill is read: the count waits from now for the
    /// notifications after it.
    pub fn read_done(&mut self) {
        if let Some(gap) = self.gaps.last_mut() {
            gap.since = Instant::now();
        }
    }

    /// The gaps counted now: each whose every partition had a notification
    /// after it, or that waited long enough; with `all`, every one (the
    /// run ends).
    pub fn due(&mut self, all: bool) -> Vec<String> {
        if self.gaps.is_empty() {
            return Vec::new();
        }
        let mut said = Vec::new();
        self.gaps.retain(|gap| {
            let whole = gap.before.keys().all(|at| gap.after.contains_key(at));
            let done = all || whole || gap.since.elapsed() >= COUNT_WITHIN;
            if done {
                said.push(gap.say());
            }
            !done
        });
        said
    }
}

impl Counting {
    /// Each partition's count, in order.
    fn counts(&self) -> BTreeMap<Spot, (u64, Sure)> {
        let mut counts = BTreeMap::new();
        let places = self
            .before
            .keys()
            .chain(self.read.iter().flat_map(|r| r.keys()));
        for at in places {
            let before = self.before.get(at);
            let after = self.after.get(at).copied();
            let count = match &self.read {
                Some(read) => {
                    let low = before.map_or(i64::MIN, |l| l.offset);
                    let high = after.unwrap_or(i64::MAX);
                    let runs = read.get(at).map_or(&[][..], Vec::as_slice);
                    let n: i64 = runs
                        .iter()
                        .map(|&(a, b)| {
                            let (a, b) = (a.max(low.saturating_add(1)), b.min(high - 1));
                            (b - a + 1).max(0)
                        })
                        .sum();
                    let sure = if self.overflowed {
                        Sure::Unknown
                    } else {
                        Sure::Exact
                    };
                    (n as u64, sure)
                }
                None => match (before, after) {
                    (Some(last), Some(first)) => {
                        let n = (first - last.offset - 1).max(0) as u64;
                        (
                            n,
                            if last.dense {
                                Sure::Exact
                            } else {
                                Sure::AtMost
                            },
                        )
                    }
                    _ => (0, Sure::Unknown),
                },
            };
            counts.insert(at.clone(), count);
        }
        counts
    }

    /// The count in words.
    fn say(&self) -> String {
        let counts = self.counts();
        let total: u64 = counts.values().map(|c| c.0).sum();
        let unknown = counts.values().any(|c| c.1 == Sure::Unknown);
        let at_most = counts.values().any(|c| c.1 == Sure::AtMost);
        let topics: std::collections::BTreeSet<&str> =
            counts.keys().map(|(t, _)| t.as_str()).collect();
        let parts: Vec<String> = counts
            .iter()
            .filter(|(_, (n, sure))| *n > 0 || *sure != Sure::Exact)
            .map(|((topic, p), (n, sure))| {
                let at = match topics.len() {
                    1 => format!("partition {p}"),
                    _ => format!("{topic} partition {p}"),
                };
                match sure {
                    Sure::Exact => format!("{at}: {n}"),
                    Sure::AtMost => {
                        format!("{at}: at most {n}, its offsets go to other channels too")
                    }
                    Sure::Unknown if self.read.is_some() => {
                        format!("{at}: at least {n}, more than the count keeps")
                    }
                    Sure::Unknown => format!("{at}: not known, nothing came after the gap"),
                }
            })
            .collect();
        let bound = match (unknown, at_most) {
            (true, false) => "at least ",
            (false, true) => "at most ",
            _ => "",
        };
        let how = match self.read {
            Some(_) => "read from Kafka",
            None => "counted by their Kafka offsets",
        };
        let of = match topics.iter().next() {
            Some(t) if topics.len() == 1 => format!(" of {t}"),
            _ => String::new(),
        };
        let lost = crate::output::plural(total, "notification");
        let list = match parts.is_empty() {
            true => String::new(),
            false => format!(" ({})", parts.join("; ")),
        };
        format!(
            "redis: the gap of {} lost {bound}{lost}{of}{list}, {how}",
            show_duration(self.lasted)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(p: i32, o: i64) -> Option<(String, i32, i64)> {
        Some(("t".to_string(), p, o))
    }

    fn live(l: &mut Losses, p: i32, offsets: impl IntoIterator<Item = i64>) -> Vec<String> {
        let mut said = Vec::new();
        for o in offsets {
            said.extend(l.live(at(p, o).as_ref()));
        }
        said
    }

    #[test]
    fn offsets_around_a_gap_count_what_it_lost() {
        let mut l = Losses::new();
        assert!(live(&mut l, 0, 0..10).is_empty());
        assert!(live(&mut l, 1, 0..5).is_empty());
        assert!(l.gap(Duration::from_millis(120), false).0.is_empty());
        // Partition 0 resumes at 25: 10..25 were lost; partition 1 not yet.
        assert!(live(&mut l, 0, [25, 26]).is_empty());
        let said = live(&mut l, 1, [8]);
        assert_eq!(
            said,
            [
                "redis: the gap of 120ms lost 18 notifications of t (partition 0: 15; \
              partition 1: 3), counted by their Kafka offsets"
            ]
        );
        assert!(l.due(true).is_empty());
    }

    #[test]
    fn a_partition_with_nothing_after_the_gap_makes_it_a_lower_bound() {
        let mut l = Losses::new();
        live(&mut l, 0, 0..3);
        live(&mut l, 1, 0..3);
        l.gap(Duration::from_secs(1), false);
        live(&mut l, 0, [10]);
        let said = l.due(true);
        assert_eq!(
            said,
            [
                "redis: the gap of 1.0s lost at least 7 notifications of t (partition 0: 7; \
              partition 1: not known, nothing came after the gap), counted by their Kafka offsets"
            ]
        );
    }

    #[test]
    fn skipped_offsets_make_a_partition_an_upper_bound() {
        let mut l = Losses::new();
        // Every other offset: the others go to a channel not tailed.
        live(&mut l, 0, [0, 2, 4]);
        l.gap(Duration::from_secs(1), false);
        // A re-send of an older one does not end the gap.
        assert!(live(&mut l, 0, [3]).is_empty());
        let said = live(&mut l, 0, [10]);
        assert_eq!(
            said,
            ["redis: the gap of 1.0s lost at most 5 notifications of t (partition 0: at most 5, \
              its offsets go to other channels too), counted by their Kafka offsets"]
        );
    }

    #[test]
    fn a_fill_counts_what_it_read_below_the_first_live_one() {
        let mut l = Losses::new();
        live(&mut l, 0, 0..4);
        assert!(l.gap(Duration::from_millis(50), true).1);
        // The fill reads 4..=20 of partition 0 where only even offsets are
        // on tailed channels, and 0..3 of partition 1 (none seen before).
        for o in (4..=20).filter(|o| o % 2 == 0) {
            l.read(at(0, o).as_ref());
        }
        for o in 0..3 {
            l.read(at(1, o).as_ref());
        }
        l.read_done();
        // Live again from 12 (12..=20 were notified live): 4..=10 lost.
        assert!(live(&mut l, 1, [3]).is_empty());
        let said = live(&mut l, 0, [12]);
        assert_eq!(
            said,
            ["redis: the gap of 50ms lost 7 notifications of t (partition 0: 4; partition 1: 3), \
              read from Kafka"]
        );
    }

    #[test]
    fn nothing_is_counted_without_notifications_before_and_gaps_are_bounded() {
        let mut l = Losses::new();
        l.live(None);
        assert!(!l.gap(Duration::from_secs(1), true).1);
        assert!(l.due(true).is_empty());
        live(&mut l, 0, [0]);
        for _ in 0..MOST_GAPS {
            assert!(l.gap(Duration::from_secs(1), false).0.is_empty());
        }
        assert_eq!(l.gap(Duration::from_secs(1), false).0.len(), 1);
        assert_eq!(l.due(true).len(), MOST_GAPS);
        // A gap of no notifications lost none.
        live(&mut l, 0, [1]);
        l.gap(Duration::from_secs(1), false);
        assert_eq!(
            live(&mut l, 0, [2]),
            ["redis: the gap of 1.0s lost 0 notifications of t, counted by their Kafka offsets"]
        );
    }
}
