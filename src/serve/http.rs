//! serve's HTTP side: accepting connections within limits (a header read
//! timeout, a bounded header size, a bounded number of connections), the
//! routes (`/` the page, `/events`, `/ws`, `/healthz`, `/metrics`), TLS
//! when given, CORS for the `--allow-origin` origins, reading a client's
//! request into what it wants (its token checked first: nothing is sent
//! before), and rendering a session's [`Out`] as SSE text or WebSocket
//! messages.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use super::auth::Verifier;
use super::hub::{End, Hub, Wants};
use super::session::{JoinAt, Out, Session};
use super::token::Position;
use crate::duration::parse_time_or_ago;
use crate::kafka::KafkaSettings;
use crate::pubsub::Subscriptions;
use crate::select::Filter;
use crate::shutdown::Shutdown;

/// What every handler shares.
pub struct App {
    pub hub: Arc<Hub>,
    pub settings: KafkaSettings,
    pub heartbeat: Duration,
    pub retry: Duration,
    pub shutdown: Shutdown,
    pub started: Instant,
    /// The Redis address, without its password.
    pub redis: String,
    /// `--auth`: every stream needs a valid token; none without it.
    pub verifier: Option<Verifier>,
    /// `--allow-origin`.
    pub cors: Cors,
    /// Resumes gathering for one shared Kafka read.
    pub gathering: Arc<super::share::Gathering>,
}

/// The origins CORS lets read (`--allow-origin`): exact ones, with
/// credentials; `*` for any other, without.
pub struct Cors {
    pub exact: Vec<String>,
    pub any: bool,
}

impl Cors {
    pub fn new(origins: &[String]) -> Cors {
        Cors {
            exact: origins.iter().filter(|o| *o != "*").cloned().collect(),
            any: origins.iter().any(|o| o == "*"),
        }
    }

    /// How `origin` may read: `Some(true)` exactly, with credentials;
    /// `Some(false)` through `*`; `None` not at all.
    fn allows(&self, origin: &str) -> Option<bool> {
        if self.exact.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
            Some(true)
        } else if self.any {
            Some(false)
        } else {
            None
        }
    }
}

/// What a connection may take.
pub struct Limits {
    pub header_timeout: Duration,
    pub connections: usize,
    /// `--tls-cert`/`--tls-key`: connections are TLS first.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// The longest request target taken (path and query).
const MOST_URL: usize = 8192;
/// hyper's read buffer, and so the most request header bytes.
const MOST_HEADERS: usize = 16 * 1024;

/// Accept connections until shutdown.
pub async fn accept(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    limits: Limits,
    shutdown: Shutdown,
) -> Result<()> {
    let router = Router::new()
        .route("/", get(super::page::index))
        .route("/page.js", get(super::page::script))
        .route("/page.css", get(super::page::style))
        .route("/events", get(events))
        .route("/ws", get(ws))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(app.clone(), cors))
        .with_state(app);
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    loop {
        let (stream, _) = tokio::select! {
            biased;
            _ = shutdown.pressed(1) => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors, a connection reset before accept:
                // the listener is fine, the next one may be too.
                Err(e) => {
                    tracing::debug!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let stop = shutdown.clone();
        let header_timeout = limits.header_timeout;
        let tls = limits.tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(TokioIo::new(stream), service, header_timeout, stop).await,
                // The handshake is bounded like the headers that follow it.
                Some(acceptor) => {
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            serve_connection(TokioIo::new(tls), service, header_timeout, stop)
                                .await;
                        }
                        Ok(Err(e)) => tracing::debug!("TLS handshake: {e}"),
                        Err(_) => tracing::debug!("TLS handshake: timed out"),
                    }
                }
            }
            drop(permit);
        });
    }
}

/// One connection's HTTP/1.1, until it ends or shutdown.
async fn serve_connection<I>(
    io: I,
    service: TowerToHyperService<Router>,
    header_timeout: Duration,
    stop: Shutdown,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MOST_HEADERS)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.pressed(1) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
        }
    }
}

/// CORS: a preflight (`OPTIONS`) answered for an allowed origin, and the
/// `Access-Control-Allow-*` headers on its responses; nothing for any
/// other origin, so that its pages cannot read.
async fn cors(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let allowed = origin.as_deref().and_then(|o| app.cors.allows(o));
    let mut response = if request.method() == Method::OPTIONS {
        match (&origin, allowed) {
            (Some(_), None) => {
                let mut r = refuse(
                    StatusCode::FORBIDDEN,
                    "this origin is not allowed (--allow-origin)",
                );
                r.headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("Origin"));
                return r;
            }
            _ => {
                let mut r = StatusCode::NO_CONTENT.into_response();
                let h = r.headers_mut();
                h.insert(header::ALLOW, HeaderValue::from_static("GET, OPTIONS"));
                if allowed.is_some() {
                    h.insert(
                        header::ACCESS_CONTROL_ALLOW_METHODS,
                        HeaderValue::from_static("GET, OPTIONS"),
                    );
                    h.insert(
                        header::ACCESS_CONTROL_ALLOW_HEADERS,
                        HeaderValue::from_static(
                            "Authorization, Last-Event-ID, Cache-Control, Content-Type",
                        ),
                    );
                    h.insert(
                        header::ACCESS_CONTROL_MAX_AGE,
                        HeaderValue::from_static("600"),
                    );
                }
                r
            }
        }
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    if !app.cors.exact.is_empty() {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    match (origin, allowed) {
        (Some(o), Some(true)) => {
            if let Ok(v) = HeaderValue::from_str(&o) {
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
                h.insert(
                    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                    HeaderValue::from_static("true"),
                );
            }
        }
        (Some(_), Some(false)) => {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
        _ => {}
    }
    response
}

/// A refusal: its status and reason, as text.
fn refuse(status: StatusCode, reason: impl Into<String>) -> Response {
    let mut text = reason.into();
    text.push('\n');
    (status, [(header::CACHE_CONTROL, "no-cache")], text).into_response()
}

/// Read what a client asks for: `?pattern=` (repeatable, within serve's
/// patterns), `?filter=`, `?full=1`, and where to start: `Last-Event-ID`
/// (which wins), `?last_event_id=`, else `?from=`.
///
/// With `--auth`, the token comes first: none, or one not valid, is a 401;
/// a pattern outside its `channels` claim a 403. A resume is checked the
/// same way: the resume token is a position, never a permission.
fn ask(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<Asked, Response> {
    let hub = &app.hub;
    if uri.path().len() + uri.query().map_or(0, str::len) > MOST_URL {
        return Err(refuse(StatusCode::URI_TOO_LONG, "the URL is too long"));
    }
    let grant = match &app.verifier {
        None => None,
        Some(v) => Some(v.check(headers, query).map_err(|why| {
            let mut r = refuse(StatusCode::UNAUTHORIZED, why.0);
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dualstream\""),
            );
            r
        })?),
    };
    let mut patterns = Vec::new();
    let (mut terms, mut full, mut last, mut from) = (Vec::new(), false, None, None);
    for (k, v) in query {
        match k.as_str() {
            "pattern" => patterns.push(v.clone()),
            "filter" => terms.extend(v.split(',').filter(|t| !t.is_empty()).map(String::from)),
            "full" => full = matches!(v.as_str(), "1" | "true" | "yes"),
            "last_event_id" => last = Some(v.clone()),
            "from" => from = Some(v.clone()),
            _ => {}
        }
    }
    if let Some(g) = &grant {
        let allowed = Subscriptions::new(&g.channels, false);
        if patterns.is_empty() {
            // What both allow: serve's patterns within the claim, and the
            // claim's patterns within serve's.
            let mut both: Vec<String> = hub
                .subs
                .patterns
                .iter()
                .filter(|p| within(&allowed, p))
                .cloned()
                .collect();
            for c in &g.channels {
                if !c.is_empty() && within(&hub.subs, c) && !both.contains(c) {
                    both.push(c.clone());
                }
            }
            if both.is_empty() {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    format!(
                        "the token's channels claim ({}) allows nothing this server serves ({})",
                        g.channels.join(" "),
                        hub.subs.describe()
                    ),
                ));
            }
            patterns = both;
        } else if let Some(p) = patterns.iter().find(|p| !within(&allowed, p)) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "pattern {p:?} is not within the token's channels claim ({})",
                    g.channels.join(" ")
                ),
            ));
        }
    }
    let subs = if patterns.is_empty() {
        hub.subs.clone()
    } else {
        if let Some(p) = patterns.iter().find(|p| !within(&hub.subs, p)) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "pattern {p:?} is not within what this server serves ({})",
                    hub.subs.describe()
                ),
            ));
        }
        Subscriptions::new(&patterns, false)
    };
    let filter = Filter::parse(&terms)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("filter: {e}")))?;
    let header_id = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| refuse(StatusCode::BAD_REQUEST, "Last-Event-ID is not text"))?
                .to_string(),
        ),
        None => None,
    };
    let token = header_id.or(last).filter(|t| !t.trim().is_empty());
    let origin =
        match (token, from.as_deref()) {
            (Some(t), _) => JoinAt::Resume(Position::decode(&t).map_err(|why| {
                refuse(StatusCode::BAD_REQUEST, format!("bad resume token: {why}"))
            })?),
            (None, None | Some("latest")) => JoinAt::Latest,
            (None, Some("earliest")) => JoinAt::Time(0),
            (None, Some(v)) => JoinAt::Time(parse_time_or_ago(v).map_err(|e| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    format!("from: {e} (latest, earliest, a duration ago such as 10m, or a time)"),
                )
            })?),
        };
    Ok(Asked {
        wants: Wants { subs, filter, full },
        origin,
        expires: grant.as_ref().and_then(|g| deadline(g.expires)),
        cookie: grant.is_some_and(|g| g.from_cookie),
    })
}

/// What a client asked for, once allowed.
struct Asked {
    wants: Wants,
    origin: JoinAt,
    /// When its token expires: the stream ends then.
    expires: Option<tokio::time::Instant>,
    /// Its token came in a cookie.
    cookie: bool,
}

/// The instant of `exp` (seconds since the epoch); none past what an
/// `Instant` holds.
fn deadline(exp: u64) -> Option<tokio::time::Instant> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    tokio::time::Instant::now().checked_add(Duration::from_secs(exp.saturating_sub(now)))
}

/// What a stream ends with when its token expires.
const EXPIRED: &str = "the access token expired; reconnect with a new one and the last id";

/// Does every channel `pattern` can match fall under `subs`? A name: if
/// `subs` takes it. A glob: if it is one of `subs`' globs, or starts with
/// the literal text before the only `*` of one (`events:*` holds
/// `events:repo:*`).
fn within(subs: &Subscriptions, pattern: &str) -> bool {
    let is_glob = pattern.contains(['*', '?', '[', '\\']);
    if !is_glob {
        return subs.matching(pattern.as_bytes()).is_some();
    }
    subs.patterns.iter().any(|s| {
        if s == pattern {
            return true;
        }
        match s.strip_suffix('*') {
            Some(prefix) if !prefix.contains(['*', '?', '[', '\\']) => {
                pattern.starts_with(prefix)
                    && !pattern[..prefix.len()].contains(['*', '?', '[', '\\'])
            }
            _ => false,
        }
    })
}

fn start(app: &Arc<App>, wants: Wants, origin: JoinAt) -> Result<Session, Response> {
    Session::start(
        app.hub.clone(),
        wants,
        origin,
        (&app.settings, &app.gathering),
        app.heartbeat,
        app.shutdown.clone(),
    )
    .ok_or_else(|| {
        app.hub.metrics.refused.fetch_add(1, Ordering::Relaxed);
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has as many clients as --max-clients allows",
        )
    })
}

async fn events(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let asked = match ask(&app, &uri, &headers, &query) {
        Ok(asked) => asked,
        Err(refusal) => return refusal,
    };
    // The browser would not let a foreign page read the stream, but the
    // server would hold a client for it.
    if let Some(refusal) = cookie_refusal(&app, &headers, asked.cookie) {
        return refusal;
    }
    let expires = asked.expires;
    let session = match start(&app, asked.wants, asked.origin) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let hello = Bytes::from(format!("retry: {}\n: connected\n\n", app.retry.as_millis()));
    let first = futures::stream::once(async move { Ok::<_, Infallible>(hello) });
    // Frames are whole: ending at the token's expiry cuts between events.
    let rest = futures::stream::unfold(Some(session), move |s| async move {
        let mut s = s?;
        let out = match expires {
            None => s.next().await?,
            Some(at) => tokio::select! {
                out = s.next() => out?,
                _ = tokio::time::sleep_until(at) => {
                    let end = format!(
                        "event: expired\ndata: {{\"reason\":{}}}\n\n",
                        json_text(EXPIRED)
                    );
                    return Some((Ok::<_, Infallible>(Bytes::from(end)), None));
                }
            },
        };
        // What else is queued already goes in the same write (one chunk,
        // one syscall), up to COALESCE bytes.
        let first = sse(out);
        let Some(more) = s.ready() else {
            return Some((Ok::<_, Infallible>(first), Some(s)));
        };
        let mut chunk = bytes::BytesMut::with_capacity(COALESCE.min(first.len() * 8));
        chunk.extend_from_slice(&first);
        chunk.extend_from_slice(&sse(more));
        while chunk.len() < COALESCE {
            match s.ready() {
                Some(out) => chunk.extend_from_slice(&sse(out)),
                None => break,
            }
        }
        Some((Ok::<_, Infallible>(chunk.freeze()), Some(s)))
    });
    let body = Body::from_stream(futures::StreamExt::chain(first, rest));
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// At most this much of an SSE stream's queued events goes into one write.
const COALESCE: usize = 64 * 1024;

fn json_text(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Why a stream ended, in words, and the WebSocket close code.
fn ending(why: End) -> (&'static str, &'static str, u16) {
    match why {
        End::Overflow => (
            "overflow",
            "the client fell behind past --client-queue; resume with the last id",
            4000,
        ),
        End::Gap => (
            "reconnect",
            "the server's Redis subscription lost messages; resume with the last id",
            4001,
        ),
        End::Shutdown | End::No => (
            "reconnect",
            "the server is stopping; resume with the last id",
            1001,
        ),
    }
}

/// A session's output as SSE text.
fn sse(out: Out) -> Bytes {
    match out {
        Out::Shared(f, full) => match (full, &f.full_sse) {
            (true, Some(b)) => b.clone(),
            _ => f.sse.clone(),
        },
        Out::Event { token, body } => super::hub::sse_event(&token, &body),
        Out::Reset { reason, token } => Bytes::from(format!(
            "id: {token}\nevent: reset\ndata: {{\"reason\":{},\"id\":\"{token}\"}}\n\n",
            json_text(&reason)
        )),
        Out::Ended { why, token } => {
            let (event, reason, _) = ending(why);
            Bytes::from(format!(
                "id: {token}\nevent: {event}\ndata: {{\"reason\":{},\"id\":\"{token}\"}}\n\n",
                json_text(reason)
            ))
        }
        Out::Failed { reason } => Bytes::from(format!(
            "event: error\ndata: {{\"reason\":{}}}\n\n",
            json_text(&reason)
        )),
        Out::Heartbeat => Bytes::from_static(b": heartbeat\n\n"),
    }
}

async fn ws(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A browser opens a WebSocket from any page, and CORS does not stop
    // that page reading it: the Origin a browser sends is checked as CORS
    // would check a read of /events.
    if !matches!(
        origin_of(&app, &headers),
        OriginKind::Own | OriginKind::Exact | OriginKind::Any
    ) {
        return refuse(
            StatusCode::FORBIDDEN,
            "this origin is not allowed (--allow-origin)",
        );
    }
    let asked = match ask(&app, &uri, &headers, &query) {
        Ok(asked) => asked,
        Err(refusal) => return refusal,
    };
    if let Some(refusal) = cookie_refusal(&app, &headers, asked.cookie) {
        return refusal;
    }
    let expires = asked.expires;
    let session = match start(&app, asked.wants, asked.origin) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| ws_loop(socket, session, expires))
}

/// Where a request comes from, by its `Origin`.
#[derive(Debug, PartialEq, Eq)]
enum OriginKind {
    /// None said: not a browser, or a browser's same-origin GET.
    Own,
    /// An exact `--allow-origin` origin.
    Exact,
    /// Another origin, allowed by `--allow-origin '*'` (never with
    /// credentials).
    Any,
    /// Another origin, not allowed.
    Foreign,
}

/// The request's origin: absent or the server's own (its `Host`), an
/// exact `--allow-origin` one, one `*` lets in, or foreign.
fn origin_of(app: &App, headers: &HeaderMap) -> OriginKind {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return OriginKind::Own;
    };
    let Ok(origin) = origin.to_str() else {
        return OriginKind::Foreign;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let bare = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    if matches!((bare, host), (Some(b), Some(h)) if b.eq_ignore_ascii_case(h)) {
        return OriginKind::Own;
    }
    match app.cors.allows(origin) {
        Some(true) => OriginKind::Exact,
        Some(false) => OriginKind::Any,
        None => OriginKind::Foreign,
    }
}

/// A browser sends its cookies with a request any page makes: a token in
/// a cookie counts only from the server's own pages or an exact
/// `--allow-origin` origin (`*` is never one with credentials).
fn cookie_refusal(app: &App, headers: &HeaderMap, cookie: bool) -> Option<Response> {
    let trusted = matches!(origin_of(app, headers), OriginKind::Own | OriginKind::Exact);
    (cookie && !trusted).then(|| {
        refuse(
            StatusCode::FORBIDDEN,
            "a token in a cookie is taken only from this server's pages or an exact \
             --allow-origin origin",
        )
    })
}

async fn ws_loop(
    mut socket: WebSocket,
    mut session: Session,
    expires: Option<tokio::time::Instant>,
) {
    let expiry = async move {
        match expires {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    loop {
        let out = tokio::select! {
            out = session.next() => out,
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
            () = &mut expiry => {
                let text = format!("{{\"type\":\"expired\",\"reason\":{}}}", json_text(EXPIRED));
                if socket.send(Message::Text(text.into())).await.is_ok() {
                    let _ = socket
                        .send(Message::Close(Some(CloseFrame {
                            code: 4003,
                            reason: "expired".into(),
                        })))
                        .await;
                }
                return;
            }
        };
        let Some(out) = out else { break };
        let (message, close) = match out {
            Out::Shared(f, full) => (
                Message::Text(match (full, &f.full_ws) {
                    (true, Some(w)) => w.clone(),
                    _ => f.ws.clone(),
                }),
                None,
            ),
            Out::Event { token, body } => {
                (Message::Text(super::hub::ws_event(&token, &body)), None)
            }
            Out::Reset { reason, token } => (
                Message::Text(
                    format!(
                        "{{\"type\":\"reset\",\"reason\":{},\"id\":\"{token}\"}}",
                        json_text(&reason)
                    )
                    .into(),
                ),
                None,
            ),
            Out::Ended { why, token } => {
                let (event, reason, code) = ending(why);
                (
                    Message::Text(
                        format!(
                            "{{\"type\":\"{event}\",\"reason\":{},\"id\":\"{token}\"}}",
                            json_text(reason)
                        )
                        .into(),
                    ),
                    Some((code, event)),
                )
            }
            Out::Failed { reason } => (
                Message::Text(
                    format!("{{\"type\":\"error\",\"reason\":{}}}", json_text(&reason)).into(),
                ),
                Some((1011, "error")),
            ),
            Out::Heartbeat => (Message::Ping(Bytes::from_static(b"hb")), None),
        };
        if socket.send(message).await.is_err() {
            return;
        }
        if let Some((code, reason)) = close {
            let _ = socket
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })))
                .await;
            return;
        }
    }
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let hub = &app.hub;
    let body = serde_json::json!({
        "status": "ok",
        "clients": hub.clients(),
        "topic": hub.topic,
        "redis": app.redis,
        "subscriptions": hub.subs.describe(),
        "uptime_s": app.started.elapsed().as_secs(),
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let m = &app.hub.metrics;
    let n = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let rows: [(&str, &str, &str, u64); 17] = [
        (
            "clients",
            "gauge",
            "clients connected now",
            app.hub.clients() as u64,
        ),
        (
            "clients_total",
            "counter",
            "clients taken in",
            n(&m.clients_total),
        ),
        (
            "clients_refused_total",
            "counter",
            "clients refused past --max-clients",
            n(&m.refused),
        ),
        (
            "events_in_total",
            "counter",
            "messages from Redis",
            n(&m.events_in),
        ),
        (
            "events_out_total",
            "counter",
            "events sent to clients",
            n(&m.events_out),
        ),
        (
            "overflows_total",
            "counter",
            "clients let go past --client-queue",
            n(&m.overflows),
        ),
        (
            "resets_total",
            "counter",
            "resumes whose history was gone",
            n(&m.resets),
        ),
        (
            "resume_reads_total",
            "counter",
            "Kafka reads for resumes and first connects (resumes that come together share one)",
            n(&m.resume_reads),
        ),
        (
            "resume_shared_total",
            "counter",
            "resumes that took part in a Kafka read another resume opened",
            n(&m.resume_shared),
        ),
        (
            "resume_memory_total",
            "counter",
            "resumes served from the recent events in memory, with no Kafka read",
            n(&m.resume_memory),
        ),
        (
            "resume_records_total",
            "counter",
            "events sent from Kafka",
            n(&m.resume_records),
        ),
        (
            "redis_gaps_total",
            "counter",
            "gaps in serve's Redis subscription",
            n(&m.redis_gaps),
        ),
        (
            "fill_reads_total",
            "counter",
            "Kafka reads of holes in serve's own stream (notifications out of order past 200 ms, or never sent)",
            n(&m.fill_reads),
        ),
        (
            "hold_dropped_total",
            "counter",
            "notifications past a hole not held, the hold at its bound: read from Kafka instead",
            n(&m.hold_dropped),
        ),
        (
            "held",
            "gauge",
            "notifications held past holes in their partition's offsets now",
            n(&m.held),
        ),
        (
            "held_bytes",
            "gauge",
            "bytes of the notifications held past holes now",
            n(&m.held_bytes),
        ),
        (
            "errors_total",
            "counter",
            "streams ended by a Kafka failure",
            n(&m.errors),
        ),
    ];
    let mut text = String::new();
    for (name, kind, help, value) in rows {
        text.push_str(&format!(
            "# HELP dualstream_serve_{name} {help}\n# TYPE dualstream_serve_{name} {kind}\ndualstream_serve_{name} {value}\n"
        ));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_pattern_lies_within_serves_patterns_or_is_refused() {
        let subs = Subscriptions::new(&["events:*".into(), "audit:x".into()], false);
        assert!(within(&subs, "events:repo:*"));
        assert!(within(&subs, "events:*"));
        assert!(within(&subs, "events:repo:a"));
        assert!(within(&subs, "audit:x"));
        assert!(!within(&subs, "*"));
        assert!(!within(&subs, "audit:*"));
        assert!(!within(&subs, "other:a"));
        assert!(!within(&subs, "event?:a"));
    }
}
