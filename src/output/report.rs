//! The `health` document: what was found about Kafka, Redis and the probe,
//! with the status and problems judged from it, printed as tables or
//! serialized as JSON (its shape is pinned by a golden test).

use std::io::Write;

use serde::Serialize;

use super::{Data, Output};
use crate::kafka::admin::KafkaReport;
use crate::pubsub::RedisReport;

#[derive(Debug, Serialize)]
pub struct Report {
    /// `ok`, `degraded`, `kafka_unreachable` or `redis_unreachable`.
    pub status: &'static str,
    pub problems: Vec<String>,
    pub kafka: KafkaReport,
    /// Absent with `--redis off`.
    pub redis: Option<RedisReport>,
    pub probe: Option<ProbeReport>,
}

#[derive(Debug, Default, Serialize)]
pub struct ProbeReport {
    pub channel: String,
    pub topic: String,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub kafka_ack_ms: Option<f64>,
    pub redis_roundtrip_ms: Option<f64>,
    pub total_ms: Option<f64>,
    /// The step that failed, with why; `None` when the probe went through.
    pub failed: Option<String>,
}

impl Output {
    /// The health report as tables on stdout, then the status and problems.
    pub fn report_tables(&self, w: &mut Data, r: &Report) -> std::io::Result<()> {
        let out = self;
        let k = &r.kafka;
        let mut kafka_rows = vec![("bootstrap", k.bootstrap.clone())];
        match &k.error {
            Some(e) => kafka_rows.push(("error", e.clone())),
            None => {
                for b in &k.brokers {
                    let controller = if k.controller == Some(b.id) {
                        " (controller)"
                    } else {
                        ""
                    };
                    kafka_rows.push((
                        "broker",
                        format!("{} {}:{}{controller}", b.id, b.host, b.port),
                    ));
                }
                kafka_rows.push(("topics", k.topics.len().to_string()));
                kafka_rows.push((
                    "under-replicated partitions",
                    k.under_replicated.to_string(),
                ));
                kafka_rows.push(("offline partitions", k.offline.to_string()));
                if let Some(g) = &k.group {
                    kafka_rows.push((
                        "group",
                        match &g.error {
                            Some(e) => format!("{} on {}: {e}", g.name, g.topic),
                            None => format!("{} on {}: lag {}", g.name, g.topic, g.total_lag),
                        },
                    ));
                }
            }
        }
        out.report_table(
            w,
            "Kafka",
            &["", ""],
            kafka_rows
                .iter()
                .map(|(a, b)| vec![a.to_string(), b.clone()])
                .collect(),
        )?;
        if k.error.is_none() && !k.topics.is_empty() {
            let mut rows = Vec::new();
            for t in &k.topics {
                for p in &t.partitions {
                    let state = if p.offline {
                        "OFFLINE"
                    } else if p.under_replicated {
                        "UNDER-REPLICATED"
                    } else {
                        "ok"
                    };
                    let offsets = match (p.low, p.high) {
                        (Some(l), Some(h)) => format!("{l}..{h}"),
                        _ => "?".to_string(),
                    };
                    rows.push(vec![
                        t.name.clone(),
                        p.id.to_string(),
                        p.leader.to_string(),
                        format!("{:?}", p.replicas),
                        format!("{:?}", p.isr),
                        offsets,
                        state.to_string(),
                    ]);
                }
            }
            out.report_table(
                w,
                "",
                &[
                    "topic",
                    "partition",
                    "leader",
                    "replicas",
                    "isr",
                    "offsets",
                    "state",
                ],
                rows,
            )?;
        }
        if let Some(rd) = &r.redis {
            let mut rows = vec![vec!["url".to_string(), rd.url.clone()]];
            let mut add = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    rows.push(vec![k.to_string(), v]);
                }
            };
            add("error", rd.error.clone());
            add(
                "pub/sub",
                rd.sharded
                    .then(|| "sharded (SPUBLISH, SSUBSCRIBE)".to_string()),
            );
            add("ping", rd.ping_ms.map(|m| format!("{m:.2} ms")));
            add("version", rd.version.clone());
            add("role", rd.role.clone());
            add("clients", rd.connected_clients.map(|c| c.to_string()));
            add("used memory", rd.used_memory.clone());
            add(
                "pattern subscriptions",
                rd.pattern_subscriptions.map(|c| c.to_string()),
            );
            for (ch, n) in &rd.channel_subscribers {
                add(&format!("subscribers of {ch}"), Some(n.to_string()));
            }
            if let Some(c) = &rd.cluster {
                rows.push(vec!["cluster state".to_string(), c.state.clone()]);
                rows.push(vec!["answered by".to_string(), c.answered_by.clone()]);
                rows.push(vec![
                    "slots without master".to_string(),
                    c.slots_without_master.to_string(),
                ]);
            }
            out.report_table(w, "Redis", &["", ""], rows)?;
            if let Some(c) = rd.cluster.as_ref().filter(|c| !c.nodes.is_empty()) {
                let rows = c
                    .nodes
                    .iter()
                    .map(|n| {
                        vec![
                            n.address.clone(),
                            n.role.clone(),
                            n.replica_of.clone().unwrap_or_default(),
                            n.slots.to_string(),
                            n.link.clone(),
                        ]
                    })
                    .collect();
                out.report_table(
                    w,
                    "",
                    &["node", "role", "replica of", "slots", "link"],
                    rows,
                )?;
            }
        }
        if let Some(p) = &r.probe {
            let fmt = |v: Option<f64>| v.map_or("-".to_string(), |m| format!("{m:.1} ms"));
            let mut rows = vec![
                vec!["kafka produce → ack".to_string(), fmt(p.kafka_ack_ms)],
                vec![
                    "redis publish → received".to_string(),
                    fmt(p.redis_roundtrip_ms),
                ],
                vec!["total".to_string(), fmt(p.total_ms)],
            ];
            if let Some(f) = &p.failed {
                rows.push(vec!["failed".to_string(), f.clone()]);
            }
            out.report_table(w, "Probe", &["", ""], rows)?;
        }
        let mut status = format!("status: {}", r.status);
        for p in &r.problems {
            status.push_str(&format!("\n  - {p}"));
        }
        writeln!(w, "{status}")
    }
}
