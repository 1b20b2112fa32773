//! The sandbox's own HTTP control API (not a vendor's), for a sandbox run standalone
//! (`voiceport sandbox`): inject and clear faults, read the counts that tests assert on.
//!
//! | request | effect |
//! | --- | --- |
//! | `GET /_sandbox` | `{"calls": {...}, "dialed": {...}, "faults": n}` per vendor |
//! | `POST /_sandbox/faults` | adds the fault in the body ([`FaultSpec`]), answers 201 |
//! | `DELETE /_sandbox/faults` | removes every fault, answers 204 |
//!
//! It needs no key: the sandbox only listens where it is told (loopback by default).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, json};
use voiceport_core::ProviderKind;

use crate::common::json_response;
use crate::store::State as SandboxState;
use crate::vendor::Vendor;
use crate::{Fault, FaultKind};

/// Where the control API lives.
pub(crate) const PREFIX: &str = "/_sandbox";

/// A fault as JSON, for `POST /_sandbox/faults`:
///
/// ```json
/// {"fault": "status", "status": 503, "vendor": "happyrobot", "method": "GET",
///  "path": "/calls", "skip": 0, "times": 3}
/// ```
///
/// `fault` is one of `status` (with `status`), `rate_limited` (with `retry_after_secs`),
/// `delay` (with `delay_ms`), `drop_connection`, `malformed`, `truncated`. The rest narrow
/// it as [`Fault`]'s builder methods do; `times` defaults to 1, and `after_handler: true`
/// lets the request take effect before its response is spoiled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Which fault.
    pub fault: String,
    /// The status of a `status` fault.
    #[serde(default)]
    pub status: Option<u16>,
    /// The `Retry-After` of a `rate_limited` fault (default 1 second).
    #[serde(default)]
    pub retry_after_secs: Option<f64>,
    /// The delay of a `delay` fault, in milliseconds.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Only this vendor (`happyrobot`, `voicebot`, `rounded`).
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
    /// Fire this many times (`null` or absent: once; use a large number for "always").
    #[serde(default)]
    pub times: Option<u32>,
    /// Let the request take effect, then spoil the response.
    #[serde(default)]
    pub after_handler: bool,
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
                FaultKind::RateLimited { retry_after_secs }
            }
            "delay" => match spec.delay_ms {
                Some(ms) => FaultKind::Delay(Duration::from_millis(ms)),
                None => return Err("a `delay` fault needs `delay_ms`".into()),
            },
            "drop_connection" => FaultKind::DropConnection,
            "malformed" => FaultKind::Malformed,
            "truncated" => FaultKind::Truncated,
            other => {
                return Err(format!(
                    "unknown `fault` {other:?}: expected status, rate_limited, delay, \
                     drop_connection, malformed or truncated"
                ));
            }
        };
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

pub(crate) fn router(state: Arc<SandboxState>) -> Router {
    Router::new()
        .route("/", get(summary))
        .route(
            "/faults",
            axum::routing::post(add_fault).delete(clear_faults),
        )
        .with_state(state)
}

async fn summary(State(state): State<Arc<SandboxState>>) -> Response {
    let mut calls = Map::new();
    let mut dialed = Map::new();
    for vendor in Vendor::ALL {
        let store = state
            .store(vendor)
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let name = vendor.kind().as_str();
        calls.insert(name.into(), json!(store.len()));
        dialed.insert(name.into(), json!(store.dialed));
    }
    json_response(
        StatusCode::OK,
        json!({"calls": calls, "dialed": dialed, "faults": state.faults.len()}),
    )
}

async fn add_fault(
    State(state): State<Arc<SandboxState>>,
    body: Result<Json<FaultSpec>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let fault = body
        .map_err(|rejection| rejection.body_text())
        .and_then(|Json(spec)| Fault::try_from(spec));
    match fault {
        Ok(fault) => {
            state.faults.inject(fault);
            json_response(StatusCode::CREATED, json!({"faults": state.faults.len()}))
        }
        Err(message) => json_response(StatusCode::BAD_REQUEST, json!({"message": message})),
    }
}

async fn clear_faults(State(state): State<Arc<SandboxState>>) -> StatusCode {
    state.faults.clear();
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
        ] {
            assert!(spec(body.clone()).is_ok(), "{body}");
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
