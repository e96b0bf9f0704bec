//! A redis-server of the test's own, and a subscriber that collects what arrives.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

/// A redis-server of our own.
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl Redis {
    pub fn start() -> Redis {
        Redis::start_with(&[])
    }

    /// Start with extra server arguments (`--requirepass`, ACL rules).
    pub fn start_with(extra: &[&str]) -> Redis {
        let extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
        on_free_port(|port| {
            let mut redis = Redis {
                port,
                child: None,
                dir: tempfile::tempdir().unwrap(),
                extra: extra.clone(),
            };
            redis.try_restart().map(|()| redis)
        })
    }

    pub fn start_on(port: u16) -> Redis {
        let dir = tempfile::tempdir().unwrap();
        let mut redis = Redis {
            port,
            child: None,
            dir,
            extra: Vec::new(),
        };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            kill(&mut c);
        }
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Start (again) on the same port.
    pub fn restart(&mut self) {
        if let Err(e) = self.try_restart() {
            panic!("{e}");
        }
    }

    fn try_restart(&mut self) -> Result<(), String> {
        self.stop();
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(&self.extra)
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server, or scripts/install-brokers.sh)");
        let (port, pid) = (self.port, child.id());
        let password = self
            .extra
            .windows(2)
            .find(|w| w[0] == "--requirepass")
            .map(|w| w[1].clone());
        let ready = wait_for_child("redis-server", &mut child, Duration::from_secs(10), || {
            // The server that answers must be ours, not one of another test
            // that took the port first (this one then failed to bind).
            let url = match &password {
                Some(p) => format!("redis://:{p}@127.0.0.1:{port}"),
                None => format!("redis://127.0.0.1:{port}"),
            };
            let info = redis::Client::open(url)
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("INFO").arg("server").query::<String>(&mut c));
            info.is_ok_and(|info| info.contains(&format!("process_id:{pid}\r\n")))
        });
        self.child = Some(child);
        ready
    }

    /// Subscribe to `pattern` now; messages are collected on a thread.
    pub fn subscribe(&self, pattern: &str) -> Subscriber {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_connection().unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let sink = messages.clone();
        let pattern = pattern.to_string();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut pubsub = conn.as_pubsub();
            pubsub.psubscribe(&pattern).unwrap();
            pubsub
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            ready_tx.send(()).unwrap();
            loop {
                match pubsub.get_message() {
                    Ok(m) => {
                        let payload: String = m.get_payload().unwrap();
                        sink.lock()
                            .unwrap()
                            .push((m.get_channel_name().to_string(), payload));
                    }
                    Err(e) if e.is_timeout() => {
                        if Arc::strong_count(&sink) == 1 {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        ready_rx.recv().unwrap();
        Subscriber { messages }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Messages received by a pattern subscription: (channel, payload).
pub struct Subscriber {
    messages: Arc<Mutex<Vec<(String, String)>>>,
}

impl Subscriber {
    /// Wait until `n` messages arrived (or the timeout passed), then return all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<(String, String)> {
        let deadline = Instant::now() + timeout;
        while self.messages.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.messages.lock().unwrap().clone()
    }

    /// Everything that arrived within `quiet` of waiting.
    pub fn settle(&self, quiet: Duration) -> Vec<(String, String)> {
        std::thread::sleep(quiet);
        self.messages.lock().unwrap().clone()
    }
}

pub fn redis_publish(redis: &Redis, messages: &[(&str, &[u8])]) {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_connection().unwrap();
    for (channel, payload) in messages {
        redis::cmd("PUBLISH")
            .arg(*channel)
            .arg(*payload)
            .query::<i64>(&mut conn)
            .unwrap();
    }
}
