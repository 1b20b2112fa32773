//! Voicebot Studio's JSON, exactly as the vendor spells it (camelCase, Vapi's call model).
//!
//! VS documents every call field except `id` as nullable: every other field is an `Option`
//! (absent and `null` both read as `None`). Only the fields voiceport reads are declared;
//! the normalized call keeps the whole vendor JSON as its payload. Enum-like strings are
//! open enums: a value this version does not know lands in `Other`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

voiceport_core::open_enum! {
    /// `Call.status` (Vapi's value set; VS types it as a plain string).
    pub(crate) enum Status {
        /// Scheduled for later (`schedulePlan`).
        Scheduled => "scheduled",
        Queued => "queued",
        Ringing => "ringing",
        InProgress => "in-progress",
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
    pub(crate) enum CallType {
        InboundPhoneCall => "inboundPhoneCall",
        OutboundPhoneCall => "outboundPhoneCall",
        WebCall => "webCall",
        WebsocketCall => "vapi.websocketCall",
    }
}

voiceport_core::open_enum! {
    /// `messages[].role`. The assistant speaks as `bot` (`assistant` only in OpenAI-formatted
    /// messages and some webhook events).
    pub(crate) enum Role {
        System => "system",
        Bot => "bot",
        Assistant => "assistant",
        User => "user",
        ToolCalls => "tool_calls",
        ToolCallResult => "tool_call_result",
    }
}

/// A call. Not `#[serde(default)]`: `id` is the one required field.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Call {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) call_type: Option<CallType>,
    pub(crate) messages: Option<Vec<Message>>,
    pub(crate) status: Option<Status>,
    /// An open string: Vapi knows ~600 values and adds more with almost every release.
    pub(crate) ended_reason: Option<String>,
    /// The Vapi organization.
    pub(crate) org_id: Option<String>,
    /// The Voicebot Studio organization.
    pub(crate) organization_id: Option<String>,
    pub(crate) created_at: Option<String>,
    pub(crate) started_at: Option<String>,
    pub(crate) ended_at: Option<String>,
    pub(crate) analysis: Option<Analysis>,
    pub(crate) assistant_id: Option<String>,
    pub(crate) customer: Option<Customer>,
    /// The whole transcript as text (`AI: …\nUser: …`); this and the next three are
    /// flattened from `artifact`/`analysis` by VS.
    pub(crate) transcript: Option<String>,
    pub(crate) recording_url: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) stereo_recording_url: Option<String>,
    pub(crate) name: Option<String>,
    /// USD.
    pub(crate) cost: Option<f64>,
    pub(crate) cost_breakdown: Option<CostBreakdown>,
    pub(crate) costs: Option<Vec<CostEntry>>,
    pub(crate) artifact: Option<Artifact>,
    pub(crate) campaign_id: Option<String>,
    pub(crate) schedule_plan: Option<SchedulePlan>,
    /// Where the `metadata` the call was created with lives.
    pub(crate) assistant_overrides: Option<AssistantOverrides>,
}

/// One entry of `messages[]`: Vapi's System/Bot/User/ToolCall/ToolCallResult messages in
/// one shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Message {
    pub(crate) role: Option<Role>,
    pub(crate) message: Option<String>,
    /// Start, epoch milliseconds.
    pub(crate) time: Option<f64>,
    /// End, epoch milliseconds.
    pub(crate) end_time: Option<f64>,
    pub(crate) seconds_from_start: Option<f64>,
    /// `tool_calls` messages.
    pub(crate) tool_calls: Option<Vec<ToolCall>>,
    /// Which invocation a `tool_call_result` answers.
    pub(crate) tool_call_id: Option<String>,
    /// The tool's name (`tool_call_result`).
    pub(crate) name: Option<String>,
    /// The tool's result, usually a JSON string.
    pub(crate) result: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ToolCall {
    pub(crate) id: Option<String>,
    pub(crate) function: Option<ToolFunction>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ToolFunction {
    pub(crate) name: Option<String>,
    /// Usually JSON text, sometimes a JSON object.
    pub(crate) arguments: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Analysis {
    pub(crate) summary: Option<String>,
    /// A string, boolean or number depending on the rubric.
    pub(crate) success_evaluation: Option<Value>,
    /// Data extracted per the assistant's schema (usually an object).
    pub(crate) structured_data: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Customer {
    /// E.164.
    pub(crate) number: Option<String>,
}

/// `costBreakdown`, USD.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CostBreakdown {
    pub(crate) transport: Option<f64>,
    pub(crate) stt: Option<f64>,
    pub(crate) llm: Option<f64>,
    pub(crate) tts: Option<f64>,
    pub(crate) vapi: Option<f64>,
    pub(crate) total: Option<f64>,
}

/// One item of `costs[]`, by `type` (`transport`, `transcriber`, `model`, `voice`, `vapi`,
/// `voicemail-detection`, `analysis`, `knowledge-base` …), USD.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CostEntry {
    #[serde(rename = "type")]
    pub(crate) cost_type: Option<String>,
    pub(crate) cost: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Artifact {
    pub(crate) messages: Option<Vec<Message>>,
    pub(crate) recording_url: Option<String>,
    pub(crate) stereo_recording_url: Option<String>,
    pub(crate) transcript: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct SchedulePlan {
    /// Not before.
    pub(crate) earliest_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AssistantOverrides {
    /// The caller's key/value data.
    pub(crate) metadata: Option<Value>,
}

/// The body of `POST /calls`: the parts of Vapi's `CreateCallDTO` voiceport sends.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCall<'a> {
    pub(crate) assistant_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) phone_number_id: Option<&'a str>,
    pub(crate) customer: CreateCustomer<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) schedule_plan: Option<CreateSchedulePlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) assistant_overrides: Option<CreateAssistantOverrides<'a>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CreateCustomer<'a> {
    pub(crate) number: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateSchedulePlan {
    /// RFC 3339, UTC.
    pub(crate) earliest_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateAssistantOverrides<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) variable_values: Option<&'a BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metadata: Option<&'a BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_duration_seconds: Option<u32>,
}

/// The body of `PATCH /calls/{call_id}` (Vapi's `UpdateCallDTO`).
#[derive(Debug, Serialize)]
pub(crate) struct UpdateCall {
    /// Vapi: at most 40 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

/// A webhook delivery ("server message"): `{"message": {...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ServerMessageEnvelope<'a> {
    #[serde(borrow)]
    pub(crate) message: Option<&'a RawValue>,
}

/// What every server message has: its type and (usually) the call.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ServerMessageHead<'a> {
    /// `end-of-call-report`, `status-update`, `transcript` …
    #[serde(rename = "type")]
    pub(crate) message_type: Option<String>,
    /// The call as it was when the message was sent (may be stale).
    #[serde(borrow)]
    pub(crate) call: Option<&'a RawValue>,
}

/// An `end-of-call-report` message: the parts laid over the call.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct EndOfCallReport {
    pub(crate) ended_reason: Option<String>,
    pub(crate) cost: Option<f64>,
    pub(crate) cost_breakdown: Option<CostBreakdown>,
    pub(crate) costs: Option<Vec<CostEntry>>,
    pub(crate) started_at: Option<String>,
    pub(crate) ended_at: Option<String>,
    pub(crate) analysis: Option<Analysis>,
    pub(crate) artifact: Option<Artifact>,
    pub(crate) customer: Option<Customer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct StatusUpdate {
    pub(crate) status: Option<Status>,
    pub(crate) ended_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct TranscriptMessage {
    pub(crate) role: Option<Role>,
    /// `partial` or `final`.
    pub(crate) transcript_type: Option<String>,
    pub(crate) transcript: Option<String>,
}

/// Only a call's id (to name the call of an event whose call is otherwise unread).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CallIdOnly {
    pub(crate) id: Option<String>,
}
