//! Free-form JSON (a [`Value`]) read within the entry budget of the body it comes in
//! ([`within_entry_budget`](super::within_entry_budget)): [`bounded_value`],
//! [`bounded_json`] and [`bounded_object`] for wire fields, [`BoundedValue`] for visitors.
//!
//! A `Value` takes 32 bytes or more whatever its text: `0,` (two bytes) in an array is 16
//! times its size, and twice that while the array grows. A vendor's `metadata` or a
//! tool's arguments read as a plain `Value` would let a hostile body of 64 MiB take a GiB
//! or more; read through these, each array element and object entry at every depth is
//! charged to the budget, and an array holds at most [`MAX_LIST_ITEMS`] entries.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::bounded::{MAX_LIST_ITEMS, list_has_room, take_entry};

/// A [`Value`] read within the entry budget (every array element and object entry, at every
/// depth, charged to it; an array of more than `MAX_LIST_ITEMS` entries refused).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BoundedValue(pub(crate) Value);

impl<'de> Deserialize<'de> for BoundedValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(BoundedValue)
    }
}

/// `#[serde(default, deserialize_with = "bounded_value")]` for an `Option<Value>` field of
/// a vendor's body: `null` is `None`, as for a plain `Option<Value>`; any other JSON is
/// read within the body's entry budget (every array element and object entry, at every
/// depth, charged to it; an array of more than `MAX_LIST_ITEMS` entries refused).
///
/// ```
/// use serde::Deserialize;
/// use voiceport_core::adapter::{bounded_value, within_entry_budget};
///
/// #[derive(Deserialize)]
/// struct Call {
///     #[serde(default, deserialize_with = "bounded_value")]
///     metadata: Option<serde_json::Value>,
/// }
///
/// let call: Call = serde_json::from_str(r#"{"metadata": {"crm": [1, 2]}}"#).unwrap();
/// assert_eq!(call.metadata.unwrap()["crm"][1], 2);
/// let zeros = vec!["0"; 90_000].join(",");
/// let hostile = format!(r#"{{"metadata": [[{zeros}], [{zeros}]]}}"#);
/// let decode = || serde_json::from_str::<Call>(&hostile);
/// // 32 bytes or more an entry, from two bytes of text: past the 4 MiB a 360 KB body may take.
/// let refused = within_entry_budget(hostile.len(), decode);
/// assert!(refused.is_err_and(|e| e.to_string().contains("memory")));
/// ```
pub fn bounded_value<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Value>, D::Error> {
    Ok(Option::<BoundedValue>::deserialize(deserializer)?.map(|value| value.0))
}

/// `#[serde(deserialize_with = "bounded_json")]` for a `Value` field (`null` included) of a
/// vendor's body, read within the body's entry budget (every array element and object
/// entry, at every depth, charged to it; an array of more than `MAX_LIST_ITEMS` entries
/// refused).
pub fn bounded_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    Ok(BoundedValue::deserialize(deserializer)?.0)
}

/// `#[serde(default, deserialize_with = "or_none")]` for an `Option<T>` field a vendor
/// may one day send with another type: the value when it reads as `T`, `None` (not a
/// decode error) when it does not. Read first as any JSON, within the body's entry budget,
/// so a field of an unexpected type costs what [`bounded_json`] allows.
///
/// ```
/// use serde::Deserialize;
/// use voiceport_core::adapter::or_none;
///
/// #[derive(Deserialize)]
/// struct Entry {
///     #[serde(default, deserialize_with = "or_none")]
///     digit: Option<String>,
/// }
///
/// let read = |json| serde_json::from_str::<Entry>(json).unwrap().digit;
/// assert_eq!(read(r#"{"digit": "5"}"#).as_deref(), Some("5"));
/// assert_eq!(read(r#"{"digit": 5}"#), None);
/// assert_eq!(read(r#"{}"#), None);
/// ```
pub fn or_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(T::deserialize(bounded_json(deserializer)?).ok())
}

/// JSON text (a raw part of a body, kept as `&RawValue`) read as a [`Value`] within the
/// body's entry budget, as [`bounded_json`] reads a field: for a decoder that parses a raw
/// part later, inside the body's budget.
///
/// ```
/// use voiceport_core::adapter::json_within_budget;
/// assert_eq!(json_within_budget(r#"{"a": [1, 2]}"#).unwrap()["a"][1], 2);
/// assert!(json_within_budget("[1] 2").is_err());
/// ```
pub fn json_within_budget(text: &str) -> serde_json::Result<Value> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = bounded_json(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// `#[serde(default, deserialize_with = "bounded_object")]` for an
/// `Option<Map<String, Value>>` field of a vendor's body: `null` is `None`, an object is
/// read within the body's entry budget (every array element and object entry, at every
/// depth, charged to it; an array of more than `MAX_LIST_ITEMS` entries refused), anything
/// else is refused as not an object.
pub fn bounded_object<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Map<String, Value>>, D::Error> {
    struct ObjectOrNull;

    impl<'de> Visitor<'de> for ObjectOrNull {
        type Value = Option<Map<String, Value>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            inner.deserialize_map(ObjectOnly).map(Some)
        }
    }

    struct ObjectOnly;

    impl<'de> Visitor<'de> for ObjectOnly {
        type Value = Map<String, Value>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            entries(map)
        }
    }

    deserializer.deserialize_option(ObjectOrNull)
}

/// Reads a JSON object whole, handing each entry to `put`, each charged to the budget (a
/// key given twice: `put` decides, a map keeps the last). `Some` for a number instead,
/// where serde_json's `arbitrary_precision` is on in the build (another crate may turn it
/// on: features are unified), which arrives as a one-entry map holding its text. For every
/// visitor of any JSON ([`AnyJson`](super::AnyJson)'s too).
pub(crate) fn object_or_number<'de, A: MapAccess<'de>>(
    map: &mut A,
    mut put: impl FnMut(String, Value),
) -> Result<Option<serde_json::Number>, A::Error> {
    let Some(first) = map.next_key::<String>()? else {
        return Ok(None);
    };
    if first == super::number::ARBITRARY_PRECISION_NUMBER {
        return super::number::arbitrary_precision_number(map).map(Some);
    }
    take_entry::<(String, Value), A::Error>()?;
    put(first, map.next_value::<BoundedValue>()?.0);
    entries_into(map, put)?;
    Ok(None)
}

/// Reads the rest of an object, each entry charged to the budget.
fn entries_into<'de, A: MapAccess<'de>>(
    map: &mut A,
    mut put: impl FnMut(String, Value),
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<String>()? {
        take_entry::<(String, Value), A::Error>()?;
        put(key, map.next_value::<BoundedValue>()?.0);
    }
    Ok(())
}

/// An object's entries (serde_json's own numbers, under `arbitrary_precision`, are read by
/// [`ValueVisitor`], not here: only objects come here).
fn entries<'de, A: MapAccess<'de>>(mut map: A) -> Result<Map<String, Value>, A::Error> {
    let mut object = Map::new();
    entries_into(&mut map, |key, value| {
        object.insert(key, value);
    })?;
    Ok(object)
}

/// Reads an array, each element charged to the budget, at most [`MAX_LIST_ITEMS`] of them.
pub(crate) fn elements<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<Value>, A::Error> {
    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
    while let Some(BoundedValue(item)) = seq.next_element()? {
        list_has_room(items.len(), "entries in one JSON array")?;
        take_entry::<Value, A::Error>()?;
        items.push(item);
    }
    debug_assert!(items.len() <= MAX_LIST_ITEMS);
    Ok(items)
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        Ok(Value::String(text.to_owned()))
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<Value, E> {
        Ok(Value::String(text))
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Value, D::Error> {
        inner.deserialize_any(self)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        elements(seq).map(Value::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        let number = object_or_number(&mut map, |key, value| {
            object.insert(key, value);
        })?;
        Ok(number.map_or(Value::Object(object), Value::Number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::within_entry_budget;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    struct Wire {
        #[serde(default, deserialize_with = "bounded_value")]
        any: Option<Value>,
        #[serde(default, deserialize_with = "bounded_object")]
        object: Option<Map<String, Value>>,
    }

    #[test]
    fn every_json_value_reads_as_serde_json_reads_it() {
        let text = r#"{"a": [1, -2, 2.5, 18446744073709551615, "x\u00e9", null, true,
                        {"b": {"c": []}, "b": {}}], "d": {}}"#;
        let plain: Value = serde_json::from_str(text).unwrap();
        let bounded =
            within_entry_budget(text.len(), || serde_json::from_str::<BoundedValue>(text));
        assert_eq!(bounded.unwrap().0, plain);
        let wire: Wire = serde_json::from_str(r#"{"any": null, "object": null}"#).unwrap();
        assert_eq!((wire.any, wire.object), (None, None));
        let wire: Wire = serde_json::from_str(r#"{"any": [0], "object": {"k": 1}}"#).unwrap();
        assert_eq!(wire.any, Some(json!([0])));
        assert_eq!(wire.object.map(Value::Object), Some(json!({"k": 1})));
        let error = serde_json::from_str::<Wire>(r#"{"object": [1]}"#).unwrap_err();
        assert!(error.to_string().contains("expected an object"), "{error}");
    }

    #[test]
    fn arrays_and_objects_at_any_depth_are_charged_to_the_budget() {
        // Two arrays, each under the ceiling on one array's length.
        let zeros = vec!["0"; 90_000].join(",");
        let zeros = format!("[{zeros}], [{zeros}]");
        // Each entry read is charged, a key given again too: 56 bytes from six of text.
        let entries = vec![r#""a":0"#; 800_000].join(",");
        for (case, text) in [
            ("array", format!(r#"{{"any": [{zeros}]}}"#)),
            (
                "nested array",
                format!(r#"{{"any": {{"deep": [[{zeros}]]}}}}"#),
            ),
            ("object", format!(r#"{{"object": {{{entries}}}}}"#)),
            ("object in any", format!(r#"{{"any": [{{{entries}}}]}}"#)),
        ] {
            let decoded = within_entry_budget(text.len(), || serde_json::from_str::<Wire>(&text));
            let error = decoded.unwrap_err().to_string();
            assert!(error.contains("memory"), "{case}: {error}");
            // Outside a budget only the length's ceiling holds, which these are under.
            assert!(serde_json::from_str::<Wire>(&text).is_ok(), "{case}");
        }
        let endless = format!(
            r#"{{"any": [{}]}}"#,
            vec!["0"; MAX_LIST_ITEMS + 1].join(",")
        );
        let error = serde_json::from_str::<Wire>(&endless).unwrap_err();
        assert!(error.to_string().contains("JSON array"), "{error}");
    }
}
