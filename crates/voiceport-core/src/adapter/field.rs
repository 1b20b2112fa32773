//! [`text_field`]: one string field of a raw JSON object, read without reading the rest;
//! [`call_id_field`], the same read as a call id; [`call_id_at`], a call id at a path of a
//! whole body.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::CallId;
use crate::adapter::{Text, non_blank};

/// The string at `key` of the object `raw` (borrowed unless escaped), read without reading
/// the rest of the object or building a tree: the reading stops at the key. `None` when the
/// key is absent, its value is not a string (`null` included), or `raw` is not an object.
/// With the key twice, the first counts. Only for a value already delimited as one JSON
/// value (a [`RawValue`]), whose rest needs no checking: what an event needs of a call it
/// does not otherwise read (its id).
///
/// ```
/// use serde_json::value::RawValue;
/// use voiceport_core::adapter::text_field;
///
/// let raw = RawValue::from_string(r#"{"customer": {"id": "x"}, "id": "c1"}"#.to_owned()).unwrap();
/// assert_eq!(text_field(&raw, "id").as_ref().map(|id| id.as_str()), Some("c1"));
/// assert!(text_field(&raw, "status").is_none());
/// ```
pub fn text_field<'a>(raw: &'a RawValue, key: &str) -> Option<Text<'a>> {
    field_only(raw, key)
}

/// The call id at `key` of the object `raw`, read as [`text_field`] reads it: `None` when
/// the key is absent, not a string, or [blank](non_blank). What an event needs of a call it
/// does not otherwise decode.
///
/// ```
/// use serde_json::value::RawValue;
/// use voiceport_core::adapter::call_id_field;
///
/// let raw = RawValue::from_string(r#"{"session_id": "s-1", "id": " "}"#.to_owned()).unwrap();
/// assert_eq!(call_id_field(&raw, "session_id").map(|id| id.to_string()), Some("s-1".into()));
/// assert!(call_id_field(&raw, "id").is_none());
/// ```
pub fn call_id_field(raw: &RawValue, key: &str) -> Option<CallId> {
    text_field(raw, key)
        .and_then(non_blank)
        .map(|id| CallId::new(id.into_owned()))
}

/// The call id at `path` (the keys of nested objects, the id's last) of a JSON `body`
/// that does not otherwise decode: where a dial's answer drifted from its documented
/// shape, the call it placed is still named (core's [`dial_outcome`](crate::dial_outcome)
/// reads the vendor's top-level id key; an enveloped answer, a path into it). `None` for a
/// body that is not UTF-8 JSON, a path that is not there, or a blank id. A key given twice
/// counts the first time, at every level, as [`text_field`] reads it.
///
/// ```
/// use voiceport_core::adapter::call_id_at;
///
/// let body = br#"{"data": {"call_id": "c-9", "status": "odd"}, "status": "201"}"#;
/// assert_eq!(call_id_at(body, &["data", "call_id"]).map(|id| id.to_string()), Some("c-9".into()));
/// assert!(call_id_at(body, &["call_id"]).is_none());
/// assert!(call_id_at(b"\xff{}", &["id"]).is_none());
/// ```
pub fn call_id_at(body: &[u8], path: &[&str]) -> Option<CallId> {
    let (key, parents) = path.split_last()?;
    // JSON is UTF-8: a body that is not names no call.
    let mut raw: &RawValue = serde_json::from_str(std::str::from_utf8(body).ok()?).ok()?;
    // The first of a key given twice, at every level, as for the id itself.
    for parent in parents {
        raw = field_only(raw, parent)?;
    }
    call_id_field(raw, key)
}

/// The value at `key` of the object `raw` read as a `T`, the first when the key comes
/// twice: `None` when the key is absent, its value `null` or no `T`, or `raw` is not an
/// object. The reading stops at the key: the rest is neither read nor checked.
fn field_only<'a, T: Deserialize<'a>>(raw: &'a RawValue, key: &str) -> Option<T> {
    let mut found = None;
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    // The stop is an error on purpose: what was found is in `found` either way.
    let _ = FieldOnly {
        key,
        found: &mut found,
    }
    .deserialize(&mut deserializer);
    found
}

/// The seed behind [`field_only`]: keeps the value at `key`, then stops.
struct FieldOnly<'k, 's, T> {
    key: &'k str,
    found: &'s mut Option<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for FieldOnly<'_, '_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for FieldOnly<'_, '_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if key.as_str() == self.key {
                // A value of another type is none: `None`, and the stop all the same.
                *self.found = map.next_value::<Option<T>>().ok().flatten();
                return Err(de::Error::custom("stopped at the field"));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(object: &str) -> Option<String> {
        let raw: &RawValue = serde_json::from_str(object).unwrap();
        text_field(raw, "id").map(|id| id.as_str().to_owned())
    }

    /// A key given twice counts the first time at every level of a path, as it does for
    /// the last key (the parents were read into a map, where the last counted).
    #[test]
    fn a_path_through_duplicate_keys_takes_the_first_each_time() {
        let body = br#"{"data": {"call_id": "first"}, "data": {"call_id": "second"}}"#;
        let id = call_id_at(body, &["data", "call_id"]).map(|id| id.to_string());
        assert_eq!(id.as_deref(), Some("first"));
        let body = br#"{"data": {"call_id": "a", "call_id": "b"}}"#;
        let id = call_id_at(body, &["data", "call_id"]).map(|id| id.to_string());
        assert_eq!(id.as_deref(), Some("a"));
        // A parent that is no object, or absent, names no call.
        assert!(call_id_at(br#"{"data": [1]}"#, &["data", "call_id"]).is_none());
        assert!(call_id_at(br#"{"other": {}}"#, &["data", "call_id"]).is_none());
    }

    #[test]
    fn a_field_is_read_wherever_it_stands_and_only_at_the_top() {
        assert_eq!(
            id_of(r#"{"id": "c1", "status": "ended"}"#).as_deref(),
            Some("c1")
        );
        let later = r#"{"customer": {"id": "cust", "number": "+1"}, "cost": 0.5, "id": "c2"}"#;
        assert_eq!(id_of(later).as_deref(), Some("c2"));
        assert_eq!(id_of(r#"{"id": "\u0063\u0033"}"#).as_deref(), Some("c3"));
        assert_eq!(id_of(r#"{"id": "c4", "id": "c5"}"#).as_deref(), Some("c4"));
        for none in [
            r#"{"customer": {"id": "cust"}}"#,
            r#"{"id": null}"#,
            r#"{"id": 42}"#,
            r#"{"id": {"nested": "c8"}}"#,
            r#"{}"#,
            r#"["id", "c6"]"#,
            r#""c7""#,
        ] {
            assert_eq!(id_of(none), None, "{none}");
        }
        let raw: &RawValue = serde_json::from_str(r#"{"call_id": "c9", "id": "x"}"#).unwrap();
        assert_eq!(
            text_field(raw, "call_id").as_ref().map(Text::as_str),
            Some("c9")
        );
    }
}
