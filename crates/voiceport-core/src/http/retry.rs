//! When to try a request again, and how long to wait first.

use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use http::header::{HeaderMap, RETRY_AFTER};

use crate::Error;

/// Bounds on retrying: attempts, backoff and total time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry (doubled each time, then jittered); also the
    /// shortest wait a vendor's nonzero `Retry-After` gets (`Retry-After: 0`, or a date
    /// past, gets the usual backoff).
    pub initial_backoff: Duration,
    /// The longest computed backoff (a vendor's `Retry-After` may ask for more).
    pub max_backoff: Duration,
    /// No retry starts if it would end its wait later than this after the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (1-based): exponential, capped, with "equal
    /// jitter" (uniform between half and all of the exponential value) so that clients
    /// that failed together do not retry together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let full = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        // Not `mul_f64`, which panics where the product rounds past `Duration::MAX`.
        Duration::try_from_secs_f64(full.as_secs_f64() * (0.5 + 0.5 * unit_random()))
            .unwrap_or(full)
    }
}

/// May a request be sent again after it may have reached the vendor?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Reads and idempotent writes: retry on 429, 5xx (but 501, 505, 511), timeouts and
    /// broken connections.
    Idempotent,
    /// Creates something (a dial, a note, a vendor's own write): retry only when the
    /// request certainly was not sent.
    NotAfterSend,
}

/// Whether `error` ended an attempt before any byte of its request left this machine (a
/// connection refused or never made).
pub(crate) fn never_sent(error: &Error) -> bool {
    matches!(
        error,
        Error::Timeout { sent: false, .. } | Error::Transport { sent: false, .. }
    )
}

/// Why a failed attempt is not tried again, as the `giving up` log line says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// The policy's attempts are all made.
    Attempts,
    /// The failure would come again (a 4xx but 408/429, a decode error …).
    Lasting,
    /// A request that creates something may have reached the vendor.
    MaybeSent,
    /// The wait (the backoff, or the vendor's `Retry-After`) goes past the time budget.
    TimeBudget,
    /// The vendor's answer said not to (`x-should-retry: false`).
    VendorSaid,
}

impl GiveUp {
    /// The reason as a log field's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GiveUp::Attempts => "attempts",
            GiveUp::Lasting => "lasting",
            GiveUp::MaybeSent => "maybe_sent",
            GiveUp::TimeBudget => "time_budget",
            GiveUp::VendorSaid => "vendor_said",
        }
    }
}

/// The wait before the next attempt, or why `error` is returned as it is. `vendor_says`
/// is what the vendor's answer said of trying again ([`vendor_says_retry`]), when it said.
pub(crate) fn next_step(
    policy: &RetryPolicy,
    mode: RetryMode,
    attempts_made: u32,
    started: Instant,
    error: &Error,
    vendor_says: Option<bool>,
) -> Result<Duration, GiveUp> {
    if attempts_made >= policy.max_attempts {
        return Err(GiveUp::Attempts);
    }
    if vendor_says == Some(false) {
        return Err(GiveUp::VendorSaid);
    }
    // What may succeed later (`Error::is_transient`), or what the vendor says to send
    // again, is tried again when repeating it is safe: always for an idempotent request,
    // and for a dial when it was certainly not sent.
    if !error.is_transient() && vendor_says != Some(true) {
        return Err(GiveUp::Lasting);
    }
    if mode != RetryMode::Idempotent && !never_sent(error) {
        return Err(GiveUp::MaybeSent);
    }
    // `Retry-After: 0` (or a date past) would send every attempt left at once: the usual
    // backoff applies instead. A wait the vendor asks for is never shorter than the
    // policy's first backoff: `0.000001` would send them all at once too.
    let asked = (error.retry_after())
        .filter(|after| !after.is_zero())
        .map(|after| after.max(policy.initial_backoff));
    let delay = asked.unwrap_or_else(|| policy.backoff(attempts_made));
    // Checked: a policy built by hand may hold durations too long to add.
    let elapsed = started.elapsed();
    if elapsed
        .checked_add(delay)
        .is_none_or(|end| end > policy.max_elapsed)
    {
        return Err(GiveUp::TimeBudget);
    }
    // Clients told the same wait (workers sharing a key, all answered 429 at once) would
    // all come back in the same millisecond: the vendor's wait gets up to half the first
    // backoff more, drawn within what the budget has left past it (cut at the budget's
    // end instead, the draws over it would all come back at that same instant).
    let jittered = asked.and_then(|after| {
        let room = policy
            .max_elapsed
            .checked_sub(elapsed)?
            .checked_sub(after)?;
        let widest = (policy.initial_backoff / 2).min(room);
        let spread = Duration::try_from_secs_f64(widest.as_secs_f64() * unit_random()).ok()?;
        after.checked_add(spread)
    });
    Ok(jittered.unwrap_or(delay))
}

/// What an answer's `x-should-retry` header says of sending the request again (`true` or
/// `false`, in any case): the header Stainless-built APIs send, and their SDKs follow
/// (Retell's does), over the status's own reading. `None` without it, or with another
/// value.
pub(crate) fn vendor_says_retry(headers: &HeaderMap) -> Option<bool> {
    let said = headers.get("x-should-retry")?.to_str().ok()?.trim();
    if said.eq_ignore_ascii_case("true") {
        Some(true)
    } else if said.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Reads `retry-after-ms` (milliseconds, integer or decimal: what Retell's own SDK reads
/// first, when it is not zero), else `Retry-After`: delay-seconds (integer or decimal) or
/// an HTTP date. A day at most.
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let text = |name| headers.get(name)?.to_str().ok().map(str::trim);
    // A number of seconds that is a wait: finite, not negative.
    let wait = |seconds: f64| {
        (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(DAY)))
    };
    // Zero says nothing the other header cannot say better, as Retell's SDK reads it.
    let millis = text("retry-after-ms").and_then(|text| text.parse::<f64>().ok());
    let millis = millis.filter(|millis| *millis != 0.0);
    if let Some(wait) = millis.and_then(|millis| wait(millis / 1000.0)) {
        return Some(wait);
    }
    let text = text(RETRY_AFTER.as_str())?;
    if let Ok(seconds) = text.parse::<f64>() {
        return wait(seconds);
    }
    let date = http_date(text)?;
    let wait = (date - now).to_std().unwrap_or(Duration::ZERO);
    Some(wait.min(Duration::from_secs_f64(DAY)))
}

/// The longest wait a vendor may ask for, in seconds.
const DAY: f64 = 86_400.0;

/// An HTTP date in any of the three forms RFC 9110 (§5.6.7) has recipients accept: the
/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) forms.
fn http_date(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Some(date.with_timezone(&Utc));
    }
    let obsolete = ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"];
    obsolete.iter().find_map(|format| {
        chrono::NaiveDateTime::parse_from_str(text, format)
            .ok()
            .map(|date| date.and_utc())
    })
}

/// A number in [0, 1), from the standard library's randomly keyed hasher (no RNG crate
/// needed for jitter).
fn unit_random() -> f64 {
    let bits = RandomState::new().hash_one(Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Operation, ProviderKind};
    use http::header::HeaderValue;

    /// The wait before the next attempt, or `None` to give up and return `error`.
    fn next_delay(
        policy: &RetryPolicy,
        mode: RetryMode,
        attempts_made: u32,
        started: Instant,
        error: &Error,
    ) -> Option<Duration> {
        next_step(policy, mode, attempts_made, started, error, None).ok()
    }

    #[test]
    fn x_should_retry_reads_true_or_false_in_any_case() {
        let says = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert("x-should-retry", HeaderValue::from_static(value));
            vendor_says_retry(&headers)
        };
        assert_eq!(says("true"), Some(true));
        assert_eq!(says(" FALSE "), Some(false));
        assert_eq!(says("1"), None);
        assert_eq!(says("maybe"), None);
        assert_eq!(vendor_says_retry(&HeaderMap::new()), None);
    }

    fn server_error(retry_after: Option<Duration>) -> Error {
        Error::Server {
            provider: ProviderKind::HappyRobot,
            operation: Operation::GetCall,
            status: 503,
            retry_after,
            message: None,
        }
    }

    /// Each way of giving up says which it is (the `giving up` log line's `reason`).
    #[test]
    fn giving_up_says_why() {
        let policy = RetryPolicy {
            max_elapsed: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let now = Instant::now();
        let step =
            |mode, attempts, error: &Error| next_step(&policy, mode, attempts, now, error, None);
        let passing = server_error(None);
        assert!(step(RetryMode::Idempotent, 1, &passing).is_ok());
        let all_made = policy.max_attempts;
        assert_eq!(
            step(RetryMode::Idempotent, all_made, &passing),
            Err(GiveUp::Attempts)
        );
        let missing = Error::from_status(
            ProviderKind::Vapi,
            Operation::GetCall,
            404,
            None,
            Vec::new(),
        );
        assert_eq!(
            step(RetryMode::Idempotent, 1, &missing),
            Err(GiveUp::Lasting)
        );
        // The vendor's word (`x-should-retry`) over the status's, where retrying is safe.
        let told = |mode, error: &Error, says| next_step(&policy, mode, 1, now, error, says);
        let (reads, dials) = (RetryMode::Idempotent, RetryMode::NotAfterSend);
        assert_eq!(told(reads, &passing, Some(false)), Err(GiveUp::VendorSaid));
        assert!(told(reads, &missing, Some(true)).is_ok());
        assert_eq!(told(dials, &passing, Some(true)), Err(GiveUp::MaybeSent));
        assert_eq!(
            next_step(&policy, reads, all_made, now, &missing, Some(true)),
            Err(GiveUp::Attempts)
        );
        assert_eq!(
            step(RetryMode::NotAfterSend, 1, &passing),
            Err(GiveUp::MaybeSent)
        );
        let too_long = server_error(Some(Duration::from_secs(10)));
        assert_eq!(
            step(RetryMode::Idempotent, 1, &too_long),
            Err(GiveUp::TimeBudget)
        );
        for (reason, text) in [
            (GiveUp::Attempts, "attempts"),
            (GiveUp::Lasting, "lasting"),
            (GiveUp::MaybeSent, "maybe_sent"),
            (GiveUp::TimeBudget, "time_budget"),
        ] {
            assert_eq!(reason.as_str(), text);
        }
    }

    /// A policy built by hand with durations too long to count does not panic: a wait
    /// within its (endless) budget is kept, one past any budget gives up.
    #[test]
    fn endless_durations_give_up_without_a_panic() {
        let endless = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
            max_elapsed: Duration::MAX,
        };
        assert!(endless.backoff(3) >= Duration::MAX / 2);
        let error = server_error(None);
        let mode = RetryMode::Idempotent;
        let delay = next_delay(&endless, mode, 1, Instant::now(), &error);
        assert!(delay >= Some(Duration::MAX / 2), "{delay:?}");
        let asked = server_error(Some(Duration::MAX));
        let policy = RetryPolicy {
            max_elapsed: Duration::MAX,
            ..RetryPolicy::default()
        };
        // Started a moment ago: the wait would end past `Duration::MAX`.
        let started = Instant::now()
            .checked_sub(Duration::from_millis(1))
            .unwrap_or_else(Instant::now);
        assert_eq!(next_delay(&policy, mode, 1, started, &asked), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            max_elapsed: Duration::from_secs(60),
        };
        for retry in 1..=8u32 {
            let full =
                Duration::from_millis(100 * 2u64.pow(retry - 1)).min(Duration::from_millis(1000));
            for _ in 0..50 {
                let d = policy.backoff(retry);
                assert!(
                    d >= full / 2 && d <= full,
                    "retry {retry}: {d:?} vs {full:?}"
                );
            }
        }
        let samples: std::collections::HashSet<Duration> =
            (0..50).map(|_| policy.backoff(3)).collect();
        assert!(samples.len() > 1, "backoff is not jittered");
    }

    #[test]
    fn which_errors_retry_in_which_mode() {
        let policy = RetryPolicy::default();
        let start = Instant::now();
        let sent_timeout = Error::Timeout {
            provider: ProviderKind::Rounded,
            operation: Operation::Dial,
            sent: true,
        };
        let unsent = Error::transport(ProviderKind::Rounded, Operation::Dial, false, "refused");
        let not_found = Error::NotFound {
            provider: ProviderKind::Rounded,
            operation: Operation::GetCall,
            message: None,
        };

        assert!(
            next_delay(
                &policy,
                RetryMode::Idempotent,
                1,
                start,
                &server_error(None)
            )
            .is_some()
        );
        assert!(
            next_delay(
                &policy,
                RetryMode::NotAfterSend,
                1,
                start,
                &server_error(None)
            )
            .is_none()
        );
        assert!(next_delay(&policy, RetryMode::Idempotent, 1, start, &sent_timeout).is_some());
        assert!(next_delay(&policy, RetryMode::NotAfterSend, 1, start, &sent_timeout).is_none());
        assert!(next_delay(&policy, RetryMode::NotAfterSend, 1, start, &unsent).is_some());
        assert!(next_delay(&policy, RetryMode::Idempotent, 1, start, &not_found).is_none());
        assert!(
            next_delay(
                &policy,
                RetryMode::Idempotent,
                4,
                start,
                &server_error(None)
            )
            .is_none()
        );
    }

    #[test]
    fn retry_after_is_honoured_within_the_budget() {
        let policy = RetryPolicy {
            max_elapsed: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let start = Instant::now();
        let asked = Duration::from_secs(3);
        // The wait asked for, and at most half the first backoff more (jitter).
        let within = |delay: Option<Duration>, at_least: Duration| {
            delay.is_some_and(|d| d >= at_least && d <= at_least + policy.initial_backoff / 2)
        };
        let delay = next_delay(
            &policy,
            RetryMode::Idempotent,
            1,
            start,
            &server_error(Some(asked)),
        );
        assert!(within(delay, asked), "{delay:?}");
        // Spread: twenty clients told the same wait do not all come back together.
        let waits: std::collections::BTreeSet<Duration> = (0..20)
            .filter_map(|_| {
                let error = server_error(Some(asked));
                next_delay(&policy, RetryMode::Idempotent, 1, start, &error)
            })
            .collect();
        assert!(waits.len() > 1, "{waits:?}");
        // Where the budget has less room than the jitter (50 ms, against up to half the
        // first backoff), the wait asked for is kept, and the jitter drawn within the room
        // left. Timed from a start of its own: a machine that stalls this test for the
        // room would leave none (and `None`).
        let tight = RetryPolicy {
            max_elapsed: Duration::from_secs(3) + Duration::from_millis(50),
            ..policy.clone()
        };
        assert!(tight.initial_backoff / 2 > Duration::from_millis(50));
        let error = server_error(Some(asked));
        let delay = next_delay(&tight, RetryMode::Idempotent, 1, Instant::now(), &error);
        assert!(
            delay.is_some_and(|d| d >= asked && d <= tight.max_elapsed),
            "{delay:?}"
        );
        // `Retry-After: 0` does not send every attempt left at once: the backoff applies.
        let now = next_delay(
            &policy,
            RetryMode::Idempotent,
            1,
            start,
            &server_error(Some(Duration::ZERO)),
        );
        assert!(now.is_some_and(|delay| !delay.is_zero()), "{now:?}");
        // Nor does a wait of a microsecond: it waits the first backoff at least.
        let tiny = next_delay(
            &policy,
            RetryMode::Idempotent,
            1,
            start,
            &server_error(Some(Duration::from_micros(1))),
        );
        assert!(within(tiny, policy.initial_backoff), "{tiny:?}");
        let too_long = Duration::from_secs(30);
        assert_eq!(
            next_delay(
                &policy,
                RetryMode::Idempotent,
                1,
                start,
                &server_error(Some(too_long))
            ),
            None
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now: DateTime<Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(7))
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("0.25"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_millis(250))
        );
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 22 Nov 2026 10:00:12 GMT"),
        );
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(12))
        );
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 22 Nov 2026 09:00:00 GMT"),
        );
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::ZERO));
        // A date years ahead waits no longer than a day, as seconds do.
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sat, 22 Nov 2036 10:00:00 GMT"),
        );
        let day = Duration::from_secs(86_400);
        assert_eq!(parse_retry_after(&headers, now), Some(day));
        // The two obsolete forms recipients must accept as well.
        for obsolete in ["Sunday, 22-Nov-26 10:00:12 GMT", "Sun Nov 22 10:00:12 2026"] {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(obsolete));
            assert_eq!(
                parse_retry_after(&headers, now),
                Some(Duration::from_secs(12)),
                "{obsolete}"
            );
        }
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun Nov  1 10:00:00 2026"),
        );
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("-3"));
        assert_eq!(parse_retry_after(&headers, now), None);
    }

    /// `retry-after-ms` (Retell's SDK reads it first) wins over `Retry-After`; one that
    /// does not read as a wait leaves `Retry-After` to say.
    #[test]
    fn retry_after_ms_is_read_first() {
        let now: DateTime<Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_millis(1500))
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_millis(1500))
        );
        headers.insert("retry-after-ms", HeaderValue::from_static("12.5"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_micros(12_500))
        );
        // Zero, as Retell's SDK reads it, leaves the word to `Retry-After`.
        for odd in ["-1", "NaN", "soon", "0", "0.0"] {
            headers.insert("retry-after-ms", HeaderValue::from_static(odd));
            assert_eq!(
                parse_retry_after(&headers, now),
                Some(Duration::from_secs(7)),
                "{odd}"
            );
        }
        // A day at most, as seconds are.
        headers.insert("retry-after-ms", HeaderValue::from_static("1e12"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(86_400))
        );
    }
}
