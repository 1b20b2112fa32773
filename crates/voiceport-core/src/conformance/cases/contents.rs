//! What a call carries: transcript, recording, cost, analysis, and the webhook codec's
//! reading of its end.

use super::{Check, Suite, not_run, quoted};
use crate::conformance::Outcome;
use crate::{Analysis, Call, CallId, CallStatus, Operation};

impl Suite<'_> {
    /// A completed call from the sample, fetched in full; `None` when none is listed (or
    /// the provider cannot fetch one), the error when fetching it failed.
    pub(super) async fn completed_from_sample(&self) -> std::result::Result<Option<Call>, String> {
        if !self.caps.get_call {
            return Ok(None);
        }
        let Some(listed) = self
            .sample
            .iter()
            .find(|c| c.status == CallStatus::Completed)
        else {
            return Ok(None);
        };
        self.provider
            .get_call(&listed.id)
            .await
            .map(Some)
            .map_err(|e| self.failed("get_call", e))
    }

    pub(super) async fn transcript(&self) -> Check {
        if !self.caps.transcript {
            return self.unsupported(
                self.provider.get_transcript(&self.some_id()).await,
                &[Operation::GetTranscript],
            );
        }
        let Some(call) = &self.ended else {
            return self.no_completed_call("no completed call to read");
        };
        let transcript = self
            .provider
            .get_transcript(&call.id)
            .await
            .map_err(|e| self.failed("transcript", e))?;
        ensure!(
            !self.dialed_here || !transcript.utterances.is_empty(),
            "the call dialed here has an empty transcript"
        );
        if transcript.utterances.is_empty() {
            return not_run("the completed call read has an empty transcript (dial to tell)");
        }
        let offsets: Vec<f64> = transcript
            .utterances
            .iter()
            .filter_map(|u| u.start_secs)
            .collect();
        ensure!(
            offsets.windows(2).all(|w| w[0] <= w[1]),
            "utterances out of order"
        );
        Ok(Outcome::Passed)
    }

    pub(super) async fn inline_transcript(&self) -> Check {
        let Some(call) = &self.ended else {
            return self.no_completed_call("no completed call to read");
        };
        let inline = call.transcript.as_ref().is_some_and(|t| !t.is_empty());
        if self.caps.inline_transcript {
            if !inline && self.dialed_here {
                return self.dialed_lacks("transcript in get_call");
            }
            if !inline {
                return not_run("the completed call read carries no transcript (dial to tell)");
            }
            Ok(Outcome::Passed)
        } else {
            ensure!(
                !inline,
                "declared not inline, but get_call carries a transcript"
            );
            Ok(Outcome::Unsupported)
        }
    }

    pub(super) async fn recording(&self) -> Check {
        if !self.caps.recording {
            return self.unsupported(
                self.provider.get_recording(&self.some_id()).await,
                &[Operation::GetRecording],
            );
        }
        let Some(call) = &self.ended else {
            return self.no_completed_call("no completed call to read");
        };
        let recording = self
            .provider
            .get_recording(&call.id)
            .await
            .map_err(|e| self.failed("recording", e))?;
        let url = recording.and_then(|r| r.mono_url.or(r.stereo_url));
        // Shown without its query: a pre-signed URL's query is a credential.
        let shown = url
            .as_deref()
            .map(|u| u.split(['?', '#']).next().unwrap_or(u));
        ensure!(
            url.as_deref().is_none_or(|u| u.starts_with("https://")),
            "the recording URL is not https: {}",
            quoted(shown)
        );
        if url.is_none() && self.dialed_here {
            return self.dialed_lacks("recording");
        }
        if url.is_none() {
            return not_run("the completed call read has no recording (dial to tell)");
        }
        Ok(Outcome::Passed)
    }

    /// A flag about what calls carry: `true` and the ended call (if dialed here) has it;
    /// `false` and no call read has it.
    pub(super) fn carried(
        &self,
        supported: bool,
        has: impl Fn(&Call) -> bool,
        what: &str,
    ) -> Check {
        let mut read = self.sample.iter().chain(self.ended.as_ref());
        if supported {
            let ended = self.ended.as_ref().filter(|_| self.dialed_here);
            if !ended.is_none_or(&has) {
                return self.dialed_lacks(what);
            }
            if ended.is_none() && !read.any(&has) {
                let why = format!("no call read carries {what}");
                return match &self.ended {
                    Some(_) => not_run(&why),
                    None => self.no_completed_call(&why),
                };
            }
            Ok(Outcome::Passed)
        } else {
            if self.sample.is_empty() && self.ended.is_none() {
                return self.no_completed_call(&format!(
                    "no call was read, so none could show it carries no {what}: nothing was checked"
                ));
            }
            ensure!(!read.any(has), "declared absent, but a call carries {what}");
            Ok(Outcome::Unsupported)
        }
    }

    pub(super) fn cost(&self) -> Check {
        self.carried(self.caps.cost, |c| c.cost.is_some(), "cost")
    }

    pub(super) fn analysis(&self) -> Check {
        self.carried(self.caps.analysis, has_analysis, "analysis")
    }

    pub(super) fn webhooks(&self) -> Check {
        if !self.caps.webhooks {
            return self.unsupported(
                self.provider.parse_webhook(b"{}"),
                &[Operation::ParseWebhook],
            );
        }
        let Some(call) = &self.ended else {
            return self.no_completed_call("no completed call to build a delivery about");
        };
        let Some(body) = self.env.webhook_delivery(self.kind, &call.id) else {
            return not_run("no sample delivery for this account");
        };
        let event = self
            .provider
            .parse_webhook(&body)
            .map_err(|e| self.failed("parse_webhook", e))?;
        ensure!(
            event.call_id() == Some(&call.id),
            "the event is about {}, not {}",
            event.call_id().map_or("no call", CallId::as_str),
            call.id
        );
        // The end of the call, read as the call reads: not a delivery kept whole, nor a
        // status the call is past.
        ensure!(
            event.status() == Some(call.status),
            "the end delivery reads as {}, not as the call's status {}",
            event
                .status()
                .map_or("no status".to_owned(), |s| s.to_string()),
            call.status
        );
        Ok(Outcome::Passed)
    }
}

/// Whether `call` carries any analysis (a summary, an evaluation, extracted values …).
pub(super) fn has_analysis(call: &Call) -> bool {
    call.analysis != Analysis::default()
}
