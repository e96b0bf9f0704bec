//! `topic`'s settings, and the partitions/replication checks it shares with
//! `publish --create-topic`.

use std::time::Duration;

use anyhow::Result;

use crate::cli::{ReportFormat, TopicAction};
use crate::error;
use crate::kafka::admin::TopicSpec;
use crate::output::{DocFormat, Output};

use super::check::{check_topic_name, flag, parse_timeout};
use super::common::Common;
use super::Needs;

/// The most partitions librdkafka lets a topic be created with.
const MAX_PARTITIONS: i32 = 100_000;

/// `topic`'s settings.
pub struct TopicJob {
    pub task: TopicTask,
    /// --timeout: how long Kafka may take to answer.
    pub timeout: Duration,
}

/// What `topic` does, to which topic.
pub enum TopicTask {
    Create {
        name: String,
        spec: TopicSpec,
    },
    List {
        internal: bool,
        format: DocFormat,
    },
    Describe {
        name: String,
        format: DocFormat,
    },
    /// Only with --yes.
    Delete {
        name: String,
    },
}

/// A topic task waiting for `--topic`, the default name.
type TaskFor = Box<dyn FnOnce(&Common) -> TopicTask>;

pub(super) fn topic(action: &TopicAction, out: &Output) -> Result<Needs<TopicJob>> {
    let format = |f: Option<ReportFormat>| match f {
        Some(ReportFormat::Table) => DocFormat::Table,
        Some(ReportFormat::Json) => DocFormat::Json,
        None => out.for_stdout(DocFormat::Table, DocFormat::Json),
    };
    let named = |name: &Option<String>| -> Result<Option<String>> {
        match name {
            Some(n) if n.is_empty() => Err(error::usage("the topic name must not be empty")),
            Some(n) => check_topic_name(n, "the topic name").map(|()| Some(n.clone())),
            None => Ok(None),
        }
    };
    let (task, timeout): (TaskFor, &str) = match action {
        TopicAction::Create(a) => {
            let spec = topic_spec(a.partitions, a.replication_factor, a.min_insync_replicas)?;
            let name = named(&a.name)?;
            (
                Box::new(move |c: &Common| TopicTask::Create {
                    name: name.unwrap_or_else(|| c.topic.clone()),
                    spec,
                }),
                &a.timeout,
            )
        }
        TopicAction::List(a) => {
            let (internal, format) = (a.internal, format(a.format));
            (
                Box::new(move |_: &Common| TopicTask::List { internal, format }),
                &a.timeout,
            )
        }
        TopicAction::Describe(a) => {
            let (name, format) = (named(&a.name)?, format(a.format));
            (
                Box::new(move |c: &Common| TopicTask::Describe {
                    name: name.unwrap_or_else(|| c.topic.clone()),
                    format,
                }),
                &a.timeout,
            )
        }
        TopicAction::Delete(a) => {
            let name = named(&Some(a.name.clone()))?.unwrap_or_default();
            if !a.yes {
                return Err(error::usage(format!(
                    "topic delete {name}: this deletes the topic and every record in it; add --yes to do it"
                )));
            }
            (
                Box::new(move |_: &Common| TopicTask::Delete { name }),
                &a.timeout,
            )
        }
    };
    let timeout = flag("--timeout", parse_timeout(timeout))?;
    Ok(Box::new(move |common| {
        Ok(TopicJob {
            task: task(common),
            timeout,
        })
    }))
}

/// Partitions, replication factor and min.insync.replicas, checked against
/// each other (`topic create`, `publish --create-topic`).
pub(super) fn topic_spec(
    partitions: Option<i32>,
    replication: Option<i32>,
    min_insync: Option<i32>,
) -> Result<TopicSpec> {
    if partitions.is_some_and(|p| p < 1) {
        return Err(error::usage("--partitions must be at least 1"));
    }
    if let Some(p) = partitions.filter(|&p| p > MAX_PARTITIONS) {
        return Err(error::usage(format!(
            "--partitions {p} is more than a topic can have ({MAX_PARTITIONS})"
        )));
    }
    if replication.is_some_and(|r| r < 1) {
        return Err(error::usage("--replication-factor must be at least 1"));
    }
    if min_insync.is_some_and(|m| m < 1) {
        return Err(error::usage("--min-insync-replicas must be at least 1"));
    }
    if let (Some(r), Some(m)) = (replication, min_insync) {
        if m > r {
            return Err(error::usage(format!(
                "--min-insync-replicas {m} is more than --replication-factor {r}: no write could succeed"
            )));
        }
    }
    Ok(TopicSpec {
        partitions,
        replication,
        min_insync,
    })
}
