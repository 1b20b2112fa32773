//! The inbound side: verifying webhook deliveries and keeping redeliveries out.
//!
//! Framework-free: [`verify()`] (or a [`Verifier`] built from a provider's
//! `[providers.NAME.webhook]` table, a [`WebhookConfig`]) checks that a delivery comes from
//! the vendor; the provider's [`Codec`](crate::Codec) turns the body into a
//! [`CallEvent`](crate::CallEvent); a [`Deduplicator`] keyed on [`EventKey`] lets each event
//! through once. The `voiceport` crate's `axum` feature puts the three behind one router.
//!
//! A key is settled only once the work is done: [`begin`](Deduplicator::begin) admits it
//! with a [`Ticket`], which [`delivered`](Deduplicator::delivered) hands back when the
//! work succeeded and [`failed`](Deduplicator::failed) when it failed, letting the
//! vendor's retry through ([`first_time`](Deduplicator::first_time) records a key at once:
//! only for work that cannot fail). A window shared behind a mutex is locked to begin and
//! again to settle, not across the work. Work dropped before it settles its key (a timeout
//! around it, a panic) leaves the key in flight: its redeliveries are answered as in
//! flight until the window's [in-flight limit](Deduplicator::in_flight_for) passes, then
//! admitted again under a new ticket, which the old one's late settling leaves alone.
//!
//! ```
//! use serde_json::Value;
//! use voiceport_core::webhook::{Admission, Deduplicator, EventKey, Verifier, tool_call_answer};
//! use voiceport_core::{CallEvent, Codec};
//!
//! /// The status to answer with, and a body for a request the vendor waits on.
//! fn on_delivery(
//!     codec: &dyn Codec,
//!     verifier: &Verifier,
//!     window: &mut Deduplicator,
//!     headers: &http::HeaderMap,
//!     body: &[u8],
//!     work: impl FnOnce(&CallEvent) -> Result<(), String>,
//! ) -> (u16, Option<Value>) {
//!     if verifier.verify(headers, body).is_err() {
//!         return (401, None);
//!     }
//!     let Ok(event) = codec.decode_webhook(body) else { return (400, None) };
//!     if event.expects_reply {
//!         // A request the vendor waits on (a tool call) is answered every time, a retry
//!         // included, with a body: never de-duplicated into a 204.
//!         let answer = tool_call_answer(codec.kind(), &event, |_| Err("no such tool".into()));
//!         return answer.map_or((204, None), |body| (200, Some(body)));
//!     }
//!     let key = EventKey::of("support", &event, body);
//!     let ticket = match window.begin(key) {
//!         Admission::First(ticket) => ticket,
//!         Admission::Delivered => return (204, None),
//!         // Still being handled: acknowledging it would lose the event should that fail.
//!         Admission::InFlight => return (503, None),
//!     };
//!     match work(&event) {
//!         Ok(()) => {
//!             window.delivered(ticket);
//!             (204, None)
//!         }
//!         Err(_) => {
//!             // Not recorded: the vendor's retry goes through.
//!             window.failed(ticket);
//!             (500, None)
//!         }
//!     }
//! }
//! ```
//!
//! Events for one call may arrive out of order (an end before an in-progress, a retried
//! status after the end). Each event names its call
//! ([`CallEvent::call_id`](crate::CallEvent::call_id)) and, where the vendor says, when it
//! happened ([`CallEvent::occurred_at`](crate::CallEvent::occurred_at)); keep per call the
//! latest state, and never let a non-terminal status replace a terminal one
//! ([`CallStatus::is_terminal`](crate::CallStatus::is_terminal)). An event without a time
//! never moves a call back from a terminal state, and on equal times a terminal status
//! wins. An end event's call never has a live status; a second end event of one call
//! (Retell's `call_analyzed` after `call_ended`) adds to the first: keep what either says.
//! [`CallState`] keeps one call by these rules.

mod answer;
mod config;
mod dedup;
mod encoding;
mod forwarded;
mod hint;
mod payload;
mod rule;
mod sign;
mod state;
mod vendor;
mod verify;

pub use answer::tool_call_answer;
pub use config::{HmacAlgorithm, Scheme, SignatureEncoding, WebhookConfig};
pub use dedup::{
    Admission, DEFAULT_IN_FLIGHT_LIMIT, DEFAULT_KEEP_FOR, DEFAULT_WINDOW, Deduplicator, EventKey,
    Ticket, WINDOW_CEILING,
};
pub use forwarded::Forwarded;
pub use hint::scheme_hint;
pub use state::CallState;
pub use vendor::VendorWebhooks;
pub use verify::{
    DEFAULT_TOLERANCE_SECS, HeadChecked, SHORT_SECRET_BELOW, Verifier, VerifyError, header_map,
    verify,
};

/// The headers [`verify()`] and [`Verifier`] read (the `http` crate's, as axum, hyper and
/// most Rust web frameworks hand them over), with what builds one.
pub use http::{HeaderMap, HeaderName, HeaderValue};
