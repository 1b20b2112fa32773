//! The cases. Each returns `Ok(outcome)` or `Err(why it failed)`; none panics.
//!
//! Here: the [`Suite`], which runs them in order and records each, and the reads of one
//! call. Beside it, by what they exercise: [`paging`] (order, walks, page sizes),
//! [`filters`], [`dial`], [`contents`] (what a call carries) and [`writes`] (what changes
//! a call).

use std::fmt::Debug;

use super::{Environment, Outcome, Report};
use crate::{
    Call, CallId, CallQuery, Capabilities, DialRequest, Error, Filter, MetadataMode, Operation,
    ProviderKind, Result, VoiceProvider,
};

type Check = std::result::Result<Outcome, String>;

/// Why the cases after one the vendor answered 429 are not run.
const THROTTLED: &str =
    "the vendor rate limited an earlier case (429): nothing more is sent, to spare the key";

/// Runs a case (`$check`) of `$suite` and records it as `$name`, unless an earlier case
/// was rate limited: then it is recorded as not run, and sends nothing.
macro_rules! case {
    ($suite:ident, $name:expr, $check:expr) => {{
        let check = match $suite.throttled() {
            true => not_run(THROTTLED),
            false => $check,
        };
        $suite.record($name, check);
    }};
}

/// Fails the case with a message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!($($why)+));
        }
    };
}

mod contents;
mod dial;
mod filters;
mod paging;
mod writes;

#[cfg(test)]
pub(super) use filters::{Verdict, verdict};

/// `Unsupported` for one of the operations `refused` (what the case asked for, or the
/// operation as a whole where the vendor can do none of it) is the right answer; anything
/// else fails the case, an `Unsupported` for something else too (a refusal of another
/// filter or field than the one declared absent says nothing of this one).
fn unsupported_check<T: Debug>(result: Result<T>, refused: &[Operation]) -> Check {
    match result {
        Err(Error::Unsupported { operation, .. }) if refused.contains(&operation) => {
            Ok(Outcome::Unsupported)
        }
        Err(Error::Unsupported { operation, .. }) => Err(format!(
            "declared unsupported, but refused as unsupported for {operation:?}, not for {}",
            (refused.iter().map(|op| format!("{op:?}")))
                .collect::<Vec<_>>()
                .join(" or ")
        )),
        Ok(_) => Err("declared unsupported, but it succeeded".into()),
        Err(other) => Err(format!("declared unsupported, but got: {other}")),
    }
}

fn not_run(why: &str) -> Check {
    Ok(Outcome::NotRun(why.to_owned()))
}

/// A vendor's text in a failure's reason: quoted, its control characters escaped.
fn quoted(text: Option<&str>) -> String {
    text.map_or_else(|| "none".to_owned(), |text| format!("{text:?}"))
}

/// A dial no vendor can place (it has no number to call), for the cases checking that a
/// dial flag declared `false` is refused: the capability guard answers `Unsupported`
/// before it looks at the number, while a provider without the guard (a user's own)
/// fails the case without placing a call, whatever the environment allows.
pub(super) fn unplaceable_dial() -> DialRequest {
    DialRequest::to("")
}

/// An id shaped like `like` that no call has: its hex digits zeroed (a UUID stays a
/// UUID), else, when that changes nothing (no hex digit, or only zeros), its last
/// alphanumeric character (else its last character) swapped for another of its kind.
pub(super) fn missing_id(like: &CallId) -> CallId {
    let zeroed: String = like
        .as_str()
        .chars()
        .map(|c| if c.is_ascii_hexdigit() { '0' } else { c })
        .collect();
    if zeroed != like.as_str() {
        return CallId::new(zeroed);
    }
    let mut chars: Vec<char> = zeroed.chars().collect();
    let Some(last) = chars.len().checked_sub(1) else {
        return CallId::new("0");
    };
    let at = chars
        .iter()
        .rposition(char::is_ascii_alphanumeric)
        .unwrap_or(last);
    // Digits stay digits (hex here, as every digit is '0'), letters stay letters.
    chars[at] = match chars[at] {
        '0' => '1',
        'z' => 'y',
        c if c.is_ascii_alphabetic() => 'z',
        _ => '0',
    };
    CallId::new(chars.into_iter().collect::<String>())
}

pub(super) struct Suite<'a> {
    provider: &'a dyn VoiceProvider,
    env: &'a dyn Environment,
    kind: ProviderKind,
    caps: Capabilities,
    report: Report,
    /// The first page of the listing (up to 100 calls).
    sample: Vec<Call>,
    /// Every call of a seeded account, read before any case dials (`None`: the account's
    /// size is unknown, or the provider cannot list): what a filter must return all of
    /// that match. The error when reading them failed.
    everything: Option<std::result::Result<Vec<Call>, String>>,
    /// A call that ended normally: the one dialed here, else a completed one listed.
    ended: Option<Call>,
    /// Whether `ended` was dialed here (so it is known to hold a conversation).
    dialed_here: bool,
    /// Why the first listing failed, for the cases left without a listed call.
    listing_error: Option<String>,
    /// Why reading the completed call listed failed, for the cases left without a call.
    completed_error: Option<String>,
    /// Calls dialed here that have ended and that no later case reads: what the delete
    /// case may delete (on a live account, any other call is a customer's).
    spare: Vec<CallId>,
    /// A scheduled call dialed here, for the cancel case.
    scheduled: Option<CallId>,
    /// The vendor answered a case 429 (rate limited) once the client's retries were
    /// spent: the cases after it are not run, to spare a key production may be using.
    throttled: std::sync::atomic::AtomicBool,
}

impl<'a> Suite<'a> {
    pub(super) fn new(provider: &'a dyn VoiceProvider, env: &'a dyn Environment) -> Self {
        Suite {
            provider,
            env,
            kind: provider.kind(),
            caps: provider.capabilities(),
            report: Report {
                provider: provider.kind(),
                cases: Vec::new(),
            },
            sample: Vec::new(),
            everything: None,
            ended: None,
            dialed_here: false,
            listing_error: None,
            completed_error: None,
            spare: Vec::new(),
            scheduled: None,
            throttled: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// `error`, which ended `operation`, as a case's failure; a rate limit is noted, so
    /// that no further case runs.
    fn failed(&self, operation: &str, error: Error) -> String {
        self.note_throttling(&error);
        format!("{operation}: {error}")
    }

    /// The answer to an operation declared unsupported, judged ([`unsupported_check`]), a
    /// rate limit noted.
    fn unsupported<T: Debug>(&self, result: Result<T>, refused: &[Operation]) -> Check {
        if let Err(error) = &result {
            self.note_throttling(error);
        }
        unsupported_check(result, refused)
    }

    /// A dial that failed as a case's failure, and whether a call may exist all the same:
    /// on a live account, running the check again could otherwise place a second call.
    fn dial_failed(&self, error: Error) -> String {
        let placed = match error.outcome() {
            crate::RequestOutcome::NotApplied => "",
            crate::RequestOutcome::Unknown => {
                "; the call may have been placed: look for it before dialing again"
            }
            crate::RequestOutcome::Applied => {
                "; the call was placed, but the answer could not be read: look for it before dialing again"
            }
        };
        self.failed("dial", error) + placed
    }

    fn note_throttling(&self, error: &Error) {
        if matches!(error, Error::RateLimited { .. }) {
            self.throttled
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Whether a case was answered 429: the cases after it are not run.
    fn throttled(&self) -> bool {
        self.throttled.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn record(&mut self, case: &str, check: Check) {
        let outcome = check.unwrap_or_else(Outcome::Failed);
        self.report.record(case, outcome);
    }

    /// A call id of this provider's shape that no call has, for the cases the guard must
    /// refuse: a provider without the guard (a user's own) then writes to no real call.
    fn some_id(&self) -> CallId {
        self.sample
            .first()
            .map(|c| missing_id(&c.id))
            .unwrap_or_else(|| CallId::new("00000000-0000-0000-0000-000000000000"))
    }

    fn seeded(&self) -> bool {
        self.env.expected_calls(self.kind).is_some()
    }

    /// The call dialed here lacks `what`, which the provider says ended calls carry: a
    /// failure where the environment knows its calls (the sandbox); on a live account,
    /// whose agent may not record, analyse or transcribe, the case is not run, saying so.
    fn dialed_lacks(&self, what: &str) -> Check {
        let why = format!("the call dialed here carries no {what}");
        match self.seeded() {
            true => Err(why),
            false => not_run(&format!(
                "{why}: the provider says ended calls do, unless the account or agent turns it off (check that setting)"
            )),
        }
    }

    /// `why` a case has no call to use, with the first listing's error when it failed.
    fn no_call(&self, why: &str) -> String {
        match &self.listing_error {
            Some(error) => format!("{why} (the first listing failed: {error})"),
            None => why.to_owned(),
        }
    }

    /// A case left without a call by a failure: not run, but failed where the environment
    /// says the account holds calls (the failing read should have given one).
    fn call_missing(&self, why: String) -> Check {
        if self.env.expected_calls(self.kind).is_some_and(|n| n > 0) {
            Err(why)
        } else {
            Ok(Outcome::NotRun(why))
        }
    }

    /// A case left without a listed call: not run, but failed where the environment says
    /// the account holds calls (the listing should have returned some).
    fn without_sample(&self, why: &str) -> Check {
        self.call_missing(self.no_call(why))
    }

    /// A case with no completed call to read: from the listing's fault when it gave none,
    /// from `get_call`'s when reading the completed call listed failed. That call was
    /// just listed, so failing to read it fails the case on any account (a decode error
    /// in what only ended calls carry would otherwise pass as "not run").
    fn no_completed_call(&self, why: &str) -> Check {
        if let Some(error) = &self.completed_error {
            // Said, or the case would blame the account's data for the provider's error.
            return Err(format!(
                "{why} (reading the completed call listed failed: {error})"
            ));
        }
        if self.sample.is_empty() {
            self.without_sample(why)
        } else {
            not_run(why)
        }
    }

    pub(super) async fn run(mut self) -> Report {
        if self.caps.list_calls {
            let query = CallQuery {
                page_size: Some(100),
                ..CallQuery::default()
            };
            match self.provider.list_calls(&query).await {
                Ok(page) => self.sample = page.calls,
                // Kept: the cases left without a call say why, instead of blaming the data.
                Err(error) => self.listing_error = Some(self.failed("list_calls", error)),
            }
            if let Some(expected) = self.env.expected_calls(self.kind) {
                let query = CallQuery::default();
                // The baseline every filter's completeness is judged against: short, it
                // would excuse the filters' listings short the same way.
                let read = self.read_all(query, expected).await.and_then(|calls| {
                    ensure!(
                        calls.len() == expected,
                        "the listing at 100 a page holds {} calls of the {expected} on the account",
                        calls.len()
                    );
                    Ok(calls)
                });
                self.everything = Some(read);
            }
        }
        case!(self, "get_call", self.get_call().await);
        case!(
            self,
            "get_call of a missing id is NotFound",
            self.missing_call().await
        );
        for &filter in Filter::ALL {
            case!(
                self,
                &format!("list_calls filter {filter}"),
                self.filter(filter).await
            );
        }
        case!(
            self,
            "list_calls sort newest first",
            self.newest_first().await
        );
        case!(self, "stream every page", self.walk().await);
        case!(self, "pages of the size asked", self.page_sizes().await);
        case!(
            self,
            "filtering after the fetch",
            self.filtering_after_the_fetch().await
        );
        case!(self, "dial, then wait for the end", self.dial().await);
        case!(self, "dial a busy line", self.dial_busy().await);
        case!(self, "dial scheduled", self.dial_scheduled().await);
        self.settle_dialed().await;
        if self.ended.is_none() && !self.throttled() {
            match self.completed_from_sample().await {
                Ok(call) => self.ended = call,
                // Kept, as the listing's is: the cases left without a call say why.
                Err(error) => self.completed_error = Some(error),
            }
        }
        case!(self, "transcript", self.transcript().await);
        case!(self, "inline transcript", self.inline_transcript().await);
        case!(self, "recording", self.recording().await);
        case!(self, "cost", self.cost());
        case!(self, "analysis", self.analysis());
        case!(self, "update name", self.update_name().await);
        case!(
            self,
            "update metadata (merge)",
            self.update_metadata(MetadataMode::Merge).await
        );
        case!(
            self,
            "update metadata (replace)",
            self.update_metadata(MetadataMode::Replace).await
        );
        case!(self, "notes: add, update, delete", self.notes().await);
        case!(self, "end a live call", self.end_call().await);
        // Run even when rate limited, should a scheduled call of this run wait: left, it
        // would ring later.
        let check = match self.throttled() && self.scheduled.is_none() {
            true => not_run(THROTTLED),
            false => self.cancel_call().await,
        };
        self.record("cancel a scheduled call", check);
        case!(self, "delete a call", self.delete_call().await);
        case!(self, "webhooks", self.webhooks());
        self.report
    }

    async fn get_call(&self) -> Check {
        if !self.caps.get_call {
            return self.unsupported(
                self.provider.get_call(&self.some_id()).await,
                &[Operation::GetCall],
            );
        }
        let Some(first) = self.sample.first() else {
            return self.without_sample("the listing returned no call to fetch");
        };
        let fetched = self
            .provider
            .get_call(&first.id)
            .await
            .map_err(|e| self.failed("get_call", e))?;
        ensure!(
            fetched.id == first.id,
            "asked for {}, got {}",
            first.id,
            fetched.id
        );
        ensure!(
            fetched.provider == self.kind,
            "the call says it is from {}",
            fetched.provider
        );
        ensure!(
            fetched.vendor_payload().is_some(),
            "the vendor payload was lost"
        );
        Ok(Outcome::Passed)
    }

    async fn missing_call(&self) -> Check {
        if !self.caps.get_call {
            return self.unsupported(
                self.provider.get_call(&self.some_id()).await,
                &[Operation::GetCall],
            );
        }
        let Some(first) = self.sample.first() else {
            return self.without_sample("no call id to derive a missing one from");
        };
        match self.provider.get_call(&missing_id(&first.id)).await {
            Err(Error::NotFound { .. }) => Ok(Outcome::Passed),
            Ok(call) => Err(format!("expected NotFound, got call {}", call.id)),
            Err(other) => {
                self.note_throttling(&other);
                Err(format!("expected NotFound, got: {other}"))
            }
        }
    }
}
