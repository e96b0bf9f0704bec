//! A real Redis Cluster of our own: 6 redis-servers (3 masters, 3
//! replicas) on free loopback ports, joined by `redis-cli --cluster create`.
//! Faults: `kill -9` of a node, `CLIENT KILL TYPE pubsub`, a slot moved
//! to another master (`CLUSTER SETSLOT`). Stops on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, kill, wait_for_child};

pub struct ClusterNode {
    pub port: u16,
    child: Option<Child>,
}

pub struct RedisCluster {
    pub nodes: Vec<ClusterNode>,
    _dir: tempfile::TempDir,
}

/// One line of `CLUSTER NODES`, as much as the tests need.
#[derive(Debug, Clone)]
pub struct NodeView {
    pub id: String,
    pub port: u16,
    pub flags: String,
    pub master: Option<String>,
}

impl NodeView {
    pub fn is_master(&self) -> bool {
        self.flags.split(',').any(|f| f == "master")
    }
}

impl ClusterNode {
    /// Whether `view` lists this node as a replica.
    fn is_replica_by(&self, view: &[NodeView]) -> bool {
        view.iter()
            .any(|v| v.port == self.port && v.flags.contains("slave"))
    }
}

impl RedisCluster {
    /// Start 6 nodes and make them a cluster; ready when every node says
    /// `cluster_state:ok` and sees 3 masters and 3 replicas.
    pub fn start() -> RedisCluster {
        let mut last = String::new();
        for _ in 0..3 {
            match RedisCluster::try_start() {
                Ok(c) => return c,
                Err(e) => last = e,
            }
        }
        panic!("could not start a Redis Cluster: {last}");
    }

    fn try_start() -> Result<RedisCluster, String> {
        let dir = tempfile::tempdir().unwrap();
        let mut cluster = RedisCluster {
            nodes: Vec::new(),
            _dir: dir,
        };
        for i in 0..6 {
            let port = free_port();
            let bus = free_port();
            let node_dir = cluster._dir.path().join(format!("n{i}"));
            std::fs::create_dir_all(&node_dir).unwrap();
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes"])
                .args(["--cluster-config-file", "nodes.conf"])
                .args(["--cluster-node-timeout", "2000"])
                .args(["--cluster-port", &bus.to_string()])
                .args(["--save", "", "--appendonly", "no"])
                // A replica takes over only once it has synced (a replica
                // that never had its master's data refuses to fail over);
                // Redis 7 waits 5 s before a diskless sync by default.
                .args(["--repl-diskless-sync-delay", "0"])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server (apt-get install redis-server)");
            let pid = child.id();
            let ready = wait_for_child("redis-server", &mut child, Duration::from_secs(10), || {
                query(port, &["INFO", "server"])
                    .is_ok_and(|info| info.contains(&format!("process_id:{pid}\r\n")))
            });
            cluster.nodes.push(ClusterNode {
                port,
                child: Some(child),
            });
            ready?;
        }
        let addrs: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli");
        if !created.status.success() {
            return Err(format!(
                "redis-cli --cluster create: {}",
                String::from_utf8_lossy(&created.stdout)
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = cluster.nodes.iter().all(|n| {
                let ok = query(n.port, &["CLUSTER", "INFO"])
                    .is_ok_and(|i| i.contains("cluster_state:ok"));
                let view = parse(&query(n.port, &["CLUSTER", "NODES"]).unwrap_or_default());
                let synced = !n.is_replica_by(&view)
                    || query(n.port, &["INFO", "replication"])
                        .is_ok_and(|i| i.contains("master_link_status:up"));
                ok && view.len() == 6
                    && view.iter().filter(|v| v.is_master()).count() == 3
                    && view.iter().filter(|v| v.flags.contains("slave")).count() == 3
                    && synced
            });
            if ready {
                return Ok(cluster);
            }
            if Instant::now() > deadline {
                return Err("the cluster was not ok within 30 s".to_string());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A cluster URL naming node `first` first, then the others in order.
    pub fn url_from(&self, first: usize) -> String {
        let mut order = vec![first];
        order.extend((0..self.nodes.len()).filter(|&i| i != first));
        let addrs: Vec<String> = order
            .iter()
            .map(|&i| format!("127.0.0.1:{}", self.nodes[i].port))
            .collect();
        format!("redis+cluster://{}", addrs.join(","))
    }

    /// The cluster as a node that is up sees it.
    pub fn view(&self) -> Vec<NodeView> {
        for n in self.nodes.iter().filter(|n| n.child.is_some()) {
            if let Ok(text) = query(n.port, &["CLUSTER", "NODES"]) {
                return parse(&text);
            }
        }
        panic!("no cluster node answers");
    }

    pub fn index_of(&self, port: u16) -> usize {
        self.nodes.iter().position(|n| n.port == port).unwrap()
    }

    /// Indices of the masters, in node order.
    pub fn masters(&self) -> Vec<usize> {
        let view = self.view();
        let mut masters: Vec<usize> = view
            .iter()
            .filter(|v| v.is_master() && !v.flags.contains("fail"))
            .map(|v| self.index_of(v.port))
            .collect();
        masters.sort();
        masters
    }

    /// The index of a replica of master `i`.
    pub fn replica_of(&self, i: usize) -> usize {
        let view = self.view();
        let port = self.nodes[i].port;
        let id = &view.iter().find(|v| v.port == port).unwrap().id;
        let replica = view
            .iter()
            .find(|v| v.master.as_ref() == Some(id))
            .expect("a replica");
        self.index_of(replica.port)
    }

    /// `kill -9` node `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            kill(&mut c);
        }
    }

    /// Indices of the nodes (up) with a subscriber of a pattern or channel.
    pub fn subscribed_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].child.is_some())
            .filter(|&i| {
                let clients = query(self.nodes[i].port, &["CLIENT", "LIST", "TYPE", "pubsub"])
                    .unwrap_or_default();
                clients.lines().any(|l| !l.trim().is_empty())
            })
            .collect()
    }

    /// `CLIENT KILL TYPE pubsub` on node `i`; how many were killed.
    pub fn kill_subscribers(&self, i: usize) -> i64 {
        let client =
            redis::Client::open(format!("redis://127.0.0.1:{}", self.nodes[i].port)).unwrap();
        let mut conn = client.get_connection().unwrap();
        redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("pubsub")
            .query(&mut conn)
            .unwrap()
    }

    /// The slot of a key or shard channel, as the cluster computes it.
    pub fn slot_of(&self, channel: &str) -> u16 {
        let port = self.up_port();
        query(port, &["CLUSTER", "KEYSLOT", channel])
            .unwrap()
            .parse()
            .unwrap_or_else(|e| panic!("CLUSTER KEYSLOT {channel}: {e}"))
    }

    /// The index of the master serving `slot`, as a node that is up sees it.
    pub fn owner_of(&self, slot: u16) -> usize {
        let port = self.up_port();
        let nodes = query(port, &["CLUSTER", "NODES"]).unwrap();
        for line in nodes.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 9 || !f[2].contains("master") || f[2].contains("fail") {
                continue;
            }
            let serves = f[8..].iter().filter(|r| !r.starts_with('[')).any(|r| {
                let (a, b) = r.split_once('-').unwrap_or((r, r));
                let (a, b): (u16, u16) = (a.parse().unwrap(), b.parse().unwrap());
                (a..=b).contains(&slot)
            });
            if serves {
                let port: u16 = f[1]
                    .split('@')
                    .next()
                    .unwrap()
                    .rsplit_once(':')
                    .unwrap()
                    .1
                    .parse()
                    .unwrap();
                return self.index_of(port);
            }
        }
        panic!("no master serves slot {slot}:\n{nodes}");
    }

    fn up_port(&self) -> u16 {
        self.nodes.iter().find(|n| n.child.is_some()).unwrap().port
    }

    fn id_of(&self, i: usize) -> String {
        query(self.nodes[i].port, &["CLUSTER", "MYID"]).unwrap()
    }

    /// Start moving `slot` to master `to`: IMPORTING there, MIGRATING at
    /// its owner (commands for it are answered with ASK meanwhile).
    /// Returns the owner's index.
    pub fn begin_migration(&self, slot: u16, to: usize) -> usize {
        let from = self.owner_of(slot);
        assert_ne!(from, to, "slot {slot} is at node {to} already");
        let slot = slot.to_string();
        let ok = |port: u16, args: &[&str]| {
            let said = query(port, args).unwrap();
            assert_eq!(said, "OK", "{args:?}");
        };
        ok(
            self.nodes[to].port,
            &["CLUSTER", "SETSLOT", &slot, "IMPORTING", &self.id_of(from)],
        );
        ok(
            self.nodes[from].port,
            &["CLUSTER", "SETSLOT", &slot, "MIGRATING", &self.id_of(to)],
        );
        from
    }

    /// Finish moving `slot` to master `to` (begun by [`begin_migration`]):
    /// `SETSLOT NODE` at the new owner, the old one, then every other master,
    /// as `redis-cli --cluster reshard` does. There are no keys to migrate:
    /// Pub/Sub keeps none.
    pub fn finish_migration(&self, slot: u16, to: usize, from: usize) {
        let id = self.id_of(to);
        let slot_text = slot.to_string();
        let mut order = vec![to, from];
        order.extend(
            self.masters()
                .into_iter()
                .filter(|m| *m != to && *m != from),
        );
        for i in order {
            query(
                self.nodes[i].port,
                &["CLUSTER", "SETSLOT", &slot_text, "NODE", &id],
            )
            .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.owner_of(slot) != to {
            assert!(
                Instant::now() < deadline,
                "slot {slot} did not move to node {to}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `CLUSTER FAILOVER` at replica `i`: it becomes master, its master
    /// a replica; waits until the cluster sees it so.
    pub fn failover_to(&self, i: usize) {
        assert_eq!(
            query(self.nodes[i].port, &["CLUSTER", "FAILOVER"]).unwrap(),
            "OK"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self
            .view()
            .iter()
            .any(|v| v.port == self.nodes[i].port && v.is_master())
        {
            assert!(Instant::now() < deadline, "node {i} did not take over");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Move `slot` to master `to` at once.
    pub fn migrate_slot(&self, slot: u16, to: usize) {
        let from = self.begin_migration(slot, to);
        self.finish_migration(slot, to, from);
    }

    /// Wait until a node that is up reports `cluster_state:<state>`.
    pub fn wait_state(&self, state: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        let want = format!("cluster_state:{state}");
        loop {
            let seen = self
                .nodes
                .iter()
                .filter(|n| n.child.is_some())
                .any(|n| query(n.port, &["CLUSTER", "INFO"]).is_ok_and(|i| i.contains(&want)));
            if seen {
                return;
            }
            assert!(Instant::now() < deadline, "no {want} within {limit:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

fn query(port: u16, args: &[&str]) -> Result<String, String> {
    let client =
        redis::Client::open(format!("redis://127.0.0.1:{port}")).map_err(|e| e.to_string())?;
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(1))
        .map_err(|e| e.to_string())?;
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    match cmd
        .query::<redis::Value>(&mut conn)
        .map_err(|e| e.to_string())?
    {
        redis::Value::BulkString(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        redis::Value::VerbatimString { text, .. } => Ok(text),
        redis::Value::SimpleString(s) => Ok(s),
        redis::Value::Int(i) => Ok(i.to_string()),
        redis::Value::Okay => Ok("OK".to_string()),
        other => Ok(format!("{other:?}")),
    }
}

fn parse(text: &str) -> Vec<NodeView> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let port = f[1].split('@').next()?.rsplit_once(':')?.1.parse().ok()?;
            Some(NodeView {
                id: f[0].to_string(),
                port,
                flags: f[2].to_string(),
                master: (f[3] != "-").then(|| f[3].to_string()),
            })
        })
        .collect()
}
