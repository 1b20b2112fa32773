//! How often the receiver warns of the deliveries it refuses: an endpoint open to the
//! internet is posted junk (scanners, a forger trying secrets) as fast as a client can
//! send, and one `warn` line each would bury the lines that matter and fill the disk.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many refusals of one provider are warned of in a period; the rest are logged at
/// debug level, and counted in the next warning.
pub(super) const WARNED_PER_PERIOD: u32 = 10;

/// The period over which warnings are counted (not the de-duplication window).
pub(super) const WARN_PERIOD: Duration = Duration::from_secs(60);

/// The refusals of each provider the receiver serves, of the names it does not (one
/// count for all of them: they come from the URL, and a count each would let a sender grow
/// the map without end), and of the requests that name no provider at all (another path,
/// a GET: scanners and health checks, whose noise would otherwise quiet the warning that
/// a vendor posts to a name not served, most often a webhook URL set wrong).
///
/// The troubles of the application with a provider's deliveries (a handler failing after
/// its answer, a reply too late, the channel closed) are counted apart, per provider: a
/// flood of forgeries does not quiet them, nor do they quiet the refusals.
#[derive(Debug)]
pub(super) struct Refusals {
    by_provider: HashMap<String, Mutex<WarnPeriod>>,
    unknown: Mutex<WarnPeriod>,
    stray: Mutex<WarnPeriod>,
    troubles: HashMap<String, Mutex<WarnPeriod>>,
    /// The troubles of a name not served: none today (each comes of an endpoint).
    other_troubles: Mutex<WarnPeriod>,
}

#[derive(Debug)]
struct WarnPeriod {
    started: Instant,
    warned: u32,
    /// Refusals logged at debug level since the last warning.
    quieted: u64,
}

/// What to do with one refusal's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Say {
    /// Warn, saying how many refusals were quieted since the last warning.
    Warn { quieted: u64 },
    /// Log at debug level: the period's warnings are spent.
    Quiet,
}

impl Refusals {
    /// The counts of `providers`, the names the receiver serves.
    pub(super) fn new<'a>(providers: impl IntoIterator<Item = &'a str>) -> Self {
        let now = Instant::now();
        let names: Vec<&str> = providers.into_iter().collect();
        let periods = || {
            (names.iter())
                .map(|name| (name.to_string(), Mutex::new(WarnPeriod::starting(now))))
                .collect()
        };
        Refusals {
            by_provider: periods(),
            unknown: Mutex::new(WarnPeriod::starting(now)),
            stray: Mutex::new(WarnPeriod::starting(now)),
            troubles: periods(),
            other_troubles: Mutex::new(WarnPeriod::starting(now)),
        }
    }

    /// Counts a refusal of a delivery for `provider` at `now`.
    pub(super) fn note(&self, provider: &str, now: Instant) -> Say {
        Self::count(self.by_provider.get(provider).unwrap_or(&self.unknown), now)
    }

    /// Counts a refusal of a request that names no provider (a path other than a
    /// delivery's, a method other than POST, a name that does not decode) at `now`.
    pub(super) fn note_stray(&self, now: Instant) -> Say {
        Self::count(&self.stray, now)
    }

    /// Counts a trouble of the application with a delivery for `provider` at `now`.
    pub(super) fn note_trouble(&self, provider: &str, now: Instant) -> Say {
        let period = self.troubles.get(provider).unwrap_or(&self.other_troubles);
        Self::count(period, now)
    }

    fn count(period: &Mutex<WarnPeriod>, now: Instant) -> Say {
        // A poisoned count only ever held numbers: it is read as it stands.
        let mut period = period
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if now.saturating_duration_since(period.started) >= WARN_PERIOD {
            period.started = now;
            period.warned = 0;
        }
        if period.warned < WARNED_PER_PERIOD {
            period.warned += 1;
            Say::Warn {
                quieted: std::mem::take(&mut period.quieted),
            }
        } else {
            period.quieted += 1;
            Say::Quiet
        }
    }
}

impl WarnPeriod {
    fn starting(now: Instant) -> Self {
        WarnPeriod {
            started: now,
            warned: 0,
            quieted: 0,
        }
    }
}

/// Logs one refusal of a delivery for `$provider`, counted in `$refusals`: at `warn`
/// (with `quieted`, the refusals logged at debug level since the last warning) while the
/// period's warnings last, else at `debug`. The rest is the event's fields and message,
/// as `tracing::warn!` takes them.
/// `refusal!($refusals, stray, …)` counts a request that names no provider;
/// `refusal!($refusals, trouble $provider, …)` a trouble of the application with one of
/// `$provider`'s deliveries.
macro_rules! refusal {
    (@say $say:expr, $($event:tt)+) => {
        match $say {
            $crate::webhooks::refusals::Say::Warn { quieted: 0 } => tracing::warn!($($event)+),
            $crate::webhooks::refusals::Say::Warn { quieted } => {
                tracing::warn!(quieted, $($event)+)
            }
            $crate::webhooks::refusals::Say::Quiet => tracing::debug!($($event)+),
        }
    };
    ($refusals:expr, trouble $provider:expr, $($event:tt)+) => {
        refusal!(@say $refusals.note_trouble($provider, std::time::Instant::now()), $($event)+)
    };
    ($refusals:expr, stray, $($event:tt)+) => {
        refusal!(@say $refusals.note_stray(std::time::Instant::now()), $($event)+)
    };
    ($refusals:expr, $provider:expr, $($event:tt)+) => {
        refusal!(@say $refusals.note($provider, std::time::Instant::now()), $($event)+)
    };
}
pub(super) use refusal;

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten warnings a period per provider, the rest quiet and counted in the first
    /// warning of the next period; names the receiver does not serve share one count.
    #[test]
    fn a_period_warns_ten_times_then_counts() {
        let refusals = Refusals::new(["sales", "support"]);
        let start = Instant::now();
        let says = |name: &str, at: Instant| refusals.note(name, at);
        for _ in 0..WARNED_PER_PERIOD {
            assert_eq!(says("sales", start), Say::Warn { quieted: 0 });
        }
        for _ in 0..25 {
            assert_eq!(says("sales", start), Say::Quiet);
        }
        // Another provider has its own period.
        assert_eq!(says("support", start), Say::Warn { quieted: 0 });
        let later = start + WARN_PERIOD;
        assert_eq!(says("sales", later), Say::Warn { quieted: 25 });
        assert_eq!(says("sales", later), Say::Warn { quieted: 0 });
        for n in 0..WARNED_PER_PERIOD + 3 {
            let expected = match n < WARNED_PER_PERIOD {
                true => Say::Warn { quieted: 0 },
                false => Say::Quiet,
            };
            assert_eq!(says(&format!("scan-{n}"), start), expected, "{n}");
        }
        // Requests naming no provider have a count of their own: however many, the names
        // not served are still warned of (their period was spent above: it starts again).
        for _ in 0..WARNED_PER_PERIOD {
            assert_eq!(refusals.note_stray(later), Say::Warn { quieted: 0 });
        }
        assert_eq!(refusals.note_stray(later), Say::Quiet);
        assert_eq!(says("scan-x", later), Say::Warn { quieted: 3 });
        // The application's troubles have periods of their own, per provider: `sales`'
        // refusals spent its period above, not this one.
        for _ in 0..WARNED_PER_PERIOD {
            assert_eq!(
                refusals.note_trouble("sales", later),
                Say::Warn { quieted: 0 }
            );
        }
        assert_eq!(refusals.note_trouble("sales", later), Say::Quiet);
        assert_eq!(
            refusals.note_trouble("support", later),
            Say::Warn { quieted: 0 }
        );
    }
}
