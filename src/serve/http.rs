//! serve's HTTP side: accepting connections within limits (a header read
//! timeout, a bounded header size, a bounded number of connections), the
//! routes (`/` the page, `/events`, `/ws`, `/healthz`, `/metrics`), reading a client's
//! request into what it wants, and rendering a session's [`Out`] as SSE
//! text or WebSocket messages.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

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
}

/// What a connection may take.
pub struct Limits {
    pub header_timeout: Duration,
    pub connections: usize,
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
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(MOST_HEADERS)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.pressed(1) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
                }
            }
            drop(permit);
        });
    }
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
fn ask(
    hub: &Hub,
    uri: &Uri,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<(Wants, JoinAt), Response> {
    if uri.to_string().len() > MOST_URL {
        return Err(refuse(StatusCode::URI_TOO_LONG, "the URL is too long"));
    }
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
    Ok((Wants { subs, filter, full }, origin))
}

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
        &app.settings,
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
    let (wants, origin) = match ask(&app.hub, &uri, &headers, &query) {
        Ok(asked) => asked,
        Err(refusal) => return refusal,
    };
    let session = match start(&app, wants, origin) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let hello = Bytes::from(format!("retry: {}\n: connected\n\n", app.retry.as_millis()));
    let first = futures::stream::once(async move { Ok::<_, Infallible>(hello) });
    let rest = futures::stream::unfold(session, |mut s| async move {
        let out = s.next().await?;
        Some((Ok::<_, Infallible>(sse(out)), s))
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
    let (wants, origin) = match ask(&app.hub, &uri, &headers, &query) {
        Ok(asked) => asked,
        Err(refusal) => return refusal,
    };
    let session = match start(&app, wants, origin) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| ws_loop(socket, session))
}

async fn ws_loop(mut socket: WebSocket, mut session: Session) {
    loop {
        let out = tokio::select! {
            out = session.next() => out,
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
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
    let rows: [(&str, &str, &str, u64); 13] = [
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
            "Kafka reads for resumes and first connects",
            n(&m.resume_reads),
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
