//! No input makes the Retell decoders panic: every fixture, mutated hundreds of ways,
//! arbitrary JSON, garbage bytes and truncated bodies go through every decoder. Failures
//! must be decode errors naming Retell and a JSON path.

mod support;

use serde_json::{Value, json};
use voiceport_core::testing::{DecoderCheck, Decoders, corpus};
use voiceport_core::{AgentId, CallKind, CallQuery, CallStatus, Codec, Direction, ProviderKind};
use voiceport_retell::RetellCodec;

const DECODERS: Decoders = Decoders::new(DecoderCheck::new(ProviderKind::Retell), feed_with);

/// A query with every filter `map::page` checks on the calls it decodes.
fn filtering_query() -> CallQuery {
    CallQuery {
        direction: Some(Direction::Outbound),
        kind: Some(CallKind::Phone),
        statuses: vec![
            CallStatus::Completed,
            CallStatus::Voicemail,
            CallStatus::Unknown,
        ],
        agent_id: Some(AgentId::new("agent_3f9a12c7e45b8d01f6a2c9e7b4")),
        search: Some("a".into()),
        ..CallQuery::default()
    }
}

/// Feeds `body` to every decoder, checking each result with `check`.
fn feed_with(check: DecoderCheck, body: &[u8], what: &str) {
    check.call(body, RetellCodec.decode_call(body), what);
    for query in [CallQuery::default(), filtering_query()] {
        check.page(body, RetellCodec.decode_page(body, &query), &query, what);
    }
    let event = check.event(body, RetellCodec.decode_webhook(body), what);
    if let Some(event) = &event
        && let Some(call) = event.call()
    {
        assert_eq!(Some(&call.id), event.call_id(), "{what}");
    }
    if let Some(outcome) = check.value(body, RetellCodec.decode_dial(body), what) {
        match outcome.call {
            Some(call) => assert_eq!(call.id, outcome.call_id, "{what}"),
            // The id alone only of an answer that does not decode as a call.
            None => {
                assert!(RetellCodec.decode_call(body).is_err(), "{what}");
                assert!(!outcome.call_id.as_str().trim().is_empty(), "{what}");
            }
        }
    }
}

/// The places Retell's decoders look, for an arbitrary `value`.
fn shapes(value: &Value) -> Vec<Value> {
    vec![
        json!({"call_id": "c", "start_timestamp": value, "end_timestamp": value, "duration_ms": value}),
        json!({"call_id": "c", "call_status": value, "disconnection_reason": value, "call_type": value, "direction": value}),
        json!({"call_id": "c", "transcript_with_tool_calls": [value, {"role": "tool_call_result", "tool_call_id": value}],
               "transcript_object": [value], "transcript": value}),
        json!({"call_id": "c", "call_analysis": value, "call_cost": value, "metadata": value}),
        json!({"call_id": "c", "call_cost": {"combined_cost": value, "product_costs": [value]},
               "call_analysis": {"in_voicemail": value, "custom_analysis_data": value}}),
        json!({"call_id": value, "recording_url": value, "recording_multi_channel_url": value}),
        json!({"items": [value, {"call_id": "c", "direction": "outbound"}], "has_more": value, "pagination_key": value, "total": value}),
        json!({"event": value, "call": value}),
        json!({"event": "call_ended", "call": {"call_id": "c", "call_status": value, "disconnection_reason": value, "end_timestamp": value}}),
        json!({"event": "transcript_updated", "call": {"call_id": value, "transcript_with_tool_calls": [value]}}),
        json!({"event": "transfer_ended", "call": {"call_id": "c", "transfer_end_timestamp": value}, "transfer_destination": value}),
    ]
}

fn fixtures() -> Vec<corpus::Fixture> {
    corpus::fixture_files_at_least(&support::fixtures_dir(), 12)
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
