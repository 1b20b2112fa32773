//! No input makes the Voicebot Studio decoders panic: every fixture, mutated hundreds of
//! ways (alone and inside list and webhook envelopes), arbitrary JSON, garbage bytes and
//! truncated bodies go through every decoder. Failures must be `Error::Decode` naming
//! Voicebot Studio, with the JSON path.

mod support;

use serde_json::{Value, json};
use voiceport_core::testing::{DecoderCheck, corpus, mutations};
use voiceport_core::{CallQuery, CallStatus, Codec, Direction, Error, PayloadKind, ProviderKind};
use voiceport_voicebot::VoicebotCodec;

const CHECK: DecoderCheck = DecoderCheck::new(ProviderKind::Voicebot);

/// Feeds `body` to every decoder.
fn feed(body: &[u8], what: &str) {
    feed_with(CHECK, body, what);
}

/// Feeds `body` to every decoder, checking each result with `check`.
fn feed_with(check: DecoderCheck, body: &[u8], what: &str) {
    check.call(body, VoicebotCodec.decode_call(body), what);
    check.page(
        body,
        VoicebotCodec.decode_page(body, &CallQuery::default()),
        &CallQuery::default(),
        what,
    );
    // The list endpoint cannot filter by status or direction; the adapter does it here.
    let filtered = CallQuery {
        statuses: vec![
            CallStatus::Completed,
            CallStatus::NoAnswer,
            CallStatus::Unknown,
        ],
        direction: Some(Direction::Outbound),
        page_size: Some(1),
        ..CallQuery::default()
    };
    check.page(
        body,
        VoicebotCodec.decode_page(body, &filtered),
        &filtered,
        what,
    );
    check.event(body, VoicebotCodec.decode_webhook(body), what);
    // Whatever `detect` guesses, decoding as that kind must not panic either.
    let _ = VoicebotCodec.decode(VoicebotCodec.detect(body), body);
}

/// The places Voicebot Studio's decoders look, for an arbitrary `value`.
fn shapes(value: &Value) -> Vec<Value> {
    vec![
        json!({"id": "x", "messages": [value], "analysis": value}),
        json!([{"id": "x", "costs": [value], "createdAt": value}]),
        json!({"message": {"type": "end-of-call-report", "call": {"id": "x"}, "artifact": value}}),
        json!({"message": {"type": "status-update", "call": {"id": "x"}, "status": value}}),
        json!({"message": {"type": "transcript", "call": value, "role": value}}),
        json!({"message": value}),
        // The call beside the message, the message as the body, the other parsed types.
        json!({"message": {"type": "status-update", "status": "ended"}, "call": value}),
        json!({"type": "end-of-call-report", "call": {"id": "x"}, "messages": [value],
               "durationSeconds": value, "timestamp": value}),
        json!({"message": {"type": "conversation-update", "conversation": [value], "messages": value}}),
        json!({"message": {"type": "tool-calls", "toolCallList": [value, {"function": value}]}}),
        json!({"message": {"type": "function-call", "functionCall": value}}),
    ]
}

fn fixtures() -> Vec<corpus::Fixture> {
    let fixtures = corpus::fixture_files(&support::fixtures_dir());
    assert!(fixtures.len() >= 40, "fixtures missing: {}", fixtures.len());
    fixtures
}

#[test]
fn fixtures_decode_as_their_kind() {
    for fixture in fixtures() {
        let (name, body) = (&fixture.name, &fixture.body);
        let kind = if name.starts_with("list") {
            assert!(
                VoicebotCodec
                    .decode_page(body, &CallQuery::default())
                    .is_ok(),
                "{name}"
            );
            PayloadKind::Page
        } else if name.starts_with("webhook") {
            assert!(VoicebotCodec.decode_webhook(body).is_ok(), "{name}");
            PayloadKind::Webhook
        } else {
            assert!(VoicebotCodec.decode_call(body).is_ok(), "{name}");
            PayloadKind::Call
        };
        assert_eq!(VoicebotCodec.detect(body), kind, "{name}");
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    corpus::each_mutant(&fixtures(), 1000, 300, feed);
}

#[test]
fn mutated_calls_inside_list_and_webhook_envelopes_never_panic() {
    for (seed, fixture) in fixtures().iter().enumerate() {
        if !fixture.name.starts_with("call") {
            continue;
        }
        let mutants = mutations(&fixture.json(), 7000 + seed as u64, 100);
        for (i, mutant) in mutants.iter().enumerate() {
            let list = json!([mutant]);
            feed(
                list.to_string().as_bytes(),
                &format!("{} list mutant {i}", fixture.name),
            );
            for kind in ["end-of-call-report", "status-update", "transcript"] {
                let hook = json!({"message": {"type": kind, "call": mutant, "status": "ended",
                    "artifact": mutant.get("artifact"), "analysis": mutant.get("analysis")}});
                feed(
                    hook.to_string().as_bytes(),
                    &format!("{} {kind} mutant {i}", fixture.name),
                );
            }
        }
    }
}

#[test]
fn arbitrary_json_never_panics() {
    corpus::each_arbitrary(2026, 3000, shapes, feed);
}

#[test]
fn garbage_never_panics() {
    corpus::each_garbage(99, 500, feed);
}

#[test]
fn truncated_bodies_are_refused() {
    corpus::each_truncation(&fixtures(), |body, what| {
        feed_with(CHECK.refusing(), body, what)
    });
}

#[test]
fn a_webhook_without_a_type_names_message_type() {
    for body in [
        &br#"{"message": {"call": {"id": "x"}}}"#[..],
        br#"{}"#,
        br#"{"message": {"type": 5}}"#,
    ] {
        let err = VoicebotCodec.decode_webhook(body).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "message.type"),
            "{}: {err:?}",
            String::from_utf8_lossy(body)
        );
    }
}
