//! No input makes the Rounded decoders panic: mutated fixtures, arbitrary JSON, garbage
//! bytes and truncated bodies all give a normalized value or a clean error.

mod support;

use serde_json::Value;
use support::all_fixtures;
use voiceport_core::testing::{Rng, arbitrary_json, mutations};
use voiceport_core::{CallEvent, CallQuery, CallStatus, Direction, Error, ProviderKind, Result};
use voiceport_rounded::{decode_call, decode_page, map, parse_webhook};

const MUTANTS_PER_FIXTURE: usize = 300;

/// Whether `body` is an envelope that reports a vendor error instead of data: the only
/// case where a decoder may answer with something other than `Error::Decode`.
fn is_vendor_error_envelope(body: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => {
            map.get("data").is_none_or(Value::is_null)
                && map.get("error").is_some_and(|e| !e.is_null())
        }
        _ => false,
    }
}

fn check_err(what: &str, body: &[u8], err: &Error) {
    assert_eq!(
        err.provider(),
        Some(ProviderKind::Rounded),
        "{what}: {err:?}"
    );
    match err {
        Error::Decode { path, .. } => assert!(!path.is_empty(), "{what}: empty path"),
        Error::InvalidRequest { status, .. } if is_vendor_error_envelope(body) => {
            let _ = status;
        }
        other => panic!(
            "{what}: unexpected error kind for {}: {other:?}",
            String::from_utf8_lossy(body)
        ),
    }
}

fn check<T>(what: &str, body: &[u8], result: Result<T>, ok: impl FnOnce(T)) {
    match result {
        Ok(value) => ok(value),
        Err(err) => check_err(what, body, &err),
    }
}

fn filtering_query() -> CallQuery {
    CallQuery {
        direction: Some(Direction::Outbound),
        statuses: vec![
            CallStatus::Completed,
            CallStatus::Voicemail,
            CallStatus::Unknown,
        ],
        search: Some("a".into()),
        ..CallQuery::default()
    }
}

/// Feeds `body` to every decoder.
fn feed(body: &[u8]) {
    check("decode_call", body, decode_call(body), |call| {
        assert_eq!(call.provider, ProviderKind::Rounded);
        assert!(call.vendor_payload().is_some());
        // The normalized form always serializes.
        serde_json::to_string(&call).unwrap();
    });
    for query in [CallQuery::default(), filtering_query()] {
        check("decode_page", body, decode_page(body, &query), |page| {
            for call in &page.calls {
                assert_eq!(call.provider, ProviderKind::Rounded);
                assert!(call.vendor_payload().is_some());
                assert!(query.matches(call) || query.filters_used().is_empty());
            }
        });
    }
    check("parse_webhook", body, parse_webhook(body), |event| {
        match &event {
            CallEvent::Started { call } | CallEvent::Ended { call } => {
                assert_eq!(call.provider, ProviderKind::Rounded);
                assert!(call.vendor_payload().is_some());
            }
            CallEvent::StatusChanged {
                call: Some(call),
                call_id,
                ..
            } => {
                assert_eq!(call.provider, ProviderKind::Rounded);
                assert_eq!(&call.id, call_id);
            }
            _ => {}
        }
        serde_json::to_string(&event).unwrap();
    });
    check(
        "decode_start_call",
        body,
        map::decode_start_call(body),
        |outcome| {
            assert!(!outcome.call_id.as_str().trim().is_empty());
            assert!(outcome.call.is_none());
        },
    );
    check(
        "decode_terminate",
        body,
        map::decode_terminate(body),
        |()| {},
    );
}

#[test]
fn mutated_fixtures_never_panic() {
    let fixtures = all_fixtures();
    assert!(fixtures.len() >= 20, "fixtures missing: {}", fixtures.len());
    for (index, (name, text)) in fixtures.iter().enumerate() {
        let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The fixture itself first.
        feed(text.as_bytes());
        for mutant in mutations(&value, 0x5EED + index as u64, MUTANTS_PER_FIXTURE) {
            let body = serde_json::to_vec(&mutant).unwrap();
            feed(&body);
        }
    }
}

#[test]
fn arbitrary_json_never_panics() {
    let mut rng = Rng::new(2026);
    for _ in 0..2000 {
        let value = arbitrary_json(&mut rng, 4);
        feed(&serde_json::to_vec(&value).unwrap());
        // The same value in each place the decoders look.
        for key in ["data", "error", "event"] {
            let mut wrapper = serde_json::Map::new();
            wrapper.insert(key.into(), value.clone());
            if key != "event" {
                wrapper.insert(
                    "event".into(),
                    Value::String("event_phone_call_ended".into()),
                );
            }
            feed(&serde_json::to_vec(&Value::Object(wrapper)).unwrap());
        }
    }
}

#[test]
fn garbage_and_truncated_bodies_are_decode_errors() {
    let mut rng = Rng::new(7);
    for _ in 0..500 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        feed(&bytes);
    }
    for body in [
        &b""[..],
        b"   ",
        b"null",
        b"[]",
        b"{",
        b"<html>502 Bad Gateway</html>",
        b"\xff\xfe",
        b"{\"data\": []} trailing",
    ] {
        feed(body);
    }
    for (name, text) in all_fixtures() {
        let bytes = text.as_bytes();
        let step = (bytes.len() / 40).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let truncated = &bytes[..cut];
            feed(truncated);
            // A truncated body never decodes as a call.
            if cut + 1 < bytes.len().saturating_sub(1) && !truncated.is_empty() {
                assert!(decode_call(truncated).is_err(), "{name} cut at {cut}");
            }
        }
    }
}
