//! `dualstream serve` access: JWT (`--auth`), CORS (`--allow-origin`) and
//! TLS (`--tls-cert/--tls-key`), against real Redis and Kafka, with raw
//! HTTP/1.0 clients over TCP and over rustls.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

use crate::common::*;

const SECRET: &str = "a-test-secret-of-forty-bytes-0123456789";

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    reader: BufReader<Box<dyn Read + Send>>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn body(mut self) -> String {
        let mut s = String::new();
        let _ = self.reader.read_to_string(&mut s);
        s
    }

    /// The data of the next SSE event, and its event name.
    fn next_event(&mut self) -> Option<(String, String)> {
        let (mut event, mut data) = ("message".to_string(), None);
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end_matches('\n');
            if line.is_empty() {
                if let Some(d) = data.take() {
                    return Some((event, d));
                }
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = Some(v.to_string());
            }
        }
    }
}

fn request(
    stream: Box<dyn ReadWrite>,
    method: &str,
    addr: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut s = stream;
    // HTTP/1.1 for a WebSocket upgrade, else 1.0: close-delimited.
    let version = if target.starts_with("/ws") {
        "1.1"
    } else {
        "1.0"
    };
    let mut req = format!("{method} {target} HTTP/{version}\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.flush().unwrap();
    let mut reader: BufReader<Box<dyn Read + Send>> = BufReader::new(Box::new(s));
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        if h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Reply {
        status,
        headers,
        reader,
    }
}

trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

fn get(addr: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    request(Box::new(s), "GET", addr, target, headers)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(channels: &[&str], exp: u64, aud: &str, iss: &str) -> serde_json::Value {
    serde_json::json!({"channels": channels, "exp": exp, "aud": aud, "iss": iss, "sub": "t"})
}

fn hs256(secret: &str, claims: &serde_json::Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

struct Serving {
    t: Option<Tailing>,
    addr: String,
}

impl Serving {
    fn stop(mut self) -> String {
        let t = self.t.take().unwrap();
        terminate(t.child.id());
        let (_, _, stderr) = t.finish();
        stderr
    }
}

/// SIGTERM, so serve ends as it would.
fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(t) = &mut self.t {
            let _ = t.child.kill();
            let _ = t.child.wait();
        }
    }
}

fn serve(kafka: &Kafka, redis: &Redis, topic: &str, extra: &[&str], scheme: &str) -> Serving {
    let t = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), topic)
        .env("DUALSTREAM_AUTH_SECRET", SECRET)
        .args(["serve", "events:*", "--listen", "127.0.0.1:0"])
        .args(extra)
        .start();
    let seen = t.wait_stderr("serving");
    let line = seen.last().unwrap();
    let addr = line
        .split(&format!("{scheme}://"))
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    Serving { t: Some(t), addr }
}

fn publish(kafka: &Kafka, redis: &Redis, topic: &str, first: usize, n: usize) {
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), topic)
        .arg("publish")
        .stdin(events(first, n, 7))
        .run()
        .expect_code(0);
}

fn openssl(dir: &Path, args: &[&str]) {
    let ok = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn auth_refuses_without_a_valid_token_and_sends_no_event() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-auth");
    kafka.create_topic(&topic, 1);
    let s = serve(
        kafka,
        &redis,
        &topic,
        &[
            "--auth",
            "hs256",
            "--auth-audience",
            "app",
            "--auth-issuer",
            "me",
            "-vv",
        ],
        "http",
    );
    let later = now() + 3600;
    let good = hs256(SECRET, &claims(&["events:*"], later, "app", "me"));
    publish(kafka, &redis, &topic, 0, 3);
    let bearer = |t: &str| format!("Bearer {t}");
    for (why, target, token, status) in [
        ("no token", "/events?from=earliest".to_string(), None, 401),
        (
            "expired",
            "/events?from=earliest".into(),
            Some(hs256(
                SECRET,
                &claims(&["events:*"], now() - 5, "app", "me"),
            )),
            401,
        ),
        (
            "forged",
            "/events?from=earliest".into(),
            Some(hs256(
                "another-secret-of-more-than-32-bytes!!",
                &claims(&["events:*"], later, "app", "me"),
            )),
            401,
        ),
        (
            "aud",
            "/events?from=earliest".into(),
            Some(hs256(SECRET, &claims(&["events:*"], later, "other", "me"))),
            401,
        ),
        (
            "iss",
            "/events?from=earliest".into(),
            Some(hs256(SECRET, &claims(&["events:*"], later, "app", "you"))),
            401,
        ),
        (
            "outside the claim",
            "/events?from=earliest&pattern=events:other:*".into(),
            Some(hs256(
                SECRET,
                &claims(&["events:repo:*"], later, "app", "me"),
            )),
            403,
        ),
        (
            "claim outside serve",
            "/events?from=earliest".into(),
            Some(hs256(SECRET, &claims(&["audit:*"], later, "app", "me"))),
            403,
        ),
    ] {
        let auth = token.as_deref().map(bearer);
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("Authorization", a)])
            .unwrap_or_default();
        let r = get(&s.addr, &target, &headers);
        assert_eq!(r.status, status, "{why}");
        let body = r.body();
        assert!(
            !body.contains("data:") && !body.contains("id:"),
            "{why}: {body}"
        );
        if let Some(t) = &token {
            assert!(!body.contains(t.as_str()), "{why}: the token in {body}");
        }
        // WebSocket is refused alike, before the upgrade.
        let ws = get(
            &s.addr,
            &target.replace("/events", "/ws"),
            &[
                headers.as_slice(),
                &[
                    ("Connection", "Upgrade"),
                    ("Upgrade", "websocket"),
                    ("Sec-WebSocket-Version", "13"),
                    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ],
            ]
            .concat(),
        );
        assert_eq!(ws.status, status, "ws {why}");
    }
    // A valid token by header, cookie and query: every event.
    let cookie = format!("theme=dark; access_token={good}");
    let auth = bearer(&good);
    let query = format!("/events?from=earliest&access_token={good}");
    for (target, headers) in [
        (
            "/events?from=earliest",
            vec![("Authorization", auth.as_str())],
        ),
        ("/events?from=earliest", vec![("Cookie", cookie.as_str())]),
        (query.as_str(), vec![]),
    ] {
        let mut r = get(&s.addr, target, &headers);
        assert_eq!(r.status, 200, "{target} {headers:?}");
        for i in 0..3 {
            let (event, data) = r.next_event().expect("an event");
            assert_eq!(event, "message");
            let v: serde_json::Value = serde_json::from_str(&data).unwrap();
            assert_eq!(v["data"]["id"], format!("e{i}"));
        }
    }
    // A resume is re-authorised: the last id with no token, or an expired
    // one, is refused.
    let mut r = get(
        &s.addr,
        "/events?from=earliest",
        &[("Authorization", auth.as_str())],
    );
    let mut id = None;
    let mut line = String::new();
    while id.is_none() {
        line.clear();
        r.reader.read_line(&mut line).unwrap();
        id = line.strip_prefix("id: ").map(|v| v.trim().to_string());
    }
    let id = id.unwrap();
    assert_eq!(
        get(&s.addr, "/events", &[("Last-Event-ID", &id)]).status,
        401
    );
    let expired = bearer(&hs256(
        SECRET,
        &claims(&["events:*"], now() - 1, "app", "me"),
    ));
    let r = get(
        &s.addr,
        "/events",
        &[("Last-Event-ID", &id), ("Authorization", &expired)],
    );
    assert_eq!(r.status, 401);
    // A token that expires mid-stream ends it with `expired`.
    let short = hs256(SECRET, &claims(&["events:*"], now() + 3, "app", "me"));
    let mut r = get(&s.addr, &format!("/events?access_token={short}"), &[]);
    assert_eq!(r.status, 200);
    let (event, data) = r.next_event().expect("the expiry");
    assert_eq!(event, "expired", "{data}");
    assert!(r.next_event().is_none());
    drop(r);
    let stderr = s.stop();
    assert!(stderr.contains("DEBUG"), "not -vv: {stderr}");
    for secret in [SECRET, good.as_str(), short.as_str()] {
        assert!(!stderr.contains(secret), "a secret at -vv: {stderr}");
    }
}

#[test]
fn an_eddsa_public_key_checks_tokens_and_refuses_another_algorithm() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-eddsa");
    kafka.create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &["genpkey", "-algorithm", "ed25519", "-out", "key.pem"],
    );
    openssl(
        dir.path(),
        &["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"],
    );
    let public = dir.path().join("pub.pem");
    let s = serve(
        kafka,
        &redis,
        &topic,
        &[
            "--auth",
            "eddsa",
            "--auth-public-key",
            public.to_str().unwrap(),
        ],
        "http",
    );
    publish(kafka, &redis, &topic, 0, 2);
    let private = std::fs::read(dir.path().join("key.pem")).unwrap();
    let token = encode(
        &Header::new(Algorithm::EdDSA),
        &serde_json::json!({"channels": ["events:*"], "exp": now() + 600}),
        &EncodingKey::from_ed_pem(&private).unwrap(),
    )
    .unwrap();
    let mut r = get(
        &s.addr,
        &format!("/events?from=earliest&pattern=events:*&access_token={token}"),
        &[],
    );
    assert_eq!(r.status, 200);
    let (_, data) = r.next_event().unwrap();
    assert!(data.contains("\"e0\""), "{data}");
    // An HS256 token, whatever its key, is not taken by an EdDSA server.
    let other = hs256(
        SECRET,
        &serde_json::json!({"channels": ["*"], "exp": now() + 600}),
    );
    let r = get(&s.addr, &format!("/events?access_token={other}"), &[]);
    assert_eq!(r.status, 401);
    assert!(r.body().contains("eddsa"));
    // A key file that is no key: exit 2, naming it.
    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["serve", "--auth", "rs256", "--auth-public-key"])
        .arg(dir.path().join("key.pem").to_str().unwrap())
        .run()
        .expect_code(2);
    assert!(run.stderr().contains("key.pem"), "{}", run.stderr());
}

#[test]
fn cors_answers_only_the_allowed_origins() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-cors");
    kafka.create_topic(&topic, 1);
    let s = serve(
        kafka,
        &redis,
        &topic,
        &["--allow-origin", "https://app.example"],
        "http",
    );
    let preflight = |origin: &str| {
        let c = TcpStream::connect(&s.addr).unwrap();
        request(
            Box::new(c),
            "OPTIONS",
            &s.addr,
            "/events",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "authorization"),
            ],
        )
    };
    let ok = preflight("https://app.example");
    assert_eq!(ok.status, 204);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(ok.header("access-control-allow-credentials"), Some("true"));
    assert!(ok
        .header("access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
    let no = preflight("https://evil.example");
    assert_eq!(no.status, 403);
    assert_eq!(no.header("access-control-allow-origin"), None);
    let r = get(&s.addr, "/healthz", &[("Origin", "https://app.example")]);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let r = get(&s.addr, "/events", &[("Origin", "https://evil.example")]);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-allow-credentials"), None);
    // A path or a trailing slash is no origin.
    dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["serve", "--allow-origin", "https://app.example/"])
        .run()
        .expect_code(2);
}

#[test]
fn tls_serves_events_to_an_https_client() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-tls");
    kafka.create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ],
    );
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let s = serve(
        kafka,
        &redis,
        &topic,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        "https",
    );
    publish(kafka, &redis, &topic, 0, 2);
    use rustls_pki_types::pem::PemObject;
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(&s.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let tls = rustls::StreamOwned::new(conn, tcp);
    let mut r = request(Box::new(tls), "GET", &s.addr, "/events?from=earliest", &[]);
    assert_eq!(r.status, 200);
    for i in 0..2 {
        let (_, data) = r.next_event().unwrap();
        assert!(data.contains(&format!("\"e{i}\"")), "{data}");
    }
    // Plain HTTP to it gets no event.
    let mut plain = TcpStream::connect(&s.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = plain.write_all(b"GET /events?from=earliest HTTP/1.0\r\n\r\n");
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(!String::from_utf8_lossy(&got).contains("data:"));
    // A certificate file that is missing: exit 2, naming it.
    let run = dualstream()
        .brokers(&kafka.brokers(), &redis.url(), &topic)
        .args(["serve", "--tls-cert", "/nonexistent/cert.pem", "--tls-key"])
        .arg(key.to_str().unwrap())
        .run()
        .expect_code(2);
    assert!(
        run.stderr().contains("/nonexistent/cert.pem"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_non_loopback_address_needs_auth_or_no_auth_and_auth_needs_its_key() {
    let run = dualstream()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .run()
        .expect_code(2);
    assert!(run.stderr().contains("--auth"), "{}", run.stderr());
    let run = dualstream()
        .args(["serve", "--listen", "0.0.0.0:0", "--auth", "hs256"])
        .run()
        .expect_code(2);
    assert!(
        run.stderr().contains("DUALSTREAM_AUTH_SECRET"),
        "{}",
        run.stderr()
    );
    let run = dualstream()
        .env("DUALSTREAM_AUTH_SECRET", "short")
        .args(["serve", "--auth", "hs256"])
        .run()
        .expect_code(2);
    assert!(run.stderr().contains("32 bytes"), "{}", run.stderr());
}
