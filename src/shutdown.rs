//! The one shutdown signal. Ctrl-C (SIGINT) and SIGTERM are caught once,
//! here, for the whole process; every command watches the same
//! [`Shutdown`]: async code awaits [`Shutdown::pressed`], blocking readers
//! poll [`Shutdown::flag`]. A command that sees it finishes what is in
//! flight, prints its summary and exits as interrupted (as terminated for
//! SIGTERM, so `timeout` and container stops are as clean as Ctrl-C). A
//! second signal stops the waiting; a third exits at once, through
//! `error::exit_now` (this module knows no exit-code number).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use crate::error::{self, Code};

/// How many times a stop signal came, shared by everyone who watches.
#[derive(Clone)]
pub struct Shutdown {
    presses: watch::Receiver<u32>,
    flag: Arc<AtomicBool>,
    terminated: Arc<AtomicBool>,
}

impl Shutdown {
    /// Catch SIGINT and SIGTERM from now on. Call once, inside the runtime.
    pub fn install() -> Shutdown {
        let (tx, presses) = watch::channel(0u32);
        let flag = Arc::new(AtomicBool::new(false));
        let terminated = Arc::new(AtomicBool::new(false));
        let (set, term_set) = (flag.clone(), terminated.clone());
        let mut term = signal(SignalKind::terminate()).ok();
        tokio::spawn(async move {
            loop {
                let by_term = tokio::select! {
                    r = tokio::signal::ctrl_c() => {
                        if r.is_err() {
                            return;
                        }
                        false
                    }
                    Some(()) = async {
                        match term.as_mut() {
                            Some(t) => t.recv().await,
                            None => std::future::pending().await,
                        }
                    } => true,
                };
                if by_term {
                    term_set.store(true, Ordering::SeqCst);
                }
                set.store(true, Ordering::SeqCst);
                tx.send_modify(|n| *n += 1);
                // The first asks for a clean stop, the second to stop
                // waiting; a third means now.
                if *tx.borrow() >= 3 {
                    error::exit_now(signal_code(&term_set));
                }
            }
        });
        Shutdown {
            presses,
            flag,
            terminated,
        }
    }

    /// The flag itself, for blocking loops that take an `&AtomicBool`.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    /// Resolves once a stop signal has come `times` times in all.
    pub async fn pressed(&self, times: u32) {
        let mut rx = self.presses.clone();
        if rx.wait_for(|n| *n >= times).await.is_err() {
            // The watcher is gone (runtime shutting down): never resolve.
            std::future::pending::<()>().await;
        }
    }

    /// The exit code of a run that stopped on a signal: interrupted for
    /// Ctrl-C, terminated once SIGTERM was seen.
    pub fn code(&self) -> Code {
        signal_code(&self.terminated)
    }

    /// Run `work` unless a stop signal comes first: then fail with its exit
    /// code. For the steps before a command has anything to flush
    /// (connecting, metadata).
    pub async fn or_interrupted<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::select! {
            biased;
            _ = self.pressed(1) => Err(error::fail(self.code(), "interrupted")),
            r = work => r,
        }
    }
}

/// Which signal stopped the run: SIGTERM once `terminated` is set, else Ctrl-C.
fn signal_code(terminated: &AtomicBool) -> Code {
    if terminated.load(Ordering::SeqCst) {
        Code::Terminated
    } else {
        Code::Interrupted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigterm_once_seen_decides_the_code() {
        let terminated = AtomicBool::new(false);
        assert_eq!(signal_code(&terminated), Code::Interrupted);
        terminated.store(true, Ordering::SeqCst);
        assert_eq!(signal_code(&terminated), Code::Terminated);
    }
}
