//! The port of [voiceport](https://docs.rs/voiceport): one call model, one trait, one error
//! type and one HTTP stack for every voice-AI vendor.
//!
//! Applications normally use the `voiceport` facade crate, which re-exports what they use
//! from here (the model, the trait, the error, the codec, the configuration) and adds
//! `connect`, `codec`, the registry and the webhook receiver. Adapter crates build on this crate
//! alone: the HTTP toolkit (`http`) and the adapter helpers (`adapter`) are here only.
//!
//! ```
//! use voiceport_core::{Call, CallId, CallQuery, CallStatus, Direction, ProviderKind};
//!
//! // A normalized call, as every adapter produces it.
//! let mut call = Call::new(CallId::new("65a1f0c2b3d4e5f601234567"), ProviderKind::HappyRobot);
//! call.status = CallStatus::Completed;
//! call.vendor_status = Some("Completed".into());
//! call.direction = Some(Direction::Outbound);
//!
//! // A status filter means the same for every vendor: it matches the normalized status.
//! let query = CallQuery { statuses: vec![CallStatus::Completed], ..Default::default() };
//! assert!(query.matches(&call));
//!
//! // The normalized form is stable JSON (the vendor payload stays out of it).
//! let json = serde_json::to_value(&call).unwrap();
//! assert_eq!(json["status"], "completed");
//! assert_eq!(json["vendor_status"], "Completed");
//! ```
//!
//! The examples on the items the `voiceport` facade re-exports use the facade's paths
//! (`voiceport::Call`, `voiceport::webhooks::Verifier`); the same items sit at this crate's
//! root, except the webhook items: `voiceport::webhooks` re-exports [`webhook`] and adds
//! the `axum` receiver.
//!
//! What lives here:
//! - the model: [`Call`], [`Transcript`], [`CallStatus`], [`EndReason`], [`CallEvent`] …;
//! - the port: [`VoiceProvider`], [`Capabilities`], [`VoiceProviderExt`] (streams, waiting);
//! - requests: [`CallQuery`], [`DialRequest`], [`CallUpdate`], [`NoteInput`], [`NoteUpdate`];
//! - paging: [`PageCursor`], [`CallPage`];
//! - errors: [`Error`], with [`Error::is_retryable`] and [`Error::outcome`];
//! - configuration: [`ProviderConfig`], [`ProvidersFile`];
//! - decoding without a network: [`Codec`], [`PayloadKind`];
//! - webhooks: [`webhook`] (the [`webhook::Verifier`], the [`webhook::Deduplicator`], the
//!   [`webhook::WebhookConfig`]);
//! - stopping dials on a signal: [`Interrupt`];
//! - behind features, all off by default: `conformance` (the suite every provider must
//!   pass), `insta` (`snapshot::insta_settings`), `testing` (what adapters' tests share),
//!   `native-roots` (trust the operating system's certificate store too);
//! - for adapter authors: [`adapter`] (the [`adapter::Adapter`] trait behind the capability
//!   guard, and mapping helpers) and [`http`] (auth, retries, timeouts, body cap, decoding).
//!   These two, like `testing`, serve voiceport's own adapter crates, released with core
//!   at one version: they change in any minor release as the adapters need, and are not
//!   meant for applications (the facade does not re-export them).

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
// docs.rs builds with `--cfg docsrs`: feature-gated items show which feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapter;
mod codec;
mod config;
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
mod error;
mod event;
mod find_dialed;
pub mod http;
mod ids;
mod interrupt;
mod kind;
mod model;
mod name_error;
mod open_enum;
mod paging;
mod provider;
mod request;
mod route;
mod secret_mask;
pub mod snapshot;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod wait;
pub mod webhook;

pub use codec::{Codec, Decoded, EachCall, PayloadKind, dial_outcome, dial_outcome_of, json_shape};
pub use config::{ProviderConfig, ProvidersFile, RetrySettings};
pub use error::{Error, ErrorSource, FieldError, RequestOutcome, Result, chain_text};
pub use event::{CallEvent, EventKind};
pub use ids::{AgentId, CallId, CampaignId, IdFormat, NoteId, OrganizationId, is_path_segment};
pub use interrupt::Interrupt;
pub use kind::{Filter, Operation, ProviderKind};
pub use model::*;
pub use name_error::UnknownNameError;
pub use paging::{
    CallPage, MAX_CURSOR_TOKEN_BYTES, PageCursor, PageIds, SeenCursors, call_stream, page_stream,
};
pub use provider::{Capabilities, VoiceProvider, VoiceProviderExt};
pub use request::{
    CallQuery, CallUpdate, DialOutcome, DialRequest, MetadataMode, NoteInput, NoteUpdate, SortOrder,
};
pub use route::{RouteConfig, RoutePolicy};
pub use secret_mask::SecretMask;
pub use wait::Wait;

// Re-exported so adapters and users name the same versions.
pub use async_trait::async_trait;
pub use bytes::Bytes;
pub use secrecy::{ExposeSecret, SecretString};
pub use url;

#[doc(hidden)]
pub mod __private {
    pub use crate::adapter::number::arbitrary_precision_text;
    pub use serde;
}
