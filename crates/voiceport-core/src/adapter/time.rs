//! Vendor times read leniently: text in the forms backends write, epoch numbers by their
//! size, pre-signed URLs' expiry, and the millisecond a call's times are kept to.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeDelta, Timelike, Utc};
use serde_json::Value;

use crate::{Call, WarningKind};

use super::{shorten, value_text};

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

/// An epoch-milliseconds time at `field` of `call`. A number (or a string of its digits,
/// a fraction or not) is milliseconds; an ISO 8601 string is read too. A value that is present but unreadable
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
            match is_decimal(text) {
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

/// Whether `text` is digits, with a fraction or not (`1773157327318`, `1773157327318.5`):
/// a number written as text, as a JSON number of the same digits reads.
fn is_decimal(text: &str) -> bool {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    match text.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(text),
    }
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

/// When a pre-signed URL stops working, where the URL says:
/// * S3 (SigV4): `X-Amz-Date` (`20260324T091502Z`) plus `X-Amz-Expires` (seconds; SigV4
///   allows 1 to 604,800), and Google Cloud Storage's V4 alike (`X-Goog-Date`,
///   `X-Goog-Expires`);
/// * CloudFront with a canned policy: `Expires` (epoch seconds), beside the URL's
///   `Signature` and `Key-Pair-Id`.
///
/// `None` for a URL that says neither, or with values that do not read (a negative or
/// absurd expiry among them).
///
/// The query is walked once for each form, and the usual `20260324T091502Z` read digit by
/// digit (chrono's format-string parser, which reads the rest, was a tenth of a page's
/// normalization).
///
/// ```
/// use voiceport_core::adapter::presigned_expiry;
/// let expiry = |url| presigned_expiry(url).map(|t| t.to_rfc3339());
/// let s3 = "https://b.s3.amazonaws.com/r.wav?X-Amz-Date=20260324T091502Z&X-Amz-Expires=3600#t=5";
/// assert_eq!(expiry(s3).as_deref(), Some("2026-03-24T10:15:02+00:00"));
/// let cloudfront = "https://d1.cloudfront.net/r.wav?Expires=1774343702&Signature=x&Key-Pair-Id=K2";
/// assert_eq!(expiry(cloudfront).as_deref(), Some("2026-03-24T09:15:02+00:00"));
/// assert_eq!(presigned_expiry("https://example.com/r.wav"), None);
/// ```
pub fn presigned_expiry(url: &str) -> Option<DateTime<Utc>> {
    let (_, query) = url.split_once('?')?;
    sigv4_expiry(query, "X-Amz-")
        .or_else(|| sigv4_expiry(query, "X-Goog-"))
        .or_else(|| cloudfront_expiry(query))
}

/// A SigV4-style query's expiry: its `{prefix}Date` plus `{prefix}Expires`.
fn sigv4_expiry(query: &str, prefix: &str) -> Option<DateTime<Utc>> {
    let (date, expires) = sigv4_params(query, prefix);
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

/// The first `{prefix}Date` and `{prefix}Expires` values of `query` (`X-Amz-Date` …),
/// read pair by pair up to the fragment; the walk stops once both are found (S3 puts them
/// before the long credential and signature).
fn sigv4_params<'q>(query: &'q str, prefix: &str) -> (Option<&'q str>, Option<&'q str>) {
    let (mut date, mut expires) = (None, None);
    let mut rest = query;
    while date.is_none() || expires.is_none() {
        let end = rest.bytes().position(|b| b == b'&' || b == b'#');
        let pair = end.and_then(|end| rest.get(..end)).unwrap_or(rest);
        let param = pair.strip_prefix(prefix);
        if let Some(value) = param.and_then(|p| p.strip_prefix("Date=")) {
            date = date.or(Some(value));
        } else if let Some(value) = param.and_then(|p| p.strip_prefix("Expires=")) {
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

/// A CloudFront signed URL's expiry (a canned policy): its `Expires`, epoch seconds, when
/// the query also holds the `Signature` and `Key-Pair-Id` that make it one (a bare
/// `Expires` parameter may be anything).
fn cloudfront_expiry(query: &str) -> Option<DateTime<Utc>> {
    let query = query.split('#').next()?;
    let (mut expires, mut signature, mut key_pair) = (None, false, false);
    for pair in query.split('&') {
        if let Some(value) = pair.strip_prefix("Expires=") {
            expires = expires.or(Some(value));
        }
        signature |= pair.starts_with("Signature=");
        key_pair |= pair.starts_with("Key-Pair-Id=");
    }
    if !(signature && key_pair) {
        return None;
    }
    let seconds: i64 = expires?.parse().ok().filter(|&s| s > 0)?;
    DateTime::from_timestamp(seconds, 0)
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

/// The millisecond before the one `at` falls in: for a vendor's time filter whose lower
/// bound is exclusive, or not documented either way, so that a call at `at` is still
/// listed (check the bound again on what comes back). The same at the first millisecond
/// chrono holds.
///
/// ```
/// use voiceport_core::adapter::millisecond_before;
/// let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// assert_eq!(millisecond_before(at("2026-03-01T00:00:00.000250Z")), at("2026-02-28T23:59:59.999Z"));
/// ```
pub fn millisecond_before(at: DateTime<Utc>) -> DateTime<Utc> {
    let (start, _) = millisecond_of(at);
    start
        .checked_sub_signed(chrono::TimeDelta::milliseconds(1))
        .unwrap_or(start)
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

/// [`read_time`], the field's path written only for a warning (see
/// [`read_amount_at`](super::read_amount_at)).
pub fn read_time_at(
    call: &mut Call,
    text: Option<&str>,
    field: impl FnOnce() -> String,
) -> Option<DateTime<Utc>> {
    let text = text?;
    parse_time(text).or_else(|| read_time(call, &field(), Some(text)))
}

/// The seconds from `from` to `to`, negative when `to` is earlier: to the microsecond,
/// as every adapter's offsets and durations are.
///
/// ```
/// use voiceport_core::adapter::seconds_between;
/// let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// let (start, end) = (at("2026-03-10T15:42:07.250Z"), at("2026-03-10T15:44:01.125Z"));
/// assert_eq!(seconds_between(start, end), 113.875);
/// assert_eq!(seconds_between(end, start), -113.875);
/// ```
pub fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    let delta = to - from;
    // Microseconds count ±292,000 years; beyond, milliseconds. No two times chrono holds
    // from a vendor are that far apart (none is before year 0, none after 262,143).
    match delta.num_microseconds() {
        Some(micros) => micros as f64 / 1e6,
        None => delta.num_milliseconds() as f64 / 1e3,
    }
}

/// The moment `secs` seconds after `start`, to the microsecond: an utterance's time from
/// its offset into the call. `None` for an offset that is not finite or is beyond ±10⁹
/// seconds (about 31 years: no offset into a call, a Unix time read as one).
///
/// ```
/// use voiceport_core::adapter::time_after;
/// let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// let start = at("2026-03-10T15:42:07Z");
/// assert_eq!(time_after(start, 3.25), Some(at("2026-03-10T15:42:10.250Z")));
/// assert_eq!(time_after(start, f64::NAN), None);
/// assert_eq!(time_after(start, 1.7e9), None);
/// ```
pub fn time_after(start: DateTime<Utc>, secs: f64) -> Option<DateTime<Utc>> {
    const MAX_OFFSET_SECS: f64 = 1e9;
    if !secs.is_finite() || secs.abs() >= MAX_OFFSET_SECS {
        return None;
    }
    // Within ±10⁹ s, an offset always fits in microseconds.
    let micros = (secs * 1e6).round() as i64;
    start.checked_add_signed(chrono::TimeDelta::microseconds(micros))
}

/// How long a call lasted by its times: [`seconds_between`] its start and its end, `None`
/// without both or when the end comes first (a duration the vendor reports may stand in).
///
/// ```
/// use voiceport_core::adapter::elapsed_secs;
/// let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().ok();
/// let (start, end) = (at("2026-03-10T15:42:07Z"), at("2026-03-10T15:43:09.5Z"));
/// assert_eq!(elapsed_secs(start, end), Some(62.5));
/// assert_eq!(elapsed_secs(end, start), None);
/// assert_eq!(elapsed_secs(start, None), None);
/// ```
pub fn elapsed_secs(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> Option<f64> {
    let (start, end) = (start?, end?);
    (end >= start).then(|| seconds_between(start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Epoch milliseconds as text read as the same number does, its fraction too; other
    /// text as ISO 8601, else a warning.
    #[test]
    fn epoch_millis_as_text_read_as_the_number() {
        use crate::{CallId, ProviderKind};
        let read = |value: Value| {
            let mut call = Call::new(CallId::new("c"), ProviderKind::Retell);
            let at = read_epoch_millis(&mut call, "start_timestamp", Some(&value));
            (at, call.warnings.len())
        };
        let number = read(serde_json::json!(1773157327318.5));
        assert!(number.0.is_some());
        assert_eq!(read(serde_json::json!("1773157327318.5")), number);
        assert_eq!(read(serde_json::json!("1773157327318")).1, 0);
        assert!(read(serde_json::json!("2026-03-10T15:42:07Z")).0.is_some());
        for text in ["1773157327318.", ".5", "17731573.27.5", "12e12"] {
            assert_eq!(read(serde_json::json!(text)), (None, 1), "{text}");
        }
    }

    /// Google Cloud Storage's V4 form reads as S3's; CloudFront's canned policy by its
    /// `Expires`, only beside a signature and a key pair id.
    #[test]
    fn presigned_expiry_reads_gcs_and_cloudfront_too() {
        let expiry = |url: &str| presigned_expiry(url).map(|t| t.to_rfc3339());
        let gcs = "https://storage.googleapis.com/b/r.wav?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Date=20260324T091502Z&X-Goog-Expires=900&X-Goog-Signature=ab";
        assert_eq!(expiry(gcs).as_deref(), Some("2026-03-24T09:30:02+00:00"));
        let cloudfront = |query: &str| expiry(&format!("https://d1.cloudfront.net/r.wav?{query}"));
        let signed = "Expires=1774343702&Signature=x~y&Key-Pair-Id=K2JCJMDEHXQW5F";
        assert_eq!(
            cloudfront(signed).as_deref(),
            Some("2026-03-24T09:15:02+00:00")
        );
        assert_eq!(
            cloudfront(&format!("{signed}#t=5")).as_deref(),
            Some("2026-03-24T09:15:02+00:00")
        );
        // Not a signed URL, or an expiry that is no time.
        assert_eq!(cloudfront("Expires=1774343702&Signature=x"), None);
        assert_eq!(cloudfront("Expires=1774343702"), None);
        assert_eq!(cloudfront("Expires=-5&Signature=x&Key-Pair-Id=K"), None);
        assert_eq!(cloudfront("Expires=soon&Signature=x&Key-Pair-Id=K"), None);
        assert_eq!(
            cloudfront("Expires=99999999999999999&Signature=x&Key-Pair-Id=K"),
            None
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
}
