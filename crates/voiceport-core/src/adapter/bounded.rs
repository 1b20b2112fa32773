//! [`bounded_list`]: a vendor's list read with a ceiling on its length.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer};

/// The most entries [`bounded_list`] reads from one list: more than any call's
/// conversation or transcript has (a day-long call has a few thousand turns).
pub const MAX_LIST_ITEMS: usize = 100_000;

/// `#[serde(default, deserialize_with = "bounded_list")]` for an `Option<Vec<T>>` field
/// (a conversation, a transcript, its words): `null` is `None`, and a list of more than
/// [`MAX_LIST_ITEMS`] entries is an error at the field's path. A read entry takes many
/// times the bytes of an empty one (`{},`), so a hostile list of empty objects in a body
/// of a few MiB would otherwise take hundreds of MB.
///
/// ```
/// use serde::Deserialize;
/// use voiceport_core::adapter::{MAX_LIST_ITEMS, bounded_list};
///
/// #[derive(Deserialize)]
/// struct Call {
///     #[serde(default, deserialize_with = "bounded_list")]
///     transcript: Option<Vec<serde_json::Value>>,
/// }
///
/// let call: Call = serde_json::from_str(r#"{"transcript": [{}, {}]}"#).unwrap();
/// assert_eq!(call.transcript.map(|t| t.len()), Some(2));
/// let endless = format!(r#"{{"transcript": [{}]}}"#, vec!["0"; MAX_LIST_ITEMS + 1].join(","));
/// assert!(serde_json::from_str::<Call>(&endless).is_err());
/// ```
pub fn bounded_list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> de::Visitor<'de> for Visitor<T> {
        type Value = Option<Vec<T>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            bounded_items(inner).map(Some)
        }
    }

    deserializer.deserialize_option(Visitor(PhantomData))
}

/// `#[serde(deserialize_with = "bounded_items")]` for a `Vec<T>` field that must be a list
/// (a page's calls): [`bounded_list`]'s ceiling, without its `null`.
///
/// ```
/// use serde::Deserialize;
/// use voiceport_core::adapter::{MAX_LIST_ITEMS, bounded_items};
///
/// #[derive(Deserialize)]
/// struct Page {
///     #[serde(deserialize_with = "bounded_items")]
///     calls: Vec<serde_json::Value>,
/// }
///
/// let page: Page = serde_json::from_str(r#"{"calls": [{}, {}]}"#).unwrap();
/// assert_eq!(page.calls.len(), 2);
/// assert!(serde_json::from_str::<Page>(r#"{"calls": null}"#).is_err());
/// let endless = format!(r#"{{"calls": [{}]}}"#, vec!["0"; MAX_LIST_ITEMS + 1].join(","));
/// assert!(serde_json::from_str::<Page>(&endless).is_err());
/// ```
pub fn bounded_items<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> de::Visitor<'de> for Visitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
            while let Some(item) = seq.next_element()? {
                list_has_room(items.len(), "entries in one list")?;
                items.push(item);
            }
            Ok(items)
        }
    }

    deserializer.deserialize_seq(Visitor(PhantomData))
}

/// The ceiling of [`bounded_list`], for a visitor that reads a list its own way: `Ok` while
/// fewer than [`MAX_LIST_ITEMS`] entries are held, else the error, which names what the
/// list holds (`entries`: "messages in one conversation").
pub fn list_has_room<E: de::Error>(held: usize, entries: &str) -> Result<(), E> {
    if held < MAX_LIST_ITEMS {
        Ok(())
    } else {
        Err(E::custom(format_args!(
            "more than {MAX_LIST_ITEMS} {entries}"
        )))
    }
}
