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

/// The headers of a WebSocket upgrade, and more.
fn upgrade<'a>(more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    [
        more,
        &[
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
    ]
    .concat()
}

/// A token signed with an RSA private key (PEM).
fn rs256(private_pem: &[u8], claims: &serde_json::Value) -> String {
    encode(
        &Header::new(Algorithm::RS256),
        claims,
        &EncodingKey::from_rsa_pem(private_pem).unwrap(),
    )
    .unwrap()
}

#[test]
fn an_rs256_public_key_checks_tokens_and_a_file_that_is_no_public_key_exits_2() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-rs256");
    kafka.create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    for name in ["key", "other"] {
        openssl(
            dir.path(),
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
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
            "rs256",
            "--auth-public-key",
            public.to_str().unwrap(),
        ],
        "http",
    );
    publish(kafka, &redis, &topic, 0, 2);
    let claim = serde_json::json!({"channels": ["events:*"], "exp": now() + 600});
    let good = rs256(&std::fs::read(dir.path().join("key.pem")).unwrap(), &claim);
    let mut r = get(
        &s.addr,
        "/events?from=earliest",
        &[("Authorization", &format!("Bearer {good}"))],
    );
    assert_eq!(r.status, 200);
    for i in 0..2 {
        let (_, data) = r.next_event().unwrap();
        assert!(data.contains(&format!("\"e{i}\"")), "{data}");
    }
    drop(r);
    // Signed with another RSA key: 401 and no event, over SSE and WebSocket.
    let forged = rs256(
        &std::fs::read(dir.path().join("other.pem")).unwrap(),
        &claim,
    );
    let bearer = format!("Bearer {forged}");
    let r = get(
        &s.addr,
        "/events?from=earliest",
        &[("Authorization", &bearer)],
    );
    assert_eq!(r.status, 401);
    let body = r.body();
    assert!(body.contains("signature"), "{body}");
    assert!(!body.contains("data:") && !body.contains(&forged), "{body}");
    let ws = get(
        &s.addr,
        "/ws?from=earliest",
        &upgrade(&[("Authorization", &bearer)]),
    );
    assert_eq!(ws.status, 401);
    // What is not an RSA public key exits 2 at start, naming the file: a
    // private key (which jsonwebtoken would take, and then refuse every
    // token), an HS256 secret, an Ed25519 public key.
    std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
    openssl(
        dir.path(),
        &["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"],
    );
    openssl(
        dir.path(),
        &["pkey", "-in", "ed.pem", "-pubout", "-out", "edpub.pem"],
    );
    for (file, says) in [
        ("key.pem", "a private key"),
        ("secret.txt", "not PEM"),
        ("edpub.pem", "not an RSA public key"),
    ] {
        let path = dir.path().join(file);
        let run = dualstream()
            .brokers(&kafka.brokers(), &redis.url(), &topic)
            .args(["serve", "--auth", "rs256", "--auth-public-key"])
            .arg(path.to_str().unwrap())
            .run()
            .expect_code(2);
        let stderr = run.stderr();
        assert!(
            stderr.contains(path.to_str().unwrap()) && stderr.contains(says),
            "{file}: {stderr}"
        );
        assert!(
            !stderr.contains(SECRET) && !stderr.contains("MII"),
            "{stderr}"
        );
    }
}

#[test]
fn a_token_that_expires_ends_a_websocket_with_4003_and_sse_with_expired() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::Message;
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-expiry");
    kafka.create_topic(&topic, 1);
    let s = serve(kafka, &redis, &topic, &["--auth", "hs256"], "http");
    let exp = now() + 4;
    let token = hs256(
        SECRET,
        &serde_json::json!({"channels": ["events:*"], "exp": exp}),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("ws://{}/ws?from=latest&access_token={token}", s.addr);
    let mut ws = rt.block_on(async { tokio_tungstenite::connect_async(&url).await.unwrap().0 });
    let mut sse = get(&s.addr, &format!("/events?access_token={token}"), &[]);
    assert_eq!(sse.status, 200);
    std::thread::sleep(Duration::from_millis(300));
    publish(kafka, &redis, &topic, 0, 2);
    let next = |ws: &mut tokio_tungstenite::WebSocketStream<_>| {
        rt.block_on(async {
            loop {
                let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
                    .await
                    .expect("a message in time");
                match m {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => return other,
                }
            }
        })
    };
    for i in 0..2 {
        let Some(Ok(Message::Text(t))) = next(&mut ws) else {
            panic!("no event");
        };
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v["data"]["id"], format!("e{i}"), "{v}");
        let (event, data) = sse.next_event().unwrap();
        assert_eq!(event, "message");
        assert!(data.contains(&format!("\"e{i}\"")), "{data}");
    }
    // Past exp, events are published: neither stream gets them.
    while now() <= exp {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    publish(kafka, &redis, &topic, 2, 3);
    let Some(Ok(Message::Text(t))) = next(&mut ws) else {
        panic!("no expiry message");
    };
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    assert_eq!(v["type"], "expired", "{v}");
    match next(&mut ws) {
        Some(Ok(Message::Close(Some(f)))) => {
            assert_eq!(f.code, CloseCode::Library(4003), "{f:?}")
        }
        other => panic!("not a close 4003: {other:?}"),
    }
    let after = rt.block_on(async {
        let mut texts = Vec::new();
        while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            if let Message::Text(t) = m {
                texts.push(t.to_string());
            }
        }
        texts
    });
    assert!(after.is_empty(), "after the close: {after:?}");
    let (event, data) = sse.next_event().expect("the expiry");
    assert_eq!(event, "expired", "{data}");
    let rest = sse.body();
    assert!(!rest.contains("data:"), "after expired: {rest}");
    assert!(v.get("id").is_none(), "the expiry carries no id: {v}");
}

#[test]
fn a_resume_is_authorised_by_the_token_it_comes_with_not_the_one_it_began_with() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-reauth");
    kafka.create_topic(&topic, 1);
    let s = serve(kafka, &redis, &topic, &["--auth", "hs256"], "http");
    let token = |channels: &[&str]| {
        format!(
            "Bearer {}",
            hs256(
                SECRET,
                &serde_json::json!({"channels": channels, "exp": now() + 600})
            )
        )
    };
    // Seven sources: events e0..e6 on events:repo:r0..r6.
    publish(kafka, &redis, &topic, 0, 7);
    let wide = token(&["events:*"]);
    let mut r = get(
        &s.addr,
        "/events?from=earliest",
        &[("Authorization", &wide)],
    );
    let mut id = None;
    for _ in 0..3 {
        let mut line = String::new();
        loop {
            line.clear();
            r.reader.read_line(&mut line).unwrap();
            if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.trim().to_string());
                break;
            }
        }
    }
    drop(r);
    let id = id.unwrap();
    publish(kafka, &redis, &topic, 7, 7);
    // A claim that no longer covers what the stream read: 403, no event.
    for (why, target, auth) in [
        ("other channels", "/events", token(&["audit:*"])),
        (
            "a pattern outside the claim",
            "/events?pattern=events:*",
            token(&["events:repo:r1"]),
        ),
    ] {
        let r = get(
            &s.addr,
            target,
            &[("Last-Event-ID", &id), ("Authorization", &auth)],
        );
        assert_eq!(r.status, 403, "{why}");
        let body = r.body();
        assert!(!body.contains("data:"), "{why}: {body}");
        let ws = get(
            &s.addr,
            &format!(
                "/ws?last_event_id={id}&{}",
                target.split_once('?').map_or("", |(_, q)| q)
            ),
            &upgrade(&[("Authorization", &auth)]),
        );
        assert_eq!(ws.status, 403, "ws {why}");
    }
    // A narrower claim resumes within it only: of e3..e13, e8 alone is on
    // events:repo:r1; e1 (before the id) is not sent again.
    let mut r = get(
        &s.addr,
        "/events",
        &[
            ("Last-Event-ID", &id),
            ("Authorization", &token(&["events:repo:r1"])),
        ],
    );
    assert_eq!(r.status, 200);
    let (_, data) = r.next_event().unwrap();
    let v: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(v["data"]["id"], "e8", "{v}");
    assert_eq!(v["channel"], "events:repo:r1", "{v}");
    publish(kafka, &redis, &topic, 14, 7);
    let (_, data) = r.next_event().unwrap();
    let v: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(v["data"]["id"], "e15", "live, within the claim only: {v}");
}

#[test]
fn a_websocket_from_a_foreign_origin_is_refused_and_star_never_carries_credentials() {
    let (kafka, redis) = (Kafka::shared(), Redis::start());
    let topic = topic("serve-origin");
    kafka.create_topic(&topic, 1);
    // No --allow-origin: only the server's own pages (and non-browsers).
    let s = serve(kafka, &redis, &topic, &[], "http");
    let own = format!("http://{}", s.addr);
    for (origin, status) in [
        (None, 101),
        (Some(own.as_str()), 101),
        (Some("https://evil.example"), 403),
    ] {
        let headers: Vec<(&str, &str)> = origin.map(|o| vec![("Origin", o)]).unwrap_or_default();
        let r = get(&s.addr, "/ws", &upgrade(&headers));
        assert_eq!(r.status, status, "{origin:?}");
    }
    drop(s);
    // An exact origin: it (with credentials) and the own pages; no other.
    let s = serve(
        kafka,
        &redis,
        &topic,
        &["--allow-origin", "https://app.example"],
        "http",
    );
    for (origin, status) in [
        ("https://app.example", 101),
        ("https://evil.example", 403),
        ("null", 403),
    ] {
        let r = get(&s.addr, "/ws", &upgrade(&[("Origin", origin)]));
        assert_eq!(r.status, status, "{origin}");
        assert_eq!(
            r.header("access-control-allow-credentials").is_some(),
            status == 101
        );
    }
    drop(s);
    // `*` and an exact one, with --auth: any origin may read with a bearer
    // token, never with credentials; only the exact origin gets them, and
    // a cookie's token counts only from it.
    let s = serve(
        kafka,
        &redis,
        &topic,
        &[
            "--auth",
            "hs256",
            "--allow-origin",
            "*",
            "--allow-origin",
            "https://app.example",
        ],
        "http",
    );
    publish(kafka, &redis, &topic, 0, 1);
    let good = hs256(
        SECRET,
        &serde_json::json!({"channels": ["events:*"], "exp": now() + 600}),
    );
    let bearer = format!("Bearer {good}");
    let cookie = format!("access_token={good}");
    let c = TcpStream::connect(&s.addr).unwrap();
    let pre = request(
        Box::new(c),
        "OPTIONS",
        &s.addr,
        "/events",
        &[
            ("Origin", "https://any.example"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
    );
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert_eq!(pre.header("access-control-allow-credentials"), None);
    let mut r = get(
        &s.addr,
        "/events?from=earliest",
        &[
            ("Origin", "https://any.example"),
            ("Authorization", &bearer),
        ],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-credentials"), None);
    assert!(r.next_event().unwrap().1.contains("\"e0\""));
    drop(r);
    let r = get(
        &s.addr,
        "/events?from=earliest",
        &[("Origin", "https://app.example"), ("Cookie", &cookie)],
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    drop(r);
    for (why, target, headers) in [
        (
            "sse, cookie, through *",
            "/events?from=earliest",
            vec![
                ("Origin", "https://any.example"),
                ("Cookie", cookie.as_str()),
            ],
        ),
        (
            "ws, cookie, through *",
            "/ws?from=earliest",
            upgrade(&[
                ("Origin", "https://any.example"),
                ("Cookie", cookie.as_str()),
            ]),
        ),
    ] {
        let r = get(&s.addr, target, &headers);
        assert_eq!(r.status, 403, "{why}");
        assert_eq!(r.header("access-control-allow-credentials"), None, "{why}");
        let body = r.body();
        assert!(
            !body.contains("data:") && body.contains("cookie"),
            "{why}: {body}"
        );
    }
    let r = get(
        &s.addr,
        "/ws?from=earliest",
        &upgrade(&[
            ("Origin", "https://any.example"),
            ("Authorization", &bearer),
        ]),
    );
    assert_eq!(r.status, 101, "ws, bearer, through *");
}
