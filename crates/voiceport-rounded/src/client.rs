//! The Rounded client: the [`Adapter`] over `https://api.callrounded.com/v1`.

use voiceport_core::adapter::{Adapter, AdapterConfig, Guarded, collect_page, decode_off_runtime};
use voiceport_core::http::{AuthStyle, HttpClient, Request};
use voiceport_core::{
    Call, CallId, CallPage, CallQuery, CallUpdate, Capabilities, Codec, DialOutcome, DialRequest,
    Error, IdFormat, Operation, ProviderConfig, Result, async_trait,
};

use crate::RoundedCodec;
use crate::config::{CALL_ID, CAPABILITIES, DEFAULT_BASE_URL, KIND, RoundedOptions};
use crate::map::page::decode_page_each;
use crate::map::request::{dial_body, list_params, update_body};

/// A Rounded account (`X-Api-Key` auth), behind
/// [`VoiceProvider`](voiceport_core::VoiceProvider).
///
/// Endpoints (all documented; see docs/vendors/rounded.md):
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
/// `dial` returns only the new call's id (see the crate docs). `Debug` never shows the
/// API key.
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

    /// The dial's request (`POST /calls/phone`), sent once, never retried after it may
    /// have reached Rounded.
    fn dial_request(&self, request: &DialRequest) -> Result<Request> {
        let body = dial_body(request, &self.options)?;
        let request = Request::post(Operation::Dial, ["calls", "phone"]).json(&body);
        Ok(request.not_retried_after_send())
    }
}

#[async_trait]
impl Adapter for Rounded {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn codec(&self) -> &'static dyn Codec {
        &RoundedCodec
    }

    fn http(&self) -> Option<&HttpClient> {
        Some(&self.http)
    }

    fn call_id_format(&self) -> IdFormat {
        CALL_ID
    }

    async fn get_call(&self, id: &CallId, _: Guarded) -> Result<Call> {
        let operation = Operation::GetCall;
        let request = Request::get(operation, ["calls", id.as_str()]).call_id(id.as_str());
        let response = self.http.send(request).await?;
        RoundedCodec.decode_call_as(operation, &response.body)
    }

    async fn list_calls(&self, query: &CallQuery, _: Guarded) -> Result<CallPage> {
        let Some((params, mode)) = list_params(query, &self.options)? else {
            return Ok(CallPage::default());
        };
        let request = Request::get(Operation::ListCalls, ["calls"]).query_pairs(params);
        let response = self.http.send(request).await?;
        // The mode the request asked for decides the next cursor, not the body's shape.
        let query = query.clone();
        decode_off_runtime(KIND, Operation::ListCalls, response.body, move |body| {
            collect_page(|each| decode_page_each(body, &query, Some(mode), each))
        })
        .await
    }

    async fn dial(&self, request: &DialRequest, _: Guarded) -> Result<DialOutcome> {
        let response = self.http.send(self.dial_request(request)?).await?;
        RoundedCodec.decode_dial(&response.body)
    }

    fn check_dial(&self, request: &DialRequest, _: Guarded) -> Result<()> {
        self.dial_request(request).map(drop)
    }

    async fn update_call(&self, id: &CallId, update: &CallUpdate, _: Guarded) -> Result<Call> {
        let operation = Operation::UpdateCall;
        let request = Request::patch(operation, ["calls", id.as_str()])
            .json(&update_body(update))
            .call_id(id.as_str());
        let response = self.http.send(request).await?;
        RoundedCodec.decode_call_as(operation, &response.body)
    }

    /// Rounded answers 200 also when the call had already ended. Its answer is read for an
    /// error inside the envelope: a 2xx whose body is no envelope (which could hold none)
    /// is the success its status says, as every other vendor's end (whose body is not
    /// read); one whose body breaks off may have been a refusal: core reads the call back
    /// and the end succeeds if it is over.
    async fn end_call(&self, id: &CallId, _: Guarded) -> Result<()> {
        let request = Request::post(Operation::EndCall, ["calls", id.as_str(), "terminate"])
            .call_id(id.as_str());
        match self.http.send(request).await {
            Ok(response) => match RoundedCodec.decode_ack(&response.body) {
                Err(error @ Error::Decode { .. }) => {
                    let said = "the terminate's 2xx answer is no envelope: taken as done";
                    tracing::debug!(error_kind = error.name(), "{said}");
                    Ok(())
                }
                acknowledged => acknowledged,
            },
            Err(error) => Err(error),
        }
    }
}
