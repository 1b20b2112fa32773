//! A `POST /v3/list-calls` body → a [`CallPage`] and the cursor to the next page.

use serde_json::value::RawValue;
use voiceport_core::adapter::{hand_over_items, try_decode_list_item};
use voiceport_core::http::decode_json;
use voiceport_core::{
    Call, CallKind, CallPage, CallQuery, EachCall, Error, Operation, PageCursor, Result,
};

use crate::config::KIND;
use crate::map::call::map_call;
use crate::wire;

/// Decodes a list body (`{items, has_more, pagination_key, total?}`).
///
/// Every filter of `query` is applied again on the calls received: the search, which
/// Retell cannot apply, the statuses, which it can only narrow (`map::request`), and the
/// rest as a check on what the request asked
/// (the time range as [`in_time_range`] says). Paging is Retell's: the next cursor is
/// `pagination_key` while `has_more` is true, however many calls the filters kept, and
/// the page Retell sent has items: an empty page is the last, whatever `has_more` says.
/// The page's `vendor_ids` are those of every item Retell sent, kept or not (a server that
/// ignores `pagination_key` is caught repeating a page the filters empty).
///
/// List items carry no transcript (Retell leaves it out of list responses): fetch each
/// call with `get_call` for it. Each call is handed to `each` as it is decoded.
pub(crate) fn decode_page_each(
    body: &[u8],
    query: &CallQuery,
    each: EachCall<'_>,
) -> Result<CallPage> {
    let operation = Operation::ListCalls;
    let page: wire::ListPage<'_> = decode_json(KIND, operation, body)?;
    let filter = CallQuery {
        since: None,
        until: None,
        cursor: None,
        sort: None,
        page_size: None,
        ..query.clone()
    };
    // An opaque cursor, sent back as it came (never trimmed); a blank one is none.
    let key = page.pagination_key.as_deref();
    let key = key.filter(|k| !k.trim().is_empty());
    // `has_more` is always sent; without it, a key means more. Either way an empty page
    // ends the walk: `has_more` with no items and an ever-new key would page forever (the
    // page walk only catches a key it has seen before), as Rounded's walk does.
    let more = page.has_more.unwrap_or(key.is_some()) && !page.items.is_empty();
    let next = match (more, key) {
        (false, _) => None,
        (true, Some(key)) => Some(PageCursor::Token {
            token: key.to_owned(),
        }),
        (true, None) => {
            let message = "`has_more` is true but there is no `pagination_key` to continue from";
            return Err(Error::decode(
                KIND,
                operation,
                "pagination_key",
                message,
                body,
            ));
        }
    };
    // The cursor is read first, so that a page it makes unusable fails before any call
    // is handed over.
    let vendor_ids = hand_over_items(
        &page.items,
        |i, raw| list_item(operation, raw, i),
        |call| filter.matches(call) && in_time_range(query, call),
        each,
    )?;
    let total = page.total.filter(|_| !filtered_here(query));
    Ok(CallPage::new(Vec::new(), next, total).with_vendor_ids(vendor_ids))
}

/// The call at `items[index]`: core's `try_decode_list_item`, the mapping failing for a
/// transcript copy that does not decode (at its path under the item's, written only then).
fn list_item(operation: Operation, raw: &RawValue, index: usize) -> Result<Call> {
    try_decode_list_item(
        KIND,
        operation,
        raw,
        "items",
        index,
        |wire: wire::Call<'_>| map_call(wire, operation, || format!("items[{index}]")),
    )
}

/// Whether Retell's `total` for `query` counts calls this page drops, and so is no count
/// of the matching calls: the statuses (at most narrowed by Retell), the search and a call
/// type Retell's filter does not list (not sent: `map::request`) are applied here, and a
/// time
/// range with both ends is sent with bounds that may let a millisecond more through at
/// either end (see `map::request`).
fn filtered_here(query: &CallQuery) -> bool {
    let both_ends = query.since.is_some() && query.until.is_some();
    let unsent_kind = matches!(query.kind, Some(CallKind::Other(_)));
    !query.statuses.is_empty() || query.search.is_some() || unsent_kind || both_ends
}

/// The time range, checked again on what Retell returned for it.
///
/// Retell filters `start_timestamp` (a range's bounds may let through a millisecond on
/// either side, see `map::request`); a call with a start time is held to `since <= start < until` exactly.
/// A call with none (one that never connected) cannot be placed in the range, and Retell
/// returned it: it is kept, unless its end time proves it began before `since`.
fn in_time_range(query: &CallQuery, call: &Call) -> bool {
    query.in_time_range(call.started_at, call.ended_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::{CallStatus, Codec, Direction};

    /// A whole page, as the codec gathers it.
    fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
        crate::RetellCodec.decode_page(body, query)
    }

    fn page(value: serde_json::Value, query: &CallQuery) -> Result<CallPage> {
        decode_page(value.to_string().as_bytes(), query)
    }

    #[test]
    fn the_cursor_follows_has_more() {
        let body = |has_more: Option<bool>, key: Option<&str>| {
            let mut value = json!({"items": [{"call_id": "a", "call_status": "ended"}]});
            if let Some(has_more) = has_more {
                value["has_more"] = json!(has_more);
            }
            if let Some(key) = key {
                value["pagination_key"] = json!(key);
            }
            page(value, &CallQuery::default())
        };
        let token = |t: &str| Some(PageCursor::Token { token: t.into() });
        assert_eq!(body(Some(true), Some("k2")).unwrap().next, token("k2"));
        // Opaque: sent back verbatim, spaces included.
        assert_eq!(
            body(Some(true), Some(" k2 \n")).unwrap().next,
            token(" k2 \n")
        );
        assert_eq!(body(Some(false), Some("k2")).unwrap().next, None);
        assert_eq!(body(None, Some("k2")).unwrap().next, token("k2"));
        assert_eq!(body(None, None).unwrap().next, None);
        assert!(matches!(
            body(Some(true), None),
            Err(Error::Decode { ref path, .. }) if path == "pagination_key"
        ));
        assert!(matches!(
            body(Some(true), Some(" ")),
            Err(Error::Decode { ref path, .. }) if path == "pagination_key"
        ));
        let empty = page(
            json!({"items": [], "has_more": false}),
            &CallQuery::default(),
        );
        assert_eq!(empty.unwrap().calls.len(), 0);
        // An empty page ends the walk even with `has_more` and a fresh key (which the page
        // walk's cycle check would never catch); not one that is empty after filtering.
        let empty = page(
            json!({"items": [], "has_more": true, "pagination_key": "k9"}),
            &CallQuery::default(),
        );
        assert_eq!(empty.unwrap().next, None);
        let filtered = page(
            json!({"items": [{"call_id": "a", "direction": "inbound"}],
                   "has_more": true, "pagination_key": "k9"}),
            &CallQuery {
                direction: Some(Direction::Outbound),
                ..CallQuery::default()
            },
        )
        .unwrap();
        assert!(filtered.calls.is_empty());
        assert_eq!(filtered.next, token("k9"));
        let total = page(json!({"items": [], "total": 7}), &CallQuery::default());
        assert_eq!(total.unwrap().total, Some(7));
    }

    /// A `total` is kept only where Retell's count is of the calls the query matches.
    #[test]
    fn the_total_is_dropped_where_filters_apply_here() {
        let now = chrono::Utc::now();
        let total = |query: CallQuery| page(json!({"items": [], "total": 7}), &query).unwrap();
        let kept = [
            CallQuery {
                direction: Some(Direction::Inbound),
                since: Some(now),
                ..CallQuery::default()
            },
            CallQuery {
                until: Some(now),
                ..CallQuery::default()
            },
        ];
        for query in kept {
            assert_eq!(total(query.clone()).total, Some(7), "{query:?}");
        }
        let dropped = [
            CallQuery {
                statuses: vec![CallStatus::Completed],
                ..CallQuery::default()
            },
            CallQuery {
                search: Some("refund".into()),
                ..CallQuery::default()
            },
            CallQuery {
                kind: Some(CallKind::Other("sip_call".into())),
                ..CallQuery::default()
            },
            CallQuery {
                since: Some(now - chrono::TimeDelta::hours(1)),
                until: Some(now),
                ..CallQuery::default()
            },
        ];
        for query in dropped {
            assert_eq!(total(query.clone()).total, None, "{query:?}");
        }
    }

    #[test]
    fn filters_are_applied_again_and_paging_survives_them() {
        let body = json!({
            "items": [
                {"call_id": "a", "call_status": "ended", "direction": "outbound",
                 "disconnection_reason": "dial_busy"},
                {"call_id": "b", "call_status": "ended", "direction": "inbound",
                 "disconnection_reason": "user_hangup"},
                {"call_id": "c", "call_status": "not_connected", "direction": "outbound",
                 "disconnection_reason": "dial_no_answer"}
            ],
            "has_more": true,
            "pagination_key": "k"
        });
        let query = CallQuery {
            direction: Some(Direction::Outbound),
            statuses: vec![CallStatus::Busy, CallStatus::Completed],
            ..CallQuery::default()
        };
        let got = page(body, &query).unwrap();
        let ids: Vec<&str> = got.calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a"]);
        assert!(got.next.is_some());
    }

    #[test]
    fn the_time_range_is_rechecked_and_calls_without_a_start_are_kept() {
        let ms = |t: &str| {
            t.parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
                .timestamp_millis()
        };
        let body = json!({
            "items": [
                {"call_id": "a", "start_timestamp": ms("2026-03-10T00:00:00Z")},
                {"call_id": "b", "call_status": "not_connected"},
                {"call_id": "c", "start_timestamp": ms("2026-02-10T00:00:00Z")},
                {"call_id": "d", "start_timestamp": ms("2026-03-01T00:00:00Z")},
                {"call_id": "e", "start_timestamp": ms("2026-02-28T23:59:59.999Z")},
                {"call_id": "f", "end_timestamp": ms("2026-02-27T08:00:00Z")},
                {"call_id": "g", "end_timestamp": ms("2026-03-02T08:00:00Z")},
                {"call_id": "h", "start_timestamp": ms("2026-03-20T00:00:00Z")}
            ],
            "has_more": false
        });
        let query = CallQuery {
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-03-20T00:00:00Z".parse().unwrap()),
            ..CallQuery::default()
        };
        let got = page(body.clone(), &query).unwrap();
        let ids: Vec<&str> = got.calls.iter().map(|c| c.id.as_str()).collect();
        // a inside; b no time, kept; c before; d exactly `since` (inclusive); e in the extra
        // millisecond sent; f ended before `since`; g no start, ended inside; h exactly
        // `until` (exclusive).
        assert_eq!(ids, ["a", "b", "d", "g"]);
        assert_eq!(page(body, &CallQuery::default()).unwrap().calls.len(), 8);
    }

    #[test]
    fn a_broken_item_names_its_path() {
        let err = page(
            json!({"items": [{"call_id": "a"}, {"call_id": "b", "duration_ms": "long"}]}),
            &CallQuery::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "items[1].duration_ms"),
            "{err:?}"
        );
        let err = page(json!({"calls": []}), &CallQuery::default()).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    }
}
