//! What Rounded is: its base URL, what it supports, its id shape and its options.

use serde::{Deserialize, Serialize};
use voiceport_core::{Capabilities, IdFormat, ProviderKind, SortOrder};

/// Rounded's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.callrounded.com/v1";

pub(crate) const KIND: ProviderKind = ProviderKind::Rounded;

/// Call ids are UUIDs (documented).
pub(crate) const CALL_ID: IdFormat = IdFormat::Uuid;

pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    get_call: true,
    list_calls: true,
    dial: true,
    update_metadata_merge: true,
    update_metadata_replace: true,
    transcript: true,
    recording: true,
    end_call: true,
    webhooks: true,
    // Server-side filters.
    filter_kind: true,
    filter_time_range: true,
    // `start_time_gt` / `start_time_lt`: the server filters on when the call started.
    time_range_on_start: true,
    filter_agent: true,
    filter_from_number: true,
    filter_to_number: true,
    // Client-side filters (`map::page::decode_page_each`, after each page is fetched).
    filter_direction: true,
    filter_statuses: true,
    filter_search: true,
    client_side_filtering: true,
    // No sort parameter. Newest first, *inferred*: the cursor is "the datetime of the
    // last record seen" (which of its times is not documented), and the docs do not say
    // which way the list runs. Declared so that a merged walk may rely on it and
    // `voiceport check` tests it on a real account.
    listing_order: Some(SortOrder::Descending),
    server_paging: true,
    // The list endpoint's `limit`: 50 by default, at most 1000.
    max_page_size: 1000,
    default_page_size: 50,
    inline_transcript: true,
    cost: true,
    analysis: true,
    // No schedule, name, cancel, delete or notes; no tags, campaign or sort filter.
    ..Capabilities::NONE
};

/// How `list_calls` pages through Rounded's list endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
#[serde(expecting = "`cursor` or `page`")]
pub enum Paging {
    /// `use_cursor=true`: each page carries `next_cursor` (an ISO timestamp). No total.
    #[default]
    Cursor,
    /// `use_cursor=false`: 1-based `page` numbers, with `total_items`.
    Page,
}

/// The options of a Rounded provider (`options` in its config).
///
/// ```toml
/// [providers.support]
/// kind = "rounded"
/// api_key_env = "ROUNDED_API_KEY"
/// [providers.support.options]
/// from_number = "+33199001234"                        # default caller id for dial
/// agent_id = "3407d20e-0e63-4a9f-9837-dd4df2fa2aee"   # default agent for dial
/// paging = "cursor"                                   # or "page"
/// include_transcript = true
/// include_variable_values = true
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
#[serde(expecting = "a table ([providers.NAME.options])")]
pub struct RoundedOptions {
    /// The caller id `dial` uses when the request names none (E.164; it must be a number
    /// of your Rounded organization).
    pub from_number: Option<String>,
    /// The agent (UUID) `dial` uses when the request names none.
    pub agent_id: Option<String>,
    /// Cursor mode (default) or page mode for `list_calls`. `use_cursor` is always sent
    /// explicitly, because Rounded's two list endpoints disagree on the default.
    pub paging: Paging,
    /// Ask list responses to include each call's transcript entries (default true). The
    /// flag's name `include_transcript` is inferred.
    pub include_transcript: bool,
    /// Ask list responses to include each call's variable values (default true).
    pub include_variable_values: bool,
}

impl Default for RoundedOptions {
    fn default() -> Self {
        RoundedOptions {
            from_number: None,
            agent_id: None,
            paging: Paging::Cursor,
            include_transcript: true,
            include_variable_values: true,
        }
    }
}
