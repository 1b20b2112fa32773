//! Rounded (`/v1`, every response in a `{message, data, error, status}` envelope), as
//! docs/vendors/rounded.md describes it. Status values other than `created` and `completed`, and
//! answer types other than `human`, are not documented: the ones used here are inferred.

use std::collections::HashMap;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use voiceport_core::Direction;

use crate::common::{
    Ctx, JsonObject, error, iso, json_response, parse_time, plus_number, text, time_params,
};
use crate::content::{Who, conversation, cost, recording_url, transcript_text};
use crate::sim::{Outcome, Phase, SimCall, View};
use crate::store::{DialSpec, has_agent};
use crate::webhooks::{Outgoing, Stage};

const ORGANIZATION: &str = "123e4567-e89b-12d3-a456-426614174001";

pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/calls", get(list))
        .route("/calls/phone", post(dial))
        .route("/calls/{id}", get(get_call).patch(update))
        .route("/calls/{id}/terminate", post(terminate))
        .with_state(ctx)
}

fn envelope(status: StatusCode, message: &str, data: Value) -> Response {
    json_response(
        status,
        json!({ "message": message, "data": data, "error": null, "status": status.as_u16() }),
    )
}

/// The call's `status` and `answer_type`. A call terminated before anyone answered is
/// `canceled` (inferred: Rounded documents only `created` and `completed`).
fn status(view: &View) -> (&'static str, Option<&'static str>) {
    match view.phase {
        Phase::Ended(Outcome::EndedByApi) if view.started_at.is_none() => ("canceled", None),
        Phase::Scheduled | Phase::Queued => ("created", None),
        Phase::Dialing | Phase::Ringing => ("ringing", None),
        Phase::InProgress => ("in_progress", Some("human")),
        Phase::Canceled => ("canceled", None),
        Phase::Ended(outcome) => match outcome {
            Outcome::NoAnswer => ("no_answer", None),
            Outcome::Busy => ("busy", None),
            Outcome::Failed => ("failed", None),
            Outcome::Voicemail => ("completed", Some("voicemail")),
            _ => ("completed", Some("human")),
        },
    }
}

/// The agent webhook Rounded posts when a call ends (shapes inferred): for a phone call,
/// `event_phone_call_ended` when it was answered, else `event_phone_call_did_not_connect`;
/// for a web call, `event_web_call_ended` (Rounded's list of agent webhooks has no web
/// call that did not connect).
pub(crate) fn end_delivery(call: &SimCall, view: &View) -> Value {
    let event = if call.web {
        "event_web_call_ended"
    } else if view.has_conversation() {
        "event_phone_call_ended"
    } else {
        "event_phone_call_did_not_connect"
    };
    json!({
        "event": event,
        "timestamp": view.ended_at.map(iso),
        "data": render(call, view, true, true),
    })
}

/// The agent webhooks Rounded posts when a dialed call reaches `stage` (shapes inferred,
/// as [`end_delivery`]'s): `event_call_status_updated` with the call at each status, and
/// once it is over its end delivery ([`end_delivery`]).
pub(crate) fn stage_deliveries(
    call: &SimCall,
    view: &View,
    stage: Stage,
    at: DateTime<Utc>,
) -> Vec<Outgoing> {
    let (status, _) = status(view);
    let mut deliveries = vec![Outgoing::new(
        "event_call_status_updated",
        Some(status),
        json!({
            "event": "event_call_status_updated",
            "timestamp": iso(at),
            "data": render(call, view, false, false),
        }),
    )];
    if stage == Stage::Ended {
        let mut ended = end_delivery(call, view);
        // The time of the stage, as the status update beside it has.
        ended["timestamp"] = json!(iso(at));
        let event = ended["event"].as_str().unwrap_or_default().to_owned();
        deliveries.push(Outgoing::new(&event, Some(status), ended));
    }
    deliveries
}

/// Rounded's call types (an enum of its API).
const CALL_TYPES: [&str; 2] = [PHONE_CALL, WEB_CALL];
const PHONE_CALL: &str = "phone_call";
const WEB_CALL: &str = "web_call";

/// The `type` a call shows: one of [`CALL_TYPES`].
fn call_type(call: &SimCall) -> &'static str {
    if call.web { WEB_CALL } else { PHONE_CALL }
}

/// How long a transferred call talked after its handover (`redirect_duration_seconds`): the
/// last third of it, at least a second. Rounded shows a transfer only so, its status being
/// `completed` (inferred: the field is documented, not when it is set); 0 for any other
/// call, as Rounded's examples show it on calls that were not transferred.
fn redirect_secs(view: &View) -> i64 {
    let transferred = view.phase == Phase::Ended(Outcome::Transferred);
    match view.duration_secs.filter(|_| transferred) {
        Some(talked) => ((talked / 3.0).ceil() as i64).max(1),
        None => 0,
    }
}

fn render(call: &SimCall, view: &View, include_transcript: bool, include_variables: bool) -> Value {
    let (status, answer_type) = status(view);
    let mut body = json!({
        "id": call.id,
        "organization_id": ORGANIZATION,
        "type": call_type(call),
        "agent_id": call.agent_id,
        "status": status,
        "metadata": call.metadata,
        "start_time": view.started_at.map(iso),
        "end_time": view.ended_at.map(iso),
        "duration_seconds": view.duration_secs.map(|d| d.ceil() as i64),
        "redirect_duration_seconds": redirect_secs(view),
        "cost": null,
        "transcript_string": null,
        "from_number": call.from,
        "to_number": call.to,
        "direction": (!call.web).then_some(if call.direction == Direction::Inbound { "inbound" } else { "outbound" }),
        "recording_url": null,
        "answer_type": answer_type,
        "post_call_answers": [],
        "secure_recording_url": false,
    });
    if include_transcript {
        body["transcript"] = json!([]);
    }
    if include_variables {
        body["variable_values"] = json!([]);
    }
    if let (true, Some(started)) = (view.has_conversation(), view.started_at) {
        let talk = view.duration_secs.unwrap_or(0.0);
        let conversation = conversation(call.content_seed, talk);
        let at =
            |offset: f64| iso(started + chrono::TimeDelta::milliseconds((offset * 1000.0) as i64));
        body["cost"] =
            json!((cost(talk).iter().map(|(_, c)| c).sum::<f64>() * 100.0).round() / 100.0);
        body["transcript_string"] = json!(transcript_text(&conversation.lines, "Agent", "User"));
        body["recording_url"] = json!(recording_url("rounded", &call.id, false));
        // Once over, the agent's system question answered, as Rounded's examples show it.
        if view.ended_at.is_some() {
            body["post_call_answers"] = json!([post_call_answer(&call.id)]);
        }
        if include_transcript {
            body["transcript"] = conversation
                .lines
                .iter()
                .map(|line| {
                    // `user` is documented; the agent's and the tools' role names are
                    // inferred.
                    let role = match line.who {
                        Who::Agent => "agent",
                        Who::Customer => "user",
                        Who::ToolCall => "tool_call",
                        Who::ToolResult => "tool_result",
                    };
                    json!({ "role": role, "start_time": at(line.start), "content": line.text })
                })
                .collect();
        }
        if include_variables {
            let end = view.ended_at.map(iso);
            body["variable_values"] = conversation
                .extracted
                .iter()
                .map(|(name, value)| {
                    let kind = match value {
                        Value::Bool(_) => "boolean",
                        Value::Number(_) => "number",
                        _ => "string",
                    };
                    json!({ "name": name, "type": kind, "value": value, "timestamp": end })
                })
                .collect();
        }
    }
    body
}

/// The answer to the system question every Rounded agent has (`call_successful`, a
/// boolean), with ids drawn from the call's: the same call, the same answer.
fn post_call_answer(call_id: &str) -> Value {
    let seed = call_id
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    json!({
        "id": crate::rng::Rng::new(seed).uuid(),
        "question": {
            "id": CALL_SUCCESSFUL_QUESTION,
            "name": "call_successful",
            "description": "Was the caller's question answered?",
            "question_type": "boolean",
            "is_optional": false,
            "question_origin": "system",
        },
        "has_answer": true,
        "answer_text": null,
        "answer_number": null,
        "answer_boolean": true,
        "selected_options": [],
    })
}

/// The id of the account's system question `call_successful`.
const CALL_SUCCESSFUL_QUESTION: &str = "1304f9ea-c801-40d9-9a59-4809bdd57e0a";

fn not_found(ctx: &Ctx) -> Response {
    error(ctx.vendor, StatusCode::NOT_FOUND, "Call not found", &[])
}

/// A query parameter refused: 422, naming it and its `problem`.
fn invalid_query(ctx: &Ctx, field: &str, problem: &str) -> Response {
    error(
        ctx.vendor,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid query",
        &[(field, problem)],
    )
}

/// A body that is not a JSON object.
fn not_an_object(ctx: &Ctx) -> Response {
    error(
        ctx.vendor,
        StatusCode::BAD_REQUEST,
        "Invalid request body",
        &[("body", "must be a JSON object")],
    )
}

fn bad_id(ctx: &Ctx, id: &str) -> Option<Response> {
    let uuid_like = id.len() == 36
        && id
            .bytes()
            .enumerate()
            .all(|(i, b)| matches!(i, 8 | 13 | 18 | 23) == (b == b'-'));
    (!uuid_like).then(|| {
        error(
            ctx.vendor,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid call id",
            &[("call_id", "value is not a valid uuid")],
        )
    })
}

async fn get_call(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    if let Some(response) = bad_id(&ctx, &id) {
        return response;
    }
    match ctx.calls().get(&id) {
        Some(call) => envelope(
            StatusCode::OK,
            "Call retrieved successfully",
            render(call, &ctx.view(call), true, true),
        ),
        None => not_found(&ctx),
    }
}

/// A boolean query value as FastAPI (pydantic) reads one, in any case: `true`, `1`, `yes`,
/// `on`, `t`, `y` are true, `false`, `0`, `no`, `off`, `f`, `n` false, anything else
/// `None` (refused with a 422, not taken for false).
fn read_flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// The query's flags under `keys`, each its default when absent; `Err` answers the first
/// that does not read.
fn flags<const N: usize>(
    ctx: &Ctx,
    params: &HashMap<String, String>,
    keys: [(&str, bool); N],
) -> Result<[bool; N], Response> {
    let mut read = [false; N];
    for (slot, (key, default)) in read.iter_mut().zip(keys) {
        *slot = match params.get(key) {
            None => default,
            Some(value) => read_flag(value).ok_or_else(|| {
                invalid_query(
                    ctx,
                    key,
                    "Input should be a valid boolean, unable to interpret input",
                )
            })?,
        };
    }
    Ok(read)
}

/// Newest first (inferred: Rounded does not document its order). Cursor mode: `cursor` is
/// the creation time of the last call seen, the next page holds older calls. Rounded
/// documents the cursor as "the ISO-8601 datetime of the last record seen", not which of
/// its times: creation is inferred (its phone-number list pages by `created_at`; a call
/// never answered has no `start_time` to page by), and the call does not show it. Page
/// mode: 1-based `page`.
async fn list(State(ctx): State<Ctx>, Query(params): Query<HashMap<String, String>>) -> Response {
    let keys = [
        ("use_cursor", true),
        ("include_transcript", false),
        ("include_variable_values", false),
    ];
    let [use_cursor, with_transcript, with_variables] = match flags(&ctx, &params, keys) {
        Ok(flags) => flags,
        Err(response) => return response,
    };
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(limit)) if (1..=1000).contains(&limit) => limit,
        Some(_) => return invalid_query(&ctx, "limit", "must be between 1 and 1000"),
    };
    let cursor = match params.get("cursor").map(|c| parse_time(c)) {
        Some(None) => return invalid_query(&ctx, "cursor", "must be an ISO-8601 datetime"),
        Some(Some(at)) => Some(at),
        None => None,
    };
    let page = match params.get("page").map(|p| p.parse::<usize>()) {
        None => 1,
        Some(Ok(page)) if page >= 1 => page,
        Some(_) => return invalid_query(&ctx, "page", "must be at least 1"),
    };
    let call_type = params.get("call_type").map(String::as_str);
    // An enum in Rounded's API: another value fails its validation.
    if call_type.is_some_and(|t| !CALL_TYPES.contains(&t)) {
        return invalid_query(
            &ctx,
            "call_type",
            "Input should be 'phone_call' or 'web_call'",
        );
    }
    let agent = params.get("agent_id");
    let from = params.get("from_number");
    let to = params.get("to_number");
    let [after, before] = match time_params(&params, ["start_time_gt", "start_time_lt"]) {
        Ok(times) => times,
        Err(key) => return invalid_query(&ctx, key, "must be an ISO-8601 datetime"),
    };

    let store = ctx.calls();
    let now = Instant::now();
    let timing = ctx.state.timing;
    let matching: Vec<(&SimCall, View)> = store
        .newest_first()
        .filter(|c| call_type.is_none_or(|t| t == self::call_type(c)))
        .filter(|c| agent.is_none_or(|a| &c.agent_id == a))
        .filter(|c| {
            from.is_none_or(|n| c.from.as_ref() == Some(n))
                && to.is_none_or(|n| c.to.as_ref() == Some(n))
        })
        .map(|c| (c, c.view(now, &timing)))
        // The documented filters name the call's `start_time`. A call that has none (not
        // answered yet, or never) is left out by either bound, as a database comparison
        // with a null leaves it out (inferred: the docs do not say).
        .filter(|(_, view)| {
            let started = view.started_at;
            after.is_none_or(|t| started.is_some_and(|s| s > t))
                && before.is_none_or(|t| started.is_some_and(|s| s < t))
        })
        .collect();
    let render_all = |calls: &[(&SimCall, View)]| -> Vec<Value> {
        calls
            .iter()
            .map(|(c, v)| render(c, v, with_transcript, with_variables))
            .collect()
    };
    if use_cursor {
        let rest: Vec<(&SimCall, View)> = matching
            .into_iter()
            .filter(|(c, _)| cursor.is_none_or(|at| c.created_at < at))
            .collect();
        let page: Vec<(&SimCall, View)> = rest.iter().take(limit).cloned().collect();
        let next_cursor: Option<DateTime<Utc>> = (rest.len() > limit)
            .then(|| page.last().map(|(c, _)| c.created_at))
            .flatten();
        let mut body = json!({ "data": render_all(&page), "message": "Calls retrieved successfully", "error": null, "status": 200 });
        if let Some(next) = next_cursor {
            body["next_cursor"] = json!(iso(next));
        }
        json_response(StatusCode::OK, body)
    } else {
        let total = matching.len();
        let pages = total.div_ceil(limit).max(1);
        let slice: Vec<(&SimCall, View)> = matching
            .into_iter()
            // A page far past the end is empty (its offset may not fit a usize).
            .skip((page - 1).saturating_mul(limit))
            .take(limit)
            .collect();
        json_response(
            StatusCode::OK,
            json!({
                "data": render_all(&slice), "message": "Calls retrieved successfully", "error": null, "status": 200,
                "current_page": page, "total_pages": pages, "total_items": total,
            }),
        )
    }
}

async fn dial(State(ctx): State<Ctx>, JsonObject(body): JsonObject) -> Response {
    let Some(map) = body else {
        return not_an_object(&ctx);
    };
    let mut problems = Vec::new();
    // Rounded: the number "must belong to your organization".
    let from = text(&map, "from_number").filter(|n| n == crate::store::ROUNDED_FROM_NUMBER);
    let to = text(&map, "to_number").filter(|n| plus_number(n));
    let agent = text(&map, "agent_id").filter(|a| bad_id(&ctx, a).is_none());
    if from.is_none() {
        problems.push((
            "from_number",
            "must be an E.164 number of your organization",
        ));
    }
    if to.is_none() {
        problems.push(("to_number", "must be an E.164 number"));
    }
    if agent.is_none() {
        problems.push(("agent_id", "must be a valid agent UUID"));
    }
    // An agent of another organization (or a typo) is refused, as a well-formed id of
    // nothing; Rounded documents only 400 for a refused request.
    if agent
        .as_deref()
        .is_some_and(|agent| !has_agent(ctx.vendor, agent))
    {
        problems.push(("agent_id", "no agent with this id in your organization"));
    }
    let (Some(from), Some(to), Some(agent)) = (from, to, agent.filter(|_| problems.is_empty()))
    else {
        return error(
            ctx.vendor,
            StatusCode::BAD_REQUEST,
            "Validation failed",
            &problems,
        );
    };
    let variables = match map.get("dynamic_variables_values") {
        Some(Value::Object(values)) => values.clone(),
        _ => serde_json::Map::new(),
    };
    let spec = DialSpec {
        to,
        from: Some(from),
        agent_id: Some(agent),
        variables,
        ..DialSpec::default()
    };
    ctx.place(spec, |call, _| {
        envelope(
            StatusCode::CREATED,
            "Phone call started successfully",
            json!({ "call_id": call.id }),
        )
    })
}

/// `override: true` replaces the metadata (keys sent as null are stored as null);
/// `false` (the default) merges into it.
async fn update(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Response {
    if let Some(response) = bad_id(&ctx, &id) {
        return response;
    }
    let Some(map) = body else {
        return not_an_object(&ctx);
    };
    let replace = map
        .get("override")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let metadata = match map.get("metadata") {
        Some(Value::Object(metadata)) => Some(metadata.clone()),
        None | Some(Value::Null) => None,
        Some(_) => {
            return error(
                ctx.vendor,
                StatusCode::BAD_REQUEST,
                "Validation failed",
                &[("metadata", "must be an object or null")],
            );
        }
    };
    let mut calls = ctx.calls_mut();
    let Some(call) = calls.get_mut(&id) else {
        return not_found(&ctx);
    };
    match (replace, metadata) {
        (true, metadata) => call.metadata = metadata.unwrap_or_default(),
        (false, Some(metadata)) => call.metadata.extend(metadata),
        (false, None) => {}
    }
    envelope(
        StatusCode::OK,
        "Call retrieved successfully",
        render(call, &ctx.view(call), true, true),
    )
}

/// `POST /v1/calls/{call_id}/terminate`: ends a phone call; 200 whether it ended it now or
/// found it over (documented).
async fn terminate(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    if let Some(response) = bad_id(&ctx, &id) {
        return response;
    }
    let mut calls = ctx.calls_mut();
    let Some(call) = calls.get_mut(&id) else {
        return not_found(&ctx);
    };
    let view = ctx.view(call);
    // Rounded documents terminate for phone calls only, but no refusal: the 400 and its
    // text for a web call are the sandbox's guess (inferred), in Rounded's envelope.
    if call.web {
        return error(
            ctx.vendor,
            StatusCode::BAD_REQUEST,
            "Only phone calls can be terminated",
            &[],
        );
    }
    // 200 both when terminated now and when already over (documented).
    if view.phase.is_live() || view.phase == Phase::Scheduled {
        call.forced = Some((Phase::Ended(Outcome::EndedByApi), Utc::now()));
    }
    envelope(StatusCode::OK, "Call terminated successfully", Value::Null)
}
