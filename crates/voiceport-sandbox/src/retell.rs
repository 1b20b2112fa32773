//! Retell AI (`https://api.retellai.com`: no prefix, each path carries its version).
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /v2/get-call/{call_id}` | the call, bare |
//! | `POST /v3/list-calls` | `{items, has_more, pagination_key}` (`total` with `include_total`); items without the transcript fields |
//! | `POST /v2/create-phone-call` | 201, the new call (`registered`) |
//! | `PATCH /v2/update-call/{call_id}` | the call, its `metadata` replaced (inferred: see below) |
//! | `POST /v2/stop-call/{call_id}` | 204; the call ends `manual_stopped` |
//! | `DELETE /v2/delete-call/{call_id}` | 204; the call is gone |
//!
//! Every error is `{"status": "error", "message"}` with Retell's documented messages; an
//! unknown call id answers **422** (`Cannot find requested asset under given api key.`),
//! as Retell does. Times are epoch milliseconds, `duration_ms` milliseconds, costs cents.
//!
//! Statuses: a dialed call is `registered` until it is answered, `ongoing` while it talks,
//! then `ended` (`user_hangup`, `agent_hangup`, `call_transfer`, `voicemail_reached` …) or
//! `not_connected` (`dial_no_answer`, `dial_busy`, `dial_failed`; no times, a zero cost:
//! the cost inferred). Stopped through the API it ends `manual_stopped`: `ended` once it
//! had connected, `not_connected` before (inferred).
//!
//! The list sorts by `start_timestamp` (a call that never started by when it was
//! registered: inferred), newest first unless `sort_order` is `ascending`, the call id breaking ties;
//! `pagination_key` is where the previous page stopped, so a walk sees every call once.
//! Filters (`filter_criteria`, all ANDed): `agent` (`[{agent_id, version?}]`, ORed),
//! `call_id`, `call_type`, `direction`, `call_status`, `disconnection_reason`,
//! `user_sentiment`, `from_number`, `to_number`, `start_timestamp`, `end_timestamp`,
//! `duration_ms`, `in_voicemail`, `call_successful`, with Retell's operators (`string`:
//! `eq ne sw ew co`; `number`: `eq ne gt ge lt le`; `range`: `bt`, both bounds inclusive
//! (inferred); `enum`: `in`; `boolean`: `eq`; `present`: `pr np`). A call without the field
//! matches no condition but `np` (inferred: a time filter leaves out the calls that never
//! started); an `enum` value is not checked against Retell's set. The other documented filters (`metadata`, `tool_calls`,
//! custom fields …) are not emulated: they answer 400 naming the filter, rather than being
//! ignored.
//!
//! Inferred, as Retell does not say: an update replaces `metadata` rather than merging into
//! it (the adapter says the same, `update_metadata_replace`); a stop of a call already over
//! answers 204 and changes
//! nothing; a `not_connected` call carries no `start_timestamp`/`end_timestamp`; analysis
//! is done when the call ends (so `get-call` shows it at once, and the `call_analyzed`
//! delivery follows `call_ended` at once), and only for calls that connected; the last
//! page sends `pagination_key: null`; a transferred call's leg ends 30 s after the call
//! (`transfer_end_timestamp`, on the call once it is over, though not in `call_ended`,
//! sent as the agent's leg ends; the sandbox sends `transfer_ended` and `call_analyzed`
//! with it, at the call's end, and shows that end at once: a shortcut of its time, as
//! are its analyses). The sandbox keeps `metadata` as
//! a JSON object (Retell takes any JSON): anything else is refused with a 400. Recording
//! URLs are plain: Retell signs them only with `opt_in_signed_url`, off on every call here.

use std::cmp::Ordering;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use chrono::{TimeDelta, Utc};
use serde_json::{Map, Value, json};
use voiceport_core::Direction;

use crate::common::{
    Ctx, JsonObject, TRANSFER_TO, error, json_response, optional, plus_number, text,
};
use crate::content::{
    Line, Who, conversation, cost, four_places, transcript_text, unsigned_recording_url,
};
use crate::rng::{Rng, hex_for};
use crate::sim::{Outcome, Phase, SimCall, View};
use crate::store::{DialSpec, has_agent};
use crate::webhooks::{Outgoing, Stage};

/// Retell's documented error messages.
const INVALID: &str = "Invalid request format, please check API reference.";
const NOT_FOUND: &str = "Cannot find requested asset under given api key.";

/// The sandbox's own refusal of a `metadata` that is not an object (Retell takes any JSON).
const METADATA_OBJECT: &str = "metadata: the sandbox stores a JSON object only";

/// The `call_status` values Retell's list filters on.
const FILTERED_STATUSES: [&str; 4] = ["not_connected", "ongoing", "ended", "error"];

/// The version every sandbox agent is at.
const AGENT_VERSION: u32 = 3;

/// How long the transferred party talks once a transfer bridges (inferred: Retell says
/// nothing of it), which sets the leg's `transfer_end_timestamp`.
const TRANSFER_LEG: TimeDelta = TimeDelta::seconds(30);

/// The random stream, drawn from a call's content seed, that picks the transferred calls
/// whose first transfer attempt is cancelled.
const CANCELLED_TRANSFER_STREAM: u64 = 0x7CA9_CE11;

/// One transferred call in this many has its first attempt cancelled (the sandbox's
/// choice: a destination that does not pick up the first time).
const CANCELLED_TRANSFER_ONE_IN: u64 = 4;

pub(crate) fn router(ctx: Ctx) -> Router {
    Router::new()
        .route("/v2/get-call/{id}", get(get_call))
        .route("/v3/list-calls", post(list))
        .route("/v2/create-phone-call", post(dial))
        .route("/v2/update-call/{id}", patch(update))
        .route("/v2/stop-call/{id}", post(stop))
        .route("/v2/delete-call/{id}", delete(delete_call))
        .with_state(ctx)
}

/// `call_status` and `disconnection_reason`.
fn status(view: &View) -> (&'static str, Option<&'static str>) {
    match view.phase {
        Phase::Scheduled | Phase::Queued | Phase::Dialing | Phase::Ringing => ("registered", None),
        Phase::InProgress => ("ongoing", None),
        Phase::Canceled => ("not_connected", Some("manual_stopped")),
        Phase::Ended(outcome) => match outcome {
            Outcome::CustomerEnded => ("ended", Some("user_hangup")),
            Outcome::AgentEnded => ("ended", Some("agent_hangup")),
            Outcome::Transferred => ("ended", Some("call_transfer")),
            Outcome::Silence => ("ended", Some("inactivity")),
            Outcome::MaxDuration => ("ended", Some("max_duration_reached")),
            Outcome::Voicemail => ("ended", Some("voicemail_reached")),
            Outcome::NoAnswer => ("not_connected", Some("dial_no_answer")),
            Outcome::Busy => ("not_connected", Some("dial_busy")),
            Outcome::Failed => ("not_connected", Some("dial_failed")),
            Outcome::EndedByApi if view.started_at.is_some() => ("ended", Some("manual_stopped")),
            Outcome::EndedByApi => ("not_connected", Some("manual_stopped")),
        },
    }
}

/// How much of a call a response shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// `get-call`, `update-call`, `create-phone-call`, `call_analyzed`: everything.
    Full,
    /// A list item: everything but the transcript fields (`transcript`,
    /// `transcript_object`, `transcript_with_tool_calls`,
    /// `scrubbed_transcript_with_tool_calls`).
    Listed,
    /// `call_started`: the basic call info.
    Started,
    /// `call_ended`: everything but `call_analysis`.
    Ended,
}

/// The sort key of the list: when the call started, else when it was registered (epoch ms).
fn sort_key(call: &SimCall, view: &View) -> i64 {
    view.started_at
        .unwrap_or(call.created_at)
        .timestamp_millis()
}

/// The call as Retell shows it in `part`.
fn render(call: &SimCall, view: &View, part: Part) -> Value {
    let (call_status, reason) = status(view);
    let mut body = Map::new();
    let mut put = |key: &str, value: Value| {
        body.insert(key.to_owned(), value);
    };
    if call.web {
        put("call_type", json!("web_call"));
        put(
            "access_token",
            json!(format!("eyJhbGciOiJIUzI1NiJ9.{}", hex_for(&call.id, 7, 40))),
        );
    } else {
        put("call_type", json!("phone_call"));
        put("from_number", json!(call.from));
        put("to_number", json!(call.to));
        let direction = match call.direction {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        };
        put("direction", json!(direction));
        if part != Part::Started {
            put(
                "telephony_identifier",
                json!({ "twilio_call_sid": format!("CA{}", hex_for(&call.id, 3, 32)) }),
            );
        }
    }
    put("call_id", json!(call.id));
    put("agent_id", json!(call.agent_id));
    put("agent_version", json!(AGENT_VERSION));
    put("agent_name", json!(call.agent_name));
    put("call_status", json!(call_status));
    // Left out when not set, as Retell does.
    if !call.metadata.is_empty() {
        put("metadata", json!(call.metadata));
    }
    if !call.variables.is_empty() {
        put("retell_llm_dynamic_variables", json!(call.variables));
    }
    let connected = call_status != "not_connected";
    if let Some(start) = view.started_at.filter(|_| connected) {
        put("start_timestamp", json!(start.timestamp_millis()));
    }
    if part == Part::Started {
        return Value::Object(body);
    }
    put("data_storage_setting", json!("everything"));
    put("opt_in_signed_url", json!(false));
    if let (Some(start), Some(end)) = (view.started_at, view.ended_at.filter(|_| connected)) {
        put("end_timestamp", json!(end.timestamp_millis()));
        put(
            "duration_ms",
            json!((end - start).num_milliseconds().max(0)),
        );
    }
    if let Some(reason) = reason {
        put("disconnection_reason", json!(reason));
    }
    if reason == Some("call_transfer") {
        put("transfer_destination", json!(TRANSFER_TO));
        // The leg's end (inferred: the call's end and the time the other party talked).
        if let Some(end) = view.ended_at {
            put(
                "transfer_end_timestamp",
                json!((end + TRANSFER_LEG).timestamp_millis()),
            );
        }
    }
    let over = reason.is_some();
    if !(over && view.has_conversation()) {
        if over {
            put(
                "call_cost",
                json!({ "product_costs": [], "combined_cost": 0, "total_duration_seconds": 0,
                        "total_duration_unit_price": 0 }),
            );
        }
        return Value::Object(body);
    }
    let talk = view.duration_secs.unwrap_or(0.0);
    let conversation = conversation(call.content_seed, talk);
    if part == Part::Full || part == Part::Ended {
        let text = transcript_text(&conversation.lines, "Agent", "User");
        put("transcript", json!(format!("{text}\n")));
        let spoken: Vec<Value> = conversation
            .lines
            .iter()
            .filter(|l| matches!(l.who, Who::Agent | Who::Customer))
            .map(utterance)
            .collect();
        put("transcript_object", json!(spoken));
        let with_tools: Vec<Value> = conversation.lines.iter().map(utterance).collect();
        put("transcript_with_tool_calls", json!(with_tools));
    }
    // What the agent collected in its dynamic variables (strings, as Retell documents
    // them), set once the call is over: the extracted values as text, and one the analysis
    // does not have (which values an agent collects is the sandbox's own). A list item
    // keeps it: the v3 list leaves out the four transcript fields only.
    let mut collected: Map<String, Value> = conversation
        .extracted
        .iter()
        .map(|(key, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            (key.clone(), Value::String(text))
        })
        .collect();
    collected.insert("preferred_channel".into(), json!("sms"));
    put("collected_dynamic_variables", Value::Object(collected));
    // Unsigned: Retell signs (for 24 hours) only with `opt_in_signed_url`, off here.
    put(
        "recording_url",
        json!(unsigned_recording_url("retell", &call.id, false)),
    );
    put(
        "recording_multi_channel_url",
        json!(unsigned_recording_url("retell", &call.id, true)),
    );
    if part != Part::Ended {
        put(
            "call_analysis",
            json!({
                "call_summary": conversation.summary,
                "in_voicemail": matches!(view.outcome(), Some(Outcome::Voicemail)),
                "user_sentiment": if conversation.success { "Positive" } else { "Neutral" },
                "call_successful": conversation.success,
                "custom_analysis_data": conversation.extracted,
            }),
        );
    }
    put("call_cost", call_cost(talk));
    Value::Object(body)
}

/// An entry of `transcript_object` / `transcript_with_tool_calls`.
fn utterance(line: &Line) -> Value {
    let tool_id = |line: &Line| {
        line.tool
            .as_ref()
            .map(|(_, id)| id.replacen("call_", "tool_call_", 1))
    };
    match line.who {
        Who::Agent | Who::Customer => json!({
            "role": if line.who == Who::Agent { "agent" } else { "user" },
            "content": line.text,
            "words": words(line),
        }),
        Who::ToolCall => json!({
            "role": "tool_call_invocation",
            "tool_call_id": tool_id(line),
            "name": line.tool.as_ref().map(|(name, _)| *name),
            "arguments": line.text,
        }),
        Who::ToolResult => json!({
            "role": "tool_call_result",
            "tool_call_id": tool_id(line),
            "content": line.text,
            "successful": true,
        }),
    }
}

/// Word timings for a line: its time shared out by the words' lengths, each word ending a
/// little before the next begins (seconds of call audio, to the millisecond).
fn words(line: &Line) -> Vec<Value> {
    let words: Vec<&str> = line.text.split_whitespace().collect();
    let letters: usize = words.iter().map(|w| w.chars().count()).sum();
    let span = (line.end - line.start).max(0.0);
    let round = |t: f64| (t * 1000.0).round() / 1000.0;
    let mut at = line.start;
    words
        .iter()
        .map(|word| {
            let share = span * word.chars().count() as f64 / letters.max(1) as f64;
            let value = json!({ "word": word, "start": round(at), "end": round(at + share * 0.9) });
            at += share;
            value
        })
        .collect()
}

/// `call_cost`, in cents: a product per part of the bill, their sum, the billed seconds.
fn call_cost(talk_secs: f64) -> Value {
    let seconds = talk_secs.max(0.0);
    let products = [
        "twilio",
        "retell_platform",
        "gpt-4.1-mini",
        "elevenlabs_tts",
    ];
    let parts: Vec<(&str, f64)> = products
        .iter()
        .zip(cost(talk_secs))
        .map(|(product, (_, usd))| (*product, four_places(usd * 100.0)))
        .collect();
    let per_second = |cents: f64| {
        if seconds > 0.0 {
            four_places(cents / seconds)
        } else {
            0.0
        }
    };
    let combined = four_places(parts.iter().map(|(_, c)| c).sum());
    json!({
        "product_costs": parts.iter().map(|(product, cents)| json!({
            "product": product, "unit_price": per_second(*cents), "cost": cents,
        })).collect::<Vec<_>>(),
        "combined_cost": combined,
        "total_duration_seconds": seconds.ceil() as u64,
        "total_duration_unit_price": per_second(combined),
    })
}

/// The delivery Retell posts when a call ends: `call_ended`, with everything but the
/// analysis.
pub(crate) fn end_delivery(call: &SimCall, view: &View) -> Value {
    json!({ "event": "call_ended", "call": render(call, view, Part::Ended) })
}

/// What Retell posts when a dialed call reaches `stage`: `call_started` once it connects
/// (never for a call that did not), `call_ended` once it is over, then `call_analyzed` (with
/// `call_analysis`) for a call that connected. Nothing while it rings.
///
/// With `every_event` (an agent whose `webhook_events` subscribes to all eight call
/// events), a call that talked also gets a `transcript_updated` for each line spoken, its
/// transcript so far (Retell sends one at every turn change and a last one at the end: the
/// sandbox, whose calls have no turns in time, sends them all as the call ends, the last
/// turn's the whole transcript, then the final one, the call ended, just before
/// `call_ended`: its place is inferred), and a transferred call `transfer_started` and
/// `transfer_bridged` (the call as it stood at its last turn, with the top-level
/// `transfer_destination` object) before `call_ended`, and `transfer_ended` after it (the
/// call with its `transfer_end_timestamp`). Their order around `call_ended` is inferred.
/// One transferred call in [`CANCELLED_TRANSFER_ONE_IN`] (seeded: see
/// [`first_transfer_cancelled`]) first tries half-way through its conversation, and that
/// attempt is cancelled: `transfer_started` then `transfer_cancelled` (the call as it stood
/// at that turn, with the same destination object) among the turns' updates, before the
/// attempt that bridges.
pub(crate) fn stage_deliveries(
    call: &SimCall,
    view: &View,
    stage: Stage,
    every_event: bool,
) -> Vec<Outgoing> {
    let (call_status, _) = status(view);
    let event = |name: &str, part: Part| {
        let body = json!({ "event": name, "call": render(call, view, part) });
        Outgoing::new(name, Some(call_status), body)
    };
    // `call_ended` goes when the agent's leg ends: a transferred call's other leg is still
    // up then, so it does not yet say when that leg ends (`transfer_ended` does, and
    // `call_analyzed` after it).
    let call_ended = || {
        let mut ended = event("call_ended", Part::Ended);
        if let Some(fields) = ended.body["call"].as_object_mut() {
            fields.remove("transfer_end_timestamp");
        }
        ended
    };
    match stage {
        Stage::Ringing => Vec::new(),
        Stage::InProgress => vec![event("call_started", Part::Started)],
        Stage::Ended if view.has_conversation() && every_event => {
            let live = |name: &str| {
                let body = json!({ "event": name, "call": live_snapshot(call, view) });
                Outgoing::new(name, Some("ongoing"), body)
            };
            let transfer = |mut outgoing: Outgoing| {
                outgoing.body["transfer_destination"] = json!({ "number": TRANSFER_TO });
                outgoing
            };
            let spoken = match live_snapshot(call, view).get("transcript_object") {
                Some(Value::Array(spoken)) => spoken.len(),
                _ => 0,
            };
            let transferred = view.outcome() == Some(Outcome::Transferred);
            // The turn after which a first, cancelled, attempt is made (never the last, so
            // that the receiver tells it from the attempt that bridges by its transcript).
            let cancelled_after = (transferred && first_transfer_cancelled(call))
                .then_some((spoken / 2).max(1))
                .filter(|turn| *turn < spoken);
            let mut posted = Vec::new();
            for lines in 1..=spoken {
                let mut update = live("transcript_updated");
                // The last is the whole transcript, tool lines after the last words too.
                if lines < spoken {
                    cut_transcript(&mut update.body["call"], lines);
                }
                posted.push(update);
                if cancelled_after == Some(lines) {
                    for name in ["transfer_started", "transfer_cancelled"] {
                        let mut attempt = transfer(live(name));
                        cut_transcript(&mut attempt.body["call"], lines);
                        posted.push(attempt);
                    }
                }
            }
            if transferred {
                posted.push(transfer(live("transfer_started")));
                posted.push(transfer(live("transfer_bridged")));
            }
            // The update Retell sends as the call ends: the call over, transcript whole.
            posted.push(event("transcript_updated", Part::Ended));
            posted.push(call_ended());
            if transferred {
                posted.push(transfer_ended(call, view));
            }
            posted.push(event("call_analyzed", Part::Full));
            posted
        }
        Stage::Ended if view.has_conversation() => {
            vec![call_ended(), event("call_analyzed", Part::Full)]
        }
        Stage::Ended => vec![call_ended()],
    }
}

/// A call that talked, as it stood at its last turn, before it was over: its transcript,
/// `ongoing`, and nothing of its end (no end time, duration, reason, cost, transfer
/// destination, collected variables or recording).
fn live_snapshot(call: &SimCall, view: &View) -> Value {
    let mut shown = render(call, view, Part::Ended);
    if let Some(fields) = shown.as_object_mut() {
        fields.insert("call_status".into(), json!("ongoing"));
        for over in [
            "end_timestamp",
            "duration_ms",
            "disconnection_reason",
            "call_cost",
            "transfer_destination",
            "transfer_end_timestamp",
            "collected_dynamic_variables",
            "recording_url",
            "recording_multi_channel_url",
        ] {
            fields.remove(over);
        }
    }
    shown
}

/// Cuts a call's transcripts to their first `spoken` lines (and the tool lines among
/// them): the call as it stood after that turn.
fn cut_transcript(call: &mut Value, spoken: usize) {
    let mut kept = 0;
    if let Some(Value::Array(lines)) = call.get_mut("transcript_with_tool_calls") {
        lines.retain(|line| {
            let said = matches!(line["role"].as_str(), Some("agent" | "user"));
            let keep = kept < spoken;
            kept += usize::from(said);
            keep
        });
    }
    if let Some(Value::Array(lines)) = call.get_mut("transcript_object") {
        lines.truncate(spoken);
    }
    if let Some(Value::String(text)) = call.get_mut("transcript") {
        let cut: Vec<&str> = text.lines().take(spoken).collect();
        *text = format!("{}\n", cut.join("\n"));
    }
}

/// `transfer_ended` of a transferred call: the call as it ended (without its analysis,
/// which `call_analyzed` brings), its `transfer_end_timestamp` the one every view of the
/// call shows ([`render`]), and no top-level `transfer_destination` (Retell sends
/// that object with the other transfer events only).
fn transfer_ended(call: &SimCall, view: &View) -> Outgoing {
    let body = json!({ "event": "transfer_ended", "call": render(call, view, Part::Ended) });
    Outgoing::new("transfer_ended", Some("ended"), body)
}

/// Whether a transferred call's first transfer attempt is cancelled (the destination did
/// not pick up) before a second one bridges: drawn from its content seed, so the same
/// call (the same seed, vendor and dial) does the same on every run.
fn first_transfer_cancelled(call: &SimCall) -> bool {
    let mut draw = Rng::for_item(call.content_seed, CANCELLED_TRANSFER_STREAM, 0);
    draw.below(CANCELLED_TRANSFER_ONE_IN) == 0
}

fn invalid(ctx: &Ctx, message: &str) -> Response {
    error(ctx.vendor, StatusCode::BAD_REQUEST, message, &[])
}

fn not_found(ctx: &Ctx) -> Response {
    error(ctx.vendor, StatusCode::UNPROCESSABLE_ENTITY, NOT_FOUND, &[])
}

async fn get_call(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    match ctx.calls().get(&id) {
        Some(call) => json_response(StatusCode::OK, render(call, &ctx.view(call), Part::Full)),
        None => not_found(&ctx),
    }
}

/// One condition of `filter_criteria`, checked against a list item.
#[derive(Debug, Clone)]
enum Condition {
    Agents(Vec<(String, Option<Vec<u64>>)>),
    Field {
        path: &'static [&'static str],
        test: Test,
    },
}

#[derive(Debug, Clone)]
enum Test {
    Text { op: String, value: String },
    Number { op: String, value: f64 },
    Range { low: f64, high: f64 },
    OneOf(Vec<String>),
    Flag(bool),
    Present(bool),
}

/// The filterable fields (where each is in a list item) and the filter types they take.
fn field(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const ENUM: &[&str] = &["enum", "present"];
    const STRING: &[&str] = &["string", "present"];
    const NUMBER: &[&str] = &["number", "range", "present"];
    const BOOLEAN: &[&str] = &["boolean", "present"];
    Some(match name {
        "call_id" => (&["call_id"], &["string", "enum", "present"]),
        "call_type" => (&["call_type"], ENUM),
        "direction" => (&["direction"], ENUM),
        "call_status" => (&["call_status"], ENUM),
        "disconnection_reason" => (&["disconnection_reason"], ENUM),
        "user_sentiment" => (&["call_analysis", "user_sentiment"], ENUM),
        "from_number" => (&["from_number"], STRING),
        "to_number" => (&["to_number"], STRING),
        "start_timestamp" => (&["start_timestamp"], NUMBER),
        "end_timestamp" => (&["end_timestamp"], NUMBER),
        "duration_ms" => (&["duration_ms"], NUMBER),
        "in_voicemail" => (&["call_analysis", "in_voicemail"], BOOLEAN),
        "call_successful" => (&["call_analysis", "call_successful"], BOOLEAN),
        _ => return None,
    })
}

/// `filter_criteria` → conditions; `Err` the 400's message.
fn conditions(criteria: Option<&Value>) -> Result<Vec<Condition>, String> {
    let criteria = match criteria {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(criteria)) => criteria,
        Some(_) => return Err(INVALID.into()),
    };
    let mut out = Vec::new();
    for (name, spec) in criteria {
        if name == "agent" {
            out.push(Condition::Agents(agents(spec).ok_or(INVALID)?));
            continue;
        }
        let Some((path, types)) = field(name) else {
            return Err(format!(
                "{INVALID} (the sandbox does not emulate the `{name}` filter)"
            ));
        };
        let test = test(spec).filter(|(kind, _)| types.contains(kind));
        let (_, test) = test.ok_or(INVALID)?;
        // Retell's list filters four call statuses, not a call's every status
        // (`registered` is not among them).
        if let ("call_status", Test::OneOf(values)) = (name.as_str(), &test)
            && let Some(other) = (values.iter()).find(|v| !FILTERED_STATUSES.contains(&v.as_str()))
        {
            return Err(format!(
                "{INVALID} (`call_status` filters on {} only, not `{other}`)",
                FILTERED_STATUSES.join(", ")
            ));
        }
        out.push(Condition::Field { path, test });
    }
    Ok(out)
}

/// `agent`: `[{agent_id, version?: [number]}]`.
fn agents(spec: &Value) -> Option<Vec<(String, Option<Vec<u64>>)>> {
    spec.as_array()?
        .iter()
        .map(|agent| {
            let id = agent.get("agent_id")?.as_str()?.to_owned();
            let versions = match agent.get("version") {
                None | Some(Value::Null) => None,
                Some(Value::Array(v)) => Some(v.iter().map(Value::as_u64).collect::<Option<_>>()?),
                Some(_) => return None,
            };
            Some((id, versions))
        })
        .collect()
}

/// One `{type, op, value}` filter; `None` when it is not one of Retell's.
fn test(spec: &Value) -> Option<(&'static str, Test)> {
    let kind = spec.get("type")?.as_str()?;
    let op = spec.get("op")?.as_str()?.to_owned();
    let value = spec.get("value");
    Some(match kind {
        "string" if ["eq", "ne", "sw", "ew", "co"].contains(&op.as_str()) => {
            let value = value?.as_str()?.to_owned();
            ("string", Test::Text { op, value })
        }
        "number" if ["eq", "ne", "gt", "ge", "lt", "le"].contains(&op.as_str()) => (
            "number",
            Test::Number {
                op,
                value: value?.as_f64()?,
            },
        ),
        "range" if op == "bt" => match value?.as_array()?.as_slice() {
            [low, high] => (
                "range",
                Test::Range {
                    low: low.as_f64()?,
                    high: high.as_f64()?,
                },
            ),
            _ => return None,
        },
        "enum" if op == "in" => {
            let values = value?.as_array()?;
            let values = values
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?;
            ("enum", Test::OneOf(values))
        }
        "boolean" if op == "eq" => ("boolean", Test::Flag(value?.as_bool()?)),
        "present" if op == "pr" || op == "np" => ("present", Test::Present(op == "pr")),
        _ => return None,
    })
}

impl Condition {
    fn matches(&self, item: &Value) -> bool {
        match self {
            Condition::Agents(agents) => agents.iter().any(|(id, versions)| {
                item["agent_id"].as_str() == Some(id.as_str())
                    && versions.as_ref().is_none_or(|v| {
                        item["agent_version"]
                            .as_u64()
                            .is_some_and(|have| v.contains(&have))
                    })
            }),
            Condition::Field { path, test } => {
                let found = path
                    .iter()
                    .try_fold(item, |value, key| value.get(*key))
                    .filter(|v| !v.is_null());
                test.holds(found)
            }
        }
    }
}

impl Test {
    fn holds(&self, found: Option<&Value>) -> bool {
        let Some(value) = found else {
            return matches!(self, Test::Present(false));
        };
        match self {
            Test::Present(wanted) => *wanted,
            Test::Text { op, value: wanted } => {
                value.as_str().is_some_and(|have| match op.as_str() {
                    "eq" => have == wanted,
                    "ne" => have != wanted,
                    "sw" => have.starts_with(wanted.as_str()),
                    "ew" => have.ends_with(wanted.as_str()),
                    _ => have.contains(wanted.as_str()),
                })
            }
            Test::Number { op, value: wanted } => {
                value.as_f64().is_some_and(|have| match op.as_str() {
                    "eq" => have == *wanted,
                    "ne" => have != *wanted,
                    "gt" => have > *wanted,
                    "ge" => have >= *wanted,
                    "lt" => have < *wanted,
                    _ => have <= *wanted,
                })
            }
            Test::Range { low, high } => value
                .as_f64()
                .is_some_and(|have| have >= *low && have <= *high),
            Test::OneOf(values) => value
                .as_str()
                .is_some_and(|have| values.iter().any(|v| v == have)),
            Test::Flag(wanted) => value.as_bool() == Some(*wanted),
        }
    }
}

/// Where a page stopped: the last call's sort key and id, as an opaque token.
fn pagination_key(key: i64, id: &str) -> String {
    let text = json!({ "start_timestamp": key, "call_id": id }).to_string();
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn read_pagination_key(token: &str) -> Option<(i64, String)> {
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    Some((
        value.get("start_timestamp")?.as_i64()?,
        value.get("call_id")?.as_str()?.to_owned(),
    ))
}

/// `POST /v3/list-calls` (module docs).
async fn list(State(ctx): State<Ctx>, JsonObject(body): JsonObject) -> Response {
    let Some(request) = body else {
        return invalid(&ctx, INVALID);
    };
    let (Ok(limit), Ok(skip), Ok(after), Ok(include_total)) = (
        optional(&request, "limit", |v| {
            v.as_u64().filter(|l| (1..=1000).contains(l))
        }),
        optional(&request, "skip", Value::as_u64),
        optional(&request, "pagination_key", |v| {
            read_pagination_key(v.as_str()?)
        }),
        optional(&request, "include_total", Value::as_bool),
    ) else {
        return invalid(&ctx, INVALID);
    };
    // Null is absent, as for every other field (`optional`).
    let sort = optional(&request, "sort_order", |v| match v.as_str()? {
        "descending" => Some(false),
        "ascending" => Some(true),
        _ => None,
    });
    let Ok(sort) = sort else {
        return invalid(&ctx, INVALID);
    };
    let ascending = sort.unwrap_or(false);
    if skip.is_some() && after.is_some() {
        // The schema forbids both at once.
        return invalid(&ctx, INVALID);
    }
    let (limit, skip) = (limit.map_or(50, |l| l as usize), skip.map(|s| s as usize));
    let include_total = include_total.unwrap_or(false);
    let conditions = match conditions(request.get("filter_criteria")) {
        Ok(conditions) => conditions,
        Err(message) => return invalid(&ctx, &message),
    };

    let store = ctx.calls();
    let now = Instant::now();
    // A call is rendered (its conversation and analysis generated) only to be filtered or
    // listed: without `filter_criteria`, only the page's calls are, not every call for
    // every page.
    let mut matching: Vec<Listed<'_>> = store
        .newest_first()
        .filter_map(|call| {
            let view = call.view(now, &ctx.state.timing);
            let item = match conditions.is_empty() {
                true => None,
                false => {
                    let item = render(call, &view, Part::Listed);
                    if !conditions.iter().all(|c| c.matches(&item)) {
                        return None;
                    }
                    Some(item)
                }
            };
            let key = sort_key(call, &view);
            Some(Listed {
                key,
                call,
                view,
                item,
            })
        })
        .collect();
    let order = |a: (i64, &str), b: (i64, &str)| {
        let by_key = a.cmp(&b);
        if ascending { by_key } else { by_key.reverse() }
    };
    matching.sort_by(|a, b| order(a.sort(), b.sort()));
    let total = matching.len();
    let start = match (&after, skip) {
        (Some((key, id)), _) => matching
            .iter()
            .position(|listed| order(listed.sort(), (*key, id.as_str())) == Ordering::Greater)
            .unwrap_or(total),
        (None, skip) => skip.unwrap_or(0).min(total),
    };
    let page: Vec<Listed<'_>> = matching.into_iter().skip(start).take(limit).collect();
    let has_more = start + page.len() < total;
    let next = page
        .last()
        .filter(|_| has_more)
        .map(|listed| pagination_key(listed.key, &listed.call.id));
    let items: Vec<Value> = (page.into_iter())
        .map(|listed| {
            (listed.item).unwrap_or_else(|| render(listed.call, &listed.view, Part::Listed))
        })
        .collect();
    let mut answer = json!({
        "items": items,
        "has_more": has_more,
        "pagination_key": next,
    });
    if include_total {
        answer["total"] = json!(total);
    }
    json_response(StatusCode::OK, answer)
}

/// A call that matches a list request: its sort key, and its item when a filter had to
/// render it.
struct Listed<'a> {
    key: i64,
    call: &'a SimCall,
    view: View,
    item: Option<Value>,
}

impl Listed<'_> {
    /// What the list is sorted by: the key, then the id.
    fn sort(&self) -> (i64, &str) {
        (self.key, self.call.id.as_str())
    }
}

/// An optional field that must be a JSON object (see [`optional`]).
fn object_field(map: &Map<String, Value>, key: &str) -> Result<Option<Map<String, Value>>, ()> {
    optional(map, key, |v| v.as_object().cloned())
}

fn e164(number: Option<String>) -> Option<String> {
    number.filter(|n| plus_number(n) && n[1..].bytes().all(|b| b.is_ascii_digit()))
}

/// `POST /v2/create-phone-call`.
async fn dial(State(ctx): State<Ctx>, JsonObject(body): JsonObject) -> Response {
    let Some(map) = body else {
        return invalid(&ctx, INVALID);
    };
    // `ignore_e164_validation` (for custom telephony) lets any number through: the number
    // called need then only be there.
    let Ok(any_number) = optional(&map, "ignore_e164_validation", Value::as_bool) else {
        return invalid(&ctx, INVALID);
    };
    let checked = |number: Option<String>| match any_number {
        Some(true) => number.filter(|n| !n.trim().is_empty()),
        _ => e164(number),
    };
    let (Some(from), Some(to)) = (
        checked(text(&map, "from_number")),
        checked(text(&map, "to_number")),
    ) else {
        return invalid(&ctx, INVALID);
    };
    // A number the account does not own is an asset Retell cannot find under the key.
    if from != crate::store::RETELL_FROM_NUMBER {
        return not_found(&ctx);
    }
    let Ok(agent) = optional(&map, "override_agent_id", |v| {
        v.as_str().filter(|a| !a.is_empty()).map(str::to_owned)
    }) else {
        return invalid(&ctx, INVALID);
    };
    // An agent of another account is refused as Retell refuses any asset it cannot find
    // under the key (422, its documented message).
    if agent
        .as_deref()
        .is_some_and(|agent| !has_agent(ctx.vendor, agent))
    {
        return not_found(&ctx);
    }
    let Ok(metadata) = object_field(&map, "metadata") else {
        return invalid(&ctx, METADATA_OBJECT);
    };
    let variables = match object_field(&map, "retell_llm_dynamic_variables") {
        Ok(variables) => variables.unwrap_or_default(),
        Err(()) => return invalid(&ctx, INVALID),
    };
    // Prompt variables are strings.
    if variables.values().any(|v| !v.is_string()) {
        return invalid(&ctx, INVALID);
    }
    let spec = DialSpec {
        to,
        from: Some(from),
        // Without one, the store gives the call the account's first agent.
        agent_id: agent,
        metadata: metadata.unwrap_or_default(),
        variables,
        ..DialSpec::default()
    };
    ctx.place(spec, |call, view| {
        json_response(StatusCode::CREATED, render(call, view, Part::Full))
    })
}

/// `PATCH /v2/update-call/{call_id}`: `metadata` replaces the call's (null clears it);
/// `data_storage_setting` and `custom_attributes` are accepted and change nothing here.
async fn update(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Response {
    let Some(map) = body else {
        return invalid(&ctx, INVALID);
    };
    let replace = match map.get("metadata") {
        None => None,
        Some(_) => match object_field(&map, "metadata") {
            Ok(metadata) => Some(metadata.unwrap_or_default()),
            Err(()) => return invalid(&ctx, METADATA_OBJECT),
        },
    };
    let mut calls = ctx.calls_mut();
    let Some(call) = calls.get_mut(&id) else {
        return not_found(&ctx);
    };
    if let Some(metadata) = replace {
        call.metadata = metadata;
    }
    json_response(StatusCode::OK, render(call, &ctx.view(call), Part::Full))
}

/// `POST /v2/stop-call/{call_id}`: 204, the call ends (`manual_stopped`) if it was live.
async fn stop(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    let mut calls = ctx.calls_mut();
    let Some(call) = calls.get_mut(&id) else {
        return not_found(&ctx);
    };
    if !matches!(ctx.view(call).phase, Phase::Ended(_) | Phase::Canceled) {
        call.forced = Some((Phase::Ended(Outcome::EndedByApi), Utc::now()));
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `DELETE /v2/delete-call/{call_id}`: 204, then the call is not found.
async fn delete_call(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    match ctx.calls_mut().get_mut(&id) {
        Some(call) => {
            call.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found(&ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Lifecycle;
    use crate::store::RETELL_AGENTS;

    fn call(phase: Phase, web: bool) -> SimCall {
        let mut call = SimCall::sample("call_0b7e3f1a9c2d4e6f8a1b3c5d7e9f", phase);
        if web {
            (call.web, call.from, call.to) = (true, None, None);
        }
        call.agent_id = RETELL_AGENTS[1].into();
        call.agent_name = "Max".into();
        call.variables = Map::from_iter([("first_name".to_owned(), json!("Ada"))]);
        call.content_seed = 11;
        call
    }

    fn shown(phase: Phase, web: bool, part: Part) -> Value {
        let call = call(phase, web);
        let view = call.view(Instant::now(), &crate::Timing::default());
        render(&call, &view, part)
    }

    #[test]
    fn an_ended_call_has_everything_retell_documents() {
        let full = shown(Phase::Ended(Outcome::CustomerEnded), false, Part::Full);
        assert_eq!(full["call_status"], "ended");
        assert_eq!(full["disconnection_reason"], "user_hangup");
        let (start, end) = (
            full["start_timestamp"].as_i64().unwrap(),
            full["end_timestamp"].as_i64().unwrap(),
        );
        assert_eq!(full["duration_ms"].as_i64(), Some(end - start));
        assert_eq!(end - start, 42_500);
        assert!(full["transcript"].as_str().unwrap().starts_with("Agent: "));
        let spoken = full["transcript_object"].as_array().unwrap();
        assert!(
            spoken
                .iter()
                .all(|u| u["words"].as_array().unwrap().len() > 1)
        );
        // Word times rise within the call.
        let times: Vec<f64> = spoken
            .iter()
            .flat_map(|u| u["words"].as_array().unwrap().clone())
            .flat_map(|w| [w["start"].as_f64().unwrap(), w["end"].as_f64().unwrap()])
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert!(times.last().is_some_and(|t| *t <= 42.5));
        assert!(
            full["recording_url"]
                .as_str()
                .unwrap()
                .starts_with("https://")
        );
        let cost = &full["call_cost"];
        let sum: f64 = cost["product_costs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["cost"].as_f64().unwrap())
            .sum();
        assert!((cost["combined_cost"].as_f64().unwrap() - sum).abs() < 0.001);
        assert_eq!(cost["total_duration_seconds"], 43);
        assert!(full["call_analysis"]["call_summary"].is_string());
        assert_eq!(full["call_analysis"]["in_voicemail"], false);
        assert_eq!(full["retell_llm_dynamic_variables"]["first_name"], "Ada");
        assert!(full.get("metadata").is_none(), "not set: left out");
    }

    #[test]
    fn each_part_shows_what_retell_says_it_does() {
        let ended = Phase::Ended(Outcome::AgentEnded);
        let listed = shown(ended, false, Part::Listed);
        for key in [
            "transcript",
            "transcript_object",
            "transcript_with_tool_calls",
        ] {
            assert!(listed.get(key).is_none(), "{key}");
        }
        assert!(listed["recording_url"].is_string() && listed["call_analysis"].is_object());
        // Everything else get-call has, `collected_dynamic_variables` among it.
        let mut full = shown(ended, false, Part::Full);
        for key in [
            "transcript",
            "transcript_object",
            "transcript_with_tool_calls",
        ] {
            full.as_object_mut().unwrap().remove(key);
        }
        assert!(listed["collected_dynamic_variables"].is_object());
        assert_eq!(listed, full);
        let at_end = shown(ended, false, Part::Ended);
        assert!(at_end.get("call_analysis").is_none() && at_end["transcript"].is_string());
        let started = shown(Phase::InProgress, false, Part::Started);
        assert_eq!(started["call_status"], "ongoing");
        assert!(started["start_timestamp"].is_i64());
        assert!(started.get("telephony_identifier").is_none());
        let web = shown(ended, true, Part::Full);
        assert_eq!(web["call_type"], "web_call");
        assert!(web["access_token"].is_string());
        for key in ["from_number", "to_number", "direction"] {
            assert!(web.get(key).is_none(), "{key}");
        }
    }

    #[test]
    fn calls_that_never_connected_have_no_times_and_cost_nothing() {
        for (outcome, reason) in [
            (Outcome::Busy, "dial_busy"),
            (Outcome::NoAnswer, "dial_no_answer"),
            (Outcome::Failed, "dial_failed"),
        ] {
            let call = shown(Phase::Ended(outcome), false, Part::Full);
            assert_eq!(call["call_status"], "not_connected");
            assert_eq!(call["disconnection_reason"], reason);
            for key in [
                "start_timestamp",
                "end_timestamp",
                "duration_ms",
                "transcript",
            ] {
                assert!(call.get(key).is_none(), "{key}");
            }
            assert_eq!(call["call_cost"]["combined_cost"], 0);
        }
        let registered = shown(Phase::Queued, false, Part::Full);
        assert_eq!(registered["call_status"], "registered");
        assert!(registered.get("call_cost").is_none());
        let transferred = shown(Phase::Ended(Outcome::Transferred), false, Part::Full);
        assert_eq!(transferred["transfer_destination"], TRANSFER_TO);
    }

    /// Retell signs recording URLs (expiring after 24 hours) only with
    /// `opt_in_signed_url`, which the sandbox's calls say is off: theirs are plain URLs.
    #[test]
    fn recordings_are_unsigned_as_opt_in_signed_url_says() {
        let full = shown(Phase::Ended(Outcome::CustomerEnded), false, Part::Full);
        assert_eq!(full["opt_in_signed_url"], false);
        for key in ["recording_url", "recording_multi_channel_url"] {
            let url = full[key].as_str().unwrap();
            assert!(
                url.starts_with("https://") && url.ends_with(".wav"),
                "{url}"
            );
            assert!(!url.contains('?') && !url.contains("X-Amz"), "{url}");
        }
        assert_ne!(full["recording_url"], full["recording_multi_channel_url"]);
    }

    /// A transferred call that ended shows when its transfer leg ended wherever the call
    /// is shown over (get-call, a list item, `call_analyzed`), the same
    /// `transfer_end_timestamp` as its `transfer_ended`; no other call has one, nor the
    /// events sent while it talked, nor `call_ended`, sent while the leg was up.
    #[test]
    fn a_transferred_call_shows_its_legs_end_wherever_it_is_over() {
        let transferred = call(Phase::Ended(Outcome::Transferred), false);
        let view = transferred.view(Instant::now(), &crate::Timing::default());
        let posted = stage_deliveries(&transferred, &view, Stage::Ended, true);
        let posted_call = |name: &str| {
            let found = posted.iter().find(|o| o.event == name);
            found.map(|o| o.body["call"].clone()).unwrap()
        };
        let leg_end = posted_call("transfer_ended")["transfer_end_timestamp"].clone();
        let call_end = view.ended_at.unwrap().timestamp_millis();
        assert_eq!(leg_end.as_i64(), Some(call_end + 30_000));
        for part in [Part::Full, Part::Listed, Part::Ended] {
            let shown = render(&transferred, &view, part);
            assert_eq!(shown["transfer_end_timestamp"], leg_end, "{part:?}");
        }
        assert_eq!(
            posted_call("call_analyzed")["transfer_end_timestamp"],
            leg_end
        );
        assert!(
            posted_call("call_ended")
                .get("transfer_end_timestamp")
                .is_none()
        );
        // A target with the lifecycle only gets it alike.
        let lifecycle = stage_deliveries(&transferred, &view, Stage::Ended, false);
        let events: Vec<&str> = lifecycle.iter().map(|o| o.event.as_str()).collect();
        assert_eq!(events, ["call_ended", "call_analyzed"]);
        let leg = |at: usize| lifecycle[at].body["call"].get("transfer_end_timestamp");
        assert_eq!((leg(0), leg(1)), (None, Some(&leg_end)));
        for live in posted
            .iter()
            .filter(|o| o.vendor_status.as_deref() == Some("ongoing"))
        {
            let leg = live.body["call"].get("transfer_end_timestamp");
            assert!(leg.is_none(), "{}", live.event);
        }
        for outcome in [
            Outcome::CustomerEnded,
            Outcome::AgentEnded,
            Outcome::Voicemail,
            Outcome::Busy,
            Outcome::EndedByApi,
        ] {
            let other = shown(Phase::Ended(outcome), false, Part::Full);
            assert!(other.get("transfer_end_timestamp").is_none(), "{outcome:?}");
        }
    }

    /// Some transferred calls (about one in four, by their seed) first try a transfer that
    /// is cancelled half-way through the conversation, then one that bridges at its end:
    /// `transfer_started` and `transfer_cancelled` among the turns' updates (the call as it
    /// stood then, with the destination object), the usual transfer events after. The call
    /// still ends transferred to that destination. A target without every event, and a
    /// call not transferred, get no cancelled attempt.
    #[test]
    fn some_transferred_calls_first_try_a_transfer_that_is_cancelled() {
        let names = |posted: &[Outgoing]| -> Vec<String> {
            posted.iter().map(|o| o.event.clone()).collect()
        };
        let mut cancelled = 0;
        for seed in 0..64 {
            let mut transferred = call(Phase::Ended(Outcome::Transferred), false);
            transferred.content_seed = seed;
            let view = transferred.view(Instant::now(), &crate::Timing::default());
            let full = render(&transferred, &view, Part::Full);
            assert_eq!(full["disconnection_reason"], "call_transfer");
            assert_eq!(full["transfer_destination"], TRANSFER_TO);
            let lifecycle = stage_deliveries(&transferred, &view, Stage::Ended, false);
            assert_eq!(names(&lifecycle), ["call_ended", "call_analyzed"]);
            let mut customer_ended = transferred.clone();
            customer_ended.lifecycle = Lifecycle::Fixed(Phase::Ended(Outcome::CustomerEnded));
            let not_transferred = customer_ended.view(Instant::now(), &crate::Timing::default());
            let posted = stage_deliveries(&customer_ended, &not_transferred, Stage::Ended, true);
            assert!(names(&posted).iter().all(|n| !n.starts_with("transfer_")));

            let posted = stage_deliveries(&transferred, &view, Stage::Ended, true);
            let said = names(&posted);
            let spoken = said.iter().filter(|n| *n == "transcript_updated").count() - 1;
            let mut bridged = vec!["transcript_updated"; spoken];
            bridged.extend([
                "transfer_started",
                "transfer_bridged",
                "transcript_updated",
                "call_ended",
                "transfer_ended",
                "call_analyzed",
            ]);
            let Some(at) = said.iter().position(|n| n == "transfer_cancelled") else {
                assert_eq!(said, bridged, "seed {seed}");
                continue;
            };
            cancelled += 1;
            // Tried after a turn, neither the first nor the last.
            let turn = at - 1;
            assert!(turn >= 1 && turn < spoken, "seed {seed}: {said:?}");
            let mut expected = bridged;
            expected.splice(turn..turn, ["transfer_started", "transfer_cancelled"]);
            assert_eq!(said, expected, "seed {seed}");
            let (started, cancel) = (&posted[at - 1].body, &posted[at].body);
            let second = posted.iter().rposition(|o| o.event == "transfer_started");
            let second = &posted[second.unwrap()].body;
            let turns = |body: &Value| body["call"]["transcript_object"].as_array().map(Vec::len);
            for attempt in [started, cancel] {
                assert_eq!(
                    attempt["transfer_destination"],
                    json!({ "number": TRANSFER_TO })
                );
                assert_eq!(attempt["call"]["call_status"], "ongoing");
                assert!(attempt["call"].get("transfer_destination").is_none());
                assert!(attempt["call"].get("disconnection_reason").is_none());
                assert_eq!(turns(attempt), Some(turn));
            }
            assert_eq!(posted[at].vendor_status.as_deref(), Some("ongoing"));
            // The second attempt is later in the call: a receiver does not take it for a
            // redelivery of the first.
            assert_eq!(turns(second), Some(spoken));
            assert_eq!(
                second["transfer_destination"],
                started["transfer_destination"]
            );
        }
        assert!((4..=32).contains(&cancelled), "{cancelled} of 64");
    }

    #[test]
    fn tool_calls_come_as_invocation_and_result() {
        // Some seed has a tool call.
        let with_tool = (0..32)
            .map(|seed| {
                let mut c = call(Phase::Ended(Outcome::CustomerEnded), false);
                c.content_seed = seed;
                let view = c.view(Instant::now(), &crate::Timing::default());
                render(&c, &view, Part::Full)
            })
            .find(|c| {
                c["transcript_with_tool_calls"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|u| u["role"] == "tool_call_invocation")
            })
            .unwrap();
        let entries = with_tool["transcript_with_tool_calls"].as_array().unwrap();
        let invocation = entries
            .iter()
            .find(|u| u["role"] == "tool_call_invocation")
            .unwrap();
        let result = entries
            .iter()
            .find(|u| u["role"] == "tool_call_result")
            .unwrap();
        assert_eq!(invocation["tool_call_id"], result["tool_call_id"]);
        assert!(
            invocation["tool_call_id"]
                .as_str()
                .unwrap()
                .starts_with("tool_call_")
        );
        assert!(invocation["arguments"].is_string() && invocation["name"].is_string());
        assert_eq!(result["successful"], true);
        // Not in the spoken-only transcript.
        assert!(
            with_tool["transcript_object"]
                .as_array()
                .unwrap()
                .iter()
                .all(|u| u["role"] == "agent" || u["role"] == "user")
        );
    }

    #[test]
    fn filters_read_retells_operators() {
        let item = shown(Phase::Ended(Outcome::CustomerEnded), false, Part::Listed);
        let start = item["start_timestamp"].as_i64().unwrap();
        let holds = |criteria: Value| {
            conditions(Some(&criteria))
                .unwrap()
                .iter()
                .all(|c| c.matches(&item))
        };
        assert!(holds(json!({"agent": [{"agent_id": RETELL_AGENTS[1]}]})));
        assert!(!holds(json!({"agent": [{"agent_id": RETELL_AGENTS[0]}]})));
        assert!(!holds(
            json!({"agent": [{"agent_id": RETELL_AGENTS[1], "version": [1, 2]}]})
        ));
        assert!(holds(
            json!({"call_type": {"type": "enum", "op": "in", "value": ["phone_call"]}})
        ));
        assert!(holds(
            json!({"to_number": {"type": "string", "op": "eq", "value": "+14155550199"}})
        ));
        assert!(holds(
            json!({"to_number": {"type": "string", "op": "sw", "value": "+1415"}})
        ));
        assert!(!holds(
            json!({"from_number": {"type": "string", "op": "co", "value": "999"}})
        ));
        assert!(holds(
            json!({"start_timestamp": {"type": "number", "op": "ge", "value": start}})
        ));
        assert!(!holds(
            json!({"start_timestamp": {"type": "number", "op": "lt", "value": start}})
        ));
        assert!(holds(
            json!({"start_timestamp": {"type": "range", "op": "bt", "value": [start, start]}})
        ));
        assert!(holds(
            json!({"call_successful": {"type": "present", "op": "pr"}})
        ));
        assert!(holds(
            json!({"user_sentiment": {"type": "present", "op": "pr"}})
        ));
        // A call that never started matches no time condition.
        let missed = shown(Phase::Ended(Outcome::Busy), false, Part::Listed);
        let cond = conditions(Some(
            &json!({"start_timestamp": {"type": "number", "op": "ge", "value": 0}}),
        ))
        .unwrap();
        assert!(!cond[0].matches(&missed));
        let absent = conditions(Some(
            &json!({"start_timestamp": {"type": "present", "op": "np"}}),
        ))
        .unwrap();
        assert!(absent[0].matches(&missed));
        // Malformed or not emulated: refused.
        for bad in [
            json!({"direction": {"type": "string", "op": "eq", "value": "inbound"}}),
            json!({"start_timestamp": {"type": "range", "op": "bt", "value": [1]}}),
            json!({"agent": {"agent_id": "a"}}),
            json!({"metadata": []}),
            json!([]),
        ] {
            assert!(conditions(Some(&bad)).is_err(), "{bad}");
        }
    }

    /// `"sort_order": null` is the default order, as a null is absent for every other
    /// field; a value Retell does not take is still refused.
    #[tokio::test]
    async fn a_null_sort_order_is_the_default() {
        use voiceport_core::ProviderKind::Retell;
        let sandbox = crate::Sandbox::builder()
            .seed(1)
            .calls(Retell, 5)
            .start()
            .await
            .unwrap();
        let list = |body: Value| {
            let request = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(format!("{}/v3/list-calls", sandbox.base_url(Retell)))
                .header(
                    "authorization",
                    format!("Bearer {}", sandbox.api_key(Retell)),
                )
                .header("content-type", "application/json")
                .body(body.to_string());
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
                (status, body)
            }
        };
        let (status, default) = list(json!({})).await;
        assert_eq!(status, 200, "{default}");
        let (status, null) = list(json!({"sort_order": null})).await;
        assert_eq!(status, 200, "{null}");
        assert_eq!(null["items"], default["items"]);
        let (status, _) = list(json!({"sort_order": "newest"})).await;
        assert_eq!(status, 400);
        let (status, _) = list(json!({"sort_order": 1})).await;
        assert_eq!(status, 400);
    }

    #[test]
    fn pagination_keys_read_back() {
        let token = pagination_key(1_773_157_327_318, "call_ab12");
        assert_eq!(
            read_pagination_key(&token),
            Some((1_773_157_327_318, "call_ab12".into()))
        );
        assert_eq!(read_pagination_key("zz"), None);
        assert_eq!(read_pagination_key("7b"), None);
    }
}
