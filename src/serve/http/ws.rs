//! `/ws`: a session's stream as WebSocket messages.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;

use crate::serve::session::{Out, Session};

use super::cors::{origin_of, OriginKind};
use super::{admit, ending, json_text, refuse, App, EXPIRED};

pub(super) async fn ws(
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
    let (session, expires) = match admit(&app, &uri, &headers, &query) {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| ws_loop(socket, session, expires))
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
            Out::Event { token, body } => (
                Message::Text(crate::serve::hub::ws_event(&token, &body)),
                None,
            ),
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
