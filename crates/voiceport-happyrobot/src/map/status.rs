//! THE status table, both ways.

use voiceport_core::{CallStatus, EndReasonCategory};

use crate::wire::Status;

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
/// | `Abandoned` (older) | canceled | customer_hung_up (the caller hung up before it was answered) |
/// | anything else | unknown | – |
pub(crate) fn status_of(status: &Status) -> (CallStatus, Option<EndReasonCategory>) {
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
        S::NoAnswer | S::Missed => (CallStatus::NoAnswer, Some(R::NoAnswer)),
        S::Canceled => (CallStatus::Canceled, Some(R::Canceled)),
        S::Failed => (CallStatus::Failed, Some(R::Error)),
        S::Abandoned => (CallStatus::Canceled, Some(R::CustomerHungUp)),
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
            ("Abandoned", C::Canceled, Some(R::CustomerHungUp)),
            ("Voicemail left", C::Unknown, None),
        ];
        for (vendor, status, reason) in cases {
            let parsed = Status::parse(vendor);
            assert_eq!(parsed.is_known(), status != C::Unknown, "{vendor}");
            assert_eq!(status_of(&parsed), (status, reason), "{vendor}");
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
    fn every_normalized_status_but_unknown_has_vendor_values_that_map_back() {
        for status in CallStatus::ALL {
            let values = vendor_statuses(status);
            assert_eq!(values.is_empty(), status == CallStatus::Unknown, "{status}");
            for value in values {
                assert_eq!(status_of(&Status::parse(value)).0, status, "{value}");
            }
        }
    }
}
