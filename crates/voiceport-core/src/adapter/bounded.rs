//! [`bounded_list`]: a vendor's list read with a ceiling on its length, and the memory its
//! entries take within a budget of the body they come in ([`within_entry_budget`]).

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer};

/// The most entries [`bounded_list`] reads from one list: more than any call's
/// conversation or transcript has (a day-long call has a few thousand turns).
pub const MAX_LIST_ITEMS: usize = 100_000;

/// How many bytes the entries of a body's lists may take, per byte of the body, inside
/// [`within_entry_budget`]. A read entry takes its type's size whatever its text: an empty
/// object (`{},`, three bytes) read as an utterance takes a hundred or more, so that a
/// hostile 64 MiB page of them took 3.7 GB. Real entries take one to four times their text
/// (an utterance's, a word's timings).
pub const ENTRY_BYTES_PER_BODY_BYTE: usize = 8;

/// What a small body's lists may always take, whatever its size.
const ENTRY_BUDGET_FLOOR: usize = 4 << 20;

thread_local! {
    /// The bytes the entries of the body being decoded on this thread may still take;
    /// `None` outside [`within_entry_budget`].
    static ENTRY_BUDGET: Cell<Option<usize>> = const { Cell::new(None) };
}

#[cfg(feature = "testing")]
thread_local! {
    /// The budgets set on this thread since they were last taken ([`take_budgets_set`]):
    /// how many, and the longest input one was set for.
    static BUDGETS_SET: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// How many budgets were set on this thread since the last call, and the longest input
/// one was set for (nested ones are no new budgets), and forgets them:
/// [`DecoderCheck`](crate::testing::DecoderCheck) asks whether a decode ran within one
/// budget of its whole body, as a codec's must, rather than in none or in one per part.
#[cfg(feature = "testing")]
pub(crate) fn take_budgets_set() -> (usize, usize) {
    BUDGETS_SET.with(|set| set.replace((0, 0)))
}

/// Runs `decode` with a budget for the entries its lists read ([`bounded_list`],
/// [`bounded_items`], [`take_entry`]): [`ENTRY_BYTES_PER_BODY_BYTE`] times `input_len`,
/// the length of the JSON text decoded (at least 4 MiB). A list entry past it is an error
/// at its path, so that no body makes a decode take more than a few times its size,
/// however its lists are built. Core's decoding functions ([`decode_json`],
/// [`decode_raw`], [`decode_list_item`] …) run within one; an adapter wraps what it
/// decodes with serde_json itself, and a page decoded part by part (its items apart from
/// its envelope) in one budget of the whole body. Inside a budget, another is no new one:
/// its entries are charged to the outer. Free-form JSON is charged too when read as
/// [`AnyJson`](crate::adapter::AnyJson) or through
/// [`bounded_value`](crate::adapter::bounded_value) and its fellows (a plain
/// `serde_json::Value` is not).
///
/// [`decode_json`]: crate::http::decode_json
/// [`decode_raw`]: crate::http::decode_raw
/// [`decode_list_item`]: crate::adapter::decode_list_item
///
/// ```
/// use serde::Deserialize;
/// use voiceport_core::adapter::{bounded_list, within_entry_budget};
///
/// #[derive(Deserialize)]
/// struct Utterance {
///     role: Option<String>,
///     text: Option<String>,
///     at: Option<String>,
/// }
///
/// #[derive(Deserialize)]
/// struct Call {
///     #[serde(default, deserialize_with = "bounded_list")]
///     transcript: Option<Vec<Utterance>>,
/// }
///
/// let hostile = format!(r#"{{"transcript": [{}]}}"#, vec!["{}"; 90_000].join(","));
/// let decode = || serde_json::from_str::<Call>(&hostile);
/// // 72 bytes an entry, from three bytes of text: past the 4 MiB a 270 KB body may take.
/// assert!(within_entry_budget(hostile.len(), decode).is_err_and(|e| e.to_string().contains("memory")));
/// assert!(decode().is_ok()); // outside a budget, the length's ceiling only
/// ```
pub fn within_entry_budget<R>(input_len: usize, decode: impl FnOnce() -> R) -> R {
    if ENTRY_BUDGET.with(Cell::get).is_some() {
        return decode();
    }
    /// Ends the budget, whatever happens (a panic included).
    struct End;
    impl Drop for End {
        fn drop(&mut self) {
            ENTRY_BUDGET.with(|budget| budget.set(None));
        }
    }
    let bytes = (input_len.saturating_mul(ENTRY_BYTES_PER_BODY_BYTE)).max(ENTRY_BUDGET_FLOOR);
    ENTRY_BUDGET.with(|budget| budget.set(Some(bytes)));
    #[cfg(feature = "testing")]
    BUDGETS_SET.with(|set| {
        let (count, widest) = set.get();
        set.set((count + 1, widest.max(input_len)));
    });
    let _end = End;
    decode()
}

/// Runs `first`, and when it fails `again` with the budget as it was before `first` (a
/// failed pass decoded again, tracking the path, to say where: what the first took is
/// dropped, and the second must fail where the first did, not sooner).
pub(crate) fn twice_within_entry_budget<T, E, F>(
    input_len: usize,
    first: impl FnOnce() -> Result<T, E>,
    again: impl FnOnce() -> F,
) -> Result<T, F> {
    within_entry_budget(input_len, || {
        let before = ENTRY_BUDGET.with(Cell::get);
        first().map_err(|_| {
            ENTRY_BUDGET.with(|budget| budget.set(before));
            again()
        })
    })
}

/// Charges one entry of type `T` read into a list to the budget of the body being decoded
/// ([`within_entry_budget`]); the error once it is spent. For a visitor that reads a list
/// its own way (with [`list_has_room`] for its length); [`bounded_list`] and
/// [`bounded_items`] charge their entries themselves.
pub fn take_entry<T, E: de::Error>() -> Result<(), E> {
    let bytes = std::mem::size_of::<T>().max(1);
    ENTRY_BUDGET.with(|budget| match budget.get() {
        None => Ok(()),
        Some(left) if left >= bytes => {
            budget.set(Some(left - bytes));
            Ok(())
        }
        Some(_) => Err(E::custom(format_args!(
            "the lists of this body would take more than {ENTRY_BYTES_PER_BODY_BYTE} times its size in memory: refused as broken or hostile"
        ))),
    })
}

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
                take_entry::<T, A::Error>()?;
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
