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

use crate::{Error, Operation, ProviderConfig, ProviderKind, RequestOutcome, Result};

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
        let mut config = self.config_with_retries();
        config.retry.max_attempts = Some(1);
        config
    }

    /// [`VendorApi::config`] with the default retry policy (for retry tests).
    pub fn config_with_retries(&self) -> ProviderConfig {
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

    /// Fails the test (when the server drops) if any request arrives.
    pub async fn expect_nothing_sent(&self) {
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .named("a request refused locally must send nothing")
            .mount(&self.server)
            .await;
    }

    /// Every documented error status maps to its error kind, naming the provider and
    /// `operation`: 400 and 422 invalid request, 401 and 403 unauthorized, 404 not found,
    /// 409 conflict, 429 rate limited, 500 and 503 server. `body(status)` is the vendor's
    /// error body for that status; `send` makes the request (retries off).
    pub async fn check_error_statuses<T, F, Fut>(
        &self,
        verb: &str,
        tail: &str,
        operation: Operation,
        body: impl Fn(u16) -> String,
        mut send: F,
    ) where
        T: std::fmt::Debug,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        for status in [400, 401, 403, 404, 409, 422, 429, 500, 503] {
            self.server.reset().await;
            self.respond_json(verb, tail, status, &body(status)).await;
            let err = send()
                .await
                .expect_err(&format!("HTTP {status} must be an error"));
            assert_eq!(err.provider(), Some(self.kind), "HTTP {status}: {err:?}");
            assert_eq!(err.operation(), Some(operation), "HTTP {status}: {err:?}");
            let kind_ok = match status {
                400 | 422 => {
                    matches!(&err, Error::InvalidRequest { status: Some(s), .. } if *s == status)
                }
                401 | 403 => matches!(&err, Error::Unauthorized { status: s, .. } if *s == status),
                404 => matches!(err, Error::NotFound { .. }),
                409 => matches!(err, Error::Conflict { .. }),
                429 => matches!(err, Error::RateLimited { .. }),
                _ => matches!(&err, Error::Server { status: s, .. } if *s == status),
            };
            assert!(kind_ok, "HTTP {status} mapped to {err:?}");
            assert!(!err.to_string().contains(KEY), "the key leaked: {err}");
            self.server.verify().await;
        }
        self.server.reset().await;
    }

    /// A request that creates something (`send`) goes exactly once on a 500, retries on,
    /// and its outcome is unknown.
    pub async fn check_sent_once_on_500<T, Fut>(&self, verb: &str, tail: &str, send: Fut)
    where
        T: std::fmt::Debug,
        Fut: Future<Output = Result<T>>,
    {
        self.server.reset().await;
        self.respond_json(verb, tail, 500, r#"{"message": "boom"}"#)
            .await;
        let err = send.await.expect_err("a 500 must be an error");
        assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
        assert_eq!(err.outcome(), RequestOutcome::Unknown);
        self.server.verify().await;
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
        self.server.reset().await;
        self.on(verb, tail)
            .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "busy"})))
            .up_to_n_times(1)
            .expect(1)
            .mount(&self.server)
            .await;
        self.respond_json(verb, tail, 200, ok_body).await;
        let value = send.await.expect("a read is retried after a 503");
        self.server.verify().await;
        self.server.reset().await;
        value
    }
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

/// The kit's key does not appear in `text` (a `Debug` or `Display` rendering).
pub fn assert_key_hidden(text: &str) {
    assert!(!text.contains(KEY), "the API key leaked: {text}");
}
