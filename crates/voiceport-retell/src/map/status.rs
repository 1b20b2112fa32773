//! The status table: Retell `call_status` and `disconnection_reason` → normalized status
//! and end reason. `docs/vendors/retell.md` has it as a table.

use voiceport_core::{CallStatus, EndReason, EndReasonCategory};

use crate::wire;

/// What a Retell call says about its state: the fields the status table reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StatusFields<'a> {
    pub(crate) status: Option<&'a wire::CallStatus>,
    /// `disconnection_reason`, verbatim.
    pub(crate) reason: Option<&'a str>,
    /// `call_analysis.in_voicemail`.
    pub(crate) in_voicemail: bool,
}

/// `call_status`, `disconnection_reason` and `call_analysis.in_voicemail` → normalized
/// status and end reason (the vendor string of the reason is `disconnection_reason`).
///
/// * `registered` (id issued, not connected yet) is [`CallStatus::Queued`], `ongoing`
///   [`CallStatus::InProgress`]; live calls carry no end reason. A live status beside a
///   `disconnection_reason` is read as `ended`: the call is over whatever its status says
///   (a webhook's call may carry a status older than its reason), and reading it as live
///   would keep a waiter polling a call that has ended. `vendor_status` still says
///   what Retell sent.
/// * `ended`: the status and category come from the reason's family ([`by_end_reason`]);
///   without a reason it is [`CallStatus::Completed`]. A completed call whose analysis says
///   `in_voicemail` is [`CallStatus::Voicemail`], whatever hung up: the agent talked to a
///   machine.
/// * `not_connected` (an outbound call that never connected): the reason's status when it
///   is one a call can end in without connecting (busy, no answer, failed, voicemail); a
///   reason that implies a conversation (`user_hangup` before the callee picked up …) or no
///   reason at all is [`CallStatus::NoAnswer`], and `manual_stopped` is
///   [`CallStatus::Canceled`].
/// * `error` is [`CallStatus::Failed`], with the reason's category when there is one, else
///   [`EndReasonCategory::Error`].
/// * An unknown `call_status` is [`CallStatus::Unknown`] (the caller keeps the string in
///   `vendor_status`), with the reason's end reason if any. No `call_status` at all (a
///   webhook's partial call) is read from the reason alone.
pub(crate) fn status_of(fields: StatusFields<'_>) -> (CallStatus, Option<EndReason>) {
    use wire::CallStatus as S;
    let reason = fields.reason.filter(|r| !r.trim().is_empty());
    let family = reason.map(by_end_reason);
    let end_reason = |category| Some(EndReason::new(category, reason.map(str::to_owned)));
    let given = family.and_then(|(_, category)| end_reason(category));
    let over = reason.is_some();
    match fields.status {
        Some(S::Registered) if !over => (CallStatus::Queued, None),
        Some(S::Ongoing) if !over => (CallStatus::InProgress, None),
        Some(S::Ended | S::Registered | S::Ongoing) => {
            let status = family.map_or(CallStatus::Completed, |(status, _)| status);
            if status == CallStatus::Completed && fields.in_voicemail {
                return (
                    CallStatus::Voicemail,
                    end_reason(EndReasonCategory::Voicemail),
                );
            }
            (status, given)
        }
        Some(S::NotConnected) => {
            let status = match family {
                Some((CallStatus::Completed, EndReasonCategory::Canceled)) => CallStatus::Canceled,
                Some((CallStatus::Completed | CallStatus::Transferred, _)) | None => {
                    CallStatus::NoAnswer
                }
                Some((status, _)) => status,
            };
            (status, given)
        }
        Some(S::Error) => (
            CallStatus::Failed,
            given.or_else(|| end_reason(EndReasonCategory::Error)),
        ),
        Some(S::Other(_)) => (CallStatus::Unknown, given),
        None => (family.map_or(CallStatus::Unknown, |(s, _)| s), given),
    }
}

/// The `call_status` values a listing can ask Retell for so that every call with one of
/// `statuses` comes back (a superset: `map::page` checks each call again). `None` where
/// one of them may come of a value Retell's list does not filter on (`registered`, an
/// unknown one) or of many (`completed` comes of `ended` and of live statuses beside a
/// reason): the statuses are then checked on this side only, as they are where none is
/// asked for. An empty list: no Retell call reads as any of them.
///
/// Only two are worth asking for: `in_progress` (`ongoing`, the live calls, a few among
/// many) and `canceled` (`not_connected` stopped before it connected).
pub(crate) fn call_statuses_for(statuses: &[CallStatus]) -> Option<Vec<&'static str>> {
    if statuses.is_empty() {
        return None;
    }
    let mut asked: Vec<&'static str> = Vec::new();
    for status in statuses {
        let values: &[&'static str] = match status {
            CallStatus::InProgress => &["ongoing"],
            CallStatus::Canceled => &["not_connected"],
            // Retell has no scheduled calls, and does not tell a ringing call apart.
            CallStatus::Scheduled | CallStatus::Ringing => &[],
            _ => return None,
        };
        for value in values {
            if !asked.contains(value) {
                asked.push(value);
            }
        }
    }
    Some(asked)
}

/// What a `disconnection_reason` says: the status of an `ended` call with it, and the
/// reason's category. Matched by value, then by the `error_` family, so that an error value
/// added after this table lands with its family; anything else is `Completed` / `Other`.
///
/// Values no longer in Retell's SDK but possibly on old calls are kept: `machine_detected`
/// (a voicemail), and `error_twilio`, `error_inbound_webhook`,
/// `error_frontend_corrupted_payload` (the `error_` family).
fn by_end_reason(reason: &str) -> (CallStatus, EndReasonCategory) {
    use CallStatus as St;
    use EndReasonCategory as Cat;
    match reason.trim() {
        "user_hangup" => (St::Completed, Cat::CustomerHungUp),
        "agent_hangup" => (St::Completed, Cat::AgentEnded),
        // Handed over: to a number (`call_transfer`, `transfer_bridged`), or to a person
        // taking over from the agent (`call_take_over`).
        "call_transfer" | "transfer_bridged" | "call_take_over" => {
            (St::Transferred, Cat::Transferred)
        }
        // The transfer did not happen; the conversation had.
        "transfer_cancelled" => (St::Completed, Cat::TransferFailed),
        // A machine answered, no person: a voicemail, "a voicemail or similar" (what
        // `machine_detected` was), or a phone menu (`ivr_reached`: Retell's table of
        // reasons says the agent hangs up on one, as it may on a voicemail).
        "voicemail_reached" | "machine_detected" | "ivr_reached" => {
            (St::Voicemail, Cat::Voicemail)
        }
        "inactivity" => (St::Completed, Cat::Silence),
        "max_duration_reached" => (St::Completed, Cat::MaxDuration),
        // Stopped through the API (`stop-call`) or, we take it, the dashboard.
        "manual_stopped" => (St::Completed, Cat::Canceled),
        "dial_busy" => (St::Busy, Cat::Busy),
        "dial_no_answer" | "user_declined" | "registered_call_timeout" => {
            (St::NoAnswer, Cat::NoAnswer)
        }
        // The call could not be placed: the carrier, the number, or the account's limits.
        "dial_failed"
        | "invalid_destination"
        | "telephony_provider_permission_denied"
        | "telephony_provider_unavailable"
        | "sip_routing_error"
        | "marked_as_spam"
        | "concurrency_limit_reached"
        | "no_concurrency_fallback"
        | "no_valid_payment"
        // Retell's table of disconnection reasons files it with the account's limits:
        // "Error, scam detected for that particular agent".
        | "scam_detected" => (St::Failed, Cat::Error),
        r if r.starts_with("error_") => (St::Failed, Cat::Error),
        _ => (St::Completed, Cat::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voiceport_core::{CallStatus as St, EndReasonCategory as Cat};

    fn status(
        call_status: Option<&str>,
        reason: Option<&str>,
        in_voicemail: bool,
    ) -> (CallStatus, Option<EndReason>) {
        let call_status = call_status.map(wire::CallStatus::parse);
        status_of(StatusFields {
            status: call_status.as_ref(),
            reason,
            in_voicemail,
        })
    }

    fn reason(category: EndReasonCategory, vendor: Option<&str>) -> Option<EndReason> {
        Some(EndReason::new(category, vendor.map(str::to_owned)))
    }

    /// What a listing asks Retell for holds every call the status table reads as the
    /// statuses asked: every `call_status` (an unknown one and none included) beside every
    /// reason (an unknown one, a new error, none), in voicemail or not.
    #[test]
    fn statuses_asked_of_retell_hold_every_call_read_so() {
        let reasons: Vec<Option<&str>> = [
            "user_hangup",
            "agent_hangup",
            "call_transfer",
            "transfer_bridged",
            "transfer_cancelled",
            "voicemail_reached",
            "ivr_reached",
            "inactivity",
            "max_duration_reached",
            "manual_stopped",
            "dial_busy",
            "dial_no_answer",
            "user_declined",
            "registered_call_timeout",
            "dial_failed",
            "scam_detected",
            "error_asr",
            "error_from_the_future",
            "a_new_reason",
        ]
        .map(Some)
        .into_iter()
        .chain([None])
        .collect();
        let call_statuses = [
            Some("registered"),
            Some("not_connected"),
            Some("ongoing"),
            Some("ended"),
            Some("error"),
            Some("archived"),
            None,
        ];
        let mut narrowed = 0;
        for &wanted in CallStatus::ALL {
            let Some(asked) = call_statuses_for(&[wanted]) else {
                continue;
            };
            narrowed += 1;
            for call_status in call_statuses {
                for reason in &reasons {
                    for in_voicemail in [false, true] {
                        let (read, _) = status(call_status, *reason, in_voicemail);
                        if read == wanted {
                            assert!(
                                call_status.is_some_and(|s| asked.contains(&s)),
                                "{wanted}: {call_status:?} {reason:?} is not asked for"
                            );
                        }
                    }
                }
            }
        }
        assert_eq!(narrowed, 4, "in_progress, canceled, scheduled, ringing");
        // One that cannot be narrowed leaves the whole set to this side.
        use CallStatus as S;
        assert_eq!(call_statuses_for(&[S::InProgress, S::Completed]), None);
        assert_eq!(
            call_statuses_for(&[S::InProgress, S::Canceled, S::InProgress]),
            Some(vec!["ongoing", "not_connected"])
        );
        assert_eq!(call_statuses_for(&[S::Scheduled]), Some(vec![]));
        assert_eq!(call_statuses_for(&[]), None, "no status asked: every call");
    }

    /// Every value of Retell's SDK 5.60 enum, and the removed ones, as on an ended call.
    #[test]
    fn every_disconnection_reason_has_a_family() {
        let table = [
            ("user_hangup", St::Completed, Cat::CustomerHungUp),
            ("agent_hangup", St::Completed, Cat::AgentEnded),
            ("call_transfer", St::Transferred, Cat::Transferred),
            ("transfer_bridged", St::Transferred, Cat::Transferred),
            ("call_take_over", St::Transferred, Cat::Transferred),
            ("transfer_cancelled", St::Completed, Cat::TransferFailed),
            ("voicemail_reached", St::Voicemail, Cat::Voicemail),
            ("machine_detected", St::Voicemail, Cat::Voicemail),
            ("ivr_reached", St::Voicemail, Cat::Voicemail),
            ("inactivity", St::Completed, Cat::Silence),
            ("max_duration_reached", St::Completed, Cat::MaxDuration),
            ("manual_stopped", St::Completed, Cat::Canceled),
            ("scam_detected", St::Failed, Cat::Error),
            ("dial_busy", St::Busy, Cat::Busy),
            ("dial_no_answer", St::NoAnswer, Cat::NoAnswer),
            ("user_declined", St::NoAnswer, Cat::NoAnswer),
            ("registered_call_timeout", St::NoAnswer, Cat::NoAnswer),
            ("dial_failed", St::Failed, Cat::Error),
            ("invalid_destination", St::Failed, Cat::Error),
            (
                "telephony_provider_permission_denied",
                St::Failed,
                Cat::Error,
            ),
            ("telephony_provider_unavailable", St::Failed, Cat::Error),
            ("sip_routing_error", St::Failed, Cat::Error),
            ("marked_as_spam", St::Failed, Cat::Error),
            ("concurrency_limit_reached", St::Failed, Cat::Error),
            ("no_concurrency_fallback", St::Failed, Cat::Error),
            ("no_valid_payment", St::Failed, Cat::Error),
            ("error_llm_websocket_open", St::Failed, Cat::Error),
            (
                "error_llm_websocket_lost_connection",
                St::Failed,
                Cat::Error,
            ),
            ("error_llm_websocket_runtime", St::Failed, Cat::Error),
            (
                "error_llm_websocket_corrupt_payload",
                St::Failed,
                Cat::Error,
            ),
            ("error_no_audio_received", St::Failed, Cat::Error),
            ("error_asr", St::Failed, Cat::Error),
            ("error_retell", St::Failed, Cat::Error),
            ("error_unknown", St::Failed, Cat::Error),
            ("error_user_not_joined", St::Failed, Cat::Error),
            ("error_twilio", St::Failed, Cat::Error),
            ("error_inbound_webhook", St::Failed, Cat::Error),
            ("error_frontend_corrupted_payload", St::Failed, Cat::Error),
            // Unknown values: an error family member, and anything else.
            ("error_tts_quota", St::Failed, Cat::Error),
            ("sms_opt_out", St::Completed, Cat::Other),
        ];
        for (vendor, expected, category) in table {
            assert_eq!(
                status(Some("ended"), Some(vendor), false),
                (expected, reason(category, Some(vendor))),
                "{vendor}"
            );
        }
    }

    #[test]
    fn live_statuses_carry_no_reason() {
        assert_eq!(status(Some("registered"), None, false), (St::Queued, None));
        assert_eq!(status(Some("ongoing"), None, false), (St::InProgress, None));
        assert_eq!(
            status(Some("ongoing"), Some(" "), false),
            (St::InProgress, None)
        );
    }

    /// Retell's own sample of an ended call says `registered` beside its reason: a call
    /// that names why it disconnected is over, and read as `ended`.
    #[test]
    fn a_live_status_with_a_disconnection_reason_is_read_as_ended() {
        for live in ["registered", "ongoing"] {
            assert_eq!(
                status(Some(live), Some("user_hangup"), false),
                (
                    St::Completed,
                    reason(Cat::CustomerHungUp, Some("user_hangup"))
                ),
                "{live}"
            );
            assert_eq!(
                status(Some(live), Some("dial_busy"), false).0,
                St::Busy,
                "{live}"
            );
            assert_eq!(
                status(Some(live), Some("agent_hangup"), true).0,
                St::Voicemail,
                "{live}"
            );
        }
    }

    #[test]
    fn an_ended_call_without_a_reason_is_completed() {
        assert_eq!(status(Some("ended"), None, false), (St::Completed, None));
        assert_eq!(
            status(Some("ended"), Some("  "), false),
            (St::Completed, None)
        );
    }

    #[test]
    fn a_call_the_analysis_puts_in_voicemail_is_a_voicemail() {
        assert_eq!(
            status(Some("ended"), Some("agent_hangup"), true),
            (St::Voicemail, reason(Cat::Voicemail, Some("agent_hangup")))
        );
        assert_eq!(
            status(Some("ended"), None, true),
            (St::Voicemail, reason(Cat::Voicemail, None))
        );
        // A reason that already says more wins.
        assert_eq!(
            status(Some("ended"), Some("call_transfer"), true),
            (
                St::Transferred,
                reason(Cat::Transferred, Some("call_transfer"))
            )
        );
        assert_eq!(status(Some("ended"), Some("dial_busy"), true).0, St::Busy);
    }

    #[test]
    fn a_call_that_never_connected() {
        let not_connected = |r| status(Some("not_connected"), r, false);
        assert_eq!(
            not_connected(Some("dial_busy")),
            (St::Busy, reason(Cat::Busy, Some("dial_busy")))
        );
        assert_eq!(
            not_connected(Some("dial_no_answer")),
            (St::NoAnswer, reason(Cat::NoAnswer, Some("dial_no_answer")))
        );
        assert_eq!(
            not_connected(Some("concurrency_limit_reached")),
            (
                St::Failed,
                reason(Cat::Error, Some("concurrency_limit_reached"))
            )
        );
        assert_eq!(not_connected(Some("voicemail_reached")).0, St::Voicemail);
        // Stopped before it connected: canceled.
        assert_eq!(
            not_connected(Some("manual_stopped")),
            (St::Canceled, reason(Cat::Canceled, Some("manual_stopped")))
        );
        // A reason that implies a conversation, an unknown one, or none: not answered.
        assert_eq!(
            not_connected(Some("user_hangup")),
            (
                St::NoAnswer,
                reason(Cat::CustomerHungUp, Some("user_hangup"))
            )
        );
        assert_eq!(not_connected(Some("call_transfer")).0, St::NoAnswer);
        assert_eq!(
            not_connected(Some("sms_opt_out")),
            (St::NoAnswer, reason(Cat::Other, Some("sms_opt_out")))
        );
        assert_eq!(not_connected(None), (St::NoAnswer, None));
    }

    #[test]
    fn an_error_call_failed() {
        assert_eq!(
            status(Some("error"), Some("error_asr"), false),
            (St::Failed, reason(Cat::Error, Some("error_asr")))
        );
        assert_eq!(
            status(Some("error"), None, false),
            (St::Failed, reason(Cat::Error, None))
        );
        // The reason's own category is kept.
        assert_eq!(
            status(Some("error"), Some("user_hangup"), false),
            (St::Failed, reason(Cat::CustomerHungUp, Some("user_hangup")))
        );
    }

    #[test]
    fn unknown_or_missing_statuses() {
        assert_eq!(
            status(Some("paused"), Some("user_hangup"), false),
            (
                St::Unknown,
                reason(Cat::CustomerHungUp, Some("user_hangup"))
            )
        );
        assert_eq!(status(Some("paused"), None, false), (St::Unknown, None));
        assert_eq!(
            status(None, Some("dial_busy"), false),
            (St::Busy, reason(Cat::Busy, Some("dial_busy")))
        );
        assert_eq!(status(None, None, false), (St::Unknown, None));
    }
}
