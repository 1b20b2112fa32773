//! A delivery's way through the receiver: routed to its provider, its head and body
//! checked, verified, decoded and admitted past the de-duplication window.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tracing::Instrument;
use voiceport_core::webhook::{
    Admission, Deduplicator, EventKey, HeadChecked, Scheme, Verifier, VerifyError,
};
// Event names are logged through `shorten`: a verified body may name its event with megabytes.
use voiceport_core::adapter::{decode_off_runtime, shorten};
use voiceport_core::{CallEvent, Codec, Operation, ProviderKind};

use super::answer::{Admitted, HandlerRun, answer_request, deadline_after, handler_failed, lock};
use super::body::{Held, declared_length, read_body, refuse_body};
use super::delivery::{Delivery, Handler};
use super::refusals::{Refusals, refusal};

pub(super) struct Endpoint {
    /// Its name in the configuration, for the logs of work that outlives the request.
    pub(super) name: Arc<str>,
    pub(super) kind: ProviderKind,
    pub(super) codec: &'static dyn Codec,
    pub(super) verifier: Verifier,
    /// How long its requests wait for the application's answer, short of the vendor's
    /// fixed limits.
    pub(super) reply_timeout: Duration,
    /// Its de-duplication window (shared with the handlers that outlive their request, and
    /// with the providers of its vendor that verify with its secret).
    pub(super) window: Arc<Mutex<Deduplicator>>,
    /// The name its events are keyed under in that window: its own, or that of the first
    /// provider (by name) sharing it.
    pub(super) window_name: Arc<str>,
    /// The KiB that its bodies not yet verified and decoded may still take (and, where it
    /// verifies nothing, its bodies being handled too).
    pub(super) unverified: Arc<Semaphore>,
    /// Hides its webhook secret in what its errors quote of a body (a vendor may send the
    /// secret back: HappyRobot's calls repeat a use case's hook headers).
    pub(super) secret_mask: Option<voiceport_core::SecretMask>,
}

pub(super) struct Shared {
    pub(super) endpoints: BTreeMap<String, Endpoint>,
    /// How many deliveries each provider refused lately: past a few a minute, refusals are
    /// logged at debug level.
    pub(super) refusals: Arc<Refusals>,
    pub(super) handler: Handler,
    /// In channel mode, whether the application dropped its receiving end: a request
    /// dropped unanswered then was never taken, and the vendor hears so (503).
    pub(super) channel_closed: Option<Box<dyn Fn() -> bool + Send + Sync>>,
    pub(super) body_timeout: Duration,
    pub(super) body_limit: usize,
    /// The KiB that the bodies of the deliveries being handled may still take.
    pub(super) handled: Arc<Semaphore>,
    /// The handlers running, on their request's task or their own.
    pub(super) running: super::running::RunningHandlers,
}

/// The least a body counts for in the budget of bodies being handled, in KiB: one read
/// in a single chunk is a slice of the connection's read buffer (at least 8 KiB, hyper's
/// smallest), which it keeps whole while it is held. Counted at its length alone, a
/// small delivery would hold eight times what it counts.
pub(super) const HELD_BODY_MIN_KIB: usize = 8;

impl Shared {
    /// The share of the budget of bodies being handled that a verified `body` takes until
    /// its delivery is answered (or, for a request answered while its handler goes on,
    /// until the handler ends); `None` when the budget has not that much left.
    ///
    /// A provider that verifies nothing (`verify = "none"`) takes it from its own budget,
    /// the one its bodies arrive in: anyone can post to it, and with a slow application a
    /// stranger could otherwise fill the budget every verified provider shares.
    pub(super) fn hold(&self, endpoint: &Endpoint, body: &Bytes) -> Option<OwnedSemaphorePermit> {
        let kib = u32::try_from(body.len().div_ceil(1024).max(HELD_BODY_MIN_KIB)).ok()?;
        let budget = match endpoint.verifier.scheme() {
            Scheme::None => &endpoint.unverified,
            _ => &self.handled,
        };
        Arc::clone(budget).try_acquire_many_owned(kib).ok()
    }
}

/// The answer to a verified delivery the budget of bodies being handled cannot take: 503
/// with `Retry-After`, nothing handed over.
pub(super) fn over_handled_budget(shared: &Shared, provider: &str, event: &CallEvent) -> Response {
    refusal!(shared.refusals, provider, provider_name = %provider, vendor_event = shorten(&event.vendor_event), "webhook deliveries being handled are at their budget: delivery refused for now");
    busy("too many deliveries are being handled: send it again later")
}

/// 503 with `Retry-After: 5`: a budget is spent, and the vendor is asked to send the
/// delivery again later.
pub(super) fn busy(message: &'static str) -> Response {
    let retry = [(header::RETRY_AFTER, "5")];
    closing((StatusCode::SERVICE_UNAVAILABLE, retry, message).into_response())
}

/// A refusal, its connection closed after it (`Connection: close`): a stranger whose
/// requests are refused must not keep a connection open by sending one every few
/// seconds, each keeping it alive (a server that caps its connections, as `voiceport
/// listen` does, would have every slot held so, and the vendors' deliveries wait).
pub(super) fn closing(mut response: Response) -> Response {
    let close = axum::http::HeaderValue::from_static("close");
    response.headers_mut().insert(header::CONNECTION, close);
    response
}

pub(super) async fn receive(
    State(shared): State<Arc<Shared>>,
    provider: Result<Path<String>, axum::extract::rejection::PathRejection>,
    request: Request,
) -> Response {
    // A vendor's wait for its answer starts when it sent the request, not once the body
    // is read and checked.
    let arrived = Instant::now();
    // A name that is no text once decoded (`/webhooks/%FF`): refused as any other request
    // for a provider not served, its connection closed (axum's own 400 would keep it).
    let Ok(Path(provider)) = provider else {
        let path = shorten(request.uri().path());
        refusal!(
            shared.refusals,
            stray,
            path,
            "delivery for a provider name that does not decode"
        );
        return closing((StatusCode::BAD_REQUEST, "no such webhook provider").into_response());
    };
    let Some(endpoint) = shared.endpoints.get(&provider) else {
        // Most often a webhook URL set at the vendor with another provider's name. Refused
        // before its body is read; the name is logged escaped (it comes from the URL).
        refusal!(
            shared.refusals,
            &provider,
            // Not `provider_name`: a name any sender chooses, kept apart from the names
            // of the providers served, which logs are grouped by.
            requested_name = shorten(&provider),
            "delivery for a provider this receiver does not serve"
        );
        return closing((StatusCode::NOT_FOUND, "no such webhook provider").into_response());
    };
    // The headers are taken out of the request rather than extracted as a `HeaderMap`,
    // which would copy them.
    let (parts, body) = request.into_parts();
    let span = tracing::debug_span!(
        "voiceport.webhook",
        provider = %endpoint.kind,
        provider_name = %provider,
        // Once the body decodes: a trace is searched by the call and the vendor's event.
        vendor_event = tracing::field::Empty,
        call_id = tracing::field::Empty,
    );
    let read = read_checked(&shared, endpoint, &parts, body, arrived, &span).await;
    let (head, body, held) = match read {
        Ok(read) => read,
        Err(answer) => return answer,
    };
    let verified = span.in_scope(|| head.verify_body(&body).map_err(Unaccepted::Refused));
    // The body's share of the budget of bodies not yet verified and decoded goes back once
    // it is decoded or refused, not before: it goes with the decode (see `decode`).
    let decoded = match verified {
        Ok(()) => decode(endpoint, &body, held).instrument(span.clone()).await,
        Err(unaccepted) => {
            drop(held);
            Err(unaccepted)
        }
    };
    let entered = span.enter();
    let event = match decoded {
        Ok(event) => event,
        Err(unaccepted) => return unaccepted.answer(&shared, &endpoint.name),
    };
    if !span.is_disabled() {
        // Vendor text, cut short and escaped as in the events.
        span.record("vendor_event", shorten(&event.vendor_event).as_str());
        if let Some(call_id) = event.call_id() {
            span.record("call_id", shorten(call_id.as_str()).as_str());
        }
    }
    drop(entered);
    if event.expects_reply {
        return answer_request(&shared, provider, endpoint, event, body, arrived, &span).await;
    }
    admit_and_dispatch(&shared, provider, endpoint, event, &body, &span).await
}

/// A request to a path the router does not serve
/// ([`ReceiverBuilder::refuse_other_paths`](super::ReceiverBuilder::refuse_other_paths)):
/// 404, and a refusal counted with the other requests that name no provider, the path
/// escaped and cut short.
pub(super) async fn unrouted(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    let path = shorten(uri.path());
    refusal!(shared.refusals, stray, method = %method, path, "request refused: deliveries go to /webhooks/NAME, NAME a provider served");
    closing(StatusCode::NOT_FOUND.into_response())
}

/// A request to a delivery path with another method than POST (a GET to see whether the
/// URL is up): 405, and a refusal counted as for a path not served.
pub(super) async fn not_a_post(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    let path = shorten(uri.path());
    refusal!(shared.refusals, stray, method = %method, path, "request refused: deliveries are POSTs");
    closing((StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response())
}

/// What the URL and headers prove, checked before the body is read (a stranger's delivery,
/// with no secret, no signature or a stale one, is refused without holding its body), then
/// the body, read within the size limit, the body timeout and the provider's budget of
/// bodies not yet verified and decoded (held until then). Refusals are answered here.
async fn read_checked<'a>(
    shared: &Shared,
    endpoint: &'a Endpoint,
    parts: &'a Parts,
    body: Body,
    arrived: Instant,
    span: &tracing::Span,
) -> std::result::Result<(HeadChecked<'a>, Bytes, Held), Response> {
    let (provider, headers) = (&*endpoint.name, &parts.headers);
    let head = match endpoint.verifier.check_head(parts.uri.query(), headers) {
        Ok(head) => head,
        Err(refused) => {
            let hint = voiceport_core::webhook::scheme_hint(
                endpoint.kind,
                endpoint.verifier.scheme(),
                &refused,
                headers,
            );
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
        return Err(closing(
            (StatusCode::FORBIDDEN, "forbidden").into_response(),
        ));
    }
    // What the headers say of the body is checked before it is read, too.
    if let Some(refused) = span.in_scope(|| refuse_body(shared, provider, headers)) {
        return Err(refused);
    }
    // A signature can only be checked against the body, and anyone can send one well
    // formed and fresh: until it is checked and decoded, the body takes its share of a
    // budget that all bodies arriving for this provider share, so that forgeries cannot
    // make the receiver hold more (nor refuse the other providers' deliveries). A scheme
    // that reads only the headers (a shared secret, a bearer, a token in the URL) proved
    // them already, but its secret travels in every delivery, and whoever saw one could
    // send bodies that never finish: those count while they arrive too. (Under `none`
    // nothing is ever checked.)
    let budget = Some(&endpoint.unverified);
    let reading = read_body(body, declared_length(headers), shared.body_limit, budget);
    // A body already in (most are) is read without setting a timer.
    let read = tokio::time::timeout_at(deadline_after(arrived, shared.body_timeout), reading);
    match read.await {
        Ok(Ok((body, held))) => Ok((head, body, held)),
        Ok(Err(unread)) => Err(span.in_scope(|| unread.answer(shared, provider))),
        Err(_) => {
            refusal!(shared.refusals, provider, provider_name = %provider, "webhook body still arriving at the body timeout: refused");
            let message = "the body took too long to arrive";
            Err(closing(
                (StatusCode::REQUEST_TIMEOUT, message).into_response(),
            ))
        }
    }
}

/// The event of a verified `body`. Its payloads are slices of the body rather than copies:
/// the event and its body live and go together. A byte-order mark before the JSON (signed
/// with it) is left out of what is decoded. A body of a MiB or more is decoded on the
/// blocking pool ([`decode_off_runtime`]): the tens of milliseconds of the largest
/// delivery the receiver takes would hold up every other delivery on this worker.
///
/// The body's share of the budget (`held`) goes with the decode, and back once it is
/// done: were the sender to hang up meanwhile (hyper dropping this future), a decode on
/// the blocking pool would go on holding the body, and its share must stay counted, or
/// bodies posted and abandoned faster than they decode would pile up there uncounted.
async fn decode(endpoint: &Endpoint, body: &Bytes, held: Held) -> Result<CallEvent, Unaccepted> {
    let json = body.slice_ref(voiceport_core::adapter::strip_bom(body));
    let codec = endpoint.codec;
    let decoding = move |json: &Bytes| {
        let decoded = voiceport_core::sharing_body(json, || codec.decode_webhook(json));
        Ok((decoded, held))
    };
    let kind = endpoint.kind;
    match decode_off_runtime(kind, Operation::ParseWebhook, json.clone(), decoding).await {
        Ok((Ok(event), _held)) => Ok(event),
        Ok((Err(error), held)) => Err(Unaccepted::Unparsable(
            quoting_no_secret(endpoint, json, error, held).await,
        )),
        // The runtime is shutting down: the decode was dropped, its share with it.
        Err(error) => Err(Unaccepted::Unparsable(error)),
    }
}

/// The decode `error` of `json`, or, where the body holds the endpoint's secret, that of
/// the body with the secret hidden: the error quotes the body around where it breaks, cut
/// short, and a secret cut across the excerpt's start would no longer match a mask laid
/// over the error after. Masked and decoded again only on this failing path, and as the
/// body was decoded: a large one on the blocking pool, its share of the budget (`held`)
/// going with it.
async fn quoting_no_secret(
    endpoint: &Endpoint,
    json: Bytes,
    error: voiceport_core::Error,
    held: Held,
) -> voiceport_core::Error {
    let Some(mask) = endpoint.secret_mask.clone() else {
        return error;
    };
    let codec = endpoint.codec;
    // `Ok`: the secret is not in the body (or, hidden, the body decodes): the error stands.
    let again = move |json: &Bytes| {
        let _held = held;
        match mask.mask_bytes(json) {
            std::borrow::Cow::Borrowed(_) => Ok(()),
            std::borrow::Cow::Owned(hidden) => {
                let hidden = Bytes::from(hidden);
                voiceport_core::sharing_body(&hidden, || codec.decode_webhook(&hidden)).map(drop)
            }
        }
    };
    (decode_off_runtime(endpoint.kind, Operation::ParseWebhook, json, again).await)
        .err()
        .unwrap_or(error)
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
                // Its secret already hidden where the body holds it (`quoting_no_secret`).
                tracing::debug!(provider_name = %provider, %error, "webhook body does not parse");
                // The answer says where too, not the body quoted back: a vendor shows its
                // receivers' answers in its own dashboards and logs.
                let answer = match path {
                    "" => "the body does not parse as this vendor's webhook JSON".to_owned(),
                    path => format!(
                        "the body does not parse as this vendor's webhook JSON (at `{path}`)"
                    ),
                };
                closing((StatusCode::BAD_REQUEST, answer).into_response())
            }
        }
    }
}

/// News (not a request): passed on once per key in the provider's de-duplication window,
/// acknowledged 204 when it is a redelivery of one delivered, 503 while the first delivery
/// is still being handled. The delivery's span is left before the handler runs.
async fn admit_and_dispatch(
    shared: &Shared,
    provider: String,
    endpoint: &Endpoint,
    event: CallEvent,
    body: &Bytes,
    span: &tracing::Span,
) -> Response {
    let entered = span.enter();
    let key = EventKey::of(&endpoint.window_name, &event, body);
    // The window's lock is let go before anything is logged (a subscriber may block).
    let (admission, swept) = {
        let mut window = lock(&endpoint.window);
        (window.begin(key), window.take_swept())
    };
    if swept > 0 {
        refusal!(
            shared.refusals,
            trouble &endpoint.name,
            provider_name = %endpoint.name,
            swept,
            "deliveries handled past the in-flight limit (`dedup_in_flight_for`) were forgotten as the de-duplication window grew: their handlers may be stuck, and a redelivery of one is handled again"
        );
    }
    let ticket = match admission {
        Admission::First(ticket) if ticket.reclaimed() => {
            refusal!(
                shared.refusals,
                trouble &endpoint.name,
                provider_name = %endpoint.name,
                vendor_event = shorten(&event.vendor_event),
                "a redelivery is handed over again: the handler of its first delivery has run past the in-flight limit (`dedup_in_flight_for`), and may still be running"
            );
            ticket
        }
        Admission::First(ticket) => ticket,
        Admission::Delivered => {
            tracing::debug!(
                vendor_event = shorten(&event.vendor_event),
                "duplicate delivery, not passed on"
            );
            return StatusCode::NO_CONTENT.into_response();
        }
        // Acknowledging it would lose the event should the first delivery still fail:
        // the vendor is asked to send it again, by when the first has settled.
        Admission::InFlight => {
            tracing::debug!(
                vendor_event = shorten(&event.vendor_event),
                "duplicate of a delivery still being handled"
            );
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
    let Some(held) = shared.hold(endpoint, body) else {
        return over_handled_budget(shared, &endpoint.name, &event);
    };
    tracing::debug!(
        vendor_event = shorten(&event.vendor_event),
        call_id = event.call_id().map(|id| shorten(id.as_str())),
        "webhook event"
    );
    let delivery = Delivery {
        provider_name: provider,
        provider: endpoint.kind,
        event,
        reply: None,
        key: Some(key),
    };
    drop(entered);
    let run = HandlerRun::start(shared, endpoint, delivery, span, held, Some(admitted));
    let vendor_event = Arc::clone(&run.vendor_event);
    match run.finish().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => handler_failed(&shared.refusals, &endpoint.name, &vendor_event, error),
    }
}

/// Whether a request carries what a browser adds to a page's request, and no vendor's
/// server sends.
fn from_a_browser(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site")
}

/// A delivery that failed verification: 401, and a warning naming the provider (a
/// listener logs warnings only, without the span that names it too) and, where the
/// headers suggest it, the scheme the vendor may be using instead (`hint`). The reason is
/// for the log only: a caller not yet known to be the vendor learns nothing of the headers
/// expected or of this clock.
fn refuse(shared: &Shared, provider: &str, refused: &VerifyError, hint: Option<&str>) -> Response {
    refusal!(shared.refusals, provider, provider_name = %provider, %refused, hint, "webhook delivery refused");
    closing((StatusCode::UNAUTHORIZED, "unauthorized").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event name is logged whole up to 80 characters, cut between characters after
    /// (a verified body, or any under `verify = "none"`, may name its event with megabytes).
    #[test]
    fn a_long_event_name_is_logged_cut() {
        assert_eq!(shorten("call_ended"), "call_ended");
        let exactly = "é".repeat(80);
        assert_eq!(shorten(&exactly), exactly);
        let huge = "é".repeat(1_000_000);
        assert_eq!(shorten(&huge), format!("{exactly}…"));
        // A line break or a direction override in a name cannot forge or reorder a line.
        let forged = "call_ended\r\n2026-12-06T00:00:00Z WARN forged\u{202e}";
        assert_eq!(
            shorten(forged),
            "call_ended\\r\\n2026-12-06T00:00:00Z WARN forged\\u{202e}"
        );
    }
}
