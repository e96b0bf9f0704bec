//! `dualstream serve`: live events to browsers and services over
//! Server-Sent Events (`/events`) and WebSocket (`/ws`), from one Redis
//! subscription fanned out locally (`hub`), each client resuming from
//! Kafka with no gap and no duplicate (`session`, on the seam of
//! `crate::window`), its position in an opaque token (`token`). `http`
//! holds the routes, the limits and the renderings. The flow only: no
//! broker protocol, no printing but through `Output`.

mod auth;
mod http;
mod hub;
mod order;
mod page;
mod session;
mod share;
mod tls;
mod token;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use crate::config::{Common, ServeConfig};
use crate::error::{self, Code};
use crate::kafka::identity::{self, LogIdentity};
use crate::kafka::read::{self, Fetcher, Start, Stop};
use crate::kafka::{admin, config, KafkaSettings};
use crate::output::summary::Ending;
use crate::output::Output;
use crate::pubsub;
use crate::shutdown::Shutdown;

/// How long Kafka may take to answer at start.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(common: Common, cfg: ServeConfig, out: &Output, shutdown: &Shutdown) -> Ending {
    Ending::bare(serve(common, cfg, out, shutdown).await)
}

async fn serve(
    common: Common,
    cfg: ServeConfig,
    out: &Output,
    shutdown: &Shutdown,
) -> Result<Code> {
    // Keys and certificates first: a bad one exits 2 before anything
    // connects.
    let verifier = cfg.auth.as_ref().map(auth::Verifier::new).transpose()?;
    let acceptor = cfg.tls.as_ref().map(tls::acceptor).transpose()?;
    let feed = shutdown
        .or_interrupted(pubsub::subscribe(
            &cfg.redis,
            &cfg.subscriptions,
            cfg.queue,
            out.warner(),
        ))
        .await?;
    // The end offsets after subscribing: what the hub hands on from now
    // lies past them, or its notification is still on its way.
    let (settings, topic) = (common.kafka.clone(), common.topic.clone());
    let connecting = out.connecting(&settings.shown());
    let (log, ends) = shutdown
        .or_interrupted(async {
            tokio::task::spawn_blocking(move || log_now(&settings, &topic))
                .await
                .map_err(|e| anyhow::anyhow!("serve: {e}"))?
        })
        .await?;
    drop(connecting);
    let fetcher = Fetcher::start(&common.kafka)?;
    let hub = Arc::new(hub::Hub::new(
        log,
        ends,
        (
            common.topic.clone(),
            cfg.channel.clone(),
            cfg.subscriptions.clone(),
        ),
        (cfg.client_queue, cfg.max_clients),
        (fetcher, common.kafka.clone()),
    ));
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| error::fail(Code::Unexpected, format!("--listen {}: {e}", cfg.listen)))?;
    let addr = listener.local_addr()?;
    let (http, ws) = if acceptor.is_some() {
        ("https", "wss")
    } else {
        ("http", "ws")
    };
    out.info(&format!(
        "serving {} from {} on {http}://{addr}/events (SSE) and {ws}://{addr}/ws{}",
        cfg.subscriptions.describe(),
        cfg.redis.shown,
        if verifier.is_some() {
            ", a token required"
        } else {
            ""
        }
    ));
    let fan_out = tokio::spawn(hub.clone().run(feed));
    let app = http::App {
        hub: hub.clone(),
        settings: common.kafka.clone(),
        heartbeat: cfg.heartbeat,
        retry: cfg.retry,
        shutdown: shutdown.clone(),
        started: std::time::Instant::now(),
        redis: cfg.redis.shown.clone(),
        verifier,
        cors: http::Cors::new(&cfg.allow_origins),
        gathering: Arc::default(),
    };
    let limits = http::Limits {
        header_timeout: cfg.header_timeout,
        connections: cfg.max_clients.saturating_add(256),
        tls: acceptor,
    };
    let served = tokio::select! {
        r = http::accept(listener, Arc::new(app), limits, shutdown.clone()) => r.map(|()| Code::Interrupted),
        _ = fan_out => Err(error::fail(Code::Redis, "serve: the Redis subscription ended")),
    };
    hub.close_all(hub::End::Shutdown);
    // Let the streams say goodbye before the runtime goes.
    let until = std::time::Instant::now() + Duration::from_secs(2);
    while hub.clients() > 0 && std::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    served
}

/// The log's identity and its end offsets now.
fn log_now(settings: &KafkaSettings, topic: &str) -> Result<(LogIdentity, Vec<i64>)> {
    let consumer = config::consumer(settings, None)?;
    let partitions = admin::partitions(&consumer, settings, topic, KAFKA_TIMEOUT)?;
    let plan = read::plan(
        &consumer,
        topic,
        &partitions,
        Start::End,
        Stop::default(),
        KAFKA_TIMEOUT,
    )?;
    let log = identity::identity(&consumer, topic, KAFKA_TIMEOUT)
        .map_err(|e| error::kafka(settings.scrub(&format!("{e:#}"))))?;
    let mut ends = vec![0; plan.len()];
    for (&p, planned) in &plan {
        if let Some(slot) = usize::try_from(p).ok().and_then(|p| ends.get_mut(p)) {
            *slot = planned.high;
        }
    }
    Ok((log, ends))
}
