//! The Retell client: the [`Adapter`] over `https://api.retellai.com`.

use std::time::Duration;

use voiceport_core::adapter::{Adapter, AdapterConfig, Guarded, decode_off_runtime};
use voiceport_core::http::{AuthStyle, HttpClient, Request};
use voiceport_core::{
    Call, CallId, CallPage, CallQuery, CallUpdate, Capabilities, Codec, DialOutcome, DialRequest,
    IdFormat, Operation, ProviderConfig, Result, async_trait,
};

use crate::RetellCodec;
use crate::config::{CALL_ID, CAPABILITIES, DEFAULT_BASE_URL, KIND, RetellOptions};
use crate::map::request::{dial_body, list_params, update_body};

/// A Retell AI account (`Authorization: Bearer <key>`), behind
/// [`VoiceProvider`](voiceport_core::VoiceProvider).
///
/// Endpoints (all documented in Retell's API reference):
///
/// | Operation | Request |
/// | --- | --- |
/// | `get_call` | `GET /v2/get-call/{call_id}` |
/// | `list_calls` | `POST /v3/list-calls` (JSON body: `filter_criteria`, `sort_order`, `limit`, `pagination_key`) |
/// | `dial` | `POST /v2/create-phone-call` → 201 with the new call |
/// | `update_call` (metadata, replaced: *inferred*) | `PATCH /v2/update-call/{call_id}` `{metadata}` |
/// | `end_call` | `POST /v2/stop-call/{call_id}` → 204 |
/// | `delete_call` | `DELETE /v2/delete-call/{call_id}` → 204 |
/// | `transcript`, `recording` | from the call (`get_call`) |
///
/// Retell answers an unknown call id with **422** (`Cannot find requested asset under given
/// api key.`), not 404: on the per-call endpoints a 422 is
/// [`Error::NotFound`](voiceport_core::Error::NotFound). `dial` is sent once and never
/// retried after it may have reached Retell. `Debug` never shows the API key.
#[derive(Debug, Clone)]
pub struct Retell {
    http: HttpClient,
    options: RetellOptions,
}

/// How long Retell's own SDK waits for list-calls and for create-phone-call, its slow
/// endpoints (its other requests: 60 s), and so does this client unless the configuration
/// sets `timeout_secs`: a page of 1,000 calls can take longer than the usual 30 s, and a
/// dial cut short is a call whose placing is unknown.
const LIST_TIMEOUT: Duration = Duration::from_secs(300);
const DIAL_TIMEOUT: Duration = Duration::from_secs(120);

impl Retell {
    /// Connects with `config` (`kind = "retell"`); the options are [`RetellOptions`].
    pub fn from_config(config: &ProviderConfig) -> Result<Self> {
        config.ensure_kind(KIND)?;
        let options: RetellOptions = config.options()?;
        let http = config.http_client(DEFAULT_BASE_URL, AuthStyle::Bearer)?;
        Ok(Retell { http, options })
    }

    /// `None` when no Retell call can match `query`: nothing is asked.
    fn list_request(&self, query: &CallQuery) -> Result<Option<Request>> {
        let Some(params) = list_params(query)? else {
            return Ok(None);
        };
        // A read sent as a POST: retried like any read.
        let request = Request::post(Operation::ListCalls, ["v3", "list-calls"])
            .json(&params)
            .retried_on_conflict();
        Ok(Some(request.vendor_timeout(LIST_TIMEOUT)))
    }

    /// The dial's request (`POST /v2/create-phone-call`), sent once.
    fn dial_request(&self, request: &DialRequest) -> Result<Request> {
        let body = dial_body(request, &self.options)?;
        let request = Request::post(Operation::Dial, ["v2", "create-phone-call"]).json(&body);
        Ok(request
            .not_retried_after_send()
            .vendor_timeout(DIAL_TIMEOUT))
    }

    /// The options in force.
    pub fn options(&self) -> &RetellOptions {
        &self.options
    }
}

/// A request about the call `id`. Retell answers an unknown call id with
/// `422 {"status": "error", "message": "Cannot find requested asset under given api key."}`:
/// on these endpoints a 422 is [`Error::NotFound`](voiceport_core::Error::NotFound) with
/// Retell's message (the core maps a 422 elsewhere to
/// [`Error::InvalidRequest`](voiceport_core::Error::InvalidRequest); a 422 on
/// create-phone-call, an unknown agent or number, stays one: the call it would name does
/// not exist yet). A 409 is retried, as Retell's SDK retries it.
fn about_call(request: Request, id: &CallId) -> Request {
    request
        .call_id(id.as_str())
        .not_found_status(422)
        .retried_on_conflict()
}

#[async_trait]
impl Adapter for Retell {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn codec(&self) -> &'static dyn Codec {
        &RetellCodec
    }

    fn http(&self) -> Option<&HttpClient> {
        Some(&self.http)
    }

    fn call_id_format(&self) -> IdFormat {
        CALL_ID
    }

    async fn get_call(&self, id: &CallId, _: Guarded) -> Result<Call> {
        let request = Request::get(Operation::GetCall, ["v2", "get-call", id.as_str()]);
        let response = self.http.send(about_call(request, id)).await?;
        RetellCodec.decode_call(&response.body)
    }

    async fn list_calls(&self, query: &CallQuery, _: Guarded) -> Result<CallPage> {
        let Some(request) = self.list_request(query)? else {
            return Ok(CallPage::default());
        };
        let response = self.http.send(request).await?;
        let query = query.clone();
        decode_off_runtime(KIND, Operation::ListCalls, response.body, move |body| {
            RetellCodec.decode_page(body, &query)
        })
        .await
    }

    /// Sent once, never retried after it may have reached Retell (no idempotency key).
    async fn dial(&self, request: &DialRequest, _: Guarded) -> Result<DialOutcome> {
        let response = self.http.send(self.dial_request(request)?).await?;
        RetellCodec.decode_dial(&response.body)
    }

    fn check_dial(&self, request: &DialRequest, _: Guarded) -> Result<()> {
        self.dial_request(request).map(drop)
    }

    async fn update_call(&self, id: &CallId, update: &CallUpdate, _: Guarded) -> Result<Call> {
        let operation = Operation::UpdateCall;
        let request = Request::patch(operation, ["v2", "update-call", id.as_str()])
            .json(&update_body(update));
        let response = self.http.send(about_call(request, id)).await?;
        RetellCodec.decode_call_as(operation, &response.body)
    }

    /// `stop-call` answers 204 without a body.
    async fn end_call(&self, id: &CallId, _: Guarded) -> Result<()> {
        let request = Request::post(Operation::EndCall, ["v2", "stop-call", id.as_str()]);
        self.http.send_only(about_call(request, id)).await
    }

    /// `delete-call` answers 204 without a body; the call's recording and transcript go
    /// with it. A retry that finds the call gone is the first attempt's work, done.
    async fn delete_call(&self, id: &CallId, _: Guarded) -> Result<()> {
        let request = Request::delete(Operation::DeleteCall, ["v2", "delete-call", id.as_str()]);
        let request = about_call(request, id).done_if_gone();
        self.http.send_only(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// List-calls and create-phone-call wait as long as Retell's SDK lets them (a
    /// `timeout_secs` in the configuration still holds: see core's `Request::vendor_timeout`).
    #[test]
    fn the_slow_endpoints_say_how_long_retell_s_sdk_waits() {
        let config = ProviderConfig::new(KIND).with_api_key("key_test");
        let retell = Retell::from_config(&config).unwrap();
        let list = retell.list_request(&CallQuery::default()).unwrap().unwrap();
        assert_eq!(list.vendor_wait(), Some(LIST_TIMEOUT));
        let dial = DialRequest {
            from_number: Some("+14155550100".into()),
            ..DialRequest::to("+14155550123")
        };
        let placing = retell.dial_request(&dial).unwrap();
        assert_eq!(placing.vendor_wait(), Some(DIAL_TIMEOUT));
    }
}
