//! `replay` to stdout: each record in the chosen format.

use crate::kafka::Message;
use anyhow::Result;

use super::RecordSink;
use crate::event::Event;
use crate::kafka::read::Confirmed;
use crate::output::records::{RecordFormat, RecordPrinter};
use crate::output::summary::Note;
use crate::output::{Data, Output};
use crate::shutdown::Shutdown;

/// Records written to stdout between flushes when a group commits.
const FLUSH_EVERY: usize = 1000;

/// Stdout; a record is confirmed once it was flushed.
pub(in crate::replay) struct PrintSink {
    data: Data,
    printer: RecordPrinter,
    /// Records written since the last flush.
    unflushed: usize,
}

impl PrintSink {
    /// Lines flushed as they come when following (`follow`).
    pub(in crate::replay) fn open(format: RecordFormat, follow: bool, out: &Output) -> PrintSink {
        PrintSink {
            data: out.data(follow),
            printer: RecordPrinter::new(format, out.style()),
            unflushed: 0,
        }
    }

    /// Flush, and so confirm everything written (a group member only).
    fn flush(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        self.data.finish()?;
        self.unflushed = 0;
        confirmed.confirm_all();
        Ok(())
    }
}

impl RecordSink for PrintSink {
    fn take<M: Message>(
        &mut self,
        m: &M,
        _event: Option<&Event>,
        confirmed: &mut Confirmed,
    ) -> Result<()> {
        self.printer.print(&mut self.data, m)?;
        confirmed.handed(m.partition(), m.offset());
        self.unflushed += 1;
        // A group commits only what was flushed: flush often enough that
        // commits keep up.
        if self.unflushed >= FLUSH_EVERY && confirmed.is_tracking() {
            self.flush(confirmed)?;
        }
        Ok(())
    }

    fn idle(&mut self, confirmed: &mut Confirmed) -> Result<()> {
        self.data.idle()?;
        if self.unflushed > 0 && confirmed.is_tracking() {
            self.flush(confirmed)?;
        }
        Ok(())
    }

    fn finish(
        mut self,
        confirmed: &mut Confirmed,
        _shutdown: &Shutdown,
    ) -> Result<(u64, Vec<Note>)> {
        self.data.finish()?;
        confirmed.confirm_all();
        Ok((0, Vec::new()))
    }
}
