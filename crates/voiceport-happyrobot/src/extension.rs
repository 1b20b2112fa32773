//! Types of the HappyRobot-only operations on [`HappyRobot`](crate::HappyRobot).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use voiceport_core::adapter::parse_time;

/// Add or remove a rating ([`HappyRobot::set_rating`](crate::HappyRobot::set_rating)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RatingOperation {
    /// Add the rating.
    Add,
    /// Remove the rating.
    Remove,
}

/// One row of the platform API's usage report (reference §1.4.8;
/// [`HappyRobot::usage`](crate::HappyRobot::usage)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
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
