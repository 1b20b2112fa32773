//! No input makes the HappyRobot decoders panic: every fixture, mutated hundreds of ways,
//! arbitrary JSON, garbage bytes and truncated bodies go through every decoder. Failures
//! must be `Error::Decode` naming HappyRobot; successes must be HappyRobot calls.

mod support;

use serde_json::Value;
use voiceport_core::testing::{Rng, arbitrary_json, mutations};
use voiceport_core::{
    CallEvent, CallKind, CallQuery, CallStatus, Direction, Error, PageCursor, ProviderKind,
};

const MUTANTS_PER_FIXTURE: usize = 300;

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

fn assert_decode_error(err: &Error, what: &str) {
    assert!(matches!(err, Error::Decode { .. }), "{what}: {err:?}");
    assert_eq!(err.provider(), Some(ProviderKind::HappyRobot), "{what}");
}

/// Feeds `body` to every decoder and checks what comes out.
fn check(body: &[u8], what: &str) {
    match voiceport_happyrobot::decode_call(body) {
        Ok(call) => {
            assert_eq!(call.provider, ProviderKind::HappyRobot, "{what}");
            assert!(call.vendor_payload().is_some(), "{what}");
        }
        Err(err) => assert_decode_error(&err, what),
    }
    for query in queries() {
        let local = CallQuery {
            search: None,
            ..query.clone()
        };
        match voiceport_happyrobot::decode_page(body, &query) {
            Ok(page) => {
                for call in &page.calls {
                    assert_eq!(call.provider, ProviderKind::HappyRobot, "{what}");
                    assert!(call.vendor_payload().is_some(), "{what}");
                    assert!(local.matches(call), "{what}: a filtered-out call came back");
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
            Err(err) => assert_decode_error(&err, what),
        }
    }
    match voiceport_happyrobot::decode_transcript(body) {
        Ok(_) => {}
        Err(err) => assert_decode_error(&err, what),
    }
    match voiceport_happyrobot::decode_recording(body) {
        Ok(recording) => {
            if let Some(recording) = recording {
                assert!(recording.mono_url.is_some_and(|u| !u.is_empty()), "{what}");
            }
        }
        Err(err) => assert_decode_error(&err, what),
    }
    match voiceport_happyrobot::parse_webhook(body) {
        Ok(CallEvent::Started { call }) | Ok(CallEvent::Ended { call }) => {
            assert_eq!(call.provider, ProviderKind::HappyRobot, "{what}");
            assert!(call.vendor_payload().is_some(), "{what}");
        }
        Ok(CallEvent::Other { payload, .. }) => {
            assert!(!payload.get().is_empty(), "{what}")
        }
        Ok(other) => panic!("{what}: unexpected event {other:?}"),
        Err(err) => assert_decode_error(&err, what),
    }
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(support::fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "fixtures missing: {files:?}");
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

#[test]
fn fixtures_decode_as_themselves() {
    // Sanity: each fixture is valid input for at least one decoder.
    for (name, body) in fixtures() {
        let ok = voiceport_happyrobot::decode_call(&body).is_ok()
            || voiceport_happyrobot::decode_page(&body, &CallQuery::default()).is_ok()
            || voiceport_happyrobot::decode_transcript(&body).is_ok()
            || voiceport_happyrobot::parse_webhook(&body).is_ok();
        assert!(ok, "{name}: no decoder accepts it");
        check(&body, &name);
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    for (seed, (name, body)) in fixtures().into_iter().enumerate() {
        let value: Value = serde_json::from_slice(&body).unwrap();
        for (i, mutant) in mutations(&value, seed as u64 + 1, MUTANTS_PER_FIXTURE)
            .into_iter()
            .enumerate()
        {
            let text = serde_json::to_vec(&mutant).unwrap();
            check(&text, &format!("{name} mutant {i}"));
        }
    }
}

#[test]
fn arbitrary_json_never_panics() {
    let mut rng = Rng::new(2026);
    for i in 0..2000 {
        let value = arbitrary_json(&mut rng, 4);
        let text = serde_json::to_vec(&value).unwrap();
        check(&text, &format!("arbitrary {i}"));
        // The same, wrapped in the shapes the decoders look for.
        for wrapped in [
            serde_json::json!({"id": "a", "status": value.clone(), "metadata": value.clone()}),
            serde_json::json!({"calls": [value.clone(), {"id": "b"}], "count": value.clone()}),
            serde_json::json!({"type": "end", "call": value.clone(), "content": value.clone()}),
            serde_json::json!({"start_time": value.clone(), "messages": [value.clone()]}),
        ] {
            check(
                &serde_json::to_vec(&wrapped).unwrap(),
                &format!("wrapped {i}"),
            );
        }
    }
}

#[test]
fn garbage_and_truncated_bodies_never_panic() {
    let mut rng = Rng::new(7);
    for i in 0..500 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        check(&bytes, &format!("garbage {i}"));
    }
    for (name, body) in fixtures() {
        let step = (body.len() / 40).max(1);
        for cut in (0..body.len()).step_by(step) {
            let truncated = &body[..cut];
            check(truncated, &format!("{name} cut at {cut}"));
        }
    }
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"{}",
        b"\"\"",
        b"{\"id\": null}",
        b"{\"calls\": null}",
        b"\xff\xfe",
        b"{\"id\": \"a\"} trailing",
    ] {
        check(body, &String::from_utf8_lossy(body));
    }
}
