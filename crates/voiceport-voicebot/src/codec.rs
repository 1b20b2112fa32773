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
use crate::map::{call::map_call, page};
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
        decode_call_with(KIND, operation, raw, "", map_call)
    }

    fn decode_page(&self, body: &[u8], query: &CallQuery) -> Result<CallPage> {
        page::decode_page(body, query)
    }

    fn decode_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        webhook::decode_webhook(body)
    }

    /// A top-level array is a page, an object with a `message` object a webhook delivery,
    /// anything else a call.
    fn detect(&self, body: &[u8]) -> PayloadKind {
        match json_shape(body) {
            Some(Value::Array(_)) => PayloadKind::Page,
            Some(value) if value.get("message").is_some_and(Value::is_object) => {
                PayloadKind::Webhook
            }
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
        assert_eq!(detect("not json"), PayloadKind::Call);
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
