//! Where HappyRobot lives, what it supports, the shape of its ids, and its options.

use serde::{Deserialize, Serialize};
use voiceport_core::{Capabilities, IdFormat, ProviderKind};

/// The legacy app API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://app.happyrobot.ai/api/v1";

/// The base URL of HappyRobot's platform API, where the usage report lives (documented).
pub const DEFAULT_USAGE_BASE_URL: &str = "https://platform.happyrobot.ai/api/v1";

pub(crate) const KIND: ProviderKind = ProviderKind::HappyRobot;

/// Call ids: 24 characters (documented; hex is inferred, so any alphanumeric passes).
pub(crate) const CALL_ID: IdFormat = IdFormat::Alphanumeric(24);

/// Note ids: no documented length.
pub(crate) const NOTE_ID: IdFormat = IdFormat::NonEmpty;

pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    get_call: true,
    list_calls: true,
    dial: true,
    dial_scheduled: true,
    transcript: true,
    recording: true,
    end_call: true,
    cancel_call: true,
    delete_call: true,
    notes: true,
    webhooks: true,
    // Sent to HappyRobot.
    filter_direction: true,
    filter_statuses: true,
    filter_time_range: true,
    filter_campaign: true,
    filter_tags: true,
    filter_search: true,
    // Sent as `use_cases`: the normalized agent is the call's use case.
    filter_agent: true,
    sort: true,
    // Applied by voiceport after fetching.
    filter_kind: true,
    filter_from_number: true,
    filter_to_number: true,
    client_side_filtering: true,
    server_paging: true,
    // The largest page asked for here: a third-party script asks HappyRobot for 2000,
    // which is at least accepted (no documented maximum).
    max_page_size: 2000,
    default_page_size: 100,
    // The transcript is a separate endpoint.
    inline_transcript: false,
    cost: true,
    analysis: true,
    // No update endpoint exists (name or metadata).
    ..Capabilities::NONE
};

/// HappyRobot settings, read from the `[providers.<name>.options]` table.
///
/// ```toml
/// [providers.sales]
/// kind = "happyrobot"
/// api_key_env = "HAPPYROBOT_API_KEY"
/// [providers.sales.options]
/// number_id = "65f1ce217a81a64cbcab4f10"     # the purchased number that dials out
/// use_case_id = "690a36427a81a64cbcab4fd5"   # the use case outbound calls run
/// organization_id = "0196f0a2-…"             # sent by `usage` only
/// ```
///
/// Unknown keys are refused, so a typo is reported instead of ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[serde(expecting = "a table ([providers.NAME.options])")]
pub struct HappyRobotOptions {
    /// The id of the purchased number outbound calls are placed from (dial `number_id`),
    /// used when a [`DialRequest`](voiceport_core::DialRequest) has no `phone_number_id`.
    /// HappyRobot requires one of the two. Also read as `phone_number_id`, the name the
    /// Vapi family's option and the dial request give it.
    #[serde(alias = "phone_number_id")]
    pub number_id: Option<String>,
    /// The use case outbound calls run (dial `use_case_id`). Also read as `agent_id`, the
    /// name Rounded's and Retell's option and the dial request give it.
    #[serde(alias = "agent_id")]
    pub use_case_id: Option<String>,
    /// The organization id sent as `x-organization-id` to the platform API's usage report
    /// ([`HappyRobot::usage`](crate::HappyRobot::usage), the only request that sends it):
    /// needed by a user of several organizations, left out of the request when unset.
    pub organization_id: Option<String>,
    /// Another base URL for the platform API (usage); [`DEFAULT_USAGE_BASE_URL`] by default,
    /// but only beside the default `base_url`: with a `base_url` of your own (a gateway, a
    /// mock) and no `usage_base_url`, `usage` is refused (`Error::Config` at this option)
    /// rather than sending the key to the production platform host.
    pub usage_base_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names every vendor shares read as HappyRobot's own; both at once are refused.
    #[test]
    fn shared_option_names_are_read_as_happyrobot_s() {
        let options: HappyRobotOptions = serde_json::from_value(serde_json::json!({
            "agent_id": "690a36427a81a64cbcab4fd5", "phone_number_id": "65f1ce217a81a64cbcab4f10"
        }))
        .unwrap();
        assert_eq!(
            options.use_case_id.as_deref(),
            Some("690a36427a81a64cbcab4fd5")
        );
        assert_eq!(
            options.number_id.as_deref(),
            Some("65f1ce217a81a64cbcab4f10")
        );
        let both = serde_json::json!({"agent_id": "a", "use_case_id": "b"});
        let error = serde_json::from_value::<HappyRobotOptions>(both).unwrap_err();
        assert!(error.to_string().contains("duplicate field"), "{error}");
    }
}
