//! `HappyRobotOptions`: the HappyRobot-specific settings of a provider configuration.

use serde::Deserialize;

/// The base URL of HappyRobot's platform API, where the usage report lives (reference §1.4.8).
pub const DEFAULT_USAGE_BASE_URL: &str = "https://platform.happyrobot.ai/api/v1";

/// HappyRobot settings, read from the `[providers.<name>.options]` table.
///
/// ```toml
/// [providers.sales]
/// kind = "happyrobot"
/// api_key_env = "HAPPYROBOT_API_KEY"
/// [providers.sales.options]
/// number_id = "65f1ce217a81a64cbcab4f10"     # the purchased number that dials out
/// use_case_id = "690a36427a81a64cbcab4fd5"   # the use case outbound calls run
/// organization_id = "0196f0a2-…"             # only for `usage`
/// ```
///
/// Unknown keys are refused, so a typo is reported instead of ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HappyRobotOptions {
    /// The id of the purchased number outbound calls are placed from (dial `number_id`),
    /// used when a [`DialRequest`](voiceport_core::DialRequest) has no `phone_number_id`.
    /// HappyRobot requires one of the two.
    #[serde(default)]
    pub number_id: Option<String>,
    /// The use case outbound calls run (dial `use_case_id`).
    #[serde(default)]
    pub use_case_id: Option<String>,
    /// The organization id sent as `x-organization-id` to the platform API's usage report.
    /// Required by [`HappyRobot::usage`](crate::HappyRobot::usage) only.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// Another base URL for the platform API (usage); [`DEFAULT_USAGE_BASE_URL`] by default.
    #[serde(default)]
    pub usage_base_url: Option<String>,
}
