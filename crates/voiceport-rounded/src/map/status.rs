//! The status table: Rounded `status`, `answer_type` and redirect → normalized status and reason.

use voiceport_core::{CallStatus, EndReason, EndReasonCategory};

use crate::wire;

/// What a Rounded call says about its state: the fields the status table reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StatusFields<'a> {
    pub(crate) status: Option<&'a wire::CallStatus>,
    pub(crate) answer_type: Option<&'a wire::AnswerType>,
    /// `redirect_duration_seconds`.
    pub(crate) redirect_secs: Option<f64>,
}

/// Rounded `status`, `answer_type` and `redirect_duration_seconds` → normalized status and
/// end reason.
///
/// Only `created` and `completed` are documented (docs/vendors/rounded.md); **every other status
/// value below is inferred** from common vendor vocabularies and kept so that a real value
/// lands in the right place the day it shows up. Unknown values map to
/// [`CallStatus::Unknown`]; the caller keeps the vendor string in `vendor_status`.
///
/// Rounded documents no end reason, so the reason is read from what the call does say:
/// * a terminal status that names its own cause: `transferred` → transferred, `failed` /
///   `error` → error, `no_answer` / `not_answered` → no answer, `busy` → busy,
///   `canceled` / `cancelled` → canceled (vendor string: the status);
/// * a `completed` (or `ended`) call, first by `answer_type`: a machine (`voicemail`,
///   `machine`, `answering_machine`, any `machine_…`) makes it [`CallStatus::Voicemail`]
///   with reason voicemail (vendor string: the answer type);
/// * then by `redirect_duration_seconds`: above zero, the call was handed over to another
///   party, so its reason is transferred (no vendor string: Rounded gives none). The status
///   stays completed: Rounded says so, and what the field means is inferred from its name
///   (Rounded's own example of a call has 5 seconds of it on an ordinary completed call),
///   so the guess colours the reason and never overrides the documented status (a
///   listing filtered on completed calls keeps the call);
/// * then any answer type other than `human` (`fax`, `unknown` …) is kept as reason
///   [`EndReasonCategory::Other`] with the answer type as vendor string, the status staying
///   completed;
/// * a human answer, or none, adds no reason.
///
/// Live statuses get no reason, whatever the answer type or redirect says so far: the call
/// may still change.
pub(crate) fn status_of(fields: StatusFields<'_>) -> (CallStatus, Option<EndReason>) {
    use EndReasonCategory as R;
    use wire::CallStatus as S;
    let Some(status) = fields.status else {
        return (CallStatus::Unknown, None);
    };
    let own = |category| Some(EndReason::new(category, Some(status.as_str().to_owned())));
    match status {
        S::Created | S::Queued => (CallStatus::Queued, None),
        S::Ringing => (CallStatus::Ringing, None),
        S::InProgress | S::Ongoing | S::Active => (CallStatus::InProgress, None),
        S::Transferred => (CallStatus::Transferred, own(R::Transferred)),
        S::Completed | S::Ended => completed(fields.answer_type, fields.redirect_secs),
        S::Failed | S::Error => (CallStatus::Failed, own(R::Error)),
        S::NoAnswer | S::NotAnswered => (CallStatus::NoAnswer, own(R::NoAnswer)),
        S::Busy => (CallStatus::Busy, own(R::Busy)),
        S::Canceled | S::Cancelled => (CallStatus::Canceled, own(R::Canceled)),
        S::Other(_) => (CallStatus::Unknown, None),
    }
}

/// A call that ended after being answered: who answered, and whether it was redirected.
fn completed(
    answer_type: Option<&wire::AnswerType>,
    redirect_secs: Option<f64>,
) -> (CallStatus, Option<EndReason>) {
    let answer = answer_type.map(wire::AnswerType::as_str);
    let vendor = || answer.map(str::to_owned);
    if answer.is_some_and(is_machine) {
        let reason = EndReason::new(EndReasonCategory::Voicemail, vendor());
        return (CallStatus::Voicemail, Some(reason));
    }
    if redirect_secs.is_some_and(|secs| secs > 0.0) {
        let reason = EndReason::new(EndReasonCategory::Transferred, None);
        return (CallStatus::Completed, Some(reason));
    }
    // A human read as machines are: whatever the case, spaces around.
    match answer
        .map(|answer| answer.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("human" | "") => (CallStatus::Completed, None),
        Some(_) => {
            let reason = EndReason::new(EndReasonCategory::Other, vendor());
            (CallStatus::Completed, Some(reason))
        }
    }
}

/// Whether an `answer_type` says a machine picked up: `voicemail`, `machine`,
/// `answering_machine`, the `machine_…` family of answering-machine detection
/// (`machine_start`, `machine_end_beep` …), and a phone menu (`ivr`: no person reached, as
/// Retell's `ivr_reached` reads). A fax is not one: nothing could be left on it.
fn is_machine(answer: &str) -> bool {
    let answer = answer.trim().to_ascii_lowercase();
    answer.starts_with("machine")
        || answer.contains("voicemail")
        || answer == "answering_machine"
        || answer == "ivr"
        || answer.starts_with("ivr_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(text: &str, answer: Option<&str>) -> (CallStatus, Option<EndReason>) {
        status_with(text, answer, None)
    }

    fn status_with(
        text: &str,
        answer: Option<&str>,
        redirect_secs: Option<f64>,
    ) -> (CallStatus, Option<EndReason>) {
        let answer = answer.map(wire::AnswerType::parse);
        status_of(StatusFields {
            status: Some(&wire::CallStatus::parse(text)),
            answer_type: answer.as_ref(),
            redirect_secs,
        })
    }

    fn reason(category: EndReasonCategory, vendor: Option<&str>) -> Option<EndReason> {
        Some(EndReason::new(category, vendor.map(str::to_owned)))
    }

    #[test]
    fn status_table_covers_every_known_value_and_unknown() {
        use EndReasonCategory as R;
        let table = [
            ("created", CallStatus::Queued, None),
            ("queued", CallStatus::Queued, None),
            ("ringing", CallStatus::Ringing, None),
            ("in_progress", CallStatus::InProgress, None),
            ("ongoing", CallStatus::InProgress, None),
            ("active", CallStatus::InProgress, None),
            ("transferred", CallStatus::Transferred, Some(R::Transferred)),
            ("completed", CallStatus::Completed, None),
            ("ended", CallStatus::Completed, None),
            ("failed", CallStatus::Failed, Some(R::Error)),
            ("error", CallStatus::Failed, Some(R::Error)),
            ("no_answer", CallStatus::NoAnswer, Some(R::NoAnswer)),
            ("not_answered", CallStatus::NoAnswer, Some(R::NoAnswer)),
            ("busy", CallStatus::Busy, Some(R::Busy)),
            ("canceled", CallStatus::Canceled, Some(R::Canceled)),
            ("cancelled", CallStatus::Canceled, Some(R::Canceled)),
            ("transferring", CallStatus::Unknown, None),
            ("", CallStatus::Unknown, None),
        ];
        for (text, expected, category) in table {
            let (normalized, got) = status(text, None);
            assert_eq!(normalized, expected, "{text}");
            // A reason derived from the status keeps the status as its vendor string.
            assert_eq!(got, category.and_then(|c| reason(c, Some(text))), "{text}");
        }
        assert_eq!(
            status_of(StatusFields::default()),
            (CallStatus::Unknown, None)
        );
    }

    #[test]
    fn machine_answer_on_completed_call_is_voicemail() {
        let machines = [
            "voicemail",
            "machine",
            "answering_machine",
            "machine_start",
            "machine_end_beep",
            "Machine_End_Silence",
        ];
        for answer in machines {
            let (normalized, got) = status("completed", Some(answer));
            assert_eq!(normalized, CallStatus::Voicemail, "{answer}");
            assert_eq!(got, reason(EndReasonCategory::Voicemail, Some(answer)));
        }
        // A human, however written (as machines are read), is no reason.
        for human in ["human", "Human", " HUMAN ", "", " "] {
            assert_eq!(
                status("completed", Some(human)),
                (CallStatus::Completed, None),
                "{human:?}"
            );
        }
        // Only an ended call becomes voicemail.
        assert_eq!(
            status("in_progress", Some("voicemail")),
            (CallStatus::InProgress, None)
        );
        assert_eq!(status("failed", Some("voicemail")).0, CallStatus::Failed);
        assert_eq!(status("ended", Some("voicemail")).0, CallStatus::Voicemail);
        // A phone menu answered: no person reached, a machine as for Retell.
        for ivr in ["ivr", " IVR ", "ivr_detected"] {
            assert_eq!(
                status("completed", Some(ivr)),
                (
                    CallStatus::Voicemail,
                    reason(EndReasonCategory::Voicemail, Some(ivr))
                ),
                "{ivr}"
            );
        }
    }

    #[test]
    fn other_answer_types_are_kept_as_the_reason() {
        for answer in ["fax", "fax_machine", "unknown", "ivrs"] {
            assert_eq!(
                status("completed", Some(answer)),
                (
                    CallStatus::Completed,
                    reason(EndReasonCategory::Other, Some(answer))
                ),
                "{answer}"
            );
        }
        // Not on a live call, and not over a status that names its own reason.
        assert_eq!(
            status("in_progress", Some("fax")),
            (CallStatus::InProgress, None)
        );
        assert_eq!(
            status("busy", Some("fax")),
            (
                CallStatus::Busy,
                reason(EndReasonCategory::Busy, Some("busy"))
            )
        );
    }

    #[test]
    fn a_redirect_on_an_ended_call_ends_it_in_a_transfer_and_keeps_it_completed() {
        // The status Rounded gave stays: the redirect's meaning is a guess (module docs).
        let transferred = (
            CallStatus::Completed,
            reason(EndReasonCategory::Transferred, None),
        );
        assert_eq!(
            status_with("completed", Some("human"), Some(41.0)),
            transferred
        );
        assert_eq!(status_with("ended", None, Some(0.5)), transferred);
        // A redirect answered by a person but ended otherwise: the redirect wins over an
        // unknown answer type, a machine wins over the redirect.
        assert_eq!(
            status_with("completed", Some("unknown"), Some(3.0)),
            transferred
        );
        assert_eq!(
            status_with("completed", Some("voicemail"), Some(3.0)).0,
            CallStatus::Voicemail
        );
        // No redirect, a zero, a negative or a missing value: no transfer.
        for redirect in [None, Some(0.0), Some(-1.0)] {
            assert_eq!(
                status_with("completed", Some("human"), redirect),
                (CallStatus::Completed, None),
                "{redirect:?}"
            );
        }
        // A live call being redirected is still live: it has not ended yet.
        assert_eq!(
            status_with("in_progress", Some("human"), Some(12.0)),
            (CallStatus::InProgress, None)
        );
        assert_eq!(
            status_with("failed", None, Some(12.0)).0,
            CallStatus::Failed
        );
    }
}
