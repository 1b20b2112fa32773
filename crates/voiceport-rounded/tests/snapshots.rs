//! Every Rounded fixture, normalized and snapshotted (insta). Read the `.snap` files under
//! `tests/snapshots/` to see what each vendor body becomes.

use serde_json::{Value, json};
use voiceport_core::{CallEvent, CallQuery, Codec, Error, EventKind, PayloadKind};
use voiceport_rounded::RoundedCodec;

fn error_json(error: &Error) -> Value {
    match error {
        Error::InvalidRequest {
            status,
            message,
            details,
            operation,
            ..
        } => json!({
            "kind": "invalid_request",
            "operation": operation.name(),
            "status": status,
            "message": message,
            "details": details,
        }),
        Error::NotFound {
            operation, message, ..
        } => json!({
            "kind": "not_found",
            "operation": operation.name(),
            "message": message,
        }),
        other => json!({ "kind": "other", "display": other.to_string() }),
    }
}

fn event_calls(event: &CallEvent) -> Vec<&voiceport_core::Call> {
    event.call().into_iter().collect()
}

/// One fixture through the decoder its name calls for, checked, as the value to snapshot.
fn normalize(name: &str, body: &[u8]) -> Value {
    // `detect` tells each fixture's kind from its shape, as `voiceport normalize` does.
    let kind = match name.split('_').next() {
        Some("list") => PayloadKind::Page,
        Some("webhook") => PayloadKind::Webhook,
        Some("start") => PayloadKind::Dial,
        Some("terminate") => PayloadKind::Ack,
        _ => PayloadKind::Call,
    };
    assert_eq!(RoundedCodec.detect(body), kind, "{name}");
    if name.starts_with("list") {
        let page = RoundedCodec
            .decode_page(body, &CallQuery::default())
            .unwrap();
        assert!(!page.calls.is_empty(), "{name}");
        for call in &page.calls {
            assert!(
                call.vendor_payload().is_some(),
                "{name}: {} lost its payload",
                call.id
            );
        }
        json!({ "calls": page.calls, "next": page.next, "total": page.total })
    } else if name.starts_with("webhook") {
        // Every webhook fixture's shape is inferred: Rounded documents none (what each
        // file guesses is in fixtures/rounded/README.md).
        let event = RoundedCodec.decode_webhook(body).unwrap();
        for call in event_calls(&event) {
            assert!(call.vendor_payload().is_some(), "{name}: payload lost");
        }
        if let EventKind::Other { payload, .. } = &event.kind {
            assert_eq!(
                payload.get().as_bytes(),
                body.trim_ascii(),
                "{name}: payload not verbatim"
            );
        }
        serde_json::to_value(&event).unwrap()
    } else if name.starts_with("error") {
        // A vendor error envelope (here as if it came with a 2xx; non-2xx statuses are
        // mapped by the core HTTP client, see tests/http.rs).
        let err = RoundedCodec.decode_call(body).unwrap_err();
        error_json(&err)
    } else if name.starts_with("start_call") {
        let outcome = RoundedCodec.decode_dial(body).unwrap();
        json!({ "call_id": outcome.call_id, "call": outcome.call.is_some() })
    } else if name.starts_with("terminate") {
        RoundedCodec.decode_ack(body).unwrap();
        json!({ "terminated": true })
    } else {
        let call = RoundedCodec.decode_call(body).unwrap();
        let payload = call.vendor_payload().expect("vendor payload kept");
        // The payload is the raw call object (`data`), byte for byte.
        let whole: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(payload.to_value(), whole["data"], "{name}");
        serde_json::to_value(&call).unwrap()
    }
}

#[test]
fn fixtures_normalize() {
    voiceport_core::snapshot_fixtures!("../../../fixtures/rounded", normalize);
}

/// The snapshots redact recording expiries (`[expiry]`, they are volatile in real
/// responses); here is one checked for its value, computed from the fixture's pre-signed
/// URL: `X-Amz-Date=20260324T101200Z` plus `X-Amz-Expires=3600`.
#[test]
fn the_recording_expiry_comes_from_the_presigned_url() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/rounded/get_transferred.json"
    );
    let call = RoundedCodec
        .decode_call(&std::fs::read(path).unwrap())
        .unwrap();
    let expires_at = call.recording.and_then(|r| r.expires_at);
    assert_eq!(expires_at, Some("2026-03-24T11:12:00Z".parse().unwrap()));
}
