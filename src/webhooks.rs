//! Receiving webhooks: verified, normalized, delivered once.
//!
//! The framework-free parts come from `voiceport-core`: [`verify`] / [`Verifier`] (is this
//! delivery from the vendor?), [`Deduplicator`] / [`EventKey`] (have we seen it?),
//! [`codec`](crate::codec) turns the body into a [`CallEvent`](crate::CallEvent),
//! [`CallState`] keeps a call's latest state, and [`tool_call_answer`] builds the answer to
//! a Vapi tool call (docs/webhooks.md, "Another web framework", puts them together). The
//! rest needs the `axum` feature: `Receiver`, `ReceiverBuilder`, `Delivery`,
//! `HandlerError`, `HandlerResult`, `RunningHandlers`, the re-exported `axum` and the
//! receiver's `DEFAULT_BODY_LIMIT`, `DEFAULT_BODY_TIMEOUT`, `DEFAULT_HANDLED_BODY_BUDGET`,
//! `DEFAULT_PATH`, `DEFAULT_REPLY_TIMEOUT` and `DEFAULT_UNVERIFIED_BODY_BUDGET`. With it,
//! [`Receiver`] puts them behind one router that serves
//! `POST /webhooks/{provider}` for every provider of a [`Registry`](crate::Registry) that
//! has a `[providers.NAME.webhook]` table:
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = voiceport::Registry::from_toml_str(r#"
//!     [providers.support]
//!     kind = "voicebot"
//!     api_key_env = "VOICEBOT_API_KEY"
//!     [providers.support.webhook]
//!     secret_env = "VOICEBOT_WEBHOOK_SECRET"   # checked against X-Vapi-Secret
//! "#)?;
//! let (router, mut events) = voiceport::webhooks::Receiver::builder(&registry).channel(256)?;
//! tokio::spawn(async move {
//!     while let Some(delivery) = events.recv().await {
//!         println!("{} {} {:?}", delivery.provider_name, delivery.event.vendor_event, delivery.event.call_id());
//!     }
//! });
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! voiceport::webhooks::axum::serve(listener, router).await?;
//! # Ok(()) }
//! ```
//!
//! Replies: 204 once the event is accepted (or recognised as a duplicate of one already
//! accepted), 401 when the delivery fails verification (with a fixed body: the reason is
//! logged), 400 when its body does not parse, 403 for a browser's request (`Origin` or
//! `Sec-Fetch-Site`) to a provider that verifies nothing, 404 for a provider that is not
//! served, 405 for a method other than POST, 408
//! when the body is still arriving after the builder's `body_timeout`, 413 over the body
//! cap (at once when `Content-Length` says so), 415 for a body with a
//! `Content-Encoding` other than `identity` (none is decoded), 503 with `Retry-After` when
//! the provider's bodies still arriving or not yet verified and decoded are at its budget
//! (the builder's `unverified_body_budget`, one for each provider) or the deliveries being
//! handled at the receiver's (`handled_body_budget`), 500 or 503 when the application could
//! not take the event (so that a vendor that retries sends it again, and the retry goes
//! through; the application's message is logged, not sent). A duplicate that arrives while
//! the first delivery is still being handled gets 503 with `Retry-After: 1`: acknowledging
//! it could lose the event, should the first still fail (the event is then forgotten, so
//! the next retry goes through). A handler the vendor hung up on runs on to its end, and
//! its retries meanwhile get 503: a vendor whose retries are few (Retell's three) may spend
//! them all on a slow handler, and should that handler then fail, the event is not
//! delivered (a warning naming the provider and the event says so).
//!
//! A delivery the vendor waits on for an answer in the body (Vapi's `tool-calls` and
//! `assistant-request`, Retell's inbound webhook:
//! [`CallEvent::expects_reply`](crate::CallEvent::expects_reply)) is handed to the
//! application every time, retries included, and answered 200 with what the application
//! passes to `Delivery::reply` (204 when it drops the delivery unanswered, 500 when its
//! handler fails (503 when the event channel is closed), 504 when the handler and the
//! reply outlast the receiver's reply timeout, or the body arrived after it).
//!
#![cfg_attr(feature = "axum", doc = "[`Receiver`]: Receiver")]
#![cfg_attr(not(feature = "axum"), doc = "[`Receiver`]: self")]

pub use voiceport_core::webhook::*;

#[cfg(feature = "axum")]
mod answer;
#[cfg(feature = "axum")]
mod body;
#[cfg(feature = "axum")]
mod delivery;
#[cfg(feature = "axum")]
mod receiver;
#[cfg(feature = "axum")]
mod refusals;
#[cfg(feature = "axum")]
mod running;
#[cfg(feature = "axum")]
mod serve;
/// The axum that [`Receiver`]'s router is built with: serve the router with this one's
/// `axum::serve` (or a server of the same axum major version).
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use axum;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use delivery::{Delivery, HandlerError, HandlerResult};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use receiver::{
    DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_HANDLED_BODY_BUDGET, DEFAULT_PATH,
    DEFAULT_REPLY_TIMEOUT, DEFAULT_UNVERIFIED_BODY_BUDGET, Receiver, ReceiverBuilder,
};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use running::RunningHandlers;
