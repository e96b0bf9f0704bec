//! Apache Kafka for the tests: KRaft nodes (each a combined broker and
//! controller) started from the jars `scripts/install-brokers.sh` resolved,
//! on free loopback ports, with their data in a temporary directory.
//!
//! * [`Kafka::shared`]: the one broker of the test run, for every test that
//!   does not hurt it (each test with its own topics). `scripts/test.sh`
//!   starts it and names it in `DUALSTREAM_TEST_KAFKA`; without that, the
//!   first test of the process starts one that lives as long as the process.
//! * [`Kafka::start`], [`Kafka::start_advertising`]: a single node of the
//!   test's own, for tests that stop, freeze or cut it.
//! * [`Kafka::cluster`]: three nodes, RF 3, `min.insync.replicas=2`,
//!   unclean leader election off, for the fault tests.
//!
//! Every JVM is started from one long-lived thread with `PR_SET_PDEATHSIG`,
//! so a test process that is killed (a nextest timeout) takes its brokers
//! with it.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;

use super::{free_port, read_records, Record};

/// The directory of the broker's jars (`scripts/install-brokers.sh`).
pub fn kafka_lib() -> PathBuf {
    if let Some(p) = std::env::var_os("DUALSTREAM_KAFKA_LIB") {
        return PathBuf::from(p);
    }
    let pom = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka/pom.xml");
    let pom = std::fs::read_to_string(&pom).expect("scripts/kafka/pom.xml");
    let version = pom
        .split("<kafka.version>")
        .nth(1)
        .and_then(|s| s.split("</kafka.version>").next())
        .expect("<kafka.version> in scripts/kafka/pom.xml");
    let lib = cache_dir().join(format!("kafka-{version}/lib"));
    assert!(
        lib.join(".pom.sha256").exists(),
        "Apache Kafka {version} is not installed at {} — run scripts/install-brokers.sh \
         (the test suite never skips)",
        lib.display()
    );
    lib
}

fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("DUALSTREAM_CACHE") {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"));
    base.join("dualstream")
}

fn scripts_kafka() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka")
}

fn java(lib: &Path) -> Command {
    let mut cmd = Command::new("java");
    cmd.args(class_data(lib))
        .arg("-cp")
        .arg(format!("{}/*", lib.display()));
    cmd
}

/// The flags that start a JVM from the broker's class-data archive, which
/// `scripts/install-brokers.sh` makes next to the jars (none without one):
/// a third less CPU to a ready broker, and the suite starts many.
fn class_data(lib: &Path) -> Vec<String> {
    match lib.parent().map(|home| home.join("kafka.jsa")) {
        Some(jsa) if jsa.is_file() => vec![
            "-Xlog:cds*=off".to_string(),
            format!("-XX:SharedArchiveFile={}", jsa.display()),
        ],
        _ => Vec::new(),
    }
}

/// A cluster id as Kafka writes one (`StorageTool random-uuid`: 16 random
/// bytes in URL-safe base64 without padding, never starting with '-'),
/// without starting a JVM for it.
fn random_cluster_id() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    loop {
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
            .expect("/dev/urandom");
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        if !id.starts_with('-') && bytes != [0; 16] {
            return id;
        }
    }
}

/// The nodes' temporary directories: `<temp>/dualstream-kafka-…`.
const DIR_PREFIX: &str = "dualstream-kafka-";

/// The file in a nodes' directory naming the test process that made it.
const OWNER_FILE: &str = "owner";

/// A process as `/proc` knows it: its pid and its start time (clock ticks
/// since boot), so that a pid used again by a later process is not taken
/// for the one that made a directory.
fn process_identity(pid: u32) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state …`: comm may hold spaces and parentheses; the
    // start time is field 22, the 20th after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    let started = after.split_whitespace().nth(19)?.parse().ok()?;
    Some((pid, started))
}

/// Mark `dir` as this process's: the `owner` file holds `pid start-time`,
/// written whole (through a rename) so that no reader sees half of it.
fn claim(dir: &Path) {
    let Some((pid, started)) = process_identity(std::process::id()) else {
        return; // No /proc: the directory stays unclaimed, never swept.
    };
    let part = dir.join(format!("{OWNER_FILE}.part"));
    if std::fs::write(&part, format!("{pid} {started}\n")).is_ok() {
        let _ = std::fs::rename(&part, dir.join(OWNER_FILE));
    }
}

/// [`remove_orphaned_dirs`], once a test process, when it first meets a
/// broker (the shared one, or a node of its own).
fn sweep_once() {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(remove_orphaned_dirs);
}

/// Remove the nodes' directories that a test process killed before its
/// `Kafka` dropped (a nextest timeout, Ctrl-C) left behind: only those
/// whose `owner` file names a process that is gone. A directory without
/// one (being made right now, or by a harness before owners were
/// recorded) and one whose owner lives (other test processes run at the
/// same time) are left alone.
fn remove_orphaned_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(DIR_PREFIX) {
            continue;
        }
        let path = entry.path();
        let Ok(owner) = std::fs::read_to_string(path.join(OWNER_FILE)) else {
            continue;
        };
        let mut words = owner.split_whitespace().map(str::parse::<u64>);
        let (Some(Ok(pid)), Some(Ok(started)), None) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        let Ok(pid) = u32::try_from(pid) else {
            continue;
        };
        if process_identity(pid) == Some((pid, started)) {
            continue; // Its owner still runs.
        }
        if let Err(e) = std::fs::remove_dir_all(&path) {
            eprintln!(
                "could not remove {} (its test process is gone): {e}",
                path.display()
            );
        }
    }
}

type SpawnJob = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Start `cmd` on the spawner thread, which never exits: the child gets
/// SIGKILL when this process dies (the death signal follows the thread that
/// forked, so a short-lived test thread would take the broker with it).
pub fn spawn_tied(cmd: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnJob>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnJob>();
        std::thread::spawn(move || {
            for (mut cmd, reply) in rx {
                // SAFETY: prctl is async-signal-safe; nothing else runs
                // between fork and exec.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
                let _ = reply.send(cmd.spawn());
            }
        });
        Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    spawner.lock().unwrap().send((cmd, tx)).unwrap();
    rx.recv().unwrap()
}

/// One KRaft node: its ports, its directory, its process while it runs.
struct Node {
    id: u32,
    port: u16,
    /// The port clients are told to use (a proxy's, when one sits in front).
    advertised: u16,
    controller: u16,
    /// Extra listeners: (name, protocol, port).
    listeners: Vec<(String, String, u16)>,
    dir: PathBuf,
    child: Option<Child>,
    /// Where clients reach it: loopback, or its namespace's client address.
    host: String,
    /// Its own network namespace and address between the nodes, when the
    /// cluster was started [`Spec::isolated`].
    isolated: Option<(String, String)>,
}

impl Node {
    fn config(&self, voters: &str, spec: &Spec) -> String {
        let extra: String = self
            .listeners
            .iter()
            .map(|(name, _, port)| format!(",{name}://{}:{port}", self.host))
            .collect();
        let (host, controller) = match &self.isolated {
            // Between the nodes only the namespace's inner link is used.
            Some((_, inner)) => (&self.host, inner.as_str()),
            None => (&self.host, "127.0.0.1"),
        };
        let inner = match &self.isolated {
            Some((_, inner)) => format!(",INTERNAL://{inner}:{}", self.controller + 1),
            None => String::new(),
        };
        let mut c = format!(
            "node.id={}\n\
             listeners=PLAINTEXT://{host}:{},CONTROLLER://{controller}:{}{inner}{extra}\n\
             advertised.listeners=PLAINTEXT://{host}:{}{inner}{extra}\n\
             log.dirs={}\n",
            self.id,
            self.port,
            self.controller,
            self.advertised,
            self.dir.join("data").display()
        );
        let (topology, file) = if spec.nodes == 1 {
            (
                format!(
                    "controller.quorum.bootstrap.servers=127.0.0.1:{}\n",
                    self.controller
                ),
                "single.properties",
            )
        } else {
            (
                format!("controller.quorum.voters={voters}\n"),
                "cluster.properties",
            )
        };
        c.push_str(&topology);
        for f in [file, "common.properties"] {
            c.push_str(&std::fs::read_to_string(scripts_kafka().join(f)).unwrap());
            c.push('\n');
        }
        // Later keys win in a properties file.
        if self.isolated.is_some() {
            c.push_str(
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT\n\
                 inter.broker.listener.name=INTERNAL\n",
            );
        }
        if !self.listeners.is_empty() {
            let map: String = self
                .listeners
                .iter()
                .map(|(name, protocol, _)| format!(",{name}:{protocol}"))
                .collect();
            c.push_str(&format!(
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT{map}\n"
            ));
        }
        for line in &spec.config {
            c.push_str(line);
            c.push('\n');
        }
        c
    }

    fn start(&mut self, lib: &Path) -> std::io::Result<()> {
        let log4j = scripts_kafka().join("log4j2.properties");
        let mut cmd = match &self.isolated {
            Some((ns, _)) => {
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", ns, "java"])
                    .args(class_data(lib))
                    .arg("-cp")
                    .arg(format!("{}/*", lib.display()));
                cmd
            }
            None => java(lib),
        };
        // C1 only: a test's broker lives seconds to minutes, and C2's
        // compiler threads would take CPU from the test on two cores.
        cmd.args([
            "-Xms128m",
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
        ])
        .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
        .arg(format!("-Dkafka.logs.dir={}", self.dir.display()))
        .arg("kafka.Kafka")
        .arg(self.dir.join("server.properties"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(self.dir.join("stderr.log"))?);
        self.child = Some(spawn_tied(cmd)?);
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The end of the node's own log, for a failure message.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

/// What to start: how many nodes, and what to add to their configuration.
#[derive(Clone, Default)]
pub struct Spec {
    nodes: usize,
    /// Per node: the port it listens on and the one clients are told (a
    /// proxy's); free ports when empty.
    ports: Vec<(u16, u16)>,
    config: Vec<String>,
    listeners: Vec<(String, String)>,
    format: Vec<String>,
    /// Each node in a network namespace of its own (see [`Spec::isolated`]).
    isolated: bool,
}

impl Spec {
    pub fn nodes(mut self, n: usize) -> Spec {
        self.nodes = n;
        self
    }

    /// A `server.properties` line for every node (it wins over the defaults).
    pub fn config(mut self, line: impl Into<String>) -> Spec {
        self.config.push(line.into());
        self
    }

    /// Another listener (`SASL_PLAINTEXT`, `SSL`, …) on a free port of each
    /// node, beside the PLAINTEXT one the fixture itself uses.
    pub fn listener(mut self, name: &str, protocol: &str) -> Spec {
        self.listeners.push((name.into(), protocol.into()));
        self
    }

    /// Each node in a network namespace of its own, reached by clients on
    /// one link and by the other nodes on another ([`Net`]), so a test can
    /// cut a node off from the others while clients still reach it.
    pub fn isolated(mut self) -> Spec {
        self.isolated = true;
        self
    }

    /// An argument for `kafka-storage format` (`--add-scram …`).
    pub fn format_arg(mut self, arg: impl Into<String>) -> Spec {
        self.format.push(arg.into());
        self
    }

    pub fn start(self) -> Kafka {
        Kafka::launch(self)
    }
}

/// A Kafka of the test's own (one node or a cluster), or the shared one.
pub struct Kafka {
    nodes: Mutex<Vec<Node>>,
    /// `host:port,…` that clients bootstrap from.
    bootstrap: String,
    _dir: Option<tempfile::TempDir>,
    lib: PathBuf,
    /// The run's shared broker: no test may stop, freeze or cut it.
    shared: bool,
    /// The namespaces and links of an isolated cluster; dropped after the
    /// nodes (fields drop in order).
    net: Option<Net>,
}

impl Kafka {
    /// The broker of the test run, shared by every test that does not stop,
    /// freeze or cut it. Each test makes its own topics.
    pub fn shared() -> &'static Kafka {
        static SHARED: OnceLock<Kafka> = OnceLock::new();
        sweep_once();
        SHARED.get_or_init(|| match std::env::var("DUALSTREAM_TEST_KAFKA") {
            Ok(bootstrap) if !bootstrap.is_empty() => Kafka {
                nodes: Mutex::new(Vec::new()),
                bootstrap,
                _dir: None,
                lib: kafka_lib(),
                shared: true,
                net: None,
            },
            _ => {
                let mut kafka = Kafka::start();
                kafka.shared = true;
                kafka
            }
        })
    }

    /// A single combined broker and controller of the test's own.
    pub fn start() -> Kafka {
        Kafka::builder().start()
    }

    /// A single node listening on `port` that tells clients to connect to
    /// `advertised` (where a fault proxy forwards to `port`).
    pub fn start_advertising(port: u16, advertised: u16) -> Kafka {
        Kafka::launch(Spec {
            ports: vec![(port, advertised)],
            ..Kafka::builder()
        })
    }

    /// A cluster whose node `i` listens on `ports[i].0` and tells clients
    /// (and the other nodes) to connect to `ports[i].1`, where a proxy
    /// forwards: cutting it cuts the node off from clients and replicas.
    pub fn cluster_advertising(ports: &[(u16, u16)]) -> Kafka {
        Kafka::launch(Spec {
            ports: ports.to_vec(),
            ..Kafka::builder().nodes(ports.len())
        })
    }

    /// Combined nodes replicated as users run them: RF 3,
    /// `min.insync.replicas=2`, unclean leader election off.
    pub fn cluster(nodes: usize) -> Kafka {
        Kafka::builder().nodes(nodes).start()
    }

    /// One node unless told otherwise; see [`Spec`].
    pub fn builder() -> Spec {
        Spec {
            nodes: 1,
            ..Spec::default()
        }
    }

    fn launch(spec: Spec) -> Kafka {
        let mut last = String::new();
        for _ in 0..4 {
            match Kafka::try_launch(&spec) {
                Ok(k) => return k,
                Err(e) if spec.ports.is_empty() => last = e,
                Err(e) => panic!("{e}"),
            }
        }
        panic!("could not start Kafka: {last}");
    }

    fn try_launch(spec: &Spec) -> Result<Kafka, String> {
        let (nodes, ports) = (spec.nodes, &spec.ports);
        let lib = kafka_lib();
        sweep_once();
        let dir = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir()
            .unwrap();
        claim(dir.path());
        let net = if spec.isolated {
            Some(Net::create(nodes)?)
        } else {
            None
        };
        let mut list: Vec<Node> = (1..=nodes as u32)
            .map(|id| {
                let (port, advertised) = ports.get(id as usize - 1).copied().unwrap_or_else(|| {
                    // A namespace has every port to itself.
                    let p = if net.is_some() { 9092 } else { free_port() };
                    (p, p)
                });
                let (host, isolated) = match &net {
                    Some(net) => (net.client(id), Some((net.namespace(id), net.inner(id)))),
                    None => ("127.0.0.1".to_string(), None),
                };
                Node {
                    id,
                    port,
                    advertised,
                    controller: if net.is_some() { 9093 } else { free_port() },
                    listeners: spec
                        .listeners
                        .iter()
                        .map(|(name, protocol)| (name.clone(), protocol.clone(), free_port()))
                        .collect(),
                    dir: dir.path().join(format!("node-{id}")),
                    child: None,
                    host,
                    isolated,
                }
            })
            .collect();
        let voters = list
            .iter()
            .map(|n| {
                let at = n.isolated.as_ref().map_or("127.0.0.1", |(_, inner)| inner);
                format!("{}@{at}:{}", n.id, n.controller)
            })
            .collect::<Vec<_>>()
            .join(",");
        let cluster_id = random_cluster_id();
        // Format every node (one JVM each, in parallel), then start them.
        let mut formats = Vec::new();
        for n in &list {
            std::fs::create_dir_all(&n.dir).unwrap();
            let props = n.dir.join("server.properties");
            std::fs::write(&props, n.config(&voters, spec)).unwrap();
            let mut cmd = java(&lib);
            cmd.args(["kafka.tools.StorageTool", "format", "-t", &cluster_id, "-c"])
                .arg(&props);
            if nodes == 1 {
                cmd.arg("--standalone");
            }
            cmd.args(&spec.format);
            cmd.stdout(Stdio::null()).stderr(Stdio::piped());
            formats.push(cmd.spawn().map_err(|e| format!("java: {e}"))?);
        }
        for f in formats {
            let out = f.wait_with_output().unwrap();
            if !out.status.success() {
                return Err(format!(
                    "kafka-storage format failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        for n in &mut list {
            n.start(&lib).map_err(|e| format!("java: {e}"))?;
        }
        let bootstrap = list
            .iter()
            .map(|n| format!("{}:{}", n.host, n.advertised))
            .collect::<Vec<_>>()
            .join(",");
        let kafka = Kafka {
            nodes: Mutex::new(list),
            bootstrap,
            _dir: Some(dir),
            lib,
            shared: false,
            net,
        };
        kafka.wait_ready(Duration::from_secs(90))?;
        Ok(kafka)
    }

    /// Ready means Metadata lists every node, not an open port: a broker
    /// listens before it has joined its controllers. A node that exited
    /// (its port was taken between `free_port` and the bind) fails at once.
    fn wait_ready(&self, limit: Duration) -> Result<(), String> {
        let want = self.lock().len();
        let direct = {
            let nodes = self.lock();
            nodes
                .iter()
                .map(|n| format!("{}:{}", n.host, n.port))
                .collect::<Vec<_>>()
                .join(",")
        };
        let admin = self.admin(&direct);
        let deadline = Instant::now() + limit;
        loop {
            {
                let mut nodes = self.lock();
                for n in nodes.iter_mut() {
                    if let Some(c) = n.child.as_mut() {
                        if let Ok(Some(status)) = c.try_wait() {
                            let tail = n.log_tail();
                            n.child = None;
                            return Err(format!(
                                "Kafka node {} exited at start ({status}); its log ends:\n{tail}",
                                n.id
                            ));
                        }
                    }
                }
            }
            let listed = admin
                .inner()
                .fetch_metadata(None, Duration::from_secs(1))
                .map(|m| m.brokers().len())
                .unwrap_or(0);
            if listed >= want {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let tails: Vec<String> = self
                    .nodes
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|n| format!("node {}:\n{}", n.id, n.log_tail()))
                    .collect();
                return Err(format!(
                    "Kafka listed {listed} of {want} brokers after {limit:?}\n{}",
                    tails.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn brokers(&self) -> String {
        self.bootstrap.clone()
    }

    /// The bootstrap servers of the listener `name` (see [`Spec::listener`]).
    pub fn listener_address(&self, name: &str) -> String {
        self.lock()
            .iter()
            .map(|n| {
                let (_, _, port) = n
                    .listeners
                    .iter()
                    .find(|(l, _, _)| l == name)
                    .unwrap_or_else(|| panic!("no listener {name}"));
                format!("{}:{port}", n.host)
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The port of the first bootstrap server.
    pub fn port(&self) -> u16 {
        let first = self.bootstrap.split(',').next().unwrap_or_default();
        first
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .parse()
            .unwrap()
    }

    /// How many nodes this Kafka has (0 for a shared broker started elsewhere).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// The nodes, whatever a test that panicked left them as.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Node>> {
        self.nodes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The nodes of a Kafka that is the test's own.
    fn own(&self) -> std::sync::MutexGuard<'_, Vec<Node>> {
        let nodes = self.lock();
        if self.shared || nodes.is_empty() {
            drop(nodes);
            panic!("the shared broker is not the test's to stop: use Kafka::start()");
        }
        nodes
    }

    /// Kill every node (-9).
    pub fn stop(&self) {
        for n in self.own().iter_mut() {
            n.kill();
        }
    }

    /// Start every stopped node again on the same ports and data, and wait
    /// until Metadata lists them all.
    pub fn restart(&self) {
        {
            let mut nodes = self.own();
            for n in nodes.iter_mut() {
                if n.child.is_none() {
                    n.start(&self.lib).unwrap();
                }
            }
        }
        self.wait_ready(Duration::from_secs(90))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The first node's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.pid_of(1)
    }

    /// Node `id`'s process id, while it runs.
    pub fn pid_of(&self, id: u32) -> Option<u32> {
        self.own()
            .iter()
            .find(|n| n.id == id)
            .and_then(|n| n.child.as_ref().map(Child::id))
    }

    /// Kill node `id` (-9).
    pub fn kill_node(&self, id: u32) {
        if let Some(n) = self.own().iter_mut().find(|n| n.id == id) {
            n.kill();
        }
    }

    /// Stop node `id` as an operator does (SIGTERM: a controlled shutdown
    /// that hands its leaderships over), and wait until it exited.
    pub fn stop_node(&self, id: u32) {
        let mut nodes = self.own();
        let Some(n) = nodes.iter_mut().find(|n| n.id == id) else {
            return;
        };
        if let Some(mut c) = n.child.take() {
            unsafe {
                libc::kill(c.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(60);
            while c.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = c.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = c.wait();
        }
    }

    /// Start node `id` again (same ports, same data) without waiting.
    pub fn start_node(&self, id: u32) {
        let lib = self.lib.clone();
        if let Some(n) = self.own().iter_mut().find(|n| n.id == id) {
            if n.child.is_none() {
                n.start(&lib).unwrap();
            }
        }
    }

    /// The bootstrap address of node `id` alone.
    pub fn node_address(&self, id: u32) -> String {
        let nodes = self.own();
        let n = nodes.iter().find(|n| n.id == id).expect("no such node");
        format!("{}:{}", n.host, n.advertised)
    }

    /// Cut node `id` off from the other nodes (its link between the nodes
    /// goes down; clients still reach it), or heal the cut. Only for a
    /// cluster started [`Spec::isolated`].
    pub fn cut_off(&self, id: u32, cut: bool) {
        let net = self
            .net
            .as_ref()
            .expect("cut_off needs Kafka::builder().isolated()");
        net.link(id, !cut);
    }

    fn admin(&self, brokers: &str) -> AdminClient<DefaultClientContext> {
        client_config(brokers).create().unwrap()
    }

    /// Create a topic (replicated on every node of a cluster) and wait until
    /// metadata lists its partitions with a leader each.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        self.create_topic_with(name, partitions, &[]);
    }

    /// [`Kafka::create_topic`] with topic configs (`min.insync.replicas`, …).
    pub fn create_topic_with(&self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        let admin = self.admin(&self.brokers());
        let rf = self.len().clamp(1, 3) as i32;
        let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(rf));
        for (k, v) in configs {
            topic = topic.set(k, v);
        }
        let results = block_on(admin.create_topics([&topic], &AdminOptions::new()))
            .unwrap_or_else(|e| panic!("create topic {name}: {e}"));
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
        }
        self.wait_partitions(name, partitions as usize);
    }

    /// Grow a topic to `total` partitions.
    pub fn add_partitions(&self, name: &str, total: usize) {
        let admin = self.admin(&self.brokers());
        let grow = NewPartitions::new(name, total);
        let results = block_on(admin.create_partitions([&grow], &AdminOptions::new())).unwrap();
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("add partitions to {t}: {e}"));
        }
        self.wait_partitions(name, total);
    }

    /// Delete a topic.
    pub fn delete_topic(&self, name: &str) {
        let admin = self.admin(&self.brokers());
        let results = block_on(admin.delete_topics(&[name], &AdminOptions::new())).unwrap();
        for r in results {
            r.unwrap_or_else(|(t, e)| panic!("delete topic {t}: {e}"));
        }
    }

    fn wait_partitions(&self, name: &str, partitions: usize) {
        let admin = self.admin(&self.brokers());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = admin
                .inner()
                .fetch_metadata(Some(name), Duration::from_secs(2))
                .map(|m| {
                    m.topics().iter().any(|t| {
                        t.name() == name
                            && t.error().is_none()
                            && t.partitions().len() == partitions
                            && t.partitions().iter().all(|p| p.leader() >= 0)
                    })
                })
                .unwrap_or(false);
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "topic {name} did not get {partitions} partitions with leaders"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until Metadata lists every node again (after [`Kafka::start_node`]).
    pub fn wait_all_listed(&self) {
        self.wait_ready(Duration::from_secs(90))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Wait until every partition of `topic` has a leader and all its
    /// replicas in sync (a cluster whole again after a fault).
    pub fn wait_healthy(&self, topic: &str) {
        let admin = self.admin(&self.brokers());
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let healthy = admin
                .inner()
                .fetch_metadata(Some(topic), Duration::from_secs(2))
                .map(|m| {
                    m.topics().iter().any(|t| {
                        t.name() == topic
                            && !t.partitions().is_empty()
                            && t.partitions().iter().all(|p| {
                                p.leader() >= 0
                                    && p.error().is_none()
                                    && p.isr().len() == p.replicas().len()
                            })
                    })
                })
                .unwrap_or(false);
            if healthy {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{topic} did not get leaders and full ISRs back"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The in-sync replicas of `topic`/`partition` now.
    pub fn isr(&self, topic: &str, partition: i32) -> Vec<i32> {
        self.partition_now(topic, partition)
            .map(|(_, isr)| isr)
            .unwrap_or_default()
    }

    /// The node id that leads `topic`/`partition` now (-1: none).
    pub fn leader(&self, topic: &str, partition: i32) -> i32 {
        self.partition_now(topic, partition)
            .map_or(-1, |(leader, _)| leader)
    }

    /// `topic`/`partition`'s leader as node `id` alone tells it (-1 when it
    /// does not answer): a node cut off from the others has its own view.
    pub fn leader_seen_by(&self, id: u32, topic: &str, partition: i32) -> i32 {
        self.partition_seen(&self.node_address(id), topic, partition)
            .map_or(-1, |(leader, _)| leader)
    }

    /// `topic`/`partition`'s leader and in-sync replicas, as metadata says now.
    fn partition_now(&self, topic: &str, partition: i32) -> Option<(i32, Vec<i32>)> {
        self.partition_seen(&self.brokers(), topic, partition)
    }

    fn partition_seen(
        &self,
        brokers: &str,
        topic: &str,
        partition: i32,
    ) -> Option<(i32, Vec<i32>)> {
        let admin = self.admin(brokers);
        let metadata = admin
            .inner()
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .ok()?;
        let t = metadata.topics().iter().find(|t| t.name() == topic)?;
        let p = t.partitions().iter().find(|p| p.id() == partition)?;
        Some((p.leader(), p.isr().to_vec()))
    }

    /// Every record of the topic, read with assign() from the start of each
    /// partition to the end offsets taken now.
    pub fn records(&self, topic: &str) -> Vec<Record> {
        self.try_records(topic).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Kafka::records`], or why the broker could not be read.
    pub fn try_records(&self, topic: &str) -> Result<Vec<Record>, String> {
        read_records(&self.brokers(), topic)
    }

    /// The records of `topic` as Kafka's own Java consumer reads them
    /// (`kafka-console-consumer`, read_committed): an independent check of
    /// what landed, by a client that is not librdkafka. Each record as
    /// (partition, offset, key, value).
    pub fn java_records(&self, topic: &str, expected: usize) -> Vec<(i32, i64, String, String)> {
        self.java_records_until(topic, expected, Duration::from_secs(20))
    }

    /// [`Kafka::java_records`] that stops once `idle` passed without a
    /// record: with `max` above what is expected, a read of everything
    /// there (a record there twice is seen).
    pub fn java_records_until(
        &self,
        topic: &str,
        max: usize,
        idle: Duration,
    ) -> Vec<(i32, i64, String, String)> {
        let idle_ms = idle.as_millis().to_string();
        let out = java(&self.lib)
            .args(["-Xmx256m", "-XX:TieredStopAtLevel=1"])
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                scripts_kafka().join("log4j2-tools.properties").display()
            ))
            .args([
                "org.apache.kafka.tools.consumer.ConsoleConsumer",
                "--bootstrap-server",
                &self.brokers(),
                "--topic",
                topic,
                "--from-beginning",
                "--isolation-level",
                "read_committed",
                "--max-messages",
                &max.to_string(),
                "--timeout-ms",
                &idle_ms,
                "--formatter-property",
                "print.partition=true",
                "--formatter-property",
                "print.offset=true",
                "--formatter-property",
                "print.key=true",
                "--formatter-property",
                "key.separator=\t",
                "--formatter-property",
                "line.separator=\n",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("java (kafka-console-consumer)");
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .filter_map(|l| {
                // Partition:P\tOffset:O\tKEY\tVALUE
                let mut f = l.splitn(4, '\t');
                let p = f.next()?.strip_prefix("Partition:")?.parse().ok()?;
                let o = f.next()?.strip_prefix("Offset:")?.parse().ok()?;
                let k = f.next()?.to_string();
                let v = f.next()?.to_string();
                Some((p, o, k, v))
            })
            .collect()
    }

    /// Run one of Kafka's own Java tools (`org.apache.kafka.tools.AclCommand`,
    /// …) with `args`, warnings only on its stderr; panics when it fails.
    pub fn tool(&self, class: &str, args: &[&str]) -> String {
        let out = java(&self.lib)
            .args(["-Xmx256m", "-XX:TieredStopAtLevel=1"])
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                scripts_kafka().join("log4j2-tools.properties").display()
            ))
            .arg(class)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("java ({class}): {e}"));
        assert!(
            out.status.success(),
            "{class} {args:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Produce one record as given (any bytes, headers, timestamp), for
    /// records that `publish` would never write.
    pub fn produce_raw(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&str, &[u8])],
        timestamp: i64,
    ) {
        use rdkafka::message::{Header, OwnedHeaders};
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
        let producer: BaseProducer = client_config(&self.brokers()).create().unwrap();
        let mut h = OwnedHeaders::new();
        for (k, v) in headers {
            h = h.insert(Header {
                key: k,
                value: Some(*v),
            });
        }
        let mut record = BaseRecord::<[u8], [u8]>::to(topic)
            .headers(h)
            .timestamp(timestamp);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(v) = value {
            record = record.payload(v);
        }
        producer.send(record).map_err(|(e, _)| e).unwrap();
        producer.flush(Duration::from_secs(20)).unwrap();
    }
}

impl Drop for Kafka {
    fn drop(&mut self) {
        if let Ok(mut nodes) = self.nodes.lock() {
            for n in nodes.iter_mut() {
                n.kill();
            }
        }
    }
}

fn client_config(brokers: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    c.set("log_level", "0");
    c
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Network namespaces for an isolated cluster: node `i` lives in namespace
/// `ds<tag>n<i>` with two links into this machine's own namespace, one to a
/// bridge clients reach (`10.250.<x>.<i>`, the bridge holding `.254`) and
/// one to a bridge only the nodes share (`172.31.<x>.<i>`, no address here,
/// so nothing routes between the two). Taking a node's end of the inner
/// bridge down cuts it off from the other nodes and nothing else. All of it
/// stays on this machine; dropping it deletes the namespaces and bridges.
pub struct Net {
    tag: String,
    subnet: u32,
    nodes: usize,
}

impl Net {
    fn create(nodes: usize) -> Result<Net, String> {
        let pid = std::process::id();
        let net = Net {
            tag: format!("{:x}", pid % 0xfffff),
            subnet: 20 + pid % 200,
            nodes,
        };
        // What a killed run of the same process id may have left.
        net.remove();
        let (x, tag) = (net.subnet, &net.tag);
        let mut steps: Vec<Vec<String>> = vec![
            argv(&format!("link add dsk{tag} type bridge")),
            argv(&format!("addr add 10.250.{x}.254/24 dev dsk{tag}")),
            argv(&format!("link set dsk{tag} up")),
            argv(&format!("link add dsb{tag} type bridge")),
            argv(&format!("link set dsb{tag} up")),
        ];
        for i in 1..=nodes {
            let ns = net.namespace(i as u32);
            steps.push(argv(&format!("netns add {ns}")));
            steps.push(argv(&format!("-n {ns} link set lo up")));
            for (bridge, address) in [("dsk", net.client(i as u32)), ("dsb", net.inner(i as u32))] {
                let (here, there) = (format!("{bridge}{tag}-{i}"), format!("{bridge}p{tag}-{i}"));
                steps.push(argv(&format!(
                    "link add {here} type veth peer name {there}"
                )));
                steps.push(argv(&format!("link set {there} netns {ns}")));
                steps.push(argv(&format!("link set {here} master {bridge}{tag}")));
                steps.push(argv(&format!("link set {here} up")));
                steps.push(argv(&format!("-n {ns} addr add {address}/24 dev {there}")));
                steps.push(argv(&format!("-n {ns} link set {there} up")));
            }
        }
        for step in steps {
            let out = Command::new("ip")
                .args(&step)
                .output()
                .map_err(|e| format!("ip: {e} (network namespaces need iproute2 and root)"))?;
            if !out.status.success() {
                net.remove();
                return Err(format!(
                    "ip {}: {} (network namespaces need root)",
                    step.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        Ok(net)
    }

    fn namespace(&self, id: u32) -> String {
        format!("ds{}n{id}", self.tag)
    }

    fn client(&self, id: u32) -> String {
        format!("10.250.{}.{id}", self.subnet)
    }

    fn inner(&self, id: u32) -> String {
        format!("172.31.{}.{id}", self.subnet)
    }

    /// Node `id`'s end of the bridge between the nodes up or down.
    fn link(&self, id: u32, up: bool) {
        let state = if up { "up" } else { "down" };
        let status = Command::new("ip")
            .args(argv(&format!("link set dsb{}-{id} {state}", self.tag)))
            .status()
            .unwrap();
        assert!(status.success(), "ip link set … {state} failed");
    }

    fn remove(&self) {
        for i in 1..=self.nodes.max(5) {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.namespace(i as u32)])
                .stderr(Stdio::null())
                .status();
        }
        for bridge in ["dsk", "dsb"] {
            let _ = Command::new("ip")
                .args(["link", "del", &format!("{bridge}{}", self.tag)])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.remove();
    }
}

fn argv(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

#[test]
fn node_dirs_whose_test_process_is_gone_are_removed_and_no_other() {
    let make = |what: &str, owner: Option<String>| {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{what}-"))
            .tempdir()
            .unwrap()
            .keep();
        std::fs::create_dir_all(dir.join("node-1")).unwrap();
        if let Some(owner) = owner {
            std::fs::write(dir.join(OWNER_FILE), owner).unwrap();
        }
        dir
    };
    let mut exited = Command::new("true").spawn().unwrap();
    let gone = exited.id();
    exited.wait().unwrap();
    let (me, started) = process_identity(std::process::id()).unwrap();
    let dead = make("dead", Some(format!("{gone} {started}\n")));
    // The pid of a live process, but not the process that made it.
    let reused = make("reused", Some(format!("{me} {}\n", started + 1)));
    let live = make("live", None);
    claim(&live);
    let unowned = make("unowned", None);
    let garbled = make("garbled", Some(format!("{me}")));
    remove_orphaned_dirs();
    let kept: Vec<bool> = [&dead, &reused, &live, &unowned, &garbled]
        .iter()
        .map(|d| d.exists())
        .collect();
    for d in [&live, &unowned, &garbled] {
        let _ = std::fs::remove_dir_all(d);
    }
    assert_eq!(
        kept,
        [false, false, true, true, true],
        "dead, reused, live, unowned, garbled"
    );
}
