//! Snapshots of every fixture of both flavors, normalized by the flavor's codec.

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
fn normalize(family: Family, path: &std::path::Path) -> Value {
    let codec = family.codec;
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let body = std::fs::read(path).unwrap();
    if file.starts_with("list") {
        let page = codec.decode_page(&body, &CallQuery::default()).unwrap();
        for call in &page.calls {
            check_call(family, call, &file);
        }
        json!({
            "calls": page.calls,
            "next": page.next,
            "total": page.total,
        })
    } else if file.starts_with("webhook") {
        let event = codec.decode_webhook(&body).unwrap();
        if let Some(call) = event.call() {
            check_call(family, call, &file);
        }
        serde_json::to_value(&event).unwrap()
    } else {
        let call = codec.decode_call(&body).unwrap();
        check_call(family, &call, &file);
        serde_json::to_value(&call).unwrap()
    }
}

#[test]
fn fixtures() {
    insta::glob!("../../../fixtures/voicebot", "*.json", |path| {
        let value = normalize(VOICEBOT, path);
        voiceport_core::snapshot::insta_settings().bind(|| insta::assert_json_snapshot!(value));
    });
}

#[test]
fn vapi_fixtures() {
    insta::glob!("../../../fixtures/vapi", "*.json", |path| {
        let value = normalize(VAPI, path);
        voiceport_core::snapshot::insta_settings().bind(|| insta::assert_json_snapshot!(value));
    });
}
