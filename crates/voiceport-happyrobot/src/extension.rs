//! Types of the HappyRobot-only operations on [`HappyRobot`](crate::HappyRobot).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use voiceport_core::adapter::parse_time;
use voiceport_core::{Call, ProviderKind};

/// HappyRobot's own `GET /calls` filters, those without a counterpart in
/// [`CallQuery`](voiceport_core::CallQuery). Set them with
/// [`HappyRobot::with_filters`](crate::HappyRobot::with_filters): that client sends them
/// with every listing and export, beside the query's. HappyRobot applies them; empty
/// fields are not sent.
///
/// ```
/// use voiceport_happyrobot::CallFilters;
/// let filters = CallFilters {
///     ratings: vec!["🚨".into()],
///     transfer_contact_email: Some("dispatch@example.com".into()),
///     ..CallFilters::default()
/// };
/// # let _ = filters;
/// ```
///
/// The use-case filter is the query's `agent_id` (sent as `use_cases`).
///
/// Build it as a struct literal ending in `..CallFilters::default()`, as above, which a new
/// field then takes its default from. A struct literal without that base, or a pattern
/// without `..`, breaks when a field is added: fields are added in minor releases only, never
/// in a patch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[serde(expecting = "an object of call filters")]
pub struct CallFilters {
    /// Only calls run with these models (`models`, names as HappyRobot spells them, such as
    /// `gpt-4o`). A name holding a comma is refused: HappyRobot takes a comma-separated list.
    pub models: Vec<String>,
    /// Only calls with these ratings (`ratings`: `✅`, `👎`, `🚨`).
    pub ratings: Vec<String>,
    /// Only calls handed to the transfer contact with this email (`transfer_contact_email`).
    pub transfer_contact_email: Option<String>,
}

impl CallFilters {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.models.iter().all(|m| m.trim().is_empty())
            && self.ratings.iter().all(|r| r.trim().is_empty())
            && self
                .transfer_contact_email
                .as_deref()
                .is_none_or(|e| e.trim().is_empty())
    }
}

/// The email of the contact a HappyRobot call was handed to (its `transfer_contact_email`),
/// read from the call's vendor payload (the call, or the webhook delivery holding it as
/// `call`). An email is no [`Call::transfer_destination`], which holds the number or SIP
/// URI a call was put through to. `None` for other vendors' calls, and for calls without
/// one.
///
/// ```
/// use voiceport_core::{Codec, EndReasonCategory};
/// use voiceport_happyrobot::{HappyRobotCodec, transfer_contact_email};
///
/// let body = br#"{"id": "69b176a27a81a64cbcab5172", "status": "Completed",
///                 "transfer_contact_email": "dispatch@example.com"}"#;
/// let call = HappyRobotCodec.decode_call(body)?;
/// let reason = call.end_reason.as_ref().map(|r| r.category);
/// assert_eq!(reason, Some(EndReasonCategory::Transferred));
/// assert_eq!(transfer_contact_email(&call).as_deref(), Some("dispatch@example.com"));
/// # Ok::<(), voiceport_core::Error>(())
/// ```
pub fn transfer_contact_email(call: &Call) -> Option<String> {
    if call.provider != ProviderKind::HappyRobot {
        return None;
    }
    let payload = call.vendor_payload()?.to_value();
    // A webhook's call keeps the whole delivery, `{type, call, content}`.
    let email = ["/transfer_contact_email", "/call/transfer_contact_email"]
        .into_iter()
        .find_map(|pointer| payload.pointer(pointer)?.as_str())?
        .trim();
    (!email.is_empty()).then(|| email.to_owned())
}

/// A rating's emoji ([`HappyRobot::set_rating`](crate::HappyRobot::set_rating)): the three
/// HappyRobot's rating endpoint lists, or another sent as written. The first of them shows
/// blank on its documentation page; `✅`, which every example of it sends, is taken for it
/// (*inferred*).
///
/// ```
/// use voiceport_happyrobot::RatingEmoji;
/// assert_eq!(RatingEmoji::Alert.as_str(), "🚨");
/// assert_eq!(RatingEmoji::Other("⭐".into()).as_str(), "⭐");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RatingEmoji {
    /// `✅` (*inferred*, as above).
    Check,
    /// `👎`.
    ThumbsDown,
    /// `🚨`.
    Alert,
    /// Any other emoji, sent as written.
    Other(String),
}

impl RatingEmoji {
    /// The emoji as sent.
    pub fn as_str(&self) -> &str {
        match self {
            RatingEmoji::Check => "✅",
            RatingEmoji::ThumbsDown => "👎",
            RatingEmoji::Alert => "🚨",
            RatingEmoji::Other(emoji) => emoji,
        }
    }
}

impl std::fmt::Display for RatingEmoji {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Add or remove a rating ([`HappyRobot::set_rating`](crate::HappyRobot::set_rating)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[serde(expecting = "`add` or `remove`")]
pub enum RatingOperation {
    /// Add the rating.
    Add,
    /// Remove the rating.
    Remove,
}

/// One row of the platform API's usage report, as documented
/// ([`HappyRobot::usage`](crate::HappyRobot::usage)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[serde(expecting = "a usage record object")]
pub struct UsageRecord {
    /// The organization (UUID).
    pub org_id: Option<String>,
    /// The use case (UUID).
    pub use_case_id: Option<String>,
    /// The period start (date-time).
    pub start: Option<String>,
    /// The period end (date-time).
    pub end: Option<String>,
    /// Calls in the period.
    pub calls: Option<u64>,
    /// Minutes in the period.
    pub minutes: Option<f64>,
}

impl UsageRecord {
    /// `start` as a UTC time, when it parses.
    pub fn start_time(&self) -> Option<DateTime<Utc>> {
        self.start.as_deref().and_then(parse_time)
    }

    /// `end` as a UTC time, when it parses.
    pub fn end_time(&self) -> Option<DateTime<Utc>> {
        self.end.as_deref().and_then(parse_time)
    }
}
