//! CORS for the `--allow-origin` origins, and where a request comes from
//! (its `Origin`): a WebSocket and a token in a cookie are taken only from
//! origins that may read.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{refuse, App};

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

/// CORS: a preflight (`OPTIONS`) answered for an allowed origin, and the
/// `Access-Control-Allow-*` headers on its responses; nothing for any
/// other origin, so that its pages cannot read.
pub(super) async fn cors(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
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

/// Where a request comes from, by its `Origin`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum OriginKind {
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
pub(super) fn origin_of(app: &App, headers: &HeaderMap) -> OriginKind {
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
pub(super) fn cookie_refusal(app: &App, headers: &HeaderMap, cookie: bool) -> Option<Response> {
    let trusted = matches!(origin_of(app, headers), OriginKind::Own | OriginKind::Exact);
    (cookie && !trusted).then(|| {
        refuse(
            StatusCode::FORBIDDEN,
            "a token in a cookie is taken only from this server's pages or an exact \
             --allow-origin origin",
        )
    })
}
