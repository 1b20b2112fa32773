//! One resumable cursor over every vendor's paging scheme, and lazy streams over pages.

use std::collections::{HashSet, VecDeque};
use std::ops::Deref;

use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::{Call, CallId, CallQuery, Error, ProviderKind, Result, VoiceProvider};

/// The longest vendor token ([`PageCursor::Token`]) a page walk follows, in bytes. Vendors'
/// cursors are far shorter; the longest a walk meets is the one the Vapi-family adapters
/// build, which lists the ids of the calls already returned in one millisecond (under
/// 40 KB for the most a page can hold). A longer one would go back to the vendor in each
/// request, or be printed as the cursor to resume from, however large a hostile vendor
/// made it.
pub const MAX_CURSOR_TOKEN_BYTES: usize = 64 * 1024;

/// Where the next page starts. Serializable, so a long walk can be resumed later.
///
/// Which variant a provider uses is its own business: pass back what it gave you.
///
/// An [`Offset`](Self::Offset) or a [`Page`](Self::Page) counts calls in the vendor's
/// listing as it stands when the next page is asked for. On a listing that puts the newest
/// first, calls created since the last page push the rest back, so the next page (at once
/// or resumed days later) can repeat calls already returned, as many as were created
/// meanwhile; calls deleted meanwhile make it skip as many. For a walk that must return each
/// call once, give the query an `until` (a time already past) from its first page on, or
/// drop the ids already seen. [`Token`](Self::Token) and
/// [`CreatedBefore`](Self::CreatedBefore) cursors are anchored to a call or a time and do
/// not move.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
// A field this build does not know comes from a newer one, whose paging it steers:
// ignored, the listing would resume elsewhere than where the cursor points.
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum PageCursor {
    /// Skip this many calls (HappyRobot `skip`).
    Offset {
        /// Calls to skip.
        skip: u64,
    },
    /// A 1-based page number (Rounded page mode).
    Page {
        /// The page.
        number: u32,
    },
    /// A vendor token, sent back as it came: Rounded's cursor mode (an ISO timestamp),
    /// Retell's `pagination_key`, and the Vapi family's window (JSON of its own).
    Token {
        /// The token, verbatim.
        token: String,
    },
    /// Calls created strictly before this time (time-window paging). The Vapi family takes
    /// it as a starting point, and writes a [`Token`](Self::Token) for its next pages.
    CreatedBefore {
        /// The window's upper bound.
        before: DateTime<Utc>,
    },
}

impl PageCursor {
    /// The cursor as one compact string (JSON), for command lines and storage.
    pub fn to_token(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The refusal of this cursor by the listing of `kind` (named `vendor` in the message,
    /// `HappyRobot`), which takes `expected` cursors (`an offset`): an
    /// [`Error::InvalidRequest`] for [`Operation::ListCalls`](crate::Operation::ListCalls),
    /// before anything is sent. A cursor of another vendor's, or of a merged walk's,
    /// would otherwise be read as something it is not.
    pub fn foreign_to(&self, kind: ProviderKind, vendor: &str, expected: &str) -> Error {
        Error::invalid_input(
            kind,
            crate::Operation::ListCalls,
            format!("cursor {self} is not a {vendor} cursor (expected {expected})"),
        )
    }

    /// Reads a cursor written by [`PageCursor::to_token`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the `cursor` when `token` is malformed: not JSON, or
    /// not a cursor (an unknown `mode`, a field missing, unknown or of the wrong type).
    pub fn from_token(token: &str) -> Result<Self> {
        serde_json::from_str(token).map_err(|e| {
            Error::invalid_argument("cursor", format!("not a voiceport page cursor: {e}"))
        })
    }
}

impl std::fmt::Display for PageCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.to_token())
    }
}

impl std::str::FromStr for PageCursor {
    type Err = Error;
    fn from_str(token: &str) -> Result<Self> {
        PageCursor::from_token(token)
    }
}

/// One page of calls.
///
/// Build one with [`CallPage::new`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallPage {
    /// The calls on this page (already filtered client-side where the vendor cannot).
    pub calls: Vec<Call>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
    /// The total number of matching calls, when the vendor says; `None` too when a filter
    /// of the query is applied client-side, since the vendor's count then includes the calls
    /// it drops.
    pub total: Option<u64>,
    /// The ids of the calls the vendor sent for this page, before any filter applied
    /// client-side, as a digest ([`PageIds`]), set by the adapter's page decoder. A page
    /// walk compares it from page to page ([`SeenCursors::read_page`]): a vendor that
    /// answers the same page under ever new cursors is told apart so even when the filter
    /// keeps none of its calls. `None` (a page built by hand, a provider that does not say):
    /// the walk compares [`calls`](Self::calls). Not serialized: it means something only
    /// to the walk that read the page. Compared by `==` (as a call's vendor payload is), so
    /// that a decoded page is not equal to its JSON read back.
    #[serde(skip)]
    pub vendor_ids: Option<PageIds>,
}

impl CallPage {
    /// A page of `calls`, the next at `next` (`None`: the last page), of `total` matching
    /// calls where the vendor says.
    pub fn new(calls: Vec<Call>, next: Option<PageCursor>, total: Option<u64>) -> Self {
        CallPage {
            calls,
            next,
            total,
            vendor_ids: None,
        }
    }

    /// The same page, with the digest of the ids the vendor sent for it (a page decoder's).
    #[must_use]
    pub fn with_vendor_ids(mut self, ids: PageIds) -> Self {
        self.vendor_ids = Some(ids);
        self
    }
}

/// The ids of the calls of one page, in order, as a fixed-size digest (16 bytes, however
/// many calls): what a page walk compares from page to page to stop a vendor that answers
/// the same page whatever cursor it is given ([`CallPage::vendor_ids`]).
///
/// A page decoder pushes the id of every call the vendor sent, the ones its client-side
/// filter drops too. The digest is for comparing pages within one process: it is not
/// serialized, and may differ between builds.
///
/// ```
/// use voiceport_core::PageIds;
///
/// let mut ids = PageIds::default();
/// ids.push("c1");
/// ids.push("c2");
/// assert_eq!(ids, PageIds::of(["c1", "c2"]));
/// assert_ne!(ids, PageIds::of(["c2", "c1"]));
/// assert_eq!(ids.len(), 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PageIds {
    /// How many ids were pushed.
    len: u64,
    /// The hash of the ids pushed, each chained onto the hash of those before it.
    digest: u64,
}

impl PageIds {
    /// The digest of `ids`, in order.
    pub fn of<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let mut page = PageIds::default();
        ids.into_iter().for_each(|id| page.push(id));
        page
    }

    /// Adds the id of the next call of the page.
    pub fn push(&mut self, id: &str) {
        use std::hash::{DefaultHasher, Hash, Hasher};
        // Chained, so that a decoder need not hold the page's ids, only this value.
        let mut hasher = DefaultHasher::new();
        self.digest.hash(&mut hasher);
        id.hash(&mut hasher);
        self.digest = hasher.finish();
        self.len = self.len.saturating_add(1);
    }

    /// How many ids were pushed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A lazy stream of pages: each page is fetched when the previous one has been consumed.
///
/// Stops after the last page, or after the first error (which it yields). A vendor whose
/// cursors come round again (the cursor it was given, or any earlier one of the walk, such
/// as `A → B → A`) is reported as an [`Error::Decode`] at `next cursor`, after the page
/// that named it, instead of looping forever; so is one that answers the same calls under
/// ever new cursors (an offset it does not read), or goes round a few pages so, on the
/// second page in a row that holds a recent page's calls, which is not yielded
/// ([`SeenCursors::read_page`]): the calls it sent, compared even when a filter applied
/// client-side kept none of them ([`CallPage::vendor_ids`]). The walk
/// remembers every cursor it has followed as a fixed-size digest ([`SeenCursors`]: 32
/// bytes per page, whatever the cursor's length), and refuses a next cursor whose token
/// is longer than [`MAX_CURSOR_TOKEN_BYTES`] ([`Error::cursor_too_long`], after the page
/// that named it). A call the page before held is not yielded again: a listing paged by
/// offset shifts as calls are placed while it is walked ([`SeenCursors::drop_repeated`]).
///
/// `provider` is a reference (the stream borrows it) or an owning handle such as the
/// `Arc<dyn VoiceProvider>` that `connect` returns (the stream is then `'static`, to keep
/// in a struct or hand to a response body).
#[must_use = "a stream does nothing unless polled"]
pub fn page_stream<'a, H, P>(provider: H, query: CallQuery) -> BoxStream<'a, Result<CallPage>>
where
    H: Deref<Target = P> + Send + 'a,
    P: VoiceProvider + ?Sized,
{
    walk_pages(provider, query, true)
}

/// [`page_stream`]'s pages as the vendor sent them, a call the page before held kept: what
/// the conformance suite judges a vendor's cursors by (one that overlaps the pages).
#[cfg(feature = "conformance")]
pub(crate) fn pages_as_sent(
    provider: &dyn VoiceProvider,
    query: CallQuery,
) -> BoxStream<'_, Result<CallPage>> {
    walk_pages(provider, query, false)
}

/// A page walk, which drops the calls each page repeats of the one before or not.
fn walk_pages<'a, H, P>(
    provider: H,
    query: CallQuery,
    drop_repeated: bool,
) -> BoxStream<'a, Result<CallPage>>
where
    H: Deref<Target = P> + Send + 'a,
    P: VoiceProvider + ?Sized,
{
    let seen = SeenCursors::starting_at(query.cursor.as_ref());
    let start = Walk {
        provider,
        query,
        seen,
        pages: 0,
        drop_repeated,
    };
    stream::try_unfold(Step::Next(start), |step| async move {
        let mut walk = match step {
            Step::Next(walk) => walk,
            Step::Fail(error) => return Err(*error),
            Step::Done => return Ok(None),
        };
        let mut page = walk.provider.list_calls(&walk.query).await?;
        walk.seen.read_page(walk.provider.kind(), &page)?;
        if walk.drop_repeated {
            walk.seen.drop_repeated(&mut page.calls);
        }
        walk.pages += 1;
        let next_step = match &page.next {
            None => Step::Done,
            // The page is yielded, then the error: its calls are the vendor's answer.
            Some(next) => match walk.seen.follow(walk.provider.kind(), next) {
                Err(too_long) => Step::Fail(Box::new(too_long)),
                Ok(false) => {
                    let message = if walk.query.cursor.as_ref() == Some(next) {
                        format!(
                            "the vendor returned the cursor it was given ({next}); paging would never end"
                        )
                    } else {
                        format!(
                            "the vendor returned a cursor it had already given in this walk ({next}) after {} pages: its cursors go round in a cycle, so paging would never end",
                            walk.pages
                        )
                    };
                    Step::Fail(Box::new(Error::cursor_cycle(walk.provider.kind(), message)))
                }
                Ok(true) => {
                    walk.query.cursor = Some(next.clone());
                    Step::Next(walk)
                }
            },
        };
        Ok(Some((page, next_step)))
    })
    .boxed()
}

/// What a page walk does next. One per walk, moved once a page: its size is the walk's.
#[allow(clippy::large_enum_variant)]
enum Step<H> {
    /// Asks for the next page.
    Next(Walk<H>),
    /// Reports the cursor cycle found on the page just yielded.
    Fail(Box<Error>),
    /// The last page was yielded.
    Done,
}

/// Where a walk over pages is: the provider it asks, the query of the next page, the
/// cursors followed so far and how many pages it has read.
struct Walk<H> {
    provider: H,
    query: CallQuery,
    seen: SeenCursors,
    pages: u64,
    /// Whether a call the page before held is dropped from the next.
    drop_repeated: bool,
}

/// The cursors a page walk has followed, to stop a vendor whose cursors go round in a
/// cycle. Each is kept as the SHA-256 digest of its [token](PageCursor::to_token): 32
/// bytes per cursor, whatever its length, so a vendor's huge cursors cost the walk
/// nothing they could grow. It also knows the calls of the last sixteen pages read (a
/// 16-byte digest each), to stop a vendor that answers the same page, or goes round a few,
/// under cursors that are each new ([`read_page`](Self::read_page)), and the ids of the
/// last page's calls, which a page shifted by calls placed meanwhile begins with again
/// ([`drop_repeated`](Self::drop_repeated)).
#[derive(Debug, Clone, Default)]
pub struct SeenCursors {
    digests: HashSet<[u8; 32]>,
    /// The ids of the last pages read that the vendor sent calls on, oldest first (at
    /// most [`RECENT_PAGES_COMPARED`]).
    recent_pages: VecDeque<PageIds>,
    /// How many pages in a row held the calls of a recent page.
    repeats: u32,
    /// Whether each of those pages held the calls of the page just before it.
    repeats_of_the_last: bool,
    /// The calls of the last page read, which the next page may begin with again
    /// ([`drop_repeated`](Self::drop_repeated)).
    last_page_calls: HashSet<CallId>,
}

/// How many pages in a row may hold the very calls of a recent page. Once is an
/// offset-paged account that gained a page (or two) of new calls between two requests; a
/// vendor that does not read where a page starts repeats it for ever, or goes round a few.
const REPEATED_PAGES_TOLERATED: u32 = 1;

/// How many of the last pages a page is compared with: a vendor going round more pages
/// than this under new cursors is not caught (its cursors, all recorded, are not the same).
const RECENT_PAGES_COMPARED: usize = 16;

impl SeenCursors {
    /// An empty trail, or one holding the cursor a walk starts (resumes) at.
    pub fn starting_at(cursor: Option<&PageCursor>) -> Self {
        let mut seen = SeenCursors::default();
        if let Some(cursor) = cursor {
            seen.insert(cursor);
        }
        seen
    }

    /// Records `cursor`: `false` when it was recorded already.
    pub fn insert(&mut self, cursor: &PageCursor) -> bool {
        use sha2::{Digest, Sha256};
        self.digests
            .insert(Sha256::digest(cursor.to_token().as_bytes()).into())
    }

    /// Checks `next`, the cursor a vendor handed back, before the walk follows it, and
    /// records it: `Ok(true)` when it is new, `Ok(false)` when the walk has followed it
    /// already (a cycle), and [`Error::cursor_too_long`] when its token is longer than
    /// [`MAX_CURSOR_TOKEN_BYTES`] (it is then not recorded).
    pub fn follow(&mut self, provider: ProviderKind, next: &PageCursor) -> Result<bool> {
        if let PageCursor::Token { token } = next
            && token.len() > MAX_CURSOR_TOKEN_BYTES
        {
            return Err(Error::cursor_too_long(provider, token.len()));
        }
        Ok(self.insert(next))
    }

    /// Records the calls of a page just read. [`Error::cursor_cycle`] when this page and
    /// the page before it each hold the calls of a recent page (of the last sixteen), the
    /// same ids in the same order: the vendor answers one page, or goes round a few,
    /// whatever cursor it is given (a `skip` or page number it does not read, a fresh token
    /// over the same calls), and the cursors it hands back, each new (an offset the walk
    /// counts up), would never end the walk.
    ///
    /// The calls compared are the ones the vendor sent ([`CallPage::vendor_ids`]), where
    /// the page says them, else the page's own: a filter applied client-side may keep
    /// none of a page, and a vendor repeating such a page is caught all the same, while
    /// page after page of other calls that the filter empties is a walk going on. A page
    /// on which the vendor sent no call is not compared.
    pub fn read_page(&mut self, provider: ProviderKind, page: &CallPage) -> Result<()> {
        let ids = page
            .vendor_ids
            .unwrap_or_else(|| PageIds::of(page.calls.iter().map(|call| call.id.as_str())));
        if ids.is_empty() {
            return Ok(());
        }
        let of_the_last = self.recent_pages.back() == Some(&ids);
        if self.recent_pages.contains(&ids) {
            // The first repeat of a run starts it; each one after keeps it "of the last"
            // only while it is.
            self.repeats_of_the_last =
                of_the_last && (self.repeats == 0 || self.repeats_of_the_last);
            self.repeats = self.repeats.saturating_add(1);
        } else {
            self.repeats = 0;
        }
        if self.recent_pages.len() == RECENT_PAGES_COMPARED {
            self.recent_pages.pop_front();
        }
        self.recent_pages.push_back(ids);
        if self.repeats <= REPEATED_PAGES_TOLERATED {
            return Ok(());
        }
        let what = match ids.len() {
            1 => "call".to_owned(),
            n => format!("{n} calls"),
        };
        let kept = match (page.vendor_ids, page.calls.len()) {
            (Some(_), 0) => ", none of them kept by the query's filters",
            _ => "",
        };
        let answered = match self.repeats_of_the_last {
            true => format!("the same {what} on {} pages in a row", self.repeats + 1),
            false => format!(
                "{} pages in a row holding the calls of an earlier page (the last: {what})",
                self.repeats
            ),
        };
        let message = format!(
            "the vendor answered {answered}{kept}, each asked for with a new cursor: it does not read where a page starts, so paging would never end"
        );
        Err(Error::cursor_cycle(provider, message))
    }

    /// Drops from the start of `calls`, those of a page just read, the calls the page
    /// before it held, and keeps this page's for the next: how many it dropped. A listing
    /// paged by offset or page number, newest first, shifts by one with each call placed
    /// between two requests, so the next page begins with the last calls of this one
    /// again; a walk yields each call once all the same. Only the page's start is looked
    /// at: a call repeated further on is no shift, and stays (a walk resumed at this page
    /// skips as many calls from its start as were dropped and yielded). A call deleted
    /// between two requests shifts the listing the other way: the call that moved onto the
    /// page already read is not seen.
    pub fn drop_repeated(&mut self, calls: &mut Vec<Call>) -> usize {
        let this_page = calls.iter().map(|call| call.id.clone()).collect();
        let last = std::mem::replace(&mut self.last_page_calls, this_page);
        let repeated = (calls.iter())
            .take_while(|call| last.contains(&call.id))
            .count();
        calls.drain(..repeated);
        repeated
    }

    /// How many cursors are recorded.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }
}

/// A lazy stream of calls across all pages. Memory is bounded by one page, plus the
/// 32-byte digest of each cursor followed (to stop a vendor whose cursors go round) and
/// the ids of the page before (whose calls a shifted page repeats).
/// Time is not: where a filter is applied client-side, pages that hold no match yield
/// nothing, and the stream reads on until one does or the vendor names no next page (an
/// account of many calls, few matching; a vendor that never ends answers new calls for
/// ever). Bound a walk that must end by a deadline with `tokio::time::timeout`, or
/// watch its pages with [`page_stream`], which yields each, empty or not. `provider` is
/// a reference or an owning handle, as for [`page_stream`]:
///
/// ```
/// # use voiceport_core as voiceport;
/// use std::sync::Arc;
/// use voiceport::{Call, CallQuery, Result, VoiceProvider, call_stream};
/// use futures::stream::BoxStream;
///
/// /// Every call of the account, as a stream that owns its provider.
/// fn every_call(provider: Arc<dyn VoiceProvider>) -> BoxStream<'static, Result<Call>> {
///     call_stream(provider, CallQuery::default())
/// }
/// ```
#[must_use = "a stream does nothing unless polled"]
pub fn call_stream<'a, H, P>(provider: H, query: CallQuery) -> BoxStream<'a, Result<Call>>
where
    H: Deref<Target = P> + Send + 'a,
    P: VoiceProvider + ?Sized,
{
    page_stream(provider, query)
        .map_ok(|page| stream::iter(page.calls.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the calls a page begins with that the page before held are dropped (an
    /// offset listing shifted by calls placed meanwhile): one repeated further on stays,
    /// so that how many were dropped is where the page's calls yielded begin.
    #[test]
    fn only_a_page_s_leading_repeats_are_dropped() {
        let calls = |ids: &[&str]| -> Vec<Call> {
            let call = |id: &&str| Call::new(CallId::new(*id), ProviderKind::HappyRobot);
            ids.iter().map(call).collect()
        };
        let ids = |calls: &[Call]| -> Vec<String> {
            calls.iter().map(|call| call.id.to_string()).collect()
        };
        let mut seen = SeenCursors::default();
        let mut first = calls(&["e", "d", "c"]);
        assert_eq!(seen.drop_repeated(&mut first), 0);
        let mut second = calls(&["d", "c", "b", "e"]);
        assert_eq!(seen.drop_repeated(&mut second), 2);
        assert_eq!(ids(&second), ["b", "e"]);
        // Compared with the page before as it came, its dropped calls included.
        let mut third = calls(&["e", "a"]);
        assert_eq!(seen.drop_repeated(&mut third), 1);
        assert_eq!(ids(&third), ["a"]);
    }

    #[test]
    fn cursor_round_trips_through_serde_and_token() {
        let cursors = [
            PageCursor::Offset { skip: 2000 },
            PageCursor::Page { number: 3 },
            PageCursor::Token {
                token: "2026-03-01T10:00:00Z".into(),
            },
            PageCursor::CreatedBefore {
                before: "2026-03-01T10:00:00Z".parse().unwrap(),
            },
        ];
        for cursor in cursors {
            let token = cursor.to_token();
            assert_eq!(PageCursor::from_token(&token).unwrap(), cursor, "{token}");
            let json = serde_json::to_value(&cursor).unwrap();
            assert_eq!(serde_json::from_value::<PageCursor>(json).unwrap(), cursor);
            assert_eq!(token.parse::<PageCursor>().unwrap(), cursor);
        }
        assert_eq!(
            PageCursor::Offset { skip: 5 }.to_token(),
            r#"{"mode":"offset","skip":5}"#
        );
        for malformed in [
            "garbage",
            r#"{"mode":"sideways"}"#,
            r#"{"mode":"offset"}"#,
            // A newer version's field, which would steer where the listing resumes.
            r#"{"mode":"offset","skip":5,"anchor":"call-1"}"#,
        ] {
            let error = PageCursor::from_token(malformed).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidArgument { argument, .. } if argument == "cursor"),
                "{malformed}: {error:?}"
            );
        }
    }
}
