//! [`AnyJson`]: any JSON value, an object read straight into the map a normalized call keeps.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::bounded_json::{elements, object_or_number};

/// Any JSON value, read without building a tree where the mapping needs none: an object
/// goes straight into the map a normalized call keeps (`metadata`, extracted data), a
/// string borrows from the body unless it holds escapes (a time that is only parsed), and
/// anything else is a [`Value`]. For wire fields documented as an object (or a string)
/// that must still decode, and be kept, when a vendor sends some other JSON.
///
/// ```
/// use voiceport_core::adapter::AnyJson;
/// use serde_json::json;
///
/// let [object, text, number]: [AnyJson; 3] =
///     serde_json::from_str(r#"[{"crm_id": "A-17"}, "2026-03-10T15:42:07Z", 7]"#).unwrap();
/// assert_eq!(object.into_entries("metadata")["crm_id"], "A-17");
/// assert!(matches!(text, AnyJson::Text(std::borrow::Cow::Borrowed(_)))); // no copy
/// assert_eq!(number.into_entries("metadata")["metadata"], json!(7));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AnyJson<'a> {
    /// A string, borrowed from the body when it has no escapes.
    Text(Cow<'a, str>),
    /// An object, with its entries.
    Object(BTreeMap<String, Value>),
    /// Neither a string nor an object (`null` included).
    Other(Value),
}

impl AnyJson<'_> {
    /// The value as a JSON tree.
    pub fn into_value(self) -> Value {
        match self {
            AnyJson::Text(text) => Value::String(text.into_owned()),
            AnyJson::Object(map) => Value::Object(map.into_iter().collect()),
            AnyJson::Other(value) => value,
        }
    }

    /// The value as text: a string verbatim (moved when it was copied from the body), `null`
    /// as `None`, anything else as compact JSON (what
    /// [`value_text`](crate::adapter::value_text) gives for the same value). For fields that
    /// hold text or any JSON: tool arguments and results, an evaluation's verdict.
    pub fn into_text(self) -> Option<String> {
        match self {
            AnyJson::Text(text) => Some(text.into_owned()),
            other => crate::adapter::value_text(&other.into_value()),
        }
    }

    /// The value as a time, read as [`time_from_json`](crate::adapter::time_from_json)
    /// reads it (ISO 8601 text, epoch seconds or milliseconds), without copying text.
    ///
    /// ```
    /// use voiceport_core::adapter::AnyJson;
    /// let [text, millis, other]: [AnyJson; 3] =
    ///     serde_json::from_str(r#"["2026-03-10T15:42:07Z", 1773157327000, true]"#).unwrap();
    /// let expected = Some("2026-03-10T15:42:07+00:00".to_owned());
    /// assert_eq!(text.into_time().map(|t| t.to_rfc3339()), expected);
    /// assert_eq!(millis.into_time().map(|t| t.to_rfc3339()), expected);
    /// assert_eq!(other.into_time(), None);
    /// ```
    pub fn into_time(self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            AnyJson::Text(text) => crate::adapter::time::time_from_text(&text),
            other => crate::adapter::time_from_json(&other.into_value()),
        }
    }

    /// An object's entries; `null` has none, and any other value is kept whole under `key`
    /// (so that a vendor's odd `metadata` is never dropped).
    pub fn into_entries(self, key: &str) -> BTreeMap<String, Value> {
        match self {
            AnyJson::Object(map) => map,
            AnyJson::Other(Value::Null) => BTreeMap::new(),
            other => BTreeMap::from([(key.to_owned(), other.into_value())]),
        }
    }
}

/// A webhook delivery's event name: the first of `keys` (each a key and its value, `None`
/// when absent or `null`) that is there, which must be a non-empty string; a name that is
/// not one is a decode error at its key, and no name at all an error at the first key.
///
/// ```
/// use voiceport_core::adapter::{AnyJson, event_name};
/// use voiceport_core::{Operation, ProviderKind};
///
/// let [event, kind]: [Option<AnyJson>; 2] =
///     serde_json::from_str(r#"[null, "call.ended"]"#).unwrap();
/// let read = |keys: &[(&str, Option<&AnyJson>)]| {
///     event_name(ProviderKind::Rounded, Operation::ParseWebhook, keys, b"{}")
/// };
/// assert_eq!(read(&[("event", event.as_ref()), ("type", kind.as_ref())]).unwrap(), "call.ended");
/// let error = read(&[("event", event.as_ref())]).unwrap_err();
/// assert_eq!(error.json_path(), Some("event"));
/// ```
pub fn event_name(
    kind: crate::ProviderKind,
    operation: crate::Operation,
    keys: &[(&str, Option<&AnyJson<'_>>)],
    body: &[u8],
) -> crate::Result<String> {
    for &(key, value) in keys {
        match value {
            None => continue,
            Some(AnyJson::Text(name)) if crate::adapter::non_blank(name.as_ref()).is_some() => {
                return Ok(name.to_string());
            }
            Some(_) => {
                let message = format!("the event name at `{key}` is not a non-empty string");
                return Err(crate::Error::decode(kind, operation, key, message, body));
            }
        }
    }
    let names: Vec<String> = keys.iter().map(|(key, _)| format!("`{key}`")).collect();
    let message = format!("the delivery names no event (at {})", names.join(" or "));
    let first = keys.first().map_or(".", |(key, _)| key);
    Err(crate::Error::decode(kind, operation, first, message, body))
}

impl<'de: 'a, 'a> Deserialize<'de> for AnyJson<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyVisitor(PhantomData))
    }
}

struct AnyVisitor<'a>(PhantomData<&'a str>);

impl<'de: 'a, 'a> Visitor<'de> for AnyVisitor<'a> {
    type Value = AnyJson<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<AnyJson<'a>, E> {
        Ok(AnyJson::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<AnyJson<'a>, E> {
        Ok(AnyJson::Text(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<AnyJson<'a>, E> {
        Ok(AnyJson::Text(Cow::Owned(text)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyJson<'a>, A::Error> {
        // As a map reads: a key given twice keeps its last value. Every entry, at every
        // depth, is charged to the body's entry budget.
        let mut entries = BTreeMap::new();
        let number = object_or_number(&mut map, |key, value| {
            entries.insert(key, value);
        })?;
        Ok(match number {
            Some(number) => AnyJson::Other(Value::Number(number)),
            None => AnyJson::Object(entries),
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<AnyJson<'a>, A::Error> {
        elements(seq).map(|items| AnyJson::Other(Value::Array(items)))
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<AnyJson<'a>, E> {
        Ok(AnyJson::Other(Value::Bool(value)))
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<AnyJson<'a>, E> {
        Ok(AnyJson::Other(Value::from(value)))
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<AnyJson<'a>, E> {
        Ok(AnyJson::Other(Value::from(value)))
    }
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<AnyJson<'a>, E> {
        Ok(AnyJson::Other(Value::from(value)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<AnyJson<'a>, E> {
        Ok(AnyJson::Other(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn as_text_strings_stay_verbatim_and_the_rest_is_compact_json() {
        let values: Vec<AnyJson> =
            serde_json::from_str(r#"["a \"b\"", {"k": [1, 2]}, [true], 7, null]"#).unwrap();
        let texts: Vec<Option<String>> = values.into_iter().map(AnyJson::into_text).collect();
        assert_eq!(
            texts,
            [
                Some(r#"a "b""#.to_owned()),
                Some(r#"{"k":[1,2]}"#.to_owned()),
                Some("[true]".to_owned()),
                Some("7".to_owned()),
                None,
            ]
        );
    }

    #[test]
    fn every_json_value_reads_and_comes_back_whole() {
        let body = r#"[{"a": {"b": [1, 2]}, "c": null}, "plain", "caf\u00e9", [1, "x"], true,
                       -3, 18446744073709551615, 2.5, null]"#;
        let values: Vec<AnyJson> = serde_json::from_str(body).unwrap();
        assert_eq!(
            values[0],
            AnyJson::Object(BTreeMap::from([
                ("a".to_owned(), json!({"b": [1, 2]})),
                ("c".to_owned(), Value::Null),
            ]))
        );
        assert!(matches!(&values[1], AnyJson::Text(Cow::Borrowed("plain"))));
        assert!(matches!(&values[2], AnyJson::Text(Cow::Owned(text)) if text == "café"));
        let expected: Value = serde_json::from_str(body).unwrap();
        let back: Vec<Value> = values.into_iter().map(AnyJson::into_value).collect();
        assert_eq!(Value::Array(back), expected);
        // From a tree too (owned strings).
        let from_tree = AnyJson::deserialize(json!({"k": "v"})).unwrap();
        assert_eq!(from_tree.into_value(), json!({"k": "v"}));
        assert_eq!(
            AnyJson::deserialize(json!("t")).unwrap(),
            AnyJson::Text(Cow::Owned("t".to_owned()))
        );
    }

    #[test]
    fn entries_of_an_object_of_null_and_of_anything_else() {
        fn read(body: &str) -> AnyJson<'_> {
            serde_json::from_str(body).unwrap()
        }
        assert_eq!(
            read(r#"{"crm_id": "A-17"}"#).into_entries("metadata"),
            BTreeMap::from([("crm_id".to_owned(), json!("A-17"))])
        );
        assert!(read("null").into_entries("metadata").is_empty());
        assert!(read("{}").into_entries("metadata").is_empty());
        for (body, kept) in [
            (r#""note""#, json!("note")),
            ("[1, 2]", json!([1, 2])),
            ("false", json!(false)),
            ("0", json!(0)),
        ] {
            assert_eq!(
                read(body).into_entries("extraction"),
                BTreeMap::from([("extraction".to_owned(), kept)]),
                "{body}"
            );
        }
        // Absent is `None` for an `Option`, as `null` is.
        let absent: Option<AnyJson> = serde_json::from_str("null").unwrap();
        assert_eq!(absent, None);
    }
}
