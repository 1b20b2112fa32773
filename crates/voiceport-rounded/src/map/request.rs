//! voiceport requests → Rounded's list parameters, start-call body and update body.
//!
//! The capability guard has already checked what every vendor shares (filters, ids, the
//! page size, a destination, the update flags); what is left is what only Rounded refuses.

use chrono::{DateTime, SecondsFormat, Utc};
use voiceport_core::adapter::{
    check_extra_keys, check_unsupported, dial_number, millisecond_before, required_setting,
    up_to_millisecond,
};
use voiceport_core::{
    CallKind, CallQuery, CallUpdate, DialRequest, MetadataMode, Operation, PageCursor, Result,
};

use crate::config::{CAPABILITIES, KIND, Paging, RoundedOptions};
use crate::wire;

/// Query parameters, in the order they are sent.
type QueryPairs = Vec<(&'static str, String)>;

/// The query parameters of `GET /v1/calls` for `query`, and the paging mode they ask for;
/// `None` when no Rounded call can match (chats: Rounded has phone and web calls), and
/// nothing need be asked.
///
/// `use_cursor` and both include flags are always sent explicitly. The paging mode
/// follows the cursor given (`Token` → cursor, `Page` → page), else `options.paging`. The
/// client-side filters (`direction`, `statuses`, `search`) are `map::page`'s.
pub(crate) fn list_params(
    query: &CallQuery,
    options: &RoundedOptions,
) -> Result<Option<(QueryPairs, Paging)>> {
    let call_type = match &query.kind {
        None => None,
        Some(CallKind::Phone) => Some(wire::CallType::PhoneCall.as_str().to_owned()),
        Some(CallKind::Web) => Some(wire::CallType::WebCall.as_str().to_owned()),
        Some(CallKind::Chat) => return Ok(None),
        // A type Rounded named itself (a call read with it has this kind): sent back.
        Some(other) => Some(other.as_str().to_owned()),
    };
    let (cursor, mode) = match &query.cursor {
        None => (None, options.paging),
        Some(PageCursor::Token { token }) => (Some(("cursor", token.clone())), Paging::Cursor),
        Some(PageCursor::Page { number }) => (Some(("page", number.to_string())), Paging::Page),
        Some(other) => return Err(other.foreign_to(KIND, "Rounded", "a token or a page")),
    };
    let optional = [
        (
            "agent_id",
            query.agent_id.as_ref().map(|a| a.as_str().to_owned()),
        ),
        ("call_type", call_type),
        ("from_number", query.from_number.clone()),
        ("to_number", query.to_number.clone()),
        ("start_time_gt", query.since.map(inclusive_since)),
        (
            "start_time_lt",
            query.until.map(|until| iso(up_to_millisecond(until))),
        ),
        ("limit", Some(CAPABILITIES.page_size(query).to_string())),
    ];
    let mut params: Vec<_> = optional
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .chain(cursor)
        .collect();
    params.push(("use_cursor", (mode == Paging::Cursor).to_string()));
    // Name inferred: the docs describe the transcript flag without naming it; the variables
    // flag `include_variable_values` is confirmed by third-party code (docs/vendors/rounded.md).
    params.push(("include_transcript", options.include_transcript.to_string()));
    let variables = options.include_variable_values.to_string();
    params.push(("include_variable_values", variables));
    Ok(Some((params, mode)))
}

/// `since` for `start_time_gt`. Rounded documents only a strict "greater than" filter
/// (there is no `start_time_gte`), while `CallQuery::since` is inclusive: a call started at
/// exactly `since` must be listed. The millisecond before `since`'s is sent, and `map::page`
/// checks `start_time >= since` again, so a call in that extra time is not returned.
fn inclusive_since(since: DateTime<Utc>) -> String {
    iso(millisecond_before(since))
}

/// RFC 3339 with only the fraction a time has (`…00Z`, `…00.500Z`), the form of the
/// docs' examples (`2023-06-15T14:30:00Z`; core's `format_time` always writes
/// milliseconds), for a time on a whole millisecond: more digits (`Utc::now()` has nine)
/// are not sent to a backend that may take no more than six.
fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The body of `POST /v1/calls/phone` for `request`.
///
/// `from_number` and `agent_id` come from the request, else from the options; both are
/// required. Fields Rounded cannot take are refused as `Unsupported`, never dropped.
/// `extra` is merged into the body (the SIP-headers object, whose field name Rounded does
/// not document, goes there), unless a key collides with a field voiceport sets.
pub(crate) fn dial_body(
    request: &DialRequest,
    options: &RoundedOptions,
) -> Result<wire::StartCallBody> {
    let op = Operation::Dial;
    let agent_setting = "it is a setting of the agent";
    let unsupported = [
        (
            request.phone_number_id.is_some(),
            "phone_number_id",
            "Rounded takes the caller id as a number; set `from_number`",
        ),
        (
            !request.metadata.is_empty(),
            "metadata",
            "set it after the dial with update_call (PATCH /calls/{call_id})",
        ),
        (
            request.max_duration_secs.is_some(),
            "max_duration_secs",
            agent_setting,
        ),
        (request.language.is_some(), "language", agent_setting),
        (request.name.is_some(), "name", "Rounded calls have no name"),
        (
            request.campaign_id.is_some(),
            "campaign_id",
            "Rounded calls have no campaign",
        ),
    ];
    check_unsupported(KIND, "Rounded's start-call endpoint", &unsupported)?;
    let required = |name, request: Option<&str>, option: &Option<String>| {
        required_setting(KIND, op, name, request, option.as_deref()).map(str::to_owned)
    };
    let from_number = request.from_number.as_deref();
    // Written as E.164 when it is a phone number so written, as the number called is.
    let from_number =
        dial_number(&required("from_number", from_number, &options.from_number)?).into_owned();
    let agent_id = request.agent_id.as_ref().map(|a| a.as_str());
    let agent_id = required("agent_id", agent_id, &options.agent_id)?;
    let ours = [
        "from_number",
        "to_number",
        "agent_id",
        "dynamic_variables_values",
    ];
    check_extra_keys(KIND, op, &request.extra, &ours)?;
    Ok(wire::StartCallBody {
        from_number,
        // E.164 where it was written otherwise (`+1 (415) 555-0187`).
        to_number: dial_number(&request.to).into_owned(),
        agent_id,
        dynamic_variables_values: (!request.variables.is_empty())
            .then(|| request.variables.clone()),
        extra: request.extra.clone().into_iter().collect(),
    })
}

/// The body of `PATCH /v1/calls/{call_id}` for `update`: `{metadata, override}` with
/// `override` always explicit ([`MetadataMode::Merge`] → `false`, `Replace` → `true`).
///
/// The guard lets only metadata updates through; should one without metadata arrive, it
/// becomes an empty merge, which changes nothing, rather than a replace that would wipe.
pub(crate) fn update_body(update: &CallUpdate) -> wire::UpdateCallBody {
    wire::UpdateCallBody {
        metadata: update.metadata.clone().unwrap_or_default(),
        override_metadata: update.metadata.is_some()
            && update.metadata_mode == MetadataMode::Replace,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use serde_json::json;
    use voiceport_core::testing::http::{assert_refused_locally, assert_unsupported_field};
    use voiceport_core::{AgentId, Error};

    #[test]
    fn list_params_cursor_and_page_modes() {
        let options = RoundedOptions::default();
        let query = CallQuery {
            kind: Some(CallKind::Phone),
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-03-02T00:00:00.5Z".parse().unwrap()),
            agent_id: Some(AgentId::new("a")),
            from_number: Some("+1".into()),
            to_number: Some("+2".into()),
            page_size: Some(5000),
            cursor: Some(PageCursor::Page { number: 3 }),
            ..CallQuery::default()
        };
        let (params, mode) = list_params(&query, &options).unwrap().unwrap();
        assert_eq!(mode, Paging::Page);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("call_type"), Some("phone_call"));
        // Inclusive `since` through Rounded's exclusive filter: one millisecond earlier.
        assert_eq!(get("start_time_gt"), Some("2026-02-28T23:59:59.999Z"));
        assert_eq!(get("start_time_lt"), Some("2026-03-02T00:00:00.500Z"));
        assert_eq!(get("limit"), Some("1000"));
        assert_eq!(get("page"), Some("3"));
        assert_eq!(get("use_cursor"), Some("false"));
        assert_eq!(get("include_transcript"), Some("true"));
        assert_eq!(get("include_variable_values"), Some("true"));

        // A time with nanoseconds (as `Utc::now()` has) goes out with milliseconds at most:
        // `since` down to its millisecond, less one; `until` up to the next.
        let query = CallQuery {
            since: Some("2026-03-01T09:12:33.123456789Z".parse().unwrap()),
            until: Some("2026-03-01T10:12:33.123456789Z".parse().unwrap()),
            ..CallQuery::default()
        };
        let (params, _) = list_params(&query, &options).unwrap().unwrap();
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("start_time_gt").unwrap(), "2026-03-01T09:12:33.122Z");
        assert_eq!(get("start_time_lt").unwrap(), "2026-03-01T10:12:33.124Z");

        let (params, mode) = list_params(&CallQuery::default(), &options)
            .unwrap()
            .unwrap();
        assert_eq!(mode, Paging::Cursor);
        assert!(params.contains(&("use_cursor", "true".into())));
        assert!(params.contains(&("limit", "50".into())));

        let chat = CallQuery {
            kind: Some(CallKind::Chat),
            ..CallQuery::default()
        };
        // No Rounded call is a chat: nothing to ask.
        assert!(matches!(list_params(&chat, &options), Ok(None)));
        // A type Rounded named itself is asked for as named.
        let sip = CallQuery {
            kind: Some(CallKind::Other("sip_call".into())),
            ..CallQuery::default()
        };
        let (params, _) = list_params(&sip, &options).unwrap().unwrap();
        assert!(params.contains(&("call_type", "sip_call".into())));
        let offset = CallQuery {
            cursor: Some(PageCursor::Offset { skip: 5 }),
            ..CallQuery::default()
        };
        assert!(matches!(
            list_params(&offset, &options),
            Err(Error::InvalidRequest { .. })
        ));
    }

    #[test]
    fn dial_body_shapes_and_refusals() {
        let options = RoundedOptions {
            from_number: Some("+33199001234".into()),
            agent_id: Some("agent-from-options".into()),
            ..RoundedOptions::default()
        };
        let mut request = DialRequest::to("+33639981234");
        request.variables.insert("first_name".into(), json!("Ada"));
        request
            .extra
            .insert("sip_headers".into(), json!({"X-Campaign": "spring"}));
        let body = serde_json::to_value(dial_body(&request, &options).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "from_number": "+33199001234",
                "to_number": "+33639981234",
                "agent_id": "agent-from-options",
                "dynamic_variables_values": {"first_name": "Ada"},
                "sip_headers": {"X-Campaign": "spring"}
            })
        );

        let bare =
            serde_json::to_value(dial_body(&DialRequest::to("+1"), &options).unwrap()).unwrap();
        assert!(bare.get("dynamic_variables_values").is_none());
        // A number written with spaces and dashes goes as E.164, as the number called does.
        let spaced = DialRequest {
            from_number: Some("+33 1 99 00 12 34".into()),
            ..DialRequest::to("+33 6 39 98 12 34")
        };
        let sent = serde_json::to_value(dial_body(&spaced, &options).unwrap()).unwrap();
        assert_eq!(
            (&sent["from_number"], &sent["to_number"]),
            (&json!("+33199001234"), &json!("+33639981234"))
        );

        let no_defaults = RoundedOptions::default();
        let err = dial_body(&DialRequest::to("+1"), &no_defaults).unwrap_err();
        assert!(err.to_string().contains("from_number"), "{err}");
        let with_from = DialRequest {
            from_number: Some("+2".into()),
            ..DialRequest::to("+1")
        };
        let err = dial_body(&with_from, &no_defaults).unwrap_err();
        assert!(err.to_string().contains("agent_id"), "{err}");

        // `scheduled_for` and an empty `to` are the guard's (tests/http.rs).
        let base = || DialRequest::to("+1");
        let cases: Vec<(&str, DialRequest)> = vec![
            (
                "phone_number_id",
                DialRequest {
                    phone_number_id: Some("p".into()),
                    ..base()
                },
            ),
            (
                "metadata",
                DialRequest {
                    metadata: BTreeMap::from([("a".into(), json!(1))]),
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
                    language: Some("fr".into()),
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
            "metadata",
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
    }

    #[test]
    fn update_body_modes() {
        let metadata = BTreeMap::from([("a".to_owned(), json!(1))]);
        let merge = CallUpdate {
            metadata: Some(metadata.clone()),
            ..CallUpdate::default()
        };
        assert_eq!(
            serde_json::to_value(update_body(&merge)).unwrap(),
            json!({"metadata": {"a": 1}, "override": false})
        );
        let replace = CallUpdate {
            metadata: Some(metadata),
            metadata_mode: MetadataMode::Replace,
            ..CallUpdate::default()
        };
        assert_eq!(
            serde_json::to_value(update_body(&replace)).unwrap(),
            json!({"metadata": {"a": 1}, "override": true})
        );
        // A name, or nothing to change, is the guard's (tests/http.rs); past it, an update
        // without metadata could only merge nothing.
        let nothing = CallUpdate {
            metadata_mode: MetadataMode::Replace,
            ..CallUpdate::default()
        };
        assert_eq!(
            serde_json::to_value(update_body(&nothing)).unwrap(),
            json!({"metadata": {}, "override": false})
        );
    }
}
