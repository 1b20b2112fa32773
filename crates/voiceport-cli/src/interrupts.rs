//! Stop requests: Ctrl-C (SIGINT) and, on Unix, SIGTERM (what a service manager, a CI
//! runner or `timeout` sends), heard from the moment a command starts listening, so that
//! a dial or a walk stopped either way still says what it left behind. A second request is
//! not lost while the first is being handled (a fresh `tokio::signal::ctrl_c()` hears only
//! presses after its first poll). Requests of one kind that come before the first is taken
//! count as one, so a quick double press is one: the second must follow the first's notice
//! (a Ctrl-C and a SIGTERM together are two). A process stopped by SIGTERM exits 143, as
//! one killed by it would (128 + 15), so that a service manager counts it as stopped.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::Failure;

/// Whether a SIGTERM was heard: the exit code of an interrupted command follows the signal.
static TERMINATED: AtomicBool = AtomicBool::new(false);

/// The exit code of a command a stop request ended: 143 after SIGTERM, else 130 (Ctrl-C).
pub(crate) fn interrupted_exit_code() -> u8 {
    if TERMINATED.load(Ordering::Relaxed) {
        143
    } else {
        130
    }
}

/// The stop requests from now on.
pub(crate) struct StopSignal {
    #[cfg(unix)]
    interrupts: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminates: tokio::signal::unix::Signal,
    #[cfg(windows)]
    interrupts: tokio::signal::windows::CtrlC,
}

impl StopSignal {
    /// Starts listening (on a Tokio runtime).
    pub(crate) fn listen() -> Result<StopSignal, Failure> {
        let io = |e| Failure::Io("listening for Ctrl-C".into(), e);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignal {
                interrupts: signal(SignalKind::interrupt()).map_err(io)?,
                terminates: signal(SignalKind::terminate()).map_err(io)?,
            })
        }
        #[cfg(windows)]
        {
            let interrupts = tokio::signal::windows::ctrl_c().map_err(io)?;
            Ok(StopSignal { interrupts })
        }
    }

    /// The next stop request.
    pub(crate) async fn received(&mut self) {
        // `None` only once the runtime stops listening: nothing more will come.
        #[cfg(unix)]
        let heard = tokio::select! {
            heard = self.interrupts.recv() => heard,
            heard = self.terminates.recv() => {
                TERMINATED.store(true, Ordering::Relaxed);
                heard
            }
        };
        #[cfg(windows)]
        let heard = self.interrupts.recv().await;
        if heard.is_none() {
            std::future::pending::<()>().await;
        }
    }
}
