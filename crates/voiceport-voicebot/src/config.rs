//! Voicebot Studio options: the `[providers.<name>.options]` table.

use serde::Deserialize;

/// Vendor options of a Voicebot Studio provider.
///
/// ```toml
/// [providers.support]
/// kind = "voicebot"
/// api_key_env = "VOICEBOT_API_KEY"
/// [providers.support.options]
/// assistant_id = "83e6398d-2080-44a1-8c0e-12bedcc33d1e"
/// phone_number_id = "285409d4-a654-4d79-b6a8-a8ce388b94fe"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicebotOptions {
    /// The assistant that talks on a dial whose request names no `agent_id`
    /// (Vapi `assistantId`). A dial with neither is refused.
    #[serde(default)]
    pub assistant_id: Option<String>,
    /// The phone number (Vapi `phoneNumberId`, an id, not an E.164 number) a dial calls
    /// from when the request names no `phone_number_id`.
    #[serde(default)]
    pub phone_number_id: Option<String>,
}
