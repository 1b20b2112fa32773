//! The dial cases: a call placed and waited on, a busy line, a scheduled dial, and what
//! a dialed call shows once it has settled.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde_json::json;

use super::{Check, Suite, not_run, quoted, unplaceable_dial};
use crate::adapter::same_number;
use crate::conformance::Outcome;
use crate::{Call, CallId, CallStatus, DialRequest, Operation, Result, VoiceProviderExt, Wait};

use super::contents::has_analysis;

/// How long a call dialed here is re-read after its end for what comes later (analysis,
/// cost), at most: an agent without post-call analysis would otherwise be polled for the
/// whole call deadline after the call is over.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

impl Suite<'_> {
    pub(super) fn dial_request(&self, to: String) -> DialRequest {
        let mut request = DialRequest::to(to);
        request.variables.insert("first_name".into(), json!("Ada"));
        request
    }

    pub(super) async fn dial_and_wait(&self, to: String) -> std::result::Result<Call, String> {
        let before = self.env.dials_received(self.kind);
        let outcome = self
            .place(&self.dial_request(to.clone()))
            .await
            .map_err(|e| self.dial_failed(e))?;
        if let (Some(before), Some(after)) = (before, self.env.dials_received(self.kind)) {
            // Both counts, not their difference: a count that went down must not underflow.
            if after != before.saturating_add(1) {
                // The call dialed may be live all the same: ended before failing, or it
                // runs on at the account's cost.
                let ended = self.end_dialed(&outcome.call_id).await;
                return Err(format!(
                    "one dial took the vendor's dial count from {before} to {after}{ended}"
                ));
            }
        }
        let (deadline, poll) = self.env.call_deadline();
        // Counted as elapsed, never as an instant to come: a deadline of `Duration::MAX`
        // (no limit) would overflow one.
        let started = tokio::time::Instant::now();
        let waited = loop {
            let left = deadline.saturating_sub(started.elapsed());
            let wait = Wait::at_most(left).polling_every(poll);
            match self.provider.wait_until_ended(&outcome.call_id, wait).await {
                // A passing failure (a few reads in a row failed: an outage, a rate
                // limit) with time left: the call goes on meanwhile, and so does the
                // wait. Ending it now would hang up on the person answering.
                Err(error)
                    if error.is_transient()
                        && started.elapsed().saturating_add(poll) < deadline =>
                {
                    tokio::time::sleep(poll).await;
                }
                waited => break waited,
            }
        };
        match waited {
            // The call read must be the one dialed, to the number given: the cases after
            // write to it (and may delete it) by its id.
            Ok(call) if call.id != outcome.call_id => Err(format!(
                "the dial answered id {}, but reading it gave call {}: the cases that change the dialed call would change another",
                outcome.call_id, call.id
            )),
            Ok(call)
                if call
                    .to
                    .as_deref()
                    .is_some_and(|read| !same_number(read, &to)) =>
            {
                Err(format!(
                    "dialed {to}, but the call placed says it called {}",
                    quoted(call.to.as_deref())
                ))
            }
            Ok(call) => Ok(call),
            // Given up on (the wait ran out, or reading the call failed): a live call left
            // running costs the account, so it is ended where it can be, or named.
            Err(gave_up) => {
                let ended = self.end_dialed(&outcome.call_id).await;
                Err(self.failed("wait_until_ended", gave_up) + &ended)
            }
        }
    }

    /// Dials `request`, and tells the environment of the call placed
    /// ([`Environment::dialed`](crate::conformance::Environment::dialed)). Every dial of
    /// the suite goes through here, even one a provider should refuse: if it placed a call
    /// all the same, that call is live.
    pub(super) async fn place(&self, request: &DialRequest) -> Result<crate::DialOutcome> {
        let outcome = self.provider.dial(request).await?;
        self.env.dialed(self.kind, &outcome.call_id);
        Ok(outcome)
    }

    /// Ends a call dialed here that a case gives up on, and says (for its failure) whether
    /// that worked: a call left live runs at the account's cost.
    pub(super) async fn end_dialed(&self, id: &CallId) -> String {
        if !self.caps.end_call {
            return format!("; the provider cannot end a call: call {id} may still be live");
        }
        match self.provider.end_call(id).await {
            Ok(()) => "; the call was ended".to_owned(),
            Err(e) => {
                self.note_throttling(&e);
                format!("; ending the call failed too ({e}): call {id} may still be live")
            }
        }
    }

    pub(super) async fn dial(&mut self) -> Check {
        if !self.caps.dial {
            return self.unsupported(self.place(&unplaceable_dial()).await, &[Operation::Dial]);
        }
        let Some(number) = self.env.dial_number() else {
            return not_run("no number to dial (voiceport check --dial +E164)");
        };
        let call = self.dial_and_wait(number).await?;
        // Placed and ended by the line (a live number not answered, busy, a voicemail):
        // the dial worked, but there was no conversation for this case and those reading
        // it to check. A call that failed is the provider's.
        let not_answered = [
            CallStatus::NoAnswer,
            CallStatus::Busy,
            CallStatus::Voicemail,
        ];
        if not_answered.contains(&call.status) {
            self.spare.push(call.id.clone());
            return not_run(&format!(
                "the call {} ended {} (vendor status: {}): answer it, for a conversation to check",
                call.id,
                call.status,
                quoted(call.vendor_status.as_deref())
            ));
        }
        ensure!(
            call.status == CallStatus::Completed,
            "ended {} (vendor status: {})",
            call.status,
            quoted(call.vendor_status.as_deref())
        );
        ensure!(call.duration_secs.is_some_and(|d| d > 0.0), "no duration");
        self.ended = Some(call);
        self.dialed_here = true;
        Ok(Outcome::Passed)
    }

    pub(super) async fn dial_busy(&mut self) -> Check {
        if !self.caps.dial {
            return self.unsupported(self.place(&unplaceable_dial()).await, &[Operation::Dial]);
        }
        let Some(number) = self.env.busy_number() else {
            return not_run("no number known to be busy");
        };
        let call = self.dial_and_wait(number).await?;
        // Dialed here and ended: the delete case may have it.
        self.spare.push(call.id.clone());
        ensure!(
            call.status == CallStatus::Busy,
            "ended {} (vendor status: {})",
            call.status,
            quoted(call.vendor_status.as_deref())
        );
        Ok(Outcome::Passed)
    }

    pub(super) async fn dial_scheduled(&mut self) -> Check {
        let later = Utc::now() + TimeDelta::hours(2);
        if !(self.caps.dial && self.caps.dial_scheduled) {
            let request = DialRequest {
                scheduled_for: Some(later),
                ..unplaceable_dial()
            };
            let refused = [Operation::DialOption("scheduled_for"), Operation::Dial];
            return self.unsupported(self.place(&request).await, &refused);
        }
        let Some(number) = self.env.dial_number() else {
            return not_run("no number to dial");
        };
        // A second call, on top of the one dial a live run allows, even if canceled.
        if !self.env.allow_writes() {
            return not_run("a scheduled dial is a second call: it runs where writes are allowed");
        }
        if !self.caps.cancel_call && !self.env.may_leave_scheduled_calls() {
            return not_run("a scheduled call could not be canceled afterwards");
        }
        let request = DialRequest {
            scheduled_for: Some(later),
            ..self.dial_request(number)
        };
        // A failure that may have placed the call says so: a phone may ring in two hours.
        let outcome = self
            .place(&request)
            .await
            .map_err(|e| self.dial_failed(e))?;
        // Canceled later whatever the checks below say.
        self.scheduled = Some(outcome.call_id.clone());
        let call = self
            .provider
            .get_call(&outcome.call_id)
            .await
            .map_err(|e| self.failed("get_call", e))?;
        if call.status != CallStatus::Scheduled && !call.status.is_terminal() {
            // Placed now rather than later (the schedule ignored): a phone is ringing, and
            // no cancel stops a call under way. Ended here, where the vendor can; the cancel
            // case, with no scheduled call to cancel, is not run.
            self.scheduled = None;
            let ended = match self.caps.end_call {
                true => match self.provider.end_call(&outcome.call_id).await {
                    Ok(()) => "; ended it".to_owned(),
                    Err(e) => format!("; {}", self.failed("end_call", e)),
                },
                false => "; it could not be ended (no end_call)".to_owned(),
            };
            return Err(format!("the call is {}, not scheduled{ended}", call.status));
        }
        // Over already (refused, failed): nothing rings later, nothing to cancel.
        if call.status != CallStatus::Scheduled {
            self.scheduled = None;
        }
        ensure!(
            call.status == CallStatus::Scheduled,
            "the call is {}",
            call.status
        );
        Ok(Outcome::Passed)
    }

    /// Re-reads the call dialed here until it carries what ended calls come to carry
    /// (analysis, cost) where the provider says they do, for as long as the environment
    /// gives a call to end, two minutes at most ([`SETTLE_LIMIT`]): some vendors add them
    /// after the end (Retell's analysis comes with `call_analyzed`), and the cases judge the
    /// call as it settled, not as it first read ended. A read that fails leaves the call as
    /// it was.
    pub(super) async fn settle_dialed(&mut self) {
        // Rate limited: the call's later parts are not waited for (the call itself was
        // dialed and has ended, or its case said what is left of it).
        if self.throttled() {
            return;
        }
        let caps = self.caps;
        let settled = |call: &Call| {
            (!caps.analysis || has_analysis(call)) && (!caps.cost || call.cost.is_some())
        };
        let id = match &self.ended {
            Some(call) if self.dialed_here && !settled(call) => call.id.clone(),
            _ => return,
        };
        let (deadline, poll) = self.env.call_deadline();
        let deadline = deadline.min(SETTLE_LIMIT);
        let started = std::time::Instant::now();
        while started.elapsed() < deadline {
            tokio::time::sleep(poll).await;
            let Ok(call) = self.provider.get_call(&id).await else {
                return;
            };
            let done = settled(&call);
            self.ended = Some(call);
            if done {
                return;
            }
        }
    }
}
