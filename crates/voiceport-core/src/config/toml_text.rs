//! Parsing a configuration's TOML, and saying where it went wrong (the line, column and
//! key) without quoting a value that may be a secret.

use serde::de::DeserializeOwned;

use crate::{Error, Result};

pub(super) fn parse_toml<T: DeserializeOwned>(text: &str) -> Result<T> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| {
        // A syntax error has no serde path: name the key on the offending line.
        let key = e.span().and_then(|span| key_at(text, span.start));
        toml_error(text, key.as_deref().unwrap_or("."), &e)
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let path = match path.as_str() {
            "." => inner
                .span()
                .and_then(|span| key_at(text, span.start))
                .unwrap_or(path),
            _ => path,
        };
        toml_error(text, &path, &inner)
    })
}

/// A TOML error as a config error at `field`, with the line and column it points to. The
/// offending text is never quoted: it may be a key (the error's `message()` is the
/// parser's words alone; its `Display` would quote the line).
fn toml_error(text: &str, field: &str, error: &toml::de::Error) -> Error {
    let message = error
        .message()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let message = in_words(&unless_secret(field, message));
    match error.span() {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            Error::config(field, format!("{message}, at line {line}, column {column}"))
        }
        None => Error::config(field, message),
    }
}

/// A parser's `message` about `field`, the value it quotes hidden when the field holds a
/// secret, and a string hidden wherever it is: a key written in the wrong place
/// (`webhook = "whsec-…"` for the table, `[providers]` `sales = "sk-…"`, `verify =
/// "whsec-…"` for `secret`) is quoted by a field that holds no secret. Only a value of the
/// wrong type or an unknown variant is quoted (``invalid type: integer `4096…`, expected a
/// string``, ``unknown variant `whsec-…`, expected one of …``); the parsers' other
/// messages (a duplicate key, a syntax error, a missing field) quote no value and are kept
/// as they are.
pub(super) fn unless_secret(field: &str, message: String) -> String {
    let Some((head, rest)) = ["invalid type: ", "invalid value: ", "unknown variant "]
        .iter()
        .find_map(|head| Some((*head, message.strip_prefix(head)?)))
    else {
        return message;
    };
    // A word given for a provider's kind or a route's policy (`kind = "bland"`) is shown:
    // no API key is a short run of letters. Not in a webhook table, whose secrets the user
    // chooses (`verify = "correct-horse"` may be one in the wrong place).
    let named_choice =
        matches!(field.rsplit('.').next(), Some("kind" | "policy")) && !field.contains(".webhook.");
    if head == "unknown variant " && named_choice && quoted_word(rest) {
        return message;
    }
    let text = head == "unknown variant " || rest.starts_with("string ");
    let hidden = match is_secret(field) {
        true => "(the value is not shown: it is a secret)",
        false if text => "(the value is not shown: it may be a secret in the wrong place)",
        false => return message,
    };
    // What the value is (`integer`), then the value quoted: `…`, "…" or '…'.
    let Some(open) = rest.find(['`', '"', '\'']) else {
        return message;
    };
    let (kind, quoted) = rest.split_at(open);
    let after = quoted_len(quoted).and_then(|end| quoted.get(end..));
    format!("{head}{kind}{hidden}{}", after.unwrap_or_default())
}

/// `message` with the Rust type it expects said in words: `expected f64` is `expected a
/// number`, `expected u32` `expected a whole number from 0 to 4294967295` (a user writes
/// TOML, not Rust).
fn in_words(message: &str) -> String {
    let Some((before, expected)) = message.split_once("expected ") else {
        return message.to_owned();
    };
    let word_end = expected
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(expected.len());
    let (word, after) = expected.split_at(word_end);
    let said = match word {
        "f32" | "f64" => "a number",
        // With its bounds where a setting could be written past them.
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "u128" | "usize" => "a whole number of 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        _ => return message.to_owned(),
    };
    format!("{before}expected {said}{after}")
}

/// Whether `field` (`providers.sales.api_key`, or a config's own `webhook.secret`) is a
/// secret setting, by its last parts: a provider named `topsecret` is not one.
fn is_secret(field: &str) -> bool {
    let parts: Vec<&str> = field.split('.').collect();
    matches!(
        parts.as_slice(),
        [.., "api_key"] | [.., "webhook", "secret"]
    ) && !matches!(parts.as_slice(), ["providers", _])
}

/// Whether `rest` starts with a quoted word: up to 24 ASCII letters, `-` or `_`, without
/// a digit (which every vendor's key has).
fn quoted_word(rest: &str) -> bool {
    let Some(word) = quoted_len(rest).and_then(|end| rest.get(1..end - 1)) else {
        return false;
    };
    (1..=24).contains(&word.len())
        && word
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
}

/// The length of the quoted text `text` starts with, its closing quote included; in
/// `"…"` and `'…'` (Rust's escaping), a quote after a `\` does not close it.
fn quoted_len(text: &str) -> Option<usize> {
    let mut chars = text.char_indices();
    let (_, quote) = chars.next()?;
    let mut escaped = false;
    for (at, c) in chars {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote != '`' => escaped = true,
            _ if c == quote => return Some(at + c.len_utf8()),
            _ => {}
        }
    }
    None
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |t| t.chars().count()) + 1;
    (line, column)
}

/// The dotted name of what the line holding byte `offset` of `text` sets: the key it
/// assigns, under the table header above it (`providers.sales.api_key`), or the table it
/// opens (`providers.sales`, as a duplicate table is reported). Quoted parts are named
/// unquoted (`[providers."eu-sales"]` is `providers.eu-sales`). `None` when the line is
/// neither.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    if line.trim_start().starts_with('[') {
        return table_header(line);
    }
    let (key, rest) = dotted_key(line)?;
    if !rest.starts_with('=') {
        return None;
    }
    let table = before
        .get(..line_start)?
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('['))
        .and_then(table_header);
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key,
    })
}

/// The table a header line names (`[providers.a]`, `[[x]]`; a comment may follow), dotted;
/// also a header left open (`[providers.a`), the table it was naming.
fn table_header(line: &str) -> Option<String> {
    let line = line.trim_start();
    let inner = line.strip_prefix("[[").or_else(|| line.strip_prefix('['))?;
    let (name, rest) = dotted_key(inner)?;
    let rest = match rest.strip_prefix(']') {
        Some(rest) => rest.strip_prefix(']').unwrap_or(rest),
        None => rest,
    };
    let rest = rest.trim_start();
    (rest.is_empty() || rest.starts_with('#')).then_some(name)
}

/// The TOML key at the start of `text` (bare, quoted or dotted, spaces around its parts),
/// its parts unquoted and joined by `.`, and the text after it, spaces skipped. A basic
/// string part with an escape is not read (`None`, as for no key).
fn dotted_key(text: &str) -> Option<(String, &str)> {
    let mut parts = Vec::new();
    let mut rest = text.trim_start();
    loop {
        let (part, after) = match rest.chars().next()? {
            quote @ ('"' | '\'') => {
                let (part, after) = rest.get(1..)?.split_once(quote)?;
                if quote == '"' && part.contains('\\') {
                    return None;
                }
                (part, after)
            }
            _ => {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-')))
                    .unwrap_or(rest.len());
                if end == 0 {
                    return None;
                }
                rest.split_at_checked(end)?
            }
        };
        parts.push(part);
        rest = after.trim_start();
        match rest.strip_prefix('.') {
            Some(next) => rest = next.trim_start(),
            None => return Some((parts.join("."), rest)),
        }
    }
}
