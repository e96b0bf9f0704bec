//! serve's HTTP side: accepting connections within limits (a header read
//! timeout, a bounded header size, a bounded number of connections), the
//! routes (`/` the page, `/events`, `/ws`, `/healthz`, `/metrics`), TLS
//! when given, CORS for the `--allow-origin` origins, reading a client's
//! request into what it wants (its token checked first: nothing is sent
//! before), and rendering a session's [`Out`] as SSE text or WebSocket
//! messages.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use super::auth::Verifier;
use super::hub::{End, Hub, Wants};
use super::session::{JoinAt, Session};
use crate::kafka::KafkaSettings;
use crate::shutdown::Shutdown;

mod access;
mod cors;
mod metrics;
mod sse;
mod ws;

use cors::cors;
pub use cors::Cors;
use metrics::{healthz, metrics};
use sse::events;
use ws::ws;

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

/// A refusal: its status and reason, as text.
fn refuse(status: StatusCode, reason: impl Into<String>) -> Response {
    let mut text = reason.into();
    text.push('\n');
    (status, [(header::CACHE_CONTROL, "no-cache")], text).into_response()
}

/// What a stream ends with when its token expires.
const EXPIRED: &str = "the access token expired; reconnect with a new one and the last id";

/// A client let in, with when its token expires: the request's access
/// checked ([`access::ask`]), a cookie token's origin checked, its session
/// started; or the refusal to answer with. `/events` and `/ws` begin here.
fn admit(
    app: &Arc<App>,
    uri: &Uri,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<(Session, Option<tokio::time::Instant>), Response> {
    let asked = access::ask(app, uri, headers, query)?;
    // A browser would not let a foreign page read the stream, but the
    // server would hold a client for it.
    if let Some(refusal) = cors::cookie_refusal(app, headers, asked.cookie) {
        return Err(refusal);
    }
    let expires = asked.expires;
    Ok((start(app, asked.wants, asked.origin)?, expires))
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
