//! One HTTP test kit for every adapter's `tests/http.rs`: a wiremock server that speaks as
//! one vendor (path prefix, auth header, key), and the checks every adapter must pass
//! (error statuses map to error kinds, a dial goes once, reads are retried, refusals send
//! nothing, the key never shows).
//!
//! ```no_run
//! use voiceport_core::testing::http::{Auth, VendorApi};
//! use voiceport_core::ProviderKind;
//!
//! # async fn run() {
//! let api = VendorApi::start(ProviderKind::Rounded, "/v1", Auth::Header("X-Api-Key")).await;
//! api.respond_json("GET", "/calls/abc", 200, r#"{"data": {"id": "abc"}}"#).await;
//! let config = api.config(); // key, base URL, retries off
//! # let _ = config; }
//! ```

use std::future::Future;

use serde_json::json;
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use futures::TryStreamExt;

use crate::adapter::AdapterConfig;
use crate::http::AuthStyle;
use crate::{
    Call, CallQuery, Error, Operation, ProviderConfig, ProviderKind, RequestOutcome, Result,
    VoiceProvider,
};

/// The API key every kit test uses (asserted never to leak).
pub const KEY: &str = "sk-voiceport-test-5c1d9e7a";

/// How the vendor takes the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `<header>: <key>`.
    Header(&'static str),
}

/// A wiremock server standing in for one vendor's API.
#[derive(Debug)]
pub struct VendorApi {
    /// The server (mount any other mock on it).
    pub server: MockServer,
    /// The vendor.
    pub kind: ProviderKind,
    prefix: String,
    auth: Auth,
}

impl VendorApi {
    /// Starts a server for `kind` whose API lives under `prefix` (such as `/v1`).
    pub async fn start(kind: ProviderKind, prefix: &str, auth: Auth) -> Self {
        VendorApi {
            server: MockServer::start().await,
            kind,
            prefix: prefix.trim_end_matches('/').to_owned(),
            auth,
        }
    }

    /// The base URL to configure.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.server.uri(), self.prefix)
    }

    /// A configuration for this server: the kit's key, this base URL, one attempt per
    /// request (add options with [`ProviderConfig::with_option`]).
    pub fn config(&self) -> ProviderConfig {
        let mut config = self.base_config();
        config.retry.max_attempts = Some(1);
        config
    }

    /// [`VendorApi::config`] with retries on (for retry tests): the default number of
    /// attempts, with backoffs of 1 to 2 ms so that a retry costs the test nothing.
    pub fn config_with_retries(&self) -> ProviderConfig {
        let mut config = self.base_config();
        config.retry.initial_backoff_ms = Some(1);
        config.retry.max_backoff_ms = Some(2);
        config
    }

    fn base_config(&self) -> ProviderConfig {
        ProviderConfig::new(self.kind)
            .with_api_key(KEY)
            .with_base_url(self.base_url())
    }

    /// The full path of `tail` under the prefix.
    pub fn path(&self, tail: &str) -> String {
        format!("{}{tail}", self.prefix)
    }

    /// A mock for `method` on `tail` that also requires the vendor's auth header.
    pub fn on(&self, verb: &str, tail: &str) -> wiremock::MockBuilder {
        let (name, value) = match self.auth {
            Auth::Bearer => ("authorization", format!("Bearer {KEY}")),
            Auth::Header(name) => (name, KEY.to_owned()),
        };
        Mock::given(method(verb))
            .and(path(self.path(tail)))
            .and(header(name, value.as_str()))
    }

    /// Answers `method` `tail` with `status` and the JSON text `body`, exactly once.
    pub async fn respond_json(&self, verb: &str, tail: &str, status: u16, body: &str) {
        self.on(verb, tail)
            .respond_with(json_response(status, body))
            .expect(1)
            .mount(&self.server)
            .await;
    }

    /// Answers `method` `tail` with `answer` to the first `times` requests, then 500 to
    /// every other: a walk that never stops fails on the 500 instead of hanging the test.
    pub async fn answer_then_fail(
        &self,
        verb: &str,
        tail: &str,
        answer: impl wiremock::Respond + 'static,
        times: u64,
    ) {
        self.on(verb, tail)
            .respond_with(answer)
            .up_to_n_times(times)
            .mount(&self.server)
            .await;
        self.on(verb, tail)
            .respond_with(json_response(500, "{}"))
            .mount(&self.server)
            .await;
    }

    /// Walks `query` on `provider` against a server that answers one page of `calls` calls
    /// again and again ([`answer_then_fail`](Self::answer_then_fail)), and checks that the
    /// walk ends with a cursor cycle on the third such page, after three requests.
    ///
    /// # Panics
    /// When the walk ends otherwise.
    pub async fn assert_walk_stops_on_a_repeated_page<P>(
        &self,
        provider: &P,
        query: CallQuery,
        calls: usize,
    ) where
        P: VoiceProvider + ?Sized,
    {
        let err = collect_calls(provider, query).await.unwrap_err();
        assert!(err.is_cursor_cycle(), "{err:?}");
        let said = format!("the same {calls} calls on 3 pages");
        assert!(err.to_string().contains(&said), "{err}");
        assert_eq!(self.server.received_requests().await.unwrap().len(), 3);
    }

    /// The first `method` `tail` is answered 503 (an answer lost after the request may
    /// have been applied), before any other mock on it; the next go to the other mocks.
    pub async fn lose_first_answer(&self, verb: &str, tail: &str) {
        self.on(verb, tail)
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .expect(1)
            .mount(&self.server)
            .await;
    }

    /// The only request the server has received.
    ///
    /// # Panics
    /// When it has received none, or more than one.
    pub async fn only_request(&self) -> wiremock::Request {
        let mut requests = self.server.received_requests().await.unwrap_or_default();
        assert_eq!(requests.len(), 1, "{requests:?}");
        requests.remove(0)
    }

    /// Fails the test (when the server drops) if any request arrives.
    pub async fn expect_nothing_sent(&self) {
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .named("a request refused locally must send nothing")
            .mount(&self.server)
            .await;
    }

    /// Every documented error status maps to its error kind ([`maps_as_documented`]),
    /// naming the provider and `operation`. `body(status)` is the vendor's error body for
    /// that status; `send` makes the request (retries off).
    pub async fn check_error_statuses<T, F, Fut>(
        &self,
        verb: &str,
        tail: &str,
        operation: Operation,
        body: impl Fn(u16) -> String,
        send: F,
    ) where
        T: std::fmt::Debug,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.check_error_statuses_mapped(verb, tail, operation, body, maps_as_documented, send)
            .await;
    }

    /// [`VendorApi::check_error_statuses`] for an endpoint whose vendor maps some statuses
    /// its own way: `mapped(status, err)` says whether `err` is right for `status` (fall
    /// back on [`maps_as_documented`] for the others).
    pub async fn check_error_statuses_mapped<T, F, Fut>(
        &self,
        verb: &str,
        tail: &str,
        operation: Operation,
        body: impl Fn(u16) -> String,
        mapped: impl Fn(u16, &Error) -> bool,
        mut send: F,
    ) where
        T: std::fmt::Debug,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        for status in ERROR_STATUSES {
            self.server.reset().await;
            self.respond_json(verb, tail, status, &body(status)).await;
            let err = send()
                .await
                .expect_err(&format!("HTTP {status} must be an error"));
            assert_eq!(err.provider(), Some(self.kind), "HTTP {status}: {err:?}");
            assert_eq!(err.operation(), Some(operation), "HTTP {status}: {err:?}");
            assert!(mapped(status, &err), "HTTP {status} mapped to {err:?}");
            assert!(!err.to_string().contains(KEY), "the key leaked: {err}");
            self.server.verify().await;
        }
        self.server.reset().await;
    }

    /// A request that creates something (`send`) goes exactly once on a 500, retries on,
    /// and its outcome is unknown.
    ///
    /// `send` must come from a client of [`VendorApi::config_with_retries`]. A future cannot
    /// tell which configuration its client has, so the check first shows, with a client of
    /// its own built from that configuration, that `verb` `tail` not marked as creating
    /// something is sent again on a 500 ([`VendorApi::assert_retries_on`]): the one send of
    /// `send` is then the adapter's doing, not retries being off.
    pub async fn check_sent_once_on_500<T, Fut>(&self, verb: &str, tail: &str, send: Fut)
    where
        T: std::fmt::Debug,
        Fut: Future<Output = Result<T>>,
    {
        self.assert_retries_on(&self.config_with_retries(), verb, tail)
            .await;
        self.server.reset().await;
        self.respond_json(verb, tail, 500, r#"{"message": "boom"}"#)
            .await;
        let err = send.await.expect_err("a 500 must be an error");
        assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
        assert_eq!(err.outcome(), RequestOutcome::Unknown);
        self.server.verify().await;
        self.server.reset().await;
    }

    /// A core client built from `config` sends `verb` `tail`, not marked as creating
    /// something, more than once when it meets a 500: `config` has retries on.
    ///
    /// # Panics
    /// When the request goes only once.
    pub async fn assert_retries_on(&self, config: &ProviderConfig, verb: &str, tail: &str) {
        self.server.reset().await;
        self.on(verb, tail)
            .respond_with(json_response(500, r#"{"message": "boom"}"#))
            .mount(&self.server)
            .await;
        let style = match self.auth {
            Auth::Bearer => AuthStyle::Bearer,
            Auth::Header(name) => AuthStyle::Header(name),
        };
        let client = config
            .http_client("https://unused.example", style)
            .expect("a client of the kit's configuration");
        let method = reqwest::Method::from_bytes(verb.as_bytes()).expect("an HTTP method");
        let segments = tail.split('/').filter(|segment| !segment.is_empty());
        // A read: a dial, a note or a vendor's own write is never sent again after a 500.
        let request = crate::http::Request::new(method, Operation::GetCall, segments);
        let err = client
            .send(request)
            .await
            .expect_err("a 500 must be an error");
        assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
        let sent = self.server.received_requests().await.unwrap_or_default();
        assert!(
            sent.len() > 1,
            "{verb} {tail} went {} time(s) on a 500: retries are off",
            sent.len()
        );
        self.server.reset().await;
    }

    /// A read (`send`, with retries on) that meets one 503 is sent again and succeeds with
    /// `ok_body`.
    pub async fn check_read_retried_on_503<T, Fut>(
        &self,
        verb: &str,
        tail: &str,
        ok_body: &str,
        send: Fut,
    ) -> T
    where
        T: std::fmt::Debug,
        Fut: Future<Output = Result<T>>,
    {
        let busy = ResponseTemplate::new(503).set_body_json(json!({"message": "busy"}));
        self.check_read_retried_after(verb, tail, busy, ok_body, send)
            .await
    }

    /// A read (`send`, with retries on) answered `first` once is sent again and succeeds
    /// with `ok_body`: for an answer one vendor's client retries where others do not
    /// (Retell's 409).
    pub async fn check_read_retried_after<T, Fut>(
        &self,
        verb: &str,
        tail: &str,
        first: ResponseTemplate,
        ok_body: &str,
        send: Fut,
    ) -> T
    where
        T: std::fmt::Debug,
        Fut: Future<Output = Result<T>>,
    {
        self.server.reset().await;
        self.on(verb, tail)
            .respond_with(first)
            .up_to_n_times(1)
            .expect(1)
            .mount(&self.server)
            .await;
        self.respond_json(verb, tail, 200, ok_body).await;
        let value = send
            .await
            .expect("a read is retried after its first answer");
        self.server.verify().await;
        self.server.reset().await;
        value
    }
}

/// The error statuses [`VendorApi::check_error_statuses`] sends.
const ERROR_STATUSES: [u16; 9] = [400, 401, 403, 404, 409, 422, 429, 500, 503];

/// Whether `err` is the kind the core maps the error `status` to: 400 and 422 invalid
/// request, 401 and 403 unauthorized, 404 not found, 409 conflict, 429 rate limited, any
/// other server (each with its status where the kind keeps one).
pub fn maps_as_documented(status: u16, err: &Error) -> bool {
    match status {
        400 | 422 => matches!(err, Error::InvalidRequest { status: Some(s), .. } if *s == status),
        401 | 403 => matches!(err, Error::Unauthorized { status: s, .. } if *s == status),
        404 => matches!(err, Error::NotFound { .. }),
        409 => matches!(err, Error::Conflict { .. }),
        429 => matches!(err, Error::RateLimited { .. }),
        _ => matches!(err, Error::Server { status: s, .. } if *s == status),
    }
}

/// Every call `provider` lists for `query`, walking its pages with
/// [`VoiceProviderExt::calls`](crate::VoiceProviderExt::calls).
pub async fn collect_calls<P>(provider: &P, query: CallQuery) -> Result<Vec<Call>>
where
    P: VoiceProvider + ?Sized,
{
    crate::paging::call_stream(provider, query)
        .try_collect()
        .await
}

/// A JSON response with `status` and the text `body`.
pub fn json_response(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json")
}

/// `err` is voiceport refusing a request before sending it (`InvalidRequest` without a
/// status, nothing applied) and its message mentions `needle`.
pub fn assert_refused_locally(err: &Error, operation: Operation, needle: &str) {
    assert!(
        matches!(err, Error::InvalidRequest { status: None, operation: op, .. } if *op == operation),
        "expected a local refusal of {operation}: {err:?}"
    );
    assert!(err.to_string().contains(needle), "{needle:?} not in: {err}");
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
}

/// `result` is [`Error::Unsupported`] for `provider`.
pub fn assert_unsupported<T: std::fmt::Debug>(result: &Result<T>, provider: ProviderKind) {
    assert!(
        matches!(result, Err(Error::Unsupported { provider: p, .. }) if *p == provider),
        "expected Unsupported from {provider}: {result:?}"
    );
}

/// `err` is [`Error::Unsupported`] from `kind` for the dial field `field`
/// ([`Operation::DialOption`]), nothing sent.
pub fn assert_unsupported_field(err: &Error, kind: ProviderKind, field: &str) {
    assert!(
        matches!(err, Error::Unsupported { provider, operation: Operation::DialOption(f), .. }
            if *provider == kind && *f == field),
        "expected {kind} to refuse `{field}` as Unsupported: {err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
}

/// The kit's key does not appear in `text` (a `Debug` or `Display` rendering).
pub fn assert_key_hidden(text: &str) {
    assert!(!text.contains(KEY), "the API key leaked: {text}");
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::panic::AssertUnwindSafe;

    use async_trait::async_trait;
    use futures::FutureExt;

    use super::*;
    use crate::http::{AuthStyle, HttpClient, Request};
    use crate::{CallId, CallPage, Capabilities, PageCursor};

    async fn api_and_client() -> (VendorApi, HttpClient) {
        let api = VendorApi::start(ProviderKind::Rounded, "/v1", Auth::Header("X-Api-Key")).await;
        let client = api
            .config()
            .http_client("https://unused.example", AuthStyle::Header("X-Api-Key"))
            .unwrap();
        (api, client)
    }

    fn get_call() -> Request {
        Request::get(Operation::GetCall, ["calls", "c1"])
    }

    fn error_body(status: u16) -> String {
        json!({ "message": format!("HTTP {status}") }).to_string()
    }

    #[tokio::test]
    async fn configs_send_once_or_retry_fast() {
        let (api, _) = api_and_client().await;
        let once = api.config();
        assert_eq!(once.retry.max_attempts, Some(1));
        let retrying = api.config_with_retries();
        assert_eq!(retrying.retry.max_attempts, None, "the default attempts");
        assert_eq!(
            (
                retrying.retry.initial_backoff_ms,
                retrying.retry.max_backoff_ms
            ),
            (Some(1), Some(2))
        );
        assert_eq!(retrying.base_url, once.base_url);
    }

    #[tokio::test]
    async fn error_statuses_are_checked_against_a_mapping() {
        let (api, client) = api_and_client().await;
        api.check_error_statuses("GET", "/calls/c1", Operation::GetCall, error_body, || {
            client.send(get_call())
        })
        .await;
        // A vendor's own mapping is asked about every status.
        let asked = RefCell::new(Vec::new());
        let mapped = |status, err: &Error| {
            asked.borrow_mut().push(status);
            maps_as_documented(status, err)
        };
        api.check_error_statuses_mapped(
            "GET",
            "/calls/c1",
            Operation::GetCall,
            error_body,
            mapped,
            || client.send(get_call()),
        )
        .await;
        assert_eq!(asked.into_inner(), ERROR_STATUSES);
        // A mapping the errors do not meet fails the check.
        let everything_not_found = |_, err: &Error| matches!(err, Error::NotFound { .. });
        let check = api.check_error_statuses_mapped(
            "GET",
            "/calls/c1",
            Operation::GetCall,
            error_body,
            everything_not_found,
            || client.send(get_call()),
        );
        assert!(AssertUnwindSafe(check).catch_unwind().await.is_err());
    }

    /// The retry proof fails for a configuration with retries off, and passes for the
    /// kit's retrying one.
    #[tokio::test]
    async fn the_retry_proof_needs_retries_on() {
        let (api, _) = api_and_client().await;
        let once = api.config();
        let off = api.assert_retries_on(&once, "POST", "/calls");
        assert!(AssertUnwindSafe(off).catch_unwind().await.is_err());
        api.server.reset().await;
        api.assert_retries_on(&api.config_with_retries(), "POST", "/calls")
            .await;
    }

    /// A dial through a retrying client passes the sent-once check; a write the core
    /// retries after sending (an update, idempotent) fails it.
    #[tokio::test]
    async fn the_sent_once_check_fails_a_write_sent_again() {
        let (api, _) = api_and_client().await;
        let retrying = api
            .config_with_retries()
            .http_client("https://unused.example", AuthStyle::Header("X-Api-Key"))
            .unwrap();
        let dial = Request::post(Operation::Dial, ["calls"]);
        api.check_sent_once_on_500("POST", "/calls", retrying.send(dial))
            .await;
        let update = Request::post(Operation::UpdateCall, ["calls"]);
        let check = api.check_sent_once_on_500("POST", "/calls", retrying.send(update));
        assert!(AssertUnwindSafe(check).catch_unwind().await.is_err());
        // Its unmet expectation would fail the test again when the server drops.
        api.server.reset().await;
    }

    #[tokio::test]
    async fn the_only_request_is_returned_and_a_second_one_fails() {
        let (api, client) = api_and_client().await;
        api.on("GET", "/calls/c1")
            .respond_with(json_response(200, "{}"))
            .mount(&api.server)
            .await;
        client.send(get_call()).await.unwrap();
        let request = api.only_request().await;
        assert_eq!(request.url.path(), "/v1/calls/c1");
        assert_eq!(request.headers["x-api-key"], KEY);
        client.send(get_call()).await.unwrap();
        let two = AssertUnwindSafe(api.only_request()).catch_unwind().await;
        assert!(two.is_err());
    }

    /// Two pages of one call each, then the end.
    #[derive(Debug)]
    struct TwoPages;

    #[async_trait]
    impl VoiceProvider for TwoPages {
        fn kind(&self) -> ProviderKind {
            ProviderKind::Rounded
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::default()
        }
        async fn get_call(&self, id: &CallId) -> Result<Call> {
            Ok(Call::new(id.clone(), self.kind()))
        }
        async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
            let (id, next) = match query.cursor {
                None => ("first", Some(PageCursor::Offset { skip: 1 })),
                _ => ("second", None),
            };
            Ok(CallPage {
                calls: vec![Call::new(CallId::new(id), self.kind())],
                next,
                total: None,
                vendor_ids: None,
            })
        }
    }

    #[tokio::test]
    async fn collect_calls_walks_every_page() {
        let calls = collect_calls(&TwoPages, CallQuery::default())
            .await
            .unwrap();
        let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["first", "second"]);
    }
}
