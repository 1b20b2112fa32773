//! The status table, both ways: a vendor status → the normalized status and end reason
//! ([`status_of`]), and a normalized status → the vendor statuses a filter asks for
//! ([`vendor_statuses`]).

use voiceport_core::{CallStatus, EndReason, EndReasonCategory};

use crate::wire::{SessionStatus, Status};

/// A vendor status (either generation) → the normalized status and, for calls that ended
/// without a normal conversation, the end-reason category.
///
/// | vendor status | status | end reason |
/// | --- | --- | --- |
/// | `Scheduled` | scheduled | – |
/// | `Queued` | queued | – |
/// | `Initiated` | ringing | – |
/// | `Ringing` | ringing | – |
/// | `In progress` | in_progress | – |
/// | `Transferred` | transferred | transferred |
/// | `Completed` | completed | – |
/// | `AMD Terminated` | voicemail | voicemail |
/// | `Busy` | busy | busy |
/// | `No answer` | no_answer | no_answer |
/// | `Canceled` | canceled | canceled |
/// | `Failed` | failed | error |
/// | `Dialing` (older) | ringing | – |
/// | `Connected` (older) | in_progress | – |
/// | `Ended` (older) | completed | – |
/// | `Missed` (older) | no_answer | no_answer |
/// | `Abandoned` (older) | no_answer | no_answer (the caller hung up before it was answered) |
/// | anything else | unknown | – |
///
/// `Abandoned` lands where Voicebot Studio puts a caller who hung up before the call
/// connected: nobody answered, and no conversation took place (not `canceled`, since no
/// one canceled it, nor `customer_hung_up`, which reads as a caller leaving a
/// conversation). A `Completed` call with a `transfer_contact_email` gets a `transferred`
/// end reason ([`status_of`]).
pub(crate) fn category_of(status: &Status) -> (CallStatus, Option<EndReasonCategory>) {
    use EndReasonCategory as R;
    use Status as S;
    match status {
        S::Scheduled => (CallStatus::Scheduled, None),
        S::Queued => (CallStatus::Queued, None),
        S::Initiated | S::Ringing | S::Dialing => (CallStatus::Ringing, None),
        S::InProgress | S::Connected => (CallStatus::InProgress, None),
        S::Transferred => (CallStatus::Transferred, Some(R::Transferred)),
        S::Completed | S::Ended => (CallStatus::Completed, None),
        S::AmdTerminated => (CallStatus::Voicemail, Some(R::Voicemail)),
        S::Busy => (CallStatus::Busy, Some(R::Busy)),
        S::NoAnswer | S::Missed | S::Abandoned => (CallStatus::NoAnswer, Some(R::NoAnswer)),
        S::Canceled => (CallStatus::Canceled, Some(R::Canceled)),
        S::Failed => (CallStatus::Failed, Some(R::Error)),
        S::Other(_) => (CallStatus::Unknown, None),
    }
}

/// A call's status and end reason: [`category_of`]'s, the vendor status kept as the
/// reason's string; and a call that ended normally but names the contact it was handed to
/// (`transfer_contact_email`) ended in a transfer, with no reason string (the vendor gave
/// none).
pub(crate) fn status_of(
    status: &Status,
    transfer_contact: Option<&str>,
) -> (CallStatus, Option<EndReason>) {
    let (normalized, reason) = category_of(status);
    let ended_normally = matches!(status, Status::Completed | Status::Ended);
    if ended_normally && transfer_contact.is_some_and(|email| !email.trim().is_empty()) {
        let transferred = EndReason::new(EndReasonCategory::Transferred, None);
        return (normalized, Some(transferred));
    }
    let vendor = || Some(status.as_str().to_owned());
    (
        normalized,
        reason.map(|category| EndReason::new(category, vendor())),
    )
}

/// A session status of the current platform's CloudEvents webhooks → the normalized status
/// and end-reason category, in the same terms as [`category_of`].
///
/// | session status | status | end reason |
/// | --- | --- | --- |
/// | `queued` | queued | – |
/// | `in-progress` | in_progress | – |
/// | `completed` | completed | – |
/// | `busy` | busy | busy |
/// | `missed` | no_answer | no_answer |
/// | `canceled` | canceled | canceled |
/// | `failed` | failed | error |
/// | `voicemail` | voicemail | voicemail |
/// | anything else | unknown | – |
pub(crate) fn session_status_of(status: &SessionStatus) -> (CallStatus, Option<EndReasonCategory>) {
    use EndReasonCategory as R;
    use SessionStatus as S;
    match status {
        S::Queued => (CallStatus::Queued, None),
        S::InProgress => (CallStatus::InProgress, None),
        S::Completed => (CallStatus::Completed, None),
        S::Busy => (CallStatus::Busy, Some(R::Busy)),
        S::Missed => (CallStatus::NoAnswer, Some(R::NoAnswer)),
        S::Canceled => (CallStatus::Canceled, Some(R::Canceled)),
        S::Failed => (CallStatus::Failed, Some(R::Error)),
        S::Voicemail => (CallStatus::Voicemail, Some(R::Voicemail)),
        S::Other(_) => (CallStatus::Unknown, None),
    }
}

/// The current-generation vendor statuses that mean `status` (for the `statuses` list
/// filter). Empty for [`CallStatus::Unknown`], which no vendor value is.
pub(crate) fn vendor_statuses(status: CallStatus) -> &'static [&'static str] {
    match status {
        CallStatus::Scheduled => &["Scheduled"],
        CallStatus::Queued => &["Queued"],
        CallStatus::Ringing => &["Initiated", "Ringing"],
        CallStatus::InProgress => &["In progress"],
        CallStatus::Transferred => &["Transferred"],
        CallStatus::Completed => &["Completed"],
        CallStatus::NoAnswer => &["No answer"],
        CallStatus::Busy => &["Busy"],
        CallStatus::Voicemail => &["AMD Terminated"],
        CallStatus::Canceled => &["Canceled"],
        CallStatus::Failed => &["Failed"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::{Codec, EndReason};

    #[test]
    fn status_table_covers_every_known_value() {
        use CallStatus as C;
        use EndReasonCategory as R;
        let cases: [(&str, CallStatus, Option<EndReasonCategory>); 18] = [
            ("Scheduled", C::Scheduled, None),
            ("Queued", C::Queued, None),
            ("Initiated", C::Ringing, None),
            ("Ringing", C::Ringing, None),
            ("In progress", C::InProgress, None),
            ("Transferred", C::Transferred, Some(R::Transferred)),
            ("Completed", C::Completed, None),
            ("AMD Terminated", C::Voicemail, Some(R::Voicemail)),
            ("Busy", C::Busy, Some(R::Busy)),
            ("No answer", C::NoAnswer, Some(R::NoAnswer)),
            ("Canceled", C::Canceled, Some(R::Canceled)),
            ("Failed", C::Failed, Some(R::Error)),
            ("Dialing", C::Ringing, None),
            ("Connected", C::InProgress, None),
            ("Ended", C::Completed, None),
            ("Missed", C::NoAnswer, Some(R::NoAnswer)),
            ("Abandoned", C::NoAnswer, Some(R::NoAnswer)),
            ("Voicemail left", C::Unknown, None),
        ];
        for (vendor, status, reason) in cases {
            let parsed = Status::parse(vendor);
            assert_eq!(parsed.is_known(), status != C::Unknown, "{vendor}");
            assert_eq!(category_of(&parsed), (status, reason), "{vendor}");
            let body = json!({"id": "a", "status": vendor}).to_string();
            let call = crate::HappyRobotCodec.decode_call(body.as_bytes()).unwrap();
            assert_eq!(call.status, status, "{vendor}");
            assert_eq!(call.vendor_status.as_deref(), Some(vendor));
            assert_eq!(
                call.end_reason,
                reason.map(|r| EndReason::new(r, Some(vendor.to_owned())))
            );
        }
    }

    #[test]
    fn session_statuses_match_the_call_statuses_of_the_same_meaning() {
        use CallStatus as C;
        use EndReasonCategory as R;
        let cases: [(&str, CallStatus, Option<EndReasonCategory>, &str); 9] = [
            ("queued", C::Queued, None, "Queued"),
            ("in-progress", C::InProgress, None, "In progress"),
            ("completed", C::Completed, None, "Completed"),
            ("busy", C::Busy, Some(R::Busy), "Busy"),
            ("missed", C::NoAnswer, Some(R::NoAnswer), "Missed"),
            ("canceled", C::Canceled, Some(R::Canceled), "Canceled"),
            ("failed", C::Failed, Some(R::Error), "Failed"),
            (
                "voicemail",
                C::Voicemail,
                Some(R::Voicemail),
                "AMD Terminated",
            ),
            ("ringing", C::Unknown, None, "Voicemail left"),
        ];
        for (session, status, reason, call_status) in cases {
            let parsed = SessionStatus::parse(session);
            assert_eq!(parsed.is_known(), status != C::Unknown, "{session}");
            assert_eq!(session_status_of(&parsed), (status, reason), "{session}");
            // The same outcome reads the same whichever generation reports it.
            assert_eq!(
                session_status_of(&parsed),
                category_of(&Status::parse(call_status)),
                "{session} / {call_status}"
            );
        }
    }

    #[test]
    fn abandoned_is_an_unanswered_call_like_missed() {
        // Voicebot Studio gives `call.ringing.sip-inbound-caller-hungup-before-call-connect`
        // (a caller who hung up before the call connected) no_answer / no_answer too.
        assert_eq!(
            category_of(&Status::parse("Abandoned")),
            category_of(&Status::parse("Missed"))
        );
        assert_eq!(
            category_of(&Status::parse("Abandoned")),
            (CallStatus::NoAnswer, Some(EndReasonCategory::NoAnswer))
        );
    }

    #[test]
    fn every_normalized_status_but_unknown_has_vendor_values_that_map_back() {
        for &status in CallStatus::ALL {
            let values = vendor_statuses(status);
            assert_eq!(values.is_empty(), status == CallStatus::Unknown, "{status}");
            for value in values {
                assert_eq!(category_of(&Status::parse(value)).0, status, "{value}");
            }
        }
    }
}
