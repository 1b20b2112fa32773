//! [`VapiCodec`] and [`VoicebotCodec`]: the Vapi family's JSON in, normalized values out;
//! no key, no network. Two unit values over one implementation, which differ only in the
//! kind they name.

use std::time::Duration;

use serde_json::Value;
use voiceport_core::adapter::{collect_page, decode_call_body, within_entry_budget};
use voiceport_core::{
    Call, CallEvent, CallPage, CallQuery, Codec, EachCall, Operation, PayloadKind, ProviderKind,
    Result, json_shape,
};

use crate::config::Flavor;
use crate::map::call::decode_api_call;
use crate::map::numbers::KnownNumbers;
use crate::map::page;
use crate::webhook;

/// Decodes a body that holds one call from the API of `flavor`, the assistant's number
/// taken from `numbers` where the call names it by id only (the client's; the codec has
/// none).
pub(crate) fn decode_call(
    flavor: Flavor,
    operation: Operation,
    body: &[u8],
    numbers: Option<&KnownNumbers>,
) -> Result<Call> {
    let kind = flavor.kind();
    // The API's calls always have an id (webhook calls may not).
    decode_call_body(kind, operation, body, |raw| {
        decode_api_call(kind, operation, raw, "", numbers)
    })
}

/// Decodes a list body of `flavor` made for `query`, as [`Codec::decode_page`] does, the
/// assistant's numbers taken from `numbers` as in [`decode_call`].
pub(crate) fn decode_page(
    flavor: Flavor,
    body: &[u8],
    query: &CallQuery,
    numbers: Option<&KnownNumbers>,
) -> Result<CallPage> {
    collect_page(|each| page_each(flavor, body, query, numbers, each))
}

/// [`page::decode_page_each`] within the decoding's memory budget: the codec's and the
/// client's way to a page.
fn page_each(
    flavor: Flavor,
    body: &[u8],
    query: &CallQuery,
    numbers: Option<&KnownNumbers>,
    each: EachCall<'_>,
) -> Result<CallPage> {
    within_entry_budget(body.len(), || {
        page::decode_page_each(flavor, body, query, numbers, each)
    })
}

/// A top-level array is a page; an object with a `message` or `call` object, or whose
/// `type` is a server-message type (`end-of-call-report` …, never a call's), a webhook
/// delivery; anything else a call.
fn detect(body: &[u8]) -> PayloadKind {
    match json_shape(body) {
        Some(Value::Array(_)) => PayloadKind::Page,
        Some(value) if webhook::looks_like_delivery(&value) => PayloadKind::Webhook,
        _ => PayloadKind::Call,
    }
}

/// A unit-struct codec per flavor: `voiceport::codec(kind)` hands out a `&'static` value,
/// and each vendor keeps a type of its own; every method is the shared one above.
macro_rules! flavor_codec {
    ($(#[$doc:meta])* $codec:ident => $flavor:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $codec;

        impl $codec {
            /// The flavor it decodes for.
            pub const FLAVOR: Flavor = $flavor;
        }

        impl Codec for $codec {
            fn kind(&self) -> ProviderKind {
                Self::FLAVOR.kind()
            }

            fn decode_call_as(&self, operation: Operation, body: &[u8]) -> Result<Call> {
                decode_call(Self::FLAVOR, operation, body, None)
            }

            fn decode_page_each(
                &self,
                body: &[u8],
                query: &CallQuery,
                each: EachCall<'_>,
            ) -> Result<CallPage> {
                page_each(Self::FLAVOR, body, query, None, each)
            }

            fn decode_webhook(&self, body: &[u8]) -> Result<CallEvent> {
                within_entry_budget(body.len(), || {
                    webhook::decode_webhook(Self::FLAVOR.kind(), body)
                })
            }

            fn reply_limit(&self, event: &CallEvent) -> Option<Duration> {
                webhook::reply_limit(event)
            }

            fn detect(&self, body: &[u8]) -> PayloadKind {
                detect(body)
            }
        }
    };
}

flavor_codec! {
    /// Decodes Vapi's JSON: a call (`GET /call/{id}`, and the answers to a dial, an update
    /// or a delete), a page (`GET /call`, a bare array), a webhook delivery (a server
    /// message, `{"message": {...}}`).
    VapiCodec => Flavor::Vapi
}

flavor_codec! {
    /// Decodes Voicebot Studio's JSON (Vapi's call model): a call (`GET /calls/{id}`, and
    /// the answers to a dial or an update), a page (`GET /calls`, a bare array), a webhook
    /// delivery (`{"message": {...}}`).
    VoicebotCodec => Flavor::Voicebot
}

impl Flavor {
    /// The codec of this flavor.
    pub fn codec(self) -> &'static dyn Codec {
        match self {
            Flavor::Voicebot => &VoicebotCodec,
            Flavor::Vapi => &VapiCodec,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voiceport_core::Error;

    /// An amount written as text (`"cost": "0.05"`) is read as the number: an end-of-call
    /// report refused for it would be refused again on every retry, and the end lost.
    #[test]
    fn amounts_written_as_text_are_read() {
        let report =
            br#"{"message":{"type":"end-of-call-report","endedReason":"customer-ended-call",
            "cost":"0.05","durationSeconds":" 62.5 ","call":{"id":"c1","cost":"0.05"}}}"#;
        let event = VoicebotCodec.decode_webhook(report).expect("decoded");
        let call = event.call().expect("the report's call");
        assert_eq!(call.cost.as_ref().and_then(|c| c.total), Some(0.05));
        assert_eq!(call.duration_secs, Some(62.5));
        // Text that holds no number stays an error, at its path.
        let err = VoicebotCodec
            .decode_call(br#"{"id":"c1","cost":"free"}"#)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "cost"),
            "{err:?}"
        );
    }

    /// A placed call keeps its id when the rest of the answer does not decode (core's
    /// `dial_outcome`).
    #[test]
    fn a_dial_answer_keeps_the_call_id_when_the_rest_drifts() {
        let drifted = br#"{"id": "019cf72b-2008-72f2-9228-bc1f965cbb09", "status": "queued", "cost": "free"}"#;
        let outcome = crate::VapiCodec.decode_dial(drifted).unwrap();
        assert_eq!(
            outcome.call_id.as_str(),
            "019cf72b-2008-72f2-9228-bc1f965cbb09"
        );
        assert!(outcome.call.is_none());
        assert!(matches!(
            crate::VapiCodec.decode_dial(br#"{"cost": "free"}"#),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn each_codec_names_its_kind() {
        for flavor in [Flavor::Voicebot, Flavor::Vapi] {
            let codec = flavor.codec();
            assert_eq!(codec.kind(), flavor.kind());
            let call = codec.decode_call(br#"{"id": "c"}"#).unwrap();
            assert_eq!(call.provider, flavor.kind());
            let page = codec
                .decode_page(br#"[{"id": "c"}]"#, &CallQuery::default())
                .unwrap();
            assert_eq!(page.calls[0].provider, flavor.kind());
            let err = codec.decode_call(b"[").unwrap_err();
            assert_eq!(err.provider(), Some(flavor.kind()));
        }
        assert_eq!(VapiCodec::FLAVOR, Flavor::Vapi);
        assert_eq!(VoicebotCodec::FLAVOR, Flavor::Voicebot);
    }

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
        // A Vapi call carries `monitor`, never a `message`: still a call.
        assert_eq!(
            VapiCodec.detect(br#"{"id": "c", "monitor": {"controlUrl": "https://x"}}"#),
            PayloadKind::Call
        );
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

    /// A conversation of more messages than any call has is refused at its path rather
    /// than read into memory (each message a few hundred bytes once read); one of empty
    /// messages much sooner, once they would take more than the body's budget.
    #[test]
    fn an_endless_conversation_is_refused() {
        let call = |message: &str, messages: usize| {
            let list = vec![message; messages].join(",");
            format!(r#"{{"id": "c1", "messages": [{list}]}}"#)
        };
        let said = r#"{"role": "bot", "message": "Thanks for calling Ridgeline, how can I help?"}"#;
        let long = VoicebotCodec
            .decode_call(call(said, 100_000).as_bytes())
            .unwrap();
        assert_eq!(long.transcript.map(|t| t.utterances.len()), Some(100_000));
        let err = (VoicebotCodec.decode_call(call(said, 100_001).as_bytes())).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, message, .. }
                if path == "messages" && message.contains("more than 100000 messages")),
            "{err:?}"
        );
        let err = (VoicebotCodec.decode_call(call("{}", 50_000).as_bytes())).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, message, .. }
                if path == "messages" && message.contains("times its size in memory")),
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
        let err = VapiCodec.decode_dial(b"").unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Decode {
                    operation: Operation::Dial,
                    provider: ProviderKind::Vapi,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
