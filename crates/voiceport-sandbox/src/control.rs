//! The sandbox's own HTTP control API (not a vendor's), for a sandbox run standalone
//! (`voiceport sandbox`): inject and clear faults, point the emulators' webhooks somewhere,
//! read the counts and deliveries that tests assert on.
//!
//! | request | effect |
//! | --- | --- |
//! | `GET http://127.0.0.1:8700/_sandbox` | `{"calls": {...}, "dialed": {...}, "deliveries": {...}, "faults": n}` per vendor (`deliveries`: the attempts made, those no longer recorded included) |
//! | `POST http://127.0.0.1:8700/_sandbox/faults` | adds the fault in the body ([`FaultSpec`]), answers 201; 400 past 1,000 armed faults, or a `method`, `path`, `event` or `call_id` over 256 bytes |
//! | `DELETE http://127.0.0.1:8700/_sandbox/faults` | removes every fault, answers 204 |
//! | `POST http://127.0.0.1:8700/_sandbox/reset` | back to how the sandbox started ([`Sandbox::reset`](crate::Sandbox::reset): the seeded calls as generated, no dial, fault, request or delivery recorded; the webhook targets stay), answers 204 |
//! | `GET http://127.0.0.1:8700/_sandbox/requests/{vendor}` | `{"requests": [...], "total": n}`: the newest `?limit=` requests the vendor's emulator answered (default [`DEFAULT_LIST_LIMIT`]), oldest first (`method`, `path` and `query` cut at [`MAX_RECORDED_URI_PART`](crate::MAX_RECORDED_URI_PART) bytes, `status`, null when the client went away first, `fault` as `POST /_sandbox/faults` takes it, `at`); `total` counts the recorded ones (the newest [`MAX_RECORDED_REQUESTS`](crate::MAX_RECORDED_REQUESTS) to end) |
//! | `PUT http://127.0.0.1:8700/_sandbox/webhooks/{vendor}` | sets the vendor's webhook target ([`WebhookSpec`]) for calls dialed from now on, answers 200 with it (no secret), or 400 saying what is wrong |
//! | `GET http://127.0.0.1:8700/_sandbox/webhooks/{vendor}` | `{"target": {...} or null, "deliveries": [...], "total": n}`: the newest `?limit=` attempts (default [`DEFAULT_LIST_LIMIT`]), oldest first, about `?call_id=` only when given; `total` counts the recorded attempts that match (the newest [`MAX_RECORDED_ATTEMPTS`](crate::MAX_RECORDED_ATTEMPTS) are recorded, within [`MAX_RECORDED_ATTEMPT_BYTES`](crate::MAX_RECORDED_ATTEMPT_BYTES)) |
//! | `DELETE http://127.0.0.1:8700/_sandbox/webhooks/{vendor}` | removes the target for calls dialed from now on, answers 204 |
//!
//! A call keeps the target it was dialed with for all its deliveries, retries included:
//! a `PUT` or `DELETE` meanwhile changes nothing for it.
//!
//! It needs no key: the sandbox only listens where it is told (loopback by default).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use voiceport_core::ProviderKind;
use voiceport_core::webhook::WebhookConfig;

use crate::common::json_response;
use crate::store::State as SandboxState;
use crate::vendor::Vendor;
use crate::webhooks::{WebhookTarget, describe_attempt, describe_target};
use crate::{DeliveryFault, DeliveryFaultKind, Fault, FaultKind};

/// Where the control API lives.
pub(crate) const PREFIX: &str = "/_sandbox";

/// How many faults the control API arms at most (armed, not yet spent), delivery faults
/// included: past that, `POST _sandbox/faults` is refused.
pub(crate) const MAX_ARMED_FAULTS: usize = 1_000;

/// The longest `method`, `path`, `event` or `call_id` a fault posted to the control API
/// takes, in bytes.
const MAX_FAULT_TEXT: usize = 256;

/// How many delivery attempts a `GET` of `_sandbox/webhooks/{vendor}` lists without `?limit=`
/// (each is re-parsed to show its body, and the record holds up to 10,000), and how many
/// requests one of `_sandbox/requests/{vendor}` does.
pub(crate) const DEFAULT_LIST_LIMIT: usize = 100;

/// A fault as JSON, for `POST /_sandbox/faults`:
///
/// ```json
/// {"fault": "status", "status": 503, "vendor": "happyrobot", "method": "GET",
///  "path": "/calls", "skip": 0, "times": 3}
/// ```
///
/// `fault` is one of `status` (with `status`), `rate_limited` (with `retry_after_secs`),
/// `delay` (with `delay_ms`), `drop_connection`, `malformed`, `truncated`, `ignore_query`.
/// The rest narrow it as [`Fault`]'s builder methods do; `times` defaults to 1, and
/// `after_handler: true` lets the request take effect before its response is spoiled.
///
/// Faults on webhook deliveries ([`DeliveryFault`]) are `duplicate_delivery`,
/// `out_of_order_delivery`, `wrong_signature` and `stale_signature`, narrowed by `vendor`,
/// `event` (the vendor's event type: `end-of-call-report`, `end` …), `call_id` (one
/// call's deliveries), `skip` and `times`.
/// `out_of_order_delivery` is decided when a call is dialed, for all its deliveries: it
/// takes no `event` (refused), and its `skip` and `times` count dialed calls.
///
/// ```json
/// {"fault": "duplicate_delivery", "vendor": "voicebot", "event": "end-of-call-report"}
/// ```
///
/// Read from JSON only (non-exhaustive: a fault option added later is no breaking change).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub(crate) struct FaultSpec {
    /// Which fault.
    pub fault: String,
    /// The status of a `status` fault.
    #[serde(default)]
    pub status: Option<u16>,
    /// The `Retry-After` of a `rate_limited` fault, in seconds (default 1; sent rounded up
    /// to whole seconds).
    #[serde(default)]
    pub retry_after_secs: Option<f64>,
    /// The delay of a `delay` fault, in milliseconds.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Only this vendor (`happyrobot`, `voicebot`, `rounded`, `vapi`, `retell`).
    #[serde(default)]
    pub vendor: Option<ProviderKind>,
    /// Only this method.
    #[serde(default)]
    pub method: Option<String>,
    /// Only paths containing this.
    #[serde(default)]
    pub path: Option<String>,
    /// Let this many matching requests through first.
    #[serde(default)]
    pub skip: Option<u32>,
    /// Fire this many times (`null` or absent: once; 4294967295, `u32::MAX`, for
    /// "always": any other number runs out).
    #[serde(default)]
    pub times: Option<u32>,
    /// Let the request take effect, then spoil the response.
    #[serde(default)]
    pub after_handler: bool,
    /// Delivery faults: only deliveries of this event type.
    #[serde(default)]
    pub event: Option<String>,
    /// Only deliveries about this call (delivery faults).
    #[serde(default)]
    pub call_id: Option<String>,
}

/// The delivery faults' names in a [`FaultSpec`].
fn delivery_kind(name: &str) -> Option<DeliveryFaultKind> {
    match name {
        "duplicate_delivery" => Some(DeliveryFaultKind::Duplicate),
        "out_of_order_delivery" => Some(DeliveryFaultKind::OutOfOrder),
        "wrong_signature" => Some(DeliveryFaultKind::WrongSignature),
        "stale_signature" => Some(DeliveryFaultKind::StaleSignature),
        _ => None,
    }
}

impl FaultSpec {
    /// Refuses a text field past [`MAX_FAULT_TEXT`]: each is matched against every
    /// request (or delivery) while armed.
    fn check_lengths(&self) -> Result<(), String> {
        let texts = [
            ("method", &self.method),
            ("path", &self.path),
            ("event", &self.event),
            ("call_id", &self.call_id),
        ];
        match texts
            .into_iter()
            .find(|(_, text)| text.as_ref().is_some_and(|t| t.len() > MAX_FAULT_TEXT))
        {
            Some((name, _)) => Err(format!("`{name}` is longer than {MAX_FAULT_TEXT} bytes")),
            None => Ok(()),
        }
    }
}

impl TryFrom<FaultSpec> for DeliveryFault {
    type Error = String;

    fn try_from(spec: FaultSpec) -> Result<DeliveryFault, String> {
        let Some(kind) = delivery_kind(&spec.fault) else {
            return Err(format!("{:?} is not a delivery fault", spec.fault));
        };
        if spec.status.is_some()
            || spec.retry_after_secs.is_some()
            || spec.delay_ms.is_some()
            || spec.method.is_some()
            || spec.path.is_some()
            || spec.after_handler
        {
            return Err(
                "a delivery fault takes only `vendor`, `event`, `call_id`, `skip` and `times`"
                    .into(),
            );
        }
        if kind == DeliveryFaultKind::OutOfOrder && spec.event.is_some() {
            return Err("`out_of_order_delivery` holds back all the deliveries of a dialed call: it takes no `event` (its `skip` and `times` count calls)".into());
        }
        let mut fault = DeliveryFault::new(kind)
            .skip(spec.skip.unwrap_or(0))
            .times(spec.times.unwrap_or(1));
        if let Some(vendor) = spec.vendor {
            fault = fault.vendor(vendor);
        }
        if let Some(event) = &spec.event {
            fault = fault.event(event);
        }
        if let Some(call_id) = &spec.call_id {
            fault = fault.call_id(call_id);
        }
        Ok(fault)
    }
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(spec: FaultSpec) -> Result<Fault, String> {
        let kind = match spec.fault.as_str() {
            "status" => match spec.status {
                Some(status @ 400..=599) => FaultKind::Status(status),
                Some(other) => return Err(format!("`status` must be 400 to 599, not {other}")),
                None => return Err("a `status` fault needs `status`".into()),
            },
            "rate_limited" => {
                let retry_after_secs = spec.retry_after_secs.unwrap_or(1.0);
                if !(retry_after_secs.is_finite() && retry_after_secs >= 0.0) {
                    return Err("`retry_after_secs` must be a number of seconds ≥ 0".into());
                }
                let Ok(mut retry_after) = Duration::try_from_secs_f64(retry_after_secs) else {
                    return Err("`retry_after_secs` is too long a wait".into());
                };
                // Rounded up, never down, to the nanosecond: the whole seconds sent are
                // those of the fraction asked for (1e-10 is sent as 1, not 0).
                if retry_after.as_secs_f64() < retry_after_secs {
                    retry_after += Duration::from_nanos(1);
                }
                FaultKind::RateLimited { retry_after }
            }
            "delay" => match spec.delay_ms {
                Some(ms) => FaultKind::Delay(Duration::from_millis(ms)),
                None => return Err("a `delay` fault needs `delay_ms`".into()),
            },
            "drop_connection" => FaultKind::DropConnection,
            "malformed" => FaultKind::Malformed,
            "truncated" => FaultKind::Truncated,
            "ignore_query" => FaultKind::IgnoreQuery,
            other if delivery_kind(other).is_some() => {
                return Err(format!(
                    "{other:?} is a fault on deliveries, not on requests"
                ));
            }
            other => {
                return Err(format!(
                    "unknown `fault` {other:?}: expected status, rate_limited, delay, \
                     drop_connection, malformed, truncated, ignore_query, \
                     duplicate_delivery, out_of_order_delivery, wrong_signature or \
                     stale_signature"
                ));
            }
        };
        if spec.event.is_some() || spec.call_id.is_some() {
            return Err(
                "`event` and `call_id` narrow delivery faults only (a request fault takes `path`)"
                    .into(),
            );
        }
        let mut fault = Fault::new(kind)
            .skip(spec.skip.unwrap_or(0))
            .times(spec.times.unwrap_or(1));
        if let Some(vendor) = spec.vendor {
            fault = fault.vendor(vendor);
        }
        if let Some(method) = &spec.method {
            fault = fault.method(method);
        }
        if let Some(path) = &spec.path {
            fault = fault.path(path);
        }
        if spec.after_handler {
            fault = fault.after_handler();
        }
        Ok(fault)
    }
}

/// A webhook target as JSON, for `PUT http://127.0.0.1:8700/_sandbox/webhooks/{vendor}`:
///
/// ```json
/// {"url": "http://127.0.0.1:3000/webhooks/support", "secret": "s3cret",
///  "retries": 2, "timeout_ms": 2000}
/// ```
///
/// `url` is required; `retries` (at most [`MAX_RETRIES`](crate::MAX_RETRIES)),
/// `timeout_ms` (1 to 300,000) and `retry_delay_ms` (at most 60,000) shape the attempts
/// (by default the vendor's: [`WebhookTarget::for_vendor`]; a 100 ms pause);
/// `"tool_calls": true` adds Vapi's and Voicebot Studio's `tool-calls` requests
/// ([`WebhookTarget::tool_calls`]), `"every_event": true` the events beyond the lifecycle
/// ([`WebhookTarget::every_event`]); every other key
/// is one of the receiving provider's `[providers.NAME.webhook]` table
/// ([`WebhookConfig`]: `verify`, `secret`, `header`, `timestamp_header`,
/// `payload_format`, `message_id_header`, `algorithm`, `encoding`,
/// `signature_prefix`, `secret_is_base64`), which the emulator signs with; its `url` (the
/// URL a `{url}` format signs) is this `url`, where the deliveries are posted. Not
/// `secret_env`: the control API takes no key, and the variable's value would be sent to
/// whatever URL the caller gave ([`Sandbox::set_webhook`](crate::Sandbox::set_webhook),
/// in-process, resolves it).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub(crate) struct WebhookSpec {
    /// Where to post.
    pub url: String,
    /// Retries per delivery (`None`: the vendor's).
    pub retries: Option<u32>,
    /// The timeout of one attempt (`None`: the vendor's).
    pub timeout: Option<Duration>,
    /// The pause before a retry (`None`: [`DEFAULT_RETRY_DELAY`](crate::DEFAULT_RETRY_DELAY)).
    pub retry_delay: Option<Duration>,
    /// Whether to post the `tool-calls` requests ([`WebhookTarget::tool_calls`]).
    pub tool_calls: bool,
    /// Whether to post the events beyond the lifecycle ([`WebhookTarget::every_event`]).
    pub every_event: bool,
    /// How to sign.
    pub config: WebhookConfig,
}

impl WebhookSpec {
    /// Reads the JSON body of `PUT http://127.0.0.1:8700/_sandbox/webhooks/{vendor}`.
    pub(crate) fn from_json(body: &[u8]) -> Result<WebhookSpec, String> {
        let mut map: Map<String, Value> = match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err("the body must be a JSON object".into()),
            Err(e) => return Err(format!("the body is not JSON: {e}")),
        };
        let url = match map.remove("url") {
            Some(Value::String(url)) => url,
            Some(_) => return Err("`url` must be a string".into()),
            None => return Err("`url` is required".into()),
        };
        let mut number = |key: &str| -> Result<Option<u64>, String> {
            match map.remove(key) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => value
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("`{key}` must be a whole number ≥ 0")),
            }
        };
        let retries = number("retries")?
            .map(u32::try_from)
            .transpose()
            .map_err(|_| "`retries` is too large".to_owned())?;
        let timeout = number("timeout_ms")?.map(Duration::from_millis);
        let retry_delay = number("retry_delay_ms")?.map(Duration::from_millis);
        let mut flag = |key: &str| match map.remove(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(on)) => Ok(on),
            Some(_) => Err(format!("`{key}` must be true or false")),
        };
        let tool_calls = flag("tool_calls")?;
        let every_event = flag("every_event")?;
        // The control API takes no key: a variable named here would be read from the
        // sandbox's environment and sent, in a header, to any URL the caller gives.
        if map.contains_key("secret_env") {
            return Err(
                "`secret_env` is not taken over the control API (it would send a variable of the sandbox's environment to the given URL): give the `secret` itself".into(),
            );
        }
        let mut config: WebhookConfig = serde_json::from_value(Value::Object(map))
            .map_err(|e| format!("the signing configuration: {e}"))?;
        // A format that signs `{url}` signs the URL the delivery is posted to: this one.
        let signs_url = (config.payload_format.as_deref()).is_some_and(|f| f.contains("{url}"));
        if signs_url && config.url.is_none() {
            config.url = Some(url.clone());
        }
        Ok(WebhookSpec {
            url,
            retries,
            timeout,
            retry_delay,
            tool_calls,
            every_event,
            config,
        })
    }

    /// The target it describes for `kind`'s deliveries: what it leaves out is the vendor's
    /// ([`WebhookTarget::for_vendor`]).
    pub(crate) fn into_target(self, kind: ProviderKind) -> WebhookTarget {
        let mut target = WebhookTarget::for_vendor(kind, self.url, self.config);
        if let Some(retries) = self.retries {
            target = target.retries(retries);
        }
        if let Some(timeout) = self.timeout {
            target = target.timeout(timeout);
        }
        if let Some(delay) = self.retry_delay {
            target = target.retry_delay(delay);
        }
        target
            .tool_calls(self.tool_calls)
            .every_event(self.every_event)
    }
}

pub(crate) fn router(state: Arc<SandboxState>) -> Router {
    Router::new()
        .route("/", get(summary))
        .route("/reset", axum::routing::post(reset))
        .route(
            "/faults",
            axum::routing::post(add_fault).delete(clear_faults),
        )
        .route("/requests/{vendor}", get(show_requests))
        .route(
            "/webhooks/{vendor}",
            axum::routing::put(set_webhook)
                .get(show_webhook)
                .delete(clear_webhook),
        )
        .with_state(state)
}

/// The vendor a path names, or the 404 saying it is not emulated.
fn vendor_of(name: &str) -> Result<Vendor, Response> {
    name.parse::<ProviderKind>()
        .ok()
        .and_then(Vendor::of)
        .ok_or_else(|| {
            let emulated: Vec<&str> = crate::EMULATED.iter().map(|kind| kind.as_str()).collect();
            let message = format!(
                "the sandbox does not emulate {name:?}: expected one of {}",
                emulated.join(", ")
            );
            json_response(StatusCode::NOT_FOUND, json!({ "message": message }))
        })
}

async fn set_webhook(
    State(state): State<Arc<SandboxState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let vendor = match vendor_of(&name) {
        Ok(vendor) => vendor,
        Err(response) => return response,
    };
    let target = WebhookSpec::from_json(&body).and_then(|spec| {
        spec.into_target(vendor.kind())
            .resolve(vendor.kind())
            .map_err(|e| e.to_string())
    });
    match target {
        Ok(target) => {
            let shown = describe_target(&target);
            state.hooks.set(vendor, Some(target));
            json_response(StatusCode::OK, shown)
        }
        Err(message) => json_response(StatusCode::BAD_REQUEST, json!({"message": message})),
    }
}

/// A listing's query, or its refusal (400) saying what was `expected`.
fn query_of<T>(query: Result<Query<T>, QueryRejection>, expected: &str) -> Result<T, Response> {
    query.map(|Query(query)| query).map_err(|rejection| {
        let message = format!("{} (expected {expected})", rejection.body_text());
        json_response(StatusCode::BAD_REQUEST, json!({"message": message}))
    })
}

/// The query of a `GET` of `_sandbox/requests/{vendor}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestsQuery {
    /// The newest this many (default [`DEFAULT_LIST_LIMIT`]).
    limit: Option<usize>,
}

/// The requests a vendor's emulator answered ([`Sandbox::requests`](crate::Sandbox::requests)),
/// the newest `?limit=` oldest first: `{"requests": [{"method", "path", "query", "status",
/// "fault", "at"}], "total": n}`.
async fn show_requests(
    State(state): State<Arc<SandboxState>>,
    Path(name): Path<String>,
    query: Result<Query<RequestsQuery>, QueryRejection>,
) -> Response {
    let vendor = match vendor_of(&name) {
        Ok(vendor) => vendor,
        Err(response) => return response,
    };
    let limit = match query_of(query, "`limit`, a whole number") {
        Ok(query) => query.limit.unwrap_or(DEFAULT_LIST_LIMIT),
        Err(refused) => return refused,
    };
    let (newest, total) = state.requests.newest(vendor, limit);
    let requests: Vec<Value> = (newest.into_iter())
        .map(|request| {
            json!({
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "status": request.status,
                "fault": request.fault.map(fault_spec),
                "at": crate::common::iso(request.at),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        json!({ "requests": requests, "total": total }),
    )
}

/// A request fault as `POST /_sandbox/faults` takes it (`{"fault": "status", "status": 503}`).
fn fault_spec(fault: FaultKind) -> Value {
    match fault {
        FaultKind::Status(status) => json!({"fault": "status", "status": status}),
        FaultKind::RateLimited { retry_after } => {
            json!({"fault": "rate_limited", "retry_after_secs": retry_after.as_secs_f64()})
        }
        FaultKind::Delay(delay) => {
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            json!({"fault": "delay", "delay_ms": delay_ms})
        }
        FaultKind::DropConnection => json!({"fault": "drop_connection"}),
        FaultKind::Malformed => json!({"fault": "malformed"}),
        FaultKind::Truncated => json!({"fault": "truncated"}),
        FaultKind::IgnoreQuery => json!({"fault": "ignore_query"}),
    }
}

/// The query of a `GET` of `_sandbox/webhooks/{vendor}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Only the attempts about this call.
    call_id: Option<String>,
    /// The newest this many (default [`DEFAULT_LIST_LIMIT`]).
    limit: Option<usize>,
}

async fn show_webhook(
    State(state): State<Arc<SandboxState>>,
    Path(name): Path<String>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let vendor = match vendor_of(&name) {
        Ok(vendor) => vendor,
        Err(response) => return response,
    };
    let query = match query_of(query, "`call_id` and `limit`, a whole number") {
        Ok(query) => query,
        Err(refused) => return refused,
    };
    let target = state.hooks.target(vendor);
    let limit = query.limit.unwrap_or(DEFAULT_LIST_LIMIT);
    let (attempts, total) = state.hooks.recent(vendor, query.call_id.as_deref(), limit);
    // Typed, not a `Value`: the bodies are written as they were, never parsed into trees.
    #[derive(serde::Serialize)]
    struct Listing<'a> {
        target: Option<Value>,
        deliveries: Vec<crate::webhooks::AttemptShown<'a>>,
        total: usize,
    }
    let listing = Listing {
        target: target.as_deref().map(describe_target),
        deliveries: attempts.iter().map(describe_attempt).collect(),
        total,
    };
    (StatusCode::OK, axum::Json(listing)).into_response()
}

async fn clear_webhook(
    State(state): State<Arc<SandboxState>>,
    Path(name): Path<String>,
) -> Response {
    match vendor_of(&name) {
        Ok(vendor) => {
            state.hooks.set(vendor, None);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(response) => response,
    }
}

async fn summary(State(state): State<Arc<SandboxState>>) -> Response {
    let mut calls = Map::new();
    let mut dialed = Map::new();
    let mut deliveries = Map::new();
    for vendor in Vendor::ALL {
        let store = state.calls(vendor);
        let name = vendor.kind().as_str();
        calls.insert(name.into(), json!(store.len()));
        dialed.insert(name.into(), json!(store.dialed));
        deliveries.insert(name.into(), json!(state.hooks.count(vendor)));
    }
    json_response(
        StatusCode::OK,
        json!({"calls": calls, "dialed": dialed, "deliveries": deliveries, "faults": state.faults.len()}),
    )
}

async fn add_fault(
    State(state): State<Arc<SandboxState>>,
    body: Result<Json<FaultSpec>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let armed = body
        .map_err(|rejection| rejection.body_text())
        .and_then(|Json(spec)| {
            // Every request scans the armed faults: a caller that arms them in a loop is
            // told, not left to slow every answer down.
            if state.faults.len() >= MAX_ARMED_FAULTS {
                return Err(format!(
                    "{MAX_ARMED_FAULTS} faults are armed already: clear them \
                     (DELETE _sandbox/faults) or reset the sandbox"
                ));
            }
            spec.check_lengths()?;
            if delivery_kind(&spec.fault).is_some() {
                DeliveryFault::try_from(spec).map(|fault| state.faults.inject_delivery(fault))
            } else {
                Fault::try_from(spec).map(|fault| state.faults.inject(fault))
            }
        });
    match armed {
        Ok(()) => json_response(StatusCode::CREATED, json!({"faults": state.faults.len()})),
        Err(message) => json_response(StatusCode::BAD_REQUEST, json!({"message": message})),
    }
}

async fn clear_faults(State(state): State<Arc<SandboxState>>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(state): State<Arc<SandboxState>>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn spec(json: Value) -> Result<Fault, String> {
        let spec: FaultSpec = serde_json::from_value(json).map_err(|e| e.to_string())?;
        Fault::try_from(spec)
    }

    #[test]
    fn every_fault_kind_reads_from_json() {
        for body in [
            json!({"fault": "status", "status": 503}),
            json!({"fault": "rate_limited", "retry_after_secs": 0.5}),
            json!({"fault": "rate_limited"}),
            json!({"fault": "delay", "delay_ms": 20}),
            json!({"fault": "drop_connection", "vendor": "rounded", "method": "get"}),
            json!({"fault": "malformed", "path": "/calls", "skip": 1, "times": 2}),
            json!({"fault": "truncated", "after_handler": true}),
            json!({"fault": "ignore_query", "vendor": "voicebot", "method": "get"}),
        ] {
            assert!(spec(body.clone()).is_ok(), "{body}");
        }
    }

    /// A wait asked for in seconds is never shortened: a fraction too small for a
    /// nanosecond is still a wait (sent as `Retry-After: 1`), and one a nanosecond past a
    /// whole second is sent as the next second.
    #[test]
    fn a_rate_limit_s_wait_is_rounded_up() {
        let wait =
            |secs: f64| match spec(json!({"fault": "rate_limited", "retry_after_secs": secs})) {
                Ok(fault) => match fault.kind {
                    FaultKind::RateLimited { retry_after } => retry_after,
                    other => panic!("{other:?}"),
                },
                Err(err) => panic!("{secs}: {err}"),
            };
        assert!(wait(1e-10) > Duration::ZERO);
        assert!(wait(2.000_000_000_1) > Duration::from_secs(2));
        assert_eq!(wait(0.5), Duration::from_millis(500));
        assert_eq!(wait(0.0), Duration::ZERO);
    }

    #[test]
    fn delivery_faults_read_from_json_and_refuse_request_fields() {
        let delivery = |json: Value| -> Result<DeliveryFault, String> {
            let spec: FaultSpec = serde_json::from_value(json).map_err(|e| e.to_string())?;
            DeliveryFault::try_from(spec)
        };
        for body in [
            json!({"fault": "duplicate_delivery", "vendor": "voicebot", "event": "end-of-call-report"}),
            json!({"fault": "out_of_order_delivery", "times": 2}),
            json!({"fault": "wrong_signature", "skip": 1}),
            json!({"fault": "stale_signature", "vendor": "vapi", "call_id": "0199e4b2"}),
        ] {
            assert!(delivery(body.clone()).is_ok(), "{body}");
            // …and never as a fault on requests.
            let err = spec(body.clone()).unwrap_err();
            assert!(err.contains("on deliveries"), "{body}: {err}");
        }
        // Decided as the call is dialed: aimed at an id known before (the dials' ids
        // follow from the seed and the dial count).
        let aimed = json!({"fault": "out_of_order_delivery", "call_id": "c1"});
        assert!(delivery(aimed).is_ok());
        let out_of_order = json!({"fault": "out_of_order_delivery", "event": "end-of-call-report"});
        let err = delivery(out_of_order).unwrap_err();
        assert!(err.contains("takes no `event`"), "{err}");
        let err = delivery(json!({"fault": "wrong_signature", "path": "/calls"})).unwrap_err();
        assert!(err.contains("only `vendor`, `event`"), "{err}");
        let err = spec(json!({"fault": "status", "status": 503, "event": "end"})).unwrap_err();
        assert!(err.contains("delivery faults only"), "{err}");
        let err = spec(json!({"fault": "status", "status": 503, "call_id": "c1"})).unwrap_err();
        assert!(err.contains("delivery faults only"), "{err}");
    }

    #[test]
    fn webhook_specs_split_the_target_from_the_signing_table() {
        let spec = WebhookSpec::from_json(
            br#"{"url": "http://127.0.0.1:9/w", "verify": "hmac", "secret": "k",
                 "retries": 3, "timeout_ms": 50}"#,
        )
        .unwrap();
        assert_eq!(spec.retries, Some(3));
        assert_eq!(spec.timeout, Some(Duration::from_millis(50)));
        assert_eq!(spec.retry_delay, None);
        assert!(!spec.tool_calls);
        let with_tools = br#"{"url": "http://127.0.0.1:9/w", "secret": "k", "tool_calls": true}"#;
        assert!(WebhookSpec::from_json(with_tools).unwrap().tool_calls);
        assert!(!spec.every_event);
        let every = br#"{"url": "http://127.0.0.1:9/w", "secret": "k", "every_event": true}"#;
        assert!(WebhookSpec::from_json(every).unwrap().every_event);
        let wrong = br#"{"url": "http://127.0.0.1:9/w", "secret": "k", "every_event": "yes"}"#;
        assert_eq!(
            WebhookSpec::from_json(wrong).unwrap_err(),
            "`every_event` must be true or false"
        );
        assert_eq!(
            spec.config.verify,
            Some(voiceport_core::webhook::Scheme::Hmac)
        );
        let target = spec.clone().into_target(ProviderKind::Vapi);
        assert_eq!(target.retry_count(), 3);
        // What a spec leaves out is the vendor's.
        let bare =
            WebhookSpec::from_json(br#"{"url": "http://127.0.0.1:9/w", "secret": "k"}"#).unwrap();
        assert_eq!(
            bare.clone().into_target(ProviderKind::Retell).retry_count(),
            3
        );
        assert_eq!(bare.into_target(ProviderKind::Vapi).retry_count(), 0);
        // A format that signs the URL signs the one posted to.
        let signs_url = WebhookSpec::from_json(
            br#"{"url": "http://127.0.0.1:9/w", "verify": "hmac", "secret": "k",
                 "payload_format": "{url}.{timestamp}.{body}"}"#,
        )
        .unwrap();
        assert_eq!(
            signs_url.config.url.as_deref(),
            Some("http://127.0.0.1:9/w")
        );
        assert!(
            (signs_url.into_target(ProviderKind::Vapi))
                .resolve(ProviderKind::Vapi)
                .is_ok()
        );
        for (body, says) in [
            (&br#"{"secret": "k"}"#[..], "`url` is required"),
            (br#"{"url": 5}"#, "`url` must be a string"),
            (br#"{"url": "http://x", "retries": -1}"#, "whole number"),
            (
                br#"{"url": "http://x", "tool_calls": "yes"}"#,
                "true or false",
            ),
            (
                br#"{"url": "http://x", "verify": "rot13"}"#,
                "signing configuration",
            ),
            (br#"{"url": "http://x", "sekret": "k"}"#, "unknown field"),
            (
                br#"{"url": "http://x", "secret_env": "HOME"}"#,
                "`secret_env` is not taken",
            ),
            (br#"[1]"#, "JSON object"),
        ] {
            let err = WebhookSpec::from_json(body).unwrap_err();
            assert!(
                err.contains(says),
                "{}: {err}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn bad_fault_specs_say_what_is_wrong() {
        for (body, says) in [
            (json!({"fault": "status"}), "needs `status`"),
            (json!({"fault": "status", "status": 200}), "400 to 599"),
            (json!({"fault": "delay"}), "needs `delay_ms`"),
            (
                json!({"fault": "rate_limited", "retry_after_secs": -1}),
                "≥ 0",
            ),
            (
                json!({"fault": "rate_limited", "retry_after_secs": 1e30}),
                "too long a wait",
            ),
            (json!({"fault": "explode"}), "unknown `fault`"),
            (json!({"fault": "malformed", "vendr": "x"}), "unknown field"),
            (
                json!({"fault": "malformed", "vendor": "twilio"}),
                "unknown variant",
            ),
        ] {
            let err = spec(body.clone()).unwrap_err();
            assert!(err.contains(says), "{body}: {err}");
        }
    }
}
