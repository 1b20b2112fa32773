//! Where a merged walk stands, written as a token to resume from.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use voiceport_core::{CallId, CallQuery, Error, PageCursor, ProviderKind, Result, SortOrder};

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
    pub(super) positions: BTreeMap<String, Position>,
    /// The page size the walk asked for (`None`: each vendor's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) page_size: Option<u32>,
    /// The [digest](query_digest) of the walk's filters and sort (`None`: not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) query: Option<String>,
    /// Where the walk stood: the last call it yielded that had a creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) walked_to: Option<WalkedTo>,
}

/// The last call a merged walk yielded that had a creation time: its time, and the
/// provider it came from (which breaks ties in the merged order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WalkedTo {
    pub(super) time: DateTime<Utc>,
    pub(super) provider: String,
}

/// A short digest of what a query selects and in which order (its filters and sort; not
/// its page size, which the cursor keeps, nor its own cursor): two queries with the same
/// digest list the same calls in the same order.
pub(super) fn query_digest(query: &CallQuery) -> String {
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
pub(super) struct Position {
    /// The page being read (`None`: the first page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) page: Option<PageCursor>,
    /// How many of its calls were yielded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) skip: usize,
    /// On the first page, the id of the last call yielded: what the resumed walk goes on
    /// after, as new calls shift the first page (see [`MergedCursor`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) after: Option<CallId>,
    /// The creation time of the last call yielded that had one: where a call without a
    /// time goes in the merge, and how far the calls placed since reach when `after` is
    /// no longer on the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) time: Option<DateTime<Utc>>,
    /// None of this provider's calls was yielded yet, though its first page was read:
    /// where the walk stood then. Its calls ahead of that point in the merged order were
    /// placed since, and a resumed walk leaves them out (see [`MergedCursor`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) placed_after: Option<WalkedTo>,
    /// Every call of this provider was yielded.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(super) done: bool,
    /// `page` is the provider's last: its vendor's next cursor came round again, and is
    /// not followed when the walk resumes.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(super) last: bool,
    /// The vendor the place is in (kept with a place, or the end): another vendor's page
    /// cursor or offset names another place, or none, and its calls were not the ones
    /// walked, in a provider configured since as one of another vendor. (`None`: a cursor
    /// of a version that did not keep it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<ProviderKind>,
}

impl Position {
    /// Whether the cursor says anything of this provider (a place, or its end), which is
    /// then of the vendor it was walked in.
    pub(super) fn is_walked(&self) -> bool {
        self.done || self.holds_a_place()
    }

    /// Whether a resumed walk must go on from here: the provider was begun, not finished.
    pub(super) fn holds_a_place(&self) -> bool {
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
pub(super) fn place_lost(name: &str, why: &str) -> Error {
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
