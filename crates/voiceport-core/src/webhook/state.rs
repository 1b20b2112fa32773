//! What an application keeps of one call from its webhook events, whatever order they come
//! in.

use chrono::{DateTime, Utc};

use crate::{Call, CallEvent, CallStatus};

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
///   it) adds to the first: the newer of the two ends by their own times (the one arriving
///   last, when either has none) is kept, and what it lacks of the other (transcript,
///   recording, cost, the parts of the analysis, end reason, times, duration) is taken
///   from it;
/// - events that tell no status (a piece of transcript, a delivery kept whole) or an
///   unknown one ([`CallStatus::Unknown`]) change nothing.
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
    /// The time of the end event `call` was taken from, to tell which of two ends is the
    /// newer (a live status's time, kept in `occurred_at`, says nothing of that).
    end_at: Option<DateTime<Utc>>,
}

impl CallState {
    /// Applies `event` by the rules above. Returns whether it was taken: `false` for a
    /// live status older than the one kept or after a terminal one, and for an event that
    /// tells no status; a second end is always taken (it adds to the first).
    pub fn apply(&mut self, event: &CallEvent) -> bool {
        let Some(status) = event
            .status()
            .filter(|status| *status != CallStatus::Unknown)
        else {
            return false;
        };
        let kept_terminal = self.status.is_some_and(CallStatus::is_terminal);
        if kept_terminal && status.is_terminal() {
            self.add_end(event, status);
            return true;
        }
        let older = before(event.occurred_at, self.occurred_at);
        if kept_terminal || (older && !status.is_terminal()) {
            return false;
        }
        self.status = Some(status);
        self.occurred_at = event.occurred_at.or(self.occurred_at);
        if let Some(call) = event.call() {
            self.call = Some(call.clone());
        }
        if status.is_terminal() {
            self.end_at = event.occurred_at;
        }
        true
    }

    /// A second end event: the newer of the two ends is kept, what it lacks taken from the
    /// other. A call kept from a live event (the first end told its status alone) is no
    /// end's call: the new end's replaces it.
    fn add_end(&mut self, event: &CallEvent, status: CallStatus) {
        let older = before(event.occurred_at, self.end_at);
        if !older {
            self.status = Some(status);
            self.occurred_at = event.occurred_at.or(self.occurred_at);
            self.end_at = event.occurred_at.or(self.end_at);
        }
        let Some(call) = event.call() else {
            return;
        };
        let kept = (self.call.take()).filter(|kept| kept.status.is_terminal());
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

/// Whether an event at `at` happened before the one kept at `kept` (both known).
fn before(at: Option<DateTime<Utc>>, kept: Option<DateTime<Utc>>) -> bool {
    matches!((at, kept), (Some(at), Some(kept)) if at < kept)
}

/// What `call` lacks of what an end event says, taken from `other`.
fn fill_from(call: &mut Call, other: Call) {
    call.transcript = call.transcript.take().or(other.transcript);
    call.recording = call.recording.take().or(other.recording);
    call.cost = call.cost.take().or(other.cost);
    call.end_reason = call.end_reason.take().or(other.end_reason);
    call.started_at = call.started_at.or(other.started_at);
    call.ended_at = call.ended_at.or(other.ended_at);
    call.duration_secs = call.duration_secs.or(other.duration_secs);
    let (analysis, other) = (&mut call.analysis, other.analysis);
    analysis.summary = analysis.summary.take().or(other.summary);
    analysis.success_evaluation = analysis
        .success_evaluation
        .take()
        .or(other.success_evaluation);
    analysis.classification = analysis.classification.take().or(other.classification);
    for (key, value) in other.extracted {
        analysis.extracted.entry(key).or_insert(value);
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

    /// Two ends are compared by their own times, not by a live status's: an end without a
    /// time, then an end with one, keeps the one arriving last.
    #[test]
    fn ends_are_compared_by_their_own_times() {
        let mut state = CallState::default();
        assert!(state.apply(&status(CallStatus::InProgress, Some(9))));
        let first = ended("end-of-call-report", None, |call| {
            call.name = Some("first".into())
        });
        let second = ended("end-of-call-report", Some(8), |call| {
            call.name = Some("second".into())
        });
        assert!(state.apply(&first));
        assert!(state.apply(&second));
        let call = state.call.as_ref().unwrap();
        assert_eq!(call.name.as_deref(), Some("second"));
    }

    /// An end told by its status alone keeps the call of a live event; the end event's
    /// call, arriving after, replaces that call rather than filling it, whatever its time.
    #[test]
    fn an_end_s_call_replaces_a_live_snapshot() {
        let mut started = Call::new(CallId::new("c1"), ProviderKind::Vapi);
        started.status = CallStatus::InProgress;
        started.name = Some("live".into());
        let mut start = CallEvent::new(
            "status-update",
            EventKind::Started {
                call: Box::new(started),
            },
        );
        start.occurred_at = Some(at(1));
        let mut state = CallState::default();
        assert!(state.apply(&start));
        assert!(state.apply(&status(CallStatus::Completed, Some(10))));
        assert!(state.apply(&ended("end-of-call-report", Some(9), |call| {
            call.ended_at = Some(at(9));
        })));
        let call = state.call.as_ref().unwrap();
        assert_eq!(
            (call.status, call.name.as_deref()),
            (CallStatus::Completed, None)
        );
        assert_eq!(call.ended_at, Some(at(9)));
        assert_eq!(state.status, Some(CallStatus::Completed));
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
