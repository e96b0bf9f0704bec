//! Where `replay` hands its records: stdout in a format ([`PrintSink`]),
//! Redis as re-sent notifications ([`RedisSink`]), or another topic as
//! copies ([`TopicSink`], or [`TxnSink`] in transactions). Each sink says which records it has confirmed
//! (flushed, published, acknowledged), so that a group commits nothing past
//! the first unconfirmed record.

mod exactly_once;
mod print;
mod to_redis;
mod to_topic;

use crate::kafka::Message;
use anyhow::Result;

use crate::event::Event;
use crate::kafka::read::Confirmed;
use crate::output::summary::Note;
use crate::shutdown::Shutdown;

pub(super) use exactly_once::TxnSink;
pub(super) use print::PrintSink;
pub(super) use to_redis::RedisSink;
pub(super) use to_topic::TopicSink;

/// A place replayed records go, and what it confirmed of them. Every
/// record handed is marked in `confirmed` (`handed`, or `skipped` if the
/// sink needs nothing of it); `confirm` comes only once the sink has it
/// for good.
pub(super) trait RecordSink {
    /// Does [`RecordSink::take`] want each record's event (its id, type and
    /// source)? Reading it costs a header or value parse per record.
    const NEEDS_EVENT: bool = false;

    /// Hand on one record; `event` is its event when it has one (always
    /// looked for when [`RecordSink::NEEDS_EVENT`]).
    fn take<M: Message>(
        &mut self,
        m: &M,
        event: Option<&Event>,
        confirmed: &mut Confirmed,
    ) -> Result<()>;

    /// Nothing is waiting to be read: make output visible (live stdout),
    /// and learn what the sink has confirmed.
    fn idle(&mut self, confirmed: &mut Confirmed) -> Result<()>;

    /// Flush what is buffered and account for it: how many were sent, and
    /// notes for after the summary. Confirms what reached the sink.
    fn finish(self, confirmed: &mut Confirmed, shutdown: &Shutdown) -> Result<(u64, Vec<Note>)>;
}
