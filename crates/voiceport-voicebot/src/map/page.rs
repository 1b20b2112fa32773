//! A list body (a bare JSON array of calls) → [`CallPage`], filtered client-side, with the
//! cursor to the next page; and the window a page is asked for.

use std::fmt;
use std::result::Result as StdResult;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use voiceport_core::http::decode_json;
use voiceport_core::{
    Call, CallPage, CallQuery, Error, Operation, PageCursor, ProviderKind, Result,
};

use super::call::decode_api_call;
use crate::config::Flavor;

/// The creation-time window one page is asked for, from the query and its cursor.
///
/// The list has no cursor: a page is the newest `limit` calls created before the window's
/// end. The next window ends just after the millisecond of the oldest call of a full page
/// (`createdAtLt` that millisecond + 1 ms), so that the calls of that millisecond the
/// `limit` cut off come too; the ones already returned (`seen`) come again, and are
/// dropped by id, the `limit` being raised by as many so that the page still holds as
/// many new calls. No call is lost at equal timestamps, and none comes twice.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Window {
    /// Where the cursor ends the window (exclusive).
    before: Option<DateTime<Utc>>,
    /// The window's end: the earlier of the cursor's and the query's `until`.
    pub(crate) end: Option<DateTime<Utc>>,
    /// The calls already returned that the window still holds.
    seen: Vec<String>,
    /// The `limit` sent: the page size, plus the calls seen (at most the vendor's maximum).
    pub(crate) limit: u32,
}

/// The cursor this adapter writes, as the text of a [`PageCursor::Token`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resume {
    /// The next window's end: the calls created before it.
    before: DateTime<Utc>,
    /// The ids of the calls already returned in the millisecond before `before`.
    seen: Vec<String>,
}

impl Window {
    /// The window of `query`. A cursor of another vendor is refused, before anything is
    /// sent: a `created_before` cursor is taken (no call seen), and a `token` only when
    /// this adapter wrote it.
    pub(crate) fn of(flavor: Flavor, query: &CallQuery) -> Result<Window> {
        let foreign = |cursor: &PageCursor| {
            Err(Error::invalid_input(
                flavor.kind(),
                Operation::ListCalls,
                format!(
                    "cursor {cursor} is not a {} cursor (expected mode `created_before`, or a `token` this adapter wrote)",
                    flavor.name()
                ),
            ))
        };
        let (before, seen) = match &query.cursor {
            None => (None, Vec::new()),
            Some(PageCursor::CreatedBefore { before }) => (Some(*before), Vec::new()),
            Some(cursor @ PageCursor::Token { token }) => {
                match serde_json::from_str::<Resume>(token) {
                    Ok(resume) => (Some(resume.before), resume.seen),
                    Err(_) => return foreign(cursor),
                }
            }
            Some(other) => return foreign(other),
        };
        let caps = flavor.capabilities();
        let wanted = caps.page_size(query) as usize + seen.len();
        let limit = wanted.min(caps.max_page_size as usize) as u32;
        let end = match (before, query.until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Window {
            before,
            end,
            seen,
            limit,
        })
    }
}

/// Decodes one page of a listing made for `query`.
///
/// A page is full when it has as many calls as the `limit` sent (a shorter page is the
/// last); the next one is then the window of [`Window`]. Errors ([`Error::Decode`] naming
/// the place), rather than a silent end of the listing: a full page whose last call (the
/// oldest, the list being newest first) has no readable `createdAt` (there is no window
/// to continue from), and one millisecond holding more calls than the vendor's largest
/// page (no `limit` gets past them).
///
/// Every filter of `query` is applied here, client-side: Vapi filters by time and
/// assistant only, and Voicebot Studio may ignore even those (it documents no parameter).
pub(crate) fn decode_page(flavor: Flavor, body: &[u8], query: &CallQuery) -> Result<CallPage> {
    let (kind, op) = (flavor.kind(), Operation::ListCalls);
    let window = Window::of(flavor, query)?;
    let mut calls = decode_calls(kind, op, body)?;
    let count = calls.len();
    let last = count.saturating_sub(1);
    let fail = |message: String| {
        Err(Error::decode(
            kind,
            op,
            format!("[{last}].createdAt"),
            message,
            body,
        ))
    };
    let full = count >= window.limit as usize;
    let oldest = calls.iter().filter_map(|c| c.created_at).min();
    let next = match oldest {
        _ if !full => None,
        _ if calls.last().is_some_and(|c| c.created_at.is_none()) => {
            return fail(
                "the last call of a full page has no readable `createdAt`: paging cannot continue past it".into(),
            );
        }
        None => None,
        Some(oldest) => {
            let (start, end) = millisecond_of(oldest);
            // Still the millisecond the window ends at: the calls seen there stay seen.
            let mut seen = match window.before == Some(end) {
                true => window.seen.clone(),
                false => Vec::new(),
            };
            for call in &calls {
                let id = call.id.as_str();
                if call.created_at.is_some_and(|t| t >= start && t < end)
                    && !seen.iter().any(|s| s == id)
                {
                    seen.push(id.to_owned());
                }
            }
            let max = flavor.capabilities().max_page_size as usize;
            if seen.len() >= max {
                return fail(format!(
                    "{} calls were created within the millisecond {start}: more than a page of {max} can hold, so paging cannot get past them",
                    seen.len()
                ));
            }
            let resume = Resume { before: end, seen };
            let token = serde_json::to_string(&resume)
                .map_err(|e| Error::decode(kind, op, "next cursor", e.to_string(), body))?;
            Some(PageCursor::Token { token })
        }
    };
    let mut filter = query.clone();
    filter.until = window.end;
    calls.retain(|call| {
        let again = window.seen.iter().any(|s| s == call.id.as_str());
        !again && filter.matches(call)
    });
    Ok(CallPage {
        calls,
        next,
        total: None,
    })
}

/// The calls of a list body (a bare JSON array), in one pass: each call is decoded as soon
/// as its JSON text is delimited, while that text is still in the cache, rather than
/// after the whole list has been delimited.
///
/// The errors are those of delimiting the list first (`decode_json`, naming the place of
/// a body that is not a JSON list), then those of the first call that does not decode
/// (naming `[i].…`).
fn decode_calls(kind: ProviderKind, op: Operation, body: &[u8]) -> Result<Vec<Call>> {
    /// Decodes each item as it comes; the first call error is kept in `failed` (a serde
    /// error cannot carry it) and stops the walk.
    struct Calls<'f> {
        kind: ProviderKind,
        op: Operation,
        failed: &'f mut Option<Error>,
    }
    impl<'de> DeserializeSeed<'de> for Calls<'_> {
        type Value = Vec<Call>;
        fn deserialize<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> StdResult<Vec<Call>, D::Error> {
            deserializer.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Calls<'_> {
        type Value = Vec<Call>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of calls")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> StdResult<Vec<Call>, A::Error> {
            let mut calls = Vec::new();
            while let Some(raw) = items.next_element::<&'de RawValue>()? {
                let at = format!("[{}]", calls.len());
                match decode_api_call(self.kind, self.op, raw, &at) {
                    Ok(call) => calls.push(call),
                    Err(error) => {
                        *self.failed = Some(error);
                        return Err(de::Error::custom("a call does not decode"));
                    }
                }
            }
            Ok(calls)
        }
    }
    let mut failed = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let calls = Calls {
        kind,
        op,
        failed: &mut failed,
    }
    .deserialize(&mut deserializer)
    .and_then(|calls| deserializer.end().map(|()| calls));
    match calls {
        Ok(calls) => Ok(calls),
        Err(error) => {
            // The error of a body that is not a JSON list comes first, naming its place.
            let _: Vec<&RawValue> = decode_json(kind, op, body)?;
            Err(failed.unwrap_or_else(|| Error::decode(kind, op, ".", error.to_string(), body)))
        }
    }
}

/// The millisecond `at` falls in: its start, and the start of the next one. Vapi's times
/// have milliseconds (JavaScript dates), and the window's end is sent with milliseconds.
fn millisecond_of(at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let millisecond = Duration::milliseconds(1);
    let start = at.duration_trunc(millisecond).unwrap_or(at);
    (start, start + millisecond)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use voiceport_core::{CallStatus as St, ProviderKind};

    fn page_body(times: &[Option<&str>]) -> Vec<u8> {
        let calls: Vec<Value> = times
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"id": format!("c{i}"), "createdAt": t, "type": "outboundPhoneCall",
                                 "status": "ended", "endedReason": if i % 2 == 0 { "customer-busy" } else { "voicemail" }}))
            .collect();
        serde_json::to_vec(&calls).unwrap()
    }

    fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
        super::decode_page(Flavor::Voicebot, body, query)
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    /// The cursor this adapter writes: the calls before `before`, less `seen`.
    fn resume(before: &str, seen: &[&str]) -> Option<PageCursor> {
        let token = json!({"before": at(before), "seen": seen}).to_string();
        Some(PageCursor::Token { token })
    }

    fn ids(page: &CallPage) -> Vec<&str> {
        page.calls.iter().map(|c| c.id.as_str()).collect()
    }

    fn sized(page_size: u32) -> CallQuery {
        CallQuery {
            page_size: Some(page_size),
            ..Default::default()
        }
    }

    fn after(page: &CallPage, page_size: u32) -> CallQuery {
        CallQuery {
            cursor: page.next.clone(),
            ..sized(page_size)
        }
    }

    #[test]
    fn page_cursor_and_client_side_filters() {
        let body = page_body(&[
            Some("2026-03-03T00:00:00Z"),
            Some("2026-03-02T00:00:00Z"),
            Some("2026-03-01T00:00:00Z"),
        ]);
        // A full page: the next ends just after its oldest millisecond, whose call it has
        // seen.
        let page = decode_page(&body, &sized(3)).unwrap();
        assert_eq!(ids(&page), ["c0", "c1", "c2"]);
        assert_eq!(page.next, resume("2026-03-01T00:00:00.001Z", &["c2"]));
        assert!(page.calls.iter().all(|c| c.vendor_payload().is_some()));
        assert_eq!(page.calls[0].provider, ProviderKind::Voicebot);

        // A short page is the last.
        let page = decode_page(&body, &sized(4)).unwrap();
        assert_eq!((page.calls.len(), page.next), (3, None));

        // Filters apply to the calls; the cursor still follows the vendor's page.
        let busy = CallQuery {
            statuses: vec![St::Busy],
            ..sized(3)
        };
        let page = decode_page(&body, &busy).unwrap();
        assert_eq!(ids(&page), ["c0", "c2"]);
        assert!(page.next.is_some());

        // A `created_before` cursor bounds the window client-side too.
        let resumed = CallQuery {
            cursor: Some(PageCursor::CreatedBefore {
                before: at("2026-03-02T00:00:00Z"),
            }),
            ..Default::default()
        };
        assert_eq!(ids(&decode_page(&body, &resumed).unwrap()), ["c2"]);
    }

    /// Vapi's list has no cursor: the calls of the oldest millisecond of a full page come
    /// again with the next one, where those already returned are dropped by id.
    #[test]
    fn equal_timestamps_at_the_cut_are_neither_lost_nor_repeated() {
        let (tie, end) = ("2026-03-02T00:00:00.250Z", "2026-03-02T00:00:00.251Z");
        // Three of four calls share a millisecond; a page of 3 cuts them.
        let first = page_body(&[Some("2026-03-03T00:00:00.000Z"), Some(tie), Some(tie)]);
        let page = decode_page(&first, &sized(3)).unwrap();
        assert_eq!(ids(&page), ["c0", "c1", "c2"]);
        assert_eq!(page.next, resume(end, &["c1", "c2"]));
        // The next window holds the two seen: its `limit` has room for them.
        let next = after(&page, 3);
        assert_eq!(Window::of(Flavor::Voicebot, &next).unwrap().limit, 5);
        // The vendor's answer (`createdAtLt=…251Z`, `limit=5`): the seen two, the third of
        // their millisecond, and older ones; a short page, the last.
        let second = json!([
            {"id": "c1", "createdAt": tie}, {"id": "c2", "createdAt": tie},
            {"id": "c3", "createdAt": tie}, {"id": "c4", "createdAt": "2026-03-01T00:00:00Z"}
        ]);
        let page = decode_page(&serde_json::to_vec(&second).unwrap(), &next).unwrap();
        assert_eq!(ids(&page), ["c3", "c4"]);
        assert_eq!(page.next, None);

        // A page of one call at a time walks a millisecond shared by two.
        let one = |body: Value, query: &CallQuery| {
            decode_page(&serde_json::to_vec(&body).unwrap(), query).unwrap()
        };
        let page = one(json!([{"id": "a", "createdAt": tie}]), &sized(1));
        assert_eq!(
            (ids(&page), page.next.clone()),
            (vec!["a"], resume(end, &["a"]))
        );
        let page = one(
            json!([{"id": "a", "createdAt": tie}, {"id": "b", "createdAt": tie}]),
            &after(&page, 1),
        );
        // Still that millisecond: both seen now.
        assert_eq!(
            (ids(&page), page.next.clone()),
            (vec!["b"], resume(end, &["a", "b"]))
        );
        let page = one(
            json!([{"id": "a", "createdAt": tie}, {"id": "b", "createdAt": tie}]),
            &after(&page, 1),
        );
        assert_eq!((page.calls.len(), page.next), (0, None));

        // Sub-millisecond times are grouped by their millisecond.
        let fine = page_body(&[
            Some("2026-03-03T00:00:00.000Z"),
            Some("2026-03-02T00:00:00.250900Z"),
            Some("2026-03-02T00:00:00.250100Z"),
        ]);
        let page = decode_page(&fine, &sized(3)).unwrap();
        assert_eq!(page.next, resume(end, &["c1", "c2"]));
    }

    #[test]
    fn cursors_of_other_vendors_are_refused() {
        for cursor in [
            PageCursor::Offset { skip: 5 },
            PageCursor::Page { number: 2 },
            // Rounded's token: a timestamp, not this adapter's.
            PageCursor::Token {
                token: "2026-03-01T10:00:00Z".into(),
            },
        ] {
            let query = CallQuery {
                cursor: Some(cursor),
                ..Default::default()
            };
            let err = Window::of(Flavor::Vapi, &query).unwrap_err();
            assert!(
                matches!(
                    &err,
                    Error::InvalidRequest {
                        status: None,
                        provider: ProviderKind::Vapi,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(err.to_string().contains("not a Vapi cursor"), "{err}");
        }
    }

    #[test]
    fn undated_calls_and_full_pages() {
        // A full page whose last call is undated (or unreadable) cannot be continued: an
        // error naming it, not a silent end of the walk.
        for last in [None, Some("2026-02-30T00:00:00Z")] {
            let undated = page_body(&[Some("2026-03-03T00:00:00Z"), last]);
            let err = decode_page(&undated, &sized(2)).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { path, operation: Operation::ListCalls, .. }
                    if path == "[1].createdAt"),
                "{err:?}"
            );
        }
        // An undated call before the last one does not stop the walk; a short page is the
        // end whatever its dates; an unreadable date is a warning on the call.
        let middle = page_body(&[None, Some("2026-03-02T00:00:00Z")]);
        let page = decode_page(&middle, &sized(2)).unwrap();
        assert_eq!(ids(&page), ["c0", "c1"]);
        assert_eq!(page.next, resume("2026-03-02T00:00:00.001Z", &["c1"]));
        let short = page_body(&[Some("2026-03-03T00:00:00Z"), Some("not a date")]);
        let page = decode_page(&short, &CallQuery::default()).unwrap();
        assert_eq!(page.next, None);
        assert_eq!(page.calls[1].warnings.len(), 1);
        assert_eq!(page.calls[1].warnings[0].field, "[1].createdAt");
    }

    #[test]
    fn a_millisecond_larger_than_any_page_is_an_error() {
        let tie = "2026-03-02T00:00:00.250Z";
        let calls: Vec<Value> = (0..1000)
            .map(|i| json!({"id": format!("c{i}"), "createdAt": tie}))
            .collect();
        let err = decode_page(&serde_json::to_vec(&calls).unwrap(), &sized(1000)).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { message, .. } if message.contains("1000 calls")),
            "{err:?}"
        );
    }

    #[test]
    fn each_call_needs_an_id_and_keeps_its_own_conversation() {
        let err = decode_page(
            br#"[{"id": "a"}, {"type": "webCall"}]"#,
            &CallQuery::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, message, .. }
                if path == "[1].id" && message == "missing field `id`"),
            "{err:?}"
        );
        // Calls of 3, 1 and 0 messages: each gets its own (the list they are gathered in
        // is reused from one call to the next).
        let message = |text: &str| json!({"role": "user", "message": text});
        let body = json!([
            {"id": "a", "messages": [message("1"), message("2"), message("3")]},
            {"id": "b", "messages": [message("4")]},
            {"id": "c", "messages": []}
        ]);
        let page = decode_page(&serde_json::to_vec(&body).unwrap(), &CallQuery::default()).unwrap();
        let texts: Vec<Vec<&str>> = (page.calls.iter())
            .map(|call| {
                let utterances = call.transcript.as_ref().map(|t| t.utterances.as_slice());
                (utterances.unwrap_or_default().iter())
                    .filter_map(|u| u.text.as_deref())
                    .collect()
            })
            .collect();
        assert_eq!(texts, [vec!["1", "2", "3"], vec!["4"], vec![]]);
    }

    #[test]
    fn a_conversation_copy_is_decoded_only_when_read_and_its_errors_name_it() {
        let broken = json!([{"role": "user", "time": "noon"}]);
        // `messages` is read: the broken copy next to it is not.
        let body = json!([{"id": "a", "messages": [{"role": "user", "message": "Hi"}],
                           "artifact": {"messages": broken}, "messagesOpenAIFormatted": 5}]);
        let page = decode_page(&serde_json::to_vec(&body).unwrap(), &CallQuery::default()).unwrap();
        let utterances = &page.calls[0].transcript.as_ref().unwrap().utterances;
        assert_eq!(utterances[0].text.as_deref(), Some("Hi"));
        // `messages` is empty: the copy is read, and its error names it.
        let body =
            json!([{"id": "a"}, {"id": "b", "messages": [], "artifact": {"messages": broken}}]);
        let err =
            decode_page(&serde_json::to_vec(&body).unwrap(), &CallQuery::default()).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "[1].artifact.messages[0].time"),
            "{err:?}"
        );
        // A JSON error anywhere in the body comes before a call's error.
        let err = decode_page(br#"[{"id": 5}, {"id": "b"}"#, &CallQuery::default()).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path != "[0].id"),
            "{err:?}"
        );
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
        // Errors name the flavor's kind.
        let err = super::decode_page(Flavor::Vapi, b"{}", &CallQuery::default()).unwrap_err();
        assert_eq!(err.provider(), Some(ProviderKind::Vapi));
    }
}
