//! A list body (a bare JSON array of calls) → [`CallPage`], filtered client-side, with the
//! cursor to the next page; and the window a page is asked for.

use std::fmt;
use std::ops::ControlFlow;
use std::result::Result as StdResult;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use voiceport_core::adapter::{format_time, list_has_room, millisecond_of, up_to_millisecond};
use voiceport_core::http::decode_json;
use voiceport_core::{
    Call, CallPage, CallQuery, EachCall, Error, Operation, PageCursor, PageIds, ProviderKind,
    Result,
};

use super::call::decode_api_call;
use super::numbers::KnownNumbers;
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
#[serde(expecting = "a cursor object")]
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
            let expected = "mode `created_before`, or a `token` this adapter wrote";
            Err(cursor.foreign_to(flavor.kind(), flavor.name(), expected))
        };
        let caps = flavor.capabilities();
        let (before, seen) = match &query.cursor {
            None => (None, Vec::new()),
            Some(PageCursor::CreatedBefore { before }) => (Some(*before), Vec::new()),
            Some(cursor @ PageCursor::Token { token }) => {
                match serde_json::from_str::<Resume>(token) {
                    // Never more than a page's worth (`next_cursor` fails first): more
                    // is a token made by hand, each of whose ids every call of the page
                    // would be compared with.
                    Ok(resume) if resume.seen.len() < caps.max_page_size as usize => {
                        (Some(resume.before), resume.seen)
                    }
                    _ => return foreign(cursor),
                }
            }
            Some(other) => return foreign(other),
        };
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

/// Decodes one page of a listing made for `query`, handing each call to `each` as it is
/// decoded.
///
/// A page is full when it has as many calls as the `limit` sent (a shorter page is the
/// last, and so is a longer one: the vendor ignored `limit` and sent every call); the next
/// one is then the window of [`Window`]. Errors ([`Error::Decode`] naming
/// the place), rather than a silent end of the listing: a full page whose last call (the
/// oldest, the list being newest first) has no readable `createdAt` (there is no window
/// to continue from), and one millisecond holding more calls than the vendor's largest
/// page (no `limit` gets past them); both are known only once every call was read, so
/// they come after the calls were handed over; so does a full page not newest first (the
/// order the windows rely on, not documented by Vapi), naming its first call out of
/// order. A full page that does not take the window's end back (the vendor ignored
/// `createdAtLt`) is an [`Error::cursor_cycle`].
///
/// Every filter of `query` is applied here, client-side: of the unified filters, Vapi's
/// list takes only the time window and the assistant, and Voicebot Studio may ignore even
/// those (it documents no parameter).
/// The page's `vendor_ids` are those of every call the vendor sent, kept or not.
///
/// The assistant's number of a call that names it by id only is taken from `numbers`, before
/// the number filters judge the call (the client's; a codec has none).
pub(crate) fn decode_page_each(
    flavor: Flavor,
    body: &[u8],
    query: &CallQuery,
    numbers: Option<&KnownNumbers>,
    each: EachCall<'_>,
) -> Result<CallPage> {
    let (kind, op) = (flavor.kind(), Operation::ListCalls);
    let window = Window::of(flavor, query)?;
    // The time range on the creation time, as `createdAtGe`/`createdAtLt` ask, up to the
    // window's end; the other filters as `matches` judges them.
    let range = CallQuery {
        since: query.since,
        until: window.end,
        ..CallQuery::default()
    };
    let filter = CallQuery {
        since: None,
        until: None,
        ..query.clone()
    };
    let in_range =
        |call: &Call| range.in_time_range(call.created_at.or(call.started_at), call.ended_at);
    let mut edge = Edge::default();
    let mut vendor_ids = PageIds::default();
    let finished = for_each_call(kind, op, body, numbers, &mut |call| {
        edge.note(&call);
        vendor_ids.push(call.id.as_str());
        // A call the previous page returned already comes again: dropped by id.
        let again = window.seen.iter().any(|s| s == call.id.as_str());
        match !again && filter.matches(&call) && in_range(&call) {
            true => each(call),
            false => ControlFlow::Continue(()),
        }
    })?;
    let next = match finished {
        true => edge.next_cursor(flavor, &window, body)?,
        // Stopped early: the page's end, which the cursor depends on, was not read.
        false => None,
    };
    Ok(CallPage::new(Vec::new(), next, None).with_vendor_ids(vendor_ids))
}

/// What the next cursor needs to know of the calls of a page, gathered as they pass: how
/// many, whether the last has a creation time, and the oldest creation time's millisecond
/// with the ids of the calls created in it (in page order).
#[derive(Debug, Default)]
struct Edge {
    count: usize,
    last_has_time: bool,
    oldest: Option<DateTime<Utc>>,
    oldest_ids: Vec<String>,
    /// The creation time of the last call with one.
    previous: Option<DateTime<Utc>>,
    /// The index of the first call created after the call with a time before it: a list
    /// not newest first.
    rising: Option<usize>,
}

impl Edge {
    fn note(&mut self, call: &Call) {
        self.count += 1;
        self.last_has_time = call.created_at.is_some();
        let Some(at) = call.created_at else { return };
        // By millisecond, as the windows page: within one, the order is free (the calls
        // of the cut millisecond are told apart by id).
        let later = |previous| millisecond_of(at).0 > millisecond_of(previous).0;
        if self.rising.is_none() && self.previous.is_some_and(later) {
            self.rising = Some(self.count - 1);
        }
        self.previous = Some(at);
        let (start, _) = millisecond_of(at);
        let oldest_start = self.oldest.map(|oldest| millisecond_of(oldest).0);
        if oldest_start.is_none_or(|oldest| start < oldest) {
            self.oldest_ids.clear();
        }
        if oldest_start.is_none_or(|oldest| start <= oldest) {
            self.oldest = Some(self.oldest.map_or(at, |oldest| oldest.min(at)));
            let id = call.id.as_str();
            if !self.oldest_ids.iter().any(|seen| seen == id) {
                self.oldest_ids.push(id.to_owned());
            }
        }
    }

    /// The cursor after a page of these calls (see [`decode_page_each`]).
    fn next_cursor(
        self,
        flavor: Flavor,
        window: &Window,
        body: &[u8],
    ) -> Result<Option<PageCursor>> {
        let (kind, op) = (flavor.kind(), Operation::ListCalls);
        let last = self.count.saturating_sub(1);
        let fail = |message: String| {
            Err(Error::decode(
                kind,
                op,
                format!("[{last}].createdAt"),
                message,
                body,
            ))
        };
        // A shorter page is the last. A longer one comes of a vendor that ignored `limit`
        // (Voicebot Studio documents no parameter), which sent every call it would: the
        // last too, rather than a next window it would answer the same way.
        if self.count != window.limit as usize {
            return Ok(None);
        }
        if self.count > 0 && !self.last_has_time {
            return fail(
                "the last call of a full page has no readable `createdAt`: paging cannot continue past it".into(),
            );
        }
        // The next window starts below the oldest call of this one, which holds the newest
        // calls of its window only when the list is newest first (the order Vapi does not
        // document): in another, the calls between would be skipped without a word.
        if let Some(index) = self.rising {
            return Err(Error::decode(
                kind,
                op,
                format!("[{index}].createdAt"),
                "the list is not newest first (this call was created after the one before it): paging by creation time would skip calls",
                body,
            ));
        }
        let Some(oldest) = self.oldest else {
            return Ok(None);
        };
        let (start, end) = millisecond_of(oldest);
        let mut seen = match window.before == Some(end) {
            true => window.seen.clone(),
            false => Vec::new(),
        };
        for id in self.oldest_ids {
            if !seen.contains(&id) {
                seen.push(id);
            }
        }
        // The end sent as `createdAtLt`: a page within it moves the next end earlier, or
        // keeps it and sees more calls of its last millisecond. Anything else is a vendor
        // that ignored the bound (a new call a page, say), whose walk would go on for ever
        // without repeating a cursor (core's cycle check would never fire).
        if let Some(sent) = window.end.map(up_to_millisecond) {
            let sent_text = format_time(sent);
            let stalled = match end.cmp(&sent) {
                std::cmp::Ordering::Greater => Some(format!(
                    "its oldest call was created at {}, not before that",
                    format_time(oldest)
                )),
                std::cmp::Ordering::Equal if seen.iter().all(|id| window.seen.contains(id)) => {
                    Some("it holds only calls already returned".to_owned())
                }
                _ => None,
            };
            if let Some(why) = stalled {
                return Err(Error::cursor_cycle(
                    kind,
                    format!(
                        "the vendor ignored `createdAtLt`: asked for calls created before {sent_text}, it returned a full page, but {why}; the next page would not be earlier, so paging would never end"
                    ),
                ));
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
            .map_err(|e| Error::decode(kind, op, "cursor token", e.to_string(), body))?;
        Ok(Some(PageCursor::Token { token }))
    }
}

/// The calls of a list body (a bare JSON array), in one pass, each handed to `each` as
/// soon as its JSON text is delimited and decoded, while that text is still in the cache;
/// `false` when `each` stopped the walk.
///
/// The errors are those of delimiting the list first (`decode_json`, naming the place of
/// a body that is not a JSON list), then those of the first call that does not decode
/// (naming `[i].…`).
fn for_each_call(
    kind: ProviderKind,
    op: Operation,
    body: &[u8],
    numbers: Option<&KnownNumbers>,
    each: EachCall<'_>,
) -> Result<bool> {
    /// Decodes each item as it comes; the first call error is kept in `failed` (a serde
    /// error cannot carry it) and stops the walk.
    struct Calls<'f> {
        kind: ProviderKind,
        op: Operation,
        numbers: Option<&'f KnownNumbers>,
        each: EachCall<'f>,
        failed: &'f mut Option<Error>,
    }
    impl<'de> DeserializeSeed<'de> for Calls<'_> {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> StdResult<bool, D::Error> {
            deserializer.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Calls<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of calls")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> StdResult<bool, A::Error> {
            let mut index = 0;
            while let Some(raw) = items.next_element::<&'de RawValue>()? {
                // A normalized call takes fifty times the bytes of the smallest vendor call.
                list_has_room(index, "calls in one page")?;
                // The item is the call's vendor payload, and its warnings name paths in
                // it; a failing item is decoded again with its place in the list (`[3]`)
                // to say where it fails, a path not written for every item.
                let (kind, op, numbers) = (self.kind, self.op, self.numbers);
                let decoded = decode_api_call(kind, op, raw, "", numbers)
                    .or_else(|_| decode_api_call(kind, op, raw, &format!("[{index}]"), numbers));
                index += 1;
                match decoded {
                    Ok(call) => {
                        if (self.each)(call).is_break() {
                            // The rest is still read, so that the list is checked to its end.
                            while items.next_element::<de::IgnoredAny>()?.is_some() {}
                            return Ok(false);
                        }
                    }
                    Err(error) => {
                        *self.failed = Some(error);
                        return Err(de::Error::custom("a call does not decode"));
                    }
                }
            }
            Ok(true)
        }
    }
    let mut failed = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let finished = Calls {
        kind,
        op,
        numbers,
        each,
        failed: &mut failed,
    }
    .deserialize(&mut deserializer)
    .and_then(|finished| deserializer.end().map(|()| finished));
    match finished {
        Ok(finished) => Ok(finished),
        Err(error) => {
            // The error of a body that is not a JSON list comes first, naming its place;
            // its items are dropped as read (a `Vec` of nothing holds no memory).
            let _: Vec<de::IgnoredAny> = decode_json(kind, op, body)?;
            Err(failed.unwrap_or_else(|| Error::decode(kind, op, ".", error.to_string(), body)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use voiceport_core::{CallStatus as St, Codec, ProviderKind};

    fn page_body(times: &[Option<&str>]) -> Vec<u8> {
        let calls: Vec<Value> = times
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"id": format!("c{i}"), "createdAt": t, "type": "outboundPhoneCall",
                                 "status": "ended", "endedReason": if i % 2 == 0 { "customer-busy" } else { "voicemail" }}))
            .collect();
        serde_json::to_vec(&calls).unwrap()
    }

    /// A whole page, as the codec gathers it.
    fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
        crate::VoicebotCodec.decode_page(body, query)
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

    /// A vendor that ignores `limit` (Voicebot Studio documents no list parameter) sends
    /// every call at once: that page is the last, not the start of a walk that would ask
    /// again and fail as a cycle.
    #[test]
    fn a_page_longer_than_its_limit_is_the_last() {
        let times = [
            Some("2026-03-16T15:02:05.000Z"),
            Some("2026-03-16T15:02:04.000Z"),
            Some("2026-03-16T15:02:03.000Z"),
            Some("2026-03-16T15:02:02.000Z"),
            Some("2026-03-16T15:02:01.000Z"),
        ];
        let page = decode_page(&page_body(&times), &sized(3)).unwrap();
        assert_eq!(ids(&page), ["c0", "c1", "c2", "c3", "c4"]);
        assert_eq!(page.next, None);
        // As many as the limit: a full page, with a next window.
        let page = decode_page(&page_body(&times[..3]), &sized(3)).unwrap();
        assert!(page.next.is_some());
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
        // The walk compares the calls the vendor sent, the ones dropped too.
        assert_eq!(page.vendor_ids, Some(PageIds::of(["c0", "c1", "c2"])));

        // A `created_before` cursor bounds the window client-side too.
        let resumed = CallQuery {
            cursor: Some(PageCursor::CreatedBefore {
                before: at("2026-03-02T00:00:00Z"),
            }),
            ..Default::default()
        };
        assert_eq!(ids(&decode_page(&body, &resumed).unwrap()), ["c2"]);
    }

    /// The agent filter, applied again client-side, keeps a call run by a squad or a
    /// workflow when it names that squad or workflow: it is the call's agent.
    #[test]
    fn the_agent_filter_keeps_a_squad_s_and_a_workflow_s_calls() {
        let body = serde_json::to_vec(&json!([
            {"id": "c0", "createdAt": "2026-03-03T00:00:00Z", "assistantId": "as-1"},
            {"id": "c1", "createdAt": "2026-03-02T00:00:00Z", "squadId": "sq-1"},
            {"id": "c2", "createdAt": "2026-03-01T00:00:00Z", "workflowId": "wf-1",
             "workflow": {"name": "Triage"}}
        ]))
        .unwrap();
        for (agent, kept) in [("as-1", "c0"), ("sq-1", "c1"), ("wf-1", "c2")] {
            let query = CallQuery {
                agent_id: Some(voiceport_core::AgentId::new(agent)),
                ..Default::default()
            };
            assert_eq!(ids(&decode_page(&body, &query).unwrap()), [kept]);
        }
    }

    /// A full page in another order than newest first (which Vapi does not document) is
    /// an error naming the first call out of order, not a next window that would skip
    /// the calls between: each window is taken as holding its newest calls. A short page
    /// holds every call of its window, in whatever order.
    #[test]
    fn a_full_page_not_newest_first_is_an_error_not_a_skip() {
        let rising = [
            Some("2026-03-01T00:00:00Z"),
            Some("2026-03-02T00:00:00Z"),
            Some("2026-03-03T00:00:00Z"),
        ];
        let err = decode_page(&page_body(&rising), &sized(3)).unwrap_err();
        assert_eq!(err.json_path(), Some("[1].createdAt"), "{err}");
        assert!(err.to_string().contains("not newest first"), "{err}");
        let page = decode_page(&page_body(&rising), &sized(4)).unwrap();
        assert_eq!((page.calls.len(), page.next), (3, None));
        // Equal times, times within one millisecond, and calls without one, are no
        // disorder.
        let level = [
            Some("2026-03-02T00:00:00.000100Z"),
            None,
            Some("2026-03-02T00:00:00.000900Z"),
            Some("2026-03-01T00:00:00Z"),
        ];
        assert!(
            decode_page(&page_body(&level), &sized(4))
                .unwrap()
                .next
                .is_some()
        );
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
            // This adapter's shape, but seeing a page's worth of calls (1,000): one it
            // never writes.
            PageCursor::Token {
                token: json!({
                    "before": "2026-03-01T10:00:00.001Z",
                    "seen": (0..1000).map(|i| format!("call-{i}")).collect::<Vec<_>>(),
                })
                .to_string(),
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
        // The most calls seen a cursor of this adapter's holds, one fewer than a page: taken.
        let seen: Vec<String> = (0..999).map(|i| format!("call-{i}")).collect();
        let token = json!({"before": "2026-03-01T10:00:00.001Z", "seen": seen}).to_string();
        let query = CallQuery {
            cursor: Some(PageCursor::Token { token }),
            ..Default::default()
        };
        assert!(Window::of(Flavor::Vapi, &query).is_ok());
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
        // The warning names the field in the call, the item kept as its vendor payload.
        assert_eq!(page.calls[1].warnings.len(), 1);
        assert_eq!(page.calls[1].warnings[0].field, "createdAt");
        let payload = page.calls[1].vendor_payload().unwrap().to_value();
        assert_eq!(payload["createdAt"], "not a date");
    }

    /// A full page that does not take the window's end back (calls at or after the
    /// `createdAtLt` sent, or only calls already seen at its last millisecond) means the
    /// vendor ignored the bound: an error, not a walk that never ends.
    #[test]
    fn a_page_not_earlier_than_its_window_is_an_error() {
        let cycle = |body: &[u8], query: &CallQuery| {
            let err = decode_page(body, query).unwrap_err();
            assert!(err.is_cursor_cycle(), "{err:?}");
            assert!(err.to_string().contains("ignored `createdAtLt`"), "{err}");
            err.to_string()
        };
        let window = CallQuery {
            cursor: resume("2026-03-02T00:00:00.251Z", &["c1"]),
            ..sized(2)
        };
        // Newer than the end sent: the window would move forward.
        let newer = page_body(&[
            Some("2026-03-05T00:00:00Z"),
            Some("2026-03-04T00:00:00Z"),
            Some("2026-03-03T00:00:00Z"),
        ]);
        let text = cycle(&newer, &window);
        assert!(text.contains("before 2026-03-02T00:00:00.251Z"), "{text}");
        // The same millisecond, and only the call seen: the window would stay.
        let tie = "2026-03-02T00:00:00.250Z";
        let same = json!([{"id": "c0", "createdAt": "2026-03-05T00:00:00Z"},
                          {"id": "c1", "createdAt": tie}, {"id": "c1", "createdAt": tie}]);
        let text = cycle(&serde_json::to_vec(&same).unwrap(), &window);
        assert!(text.contains("already returned"), "{text}");
        // A query's `until` bounds the first page too.
        let until = CallQuery {
            until: Some(at("2026-03-01T00:00:00Z")),
            ..sized(3)
        };
        cycle(&newer, &until);
        // An `until` inside a millisecond is sent as that millisecond's end: a page whose
        // oldest call is in that millisecond is within the bound sent.
        let until = CallQuery {
            until: Some(at("2026-03-02T00:00:00.250500Z")),
            ..sized(2)
        };
        let body = page_body(&[Some("2026-03-02T00:00:00.250900Z"), Some(tie)]);
        let page = decode_page(&body, &until).unwrap();
        assert_eq!(ids(&page), ["c1"]);
        assert_eq!(page.next, resume("2026-03-02T00:00:00.251Z", &["c0", "c1"]));
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
    fn the_last_time_chrono_holds_pages_without_a_panic() {
        // chrono reads a signed long year; its last millisecond has no next one.
        let body = br#"[{"id": "a", "createdAt": "+262142-12-31T23:59:59.999"}]"#;
        let page = decode_page(body, &CallQuery::default()).unwrap();
        assert_eq!(page.calls.len(), 1);
        let last = DateTime::<Utc>::MAX_UTC;
        let (start, next) = millisecond_of(last);
        assert!(start <= last && next >= start);
    }

    /// Two calls in one millisecond of a year `duration_trunc` cannot take are still one
    /// millisecond: the next page does not return the first again.
    #[test]
    fn a_millisecond_far_from_now_is_still_one() {
        let (start, next) = millisecond_of("3000-01-01T00:00:00.250900Z".parse().unwrap());
        assert_eq!(
            start,
            "3000-01-01T00:00:00.250Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            next,
            "3000-01-01T00:00:00.251Z".parse::<DateTime<Utc>>().unwrap()
        );
        let body = br#"[{"id": "a", "createdAt": "3000-01-01T00:00:00.250900Z"},
                        {"id": "b", "createdAt": "3000-01-01T00:00:00.250100Z"}]"#;
        let first = CallQuery {
            page_size: Some(2),
            ..Default::default()
        };
        let page = decode_page(body, &first).unwrap();
        let second = CallQuery {
            cursor: page.next,
            ..first
        };
        let again = decode_page(body, &second).unwrap();
        assert!(again.calls.is_empty(), "{:?}", again.calls);
    }

    /// A page that fails reads the body once more, to name a JSON error (or a body that
    /// is no list) before a call's.
    #[test]
    fn a_failing_page_names_what_is_not_a_list_of_calls() {
        let err = decode_page(b"[0, 0, 0]", &CallQuery::default()).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "[0]"),
            "{err:?}"
        );
        let err = decode_page(br#"{"calls": []}"#, &CallQuery::default()).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { message, .. } if message.contains("expected a sequence")),
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
        let err = crate::VapiCodec
            .decode_page(b"{}", &CallQuery::default())
            .unwrap_err();
        assert_eq!(err.provider(), Some(ProviderKind::Vapi));
    }
}
