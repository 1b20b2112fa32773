//! The simulated call, independent of any vendor's JSON: each vendor module renders it in
//! its own shape.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use voiceport_core::Direction;

/// How a call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    CustomerEnded,
    AgentEnded,
    Transferred,
    Silence,
    MaxDuration,
    NoAnswer,
    Busy,
    Voicemail,
    Failed,
    /// Ended through the API (stop / terminate).
    EndedByApi,
}

impl Outcome {
    /// Whether somebody (or a machine) picked up.
    pub(crate) fn answered(self) -> bool {
        !matches!(self, Outcome::NoAnswer | Outcome::Busy | Outcome::Failed)
    }
}

/// Where a call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Scheduled,
    Queued,
    /// Placed with the carrier, not ringing yet: the first quarter of the timing's ringing.
    /// HappyRobot shows it (`Initiated`); Vapi, Voicebot Studio and Rounded show it as
    /// ringing, Retell as `registered` (as it shows ringing).
    Dialing,
    Ringing,
    InProgress,
    Ended(Outcome),
    Canceled,
}

impl Phase {
    /// Placed and not over: queued, being placed, ringing or talking (a scheduled call is
    /// not placed yet). What an API that ends a live call can end.
    pub(crate) fn is_live(self) -> bool {
        matches!(
            self,
            Phase::Queued | Phase::Dialing | Phase::Ringing | Phase::InProgress
        )
    }
}

/// How long each phase of a dialed call lasts: the [defaults](Timing::default), each
/// phase set by its own method (a phase may be added).
///
/// ```
/// use std::time::Duration;
/// use voiceport_sandbox::Timing;
///
/// let slow_pickup = Timing::default().with_ringing(Duration::from_secs(5));
/// assert_eq!(slow_pickup.ringing, Duration::from_secs(5));
/// assert_eq!(slow_pickup.talk, Timing::default().talk);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timing {
    /// Queued before dialing.
    pub queued: Duration,
    /// Ringing before it is answered (or not). HappyRobot shows the first quarter of it as
    /// `Initiated` (placed, not ringing yet); the other vendors show all of it as they show
    /// ringing.
    pub ringing: Duration,
    /// The conversation.
    pub talk: Duration,
}

impl Timing {
    /// The longest a phase lasts: a longer one is taken as this (the time arithmetic of a
    /// call stays in range, and no test waits that long).
    pub const LONGEST: Duration = Duration::from_secs(30 * 86_400);

    /// The same timing, queued for `queued` before dialing.
    #[must_use]
    pub fn with_queued(self, queued: Duration) -> Self {
        Timing { queued, ..self }
    }

    /// The same timing, ringing for `ringing` before it is answered (or not).
    #[must_use]
    pub fn with_ringing(self, ringing: Duration) -> Self {
        Timing { ringing, ..self }
    }

    /// The same timing, the conversation lasting `talk`.
    #[must_use]
    pub fn with_talk(self, talk: Duration) -> Self {
        Timing { talk, ..self }
    }

    /// Each phase at most [`LONGEST`](Self::LONGEST).
    pub(crate) fn bounded(self) -> Timing {
        Timing {
            queued: self.queued.min(Self::LONGEST),
            ringing: self.ringing.min(Self::LONGEST),
            talk: self.talk.min(Self::LONGEST),
        }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            queued: Duration::from_millis(100),
            ringing: Duration::from_millis(200),
            talk: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Lifecycle {
    /// Seeded history: frozen in one phase.
    Fixed(Phase),
    /// Dialed through the API: moves on as real time passes.
    Live { dialed: Instant, outcome: Outcome },
}

#[derive(Debug, Clone)]
pub(crate) struct SimNote {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) content: String,
    pub(crate) flagged: bool,
    pub(crate) created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimRating {
    pub(crate) emoji: String,
    pub(crate) email: String,
    pub(crate) created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimCall {
    pub(crate) id: String,
    pub(crate) direction: Direction,
    pub(crate) web: bool,
    pub(crate) from: Option<String>,
    /// Vapi: the id of the number the call was dialed from, as the dial named it (`None`:
    /// the account's number).
    pub(crate) number_id: Option<String>,
    /// Vapi: dialed from a transient number (`phoneNumber` on the dial, its number
    /// `from`), which the call shows as an object, without a `phoneNumberId`.
    pub(crate) transient_number: bool,
    pub(crate) to: Option<String>,
    pub(crate) agent_id: String,
    pub(crate) agent_name: String,
    /// HappyRobot: the use case that runs the call (`None`: the account's one use case).
    pub(crate) use_case: Option<String>,
    pub(crate) campaign_id: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) scheduled_for: Option<DateTime<Utc>>,
    pub(crate) lifecycle: Lifecycle,
    /// Seconds of conversation, for seeded calls (dialed calls use the timing).
    pub(crate) talk_secs: f64,
    pub(crate) ring_secs: f64,
    /// The longest a dialed call may talk, as its dial asked (HappyRobot's
    /// `max_duration_mins`, Vapi's `assistantOverrides.maxDurationSeconds`).
    pub(crate) max_talk: Option<Duration>,
    /// Set by stop / cancel / terminate.
    pub(crate) forced: Option<(Phase, DateTime<Utc>)>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) variables: Map<String, Value>,
    pub(crate) tags: Vec<String>,
    pub(crate) notes: Vec<SimNote>,
    pub(crate) ratings: Vec<SimRating>,
    pub(crate) viewed_by: Vec<String>,
    pub(crate) name: Option<String>,
    /// The language the dial asked for (`None`: the agent's own).
    pub(crate) language: Option<String>,
    pub(crate) content_seed: u64,
    pub(crate) deleted: bool,
}

/// A call as it stands at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    pub(crate) phase: Phase,
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) ended_at: Option<DateTime<Utc>>,
    pub(crate) duration_secs: Option<f64>,
}

impl View {
    pub(crate) fn outcome(&self) -> Option<Outcome> {
        match self.phase {
            Phase::Ended(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// Whether there is a conversation to show (transcript, recording, analysis).
    pub(crate) fn has_conversation(&self) -> bool {
        self.outcome().is_some_and(Outcome::answered) && self.started_at.is_some()
    }

    /// The call as it stood in the phase before its current one (ringing before it was
    /// in progress, queued before it rang): the snapshot a status update carries.
    pub(crate) fn a_phase_before(&self) -> View {
        let phase = match self.phase {
            Phase::InProgress => Phase::Ringing,
            Phase::Ringing | Phase::Dialing => Phase::Queued,
            Phase::Ended(_) | Phase::Canceled => return self.before_its_end(),
            earlier => earlier,
        };
        View {
            phase,
            started_at: None,
            ended_at: None,
            duration_secs: None,
        }
    }

    /// The call just before it ended: in progress once it was answered, else ringing;
    /// nothing of its end.
    pub(crate) fn before_its_end(&self) -> View {
        let phase = match self.started_at {
            Some(_) => Phase::InProgress,
            None => Phase::Ringing,
        };
        View {
            phase,
            started_at: self.started_at,
            ended_at: None,
            duration_secs: None,
        }
    }
}

fn delta(seconds: f64) -> TimeDelta {
    TimeDelta::milliseconds((seconds * 1000.0).round() as i64)
}

/// When a dialed call's phases begin, counted from the dial.
#[derive(Debug, Clone, Copy)]
struct Marks {
    /// Scheduled until then.
    wait: Duration,
    /// Placed with the carrier (dialing) from then.
    dial_start: Duration,
    /// Ringing from then.
    ring_start: Duration,
    /// Answered (or given up on) then.
    answer_at: Duration,
    /// The conversation ends then.
    end_at: Duration,
}

/// How long a dialed call that lasts until it is ended talks at most: ten minutes, taken as
/// Vapi's default `maxDurationSeconds` (inferred), after which the vendor ends it itself.
pub(crate) const LASTING_TALK: Duration = Duration::from_secs(600);

impl SimCall {
    /// How long a dialed call talks: the timing's conversation, or, for a call that lasts
    /// until it is ended (`Outcome::MaxDuration`), its dial's maximum duration, else
    /// [`LASTING_TALK`].
    fn talk(&self, timing: &Timing) -> Duration {
        match self.lifecycle {
            Lifecycle::Live {
                outcome: Outcome::MaxDuration,
                ..
            } => self.max_talk.unwrap_or(LASTING_TALK).min(Timing::LONGEST),
            _ => timing.talk,
        }
    }

    fn marks(&self, timing: &Timing) -> Marks {
        let wait = self
            .scheduled_for
            .map(|at| (at - self.created_at).to_std().unwrap_or_default())
            .unwrap_or_default();
        let dial_start = wait + timing.queued;
        let answer_at = dial_start + timing.ringing;
        Marks {
            wait,
            dial_start,
            ring_start: dial_start + timing.ringing / 4,
            answer_at,
            end_at: answer_at + self.talk(timing),
        }
    }

    /// The next moment after `now` at which a dialed call moves on by itself (`None` for
    /// seeded calls, and once nothing is left to happen on its own).
    pub(crate) fn next_change(&self, now: Instant, timing: &Timing) -> Option<Instant> {
        let Lifecycle::Live { dialed, outcome } = &self.lifecycle else {
            return None;
        };
        let marks = self.marks(timing);
        let mut changes = vec![
            marks.wait,
            marks.dial_start,
            marks.ring_start,
            marks.answer_at,
        ];
        if outcome.answered() {
            changes.push(marks.end_at);
        }
        changes
            .into_iter()
            .map(|offset| *dialed + offset)
            .find(|at| *at > now)
    }

    /// The call as it stands `now`.
    pub(crate) fn view(&self, now: Instant, timing: &Timing) -> View {
        let (phase, started_at, talk_secs) = match &self.lifecycle {
            Lifecycle::Fixed(phase) => {
                let started = self.created_at + delta(self.ring_secs);
                let answered = match phase {
                    Phase::Ended(outcome) => outcome.answered(),
                    Phase::InProgress => true,
                    _ => false,
                };
                (*phase, answered.then_some(started), self.talk_secs)
            }
            Lifecycle::Live { dialed, outcome } => {
                let elapsed = now.saturating_duration_since(*dialed);
                let Marks {
                    wait,
                    dial_start,
                    ring_start,
                    answer_at,
                    end_at,
                } = self.marks(timing);
                let phase = if elapsed < wait {
                    Phase::Scheduled
                } else if elapsed < dial_start {
                    Phase::Queued
                } else if elapsed < ring_start {
                    Phase::Dialing
                } else if elapsed < answer_at {
                    Phase::Ringing
                } else if !outcome.answered() {
                    Phase::Ended(*outcome)
                } else if elapsed < end_at {
                    Phase::InProgress
                } else {
                    Phase::Ended(*outcome)
                };
                let started = self.created_at + delta(answer_at.as_secs_f64());
                let answered = outcome.answered() && elapsed >= answer_at;
                (
                    phase,
                    answered.then_some(started),
                    self.talk(timing).as_secs_f64(),
                )
            }
        };
        // When the call ended (or will end) by itself: a forced end only counts before it.
        let natural_end = match &self.lifecycle {
            Lifecycle::Fixed(Phase::Ended(_) | Phase::Canceled) => Some(DateTime::<Utc>::MIN_UTC),
            Lifecycle::Fixed(_) => None,
            Lifecycle::Live { outcome, .. } => {
                let marks = self.marks(timing);
                let over = if outcome.answered() {
                    marks.end_at
                } else {
                    marks.answer_at
                };
                Some(self.created_at + delta(over.as_secs_f64()))
            }
        };
        let (phase, forced_at) = match self.forced {
            Some((forced, at)) if natural_end.is_none_or(|end| at < end) => (forced, Some(at)),
            _ => (phase, None),
        };
        // A call ended before it was answered never starts, however long ago that was.
        let started_at = started_at.filter(|start| forced_at.is_none_or(|end| *start <= end));
        // Unanswered, a dialed call ends when its ringing does, after any wait for its
        // schedule and its time queued; a seeded one rang for its own `ring_secs`.
        let rang_until = match &self.lifecycle {
            Lifecycle::Live { .. } => natural_end,
            Lifecycle::Fixed(_) => None,
        };
        let ended_at = match phase {
            Phase::Ended(_) | Phase::Canceled => Some(
                forced_at
                    .or_else(|| started_at.map(|s| s + delta(talk_secs)))
                    .or(rang_until)
                    .unwrap_or(self.created_at + delta(self.ring_secs)),
            ),
            _ => None,
        };
        let duration_secs = match (started_at, ended_at) {
            (Some(start), Some(end)) if end >= start => {
                Some((end - start).num_milliseconds() as f64 / 1000.0)
            }
            _ => None,
        };
        View {
            phase,
            started_at: if phase == Phase::Canceled {
                None
            } else {
                started_at
            },
            ended_at,
            duration_secs,
        }
    }
}

#[cfg(test)]
impl SimCall {
    /// A seeded outbound phone call in `phase`, for tests: created 2026-10-01 10:00 UTC,
    /// ringing 4 s, talking 42.5 s.
    pub(crate) fn sample(id: &str, phase: Phase) -> SimCall {
        SimCall {
            id: id.to_owned(),
            direction: Direction::Outbound,
            web: false,
            from: Some("+16285550143".into()),
            number_id: None,
            transient_number: false,
            to: Some("+14155550199".into()),
            agent_id: "6650c0ffee0123456789ab01".into(),
            agent_name: "Kate".into(),
            use_case: None,
            campaign_id: None,
            created_at: "2026-10-01T10:00:00Z".parse().unwrap_or_default(),
            scheduled_for: None,
            lifecycle: Lifecycle::Fixed(phase),
            talk_secs: 42.5,
            ring_secs: 4.0,
            max_talk: None,
            forced: None,
            metadata: Map::new(),
            variables: Map::new(),
            tags: Vec::new(),
            notes: Vec::new(),
            ratings: Vec::new(),
            viewed_by: Vec::new(),
            name: None,
            language: None,
            content_seed: 7,
            deleted: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_ended_before_it_was_answered_never_starts() {
        let timing = Timing::default();
        let now = Instant::now();
        let mut call = SimCall::sample("c", Phase::Queued);
        // Dialed long enough ago to have been answered and to have ended by itself …
        let ago = Duration::from_secs(5);
        call.lifecycle = Lifecycle::Live {
            dialed: now.checked_sub(ago).unwrap_or(now),
            outcome: Outcome::CustomerEnded,
        };
        call.created_at = Utc::now() - TimeDelta::seconds(5);
        // … but stopped 50 ms after the dial, while it was still queued.
        call.forced = Some((
            Phase::Ended(Outcome::EndedByApi),
            call.created_at + TimeDelta::milliseconds(50),
        ));
        let view = call.view(now, &timing);
        assert_eq!(view.phase, Phase::Ended(Outcome::EndedByApi));
        assert_eq!(view.started_at, None);
        assert_eq!(view.duration_secs, None);
        assert!(!view.has_conversation());
        // Stopped while talking: it had started.
        call.forced = Some((
            Phase::Ended(Outcome::EndedByApi),
            call.created_at + TimeDelta::milliseconds(400),
        ));
        let view = call.view(now, &timing);
        assert!(view.started_at.is_some() && view.has_conversation());
        assert_eq!(view.duration_secs, Some(0.1));
    }

    /// A dialed call nobody answered ends when its ringing does: after the wait for its
    /// schedule, its time queued and its time ringing, not before it rang.
    #[test]
    fn an_unanswered_dialed_call_ends_when_its_ringing_does() {
        let timing = Timing::default();
        let now = Instant::now();
        let mut call = SimCall::sample("c", Phase::Queued);
        let ago = Duration::from_secs(3_700);
        call.lifecycle = Lifecycle::Live {
            dialed: now.checked_sub(ago).unwrap_or(now),
            outcome: Outcome::NoAnswer,
        };
        call.created_at = Utc::now() - TimeDelta::seconds(3_700);
        call.scheduled_for = Some(call.created_at + TimeDelta::hours(1));
        let view = call.view(now, &timing);
        assert_eq!(view.phase, Phase::Ended(Outcome::NoAnswer));
        let rang = TimeDelta::hours(1) + TimeDelta::milliseconds(100 + 200);
        assert_eq!(view.ended_at, Some(call.created_at + rang));
        assert_eq!(view.started_at, None);
    }

    /// A dialed call is queued, then placed (dialing: the first quarter of its ringing),
    /// rings, talks and ends, each phase starting at its mark; each mark is a change the
    /// emulator wakes up for.
    #[test]
    fn a_dialed_call_passes_through_each_phase_at_its_mark() {
        let timing = Timing::default()
            .with_queued(Duration::from_secs(10))
            .with_ringing(Duration::from_secs(40))
            .with_talk(Duration::from_secs(100));
        let dialed = Instant::now();
        let mut call = SimCall::sample("c", Phase::Queued);
        call.lifecycle = Lifecycle::Live {
            dialed,
            outcome: Outcome::CustomerEnded,
        };
        let at = |secs: u64| dialed + Duration::from_secs(secs);
        for (secs, phase) in [
            (0, Phase::Queued),
            (9, Phase::Queued),
            (10, Phase::Dialing),
            (19, Phase::Dialing),
            (20, Phase::Ringing),
            (49, Phase::Ringing),
            (50, Phase::InProgress),
            (149, Phase::InProgress),
            (150, Phase::Ended(Outcome::CustomerEnded)),
        ] {
            assert_eq!(call.view(at(secs), &timing).phase, phase, "at {secs} s");
        }
        let changes: Vec<_> =
            std::iter::successors(Some(dialed), |now| call.next_change(*now, &timing))
                .skip(1)
                .collect();
        assert_eq!(changes, [at(10), at(20), at(50), at(150)]);
        // The snapshot a status update carries: queued before it was placed.
        let dialing = call.view(at(15), &timing);
        assert_eq!(dialing.a_phase_before().phase, Phase::Queued);
    }

    /// A call that lasts until it is ended talks on long after the timing's talk, and
    /// ends for its maximum duration ten minutes after it was answered.
    #[test]
    fn a_lasting_call_ends_at_its_maximum_duration() {
        let timing = Timing::default();
        let now = Instant::now();
        let mut call = SimCall::sample("c", Phase::Queued);
        let view_after = |call: &mut SimCall, ago: Duration| {
            call.lifecycle = Lifecycle::Live {
                dialed: now.checked_sub(ago).unwrap_or(now),
                outcome: Outcome::MaxDuration,
            };
            call.created_at = Utc::now() - TimeDelta::from_std(ago).unwrap_or_default();
            call.view(now, &timing)
        };
        let talking = view_after(&mut call, Duration::from_secs(300));
        assert_eq!(talking.phase, Phase::InProgress);
        let over = view_after(&mut call, Duration::from_secs(601));
        assert_eq!(over.phase, Phase::Ended(Outcome::MaxDuration));
        assert_eq!(over.duration_secs, Some(LASTING_TALK.as_secs_f64()));
    }
}
