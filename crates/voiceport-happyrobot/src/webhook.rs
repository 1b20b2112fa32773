//! HappyRobot webhooks → `CallEvent` (docs/vendors/happyrobot.md), both generations:
//!
//! * the legacy use-case hooks, `{type: "start" | "end", call, content}`;
//! * the current platform's CloudEvents 1.0 deliveries (`specversion`, `id`, `type`, `time`,
//!   `data`), whose `session.status_changed` reports a session's new status.
//!
//! Deliveries carry no signature; authenticate them with the static headers configured on
//! the use case's `hooks`.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use voiceport_core::adapter::{
    Text, call_id_field, decode_call_with, keep_whole_delivery, non_blank, non_empty, not_over_yet,
    parse_time, read_destination, read_id, read_time,
};
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{
    AgentId, AgentRef, Call, CallEvent, CallId, EndReason, Error, EventKind, Operation,
    OrganizationId, Result, VendorPayload,
};

use crate::config::KIND;
use crate::map::call::{decode_call, ended_at, map_call, map_messages, recording};
use crate::map::status::{category_of, session_status_of};
use crate::wire;

const OP: Operation = Operation::ParseWebhook;

/// The CloudEvents type of a session's status change.
const SESSION_STATUS_CHANGED: &str = "session.status_changed";

/// Turns the body of a HappyRobot webhook delivery into an event. A body with a
/// `specversion` is a CloudEvent ([`cloud_event`]); any other is a legacy hook:
///
/// * `start` → [`EventKind::Started`]; `content.recording`, when present, becomes the
///   call's recording URL; the event happened when the call started (else was created).
/// * `end` → [`EventKind::Ended`]; `content.messages`, when present, become the call's
///   transcript (the call itself carries none); the event happened when the call ended
///   (else its creation plus its duration).
/// * anything else (such as the removed `message` type) → [`EventKind::Other`], kept whole.
///
/// The call of a `start` or `end` is assembled from `call` and `content`: it keeps the
/// whole delivery as its vendor payload, and its warnings name their place in it
/// (`call.created`).
pub(crate) fn decode_webhook(body: &[u8]) -> Result<CallEvent> {
    // One pass over the whole body, which proves it is one JSON value: the events that
    // keep the delivery keep the body as it is.
    let delivery: wire::Delivery<'_> = decode_json(KIND, OP, body)?;
    if delivery.specversion.is_some() {
        return cloud_event(delivery, body);
    }
    match delivery.event_type.as_str() {
        "start" => {
            let mut call = decode_call(OP, required_call(&delivery, body)?, "call")?;
            if let Some(content) = part::<wire::StartContent>(delivery.content, "content")? {
                // A URL, as the examples have it (*inferred*: only its type, a string, is
                // documented); anything else (a carrier's recording id) stays in the
                // payload.
                let url = content.recording.filter(|r| is_web_url(r));
                call.recording = recording(url);
            }
            keep_whole_delivery(&mut call, "call", body);
            // Hooks carry no time of their own: the call's start is when this happened
            // (current calls say only when they were created, which a start follows closely,
            // or, scheduled, when they were to ring).
            let occurred_at = call.started_at.or_else(|| began(&call));
            let call = Box::new(call);
            let mut started = CallEvent::new(delivery.event_type, EventKind::started(call));
            started.occurred_at = occurred_at;
            Ok(started)
        }
        "end" => {
            let raw = required_call(&delivery, body)?;
            let mut call = decode_call_with(KIND, OP, raw, "call", map_live_as_ended)?;
            let mut messages = part::<wire::EndContent>(delivery.content, "content")?
                .and_then(|content| content.messages);
            // Where the call was handed to: the phone of the last message's contact that
            // names one (read before the messages go into the transcript).
            let handed_to = messages.as_mut().and_then(|messages| {
                (messages.iter_mut().enumerate().rev())
                    .find_map(|(i, m)| Some((i, m.transfer_contact.take()?.phone?)))
            });
            if let Some(messages) = messages
                && call.transcript.is_none()
            {
                // Offsets count from the call's start, as a transcript's own from its
                // `start_time`.
                call.transcript = Some(map_messages(messages, call.started_at));
            }
            keep_whole_delivery(&mut call, "call", body);
            if let Some((i, phone)) = handed_to {
                let field = format!("content.messages[{i}].transfer_contact.phone");
                let to = read_destination(&mut call, &field, &phone);
                call.transfer_destination = call.transfer_destination.take().or(to);
            }
            // The call's end; current calls say only when they were created (or scheduled)
            // and for how long, whose sum is the end for a call answered at once (else a
            // little early).
            let occurred_at =
                (call.ended_at).or_else(|| began(&call).zip(call.duration_secs).and_then(ended_at));
            let call = Box::new(call);
            let mut ended = CallEvent::new(delivery.event_type, EventKind::ended(call));
            ended.occurred_at = occurred_at;
            Ok(ended)
        }
        _ => {
            let mut other = CallEvent::new(delivery.event_type, EventKind::kept_whole(body));
            other.call_id = delivery.call.and_then(|call| call_id_field(call, "id"));
            Ok(other)
        }
    }
}

/// A CloudEvents 1.0 delivery of the current platform. Every event keeps its `type`
/// verbatim, its `id` as the event id and its `time` as when it happened; the call it
/// concerns is the session (`data.session_id`, a platform UUID, not a legacy app-API
/// call id).
///
/// * `session.status_changed` → [`EventKind::StatusChanged`] with the new status
///   (`data.status.current`) and a call built from the delivery: the session id, the
///   status and its end reason, the organization, and the use case as the agent (its
///   vendor payload is the whole delivery, which warnings' paths point into).
/// * any other type → [`EventKind::Other`], kept whole.
fn cloud_event(delivery: wire::Delivery<'_>, body: &[u8]) -> Result<CallEvent> {
    let id = part::<String>(delivery.id, "id")?;
    let time = part::<String>(delivery.time, "time")?;
    let data = delivery.data.filter(|raw| raw.get() != "null");
    let (kind, updated_at) = if delivery.event_type == SESSION_STATUS_CHANGED {
        let message = "a `session.status_changed` event must carry `data`";
        let data = data.ok_or_else(|| Error::decode(KIND, OP, "data", message, body))?;
        let data: wire::SessionStatusChanged<'_> = decode_raw(KIND, OP, data, "data")?;
        session_status_changed(data, time.as_deref(), body)?
    } else {
        (EventKind::kept_whole(body), None)
    };
    // When it happened: for a status change, the time of the change itself (the vendor's
    // `updated_at`: what an application ordering a call's states needs), else the time
    // the event was emitted.
    let occurred_at = (updated_at.as_deref().and_then(parse_time))
        .or_else(|| time.as_deref().and_then(parse_time));
    let mut normalized = CallEvent::new(delivery.event_type, kind);
    normalized.event_id = id.and_then(non_blank);
    normalized.occurred_at = occurred_at;
    if normalized.call_id.is_none() {
        normalized.call_id = data.and_then(|data| call_id_field(data, "session_id"));
    }
    Ok(normalized)
}

/// The status change of a `session.status_changed` event, and `data.status.updated_at`.
fn session_status_changed(
    data: wire::SessionStatusChanged<'_>,
    time: Option<&str>,
    body: &[u8],
) -> Result<(EventKind, Option<String>)> {
    let change = data.status.unwrap_or_default();
    let updated_at = change.updated_at;
    let current = change.current.ok_or_else(|| {
        let message = "a `session.status_changed` event must say the new status";
        Error::decode(KIND, OP, "data.status.current", message, body)
    })?;
    let (status, reason) = session_status_of(&current);
    let vendor_status = current.as_str().to_owned();
    let call = data.session_id.and_then(non_blank).map(|id| {
        let mut call = Call::new(CallId::new(id), KIND);
        call.status = status;
        call.vendor_status = Some(vendor_status.clone());
        call.end_reason = reason.map(|r| EndReason::new(r, Some(vendor_status.clone())));
        call.organization_id =
            read_id(&mut call, "data.org_id", data.org_id).map(OrganizationId::new);
        let use_case_name = non_empty(data.use_case.and_then(|u| u.name).map(Text::into_owned));
        let use_case_id = read_id(&mut call, "data.use_case_id", data.use_case_id);
        if use_case_id.is_some() || use_case_name.is_some() {
            call.agent = Some(AgentRef::new(use_case_id.map(AgentId::new), use_case_name));
        }
        // The times are the event's, not the call's; still, an unreadable one must not
        // vanish silently.
        let _ = read_time(&mut call, "time", time);
        let _ = read_time(&mut call, "data.status.updated_at", updated_at.as_deref());
        call.set_vendor_payload(VendorPayload::from_decoded_body(body));
        Box::new(call)
    });
    let kind = EventKind::status_changed(status, Some(vendor_status), call);
    Ok((kind, updated_at))
}

/// The call of an `end` hook. A snapshot taken just before the end may still say a live
/// status (`In progress`): it is read as `Completed`, as the call reads once it is over,
/// so that what an ended call says applies (a `transfer_contact_email`: transferred; its
/// end where its start and duration say), `vendor_status` keeping the hook's word. The
/// call keeps the whole delivery as its vendor payload, which reads back as this event
/// where its own object would read as live again.
fn map_live_as_ended(mut wire: wire::Call<'_>) -> Call {
    if !(wire.status.as_ref()).is_some_and(|status| not_over_yet(category_of(status).0)) {
        return map_call(wire);
    }
    let said = wire.status.replace(wire::Status::Completed);
    let mut call = map_call(wire);
    call.vendor_status = said.map(|status| status.as_str().to_owned());
    call
}

fn required_call<'a>(event: &wire::Delivery<'a>, body: &[u8]) -> Result<&'a RawValue> {
    let message = || format!("a `{}` delivery must carry the call", event.event_type);
    (event.call)
        .filter(|raw| raw.get() != "null")
        .ok_or_else(|| Error::decode(KIND, OP, "call", message(), body))
}

/// A part of the delivery read as `T` (`null` or absent: `None`); `path` says where it is.
fn part<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>, path: &str) -> Result<Option<T>> {
    match raw {
        Some(raw) if raw.get() != "null" => decode_raw(KIND, OP, raw, path).map(Some),
        _ => Ok(None),
    }
}

/// When a current-generation call began, as near as it says: its creation, or its
/// schedule where that is later (a scheduled or batched dial is created long before it
/// rings).
fn began(call: &Call) -> Option<DateTime<Utc>> {
    match (call.created_at, call.scheduled_for) {
        (Some(created), Some(scheduled)) => Some(created.max(scheduled)),
        (created, scheduled) => created.or(scheduled),
    }
}

/// Whether `text` is an `http`/`https` URL (any case of the scheme, blanks around it).
fn is_web_url(text: &str) -> bool {
    let scheme = text.trim().split_once("://").map(|(scheme, _)| scheme);
    scheme.is_some_and(|s| s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use voiceport_core::{CallStatus, EndReasonCategory, Speaker};

    const SESSION: &str = "019ce781-0fa8-7537-852d-1ea20493d982";

    /// A `session.status_changed` delivery moving to `current`, shaped as the payload
    /// contract page shows it (the values are made up; `use_case.version` being a number is
    /// inferred).
    fn status_changed(current: &str) -> Value {
        json!({
            "specversion": "1.0",
            "id": "019ce785-56e1-70aa-94ff-7691c548d68d",
            "source": "https://platform.happyrobot.ai",
            "type": "session.status_changed",
            "time": "2026-03-13T14:06:41.377Z",
            "datacontenttype": "application/json",
            "data": {
                "schema_version": "2025-07-08",
                "org_id": "019a4fab-0780-7895-b747-542690d40842",
                "session_id": SESSION,
                "use_case_id": "019b9d0c-7d00-748b-a7fd-bda3b8e4ee59",
                "status": {"previous": "in-progress", "current": current,
                           "updated_at": "2026-03-13T14:06:41.215Z"},
                "use_case": {"name": "Inbound Carrier Sales", "version": 14}
            }
        })
    }

    fn parse(value: &Value) -> Result<CallEvent> {
        decode_webhook(value.to_string().as_bytes())
    }

    #[test]
    fn a_session_status_change_is_a_status_event_of_the_session() {
        use CallStatus as C;
        use EndReasonCategory as R;
        for (current, status, reason) in [
            ("queued", C::Queued, None),
            ("in-progress", C::InProgress, None),
            ("completed", C::Completed, None),
            ("busy", C::Busy, Some(R::Busy)),
            ("missed", C::NoAnswer, Some(R::NoAnswer)),
            ("canceled", C::Canceled, Some(R::Canceled)),
            ("failed", C::Failed, Some(R::Error)),
            ("voicemail", C::Voicemail, Some(R::Voicemail)),
            ("transferring", C::Unknown, None),
        ] {
            let event = parse(&status_changed(current)).unwrap();
            assert_eq!(event.vendor_event, "session.status_changed");
            assert_eq!(event.status(), Some(status), "{current}");
            assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some(SESSION));
            assert_eq!(
                event.event_id.as_deref(),
                Some("019ce785-56e1-70aa-94ff-7691c548d68d")
            );
            // The change's own time, not the (later) emission time.
            assert_eq!(
                event.occurred_at.map(|t| t.timestamp_millis()),
                Some(1_773_410_801_215)
            );
            let EventKind::StatusChanged {
                vendor_status,
                call: Some(call),
                ..
            } = event.kind
            else {
                panic!("{current}: {:?}", event.kind)
            };
            assert_eq!(vendor_status.as_deref(), Some(current));
            assert_eq!(call.status, status);
            assert_eq!(call.vendor_status.as_deref(), Some(current));
            assert_eq!(
                call.end_reason,
                reason.map(|r| EndReason::new(r, Some(current.to_owned())))
            );
            let agent = call.agent.as_ref().unwrap();
            assert_eq!(agent.name.as_deref(), Some("Inbound Carrier Sales"));
            assert_eq!(
                agent.id.as_ref().map(AgentId::as_str),
                Some("019b9d0c-7d00-748b-a7fd-bda3b8e4ee59")
            );
            assert!(call.organization_id.is_some());
            assert!(call.warnings.is_empty());
            assert!(call.vendor_payload().is_some());
        }
    }

    #[test]
    fn a_session_status_change_without_a_session_or_a_readable_time() {
        // No session id: a status event about no known call.
        let mut body = status_changed("missed");
        body["data"]["session_id"] = Value::Null;
        let event = parse(&body).unwrap();
        assert_eq!(event.status(), Some(CallStatus::NoAnswer));
        assert!(event.call_id.is_none() && event.call().is_none());
        // An unreadable event time: still the change's own time, and a warning on the call.
        let mut body = status_changed("completed");
        body["time"] = json!("2026-02-30T14:06:41Z");
        let event = parse(&body).unwrap();
        assert_eq!(
            event.occurred_at.map(|t| t.timestamp_millis()),
            Some(1_773_410_801_215)
        );
        let call = event.call().unwrap();
        assert_eq!(call.warnings.len(), 1);
        assert_eq!(call.warnings[0].field, "time");
        // Neither time: no time, and a warning for each.
        body["data"]["status"]["updated_at"] = json!("later");
        let event = parse(&body).unwrap();
        assert!(event.occurred_at.is_none());
        let fields: Vec<&str> = (event.call().unwrap().warnings.iter())
            .map(|w| w.field.as_str())
            .collect();
        assert_eq!(fields, ["time", "data.status.updated_at"]);
    }

    #[test]
    fn a_session_status_change_with_empty_ids_keeps_the_call_and_warns() {
        let mut body = status_changed("completed");
        body["data"]["org_id"] = json!("");
        body["data"]["use_case_id"] = json!("");
        let event = parse(&body).unwrap();
        let call = event.call().unwrap();
        assert_eq!(call.organization_id, None);
        let agent = call.agent.as_ref().unwrap();
        assert_eq!(agent.id, None);
        assert_eq!(agent.name.as_deref(), Some("Inbound Carrier Sales"));
        let fields: Vec<&str> = call.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["data.org_id", "data.use_case_id"]);
        // An empty name is none, as every vendor's reads: with no id, no agent.
        body["data"]["use_case"]["name"] = json!("");
        assert_eq!(parse(&body).unwrap().call().unwrap().agent, None);
    }

    #[test]
    fn a_blank_session_or_event_id_is_no_id() {
        // Blank as core's checks read it (`adapter::non_blank`): whitespace counts as empty.
        let mut body = status_changed("completed");
        body["data"]["session_id"] = json!(" \t");
        body["id"] = json!("  ");
        let event = parse(&body).unwrap();
        assert_eq!(event.status(), Some(CallStatus::Completed));
        assert!(
            event.call_id.is_none() && event.call().is_none(),
            "{event:?}"
        );
        assert!(event.event_id.is_none(), "{event:?}");
    }

    #[test]
    fn other_cloud_events_are_kept_whole_with_their_session() {
        // Invented types: only `session.status_changed` is documented.
        let body = json!({
            "specversion": "1.0", "id": "e1", "type": "session.transcript_ready",
            "time": "2026-03-13T14:07:00Z", "data": {"session_id": SESSION, "url": "https://x"}
        });
        let event = parse(&body).unwrap();
        assert_eq!(event.vendor_event, "session.transcript_ready");
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some(SESSION));
        assert_eq!(event.event_id.as_deref(), Some("e1"));
        assert!(event.occurred_at.is_some());
        let EventKind::Other { payload, .. } = &event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(payload.to_value(), body);
        // No data, an odd session id: still an event, about no known call.
        for data in [
            Value::Null,
            json!({"session_id": 7}),
            json!("text"),
            json!({"session_id": " "}),
        ] {
            let body = json!({"specversion": "1.0", "type": "run.started", "data": data});
            let event = parse(&body).unwrap();
            assert!(event.call_id.is_none(), "{body}");
            assert!(event.event_id.is_none() && event.occurred_at.is_none());
        }
    }

    #[test]
    fn broken_cloud_events_are_decode_errors_naming_the_path() {
        let path = |body: Value| match parse(&body).unwrap_err() {
            Error::Decode { path, .. } => path,
            other => panic!("{other:?}"),
        };
        let mut no_current = status_changed("completed");
        no_current["data"]["status"] = json!({"previous": "queued"});
        assert_eq!(path(no_current), "data.status.current");
        let mut no_data = status_changed("completed");
        no_data["data"] = Value::Null;
        assert_eq!(path(no_data), "data");
        let mut bad_status = status_changed("completed");
        bad_status["data"]["status"] = json!("completed");
        assert_eq!(path(bad_status), "data.status");
        assert_eq!(path(json!({"specversion": "1.0", "id": "e1"})), ".");
        assert_eq!(
            path(json!({"specversion": "1.0", "type": "x", "id": 5})),
            "id"
        );
    }

    #[test]
    fn start_end_and_other() {
        let start = br#"{"type":"start","call":{"id":"c1","status":"Connected","created":"2026-03-10T15:42:07Z"},"content":{"recording":"https://r/x.mp3"}}"#;
        let event = decode_webhook(start).unwrap();
        let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().ok();
        assert_eq!(event.occurred_at, at("2026-03-10T15:42:07Z"));
        match event.kind {
            EventKind::Started { call, .. } => {
                assert_eq!(call.status, CallStatus::InProgress);
                assert!(call.vendor_payload().is_some());
                assert_eq!(
                    call.recording.and_then(|r| r.mono_url).as_deref(),
                    Some("https://r/x.mp3")
                );
            }
            other => panic!("{other:?}"),
        }
        let end = br#"{"type":"end","call":{"id":"c1","status":"Completed","created":"2026-03-10T15:42:07Z","duration":164},"content":{"messages":[{"role":"assistant","content":"Hi"}]}}"#;
        let event = decode_webhook(end).unwrap();
        assert_eq!(event.occurred_at, at("2026-03-10T15:44:51Z"));
        // A scheduled call began no earlier than its schedule, hours after its creation.
        let scheduled = br#"{"type":"start","call":{"id":"c2","status":"In progress","created":"2026-03-10T09:00:00Z","scheduled_for":"2026-03-10T15:00:00Z"}}"#;
        let started = decode_webhook(scheduled).unwrap();
        assert_eq!(started.occurred_at, at("2026-03-10T15:00:00Z"));
        let scheduled_end = br#"{"type":"end","call":{"id":"c2","status":"Completed","created":"2026-03-10T09:00:00Z","scheduled_for":"2026-03-10T15:00:00Z","duration":64}}"#;
        let ended = decode_webhook(scheduled_end).unwrap();
        assert_eq!(ended.occurred_at, at("2026-03-10T15:01:04Z"));
        match event.kind {
            EventKind::Ended { call, .. } => {
                // The payload is the whole delivery: the transcript came from `content`.
                let payload = call.vendor_payload().unwrap().to_value();
                assert_eq!(payload["content"]["messages"][0]["content"], "Hi");
                let transcript = call.transcript.unwrap();
                assert_eq!(transcript.utterances[0].speaker, Speaker::Agent);
            }
            other => panic!("{other:?}"),
        }
        // The call's warnings name their place in the delivery.
        let unreadable = br#"{"type":"end","call":{"id":"c1","created":"2026-02-30T10:00:00Z"}}"#;
        match decode_webhook(unreadable).unwrap().kind {
            EventKind::Ended { call, .. } => {
                let fields: Vec<_> = call.warnings.iter().map(|w| w.field.as_str()).collect();
                assert_eq!(fields, ["call.created"]);
            }
            other => panic!("{other:?}"),
        }
        // A hook's fields that only a CloudEvent reads are not read for a hook.
        let end_with_odd_extras = br#"{"type":"end","call":{"id":"c1"},"id":5,"time":false}"#;
        assert!(matches!(
            decode_webhook(end_with_odd_extras).unwrap().kind,
            EventKind::Ended { call, .. } if call.id == CallId::new("c1")
        ));
        let end_without_content = br#"{"type":"end","call":{"id":"c1"}}"#;
        assert!(matches!(
            decode_webhook(end_without_content).unwrap().kind,
            EventKind::Ended { call, .. } if call.transcript.is_none()
        ));
        let other = br#"{"type":"message","call":{"id":"c1"},"content":{"role":"user"}}"#;
        let event = decode_webhook(other).unwrap();
        assert_eq!(event.vendor_event, "message");
        assert_eq!(event.call_id, Some(CallId::new("c1")));
        match event.kind {
            EventKind::Other { payload, .. } => {
                assert_eq!(payload.get(), std::str::from_utf8(other).unwrap());
            }
            other => panic!("{other:?}"),
        }
    }

    /// One message whose `content` is an object does not fail the `end` delivery: it is
    /// kept as its JSON text.
    #[test]
    fn an_end_message_with_object_content_keeps_the_transcript() {
        let end = br#"{"type":"end","call":{"id":"c1"},"content":{"messages":[
            {"role":"tool","content":{"booked":true}},{"role":"user","content":"Thanks"}]}}"#;
        let EventKind::Ended { call, .. } = decode_webhook(end).unwrap().kind else {
            panic!("not an end");
        };
        let transcript = call.transcript.unwrap();
        let texts: Vec<_> = (transcript.utterances.iter())
            .map(|u| u.text.as_deref())
            .collect();
        assert_eq!(texts, [Some(r#"{"booked":true}"#), Some("Thanks")]);
    }

    /// An `end` hook whose messages hand the call to a contact (reference: transcript
    /// messages' `transfer_contact{…, phone{number, extension}}`) says where it went: the
    /// last contact's phone, its extension as in a `tel:` URI; one that is no phone is a
    /// warning at its place in the delivery.
    #[test]
    fn an_end_hook_names_where_its_messages_handed_the_call() {
        let end = |contacts: [Value; 2]| {
            let [first, second] = contacts;
            let delivery = json!({"type": "end", "call": {"id": "c1", "status": "Completed"},
                "content": {"messages": [
                    {"role": "assistant", "content": "One moment.", "transfer_contact": first},
                    {"role": "assistant", "content": "Connecting you to Maria.", "transfer_contact": second},
                    {"role": "user", "content": "Thanks"}]}});
            match parse(&delivery).unwrap().kind {
                EventKind::Ended { call, .. } => *call,
                other => panic!("not an end: {other:?}"),
            }
        };
        let maria = json!({"type": "Sales Rep", "name": "Maria Gonzalez",
            "email": "maria.gonzalez@ridgelinefreight.com",
            "phone": {"number": "+13125550199", "extension": "214"}});
        let desk = json!({"type": "Terminal", "phone": {"number": "+13125550100"}});
        let call = end([desk.clone(), maria]);
        assert_eq!(
            call.transfer_destination.as_deref(),
            Some("+13125550199;ext=214")
        );
        assert_eq!(call.transcript.map(|t| t.utterances.len()), Some(3));
        // The last that names a phone.
        let no_phone = json!({"type": "Sales Rep", "email": "ops@ridgelinefreight.com"});
        let call = end([desk, no_phone]);
        assert_eq!(call.transfer_destination.as_deref(), Some("+13125550100"));
        // A phone that is none is a warning where it is.
        let call = end([Value::Null, json!({"phone": 3125550199_i64})]);
        assert_eq!(call.transfer_destination, None);
        let fields: Vec<_> = call.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["content.messages[1].transfer_contact.phone"]);
    }

    /// A `start` delivery's `content.recording` is a recording only as a web URL: a
    /// carrier's recording id is no place to download it from.
    #[test]
    fn a_start_recording_is_a_web_url_or_none() {
        let start = |recording: &str| {
            let body = json!({"type": "start", "call": {"id": "c1"},
                "content": {"recording": recording}});
            match parse(&body).unwrap().kind {
                EventKind::Started { call, .. } => call.recording.and_then(|r| r.mono_url),
                other => panic!("{other:?}"),
            }
        };
        let url = "https://recordings.happyrobot.ai/65f2a1b3.mp3";
        assert_eq!(start(url).as_deref(), Some(url));
        assert_eq!(start("RE5e2f8c0d9a1b4c7e3f6a8d2b0c4e1f9a"), None);
        assert_eq!(start("HTTP://r/x.mp3").as_deref(), Some("HTTP://r/x.mp3"));
    }

    /// A `start` delivery's pre-signed `content.recording` carries its expiry.
    #[test]
    fn a_start_recording_carries_the_expiry_of_its_presigned_url() {
        let start = br#"{"type":"start","call":{"id":"c1"},"content":{"recording":
            "https://r.s3.amazonaws.com/x.mp3?X-Amz-Date=20260217T130009Z&X-Amz-Expires=3600"}}"#;
        let EventKind::Started { call, .. } = decode_webhook(start).unwrap().kind else {
            panic!("not a start");
        };
        let expiry = call.recording.and_then(|r| r.expires_at);
        assert_eq!(
            expiry.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-02-17T14:00:09+00:00")
        );
    }

    #[test]
    fn malformed_deliveries_are_decode_errors() {
        for body in [
            &br#"{"type":"start"}"#[..],
            br#"{"type":"end","call":null}"#,
            br#"{"call":{"id":"c1"}}"#,
            br#"{"type":"start","call":{"id":"c1"},"content":{"recording":5}}"#,
            b"[]",
            b"",
        ] {
            let err = decode_webhook(body).unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        }
    }

    /// An end hook whose call was read just before it ended (still `In progress`) is the
    /// end of a call that is over: completed, `vendor_status` saying what was sent.
    #[test]
    fn an_end_hook_of_a_call_still_in_progress_ends_it() {
        let body = json!({"type": "end", "call": {"id": "65f2a1b3c4d5e6f708192a3b",
            "status": "In progress", "created": "2026-02-17T13:00:04.215Z", "duration": 64}});
        let event = parse(&body).unwrap();
        match &event.kind {
            EventKind::Ended { call, .. } => {
                assert_eq!(call.status, CallStatus::Completed);
                assert_eq!(call.vendor_status.as_deref(), Some("In progress"));
            }
            other => panic!("{other:?}"),
        }
        // What an ended call says applies to it as to one read with `get_call`: a contact
        // it was handed to makes it transferred.
        let mut handed_on = body.clone();
        handed_on["call"]["transfer_contact_email"] = json!("dispatch@ridgeline.example");
        let event = parse(&handed_on).unwrap();
        let call = event.call().unwrap();
        assert_eq!(call.status, CallStatus::Completed);
        let reason = call.end_reason.as_ref().map(|reason| reason.category);
        assert_eq!(reason, Some(EndReasonCategory::Transferred));
        assert_eq!(call.vendor_status.as_deref(), Some("In progress"));
        // A terminal status is the vendor's word, kept.
        let mut failed = body.clone();
        failed["call"]["status"] = json!("Failed");
        assert_eq!(parse(&failed).unwrap().status(), Some(CallStatus::Failed));
    }

    /// Settled, such a call ends where its start and duration say (as an ended call read
    /// with `get_call` does), and its messages' offsets count from its start.
    #[test]
    fn an_end_hook_of_a_call_still_in_progress_ends_at_its_start_plus_duration() {
        let body = json!({"type": "end",
            "call": {"id": "65f2a1b3c4d5e6f708192a3b", "status": "In progress",
                "started": "2026-02-17T13:00:05Z", "duration": 64.5},
            "content": {"messages": [{"role": "user", "content": "Hi", "start": 3.25}]}});
        let event = parse(&body).unwrap();
        let EventKind::Ended { call, .. } = &event.kind else {
            panic!("{:?}", event.kind)
        };
        let time = |text: &str| Some(text.parse::<chrono::DateTime<chrono::Utc>>().unwrap());
        assert_eq!(call.ended_at, time("2026-02-17T13:01:09.500Z"));
        assert_eq!(event.occurred_at, call.ended_at);
        let utterances = &call.transcript.as_ref().unwrap().utterances;
        assert_eq!(utterances[0].start_secs, Some(3.25));
        assert_eq!(utterances[0].at, time("2026-02-17T13:00:08.250Z"));
    }
}
