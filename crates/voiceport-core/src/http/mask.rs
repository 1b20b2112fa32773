//! Hiding secrets (the API key; a keyless URL's tokens) from what the client returns
//! and logs: a response body, a redirect's host, and a JSON string however the vendor
//! escaped it.
//!
//! [`SecretMask`] finds the key as it is and in a few fixed spellings (JSON-escaped,
//! percent-encoded), but JSON lets any character be written `\uXXXX`: a vendor that
//! echoes `sk-live-\u0068…` has the key reach decoded values, and every error that quotes
//! one. Here each JSON string that holds an escape able to spell part of the key is
//! decoded, and one whose text holds the key is written again with the key hidden.

use std::borrow::Cow;

use url::Url;

use super::HeaderMap;
use crate::SecretMask;

/// `body` with each secret hidden: as it is and in its usual spellings, then inside JSON
/// strings however escaped.
pub(super) fn hide_secrets(masks: &[&crate::SecretMask], mut body: Vec<u8>) -> Vec<u8> {
    for mask in masks {
        if let std::borrow::Cow::Owned(masked) = mask.mask_bytes(&body) {
            body = masked;
        }
        if let std::borrow::Cow::Owned(masked) = mask_escaped_strings(mask, &body) {
            body = masked;
        }
    }
    body
}

/// Masks for the parts of a URL that is its own credential: each path segment and query
/// value long enough to be a token (a short one such as `control` is a route, and hiding
/// it would hide that word everywhere), each once, the first [`MOST_URL_MASKS`] of them.
pub(super) fn credential_masks(url: &Url) -> Vec<crate::SecretMask> {
    // As the URL spells them; the mask finds their other spellings too.
    let segments = url.path_segments().into_iter().flatten().map(str::to_owned);
    let values = url.query_pairs().map(|(_, value)| value.into_owned());
    let mut parts: Vec<String> = Vec::new();
    for part in segments.chain(values) {
        if part.chars().count() >= crate::secret_mask::MASK_ANYWHERE_FROM && !parts.contains(&part)
        {
            parts.push(part);
        }
        if parts.len() == MOST_URL_MASKS {
            break;
        }
    }
    parts
        .iter()
        .map(|part| crate::SecretMask::new(part))
        .collect()
}

/// The most parts of a keyless request's URL masked: a credential URL holds one token (a
/// Vapi control URL: `/<token>/control`), and each mask is a pass over every answer, so a
/// URL from vendor data must not name thousands.
const MOST_URL_MASKS: usize = 4;

/// The longest host a redirect's error names: a DNS name's limit (RFC 1035). A hostile
/// `Location` could name a host of any length.
const MAX_REDIRECT_HOST: usize = 253;

/// The host (and port) a redirect's `Location` points to, resolved against the request's
/// URL; never its path or query, which may carry signatures. A host longer than
/// [`MAX_REDIRECT_HOST`] is cut, with an ellipsis.
///
/// A secret of `masks` in the host is hidden (before the cut, which could leave a prefix
/// of it); a host that still spells one with its letters in another case is not shown at
/// all: the URL parser lower-cases a domain, drops tabs and line breaks and decodes
/// percent escapes, so a key the header spelt otherwise may still be spelt by the host.
pub(super) fn redirect_host(
    url: &Url,
    headers: &HeaderMap,
    masks: &[&crate::SecretMask],
) -> Option<String> {
    let location = headers.get(http::header::LOCATION)?.to_str().ok()?;
    let target = url.join(location.trim()).ok()?;
    // ASCII (a domain is written in punycode, any other host percent-encoded), so bytes
    // are characters.
    let parsed = target.host_str()?;
    let host = (masks.iter()).fold(parsed.to_owned(), |host, mask| {
        mask.mask_str(&host).into_owned()
    });
    if masks.iter().any(|mask| mask.found_in_any_case(&host)) {
        return Some("[REDACTED]".to_owned());
    }
    let host = if host.len() > MAX_REDIRECT_HOST {
        // Cut to one character less, and the ellipsis.
        let mut cut = MAX_REDIRECT_HOST - 1;
        while !host.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", host.get(..cut).unwrap_or_default())
    } else {
        host.to_owned()
    };
    Some(match target.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// `body` with every JSON string (value or object key) whose decoded text holds the
/// secret written again, decoded, masked and re-escaped; borrowed when there is none.
///
/// Only strings with an escape that may spell part of the secret are decoded (`\u`, or
/// the short escape of a character the secret holds: a transcript's `\n` does not make
/// its string decoded for a key without a line feed); the others were masked as they
/// are. The scan goes from quote to quote, so a body that is not JSON is read as if it
/// were: its quoted pieces are checked the same way. An escape JSON does not know is kept
/// as it is (the body will not decode anyway).
pub(crate) fn mask_escaped_strings<'a>(mask: &SecretMask, body: &'a [u8]) -> Cow<'a, [u8]> {
    if !mask.may_hide_in_escapes(body) {
        return Cow::Borrowed(body);
    }
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut at = 0;
    let mut decoded = Vec::new();
    while let Some(open) = memchr::memchr(b'"', body.get(at..).unwrap_or_default()) {
        let open = at + open;
        let (close, may_spell) = string_end(mask, body, open + 1);
        at = close.saturating_add(1);
        if !may_spell {
            continue;
        }
        let raw = body.get(open + 1..close).unwrap_or_default();
        #[cfg(test)]
        tests::STRINGS_DECODED.with(|decoded| decoded.set(decoded.get() + 1));
        decoded.clear();
        unescape(raw, &mut decoded);
        let Cow::Owned(masked) = mask.mask_bytes(&decoded) else {
            continue;
        };
        let mut quoted = quoted(&masked, raw.len());
        // A string the body never closed stays unclosed.
        if close >= body.len() {
            quoted.pop();
        }
        let buffer = out.get_or_insert_with(|| Vec::with_capacity(body.len()));
        buffer.extend_from_slice(body.get(copied..open).unwrap_or_default());
        buffer.extend_from_slice(&quoted);
        copied = at.min(body.len());
    }
    match out {
        Some(mut buffer) => {
            buffer.extend_from_slice(body.get(copied..).unwrap_or_default());
            Cow::Owned(buffer)
        }
        None => Cow::Borrowed(body),
    }
}

/// A masked string's text (`masked`) written again as a JSON string, quotes included: the
/// quote, the backslash and the control characters escaped (as JSON must), every other
/// byte as it is, invalid UTF-8 too (the body will not decode anyway). Never much longer
/// than the string was (`raw_len`, between its quotes): the text came from its escapes,
/// each at least as long as it is written again, unless the body held raw control
/// characters, which JSON refuses. Written again, each would take six bytes: a 60 MiB
/// string of them would grow the body six times past the client's cap. Such a string is
/// hidden whole.
fn quoted(masked: &[u8], raw_len: usize) -> Vec<u8> {
    const HIDDEN: &[u8] = b"\"[REDACTED]\"";
    let mut out = Vec::with_capacity(masked.len() + 2);
    out.push(b'"');
    for &byte in masked {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            0x00..=0x1F => {
                let hex = |digit: u8| {
                    if digit < 10 {
                        b'0' + digit
                    } else {
                        b'a' + digit - 10
                    }
                };
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(byte >> 4), hex(byte & 0xF)]);
            }
            _ => out.push(byte),
        }
        if out.len() > raw_len + HIDDEN.len() {
            return HIDDEN.to_vec();
        }
    }
    out.push(b'"');
    out
}

/// Where the string whose text starts at `start` ends (the index of its closing quote, or
/// the body's length when it is never closed), and whether it holds an escape that may
/// spell part of the secret ([`SecretMask::may_spell`]).
fn string_end(mask: &SecretMask, body: &[u8], start: usize) -> (usize, bool) {
    let mut may_spell = false;
    let mut at = start;
    loop {
        let rest = body.get(at..).unwrap_or_default();
        match memchr::memchr2(b'"', b'\\', rest) {
            None => return (body.len(), may_spell),
            Some(offset) if rest.get(offset) == Some(&b'"') => return (at + offset, may_spell),
            Some(offset) => {
                may_spell |= rest
                    .get(offset + 1)
                    .is_some_and(|&letter| mask.may_spell(letter));
                // The escaped character is skipped, whatever it is (`\"` does not close).
                at = at + offset + 2;
            }
        }
    }
}

/// Appends the text of a JSON string's inside (`raw`, between its quotes) to `out`:
/// every escape JSON has decoded (a lone surrogate as U+FFFD), any other kept as it is.
/// Not serde_json's: it refuses both, and a body it refuses still has its excerpt quoted
/// in the decode error, where a key spelled in escapes must be hidden too.
fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let mut at = 0;
    while at < raw.len() {
        let Some(offset) = memchr::memchr(b'\\', raw.get(at..).unwrap_or_default()) else {
            out.extend_from_slice(raw.get(at..).unwrap_or_default());
            return;
        };
        out.extend_from_slice(raw.get(at..at + offset).unwrap_or_default());
        at += offset;
        let simple = (crate::secret_mask::SHORT_ESCAPES.iter())
            .find(|(_, letter)| raw.get(at + 1) == Some(letter))
            .map(|(byte, _)| *byte);
        if let Some(byte) = simple {
            out.push(byte);
            at += 2;
            continue;
        }
        match hex4(raw, at + 2) {
            Some(unit) if raw.get(at + 1) == Some(&b'u') => {
                let mut taken = 6;
                let c = match unit {
                    0xD800..=0xDBFF => match (raw.get(at + 6..at + 8), hex4(raw, at + 8)) {
                        (Some(b"\\u"), Some(low @ 0xDC00..=0xDFFF)) => {
                            taken = 12;
                            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                            char::from_u32(code)
                        }
                        _ => None,
                    },
                    unit => char::from_u32(unit),
                };
                let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                at += taken;
            }
            // Not an escape JSON knows: kept as it is.
            _ => {
                out.push(b'\\');
                at += 1;
            }
        }
    }
}

/// The four hex digits at `at`, as a number.
fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    let digits = std::str::from_utf8(raw.get(at..at + 4)?).ok()?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HeaderValue;

    thread_local! {
        /// How many strings this thread's masking decoded.
        pub(super) static STRINGS_DECODED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// How many strings `mask_escaped_strings(mask, body)` decodes.
    fn strings_decoded(mask: &SecretMask, body: &[u8]) -> (usize, Vec<u8>) {
        let before = STRINGS_DECODED.with(std::cell::Cell::get);
        let out = mask_escaped_strings(mask, body).into_owned();
        (STRINGS_DECODED.with(std::cell::Cell::get) - before, out)
    }

    /// A credential URL's parts are masked each once, the first few: a URL from vendor
    /// data naming thousands of tokens would make a pass over every answer of each.
    #[test]
    fn a_credential_url_gives_a_few_masks() {
        let url = Url::parse("https://x.vapi.ai/token-aaaa1111/control?k=token-aaaa1111").unwrap();
        assert_eq!(credential_masks(&url).len(), 1, "one token, named twice");
        let many: String = (0..50).map(|n| format!("/token-{n:06}")).collect();
        let url = Url::parse(&format!("https://x.vapi.ai{many}")).unwrap();
        let masks = credential_masks(&url);
        assert_eq!(masks.len(), MOST_URL_MASKS);
        let hidden = masks[0].mask_str("Cannot POST /token-000000/control");
        assert!(!hidden.contains("token-000000"), "{hidden}");
    }

    /// A string written again to hide the key is no longer than it was, give or take the
    /// mask: its escapes come back as short as they were, bytes that are no UTF-8 stay as
    /// they are, and a string of raw control characters (which JSON refuses), which would
    /// take six bytes each written again, is hidden whole.
    #[test]
    fn a_string_written_again_does_not_grow() {
        let mask = SecretMask::new(KEY);
        let body = br#"{"a":"x\u0001\n\"q\" sk-live-\u0068ostiletestkey123 \u00e9"}"#;
        let out = mask_escaped_strings(&mask, body).into_owned();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["a"], "x\u{1}\n\"q\" [REDACTED] é");
        assert!(out.len() <= body.len(), "{}", String::from_utf8_lossy(&out));

        let mut hostile = b"[\"".to_vec();
        hostile.extend(std::iter::repeat_n(0x01, 100_000));
        hostile.extend_from_slice(b"\xff sk-live-\\u0068ostiletestkey123\"]");
        let out = mask_escaped_strings(&mask, &hostile).into_owned();
        assert_eq!(out, br#"["[REDACTED]"]"#);

        let invalid = b"[\"\xff\xfe sk-live-\\u0068ostiletestkey123\"]";
        let out = mask_escaped_strings(&mask, invalid).into_owned();
        assert_eq!(out, b"[\"\xff\xfe [REDACTED]\"]");
    }

    /// A transcript escapes line breaks and quotes in every line: those strings are not
    /// decoded, only one with an escape that can spell part of the key (`\u`, or the
    /// short escape of a character the key holds).
    #[test]
    fn only_strings_with_an_escape_the_key_could_use_are_decoded() {
        let lines = r#"{"text":"he said \"hi\"\nthen left\t."},"#.repeat(1_000);
        // A key with a `/`: only `\/` and `\u` may spell it.
        let slashed = SecretMask::new("sk/live/hostiletestkey123");
        let body = format!(r#"[{lines}"a\/b","sk\/live\/hostiletestkey123"]"#);
        let (decoded, out) = strings_decoded(&slashed, body.as_bytes());
        assert_eq!(decoded, 2);
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value[1_001], "[REDACTED]");
        assert_eq!(value[1_000], "a/b");
        // An ordinary key and one `\u` in the body: only its string is decoded.
        let mask = SecretMask::new(KEY);
        let body = format!(r#"[{lines}"sk-live-\u0068ostiletestkey123"]"#);
        let (decoded, out) = strings_decoded(&mask, body.as_bytes());
        assert_eq!(decoded, 1);
        assert!(out.ends_with(br#","[REDACTED]"]"#));
        // A key with a line feed: `\n` may spell it.
        let broken = SecretMask::new("sk-live\nhostiletestkey123");
        let body = format!(r#"[{lines}"sk-live\nhostiletestkey123"]"#);
        let (decoded, out) = strings_decoded(&broken, body.as_bytes());
        assert_eq!(decoded, 1_001);
        assert!(out.ends_with(br#","[REDACTED]"]"#));
    }

    const KEY: &str = "sk-live-hostiletestkey123";

    fn masked(body: &str) -> String {
        let mask = SecretMask::new(KEY);
        String::from_utf8(mask_escaped_strings(&mask, body.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn a_key_spelled_with_escapes_is_hidden_in_values_and_keys() {
        let body = r#"{"a":"sk-live-\u0068ostiletestkey123","sk-\u006cive-hostiletestkey123":1,"b":"x\n"}"#;
        let out = masked(body);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["a"], "[REDACTED]");
        assert_eq!(value["[REDACTED]"], 1);
        // Strings without the key are as they were, byte for byte.
        assert!(out.ends_with(r#""b":"x\n"}"#), "{out}");
        assert!(!value.to_string().contains(KEY));
    }

    #[test]
    fn every_escape_form_decodes() {
        // `\/`, a surrogate pair, and text around the key.
        let body =
            r#"["a\/b sk\u002dlive\u002d\u0068ostiletestkey123 \ud83d\ude00 after", "\"q\""]"#;
        let out = masked(body);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value[0], "a/b [REDACTED] \u{1f600} after");
        assert_eq!(value[1], "\"q\"");
    }

    #[test]
    fn bodies_without_escapes_or_the_key_are_borrowed_and_odd_ones_do_not_panic() {
        let mask = SecretMask::new(KEY);
        for body in [
            &br#"{"a":"b"}"#[..],
            br#"{"a":"b\n"}"#,
            b"\"unclosed \\",
            b"\\u12",
            b"\"\\ud800\\u",
            b"\"\\ud800\\udc",
            b"\xff\"\\u00\xff",
        ] {
            assert!(
                matches!(mask_escaped_strings(&mask, body), Cow::Borrowed(_)),
                "{body:?}"
            );
        }
        // A `\/` cannot spell this key (it has no `/`): the body is not even scanned. A
        // key with a `/` is found spelled with one.
        let body = r#"{"a":"sk-live-hostiletestkey123\/"}"#;
        assert!(!mask.may_hide_in_escapes(body.as_bytes()));
        let slashed = SecretMask::new("sk/live/hostiletestkey123");
        let out = mask_escaped_strings(&slashed, br#"{"a":"sk\/live\/hostiletestkey123"}"#);
        assert_eq!(&*out, br#"{"a":"[REDACTED]"}"#);
        // An unclosed string holding the key stays unclosed, and hides the key.
        let out = masked(r#"{"a":"sk-live-\u0068ostiletestkey123"#);
        assert_eq!(out, r#"{"a":"[REDACTED]"#);
    }

    /// The parts of a keyless URL long enough to be a token are masked; a route word is
    /// not.
    #[test]
    fn a_credential_url_masks_its_tokens_only() {
        let url =
            Url::parse("https://phone.vapi.ai/c7e2a91f4b6d/control?sig=9f8e7d6c5b4a3&v=2").unwrap();
        let masks = credential_masks(&url);
        assert_eq!(masks.len(), 2);
        let text = "Cannot POST /c7e2a91f4b6d/control?sig=9f8e7d6c5b4a3&v=2";
        let masked = masks.iter().fold(text.to_owned(), |text, mask| {
            mask.mask_str(&text).into_owned()
        });
        assert_eq!(masked, "Cannot POST /[REDACTED]/control?sig=[REDACTED]&v=2");
    }

    /// A redirect's host is kept whole up to the limit, and cut one character short of it
    /// (with an ellipsis) past it; an IDN (percent-encoded: a header is ASCII) is named in
    /// punycode.
    #[test]
    fn a_redirect_host_is_cut_at_the_limit() {
        let url = Url::parse("https://api.example.com/v1/calls").unwrap();
        let host_of = |location: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::LOCATION,
                HeaderValue::from_str(location).unwrap(),
            );
            redirect_host(&url, &headers, &[])
        };
        let label = "a".repeat(63);
        let exact = format!("{label}.{label}.{label}.{}.com", "b".repeat(57));
        assert_eq!(exact.len(), MAX_REDIRECT_HOST);
        assert_eq!(host_of(&format!("https://{exact}/x")), Some(exact.clone()));
        // A host holding the key is not shown at all, however long or however cased.
        let key = crate::SecretMask::new("sk-LIVE-0123456789abcdef");
        let mut headers = HeaderMap::new();
        let location = format!(
            "https://{}.sk-LIVE-0123456789abcdef.evil.example/x",
            "x".repeat(250)
        );
        headers.insert(
            http::header::LOCATION,
            HeaderValue::from_str(&location).unwrap(),
        );
        assert_eq!(
            redirect_host(&url, &headers, &[&key]),
            Some("[REDACTED]".into())
        );
        // A key the cut would go through is hidden before the cut: no prefix of it stays.
        let key = crate::SecretMask::new("sk-live-0123456789abcdef");
        let long = format!("{}.sk-live-0123456789abcdef.evil.example", "y".repeat(240));
        let mut headers = HeaderMap::new();
        let location = format!("https://{long}/x");
        headers.insert(
            http::header::LOCATION,
            HeaderValue::from_str(&location).unwrap(),
        );
        let shown = redirect_host(&url, &headers, &[&key]).unwrap();
        assert!(!shown.contains("sk-live-01"), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
        let over = format!("c.{exact}");
        let cut = host_of(&format!("https://{over}:8443/x?sig=1")).unwrap();
        assert_eq!(cut, format!("{}…:8443", &over[..MAX_REDIRECT_HOST - 1]));
        assert_eq!(
            host_of("https://b%C3%BCcher.example/x").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(host_of("/elsewhere").as_deref(), Some("api.example.com"));
    }

    /// A key the host spells only once parsed (lower-cased, a tab dropped, a percent
    /// escape decoded, a scheme-relative or slash-less `Location`) is not shown either.
    #[test]
    fn a_redirect_host_spelling_the_key_once_parsed_is_not_shown() {
        let url = Url::parse("https://api.example.com/v1/calls").unwrap();
        let key = crate::SecretMask::new("SK-LIVE-Key0123456789");
        for location in [
            "https://SK-LIVE-Key0123456789.evil.example/x",
            "//SK-LIVE-Key0123456789.evil.example/x",
            "http:SK-LIVE-Key0123456789.evil.example",
            "https://SK-LI\tVE-Key0123456789.evil.example/",
            "https://SK%2DLIVE-Key0123456789.evil.example/",
            "https://sk-live-key0123456789.evil.example/",
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::LOCATION,
                HeaderValue::from_str(location).unwrap(),
            );
            assert_eq!(
                redirect_host(&url, &headers, &[&key]).as_deref(),
                Some("[REDACTED]"),
                "{location:?}"
            );
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LOCATION,
            HeaderValue::from_static("https://EU.Example.com:8443/x"),
        );
        assert_eq!(
            redirect_host(&url, &headers, &[&key]).as_deref(),
            Some("eu.example.com:8443")
        );
    }
}
