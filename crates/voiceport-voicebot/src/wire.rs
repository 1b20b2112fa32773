//! The Vapi family's JSON, exactly as the vendors spell it (camelCase, Vapi's call model
//! and server messages; Voicebot Studio's calls add a few flattened copies).
//!
//! Vapi requires only `id`, `orgId`, `createdAt` and `updatedAt`, and Voicebot Studio
//! documents every call field except `id` as nullable: every field is an `Option` (absent
//! and `null` both read as `None`). Only the fields voiceport reads are declared;
//! the normalized call keeps the whole vendor JSON as its payload. Enum-like strings are
//! open enums: a value this version does not know lands in `Other`.
//!
//! Read for speed (a list page is 1,000 calls of 30 messages): the types borrow from the
//! body ([`Text`]: no copy of a string without escapes), a call's `messages` become
//! utterances as they are decoded ([`Utterances`]), the copies of a conversation read only
//! when the lists before them are empty stay raw ([`RawMessages`]), and text-or-JSON values
//! build no tree when they are text ([`AnyJson`]). Those two conversation types are
//! mapping, imported from `map` (its `conversation` module says why): the one use of `map`
//! here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::adapter::{AnyJson, Text, amount, bounded_list, bounded_value};

// Mapping, not wire: messages are mapped as they are read (see `map::conversation`).
use crate::map::conversation::{RawMessages, Utterances};

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
    /// `messages[].role`. The assistant speaks as `bot` in Vapi's own messages (as
    /// third-party code and payloads show them; Vapi's examples write `assistant`, and its
    /// schema types the role as a plain string), as `assistant` in OpenAI-formatted ones
    /// (`messagesOpenAIFormatted`, and `messages` from some senders), which also use
    /// `tool` and `function` for results.
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
/// it on the decoded call), but calls inside webhooks may not.
///
/// Borrowed from the body it is read from: strings without escapes are not copied, and the
/// conversations the normalizer reads only when `messages` is empty stay raw (see
/// [`RawMessages`]).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a call object")]
pub(crate) struct Call<'a> {
    #[serde(borrow)]
    pub(crate) id: Option<Text<'a>>,
    #[serde(rename = "type")]
    pub(crate) call_type: Option<CallType>,
    /// Vapi's messages (OpenAI-formatted ones from some senders): the conversation read
    /// first, decoded with the call.
    pub(crate) messages: Option<Utterances>,
    /// The same conversation in OpenAI's format (status-update messages carry it here),
    /// read last.
    #[serde(borrow, rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<RawMessages<'a>>,
    pub(crate) status: Option<Status>,
    /// An open string: Vapi knows ~600 values and adds more with almost every release.
    #[serde(borrow)]
    pub(crate) ended_reason: Option<Text<'a>>,
    /// Vapi's words on the end (`Concurrency limit of 10 calls reached…`).
    #[serde(borrow)]
    pub(crate) ended_message: Option<Text<'a>>,
    /// The Vapi organization.
    #[serde(borrow)]
    pub(crate) org_id: Option<Text<'a>>,
    /// The Voicebot Studio organization.
    #[serde(borrow)]
    pub(crate) organization_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) created_at: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) started_at: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) ended_at: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) analysis: Option<Analysis<'a>>,
    #[serde(borrow)]
    pub(crate) assistant_id: Option<Text<'a>>,
    /// The remote party: the callee of an outbound call, the caller of an inbound one.
    #[serde(borrow)]
    pub(crate) customer: Option<Customer<'a>>,
    /// The assistant's own number (webhook messages carry it; calls on a transient number).
    #[serde(borrow)]
    pub(crate) phone_number: Option<PhoneNumber<'a>>,
    /// The id of that number: all a call read from the API usually names of it.
    #[serde(borrow)]
    pub(crate) phone_number_id: Option<Text<'a>>,
    /// The whole transcript as text (`AI: …\nUser: …`); this and the next three are
    /// flattened from `artifact`/`analysis` by VS, and read beside them in Vapi reports
    /// by third-party code (inferred: Vapi's schema of the report does not list them).
    #[serde(borrow)]
    pub(crate) transcript: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) recording_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) summary: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) stereo_recording_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
    /// Where the call was transferred (`{type: "number", number}`, `{type: "sip",
    /// sipUri}`), kept raw: a shape the docs do not give fails nothing.
    #[serde(borrow)]
    pub(crate) destination: Option<&'a RawValue>,
    /// USD.
    #[serde(default, deserialize_with = "amount")]
    pub(crate) cost: Option<f64>,
    pub(crate) cost_breakdown: Option<CostBreakdown>,
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) costs: Option<Vec<CostEntry<'a>>>,
    #[serde(borrow)]
    pub(crate) artifact: Option<Artifact<'a>>,
    #[serde(borrow)]
    pub(crate) campaign_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) schedule_plan: Option<SchedulePlan<'a>>,
    /// Where the `metadata` the call was created with lives.
    #[serde(borrow)]
    pub(crate) assistant_overrides: Option<AssistantOverrides<'a>>,
    /// An assistant given inline rather than by `assistantId`: its id and name.
    #[serde(borrow)]
    pub(crate) assistant: Option<InlineAgent<'a>>,
    /// The squad that ran the call in place of an assistant (Vapi takes one of an
    /// assistant, a squad and a workflow).
    #[serde(borrow)]
    pub(crate) squad_id: Option<Text<'a>>,
    /// A squad given inline rather than by `squadId`.
    #[serde(borrow)]
    pub(crate) squad: Option<InlineAgent<'a>>,
    /// The workflow that ran the call in place of an assistant.
    #[serde(borrow)]
    pub(crate) workflow_id: Option<Text<'a>>,
    /// A workflow given inline rather than by `workflowId`.
    #[serde(borrow)]
    pub(crate) workflow: Option<InlineAgent<'a>>,
    /// Seconds. Only end-of-call reports send it (inferred: Vapi's schema does not list it,
    /// third-party code reads it); read when `startedAt`/`endedAt` are not.
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration_seconds: Option<f64>,
    /// Milliseconds, the same (reports send both).
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration_ms: Option<f64>,
}

/// One entry of `messages[]`: Vapi's System/Bot/User/ToolCall/ToolCallResult messages, the
/// 2024 `function_call` ones and OpenAI-formatted ones (`content`, `tool_calls`,
/// `tool_call_id`), in one shape.
///
/// `duration` is left unread: Vapi documents it in seconds, but third-party code reads it
/// as milliseconds (an inferred variant the fixtures carry), so it cannot be trusted
/// alone; `endTime - time` says the same without doubt.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a message object")]
pub(crate) struct Message<'a> {
    pub(crate) role: Option<Role>,
    #[serde(borrow)]
    pub(crate) message: Option<Text<'a>>,
    /// OpenAI format: the text, a string or an array of `{type, text}` parts.
    #[serde(borrow)]
    pub(crate) content: Option<AnyJson<'a>>,
    /// Start, epoch milliseconds (possibly fractional, possibly in exponent notation).
    #[serde(default, deserialize_with = "amount")]
    pub(crate) time: Option<f64>,
    /// End, epoch milliseconds.
    #[serde(default, deserialize_with = "amount")]
    pub(crate) end_time: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) seconds_from_start: Option<f64>,
    /// Vapi `toolCalls`, OpenAI `tool_calls`.
    #[serde(
        borrow,
        default,
        deserialize_with = "bounded_list",
        alias = "tool_calls"
    )]
    pub(crate) tool_calls: Option<Vec<ToolCall<'a>>>,
    /// Which invocation a `tool_call_result` (OpenAI: `tool`) answers.
    #[serde(borrow, alias = "tool_call_id")]
    pub(crate) tool_call_id: Option<Text<'a>>,
    /// The tool's or function's name.
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
    /// A `function_call`'s arguments: JSON text or an object.
    #[serde(borrow)]
    pub(crate) args: Option<AnyJson<'a>>,
    /// The tool's result, usually a JSON string.
    #[serde(borrow)]
    pub(crate) result: Option<AnyJson<'a>>,
}

/// One tool invocation (`toolCalls[]`, `tool_calls[]`, a `tool-calls` message's
/// `toolCallList[]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a tool call object")]
pub(crate) struct ToolCall<'a> {
    #[serde(borrow)]
    pub(crate) id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) function: Option<ToolFunction<'a>>,
    /// The flat shapes of Vapi's pages, where there is no `function`: `{id, name,
    /// parameters}` (server events) and `{id, name, arguments}` (custom tools).
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) arguments: Option<AnyJson<'a>>,
    #[serde(borrow)]
    pub(crate) parameters: Option<AnyJson<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a function object")]
pub(crate) struct ToolFunction<'a> {
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
    /// JSON text, or a JSON object.
    #[serde(borrow)]
    pub(crate) arguments: Option<AnyJson<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "an analysis object")]
pub(crate) struct Analysis<'a> {
    #[serde(borrow)]
    pub(crate) summary: Option<Text<'a>>,
    /// A string, boolean or number depending on the rubric.
    #[serde(borrow)]
    pub(crate) success_evaluation: Option<AnyJson<'a>>,
    /// Data extracted per the assistant's schema (usually an object).
    #[serde(borrow)]
    pub(crate) structured_data: Option<AnyJson<'a>>,
    /// The same from several schemas (a list of objects).
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) structured_data_multi: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a customer object")]
pub(crate) struct Customer<'a> {
    /// E.164.
    #[serde(borrow)]
    pub(crate) number: Option<Text<'a>>,
    /// Instead of a number on SIP calls (`sip:…`).
    #[serde(borrow)]
    pub(crate) sip_uri: Option<Text<'a>>,
    /// The customer's name, as the caller gave it.
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
}

/// The assistant's phone number object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a phone number object")]
pub(crate) struct PhoneNumber<'a> {
    /// E.164.
    #[serde(borrow)]
    pub(crate) number: Option<Text<'a>>,
    /// A transient number's (the `ImportTwilioPhoneNumberDTO` a dial may give in place of
    /// a `phoneNumberId`), which names its number so.
    #[serde(borrow)]
    pub(crate) twilio_phone_number: Option<Text<'a>>,
    /// Instead of a number on SIP numbers.
    #[serde(borrow)]
    pub(crate) sip_uri: Option<Text<'a>>,
}

/// `costBreakdown`, USD.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a cost breakdown object")]
pub(crate) struct CostBreakdown {
    #[serde(default, deserialize_with = "amount")]
    pub(crate) transport: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) stt: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) llm: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) tts: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) vapi: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) chat: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) total: Option<f64>,
    /// What the post-call analysis cost, part of `total`.
    #[serde(rename = "analysisCostBreakdown")]
    pub(crate) analysis_cost_breakdown: Option<AnalysisCostBreakdown>,
}

/// `costBreakdown.analysisCostBreakdown`: each analysis the call ran, USD (its token counts
/// are not read). Vapi's schema names the costs; `structuredOutput` is its newest.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "an analysis cost breakdown object")]
pub(crate) struct AnalysisCostBreakdown {
    #[serde(default, deserialize_with = "amount")]
    pub(crate) summary: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) structured_data: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) success_evaluation: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) structured_output: Option<f64>,
}

/// One item of `costs[]`, by `type` (`transport`, `transcriber`, `model`, `voice`, `vapi`,
/// `voicemail-detection`, `analysis`, `knowledge-base` …), USD.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a cost object")]
pub(crate) struct CostEntry<'a> {
    #[serde(borrow, rename = "type")]
    pub(crate) cost_type: Option<Text<'a>>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) cost: Option<f64>,
}

/// `artifact`, a call's or a report's: the same fields but for the type of `messages`
/// (`M`). In a call's, its message lists are copies of the call's, read only when the
/// call's own `messages` is empty: kept raw until then. A report's is [`ReportArtifact`].
#[derive(Debug, Clone, Deserialize)]
#[serde(
    default,
    rename_all = "camelCase",
    bound(deserialize = "M: Deserialize<'de>")
)]
#[serde(expecting = "an artifact object")]
pub(crate) struct Artifact<'a, M = RawMessages<'a>> {
    /// Raw in a call's artifact ([`RawMessages`]), decoded with it in a report's
    /// ([`Utterances`]).
    // No `borrow`: `M` may hold no lifetime, and the other fields already tie `'a` to the
    // body (`'de: 'a`), which `RawMessages` needs.
    pub(crate) messages: Option<M>,
    #[serde(borrow, rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<RawMessages<'a>>,
    /// Deprecated by Vapi for `recording.mono.combinedUrl`, still sent.
    #[serde(borrow)]
    pub(crate) recording_url: Option<Text<'a>>,
    /// Deprecated by Vapi for `recording.stereoUrl`, still sent.
    #[serde(borrow)]
    pub(crate) stereo_recording_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) recording: Option<ArtifactRecording<'a>>,
    /// Short-lived pre-signed copies of the recordings, regenerated in each answer: read
    /// only where the lasting URLs are missing.
    #[serde(borrow)]
    pub(crate) presigned_mono_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) presigned_stereo_url: Option<Text<'a>>,
    /// When the pre-signed URLs stop working (ISO 8601).
    #[serde(borrow)]
    pub(crate) presigned_urls_expires_at: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) transcript: Option<Text<'a>>,
    /// The results of the call's structured outputs (Vapi's successor to the analysis
    /// plan's `structuredData`), kept whole in the analysis.
    #[serde(borrow)]
    pub(crate) structured_outputs: Option<&'a RawValue>,
    /// The final values of the call's variables, kept whole in the analysis.
    #[serde(borrow)]
    pub(crate) variable_values: Option<&'a RawValue>,
}

// By hand: the derive would ask `M: Default`, which `RawMessages` (a borrowed value) is not.
impl<M> Default for Artifact<'_, M> {
    fn default() -> Self {
        Self {
            messages: None,
            messages_openai: None,
            recording_url: None,
            stereo_recording_url: None,
            recording: None,
            presigned_mono_url: None,
            presigned_stereo_url: None,
            presigned_urls_expires_at: None,
            transcript: None,
            structured_outputs: None,
            variable_values: None,
        }
    }
}

/// `assistant`, `squad` or `workflow`, the call's agent given inline: only what names it
/// is read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "an assistant, squad or workflow object")]
pub(crate) struct InlineAgent<'a> {
    /// Set when it is a saved one.
    #[serde(borrow)]
    pub(crate) id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
}

/// `artifact.recording`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a recording object")]
pub(crate) struct ArtifactRecording<'a> {
    #[serde(borrow)]
    pub(crate) stereo_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) mono: Option<MonoRecording<'a>>,
}

/// `artifact.recording.mono`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a recording object")]
pub(crate) struct MonoRecording<'a> {
    /// Both parties mixed.
    #[serde(borrow)]
    pub(crate) combined_url: Option<Text<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a schedule plan object")]
pub(crate) struct SchedulePlan<'a> {
    /// Not before.
    #[serde(borrow)]
    pub(crate) earliest_at: Option<Text<'a>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "an assistant overrides object")]
pub(crate) struct AssistantOverrides<'a> {
    /// The caller's key/value data.
    #[serde(borrow)]
    pub(crate) metadata: Option<AnyJson<'a>>,
}

/// The body of `POST /call` (Voicebot Studio: `/calls`): the parts of Vapi's
/// `CreateCallDTO` voiceport sends.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateCall<'a> {
    /// `None` when `extra` names the agent otherwise (a squad, a workflow).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) assistant_id: Option<&'a str>,
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

/// Who is called: a phone number, or a SIP URI.
#[derive(Debug, Serialize)]
pub(crate) enum CreateCustomer<'a> {
    #[serde(rename = "number")]
    Number(&'a str),
    #[serde(rename = "sipUri")]
    SipUri(&'a str),
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
#[serde(expecting = "a server message (an object with `message`)")]
pub(crate) struct ServerMessageHead<'a> {
    #[serde(borrow)]
    pub(crate) message: Option<&'a RawValue>,
    /// `end-of-call-report`, `status-update`, `transcript` …
    #[serde(borrow, rename = "type")]
    pub(crate) message_type: Option<Text<'a>>,
    /// The call as it was when the message was sent (often stale).
    #[serde(borrow)]
    pub(crate) call: Option<&'a RawValue>,
    /// When it was sent: epoch milliseconds (an ISO string from some senders).
    #[serde(borrow)]
    pub(crate) timestamp: Option<AnyJson<'a>>,
}

/// An `end-of-call-report` or `status-update` message: what it says about the call, laid
/// over the call it carries (decoded with it, in the same pass). Spelled like the call's
/// fields, which it shares.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "an end-of-call report object")]
pub(crate) struct CallReport<'a> {
    /// `status-update` only.
    pub(crate) status: Option<Status>,
    #[serde(borrow)]
    pub(crate) ended_reason: Option<Text<'a>>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) cost: Option<f64>,
    pub(crate) cost_breakdown: Option<CostBreakdown>,
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) costs: Option<Vec<CostEntry<'a>>>,
    #[serde(borrow)]
    pub(crate) started_at: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) ended_at: Option<Text<'a>>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration_seconds: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration_ms: Option<f64>,
    #[serde(borrow)]
    pub(crate) analysis: Option<Analysis<'a>>,
    #[serde(borrow)]
    pub(crate) artifact: Option<ReportArtifact<'a>>,
    #[serde(borrow)]
    pub(crate) customer: Option<Customer<'a>>,
    #[serde(borrow)]
    pub(crate) phone_number: Option<PhoneNumber<'a>>,
    #[serde(borrow)]
    pub(crate) transcript: Option<Text<'a>>,
    /// The older senders' copy of the artifact's conversation, read only when the
    /// artifact's is empty.
    #[serde(borrow)]
    pub(crate) messages: Option<RawMessages<'a>>,
    #[serde(borrow, rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<RawMessages<'a>>,
    #[serde(borrow)]
    pub(crate) recording_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) stereo_recording_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) summary: Option<Text<'a>>,
    /// Where a `forwarding` call goes (a status update's; a report's too), kept raw: it
    /// tells one forwarding of a call from another.
    #[serde(borrow)]
    pub(crate) destination: Option<&'a RawValue>,
    /// The call as it was when the report was sent (often stale), when it is inside the
    /// report. Boxed: the report is large without it.
    #[serde(borrow)]
    pub(crate) call: Option<Box<Call<'a>>>,
}

/// A report's `artifact`: a call's, except that its `messages` (where Vapi's reports carry
/// the conversation) are decoded with it.
pub(crate) type ReportArtifact<'a> = Artifact<'a, Utterances>;

/// A delivery read in one pass: `{"message": {...}}` (with some senders' `type`, `call` or
/// `timestamp` beside the message), the message read as [`AnyMessage`]. When it does not
/// decode so (no `message`, or a field of the wrong type for some message type), the
/// delivery is read again part by part ([`ServerMessageHead`], then the message's own
/// type), which accepts what its type does not read and names the place of an error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a server message (an object with `message`)")]
pub(crate) struct Delivery<'a> {
    #[serde(borrow)]
    pub(crate) message: Option<AnyMessage<'a>>,
    #[serde(borrow, rename = "type")]
    pub(crate) message_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) call: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) timestamp: Option<AnyJson<'a>>,
}

/// A server message of any type, read in one pass whatever the order of its fields: every
/// field a handled type reads ([`CallReport`], [`TranscriptMessage`],
/// [`ConversationUpdate`], [`ToolCallsMessage`], [`FunctionCallMessage`]), with the types
/// those give them. The call stays raw: only reports decode it.
///
/// The report's larger parts are boxed: the message is moved several times on its way out
/// of serde, and a transcript or status message (most deliveries) has none of them
/// (unboxed, the struct was 984 bytes; the moves were a sixth of a transcript's decode).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a message object")]
pub(crate) struct AnyMessage<'a> {
    #[serde(borrow, rename = "type")]
    pub(crate) message_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) timestamp: Option<AnyJson<'a>>,
    #[serde(borrow)]
    pub(crate) call: Option<&'a RawValue>,
    // `CallReport`'s.
    pub(crate) status: Option<Status>,
    #[serde(borrow)]
    pub(crate) ended_reason: Option<Text<'a>>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) cost: Option<f64>,
    pub(crate) cost_breakdown: Option<Box<CostBreakdown>>,
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) costs: Option<Vec<CostEntry<'a>>>,
    #[serde(borrow)]
    pub(crate) started_at: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) ended_at: Option<Text<'a>>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration_seconds: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration_ms: Option<f64>,
    #[serde(borrow)]
    pub(crate) analysis: Option<Box<Analysis<'a>>>,
    #[serde(borrow)]
    pub(crate) artifact: Option<Box<ReportArtifact<'a>>>,
    #[serde(borrow)]
    pub(crate) customer: Option<Box<Customer<'a>>>,
    #[serde(borrow)]
    pub(crate) phone_number: Option<Box<PhoneNumber<'a>>>,
    /// A report's and a transcript's.
    #[serde(borrow)]
    pub(crate) transcript: Option<Text<'a>>,
    /// A report's (read only when its artifact's is empty) and a conversation update's
    /// (only its newest message is read).
    #[serde(borrow)]
    pub(crate) messages: Option<RawMessages<'a>>,
    /// A report's and a conversation update's.
    #[serde(borrow, rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<RawMessages<'a>>,
    #[serde(borrow)]
    pub(crate) recording_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) stereo_recording_url: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) summary: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) destination: Option<&'a RawValue>,
    // `TranscriptMessage`'s.
    pub(crate) role: Option<Role>,
    #[serde(borrow)]
    pub(crate) transcript_type: Option<Text<'a>>,
    // `ConversationUpdate`'s.
    #[serde(borrow)]
    pub(crate) conversation: Option<RawMessages<'a>>,
    // `ToolCallsMessage`'s.
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) tool_call_list: Option<Vec<ToolCall<'a>>>,
    // `FunctionCallMessage`'s.
    #[serde(borrow)]
    pub(crate) function_call: Option<Box<FunctionCall<'a>>>,
}

impl<'a> AnyMessage<'a> {
    /// Its report fields (the call is not among them: it is still raw).
    pub(crate) fn into_report(self) -> CallReport<'a> {
        CallReport {
            status: self.status,
            ended_reason: self.ended_reason,
            cost: self.cost,
            cost_breakdown: self.cost_breakdown.map(|boxed| *boxed),
            costs: self.costs,
            started_at: self.started_at,
            ended_at: self.ended_at,
            duration_seconds: self.duration_seconds,
            duration_ms: self.duration_ms,
            analysis: self.analysis.map(|boxed| *boxed),
            artifact: self.artifact.map(|boxed| *boxed),
            customer: self.customer.map(|boxed| *boxed),
            phone_number: self.phone_number.map(|boxed| *boxed),
            transcript: self.transcript,
            messages: self.messages,
            messages_openai: self.messages_openai,
            recording_url: self.recording_url,
            stereo_recording_url: self.stereo_recording_url,
            summary: self.summary,
            destination: self.destination,
            call: None,
        }
    }
}

/// A `transcript` (or `transcript[transcriptType="final"]`) message.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a transcript message object")]
pub(crate) struct TranscriptMessage<'a> {
    /// `assistant` or `user`.
    pub(crate) role: Option<Role>,
    /// `partial` or `final`.
    #[serde(borrow)]
    pub(crate) transcript_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) transcript: Option<Text<'a>>,
}

/// A `conversation-update` message: the conversation so far, as Vapi messages
/// (`messages`), or, from older senders, only OpenAI-style (`conversation`). The copies
/// are read only when `messages` is empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a conversation update object")]
pub(crate) struct ConversationUpdate<'a> {
    #[serde(borrow)]
    pub(crate) messages: Option<RawMessages<'a>>,
    #[serde(borrow, rename = "messagesOpenAIFormatted")]
    pub(crate) messages_openai: Option<RawMessages<'a>>,
    #[serde(borrow)]
    pub(crate) conversation: Option<RawMessages<'a>>,
}

/// A `tool-calls` message.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a tool calls message object")]
pub(crate) struct ToolCallsMessage<'a> {
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) tool_call_list: Option<Vec<ToolCall<'a>>>,
}

/// A `function-call` message (among Vapi's default server messages; its body, as read
/// here, is inferred: Vapi documents none).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a function call message object")]
pub(crate) struct FunctionCallMessage<'a> {
    #[serde(borrow)]
    pub(crate) function_call: Option<FunctionCall<'a>>,
}

/// `functionCall`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a function call object")]
pub(crate) struct FunctionCall<'a> {
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
    /// JSON text or an object.
    #[serde(borrow)]
    pub(crate) parameters: Option<AnyJson<'a>>,
}

/// What ending a live Vapi call needs from the call: where its live control listens.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a call control object")]
pub(crate) struct CallControl {
    pub(crate) monitor: Option<Monitor>,
}

/// `Call.monitor`: the live call's URLs, present while `assistant.monitorPlan` enables
/// them.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[serde(expecting = "a monitor object")]
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
