//! Which vendor, and which operation: the two names every error and span carries.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The vendors voiceport can talk to. The core knows their names only, never their
/// behaviour: that lives in the adapter crates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ProviderKind {
    /// HappyRobot (legacy app API, `app.happyrobot.ai/api/v1`).
    HappyRobot,
    /// Voicebot Studio (a Vapi-compatible API, `api.voicebot.studio/api/v1`).
    Voicebot,
    /// Rounded (`api.callrounded.com/v1`).
    Rounded,
}

impl ProviderKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ProviderKind; 3] = [
        ProviderKind::HappyRobot,
        ProviderKind::Voicebot,
        ProviderKind::Rounded,
    ];

    /// The name used in configuration (`kind = "…"`) and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::HappyRobot => "happyrobot",
            ProviderKind::Voicebot => "voicebot",
            ProviderKind::Rounded => "rounded",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ProviderKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                format!("unknown provider kind {text:?}: expected happyrobot, voicebot or rounded")
            })
    }
}

/// An operation of [`VoiceProvider`](crate::VoiceProvider), or a vendor extension; named in
/// errors and tracing spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Fetch one call.
    GetCall,
    /// List calls (one page).
    ListCalls,
    /// A list filter, named by its `CallQuery` field, that the vendor cannot apply.
    ListFilter(&'static str),
    /// Place an outbound call.
    Dial,
    /// Change a call's name or metadata.
    UpdateCall,
    /// Fetch a call's transcript.
    GetTranscript,
    /// Fetch a call's recording URL(s).
    GetRecording,
    /// End a live call.
    EndCall,
    /// Cancel a scheduled call.
    CancelCall,
    /// Delete a call.
    DeleteCall,
    /// Add a note to a call.
    AddNote,
    /// Edit a note.
    UpdateNote,
    /// Delete a note.
    DeleteNote,
    /// Turn a webhook body into an event.
    ParseWebhook,
    /// A vendor-specific operation (an inherent method of an adapter's client).
    Extension(&'static str),
}

impl Operation {
    /// A stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetCall => "get_call",
            Operation::ListCalls => "list_calls",
            Operation::ListFilter(_) => "list_calls",
            Operation::Dial => "dial",
            Operation::UpdateCall => "update_call",
            Operation::GetTranscript => "get_transcript",
            Operation::GetRecording => "get_recording",
            Operation::EndCall => "end_call",
            Operation::CancelCall => "cancel_call",
            Operation::DeleteCall => "delete_call",
            Operation::AddNote => "add_note",
            Operation::UpdateNote => "update_note",
            Operation::DeleteNote => "delete_note",
            Operation::ParseWebhook => "parse_webhook",
            Operation::Extension(name) => name,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::ListFilter(filter) => write!(f, "list_calls (filter `{filter}`)"),
            other => f.write_str(other.name()),
        }
    }
}
