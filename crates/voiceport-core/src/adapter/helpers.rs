//! What every vendor's mapping needs, written once: lenient times, text and number
//! clean-up, and decoding a call that keeps its vendor JSON.

use std::borrow::Cow;
use std::ops::ControlFlow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeDelta, Timelike, Utc};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::http::decode_raw;
use crate::{
    Call, CallPage, Direction, EachCall, Operation, ProviderKind, Result, VendorPayload,
    WarningKind,
};

/// Reads a vendor timestamp leniently, as UTC: RFC 3339 with any offset, or an ISO 8601
/// date-time without one (read as UTC), with `T` or a space between date and time and any
/// fraction of a second. Anything else is `None`.
///
/// ```
/// use voiceport_core::adapter::parse_time;
/// let at = |s| parse_time(s).map(|t| t.to_rfc3339());
/// assert_eq!(at("2026-03-10T15:42:07.318Z").as_deref(), Some("2026-03-10T15:42:07.318+00:00"));
/// assert_eq!(at("2026-03-10 17:42:07+02:00").as_deref(), Some("2026-03-10T15:42:07+00:00"));
/// assert_eq!(at("2026-03-10 15:42:07").as_deref(), Some("2026-03-10T15:42:07+00:00"));
/// assert_eq!(at("2026-03-10T17:42:07+0200").as_deref(), Some("2026-03-10T15:42:07+00:00"));
/// assert_eq!(at("2026-03-10 15:42:07.5+00").as_deref(), Some("2026-03-10T15:42:07.500+00:00"));
/// assert_eq!(at("2026-02-30T10:00:00Z"), None);
/// assert_eq!(at("not a date"), None);
/// assert_eq!(at("+50000-01-01T00:00:00"), None);
/// assert_eq!(at("26-03-10T15:42:07"), None);
/// ```
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    // Four digits of a year, unsigned: chrono's `%Y` would read `+50000-…`, `-0001-…` and
    // `26-03-10…` (the year 26) as dates.
    let bytes = text.as_bytes();
    if !(bytes
        .get(..4)
        .is_some_and(|year| year.iter().all(u8::is_ascii_digit))
        && bytes.get(4) == Some(&b'-'))
    {
        return None;
    }
    // `2026-03-10 15:42:07…` → `2026-03-10T15:42:07…`, so one set of formats reads both.
    let owned;
    let text = if text.as_bytes().get(10) == Some(&b' ') {
        owned = format!("{}T{}", &text[..10], &text[11..]);
        owned.as_str()
    } else {
        text
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive.and_utc());
    }
    // ISO 8601's other offsets: `+0000`, `+00` (PostgreSQL writes those).
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%#z")
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Reads the vendor timestamp `text` found at `field` of `call` with [`parse_time`]. A
/// value that is present but unreadable (`"2026-02-30T10:00:00Z"`, `"not a date"`) gives
/// `None` and a warning on the call, so that it never vanishes silently; an absent or
/// blank value gives `None` alone.
///
/// ```
/// use voiceport_core::adapter::read_time;
/// use voiceport_core::{Call, CallId, ProviderKind};
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
/// assert!(read_time(&mut call, "start_time", Some("2026-03-10 15:42:07")).is_some());
/// assert!(read_time(&mut call, "end_time", None).is_none());
/// assert!(read_time(&mut call, "end_time", Some("2026-02-30T10:00:00Z")).is_none());
/// assert_eq!(call.warnings.len(), 1);
/// assert_eq!(call.warnings[0].field, "end_time");
/// ```
pub fn read_time(call: &mut Call, field: &str, text: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text?;
    if text.trim().is_empty() {
        return None;
    }
    let at = parse_time(text);
    if at.is_none() {
        call.warn(
            WarningKind::NotATime,
            field,
            shorten(text),
            "not a date and time",
        );
    }
    at
}

/// An epoch-milliseconds time at `field` of `call`. A number (or a string of digits) is
/// milliseconds; an ISO 8601 string is read too. A value that is present but unreadable
/// (text, a number out of range, one before 1973: seconds, or `0` for "not yet") gives
/// `None` and a warning on the call, so that it never vanishes silently; `null` gives
/// `None` alone.
/// The epoch-milliseconds twin of [`read_time`].
pub fn read_epoch_millis(
    call: &mut Call,
    field: &str,
    value: Option<&Value>,
) -> Option<DateTime<Utc>> {
    let at = match value? {
        Value::Null => return None,
        Value::String(text) if text.trim().is_empty() => return None,
        Value::Number(number) => number.as_f64().and_then(recent_epoch_millis),
        Value::String(text) => {
            let text = text.trim();
            match text.bytes().all(|b| b.is_ascii_digit()) {
                true => text.parse::<f64>().ok().and_then(recent_epoch_millis),
                false => parse_time(text),
            }
        }
        _ => None,
    };
    if at.is_none() {
        let shown = value.and_then(value_text).unwrap_or_default();
        call.warn(
            WarningKind::NotATime,
            field,
            shorten(&shown),
            "not a time in epoch milliseconds",
        );
    }
    at
}

/// A time given as ISO 8601 text (read with [`parse_time`]) or as an epoch number (or
/// its digits as text): seconds from 10^9 (2001) and below 10^11, milliseconds from 10^11
/// (10^11 seconds is the year 5138, 10^11 milliseconds 1973), microseconds from 10^14 and
/// nanoseconds from 10^17 (each 1973 in its unit). Anything else is `None`, a smaller
/// number among them (`0`, `-1`, the digits of a date such as `20260310`): no delivery
/// happened in 1970, and a `None` lets the reader fall back to another field. For the
/// times of webhook deliveries, which vendors write every way.
///
/// ```
/// use voiceport_core::adapter::time_from_json;
/// use serde_json::json;
/// let at = |v| time_from_json(&v).map(|t| t.to_rfc3339());
/// let expected = Some("2026-03-10T15:42:07+00:00".to_owned());
/// assert_eq!(at(json!(1773157327)), expected);
/// assert_eq!(at(json!(1773157327000u64)), expected);
/// assert_eq!(at(json!(1.773157327E12)), expected);
/// assert_eq!(at(json!("2026-03-10T15:42:07Z")), expected);
/// assert_eq!(at(json!(1773157327000000u64)), expected); // microseconds
/// assert_eq!(at(json!(1773157327000000000u64)), expected); // nanoseconds
/// assert_eq!(at(json!("1773157327")), expected);
/// assert_eq!(at(json!(true)), None);
/// assert_eq!(at(json!(0)), None);
/// assert_eq!(at(json!("-1")), None);
/// assert_eq!(at(json!("20260310")), None);
/// ```
pub fn time_from_json(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(text) => time_from_text(text),
        Value::Number(number) => epoch_by_size(number.as_f64()?),
        _ => None,
    }
}

/// A time given as text, as [`time_from_json`] reads it: an epoch number's digits, else
/// ISO 8601.
pub(crate) fn time_from_text(text: &str) -> Option<DateTime<Utc>> {
    match text.trim().parse::<f64>() {
        Ok(number) => epoch_by_size(number),
        Err(_) => parse_time(text),
    }
}

/// An epoch number in the unit its size says, as [`time_from_json`] reads it: seconds from
/// 10^9 (2001), milliseconds from 10^11, microseconds from 10^14, nanoseconds from 10^17;
/// `None` below (zero, negative, too small for any unit) and for NaN.
///
/// ```
/// use voiceport_core::adapter::epoch_by_size;
/// let at = |n: f64| epoch_by_size(n).map(|t| t.to_rfc3339());
/// let expected = Some("2026-03-10T15:42:07+00:00".to_owned());
/// assert_eq!(at(1_773_157_327.0), expected);
/// assert_eq!(at(1_773_157_327_000.0), expected);
/// assert_eq!(at(1_773_157_327_000_000.0), expected);
/// assert_eq!(at(12.5), None);
/// ```
pub fn epoch_by_size(number: f64) -> Option<DateTime<Utc>> {
    match number {
        n if n >= 1e17 => epoch_millis(number / 1e6),
        n if n >= 1e14 => epoch_millis(number / 1e3),
        n if n >= 1e11 => epoch_millis(number),
        n if n >= 1e9 => epoch_secs(number),
        // Zero, negative, too small for any unit, or NaN.
        _ => None,
    }
}

/// When an S3 (SigV4) pre-signed URL stops working: `X-Amz-Date` (`20260324T091502Z`)
/// plus `X-Amz-Expires` (seconds; SigV4 allows 1 to 604,800). `None` for a URL without
/// both, or with values that do not read (a negative or absurd expiry among them).
///
/// The query is walked once, and the usual `20260324T091502Z` read digit by digit (chrono's
/// format-string parser, which reads the rest, was a tenth of a page's normalization).
///
/// ```
/// use voiceport_core::adapter::presigned_expiry;
/// let url = "https://b.s3.amazonaws.com/r.wav?X-Amz-Date=20260324T091502Z&X-Amz-Expires=3600#t=5";
/// assert_eq!(presigned_expiry(url).map(|t| t.to_rfc3339()).as_deref(), Some("2026-03-24T10:15:02+00:00"));
/// assert_eq!(presigned_expiry("https://example.com/r.wav"), None);
/// ```
pub fn presigned_expiry(url: &str) -> Option<DateTime<Utc>> {
    let (_, query) = url.split_once('?')?;
    let (date, expires) = amz_params(query);
    let signed = amz_date(date?)?;
    let seconds: u32 = expires?.parse().ok()?;
    // Beyond SigV4's range S3 refuses the URL: its expiry says nothing.
    if !(1..=MAX_PRESIGNED_SECS).contains(&seconds) {
        return None;
    }
    let delta = chrono::TimeDelta::try_seconds(i64::from(seconds))?;
    signed.and_utc().checked_add_signed(delta)
}

/// The longest a SigV4 pre-signed URL can be valid: seven days.
const MAX_PRESIGNED_SECS: u32 = 604_800;

/// The first `X-Amz-Date` and `X-Amz-Expires` values of `query`, read pair by pair up to
/// the fragment; the walk stops once both are found (S3 puts them before the long
/// credential and signature).
fn amz_params(query: &str) -> (Option<&str>, Option<&str>) {
    let (mut date, mut expires) = (None, None);
    let mut rest = query;
    while date.is_none() || expires.is_none() {
        let end = rest.bytes().position(|b| b == b'&' || b == b'#');
        let pair = end.and_then(|end| rest.get(..end)).unwrap_or(rest);
        if let Some(value) = pair.strip_prefix("X-Amz-Date=") {
            date = date.or(Some(value));
        } else if let Some(value) = pair.strip_prefix("X-Amz-Expires=") {
            expires = expires.or(Some(value));
        }
        // `&` and `#` are ASCII, so the cut after them is on a character boundary.
        match end.map(|end| (rest.as_bytes().get(end), rest.get(end + 1..))) {
            Some((Some(b'&'), Some(after))) => rest = after,
            _ => break,
        }
    }
    (date, expires)
}

/// `%Y%m%dT%H%M%SZ`: the canonical 16 characters read digit by digit; any other text (a
/// leap second among them) by chrono, as core does.
fn amz_date(text: &str) -> Option<NaiveDateTime> {
    let canonical = match text.as_bytes() {
        [date @ .., b'T', h1, h2, m1, m2, s1, s2, b'Z'] if date.len() == 8 => {
            let digits = |bytes: &[u8]| {
                (bytes.iter()).try_fold(0u32, |n, b| {
                    b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
                })
            };
            let (year, month, day) = (digits(&date[..4]), digits(&date[4..6]), digits(&date[6..]));
            let (hour, minute, second) = (
                digits(&[*h1, *h2]),
                digits(&[*m1, *m2]),
                digits(&[*s1, *s2]),
            );
            match (year, month, day, hour, minute, second) {
                (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) if s < 60 => Some(
                    NaiveDate::from_ymd_opt(y as i32, mo, d)
                        .and_then(|date| date.and_hms_opt(h, mi, s)),
                ),
                _ => None,
            }
        }
        _ => None,
    };
    match canonical {
        Some(read) => read,
        None => NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ").ok(),
    }
}

/// The recording at these URLs (`None` without either), its expiry read from them when
/// they are S3 pre-signed URLs (the earlier of the two; see [`presigned_expiry`]).
///
/// ```
/// use voiceport_core::adapter::recording_at;
/// let signed = "https://b.s3.amazonaws.com/r.wav?X-Amz-Date=20260324T091502Z&X-Amz-Expires=3600";
/// let recording = recording_at(Some(signed.into()), None).unwrap();
/// assert!(recording.expires_at.is_some());
/// assert!(recording_at(None, None).is_none());
/// assert!(recording_at(Some(String::new()), Some(" ".into())).is_none());
/// ```
pub fn recording_at(mono: Option<String>, stereo: Option<String>) -> Option<crate::Recording> {
    // A blank URL (`"recording_url": ""`) is no recording.
    let (mono, stereo) = (mono.and_then(non_blank), stereo.and_then(non_blank));
    if mono.is_none() && stereo.is_none() {
        return None;
    }
    let urls = [mono.as_deref(), stereo.as_deref()];
    let expires_at = urls
        .into_iter()
        .flatten()
        .filter_map(presigned_expiry)
        .min();
    Some(crate::Recording {
        mono_url: mono,
        stereo_url: stereo,
        expires_at,
    })
}

/// `field` under the JSON path `at`, written as decode errors write paths: `message.call`
/// + `id` is `message.call.id`, `costs` + `[0]` is `costs[0]`, an empty `at` is `field`.
///
/// ```
/// use voiceport_core::adapter::field_path;
/// assert_eq!(field_path("message.call", "id"), "message.call.id");
/// assert_eq!(field_path("message.costs", "[0]"), "message.costs[0]");
/// assert_eq!(field_path("", "createdAt"), "createdAt");
/// ```
pub fn field_path(at: &str, field: &str) -> String {
    crate::http::decode::join_path(at, field)
}

/// A call's direction from a vendor's `inbound` / `outbound` text at `field`: `None`, with
/// a warning on the call, for any other value, so that it is not lost silently (the value
/// stays in the vendor payload). An absent or blank value gives `None` alone.
///
/// ```
/// use voiceport_core::adapter::read_direction;
/// use voiceport_core::{Call, CallId, Direction, ProviderKind};
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Retell);
/// assert_eq!(read_direction(&mut call, "direction", Some("inbound")), Some(Direction::Inbound));
/// assert_eq!(read_direction(&mut call, "direction", Some(" ")), None);
/// assert_eq!(read_direction(&mut call, "direction", Some("sideways")), None);
/// assert_eq!(call.warnings.len(), 1);
/// assert_eq!(call.warnings[0].value, "sideways");
/// ```
pub fn read_direction(call: &mut Call, field: &str, value: Option<&str>) -> Option<Direction> {
    let value = value.and_then(non_blank)?;
    let direction = Direction::from_wire(value);
    if direction.is_none() {
        call.warn(
            WarningKind::UnknownValue,
            field,
            shorten(value),
            "not a known direction (inbound or outbound)",
        );
    }
    direction
}

/// Where a call was transferred, from a vendor's destination at `field`: a string as it
/// is (Retell's call field), or an object's `number`, else its `sipUri` / `sip_uri`
/// (Vapi's `{type: "number", number, extension}` and `{type: "sip", sipUri}`, Retell's
/// transfer events' `{number, extension}`). A number's extension (text or a number) is
/// added as in a `tel:` URI: `+16175550199;ext=204`. `null`, a blank string or an object
/// naming neither is none; any other value is none with a warning on `call`.
///
/// ```
/// use serde_json::json;
/// use voiceport_core::adapter::read_destination;
/// use voiceport_core::{Call, CallId, ProviderKind};
///
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Vapi);
/// let sip = json!({"type": "sip", "sipUri": "sip:desk@pbx.example.com"});
/// assert_eq!(read_destination(&mut call, "destination", &sip).as_deref(), Some("sip:desk@pbx.example.com"));
/// let desk = json!({"number": "+16175550199", "extension": "204"});
/// let read = read_destination(&mut call, "destination", &desk);
/// assert_eq!(read.as_deref(), Some("+16175550199;ext=204"));
/// assert_eq!(read_destination(&mut call, "destination", &json!(12)), None);
/// assert_eq!(call.warnings.len(), 1);
/// ```
pub fn read_destination(call: &mut Call, field: &str, value: &Value) -> Option<String> {
    let text = |value: Option<&Value>| match value {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
        _ => None,
    };
    match value {
        Value::Null => None,
        Value::String(_) => text(Some(value)),
        Value::Object(fields) => match text(fields.get("number")) {
            Some(number) => Some(with_extension(number, fields.get("extension"))),
            None => text(fields.get("sipUri")).or_else(|| text(fields.get("sip_uri"))),
        },
        other => {
            call.warn(
                WarningKind::WrongShape,
                field,
                shorten(&other.to_string()),
                "not a number or SIP destination",
            );
            None
        }
    }
}

/// `number` with `extension` (text or a whole number, not blank) after `;ext=`.
fn with_extension(number: String, extension: Option<&Value>) -> String {
    let extension = match extension {
        Some(Value::String(text)) => non_blank(text.as_str()).map(str::to_owned),
        Some(Value::Number(digits)) if digits.is_u64() => Some(digits.to_string()),
        _ => None,
    };
    match extension {
        Some(extension) => format!("{number};ext={extension}"),
        None => number,
    }
}

/// At most 80 characters of a vendor value, for a warning.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Epoch milliseconds (possibly fractional) → UTC, when finite and in range.
pub fn epoch_millis(millis: f64) -> Option<DateTime<Utc>> {
    let micros = (millis * 1000.0).round();
    if !micros.is_finite() || micros.abs() >= i64::MAX as f64 {
        return None;
    }
    DateTime::from_timestamp_micros(micros as i64)
}

/// Epoch milliseconds → UTC as [`epoch_millis`], but `None` before 1973-03-03 (10^11 ms)
/// and from the year 5138 (10^14 ms): for a field documented in milliseconds, a smaller
/// value is seconds (read as milliseconds, a call of 2026 would have started in January
/// 1970) or a `0`/`-1` meaning "not yet", and a larger one microseconds (a call of 2026 in
/// the year 58,000). Either is no time in milliseconds: the caller says so.
///
/// ```
/// use voiceport_core::adapter::recent_epoch_millis;
/// assert!(recent_epoch_millis(1_773_157_327_318.0).is_some());
/// assert_eq!(recent_epoch_millis(1_773_157_327.0), None);
/// assert_eq!(recent_epoch_millis(1_773_157_327_318_000.0), None);
/// assert_eq!(recent_epoch_millis(0.0), None);
/// ```
pub fn recent_epoch_millis(millis: f64) -> Option<DateTime<Utc>> {
    (1e11..1e14)
        .contains(&millis)
        .then_some(millis)
        .and_then(epoch_millis)
}

/// Epoch seconds (possibly fractional) → UTC, when finite and in range.
pub fn epoch_secs(seconds: f64) -> Option<DateTime<Utc>> {
    epoch_millis(seconds * 1000.0)
}

/// `at`, or the next millisecond's start when it falls inside one: the least time written
/// with milliseconds that is not before it. The end of a time range sent to a vendor that
/// takes milliseconds is rounded so (cut down, it would leave out the calls of its
/// millisecond before it; a page is then filtered by the exact time).
///
/// ```
/// use voiceport_core::adapter::up_to_millisecond;
/// let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// assert_eq!(up_to_millisecond(at("2026-03-10T15:42:07.123456789Z")), at("2026-03-10T15:42:07.124Z"));
/// assert_eq!(up_to_millisecond(at("2026-03-10T15:42:07.123Z")), at("2026-03-10T15:42:07.123Z"));
/// ```
pub fn up_to_millisecond(at: DateTime<Utc>) -> DateTime<Utc> {
    match millisecond_of(at) {
        (start, _) if start == at => at,
        (_, next) => next,
    }
}

/// The millisecond `at` falls in: its start, and the start of the next one (the same at
/// the last millisecond chrono holds).
pub fn millisecond_of(at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    // Not `duration_trunc`, which fails outside the years 1677–2262.
    let start = at
        .with_nanosecond(at.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(at);
    // The last millisecond chrono can hold (a vendor's year 262142) has no next one.
    let next = start
        .checked_add_signed(TimeDelta::milliseconds(1))
        .unwrap_or(start);
    (start, next)
}

/// A time as vendors take it in requests: RFC 3339, UTC, milliseconds, `Z`.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The text when it is present and not empty.
pub fn non_empty(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.is_empty())
}

/// `id` when it can name something: `None` when it is empty or only whitespace (what
/// [`read_id`] and [`check_call`] call blank). For the ids an event is known by (its call,
/// its delivery), where a blank one is no id at all.
///
/// ```
/// use voiceport_core::adapter::non_blank;
/// assert_eq!(non_blank("c1"), Some("c1"));
/// assert_eq!(non_blank(" \t"), None);
/// assert_eq!(non_blank(String::new()), None);
/// ```
pub fn non_blank<S: std::ops::Deref<Target = str>>(id: S) -> Option<S> {
    (!id.trim().is_empty()).then_some(id)
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

/// [`read_time`], the field's path written only for a warning (see [`read_amount_at`]).
pub fn read_time_at(
    call: &mut Call,
    text: Option<&str>,
    field: impl FnOnce() -> String,
) -> Option<DateTime<Utc>> {
    let text = text?;
    parse_time(text).or_else(|| read_time(call, &field(), Some(text)))
}

/// An id found at `field` of `call` (a parent call's, an agent's, a campaign's …):
/// `None`, with a warning on the call, when it is present but blank, since no request can
/// name it. An absent id gives `None` alone.
///
/// ```
/// use voiceport_core::adapter::read_id;
/// use voiceport_core::{Call, CallId, ProviderKind};
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
/// assert_eq!(read_id(&mut call, "agent_id", Some("a1".into())).as_deref(), Some("a1"));
/// assert_eq!(read_id(&mut call, "agent_id", Some(" ".into())), None);
/// assert_eq!(read_id(&mut call, "agent_id", None), None);
/// assert_eq!(call.warnings.len(), 1);
/// ```
pub fn read_id(call: &mut Call, field: &str, value: Option<String>) -> Option<String> {
    let value = value?;
    if value.trim().is_empty() {
        call.warn(WarningKind::EmptyId, field, value, "an empty id");
        return None;
    }
    Some(value)
}

/// The checks every mapping ends with, on values the vendor sent that cannot be true:
///
/// - a blank call id is kept (the call has no other) with a warning at `id_field`: no
///   request can name that call;
/// - an `ended_at` before `started_at` is dropped with a warning at `ended_field` (the
///   vendor field it came from). (The creation time is not compared: some vendors write a
///   call's record only after it ended.)
///
/// ```
/// use voiceport_core::adapter::check_call;
/// use voiceport_core::{Call, CallId, ProviderKind};
/// let mut call = Call::new(CallId::new(""), ProviderKind::Rounded);
/// call.started_at = "2026-03-10T15:42:07Z".parse().ok();
/// call.ended_at = "2026-03-10T15:40:00Z".parse().ok();
/// check_call(&mut call, "id", "end_time");
/// assert_eq!(call.ended_at, None);
/// let fields: Vec<&str> = call.warnings.iter().map(|w| w.field.as_str()).collect();
/// assert_eq!(fields, ["id", "end_time"]);
/// ```
pub fn check_call(call: &mut Call, id_field: &str, ended_field: &str) {
    if call.id.as_str().trim().is_empty() {
        let id = call.id.to_string();
        call.warn(
            WarningKind::EmptyId,
            id_field,
            id,
            "an empty call id: this call cannot be fetched, changed or deleted by id",
        );
    }
    if let Some((started, ended)) = call.started_at.zip(call.ended_at)
        && ended < started
    {
        call.ended_at = None;
        call.warn(
            WarningKind::Contradiction,
            ended_field,
            ended.to_rfc3339(),
            format!("ends before the call started ({})", started.to_rfc3339()),
        );
    }
}

/// The call an end event carries, as ended. A vendor may snapshot the call just before it
/// ends (its status still `in progress`, `queued` …): the event says the call is over, and
/// an application keeping the latest state per call must not store a live status from it.
/// A status of a call not over yet (scheduled, queued, ringing, in progress) becomes
/// `Completed`, `vendor_status` still saying what the vendor sent; a terminal status, or
/// one voiceport does not know, stays. Says whether it changed the status: the call's
/// own object then reads as live again, and the call should keep the whole delivery as
/// its vendor payload (`keep_whole_delivery`), which reads back as this end event.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::adapter::settle_ended;
/// use voiceport::{Call, CallId, CallStatus, ProviderKind};
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::HappyRobot);
/// call.status = CallStatus::InProgress;
/// call.vendor_status = Some("In progress".into());
/// assert!(settle_ended(&mut call));
/// assert_eq!(call.status, CallStatus::Completed);
/// assert_eq!(call.vendor_status.as_deref(), Some("In progress"));
/// ```
pub fn settle_ended(call: &mut Call) -> bool {
    use crate::CallStatus;
    let not_over = !call.status.is_terminal() && call.status != CallStatus::Unknown;
    if not_over {
        call.status = CallStatus::Completed;
    }
    not_over
}

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
    match serde_json::from_str::<Value>(raw.get()) {
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

/// For a call decoded from the object at `at` of a webhook delivery that then took
/// something from the rest of it (a transcript beside it, a status the event's name
/// decides): the call keeps the whole delivery `body` (read in full by the decoder) as its
/// vendor payload, and its warnings, named inside the object, name their place in the
/// delivery. A call's payload is then all it was normalized from, and its warnings point
/// into it.
///
/// ```
/// use voiceport_core::adapter::keep_whole_delivery;
/// use voiceport_core::{Call, CallId, ProviderKind, WarningKind};
///
/// let body = br#"{"type": "end", "call": {"id": "c1", "created": "soon"}, "content": {}}"#;
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::HappyRobot);
/// call.warn(WarningKind::NotATime, "created", "soon", "not a date");
/// keep_whole_delivery(&mut call, "call", body);
/// assert_eq!(call.warnings[0].field, "call.created");
/// assert_eq!(call.vendor_payload().unwrap().get(), std::str::from_utf8(body).unwrap());
/// ```
pub fn keep_whole_delivery(call: &mut Call, at: &str, body: &[u8]) {
    for warning in &mut call.warnings {
        warning.field = field_path(at, &warning.field);
    }
    call.set_vendor_payload(VendorPayload::from_decoded_body(body));
}

/// Decodes the call object `raw` (at `path` in the body, for error messages) into the
/// vendor's wire type `W`, maps it with `map`, and keeps `raw` as the call's vendor payload.
pub fn decode_call_with<'de, W: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    path: &str,
    map: impl FnOnce(W) -> Call,
) -> Result<Call> {
    try_decode_call_with(provider, operation, raw, path, |wire| Ok(map(wire)))
}

/// [`decode_call_with`] for a mapping that can fail (a part of the call decoded only when
/// the mapping reads it, an id the vendor's API always sends): its error is returned as
/// it is, and no payload is kept.
pub fn try_decode_call_with<'de, W: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    path: &str,
    map: impl FnOnce(W) -> Result<Call>,
) -> Result<Call> {
    let wire: W = decode_raw(provider, operation, raw, path)?;
    let mut call = map(wire)?;
    call.set_vendor_payload(VendorPayload::from_raw(raw));
    Ok(call)
}

/// A whole page from a streaming page decoder (see
/// [`Codec::decode_page_each`](crate::Codec::decode_page_each)): `decode` hands each call
/// to the sink it is given, and the calls are gathered into the page it returns. It is
/// what [`Codec::decode_page`](crate::Codec::decode_page) does, for a page decoder that
/// takes more than a codec's arguments (a client's paging mode).
///
/// ```
/// use std::ops::ControlFlow;
/// use voiceport_core::adapter::collect_page;
/// use voiceport_core::{Call, CallId, CallPage, ProviderKind};
///
/// let page = collect_page(|each| {
///     for id in ["c1", "c2"] {
///         let _ = each(Call::new(CallId::new(id), ProviderKind::Rounded));
///     }
///     Ok(CallPage::default())
/// })
/// .unwrap();
/// assert_eq!(page.calls.len(), 2);
/// ```
pub fn collect_page(decode: impl FnOnce(EachCall<'_>) -> Result<CallPage>) -> Result<CallPage> {
    let mut calls = Vec::new();
    let mut page = decode(&mut |call| {
        calls.push(call);
        ControlFlow::Continue(())
    })?;
    page.calls = calls;
    Ok(page)
}

/// Item `index` of the vendor's list `list` (`calls`, `data`): [`decode_call_with`], with
/// the item's JSON path (`calls[3]`) written out only when the item does not decode (a
/// page of 2,000 calls would otherwise format 2,000 paths for nothing).
pub fn decode_list_item<'de, W: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    list: &str,
    index: usize,
    map: impl FnOnce(W) -> Call,
) -> Result<Call> {
    try_decode_list_item(provider, operation, raw, list, index, |wire| Ok(map(wire)))
}

/// [`decode_list_item`] with a mapping that can fail (one that decodes a part of the item
/// itself, as Retell's transcript copies): the same path, written only for an error.
pub fn try_decode_list_item<'de, W: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    list: &str,
    index: usize,
    map: impl FnOnce(W) -> Result<Call>,
) -> Result<Call> {
    let at = || format!("{list}[{index}]");
    let wire: W = crate::http::decode::decode_raw_at(provider, operation, raw, at)?;
    let mut call = map(wire)?;
    call.set_vendor_payload(VendorPayload::from_raw(raw));
    Ok(call)
}

/// A number called as one key, however it was typed: written as digits after an optional
/// `+` when it is a phone number (`+1 (415) 555-0187` is `+14155550187`); anything else
/// (a SIP URI) as it is. A route picks a provider by it, so that one customer always goes
/// one way; the conformance suite compares the number dialed with the number a call says
/// it called by it.
///
/// ```
/// use voiceport_core::adapter::number_key;
/// assert_eq!(number_key("+1 (415) 555-0187"), "+14155550187");
/// assert_eq!(number_key("sip:desk@example.com"), "sip:desk@example.com");
/// ```
pub fn number_key(to: &str) -> Cow<'_, str> {
    let to = to.trim();
    let written = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')');
    let body = to.strip_prefix('+').unwrap_or(to);
    if body.is_empty() || !body.chars().all(written) || !body.contains(|c: char| c.is_ascii_digit())
    {
        return Cow::Borrowed(to);
    }
    let digits = body.chars().filter(char::is_ascii_digit);
    let plus = to.starts_with('+').then_some('+');
    Cow::Owned(plus.into_iter().chain(digits).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_mapping_is_the_decode_error() {
        use crate::{CallId, Error};
        let raw: Box<RawValue> = serde_json::from_str(r#"{"id": ""}"#).unwrap();
        let refuse = |_: serde_json::Value| {
            Err(Error::decode(
                ProviderKind::Rounded,
                Operation::GetCall,
                "id",
                "empty",
                b"",
            ))
        };
        let err = try_decode_call_with(ProviderKind::Rounded, Operation::GetCall, &raw, "", refuse)
            .unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref path, .. } if path == "id"),
            "{err:?}"
        );
        let kept = |_: serde_json::Value| Ok(Call::new(CallId::new("c"), ProviderKind::Rounded));
        let call = try_decode_call_with(ProviderKind::Rounded, Operation::GetCall, &raw, "", kept)
            .unwrap();
        assert_eq!(
            call.vendor_payload().map(|p| p.get()),
            Some(r#"{"id": ""}"#)
        );
    }

    #[test]
    fn presigned_expiry_reads_as_the_chrono_format_does() {
        let url = |date: &str, expires: &str| {
            format!(
                "https://b.s3.amazonaws.com/r.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-SignedHeaders=host&X-Amz-Expires={expires}#t=5"
            )
        };
        // The plain reading (the first of each parameter, chrono's format string), which the
        // fast one must agree with.
        fn reference(url: &str) -> Option<DateTime<Utc>> {
            let (_, query) = url.split_once('?')?;
            let query = query.split_once('#').map_or(query, |(query, _)| query);
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|pair| pair.split_once('=').filter(|(key, _)| *key == name))
                    .map(|(_, value)| value)
            };
            let signed =
                NaiveDateTime::parse_from_str(param("X-Amz-Date")?, "%Y%m%dT%H%M%SZ").ok()?;
            let seconds: u32 = param("X-Amz-Expires")?.parse().ok()?;
            if !(1..=604_800).contains(&seconds) {
                return None;
            }
            signed
                .and_utc()
                .checked_add_signed(chrono::TimeDelta::try_seconds(i64::from(seconds))?)
        }
        let cases = [
            url("20260317T191257Z", "604800"),
            url("20260317T191257Z", "+60"),
            url("20260317T191257Z", "-1"),
            url("20260317T191257Z", "99999999999"),
            url("20261317T191257Z", "1"),
            url("20260230T191257Z", "1"),
            url("20260317T241257Z", "1"),
            url("20260317T191260Z", "1"),
            url("20260317T191257", "1"),
            url("2026317T191257Z", "1"),
            url("+2026031T191257Z", "1"),
            url("2026a317T191257Z", "1"),
            url("", "1"),
            "https://x/r?X-Amz-Expires=5&X-Amz-Date=20260317T191257Z&X-Amz-Date=20270101T000000Z"
                .into(),
            "https://x/r?X-Amz-Date&X-Amz-Date=20260317T191257Z&X-Amz-Expires=5".into(),
            "https://x/r#X-Amz-Date=20260317T191257Z&X-Amz-Expires=5".into(),
            "https://x/r?a=1#X-Amz-Date=20260317T191257Z&X-Amz-Expires=5".into(),
            "https://x/r?xX-Amz-Date=20270101T000000Z&X-Amz-Date=20260317T191257Z&X-Amz-Expires=5"
                .into(),
            "https://x/r?X-Amz-Date=20260317T191257Z&X-Amz-Expires=5#x".into(),
            "https://x/r?X-Amz-Date=20260317T191257Z#&X-Amz-Expires=5".into(),
            "https://x/r?X-Amz-Date=20260317T191257Z&a=1#b&X-Amz-Expires=5".into(),
            "https://x/r?X-Amz-Expires=5&X-Amz-Date=20260317T191257Z#X-Amz-Date=1".into(),
            "https://x/r?X-Amz-Expires==5&X-Amz-Date=20260317T191257Z".into(),
            "https://x/r.wav".into(),
        ];
        for url in cases {
            assert_eq!(presigned_expiry(&url), reference(&url), "{url}");
        }
        assert!(presigned_expiry(&url("20260317T191257Z", "60")).is_some());
        // SigV4's range: one second to seven days.
        for (expires, read) in [
            ("0", false),
            ("1", true),
            ("604800", true),
            ("604801", false),
        ] {
            let expiry = presigned_expiry(&url("20260317T191257Z", expires));
            assert_eq!(expiry.is_some(), read, "X-Amz-Expires={expires}");
        }
        assert_eq!(
            presigned_expiry(&url("20260317T191257Z", "4294967295")),
            None
        );
    }

    #[test]
    fn epoch_conversions_refuse_what_does_not_fit() {
        let at = epoch_millis(1_722_115_418_016.999).unwrap();
        assert_eq!(at.to_rfc3339(), "2024-07-27T21:23:38.016999+00:00");
        assert_eq!(
            epoch_secs(1_773_157_327.5).unwrap().timestamp_millis(),
            1_773_157_327_500
        );
        for bad in [f64::NAN, f64::INFINITY, 1e300, -1e300] {
            assert_eq!(epoch_millis(bad), None);
            assert_eq!(epoch_secs(bad), None);
        }
    }

    #[test]
    fn time_forms() {
        for text in [
            "2026-03-10T15:42:07Z",
            "2026-03-10T15:42:07+00:00",
            " 2026-03-10T15:42:07 ",
            "2026-03-10 15:42:07",
            "2026-03-10 15:42:07Z",
            "2026-03-10T16:42:07+01:00",
        ] {
            assert_eq!(
                parse_time(text).map(|t| t.timestamp()),
                Some(1_773_157_327),
                "{text:?}"
            );
        }
        for text in ["", "2026-03-10", "é", "2026-03-10 é", "10/03/2026 15:42"] {
            assert_eq!(parse_time(text), None, "{text:?}");
        }
        assert_eq!(
            format_time(parse_time("2026-03-10 15:42:07").unwrap()),
            "2026-03-10T15:42:07.000Z"
        );
    }

    #[test]
    fn impossible_values_become_warnings() {
        let mut call = Call::new(crate::CallId::new("c1"), ProviderKind::Rounded);
        assert_eq!(read_amount(&mut call, "d", Some(-0.0)), Some(0.0));
        assert_eq!(read_amount(&mut call, "d", Some(f64::NAN)), None);
        assert_eq!(read_amount(&mut call, "d", Some(-1e-9)), None);
        assert_eq!(read_id(&mut call, "agent.id", Some(String::new())), None);
        assert_eq!(call.warnings.len(), 3);
        // An end after (or at) the start stays, and so does an end with no start at all.
        let at = |s: &str| s.parse().ok();
        call.warnings.clear();
        call.started_at = at("2026-03-10T15:42:07Z");
        call.ended_at = at("2026-03-10T15:42:07Z");
        check_call(&mut call, "id", "ended_at");
        assert!(call.ended_at.is_some());
        call.started_at = None;
        call.created_at = at("2026-03-10T16:00:00Z");
        check_call(&mut call, "id", "ended_at");
        assert!(call.ended_at.is_some());
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
        call.started_at = at("2026-03-10T15:42:07.001Z");
        check_call(&mut call, "id", "ended_at");
        assert_eq!(call.ended_at, None);
        assert!(
            call.warnings[0]
                .message
                .contains("ends before the call started")
        );
    }

    #[test]
    fn text_helpers() {
        assert_eq!(non_empty(&Some(String::new())), None);
        assert_eq!(non_empty(&Some("a".into())), Some("a"));
        assert_eq!(finite(Some(f64::NAN)), None);
        assert_eq!(
            value_text(&serde_json::json!({"a": 1})).as_deref(),
            Some("{\"a\":1}")
        );
        assert_eq!(value_text(&Value::Null), None);
        assert_eq!(strip_bom(b"\xEF\xBB\xBF{}"), b"{}");
    }

    /// The number called is routed by its digits: however it is written, one customer goes
    /// one way. What is not a phone number is taken as it is.
    #[test]
    fn a_number_is_routed_by_its_digits() {
        for written in [
            "+14155550187",
            " +1 415 555 0187",
            "+1 (415) 555-0187",
            "+1.415.555.0187",
        ] {
            assert_eq!(number_key(written), "+14155550187", "{written:?}");
        }
        assert_eq!(number_key("(415) 555-0187"), "4155550187");
        for other in [
            "sip:support@example.com",
            "+",
            "",
            "ext-204",
            "+1 415 555 0187;ext=2",
        ] {
            assert_eq!(number_key(other), other.trim(), "{other:?}");
        }
    }
}
