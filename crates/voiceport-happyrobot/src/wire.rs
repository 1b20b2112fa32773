//! HappyRobot's JSON, exactly as the legacy app API spells it (reference §1.3–1.9).
//!
//! Every field but a call's `id` is optional: the docs call many fields required, yet the
//! dial response lacks `type`, `status`, `provider`, `agent`, `language` and `viewed_by`
//! (seed 004), and older deployments answer with an older Call shape. Both generations'
//! fields are declared here side by side. Unknown fields are ignored (the normalized call
//! keeps the whole vendor JSON), and vendor enums fall back to `Other(String)`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

voiceport_core::open_enum! {
    /// A call's `status`: the current set and the older set (`Completed`, `Failed` are in both).
    pub enum Status {
        /// Current: due later.
        Scheduled => "Scheduled",
        /// Current: waiting to be placed.
        Queued => "Queued",
        /// Current: being placed.
        Initiated => "Initiated",
        /// Current: ringing.
        Ringing => "Ringing",
        /// Current: connected.
        InProgress => "In progress",
        /// Current: handed over to a person.
        Transferred => "Transferred",
        /// Both generations: ended after a conversation.
        Completed => "Completed",
        /// Current: an answering machine picked up and the call was ended.
        AmdTerminated => "AMD Terminated",
        /// Current: the line was busy.
        Busy => "Busy",
        /// Current: nobody answered.
        NoAnswer => "No answer",
        /// Current: canceled before it was placed.
        Canceled => "Canceled",
        /// Both generations: failed.
        Failed => "Failed",
        /// Older: being dialed.
        Dialing => "Dialing",
        /// Older: connected.
        Connected => "Connected",
        /// Older: ended.
        Ended => "Ended",
        /// Older: not answered.
        Missed => "Missed",
        /// Older: the caller hung up before it was answered.
        Abandoned => "Abandoned",
    }
}

voiceport_core::open_enum! {
    /// A call's `type`: its direction.
    pub enum CallType {
        /// The customer called in.
        Inbound => "Inbound",
        /// The agent called out.
        Outbound => "Outbound",
    }
}

voiceport_core::open_enum! {
    /// A call's `provider`: the medium.
    pub enum CallProvider {
        /// A phone call (Twilio).
        Twilio => "Twilio",
        /// A browser call.
        Web => "Web",
        /// A text chat.
        Chat => "Chat",
    }
}

voiceport_core::open_enum! {
    /// The role of a transcript or webhook message.
    pub enum Role {
        /// The system prompt.
        System => "system",
        /// The AI agent.
        Assistant => "assistant",
        /// The person on the call.
        User => "user",
        /// A tool result.
        Tool => "tool",
    }
}

voiceport_core::open_enum! {
    /// `transfer_contact.type`.
    pub enum TransferContactType {
        /// A sales representative.
        SalesRep => "Sales Rep",
        /// A terminal.
        Terminal => "Terminal",
    }
}

voiceport_core::open_enum! {
    /// What a use case does when an answering machine picks up.
    pub enum AmdBehavior {
        /// Hang up.
        Hangup => "Hangup",
        /// Carry on.
        Continue => "Continue",
    }
}

voiceport_core::open_enum! {
    /// The oldest dial/assistant `model` values.
    pub enum LegacyModel {
        /// Fast.
        Fast => "Fast",
        /// Balanced.
        Balanced => "Balanced",
        /// Robust.
        Robust => "Robust",
    }
}

voiceport_core::open_enum! {
    /// `tool_calls[].type`.
    pub enum ToolCallType {
        /// A function call.
        Function => "function",
    }
}

/// A call, current and older docs versions merged (reference §1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// The call id (24 characters).
    pub id: String,
    /// The organization.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// `Inbound` or `Outbound`.
    #[serde(default, rename = "type")]
    pub call_type: Option<CallType>,
    /// The status (either generation).
    #[serde(default)]
    pub status: Option<Status>,
    /// `Twilio`, `Web` or `Chat`.
    #[serde(default)]
    pub provider: Option<CallProvider>,
    /// Telephony ids, numbers, tags and the caller's own data.
    #[serde(default)]
    pub metadata: Option<CallMetadata>,
    /// The use case, embedded in full (plus `model`).
    #[serde(default)]
    pub use_case: Option<UseCase>,
    /// The prompt.
    #[serde(default)]
    pub prompt_id: Option<String>,
    /// The agent that talked.
    #[serde(default)]
    pub agent: Option<AgentRef>,
    /// The conversation language (`en-US` …; open set).
    #[serde(default)]
    pub language: Option<String>,
    /// Template variables of the prompt (the dial `params`).
    #[serde(default)]
    pub params: Option<Value>,
    /// Data the AI extracted (normally an object).
    #[serde(default)]
    pub extraction: Option<Value>,
    /// The outcome class.
    #[serde(default)]
    pub classification: Option<Classification>,
    /// When the call record was created (ISO 8601).
    #[serde(default)]
    pub created: Option<String>,
    /// Seconds.
    #[serde(default)]
    pub duration: Option<f64>,
    /// Who looked at the call (emails).
    #[serde(default)]
    pub viewed_by: Option<Vec<String>>,
    /// The call this one repeats.
    #[serde(default)]
    pub parent_call_id: Option<String>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<Vec<Note>>,
    /// Sample ids.
    #[serde(default)]
    pub samples: Option<Vec<String>>,
    /// Ratings.
    #[serde(default)]
    pub ratings: Option<Vec<Rating>>,
    /// When a scheduled call is due (ISO 8601, UTC).
    #[serde(default)]
    pub scheduled_for: Option<String>,
    /// Use the backup line.
    #[serde(default)]
    pub use_backup: Option<bool>,
    /// Wait until the callee's working hours.
    #[serde(default)]
    pub wait_until_awake: Option<bool>,
    /// The campaign.
    #[serde(default)]
    pub campaign_id: Option<String>,
    /// The call's maximum length, in minutes.
    #[serde(default)]
    pub max_duration_mins: Option<f64>,
    /// The email of the contact the call was transferred to.
    #[serde(default)]
    pub transfer_contact_email: Option<String>,
    /// What the call cost.
    #[serde(default)]
    pub costs: Option<Costs>,
    /// Older: the assistant that talked.
    #[serde(default)]
    pub assistant: Option<Assistant>,
    /// Older: hook URLs.
    #[serde(default)]
    pub hooks: Option<Vec<String>>,
    /// Older: questions and their answers.
    #[serde(default)]
    pub questions: Option<Vec<Question>>,
    /// Older: when the call connected (ISO 8601).
    #[serde(default)]
    pub started: Option<String>,
}

/// `call.metadata`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallMetadata {
    /// The telephony provider's call id.
    #[serde(default)]
    pub call_sid: Option<String>,
    /// Older: a second telephony call id.
    #[serde(default)]
    pub aux_sid: Option<String>,
    /// The calling number.
    #[serde(default)]
    pub from: Option<String>,
    /// The called number.
    #[serde(default)]
    pub to: Option<String>,
    /// The telephony provider's recording id.
    #[serde(default)]
    pub recording_sid: Option<String>,
    /// Older: the pipeline.
    #[serde(default)]
    pub pipeline_id: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// The caller's own key/value data.
    #[serde(default)]
    pub custom: Option<Value>,
}

/// `call.agent`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRef {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Older `call.assistant`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Assistant {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `Fast`, `Balanced` or `Robust`.
    #[serde(default)]
    pub model: Option<LegacyModel>,
    /// Answering-machine detection (webhook copy).
    #[serde(default)]
    pub amd: Option<bool>,
    /// What to do on a machine (webhook copy).
    #[serde(default)]
    pub amd_behavior: Option<AmdBehavior>,
}

/// `call.classification`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// The class.
    #[serde(default)]
    pub tag: Option<String>,
    /// The model's reasoning.
    #[serde(default)]
    pub reasoning: Option<String>,
}

/// A note on a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The note id (no documented length).
    #[serde(default)]
    pub id: Option<String>,
    /// The author's user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The text.
    #[serde(default)]
    pub content: Option<String>,
    /// Flagged for attention.
    #[serde(default)]
    pub flagged: Option<bool>,
    /// When it was written.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// A rating on a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// `✅`, `👎` or `🚨`.
    #[serde(default)]
    pub emoji: Option<String>,
    /// Who rated.
    #[serde(default)]
    pub email: Option<String>,
    /// When.
    #[serde(default)]
    pub created: Option<String>,
}

/// Older `call.questions[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// The question.
    #[serde(default)]
    pub question: Option<String>,
    /// The answer (`null` while unanswered).
    #[serde(default)]
    pub answer: Option<Value>,
}

/// `call.costs` (keys from seeds 000/001; values and currency undocumented).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    /// When the costs were computed.
    #[serde(default)]
    pub created: Option<String>,
    /// The total.
    #[serde(default)]
    pub total_costs: Option<f64>,
    /// Telephony.
    #[serde(default)]
    pub voip: Option<VoipCost>,
    /// Speech-to-text.
    #[serde(default)]
    pub transcriber: Option<PricedCost>,
    /// The language model.
    #[serde(default)]
    pub llm: Option<LlmCost>,
    /// Text-to-speech.
    #[serde(default)]
    pub tts: Option<PricedCost>,
    /// Per-minute pricing (shown as `{}` in the docs).
    #[serde(default, rename = "per-minute")]
    pub per_minute: Option<PerMinuteCost>,
}

/// `costs.voip`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VoipCost {
    /// An external (customer-owned) line.
    #[serde(default)]
    pub external: Option<bool>,
    /// Answering-machine detection.
    #[serde(default)]
    pub amd_cost: Option<f64>,
    /// The call itself.
    #[serde(default)]
    pub call_cost: Option<f64>,
    /// The section's total.
    #[serde(default)]
    pub total_cost: Option<f64>,
    /// The price list entry.
    #[serde(default)]
    pub pricing_id: Option<String>,
}

/// `costs.transcriber`, `costs.tts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PricedCost {
    /// The section's total.
    #[serde(default)]
    pub total_cost: Option<f64>,
    /// The price list entry.
    #[serde(default)]
    pub pricing_id: Option<String>,
}

/// `costs.llm`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmCost {
    /// Input tokens.
    #[serde(default)]
    pub input_cost: Option<f64>,
    /// Output tokens.
    #[serde(default)]
    pub output_cost: Option<f64>,
    /// The section's total.
    #[serde(default)]
    pub total_cost: Option<f64>,
    /// The input price list entry.
    #[serde(default)]
    pub input_pricing_id: Option<String>,
    /// The output price list entry.
    #[serde(default)]
    pub output_pricing_id: Option<String>,
}

/// `costs["per-minute"]` (shape undocumented; these keys are guesses).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PerMinuteCost {
    /// The price list entry.
    #[serde(default)]
    pub pricing_id: Option<String>,
    /// The rate per minute.
    #[serde(default)]
    pub rate: Option<f64>,
    /// Billed minutes.
    #[serde(default)]
    pub minutes: Option<f64>,
    /// The section's total.
    #[serde(default)]
    pub total_cost: Option<f64>,
}

/// A use case (embedded in a call with `model`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UseCase {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// The organization.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Where transfers go.
    #[serde(default)]
    pub transfer_number: Option<String>,
    /// What to extract.
    #[serde(default)]
    pub extract_with_ai: Option<Vec<ExtractField>>,
    /// The outcome classes.
    #[serde(default)]
    pub classification_tags: Option<Vec<ClassificationTag>>,
    /// The language.
    #[serde(default)]
    pub language: Option<String>,
    /// Per-day working hours.
    #[serde(default)]
    pub detailed_work_hours: Option<Value>,
    /// Working hours start.
    #[serde(default)]
    pub work_start: Option<String>,
    /// Working hours end.
    #[serde(default)]
    pub work_end: Option<String>,
    /// Time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Said outside working hours.
    #[serde(default)]
    pub generic_after_hours_message: Option<String>,
    /// Whether `detailed_work_hours` applies.
    #[serde(default)]
    pub enable_detailed_work_hours: Option<bool>,
    /// Transcription keywords.
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
    /// Webhooks.
    #[serde(default)]
    pub hooks: Option<Vec<Hook>>,
    /// Default parameters.
    #[serde(default)]
    pub params: Option<Value>,
    /// Answering-machine detection.
    #[serde(default)]
    pub amd: Option<bool>,
    /// What to do on a machine.
    #[serde(default)]
    pub amd_behavior: Option<AmdBehavior>,
    /// Messages left on machines.
    #[serde(default)]
    pub amd_messages: Option<Value>,
    /// Sample labels.
    #[serde(default)]
    pub sample_labels: Option<Vec<SampleLabel>>,
    /// Hidden from lists.
    #[serde(default)]
    pub hidden: Option<bool>,
    /// Evaluation models.
    #[serde(default)]
    pub evaluation_models: Option<Vec<String>>,
    /// Maximum call length in minutes.
    #[serde(default)]
    pub max_duration_mins: Option<f64>,
    /// Play a recorded message on inbound calls.
    #[serde(default)]
    pub recorded_message_inbound: Option<bool>,
    /// Play a recorded message on outbound calls.
    #[serde(default)]
    pub recorded_message_outbound: Option<bool>,
    /// Show the original caller id on transfers.
    #[serde(default)]
    pub show_original_caller_id: Option<bool>,
    /// Do not end the call after N reminders.
    #[serde(default)]
    pub disable_end_call_after_n_reminders: Option<bool>,
    /// The language model (embedded copy only).
    #[serde(default)]
    pub model: Option<String>,
}

/// `use_case.extract_with_ai[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtractField {
    /// The field name.
    #[serde(default)]
    pub name: Option<String>,
    /// What it means.
    #[serde(default)]
    pub description: Option<String>,
    /// `string` (other values undocumented).
    #[serde(default, rename = "type")]
    pub field_type: Option<String>,
    /// An example value.
    #[serde(default)]
    pub example: Option<String>,
    /// Must be extracted.
    #[serde(default)]
    pub required: Option<bool>,
}

/// `use_case.classification_tags[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassificationTag {
    /// The class.
    #[serde(default)]
    pub name: Option<String>,
    /// What it means.
    #[serde(default)]
    pub description: Option<String>,
}

/// `use_case.hooks[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    /// Where deliveries go.
    #[serde(default)]
    pub url: Option<String>,
    /// Static headers sent with each delivery.
    #[serde(default)]
    pub headers: Option<Vec<HookHeader>>,
}

/// `use_case.hooks[].headers[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookHeader {
    /// The header name.
    #[serde(default)]
    pub key: Option<String>,
    /// Its value.
    #[serde(default)]
    pub value: Option<String>,
}

/// `use_case.sample_labels[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleLabel {
    /// The label.
    #[serde(default)]
    pub name: Option<String>,
    /// A colour name (`slate` …).
    #[serde(default)]
    pub color: Option<String>,
}

/// `GET /calls`: the current `{calls, count, limit, offset}` or the older
/// `{calls, count, currentPage}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallList {
    /// The page.
    pub calls: Vec<Call>,
    /// Matching calls in all.
    #[serde(default)]
    pub count: Option<u64>,
    /// The page size served.
    #[serde(default)]
    pub limit: Option<u64>,
    /// The calls skipped.
    #[serde(default)]
    pub offset: Option<u64>,
    /// Older: the page number.
    #[serde(default, rename = "currentPage")]
    pub current_page: Option<u64>,
}

/// `GET /calls/{id}/transcript`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// The transcript id.
    #[serde(default)]
    pub id: Option<String>,
    /// The organization.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// The call.
    #[serde(default)]
    pub call_id: Option<String>,
    /// When the call started (unix seconds).
    #[serde(default)]
    pub start_time: Option<f64>,
    /// The messages, in order.
    #[serde(default)]
    pub messages: Option<Vec<Message>>,
}

/// A transcript message (also the shape of an `end` webhook's `content.messages[]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Who.
    #[serde(default)]
    pub role: Option<Role>,
    /// What was said (or the tool result).
    #[serde(default)]
    pub content: Option<String>,
    /// Tools the assistant invoked.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// For tool results: the function's name.
    #[serde(default)]
    pub name: Option<String>,
    /// For tool results: which invocation.
    #[serde(default)]
    pub tool_call_id: Option<String>,
    /// Seconds from the call start (inferred, reference §1.3).
    #[serde(default)]
    pub start: Option<f64>,
    /// Seconds from the call start (inferred, reference §1.3).
    #[serde(default)]
    pub end: Option<f64>,
    /// Alternatives the model did not choose.
    #[serde(default)]
    pub unpreferred_messages: Option<Vec<UnpreferredMessage>>,
    /// What the assistant was about to say when interrupted.
    #[serde(default)]
    pub interrupted_thoughts: Option<String>,
    /// A filler phrase.
    #[serde(default)]
    pub is_filler: Option<bool>,
    /// Excluded from dataset generation.
    #[serde(default)]
    pub discard: Option<bool>,
    /// The contact a transfer went to.
    #[serde(default)]
    pub transfer_contact: Option<TransferContact>,
}

/// `messages[].tool_calls[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// `function`.
    #[serde(default, rename = "type")]
    pub call_type: Option<ToolCallType>,
    /// The invocation id.
    #[serde(default)]
    pub id: Option<String>,
    /// The function and its arguments.
    #[serde(default)]
    pub function: Option<FunctionCall>,
}

/// `tool_calls[].function`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The function's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The arguments: documented as JSON text; any other JSON is accepted too.
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// `messages[].unpreferred_messages[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnpreferredMessage {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// The text.
    #[serde(default)]
    pub content: Option<String>,
    /// Tools it would have invoked.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

/// `messages[].transfer_contact`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferContact {
    /// `Sales Rep` or `Terminal`.
    #[serde(default, rename = "type")]
    pub contact_type: Option<TransferContactType>,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// The email.
    #[serde(default)]
    pub email: Option<String>,
    /// The phone.
    #[serde(default)]
    pub phone: Option<TransferPhone>,
    /// The contact id.
    #[serde(default)]
    pub contact_id: Option<String>,
    /// A Slack channel.
    #[serde(default)]
    pub slack_channel_id: Option<String>,
}

/// `transfer_contact.phone`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferPhone {
    /// E.164.
    #[serde(default)]
    pub number: Option<String>,
    /// The extension.
    #[serde(default)]
    pub extension: Option<String>,
}

/// `POST /dial/outbound` body: current fields and the legacy ones still rendered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DialBody {
    /// The number to call (E.164).
    pub phone_number: String,
    /// The purchased number that places the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_id: Option<String>,
    /// The use case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_case_id: Option<String>,
    /// The agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_id: Option<String>,
    /// The language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Template variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// The caller's own data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// The campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    /// When to place the call (ISO 8601, UTC); omitted = now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<String>,
    /// Maximum length in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration_mins: Option<u32>,
    /// Legacy: the assistant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant_id: Option<String>,
    /// Legacy: the voice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_id: Option<String>,
    /// Legacy: `Fast`, `Balanced` or `Robust`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<LegacyModel>,
    /// Oldest: the questions to ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questions: Option<Vec<String>>,
}

/// `POST /calls/{id}/notes`, `PATCH /calls/{id}/notes/{noteId}` body (only the fields a
/// caller supplies; reference §1.4.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteBody {
    /// The text.
    pub content: String,
    /// Flagged for attention.
    pub flagged: bool,
}

/// `PATCH /calls/{id}/viewed` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewedBody {
    /// Who viewed the call.
    pub email: String,
}

/// Add or remove a rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RatingOperation {
    /// Add the rating.
    Add,
    /// Remove the rating.
    Remove,
}

/// `PATCH /calls/{id}/ratings` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingBody {
    /// `✅`, `👎` or `🚨`.
    pub emoji: String,
    /// The rating user's email.
    pub email: String,
    /// Add or remove.
    pub operation: RatingOperation,
    /// When (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// One row of the platform API's usage report (reference §1.4.8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// The organization (UUID).
    #[serde(default)]
    pub org_id: Option<String>,
    /// The use case (UUID).
    #[serde(default)]
    pub use_case_id: Option<String>,
    /// The period start (date-time).
    #[serde(default)]
    pub start: Option<String>,
    /// The period end (date-time).
    #[serde(default)]
    pub end: Option<String>,
    /// Calls in the period.
    #[serde(default)]
    pub calls: Option<u64>,
    /// Minutes in the period.
    #[serde(default)]
    pub minutes: Option<f64>,
}

impl UsageRecord {
    /// `start` as a UTC time, when it parses.
    pub fn start_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.start.as_deref().and_then(crate::map::parse_time)
    }

    /// `end` as a UTC time, when it parses.
    pub fn end_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.end.as_deref().and_then(crate::map::parse_time)
    }
}

/// A legacy use-case webhook delivery: `{type: "start" | "end", call, content}` (§1.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// `start`, `end` (or the removed `message`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The call.
    #[serde(default)]
    pub call: Option<Call>,
    /// Event-specific content.
    #[serde(default)]
    pub content: Option<Value>,
}

/// `content` of a `start` delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartContent {
    /// The recording URL.
    #[serde(default)]
    pub recording: Option<String>,
}

/// `content` of an `end` delivery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndContent {
    /// The conversation.
    #[serde(default)]
    pub messages: Option<Vec<Message>>,
    /// Tool usage by name.
    #[serde(default)]
    pub tools: Option<Value>,
}
