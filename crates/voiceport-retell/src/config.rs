//! What Retell AI is: its base URL, what it supports, its id shape and its options.

use serde::{Deserialize, Serialize};
use voiceport_core::{Capabilities, IdFormat, ProviderKind};

/// Retell AI's production API. The endpoints carry their own version (`/v2/…`, `/v3/…`).
pub const DEFAULT_BASE_URL: &str = "https://api.retellai.com";

pub(crate) const KIND: ProviderKind = ProviderKind::Retell;

/// Call ids are opaque strings (`Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6`,
/// `call_a4441234567890777c4a4a123e6` …): Retell documents no format, so none is checked
/// beyond "not empty".
pub(crate) const CALL_ID: IdFormat = IdFormat::NonEmpty;

pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    get_call: true,
    list_calls: true,
    dial: true,
    // `PATCH /v2/update-call` sets `metadata` as a whole; whether Retell merges is not
    // documented, and a read-modify-write merge would race with other writers.
    update_metadata_replace: true,
    transcript: true,
    recording: true,
    end_call: true,
    delete_call: true,
    webhooks: true,
    // Server-side filters (`filter_criteria` of `POST /v3/list-calls`), checked again on
    // each page; see `map::page`.
    filter_direction: true,
    filter_kind: true,
    filter_time_range: true,
    // `start_timestamp`: the server filters on when the call started.
    time_range_on_start: true,
    filter_agent: true,
    filter_from_number: true,
    filter_to_number: true,
    sort: true,
    // Client-side filters: the normalized statuses mix `call_status` and
    // `disconnection_reason` (Retell is asked for the live and the stopped ones by
    // `call_status`, and every call checked here), and Retell has no free-text search.
    filter_statuses: true,
    filter_search: true,
    client_side_filtering: true,
    server_paging: true,
    // `limit`: 50 by default, at most 1000.
    max_page_size: 1000,
    default_page_size: 50,
    // `get-call` carries the transcript; list items do not (fetch each call for it).
    inline_transcript: true,
    cost: true,
    analysis: true,
    // No schedule, name, metadata merge, cancel or notes; no campaign or tag filter.
    ..Capabilities::NONE
};

/// The options of a Retell provider (`options` in its config).
///
/// ```toml
/// [providers.retell]
/// kind = "retell"
/// api_key_env = "RETELL_API_KEY"
/// [providers.retell.options]
/// from_number = "+14155550142"                        # default caller id for dial
/// agent_id = "agent_5c81e9a04d7f2b36a19e0c4d77"       # default agent override for dial
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
#[serde(expecting = "a table ([providers.NAME.options])")]
pub struct RetellOptions {
    /// The number `dial` calls from when the request names none (E.164, a number bought
    /// from or imported into Retell). `create-phone-call` requires one.
    pub from_number: Option<String>,
    /// The agent `dial` uses when the request names none, sent as `override_agent_id`.
    /// Without either, Retell uses the agent bound to the `from_number` for outbound calls.
    pub agent_id: Option<String>,
}
