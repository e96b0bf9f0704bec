//! The `health` document: what was found about Kafka, Redis and the probe
//! (plain data in [`crate::findings`]), with the status and problems judged
//! from it, printed as tables or as JSON. Both shapes are decided here and
//! only here (the JSON's is pinned by a golden test): the field names, their
//! order, which fields are left out when empty.

use std::io::Write;

use serde_json::{json, Map, Value};

use super::{Data, Output};
use crate::findings::{
    BrokerInfo, ClusterNode, ClusterReport, GroupInfo, GroupPartition, KafkaReport, PartitionInfo,
    ProbeReport, RedisReport, Report, TopicInfo,
};

impl Output {
    /// The health report as one JSON document on stdout.
    pub fn report_json(&self, w: &mut Data, r: &Report) -> std::io::Result<()> {
        self.json_document(w, &report_json(r))
    }

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
                kafka_rows.push((
                    "topics",
                    k.topics.iter().filter(|t| !t.missing).count().to_string(),
                ));
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

/// The `health` JSON document: `status`, `problems`, `kafka`, `redis` (null
/// with `--redis off`), `probe` (null without `--probe`).
fn report_json(r: &Report) -> Value {
    json!({
        "status": r.status,
        "problems": r.problems,
        "kafka": kafka_json(&r.kafka),
        "redis": r.redis.as_ref().map(redis_json),
        "probe": r.probe.as_ref().map(probe_json),
    })
}

fn kafka_json(k: &KafkaReport) -> Value {
    let broker = |b: &BrokerInfo| json!({"id": b.id, "host": b.host, "port": b.port});
    let partition = |p: &PartitionInfo| {
        json!({
            "id": p.id,
            "leader": p.leader,
            "replicas": p.replicas,
            "isr": p.isr,
            "low": p.low,
            "high": p.high,
            "under_replicated": p.under_replicated,
            "offline": p.offline,
        })
    };
    let topic = |t: &TopicInfo| {
        json!({
            "name": t.name,
            "error": t.error,
            "partitions": t.partitions.iter().map(partition).collect::<Vec<_>>(),
        })
    };
    json!({
        "bootstrap": k.bootstrap,
        "error": k.error,
        "controller": k.controller,
        "brokers": k.brokers.iter().map(broker).collect::<Vec<_>>(),
        "topics": k.topics.iter().map(topic).collect::<Vec<_>>(),
        "under_replicated": k.under_replicated,
        "offline": k.offline,
        "group": k.group.as_ref().map(group_json),
    })
}

fn group_json(g: &GroupInfo) -> Value {
    let partition = |p: &GroupPartition| json!({"partition": p.partition, "committed": p.committed, "high": p.high, "lag": p.lag});
    json!({
        "name": g.name,
        "topic": g.topic,
        "error": g.error,
        "total_lag": g.total_lag,
        "partitions": g.partitions.iter().map(partition).collect::<Vec<_>>(),
    })
}

/// `sharded` appears only when true, `cluster` only for a Redis Cluster.
fn redis_json(r: &RedisReport) -> Value {
    let mut doc = Map::new();
    doc.insert("url".into(), json!(r.url));
    if r.sharded {
        doc.insert("sharded".into(), json!(true));
    }
    doc.insert("error".into(), json!(r.error));
    doc.insert("ping_ms".into(), json!(r.ping_ms));
    doc.insert("version".into(), json!(r.version));
    doc.insert("role".into(), json!(r.role));
    doc.insert("connected_clients".into(), json!(r.connected_clients));
    doc.insert("used_memory".into(), json!(r.used_memory));
    doc.insert(
        "pattern_subscriptions".into(),
        json!(r.pattern_subscriptions),
    );
    // Each channel as a pair: `[name, subscribers]`.
    doc.insert("channel_subscribers".into(), json!(r.channel_subscribers));
    if let Some(c) = &r.cluster {
        doc.insert("cluster".into(), cluster_json(c));
    }
    Value::Object(doc)
}

fn cluster_json(c: &ClusterReport) -> Value {
    let node = |n: &ClusterNode| {
        json!({
            "address": n.address,
            "id": n.id,
            "role": n.role,
            "replica_of": n.replica_of,
            "slots": n.slots,
            "link": n.link,
            "flags": n.flags,
        })
    };
    json!({
        "answered_by": c.answered_by,
        "state": c.state,
        "slots_without_master": c.slots_without_master,
        "nodes": c.nodes.iter().map(node).collect::<Vec<_>>(),
    })
}

fn probe_json(p: &ProbeReport) -> Value {
    json!({
        "channel": p.channel,
        "topic": p.topic,
        "partition": p.partition,
        "offset": p.offset,
        "kafka_ack_ms": p.kafka_ack_ms,
        "redis_roundtrip_ms": p.redis_roundtrip_ms,
        "total_ms": p.total_ms,
        "failed": p.failed,
    })
}
