//! JSON as voiceport keeps it: canonical text of a value, a body's byte order mark, and a
//! value shown as text.

use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON value as text: strings verbatim, `null` as `None`, anything else as JSON, its
/// objects' keys sorted ([`canonical_json`]): the same text whatever order the vendor, or
/// serde_json's `preserve_order`, gave them (tool arguments kept as text end up in
/// snapshots).
///
/// ```
/// use serde_json::json;
/// use voiceport_core::adapter::value_text;
/// assert_eq!(value_text(&json!({"b": 1, "a": [true]})).as_deref(), Some(r#"{"a":[true],"b":1}"#));
/// assert_eq!(value_text(&json!("as is")).as_deref(), Some("as is"));
/// assert_eq!(value_text(&json!(null)), None);
/// ```
pub fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Object(_) | Value::Array(_) => Some(canonical_json(value)),
        other => Some(other.to_string()),
    }
}

/// A JSON value written the same way whatever order its keys came in: object keys sorted
/// at every depth, no spaces. What tells two deliveries apart by their content (a
/// de-duplication key) must not depend on how the vendor, or serde_json's
/// `preserve_order` feature that any crate of an application may turn on, orders keys.
///
/// ```
/// use serde_json::json;
/// use voiceport_core::adapter::canonical_json;
///
/// let a = canonical_json(&json!({"b": [1, {"y": 2, "x": 1}], "a": "s"}));
/// assert_eq!(a, r#"{"a":"s","b":[1,{"x":1,"y":2}]}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    let mut sorted = value.clone();
    sorted.sort_all_objects();
    sorted.to_string()
}

/// [`canonical_json`] of a raw value, as a decoder holds a part it reads only to tell
/// deliveries apart (a raw value is valid JSON; should it not parse, its text is kept).
///
/// ```
/// use serde_json::value::RawValue;
/// use voiceport_core::adapter::canonical_raw;
///
/// let raw = RawValue::from_string(r#"{ "number": "+1617", "type": "number" }"#.to_owned()).unwrap();
/// assert_eq!(canonical_raw(&raw), r#"{"number":"+1617","type":"number"}"#);
/// ```
pub fn canonical_raw(raw: &RawValue) -> String {
    // Within the body's entry budget: a raw part is as long as a hostile vendor makes it.
    match crate::adapter::json_within_budget(raw.get()) {
        Ok(mut value) => {
            value.sort_all_objects();
            value.to_string()
        }
        Err(_) => raw.get().to_owned(),
    }
}

/// Whether a raw JSON value is an object (a delivery's `call` or `data` that something else
/// stands in for is no call).
///
/// ```
/// use serde_json::value::RawValue;
/// use voiceport_core::adapter::is_object;
///
/// let raw = |text: &str| RawValue::from_string(text.to_owned()).unwrap();
/// assert!(is_object(&raw(r#"{"id": "c1"}"#)));
/// assert!(!is_object(&raw("null")) && !is_object(&raw("[1]")));
/// ```
pub fn is_object(raw: &RawValue) -> bool {
    raw.get().trim_start().starts_with('{')
}

/// `body` without a leading UTF-8 byte-order mark.
pub fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_helpers() {
        assert_eq!(
            value_text(&serde_json::json!({"a": 1})).as_deref(),
            Some("{\"a\":1}")
        );
        assert_eq!(value_text(&Value::Null), None);
        assert_eq!(strip_bom(b"\xEF\xBB\xBF{}"), b"{}");
    }
}
