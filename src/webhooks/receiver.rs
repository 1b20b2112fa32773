//! [`Receiver`]: the axum router in front of verification, decoding and de-duplication.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;
use futures::future::BoxFuture;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit, mpsc, oneshot};
use tokio::time::Instant;
use voiceport_core::webhook::{
    Admission, DEFAULT_IN_FLIGHT_LIMIT, Deduplicator, EventKey, HeadChecked, Scheme, Ticket,
    Verifier, VerifyError,
};
// Event names are logged through `shorten`: a verified body may name its event with megabytes.
use voiceport_core::adapter::shorten;
use voiceport_core::http::vendor_text;
use voiceport_core::{CallEvent, CallId, Codec, ProviderKind, Result};

use super::refusals::{Refusals, refusal};
use crate::Registry;

/// One verified, normalized event, and which provider it came through: a first-time event,
/// or a request the vendor waits on ([`CallEvent::expects_reply`]), handed over each time
/// it is asked.
#[derive(Debug)]
#[non_exhaustive]
pub struct Delivery {
    /// The provider's name in the configuration (`support`).
    pub provider_name: String,
    /// Its vendor.
    pub kind: ProviderKind,
    /// What happened.
    pub event: CallEvent,
    /// Where the application's answer goes, when the vendor waits for one.
    reply: Option<ReplySlot>,
    /// What identifies the event in the de-duplication window (news only).
    key: Option<EventKey>,
}

impl Delivery {
    /// A delivery of `event` through the provider named `provider_name`, as the receiver hands
    /// one over: for testing an application's handler without HTTP. It has no means to
    /// [reply](Self::reply) (which returns `false`) and no [key](Self::key).
    ///
    /// ```
    /// use voiceport::ProviderKind;
    /// use voiceport::webhooks::Delivery;
    ///
    /// # fn main() -> voiceport::Result<()> {
    /// let body = br#"{"message": {"type": "status-update", "status": "in-progress",
    ///     "call": {"id": "c-1"}, "timestamp": 1764400000000}}"#;
    /// let event = voiceport::codec(ProviderKind::Vapi)?.decode_webhook(body)?;
    /// let delivery = Delivery::new("support", ProviderKind::Vapi, event);
    /// assert_eq!(delivery.event.call_id().map(|id| id.as_str()), Some("c-1"));
    /// assert!(!delivery.reply(serde_json::json!({})));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn new(provider_name: impl Into<String>, kind: ProviderKind, event: CallEvent) -> Self {
        Delivery {
            provider_name: provider_name.into(),
            kind,
            event,
            reply: None,
            key: None,
        }
    }

    /// Answers the vendor's request with `body`, sent as JSON with 200, for an event that
    /// expects a reply ([`CallEvent::expects_reply`]): Vapi's `tool-calls` take
    /// `{"results": [{"toolCallId": "…", "result": "…"}]}`, its `assistant-request`
    /// `{"assistantId": "…"}`. The first reply counts. `false` when the event takes none,
    /// was answered already, or the vendor stopped waiting.
    ///
    /// The reply goes through the delivery the receiver handed over: its clones carry the
    /// event only, so that a copy kept for later does not keep the vendor waiting. The
    /// vendor is answered as soon as the reply is given, even while the handler is still
    /// working (it then finishes on its own task; a failure after the reply is logged).
    /// Without a reply: 204 once the handler has returned and the delivery is dropped, 500
    /// when the handler failed, 504 when the vendor's deadline
    /// ([`reply_deadline`](Self::reply_deadline)) came first.
    ///
    /// ```no_run
    /// use serde_json::json;
    /// use tokio::sync::mpsc;
    /// use voiceport::webhooks::Delivery;
    ///
    /// /// Answers the tool calls arriving on the channel of `Receiver::builder(…).channel(…)`.
    /// async fn answer_tool_calls(mut events: mpsc::Receiver<Delivery>) {
    ///     while let Some(delivery) = events.recv().await {
    ///         // A request (Vapi's `tool-calls`), not news that mentions a tool call.
    ///         let calls = delivery.event.tool_calls();
    ///         if delivery.event.expects_reply && !calls.is_empty() {
    ///             let results: Vec<_> = (calls.iter())
    ///                 .filter_map(|call| call.id.as_deref())
    ///                 .map(|id| json!({"toolCallId": id, "result": "booked for 10:30"}))
    ///                 .collect();
    ///             delivery.reply(json!({ "results": results }));
    ///         }
    ///     }
    /// }
    /// ```
    pub fn reply(&self, body: serde_json::Value) -> bool {
        self.reply.as_ref().is_some_and(|slot| slot.send(body))
    }

    /// When the vendor stops waiting for the [reply](Self::reply), for a delivery that
    /// can reply: the provider's `reply_timeout_secs` (else the receiver's
    /// [`reply_timeout`](ReceiverBuilder::reply_timeout)) from the delivery's arrival, or
    /// sooner where the vendor's own limit is shorter (Vapi's 7.5 seconds for an
    /// `assistant-request`, Retell's 10 seconds for its inbound webhook). Work that cannot
    /// finish by then can answer something simpler in time:
    ///
    /// ```no_run
    /// # async fn lookup_agent() -> String { String::new() }
    /// use serde_json::json;
    /// use voiceport::webhooks::Delivery;
    ///
    /// async fn answer_inbound(delivery: Delivery) {
    ///     let Some(deadline) = delivery.reply_deadline() else { return };
    ///     // A second kept for the answer's way back to the vendor.
    ///     let ours = deadline - std::time::Duration::from_secs(1);
    ///     let agent = tokio::time::timeout_at(ours, lookup_agent()).await;
    ///     let agent = agent.unwrap_or_else(|_| "agent_default".to_string());
    ///     delivery.reply(json!({ "call_inbound": { "override_agent_id": agent } }));
    /// }
    /// ```
    pub fn reply_deadline(&self) -> Option<Instant> {
        self.reply.as_ref().map(|slot| slot.deadline)
    }

    /// What identifies this event however often the vendor delivers it, for news (`None`
    /// for a request, which is handed over each time). The receiver passes an event on
    /// once per key while it is in its window; an application that stores events can
    /// still see one again (delivered, then the vendor's retry after a failure or after the
    /// window moved on) and tell it by this key. Its text is 64 hexadecimal digits.
    pub fn key(&self) -> Option<EventKey> {
        self.key
    }
}

impl Clone for Delivery {
    /// The event and where it came from, without the means to reply.
    fn clone(&self) -> Self {
        Delivery {
            provider_name: self.provider_name.clone(),
            kind: self.kind,
            event: self.event.clone(),
            reply: None,
            key: self.key,
        }
    }
}

/// The sending half of a reply, used once, and when the vendor stops waiting for it.
struct ReplySlot {
    sender: Mutex<Option<oneshot::Sender<serde_json::Value>>>,
    deadline: Instant,
}

impl ReplySlot {
    fn new(deadline: Instant) -> (ReplySlot, oneshot::Receiver<serde_json::Value>) {
        let (sender, answer) = oneshot::channel();
        let slot = ReplySlot {
            sender: Mutex::new(Some(sender)),
            deadline,
        };
        (slot, answer)
    }

    fn send(&self, body: serde_json::Value) -> bool {
        let sender = (self.sender.lock())
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        sender.is_some_and(|sender| sender.send(body).is_ok())
    }
}

impl fmt::Debug for ReplySlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplySlot")
    }
}

/// The application could not take an event: the receiver answers 500 (503 when the
/// event channel is closed) and lets the vendor's retry through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    message: String,
    closed: bool,
}

impl HandlerError {
    /// A failure to report to the vendor (as a 500) with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        HandlerError {
            message: message.into(),
            closed: false,
        }
    }

    /// The handler panicked: 500, as for a failure it returned (the panic's own message
    /// is the panic hook's to print).
    fn panicked() -> Self {
        HandlerError::new("the handler panicked")
    }

    /// The application dropped the event channel's receiving end: 503, so that the vendor
    /// sends it again.
    fn channel_closed() -> Self {
        HandlerError {
            message: "the application stopped receiving events".into(),
            closed: true,
        }
    }

    /// A failure carrying `error`'s message and those of its sources, each once
    /// (`saving the booking: connection refused`), for a handler's `map_err`.
    ///
    /// ```
    /// use voiceport::webhooks::HandlerError;
    ///
    /// let io = std::io::Error::other("connection refused");
    /// let failure = HandlerError::from_error(&io);
    /// assert_eq!(failure.to_string(), "connection refused");
    /// ```
    pub fn from_error(error: &(dyn std::error::Error + 'static)) -> Self {
        HandlerError::new(voiceport_core::chain_text(error))
    }
}

// A handler's `?` on voiceport's own errors and on a message.
impl From<crate::Error> for HandlerError {
    fn from(error: crate::Error) -> Self {
        HandlerError::from_error(&error)
    }
}

impl From<String> for HandlerError {
    fn from(message: String) -> Self {
        HandlerError::new(message)
    }
}

impl From<&str> for HandlerError {
    fn from(message: &str) -> Self {
        HandlerError::new(message)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandlerError {}

/// What a handler's future ends with.
type HandlerResult = std::result::Result<(), HandlerError>;

type Handler = Arc<dyn Fn(Delivery) -> BoxFuture<'static, HandlerResult> + Send + Sync>;

/// Serves `POST /webhooks/{provider}` for every provider with a webhook table. Build it
/// with [`Receiver::builder`].
#[derive(Debug)]
pub struct Receiver;

impl Receiver {
    /// A receiver for the providers of `registry` that have a `[providers.NAME.webhook]`
    /// table.
    #[must_use]
    pub fn builder(registry: &Registry) -> ReceiverBuilder<'_> {
        ReceiverBuilder {
            registry,
            only: None,
            body_limit: DEFAULT_BODY_LIMIT,
            window: DEFAULT_WINDOW,
            keep_for: DEFAULT_KEEP_FOR,
            in_flight_limit: DEFAULT_IN_FLIGHT_LIMIT,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            unverified_budget: DEFAULT_UNVERIFIED_BODY_BUDGET,
            handled_budget: DEFAULT_HANDLED_BODY_BUDGET,
            refuse_other_paths: false,
        }
    }
}

/// The largest delivery accepted by default: 4 MiB (an end-of-call report with a long
/// transcript and every message is a few hundred KiB).
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// How long a delivery's body may take to arrive by default, from the request's start:
/// 15 seconds. A vendor posts a few KiB at once; a body that trickles in longer is
/// answered 408 and delivers nothing, so that a sender that never finishes does not hold
/// its connection and buffer for good.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(15);

/// How many bytes of bodies not yet verified the deliveries to one provider may hold
/// together by default: 64 MiB. Where a provider's scheme signs the body (Retell's
/// signature, an HMAC), the headers prove only that a signature is well formed and fresh,
/// which anyone can forge: its body must be read to be checked. Such bodies share their
/// provider's budget while they arrive; a delivery whose body would go over it is answered
/// 503 with `Retry-After` at once, without reading more of it, and a body's share is
/// released as soon as it is verified or refused. Each provider has a budget of its own,
/// so that forgeries posted to one cannot refuse another's deliveries. A vendor's
/// deliveries take a few KiB each.
pub const DEFAULT_UNVERIFIED_BODY_BUDGET: usize = 64 * 1024 * 1024;

/// How many bytes the bodies of the deliveries being handled may hold together by
/// default, across the receiver: 256 MiB. A verified delivery holds its body (its event's
/// payloads are slices of it) until it is answered: while the handler runs, while a full
/// event channel makes it wait, while a request the vendor waits on waits for its reply. A
/// slow application, or a sender with the credentials, could otherwise make the receiver
/// hold any number of them; a delivery that would go over the budget is answered 503 with
/// `Retry-After` and is not handed over.
pub const DEFAULT_HANDLED_BODY_BUDGET: usize = 256 * 1024 * 1024;

/// How many deliveries the de-duplication window remembers by default.
pub const DEFAULT_WINDOW: usize = 10_000;

/// How long the de-duplication window keeps each delivery at least by default, however
/// many come after it: five minutes, or twice the provider's signing tolerance where that
/// is longer (a signing time up to the tolerance ahead of this clock is accepted for as
/// long again). Up to [`WINDOW_CEILING`] times the window's size.
pub const DEFAULT_KEEP_FOR: Duration = Duration::from_secs(300);

/// How many times its size a de-duplication window may grow to keep its deliveries for
/// their least age (at about 100 bytes a delivery, 10 MB for the default window). A call's
/// start, status changes and end are kept apart from other events, with a size and ceiling
/// of their own, so that a flood of messages cannot push them out: twice that at most.
pub const WINDOW_CEILING: usize = 10;

/// How long a delivery that expects a reply waits for the handler and the application's
/// reply by default: 20 seconds, Vapi's default server timeout. A vendor's shorter fixed
/// limit applies in any case ([`Delivery::reply_deadline`]).
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// Options of a [`Receiver`]; finish with [`channel`](Self::channel) or
/// [`handler`](Self::handler).
#[derive(Debug)]
pub struct ReceiverBuilder<'a> {
    registry: &'a Registry,
    only: Option<Vec<String>>,
    body_limit: usize,
    window: usize,
    keep_for: Duration,
    in_flight_limit: Duration,
    reply_timeout: Duration,
    body_timeout: Duration,
    unverified_budget: usize,
    handled_budget: usize,
    refuse_other_paths: bool,
}

impl ReceiverBuilder<'_> {
    /// Serves only these providers (each must have a webhook table).
    #[must_use]
    pub fn providers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Also answers requests to the paths it does not serve (404: a webhook URL with
    /// `/webhooks` twice, a scanner), logged as refused deliveries are: ten warnings a
    /// minute, counted with the provider names it does not serve. For a router served on
    /// its own, as `voiceport listen` serves it; leave it off for a router merged into an
    /// application's, whose other paths it would take.
    #[must_use]
    pub fn refuse_other_paths(mut self) -> Self {
        self.refuse_other_paths = true;
        self
    }

    /// The largest body accepted (413 beyond it, at once when its `Content-Length` says
    /// so); [`DEFAULT_BODY_LIMIT`] by default.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a body may take to arrive, from the request's start (408 beyond it, nothing
    /// delivered); [`DEFAULT_BODY_TIMEOUT`] by default.
    #[must_use]
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How many bytes the bodies not yet verified may hold together, for each provider
    /// (503 with `Retry-After` for a delivery that would go over its provider's; see
    /// [`DEFAULT_UNVERIFIED_BODY_BUDGET`], the default). Never less than the body limit,
    /// so that one body of any size accepted fits; counted in KiB. It covers the bodies of
    /// providers whose scheme signs the body, and of those not verified (`verify =
    /// "none"`) while they arrive. Each provider has a budget of this size, so that a
    /// flood of forgeries (or of bodies to a provider not verified) at one endpoint cannot
    /// refuse the deliveries of the others: such bodies may hold up to this many bytes
    /// times the number of providers served.
    #[must_use]
    pub fn unverified_body_budget(mut self, bytes: usize) -> Self {
        self.unverified_budget = bytes;
        self
    }

    /// How many bytes the bodies of the deliveries being handled may hold together, across
    /// the receiver (503 with `Retry-After` for a delivery that would go over it; see
    /// [`DEFAULT_HANDLED_BODY_BUDGET`], the default). Never less than the body limit, so
    /// that one body of any size accepted fits; counted in KiB, and a body at least as 8 KiB
    /// (what it holds of the connection's read buffer, which it shares). A delivery holds its share
    /// from when its body is verified until it is answered; in [`channel`](Self::channel)
    /// mode, the events waiting in the channel hold their bodies besides (the channel's
    /// capacity bounds them).
    #[must_use]
    pub fn handled_body_budget(mut self, bytes: usize) -> Self {
        self.handled_budget = bytes;
        self
    }

    /// How many deliveries the de-duplication window of each provider remembers;
    /// [`DEFAULT_WINDOW`] by default. Each provider has its own, so that a busy one (or one
    /// posted to without verification) cannot push another's deliveries out of it, and in
    /// each a call's start, status changes and end are kept apart from other events (as
    /// many again), so that a flood of transcript messages cannot push them out.
    #[must_use]
    pub fn dedup_window(mut self, deliveries: usize) -> Self {
        self.window = deliveries;
        self
    }

    /// How long each provider's de-duplication window keeps a delivery at least, however
    /// many come after it (up to [`WINDOW_CEILING`] times the window's size), for the
    /// providers whose scheme signs no time or signs it with a shorter tolerance;
    /// [`DEFAULT_KEEP_FOR`] by default. Twice a provider's signing tolerance is the least,
    /// whatever is set here: a replay its signature still accepts is recognized. With
    /// `Duration::ZERO`, the window of a provider whose scheme signs no time is kept to
    /// its size alone.
    #[must_use]
    pub fn dedup_keep_for(mut self, least: Duration) -> Self {
        self.keep_for = least;
        self
    }

    /// How long a delivery's handler may run before a redelivery of it is handed over
    /// again (taken for a handler that will never end); until then a redelivery is
    /// answered 503 with `Retry-After`. [`DEFAULT_IN_FLIGHT_LIMIT`] (5 minutes) by default:
    /// a handler that may take longer (a channel the application reads slowly) needs a
    /// longer limit, or a redelivery is handled twice.
    #[must_use]
    pub fn dedup_in_flight_for(mut self, limit: Duration) -> Self {
        self.in_flight_limit = limit;
        self
    }

    /// How long a delivery that expects a reply ([`Delivery::reply`]) waits for the handler
    /// and the reply before the vendor is answered 504 (a handler still working then goes
    /// on to its end on a task of its own; in channel mode, a request not yet queued is
    /// not queued), for the providers whose webhook table sets no `reply_timeout_secs`;
    /// [`DEFAULT_REPLY_TIMEOUT`] by default. Keep it within the vendor's own timeout
    /// (Vapi's `server.timeoutSeconds`); a vendor's shorter fixed limit (Vapi's
    /// `assistant-request`, Retell's inbound webhook) applies in any case.
    #[must_use]
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// The names of the providers this receiver would serve.
    pub fn served(&self) -> Result<Vec<String>> {
        Ok(self.endpoints()?.into_keys().collect())
    }

    /// The router, and the channel each event arrives on. A full channel holds the
    /// vendor's request until there is room; a dropped receiving end answers 503.
    ///
    /// News is answered 204 once it is in the channel, before the application takes it:
    /// events still in the channel when the receiving end is dropped (or the process ends)
    /// are lost, and the vendor does not send them again. Where an event must be handled
    /// before it is acknowledged, use [`handler`](Self::handler), whose `Err` the vendor is
    /// told of. A request the vendor waits on ([`Delivery::reply`]) is answered with the
    /// reply, 204 once every copy of it is dropped unanswered, or 503 when it is dropped
    /// with the closed channel, untaken.
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config): a provider named in
    /// [`providers`](Self::providers) that is unknown or has no webhook table, a secret
    /// that cannot be read (its environment variable unset), a webhook table that does not
    /// make a verifier, or no provider to serve at all.
    pub fn channel(self, capacity: usize) -> Result<(Router, mpsc::Receiver<Delivery>)> {
        let (sender, events) = mpsc::channel(capacity.max(1));
        let probe = sender.clone();
        let closed: Box<dyn Fn() -> bool + Send + Sync> = Box::new(move || probe.is_closed());
        let handler: Handler = Arc::new(move |delivery| {
            let sender = sender.clone();
            Box::pin(async move {
                sender
                    .send(delivery)
                    .await
                    .map_err(|_| HandlerError::channel_closed())
            })
        });
        Ok((self.router(handler, Some(closed))?, events))
    }

    /// The router, handing each event to `handler`; an `Err` (or a panic, which the
    /// receiver catches) answers 500 so that the vendor retries.
    ///
    /// A handler runs to its end, even when the vendor stops waiting first (its timeout
    /// passed, and it hung up): it goes on on a task of its own rather than being cut at
    /// an `.await`. A redelivery of the event meanwhile is answered 503 (the same event is
    /// being delivered); once the handler has succeeded, 204 as a duplicate; once it has
    /// failed (logged as a warning), it is handed over again. Until it ends, its body
    /// counts against the budget of bodies being handled: a handler that never returns
    /// holds that share for good. Work longer than the vendor waits is better taken off
    /// the request ([`channel`](Self::channel), or a task of the handler's own).
    ///
    /// # Errors
    ///
    /// As [`channel`](Self::channel).
    pub fn handler<F, Fut>(self, handler: F) -> Result<Router>
    where
        F: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |delivery| Box::pin(handler(delivery)));
        self.router(handler, None)
    }

    fn endpoints(&self) -> Result<BTreeMap<String, Endpoint>> {
        let mut endpoints = BTreeMap::new();
        for (name, config) in &self.registry.file().providers {
            let named = self.only.as_ref().map(|only| only.contains(name));
            // A provider left out is not looked at: its secret need not be set.
            if named == Some(false) {
                continue;
            }
            let verifier = match config.webhook_verifier()? {
                Some(verifier) => verifier,
                None if named == Some(true) => {
                    return Err(voiceport_core::Error::config(
                        config.field("webhook"),
                        "no webhook table: add [providers.NAME.webhook] to receive its deliveries",
                    ));
                }
                None => continue,
            };
            let codec = crate::codec_named(config.kind, || config.field("kind"))?;
            let reply_timeout = match &config.webhook {
                Some(table) => table.reply_timeout(&config.field("webhook"))?,
                None => None,
            };
            let window = Arc::new(Mutex::new(self.window_for(&verifier)));
            endpoints.insert(
                name.clone(),
                Endpoint {
                    name: Arc::from(name.as_str()),
                    kind: config.kind,
                    codec,
                    verifier,
                    reply_timeout: reply_timeout.unwrap_or(self.reply_timeout),
                    window,
                    unverified: Semaphore::new(self.budget_kib(self.unverified_budget)),
                },
            );
        }
        if let Some(only) = &self.only
            && let Some(unknown) = only.iter().find(|name| !endpoints.contains_key(*name))
        {
            return Err(self.registry.file().unknown_provider(unknown));
        }
        Ok(endpoints)
    }

    /// A de-duplication window for a provider checked by `verifier`: it keeps what its
    /// signature still accepts. A signing time up to the tolerance ahead of this clock is
    /// accepted, and stays so for as long again: twice the tolerance.
    fn window_for(&self, verifier: &Verifier) -> Deduplicator {
        let signed = verifier.tolerance().unwrap_or_default().saturating_mul(2);
        let size = self.window.max(1);
        Deduplicator::new(size)
            .keeping_for(
                signed.max(self.keep_for),
                size.saturating_mul(WINDOW_CEILING),
            )
            .in_flight_for(self.in_flight_limit)
    }

    /// The KiB of a budget of `bytes`: as many as a semaphore holds, and never less than
    /// one body of the largest size.
    fn budget_kib(&self, bytes: usize) -> usize {
        let kib = |bytes: usize| bytes.div_ceil(1024).min(Semaphore::MAX_PERMITS);
        kib(bytes).max(kib(self.body_limit))
    }

    fn router(
        self,
        handler: Handler,
        channel_closed: Option<Box<dyn Fn() -> bool + Send + Sync>>,
    ) -> Result<Router> {
        let endpoints = self.endpoints()?;
        // A router serving nothing would answer every delivery 404: a configuration that
        // forgot its webhook tables, said now rather than by the vendor's failures.
        if endpoints.is_empty() {
            return Err(voiceport_core::Error::config(
                "providers",
                "no provider has a [providers.NAME.webhook] table: the receiver would serve nothing",
            ));
        }
        for (name, endpoint) in &endpoints {
            let scheme = endpoint.verifier.scheme();
            if scheme == Scheme::None {
                tracing::warn!(provider_name = %name, "webhook deliveries are NOT verified (verify = \"none\")");
            }
            // A check the vendor's deliveries never pass refuses every one that comes
            // straight (no check at all, warned of above, passes them all).
            if let Some(why) = scheme
                .never_sent_by(endpoint.kind)
                .filter(|_| scheme != Scheme::None)
            {
                tracing::warn!(provider_name = %name, verify = %scheme, "{why}; as set, this check refuses every delivery that comes straight from the vendor");
            }
        }
        // Named, never shown: the secret stays out of the line.
        let served: Vec<_> = endpoints.iter().collect();
        for (i, (name, endpoint)) in served.iter().enumerate() {
            for (other, other_endpoint) in served.iter().skip(i + 1) {
                if endpoint
                    .verifier
                    .shares_secret_with(&other_endpoint.verifier)
                {
                    tracing::warn!(provider_name = %name, other = %other, "two providers verify webhooks with the same secret: a delivery made for one can be made to pass the other's check; give each its own where the vendor allows (Retell signs with the account's key)");
                }
            }
        }
        let refusals = Refusals::new(endpoints.keys().map(String::as_str));
        let shared = Arc::new(Shared {
            refusals,
            endpoints,
            handler,
            channel_closed,
            body_timeout: self.body_timeout,
            body_limit: self.body_limit,
            handled: Arc::new(Semaphore::new(self.budget_kib(self.handled_budget))),
        });
        let deliveries = post(receive).fallback(not_a_post);
        let router = Router::new().route("/webhooks/{provider}", deliveries);
        let router = match self.refuse_other_paths {
            true => router.fallback(unrouted),
            false => router,
        };
        Ok(router.with_state(shared))
    }
}

struct Endpoint {
    /// Its name in the configuration, for the logs of work that outlives the request.
    name: Arc<str>,
    kind: ProviderKind,
    codec: &'static dyn Codec,
    verifier: Verifier,
    /// How long its requests wait for the application's answer, short of the vendor's
    /// fixed limits.
    reply_timeout: Duration,
    /// Its de-duplication window (shared with the handlers that outlive their request).
    window: Arc<Mutex<Deduplicator>>,
    /// The KiB that its bodies not yet verified may still take.
    unverified: Semaphore,
}

struct Shared {
    endpoints: BTreeMap<String, Endpoint>,
    /// How many deliveries each provider refused lately: past a few a minute, refusals are
    /// logged at debug level.
    refusals: Refusals,
    handler: Handler,
    /// In channel mode, whether the application dropped its receiving end: a request
    /// dropped unanswered then was never taken, and the vendor hears so (503).
    channel_closed: Option<Box<dyn Fn() -> bool + Send + Sync>>,
    body_timeout: Duration,
    body_limit: usize,
    /// The KiB that the bodies of the deliveries being handled may still take.
    handled: Arc<Semaphore>,
}

/// The least a body counts for in the budget of bodies being handled, in KiB: one read
/// in a single chunk is a slice of the connection's read buffer (at least 8 KiB, hyper's
/// smallest), which it keeps whole while it is held. Counted at its length alone, a
/// small delivery would hold eight times what it counts.
const HELD_BODY_MIN_KIB: usize = 8;

impl Shared {
    /// The share of the budget of bodies being handled that a verified `body` takes until
    /// its delivery is answered (or, for a request answered while its handler goes on,
    /// until the handler ends); `None` when the budget has not that much left.
    fn hold(&self, body: &Bytes) -> Option<OwnedSemaphorePermit> {
        let kib = u32::try_from(body.len().div_ceil(1024).max(HELD_BODY_MIN_KIB)).ok()?;
        Arc::clone(&self.handled).try_acquire_many_owned(kib).ok()
    }
}

/// The answer to a verified delivery the budget of bodies being handled cannot take: 503
/// with `Retry-After`, nothing handed over.
fn over_handled_budget(shared: &Shared, provider: &str, event: &CallEvent) -> Response {
    refusal!(shared.refusals, provider, provider_name = %provider, vendor_event = %shorten(&event.vendor_event), "webhook deliveries being handled are at their budget: delivery refused for now");
    busy("too many deliveries are being handled: send it again later")
}

/// 503 with `Retry-After: 5`: a budget is spent, and the vendor is asked to send the
/// delivery again later.
fn busy(message: &'static str) -> Response {
    let retry = [(header::RETRY_AFTER, "5")];
    (StatusCode::SERVICE_UNAVAILABLE, retry, message).into_response()
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    Path(provider): Path<String>,
    request: Request,
) -> Response {
    // A vendor's wait for its answer starts when it sent the request, not once the body
    // is read and checked.
    let arrived = Instant::now();
    let Some(endpoint) = shared.endpoints.get(&provider) else {
        // Most often a webhook URL set at the vendor with another provider's name. Refused
        // before its body is read; the name is logged escaped (it comes from the URL).
        refusal!(shared.refusals, &provider, provider_name = ?provider, "delivery for a provider this receiver does not serve");
        return (StatusCode::NOT_FOUND, "no such webhook provider").into_response();
    };
    // The headers are taken out of the request rather than extracted as a `HeaderMap`,
    // which would copy them.
    let (parts, body) = request.into_parts();
    let span = tracing::debug_span!(
        "voiceport.webhook",
        provider = %endpoint.kind,
        provider_name = %provider
    );
    let read = read_checked(&shared, endpoint, &parts, body, arrived, &span).await;
    let (head, body, held) = match read {
        Ok(read) => read,
        Err(answer) => return answer,
    };
    let entered = span.enter();
    let event = match verify_and_decode(endpoint, &head, &body, held) {
        Ok(event) => event,
        Err(unaccepted) => return unaccepted.answer(&shared, &endpoint.name),
    };
    if event.expects_reply {
        drop(entered);
        return answer_request(&shared, provider, endpoint, event, body, arrived).await;
    }
    admit_and_dispatch(&shared, provider, endpoint, event, &body, entered).await
}

/// A request to a path the router does not serve ([`ReceiverBuilder::refuse_other_paths`]):
/// 404, and a refusal counted with the provider names not served (one count: they come
/// from the URL), the path escaped.
async fn unrouted(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> StatusCode {
    let path = uri.path();
    refusal!(shared.refusals, path, method = %method, path = ?path, "request refused: deliveries go to /webhooks/NAME, NAME a provider served");
    StatusCode::NOT_FOUND
}

/// A request to a delivery path with another method than POST (a GET to see whether the
/// URL is up): 405, and a refusal counted as for a path not served (the name comes from
/// the URL).
async fn not_a_post(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    let path = uri.path();
    refusal!(shared.refusals, path, method = %method, path = ?path, "request refused: deliveries are POSTs");
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response()
}

/// What the URL and headers prove, checked before the body is read (a stranger's delivery,
/// with no secret, no signature or a stale one, is refused without holding its body), then
/// the body, read within the size limit, the body timeout and, until it is verified, the
/// provider's budget of bodies not yet verified. Refusals are answered here.
async fn read_checked<'a>(
    shared: &Shared,
    endpoint: &'a Endpoint,
    parts: &'a Parts,
    body: Body,
    arrived: Instant,
    span: &tracing::Span,
) -> std::result::Result<(HeadChecked<'a>, Bytes, Held<'a>), Response> {
    let (provider, headers) = (&*endpoint.name, &parts.headers);
    let head = match endpoint.verifier.check_head(parts.uri.query(), headers) {
        Ok(head) => head,
        Err(refused) => {
            let hint = scheme_hint(endpoint.kind, endpoint.verifier.scheme(), &refused, headers);
            return Err(span.in_scope(|| refuse(shared, provider, &refused, hint.as_deref())));
        }
    };
    // A page open in a browser can post to a receiver on this machine (`voiceport listen`)
    // without asking first (a "simple" request: `text/plain`, no preflight); no vendor's
    // server sends what browsers add. Where nothing is verified, that is the only guard.
    if endpoint.verifier.scheme() == Scheme::None && from_a_browser(headers) {
        span.in_scope(|| {
            refusal!(shared.refusals, provider, provider_name = %provider, "webhook delivery refused: sent by a browser (`Origin` or `Sec-Fetch-Site`), to a provider that verifies nothing");
        });
        return Err((StatusCode::FORBIDDEN, "forbidden").into_response());
    }
    // What the headers say of the body is checked before it is read, too.
    if let Some(refused) = span.in_scope(|| refuse_body(shared, provider, headers)) {
        return Err(refused);
    }
    // A signature can only be checked against the body, and anyone can send one well
    // formed and fresh: until it is checked, the body takes its share of a budget that all
    // such bodies to this provider share, so that forgeries cannot make the receiver hold
    // more (nor refuse the other providers' deliveries). (Under `none` nothing is ever
    // checked: its bodies count while they arrive.)
    let unchecked = head.signs_body() || endpoint.verifier.scheme() == Scheme::None;
    let budget = unchecked.then_some(&endpoint.unverified);
    let reading = read_body(body, declared_length(headers), shared.body_limit, budget);
    // A body already in (most are) is read without setting a timer.
    let read = tokio::time::timeout_at(deadline_after(arrived, shared.body_timeout), reading);
    match read.await {
        Ok(Ok((body, held))) => Ok((head, body, held)),
        Ok(Err(unread)) => Err(span.in_scope(|| unread.answer(shared, provider))),
        Err(_) => {
            refusal!(shared.refusals, provider, provider_name = %provider, "webhook body still arriving at the body timeout: refused");
            let message = "the body took too long to arrive";
            Err((StatusCode::REQUEST_TIMEOUT, message).into_response())
        }
    }
}

/// The event of a `body` verified against its `head`. The body's share of the budget
/// (`held`) goes back once it is verified or refused.
fn verify_and_decode(
    endpoint: &Endpoint,
    head: &HeadChecked<'_>,
    body: &Bytes,
    held: Held<'_>,
) -> std::result::Result<CallEvent, Unaccepted> {
    let verified = head.verify_body(body);
    drop(held);
    verified.map_err(Unaccepted::Refused)?;
    // The event's payloads are slices of the body rather than copies: the event and its
    // body live and go together. A byte-order mark before the JSON (signed with it) is
    // left out of what is decoded.
    let json = body.slice_ref(voiceport_core::adapter::strip_bom(body));
    voiceport_core::sharing_body(&json, || endpoint.codec.decode_webhook(&json))
        .map_err(Unaccepted::Unparsable)
}

/// Why a body read whole was not taken.
enum Unaccepted {
    /// It failed verification: 401.
    Refused(VerifyError),
    /// It does not parse: 400.
    Unparsable(voiceport_core::Error),
}

impl Unaccepted {
    fn answer(self, shared: &Shared, provider: &str) -> Response {
        match self {
            Unaccepted::Refused(refused) => refuse(shared, provider, &refused, None),
            Unaccepted::Unparsable(error) => {
                // Where, not what: the error quotes the body (a transcript, a caller's
                // number), which a log kept at `warn` should not hold.
                let path = error.json_path().unwrap_or_default();
                refusal!(shared.refusals, provider, provider_name = %provider, path, "webhook body does not parse (the error, quoting the body, at debug level)");
                tracing::debug!(provider_name = %provider, %error, "webhook body does not parse");
                (StatusCode::BAD_REQUEST, error.to_string()).into_response()
            }
        }
    }
}

/// News (not a request): passed on once per key in the provider's de-duplication window,
/// acknowledged 204 when it is a redelivery of one delivered, 503 while the first delivery
/// is still being handled. `entered` (the delivery's span) is left before the handler runs.
async fn admit_and_dispatch(
    shared: &Shared,
    provider: String,
    endpoint: &Endpoint,
    event: CallEvent,
    body: &Bytes,
    entered: tracing::span::Entered<'_>,
) -> Response {
    let key = EventKey::of(&provider, &event, body);
    // The window's lock is let go before anything is logged (a subscriber may block).
    let admission = lock(&endpoint.window).begin(key);
    let ticket = match admission {
        Admission::First(ticket) => ticket,
        Admission::Delivered => {
            tracing::debug!(vendor_event = %shorten(&event.vendor_event), "duplicate delivery, not passed on");
            return StatusCode::NO_CONTENT.into_response();
        }
        // Acknowledging it would lose the event should the first delivery still fail:
        // the vendor is asked to send it again, by when the first has settled.
        Admission::InFlight => {
            tracing::debug!(vendor_event = %shorten(&event.vendor_event), "duplicate of a delivery still being handled");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
                "the same event is being delivered",
            )
                .into_response();
        }
    };
    // Until the handler succeeds the key is only admitted: it is forgotten when the handler
    // fails, so that the vendor's retry goes through.
    let admitted = Admitted {
        window: Arc::clone(&endpoint.window),
        ticket: Some(ticket),
        delivered: false,
    };
    // Its body is held until its handler ends, within the receiver's budget (over it, the
    // key is forgotten with `admitted`).
    let Some(held) = shared.hold(body) else {
        return over_handled_budget(shared, &endpoint.name, &event);
    };
    tracing::debug!(vendor_event = %shorten(&event.vendor_event), call_id = event.call_id().map(CallId::as_str), "webhook event");
    let delivery = Delivery {
        provider_name: provider,
        kind: endpoint.kind,
        event,
        reply: None,
        key: Some(key),
    };
    drop(entered);
    let run = HandlerRun::start(shared, endpoint, delivery, body, held, Some(admitted));
    match run.finish().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => handler_failed(
            &endpoint.name,
            &vendor_event_of(endpoint.codec, body),
            error,
        ),
    }
}

/// The vendor's type of the event in `body`, for the log of a failure to handle it: the
/// event went to the handler, and is decoded again rather than copied aside for every
/// delivery.
fn vendor_event_of(codec: &dyn Codec, body: &Bytes) -> String {
    let decoded = voiceport_core::sharing_body(body, || codec.decode_webhook(body));
    decoded.map(|event| event.vendor_event).unwrap_or_default()
}

/// A delivery that failed verification: 401, and a warning naming the provider (a
/// listener logs warnings only, without the span that names it too) and, where the
/// headers suggest it, the scheme the vendor may be using instead (`hint`). The reason is
/// for the log only: a caller not yet known to be the vendor learns nothing of the headers
/// expected or of this clock.
/// Whether a request carries what a browser adds to a page's request, and no vendor's
/// server sends.
fn from_a_browser(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site")
}

fn refuse(shared: &Shared, provider: &str, refused: &VerifyError, hint: Option<&str>) -> Response {
    refusal!(shared.refusals, provider, provider_name = %provider, %refused, hint, "webhook delivery refused");
    (StatusCode::UNAUTHORIZED, "unauthorized").into_response()
}

/// For a delivery refused as missing the header its scheme reads: the scheme whose header
/// ([`Scheme::default_header`]) it carries instead, when the provider's vendor sends that
/// scheme. A Vapi server set up today with a credential sends `Authorization: Bearer` or
/// an HMAC signature, which the default (legacy) scheme refuses as missing
/// `X-Vapi-Secret`. Only header names are looked at (and a bearer's prefix), never their
/// values.
fn scheme_hint(
    kind: ProviderKind,
    configured: Scheme,
    refused: &VerifyError,
    headers: &HeaderMap,
) -> Option<String> {
    if !matches!(refused, VerifyError::Missing { .. }) {
        return None;
    }
    let carries = |scheme: Scheme, name: &str| match scheme {
        Scheme::Bearer => (headers.get(name))
            .and_then(|value| value.as_bytes().get(..7))
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"bearer ")),
        _ => headers.contains_key(name),
    };
    [Scheme::Header, Scheme::Bearer, Scheme::Hmac]
        .into_iter()
        .filter(|scheme| *scheme != configured && scheme.never_sent_by(kind).is_none())
        .find_map(|scheme| {
            let name = scheme.default_header(kind)?;
            let what = match scheme {
                Scheme::Header => "a shared secret",
                Scheme::Bearer => "a Bearer credential",
                _ => "an HMAC credential",
            };
            carries(scheme, name).then(|| {
                format!("the delivery carries {name}: {what} is checked with verify = \"{scheme}\"")
            })
        })
}

/// The answer to a delivery whose headers say its body cannot be taken, before it is read:
/// 415 for a body encoded (compressed) other than as sent, which would be checked and
/// parsed as its encoded bytes; 413 for a `Content-Length` over the cap.
fn refuse_body(shared: &Shared, provider: &str, headers: &HeaderMap) -> Option<Response> {
    let identity = (headers.get_all(header::CONTENT_ENCODING).iter()).all(|value| {
        let codings = value.to_str().map(|text| text.split(',').map(str::trim));
        codings.is_ok_and(|mut codings| {
            codings.all(|coding| coding.is_empty() || coding.eq_ignore_ascii_case("identity"))
        })
    });
    if !identity {
        refusal!(shared.refusals, provider, provider_name = %provider, "webhook body with a Content-Encoding: refused");
        let message = "a Content-Encoding other than identity is not accepted";
        return Some(
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                [(header::ACCEPT_ENCODING, "identity")],
                message,
            )
                .into_response(),
        );
    }
    match declared_length(headers) {
        Some(length) if length > shared.body_limit as u64 => {
            refusal!(shared.refusals, provider, provider_name = %provider, length, "webhook body announced over the size limit: refused");
            Some(too_large())
        }
        _ => None,
    }
}

/// The body's length as its `Content-Length` says (hyper refuses a request whose
/// `Content-Length` is not a number, or whose body does not match it).
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(header::CONTENT_LENGTH)?;
    value.to_str().ok()?.trim().parse().ok()
}

/// Why a body was not read whole.
enum Unread {
    /// Over the size limit: 413.
    TooLarge,
    /// Over what the budget of bodies not yet verified has left: 503.
    OverBudget,
    /// The connection failed while it arrived: 400.
    Broken,
}

impl Unread {
    fn answer(self, shared: &Shared, provider: &str) -> Response {
        match self {
            // Counted as it arrived (a chunked body, without `Content-Length`).
            Unread::TooLarge => {
                refusal!(shared.refusals, provider, provider_name = %provider, limit = shared.body_limit, "webhook body over the size limit: refused");
                too_large()
            }
            Unread::OverBudget => {
                refusal!(shared.refusals, provider, provider_name = %provider, "webhook bodies not yet verified are at their budget: delivery refused for now");
                busy("too many deliveries are being received: send it again later")
            }
            Unread::Broken => {
                refusal!(shared.refusals, provider, provider_name = %provider, "webhook body cut off: the connection failed before it was whole");
                (StatusCode::BAD_REQUEST, "the body could not be read").into_response()
            }
        }
    }
}

/// 413, for a body over the size limit.
fn too_large() -> Response {
    let message = "the body is over the size limit";
    (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
}

/// The share of the budget of bodies not yet verified that one body holds, in KiB:
/// released when dropped.
struct Held<'a> {
    budget: Option<&'a Semaphore>,
    permit: Option<SemaphorePermit<'a>>,
    kib: usize,
}

impl Held<'_> {
    /// Takes what `bytes` need beyond what is held already; `false` when the budget has not
    /// that much left (nothing is waited for). Always `true` without a budget.
    fn cover(&mut self, bytes: u64) -> bool {
        let Some(budget) = self.budget else {
            return true;
        };
        let kib = usize::try_from(bytes.div_ceil(1024)).unwrap_or(usize::MAX);
        let Some(more) = kib.checked_sub(self.kib).filter(|&more| more > 0) else {
            return true;
        };
        let Ok(more_permits) = u32::try_from(more) else {
            return false;
        };
        let Ok(taken) = budget.try_acquire_many(more_permits) else {
            return false;
        };
        match &mut self.permit {
            Some(permit) => permit.merge(taken),
            None => self.permit = Some(taken),
        }
        self.kib = kib;
        true
    }
}

/// Reads `body` up to `limit` bytes. With a `budget`, each KiB is taken from it as it
/// arrives (what a sender announces but does not send takes nothing), and a body the
/// budget cannot cover is not read further: one whose `declared` length is over what the
/// budget has left is refused before any of it is read.
async fn read_body<'a>(
    body: Body,
    declared: Option<u64>,
    limit: usize,
    budget: Option<&'a Semaphore>,
) -> std::result::Result<(Bytes, Held<'a>), Unread> {
    if let (Some(budget), Some(declared)) = (budget, declared)
        && declared.div_ceil(1024) > budget.available_permits() as u64
    {
        return Err(Unread::OverBudget);
    }
    let mut held = Held {
        budget,
        permit: None,
        kib: 0,
    };
    let mut stream = body.into_data_stream();
    // No buffer is allocated ahead of the bytes: a size announced is not trusted.
    let mut joined = Joined::default();
    let mut received = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Unread::Broken)?;
        received = received.saturating_add(chunk.len());
        if received > limit {
            return Err(Unread::TooLarge);
        }
        if !held.cover(received as u64) {
            return Err(Unread::OverBudget);
        }
        joined.push(chunk);
    }
    Ok((joined.into_bytes(), held))
}

/// A body's chunks, joined as they arrive: the first kept as it came (most bodies are one
/// chunk), the others copied into one buffer with it. A body sent in many small chunks so
/// holds its bytes and the buffer's spare room (less than as much again), as the budget
/// counts it; kept apart, each chunk would hold a handle and the connection's read buffer
/// it was cut from (twelve times the bytes, sent a byte a chunk).
#[derive(Default)]
enum Joined {
    #[default]
    Empty,
    One(Bytes),
    Many(Vec<u8>),
}

impl Joined {
    fn push(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        *self = match std::mem::take(self) {
            Joined::Empty => Joined::One(chunk),
            Joined::One(first) => Joined::Many([first.as_ref(), chunk.as_ref()].concat()),
            Joined::Many(mut bytes) => {
                bytes.extend_from_slice(&chunk);
                Joined::Many(bytes)
            }
        };
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Joined::Empty => Bytes::new(),
            Joined::One(bytes) => bytes,
            Joined::Many(bytes) => Bytes::from(bytes),
        }
    }
}

/// A request the vendor waits on (Vapi's tool calls): handed over every time, as a retry
/// asks again (answering it 204 as a duplicate would lose the answer), and answered with
/// the application's reply as soon as it is given; a handler still working then finishes
/// on its own task. Without a reply, the handler's result decides (204, or 500 when it
/// failed), and the vendor's deadline bounds the whole wait (504).
async fn answer_request(
    shared: &Shared,
    provider: String,
    endpoint: &Endpoint,
    event: CallEvent,
    body: Bytes,
    arrived: Instant,
) -> Response {
    let wait = match endpoint.codec.reply_limit(&event) {
        Some(limit) => limit.min(endpoint.reply_timeout),
        None => endpoint.reply_timeout,
    };
    let deadline = deadline_after(arrived, wait);
    // The body took all the time the vendor gives (a slow sender): it has hung up, and the
    // work a reply would report (a tool run) is not started for nobody.
    if Instant::now() >= deadline {
        tracing::warn!(provider_name = %endpoint.name, vendor_event = %shorten(&event.vendor_event), "a delivery the vendor waits on arrived after its reply deadline: not handed over");
        let message = "the delivery arrived after the time the vendor waits for a reply";
        return (StatusCode::GATEWAY_TIMEOUT, message).into_response();
    }
    // Its body is held until it is answered (and while its handler goes on after a
    // reply), within the receiver's budget.
    let Some(held) = shared.hold(&body) else {
        return over_handled_budget(shared, &endpoint.name, &event);
    };
    let (reply, mut answer) = ReplySlot::new(deadline);
    tracing::debug!(provider_name = %provider, vendor_event = %shorten(&event.vendor_event), call_id = event.call_id().map(CallId::as_str), "webhook request");
    let delivery = Delivery {
        provider_name: provider,
        kind: endpoint.kind,
        event,
        reply: Some(reply),
        key: None,
    };
    let mut run = HandlerRun::start(shared, endpoint, delivery, &body, held, None);
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
    // 504 is not queued later, for an application that would run a tool for nobody.
    if matches!(outcome, Answer::TimedOut) && shared.channel_closed.is_some() {
        run.cancel();
    } else {
        drop(run);
    }
    let provider = &endpoint.name;
    match outcome {
        Answer::Reply(reply) => axum::Json(reply).into_response(),
        Answer::None => StatusCode::NO_CONTENT.into_response(),
        Answer::Failed(error) => {
            handler_failed(provider, &vendor_event_of(endpoint.codec, &body), error)
        }
        Answer::TimedOut => {
            let vendor_event = vendor_event_of(endpoint.codec, &body);
            tracing::warn!(provider_name = %provider, vendor_event = %shorten(&vendor_event), "no reply within the reply timeout to a delivery the vendor waits on");
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
fn deadline_after(start: Instant, wait: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);
    start.checked_add(wait).unwrap_or(start + FAR_FUTURE)
}

/// The answer to a delivery the application could not take: 503 when it stopped
/// receiving, else 500; either way the vendor retries. The application's message is
/// logged, not sent: it is the application's, not the vendor's business (a database's
/// address, a query); logged as vendor text is (300 characters at most, control
/// characters and a URL's path and query left out: an address may carry a password). A
/// closed channel is a warning; a handler's own failure is logged at
/// `info`, as the handler that returned it may have said it already (`voiceport listen`
/// does, and shows the receiver's warnings).
fn handler_failed(provider: &str, vendor_event: &str, error: HandlerError) -> Response {
    let HandlerError { message, closed } = error;
    let (status, answer) = if closed {
        tracing::warn!(provider_name = %provider, vendor_event = %shorten(vendor_event), error = %vendor_text(&message), "the application stopped receiving webhook events");
        let answer = "the application is not receiving events: send it again later";
        (StatusCode::SERVICE_UNAVAILABLE, answer)
    } else {
        tracing::info!(provider_name = %provider, vendor_event = %shorten(vendor_event), error = %vendor_text(&message), "the application did not take a webhook event");
        let answer = "the application could not take the event: send it again";
        (StatusCode::INTERNAL_SERVER_ERROR, answer)
    };
    (status, answer).into_response()
}

/// A key admitted to the de-duplication window, settled when this is dropped: delivered,
/// or forgotten so that the vendor's next attempt goes through.
struct Admitted {
    window: Arc<Mutex<Deduplicator>>,
    /// `None` once settled.
    ticket: Option<Ticket>,
    delivered: bool,
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
/// delivered (204). Its body stays held in the budget until then.
struct HandlerRun {
    /// `None` once it has ended.
    handling: Option<BoxFuture<'static, HandlerResult>>,
    /// News only.
    admitted: Option<Admitted>,
    held: Option<OwnedSemaphorePermit>,
    /// For the log of a failure no request is left to answer.
    provider: Arc<str>,
    codec: &'static dyn Codec,
    body: Bytes,
}

impl HandlerRun {
    /// Hands `delivery` (of `body`, held in the budget by `held`) to the handler; news
    /// comes `admitted` to the window.
    fn start(
        shared: &Shared,
        endpoint: &Endpoint,
        delivery: Delivery,
        body: &Bytes,
        held: OwnedSemaphorePermit,
        admitted: Option<Admitted>,
    ) -> Self {
        // A handler that panics before it returns its future fails like one whose future
        // panics: the vendor is answered 500, not dropped.
        let handling = std::panic::catch_unwind(AssertUnwindSafe(|| (shared.handler)(delivery)))
            .unwrap_or_else(|_| Box::pin(std::future::ready(Err(HandlerError::panicked()))));
        HandlerRun {
            handling: Some(handling),
            admitted,
            held: Some(held),
            provider: Arc::clone(&endpoint.name),
            codec: endpoint.codec,
            body: body.clone(),
        }
    }

    /// Polls the handler, which must not have ended; settles its key once it has.
    fn poll_handler(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<HandlerResult> {
        let Some(handling) = self.handling.as_mut() else {
            return std::task::Poll::Ready(Ok(()));
        };
        let result = std::task::ready!(poll_caught(handling, cx));
        self.handling = None;
        if let (Ok(()), Some(admitted)) = (&result, &mut self.admitted) {
            admitted.delivered = true;
        }
        std::task::Poll::Ready(result)
    }

    async fn finish(mut self) -> HandlerResult {
        std::future::poll_fn(|cx| self.poll_handler(cx)).await
    }

    /// Drops the handler where it is, rather than letting it go on on a task of its own.
    fn cancel(mut self) {
        self.handling = None;
    }
}

impl Drop for HandlerRun {
    fn drop(&mut self) {
        let Some(handling) = self.handling.take() else {
            return;
        };
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
        let (provider, codec) = (Arc::clone(&self.provider), self.codec);
        let body = std::mem::take(&mut self.body);
        runtime.spawn(async move {
            let _held = held;
            let mut handling = handling;
            match std::future::poll_fn(|cx| poll_caught(&mut handling, cx)).await {
                Ok(()) => {
                    if let Some(admitted) = &mut admitted {
                        admitted.delivered = true;
                    }
                }
                // Its key (news) is forgotten with `admitted`: a redelivery is handed over.
                Err(error) => {
                    let vendor_event = vendor_event_of(codec, &body);
                    tracing::warn!(provider_name = %provider, vendor_event = %shorten(&vendor_event), error = %vendor_text(&error.to_string()), "the handler failed after its delivery was answered, or after the vendor stopped waiting");
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

fn lock(window: &Mutex<Deduplicator>) -> std::sync::MutexGuard<'_, Deduplicator> {
    window
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hint names the check whose header a refused delivery carries, where its vendor
    /// sends that check so: never for a check configured already, a vendor that cannot
    /// send it, or a refusal other than a missing header.
    #[test]
    fn a_refusal_hints_at_the_check_whose_header_the_delivery_carries() {
        let missing = VerifyError::Missing {
            header: "x-vapi-secret".into(),
        };
        let carrying = |name: &'static str, value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(name, axum::http::HeaderValue::from_static(value));
            headers
        };
        let bearer = carrying("authorization", "Bearer cred-5e1b9a77");
        let signed = carrying("x-signature", "9f2c");
        let secret = carrying("x-vapi-secret", "s3cr3t");
        let hint = |kind, configured, headers: &HeaderMap| {
            scheme_hint(kind, configured, &missing, headers).map(|hint| {
                let (_, setting) = hint.rsplit_once("verify = ").unwrap();
                setting.trim_matches('"').to_owned()
            })
        };
        use ProviderKind::{HappyRobot, Retell, Rounded, Vapi, Voicebot};
        for kind in [Vapi, Voicebot] {
            assert_eq!(
                hint(kind, Scheme::Header, &bearer).as_deref(),
                Some("bearer")
            );
            assert_eq!(hint(kind, Scheme::Header, &signed).as_deref(), Some("hmac"));
            assert_eq!(
                hint(kind, Scheme::Bearer, &secret).as_deref(),
                Some("header")
            );
            assert_eq!(hint(kind, Scheme::Bearer, &bearer), None);
        }
        // HappyRobot sends the headers set on its hook (a Bearer one may be), no
        // signature, and X-Vapi-Secret is not the header it is checked by.
        assert_eq!(
            hint(HappyRobot, Scheme::Header, &bearer).as_deref(),
            Some("bearer")
        );
        assert_eq!(hint(HappyRobot, Scheme::Header, &signed), None);
        assert_eq!(hint(HappyRobot, Scheme::Bearer, &secret), None);
        // Its own header, read by `header`, is (the scheme's header for each vendor).
        let hook = carrying("x-webhook-secret", "s3cr3t");
        assert_eq!(
            hint(HappyRobot, Scheme::Bearer, &hook).as_deref(),
            Some("header")
        );
        for kind in [Rounded, Retell] {
            for headers in [&bearer, &signed, &secret] {
                assert_eq!(hint(kind, Scheme::Header, headers), None, "{kind}");
            }
        }
        let mismatch = VerifyError::Mismatch;
        assert_eq!(scheme_hint(Vapi, Scheme::Header, &mismatch, &bearer), None);
        for text in [&bearer, &signed, &secret] {
            let said = scheme_hint(Vapi, Scheme::Query, &missing, text).unwrap_or_default();
            assert!(
                !said.contains("cred-") && !said.contains("s3cr3t"),
                "{said}"
            );
        }
    }

    /// An event name is logged whole up to 80 characters, cut between characters after
    /// (a verified body, or any under `verify = "none"`, may name its event with megabytes).
    #[test]
    fn a_long_event_name_is_logged_cut() {
        assert_eq!(shorten("call_ended"), "call_ended");
        let exactly = "é".repeat(80);
        assert_eq!(shorten(&exactly), exactly);
        let huge = "é".repeat(1_000_000);
        assert_eq!(shorten(&huge), format!("{exactly}…"));
    }

    /// One chunk is kept as it came; from the second on, the chunks are copied, and none
    /// holds on to the buffer it was cut from.
    #[test]
    fn chunks_are_joined_as_they_arrive() {
        let read_buffer = Bytes::from((0..=255).collect::<Vec<u8>>());
        let mut one = Joined::default();
        one.push(Bytes::new());
        one.push(read_buffer.slice(0..3));
        let kept = one.into_bytes();
        assert_eq!(kept.as_ptr(), read_buffer.as_ptr(), "copied");
        drop(kept);
        let mut many = Joined::default();
        for at in 0..256 {
            many.push(read_buffer.slice(at..at + 1));
        }
        assert!(
            read_buffer.is_unique(),
            "a chunk still holds the read buffer"
        );
        assert_eq!(many.into_bytes(), read_buffer);
        assert!(Joined::default().into_bytes().is_empty());
    }

    /// A handler's `?` takes voiceport's errors (their chain said once) and messages.
    #[test]
    fn a_handler_error_comes_from_an_error_or_a_message() {
        let error = voiceport_core::Error::config("providers.sales.api_key", "empty");
        assert_eq!(
            HandlerError::from(error).to_string(),
            "configuration error at `providers.sales.api_key`: empty"
        );
        assert_eq!(
            HandlerError::from("booking full"),
            HandlerError::new("booking full")
        );
        assert_eq!(
            HandlerError::from(String::from("x")),
            HandlerError::new("x")
        );
    }

    #[test]
    fn a_handler_error_from_an_error_says_its_chain_once() {
        #[derive(Debug)]
        struct Saving(std::io::Error, bool);
        impl fmt::Display for Saving {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.1 {
                    true => write!(f, "saving the booking: {}", self.0),
                    false => f.write_str("saving the booking"),
                }
            }
        }
        impl std::error::Error for Saving {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let refused = || std::io::Error::other("connection refused");
        for quoting in [false, true] {
            let failure = HandlerError::from_error(&Saving(refused(), quoting));
            assert_eq!(
                failure.to_string(),
                "saving the booking: connection refused"
            );
        }
    }

    #[test]
    fn an_unknown_provider_is_refused_with_the_configured_ones() {
        let with = |text: &str| {
            let registry = Registry::from_toml_str(text).unwrap();
            let error = Receiver::builder(&registry)
                .providers(["ghost"])
                .served()
                .unwrap_err()
                .to_string();
            (error, registry.file().names_listed())
        };
        let (error, listed) = with(
            "[providers.sales]\nkind = \"rounded\"\napi_key = \"rd-secret-key\"\n\
             [providers.sales.webhook]\nsecret = \"wh-secret\"\n",
        );
        assert!(error.contains("providers.ghost"), "{error}");
        assert!(error.ends_with(&listed), "{error}");
        assert!(listed.contains("\"sales\""), "{listed}");
        assert!(!error.contains("secret"), "{error}");
        let (error, listed) = with("");
        assert!(
            error.ends_with("no such provider; no provider is configured"),
            "{error}"
        );
        assert_eq!(listed, "no provider is configured");
    }
}
