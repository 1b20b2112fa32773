//! The status table, the same for Vapi and Voicebot Studio: a call's `status` and
//! `endedReason` → the normalized status and end reason. `docs/vendors/voicebot.md` has it
//! as a table.

use voiceport_core::{CallStatus, EndReason, EndReasonCategory};

use crate::wire::Status;

/// The normalized status and end reason of a call, from its `status` and `endedReason`
/// together: the whole mapping table. An `ended` call is classified by its reason
/// (`Completed` without one); a call without a status too, since only ended calls have a
/// reason. The end reason is kept whenever the vendor gave one, whatever the status.
///
/// `forwarding` is live (the call becomes `ended` once the forward is over, with the
/// reason, cost and transcript), so it is `InProgress`, not the terminal `Transferred`.
/// `not-found` (Vapi lost the call) is `Failed` and `deletion-failed` (a delete of a
/// finished call failed) is classified as `ended`: both are terminal, so a poller stops.
///
/// `manually-canceled` may also be what a live call ended through the API says (*inferred*:
/// Vapi does not say which reason a control-URL end gets): a call that had `started` took
/// place, so it is `Completed` rather than `Canceled` (its end reason stays `Canceled`):
/// `started` says so, by its start or a line said (`map_call_at`).
pub(crate) fn status_of(
    status: Option<&Status>,
    ended_reason: Option<&str>,
    started: bool,
) -> (CallStatus, Option<EndReason>) {
    let reason = ended_reason.filter(|r| !r.trim().is_empty());
    let outcome = reason.map(by_end_reason);
    let end_reason =
        outcome.map(|(_, category)| EndReason::new(category, reason.map(str::to_owned)));
    let by_reason = outcome.map_or(CallStatus::Completed, |(status, _)| status);
    let status = match status {
        Some(Status::Scheduled) => CallStatus::Scheduled,
        Some(Status::Queued) => CallStatus::Queued,
        Some(Status::Ringing) => CallStatus::Ringing,
        Some(Status::InProgress | Status::Forwarding) => CallStatus::InProgress,
        Some(Status::Ended | Status::DeletionFailed) => by_reason,
        Some(Status::NotFound) => CallStatus::Failed,
        Some(Status::Other(_)) => CallStatus::Unknown,
        None => outcome.map_or(CallStatus::Unknown, |(status, _)| status),
    };
    let status = match status {
        CallStatus::Canceled if started => CallStatus::Completed,
        status => status,
    };
    (status, end_reason)
}

/// What an `endedReason` says about an ended call: its status and the reason's category.
///
/// Matched on Vapi's families (the phase prefix `call.start.`, `call.ringing.`,
/// `call.in-progress.`, `call.forwarding.`, `call.ending.`; the legacy `pipeline-error-`;
/// the plain `customer-…`, `assistant-…`, `twilio-…`, `vonage-…` values), never on the
/// word "error" alone, so that a value added after this table lands with its family.
/// First match wins; anything else is `Completed` / `Other`.
fn by_end_reason(reason: &str) -> (CallStatus, EndReasonCategory) {
    use CallStatus as St;
    use EndReasonCategory as Cat;
    // `call.<phase>.<rest>`: the phase tells when it ended, the rest why.
    let (phase, rest) = match reason.strip_prefix("call.") {
        Some(tail) => tail.split_once('.').unwrap_or(("", tail)),
        None => ("", reason),
    };
    match (phase, rest) {
        // A handover that did not happen, after the conversation: the number forwarded to
        // was busy or did not answer, or the transfer failed. First, so that a SIP code of
        // the transfer's leg is not read as the customer's.
        ("forwarding", "operator-busy" | "no-answer") => (St::Completed, Cat::TransferFailed),
        (_, r) if r.starts_with("error-transfer-") || r.starts_with("error-warm-transfer-") => {
            (St::Completed, Cat::TransferFailed)
        }
        // Nobody picked up: the customer, or (SIP 408/480) the far end (inferred: Vapi
        // files these among the provider's faults). SIP 486 and 600 say a busy line; no
        // value of Vapi's list names them today, but a carrier's code may come through.
        (_, "customer-did-not-answer") => (St::NoAnswer, Cat::NoAnswer),
        (_, r) if sip_code(r, &["408", "480"]) => (St::NoAnswer, Cat::NoAnswer),
        (_, "sip-inbound-caller-hungup-before-call-connect") => (St::NoAnswer, Cat::NoAnswer),
        (_, "customer-busy") => (St::Busy, Cat::Busy),
        (_, r) if sip_code(r, &["486", "600"]) => (St::Busy, Cat::Busy),
        (_, "voicemail") => (St::Voicemail, Cat::Voicemail),
        (_, "silence-timed-out") => (St::Completed, Cat::Silence),
        (_, "exceeded-max-duration") => (St::Completed, Cat::MaxDuration),
        (_, "manually-canceled" | "scheduled-call-deleted") => (St::Canceled, Cat::Canceled),
        (_, "assistant-forwarded-call" | "assistant-request-returned-forwarding-phone-number") => {
            (St::Transferred, Cat::Transferred)
        }
        (_, "hook-executed-transfer") => (St::Transferred, Cat::Transferred),
        // Every other `…-error-…` of a phase, and the legacy per-provider errors.
        ("start", _) => (St::Failed, Cat::Error),
        (_, r) if r.starts_with("error-") || r.starts_with("pipeline-error-") => {
            (St::Failed, Cat::Error)
        }
        (_, r) if r.starts_with("customer-ended-call") => (St::Completed, Cat::CustomerHungUp),
        (_, r)
            if r.starts_with("assistant-ended-call")
                || r == "assistant-said-end-call-phrase"
                || r == "assistant-said-message-with-end-call-enabled" =>
        {
            (St::Completed, Cat::AgentEnded)
        }
        // The assistant could not be set up: nothing was said.
        (_, r)
            if r.starts_with("assistant-request-")
                || r.starts_with("assistant-not-")
                || r.starts_with("call-start-error-")
                || r == "assistant-join-timed-out" =>
        {
            (St::Failed, Cat::Error)
        }
        // Older plain values for a failure on Vapi's side (inferred: not in today's list;
        // third-party code written against older releases reads them): a few by name, the
        // `vapifault-…` family (before faults moved under a phase) and the pipeline's
        // missing model.
        (
            _,
            "assistant-error"
            | "db-error"
            | "no-server-available"
            | "license-check-failed"
            | "unknown-error",
        ) => (St::Failed, Cat::Error),
        (_, r) if r.starts_with("vapifault-") || r.starts_with("pipeline-no-available-") => {
            (St::Failed, Cat::Error)
        }
        // The line dropped under the call (Vapi's worker or the carrier's socket went away;
        // `server-shutdown` and `twilio-closed-websocket` are older names, inferred as above).
        (
            _,
            "worker-shutdown"
            | "phone-call-provider-closed-websocket"
            | "server-shutdown"
            | "twilio-closed-websocket",
        ) => (St::Failed, Cat::Error),
        // The carrier could not place the call.
        (_, r)
            if r.ends_with("-failed-to-connect-call")
                || r == "twilio-reported-customer-misdialed"
                || r == "vonage-rejected"
                || r == "phone-call-provider-bypass-enabled-but-no-call-received"
                || r == "customer-did-not-give-microphone-permission" =>
        {
            (St::Failed, Cat::Error)
        }
        // `call-deleted`, `vonage-completed`, `…-completed-call`, `hook-executed-say`, and
        // whatever Vapi adds outside these families.
        _ => (St::Completed, Cat::Other),
    }
}

/// Whether `reason` names one of the SIP response `codes` (`…-sip-408-request-timeout`).
fn sip_code(reason: &str, codes: &[&str]) -> bool {
    // `sip-{code}-` anywhere, or `sip-{code}` at the end (no text is built to find them).
    reason.match_indices("sip-").any(|(at, _)| {
        let after = &reason[at + "sip-".len()..];
        codes.iter().any(|code| {
            after
                .strip_prefix(code)
                .is_some_and(|tail| tail.is_empty() || tail.starts_with('-'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use voiceport_core::{CallStatus as St, EndReasonCategory as Cat};

    fn status(text: &str) -> Status {
        Status::parse(text)
    }

    #[test]
    fn sip_codes_are_whole_codes_mid_value_or_at_the_end() {
        let busy = ["486", "600"];
        assert!(sip_code("error-sip-486-busy-here", &busy));
        assert!(sip_code("outbound-sip-600", &busy));
        // Another `sip-` before the one that matches.
        assert!(sip_code("sip-trunk-sip-486-busy", &busy));
        // A longer code, a code without its `sip-`, or none at all.
        assert!(!sip_code("error-sip-4860-x", &busy));
        assert!(!sip_code("error-486-busy", &busy));
        assert!(!sip_code("error-sip-", &busy));
        assert!(!sip_code("", &busy));
    }

    #[test]
    fn statuses_without_reason() {
        let cases = [
            ("scheduled", St::Scheduled),
            ("queued", St::Queued),
            ("ringing", St::Ringing),
            ("in-progress", St::InProgress),
            // Live: `wait_until_ended` must keep polling through a forward.
            ("forwarding", St::InProgress),
            ("ended", St::Completed),
            // Terminal, so that `wait_until_ended` does not spin to its timeout.
            ("not-found", St::Failed),
            ("deletion-failed", St::Completed),
            ("archived", St::Unknown),
            ("", St::Unknown),
        ];
        for (vendor, expected) in cases {
            let (got, reason) = status_of(Some(&status(vendor)), None, false);
            assert_eq!(got, expected, "{vendor}");
            assert_eq!(reason, None, "{vendor}");
        }
        assert!(
            !status_of(Some(&Status::Forwarding), None, false)
                .0
                .is_terminal()
        );
        for terminal in ["not-found", "deletion-failed", "ended"] {
            assert!(
                status_of(Some(&status(terminal)), None, false)
                    .0
                    .is_terminal(),
                "{terminal}"
            );
        }
        assert_eq!(status_of(None, None, false), (St::Unknown, None));
    }

    /// Vapi's documented values (every family, old and new), the corrected ones, and values
    /// Vapi has not documented.
    #[test]
    fn ended_reason_table() {
        let cases: &[(&str, St, Cat)] = &[
            ("customer-did-not-answer", St::NoAnswer, Cat::NoAnswer),
            (
                "call.ringing.sip-inbound-caller-hungup-before-call-connect",
                St::NoAnswer,
                Cat::NoAnswer,
            ),
            // SIP 408/480: nobody answered, not an error.
            (
                "call.in-progress.error-providerfault-outbound-sip-408-request-timeout",
                St::NoAnswer,
                Cat::NoAnswer,
            ),
            (
                "call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable",
                St::NoAnswer,
                Cat::NoAnswer,
            ),
            ("customer-busy", St::Busy, Cat::Busy),
            (
                "call.in-progress.error-providerfault-outbound-sip-486-busy-here",
                St::Busy,
                Cat::Busy,
            ),
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
            // Failed transfers: the forward's target was busy or did not answer, or the
            // transfer failed; the customer had spoken to the assistant.
            (
                "call.forwarding.operator-busy",
                St::Completed,
                Cat::TransferFailed,
            ),
            (
                "call.forwarding.no-answer",
                St::Completed,
                Cat::TransferFailed,
            ),
            (
                "call.in-progress.error-transfer-failed",
                St::Completed,
                Cat::TransferFailed,
            ),
            (
                "call.in-progress.error-warm-transfer-max-duration",
                St::Completed,
                Cat::TransferFailed,
            ),
            (
                "call.in-progress.error-warm-transfer-sip-480-temporarily-unavailable",
                St::Completed,
                Cat::TransferFailed,
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
            // Deleting a call is not canceling it.
            ("call-deleted", St::Completed, Cat::Other),
            ("pipeline-error-openai-voice-failed", St::Failed, Cat::Error),
            (
                "pipeline-error-eleven-labs-voice-failed",
                St::Failed,
                Cat::Error,
            ),
            (
                "pipeline-error-deepgram-returning-econnreset",
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
                "call.in-progress.error-providerfault-outbound-sip-403-forbidden",
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
                "assistant-request-returned-unspeakable-error",
                St::Failed,
                Cat::Error,
            ),
            (
                "assistant-request-returned-invalid-assistant",
                St::Failed,
                Cat::Error,
            ),
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
            ("assistant-join-timed-out", St::Failed, Cat::Error),
            // 2024 values no longer in the enum.
            ("assistant-error", St::Failed, Cat::Error),
            ("assistant-not-provided", St::Failed, Cat::Error),
            ("assistant-not-invalid", St::Failed, Cat::Error),
            ("db-error", St::Failed, Cat::Error),
            ("no-server-available", St::Failed, Cat::Error),
            ("license-check-failed", St::Failed, Cat::Error),
            ("worker-shutdown", St::Failed, Cat::Error),
            ("unknown-error", St::Failed, Cat::Error),
            ("pipeline-no-available-model", St::Failed, Cat::Error),
            (
                "vapifault-transport-never-connected",
                St::Failed,
                Cat::Error,
            ),
            (
                "vapifault-phone-call-worker-could-not-find-call",
                St::Failed,
                Cat::Error,
            ),
            ("server-shutdown", St::Failed, Cat::Error),
            ("twilio-closed-websocket", St::Failed, Cat::Error),
            (
                "assistant-said-message-with-end-call-enabled",
                St::Completed,
                Cat::AgentEnded,
            ),
            // An abrupt drop, like `worker-shutdown`: not a normal completion.
            (
                "phone-call-provider-closed-websocket",
                St::Failed,
                Cat::Error,
            ),
            ("twilio-reported-customer-misdialed", St::Failed, Cat::Error),
            ("vonage-rejected", St::Failed, Cat::Error),
            (
                "phone-call-provider-bypass-enabled-but-no-call-received",
                St::Failed,
                Cat::Error,
            ),
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
            ("call.ending.hook-executed-say", St::Completed, Cat::Other),
            // Undocumented values land with their family, or in `Other`.
            ("some-reason-from-2027", St::Completed, Cat::Other),
            ("transfer-error-from-2027", St::Completed, Cat::Other),
            (
                "call.in-progress.error-some-future-reason-2027",
                St::Failed,
                Cat::Error,
            ),
            ("call.start.some-check-from-2027", St::Failed, Cat::Error),
            (
                "customer-ended-call-some-variant-2027",
                St::Completed,
                Cat::CustomerHungUp,
            ),
            (
                "assistant-ended-call-some-variant-2027",
                St::Completed,
                Cat::AgentEnded,
            ),
            (
                "assistant-request-returned-some-variant-2027",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.forwarding.some-outcome-2027",
                St::Completed,
                Cat::Other,
            ),
            ("call.", St::Completed, Cat::Other),
        ];
        for (reason, expected_status, expected_category) in cases {
            let (got, end) = status_of(Some(&Status::Ended), Some(reason), false);
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
        let (got, end) = status_of(None, Some("customer-busy"), false);
        assert_eq!(got, St::Busy);
        assert_eq!(end.unwrap().category, Cat::Busy);
        // An unknown status stays unknown; the reason is still reported.
        let (got, end) = status_of(
            Some(&status("archived")),
            Some("call.in-progress.error-x"),
            false,
        );
        assert_eq!(got, St::Unknown);
        assert_eq!(end.unwrap().category, Cat::Error);
        // A failed delete of an ended call keeps the call's outcome; a lost call has failed.
        let (got, end) = status_of(Some(&Status::DeletionFailed), Some("voicemail"), false);
        assert_eq!(
            (got, end.unwrap().category),
            (St::Voicemail, Cat::Voicemail)
        );
        let (got, end) = status_of(Some(&Status::NotFound), Some("customer-ended-call"), false);
        assert_eq!(
            (got, end.unwrap().category),
            (St::Failed, Cat::CustomerHungUp)
        );
        // A forward in progress stays live even with a reason already set.
        let (got, _) = status_of(
            Some(&Status::Forwarding),
            Some("assistant-forwarded-call"),
            false,
        );
        assert_eq!(got, St::InProgress);
        // An empty reason is no reason.
        assert_eq!(
            status_of(Some(&Status::Ended), Some(""), false),
            (St::Completed, None)
        );
    }
}
