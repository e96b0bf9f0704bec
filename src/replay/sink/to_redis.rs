//! `replay --to-redis`: each record's notification published again, as
//! `publish` sent it. A record is confirmed once Redis published its
//! notification.

use std::collections::VecDeque;
use std::time::Duration;

use crate::kafka::Message;
use anyhow::Result;

use super::RecordSink;
use crate::event::{ChannelTemplate, Drafter, Event};
use crate::kafka::read::Confirmed;
use crate::output::summary::Note;
use crate::output::Output;
use crate::pubsub::Target;
use crate::pubsub::{Mode, Notes, Notifier};
use crate::replay::bridge::Bridge;
use crate::shutdown::Shutdown;

/// Notifications per Redis pipeline when not paced.
const REDIS_BATCH: usize = 500;

/// Redis, as notifications.
pub(in crate::replay) struct RedisSink<'a> {
    bridge: Bridge,
    notifier: Notifier,
    channel: &'a ChannelTemplate,
    /// Notifications handed over per call: one when paced.
    per_send: usize,
    batch: Notes,
    /// The drafts of the last record's topic.
    drafter: Option<Drafter>,
    /// Coordinates of the notifications handed over and not yet known
    /// published, in hand-over order (which is publish order).
    waiting: VecDeque<(i32, i64)>,
    /// How many the notifier had published at the last look.
    seen_notified: u64,
    /// How many were handed over in all.
    handed: u64,
    unroutable: u64,
    /// How long the notifier may take to publish what is left at the end.
    timeout: Duration,
}

impl<'a> RedisSink<'a> {
    /// Publish to `target` on `channel`, at most `rate` a second.
    pub(in crate::replay) fn open(
        (target, channel, rate): (&Target, &'a ChannelTemplate, Option<f64>),
        timeout: Duration,
        out: &Output,
        bridge: Bridge,
    ) -> RedisSink<'a> {
        let notifier = bridge.enter(|| Notifier::spawn(target, Mode::Required, rate, out.warner()));
        RedisSink {
            bridge,
            notifier,
            channel,
            per_send: if rate.is_some() { 1 } else { REDIS_BATCH },
            batch: Notes::new(),
            drafter: None,
            waiting: VecDeque::new(),
            seen_notified: 0,
            handed: 0,
            unroutable: 0,
            timeout,
        }
    }

    /// Batch the notification of a record and its event.
    fn notify<M: Message>(&mut self, m: &M, event: &Event) {
        if self.drafter.as_ref().is_none_or(|d| d.topic() != m.topic()) {
            self.drafter = Some(Drafter::new(m.topic()));
        }
        if let Some(drafter) = &self.drafter {
            let draft = drafter.draft(self.channel, event);
            self.batch.push_draft(&draft, (m.partition(), m.offset()));
        }
    }

    /// Hand the batched notifications to the notifier. A group member then
    /// hands on nothing more until Redis took them: at a rebalance
    /// everything handed is confirmed and committed, and the next member
    /// starts right after it (no notification twice). Fails on the
    /// notifier's first failure.
    fn send(&mut self, confirmed: &Confirmed) -> Result<()> {
        if !self.batch.is_empty() && self.notifier.failure().is_none() {
            self.handed += self.batch.len() as u64;
            let batch = std::mem::take(&mut self.batch);
            let (notifier, handed) = (&mut self.notifier, self.handed);
            self.bridge.wait(async {
                notifier.send(batch).await;
                if confirmed.is_tracking() {
                    notifier.published(handed).await;
                }
            });
        }
        match self.notifier.error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Confirm the notifications Redis has published since the last look:
    /// the notifier publishes in hand-over order and nothing after a
    /// failure.
    fn confirm_published(&mut self, confirmed: &mut Confirmed) {
        let now = self.notifier.notified();
        for _ in self.seen_notified..now {
            if let Some((p, offset)) = self.waiting.pop_front() {
                confirmed.confirm(p, offset);
            }
        }
        self.seen_notified = now;
    }
}

impl RecordSink for RedisSink<'_> {
    const NEEDS_EVENT: bool = true;

    fn take<M: Message>(
        &mut self,
        m: &M,
        event: Option<&Event>,
        confirmed: &mut Confirmed,
    ) -> Result<()> {
        let (p, offset) = (m.partition(), m.offset());
        let Some(event) = event else {
            self.unroutable += 1;
            confirmed.skipped(p, offset);
            return Ok(());
        };
        self.notify(m, event);
        confirmed.handed(p, offset);
        self.waiting.push_back((p, offset));
        if self.batch.len() >= self.per_send {
            self.send(confirmed)?;
        }
        self.confirm_published(confirmed);
        Ok(())
    }

    fn idle(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        // Nothing else is coming right now: send what is batched (--follow
        // on a quiet topic).
        self.send(confirmed)?;
        self.confirm_published(confirmed);
        Ok(())
    }

    fn finish(self, confirmed: &mut Confirmed, _shutdown: &Shutdown) -> Result<(u64, Vec<Note>)> {
        let RedisSink {
            bridge,
            mut notifier,
            batch,
            mut waiting,
            seen_notified,
            unroutable,
            timeout,
            ..
        } = self;
        let stats = bridge.wait(async {
            if notifier.failure().is_none() {
                notifier.send(batch).await;
            }
            notifier.finish(timeout).await
        });
        let published = stats.notified.saturating_sub(seen_notified);
        for _ in 0..published {
            if let Some((p, offset)) = waiting.pop_front() {
                confirmed.confirm(p, offset);
            }
        }
        if let Some(e) = stats.error() {
            return Err(e);
        }
        let mut notes = Vec::new();
        if unroutable > 0 {
            notes.push(Note::Warn(format!(
                "{} without id/type/source_type (headers or fields): not notified",
                crate::output::plural(unroutable, "record")
            )));
        }
        Ok((stats.notified, notes))
    }
}
