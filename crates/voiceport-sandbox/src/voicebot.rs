//! Voicebot Studio (`/api/v1`, a Vapi-compatible schema), as reference.md §2 describes it.

use std::collections::HashMap;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use voiceport_core::Direction;

use crate::common::{Ctx, body_object, error, iso, json_response, object, parse_time, text};
use crate::content::{Who, conversation, cost, recording_url, transcript_text};
use crate::sim::{Outcome, Phase, SimCall, View};
use crate::store::DialSpec;

const ORGANIZATION: &str = "3f1e2d3c-4b5a-4697-8877-665544332211";
const PHONE_NUMBER: &str = "8c7d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f";

pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/calls", get(list).post(dial))
        .route("/calls/{id}", get(get_call).patch(update).delete(delete))
        .with_state(ctx)
}

fn status_and_reason(phase: Phase) -> (&'static str, Option<&'static str>) {
    match phase {
        Phase::Scheduled => ("scheduled", None),
        Phase::Queued => ("queued", None),
        Phase::Ringing => ("ringing", None),
        Phase::InProgress => ("in-progress", None),
        Phase::Canceled => ("ended", Some("manually-canceled")),
        Phase::Ended(outcome) => (
            "ended",
            Some(match outcome {
                Outcome::CustomerEnded => "customer-ended-call",
                Outcome::AgentEnded => "assistant-ended-call",
                Outcome::Transferred => "assistant-forwarded-call",
                Outcome::Silence => "silence-timed-out",
                Outcome::MaxDuration => "exceeded-max-duration",
                Outcome::NoAnswer => "customer-did-not-answer",
                Outcome::Busy => "customer-busy",
                Outcome::Voicemail => "voicemail",
                Outcome::Failed => {
                    "call.in-progress.error-providerfault-outbound-sip-503-service-unavailable"
                }
                Outcome::EndedByApi => "manually-canceled",
            }),
        ),
    }
}

/// The server message Vapi-style vendors post when a call ends: an `end-of-call-report`
/// whose results sit beside the call.
pub(crate) fn end_delivery(call: &SimCall, view: &View) -> Value {
    let rendered = render(call, view);
    json!({"message": {
        "type": "end-of-call-report",
        "endedReason": rendered.get("endedReason"),
        "call": rendered,
    }})
}

fn render(call: &SimCall, view: &View) -> Value {
    let (status, reason) = status_and_reason(view.phase);
    let call_type = match (call.web, call.direction) {
        (true, _) => "webCall",
        (false, Direction::Inbound) => "inboundPhoneCall",
        (false, Direction::Outbound) => "outboundPhoneCall",
    };
    let customer_number = if call.direction == Direction::Inbound {
        &call.from
    } else {
        &call.to
    };
    let mut body = json!({
        "id": call.id,
        "orgId": ORGANIZATION,
        "organizationId": ORGANIZATION,
        "type": call_type,
        "status": status,
        "endedReason": reason,
        "createdAt": iso(call.created_at),
        "updatedAt": iso(view.ended_at.or(view.started_at).unwrap_or(call.created_at)),
        "startedAt": view.started_at.map(iso),
        "endedAt": view.ended_at.map(iso),
        "assistantId": call.agent_id,
        "phoneNumberId": (!call.web).then_some(PHONE_NUMBER),
        "phoneCallProvider": (!call.web).then_some("twilio"),
        "phoneCallTransport": (!call.web).then_some("pstn"),
        "customer": customer_number.as_ref().map(|n| json!({ "number": n })),
        "name": call.name,
        "campaignId": call.campaign_id,
        "schedulePlan": call.scheduled_for.map(|at| json!({ "earliestAt": iso(at) })),
        "messages": [],
        "transcript": null,
        "recordingUrl": null,
        "stereoRecordingUrl": null,
        "summary": null,
        "analysis": null,
        "cost": null,
        "costBreakdown": null,
    });
    if view.has_conversation() {
        let talk = view.duration_secs.unwrap_or(0.0);
        let talk_ms = view.started_at.map(|t| t.timestamp_millis()).unwrap_or(0) as f64;
        let conversation = conversation(call.content_seed, talk);
        let messages: Vec<Value> = conversation
            .lines
            .iter()
            .map(|line| {
                let time = talk_ms + line.start * 1000.0;
                let end = talk_ms + line.end * 1000.0;
                match (line.who, &line.tool) {
                    (Who::Agent, _) => json!({ "role": "bot", "message": line.text, "time": time, "endTime": end,
                        "secondsFromStart": line.start, "duration": end - time, "source": "" }),
                    (Who::Customer, _) => json!({ "role": "user", "message": line.text, "time": time, "endTime": end,
                        "secondsFromStart": line.start, "duration": end - time }),
                    (Who::ToolCall, Some((name, id))) => json!({ "role": "tool_calls", "time": time, "secondsFromStart": line.start,
                        "toolCalls": [{ "id": id, "type": "function", "function": { "name": name, "arguments": line.text } }] }),
                    (_, tool) => json!({ "role": "tool_call_result", "time": time, "secondsFromStart": line.start,
                        "toolCallId": tool.as_ref().map(|t| t.1.clone()), "name": tool.as_ref().map(|t| t.0), "result": line.text }),
                }
            })
            .collect();
        let parts = cost(talk);
        let total: f64 = parts.iter().map(|(_, c)| c).sum();
        let total = (total * 10_000.0).round() / 10_000.0;
        body["messages"] = json!(messages);
        body["transcript"] = json!(transcript_text(&conversation.lines, "AI", "User"));
        body["recordingUrl"] = json!(recording_url("voicebot", &call.id, false));
        body["stereoRecordingUrl"] = json!(recording_url("voicebot", &call.id, true));
        body["summary"] = json!(conversation.summary);
        body["analysis"] = json!({
            "summary": conversation.summary,
            "successEvaluation": if conversation.success { "true" } else { "false" },
            "structuredData": conversation.extracted,
        });
        body["cost"] = json!(total);
        body["costBreakdown"] = json!({
            "transport": parts[0].1, "stt": parts[1].1, "llm": parts[2].1, "tts": parts[3].1, "vapi": 0.0, "total": total,
        });
    }
    body
}

fn not_found(ctx: &Ctx) -> Response {
    error(ctx.vendor, StatusCode::NOT_FOUND, "Call not found", &[])
}

async fn get_call(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    let store = ctx
        .state
        .store(ctx.vendor)
        .read()
        .unwrap_or_else(|p| p.into_inner());
    match store.get(&id) {
        Some(call) => json_response(
            StatusCode::OK,
            render(call, &call.view(Instant::now(), &ctx.state.timing)),
        ),
        None => not_found(&ctx),
    }
}

/// Vapi's list parameters (Voicebot Studio documents none): `limit`, `createdAtLt`,
/// `createdAtLe`, `createdAtGt`, `createdAtGe`, `assistantId`; newest first.
async fn list(State(ctx): State<Ctx>, Query(params): Query<HashMap<String, String>>) -> Response {
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(limit)) if limit <= 1000 => limit,
        Some(_) => {
            return error(
                ctx.vendor,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid limit",
                &[("limit", "must be between 0 and 1000")],
            );
        }
    };
    let before = params.get("createdAtLt").and_then(|t| parse_time(t));
    let after = params.get("createdAtGt").and_then(|t| parse_time(t));
    let at_or_after = params.get("createdAtGe").and_then(|t| parse_time(t));
    let at_or_before = params.get("createdAtLe").and_then(|t| parse_time(t));
    let assistant = params.get("assistantId");
    let store = ctx
        .state
        .store(ctx.vendor)
        .read()
        .unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    let calls: Vec<Value> = store
        .newest_first()
        .filter(|c| {
            before.is_none_or(|t| c.created_at < t) && after.is_none_or(|t| c.created_at > t)
        })
        .filter(|c| {
            at_or_before.is_none_or(|t| c.created_at <= t)
                && at_or_after.is_none_or(|t| c.created_at >= t)
        })
        .filter(|c| assistant.is_none_or(|a| &c.agent_id == a))
        .take(limit)
        .map(|c| render(c, &c.view(now, &ctx.state.timing)))
        .collect();
    json_response(StatusCode::OK, Value::Array(calls))
}

async fn dial(State(ctx): State<Ctx>, body: Bytes) -> Response {
    let Some(map) = body_object(&body) else {
        return error(
            ctx.vendor,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid body",
            &[("body", "must be a JSON object")],
        );
    };
    let customer = object(&map, "customer");
    let Some(to) = text(&customer, "number") else {
        return error(
            ctx.vendor,
            StatusCode::BAD_REQUEST,
            "customer.number is required",
            &[("customer.number", "field required")],
        );
    };
    let Some(assistant) = text(&map, "assistantId") else {
        return error(
            ctx.vendor,
            StatusCode::BAD_REQUEST,
            "assistantId is required",
            &[("assistantId", "field required")],
        );
    };
    let overrides = object(&map, "assistantOverrides");
    let spec = DialSpec {
        to,
        from: Some("+16285550199".into()),
        agent_id: Some(assistant),
        campaign_id: None,
        scheduled_for: text(&object(&map, "schedulePlan"), "earliestAt")
            .and_then(|t| parse_time(&t)),
        metadata: object(&overrides, "metadata"),
        variables: object(&overrides, "variableValues"),
        name: text(&map, "name"),
    };
    let call = ctx.state.dialed_call(ctx.vendor, spec);
    let body = render(&call, &call.view(Instant::now(), &ctx.state.timing));
    let mut store = ctx
        .state
        .store(ctx.vendor)
        .write()
        .unwrap_or_else(|p| p.into_inner());
    store.insert(call);
    store.dialed += 1;
    json_response(StatusCode::CREATED, body)
}

async fn update(State(ctx): State<Ctx>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(name) = body_object(&body).and_then(|m| text(&m, "name")) else {
        return error(
            ctx.vendor,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid body",
            &[("name", "field required")],
        );
    };
    if name.chars().count() > 40 {
        return error(
            ctx.vendor,
            StatusCode::BAD_REQUEST,
            "name must be at most 40 characters",
            &[("name", "too long")],
        );
    }
    let mut store = ctx
        .state
        .store(ctx.vendor)
        .write()
        .unwrap_or_else(|p| p.into_inner());
    match store.get_mut(&id) {
        Some(call) => {
            call.name = Some(name);
            let view = call.view(Instant::now(), &ctx.state.timing);
            json_response(StatusCode::OK, render(call, &view))
        }
        None => not_found(&ctx),
    }
}

async fn delete(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    let mut store = ctx
        .state
        .store(ctx.vendor)
        .write()
        .unwrap_or_else(|p| p.into_inner());
    match store.get_mut(&id) {
        Some(call) => {
            call.deleted = true;
            let view = call.view(Instant::now(), &ctx.state.timing);
            json_response(StatusCode::OK, render(call, &view))
        }
        None => not_found(&ctx),
    }
}
