//! Fault injection: make chosen requests fail the way real networks and vendors fail, and
//! chosen webhook deliveries go wrong the way vendors' deliveries do.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use voiceport_core::ProviderKind;

use crate::common::lock;
use crate::vendor::Vendor;

/// How a request fails.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer with this status (500, 502, 503 …) and a small JSON error body.
    Status(u16),
    /// Answer 429 with `Retry-After` in whole seconds. (A 429 without the header:
    /// `Status(429)`.)
    RateLimited {
        /// How long the client is asked to wait: sent in whole seconds rounded up, as
        /// HTTP's `Retry-After` has no fractions (half a second is sent as 1).
        retry_after: Duration,
    },
    /// Answer normally, but only after this delay.
    Delay(Duration),
    /// Drop the connection mid-answer: the answer's body fails after its first half. The
    /// emulators' HTTP server (hyper) then sends nothing of it, so the client sees the
    /// connection reset before any status, as when a vendor's server dies while it
    /// answers (the tests in `tests/faults.rs` hold it to that). The body is the real one
    /// for a `GET`, or after the handler ([`Fault::after_handler`]); a request that would
    /// change something without it is not handled, and a stand-in body is cut instead.
    DropConnection,
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Answer 200 with the first half of the body (valid HTTP, broken JSON): the real one
    /// for a `GET` or after the handler, else a stand-in, as for `DropConnection`.
    Truncated,
    /// Serve the request as if its URL had no query: a vendor that ignores the parameters
    /// it does not document (Voicebot Studio documents none for its list of calls), so that
    /// the code reading its answer is tested on both readings.
    IgnoreQuery,
}

/// One injected fault: which requests it hits, how, and how often.
#[derive(Debug, Clone)]
pub struct Fault {
    vendor: Option<ProviderKind>,
    method: Option<String>,
    path_contains: Option<String>,
    pub(crate) kind: FaultKind,
    skip: u32,
    times: u32,
    after_handler: bool,
}

impl Fault {
    /// A fault of `kind` on every request (narrow it with the builder methods); it fires
    /// once unless [`Fault::times`] says otherwise.
    #[must_use]
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            vendor: None,
            method: None,
            path_contains: None,
            kind,
            skip: 0,
            times: 1,
            after_handler: false,
        }
    }

    /// Only requests to this vendor's API.
    #[must_use]
    pub fn vendor(mut self, vendor: ProviderKind) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Only requests with this method (`GET`, `POST` …).
    #[must_use]
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests whose path contains this text (`/dial`, `/calls/`, or the vendor's
    /// path as documented …). The path is the whole one the client sent, the sandbox's
    /// prefix for the vendor included.
    #[must_use]
    pub fn path(mut self, fragment: &str) -> Self {
        self.path_contains = Some(fragment.to_owned());
        self
    }

    /// Let the first `n` matching requests through untouched.
    #[must_use]
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Fire on this many matching requests (`u32::MAX`: always).
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// Let the request take effect first, then spoil the response: the dangerous case for
    /// requests that create something (the call exists, the client cannot know).
    #[must_use]
    pub fn after_handler(mut self) -> Self {
        self.after_handler = true;
        self
    }

    fn matches(&self, vendor: ProviderKind, method: &str, path: &str) -> bool {
        self.vendor.is_none_or(|v| v == vendor)
            && self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

/// How a webhook delivery goes wrong (see [`DeliveryFault`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryFaultKind {
    /// The same delivery is posted twice (same body), as vendors redeliver after a
    /// timeout on their side.
    Duplicate,
    /// A dialed call's deliveries are held until it ends, then posted newest first: the
    /// end arrives before the in-progress. Decided when the call is dialed; the fault's
    /// event filter does not apply.
    OutOfOrder,
    /// The delivery is signed with a secret the receiver does not know (for the `header`
    /// and `bearer` schemes: the wrong secret in the header).
    WrongSignature,
    /// The delivery is signed with the right secret but at a time past the scheme's
    /// tolerance (a minute beyond it): a replay, which a receiver checking the signing
    /// time refuses. Only for schemes that sign a time (an HMAC over a timestamp,
    /// Retell's signature); for the others it stays unused. The tolerance is the target's
    /// (`tolerance_secs`): a receiver configured with a longer one takes the delivery.
    StaleSignature,
}

/// One injected delivery fault: which vendor's deliveries it hits, which event type, and
/// how often.
///
/// A fault counts deliveries, not attempts: a delivery it fires on keeps it on every retry
/// (a wrong signature is wrong on each attempt, a duplicated delivery is posted twice each
/// time). Faults of different kinds are counted apart: several armed at once, each
/// `times(1)`, all fire on the first delivery they match. Of one kind, the first whose
/// turn it is fires and the others do not count that delivery: two duplicates, each
/// `times(1)`, fire on the first delivery and the next. Aim them with
/// [`event`](Self::event), [`call_id`](Self::call_id) or [`skip`](Self::skip).
///
/// ```
/// # mod voiceport { pub use voiceport_core::*; pub mod webhooks { pub use voiceport_core::webhook::*; } }
/// use voiceport::ProviderKind;
/// use voiceport_sandbox::{DeliveryFault, DeliveryFaultKind};
/// let fault = DeliveryFault::new(DeliveryFaultKind::Duplicate)
///     .vendor(ProviderKind::Voicebot)
///     .event("end-of-call-report");
/// # let _ = fault;
/// ```
#[derive(Debug, Clone)]
pub struct DeliveryFault {
    vendor: Option<ProviderKind>,
    event: Option<String>,
    call_id: Option<String>,
    kind: DeliveryFaultKind,
    skip: u32,
    times: u32,
}

impl DeliveryFault {
    /// A fault of `kind` on every delivery (narrow it with the builder methods); it fires
    /// once unless [`DeliveryFault::times`] says otherwise. For
    /// [`DeliveryFaultKind::OutOfOrder`] "once" is one dialed call.
    #[must_use]
    pub fn new(kind: DeliveryFaultKind) -> Self {
        DeliveryFault {
            vendor: None,
            event: None,
            call_id: None,
            kind,
            skip: 0,
            times: 1,
        }
    }

    /// Only deliveries of this vendor.
    #[must_use]
    pub fn vendor(mut self, vendor: ProviderKind) -> Self {
        self.vendor = Some(vendor);
        self
    }

    /// Only deliveries of this event type, exactly as the vendor names it
    /// (`end-of-call-report`, `end`, `event_phone_call_ended` …).
    #[must_use]
    pub fn event(mut self, event: &str) -> Self {
        self.event = Some(event.to_owned());
        self
    }

    /// Only deliveries about this call (its id as the vendor gives it): a test that shares
    /// a sandbox with others aims at its own call. Armed once the dial has answered, it
    /// reaches the call's later deliveries only (a fast call's first may be gone). The
    /// out-of-order fault is decided as the call is dialed: it needs an id known before
    /// the dial (a sandbox's dials get the same ids in the same order from its seed, and
    /// again after a reset).
    #[must_use]
    pub fn call_id(mut self, call_id: &str) -> Self {
        self.call_id = Some(call_id.to_owned());
        self
    }

    /// Let the first `n` matching deliveries through untouched.
    #[must_use]
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Fire on this many matching deliveries (`u32::MAX`: always).
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    /// `event: None` stands for "any event" (the out-of-order fault, decided per call).
    fn matches(&self, vendor: ProviderKind, event: Option<&str>, call_id: &str) -> bool {
        self.vendor.is_none_or(|v| v == vendor)
            && self.call_id.as_deref().is_none_or(|id| id == call_id)
            && match (self.event.as_deref(), event) {
                (Some(wanted), Some(event)) => wanted == event,
                _ => true,
            }
    }
}

/// The faults in force: on API requests ([`Fault`]) and on webhook deliveries
/// ([`DeliveryFault`]).
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<(Fault, u32)>>,
    deliveries: Mutex<Vec<(DeliveryFault, u32)>>,
}

impl Faults {
    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        lock(&self.rules).push((fault, 0));
    }

    /// Adds a delivery fault.
    pub fn inject_delivery(&self, fault: DeliveryFault) {
        lock(&self.deliveries).push((fault, 0));
    }

    /// Removes every fault, delivery faults included.
    pub fn clear(&self) {
        lock(&self.rules).clear();
        lock(&self.deliveries).clear();
    }

    /// How many faults are still armed, delivery faults included.
    pub fn len(&self) -> usize {
        lock(&self.rules).len() + lock(&self.deliveries).len()
    }

    /// Whether no fault is armed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The delivery fault of a kind `wanted` accepts that this delivery (of `vendor`'s
    /// call `call_id`) gets, if any (counting it). `event: None` matches whatever event
    /// the fault names.
    pub(crate) fn take_delivery(
        &self,
        vendor: ProviderKind,
        call_id: &str,
        event: Option<&str>,
        wanted: impl Fn(DeliveryFaultKind) -> bool,
    ) -> Option<DeliveryFaultKind> {
        take_turn(&mut lock(&self.deliveries), |fault| {
            (wanted(fault.kind) && fault.matches(vendor, event, call_id)).then_some(fault.kind)
        })
    }

    /// The fault this request gets, if any (counting it).
    pub(crate) fn take(
        &self,
        vendor: ProviderKind,
        method: &str,
        path: &str,
    ) -> Option<(FaultKind, bool)> {
        take_turn(&mut lock(&self.rules), |fault| {
            fault
                .matches(vendor, method, path)
                .then_some((fault.kind.clone(), fault.after_handler))
        })
    }
}

/// A fault that fires on some of the requests (or deliveries) it matches.
trait Armed {
    /// How many matches it lets through first, then on how many it fires (`u32::MAX`: on
    /// every one).
    fn turns(&self) -> (u32, u32);
}

impl Armed for Fault {
    fn turns(&self) -> (u32, u32) {
        (self.skip, self.times)
    }
}

impl Armed for DeliveryFault {
    fn turns(&self) -> (u32, u32) {
        (self.skip, self.times)
    }
}

/// Counts a request (or delivery) against each armed fault `hit` takes it for, in order,
/// and gives what `hit` made of the first whose turn it is; then disarms the faults that
/// have fired their last.
fn take_turn<F: Armed, T>(armed: &mut Vec<(F, u32)>, hit: impl Fn(&F) -> Option<T>) -> Option<T> {
    let mut taken = None;
    for (fault, seen) in armed.iter_mut() {
        let Some(value) = hit(fault) else {
            continue;
        };
        let (skip, times) = fault.turns();
        *seen = seen.saturating_add(1);
        if *seen > skip && *seen - skip <= times {
            taken = Some(value);
            break;
        }
    }
    armed.retain(|(fault, seen)| {
        let (skip, times) = fault.turns();
        times == u32::MAX || seen.saturating_sub(skip) < times
    });
    taken
}

/// The response a fault produces, an error in `vendor`'s own shape; `real` is the
/// handler's response when the fault fires after the handler. A delay ends early when the
/// sandbox `stopped` (a dropped sandbox is not kept serving by a delay of an hour).
pub(crate) async fn faulty_response(
    vendor: Vendor,
    kind: FaultKind,
    real: Option<Response>,
    stopped: impl std::future::Future<Output = ()>,
) -> Response {
    let error = |status: u16, message: &str, retry_after: Option<f64>| {
        json_error(vendor, status, message, retry_after)
    };
    match kind {
        FaultKind::Status(status) => {
            let message = documented_message(vendor, status)
                .map_or_else(|| format!("sandbox fault: HTTP {status}"), str::to_owned);
            error(status, &message, None)
        }
        FaultKind::RateLimited { retry_after } => {
            let message = documented_message(vendor, 429).unwrap_or("sandbox fault: rate limited");
            error(429, message, Some(retry_after.as_secs_f64()))
        }
        FaultKind::Delay(delay) => {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = stopped => return error(503, "sandbox stopped", None),
            }
            real.unwrap_or_else(|| error(500, "sandbox fault: delay without a response", None))
        }
        // Applied to the request before it is served (see `common::with_faults`).
        FaultKind::IgnoreQuery => {
            real.unwrap_or_else(|| error(500, "sandbox fault: query ignored, no response", None))
        }
        FaultKind::Malformed => raw(
            StatusCode::OK,
            Bytes::from_static(b"<html><body>502 Bad Gateway</body></html>"),
        ),
        FaultKind::Truncated => {
            let body = body_of(real).await;
            raw(StatusCode::OK, body.slice(..body.len() / 2))
        }
        FaultKind::DropConnection => {
            let body = body_of(real).await;
            let half = body.slice(..body.len() / 2);
            let announced = body.len().max(2);
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "sandbox fault: connection dropped",
                )),
            ];
            let mut response = Response::new(Body::from_stream(futures::stream::iter(chunks)));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(announced));
            response
        }
    }
}

async fn body_of(real: Option<Response>) -> Bytes {
    match real {
        Some(response) => to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default(),
        None => Bytes::from_static(br#"{"calls": [{"id": "0123456789abcdef01234567", "status": "Completed"}], "count": 1}"#),
    }
}

fn raw(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The message a vendor documents for an error status, where it documents one, so that
/// code matching on it meets in the sandbox what it meets live: Retell's 429 and 500.
/// Elsewhere the fault says it is the sandbox's.
fn documented_message(vendor: Vendor, status: u16) -> Option<&'static str> {
    match (vendor, status) {
        (Vendor::Retell, 429) => Some("Account rate limited, please throttle your requests."),
        (Vendor::Retell, 500) => Some("An unexpected server error occurred."),
        _ => None,
    }
}

/// An error as `vendor` answers one (`common::error`), with `Retry-After` when given.
fn json_error(vendor: Vendor, status: u16, message: &str, retry_after: Option<f64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = crate::common::error(vendor, status, message, &[]);
    if let Some(seconds) = retry_after {
        let value = HeaderValue::from(retry_after_value(seconds));
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `Retry-After` as HTTP writes it, whole seconds (RFC 9110 `delay-seconds`): rounded up,
/// so that a client waiting what it is told never comes back early; never below 0.
fn retry_after_value(seconds: f64) -> u64 {
    // `as` saturates: NaN and negatives give 0, a huge value `u64::MAX`.
    seconds.ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_fire_as_often_as_asked_then_expire() {
        let faults = Faults::default();
        faults.inject(
            Fault::new(FaultKind::Status(503))
                .vendor(ProviderKind::Rounded)
                .method("get")
                .path("/calls")
                .skip(1)
                .times(2),
        );
        let hit = |path| faults.take(ProviderKind::Rounded, "GET", path).is_some();
        assert!(!hit("/v1/agents"));
        assert!(!hit("/v1/calls"));
        assert!(hit("/v1/calls"));
        assert!(hit("/v1/calls"));
        assert!(!hit("/v1/calls"));
        assert!(
            faults
                .take(ProviderKind::HappyRobot, "GET", "/calls")
                .is_none()
        );
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        for (asked, sent) in [(0.5, 1), (0.01, 1), (1.0, 1), (1.2, 2), (0.0, 0)] {
            assert_eq!(retry_after_value(asked), sent, "{asked}");
        }
        assert_eq!(
            (retry_after_value(-1.0), retry_after_value(f64::NAN)),
            (0, 0)
        );
    }

    #[test]
    fn delivery_faults_match_vendor_event_and_kind_and_expire() {
        let faults = Faults::default();
        faults.inject_delivery(
            DeliveryFault::new(DeliveryFaultKind::Duplicate)
                .vendor(ProviderKind::Voicebot)
                .event("end-of-call-report")
                .skip(1)
                .times(2),
        );
        faults.inject_delivery(DeliveryFault::new(DeliveryFaultKind::OutOfOrder));
        assert_eq!(faults.len(), 2);
        let duplicate = |kind, event| {
            faults
                .take_delivery(kind, "c1", Some(event), |k| {
                    k == DeliveryFaultKind::Duplicate
                })
                .is_some()
        };
        assert!(!duplicate(ProviderKind::Voicebot, "status-update"));
        assert!(!duplicate(ProviderKind::Rounded, "end-of-call-report"));
        assert!(!duplicate(ProviderKind::Voicebot, "end-of-call-report"));
        assert!(duplicate(ProviderKind::Voicebot, "end-of-call-report"));
        assert!(duplicate(ProviderKind::Voicebot, "end-of-call-report"));
        assert!(!duplicate(ProviderKind::Voicebot, "end-of-call-report"));
        assert_eq!(faults.len(), 1, "the duplicate fault expired");
        // Another kind is not taken by a question about duplicates.
        let reorder = || {
            faults.take_delivery(ProviderKind::Rounded, "c1", None, |k| {
                k == DeliveryFaultKind::OutOfOrder
            })
        };
        assert_eq!(reorder(), Some(DeliveryFaultKind::OutOfOrder));
        assert_eq!(reorder(), None);
        assert!(faults.is_empty());
    }
}
