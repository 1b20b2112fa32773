//! The [Voicebot Studio](https://voicebot.studio) adapter of voiceport: a white-labelled
//! [Vapi](https://vapi.ai), whose call model it shares.
//!
//! ```
//! use voiceport_core::{CallStatus, Codec, EndReasonCategory, ProviderKind};
//! use voiceport_voicebot::VoicebotCodec;
//!
//! // A call as `GET /calls/{call_id}` returns it (Vapi's camelCase model).
//! let body = br#"{
//!     "id": "019cf72b-2008-72f2-9228-bc1f965cbb09",
//!     "type": "outboundPhoneCall",
//!     "status": "ended",
//!     "endedReason": "customer-busy",
//!     "customer": {"number": "+15125550173"},
//!     "startedAt": null
//! }"#;
//! let call = VoicebotCodec.decode_call(body)?;
//! assert_eq!(call.provider, ProviderKind::Voicebot);
//! assert_eq!(call.status, CallStatus::Busy);
//! assert_eq!(call.vendor_status.as_deref(), Some("ended"));
//! let reason = call.end_reason.as_ref().unwrap();
//! assert_eq!(reason.category, EndReasonCategory::Busy);
//! assert_eq!(reason.vendor.as_deref(), Some("customer-busy"));
//! assert_eq!(call.to.as_deref(), Some("+15125550173"));
//! // Nothing is lost: the vendor JSON is kept byte for byte.
//! assert!(call.vendor_payload().unwrap().get().contains("customer-busy"));
//! # Ok::<(), voiceport_core::Error>(())
//! ```
//!
//! What it covers (reference §2):
//!
//! | Operation | Endpoint | Source |
//! | --- | --- | --- |
//! | `get_call` | `GET /calls/{call_id}` | path inferred (page not captured) |
//! | `list_calls` | `GET /calls` (bare array; Vapi's `limit`, `createdAtLt`, `createdAtGe`, `assistantId` sent, every filter also applied client-side) | documented; parameters inferred |
//! | `dial` | `POST /calls` (Vapi `CreateCallDTO`) | documented; body inferred |
//! | `update_call` (name only) | `PATCH /calls/{call_id}` `{name}` | documented |
//! | `delete_call` | `DELETE /calls/{call_id}` | documented |
//! | `transcript`, `recording` | from the call | — |
//! | `parse_webhook` | Vapi server messages | inferred (VS relays Vapi's) |
//!
//! The client is [`Voicebot`] (options: [`VoicebotOptions`]); [`VoicebotCodec`] normalizes
//! vendor JSON without a key or a network. How every status and end reason is normalized,
//! and what each webhook message becomes, is in `docs/vendors/voicebot.md` in the
//! repository.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

mod client;
mod codec;
mod config;
mod map;
mod webhook;
mod wire;

pub use client::Voicebot;
pub use codec::VoicebotCodec;
pub use config::{DEFAULT_BASE_URL, VoicebotOptions};
