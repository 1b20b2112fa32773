//! What an adapter sends and what it gets back: [`Request`], the request it describes
//! before [`HttpClient::send`](super::HttpClient::send) sends it, and [`Response`], a
//! successful answer read in full.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{HeaderMap, HeaderName, HeaderValue, Method, RetryMode, decode_json};
use crate::{Operation, ProviderKind, Result};

/// One request to a vendor, described before it is sent.
///
/// `Debug` shows where it goes and how, not what it carries: a second base URL by its
/// host alone (a keyless one is a credential), the query and headers by name (a filter's
/// value may be a customer's number), the body by its length.
pub struct Request {
    pub(super) method: Method,
    pub(super) operation: Operation,
    pub(super) segments: Vec<String>,
    pub(super) query: Vec<(String, String)>,
    pub(super) body: Option<std::result::Result<Vec<u8>, String>>,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) retry: RetryMode,
    /// A not-found answer to a retry, after an attempt that may have taken effect, is
    /// that attempt's success ([`Request::done_if_gone`]).
    pub(super) done_if_gone: bool,
    /// A success whose body breaks off is a success ([`HttpClient::send_only`], and
    /// [`Request::done_if_gone`]).
    ///
    /// [`HttpClient::send_only`]: super::HttpClient::send_only
    pub(super) answer_unused: bool,
    /// The status that means not found on this endpoint, where it is not 404
    /// ([`Request::not_found_status`]).
    pub(super) not_found_status: Option<u16>,
    /// A 409 is sent again as a passing conflict would be ([`Request::retried_on_conflict`]).
    pub(super) conflict_retried: bool,
    pub(super) call_id: Option<String>,
    pub(super) base: Option<Url>,
    /// Sent without the API key ([`Request::without_key`]).
    pub(super) keyless: bool,
    /// How long the vendor's own client waits for this endpoint ([`Request::vendor_timeout`]).
    pub(super) vendor_timeout: Option<Duration>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        let query_names: Vec<&str> = self.query.iter().map(|(name, _)| name.as_str()).collect();
        let body = self.body.as_ref().map(|body| match body {
            Ok(bytes) => format!("{} bytes", bytes.len()),
            Err(_) => "not encodable".to_owned(),
        });
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("operation", &self.operation)
            .field("segments", &self.segments)
            .field("query", &query_names)
            .field("body", &body)
            .field("headers", &header_names)
            .field("retry", &self.retry)
            .field("done_if_gone", &self.done_if_gone)
            .field("answer_unused", &self.answer_unused)
            .field("not_found_status", &self.not_found_status)
            .field("conflict_retried", &self.conflict_retried)
            .field("call_id", &self.call_id)
            .field("base_host", &self.base.as_ref().and_then(Url::host_str))
            .field("keyless", &self.keyless)
            .field("vendor_timeout", &self.vendor_timeout)
            .finish()
    }
}

impl Request {
    /// A request for `operation` to the base URL plus `segments`, each percent-encoded as
    /// one path segment (an id containing `/` cannot reach another path). A segment that
    /// is empty, `.`, `..` or holds a control character is refused when the request is
    /// sent, before anything leaves the machine. A dial is never retried once it may have
    /// been sent, whatever the request says later ([`RetryMode::NotAfterSend`]); nor is a
    /// note added or a vendor's own write ([`Operation::Extension`]; its reads are
    /// [`Operation::ExtensionRead`]), which [`Error::is_retryable`](crate::Error::is_retryable)
    /// counts among the requests that may create something.
    pub fn new<I, S>(method: Method, operation: Operation, segments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Request {
            method,
            operation,
            segments: segments.into_iter().map(Into::into).collect(),
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            retry: match operation {
                Operation::Dial | Operation::AddNote | Operation::Extension(_) => {
                    RetryMode::NotAfterSend
                }
                _ => RetryMode::Idempotent,
            },
            done_if_gone: false,
            answer_unused: false,
            not_found_status: None,
            conflict_retried: false,
            call_id: None,
            base: None,
            keyless: false,
            vendor_timeout: None,
        }
    }

    /// A `GET`.
    pub fn get<I: IntoIterator<Item = S>, S: Into<String>>(
        operation: Operation,
        segments: I,
    ) -> Self {
        Request::new(Method::GET, operation, segments)
    }

    /// A `POST`.
    pub fn post<I: IntoIterator<Item = S>, S: Into<String>>(
        operation: Operation,
        segments: I,
    ) -> Self {
        Request::new(Method::POST, operation, segments)
    }

    /// A `PATCH`.
    pub fn patch<I: IntoIterator<Item = S>, S: Into<String>>(
        operation: Operation,
        segments: I,
    ) -> Self {
        Request::new(Method::PATCH, operation, segments)
    }

    /// A `DELETE`.
    pub fn delete<I: IntoIterator<Item = S>, S: Into<String>>(
        operation: Operation,
        segments: I,
    ) -> Self {
        Request::new(Method::DELETE, operation, segments)
    }

    /// Adds a query parameter.
    #[must_use]
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Adds every `(key, value)` pair as a query parameter, in order.
    #[must_use]
    pub fn query_pairs<K, V>(mut self, pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: ToString,
    {
        self.query
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.to_string())));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    #[must_use]
    pub fn query_opt<V: ToString>(self, key: impl Into<String>, value: Option<V>) -> Self {
        match value {
            Some(value) => self.query(key, value),
            None => self,
        }
    }

    /// Sets a JSON body.
    #[must_use]
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.body = Some(
            serde_json::to_vec(body).map_err(|e| format!("cannot encode the request body: {e}")),
        );
        self
    }

    /// Adds a header (not for secrets: the API key is added by the client).
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Marks the request as creating something: it is retried only when it certainly was
    /// not sent (a connection refused), never after it may have reached the vendor.
    #[must_use]
    pub fn not_retried_after_send(mut self) -> Self {
        self.retry = RetryMode::NotAfterSend;
        self
    }

    /// For a delete whose answer is not read: when an attempt may have taken effect (a
    /// timeout, a broken connection or a 5xx after sending) and the retry finds the thing
    /// gone (404/410), the delete succeeded, and the answer is an empty 204 instead of
    /// [`Error::NotFound`]. A first attempt answered not-found stays an error. A success
    /// whose body breaks off, or is larger than the body cap, is the success it says, as
    /// with [`HttpClient::send_only`].
    ///
    /// [`Error::NotFound`]: crate::Error::NotFound
    /// [`HttpClient::send_only`]: super::HttpClient::send_only
    #[must_use]
    pub fn done_if_gone(mut self) -> Self {
        self.done_if_gone = true;
        self.answer_unused = true;
        self
    }

    /// For a vendor that answers an unknown id with another status than 404 (Retell: 422):
    /// on this request, `status` is [`Error::NotFound`], with the vendor's message. Mapped
    /// as the answer is read, so retries and [`Request::done_if_gone`] see a not-found.
    ///
    /// [`Error::NotFound`]: crate::Error::NotFound
    #[must_use]
    pub fn not_found_status(mut self, status: u16) -> Self {
        self.not_found_status = Some(status);
        self
    }

    /// For a vendor whose own SDK sends a request again after a 409 (Retell's, as every
    /// Stainless-built SDK does, taking a conflict for a lock that will be let go): on this
    /// request a 409 is retried as a 503 would be, within the retry policy, unless the
    /// answer's `x-should-retry` says otherwise. A request that creates something is still
    /// never sent again once it may have arrived, and a 409 left when the retries are spent
    /// is [`Error::Conflict`](crate::Error::Conflict), as ever.
    #[must_use]
    pub fn retried_on_conflict(mut self) -> Self {
        self.conflict_retried = true;
        self
    }

    /// Names the call the request is about (for tracing).
    #[must_use]
    pub fn call_id(mut self, id: impl Into<String>) -> Self {
        self.call_id = Some(id.into());
        self
    }

    /// Sends this request to another base URL of the same vendor (a second host). A
    /// plain-http URL is refused (before sending) by a client of an https API, which may
    /// reach it through a proxy from the environment.
    #[must_use]
    pub fn with_base(mut self, base: Url) -> Self {
        self.base = Some(base);
        self
    }

    /// Sends this request without the API key: for a URL that is its own credential
    /// (Vapi's live-control URL of a call), which the key need not reach.
    #[must_use]
    pub fn without_key(mut self) -> Self {
        self.keyless = true;
        self
    }

    /// How long the vendor's own client waits for this endpoint, which it says is slow
    /// (Retell's list of calls: 300 s): one attempt waits as long, never less than the
    /// connection's `timeout`, unless the configuration sets `timeout_secs`, which then
    /// holds.
    #[must_use]
    pub fn vendor_timeout(mut self, wait: Duration) -> Self {
        self.vendor_timeout = Some(wait);
        self
    }

    /// How long the vendor says this endpoint may take, where it says
    /// ([`Request::vendor_timeout`]).
    pub fn vendor_wait(&self) -> Option<Duration> {
        self.vendor_timeout
    }

    /// Its retry mode.
    pub fn retry_mode(&self) -> RetryMode {
        self.retry
    }
}

/// A successful (2xx) response, body read in full (within the cap), with every
/// occurrence of the configured key replaced by `[REDACTED]`. `Debug` shows its status,
/// the names of its headers and its body's length, not their contents (a body holds
/// transcripts and phone numbers; a header may hold a session cookie).
pub struct Response {
    pub(super) provider: ProviderKind,
    pub(super) operation: Operation,
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        f.debug_struct("Response")
            .field("provider", &self.provider)
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("headers", &names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Response {
    /// An empty 204: what a request marked [`Request::done_if_gone`] answers when its
    /// retry finds the work done.
    pub(super) fn no_content(provider: ProviderKind, operation: Operation) -> Self {
        Response {
            provider,
            operation,
            status: 204,
            headers: HeaderMap::new(),
            body: Vec::new(),
        }
    }

    /// Decodes the body as JSON into `T` (borrowing from the body where `T` borrows).
    pub fn json<'de, T: Deserialize<'de>>(&'de self) -> Result<T> {
        decode_json(self.provider, self.operation, &self.body)
    }

    /// Whether the body is empty or only whitespace (for endpoints that answer with none).
    pub fn is_empty(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// The `Location` header, if any (a `201 Created` may name the new resource; a
    /// redirect never reaches a `Response`: it is [`Error::Redirected`]).
    ///
    /// [`Error::Redirected`]: crate::Error::Redirected
    pub fn location(&self) -> Option<&str> {
        self.headers.get(http::header::LOCATION)?.to_str().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What may create something is never retried once it may have been sent: a dial, a
    /// note, a vendor's own write; reads and the rest are.
    #[test]
    fn requests_that_may_create_are_not_retried_after_send_by_default() {
        let mode = |method: Method, operation| Request::new(method, operation, ["x"]).retry_mode();
        for operation in [
            Operation::Dial,
            Operation::AddNote,
            Operation::Extension("set_rating"),
        ] {
            assert_eq!(
                mode(Method::POST, operation),
                RetryMode::NotAfterSend,
                "{operation}"
            );
        }
        for (method, operation) in [
            (Method::GET, Operation::GetCall),
            (Method::GET, Operation::ExtensionRead("usage")),
            (Method::PATCH, Operation::UpdateCall),
            (Method::DELETE, Operation::DeleteNote),
        ] {
            assert_eq!(
                mode(method, operation),
                RetryMode::Idempotent,
                "{operation}"
            );
        }
    }

    /// A request's `Debug` (an application may log one) names its host, not a keyless
    /// URL's token, and its query, headers and body by name and length, not their values.
    #[test]
    fn a_request_debug_keeps_no_credential_or_content() {
        let token = "c7e2a91f4b6d4f0e8a35d2b9e1f07c64";
        let control = Url::parse(&format!("https://phone.vapi.ai/{token}/control")).unwrap();
        let request = Request::post(Operation::EndCall, [""; 0])
            .with_base(control)
            .without_key()
            .header(
                HeaderName::from_static("x-organization-id"),
                HeaderValue::from_static("org-secretish"),
            )
            .query("to_number", "+14155550187")
            .json(&serde_json::json!({"type": "end-call", "note": "private words"}));
        let shown = format!("{request:?}");
        for hidden in [token, "org-secretish", "private words", "+14155550187"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        for kept in [
            "phone.vapi.ai",
            "x-organization-id",
            "to_number",
            "bytes",
            "EndCall",
        ] {
            assert!(shown.contains(kept), "{kept}: {shown}");
        }
    }
}
