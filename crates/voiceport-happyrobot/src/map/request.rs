//! voiceport requests → HappyRobot query parameters and bodies.

use serde_json::{Map, Value};
use voiceport_core::adapter::{
    check_extra_keys, check_unsupported, dial_number, format_time, millisecond_before,
    missing_setting, required_setting, up_to_millisecond,
};
use voiceport_core::{
    CallQuery, CallStatus, DialRequest, Direction, Error, NoteInput, NoteUpdate, Operation,
    PageCursor, Result, SortOrder,
};

use super::status::vendor_statuses;
use crate::config::{CAPABILITIES, HappyRobotOptions, KIND};
use crate::{CallFilters, wire};

/// The `statuses` parameter for the normalized statuses asked (current-generation vendor
/// strings, comma-separated), or `None` when one of them has no vendor value (`Unknown`).
///
/// `Unknown` is a call whose vendor status is none of those the table knows (one added
/// later, say): no list of vendor values asks for it, and sending only the statuses that
/// have one would make the server drop the very calls `Unknown` asks for. So then no
/// status is sent, and the page decoder keeps the calls whose status was asked
/// (`CallQuery::matches`, `map::page`), as Rounded answers the same query.
fn statuses_param(statuses: &[CallStatus]) -> Option<String> {
    let mut values: Vec<&str> = Vec::new();
    for status in statuses {
        let vendor = vendor_statuses(*status);
        if vendor.is_empty() {
            return None;
        }
        let new: Vec<&str> = vendor
            .iter()
            .filter(|v| !values.contains(v))
            .copied()
            .collect();
        values.extend(new);
    }
    Some(values.join(","))
}

/// The server-side filters of a query as `GET /calls` parameters (no paging); also what a
/// CSV export takes.
pub(crate) fn filter_params(
    query: &CallQuery,
    operation: Operation,
) -> Result<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    if let Some(direction) = query.direction {
        let value = match direction {
            Direction::Inbound => "Inbound",
            Direction::Outbound => "Outbound",
        };
        params.push(("type", value.to_owned()));
    }
    if !query.statuses.is_empty() {
        match statuses_param(&query.statuses) {
            Some(statuses) => params.push(("statuses", statuses)),
            // A listing filters the statuses client-side (`statuses_param`).
            None if operation == Operation::ListCalls => {}
            // An export has no client side: without the parameter it would mail every
            // status.
            None => {
                return Err(Error::invalid_input(
                    KIND,
                    operation,
                    "HappyRobot has no call status meaning `unknown`: an export cannot be limited to it",
                ));
            }
        }
    }
    if !query.tags.is_empty() {
        let tags = query.tags.iter().map(String::as_str);
        params.push(("tags", comma_list(operation, ("tags", "tags"), tags)?));
    }
    // `campaigns` and `use_cases` are lists too: one id holding a comma would be two.
    if let Some(campaign) = &query.campaign_id {
        let campaign = [campaign.as_str()];
        params.push((
            "campaigns",
            comma_list(operation, ("campaign_id", "campaigns"), campaign)?,
        ));
    }
    // The normalized agent is the call's use case (`map::call`).
    if let Some(agent) = &query.agent_id {
        let agent = [agent.as_str()];
        params.push((
            "use_cases",
            comma_list(operation, ("agent_id", "use_cases"), agent)?,
        ));
    }
    if let Some(since) = query.since {
        // Whether `from` is inclusive is not documented: a listing asks from the millisecond
        // before, so that a call created at `since` is not lost should it be exclusive (the
        // page is filtered by the exact time). An export, which has no such filter, asks
        // from `since` itself.
        let from = match operation {
            Operation::ListCalls => millisecond_before(since),
            _ => since,
        };
        params.push(("from", format_time(from)));
    }
    if let Some(until) = query.until {
        // Written with milliseconds: rounded up, not cut down, which would leave out the
        // calls of its last millisecond should `to` be exclusive (the page is filtered by
        // the exact time).
        params.push(("to", format_time(up_to_millisecond(until))));
    }
    if let Some(sort) = query.sort {
        let value = match sort {
            SortOrder::Ascending => "asc",
            SortOrder::Descending => "desc",
        };
        params.push(("sort", value.to_owned()));
    }
    if let Some(search) = &query.search {
        params.push(("search", search.clone()));
    }
    Ok(params)
}

/// `values` (of the filter `field`, sent as the `GET /calls` parameter `param`) joined with
/// commas. HappyRobot splits the list at every comma, so a value holding one is refused
/// rather than read as two.
fn comma_list<'v>(
    operation: Operation,
    (field, param): (&str, &str),
    values: impl IntoIterator<Item = &'v str>,
) -> Result<String> {
    let values: Vec<&str> = values.into_iter().collect();
    if let Some(bad) = values.iter().find(|v| v.contains(',')) {
        return Err(Error::invalid_input(
            KIND,
            operation,
            format!(
                "`{field}` value {bad:?} contains a comma; HappyRobot takes `{param}` as a comma-separated list"
            ),
        ));
    }
    Ok(values.join(","))
}

/// HappyRobot's own filters ([`CallFilters`]) as `GET /calls` parameters: comma-separated
/// lists (see [`comma_list`]), without blank values.
pub(crate) fn vendor_filter_params(
    filters: &CallFilters,
    operation: Operation,
) -> Result<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    for (name, values) in [("models", &filters.models), ("ratings", &filters.ratings)] {
        let values: Vec<&str> = (values.iter())
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if !values.is_empty() {
            params.push((name, comma_list(operation, (name, name), values)?));
        }
    }
    let email = filters.transfer_contact_email.as_deref().map(str::trim);
    if let Some(email) = email.filter(|e| !e.is_empty()) {
        params.push(("transfer_contact_email", email.to_owned()));
    }
    Ok(params)
}

/// `GET /calls` parameters for a query: `limit`, `skip`, then the server-side filters.
pub(crate) fn list_params(query: &CallQuery) -> Result<Vec<(&'static str, String)>> {
    let skip = match &query.cursor {
        None => 0,
        Some(PageCursor::Offset { skip }) => *skip,
        Some(other) => return Err(other.foreign_to(KIND, "HappyRobot", "an offset")),
    };
    let mut params = vec![
        ("limit", CAPABILITIES.page_size(query).to_string()),
        ("skip", skip.to_string()),
    ];
    params.extend(filter_params(query, Operation::ListCalls)?);
    Ok(params)
}

/// Why a dial without a number id is refused.
const NUMBER_ID_REQUIRED: &str = "`phone_number_id` is required: HappyRobot needs the id of the purchased number that places the call (or set the `number_id` option)";

/// A dial request → the `POST /dial/outbound` body (with `extra` merged at the top level).
///
/// `agent_id` is the use case that runs the call (`use_case_id`, over the `use_case_id`
/// option), as it is the agent of every mapped call; HappyRobot's voice persona
/// (`agent_id` on the wire) goes through `extra`.
///
/// `Unsupported` (naming the field): `from_number` (HappyRobot dials from a purchased
/// number id) and `name` (calls have none). Refused (`InvalidRequest`, naming the field):
/// no (or a blank) `phone_number_id` and `number_id` option,
/// a `max_duration_secs` that is not a positive whole number of minutes (HappyRobot takes
/// `max_duration_mins`; rounding would silently change the limit), and an `extra` key
/// that would overwrite a field set from the request.
pub(crate) fn dial_body(
    request: &DialRequest,
    options: &HappyRobotOptions,
) -> Result<Map<String, Value>> {
    let op = Operation::Dial;
    let refuse = |message: &str| Error::invalid_input(KIND, op, message);
    let unsupported = [
        (
            request.from_number.is_some(),
            "from_number",
            "HappyRobot dials from a purchased number; set `phone_number_id` (or the `number_id` option)",
        ),
        (
            request.name.is_some(),
            "name",
            "HappyRobot calls have no name",
        ),
    ];
    check_unsupported(KIND, "HappyRobot's outbound-dial endpoint", &unsupported)?;
    // `required_setting` decides (a blank value is none); the message is HappyRobot's
    // own, as the option is spelled `number_id`, not `phone_number_id`.
    let (number_id, option) = (request.phone_number_id.as_deref(), &options.number_id);
    let number_id = required_setting(KIND, op, "phone_number_id", number_id, option.as_deref())
        .map_err(|_| missing_setting(KIND, op, "phone_number_id", NUMBER_ID_REQUIRED))?;
    let max_duration_mins = max_duration_mins(request.max_duration_secs)?;
    let ours = [
        "phone_number",
        "number_id",
        "use_case_id",
        "language",
        "params",
        "metadata",
        "campaign_id",
        "scheduled_for",
        "max_duration_mins",
    ];
    check_extra_keys(KIND, op, &request.extra, &ours)?;
    let body = wire::DialBody {
        // E.164 where it was written otherwise (`+1 (415) 555-0187`).
        phone_number: dial_number(&request.to).into_owned(),
        number_id: number_id.to_owned(),
        use_case_id: (request.agent_id.as_ref())
            .map(|a| a.as_str().to_owned())
            .or_else(|| options.use_case_id.clone()),
        language: request.language.clone(),
        params: (!request.variables.is_empty())
            .then(|| Value::Object(request.variables.clone().into_iter().collect())),
        metadata: (!request.metadata.is_empty())
            .then(|| request.metadata.clone().into_iter().collect()),
        campaign_id: request.campaign_id.as_ref().map(|c| c.as_str().to_owned()),
        scheduled_for: request.scheduled_for.map(format_time),
        max_duration_mins,
    };
    let Ok(Value::Object(mut object)) = serde_json::to_value(&body) else {
        return Err(refuse("cannot encode the dial body"));
    };
    object.retain(|_, value| !value.is_null());
    object.extend(request.extra.clone());
    Ok(object)
}

/// `max_duration_secs` → `max_duration_mins`: refused unless a positive whole number of
/// minutes, since rounding would silently change the limit.
fn max_duration_mins(secs: Option<u32>) -> Result<Option<u32>> {
    let refuse = |message: String| Error::invalid_input(KIND, Operation::Dial, message);
    match secs {
        None => Ok(None),
        Some(0) => Err(refuse("`max_duration_secs` must be positive".to_owned())),
        Some(secs) if secs % 60 != 0 => Err(refuse(format!(
            "`max_duration_secs` must be a whole number of minutes: HappyRobot takes `max_duration_mins`, so {secs} s cannot be sent as it is (use {})",
            whole_minutes_near(secs)
        ))),
        Some(secs) => Ok(Some(secs / 60)),
    }
}

/// The whole minutes (in seconds) on either side of `secs`, for a hint: the one below
/// unless it is zero, the one above unless it overflows a `u32` (near `u32::MAX`).
fn whole_minutes_near(secs: u32) -> String {
    let down = secs / 60 * 60;
    match (down, secs.div_ceil(60).checked_mul(60)) {
        (0, Some(up)) => format!("{up}"),
        (down, Some(up)) => format!("{down} or {up}"),
        (down, None) => format!("{down}"),
    }
}

/// A new note → the `POST …/notes` body.
pub(crate) fn add_note_body(note: &NoteInput) -> wire::NoteBody<'_> {
    wire::NoteBody {
        content: Some(&note.content),
        flagged: Some(note.flagged),
    }
}

/// A note update → the `PATCH …/notes/{noteId}` body, with only what changes (the guard
/// refuses one that changes nothing): blank text is no new text, as `add_note` refuses
/// blank text, so an update never blanks a note.
pub(crate) fn update_note_body(update: &NoteUpdate) -> wire::NoteBody<'_> {
    wire::NoteBody {
        content: update.new_text(),
        flagged: update.flagged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::testing::http::{assert_refused_locally, assert_unsupported_field};
    use voiceport_core::{AgentId, CampaignId};

    #[test]
    fn statuses_map_to_current_vendor_values_once() {
        assert_eq!(
            statuses_param(&[
                CallStatus::Ringing,
                CallStatus::Voicemail,
                CallStatus::Ringing
            ])
            .unwrap(),
            "Initiated,Ringing,AMD Terminated"
        );
    }

    /// `Unknown` has no vendor value: a listing sends no `statuses` (the page is filtered
    /// client-side), alone or with others, where an export, which cannot be filtered
    /// here, is refused.
    #[test]
    fn an_unknown_status_is_left_to_the_client_side_filter() {
        for statuses in [
            vec![CallStatus::Unknown],
            vec![CallStatus::Completed, CallStatus::Unknown],
        ] {
            let query = CallQuery {
                statuses,
                ..CallQuery::default()
            };
            let params = list_params(&query).unwrap();
            assert!(
                params.iter().all(|(name, _)| *name != "statuses"),
                "{params:?}"
            );
            let export = Operation::Extension("export_calls_csv");
            let err = filter_params(&query, export).unwrap_err();
            assert_refused_locally(&err, export, "`unknown`");
        }
    }

    #[test]
    fn list_params_map_every_server_side_filter() {
        let query = CallQuery {
            direction: Some(Direction::Outbound),
            statuses: vec![CallStatus::Completed, CallStatus::NoAnswer],
            tags: vec!["a".into(), "b".into()],
            campaign_id: Some(CampaignId::new("camp")),
            agent_id: Some(AgentId::new("uc")),
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-03-02T00:00:00.5Z".parse().unwrap()),
            sort: Some(SortOrder::Ascending),
            search: Some("RF-1".into()),
            page_size: Some(5000),
            cursor: Some(PageCursor::Offset { skip: 40 }),
            ..CallQuery::default()
        };
        let params = list_params(&query).unwrap();
        let expected: Vec<(&str, &str)> = vec![
            ("limit", "2000"),
            ("skip", "40"),
            ("type", "Outbound"),
            ("statuses", "Completed,No answer"),
            ("tags", "a,b"),
            ("campaigns", "camp"),
            ("use_cases", "uc"),
            // `from` may be exclusive: the millisecond before `since`.
            ("from", "2026-02-28T23:59:59.999Z"),
            ("to", "2026-03-02T00:00:00.500Z"),
            ("sort", "asc"),
            ("search", "RF-1"),
        ];
        let got: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(got, expected);
        let default = list_params(&CallQuery::default()).unwrap();
        assert_eq!(default, vec![("limit", "100".into()), ("skip", "0".into())]);
        // An end inside a millisecond is rounded up, not cut down: the calls of that
        // millisecond stay in the range however `to` is taken.
        let inside = CallQuery {
            until: Some("2026-03-02T00:00:00.0005Z".parse().unwrap()),
            ..CallQuery::default()
        };
        let to = list_params(&inside)
            .unwrap()
            .into_iter()
            .find(|(k, _)| *k == "to");
        assert_eq!(
            to.map(|(_, v)| v).as_deref(),
            Some("2026-03-02T00:00:00.001Z")
        );
        let bad = CallQuery {
            cursor: Some(PageCursor::Page { number: 2 }),
            ..CallQuery::default()
        };
        assert!(matches!(
            list_params(&bad),
            Err(Error::InvalidRequest { status: None, .. })
        ));
    }

    #[test]
    fn vendor_filters_are_comma_lists_without_empty_values() {
        let filters = CallFilters {
            models: vec!["gpt-4o".into(), " ".into(), "gpt-4o-mini".into()],
            ratings: vec!["🚨".into(), "👎".into()],
            transfer_contact_email: Some(" dispatch@example.com ".into()),
        };
        let params = vendor_filter_params(&filters, Operation::ListCalls).unwrap();
        let got: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("models", "gpt-4o,gpt-4o-mini"),
                ("ratings", "🚨,👎"),
                ("transfer_contact_email", "dispatch@example.com"),
            ]
        );
        let empty = CallFilters {
            models: vec![String::new()],
            transfer_contact_email: Some(" ".into()),
            ..CallFilters::default()
        };
        assert!(empty.is_empty());
        assert!(
            vendor_filter_params(&empty, Operation::ListCalls)
                .unwrap()
                .is_empty()
        );
        let comma = CallFilters {
            models: vec!["a,b".into()],
            ..CallFilters::default()
        };
        let err = vendor_filter_params(&comma, Operation::ListCalls).unwrap_err();
        assert_refused_locally(&err, Operation::ListCalls, "`models`");
    }

    #[test]
    fn note_bodies_send_only_what_changes() {
        let body = |b: wire::NoteBody<'_>| serde_json::to_value(b).unwrap();
        // A new note says both.
        let note = NoteInput::new("Call back Friday");
        assert_eq!(
            serde_json::to_value(add_note_body(&note)).unwrap(),
            json!({"content": "Call back Friday", "flagged": false})
        );
        // An update sends what it sets, nothing else: the flag left out stays as it is.
        let text = NoteUpdate::text("Call back Friday");
        assert_eq!(
            body(update_note_body(&text)),
            json!({"content": "Call back Friday"})
        );
        let flagged = text.with_flagged(true);
        assert_eq!(
            body(update_note_body(&flagged)),
            json!({"content": "Call back Friday", "flagged": true})
        );
        // It can unflag.
        let unflag = NoteUpdate::flagged(false);
        assert_eq!(body(update_note_body(&unflag)), json!({"flagged": false}));
        // Blank text is no new text: an update never blanks a note.
        let blank = NoteUpdate::text("  \n").with_flagged(true);
        assert_eq!(body(update_note_body(&blank)), json!({"flagged": true}));
    }

    #[test]
    fn dial_body_maps_and_refuses() {
        let options = HappyRobotOptions {
            number_id: Some("num-default".into()),
            use_case_id: Some("uc".into()),
            ..HappyRobotOptions::default()
        };
        let mut request = DialRequest::to("+14155550123");
        request.agent_id = Some(AgentId::new("ag"));
        request.variables.insert("first_name".into(), json!("Ada"));
        request.metadata.insert("crm".into(), json!(7));
        request.scheduled_for = Some("2026-03-01T10:00:00Z".parse().unwrap());
        request.max_duration_secs = Some(120);
        request.language = Some("en-US".into());
        request.campaign_id = Some(CampaignId::new("camp"));
        request.extra.insert("prompt_id".into(), json!("p1"));
        // The voice persona is HappyRobot's own: it goes through `extra`.
        request.extra.insert("agent_id".into(), json!("persona"));
        let body = dial_body(&request, &options).unwrap();
        // The agent is the use case, over the option's default.
        assert_eq!(
            Value::Object(body),
            json!({
                "phone_number": "+14155550123", "number_id": "num-default", "use_case_id": "ag",
                "agent_id": "persona", "params": {"first_name": "Ada"}, "metadata": {"crm": 7},
                "scheduled_for": "2026-03-01T10:00:00.000Z", "max_duration_mins": 2,
                "language": "en-US", "campaign_id": "camp", "prompt_id": "p1"
            })
        );
        let default_use_case = DialRequest::to("+14155550123");
        assert_eq!(
            dial_body(&default_use_case, &options).unwrap()["use_case_id"],
            "uc"
        );
        request.phone_number_id = Some("num-explicit".into());
        assert_eq!(
            dial_body(&request, &options).unwrap()["number_id"],
            "num-explicit"
        );

        let refused = |r: &DialRequest, o: &HappyRobotOptions, needle: &str| {
            assert_refused_locally(&dial_body(r, o).unwrap_err(), Operation::Dial, needle);
        };
        let plain = DialRequest::to("+14155550123");
        refused(&plain, &HappyRobotOptions::default(), "phone_number_id");
        // Fields HappyRobot cannot take are `Unsupported`, naming them, as the guard's
        // answer for what a vendor cannot do.
        for (request, field) in [
            (
                DialRequest {
                    from_number: Some("+1".into()),
                    ..plain.clone()
                },
                "from_number",
            ),
            (
                DialRequest {
                    name: Some("n".into()),
                    ..plain.clone()
                },
                "name",
            ),
        ] {
            assert_unsupported_field(&dial_body(&request, &options).unwrap_err(), KIND, field);
        }
        refused(
            &DialRequest {
                max_duration_secs: Some(0),
                ..plain.clone()
            },
            &options,
            "max_duration_secs",
        );
        // Not a whole number of minutes: refused, with the nearest values that are.
        for (secs, hint) in [
            (61, "use 60 or 120"),
            (30, "use 60)"),
            (150, "use 120 or 180"),
        ] {
            refused(
                &DialRequest {
                    max_duration_secs: Some(secs),
                    ..plain.clone()
                },
                &options,
                hint,
            );
        }
        // An empty `to` is refused by the core guard before this runs (tests/http.rs).
    }

    /// The refusal of a dial body, as its message (a local `InvalidRequest`).
    fn dial_refusal(request: &DialRequest, options: &HappyRobotOptions) -> String {
        match dial_body(request, options).unwrap_err() {
            Error::InvalidRequest {
                status: None,
                message,
                ..
            } => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_duration_near_u32_max_is_refused_without_overflowing() {
        let options = HappyRobotOptions {
            number_id: Some("num".into()),
            ..HappyRobotOptions::default()
        };
        let request = DialRequest {
            max_duration_secs: Some(u32::MAX),
            ..DialRequest::to("+14155550123")
        };
        // The minute above does not fit a `u32`: only the one below is offered.
        let message = dial_refusal(&request, &options);
        assert!(message.ends_with("(use 4294967280)"), "{message}");
    }

    #[test]
    fn extra_keys_overwriting_ours_and_blank_number_ids_are_refused() {
        let options = HappyRobotOptions {
            number_id: Some("num".into()),
            ..HappyRobotOptions::default()
        };
        for key in [
            "phone_number",
            "number_id",
            "use_case_id",
            "max_duration_mins",
        ] {
            let mut request = DialRequest::to("+14155550123");
            request.extra.insert(key.into(), json!("x"));
            let message = dial_refusal(&request, &options);
            assert!(
                message.contains(&format!("`extra` key `{key}`")),
                "{message}"
            );
        }
        let required = "`phone_number_id` is required";
        let blank_request = DialRequest {
            phone_number_id: Some(" ".into()),
            ..DialRequest::to("+14155550123")
        };
        assert!(dial_refusal(&blank_request, &options).contains(required));
        let blank_option = HappyRobotOptions {
            number_id: Some(String::new()),
            ..HappyRobotOptions::default()
        };
        let plain = DialRequest::to("+14155550123");
        let message = dial_refusal(&plain, &blank_option);
        assert!(message.contains(required) && message.contains("`number_id` option"));
    }

    #[test]
    fn every_comma_joined_filter_refuses_a_comma() {
        // The message names the field, and the parameter HappyRobot splits.
        let refused = |query: CallQuery, field: &str, param: &str| {
            let err = list_params(&query).unwrap_err();
            assert!(
                matches!(err, Error::InvalidRequest { status: None, .. }),
                "{err:?}"
            );
            let text = err.to_string();
            assert!(text.contains(&format!("`{field}` value")), "{err}");
            assert!(text.contains(&format!("takes `{param}`")), "{err}");
        };
        let tags = CallQuery {
            tags: vec!["vip".into(), "dry-van,reefer".into()],
            ..CallQuery::default()
        };
        refused(tags, "tags", "tags");
        let campaign = CallQuery {
            campaign_id: Some(CampaignId::new("c1,c2")),
            ..CallQuery::default()
        };
        refused(campaign, "campaign_id", "campaigns");
        let agent = CallQuery {
            agent_id: Some(AgentId::new("uc1,uc2")),
            ..CallQuery::default()
        };
        refused(agent, "agent_id", "use_cases");
        let ratings = CallFilters {
            ratings: vec!["✅,🚨".into()],
            ..CallFilters::default()
        };
        let err = vendor_filter_params(&ratings, Operation::ListCalls).unwrap_err();
        assert!(err.to_string().contains("`ratings`"), "{err}");
    }
}
