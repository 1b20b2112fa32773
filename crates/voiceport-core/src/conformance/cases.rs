//! The cases. Each returns `Ok(outcome)` or `Err(why it failed)`; none panics.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

use super::{Environment, Outcome, Report};
use crate::{
    Analysis, Call, CallId, CallKind, CallPage, CallQuery, CallStatus, CallUpdate, Capabilities,
    DialRequest, Direction, Error, Filter, MetadataMode, NoteInput, NoteUpdate, Operation,
    PageCursor, ProviderKind, Result, SortOrder, VoiceProvider, VoiceProviderExt, Wait,
};

type Check = std::result::Result<Outcome, String>;

/// How long `end_call` may take to show: some vendors end a call a moment later.
const END_WAIT: Duration = Duration::from_secs(30);

/// How long a call dialed here is re-read after its end for what comes later (analysis,
/// cost), at most: an agent without post-call analysis would otherwise be polled for the
/// whole call deadline after the call is over.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// How many pages a filter case reads looking for a match: a vendor filtering a page
/// after fetching it may serve empty pages before the one holding the call.
const FILTER_PAGES: usize = 5;

/// How many pages the case of filtering after the fetch reads in all on a live account.
const LIVE_FILTERING_PAGES: usize = 24;

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

/// Whether `calls` come in `order` by creation time: not run with fewer than two dated.
fn in_order(calls: &[Call], order: SortOrder) -> Check {
    let times: Vec<_> = calls.iter().filter_map(|c| c.created_at).collect();
    let (sorted, name) = match order {
        SortOrder::Ascending => (times.is_sorted(), "oldest first"),
        SortOrder::Descending => (times.iter().rev().is_sorted(), "newest first"),
    };
    ensure!(sorted, "not {name}");
    if times.len() < 2 {
        return not_run("fewer than two calls with a creation time: the order was not checked");
    }
    Ok(Outcome::Passed)
}

/// Whether two numbers are one, however typed (a vendor may drop the `+`).
fn same_number(a: &str, b: &str) -> bool {
    let key = |number| {
        crate::adapter::number_key(number)
            .trim_start_matches('+')
            .to_owned()
    };
    key(a) == key(b)
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

/// A query with `filter` alone, on a made-up value: what a provider that cannot filter so
/// must refuse whatever the value.
fn any_value_query(filter: Filter) -> Option<CallQuery> {
    let mut query = CallQuery::default();
    match filter {
        Filter::Direction => query.direction = Some(Direction::Outbound),
        Filter::Kind => query.kind = Some(CallKind::Phone),
        Filter::Statuses => query.statuses = vec![CallStatus::Completed],
        Filter::TimeRange => query.since = Some(Utc::now()),
        Filter::Agent => query.agent_id = Some("x".into()),
        Filter::Campaign => query.campaign_id = Some("x".into()),
        Filter::Tags => query.tags = vec!["x".into()],
        Filter::Search => query.search = Some("x".into()),
        Filter::ToNumber => query.to_number = Some("+1".into()),
        Filter::FromNumber => query.from_number = Some("+1".into()),
        Filter::Sort => query.sort = Some(SortOrder::Ascending),
        // A filter added later: no value to try yet.
        #[allow(unreachable_patterns)]
        _ => return None,
    }
    Some(query)
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

/// How a call the vendor returned for a query on one filter stands against it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It has the field filtered on, and the value asked for.
    Matches,
    /// It lacks the field (the vendor filtered it, on what the call does not show): some
    /// page decoders keep such calls (HappyRobot without an agent or campaign, Rounded
    /// without a start time), so nothing can be said of it.
    Lacks,
    /// Its field says it is not what was asked for.
    Contradicts,
}

/// Whether a number filter of `number` is sent as it is written (not rewritten as E.164).
fn as_sent(number: &str) -> bool {
    crate::adapter::dial_number(number) == number
}

pub(super) fn verdict(
    query: &CallQuery,
    filter: Filter,
    call: &Call,
    caps: &Capabilities,
) -> Verdict {
    let lacks = match filter {
        Filter::Direction => call.direction.is_none(),
        // Without the time the vendor filters on, a call the other time puts out of range
        // may be in it by the one it lacks.
        Filter::TimeRange if caps.time_range_on_start => call.started_at.is_none(),
        Filter::TimeRange => call.created_at.is_none(),
        Filter::Agent => call.agent.as_ref().and_then(|a| a.id.as_ref()).is_none(),
        Filter::Campaign => call.campaign_id.is_none(),
        Filter::Tags => call.tags.is_empty(),
        Filter::FromNumber => call.from.is_none(),
        Filter::ToNumber => call.to.is_none(),
        // What a search matches is the vendor's to say (a transcript, variables voiceport
        // does not read): a call voiceport's own reading does not match says nothing.
        Filter::Search => true,
        // Always set (kind, status), or no one field (sort).
        _ => false,
    };
    // `matches` keeps a call without any time: that compares nothing.
    let untimed =
        filter == Filter::TimeRange && call.created_at.is_none() && call.started_at.is_none();
    if query.matches(call) && !untimed {
        Verdict::Matches
    } else if lacks {
        Verdict::Lacks
    } else {
        Verdict::Contradicts
    }
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

    /// The time the vendor's time range filters on: a call that never started is out of a
    /// range applied to the start.
    fn filtered_time(&self, call: &Call) -> Option<DateTime<Utc>> {
        match self.caps.time_range_on_start {
            true => call.started_at,
            false => call.created_at,
        }
    }

    /// A time range holding a listed call and leaving out its listed neighbours on both
    /// sides, its ends half-way between them (a minute or more from each, so that a vendor
    /// reading whole seconds draws the same line); `None` where no three listed calls are
    /// so spaced.
    fn time_window(&self) -> Option<CallQuery> {
        let mut times: Vec<DateTime<Utc>> = self
            .sample
            .iter()
            .filter_map(|c| self.filtered_time(c))
            .collect();
        times.sort_unstable();
        times.dedup();
        let gap = TimeDelta::minutes(1);
        times.windows(3).find_map(|three| match *three {
            [before, at, after] if at - before >= gap && after - at >= gap => Some(CallQuery {
                since: Some(before + (at - before) / 2),
                until: Some(at + (after - at) / 2),
                ..Default::default()
            }),
            _ => None,
        })
    }

    /// A query using `filter` with a value taken from the sample (`None`: nothing to use),
    /// and whether that value came from a listed call (so at least that call matches).
    fn filter_query(&self, filter: Filter) -> Option<(CallQuery, bool)> {
        let find = |pick: &dyn Fn(&Call) -> Option<CallQuery>| self.sample.iter().find_map(pick);
        let listed_direction = self.sample.iter().find_map(|c| c.direction);
        let from_sample = match filter {
            Filter::Direction => listed_direction.is_some(),
            // The vendor decides what a search searches: a listed call's number need not
            // be among it.
            Filter::Kind | Filter::Statuses | Filter::Sort | Filter::Search => false,
            // Every other value is read off a listed call.
            _ => true,
        };
        let mut query = match filter {
            Filter::Direction => Some(CallQuery {
                direction: Some(listed_direction.unwrap_or(Direction::Outbound)),
                ..Default::default()
            }),
            Filter::Kind => Some(CallQuery {
                kind: Some(CallKind::Phone),
                ..Default::default()
            }),
            Filter::Statuses => Some(CallQuery {
                statuses: vec![CallStatus::Completed, CallStatus::NoAnswer],
                ..Default::default()
            }),
            // Around a listed call, with listed calls outside both ends where the sample
            // has them (so that a provider dropping `since` or `until` returns calls out
            // of range); else an hour either side of one.
            Filter::TimeRange => self.time_window().or_else(|| {
                find(&|c| {
                    let at = self.filtered_time(c)?;
                    // An hour either side, when the vendor's time leaves room for one.
                    let hour = TimeDelta::hours(1);
                    Some(CallQuery {
                        since: Some(at.checked_sub_signed(hour)?),
                        until: Some(at.checked_add_signed(hour)?),
                        ..Default::default()
                    })
                })
            }),
            Filter::Agent => find(&|c| {
                Some(CallQuery {
                    agent_id: Some(c.agent.as_ref()?.id.clone()?),
                    ..Default::default()
                })
            }),
            Filter::Campaign => find(&|c| {
                Some(CallQuery {
                    campaign_id: Some(c.campaign_id.clone()?),
                    ..Default::default()
                })
            }),
            Filter::Tags => find(&|c| {
                // Vendors send tags as a comma-separated list: one holding a comma cannot
                // be asked for (HappyRobot's adapter refuses it).
                let tag = c.tags.iter().find(|tag| !tag.contains(','))?;
                Some(CallQuery {
                    tags: vec![tag.clone()],
                    ..Default::default()
                })
            }),
            // A number the vendor stores written with separators is sent as E.164 (as a
            // dial's is), which a vendor comparing as text does not find: not picked.
            Filter::Search | Filter::ToNumber => find(&|c| {
                let to = (c.to.clone()).filter(|to| filter == Filter::Search || as_sent(to))?;
                Some(match filter {
                    Filter::Search => CallQuery {
                        search: Some(to),
                        ..Default::default()
                    },
                    _ => CallQuery {
                        to_number: Some(to),
                        ..Default::default()
                    },
                })
            }),
            Filter::FromNumber => find(&|c| {
                Some(CallQuery {
                    from_number: Some(c.from.clone().filter(|from| as_sent(from))?),
                    ..Default::default()
                })
            }),
            Filter::Sort => Some(CallQuery {
                sort: Some(SortOrder::Ascending),
                ..Default::default()
            }),
            // A filter added later: no value to try yet.
            #[allow(unreachable_patterns)]
            _ => None,
        }?;
        query.page_size = Some(100);
        Some((query, from_sample))
    }

    async fn filter(&self, filter: Filter) -> Check {
        // Judged as the guard judges it, on a query of this filter alone (the sort case
        // asks for oldest first: taken where the vendor sorts, or lists so).
        let supported = match any_value_query(filter) {
            Some(query) => query.unsupported_filter(&self.caps).is_none(),
            None => self.caps.supports_filter(filter),
        };
        // Refused as this filter, or as listing where the vendor lists nothing.
        let refused = [Operation::ListFilter(filter), Operation::ListCalls];
        let Some((query, from_sample)) = self.filter_query(filter) else {
            if !supported {
                // Any value: the guard refuses the filter before it is sent. This filter
                // alone, so that the refusal is of this one.
                let Some(query) = any_value_query(filter) else {
                    return not_run("no value to try this filter with");
                };
                return self.unsupported(self.provider.list_calls(&query).await, &refused);
            }
            return if self.seeded() {
                Err(self.no_call(&format!(
                    "no call in the seeded sample has a {filter} value"
                )))
            } else {
                not_run(&self.no_call("no listed call has a value to filter on"))
            };
        };
        if !supported {
            return self.unsupported(self.provider.list_calls(&query).await, &refused);
        }
        let calls = match &self.everything {
            // A seeded account: every page, each call checked, none left out.
            Some(everything) => {
                let everything = everything.as_ref().map_err(|e| {
                    format!("reading every call, to check the filter left none out: {e}")
                })?;
                let calls = self.read_all(query.clone(), everything.len()).await?;
                every_match_returned(&query, filter, everything, &calls, &self.caps)?;
                if filter == Filter::TimeRange {
                    self.filtered_on_the_declared_time(everything).await?;
                }
                calls
            }
            None => self.first_calls(query.clone()).await?,
        };
        // A search voiceport's reading does not match may match what the vendor searches
        // (on a live account); one that gives the unfiltered listing back, calls it does
        // not match among them, was ignored. Where the environment knows its calls (the
        // sandbox searches as voiceport reads), every call must match.
        let unmatched = calls.iter().filter(|call| !query.matches(call)).count();
        if filter == Filter::Search && unmatched > 0 {
            let searched = number_described(query.search.as_deref().unwrap_or_default());
            ensure!(
                !self.seeded(),
                "{unmatched} of {} calls returned hold no trace of {searched}",
                calls.len()
            );
            let compared = calls.len().min(self.sample.len());
            let ids = |calls: &[Call]| {
                calls
                    .iter()
                    .take(compared)
                    .map(|call| call.id.clone())
                    .collect::<Vec<_>>()
            };
            ensure!(
                compared < 2 || ids(&calls) != ids(&self.sample),
                "the search gave the unfiltered listing back: {} calls, {unmatched} of them holding no trace of {searched}",
                calls.len()
            );
        }
        let mut compared = 0;
        for call in &calls {
            match verdict(&query, filter, call, &self.caps) {
                Verdict::Matches => compared += 1,
                Verdict::Lacks => {}
                Verdict::Contradicts => {
                    return Err(format!("{} does not match the filter", call.id));
                }
            }
        }
        if compared == 0 {
            // A value read off a listed call matches that call at least, seeded data or not.
            ensure!(
                !(from_sample || self.seeded()),
                "no call matched, though {}",
                if from_sample {
                    "the value was taken from a listed call"
                } else {
                    "the seeded data holds some"
                }
            );
            // An empty account, or a filter the vendor answers with nothing: not a pass.
            let why = if calls.is_empty() {
                "the filtered listing returned no call: nothing was checked".to_owned()
            } else {
                format!("no call returned has a {filter} value: nothing was checked")
            };
            return Ok(Outcome::NotRun(why));
        }
        if filter == Filter::Sort {
            return in_order(&calls, SortOrder::Ascending);
        }
        Ok(Outcome::Passed)
    }

    /// On a seeded account, which time a time range compares
    /// ([`Capabilities::time_range_on_start`]): a call created but never started, asked
    /// for by a minute around its creation, is returned where the vendor filters on the
    /// creation time and not where it filters on the start. Nothing is checked where no
    /// call shows a creation time without a start (Rounded's and Retell's calls show no
    /// creation time), or none is alone in its minute.
    async fn filtered_on_the_declared_time(
        &self,
        everything: &[Call],
    ) -> std::result::Result<(), String> {
        let half_minute = TimeDelta::seconds(30);
        // A provider's times of any year: none that the range would overflow.
        let around = |at: DateTime<Utc>| {
            Some((
                at.checked_sub_signed(half_minute)?,
                at.checked_add_signed(half_minute)?,
            ))
        };
        let unstarted = everything.iter().find_map(|call| {
            let (since, until) = around(call.created_at.filter(|_| call.started_at.is_none())?)?;
            // Alone in its minute, so that what comes back is about it alone.
            let alone = !everything.iter().any(|other| {
                other.id != call.id
                    && [other.created_at, other.started_at]
                        .into_iter()
                        .flatten()
                        .any(|at| since <= at && at < until)
            });
            alone.then_some((call, since, until))
        });
        let Some((call, since, until)) = unstarted else {
            return Ok(());
        };
        let query = CallQuery {
            since: Some(since),
            until: Some(until),
            ..CallQuery::default()
        };
        let returned = self.read_all(query, everything.len()).await?;
        let found = returned.iter().any(|c| c.id == call.id);
        match (self.caps.time_range_on_start, found) {
            (true, true) => Err(format!(
                "declared to filter on the start time, but {} (created in the range, never started) was returned",
                call.id
            )),
            (false, false) => Err(format!(
                "declared to filter on the creation time, but {} (created in the range, never started) was not returned",
                call.id
            )),
            _ => Ok(()),
        }
    }

    /// The calls of the first page holding any for `query`; an empty page followed by
    /// more is read past, as a vendor filtering each page after fetching it may serve one.
    async fn first_calls(&self, query: CallQuery) -> std::result::Result<Vec<Call>, String> {
        let mut pages = self.provider.pages(query).take(FILTER_PAGES);
        while let Some(page) = pages.next().await {
            let calls = page.map_err(|e| self.failed("list_calls", e))?.calls;
            if !calls.is_empty() {
                return Ok(calls);
            }
        }
        Ok(Vec::new())
    }

    /// Every call `query` lists on an account of `expected` calls, at 100 a page: an
    /// error when the walk does not end within the pages those calls fill, plus two (a
    /// last empty page, a page a client-side filter emptied).
    async fn read_all(
        &self,
        query: CallQuery,
        expected: usize,
    ) -> std::result::Result<Vec<Call>, String> {
        let size = self.caps.max_page_size.clamp(1, 100);
        let budget = (expected / size as usize).saturating_add(2);
        let pages = self.pages_within(query, size, budget).await?;
        ensure!(
            pages.len() <= budget,
            "the listing did not end within {budget} pages of {size} calls ({expected} calls on the account)"
        );
        Ok(pages.into_iter().flat_map(|page| page.calls).collect())
    }

    /// The pages of `query` at `size` calls a page, read up to one past `budget`: a walk
    /// that reaches it has not ended within it.
    async fn pages_within(
        &self,
        query: CallQuery,
        size: u32,
        budget: usize,
    ) -> std::result::Result<Vec<CallPage>, String> {
        let query = CallQuery {
            page_size: Some(size),
            ..query
        };
        // As the vendor sent them: a call a page repeats of the one before is what tells
        // a cursor overlapping the pages.
        (crate::paging::pages_as_sent(self.provider, query))
            .take(budget.saturating_add(1))
            .try_collect()
            .await
            .map_err(|e| self.failed("list_calls", e))
    }

    /// The listing asked for newest first: a provider that sorts, or one whose vendor
    /// lists so anyway ([`Capabilities::listing_order`]), must give it; any other must
    /// refuse it. (`list_calls filter sort` checks the other order.)
    async fn newest_first(&self) -> Check {
        let query = CallQuery {
            sort: Some(SortOrder::Descending),
            page_size: Some(100),
            ..CallQuery::default()
        };
        if !self.caps.supports_sort(SortOrder::Descending) {
            let refused = [Operation::ListFilter(Filter::Sort), Operation::ListCalls];
            return self.unsupported(self.provider.list_calls(&query).await, &refused);
        }
        let page =
            (self.provider.list_calls(&query).await).map_err(|e| self.failed("list_calls", e))?;
        in_order(&page.calls, SortOrder::Descending)
    }

    async fn walk(&self) -> Check {
        if !self.caps.list_calls {
            return self.unsupported(
                self.provider.list_calls(&CallQuery::default()).await,
                &[Operation::ListCalls],
            );
        }
        let size = self.caps.max_page_size.clamp(1, 37);
        let expected = self.env.expected_calls(self.kind);
        // The pages `expected` calls fill at `size` a page, plus a last empty one some
        // vendors serve; on an account of unknown size, a few pages prove the cursor works.
        let budget = expected.map_or(5, |n| (n / size as usize).saturating_add(2));
        let pages = self
            .pages_within(CallQuery::default(), size, budget)
            .await?;
        // Read to its last page (one without a next cursor), or cut at the read.
        let finished = pages.last().is_none_or(|page| page.next.is_none());
        ensure!(
            pages.len() <= budget || expected.is_none(),
            "the walk did not end within {budget} pages of {size} calls ({} calls expected)",
            expected.unwrap_or_default()
        );
        // Unfiltered, a page has no reason to be empty and point further: the walk ending
        // on two such pages goes nowhere, however big the account.
        let empty_tail = pages
            .iter()
            .rev()
            .take_while(|p| p.calls.is_empty())
            .count();
        ensure!(
            finished || empty_tail < 2,
            "the walk did not end within {} pages: its last {empty_tail} pages were empty, yet each pointed to another",
            pages.len()
        );
        let read = pages.len();
        // What the vendor counts on the account, as the first page said it.
        let counted = pages.first().and_then(|page| page.total);
        let offset_paged = (pages.iter()).any(|page| {
            matches!(
                page.next,
                Some(PageCursor::Offset { .. } | PageCursor::Page { .. })
            )
        });
        let shifted = offset_paged && expected.is_none() && repeats_only_where_pages_meet(&pages);
        let first_page: Vec<CallId> = (pages.first())
            .map(|page| page.calls.iter().map(|c| c.id.clone()).collect())
            .unwrap_or_default();
        let calls: Vec<Call> = pages.into_iter().flat_map(|page| page.calls).collect();
        let ids: HashSet<&CallId> = calls.iter().map(|c| &c.id).collect();
        if ids.len() != calls.len() && shifted {
            // Calls placed meanwhile change the first page (newest first) or come after
            // the last (oldest first, where they shift nothing): a first page the same
            // as before leaves only a cursor that overlaps the pages.
            let again = self.pages_within(CallQuery::default(), size, 0).await?;
            let unchanged = (again.first())
                .is_some_and(|page| page.calls.iter().map(|c| &c.id).eq(first_page.iter()));
            ensure!(
                !unchanged,
                "calls came twice, each where a page repeated the end of the one before, yet the first page is as it was: the cursor overlaps the pages (no call was placed meanwhile to move them on)"
            );
            return not_run(
                "calls came twice, each where a page repeated the end of the one before: calls placed during the walk move an offset-paged list on; run again when the account is quiet",
            );
        }
        ensure!(ids.len() == calls.len(), "a call came twice");
        if let Some(expected) = expected {
            ensure!(
                calls.len() == expected,
                "saw {} calls of {expected}",
                calls.len()
            );
        }
        if !finished {
            // A big account, as far as can be told: its end was not seen.
            return Ok(Outcome::NotRun(format!(
                "walk not finished after {read} pages; duplicates checked only"
            )));
        }
        if calls.is_empty() && expected.is_none() {
            return not_run("the account lists no call: there was nothing to page through");
        }
        // The first listing (one page of up to 100) saw these; a walk that ended without
        // them left pages out (a cursor that never points further, one that skips).
        let left_out = (self.sample.iter())
            .filter(|call| !ids.contains(&call.id))
            .count();
        ensure!(
            left_out == 0,
            "the walk ended after {} calls in {read} pages of {size}, without {left_out} of the {} calls one page of 100 listed: pages were left out (or calls deleted during the walk)",
            calls.len(),
            self.sample.len()
        );
        // Calls placed meanwhile may add to the count; only a walk ending short of it
        // shows pages left out (or calls deleted during the walk).
        if let Some(counted) = counted {
            ensure!(
                calls.len() as u64 >= counted,
                "the walk ended after {} calls, but the vendor counts {counted}: pages were left out (or calls deleted during the walk)",
                calls.len()
            );
        }
        Ok(Outcome::Passed)
    }

    /// `server_paging`, `default_page_size` and `max_page_size`: a page asked for 7 calls,
    /// one asked for no size and, on an account whose calls are known (not a live one:
    /// the vendor's largest answer), one asked for one more than the maximum hold at most
    /// the size the guard sends for each (7 within the maximum, the default, the maximum),
    /// and exactly that many where more follow on an account whose calls are known;
    /// without server paging, one page holds every call. A size is checked only where
    /// the account holds more calls than it (else the case is not run).
    async fn page_sizes(&self) -> Check {
        let sized = |size: Option<u32>| CallQuery {
            page_size: size,
            ..CallQuery::default()
        };
        if !self.caps.list_calls {
            return self.unsupported(
                self.provider.list_calls(&sized(None)).await,
                &[Operation::ListCalls],
            );
        }
        let list = |query: CallQuery| async move {
            (self.provider.list_calls(&query).await).map_err(|e| self.failed("list_calls", e))
        };
        let expected = self.env.expected_calls(self.kind);
        let small = list(sized(Some(7))).await?;
        if !self.caps.server_paging {
            ensure!(
                small.next.is_none(),
                "declared without server paging, yet a page asked for 7 calls points to another"
            );
            if let Some(n) = expected {
                ensure!(
                    small.calls.len() == n,
                    "declared without server paging (one page holds every call), yet the listing holds {} of {n}",
                    small.calls.len()
                );
            }
            return Ok(Outcome::Unsupported);
        }
        // `..Capabilities::NONE` leaves both at 0, which the guard reads as pages of one.
        let (max, default) = (self.caps.max_page_size, self.caps.default_page_size);
        ensure!(
            max >= 1 && (1..=max).contains(&default),
            "declared server paging with max_page_size {max} and default_page_size {default}: the maximum must be at least 1 and the default within 1 and the maximum"
        );
        // A page over the maximum is the largest answer the vendor gives (1,000 or 2,000
        // calls, transcripts and all): asked of an account whose calls are known (the
        // sandbox, a test account), not of a live one, where the guard's cut to the
        // maximum is all it would check (and that is tested on its own).
        let over_max = (expected.is_some())
            .then(|| self.caps.max_page_size.checked_add(1))
            .flatten()
            .map(|size| ("a page asked for more than the maximum", Some(size)));
        let mut unchecked = Vec::new();
        let probes = [
            ("a page asked for 7 calls", Some(7)),
            ("a page asked for no size", None),
        ];
        for (what, asked) in probes.into_iter().chain(over_max) {
            let query = sized(asked);
            // What the guard sends: the size asked, within 1 and the maximum.
            let sent = usize::try_from(self.caps.page_size(&query)).unwrap_or(usize::MAX);
            let page = match asked {
                Some(7) => small.clone(),
                _ => list(query).await?,
            };
            let held = page.calls.len();
            if page.next.is_none() {
                ensure!(
                    held <= sent,
                    "{what} holds {held} calls, over the {sent} sent, and points to no other: the vendor ignores the size (declared server_paging)"
                );
                // The account fits in the page: nothing says what a full one holds.
                ensure!(
                    expected.is_none_or(|n| n <= sent),
                    "{what} holds {held} of the {} calls, yet points to no other",
                    expected.unwrap_or_default()
                );
                unchecked.push(sent);
                continue;
            }
            ensure!(
                held <= sent,
                "{what} holds {held} calls, over the {sent} sent"
            );
            ensure!(
                held == sent || expected.is_none(),
                "{what} holds {held} calls, not the {sent} sent, and points to another"
            );
        }
        if let Some(&smallest) = unchecked.iter().min() {
            return not_run(&format!(
                "the account holds no more than {smallest} calls: pages of that size and over were not checked"
            ));
        }
        Ok(Outcome::Passed)
    }

    /// `client_side_filtering`: listings on one filter each, with a value the first
    /// listing shows (each direction, kind and status, and the value every other filter
    /// case uses), up to 20 pages each (3 on a live account, below) of the size the guard
    /// sends for 10, look for a page
    /// holding fewer calls than that which points to another: only filtering after the
    /// fetch gives one. Declared, one must come, else the case is not run (the account's
    /// values may all be filtered by the vendor, or fill every page); not declared, none
    /// may. On a live account (its data not known) it reads 3 pages a listing and
    /// [`LIVE_FILTERING_PAGES`] in all: a large account's filters fill every page, and
    /// reading on would only spend the key's requests.
    async fn filtering_after_the_fetch(&self) -> Check {
        let sized = CallQuery {
            page_size: Some(10),
            ..CallQuery::default()
        };
        if !self.caps.list_calls {
            return self.unsupported(
                self.provider.list_calls(&sized).await,
                &[Operation::ListCalls],
            );
        }
        let full = usize::try_from(self.caps.page_size(&sized)).unwrap_or(usize::MAX);
        let mut queries = Vec::new();
        let mut add = |filter: Filter, query: Option<CallQuery>| {
            if let Some(query) = query
                && self.caps.supports_filter(filter)
                && !queries.contains(&query)
            {
                queries.push(query);
            }
        };
        for call in &self.sample {
            let direction = (call.direction).map(|d| CallQuery {
                direction: Some(d),
                ..sized.clone()
            });
            add(Filter::Direction, direction);
            let kind = CallQuery {
                kind: Some(call.kind.clone()),
                ..sized.clone()
            };
            add(Filter::Kind, Some(kind));
            let status = CallQuery {
                statuses: vec![call.status],
                ..sized.clone()
            };
            add(Filter::Statuses, Some(status));
        }
        for &filter in Filter::ALL {
            if filter == Filter::Sort {
                continue;
            }
            let query = (self.filter_query(filter)).map(|(query, _)| CallQuery {
                page_size: sized.page_size,
                ..query
            });
            add(filter, query);
        }
        let (pages_per_query, mut pages_left) = match self.seeded() {
            true => (20, usize::MAX),
            false => (3, LIVE_FILTERING_PAGES),
        };
        let mut short = None;
        'queries: for mut query in queries {
            for _ in 0..pages_per_query {
                if pages_left == 0 {
                    break 'queries;
                }
                pages_left -= 1;
                let page = (self.provider.list_calls(&query).await)
                    .map_err(|e| self.failed("list_calls", e))?;
                let Some(next) = page.next else { break };
                if page.calls.len() < full {
                    short = Some(format!(
                        "a page of {} calls filtered by {:?} points to another",
                        page.calls.len(),
                        query.filters_used()
                    ));
                    break 'queries;
                }
                query.cursor = Some(next);
            }
        }
        match (self.caps.client_side_filtering, short) {
            (true, Some(_)) => Ok(Outcome::Passed),
            (true, None) if pages_left == 0 => not_run(&format!(
                "no filtered page came back short in the {LIVE_FILTERING_PAGES} pages a live run reads: nothing showed filtering after the fetch",
            )),
            (true, None) => not_run(&self.no_call(
                "no filtered page came back short: nothing showed filtering after the fetch",
            )),
            (false, None) => Ok(Outcome::Unsupported),
            (false, Some(short)) => Err(format!(
                "declared filtering on the vendor's side, yet {short}, as filtering after the fetch does"
            )),
        }
    }

    fn dial_request(&self, to: String) -> DialRequest {
        let mut request = DialRequest::to(to);
        request.variables.insert("first_name".into(), json!("Ada"));
        request
    }

    async fn dial_and_wait(&self, to: String) -> std::result::Result<Call, String> {
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
    /// ([`Environment::dialed`]). Every dial of the suite goes through here, even one a
    /// provider should refuse: if it placed a call all the same, that call is live.
    async fn place(&self, request: &DialRequest) -> Result<crate::DialOutcome> {
        let outcome = self.provider.dial(request).await?;
        self.env.dialed(self.kind, &outcome.call_id);
        Ok(outcome)
    }

    /// Ends a call dialed here that a case gives up on, and says (for its failure) whether
    /// that worked: a call left live runs at the account's cost.
    async fn end_dialed(&self, id: &CallId) -> String {
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

    async fn dial(&mut self) -> Check {
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

    async fn dial_busy(&mut self) -> Check {
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

    async fn dial_scheduled(&mut self) -> Check {
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

    /// A completed call from the sample, fetched in full; `None` when none is listed (or
    /// the provider cannot fetch one), the error when fetching it failed.
    async fn completed_from_sample(&self) -> std::result::Result<Option<Call>, String> {
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

    async fn transcript(&self) -> Check {
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

    async fn inline_transcript(&self) -> Check {
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

    async fn recording(&self) -> Check {
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
    fn carried(&self, supported: bool, has: impl Fn(&Call) -> bool, what: &str) -> Check {
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

    /// Re-reads the call dialed here until it carries what ended calls come to carry
    /// (analysis, cost) where the provider says they do, for as long as the environment
    /// gives a call to end, two minutes at most ([`SETTLE_LIMIT`]): some vendors add them
    /// after the end (Retell's analysis comes with `call_analyzed`), and the cases judge the
    /// call as it settled, not as it first read ended. A read that fails leaves the call as
    /// it was.
    async fn settle_dialed(&mut self) {
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

    fn cost(&self) -> Check {
        self.carried(self.caps.cost, |c| c.cost.is_some(), "cost")
    }

    fn analysis(&self) -> Check {
        self.carried(self.caps.analysis, has_analysis, "analysis")
    }

    /// The call the write cases change: only the one dialed here, as on a live account
    /// any other (a listed one, a completed one read) is a customer's.
    fn writable(&self) -> std::result::Result<CallId, Check> {
        if !self.env.allow_writes() {
            return Err(not_run("read-only run"));
        }
        self.ended
            .as_ref()
            .filter(|_| self.dialed_here)
            .map(|c| c.id.clone())
            .ok_or_else(|| not_run("writes change only a call this run dialed, and none ended"))
    }

    /// The call as the vendor keeps it, read again where `get_call` is a capability: a
    /// write is judged on what was stored, not only on the call the adapter returned
    /// (which an adapter could build without the vendor having stored anything).
    async fn stored(&self, id: &CallId) -> std::result::Result<Option<Call>, String> {
        if !self.caps.get_call {
            return Ok(None);
        }
        let call = self.provider.get_call(id).await;
        call.map(Some)
            .map_err(|e| self.failed("get_call after the write", e))
    }

    /// The call a write `returned`, and the call as [`stored`](Self::stored) where it can
    /// be read: each to be judged, by the name given.
    async fn returned_and_stored(
        &self,
        id: &CallId,
        returned: Call,
    ) -> std::result::Result<Vec<(&'static str, Call)>, String> {
        let stored = self.stored(id).await?;
        Ok(std::iter::once(("returned", returned))
            .chain(stored.map(|call| ("stored", call)))
            .collect())
    }

    async fn update_name(&self) -> Check {
        let update = CallUpdate {
            name: Some("Renewal follow-up".into()),
            ..CallUpdate::default()
        };
        if !self.caps.update_name {
            // Refused as the name, or as updating where the vendor updates nothing.
            let refused = [Operation::UpdateField("name"), Operation::UpdateCall];
            return self.unsupported(
                self.provider.update_call(&self.some_id(), &update).await,
                &refused,
            );
        }
        let id = match self.writable() {
            Ok(id) => id,
            Err(check) => return check,
        };
        let call = self
            .provider
            .update_call(&id, &update)
            .await
            .map_err(|e| self.failed("update_call", e))?;
        for (whose, call) in self.returned_and_stored(&id, call).await? {
            ensure!(
                call.name.as_deref() == Some("Renewal follow-up"),
                "the {whose} call's name is {}",
                quoted(call.name.as_deref())
            );
        }
        Ok(Outcome::Passed)
    }

    async fn update_metadata(&self, mode: MetadataMode) -> Check {
        let update = |pairs: &[(&str, serde_json::Value)]| CallUpdate {
            metadata: Some(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            metadata_mode: mode,
            ..CallUpdate::default()
        };
        let supported = match mode {
            MetadataMode::Merge => self.caps.update_metadata_merge,
            MetadataMode::Replace => self.caps.update_metadata_replace,
        };
        if !supported {
            let first = update(&[("a", json!(1))]);
            let refused = [
                Operation::UpdateField(mode.update_field()),
                Operation::UpdateCall,
            ];
            return self.unsupported(
                self.provider.update_call(&self.some_id(), &first).await,
                &refused,
            );
        }
        let id = match self.writable() {
            Ok(id) => id,
            Err(check) => return check,
        };
        let send = |u: CallUpdate| {
            let id = id.clone();
            async move { self.provider.update_call(&id, &u).await }
        };
        let fail = |e| self.failed("update_call", e);
        match mode {
            MetadataMode::Merge => {
                send(update(&[("a", json!(1)), ("b", json!(2))]))
                    .await
                    .map_err(fail)?;
                let call = send(update(&[("b", json!(3))])).await.map_err(fail)?;
                for (whose, call) in self.returned_and_stored(&id, call).await? {
                    ensure!(
                        call.metadata.get("a") == Some(&json!(1))
                            && call.metadata.get("b") == Some(&json!(3)),
                        "the {whose} call's merged metadata is {}",
                        json!(call.metadata)
                    );
                }
            }
            MetadataMode::Replace => {
                // Something to replace first (a merge of `z` into it would keep `a`).
                send(update(&[("a", json!(1))])).await.map_err(fail)?;
                let call = send(update(&[("z", json!(true))])).await.map_err(fail)?;
                for (whose, call) in self.returned_and_stored(&id, call).await? {
                    ensure!(
                        call.metadata.len() == 1 && call.metadata.get("z") == Some(&json!(true)),
                        "the {whose} call's replaced metadata is {}",
                        json!(call.metadata)
                    );
                }
            }
        }
        Ok(Outcome::Passed)
    }

    async fn notes(&self) -> Check {
        if !self.caps.notes {
            let note = NoteInput::new("hello");
            return self.unsupported(
                self.provider.add_note(&self.some_id(), &note).await,
                &[Operation::AddNote],
            );
        }
        let id = match self.writable() {
            Ok(id) => id,
            Err(check) => return check,
        };
        let fail = |e| self.failed("notes", e);
        let call = self
            .provider
            .add_note(&id, &NoteInput::new("Asked for a callback"))
            .await
            .map_err(fail)?;
        let Some(note) = call
            .notes
            .iter()
            .find(|n| n.content == "Asked for a callback")
        else {
            return Err("the added note is not on the call".into());
        };
        let note_id = note.id.clone();
        if let Some(stored) = self.stored(&id).await? {
            ensure!(
                stored
                    .notes
                    .iter()
                    .any(|n| n.id == note_id && n.content == "Asked for a callback"),
                "the added note is not on the stored call"
            );
        }
        let edited = NoteUpdate::text("Callback on Friday").with_flagged(true);
        let call = self
            .provider
            .update_note(&id, &note_id, &edited)
            .await
            .map_err(fail)?;
        let edited_is_on = |call: &Call| {
            (call.notes.iter())
                .any(|n| n.id == note_id && n.content == "Callback on Friday" && n.flagged)
        };
        ensure!(edited_is_on(&call), "the note was not updated");
        if let Some(stored) = self.stored(&id).await? {
            ensure!(
                edited_is_on(&stored),
                "the note was not updated on the stored call"
            );
        }
        // Unflagged, its text kept.
        let unflag = NoteUpdate::flagged(false);
        let call = (self.provider.update_note(&id, &note_id, &unflag).await).map_err(fail)?;
        ensure!(
            (call.notes.iter())
                .any(|n| n.id == note_id && n.content == "Callback on Friday" && !n.flagged),
            "the note was not unflagged, or lost its text"
        );
        let call = self
            .provider
            .delete_note(&id, &note_id)
            .await
            .map_err(fail)?;
        ensure!(
            call.notes.iter().all(|n| n.id != note_id),
            "the note is still there"
        );
        let persisted = self.provider.get_call(&id).await.map_err(fail)?;
        ensure!(
            persisted.notes.iter().all(|n| n.id != note_id),
            "the deleted note came back"
        );
        Ok(Outcome::Passed)
    }

    async fn end_call(&mut self) -> Check {
        if !self.caps.end_call {
            return self.unsupported(
                self.provider.end_call(&self.some_id()).await,
                &[Operation::EndCall],
            );
        }
        if !self.env.allow_writes() {
            return not_run("read-only run");
        }
        // A call that stays live until ended, where the environment has one: a call that
        // ends by itself could hide an end_call that sends nothing.
        let number = self
            .env
            .lasting_call_number()
            .or_else(|| self.env.dial_number());
        let Some(number) = number.filter(|_| self.caps.dial) else {
            return not_run("no live call to end (nothing dialed)");
        };
        let id = self
            .place(&self.dial_request(number))
            .await
            .map_err(|e| self.dial_failed(e))?
            .call_id;
        if let Err(error) = self.provider.end_call(&id).await {
            // A live call left running costs the account: one more try, and the report
            // says whether the call is still live.
            let again = match self.provider.end_call(&id).await {
                Ok(()) => "; a second end_call ended it".to_owned(),
                Err(e) => {
                    self.note_throttling(&e);
                    format!("; a second end_call failed too ({e}): call {id} may still be live")
                }
            };
            return Err(self.failed("end_call", error) + &again);
        }
        // A vendor may end the call a moment after answering: a short wait, not one look.
        let (deadline, poll) = self.env.call_deadline();
        let call = self
            .provider
            .wait_until_ended(
                &id,
                Wait::at_most(deadline.min(END_WAIT)).polling_every(poll),
            )
            .await
            .map_err(|e| {
                self.failed("end_call answered, but then wait_until_ended", e)
                    + &format!("; call {id} may still be live")
            })?;
        // Dialed here and ended: the delete case may have it, by the id the dial answered
        // (not the one read, which an adapter could get wrong).
        ensure!(
            call.id == id,
            "ended call {id}, but reading it gave call {}",
            call.id
        );
        self.spare.push(id);
        Ok(Outcome::Passed)
    }

    async fn cancel_call(&self) -> Check {
        if !self.caps.cancel_call {
            return self.unsupported(
                self.provider.cancel_call(&self.some_id()).await,
                &[Operation::CancelCall],
            );
        }
        let Some(id) = &self.scheduled else {
            return not_run("no scheduled call to cancel");
        };
        // Not canceled, the call scheduled here rings in two hours: said with any failure.
        let pending = format!(
            "; the call scheduled here, {id}, will ring in about two hours unless it is canceled"
        );
        let fail = |e| format!("{}{pending}", self.failed("cancel_call", e));
        self.provider.cancel_call(id).await.map_err(fail)?;
        let call = self.provider.get_call(id).await.map_err(fail)?;
        ensure!(
            call.status == CallStatus::Canceled,
            "the call is {}{pending}",
            call.status
        );
        Ok(Outcome::Passed)
    }

    async fn delete_call(&self) -> Check {
        if !self.caps.delete_call {
            return self.unsupported(
                self.provider.delete_call(&self.some_id()).await,
                &[Operation::DeleteCall],
            );
        }
        if !self.env.allow_writes() {
            return not_run("read-only run");
        }
        // Only a call dialed here (any other is a customer's on a live account): one no
        // later case reads first, else the one the dial case ended.
        let victim = self.spare.last().or(self
            .ended
            .as_ref()
            .filter(|_| self.dialed_here)
            .map(|c| &c.id));
        let Some(victim) = victim else {
            return not_run("deletes only a call this run dialed, and none ended");
        };
        self.provider
            .delete_call(victim)
            .await
            .map_err(|e| self.failed("delete_call", e))?;
        match self.provider.get_call(victim).await {
            Err(Error::NotFound { .. }) => Ok(Outcome::Passed),
            Ok(call) => Err(format!("after delete, get_call still found {}", call.id)),
            Err(other) => {
                self.note_throttling(&other);
                Err(format!("after delete, get_call gave: {other}"))
            }
        }
    }

    fn webhooks(&self) -> Check {
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

/// Whether `returned`, what a listing filtered by `query` gave, holds every call of
/// `everything` (the whole account) that surely matches: a provider sending only part of
/// a filter (the first of two statuses) returns nothing wrong, only too little. A call
/// lacking the field filtered on may go either way; a search must return every call that
/// voiceport's reading matches (a seeded account searches so; that it returns no other is
/// checked by the filter case itself); a time range takes a call only when it has the
/// time the vendor filters on ([`Capabilities::time_range_on_start`]) and every time it
/// has is in the range.
fn every_match_returned(
    query: &CallQuery,
    filter: Filter,
    everything: &[Call],
    returned: &[Call],
    caps: &Capabilities,
) -> std::result::Result<(), String> {
    let returned: HashSet<&CallId> = returned.iter().map(|c| &c.id).collect();
    // The time the vendor filters on must be there, and every time in range.
    let in_range = |call: &Call| {
        let filtered_on = match caps.time_range_on_start {
            true => call.started_at,
            false => call.created_at,
        };
        filtered_on.is_some()
            && (call.created_at.into_iter().chain(call.started_at))
                .all(|at| query.in_time_range(Some(at), call.ended_at))
    };
    let missing: Vec<&CallId> = everything
        .iter()
        .filter(|call| verdict(query, filter, call, caps) == Verdict::Matches)
        .filter(|call| filter != Filter::TimeRange || in_range(call))
        .map(|call| &call.id)
        .filter(|id| !returned.contains(id))
        .collect();
    match missing.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "{} matching call(s) missing from the filtered listing, {first} among them",
            missing.len()
        )),
    }
}

/// The number a search case searched for (a listed call's, a customer's), described
/// rather than quoted: what `voiceport check` prints is pasted into bug reports.
fn number_described(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let last_two = digits
        .len()
        .checked_sub(2)
        .and_then(|from| digits.get(from..));
    match last_two {
        // Enough digits left out that the two shown say nothing of whose it is.
        Some(last_two) if digits.len() >= 7 => {
            format!(
                "the listed call's number searched (ending {})",
                String::from_iter(last_two)
            )
        }
        _ => "the listed call's number searched".to_owned(),
    }
}

/// Whether `call` carries any analysis (a summary, an evaluation, extracted values …).
fn has_analysis(call: &Call) -> bool {
    call.analysis != Analysis::default()
}

/// Whether every call that came twice in `pages` came again at the start of a page, as the
/// end of the page before: what an offset-paged list (`skip`, page numbers) does when calls
/// are placed during the walk (each pushes the rest one place on). Any other repeat is the
/// provider's.
fn repeats_only_where_pages_meet(pages: &[CallPage]) -> bool {
    let same = |a: &[Call], b: &[Call]| a.iter().map(|c| &c.id).eq(b.iter().map(|c| &c.id));
    let mut ids: Vec<&CallId> = Vec::new();
    let mut before: &[Call] = &[];
    for page in pages {
        let calls = page.calls.as_slice();
        // The longest start of this page that is the end of the one before.
        let repeated = (1..=calls.len().min(before.len()))
            .rev()
            .find(|&n| {
                let end = before.get(before.len() - n..).unwrap_or_default();
                same(end, calls.get(..n).unwrap_or_default())
            })
            .unwrap_or(0);
        ids.extend(calls.iter().skip(repeated).map(|c| &c.id));
        before = calls;
    }
    let unique: HashSet<&&CallId> = ids.iter().collect();
    unique.len() == ids.len()
}
