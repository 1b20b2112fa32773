//! What an application keeps of one call from its webhook events, whatever order they come
//! in.

use chrono::{DateTime, Utc};

use crate::{Analysis, Call, CallEvent, CallStatus};

/// The latest state of one call, kept from its webhook events as they arrive: keep one per
/// call (by provider name and [`CallEvent::call_id`]) and [`apply`](Self::apply) each event.
///
/// Events for one call may come out of order (an end before an in-progress, a retried
/// status after the end). The rules:
/// - a terminal status ([`CallStatus::is_terminal`]) is never replaced by a live one, and
///   a live one never stands in the way of a terminal one, whatever their times;
/// - between live statuses, an event older than the one kept (both with a time,
///   [`CallEvent::occurred_at`]) is left out; one without a time counts as new;
/// - a second end event of a call (Retell's `call_analyzed` after `call_ended`, or before
///   it) adds to the first: the newer by time (the one arriving last, when a time is
///   missing) is kept, and what it lacks of the other (transcript, recording, cost,
///   analysis, end reason) is taken from it;
/// - events that tell no status (a piece of transcript, a delivery kept whole) change
///   nothing.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::webhook::CallState;
/// use voiceport::{Call, CallEvent, CallId, CallStatus, EventKind, ProviderKind};
///
/// let mut ended = Call::new(CallId::new("c1"), ProviderKind::Vapi);
/// ended.status = CallStatus::Completed;
/// let end = CallEvent::new("end-of-call-report", EventKind::Ended { call: Box::new(ended) });
/// let late = CallEvent::new(
///     "status-update",
///     EventKind::StatusChanged { status: CallStatus::InProgress, vendor_status: None, call: None },
/// );
///
/// let mut state = CallState::default();
/// assert!(state.apply(&end));
/// assert!(!state.apply(&late)); // arrived after the end: left out
/// assert_eq!(state.status, Some(CallStatus::Completed));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CallState {
    /// The call's latest status, once an event has told one.
    pub status: Option<CallStatus>,
    /// When the event of that status happened, where its vendor said (else the latest
    /// time an event taken before it said).
    pub occurred_at: Option<DateTime<Utc>>,
    /// The call as the latest event taken that carried one described it; for an ended
    /// call, what its end events said together. Its own `status` is the vendor's in that
    /// event: [`status`](Self::status) may be newer.
    pub call: Option<Call>,
}

impl CallState {
    /// Applies `event` by the rules above. Returns whether it was taken: `false` for an
    /// event older than the state kept, a live status after a terminal one, or one that
    /// tells no status.
    pub fn apply(&mut self, event: &CallEvent) -> bool {
        let Some(status) = event.status() else {
            return false;
        };
        let older = matches!(
            (event.occurred_at, self.occurred_at),
            (Some(at), Some(kept)) if at < kept
        );
        match self.status.map(CallStatus::is_terminal) {
            Some(true) if status.is_terminal() => {
                self.add_end(event, status, older);
                return true;
            }
            Some(true) => return false,
            Some(false) if older && !status.is_terminal() => return false,
            Some(false) | None => {}
        }
        self.status = Some(status);
        self.occurred_at = event.occurred_at.or(self.occurred_at);
        if let Some(call) = event.call() {
            self.call = Some(call.clone());
        }
        true
    }

    /// A second end event: the newer of the two ends is kept, what it lacks taken from the
    /// other.
    fn add_end(&mut self, event: &CallEvent, status: CallStatus, older: bool) {
        let Some(call) = event.call() else {
            // An end told by its status alone: nothing to add but, when newer, the status.
            if !older {
                self.status = Some(status);
                self.occurred_at = event.occurred_at.or(self.occurred_at);
            }
            return;
        };
        let (mut newer, other) = match (older, self.call.take()) {
            (false, kept) => (call.clone(), kept),
            (true, Some(kept)) => (kept, Some(call.clone())),
            (true, None) => (call.clone(), None),
        };
        if let Some(other) = other {
            fill_from(&mut newer, other);
        }
        if !older {
            self.status = Some(status);
            self.occurred_at = event.occurred_at.or(self.occurred_at);
        }
        self.call = Some(newer);
    }
}

/// What `call` lacks of what an end event says, taken from `other`.
fn fill_from(call: &mut Call, other: Call) {
    call.transcript = call.transcript.take().or(other.transcript);
    call.recording = call.recording.take().or(other.recording);
    call.cost = call.cost.take().or(other.cost);
    call.end_reason = call.end_reason.take().or(other.end_reason);
    if call.analysis == Analysis::default() {
        call.analysis = other.analysis;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::{CallId, EventKind, ProviderKind, Transcript};

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
        // Equal times: the one arriving last.
        assert!(state.apply(&status(CallStatus::Ringing, Some(5))));
        assert!(state.apply(&status(CallStatus::InProgress, None)));
        assert_eq!(
            (state.status, state.occurred_at),
            (Some(CallStatus::InProgress), Some(at(5)))
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
    /// kept call has the transcript of one and the analysis of the other either way.
    #[test]
    fn a_second_end_adds_to_the_first_in_either_order() {
        let transcript = Transcript::default();
        let call_ended = ended("call_ended", Some(60), |call| {
            call.transcript = Some(transcript.clone());
        });
        let call_analyzed = ended("call_analyzed", None, |call| {
            call.analysis.summary = Some("Booked a cleaning for Tuesday.".into());
        });
        for events in [[&call_ended, &call_analyzed], [&call_analyzed, &call_ended]] {
            let mut state = CallState::default();
            assert!(events.iter().all(|event| state.apply(event)));
            let call = state.call.as_ref().unwrap();
            assert_eq!(call.transcript, Some(transcript.clone()));
            assert_eq!(
                call.analysis.summary.as_deref(),
                Some("Booked a cleaning for Tuesday.")
            );
            assert_eq!(state.occurred_at, Some(at(60)));
        }

        // An older end arriving last fills in what the newer lacks, and does not replace it.
        let mut state = CallState::default();
        let newer = ended("call_ended", Some(60), |call| {
            call.name = Some("newer".into())
        });
        let older = ended("call_analyzed", Some(50), |call| {
            call.analysis.summary = Some("Left a voicemail.".into());
        });
        assert!(state.apply(&newer));
        assert!(state.apply(&older));
        let call = state.call.as_ref().unwrap();
        assert_eq!(call.name.as_deref(), Some("newer"));
        assert_eq!(call.analysis.summary.as_deref(), Some("Left a voicemail."));
        assert_eq!(state.occurred_at, Some(at(60)));
    }

    #[test]
    fn an_event_without_a_status_changes_nothing() {
        let mut state = CallState::default();
        let other = CallEvent::new("speech-update", EventKind::kept_whole(b"{}"));
        assert!(!state.apply(&other));
        assert_eq!(state, CallState::default());
    }
}
