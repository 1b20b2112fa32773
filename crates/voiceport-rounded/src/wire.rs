//! Rounded's JSON, exactly as Rounded spells it (reference §3.1–3.4).
//!
//! Every v1 response is wrapped in an [`Envelope`]; the call object is [`Call`]. Every
//! field Rounded may leave out or send as `null` is an `Option`; unknown fields are
//! ignored here (the raw vendor payload kept on each normalized call still has them).
//! Vendor enums are open: a value this version does not know lands in `Other(String)`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

voiceport_core::open_enum! {
    /// A call's `type` (and the list filter `call_type`).
    pub enum CallType {
        /// A telephone call.
        PhoneCall => "phone_call",
        /// A browser call.
        WebCall => "web_call",
    }
}

voiceport_core::open_enum! {
    /// A call's `status`.
    ///
    /// Documented: `created` (the first enum member, Mintlify rule) and `completed`. Every
    /// other value here is **inferred** (the full enum was not captured, reference §3.4);
    /// they are listed so that the mapping table can name them.
    pub enum CallStatus {
        /// Documented: the call record exists, not yet placed.
        Created => "created",
        /// Inferred.
        Queued => "queued",
        /// Inferred.
        Ringing => "ringing",
        /// Inferred.
        InProgress => "in_progress",
        /// Inferred.
        Ongoing => "ongoing",
        /// Inferred.
        Active => "active",
        /// Inferred.
        Transferred => "transferred",
        /// Documented: the call is over.
        Completed => "completed",
        /// Inferred.
        Ended => "ended",
        /// Inferred.
        Failed => "failed",
        /// Inferred.
        Error => "error",
        /// Inferred.
        NoAnswer => "no_answer",
        /// Inferred.
        NotAnswered => "not_answered",
        /// Inferred.
        Busy => "busy",
        /// Inferred.
        Canceled => "canceled",
        /// Inferred (British spelling).
        Cancelled => "cancelled",
    }
}

voiceport_core::open_enum! {
    /// Who (or what) answered the call: `answer_type`.
    ///
    /// Documented: `human` (first enum member). The machine values are **inferred**.
    pub enum AnswerType {
        /// Documented: a person answered.
        Human => "human",
        /// Inferred: a voicemail box answered.
        Voicemail => "voicemail",
        /// Inferred: a machine answered.
        Machine => "machine",
        /// Inferred: an answering machine answered.
        AnsweringMachine => "answering_machine",
    }
}

voiceport_core::open_enum! {
    /// A call's `direction`. Documented: `inbound`; `outbound` is inferred.
    pub enum Direction {
        /// The customer called in.
        Inbound => "inbound",
        /// The agent called out (inferred value).
        Outbound => "outbound",
    }
}

voiceport_core::open_enum! {
    /// A transcript entry's `role`. Documented: `user` (first enum member); the agent-side
    /// and tool role names are **inferred** (reference §3.2, §3.4).
    pub enum Role {
        /// Documented: the person on the call.
        User => "user",
        /// Inferred: the AI agent.
        Agent => "agent",
        /// Inferred: the AI agent.
        Assistant => "assistant",
        /// Inferred: the AI agent.
        Bot => "bot",
        /// Inferred: a tool interaction.
        Tool => "tool",
        /// Inferred: a tool invocation.
        ToolCall => "tool_call",
        /// Inferred: a tool's result.
        ToolResult => "tool_result",
        /// Inferred: a function call.
        Function => "function",
        /// Inferred: a system message.
        System => "system",
    }
}

voiceport_core::open_enum! {
    /// A variable's `type`. Documented: `string`; `number` and `boolean` are inferred.
    pub enum VariableType {
        /// Documented.
        String => "string",
        /// Inferred.
        Number => "number",
        /// Inferred.
        Boolean => "boolean",
    }
}

voiceport_core::open_enum! {
    /// A post-call question's `question_type`. Documented: `boolean`; `text` is inferred.
    pub enum QuestionType {
        /// Documented.
        Boolean => "boolean",
        /// Inferred.
        Text => "text",
    }
}

voiceport_core::open_enum! {
    /// Where a post-call question comes from. Documented: `system`; `user` is inferred.
    pub enum QuestionOrigin {
        /// Documented: built into Rounded.
        System => "system",
        /// Inferred: defined by the customer.
        User => "user",
    }
}

voiceport_core::open_enum! {
    /// An error's `type`. Only `generic_error` is documented.
    pub enum ErrorType {
        /// Documented.
        GenericError => "generic_error",
    }
}

/// The wrapper around every v1 response: `{message, data, error, status}`.
///
/// `error` may be present on a successful response (the generated doc examples show one);
/// success is keyed on the HTTP status and on `data`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Envelope<T> {
    /// A human-readable message (`"Call retrieved successfully"` …). Don't match on it.
    #[serde(default)]
    pub message: Option<String>,
    /// The payload.
    #[serde(default = "none")]
    pub data: Option<T>,
    /// The error, when there is one (nullable).
    #[serde(default)]
    pub error: Option<ApiError>,
    /// The HTTP status, repeated in the body.
    #[serde(default)]
    pub status: Option<u16>,
}

fn none<T>() -> Option<T> {
    None
}

/// Rounded's error object.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ApiError {
    /// Per-field problems.
    #[serde(default)]
    pub details: Option<Vec<ErrorDetail>>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
    /// The HTTP status.
    #[serde(default)]
    pub status: Option<u16>,
    /// The error type (`generic_error`).
    #[serde(default, rename = "type")]
    pub error_type: Option<ErrorType>,
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ErrorDetail {
    /// The field's name.
    #[serde(default)]
    pub field: Option<String>,
    /// What is wrong with it.
    #[serde(default)]
    pub message: Option<String>,
}

/// A call: `data` of get-call and update-call, and each item of a list (reference §3.2).
///
/// Web calls lack the phone fields (`from_number`, `to_number`, `direction`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Call {
    /// The call's UUID.
    pub id: String,
    /// The organization's UUID.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// `phone_call` or `web_call`.
    #[serde(default, rename = "type")]
    pub call_type: Option<CallType>,
    /// The agent's UUID.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The call's status.
    #[serde(default)]
    pub status: Option<CallStatus>,
    /// The caller's metadata (documented as an object).
    #[serde(default)]
    pub metadata: Option<Value>,
    /// When the call started (ISO 8601).
    #[serde(default)]
    pub start_time: Option<String>,
    /// When the call ended (ISO 8601).
    #[serde(default)]
    pub end_time: Option<String>,
    /// How long the call lasted, in seconds.
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    /// Time spent after a redirect (meaning inferred), in seconds.
    #[serde(default)]
    pub redirect_duration_seconds: Option<f64>,
    /// What the call cost (currency not stated).
    #[serde(default)]
    pub cost: Option<f64>,
    /// The transcript as text, lines prefixed `Agent:` / `User:`.
    #[serde(default)]
    pub transcript_string: Option<String>,
    /// The transcript, entry by entry (list items: only with `include_transcript`).
    #[serde(default)]
    pub transcript: Option<Vec<TranscriptEntry>>,
    /// Variables the agent resolved during the call.
    #[serde(default)]
    pub variable_values: Option<Vec<VariableValue>>,
    /// Answers to the post-call questions.
    #[serde(default)]
    pub post_call_answers: Option<Vec<PostCallAnswer>>,
    /// Who answered (`human` …).
    #[serde(default)]
    pub answer_type: Option<AnswerType>,
    /// The calling number (E.164).
    #[serde(default)]
    pub from_number: Option<String>,
    /// The called number (E.164).
    #[serde(default)]
    pub to_number: Option<String>,
    /// `inbound` or `outbound`.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// A pre-signed recording URL (about an hour valid, inferred).
    #[serde(default)]
    pub recording_url: Option<String>,
    /// Whether the recording URL is a secure one.
    #[serde(default)]
    pub secure_recording_url: Option<bool>,
}

/// One transcript entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TranscriptEntry {
    /// Who spoke.
    #[serde(default)]
    pub role: Option<Role>,
    /// When (ISO 8601, wall clock).
    #[serde(default)]
    pub start_time: Option<String>,
    /// What was said (or the tool call / result text).
    #[serde(default)]
    pub content: Option<String>,
}

/// One resolved variable.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VariableValue {
    /// The variable's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its type.
    #[serde(default, rename = "type")]
    pub value_type: Option<VariableType>,
    /// Its value (string, number, boolean …).
    #[serde(default)]
    pub value: Option<Value>,
    /// When it was resolved (ISO 8601).
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// The answer to one post-call question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PostCallAnswer {
    /// The answer's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The question.
    #[serde(default)]
    pub question: Option<Question>,
    /// Whether there is an answer.
    #[serde(default)]
    pub has_answer: Option<bool>,
    /// A text answer.
    #[serde(default)]
    pub answer_text: Option<String>,
    /// A numeric answer.
    #[serde(default)]
    pub answer_number: Option<Number>,
    /// A yes/no answer.
    #[serde(default)]
    pub answer_boolean: Option<bool>,
    /// The chosen options of a choice question.
    #[serde(default)]
    pub selected_options: Option<Vec<SelectedOption>>,
}

/// A post-call question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Question {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name (the key of the extracted value).
    #[serde(default)]
    pub name: Option<String>,
    /// What it asks.
    #[serde(default)]
    pub description: Option<String>,
    /// Its type.
    #[serde(default)]
    pub question_type: Option<QuestionType>,
    /// Whether it may stay unanswered.
    #[serde(default)]
    pub is_optional: Option<bool>,
    /// Where it comes from.
    #[serde(default)]
    pub question_origin: Option<QuestionOrigin>,
}

/// One selected option of a choice question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SelectedOption {
    /// The option.
    #[serde(default)]
    pub option: Option<QuestionOption>,
}

/// An option of a choice question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct QuestionOption {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its value.
    #[serde(default)]
    pub value: Option<Value>,
}

/// The body of `GET /v1/calls`: the envelope plus the paging fields.
///
/// `next_cursor` comes in cursor mode only; the three page fields in page mode only.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListResponse<T> {
    /// The calls.
    #[serde(default = "none")]
    pub data: Option<Vec<T>>,
    /// The cursor of the next page (an ISO timestamp), cursor mode.
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// This page's number (1-based), page mode.
    #[serde(default)]
    pub current_page: Option<u64>,
    /// How many pages there are, page mode.
    #[serde(default)]
    pub total_pages: Option<u64>,
    /// How many calls match, page mode.
    #[serde(default)]
    pub total_items: Option<u64>,
    /// A human-readable message.
    #[serde(default)]
    pub message: Option<String>,
    /// The HTTP status, repeated.
    #[serde(default)]
    pub status: Option<u16>,
    /// The error, when there is one.
    #[serde(default)]
    pub error: Option<ApiError>,
}

impl<T> ListResponse<T> {
    /// The envelope part of the list body, for the shared envelope check.
    pub fn into_envelope(self) -> (Envelope<Vec<T>>, ListPaging) {
        let paging = ListPaging {
            next_cursor: self.next_cursor,
            current_page: self.current_page,
            total_pages: self.total_pages,
            total_items: self.total_items,
        };
        let envelope = Envelope {
            message: self.message,
            data: self.data,
            error: self.error,
            status: self.status,
        };
        (envelope, paging)
    }
}

/// The paging fields of a list body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListPaging {
    /// `next_cursor`.
    pub next_cursor: Option<String>,
    /// `current_page`.
    pub current_page: Option<u64>,
    /// `total_pages`.
    pub total_pages: Option<u64>,
    /// `total_items`.
    pub total_items: Option<u64>,
}

/// The body of `POST /v1/calls/phone`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartCallBody {
    /// The caller id (E.164, a number of your organization).
    pub from_number: String,
    /// The number to call (E.164).
    pub to_number: String,
    /// The agent's UUID.
    pub agent_id: String,
    /// Values of the agent's dynamic variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_variables_values: Option<BTreeMap<String, Value>>,
    /// Other body fields, passed through (the SIP headers object, whose name is
    /// undocumented, for example).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of the start-call response (HTTP 201).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StartCallData {
    /// The new call's id.
    pub call_id: String,
}

/// The body of `PATCH /v1/calls/{call_id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateCallBody {
    /// The metadata to merge or to store.
    pub metadata: BTreeMap<String, Value>,
    /// `true` replaces the stored metadata; `false` merges into it. Always sent.
    #[serde(rename = "override")]
    pub override_metadata: bool,
}
