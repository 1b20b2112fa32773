//! The status table: Rounded `status` (and `answer_type`) → normalized status and reason.

use voiceport_core::{CallStatus, EndReason, EndReasonCategory};

use crate::wire;

/// Rounded `status` and `answer_type` → normalized status and end reason.
///
/// Only `created` and `completed` are documented (reference §3.4); **every other status
/// value below is inferred** from common vendor vocabularies and kept so that a real value
/// lands in the right place the day it shows up. Unknown values map to
/// [`CallStatus::Unknown`]; the caller keeps the vendor string in `vendor_status`.
///
/// Rounded documents no end reason. The only reasons given are:
/// * `failed` / `error` → [`EndReasonCategory::Error`] (vendor string: the status);
/// * a `completed` call whose `answer_type` is `voicemail` / `machine` /
///   `answering_machine` (inferred values) → status [`CallStatus::Voicemail`], reason
///   [`EndReasonCategory::Voicemail`] (vendor string: the answer type).
///
/// `answer_type: human` adds nothing; other answer types are kept only in the payload.
pub(crate) fn status_of(
    status: Option<&wire::CallStatus>,
    answer_type: Option<&wire::AnswerType>,
) -> (CallStatus, Option<EndReason>) {
    use wire::CallStatus as S;
    let Some(status) = status else {
        return (CallStatus::Unknown, None);
    };
    let normalized = match status {
        S::Created | S::Queued => CallStatus::Queued,
        S::Ringing => CallStatus::Ringing,
        S::InProgress | S::Ongoing | S::Active => CallStatus::InProgress,
        S::Transferred => CallStatus::Transferred,
        S::Completed | S::Ended => CallStatus::Completed,
        S::Failed | S::Error => {
            let reason = EndReason::new(EndReasonCategory::Error, Some(status.as_str().to_owned()));
            return (CallStatus::Failed, Some(reason));
        }
        S::NoAnswer | S::NotAnswered => CallStatus::NoAnswer,
        S::Busy => CallStatus::Busy,
        S::Canceled | S::Cancelled => CallStatus::Canceled,
        S::Other(_) => CallStatus::Unknown,
    };
    use wire::AnswerType as A;
    match answer_type {
        Some(answer @ (A::Voicemail | A::Machine | A::AnsweringMachine))
            if normalized == CallStatus::Completed =>
        {
            let vendor = Some(answer.as_str().to_owned());
            let reason = EndReason::new(EndReasonCategory::Voicemail, vendor);
            (CallStatus::Voicemail, Some(reason))
        }
        _ => (normalized, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(text: &str, answer: Option<&str>) -> (CallStatus, Option<EndReason>) {
        status_of(
            Some(&wire::CallStatus::parse(text)),
            answer.map(wire::AnswerType::parse).as_ref(),
        )
    }

    #[test]
    fn status_table_covers_every_known_value_and_unknown() {
        let table = [
            ("created", CallStatus::Queued),
            ("queued", CallStatus::Queued),
            ("ringing", CallStatus::Ringing),
            ("in_progress", CallStatus::InProgress),
            ("ongoing", CallStatus::InProgress),
            ("active", CallStatus::InProgress),
            ("transferred", CallStatus::Transferred),
            ("completed", CallStatus::Completed),
            ("ended", CallStatus::Completed),
            ("failed", CallStatus::Failed),
            ("error", CallStatus::Failed),
            ("no_answer", CallStatus::NoAnswer),
            ("not_answered", CallStatus::NoAnswer),
            ("busy", CallStatus::Busy),
            ("canceled", CallStatus::Canceled),
            ("cancelled", CallStatus::Canceled),
            ("transferring", CallStatus::Unknown),
            ("", CallStatus::Unknown),
        ];
        for (text, expected) in table {
            let (normalized, reason) = status(text, None);
            assert_eq!(normalized, expected, "{text}");
            if expected == CallStatus::Failed {
                assert_eq!(
                    reason,
                    Some(EndReason::new(
                        EndReasonCategory::Error,
                        Some(text.to_owned())
                    ))
                );
            } else {
                assert_eq!(reason, None, "{text}");
            }
        }
        assert_eq!(status_of(None, None), (CallStatus::Unknown, None));
    }

    #[test]
    fn machine_answer_on_completed_call_is_voicemail() {
        for answer in ["voicemail", "machine", "answering_machine"] {
            let (normalized, reason) = status("completed", Some(answer));
            assert_eq!(normalized, CallStatus::Voicemail, "{answer}");
            assert_eq!(
                reason,
                Some(EndReason::new(
                    EndReasonCategory::Voicemail,
                    Some(answer.to_owned())
                ))
            );
        }
        assert_eq!(
            status("completed", Some("human")),
            (CallStatus::Completed, None)
        );
        assert_eq!(
            status("completed", Some("fax_machine")),
            (CallStatus::Completed, None)
        );
        // Only a completed call becomes voicemail.
        assert_eq!(
            status("in_progress", Some("voicemail")),
            (CallStatus::InProgress, None)
        );
        assert_eq!(status("failed", Some("voicemail")).0, CallStatus::Failed);
    }
}
