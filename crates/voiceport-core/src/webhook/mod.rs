//! The inbound side: verifying webhook deliveries and keeping redeliveries out.
//!
//! Framework-free: [`verify`] (or a [`Verifier`] built from a provider's
//! `[providers.NAME.webhook]` table, a [`WebhookConfig`]) checks that a delivery comes from
//! the vendor; the provider's [`Codec`](crate::Codec) turns the body into a
//! [`CallEvent`](crate::CallEvent); a [`Deduplicator`] keyed on [`EventKey`] lets each event
//! through once. The `voiceport` crate's `axum` feature puts the three behind one router.
//!
//! ```
//! use voiceport_core::webhook::{Deduplicator, EventKey, Verifier, WebhookConfig};
//! use voiceport_core::{Codec, ProviderKind};
//!
//! fn on_delivery(
//!     codec: &dyn Codec,
//!     verifier: &Verifier,
//!     window: &mut Deduplicator,
//!     headers: &http::HeaderMap,
//!     body: &[u8],
//! ) -> u16 {
//!     if verifier.verify(headers, body).is_err() {
//!         return 401;
//!     }
//!     let Ok(event) = codec.decode_webhook(body) else { return 400 };
//!     if window.first_time(EventKey::of("support", &event, body)) {
//!         println!("{:?} {}", event.call_id(), event.vendor_event);
//!     }
//!     204
//! }
//! ```
//!
//! Events for one call may arrive out of order (an end before an in-progress, a retried
//! status after the end). Each event names its call ([`CallEvent::call_id`](crate::CallEvent::call_id))
//! and, where the vendor says, when it happened ([`CallEvent::occurred_at`](crate::CallEvent::occurred_at));
//! keep per call the latest state, and never let a non-terminal status replace a terminal
//! one ([`CallStatus::is_terminal`](crate::CallStatus::is_terminal)).

mod config;
mod dedup;
mod forwarded;
mod payload;
mod verify;

pub use config::{HmacAlgorithm, Scheme, SignatureEncoding, WebhookConfig};
pub use dedup::{Admission, Deduplicator, EventKey};
pub use forwarded::Forwarded;
pub use verify::{DEFAULT_TOLERANCE_SECS, HeadChecked, Verifier, VerifyError, verify};

/// The headers [`verify`] and [`Verifier`] read (the `http` crate's, as axum, hyper and
/// most Rust web frameworks hand them over), with what builds one.
pub use http::{HeaderMap, HeaderName, HeaderValue};
