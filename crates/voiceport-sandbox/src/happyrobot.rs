//! HappyRobot's legacy app API (`/api/v1`), as docs/vendors/happyrobot.md describes it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use voiceport_core::Direction;

use crate::common::{
    Ctx, JsonObject, error, iso, json_response, object, optional, parse_time, plus_number, text,
    time_params,
};
use crate::content::{Who, conversation, cost, four_places, recording_url};
use crate::sim::{Outcome, Phase, SimCall, SimNote, SimRating, View};
use crate::store::DialSpec;
use crate::webhooks::{Outgoing, Stage};

const ORGANIZATION: &str = "6650aa00aa00aa00aa00aa00";
const USE_CASE: &str = "6650bb00bb00bb00bb00bb00";

pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/calls", get(list))
        .route("/calls/tags", get(tags))
        .route("/calls/export", post(export))
        .route("/calls/{id}", get(get_call).delete(delete_call))
        .route("/calls/{id}/transcript", get(transcript))
        .route("/calls/{id}/recording", get(recording))
        .route("/calls/{id}/logs", get(logs))
        .route("/calls/{id}/stop", post(stop))
        .route("/calls/{id}/cancel", post(cancel))
        .route("/calls/{id}/notes", post(add_note))
        .route(
            "/calls/{id}/notes/{note_id}",
            patch(update_note).delete(delete_note),
        )
        .route("/calls/{id}/viewed", patch(viewed))
        .route("/calls/{id}/ratings", patch(rating))
        .route("/dial/outbound", post(dial))
        .with_state(ctx)
}

/// The platform API's usage endpoint (another host in production).
pub(crate) fn platform_router(ctx: Ctx) -> Router {
    Router::new().route("/usage", get(usage)).with_state(ctx)
}

/// The call's `status`. A call stopped before anyone answered is `Canceled` (inferred).
fn status(view: &View) -> &'static str {
    match view.phase {
        Phase::Ended(Outcome::EndedByApi) if view.started_at.is_none() => "Canceled",
        Phase::Scheduled => "Scheduled",
        Phase::Queued => "Queued",
        Phase::Dialing => "Initiated",
        Phase::Ringing => "Ringing",
        Phase::InProgress => "In progress",
        Phase::Canceled => "Canceled",
        Phase::Ended(outcome) => match outcome {
            Outcome::Transferred => "Transferred",
            Outcome::NoAnswer => "No answer",
            Outcome::Busy => "Busy",
            Outcome::Voicemail => "AMD Terminated",
            Outcome::Failed => "Failed",
            _ => "Completed",
        },
    }
}

/// The use-case hook HappyRobot posts when a call ends: `{type: "end", call, content}`,
/// `content.messages` being the conversation in OpenAI's shape (the one
/// `GET /calls/{id}/transcript` gives, without ids and times; required by HappyRobot's
/// package, so an unanswered call's is empty) and `content.tools` what each tool was called
/// for (its shape, `{name: {calls, last_result}}`, is inferred: the package types it as an
/// object).
pub(crate) fn end_delivery(call: &SimCall, view: &View) -> Value {
    let mut content = json!({ "messages": [] });
    if view.has_conversation() {
        let talk = view.duration_secs.unwrap_or(0.0);
        let mut tools = Map::new();
        for line in conversation(call.content_seed, talk).lines {
            if let (Who::ToolResult, Some((name, _))) = (line.who, &line.tool) {
                let calls = tools
                    .get(*name)
                    .and_then(|t| t.get("calls"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let result = serde_json::from_str(&line.text).unwrap_or(json!(line.text));
                tools.insert(
                    (*name).to_owned(),
                    json!({ "calls": calls + 1, "last_result": result }),
                );
            }
        }
        content = json!({
            "messages": transcript_messages(call, view, false),
            "tools": tools,
        });
    }
    json!({"type": "end", "call": render(call, view), "content": content})
}

/// The use-case hooks HappyRobot posts when a dialed call reaches `stage`: `start` once it
/// is answered (with where its recording will be), `end` once it is over. Nothing when it
/// starts ringing; a call nobody answered gets only its `end` (the docs name start, end
/// and failure hooks, but only the `start` and `end` types). The hooks carry no time of
/// their own.
pub(crate) fn stage_deliveries(call: &SimCall, view: &View, stage: Stage) -> Vec<Outgoing> {
    let status = Some(status(view));
    match stage {
        Stage::Ringing => Vec::new(),
        Stage::InProgress => vec![Outgoing::new(
            "start",
            status,
            json!({
                "type": "start",
                "call": render(call, view),
                "content": { "recording": recording_url("happyrobot", &call.id, false) },
            }),
        )],
        Stage::Ended => vec![Outgoing::new("end", status, end_delivery(call, view))],
    }
}

fn render(call: &SimCall, view: &View) -> Value {
    let talk = view.duration_secs.unwrap_or(0.0);
    let conversation = view
        .has_conversation()
        .then(|| conversation(call.content_seed, talk));
    let costs = view.has_conversation().then(|| {
        let parts = cost(talk);
        let total: f64 = parts.iter().map(|(_, c)| c).sum();
        let mut costs =
            json!({ "created": view.ended_at.map(iso), "total_costs": four_places(total) });
        for (name, amount) in parts {
            costs[name] =
                json!({ "total_cost": amount, "pricing_id": format!("price_{name}_2026") });
        }
        costs
    });
    let mut metadata = json!({
        "tags": call.tags,
        "custom": call.metadata,
    });
    if !call.web {
        metadata["call_sid"] = json!(format!("CA{}", &call.id));
        metadata["from"] = json!(call.from);
        metadata["to"] = json!(call.to);
        if view.has_conversation() {
            metadata["recording_sid"] = json!(format!("RE{}", &call.id));
        }
    }
    json!({
        "id": call.id,
        "organization_id": ORGANIZATION,
        "type": call_type(call),
        "status": status(view),
        "provider": if call.web { "Web" } else { "Twilio" },
        "metadata": metadata,
        "use_case": { "id": use_case(call), "organization_id": ORGANIZATION, "name": "Sandbox outreach", "language": "en-US", "model": MODEL },
        "agent": { "id": call.agent_id, "name": call.agent_name },
        "language": call.language.as_deref().unwrap_or("en-US"),
        "max_duration_mins": call.max_talk.map(|max| max.as_secs() / 60),
        "params": call.variables,
        "extraction": conversation.as_ref().map(|c| Value::Object(c.extracted.clone())),
        "classification": conversation.as_ref().map(|c| json!({ "tag": c.classification.0, "reasoning": c.classification.1 })),
        "created": iso(call.created_at),
        "duration": view.duration_secs.map(|d| (d * 100.0).round() / 100.0),
        "viewed_by": call.viewed_by,
        "notes": call.notes.iter().map(|n| json!({
            "id": n.id, "user_id": n.user_id, "content": n.content, "flagged": n.flagged, "created_at": iso(n.created_at),
        })).collect::<Vec<_>>(),
        "ratings": call.ratings.iter().map(|r| json!({ "emoji": r.emoji, "email": r.email, "created": iso(r.created_at) })).collect::<Vec<_>>(),
        "scheduled_for": call.scheduled_for.map(iso),
        "campaign_id": call.campaign_id,
        "costs": costs,
    })
}

/// The model every sandbox use case runs (the list's `models` filter).
const MODEL: &str = "gpt-4o";

/// The call's `type` (the list's `type` filter).
fn call_type(call: &SimCall) -> &'static str {
    if call.direction == Direction::Inbound {
        "Inbound"
    } else {
        "Outbound"
    }
}

/// The use case that runs `call`.
fn use_case(call: &SimCall) -> &str {
    call.use_case.as_deref().unwrap_or(USE_CASE)
}

fn not_found(ctx: &Ctx) -> Response {
    error(ctx.vendor, StatusCode::NOT_FOUND, "Call not found", &[])
}

/// A 400 saying `message`.
fn bad_request(ctx: &Ctx, message: &str) -> Response {
    error(ctx.vendor, StatusCode::BAD_REQUEST, message, &[])
}

/// Runs `f` on the call under a read lock and answers with what it returns.
fn with_call(ctx: &Ctx, id: &str, f: impl FnOnce(&SimCall, &View) -> Response) -> Response {
    match ctx.calls().get(id) {
        Some(call) => f(call, &ctx.view(call)),
        None => not_found(ctx),
    }
}

/// Changes the call under a write lock, then answers with the call.
fn update_call(
    ctx: &Ctx,
    id: &str,
    f: impl FnOnce(&mut SimCall, &View) -> Result<(), Response>,
) -> Response {
    let mut calls = ctx.calls_mut();
    let Some(call) = calls.get_mut(id) else {
        return not_found(ctx);
    };
    let view = ctx.view(call);
    if let Err(response) = f(call, &view) {
        return response;
    }
    json_response(StatusCode::OK, render(call, &ctx.view(call)))
}

async fn get_call(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    with_call(&ctx, &id, |call, view| {
        json_response(StatusCode::OK, render(call, view))
    })
}

fn split(value: Option<&String>) -> Vec<&str> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

async fn list(
    State(ctx): State<Ctx>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let number = |key: &str, default: usize| -> Result<usize, Response> {
        match params.get(key) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| bad_request(&ctx, &format!("{key} must be a number"))),
        }
    };
    // The default page size is the sandbox's guess (inferred): HappyRobot documents none.
    let (limit, skip) = match (number("limit", 100), number("skip", 0)) {
        (Ok(limit), Ok(skip)) => (limit, skip),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    let direction = params.get("type").map(String::as_str);
    let statuses = split(params.get("statuses"));
    let tags = split(params.get("tags"));
    let campaigns = split(params.get("campaigns"));
    let use_cases = split(params.get("use_cases"));
    let models = split(params.get("models"));
    let ratings = split(params.get("ratings"));
    let transfer_contact = params.get("transfer_contact_email");
    let [from, to] = match time_params(&params, ["from", "to"]) {
        Ok(times) => times,
        Err(key) => return bad_request(&ctx, &format!("{key} must be an ISO 8601 date")),
    };
    let search = params.get("search").map(|s| s.to_lowercase());
    let ascending = params.get("sort").map(String::as_str) == Some("asc");

    let store = ctx.calls();
    let now = Instant::now();
    let timing = ctx.state.timing;
    let keep = |call: &&SimCall| {
        let view = call.view(now, &timing);
        direction.is_none_or(|d| d == call_type(call))
            && (statuses.is_empty() || statuses.contains(&status(&view)))
            && (tags.is_empty() || call.tags.iter().any(|t| tags.contains(&t.as_str())))
            && (use_cases.is_empty() || use_cases.contains(&use_case(call)))
            && (models.is_empty() || models.contains(&MODEL))
            && (ratings.is_empty() || call.ratings.iter().any(|r| ratings.contains(&r.emoji.as_str())))
            // No sandbox call is handed to a transfer contact.
            && transfer_contact.is_none()
            && (campaigns.is_empty()
                || call
                    .campaign_id
                    .as_deref()
                    .is_some_and(|c| campaigns.contains(&c)))
            && from.is_none_or(|t| call.created_at >= t)
            && to.is_none_or(|t| call.created_at < t)
            && search.as_deref().is_none_or(|needle| {
                [&call.from, &call.to]
                    .iter()
                    .any(|n| n.as_deref().is_some_and(|n| n.contains(needle)))
                    || (view.has_conversation()
                        && conversation(call.content_seed, 0.0)
                            .extracted
                            .values()
                            .any(|v| v.to_string().to_lowercase().contains(needle)))
            })
    };
    let matching: Vec<&SimCall> = if ascending {
        store
            .calls
            .iter()
            .filter(|c| !c.deleted)
            .filter(keep)
            .collect()
    } else {
        store.newest_first().filter(keep).collect()
    };
    let calls: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(limit)
        .map(|call| render(call, &call.view(now, &timing)))
        .collect();
    // The envelope the docs' sample shows; only `count` is confirmed (an older one had
    // `{calls, count, currentPage}`): `limit` and `offset` are inferred from that sample.
    json_response(
        StatusCode::OK,
        json!({ "calls": calls, "count": matching.len(), "limit": limit, "offset": skip }),
    )
}

/// The conversation as HappyRobot's messages: a system prompt, then each line. With
/// `ids_and_times`, as the transcript endpoint gives them (`id`, `start`, `end`: seconds
/// from the call's `start_time`, one reading of units the docs' versions disagree on,
/// inferred; the adapter reads unix times too); without, as the `end` hook's
/// `content.messages`.
fn transcript_messages(call: &SimCall, view: &View, ids_and_times: bool) -> Vec<Value> {
    let mut messages = Vec::new();
    if !view.has_conversation() {
        return messages;
    }
    let talk = view.duration_secs.unwrap_or(0.0);
    let prefix = &call.id[..16.min(call.id.len())];
    let mut push = |i: usize, start: f64, end: f64, mut message: Value| {
        if ids_and_times {
            message["id"] = json!(format!("{prefix}m{i}"));
            message["start"] = json!(start);
            message["end"] = json!(end);
        }
        messages.push(message);
    };
    let conversation = conversation(call.content_seed, talk);
    // The agent's prompt, naming the agent the conversation's first line introduces.
    push(
        0,
        0.0,
        0.0,
        json!({ "role": "system", "content": conversation.prompt }),
    );
    for (i, line) in conversation.lines.iter().enumerate() {
        let message = match (line.who, &line.tool) {
            (Who::Agent, _) => json!({ "role": "assistant", "content": line.text }),
            (Who::Customer, _) => json!({ "role": "user", "content": line.text }),
            (Who::ToolCall, Some((name, tool_id))) => json!({ "role": "assistant", "content": "",
                "tool_calls": [{ "type": "function", "id": tool_id, "function": { "name": name, "arguments": line.text } }] }),
            (_, tool) => json!({ "role": "tool", "content": line.text,
                "name": tool.as_ref().map(|t| t.0), "tool_call_id": tool.as_ref().map(|t| t.1.clone()) }),
        };
        push(i + 1, line.start, line.end, message);
    }
    messages
}

async fn transcript(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    with_call(&ctx, &id, |call, view| {
        let messages = transcript_messages(call, view, true);
        json_response(
            StatusCode::OK,
            json!({
                "id": format!("{}t", &call.id[..23.min(call.id.len())]),
                "organization_id": ORGANIZATION,
                "call_id": call.id,
                "start_time": view.started_at.map(|t| t.timestamp()),
                "messages": messages,
            }),
        )
    })
}

async fn recording(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    with_call(&ctx, &id, |call, view| {
        if view.has_conversation() {
            json_response(
                StatusCode::OK,
                json!({ "url": recording_url("happyrobot", &call.id, false) }),
            )
        } else {
            error(
                ctx.vendor,
                StatusCode::NOT_FOUND,
                "Recording not found",
                &[],
            )
        }
    })
}

async fn logs(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    with_call(&ctx, &id, |call, view| {
        let mut logs = vec![
            json!({ "time": iso(call.created_at), "level": "info", "message": "call created" }),
        ];
        if let Some(started) = view.started_at {
            logs.push(json!({ "time": iso(started), "level": "info", "message": "call answered" }));
        }
        if let Some(ended) = view.ended_at {
            logs.push(json!({ "time": iso(ended), "level": "info", "message": format!("call ended: {}", status(view)) }));
        }
        json_response(StatusCode::OK, Value::Array(logs))
    })
}

async fn tags(State(ctx): State<Ctx>) -> Response {
    let store = ctx.calls();
    let tags: BTreeSet<&str> = store
        .newest_first()
        .flat_map(|c| c.tags.iter().map(String::as_str))
        .collect();
    json_response(StatusCode::OK, json!(tags))
}

/// `POST /calls/export` starts an export HappyRobot emails: the answer's text is the
/// sandbox's (inferred), as HappyRobot documents no body for it.
async fn export(State(ctx): State<Ctx>) -> Response {
    let _ = ctx;
    json_response(
        StatusCode::OK,
        json!({ "message": "Export started; the CSV will be emailed to you" }),
    )
}

/// `POST /calls/{id}/stop` (named in HappyRobot's sidebar, path from third-party code)
/// ends a live call. A call that is not live is refused with a 400 `Call is not in
/// progress`: the status and the text are the sandbox's guess (inferred), as HappyRobot
/// documents no error body or status for this endpoint, nor for any other.
async fn stop(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    update_call(&ctx, &id, |call, view| match view.phase {
        phase if phase.is_live() => {
            call.forced = Some((Phase::Ended(Outcome::EndedByApi), Utc::now()));
            Ok(())
        }
        _ => Err(bad_request(&ctx, "Call is not in progress")),
    })
}

/// `POST /calls/{id}/cancel` (named in HappyRobot's sidebar; path and behaviour inferred)
/// cancels a scheduled or queued call. Any other is refused with a 400 `Only scheduled or
/// queued calls can be canceled`: the status and the text are the sandbox's guess
/// (inferred), as HappyRobot documents no error body or status.
async fn cancel(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    update_call(&ctx, &id, |call, view| match view.phase {
        Phase::Scheduled | Phase::Queued => {
            call.forced = Some((Phase::Canceled, Utc::now()));
            Ok(())
        }
        _ => Err(bad_request(
            &ctx,
            "Only scheduled or queued calls can be canceled",
        )),
    })
}

/// `DELETE /calls/{id}`: the answer's `{message}` is the sandbox's (inferred), as
/// HappyRobot documents no body for it.
async fn delete_call(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    match ctx.calls_mut().get_mut(&id) {
        Some(call) => {
            call.deleted = true;
            json_response(StatusCode::OK, json!({ "message": "Call deleted" }))
        }
        None => not_found(&ctx),
    }
}

/// The `content` and `flagged` of a note body, each `None` when the body leaves it out.
fn note_fields(
    ctx: &Ctx,
    body: Option<Map<String, Value>>,
) -> Result<(Option<String>, Option<bool>), Response> {
    let map = body.ok_or_else(|| bad_request(ctx, "body must be a JSON object"))?;
    Ok((
        text(&map, "content"),
        map.get("flagged").and_then(Value::as_bool),
    ))
}

async fn add_note(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Response {
    let (content, flagged) = match note_fields(&ctx, body) {
        Ok((Some(content), flagged)) => (content, flagged.unwrap_or(false)),
        Ok((None, _)) => return bad_request(&ctx, "content is required"),
        Err(response) => return response,
    };
    let note_id = ctx.state.note_id(ctx.vendor);
    update_call(&ctx, &id, |call, _| {
        call.notes.push(SimNote {
            id: note_id,
            user_id: "6650dd00dd00dd00dd00dd00".into(),
            content,
            flagged,
            created_at: Utc::now(),
        });
        Ok(())
    })
}

async fn update_note(
    State(ctx): State<Ctx>,
    Path((id, note_id)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Response {
    // A PATCH changes what it names: a body without `flagged` leaves the flag as it is
    // (inferred: the docs give the whole note as the body and say nothing of omissions).
    let (content, flagged) = match note_fields(&ctx, body) {
        Ok((None, None)) => return bad_request(&ctx, "give content or flagged"),
        Ok(fields) => fields,
        Err(response) => return response,
    };
    update_call(&ctx, &id, |call, _| {
        match call.notes.iter_mut().find(|n| n.id == note_id) {
            Some(note) => {
                if let Some(content) = content {
                    note.content = content;
                }
                if let Some(flagged) = flagged {
                    note.flagged = flagged;
                }
                Ok(())
            }
            None => Err(error(
                ctx.vendor,
                StatusCode::NOT_FOUND,
                "Note not found",
                &[],
            )),
        }
    })
}

async fn delete_note(
    State(ctx): State<Ctx>,
    Path((id, note_id)): Path<(String, String)>,
) -> Response {
    update_call(&ctx, &id, |call, _| {
        let before = call.notes.len();
        call.notes.retain(|n| n.id != note_id);
        if call.notes.len() == before {
            Err(error(
                ctx.vendor,
                StatusCode::NOT_FOUND,
                "Note not found",
                &[],
            ))
        } else {
            Ok(())
        }
    })
}

async fn viewed(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Response {
    let Some(email) = body.and_then(|m| text(&m, "email")) else {
        return bad_request(&ctx, "email is required");
    };
    update_call(&ctx, &id, |call, _| {
        if !call.viewed_by.contains(&email) {
            call.viewed_by.push(email);
        }
        Ok(())
    })
}

async fn rating(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Response {
    let map = body.unwrap_or_default();
    let (Some(emoji), Some(email), Some(operation)) = (
        text(&map, "emoji"),
        text(&map, "email"),
        text(&map, "operation"),
    ) else {
        return bad_request(&ctx, "emoji, email and operation are required");
    };
    // The three the API reference lists (`✅` inferred: the first option shows blank
    // there): an adapter sending another (mis-encoded, say) is refused as the vendor's
    // validation would.
    if !["✅", "👎", "🚨"].contains(&emoji.as_str()) {
        return bad_request(&ctx, "emoji must be one of ✅, 👎, 🚨");
    }
    let mut calls = ctx.calls_mut();
    let Some(call) = calls.get_mut(&id) else {
        return not_found(&ctx);
    };
    match operation.as_str() {
        "add" => call.ratings.push(SimRating {
            emoji,
            email,
            created_at: Utc::now(),
        }),
        "remove" => call
            .ratings
            .retain(|r| !(r.emoji == emoji && r.email == email)),
        _ => return bad_request(&ctx, "operation must be add or remove"),
    }
    // The documented answer: HTTP 200 with no body.
    Response::new(axum::body::Body::empty())
}

/// A dial's `scheduled_for`: `Ok(None)` when absent or null (dial now); `Err` when it
/// does not read as an RFC 3339 time, which is refused rather than dialed at once.
fn scheduled_for(map: &Map<String, Value>) -> Result<Option<DateTime<Utc>>, ()> {
    optional(map, "scheduled_for", |at| at.as_str().and_then(parse_time))
}

/// The one number the sandbox's organization has bought (the `number_id` option of its
/// configuration).
pub(crate) const NUMBER_ID: &str = "6650cc00cc00cc00cc00cc01";

async fn dial(State(ctx): State<Ctx>, JsonObject(body): JsonObject) -> Response {
    let Some(map) = body else {
        return bad_request(&ctx, "body must be a JSON object");
    };
    let (Some(to), Some(number_id)) = (text(&map, "phone_number"), text(&map, "number_id")) else {
        return bad_request(&ctx, "phone_number and number_id are required");
    };
    // A number the organization has not bought places no call (the status and message
    // are inferred: HappyRobot documents neither).
    if number_id != NUMBER_ID {
        return bad_request(&ctx, "number_id is not a number of this organization");
    }
    if !plus_number(&to) {
        return bad_request(&ctx, "phone_number must be E.164");
    }
    let Ok(scheduled_for) = scheduled_for(&map) else {
        return bad_request(&ctx, "scheduled_for must be an ISO 8601 date");
    };
    let params = match map.get("params") {
        Some(Value::Object(params)) => params.clone(),
        _ => Map::new(),
    };
    // The status and message are inferred, as for the number: the adapter sends only
    // positive whole minutes.
    let max_talk = match map.get("max_duration_mins") {
        None | Some(Value::Null) => None,
        Some(minutes) => match minutes.as_u64().filter(|m| (1..=1440).contains(m)) {
            Some(minutes) => Some(Duration::from_secs(minutes * 60)),
            None => return bad_request(&ctx, "max_duration_mins must be 1 to 1440 minutes"),
        },
    };
    let spec = DialSpec {
        to,
        from: Some("+16285550100".into()),
        number_id: None,
        transient_number: false,
        agent_id: text(&map, "agent_id"),
        use_case: text(&map, "use_case_id"),
        campaign_id: text(&map, "campaign_id"),
        scheduled_for,
        metadata: object(&map, "metadata"),
        variables: params,
        name: None,
        max_talk,
        language: text(&map, "language"),
    };
    ctx.place(spec, |call, view| {
        json_response(StatusCode::OK, dial_answer(render(call, view)))
    })
}

/// The fields of a call the dial's answer carries: those of the docs' example of it, and
/// the `status` (not in the example: inferred, as the adapter's fixture of a dial answer
/// does). Not the call's `type`, `provider`, `agent`, `language` or `viewed_by`, which a
/// client learns by reading the call.
const DIAL_ANSWER_FIELDS: [&str; 7] = [
    "id",
    "organization_id",
    "status",
    "metadata",
    "use_case",
    "params",
    "created",
];

/// A rendered call cut to [`DIAL_ANSWER_FIELDS`].
fn dial_answer(call: Value) -> Value {
    match call {
        Value::Object(mut fields) => {
            fields.retain(|name, _| DIAL_ANSWER_FIELDS.contains(&name.as_str()));
            Value::Object(fields)
        }
        other => other,
    }
}

/// The usage of the calls created within `start` and `end` (date-times, each optional:
/// without them every call counts, and the row names the seeded history's span), as one
/// row. `x-organization-id` is taken and not required: HappyRobot's schema marks it
/// required, its description says only a user of several organizations needs it (the
/// sandbox's account has one).
async fn usage(
    State(ctx): State<Ctx>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let bound = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
        let Some(text) = params.get(name) else {
            return Ok(None);
        };
        match DateTime::parse_from_rfc3339(text) {
            Ok(at) => Ok(Some(at.with_timezone(&Utc))),
            Err(_) => Err(format!("{name} must be a date-time")),
        }
    };
    let (start, end) = match (bound("start"), bound("end")) {
        (Ok(start), Ok(end)) => (start, end),
        (Err(message), _) | (_, Err(message)) => return bad_request(&ctx, &message),
    };
    let within = |at: DateTime<Utc>| start.is_none_or(|s| s <= at) && end.is_none_or(|e| at < e);
    let now = Instant::now();
    let (calls, seconds) = ctx
        .calls()
        .newest_first()
        .filter(|call| within(call.created_at))
        .fold((0u64, 0.0), |(n, s), call| {
            (
                n + 1,
                s + call
                    .view(now, &ctx.state.timing)
                    .duration_secs
                    .unwrap_or(0.0),
            )
        });
    json_response(
        StatusCode::OK,
        json!([{
            "org_id": "0196f0a2-0000-7000-8000-000000000001",
            "use_case_id": "0196f0a2-0000-7000-8000-000000000002",
            "start": start.map_or_else(|| "2026-08-01T00:00:00Z".to_owned(), iso),
            "end": end.map_or_else(|| "2026-11-01T00:00:00Z".to_owned(), iso),
            "calls": calls,
            "minutes": (seconds / 60.0).round(),
        }]),
    )
}
