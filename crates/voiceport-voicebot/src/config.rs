//! What Voicebot Studio is: its base URL, what it supports, its id shape and its options.

use serde::Deserialize;
use voiceport_core::{Capabilities, IdFormat, ProviderKind};

/// Voicebot Studio's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.voicebot.studio/api/v1";

/// The kind every value of this crate names; the only place it is spelled, so that a Vapi
/// twin of this adapter can swap it.
pub(crate) const KIND: ProviderKind = ProviderKind::Voicebot;

/// Voicebot Studio types ids as plain strings (UUIDs are only inferred, reference §2.7).
pub(crate) const CALL_ID: IdFormat = IdFormat::NonEmpty;

pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    get_call: true,
    list_calls: true,
    dial: true,
    dial_scheduled: true,
    update_name: true,
    delete_call: true,
    transcript: true,
    recording: true,
    webhooks: true,
    // The Vapi list parameters sent may be ignored by VS, so every filter is also applied
    // client-side (`map::page::decode_page`).
    filter_direction: true,
    filter_kind: true,
    filter_statuses: true,
    filter_time_range: true,
    filter_agent: true,
    filter_campaign: true,
    filter_search: true,
    filter_from_number: true,
    filter_to_number: true,
    client_side_filtering: true,
    server_paging: true,
    // Vapi's `limit`: 100 by default, at most 1000.
    max_page_size: 1000,
    default_page_size: 100,
    inline_transcript: true,
    cost: true,
    analysis: true,
    ..Capabilities::NONE
};

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
#[serde(default, deny_unknown_fields)]
pub struct VoicebotOptions {
    /// The assistant that talks on a dial whose request names no `agent_id`
    /// (Vapi `assistantId`). A dial with neither is refused.
    pub assistant_id: Option<String>,
    /// The phone number (Vapi `phoneNumberId`, an id, not an E.164 number) a dial calls
    /// from when the request names no `phone_number_id`.
    pub phone_number_id: Option<String>,
}
