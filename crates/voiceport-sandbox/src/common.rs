//! What every vendor emulator shares: the request guard (API key, faults), the store of
//! its calls as a handler sees it ([`Ctx`]), and small response helpers.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use voiceport_core::ProviderKind;

use crate::faults::faulty_response;
use crate::requests::ServedRequest;
use crate::sim::{SimCall, View};
use crate::store::{DialSpec, State as SandboxState, VendorStore};
use crate::vendor::Vendor;

/// Where a transferred call went (a number of the account's team).
pub(crate) const TRANSFER_TO: &str = "+16285550188";

/// The state a vendor's handlers see.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) state: Arc<SandboxState>,
    pub(crate) vendor: Vendor,
}

impl Ctx {
    /// The vendor's calls, to read.
    pub(crate) fn calls(&self) -> RwLockReadGuard<'_, VendorStore> {
        self.state.calls(self.vendor)
    }

    /// The vendor's calls, to change.
    pub(crate) fn calls_mut(&self) -> RwLockWriteGuard<'_, VendorStore> {
        self.state.calls_mut(self.vendor)
    }

    /// `call` as it stands now.
    pub(crate) fn view(&self, call: &SimCall) -> View {
        call.view(Instant::now(), &self.state.timing)
    }

    /// Places the call a dial asked for: the call is stored (and counted as dialed),
    /// `answer` makes the dial's response of it as it stands, then it is followed for
    /// webhook deliveries.
    pub(crate) fn place(
        &self,
        spec: DialSpec,
        answer: impl FnOnce(&SimCall, &View) -> Response,
    ) -> Response {
        let (call, era) = self.state.place_dialed(self.vendor, spec);
        let response = answer(&call, &self.view(&call));
        crate::webhooks::follow(&self.state, self.vendor, &call.id, era);
        response
    }
}

/// Locks `mutex`, taking a poisoned one as it is: a handler that panicked holding it does
/// not take the sandbox down with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Read-locks `rw`, taking a poisoned one as it is (as [`lock`]).
pub(crate) fn read<T>(rw: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    rw.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Write-locks `rw`, taking a poisoned one as it is (as [`lock`]).
pub(crate) fn write<T>(rw: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    rw.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What HappyRobot and Rounded take for an E.164 number: a `+` and at least seven more
/// characters (Retell checks the digits too).
pub(crate) fn plus_number(number: &str) -> bool {
    number.starts_with('+') && number.len() >= 8
}

/// The key no emulated API accepts: what [`Sandbox::api_key`](crate::Sandbox::api_key) gives for a kind the sandbox does not
/// emulate.
pub const NOT_EMULATED_KEY: &str = "sandbox-not-emulated";

/// The API key `kind`'s emulated API accepts. For a kind the sandbox does not emulate (see
/// [`Sandbox::emulates`](crate::Sandbox::emulates)) it is [`NOT_EMULATED_KEY`], which no
/// emulated API accepts.
pub(crate) fn api_key(kind: ProviderKind) -> &'static str {
    Vendor::of(kind).map_or(NOT_EMULATED_KEY, Vendor::api_key)
}

fn authorized(vendor: Vendor, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = vendor.api_key();
    match vendor {
        // The scheme's name is case-insensitive (RFC 9110: `bearer` is `Bearer`).
        Vendor::HappyRobot | Vendor::Vapi | Vendor::Retell => header("authorization")
            .and_then(|value| value.split_once(' '))
            .is_some_and(|(scheme, given)| scheme.eq_ignore_ascii_case("bearer") && given == key),
        Vendor::Voicebot | Vendor::Rounded => header("x-api-key") == Some(key),
    }
}

/// What the vendor says to a missing or wrong key: Retell documents its message; the others
/// document none (the sandbox's own words, in each vendor's error shape).
fn unauthorized_message(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Retell => "API key is missing or invalid.",
        Vendor::HappyRobot | Vendor::Voicebot | Vendor::Rounded | Vendor::Vapi => {
            "Invalid or missing API key"
        }
    }
}

/// Checks the key the way the vendor does, then applies any injected fault; records the
/// request and its answer.
pub(crate) async fn guard(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let recording = Recording::start(&ctx, &request, None);
    let response = if authorized(ctx.vendor, request.headers()) {
        with_faults(&ctx, request, next, &recording.fault).await
    } else {
        let message = unauthorized_message(ctx.vendor);
        error(ctx.vendor, StatusCode::UNAUTHORIZED, message, &[])
    };
    recording.finish(response)
}

/// Applies any injected fault, without checking a key: for URLs that carry no key in
/// production (Vapi's live-call control URL, whose path is its secret). Recorded as
/// `prefix/…`, without the rest of the path or the query.
pub(crate) async fn faults_only(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let recording = Recording::start(&ctx, &request, Some(crate::vapi::LIVE));
    let response = with_faults(&ctx, request, next, &recording.fault).await;
    recording.finish(response)
}

/// A request being served, recorded when it is answered, or (with no status) when the
/// client goes away first and the request's future is dropped.
struct Recording {
    state: Arc<SandboxState>,
    vendor: Vendor,
    /// The record's generation when the request arrived (a reset since leaves it out).
    generation: u64,
    /// Taken once recorded.
    served: Option<ServedRequest>,
    /// The fault the request took, set by [`with_faults`].
    fault: Mutex<Option<crate::FaultKind>>,
}

impl Recording {
    /// `request` as it arrived; with `secret_below`, its path is recorded as that prefix
    /// followed by `/…`, and no query.
    fn start(ctx: &Ctx, request: &Request, secret_below: Option<&str>) -> Recording {
        let uri = original_uri(request);
        let (path, query) = match secret_below {
            Some(prefix) => (format!("{prefix}/…"), None),
            None => (
                crate::requests::recorded_uri_part(uri.path()),
                uri.query().map(crate::requests::recorded_uri_part),
            ),
        };
        Recording {
            state: ctx.state.clone(),
            vendor: ctx.vendor,
            generation: ctx.state.requests.generation(ctx.vendor),
            served: Some(ServedRequest {
                // Cut as a path is: hyper takes a method token of any length.
                method: crate::requests::recorded_uri_part(request.method().as_str()),
                path,
                query,
                status: None,
                fault: None,
                at: chrono::Utc::now(),
            }),
            fault: Mutex::new(None),
        }
    }

    /// Records the request with `response`'s status, and gives the response on.
    fn finish(mut self, response: Response) -> Response {
        if let Some(served) = self.served.as_mut() {
            served.status = Some(response.status().as_u16());
        }
        response
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if let Some(mut served) = self.served.take() {
            served.fault = lock(&self.fault).clone();
            self.state
                .requests
                .record(self.vendor, self.generation, served);
        }
    }
}

/// The URI as the client sent it: inside the vendor's nested router the request's URI has
/// lost the prefix the router is mounted at (the vendor's, or that of a second mount such
/// as the live-call control URLs), which axum keeps in `OriginalUri` (always, with its
/// `original-uri` feature, which the sandbox turns on).
fn original_uri(request: &Request) -> &axum::http::Uri {
    (request.extensions().get::<axum::extract::OriginalUri>())
        .map_or_else(|| request.uri(), |original| &original.0)
}

/// Serves `request`, spoiled by the fault armed for it, if any.
async fn with_faults(
    ctx: &Ctx,
    mut request: Request,
    next: Next,
    taken: &Mutex<Option<crate::FaultKind>>,
) -> Response {
    let method = request.method().as_str().to_owned();
    let path = original_uri(&request).path().to_owned();
    // A read changes nothing: the real body can be cut even before the handler.
    let read = ctx.vendor.is_read(&method, &path);
    let fault = ctx.state.faults.take(ctx.vendor.kind(), &method, &path);
    // Known to the record even when the client goes away during the fault (a delay).
    *lock(taken) = fault.as_ref().map(|(kind, _)| kind.clone());
    let spoil = |kind, real| faulty_response(ctx.vendor, kind, real, ctx.state.hooks.stopped());
    match fault {
        None => next.run(request).await,
        Some((crate::FaultKind::IgnoreQuery, _)) => {
            let path = request.uri().path().to_owned();
            if let Ok(uri) = path.parse() {
                *request.uri_mut() = uri;
            }
            next.run(request).await
        }
        Some((kind, false)) => match kind {
            crate::FaultKind::Delay(_) => {
                let response = next.run(request).await;
                spoil(kind, Some(response)).await
            }
            crate::FaultKind::Truncated | crate::FaultKind::DropConnection if read => {
                let response = next.run(request).await;
                spoil(kind, Some(response)).await
            }
            _ => spoil(kind, None).await,
        },
        Some((kind, true)) => {
            let response = next.run(request).await;
            spoil(kind, Some(response)).await
        }
    }
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

/// Where the fields a refusal names are: the request's JSON body or its query string.
/// FastAPI says which first in each problem's `loc`; the other vendors do not say.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FieldsIn {
    Body,
    Query,
}

/// An error in the vendor's own shape, its field problems in the body. HappyRobot
/// documents none: `{message}` (inferred); Voicebot Studio looks like FastAPI: `{detail}`;
/// Rounded wraps it in its envelope; Vapi answers as NestJS does (`{message, error,
/// statusCode}`, `message` a list of the field problems when there are some: inferred,
/// NestJS's validation answer, not in Vapi's spec); Retell documents `{status: "error",
/// message}` for every error.
pub(crate) fn error(
    vendor: Vendor,
    status: StatusCode,
    message: &str,
    details: &[(&str, &str)],
) -> Response {
    error_in(vendor, status, message, details, FieldsIn::Body)
}

/// [`error`], its field problems `in` the body or the query string. A problem's field is
/// a dotted path (`customer.number`), which FastAPI's `loc` lists segment by segment.
pub(crate) fn error_in(
    vendor: Vendor,
    status: StatusCode,
    message: &str,
    details: &[(&str, &str)],
    fields_in: FieldsIn,
) -> Response {
    let loc = |field: &str| {
        let start = match fields_in {
            FieldsIn::Body => "body",
            FieldsIn::Query => "query",
        };
        let segments = std::iter::once(start).chain(field.split('.'));
        segments.map(Value::from).collect::<Vec<_>>()
    };
    let body = match vendor {
        Vendor::HappyRobot => json!({ "message": message }),
        Vendor::Voicebot if details.is_empty() => json!({ "detail": message }),
        Vendor::Voicebot => json!({
            "detail": details.iter().map(|(field, msg)| json!({"loc": loc(field), "msg": msg, "type": "value_error"})).collect::<Vec<_>>()
        }),
        Vendor::Rounded => json!({
            "message": message,
            "data": null,
            "error": {
                "details": details.iter().map(|(field, msg)| json!({"field": field, "message": msg})).collect::<Vec<_>>(),
                "message": message,
                "status": status.as_u16(),
                "type": "generic_error",
            },
            "status": status.as_u16(),
        }),
        Vendor::Vapi if details.is_empty() => json!({
            "message": message,
            "error": status.canonical_reason().unwrap_or("Error"),
            "statusCode": status.as_u16(),
        }),
        Vendor::Vapi => json!({
            "message": details.iter().map(|(field, msg)| format!("{field} {msg}")).collect::<Vec<_>>(),
            "error": status.canonical_reason().unwrap_or("Error"),
            "statusCode": status.as_u16(),
        }),
        Vendor::Retell => json!({ "status": "error", "message": message }),
    };
    json_response(status, body)
}

/// A request's body as the vendor reads a JSON object, in place of the body's bytes: `None`
/// when it is no JSON object, or was not sent as JSON (see [`sent_as_json`]): the vendors'
/// frameworks do not parse a body of another type, so it reaches their validation as no
/// object, which refuses it. Retell reads a blank body as an empty object, whatever its type
/// (there is nothing to type: a list request with no body).
pub(crate) struct JsonObject(pub(crate) Option<Map<String, Value>>);

impl<S: Send + Sync> FromRequest<S> for JsonObject
where
    Ctx: FromRef<S>,
{
    type Rejection = BytesRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let vendor = Ctx::from_ref(state).vendor;
        let typed = sent_as_json(vendor, request.headers());
        let bytes = Bytes::from_request(request, state).await?;
        if vendor == Vendor::Retell && bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Some(Map::new())));
        }
        Ok(Self(typed.then(|| body_object(&bytes)).flatten()))
    }
}

/// Parses a JSON request body; `None` when it is not a JSON object.
fn body_object(bytes: &Bytes) -> Option<Map<String, Value>> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// Whether the `Content-Type` says JSON, as `vendor`'s framework reads it (parameters such
/// as `; charset=utf-8` allowed). Vapi's (Express's JSON parser, by default) takes only
/// `application/json`; FastAPI's (Voicebot Studio, Rounded: inferred) also
/// `application/*+json`, and since 0.132 no body without a type. HappyRobot and Retell do
/// not say: as FastAPI (inferred).
fn sent_as_json(vendor: Vendor, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let media = value.split(';').next().unwrap_or_default().trim();
    let media = media.to_ascii_lowercase();
    let suffixed = media
        .strip_prefix("application/")
        .is_some_and(|subtype| subtype.ends_with("+json"));
    media == "application/json" || (suffixed && vendor != Vendor::Vapi)
}

/// RFC 3339 with milliseconds and `Z`.
pub(crate) fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 query value.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The query's times under `keys` (RFC 3339), each `None` when absent; `Err` names the
/// first that does not read, which the vendors refuse rather than take for no filter.
pub(crate) fn time_params<const N: usize>(
    params: &std::collections::HashMap<String, String>,
    keys: [&'static str; N],
) -> Result<[Option<DateTime<Utc>>; N], &'static str> {
    let read = keys.map(|key| match params.get(key) {
        None => Ok(None),
        Some(text) => parse_time(text).map(Some).ok_or(key),
    });
    if let Some(Err(key)) = read.iter().find(|time| time.is_err()) {
        return Err(key);
    }
    Ok(read.map(|time| time.unwrap_or(None)))
}

/// A string field of a JSON object.
pub(crate) fn text(map: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// An optional field of a request body, as `read` takes it: `Ok(None)` absent or null,
/// `Err(())` when `read` refuses it.
pub(crate) fn optional<T>(
    map: &serde_json::Map<String, Value>,
    key: &str,
    read: impl FnOnce(&Value) -> Option<T>,
) -> Result<Option<T>, ()> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => read(value).map(Some).ok_or(()),
    }
}

/// An object field of a JSON object (empty when absent).
pub(crate) fn object(
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> serde_json::Map<String, Value> {
    match map.get(key) {
        Some(Value::Object(inner)) => inner.clone(),
        _ => serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisoned_locks_are_taken_as_they_are() {
        let mutex = Arc::new(Mutex::new(1));
        let rw = Arc::new(RwLock::new(1));
        let (m, r) = (mutex.clone(), rw.clone());
        let panicked = std::thread::spawn(move || {
            let (_held, _written) = (m.lock().unwrap(), r.write().unwrap());
            panic!("poison both");
        })
        .join();
        assert!(panicked.is_err() && mutex.is_poisoned() && rw.is_poisoned());
        *lock(&mutex) += 1;
        *write(&rw) += 1;
        assert_eq!((*lock(&mutex), *read(&rw)), (2, 2));
    }

    #[test]
    fn only_a_json_content_type_is_read_as_json() {
        let typed = |vendor, content_type: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(value) = content_type {
                headers.insert("content-type", value.parse().unwrap());
            }
            sent_as_json(vendor, &headers)
        };
        for vendor in Vendor::ALL {
            assert!(typed(vendor, Some("application/json")), "{vendor:?}");
            assert!(typed(vendor, Some(" APPLICATION/json ; charset=UTF-8")));
            for refused in [
                None,
                Some("text/plain"),
                Some("application/jsonx"),
                Some(""),
            ] {
                assert!(!typed(vendor, refused), "{vendor:?} {refused:?}");
            }
        }
        // `application/*+json`: FastAPI's, not Express's.
        assert!(typed(Vendor::Voicebot, Some("application/vnd.api+json")));
        assert!(!typed(Vendor::Vapi, Some("application/vnd.api+json")));
        assert!(!typed(Vendor::Rounded, Some("text/x+json")));
    }

    #[test]
    fn a_plus_number_is_a_plus_and_seven_more() {
        assert!(plus_number("+1415555"));
        assert!(!plus_number("+141555"));
        assert!(!plus_number("14155550187"));
    }
}
