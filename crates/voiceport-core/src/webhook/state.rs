//! What an application keeps of one call from its webhook events, whatever order they come
//! in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::adapter::not_over_yet;
use crate::{Call, CallEvent, CallStatus, EventKind};

/// The latest state of one call, kept from its webhook events as they arrive: keep one per
/// call (by provider name and [`CallEvent::call_id`]) and [`apply`](Self::apply) each event.
///
/// Events for one call may come out of order (an end before an in-progress, a retried
/// status after the end). The rules:
/// - a terminal status ([`CallStatus::is_terminal`]) is never replaced by a live one (whose
///   call, arriving after the end, still fills in what the end's lacks of who is on the
///   call and where it is recorded, as below), and
///   a live one never stands in the way of a terminal one, whatever their times; an end
///   event whose status voiceport does not know ([`CallStatus::Unknown`]) still ends the
///   call, as completed (its call keeps the vendor's status);
/// - between live statuses, an event older than the one kept (both with a time,
///   [`CallEvent::occurred_at`]) is left out; one at the same time or without one is
///   taken, unless its status comes earlier in a call's life (scheduled, queued, ringing,
///   in progress) than the one kept: a retry of a step already passed;
/// - a second end (Retell's `call_analyzed` after `call_ended`, or before it; a terminal
///   status change beside an end event) adds to the first. The newer of the two is kept:
///   by their own times, where both have one (at the same time, an end event over a
///   status change, else the one arriving last); else an end event without a time is the
///   later (Retell's `call_analyzed`, which follows `call_ended`), a status change without
///   a time the earlier, and of two of a kind without a time the one arriving last. Where
///   the newer has no time, [`occurred_at`](Self::occurred_at) is the best another end
///   said: an end event's over a status change's, then the latest, in any order.
///   What the kept call lacks is taken from the other's (transcript, recording, cost, the
///   parts of the analysis, end reason, times, duration, numbers, names, agent, ids,
///   metadata and tags). A status change's call that still says the call is live (a
///   snapshot taken before the end) is no end's call;
/// - an event's call, taken, keeps what it lacks of the call kept before it: of an end's,
///   all the above; of a live snapshot (a start's), only what the call is and who is on
///   it (numbers, names, agent, ids, the times before its end, metadata and tags) and
///   where it is recorded (HappyRobot says so at the start only), not its running figures
///   (transcript, cost, duration so far). A thin end (a
///   status change carrying a few fields) keeps the numbers its start told; a tag or a
///   metadata key the vendor dropped since stays;
/// - events that tell no status (a piece of transcript, a delivery kept whole) or an
///   unknown one in a status change change nothing.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::webhook::CallState;
/// use voiceport::{Call, CallEvent, CallId, CallStatus, EventKind, ProviderKind};
///
/// let mut ended = Call::new(CallId::new("c1"), ProviderKind::Vapi);
/// ended.status = CallStatus::Completed;
/// let end = CallEvent::new("end-of-call-report", EventKind::ended(ended));
/// let late = CallEvent::new(
///     "status-update",
///     EventKind::status_changed(CallStatus::InProgress, None, None),
/// );
///
/// let mut state = CallState::default();
/// assert!(state.apply(&end));
/// assert!(!state.apply(&late)); // arrived after the end: left out
/// assert_eq!(state.status, Some(CallStatus::Completed));
/// ```
///
/// It serializes (serde) to JSON, what it keeps of the end included: a state stored between
/// deliveries (a JSON or JSONB column, another instance of the app) reads back and goes on
/// by the same rules. Store it in a self-describing format (JSON, not bincode or
/// postcard): statuses are written as names and read back leniently, and absent fields
/// are left out. Stored, its call is normalized only, without the vendor's JSON
/// ([`Call::vendor_payload`], which a call never serializes); in memory the state keeps
/// the call as its event gave it, vendor payload included (a slice of the delivery's body,
/// which it keeps alive). So a state read back is not `==` to the one written, though both
/// serialize alike (as for a [`Call`]); compare their JSON. A status a newer voiceport
/// wrote and this one does not know reads as `Unknown`, and a call it had ended stays
/// ended.
///
/// Where several instances handle one call's deliveries, apply each event under a lock
/// on that call's row (`SELECT … FOR UPDATE`, or a compare-and-swap on a version): two
/// ends of one call may be delivered at the same moment, and a state loaded by both and
/// saved by each loses what the first saved. A vendor that does not retry (Vapi, by
/// default) may never deliver an end: a state still live long after the call should have
/// ended is worth a [`get_call`](crate::VoiceProvider::get_call).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallState {
    /// The call's latest status, once an event has told one.
    #[serde(default, deserialize_with = "crate::model::optional_status_or_unknown")]
    pub status: Option<CallStatus>,
    /// When the event of that status happened, where its vendor said (else, for an end,
    /// the time the other end said; else the latest time an event taken before it said).
    pub occurred_at: Option<DateTime<Utc>>,
    /// The call as the latest event taken that carried one described it; for an ended
    /// call, what its end events said together. Its own `status` is the vendor's in that
    /// event: [`status`](Self::status) may be newer.
    pub call: Option<Call>,
    /// The end the status (and call) were taken from, to tell which of two ends is the
    /// newer (a live status's time, kept in `occurred_at`, says nothing of that).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<EndKept>,
}

/// An end taken: its own time, and whether it came of an end event ([`EventKind::Ended`])
/// rather than a terminal status change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct EndKept {
    at: Option<DateTime<Utc>>,
    report: bool,
    /// The best time any end of the call said, and whether an end event said it (an end
    /// event's is preferred, then the latest): where `at` is none, it stands for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    best: Option<(bool, DateTime<Utc>)>,
}

impl CallState {
    /// Applies `event` by the rules above. Returns whether the state changed, so whether
    /// to store it again: `false` for a live status older than the one kept, earlier in
    /// the call's life at the same time, or after a terminal one (unless its call filled
    /// in what the kept call lacked), and for an event that tells no status; a second end
    /// is always taken (it adds to the first).
    pub fn apply(&mut self, event: &CallEvent) -> bool {
        let report = matches!(event.kind, EventKind::Ended { .. });
        let status = match event.status() {
            Some(CallStatus::Unknown) if report => CallStatus::Completed,
            Some(status) if status != CallStatus::Unknown => status,
            _ => return false,
        };
        // A kept end ended the call, whatever its status now reads as (one a newer
        // voiceport stored, unknown here).
        let kept_terminal = self.status.is_some_and(CallStatus::is_terminal) || self.end.is_some();
        if kept_terminal && status.is_terminal() {
            self.add_end(event, status, report);
            return true;
        }
        // A live event after the end is not taken; its call (the start, arriving late)
        // still gives the end's what it lacks of who is on it and where it is recorded
        // (HappyRobot names the recording in its start hook only), and is kept where the
        // end told its status alone. Says whether the call kept changed.
        if kept_terminal {
            let Some(call) = event.call() else {
                return false;
            };
            return match self.call.as_mut() {
                Some(kept) if kept.id != call.id || kept.provider != call.provider => false,
                Some(kept) => {
                    let before = kept.clone();
                    fill_from(kept, call.clone());
                    *kept != before
                }
                None => {
                    self.call = Some(call.clone());
                    true
                }
            };
        }
        if !status.is_terminal() {
            let older = before(event.occurred_at, self.occurred_at);
            let newer = before(self.occurred_at, event.occurred_at);
            let step_back = (self.status).is_some_and(
                |kept| matches!((life(status), life(kept)), (Some(s), Some(k)) if s < k),
            );
            if older || (!newer && step_back) {
                return false;
            }
        }
        self.status = Some(status);
        self.occurred_at = event.occurred_at.or(self.occurred_at);
        // The newer call, with what it lacks taken from the one kept: a thin end (a status
        // change carrying a few fields) keeps the numbers and agent its start told.
        if let Some(call) = event.call() {
            let mut newer = call.clone();
            if let Some(kept) = self.call.take() {
                fill_from(&mut newer, kept);
            }
            self.call = Some(newer);
        }
        if status.is_terminal() {
            self.end = Some(EndKept {
                at: event.occurred_at,
                report,
                best: event.occurred_at.map(|at| (report, at)),
            });
        }
        true
    }

    /// A second end: the newer of the two is kept, what it lacks taken from the other. A
    /// call kept from a live event (the first end told its status alone) is no end's call:
    /// the new end's is kept, taking from it only what the call is and who is on it.
    fn add_end(&mut self, event: &CallEvent, status: CallStatus, report: bool) {
        let kept = self.end.unwrap_or(EndKept {
            at: None,
            report: false,
            best: None,
        });
        // Of two of a kind at the same time, or both without one, the one arriving last.
        let below = !report && kept.report;
        let older = match (event.occurred_at, kept.at) {
            (Some(at), Some(kept_at)) => at < kept_at || (at == kept_at && below),
            // An end event without a time follows a timed end (Retell's `call_analyzed`);
            // a status change without one does not stand for the end over a timed one.
            (None, Some(_)) => !report,
            (Some(_), None) => kept.report,
            (None, None) => below,
        };
        let best = kept.best.max(event.occurred_at.map(|at| (report, at)));
        let newer = match older {
            true => EndKept { best, ..kept },
            false => {
                self.status = Some(status);
                EndKept {
                    at: event.occurred_at,
                    report,
                    best,
                }
            }
        };
        // The kept end's time; without one, the best any end said, whatever order they
        // came in.
        self.occurred_at = (newer.at)
            .or(newer.best.map(|(_, at)| at))
            .or(self.occurred_at);
        self.end = Some(newer);
        // A status change's call that still says the call is live was read before the end.
        let Some(call) = event
            .call()
            .filter(|call| report || call.status.is_terminal())
        else {
            return;
        };
        // A call kept from a live event (the first end told its status alone) gives the
        // end's call only what the call is and who is on it ([`fill_from`]).
        let kept = self.call.take();
        let kept_live = (kept.as_ref()).is_some_and(|kept| not_over_yet(kept.status));
        let older = older && !kept_live;
        self.call = Some(match (kept, older) {
            (None, _) => call.clone(),
            (Some(mut kept), true) => {
                fill_from(&mut kept, call.clone());
                kept
            }
            (Some(kept), false) => {
                let mut newer = call.clone();
                fill_from(&mut newer, kept);
                newer
            }
        });
    }
}

/// Where a live status comes in a call's life; `None` for a terminal one.
fn life(status: CallStatus) -> Option<u8> {
    match status {
        CallStatus::Scheduled => Some(0),
        CallStatus::Queued => Some(1),
        CallStatus::Ringing => Some(2),
        CallStatus::InProgress => Some(3),
        _ => None,
    }
}

/// Whether an event at `at` happened before the one kept at `kept` (both known).
fn before(at: Option<DateTime<Utc>>, kept: Option<DateTime<Utc>>) -> bool {
    matches!((at, kept), (Some(at), Some(kept)) if at < kept)
}

/// What `call` lacks, taken from `other`: of an end's call (terminal, or of a status
/// voiceport does not know) everything an end event says; of a live snapshot only what
/// the call is and who is on it (its numbers, agent, names, times before its end, tags
/// and metadata) and its recording (a place, not a figure so far: HappyRobot names it in
/// its start hook only), not what was so far of its transcript, cost or duration, which
/// its end would hold whole.
fn fill_from(call: &mut Call, other: Call) {
    let of_an_end = !not_over_yet(other.status);
    let Call {
        organization_id,
        parent_call_id,
        campaign_id,
        name,
        direction,
        end_reason,
        transfer_destination,
        from,
        to,
        customer_name,
        agent,
        language,
        created_at,
        scheduled_for,
        started_at,
        ended_at,
        duration_secs,
        transcript,
        recording,
        analysis: other_analysis,
        tags,
        metadata,
        cost,
        ..
    } = other;
    call.organization_id = call.organization_id.take().or(organization_id);
    call.parent_call_id = call.parent_call_id.take().or(parent_call_id);
    call.campaign_id = call.campaign_id.take().or(campaign_id);
    call.name = call.name.take().or(name);
    call.direction = call.direction.or(direction);
    call.from = call.from.take().or(from);
    call.to = call.to.take().or(to);
    call.customer_name = call.customer_name.take().or(customer_name);
    call.agent = call.agent.take().or(agent);
    call.language = call.language.take().or(language);
    call.created_at = call.created_at.or(created_at);
    call.scheduled_for = call.scheduled_for.or(scheduled_for);
    call.started_at = call.started_at.or(started_at);
    call.recording = call.recording.take().or(recording);
    // Through a set once the lists are long: a delivery may carry thousands of tags.
    if call.tags.len() + tags.len() > 32 {
        let mut have: std::collections::HashSet<String> = call.tags.iter().cloned().collect();
        for tag in tags {
            if have.insert(tag.clone()) {
                call.tags.push(tag);
            }
        }
    } else {
        for tag in tags {
            if !call.tags.contains(&tag) {
                call.tags.push(tag);
            }
        }
    }
    for (key, value) in metadata {
        call.metadata.entry(key).or_insert(value);
    }
    if !of_an_end {
        return;
    }
    call.end_reason = call.end_reason.take().or(end_reason);
    call.transfer_destination = call.transfer_destination.take().or(transfer_destination);
    call.ended_at = call.ended_at.or(ended_at);
    call.duration_secs = call.duration_secs.or(duration_secs);
    call.transcript = call.transcript.take().or(transcript);
    call.cost = call.cost.take().or(cost);
    let analysis = &mut call.analysis;
    analysis.summary = analysis.summary.take().or(other_analysis.summary);
    analysis.success_evaluation =
        (analysis.success_evaluation.take()).or(other_analysis.success_evaluation);
    analysis.classification = (analysis.classification.take()).or(other_analysis.classification);
    for (key, value) in other_analysis.extracted {
        analysis.extracted.entry(key).or_insert(value);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::{CallId, EventKind, ProviderKind, Transcript};

    /// A state stored and read back (a database between deliveries) goes on by the same
    /// rules: what it kept of the end still tells a later end from a late live status.
    #[test]
    fn a_stored_state_reads_back_and_goes_on_by_the_same_rules() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().ok();
        let mut ended = Call::new(CallId::new("c1"), ProviderKind::Vapi);
        ended.status = CallStatus::Completed;
        let mut end = CallEvent::new(
            "end-of-call-report",
            EventKind::Ended {
                call: Box::new(ended),
            },
        );
        end.occurred_at = at("2026-03-10T15:42:07Z");
        let mut state = CallState::default();
        assert!(state.apply(&end));
        let stored = serde_json::to_string(&state).unwrap();
        assert!(stored.contains("\"end\""), "{stored}");
        let mut read: CallState = serde_json::from_str(&stored).unwrap();
        assert_eq!(read, state);
        // An end that happened before the kept one adds to it and does not replace its
        // status: which of two ends is the newer is what the state kept of its end.
        let mut earlier = CallEvent::new(
            "status-update",
            EventKind::StatusChanged {
                status: CallStatus::Failed,
                vendor_status: None,
                call: None,
            },
        );
        earlier.occurred_at = at("2026-03-10T15:40:00Z");
        assert!(read.apply(&earlier));
        assert_eq!(read.status, Some(CallStatus::Completed));
        // A decoded call is kept normalized: the same once read back, without the vendor's
        // JSON, which a call never serializes.
        let mut call = Call::new(CallId::new("c2"), ProviderKind::Vapi);
        call.status = CallStatus::Completed;
        call.set_vendor_payload(crate::VendorPayload::from_decoded_text(r#"{"id": "c2"}"#));
        let decoded = CallEvent::new(
            "end-of-call-report",
            EventKind::Ended {
                call: Box::new(call),
            },
        );
        let mut kept = CallState::default();
        assert!(kept.apply(&decoded));
        assert!(
            kept.call
                .as_ref()
                .is_some_and(|c| c.vendor_payload().is_some())
        );
        let stored = serde_json::to_value(&kept).unwrap();
        let read: CallState = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), stored);
        assert!(
            read.call
                .as_ref()
                .is_some_and(|c| c.vendor_payload().is_none())
        );
        // A status a newer voiceport wrote reads as unknown rather than failing.
        let newer: CallState = serde_json::from_str(r#"{"status": "on_hold_forever"}"#).unwrap();
        assert_eq!(newer.status, Some(CallStatus::Unknown));
        // A state stored before it kept an end (or by an older version) reads too.
        let fresh: CallState =
            serde_json::from_str(r#"{"status": null, "occurred_at": null, "call": null}"#).unwrap();
        assert_eq!(fresh, CallState::default());
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        "2026-12-05T10:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::seconds(seconds)
    }

    fn status(status: CallStatus, time: Option<i64>) -> CallEvent {
        let kind = EventKind::StatusChanged {
            status,
            vendor_status: None,
            call: None,
        };
        let mut event = CallEvent::new("status-update", kind);
        event.occurred_at = time.map(at);
        event
    }

    /// Where the calls of [`started`] are recorded (HappyRobot names it in its start hook
    /// only).
    const RECORDED: &str = "https://recordings.example/c1.wav";

    /// A start at time 1 of call `id`, in progress and recorded, that `fill` completes.
    fn started(id: &str, fill: impl FnOnce(&mut Call)) -> CallEvent {
        let mut call = Call::new(CallId::new(id), ProviderKind::Retell);
        call.status = CallStatus::InProgress;
        call.recording = Some(crate::Recording {
            mono_url: Some(RECORDED.into()),
            ..crate::Recording::default()
        });
        fill(&mut call);
        let mut start = CallEvent::new(
            "start",
            EventKind::Started {
                call: Box::new(call),
            },
        );
        start.occurred_at = Some(at(1));
        start
    }

    fn ended(name: &str, time: Option<i64>, fill: impl FnOnce(&mut Call)) -> CallEvent {
        let mut call = Call::new(CallId::new("c1"), ProviderKind::Retell);
        call.status = CallStatus::Completed;
        fill(&mut call);
        let mut event = CallEvent::new(
            name,
            EventKind::Ended {
                call: Box::new(call),
            },
        );
        event.occurred_at = time.map(at);
        event
    }

    #[test]
    fn statuses_in_order_are_taken_each() {
        let mut state = CallState::default();
        assert!(state.apply(&status(CallStatus::Ringing, Some(1))));
        assert!(state.apply(&status(CallStatus::InProgress, Some(2))));
        assert!(state.apply(&ended("end", Some(3), |_| {})));
        assert_eq!(state.status, Some(CallStatus::Completed));
        assert_eq!(state.occurred_at, Some(at(3)));
        assert!(state.call.is_some());
    }

    #[test]
    fn an_older_live_status_is_left_out_and_an_untimed_one_taken() {
        let mut state = CallState::default();
        assert!(state.apply(&status(CallStatus::InProgress, Some(5))));
        assert!(!state.apply(&status(CallStatus::Ringing, Some(4))));
        assert_eq!(state.status, Some(CallStatus::InProgress));
        // At the same time, or without one, a step back in the call's life is a retry.
        assert!(!state.apply(&status(CallStatus::Ringing, Some(5))));
        assert!(!state.apply(&status(CallStatus::Queued, None)));
        assert_eq!(state.status, Some(CallStatus::InProgress));
        // Said at a later time, it is what happened (a call ringing again).
        assert!(state.apply(&status(CallStatus::Ringing, Some(6))));
        // Forward, it is taken at the same time or without one.
        assert!(state.apply(&status(CallStatus::InProgress, None)));
        assert!(state.apply(&status(CallStatus::InProgress, Some(6))));
        assert_eq!(
            (state.status, state.occurred_at),
            (Some(CallStatus::InProgress), Some(at(6)))
        );
    }

    #[test]
    fn nothing_live_replaces_an_end_and_an_end_replaces_anything_live() {
        let mut state = CallState::default();
        assert!(state.apply(&ended("end", Some(3), |_| {})));
        for time in [Some(2), Some(3), Some(9), None] {
            assert!(
                !state.apply(&status(CallStatus::InProgress, time)),
                "{time:?}"
            );
        }
        assert_eq!(state.status, Some(CallStatus::Completed));

        // An end whose time is before the last live status kept is still the end.
        let mut state = CallState::default();
        assert!(state.apply(&status(CallStatus::InProgress, Some(9))));
        assert!(state.apply(&ended("end", Some(8), |_| {})));
        assert_eq!(state.status, Some(CallStatus::Completed));
    }

    /// Retell's `call_analyzed` (no time) after `call_ended`, and in the other order: the
    /// kept call has the transcript and variables of one and the summary of the other
    /// either way, though both carry part of an analysis.
    #[test]
    fn a_second_end_adds_to_the_first_in_either_order() {
        let transcript = Transcript::default();
        let call_ended = ended("call_ended", Some(60), |call| {
            call.transcript = Some(transcript.clone());
            call.analysis
                .extracted
                .insert("first_name".into(), "Ada".into());
        });
        let call_analyzed = ended("call_analyzed", None, |call| {
            call.analysis.summary = Some("Booked a cleaning for Tuesday.".into());
            call.analysis.extracted.insert("booked".into(), true.into());
        });
        for events in [[&call_ended, &call_analyzed], [&call_analyzed, &call_ended]] {
            let mut state = CallState::default();
            assert!(events.iter().all(|event| state.apply(event)));
            let call = state.call.as_ref().unwrap();
            assert_eq!(call.transcript, Some(transcript.clone()));
            let analysis = &call.analysis;
            assert_eq!(
                analysis.summary.as_deref(),
                Some("Booked a cleaning for Tuesday.")
            );
            let keys: Vec<&str> = analysis.extracted.keys().map(String::as_str).collect();
            assert_eq!(keys, ["booked", "first_name"]);
            assert_eq!(state.occurred_at, Some(at(60)));
        }

        // An older end arriving last fills in what the newer lacks, and does not replace it.
        let mut state = CallState::default();
        let newer = ended("call_ended", Some(60), |call| {
            call.name = Some("newer".into())
        });
        let older = ended("call_analyzed", Some(50), |call| {
            call.analysis.summary = Some("Left a voicemail.".into());
            call.ended_at = Some(at(50));
        });
        assert!(state.apply(&newer));
        assert!(state.apply(&older));
        let call = state.call.as_ref().unwrap();
        assert_eq!(call.name.as_deref(), Some("newer"));
        assert_eq!(call.analysis.summary.as_deref(), Some("Left a voicemail."));
        assert_eq!(call.ended_at, Some(at(50)));
        assert_eq!(state.occurred_at, Some(at(60)));
    }

    /// Two ends are compared by their own times, not by a live status's; an end event
    /// without a time is the later of the two, whichever arrives first (Retell's
    /// `call_analyzed`, whose voicemail verdict must not give way to `call_ended`'s plain
    /// end).
    #[test]
    fn ends_are_compared_by_their_own_times() {
        let analyzed = ended("call_analyzed", None, |call| {
            call.status = CallStatus::Voicemail;
            call.name = Some("analyzed".into());
        });
        let call_ended = ended("call_ended", Some(8), |call| {
            call.name = Some("ended".into());
            call.transcript = Some(Transcript::default());
        });
        for events in [[&analyzed, &call_ended], [&call_ended, &analyzed]] {
            let mut state = CallState::default();
            assert!(state.apply(&status(CallStatus::InProgress, Some(9))));
            assert!(events.iter().all(|event| state.apply(event)));
            assert_eq!(state.status, Some(CallStatus::Voicemail));
            let call = state.call.as_ref().unwrap();
            assert_eq!(call.name.as_deref(), Some("analyzed"));
            assert!(call.transcript.is_some(), "filled from the other end");
            // The end's time, whichever came first (not the live status's, though later).
            assert_eq!(state.occurred_at, Some(at(8)));
        }
    }

    /// A terminal status change without a time (Retell's `transfer_bridged`, retried after
    /// `call_ended`) neither takes the place of a timed end nor puts its live snapshot of
    /// the call in place of the ended one.
    #[test]
    fn an_untimed_status_change_does_not_stand_for_a_timed_end() {
        let call_ended = ended("call_ended", Some(60), |call| {
            call.transcript = Some(Transcript::new(
                vec![crate::Utterance::new(crate::Speaker::Agent, Some("Bye.".into())); 12],
                None,
            ));
        });
        let mut live = Call::new(CallId::new("c1"), ProviderKind::Retell);
        live.status = CallStatus::InProgress;
        live.transcript = Some(Transcript::new(
            vec![crate::Utterance::new(crate::Speaker::Agent, Some("Hello.".into())); 5],
            None,
        ));
        let bridged = CallEvent::new(
            "transfer_bridged",
            EventKind::StatusChanged {
                status: CallStatus::Transferred,
                vendor_status: None,
                call: Some(Box::new(live)),
            },
        );
        let mut state = CallState::default();
        assert!(state.apply(&call_ended));
        assert!(state.apply(&bridged));
        assert_eq!(state.status, Some(CallStatus::Completed));
        let call = state.call.as_ref().unwrap();
        assert_eq!(call.status, CallStatus::Completed);
        let turns = call.transcript.as_ref().map(|t| t.utterances.len());
        assert_eq!(turns, Some(12));
    }

    /// A live snapshot's terminal status change, all without times: Retell's
    /// `transfer_bridged`, retried after `call_ended` and `call_analyzed`.
    fn bridged(time: Option<i64>) -> CallEvent {
        let mut live = Call::new(CallId::new("c1"), ProviderKind::Retell);
        live.status = CallStatus::InProgress;
        let mut event = CallEvent::new(
            "transfer_bridged",
            EventKind::StatusChanged {
                status: CallStatus::Transferred,
                vendor_status: None,
                call: Some(Box::new(live)),
            },
        );
        event.occurred_at = time.map(at);
        event
    }

    /// Every order of `events`, each applied to a fresh state: the states they end in.
    fn in_every_order(events: &[&CallEvent]) -> Vec<CallState> {
        fn orders<'a>(events: &[&'a CallEvent]) -> Vec<Vec<&'a CallEvent>> {
            if events.len() <= 1 {
                return vec![events.to_vec()];
            }
            let mut all = Vec::new();
            for (i, first) in events.iter().enumerate() {
                let mut rest = events.to_vec();
                rest.remove(i);
                for mut order in orders(&rest) {
                    order.insert(0, first);
                    all.push(order);
                }
            }
            all
        }
        (orders(events).into_iter())
            .map(|order| {
                let mut state = CallState::default();
                for event in order {
                    state.apply(event);
                }
                state
            })
            .collect()
    }

    /// Neither an untimed status change over an untimed end event, nor one at the same
    /// time as an end event, takes the end's place, in any order: the analysis' voicemail
    /// verdict stands (a later retry of `call_ended` included).
    #[test]
    fn a_status_change_gives_way_to_an_end_event_without_times_or_at_the_same_time() {
        let call_ended = ended("call_ended", Some(60), |call| {
            call.transcript = Some(Transcript::default())
        });
        let analyzed = ended("call_analyzed", None, |call| {
            call.status = CallStatus::Voicemail
        });
        let untimed = bridged(None);
        for state in in_every_order(&[&call_ended, &analyzed, &untimed, &call_ended]) {
            assert_eq!(state.status, Some(CallStatus::Voicemail));
            let call = state.call.as_ref().unwrap();
            assert_eq!(call.status, CallStatus::Voicemail);
            assert!(call.transcript.is_some());
            assert_eq!(state.occurred_at, Some(at(60)));
        }
        // At the same time: Rounded's end and a completed status of the same second.
        let voicemail = ended("phone_call_ended", Some(5), |call| {
            call.status = CallStatus::Voicemail
        });
        let mut completed = Call::new(CallId::new("c1"), ProviderKind::Rounded);
        completed.status = CallStatus::Completed;
        let mut same_second = CallEvent::new(
            "call_status_updated",
            EventKind::StatusChanged {
                status: CallStatus::Completed,
                vendor_status: None,
                call: Some(Box::new(completed)),
            },
        );
        same_second.occurred_at = Some(at(5));
        for state in in_every_order(&[&voicemail, &same_second]) {
            assert_eq!(state.status, Some(CallStatus::Voicemail));
            assert_eq!(state.call.unwrap().status, CallStatus::Voicemail);
        }
    }

    /// Where the end kept has no time, the time it stands at is an end event's over a
    /// status change's, then the latest, whatever order the ends came in.
    #[test]
    fn an_untimed_end_stands_at_the_same_time_in_any_order() {
        let analyzed = ended("call_analyzed", None, |_| {});
        let call_ended = ended("call_ended", Some(60), |_| {});
        let transfer_ended = bridged(Some(70));
        let live = status(CallStatus::InProgress, Some(30));
        let states = in_every_order(&[&live, &analyzed, &call_ended, &transfer_ended]);
        assert_eq!(states.len(), 24);
        for state in states {
            assert_eq!(state.status, Some(CallStatus::Completed));
            assert_eq!(state.occurred_at, Some(at(60)));
        }
        // Status changes alone: the latest.
        for state in in_every_order(&[&analyzed, &bridged(Some(40)), &bridged(Some(50))]) {
            assert_eq!(state.occurred_at, Some(at(50)));
        }
    }

    /// A state a newer voiceport stored, its end's status unknown here, stays ended: a late
    /// live status is left out, and a later end adds to the kept one.
    #[test]
    fn a_stored_end_with_a_status_unknown_here_stays_ended() {
        let stored = r#"{"status": "evaporated", "occurred_at": "2026-12-05T10:01:00Z",
            "call": null, "end": {"at": "2026-12-05T10:01:00Z", "report": true}}"#;
        let mut state: CallState = serde_json::from_str(stored).unwrap();
        assert_eq!(state.status, Some(CallStatus::Unknown));
        assert!(!state.apply(&status(CallStatus::InProgress, Some(90))));
        assert_eq!(state.status, Some(CallStatus::Unknown));
        assert!(state.apply(&ended("call_analyzed", None, |_| {})));
        assert_eq!(state.status, Some(CallStatus::Completed));
        assert_eq!(state.occurred_at, Some(at(60)));
    }

    /// An end event whose status voiceport does not know ends the call all the same
    /// (HappyRobot's call status is optional; Rounded's statuses are not documented).
    #[test]
    fn an_end_with_an_unknown_status_still_ends_the_call() {
        let mut state = CallState::default();
        assert!(state.apply(&status(CallStatus::InProgress, Some(1))));
        let end = ended("end", Some(5), |call| {
            call.status = CallStatus::Unknown;
            call.vendor_status = Some("finished".into());
        });
        assert!(state.apply(&end));
        assert_eq!(state.status, Some(CallStatus::Completed));
        assert_eq!(
            state.call.as_ref().and_then(|c| c.vendor_status.as_deref()),
            Some("finished")
        );
        assert!(!state.apply(&status(CallStatus::InProgress, Some(9))));
        // A second end fills it in.
        let second = ended("end", Some(6), |call| call.duration_secs = Some(42.0));
        assert!(state.apply(&second));
        assert_eq!(state.call.as_ref().unwrap().duration_secs, Some(42.0));
    }

    /// A thin newer end keeps what the older said of the call: numbers, names, metadata,
    /// tags.
    #[test]
    fn a_thin_newer_end_keeps_the_older_s_details() {
        let full = ended("event_phone_call_ended", Some(1), |call| {
            call.from = Some("+14155550100".into());
            call.to = Some("+14155550199".into());
            call.metadata.insert("crm".into(), "42".into());
            call.tags = vec!["vip".into()];
        });
        let thin = ended("event_call_status_updated", Some(2), |call| {
            call.tags = vec!["late".into(), "vip".into()];
        });
        let mut state = CallState::default();
        assert!(state.apply(&full));
        assert!(state.apply(&thin));
        let call = state.call.as_ref().unwrap();
        assert_eq!(call.from.as_deref(), Some("+14155550100"));
        assert_eq!(call.to.as_deref(), Some("+14155550199"));
        assert_eq!(call.metadata.get("crm"), Some(&serde_json::json!("42")));
        assert_eq!(call.tags, ["late", "vip"]);
    }

    /// An end told by its status alone keeps the call of a live event; the end event's
    /// call, arriving after, is kept over that call whatever its time, taking from it only
    /// what the call is and who is on it (its name here) and where it is recorded, not
    /// what was so far of it.
    #[test]
    fn an_end_s_call_replaces_a_live_snapshot() {
        let start = started("c1", |call| {
            call.name = Some("live".into());
            call.duration_secs = Some(3.0);
        });
        let mut state = CallState::default();
        assert!(state.apply(&start));
        assert!(state.apply(&status(CallStatus::Completed, Some(10))));
        assert!(state.apply(&ended("end-of-call-report", Some(9), |call| {
            call.ended_at = Some(at(9));
        })));
        let call = state.call.as_ref().unwrap();
        assert_eq!(
            (call.status, call.name.as_deref(), call.duration_secs),
            (CallStatus::Completed, Some("live"), None)
        );
        assert_eq!(call.ended_at, Some(at(9)));
        let recording = call.recording.as_ref().and_then(|r| r.mono_url.as_deref());
        assert_eq!(recording, Some(RECORDED));
        assert_eq!(state.status, Some(CallStatus::Completed));
    }

    /// A live event arriving after the end is not taken, but its call fills in what the
    /// end's lacks of who is on the call and where it is recorded (not its figures so
    /// far), and `apply` says the state changed; once, and only from the same call.
    #[test]
    fn a_start_arriving_after_the_end_fills_in_its_recording() {
        let mut state = CallState::default();
        assert!(state.apply(&ended("end", Some(9), |call| {
            call.duration_secs = Some(41.0);
        })));
        let start = |id: &str| {
            started(id, |call| {
                call.from = Some("+14155550100".into());
                call.duration_secs = Some(3.0);
            })
        };
        assert!(!state.apply(&start("another")), "another call's start");
        assert!(state.apply(&start("c1")));
        assert_eq!(state.status, Some(CallStatus::Completed));
        let call = state.call.as_ref().unwrap();
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.from.as_deref(), Some("+14155550100"));
        assert_eq!(call.duration_secs, Some(41.0));
        let mono = call.recording.as_ref().and_then(|r| r.mono_url.as_deref());
        assert_eq!(mono, Some(RECORDED));
        assert!(!state.apply(&start("c1")), "nothing more to fill in");
    }

    /// Tags merge as a set, in the order they came, short lists or long.
    #[test]
    fn tags_merge_once_each_however_many() {
        for many in [3, 5_000] {
            let tags: Vec<String> = (0..many).map(|n| format!("t{}", n % (many / 2))).collect();
            let first = ended("call_ended", Some(1), |call| call.tags = tags.clone());
            let second = ended("call_analyzed", Some(2), |call| {
                call.tags = vec!["new".into()]
            });
            let mut state = CallState::default();
            assert!(state.apply(&first));
            assert!(state.apply(&second));
            let merged = &state.call.as_ref().unwrap().tags;
            let mut expected = vec!["new".to_owned()];
            expected.extend((0..many / 2).map(|n| format!("t{n}")));
            assert_eq!(merged, &expected, "{many}");
        }
    }

    /// A first end whose call is thin (a status change carrying a few fields) keeps what
    /// the start told of the call and who is on it; not the start's running figures.
    #[test]
    fn a_thin_first_end_keeps_what_the_start_told() {
        let mut live = Call::new(CallId::new("c1"), ProviderKind::Rounded);
        live.status = CallStatus::InProgress;
        live.from = Some("+14155550100".into());
        live.to = Some("+14155550199".into());
        live.metadata.insert("crm".into(), "42".into());
        live.duration_secs = Some(4.0);
        let mut start = CallEvent::new(
            "event_phone_call_connected",
            EventKind::Started {
                call: Box::new(live),
            },
        );
        start.occurred_at = Some(at(1));
        let mut thin = Call::new(CallId::new("c1"), ProviderKind::Rounded);
        thin.status = CallStatus::Completed;
        let mut end = CallEvent::new(
            "event_call_status_updated",
            EventKind::StatusChanged {
                status: CallStatus::Completed,
                vendor_status: Some("completed".into()),
                call: Some(Box::new(thin)),
            },
        );
        end.occurred_at = Some(at(5));
        let mut state = CallState::default();
        assert!(state.apply(&start));
        assert!(state.apply(&end));
        let call = state.call.as_ref().unwrap();
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.from.as_deref(), Some("+14155550100"));
        assert_eq!(call.to.as_deref(), Some("+14155550199"));
        assert_eq!(call.metadata.get("crm"), Some(&serde_json::json!("42")));
        assert_eq!(call.duration_secs, None, "a live figure is no end's");
    }

    #[test]
    fn an_unknown_status_changes_nothing() {
        let mut state = CallState::default();
        assert!(state.apply(&status(CallStatus::InProgress, Some(1))));
        assert!(!state.apply(&status(CallStatus::Unknown, Some(2))));
        assert_eq!(state.status, Some(CallStatus::InProgress));
    }

    #[test]
    fn an_event_without_a_status_changes_nothing() {
        let mut state = CallState::default();
        let other = CallEvent::new("speech-update", EventKind::kept_whole(b"{}"));
        assert!(!state.apply(&other));
        assert_eq!(state, CallState::default());
    }
}
