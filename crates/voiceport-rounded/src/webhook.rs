//! Rounded webhook deliveries → [`CallEvent`].
//!
//! **Rounded does not document its webhook payloads** (reference §3.5: shapes, retries and
//! signing were not found). Only the event *names* are documented (an agent's
//! `webhook_subscriptions`, §3.4). Everything below is an **inferred** shape:
//!
//! ```json
//! {"event": "<event name>", "timestamp": "…", "data": { …call fields… }}
//! ```
//!
//! * `event_phone_call_ended`, `event_web_call_ended` → [`EventKind::Ended`] (`data` is a
//!   call);
//! * `event_call_status_updated` → [`EventKind::StatusChanged`] (call id from `data.id`,
//!   else `data.call_id`; status from `data.status`; the call too when `data` has an `id`);
//! * `event_transcript` → [`EventKind::TranscriptUpdate`] when `data` has `role` and
//!   `content`;
//! * `event_phone_call_connected`, `event_web_call_connected` → [`EventKind::Started`]
//!   when `data` has an `id`;
//! * anything else → [`EventKind::Other`] with the whole body.
//!
//! A body without `event` is an [`Error::Decode`] at `event`. No signature is checked:
//! Rounded documents none. Verify the delivery yourself (a secret in the webhook URL, an
//! allow-list) before trusting it.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::adapter::decode_call_with;
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{Call, CallEvent, CallId, Error, EventKind, Operation, Result, VendorPayload};

use crate::config::KIND;
use crate::map::call::{map_call, map_utterance};
use crate::map::status::status_of;
use crate::wire;

const OPERATION: Operation = Operation::ParseWebhook;

/// The (inferred) outer shape of a delivery.
#[derive(Debug, Deserialize)]
struct Delivery<'a> {
    event: Option<String>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// The fields of `data` a status update needs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatusData {
    id: Option<String>,
    call_id: Option<String>,
    status: Option<wire::CallStatus>,
    answer_type: Option<wire::AnswerType>,
}

/// Turns the body of a Rounded webhook delivery into an event (inferred shapes: module docs).
pub(crate) fn decode_webhook(body: &[u8]) -> Result<CallEvent> {
    let delivery: Delivery<'_> = decode_json(KIND, OPERATION, body)?;
    let Some(event) = delivery.event else {
        let message = "the delivery has no `event` name";
        return Err(Error::decode(KIND, OPERATION, "event", message, body));
    };
    let data = delivery.data.filter(|raw| raw.get().trim() != "null");
    let needs_data = || {
        let message = format!("a `{event}` delivery carries no `data` call");
        Error::decode(KIND, OPERATION, "data", message, body)
    };
    match (event.as_str(), data) {
        ("event_phone_call_ended" | "event_web_call_ended", data) => {
            let call = call_at_data(data.ok_or_else(needs_data)?)?;
            Ok(CallEvent::new(event, EventKind::Ended { call }))
        }
        ("event_call_status_updated", data) => {
            let data = data.ok_or_else(needs_data)?;
            status_changed(event, data)
        }
        ("event_transcript", Some(raw)) if object(raw) => {
            let entry: wire::TranscriptEntry = decode_raw(KIND, OPERATION, raw, "data")?;
            if entry.role.is_none() || entry.content.is_none() {
                return Ok(other(event, Some(raw), body));
            }
            let utterance = map_utterance(entry, None);
            let mut update = CallEvent::new(event, EventKind::TranscriptUpdate { utterance });
            update.call_id = string_field(raw, "call_id").map(CallId::new);
            Ok(update)
        }
        ("event_phone_call_connected" | "event_web_call_connected", Some(raw))
            if string_field(raw, "id").is_some() =>
        {
            let call = call_at_data(raw)?;
            Ok(CallEvent::new(event, EventKind::Started { call }))
        }
        (_, data) => Ok(other(event, data, body)),
    }
}

fn call_at_data(raw: &RawValue) -> Result<Box<Call>> {
    decode_call_with(KIND, OPERATION, raw, "data", map_call).map(Box::new)
}

fn status_changed(event: String, raw: &RawValue) -> Result<CallEvent> {
    let fields: StatusData = decode_raw(KIND, OPERATION, raw, "data")?;
    let call = fields.id.is_some().then(|| call_at_data(raw)).transpose()?;
    let Some(call_id) = fields.id.or(fields.call_id).filter(|id| !id.is_empty()) else {
        let message = "a status update names no call (`data.id` or `data.call_id`)";
        return Err(Error::decode(
            KIND,
            OPERATION,
            "data.id",
            message,
            raw.get().as_bytes(),
        ));
    };
    let (status, _) = status_of(fields.status.as_ref(), fields.answer_type.as_ref());
    let vendor_status = fields.status.map(|s| s.as_str().to_owned());
    let kind = EventKind::StatusChanged {
        status,
        vendor_status,
        call,
    };
    let mut changed = CallEvent::new(event, kind);
    changed.call_id = Some(CallId::new(call_id));
    Ok(changed)
}

/// An event voiceport does not model: its name, a call id if `data` names one, the body.
fn other(event_type: String, data: Option<&RawValue>, body: &[u8]) -> CallEvent {
    let call_id = data
        .and_then(|raw| string_field(raw, "id").or_else(|| string_field(raw, "call_id")))
        .map(CallId::new);
    let payload = match serde_json::from_slice::<&RawValue>(body) {
        Ok(raw) => VendorPayload::from_raw(raw),
        Err(_) => VendorPayload::from_value(&Value::Null),
    };
    let mut event = CallEvent::new(event_type, EventKind::Other { payload });
    event.call_id = call_id;
    event
}

fn object(raw: &RawValue) -> bool {
    raw.get().trim_start().starts_with('{')
}

/// A non-empty string field of a JSON object, if `raw` is one and has it.
fn string_field(raw: &RawValue, key: &str) -> Option<String> {
    let value: Value = serde_json::from_str(raw.get()).ok()?;
    let text = value.get(key)?.as_str()?;
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::{CallStatus, Speaker};

    fn parse(value: Value) -> Result<CallEvent> {
        decode_webhook(value.to_string().as_bytes())
    }

    const ID: &str = "97adfced-7c9c-4776-8915-cda3cd23b993";

    #[test]
    fn ended_events_carry_the_call() {
        for event in ["event_phone_call_ended", "event_web_call_ended"] {
            let parsed = parse(json!({"event": event, "data": {"id": ID, "status": "completed", "answer_type": "voicemail"}})).unwrap();
            match parsed.kind {
                EventKind::Ended { call } => {
                    assert_eq!(call.id.as_str(), ID);
                    assert_eq!(call.status, CallStatus::Voicemail);
                    assert!(call.vendor_payload().is_some());
                }
                other => panic!("{other:?}"),
            }
        }
        let err = parse(json!({"event": "event_phone_call_ended"})).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "data"),
            "{err:?}"
        );
        let err =
            parse(json!({"event": "event_phone_call_ended", "data": {"status": "completed"}}))
                .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, message, .. } if path == "data" && message.contains("`id`")),
            "{err:?}"
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
            } => {
                assert_eq!(status, CallStatus::Ringing);
                assert_eq!(vendor_status.as_deref(), Some("ringing"));
                assert!(call.is_none());
            }
            other => panic!("{other:?}"),
        }
        let parsed = parse(
            json!({"event": "event_call_status_updated", "data": {"id": ID, "status": "busy"}}),
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
        let err = parse(json!({"event": "event_call_status_updated", "data": {"status": "busy"}}))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "data.id"),
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
            EventKind::TranscriptUpdate { utterance } => {
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
        assert!(
            parsed.vendor_event == "event_transcript"
                && matches!(parsed.kind, EventKind::Other { .. })
        );
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
    }

    #[test]
    fn connected_events_start_a_call_when_data_has_an_id() {
        let parsed = parse(json!({"event": "event_phone_call_connected", "data": {"id": ID, "status": "in_progress"}})).unwrap();
        match parsed.kind {
            EventKind::Started { call } => assert_eq!(call.status, CallStatus::InProgress),
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
            EventKind::Other { payload } => {
                assert_eq!(payload.get(), std::str::from_utf8(body).unwrap());
            }
            other => panic!("{other:?}"),
        }
        for body in [json!({"data": {"id": ID}}), json!({"event": null})] {
            let err = parse(body).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { path, operation: Operation::ParseWebhook, .. } if path == "event"),
                "{err:?}"
            );
        }
        let err = parse(json!({"event": 5})).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "event"),
            "{err:?}"
        );
        assert!(matches!(decode_webhook(b"[]"), Err(Error::Decode { .. })));
    }
}
