//! The Voicebot Studio client: the [`Adapter`] over `https://api.voicebot.studio/api/v1`.

use voiceport_core::adapter::Adapter;
use voiceport_core::http::{AuthStyle, HttpClient, Request};
use voiceport_core::{
    Call, CallId, CallPage, CallQuery, CallUpdate, Capabilities, Codec, DialOutcome, DialRequest,
    Error, IdFormat, Operation, ProviderConfig, ProviderKind, Result, async_trait,
};

use crate::VoicebotCodec;
use crate::config::{CALL_ID, CAPABILITIES, DEFAULT_BASE_URL, KIND, VoicebotOptions};
use crate::map::request::{dial_body, list_params, update_body};

/// A Voicebot Studio account (a white-labelled Vapi), behind
/// [`VoiceProvider`](voiceport_core::VoiceProvider).
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
    /// base URL [`DEFAULT_BASE_URL`] unless configured, vendor options from `options`
    /// ([`VoicebotOptions`]).
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
impl Adapter for Voicebot {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn codec(&self) -> &'static dyn Codec {
        &VoicebotCodec
    }

    fn call_id_format(&self) -> IdFormat {
        CALL_ID
    }

    async fn get_call(&self, id: &CallId) -> Result<Call> {
        // Path inferred: the get-call page was not captured; `/calls/{call_id}` follows the
        // documented PATCH/DELETE paths (reference §2.2).
        let request = Request::get(Operation::GetCall, ["calls", id.as_str()]);
        VoicebotCodec.decode_call(&self.http.send(request).await?.body)
    }

    async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
        // Documented: `GET /calls`, a bare array. The parameters are Vapi's (inferred): VS
        // may ignore them, so `decode_page` applies every filter client-side as well.
        let request =
            Request::get(Operation::ListCalls, ["calls"]).query_pairs(list_params(query)?);
        VoicebotCodec.decode_page(&self.http.send(request).await?.body, query)
    }

    async fn dial(&self, request: &DialRequest) -> Result<DialOutcome> {
        let body = dial_body(request, &self.options)?;
        // Documented path `POST /calls`; the body beyond `name`/`assistantId` is Vapi's
        // `CreateCallDTO` (inferred, reference §2.2).
        let request = Request::post(Operation::Dial, ["calls"])
            .json(&body)
            .not_retried_after_send();
        VoicebotCodec.decode_dial(&self.http.send(request).await?.body)
    }

    async fn update_call(&self, id: &CallId, update: &CallUpdate) -> Result<Call> {
        let op = Operation::UpdateCall;
        // Documented: `PATCH /calls/{call_id}` with `{name}` (seed 002).
        let request = Request::patch(op, ["calls", id.as_str()]).json(&update_body(update)?);
        VoicebotCodec.decode_call_as(op, &self.http.send(request).await?.body)
    }

    async fn delete_call(&self, id: &CallId) -> Result<()> {
        // Documented: `DELETE /calls/{call_id}`; it answers with the deleted call, unused.
        let request = Request::delete(Operation::DeleteCall, ["calls", id.as_str()]);
        self.http.send(request).await?;
        Ok(())
    }
}
