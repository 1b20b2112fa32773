//! The two vendors of the Vapi family and what tells them apart: base URL, auth, paths, id
//! shape, capabilities; and the options they share.

use serde::{Deserialize, Serialize};
use voiceport_core::http::AuthStyle;
use voiceport_core::{Capabilities, IdFormat, ProviderKind, SortOrder};

/// Voicebot Studio's production API. (This crate serves two vendors, so it has one base
/// URL per flavor where the other adapters have one `DEFAULT_BASE_URL`.)
pub const VOICEBOT_BASE_URL: &str = "https://api.voicebot.studio/api/v1";

/// Vapi's production API (no version prefix).
pub const VAPI_BASE_URL: &str = "https://api.vapi.ai";

/// Which vendor of the Vapi family a client or codec speaks to.
///
/// Voicebot Studio is a white-label of Vapi: the call object, statuses, end reasons,
/// messages and server messages are Vapi's, so one implementation serves both. What
/// differs is here:
///
/// | | [`Flavor::Voicebot`] | [`Flavor::Vapi`] |
/// | --- | --- | --- |
/// | `kind` | `voicebot` | `vapi` |
/// | base URL | [`VOICEBOT_BASE_URL`] | [`VAPI_BASE_URL`] |
/// | API key | `X-API-Key: <key>` | `Authorization: Bearer <key>` |
/// | calls | `/calls`, `/calls/{call_id}` | `/call`, `/call/{id}` |
/// | call ids | any string | UUIDs |
/// | `end_call` | unsupported (not documented) | through the call's `monitor.controlUrl` |
///
/// ```
/// use voiceport_core::ProviderKind;
/// use voiceport_voicebot::Flavor;
///
/// assert_eq!(Flavor::of(ProviderKind::Vapi), Some(Flavor::Vapi));
/// assert_eq!(Flavor::Vapi.default_base_url(), "https://api.vapi.ai");
/// assert_eq!(Flavor::of(ProviderKind::Rounded), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flavor {
    /// Voicebot Studio (`kind = "voicebot"`).
    Voicebot,
    /// Vapi itself (`kind = "vapi"`).
    Vapi,
}

/// What both vendors support. Every filter is applied client-side as well: of the
/// unified filters, Vapi's list takes only the time window and the assistant (it also
/// filters by `id`, `phoneNumberId` and `updatedAt`, which no unified filter names), and
/// Voicebot Studio documents no list parameter at all.
const FAMILY: Capabilities = Capabilities {
    get_call: true,
    list_calls: true,
    dial: true,
    dial_scheduled: true,
    update_name: true,
    delete_call: true,
    transcript: true,
    recording: true,
    webhooks: true,
    filter_direction: true,
    filter_kind: true,
    filter_statuses: true,
    filter_time_range: true,
    filter_agent: true,
    filter_campaign: true,
    filter_search: true,
    filter_from_number: true,
    filter_to_number: true,
    // No sort parameter; a page is the newest calls before the window's end, and the walk
    // takes the window back page by page (inferred: Vapi does not document its order).
    listing_order: Some(SortOrder::Descending),
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

impl Flavor {
    /// The flavor serving `kind`, if it is one of the family.
    pub const fn of(kind: ProviderKind) -> Option<Flavor> {
        match kind {
            ProviderKind::Voicebot => Some(Flavor::Voicebot),
            ProviderKind::Vapi => Some(Flavor::Vapi),
            _ => None,
        }
    }

    /// The provider kind every value decoded for this flavor names.
    pub const fn kind(self) -> ProviderKind {
        match self {
            Flavor::Voicebot => ProviderKind::Voicebot,
            Flavor::Vapi => ProviderKind::Vapi,
        }
    }

    /// The vendor's name, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Flavor::Voicebot => "Voicebot Studio",
            Flavor::Vapi => "Vapi",
        }
    }

    /// The production API, used unless `base_url` is configured.
    pub const fn default_base_url(self) -> &'static str {
        match self {
            Flavor::Voicebot => VOICEBOT_BASE_URL,
            Flavor::Vapi => VAPI_BASE_URL,
        }
    }

    /// Where the API key goes.
    pub(crate) const fn auth(self) -> AuthStyle {
        match self {
            Flavor::Voicebot => AuthStyle::Header("X-API-Key"),
            Flavor::Vapi => AuthStyle::Bearer,
        }
    }

    /// The path segment of the calls resource: Voicebot Studio's is plural.
    pub(crate) const fn calls(self) -> &'static str {
        match self {
            Flavor::Voicebot => "calls",
            Flavor::Vapi => "call",
        }
    }

    /// Whether the vendor documents its phone numbers' endpoint (`GET /phone-number/{id}`),
    /// which the client learns its calls' own numbers from: Vapi only.
    pub(crate) const fn has_phone_numbers(self) -> bool {
        matches!(self, Flavor::Vapi)
    }

    /// The shape of call ids: Vapi declares its path ids `format: uuid`; Voicebot Studio
    /// types them as plain strings (UUIDs are only inferred).
    pub(crate) const fn call_id(self) -> IdFormat {
        match self {
            Flavor::Voicebot => IdFormat::NonEmpty,
            Flavor::Vapi => IdFormat::Uuid,
        }
    }

    /// What the vendor supports. Only Vapi documents ending a live call (through the
    /// call's `monitor.controlUrl`); Voicebot Studio's calls show no `monitor`.
    pub const fn capabilities(self) -> Capabilities {
        match self {
            Flavor::Voicebot => FAMILY,
            Flavor::Vapi => Capabilities {
                end_call: true,
                ..FAMILY
            },
        }
    }
}

/// Vendor options of a Vapi or Voicebot Studio provider (the same for both).
///
/// ```toml
/// [providers.support]
/// kind = "vapi"                    # or "voicebot"
/// api_key_env = "VAPI_API_KEY"
/// [providers.support.options]
/// assistant_id = "83e6398d-2080-44a1-8c0e-12bedcc33d1e"
/// phone_number_id = "285409d4-a654-4d79-b6a8-a8ce388b94fe"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[serde(expecting = "a table ([providers.NAME.options])")]
pub struct VapiOptions {
    /// The assistant that talks on a dial whose request names no `agent_id`
    /// (Vapi `assistantId`). A dial with neither is refused. Also read as `agent_id`, the
    /// name Rounded's and Retell's option give it.
    #[serde(alias = "agent_id")]
    pub assistant_id: Option<String>,
    /// The phone number (Vapi `phoneNumberId`, an id, not an E.164 number) a dial calls
    /// from when the request names no `phone_number_id`.
    pub phone_number_id: Option<String>,
}

/// The options of a Voicebot Studio provider: [`VapiOptions`].
pub type VoicebotOptions = VapiOptions;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors_differ_only_where_the_vendors_do() {
        for flavor in [Flavor::Voicebot, Flavor::Vapi] {
            assert_eq!(Flavor::of(flavor.kind()), Some(flavor));
        }
        let (vs, vapi) = (Flavor::Voicebot.capabilities(), Flavor::Vapi.capabilities());
        assert!(vapi.end_call && !vs.end_call);
        assert_eq!(
            Capabilities {
                end_call: false,
                ..vapi
            },
            vs
        );
        assert_eq!(Flavor::Vapi.auth(), AuthStyle::Bearer);
        assert_eq!(Flavor::Voicebot.auth(), AuthStyle::Header("X-API-Key"));
        assert_eq!(
            (Flavor::Voicebot.calls(), Flavor::Vapi.calls()),
            ("calls", "call")
        );
        assert_eq!(Flavor::Vapi.call_id(), IdFormat::Uuid);
        assert_eq!(Flavor::of(ProviderKind::HappyRobot), None);
    }

    /// The name every vendor shares reads as the assistant; both at once are refused.
    #[test]
    fn agent_id_reads_as_the_assistant() {
        let options: VapiOptions = serde_json::from_value(serde_json::json!({
            "agent_id": "83e6398d-2080-44a1-8c0e-12bedcc33d1e"
        }))
        .unwrap();
        let assistant = Some("83e6398d-2080-44a1-8c0e-12bedcc33d1e");
        assert_eq!(options.assistant_id.as_deref(), assistant);
        let both = serde_json::json!({"agent_id": "a", "assistant_id": "b"});
        let error = serde_json::from_value::<VapiOptions>(both).unwrap_err();
        assert!(error.to_string().contains("duplicate field"), "{error}");
    }
}
