//! No input makes the Rounded decoders panic: every fixture, mutated hundreds of ways,
//! arbitrary JSON, garbage bytes and truncated bodies go through every decoder. Failures
//! must be errors naming Rounded: a decode error with its JSON path, or, for an error
//! envelope, the error the vendor reported.

mod support;

use serde_json::{Value, json};
use voiceport_core::testing::{DecoderCheck, Decoders, corpus};
use voiceport_core::{CallQuery, CallStatus, Codec, Direction, ProviderKind};
use voiceport_rounded::RoundedCodec;

const CHECK: DecoderCheck =
    DecoderCheck::new(ProviderKind::Rounded).with_vendor_errors(is_vendor_error_envelope);

const DECODERS: Decoders = Decoders::new(CHECK, feed_with);

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

/// A query with the filters Rounded applies client-side (its API has none for them).
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

/// Feeds `body` to every decoder, checking each result with `check`.
fn feed_with(check: DecoderCheck, body: &[u8], what: &str) {
    check.call(body, RoundedCodec.decode_call(body), what);
    for query in [CallQuery::default(), filtering_query()] {
        check.page(body, RoundedCodec.decode_page(body, &query), &query, what);
    }
    let event = check.event(body, RoundedCodec.decode_webhook(body), what);
    if let Some(event) = &event
        && let Some(call) = event.call()
    {
        assert_eq!(Some(&call.id), event.call_id(), "{what}");
    }
    if let Some(outcome) = check.value(body, RoundedCodec.decode_dial(body), what) {
        assert!(!outcome.call_id.as_str().trim().is_empty(), "{what}");
        assert!(outcome.call.is_none(), "{what}");
    }
    // An empty body is a valid answer to terminate (a 2xx without content).
    let terminate_check = if body.is_empty() { CHECK } else { check };
    terminate_check.value(body, RoundedCodec.decode_ack(body), what);
}

/// The places Rounded's decoders look, for an arbitrary `value`.
fn shapes(value: &Value) -> Vec<Value> {
    vec![
        json!({"data": value, "event": "event_phone_call_ended"}),
        json!({"error": value, "event": "event_phone_call_ended"}),
        json!({"event": value}),
        json!({"type": "event_phone_call_did_not_connect", "call": value, "time": value}),
        json!({"event": "event_call_status_updated", "data": {"call": value}, "timestamp": value}),
        json!({"type": value, "call_id": value, "data": value}),
        json!({"data": {"id": "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3", "transcript": [value], "variable_values": [value]}}),
        json!({"data": [value, {"id": "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3"}], "next_cursor": value}),
    ]
}

fn fixtures() -> Vec<corpus::Fixture> {
    corpus::fixture_files_at_least(&support::fixtures_dir(), 20)
}

#[test]
fn mutated_fixtures_never_panic() {
    DECODERS.each_mutant(&fixtures(), 0x5EED, 300);
}

#[test]
fn arbitrary_json_never_panics() {
    DECODERS.each_arbitrary(2026, 2000, shapes);
}

#[test]
fn garbage_never_panics() {
    DECODERS.each_garbage(7, 500);
}

#[test]
fn truncated_bodies_are_refused() {
    DECODERS.each_truncation(&fixtures());
}
