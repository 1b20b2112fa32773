//! The Voicebot Studio client: [`VoiceProvider`] over `https://api.voicebot.studio/api/v1`.

use voiceport_core::http::{AuthStyle, HttpClient, Request};
use voiceport_core::{
    Call, CallEvent, CallId, CallPage, CallQuery, CallUpdate, Capabilities, DialOutcome,
    DialRequest, Error, IdFormat, Operation, ProviderConfig, ProviderKind, Result, VoiceProvider,
    async_trait,
};

use crate::{DEFAULT_BASE_URL, VoicebotOptions, map, webhook};

const KIND: ProviderKind = ProviderKind::Voicebot;
/// Voicebot Studio types ids as plain strings (UUIDs are only inferred, reference §2.7).
const IDS: IdFormat = IdFormat::NonEmpty;

/// A Voicebot Studio account (a white-labelled Vapi), behind [`VoiceProvider`].
///
/// ```no_run
/// use voiceport_core::{CallId, ProviderConfig, ProviderKind, VoiceProvider};
/// use voiceport_voicebot::Voicebot;
///
/// # async fn run() -> voiceport_core::Result<()> {
/// let config = ProviderConfig::new(ProviderKind::Voicebot)
///     .with_api_key("vbs-…")
///     .with_option("assistant_id", "83e6398d-2080-44a1-8c0e-12bedcc33d1e");
/// let voicebot = Voicebot::from_config(&config)?;
/// let call = voicebot.get_call(&CallId::new("019cf72b-2008-72f2-9228-bc1f965cbb09")).await?;
/// println!("{} {:?}", call.status, call.end_reason);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Voicebot {
    http: HttpClient,
    options: VoicebotOptions,
}

impl Voicebot {
    /// Connects with `config` (`kind = "voicebot"`): API key in the `X-API-Key` header,
    /// base URL `https://api.voicebot.studio/api/v1` unless configured, vendor options
    /// from `options` ([`VoicebotOptions`]).
    pub fn from_config(config: &ProviderConfig) -> Result<Self> {
        config.ensure_kind(KIND)?;
        let options: VoicebotOptions = config.options()?;
        for (name, value) in [
            ("assistant_id", &options.assistant_id),
            ("phone_number_id", &options.phone_number_id),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(Error::config(
                    config.field(&format!("options.{name}")),
                    "is empty",
                ));
            }
        }
        let http = config.http_client(DEFAULT_BASE_URL, AuthStyle::Header("X-API-Key"))?;
        Ok(Voicebot { http, options })
    }

    /// The vendor options in use.
    pub fn options(&self) -> &VoicebotOptions {
        &self.options
    }
}

#[async_trait]
impl VoiceProvider for Voicebot {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            get_call: true,
            list_calls: true,
            dial: true,
            dial_scheduled: true,
            update_name: true,
            delete_call: true,
            transcript: true,
            recording: true,
            webhooks: true,
            // Filters: the Vapi parameters sent may be ignored by VS, so every filter is also
            // applied client-side.
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
            max_page_size: map::MAX_PAGE_SIZE,
            default_page_size: map::DEFAULT_PAGE_SIZE,
            inline_transcript: true,
            cost: true,
            analysis: true,
            ..Capabilities::default()
        }
    }

    async fn get_call(&self, id: &CallId) -> Result<Call> {
        let op = Operation::GetCall;
        IDS.check(KIND, op, "call id", id.as_str())?;
        // Path inferred: the get-call page was not captured; `/calls/{call_id}` follows the
        // documented PATCH/DELETE paths (reference §2.2).
        let request = Request::get(op, ["calls", id.as_str()]).call_id(id.as_str());
        let response = self.http.send(request).await?;
        map::decode_call_as(op, &response.body)
    }

    async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
        query.ensure_supported(KIND, &self.capabilities())?;
        let params = map::list_params(query)?;
        // Documented: `GET /calls`, a bare array. The parameters are Vapi's (inferred): VS
        // may ignore them, so `decode_page` applies every filter client-side as well.
        let mut request = Request::get(Operation::ListCalls, ["calls"]);
        for (key, value) in params {
            request = request.query(key, value);
        }
        let response = self.http.send(request).await?;
        map::decode_page(&response.body, query)
    }

    async fn dial(&self, request: &DialRequest) -> Result<DialOutcome> {
        let op = Operation::Dial;
        let body = map::dial_body(request, &self.options)?;
        // Documented path `POST /calls`; the body beyond `name`/`assistantId` is Vapi's
        // `CreateCallDTO` (inferred, reference §2.2).
        let response = self
            .http
            .send(
                Request::post(op, ["calls"])
                    .json(&body)
                    .not_retried_after_send(),
            )
            .await?;
        let call = map::decode_call_as(op, &response.body)?;
        Ok(DialOutcome {
            call_id: call.id.clone(),
            call: Some(call),
        })
    }

    async fn update_call(&self, id: &CallId, update: &CallUpdate) -> Result<Call> {
        let op = Operation::UpdateCall;
        let body = map::update_body(update)?;
        IDS.check(KIND, op, "call id", id.as_str())?;
        // Documented: `PATCH /calls/{call_id}` with `{name}` (seed 002).
        let request = Request::patch(op, ["calls", id.as_str()])
            .call_id(id.as_str())
            .json(&body);
        let response = self.http.send(request).await?;
        map::decode_call_as(op, &response.body)
    }

    async fn delete_call(&self, id: &CallId) -> Result<()> {
        let op = Operation::DeleteCall;
        IDS.check(KIND, op, "call id", id.as_str())?;
        // Documented: `DELETE /calls/{call_id}`; it answers with the deleted call, unused.
        let request = Request::delete(op, ["calls", id.as_str()]).call_id(id.as_str());
        self.http.send(request).await?;
        Ok(())
    }

    fn parse_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        webhook::parse_webhook(body)
    }
}
