//! The answer to an admitted delivery: the handler run (to its end, even when the vendor
//! hangs up), its reply or failure, and the vendor's deadline.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use voiceport_core::CallEvent;
use voiceport_core::webhook::{Deduplicator, EventKey, Ticket};
// Event names are logged through `shorten`: a verified body may name its event with megabytes.
use voiceport_core::adapter::shorten;
use voiceport_core::http::vendor_text;

use super::delivery::{Delivery, HandlerError, HandlerResult, ReplySlot};
use super::refusals::{Refusals, refusal};
use super::serve::{Endpoint, Shared, over_handled_budget};

/// A request the vendor waits on (Vapi's tool calls): handed over every time, as a retry
/// asks again (answering it 204 as a duplicate would lose the answer), and answered with
/// the application's reply as soon as it is given; a handler still working then finishes
/// on its own task. Without a reply, the handler's result decides (204, or 500 when it
/// failed), and the vendor's deadline bounds the whole wait (504).
pub(super) async fn answer_request(
    shared: &Shared,
    provider: String,
    endpoint: &Endpoint,
    event: CallEvent,
    body: Bytes,
    arrived: Instant,
    span: &tracing::Span,
) -> Response {
    let wait = match endpoint.codec.reply_limit(&event) {
        Some(limit) => limit.min(endpoint.reply_timeout),
        None => endpoint.reply_timeout,
    };
    let deadline = deadline_after(arrived, wait);
    // The body took all the time the vendor gives (a slow sender): it has hung up, and the
    // work a reply would report (a tool run) is not started for nobody.
    if Instant::now() >= deadline {
        refusal!(shared.refusals, trouble &endpoint.name, provider_name = %endpoint.name, vendor_event = shorten(&event.vendor_event), "a delivery the vendor waits on arrived after its reply deadline: not handed over");
        let message = "the delivery arrived after the time the vendor waits for a reply";
        return (StatusCode::GATEWAY_TIMEOUT, message).into_response();
    }
    // Its body is held until it is answered (and while its handler goes on after a
    // reply), within the receiver's budget.
    let Some(held) = shared.hold(endpoint, &body) else {
        return over_handled_budget(shared, &endpoint.name, &event);
    };
    let (reply, mut answer) = ReplySlot::new(deadline);
    tracing::debug!(provider_name = %provider, vendor_event = shorten(&event.vendor_event), call_id = event.call_id().map(|id| shorten(id.as_str())), "webhook request");
    // Handed over each time (a retry asks again), but keyed as news is: the application
    // can tell a retry, or a captured request posted again, and answer it as before. Not a
    // request that names neither a delivery nor a call (Retell's inbound webhook: the
    // agent and the two numbers): two calls from one number to another are alike.
    let key = EventKey::of_named(&endpoint.window_name, &event, &body);
    let delivery = Delivery {
        provider_name: provider,
        provider: endpoint.kind,
        event,
        reply: Some(reply),
        key,
    };
    let mut run = HandlerRun::start(shared, endpoint, delivery, span, held, None);
    if shared.channel_closed.is_some() {
        run = run.unqueued_if_dropped();
    }
    let (mut handled, mut unanswerable) = (false, false);
    let timeout = tokio::time::sleep_until(deadline);
    tokio::pin!(timeout);
    let outcome = loop {
        tokio::select! {
            // A reply given counts, whatever the handler does next.
            biased;
            reply = &mut answer, if !unanswerable => match reply {
                Ok(body) => break Answer::Reply(body),
                // Every copy that could reply is gone: with the channel it was queued on,
                // untaken (the application stopped listening).
                Err(_) if handled && shared.channel_closed.as_ref().is_some_and(|closed| closed()) => {
                    break Answer::Failed(HandlerError::channel_closed());
                }
                Err(_) if handled => break Answer::None,
                Err(_) => unanswerable = true,
            },
            result = std::future::poll_fn(|cx| run.poll_handler(cx)), if !handled => {
                handled = true;
                match result {
                    // It may have replied before failing, in the same poll.
                    Err(error) => match answer.try_recv() {
                        Ok(body) => break Answer::Reply(body),
                        Err(_) => break Answer::Failed(error),
                    },
                    Ok(()) if unanswerable => break Answer::None,
                    Ok(()) => {}
                }
            }
            () = &mut timeout => break Answer::TimedOut,
        }
    };
    // Settled: a reply given from now on (a task the handler started) is told it came too
    // late, rather than taken for one the vendor got; one given on another thread as the
    // deadline passed is still taken.
    answer.close();
    let outcome = match (outcome, answer.try_recv()) {
        (Answer::TimedOut, Ok(reply)) => Answer::Reply(reply),
        (outcome, _) => outcome,
    };
    // A handler still at work once the vendor has its answer (a reply, or 504) ends on its
    // own task (see `HandlerRun`); but a request still waiting for room in the channel at
    // 504 is not queued later (`unqueued_if_dropped`).
    let vendor_event = Arc::clone(&run.vendor_event);
    drop(run);
    let provider = &endpoint.name;
    match outcome {
        Answer::Reply(reply) => axum::Json(reply).into_response(),
        Answer::None => StatusCode::NO_CONTENT.into_response(),
        Answer::Failed(error) => handler_failed(&shared.refusals, provider, &vendor_event, error),
        Answer::TimedOut => {
            let vendor_event = &*vendor_event;
            refusal!(shared.refusals, trouble provider, provider_name = %provider, vendor_event, "no reply within the reply timeout to a delivery the vendor waits on");
            let message = "the application did not reply in time";
            (StatusCode::GATEWAY_TIMEOUT, message).into_response()
        }
    }
}

/// How a request the vendor waits on ended.
enum Answer {
    /// The application's reply: sent with 200.
    Reply(serde_json::Value),
    /// The handler succeeded and no copy of the delivery can reply any more: 204.
    None,
    /// The handler failed before any reply: 500 (503 for a closed channel).
    Failed(HandlerError),
    /// The vendor's deadline passed first: 504.
    TimedOut,
}

/// `wait` after `start`; a wait too long to count (`Duration::MAX` for "no limit") waits
/// about thirty years.
pub(super) fn deadline_after(start: Instant, wait: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);
    start.checked_add(wait).unwrap_or(start + FAR_FUTURE)
}

/// The answer to a delivery the application could not take: 503 when it stopped
/// receiving, else 500; either way the vendor retries. The application's message is
/// logged, not sent: it is the application's, not the vendor's business (a database's
/// address, a query). A closed channel is a warning (ten a minute per provider, the rest
/// at debug level); a handler's own failure is logged at `info`, as the handler that
/// returned it may have said it already (`voiceport listen` does, and shows the
/// receiver's warnings). Its message only at `debug`, as vendor text is (300 characters at
/// most, control characters and a URL's path and query left out: an address may carry a
/// password): a handler's `?` on a voiceport error carries the vendor's words, which may
/// quote a number called or what a customer said. `vendor_event` is the event's name as
/// [`shorten`] gives it ([`HandlerRun::vendor_event`]).
pub(super) fn handler_failed(
    refusals: &Refusals,
    provider: &str,
    vendor_event: &str,
    error: HandlerError,
) -> Response {
    let HandlerError { message, closed } = error;
    let (status, answer) = if closed {
        refusal!(refusals, trouble provider, provider_name = %provider, vendor_event, error = %vendor_text(&message), "the application stopped receiving webhook events");
        let answer = "the application is not receiving events: send it again later";
        (StatusCode::SERVICE_UNAVAILABLE, answer)
    } else {
        tracing::info!(provider_name = %provider, vendor_event, "the application did not take a webhook event");
        tracing::debug!(provider_name = %provider, vendor_event, error = %vendor_text(&message), "the application did not take a webhook event: its message");
        let answer = "the application could not take the event: send it again";
        (StatusCode::INTERNAL_SERVER_ERROR, answer)
    };
    (status, answer).into_response()
}

/// A key admitted to the de-duplication window, settled when this is dropped: delivered,
/// or forgotten so that the vendor's next attempt goes through.
pub(super) struct Admitted {
    pub(super) window: Arc<Mutex<Deduplicator>>,
    /// `None` once settled.
    pub(super) ticket: Option<Ticket>,
    pub(super) delivered: bool,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        let mut window = lock(&self.window);
        if self.delivered {
            window.delivered(ticket);
        } else {
            window.failed(ticket);
        }
    }
}

/// The handler's run for a delivery, which settles its key in the de-duplication window
/// (news) when it ends. Should it be dropped first (the vendor hung up and hyper dropped
/// the request's future, or a request was answered while its handler goes on), the handler
/// goes on on a task of its own rather than being cut at whatever `.await` it was at: its
/// work is done once, and a redelivery of news meanwhile finds it in flight (503), then
/// delivered (204). Its body stays held in the budget until then. A request the vendor
/// waits on that is still waiting for room in the application's channel is the exception
/// ([`HandlerRun::unqueued_if_dropped`]).
pub(super) struct HandlerRun {
    /// `None` once it has ended.
    pub(super) handling: Option<BoxFuture<'static, HandlerResult>>,
    /// News only.
    pub(super) admitted: Option<Admitted>,
    pub(super) held: Option<OwnedSemaphorePermit>,
    /// For the log of a failure no request is left to answer.
    pub(super) provider: Arc<str>,
    pub(super) refusals: Arc<Refusals>,
    /// The event's vendor name, cut short and escaped ([`shorten`]), taken before the
    /// delivery was handed over: what a failure's log names.
    pub(super) vendor_event: Arc<str>,
    /// Dropped before it ended, the handler is dropped too rather than going on.
    pub(super) unqueued_if_dropped: bool,
    /// The delivery's span, entered whenever the handler runs (on its own task too): what
    /// the application logs there names the provider.
    pub(super) span: tracing::Span,
    /// Counts the handler as running until it ends, on its own task too.
    pub(super) running: Option<super::running::Running>,
}

impl HandlerRun {
    /// Hands `delivery` (its body held in the budget by `held`) to the handler, in the
    /// delivery's `span`; news comes `admitted` to the window.
    pub(super) fn start(
        shared: &Shared,
        endpoint: &Endpoint,
        delivery: Delivery,
        span: &tracing::Span,
        held: OwnedSemaphorePermit,
        admitted: Option<Admitted>,
    ) -> Self {
        // Kept aside for the log of a failure (a few bytes, not the body to decode again).
        let vendor_event = Arc::from(shorten(&delivery.event.vendor_event));
        // A handler that panics before it returns its future fails like one whose future
        // panics: the vendor is answered 500, not dropped.
        let handling = span.in_scope(|| {
            std::panic::catch_unwind(AssertUnwindSafe(|| (shared.handler)(delivery)))
                .unwrap_or_else(|_| Box::pin(std::future::ready(Err(HandlerError::panicked()))))
        });
        HandlerRun {
            handling: Some(handling),
            admitted,
            held: Some(held),
            provider: Arc::clone(&endpoint.name),
            refusals: Arc::clone(&shared.refusals),
            vendor_event,
            unqueued_if_dropped: false,
            span: span.clone(),
            running: Some(shared.running.enter()),
        }
    }

    /// A request the vendor waits on, handed to the application's channel: should the run
    /// be dropped while the delivery still waits for room (its 504, or the vendor hanging
    /// up first and hyper dropping the request), it is never queued, so that no tool runs
    /// for a conversation that has moved on. (A handler function, which has the delivery
    /// already, goes on as any other.)
    fn unqueued_if_dropped(mut self) -> Self {
        self.unqueued_if_dropped = true;
        self
    }

    /// Polls the handler, which must not have ended; settles its key once it has.
    fn poll_handler(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<HandlerResult> {
        let Some(handling) = self.handling.as_mut() else {
            return std::task::Poll::Ready(Ok(()));
        };
        let result = std::task::ready!(self.span.in_scope(|| poll_caught(handling, cx)));
        self.handling = None;
        self.running = None;
        if let (Ok(()), Some(admitted)) = (&result, &mut self.admitted) {
            admitted.delivered = true;
        }
        std::task::Poll::Ready(result)
    }

    pub(super) async fn finish(mut self) -> HandlerResult {
        std::future::poll_fn(|cx| self.poll_handler(cx)).await
    }
}

impl Drop for HandlerRun {
    fn drop(&mut self) {
        let Some(handling) = self.handling.take() else {
            return;
        };
        if self.unqueued_if_dropped {
            return;
        }
        // Dropped as a panic unwinds (the handler's own are caught, so a bug elsewhere in
        // the request's task): the handler is dropped with it, and its key (news) forgotten.
        if std::thread::panicking() {
            return;
        }
        // Outside a runtime (it is shutting down) the handler is dropped, as its task would be.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (mut admitted, held) = (self.admitted.take(), self.held.take());
        let running = self.running.take();
        let (provider, vendor_event) = (Arc::clone(&self.provider), Arc::clone(&self.vendor_event));
        let refusals = Arc::clone(&self.refusals);
        let span = std::mem::replace(&mut self.span, tracing::Span::none());
        runtime.spawn(async move {
            let (_held, _running) = (held, running);
            let mut handling = handling;
            let handled = std::future::poll_fn(|cx| span.in_scope(|| poll_caught(&mut handling, cx)));
            match handled.await {
                Ok(()) => {
                    if let Some(admitted) = &mut admitted {
                        admitted.delivered = true;
                    }
                }
                // Its key (news) is forgotten with `admitted`: a redelivery is handed over.
                Err(error) => {
                    let vendor_event = &*vendor_event;
                    // Its message at debug level only, as above.
                    refusal!(refusals, trouble &provider, provider_name = %provider, vendor_event, "the handler failed after its delivery was answered, or after the vendor stopped waiting");
                    tracing::debug!(provider_name = %provider, vendor_event, error = %vendor_text(&error.to_string()), "the handler failed after its delivery was answered: its message");
                }
            }
        });
    }
}

/// Polls a handler's future, a panic in it being a failure: the vendor gets a 500 (its
/// retry is let through) rather than a dropped connection. A future that panicked is never
/// polled again: its owner drops it on `Ready`.
fn poll_caught(
    handling: &mut BoxFuture<'static, HandlerResult>,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<HandlerResult> {
    std::panic::catch_unwind(AssertUnwindSafe(|| handling.as_mut().poll(cx)))
        .unwrap_or(std::task::Poll::Ready(Err(HandlerError::panicked())))
}

pub(super) fn lock(window: &Mutex<Deduplicator>) -> std::sync::MutexGuard<'_, Deduplicator> {
    window
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
