//! The HTTP plumbing every adapter shares, written once: auth, retries, timeouts, the body
//! cap, decoding with JSON paths, percent-encoded paths, and tracing.
//!
//! An adapter describes a request with [`Request`], sends it with [`HttpClient::send`] and
//! decodes the [`Response`]. Error statuses become [`Error`] kinds here, so every adapter
//! maps them the same way.

mod auth;
pub(crate) mod decode;
mod dial_gate;
mod endpoint;
mod error_body;
mod mask;
mod request;
mod retry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{ACCEPT, CONTENT_TYPE};
pub use http::header::{HeaderMap, HeaderName, HeaderValue};
pub use http::{Method, StatusCode};
use tracing::Instrument;
use url::Url;

pub use auth::{Auth, AuthStyle};
pub use decode::{decode_json, decode_raw, decode_raw_at, excerpt};
pub(crate) use endpoint::{parse_base_url, plain_http_to_another_host};
pub use error_body::{MAX_VENDOR_DETAILS, vendor_text};
use mask::{credential_masks, hide_secrets, redirect_host};
pub use request::{Request, Response};
pub use retry::{RetryMode, RetryPolicy};

use crate::{Error, Interrupt, Operation, ProviderKind, RequestOutcome, Result, is_path_segment};

/// Transport settings of one provider connection.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The longest one attempt may take, body included.
    pub timeout: Duration,
    /// Whether `timeout` was configured (`timeout_secs`): it then holds for every request,
    /// even one the vendor says is slow ([`Request::vendor_timeout`]).
    pub timeout_configured: bool,
    /// The longest connecting may take; at most four fifths of `timeout` is used, so that
    /// a connection never made ends as a connect error (known not sent).
    pub connect_timeout: Duration,
    /// The largest response body accepted, in bytes. A body announced (`Content-Length`)
    /// over it is refused before a byte is read; memory is reserved as bytes arrive, never
    /// for what a server merely announces.
    pub max_body_bytes: usize,
    /// Retry bounds.
    pub retry: RetryPolicy,
    /// Allow plain `http` to hosts other than loopback.
    pub allow_insecure_http: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(30),
            timeout_configured: false,
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024 * 1024,
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
        }
    }
}

/// A connection to one vendor account: base URL, key, and transport settings. Cheap to
/// clone (shared inside).
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Arc<Inner>,
    /// The name the provider is configured under (`sales`), for the request span.
    provider_name: Option<Arc<str>>,
    /// Secrets other than the key hidden as it is ([`also_hiding`](Self::also_hiding)).
    hidden: Arc<[crate::SecretMask]>,
}

#[derive(Debug)]
struct Inner {
    provider: ProviderKind,
    base_url: Url,
    auth: Auth,
    client: reqwest::Client,
    /// The client dials are sent with (no pooling: see [`dial_gate`]).
    dial_client: reqwest::Client,
    settings: HttpSettings,
}

impl HttpClient {
    /// A client for `provider` at `base_url` (checked: https, or http to loopback unless
    /// insecure HTTP is allowed). `base_url_field` names the config field in errors.
    pub fn new(
        provider: ProviderKind,
        base_url: &str,
        base_url_field: &str,
        auth: Auth,
        settings: HttpSettings,
    ) -> Result<Self> {
        let base_url =
            endpoint::parse_base_url(base_url, settings.allow_insecure_http, base_url_field)?;
        // Connecting gets at most four fifths of the attempt's time: a request whose
        // connection is never made must end as a connect error (known not sent, so a dial
        // can go to the next provider), not as the attempt's timeout, which says nothing
        // of whether it was sent.
        let connect_timeout = settings.connect_timeout.min(settings.timeout / 5 * 4);
        let builder = || {
            let builder = reqwest::Client::builder()
                .connect_timeout(connect_timeout)
                .timeout(settings.timeout)
                // Never follow redirects: a redirect to another host would carry the
                // API-key header along (reqwest only strips `Authorization`).
                .redirect(reqwest::redirect::Policy::none())
                // Never decompress, even when another crate of the build turns reqwest's
                // `gzip`/`brotli`/`deflate`/`zstd` features on (features are unified): the
                // body cap, the key masking and the error-body cap read the bytes as sent,
                // and a few KiB that inflate to GiB would be a bomb behind them.
                .no_gzip()
                .no_brotli()
                .no_deflate()
                .no_zstd()
                .user_agent(concat!("voiceport/", env!("CARGO_PKG_VERSION")));
            // A plain-http base (loopback, or allowed explicitly) is reached directly: a
            // proxy from the environment (`HTTP_PROXY`) would read the key in the clear.
            if base_url.scheme() == "http" {
                builder.no_proxy()
            } else {
                builder
            }
        };
        let built = |builder: reqwest::ClientBuilder| {
            (builder.build()).map_err(|e| {
                let cause = crate::error::chain_text(&e);
                Error::config("http", format!("cannot build the HTTP client: {cause}"))
            })
        };
        let client = built(builder())?;
        // Dials go on a connection of their own, made for them and closed after: one taken
        // from a pool (or shared over HTTP/2) would carry a dial interrupted while it was
        // being connected, which the gate drops before a byte is written.
        let dial_client = built(
            builder()
                .pool_max_idle_per_host(0)
                .http1_only()
                .connector_layer(dial_gate::DialGate),
        )?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                provider,
                base_url,
                auth,
                client,
                dial_client,
                settings,
            }),
            provider_name: None,
            hidden: Arc::from([]),
        })
    }

    /// Which vendor this client talks to.
    pub fn provider(&self) -> ProviderKind {
        self.inner.provider
    }

    /// The same client, its requests' spans recording `name` as `provider_name`: the name
    /// the provider is configured under, which tells two accounts of one vendor apart in
    /// the log. [`AdapterConfig::http_client`](crate::adapter::AdapterConfig::http_client)
    /// sets it from [`ProviderConfig::name`](crate::ProviderConfig::name).
    #[must_use]
    pub fn with_provider_name(mut self, name: Option<&str>) -> Self {
        self.provider_name = name.map(Arc::from);
        self
    }

    /// The same client, hiding `mask`'s secret as it hides the key: in every answer's body
    /// before anything reads it, and in every error it returns. For a secret of the
    /// account's that the vendor may send back (a webhook secret: HappyRobot's calls repeat
    /// the headers configured on a use case's hooks).
    /// [`AdapterConfig::http_client`](crate::adapter::AdapterConfig::http_client) hides
    /// the provider's webhook secret so.
    #[must_use]
    pub fn also_hiding(mut self, mask: crate::SecretMask) -> Self {
        let mut hidden = self.hidden.to_vec();
        hidden.push(mask);
        self.hidden = Arc::from(hidden);
        self
    }

    /// The name the provider is configured under, when known (see
    /// [`with_provider_name`](Self::with_provider_name)).
    pub fn provider_name(&self) -> Option<&str> {
        self.provider_name.as_deref()
    }

    /// The base URL requests are relative to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// What hides the configured key: for an adapter to mask text that did not come
    /// through [`HttpClient::send`] (see [`Error::masked`]).
    pub fn secret_mask(&self) -> &crate::SecretMask {
        self.inner.auth.mask()
    }

    /// Sends `request`, retrying as its [`RetryMode`] and the policy allow.
    ///
    /// Returns the response for 2xx; every other status becomes the matching [`Error`]
    /// kind, with the vendor's message and field details. A redirect (3xx) is never
    /// followed (it would carry the key along): it is [`Error::Redirected`].
    ///
    /// Before anything is sent, every path segment is checked with
    /// [`is_path_segment`]: an empty one, `.`, `..` or one with a
    /// control character is refused with [`Error::InvalidRequest`] without a status
    /// ([`Error::is_refused_locally`]).
    ///
    /// The configured key is hidden (replaced with `[REDACTED]`, see
    /// [`SecretMask`](crate::SecretMask)) in what this returns:
    /// - in the response body, before anything reads it: the key as it is and in its
    ///   JSON-escaped and percent-encoded spellings anywhere in the bytes, and inside any
    ///   JSON string (value or object key) whose decoded text holds it, however the vendor
    ///   escaped it (`sk-\u006cive…`). So a decoded value, a [`Response::json`] error and
    ///   an error an adapter builds from the body after `send` carry no key either;
    /// - in every error `send` returns, and before it is logged: each text of it.
    ///
    /// Not hidden: response headers ([`Response::headers`] are as the vendor sent them);
    /// the key split over several JSON strings, or written in another encoding (base64,
    /// percent-encoding of part of it, HTML entities) that an adapter may decode later;
    /// and anything not read through this client (webhook bodies). A key shorter than 8
    /// characters is hidden only where it stands alone.
    ///
    /// The request runs in a `voiceport.request` span (debug level) with `provider`,
    /// `operation`, `method`, for a request about one call `call_id`, and, when the client
    /// has one, `provider_name` (see [`with_provider_name`](Self::with_provider_name)); as
    /// it goes it records `attempt` (the number of the current attempt), `status` (of the
    /// last response, absent until one arrives), `retry_delay_ms` (the wait before the
    /// next attempt, when one is taken), `retry_wait_ms` (every such wait so far: a
    /// subscriber may keep only a field's last value), `vendor_request_id` (the id the
    /// vendor's latest answer that gave one gave the request, in `x-request-id`,
    /// `request-id` or `cf-ray`: what its support asks for) and, at the end, `duration_ms`
    /// (all attempts and waits) and, for a request that failed, `error_kind`
    /// (`Error::name`: `timeout`, `server` …) and `otel.status_code = "ERROR"`. A request dropped before it completes (a
    /// timeout around it, the losing branch of a `select!`) records its `duration_ms` and
    /// `cancelled = true`, and says so: at warn level for a dial, which may have placed a
    /// call, at debug level for the others.
    pub async fn send(&self, request: Request) -> Result<Response> {
        // Hidden should it hold the key (a caller's mistake): spans reach logs.
        let call_id = (request.call_id.as_deref()).map(|id| self.inner.auth.mask().mask_str(id));
        let span = tracing::debug_span!(
            "voiceport.request",
            provider = %self.inner.provider,
            // Left out when the client was not built from a providers file.
            provider_name = self.provider_name.as_deref(),
            operation = %request.operation,
            // Left out when the request is not about one call.
            call_id = call_id.as_deref(),
            method = %request.method,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            retry_delay_ms = tracing::field::Empty,
            retry_wait_ms = tracing::field::Empty,
            vendor_request_id = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            cancelled = tracing::field::Empty,
            error_kind = tracing::field::Empty,
            // `ERROR` when it fails, as on the operation's span.
            otel.status_code = tracing::field::Empty,
        );
        let mut ending = Ending {
            span: span.clone(),
            started: Instant::now(),
            dial: (request.operation == Operation::Dial)
                .then(|| (self.inner.provider, self.provider_name.clone())),
            done: false,
        };
        let result = self
            .send_with_retries(request, &span)
            .instrument(span.clone())
            .await;
        ending.done = true;
        if let Err(error) = &result {
            error.record_on(&span);
        }
        result
    }

    /// Sends with retries, recording on `span`. Every error it returns is masked: none
    /// carries the key, and none is logged before it is masked.
    async fn send_with_retries(
        &self,
        mut request: Request,
        span: &tracing::Span,
    ) -> Result<Response> {
        let provider = self.inner.provider;
        let base = request.base.as_ref().unwrap_or(&self.inner.base_url);
        // A keyless request's URL is its own credential (Vapi's live-control URL): what a
        // server echoes of it (`Cannot POST /<token>/control`) is hidden as the key is.
        let url_masks = match request.keyless {
            true => credential_masks(base),
            false => Vec::new(),
        };
        let masks: Vec<&crate::SecretMask> = std::iter::once(self.inner.auth.mask())
            .chain(self.hidden.iter())
            .chain(&url_masks)
            .collect();
        let mask = |error: Error| masks.iter().fold(error, |error, mask| error.masked(mask));
        self.refuse_before_sending(&request, base).map_err(mask)?;
        // A body that could not be encoded was refused above.
        let body = request.body.take().and_then(std::result::Result::ok);
        let url = endpoint::join(base, &request.segments, &request.query);
        let started = Instant::now();
        let mut attempts = 0;
        // Every wait between attempts, the vendor's `Retry-After` and backoff alike.
        let mut waited = Duration::ZERO;
        // The first attempt that may have taken effect at the vendor, kept: a delete that
        // then finds the call gone is done, and should a write's last attempt never reach
        // the vendor's handling (a refused connection, a 429), the request may still have
        // taken effect, and the error says so. A refusal of the request itself (a 400 "not
        // in progress") is the vendor's word on it, and stays: adapters read it.
        let mut uncertain: Option<Error> = None;
        let dial = request.operation == Operation::Dial;
        loop {
            // A dial not sent yet is not sent after an interrupt (its first attempt, or a
            // retry after a refused connection).
            if dial && Interrupt::current_is_interrupted() {
                tracing::debug!(attempt = attempts, "interrupted: the dial is not sent");
                let operation = request.operation;
                return Err(Error::Interrupted {
                    provider,
                    operation,
                });
            }
            attempts += 1;
            span.record("attempt", attempts);
            // What the vendor's answer says of trying again, where it says (`x-should-retry`).
            let mut vendor_says = None;
            let attempt = self.attempt(
                &request,
                &url,
                body.as_deref(),
                span,
                &masks,
                &mut vendor_says,
            );
            let result = attempt.await;
            // Masked before anything logs it: a vendor may echo the key in any text.
            let error = match result {
                Ok(response) => return Ok(response),
                Err(error) => mask(error),
            };
            // Never sent (the gate dropped its connection, made after the interrupt; or it
            // failed to connect meanwhile): the interrupt is what stops it, as the loop's
            // first check says.
            if dial && retry::never_sent(&error) && Interrupt::current_is_interrupted() {
                continue;
            }
            let gone = matches!(error, Error::NotFound { .. });
            if uncertain.is_some() && request.done_if_gone && gone {
                tracing::debug!(
                    attempt = attempts,
                    "gone after an attempt that may have done it: done"
                );
                return Ok(Response::no_content(provider, request.operation));
            }
            let settings = &self.inner.settings;
            // What lies under the error (a refused connection, a TLS failure, a reset),
            // which its own text does not say: for the log lines below, when they are on.
            let cause = || std::error::Error::source(&error).map(crate::chain_text);
            let retry = &settings.retry;
            match retry::next_step(retry, request.retry, attempts, started, &error, vendor_says) {
                Ok(delay) => {
                    waited += delay;
                    span.record("retry_delay_ms", millis(delay));
                    span.record("retry_wait_ms", millis(waited));
                    tracing::debug!(attempt = attempts, retry_delay_ms = millis(delay), error = %error, cause = cause().as_deref(), "retrying");
                    if uncertain.is_none() && error.outcome() != RequestOutcome::NotApplied {
                        uncertain = Some(error);
                    }
                    // A dial's wait ends with an interrupt, which the loop then reports.
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = Interrupt::current_interrupted(), if dial => {}
                    }
                }
                Err(give_up) => {
                    tracing::debug!(attempt = attempts, reason = give_up.as_str(), error = %error, cause = cause().as_deref(), "giving up");
                    // A read applies nothing: its last error says what went wrong. An
                    // answer that may come again and says nothing was applied (a 429, a
                    // 408) is no word on the request: an earlier attempt may have applied it.
                    let unheard = retry::never_sent(&error)
                        || (error.is_transient() && error.outcome() == RequestOutcome::NotApplied);
                    return Err(match uncertain {
                        Some(earlier) if unheard && !request.operation.is_read() => earlier,
                        _ => error,
                    });
                }
            }
        }
    }

    /// Refuses, before anything is sent, a request that must not go out to `base`: one
    /// with a path segment [`is_path_segment`] refuses, one whose body could not be
    /// encoded, or one to a plain-http URL from a client of an https API. The error is not
    /// masked yet.
    fn refuse_before_sending(&self, request: &Request, base: &Url) -> Result<()> {
        let provider = self.inner.provider;
        if let Some(segment) = request.segments.iter().find(|s| !is_path_segment(s)) {
            return Err(Error::invalid_input(
                provider,
                request.operation,
                format!(
                    "{} cannot be sent as a path segment (an id is never empty, `.` or `..`, and has no control characters); nothing was sent",
                    crate::ids::quoted(segment)
                ),
            ));
        }
        if let Some(Err(message)) = &request.body {
            return Err(Error::invalid_input(
                provider,
                request.operation,
                message.clone(),
            ));
        }
        // A client built for an https base may go through a proxy from the environment,
        // which would read the key sent over plain http.
        if base.scheme() == "http" && self.inner.base_url.scheme() != "http" {
            return Err(Error::invalid_input(
                provider,
                request.operation,
                "a plain-http URL cannot be reached from a client of an https API (a proxy would read the key); nothing was sent",
            ));
        }
        Ok(())
    }

    /// Sends `request` whose answer the caller does not read (an end, a delete, an update
    /// acknowledged by its status), as [`send`](Self::send) does: a success status whose
    /// body then breaks off, or is larger than the body cap, is the success it says, not
    /// an [`Error::AnswerCut`] or [`Error::BodyTooLarge`].
    pub async fn send_only(&self, mut request: Request) -> Result<()> {
        request.answer_unused = true;
        self.send(request).await.map(drop)
    }

    /// One attempt of `request`; an error answer's `x-should-retry` goes to `vendor_says`.
    async fn attempt(
        &self,
        request: &Request,
        url: &Url,
        body: Option<&[u8]>,
        span: &tracing::Span,
        masks: &[&crate::SecretMask],
        vendor_says: &mut Option<bool>,
    ) -> Result<Response> {
        let inner = &*self.inner;
        let (provider, operation) = (inner.provider, request.operation);
        let (auth_name, auth_value) = inner.auth.header();
        let client = match operation {
            Operation::Dial => &inner.dial_client,
            _ => &inner.client,
        };
        let mut builder = client
            .request(request.method.clone(), url.clone())
            .header(ACCEPT, "application/json");
        if !request.keyless {
            builder = builder.header(auth_name, auth_value.clone());
        }
        if let Some(wait) = request.vendor_timeout
            && !inner.settings.timeout_configured
        {
            // Longer only: a shorter one would cut connecting short as a timeout, which
            // says nothing of whether the request was sent.
            builder = builder.timeout(wait.max(inner.settings.timeout));
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value.clone());
        }
        if let Some(body) = body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| transport_error(provider, operation, e))?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        span.record("status", status.as_u16());
        let request_id = vendor_request_id(&headers, masks);
        if let Some(id) = &request_id {
            span.record("vendor_request_id", id.as_str());
        }
        tracing::debug!(
            status = status.as_u16(),
            vendor_request_id = request_id.as_deref(),
            "response"
        );
        if status.is_redirection() {
            // Not followed, and its body is not read: only where it pointed is reported.
            let location = redirect_host(url, &headers, masks);
            return Err(Error::redirected(
                provider,
                operation,
                status.as_u16(),
                location,
            ));
        }
        if status.is_success() {
            let limit = inner.settings.max_body_bytes;
            // A read is a GET, or a read the vendor takes as a POST (Retell's list).
            let read = request.method == Method::GET || request.operation.is_read();
            let body =
                match read_capped(&mut response, limit, provider, operation, status, read).await {
                    Ok(body) => body,
                    // Done, and what the vendor said about it is not read: done it is,
                    // whether its answer broke off or is larger than bodies may be (a
                    // delete answered with the whole deleted call).
                    Err(Error::AnswerCut { .. } | Error::BodyTooLarge { .. })
                        if request.answer_unused =>
                    {
                        Vec::new()
                    }
                    Err(error) => return Err(error),
                };
            return Ok(Response {
                provider,
                operation,
                status: status.as_u16(),
                headers,
                body: hide_secrets(masks, body),
            });
        }
        // Only the start of an error body is read (no more is parsed), and one that is
        // long or broken still leaves the status to act on, with what was read.
        let limit = inner.settings.max_body_bytes.min(MAX_ERROR_BODY);
        let body = read_error_body(&mut response, limit, masks).await;
        let status = match request.not_found_status {
            Some(not_found) if not_found == status.as_u16() => StatusCode::NOT_FOUND,
            _ => status,
        };
        // The vendor's header first; else, where the vendor's SDK retries a conflict, a
        // 409 is tried again.
        *vendor_says = retry::vendor_says_retry(&headers)
            .or((request.conflict_retried && status == StatusCode::CONFLICT).then_some(true));
        Err(status_error(provider, operation, status, &headers, &body))
    }
}

/// The end of a request's span, recorded however the request ends: its duration, and,
/// when the future was dropped before it completed, that it was cancelled.
struct Ending {
    span: tracing::Span,
    started: Instant,
    /// A dial's provider and configured name: dropped, it may have placed a call there.
    dial: Option<(ProviderKind, Option<Arc<str>>)>,
    done: bool,
}

impl Drop for Ending {
    fn drop(&mut self) {
        let duration_ms = millis(self.started.elapsed());
        self.span.record("duration_ms", duration_ms);
        if self.done {
            return;
        }
        self.span.record("cancelled", true);
        let _in_span = self.span.enter();
        if let Some((provider, provider_name)) = &self.dial {
            // Its own fields: the span is at debug level, off where only warnings are on.
            tracing::warn!(
                provider = %provider,
                provider_name = provider_name.as_deref(),
                duration_ms,
                "dial dropped before its answer: a call may have been placed"
            );
        } else {
            tracing::debug!("request dropped before it completed");
        }
    }
}

/// The headers a vendor's answer names its request by, in the order they are looked for.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "request-id", "cf-ray"];

/// The vendor's id of a request, from its answer's headers: cut short and escaped as a
/// vendor value in a log is, and with any secret of `masks` hidden (headers are not
/// otherwise masked).
fn vendor_request_id(headers: &HeaderMap, masks: &[&crate::SecretMask]) -> Option<String> {
    // The first that is text and not blank: a broken one does not hide the next.
    let id = REQUEST_ID_HEADERS.iter().find_map(|name| {
        let id = headers.get(*name)?.to_str().ok()?;
        (!id.trim().is_empty()).then_some(id)
    })?;
    let id = masks
        .iter()
        .fold(id.to_owned(), |id, mask| mask.mask_str(&id).into_owned());
    Some(crate::adapter::shorten(&id))
}

/// A duration in whole milliseconds, for span fields and log events.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The first `limit` bytes of an error body, or fewer, with each secret of `masks` hidden
/// (the key; a keyless URL's token); no prefix of one is left where the body is cut.
///
/// A key the limit cuts would keep its start unmasked: so the read goes on for the
/// longest spelling of the key (`margin`), which holds whole every key that starts before
/// the limit, and the body is masked before it is cut. Masking can shorten it (a
/// spelling of the key longer than `[REDACTED]`) and so bring bytes from past the limit
/// before it: when the body went on past what was read, the masked body's last `margin`
/// bytes, where a key the read cut may start, are dropped too.
async fn read_error_body(
    response: &mut reqwest::Response,
    limit: usize,
    masks: &[&crate::SecretMask],
) -> Vec<u8> {
    let margin = masks
        .iter()
        .map(|mask| mask.longest_spelling())
        .max()
        .unwrap_or(0);
    let read = limit.saturating_add(margin);
    let body = read_prefix(response, read).await;
    let cut = body.len() >= read;
    let mut body = hide_secrets(masks, body);
    let keep = if cut {
        body.len().saturating_sub(margin).min(limit)
    } else {
        limit
    };
    body.truncate(keep);
    body
}

/// The most of an error body read: one byte more than is parsed as JSON, so that a
/// longer body is known as one (and read as text); the rest is never read.
const MAX_ERROR_BODY: usize = error_body::MAX_PARSED + 1;

/// The most a body reader reserves before bytes arrive, whatever `Content-Length` says: a
/// server announcing a huge body must not make the client reserve it up front.
const INITIAL_BODY_CAPACITY: usize = 64 * 1024;

async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
    provider: ProviderKind,
    operation: Operation,
    status: StatusCode,
    read: bool,
) -> Result<Vec<u8>> {
    let too_large = || Error::body_too_large(provider, operation, limit);
    // A body announced over the cap is refused before a byte of it is read.
    let announced = response.content_length().unwrap_or(0);
    if announced > limit as u64 {
        return Err(too_large());
    }
    // Reserve a little, then grow as bytes arrive: doubling, so growing costs amortized
    // constant time per byte, but never past the announced length while the body keeps
    // to it (a 9.4 MiB page ends in a buffer of 9.4 MiB, not 16).
    let reserve = usize::try_from(announced)
        .unwrap_or(usize::MAX)
        .min(INITIAL_BODY_CAPACITY);
    let mut body = Vec::with_capacity(reserve);
    // The vendor has answered: a body that breaks off now leaves the request done.
    let cut = |received: usize, error: reqwest::Error| Error::AnswerCut {
        provider,
        operation,
        status: status.as_u16(),
        received,
        read,
        // Without its URL, as in `transport_error`.
        source: crate::ErrorSource::new(error.without_url()),
    };
    while let Some(chunk) = response.chunk().await.map_err(|e| cut(body.len(), e))? {
        if chunk.len() > limit.saturating_sub(body.len()) {
            return Err(too_large());
        }
        let needed = body.len() + chunk.len();
        if needed > body.capacity() {
            let doubled = body.capacity().saturating_mul(2).max(needed);
            let target = match usize::try_from(announced) {
                Ok(announced) if announced >= needed => doubled.min(announced),
                _ => doubled,
            };
            body.reserve_exact(target - body.len());
        }
        body.extend_from_slice(&chunk);
    }
    // A UTF-8 byte-order mark (which some servers put before JSON) is no part of the JSON:
    // every decoder would refuse the body, as `voiceport normalize` does not.
    let mark = body.len() - crate::adapter::strip_bom(&body).len();
    body.drain(..mark);
    Ok(body)
}

/// The first `limit` bytes of a body (an error's), or fewer when it ends or breaks
/// first: the rest is dropped unread, with the connection.
async fn read_prefix(response: &mut reqwest::Response, limit: usize) -> Vec<u8> {
    let announced = response.content_length().unwrap_or(0);
    let reserve = usize::try_from(announced).unwrap_or(usize::MAX).min(limit);
    let mut body = Vec::with_capacity(reserve);
    while body.len() < limit {
        let Ok(Some(chunk)) = response.chunk().await else {
            break;
        };
        let room = limit - body.len();
        body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
    }
    body
}

fn transport_error(provider: ProviderKind, operation: Operation, error: reqwest::Error) -> Error {
    // A connect error means no byte of the request left this machine; nor does a builder
    // error (a URL past the URI limit), raised before connecting.
    let sent = !(error.is_connect() || error.is_builder());
    if error.is_timeout() {
        Error::Timeout {
            provider,
            operation,
            sent,
        }
    } else {
        // Without its URL: a Vapi control URL carries a secret in its path, and the
        // error's text reaches logs and `-v` output.
        Error::transport(provider, operation, sent, error.without_url())
    }
}

fn status_error(
    provider: ProviderKind,
    operation: Operation,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let vendor = error_body::parse_error_body(body);
    let retry_after = retry::parse_retry_after(headers, chrono::Utc::now());
    let code = status.as_u16();
    Error::from_status(provider, operation, code, vendor.message, vendor.details)
        .with_retry_after(retry_after)
}
