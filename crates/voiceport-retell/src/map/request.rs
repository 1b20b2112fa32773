//! voiceport requests → Retell's list request, create-phone-call body and update body.
//!
//! The capability guard has already checked what every vendor shares (filters, ids, the
//! page size, a destination, the update flags); what is left is what only Retell refuses.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use voiceport_core::adapter::{
    check_extra_keys, check_unsupported, dial_number, required_setting, up_to_millisecond,
    value_text,
};
use voiceport_core::{
    CallKind, CallQuery, CallUpdate, DialRequest, Error, Operation, PageCursor, Result, SortOrder,
};

use crate::config::{CAPABILITIES, KIND, RetellOptions};
use crate::map::status::call_statuses_for;
use crate::wire::{self, AgentFilter, Filter, FilterCriteria};

/// The body of `POST /v3/list-calls` for `query`; `None` when no Retell call can match
/// (chats: Retell's calls are phone and web calls; statuses no Retell call reads as), and
/// nothing need be asked.
///
/// Server-side: the agent, call type, direction, numbers, time range (on
/// `start_timestamp`), sort order, page size and cursor, and the `call_status` the asked
/// statuses come of where it can be told ([`call_statuses_for`]). The statuses and the
/// search are `map::page`'s, which also checks every other filter again on the calls
/// received.
pub(crate) fn list_params(query: &CallQuery) -> Result<Option<wire::ListRequest>> {
    let call_type = match &query.kind {
        None => None,
        Some(CallKind::Phone) => Some("phone_call"),
        Some(CallKind::Web) => Some("web_call"),
        Some(CallKind::Chat) => return Ok(None),
        // A type outside the filter's two (a call read with a newer type has it): not
        // sent, as Retell may refuse a value its filter does not list; the calls received
        // are checked for it (`map::page`).
        Some(_) => None,
    };
    // The live calls (or those stopped before connecting) asked for as such: Retell
    // filters on `call_status`, where the rest would walk every call to find a few.
    let call_status = call_statuses_for(&query.statuses);
    if call_status.as_ref().is_some_and(Vec::is_empty) {
        return Ok(None);
    }
    let pagination_key = match &query.cursor {
        None => None,
        Some(PageCursor::Token { token }) => Some(token.clone()),
        Some(other) => return Err(other.foreign_to(KIND, "Retell", "a pagination token")),
    };
    let one_of = |values: &[&str]| Filter {
        kind: "enum",
        op: "in",
        value: json!(values),
    };
    let equal = |value: &String| Filter {
        kind: "string",
        op: "eq",
        value: Value::String(value.clone()),
    };
    let filter_criteria = FilterCriteria {
        agent: query.agent_id.as_ref().map(|agent| {
            vec![AgentFilter {
                agent_id: agent.as_str().to_owned(),
            }]
        }),
        call_type: call_type.map(|t| one_of(&[t])),
        call_status: call_status.as_deref().map(one_of),
        direction: query.direction.map(|d| one_of(&[d.as_str()])),
        from_number: query.from_number.as_ref().map(equal),
        to_number: query.to_number.as_ref().map(equal),
        start_timestamp: time_filter(query.since, query.until),
    };
    Ok(Some(wire::ListRequest {
        filter_criteria,
        // Retell's words are the order's own.
        sort_order: query.sort.map(SortOrder::as_str),
        limit: CAPABILITIES.page_size(query),
        pagination_key,
    }))
}

/// The `start_timestamp` filter (epoch milliseconds) for `since <= start < until`.
///
/// One side alone is exact: `ge` the first millisecond at or after `since`, `lt` the first
/// at or after `until`. Both make a `range` (`bt`), whose bounds Retell does not say are
/// inclusive or not: its lower bound is sent one millisecond before `since`, so that either
/// reading returns every call from `since` on. The upper bound is `until` itself: an
/// exclusive reading is exact, an inclusive one adds `until`'s millisecond. `map::page`
/// drops the calls of the extra milliseconds.
fn time_filter(since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Option<Filter> {
    let number = |op, value: i64| Filter {
        kind: "number",
        op,
        value: json!(value),
    };
    match (since.map(ceil_millis), until.map(ceil_millis)) {
        (None, None) => None,
        (Some(since), None) => Some(number("ge", since)),
        (None, Some(until)) => Some(number("lt", until)),
        (Some(since), Some(until)) => Some(Filter {
            kind: "range",
            op: "bt",
            value: json!([since.saturating_sub(1), until]),
        }),
    }
}

/// The first whole millisecond at or after `at`.
fn ceil_millis(at: DateTime<Utc>) -> i64 {
    up_to_millisecond(at).timestamp_millis()
}

/// The body of `POST /v2/create-phone-call` for `request`.
///
/// `from_number` comes from the request, else from the options, and is required (Retell has
/// no phone-number id). The agent (`override_agent_id`) comes from the request, else the
/// options; without one Retell uses the agent bound to the number. Variables become
/// `retell_llm_dynamic_variables`, which are strings: a number or a boolean is sent as its
/// JSON text, a `null` is refused. Fields Retell's endpoint cannot take are refused as
/// `Unsupported`, never dropped; `extra` is merged into the body (`custom_sip_headers`,
/// `agent_override` …) unless a key collides with a field voiceport sets.
pub(crate) fn dial_body(
    request: &DialRequest,
    options: &RetellOptions,
) -> Result<wire::CreatePhoneCall> {
    let op = Operation::Dial;
    let agent_setting = "it is a setting of the agent (pass an `agent_override` in `extra`)";
    let unsupported = [
        (
            request.phone_number_id.is_some(),
            "phone_number_id",
            "Retell takes the caller id as a number; set `from_number`",
        ),
        (
            request.max_duration_secs.is_some(),
            "max_duration_secs",
            agent_setting,
        ),
        (request.language.is_some(), "language", agent_setting),
        (request.name.is_some(), "name", "Retell calls have no name"),
        (
            request.campaign_id.is_some(),
            "campaign_id",
            "Retell calls have no campaign",
        ),
    ];
    let endpoint = "Retell's create-phone-call endpoint";
    check_unsupported(KIND, endpoint, &unsupported)?;
    let from_number = required_setting(
        KIND,
        op,
        "from_number",
        request.from_number.as_deref(),
        options.from_number.as_deref(),
    )?;
    // Written as E.164 when it is a phone number so written, as the number called is.
    let from_number = dial_number(from_number).into_owned();
    let agent = request.agent_id.as_ref().map(|a| a.as_str().to_owned());
    let override_agent_id = agent.or(options.agent_id.clone());
    let mut variables = std::collections::BTreeMap::new();
    for (name, value) in &request.variables {
        let Some(text) = value_text(value) else {
            return Err(Error::invalid_input(
                KIND,
                op,
                format!("variable `{name}` is null: Retell's dynamic variables are strings"),
            ));
        };
        variables.insert(name.clone(), text);
    }
    let ours = [
        "from_number",
        "to_number",
        "override_agent_id",
        "metadata",
        "retell_llm_dynamic_variables",
    ];
    check_extra_keys(KIND, op, &request.extra, &ours)?;
    Ok(wire::CreatePhoneCall {
        from_number,
        // E.164 where it was written otherwise (`+1 (415) 555-0187`).
        to_number: dial_number(&request.to).into_owned(),
        override_agent_id,
        metadata: (!request.metadata.is_empty()).then(|| request.metadata.clone()),
        retell_llm_dynamic_variables: (!variables.is_empty()).then_some(variables),
        extra: request.extra.clone().into_iter().collect(),
    })
}

/// The body of `PATCH /v2/update-call/{call_id}`: `{metadata}`, which replaces the stored
/// metadata (the guard lets only a replace through; see `config::CAPABILITIES`).
pub(crate) fn update_body(update: &CallUpdate) -> wire::UpdateCall {
    wire::UpdateCall {
        metadata: update.metadata.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use voiceport_core::testing::http::{assert_refused_locally, assert_unsupported_field};
    use voiceport_core::{AgentId, CallStatus, Direction, MetadataMode};

    fn body(query: &CallQuery) -> Value {
        serde_json::to_value(list_params(query).unwrap().unwrap()).unwrap()
    }

    #[test]
    fn an_empty_query_sends_the_page_size_only() {
        assert_eq!(body(&CallQuery::default()), json!({"limit": 50}));
        let big = CallQuery {
            page_size: Some(5000),
            ..CallQuery::default()
        };
        assert_eq!(body(&big), json!({"limit": 1000}));
    }

    #[test]
    fn every_server_side_filter() {
        let query = CallQuery {
            kind: Some(CallKind::Web),
            direction: Some(Direction::Inbound),
            agent_id: Some(AgentId::new("agent_1")),
            from_number: Some("+14155550142".into()),
            to_number: Some("+16175550187".into()),
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-03-02T00:00:00.0005Z".parse().unwrap()),
            sort: Some(SortOrder::Ascending),
            page_size: Some(20),
            cursor: Some(PageCursor::Token { token: "k".into() }),
            // Client-side only: not in the body.
            statuses: vec![CallStatus::Busy],
            search: Some("x".into()),
            ..CallQuery::default()
        };
        assert_eq!(
            body(&query),
            json!({
                "filter_criteria": {
                    "agent": [{"agent_id": "agent_1"}],
                    "call_type": {"type": "enum", "op": "in", "value": ["web_call"]},
                    "direction": {"type": "enum", "op": "in", "value": ["inbound"]},
                    "from_number": {"type": "string", "op": "eq", "value": "+14155550142"},
                    "to_number": {"type": "string", "op": "eq", "value": "+16175550187"},
                    // 2026-03-01T00:00:00Z is 1772323200000 ms: the lower bound one
                    // millisecond before it; `until`'s half millisecond rounds up.
                    "start_timestamp": {"type": "range", "op": "bt",
                                        "value": [1772323199999_i64, 1772409600001_i64]}
                },
                "sort_order": "ascending",
                "limit": 20,
                "pagination_key": "k"
            })
        );
    }

    #[test]
    fn live_calls_are_asked_for_by_status() {
        let with = |statuses: Vec<CallStatus>| CallQuery {
            statuses,
            ..CallQuery::default()
        };
        let live = body(&with(vec![CallStatus::InProgress]));
        assert_eq!(
            live["filter_criteria"],
            json!({"call_status": {"type": "enum", "op": "in", "value": ["ongoing"]}})
        );
        let stopped = body(&with(vec![CallStatus::Canceled, CallStatus::InProgress]));
        let asked = &stopped["filter_criteria"]["call_status"]["value"];
        assert_eq!(asked, &json!(["not_connected", "ongoing"]));
        // Statuses that come of several: this side's alone.
        let ended = body(&with(vec![CallStatus::InProgress, CallStatus::Completed]));
        assert_eq!(ended, json!({"limit": 50}));
        // No Retell call is scheduled: nothing is asked.
        assert!(matches!(
            list_params(&with(vec![CallStatus::Scheduled])),
            Ok(None)
        ));
    }

    #[test]
    fn one_sided_time_ranges_are_exact() {
        let since = CallQuery {
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            ..CallQuery::default()
        };
        assert_eq!(
            body(&since)["filter_criteria"]["start_timestamp"],
            json!({"type": "number", "op": "ge", "value": 1772323200000_i64})
        );
        let until = CallQuery {
            until: Some("2026-03-01T00:00:00.25Z".parse().unwrap()),
            sort: Some(SortOrder::Descending),
            ..CallQuery::default()
        };
        let sent = body(&until);
        assert_eq!(
            sent["filter_criteria"]["start_timestamp"],
            json!({"type": "number", "op": "lt", "value": 1772323200250_i64})
        );
        assert_eq!(sent["sort_order"], "descending");
    }

    #[test]
    fn chats_ask_nothing_and_foreign_cursors_are_refused() {
        // No Retell call is a chat: nothing to ask.
        let chat = CallQuery {
            kind: Some(CallKind::Chat),
            ..CallQuery::default()
        };
        assert!(matches!(list_params(&chat), Ok(None)));
        // A type outside Retell's filter (`web_call`, `phone_call`) is not asked for: the
        // page's calls are checked for it.
        let sip = CallQuery {
            kind: Some(CallKind::Other("sip_call".into())),
            ..CallQuery::default()
        };
        assert_eq!(body(&sip)["filter_criteria"].get("call_type"), None);
        let foreign = CallQuery {
            cursor: Some(PageCursor::Offset { skip: 5 }),
            ..CallQuery::default()
        };
        assert!(matches!(
            list_params(&foreign),
            Err(Error::InvalidRequest { status: None, .. })
        ));
    }

    #[test]
    fn dial_body_shapes() {
        let options = RetellOptions {
            from_number: Some("+14155550142".into()),
            agent_id: Some("agent_default".into()),
        };
        let mut request = DialRequest::to("+16175550187");
        request.variables.insert("first_name".into(), json!("Ada"));
        request.variables.insert("visits".into(), json!(3));
        request.variables.insert("vip".into(), json!(true));
        request.metadata.insert("crm_id".into(), json!("A-17"));
        request
            .extra
            .insert("custom_sip_headers".into(), json!({"X-Campaign": "spring"}));
        let sent = serde_json::to_value(dial_body(&request, &options).unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({
                "from_number": "+14155550142",
                "to_number": "+16175550187",
                "override_agent_id": "agent_default",
                "metadata": {"crm_id": "A-17"},
                "retell_llm_dynamic_variables": {"first_name": "Ada", "visits": "3", "vip": "true"},
                "custom_sip_headers": {"X-Campaign": "spring"}
            })
        );
        // The request wins over the options; nothing optional is sent empty; a number
        // written with spaces and dashes goes as E.164, as the number called does.
        let request = DialRequest {
            from_number: Some("+1 212-555-0123".into()),
            agent_id: Some(AgentId::new("agent_2")),
            ..DialRequest::to("+16175550187")
        };
        let sent = serde_json::to_value(dial_body(&request, &options).unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({"from_number": "+12125550123", "to_number": "+16175550187",
                   "override_agent_id": "agent_2"})
        );
        // No agent anywhere: the number's own.
        let bare = RetellOptions {
            from_number: Some("+14155550142".into()),
            agent_id: None,
        };
        let sent = serde_json::to_value(dial_body(&DialRequest::to("+1"), &bare).unwrap()).unwrap();
        assert!(sent.get("override_agent_id").is_none());
    }

    #[test]
    fn dial_refusals() {
        let options = RetellOptions {
            from_number: Some("+14155550142".into()),
            agent_id: None,
        };
        let base = || DialRequest::to("+16175550187");
        let cases: Vec<(&str, DialRequest)> = vec![
            (
                "phone_number_id",
                DialRequest {
                    phone_number_id: Some("pn".into()),
                    ..base()
                },
            ),
            (
                "max_duration_secs",
                DialRequest {
                    max_duration_secs: Some(60),
                    ..base()
                },
            ),
            (
                "language",
                DialRequest {
                    language: Some("en-US".into()),
                    ..base()
                },
            ),
            (
                "name",
                DialRequest {
                    name: Some("n".into()),
                    ..base()
                },
            ),
            (
                "campaign_id",
                DialRequest {
                    campaign_id: Some("c".into()),
                    ..base()
                },
            ),
            (
                "first_name",
                DialRequest {
                    variables: BTreeMap::from([("first_name".into(), Value::Null)]),
                    ..base()
                },
            ),
            (
                "to_number",
                DialRequest {
                    extra: BTreeMap::from([("to_number".into(), json!("+3"))]),
                    ..base()
                },
            ),
        ];
        // A field the endpoint cannot take is `Unsupported` (naming it), as the guard's
        // `scheduled_for`; a value it cannot take is a local `InvalidRequest`.
        let unsupported = [
            "phone_number_id",
            "max_duration_secs",
            "language",
            "name",
            "campaign_id",
        ];
        for (field, request) in cases {
            let err = dial_body(&request, &options).unwrap_err();
            if unsupported.contains(&field) {
                assert_unsupported_field(&err, KIND, field);
            } else {
                assert_refused_locally(&err, Operation::Dial, field);
            }
        }
        let err = dial_body(&base(), &RetellOptions::default()).unwrap_err();
        assert!(err.to_string().contains("from_number"), "{err}");
    }

    #[test]
    fn update_body_sends_the_metadata() {
        let update = CallUpdate {
            metadata: Some(BTreeMap::from([("a".to_owned(), json!(1))])),
            metadata_mode: MetadataMode::Replace,
            ..CallUpdate::default()
        };
        assert_eq!(
            serde_json::to_value(update_body(&update)).unwrap(),
            json!({"metadata": {"a": 1}})
        );
    }
}
