//! The listing cases: order, walks to the end, page sizes, and a vendor filtering pages
//! after fetching them.

use std::collections::HashSet;

use futures::{StreamExt, TryStreamExt};

use super::{Check, Suite, not_run};
use crate::conformance::Outcome;
use crate::{
    Call, CallId, CallPage, CallQuery, Filter, Operation, PageCursor, SortOrder, VoiceProviderExt,
};

/// How many pages a filter case reads looking for a match: a vendor filtering a page
/// after fetching it may serve empty pages before the one holding the call.
const FILTER_PAGES: usize = 5;

/// How many pages the case of filtering after the fetch reads in all on a live account.
const LIVE_FILTERING_PAGES: usize = 24;

impl Suite<'_> {
    /// The calls of the first page holding any for `query`; an empty page followed by
    /// more is read past, as a vendor filtering each page after fetching it may serve one.
    pub(super) async fn first_calls(
        &self,
        query: CallQuery,
    ) -> std::result::Result<Vec<Call>, String> {
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
    pub(super) async fn read_all(
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
    pub(super) async fn pages_within(
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
    /// lists so anyway ([`Capabilities::listing_order`](crate::Capabilities::listing_order)),
    /// must give it; any other must refuse it. (`list_calls filter sort` checks the other
    /// order.)
    pub(super) async fn newest_first(&self) -> Check {
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

    pub(super) async fn walk(&self) -> Check {
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
    pub(super) async fn page_sizes(&self) -> Check {
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
    pub(super) async fn filtering_after_the_fetch(&self) -> Check {
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
}

/// Whether `calls` come in `order` by creation time: not run with fewer than two dated.
pub(super) fn in_order(calls: &[Call], order: SortOrder) -> Check {
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

/// Whether every call that came twice in `pages` came again at the start of a page, as the
/// end of the page before: what an offset-paged list (`skip`, page numbers) does when calls
/// are placed during the walk (each pushes the rest one place on). Any other repeat is the
/// provider's.
pub(super) fn repeats_only_where_pages_meet(pages: &[CallPage]) -> bool {
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
