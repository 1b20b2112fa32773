//! What was said, in order, by whom.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::open_enum! {
    /// Who spoke an utterance. Unknown vendor roles keep their raw string in `Other`.
    /// Non-exhaustive, as `CallStatus` is: a role named later is a variant more.
    #[non_exhaustive]
    pub enum Speaker {
        /// The AI agent / assistant / bot.
        Agent => "agent",
        /// The person called or calling.
        Customer => "customer",
        /// A system prompt or platform message.
        System => "system",
        /// A tool call or tool result: a turn that calls tools without saying anything
        /// (its [`Utterance::tool_calls`]; see [`Utterance::set_tool_calls`]), or a tool's
        /// answer. With every vendor; a turn that speaks and calls tools at once stays the
        /// speaker's, with its calls.
        Tool => "tool",
    }
}

/// A call's transcript.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Transcript {
    /// The utterances, in the order they were spoken.
    #[serde(default)]
    pub utterances: Vec<Utterance>,
    /// The whole transcript as one text, when the vendor provides one.
    pub text: Option<String>,
}

impl Transcript {
    /// The transcript of these utterances, and of the whole `text` where the vendor gives
    /// one.
    pub fn new(utterances: Vec<Utterance>, text: Option<String>) -> Self {
        Transcript { utterances, text }
    }

    /// Whether there is nothing in it.
    pub fn is_empty(&self) -> bool {
        self.utterances.is_empty() && self.text.as_deref().is_none_or(str::is_empty)
    }
}

/// One turn of the conversation (or one tool interaction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Utterance {
    /// Who spoke.
    pub speaker: Speaker,
    /// What was said (for tool results, the result text).
    pub text: Option<String>,
    /// Seconds from the start of the call when it began, where known.
    pub start_secs: Option<f64>,
    /// Seconds from the start of the call when it ended, where known.
    pub end_secs: Option<f64>,
    /// Wall-clock time it began, where known.
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub at: Option<DateTime<Utc>>,
    /// Tools the agent invoked in this turn, where the vendor gives them as data (Rounded
    /// gives a tool call as text only: a [`Speaker::Tool`] utterance with its `text`).
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool result: which call it answers.
    pub tool_result: Option<ToolResult>,
}

impl Utterance {
    /// An utterance with only a speaker and text.
    pub fn new(speaker: Speaker, text: impl Into<Option<String>>) -> Self {
        Utterance {
            speaker,
            text: text.into(),
            start_secs: None,
            end_secs: None,
            at: None,
            tool_calls: Vec::new(),
            tool_result: None,
        }
    }

    /// What the turn shows as a line of a transcript: its text, else (a tool turn, which
    /// says nothing) its tool calls as `name(arguments)`, separated by commas; empty for
    /// neither.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Speaker, ToolCall, Utterance};
    ///
    /// let mut turn = Utterance::new(Speaker::Agent, None);
    /// let args = Some(r#"{"order_id":"ORD-7781"}"#.to_owned());
    /// turn.set_tool_calls(vec![ToolCall::new(None, Some("send_tracking_sms".into()), args)]);
    /// assert_eq!(turn.shown_text(), r#"send_tracking_sms({"order_id":"ORD-7781"})"#);
    /// assert_eq!(Utterance::new(Speaker::Customer, Some("Hi".into())).shown_text(), "Hi");
    /// ```
    pub fn shown_text(&self) -> std::borrow::Cow<'_, str> {
        match self.text.as_deref().filter(|text| !text.is_empty()) {
            Some(text) => text.into(),
            None => (self.tool_calls.iter())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
                .into(),
        }
    }

    /// Sets the tools this turn invoked. An agent's turn that invokes tools and says
    /// nothing becomes a [`Speaker::Tool`] turn, as vendors that give tool calls a message
    /// of their own have it: the same turn reads the same whatever the vendor.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Speaker, ToolCall, Utterance};
    ///
    /// let mut turn = Utterance::new(Speaker::Agent, None);
    /// turn.set_tool_calls(vec![ToolCall::new(None, Some("lookup".into()), None)]);
    /// assert_eq!(turn.speaker, Speaker::Tool);
    /// ```
    pub fn set_tool_calls(&mut self, calls: Vec<ToolCall>) {
        self.tool_calls = calls;
        if self.speaker == Speaker::Agent && self.text.is_none() && !self.tool_calls.is_empty() {
            self.speaker = Speaker::Tool;
        }
    }
}

/// A tool (function) the agent invoked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCall {
    /// The vendor's id for this invocation.
    pub id: Option<String>,
    /// The function's name.
    pub name: Option<String>,
    /// The arguments, as the JSON text the model produced.
    pub arguments: Option<String>,
}

impl ToolCall {
    /// The invocation `id` of the function `name` with `arguments`.
    pub fn new(id: Option<String>, name: Option<String>, arguments: Option<String>) -> Self {
        ToolCall {
            id,
            name,
            arguments,
        }
    }
}

/// `name(arguments)`, each part empty where the vendor gave none.
impl std::fmt::Display for ToolCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name.as_deref().unwrap_or_default();
        let arguments = self.arguments.as_deref().unwrap_or_default();
        write!(f, "{name}({arguments})")
    }
}

/// Which tool invocation a result belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolResult {
    /// The invocation's id.
    pub tool_call_id: Option<String>,
    /// The function's name.
    pub name: Option<String>,
    /// Whether the tool says it succeeded, where the vendor tells (Retell's
    /// `successful`). Left out of the JSON when not told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub succeeded: Option<bool>,
}

impl ToolResult {
    /// The result of invocation `tool_call_id` of the function `name`.
    pub fn new(tool_call_id: Option<String>, name: Option<String>) -> Self {
        ToolResult {
            tool_call_id,
            name,
            succeeded: None,
        }
    }

    /// The same result, saying whether the tool succeeded.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::ToolResult;
    /// let result = ToolResult::new(Some("t1".into()), None).with_succeeded(Some(false));
    /// assert_eq!(result.succeeded, Some(false));
    /// ```
    #[must_use]
    pub fn with_succeeded(mut self, succeeded: Option<bool>) -> Self {
        self.succeeded = succeeded;
        self
    }
}
