//! A real browser for the pages `serve` shows: Debian's `chromium`, headless,
//! driven over the DevTools protocol (CDP) with a small WebSocket client.
//!
//! Why CDP rather than `--dump-dom`: the tests must look at a page *while*
//! they restart servers under it, several times, and read its state at the
//! end; `--dump-dom` gives one snapshot of one page after load. Over CDP the
//! test opens pages (`Target.createTarget`), attaches to each on the one
//! browser connection (`Target.attachToTarget`, flat sessions), and reads
//! or runs JavaScript in them (`Runtime.evaluate`, by value) whenever it
//! likes. Only three methods, so no client library: requests carry an id,
//! the answer with that id is awaited, every other message (events) is
//! skipped. The port: `--remote-debugging-port=0`, which Chromium writes to
//! `DevToolsActivePort` in its fresh `--user-data-dir`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A headless Chromium and the CDP connection to it. Killed when dropped.
pub struct Browser {
    child: Child,
    rt: tokio::runtime::Runtime,
    ws: Socket,
    next_id: u64,
    _profile: tempfile::TempDir,
}

/// A page open in the browser: its CDP session.
pub struct Page {
    session: String,
}

impl Browser {
    /// Start Chromium (the flags of DESIGN.md) and connect to it. Fails
    /// with what to install when there is no `chromium`.
    pub fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                // EventSource and timers of a page nobody looks at must
                // not be slowed down.
                "--disable-background-timer-throttling",
                "--disable-renderer-backgrounding",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium (apt-get install chromium, or scripts/install-brokers.sh)");
        let url = match devtools_url(profile.path(), &mut child) {
            Ok(url) => url,
            Err(e) => {
                let _ = child.kill();
                panic!("{e}");
            }
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let ws = rt
            .block_on(tokio_tungstenite::connect_async(&url))
            .unwrap_or_else(|e| panic!("chromium's DevTools at {url}: {e}"))
            .0;
        Browser {
            child,
            rt,
            ws,
            next_id: 0,
            _profile: profile,
        }
    }

    /// One CDP call; its result, or a panic with the browser's error.
    fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: serde_json::Value,
    ) -> serde_json::Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut request = serde_json::json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            request["sessionId"] = s.into();
        }
        let ws = &mut self.ws;
        self.rt.block_on(async {
            ws.send(Message::Text(request.to_string().into()))
                .await
                .expect("chromium's DevTools connection");
            loop {
                let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
                    .await
                    .unwrap_or_else(|_| panic!("no answer from chromium to {method} in 30 s"))
                    .expect("chromium's DevTools connection open")
                    .expect("chromium's DevTools connection");
                let Message::Text(t) = m else { continue };
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if v["id"] != id {
                    continue;
                }
                if let Some(e) = v.get("error") {
                    panic!("chromium: {method}: {e}");
                }
                return v["result"].clone();
            }
        })
    }

    /// Open `url` in a new page.
    pub fn open(&mut self, url: &str) -> Page {
        let target = self.call(None, "Target.createTarget", serde_json::json!({"url": url}));
        let id = target["targetId"].as_str().unwrap().to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            serde_json::json!({"targetId": id, "flatten": true}),
        );
        Page {
            session: attached["sessionId"].as_str().unwrap().to_string(),
        }
    }

    /// The value of a JavaScript expression in `page` (promises awaited).
    pub fn eval(&mut self, page: &Page, expression: &str) -> serde_json::Value {
        let r = self.call(
            Some(&page.session),
            "Runtime.evaluate",
            serde_json::json!({
                "expression": expression,
                "returnByValue": true,
                "awaitPromise": true,
            }),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("in the page: {expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Evaluate `expression` until it is true, or panic after `limit`
    /// showing `shown` (another expression) as it was last.
    pub fn wait_for(&mut self, page: &Page, expression: &str, shown: &str, limit: Duration) {
        let until = Instant::now() + limit;
        loop {
            if self.eval(page, expression) == serde_json::Value::Bool(true) {
                return;
            }
            if Instant::now() > until {
                let state = self.eval(page, shown);
                panic!("in the page, not true after {limit:?}: {expression}; {state}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The browser's DevTools WebSocket URL, from `DevToolsActivePort` (its
/// port, then its path) once Chromium wrote it.
fn devtools_url(profile: &Path, child: &mut Child) -> Result<String, String> {
    let file = profile.join("DevToolsActivePort");
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return Ok(format!("ws://127.0.0.1:{port}{path}"));
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("chromium exited at start: {status}"));
        }
        if Instant::now() > until {
            return Err("chromium did not open its DevTools port in 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
