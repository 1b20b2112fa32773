//! No input makes the HappyRobot codec panic: every fixture, mutated hundreds of ways,
//! arbitrary JSON, garbage bytes and truncated bodies go through every decoder. Failures
//! must be `Error::Decode` naming HappyRobot; successes must be HappyRobot values. (The
//! recording decoder is crate-private; its check lives beside it.)

mod support;

use serde_json::{Value, json};
use voiceport_core::testing::{DecoderCheck, Decoders, corpus};
use voiceport_core::{CallKind, CallQuery, CallStatus, Codec, Direction, PageCursor, ProviderKind};
use voiceport_happyrobot::HappyRobotCodec;

const CODEC: HappyRobotCodec = HappyRobotCodec;

const DECODERS: Decoders = Decoders::new(DecoderCheck::new(ProviderKind::HappyRobot), feed_with);

fn queries() -> Vec<CallQuery> {
    vec![
        CallQuery::default(),
        CallQuery {
            kind: Some(CallKind::Phone),
            direction: Some(Direction::Outbound),
            statuses: vec![CallStatus::Completed, CallStatus::NoAnswer],
            since: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            tags: vec!["dry-van".into()],
            page_size: Some(3),
            cursor: Some(PageCursor::Offset { skip: 7 }),
            ..CallQuery::default()
        },
    ]
}

/// Feeds `body` to every decoder, checking each result with `check`.
fn feed_with(check: DecoderCheck, body: &[u8], what: &str) {
    check.call(body, CODEC.decode_call(body), what);
    for query in queries() {
        // HappyRobot searches server-side; every other filter is re-checked locally, the
        // time range as `in_time_range` holds it (a call without a time is kept).
        let local = CallQuery {
            search: None,
            since: None,
            until: None,
            ..query.clone()
        };
        let Some(page) = check.page(body, CODEC.decode_page(body, &query), &local, what) else {
            continue;
        };
        for call in &page.calls {
            let created = call.created_at.or(call.started_at);
            let in_range = query.in_time_range(created, call.ended_at);
            assert!(in_range, "{what}: {:?} is outside the time range", call.id);
        }
        let skip = match query.cursor {
            Some(PageCursor::Offset { skip }) => skip,
            _ => 0,
        };
        match page.next {
            None => {}
            Some(PageCursor::Offset { skip: next }) => {
                assert!(next > skip, "{what}: the cursor does not move forward")
            }
            Some(other) => panic!("{what}: unexpected cursor {other:?}"),
        }
    }
    check.value(body, CODEC.decode_transcript(body), what);
    check.event(body, CODEC.decode_webhook(body), what);
    // Whatever `detect` guesses, decoding as that never panics either.
    let _ = CODEC.decode(CODEC.detect(body), body);
}

/// The places HappyRobot's decoders look, for an arbitrary `value`.
fn shapes(value: &Value) -> Vec<Value> {
    vec![
        json!({"id": "a", "status": value, "metadata": value}),
        json!({"calls": [value, {"id": "b"}], "count": value}),
        json!({"type": "end", "call": value, "content": value}),
        json!({"start_time": value, "messages": [value, {"start": value, "end": value}]}),
        // CloudEvents of the current platform.
        json!({"specversion": "1.0", "type": "session.status_changed",
            "id": value, "time": value, "data": value}),
        json!({"specversion": value, "type": "session.status_changed",
            "data": {"session_id": value, "status": value, "use_case": value, "org_id": value}}),
        json!({"specversion": "1.0", "type": value,
            "data": {"session_id": "s", "status": {"current": value, "updated_at": value}}}),
    ]
}

fn fixtures() -> Vec<corpus::Fixture> {
    corpus::fixture_files_at_least(&support::fixtures_dir(), 12)
}

#[test]
fn every_fixture_is_accepted_by_some_decoder() {
    for fixture in fixtures() {
        let body = &fixture.body;
        let accepted = CODEC.decode_call(body).is_ok()
            || CODEC.decode_page(body, &CallQuery::default()).is_ok()
            || CODEC.decode_transcript(body).is_ok()
            || CODEC.decode_webhook(body).is_ok();
        assert!(accepted, "{}: no decoder accepts it", fixture.name);
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    DECODERS.each_mutant(&fixtures(), 1, 300);
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
