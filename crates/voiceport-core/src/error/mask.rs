//! Hiding a secret in an [`Error`]: [`Error::masked`] over every text a vendor may have
//! written, a transport cause's text with the secret hidden, and [`chain_text`], which
//! flattens a cause chain into that text.

use super::Error;
use crate::SecretMask;

impl Error {
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
                if let Some(masked) = MaskedCause::if_unclean(&**source, mask) {
                    *source = super::ErrorSource::new(masked);
                }
            }
            // The caller's id: a key passed as one (a mix-up of arguments) is hidden too.
            Error::WaitTimedOut { call_id, .. } => {
                if let std::borrow::Cow::Owned(masked) = mask.mask_str(call_id.as_str()) {
                    *call_id = crate::CallId::new(masked);
                }
            }
            // Built by voiceport from no vendor text.
            Error::Timeout { .. }
            | Error::BodyTooLarge { .. }
            | Error::Unsupported { .. }
            | Error::Interrupted { .. } => {}
        }
        self
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
    /// `None` when nothing `source` prints holds the secret (it is kept, and can still be
    /// downcast), else its masked text.
    fn if_unclean(
        source: &(dyn std::error::Error + Send + Sync + 'static),
        mask: &SecretMask,
    ) -> Option<MaskedCause> {
        let display = chain_text(source);
        let debug = format!("{source:?}");
        let (masked_display, masked_debug) = (mask.mask_str(&display), mask.mask_str(&debug));
        if matches!(masked_display, std::borrow::Cow::Borrowed(_))
            && matches!(masked_debug, std::borrow::Cow::Borrowed(_))
        {
            return None;
        }
        Some(MaskedCause {
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
