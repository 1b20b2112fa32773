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
    Ringing,
    InProgress,
    Ended(Outcome),
    Canceled,
}

/// How long each phase of a dialed call lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Queued before dialing.
    pub queued: Duration,
    /// Ringing before it is answered (or not).
    pub ringing: Duration,
    /// The conversation.
    pub talk: Duration,
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
    pub(crate) to: Option<String>,
    pub(crate) agent_id: String,
    pub(crate) agent_name: String,
    pub(crate) campaign_id: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) scheduled_for: Option<DateTime<Utc>>,
    pub(crate) lifecycle: Lifecycle,
    /// Seconds of conversation, for seeded calls (dialed calls use the timing).
    pub(crate) talk_secs: f64,
    pub(crate) ring_secs: f64,
    /// Set by stop / cancel / terminate.
    pub(crate) forced: Option<(Phase, DateTime<Utc>)>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) variables: Map<String, Value>,
    pub(crate) tags: Vec<String>,
    pub(crate) notes: Vec<SimNote>,
    pub(crate) ratings: Vec<SimRating>,
    pub(crate) viewed_by: Vec<String>,
    pub(crate) name: Option<String>,
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
}

fn delta(seconds: f64) -> TimeDelta {
    TimeDelta::milliseconds((seconds * 1000.0).round() as i64)
}

impl SimCall {
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
                let wait = self
                    .scheduled_for
                    .map(|at| (at - self.created_at).to_std().unwrap_or_default())
                    .unwrap_or_default();
                let ring_start = wait + timing.queued;
                let answer_at = ring_start + timing.ringing;
                let end_at = answer_at + timing.talk;
                let phase = if elapsed < wait {
                    Phase::Scheduled
                } else if elapsed < ring_start {
                    Phase::Queued
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
                    timing.talk.as_secs_f64(),
                )
            }
        };
        let (phase, forced_at) = match self.forced {
            // A forced end only counts if the call had not ended already.
            Some((forced, at)) if !matches!(phase, Phase::Ended(_) | Phase::Canceled) => {
                (forced, Some(at))
            }
            _ => (phase, None),
        };
        let ended_at = match phase {
            Phase::Ended(_) | Phase::Canceled => Some(
                forced_at
                    .or_else(|| started_at.map(|s| s + delta(talk_secs)))
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
