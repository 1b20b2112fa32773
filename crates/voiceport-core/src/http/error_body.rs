//! Best-effort reading of a vendor's error body: a message and per-field details.
//!
//! One reader for the shapes these vendors use: Rounded's envelope
//! (`{message, error: {message, details: [{field, message}]}}`), NestJS
//! (`{statusCode, message: string | string[], error}`), FastAPI
//! (`{detail: string | [{loc, msg}]}`), `{message}`, and plain text.

use serde_json::Value;

use super::decode::{Start, is_unsafe_char, without_cut_url, without_url_secrets};
use crate::FieldError;

const MAX_MESSAGE: usize = 300;

/// The largest error body read as JSON: a refusal says what it has to say in far less, and
/// a tree of a larger body (a hostile `[0,0,…]` of many MiB) costs 30 bytes an element.
/// A larger body is read as text, its start only.
pub(crate) const MAX_PARSED: usize = 64 * 1024;

/// The most per-field details kept from a vendor's error: enough to say what to fix,
/// short enough to print; for adapters too, that read an error from elsewhere (inside a 2xx
/// answer).
pub const MAX_VENDOR_DETAILS: usize = 20;

/// What a vendor said about its refusal.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct VendorError {
    pub(crate) message: Option<String>,
    pub(crate) details: Vec<FieldError>,
}

pub(crate) fn parse_error_body(body: &[u8]) -> VendorError {
    if body.len() > MAX_PARSED {
        return VendorError {
            message: plain_text(body),
            details: Vec::new(),
        };
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => {
            let mut found = from_object(&object);
            // An object of no shape known here (`{"Message": …}` from a gateway) still
            // says something: its text, cut like any message.
            if found.message.is_none() && found.details.is_empty() {
                found.message = plain_text(body);
            }
            found
        }
        // A bare JSON string (`"Invalid API key"`) is the message itself.
        Ok(Value::String(text)) => VendorError {
            message: Some(text.trim())
                .filter(|text| !text.is_empty())
                .map(vendor_text),
            details: Vec::new(),
        },
        // A bare list of strings (`["Invalid API key"]`, a NestJS `message` sent alone):
        // its texts, as a `message` list reads.
        Ok(items @ Value::Array(_)) => VendorError {
            message: text_of(Some(&items)).map(|text| vendor_text(&text)),
            details: Vec::new(),
        },
        Ok(_) => VendorError::default(),
        Err(_) => VendorError {
            message: html_title(body).or_else(|| plain_text(body)),
            details: Vec::new(),
        },
    }
}

/// The title of an HTML page (a proxy's or a firewall's error page), which says what
/// happened where the start of its markup (a doctype, styles) says nothing.
fn html_title(body: &[u8]) -> Option<String> {
    let start = body.iter().position(|byte| !byte.is_ascii_whitespace())?;
    if body.get(start) != Some(&b'<') {
        return None;
    }
    let head = String::from_utf8_lossy(body.get(..body.len().min(MAX_PARSED))?);
    let lower = head.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let text_start = open + lower.get(open..)?.find('>')? + 1;
    let text_end = text_start + lower.get(text_start..)?.find("</title")?;
    let title = head.get(text_start..text_end)?;
    let flat = title.split_whitespace().collect::<Vec<_>>().join(" ");
    (!flat.is_empty()).then(|| vendor_text(&flat))
}

fn from_object(object: &serde_json::Map<String, Value>) -> VendorError {
    let mut out = VendorError::default();
    let mut details = None;
    match object.get("error") {
        Some(Value::Object(error)) => {
            out.message = text_of(error.get("message"));
            details = error.get("details");
        }
        // Blank is no message: the body, or the status's reason, says more.
        error @ Some(Value::String(_)) => out.message = text_of(error),
        _ => {}
    }
    // Bounded before they are built: the Rounded details, then FastAPI's.
    out.details = field_details(details)
        .chain(
            items(object.get("detail"))
                .iter()
                .filter_map(fastapi_detail),
        )
        .take(MAX_VENDOR_DETAILS)
        .collect();
    let top = text_of(object.get("message")).or_else(|| text_of(object.get("detail")));
    // A specific top-level message beats a generic error name such as "Bad Request"
    // (NestJS's `{statusCode, message, error}`, HappyRobot's `{error, message?}`).
    let named_only = matches!(object.get("error"), Some(Value::String(_)));
    if top.is_some() && (out.message.is_none() || named_only || object.get("statusCode").is_some())
    {
        out.message = top;
    }
    out.message = out.message.map(|m| vendor_text(&m));
    out
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Array(items) => {
            let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!texts.is_empty()).then(|| texts.join("; "))
        }
        _ => None,
    }
}

/// The items of `value` when it is an array; none otherwise.
fn items(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// Rounded's `{field, message}` details: either may be missing (a field named alone
/// still says where the problem is, as the same detail inside a 2xx envelope does).
fn field_details(value: Option<&Value>) -> impl Iterator<Item = FieldError> + '_ {
    items(value).iter().filter_map(|item| {
        let text = |key: &str| item.get(key).and_then(Value::as_str);
        let (field, message) = match (text("field"), text("message")) {
            (None, None) => return None,
            (field, message) => (field.unwrap_or_default(), message.unwrap_or_default()),
        };
        Some(FieldError {
            field: vendor_text(field),
            message: vendor_text(message),
        })
    })
}

fn fastapi_detail(item: &Value) -> Option<FieldError> {
    let message = item.get("msg").and_then(Value::as_str)?;
    let field = item
        .get("loc")
        .and_then(Value::as_array)
        .map(|loc| {
            // FastAPI's `loc` begins with where the field is (the body, the query string,
            // the path, a header, a cookie); the field is what follows, a part of it
            // named `body` included.
            let located = loc.first().and_then(Value::as_str).is_some_and(|first| {
                matches!(first, "body" | "query" | "path" | "header" | "cookie")
            });
            loc.iter()
                .skip(usize::from(located))
                .map(|part| match part {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .unwrap_or_default();
    Some(FieldError {
        field: vendor_text(&field),
        message: vendor_text(message),
    })
}

fn plain_text(body: &[u8]) -> Option<String> {
    // The start is enough for a message cut at `MAX_MESSAGE` characters; the cut goes back
    // to the start of a character.
    let mut cut = body.len().min(MAX_MESSAGE * 8);
    while cut > 0 && body.get(cut).is_some_and(|byte| byte & 0xC0 == 0x80) {
        cut -= 1;
    }
    let text = String::from_utf8_lossy(body.get(..cut).unwrap_or_default());
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!flat.is_empty()).then(|| vendor_text(&flat))
}

/// A vendor's text (a message, a field name) as an error keeps it: at most 300
/// characters (cut between characters, with an ellipsis), each control character (ESC,
/// C1, newlines) and bidi override or isolate replaced with a space, and each URL cut to
/// its scheme and host (a pre-signed URL's query is a credential), since errors are
/// printed and logged; for adapters too, that read an error from elsewhere (inside a 2xx
/// answer).
pub fn vendor_text(text: &str) -> String {
    let cut = text.char_indices().nth(MAX_MESSAGE).map(|(cut, _)| cut);
    let kept = match cut {
        Some(cut) => without_cut_url(text.get(..cut).unwrap_or_default()),
        None => text,
    };
    let kept = without_url_secrets(kept, Start::Whole);
    let mut out: String = kept
        .chars()
        .map(|c| if is_unsafe_char(c) { ' ' } else { c })
        .collect();
    if cut.is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vendor message quoting a URL (a proxy's page, a recording it could not fetch)
    /// keeps its host only: the path and query of a pre-signed URL are a credential.
    #[test]
    fn a_vendor_message_keeps_no_url_beyond_its_host() {
        let body = br#"{"message": "cannot fetch https://recordings.example.com/r/c1.wav?X-Amz-Signature=abc123 (403)"}"#;
        let message = parse_error_body(body).message.unwrap();
        assert_eq!(
            message,
            "cannot fetch https://recordings.example.com/… (403)"
        );
        let plain = parse_error_body(b"502 from http://user:pw@10.0.0.5:8080/upstream?token=t");
        assert_eq!(
            plain.message.as_deref(),
            Some("502 from http://…@10.0.0.5:8080/…")
        );
    }

    /// A blank `error` string is no message: the body itself says more (it was an empty
    /// message, and the error read `invalid request (HTTP 400): ` with nothing after it).
    #[test]
    fn a_blank_error_string_is_no_message() {
        assert_eq!(
            parse_error_body(br#"{"error": "", "code": 40021}"#)
                .message
                .as_deref(),
            Some(r#"{"error": "", "code": 40021}"#)
        );
        assert_eq!(
            parse_error_body(br#"{"error": " Bad key "}"#)
                .message
                .as_deref(),
            Some("Bad key")
        );
    }

    /// Bodies of no shape the reader knows still give the vendor's words: a bare JSON
    /// string, an object of other keys (a gateway's `Message`), an HTML page's title.
    #[test]
    fn unknown_shapes_keep_what_the_vendor_said() {
        let message = |body: &[u8]| parse_error_body(body).message;
        assert_eq!(
            message(br#""Invalid API key""#).as_deref(),
            Some("Invalid API key")
        );
        // A bare list of strings, as a `message` list reads; its other items say nothing.
        assert_eq!(
            message(br#"["Invalid API key", 3, "Key revoked"]"#).as_deref(),
            Some("Invalid API key; Key revoked")
        );
        assert_eq!(message(b"[1, 2]"), None);
        assert_eq!(
            message(br#"{"Message":"User is not authorized to access this resource"}"#).as_deref(),
            Some(r#"{"Message":"User is not authorized to access this resource"}"#)
        );
        let page = b"<!DOCTYPE html>\n<!--[if lt IE 7]> <html class=\"no-js\"> <![endif]-->\n<head><TITLE>Attention Required! | Cloudflare</TITLE><style>body{}</style></head><body>...</body>";
        assert_eq!(
            message(page).as_deref(),
            Some("Attention Required! | Cloudflare")
        );
        // A page without a title is kept as its start, as before.
        assert!(message(b"<html><body>Bad gateway</body></html>").is_some());
        // What says nothing stays nothing.
        assert_eq!(message(b"\"  \""), None);
        assert_eq!(message(b"42"), None);
        assert_eq!(message(b"{}"), Some("{}".into()));
    }

    #[test]
    fn rounded_envelope_details() {
        let body = br#"{"message":"Bad request","data":null,"status":400,
            "error":{"details":[{"field":"to_number","message":"Invalid phone number"},
                                {"field":"agent_id"},{"note":"neither"}],
                     "message":"Validation failed","status":400,"type":"generic_error"}}"#;
        let parsed = parse_error_body(body);
        assert_eq!(parsed.message.as_deref(), Some("Validation failed"));
        // A field named alone is kept (it says where); a detail naming neither is not.
        assert_eq!(
            parsed.details,
            vec![
                FieldError {
                    field: "to_number".into(),
                    message: "Invalid phone number".into()
                },
                FieldError {
                    field: "agent_id".into(),
                    message: String::new()
                }
            ]
        );
    }

    /// A hostile error body costs a bounded amount: read as JSON only while small, with a
    /// bounded number of short details.
    #[test]
    fn large_error_bodies_and_many_details_are_bounded() {
        let big = format!(
            r#"{{"message":"Validation failed","pad":"{}"}}"#,
            "x".repeat(MAX_PARSED)
        );
        let parsed = parse_error_body(big.as_bytes());
        assert!(
            parsed
                .message
                .as_deref()
                .unwrap()
                .starts_with(r#"{"message""#),
            "read as text, not parsed: {parsed:?}"
        );
        let detail = format!(r#"{{"field":"f","message":"{}"}}"#, "m".repeat(1_000));
        let many = format!(
            r#"{{"error":{{"message":"bad","details":[{}]}},"detail":[{}]}}"#,
            vec![detail.as_str(); 50].join(","),
            vec![r#"{"loc":["body","to"],"msg":"required"}"#; 50].join(",")
        );
        let parsed = parse_error_body(many.as_bytes());
        assert_eq!(parsed.details.len(), MAX_VENDOR_DETAILS);
        assert!(parsed.details[0].message.chars().count() <= MAX_MESSAGE + 1);
    }

    /// A vendor's text is printed and logged: no control character (ESC, C1, newline)
    /// nor bidi override of it is kept, in a message, a field or a detail's message.
    #[test]
    fn control_characters_and_bidi_overrides_are_replaced() {
        let body = "{\"message\":\"\\u001b]0;pwned\\u0007\\u001b[2Jline1\\nok \\u202eevil\\u2069\",\"error\":{\"details\":[{\"field\":\"\\u001b[31mto\",\"message\":\"x\\u009b1m\"}]}}";
        let parsed = parse_error_body(body.as_bytes());
        let message = parsed.message.unwrap();
        assert_eq!(message, " ]0;pwned  [2Jline1 ok  evil ");
        let detail = &parsed.details[0];
        assert_eq!(
            (detail.field.as_str(), detail.message.as_str()),
            (" [31mto", "x 1m")
        );
        let plain = parse_error_body("\u{1b}[2J plain \u{9b}31m".as_bytes());
        assert_eq!(plain.message.as_deref(), Some(" [2J plain  31m"));
        // Cut between characters, after the replacement as before it.
        let long = format!("{}\u{1b}", "é".repeat(MAX_MESSAGE));
        assert_eq!(vendor_text(&long), format!("{}…", "é".repeat(MAX_MESSAGE)));
    }

    /// A URL the 300-character cut goes through before its host ends is left out: its user
    /// and password could not be told apart from the host. Another last word stays.
    #[test]
    fn a_url_cut_before_its_host_ends_is_left_out() {
        for url in [
            "https://ops:s3cr3t-pass@hooks.example.com/x",
            "https:\\/\\/ops:s3cr3t-pass@h",
        ] {
            let text = format!("{} upstream {url}", "x".repeat(MAX_MESSAGE - 20));
            let shown = vendor_text(&text);
            assert!(
                !shown.contains("ops") && !shown.contains("s3cr3t"),
                "{shown}"
            );
            assert!(shown.ends_with("upstream …"), "{shown}");
        }
        let words = format!(
            "{} and the rest of a long sentence",
            "x".repeat(MAX_MESSAGE - 10)
        );
        assert!(
            vendor_text(&words).ends_with("and the r…"),
            "{}",
            vendor_text(&words)
        );
    }

    #[test]
    fn nestjs_fastapi_and_plain() {
        let nest =
            br#"{"statusCode":400,"message":["name must be shorter"],"error":"Bad Request"}"#;
        assert_eq!(
            parse_error_body(nest).message.as_deref(),
            Some("name must be shorter")
        );
        // HappyRobot's platform API: `{error, message?, statusCode?, details?}`.
        let named = br#"{"error":"Bad Request","message":"phone_number is invalid"}"#;
        assert_eq!(
            parse_error_body(named).message.as_deref(),
            Some("phone_number is invalid")
        );
        let bare = br#"{"error":"Unauthorized"}"#;
        assert_eq!(
            parse_error_body(bare).message.as_deref(),
            Some("Unauthorized")
        );

        let fastapi = br#"{"detail":[{"loc":["body","customer","number"],"msg":"field required","type":"value_error.missing"}]}"#;
        let parsed = parse_error_body(fastapi);
        assert_eq!(
            parsed.details,
            vec![FieldError {
                field: "customer.number".into(),
                message: "field required".into()
            }]
        );
        // A query parameter is named by itself (`limit`), and a field named `body` keeps
        // its name.
        let located = br#"{"detail":[{"loc":["query","limit"],"msg":"too large"},{"loc":["body","message","body"],"msg":"required"}]}"#;
        let fields: Vec<String> = (parse_error_body(located).details.into_iter())
            .map(|detail| detail.field)
            .collect();
        assert_eq!(fields, ["limit", "message.body"]);

        assert_eq!(
            parse_error_body(br#"{"detail":"Not Found"}"#)
                .message
                .as_deref(),
            Some("Not Found")
        );
        assert_eq!(
            parse_error_body(b"<h1>Bad   Gateway</h1>\n")
                .message
                .as_deref(),
            Some("<h1>Bad Gateway</h1>")
        );
        assert_eq!(parse_error_body(b""), VendorError::default());
        // A long text is read from its start, cut between characters.
        let accents = "é".repeat(5_000);
        let message = parse_error_body(accents.as_bytes()).message.unwrap();
        assert!(message.starts_with("éé") && !message.contains('\u{fffd}'));
        let long = "x".repeat(1000);
        assert!(
            parse_error_body(long.as_bytes())
                .message
                .unwrap()
                .chars()
                .count()
                <= MAX_MESSAGE + 1
        );
    }
}
