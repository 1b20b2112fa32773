//! The body of `GET /calls` → one page of calls and the cursor to the next.

use voiceport_core::adapter::{decode_list_item, hand_over_items, names_no_other};
use voiceport_core::http::decode_json;
use voiceport_core::{
    Call, CallPage, CallQuery, CallStatus, EachCall, Operation, PageCursor, Result,
};

use super::call::map_call;
use crate::config::{CAPABILITIES, KIND};
use crate::wire;

/// Decodes the body of `GET /calls` (`{calls, count, limit, offset}` as one docs example
/// has it, unconfirmed, or the older `{calls, count, currentPage}`) for `query`.
///
/// The filters HappyRobot cannot apply (kind, numbers) are applied here; so are the
/// server-side ones, where the normalized meaning is stricter (every tag, not any; the
/// time range as [`in_time_range`] says). `search` is left to the vendor; the campaign
/// and the agent (sent as `use_cases`) too, but for a call naming another
/// ([`names_no_other`]). The next cursor skips every call the vendor returned, filtered
/// out or not, and the page's `vendor_ids` are theirs (a server that ignores `skip` is
/// caught repeating a page the filters empty); `total` is the vendor's `count`. Each call
/// is handed to `each` as it is decoded.
pub(crate) fn decode_page_each(
    body: &[u8],
    query: &CallQuery,
    each: EachCall<'_>,
) -> Result<CallPage> {
    let op = Operation::ListCalls;
    let list: wire::CallList<'_> = decode_json(KIND, op, body)?;
    let skip = match &query.cursor {
        Some(PageCursor::Offset { skip }) => *skip,
        _ => 0,
    };
    // The codec may be handed a query the guard never saw: fall back to the default size.
    let limit = u64::from(CAPABILITIES.page_size(query));
    let returned = list.calls.len() as u64;
    // The agent and the campaign are checked again leniently (`names_no_other`): the list
    // filters' parameter names (these two, and every other but `type`, `limit` and `skip`)
    // come from a third-party client, not HappyRobot's docs, so were one ignored, every
    // call would come back; a call naming none is kept on the server's word.
    let filter = CallQuery {
        search: None,
        agent_id: None,
        campaign_id: None,
        since: None,
        until: None,
        ..query.clone()
    };
    let vendor_ids = hand_over_items(
        &list.calls,
        |i, raw| decode_list_item(KIND, op, raw, "calls", i, map_call),
        |call| filter.matches(call) && in_time_range(query, call) && names_no_other(query, call),
        each,
    )?;
    let seen = skip.saturating_add(returned);
    let more = returned > 0
        && match list.count {
            Some(count) => seen < count,
            None => returned >= limit,
        };
    let next = more.then_some(PageCursor::Offset { skip: seen });
    let total = list.count.filter(|_| !filtered_here(query));
    Ok(CallPage::new(Vec::new(), next, total).with_vendor_ids(vendor_ids))
}

/// Whether `query` holds a filter HappyRobot does not apply (kind, the numbers, the
/// `unknown` status) or applies more loosely (any of several tags, not every one; a time
/// range sent to the millisecond, `from` a millisecond early and `to` rounded up, to
/// bounds it does not document): its `count` then counts calls dropped here, and is no total of the matching
/// calls.
fn filtered_here(query: &CallQuery) -> bool {
    query.since.is_some()
        || query.until.is_some()
        || query.kind.is_some()
        || query.from_number.is_some()
        || query.to_number.is_some()
        || query.statuses.contains(&CallStatus::Unknown)
        || query.tags.len() > 1
}

/// The time range, checked again on what HappyRobot returned for it (`from`/`to`, whose
/// bounds it does not document): a call with a creation time (else a start) is held to
/// `since <= created < until` exactly; one with neither is kept, unless its end proves it
/// began before `since`.
fn in_time_range(query: &CallQuery, call: &Call) -> bool {
    query.in_time_range(call.created_at.or(call.started_at), call.ended_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::{CallKind, Codec, Error, PageIds};

    /// A whole page, as the codec gathers it.
    fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
        crate::HappyRobotCodec.decode_page(body, query)
    }

    /// `count` counts HappyRobot's own filters only: with a filter it does not apply, or
    /// applies more loosely than asked, no total is said.
    #[test]
    fn the_total_is_said_only_when_happyrobot_applied_every_filter() {
        let body = br#"{"calls": [{"id": "a"}, {"id": "b"}], "count": 13}"#;
        let total = |query: CallQuery| decode_page(body, &query).unwrap().total;
        assert_eq!(total(CallQuery::default()), Some(13));
        let server_side = CallQuery {
            statuses: vec![CallStatus::Completed],
            tags: vec!["vip".into()],
            search: Some("invoice".into()),
            ..CallQuery::default()
        };
        assert_eq!(total(server_side), Some(13));
        let client_side = [
            CallQuery {
                kind: Some(CallKind::Phone),
                ..CallQuery::default()
            },
            CallQuery {
                to_number: Some("+16305550152".into()),
                ..CallQuery::default()
            },
            CallQuery {
                statuses: vec![CallStatus::Completed, CallStatus::Unknown],
                ..CallQuery::default()
            },
            CallQuery {
                tags: vec!["vip".into(), "reefer".into()],
                ..CallQuery::default()
            },
            // Sent to the millisecond, to bounds not documented.
            CallQuery {
                until: Some("2026-03-01T00:00:00.000250Z".parse().unwrap()),
                ..CallQuery::default()
            },
            CallQuery {
                since: Some("2026-03-01T00:00:00.000250Z".parse().unwrap()),
                ..CallQuery::default()
            },
        ];
        for query in client_side {
            assert_eq!(total(query.clone()), None, "{query:?}");
        }
    }

    #[test]
    fn a_call_that_does_not_decode_names_its_place_in_the_list() {
        let error = |body: serde_json::Value| {
            let body = body.to_string();
            match decode_page(body.as_bytes(), &CallQuery::default()) {
                Err(Error::Decode { path, message, .. }) => (path, message),
                other => panic!("{other:?}"),
            }
        };
        let (path, message) = error(json!({"calls": [{"id": "a"}, {"status": "Completed"}]}));
        assert_eq!(path, "calls[1]");
        assert!(message.contains("missing field `id`"), "{message}");
        let (path, _) = error(json!({"calls": [{"id": "a"}, {"id": "b", "duration": "long"}]}));
        assert_eq!(path, "calls[1].duration");
        let (path, _) = error(json!({"calls": [{"id": "a", "use_case": {"id": 7}}]}));
        assert_eq!(path, "calls[0].use_case.id");
        // What is not read may be of any shape; the call keeps it, byte for byte.
        let body =
            br#"{"calls": [{"id": "a", "use_case": {"hooks": 5}, "viewed_by": {}}], "count": 1}"#;
        let page = decode_page(body, &CallQuery::default()).unwrap();
        assert_eq!(
            page.calls[0].vendor_payload().map(|p| p.get()),
            Some(r#"{"id": "a", "use_case": {"hooks": 5}, "viewed_by": {}}"#)
        );
    }

    /// A server that ignored `use_cases` or `campaigns` (their names are inferred) returns
    /// other agents' and campaigns' calls: those are dropped; a call naming none is kept.
    #[test]
    fn calls_naming_another_agent_or_campaign_are_dropped() {
        let body = json!({"calls": [
            {"id": "a", "use_case": {"id": "uc1"}, "campaign_id": "cmp1"},
            {"id": "b", "use_case": {"id": "uc2"}, "campaign_id": "cmp1"},
            {"id": "c"},
            {"id": "d", "use_case": {"id": "uc1"}, "campaign_id": "cmp2"},
        ], "count": 4})
        .to_string();
        let ids = |query: CallQuery| -> Vec<String> {
            let page = decode_page(body.as_bytes(), &query).unwrap();
            page.calls
                .iter()
                .map(|c| c.id.as_str().to_owned())
                .collect()
        };
        let agent = CallQuery {
            agent_id: Some(voiceport_core::AgentId::new("uc1")),
            ..CallQuery::default()
        };
        assert_eq!(ids(agent.clone()), ["a", "c", "d"]);
        let campaign = CallQuery {
            campaign_id: Some(voiceport_core::CampaignId::new("cmp1")),
            ..CallQuery::default()
        };
        assert_eq!(ids(campaign.clone()), ["a", "b", "c"]);
        let both = CallQuery {
            campaign_id: campaign.campaign_id,
            ..agent
        };
        assert_eq!(ids(both), ["a", "c"]);
        assert_eq!(ids(CallQuery::default()), ["a", "b", "c", "d"]);
    }

    #[test]
    fn paging_uses_count_or_a_full_page() {
        let body = json!({"calls": [{"id": "a"}, {"id": "b"}], "count": 5}).to_string();
        let query = CallQuery {
            page_size: Some(2),
            cursor: Some(PageCursor::Offset { skip: 2 }),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query).unwrap();
        assert_eq!(page.next, Some(PageCursor::Offset { skip: 4 }));
        assert_eq!(page.total, Some(5));
        let last = json!({"calls": [{"id": "a"}], "count": 5}).to_string();
        let q = CallQuery {
            cursor: Some(PageCursor::Offset { skip: 4 }),
            ..query.clone()
        };
        assert_eq!(decode_page(last.as_bytes(), &q).unwrap().next, None);
        // No count: a full page means there may be more.
        let full = json!({"calls": [{"id": "a"}, {"id": "b"}]}).to_string();
        let page = decode_page(full.as_bytes(), &query).unwrap();
        assert_eq!(page.next, Some(PageCursor::Offset { skip: 4 }));
        assert_eq!(page.total, None);
        let short = json!({"calls": [{"id": "a"}]}).to_string();
        assert_eq!(decode_page(short.as_bytes(), &query).unwrap().next, None);
        // An empty page never points further, whatever the count says.
        let empty = json!({"calls": [], "count": 100}).to_string();
        assert_eq!(decode_page(empty.as_bytes(), &query).unwrap().next, None);
    }

    #[test]
    fn client_side_filters_apply_but_the_cursor_counts_every_vendor_call() {
        let body = json!({"calls": [
            {"id": "a", "provider": "Web", "metadata": {"from": "+1"}},
            {"id": "b", "provider": "Twilio", "metadata": {"from": "+2"}}
        ], "count": 10})
        .to_string();
        let query = CallQuery {
            kind: Some(CallKind::Phone),
            search: Some("nothing-local-matches".into()),
            // HappyRobot filters use cases itself: a call of another one is not dropped.
            agent_id: Some("no-such-use-case".into()),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query).unwrap();
        let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b"]);
        assert_eq!(page.next, Some(PageCursor::Offset { skip: 2 }));
        // The walk compares the calls the vendor sent, the ones dropped too.
        assert_eq!(page.vendor_ids, Some(PageIds::of(["a", "b"])));
    }

    #[test]
    fn what_the_vendor_filtered_is_not_dropped_for_a_field_it_left_out() {
        // Both calls came back for the campaign and the time range: one names no campaign,
        // one has no creation time (it never started).
        let body = json!({"calls": [
            {"id": "a", "created": "2026-03-02T10:00:00Z"},
            {"id": "b", "campaign_id": "c-1"},
            {"id": "c", "created": "2026-02-27T10:00:00Z"}
        ], "count": 3})
        .to_string();
        let query = CallQuery {
            campaign_id: Some("c-1".into()),
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query).unwrap();
        let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
        // `c` was created before `since`: the range is held exactly.
        assert_eq!(ids, ["a", "b"]);
    }
}
