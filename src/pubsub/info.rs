//! What `health` asks Redis: PING round trip, INFO fields, pattern and
//! channel subscriber counts; and the probe's subscriber, which waits for
//! one payload (the probe publishes through the notifier).

use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;

use super::Target;
use crate::duration::{millis, remaining};

#[derive(Debug, Default, Serialize)]
pub struct RedisReport {
    pub url: String,
    pub error: Option<String>,
    pub ping_ms: Option<f64>,
    pub version: Option<String>,
    pub role: Option<String>,
    pub connected_clients: Option<i64>,
    pub used_memory: Option<String>,
    pub pattern_subscriptions: Option<i64>,
    pub channel_subscribers: Vec<(String, i64)>,
}

pub async fn report(target: &Target, channels: &[String], deadline: Instant) -> RedisReport {
    let mut report = RedisReport {
        url: target.shown.clone(),
        ..RedisReport::default()
    };
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(remaining(deadline)))
        .set_response_timeout(Some(remaining(deadline)));
    let mut conn = match target
        .client()
        .get_multiplexed_async_connection_with_config(&config)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(format!(
                "cannot connect to {}: {}",
                target.shown,
                target.clean(&e)
            ));
            return report;
        }
    };
    let sent = Instant::now();
    if let Err(e) = redis::cmd("PING").query_async::<String>(&mut conn).await {
        report.error = Some(format!("PING to {}: {}", target.shown, target.clean(&e)));
        return report;
    }
    report.ping_ms = Some(millis(sent.elapsed()));
    // A command refused (an ACL user without the permission: NOPERM) is a
    // problem to report, not a silent gap in the table.
    let mut refused = |what: &str, e: redis::RedisError| {
        report_error(&mut report.error, target, what, &e);
    };
    match redis::cmd("INFO").query_async::<String>(&mut conn).await {
        Ok(info) => {
            let field = |name: &str| {
                info.lines()
                    .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
                    .map(|v| v.trim().to_string())
            };
            report.version = field("redis_version");
            report.role = field("role");
            report.connected_clients = field("connected_clients").and_then(|v| v.parse().ok());
            report.used_memory = field("used_memory_human");
        }
        Err(e) => refused("INFO", e),
    }
    match redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query_async(&mut conn)
        .await
    {
        Ok(n) => report.pattern_subscriptions = Some(n),
        Err(e) => refused("PUBSUB NUMPAT", e),
    }
    if !channels.is_empty() {
        match redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channels)
            .query_async::<Vec<(String, i64)>>(&mut conn)
            .await
        {
            Ok(counts) => report.channel_subscribers = counts,
            Err(e) => refused("PUBSUB NUMSUB", e),
        }
    }
    report
}

/// Keep the first failed command's error, password-free.
fn report_error(slot: &mut Option<String>, target: &Target, what: &str, e: &redis::RedisError) {
    if slot.is_none() {
        *slot = Some(format!("{what} on {}: {}", target.shown, target.clean(e)));
    }
}

/// A subscription to one channel that waits for one payload (the probe).
pub struct Listener {
    pubsub: redis::aio::PubSub,
}

impl Listener {
    /// Subscribe to `channel` now.
    pub async fn start(target: &Target, channel: &str) -> Result<Listener, String> {
        let mut pubsub = target
            .client()
            .get_async_pubsub()
            .await
            .map_err(|e| target.clean(&e))?;
        pubsub
            .subscribe(channel)
            .await
            .map_err(|e| target.clean(&e))?;
        Ok(Listener { pubsub })
    }

    /// Wait until `payload` arrives.
    pub async fn receive(&mut self, payload: &[u8]) -> Result<(), String> {
        let mut messages = self.pubsub.on_message();
        loop {
            match messages.next().await {
                Some(m) if m.get_payload_bytes() == payload => return Ok(()),
                Some(_) => continue,
                None => return Err("subscription closed".to_string()),
            }
        }
    }
}
