//! Which vendor, and which operation: the two names every error and span carries.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::UnknownNameError;

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
    /// Vapi (`api.vapi.ai`), the platform Voicebot Studio is built on.
    Vapi,
    /// Retell AI (`api.retellai.com`).
    Retell,
}

impl ProviderKind {
    /// Every kind, in a fixed order.
    pub const ALL: &'static [ProviderKind] = &[
        ProviderKind::HappyRobot,
        ProviderKind::Voicebot,
        ProviderKind::Rounded,
        ProviderKind::Vapi,
        ProviderKind::Retell,
    ];

    /// The name used in configuration (`kind = "…"`) and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::HappyRobot => "happyrobot",
            ProviderKind::Voicebot => "voicebot",
            ProviderKind::Rounded => "rounded",
            ProviderKind::Vapi => "vapi",
            ProviderKind::Retell => "retell",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Reads a kind's name as a person types it, as [`CallStatus`](crate::CallStatus) is read:
/// any case, spaces around (`HappyRobot` is `happyrobot`). Configuration files take the
/// name as [`as_str`](ProviderKind::as_str) writes it.
impl std::str::FromStr for ProviderKind {
    type Err = UnknownNameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::model::named_loosely("provider kind", text, ProviderKind::ALL, |kind| {
            kind.as_str()
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
    /// A list filter that the vendor cannot apply.
    ListFilter(Filter),
    /// Place an outbound call.
    Dial,
    /// A field of a dial request the vendor cannot honour, named by its `DialRequest` field
    /// (`scheduled_for`).
    DialOption(&'static str),
    /// A field of a call update the vendor cannot apply, named by its `CallUpdate` field
    /// (`name`, `metadata (merge)`, `metadata (replace)`).
    UpdateField(&'static str),
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
    /// A vendor-specific operation (an inherent method of an adapter's client) that may
    /// change something at the vendor: a failure after it was sent may have applied it.
    Extension(&'static str),
    /// A vendor-specific operation that only reads (HappyRobot's `call_logs`, `usage`): as
    /// safe to retry as a get.
    ExtensionRead(&'static str),
}

impl Operation {
    /// A stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetCall => "get_call",
            Operation::ListCalls => "list_calls",
            Operation::ListFilter(_) => "list_calls",
            Operation::Dial | Operation::DialOption(_) => "dial",
            Operation::UpdateField(_) => "update_call",
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
            Operation::Extension(name) | Operation::ExtensionRead(name) => name,
        }
    }

    /// Whether the operation only reads from the vendor (a get, a list, a transcript, a
    /// recording, a vendor's read): a failed one cannot have applied anything.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Operation::GetCall
                | Operation::ListCalls
                | Operation::ListFilter(_)
                | Operation::GetTranscript
                | Operation::GetRecording
                | Operation::ExtensionRead(_)
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Written whole, then padded as text is (`{:<30}`).
            Operation::ListFilter(filter) => f.pad(&format!("list_calls (filter `{filter}`)")),
            Operation::DialOption(field) => f.pad(&format!("dial (`{field}`)")),
            Operation::UpdateField(field) => f.pad(&format!("update_call (`{field}`)")),
            other => f.pad(other.name()),
        }
    }
}

/// A filter of [`CallQuery`](crate::CallQuery), named as its field: serde and
/// [`Filter::name`] spell it the same (`agent_id`, not `agent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Filter {
    /// `direction`.
    Direction,
    /// `kind`.
    Kind,
    /// `statuses`.
    Statuses,
    /// `since` / `until`.
    TimeRange,
    /// `agent_id`.
    // `agent` / `campaign`: what serde wrote before it followed `name()`, still read.
    #[serde(rename = "agent_id", alias = "agent")]
    Agent,
    /// `campaign_id`.
    #[serde(rename = "campaign_id", alias = "campaign")]
    Campaign,
    /// `tags`.
    Tags,
    /// `search`.
    Search,
    /// `from_number`.
    FromNumber,
    /// `to_number`.
    ToNumber,
    /// `sort`.
    Sort,
}

impl Filter {
    /// Every filter, in a fixed order.
    pub const ALL: &'static [Filter] = &[
        Filter::Direction,
        Filter::Kind,
        Filter::Statuses,
        Filter::TimeRange,
        Filter::Agent,
        Filter::Campaign,
        Filter::Tags,
        Filter::Search,
        Filter::FromNumber,
        Filter::ToNumber,
        Filter::Sort,
    ];

    /// The name used in messages: the `CallQuery` field (`time_range` for `since`/`until`).
    pub fn name(self) -> &'static str {
        match self {
            Filter::Direction => "direction",
            Filter::Kind => "kind",
            Filter::Statuses => "statuses",
            Filter::TimeRange => "time_range",
            Filter::Agent => "agent_id",
            Filter::Campaign => "campaign_id",
            Filter::Tags => "tags",
            Filter::Search => "search",
            Filter::FromNumber => "from_number",
            Filter::ToNumber => "to_number",
            Filter::Sort => "sort",
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration file (serde) and messages (`as_str`, `FromStr`) name a kind alike:
    /// a variant whose lowercased name is not its `as_str` would not load from a file.
    #[test]
    fn every_kind_is_read_and_written_by_its_name() {
        for &kind in ProviderKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, serde_json::Value::from(kind.as_str()), "{kind:?}");
            assert_eq!(serde_json::from_value::<ProviderKind>(json).unwrap(), kind);
            assert_eq!(kind.as_str().parse::<ProviderKind>().unwrap(), kind);
        }
        // Typed by a person, as a status is.
        assert_eq!(" HappyRobot ".parse(), Ok(ProviderKind::HappyRobot));
        assert_eq!("RETELL".parse(), Ok(ProviderKind::Retell));
        assert!("happy robot".parse::<ProviderKind>().is_err());
    }

    /// JSON and messages name a filter alike, and the JSON name reads back.
    #[test]
    fn every_filter_serializes_as_its_name() {
        for &filter in Filter::ALL {
            let json = serde_json::to_value(filter).unwrap();
            assert_eq!(json, serde_json::Value::from(filter.name()), "{filter:?}");
            assert_eq!(serde_json::from_value::<Filter>(json).unwrap(), filter);
        }
    }

    /// The spellings serde wrote before still read.
    #[test]
    fn the_old_filter_spellings_still_read() {
        let read = |text: &str| serde_json::from_str::<Filter>(text).unwrap();
        assert_eq!(read("\"agent\""), Filter::Agent);
        assert_eq!(read("\"campaign\""), Filter::Campaign);
    }
}
