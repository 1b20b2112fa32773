//! One call stream across several providers, merged in time order, resumable from one
//! cursor.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tracing::Instrument;
use tracing::instrument::WithSubscriber;
use voiceport_core::{
    Call, CallId, CallPage, CallQuery, Error, Filter, Operation, PageCursor, ProviderKind, Result,
    SeenCursors, SortOrder, VoiceProvider,
};

/// Which providers a merged walk covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selection {
    /// Every configured provider.
    All,
    /// These providers, by name.
    Named(Vec<String>),
}

impl Selection {
    /// These providers, by name, from any strings: `Selection::named(["sales", "support"])`
    /// (`Selection::Named` takes a `Vec<String>`).
    ///
    /// ```
    /// use voiceport::Selection;
    /// assert_eq!(
    ///     Selection::named(["sales", "support"]),
    ///     Selection::Named(vec!["sales".to_owned(), "support".to_owned()])
    /// );
    /// ```
    #[must_use]
    pub fn named<I, S>(names: I) -> Selection
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Selection::Named(names.into_iter().map(Into::into).collect())
    }

    /// `all`, or a comma-separated list of names (`sales,support`). Only `all` selects
    /// every provider: blank text selects none, as `,` does (so `--providers "$UNSET"`
    /// is refused by the walk, not taken for all of them).
    #[must_use]
    pub fn parse(text: &str) -> Selection {
        match text.trim() {
            "all" => Selection::All,
            list => Selection::Named(
                list.split(',')
                    .map(|name| name.trim().to_owned())
                    .filter(|name| !name.is_empty())
                    .collect(),
            ),
        }
    }
}

impl std::str::FromStr for Selection {
    type Err = std::convert::Infallible;

    /// [`Selection::parse`]: every text is a selection.
    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        Ok(Selection::parse(text))
    }
}

/// Where a merged walk starts, and how it treats providers that cannot take part.
///
/// ```
/// use voiceport::{MergeOptions, MergedCursor};
///
/// # fn main() -> voiceport::Result<()> {
/// # let token = MergedCursor::default().to_token();
/// // `token`: a `MergedCursor::to_token` kept from a walk stopped earlier.
/// let options = MergeOptions::default()
///     .keep_going(true)
///     .resume_from(MergedCursor::from_token(&token)?);
/// assert!(options.resume.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MergeOptions {
    /// Leave out a provider that cannot apply the query's filters (see
    /// [`MergedCalls::left_out`]) instead of refusing the whole walk. A walk that would
    /// leave out every provider is still refused, with the first one's error.
    pub skip_unsupported: bool,
    /// Keep walking the other providers when one fails mid-walk (see
    /// [`MergedCalls::failures`]) instead of ending the stream with its error.
    pub keep_going: bool,
    /// Where a stopped walk resumes: its [`MergedCalls::cursor`]. `None`: from the start.
    pub resume: Option<MergedCursor>,
}

impl MergeOptions {
    /// Leave out providers that cannot apply the filters.
    #[must_use]
    pub fn skip_unsupported(mut self, yes: bool) -> Self {
        self.skip_unsupported = yes;
        self
    }

    /// Keep going when a provider fails.
    #[must_use]
    pub fn keep_going(mut self, yes: bool) -> Self {
        self.keep_going = yes;
        self
    }

    /// Resume a stopped walk from `cursor` (its [`MergedCalls::cursor`], or one read back
    /// with [`MergedCursor::from_token`]); `None` starts from the beginning.
    #[must_use]
    pub fn resume_from(mut self, cursor: impl Into<Option<MergedCursor>>) -> Self {
        self.resume = cursor.into();
        self
    }
}

/// A call of a merged walk, with the name of the provider it came from.
///
/// Its JSON is the call's normalized JSON with `provider_name` after its fields, as
/// `voiceport calls list --providers … --json` and `export` write each call:
///
/// ```
/// use voiceport::{Call, CallId, MergedCall, ProviderKind};
/// let merged = MergedCall::new("renewals", Call::new(CallId::new("c1"), ProviderKind::Retell));
/// let json = serde_json::to_value(&merged)?;
/// assert_eq!((json["id"].as_str(), json["provider_name"].as_str()), (Some("c1"), Some("renewals")));
/// assert_eq!(serde_json::from_value::<MergedCall>(json)?, merged);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MergedCall {
    /// The call.
    #[serde(flatten)]
    pub call: Call,
    /// The provider's name in the configuration.
    pub provider_name: String,
}

/// Read by hand rather than derived: serde's derived reading of a flattened field goes
/// through its own buffer, which cannot read a number back where serde_json's
/// `arbitrary_precision` feature is on in the build (features are unified). The call is
/// read from the object without `provider_name`, as a `Call` reads its own JSON.
impl<'de> Deserialize<'de> for MergedCall {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut fields = serde_json::Map::deserialize(deserializer)?;
        let provider_name = match fields.remove("provider_name") {
            Some(serde_json::Value::String(name)) => name,
            Some(_) => return Err(D::Error::custom("`provider_name` is not a string")),
            None => return Err(D::Error::missing_field("provider_name")),
        };
        let call =
            Call::deserialize(serde_json::Value::Object(fields)).map_err(D::Error::custom)?;
        Ok(MergedCall {
            call,
            provider_name,
        })
    }
}

impl MergedCall {
    /// `call`, from the provider configured as `provider_name`.
    #[must_use]
    pub fn new(provider_name: impl Into<String>, call: Call) -> Self {
        MergedCall {
            call,
            provider_name: provider_name.into(),
        }
    }

    /// `provider:call_id`, the form [`Registry::get_call`](crate::Registry::get_call) and
    /// the CLI take.
    #[must_use]
    pub fn qualified_id(&self) -> String {
        format!("{}:{}", self.provider_name, self.call.id)
    }
}

/// A provider's failure during a merged walk, with its name.
///
/// It converts into [`Error`] (so `?` works in a function returning
/// [`voiceport::Result`](crate::Result)) by keeping the error and dropping the name; the
/// error still names the vendor. Match on it to keep the name.
///
/// Its message is the provider's name and the error's message; its
/// [`source`](std::error::Error::source) is the error's own source, so that a report
/// walking the chain says each message once.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderError {
    /// The provider's name in the configuration.
    pub provider_name: String,
    /// What went wrong.
    pub error: Error,
}

impl ProviderError {
    /// `error`, met by the provider named `provider_name` in the configuration: for a
    /// test double of a merged walk, or a walk of an application's own.
    pub fn new(provider_name: impl Into<String>, error: Error) -> Self {
        ProviderError {
            provider_name: provider_name.into(),
            error,
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "provider `{}`: {}", self.provider_name, self.error)
    }
}

impl std::error::Error for ProviderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

impl From<ProviderError> for Error {
    fn from(failure: ProviderError) -> Error {
        failure.error
    }
}

/// Where a merged walk stands: each provider's page and how many of its calls were
/// already yielded. Serializable ([`MergedCursor::to_token`]), so that a walk stopped at
/// any point resumes after the last call it yielded.
///
/// Resuming re-reads each provider's current page and skips what was yielded, so it
/// assumes the vendor answers a page cursor with the same calls it did before. That holds
/// for token and time-window cursors over an account that only grows at the newest end.
/// A provider's first page has no cursor and starts at its newest call, so calls placed
/// since would shift it: there the cursor keeps the id and creation time of the last call
/// yielded, and the resumed walk goes on after that call wherever it now stands. When so
/// many calls were placed that it is no longer on the first page, the calls created at or
/// after its time are left out, page after page, until it or an older call comes (by
/// count only for a call without a creation time, whose place cannot be told). A provider
/// none of whose calls was yielded yet has no such call: the cursor keeps where the whole
/// walk stood (the creation time of the last call it yielded, and that call's provider),
/// and that provider's calls placed since, ahead of it in the merged order, are left out
/// alike, until one of its calls is yielded (a walk stopped again before then keeps it).
/// It does not hold for offset and page-number cursors (HappyRobot's, and Rounded's with
/// `paging = "page"` in its options) listed newest first: each call placed since shifts
/// the calls by one, so the first calls of the resumed page come again (a walk that is not
/// stopped drops the calls of a page that the page before held); and a call that
/// leaves the listing (deleted, or no longer matching a status filter) shifts them the
/// other way, so one is skipped. Give such a walk an `until` (the
/// time it started) to keep new calls out of it. The walk's page size goes with it: a
/// resumed walk reads pages of the size it was started with, whatever the query says (a
/// page number means other calls at another size). A provider that failed resumes at the
/// page that failed (its first page: its calls come then, newer ones among them out of the
/// merged order, as none of them was yielded), but one whose cursors came round (the same
/// calls under new cursors),
/// which is done: resumed, it would give them again. Its filters and sort go with it too, as a digest: a walk resumed with
/// others is refused ([`Error::InvalidArgument`] of the `cursor`), as its positions would
/// skip and repeat calls of another listing; so is one resumed with a provider it was not
/// started with, whose newest calls would come after older ones, and one whose provider
/// holding a place (or walked to its end) is of another vendor now than when the walk
/// stopped (a configuration pointed elsewhere since).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
// A field this build does not know comes from a newer one, whose walk it steers (where
// the walk stood, which calls to leave out): ignored, the walk would resume wrongly.
#[serde(deny_unknown_fields)]
pub struct MergedCursor {
    positions: BTreeMap<String, Position>,
    /// The page size the walk asked for (`None`: each vendor's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page_size: Option<u32>,
    /// The [digest](query_digest) of the walk's filters and sort (`None`: not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    /// Where the walk stood: the last call it yielded that had a creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    walked_to: Option<WalkedTo>,
}

/// The last call a merged walk yielded that had a creation time: its time, and the
/// provider it came from (which breaks ties in the merged order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WalkedTo {
    time: DateTime<Utc>,
    provider: String,
}

/// A short digest of what a query selects and in which order (its filters and sort; not
/// its page size, which the cursor keeps, nor its own cursor): two queries with the same
/// digest list the same calls in the same order.
fn query_digest(query: &CallQuery) -> String {
    use sha2::{Digest, Sha256};
    // Written the same way however it was asked: no sort is newest first, a list of
    // statuses or tags is a set, and a number is compared as the guard sends it (E.164:
    // `+1 415 555 0187` is `+14155550187`).
    let e164 = |number: &Option<String>| {
        let written = number.as_deref();
        written.map(|n| voiceport_core::adapter::dial_number(n).into_owned())
    };
    let selecting = CallQuery {
        page_size: None,
        cursor: None,
        sort: Some(query.sort.unwrap_or(SortOrder::Descending)),
        from_number: e164(&query.from_number),
        to_number: e164(&query.to_number),
        ..query.clone()
    };
    let mut value = serde_json::to_value(&selecting).unwrap_or_default();
    for set in ["statuses", "tags"] {
        if let Some(serde_json::Value::Array(items)) = value.get_mut(set) {
            items.sort_by_key(|item| item.to_string());
            items.dedup();
        }
    }
    let text = serde_json::to_vec(&value).unwrap_or_default();
    let digest = Sha256::digest(&text);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Position {
    /// The page being read (`None`: the first page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<PageCursor>,
    /// How many of its calls were yielded.
    #[serde(default, skip_serializing_if = "is_zero")]
    skip: usize,
    /// On the first page, the id of the last call yielded: what the resumed walk goes on
    /// after, as new calls shift the first page (see [`MergedCursor`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<CallId>,
    /// The creation time of the last call yielded that had one: where a call without a
    /// time goes in the merge, and how far the calls placed since reach when `after` is
    /// no longer on the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time: Option<DateTime<Utc>>,
    /// None of this provider's calls was yielded yet, though its first page was read:
    /// where the walk stood then. Its calls ahead of that point in the merged order were
    /// placed since, and a resumed walk leaves them out (see [`MergedCursor`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    placed_after: Option<WalkedTo>,
    /// Every call of this provider was yielded.
    #[serde(default, skip_serializing_if = "is_false")]
    done: bool,
    /// `page` is the provider's last: its vendor's next cursor came round again, and is
    /// not followed when the walk resumes.
    #[serde(default, skip_serializing_if = "is_false")]
    last: bool,
    /// The vendor the place is in (kept with a place, or the end): another vendor's page
    /// cursor or offset names another place, or none, and its calls were not the ones
    /// walked, in a provider configured since as one of another vendor. (`None`: a cursor
    /// of a version that did not keep it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<ProviderKind>,
}

impl Position {
    /// Whether the cursor says anything of this provider (a place, or its end), which is
    /// then of the vendor it was walked in.
    fn is_walked(&self) -> bool {
        self.done || self.holds_a_place()
    }

    /// Whether a resumed walk must go on from here: the provider was begun, not finished.
    fn holds_a_place(&self) -> bool {
        let unbegun = Position {
            kind: self.kind,
            placed_after: self.placed_after.clone(),
            ..Position::default()
        };
        !self.done && *self != unbegun
    }
}

/// The refusal of a resume that would lose the cursor's place in provider `name` (a later
/// resume walking it again would start it over), `why` it would.
fn place_lost(name: &str, why: &str) -> Error {
    let message = format!("the cursor holds a place in provider `{name}`, {why}");
    Error::invalid_argument("cursor", message)
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl MergedCursor {
    /// The cursor as one compact string (JSON), for command lines and storage.
    pub fn to_token(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a cursor written by [`MergedCursor::to_token`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the `cursor` when `token` is not one, and when
    /// it holds a field this version does not know (a cursor of a newer version, whose
    /// walk that field steers).
    pub fn from_token(token: &str) -> Result<Self> {
        serde_json::from_str(token).map_err(|e| {
            Error::invalid_argument("cursor", format!("not a voiceport merged cursor: {e}"))
        })
    }

    /// Whether every provider of the walk is exhausted.
    pub fn is_done(&self) -> bool {
        self.positions.values().all(|p| p.done)
    }
}

impl std::str::FromStr for MergedCursor {
    type Err = Error;

    fn from_str(token: &str) -> Result<Self> {
        MergedCursor::from_token(token)
    }
}

impl fmt::Display for MergedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.to_token())
    }
}

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
            // A provider that cannot list at all is refused here, as one that cannot apply
            // a filter is, rather than mid-walk after other providers' calls. One that
            // cannot list newest first (it lists oldest first, or in an order it does not
            // declare, and cannot sort) cannot be merged newest first.
            let unsupported = if !caps.list_calls {
                Some(Error::unsupported(provider.kind(), Operation::ListCalls))
            } else if query.sort.is_none() && !caps.supports_sort(SortOrder::Descending) {
                Some(unsupported_filter(provider.as_ref(), Filter::Sort))
            } else {
                (query.unsupported_filter(&caps))
                    .map(|filter| unsupported_filter(provider.as_ref(), filter))
            };
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use futures::TryStreamExt;
    use voiceport_core::{Call, CallId, Capabilities, ProviderKind};

    /// Each message of `error`'s chain, outermost first.
    pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
        std::iter::successors(Some(error), |error| error.source())
            .map(ToString::to_string)
            .collect()
    }

    /// A connection failure caused by `cause`.
    pub(crate) fn broken(cause: &str) -> Error {
        Error::transport(ProviderKind::Rounded, Operation::ListCalls, true, cause)
    }

    #[test]
    fn a_provider_error_says_each_message_of_its_chain_once() {
        let failure = ProviderError {
            provider_name: "sales".into(),
            error: broken("connection reset by peer"),
        };
        assert_eq!(
            chain(&failure),
            [
                "provider `sales`: rounded list_calls: connection failed",
                "connection reset by peer",
            ]
        );
    }

    /// A field unknown to this version (a newer one's) refuses the cursor rather than
    /// being ignored, at the top, within a provider's place and within its page cursor.
    #[test]
    fn a_cursor_with_a_field_this_version_does_not_know_is_refused() {
        let known = r#"{"positions":{"sales":{"skip":2,"kind":"rounded"}},"page_size":50}"#;
        assert!(MergedCursor::from_token(known).is_ok());
        let paged =
            r#"{"positions":{"sales":{"page":{"mode":"offset","skip":100},"kind":"rounded"}}}"#;
        assert!(MergedCursor::from_token(paged).is_ok());
        for token in [
            r#"{"positions":{"sales":{"skip":2,"kind":"rounded"}},"page_size":50,"stood":1}"#,
            r#"{"positions":{"sales":{"skip":2,"kind":"rounded","stood":1}},"page_size":50}"#,
            r#"{"positions":{},"walked_to":{"time":"2026-11-20T09:00:00Z","provider":"sales","n":1}}"#,
            // Within the page cursor a place holds.
            r#"{"positions":{"sales":{"page":{"mode":"offset","skip":100,"n":1},"kind":"rounded"}}}"#,
        ] {
            let error = MergedCursor::from_token(token).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidArgument { argument, .. } if argument == "cursor"),
                "{error:?}"
            );
            let text = error.to_string();
            assert!(text.contains("unknown field"), "{text}");
        }
    }

    #[test]
    fn a_selection_parses_as_text_does() {
        assert_eq!("all".parse::<Selection>(), Ok(Selection::All));
        assert_eq!(
            " sales, ,support ".parse::<Selection>(),
            Ok(Selection::Named(vec!["sales".into(), "support".into()]))
        );
        // Blank text (an unset variable) selects none, as a lone comma does: only `all`
        // means every provider.
        for blank in ["", "  ", ",", " , "] {
            assert_eq!(
                Selection::parse(blank),
                Selection::Named(vec![]),
                "{blank:?}"
            );
        }
    }

    /// A provider whose listing answers its n-th request (from 1) with `page(n)`.
    struct Listing {
        page: Box<dyn Fn(usize) -> CallPage + Send + Sync>,
        requests: std::sync::atomic::AtomicUsize,
        /// The listing order it declares (it sorts nothing).
        order: Option<SortOrder>,
    }

    impl Listing {
        /// Declared to list newest first, as its pages do.
        fn new(page: impl Fn(usize) -> CallPage + Send + Sync + 'static) -> Arc<Self> {
            Listing::ordered(page, Some(SortOrder::Descending))
        }

        /// Empty pages, declaring `order` (`None`: an order it does not say).
        fn listing_in(order: Option<SortOrder>) -> Arc<Self> {
            Listing::ordered(|_| CallPage::default(), order)
        }

        fn ordered(
            page: impl Fn(usize) -> CallPage + Send + Sync + 'static,
            order: Option<SortOrder>,
        ) -> Arc<Self> {
            Arc::new(Listing {
                page: Box::new(page),
                requests: Default::default(),
                order,
            })
        }

        /// Every page names a fresh next cursor `length` bytes long.
        fn huge_cursors(length: usize) -> Arc<Self> {
            Listing::new(move |n| {
                CallPage::new(
                    vec![Call::new(
                        CallId::new(format!("c{n}")),
                        ProviderKind::Retell,
                    )],
                    Some(PageCursor::Token {
                        token: format!("{n:08}{}", "k".repeat(length - 8)),
                    }),
                    None,
                )
            })
        }
    }

    impl std::fmt::Debug for Listing {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Listing").finish_non_exhaustive()
        }
    }

    #[async_trait::async_trait]
    impl VoiceProvider for Listing {
        fn kind(&self) -> ProviderKind {
            ProviderKind::Retell
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                list_calls: true,
                listing_order: self.order,
                ..Capabilities::default()
            }
        }
        async fn get_call(&self, _id: &CallId) -> Result<Call> {
            Err(Error::unsupported(self.kind(), Operation::GetCall))
        }
        async fn list_calls(&self, _query: &CallQuery) -> Result<CallPage> {
            use std::sync::atomic::Ordering;
            let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
            Ok((self.page)(n))
        }
    }

    /// A provider, listing newest first, whose listing never answers, or always fails; or
    /// never answers, telling its watch when it starts and when it is dropped.
    #[derive(Debug)]
    enum Unlisting {
        Hanging,
        Broken,
        Watched(Arc<Watch>),
    }

    /// What a watched listing tells: `started` when it starts, `dropped` set when its
    /// request's future is dropped.
    #[derive(Debug, Default)]
    struct Watch {
        started: tokio::sync::Notify,
        dropped: Arc<std::sync::atomic::AtomicBool>,
    }

    #[async_trait::async_trait]
    impl VoiceProvider for Unlisting {
        fn kind(&self) -> ProviderKind {
            ProviderKind::Retell
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                list_calls: true,
                listing_order: Some(SortOrder::Descending),
                ..Capabilities::default()
            }
        }
        async fn get_call(&self, _id: &CallId) -> Result<Call> {
            Err(Error::unsupported(self.kind(), Operation::GetCall))
        }
        async fn list_calls(&self, _query: &CallQuery) -> Result<CallPage> {
            match self {
                Unlisting::Hanging => futures::future::pending().await,
                Unlisting::Broken => Err(broken("connection reset by peer")),
                Unlisting::Watched(watch) => {
                    let _dropped = SetOnDrop(Arc::clone(&watch.dropped));
                    watch.started.notify_one();
                    futures::future::pending().await
                }
            }
        }
    }

    /// Sets its flag when dropped.
    struct SetOnDrop(Arc<std::sync::atomic::AtomicBool>);

    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// A walk dropped while a provider's page is being fetched stops that fetch (its task
    /// aborted), rather than leaving it to run, and hold its connection, to its timeout.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_walk_dropped_mid_fetch_stops_the_fetch() {
        use std::sync::atomic::Ordering;
        let watch = Arc::new(Watch::default());
        let mut walk = walk_of("slow", Arc::new(Unlisting::Watched(watch.clone())));
        assert!(futures::poll!(walk.try_next()).is_pending());
        watch.started.notified().await;
        assert!(!watch.dropped.load(Ordering::SeqCst));
        drop(walk);
        let stopped = async {
            while !watch.dropped.load(Ordering::SeqCst) {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), stopped)
            .await
            .expect("the fetch was left running");
    }

    /// A merged walk over `provider` alone, named `name`, with no filter.
    fn walk_of(name: &str, provider: Arc<dyn VoiceProvider>) -> MergedCalls {
        let providers = vec![(name.to_owned(), provider)];
        MergedCalls::new(providers, CallQuery::default(), MergeOptions::default()).unwrap()
    }

    /// A lane whose vendor sends a next cursor longer than a walk follows yields that
    /// page's calls, then the provider's error, and never asks for the cursor: memory
    /// cannot grow page after page with fresh huge cursors. One at the limit is followed.
    #[tokio::test]
    async fn a_next_cursor_over_the_limit_ends_the_lane() {
        use std::sync::atomic::Ordering;
        let provider = Listing::huge_cursors(voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1);
        let walk = walk_of("huge", provider.clone());
        let items: Vec<_> = futures::StreamExt::collect(futures::StreamExt::take(walk, 10)).await;
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(items[0].is_ok());
        let failure = items[1].as_ref().unwrap_err();
        assert_eq!(failure.provider_name, "huge");
        assert!(failure.error.is_cursor_too_long(), "{failure}");
        assert_eq!(provider.requests.load(Ordering::SeqCst), 1);

        let provider = Listing::huge_cursors(voiceport_core::MAX_CURSOR_TOKEN_BYTES);
        let walk = walk_of("ok", provider);
        let items: Vec<_> = futures::StreamExt::collect(futures::StreamExt::take(walk, 5)).await;
        assert!(items.iter().all(Result::is_ok), "{items:?}");
        assert_eq!(items.len(), 5);
    }

    /// A fetch cancelled by its runtime shutting down (the walk read on after it) is said
    /// as a request that may have gone, not as one interrupted before it was sent.
    #[test]
    fn a_fetch_its_runtime_cancelled_may_have_been_sent() {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let first = runtime();
        let mut walk = first.block_on(async {
            let mut walk = walk_of("slow", Arc::new(Unlisting::Hanging));
            // The fetch is spawned (a current-thread runtime never runs it before the
            // shutdown: what is tested is how the cancellation is said).
            assert!(futures::poll!(walk.try_next()).is_pending());
            walk
        });
        first.shutdown_background();
        let failure = runtime().block_on(walk.try_next()).unwrap_err();
        assert_eq!(failure.provider_name, "slow");
        assert!(
            matches!(failure.error, Error::Transport { sent: true, .. }),
            "{:?}",
            failure.error
        );
    }

    /// A merged walk without a sort is newest first: a provider that cannot list so (it
    /// lists oldest first, or in an order it does not declare, and cannot sort) is refused
    /// before anything is fetched, rather than merged out of order.
    #[tokio::test]
    async fn a_provider_that_cannot_list_newest_first_is_refused_for_a_merged_walk() {
        use voiceport_core::Filter;
        for order in [None, Some(SortOrder::Ascending)] {
            let provider: Arc<dyn VoiceProvider> = Listing::listing_in(order);
            let providers = vec![("p".to_owned(), provider)];
            let options = MergeOptions::default();
            let refused = MergedCalls::new(providers, CallQuery::default(), options);
            assert!(
                matches!(
                    refused.as_ref().map(|_| ()),
                    Err(Error::Unsupported {
                        operation: Operation::ListFilter(Filter::Sort),
                        ..
                    })
                ),
                "{order:?}: {:?}",
                refused.map(|_| ())
            );
        }
        // Asked oldest first, one that lists so is merged.
        let provider: Arc<dyn VoiceProvider> = Listing::listing_in(Some(SortOrder::Ascending));
        let oldest_first = CallQuery {
            sort: Some(SortOrder::Ascending),
            ..CallQuery::default()
        };
        let providers = vec![("p".to_owned(), provider)];
        assert!(MergedCalls::new(providers, oldest_first, MergeOptions::default()).is_ok());
    }

    /// Asked to leave out the providers that cannot apply the filters, a walk that would
    /// leave out every one is refused with the first one's error: an empty walk would
    /// read as "no call matches".
    #[tokio::test]
    async fn a_walk_that_would_leave_out_every_provider_is_refused() {
        use voiceport_core::Filter;
        let listing = || -> Arc<dyn VoiceProvider> { Listing::new(|_| CallPage::default()) };
        let providers = vec![("a".to_owned(), listing()), ("b".to_owned(), listing())];
        let tagged = CallQuery {
            tags: vec!["vip".into()],
            ..CallQuery::default()
        };
        let options = MergeOptions::default().skip_unsupported(true);
        let refused = MergedCalls::new(providers, tagged, options).map(|_| ());
        assert!(
            matches!(
                refused,
                Err(Error::Unsupported {
                    operation: Operation::ListFilter(Filter::Tags),
                    ..
                })
            ),
            "{refused:?}"
        );
    }

    /// A cursor taken after the last call a lane yields before its pending error (a next
    /// cursor too long to follow) is not done: resumed, the walk reads that page again,
    /// yields nothing of it, and reports the error.
    #[tokio::test]
    async fn a_cursor_taken_before_a_pending_error_is_reported_resumes_to_it() {
        use std::sync::atomic::Ordering;
        let too_long = || Listing::huge_cursors(voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1);
        let mut walk = walk_of("huge", too_long());
        let first = walk.try_next().await.unwrap().unwrap();
        assert_eq!(first.call.id.as_str(), "c1");
        let cursor = walk.cursor();
        assert!(!cursor.is_done(), "{cursor}");
        let provider = too_long();
        let providers: Vec<(String, Arc<dyn VoiceProvider>)> =
            vec![("huge".into(), provider.clone())];
        let options = MergeOptions::default();
        let resumed =
            MergedCalls::new(providers, CallQuery::default(), options.resume_from(cursor));
        let items: Vec<_> = futures::StreamExt::collect(resumed.unwrap()).await;
        assert_eq!(items.len(), 1, "{items:?}");
        let failure = items[0].as_ref().unwrap_err();
        assert!(failure.error.is_cursor_too_long(), "{failure}");
        assert_eq!(provider.requests.load(Ordering::SeqCst), 1);
    }

    /// A query every provider would refuse alike (a time range holding no time, a blank
    /// filter) is refused as the walk is built, whatever its options, nothing asked of any
    /// vendor: it is not one provider's failure, nor an empty listing.
    #[tokio::test]
    async fn a_query_every_provider_refuses_alike_is_refused_before_any_fetch() {
        use std::sync::atomic::Ordering;
        let at = DateTime::from_timestamp(1_780_000_000, 0);
        let queries = [
            CallQuery {
                since: at,
                until: at,
                ..CallQuery::default()
            },
            CallQuery {
                agent_id: Some(voiceport_core::AgentId::new(" ")),
                ..CallQuery::default()
            },
        ];
        for query in queries {
            let (a, b) = (Listing::listing_in(None), Listing::listing_in(None));
            let providers: Vec<(String, Arc<dyn VoiceProvider>)> =
                vec![("a".into(), a.clone()), ("b".into(), b.clone())];
            let options = MergeOptions::default()
                .keep_going(true)
                .skip_unsupported(true);
            let refused = MergedCalls::new(providers, query.clone(), options);
            let error = refused.expect_err("refused");
            assert!(
                matches!(&error, Error::InvalidArgument { argument, .. } if argument == "query"),
                "{query:?}: {error}"
            );
            assert!(error.provider().is_none(), "{error}");
            let asked = a.requests.load(Ordering::SeqCst) + b.requests.load(Ordering::SeqCst);
            assert_eq!(asked, 0, "{query:?}");
        }
    }

    /// A walk resumed when none of a provider's calls was yielded yet leaves out that
    /// provider's calls placed since, ahead of where the walk stood in the merged order (a
    /// call as old as the last one yielded too, where its provider breaks the tie first),
    /// a whole first page of them and the next page read on; the calls the order had yet
    /// to come to are all yielded, a call as old from a provider after it among them.
    #[tokio::test]
    async fn a_resumed_walk_leaves_out_calls_placed_since_on_a_provider_it_had_not_begun() {
        let (listing, walk) = (timed_listing, merged_from);
        let a = || listing(vec![vec![("a100", 100), ("a99", 99), ("a98", 98)]]);
        let mut first = walk(
            vec![
                ("0", listing(vec![vec![("o10", 10)]])),
                ("a", a()),
                ("b", listing(vec![vec![("b99", 99), ("b50", 50)]])),
            ],
            None,
        );
        let mut ids = Vec::new();
        for _ in 0..2 {
            ids.push(first.try_next().await.unwrap().unwrap().call.id.to_string());
        }
        assert_eq!(ids, ["a100", "a99"]);
        let cursor = MergedCursor::from_token(&first.cursor().to_token()).unwrap();
        drop(first);
        // Since: "0" has a call as old as `a99`, which the tie puts before it; "b" a
        // page of newer calls, then its calls of before on the next page.
        let resumed = walk(
            vec![
                ("0", listing(vec![vec![("o99", 99), ("o10", 10)]])),
                ("a", a()),
                (
                    "b",
                    listing(vec![
                        vec![("b300", 300), ("b200", 200)],
                        vec![("b99", 99), ("b50", 50)],
                    ]),
                ),
            ],
            Some(cursor),
        );
        let rest: Vec<MergedCall> = resumed.try_collect().await.unwrap();
        let rest: Vec<String> = rest.iter().map(|m| m.call.id.to_string()).collect();
        assert_eq!(rest, ["b99", "a98", "b50", "o10"]);
    }

    /// A provider whose pages are `(id, minute)` pairs, newest first: each request gets
    /// the next page, the last one with no next cursor.
    fn timed_listing(pages: Vec<Vec<(&'static str, i64)>>) -> Arc<Listing> {
        let count = pages.len();
        Listing::new(move |n| {
            let calls = (pages.get(n - 1).into_iter().flatten())
                .map(|(id, minute)| {
                    let mut call = Call::new(CallId::new(*id), ProviderKind::Retell);
                    call.created_at = DateTime::from_timestamp(1_780_000_000 + minute * 60, 0);
                    call
                })
                .collect();
            let next = (n < count).then(|| PageCursor::Token {
                token: format!("page-{}", n + 1),
            });
            CallPage::new(calls, next, None)
        })
    }

    /// A merged walk of `lanes` (by name), from `cursor` if given, with no filter.
    fn merged_from(lanes: Vec<(&str, Arc<Listing>)>, cursor: Option<MergedCursor>) -> MergedCalls {
        let lanes = (lanes.into_iter())
            .map(|(name, provider)| (name, provider as Arc<dyn VoiceProvider>))
            .collect();
        merged_with(lanes, cursor, MergeOptions::default())
    }

    fn merged_with(
        lanes: Vec<(&str, Arc<dyn VoiceProvider>)>,
        cursor: Option<MergedCursor>,
        options: MergeOptions,
    ) -> MergedCalls {
        let providers = (lanes.into_iter())
            .map(|(name, provider)| (name.to_owned(), provider))
            .collect();
        let options = options.resume_from(cursor);
        MergedCalls::new(providers, CallQuery::default(), options).unwrap()
    }

    /// The ids of the next `n` calls of `walk`.
    async fn take_ids(walk: &mut MergedCalls, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for _ in 0..n {
            ids.push(walk.try_next().await.unwrap().unwrap().call.id.to_string());
        }
        ids
    }

    /// The cursor of `walk`, as text and back, as a CLI keeps it.
    fn cursor_of(walk: &MergedCalls) -> MergedCursor {
        MergedCursor::from_token(&walk.cursor().to_token()).unwrap()
    }

    /// A walk stopped twice while a provider has yielded nothing keeps leaving out its
    /// calls placed since: the second cursor says where the walk stood too.
    #[tokio::test]
    async fn a_walk_stopped_twice_before_a_provider_yields_keeps_leaving_out_its_new_calls() {
        let a = || {
            timed_listing(vec![vec![
                ("a100", 100),
                ("a99", 99),
                ("a98", 98),
                ("a97", 97),
            ]])
        };
        let mut first = merged_from(
            vec![("a", a()), ("b", timed_listing(vec![vec![("b50", 50)]]))],
            None,
        );
        assert_eq!(take_ids(&mut first, 2).await, ["a100", "a99"]);
        let cursor = cursor_of(&first);
        drop(first);
        let b = timed_listing(vec![vec![("b300", 300), ("b50", 50)]]);
        let mut second = merged_from(vec![("a", a()), ("b", b)], Some(cursor));
        assert_eq!(take_ids(&mut second, 1).await, ["a98"]);
        let cursor = cursor_of(&second);
        drop(second);
        let b = timed_listing(vec![vec![("b400", 400), ("b300", 300), ("b50", 50)]]);
        let third = merged_from(vec![("a", a()), ("b", b)], Some(cursor));
        let rest: Vec<MergedCall> = third.try_collect().await.unwrap();
        let rest: Vec<String> = rest.iter().map(|m| m.call.id.to_string()).collect();
        assert_eq!(rest, ["a97", "b50"]);
    }

    /// A provider whose first page failed (the walk going on without it) yielded none of
    /// its calls, and none of them is taken for placed since: resumed, it gives them all,
    /// the newer ones out of the merged order.
    #[tokio::test]
    async fn a_provider_that_failed_its_first_page_gives_every_call_when_resumed() {
        let a = || timed_listing(vec![vec![("a100", 100), ("a99", 99), ("a98", 98)]]);
        let keep_going = MergeOptions::default().keep_going(true);
        let lanes: Vec<(&str, Arc<dyn VoiceProvider>)> =
            vec![("a", a()), ("b", Arc::new(Unlisting::Broken))];
        let mut first = merged_with(lanes, None, keep_going.clone());
        assert_eq!(take_ids(&mut first, 2).await, ["a100", "a99"]);
        assert_eq!(first.failures().len(), 1);
        let cursor = cursor_of(&first);
        drop(first);
        let b = timed_listing(vec![vec![("b150", 150), ("b50", 50)]]);
        let resumed = merged_from(vec![("a", a()), ("b", b)], Some(cursor));
        let rest: Vec<MergedCall> = resumed.try_collect().await.unwrap();
        let rest: Vec<String> = rest.iter().map(|m| m.call.id.to_string()).collect();
        assert_eq!(rest, ["b150", "a98", "b50"]);
    }

    /// A merged walk asks a vendor for its next page once more than half of the page being
    /// merged is yielded, not as soon as it arrives: one page of merged calls split evenly
    /// between two vendors paged at its size (the CLI's `calls list --providers a,b
    /// --limit N`) asks each vendor once. The page after comes in before it is needed.
    #[tokio::test]
    async fn the_next_page_is_asked_for_once_more_than_half_of_this_one_is_yielded() {
        use std::sync::atomic::Ordering;
        // Ten calls a page, a minute apart, newest first; the two vendors' interleaved.
        let listing = |offset: i64| {
            Listing::new(move |n| {
                CallPage::new(
                    (0..10)
                        .map(|i| {
                            let at = 1_000_000 - 2 * (10 * (n as i64 - 1) + i) * 60 - offset;
                            let mut call = Call::new(
                                CallId::new(format!("c{offset}-{n}-{i}")),
                                ProviderKind::Retell,
                            );
                            call.created_at = DateTime::from_timestamp(at * 60, 0);
                            call
                        })
                        .collect(),
                    Some(PageCursor::Token {
                        token: format!("page-{}", n + 1),
                    }),
                    None,
                )
            })
        };
        let (a, b) = (listing(0), listing(60));
        let providers: Vec<(String, Arc<dyn VoiceProvider>)> =
            vec![("a".into(), a.clone()), ("b".into(), b.clone())];
        let mut walk =
            MergedCalls::new(providers, CallQuery::default(), MergeOptions::default()).unwrap();
        // The fetches are tasks: each gets to run before the count is read.
        let requests = || async {
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            let count = |listing: &Listing| listing.requests.load(Ordering::SeqCst);
            (count(&a), count(&b))
        };
        let mut ids = Vec::new();
        let mut take = async |n: usize| {
            for _ in 0..n {
                let next = walk.try_next().await.unwrap().unwrap();
                ids.push(next.call.id.to_string());
            }
        };
        // a0 b0 a1 b1 …: four of each, under half of either page.
        take(8).await;
        assert_eq!(requests().await, (1, 1), "asked ahead before half a page");
        // A merged page of ten, five of each: exactly half of either page, asked once.
        take(2).await;
        assert_eq!(
            requests().await,
            (1, 1),
            "asked ahead at exactly half a page"
        );
        // a's sixth: past half its page; then b's.
        take(1).await;
        assert_eq!(
            requests().await,
            (2, 1),
            "a's next page not asked for past its half"
        );
        take(1).await;
        assert_eq!(
            requests().await,
            (2, 2),
            "b's next page not asked for past its half"
        );
        // The rest of both first pages, and all of both second ones: their thirds asked
        // for past their halves, once each.
        take(28).await;
        assert_eq!(requests().await, (3, 3));
        let second_pages = ids.iter().filter(|id| id.contains("-2-")).count();
        assert_eq!((ids.len(), second_pages), (40, 20));
    }

    /// A page of no calls that names a next cursor is past any half: the next page is asked
    /// for, and its calls come.
    #[tokio::test]
    async fn a_page_of_no_calls_leads_to_the_next() {
        let provider = Listing::new(|n| {
            CallPage::new(
                (n > 1)
                    .then(|| Call::new(CallId::new(format!("c{n}")), ProviderKind::Retell))
                    .into_iter()
                    .collect(),
                (n < 3).then(|| PageCursor::Token {
                    token: format!("page-{}", n + 1),
                }),
                None,
            )
        });
        let walk = walk_of("sparse", provider.clone());
        let calls: Vec<MergedCall> = walk.try_collect().await.unwrap();
        let ids: Vec<&str> = calls.iter().map(|c| c.call.id.as_str()).collect();
        assert_eq!(ids, ["c2", "c3"]);
    }

    /// A walk started in a runtime can be read from a thread without one (another
    /// executor): its fetches are spawned on the runtime it was started in, not on the
    /// reader's, which `tokio::spawn` would look for and panic without.
    #[test]
    fn a_walk_is_read_from_a_thread_without_a_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        // One call a page: each page after the first is asked for by the reader's polls.
        let provider = Listing::new(|n| {
            CallPage::new(
                vec![Call::new(
                    CallId::new(format!("c{n}")),
                    ProviderKind::Retell,
                )],
                (n < 3).then(|| PageCursor::Token {
                    token: format!("page-{}", n + 1),
                }),
                None,
            )
        });
        let walk = {
            let _entered = runtime.enter();
            walk_of("plain", provider)
        };
        let reader = std::thread::spawn(move || {
            // An executor of its own, on a thread with no Tokio runtime entered.
            let calls: Vec<MergedCall> = futures::executor::block_on(walk.try_collect()).unwrap();
            Vec::from_iter(calls.into_iter().map(|c| c.call.id.to_string()))
        });
        let ids = reader.join().expect("the reader panicked");
        assert_eq!(ids, ["c1", "c2", "c3"]);
    }

    /// A panic in a provider's page fetch reaches the walk's reader as a panic, as it does
    /// a caller of `list_calls`: not an error that says the configuration is wrong.
    #[tokio::test]
    async fn a_panicking_page_fetch_panics_the_reader() {
        let mut walk = walk_of("broken", Listing::new(|_| panic!("the listing's own bug")));
        let reader = tokio::spawn(async move { walk.try_next().await.map(|_| ()) });
        let stopped = reader.await.expect_err("the reader did not panic");
        let panic = stopped.into_panic();
        let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
        assert_eq!(message, "the listing's own bug");
    }
}
