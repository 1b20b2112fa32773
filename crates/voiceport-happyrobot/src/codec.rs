//! `HappyRobotCodec`: HappyRobot's JSON in, normalized values out; no key, no network.

use voiceport_core::adapter::{decode_call_body, within_entry_budget};
use voiceport_core::http::decode_json;
use voiceport_core::{
    Call, CallEvent, CallPage, CallQuery, Codec, DialOutcome, Direction, EachCall, Operation,
    PayloadKind, ProviderKind, Result, Transcript, dial_outcome, json_shape,
};

use crate::config::KIND;
use crate::map::{call, page};
use crate::{webhook, wire};

/// Decodes HappyRobot's JSON into the normalized model: both generations of the Call, the
/// separate transcript endpoint, the legacy `{type: "start" | "end", call, content}`
/// webhooks and the current platform's CloudEvents (`session.status_changed`).
///
/// ```
/// use voiceport_core::{Codec, EventKind, PayloadKind};
/// use voiceport_happyrobot::HappyRobotCodec;
///
/// let body = br#"{"type": "end", "call": {"id": "699466547a81a64cbcab59c0"},
///                "content": {"messages": [{"role": "user", "content": "Yes."}]}}"#;
/// assert_eq!(HappyRobotCodec.detect(body), PayloadKind::Webhook);
/// let EventKind::Ended { call, .. } = HappyRobotCodec.decode_webhook(body)?.kind else { panic!() };
/// assert_eq!(call.transcript.map(|t| t.utterances.len()), Some(1));
/// # Ok::<(), voiceport_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HappyRobotCodec;

impl Codec for HappyRobotCodec {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    /// A bare Call object: the body of get-call, and of the note, viewed and dial answers.
    fn decode_call_as(&self, operation: Operation, body: &[u8]) -> Result<Call> {
        decode_call_body(KIND, operation, body, |raw| {
            call::decode_call(operation, raw, "")
        })
    }

    /// The answer to `POST /dial/outbound`: a Call, which does not say it is outbound (it
    /// has no `type`); the endpoint places nothing else.
    fn decode_dial(&self, body: &[u8]) -> Result<DialOutcome> {
        let mut outcome = dial_outcome(self, body)?;
        if let Some(call) = &mut outcome.call {
            call.direction.get_or_insert(Direction::Outbound);
        }
        Ok(outcome)
    }

    fn decode_page_each(
        &self,
        body: &[u8],
        query: &CallQuery,
        each: EachCall<'_>,
    ) -> Result<CallPage> {
        within_entry_budget(body.len(), || page::decode_page_each(body, query, each))
    }

    /// The body of `GET /calls/{id}/transcript`.
    fn decode_transcript(&self, body: &[u8]) -> Result<Transcript> {
        within_entry_budget(body.len(), || {
            let wire: wire::Transcript = decode_json(KIND, Operation::GetTranscript, body)?;
            Ok(call::map_transcript(wire))
        })
    }

    fn decode_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        within_entry_budget(body.len(), || webhook::decode_webhook(body))
    }

    /// `calls` → a page; `specversion` (a CloudEvent), or `call` and `type` → a webhook;
    /// `messages` and `call_id` → a transcript; anything else → a call.
    fn detect(&self, body: &[u8]) -> PayloadKind {
        let Some(value) = json_shape(body) else {
            return PayloadKind::Call;
        };
        let has = |key: &str| value.get(key).is_some();
        if has("calls") {
            PayloadKind::Page
        } else if has("specversion") || (has("call") && has("type")) {
            PayloadKind::Webhook
        } else if has("messages") && has("call_id") {
            PayloadKind::Transcript
        } else {
            PayloadKind::Call
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count or an amount written as text is read as the number; a count that cannot be
    /// one (`-1`) is no total, not a failed page.
    #[test]
    fn numbers_written_as_text_are_read() {
        let page = |count: &str| {
            let body = format!(r#"{{"calls":[{{"id":"a","duration":"38"}}],"count":{count}}}"#);
            HappyRobotCodec.decode_page(body.as_bytes(), &CallQuery::default())
        };
        let read = page(r#""13""#).expect("decoded");
        assert_eq!(
            (read.total, read.calls[0].duration_secs),
            (Some(13), Some(38.0))
        );
        assert_eq!(page("-1").expect("decoded").total, None);
        assert_eq!(page("13.0").expect("decoded").total, Some(13));
    }

    /// A placed call keeps its id when the rest of the answer does not decode (core's
    /// `dial_outcome`); one that decodes is outbound.
    #[test]
    fn a_dial_answer_keeps_the_call_id_and_says_outbound() {
        let drifted =
            br#"{"id": "6501f3c2a9d8e4b7c1f00abc", "status": "Queued", "duration": "n/a"}"#;
        let outcome = HappyRobotCodec.decode_dial(drifted).unwrap();
        assert_eq!(outcome.call_id.as_str(), "6501f3c2a9d8e4b7c1f00abc");
        assert!(outcome.call.is_none());
        assert!(
            HappyRobotCodec
                .decode_dial(br#"{"duration": "n/a"}"#)
                .is_err()
        );
        let fine = br#"{"id": "6501f3c2a9d8e4b7c1f00abc", "status": "Queued"}"#;
        let call = HappyRobotCodec.decode_dial(fine).unwrap().call.unwrap();
        assert_eq!(call.direction, Some(Direction::Outbound));
    }

    #[test]
    fn detect_reads_the_top_level_shape() {
        let cases: [(&[u8], PayloadKind); 7] = [
            (br#"{"calls": [], "count": 0}"#, PayloadKind::Page),
            (
                br#"{"type": "end", "call": {"id": "a"}}"#,
                PayloadKind::Webhook,
            ),
            (
                br#"{"call_id": "a", "messages": []}"#,
                PayloadKind::Transcript,
            ),
            (
                br#"{"specversion": "1.0", "type": "session.status_changed", "data": {}}"#,
                PayloadKind::Webhook,
            ),
            (br#"{"id": "a", "type": "Inbound"}"#, PayloadKind::Call),
            (b"\xEF\xBB\xBF{\"calls\": []}", PayloadKind::Page),
            (b"not json", PayloadKind::Call),
        ];
        for (body, kind) in cases {
            assert_eq!(HappyRobotCodec.detect(body), kind, "{body:?}");
        }
    }
}
