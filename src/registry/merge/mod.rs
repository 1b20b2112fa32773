//! One call stream across several providers, merged in time order, resumable from one
//! cursor.
//!
//! Here: the walk ([`MergedCalls`]), one lane per provider. Beside it: what selects and
//! steers a walk ([`selection`]), what it yields ([`merged_call`]) and where it stands
//! ([`cursor`]).

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use futures::Stream;
use tokio::task::JoinHandle;
use tracing::Instrument;
use tracing::instrument::WithSubscriber;
use voiceport_core::{
    Call, CallId, CallPage, CallQuery, Error, Filter, Operation, PageCursor, Result, SeenCursors,
    SortOrder, VoiceProvider,
};

mod cursor;
mod merged_call;
mod selection;
#[cfg(test)]
pub(crate) mod tests;

pub use cursor::MergedCursor;
use cursor::{Position, WalkedTo, place_lost, query_digest};
pub use merged_call::{MergedCall, ProviderError};
pub use selection::{MergeOptions, Selection};

/// The merged stream of [`Registry::calls`](crate::Registry::calls): every selected
/// provider's calls, newest first by `created_at` (oldest first when the query sorts
/// ascending), ties broken by provider name; each provider's own order is kept, and a call
/// without a creation time stays where its vendor listed it.
///
/// Pages are fetched lazily and concurrently: each provider's first page is asked for as
/// the stream is built (so a stream built and dropped unread has asked each vendor once),
/// and each provider holds the page being merged and fetches its next page ahead once more than half of it is yielded, so memory is
/// bounded by two pages per provider whatever the number of calls. A walk that stops
/// before then asks that vendor once: one page of merged calls (the CLI's `--limit N`,
/// each provider asked for pages of N) asks each vendor once when no provider gave more
/// than half of it, and a provider that gave more has its second page asked for too.
///
/// Needs a Tokio runtime (the fetches ahead are tasks): started outside one,
/// [`Registry::calls`](crate::Registry::calls) fails with [`Error::InvalidArgument`] (of
/// `runtime`). Its fetches run on the runtime it was started in, so it can be read from any
/// thread or executor while that runtime runs.
#[must_use = "a merged stream yields nothing unless polled, though its first pages are already asked for"]
pub struct MergedCalls {
    lanes: Vec<Lane>,
    page_size: Option<u32>,
    /// The [digest](query_digest) of the query's filters and sort, for its cursors.
    query: String,
    descending: bool,
    keep_going: bool,
    left_out: Vec<ProviderError>,
    failures: Vec<ProviderError>,
    finished: bool,
    /// Where the walk stands in the merged order (see [`MergedCursor`]).
    walked_to: Option<WalkedTo>,
}

impl fmt::Debug for MergedCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MergedCalls")
            .field(
                "providers",
                &self.lanes.iter().map(|l| &l.name).collect::<Vec<_>>(),
            )
            .field("cursor", &self.cursor())
            .finish_non_exhaustive()
    }
}

struct Lane {
    name: String,
    provider: Arc<dyn VoiceProvider>,
    query: CallQuery,
    /// The page being merged: its cursor, and how many of its calls were yielded (and the
    /// last one's id).
    page: Option<PageCursor>,
    taken: usize,
    last_taken: Option<CallId>,
    buffer: VecDeque<Call>,
    /// How many calls the page being merged held.
    page_len: usize,
    /// The next page's cursor, not yet asked for: it is once more than half of this page
    /// is yielded.
    next: Option<PageCursor>,
    /// The fetch of the next page, and the cursor it asked for (`None`: the first page);
    /// `skip` calls of it are dropped on arrival (a resumed walk).
    ahead: Option<Fetch>,
    done: bool,
    /// The creation time of the last call yielded that had one: a call without a time
    /// keeps its place in its vendor's order by borrowing it.
    last_time: Option<DateTime<Utc>>,
    /// A resumed first page held only calls placed since the walk stopped: the call it
    /// stopped after is looked for on the next page too.
    searching: Option<CallId>,
    /// A resumed walk had yielded none of this provider's calls: those ahead of where the
    /// walk stood in the merged order were placed since, and are left out, until one of
    /// the provider's calls is yielded.
    unbegun_past: Option<WalkedTo>,
    /// One of its calls was yielded by this walk.
    yielded: bool,
    /// Every page cursor this lane was given, to stop a vendor whose cursors go round
    /// (as digests: a fixed size each, however long the vendor's cursors).
    seen: SeenCursors,
    /// Where a lane whose fetch failed resumes: the page that failed.
    failed_at: Option<Position>,
    /// The vendor's cursors went round, or its next cursor is too long to follow:
    /// reported once the last page's calls are yielded.
    cycle: Option<Error>,
    /// The page being fetched or merged is the lane's last (its cursors went round): its
    /// next cursor is not followed.
    last_page: bool,
    /// The runtime the walk was started in, which its fetches are spawned on.
    runtime: tokio::runtime::Handle,
}

struct Fetch {
    cursor: Option<PageCursor>,
    skip: usize,
    /// The call to go on after, when the page still holds it (a resumed first page).
    after: Option<CallId>,
    task: JoinHandle<Result<CallPage>>,
}

impl Drop for Lane {
    fn drop(&mut self) {
        if let Some(fetch) = &self.ahead {
            fetch.task.abort();
        }
    }
}

impl Lane {
    fn fetch(&mut self, cursor: Option<PageCursor>, skip: usize, after: Option<CallId>) {
        let provider = self.provider.clone();
        let query = CallQuery {
            cursor: cursor.clone(),
            ..self.query.clone()
        };
        // In the span and to the subscriber of the walk's reader: a fetch's spans belong to
        // the application's work that walks (its trace, a subscriber it set for a scope).
        let fetch = async move { provider.list_calls(&query).await };
        let task = self
            .runtime
            .spawn(fetch.in_current_span().with_current_subscriber());
        self.ahead = Some(Fetch {
            cursor,
            skip,
            after,
            task,
        });
    }

    /// Moves a finished fetch into the buffer and starts the next one. `Pending` while the
    /// lane has nothing to offer yet.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), Error>> {
        if self.buffer.is_empty()
            && let Some(cycle) = self.cycle.take()
        {
            return Poll::Ready(Err(cycle));
        }
        while self.buffer.is_empty() && !self.done {
            // An empty buffer is past any half: the next page, if not asked for yet, is.
            self.fetch_ahead_past_half();
            let Some(fetch) = self.ahead.as_mut() else {
                self.done = true;
                break;
            };
            let page = match Pin::new(&mut fetch.task).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(result)) => result,
                Poll::Ready(Err(join)) => match join.try_into_panic() {
                    // A panic in the provider's listing is a bug: it reaches the walk's
                    // reader as it reaches a caller of `list_calls`, not as an error to
                    // handle.
                    Ok(panic) => std::panic::resume_unwind(panic),
                    // Only a runtime shutting down cancels a fetch: nothing was read, though
                    // its request may have gone (`Interrupted` would say it was not sent).
                    Err(cancelled) => Err(Error::transport(
                        self.provider.kind(),
                        Operation::ListCalls,
                        true,
                        cancelled,
                    )),
                },
            };
            let Some(fetch) = self.ahead.take() else {
                continue;
            };
            // The same calls page after page under new cursors end the lane as a failed
            // page does.
            let kind = self.provider.kind();
            let page = page.and_then(|page| self.seen.read_page(kind, &page).map(|()| page));
            let mut page = match page {
                Ok(page) => page,
                // The same calls under new cursors: a resumed walk would start counting
                // afresh and yield them again, so no cursor resumes the lane.
                Err(error) if error.is_cursor_cycle() => {
                    self.done = true;
                    return Poll::Ready(Err(error));
                }
                Err(error) => {
                    // None of that page's calls was yielded: a resumed walk asks again.
                    self.done = true;
                    self.failed_at = Some(Position {
                        page: fetch.cursor,
                        skip: fetch.skip,
                        after: fetch.after,
                        time: self.last_time,
                        placed_after: self.unbegun_past.clone(),
                        done: false,
                        last: self.last_page,
                        kind: None,
                    });
                    return Poll::Ready(Err(error));
                }
            };
            // The calls of the page before that an offset listing shifted onto this one,
            // which lead it: counted as yielded, as a resumed walk reads the page whole.
            let repeated = self.seen.drop_repeated(&mut page.calls);
            let skip = self.resumed_past(&fetch, &page);
            self.page = fetch.cursor;
            self.taken = repeated + skip.min(page.calls.len());
            self.last_taken = (skip.min(page.calls.len()).checked_sub(1))
                .and_then(|last| page.calls.get(last))
                .map(|call| call.id.clone());
            self.page_len = page.calls.len();
            self.buffer = page.calls.into_iter().skip(skip).collect();
            // A next cursor too long to follow ends the lane after this page's calls, as a
            // cycle does (below); the page is not marked the last, so a walk resumed in
            // the middle of it reads it again and meets the same refusal.
            let followed = match &page.next {
                Some(next) if !self.last_page => Some(self.seen.follow(self.provider.kind(), next)),
                _ => None,
            };
            match (page.next, followed) {
                (Some(_), Some(Err(too_long))) => {
                    self.done = true;
                    if self.buffer.is_empty() {
                        return Poll::Ready(Err(too_long));
                    }
                    self.cycle = Some(too_long);
                }
                // A vendor whose cursors go round would be paged forever: the lane ends
                // with this page, whose calls are yielded before the error (a walk resumed
                // in the middle of it, or after its last call, yields the rest, then the
                // error; one resumed after the error finds the lane done). A resumed lane
                // knows the page is its last.
                (Some(next), followed) if self.last_page || matches!(followed, Some(Ok(false))) => {
                    self.done = true;
                    self.last_page = true;
                    let cycle = cursor_cycle(self.provider.as_ref(), &next);
                    if self.buffer.is_empty() {
                        return Poll::Ready(Err(cycle));
                    }
                    self.cycle = Some(cycle);
                }
                (Some(next), _) => {
                    self.next = Some(next);
                    self.fetch_ahead_past_half();
                }
                // The last page: its calls, then nothing (a cursor taken after its last
                // call says the lane is done).
                (None, _) => self.done = true,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Asks for the next page once more than half of this one is yielded: early enough
    /// that it is most often in by the time this one runs out, late enough that a walk
    /// stopping at or before the half does not ask for the second (a merged page split
    /// evenly between two providers yields exactly half of each one's page). An empty
    /// buffer is always past it, a page of no calls too: its next page is what comes.
    fn fetch_ahead_past_half(&mut self) {
        if self.ahead.is_none()
            && (self.buffer.len() * 2 < self.page_len || self.buffer.is_empty())
            && let Some(next) = self.next.take()
        {
            let after = self.searching.take();
            self.fetch(Some(next), 0, after);
        }
    }

    /// How many calls of a page just read were yielded before (a resumed walk): past the
    /// call the walk stopped after, where the page still holds it; else, on a first page
    /// that calls placed since pushed it off, past every call not older than the last time
    /// yielded, carrying the search to the next page when that is the whole page (a call
    /// without a time counts as older: its place cannot be told); else past as many calls
    /// as were yielded. For a provider none of whose calls was yielded, past the calls it
    /// begins with that come ahead of where the walk stood (placed since), on every page
    /// until one of its calls is yielded.
    fn resumed_past(&mut self, fetch: &Fetch, page: &CallPage) -> usize {
        let descending = self.query.sort != Some(SortOrder::Ascending);
        if let Some(stood) = &self.unbegun_past {
            // Ahead of the walk's last call: newer (older, oldest first), or as old and
            // from a provider the tie puts first. (A call without a time ends the run:
            // its place cannot be told.)
            let ahead = |at: DateTime<Utc>| match at.cmp(&stood.time) {
                Ordering::Equal => self.name < stood.provider,
                newer => (newer == Ordering::Greater) == descending,
            };
            return (page.calls.iter())
                .take_while(|call| call.created_at.is_some_and(ahead))
                .count();
        }
        let Some(after) = &fetch.after else {
            return fetch.skip;
        };
        if let Some(index) = page.calls.iter().position(|call| &call.id == after) {
            return index + 1;
        }
        let Some(time) = self.last_time else {
            return fetch.skip;
        };
        let placed_since = |call: &Call| {
            call.created_at
                .is_some_and(|at| if descending { at >= time } else { at <= time })
        };
        let newer = page
            .calls
            .iter()
            .take_while(|call| placed_since(call))
            .count();
        if newer == page.calls.len() && page.next.is_some() {
            self.searching = Some(after.clone());
        }
        newer
    }

    /// Where the lane stands, with its vendor when that is a place in it or its end; and,
    /// when none of its calls was yielded yet (though it did not fail), where the walk
    /// stands (`walked_to`), ahead of which its calls are placed since.
    fn position(&self, walked_to: Option<&WalkedTo>) -> Position {
        let mut position = self.place();
        if self.failed_at.is_none() && !self.yielded && !position.done {
            position.placed_after = walked_to.cloned().or_else(|| self.unbegun_past.clone());
        }
        if position.is_walked() {
            position.kind = Some(self.provider.kind());
        }
        position
    }

    fn place(&self) -> Position {
        if let Some(failed_at) = &self.failed_at {
            return failed_at.clone();
        }
        // A pending cycle (or a next cursor too long) is not reported yet: the lane is not
        // done, and its page, every call of it yielded, is where a resumed walk re-reads
        // it and meets the same error (see `poll_ready`).
        if self.done && self.buffer.is_empty() && self.cycle.is_none() {
            return Position {
                done: true,
                ..Position::default()
            };
        }
        if self.buffer.is_empty()
            && let Some(fetch) = &self.ahead
        {
            return Position {
                page: fetch.cursor.clone(),
                skip: fetch.skip,
                after: fetch.after.clone(),
                time: self.last_time,
                last: self.last_page,
                ..Position::default()
            };
        }
        // This page yielded whole, the next not yet asked for: resumed at its start.
        if self.buffer.is_empty()
            && let Some(next) = &self.next
        {
            return Position {
                page: Some(next.clone()),
                time: self.last_time,
                done: false,
                last: self.last_page,
                ..Position::default()
            };
        }
        Position {
            page: self.page.clone(),
            skip: self.taken,
            // Only the first page moves as calls are placed (see `MergedCursor`).
            after: self.last_taken.clone().filter(|_| self.page.is_none()),
            time: self.last_time,
            last: self.last_page,
            ..Position::default()
        }
    }
}

impl MergedCalls {
    pub(crate) fn new(
        providers: Vec<(String, Arc<dyn VoiceProvider>)>,
        query: CallQuery,
        options: MergeOptions,
    ) -> Result<Self> {
        let MergeOptions {
            skip_unsupported,
            keep_going,
            resume,
        } = options;
        let mut query = query;
        if let Some(resume) = &resume {
            query.page_size = resume.page_size;
        }
        let digest = query_digest(&query);
        if let Some(resumed) = resume.as_ref().and_then(|r| r.query.as_ref())
            && *resumed != digest
        {
            return Err(Error::invalid_argument(
                "cursor",
                "the cursor is of a walk with other filters or another sort order: resume it with the query it was started with",
            ));
        }
        let resume = resume.unwrap_or_default();
        let mut lanes = Vec::new();
        let mut left_out = Vec::new();
        // Each lane fetches on its own task, spawned on this runtime: the walk may be read
        // from a thread without one (`tokio::spawn` there would panic).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(Error::invalid_argument(
                "runtime",
                "a merged walk runs on the Tokio runtime: call it from inside one (#[tokio::main])",
            ));
        };
        // A place the cursor holds in a provider this walk does not select would be lost,
        // and a later resume that selects it again would start it over: refused, as a
        // provider the query leaves out is (below).
        let unselected = (resume.positions.iter()).find(|(name, position)| {
            position.holds_a_place() && !providers.iter().any(|(selected, _)| selected == *name)
        });
        if let Some((name, _)) = unselected {
            let why = "which this walk does not select; resume with the providers the walk was started with";
            return Err(place_lost(name, why));
        }
        // What every provider refuses alike (a blank filter, a time range holding no time)
        // is the query's fault: refused here, as the query's, whatever the options, rather
        // than blamed on the first provider (or on each, and walked as an empty listing,
        // `keep_going`). The check names no vendor; its refusal is said as the query's.
        if let Some((_, provider)) = providers.first() {
            let walked_query = CallQuery {
                cursor: None,
                ..query.clone()
            };
            match walked_query.validate(provider.kind()) {
                Ok(()) => {}
                Err(Error::InvalidRequest { message, .. }) => {
                    return Err(Error::invalid_argument("query", message));
                }
                Err(other) => return Err(other),
            }
        }
        let mut walked = Vec::new();
        for (name, provider) in providers {
            let caps = provider.capabilities();
            let unsupported = cannot_walk(provider.as_ref(), &query);
            let position = resume.positions.get(&name).cloned();
            // A provider the resumed walk did not have would start at its newest call, after
            // older calls of the others were yielded: out of the merged order.
            if position.is_none() && unsupported.is_none() && !resume.positions.is_empty() {
                let message = format!(
                    "the cursor is of a walk without provider `{name}`, whose calls would come out of order; resume with the providers the walk was started with"
                );
                return Err(Error::invalid_argument("cursor", message));
            }
            let position = position.unwrap_or_default();
            if let Some(was) = position.kind
                && was != provider.kind()
                && position.is_walked()
            {
                let why = format!(
                    "of {was} when the walk stopped and of {} now, whose pages its place does not name; start the walk over",
                    provider.kind()
                );
                return Err(place_lost(&name, &why));
            }
            if let Some(error) = unsupported {
                if !skip_unsupported {
                    return Err(error);
                }
                // Its place in the cursor would be lost with it, and a later resume that
                // walks it again would start it over: refused rather than repeated.
                if position.holds_a_place() {
                    let why = "which this query leaves out (it cannot apply it); resume with the query the walk was started with";
                    return Err(place_lost(&name, why));
                }
                tracing::debug!(provider_name = %name, "left out of the merged walk: it cannot apply the query");
                left_out.push(ProviderError {
                    provider_name: name,
                    error,
                });
                continue;
            }
            // No sort is newest first (the merge's order): asked of every provider that can
            // sort, rather than left to a vendor default voiceport may not know.
            let sort = match query.sort {
                None if caps.supports_sort(SortOrder::Descending) => Some(SortOrder::Descending),
                sort => sort,
            };
            walked.push((name, provider, position, sort));
        }
        // Every provider left out: an empty walk would say that no call matches, when no
        // provider could apply the filters at all.
        if walked.is_empty()
            && let Some(first) = std::mem::take(&mut left_out).into_iter().next()
        {
            return Err(first.error);
        }
        for (name, provider, position, sort) in walked {
            let mut lane = Lane {
                name,
                provider,
                query: CallQuery {
                    cursor: None,
                    sort,
                    ..query.clone()
                },
                page: position.page.clone(),
                taken: position.skip,
                last_taken: position.after.clone(),
                buffer: VecDeque::new(),
                page_len: 0,
                next: None,
                ahead: None,
                done: position.done,
                last_time: position.time,
                searching: None,
                unbegun_past: position.placed_after.clone(),
                yielded: false,
                seen: SeenCursors::starting_at(position.page.as_ref()),
                failed_at: None,
                cycle: None,
                last_page: position.last,
                runtime: runtime.clone(),
            };
            if !lane.done {
                lane.fetch(position.page, position.skip, position.after);
            }
            lanes.push(lane);
        }
        lanes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(MergedCalls {
            lanes,
            page_size: query.page_size,
            query: digest,
            descending: query.sort != Some(SortOrder::Ascending),
            keep_going,
            left_out,
            failures: Vec::new(),
            finished: false,
            walked_to: resume.walked_to,
        })
    }

    /// Where the walk stands: resume from it to get every call not yet yielded.
    pub fn cursor(&self) -> MergedCursor {
        MergedCursor {
            positions: self
                .lanes
                .iter()
                .map(|lane| (lane.name.clone(), lane.position(self.walked_to.as_ref())))
                .collect(),
            page_size: self.page_size,
            query: Some(self.query.clone()),
            walked_to: self.walked_to.clone(),
        }
    }

    /// Providers left out because they cannot apply the query's filters
    /// ([`MergeOptions::skip_unsupported`]).
    pub fn left_out(&self) -> &[ProviderError] {
        &self.left_out
    }

    /// Providers that failed mid-walk and were left behind ([`MergeOptions::keep_going`]).
    pub fn failures(&self) -> &[ProviderError] {
        &self.failures
    }

    /// The failures of [`failures`](Self::failures), owned: for reporting them once the
    /// walk is done with.
    pub fn into_failures(self) -> Vec<ProviderError> {
        self.failures
    }

    /// The lane whose head call comes next in the merged order.
    fn next_lane(&self) -> Option<usize> {
        let mut best: Option<(usize, Option<DateTime<Utc>>)> = None;
        for (index, lane) in self.lanes.iter().enumerate() {
            let Some(head) = lane.buffer.front() else {
                continue;
            };
            let time = head.created_at.or(lane.last_time);
            let better = match best {
                None => true,
                // A call with no time to go by comes as its vendor listed it: first.
                Some((_, None)) => false,
                Some((_, Some(current))) => match time {
                    None => true,
                    Some(time) if self.descending => time > current,
                    Some(time) => time < current,
                },
            };
            if better {
                best = Some((index, time));
            }
        }
        best.map(|(index, _)| index)
    }
}

fn cursor_cycle(provider: &dyn VoiceProvider, next: &PageCursor) -> Error {
    let message = format!(
        "the vendor returned a cursor it had already given in this walk ({next}): paging would never end"
    );
    Error::cursor_cycle(provider.kind(), message)
}

/// Why `provider` cannot take part in a merged walk of `query`, if it cannot: it cannot
/// list at all, or apply a filter of the query, or list newest first (it lists oldest
/// first, or in an order it does not declare, and cannot sort) where the query asks no
/// order, as the merge's order is newest first. Such a provider is refused when the walk
/// starts (or left out, with [`MergeOptions::skip_unsupported`]), rather than mid-walk
/// after other providers' calls.
pub(crate) fn cannot_walk(provider: &dyn VoiceProvider, query: &CallQuery) -> Option<Error> {
    let caps = provider.capabilities();
    if !caps.list_calls {
        Some(Error::unsupported(provider.kind(), Operation::ListCalls))
    } else if query.sort.is_none() && !caps.supports_sort(SortOrder::Descending) {
        Some(unsupported_filter(provider, Filter::Sort))
    } else {
        (query.unsupported_filter(&caps)).map(|filter| unsupported_filter(provider, filter))
    }
}

fn unsupported_filter(provider: &dyn VoiceProvider, filter: Filter) -> Error {
    Error::unsupported(provider.kind(), Operation::ListFilter(filter))
}

impl Stream for MergedCalls {
    type Item = std::result::Result<MergedCall, ProviderError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        // Every lane must show its head (or be done) before the next call can be chosen.
        let mut waiting = false;
        for index in 0..this.lanes.len() {
            match this.lanes[index].poll_ready(cx) {
                Poll::Pending => waiting = true,
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => {
                    let failure = ProviderError {
                        provider_name: this.lanes[index].name.clone(),
                        error,
                    };
                    if !this.keep_going {
                        this.finished = true;
                        return Poll::Ready(Some(Err(failure)));
                    }
                    // Said as it happens: the walk goes on without it, and a long walk
                    // reports its failures only at the end.
                    tracing::warn!(provider_name = %failure.provider_name, error_kind = failure.error.name(), status = failure.error.status(), "a provider failed: the merged walk goes on without it");
                    this.failures.push(failure);
                }
            }
        }
        if waiting {
            return Poll::Pending;
        }
        let Some(index) = this.next_lane() else {
            this.finished = true;
            return Poll::Ready(None);
        };
        let lane = &mut this.lanes[index];
        let Some(call) = lane.buffer.pop_front() else {
            return Poll::Ready(None);
        };
        lane.taken += 1;
        lane.last_taken = Some(call.id.clone());
        (lane.yielded, lane.unbegun_past) = (true, None);
        lane.fetch_ahead_past_half();
        if let Some(time) = call.created_at {
            lane.last_time = Some(time);
            let provider = lane.name.clone();
            this.walked_to = Some(WalkedTo { time, provider });
        }
        Poll::Ready(Some(Ok(MergedCall {
            provider_name: lane.name.clone(),
            call,
        })))
    }
}
