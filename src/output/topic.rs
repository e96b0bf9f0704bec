//! `dualstream topic`: topics as tables (a terminal) or JSON (a pipe, or
//! `--format json`), and what creating one did. The data comes from
//! `kafka::admin` as `findings`; only its shape is decided here.

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::{DocFormat, Output};
use crate::findings::{Created, PartitionInfo, TopicDetail, TopicInfo};

/// Records a partition holds as its offsets say (end − start): exact on a
/// plain topic, an upper bound on a compacted or transactional one.
fn messages(p: &PartitionInfo) -> Option<i64> {
    Some((p.high? - p.low?).max(0))
}

/// The records of a topic's partitions, when every partition's offsets are known.
fn total(t: &TopicInfo) -> Option<i64> {
    t.partitions.iter().map(messages).sum()
}

/// The replication factor: the most replicas of any partition.
fn factor(t: &TopicInfo) -> usize {
    t.partitions
        .iter()
        .map(|p| p.replicas.len())
        .max()
        .unwrap_or(0)
}

fn list(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

fn shown(n: Option<i64>) -> String {
    n.map_or("?".to_string(), |n| n.to_string())
}

/// A partition as JSON.
fn partition_json(p: &PartitionInfo) -> Value {
    json!({
        "partition": p.id,
        "leader": (p.leader >= 0).then_some(p.leader),
        "replicas": p.replicas,
        "isr": p.isr,
        "start": p.low,
        "end": p.high,
        "messages": messages(p),
    })
}

impl Output {
    /// `topic list`: a table of topics with partitions, replication factor
    /// and messages; as JSON, one object a line (NDJSON).
    pub fn topic_list(&self, topics: &[TopicInfo], format: DocFormat) -> io::Result<()> {
        let mut w = self.data(false);
        match format {
            DocFormat::Table => {
                let rows = topics
                    .iter()
                    .map(|t| {
                        vec![
                            t.name.clone(),
                            t.partitions.len().to_string(),
                            factor(t).to_string(),
                            shown(total(t)),
                        ]
                    })
                    .collect();
                self.report_table(
                    &mut w,
                    "",
                    &["topic", "partitions", "replicas", "messages"],
                    rows,
                )?;
            }
            DocFormat::Json => {
                for t in topics {
                    let line = json!({
                        "topic": t.name,
                        "partitions": t.partitions.len(),
                        "replication_factor": factor(t),
                        "messages": total(t),
                        "error": t.error,
                    });
                    serde_json::to_writer(&mut w, &line)?;
                    writeln!(w)?;
                }
            }
        }
        w.finish()
    }

    /// `topic describe`: the topic's partitions (leader, replicas, ISR,
    /// offsets) and configs; as JSON one document.
    pub fn topic_describe(&self, d: &TopicDetail, format: DocFormat) -> io::Result<()> {
        let mut w = self.data(false);
        let t = &d.topic;
        match format {
            DocFormat::Table => {
                let rows = vec![
                    vec!["topic".to_string(), t.name.clone()],
                    vec!["partitions".to_string(), t.partitions.len().to_string()],
                    vec!["replication factor".to_string(), factor(t).to_string()],
                    vec!["messages".to_string(), shown(total(t))],
                ];
                self.report_table(&mut w, "", &["", ""], rows)?;
                let rows = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let leader = match p.leader {
                            l if l < 0 => "none".to_string(),
                            l => l.to_string(),
                        };
                        let state = match (p.offline, p.under_replicated) {
                            (true, _) => "offline",
                            (false, true) => "under-replicated",
                            (false, false) => "ok",
                        };
                        vec![
                            p.id.to_string(),
                            leader,
                            list(&p.replicas),
                            list(&p.isr),
                            shown(p.low),
                            shown(p.high),
                            shown(messages(p)),
                            state.to_string(),
                        ]
                    })
                    .collect();
                self.report_table(
                    &mut w,
                    "Partitions",
                    &[
                        "partition",
                        "leader",
                        "replicas",
                        "isr",
                        "start",
                        "end",
                        "messages",
                        "state",
                    ],
                    rows,
                )?;
                let rows = d
                    .configs
                    .iter()
                    .map(|c| {
                        let value = match (&c.value, c.sensitive) {
                            (_, true) => "(sensitive)".to_string(),
                            (Some(v), false) => v.clone(),
                            (None, false) => String::new(),
                        };
                        vec![c.name.clone(), value, c.source.to_string()]
                    })
                    .collect();
                self.report_table(&mut w, "Configs", &["name", "value", "source"], rows)?;
            }
            DocFormat::Json => {
                let configs: Map<String, Value> = d
                    .configs
                    .iter()
                    .map(|c| {
                        let entry = json!({
                            "value": c.value,
                            "source": c.source,
                            "sensitive": c.sensitive,
                        });
                        (c.name.clone(), entry)
                    })
                    .collect();
                let doc = json!({
                    "topic": t.name,
                    "replication_factor": factor(t),
                    "messages": total(t),
                    "partitions": t.partitions.iter().map(partition_json).collect::<Vec<_>>(),
                    "configs": configs,
                });
                self.json_document(&mut w, &doc)?;
            }
        }
        w.finish()
    }

    /// Say what creating `topic` did, on stderr. An existing topic without
    /// a setting that was asked for is a warning, or with `strict` (`topic
    /// create`, where it was the whole point) the returned error message.
    pub fn created(&self, topic: &str, created: &Created, strict: bool) -> Option<String> {
        match created {
            Created::New {
                partitions,
                factor,
                min_insync,
            } => {
                self.info(&format!(
                    "created topic {topic:?}: {partitions} partition{}, replication factor {factor}, min.insync.replicas {min_insync}",
                    if *partitions == 1 { "" } else { "s" }
                ));
                if *factor == 1 {
                    self.warn(&format!(
                        "topic {topic:?} has replication factor 1: acks=all waits for one broker, and losing it loses acknowledged events (--replication-factor on a cluster)"
                    ));
                }
                None
            }
            Created::Existing { differs, .. } if !differs.is_empty() => {
                let text = format!(
                    "topic {topic:?} already exists with {}: left as it is (delete and re-create it to change that; partitions can only be added, with kafka-topics.sh --alter)",
                    differs.join(", ")
                );
                if strict {
                    return Some(text);
                }
                self.warn(&text);
                None
            }
            Created::Existing {
                partitions,
                factor,
                min_insync,
                ..
            } => {
                let min_insync =
                    min_insync.map_or(String::new(), |m| format!(", min.insync.replicas {m}"));
                self.info(&format!(
                    "topic {topic:?} already exists: {partitions} partition{}, replication factor {factor}{min_insync}; left as it is",
                    if *partitions == 1 { "" } else { "s" }
                ));
                None
            }
        }
    }
}
