//! What kind of call, which way, how far along, and why it ended.

use serde::de::{DeserializeOwned, IntoDeserializer, value::Error as NameError};
use serde::{Deserialize, Deserializer, Serialize};

use crate::UnknownNameError;

/// The normalized status of a call: the same meaning for every vendor.
///
/// The vendor's own string is kept next to it in [`Call::vendor_status`](crate::Call::vendor_status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallStatus {
    /// Scheduled for a later time.
    Scheduled,
    /// Accepted, waiting to be placed.
    Queued,
    /// Being dialed or ringing.
    Ringing,
    /// Connected and live.
    InProgress,
    /// Handed over (forwarded or transferred) to another party: the agent's part is over,
    /// though the line may still be up between the customer and that party. Where the
    /// vendor's own status says such a call completed, it stays [`Completed`](Self::Completed)
    /// with the end reason [`EndReasonCategory::Transferred`], which every call a vendor
    /// reports as handed over has: count transfers by that.
    Transferred,
    /// Ended after a conversation.
    Completed,
    /// Nobody answered.
    NoAnswer,
    /// The line was busy.
    Busy,
    /// An answering machine or voicemail picked up.
    Voicemail,
    /// Canceled before it took place.
    Canceled,
    /// Failed (an error on the vendor's or carrier's side).
    Failed,
    /// A vendor status voiceport cannot place; see the vendor string. Also what a status
    /// this release does not know reads back as, in a call or event written by a newer
    /// one.
    Unknown,
}

impl CallStatus {
    /// Every status, in lifecycle order.
    pub const ALL: &'static [CallStatus] = &[
        CallStatus::Scheduled,
        CallStatus::Queued,
        CallStatus::Ringing,
        CallStatus::InProgress,
        CallStatus::Transferred,
        CallStatus::Completed,
        CallStatus::NoAnswer,
        CallStatus::Busy,
        CallStatus::Voicemail,
        CallStatus::Canceled,
        CallStatus::Failed,
        CallStatus::Unknown,
    ];

    /// Whether the agent's call is over (a transferred call counts: the agent has handed
    /// it on, and no vendor reports what happens after).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            CallStatus::Transferred
                | CallStatus::Completed
                | CallStatus::NoAnswer
                | CallStatus::Busy
                | CallStatus::Voicemail
                | CallStatus::Canceled
                | CallStatus::Failed
        )
    }

    /// Whether the agent's call is being connected or connected right now.
    pub fn is_live(self) -> bool {
        matches!(self, CallStatus::Ringing | CallStatus::InProgress)
    }

    /// The snake_case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Scheduled => "scheduled",
            CallStatus::Queued => "queued",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in_progress",
            CallStatus::Transferred => "transferred",
            CallStatus::Completed => "completed",
            CallStatus::NoAnswer => "no_answer",
            CallStatus::Busy => "busy",
            CallStatus::Voicemail => "voicemail",
            CallStatus::Canceled => "canceled",
            CallStatus::Failed => "failed",
            CallStatus::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for CallStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for CallStatus {
    type Err = UnknownNameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        named_loosely("call status", text, CallStatus::ALL, CallStatus::as_str)
    }
}

/// The value of `all` whose name (`as_str`) `text` is, read as a person types it: any case,
/// spaces around, `-` or a space for `_`. Refused, the error lists every name.
pub(crate) fn named_loosely<T: Copy>(
    what: &'static str,
    text: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, UnknownNameError> {
    let wanted = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    all.iter()
        .copied()
        .find(|value| name(*value) == wanted)
        .ok_or_else(|| UnknownNameError::new(what, text, all.iter().map(|value| name(*value))))
}

/// Which way the call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The customer called in.
    Inbound,
    /// The agent called out.
    Outbound,
}

impl Direction {
    /// `inbound` or `outbound`, as serialized; `Display` writes the same.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::Direction;
    /// assert_eq!(Direction::Outbound.to_string(), "outbound");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    /// Reads a vendor's `inbound` or `outbound` exactly (the spelling most vendors use);
    /// `None` for any other text: a value a vendor adds says nothing about the direction.
    /// (`str::parse`, for what a person types, also takes `in`, `out` and any case.)
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::Direction;
    ///
    /// assert_eq!(Direction::from_wire("outbound"), Some(Direction::Outbound));
    /// assert_eq!(Direction::from_wire("sideways"), None);
    /// ```
    pub fn from_wire(text: &str) -> Option<Direction> {
        match text {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for Direction {
    type Err = UnknownNameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "inbound" | "in" => Ok(Direction::Inbound),
            "outbound" | "out" => Ok(Direction::Outbound),
            _ => Err(UnknownNameError::new(
                "direction",
                text,
                [Direction::Inbound, Direction::Outbound].map(Direction::as_str),
            )),
        }
    }
}

crate::open_enum! {
    /// The medium of the call. Non-exhaustive, as `CallStatus` is: a medium named later is
    /// a variant more.
    #[non_exhaustive]
    pub enum CallKind {
        /// A telephone call (PSTN or SIP).
        Phone => "phone",
        /// A browser or app call over WebRTC or websockets.
        Web => "web",
        /// A text chat session.
        Chat => "chat",
    }
}

/// Why a call ended, coarsely: the same categories for every vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndReasonCategory {
    /// The customer hung up.
    CustomerHungUp,
    /// The agent (the AI) ended the call.
    AgentEnded,
    /// Nobody answered.
    NoAnswer,
    /// The line was busy.
    Busy,
    /// An answering machine or voicemail picked up.
    Voicemail,
    /// Ended for silence.
    Silence,
    /// Ended at the maximum duration.
    MaxDuration,
    /// Handed over to another party. Every call a vendor reports as handed over has it,
    /// also where the vendor says such a call ended `completed` (HappyRobot's `Completed`
    /// call naming a transfer contact, Rounded's redirected call, an *inferred* reading),
    /// whose status stays [`CallStatus::Completed`]: count transfers across vendors by this
    /// category rather than by [`CallStatus::Transferred`]. A vendor does not always say
    /// so: HappyRobot's platform events name no transfer, and a Vapi customer who hangs up
    /// during the transfer is [`CustomerHungUp`](Self::CustomerHungUp).
    Transferred,
    /// A handover was tried and did not happen (the number it was forwarded to was busy or
    /// did not answer, the transfer failed or was called off): the conversation with the
    /// agent took place. Not [`Busy`](Self::Busy) or [`NoAnswer`](Self::NoAnswer), which
    /// say the customer was never reached, so that a retry keyed on them does not call
    /// back a customer who already spoke to the agent.
    TransferFailed,
    /// Canceled by a person or the API.
    Canceled,
    /// An error ended it.
    Error,
    /// Anything else; see the vendor string. Also what a category this release does not
    /// know reads back as, in a call or event written by a newer one.
    Other,
}

impl EndReasonCategory {
    /// Every category, in declaration order.
    pub const ALL: &'static [EndReasonCategory] = &[
        EndReasonCategory::CustomerHungUp,
        EndReasonCategory::AgentEnded,
        EndReasonCategory::NoAnswer,
        EndReasonCategory::Busy,
        EndReasonCategory::Voicemail,
        EndReasonCategory::Silence,
        EndReasonCategory::MaxDuration,
        EndReasonCategory::Transferred,
        EndReasonCategory::TransferFailed,
        EndReasonCategory::Canceled,
        EndReasonCategory::Error,
        EndReasonCategory::Other,
    ];

    /// The category's name as it is serialized (`customer_hung_up`); `str::parse` reads it
    /// back, as it reads a [`CallStatus`] (any case, `-` or a space for `_`).
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::EndReasonCategory;
    /// assert_eq!(EndReasonCategory::CustomerHungUp.to_string(), "customer_hung_up");
    /// assert_eq!("no-answer".parse(), Ok(EndReasonCategory::NoAnswer));
    /// assert!("hung_up".parse::<EndReasonCategory>().is_err());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            EndReasonCategory::CustomerHungUp => "customer_hung_up",
            EndReasonCategory::AgentEnded => "agent_ended",
            EndReasonCategory::NoAnswer => "no_answer",
            EndReasonCategory::Busy => "busy",
            EndReasonCategory::Voicemail => "voicemail",
            EndReasonCategory::Silence => "silence",
            EndReasonCategory::MaxDuration => "max_duration",
            EndReasonCategory::Transferred => "transferred",
            EndReasonCategory::TransferFailed => "transfer_failed",
            EndReasonCategory::Canceled => "canceled",
            EndReasonCategory::Error => "error",
            EndReasonCategory::Other => "other",
        }
    }
}

impl std::fmt::Display for EndReasonCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for EndReasonCategory {
    type Err = UnknownNameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let all = EndReasonCategory::ALL;
        named_loosely("end reason category", text, all, EndReasonCategory::as_str)
    }
}

/// A status read back from a call or event a newer release may have written: one this
/// release does not know is [`CallStatus::Unknown`] rather than an error. (A query's
/// statuses are read strictly: a misspelt one is an error, not a filter for `Unknown`.)
pub(crate) fn status_or_unknown<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<CallStatus, D::Error> {
    Ok(known_or(
        String::deserialize(deserializer)?,
        CallStatus::Unknown,
    ))
}

/// [`status_or_unknown`] for a status that may be absent (`null`).
pub(crate) fn optional_status_or_unknown<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<CallStatus>, D::Error> {
    let name = Option::<String>::deserialize(deserializer)?;
    Ok(name.map(|name| known_or(name, CallStatus::Unknown)))
}

/// [`status_or_unknown`] for an end reason's category: [`EndReasonCategory::Other`].
fn category_or_other<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<EndReasonCategory, D::Error> {
    Ok(known_or(
        String::deserialize(deserializer)?,
        EndReasonCategory::Other,
    ))
}

/// The variant named `name`, else `fallback`.
fn known_or<T: DeserializeOwned>(name: String, fallback: T) -> T {
    let deserializer: serde::de::value::StringDeserializer<NameError> = name.into_deserializer();
    T::deserialize(deserializer).unwrap_or(fallback)
}

/// Why a call ended: a coarse category plus the vendor's own words. Built with
/// [`EndReason::new`] (and [`with_message`](EndReason::with_message)): fields may be added.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EndReason {
    /// The normalized category.
    #[serde(deserialize_with = "category_or_other")]
    pub category: EndReasonCategory,
    /// The vendor's reason string, verbatim, when it gave one.
    pub vendor: Option<String>,
    /// The vendor's explanation in words, where it gives one beside the reason (Vapi's
    /// `endedMessage`: `Concurrency limit of 10 calls reached…`). Serialized only when
    /// there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl EndReason {
    /// A reason with a category and the vendor's string.
    pub fn new(category: EndReasonCategory, vendor: impl Into<Option<String>>) -> Self {
        EndReason {
            category,
            vendor: vendor.into(),
            message: None,
        }
    }

    /// This reason with the vendor's explanation in words.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<Option<String>>) -> Self {
        self.message = message.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A status, a direction, a kind, an id and an operation take a width and an alignment
    /// as a `str` does (`{:<12}` in a table), rather than ignoring them.
    #[test]
    fn names_and_ids_are_padded_as_text_is() {
        assert_eq!(format!("{:<11}|", CallStatus::Completed), "completed  |");
        assert_eq!(format!("{:>9}|", Direction::Inbound), "  inbound|");
        assert_eq!(format!("{:^8}|", crate::ProviderKind::Vapi), "  vapi  |");
        assert_eq!(format!("{:<4}|", crate::CallId::new("c1")), "c1  |");
        assert_eq!(format!("{:<10}|", crate::Operation::GetCall), "get_call  |");
        let filter = crate::Operation::DialOption("metadata");
        assert_eq!(format!("{filter:<18}|"), "dial (`metadata`) |");
        let key = crate::webhook::EventKey::of(
            "support",
            &crate::CallEvent::new("x", crate::EventKind::Unknown),
            b"{}",
        );
        let padded = format!("{key:>66}");
        assert_eq!((padded.len(), &padded[2..]), (66, key.to_string().as_str()));
        assert_eq!(format!("{:.3}", EndReasonCategory::Voicemail), "voi");
    }

    #[test]
    fn a_direction_displays_as_it_is_serialized_and_parses_back() {
        for direction in [Direction::Inbound, Direction::Outbound] {
            let shown = direction.to_string();
            assert_eq!(shown, direction.as_str());
            assert_eq!(
                serde_json::to_value(direction).unwrap(),
                serde_json::Value::String(shown.clone())
            );
            assert_eq!(shown.parse::<Direction>(), Ok(direction));
        }
    }

    #[test]
    fn every_end_reason_category_parses_back_from_its_name() {
        for &category in EndReasonCategory::ALL {
            let name = category.to_string();
            assert_eq!(name.parse::<EndReasonCategory>(), Ok(category), "{name}");
            assert_eq!(
                serde_json::to_value(category).unwrap(),
                serde_json::Value::String(name.clone())
            );
            let loose = format!(" {} ", name.to_ascii_uppercase().replace('_', "-"));
            assert_eq!(loose.parse::<EndReasonCategory>(), Ok(category), "{loose}");
        }
    }

    #[test]
    fn an_unknown_end_reason_category_names_every_category() {
        let error = "hung up".parse::<EndReasonCategory>().unwrap_err();
        assert_eq!(error.what(), "end reason category");
        assert_eq!(error.text(), "hung up");
        let message = error.to_string();
        for &category in EndReasonCategory::ALL {
            assert!(message.contains(category.as_str()), "{message}");
        }
    }
}
