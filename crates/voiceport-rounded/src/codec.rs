//! [`RoundedCodec`]: Rounded JSON in, normalized values out; no key, no network.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::adapter::{call_id_at, decode_call_with, within_entry_budget};
use voiceport_core::http::decode_json;
use voiceport_core::{
    Call, CallEvent, CallId, CallPage, CallQuery, Codec, DialOutcome, EachCall, Error, Operation,
    PayloadKind, ProviderKind, Result, json_shape,
};

use crate::config::KIND;
use crate::map::{call::map_call, envelope, page};
use crate::{webhook, wire};

/// Decodes Rounded's JSON, envelope included: a call (`GET /calls/{call_id}`, and the
/// answer to an update), a page (`GET /calls`), a webhook delivery (an inferred shape), the
/// start-call answer (`{data: {call_id}}`) and the terminate acknowledgement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundedCodec;

impl Codec for RoundedCodec {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    /// The API's envelope (`{"data": {…}}`), or a call object on its own: what a call keeps
    /// as its vendor payload, so that a kept payload normalizes again.
    fn decode_call_as(&self, operation: Operation, body: &[u8]) -> Result<Call> {
        within_entry_budget(body.len(), || {
            let enveloped = decode_json::<wire::Envelope<&RawValue>>(KIND, operation, body)
                .and_then(|envelope| envelope::required(operation, envelope, body));
            match enveloped {
                Ok(raw) => decode_call_with(KIND, operation, raw, "data", map_call),
                // Looked for only once the envelope does not fit: the API's answers pay
                // nothing.
                Err(error) => match call_object(body) {
                    Some(raw) => decode_call_with(KIND, operation, raw, "", map_call),
                    None => Err(error),
                },
            }
        })
    }

    fn decode_page_each(
        &self,
        body: &[u8],
        query: &CallQuery,
        each: EachCall<'_>,
    ) -> Result<CallPage> {
        page::decode_page_each(body, query, None, each)
    }

    fn decode_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        within_entry_budget(body.len(), || webhook::decode_webhook(body))
    }

    /// `{data: {call_id}}`: the id only, so `call` is `None`. Where the answer does not
    /// decode but its `data.call_id` reads, that id: the call is placed, and a decode error
    /// would lose the id of a call that rings.
    fn decode_dial(&self, body: &[u8]) -> Result<DialOutcome> {
        let operation = Operation::Dial;
        let envelope: wire::Envelope<wire::StartCallData> = match decode_json(KIND, operation, body)
        {
            Ok(envelope) => envelope,
            Err(error) => {
                return match call_id_at(body, &["data", "call_id"]) {
                    Some(call_id) => Ok(DialOutcome::new(call_id, None)),
                    None => Err(error),
                };
            }
        };
        let call_id = envelope::required(operation, envelope, body)?.call_id;
        if call_id.trim().is_empty() {
            let message = "the new call's id is empty";
            return Err(Error::decode(
                KIND,
                operation,
                "data.call_id",
                message,
                body,
            ));
        }
        Ok(DialOutcome::new(CallId::new(call_id), None))
    }

    /// The answer to terminate: done when its envelope repeats a 2xx status, whatever
    /// `error` object stands beside a null `data`; an empty body is accepted too.
    fn decode_ack(&self, body: &[u8]) -> Result<()> {
        let operation = Operation::EndCall;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let envelope: wire::Envelope<&RawValue> = decode_json(KIND, operation, body)?;
        envelope::acknowledged(operation, envelope)
    }

    /// An `id` at the top without `event`, `call`, `data` or `error` is a call object on its
    /// own (a call's vendor payload), whatever its `type` (a call's kind, `phone_call`,
    /// `web_call` or one this version does not know), unless that `type` is an event name
    /// (`event_…`); an `event` or `call` key at the top is a webhook delivery (a response
    /// envelope has none of them), and so is a `type` key when it is an event name or there
    /// is no `id`; an array `data` a page, a `data.call_id` without `data.id` a start-call
    /// answer; a `data` that is no call (none of a call's keys: `null`, `{}`, terminate's `any`)
    /// without an error an acknowledgement; anything else a call.
    fn detect(&self, body: &[u8]) -> PayloadKind {
        let Some(value) = json_shape(body) else {
            return PayloadKind::Call;
        };
        let data = value.get("data");
        let has = |key: &str| value.get(key).is_some();
        // A call's `type` is its kind; a delivery's (`event_phone_call_ended`), its event.
        let type_is_event = value.get("type").is_some_and(|t| {
            !has("id") || t.as_str().is_some_and(|name| name.starts_with("event_"))
        });
        // A call's fields: a `data` object with none of them is no call (terminate's `any`),
        // one with any is a call, though it may have lost its id.
        let names_a_call = |data: &Value| CALL_KEYS.iter().any(|key| data.get(key).is_some());
        if has("id") && !type_is_event && !["event", "call", "data", "error"].into_iter().any(has) {
            PayloadKind::Call
        } else if has("event") || has("call") || type_is_event {
            PayloadKind::Webhook
        } else if data.is_some_and(Value::is_array) {
            PayloadKind::Page
        } else if value.pointer("/data/call_id").is_some() && value.pointer("/data/id").is_none() {
            PayloadKind::Dial
        } else if data.is_some_and(|data| !names_a_call(data))
            && value.get("error").is_none_or(Value::is_null)
        {
            PayloadKind::Ack
        } else {
            PayloadKind::Call
        }
    }
}

/// Keys only a call object has (of Rounded's call): what tells a call inside `data` from an
/// acknowledgement's.
const CALL_KEYS: [&str; 9] = [
    "id",
    "call_id",
    "status",
    "start_time",
    "end_time",
    "agent_id",
    "transcript",
    "from_number",
    "to_number",
];

/// `body` when it is a call object on its own: an object with an `id`, and neither the
/// envelope's `data` nor its `error`.
fn call_object(body: &[u8]) -> Option<&RawValue> {
    #[derive(Deserialize)]
    #[serde(expecting = "an object")]
    struct Top {
        id: Option<IgnoredAny>,
        data: Option<IgnoredAny>,
        error: Option<IgnoredAny>,
    }
    let top: Top = serde_json::from_slice(body).ok()?;
    let lone = top.id.is_some() && top.data.is_none() && top.error.is_none();
    lone.then(|| serde_json::from_slice(body).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An amount written as text is read as the number.
    #[test]
    fn amounts_written_as_text_are_read() {
        let call = RoundedCodec
            .decode_call(br#"{"data":{"id":"c1","duration_seconds":"38","cost":"0.019"}}"#)
            .expect("decoded");
        assert_eq!(call.duration_secs, Some(38.0));
        assert_eq!(call.cost.as_ref().and_then(|c| c.total), Some(0.019));
    }

    #[test]
    fn detect_by_shape() {
        let detect = |body: &str| RoundedCodec.detect(body.as_bytes());
        assert_eq!(
            detect(r#"{"event": "x", "data": []}"#),
            PayloadKind::Webhook
        );
        assert_eq!(
            detect(r#"{"type": "event_phone_call_ended", "call": {"id": "c"}}"#),
            PayloadKind::Webhook
        );
        assert_eq!(
            detect(r#"{"call": {"id": "c"}, "data": {"id": "c"}}"#),
            PayloadKind::Webhook
        );
        assert_eq!(detect("\u{feff}{\"data\": []}"), PayloadKind::Page);
        assert_eq!(detect(r#"{"data": {"call_id": "c"}}"#), PayloadKind::Dial);
        assert_eq!(
            detect(r#"{"data": {"call_id": "c", "id": "c"}}"#),
            PayloadKind::Call
        );
        assert_eq!(detect(r#"{"data": null, "error": null}"#), PayloadKind::Ack);
        assert_eq!(detect(r#"{"data": null}"#), PayloadKind::Ack);
        assert_eq!(
            detect(r#"{"data": null, "error": {"message": "no"}}"#),
            PayloadKind::Call
        );
        assert_eq!(detect(r#"{"data": {"id": "c"}}"#), PayloadKind::Call);
        assert_eq!(detect("not json"), PayloadKind::Call);
        // A call object on its own (a call's vendor payload), its `type` a call type.
        assert_eq!(
            detect(r#"{"id": "c", "type": "phone_call", "status": "completed"}"#),
            PayloadKind::Call
        );
        assert_eq!(
            detect(r#"{"id": "e1", "event": "event_phone_call_ended", "data": {"id": "c"}}"#),
            PayloadKind::Webhook
        );
        assert_eq!(
            detect(r#"{"id": "e1", "type": "event_call_status_updated", "call_id": "c"}"#),
            PayloadKind::Webhook
        );
        // A call of a type this version does not know is still a call.
        for kind in ["sip_call", "", "5"] {
            let body = format!(r#"{{"id": "c1", "type": "{kind}", "status": "completed"}}"#);
            assert_eq!(detect(&body), PayloadKind::Call, "{kind}");
            let call = RoundedCodec.decode_call(body.as_bytes()).unwrap();
            assert_eq!(call.id.as_str(), "c1");
        }
        assert_eq!(
            detect(r#"{"id": "c1", "type": 5, "status": "completed"}"#),
            PayloadKind::Call
        );
        assert_eq!(
            detect(r#"{"id": "c1", "type": null, "status": "completed"}"#),
            PayloadKind::Call
        );
        // Without an `id`, any `type` is the delivery's event name.
        assert_eq!(
            detect(r#"{"type": "phone_call_ended", "call_id": "c"}"#),
            PayloadKind::Webhook
        );
        // Terminate's `data` is documented as `any`: whatever names no call is an
        // acknowledgement, and decodes as one.
        for body in [
            r#"{"message": "Call terminated successfully", "data": {}, "error": null, "status": 200}"#,
            r#"{"message": "Call terminated successfully", "data": true, "status": 200}"#,
            r#"{"message": "Call terminated successfully", "data": {"terminated": true}, "status": 200}"#,
        ] {
            assert_eq!(detect(body), PayloadKind::Ack, "{body}");
            RoundedCodec.decode_ack(body.as_bytes()).unwrap();
        }
        assert_eq!(
            detect(r#"{"data": {}, "error": {"message": "no"}}"#),
            PayloadKind::Call
        );
        assert_eq!(
            detect(r#"{"data": {"id": "c", "status": "completed"}, "error": null}"#),
            PayloadKind::Call
        );
        // A call that lost its id is still a call (its decode error says what is missing),
        // not an acknowledgement that passes quietly.
        assert_eq!(
            detect(r#"{"data": {"status": "completed", "agent_id": "a"}, "error": null}"#),
            PayloadKind::Call
        );
    }

    #[test]
    fn a_call_object_on_its_own_decodes_as_the_call_it_is_the_payload_of() {
        let body = br#"{"data": {"id": "c1", "type": "phone_call", "status": "completed", "start_time": "soon"}, "status": 200}"#;
        let call = RoundedCodec.decode_call(body).unwrap();
        let payload = call.vendor_payload().unwrap().get().as_bytes();
        assert_eq!(RoundedCodec.detect(payload), PayloadKind::Call);
        assert_eq!(RoundedCodec.decode_call(payload).unwrap(), call);
        // Its decode errors name paths in it; the envelope's errors stay the envelope's.
        let err = RoundedCodec
            .decode_call(br#"{"id": "c1", "status": {"code": 5}}"#)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "status"),
            "{err:?}"
        );
        let refused = br#"{"data": null, "error": {"message": "Call not found"}, "status": 404}"#;
        let err = RoundedCodec.decode_call(refused).unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        let err = RoundedCodec
            .decode_call(br#"{"message": "ok"}"#)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "data"),
            "{err:?}"
        );
    }

    /// A started call's answer whose envelope is odd around `data` (a status as text or a
    /// float, an error that is no object, a message that is no text, a key twice) still
    /// gives the new call's id: a decode error would lose the id of a call that rings.
    #[test]
    fn a_start_call_answer_odd_around_its_data_keeps_the_call_id() {
        let id = "b48d0eec-c2e3-4b12-85c6-2aa47f65badb";
        for around in [
            r#""status":"201""#,
            r#""status":201.0"#,
            r#""status":-1"#,
            r#""error":"none""#,
            r#""error":{"status":"400","message":["a"]}"#,
            r#""message":{"en":"ok"}"#,
            r#""message":"a","message":"b""#,
        ] {
            let body = format!(r#"{{"data":{{"call_id":"{id}"}},{around}}}"#);
            let outcome = RoundedCodec.decode_dial(body.as_bytes());
            assert_eq!(
                outcome.map(|o| o.call_id.into_inner()).ok().as_deref(),
                Some(id),
                "{body}"
            );
        }
        // The status as text still names the error of an answer without data.
        let err = RoundedCodec
            .decode_call(br#"{"data":null,"error":{"message":"gone","status":"404"}}"#)
            .unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    }

    #[test]
    fn start_call_and_terminate_bodies() {
        let outcome = RoundedCodec
            .decode_dial(
                br#"{"message":"Phone call started successfully","data":{"call_id":"b48d0eec-c2e3-4b12-85c6-2aa47f65badb"},"status":201}"#,
            )
            .unwrap();
        assert_eq!(
            outcome.call_id.as_str(),
            "b48d0eec-c2e3-4b12-85c6-2aa47f65badb"
        );
        assert!(outcome.call.is_none());
        assert!(matches!(
            RoundedCodec.decode_dial(br#"{"data":{"call_id":""}}"#),
            Err(Error::Decode { ref path, .. }) if path == "data.call_id"
        ));
        assert!(matches!(
            RoundedCodec.decode_dial(br#"{"data":null,"error":null}"#),
            Err(Error::Decode { ref path, .. }) if path == "data"
        ));
        RoundedCodec
            .decode_ack(
                br#"{"message":"Call terminated successfully","data":null,"error":null,"status":200}"#,
            )
            .unwrap();
        RoundedCodec.decode_ack(b"").unwrap();
        assert!(matches!(
            RoundedCodec.decode_ack(br#"{"data":null,"error":{"message":"Only phone calls"}}"#),
            Err(Error::InvalidRequest { .. })
        ));
    }

    /// The docs' generated example of a success carries an `error` object, its own status
    /// 400: a terminate whose envelope repeats a 2xx is done all the same. One whose
    /// envelope names a refusal, or no status, is not.
    #[test]
    fn a_terminate_whose_envelope_says_success_is_done_whatever_error_it_carries() {
        let answer = |status: &str| {
            format!(
                r#"{{"message": "Call terminated successfully", "data": null, "status": {status},
                    "error": {{"details": [{{"field": "email", "message": "Invalid email format"}}],
                              "message": "An error occurred while processing your request",
                              "status": 400, "type": "generic_error"}}}}"#
            )
        };
        for status in ["200", "201", "204"] {
            RoundedCodec.decode_ack(answer(status).as_bytes()).unwrap();
        }
        for status in ["400", "null", "500"] {
            let refused = RoundedCodec
                .decode_ack(answer(status).as_bytes())
                .unwrap_err();
            assert_eq!(refused.operation(), Some(Operation::EndCall), "{status}");
        }
    }
}
