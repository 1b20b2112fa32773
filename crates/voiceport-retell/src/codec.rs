//! [`RetellCodec`]: Retell JSON in, normalized values out; no key, no network.

use std::time::Duration;

use serde_json::Value;
use voiceport_core::adapter::{decode_call_body, try_decode_call_with, within_entry_budget};
use voiceport_core::{
    Call, CallEvent, CallPage, CallQuery, Codec, EachCall, Operation, PayloadKind, ProviderKind,
    Result, json_shape,
};

use crate::config::KIND;
use crate::map::{call::map_call, page};
use crate::webhook;

/// Decodes Retell's JSON: a call (`GET /v2/get-call/{call_id}`, and the answers to
/// create-phone-call and update-call, which are the call itself), a page
/// (`POST /v3/list-calls`), a webhook delivery (`{event, call}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetellCodec;

impl Codec for RetellCodec {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn decode_call_as(&self, operation: Operation, body: &[u8]) -> Result<Call> {
        decode_call_body(KIND, operation, body, |raw| {
            try_decode_call_with(KIND, operation, raw, "", |wire| {
                map_call(wire, operation, || "")
            })
        })
    }

    /// A Retell call names its id `call_id`: the answer to create-phone-call (201, the new
    /// call) keeps it where the rest does not decode ([`voiceport_core::dial_outcome`]).
    fn call_id_key(&self) -> &'static str {
        "call_id"
    }

    fn decode_page_each(
        &self,
        body: &[u8],
        query: &CallQuery,
        each: EachCall<'_>,
    ) -> Result<CallPage> {
        within_entry_budget(body.len(), || page::decode_page_each(body, query, each))
    }

    fn decode_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        within_entry_budget(body.len(), || webhook::decode_webhook(body))
    }

    fn reply_limit(&self, event: &CallEvent) -> Option<Duration> {
        webhook::reply_limit(event)
    }

    /// An object with an `event` key is a webhook delivery (no call has one), one with an
    /// `items` key a page; anything else a call. The answer to create-phone-call is a call
    /// too: it reads as one.
    fn detect(&self, body: &[u8]) -> PayloadKind {
        match json_shape(body) {
            Some(Value::Object(map)) if map.contains_key("event") => PayloadKind::Webhook,
            Some(Value::Object(map)) if map.contains_key("items") => PayloadKind::Page,
            _ => PayloadKind::Call,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An amount written as text is read as the number.
    #[test]
    fn amounts_written_as_text_are_read() {
        let call = RetellCodec
            .decode_call(
                br#"{"call_id":"c1","duration_ms":"62500","call_cost":{"combined_cost":"12.5"}}"#,
            )
            .expect("decoded");
        assert_eq!(call.duration_secs, Some(62.5));
        assert_eq!(call.cost.as_ref().and_then(|c| c.total), Some(0.125));
    }
    use voiceport_core::{CallStatus, Error};

    /// A transcript of more entries than any call has is refused at its path (core's
    /// `bounded_list`), as every adapter's conversations and transcripts are.
    #[test]
    fn an_endless_transcript_is_refused() {
        let call = |entries: usize| {
            let list = vec![r#"{"role":"user","content":"hi"}"#; entries].join(",");
            format!(r#"{{"call_id": "c1", "call_status": "ended", "transcript_object": [{list}]}}"#)
        };
        let long = RetellCodec.decode_call(call(1_000).as_bytes()).unwrap();
        assert_eq!(long.transcript.map(|t| t.utterances.len()), Some(1_000));
        let err = RetellCodec
            .decode_call(call(voiceport_core::adapter::MAX_LIST_ITEMS + 1).as_bytes())
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, message, .. }
                if path == "transcript_object" && message.contains("more than 100000 entries")),
            "{err:?}"
        );
    }

    /// Only the transcript copy used is decoded: the later ones are not read at all, so a
    /// call with three copies of the longest transcript takes the memory of one.
    #[test]
    fn later_transcript_copies_are_not_decoded() {
        let max = voiceport_core::adapter::MAX_LIST_ITEMS;
        let entries = |n: usize| vec![r#"{"role":"user","content":"hi"}"#; n].join(",");
        // Too long to decode, or not entries at all: never read once an earlier copy has
        // entries.
        for later in [
            entries(max + 1),
            r#"{"role": {"name": "agent"}}"#.to_owned(),
        ] {
            let body = format!(
                r#"{{"call_id": "c1", "transcript_with_tool_calls": [{{"role": "agent", "content": "Hello"}}],
                    "transcript_object": [{later}], "scrubbed_transcript_with_tool_calls": [{later}]}}"#
            );
            let call = RetellCodec.decode_call(body.as_bytes()).unwrap();
            let utterances = call.transcript.unwrap().utterances;
            assert_eq!(utterances.len(), 1);
            assert_eq!(utterances[0].text.as_deref(), Some("Hello"));
        }
        // An empty or null earlier copy passes on to the next, which is decoded, at its path
        // (in a webhook's call and a list's item too).
        let body = r#"{"call_id": "c1", "transcript_with_tool_calls": [], "transcript_object": null,
            "scrubbed_transcript_with_tool_calls": [{"role": "agent", "content": "Hi [NAME]"}]}"#;
        let call = RetellCodec.decode_call(body.as_bytes()).unwrap();
        assert_eq!(call.transcript.unwrap().utterances.len(), 1);
        let bad = r#"{"call_id": "c1", "transcript_with_tool_calls": [], "transcript_object": [{"role": {"name": "agent"}}]}"#;
        let err = RetellCodec.decode_call(bad.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "transcript_object[0].role"),
            "{err:?}"
        );
        let event = format!(r#"{{"event": "call_ended", "call": {bad}}}"#);
        let err = RetellCodec.decode_webhook(event.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, operation: Operation::ParseWebhook, .. }
                if path == "call.transcript_object[0].role"),
            "{err:?}"
        );
        let page = format!(r#"{{"items": [{{"call_id": "c0"}}, {bad}], "has_more": false}}"#);
        let err = RetellCodec
            .decode_page(page.as_bytes(), &CallQuery::default())
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, operation: Operation::ListCalls, .. }
                if path == "items[1].transcript_object[0].role"),
            "{err:?}"
        );
        let item = r#"{"items": [{"call_id": "c0", "transcript_object": [{"role": "agent", "content": "Hi"}]}]}"#;
        let page = RetellCodec
            .decode_page(item.as_bytes(), &CallQuery::default())
            .unwrap();
        assert_eq!(
            page.calls[0].transcript.as_ref().unwrap().utterances.len(),
            1
        );
        assert_eq!(
            page.calls[0].vendor_payload().unwrap().get(),
            r#"{"call_id": "c0", "transcript_object": [{"role": "agent", "content": "Hi"}]}"#
        );
    }

    #[test]
    fn a_placed_call_keeps_its_id_when_the_rest_of_the_answer_drifts() {
        for drift in [
            r#""call_analysis": "pending""#,
            r#""duration_ms": "none yet""#,
            r#""transcript_object": "n/a""#,
        ] {
            let body = format!(
                r#"{{"call_type": "phone_call", "call_id": "call_1", "call_status": "registered", {drift}}}"#
            );
            let outcome = RetellCodec.decode_dial(body.as_bytes()).unwrap();
            assert_eq!(outcome.call_id.as_str(), "call_1", "{drift}");
            assert!(outcome.call.is_none(), "{drift}");
            // The call itself still does not decode, at its path.
            assert!(
                matches!(
                    RetellCodec.decode_call(body.as_bytes()),
                    Err(Error::Decode { .. })
                ),
                "{drift}"
            );
        }
        // Without a readable id, the decode error stands, at its path.
        for body in [
            r#"{"call_id": 5, "duration_ms": "none yet"}"#,
            r#"{"call_id": " ", "duration_ms": "none yet"}"#,
            r#"{"duration_ms": "none yet"}"#,
        ] {
            let err = RetellCodec.decode_dial(body.as_bytes()).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { operation: Operation::Dial, path, .. }
                    if path == "duration_ms" || path == "call_id"),
                "{body}: {err:?}"
            );
        }
        assert!(matches!(
            RetellCodec.decode_dial(b"not json"),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn detect_by_shape() {
        let detect = |body: &str| RetellCodec.detect(body.as_bytes());
        assert_eq!(
            detect(r#"{"event": "call_ended", "call": {"call_id": "c"}}"#),
            PayloadKind::Webhook
        );
        assert_eq!(detect(r#"{"event": "chat_ended"}"#), PayloadKind::Webhook);
        assert_eq!(
            detect("\u{feff}{\"items\": [], \"has_more\": false}"),
            PayloadKind::Page
        );
        assert_eq!(detect(r#"{"call_id": "c"}"#), PayloadKind::Call);
        assert_eq!(detect("[]"), PayloadKind::Call);
        assert_eq!(detect("not json"), PayloadKind::Call);
    }

    #[test]
    fn a_call_is_the_whole_body_and_keeps_it() {
        let body = br#"{"call_id": "c1", "call_status": "registered", "call_type": "phone_call"}"#;
        let call = RetellCodec.decode_call(body).unwrap();
        assert_eq!(call.status, CallStatus::Queued);
        assert_eq!(
            call.vendor_payload().map(|p| p.get()),
            std::str::from_utf8(body).ok()
        );
        let outcome = RetellCodec.decode_dial(body).unwrap();
        assert_eq!(outcome.call_id.as_str(), "c1");
        assert!(outcome.call.is_some());
        let err = RetellCodec
            .decode_call_as(
                Operation::UpdateCall,
                br#"{"status": "error", "message": "x"}"#,
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Decode {
                    operation: Operation::UpdateCall,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
