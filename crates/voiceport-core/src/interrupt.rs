//! [`Interrupt`]: stop placing calls without abandoning a dial already sent.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

tokio::task_local! {
    /// The interrupt of the future being polled, when it runs under one.
    static IN_SCOPE: Interrupt;
}

/// A switch that stops the futures run under it from *sending* dial requests, while a
/// dial already sent is still waited for: what a program needs on Ctrl-C, since dropping
/// a dial in flight leaves it not knowing whether a phone rings, and waiting for it may
/// let it start another (a retry after a refused connection, the next provider of a
/// failover route).
///
/// Once [`interrupt`](Interrupt::interrupt)ed, a dial about to be sent fails with
/// [`Error::Interrupted`](crate::Error::Interrupted) instead (its outcome:
/// [`NotApplied`](crate::RequestOutcome::NotApplied)), and a route stops failing over.
/// Other requests go on: a dial's answer is still read.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::{DialRequest, Interrupt, VoiceProvider};
///
/// async fn dial_until_ctrl_c(provider: &dyn VoiceProvider) -> voiceport::Result<()> {
///     let interrupt = Interrupt::new();
///     let request = DialRequest::to("+14155550123");
///     let dialing = interrupt.run(provider.dial(&request));
///     tokio::pin!(dialing);
///     tokio::select! {
///         outcome = &mut dialing => { outcome?; }
///         () = wait_for_ctrl_c() => {
///             // Nothing new is sent; what was sent is answered.
///             interrupt.interrupt();
///             let outcome = dialing.await;
///             println!("{:?}", outcome.map(|dialed| dialed.call_id));
///         }
///     }
///     Ok(())
/// }
/// # async fn wait_for_ctrl_c() {}
/// ```
#[derive(Debug, Clone)]
pub struct Interrupt(Arc<watch::Sender<bool>>);

impl Default for Interrupt {
    fn default() -> Self {
        Interrupt(Arc::new(watch::Sender::new(false)))
    }
}

impl Interrupt {
    /// An interrupt not yet set off.
    pub fn new() -> Self {
        Interrupt::default()
    }

    /// From now on, the futures run under this interrupt send no dial request; one
    /// waiting to retry stops waiting.
    pub fn interrupt(&self) {
        self.0.send_replace(true);
    }

    /// Whether [`interrupt`](Interrupt::interrupt) was called.
    pub fn is_interrupted(&self) -> bool {
        *self.0.borrow()
    }

    /// `future`, run under this interrupt (the innermost one counts where runs nest;
    /// tasks it spawns are not under it). The future is `'static` when `future` is.
    pub fn run<F: Future>(&self, future: F) -> impl Future<Output = F::Output> + use<F> {
        IN_SCOPE.scope(self.clone(), future)
    }

    /// Whether the future being polled runs under an interrupt that was set off: what an
    /// adapter that sends its dials with an HTTP stack of its own checks before sending
    /// one (returning [`Error::Interrupted`](crate::Error::Interrupted)). Core's HTTP
    /// client and the registry's routes check it themselves.
    pub fn current_is_interrupted() -> bool {
        IN_SCOPE
            .try_with(Interrupt::is_interrupted)
            .unwrap_or(false)
    }

    /// Waits until the interrupt the future being polled runs under is set off; never
    /// outside one. What an adapter with an HTTP stack of its own races a wait before a
    /// dial's retry against, as core's client does.
    pub async fn current_interrupted() {
        match IN_SCOPE.try_with(|interrupt| interrupt.0.subscribe()) {
            Ok(mut interrupted) => {
                // `Err` only if the switch is gone, which its holder rules out.
                let _ = interrupted.wait_for(|set_off| *set_off).await;
            }
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_futures_run_under_it_see_it() {
        let interrupt = Interrupt::new();
        assert!(!Interrupt::current_is_interrupted());
        let seen = interrupt
            .run(async {
                let before = Interrupt::current_is_interrupted();
                tokio::task::yield_now().await;
                (before, Interrupt::current_is_interrupted())
            })
            .await;
        assert_eq!(seen, (false, false));
        interrupt.interrupt();
        assert!(interrupt.is_interrupted());
        assert!(
            interrupt
                .clone()
                .run(async { Interrupt::current_is_interrupted() })
                .await
        );
        assert!(!Interrupt::current_is_interrupted());
        assert!(
            !Interrupt::new()
                .run(async { Interrupt::current_is_interrupted() })
                .await
        );
    }

    #[tokio::test]
    async fn a_wait_under_it_ends_when_it_is_set_off() {
        let interrupt = Interrupt::new();
        // `run` of a `'static` future is `'static`: it can be spawned.
        let waiting = tokio::spawn(interrupt.run(Interrupt::current_interrupted()));
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        interrupt.interrupt();
        tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("the wait ended")
            .unwrap();
        // Outside any interrupt, it never ends.
        let outside = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            Interrupt::current_interrupted(),
        );
        assert!(outside.await.is_err());
    }
}
