//! `/events`: a session's stream as Server-Sent Events.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::Response;
use bytes::Bytes;

use crate::serve::session::Out;

use super::{admit, ending, json_text, App, EXPIRED};

pub(super) async fn events(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let (session, expires) = match admit(&app, &uri, &headers, &query) {
        Ok(admitted) => admitted,
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

/// A session's output as SSE text.
fn sse(out: Out) -> Bytes {
    match out {
        Out::Shared(f, full) => match (full, &f.full_sse) {
            (true, Some(b)) => b.clone(),
            _ => f.sse.clone(),
        },
        Out::Event { token, body } => crate::serve::hub::sse_event(&token, &body),
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
