//! One error type for every provider and operation: the [`Error`] enum, its constructors
//! and what it holds. Its messages' words are built in `display`, what it means for
//! the caller (retry, outcome) is in `classify`, and hiding a secret in it in `mask`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{CallId, CallStatus, Operation, ProviderKind};

/// A `Result` with voiceport's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem with one field of a request, as the vendor reported it (or as voiceport did,
/// refusing a request before sending it: a setting it lacks, say). A vendor's field is
/// named as the vendor's API names it (`to_number`, `customer.number`), not as the
/// request's field (`to`); voiceport's own refusals name the request's field. Vendors
/// that answer a refusal without field details (Vapi's and Retell's say it in the
/// message) give none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name or path, as the vendor gives it (may be empty).
    pub field: String,
    /// What is wrong with it (may be empty: the field alone says where).
    pub message: String,
}

impl FieldError {
    /// The detail as a message says it: `field: message`, or whichever of the two it has.
    ///
    /// ```
    /// use voiceport_core::FieldError;
    /// let detail = |field: &str, message: &str| FieldError { field: field.into(), message: message.into() };
    /// assert_eq!(detail("to_number", "not E.164").said(), "to_number: not E.164");
    /// assert_eq!(detail("agent_id", "").said(), "agent_id");
    /// assert_eq!(detail("", "too many calls").said(), "too many calls");
    /// ```
    pub fn said(&self) -> String {
        match (self.field.is_empty(), self.message.is_empty()) {
            (true, _) => self.message.clone(),
            (false, true) => self.field.clone(),
            (false, false) => format!("{}: {}", self.field, self.message),
        }
    }
}

/// Whether a failed request may still have taken effect at the vendor.
///
/// This matters for requests that are not idempotent, above all `dial`: a phone must not ring
/// twice, so a caller that sees [`RequestOutcome::Unknown`] should look the call up before
/// dialing again: [`VoiceProviderExt::find_dialed`](crate::VoiceProviderExt::find_dialed)
/// lists the calls to the number called since the dial, and tells them apart by an id of
/// your own in the request's metadata where the vendor reads it back. (By hand: leave the
/// time range out where
/// [`Capabilities::time_range_on_start`](crate::Capabilities::time_range_on_start) is set,
/// Rounded and Retell: a call still ringing has no start, and is in no range there.)
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
    /// The request never reached the vendor, or the vendor refused it (4xx; but see
    /// [`Unknown`](Self::Unknown) for a dial's conflict and a refusal inside a success
    /// answer): nothing happened.
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

/// The cause an [`Error::Transport`] or [`Error::AnswerCut`] carries: shared, so that an
/// [`Error`] can be cloned (a result shared between tasks, or cached). It derefs to the
/// cause itself, which [`Error::source`](std::error::Error::source) gives too, so that it
/// can be downcast to its own type.
#[derive(Clone)]
pub struct ErrorSource(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl ErrorSource {
    /// `cause`, shared.
    pub fn new(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ErrorSource(std::sync::Arc::from(cause.into()))
    }
}

impl std::ops::Deref for ErrorSource {
    type Target = dyn std::error::Error + Send + Sync;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::fmt::Debug for ErrorSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

/// Everything that can go wrong talking to a voice vendor.
///
/// Each variant that comes of a request names the provider and the operation (a
/// [`Config`](Error::Config) error names the configuration field instead,
/// [`InvalidArgument`](Error::InvalidArgument) what was refused, and
/// [`WaitTimedOut`](Error::WaitTimedOut) the call); secrets never appear in any of them.
///
/// Variants and their fields may be added in a minor release: match a variant with `..`
/// (`Error::NotFound { provider, .. }`). Build one with a constructor: a vendor's answer
/// with [`Error::from_status`] (unauthorized, not found, conflict, rate limited, server,
/// unexpected), its `Retry-After` added with [`Error::with_retry_after`]; the others with
/// [`Error::invalid_request`] (or [`Error::invalid_input`], refused before sending),
/// [`Error::conflict`], [`Error::timeout`], [`Error::transport`], [`Error::interrupted`],
/// [`Error::unsupported`] (or [`Error::unsupported_because`], saying why),
/// [`Error::decode`], [`Error::config`] and [`Error::invalid_argument`]; the kinds
/// voiceport's HTTP client, its walks and its waits produce with [`Error::redirected`],
/// [`Error::body_too_large`], [`Error::answer_cut`], [`Error::cursor_cycle`],
/// [`Error::cursor_too_long`] and [`Error::wait_timed_out`] (for an application's test
/// doubles).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The vendor refused the request's credentials (HTTP 401 or 403): usually the API
    /// key; a 403 may also come of a proxy or firewall in front of the vendor, as its
    /// message then says.
    #[error(
        "{provider} {operation}: unauthorized (HTTP {status}){}",
        said_beside(message, *status)
    )]
    #[non_exhaustive]
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

    /// The call (or note) does not exist: HTTP 404 or 410, or what a vendor answers in
    /// their place (Retell's 422). A 404 to a listing or a dial names no call: the
    /// vendor has no such path (the message says to check `base_url`) or no such agent.
    #[error(
        "{provider} {operation}: not found{}{}",
        path_hint(*operation, message),
        said_beside(message, 404)
    )]
    #[non_exhaustive]
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
    /// at most a day), and for a request that creates something (a dial, a note, a
    /// vendor's own write such as HappyRobot's rating or export), which a 429 does not
    /// retry.
    #[error(
        "{provider} {operation}: rate limited{}{}",
        retry_after_suffix(retry_after),
        said_beside(message, 429)
    )]
    #[non_exhaustive]
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
    #[non_exhaustive]
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
    #[non_exhaustive]
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
    #[non_exhaustive]
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
    #[non_exhaustive]
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
    #[non_exhaustive]
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
    #[non_exhaustive]
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
    #[non_exhaustive]
    Transport {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// Whether the request may have reached the vendor.
        sent: bool,
        /// The underlying error.
        #[source]
        source: ErrorSource,
    },

    /// The response body was larger than the configured cap.
    #[error(
        "{provider} {operation}: the answer is larger than the {} cap (max_body_bytes)",
        byte_size(*limit)
    )]
    #[non_exhaustive]
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
    #[non_exhaustive]
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
        source: ErrorSource,
    },

    /// The vendor's JSON did not have the expected shape.
    #[error(
        "{provider} {operation}: cannot decode {} at `{path}`: {message}{}",
        decoded_body(*operation),
        body_suffix(excerpt)
    )]
    #[non_exhaustive]
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
    /// set off first (a dial after Ctrl-C). Nothing happened at the vendor.
    #[error("{provider} {operation}: interrupted before the request was sent")]
    #[non_exhaustive]
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
    #[non_exhaustive]
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
    #[non_exhaustive]
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
    #[non_exhaustive]
    Config {
        /// The offending field, as a path such as `providers.sales.api_key_env`.
        field: String,
        /// What is wrong with it.
        message: String,
    },

    /// voiceport refused how it was called, before asking any provider: a cursor token
    /// that is not one, or that belongs to another walk; a qualified id whose `NAME:`
    /// names no configured provider; a merged walk that selects no provider, or runs
    /// outside a Tokio runtime; a dial through a route that sets one account's fields, or
    /// through a route not configured; vendor options that are not a table; a webhook
    /// receiver's path that is not one. Nothing was sent. The fix is in the call, not in
    /// the configuration (a refusal of what one provider can take is
    /// [`InvalidRequest`](Error::InvalidRequest), naming it).
    #[error("invalid {argument}: {message}")]
    #[non_exhaustive]
    InvalidArgument {
        /// What was refused: `cursor`, `id`, `selection`, `runtime`, `request`, `route`,
        /// `options`, `path`; or, for a name that names nothing
        /// ([`UnknownNameError`](crate::UnknownNameError)), what it was to name (`call
        /// status`, `provider kind`, `direction`, `end reason category`).
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
    /// any other unexpected (an invalid request keeps the details apart; the other kinds,
    /// which have no place for them, add them to the message; no wait to retry after).
    pub fn from_status(
        provider: ProviderKind,
        operation: Operation,
        status: u16,
        message: Option<String>,
        details: Vec<FieldError>,
    ) -> Self {
        let message = match status {
            400 | 422 => message,
            _ => with_details(message, &details),
        };
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

    /// The same error with the wait the vendor asked for (its `Retry-After`), where its
    /// kind carries one (rate limited, server error); any other kind is returned as it is.
    /// What voiceport's HTTP client does with a vendor's answer, and what an
    /// application's test double of a rate limit needs to exercise its backoff.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use std::time::Duration;
    /// use voiceport::{Error, Operation, ProviderKind};
    ///
    /// let limited = Error::from_status(ProviderKind::Retell, Operation::ListCalls, 429, None, Vec::new())
    ///     .with_retry_after(Some(Duration::from_secs(2)));
    /// assert!(limited.is_retryable());
    /// assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
    ///
    /// // A kind that carries no wait keeps none.
    /// let missing = Error::from_status(ProviderKind::Retell, Operation::GetCall, 404, None, Vec::new())
    ///     .with_retry_after(Some(Duration::from_secs(2)));
    /// assert_eq!(missing.retry_after(), None);
    /// ```
    #[must_use]
    pub fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
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

    /// An [`Error::InvalidRequest`]: `status` the vendor's (`None` when refused before
    /// sending), its `message` and field `details`.
    pub fn invalid_request(
        provider: ProviderKind,
        operation: Operation,
        status: Option<u16>,
        message: impl Into<String>,
        details: Vec<FieldError>,
    ) -> Self {
        Error::InvalidRequest {
            provider,
            operation,
            status,
            message: message.into(),
            details,
        }
    }

    /// An [`Error::Conflict`]: the call is not in a state that allows the operation.
    pub fn conflict(provider: ProviderKind, operation: Operation, message: Option<String>) -> Self {
        Error::Conflict {
            provider,
            operation,
            message,
        }
    }

    /// An [`Error::Timeout`]; `sent` whether the request may have reached the vendor.
    pub fn timeout(provider: ProviderKind, operation: Operation, sent: bool) -> Self {
        Error::Timeout {
            provider,
            operation,
            sent,
        }
    }

    /// An [`Error::Transport`] caused by `source`; `sent` whether the request may have
    /// reached the vendor.
    pub fn transport(
        provider: ProviderKind,
        operation: Operation,
        sent: bool,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Transport {
            provider,
            operation,
            sent,
            source: ErrorSource::new(source),
        }
    }

    /// An [`Error::Redirected`]: the vendor answered `status` (a 3xx) pointing to
    /// `location` (a host and port only: never a path or query, which may carry signatures).
    pub fn redirected(
        provider: ProviderKind,
        operation: Operation,
        status: u16,
        location: Option<String>,
    ) -> Self {
        Error::Redirected {
            provider,
            operation,
            status,
            location,
        }
    }

    /// An [`Error::BodyTooLarge`]: the answer went past `limit` bytes.
    pub fn body_too_large(provider: ProviderKind, operation: Operation, limit: usize) -> Self {
        Error::BodyTooLarge {
            provider,
            operation,
            limit,
        }
    }

    /// An [`Error::AnswerCut`]: the vendor answered `status` (a 2xx), then the body broke
    /// off after `received` bytes, for `source`. Whether the operation only `read` is
    /// taken from it ([`Operation::is_read`]): a dial's cut answer is a call placed. For a
    /// test double of a vendor whose answer is lost (an application's "look the call up
    /// before dialing again" path).
    pub fn answer_cut(
        provider: ProviderKind,
        operation: Operation,
        status: u16,
        received: usize,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::AnswerCut {
            provider,
            operation,
            status,
            received,
            read: operation.is_read(),
            source: ErrorSource::new(source),
        }
    }

    /// An [`Error::WaitTimedOut`]: the call `call_id` was still `last_status` after
    /// `waited`.
    pub fn wait_timed_out(
        provider: ProviderKind,
        call_id: CallId,
        last_status: CallStatus,
        waited: Duration,
    ) -> Self {
        Error::WaitTimedOut {
            provider,
            call_id,
            last_status,
            waited,
        }
    }

    /// An [`Error::Interrupted`]: the operation was stopped by an [`Interrupt`](crate::Interrupt).
    pub fn interrupted(provider: ProviderKind, operation: Operation) -> Self {
        Error::Interrupted {
            provider,
            operation,
        }
    }

    /// Shorthand for an [`Error::InvalidRequest`] raised before sending anything.
    pub fn invalid_input(
        provider: ProviderKind,
        operation: Operation,
        message: impl Into<String>,
    ) -> Self {
        Error::invalid_request(provider, operation, None, message, Vec::new())
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
            Error::WaitTimedOut { .. } => Some(Operation::ExtensionRead("wait_until_ended")),
            Error::Config { .. } | Error::InvalidArgument { .. } => None,
        }
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

    /// Marks `span` (one that declares the fields empty) as failed with this error: its
    /// `error_kind` ([`name`](Self::name)) and `otel.status_code = "ERROR"`, the status
    /// tracing-opentelemetry exports. The operation and request spans record failures so.
    pub(crate) fn record_on(&self, span: &tracing::Span) {
        span.record("error_kind", self.name());
        span.record("otel.status_code", "ERROR");
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
}

mod classify;
mod display;
mod mask;
use display::{
    body_suffix, byte_size, decoded_body, details_suffix, path_hint, reason_suffix,
    retry_after_suffix, said_beside, sent_suffix, status_suffix,
};
pub use mask::chain_text;

/// `message`, then each detail ([`FieldError::said`]), joined by `; `: the vendor's words
/// whole for an error with no place for details of its own.
fn with_details(message: Option<String>, details: &[FieldError]) -> Option<String> {
    let said = (message.into_iter())
        .filter(|message| !message.trim().is_empty())
        .chain(details.iter().map(FieldError::said))
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>();
    (!said.is_empty()).then(|| said.join("; "))
}

#[cfg(test)]
mod tests;
