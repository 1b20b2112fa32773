//! Ctrl-C, heard from the moment a command starts listening: a second press is not lost
//! while the first is being handled (a fresh `tokio::signal::ctrl_c()` hears only presses
//! after its first poll). Presses that come before the first is taken count as one, so a
//! quick double press is one: the second must follow the first's notice.

use crate::Failure;

/// The presses of Ctrl-C from now on.
pub(crate) struct CtrlC {
    #[cfg(unix)]
    presses: tokio::signal::unix::Signal,
    #[cfg(windows)]
    presses: tokio::signal::windows::CtrlC,
}

impl CtrlC {
    /// Starts listening (on a Tokio runtime).
    pub(crate) fn listen() -> Result<CtrlC, Failure> {
        let io = |e| Failure::Io("listening for Ctrl-C".into(), e);
        #[cfg(unix)]
        let presses = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            .map_err(io)?;
        #[cfg(windows)]
        let presses = tokio::signal::windows::ctrl_c().map_err(io)?;
        Ok(CtrlC { presses })
    }

    /// The next press.
    pub(crate) async fn pressed(&mut self) {
        // `None` only once the runtime stops listening: nothing more will come.
        if self.presses.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}
