//! A `GET /calls` body (a bare JSON array of calls) → [`CallPage`], filtered client-side,
//! with the cursor to the next page.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use voiceport_core::adapter::decode_call_with;
use voiceport_core::http::decode_json;
use voiceport_core::{CallPage, CallQuery, Error, Operation, PageCursor, Result};

use super::call::{map_call_at, require_id};
use crate::config::{CAPABILITIES, KIND};

/// Decodes one page of a listing made for `query`.
///
/// Every filter of `query` is applied here, client-side (Voicebot Studio documents no list
/// parameters; the Vapi ones sent may be ignored). The next cursor is `CreatedBefore` the
/// oldest `createdAt` of the page when the page is full (as many calls as the `limit`
/// sent), else `None`. A full page whose last call (the oldest, the list being newest
/// first) has no readable `createdAt` is an [`Error::Decode`](voiceport_core::Error)
/// naming it: there is no window to continue from, and ending the walk there would drop
/// the calls after it without a word.
pub(crate) fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
    let op = Operation::ListCalls;
    let items: Vec<&RawValue> = decode_json(KIND, op, body)?;
    // The same `limit` `list_params` sent (the guard has set it; a codec query may not).
    let full = items.len() >= CAPABILITIES.page_size(query) as usize;
    let mut window = query.clone();
    window.until = window_end(query);
    let mut oldest: Option<DateTime<Utc>> = None;
    let mut last_dated = true;
    let mut calls = Vec::with_capacity(items.len());
    for (i, raw) in items.iter().enumerate() {
        let at = format!("[{i}]");
        require_id(op, raw, &at)?;
        let call = decode_call_with(KIND, op, raw, &at, |wire| map_call_at(wire, &at))?;
        if let Some(created) = call.created_at {
            oldest = Some(oldest.map_or(created, |o| o.min(created)));
        }
        last_dated = call.created_at.is_some();
        if window.matches(&call) {
            calls.push(call);
        }
    }
    if full && !last_dated {
        let last = items.len().saturating_sub(1);
        return Err(Error::decode(
            KIND,
            op,
            format!("[{last}].createdAt"),
            "the last call of a full page has no readable `createdAt`: paging cannot continue past it",
            body,
        ));
    }
    let next = oldest
        .filter(|_| full)
        .map(|before| PageCursor::CreatedBefore { before });
    Ok(CallPage {
        calls,
        next,
        total: None,
    })
}

/// The upper bound of the creation-time window: the earlier of the cursor and `until`.
pub(crate) fn window_end(query: &CallQuery) -> Option<DateTime<Utc>> {
    let cursor = match &query.cursor {
        Some(PageCursor::CreatedBefore { before }) => Some(*before),
        _ => None,
    };
    match (cursor, query.until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use voiceport_core::CallStatus as St;

    fn page_body(times: &[Option<&str>]) -> Vec<u8> {
        let calls: Vec<Value> = times
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"id": format!("c{i}"), "createdAt": t, "type": "outboundPhoneCall",
                                 "status": "ended", "endedReason": if i % 2 == 0 { "customer-busy" } else { "voicemail" }}))
            .collect();
        serde_json::to_vec(&calls).unwrap()
    }

    #[test]
    fn page_cursor_and_client_side_filters() {
        let body = page_body(&[
            Some("2026-03-03T00:00:00Z"),
            Some("2026-03-02T00:00:00Z"),
            Some("2026-03-01T00:00:00Z"),
        ]);
        let full = CallQuery {
            page_size: Some(3),
            ..Default::default()
        };
        let page = decode_page(&body, &full).unwrap();
        assert_eq!(page.calls.len(), 3);
        assert_eq!(
            page.next,
            Some(PageCursor::CreatedBefore {
                before: "2026-03-01T00:00:00Z".parse().unwrap()
            })
        );
        assert!(page.calls.iter().all(|c| c.vendor_payload().is_some()));

        let short = CallQuery {
            page_size: Some(4),
            ..Default::default()
        };
        assert_eq!(decode_page(&body, &short).unwrap().next, None);

        // Filters apply to the calls; the cursor still follows the vendor's page.
        let busy = CallQuery {
            page_size: Some(3),
            statuses: vec![St::Busy],
            ..Default::default()
        };
        let page = decode_page(&body, &busy).unwrap();
        assert_eq!(page.calls.len(), 2);
        assert!(page.next.is_some());

        // The cursor bounds the window client-side too.
        let resumed = CallQuery {
            cursor: Some(PageCursor::CreatedBefore {
                before: "2026-03-02T00:00:00Z".parse().unwrap(),
            }),
            ..Default::default()
        };
        assert_eq!(decode_page(&body, &resumed).unwrap().calls.len(), 1);

        // A full page whose last call is undated (or unreadable) cannot be continued: an
        // error naming it, not a silent end of the walk.
        let q = CallQuery {
            page_size: Some(2),
            ..Default::default()
        };
        for last in [None, Some("2026-02-30T00:00:00Z")] {
            let undated = page_body(&[Some("2026-03-03T00:00:00Z"), last]);
            let err = decode_page(&undated, &q).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { path, operation: Operation::ListCalls, .. }
                    if path == "[1].createdAt"),
                "{err:?}"
            );
        }
        // An undated call before the last one does not stop the walk; a short page is the
        // end whatever its dates; an unreadable date is a warning on the call.
        let middle = page_body(&[None, Some("2026-03-02T00:00:00Z")]);
        let page = decode_page(&middle, &q).unwrap();
        assert_eq!(
            page.next,
            Some(PageCursor::CreatedBefore {
                before: "2026-03-02T00:00:00Z".parse().unwrap()
            })
        );
        let short = page_body(&[Some("2026-03-03T00:00:00Z"), Some("not a date")]);
        let page = decode_page(&short, &CallQuery::default()).unwrap();
        assert_eq!(page.next, None);
        assert_eq!(page.calls[1].warnings.len(), 1);
        assert_eq!(page.calls[1].warnings[0].field, "[1].createdAt");
    }

    #[test]
    fn decode_errors_name_the_path() {
        let err = decode_page(
            br#"[{"id":"a"},{"id":"b","cost":"x"}]"#,
            &CallQuery::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "[1].cost"),
            "{err:?}"
        );
        let err = decode_page(br#"{"results":[]}"#, &CallQuery::default()).unwrap_err();
        assert!(matches!(&err, Error::Decode { .. }), "{err:?}");
    }
}
