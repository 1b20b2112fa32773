//! The words of [`Error`](super::Error)'s messages: the helpers its `#[error]` attributes
//! build each message with.

use std::time::Duration;

use super::FieldError;
use crate::Operation;

/// `": {message}"`, unless the vendor's message only repeats the reason phrase of the
/// answer's `status` (`Unauthorized` with a 401, `Not Found` with a 404), which the error's
/// own words say already. A phrase of another status is kept: it says something.
pub(super) fn said_beside(message: &Option<String>, status: u16) -> String {
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
pub(super) fn path_hint(operation: Operation, message: &Option<String>) -> &'static str {
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

pub(super) fn status_suffix(status: &Option<u16>) -> String {
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
pub(super) fn byte_size(bytes: usize) -> String {
    match bytes {
        0 => "0-byte".to_owned(),
        b if b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b}-byte"),
    }
}

pub(super) fn retry_after_suffix(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(" (retry after {:.1}s)", d.as_secs_f64()))
        .unwrap_or_default()
}

/// The details in brackets, but those the message says already (a setting it names in
/// backquotes, and whose detail says only that it is required).
pub(super) fn details_suffix(details: &[FieldError], message: &str) -> String {
    let said = |d: &FieldError| {
        d.message == "required"
            && !d.field.is_empty()
            && message.contains(&format!("`{}`", d.field))
    };
    let items: Vec<String> = details
        .iter()
        .filter(|d| !said(d))
        .map(FieldError::said)
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!(" [{}]", items.join("; "))
}

/// Whether the request went out: for a write, whether it may have taken effect; a read
/// that may have reached the vendor changed nothing there, and says nothing of it.
pub(super) fn sent_suffix(sent: bool, operation: Operation) -> &'static str {
    match (sent, operation.is_read()) {
        (true, true) => "",
        (true, false) => " (the request may have reached the vendor)",
        (false, _) => " (the request was not sent)",
    }
}

/// `" (body: {excerpt})"` after an [`Error::Decode`]'s message, when there is an excerpt
/// (a walk's cursor errors have none: no body is wrong, the walk is).
///
/// [`Error::Decode`]: super::Error::Decode
pub(super) fn body_suffix(excerpt: &str) -> String {
    match excerpt {
        "" => String::new(),
        excerpt => format!(" (body: {excerpt})"),
    }
}

/// What an [`Error::Decode`] could not decode: a webhook is a request the vendor sent, not
/// a response to one of ours.
///
/// [`Error::Decode`]: super::Error::Decode
pub(super) fn decoded_body(operation: Operation) -> &'static str {
    match operation {
        Operation::ParseWebhook => "the webhook body",
        _ => "response",
    }
}

/// `": {reason}"` after an [`Error::Unsupported`]'s message, when it has one.
///
/// [`Error::Unsupported`]: super::Error::Unsupported
pub(super) fn reason_suffix(reason: Option<&str>) -> String {
    reason.map(|r| format!(": {r}")).unwrap_or_default()
}
