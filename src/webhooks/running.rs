//! [`RunningHandlers`]: how many handlers a receiver's router is running, and a wait for
//! the last of them to end.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// The handlers a receiver's router is running: [`count`](Self::count) and
/// [`finished`](Self::finished). Take it from the builder
/// ([`ReceiverBuilder::running_handlers`](super::ReceiverBuilder::running_handlers))
/// before building the router.
///
/// A handler runs to its end even when its request is gone: the vendor hung up (its
/// timeout passed), or the application answered it early ([`Delivery::reply`]) and the
/// handler goes on. It then runs on a task of its own, which a server's graceful shutdown
/// does not wait for, since the connection is already closed. Wait for it here after
/// the server stops, or the runtime drops it wherever it is when `main` returns.
///
/// ```no_run
/// # async fn run(
/// #     registry: voiceport::Registry,
/// #     stop: impl std::future::Future<Output = ()> + Send + 'static,
/// # ) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use voiceport::webhooks::{Receiver, axum};
///
/// let builder = Receiver::builder(&registry);
/// let running = builder.running_handlers();
/// let router = builder.handler(|delivery| async move {
///     // Store `delivery.event` …
///     Ok(())
/// })?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, router)
///     .with_graceful_shutdown(stop) // Ctrl-C, SIGTERM …
///     .await?;
/// if !running.finished(Duration::from_secs(10)).await {
///     eprintln!("{} handlers were still running", running.count());
/// }
/// # Ok(()) }
/// ```
///
/// [`Delivery::reply`]: super::Delivery::reply
#[derive(Debug, Clone)]
pub struct RunningHandlers {
    count: Arc<watch::Sender<usize>>,
}

impl RunningHandlers {
    pub(super) fn new() -> Self {
        RunningHandlers {
            count: Arc::new(watch::Sender::new(0)),
        }
    }

    /// How many handlers are running now (whether their request is still open or not).
    pub fn count(&self) -> usize {
        *self.count.borrow()
    }

    /// Waits until no handler runs, for `limit` at most: `true` once none does, `false`
    /// when some still run at the limit (they go on; [`count`](Self::count) says how many).
    pub async fn finished(&self, limit: Duration) -> bool {
        let mut count = self.count.subscribe();
        let none = count.wait_for(|running| *running == 0);
        matches!(tokio::time::timeout(limit, none).await, Ok(Ok(_)))
    }

    /// One more handler runs until the guard is dropped.
    pub(super) fn enter(&self) -> Running {
        self.count.send_modify(|running| *running += 1);
        Running(Arc::clone(&self.count))
    }
}

/// A handler counted as running, until dropped.
pub(super) struct Running(Arc<watch::Sender<usize>>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0
            .send_modify(|running| *running = running.saturating_sub(1));
    }
}
