//! `/healthz` and `/metrics`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::App;

pub(super) async fn healthz(State(app): State<Arc<App>>) -> Response {
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

pub(super) async fn metrics(State(app): State<Arc<App>>) -> Response {
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
