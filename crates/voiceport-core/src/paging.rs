//! One resumable cursor over every vendor's paging scheme, and lazy streams over pages.

use std::collections::HashSet;
use std::ops::Deref;

use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::{Call, CallQuery, Error, Result, VoiceProvider};

/// Where the next page starts. Serializable, so a long walk can be resumed later.
///
/// Which variant a provider uses is its own business: pass back what it gave you.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
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
    /// A vendor token (Rounded cursor mode: an ISO timestamp).
    Token {
        /// The token, verbatim.
        token: String,
    },
    /// Calls created strictly before this time (Vapi-style time-window paging).
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

    /// Reads a cursor written by [`PageCursor::to_token`].
    pub fn from_token(token: &str) -> Result<Self> {
        serde_json::from_str(token)
            .map_err(|e| Error::config("cursor", format!("not a voiceport page cursor: {e}")))
    }
}

impl std::fmt::Display for PageCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_token())
    }
}

impl std::str::FromStr for PageCursor {
    type Err = Error;
    fn from_str(token: &str) -> Result<Self> {
        PageCursor::from_token(token)
    }
}

/// One page of calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallPage {
    /// The calls on this page (already filtered client-side where the vendor cannot).
    pub calls: Vec<Call>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
    /// The total number of matching calls, when the vendor says.
    pub total: Option<u64>,
}

/// A lazy stream of pages: each page is fetched when the previous one has been consumed.
///
/// Stops after the last page, or after the first error (which it yields). A vendor whose
/// cursors come round again (the cursor it was given, or any earlier one of the walk, such
/// as `A → B → A`) is reported as an [`Error::Decode`] at `next cursor`, after the page
/// that named it, instead of looping forever. The walk remembers every cursor it has
/// followed (a few bytes per page).
///
/// `provider` is a reference (the stream borrows it) or an owning handle such as the
/// `Arc<dyn VoiceProvider>` that `connect` returns (the stream is then `'static`, to keep
/// in a struct or hand to a response body).
pub fn page_stream<'a, H, P>(provider: H, query: CallQuery) -> BoxStream<'a, Result<CallPage>>
where
    H: Deref<Target = P> + Send + 'a,
    P: VoiceProvider + ?Sized,
{
    let seen: HashSet<PageCursor> = query.cursor.iter().cloned().collect();
    let start = Walk {
        provider,
        query,
        seen,
        pages: 0,
    };
    stream::try_unfold(Step::Next(start), |step| async move {
        let mut walk = match step {
            Step::Next(walk) => walk,
            Step::Fail(error) => return Err(*error),
            Step::Done => return Ok(None),
        };
        let page = walk.provider.list_calls(&walk.query).await?;
        walk.pages += 1;
        let next_step = match &page.next {
            None => Step::Done,
            // The page is yielded, then the error: its calls are the vendor's answer.
            Some(next) if !walk.seen.insert(next.clone()) => {
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
            Some(next) => {
                walk.query.cursor = Some(next.clone());
                Step::Next(walk)
            }
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
    seen: HashSet<PageCursor>,
    pages: u64,
}

/// A lazy stream of calls across all pages. Memory is bounded by one page. `provider` is
/// a reference or an owning handle, as for [`page_stream`]:
///
/// ```
/// use std::sync::Arc;
/// use voiceport_core::{Call, CallQuery, Result, VoiceProvider, call_stream};
/// use futures::stream::BoxStream;
///
/// /// Every call of the account, as a stream that owns its provider.
/// fn every_call(provider: Arc<dyn VoiceProvider>) -> BoxStream<'static, Result<Call>> {
///     call_stream(provider, CallQuery::default())
/// }
/// ```
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
        assert!(PageCursor::from_token("garbage").is_err());
    }
}
