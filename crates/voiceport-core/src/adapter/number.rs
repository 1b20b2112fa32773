//! Numbers as vendors send them: a JSON number, or the same number written as a string
//! (`"0.05"`, `"13"`), which backends that serialize decimals as text do. Without this, one
//! cost sent as text fails the whole call, page or webhook (an end-of-call event refused
//! with 400, and refused again on every retry). And amounts read into a call: a value that
//! is not finite or is negative is dropped with a warning.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

use crate::{Call, WarningKind};

/// An optional amount (a cost, a duration): a number, or a string holding one; `null`,
/// absent or blank text (`""`, which backends write for a value not set) is `None`. Any
/// other value is an error, as for an `Option<f64>`. Use with
/// `#[serde(default, deserialize_with = "amount")]`; whether the value is possible
/// (finite, not negative) is [`read_amount`]'s to say.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Wire {
///     #[serde(default, deserialize_with = "voiceport_core::adapter::amount")]
///     cost: Option<f64>,
/// }
/// let cost = |json: &str| serde_json::from_str::<Wire>(json).map(|w| w.cost).ok();
/// assert_eq!(cost(r#"{"cost": 0.05}"#), Some(Some(0.05)));
/// assert_eq!(cost(r#"{"cost": " 0.05 "}"#), Some(Some(0.05)));
/// assert_eq!(cost(r#"{"cost": null}"#), Some(None));
/// assert_eq!(cost("{}"), Some(None));
/// assert_eq!(cost(r#"{"cost": " "}"#), Some(None));
/// assert_eq!(cost(r#"{"cost": "free"}"#), None);
/// ```
pub fn amount<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_option(OptionalNumber)
}

/// An optional count (a page's total, a page number): a whole number, or a string holding
/// one; `null`, absent, or a number that cannot be a count (negative, fractional, `-1` for
/// "unknown") is `None`, since a count only informs. Any other value is an error. Use with
/// `#[serde(default, deserialize_with = "count")]`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Wire {
///     #[serde(default, deserialize_with = "voiceport_core::adapter::count")]
///     total: Option<u64>,
/// }
/// let total = |json: &str| serde_json::from_str::<Wire>(json).map(|w| w.total).ok();
/// assert_eq!(total(r#"{"total": 13}"#), Some(Some(13)));
/// assert_eq!(total(r#"{"total": "13"}"#), Some(Some(13)));
/// assert_eq!(total(r#"{"total": 13.0}"#), Some(Some(13)));
/// assert_eq!(total(r#"{"total": -1}"#), Some(None));
/// assert_eq!(total(r#"{"total": [13]}"#), None);
/// ```
pub fn count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let number = deserializer.deserialize_option(OptionalNumber)?;
    // Exact: every whole f64 up to 2^53 is a u64 as written.
    Ok(number
        .filter(|n| n.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(n))
        .map(|n| n as u64))
}

/// The key of the one-entry map serde_json makes of a number when its
/// `arbitrary_precision` feature is on (its `serde_json::private::Number` token).
pub(crate) const ARBITRARY_PRECISION_NUMBER: &str = "$serde_json::private::Number";

/// The text of a number that serde_json hands a visitor's `visit_map` as a map when its
/// `arbitrary_precision` feature is on anywhere in the build; any other map is refused as
/// not what `expected` reads. For a visitor reading numbers through `deserialize_any`
/// (`open_enum!`'s among them).
#[doc(hidden)]
pub fn arbitrary_precision_text<'de, A: de::MapAccess<'de>>(
    mut map: A,
    expected: &dyn de::Expected,
) -> Result<String, A::Error> {
    match map.next_key::<std::borrow::Cow<'_, str>>()?.as_deref() {
        Some(ARBITRARY_PRECISION_NUMBER) => map.next_value(),
        _ => Err(de::Error::invalid_type(de::Unexpected::Map, expected)),
    }
}

/// The number whose text follows the [`ARBITRARY_PRECISION_NUMBER`] key just read from
/// `map`, for a visitor that reads any JSON (an object otherwise).
pub(crate) fn arbitrary_precision_number<'de, A: de::MapAccess<'de>>(
    map: &mut A,
) -> Result<serde_json::Number, A::Error> {
    let text: String = map.next_value()?;
    text.parse().map_err(de::Error::custom)
}

/// A number, or a string holding one; `None` for `null`.
struct OptionalNumber;

impl<'de> Visitor<'de> for OptionalNumber {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string holding one")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Some(n as f64))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Some(n as f64))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
        Ok(Some(n))
    }

    /// A number as serde_json hands it over when its `arbitrary_precision` feature is on
    /// anywhere in the build (another crate may turn it on: features are unified): a map
    /// of one private key to the number's text.
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let text = arbitrary_precision_text(map, &self)?;
        self.visit_str(&text)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        match trimmed.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(E::invalid_value(de::Unexpected::Str(text), &self)),
        }
    }
}

/// The number when it is present and finite.
pub fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

/// `value` rounded to `1 / scale`: a sum or a unit change without its float noise
/// (`0.1 + 0.2` is `0.30000000000000004`, which a snapshot would keep). A value too large
/// to scale stays as it is rather than becoming infinite.
///
/// ```
/// use voiceport_core::adapter::round_to;
/// assert_eq!(round_to(0.1 + 0.2, 1e9), 0.3);
/// assert_eq!(round_to(1234.5678 / 1000.0, 1e6), 1.234568);
/// assert_eq!(round_to(f64::MAX, 1e9), f64::MAX);
/// ```
pub fn round_to(value: f64, scale: f64) -> f64 {
    let scaled = (value * scale).round();
    if scaled.is_finite() {
        scaled / scale
    } else {
        value
    }
}

/// A duration or an amount of money found at `field` of `call`: `None`, with a warning on
/// the call, when it is present but impossible (negative, or not a finite number), so that
/// it never passes silently nor makes the call fail to decode. An absent value gives
/// `None` alone. (A cost of exactly zero is possible, and kept.)
///
/// ```
/// use voiceport_core::adapter::read_amount;
/// use voiceport_core::{Call, CallId, ProviderKind};
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
/// assert_eq!(read_amount(&mut call, "duration_seconds", Some(38.5)), Some(38.5));
/// assert_eq!(read_amount(&mut call, "cost", Some(0.0)), Some(0.0));
/// assert_eq!(read_amount(&mut call, "cost", None), None);
/// assert_eq!(read_amount(&mut call, "duration_seconds", Some(-3.0)), None);
/// assert_eq!(read_amount(&mut call, "cost", Some(f64::INFINITY)), None);
/// assert_eq!(call.warnings.len(), 2);
/// assert_eq!(call.warnings[0].field, "duration_seconds");
/// ```
pub fn read_amount(call: &mut Call, field: &str, value: Option<f64>) -> Option<f64> {
    let value = value?;
    if !value.is_finite() {
        call.warn(
            WarningKind::NotANumber,
            field,
            value.to_string(),
            "not a finite number",
        );
        return None;
    }
    if value < 0.0 {
        call.warn(WarningKind::Negative, field, value.to_string(), "negative");
        return None;
    }
    // `-0.0` is zero; keep it as `0`.
    Some(value.abs())
}

/// [`read_amount`], the field's path written only for a warning: for amounts at indexed
/// paths (`costs[3].cost`), which a page of calls would otherwise format for nothing.
///
/// ```
/// use voiceport_core::adapter::read_amount_at;
/// use voiceport_core::{Call, CallId, ProviderKind};
/// let mut call = Call::new(CallId::new("c"), ProviderKind::Retell);
/// assert_eq!(read_amount_at(&mut call, Some(1.5), || format!("items[{}].cost", 3)), Some(1.5));
/// assert_eq!(read_amount_at(&mut call, Some(-1.0), || format!("items[{}].cost", 4)), None);
/// assert_eq!(call.warnings[0].field, "items[4].cost");
/// ```
pub fn read_amount_at(
    call: &mut Call,
    value: Option<f64>,
    field: impl FnOnce() -> String,
) -> Option<f64> {
    match value? {
        possible if possible.is_finite() && possible >= 0.0 => Some(possible.abs()),
        impossible => read_amount(call, &field(), Some(impossible)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_amounts() {
        assert_eq!(finite(Some(f64::NAN)), None);
    }
}
