//! HappyRobot's legacy use-case webhook: `{type: "start" | "end", call, content}` → `CallEvent`
//! (reference §1.9). Deliveries carry no signature; authenticate them with the static headers
//! configured on the use case's `hooks`.

use serde::Deserialize;
use serde_json::value::RawValue;
use voiceport_core::adapter::non_empty;
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{CallEvent, CallId, Error, EventKind, Operation, Result, VendorPayload};

use crate::config::KIND;
use crate::map::call::{decode_call, map_messages, recording};
use crate::wire;

const OP: Operation = Operation::ParseWebhook;

/// Turns the body of a HappyRobot webhook delivery into an event.
///
/// * `start` → [`EventKind::Started`]; `content.recording`, when present, becomes the
///   call's recording URL.
/// * `end` → [`EventKind::Ended`]; `content.messages`, when present, become the call's
///   transcript (the call itself carries none).
/// * anything else (such as the removed `message` type) → [`EventKind::Other`], kept whole.
pub(crate) fn parse_webhook(body: &[u8]) -> Result<CallEvent> {
    let whole: &RawValue = decode_json(KIND, OP, body)?;
    let event: wire::WebhookEvent<'_> = decode_raw(KIND, OP, whole, "")?;
    match event.event_type.as_str() {
        "start" => {
            let mut call = decode_call(OP, required_call(&event, body)?, "call")?;
            if let Some(content) = content::<wire::StartContent>(event.content)? {
                call.recording = non_empty(&content.recording).map(recording);
            }
            let call = Box::new(call);
            Ok(CallEvent::new(
                event.event_type,
                EventKind::Started { call },
            ))
        }
        "end" => {
            let mut call = decode_call(OP, required_call(&event, body)?, "call")?;
            if let Some(content) = content::<wire::EndContent>(event.content)?
                && let Some(messages) = content.messages
                && call.transcript.is_none()
            {
                call.transcript = Some(map_messages(messages, None));
            }
            let call = Box::new(call);
            Ok(CallEvent::new(event.event_type, EventKind::Ended { call }))
        }
        _ => {
            let payload = VendorPayload::from_raw(whole);
            let mut other = CallEvent::new(event.event_type, EventKind::Other { payload });
            other.call_id = event.call.and_then(readable_id);
            Ok(other)
        }
    }
}

/// The call id of another delivery type, if it has a readable one.
fn readable_id(call: &RawValue) -> Option<CallId> {
    let call: serde_json::Value = serde_json::from_str(call.get()).ok()?;
    let id = call.get("id")?.as_str()?;
    (!id.is_empty()).then(|| CallId::new(id))
}

fn required_call<'a>(event: &wire::WebhookEvent<'a>, body: &[u8]) -> Result<&'a RawValue> {
    let message = || format!("a `{}` delivery must carry the call", event.event_type);
    (event.call)
        .filter(|raw| raw.get() != "null")
        .ok_or_else(|| Error::decode(KIND, OP, "call", message(), body))
}

fn content<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<Option<T>> {
    match raw {
        Some(raw) if raw.get() != "null" => decode_raw(KIND, OP, raw, "content").map(Some),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voiceport_core::{CallStatus, Speaker};

    #[test]
    fn start_end_and_other() {
        let start = br#"{"type":"start","call":{"id":"c1","status":"Connected"},"content":{"recording":"https://r/x.mp3"}}"#;
        match parse_webhook(start).unwrap().kind {
            EventKind::Started { call } => {
                assert_eq!(call.status, CallStatus::InProgress);
                assert!(call.vendor_payload().is_some());
                assert_eq!(
                    call.recording.and_then(|r| r.mono_url).as_deref(),
                    Some("https://r/x.mp3")
                );
            }
            other => panic!("{other:?}"),
        }
        let end = br#"{"type":"end","call":{"id":"c1","status":"Completed"},"content":{"messages":[{"role":"assistant","content":"Hi"}]}}"#;
        match parse_webhook(end).unwrap().kind {
            EventKind::Ended { call } => {
                let transcript = call.transcript.unwrap();
                assert_eq!(transcript.utterances[0].speaker, Speaker::Agent);
            }
            other => panic!("{other:?}"),
        }
        let end_without_content = br#"{"type":"end","call":{"id":"c1"}}"#;
        assert!(matches!(
            parse_webhook(end_without_content).unwrap().kind,
            EventKind::Ended { call } if call.transcript.is_none()
        ));
        let other = br#"{"type":"message","call":{"id":"c1"},"content":{"role":"user"}}"#;
        let event = parse_webhook(other).unwrap();
        assert_eq!(event.vendor_event, "message");
        assert_eq!(event.call_id, Some(CallId::new("c1")));
        match event.kind {
            EventKind::Other { payload } => {
                assert_eq!(payload.get(), std::str::from_utf8(other).unwrap());
            }
            other => panic!("{other:?}"),
        }
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
            let err = parse_webhook(body).unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        }
    }
}
