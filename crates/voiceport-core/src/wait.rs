//! How long a wait for a call's end lasts, and how often it looks.

use std::time::Duration;

/// How [`wait_until_ended`](crate::VoiceProviderExt::wait_until_ended) waits: for how
/// long at most, and how often it asks the vendor about the call. Named, so that the two
/// durations cannot be swapped unseen.
///
/// ```
/// use std::time::Duration;
/// use voiceport_core::Wait;
///
/// let wait = Wait::at_most(Duration::from_secs(900)).polling_every(Duration::from_secs(5));
/// assert_eq!(wait.timeout(), Duration::from_secs(900));
/// assert_eq!(wait.poll(), Duration::from_secs(5));
/// assert_eq!(Wait::at_most(Duration::from_secs(60)).poll(), Wait::DEFAULT_POLL);
/// assert_eq!(Wait::forever().timeout(), Duration::MAX);
/// // Never faster than MIN_POLL: a zero would ask the vendor as fast as it answers.
/// assert_eq!(Wait::forever().polling_every(Duration::ZERO).poll(), Wait::MIN_POLL);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub struct Wait {
    timeout: Duration,
    poll: Duration,
}

impl Wait {
    /// How often a wait asks unless told otherwise: calls last minutes, and a vendor's
    /// rate limit is shared with the rest of the application.
    pub const DEFAULT_POLL: Duration = Duration::from_secs(2);

    /// The shortest interval between two looks: a shorter one (a zero) is taken as this,
    /// which would otherwise ask the vendor as fast as it answers.
    pub const MIN_POLL: Duration = Duration::from_millis(50);

    /// A wait that gives up after `timeout`, looking every [`DEFAULT_POLL`](Self::DEFAULT_POLL).
    pub const fn at_most(timeout: Duration) -> Self {
        Wait {
            timeout,
            poll: Self::DEFAULT_POLL,
        }
    }

    /// A wait without a limit (`timeout` is [`Duration::MAX`]), looking every
    /// [`DEFAULT_POLL`](Self::DEFAULT_POLL): it ends when the call does, or with an error.
    pub const fn forever() -> Self {
        Self::at_most(Duration::MAX)
    }

    /// The same wait, looking every `poll` (at least every [`MIN_POLL`](Self::MIN_POLL)).
    pub const fn polling_every(self, poll: Duration) -> Self {
        Wait { poll, ..self }
    }

    /// How long the wait lasts at most ([`Duration::MAX`]: no limit).
    pub const fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How often the wait looks at the call, never more often than
    /// [`MIN_POLL`](Self::MIN_POLL).
    pub fn poll(&self) -> Duration {
        self.poll.max(Self::MIN_POLL)
    }
}
