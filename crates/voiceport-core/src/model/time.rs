//! Times serialized as chrono serializes them (RFC 3339, `Z`, as many fraction digits as
//! the time has: 0, 3, 6 or 9), written digit by digit: a transcript of thirty turns has
//! thirty of them, and chrono's own path goes through `fmt` one piece at a time.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

/// `#[serde(serialize_with)]` for an optional time: the same text as chrono's
/// `Serialize`, about a third of its cost.
pub(crate) fn serialize_opt<S: Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serialize(time, serializer),
        None => serializer.serialize_none(),
    }
}

/// A time, as chrono writes it; years outside 0–9999 and leap seconds, which chrono writes
/// its own way, are left to chrono.
pub(crate) fn serialize<S: Serializer>(
    time: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut text = [0u8; 30];
    match rfc3339(time, &mut text) {
        Some(text) => serializer.serialize_str(text),
        None => serde::Serialize::serialize(time, serializer),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z` into `buffer`, or `None` for a time
/// this fast path does not write (see [`serialize`]).
fn rfc3339<'b>(time: &DateTime<Utc>, buffer: &'b mut [u8; 30]) -> Option<&'b str> {
    let year = u32::try_from(time.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = time.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let fields = [
        (year / 100, 0),
        (year % 100, 2),
        (time.month(), 5),
        (time.day(), 8),
        (time.hour(), 11),
        (time.minute(), 14),
        (time.second(), 17),
    ];
    for (value, at) in fields {
        // Every field is below 100 here, so two digits hold it.
        buffer[at] = b'0' + (value / 10) as u8;
        buffer[at + 1] = b'0' + (value % 10) as u8;
    }
    for (at, separator) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
        buffer[at] = separator;
    }
    let (digits, mut fraction) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (3, n / 1_000_000),
        n if n % 1_000 == 0 => (6, n / 1_000),
        n => (9, n),
    };
    let mut end = 19;
    if digits > 0 {
        buffer[19] = b'.';
        for at in (20..20 + digits).rev() {
            buffer[at] = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        end = 20 + digits;
    }
    buffer[end] = b'Z';
    std::str::from_utf8(&buffer[..=end]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[derive(serde::Serialize)]
    struct Fast(#[serde(serialize_with = "serialize")] DateTime<Utc>);

    fn both(time: DateTime<Utc>) -> (String, String) {
        let chrono = serde_json::to_string(&time).expect("serializes");
        let fast = serde_json::to_string(&Fast(time)).expect("serializes");
        (fast, chrono)
    }

    #[test]
    fn times_read_exactly_as_chrono_writes_them() {
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..20_000 {
            let secs = (next() % 400_000_000_000) as i64 - 62_000_000_000;
            let nanos = match i % 5 {
                0 => 0,
                1 => (next() % 1000) as u32 * 1_000_000,
                2 => (next() % 1_000_000) as u32 * 1_000,
                3 => (next() % 1_000_000_000) as u32,
                _ => 1_000_000_000 + (next() % 1_000_000_000) as u32,
            };
            let Some(time) = DateTime::from_timestamp(secs, nanos) else {
                continue;
            };
            let (fast, chrono) = both(time);
            assert_eq!(fast, chrono, "{secs} s {nanos} ns");
        }
    }

    #[test]
    fn edges_are_written_as_chrono_writes_them() {
        let at = |y, mo, d, h, mi, s, nano| {
            NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|date| date.and_hms_nano_opt(h, mi, s, nano))
                .expect("a valid time")
                .and_utc()
        };
        for time in [
            at(0, 1, 1, 0, 0, 0, 0),
            at(9999, 12, 31, 23, 59, 59, 999_999_999),
            at(10_000, 1, 1, 0, 0, 0, 0),
            at(-1, 12, 31, 23, 59, 59, 0),
            at(2026, 6, 30, 23, 59, 59, 1_500_000_000),
            at(2026, 3, 18, 21, 37, 52, 506_000_000),
            at(2026, 3, 18, 21, 37, 52, 506_001_000),
            at(2026, 3, 18, 21, 37, 52, 1),
        ] {
            let (fast, chrono) = both(time);
            assert_eq!(fast, chrono);
        }
        let (fast, _) = both(at(2026, 3, 18, 21, 37, 52, 506_000_000));
        assert_eq!(fast, r#""2026-03-18T21:37:52.506Z""#);
    }
}
