//! Redeliveries reach the application once: a bounded window of what was delivered.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::adapter::non_blank;
use crate::{CallEvent, CallId, EventKind};

/// What identifies one delivery, whatever the number of times it is sent: the vendor's
/// delivery id where there is one; for a call's start, status change or end, the provider,
/// event type, call, status (the vendor's and the normalized) and
/// [`CallEvent::distinct_by`] (vendors send each at most once per call, or once per what
/// `distinct_by` names, and redeliver it on a timeout, possibly re-serialized); otherwise
/// a digest of the exact body.
///
/// `Display` writes it as 64 hexadecimal digits: an idempotency key for an application
/// that must recognize a redelivery of its own (`voiceport listen --forward` sends it as
/// `Idempotency-Key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventKey {
    digest: [u8; 32],
    /// A call's start, status change or end: kept apart from other events in a
    /// [`Deduplicator`], so that a flood of messages cannot push it out.
    lifecycle: bool,
}

impl std::fmt::Display for EventKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Written whole, then padded as text is (`{:<70}`), which byte by byte it would not.
        let mut hex = String::with_capacity(self.digest.len() * 2);
        for byte in self.digest {
            hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
        }
        f.pad(&hex)
    }
}

impl EventKey {
    /// The key of `event`, parsed from `body`, received for the provider named `provider`
    /// (the receiver passes the name of the first of the providers sharing a
    /// de-duplication window: see its docs).
    pub fn of(provider: &str, event: &CallEvent, body: &[u8]) -> Self {
        let mut hash = Sha256::new();
        let mut part = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        part(provider.as_bytes());
        let lifecycle = matches!(
            event.kind,
            EventKind::Started { .. } | EventKind::StatusChanged { .. } | EventKind::Ended { .. }
        );
        let (event_id, call_id) = named_ids(event);
        match (event_id, call_id, lifecycle) {
            (Some(id), _, _) => {
                part(b"id");
                part(id.as_bytes());
            }
            (None, Some(call_id), true) => {
                part(b"lifecycle");
                part(event.vendor_event.as_bytes());
                part(call_id.as_str().as_bytes());
                // The vendor's status and the normalized one: a status a vendor leaves
                // out, or that other fields decide, still tells two changes apart.
                let (status, normalized) = match &event.kind {
                    EventKind::StatusChanged {
                        status,
                        vendor_status,
                        ..
                    } => (vendor_status.as_deref(), status.as_str()),
                    _ => (None, ""),
                };
                part(status.unwrap_or_default().as_bytes());
                part(normalized.as_bytes());
                part(event.distinct_by.as_deref().unwrap_or_default().as_bytes());
            }
            _ => {
                part(b"body");
                part(body);
            }
        }
        EventKey {
            digest: hash.finalize().into(),
            lifecycle,
        }
    }

    /// The key of `event`, as [`of`](Self::of) gives it, when the event names a delivery
    /// or a call (an id that is not blank); `None` when it names neither, where its body
    /// would be all there is to key it by. The receiver keys a request the vendor waits on
    /// this way: two of Retell's inbound webhooks for two calls between the same numbers
    /// are alike, body and all.
    pub fn of_named(provider: &str, event: &CallEvent, body: &[u8]) -> Option<Self> {
        let (event_id, call_id) = named_ids(event);
        (event_id.is_some() || call_id.is_some()).then(|| Self::of(provider, event, body))
    }
}

/// The delivery id and the call id `event` names: a blank id names nothing (two calls
/// without one must not share a key).
fn named_ids(event: &CallEvent) -> (Option<&str>, Option<&CallId>) {
    let event_id = (event.event_id.as_deref()).and_then(non_blank);
    let call_id = (event.call_id()).filter(|id| non_blank(id.as_str()).is_some());
    (event_id, call_id)
}

/// The last `capacity` keys delivered, the oldest forgotten first, and the keys being
/// delivered (kept until settled, beyond the capacity if need be: there are only as many
/// as handlers running). With [`keeping_for`](Self::keeping_for), a delivered key also
/// stays for a least age, however many come after it, up to a ceiling: a burst does not
/// push out the deliveries a vendor may still send again.
///
/// The keys of a call's start, status changes and end (the events vendors retry, a few per
/// call) are kept apart from those of other events (speech updates, partial transcripts:
/// dozens per call), each kind with its own capacity and ceiling: a flood of messages
/// never pushes a call's end out of the window. The window holds up to twice the ceiling
/// in all.
///
/// A key is either being delivered (admitted by [`begin`](Self::begin), not yet settled)
/// or delivered: a redelivery that arrives while the first is still being handled is told
/// apart from one that arrives after it succeeded, so that it is not acknowledged as done
/// while the first may still fail. Admitting, settling and forgetting a delivery in
/// flight take constant time, however many are in flight (forgetting a delivered key
/// looks for it in the window).
///
/// A delivery whose work was dropped (its future cancelled by a timeout or a `select!`,
/// its task panicked) is never settled. Past [`in_flight_for`](Self::in_flight_for) it is
/// taken for abandoned: a redelivery of it is admitted again, rather than refused until
/// the process restarts, and keys so abandoned are swept as the window grows.
#[derive(Debug)]
pub struct Deduplicator {
    capacity: usize,
    /// How long a delivered key stays at least, beyond the capacity if need be.
    min_age: Duration,
    /// The most delivered keys held, whatever their age (at least `capacity`).
    ceiling: usize,
    /// Each key in the window, in flight or delivered.
    seen: HashMap<EventKey, State>,
    /// How long a delivery may stay in flight before it is taken for abandoned.
    in_flight_limit: Duration,
    /// The size of `seen` at which abandoned deliveries are next swept out.
    next_sweep: usize,
    /// How many abandoned deliveries were swept out since [`Deduplicator::take_swept`].
    swept: usize,
    /// The number of the next [`Ticket`].
    next_ticket: u64,
    /// The delivered keys and when they were delivered, oldest first (keys in flight are
    /// in `seen` only): other events' keys, then lifecycle keys (`order[1]`).
    order: [VecDeque<(EventKey, Instant)>; 2],
}

/// Where a key in the window stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Admitted at `since` under the ticket numbered `ticket`, not settled yet.
    InFlight { since: Instant, ticket: u64 },
    /// Its delivery succeeded.
    Delivered,
}

/// How many deliveries a de-duplication window remembers by default (the receiver's, and a
/// good start for one of an application's own: [`Deduplicator::new`]).
pub const DEFAULT_WINDOW: usize = 10_000;

/// How long the receiver's de-duplication window keeps each delivery at least by default,
/// however many come after it: five minutes, or twice the provider's signing tolerance
/// where that is longer (a signing time up to the tolerance ahead of this clock is
/// accepted for as long again). Up to [`WINDOW_CEILING`] times the window's size. A
/// [`Deduplicator::new`] keeps nothing past its capacity until
/// [`keeping_for`](Deduplicator::keeping_for) says so.
pub const DEFAULT_KEEP_FOR: Duration = Duration::from_secs(300);

/// How many times its size a de-duplication window may grow to keep its deliveries for
/// their least age (at about 100 bytes a delivery, 10 MB for the default window). A call's
/// start, status changes and end are kept apart from other events, with a size and ceiling
/// of their own, so that a flood of messages cannot push them out: twice that at most.
pub const WINDOW_CEILING: usize = 10;

/// How long a delivery may stay in flight by default before it is taken for abandoned:
/// far longer than any vendor waits for an answer.
pub const DEFAULT_IN_FLIGHT_LIMIT: Duration = Duration::from_secs(300);

/// What the window says of a delivery's key.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Not in the window: now recorded as being delivered. Settle it with its ticket:
    /// [`Deduplicator::delivered`] or [`Deduplicator::failed`].
    First(Ticket),
    /// Admitted earlier and not settled yet: its first delivery is still being handled
    /// (for less than the window's [in-flight limit](Deduplicator::in_flight_for)).
    InFlight,
    /// Delivered already.
    Delivered,
}

/// A first delivery's admission to a [`Deduplicator`]: the delivery's work runs, then the
/// ticket settles it. It settles the admission it came with and no other: a delivery taken
/// for abandoned and admitted again ([`Deduplicator::in_flight_for`]) has a new ticket,
/// and the first run's late settling leaves the new one alone.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "an admission left unsettled stays in flight until the window's in-flight limit: settle it with `delivered` or `failed`"]
pub struct Ticket {
    key: EventKey,
    number: u64,
    reclaimed: bool,
}

impl Ticket {
    /// The key admitted.
    pub fn key(&self) -> EventKey {
        self.key
    }

    /// Whether the key was admitted again after an earlier delivery of it stayed in flight
    /// past the [in-flight limit](Deduplicator::in_flight_for): that delivery's work may
    /// still be running (a handler stuck for minutes), and this one's runs beside it.
    /// Worth a warning. (A key swept out of a growing window once past the limit comes
    /// back as a plain first admission: [`Deduplicator::take_swept`] counts those.)
    pub fn reclaimed(&self) -> bool {
        self.reclaimed
    }
}

impl Deduplicator {
    /// A window of `capacity` deliveries (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Deduplicator {
            capacity,
            min_age: Duration::ZERO,
            ceiling: capacity,
            seen: HashMap::with_capacity(capacity.min(65_536)),
            in_flight_limit: DEFAULT_IN_FLIGHT_LIMIT,
            next_sweep: sweep_threshold(capacity, 0),
            swept: 0,
            next_ticket: 0,
            // Lifecycle keys are few: their queue grows as they come.
            order: [
                VecDeque::with_capacity(capacity.min(65_536)),
                VecDeque::new(),
            ],
        }
    }

    /// Keeps each delivered key for at least `min_age`, however many deliveries come after
    /// it, as long as the window holds no more than `ceiling` keys (never fewer than its
    /// capacity); beyond the ceiling the oldest go whatever their age. Give twice the
    /// signing tolerance of a scheme that signs the time (a signing time up to the
    /// tolerance ahead of this clock is accepted, and stays so for as long again), and a
    /// redelivery or replay the signature still accepts is always recognized below the
    /// ceiling.
    #[must_use]
    pub fn keeping_for(mut self, min_age: Duration, ceiling: usize) -> Self {
        self.min_age = min_age;
        self.ceiling = ceiling.max(self.capacity);
        self.next_sweep = sweep_threshold(self.ceiling, self.seen.len());
        self
    }

    /// A window of `capacity` deliveries for a provider checked by `verifier`, as the
    /// receiver sizes it: each delivery kept for at least `keep_for`, or twice the
    /// verifier's signing tolerance where that is longer (a signing time up to the
    /// tolerance ahead of this clock is accepted, and stays so for as long again), so that
    /// a redelivery or replay its signature still accepts is recognized, up to
    /// [`WINDOW_CEILING`] times `capacity`. `(DEFAULT_WINDOW, DEFAULT_KEEP_FOR, &verifier)`
    /// is the receiver's default.
    ///
    /// ```
    /// use voiceport_core::webhook::{
    ///     DEFAULT_KEEP_FOR, DEFAULT_WINDOW, Deduplicator, Scheme, Verifier, WebhookConfig,
    /// };
    /// use voiceport_core::ProviderKind;
    ///
    /// let mut hmac = WebhookConfig::with_secret("s3cret-for-tests");
    /// hmac.verify = Some(Scheme::Hmac);
    /// let verifier = Verifier::from_config(ProviderKind::Vapi, &hmac, "webhook", None)?;
    /// let window = Deduplicator::for_verifier(DEFAULT_WINDOW, DEFAULT_KEEP_FOR, &verifier);
    /// assert!(window.is_empty());
    /// # Ok::<(), voiceport_core::Error>(())
    /// ```
    #[must_use]
    pub fn for_verifier(capacity: usize, keep_for: Duration, verifier: &super::Verifier) -> Self {
        let signed = verifier.tolerance().unwrap_or_default().saturating_mul(2);
        let capacity = capacity.max(1);
        Deduplicator::new(capacity).keeping_for(
            signed.max(keep_for),
            capacity.saturating_mul(WINDOW_CEILING),
        )
    }

    /// Takes a delivery that stays in flight longer than `limit` (default
    /// [`DEFAULT_IN_FLIGHT_LIMIT`], 5 minutes) for abandoned: its work was dropped
    /// without settling it. A redelivery of it is then admitted as [`Admission::First`].
    /// Work that may take longer needs a longer limit, or a redelivery runs it twice.
    #[must_use]
    pub fn in_flight_for(mut self, limit: Duration) -> Self {
        self.in_flight_limit = limit;
        self
    }

    /// How many deliveries in flight past the in-flight limit were swept out of the window
    /// (as it grew) since this was last asked; the count starts again at zero. Their work
    /// may still be running, and a redelivery of one is admitted as new (not
    /// [reclaimed](Ticket::reclaimed)): worth a warning.
    pub fn take_swept(&mut self) -> usize {
        std::mem::take(&mut self.swept)
    }

    /// Records `key` as delivered; `true` the first time it is seen within the window.
    #[must_use = "the answer is the point: `false` is a redelivery, whose work must not run again"]
    pub fn first_time(&mut self, key: EventKey) -> bool {
        match self.begin(key) {
            Admission::First(ticket) => {
                self.delivered(ticket);
                true
            }
            Admission::InFlight | Admission::Delivered => false,
        }
    }

    /// Admits `key` if it is not in the window (it is then being delivered), else says
    /// how far its first delivery got.
    ///
    /// Only [`Admission::First`] lets the work run, and its ticket must then settle it
    /// ([`delivered`](Self::delivered) or [`failed`](Self::failed)).
    #[must_use = "an admission ignored runs a redelivery's work again, or leaves a first delivery unsettled: only `First` runs the work, then its ticket settles it"]
    pub fn begin(&mut self, key: EventKey) -> Admission {
        self.begin_at(key, Instant::now())
    }

    fn begin_at(&mut self, key: EventKey, now: Instant) -> Admission {
        let limit = self.in_flight_limit;
        let number = self.next_ticket;
        let admitted = State::InFlight {
            since: now,
            ticket: number,
        };
        let mut reclaimed = false;
        match self.seen.get_mut(&key) {
            Some(State::Delivered) => return Admission::Delivered,
            Some(State::InFlight { since, .. })
                if now.saturating_duration_since(*since) < limit =>
            {
                return Admission::InFlight;
            }
            // Abandoned: admitted again, as if first, under a new ticket.
            Some(state) => {
                *state = admitted;
                reclaimed = true;
            }
            None => {
                if self.seen.len() >= self.next_sweep {
                    self.sweep_abandoned(now);
                }
                self.seen.insert(key, admitted);
            }
        }
        self.next_ticket = number.wrapping_add(1);
        Admission::First(Ticket {
            key,
            number,
            reclaimed,
        })
    }

    /// Drops the deliveries in flight past the limit (their work was dropped unsettled),
    /// and sets when to look again: the delivered keys are bounded by the ceilings, so
    /// only abandoned ones can grow the window past them.
    fn sweep_abandoned(&mut self, now: Instant) {
        let limit = self.in_flight_limit;
        let before = self.seen.len();
        self.seen.retain(|_, state| match state {
            State::InFlight { since, .. } => now.saturating_duration_since(*since) < limit,
            State::Delivered => true,
        });
        self.swept += before - self.seen.len();
        self.next_sweep = sweep_threshold(self.ceiling, self.seen.len());
    }

    /// Settles an admission: its delivery succeeded, and the key is delivered. Once the
    /// window holds more than its capacity of keys of its kind (lifecycle or not), the
    /// oldest delivered keys of that kind go: those older than the least age, or any beyond
    /// the ceiling.
    ///
    /// Should the key have been taken for abandoned and admitted again meanwhile, it is
    /// delivered all the same (the event was handled): the later admission's settling then
    /// changes nothing. A key the window no longer holds (swept as abandoned) stays out.
    pub fn delivered(&mut self, ticket: Ticket) {
        self.delivered_at(&ticket.key, Instant::now());
    }

    fn delivered_at(&mut self, key: &EventKey, now: Instant) {
        let Some(state @ State::InFlight { .. }) = self.seen.get_mut(key) else {
            return;
        };
        *state = State::Delivered;
        let order = &mut self.order[usize::from(key.lifecycle)];
        order.push_back((*key, now));
        // Oldest first: once the oldest is young enough to stay, so are all after it.
        while order.len() > self.capacity
            && let Some(&(oldest, at)) = order.front()
        {
            let young = now.saturating_duration_since(at) < self.min_age;
            if young && order.len() <= self.ceiling {
                break;
            }
            order.pop_front();
            self.seen.remove(&oldest);
        }
    }

    /// Settles an admission whose delivery failed: the key leaves the window, so that the
    /// vendor's retry goes through. Only the admission the ticket came with goes: a key
    /// admitted again since (taken for abandoned) stays in flight for the run that holds
    /// it, and a key delivered meanwhile stays delivered.
    pub fn failed(&mut self, ticket: Ticket) {
        if let Some(State::InFlight { ticket: number, .. }) = self.seen.get(&ticket.key)
            && *number == ticket.number
        {
            self.seen.remove(&ticket.key);
        }
    }

    /// Forgets `key`, in flight or delivered, whoever admitted it: for a key taken with
    /// [`first_time`](Self::first_time) before the work that then failed, so that the
    /// vendor's retry goes through. A delivered key is looked for in the window.
    pub fn forget(&mut self, key: &EventKey) {
        if self.seen.remove(key) == Some(State::Delivered) {
            self.order[usize::from(key.lifecycle)].retain(|(k, _)| k != key);
        }
    }

    /// How many keys the window holds, in flight or delivered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// Doctests only: ignoring what [`Deduplicator::begin`] or [`Deduplicator::first_time`]
/// answers does not build under `deny(unused_must_use)`, and using it does.
///
/// ```
/// #![deny(unused_must_use)]
/// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
/// use voiceport::webhooks::{Admission, Deduplicator, EventKey};
/// use voiceport::{CallEvent, EventKind, VendorPayload};
///
/// let payload = VendorPayload::from_value(&serde_json::json!({}));
/// let event = CallEvent::new("transcript", EventKind::other(payload));
/// let key = EventKey::of("support", &event, b"{}");
/// let mut window = Deduplicator::new(16);
/// assert!(matches!(window.begin(key), Admission::First(_)));
/// assert!(!window.first_time(key));
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
/// use voiceport::webhooks::{Deduplicator, EventKey};
/// use voiceport::{CallEvent, EventKind, VendorPayload};
///
/// let payload = VendorPayload::from_value(&serde_json::json!({}));
/// let event = CallEvent::new("transcript", EventKind::other(payload));
/// let key = EventKey::of("support", &event, b"{}");
/// let mut window = Deduplicator::new(16);
/// window.begin(key);
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
/// use voiceport::webhooks::{Deduplicator, EventKey};
/// use voiceport::{CallEvent, EventKind, VendorPayload};
///
/// let payload = VendorPayload::from_value(&serde_json::json!({}));
/// let event = CallEvent::new("transcript", EventKind::other(payload));
/// let key = EventKey::of("support", &event, b"{}");
/// let mut window = Deduplicator::new(16);
/// window.first_time(key);
/// ```
#[cfg(doctest)]
struct MustUseChecks;

/// The size of the window at which abandoned deliveries are swept: past what delivered
/// keys can fill (twice the ceiling, one per kind), and twice what is left after a sweep,
/// so that sweeping costs constant time per delivery however many are genuinely in flight.
fn sweep_threshold(ceiling: usize, left: usize) -> usize {
    ceiling
        .saturating_mul(2)
        .saturating_add(1_024)
        .max(left.saturating_mul(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Call, CallId, CallStatus, ProviderKind, VendorPayload};

    /// A verifier's window keeps what its signature still accepts, twice its tolerance,
    /// where that is longer than asked, and grows up to its ceiling.
    #[test]
    fn a_verifier_s_window_keeps_twice_its_signing_tolerance() {
        let mut hmac = crate::webhook::WebhookConfig::with_secret("s3cret-for-tests");
        hmac.verify = Some(crate::webhook::Scheme::Hmac);
        hmac.tolerance_secs = Some(600);
        let signed =
            crate::webhook::Verifier::from_config(ProviderKind::Vapi, &hmac, "w", None).unwrap();
        let window = Deduplicator::for_verifier(100, DEFAULT_KEEP_FOR, &signed);
        assert_eq!(window.min_age, Duration::from_secs(1200));
        assert_eq!(window.ceiling, 100 * WINDOW_CEILING);
        let shared =
            crate::webhook::Verifier::with_secret(ProviderKind::Vapi, "s".to_owned().into());
        let window = Deduplicator::for_verifier(0, DEFAULT_KEEP_FOR, &shared);
        assert_eq!(window.min_age, DEFAULT_KEEP_FOR);
        assert_eq!((window.capacity, window.ceiling), (1, WINDOW_CEILING));
    }

    /// The key of an event other than a call's start, status change or end.
    fn message_key(digest: [u8; 32]) -> EventKey {
        EventKey {
            digest,
            lifecycle: false,
        }
    }

    /// The ticket of a first admission; any other answer fails the test.
    #[track_caller]
    fn first(admission: Admission) -> Ticket {
        match admission {
            Admission::First(ticket) => ticket,
            other => panic!("expected a first admission, got {other:?}"),
        }
    }

    fn ended(id: &str) -> CallEvent {
        let call = Call::new(CallId::new(id), ProviderKind::Voicebot);
        CallEvent::new(
            "end-of-call-report",
            EventKind::Ended {
                call: Box::new(call),
            },
        )
    }

    /// A delivery whose work was dropped unsettled is in flight until the limit, then
    /// admitted again; it is not refused for ever.
    #[test]
    fn an_abandoned_delivery_is_admitted_again_after_the_in_flight_limit() {
        let limit = Duration::from_secs(60);
        let mut window = Deduplicator::new(8).in_flight_for(limit);
        let key = message_key([7; 32]);
        let t0 = Instant::now();
        let abandoned = first(window.begin_at(key, t0));
        assert!(!abandoned.reclaimed());
        let just_before = t0 + limit - Duration::from_millis(1);
        assert_eq!(window.begin_at(key, just_before), Admission::InFlight);
        let again = first(window.begin_at(key, t0 + limit));
        assert!(
            again.reclaimed(),
            "taken over from a delivery still in flight"
        );
        // Admitted again from then: in flight anew, and settled as usual.
        assert_eq!(window.begin_at(key, t0 + limit), Admission::InFlight);
        window.delivered(again);
        assert_eq!(window.begin_at(key, t0 + limit * 5), Admission::Delivered);
    }

    /// A run taken for abandoned that ends after all settles its own admission only: its
    /// failure does not let a third delivery run beside the second, and its success is a
    /// delivery the second's failure does not undo.
    #[test]
    fn a_late_settling_leaves_a_later_admission_alone() {
        let limit = Duration::from_secs(60);
        let t0 = Instant::now();
        let key = message_key([5; 32]);

        let mut window = Deduplicator::new(8).in_flight_for(limit);
        let slow = first(window.begin_at(key, t0));
        let second = first(window.begin_at(key, t0 + limit));
        window.failed(slow);
        assert_eq!(
            window.begin_at(key, t0 + limit),
            Admission::InFlight,
            "the second run still holds the key"
        );
        window.delivered(second);
        assert_eq!(window.begin_at(key, t0 + limit), Admission::Delivered);

        let mut window = Deduplicator::new(8).in_flight_for(limit);
        let slow = first(window.begin_at(key, t0));
        let second = first(window.begin_at(key, t0 + limit));
        window.delivered(slow);
        window.failed(second);
        assert_eq!(
            window.begin_at(key, t0 + limit),
            Admission::Delivered,
            "the slow run delivered it"
        );
    }

    /// Abandoned deliveries do not pile up: once the window outgrows what delivered keys
    /// can fill, those in flight past the limit are swept out; delivered ones stay.
    #[test]
    fn abandoned_deliveries_are_swept_as_the_window_grows() {
        let limit = Duration::from_secs(60);
        let mut window = Deduplicator::new(4).in_flight_for(limit);
        let t0 = Instant::now();
        let delivered = message_key([1; 32]);
        let ticket = first(window.begin_at(delivered, t0));
        window.delivered(ticket);
        // Enough to fill the window to its sweep threshold with the delivered key.
        let abandoned = sweep_threshold(4, 0) - 1;
        for n in 0..abandoned {
            let mut digest = [0; 32];
            digest[..8].copy_from_slice(&(n as u64).to_le_bytes());
            digest[31] = 2;
            let _abandoned = first(window.begin_at(message_key(digest), t0));
        }
        assert_eq!(window.len(), abandoned + 1);
        assert_eq!(window.take_swept(), 0);
        let later = t0 + limit;
        let _admitted = first(window.begin_at(message_key([3; 32]), later));
        assert_eq!(window.len(), 2);
        assert_eq!(window.begin_at(delivered, later), Admission::Delivered);
        // Counted once, for a warning.
        assert_eq!(window.take_swept(), abandoned);
        assert_eq!(window.take_swept(), 0);
    }

    #[test]
    fn lifecycle_events_are_keyed_on_call_and_type_not_bytes() {
        let a = EventKey::of("sales", &ended("c1"), br#"{"a":1}"#);
        let b = EventKey::of("sales", &ended("c1"), br#"{ "a": 1 }"#);
        assert_eq!(a, b);
        assert_ne!(a, EventKey::of("support", &ended("c1"), br#"{"a":1}"#));
        assert_ne!(a, EventKey::of("sales", &ended("c2"), br#"{"a":1}"#));
        let change = |normalized: CallStatus, vendor: Option<&str>| {
            let mut e = CallEvent::new(
                "status-update",
                EventKind::StatusChanged {
                    status: normalized,
                    vendor_status: vendor.map(String::from),
                    call: None,
                },
            );
            e.call_id = Some(CallId::new("c1"));
            EventKey::of("sales", &e, b"{}")
        };
        let status = |s: &str| change(CallStatus::Ringing, Some(s));
        assert_eq!(status("ringing"), status("ringing"));
        assert_ne!(status("ringing"), status("in-progress"));
        // Without the vendor's status (or with the same text), the normalized one counts.
        let ringing = change(CallStatus::Ringing, None);
        assert_ne!(ringing, change(CallStatus::Completed, None));
        let answered = change(CallStatus::Completed, Some("completed"));
        assert_ne!(answered, change(CallStatus::Voicemail, Some("completed")));
    }

    /// Calls without an id (a HappyRobot hook sent `"id": ""`) are told apart by their
    /// bodies: a blank id keys nothing.
    #[test]
    fn a_blank_call_id_keys_on_the_body() {
        let blank = |id: &str, body: &[u8]| {
            let mut e = ended("placeholder");
            e.call_id = Some(CallId::new(id));
            EventKey::of("sales", &e, body)
        };
        assert_ne!(blank("", br#"{"n":1}"#), blank(" ", br#"{"n":2}"#));
        assert_eq!(blank("", br#"{"n":1}"#), blank("", br#"{"n":1}"#));
        // A blank delivery id names no delivery either: two events are not one.
        let blank_event_id = |call: &str, body: &[u8]| {
            let mut e = ended(call);
            e.event_id = Some(" ".into());
            EventKey::of("sales", &e, body)
        };
        assert_ne!(blank_event_id("c1", b"1"), blank_event_id("c2", b"2"));
    }

    /// A request keyed only when it names a delivery or a call: a blank id of either names
    /// neither, as it keys nothing in [`EventKey::of`].
    #[test]
    fn only_an_event_naming_a_delivery_or_a_call_has_a_named_key() {
        let named = |event_id: Option<&str>, call_id: Option<&str>| {
            let mut e = ended("placeholder");
            e.event_id = event_id.map(String::from);
            e.call_id = call_id.map(CallId::new);
            EventKey::of_named("sales", &e, b"{}")
        };
        assert!(named(None, None).is_none());
        assert!(named(Some(" "), None).is_none());
        assert!(named(Some(""), Some("\t")).is_none());
        assert!(named(Some("evt_1"), None).is_some());
        assert!(named(Some(" "), Some("c1")).is_some());
        let mut e = ended("c1");
        e.event_id = Some("evt_1".into());
        assert_eq!(
            EventKey::of_named("sales", &e, b"{}"),
            Some(EventKey::of("sales", &e, b"{}"))
        );
    }

    #[test]
    fn distinct_by_tells_repeatable_lifecycle_events_apart() {
        let transfer = |to: Option<&str>, body: &[u8]| {
            let mut e = ended("c1");
            e.vendor_event = "transfer_started".into();
            e.distinct_by = to.map(String::from);
            EventKey::of("sales", &e, body)
        };
        let first = transfer(Some(r#"{"number":"+16175550199"}"#), b"1");
        assert_eq!(first, transfer(Some(r#"{"number":"+16175550199"}"#), b"2"));
        assert_ne!(first, transfer(Some(r#"{"number":"+16175550100"}"#), b"1"));
        assert_ne!(first, transfer(None, b"1"));
    }

    #[test]
    fn other_events_are_keyed_on_the_body_and_ids_win() {
        let other = |body: &str| {
            let payload = VendorPayload::from_value(&serde_json::json!({"b": body}));
            CallEvent::new("transcript", EventKind::Other { payload })
        };
        assert_ne!(
            EventKey::of("s", &other("1"), b"1"),
            EventKey::of("s", &other("2"), b"2")
        );
        let mut a = ended("c1");
        a.event_id = Some("evt-1".into());
        let mut b = ended("c2");
        b.event_id = Some("evt-1".into());
        assert_eq!(EventKey::of("s", &a, b"x"), EventKey::of("s", &b, b"y"));
    }

    #[test]
    fn the_window_is_bounded_and_forgets_failures() {
        let key = |n: u8| message_key([n; 32]);
        let mut window = Deduplicator::new(2);
        assert!(window.first_time(key(1)));
        assert!(!window.first_time(key(1)));
        assert!(window.first_time(key(2)));
        assert!(window.first_time(key(3)));
        assert_eq!(window.len(), 2);
        assert!(window.first_time(key(1)), "the oldest was forgotten");
        window.forget(&key(3));
        assert!(window.first_time(key(3)));
    }

    #[test]
    fn a_key_is_in_flight_until_settled() {
        let key = |n: u8| message_key([n; 32]);
        let mut window = Deduplicator::new(8);
        let one = first(window.begin(key(1)));
        assert_eq!(one.key(), key(1));
        assert_eq!(window.begin(key(1)), Admission::InFlight);
        window.delivered(one);
        assert_eq!(window.begin(key(1)), Admission::Delivered);
        assert!(!window.first_time(key(1)));
        // A failed first delivery lets the next one through.
        let two = first(window.begin(key(2)));
        window.failed(two);
        let _two_again = first(window.begin(key(2)));
        assert_eq!(window.len(), 2);
        // Settling a key the window no longer holds changes nothing.
        let nine = first(window.begin(key(9)));
        window.forget(&key(9));
        window.delivered(nine);
        let _nine_again = first(window.begin(key(9)));
    }

    #[test]
    fn a_key_in_flight_outlives_the_capacity_until_settled() {
        let key = |n: u8| message_key([n; 32]);
        let mut window = Deduplicator::new(2);
        let one = first(window.begin(key(1)));
        for n in 2..=5 {
            assert!(window.first_time(key(n)));
        }
        // Still in flight: its redelivery is not run beside it.
        assert_eq!(window.begin(key(1)), Admission::InFlight);
        assert_eq!(window.len(), 3, "the capacity, plus the key in flight");
        assert!(
            window.first_time(key(2)),
            "the oldest delivered key was forgotten"
        );
        // Delivered now: the newest, forgotten after two more.
        window.delivered(one);
        assert_eq!(window.begin(key(1)), Admission::Delivered);
        assert!(window.first_time(key(6)));
        assert!(window.first_time(key(7)));
        let _settled_then_forgotten = first(window.begin(key(1)));
    }

    #[test]
    fn young_keys_stay_beyond_the_capacity_up_to_the_ceiling() {
        let key = |n: u8| message_key([n; 32]);
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let mut window = Deduplicator::new(2).keeping_for(Duration::from_secs(300), 4);
        for n in 1..=4 {
            let ticket = first(window.begin(key(n)));
            window.delivered_at(&ticket.key(), at(u64::from(n)));
        }
        // Four keys against a capacity of two: none is five minutes old yet.
        assert_eq!(window.len(), 4);
        assert_eq!(window.begin(key(1)), Admission::Delivered);
        // A fifth, young too: over the ceiling, the oldest goes whatever its age.
        let five = first(window.begin(key(5)));
        window.delivered_at(&five.key(), at(5));
        assert_eq!(window.len(), 4);
        let beyond_the_ceiling = first(window.begin(key(1)));
        window.failed(beyond_the_ceiling);
        // Ten minutes on, the old keys go down to the capacity, the oldest first.
        let six = first(window.begin(key(6)));
        window.delivered_at(&six.key(), at(600));
        assert_eq!(window.len(), 2);
        assert_eq!(window.begin(key(5)), Admission::Delivered);
        let _old_beyond_the_capacity = first(window.begin(key(4)));
    }

    #[test]
    fn without_a_least_age_the_capacity_rules() {
        let key = |n: u8| message_key([n; 32]);
        let mut window = Deduplicator::new(2).keeping_for(Duration::ZERO, 100);
        for n in 1..=3 {
            assert!(window.first_time(key(n)));
        }
        assert_eq!(window.len(), 2);
        assert!(window.first_time(key(1)), "the oldest was forgotten");
    }

    /// Message events past the ceiling (speech updates, partial transcripts) never push a
    /// call's end out of the window: lifecycle keys have their own share, bounded too.
    #[test]
    fn a_flood_of_messages_does_not_push_out_a_call_s_end() {
        let start = Instant::now();
        let later = start + Duration::from_secs(1);
        let mut window = Deduplicator::new(2).keeping_for(Duration::from_secs(300), 4);
        let end = EventKey::of("sales", &ended("c1"), b"{}");
        let _end = first(window.begin(end));
        window.delivered_at(&end, start);
        for n in 0..100 {
            let key = message_key([n; 32]);
            let _message = first(window.begin(key));
            window.delivered_at(&key, later);
        }
        assert_eq!(window.begin(end), Admission::Delivered);
        assert_eq!(window.len(), 5, "the messages' ceiling, and the end");
        // Lifecycle keys are held to the same ceiling, apart.
        for n in 2..12 {
            let key = EventKey::of("sales", &ended(&format!("c{n}")), b"{}");
            let _end = first(window.begin(key));
            window.delivered_at(&key, later);
        }
        assert_eq!(window.len(), 8);
        let _beyond_its_own_ceiling = first(window.begin(end));
    }

    /// Many deliveries in flight at once cost each new one nothing more: the window's
    /// order holds delivered keys only.
    #[test]
    fn keys_in_flight_stay_out_of_the_order() {
        let key = |n: u32| {
            let mut bytes = [0; 32];
            bytes[..4].copy_from_slice(&n.to_le_bytes());
            message_key(bytes)
        };
        let mut window = Deduplicator::new(4);
        let tickets: Vec<Ticket> = (0..1_000).map(|n| first(window.begin(key(n)))).collect();
        assert!(window.order.iter().all(VecDeque::is_empty));
        assert_eq!(window.len(), 1_000);
        for ticket in tickets {
            window.failed(ticket);
        }
        assert!(window.is_empty());
    }
}
