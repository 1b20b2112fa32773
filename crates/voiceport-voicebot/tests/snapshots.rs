//! Snapshots of every fixture, normalized.

use serde_json::{Value, json};
use voiceport_core::{Call, CallQuery, Codec, ProviderKind};
use voiceport_voicebot::VoicebotCodec;

fn check_call(call: &Call, file: &str) {
    assert_eq!(call.provider, ProviderKind::Voicebot, "{file}");
    assert!(
        call.vendor_payload().is_some(),
        "{file}: vendor payload lost"
    );
}

#[test]
fn fixtures() {
    insta::glob!("../../../fixtures/voicebot", "*.json", |path| {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read(path).unwrap();
        let value: Value = if file.starts_with("list") {
            let page = VoicebotCodec
                .decode_page(&body, &CallQuery::default())
                .unwrap();
            for call in &page.calls {
                check_call(call, &file);
            }
            json!({
                "calls": page.calls,
                "next": page.next,
                "total": page.total,
            })
        } else if file.starts_with("webhook") {
            let event = VoicebotCodec.decode_webhook(&body).unwrap();
            if let Some(call) = event.call() {
                check_call(call, &file);
            }
            serde_json::to_value(&event).unwrap()
        } else {
            let call = VoicebotCodec.decode_call(&body).unwrap();
            check_call(&call, &file);
            serde_json::to_value(&call).unwrap()
        };
        voiceport_core::snapshot::insta_settings().bind(|| insta::assert_json_snapshot!(value));
    });
}
