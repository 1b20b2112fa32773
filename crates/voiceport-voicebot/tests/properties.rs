//! No input makes the Vapi-family decoders panic, for either flavor: every fixture,
//! mutated hundreds of ways (alone and inside list and webhook envelopes), arbitrary JSON,
//! garbage bytes and truncated bodies go through every decoder. Failures must be
//! `Error::Decode` naming the flavor's kind, with the JSON path.

mod support;

use serde_json::{Value, json};
use support::{BOTH, Family, VAPI, VOICEBOT};
use voiceport_core::testing::{DecoderCheck, Decoders, corpus, mutations};
use voiceport_core::{CallQuery, CallStatus, Direction, Error, PayloadKind};

/// The decoders of `family`, checked for its kind.
fn decoders(family: Family) -> Decoders<impl Fn(DecoderCheck, &[u8], &str)> {
    Decoders::new(
        DecoderCheck::new(family.kind()),
        move |check, body, what| feed_with(family, check, body, what),
    )
}

/// Feeds `body` to every decoder of `family`, checking each result with `check`.
fn feed_with(family: Family, check: DecoderCheck, body: &[u8], what: &str) {
    let codec = family.codec;
    check.call(body, codec.decode_call(body), what);
    check.page(
        body,
        codec.decode_page(body, &CallQuery::default()),
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
    check.page(body, codec.decode_page(body, &filtered), &filtered, what);
    check.event(body, codec.decode_webhook(body), what);
    // Whatever `detect` guesses, decoding as that kind must not panic either.
    let _ = codec.decode(codec.detect(body), body);
}

/// The places the Vapi-family decoders look, for an arbitrary `value`.
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

/// Each flavor with its own fixtures (at least 40 and 30 of them).
fn with_fixtures() -> [(Family, Vec<corpus::Fixture>); 2] {
    let fixtures =
        |family: Family, minimum| corpus::fixture_files_at_least(&family.fixtures_dir(), minimum);
    [
        (VOICEBOT, fixtures(VOICEBOT, 40)),
        (VAPI, fixtures(VAPI, 30)),
    ]
}

#[test]
fn fixtures_decode_as_their_kind() {
    for (family, fixtures) in with_fixtures() {
        let codec = family.codec;
        for fixture in fixtures {
            let (name, body) = (&fixture.name, &fixture.body);
            let kind = if name.starts_with("list") {
                assert!(
                    codec.decode_page(body, &CallQuery::default()).is_ok(),
                    "{name}"
                );
                PayloadKind::Page
            } else if name.starts_with("webhook") {
                assert!(codec.decode_webhook(body).is_ok(), "{name}");
                PayloadKind::Webhook
            } else {
                assert!(codec.decode_call(body).is_ok(), "{name}");
                PayloadKind::Call
            };
            assert_eq!(codec.detect(body), kind, "{}/{name}", family.folder);
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    for (family, fixtures) in with_fixtures() {
        decoders(family).each_mutant(&fixtures, 1000, 300);
    }
}

#[test]
fn mutated_calls_inside_list_and_webhook_envelopes_never_panic() {
    for (family, fixtures) in with_fixtures() {
        let decoders = decoders(family);
        for (seed, fixture) in fixtures.iter().enumerate() {
            if !fixture.name.starts_with("call") {
                continue;
            }
            let mutants = mutations(&fixture.json(), 7000 + seed as u64, 100);
            for (i, mutant) in mutants.iter().enumerate() {
                let list = json!([mutant]);
                decoders.feed(
                    list.to_string().as_bytes(),
                    &format!("{} list mutant {i}", fixture.name),
                );
                for kind in ["end-of-call-report", "status-update", "transcript"] {
                    let hook = json!({"message": {"type": kind, "call": mutant, "status": "ended",
                        "artifact": mutant.get("artifact"), "analysis": mutant.get("analysis")}});
                    decoders.feed(
                        hook.to_string().as_bytes(),
                        &format!("{} {kind} mutant {i}", fixture.name),
                    );
                }
            }
        }
    }
}

#[test]
fn arbitrary_json_never_panics() {
    for family in BOTH {
        decoders(family).each_arbitrary(2026, 3000, shapes);
    }
}

#[test]
fn garbage_never_panics() {
    for family in BOTH {
        decoders(family).each_garbage(99, 500);
    }
}

#[test]
fn truncated_bodies_are_refused() {
    for (family, fixtures) in with_fixtures() {
        decoders(family).each_truncation(&fixtures);
    }
}

#[test]
fn a_webhook_without_a_type_names_message_type() {
    for body in [
        &br#"{"message": {"call": {"id": "x"}}}"#[..],
        br#"{}"#,
        br#"{"message": {"type": 5}}"#,
    ] {
        for family in BOTH {
            let err = family.codec.decode_webhook(body).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { path, provider, .. }
                    if path == "message.type" && *provider == family.kind()),
                "{}: {err:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
