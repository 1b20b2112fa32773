//! The status table: a Voicebot Studio (Vapi) `status` and `endedReason` → the normalized
//! status and end reason.

use voiceport_core::{CallStatus, EndReason, EndReasonCategory};

use crate::wire::Status;

/// The normalized status and end reason of a call, from its `status` and `endedReason`
/// together: the whole mapping table. An `ended` call is classified by its reason
/// (`Completed` without one); a call without a status too, since only ended calls have a
/// reason. The end reason is kept whenever the vendor gave one, whatever the status.
pub(crate) fn status_of(
    status: Option<&Status>,
    ended_reason: Option<&str>,
) -> (CallStatus, Option<EndReason>) {
    let reason = ended_reason.filter(|r| !r.trim().is_empty());
    let outcome = reason.map(ended);
    let end_reason =
        outcome.map(|(_, category)| EndReason::new(category, reason.map(str::to_owned)));
    let status = match status {
        Some(Status::Scheduled) => CallStatus::Scheduled,
        Some(Status::Queued) => CallStatus::Queued,
        Some(Status::Ringing) => CallStatus::Ringing,
        Some(Status::InProgress) => CallStatus::InProgress,
        Some(Status::Forwarding) => CallStatus::Transferred,
        Some(Status::Ended) => outcome.map_or(CallStatus::Completed, |(status, _)| status),
        Some(Status::NotFound | Status::DeletionFailed | Status::Other(_)) => CallStatus::Unknown,
        None => outcome.map_or(CallStatus::Unknown, |(status, _)| status),
    };
    (status, end_reason)
}

/// What an `endedReason` says about an ended call: its status and the reason's category.
/// First match wins; the families are Vapi's (Appendix A), unknown reasons are `Other`.
fn ended(reason: &str) -> (CallStatus, EndReasonCategory) {
    use CallStatus as St;
    use EndReasonCategory as Cat;
    match reason {
        "customer-did-not-answer"
        | "call.ringing.sip-inbound-caller-hungup-before-call-connect" => {
            (St::NoAnswer, Cat::NoAnswer)
        }
        "customer-busy" => (St::Busy, Cat::Busy),
        "voicemail" => (St::Voicemail, Cat::Voicemail),
        "silence-timed-out" => (St::Completed, Cat::Silence),
        "exceeded-max-duration" => (St::Completed, Cat::MaxDuration),
        "manually-canceled" | "scheduled-call-deleted" | "call-deleted" => {
            (St::Canceled, Cat::Canceled)
        }
        "assistant-forwarded-call" | "assistant-request-returned-forwarding-phone-number" => {
            (St::Transferred, Cat::Transferred)
        }
        r if r.starts_with("call.forwarding.") || r.ends_with("hook-executed-transfer") => {
            (St::Transferred, Cat::Transferred)
        }
        r if r.starts_with("customer-ended-call") => (St::Completed, Cat::CustomerHungUp),
        "assistant-said-end-call-phrase" => (St::Completed, Cat::AgentEnded),
        r if r.starts_with("assistant-ended-call") => (St::Completed, Cat::AgentEnded),
        r if r.contains("error") || r.contains("fault") || r.contains("failed") => {
            (St::Failed, Cat::Error)
        }
        "assistant-not-found"
        | "assistant-not-valid"
        | "assistant-request-returned-no-assistant"
        | "assistant-request-returned-invalid-assistant"
        | "assistant-join-timed-out"
        | "worker-shutdown"
        | "twilio-reported-customer-misdialed"
        | "vonage-rejected"
        | "customer-did-not-give-microphone-permission"
        | "phone-call-provider-bypass-enabled-but-no-call-received" => (St::Failed, Cat::Error),
        _ => (St::Completed, Cat::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voiceport_core::{CallStatus as St, EndReasonCategory as Cat};

    fn status(text: &str) -> Status {
        Status::parse(text)
    }

    #[test]
    fn statuses_without_reason() {
        let cases = [
            ("scheduled", St::Scheduled),
            ("queued", St::Queued),
            ("ringing", St::Ringing),
            ("in-progress", St::InProgress),
            ("forwarding", St::Transferred),
            ("ended", St::Completed),
            ("not-found", St::Unknown),
            ("deletion-failed", St::Unknown),
            ("archived", St::Unknown),
            ("", St::Unknown),
        ];
        for (vendor, expected) in cases {
            let (got, reason) = status_of(Some(&status(vendor)), None);
            assert_eq!(got, expected, "{vendor}");
            assert_eq!(reason, None, "{vendor}");
        }
        assert_eq!(status_of(None, None), (St::Unknown, None));
    }

    /// Appendix A values (all families, old and new) and unknown ones.
    #[test]
    fn ended_reason_table() {
        let cases: &[(&str, St, Cat)] = &[
            ("customer-did-not-answer", St::NoAnswer, Cat::NoAnswer),
            (
                "call.ringing.sip-inbound-caller-hungup-before-call-connect",
                St::NoAnswer,
                Cat::NoAnswer,
            ),
            ("customer-busy", St::Busy, Cat::Busy),
            ("voicemail", St::Voicemail, Cat::Voicemail),
            ("silence-timed-out", St::Completed, Cat::Silence),
            ("exceeded-max-duration", St::Completed, Cat::MaxDuration),
            ("customer-ended-call", St::Completed, Cat::CustomerHungUp),
            (
                "customer-ended-call-before-warm-transfer",
                St::Completed,
                Cat::CustomerHungUp,
            ),
            (
                "customer-ended-call-after-warm-transfer-attempt",
                St::Completed,
                Cat::CustomerHungUp,
            ),
            (
                "customer-ended-call-during-transfer",
                St::Completed,
                Cat::CustomerHungUp,
            ),
            ("assistant-ended-call", St::Completed, Cat::AgentEnded),
            (
                "assistant-said-end-call-phrase",
                St::Completed,
                Cat::AgentEnded,
            ),
            (
                "assistant-ended-call-with-hangup-task",
                St::Completed,
                Cat::AgentEnded,
            ),
            (
                "assistant-ended-call-after-message-spoken",
                St::Completed,
                Cat::AgentEnded,
            ),
            (
                "assistant-forwarded-call",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "assistant-request-returned-forwarding-phone-number",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "call.forwarding.operator-busy",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "call.forwarding.no-answer",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "call.ringing.hook-executed-transfer",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "call.ending.hook-executed-transfer",
                St::Transferred,
                Cat::Transferred,
            ),
            ("manually-canceled", St::Canceled, Cat::Canceled),
            ("scheduled-call-deleted", St::Canceled, Cat::Canceled),
            ("call-deleted", St::Canceled, Cat::Canceled),
            ("pipeline-error-openai-voice-failed", St::Failed, Cat::Error),
            (
                "pipeline-error-eleven-labs-voice-failed",
                St::Failed,
                Cat::Error,
            ),
            ("call.start.error-vapifault-get-org", St::Failed, Cat::Error),
            (
                "call.start.error-subscription-concurrency-limit-reached",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.start.error-fraud-check-failed",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.start.assistant-version-error-validation",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.in-progress.error-vapifault-openai-429-rate-limit-reached",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.in-progress.error-providerfault-outbound-sip-503-service-unavailable",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.in-progress.error-transfer-failed",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.in-progress.error-warm-transfer-max-duration",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.ringing.error-sip-inbound-call-failed-to-connect",
                St::Failed,
                Cat::Error,
            ),
            ("twilio-failed-to-connect-call", St::Failed, Cat::Error),
            ("vonage-failed-to-connect-call", St::Failed, Cat::Error),
            ("assistant-request-failed", St::Failed, Cat::Error),
            ("assistant-request-returned-error", St::Failed, Cat::Error),
            (
                "call-start-error-neither-assistant-nor-server-set",
                St::Failed,
                Cat::Error,
            ),
            ("assistant-not-found", St::Failed, Cat::Error),
            ("assistant-not-valid", St::Failed, Cat::Error),
            (
                "assistant-request-returned-no-assistant",
                St::Failed,
                Cat::Error,
            ),
            ("worker-shutdown", St::Failed, Cat::Error),
            ("twilio-reported-customer-misdialed", St::Failed, Cat::Error),
            ("vonage-rejected", St::Failed, Cat::Error),
            (
                "customer-did-not-give-microphone-permission",
                St::Failed,
                Cat::Error,
            ),
            ("vonage-completed", St::Completed, Cat::Other),
            ("vonage-disconnected", St::Completed, Cat::Other),
            (
                "call.in-progress.twilio-completed-call",
                St::Completed,
                Cat::Other,
            ),
            (
                "call.in-progress.sip-completed-call",
                St::Completed,
                Cat::Other,
            ),
            ("call.ringing.hook-executed-say", St::Completed, Cat::Other),
            (
                "phone-call-provider-closed-websocket",
                St::Completed,
                Cat::Other,
            ),
            ("some-reason-from-2027", St::Completed, Cat::Other),
            (
                "call.in-progress.error-some-future-reason-2027",
                St::Failed,
                Cat::Error,
            ),
        ];
        for (reason, expected_status, expected_category) in cases {
            let (got, end) = status_of(Some(&Status::Ended), Some(reason));
            assert_eq!(got, *expected_status, "{reason}");
            let end = end.unwrap_or_else(|| panic!("{reason}: no end reason"));
            assert_eq!(end.category, *expected_category, "{reason}");
            assert_eq!(
                end.vendor.as_deref(),
                Some(*reason),
                "{reason}: vendor text kept"
            );
        }
    }

    #[test]
    fn reason_with_other_statuses() {
        // A reason without a status: only ended calls have one.
        let (got, end) = status_of(None, Some("customer-busy"));
        assert_eq!(got, St::Busy);
        assert_eq!(end.unwrap().category, Cat::Busy);
        // An unknown status stays unknown; the reason is still reported.
        let (got, end) = status_of(Some(&status("archived")), Some("call.in-progress.error-x"));
        assert_eq!(got, St::Unknown);
        assert_eq!(end.unwrap().category, Cat::Error);
        // An empty reason is no reason.
        assert_eq!(
            status_of(Some(&Status::Ended), Some("")),
            (St::Completed, None)
        );
    }
}
