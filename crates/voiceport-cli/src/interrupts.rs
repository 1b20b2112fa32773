//! Stop requests: Ctrl-C (SIGINT) and, on Unix, SIGTERM (what a service manager, a CI
//! runner or `timeout` sends), heard from the moment a command starts listening, so that
//! a dial or a walk stopped either way still says what it left behind. A second request is
//! not lost while the first is being handled (a fresh `tokio::signal::ctrl_c()` hears only
//! presses after its first poll). Requests that come before the first is taken count as
//! one, so a quick double press is one: the second must follow the first's notice.

use crate::Failure;

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
            heard = self.terminates.recv() => heard,
        };
        #[cfg(windows)]
        let heard = self.interrupts.recv().await;
        if heard.is_none() {
            std::future::pending::<()>().await;
        }
    }
}
