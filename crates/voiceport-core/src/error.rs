//! One error type for every provider and operation.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{CallId, CallStatus, Operation, ProviderKind};

/// A `Result` with voiceport's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem with one field of a request, as the vendor reported it.
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
/// twice, so a caller that sees [`RequestOutcome::Unknown`] should look the call up (list by
/// number or metadata) before dialing again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The request never reached the vendor, or the vendor refused it (4xx): nothing happened.
    NotApplied,
    /// The request may or may not have taken effect (sent, then timeout, reset or 5xx).
    Unknown,
    /// The vendor accepted the request (2xx) but its answer could not be read.
    Applied,
}

/// Everything that can go wrong talking to a voice vendor.
///
/// Each variant names the provider and the operation; secrets never appear in any of them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API key was refused (HTTP 401 or 403).
    #[error(
        "{provider} {operation}: unauthorized (HTTP {status}){}",
        suffix(message)
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
    #[error("{provider} {operation}: not found{}", suffix(message))]
    NotFound {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The vendor's message, if it sent one.
        message: Option<String>,
    },

    /// Too many requests (HTTP 429), still refused after the retry budget.
    #[error(
        "{provider} {operation}: rate limited{}{}",
        retry_after_suffix(retry_after),
        suffix(message)
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

    /// The request was rejected as invalid: by the vendor (HTTP 400/422), or by voiceport
    /// before sending it (`status` is `None`).
    #[error(
        "{provider} {operation}: invalid request{}: {message}{}",
        status_suffix(status),
        details_suffix(details)
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
    #[error("{provider} {operation}: conflict{}", suffix(message))]
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
        "{provider} {operation}: vendor server error (HTTP {status}){}",
        suffix(message)
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
    #[error("{provider} {operation}: unexpected HTTP {status}{}", suffix(message))]
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

    /// No answer in time (connect or total timeout).
    #[error("{provider} {operation}: timed out{}", sent_suffix(*sent))]
    Timeout {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// Whether the request may have reached the vendor.
        sent: bool,
    },

    /// The connection failed or broke.
    #[error("{provider} {operation}: connection failed{}", sent_suffix(*sent))]
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
    #[error("{provider} {operation}: response body exceeds the {limit}-byte cap")]
    BodyTooLarge {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
        /// The cap, in bytes.
        limit: usize,
    },

    /// The vendor's JSON did not have the expected shape.
    #[error(
        "{provider} {operation}: cannot decode response at `{path}`: {message} (body: {excerpt})"
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

    /// The vendor (or this adapter) does not offer this operation.
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// Which vendor.
        provider: ProviderKind,
        /// Which operation.
        operation: Operation,
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
}

fn suffix(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

fn status_suffix(status: &Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

fn retry_after_suffix(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(" (retry after {:.1}s)", d.as_secs_f64()))
        .unwrap_or_default()
}

fn details_suffix(details: &[FieldError]) -> String {
    if details.is_empty() {
        return String::new();
    }
    let items: Vec<String> = details
        .iter()
        .map(|d| {
            if d.field.is_empty() {
                d.message.clone()
            } else {
                format!("{}: {}", d.field, d.message)
            }
        })
        .collect();
    format!(" [{}]", items.join("; "))
}

fn sent_suffix(sent: bool) -> &'static str {
    if sent {
        " (the request may have reached the vendor)"
    } else {
        " (the request was not sent)"
    }
}

impl Error {
    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(provider: ProviderKind, operation: Operation) -> Self {
        Error::Unsupported {
            provider,
            operation,
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
            path: path.into(),
            message: message.into(),
            excerpt: crate::http::excerpt(body),
        }
    }

    /// Shorthand for [`Error::Config`].
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
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
            | Error::Timeout { provider, .. }
            | Error::Transport { provider, .. }
            | Error::BodyTooLarge { provider, .. }
            | Error::Decode { provider, .. }
            | Error::Unsupported { provider, .. }
            | Error::WaitTimedOut { provider, .. } => Some(*provider),
            Error::Config { .. } => None,
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
            | Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::BodyTooLarge { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Unsupported { operation, .. } => Some(*operation),
            Error::WaitTimedOut { .. } => Some(Operation::Extension("wait_until_ended")),
            Error::Config { .. } => None,
        }
    }

    /// Whether trying the same request again later may succeed (rate limits, vendor
    /// failures, timeouts, broken connections). Say nothing about *safety*: for a dial, see
    /// [`Error::outcome`] first.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Server { .. }
                | Error::Timeout { .. }
                | Error::Transport { .. }
        )
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

    /// Whether the failed request may have taken effect at the vendor.
    pub fn outcome(&self) -> RequestOutcome {
        match self {
            Error::Unauthorized { .. }
            | Error::NotFound { .. }
            | Error::RateLimited { .. }
            | Error::InvalidRequest { .. }
            | Error::Conflict { .. }
            | Error::Unsupported { .. }
            | Error::WaitTimedOut { .. }
            | Error::Config { .. } => RequestOutcome::NotApplied,
            Error::UnexpectedStatus { status, .. } if (400..500).contains(status) => {
                RequestOutcome::NotApplied
            }
            Error::Timeout { sent, .. } | Error::Transport { sent, .. } if !*sent => {
                RequestOutcome::NotApplied
            }
            Error::Server { .. }
            | Error::UnexpectedStatus { .. }
            | Error::Timeout { .. }
            | Error::Transport { .. } => RequestOutcome::Unknown,
            Error::BodyTooLarge { .. } | Error::Decode { .. } => RequestOutcome::Applied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn retryable_kinds_and_outcomes() {
        let server = Error::Server {
            provider: ProviderKind::HappyRobot,
            operation: Operation::Dial,
            status: 503,
            retry_after: Some(Duration::from_secs(2)),
            message: None,
        };
        assert!(server.is_retryable());
        assert_eq!(server.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(server.outcome(), RequestOutcome::Unknown);

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

        let unsupported = Error::unsupported(ProviderKind::Voicebot, Operation::AddNote);
        assert_eq!(
            unsupported.to_string(),
            "voicebot does not support add_note"
        );
        assert_eq!(unsupported.provider(), Some(ProviderKind::Voicebot));
        assert_eq!(unsupported.operation(), Some(Operation::AddNote));
    }
}
