//! Stop requests: Ctrl-C (SIGINT) and, on Unix, SIGTERM (what a service manager, a CI
//! runner or `timeout` sends) and SIGHUP (the terminal it ran in closed, an SSH session
//! dropped), heard from the moment a command starts listening, so that a dial or a walk
//! stopped any of these ways still says what it left behind (to a log it writes to, when
//! the terminal is gone), and `listen` answers the deliveries it holds. A second request is
//! not lost while the first is being handled (a fresh `tokio::signal::ctrl_c()` hears only
//! presses after its first poll). Requests of one kind that come before the first is taken
//! count as one, so a quick double press is one: the second must follow the first's notice
//! (a Ctrl-C and a SIGTERM together are two). A process stopped by SIGTERM exits 143, as
//! one killed by it would (128 + 15), so that a service manager counts it as stopped; by
//! SIGHUP, 129 (128 + 1).
//!
//! A command stuck where it cannot hear a stop request (a write to an output nobody reads,
//! a pipe's reader paused) is ended for it: [`STOP_GRACE`] after the first request, or
//! [`SECOND_STOP_GRACE`] after a second, with the interruption's exit code.

use std::sync::Once;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use crate::{Failure, output};

/// How long a command may take to end after a stop request before it is ended for it:
/// longer than any command takes to wind down (a dial's 10 s for its answer, `listen`'s
/// 10 s drain).
const STOP_GRACE: Duration = Duration::from_secs(15);

/// The same after a second request, which every command that hears it answers at once.
const SECOND_STOP_GRACE: Duration = Duration::from_secs(2);

/// The watchdog is started once, by the first command that listens.
static WATCHDOG: Once = Once::new();

/// The exit code of the signal heard, when it was not Ctrl-C (SIGTERM's 143, SIGHUP's 129);
/// 0 for none: the exit code of an interrupted command follows the signal.
static STOPPED_BY: AtomicU8 = AtomicU8::new(0);

/// How an interruption's `message` is said on standard error.
pub(crate) fn said(message: &str) -> String {
    format!("interrupted: {message}")
}

/// The exit code of a command a stop request ended: 143 after SIGTERM, 129 after SIGHUP,
/// else 130 (Ctrl-C).
pub(crate) fn interrupted_exit_code() -> u8 {
    match STOPPED_BY.load(Ordering::Relaxed) {
        0 => 130,
        code => code,
    }
}

/// The stop requests from now on.
pub(crate) struct StopSignal {
    #[cfg(unix)]
    interrupts: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminates: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangups: tokio::signal::unix::Signal,
    #[cfg(windows)]
    interrupts: tokio::signal::windows::CtrlC,
}

impl StopSignal {
    /// Starts listening (on a Tokio runtime), and from the first call on, watching for a
    /// command that does not end after a stop request.
    pub(crate) fn listen() -> Result<StopSignal, Failure> {
        let stops = StopSignal::open()?;
        WATCHDOG.call_once(start_watchdog);
        Ok(stops)
    }

    fn open() -> Result<StopSignal, Failure> {
        let io = |e| Failure::Io("listening for Ctrl-C".into(), e);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignal {
                interrupts: signal(SignalKind::interrupt()).map_err(io)?,
                terminates: signal(SignalKind::terminate()).map_err(io)?,
                hangups: signal(SignalKind::hangup()).map_err(io)?,
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
                STOPPED_BY.store(143, Ordering::Relaxed);
                heard
            }
            heard = self.hangups.recv() => {
                STOPPED_BY.store(129, Ordering::Relaxed);
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

/// Starts [`end_a_stuck_stop`] on a thread and a runtime of its own, and returns once it
/// hears stop requests. Not on the command's runtime: that may be what is stuck (its
/// workers blocked writing log lines to a standard error nobody reads), and a watchdog
/// there would be stuck with it. Its runtime also hears the signals for the command's,
/// should no worker there be free to.
fn start_watchdog() {
    let (ready, listening) = std::sync::mpsc::channel();
    let started = std::thread::Builder::new()
        .name("voiceport-watchdog".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let Ok(runtime) = runtime else { return };
            runtime.block_on(async {
                let watched = StopSignal::open();
                let _ = ready.send(());
                if let Ok(watched) = watched {
                    end_a_stuck_stop(watched).await;
                }
            });
        });
    // Dropped unsent when the thread could not start its runtime: nothing to wait for.
    if started.is_ok() {
        let _ = listening.recv();
    }
}

/// Ends the program once a stop request has gone unanswered for [`STOP_GRACE`] (or a
/// second one for [`SECOND_STOP_GRACE`]): the command is stuck where it cannot hear it,
/// most often a write to an output nobody reads.
async fn end_a_stuck_stop(mut stops: StopSignal) {
    stops.received().await;
    let which = tokio::select! {
        () = tokio::time::sleep(STOP_GRACE) => "the stop request",
        () = async {
            stops.received().await;
            tokio::time::sleep(SECOND_STOP_GRACE).await;
        } => "a second stop request",
    };
    // Said from a thread of its own, waited for briefly: standard error may be stuck too.
    let (spoken, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        output::say(&said(&format!(
            "quitting now: the command did not end after {which} (is its output being read?); what it wrote may end mid-line",
        )));
        let _ = spoken.send(());
    });
    let _ = done.recv_timeout(Duration::from_millis(500));
    std::process::exit(interrupted_exit_code().into());
}
