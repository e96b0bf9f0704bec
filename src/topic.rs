//! `dualstream topic create|list|describe|delete`: the topic itself, for the
//! users of `rpk topic` and `kafka-topics.sh`. The flow only: the broker
//! calls are `kafka::admin`'s, the tables and JSON `output::topic`'s.

use anyhow::{Context as _, Result};

use crate::config::{Common, TopicJob, TopicTask};
use crate::error::{self, Code};
use crate::kafka::admin;
use crate::output::summary::Ending;
use crate::output::Output;
use crate::shutdown::Shutdown;

pub async fn run(common: Common, job: TopicJob, out: &Output, shutdown: &Shutdown) -> Ending {
    Ending::bare(shutdown.or_interrupted(topic(common, job, out)).await)
}

async fn topic(common: Common, job: TopicJob, out: &Output) -> Result<Code> {
    let (settings, timeout) = (&common.kafka, job.timeout);
    let connecting = out.connecting(&settings.shown());
    match job.task {
        TopicTask::Create { name, spec } => {
            let created = admin::create_topic(settings, &name, &spec, timeout).await;
            drop(connecting);
            if let Some(conflict) = out.created(&name, &created?, true) {
                return Err(error::kafka(conflict));
            }
        }
        TopicTask::List { internal, format } => {
            let s = settings.clone();
            let topics = tokio::task::spawn_blocking(move || admin::topics(&s, internal, timeout))
                .await
                .context("metadata")?;
            drop(connecting);
            out.topic_list(&topics?, format)?;
        }
        TopicTask::Describe { name, format } => {
            let detail = admin::describe_topic(settings, &name, timeout).await;
            drop(connecting);
            let detail = detail?;
            if let Some(why) = &detail.configs_missing {
                out.warn(&format!(
                    "the configs of topic {name:?} are not shown: the cluster did not give them ({why})"
                ));
            }
            out.topic_describe(&detail, format)?;
        }
        TopicTask::Delete { name } => {
            let deleted = admin::delete_topic(settings, &name, timeout).await;
            drop(connecting);
            if deleted? {
                out.info(&format!("deleted topic {name:?}"));
            } else {
                out.warn(&format!(
                    "the deletion of topic {name:?} was accepted, but it is still listed after {}: the brokers are still removing it",
                    crate::duration::show_duration(timeout)
                ));
            }
        }
    }
    Ok(Code::Success)
}
