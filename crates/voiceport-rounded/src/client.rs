//! The Rounded client: [`VoiceProvider`] over `https://api.callrounded.com/v1`.

use voiceport_core::http::{AuthStyle, HttpClient, Request};
use voiceport_core::{
    Call, CallEvent, CallId, CallPage, CallQuery, CallUpdate, Capabilities, DialOutcome,
    DialRequest, IdFormat, Operation, ProviderConfig, ProviderKind, Result, VoiceProvider,
    async_trait,
};

use crate::config::RoundedOptions;
use crate::map;

/// Rounded's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.callrounded.com/v1";

const KIND: ProviderKind = ProviderKind::Rounded;

/// Call ids are UUIDs (reference §3.1).
const CALL_ID: IdFormat = IdFormat::Uuid;

/// A Rounded account (`X-Api-Key` auth).
///
/// Endpoints (all documented, reference §3.3):
///
/// | Operation | Request |
/// | --- | --- |
/// | `get_call` | `GET /calls/{call_id}` |
/// | `list_calls` | `GET /calls` (cursor or page mode, see [`RoundedOptions::paging`]) |
/// | `dial` | `POST /calls/phone` → 201 `{data: {call_id}}` |
/// | `update_call` | `PATCH /calls/{call_id}` `{metadata, override}` |
/// | `end_call` | `POST /calls/{call_id}/terminate` |
/// | `transcript`, `recording` | from the call (`get_call`) |
///
/// **`dial` returns only the new call's id** ([`DialOutcome::call`] is `None`): Rounded
/// answers the start-call request with `{call_id}` alone, and voiceport does not fetch the
/// call afterwards because a dial must stay a single request. Call
/// [`get_call`](VoiceProvider::get_call) when you need the call.
///
/// `Debug` never shows the API key.
#[derive(Debug, Clone)]
pub struct Rounded {
    http: HttpClient,
    options: RoundedOptions,
}

impl Rounded {
    /// Connects with `config` (`kind = "rounded"`); the options are [`RoundedOptions`].
    pub fn from_config(config: &ProviderConfig) -> Result<Self> {
        config.ensure_kind(KIND)?;
        let options: RoundedOptions = config.options()?;
        let http = config.http_client(DEFAULT_BASE_URL, AuthStyle::Header("X-Api-Key"))?;
        Ok(Rounded { http, options })
    }

    /// The options in force.
    pub fn options(&self) -> &RoundedOptions {
        &self.options
    }

    /// What this adapter supports (the same as [`VoiceProvider::capabilities`]).
    pub fn capabilities() -> Capabilities {
        Capabilities {
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
            filter_agent: true,
            filter_from_number: true,
            filter_to_number: true,
            // Client-side filters (applied after each page is fetched).
            filter_direction: true,
            filter_statuses: true,
            filter_search: true,
            client_side_filtering: true,

            server_paging: true,
            max_page_size: map::MAX_PAGE_SIZE,
            default_page_size: map::DEFAULT_PAGE_SIZE,
            inline_transcript: true,
            cost: true,
            analysis: true,
            // Everything else is false: dial_scheduled, update_name, cancel_call,
            // delete_call, notes; the filters campaign_id, tags and sort (refused).
            ..Capabilities::default()
        }
    }

    fn check_id(operation: Operation, id: &CallId) -> Result<()> {
        CALL_ID.check(KIND, operation, "call id", id.as_str())
    }
}

#[async_trait]
impl VoiceProvider for Rounded {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn capabilities(&self) -> Capabilities {
        Rounded::capabilities()
    }

    async fn get_call(&self, id: &CallId) -> Result<Call> {
        let operation = Operation::GetCall;
        Self::check_id(operation, id)?;
        let request = Request::get(operation, ["calls", id.as_str()]).call_id(id.as_str());
        let response = self.http.send(request).await?;
        map::decode_call_as(operation, &response.body)
    }

    async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
        let operation = Operation::ListCalls;
        query.ensure_supported(KIND, &Rounded::capabilities())?;
        let (params, mode) = map::list_params(query, &self.options)?;
        let mut request = Request::get(operation, ["calls"]);
        for (key, value) in params {
            request = request.query(key, value);
        }
        let response = self.http.send(request).await?;
        map::decode_page_as(&response.body, query, Some(mode))
    }

    /// Starts an outbound phone call (`POST /calls/phone`), sent once and never retried
    /// after it may have reached Rounded. Returns the new id only (`call: None`): fetch
    /// the call with `get_call` when you need it.
    async fn dial(&self, request: &DialRequest) -> Result<DialOutcome> {
        let body = map::dial_body(request, &self.options)?;
        let request = Request::post(Operation::Dial, ["calls", "phone"])
            .json(&body)
            .not_retried_after_send();
        let response = self.http.send(request).await?;
        map::decode_start_call(&response.body)
    }

    /// Merges (`override: false`) or replaces (`override: true`) the call's metadata. A
    /// `name` is unsupported: Rounded calls have none.
    async fn update_call(&self, id: &CallId, update: &CallUpdate) -> Result<Call> {
        let operation = Operation::UpdateCall;
        let body = map::update_body(update)?;
        Self::check_id(operation, id)?;
        let request = Request::patch(operation, ["calls", id.as_str()])
            .call_id(id.as_str())
            .json(&body);
        let response = self.http.send(request).await?;
        map::decode_call_as(operation, &response.body)
    }

    /// Terminates a live phone call. Rounded answers 200 also when the call had already
    /// ended.
    async fn end_call(&self, id: &CallId) -> Result<()> {
        let operation = Operation::EndCall;
        Self::check_id(operation, id)?;
        let request =
            Request::post(operation, ["calls", id.as_str(), "terminate"]).call_id(id.as_str());
        let response = self.http.send(request).await?;
        map::decode_terminate(&response.body)
    }

    fn parse_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        crate::webhook::parse_webhook(body)
    }
}
