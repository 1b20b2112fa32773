//! No input makes the decoders panic; every failure is a `Decode` error of this vendor.

mod support;

use serde_json::Value;
use support::fixtures_dir;
use voiceport_core::testing::{Rng, arbitrary_json, mutations};
use voiceport_core::{CallEvent, CallQuery, Error, ProviderKind, Result};

const KIND: ProviderKind = ProviderKind::Voicebot;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 16, "fixtures missing: {}", out.len());
    out
}

fn check_error(err: &Error, what: &str) {
    assert!(
        matches!(err, Error::Decode { provider: KIND, .. }),
        "{what}: expected a voicebot Decode error, got {err:?}"
    );
}

fn check_call_result(result: Result<voiceport_core::Call>, what: &str) {
    match result {
        Ok(call) => {
            assert_eq!(call.provider, KIND, "{what}");
            assert!(call.vendor_payload().is_some(), "{what}");
            // The normalized form always serializes.
            serde_json::to_string(&call).unwrap();
        }
        Err(err) => check_error(&err, what),
    }
}

fn check_page_result(result: Result<voiceport_core::CallPage>, what: &str) {
    match result {
        Ok(page) => {
            for call in &page.calls {
                assert_eq!(call.provider, KIND, "{what}");
            }
        }
        Err(err) => check_error(&err, what),
    }
}

fn check_event_result(result: Result<CallEvent>, what: &str) {
    match result {
        Ok(event) => {
            match &event {
                CallEvent::Started { call } | CallEvent::Ended { call } => {
                    assert_eq!(call.provider, KIND, "{what}")
                }
                CallEvent::StatusChanged {
                    call: Some(call), ..
                } => {
                    assert_eq!(call.provider, KIND, "{what}")
                }
                _ => {}
            }
            serde_json::to_string(&event).unwrap();
        }
        Err(err) => check_error(&err, what),
    }
}

/// Feeds one body to every decoder.
fn feed(body: &[u8], what: &str) {
    check_call_result(voiceport_voicebot::decode_call(body), what);
    check_page_result(
        voiceport_voicebot::decode_page(body, &CallQuery::default()),
        what,
    );
    let small = CallQuery {
        page_size: Some(1),
        ..Default::default()
    };
    check_page_result(voiceport_voicebot::decode_page(body, &small), what);
    check_event_result(voiceport_voicebot::parse_webhook(body), what);
}

#[test]
fn fixtures_decode_as_their_kind() {
    for (name, body) in fixtures() {
        if name.starts_with("list") {
            assert!(
                voiceport_voicebot::decode_page(&body, &CallQuery::default()).is_ok(),
                "{name}"
            );
        } else if name.starts_with("webhook") {
            assert!(voiceport_voicebot::parse_webhook(&body).is_ok(), "{name}");
        } else {
            assert!(voiceport_voicebot::decode_call(&body).is_ok(), "{name}");
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    for (seed, (name, body)) in fixtures().into_iter().enumerate() {
        let value: Value = serde_json::from_slice(&body).unwrap();
        for (i, mutant) in mutations(&value, 1000 + seed as u64, 300)
            .into_iter()
            .enumerate()
        {
            let text = serde_json::to_vec(&mutant).unwrap();
            feed(&text, &format!("{name} mutant {i}"));
        }
    }
}

#[test]
fn mutated_fixtures_inside_list_and_webhook_envelopes_never_panic() {
    // Call fixtures mutated, then wrapped as a list item and as a webhook's call.
    for (seed, (name, body)) in fixtures().into_iter().enumerate() {
        if !name.starts_with("call") {
            continue;
        }
        let value: Value = serde_json::from_slice(&body).unwrap();
        for (i, mutant) in mutations(&value, 7000 + seed as u64, 100)
            .into_iter()
            .enumerate()
        {
            let list = serde_json::to_vec(&Value::Array(vec![mutant.clone()])).unwrap();
            feed(&list, &format!("{name} list mutant {i}"));
            for kind in ["end-of-call-report", "status-update", "transcript"] {
                let hook = serde_json::json!({"message": {"type": kind, "call": mutant, "status": "ended",
                    "artifact": mutant.get("artifact"), "analysis": mutant.get("analysis")}});
                feed(
                    &serde_json::to_vec(&hook).unwrap(),
                    &format!("{name} {kind} mutant {i}"),
                );
            }
        }
    }
}

#[test]
fn arbitrary_json_never_panics() {
    let mut rng = Rng::new(2026);
    for i in 0..3000 {
        let value = arbitrary_json(&mut rng, 4);
        let text = serde_json::to_vec(&value).unwrap();
        feed(&text, &format!("arbitrary {i}"));
        // The same value as a call, a list item and a webhook message.
        let wrapped = [
            serde_json::json!({"id": "x", "messages": [value.clone()], "analysis": value.clone()}),
            serde_json::json!([{"id": "x", "costs": [value.clone()], "createdAt": value.clone()}]),
            serde_json::json!({"message": {"type": "end-of-call-report", "call": {"id": "x"}, "artifact": value.clone()}}),
            serde_json::json!({"message": {"type": "status-update", "call": {"id": "x"}, "status": value.clone()}}),
            serde_json::json!({"message": {"type": "transcript", "call": value.clone(), "role": value.clone()}}),
            serde_json::json!({"message": value.clone()}),
        ];
        for (j, w) in wrapped.iter().enumerate() {
            feed(
                &serde_json::to_vec(w).unwrap(),
                &format!("arbitrary {i} wrapped {j}"),
            );
        }
    }
}

#[test]
fn garbage_and_truncated_bodies_are_decode_errors() {
    let mut rng = Rng::new(99);
    for i in 0..500 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        feed(&bytes, &format!("garbage {i}"));
    }
    for (name, body) in fixtures() {
        let body = body.trim_ascii_end();
        for cut in (0..body.len()).step_by(body.len() / 40 + 1) {
            let truncated = &body[..cut];
            let what = format!("{name} truncated at {cut}");
            // A strict prefix of a JSON object or array is never valid JSON.
            for result in [
                voiceport_voicebot::decode_call(truncated).map(|_| ()),
                voiceport_voicebot::decode_page(truncated, &CallQuery::default()).map(|_| ()),
                voiceport_voicebot::parse_webhook(truncated).map(|_| ()),
            ] {
                match result {
                    Err(err) => check_error(&err, &what),
                    Ok(()) => panic!("{what}: decoded"),
                }
            }
        }
    }
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"{}",
        b"\"text\"",
        b"<html>502</html>",
    ] {
        feed(body, &String::from_utf8_lossy(body));
    }
    // Specific paths.
    let err =
        voiceport_voicebot::parse_webhook(br#"{"message": {"call": {"id": "x"}}}"#).unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "message.type"),
        "{err:?}"
    );
    let err = voiceport_voicebot::parse_webhook(br#"{}"#).unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "message.type"),
        "{err:?}"
    );
    let err = voiceport_voicebot::parse_webhook(br#"{"message": {"type": 5}}"#).unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "message.type"),
        "{err:?}"
    );
}
