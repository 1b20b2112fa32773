//! voiceport requests → Vapi-family parameters and bodies (the same for Vapi and Voicebot
//! Studio). The guard has already checked flags, filters, the page size, a dial's
//! destination and that an update changes something; what is refused here is what only
//! Vapi refuses.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use voiceport_core::adapter::{
    check_unsupported, dial_number, extra_key_collides, format_time, missing_setting,
    required_setting, up_to_millisecond,
};
use voiceport_core::{
    CallQuery, CallUpdate, DialRequest, Error, FieldError, Operation, ProviderKind, Result,
};

use super::page::Window;
use crate::config::{Flavor, VapiOptions};
use crate::wire;

/// The query parameters of the list (`GET /call`; Voicebot Studio: `GET /calls`): Vapi's
/// `limit` and `createdAtLt` (the [`Window`]: the page size plus the calls to be seen again,
/// and the cursor's end or `until`), `createdAtGe` (`since`, inclusive like the query) and
/// `assistantId`. Documented by Vapi; inferred for Voicebot Studio, which documents none.
/// `decode_page` applies every filter client-side as well. A cursor of another vendor is
/// refused.
pub(crate) fn list_params(
    flavor: Flavor,
    query: &CallQuery,
) -> Result<Vec<(&'static str, String)>> {
    let window = Window::of(flavor, query)?;
    let mut params = vec![("limit", window.limit.to_string())];
    if let Some(before) = window.end {
        params.push(("createdAtLt", format_time(up_to_millisecond(before))));
    }
    if let Some(since) = query.since {
        params.push(("createdAtGe", format_time(since)));
    }
    if let Some(agent) = &query.agent_id {
        params.push(("assistantId", agent.as_str().to_owned()));
    }
    Ok(params)
}

/// The body of a dial: Vapi's `CreateCallDTO` (inferred for Voicebot Studio beyond
/// `name` and `assistantId`).
///
/// `assistantId` is the request's `agent_id`, else `options.assistant_id` (required);
/// `phoneNumberId` the request's, else `options.phone_number_id`. `from_number`,
/// `language` and `campaign_id` are `Unsupported` (Vapi dials from a phone-number id; the
/// other two cannot be set on a Vapi call). `extra` adds top-level fields; one voiceport
/// sets from the request is refused, except `assistantOverrides` and `customer`, whose
/// fields are merged into the request's (`firstMessage` beside `variableValues`; the
/// customer's `name`, `email`, `externalId`, `extension`, `numberE164CheckEnabled` beside
/// the `number` or `sipUri` of `to`), again refusing one the request sets (and in
/// `customer` the other of `number` and `sipUri`).
pub(crate) fn dial_body<'a>(
    flavor: Flavor,
    request: &'a DialRequest,
    options: &'a VapiOptions,
) -> Result<Map<String, Value>> {
    let kind = flavor.kind();
    let refuse = |message: String| Err(Error::invalid_input(kind, Operation::Dial, message));
    let unsupported = [
        (
            request.from_number.is_some(),
            "from_number",
            "calls are placed from a phone number id; set `phone_number_id` (or options.phone_number_id)",
        ),
        (
            request.language.is_some(),
            "language",
            "the language is part of the assistant's transcriber settings",
        ),
        (
            request.campaign_id.is_some(),
            "campaign_id",
            "campaigns cannot be set when dialing",
        ),
    ];
    check_unsupported(kind, flavor.name(), &unsupported)?;
    // A squad, a workflow or an inline assistant in `extra` is the call's agent: the
    // option's default assistant is not sent beside it (Vapi takes one of them), and the
    // request's own `agent_id` beside it is refused as a collision (`merge_extra`).
    let in_extra = |key: &str| request.extra.get(key).is_some_and(|value| !value.is_null());
    let agent_in_extra = AGENT_IN_EXTRA.iter().any(|key| in_extra(key));
    let agent_id = request.agent_id.as_ref().map(|a| a.as_str());
    let assistant_id = match (agent_in_extra, agent_id) {
        (true, None) => None,
        // `required_setting` decides (a blank value is none); the message is the Vapi
        // family's own, as the option is spelled `assistant_id`, not `agent_id`.
        _ => Some(
            required_setting(
                kind,
                Operation::Dial,
                "agent_id",
                agent_id,
                options.assistant_id.as_deref(),
            )
            .map_err(|_| {
                let message = "no assistant: set `agent_id` on the request or `options.assistant_id` (Vapi `assistantId`), or a squad or workflow in `extra`";
                missing_setting(kind, Operation::Dial, "agent_id", message)
            })?,
        ),
    };
    // The same for the number called from: a transient `phoneNumber` in `extra` is sent
    // instead of the option's default number id.
    let default_number = (!in_extra("phoneNumber"))
        .then_some(options.phone_number_id.as_deref())
        .flatten();
    // A SIP destination (`sip:…`) is Vapi's `customer.sipUri`; anything else a number,
    // sent as E.164 when it was written with spaces, dashes or parentheses (Vapi checks
    // E.164 unless told not to).
    let to = request.to.trim();
    let number = dial_number(to);
    let is_sip = to
        .get(..4)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("sip:"));
    let filled = |m: &'a BTreeMap<String, Value>| (!m.is_empty()).then_some(m);
    let has_overrides = !request.variables.is_empty()
        || !request.metadata.is_empty()
        || request.max_duration_secs.is_some();
    let overrides = wire::CreateAssistantOverrides {
        variable_values: filled(&request.variables),
        metadata: filled(&request.metadata),
        max_duration_seconds: request.max_duration_secs,
    };
    let body = wire::CreateCall {
        assistant_id,
        phone_number_id: request.phone_number_id.as_deref().or(default_number),
        customer: match is_sip {
            true => wire::CreateCustomer::SipUri(to),
            false => wire::CreateCustomer::Number(&number),
        },
        name: request.name.as_deref(),
        schedule_plan: request.scheduled_for.map(|at| wire::CreateSchedulePlan {
            earliest_at: format_time(at),
        }),
        assistant_overrides: has_overrides.then_some(overrides),
    };
    let Ok(Value::Object(mut map)) = serde_json::to_value(&body) else {
        return refuse("cannot encode the request body".into());
    };
    merge_extra(kind, &mut map, &request.extra)?;
    // Vapi places a phone call from one of the account's numbers, by id or given whole
    // (`extra`'s transient `phoneNumber`): without either it refuses the dial, said here
    // before anything is sent (inferred: its schema requires no field, and calls the
    // number the caller id "for phone calls", so a SIP call is sent without one).
    // Voicebot Studio documents no such field.
    let has_number = ["phoneNumberId", "phoneNumber"]
        .iter()
        .any(|key| map.get(*key).is_some_and(|value| !value.is_null()));
    if flavor == Flavor::Vapi && !has_number && !is_sip {
        let message = "no number to call from: set `phone_number_id` on the request or `options.phone_number_id` (Vapi `phoneNumberId`), or a transient `phoneNumber` in `extra`";
        return Err(missing_setting(
            kind,
            Operation::Dial,
            "phone_number_id",
            message,
        ));
    }
    // Checked on the final body, so that a `name` from `extra` is held to it too.
    check_name(
        flavor,
        Operation::Dial,
        map.get("name").and_then(Value::as_str),
    )?;
    Ok(map)
}

/// `CreateCallDTO` fields that name the call's agent in place of `assistantId`.
const AGENT_IN_EXTRA: [&str; 5] = ["assistant", "squadId", "squad", "workflowId", "workflow"];

/// Adds `extra` to the dial body `map` (see [`dial_body`]): a field the request set is
/// refused rather than replaced, and `assistantOverrides` and `customer` are merged one
/// level down, again refusing a field the request set (`customer.number` or
/// `customer.sipUri`, from `to`), and in `customer` the other of the two as well: either
/// names whom to call, and which one Vapi would call is not documented.
fn merge_extra(
    kind: ProviderKind,
    map: &mut Map<String, Value>,
    extra: &BTreeMap<String, Value>,
) -> Result<()> {
    const OVERRIDES: &str = "assistantOverrides";
    const CUSTOMER: &str = "customer";
    /// The fields of `customer` that name whom to call: voiceport sets one from `to`.
    const CALLED: [&str; 2] = ["number", "sipUri"];
    // `CreateCallDTO` fields that stand in for one voiceport sets: Vapi takes one of each
    // pair, and which it would take is not documented.
    const IN_PLACE_OF: [(&str, &str); 7] = [
        ("customerId", "customer"),
        ("assistant", "assistantId"),
        ("squadId", "assistantId"),
        ("squad", "assistantId"),
        ("workflowId", "assistantId"),
        ("workflow", "assistantId"),
        ("phoneNumber", "phoneNumberId"),
    ];
    let collides = |key: &str| Err(extra_key_collides(kind, Operation::Dial, key));
    let set = |key: &str| map.get(key).is_some_and(|value| !value.is_null());
    if extra.contains_key("customers") {
        // A batch: one call per customer, answered with a `CallBatchResponse`. A dial
        // places one call, and must know its id.
        let message =
            "`extra` key `customers` would place a batch of calls: a dial places one, to `to`";
        return Err(Error::invalid_input(kind, Operation::Dial, message));
    }
    if let Some((key, ours)) = IN_PLACE_OF
        .iter()
        .find(|(key, ours)| extra.contains_key(*key) && set(ours))
    {
        let message = format!(
            "`extra` key `{key}` stands in for `{ours}`, which voiceport sets from the request or the options; set one of them"
        );
        return Err(Error::invalid_input(kind, Operation::Dial, message));
    }
    for (key, value) in extra {
        match (map.get_mut(key), value) {
            (None, _) => {
                map.insert(key.clone(), value.clone());
            }
            (Some(Value::Object(ours)), Value::Object(theirs))
                if key == OVERRIDES || key == CUSTOMER =>
            {
                if let Some(set) = theirs.keys().find(|inner| ours.contains_key(*inner)) {
                    return collides(&format!("{key}.{set}"));
                }
                let called = |fields: &Map<String, Value>| {
                    CALLED.into_iter().find(|inner| fields.contains_key(*inner))
                };
                if let (CUSTOMER, Some(inner), Some(set)) =
                    (key.as_str(), called(theirs), called(ours))
                {
                    let message = format!(
                        "`extra` key `{CUSTOMER}.{inner}` stands in for `{CUSTOMER}.{set}`, which voiceport sets from the request's `to`; dial that party as `to`"
                    );
                    return Err(Error::invalid_input(kind, Operation::Dial, message));
                }
                ours.extend(theirs.clone());
            }
            (Some(_), _) => return collides(key),
        }
    }
    Ok(())
}

/// The body of an update: `{name}`. Vapi (and Voicebot Studio) update only the name; the
/// guard refuses metadata (`update_metadata_*` are false). A name over [`MAX_NAME_CHARS`]
/// is refused.
pub(crate) fn update_body(flavor: Flavor, update: &CallUpdate) -> Result<wire::UpdateCall> {
    check_name(flavor, Operation::UpdateCall, update.name.as_deref())?;
    Ok(wire::UpdateCall {
        name: update.name.clone(),
    })
}

/// Vapi's limit on a call's `name` (`CreateCallDTO`, `UpdateCallDTO`).
const MAX_NAME_CHARS: usize = 40;

/// Refuses, before anything is sent, a `name` Vapi would reject with a 400. Its length is
/// counted as Vapi's validator counts it, in UTF-16 code units (an emoji counts two).
fn check_name(flavor: Flavor, operation: Operation, name: Option<&str>) -> Result<()> {
    let Some(length) = name.map(|n| n.encode_utf16().count()) else {
        return Ok(());
    };
    if length <= MAX_NAME_CHARS {
        return Ok(());
    }
    let problem = format!("must be at most {MAX_NAME_CHARS} characters long (it has {length})");
    // The detail says by how much; the message does not repeat it.
    let details = vec![FieldError {
        field: "name".to_owned(),
        message: problem,
    }];
    let message = "`name` is too long";
    Err(Error::invalid_request(
        flavor.kind(),
        operation,
        None,
        message,
        details,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use voiceport_core::testing::http::assert_unsupported_field;
    use voiceport_core::{AgentId, CampaignId, PageCursor, ProviderKind};

    // Both flavors build the same requests; tested as Voicebot Studio's, and the kind in
    // errors checked for Vapi.
    const VS: Flavor = Flavor::Voicebot;

    fn dial_body<'a>(
        request: &'a DialRequest,
        options: &'a VapiOptions,
    ) -> Result<Map<String, Value>> {
        super::dial_body(VS, request, options)
    }

    fn update_body(update: &CallUpdate) -> Result<wire::UpdateCall> {
        super::update_body(VS, update)
    }

    fn list_params(query: &CallQuery) -> Result<Vec<(&'static str, String)>> {
        super::list_params(VS, query)
    }

    #[test]
    fn refusals_name_the_flavor() {
        let err = super::dial_body(
            Flavor::Vapi,
            &DialRequest::to("+1"),
            &VapiOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.provider(), Some(ProviderKind::Vapi));
        let foreign = CallQuery {
            cursor: Some(PageCursor::Offset { skip: 5 }),
            ..Default::default()
        };
        let err = super::list_params(Flavor::Vapi, &foreign).unwrap_err();
        assert!(err.to_string().contains("not a Vapi cursor"), "{err}");
        let long = CallUpdate {
            name: Some("n".repeat(41)),
            ..Default::default()
        };
        let err = super::update_body(Flavor::Vapi, &long).unwrap_err();
        assert_eq!(err.provider(), Some(ProviderKind::Vapi));
    }

    #[test]
    fn dial_body_shape_and_refusals() {
        let options = VapiOptions {
            assistant_id: Some("opt-assistant".into()),
            phone_number_id: Some("opt-number".into()),
        };
        let mut request = DialRequest::to("+14155550123");
        assert_eq!(
            Value::Object(dial_body(&request, &options).unwrap()),
            json!({"assistantId": "opt-assistant", "phoneNumberId": "opt-number",
                   "customer": {"number": "+14155550123"}})
        );
        request.agent_id = Some(AgentId::new("a1"));
        request.phone_number_id = Some("n1".into());
        request.name = Some("Reminder".into());
        request.scheduled_for = Some("2026-03-20T15:00:00Z".parse().unwrap());
        request.variables.insert("first_name".into(), json!("Ada"));
        request.metadata.insert("crm".into(), json!(7));
        request.max_duration_secs = Some(300);
        request
            .extra
            .insert("transport".into(), json!({"provider": "twilio"}));
        assert_eq!(
            Value::Object(dial_body(&request, &options).unwrap()),
            json!({
                "assistantId": "a1", "phoneNumberId": "n1", "customer": {"number": "+14155550123"},
                "name": "Reminder", "schedulePlan": {"earliestAt": "2026-03-20T15:00:00.000Z"},
                "assistantOverrides": {"variableValues": {"first_name": "Ada"}, "metadata": {"crm": 7},
                                        "maxDurationSeconds": 300},
                "transport": {"provider": "twilio"}
            })
        );

        // A field Vapi cannot take is `Unsupported`, naming it (as the guard's
        // `scheduled_for`).
        let unsupported = |request: DialRequest, field: &str| {
            let err = dial_body(&request, &options).unwrap_err();
            assert_unsupported_field(&err, VS.kind(), field);
        };
        let base = DialRequest::to("+14155550123");
        unsupported(
            DialRequest {
                from_number: Some("+1".into()),
                ..base.clone()
            },
            "from_number",
        );
        unsupported(
            DialRequest {
                language: Some("en".into()),
                ..base.clone()
            },
            "language",
        );
        unsupported(
            DialRequest {
                campaign_id: Some(CampaignId::new("k")),
                ..base.clone()
            },
            "campaign_id",
        );
        // No assistant: a request to complete, a local `InvalidRequest`.
        let err = dial_body(&base, &VapiOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidRequest {
                    status: None,
                    operation: Operation::Dial,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("agent_id"), "{err}");
        // An empty `to` is the guard's refusal (tests/http.rs).

        // A SIP destination is Vapi's `customer.sipUri`.
        let sip = DialRequest::to("sip:frontdesk@pbx.example.com");
        let body = dial_body(&sip, &options).unwrap();
        assert_eq!(
            body["customer"],
            json!({"sipUri": "sip:frontdesk@pbx.example.com"})
        );
    }

    #[test]
    fn update_body_is_name_only() {
        // Metadata and empty updates are the guard's refusals (tests/http.rs).
        let body = update_body(&CallUpdate {
            name: Some("N".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(serde_json::to_value(body).unwrap(), json!({"name": "N"}));
    }

    #[test]
    fn names_over_vapis_limit_are_refused() {
        let named = |name: &str| CallUpdate {
            name: Some(name.into()),
            ..Default::default()
        };
        let forty = "x".repeat(40);
        assert!(update_body(&named(&forty)).is_ok());
        // 40 characters of which one is outside the BMP: 41 UTF-16 units, as Vapi counts.
        let emoji = format!("{}📞", "x".repeat(39));
        for (name, length) in [(format!("{forty}y"), 41), (emoji, 41)] {
            let err = update_body(&named(&name)).unwrap_err();
            let Error::InvalidRequest {
                status: None,
                operation: Operation::UpdateCall,
                details,
                message,
                ..
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!(details.len(), 1);
            assert_eq!(details[0].field, "name");
            assert_eq!(message, "`name` is too long");
            assert!(details[0].message.contains(&format!("it has {length})")));
            // Said once: the message and its detail do not repeat each other.
            let text = err.to_string();
            assert_eq!(text.matches("at most 40").count(), 1, "{text}");
        }

        let options = VapiOptions {
            assistant_id: Some("a".into()),
            phone_number_id: None,
        };
        let mut request = DialRequest::to("+14155550123");
        request.name = Some("y".repeat(41));
        let err = dial_body(&request, &options).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { operation: Operation::Dial, details, .. }
                if details[0].field == "name"),
            "{err:?}"
        );
        // A name slipped in through `extra` is held to the same limit.
        request.name = None;
        request.extra.insert("name".into(), json!("z".repeat(41)));
        assert!(dial_body(&request, &options).is_err());
        request.extra.insert("name".into(), json!("Reminder"));
        assert!(dial_body(&request, &options).is_ok());
    }

    /// `extra` adds fields; one the request sets is refused, not replaced (an `extra`
    /// `customer.number` would dial another number), and `assistantOverrides` is merged.
    #[test]
    fn extra_adds_fields_and_never_replaces_the_request_s() {
        let options = VapiOptions {
            assistant_id: Some("a".into()),
            phone_number_id: None,
        };
        let mut request = DialRequest::to("+14155550123");
        request.variables.insert("first_name".into(), json!("Ada"));
        request.extra.insert(
            "assistantOverrides".into(),
            json!({"firstMessage": "Hi Ada", "backgroundSound": "off"}),
        );
        let body = Value::Object(dial_body(&request, &options).unwrap());
        assert_eq!(
            body["assistantOverrides"],
            json!({"variableValues": {"first_name": "Ada"}, "firstMessage": "Hi Ada",
                   "backgroundSound": "off"})
        );
        let refused = |key: &str, value: Value, path: &str| {
            let mut request = request.clone();
            request.extra.insert(key.into(), value);
            let err = dial_body(&request, &options).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(&format!("`extra` key `{path}` collides")),
                "{text}"
            );
        };
        refused(
            "customer",
            json!({"number": "+19995550100"}),
            "customer.number",
        );
        refused("customer", json!("+19995550100"), "customer");
        refused("assistantId", json!("b"), "assistantId");
        refused(
            "assistantOverrides",
            json!({"variableValues": {"first_name": "Bo"}}),
            "assistantOverrides.variableValues",
        );
        refused(
            "assistantOverrides",
            json!("not an object"),
            "assistantOverrides",
        );
        // Without request overrides, `extra`'s are the body's.
        let mut plain = DialRequest::to("+14155550123");
        plain
            .extra
            .insert("assistantOverrides".into(), json!({"firstMessage": "Hi"}));
        let body = Value::Object(dial_body(&plain, &options).unwrap());
        assert_eq!(body["assistantOverrides"], json!({"firstMessage": "Hi"}));

        // A field Vapi takes in place of one the request sets: which one Vapi would take
        // is not documented; and `customers` would place a batch of calls.
        let with_number = VapiOptions {
            phone_number_id: Some("pn".into()),
            ..options.clone()
        };
        let mut set = DialRequest::to("+14155550123");
        set.agent_id = Some(AgentId::new("as-1"));
        set.phone_number_id = Some("pn-1".into());
        for (key, value, ours) in [
            ("customerId", json!("cust-1"), "customer"),
            ("squadId", json!("sq-1"), "assistantId"),
            ("workflow", json!({"nodes": []}), "assistantId"),
            (
                "phoneNumber",
                json!({"twilioPhoneNumber": "+1"}),
                "phoneNumberId",
            ),
        ] {
            let mut request = set.clone();
            request.extra.insert(key.into(), value);
            let text = dial_body(&request, &with_number).unwrap_err().to_string();
            assert!(
                text.contains(&format!("`extra` key `{key}` stands in for `{ours}`")),
                "{text}"
            );
        }
        // In place of the options' defaults, it is the call's own: a squad or a workflow
        // with no assistant configured at all, or beside a default assistant (not sent).
        for defaults in [&VapiOptions::default(), &with_number] {
            for (key, value) in [
                ("squadId", json!("sq-1")),
                ("workflowId", json!("wf-1")),
                ("assistant", json!({"firstMessage": "Hi"})),
            ] {
                let mut request = DialRequest::to("+14155550123");
                request.extra.insert(key.into(), value.clone());
                let body = dial_body(&request, defaults).unwrap();
                assert_eq!(body.get(key), Some(&value));
                assert!(!body.contains_key("assistantId"), "{body:?}");
            }
        }
        let mut transient = DialRequest::to("+14155550123");
        let number = json!({"provider": "twilio", "number": "+14155550100"});
        transient.extra.insert("phoneNumber".into(), number.clone());
        let body = dial_body(&transient, &with_number).unwrap();
        assert_eq!(body.get("phoneNumber"), Some(&number));
        assert!(!body.contains_key("phoneNumberId"), "{body:?}");
        let mut batch = DialRequest::to("+14155550123");
        batch.extra.insert(
            "customers".into(),
            json!([{"number": "+1"}, {"number": "+2"}]),
        );
        let text = dial_body(&batch, &with_number).unwrap_err().to_string();
        assert!(text.contains("a batch of calls"), "{text}");
    }

    /// `extra.customer` adds the customer's details beside the number (or SIP URI) that
    /// `to` gives, and never names another party to call: `number` and `sipUri` are
    /// refused, whichever of them `to` set.
    #[test]
    fn extra_customer_is_merged_beside_the_party_called() {
        let options = VapiOptions {
            assistant_id: Some("a".into()),
            phone_number_id: None,
        };
        let details = json!({"name": "Dana Whitfield", "email": "dana@example.com",
            "externalId": "crm-5521", "extension": "204", "numberE164CheckEnabled": false});
        let sip = "sip:frontdesk@pbx.example.com";
        for (to, called) in [
            ("+1 (415) 555-0123", json!({"number": "+14155550123"})),
            (sip, json!({"sipUri": sip})),
        ] {
            let mut request = DialRequest::to(to);
            request.extra.insert("customer".into(), details.clone());
            let body = dial_body(&request, &options).unwrap();
            let mut expected = details.clone();
            for (key, value) in called.as_object().unwrap() {
                expected[key] = value.clone();
            }
            assert_eq!(body["customer"], expected);
        }
        for (to, field, said) in [
            (
                "+14155550123",
                "number",
                "`extra` key `customer.number` collides",
            ),
            (sip, "sipUri", "`extra` key `customer.sipUri` collides"),
            (
                "+14155550123",
                "sipUri",
                "`extra` key `customer.sipUri` stands in for `customer.number`",
            ),
            (
                sip,
                "number",
                "`extra` key `customer.number` stands in for `customer.sipUri`",
            ),
        ] {
            let mut request = DialRequest::to(to);
            let mut customer = details.clone();
            customer[field] = json!("+19995550100");
            request.extra.insert("customer".into(), customer);
            let err = dial_body(&request, &options).unwrap_err();
            assert!(
                matches!(
                    &err,
                    Error::InvalidRequest {
                        status: None,
                        operation: Operation::Dial,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(err.to_string().contains(said), "{err}");
        }
    }

    #[test]
    fn list_params_and_cursor_window() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            list_params(&CallQuery::default()).unwrap(),
            [("limit", "100".to_owned())]
        );
        let query = CallQuery {
            page_size: Some(5000),
            since: Some(at("2026-01-01T00:00:00Z")),
            until: Some(at("2026-03-01T00:00:00Z")),
            agent_id: Some(AgentId::new("a1")),
            cursor: Some(PageCursor::CreatedBefore {
                before: at("2026-02-01T00:00:00Z"),
            }),
            ..Default::default()
        };
        assert_eq!(
            list_params(&query).unwrap(),
            [
                ("limit", "1000".to_owned()),
                ("createdAtLt", "2026-02-01T00:00:00.000Z".to_owned()),
                ("createdAtGe", "2026-01-01T00:00:00.000Z".to_owned()),
                ("assistantId", "a1".to_owned()),
            ]
        );
        let query = CallQuery {
            page_size: Some(0),
            ..Default::default()
        };
        assert_eq!(list_params(&query).unwrap(), [("limit", "1".to_owned())]);
        // This adapter's own cursor: its end, and room in the `limit` for the calls seen.
        let token = json!({"before": "2026-02-01T00:00:00.251Z", "seen": ["a", "b"]});
        let query = CallQuery {
            page_size: Some(10),
            until: Some(at("2026-03-01T00:00:00Z")),
            cursor: Some(PageCursor::Token {
                token: token.to_string(),
            }),
            ..Default::default()
        };
        assert_eq!(
            list_params(&query).unwrap(),
            [
                ("limit", "12".to_owned()),
                ("createdAtLt", "2026-02-01T00:00:00.251Z".to_owned()),
            ]
        );
        // An `until` inside a millisecond: the end sent is the next one, not the one cut
        // down, which would leave out a call of its millisecond created before it.
        let query = CallQuery {
            until: Some(at("2026-03-01T00:00:00.123456Z")),
            ..Default::default()
        };
        assert_eq!(
            list_params(&query).unwrap()[1],
            ("createdAtLt", "2026-03-01T00:00:00.124Z".to_owned())
        );
        let foreign = CallQuery {
            cursor: Some(PageCursor::Offset { skip: 5 }),
            ..Default::default()
        };
        assert!(matches!(
            list_params(&foreign),
            Err(Error::InvalidRequest { .. })
        ));
    }
}
