//! What an [`Error`] means for the caller: whether the failure may pass, whether sending
//! again is safe, whether voiceport refused the request itself, and whether it may have
//! taken effect at the vendor.

use super::{Error, RequestOutcome};
use crate::Operation;

impl Error {
    /// Whether the failure may pass, so that the same request could succeed later (rate
    /// limits, vendor failures, timeouts, broken connections, a vendor that timed out
    /// waiting for the request: 408). Says nothing about *safety*: a dial that timed out
    /// after it was sent is transient, and sending it again could ring the phone twice.
    /// Ask [`is_retryable`](Self::is_retryable) before sending anything again.
    ///
    /// A request the HTTP client could not even build (a URL past the URI length limit),
    /// a TLS handshake that failed (a certificate refused, a server that does not speak
    /// TLS), and the 5xx statuses that say the server cannot ever do it (501 Not
    /// Implemented, 505 HTTP Version Not Supported, 511 Network Authentication Required: a
    /// captive portal in the way) are not: they would fail the same way each time.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { source, .. } => {
                !is_builder_error(&**source) && !is_tls_failure(&**source)
            }
            Error::Server {
                status: 501 | 505 | 511,
                ..
            } => false,
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
    /// let sent = |operation| Error::timeout(ProviderKind::Vapi, operation, true);
    /// assert!(sent(Operation::Dial).is_transient());
    /// assert!(!sent(Operation::Dial).is_retryable());
    /// assert!(sent(Operation::GetCall).is_retryable());
    /// let unsent = Error::timeout(ProviderKind::Vapi, Operation::Dial, false);
    /// assert!(unsent.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        let creates = matches!(
            self.operation(),
            Some(Operation::Dial | Operation::AddNote | Operation::Extension(_))
        );
        self.is_transient() && (!creates || self.outcome() == RequestOutcome::NotApplied)
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

    /// For the error of a dial: whether a call may exist at the vendor, the request having
    /// possibly reached it ([`outcome`](Self::outcome) is not
    /// [`NotApplied`](RequestOutcome::NotApplied)). Look the call up before dialing again
    /// ([`VoiceProviderExt::find_dialed`](crate::VoiceProviderExt::find_dialed); see
    /// [`RequestOutcome`]). A routed dial's error asks the same of its provider
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
