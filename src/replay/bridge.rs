//! The one crossing between replay's two worlds. Reading is blocking:
//! librdkafka's poll loop runs on a thread of its own, off the runtime. The
//! sinks that talk to Redis or produce to Kafka are async. [`Bridge`] is
//! the only way between them: [`Bridge::run`] moves the read onto its
//! blocking thread, and from there [`Bridge::wait`] and [`Bridge::enter`]
//! reach back into the runtime.

use std::future::Future;

use tokio::runtime::Handle;
use tokio::task::JoinError;

/// The way back into the runtime from the blocking read.
#[derive(Clone)]
pub(super) struct Bridge {
    handle: Handle,
}

impl Bridge {
    /// Run the blocking `read` on a thread of its own, handed the bridge
    /// back into this runtime; resolves with what it returned.
    pub(super) async fn run<T: Send + 'static>(
        read: impl FnOnce(Bridge) -> T + Send + 'static,
    ) -> Result<T, JoinError> {
        let bridge = Bridge {
            handle: Handle::current(),
        };
        tokio::task::spawn_blocking(move || read(bridge)).await
    }

    /// Block the reading thread until `work` is done on the runtime.
    pub(super) fn wait<F: Future>(&self, work: F) -> F::Output {
        self.handle.block_on(work)
    }

    /// Call `start` inside the runtime, for what spawns tasks on it.
    pub(super) fn enter<T>(&self, start: impl FnOnce() -> T) -> T {
        let _entered = self.handle.enter();
        start()
    }
}
