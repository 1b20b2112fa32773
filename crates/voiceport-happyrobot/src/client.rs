//! `HappyRobot`: the `VoiceProvider` over HappyRobot's legacy app API, plus its extensions.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::{HeaderName, HeaderValue};
use voiceport_core::http::{AuthStyle, HttpClient, Request, Response};
use voiceport_core::{
    Call, CallEvent, CallId, CallPage, CallQuery, Capabilities, DialOutcome, DialRequest, Error,
    IdFormat, NoteId, NoteInput, Operation, ProviderConfig, ProviderKind, Recording, Result,
    Transcript, VoiceProvider, async_trait,
};

use crate::config::{DEFAULT_USAGE_BASE_URL, HappyRobotOptions};
use crate::map;
use crate::wire::{self, RatingOperation, UsageRecord};

/// The legacy app API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://app.happyrobot.ai/api/v1";

const KIND: ProviderKind = ProviderKind::HappyRobot;
/// Call ids: 24 characters (reference §1.2; hex is inferred, so any alphanumeric passes).
const CALL_ID: IdFormat = IdFormat::Alphanumeric(24);
/// Note ids: no documented length.
const NOTE_ID: IdFormat = IdFormat::NonEmpty;

/// A HappyRobot account (legacy app API, `authorization: Bearer <key>`).
///
/// Build it with [`HappyRobot::from_config`]; use it through [`VoiceProvider`], or call the
/// HappyRobot-only operations ([`set_viewed`](Self::set_viewed),
/// [`set_rating`](Self::set_rating), [`call_logs`](Self::call_logs),
/// [`call_tags`](Self::call_tags), [`export_calls_csv`](Self::export_calls_csv),
/// [`usage`](Self::usage)) directly. `Debug` never shows the API key.
#[derive(Debug, Clone)]
pub struct HappyRobot {
    http: HttpClient,
    /// The platform API (usage), another host with the same key.
    platform: HttpClient,
    options: HappyRobotOptions,
    /// `…options.organization_id`, for the error when it is missing.
    organization_field: String,
}

impl HappyRobot {
    /// Connects with `config` (whose `kind` must be `happyrobot`). Fails with
    /// [`Error::Config`] naming the field when the key, a base URL or an option is unusable.
    pub fn from_config(config: &ProviderConfig) -> Result<Self> {
        config.ensure_kind(KIND)?;
        let options: HappyRobotOptions = config.options()?;
        let http = config.http_client(DEFAULT_BASE_URL, AuthStyle::Bearer)?;
        let platform = config.http_client_at(
            options
                .usage_base_url
                .as_deref()
                .unwrap_or(DEFAULT_USAGE_BASE_URL),
            "options.usage_base_url",
            AuthStyle::Bearer,
        )?;
        Ok(HappyRobot {
            http,
            platform,
            options,
            organization_field: config.field("options.organization_id"),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &HappyRobotOptions {
        &self.options
    }

    async fn send(&self, request: Request) -> Result<Response> {
        self.http.send(request).await
    }

    async fn call_request(&self, operation: Operation, request: Request) -> Result<Call> {
        let response = self.send(request).await?;
        map::decode_call_for(operation, &response.body)
    }

    /// Where to download the call's recording: `GET /calls/{id}/recording`, answering
    /// `{url}` (a bare JSON string is accepted too). `None`: the vendor gave no URL.
    pub async fn recording(&self, id: &CallId) -> Result<Option<Recording>> {
        let op = Operation::GetRecording;
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        // Path inferred: the sidebar lists "Return a pre-signed URL to the call recording"
        // without a path (reference §1.4.7).
        let request = Request::get(op, ["calls", id.as_str(), "recording"]).call_id(id.as_str());
        let response = self.send(request).await?;
        map::decode_recording(&response.body)
    }

    /// Marks the call as viewed by `email` (`PATCH /calls/{id}/viewed`); returns the call.
    pub async fn set_viewed(&self, id: &CallId, email: &str) -> Result<Call> {
        let op = Operation::Extension("set_viewed");
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        let body = wire::ViewedBody {
            email: email.to_owned(),
        };
        let request = Request::patch(op, ["calls", id.as_str(), "viewed"])
            .call_id(id.as_str())
            .json(&body);
        self.call_request(op, request).await
    }

    /// Adds or removes `email`'s rating `emoji` (`✅`, `👎`, `🚨`) on the call
    /// (`PATCH /calls/{id}/ratings`, which answers with an empty 200).
    pub async fn set_rating(
        &self,
        id: &CallId,
        emoji: &str,
        email: &str,
        operation: RatingOperation,
    ) -> Result<()> {
        let op = Operation::Extension("set_rating");
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        let body = wire::RatingBody {
            emoji: emoji.to_owned(),
            email: email.to_owned(),
            operation,
            created: None,
        };
        // Adding is not idempotent: never resent once it may have arrived.
        let request = Request::patch(op, ["calls", id.as_str(), "ratings"])
            .call_id(id.as_str())
            .json(&body)
            .not_retried_after_send();
        self.send(request).await.map(drop)
    }

    /// The call's logs (`GET /calls/{id}/logs`), as the vendor's JSON (`null` for an empty
    /// body). Their shape is undocumented.
    pub async fn call_logs(&self, id: &CallId) -> Result<serde_json::Value> {
        let op = Operation::Extension("call_logs");
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        // Path inferred: the sidebar lists "Return the logs for a call" without a path
        // (reference §1.4.7).
        let request = Request::get(op, ["calls", id.as_str(), "logs"]).call_id(id.as_str());
        let response = self.send(request).await?;
        if response.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        response.json()
    }

    /// Every tag used on the account's calls (`GET /calls/tags`).
    pub async fn call_tags(&self) -> Result<Vec<String>> {
        let op = Operation::Extension("call_tags");
        // Path inferred: the sidebar lists "List Call tags" without a path (reference §1.4.7).
        let response = self.send(Request::get(op, ["calls", "tags"])).await?;
        response.json()
    }

    /// Asks HappyRobot to email a CSV of the calls matching `query` to the key's user
    /// (`POST /calls/export`). The server-side filters are sent as for a listing; the
    /// filters HappyRobot cannot apply (kind, agent, numbers) are refused.
    pub async fn export_calls_csv(&self, query: &CallQuery) -> Result<()> {
        let op = Operation::Extension("export_calls_csv");
        let local_only = [
            (query.kind.is_some(), "kind"),
            (query.agent_id.is_some(), "agent_id"),
            (query.from_number.is_some(), "from_number"),
            (query.to_number.is_some(), "to_number"),
        ];
        if let Some((_, name)) = local_only.iter().find(|(set, _)| *set) {
            return Err(Error::invalid_input(
                KIND,
                op,
                format!("the `{name}` filter cannot be applied to a HappyRobot export"),
            ));
        }
        // Path inferred: the sidebar lists "Trigger async export of calls CSV to requester
        // email" without a path or body (reference §1.4.7).
        let mut request = Request::post(op, ["calls", "export"]).not_retried_after_send();
        for (key, value) in map::filter_params(query, op)? {
            request = request.query(key, value);
        }
        self.send(request).await.map(drop)
    }

    /// The organization's usage between `start` and `end`, from the platform API
    /// (`GET <usage_base_url>/usage` with `x-organization-id`; reference §1.4.8). Needs the
    /// `organization_id` option.
    pub async fn usage(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<UsageRecord>> {
        let op = Operation::Extension("usage");
        let organization = self.options.organization_id.as_deref().ok_or_else(|| {
            Error::config(
                &self.organization_field,
                "the usage report needs the organization id (x-organization-id)",
            )
        })?;
        let header = HeaderValue::from_str(organization).map_err(|_| {
            Error::config(
                &self.organization_field,
                "not a valid header value (x-organization-id)",
            )
        })?;
        let request = Request::get(op, ["usage"])
            .header(HeaderName::from_static("x-organization-id"), header)
            .query("start", start.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            .query("end", end.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        let response = self.platform.send(request).await?;
        response.json()
    }

    fn capabilities_of() -> Capabilities {
        Capabilities {
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
            sort: true,
            // Applied by voiceport after fetching.
            filter_kind: true,
            filter_agent: true,
            filter_from_number: true,
            filter_to_number: true,
            client_side_filtering: true,
            server_paging: true,
            max_page_size: map::MAX_PAGE_SIZE,
            default_page_size: map::DEFAULT_PAGE_SIZE,
            // The transcript is a separate endpoint.
            inline_transcript: false,
            cost: true,
            analysis: true,
            // No update endpoint exists (name or metadata).
            ..Capabilities::default()
        }
    }

    async fn call_action(&self, op: Operation, id: &CallId, request: Request) -> Result<()> {
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        self.send(request.call_id(id.as_str())).await.map(drop)
    }
}

#[async_trait]
impl VoiceProvider for HappyRobot {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn capabilities(&self) -> Capabilities {
        HappyRobot::capabilities_of()
    }

    async fn get_call(&self, id: &CallId) -> Result<Call> {
        let op = Operation::GetCall;
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        // Path inferred: the sidebar lists "Get Call" without a page (reference §1.11).
        let request = Request::get(op, ["calls", id.as_str()]).call_id(id.as_str());
        self.call_request(op, request).await
    }

    async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
        query.ensure_supported(KIND, &self.capabilities())?;
        let mut request = Request::get(Operation::ListCalls, ["calls"]);
        for (key, value) in map::list_params(query)? {
            request = request.query(key, value);
        }
        let response = self.send(request).await?;
        map::decode_page(&response.body, query)
    }

    async fn dial(&self, request: &DialRequest) -> Result<DialOutcome> {
        let body = map::dial_body(request, &self.options)?;
        let request = Request::post(Operation::Dial, ["dial", "outbound"])
            .json(&body)
            .not_retried_after_send();
        let response = self.send(request).await?;
        let call = map::decode_call_for(Operation::Dial, &response.body)?;
        Ok(DialOutcome {
            call_id: call.id.clone(),
            call: Some(call),
        })
    }

    async fn transcript(&self, id: &CallId) -> Result<Transcript> {
        let op = Operation::GetTranscript;
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        let request = Request::get(op, ["calls", id.as_str(), "transcript"]).call_id(id.as_str());
        let response = self.send(request).await?;
        map::decode_transcript(&response.body)
    }

    async fn recording(&self, id: &CallId) -> Result<Option<Recording>> {
        HappyRobot::recording(self, id).await
    }

    async fn end_call(&self, id: &CallId) -> Result<()> {
        let op = Operation::EndCall;
        // Path inferred: from a third-party script (3P); the docs name "Stop Call" only
        // (reference §1.4.3).
        let request = Request::post(op, ["calls", id.as_str(), "stop"]);
        self.call_action(op, id, request).await
    }

    async fn cancel_call(&self, id: &CallId) -> Result<()> {
        let op = Operation::CancelCall;
        // Path inferred: the sidebar lists "Cancel Call" without a path (reference §1.4.7).
        let request = Request::post(op, ["calls", id.as_str(), "cancel"]);
        self.call_action(op, id, request).await
    }

    async fn delete_call(&self, id: &CallId) -> Result<()> {
        let op = Operation::DeleteCall;
        // Path inferred: the sidebar lists "Delete a call" without a path (reference §1.4.7).
        let request = Request::delete(op, ["calls", id.as_str()]);
        self.call_action(op, id, request).await
    }

    async fn add_note(&self, id: &CallId, note: &NoteInput) -> Result<Call> {
        let op = Operation::AddNote;
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        // Creates a note: never resent once it may have arrived.
        let request = Request::post(op, ["calls", id.as_str(), "notes"])
            .call_id(id.as_str())
            .json(&map::note_body(note))
            .not_retried_after_send();
        self.call_request(op, request).await
    }

    async fn update_note(&self, id: &CallId, note_id: &NoteId, note: &NoteInput) -> Result<Call> {
        let op = Operation::UpdateNote;
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        NOTE_ID.check(KIND, op, "note id", note_id.as_str())?;
        let request = Request::patch(op, ["calls", id.as_str(), "notes", note_id.as_str()])
            .call_id(id.as_str())
            .json(&map::note_body(note));
        self.call_request(op, request).await
    }

    async fn delete_note(&self, id: &CallId, note_id: &NoteId) -> Result<Call> {
        let op = Operation::DeleteNote;
        CALL_ID.check(KIND, op, "call id", id.as_str())?;
        NOTE_ID.check(KIND, op, "note id", note_id.as_str())?;
        let request = Request::delete(op, ["calls", id.as_str(), "notes", note_id.as_str()])
            .call_id(id.as_str());
        self.call_request(op, request).await
    }

    fn parse_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        crate::webhook::parse_webhook(body)
    }
}
