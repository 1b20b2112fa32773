//! Every HappyRobot fixture, normalized through the codec and snapshotted (insta). Review
//! changes with `cargo insta review`; CI runs with `CI=true`, which refuses new snapshots.
//!
//! What each fixture infers rather than copies from HappyRobot's docs is listed, file by
//! file, in `fixtures/happyrobot/README.md`.

use serde_json::{Value, json};
use voiceport_core::{Call, CallQuery, Codec, EventKind, PayloadKind, ProviderKind};
use voiceport_happyrobot::HappyRobotCodec;

/// The decoder a fixture goes through, from its name (and, for `call_*` files, from
/// whether it is a list page).
fn decoder(name: &str, value: &Value) -> PayloadKind {
    if name.starts_with("list") || (name.starts_with("call_") && value.get("calls").is_some()) {
        PayloadKind::Page
    } else if name.starts_with("transcript") {
        PayloadKind::Transcript
    } else if name.starts_with("webhook") {
        PayloadKind::Webhook
    } else if name.starts_with("call") || name.starts_with("dial") {
        PayloadKind::Call
    } else {
        panic!("{name}: no decoder chosen for this fixture name; add one")
    }
}

fn checked(call: &Call, name: &str) {
    assert_eq!(call.provider, ProviderKind::HappyRobot, "{name}");
    assert!(
        call.vendor_payload().is_some(),
        "{name}: vendor payload lost"
    );
}

fn normalize(name: &str, body: &[u8]) -> Value {
    let codec = HappyRobotCodec;
    let value: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("{name}: {e}"));
    let what = decoder(name, &value);
    assert_eq!(
        codec.detect(body),
        what,
        "{name}: detected as something else"
    );
    match what {
        PayloadKind::Call => {
            let call = codec
                .decode_call(body)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            checked(&call, name);
            serde_json::to_value(&call).unwrap()
        }
        PayloadKind::Page => {
            let page = codec
                .decode_page(body, &CallQuery::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for call in &page.calls {
                checked(call, name);
            }
            // Nothing is filtered out by an empty query.
            assert_eq!(
                page.calls.len(),
                value["calls"].as_array().map_or(0, Vec::len),
                "{name}"
            );
            json!({ "calls": page.calls, "next": page.next, "total": page.total })
        }
        PayloadKind::Transcript => {
            let transcript = codec
                .decode_transcript(body)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            serde_json::to_value(&transcript).unwrap()
        }
        PayloadKind::Webhook => {
            let event = codec
                .decode_webhook(body)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            match &event.kind {
                EventKind::Started { call, .. } | EventKind::Ended { call, .. } => {
                    checked(call, name)
                }
                // A CloudEvents status change: the call is the session, built from it.
                EventKind::StatusChanged { call, .. } => {
                    let call = call.as_deref().unwrap_or_else(|| panic!("{name}: no call"));
                    checked(call, name);
                    assert_eq!(event.call_id.as_ref(), Some(&call.id), "{name}");
                }
                EventKind::Other { payload, .. } => {
                    let text = std::str::from_utf8(body).unwrap().trim();
                    assert_eq!(payload.get(), text, "{name}: payload not kept whole")
                }
                other => panic!("{name}: unexpected {other:?}"),
            }
            serde_json::to_value(&event).unwrap()
        }
        other => panic!("{name}: HappyRobot has no {other} payloads"),
    }
}

#[test]
fn fixtures_normalize_as_snapshotted() {
    voiceport_core::snapshot_fixtures!("../../../fixtures/happyrobot", normalize);
}
