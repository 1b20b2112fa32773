//! The bytes of a delivery's headers and URL, read and written: hex, percent-escapes, lists
//! of signatures, signing times as digits.

/// The most signatures read from a delivery's signature headers (a vendor rotating its
/// key sends two): more is refused rather than tried.
pub(super) const MAX_SIGNATURES: usize = 8;

/// RFC 3986's unreserved characters: sent in a URL as they are.
pub(super) fn is_url_safe(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The value of the first `param=` pair of `query` (the name compared percent-decoded),
/// as sent.
pub(super) fn query_value<'a>(query: &'a str, param: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (percent_decode(name) == param.as_bytes()).then_some(value)
    })
}

/// `text` with its `%XX` escapes decoded (RFC 3986: `%31` is `1`); a `%` without two
/// hexadecimal digits after it stays as it is, and so does `+` (a space only in forms).
pub(super) fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = match bytes.get(i + 1..i + 3) {
            Some(&[high, low]) if byte == b'%' => nibble(high).zip(nibble(low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                decoded.push(high << 4 | low);
                i += 3;
            }
            None => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    decoded
}

/// The value of one hexadecimal digit, in either case.
fn nibble(digit: u8) -> Option<u8> {
    (digit as char)
        .to_digit(16)
        .and_then(|n| u8::try_from(n).ok())
}

pub(super) fn strip_prefix_ignoring_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| value.get(prefix.len()..))
        .flatten()
}

/// Adds the signatures of one header `value` to `pieces`, each with whether it carried
/// `prefix` (taken off); `false` once there would be more than [`MAX_SIGNATURES`].
pub(super) fn split_signatures<'a>(
    value: &'a str,
    prefix: &str,
    pieces: &mut Vec<(bool, &'a str)>,
) -> bool {
    let separator = |c: char| c == ',' || c.is_ascii_whitespace();
    let mut rest = value;
    while let Some(first) = rest.chars().next() {
        let (prefixed, piece) = match strip_prefix_ignoring_case(rest, prefix) {
            Some(after) if !prefix.is_empty() => (true, after),
            _ if separator(first) => {
                rest = &rest[first.len_utf8()..];
                continue;
            }
            _ => (prefix.is_empty(), rest),
        };
        let end = piece.find(separator).unwrap_or(piece.len());
        if pieces.len() == MAX_SIGNATURES {
            return false;
        }
        pieces.push((prefixed, &piece[..end]));
        rest = &piece[end..];
    }
    true
}

/// `v=<digits>,d=<hex>` → (digits, hex), as Retell's SDKs read it. The digits as a clock
/// writes them (no leading zero), as for every signed time: Retell signs the body and the
/// time with nothing between, so a signature must not fit the same bytes split another
/// way.
pub(super) fn parse_retell(value: &str) -> Option<(&str, &str)> {
    let (version, digest) = value.split_once(',')?;
    let millis = version.strip_prefix("v=")?;
    let digest = digest.strip_prefix("d=")?;
    (canonical_digits(millis) && digest.len() == 64).then_some((millis, digest))
}

/// Digits as a clock writes a time: some, and no leading zero (but `0` itself). A signed
/// time must not fit the same signed bytes split another way.
pub(super) fn canonical_digits(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

pub(super) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let pairs = text.as_bytes().chunks(2);
    pairs
        .map(|pair| match *pair {
            [high, low] => Some(nibble(high)? << 4 | nibble(low)?),
            _ => None,
        })
        .collect()
}

pub(super) fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_signatures_decode_in_either_case_and_nothing_else_does() {
        assert_eq!(hex_decode("00ff7a"), Some(vec![0x00, 0xff, 0x7a]));
        assert_eq!(hex_decode("00FF7A"), Some(vec![0x00, 0xff, 0x7a]));
        assert_eq!(hex_decode(""), Some(vec![]));
        for bad in ["0", "abc", "0g", "zz", "+1", " 1", "é1", "0\u{ff}"] {
            assert_eq!(hex_decode(bad), None, "{bad:?}");
        }
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(hex_decode(&hex_encode(&bytes)), Some(bytes));
    }
}
