//! [`VoicebotCodec`]: Voicebot Studio JSON in, normalized values out; no key, no network.

use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::adapter::decode_call_with;
use voiceport_core::http::decode_json;
use voiceport_core::{
    Call, CallEvent, CallPage, CallQuery, Codec, Operation, PayloadKind, ProviderKind, Result,
    json_shape,
};

use crate::config::KIND;
use crate::map::call::{map_call, require_id};
use crate::map::page;
use crate::webhook;

/// Decodes Voicebot Studio's JSON (Vapi's call model): a call (`GET /calls/{id}`, and the
/// answers to a dial or an update), a page (`GET /calls`, a bare array), a webhook
/// delivery (`{"message": {...}}`).
#[derive(Debug, Clone, Copy, Default)]
pub struct VoicebotCodec;

impl Codec for VoicebotCodec {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn decode_call_as(&self, operation: Operation, body: &[u8]) -> Result<Call> {
        let raw: &RawValue = decode_json(KIND, operation, body)?;
        // The API's calls always have an id (webhook calls may not): checked first.
        require_id(operation, raw, "")?;
        decode_call_with(KIND, operation, raw, "", map_call)
    }

    fn decode_page(&self, body: &[u8], query: &CallQuery) -> Result<CallPage> {
        page::decode_page(body, query)
    }

    fn decode_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        webhook::decode_webhook(body)
    }

    /// A top-level array is a page; an object with a `message` or `call` object, or whose
    /// `type` is a server-message type (`end-of-call-report` …, never a call's), a webhook
    /// delivery; anything else a call.
    fn detect(&self, body: &[u8]) -> PayloadKind {
        match json_shape(body) {
            Some(Value::Array(_)) => PayloadKind::Page,
            Some(value) if webhook::looks_like_delivery(&value) => PayloadKind::Webhook,
            _ => PayloadKind::Call,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voiceport_core::Error;

    #[test]
    fn detect_by_shape() {
        let detect = |body: &str| VoicebotCodec.detect(body.as_bytes());
        assert_eq!(detect("[]"), PayloadKind::Page);
        assert_eq!(detect("\u{feff}[{\"id\": \"a\"}]"), PayloadKind::Page);
        assert_eq!(
            detect(r#"{"message": {"type": "status-update"}}"#),
            PayloadKind::Webhook
        );
        assert_eq!(detect(r#"{"message": "hi", "id": "c"}"#), PayloadKind::Call);
        assert_eq!(detect(r#"{"id": "c"}"#), PayloadKind::Call);
        // Senders that put the call beside the message, or send the message bare.
        assert_eq!(
            detect(r#"{"message": {"status": "ended"}, "call": {"id": "c"}}"#),
            PayloadKind::Webhook
        );
        assert_eq!(
            detect(r#"{"type": "end-of-call-report", "endedReason": "voicemail"}"#),
            PayloadKind::Webhook
        );
        assert_eq!(
            detect(r#"{"type": "transcript[transcriptType=\"final\"]"}"#),
            PayloadKind::Webhook
        );
        // A call's own `type` is not a message type.
        assert_eq!(
            detect(r#"{"id": "c", "type": "outboundPhoneCall"}"#),
            PayloadKind::Call
        );
        assert_eq!(detect("not json"), PayloadKind::Call);
    }

    #[test]
    fn a_call_from_the_api_needs_an_id() {
        let err = VoicebotCodec
            .decode_call(br#"{"type": "webCall", "status": "ended"}"#)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "id"),
            "{err:?}"
        );
        let err = VoicebotCodec.decode_call(br#"{"id": null}"#).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "id"),
            "{err:?}"
        );
    }

    #[test]
    fn decode_errors_name_the_operation() {
        let err = VoicebotCodec
            .decode_call(br#"{"type":"webCall"}"#)
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Decode {
                    operation: Operation::GetCall,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = VoicebotCodec.decode_dial(b"").unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Decode {
                    operation: Operation::Dial,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
