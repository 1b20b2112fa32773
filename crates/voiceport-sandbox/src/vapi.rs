//! The Vapi family: Vapi itself and Voicebot Studio, a white-label of Vapi, as one emulator
//! in two flavours ([`Flavor`]).
//!
//! Both serve Vapi's call object, statuses, end reasons, messages and server messages. What
//! differs is only what differs between the vendors:
//!
//! | | Voicebot Studio | Vapi |
//! | --- | --- | --- |
//! | paths | `/api/v1/calls`, `/api/v1/calls/{call_id}` | `/call`, `/call/{id}` |
//! | key | `X-API-Key` | `Authorization: Bearer` |
//! | errors | FastAPI's (`{detail}`), validation 422 (inferred) | NestJS's (`{message, error, statusCode}`), validation 400 |
//! | the call | the fields of its documented call, every one present, `null` when unset; `transcript`, `recordingUrl`, `stereoRecordingUrl`, `summary` and `organizationId` flattened at the top; none of Vapi's `endedMessage`, `schedulePlan`, `costBreakdown`, `costs`, `destination`, but Vapi's `name`, `campaignId` and `cost` (undocumented for Voicebot Studio: inferred, see [`NOT_IN_VOICEBOT_CALL`]) | Vapi's fields, unset ones absent; the transcript and recordings in `artifact`, the summary in `analysis`; `assistantOverrides` as dialed |
//! | live control | none | `monitor.controlUrl` on every live call (of an assistant with live control: all but the third), which ends it on `POST {"type": "end-call"}` |
//! | a dial | a `customer.number` (or `sipUri`) and an `assistantId` (or an inline `assistant`, a squad or a workflow) | and, for a number, a `phoneNumberId` (or `phoneNumber`) to call from (inferred: Vapi's schema requires no field of a dial) |
//! | phone numbers | none (undocumented) | `GET /phone-number/{id}`: the account's two numbers, Twilio numbers; the calls name theirs by id only, as Vapi's do, and a call dialed from a transient number (`phoneNumber`, its `twilioPhoneNumber`) shows it as given, without its auth token |
//!
//! In both, a placed call (not one still scheduled) says how it is carried: `transport`
//! (`{provider: "twilio", callSid, accountSid}` for a phone call, `{provider: "vapi.sip"}`
//! for one to a SIP address (inferred), `{provider: "daily"}` for a web call), and for a
//! Twilio call the deprecated `phoneCallProviderId`, the same call SID (Vapi documents
//! both, the provider id as replaced by `transport`; Voicebot Studio's call lists both;
//! the SIDs are the sandbox's).
//!
//! The list takes Vapi's parameters for both (Voicebot Studio documents none): `limit`
//! (default 100, at most 1000), `createdAtLt`/`Le`/`Gt`/`Ge`, `updatedAtLt`/`Le`/`Gt`/`Ge`
//! (on the `updatedAt` each call shows), `assistantId`, `phoneNumberId` (never matching a
//! call that shows none), `id`; newest first (inferred: Vapi does not document the order,
//! and the adapter refuses a full page in another one rather than skip calls); a bare
//! array, no cursor. Vapi's batch dial (`customers[]`) is not emulated: it is refused
//! (400, 422 for Voicebot Studio) with a message saying the sandbox does not emulate it.
//!
//! Live control: each live Vapi call (queued, ringing or in progress) has a
//! `monitor.controlUrl` but those of the account's third assistant (as if the others set
//! `monitorPlan.controlEnabled: true` and it did not: its calls have no `monitor`, and
//! `end_call` on them is a conflict, as on Vapi), `{sandbox}/vapi-live/{id}/control`,
//! served without a key (in
//! production the URL is on another host and its path is the secret; Vapi's own example
//! sends no key). `end-call` ends the call (`endedReason` `manually-canceled`, inferred:
//! Vapi does not say which reason a control end gets); the other control messages of
//! Vapi's [Live Call Control](https://docs.vapi.ai/calls/call-features) page (`say`,
//! `add-message`, `control`, `transfer`; not its newer handoff) are accepted and change
//! nothing (the sandbox has no audio). The answer, undocumented, is 200 with an empty
//! body; a call that is not live (scheduled, over, gone) answers 404 (inferred: Vapi does
//! not say).
//! `monitor.listenUrl` is shown but not served.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use voiceport_core::Direction;

use crate::common::{
    Ctx, FieldsIn, JsonObject, TRANSFER_TO, error, error_in, iso, json_response, object, optional,
    parse_time, text, time_params,
};
use crate::content::{Who, conversation, cost, four_places, recording_url, transcript_text};
use crate::rng::hex_for;
use crate::sim::{Outcome, Phase, SimCall, View};
use crate::store::{self, DialSpec};
use crate::vendor::Vendor;
use crate::webhooks::{Outgoing, Stage};

/// Where Vapi calls' live control is served (outside the API's prefix: no key).
pub(crate) const LIVE: &str = "/vapi-live";

/// Vapi's limit on a call's `name`, in UTF-16 code units as its validator counts them.
const MAX_NAME: usize = 40;

/// Which vendor of the family an emulator speaks as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Voicebot,
    Vapi,
}

/// A second number each emulated Vapi-family account owns, beside its default.
const SECOND_PHONE_NUMBER_ID: &str = "0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f";

impl Flavor {
    /// The calls resource: Voicebot Studio's is plural.
    fn calls(self) -> &'static str {
        match self {
            Flavor::Voicebot => "/calls",
            Flavor::Vapi => "/call",
        }
    }

    /// The status of a body that does not validate: FastAPI's 422 (inferred for Voicebot
    /// Studio), NestJS's 400 for Vapi.
    fn invalid(self) -> StatusCode {
        match self {
            Flavor::Voicebot => StatusCode::UNPROCESSABLE_ENTITY,
            Flavor::Vapi => StatusCode::BAD_REQUEST,
        }
    }

    fn organization(self) -> &'static str {
        match self {
            Flavor::Voicebot => "3f1e2d3c-4b5a-4697-8877-665544332211",
            Flavor::Vapi => "d2c4e6a8-1b3d-4f5a-8c7e-9a0b1c2d3e4f",
        }
    }

    /// The account's phone number (its id: the option `phone_number_id`).
    pub(crate) fn phone_number_id(self) -> &'static str {
        match self {
            Flavor::Voicebot => "8c7d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
            Flavor::Vapi => "4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c",
        }
    }

    /// Whether the account owns the phone number `id`: the one a dial uses by default, or
    /// the second number every emulated account has (a dial may name either).
    fn owns_number(self, id: &str) -> bool {
        self.number_of(id).is_some()
    }

    /// The id of the number `call` was placed from: the one its dial named, else the
    /// account's.
    fn number_id(self, call: &SimCall) -> &str {
        call.number_id.as_deref().unwrap_or(self.phone_number_id())
    }

    /// The `phoneNumberId` `call` shows: none for a web call or one from a transient
    /// number (not one of the account's), which the list's filter must not match either.
    /// The field problems a refusal of a missing resource lists: none for Vapi, which
    /// writes it as one message; `problem` for Voicebot Studio's validator (inferred).
    fn missing_resource<'p>(self, problem: &'p [(&'p str, &'p str)]) -> &'p [(&'p str, &'p str)] {
        match self {
            Flavor::Vapi => &[],
            Flavor::Voicebot => problem,
        }
    }

    /// The `phoneNumberId` a call shows: none for a web call or one dialed from a
    /// transient number.
    fn shown_number_id(self, call: &SimCall) -> Option<&str> {
        (!call.web && !call.transient_number).then(|| self.number_id(call))
    }

    /// The assistant a dial names by default (the option `assistant_id`).
    pub(crate) fn assistant_id(self) -> &'static str {
        match self {
            Flavor::Voicebot => "5b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            Flavor::Vapi => crate::store::VAPI_ASSISTANTS[0],
        }
    }

    /// Whether the account `vendor` has the assistant `id`: the seeded history's and the
    /// one a dial names by default.
    fn has_assistant(self, vendor: Vendor, id: &str) -> bool {
        id == self.assistant_id() || crate::store::has_agent(vendor, id)
    }

    /// The number of the account's phone number `id`: the default number's (every seeded
    /// call is on it) or the second's; none for an id the account does not have.
    fn number_of(self, id: &str) -> Option<&'static str> {
        let (default, second) = match self {
            Flavor::Voicebot => (store::VOICEBOT_OWN_NUMBER, store::VOICEBOT_SECOND_NUMBER),
            Flavor::Vapi => (store::VAPI_OWN_NUMBER, store::VAPI_SECOND_NUMBER),
        };
        match id {
            _ if id == self.phone_number_id() => Some(default),
            SECOND_PHONE_NUMBER_ID => Some(second),
            _ => None,
        }
    }

    /// The Twilio account the account's numbers are on (`transport.accountSid`): `AC`
    /// and 32 hex digits, one per flavour (its value the sandbox's).
    fn twilio_account_sid(self) -> String {
        format!("AC{}", hex_for(self.organization(), 7, 32))
    }

    fn recordings(self) -> &'static str {
        match self {
            Flavor::Voicebot => "voicebot",
            Flavor::Vapi => "vapi",
        }
    }
}

/// How calls are rendered: the flavour, and where the sandbox listens (Vapi's live calls
/// carry URLs that point back at it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Family<'a> {
    pub(crate) flavor: Flavor,
    pub(crate) origin: &'a str,
}

/// The state of one flavour's handlers.
#[derive(Debug, Clone)]
struct Api {
    ctx: Ctx,
    flavor: Flavor,
}

/// What [`JsonObject`] reads the vendor from.
impl FromRef<Api> for Ctx {
    fn from_ref(api: &Api) -> Self {
        api.ctx.clone()
    }
}

impl Api {
    fn family(&self) -> Family<'_> {
        Family {
            flavor: self.flavor,
            origin: self.ctx.state.origin(),
        }
    }

    /// `call` as it stands now, in this flavour.
    fn render(&self, call: &SimCall) -> Value {
        self.family().render(call, &self.ctx.view(call))
    }

    fn fail(&self, status: StatusCode, message: &str, details: &[(&str, &str)]) -> Response {
        error(self.ctx.vendor, status, message, details)
    }

    /// [`Api::fail`] for the list's query parameters.
    fn fail_query(&self, message: &str, details: &[(&str, &str)]) -> Response {
        let (vendor, status) = (self.ctx.vendor, self.flavor.invalid());
        error_in(vendor, status, message, details, FieldsIn::Query)
    }

    /// A call not found: 404 (inferred: `GET` and `PATCH` document no error at all).
    fn not_found(&self) -> Response {
        self.fail(StatusCode::NOT_FOUND, "Call not found", &[])
    }
}

/// Voicebot Studio's API.
pub(crate) fn voicebot_router(ctx: Ctx) -> Router {
    router(ctx, Flavor::Voicebot)
}

/// Vapi's API.
pub(crate) fn vapi_router(ctx: Ctx) -> Router {
    router(ctx, Flavor::Vapi)
}

fn router(ctx: Ctx, flavor: Flavor) -> Router {
    let calls = flavor.calls();
    let router = Router::new().route(calls, get(list).post(dial)).route(
        &format!("{calls}/{{id}}"),
        get(get_call).patch(update).delete(delete),
    );
    // Voicebot Studio documents no phone number endpoint.
    let router = match flavor {
        Flavor::Vapi => router.route("/phone-number/{id}", get(phone_number)),
        Flavor::Voicebot => router,
    };
    router.with_state(Api { ctx, flavor })
}

/// Vapi's `GET /phone-number/{id}`: the account's two numbers, as Twilio numbers (the
/// fields of Vapi's `TwilioPhoneNumber`; the values the sandbox's). An id the account does
/// not have: 404 (inferred, as for a call).
async fn phone_number(State(api): State<Api>, Path(id): Path<String>) -> Response {
    let Some(number) = api.flavor.number_of(&id) else {
        return api.fail(StatusCode::NOT_FOUND, "Phone number not found", &[]);
    };
    let name = match id == api.flavor.phone_number_id() {
        true => "Main line",
        false => "Second line",
    };
    let body = json!({
        "id": id,
        "orgId": api.flavor.organization(),
        "provider": "twilio",
        "number": number,
        "name": name,
        "status": "active",
        "twilioAccountSid": api.flavor.twilio_account_sid(),
        "createdAt": "2025-11-03T16:20:00.000Z",
        "updatedAt": "2025-11-03T16:20:00.000Z",
    });
    json_response(StatusCode::OK, body)
}

/// The live-call control URLs of Vapi's calls (nested at [`LIVE`]).
pub(crate) fn live_router(ctx: Ctx) -> Router {
    Router::new()
        .route("/{id}/control", post(control))
        .with_state(Api {
            ctx,
            flavor: Flavor::Vapi,
        })
}

fn status_and_reason(phase: Phase) -> (&'static str, Option<&'static str>) {
    match phase {
        Phase::Scheduled => ("scheduled", None),
        Phase::Queued => ("queued", None),
        Phase::Dialing | Phase::Ringing => ("ringing", None),
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

/// Whether calls of the assistant `agent_id` have live control: all but the account's third
/// assistant, which stands for one without `monitorPlan.controlEnabled` (off by default:
/// inferred, Vapi states no default).
fn controlled(agent_id: &str) -> bool {
    agent_id != crate::store::VAPI_ASSISTANTS[2]
}

impl Family<'_> {
    /// The server message the vendor posts when a call ends, as of when it ended (see
    /// [`Family::report`]).
    pub(crate) fn end_delivery(self, call: &SimCall, view: &View) -> Value {
        self.report(call, view, view.ended_at.unwrap_or_else(Utc::now))
    }

    /// The server messages posted when a dialed call reaches `stage`: a `status-update`
    /// per status (a transferred call's `forwarding` before its `ended`), and after `ended`
    /// the `end-of-call-report`.
    ///
    /// The `call` inside each status update and the report is a stale snapshot, what is
    /// new being at the message level: the `ringing` and `in-progress` updates carry the
    /// call as it stood a phase before (queued, ringing), the `ended` update the call
    /// before it ended, the report the call as dialed (see [`Family::report`]). Inferred:
    /// Vapi documents `call` among the keys every server message may carry, and the
    /// report as the call's data, but not how current that `call` is, and no delivery was
    /// captured; the stale snapshot follows the fixtures' reading of third-party reports.
    pub(crate) fn stage_deliveries(
        self,
        call: &SimCall,
        view: &View,
        stage: Stage,
        at: DateTime<Utc>,
    ) -> Vec<Outgoing> {
        let (status, reason) = status_and_reason(view.phase);
        let update = |snapshot: Value| {
            let mut message = json!({
                "timestamp": at.timestamp_millis(),
                "type": "status-update",
                "status": status,
                "call": snapshot,
            });
            if let Some(reason) = reason {
                message["endedReason"] = json!(reason);
            }
            let body = self.server_message(call, message);
            Outgoing::new("status-update", Some(status), body)
        };
        match stage {
            Stage::Ringing | Stage::InProgress => {
                vec![update(self.render(call, &view.a_phase_before()))]
            }
            Stage::Ended => {
                let before = view.before_its_end();
                let handed_over = (view.phase == Phase::Ended(Outcome::Transferred))
                    .then(|| self.forwarding(call, view, &before, at));
                let report = Outgoing::new(
                    "end-of-call-report",
                    Some(status),
                    self.report(call, view, at),
                );
                handed_over
                    .into_iter()
                    .chain([update(self.render(call, &before)), report])
                    .collect()
            }
        }
    }

    /// The `status-update` `forwarding` posted as the assistant hands the call over, just
    /// before it ends: where to (`destination`), the conversation until then (`messages`,
    /// their OpenAI-format copies, `transcript`, `summary`: Vapi sends these with
    /// `forwarding` only) and the call as it stands, in progress.
    fn forwarding(
        self,
        call: &SimCall,
        view: &View,
        live: &View,
        ended: DateTime<Utc>,
    ) -> Outgoing {
        let full = self.fields(call, view);
        let at = (ended - chrono::TimeDelta::seconds(1)).max(view.started_at.unwrap_or(ended));
        let mut message = messages_of(&full);
        message.extend([
            ("timestamp".into(), json!(at.timestamp_millis())),
            ("type".into(), json!("status-update")),
            ("status".into(), json!("forwarding")),
            (
                "destination".into(),
                json!({ "type": "number", "number": TRANSFER_TO }),
            ),
            (
                "transcript".into(),
                full.get("transcript").cloned().unwrap_or(Value::Null),
            ),
            (
                "summary".into(),
                full.get("summary").cloned().unwrap_or(Value::Null),
            ),
            ("call".into(), self.render(call, live)),
        ]);
        let body = self.server_message(call, Value::Object(message));
        Outgoing::new("status-update", Some("forwarding"), body)
    }

    /// `message` as the body of a server message about `call`: with the `customer` and
    /// the account's `phoneNumber`, which every server message carries.
    fn server_message(self, call: &SimCall, mut message: Value) -> Value {
        if let Some(customer) = customer(call) {
            message["customer"] = customer;
        }
        if let Some(number) = self.phone_number(call) {
            message["phoneNumber"] = number;
        }
        json!({ "message": message })
    }

    /// With `every_event`, what else a default Vapi assistant posts (its `serverMessages`
    /// hold `speech-update` and `conversation-update` too; the sandbox leaves them out
    /// unless asked, so that a call's lifecycle reads at a glance): in progress, a
    /// `speech-update` as the assistant starts its first turn (after the status update);
    /// at the end of a call that talked, before its last status update, its conversation
    /// line by line: for each line spoken, a `speech-update` as its speaker starts (but the
    /// first) and stops, then a `conversation-update` with the conversation so far
    /// (`messages` and their OpenAI-format copies) and the call as it stood; for each tool
    /// line (an invocation, its result), a `conversation-update` (Vapi sends one at each
    /// commit to the conversation); each stamped with the time in the call it tells of.
    /// Vapi sends these as they happen; the sandbox, whose calls have no turns in time,
    /// sends them all as the call ends. Inferred: `turn` counting each line spoken by
    /// either side (Vapi says only that it is 0-based), and a line's update after its
    /// `stopped` (Vapi documents no order).
    pub(crate) fn add_every_event(
        self,
        posted: &mut Vec<Outgoing>,
        call: &SimCall,
        view: &View,
        stage: Stage,
        at: DateTime<Utc>,
    ) {
        let live = view.before_its_end();
        let message = |kind: &str, mut fields: Map<String, Value>, at: DateTime<Utc>| {
            fields.extend([
                ("timestamp".into(), json!(at.timestamp_millis())),
                ("type".into(), json!(kind)),
                ("call".into(), self.render(call, &live)),
            ]);
            Outgoing::new(
                kind,
                Some("in-progress"),
                self.server_message(call, Value::Object(fields)),
            )
        };
        let speech = |status: &str, role: &str, turn: usize, at| {
            let fields = Map::from_iter([
                ("status".into(), json!(status)),
                ("role".into(), json!(role)),
                ("turn".into(), json!(turn)),
            ]);
            message("speech-update", fields, at)
        };
        match stage {
            Stage::InProgress => {
                // Who speaks first (the script's order does not depend on the call's length).
                let lines = conversation(call.content_seed, 1.0).lines;
                let first = lines.iter().find_map(|line| match line.who {
                    Who::Agent => Some("assistant"),
                    Who::Customer => Some("user"),
                    _ => None,
                });
                posted.push(speech("started", first.unwrap_or("assistant"), 0, at));
            }
            Stage::Ended if view.has_conversation() => {
                let Some(Value::Array(messages)) = self.fields(call, view).get("messages").cloned()
                else {
                    return;
                };
                // In the order of the conversation: each line spoken is started (the first
                // was, in progress), stopped and committed; each tool line committed.
                let millis = |line: &Value, key: &str| {
                    let at_ms = line.get(key).and_then(Value::as_f64)?;
                    DateTime::from_timestamp_millis(at_ms.round() as i64)
                };
                let mut turns = Vec::new();
                let mut turn = 0;
                for (i, line) in messages.iter().enumerate() {
                    let role = match line.get("role").and_then(Value::as_str) {
                        Some("bot") => Some("assistant"),
                        Some("user") => Some("user"),
                        // The prompt, there before anyone speaks: not a commit of its own.
                        Some("system") => continue,
                        _ => None,
                    };
                    let began = millis(line, "time").unwrap_or(at);
                    let committed = match role {
                        Some(role) => {
                            if turn > 0 {
                                turns.push(speech("started", role, turn, began));
                            }
                            let ended = millis(line, "endTime").unwrap_or(began);
                            turns.push(speech("stopped", role, turn, ended));
                            turn += 1;
                            ended
                        }
                        None => began,
                    };
                    let so_far: Vec<Value> = messages.iter().take(i + 1).cloned().collect();
                    let fields = messages_of(&json!({ "messages": so_far }));
                    turns.push(message("conversation-update", fields, committed));
                }
                posted.splice(0..0, turns);
            }
            _ => {}
        }
    }

    /// The `tool-calls` request of a call whose assistant uses its tool (the tool line of
    /// its conversation), as Vapi posts it to a server-side tool mid-call: the invocation in
    /// `toolCallList` (arguments as an object: inferred, the reference gives no type) and again with its tool in
    /// `toolWithToolCallList`, and the call as it stands. `None` for a call without one.
    pub(crate) fn tool_calls(
        self,
        call: &SimCall,
        view: &View,
        at: DateTime<Utc>,
    ) -> Option<Outgoing> {
        let conversation = conversation(call.content_seed, view.duration_secs.unwrap_or(0.0));
        let line = (conversation.lines.iter()).find(|line| line.who == Who::ToolCall)?;
        let (name, id) = line.tool.as_ref()?;
        let arguments: Value = serde_json::from_str(&line.text).unwrap_or(Value::Null);
        let invocation = tool_invocation(id, name, arguments);
        let message = json!({
            "timestamp": at.timestamp_millis(),
            "type": "tool-calls",
            "toolCallList": [invocation],
            "toolWithToolCallList": [{
                "type": "function",
                "function": { "name": name },
                "messages": [],
                "toolCall": invocation,
            }],
            "call": self.render(call, view),
        });
        Some(Outgoing::request(
            "tool-calls",
            self.server_message(call, message),
        ))
    }

    /// An `end-of-call-report`: the results at the message level (`endedReason`,
    /// `startedAt`/`endedAt`, durations, costs, `analysis`, `summary`, `transcript`,
    /// `messages`, recording URLs, `customer`, `phoneNumber`) and again in `artifact` (with
    /// the OpenAI-formatted messages), while `message.call` is the call as it was dialed
    /// (`queued`, no results). The conversation is the one `GET` of the call shows, message
    /// for message. The same for both flavours but for `message.call`.
    ///
    /// Documented (Vapi's `ServerMessageEndOfCallReport` schema): `endedReason`, `artifact`
    /// and `analysis` (required), `cost`, `costs`, `destination`, `startedAt`, `endedAt`,
    /// and the keys common to server messages (`timestamp`, `call`, `customer`,
    /// `phoneNumber`). Inferred, as no delivery was captured: the other top-level copies
    /// (`messages`, `summary`, `transcript`, the recording URLs, `costBreakdown`,
    /// `durationMs`/`Seconds`/`Minutes`, taken from third-party code that reads reports),
    /// that `message.call` is a stale snapshot (see [`Family::stage_deliveries`]), and
    /// that Voicebot Studio posts the same report but with `message.call` in its own REST
    /// shape (Voicebot Studio documents no webhooks).
    fn report(self, call: &SimCall, view: &View, at: DateTime<Utc>) -> Value {
        let full = self.fields(call, view);
        let dialed = View {
            phase: if call.scheduled_for.is_some() {
                Phase::Scheduled
            } else {
                Phase::Queued
            },
            started_at: None,
            ended_at: None,
            duration_secs: None,
        };
        let field = |key: &str| full.get(key).cloned().unwrap_or(Value::Null);
        let messages = match field("messages") {
            Value::Array(messages) => messages,
            _ => Vec::new(),
        };
        let mut message = json!({
            "timestamp": at.timestamp_millis(),
            "type": "end-of-call-report",
            "endedReason": field("endedReason"),
            // Required by Vapi's schema: an unanswered call has an empty analysis.
            "analysis": match field("analysis") {
                Value::Null => json!({}),
                analysis => analysis,
            },
            "messages": messages,
            "call": self.render(call, &dialed),
        });
        for key in [
            "startedAt",
            "endedAt",
            "cost",
            "costBreakdown",
            "costs",
            "summary",
            "transcript",
            "recordingUrl",
            "stereoRecordingUrl",
            "customer",
            "destination",
        ] {
            let value = field(key);
            if !value.is_null() {
                message[key] = value;
            }
        }
        if let Some(seconds) = view.duration_secs {
            message["durationMs"] = json!((seconds * 1000.0).round() as i64);
            message["durationSeconds"] = json!(seconds);
            message["durationMinutes"] = json!(four_places(seconds / 60.0));
        }
        if let Some(number) = self.phone_number(call) {
            message["phoneNumber"] = number;
        }
        message["artifact"] = artifact(&full);
        json!({ "message": message })
    }

    /// The account's number a phone call is on, as every server message carries it (one
    /// of the keys common to them all): none for a web call; a transient number as the dial
    /// gave it (its number, no id: it is not one of the account's).
    fn phone_number(self, call: &SimCall) -> Option<Value> {
        let number = if call.direction == Direction::Inbound {
            &call.to
        } else {
            &call.from
        };
        match (call.web, call.transient_number) {
            (true, _) => None,
            // As the dial gave it (Vapi's `ImportTwilioPhoneNumberDTO`), its auth token
            // left out (inferred: what Vapi shows of a transient number is not documented).
            (false, true) => Some(json!({
                "twilioPhoneNumber": number,
                "twilioAccountSid": self.flavor.twilio_account_sid(),
            })),
            (false, false) => Some(json!({
                "id": self.flavor.number_id(call),
                "orgId": self.flavor.organization(),
                "number": number,
                "provider": "twilio",
                "status": "active",
            })),
        }
    }

    /// The call as `GET` shows it in this flavour.
    fn render(self, call: &SimCall, view: &View) -> Value {
        let full = self.fields(call, view);
        match self.flavor {
            Flavor::Voicebot => voicebot_shape(full),
            Flavor::Vapi => self.vapi_shape(call, view, full),
        }
    }

    /// Everything the sandbox shows of a call in either flavour, laid out as Voicebot
    /// Studio lays its call out: every field, `null` when unset, the artifact's fields
    /// flattened at the top. Each flavour's call is made from it ([`voicebot_shape`],
    /// [`Family::vapi_shape`]), and the server messages take their fields from it.
    fn fields(self, call: &SimCall, view: &View) -> Value {
        let flavor = self.flavor;
        let (status, reason) = status_and_reason(view.phase);
        let call_type = match (call.web, call.direction) {
            (true, _) => "webCall",
            (false, Direction::Inbound) => "inboundPhoneCall",
            (false, Direction::Outbound) => "outboundPhoneCall",
        };
        // A call to a SIP address goes over Vapi's SIP trunk, not the Twilio number's
        // line (inferred: the reference lists `vapi.sip` among the transports).
        let sip = !call.web && customer_party(call).is_some_and(is_sip_uri);
        let mut body = json!({
            "id": call.id,
            "orgId": flavor.organization(),
            "organizationId": flavor.organization(),
            "type": call_type,
            "status": status,
            "endedReason": reason,
            // Vapi's context for an error end (its text is the sandbox's).
            "endedMessage": (view.phase == Phase::Ended(Outcome::Failed))
                .then_some("SIP 503 Service Unavailable from the carrier"),
            "createdAt": iso(call.created_at),
            "updatedAt": iso(updated_at(call, view)),
            "startedAt": view.started_at.map(iso),
            "endedAt": view.ended_at.map(iso),
            "assistantId": call.agent_id,
            "phoneNumberId": flavor.shown_number_id(call),
            "phoneCallProvider": (!call.web).then_some(if sip { "vapi" } else { "twilio" }),
            "phoneCallTransport": (!call.web).then_some(if sip { "sip" } else { "pstn" }),
            "phoneCallProviderId": null,
            "transport": null,
            "customer": customer(call),
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
            "costs": null,
        });
        // A transient number is shown as the dial gave it; the account's by id only.
        if call.transient_number {
            body["phoneNumber"] = self.phone_number(call).unwrap_or_default();
        }
        // How the call is carried, once placed (a scheduled call is not yet, and one
        // canceled while scheduled never was): `transport`,
        // and for a phone call the deprecated `phoneCallProviderId` Vapi keeps beside it,
        // the Twilio call's SID (`CA` and 32 hex digits; the values the sandbox's).
        if !matches!(view.phase, Phase::Scheduled | Phase::Canceled) {
            body["transport"] = if call.web {
                json!({ "provider": "daily" })
            } else if sip {
                json!({ "provider": carrier(sip) })
            } else {
                let sid = format!("CA{}", hex_for(&call.id, 11, 32));
                body["phoneCallProviderId"] = json!(sid);
                json!({ "provider": "twilio", "callSid": sid, "accountSid": flavor.twilio_account_sid() })
            };
        }
        if view.phase == Phase::Ended(Outcome::Transferred) {
            body["destination"] = json!({ "type": "number", "number": TRANSFER_TO });
        }
        if view.has_conversation() {
            let talk = view.duration_secs.unwrap_or(0.0);
            let talk_ms = view.started_at.map(|t| t.timestamp_millis()).unwrap_or(0) as f64;
            let conversation = conversation(call.content_seed, talk);
            // The assistant's prompt first, stamped just before the call started and
            // without an `endTime`, as live payloads hold it (its text is the sandbox's,
            // naming the agent the conversation's first line introduces).
            let system = json!({ "role": "system", "time": talk_ms - 400.0, "secondsFromStart": 0,
                "message": conversation.prompt });
            let spoken = conversation.lines.iter().map(|line| {
                    let time = talk_ms + line.start * 1000.0;
                    let end = talk_ms + line.end * 1000.0;
                    // `duration` in seconds, as Vapi's API reference describes it (the
                    // adapter reads `endTime - time` instead).
                    match (line.who, &line.tool) {
                        (Who::Agent, _) => json!({ "role": "bot", "message": line.text, "time": time, "endTime": end,
                            "secondsFromStart": line.start, "duration": line.end - line.start, "source": "" }),
                        (Who::Customer, _) => json!({ "role": "user", "message": line.text, "time": time, "endTime": end,
                            "secondsFromStart": line.start, "duration": line.end - line.start }),
                        // Vapi's `ToolCallMessage` has a `message`: empty, the call is in `toolCalls`.
                        (Who::ToolCall, Some((name, id))) => json!({ "role": "tool_calls", "message": "", "time": time,
                            "secondsFromStart": line.start, "toolCalls": [tool_invocation(id, name, json!(line.text))] }),
                        (_, tool) => json!({ "role": "tool_call_result", "time": time, "secondsFromStart": line.start,
                            "toolCallId": tool.as_ref().map(|t| t.1.clone()), "name": tool.as_ref().map(|t| t.0), "result": line.text }),
                    }
                });
            let messages: Vec<Value> = std::iter::once(system).chain(spoken).collect();
            let mut parts = cost(talk);
            // A web call is carried by Daily, not a carrier: no transport cost.
            if call.web {
                parts[0].1 = 0.0;
            }
            let transcript = transcript_text(&conversation.lines, "AI", "User");
            let summary = SummaryCost::of(&transcript, &conversation.summary);
            let total: f64 = parts.iter().map(|(_, c)| c).sum();
            let total = four_places(total + summary.cost);
            body["messages"] = json!(messages);
            body["transcript"] = json!(transcript);
            body["recordingUrl"] = json!(recording_url(flavor.recordings(), &call.id, false));
            body["stereoRecordingUrl"] = json!(recording_url(flavor.recordings(), &call.id, true));
            body["summary"] = json!(conversation.summary);
            body["analysis"] = json!({
                "summary": conversation.summary,
                "successEvaluation": if conversation.success { "true" } else { "false" },
                "structuredData": conversation.extracted,
            });
            body["cost"] = json!(total);
            let spoken: usize = (conversation.lines.iter())
                .filter(|line| line.who == Who::Agent)
                .map(|line| line.text.chars().count())
                .sum();
            let tokens = Tokens::for_minutes(talk / 60.0);
            // `total` is the parts' sum and the analyses' (Vapi's schema).
            body["costBreakdown"] = json!({
                "transport": parts[0].1, "stt": parts[1].1, "llm": parts[2].1, "tts": parts[3].1, "vapi": 0.0, "total": total,
                "llmPromptTokens": tokens.prompt, "llmCompletionTokens": tokens.completion, "ttsCharacters": spoken,
                "analysisCostBreakdown": { "summary": summary.cost, "structuredData": 0, "successEvaluation": 0 },
            });
            let carrier = (!call.web).then(|| carrier(sip));
            body["costs"] = cost_items(carrier, talk, &parts, tokens, spoken, &summary);
        } else if view.outcome().is_some() {
            // Ended unanswered: zero costs (the carrier's and the platform's items only), an
            // empty transcript and analysis. Inferred from captured calls, as the fixtures'.
            body["transcript"] = json!("");
            body["analysis"] = json!({});
            body["cost"] = json!(0);
            body["costBreakdown"] = json!({
                "transport": 0, "stt": 0, "llm": 0, "tts": 0, "vapi": 0, "total": 0,
                "llmPromptTokens": 0, "llmCompletionTokens": 0, "ttsCharacters": 0,
            });
            let transport =
                json!({"type": "transport", "provider": carrier(sip), "minutes": 0, "cost": 0});
            let platform = json!({"type": "vapi", "subType": "normal", "minutes": 0, "cost": 0});
            body["costs"] = if call.web {
                json!([platform])
            } else {
                json!([transport, platform])
            };
        }
        body
    }

    /// Vapi's call, from the full record ([`Family::fields`]): what Voicebot Studio flattens goes back into
    /// `artifact` (and the summary into `analysis`, where it already is), unset fields are
    /// left out, and a live call carries its `monitor`.
    fn vapi_shape(self, call: &SimCall, view: &View, full: Value) -> Value {
        let Value::Object(fields) = full else {
            return full;
        };
        let mut body: Map<String, Value> = fields
            .iter()
            .filter(|(key, value)| {
                !value.is_null()
                    && !matches!(
                        key.as_str(),
                        "organizationId"
                            | "transcript"
                            | "recordingUrl"
                            | "stereoRecordingUrl"
                            | "summary"
                    )
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        // An ended call has an artifact, empty when nobody answered.
        if view.has_conversation() || view.outcome().is_some() {
            body.insert("artifact".into(), artifact(&Value::Object(fields)));
        }
        let mut overrides = Map::new();
        if !call.variables.is_empty() {
            overrides.insert("variableValues".into(), json!(call.variables));
        }
        if !call.metadata.is_empty() {
            overrides.insert("metadata".into(), json!(call.metadata));
        }
        if let Some(max) = call.max_talk {
            // Whole seconds as the integer they were sent as.
            let seconds = match max.subsec_nanos() {
                0 => json!(max.as_secs()),
                _ => json!(max.as_secs_f64()),
            };
            overrides.insert("maxDurationSeconds".into(), seconds);
        }
        if !overrides.is_empty() {
            body.insert("assistantOverrides".into(), Value::Object(overrides));
        }
        // A live call (placed and not over) has a `monitor`, its control URL working; a
        // scheduled one is not placed yet (inferred: Vapi shows the monitor on the queued
        // call its dial answers with).
        if view.phase.is_live() && controlled(&call.agent_id) {
            let listen = self.origin.replacen("http", "ws", 1);
            body.insert(
                "monitor".into(),
                json!({
                    "listenUrl": format!("{listen}{LIVE}/{}/listen", call.id),
                    "controlUrl": format!("{}{LIVE}/{}/control", self.origin, call.id),
                }),
            );
        }
        Value::Object(body)
    }
}

/// Fields of Vapi's call that Voicebot Studio's documented call (the response schema of
/// its call endpoints) lacks, left out of its shape: the end's context (`endedMessage`),
/// the schedule (`schedulePlan`), the cost's parts (`costBreakdown`, `costs`), where a
/// transfer went (`destination`) and a transient number dialed from (`phoneNumber`).
/// Voicebot Studio's server messages (inferred: it documents none) still carry the ones
/// Vapi's report has.
///
/// Three such fields stay, though Voicebot Studio documents none of them: `name` (what
/// its `PATCH` sets), `campaignId` and `cost`. voiceport's Voicebot Studio adapter
/// declares that it reads a name back after an update, filters on the campaign and gives
/// a cost, and its conformance run against the sandbox checks each: leaving them out
/// would need those capabilities changed. They are the sandbox's guess that Voicebot
/// Studio passes Vapi's fields through (inferred), not its documented call.
const NOT_IN_VOICEBOT_CALL: [&str; 6] = [
    "endedMessage",
    "schedulePlan",
    "costBreakdown",
    "costs",
    "destination",
    "phoneNumber",
];

/// Voicebot Studio's call, from the full record ([`Family::fields`]): the fields of its
/// documented call (with `null` for those unset), and the three listed at
/// [`NOT_IN_VOICEBOT_CALL`] as kept.
fn voicebot_shape(full: Value) -> Value {
    match full {
        Value::Object(mut fields) => {
            for key in NOT_IN_VOICEBOT_CALL {
                fields.remove(key);
            }
            Value::Object(fields)
        }
        other => other,
    }
}

/// The language model's tokens a call of so many minutes used (about Vapi's ratio in its
/// examples).
#[derive(Debug, Clone, Copy)]
struct Tokens {
    prompt: u64,
    completion: u64,
}

impl Tokens {
    fn for_minutes(minutes: f64) -> Tokens {
        Tokens {
            prompt: (minutes * 6_200.0).round() as u64,
            completion: (minutes * 190.0).round() as u64,
        }
    }
}

/// What the post-call summary cost, the one analysis the sandbox charges for (its
/// structured data and success evaluation cost 0): the model reads the transcript (a
/// token per 4 characters, and 200 for its instructions) and writes the summary, at
/// gpt-4o's prices. The sandbox's amounts.
#[derive(Debug, Clone, Copy)]
struct SummaryCost {
    prompt: u64,
    completion: u64,
    cost: f64,
}

impl SummaryCost {
    fn of(transcript: &str, summary: &str) -> SummaryCost {
        let tokens = |text: &str| (text.chars().count() as u64).div_ceil(4);
        let (prompt, completion) = (tokens(transcript) + 200, tokens(summary));
        SummaryCost {
            prompt,
            completion,
            cost: four_places(prompt as f64 * 2.5e-6 + completion as f64 * 1e-5),
        }
    }
}

/// The provider carrying a phone call (`transport.provider`): Vapi's SIP trunk for a
/// SIP address, else Twilio, which the account's numbers are on.
fn carrier(sip: bool) -> &'static str {
    if sip { "vapi.sip" } else { "twilio" }
}

/// `costs[]`, Vapi's items of the cost (`transport`, by its `carrier`: none for a web
/// call, `transcriber`, `model`, `voice`, `vapi`, `analysis`), each with what it counts:
/// the same amounts as `costBreakdown`.
fn cost_items(
    carrier: Option<&str>,
    talk_secs: f64,
    parts: &[(&str, f64); 4],
    tokens: Tokens,
    spoken: usize,
    summary: &SummaryCost,
) -> Value {
    let minutes = four_places(talk_secs / 60.0);
    let [transport, transcriber, model, voice] = parts.map(|(_, cost)| cost);
    let carrier = carrier.map(|provider| {
        json!({"type": "transport", "provider": provider, "minutes": minutes, "cost": transport})
    });
    let items = [
        json!({"type": "transcriber", "transcriber": {"provider": "deepgram", "model": "nova-2"},
               "minutes": minutes, "cost": transcriber}),
        json!({"type": "model", "model": {"provider": "openai", "model": "gpt-4o"},
               "promptTokens": tokens.prompt, "completionTokens": tokens.completion, "cost": model}),
        json!({"type": "voice", "voice": {"provider": "11labs", "voiceId": "burt"},
               "characters": spoken, "cost": voice}),
        json!({"type": "vapi", "subType": "normal", "minutes": minutes, "cost": 0.0}),
        // Vapi's `AnalysisCost`.
        json!({"type": "analysis", "analysisType": "summary",
               "model": {"provider": "openai", "model": "gpt-4o"},
               "promptTokens": summary.prompt, "completionTokens": summary.completion,
               "cost": summary.cost}),
    ];
    Value::Array(carrier.into_iter().chain(items).collect())
}

/// The `artifact` of a call whose full record ([`Family::fields`]) is `full`: its
/// messages (and their OpenAI-format copies), transcript and recordings.
fn artifact(full: &Value) -> Value {
    let field = |key: &str| full.get(key).cloned().unwrap_or(Value::Null);
    let mut artifact = Value::Object(messages_of(full));
    if let (Value::String(mono), Value::String(stereo)) =
        (field("recordingUrl"), field("stereoRecordingUrl"))
    {
        artifact["recordingUrl"] = json!(mono);
        artifact["stereoRecordingUrl"] = json!(stereo);
        artifact["recording"] = json!({ "stereoUrl": stereo, "mono": { "combinedUrl": mono } });
    }
    if let Value::String(transcript) = field("transcript") {
        artifact["transcript"] = json!(transcript);
    }
    artifact
}

/// One tool invocation as Vapi writes it, in a message's `toolCalls` (arguments as JSON
/// text) and in a `tool-calls` request (arguments as an object).
fn tool_invocation(id: &str, name: &str, arguments: Value) -> Value {
    json!({ "id": id, "type": "function", "function": { "name": name, "arguments": arguments } })
}

/// The `customer` of a phone call's messages: its `number`, or the `sipUri` dialed.
fn customer(call: &SimCall) -> Option<Value> {
    customer_party(call).map(|n| match is_sip_uri(n) {
        true => json!({ "sipUri": n }),
        false => json!({ "number": n }),
    })
}

/// Who the assistant talks to: the caller of an inbound call, the party dialed otherwise.
fn customer_party(call: &SimCall) -> Option<&str> {
    let party = match call.direction {
        Direction::Inbound => &call.from,
        _ => &call.to,
    };
    party.as_deref()
}

/// Whether a dialed party is a SIP address (`sip:…`, any case) rather than a number.
fn is_sip_uri(party: &str) -> bool {
    party
        .get(..4)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("sip:"))
}

/// The conversation of a call whose full record ([`Family::fields`]) is `full`:
/// `messages`, and their OpenAI-format copies `messagesOpenAIFormatted` (both empty for a
/// call without one), as the artifact and the server messages that carry it hold them.
fn messages_of(full: &Value) -> Map<String, Value> {
    let messages = match full.get("messages") {
        Some(Value::Array(messages)) => messages.clone(),
        _ => Vec::new(),
    };
    let formatted: Vec<Value> = messages.iter().filter_map(openai_message).collect();
    Map::from_iter([
        ("messages".into(), Value::Array(messages)),
        ("messagesOpenAIFormatted".into(), Value::Array(formatted)),
    ])
}

/// One of Vapi's messages in the OpenAI format of `messagesOpenAIFormatted`.
fn openai_message(message: &Value) -> Option<Value> {
    let text = |key: &str| message.get(key).cloned().unwrap_or(Value::Null);
    Some(match message.get("role")?.as_str()? {
        "system" => json!({ "role": "system", "content": text("message") }),
        "bot" => json!({ "role": "assistant", "content": text("message") }),
        "user" => json!({ "role": "user", "content": text("message") }),
        "tool_calls" => json!({ "role": "assistant", "tool_calls": text("toolCalls") }),
        "tool_call_result" => {
            json!({ "role": "tool", "tool_call_id": text("toolCallId"), "content": text("result") })
        }
        _ => return None,
    })
}

async fn get_call(State(api): State<Api>, Path(id): Path<String>) -> Response {
    match api.ctx.calls().get(&id) {
        Some(call) => json_response(StatusCode::OK, api.render(call)),
        None => api.not_found(),
    }
}

/// When `call` was last updated, as its `updatedAt` shows it (to the millisecond): its
/// end, else its start, else its creation. The list's `updatedAt` bounds compare this.
fn updated_at(call: &SimCall, view: &View) -> DateTime<Utc> {
    use chrono::SubsecRound;
    (view.ended_at.or(view.started_at))
        .unwrap_or(call.created_at)
        .trunc_subsecs(3)
}

/// Whether `at` is within the bounds `[lt, gt, le, ge]` (`None`: not given).
fn within(at: DateTime<Utc>, [lt, gt, le, ge]: [Option<DateTime<Utc>>; 4]) -> bool {
    lt.is_none_or(|t| at < t)
        && gt.is_none_or(|t| at > t)
        && le.is_none_or(|t| at <= t)
        && ge.is_none_or(|t| at >= t)
}

/// Vapi's list parameters (Voicebot Studio documents none): `limit`, `createdAtLt`,
/// `createdAtLe`, `createdAtGt`, `createdAtGe`, the same four of `updatedAt`,
/// `assistantId`, `phoneNumberId`, `id`; newest first (inferred).
async fn list(State(api): State<Api>, Query(params): Query<HashMap<String, String>>) -> Response {
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(limit)) if limit <= 1000 => limit,
        Some(_) => {
            return api.fail_query("invalid limit", &[("limit", "must be between 0 and 1000")]);
        }
    };
    let bounds = |keys| {
        time_params(&params, keys).map_err(|key| {
            let problem = [(key, "must be an ISO 8601 date string")];
            api.fail_query("invalid date", &problem)
        })
    };
    let created = match bounds(["createdAtLt", "createdAtGt", "createdAtLe", "createdAtGe"]) {
        Ok(times) => times,
        Err(refused) => return refused,
    };
    let updated = match bounds(["updatedAtLt", "updatedAtGt", "updatedAtLe", "updatedAtGe"]) {
        Ok(times) => times,
        Err(refused) => return refused,
    };
    let assistant = params.get("assistantId");
    let number = params.get("phoneNumberId").map(String::as_str);
    let id = params.get("id");
    let flavor = api.flavor;
    let store = api.ctx.calls();
    let now = Instant::now();
    let calls: Vec<Value> = store
        .newest_first()
        .filter(|c| within(c.created_at, created))
        .filter(|c| assistant.is_none_or(|a| &c.agent_id == a))
        .filter(|c| number.is_none_or(|n| flavor.shown_number_id(c) == Some(n)))
        .filter(|c| id.is_none_or(|id| &c.id == id))
        .map(|c| (c, c.view(now, &api.ctx.state.timing)))
        .filter(|(c, view)| within(updated_at(c, view), updated))
        .take(limit)
        .map(|(c, view)| api.family().render(c, &view))
        .collect();
    json_response(StatusCode::OK, Value::Array(calls))
}

/// A name Vapi's validator refuses (over 40 UTF-16 code units), as its 400 (Voicebot
/// Studio's validator: 422).
fn long_name(api: &Api, name: Option<&str>) -> Option<Response> {
    let too_long = name.is_some_and(|n| n.encode_utf16().count() > MAX_NAME);
    too_long.then(|| {
        api.fail(
            api.flavor.invalid(),
            "name must be at most 40 characters",
            &[("name", "must be shorter than or equal to 40 characters")],
        )
    })
}

/// When a dial's `schedulePlan` says to call: `Ok(None)` without a plan (now). A plan
/// whose `earliestAt` is missing or does not read as an RFC 3339 time is `Err`: Vapi's
/// validator requires it, in ISO 8601, rather than dial at once. (It may take a time
/// without a zone as its servers' own: refused here, as no client should rely on that.)
fn earliest_at(map: &Map<String, Value>) -> Result<Option<DateTime<Utc>>, ()> {
    optional(map, "schedulePlan", |plan| {
        plan.get("earliestAt")
            .and_then(Value::as_str)
            .and_then(parse_time)
    })
}

async fn dial(State(api): State<Api>, JsonObject(body): JsonObject) -> Response {
    let Some(map) = body else {
        return api.fail(
            api.flavor.invalid(),
            "invalid body",
            &[("body", "must be a JSON object")],
        );
    };
    // A batch (`customers[]`, one call per customer, answered with a `CallBatchResponse`)
    // is documented by Vapi but not emulated: refused as such, not as a validation error
    // Vapi would give.
    if map.get("customers").is_some_and(|batch| !batch.is_null()) {
        return api.fail(
            api.flavor.invalid(),
            "the sandbox does not emulate batch dials (`customers`): dial one `customer` at a time",
            &[(
                "customers",
                "(a batch dial) is not emulated by the sandbox: dial one `customer` at a time",
            )],
        );
    }
    // The party dialed: a `customer` with a `number` or a `sipUri` (Vapi's `customerId`,
    // a saved customer, is not emulated: the sandbox keeps none).
    let customer = object(&map, "customer");
    let sip_uri = text(&customer, "sipUri").filter(|uri| is_sip_uri(uri));
    let to = match (text(&customer, "number"), sip_uri) {
        (Some(number), _) => {
            // Vapi documents 3 to 40 characters, and a `numberE164CheckEnabled` flag: the
            // number is checked as E.164 unless it is `false` (the check's default and
            // its wording inferred).
            if !(3..=40).contains(&number.chars().count()) {
                return api.fail(
                    api.flavor.invalid(),
                    "customer.number must be longer than or equal to 3 and shorter than or equal to 40 characters",
                    &[("customer.number", "must be 3 to 40 characters")],
                );
            }
            let checked = customer.get("numberE164CheckEnabled") != Some(&Value::Bool(false));
            if checked && !voiceport_core::adapter::is_e164(&number) {
                return api.fail(
                    api.flavor.invalid(),
                    "customer.number must be a valid phone number in the E.164 format",
                    &[(
                        "customer.number",
                        "not E.164 (set numberE164CheckEnabled: false to skip the check)",
                    )],
                );
            }
            number
        }
        (None, Some(uri)) => uri,
        (None, None) => {
            return api.fail(
                api.flavor.invalid(),
                "customer.number or customer.sipUri is required (the sandbox emulates no saved customer: `customerId` is not taken)",
                &[("customer", "a `number` or a `sip:` `sipUri` is required")],
            );
        }
    };
    // The agent: an assistant by id (checked against the account), or one of the others
    // Vapi takes instead (an inline assistant, a squad, a workflow), taken as they come:
    // the sandbox has none of those, and the account's first assistant answers the call.
    let assistant = text(&map, "assistantId");
    let other_agent = ["assistant", "squadId", "squad", "workflowId", "workflow"]
        .iter()
        .any(|key| map.get(*key).is_some_and(|value| !value.is_null()));
    if assistant.is_none() && !other_agent {
        return api.fail(
            api.flavor.invalid(),
            "one of assistantId, assistant, squadId, squad, workflowId or workflow is required",
            &[("assistantId", "no assistant, squad or workflow")],
        );
    }
    // An assistant of another account (or a typo) is refused, as Vapi refuses a dial that
    // names a missing resource (400, `message` a string: no field problems); the message
    // is inferred. Voicebot Studio's validator names the field (inferred, as its 422s).
    if let Some(assistant) = assistant.as_deref()
        && !api.flavor.has_assistant(api.ctx.vendor, assistant)
    {
        let problem = [("assistantId", "no assistant with this id in the account")];
        return api.fail(
            api.flavor.invalid(),
            "Couldn't Get Assistant. `assistantId` Does Not Exist.",
            api.flavor.missing_resource(&problem),
        );
    }
    // Vapi places a phone call from one of the account's numbers: an id, or a transient
    // `phoneNumber` (inferred: Vapi's schema requires no field; a SIP call needs none).
    let has_number = text(&map, "phoneNumberId").is_some()
        || map.get("phoneNumber").is_some_and(Value::is_object);
    if api.flavor == Flavor::Vapi && !has_number && !is_sip_uri(&to) {
        return api.fail(
            StatusCode::BAD_REQUEST,
            "phoneNumberId is required to call a customer",
            &[("phoneNumberId", "field required")],
        );
    }
    // A transient number is a Twilio import, whose number is its `twilioPhoneNumber`
    // (inferred from Vapi's schema: the reference shows no refusal). Without it there is
    // nothing to call from: refused, where it was dialed from the default number.
    if let Some(number) = map.get("phoneNumber").filter(|number| !number.is_null())
        && !number
            .get("twilioPhoneNumber")
            .is_some_and(Value::is_string)
    {
        return api.fail(
            api.flavor.invalid(),
            "phoneNumber.twilioPhoneNumber must be a string",
            &[("phoneNumber.twilioPhoneNumber", "must be a string")],
        );
    }
    // A number of another account (or an E.164 number given as its id) is a missing
    // resource too, answered alike; the message is inferred.
    if text(&map, "phoneNumberId").is_some_and(|id| !api.flavor.owns_number(&id)) {
        let problem = [(
            "phoneNumberId",
            "no phone number with this id in the account",
        )];
        return api.fail(
            api.flavor.invalid(),
            "Couldn't Get Phone Number. `phoneNumberId` Does Not Exist.",
            api.flavor.missing_resource(&problem),
        );
    }
    let name = text(&map, "name");
    if let Some(refused) = long_name(&api, name.as_deref()) {
        return refused;
    }
    let Ok(scheduled_for) = earliest_at(&map) else {
        return api.fail(
            api.flavor.invalid(),
            "schedulePlan.earliestAt must be a valid ISO 8601 date string",
            &[(
                "schedulePlan.earliestAt",
                "must be a valid ISO 8601 date string",
            )],
        );
    };
    let overrides = object(&map, "assistantOverrides");
    // Vapi takes 10 to 43,200 seconds (its SDK's bounds; inferred: the reference gives
    // none).
    let max_talk = match overrides.get("maxDurationSeconds") {
        None | Some(Value::Null) => None,
        Some(seconds) => match seconds.as_f64().filter(|s| (10.0..=43_200.0).contains(s)) {
            Some(seconds) => Some(Duration::from_secs_f64(seconds)),
            None => {
                return api.fail(
                    api.flavor.invalid(),
                    "assistantOverrides.maxDurationSeconds must not be less than 10 or greater than 43200",
                    &[(
                        "assistantOverrides.maxDurationSeconds",
                        "must not be less than 10 or greater than 43200",
                    )],
                );
            }
        },
    };
    // The number of the id named (checked above), else a transient number's, else the
    // default's.
    let number_id = text(&map, "phoneNumberId");
    let transient = match (&number_id, map.get("phoneNumber")) {
        (None, Some(Value::Object(number))) => text(number, "twilioPhoneNumber"),
        _ => None,
    };
    let from = match (&number_id, &transient) {
        (Some(id), _) => api.flavor.number_of(id).map(str::to_owned),
        (None, Some(number)) => Some(number.clone()),
        (None, None) => (api.flavor.number_of(api.flavor.phone_number_id())).map(str::to_owned),
    };
    let spec = DialSpec {
        to,
        from,
        transient_number: transient.is_some(),
        number_id,
        agent_id: assistant,
        use_case: None,
        campaign_id: None,
        scheduled_for,
        metadata: object(&overrides, "metadata"),
        variables: object(&overrides, "variableValues"),
        name,
        max_talk,
        // The transcriber's language is the assistant's (`assistantOverrides.transcriber`
        // is not read here).
        language: None,
    };
    api.ctx.place(spec, |call, view| {
        // Vapi's 201; Voicebot Studio's status was not captured (inferred the same).
        json_response(StatusCode::CREATED, api.family().render(call, view))
    })
}

async fn update(
    State(api): State<Api>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Response {
    // Vapi's update body is `{name}`, which it does not require: `{}` changes nothing.
    let Some(map) = body else {
        return api.fail(
            api.flavor.invalid(),
            "invalid body",
            &[("body", "must be a JSON object")],
        );
    };
    let name = match map.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => {
            return api.fail(
                api.flavor.invalid(),
                "invalid body",
                &[("name", "must be a string")],
            );
        }
    };
    if let Some(refused) = long_name(&api, name.as_deref()) {
        return refused;
    }
    match api.ctx.calls_mut().get_mut(&id) {
        Some(call) => {
            if name.is_some() {
                call.name = name;
            }
            json_response(StatusCode::OK, api.render(call))
        }
        None => api.not_found(),
    }
}

/// Answers with the call as it was, then gone.
async fn delete(State(api): State<Api>, Path(id): Path<String>) -> Response {
    match api.ctx.calls_mut().get_mut(&id) {
        Some(call) => {
            call.deleted = true;
            json_response(StatusCode::OK, api.render(call))
        }
        None => api.not_found(),
    }
}

/// A live call's control URL: `end-call` ends it; the other documented messages are
/// accepted (module docs).
async fn control(
    State(api): State<Api>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Response {
    let kind = body.and_then(|m| text(&m, "type"));
    let known = ["end-call", "say", "add-message", "transfer", "control"];
    let Some(kind) = kind.filter(|k| known.contains(&k.as_str())) else {
        return api.fail(
            StatusCode::BAD_REQUEST,
            "invalid control message",
            &[(
                "type",
                "must be one of end-call, say, add-message, transfer, control",
            )],
        );
    };
    let mut calls = api.ctx.calls_mut();
    let Some(call) = calls.get_mut(&id) else {
        return api.not_found();
    };
    // A call that shows no `monitor` (its assistant's has no live control) has no control
    // URL to post to: one built by hand finds nothing.
    if !controlled(&call.agent_id) || !api.ctx.view(call).phase.is_live() {
        return api.fail(StatusCode::NOT_FOUND, "No live call", &[]);
    }
    if kind == "end-call" {
        call.forced = Some((Phase::Ended(Outcome::EndedByApi), Utc::now()));
    }
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(phase: Phase) -> SimCall {
        let mut call = SimCall::sample("0d5c7a3e-2b1f-4c8d-9e6a-7f3b2c1d0e9f", phase);
        call.agent_id = crate::store::VAPI_ASSISTANTS[0].into();
        call.metadata = Map::from_iter([("crm".to_owned(), json!("X1"))]);
        call
    }

    fn view(phase: Phase) -> View {
        let call = call(phase);
        call.view(Instant::now(), &crate::Timing::default())
    }

    const ORIGIN: &str = "http://127.0.0.1:4100";

    fn family(flavor: Flavor) -> Family<'static> {
        Family {
            flavor,
            origin: ORIGIN,
        }
    }

    /// An ended call nobody answered has zero costs, an empty transcript and analysis
    /// (and in Vapi's shape an empty artifact), as captured calls do; one that talked
    /// begins its messages with the assistant's prompt; a failed one says why.
    #[test]
    fn ended_calls_have_the_shape_of_captured_ones() {
        let unanswered = Phase::Ended(Outcome::NoAnswer);
        let (unanswered_call, unanswered_view) = (call(unanswered), view(unanswered));
        let vs = family(Flavor::Voicebot).render(&unanswered_call, &unanswered_view);
        let vapi = family(Flavor::Vapi).render(&unanswered_call, &unanswered_view);
        for body in [&vs, &vapi] {
            assert_eq!(body["cost"], 0, "{body}");
            assert_eq!(body["analysis"], json!({}), "{body}");
        }
        // The parts of the cost are Vapi's alone: Voicebot Studio's call documents none.
        assert_eq!(vapi["costBreakdown"]["total"], 0, "{vapi}");
        let items: Vec<&Value> = (vapi["costs"].as_array().unwrap().iter())
            .map(|item| &item["type"])
            .collect();
        assert_eq!(items, [&json!("transport"), &json!("vapi")]);
        for key in ["costBreakdown", "costs"] {
            assert!(vs.get(key).is_none(), "{key}: {vs}");
        }
        assert_eq!(
            (&vs["transcript"], &vs["messages"]),
            (&json!(""), &json!([]))
        );
        assert_eq!(
            vapi["artifact"],
            json!({"messages": [], "messagesOpenAIFormatted": [], "transcript": ""})
        );
        assert!(vapi.get("endedMessage").is_none());
        let talked = Phase::Ended(Outcome::CustomerEnded);
        let vapi = family(Flavor::Vapi).render(&call(talked), &view(talked));
        let first = &vapi["artifact"]["messages"][0];
        assert_eq!(first["role"], "system");
        assert!(first.get("endTime").is_none(), "{first}");
        let started = vapi["startedAt"].as_str().unwrap();
        let started = DateTime::parse_from_rfc3339(started)
            .unwrap()
            .timestamp_millis();
        assert!(first["time"].as_f64().unwrap() < started as f64, "{first}");
        assert_eq!(
            vapi["artifact"]["messagesOpenAIFormatted"][0]["role"],
            "system"
        );
        let failed = Phase::Ended(Outcome::Failed);
        let vapi = family(Flavor::Vapi).render(&call(failed), &view(failed));
        assert!(vapi["endedMessage"].is_string(), "{vapi}");
        let vs = family(Flavor::Voicebot).render(&call(failed), &view(failed));
        assert!(vs.get("endedMessage").is_none(), "{vs}");
    }

    /// Voicebot Studio's call has the keys of its documented call (all of them, `null`
    /// when unset), and of Vapi's only the three kept for voiceport's adapter; Vapi's
    /// shape keeps its own fields, the transfer's `destination` and the schedule among
    /// them.
    #[test]
    fn voicebot_studio_shows_only_its_documented_call() {
        // The response schema of Voicebot Studio's call endpoints.
        let documented = [
            "id",
            "type",
            "messages",
            "phoneCallProvider",
            "phoneCallTransport",
            "status",
            "endedReason",
            "orgId",
            "createdAt",
            "updatedAt",
            "startedAt",
            "endedAt",
            "analysis",
            "phoneCallProviderId",
            "assistantId",
            "phoneNumberId",
            "customer",
            "transcript",
            "recordingUrl",
            "summary",
            "stereoRecordingUrl",
            "transport",
            "organizationId",
        ];
        let kept = ["name", "campaignId", "cost"];
        let transferred = Phase::Ended(Outcome::Transferred);
        let mut scheduled = call(Phase::Scheduled);
        scheduled.scheduled_for = Some(Utc::now() + chrono::TimeDelta::days(1));
        // Dialed from a transient number, which Vapi's call shows as `phoneNumber`.
        let mut transient = call(Phase::InProgress);
        transient.transient_number = true;
        let cases = [
            (call(transferred), view(transferred)),
            (scheduled, view(Phase::Scheduled)),
            (call(Phase::InProgress), view(Phase::InProgress)),
            (transient, view(Phase::InProgress)),
        ];
        for (call, view) in &cases {
            let vs = family(Flavor::Voicebot).render(call, view);
            let mut keys: Vec<&str> = vs.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            let mut expected: Vec<&str> = documented.iter().chain(&kept).copied().collect();
            expected.sort_unstable();
            assert_eq!(keys, expected, "{:?}", view.phase);
        }
        let vapi = family(Flavor::Vapi).render(&cases[0].0, &cases[0].1);
        assert_eq!(vapi["destination"]["type"], "number");
        let vapi = family(Flavor::Vapi).render(&cases[1].0, &cases[1].1);
        assert!(vapi["schedulePlan"]["earliestAt"].is_string(), "{vapi}");
        let vapi = family(Flavor::Vapi).render(&cases[3].0, &cases[3].1);
        assert!(
            vapi["phoneNumber"]["twilioPhoneNumber"].is_string(),
            "{vapi}"
        );
    }

    /// The list's `updatedAt` bounds compare the time the call shows, to the millisecond:
    /// `updatedAtLe` its shown time keeps a call whose end falls within a millisecond.
    #[test]
    fn the_update_time_compared_is_the_one_shown() {
        let mut ended = call(Phase::Ended(Outcome::CustomerEnded));
        ended.created_at += chrono::TimeDelta::microseconds(1_500);
        let view = ended.view(Instant::now(), &crate::Timing::default());
        let body = family(Flavor::Vapi).render(&ended, &view);
        let shown = crate::common::parse_time(body["updatedAt"].as_str().unwrap()).unwrap();
        let at = updated_at(&ended, &view);
        assert_eq!(at, shown);
        assert!(within(at, [None, None, Some(shown), None]));
    }

    /// Vapi's `ToolCallMessage` has a `message` (empty: the invocation is in `toolCalls`).
    #[test]
    fn tool_call_messages_carry_a_message() {
        let ended = Phase::Ended(Outcome::CustomerEnded);
        let mut seen = 0;
        for seed in 0..60 {
            let mut talked = call(ended);
            talked.content_seed = seed;
            let vapi = family(Flavor::Vapi).render(&talked, &view(ended));
            let messages = vapi["artifact"]["messages"].as_array().cloned();
            for message in messages.unwrap_or_default() {
                if message["role"] == "tool_calls" {
                    assert_eq!(message["message"], "", "{message}");
                    seen += 1;
                }
            }
        }
        assert!(seen > 0, "no conversation with a tool call");
    }

    /// The cost three ways, which agree: `cost`, `costBreakdown` (its parts and its
    /// analyses' costs add up to its `total`) and `costs[]`; the summary has its cost; a
    /// web call (carried by Daily) has no carrier's cost.
    #[test]
    fn the_costs_of_a_call_that_talked_add_up() {
        let ended = Phase::Ended(Outcome::CustomerEnded);
        let mut web = call(ended);
        web.web = true;
        for (talked, is_web) in [(call(ended), false), (web, true)] {
            let vapi = family(Flavor::Vapi).render(&talked, &view(ended));
            let cost = vapi["cost"].as_f64().unwrap();
            let breakdown = &vapi["costBreakdown"];
            let analyses = &breakdown["analysisCostBreakdown"];
            let summary = analyses["summary"].as_f64().unwrap_or_default();
            assert!(summary > 0.0, "{breakdown}");
            assert_eq!(
                (&analyses["structuredData"], &analyses["successEvaluation"]),
                (&json!(0), &json!(0))
            );
            let parts: f64 = ["transport", "stt", "llm", "tts", "vapi"]
                .iter()
                .map(|part| breakdown[part].as_f64().unwrap())
                .sum();
            assert!((parts + summary - cost).abs() < 1e-9, "{breakdown}");
            assert_eq!(breakdown["total"].as_f64(), Some(cost));
            let items = vapi["costs"].as_array().unwrap();
            let sum: f64 = items.iter().filter_map(|item| item["cost"].as_f64()).sum();
            assert!((sum - cost).abs() < 1e-9, "{sum} {cost}");
            let analysis: Vec<&Value> = (items.iter())
                .filter(|item| item["type"] == "analysis")
                .collect();
            assert_eq!(analysis.len(), 1, "{items:?}");
            assert_eq!(analysis[0]["analysisType"], "summary");
            assert_eq!(analysis[0]["cost"].as_f64(), Some(summary));
            let carried = items.iter().any(|item| item["type"] == "transport");
            assert_eq!(carried, !is_web, "{items:?}");
            let transport = breakdown["transport"].as_f64().unwrap();
            assert_eq!(transport == 0.0, is_web, "{breakdown}");
        }
    }

    #[test]
    fn the_flavours_render_one_call_two_ways() {
        let ended = Phase::Ended(Outcome::CustomerEnded);
        let (call, view) = (call(ended), view(ended));
        let vs = family(Flavor::Voicebot).render(&call, &view);
        let vapi = family(Flavor::Vapi).render(&call, &view);
        // Voicebot Studio flattens; Vapi keeps the artifact.
        assert!(vs["transcript"].is_string() && vs["recordingUrl"].is_string());
        assert!(vs["organizationId"].is_string() && vs.get("artifact").is_none());
        for key in [
            "transcript",
            "recordingUrl",
            "stereoRecordingUrl",
            "summary",
            "organizationId",
        ] {
            assert!(vapi.get(key).is_none(), "{key}");
        }
        assert_eq!(vapi["artifact"]["transcript"], vs["transcript"]);
        assert_eq!(vapi["artifact"]["messages"], vs["messages"]);
        assert!(
            vapi["artifact"]["recording"]["mono"]["combinedUrl"]
                .as_str()
                .unwrap()
                .starts_with("https://")
        );
        assert_eq!(vapi["analysis"], vs["analysis"]);
        // Unset fields are absent in Vapi's, null in Voicebot Studio's.
        assert!(vs["name"].is_null() && vs.as_object().unwrap().contains_key("name"));
        assert!(vapi.get("name").is_none());
        assert_eq!(vapi["assistantOverrides"]["metadata"]["crm"], "X1");
        // Over: no live control.
        assert!(vapi.get("monitor").is_none());
        // The same everywhere else.
        for key in [
            "id",
            "status",
            "endedReason",
            "startedAt",
            "endedAt",
            "cost",
        ] {
            assert_eq!(vapi[key], vs[key], "{key}");
        }
    }

    /// A placed phone call carries its `transport` (Twilio, with the call's SID) and the
    /// deprecated `phoneCallProviderId` (the same SID) in both flavours; a web call a
    /// `daily` transport and no provider id; a call still scheduled neither (`null` in
    /// Voicebot Studio's shape, absent in Vapi's).
    #[test]
    fn placed_calls_carry_their_transport_in_both_flavours() {
        for phase in [
            Phase::Queued,
            Phase::InProgress,
            Phase::Ended(Outcome::NoAnswer),
        ] {
            let (call, view) = (call(phase), view(phase));
            for flavor in [Flavor::Voicebot, Flavor::Vapi] {
                let body = family(flavor).render(&call, &view);
                let transport = &body["transport"];
                assert_eq!(transport["provider"], "twilio", "{flavor:?} {phase:?}");
                let sid = transport["callSid"].as_str().unwrap_or_default();
                assert!(sid.starts_with("CA") && sid.len() == 34, "{sid}");
                assert_eq!(body["phoneCallProviderId"], sid, "{flavor:?} {phase:?}");
                let account = transport["accountSid"].as_str().unwrap_or_default();
                assert!(
                    account.starts_with("AC") && account.len() == 34,
                    "{account}"
                );
            }
        }
        let ended = Phase::Ended(Outcome::CustomerEnded);
        let mut web = call(ended);
        web.web = true;
        for flavor in [Flavor::Voicebot, Flavor::Vapi] {
            let body = family(flavor).render(&web, &view(ended));
            assert_eq!(body["transport"], json!({ "provider": "daily" }));
            assert!(body["phoneCallProviderId"].is_null(), "{body}");
        }
        // Never placed: scheduled, or canceled while scheduled.
        for phase in [Phase::Scheduled, Phase::Canceled] {
            let mut scheduled = call(phase);
            scheduled.scheduled_for = Some(Utc::now() + chrono::TimeDelta::days(1));
            let later = view(phase);
            let vs = family(Flavor::Voicebot).render(&scheduled, &later);
            let vs = vs.as_object().cloned().unwrap_or_default();
            assert_eq!(vs.get("transport"), Some(&Value::Null), "{phase:?}");
            assert_eq!(
                vs.get("phoneCallProviderId"),
                Some(&Value::Null),
                "{phase:?}"
            );
            let vapi = family(Flavor::Vapi).render(&scheduled, &later);
            let absent = |key| vapi.get(key).is_none();
            assert!(
                absent("transport") && absent("phoneCallProviderId"),
                "{phase:?}"
            );
        }
    }

    #[test]
    fn only_live_vapi_calls_carry_a_control_url_pointing_at_the_sandbox() {
        for phase in [
            Phase::Queued,
            Phase::Dialing,
            Phase::Ringing,
            Phase::InProgress,
        ] {
            let (call, view) = (call(phase), view(phase));
            let vapi = family(Flavor::Vapi).render(&call, &view);
            assert_eq!(
                vapi["monitor"]["controlUrl"],
                format!("{ORIGIN}{LIVE}/{}/control", call.id),
                "{phase:?}"
            );
            assert!(
                vapi["monitor"]["listenUrl"]
                    .as_str()
                    .unwrap()
                    .starts_with("ws://127.0.0.1:4100/")
            );
            let vs = family(Flavor::Voicebot).render(&call, &view);
            assert!(vs.get("monitor").is_none());
        }
        for phase in [Phase::Scheduled, Phase::Canceled] {
            let vapi = family(Flavor::Vapi).render(&call(phase), &view(phase));
            assert!(vapi.get("monitor").is_none(), "{phase:?}");
        }
    }

    #[test]
    fn the_report_is_the_same_in_both_flavours_but_for_its_call() {
        let ended = Phase::Ended(Outcome::AgentEnded);
        let (call, view) = (call(ended), view(ended));
        let vs = family(Flavor::Voicebot).end_delivery(&call, &view);
        let vapi = family(Flavor::Vapi).end_delivery(&call, &view);
        for key in [
            "type",
            "endedReason",
            "analysis",
            "messages",
            "transcript",
            "startedAt",
            "durationMs",
        ] {
            assert_eq!(vs["message"][key], vapi["message"][key], "{key}");
        }
        for key in ["messages", "messagesOpenAIFormatted", "transcript"] {
            let artifact = |report: &Value| report["message"]["artifact"][key].clone();
            assert_eq!(artifact(&vs), artifact(&vapi), "{key}");
        }
        assert_eq!(vs["message"]["call"]["status"], "queued");
        assert_eq!(vapi["message"]["call"]["status"], "queued");
        assert!(vapi["message"]["call"]["monitor"]["controlUrl"].is_string());
        assert_ne!(
            vs["message"]["phoneNumber"]["id"],
            vapi["message"]["phoneNumber"]["id"]
        );
    }
}
