//! Voicebot Studio's JSON, exactly as the vendor spells it (camelCase, Vapi's call model).
//!
//! Voicebot Studio documents every call field except `id` as nullable, so every field here
//! is an `Option` with `#[serde(default)]`: absent and `null` both read as `None`. Unknown
//! fields are ignored (the normalized call keeps the whole vendor JSON as its payload).
//! Enum-like strings are open enums: a value this version does not know lands in `Other`.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

voiceport_core::open_enum! {
    /// `Call.status` (Vapi's value set; VS types it as a plain string).
    pub enum Status {
        /// Scheduled for later (`schedulePlan`).
        Scheduled => "scheduled",
        /// Accepted, not dialed yet.
        Queued => "queued",
        /// Ringing.
        Ringing => "ringing",
        /// Connected.
        InProgress => "in-progress",
        /// Being forwarded.
        Forwarding => "forwarding",
        /// Over; see `endedReason`.
        Ended => "ended",
        /// Vapi cannot find the call.
        NotFound => "not-found",
        /// A delete of the call failed.
        DeletionFailed => "deletion-failed",
    }
}

voiceport_core::open_enum! {
    /// `Call.type`.
    pub enum CallType {
        /// A phone call the customer placed.
        InboundPhoneCall => "inboundPhoneCall",
        /// A phone call the assistant placed.
        OutboundPhoneCall => "outboundPhoneCall",
        /// A browser (WebRTC) call.
        WebCall => "webCall",
        /// A websocket call.
        WebsocketCall => "vapi.websocketCall",
    }
}

voiceport_core::open_enum! {
    /// `messages[].role`. The assistant speaks as `bot` (`assistant` only in OpenAI-formatted
    /// messages and some webhook events).
    pub enum Role {
        /// The system prompt.
        System => "system",
        /// The assistant's speech.
        Bot => "bot",
        /// The assistant (OpenAI-style spelling).
        Assistant => "assistant",
        /// The customer's speech.
        User => "user",
        /// The assistant invoked tools.
        ToolCalls => "tool_calls",
        /// A tool's result.
        ToolCallResult => "tool_call_result",
    }
}

/// `Call.endedReason`: an open string. Vapi knows ~600 values and adds more with almost
/// every release, so this is deliberately not an enum.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EndedReason(pub String);

impl EndedReason {
    /// The reason as the vendor spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the reason is an error (category `Error` in
    /// [`ended_outcome`](crate::map::ended_outcome): `pipeline-error-*`,
    /// `call.start.error-*`, `call.in-progress.error-*`, `*-failed-to-connect-*` …).
    pub fn is_error(&self) -> bool {
        crate::map::ended_outcome(&self.0).1 == voiceport_core::EndReasonCategory::Error
    }

    /// Whether Vapi blames itself (`…error-vapifault-…`).
    pub fn is_vapifault(&self) -> bool {
        self.0.contains("vapifault")
    }

    /// Whether Vapi blames a third-party provider (`…error-providerfault-…`).
    pub fn is_providerfault(&self) -> bool {
        self.0.contains("providerfault")
    }
}

/// A Voicebot Studio (Vapi) call.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    /// The call id (the only required field).
    pub id: String,
    /// Inbound / outbound phone call, web call …
    #[serde(default, rename = "type")]
    pub call_type: Option<CallType>,
    /// The conversation so far.
    #[serde(default)]
    pub messages: Option<Vec<Message>>,
    /// `twilio`, `vonage`, `vapi`, `telnyx` …
    #[serde(default)]
    pub phone_call_provider: Option<String>,
    /// `sip` or `pstn`.
    #[serde(default)]
    pub phone_call_transport: Option<String>,
    /// Where the call is in its life.
    #[serde(default)]
    pub status: Option<Status>,
    /// Why it ended.
    #[serde(default)]
    pub ended_reason: Option<EndedReason>,
    /// The Vapi organization.
    #[serde(default)]
    pub org_id: Option<String>,
    /// The Voicebot Studio organization.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// ISO date-time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// ISO date-time.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// ISO date-time.
    #[serde(default)]
    pub started_at: Option<String>,
    /// ISO date-time.
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Summary, evaluation, structured data.
    #[serde(default)]
    pub analysis: Option<Analysis>,
    /// The telephony provider's call id (Twilio call SID …).
    #[serde(default)]
    pub phone_call_provider_id: Option<String>,
    /// The assistant that talked.
    #[serde(default)]
    pub assistant_id: Option<String>,
    /// The phone number (id) the call used.
    #[serde(default)]
    pub phone_number_id: Option<String>,
    /// The person called or calling.
    #[serde(default)]
    pub customer: Option<Customer>,
    /// The whole transcript as text (`AI: …\nUser: …`), flattened by VS.
    #[serde(default)]
    pub transcript: Option<String>,
    /// The mono recording, flattened by VS.
    #[serde(default)]
    pub recording_url: Option<String>,
    /// The summary, flattened by VS.
    #[serde(default)]
    pub summary: Option<String>,
    /// The stereo recording, flattened by VS.
    #[serde(default)]
    pub stereo_recording_url: Option<String>,
    /// Transport details (free-form).
    #[serde(default)]
    pub transport: Option<Value>,
    /// A display name (Vapi).
    #[serde(default)]
    pub name: Option<String>,
    /// The total cost in USD (Vapi).
    #[serde(default)]
    pub cost: Option<f64>,
    /// The cost per component (Vapi).
    #[serde(default)]
    pub cost_breakdown: Option<CostBreakdown>,
    /// The cost items (Vapi).
    #[serde(default)]
    pub costs: Option<Vec<CostEntry>>,
    /// Messages, recordings and transcript (Vapi; VS flattens some of it).
    #[serde(default)]
    pub artifact: Option<Artifact>,
    /// The campaign that placed the call (Vapi).
    #[serde(default)]
    pub campaign_id: Option<String>,
    /// When a scheduled call may be placed (Vapi).
    #[serde(default)]
    pub schedule_plan: Option<SchedulePlan>,
    /// The overrides the call was created with (Vapi), where the caller's `metadata` lives.
    #[serde(default)]
    pub assistant_overrides: Option<AssistantOverrides>,
}

/// One entry of `messages[]` (Vapi's System/Bot/User/ToolCall/ToolCallResult messages in
/// one shape).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Who.
    #[serde(default)]
    pub role: Option<Role>,
    /// What was said.
    #[serde(default)]
    pub message: Option<String>,
    /// Start, epoch milliseconds.
    #[serde(default)]
    pub time: Option<f64>,
    /// End, epoch milliseconds.
    #[serde(default)]
    pub end_time: Option<f64>,
    /// Start, seconds from the start of the call.
    #[serde(default)]
    pub seconds_from_start: Option<f64>,
    /// The speech source (bot messages).
    #[serde(default)]
    pub source: Option<String>,
    /// Length in milliseconds in live payloads (`endTime - time`); Vapi's SDK says seconds.
    #[serde(default)]
    pub duration: Option<f64>,
    /// The tools invoked (`tool_calls` messages).
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Which invocation a `tool_call_result` answers.
    #[serde(default)]
    pub tool_call_id: Option<String>,
    /// The tool's name (`tool_call_result`).
    #[serde(default)]
    pub name: Option<String>,
    /// The tool's result, usually a JSON string.
    #[serde(default)]
    pub result: Option<Value>,
}

/// One tool invocation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolCall {
    /// The invocation id (`call_…`).
    #[serde(default)]
    pub id: Option<String>,
    /// `function`.
    #[serde(default, rename = "type")]
    pub call_type: Option<String>,
    /// The function and its arguments.
    #[serde(default)]
    pub function: Option<ToolFunction>,
}

/// The function of a tool invocation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolFunction {
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its arguments: usually JSON text, sometimes a JSON object.
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// `analysis`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// A summary of the call.
    #[serde(default)]
    pub summary: Option<String>,
    /// The success evaluation: a string, boolean or number depending on the rubric; kept
    /// as text.
    #[serde(default, deserialize_with = "scalar_text")]
    pub success_evaluation: Option<String>,
    /// Data extracted per the assistant's schema (usually an object).
    #[serde(default)]
    pub structured_data: Option<Value>,
}

/// `customer`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// Their number (E.164).
    #[serde(default)]
    pub number: Option<String>,
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// A SIP URI instead of a number.
    #[serde(default)]
    pub sip_uri: Option<String>,
    /// Their email.
    #[serde(default)]
    pub email: Option<String>,
    /// Your id for them.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// `costBreakdown` (USD).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostBreakdown {
    /// Telephony.
    #[serde(default)]
    pub transport: Option<f64>,
    /// Speech to text.
    #[serde(default)]
    pub stt: Option<f64>,
    /// The language model.
    #[serde(default)]
    pub llm: Option<f64>,
    /// Text to speech.
    #[serde(default)]
    pub tts: Option<f64>,
    /// The platform fee.
    #[serde(default)]
    pub vapi: Option<f64>,
    /// The total.
    #[serde(default)]
    pub total: Option<f64>,
}

/// One item of `costs[]`, discriminated by `type` (`transport`, `transcriber`, `model`,
/// `voice`, `vapi`, `voicemail-detection`, `analysis`, `knowledge-base` …).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostEntry {
    /// The component.
    #[serde(default, rename = "type")]
    pub cost_type: Option<String>,
    /// Its cost (USD).
    #[serde(default)]
    pub cost: Option<f64>,
}

/// `artifact` (Vapi).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// The conversation.
    #[serde(default)]
    pub messages: Option<Vec<Message>>,
    /// The mono recording.
    #[serde(default)]
    pub recording_url: Option<String>,
    /// The stereo recording.
    #[serde(default)]
    pub stereo_recording_url: Option<String>,
    /// The whole transcript as text.
    #[serde(default)]
    pub transcript: Option<String>,
}

/// `schedulePlan` (Vapi).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchedulePlan {
    /// Not before (ISO date-time).
    #[serde(default)]
    pub earliest_at: Option<String>,
    /// Not after (ISO date-time).
    #[serde(default)]
    pub latest_at: Option<String>,
}

/// `assistantOverrides`, as read back on a call (Vapi).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistantOverrides {
    /// Prompt template values.
    #[serde(default)]
    pub variable_values: Option<Value>,
    /// The caller's key/value data.
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// The body of `POST /calls` (Vapi's `CreateCallDTO`, the parts voiceport sends).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCall {
    /// The assistant that talks.
    pub assistant_id: String,
    /// The phone number (id) to call from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// Who to call.
    pub customer: CreateCustomer,
    /// A display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When to call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_plan: Option<CreateSchedulePlan>,
    /// Per-call changes to the assistant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assistant_overrides: Option<CreateAssistantOverrides>,
}

/// `customer` of a create-call body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateCustomer {
    /// The number to call (E.164).
    pub number: String,
}

/// `schedulePlan` of a create-call body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSchedulePlan {
    /// Not before (RFC 3339, UTC).
    pub earliest_at: String,
}

/// `assistantOverrides` of a create-call body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAssistantOverrides {
    /// Prompt template values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable_values: Option<Map<String, Value>>,
    /// The caller's key/value data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Hang up after this many seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration_seconds: Option<u32>,
}

/// The body of `PATCH /calls/{call_id}` (Vapi's `UpdateCallDTO`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateCall {
    /// The new name (Vapi: at most 40 characters).
    pub name: String,
}

/// A webhook delivery ("server message"): `{"message": {...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServerMessageEnvelope<'a> {
    /// The message.
    #[serde(default, borrow)]
    pub message: Option<&'a serde_json::value::RawValue>,
}

/// What every server message has: its type and (usually) the call.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServerMessageHead<'a> {
    /// `end-of-call-report`, `status-update`, `transcript` …
    #[serde(default, rename = "type")]
    pub message_type: Option<String>,
    /// The call, as it was when the message was sent (may be stale).
    #[serde(default, borrow)]
    pub call: Option<&'a serde_json::value::RawValue>,
}

/// An `end-of-call-report` message (the parts laid over the call).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndOfCallReport {
    /// Why the call ended.
    #[serde(default)]
    pub ended_reason: Option<EndedReason>,
    /// The total cost (USD).
    #[serde(default)]
    pub cost: Option<f64>,
    /// The cost per component.
    #[serde(default)]
    pub cost_breakdown: Option<CostBreakdown>,
    /// The cost items.
    #[serde(default)]
    pub costs: Option<Vec<CostEntry>>,
    /// ISO date-time.
    #[serde(default)]
    pub started_at: Option<String>,
    /// ISO date-time.
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Summary, evaluation, structured data.
    #[serde(default)]
    pub analysis: Option<Analysis>,
    /// Messages, recordings, transcript.
    #[serde(default)]
    pub artifact: Option<Artifact>,
    /// The customer.
    #[serde(default)]
    pub customer: Option<Customer>,
}

/// A `status-update` message.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    /// The new status.
    #[serde(default)]
    pub status: Option<Status>,
    /// Why it ended (with `ended`).
    #[serde(default)]
    pub ended_reason: Option<EndedReason>,
}

/// A `transcript` message.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptMessage {
    /// `assistant` (or `bot`) or `user`.
    #[serde(default)]
    pub role: Option<Role>,
    /// `partial` or `final`.
    #[serde(default)]
    pub transcript_type: Option<String>,
    /// What was said.
    #[serde(default)]
    pub transcript: Option<String>,
}

/// Only the id of a call (to name the call of an event whose call is otherwise unread).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CallIdOnly {
    /// The id.
    #[serde(default)]
    pub id: Option<String>,
}

/// Reads any JSON value as optional text: strings as they are, booleans and numbers as
/// their JSON text, `null` as `None`, arrays and objects as compact JSON.
fn scalar_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => None,
        Value::String(text) => Some(text),
        other => Some(other.to_string()),
    })
}
