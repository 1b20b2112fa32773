//! Rounded webhook deliveries → [`CallEvent`].
//!
//! **Rounded does not document its webhook payloads** (shapes, retries and signing: see
//! docs/vendors/rounded.md). Only the event *names* are documented (an agent's
//! `webhook_subscriptions`). The parser therefore accepts the shapes a receiver is
//! likely to meet rather than one guessed shape:
//!
//! ```json
//! {"event": "event_phone_call_ended", "timestamp": "…", "data": { …call fields… }}
//! {"type": "event_phone_call_ended", "time": "…", "call": { …call fields… }}
//! {"event": "event_phone_call_ended", "data": {"call": { …call fields… }}}
//! ```
//!
//! * the event name is read from `event`, else `type`, and kept verbatim as
//!   [`CallEvent::vendor_event`]; it is matched with or without the `event_` prefix the
//!   subscription names carry (`event_phone_call_ended` and `phone_call_ended` alike);
//! * the call (the *subject*) is `call`, else `data.call`, else `data`, when it is an
//!   object; it is decoded as a call when it has a string `id`;
//! * the event time is `timestamp`, else `time` (ISO 8601, or epoch seconds or
//!   milliseconds);
//! * the call id, for an event read as the call's start, change or end (its subject is
//!   the call), named for it (`call_…`, `phone_call_…`, `web_call_…`) or whose subject is
//!   sent as `call` or `data.call`, is the subject's `id`, else its `call_id`, else a
//!   top-level `call_id` (for `event_call_recording_status_updated`, whose subject under
//!   `data` may be the call or its recording, the subject's `call_id` first); for any
//!   other event (a transcript's utterance, a variable's value, a recording), the
//!   subject's `call_id`, else the top-level one, else none: the subject's own `id` is
//!   not the call's.
//!
//! What each event becomes:
//!
//! * `event_phone_call_ended`, `event_web_call_ended` → [`EventKind::Ended`];
//! * `event_phone_call_did_not_connect` → [`EventKind::Ended`], the call's status set to
//!   no answer unless it already says busy, failed or canceled (the event says only that
//!   the call did not connect; inferred); as the event's name went into it, the call keeps
//!   the whole delivery as its vendor payload;
//! * `event_call_status_updated` → [`EventKind::StatusChanged`] (status from the subject's
//!   `status`, `answer_type` and `redirect_duration_seconds`, as for a call; the call too
//!   when the subject has an `id`); without any call id it is still a status change, with
//!   no call id;
//! * `event_call_answer_type_updated` → the same, when the status it gives is known (an
//!   `answer_type` of a machine: voicemail); else [`EventKind::Other`];
//! * `event_transcript` → [`EventKind::TranscriptUpdate`] when the subject has `role` and
//!   `content`;
//! * `event_phone_call_connected`, `event_web_call_connected` → [`EventKind::Started`];
//! * anything else, and a known event whose subject is not a call with an id →
//!   [`EventKind::Other`] with the whole body, verbatim.
//!
//! A body without an event name is an [`Error::Decode`] at `event`; so is a subject that is
//! a call but does not decode as one (the error names its JSON path). No signature is
//! checked: Rounded documents none. Verify the delivery yourself (a secret in the webhook
//! URL, an allow-list) before trusting it.
//!
//! [`Error::Decode`]: voiceport_core::Error::Decode

use std::borrow::Cow;

use serde_json::value::RawValue;
use voiceport_core::adapter::{
    AnyJson, Text, decode_call_with, event_name, finite, is_object, keep_whole_delivery, non_blank,
    not_over_yet, parse_time, text_field,
};
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{
    Call, CallEvent, CallId, CallStatus, EndReason, EndReasonCategory, EventKind, Operation, Result,
};

use crate::config::KIND;
use crate::map::call::{map_call, map_utterance};
use crate::map::status::{StatusFields, status_of};
use crate::wire;

const OP: Operation = Operation::ParseWebhook;

/// The object a delivery is about, its JSON path in the body, and its ids.
#[derive(Debug)]
struct Subject<'a> {
    raw: &'a RawValue,
    path: &'static str,
    /// Its `id`, when that is a string that is not blank: the subject is then a call.
    id: Option<Cow<'a, str>>,
    /// Its `call_id`, the same.
    call_id: Option<Cow<'a, str>>,
}

impl<'a> Subject<'a> {
    fn new(raw: &'a RawValue, path: &'static str, head: wire::SubjectHead<'a>) -> Subject<'a> {
        Subject {
            raw,
            path,
            id: head.id.and_then(text),
            call_id: head.call_id.and_then(text),
        }
    }
}

/// Turns the body of a Rounded webhook delivery into an event (inferred shapes: module docs).
pub(crate) fn decode_webhook(body: &[u8]) -> Result<CallEvent> {
    let delivery: wire::Delivery<'_> = decode_json(KIND, OP, body)?;
    let names = [
        ("event", delivery.event.as_ref()),
        ("type", delivery.event_type.as_ref()),
    ];
    let event = event_name(KIND, OP, &names, body)?;
    let subject = subject(&delivery);
    let subject = subject.as_ref();
    let name = event.strip_prefix("event_").unwrap_or(&event);
    // Decided before the name's event moves into what it is read as.
    let named_for_the_call = ["call_", "phone_call_", "web_call_"]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    // A recording's status update may be about the call (as its status and answer type
    // updates are) or carry the recording, which names its call by `call_id` (inferred:
    // its payload is undocumented): that `call_id` first, else the subject's `id`. A
    // subject sent as `call` or `data.call` is the call: its own `id` first.
    let call_id_first =
        name.starts_with("call_recording_") && subject.is_some_and(|s| s.path == "data");
    let mut parsed = event_for(event, subject, body)?;
    // The subject of an event read as the call's start, change or end is the call, and so
    // is that of an event named for the call (`call_…`, `phone_call_…`, `web_call_…`) not
    // read as one, and a subject sent as `call` or `data.call`. Of any other (a
    // transcript's utterance, a variable's value, a recording), an `id` of its own is not
    // the call's, and names nothing.
    let of_a_call = matches!(
        parsed.kind,
        EventKind::Started { .. } | EventKind::StatusChanged { .. } | EventKind::Ended { .. }
    ) || named_for_the_call
        || subject.is_some_and(|s| s.path != "data");
    if parsed.call_id.is_none() {
        parsed.call_id = call_id_for(subject, of_a_call, call_id_first, delivery.call_id);
    }
    // `time` stands in for a `timestamp` that is absent or unreadable.
    parsed.occurred_at = (delivery.timestamp.and_then(AnyJson::into_time))
        .or_else(|| delivery.time.and_then(AnyJson::into_time));
    Ok(parsed)
}

/// The event named `event` (its `event_` prefix aside) of a delivery about `subject`,
/// read as what it is; an event voiceport does not read, or one whose subject is missing,
/// is kept whole.
fn event_for(event: String, subject: Option<&Subject<'_>>, body: &[u8]) -> Result<CallEvent> {
    let name = event.strip_prefix("event_").unwrap_or(&event);
    Ok(match name {
        "phone_call_ended" | "web_call_ended" => {
            let mut was_live = false;
            match call_of(subject, |wire| map_live_as_ended(wire, &mut was_live))? {
                Some(mut call) => {
                    // Its own object would read as live again: it keeps the whole delivery.
                    if was_live && let Some(subject) = subject {
                        keep_whole_delivery(&mut call, subject.path, body);
                    }
                    CallEvent::new(event, EventKind::ended(call))
                }
                None => other(event, body),
            }
        }
        "phone_call_did_not_connect" => match (call_of(subject, map_call)?, subject) {
            (Some(mut call), Some(subject)) => {
                did_not_connect(&mut call, &event);
                // The event's name went into the call: it keeps the whole delivery.
                keep_whole_delivery(&mut call, subject.path, body);
                CallEvent::new(event, EventKind::ended(call))
            }
            _ => other(event, body),
        },
        "call_status_updated" => match subject {
            Some(subject) => status_changed(event, subject)?,
            None => other(event, body),
        },
        // How the call was answered decides part of its status (a machine: voicemail). A
        // change that says no status is kept whole instead.
        "call_answer_type_updated" => match subject {
            Some(subject) => {
                let mut changed = status_changed(event.clone(), subject)?;
                match changed.status() {
                    Some(CallStatus::Unknown) | None => other(event, body),
                    Some(_) => {
                        // Two answers of one call with the same status (a human, then a
                        // machine detected) are two events, not a redelivery.
                        changed.distinct_by =
                            text_field(subject.raw, "answer_type").map(Text::into_owned);
                        changed
                    }
                }
            }
            None => other(event, body),
        },
        "transcript" => match subject {
            Some(subject) => transcript(event, subject, body)?,
            None => other(event, body),
        },
        "phone_call_connected" | "web_call_connected" => match call_of(subject, map_call)? {
            Some(call) => CallEvent::new(event, EventKind::started(call)),
            None => other(event, body),
        },
        _ => other(event, body),
    })
}

/// The id of the call a delivery about `subject` concerns: the subject's own `id` when
/// the subject is the call (`of_a_call`; its `call_id` before it when `call_id_first`),
/// else its `call_id`; else the delivery's top-level `call_id`.
fn call_id_for(
    subject: Option<&Subject<'_>>,
    of_a_call: bool,
    call_id_first: bool,
    top_level: Option<AnyJson<'_>>,
) -> Option<CallId> {
    let top = || top_level.and_then(text).map(CallId::new);
    let named = |id: Option<&str>| id.map(CallId::new);
    match (subject, of_a_call) {
        (Some(s), true) if call_id_first => {
            named(s.call_id.as_deref().or(s.id.as_deref())).or_else(top)
        }
        (Some(s), true) => named(s.id.as_deref().or(s.call_id.as_deref())).or_else(top),
        (Some(s), false) => named(s.call_id.as_deref()).or_else(top),
        (None, _) => top(),
    }
}

/// The object the delivery is about: `call`, else `data.call`, else `data`.
fn subject<'a>(delivery: &wire::Delivery<'a>) -> Option<Subject<'a>> {
    if let Some(raw) = delivery.call.filter(|raw| is_object(raw)) {
        return Some(Subject::new(raw, "call", wire::SubjectHead::of(raw)));
    }
    let data = delivery.data.filter(|raw| is_object(raw))?;
    let head = wire::SubjectHead::of(data);
    Some(match head.call.filter(|raw| is_object(raw)) {
        Some(raw) => Subject::new(raw, "data.call", wire::SubjectHead::of(raw)),
        None => Subject::new(data, "data", head),
    })
}

/// The subject as a call, when it names one with a string `id`.
fn call_of(
    subject: Option<&Subject<'_>>,
    map: impl FnOnce(wire::Call<'_>) -> Call,
) -> Result<Option<Box<Call>>> {
    let Some(subject) = subject.filter(|s| s.id.is_some()) else {
        return Ok(None);
    };
    decode_call_with(KIND, OP, subject.raw, subject.path, map).map(|call| Some(Box::new(call)))
}

/// The call of a call-ended event, `was_live` saying whether it still said a live status.
/// A snapshot taken just before the end may still say `in_progress`: it is read as
/// `completed`, as the call reads once it is over, so that what an ended call says
/// applies (a machine answer: voicemail; a redirect: transferred), `vendor_status`
/// keeping the event's word.
fn map_live_as_ended(mut wire: wire::Call<'_>, was_live: &mut bool) -> Call {
    let (status, _) = status_of(StatusFields {
        status: wire.status.as_ref(),
        ..StatusFields::default()
    });
    *was_live = not_over_yet(status);
    if !*was_live {
        return map_call(wire);
    }
    let said = wire.status.replace(wire::CallStatus::Completed);
    let mut call = map_call(wire);
    call.vendor_status = said.map(|status| status.as_str().to_owned());
    call
}

/// A call that did not connect has not been answered, whatever its status says so far; a
/// status that already says why (busy, failed, canceled, no answer) is kept.
fn did_not_connect(call: &mut Call, event: &str) {
    let specific = [
        CallStatus::NoAnswer,
        CallStatus::Busy,
        CallStatus::Failed,
        CallStatus::Canceled,
    ];
    if !specific.contains(&call.status) {
        call.status = CallStatus::NoAnswer;
        let reason = EndReason::new(EndReasonCategory::NoAnswer, Some(event.to_owned()));
        call.end_reason = Some(reason);
    }
}

fn status_changed(event: String, subject: &Subject<'_>) -> Result<CallEvent> {
    let call = call_of(Some(subject), map_call)?;
    // A call has read its status as a status update does; without one, only the fields
    // the status needs are.
    let (status, vendor_status) = match &call {
        Some(call) => (call.status, call.vendor_status.clone()),
        None => {
            let fields: wire::StatusData = decode_raw(KIND, OP, subject.raw, subject.path)?;
            let (status, _) = status_of(StatusFields {
                status: fields.status.as_ref(),
                answer_type: fields.answer_type.as_ref(),
                redirect_secs: finite(fields.redirect_duration_seconds),
            });
            (status, fields.status.map(|s| s.as_str().to_owned()))
        }
    };
    let kind = EventKind::status_changed(status, vendor_status, call);
    // The call id, when there is no call, is filled in by the caller.
    Ok(CallEvent::new(event, kind))
}

fn transcript(event: String, subject: &Subject<'_>, body: &[u8]) -> Result<CallEvent> {
    let entry: wire::TranscriptEntry = decode_raw(KIND, OP, subject.raw, subject.path)?;
    if entry.role.is_none() || entry.content.is_none() {
        return Ok(other(event, body));
    }
    let at = entry.start_text().and_then(|text| parse_time(&text));
    let utterance = map_utterance(entry, at, None);
    Ok(CallEvent::new(
        event,
        EventKind::transcript_update(utterance, None),
    ))
}

/// An event voiceport does not model, kept whole: its name and the body, verbatim.
fn other(event_type: String, body: &[u8]) -> CallEvent {
    CallEvent::new(event_type, EventKind::kept_whole(body))
}

/// A string that is not [blank](non_blank), if `value` is one.
fn text(value: AnyJson<'_>) -> Option<Cow<'_, str>> {
    match value {
        AnyJson::Text(text) => non_blank(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use voiceport_core::{Error, Speaker};

    fn parse(value: Value) -> Result<CallEvent> {
        decode_webhook(value.to_string().as_bytes())
    }

    const ID: &str = "97adfced-7c9c-4776-8915-cda3cd23b993";

    #[test]
    fn ended_events_carry_the_call() {
        for event in ["event_phone_call_ended", "event_web_call_ended"] {
            let parsed = parse(json!({"event": event, "data": {"id": ID, "status": "completed", "answer_type": "voicemail"}})).unwrap();
            assert_eq!(parsed.vendor_event, event);
            assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
            match parsed.kind {
                EventKind::Ended { call, .. } => {
                    assert_eq!(call.id.as_str(), ID);
                    assert_eq!(call.status, CallStatus::Voicemail);
                    assert!(call.vendor_payload().is_some());
                }
                other => panic!("{other:?}"),
            }
        }
        // Without a call, or a call without an id, the delivery is kept whole.
        for body in [
            json!({"event": "event_phone_call_ended"}),
            json!({"event": "event_phone_call_ended", "data": {"status": "completed"}}),
            json!({"event": "event_phone_call_ended", "data": {"call_id": ID}}),
        ] {
            let parsed = parse(body.clone()).unwrap();
            assert_eq!(parsed.vendor_event, "event_phone_call_ended", "{body}");
            assert!(matches!(parsed.kind, EventKind::Other { .. }), "{body}");
        }
        let kept = parse(json!({"event": "event_phone_call_ended", "data": {"call_id": ID}}));
        assert_eq!(kept.unwrap().call_id().map(CallId::as_str), Some(ID));
        // A call that does not decode is an error at its path.
        let err = parse(json!({"type": "event_phone_call_ended", "call": {"id": ID, "duration_seconds": "long"}}))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path.starts_with("call")),
            "{err:?}"
        );
    }

    #[test]
    fn the_name_and_the_call_are_found_where_senders_put_them() {
        let call = json!({"id": ID, "status": "completed"});
        let shapes = [
            json!({"event": "event_phone_call_ended", "data": call}),
            json!({"type": "event_phone_call_ended", "data": call}),
            json!({"type": "event_phone_call_ended", "call": call}),
            json!({"event": "event_phone_call_ended", "data": {"call": call}}),
            json!({"event": null, "type": "event_phone_call_ended", "call": call, "data": {"other": 1}}),
            json!({"event": "phone_call_ended", "call": call}),
        ];
        for body in shapes {
            let parsed = parse(body.clone()).unwrap();
            assert!(matches!(parsed.kind, EventKind::Ended { .. }), "{body}");
            assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID), "{body}");
            assert_eq!(parsed.status(), Some(CallStatus::Completed), "{body}");
        }
        // The name is kept as sent, prefix or not.
        let parsed = parse(json!({"event": "phone_call_ended", "call": call})).unwrap();
        assert_eq!(parsed.vendor_event, "phone_call_ended");
        // `event` wins over `type`.
        let parsed =
            parse(json!({"event": "event_phone_call_connected", "type": "x", "data": call}))
                .unwrap();
        assert!(matches!(parsed.kind, EventKind::Started { .. }));
        // A path names where the call was.
        let err = parse(json!({"event": "event_phone_call_ended", "data": {"call": {"id": ID, "cost": "free"}}}))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path.starts_with("data.call")),
            "{err:?}"
        );
    }

    #[test]
    fn a_nested_call_wins_over_its_parent_and_a_repeated_key_counts_once() {
        // `data` with an id of its own and a call inside: the call is the subject.
        let parsed = parse(json!({"event": "event_phone_call_ended",
            "data": {"id": "parent", "call": {"id": ID, "status": "completed"}}}))
        .unwrap();
        assert!(matches!(parsed.kind, EventKind::Ended { .. }));
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        // A key given twice counts as its last value, as a JSON tree keeps it.
        let body = format!(
            r#"{{"event": "event_phone_call_ended", "data": {{"id": "{ID}", "call_id": "a", "call_id": "b", "status": "completed"}}}}"#
        );
        let parsed = decode_webhook(body.as_bytes()).unwrap();
        assert!(matches!(parsed.kind, EventKind::Ended { .. }), "{parsed:?}");
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        let body = format!(
            r#"{{"event": "event_phone_call_ended", "data": {{"call": 1, "call": {{"id": "{ID}"}}}}}}"#
        );
        let parsed = decode_webhook(body.as_bytes()).unwrap();
        assert!(matches!(parsed.kind, EventKind::Ended { .. }), "{parsed:?}");
        let body = r#"{"event": "event_transcript", "data": {"call_id": "a", "call_id": "b"}}"#;
        let parsed = decode_webhook(body.as_bytes()).unwrap();
        assert_eq!(parsed.call_id().map(CallId::as_str), Some("b"));
    }

    /// A transcript's subject is an utterance: its own `id` (inferred: the payloads are
    /// undocumented) does not name the call, its `call_id` does.
    #[test]
    fn a_transcript_names_its_call_by_call_id_not_its_own_id() {
        let parsed = parse(json!({"event": "event_transcript",
            "data": {"id": "utt_9", "call_id": ID, "role": "agent", "content": "Hello"}}))
        .unwrap();
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        let beside = parse(json!({"event": "event_transcript", "call_id": ID,
            "data": {"id": "utt_9", "role": "agent", "content": "Hello"}}))
        .unwrap();
        assert_eq!(beside.call_id().map(CallId::as_str), Some(ID));
    }

    /// Nor does the own `id` of the subject of an event not modelled (a variable's value,
    /// inferred shape) name the call when it carries a `call_id`; a call event's subject is
    /// the call, whose `id` does.
    #[test]
    fn another_subject_names_its_call_by_call_id_not_its_own_id() {
        let parsed = parse(json!({"event": "event_variable_value_updated",
            "data": {"id": "5e0c2a1b-8f3d-4b7e-9a61-2c4d8e0f1a3b", "call_id": ID,
                     "name": "wants_delivery", "value": true}}))
        .unwrap();
        assert!(matches!(parsed.kind, EventKind::Other { .. }));
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        // Without a call id, its own id names no call: an utterance's or a recording's id
        // taken for one would make a call of every line of a transcript.
        let alone = parse(json!({"event": "event_recording_ready", "data": {"id": ID}})).unwrap();
        assert_eq!(alone.call_id(), None);
        let line = parse(json!({"event": "event_transcript",
            "data": {"id": "utt_9", "role": "agent", "content": "Hello"}}))
        .unwrap();
        assert!(matches!(line.kind, EventKind::TranscriptUpdate { .. }));
        assert_eq!(line.call_id(), None);
        // An event named for the call, not modelled, names it by its subject's id.
        let answered = parse(json!({"event": "event_call_answer_type_updated",
            "data": {"id": ID, "answer_type": "human"}}))
        .unwrap();
        assert_eq!(answered.call_id().map(CallId::as_str), Some(ID));
        let status = parse(json!({"event": "event_call_status_updated",
            "data": {"id": ID, "call_id": "some-other-id", "status": "ongoing"}}))
        .unwrap();
        assert_eq!(status.call_id().map(CallId::as_str), Some(ID));
        // A recording's status update names its call by the subject's `call_id` where it
        // has one (the recording sent as the subject), else by its `id` (the call sent).
        let recording = parse(json!({"event": "event_call_recording_status_updated",
            "data": {"id": "rec_7f2a91", "call_id": ID, "status": "available"}}))
        .unwrap();
        assert_eq!(recording.call_id().map(CallId::as_str), Some(ID));
        let of_the_call = parse(json!({"event": "call_recording_status_updated",
            "data": {"id": ID, "recording_status": "available"}}))
        .unwrap();
        assert_eq!(of_the_call.call_id().map(CallId::as_str), Some(ID));
        // Sent as the call: its own id, whatever `call_id` it carries.
        let as_the_call = parse(json!({"event": "event_call_recording_status_updated",
            "data": {"call": {"id": ID, "call_id": "some-other-id"}}}))
        .unwrap();
        assert_eq!(as_the_call.call_id().map(CallId::as_str), Some(ID));
    }

    #[test]
    fn the_event_time_is_read_from_timestamp_or_time() {
        let at = |body: Value| parse(body).unwrap().occurred_at.map(|t| t.to_rfc3339());
        let expected = Some("2026-03-24T10:03:06+00:00".to_owned());
        assert_eq!(
            at(json!({"event": "x", "timestamp": "2026-03-24T10:03:06Z"})),
            expected
        );
        assert_eq!(
            at(json!({"type": "x", "time": "2026-03-24 10:03:06"})),
            expected
        );
        assert_eq!(at(json!({"type": "x", "timestamp": 1774346586})), expected);
        assert_eq!(
            at(json!({"type": "x", "timestamp": 1774346586000_i64})),
            expected
        );
        assert_eq!(at(json!({"type": "x", "timestamp": "soon"})), None);
        assert_eq!(at(json!({"type": "x", "timestamp": [1]})), None);
        assert_eq!(at(json!({"type": "x"})), None);
        // An unreadable `timestamp` leaves `time` to say it; so does one that would be
        // 1970 (zero, negative, a date's digits read as seconds).
        for timestamp in [json!(""), json!(0), json!("-1"), json!("20260324")] {
            assert_eq!(
                at(json!({"type": "x", "timestamp": timestamp, "time": "2026-03-24T10:03:06Z"})),
                expected,
                "{timestamp}"
            );
        }
    }

    #[test]
    fn a_call_that_did_not_connect_ends_unanswered() {
        let parsed = parse(json!({"type": "event_phone_call_did_not_connect",
            "call": {"id": ID, "status": "created", "start_time": null}}))
        .unwrap();
        match parsed.kind {
            EventKind::Ended { call, .. } => {
                assert_eq!(call.status, CallStatus::NoAnswer);
                assert_eq!(call.vendor_status.as_deref(), Some("created"));
                assert_eq!(
                    call.end_reason,
                    Some(EndReason::new(
                        EndReasonCategory::NoAnswer,
                        Some("event_phone_call_did_not_connect".to_owned())
                    ))
                );
            }
            other => panic!("{other:?}"),
        }
        // A status that says why is kept; one that says the call connected is not.
        let status = |vendor: &str| {
            let body = json!({"event": "event_phone_call_did_not_connect", "data": {"id": ID, "status": vendor}});
            parse(body).unwrap().status()
        };
        assert_eq!(status("busy"), Some(CallStatus::Busy));
        assert_eq!(status("failed"), Some(CallStatus::Failed));
        assert_eq!(status("completed"), Some(CallStatus::NoAnswer));
        assert_eq!(status("in_progress"), Some(CallStatus::NoAnswer));
    }

    /// `event_call_answer_type_updated` (its payload is undocumented; this shape is the
    /// status update's, inferred) is a status change when it says a status, else kept whole.
    #[test]
    fn an_answer_type_update_is_a_status_change_when_it_says_a_status() {
        let parsed = parse(json!({"event": "event_call_answer_type_updated",
            "data": {"id": ID, "status": "completed", "answer_type": "voicemail"}}))
        .unwrap();
        assert_eq!(parsed.status(), Some(CallStatus::Voicemail), "{parsed:?}");
        assert!(matches!(parsed.kind, EventKind::StatusChanged { .. }));
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        let bare = parse(json!({"event": "event_call_answer_type_updated",
            "data": {"call_id": ID, "answer_type": "human"}}))
        .unwrap();
        assert!(matches!(bare.kind, EventKind::Other { .. }), "{bare:?}");
        assert_eq!(bare.call_id().map(CallId::as_str), Some(ID));
        // Two answers with the same status (a human, then a machine detected during the
        // call) are two events for the de-duplication window; a redelivery is one.
        let answered = |answer: &str| {
            let body = json!({"event": "event_call_answer_type_updated",
                "data": {"id": ID, "status": "in_progress", "answer_type": answer}});
            let bytes = serde_json::to_vec(&body).unwrap();
            voiceport_core::webhook::EventKey::of("r", &parse(body).unwrap(), &bytes)
        };
        assert_ne!(answered("human"), answered("voicemail"));
        assert_eq!(answered("human"), answered("human"));
    }

    /// A transcript utterance whose `start_time` is no ISO text (a number of seconds, which
    /// the vendor does not document) is delivered without a time rather than refused.
    #[test]
    fn a_transcript_time_that_is_no_text_is_read_as_no_time() {
        let parsed = parse(json!({"event": "event_transcript",
            "data": {"call_id": ID, "role": "user", "content": "Hi", "start_time": 12.5}}))
        .unwrap();
        let EventKind::TranscriptUpdate { utterance, .. } = &parsed.kind else {
            panic!("{parsed:?}")
        };
        assert_eq!(
            (utterance.text.as_deref(), utterance.at),
            (Some("Hi"), None)
        );
    }

    #[test]
    fn status_updates_take_the_id_from_id_or_call_id() {
        let parsed = parse(json!({"event": "event_call_status_updated", "data": {"call_id": ID, "status": "ringing"}})).unwrap();
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        match parsed.kind {
            EventKind::StatusChanged {
                status,
                vendor_status,
                call,
                ..
            } => {
                assert_eq!(status, CallStatus::Ringing);
                assert_eq!(vendor_status.as_deref(), Some("ringing"));
                assert!(call.is_none());
            }
            other => panic!("{other:?}"),
        }
        let parsed = parse(
            json!({"type": "event_call_status_updated", "call": {"id": ID, "status": "busy"}}),
        )
        .unwrap();
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        match parsed.kind {
            EventKind::StatusChanged { status, call, .. } => {
                assert_eq!(status, CallStatus::Busy);
                assert_eq!(call.unwrap().status, CallStatus::Busy);
            }
            other => panic!("{other:?}"),
        }
        // A redirect on an ended call ends it in a transfer here as on a fetched call.
        let transfer = |redirect: Value| {
            let parsed = parse(json!({"event": "event_call_status_updated",
                "data": {"id": ID, "status": "completed", "redirect_duration_seconds": redirect}}))
            .unwrap();
            assert_eq!(parsed.status(), Some(CallStatus::Completed));
            match parsed.kind {
                EventKind::StatusChanged {
                    call: Some(call), ..
                } => call.end_reason.map(|r| r.category),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(transfer(json!(30)), Some(EndReasonCategory::Transferred));
        // Written as text, as a fetched call's may be.
        assert_eq!(transfer(json!("30")), Some(EndReasonCategory::Transferred));
        match parse(json!({"event": "event_call_status_updated", "data": {"id": ID}}))
            .unwrap()
            .kind
        {
            EventKind::StatusChanged {
                status,
                vendor_status,
                ..
            } => {
                assert_eq!(status, CallStatus::Unknown);
                assert_eq!(vendor_status, None);
            }
            other => panic!("{other:?}"),
        }
        // No call id: still a status change, about no named call; a top-level id is used.
        let parsed =
            parse(json!({"event": "event_call_status_updated", "data": {"status": "busy"}}))
                .unwrap();
        assert_eq!(parsed.call_id(), None);
        assert_eq!(parsed.status(), Some(CallStatus::Busy));
        let parsed = parse(
            json!({"event": "event_call_status_updated", "call_id": ID, "data": {"status": "busy"}}),
        )
        .unwrap();
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        // A blank id names no call (whitespace counts as empty, as in core's checks).
        let parsed = parse(
            json!({"event": "event_call_status_updated", "call_id": "  ",
            "data": {"id": " ", "call_id": "\t", "status": "busy"}}),
        )
        .unwrap();
        assert_eq!(parsed.call_id(), None);
        assert_eq!(parsed.status(), Some(CallStatus::Busy));
        // A status of the wrong type is an error at its path.
        let err = parse(json!({"event": "event_call_status_updated", "data": {"status": [3]}}))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path.starts_with("data")),
            "{err:?}"
        );
    }

    #[test]
    fn transcript_events_become_utterances() {
        let parsed = parse(json!({"event": "event_transcript", "data": {
            "call_id": ID, "role": "user", "content": "Yes, speaking.", "start_time": "2026-03-24T10:02:45Z"
        }}))
        .unwrap();
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        match parsed.kind {
            EventKind::TranscriptUpdate { utterance, .. } => {
                assert_eq!(utterance.speaker, Speaker::Customer);
                assert_eq!(utterance.text.as_deref(), Some("Yes, speaking."));
                assert_eq!(utterance.at, Some("2026-03-24T10:02:45Z".parse().unwrap()));
                assert_eq!(utterance.start_secs, None);
            }
            other => panic!("{other:?}"),
        }
        // Without role and content it is kept whole.
        let parsed =
            parse(json!({"event": "event_transcript", "data": {"id": ID, "lines": []}})).unwrap();
        assert_eq!(parsed.vendor_event, "event_transcript");
        assert!(matches!(parsed.kind, EventKind::Other { .. }));
        // Its own id is not taken for the call's; a `call_id`, or a `call` it names, is.
        assert_eq!(parsed.call_id(), None);
        let parsed = parse(json!({"event": "event_transcript",
            "data": {"call": {"id": ID}, "lines": []}}))
        .unwrap();
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
    }

    #[test]
    fn connected_events_start_a_call_when_it_has_an_id() {
        let parsed = parse(json!({"event": "event_phone_call_connected", "data": {"id": ID, "status": "in_progress"}})).unwrap();
        match parsed.kind {
            EventKind::Started { call, .. } => assert_eq!(call.status, CallStatus::InProgress),
            other => panic!("{other:?}"),
        }
        let parsed =
            parse(json!({"event": "event_web_call_connected", "data": {"call_id": ID}})).unwrap();
        assert!(matches!(parsed.kind, EventKind::Other { .. }), "{parsed:?}");
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
    }

    #[test]
    fn other_events_keep_the_body_and_a_missing_event_is_a_decode_error() {
        let body = br#"{"event": "event_recording", "data": [1, 2]}"#;
        let parsed = decode_webhook(body).unwrap();
        assert_eq!(parsed.vendor_event, "event_recording");
        assert_eq!(parsed.call_id, None);
        match parsed.kind {
            EventKind::Other { payload, .. } => {
                assert_eq!(payload.get(), std::str::from_utf8(body).unwrap());
            }
            other => panic!("{other:?}"),
        }
        let parsed = parse(json!({"type": "call.analyzed", "call": {"id": ID}})).unwrap();
        assert_eq!(parsed.vendor_event, "call.analyzed");
        assert!(matches!(parsed.kind, EventKind::Other { .. }));
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));

        for body in [
            json!({"data": {"id": ID}}),
            json!({"event": null}),
            json!({"event": null, "type": null}),
        ] {
            let err = parse(body).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { path, operation: Operation::ParseWebhook, .. } if path == "event"),
                "{err:?}"
            );
        }
        for (body, key) in [
            (json!({"event": 5}), "event"),
            (json!({"event": ""}), "event"),
            (json!({"type": {"name": "x"}}), "type"),
        ] {
            let err = parse(body).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { path, .. } if path == key),
                "{err:?}"
            );
        }
        assert!(matches!(decode_webhook(b"[]"), Err(Error::Decode { .. })));
    }

    /// A call-ended event whose call still says `in_progress` (read just before the end)
    /// is the end of a call that is over: completed, `vendor_status` saying what was sent.
    #[test]
    fn an_ended_event_of_a_call_still_in_progress_ends_it() {
        let parsed = parse(json!({"event": "event_phone_call_ended",
            "data": {"id": ID, "status": "in_progress"}}))
        .unwrap();
        match &parsed.kind {
            EventKind::Ended { call, .. } => {
                assert_eq!(call.status, CallStatus::Completed);
                assert_eq!(call.vendor_status.as_deref(), Some("in_progress"));
            }
            other => panic!("{other:?}"),
        }
        // What an ended call says applies to it as to one read with `get_call`: a machine
        // answer is voicemail, a redirect a transfer.
        let ended = |data: Value| {
            let parsed = parse(json!({"event": "event_phone_call_ended", "data": data})).unwrap();
            let call = parsed.call().unwrap();
            let reason = call.end_reason.as_ref().map(|reason| reason.category);
            (call.status, reason, call.vendor_status.clone())
        };
        let live = Some("in_progress".to_owned());
        assert_eq!(
            ended(json!({"id": ID, "status": "in_progress", "answer_type": "voicemail"})),
            (
                CallStatus::Voicemail,
                Some(EndReasonCategory::Voicemail),
                live.clone()
            )
        );
        assert_eq!(
            ended(json!({"id": ID, "status": "in_progress", "redirect_duration_seconds": 41})),
            (
                CallStatus::Completed,
                Some(EndReasonCategory::Transferred),
                live
            )
        );
        // A terminal status is the vendor's word, kept.
        assert_eq!(
            ended(json!({"id": ID, "status": "failed", "answer_type": "voicemail"})),
            (
                CallStatus::Failed,
                Some(EndReasonCategory::Error),
                Some("failed".to_owned())
            )
        );
    }
}
