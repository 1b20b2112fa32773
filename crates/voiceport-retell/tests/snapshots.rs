//! Every Retell fixture, normalized and snapshotted (insta). Read the `.snap` files under
//! `tests/snapshots/` to see what each vendor body becomes.
//!
//! What each fixture infers rather than copies from Retell's docs is listed, file by file,
//! in `fixtures/retell/README.md`.

use serde_json::{Value, json};
use voiceport_core::{CallQuery, Codec, EventKind, PayloadKind};
use voiceport_retell::RetellCodec;

/// One fixture through the decoder its name calls for, checked, as the value to snapshot.
fn normalize(name: &str, body: &[u8]) -> Value {
    // `detect` tells each fixture's kind from its shape, as `voiceport normalize` does.
    // The answer to create-phone-call is a call, and reads as one.
    let kind = match name.split('_').next() {
        Some("list") => PayloadKind::Page,
        Some("webhook") => PayloadKind::Webhook,
        _ => PayloadKind::Call,
    };
    assert_eq!(RetellCodec.detect(body), kind, "{name}");
    let whole: Value = serde_json::from_slice(body).unwrap();
    match kind {
        PayloadKind::Page => {
            let page = RetellCodec
                .decode_page(body, &CallQuery::default())
                .unwrap();
            assert!(!page.calls.is_empty(), "{name}");
            for (call, item) in page.calls.iter().zip(whole["items"].as_array().unwrap()) {
                let payload = call.vendor_payload().expect("payload kept");
                assert_eq!(&payload.to_value(), item, "{name}: {}", call.id);
                // List items carry no transcript.
                assert_eq!(call.transcript, None, "{name}: {}", call.id);
            }
            json!({ "calls": page.calls, "next": page.next, "total": page.total })
        }
        PayloadKind::Webhook => {
            let event = RetellCodec.decode_webhook(body).unwrap();
            if let Some(call) = event.call() {
                let payload = call.vendor_payload().expect("payload kept");
                // A transfer event's call keeps the whole delivery (its destination and
                // option are beside the call), as does an end event's whose call says it
                // is live (read alone, it would be); any other event's, the call.
                let kept = if name.starts_with("webhook_transfer_")
                    || name == "webhook_call_ended_registered.json"
                {
                    &whole
                } else {
                    &whole["call"]
                };
                assert_eq!(&payload.to_value(), kept, "{name}");
            }
            if let EventKind::Other { payload, .. } = &event.kind {
                assert_eq!(
                    payload.get().as_bytes(),
                    body.trim_ascii(),
                    "{name}: payload not verbatim"
                );
            }
            serde_json::to_value(&event).unwrap()
        }
        _ if name.starts_with("dial") => {
            let outcome = RetellCodec.decode_dial(body).unwrap();
            let call = outcome
                .call
                .expect("create-phone-call answers with the call");
            assert_eq!(call.id, outcome.call_id);
            serde_json::to_value(&call).unwrap()
        }
        _ => {
            let call = RetellCodec.decode_call(body).unwrap();
            let payload = call.vendor_payload().expect("vendor payload kept");
            // The payload is the whole body, byte for byte.
            assert_eq!(payload.get().as_bytes(), body.trim_ascii(), "{name}");
            serde_json::to_value(&call).unwrap()
        }
    }
}

#[test]
fn fixtures_normalize() {
    voiceport_core::snapshot_fixtures!("../../../fixtures/retell", normalize);
}

/// The snapshots redact recording expiries (`[expiry]`); here is one checked for its value:
/// `call_signed_urls_scrubbed.json` signs its URLs at `20260317T083052Z` for 86400 s (the 24
/// hours of `opt_in_signed_url`).
#[test]
fn the_recording_expiry_comes_from_the_presigned_url() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/retell/call_signed_urls_scrubbed.json"
    );
    let call = RetellCodec
        .decode_call(&std::fs::read(path).unwrap())
        .unwrap();
    let expires_at = call.recording.and_then(|r| r.expires_at);
    assert_eq!(expires_at, Some("2026-03-18T08:30:52Z".parse().unwrap()));
}
