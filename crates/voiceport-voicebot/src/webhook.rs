//! Webhook deliveries ("server messages") → [`CallEvent`].
//!
//! Voicebot Studio documents no webhooks; it is inferred to relay Vapi's server messages
//! as they are: `{"message": {"type": …, "call": {…}, …}}` (reference §2.5).
//!
//! | `message.type` | event |
//! | --- | --- |
//! | `end-of-call-report` | `Ended`: `message.call` with the report's `endedReason`, `artifact`, `analysis`, costs, `startedAt`/`endedAt` laid over it (the report wins), status `ended` |
//! | `status-update` | `StatusChanged`: status from `message.status` (+ `message.endedReason`) |
//! | `transcript` (`transcriptType` `final` or absent), `transcript[transcriptType="final"]` | `TranscriptUpdate` |
//! | anything else (incl. partial transcripts) | `Other`, the delivery kept whole |

use serde_json::value::RawValue;
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{
    CallEvent, CallId, Error, EventKind, Operation, Result, Utterance, VendorPayload,
};

use crate::config::KIND;
use crate::map::call::{map_call, speaker};
use crate::map::status::status_of;
use crate::wire;

const OP: Operation = Operation::ParseWebhook;

/// Turns the body of a server message into an event.
///
/// A body that is not JSON, has no `message.type`, or whose `end-of-call-report` /
/// `status-update` carries no `message.call`, is an [`Error::Decode`] naming the path.
pub(crate) fn decode_webhook(body: &[u8]) -> Result<CallEvent> {
    let missing = |path: &str, message: &str| Error::decode(KIND, OP, path, message, body);
    let whole: &RawValue = decode_json(KIND, OP, body)?;
    let envelope: wire::ServerMessageEnvelope<'_> = decode_raw(KIND, OP, whole, "")?;
    let message = envelope
        .message
        .ok_or_else(|| missing("message.type", "no `message` object"))?;
    let head: wire::ServerMessageHead<'_> = decode_raw(KIND, OP, message, "message")?;
    let event_type = head
        .message_type
        .ok_or_else(|| missing("message.type", "missing field `type`"))?;
    let raw_call = || {
        head.call
            .ok_or_else(|| missing("message.call", "missing field `call`"))
    };
    let wire_call = |raw| decode_raw::<wire::Call>(KIND, OP, raw, "message.call");
    match event_type.as_str() {
        "end-of-call-report" => {
            let raw = raw_call()?;
            let report: wire::EndOfCallReport = decode_raw(KIND, OP, message, "message")?;
            let mut stale = wire_call(raw)?;
            lay_report_over(&mut stale, report);
            let mut call = map_call(stale);
            // The report is the fresher and fuller record; it holds the call too.
            call.set_vendor_payload(VendorPayload::from_raw(message));
            let call = Box::new(call);
            return Ok(CallEvent::new(event_type, EventKind::Ended { call }));
        }
        "status-update" => {
            let raw = raw_call()?;
            let update: wire::StatusUpdate = decode_raw(KIND, OP, message, "message")?;
            let mut stale = wire_call(raw)?;
            let (status, _) = status_of(update.status.as_ref(), update.ended_reason.as_deref());
            let vendor_status = update.status.as_ref().map(|s| s.as_str().to_owned());
            // The embedded call may be older than the update: make them agree.
            fresher(&mut stale.status, update.status);
            fresher(&mut stale.ended_reason, update.ended_reason);
            let mut call = map_call(stale);
            call.set_vendor_payload(VendorPayload::from_raw(raw));
            let call = Some(Box::new(call));
            let kind = EventKind::StatusChanged {
                status,
                vendor_status,
                call,
            };
            return Ok(CallEvent::new(event_type, kind));
        }
        "transcript" | "transcript[transcriptType=\"final\"]" => {
            let message: wire::TranscriptMessage = decode_raw(KIND, OP, message, "message")?;
            // Partial transcripts fall through to `Other`.
            if message
                .transcript_type
                .as_deref()
                .is_none_or(|t| t == "final")
            {
                let utterance = Utterance::new(speaker(message.role.as_ref()), message.transcript);
                let mut event =
                    CallEvent::new(event_type, EventKind::TranscriptUpdate { utterance });
                event.call_id = head.call.and_then(raw_call_id);
                return Ok(event);
            }
        }
        _ => {}
    }
    let payload = VendorPayload::from_raw(whole);
    let mut event = CallEvent::new(event_type, EventKind::Other { payload });
    event.call_id = head.call.and_then(raw_call_id);
    Ok(event)
}

/// `fresh` replaces `stale` when it is there.
fn fresher<T>(stale: &mut Option<T>, fresh: Option<T>) {
    if fresh.is_some() {
        *stale = fresh;
    }
}

/// Lays an end-of-call report over the (possibly stale) call it carries: every field the
/// report has wins, and the status is `ended`.
fn lay_report_over(call: &mut wire::Call, report: wire::EndOfCallReport) {
    call.status = Some(wire::Status::Ended);
    fresher(&mut call.ended_reason, report.ended_reason);
    fresher(&mut call.started_at, report.started_at);
    fresher(&mut call.ended_at, report.ended_at);
    fresher(&mut call.cost, report.cost);
    fresher(&mut call.cost_breakdown, report.cost_breakdown);
    fresher(&mut call.costs, report.costs);
    if call.customer.is_none() {
        call.customer = report.customer;
    }
    if let Some(analysis) = report.analysis {
        // The report's summary wins over a stale flattened one.
        fresher(&mut call.summary, analysis.summary.clone());
        call.analysis = Some(analysis);
    }
    if let Some(artifact) = report.artifact {
        // So do its artifacts over the flattened copies.
        fresher(&mut call.messages, artifact.messages.clone());
        fresher(&mut call.transcript, artifact.transcript.clone());
        fresher(&mut call.recording_url, artifact.recording_url.clone());
        fresher(
            &mut call.stereo_recording_url,
            artifact.stereo_recording_url.clone(),
        );
        call.artifact = Some(artifact);
    }
}

/// Only a call's id, from a raw call object; `None` when it has none or is not an object.
fn raw_call_id(raw: &RawValue) -> Option<CallId> {
    serde_json::from_str::<wire::CallIdOnly>(raw.get())
        .ok()
        .and_then(|c| c.id)
        .filter(|id| !id.is_empty())
        .map(CallId::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::{CallStatus, EndReasonCategory, Speaker};

    fn parse(value: serde_json::Value) -> Result<CallEvent> {
        decode_webhook(&serde_json::to_vec(&value).unwrap())
    }

    #[test]
    fn end_of_call_report_wins_over_the_stale_call() {
        let event = parse(json!({"message": {
            "type": "end-of-call-report",
            "endedReason": "customer-busy",
            "startedAt": "2026-03-19T17:20:08Z",
            "endedAt": "2026-03-19T17:20:18Z",
            "cost": 0.5,
            "analysis": {"summary": "fresh", "successEvaluation": true},
            "artifact": {"messages": [{"role": "bot", "message": "Hi"}], "transcript": "AI: Hi",
                         "recordingUrl": "https://r/m.wav"},
            "customer": {"number": "+1999"},
            "call": {"id": "c1", "type": "outboundPhoneCall", "status": "ringing", "summary": "stale",
                     "messages": [{"role": "user", "message": "old"}], "endedReason": "voicemail"}
        }}))
        .unwrap();
        let EventKind::Ended { call } = event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(call.status, CallStatus::Busy);
        assert_eq!(call.vendor_status.as_deref(), Some("ended"));
        assert_eq!(
            call.end_reason.as_ref().unwrap().vendor.as_deref(),
            Some("customer-busy")
        );
        assert_eq!(call.duration_secs, Some(10.0));
        assert_eq!(call.cost.as_ref().unwrap().total, Some(0.5));
        assert_eq!(call.analysis.summary.as_deref(), Some("fresh"));
        assert_eq!(call.analysis.success_evaluation.as_deref(), Some("true"));
        let transcript = call.transcript.as_ref().unwrap();
        assert_eq!(transcript.utterances.len(), 1);
        assert_eq!(transcript.utterances[0].speaker, Speaker::Agent);
        assert_eq!(
            call.recording.as_ref().unwrap().mono_url.as_deref(),
            Some("https://r/m.wav")
        );
        assert_eq!(
            call.to.as_deref(),
            Some("+1999"),
            "customer from the report"
        );
        assert!(
            call.vendor_payload()
                .unwrap()
                .get()
                .contains("end-of-call-report")
        );
    }

    #[test]
    fn end_of_call_report_without_reason_is_completed() {
        let event = parse(json!({"message": {"type": "end-of-call-report", "call": {"id": "c1"}}}))
            .unwrap();
        let EventKind::Ended { call } = event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.end_reason, None);
    }

    #[test]
    fn status_update_uses_the_message_status() {
        let event = parse(json!({"message": {
            "type": "status-update", "status": "ended", "endedReason": "silence-timed-out",
            "call": {"id": "c1", "status": "in-progress"}
        }}))
        .unwrap();
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c1"));
        let EventKind::StatusChanged {
            status,
            vendor_status,
            call,
        } = event.kind
        else {
            panic!("{event:?}")
        };
        assert_eq!(status, CallStatus::Completed);
        assert_eq!(vendor_status.as_deref(), Some("ended"));
        let call = call.unwrap();
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(
            call.end_reason.unwrap().category,
            EndReasonCategory::Silence
        );

        let event = parse(json!({"message": {"type": "status-update", "status": "forwarding", "call": {"id": "c1"}}}))
            .unwrap();
        assert!(
            matches!(
                event.kind,
                EventKind::StatusChanged {
                    status: CallStatus::Transferred,
                    ..
                }
            ),
            "{event:?}"
        );
    }

    #[test]
    fn transcripts_final_partial_and_legacy_type() {
        let event = parse(
            json!({"message": {"type": "transcript", "role": "assistant", "transcript": "Hi",
                                               "call": {"id": "c1"}}}),
        )
        .unwrap();
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c1"));
        let EventKind::TranscriptUpdate { utterance } = event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(utterance.speaker, Speaker::Agent);
        assert_eq!(utterance.text.as_deref(), Some("Hi"));

        let event = parse(
            json!({"message": {"type": "transcript[transcriptType=\"final\"]", "role": "user",
                                               "transcript": "Yes"}}),
        )
        .unwrap();
        assert!(
            event.call_id.is_none()
                && matches!(&event.kind, EventKind::TranscriptUpdate { utterance } if utterance.speaker == Speaker::Customer),
            "{event:?}"
        );

        let event = parse(
            json!({"message": {"type": "transcript", "transcriptType": "partial", "role": "user",
                                               "transcript": "Ye", "call": {"id": "c1"}}}),
        )
        .unwrap();
        assert!(
            event.vendor_event == "transcript"
                && event.call_id.as_ref().is_some_and(|id| id.as_str() == "c1")
                && matches!(&event.kind, EventKind::Other { .. }),
            "{event:?}"
        );
    }

    #[test]
    fn other_types_are_kept_whole() {
        let body = br#"{"message": {"type": "tool-calls", "call": "not an object"}}"#;
        let event = decode_webhook(body).unwrap();
        assert_eq!(event.vendor_event, "tool-calls");
        assert_eq!(event.call_id, None);
        let EventKind::Other { payload } = event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(payload.get().as_bytes(), body);
    }

    #[test]
    fn missing_parts_are_decode_errors_with_paths() {
        let path_of = |value: serde_json::Value| match parse(value) {
            Err(Error::Decode {
                path,
                operation: Operation::ParseWebhook,
                provider: KIND,
                ..
            }) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            path_of(json!({"message": {"call": {"id": "c"}}})),
            "message.type"
        );
        assert_eq!(path_of(json!({"other": 1})), "message.type");
        assert_eq!(
            path_of(json!({"message": {"type": "end-of-call-report"}})),
            "message.call"
        );
        assert_eq!(
            path_of(json!({"message": {"type": "status-update"}})),
            "message.call"
        );
        assert_eq!(
            path_of(json!({"message": {"type": "status-update", "call": {"id": 5}}})),
            "message.call.id"
        );
        assert_eq!(
            path_of(
                json!({"message": {"type": "end-of-call-report", "call": {"id": "c"}, "cost": "x"}})
            ),
            "message.cost"
        );
        assert_eq!(path_of(json!({"message": 3})), "message");
    }
}
