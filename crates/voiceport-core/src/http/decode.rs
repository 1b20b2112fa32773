//! Typed JSON decoding whose errors say where: the JSON path and a piece of the body.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::adapter::bounded::twice_within_entry_budget;
use crate::{Error, Operation, ProviderKind};

/// Decodes `body` into `T`, borrowing from it where `T` borrows.
///
/// On failure the error names the JSON path of the offending value (`calls[3].status`)
/// and quotes the body around it.
pub fn decode_json<'de, T: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    body: &'de [u8],
) -> Result<T, Error> {
    // JSON is UTF-8 (RFC 8259). Checked for the whole body first: a typed pass checks only
    // the strings it reads, and a payload kept from the body must be text.
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(error) => {
            let at = error.valid_up_to();
            return Err(Error::Decode {
                provider,
                operation,
                path: ".".to_owned(),
                message: format!("the body is not UTF-8 (byte {at})"),
                // Around the first byte that is not (column `at + 1` of the body as one line).
                excerpt: excerpt_at(body, 1, at.saturating_add(1)),
            });
        }
    };
    // Fast path: no path tracking. Only a failure pays for a second, tracked pass, which
    // fails the same way and says where. Each pass within its own budget for the lists'
    // entries.
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let tracked = twice_within_entry_budget(
        text.len(),
        || serde_json::from_str(text),
        || serde_path_to_error::deserialize::<_, T>(&mut deserializer),
    );
    let tracked = match tracked {
        Ok(value) => return Ok(value),
        Err(tracked) => tracked,
    };
    let error = match tracked {
        Err(e) => {
            let path = e.path().to_string();
            decode_error(provider, operation, body, &path, e.into_inner())
        }
        // Trailing characters after the value.
        Ok(_) => match deserializer.end() {
            Err(e) => decode_error(provider, operation, body, ".", e),
            Ok(()) => decode_error(provider, operation, body, ".", unexplained()),
        },
    };
    Err(error)
}

/// Decodes one raw JSON value (an item of a list, say) into `T`; the error path starts
/// with `path_prefix` (such as `calls[3]`), so it points into the whole body.
pub fn decode_raw<'de, T: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    path_prefix: &str,
) -> Result<T, Error> {
    decode_raw_at(provider, operation, raw, || path_prefix)
}

/// [`decode_raw`], its path prefix written only when the value does not decode (a page of
/// 2,000 calls would otherwise format 2,000 prefixes for nothing).
///
/// ```
/// use serde_json::value::RawValue;
/// use voiceport_core::http::decode_raw_at;
/// use voiceport_core::{Operation, ProviderKind};
///
/// let raw: &RawValue = serde_json::from_str(r#"{"id": 7}"#).unwrap();
/// let index = 3;
/// let read: Result<std::collections::BTreeMap<String, String>, _> =
///     decode_raw_at(ProviderKind::Retell, Operation::ListCalls, raw, || format!("items[{index}]"));
/// assert_eq!(read.unwrap_err().json_path(), Some("items[3].id"));
/// ```
pub fn decode_raw_at<'de, T: Deserialize<'de>, P: AsRef<str>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    path_prefix: impl FnOnce() -> P,
) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    let tracked = twice_within_entry_budget(
        raw.get().len(),
        || serde_json::from_str(raw.get()),
        || serde_path_to_error::deserialize::<_, T>(&mut deserializer),
    );
    let tracked = match tracked {
        Ok(value) => return Ok(value),
        Err(tracked) => tracked,
    };
    let path_prefix = path_prefix();
    let path_prefix = path_prefix.as_ref();
    let (path, source) = match tracked {
        Err(e) => (
            join_path(path_prefix, &e.path().to_string()),
            e.into_inner(),
        ),
        Ok(_) => (join_path(path_prefix, "."), unexplained()),
    };
    Err(decode_error(
        provider,
        operation,
        raw.get().as_bytes(),
        &path,
        source,
    ))
}

/// The untracked pass failed but the tracked one did not: cannot happen with one input and
/// one type, but it must not panic either.
fn unexplained() -> serde_json::Error {
    <serde_json::Error as serde::de::Error>::custom("the body did not decode")
}

fn decode_error(
    provider: ProviderKind,
    operation: Operation,
    body: &[u8],
    path: &str,
    source: serde_json::Error,
) -> Error {
    Error::Decode {
        provider,
        operation,
        path: if path.is_empty() {
            ".".to_owned()
        } else {
            bounded_path(path)
        },
        excerpt: excerpt_at(body, source.line(), source.column()),
        // serde_json quotes the value it could not read: a huge value is cut in the
        // middle, and a URL there is cut as in excerpts.
        message: bounded_message(&said_plainly(&source)),
    }
}

/// serde_json's message, with what it means for the body said first where serde's words
/// name the parser's state (`expected ident`, `EOF while parsing`): a body that is no JSON
/// at all (an HTML error page, a proxy's text) is `not JSON`, and one that ends inside its
/// JSON is `cut short`. A number out of range, nesting past the limit and a lone surrogate
/// are syntax errors to serde_json too, of bodies that are JSON: said as they are.
fn said_plainly(source: &serde_json::Error) -> String {
    let message = source.to_string();
    let of_valid_json = ["number out of range", "recursion limit", "surrogate"];
    if source.is_eof() {
        format!("cut short: {message}")
    } else if source.is_syntax() && !of_valid_json.iter().any(|text| message.contains(text)) {
        format!("not JSON: {message}")
    } else {
        message
    }
}

/// The most characters of a JSON path an error keeps: a path holds vendor map keys,
/// which can be of any length.
const MAX_PATH_CHARS: usize = 200;

/// The most characters of serde's message a decode error keeps (it quotes the value it
/// could not read, which can be of any length).
const MAX_MESSAGE_CHARS: usize = 500;

/// A character that must not reach a terminal or a log line as it is: a control
/// character (C0, DEL, C1, so ESC and newlines) or a bidi override or isolate, which can
/// make text read other than it is.
pub(crate) fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `path` as an error shows it: unsafe characters escaped (`\n`, `\u{1b}`), at most
/// [`MAX_PATH_CHARS`] characters (cut between characters, with an ellipsis).
pub(crate) fn bounded_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len().min(MAX_PATH_CHARS * 4));
    let mut count = 0;
    for c in path.chars() {
        let piece: String = if is_unsafe_char(c) {
            c.escape_default().collect()
        } else {
            c.into()
        };
        count += piece.chars().count();
        if count > MAX_PATH_CHARS {
            out.push('…');
            return out;
        }
        out.push_str(&piece);
    }
    out
}

/// `message` as an error keeps it: each URL cut to its scheme and host
/// ([`without_url_secrets`]), and at most [`MAX_MESSAGE_CHARS`] characters: its start and
/// its end (which says what was expected, and where), the middle replaced with an
/// ellipsis; then unsafe characters escaped, as in a path (serde quotes the vendor's
/// value as it is: `unknown variant `…``).
///
/// Cut first, so that a message of any length costs little more than counting its
/// characters. The piece each cut goes through (up to a space or a quote) is dropped: it
/// may be a URL cut before its host ends (`https://user:p4`), whose password would
/// then read as a host.
pub(crate) fn bounded_message(message: &str) -> String {
    const TAIL: usize = 150;
    const HEAD: usize = MAX_MESSAGE_CHARS - TAIL - 1;
    let mut from_start = message.char_indices();
    let mut from_end = message.char_indices();
    let (Some((head_end, _)), Some((tail_start, _)), Some(_)) = (
        from_start.nth(HEAD),
        from_end.nth_back(TAIL - 1),
        from_start.nth(MAX_MESSAGE_CHARS - HEAD - 1),
    ) else {
        return escape_unsafe(without_url_secrets(message, Start::Whole));
    };
    // Up to the head's last space or quote: the piece after it is cut by the ellipsis.
    let head = message.get(..head_end).unwrap_or_default();
    let head = head.get(..whole_pieces(head)).unwrap_or_default();
    let tail = message.get(tail_start..).unwrap_or_default();
    escape_unsafe(format!(
        "{}…{}",
        without_url_secrets(head, Start::Whole),
        without_url_secrets(tail, Start::Cut)
    ))
}

/// `text` with its [unsafe characters](is_unsafe_char) escaped (`\u{1b}`, `\u{202e}`).
fn escape_unsafe(text: String) -> String {
    if !text.chars().any(is_unsafe_char) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `head`, the start of a text cut at its end, without its last piece when that is a URL
/// the cut went through: cut before its host ends, a user and password in it would not
/// be told apart from the host (`https://user:pa`), and be shown.
pub(crate) fn without_cut_url(head: &str) -> &str {
    let whole = whole_pieces(head);
    let last = head.get(whole..).unwrap_or_default();
    match last.contains("://") || last.contains(":\\/\\/") {
        true => head.get(..whole).unwrap_or_default(),
        false => head,
    }
}

/// How much of `text`, cut at its end, is whole pieces: up to its last space or quote
/// (the piece after it, which the cut went through, may be a URL cut before its host
/// ends).
fn whole_pieces(text: &str) -> usize {
    (text.char_indices().rev())
        .find(|&(_, c)| ends_url(c))
        .map_or(0, |(at, c)| at + c.len_utf8())
}

pub(crate) fn join_path(prefix: &str, inner: &str) -> String {
    match (prefix.is_empty(), inner == "." || inner.is_empty()) {
        (true, true) => ".".to_owned(),
        (true, false) => inner.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
        (false, false) => format!("{prefix}.{inner}"),
    }
}

/// The start of `body` (about 120 characters) on one line, for error messages.
pub fn excerpt(body: &[u8]) -> String {
    excerpt_at(body, 1, 1)
}

/// Up to 60 bytes either side of (line, column), on one line, at most ~130 characters.
fn excerpt_at(body: &[u8], line: usize, column: usize) -> String {
    const SIDE: usize = 60;
    let line_start = body
        .split(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum::<usize>();
    let at = (line_start + column.saturating_sub(1)).min(body.len());
    let start = at.saturating_sub(SIDE);
    let end = (at + SIDE).min(body.len());
    let text = String::from_utf8_lossy(&body[start..end]);
    let mut flat: String = text
        .chars()
        .map(|c| if is_unsafe_char(c) { ' ' } else { c })
        .collect();
    // Cut before the body's end, the last piece (after a space or a quote) may be a URL
    // cut before its host ends (`https://user:p4`), whose password would read as a host:
    // dropped, as `bounded_message` drops the piece its cut goes through.
    if end < body.len() {
        flat.truncate(whole_pieces(&flat));
    }
    let cut = match start {
        0 => Start::Whole,
        _ => Start::Cut,
    };
    let flat = without_url_secrets(&flat, cut);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(flat.trim());
    if end < body.len() {
        out.push('…');
    }
    out
}

/// Where a text given to [`without_url_secrets`] starts, in what it was taken from (a
/// body, a message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// At its start: the text's first piece is whole.
    Whole,
    /// Inside it, maybe inside a URL: the text's first piece (up to a quote or a space)
    /// may be the rest of a URL cut before its host ends.
    Cut,
}

/// `text` with each URL cut to its scheme and host: a path or a query can be a
/// capability (a pre-signed recording URL, a live call's control URL), and an excerpt ends
/// up in logs. When the text starts [cut](Start::Cut) (inside the body, maybe inside a
/// URL), its first piece (up to a quote or a space) is hidden too.
pub(crate) fn without_url_secrets(text: &str, start: Start) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    if start == Start::Cut {
        rest = &rest[rest.find(ends_url).unwrap_or(rest.len())..];
    }
    // Each piece of `text` is read once: the search for the next URL starts after the
    // previous one.
    while let Some((at, len)) = url_separator(rest) {
        let after = &rest[at + len..];
        let host = after
            .find(|c: char| ends_url(c) || matches!(c, '/' | '\\' | '?' | '#'))
            .unwrap_or(after.len());
        let tail = &after[host..];
        let hidden = tail.find(ends_url).unwrap_or(tail.len());
        out.push_str(&rest[..at + len]);
        // A user and password before the host (`user:p4ss@host`) are hidden too.
        match after[..host].rfind('@') {
            Some(at_sign) => {
                out.push_str("…@");
                out.push_str(&after[at_sign + 1..host]);
            }
            None => out.push_str(&after[..host]),
        }
        if hidden > 0 {
            out.push_str("/…");
        }
        rest = &tail[hidden..];
    }
    out.push_str(rest);
    out
}

/// A character that ends a URL in text: a quote, an angle bracket or a space.
fn ends_url(c: char) -> bool {
    c == '"' || c == '\'' || c == '<' || c == '>' || c.is_whitespace()
}

/// Where the first `://` of `text` is, or `:\/\/` from a sender that escapes slashes,
/// and its length: one pass, whichever comes first (two searches of the whole rest for
/// each URL would cost the square of a text of many URLs).
fn url_separator(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = memchr::memchr(b':', bytes.get(from..).unwrap_or_default()) {
        let at = from + offset;
        let after = bytes.get(at + 1..).unwrap_or_default();
        if after.starts_with(b"//") {
            return Some((at, 3));
        }
        if after.starts_with(b"\\/\\/") {
            return Some((at, 5));
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        calls: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        id: String,
        metadata: BTreeMap<String, Vec<String>>,
    }

    /// A value serde_json quotes in its message (a string where an object was expected)
    /// keeps only its scheme and host when it is a URL, as in the excerpt.
    #[test]
    fn a_url_quoted_in_the_message_keeps_no_secret() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Recording {
            url: String,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Artifact {
            recording: Recording,
        }
        let body =
            br#"{"recording": "https://bucket.s3.amazonaws.com/r.wav?X-Amz-Signature=8f2c1e"}"#;
        let err =
            decode_json::<Artifact>(ProviderKind::Vapi, Operation::GetCall, body).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("X-Amz-Signature"), "{text}");
        assert!(text.contains("bucket.s3.amazonaws.com"), "{text}");
    }

    #[test]
    fn error_names_json_path_and_quotes_body() {
        let body = br#"{"calls":[{"id":"a","metadata":{}},{"id":"b","metadata":{"tags":[1]}}]}"#;
        let err =
            decode_json::<Page>(ProviderKind::HappyRobot, Operation::ListCalls, body).unwrap_err();
        match &err {
            Error::Decode {
                path,
                excerpt,
                message,
                ..
            } => {
                assert_eq!(path, "calls[1].metadata.tags[0]");
                assert!(excerpt.contains("\"tags\":[1]"), "{excerpt}");
                assert!(message.contains("invalid type"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.starts_with(
                "happyrobot list_calls: cannot decode response at `calls[1].metadata.tags[0]`"
            ),
            "{text}"
        );
    }

    #[test]
    fn malformed_and_truncated_json_are_decode_errors() {
        // The message of the decode error a body gives, as a page or as any JSON.
        let said = |body: &[u8], any_json: bool| {
            let error = match any_json {
                false => decode_json::<Page>(ProviderKind::Rounded, Operation::ListCalls, body),
                true => decode_json::<serde_json::Value>(
                    ProviderKind::Rounded,
                    Operation::ListCalls,
                    body,
                )
                .map(|_| Page { calls: Vec::new() }),
            };
            match error {
                Err(Error::Decode { message, .. }) => message,
                other => panic!("{other:?}"),
            }
        };
        // No JSON, or JSON cut short: said so first, not only in serde's words for where
        // it stopped.
        for (body, first) in [
            (&b"{\"calls\": ["[..], "cut short: "),
            (b"<html>502</html>", "not JSON: "),
            (b"", "cut short: "),
            (b"{\"calls\":[]} trailing", "not JSON: "),
        ] {
            let message = said(body, false);
            assert!(message.starts_with(first), "{message}");
        }
        // JSON of the wrong shape, and JSON serde_json refuses (a number out of range),
        // are JSON: said as they are.
        for (body, any_json) in [(&br#"{"calls": 5}"#[..], false), (b"[1e400]", true)] {
            let message = said(body, any_json);
            assert!(
                !message.starts_with("not JSON") && !message.starts_with("cut short"),
                "{message}"
            );
        }
    }

    #[test]
    fn raw_item_paths_are_prefixed() {
        let raw: Box<RawValue> = serde_json::from_str(r#"{"id": 5, "metadata": {}}"#).unwrap();
        let err = decode_raw::<Item>(ProviderKind::Voicebot, Operation::ListCalls, &raw, "[7]")
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "[7].id"),
            "{err:?}"
        );
        let err = decode_raw::<Item>(
            ProviderKind::Voicebot,
            Operation::ListCalls,
            &raw,
            "data[2]",
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "data[2].id"),
            "{err:?}"
        );
    }

    #[test]
    fn excerpt_is_short_and_single_line() {
        let body = format!("{{\n\"a\": \"{}\",\n\"b\": x}}", "y".repeat(500));
        let text = excerpt_at(body.as_bytes(), 3, 6);
        assert!(text.len() < 200, "{text}");
        assert!(!text.contains('\n'));
        assert!(text.contains("\"b\": x"), "{text}");
        // Multi-byte characters cut in the middle do not panic.
        let body = "é".repeat(100);
        let text = excerpt_at(body.as_bytes(), 1, 61);
        assert!(text.len() < 200 && !text.contains('\u{fffd}'), "{text}");
    }

    /// Runs `work` on a thread, failing if it takes longer than any loaded machine would
    /// for linear work, far shorter than the minutes quadratic work takes.
    fn within_hang_guard<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
        const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(120);
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || send.send(work()));
        receive
            .recv_timeout(HANG_GUARD)
            .expect("hung: the work is not linear")
    }

    /// 8 MiB of `a:// ` (and one `:\/\/` at the very end): a search of the whole rest
    /// for each spelling of `://` at each URL would take many minutes.
    #[test]
    fn hiding_urls_costs_one_pass() {
        let text = format!("{}x:\\/\\/h\\/s", "a:// ".repeat((8 << 20) / 5));
        let len = text.len();
        let out = within_hang_guard(move || without_url_secrets(&text, Start::Whole));
        // Each `a://` is as it was (nothing follows its host); the last URL's path is hidden.
        assert_eq!(out.len(), len + 1);
        assert!(
            out.ends_with("a:// x:\\/\\/h/…"),
            "{}",
            &out[out.len() - 20..]
        );
    }

    /// A message is cut before URLs are hidden in it: a URL the cut goes through keeps
    /// nothing of its user and password, and the message stays short.
    #[test]
    fn a_message_cut_in_a_url_keeps_none_of_its_secret() {
        // The head is cut 14 characters into the URL, in its password.
        let message = format!(
            "{} https://ops:p4ssw0rd@api.example.com/x {}end",
            "m".repeat(334),
            "y ".repeat(500)
        );
        let out = bounded_message(&message);
        assert!(!out.contains("ops") && !out.contains("p4"), "{out}");
        assert!(out.starts_with("mmm") && out.ends_with("y y end"), "{out}");
        assert!(out.chars().count() <= MAX_MESSAGE_CHARS, "{out}");
        // And the tail cut in a URL's path keeps nothing of it.
        let message = format!(
            "{} https://bucket.example.com/{}?X-Amz-Signature=8f2c1e end",
            "m".repeat(1_000),
            "p".repeat(120)
        );
        let out = bounded_message(&message);
        assert!(!out.contains("8f2c1e") && !out.contains("pp"), "{out}");
        assert!(out.ends_with(" end"), "{out}");
        // Short messages are only cleaned.
        assert_eq!(
            bounded_message("expected u64, got \"https://h.example/secret\""),
            "expected u64, got \"https://h.example/…\""
        );
    }

    /// A body that is not UTF-8 is quoted around its first byte that is not, not at its
    /// start.
    #[test]
    fn a_body_that_is_not_utf8_is_quoted_where_it_breaks() {
        let mut body = format!("{{\"calls\": [{}", "{\"id\": \"c\"}, ".repeat(30)).into_bytes();
        body.extend_from_slice(b"{\"id\": \"caf\xe9-broken\"}]}");
        let err = decode_json::<serde_json::Value>(ProviderKind::Vapi, Operation::ListCalls, &body)
            .unwrap_err();
        let Error::Decode {
            excerpt, message, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert!(message.contains("not UTF-8"), "{message}");
        assert!(excerpt.contains("caf\u{fffd}-broken"), "{excerpt}");
        assert!(excerpt.starts_with('…'), "{excerpt}");
    }

    /// serde quotes the vendor's value in its message as it is: a terminal escape, a line
    /// break or a bidi override in it is escaped, in a short message and in a cut one.
    #[test]
    fn a_message_quoting_vendor_text_escapes_its_control_characters() {
        let out = bounded_message("unknown variant `\u{1b}]0;pwn\u{7}\u{9b}x\u{202e}y\nz`");
        assert_eq!(
            out,
            "unknown variant `\\u{1b}]0;pwn\\u{7}\\u{9b}x\\u{202e}y\\nz`"
        );
        let long = format!("{}\u{1b}[2J{}", "a ".repeat(400), "b ".repeat(20));
        let out = bounded_message(&long);
        assert!(!out.chars().any(is_unsafe_char), "{out}");
        assert!(out.contains("\\u{1b}[2J"), "{out}");
    }

    #[test]
    fn urls_in_an_excerpt_keep_only_their_host() {
        let body = br#"{"recordingUrl": "https://bucket.s3.amazonaws.com/rec/c1.wav?X-Amz-Signature=0a1b2c", "controlUrl": "wss:\/\/phone.vapi.ai\/0194-c1\/control", "n": x}"#;
        let text = excerpt_at(body, 1, 60);
        for secret in [
            "X-Amz-Signature",
            "0a1b2c",
            "c1.wav",
            "0194-c1",
            "control\"",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("https://bucket.s3.amazonaws.com/…"), "{text}");
        // A URL cut by the start of the window hides its visible piece too.
        let text = excerpt_at(body, 1, 130);
        assert!(text.starts_with('…'), "{text}");
        assert!(text.contains("wss:\\/\\/phone.vapi.ai/…"), "{text}");
        for secret in ["X-Amz-Signature", "0a1b2c", "0194-c1"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        // A user and password before the host are hidden.
        assert_eq!(
            without_url_secrets(
                r#"{"u": "https://ops:p4ss@api.example.com/x"}"#,
                Start::Whole
            ),
            r#"{"u": "https://…@api.example.com/…"}"#
        );
        // Text without URLs is as it was.
        assert_eq!(
            without_url_secrets(r#"{"a": "b/c?d"}"#, Start::Whole),
            r#"{"a": "b/c?d"}"#
        );
        // A window that ends inside a URL's password (before its `@`) shows none of it.
        let password = "p4ssw0rd".repeat(5);
        let body = format!(r#"{{"recording":"https://ops:{password}@rec.example.com/a.wav"}}"#);
        let text = excerpt(body.as_bytes());
        assert!(!text.contains("p4ssw0rd"), "{text}");
        assert!(text.starts_with(r#"{"recording":""#), "{text}");
    }
}
