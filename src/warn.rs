//! The warning callback: how a lower layer (`pubsub`, `kafka`) that never
//! prints hands a user-facing warning to the command's `Output`. It sits at
//! the bottom of the import graph so that `output`, which makes it
//! ([`Output::warner`](crate::output::Output::warner)), and the broker
//! layers, which call it, both see it without importing each other.

use std::sync::Arc;

/// Where warnings go (the command's `Output`); called from any task.
pub type Warn = Arc<dyn Fn(&str) + Send + Sync>;
