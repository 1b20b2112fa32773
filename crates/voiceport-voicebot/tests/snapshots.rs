//! Snapshots of every fixture of both flavors, normalized by the flavor's codec.
//!
//! What each fixture infers rather than copies from the vendors' docs is listed, file by
//! file, in `fixtures/voicebot/README.md` and `fixtures/vapi/README.md`.

mod support;

use serde_json::{Value, json};
use support::{Family, VAPI, VOICEBOT};
use voiceport_core::{Call, CallQuery};

fn check_call(family: Family, call: &Call, file: &str) {
    assert_eq!(call.provider, family.kind(), "{file}");
    assert!(
        call.vendor_payload().is_some(),
        "{file}: vendor payload lost"
    );
}

/// Normalizes one fixture as its name says: `list*` a page, `webhook*` a delivery, else a
/// call.
fn normalize(family: Family, file: &str, body: &[u8]) -> Value {
    let codec = family.codec;
    if file.starts_with("list") {
        let page = codec.decode_page(body, &CallQuery::default()).unwrap();
        for call in &page.calls {
            check_call(family, call, file);
        }
        json!({
            "calls": page.calls,
            "next": page.next,
            "total": page.total,
        })
    } else if file.starts_with("webhook") {
        let event = codec.decode_webhook(body).unwrap();
        if let Some(call) = event.call() {
            check_call(family, call, file);
        }
        serde_json::to_value(&event).unwrap()
    } else {
        let call = codec.decode_call(body).unwrap();
        check_call(family, &call, file);
        serde_json::to_value(&call).unwrap()
    }
}

#[test]
fn fixtures() {
    voiceport_core::snapshot_fixtures!("../../../fixtures/voicebot", |file, body| {
        normalize(VOICEBOT, file, body)
    });
}

#[test]
fn vapi_fixtures() {
    voiceport_core::snapshot_fixtures!("../../../fixtures/vapi", |file, body| {
        normalize(VAPI, file, body)
    });
}
