//! A `GET /calls` body (a bare JSON array of calls) → [`CallPage`], filtered client-side,
//! with the cursor to the next page.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use voiceport_core::adapter::decode_call_with;
use voiceport_core::http::decode_json;
use voiceport_core::{CallPage, CallQuery, Operation, PageCursor, Result};

use super::call::map_call;
use crate::config::{CAPABILITIES, KIND};

/// Decodes one page of a listing made for `query`.
///
/// Every filter of `query` is applied here, client-side (Voicebot Studio documents no list
/// parameters; the Vapi ones sent may be ignored). The next cursor is `CreatedBefore` the
/// oldest `createdAt` of the page when the page is full (as many calls as the `limit`
/// sent), else `None`; a full page with a call whose `createdAt` is missing or unreadable
/// ends the walk (no safe window to continue from).
pub(crate) fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
    let op = Operation::ListCalls;
    let items: Vec<&RawValue> = decode_json(KIND, op, body)?;
    // The same `limit` `list_params` sent (the guard has set it; a codec query may not).
    let full = items.len() >= CAPABILITIES.page_size(query) as usize;
    let mut window = query.clone();
    window.until = window_end(query);
    let mut oldest: Option<DateTime<Utc>> = None;
    let mut all_dated = true;
    let mut calls = Vec::with_capacity(items.len());
    for (i, raw) in items.iter().enumerate() {
        let call = decode_call_with(KIND, op, raw, &format!("[{i}]"), map_call)?;
        match call.created_at {
            Some(created) => oldest = Some(oldest.map_or(created, |o| o.min(created))),
            None => all_dated = false,
        }
        if window.matches(&call) {
            calls.push(call);
        }
    }
    if full && !all_dated {
        tracing::warn!(
            "voicebot list_calls: a full page without readable createdAt on every call; paging stops here"
        );
    }
    let next = oldest
        .filter(|_| full && all_dated)
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
    use voiceport_core::{CallStatus as St, Error};

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

        // A full page with an undated call ends the walk.
        let undated = page_body(&[Some("2026-03-03T00:00:00Z"), None]);
        let q = CallQuery {
            page_size: Some(2),
            ..Default::default()
        };
        assert_eq!(decode_page(&undated, &q).unwrap().next, None);
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
