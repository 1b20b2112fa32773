//! HappyRobot's JSON, exactly as the legacy app API spells it (docs/vendors/happyrobot.md).
//!
//! Every field but a call's `id` is optional: the docs call many fields required, yet the
//! dial response lacks `type`, `status`, `provider`, `agent`, `language` and `viewed_by`
//! (the docs' example), and older deployments answer with an older Call shape. Both generations'
//! fields are declared side by side. Only the fields voiceport maps are declared: every
//! call keeps its whole vendor JSON, so a field nobody reads never fails a decode. Vendor
//! enums fall back to `Other(String)`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use voiceport_core::adapter::{
    AnyJson, Text, amount, bounded_items, bounded_json, bounded_list, bounded_value, count,
};

voiceport_core::open_enum! {
    /// A call's `status`: the current set and the older set (`Completed`, `Failed` are in both).
    pub(crate) enum Status {
        Scheduled => "Scheduled",
        Queued => "Queued",
        Initiated => "Initiated",
        Ringing => "Ringing",
        InProgress => "In progress",
        Transferred => "Transferred",
        Completed => "Completed",
        /// An answering machine picked up and the call was ended.
        AmdTerminated => "AMD Terminated",
        Busy => "Busy",
        NoAnswer => "No answer",
        Canceled => "Canceled",
        Failed => "Failed",
        Dialing => "Dialing", // older
        Connected => "Connected", // older
        Ended => "Ended", // older
        Missed => "Missed", // older
        Abandoned => "Abandoned", // older: the caller hung up before it was answered
    }
}

voiceport_core::open_enum! {
    /// A session's status in the current platform's CloudEvents webhooks (documented).
    pub(crate) enum SessionStatus {
        Queued => "queued",
        InProgress => "in-progress",
        Completed => "completed",
        Busy => "busy",
        Missed => "missed",
        Canceled => "canceled",
        Failed => "failed",
        Voicemail => "voicemail",
    }
}

voiceport_core::open_enum! {
    /// A call's `type`: its direction.
    pub(crate) enum CallType {
        Inbound => "Inbound",
        Outbound => "Outbound",
    }
}

voiceport_core::open_enum! {
    /// A call's `provider`: the medium (`Twilio` is a phone call).
    pub(crate) enum CallProvider {
        Twilio => "Twilio",
        Web => "Web",
        Chat => "Chat",
    }
}

voiceport_core::open_enum! {
    /// The role of a transcript or webhook message.
    pub(crate) enum Role {
        System => "system",
        Assistant => "assistant",
        User => "user",
        Tool => "tool",
    }
}

/// A call, current and older docs versions merged (docs/vendors/happyrobot.md). Missing `Option`
/// fields are `None`; only `id` is required.
///
/// What the mapping only inspects (times, the agent candidates of which one is kept)
/// borrows from the body; what the call keeps is decoded owned and moved into it.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a call object")]
pub(crate) struct Call<'a> {
    pub(crate) id: String,
    pub(crate) organization_id: Option<String>,
    #[serde(rename = "type")]
    pub(crate) call_type: Option<CallType>,
    /// Either generation.
    pub(crate) status: Option<Status>,
    pub(crate) provider: Option<CallProvider>,
    #[serde(borrow)]
    pub(crate) metadata: Option<CallMetadata<'a>>,
    /// The use case the call ran (the whole UseCase object; only `id` and `name` are read).
    #[serde(borrow)]
    pub(crate) use_case: Option<AgentRef<'a>>,
    /// The voice persona that spoke (`{id, name}`).
    #[serde(borrow)]
    pub(crate) agent: Option<AgentRef<'a>>,
    /// `en-US` …; an open set.
    pub(crate) language: Option<String>,
    /// Data the AI extracted (normally an object).
    #[serde(borrow)]
    pub(crate) extraction: Option<AnyJson<'a>>,
    pub(crate) classification: Option<Classification>,
    /// ISO 8601 (any JSON is accepted, so that an odd value is a warning, not a failure).
    #[serde(borrow)]
    pub(crate) created: Option<AnyJson<'a>>,
    /// Seconds.
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration: Option<f64>,
    /// The call this one repeats.
    pub(crate) parent_call_id: Option<String>,
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) notes: Option<Vec<Note<'a>>>,
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) ratings: Option<Vec<Rating<'a>>>,
    /// ISO 8601, UTC.
    #[serde(borrow)]
    pub(crate) scheduled_for: Option<AnyJson<'a>>,
    pub(crate) campaign_id: Option<String>,
    /// Who the call was handed to (seen in the vendor's example calls; not described further).
    #[serde(borrow)]
    pub(crate) transfer_contact_email: Option<Text<'a>>,
    /// Shown in the vendor's example calls (`total_costs`, then a section per service with
    /// its `total_cost` and its own items) but not described: any JSON is accepted (kept
    /// as its text, [`Costs`] read from it), and `map::call` takes the amounts it
    /// recognizes, so an odd shape is a warning, not a failed decode.
    #[serde(borrow)]
    pub(crate) costs: Option<&'a RawValue>,
    /// Older.
    #[serde(borrow)]
    pub(crate) assistant: Option<AgentRef<'a>>,
    /// Older.
    #[serde(default, deserialize_with = "bounded_list")]
    pub(crate) questions: Option<Vec<Question>>,
    /// Older: when the call connected (ISO 8601).
    #[serde(borrow)]
    pub(crate) started: Option<AnyJson<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a metadata object")]
pub(crate) struct CallMetadata<'a> {
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    #[serde(default, deserialize_with = "bounded_list")]
    pub(crate) tags: Option<Vec<String>>,
    /// The caller's own key/value data.
    #[serde(borrow)]
    pub(crate) custom: Option<AnyJson<'a>>,
}

/// What a call's JSON says of its recording: `metadata.recording_sid`, the telephony
/// provider's id of it, set once the call was recorded.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RecordingTrace {
    pub(crate) metadata: Option<RecordingSid>,
}

/// [`RecordingTrace`]'s `metadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RecordingSid {
    pub(crate) recording_sid: Option<String>,
}

impl RecordingTrace {
    /// Whether the call was recorded.
    pub(crate) fn recorded(&self) -> bool {
        (self.metadata.as_ref())
            .and_then(|metadata| metadata.recording_sid.as_deref())
            .is_some_and(|sid| !sid.trim().is_empty())
    }
}

/// `call.use_case`, `call.agent`, and the older `call.assistant`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "an agent object")]
pub(crate) struct AgentRef<'a> {
    #[serde(borrow)]
    pub(crate) id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a classification object")]
pub(crate) struct Classification {
    pub(crate) tag: Option<String>,
    pub(crate) reasoning: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a note object")]
pub(crate) struct Note<'a> {
    /// No documented length.
    pub(crate) id: Option<String>,
    /// The author.
    pub(crate) user_id: Option<String>,
    pub(crate) content: Option<String>,
    pub(crate) flagged: Option<bool>,
    #[serde(borrow)]
    pub(crate) created_at: Option<AnyJson<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a rating object")]
pub(crate) struct Rating<'a> {
    /// `✅`, `👎` or `🚨` (the first *inferred*: the docs show a blank option there).
    pub(crate) emoji: Option<String>,
    pub(crate) email: Option<String>,
    #[serde(borrow)]
    pub(crate) created: Option<AnyJson<'a>>,
}

/// Older `call.questions[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a question object")]
pub(crate) struct Question {
    pub(crate) question: Option<String>,
    /// `null` while unanswered.
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) answer: Option<Value>,
}

/// What is read of a call's `costs` object: the total and the sections voiceport knows,
/// each kept as its text until read (a section's own items are never built).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a costs object")]
pub(crate) struct Costs<'a> {
    #[serde(borrow)]
    pub(crate) total_costs: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) voip: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) transcriber: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) llm: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) tts: Option<&'a RawValue>,
}

/// A section of [`Costs`]: its total.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a cost object")]
pub(crate) struct CostSection<'a> {
    #[serde(borrow)]
    pub(crate) total_cost: Option<&'a RawValue>,
}

/// `GET /calls`: `{calls, count, limit, offset}` (one docs example's, unconfirmed) or the
/// older `{calls, count, currentPage}`; only `calls` and `count` are read. The calls stay raw so
/// each keeps its exact JSON.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a list of calls (an object with `calls`)")]
pub(crate) struct CallList<'a> {
    #[serde(borrow, deserialize_with = "bounded_items")]
    pub(crate) calls: Vec<&'a RawValue>,
    /// Matching calls in all.
    #[serde(default, deserialize_with = "count")]
    pub(crate) count: Option<u64>,
}

/// A bare JSON list (`GET /calls/tags`, the usage report), read with core's ceiling on
/// its length.
#[derive(Debug, Deserialize)]
#[serde(transparent, bound(deserialize = "T: Deserialize<'de>"))]
pub(crate) struct BareList<T>(#[serde(deserialize_with = "bounded_items")] pub(crate) Vec<T>);

/// Any JSON (a call's logs, whose shape is undocumented), read within the body's entry
/// budget, as a typed field of free-form JSON is.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct AnyBody(#[serde(deserialize_with = "bounded_json")] pub(crate) Value);

/// `GET /calls/{id}/transcript`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a transcript object")]
pub(crate) struct Transcript<'a> {
    /// When the call started (unix seconds).
    #[serde(default, deserialize_with = "amount")]
    pub(crate) start_time: Option<f64>,
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) messages: Option<Vec<Message<'a>>>,
}

/// A transcript message (also the shape of an `end` webhook's `content.messages[]`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a message object")]
pub(crate) struct Message<'a> {
    pub(crate) role: Option<Role>,
    /// What was said, or the tool result: text, or any JSON (a tool's result may be an
    /// object; it is kept as its JSON text rather than failing the whole transcript).
    #[serde(borrow)]
    pub(crate) content: Option<AnyJson<'a>>,
    #[serde(default, deserialize_with = "bounded_list")]
    pub(crate) tool_calls: Option<Vec<ToolCall>>,
    /// For tool results: the function's name.
    pub(crate) name: Option<String>,
    /// For tool results: which invocation.
    pub(crate) tool_call_id: Option<String>,
    /// Seconds from the call start in one docs generation, a unix time in another
    /// (docs/vendors/happyrobot.md); `map::call` tells them apart by size.
    #[serde(default, deserialize_with = "amount")]
    pub(crate) start: Option<f64>,
    /// Same units as `start`.
    #[serde(default, deserialize_with = "amount")]
    pub(crate) end: Option<f64>,
    /// On the message that hands the call over: the contact it goes to.
    pub(crate) transfer_contact: Option<TransferContact>,
}

/// The contact a transcript message hands the call to (`{type, name, email, phone:
/// {number, extension}, contact_id, slack_channel_id}`); only where it rings is read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a transfer contact object")]
pub(crate) struct TransferContact {
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) phone: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a tool call object")]
pub(crate) struct ToolCall {
    pub(crate) id: Option<String>,
    pub(crate) function: Option<FunctionCall>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a function call object")]
pub(crate) struct FunctionCall {
    pub(crate) name: Option<String>,
    /// Documented as JSON text; any other JSON is accepted too.
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) arguments: Option<Value>,
}

/// `POST /dial/outbound` body. The voice persona (`agent_id`), the legacy fields
/// (`assistant_id`, `voice_id`, `model`, `questions`) and `prompt_id` / `model_id` go
/// through `DialRequest::extra`. Unset
/// (`null`) fields are left out of the body.
#[derive(Debug, Serialize)]
pub(crate) struct DialBody {
    /// E.164.
    pub(crate) phone_number: String,
    /// The purchased number that places the call.
    pub(crate) number_id: String,
    /// The use case that runs the call.
    pub(crate) use_case_id: Option<String>,
    pub(crate) language: Option<String>,
    /// Template variables.
    pub(crate) params: Option<Value>,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) campaign_id: Option<String>,
    /// ISO 8601, UTC; omitted = now.
    pub(crate) scheduled_for: Option<String>,
    pub(crate) max_duration_mins: Option<u32>,
}

/// `POST /calls/{id}/notes`, `PATCH /calls/{id}/notes/{noteId}` body (only the fields a
/// caller supplies, *inferred*: the docs render the whole note as the body). A `None`
/// field is left out, so a PATCH leaves it as it is.
#[derive(Debug, Serialize)]
pub(crate) struct NoteBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) flagged: Option<bool>,
}

/// `PATCH /calls/{id}/viewed` body.
#[derive(Debug, Serialize)]
pub(crate) struct ViewedBody<'a> {
    pub(crate) email: &'a str,
}

/// `PATCH /calls/{id}/ratings` body.
#[derive(Debug, Serialize)]
pub(crate) struct RatingBody<'a> {
    pub(crate) emoji: &'a str,
    pub(crate) email: &'a str,
    pub(crate) operation: crate::RatingOperation,
}

/// `content` of a `start` delivery.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "an event content object")]
pub(crate) struct StartContent {
    pub(crate) recording: Option<String>,
}

/// `content` of an `end` delivery (its `tools` usage is not read).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "an event content object")]
pub(crate) struct EndContent<'a> {
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) messages: Option<Vec<Message<'a>>>,
}

/// A webhook delivery of either generation, read once with its parts raw until the
/// generation and type are known (the call keeps its exact JSON):
///
/// * a CloudEvents 1.0 delivery of the current platform (documented), `{specversion, id,
///   source, type, time, datacontenttype, data}`, has a `specversion`;
/// * a legacy use-case hook (docs/vendors/happyrobot.md) is `{type: "start" | "end" | …,
///   call, content}`.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a webhook delivery (an object)")]
pub(crate) struct Delivery<'a> {
    #[serde(default, borrow)]
    pub(crate) specversion: Option<&'a RawValue>,
    /// A hook's `start`, `end` (or the removed `message`); a CloudEvent's
    /// `session.status_changed`, or a type voiceport does not know.
    #[serde(rename = "type")]
    pub(crate) event_type: String,
    /// A hook's call.
    #[serde(default, borrow)]
    pub(crate) call: Option<&'a RawValue>,
    /// A hook's `content`.
    #[serde(default, borrow)]
    pub(crate) content: Option<&'a RawValue>,
    /// A CloudEvent's id (a UUID); read only for a CloudEvent.
    #[serde(default, borrow)]
    pub(crate) id: Option<&'a RawValue>,
    /// When a CloudEvent happened (RFC 3339); read only for a CloudEvent.
    #[serde(default, borrow)]
    pub(crate) time: Option<&'a RawValue>,
    /// A CloudEvent's `data`, read once its type is known.
    #[serde(default, borrow)]
    pub(crate) data: Option<&'a RawValue>,
}

/// `data` of a `session.status_changed` event (schema version `2025-07-08`). Ids are the
/// platform's UUIDs, not the legacy app API's 24-character ids.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a status change object")]
pub(crate) struct SessionStatusChanged<'a> {
    pub(crate) org_id: Option<String>,
    pub(crate) session_id: Option<String>,
    pub(crate) use_case_id: Option<String>,
    pub(crate) status: Option<StatusChange>,
    #[serde(borrow)]
    pub(crate) use_case: Option<AgentRef<'a>>,
}

/// `data.status`: the transition (`previous` is not read: the event is about `current`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a status change object")]
pub(crate) struct StatusChange {
    pub(crate) current: Option<SessionStatus>,
    pub(crate) updated_at: Option<String>,
}
