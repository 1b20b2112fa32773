//! One error type for every provider and operation.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{CallId, CallStatus, Operation, ProviderKind, SecretMask};

/// A `Result` with voiceport's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem with one field of a request, as the vendor reported it (or as voiceport did,
/// refusing a request before sending it: a setting it lacks, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name or path, as the vendor gives it (may be empty).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Whether a failed request may still have taken effect at the vendor.
///
/// This matters for requests that are not idempotent, above all `dial`: a phone must not ring
/// twice, so a caller that sees [`RequestOutcome::Unknown`] should look the call up before
/// dialing again: list by the number called, and tell the call apart by an id of your own
/// in its metadata. Leave the time range out where
/// [`Capabilities::time_range_on_start`](crate::Capabilities::time_range_on_start) is set
/// (Rounded, Retell): a call still ringing has no start, and is in no range there.
///
/// `Display` writes it for a log line or a message: `not applied`, `unknown` or `applied`.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::RequestOutcome;
/// assert_eq!(format!("outcome: {}", RequestOutcome::NotApplied), "outcome: not applied");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestOutcome {
    /// The request never reached the vendor, or the vendor refused it (4xx): nothing happened.
    NotApplied,
    /// The request may or may not have taken effect (sent, then timeout, reset or 5xx; a
    /// refusal inside a success answer; a dial refused as a conflict).
    Unknown,
    /// The vendor accepted the request (2xx) but its answer could not be read.
    Applied,
}

impl std::fmt::Display for RequestOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RequestOutcome::NotApplied => "not applied",
            RequestOutcome::Unknown => "unknown",
            RequestOutcome::Applied => "applied",
        })
    }
}

/// Everything that can go wrong talking to a voice vendor.
///
/// Each variant that comes of a request names the provider and the operation (a
/// [`Config`](Error::Config) error names the configuration field instead,
/// [`InvalidArgument`](Error::InvalidArgument) what was refused, and
/// [`WaitTimedOut`](Error::WaitTimedOut) the call); secrets never appear in any of them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The vendor refused the request's credentials (HTTP 401 or 403): usually the API
    /// key; a 403 may also come of a proxy or firewall in front of the vendor, as its
    /// message then says.
    #[error(
        "{provider} {operation}: unauthorized (HTTP {status}){}",
        said_beside(message, *status)
    )]
    Unauthorized {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// 401 or 403.
        status: u16,
        /// The vendor's message, if it sent one.
        message: Option<String>,
    },

    /// The call (or note) does not exist (HTTP 404).
    #[error(
        "{provider} {operation}: not found{}{}",
        path_hint(*operation, message),
        said_beside(message, 404)
    )]
    NotFound {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The vendor's message, if it sent one.
        message: Option<String>,
    },

    /// Too many requests (HTTP 429): still refused once the retry budget is spent, or at
    /// once when a `Retry-After` asks for a wait longer than the budget has left (read as
    /// at most a day), and for a dial, which a 429 does not retry.
    #[error(
        "{provider} {operation}: rate limited{}{}",
        retry_after_suffix(retry_after),
        said_beside(message, 429)
    )]
    RateLimited {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// How long the vendor asked to wait, from `Retry-After`.
        retry_after: Option<Duration>,
        /// The vendor's message, if it sent one.
        message: Option<String>,
    },

    /// The request was rejected as invalid: by the vendor (HTTP 400/422; or an error inside
    /// a 2xx answer that names no error status, as Rounded's envelope can, carrying the
    /// status below 400 it names, else 200), or by voiceport before sending it (`status` is
    /// `None`).
    #[error(
        "{provider} {operation}: invalid request{}: {message}{}",
        status_suffix(status),
        details_suffix(details, message)
    )]
    InvalidRequest {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The HTTP status, or `None` when voiceport refused the request itself.
        status: Option<u16>,
        /// What is wrong.
        message: String,
        /// Per-field problems, when the vendor lists them.
        details: Vec<FieldError>,
    },

    /// The request conflicts with the call's state (HTTP 409).
    #[error("{provider} {operation}: conflict{}", said_beside(message, 409))]
    Conflict {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The vendor's message, if it sent one.
        message: Option<String>,
    },

    /// The vendor failed (HTTP 5xx), still after the retry budget where retries were allowed.
    #[error(
        "{provider} {operation}: vendor server error (HTTP {status}){}{}",
        retry_after_suffix(retry_after),
        said_beside(message, *status)
    )]
    Server {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The 5xx status.
        status: u16,
        /// How long the vendor asked to wait, from `Retry-After`.
        retry_after: Option<Duration>,
        /// The vendor's message, if it sent one.
        message: Option<String>,
    },

    /// An HTTP status voiceport has no better kind for.
    #[error(
        "{provider} {operation}: unexpected HTTP {status}{}",
        said_beside(message, *status)
    )]
    UnexpectedStatus {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The status.
        status: u16,
        /// The vendor's message, if it sent one.
        message: Option<String>,
    },

    /// The vendor answered with a redirect (HTTP 3xx). voiceport never follows one (it would
    /// carry the API key to wherever it points), so nothing was read and, for a write, it is
    /// not known whether the vendor acted on the request before redirecting.
    #[error(
        "{provider} {operation}: the vendor redirected (HTTP {status}) to {}; redirects are not followed, so the request did not complete (if the API moved, set base_url to its new address)",
        location.as_deref().unwrap_or("an unnamed location")
    )]
    Redirected {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The 3xx status.
        status: u16,
        /// The host (and port) the redirect pointed to, when it named one; never the path
        /// or query, which may carry signatures.
        location: Option<String>,
    },

    /// No answer in time (connect or total timeout).
    #[error("{provider} {operation}: timed out{}", sent_suffix(*sent, *operation))]
    Timeout {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// Whether the request may have reached the vendor.
        sent: bool,
    },

    /// The connection failed or broke.
    #[error("{provider} {operation}: connection failed{}", sent_suffix(*sent, *operation))]
    Transport {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// Whether the request may have reached the vendor.
        sent: bool,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The response body was larger than the configured cap.
    #[error(
        "{provider} {operation}: the answer is larger than the {} cap (max_body_bytes)",
        byte_size(*limit)
    )]
    BodyTooLarge {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The cap, in bytes.
        limit: usize,
    },

    /// The vendor accepted the request (a 2xx status) but its answer's body broke off
    /// before its end (a reset, a timeout): the request took effect
    /// ([`RequestOutcome::Applied`]), what it answered is lost. A read (a `GET`, or a read
    /// the vendor takes as a `POST`, as Retell's list of calls) is worth trying again; a
    /// write is not sent again, as it was done. (A write whose answer is not read
    /// succeeds: see [`HttpClient::send_only`](crate::http::HttpClient::send_only).)
    #[error(
        "{provider} {operation}: the vendor answered {status}, then its body broke off after {received} bytes{}",
        if *read { "" } else { " (the request took effect)" }
    )]
    AnswerCut {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The success status the vendor answered with.
        status: u16,
        /// How many bytes of the body arrived.
        received: usize,
        /// Whether the request only read (a `GET`, or an operation that
        /// [reads](Operation::is_read)): trying it again is safe.
        read: bool,
        /// Why it broke off.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The vendor's JSON did not have the expected shape.
    #[error(
        "{provider} {operation}: cannot decode {} at `{path}`: {message}{}",
        decoded_body(*operation),
        body_suffix(excerpt)
    )]
    Decode {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The JSON path of the offending value, such as `calls[3].metadata.tags`.
        path: String,
        /// What was wrong there.
        message: String,
        /// A short excerpt of the body around the problem.
        excerpt: String,
    },

    /// The request was not sent: the [`Interrupt`](crate::Interrupt) it ran under was
    /// thrown first (a dial after Ctrl-C). Nothing happened at the vendor.
    #[error("{provider} {operation}: interrupted before the request was sent")]
    Interrupted {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
    },

    /// The vendor (or this adapter) does not offer this operation, or cannot take a field
    /// of it ([`Operation::DialOption`], [`Operation::UpdateField`],
    /// [`Operation::ListFilter`]). Operations, filters and scheduled dials have a flag in
    /// [`Capabilities`](crate::Capabilities); other dial fields do not, and `reason` says
    /// why. Nothing was sent.
    #[error("{provider} does not support {operation}{}", reason_suffix(reason.as_deref()))]
    Unsupported {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// Why, and what to do instead, when the adapter can say (`from_number` refused:
        /// "HappyRobot dials from a purchased number; set `phone_number_id`").
        reason: Option<String>,
    },

    /// [`wait_until_ended`](crate::VoiceProviderExt::wait_until_ended) gave up: the call had
    /// not reached a terminal status in the time allowed. Nothing failed at the vendor.
    #[error(
        "{provider} wait_until_ended: call {call_id} is still {last_status} after {:.1}s",
        waited.as_secs_f64()
    )]
    WaitTimedOut {
        /// Which vendor.
        provider: ProviderKind,
        /// The call waited for.
        call_id: CallId,
        /// Its status at the last poll.
        last_status: CallStatus,
        /// How long voiceport waited.
        waited: Duration,
    },

    /// The configuration is unusable.
    #[error("configuration error at `{field}`: {message}")]
    Config {
        /// The offending field, as a path such as `providers.sales.api_key_env`.
        field: String,
        /// What is wrong with it.
        message: String,
    },

    /// voiceport refused how it was called, before asking any provider: a cursor token
    /// that is not one, or that belongs to another walk; a qualified id whose `NAME:`
    /// names no configured provider; a merged walk that selects no provider, or runs
    /// outside a Tokio runtime; a dial through a route that sets one account's fields.
    /// Nothing was sent. The fix is in the call, not in the configuration (a refusal of
    /// what one provider can take is [`InvalidRequest`](Error::InvalidRequest), naming it).
    #[error("invalid {argument}: {message}")]
    InvalidArgument {
        /// What was refused: `cursor`, `id`, `selection`, `runtime`, `request`; or, for a
        /// name that names nothing ([`UnknownNameError`](crate::UnknownNameError)), what
        /// it was to name (`call status`, `provider kind`, `direction`, `end reason
        /// category`).
        argument: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Where an [`Error::cursor_cycle`] is: no other error names this path.
const CURSOR_CYCLE_PATH: &str = "next cursor";

/// Where an [`Error::cursor_too_long`] is: apart from the cycle's, so that
/// [`Error::is_cursor_cycle`] does not call it one.
const CURSOR_LENGTH_PATH: &str = "next cursor (length)";

/// `": {message}"`, unless the vendor's message only repeats the reason phrase of the
/// answer's `status` (`Unauthorized` with a 401, `Not Found` with a 404), which the error's
/// own words say already. A phrase of another status is kept: it says something.
fn said_beside(message: &Option<String>, status: u16) -> String {
    match message.as_deref() {
        Some(message) if !is_reason_phrase(message, status) => format!(": {message}"),
        _ => String::new(),
    }
}

/// Whether `message` is no more than `status`'s reason phrase, as many servers answer an
/// error with (`{"message": "Unauthorized"}`).
fn is_reason_phrase(message: &str, status: u16) -> bool {
    let phrase = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason());
    let said = message.trim().trim_end_matches('.');
    phrase.is_some_and(|phrase| said.eq_ignore_ascii_case(phrase))
}

/// After a 404 to a request that names no call (a listing, a dial): what is not there is
/// the API path (`base_url` with a wrong path), when the vendor's message says no more than
/// a router does; else the path or something the request names (an agent, a number).
fn path_hint(operation: Operation, message: &Option<String>) -> &'static str {
    if !matches!(
        operation,
        Operation::ListCalls | Operation::ListFilter(_) | Operation::Dial
    ) {
        return "";
    }
    let routing = message.as_deref().is_none_or(|message| {
        is_reason_phrase(message, 404) || message.trim_start().starts_with("Cannot ")
    });
    match routing {
        true => " (the vendor has no such API path: check base_url)",
        false => " (the API path, or something the request names, is not there)",
    }
}

fn status_suffix(status: &Option<u16>) -> String {
    match status {
        // Rounded's envelope: an error inside a success answer, naming this status (or
        // none: 200).
        Some(s @ ..=399) => format!(" (an error inside a success answer, status {s})"),
        Some(s) => format!(" (HTTP {s})"),
        None => String::new(),
    }
}

/// `bytes` in the largest binary unit that says it whole (`64 MiB`, `1536 KiB`), else in
/// bytes.
fn byte_size(bytes: usize) -> String {
    match bytes {
        0 => "0-byte".to_owned(),
        b if b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b}-byte"),
    }
}

fn retry_after_suffix(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(" (retry after {:.1}s)", d.as_secs_f64()))
        .unwrap_or_default()
}

/// The details in brackets, but those the message says already (a setting it names in
/// backquotes, and whose detail says only that it is required).
fn details_suffix(details: &[FieldError], message: &str) -> String {
    let said = |d: &FieldError| {
        d.message == "required"
            && !d.field.is_empty()
            && message.contains(&format!("`{}`", d.field))
    };
    let items: Vec<String> = details
        .iter()
        .filter(|d| !said(d))
        .map(|d| {
            if d.field.is_empty() {
                d.message.clone()
            } else {
                format!("{}: {}", d.field, d.message)
            }
        })
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!(" [{}]", items.join("; "))
}

/// Whether `source` is the HTTP client's refusal to build a request (nothing was sent,
/// and sending it again fails the same way).
fn is_builder_error(source: &(dyn std::error::Error + 'static)) -> bool {
    source
        .downcast_ref::<reqwest::Error>()
        .is_some_and(reqwest::Error::is_builder)
}

/// Whether a transport error comes of a TLS handshake that failed (a certificate refused,
/// a server that does not speak TLS): it fails the same way every time. The TLS layer's
/// error reaches here as an I/O error of kind `InvalidData`, possibly wrapped in another
/// I/O error (whose `source` skips it: its `get_ref` does not).
fn is_tls_failure(source: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(source);
    while let Some(error) = next {
        let mut io = error.downcast_ref::<std::io::Error>();
        while let Some(layer) = io {
            if layer.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
            io = (layer.get_ref()).and_then(|inner| inner.downcast_ref::<std::io::Error>());
        }
        next = error.source();
    }
    false
}

/// Whether the request went out: for a write, whether it may have taken effect; a read
/// that may have reached the vendor changed nothing there, and says nothing of it.
fn sent_suffix(sent: bool, operation: Operation) -> &'static str {
    match (sent, operation.is_read()) {
        (true, true) => "",
        (true, false) => " (the request may have reached the vendor)",
        (false, _) => " (the request was not sent)",
    }
}

/// `" (body: {excerpt})"` after an [`Error::Decode`]'s message, when there is an excerpt
/// (a walk's cursor errors have none: no body is wrong, the walk is).
fn body_suffix(excerpt: &str) -> String {
    match excerpt {
        "" => String::new(),
        excerpt => format!(" (body: {excerpt})"),
    }
}

/// What an [`Error::Decode`] could not decode: a webhook is a request the vendor sent, not
/// a response to one of ours.
fn decoded_body(operation: Operation) -> &'static str {
    match operation {
        Operation::ParseWebhook => "the webhook body",
        _ => "response",
    }
}

/// `": {reason}"` after an [`Error::Unsupported`]'s message, when it has one.
fn reason_suffix(reason: Option<&str>) -> String {
    reason.map(|r| format!(": {r}")).unwrap_or_default()
}

impl Error {
    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(provider: ProviderKind, operation: Operation) -> Self {
        Error::Unsupported {
            provider,
            operation,
            reason: None,
        }
    }

    /// [`Error::Unsupported`] saying why, and what to do instead.
    pub fn unsupported_because(
        provider: ProviderKind,
        operation: Operation,
        reason: impl Into<String>,
    ) -> Self {
        Error::Unsupported {
            provider,
            operation,
            reason: Some(reason.into()),
        }
    }

    /// An [`Error::Decode`] built by hand (a value that decoded but cannot be used, such as
    /// an empty id), with an excerpt of `body` around nothing in particular: its start.
    pub fn decode(
        provider: ProviderKind,
        operation: Operation,
        path: impl Into<String>,
        message: impl Into<String>,
        body: &[u8],
    ) -> Self {
        Error::Decode {
            provider,
            operation,
            // A path may hold a vendor's map key, of any length and any characters.
            path: crate::http::decode::bounded_path(&path.into()),
            // An adapter's message may quote a vendor value, of any length: it is cut in
            // the middle as serde's are, and a URL there keeps its host only.
            message: crate::http::decode::bounded_message(&message.into()),
            excerpt: crate::http::excerpt(body),
        }
    }

    /// The error an HTTP `status` (of a vendor's answer, or named inside one) stands for,
    /// with the vendor's `message` and field `details`: 400/422 invalid request, 401/403
    /// unauthorized, 404/410 not found, 409 conflict, 429 rate limited, 5xx server error,
    /// any other unexpected (details are kept by an invalid request only; no wait to
    /// retry after).
    pub fn from_status(
        provider: ProviderKind,
        operation: Operation,
        status: u16,
        message: Option<String>,
        details: Vec<FieldError>,
    ) -> Self {
        match status {
            400 | 422 => Error::InvalidRequest {
                provider,
                operation,
                status: Some(status),
                message: message.unwrap_or_else(|| {
                    let reason = http::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|status| status.canonical_reason());
                    reason.unwrap_or("rejected").to_owned()
                }),
                details,
            },
            401 | 403 => Error::Unauthorized {
                provider,
                operation,
                status,
                message,
            },
            404 | 410 => Error::NotFound {
                provider,
                operation,
                message,
            },
            409 => Error::Conflict {
                provider,
                operation,
                message,
            },
            429 => Error::RateLimited {
                provider,
                operation,
                retry_after: None,
                message,
            },
            500..=599 => Error::Server {
                provider,
                operation,
                status,
                retry_after: None,
                message,
            },
            _ => Error::UnexpectedStatus {
                provider,
                operation,
                status,
                message,
            },
        }
    }

    /// The same error with the wait the vendor asked for, where its kind carries one
    /// (rate limited, server error).
    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        if let Error::RateLimited { retry_after, .. } | Error::Server { retry_after, .. } =
            &mut self
        {
            *retry_after = wait;
        }
        self
    }

    /// The same error named for `operation`: for an operation done through another (a
    /// transcript read from its call, a note read back after it was written), so that the
    /// error names what the caller asked for. An error that names no operation is as it is.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Error, Operation, ProviderKind};
    ///
    /// let read = Error::from_status(ProviderKind::Retell, Operation::GetCall, 404, None, Vec::new());
    /// let error = read.for_operation(Operation::GetTranscript);
    /// assert_eq!(error.operation(), Some(Operation::GetTranscript));
    /// assert!(error.to_string().starts_with("retell get_transcript: not found"));
    /// ```
    #[must_use]
    pub fn for_operation(mut self, operation: Operation) -> Self {
        match &mut self {
            Error::Unauthorized { operation: op, .. }
            | Error::NotFound { operation: op, .. }
            | Error::RateLimited { operation: op, .. }
            | Error::InvalidRequest { operation: op, .. }
            | Error::Conflict { operation: op, .. }
            | Error::Server { operation: op, .. }
            | Error::UnexpectedStatus { operation: op, .. }
            | Error::Redirected { operation: op, .. }
            | Error::Timeout { operation: op, .. }
            | Error::Transport { operation: op, .. }
            | Error::BodyTooLarge { operation: op, .. }
            | Error::AnswerCut { operation: op, .. }
            | Error::Decode { operation: op, .. }
            | Error::Unsupported { operation: op, .. }
            | Error::Interrupted { operation: op, .. } => *op = operation,
            Error::WaitTimedOut { .. } | Error::Config { .. } | Error::InvalidArgument { .. } => {}
        }
        self
    }

    /// The vendor handed back a page cursor it had already given in the same walk
    /// (`message` says which): an [`Error::Decode`] at `next cursor`. Paging would never
    /// end, and resuming at that cursor would go round again.
    ///
    /// The message is bounded as every decode error's is: a cursor quoted in it may be
    /// a token of up to [`MAX_CURSOR_TOKEN_BYTES`](crate::MAX_CURSOR_TOKEN_BYTES), even
    /// a URL with a signed query.
    pub fn cursor_cycle(provider: ProviderKind, message: impl Into<String>) -> Self {
        Error::Decode {
            provider,
            operation: Operation::ListCalls,
            path: CURSOR_CYCLE_PATH.into(),
            message: crate::http::decode::bounded_message(&message.into()),
            excerpt: String::new(),
        }
    }

    /// Whether this is an [`Error::cursor_cycle`]: a walk that cannot go further, and
    /// that no cursor resumes.
    pub fn is_cursor_cycle(&self) -> bool {
        matches!(self, Error::Decode { operation: Operation::ListCalls, path, .. } if path == CURSOR_CYCLE_PATH)
    }

    /// The vendor handed back a page cursor whose token is `length` bytes, longer than
    /// the [`MAX_CURSOR_TOKEN_BYTES`](crate::MAX_CURSOR_TOKEN_BYTES) a page walk
    /// follows: an [`Error::Decode`] at `next cursor (length)`. The walk stops there, and
    /// resuming at the page that named it would meet the same cursor.
    pub fn cursor_too_long(provider: ProviderKind, length: usize) -> Self {
        Error::Decode {
            provider,
            operation: Operation::ListCalls,
            path: CURSOR_LENGTH_PATH.into(),
            message: format!(
                "the vendor returned a next cursor of {length} bytes, longer than the {} bytes a page walk follows; paging stops here",
                crate::MAX_CURSOR_TOKEN_BYTES
            ),
            excerpt: String::new(),
        }
    }

    /// Whether this is an [`Error::cursor_too_long`]: a walk that cannot go further.
    pub fn is_cursor_too_long(&self) -> bool {
        matches!(self, Error::Decode { operation: Operation::ListCalls, path, .. } if path == CURSOR_LENGTH_PATH)
    }

    /// Shorthand for [`Error::Config`].
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid_argument(argument: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument: argument.into(),
            message: message.into(),
        }
    }

    /// Shorthand for an [`Error::InvalidRequest`] raised before sending anything.
    pub fn invalid_input(
        provider: ProviderKind,
        operation: Operation,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidRequest {
            provider,
            operation,
            status: None,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// The vendor, where the error concerns one.
    pub fn provider(&self) -> Option<ProviderKind> {
        match self {
            Error::Unauthorized { provider, .. }
            | Error::NotFound { provider, .. }
            | Error::RateLimited { provider, .. }
            | Error::InvalidRequest { provider, .. }
            | Error::Conflict { provider, .. }
            | Error::Server { provider, .. }
            | Error::UnexpectedStatus { provider, .. }
            | Error::Redirected { provider, .. }
            | Error::Timeout { provider, .. }
            | Error::Transport { provider, .. }
            | Error::BodyTooLarge { provider, .. }
            | Error::AnswerCut { provider, .. }
            | Error::Decode { provider, .. }
            | Error::Unsupported { provider, .. }
            | Error::Interrupted { provider, .. }
            | Error::WaitTimedOut { provider, .. } => Some(*provider),
            Error::Config { .. } | Error::InvalidArgument { .. } => None,
        }
    }

    /// The operation, where the error concerns one.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::Unauthorized { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::InvalidRequest { operation, .. }
            | Error::Conflict { operation, .. }
            | Error::Server { operation, .. }
            | Error::UnexpectedStatus { operation, .. }
            | Error::Redirected { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::BodyTooLarge { operation, .. }
            | Error::AnswerCut { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Unsupported { operation, .. }
            | Error::Interrupted { operation, .. } => Some(*operation),
            Error::WaitTimedOut { .. } => Some(Operation::Extension("wait_until_ended")),
            Error::Config { .. } | Error::InvalidArgument { .. } => None,
        }
    }

    /// Whether the failure may pass, so that the same request could succeed later (rate
    /// limits, vendor failures, timeouts, broken connections, a vendor that timed out
    /// waiting for the request: 408). Says nothing about *safety*: a dial that timed out
    /// after it was sent is transient, and sending it again could ring the phone twice.
    /// Ask [`is_retryable`](Self::is_retryable) before sending anything again.
    ///
    /// A request the HTTP client could not even build (a URL past the URI length limit),
    /// and a TLS handshake that failed (a certificate refused, a server that does not
    /// speak TLS), are not: they would fail the same way each time.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { source, .. } => {
                !is_builder_error(source.as_ref()) && !is_tls_failure(source.as_ref())
            }
            // A write was done: sending it again would do it again, or be refused.
            Error::AnswerCut { read, .. } => *read,
            _ => matches!(
                self,
                Error::RateLimited { .. }
                    | Error::Server { .. }
                    | Error::Timeout { .. }
                    | Error::UnexpectedStatus { status: 408, .. }
            ),
        }
    }

    /// Whether sending the same request again is both worth it and safe: the failure
    /// [`is_transient`](Self::is_transient), and, for a request that creates something (a
    /// dial, a note, a vendor's own operation), it certainly was not applied
    /// ([`outcome`](Self::outcome) is [`RequestOutcome::NotApplied`]). A dial that timed
    /// out after it was sent is not retryable: the vendor may have placed the call.
    ///
    /// The client's own retries are stricter for a dial: it sends one again only when the
    /// last attempt certainly never left this machine, so a dial answered 429 comes back to
    /// you, where this method says it is safe to retry (the vendor refused it unapplied).
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Error, Operation, ProviderKind};
    ///
    /// let sent = |operation| Error::Timeout { provider: ProviderKind::Vapi, operation, sent: true };
    /// assert!(sent(Operation::Dial).is_transient());
    /// assert!(!sent(Operation::Dial).is_retryable());
    /// assert!(sent(Operation::GetCall).is_retryable());
    /// let unsent = Error::Timeout { provider: ProviderKind::Vapi, operation: Operation::Dial, sent: false };
    /// assert!(unsent.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        let creates = matches!(
            self.operation(),
            Some(Operation::Dial | Operation::AddNote | Operation::Extension(_))
        );
        self.is_transient() && (!creates || self.outcome() == RequestOutcome::NotApplied)
    }

    /// The HTTP status of the vendor's answer the error comes of, where it comes of one:
    /// the status held by [`Unauthorized`](Error::Unauthorized),
    /// [`InvalidRequest`](Error::InvalidRequest) (none when voiceport refused the request
    /// itself), [`Server`](Error::Server), [`UnexpectedStatus`](Error::UnexpectedStatus),
    /// [`Redirected`](Error::Redirected) and [`AnswerCut`](Error::AnswerCut); and the
    /// status [`NotFound`](Error::NotFound), [`Conflict`](Error::Conflict) and
    /// [`RateLimited`](Error::RateLimited) stand for (404, of which 410 is one too; 409;
    /// 429), also where an adapter raised one from what it read rather than from the
    /// status (a Vapi `end_call` of a scheduled call is a conflict, 409).
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Error, Operation, ProviderKind};
    /// let error = Error::from_status(ProviderKind::Vapi, Operation::GetCall, 503, None, Vec::new());
    /// assert_eq!(error.status(), Some(503));
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::Server { status, .. }
            | Error::UnexpectedStatus { status, .. }
            | Error::Redirected { status, .. }
            | Error::AnswerCut { status, .. } => Some(*status),
            Error::InvalidRequest { status, .. } => *status,
            Error::NotFound { .. } => Some(404),
            Error::Conflict { .. } => Some(409),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The error's kind as a short, stable name (its variant's, in snake case:
    /// `"rate_limited"`, `"transport"`), for a log field or a metrics label: it holds no
    /// vendor text, no number called and no secret, where the error's `Display` may quote
    /// the vendor.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Error, Operation, ProviderKind};
    /// let error = Error::from_status(ProviderKind::Vapi, Operation::Dial, 429, None, Vec::new());
    /// assert_eq!(error.name(), "rate_limited");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Error::Unauthorized { .. } => "unauthorized",
            Error::NotFound { .. } => "not_found",
            Error::RateLimited { .. } => "rate_limited",
            Error::InvalidRequest { .. } => "invalid_request",
            Error::Conflict { .. } => "conflict",
            Error::Server { .. } => "server",
            Error::UnexpectedStatus { .. } => "unexpected_status",
            Error::Redirected { .. } => "redirected",
            Error::Timeout { .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::AnswerCut { .. } => "answer_cut",
            Error::Decode { .. } => "decode",
            Error::Interrupted { .. } => "interrupted",
            Error::Unsupported { .. } => "unsupported",
            Error::WaitTimedOut { .. } => "wait_timed_out",
            Error::Config { .. } => "config",
            Error::InvalidArgument { .. } => "invalid_argument",
        }
    }

    /// The JSON path of the value a [`Decode`](Error::Decode) error could not read
    /// (`calls[3].status`; `.` for the body as a whole).
    pub fn json_path(&self) -> Option<&str> {
        match self {
            Error::Decode { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The message of a vendor's answer, where it has one: what the vendor said (masked
    /// like the rest of the error: no secret in it), or, for a refusal an adapter raises
    /// from what it read (a Vapi `end_call` of a scheduled call, an [`Error::Conflict`]),
    /// its own words. `None` for what voiceport says itself: a decode error's message, an
    /// unsupported operation's reason, a configuration or argument error, a request
    /// refused before sending (their `Display` says it all).
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { message, .. }
            | Error::NotFound { message, .. }
            | Error::RateLimited { message, .. }
            | Error::Conflict { message, .. }
            | Error::Server { message, .. }
            | Error::UnexpectedStatus { message, .. } => message.as_deref(),
            Error::InvalidRequest {
                status: Some(_),
                message,
                ..
            } => Some(message),
            _ => None,
        }
    }

    /// How long the vendor asked to wait before trying again, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Server { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Whether voiceport refused the request itself, before sending anything, because of
    /// what the caller gave it: a malformed id or path segment, a value the vendor cannot
    /// take ([`Error::InvalidRequest`] without a status), an argument refused before any
    /// provider was asked ([`Error::InvalidArgument`]), or unusable configuration
    /// ([`Error::Config`]). The fix is in the caller's input, not at the vendor.
    pub fn is_refused_locally(&self) -> bool {
        matches!(
            self,
            Error::InvalidRequest { status: None, .. }
                | Error::Config { .. }
                | Error::InvalidArgument { .. }
        )
    }

    /// The same error with every occurrence of the secret `mask` hides replaced, in every
    /// text the vendor may have written (messages, field details, body excerpts, JSON
    /// paths). The HTTP client applies this with the configured API key to every error it
    /// returns; use it for a secret of your own.
    #[must_use]
    pub fn masked(mut self, mask: &SecretMask) -> Error {
        let text = |value: &mut String| {
            if let std::borrow::Cow::Owned(masked) = mask.mask_str(value) {
                *value = masked;
            }
        };
        let opt = |value: &mut Option<String>| value.iter_mut().for_each(text);
        match &mut self {
            Error::Unauthorized { message, .. }
            | Error::NotFound { message, .. }
            | Error::RateLimited { message, .. }
            | Error::Conflict { message, .. }
            | Error::Server { message, .. }
            | Error::UnexpectedStatus { message, .. } => opt(message),
            Error::Redirected { location, .. } => opt(location),
            Error::InvalidRequest {
                message, details, ..
            } => {
                text(message);
                for detail in details {
                    text(&mut detail.field);
                    text(&mut detail.message);
                }
            }
            Error::Decode {
                path,
                message,
                excerpt,
                ..
            } => [path, message, excerpt].into_iter().for_each(text),
            Error::Config { field, message } => [field, message].into_iter().for_each(text),
            Error::InvalidArgument { argument, message } => {
                [argument, message].into_iter().for_each(text);
            }
            // A transport error's source is mostly the client's own words, but a server
            // can put bytes of its choosing there (an HTTP/2 GOAWAY's debug data is
            // printed): one that spells the secret is replaced with its masked text.
            Error::Transport { source, .. } | Error::AnswerCut { source, .. } => {
                let taken = std::mem::replace(source, Box::new(std::fmt::Error));
                *source = MaskedCause::unless_clean(taken, mask);
            }
            // Built by voiceport from no vendor text.
            Error::Timeout { .. }
            | Error::BodyTooLarge { .. }
            | Error::Unsupported { .. }
            | Error::Interrupted { .. }
            | Error::WaitTimedOut { .. } => {}
        }
        self
    }

    /// For the error of a dial: whether a call may exist at the vendor, the request having
    /// possibly reached it ([`outcome`](Self::outcome) is not
    /// [`NotApplied`](RequestOutcome::NotApplied)). Look the call up before dialing again
    /// (see [`RequestOutcome`]). A routed dial's error asks the same of its provider
    /// (`RouteError::call_may_exist`).
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Error, Operation, ProviderKind};
    /// let refused = Error::unsupported(ProviderKind::Retell, Operation::Dial);
    /// assert!(!refused.call_may_exist());
    /// ```
    pub fn call_may_exist(&self) -> bool {
        self.outcome() != RequestOutcome::NotApplied
    }

    /// Whether the failed request may have taken effect at the vendor.
    ///
    /// A refusal whose status is not a 4xx (an error inside a success answer, as Rounded's
    /// envelope can be on an HTTP 200) and a dial refused as a
    /// conflict (a duplicate of a call placed before) are
    /// [`Unknown`](RequestOutcome::Unknown): a failover route must not place a second
    /// call after them.
    pub fn outcome(&self) -> RequestOutcome {
        match self {
            Error::InvalidRequest {
                status: Some(status),
                ..
            } if !(400..500).contains(status) => RequestOutcome::Unknown,
            Error::Conflict {
                operation: Operation::Dial,
                ..
            } => RequestOutcome::Unknown,
            // A webhook body was read, not a request sent: nothing happened at the vendor.
            Error::Decode {
                operation: Operation::ParseWebhook,
                ..
            } => RequestOutcome::NotApplied,
            Error::Unauthorized { .. }
            | Error::NotFound { .. }
            | Error::RateLimited { .. }
            | Error::InvalidRequest { .. }
            | Error::Conflict { .. }
            | Error::Unsupported { .. }
            | Error::Interrupted { .. }
            | Error::WaitTimedOut { .. }
            | Error::Config { .. }
            | Error::InvalidArgument { .. } => RequestOutcome::NotApplied,
            Error::UnexpectedStatus { status, .. } if (400..500).contains(status) => {
                RequestOutcome::NotApplied
            }
            Error::Timeout { sent, .. } | Error::Transport { sent, .. } if !*sent => {
                RequestOutcome::NotApplied
            }
            // A redirect is no answer: the vendor may have acted before it redirected.
            Error::Server { .. }
            | Error::UnexpectedStatus { .. }
            | Error::Redirected { .. }
            | Error::Timeout { .. }
            | Error::Transport { .. } => RequestOutcome::Unknown,
            Error::BodyTooLarge { .. } | Error::AnswerCut { .. } | Error::Decode { .. } => {
                RequestOutcome::Applied
            }
        }
    }
}

/// A transport error's cause as text, with a secret hidden: what stands in for a cause
/// whose words (its `Display` down the chain, or its `Debug`) spelt the secret. The chain
/// is flattened into one text, so nothing below it can show the secret.
struct MaskedCause {
    display: String,
    debug: String,
}

impl MaskedCause {
    /// `source` itself when nothing it prints holds the secret (it can still be
    /// downcast), else its masked text.
    fn unless_clean(
        source: Box<dyn std::error::Error + Send + Sync>,
        mask: &SecretMask,
    ) -> Box<dyn std::error::Error + Send + Sync> {
        let display = chain_text(source.as_ref());
        let debug = format!("{source:?}");
        let (masked_display, masked_debug) = (mask.mask_str(&display), mask.mask_str(&debug));
        if matches!(masked_display, std::borrow::Cow::Borrowed(_))
            && matches!(masked_debug, std::borrow::Cow::Borrowed(_))
        {
            return source;
        }
        Box::new(MaskedCause {
            display: masked_display.into_owned(),
            debug: masked_debug.into_owned(),
        })
    }
}

/// `error` and every cause under it, as one line (`a: b: c`), for a message that shows a
/// chain whole (a log line, a handler's failure, a masked cause). A cause whose text the
/// line already ends with (an error that quotes its source) is not said twice.
///
/// ```
/// let io = std::io::Error::other("connection refused");
/// assert_eq!(voiceport_core::chain_text(&io), "connection refused");
/// ```
pub fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let said = next.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = next.source();
    }
    text
}

impl std::fmt::Display for MaskedCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

impl std::fmt::Debug for MaskedCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.debug)
    }
}

impl std::error::Error for MaskedCause {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each outcome displays as its serialized name, in words.
    #[test]
    fn an_outcome_displays_in_lowercase_words() {
        for (outcome, words) in [
            (RequestOutcome::NotApplied, "not applied"),
            (RequestOutcome::Unknown, "unknown"),
            (RequestOutcome::Applied, "applied"),
        ] {
            assert_eq!(outcome.to_string(), words);
            let serialized = serde_json::to_value(outcome).unwrap();
            assert_eq!(serialized, words.replace(' ', "_").as_str());
        }
    }

    /// A cycle's message quotes the cursor, which may be 64 KiB of vendor text holding a
    /// signed URL: it is bounded, and the URL cut to its host.
    #[test]
    fn a_cursor_cycle_quoting_a_huge_token_is_short() {
        let token = format!("https://files.example.com/page?sig={}", "7".repeat(60_000));
        let message = format!(
            "the vendor returned the cursor it was given ({token}); paging would never end"
        );
        let err = Error::cursor_cycle(ProviderKind::Rounded, message);
        assert!(err.is_cursor_cycle());
        let text = err.to_string();
        assert!(text.chars().count() < 700, "{} chars", text.chars().count());
        assert!(!text.contains("sig="), "{text}");
        assert!(text.ends_with("paging would never end"), "{text}");
    }

    #[test]
    fn display_names_provider_operation_and_details() {
        let err = Error::InvalidRequest {
            provider: ProviderKind::Rounded,
            operation: Operation::Dial,
            status: Some(400),
            message: "Validation failed".into(),
            details: vec![FieldError {
                field: "to_number".into(),
                message: "must be E.164".into(),
            }],
        };
        assert_eq!(
            err.to_string(),
            "rounded dial: invalid request (HTTP 400): Validation failed [to_number: must be E.164]"
        );
        assert_eq!(err.outcome(), RequestOutcome::NotApplied);
        assert!(!err.is_retryable());
    }

    /// What a message would say twice is said once: a vendor message that is only the
    /// status's reason phrase, a detail saying that a setting the message names is
    /// required, whether a read that timed out reached the vendor.
    #[test]
    fn display_says_nothing_twice() {
        use crate::adapter::missing_setting;
        let (vapi, get) = (ProviderKind::Vapi, Operation::GetCall);
        let unauthorized = |message: &str| Error::Unauthorized {
            provider: vapi,
            operation: get,
            status: 401,
            message: Some(message.into()),
        };
        assert_eq!(
            unauthorized(" Unauthorized. ").to_string(),
            "vapi get_call: unauthorized (HTTP 401)"
        );
        // Another status's phrase says something: kept.
        assert_eq!(
            unauthorized("Forbidden").to_string(),
            "vapi get_call: unauthorized (HTTP 401): Forbidden"
        );
        assert_eq!(
            unauthorized("Invalid Key").to_string(),
            "vapi get_call: unauthorized (HTTP 401): Invalid Key"
        );
        let required = missing_setting(vapi, Operation::Dial, "agent_id", "set `agent_id`");
        assert_eq!(
            required.to_string(),
            "vapi dial: invalid request: set `agent_id`"
        );
        // A detail the message does not say is kept.
        let unnamed = missing_setting(vapi, Operation::Dial, "agent_id", "no assistant");
        assert!(unnamed.to_string().ends_with("[agent_id: required]"));
        let timeout = |operation, sent| Error::Timeout {
            provider: vapi,
            operation,
            sent,
        };
        assert_eq!(
            timeout(Operation::ListCalls, true).to_string(),
            "vapi list_calls: timed out"
        );
        assert_eq!(
            timeout(Operation::Dial, true).to_string(),
            "vapi dial: timed out (the request may have reached the vendor)"
        );
        assert_eq!(
            timeout(Operation::ListCalls, false).to_string(),
            "vapi list_calls: timed out (the request was not sent)"
        );
    }

    /// A 404 to a request naming no call points at the API path; a server error says
    /// how long the vendor asked to wait.
    #[test]
    fn display_points_at_what_to_fix() {
        let not_found = |operation| Error::NotFound {
            provider: ProviderKind::Retell,
            operation,
            message: Some("Cannot POST /v3/list-calls".into()),
        };
        assert_eq!(
            not_found(Operation::ListCalls).to_string(),
            "retell list_calls: not found (the vendor has no such API path: check base_url): Cannot POST /v3/list-calls"
        );
        assert!(
            !not_found(Operation::GetCall)
                .to_string()
                .contains("base_url")
        );
        // A vendor's own word on what is missing: not taken for a wrong path.
        let assistant = Error::NotFound {
            provider: ProviderKind::Vapi,
            operation: Operation::Dial,
            message: Some("Assistant not found".into()),
        };
        assert_eq!(
            assistant.to_string(),
            "vapi dial: not found (the API path, or something the request names, is not there): Assistant not found"
        );
        let server = Error::Server {
            provider: ProviderKind::Retell,
            operation: Operation::GetCall,
            status: 503,
            retry_after: Some(Duration::from_secs(60)),
            message: Some("Service Unavailable".into()),
        };
        assert_eq!(
            server.to_string(),
            "retell get_call: vendor server error (HTTP 503) (retry after 60.0s)"
        );
        let too_large = |limit| Error::BodyTooLarge {
            provider: ProviderKind::Retell,
            operation: Operation::ListCalls,
            limit,
        };
        assert_eq!(
            too_large(64 << 20).to_string(),
            "retell list_calls: the answer is larger than the 64 MiB cap (max_body_bytes)"
        );
        assert!(too_large(1000).to_string().contains("the 1000-byte cap"));
        // Rounded's envelope can carry an error inside a success answer.
        let inside = Error::InvalidRequest {
            provider: ProviderKind::Rounded,
            operation: Operation::UpdateCall,
            status: Some(200),
            message: "metadata is locked".into(),
            details: vec![],
        };
        assert_eq!(
            inside.to_string(),
            "rounded update_call: invalid request (an error inside a success answer, status 200): metadata is locked"
        );
    }

    #[test]
    fn retryable_kinds_and_outcomes() {
        let server = Error::Server {
            provider: ProviderKind::HappyRobot,
            operation: Operation::Dial,
            status: 503,
            retry_after: Some(Duration::from_secs(2)),
            message: None,
        };
        // A dial that may have reached the vendor: the failure may pass, but sending the
        // dial again could ring twice.
        assert!(server.is_transient() && !server.is_retryable());
        assert_eq!(server.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(server.outcome(), RequestOutcome::Unknown);
        // The same answer to a read, or to a request that creates nothing, is retryable;
        // to a note or a vendor's own operation it is not, as for a dial.
        let answered = |operation| Error::Server {
            provider: ProviderKind::HappyRobot,
            operation,
            status: 503,
            retry_after: None,
            message: None,
        };
        for operation in [Operation::GetCall, Operation::ListCalls, Operation::EndCall] {
            assert!(answered(operation).is_retryable(), "{operation}");
        }
        for operation in [Operation::AddNote, Operation::Extension("set_rating")] {
            let error = answered(operation);
            assert!(error.is_transient() && !error.is_retryable(), "{operation}");
        }
        // Refused unapplied (429): a dial is safe to send again later.
        let limited = Error::RateLimited {
            provider: ProviderKind::HappyRobot,
            operation: Operation::Dial,
            retry_after: None,
            message: None,
        };
        assert!(limited.is_retryable());

        let not_sent = Error::Timeout {
            provider: ProviderKind::HappyRobot,
            operation: Operation::Dial,
            sent: false,
        };
        assert_eq!(not_sent.outcome(), RequestOutcome::NotApplied);
        let sent = Error::Timeout {
            provider: ProviderKind::HappyRobot,
            operation: Operation::Dial,
            sent: true,
        };
        assert_eq!(sent.outcome(), RequestOutcome::Unknown);
        assert!(sent.to_string().contains("may have reached the vendor"));
        // A dial's error says whether to look the call up, as its outcome does: Unknown
        // and Applied (an answer that did not decode) both say so.
        assert!(sent.call_may_exist() && server.call_may_exist());
        assert!(!not_sent.call_may_exist());
        let undecoded = Error::Decode {
            provider: ProviderKind::Vapi,
            operation: Operation::Dial,
            path: ".".into(),
            message: "expected value".into(),
            excerpt: String::new(),
        };
        assert_eq!(undecoded.outcome(), RequestOutcome::Applied);
        assert!(undecoded.call_may_exist());

        // A refusal is not applied, unless its status is not a 4xx (an error inside a
        // success answer, as Rounded's envelope can be) or it is a dial refused as a
        // conflict (a duplicate).
        let refused = |status: Option<u16>| Error::InvalidRequest {
            provider: ProviderKind::Rounded,
            operation: Operation::Dial,
            status,
            message: "no".into(),
            details: Vec::new(),
        };
        assert_eq!(refused(Some(400)).outcome(), RequestOutcome::NotApplied);
        assert_eq!(refused(None).outcome(), RequestOutcome::NotApplied);
        assert_eq!(refused(Some(500)).outcome(), RequestOutcome::Unknown);
        assert_eq!(refused(Some(200)).outcome(), RequestOutcome::Unknown);
        assert_eq!(refused(Some(302)).outcome(), RequestOutcome::Unknown);
        assert_eq!(refused(Some(422)).outcome(), RequestOutcome::NotApplied);
        let conflict = |operation| Error::Conflict {
            provider: ProviderKind::Vapi,
            operation,
            message: None,
        };
        assert_eq!(conflict(Operation::Dial).outcome(), RequestOutcome::Unknown);
        assert_eq!(
            conflict(Operation::EndCall).outcome(),
            RequestOutcome::NotApplied
        );

        // An answer that could not be read came after the vendor acted; a webhook body
        // that could not be read came of no request.
        let undecodable =
            |operation| Error::decode(ProviderKind::Vapi, operation, "id", "x", b"{}");
        assert_eq!(
            undecodable(Operation::Dial).outcome(),
            RequestOutcome::Applied
        );
        assert_eq!(
            undecodable(Operation::ParseWebhook).outcome(),
            RequestOutcome::NotApplied
        );

        // And each says which body it could not read.
        assert!(
            undecodable(Operation::GetCall)
                .to_string()
                .starts_with("vapi get_call: cannot decode response at `id`")
        );
        assert!(
            undecodable(Operation::ParseWebhook)
                .to_string()
                .starts_with("vapi parse_webhook: cannot decode the webhook body at `id`")
        );

        let unsupported = Error::unsupported(ProviderKind::Voicebot, Operation::AddNote);
        assert_eq!(
            unsupported.to_string(),
            "voicebot does not support add_note"
        );
        assert_eq!(unsupported.provider(), Some(ProviderKind::Voicebot));
        assert_eq!(unsupported.operation(), Some(Operation::AddNote));
    }

    #[test]
    fn a_redirect_names_the_host_and_leaves_the_outcome_unknown() {
        let err = Error::Redirected {
            provider: ProviderKind::Rounded,
            operation: Operation::Dial,
            status: 307,
            location: Some("evil.example".into()),
        };
        let text = err.to_string();
        assert!(
            text.contains("redirected (HTTP 307) to evil.example"),
            "{text}"
        );
        assert!(text.contains("not followed"), "{text}");
        assert_eq!(err.outcome(), RequestOutcome::Unknown);
        assert!(!err.is_retryable());
        assert!(!err.is_refused_locally());
    }

    #[test]
    fn refused_locally_is_only_what_voiceport_refused_before_sending() {
        let local = Error::invalid_input(ProviderKind::Rounded, Operation::GetCall, "bad id");
        assert!(local.is_refused_locally());
        assert!(Error::config("providers.a.kind", "unknown").is_refused_locally());
        let vendor = Error::InvalidRequest {
            provider: ProviderKind::Rounded,
            operation: Operation::Dial,
            status: Some(400),
            message: "no".into(),
            details: Vec::new(),
        };
        assert!(!vendor.is_refused_locally());
        assert!(
            !Error::unsupported(ProviderKind::Rounded, Operation::AddNote).is_refused_locally()
        );
    }

    const KEY: &str = "sk-live/4f9a+8b7c\"6d5e";

    /// The status, the JSON path and the vendor's words are read without matching on the
    /// variants.
    #[test]
    fn status_path_and_message_are_read_from_any_error() {
        let from = |status: u16| {
            Error::from_status(
                ProviderKind::Vapi,
                Operation::GetCall,
                status,
                Some(format!("said with {status}")),
                Vec::new(),
            )
        };
        for status in [400, 401, 403, 404, 409, 422, 429, 500, 503, 418] {
            let error = from(status);
            assert_eq!(error.status(), Some(status), "{error:?}");
            let said = format!("said with {status}");
            assert_eq!(error.message(), Some(said.as_str()), "{error:?}");
            assert_eq!(error.json_path(), None);
        }
        assert_eq!(from(410).status(), Some(404));
        let decode = Error::decode(
            ProviderKind::Retell,
            Operation::ListCalls,
            "calls[3].status",
            "unknown variant",
            b"{}",
        );
        assert_eq!(decode.json_path(), Some("calls[3].status"));
        assert_eq!((decode.status(), decode.message()), (None, None));
        let local = Error::invalid_input(ProviderKind::Retell, Operation::Dial, "no number");
        assert_eq!((local.status(), local.message()), (None, None));
    }

    /// A server can choose bytes a transport error prints (an HTTP/2 GOAWAY's debug data,
    /// which h2 shows as `b"…"`): one that echoes the key loses it, in the cause's
    /// `Display` down the chain and in its `Debug`. A cause without it stays itself.
    #[test]
    fn a_transport_cause_echoing_the_key_is_masked() {
        use std::fmt;
        #[derive(Debug)]
        struct GoAway(String);
        impl fmt::Display for GoAway {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "connection error received: protocol error ({:?})",
                    self.0
                )
            }
        }
        impl std::error::Error for GoAway {}
        #[derive(Debug)]
        struct Client(GoAway);
        impl fmt::Display for Client {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("error sending request")
            }
        }
        impl std::error::Error for Client {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let transport = |source: Box<dyn std::error::Error + Send + Sync>| Error::Transport {
            provider: ProviderKind::Vapi,
            operation: Operation::GetCall,
            sent: true,
            source,
        };
        let mask = SecretMask::new(KEY);
        let echoed = transport(Box::new(Client(GoAway(format!("bad key {KEY}")))));
        let masked = echoed.masked(&mask);
        let mut shown = format!("{masked} {masked:?}");
        let mut cause = std::error::Error::source(&masked);
        while let Some(next) = cause {
            shown.push_str(&format!(" {next} {next:?}"));
            cause = next.source();
        }
        assert!(!shown.contains("4f9a"), "{shown}");
        assert!(
            shown.contains("error sending request: connection error received"),
            "{shown}"
        );
        assert!(shown.contains("[REDACTED]"), "{shown}");

        let clean = transport(Box::new(Client(GoAway("no reason".into())))).masked(&mask);
        let source = std::error::Error::source(&clean).unwrap();
        assert!(source.downcast_ref::<Client>().is_some());
    }

    #[test]
    fn masking_an_error_covers_every_vendor_text() {
        let mask = SecretMask::new(KEY);
        let err = Error::InvalidRequest {
            provider: ProviderKind::Rounded,
            operation: Operation::Dial,
            status: Some(400),
            message: format!("bad key {KEY}"),
            details: vec![FieldError {
                field: KEY.into(),
                message: format!("was {KEY}"),
            }],
        }
        .masked(&mask);
        let decode = Error::decode(
            ProviderKind::Rounded,
            Operation::GetCall,
            KEY,
            KEY,
            KEY.as_bytes(),
        )
        .masked(&mask);
        for err in [err, decode] {
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains("4f9a"), "{text}");
            }
        }
    }
}
