//! HappyRobot's legacy use-case webhook: `{type: "start" | "end", call, content}` → `CallEvent`
//! (reference §1.9). Deliveries carry no signature; authenticate them with the static headers
//! configured on the use case's `hooks`.

use serde::Deserialize;
use serde_json::value::RawValue;
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{
    CallEvent, CallId, Error, Operation, ProviderKind, Recording, Result, VendorPayload,
};

use crate::map::{call_from_raw, messages_to_transcript};
use crate::wire;

const KIND: ProviderKind = ProviderKind::HappyRobot;
const OP: Operation = Operation::ParseWebhook;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default, borrow)]
    call: Option<&'a RawValue>,
    #[serde(default, borrow)]
    content: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// Turns the body of a HappyRobot webhook delivery into an event.
///
/// * `start` → [`CallEvent::Started`]; `content.recording`, when present, becomes the
///   call's recording URL.
/// * `end` → [`CallEvent::Ended`]; `content.messages`, when present, become the call's
///   transcript (the call itself carries none).
/// * anything else (such as the removed `message` type) → [`CallEvent::Other`], kept whole.
///
/// ```
/// let body = br#"{"type": "end", "call": {"id": "699466547a81a64cbcab59c0", "status": "Completed"},
///                "content": {"messages": [{"role": "user", "content": "Yes, that works."}]}}"#;
/// match voiceport_happyrobot::parse_webhook(body)? {
///     voiceport_core::CallEvent::Ended { call } => {
///         assert_eq!(call.status, voiceport_core::CallStatus::Completed);
///         assert_eq!(call.transcript.unwrap().utterances.len(), 1);
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), voiceport_core::Error>(())
/// ```
pub fn parse_webhook(body: &[u8]) -> Result<CallEvent> {
    let whole: &RawValue = decode_json(KIND, OP, body)?;
    let envelope: Envelope<'_> = decode_raw(KIND, OP, whole, "")?;
    match envelope.event_type.as_str() {
        "start" => {
            let mut call = call_from_raw(OP, required_call(&envelope)?, "call")?;
            if let Some(content) = content::<wire::StartContent>(envelope.content)?
                && let Some(url) = content.recording.filter(|u| !u.is_empty())
            {
                call.recording = Some(Recording {
                    mono_url: Some(url),
                    stereo_url: None,
                    expires_at: None,
                });
            }
            Ok(CallEvent::Started {
                call: Box::new(call),
            })
        }
        "end" => {
            let mut call = call_from_raw(OP, required_call(&envelope)?, "call")?;
            if let Some(content) = content::<wire::EndContent>(envelope.content)?
                && let Some(messages) = content.messages
                && call.transcript.is_none()
            {
                call.transcript = Some(messages_to_transcript(messages, None));
            }
            Ok(CallEvent::Ended {
                call: Box::new(call),
            })
        }
        _ => {
            // The call id, if the delivery has a readable one; the rest is kept verbatim.
            let call_id = envelope
                .call
                .and_then(|raw| serde_json::from_str::<IdOnly>(raw.get()).ok())
                .and_then(|call| match call.id {
                    Some(serde_json::Value::String(id)) if !id.is_empty() => Some(CallId::new(id)),
                    _ => None,
                });
            Ok(CallEvent::Other {
                event_type: envelope.event_type,
                call_id,
                payload: VendorPayload::from_raw(whole),
            })
        }
    }
}

fn required_call<'a>(envelope: &Envelope<'a>) -> Result<&'a RawValue> {
    envelope
        .call
        .filter(|raw| raw.get() != "null")
        .ok_or_else(|| Error::Decode {
            provider: KIND,
            operation: OP,
            path: "call".into(),
            message: format!("a `{}` delivery must carry the call", envelope.event_type),
            excerpt: String::new(),
        })
}

fn content<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<Option<T>> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.get() == "null" => Ok(None),
        Some(raw) => decode_raw(KIND, OP, raw, "content").map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voiceport_core::{CallStatus, Speaker};

    #[test]
    fn start_end_and_other() {
        let start = br#"{"type":"start","call":{"id":"c1","status":"Connected"},"content":{"recording":"https://r/x.mp3"}}"#;
        match parse_webhook(start).unwrap() {
            CallEvent::Started { call } => {
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
        match parse_webhook(end).unwrap() {
            CallEvent::Ended { call } => {
                let transcript = call.transcript.unwrap();
                assert_eq!(transcript.utterances[0].speaker, Speaker::Agent);
            }
            other => panic!("{other:?}"),
        }
        let end_without_content = br#"{"type":"end","call":{"id":"c1"}}"#;
        assert!(matches!(
            parse_webhook(end_without_content).unwrap(),
            CallEvent::Ended { call } if call.transcript.is_none()
        ));
        let other = br#"{"type":"message","call":{"id":"c1"},"content":{"role":"user"}}"#;
        match parse_webhook(other).unwrap() {
            CallEvent::Other {
                event_type,
                call_id,
                payload,
            } => {
                assert_eq!(event_type, "message");
                assert_eq!(call_id, Some(CallId::new("c1")));
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
