//! A `GET /v1/calls` body → a [`CallPage`] and the cursor to the next page.

use voiceport_core::adapter::{
    decode_list_item, hand_over_items, names_no_other, up_to_millisecond, within_entry_budget,
};
use voiceport_core::http::decode_json;
use voiceport_core::{Call, CallPage, CallQuery, EachCall, Operation, PageCursor, Result};

use crate::config::{KIND, Paging};
use crate::map::{call::map_call, envelope};
use crate::wire;

/// Decodes a list body, handing each call to `each` as it is decoded. The filters Rounded
/// cannot apply (`direction`, `statuses`, `search`) are applied here, client-side, and
/// those it applies are checked again where the call says otherwise; the
/// page's `vendor_ids` are those of every call Rounded sent, kept or not (a server that
/// ignores the page or cursor is caught repeating a page the filters empty).
///
/// The next cursor follows `mode`, the paging mode the request used; without one (a body
/// decoded offline), it follows the mode of `query.cursor`, and on a first page what the
/// response carries.
pub(crate) fn decode_page_each(
    body: &[u8],
    query: &CallQuery,
    mode: Option<Paging>,
    each: EachCall<'_>,
) -> Result<CallPage> {
    // The envelope and each call (decoded apart) in one budget of the body. Here, not in
    // the codec as the other adapters have it: the client decodes its pages through this
    // function, with its paging mode, rather than through the codec.
    within_entry_budget(body.len(), || decode_list_body(body, query, mode, each))
}

/// The page decoder itself: [`decode_page_each`]'s work, which it runs within the body's
/// entry budget.
fn decode_list_body(
    body: &[u8],
    query: &CallQuery,
    mode: Option<Paging>,
    each: EachCall<'_>,
) -> Result<CallPage> {
    let operation = Operation::ListCalls;
    // One pass reads the envelope and the paging fields next to it.
    let list: wire::ListBody<'_> = decode_json(KIND, operation, body)?;
    let (list, paging) = list.split();
    let items = envelope::required(operation, list, body)?;
    let filter = unapplied_filters(query);
    let vendor_ids = hand_over_items(
        &items,
        |i, raw| decode_list_item(KIND, operation, raw, "data", i, map_call),
        |call| filter.matches(call) && in_time_range(query, call) && names_no_other(query, call),
        each,
    )?;
    let (mode, requested_page) = match query.cursor {
        Some(PageCursor::Token { .. }) => (mode.or(Some(Paging::Cursor)), None),
        Some(PageCursor::Page { number }) => (mode.or(Some(Paging::Page)), Some(number.into())),
        _ => (mode, None),
    };
    let next = next_cursor(mode, &paging, items.is_empty(), requested_page);
    // Rounded counts the calls of its own filters: with one applied here, fewer match; so
    // with a time bound sent off its value, whose calls of that millisecond are dropped
    // here (as Retell's page withholds its total for its bounds): a `since`, sent one
    // millisecond early, and an `until` within a millisecond, rounded up.
    let rounded_up = query
        .until
        .is_some_and(|until| up_to_millisecond(until) != until);
    let filtered_here = filter != CallQuery::default() || query.since.is_some() || rounded_up;
    let total = paging.total_items.filter(|_| !filtered_here);
    Ok(CallPage::new(Vec::new(), next, total).with_vendor_ids(vendor_ids))
}

/// The filters of `query` Rounded cannot apply (`direction`, `statuses`, `search`), as a
/// query of their own: only they make its count no total of the matching calls.
fn unapplied_filters(query: &CallQuery) -> CallQuery {
    CallQuery {
        direction: query.direction,
        statuses: query.statuses.clone(),
        search: query.search.clone(),
        ..CallQuery::default()
    }
}

/// The time range, checked again on what Rounded returned for it, on the field Rounded
/// filtered on.
///
/// Rounded applies the range to `start_time` (sent as `start_time_gt` one millisecond
/// before `since`, see `map::request`); a call with a start time is held to
/// `since <= start < until` exactly. Its creation time (a `created_at` Rounded may send)
/// is not what the server filtered: a call created just before `since` that started after
/// it is in the range. A call without a start time (one that never connected) cannot be
/// placed in the range, and Rounded returned it for this query: it is kept, not silently
/// dropped. Only an end time before `since`, which proves it began before `since` too,
/// leaves it out.
fn in_time_range(query: &CallQuery, call: &Call) -> bool {
    query.in_time_range(call.started_at, call.ended_at)
}

fn next_cursor(
    mode: Option<Paging>,
    paging: &wire::ListPaging,
    empty_page: bool,
    requested_page: Option<u64>,
) -> Option<PageCursor> {
    let token = || {
        paging
            .next_cursor
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty() && !empty_page)
            .map(|t| PageCursor::Token {
                token: t.to_owned(),
            })
    };
    // An empty page ends the walk in either mode: a vendor claiming ever more pages while
    // sending no calls would otherwise be followed page by page, each a new cursor.
    let page = || {
        let current = paging.current_page.or(requested_page).unwrap_or(1);
        let total = paging.total_pages?;
        if empty_page || current >= total {
            return None;
        }
        let number = u32::try_from(current.checked_add(1)?).ok()?;
        Some(PageCursor::Page { number })
    };
    match mode {
        Some(Paging::Cursor) => token(),
        Some(Paging::Page) => page(),
        None => token().or_else(page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::Error;
    use voiceport_core::adapter::collect_page;

    /// A whole page, as the codec's `decode_page` gathers it.
    fn decode_page(body: &[u8], query: &CallQuery, mode: Option<Paging>) -> Result<CallPage> {
        collect_page(|each| decode_page_each(body, query, mode, each))
    }

    /// The decode error of `body` as a list: its path and message.
    fn list_error(body: serde_json::Value) -> (String, String) {
        let body = body.to_string();
        match decode_page(body.as_bytes(), &CallQuery::default(), None) {
            Err(Error::Decode { path, message, .. }) => (path, message),
            other => panic!("{other:?}"),
        }
    }

    /// The filters Rounded applies are checked again on what it returned, where the call
    /// says otherwise: one it applied loosely, or ignored, never widens the result.
    #[test]
    fn the_filters_rounded_applies_are_checked_again() {
        let body = json!({"data": [
            {"id": "a", "agent_id": "agent_1", "from_number": "+14155550100",
             "to_number": "+15125550173", "type": "phone_call"},
            {"id": "b", "agent_id": "agent_2", "from_number": "+14155550100",
             "to_number": "+15125550173", "type": "phone_call"},
            {"id": "c", "agent_id": "agent_1", "from_number": "+14155550199",
             "to_number": "+15125550173", "type": "phone_call"},
            {"id": "d", "agent_id": "agent_1", "from_number": "+14155550100",
             "to_number": "+15125550173", "type": "web_call"},
            {"id": "e", "from_number": "+1 415-555-0100", "to_number": "+15125550173"}
        ]})
        .to_string();
        let query = CallQuery {
            agent_id: Some(voiceport_core::AgentId::new("agent_1")),
            from_number: Some("+14155550100".into()),
            kind: Some(voiceport_core::CallKind::Phone),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query, Some(Paging::Cursor)).unwrap();
        let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
        // A call naming no agent, or its number written otherwise, is kept on Rounded's word.
        assert_eq!(ids, ["a", "e"]);
    }

    /// `total_items` counts Rounded's own filters only: with one applied here (direction,
    /// statuses, search, a time bound sent off its value) fewer calls match, and no total is
    /// said.
    #[test]
    fn the_total_is_said_only_when_rounded_applied_every_filter() {
        let body = json!({
            "data": [{"id": "a", "status": "completed"}, {"id": "b", "status": "failed"}],
            "current_page": 1, "total_pages": 7, "total_items": 13
        })
        .to_string();
        let total = |query: CallQuery| {
            decode_page(body.as_bytes(), &query, Some(Paging::Page))
                .unwrap()
                .total
        };
        assert_eq!(total(CallQuery::default()), Some(13));
        let agent = CallQuery {
            agent_id: Some(voiceport_core::AgentId::new("agent_1")),
            ..CallQuery::default()
        };
        assert_eq!(total(agent), Some(13), "a filter Rounded applies");
        let statuses = CallQuery {
            statuses: vec![voiceport_core::CallStatus::Completed],
            ..CallQuery::default()
        };
        assert_eq!(total(statuses), None);
        let search = CallQuery {
            search: Some("invoice".into()),
            ..CallQuery::default()
        };
        assert_eq!(total(search), None);
        // `since` goes out a millisecond early: that millisecond's calls are dropped here.
        let since = CallQuery {
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            ..CallQuery::default()
        };
        assert_eq!(total(since), None);
        let until = |at: &str| CallQuery {
            until: Some(at.parse().unwrap()),
            ..CallQuery::default()
        };
        assert_eq!(
            total(until("2026-03-01T00:00:00Z")),
            Some(13),
            "sent as it is"
        );
        assert_eq!(
            total(until("2026-03-01T00:00:00.000250Z")),
            None,
            "sent rounded up to the millisecond"
        );
    }

    #[test]
    fn the_envelope_and_the_paging_fields_are_read_in_one_pass() {
        // Page mode: the paging fields sit after the calls, next to the envelope's.
        let body = json!({
            "message": "Calls retrieved successfully",
            "data": [{"id": "a"}, {"id": "b"}],
            "error": null, "status": 200,
            "current_page": 2, "total_pages": 3, "total_items": 5
        })
        .to_string();
        let page = decode_page(body.as_bytes(), &CallQuery::default(), None).unwrap();
        assert_eq!(page.calls.len(), 2);
        assert_eq!(page.total, Some(5));
        assert_eq!(page.next, Some(PageCursor::Page { number: 3 }));
        // A paging field of the wrong type is still an error at its key.
        let (path, _) = list_error(json!({"data": [], "total_items": "five"}));
        assert_eq!(path, "total_items");
    }

    #[test]
    fn a_call_that_does_not_decode_names_its_place_in_the_list() {
        let (path, message) = list_error(json!({"data": [{"id": "a"}, {"status": "completed"}]}));
        assert_eq!(path, "data[1]");
        assert!(message.contains("missing field `id`"), "{message}");
        let (path, _) = list_error(json!({"data": [{"id": "a"}, {"id": "b", "start_time": 5}]}));
        assert_eq!(path, "data[1].start_time");
        let (path, _) = list_error(json!({"data": [
            {"id": "a", "transcript": [{"role": "user", "start_time": "2026-03-23T18:04:11Z"}]},
            {"id": "b", "transcript": [{"role": "user"}, {"role": ["not", "a role"]}]}
        ]}));
        assert_eq!(path, "data[1].transcript[1].role");
        // The raw call is kept whatever its shape.
        let body = json!({"data": [{"id": "a", "unknown": {"deep": [1, 2]}}]}).to_string();
        let page = decode_page(body.as_bytes(), &CallQuery::default(), None).unwrap();
        assert_eq!(
            page.calls[0].vendor_payload().map(|p| p.get()),
            Some(r#"{"id":"a","unknown":{"deep":[1,2]}}"#)
        );
    }

    #[test]
    fn time_range_is_rechecked_and_calls_without_a_time_are_kept() {
        let body = json!({
            "data": [
                {"id": "a", "status": "completed", "start_time": "2026-03-10T00:00:00Z"},
                {"id": "b", "status": "no_answer", "start_time": null},
                {"id": "c", "status": "completed", "start_time": "2026-02-10T00:00:00Z"},
                {"id": "d", "status": "completed", "start_time": "2026-03-01T00:00:00Z"},
                {"id": "e", "status": "completed", "start_time": "2026-02-28T23:59:59.9995Z"},
                {"id": "f", "status": "failed", "start_time": null, "end_time": "2026-02-27T08:00:00Z"},
                {"id": "g", "status": "failed", "start_time": null, "end_time": "2026-03-02T08:00:00Z"},
                {"id": "h", "status": "completed", "start_time": "2026-03-20T00:00:00Z"},
                {"id": "i", "status": "no_answer", "created_at": "2026-02-20T00:00:00Z"}
            ],
            "next_cursor": "2026-02-10T00:00:00Z"
        })
        .to_string();
        let query = CallQuery {
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-03-20T00:00:00Z".parse().unwrap()),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query, None).unwrap();
        let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
        // a: inside. b: no time at all, kept. c: before. d: exactly `since`, kept
        // (inclusive). e: inside the extra millisecond sent, left out. f: ended before
        // `since`. g: no start, ended inside, kept. h: exactly `until` (exclusive). i: no
        // start (what Rounded filtered on), kept: a creation time before `since` does not
        // place its start.
        assert_eq!(ids, ["a", "b", "d", "g", "i"]);
        // Paging is the server's: the cursor survives client-side filtering.
        assert!(page.next.is_some());
        let all = decode_page(body.as_bytes(), &CallQuery::default(), None).unwrap();
        assert_eq!(all.calls.len(), 9);
    }

    #[test]
    fn the_range_is_rechecked_on_the_start_time_rounded_filtered_on() {
        // Created just before `since`, started just after: Rounded returns it for
        // `start_time_gt`, and so does the page.
        let body = json!({"data": [
            {"id": "a", "status": "completed", "created_at": "2026-03-01T09:59:58Z",
             "start_time": "2026-03-01T10:00:03Z"},
            {"id": "b", "status": "completed", "created_at": "2026-03-01T10:00:01Z",
             "start_time": "2026-03-01T09:59:59Z"}
        ]})
        .to_string();
        let query = CallQuery {
            since: Some("2026-03-01T10:00:00Z".parse().unwrap()),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query, None).unwrap();
        let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
        // b started before `since` (created after it): out, as on the server.
        assert_eq!(ids, ["a"]);
    }

    #[test]
    fn next_cursor_rules() {
        let paging = wire::ListPaging {
            next_cursor: Some("2026-03-23T17:51:03Z".into()),
            current_page: Some(2),
            total_pages: Some(5),
            total_items: Some(13),
        };
        assert_eq!(
            next_cursor(Some(Paging::Cursor), &paging, false, None),
            Some(PageCursor::Token {
                token: "2026-03-23T17:51:03Z".into()
            })
        );
        assert_eq!(next_cursor(Some(Paging::Cursor), &paging, true, None), None);
        assert_eq!(
            next_cursor(Some(Paging::Page), &paging, false, None),
            Some(PageCursor::Page { number: 3 })
        );
        assert_eq!(next_cursor(Some(Paging::Page), &paging, true, None), None);
        assert_eq!(next_cursor(None, &paging, true, None), None);
        let last = wire::ListPaging {
            current_page: Some(5),
            ..paging.clone()
        };
        assert_eq!(next_cursor(Some(Paging::Page), &last, false, None), None);
        assert_eq!(
            next_cursor(None, &wire::ListPaging::default(), false, None),
            None
        );
    }
}
