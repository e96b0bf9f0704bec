//! The one shutdown signal. Ctrl-C is caught once, here, for the whole
//! process; every command watches the same [`Shutdown`]: async code awaits
//! [`Shutdown::pressed`], blocking readers poll [`Shutdown::is_set`]. A
//! command that sees it finishes what is in flight, prints its summary and
//! exits 130.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;
use tokio::sync::watch;

use crate::error::{self, Code};

/// How many times Ctrl-C was pressed, shared by everyone who watches.
#[derive(Clone)]
pub struct Shutdown {
    presses: watch::Receiver<u32>,
    flag: Arc<AtomicBool>,
}

impl Shutdown {
    /// Catch Ctrl-C from now on. Call once, inside the runtime.
    pub fn install() -> Shutdown {
        let (tx, presses) = watch::channel(0u32);
        let flag = Arc::new(AtomicBool::new(false));
        let set = flag.clone();
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                set.store(true, Ordering::SeqCst);
                tx.send_modify(|n| *n += 1);
            }
        });
        Shutdown { presses, flag }
    }

    /// The flag itself, for blocking loops that take an `&AtomicBool`.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    /// Resolves once Ctrl-C has been pressed `times` times in all.
    pub async fn pressed(&self, times: u32) {
        let mut rx = self.presses.clone();
        if rx.wait_for(|n| *n >= times).await.is_err() {
            // The watcher is gone (runtime shutting down): never resolve.
            std::future::pending::<()>().await;
        }
    }

    /// Run `work` unless Ctrl-C comes first: then fail with exit 130. For the
    /// steps before a command has anything to flush (connecting, metadata).
    pub async fn or_interrupted<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::select! {
            biased;
            _ = self.pressed(1) => Err(error::fail(Code::Interrupted, "interrupted")),
            r = work => r,
        }
    }
}
