//! Sharded Pub/Sub's routing, for the subscriber and the notifier alike: a
//! channel's slot ([`key_slot`]), which master owns it ([`SlotMap`], from
//! `CLUSTER SLOTS`, kept in a [`SlotCache`]), and where a MOVED or ASK
//! error says to go instead ([`Route::redirect`]).

use std::time::{Duration, Instant};

use super::cluster::SLOTS;
use super::target::Target;

/// CRC16/XMODEM (polynomial 0x1021, start 0): the checksum Redis Cluster
/// hashes keys and shard channels with.
const CRC16: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC16[usize::from((crc >> 8) as u8 ^ b)]
    })
}

/// The slot of a key or shard channel: CRC16 of its hash tag (what is
/// between the first `{` and the next `}`, when not empty), else of the
/// whole name, modulo 16384.
pub fn key_slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    crc16(tagged.unwrap_or(key)) % SLOTS as u16
}

/// Which master serves each slot: `host:port` per range, from `CLUSTER
/// SLOTS`. A single Redis (sharded Pub/Sub without a cluster) owns them all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlotMap {
    /// (first, last, master's `host:port`), sorted by first slot.
    ranges: Vec<(u16, u16, String)>,
}

impl SlotMap {
    /// Every slot at `addr`.
    pub fn whole(addr: &str) -> SlotMap {
        SlotMap {
            ranges: vec![(0, (SLOTS - 1) as u16, addr.to_string())],
        }
    }

    /// The master serving `slot`, if the map knows one.
    pub fn owner(&self, slot: u16) -> Option<&str> {
        let i = self.ranges.partition_point(|r| r.0 <= slot);
        let (first, last, addr) = self.ranges.get(i.checked_sub(1)?)?;
        (*first <= slot && slot <= *last).then_some(addr.as_str())
    }

    /// Parse a `CLUSTER SLOTS` reply; `asked` (`host:port`) stands in for an
    /// empty address (the node asked, as Redis means it).
    pub fn parse(reply: &redis::Value, asked: &str) -> Result<SlotMap, String> {
        use redis::Value;
        let int = |v: &Value| match v {
            Value::Int(i) => u16::try_from(*i).ok(),
            _ => None,
        };
        let text = |v: &Value| match v {
            Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Value::SimpleString(s) => Some(s.clone()),
            _ => None,
        };
        let Value::Array(rows) = reply else {
            return Err(format!("CLUSTER SLOTS: unexpected reply {reply:?}"));
        };
        let mut ranges = Vec::new();
        for row in rows {
            let Value::Array(fields) = row else { continue };
            let (Some(first), Some(last), Some(Value::Array(master))) = (
                fields.first().and_then(int),
                fields.get(1).and_then(int),
                fields.get(2),
            ) else {
                continue;
            };
            let (Some(host), Some(port)) =
                (master.first().and_then(text), master.get(1).and_then(int))
            else {
                continue;
            };
            let addr = if host.is_empty() || host == "?" {
                let asked_host = asked.rsplit_once(':').map_or(asked, |(h, _)| h);
                format!("{asked_host}:{port}")
            } else {
                format!("{host}:{port}")
            };
            ranges.push((first, last, addr));
        }
        if ranges.is_empty() {
            return Err("CLUSTER SLOTS: no slot is served".to_string());
        }
        ranges.sort();
        Ok(SlotMap { ranges })
    }
}

/// The slot map, asked of the first node that answers (in the order of
/// [`Target::nodes`]). A single Redis: all slots are its own.
pub async fn slot_map(target: &Target) -> Result<SlotMap, String> {
    if target.cluster().is_none() {
        return Ok(SlotMap::whole(&target.shown));
    }
    let (map, _) = target
        .on_any(None, |node| async move {
            let asked = node_addr(&node.shown);
            let reply = node
                .ask::<redis::Value>("SLOTS")
                .await
                .map_err(|e| target.clean(&e))?;
            SlotMap::parse(&reply, &asked)
        })
        .await?;
    Ok(map)
}

/// `host:port` of a node's shown URL (`redis://h:p/0` → `h:p`).
pub fn node_addr(shown: &str) -> String {
    let rest = shown.split_once("://").map_or(shown, |(_, r)| r);
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    rest[..end].to_string()
}

/// A slot map known to be out of date is asked for again at most this often
/// (a failover takes seconds; every batch meanwhile must not cost a round
/// trip).
const REFRESH_EVERY: Duration = Duration::from_millis(50);

/// The slot map as last asked, and whether to ask again.
#[derive(Default)]
pub struct SlotCache {
    map: Option<SlotMap>,
    /// Known to be out of date (a MOVED, a failed node).
    stale: bool,
    asked: Option<Instant>,
}

impl SlotCache {
    /// No map yet: it is asked for on first use.
    pub fn new() -> SlotCache {
        SlotCache::default()
    }

    /// Forget the map: it is asked for before it is used again (a
    /// subscription was lost, and where its slot went is not known).
    pub fn forget(&mut self) {
        self.map = None;
    }

    /// The map is out of date (a MOVED, a node that failed): it is asked
    /// for again on next use, but at most every [`REFRESH_EVERY`]; the old
    /// one serves meanwhile.
    pub fn outdated(&mut self) {
        self.stale = true;
    }

    /// The map, asked of the cluster first if there is none, or if it is out
    /// of date and was not just asked for.
    pub async fn get(&mut self, target: &Target) -> Result<&SlotMap, String> {
        let due = self.asked.is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
        if self.map.is_none() || (self.stale && due) {
            self.map = Some(slot_map(target).await?);
            self.stale = false;
            self.asked = Some(Instant::now());
        }
        Ok(self.map.get_or_insert_with(SlotMap::default))
    }

    /// Where `slot`'s commands go: `hint` (a redirect) if there is one, else
    /// the slot's owner in the map (none if the map is not known, or has no
    /// master for the slot).
    pub fn route(&self, slot: u16, hint: Option<Route>) -> Option<Route> {
        hint.or_else(|| {
            let addr = self.map.as_ref()?.owner(slot)?;
            Some(Route {
                addr: addr.to_string(),
                asking: false,
            })
        })
    }
}

/// Where to send a slot's command: a node's `host:port`, and whether ASKING
/// goes first (mid-migration, the importing node takes the slot's commands
/// only right after ASKING).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub addr: String,
    pub asking: bool,
}

impl Route {
    /// Where an error reply says to go: `MOVED 3999 h:p` (the slot's owner
    /// now) or `ASK 3999 h:p` (for this command only, with ASKING); `None`
    /// for any other error.
    pub fn redirect(error: &str) -> Option<Route> {
        let mut words = error.split_whitespace();
        let asking = match words.next()? {
            "MOVED" => false,
            "ASK" => true,
            _ => return None,
        };
        let addr = words.nth(1)?.to_string();
        Some(Route { addr, asking })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_crc16_of_the_hash_tag_or_the_name() {
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b""), 0);
        assert_eq!(
            key_slot(b"{user1000}.following"),
            key_slot(b"{user1000}.followers")
        );
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        // An empty tag does not count: the whole name is hashed.
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") % 16384);
        // Only the first `{` and the next `}`.
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"events:{repo}:a"), key_slot(b"events:{repo}:b"));
    }

    #[test]
    fn slot_maps_name_each_slots_master() {
        use redis::Value;
        let master = |host: &str, port: i64| {
            Value::Array(vec![
                Value::BulkString(host.as_bytes().to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let row = |a: i64, b: i64, m: Value| Value::Array(vec![Value::Int(a), Value::Int(b), m]);
        let reply = Value::Array(vec![
            row(5461, 10922, master("127.0.0.1", 7002)),
            row(0, 5460, master("127.0.0.1", 7001)),
            row(10923, 16383, master("", 7003)),
        ]);
        let map = SlotMap::parse(&reply, "10.0.0.9:7001").unwrap();
        assert_eq!(map.owner(0), Some("127.0.0.1:7001"));
        assert_eq!(map.owner(5460), Some("127.0.0.1:7001"));
        assert_eq!(map.owner(5461), Some("127.0.0.1:7002"));
        assert_eq!(map.owner(16383), Some("10.0.0.9:7003"));
        let partial =
            SlotMap::parse(&Value::Array(vec![row(100, 200, master("h", 1))]), "x:1").unwrap();
        assert_eq!(partial.owner(99), None);
        assert_eq!(partial.owner(150), Some("h:1"));
        assert_eq!(partial.owner(201), None);
        assert!(SlotMap::parse(&Value::Array(vec![]), "x:1").is_err());
        assert_eq!(SlotMap::whole("a:1").owner(16383), Some("a:1"));
        assert_eq!(node_addr("rediss://h:7000/0?x=1"), "h:7000");
    }

    #[test]
    fn redirects_name_where_to_go() {
        let to = |addr: &str, asking| {
            Some(Route {
                addr: addr.to_string(),
                asking,
            })
        };
        assert_eq!(
            Route::redirect("MOVED 3999 127.0.0.1:6381"),
            to("127.0.0.1:6381", false)
        );
        assert_eq!(Route::redirect("ASK 3999 h:7002"), to("h:7002", true));
        assert_eq!(Route::redirect("MOVED 3999"), None);
        assert_eq!(Route::redirect("NOPERM no permission"), None);
        assert_eq!(Route::redirect(""), None);
        let mut cache = SlotCache::new();
        assert_eq!(cache.route(1, None), None);
        assert_eq!(cache.route(1, to("h:1", true)), to("h:1", true));
        cache.map = Some(SlotMap::whole("a:1"));
        assert_eq!(cache.route(1, None), to("a:1", false));
        cache.forget();
        assert_eq!(cache.route(1, None), None);
    }
}
