//! The filter cases: a value for each filter read off the listed calls, and the verdict
//! on each call a filtered listing returns.

use std::collections::HashSet;
use std::fmt::Debug;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Check, Suite, not_run};
use crate::conformance::Outcome;
use crate::{
    Call, CallId, CallKind, CallQuery, CallStatus, Capabilities, Direction, Filter, Operation,
    SortOrder,
};

use super::paging::in_order;

impl Suite<'_> {
    /// The time the vendor's time range filters on: a call that never started is out of a
    /// range applied to the start.
    pub(super) fn filtered_time(&self, call: &Call) -> Option<DateTime<Utc>> {
        match self.caps.time_range_on_start {
            true => call.started_at,
            false => call.created_at,
        }
    }

    /// A time range holding a listed call and leaving out its listed neighbours on both
    /// sides, its ends half-way between them (a minute or more from each, so that a vendor
    /// reading whole seconds draws the same line); `None` where no three listed calls are
    /// so spaced.
    pub(super) fn time_window(&self) -> Option<CallQuery> {
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
    pub(super) fn filter_query(&self, filter: Filter) -> Option<(CallQuery, bool)> {
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

    pub(super) async fn filter(&self, filter: Filter) -> Check {
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
    pub(super) async fn filtered_on_the_declared_time(
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
}

/// A query with `filter` alone, on a made-up value: what a provider that cannot filter so
/// must refuse whatever the value.
pub(super) fn any_value_query(filter: Filter) -> Option<CallQuery> {
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

/// How a call the vendor returned for a query on one filter stands against it.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::conformance) enum Verdict {
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
pub(super) fn as_sent(number: &str) -> bool {
    crate::adapter::dial_number(number) == number
}

pub(in crate::conformance) fn verdict(
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

/// Whether `returned`, what a listing filtered by `query` gave, holds every call of
/// `everything` (the whole account) that surely matches: a provider sending only part of
/// a filter (the first of two statuses) returns nothing wrong, only too little. A call
/// lacking the field filtered on may go either way; a search must return every call that
/// voiceport's reading matches (a seeded account searches so; that it returns no other is
/// checked by the filter case itself); a time range takes a call only when it has the
/// time the vendor filters on ([`Capabilities::time_range_on_start`]) and every time it
/// has is in the range.
pub(super) fn every_match_returned(
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
pub(super) fn number_described(number: &str) -> String {
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
