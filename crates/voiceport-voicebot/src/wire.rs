//! The Vapi family's JSON, exactly as the vendors spell it (camelCase, Vapi's call model
//! and server messages; Voicebot Studio's calls add a few flattened copies).
//!
//! Vapi requires only `id`, `orgId`, `createdAt` and `updatedAt`, and Voicebot Studio
//! documents every call field except `id` as nullable: every field is an `Option` (absent
//! and `null` both read as `None`). Only the fields voiceport reads are declared;
//! the normalized call keeps the whole vendor JSON as its payload. Enum-like strings are
//! open enums: a value this version does not know lands in `Other`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

voiceport_core::open_enum! {
    /// `Call.status` (Vapi's value set; Voicebot Studio types it as a plain string).
    pub(crate) enum Status {
        /// Scheduled for later (`schedulePlan`).
        Scheduled => "scheduled",
        Queued => "queued",
        Ringing => "ringing",
        InProgress => "in-progress",
        /// Being forwarded to another number; becomes `ended` afterwards.
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
    /// `messages[].role`. The assistant speaks as `bot` in Vapi's own messages, as
    /// `assistant` in OpenAI-formatted ones (`messagesOpenAIFormatted`, and `messages` from
    /// some senders), which also use `tool` and `function` for results.
    pub(crate) enum Role {
        System => "system",
        Bot => "bot",
        Assistant => "assistant",
        User => "user",
        ToolCalls => "tool_calls",
        ToolCallResult => "tool_call_result",
        /// OpenAI format: a tool's result.
        Tool => "tool",
        /// OpenAI format (legacy functions): a function's result.
        Function => "function",
        /// 2024 captures: a function invocation, with `name` and `args`.
        FunctionCall => "function_call",
        /// 2024 captures (inferred): a function's result, with `name` and `result`.
        FunctionResult => "function_result",
    }
}

/// A call. Every field is optional: the API's calls always have an `id` (the codec checks
/// it first, with [`RequiredId`]), but calls inside webhooks may not.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Call {
    pub(crate) id: Option<String>,
    #[serde(rename = "type")]
    pub(crate) call_type: Option<CallType>,
    /// Vapi's messages (OpenAI-formatted ones from some senders).
    pub(crate) messages: Option<Vec<Message>>,
    /// The same conversation in OpenAI's format (status-update messages carry it here).
    #[serde(rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<Vec<Message>>,
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
    /// The remote party: the callee of an outbound call, the caller of an inbound one.
    pub(crate) customer: Option<Customer>,
    /// The assistant's own number (webhook messages carry it; calls on a transient number).
    pub(crate) phone_number: Option<PhoneNumber>,
    /// The whole transcript as text (`AI: …\nUser: …`); this and the next three are
    /// flattened from `artifact`/`analysis` by VS, and sent beside them in Vapi reports.
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
    /// Seconds. Only end-of-call reports send it; read when `startedAt`/`endedAt` are not.
    pub(crate) duration_seconds: Option<f64>,
    /// Milliseconds, the same (reports send both).
    pub(crate) duration_ms: Option<f64>,
}

/// The one field a call from the API must have, checked before the rest so that its
/// absence is a decode error naming `id` (`map::call::require_id`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RequiredId {
    pub(crate) id: Option<String>,
}

/// One entry of `messages[]`: Vapi's System/Bot/User/ToolCall/ToolCallResult messages, the
/// 2024 `function_call` ones and OpenAI-formatted ones (`content`, `tool_calls`,
/// `tool_call_id`), in one shape.
///
/// `duration` is left unread: it was seconds in 2024 captures and milliseconds in 2025–26
/// ones, so it cannot be trusted alone; `endTime - time` says the same without doubt.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Message {
    pub(crate) role: Option<Role>,
    pub(crate) message: Option<String>,
    /// OpenAI format: the text, a string or an array of `{type, text}` parts.
    pub(crate) content: Option<Value>,
    /// Start, epoch milliseconds (possibly fractional, possibly in exponent notation).
    pub(crate) time: Option<f64>,
    /// End, epoch milliseconds.
    pub(crate) end_time: Option<f64>,
    pub(crate) seconds_from_start: Option<f64>,
    /// Vapi `toolCalls`, OpenAI `tool_calls`.
    #[serde(alias = "tool_calls")]
    pub(crate) tool_calls: Option<Vec<ToolCall>>,
    /// Which invocation a `tool_call_result` (OpenAI: `tool`) answers.
    #[serde(alias = "tool_call_id")]
    pub(crate) tool_call_id: Option<String>,
    /// The tool's or function's name.
    pub(crate) name: Option<String>,
    /// A `function_call`'s arguments: JSON text or an object.
    pub(crate) args: Option<Value>,
    /// The tool's result, usually a JSON string.
    pub(crate) result: Option<Value>,
}

/// One tool invocation (`toolCalls[]`, `tool_calls[]`, a `tool-calls` message's
/// `toolCallList[]`).
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
    /// JSON text, or a JSON object.
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
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Customer {
    /// E.164.
    pub(crate) number: Option<String>,
    /// Instead of a number on SIP calls (`sip:…`).
    pub(crate) sip_uri: Option<String>,
    /// The customer's name, as the caller gave it.
    pub(crate) name: Option<String>,
}

/// The assistant's phone number object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PhoneNumber {
    /// E.164.
    pub(crate) number: Option<String>,
    /// Instead of a number on SIP numbers.
    pub(crate) sip_uri: Option<String>,
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
    #[serde(rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<Vec<Message>>,
    /// Deprecated by Vapi for `recording.mono.combinedUrl`, still sent.
    pub(crate) recording_url: Option<String>,
    /// Deprecated by Vapi for `recording.stereoUrl`, still sent.
    pub(crate) stereo_recording_url: Option<String>,
    pub(crate) recording: Option<ArtifactRecording>,
    pub(crate) transcript: Option<String>,
}

/// `artifact.recording`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ArtifactRecording {
    pub(crate) stereo_url: Option<String>,
    pub(crate) mono: Option<MonoRecording>,
}

/// `artifact.recording.mono`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct MonoRecording {
    /// Both parties mixed.
    pub(crate) combined_url: Option<String>,
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

/// The body of `POST /call` (Voicebot Studio: `/calls`): the parts of Vapi's
/// `CreateCallDTO` voiceport sends.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCall<'a> {
    pub(crate) assistant_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) phone_number_id: Option<&'a str>,
    pub(crate) customer: CreateCustomer<'a>,
    /// Vapi: at most 40 characters.
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

/// The body of `PATCH /call/{id}` (Voicebot Studio: `/calls/{call_id}`), Vapi's
/// `UpdateCallDTO`.
#[derive(Debug, Serialize)]
pub(crate) struct UpdateCall {
    /// Vapi: at most 40 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

/// What locates a server message in a delivery. Read at the top of the body (Vapi's
/// `{"message": {...}}`, with some senders' `call` or `type` beside it) and again inside
/// `message`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ServerMessageHead<'a> {
    #[serde(borrow)]
    pub(crate) message: Option<&'a RawValue>,
    /// `end-of-call-report`, `status-update`, `transcript` …
    #[serde(rename = "type")]
    pub(crate) message_type: Option<String>,
    /// The call as it was when the message was sent (often stale).
    #[serde(borrow)]
    pub(crate) call: Option<&'a RawValue>,
    /// When it was sent: epoch milliseconds (an ISO string from some senders).
    pub(crate) timestamp: Option<Value>,
}

/// An `end-of-call-report` or `status-update` message: what it says about the call, laid
/// over the call it carries. Spelled like the call's fields, which it shares.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct CallReport {
    /// `status-update` only.
    pub(crate) status: Option<Status>,
    pub(crate) ended_reason: Option<String>,
    pub(crate) cost: Option<f64>,
    pub(crate) cost_breakdown: Option<CostBreakdown>,
    pub(crate) costs: Option<Vec<CostEntry>>,
    pub(crate) started_at: Option<String>,
    pub(crate) ended_at: Option<String>,
    pub(crate) duration_seconds: Option<f64>,
    pub(crate) duration_ms: Option<f64>,
    pub(crate) analysis: Option<Analysis>,
    pub(crate) artifact: Option<Artifact>,
    pub(crate) customer: Option<Customer>,
    pub(crate) phone_number: Option<PhoneNumber>,
    pub(crate) transcript: Option<String>,
    pub(crate) messages: Option<Vec<Message>>,
    #[serde(rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<Vec<Message>>,
    pub(crate) recording_url: Option<String>,
    pub(crate) stereo_recording_url: Option<String>,
    pub(crate) summary: Option<String>,
}

/// A `transcript` (or `transcript[transcriptType="final"]`) message.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct TranscriptMessage {
    /// `assistant` or `user`.
    pub(crate) role: Option<Role>,
    /// `partial` or `final`.
    pub(crate) transcript_type: Option<String>,
    pub(crate) transcript: Option<String>,
}

/// A `conversation-update` message: the conversation so far, as Vapi messages
/// (`messages`), or, from older senders, only OpenAI-style (`conversation`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ConversationUpdate {
    pub(crate) messages: Option<Vec<Message>>,
    #[serde(rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<Vec<Message>>,
    pub(crate) conversation: Option<Vec<Message>>,
}

/// A `tool-calls` message.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ToolCallsMessage {
    pub(crate) tool_call_list: Option<Vec<ToolCall>>,
}

/// A `function-call` message (Vapi's older tool mechanism).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct FunctionCallMessage {
    pub(crate) function_call: Option<FunctionCall>,
}

/// `functionCall`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FunctionCall {
    pub(crate) name: Option<String>,
    /// JSON text or an object.
    pub(crate) parameters: Option<Value>,
}

/// What ending a live Vapi call needs from the call: where its live control listens.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CallControl {
    pub(crate) monitor: Option<Monitor>,
}

/// `Call.monitor`: the live call's URLs, present while `assistant.monitorPlan` enables
/// them.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Monitor {
    /// `POST {"type": "end-call"}` here ends the call (Vapi's Live Call Control).
    pub(crate) control_url: Option<String>,
}

/// The body that ends a live call at its control URL.
#[derive(Debug, Serialize)]
pub(crate) struct ControlMessage {
    #[serde(rename = "type")]
    pub(crate) message_type: &'static str,
}

/// Only a call's id (to name the call of an event whose call is otherwise unread).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CallIdOnly {
    pub(crate) id: Option<String>,
}
