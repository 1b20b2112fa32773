//! The Vapi-family adapter of voiceport: [Vapi](https://vapi.ai) (`kind = "vapi"`) and
//! [Voicebot Studio](https://voicebot.studio) (`kind = "voicebot"`), a white-labelled Vapi
//! whose call model, statuses, end reasons, messages and server messages are Vapi's.
//!
//! One implementation serves both; a [`Flavor`] holds what differs (base URL, auth header,
//! paths, id shape, capabilities).
//!
//! ```
//! use voiceport_core::{CallStatus, Codec, EndReasonCategory, ProviderKind};
//! use voiceport_voicebot::{VapiCodec, VoicebotCodec};
//!
//! // A call as `GET /call/{id}` returns it.
//! let body = br#"{
//!     "id": "019cf72b-2008-72f2-9228-bc1f965cbb09",
//!     "orgId": "6b1f3c0e-7d2a-4b8e-9f4c-2a7e5d9b1c30",
//!     "type": "outboundPhoneCall",
//!     "status": "ended",
//!     "endedReason": "customer-busy",
//!     "customer": {"number": "+15125550173"},
//!     "createdAt": "2026-03-16T15:02:04.552Z",
//!     "updatedAt": "2026-03-16T15:02:31.020Z"
//! }"#;
//! let call = VapiCodec.decode_call(body)?;
//! assert_eq!(call.provider, ProviderKind::Vapi);
//! assert_eq!(call.status, CallStatus::Busy);
//! assert_eq!(call.vendor_status.as_deref(), Some("ended"));
//! let reason = call.end_reason.as_ref().unwrap();
//! assert_eq!(reason.category, EndReasonCategory::Busy);
//! assert_eq!(reason.vendor.as_deref(), Some("customer-busy"));
//! assert_eq!(call.to.as_deref(), Some("+15125550173"));
//! // Nothing is lost: the vendor JSON is kept byte for byte.
//! assert!(call.vendor_payload().unwrap().get().contains("customer-busy"));
//! // Voicebot Studio's calls read the same, and name their own vendor.
//! assert_eq!(VoicebotCodec.decode_call(body)?.provider, ProviderKind::Voicebot);
//! # Ok::<(), voiceport_core::Error>(())
//! ```
//!
//! What it covers (Vapi paths; Voicebot Studio's are under `/api/v1` and plural, `/calls`):
//!
//! | Operation | Endpoint | Vapi | Voicebot Studio |
//! | --- | --- | --- | --- |
//! | `get_call` | `GET /call/{id}` | documented | path inferred |
//! | `list_calls` | `GET /call` (bare array; `limit`, `createdAtLt`, `createdAtGe`, `assistantId`; every filter also applied client-side) | documented | path documented, parameters inferred |
//! | `dial` | `POST /call` (`CreateCallDTO`) | documented | path documented, body inferred |
//! | `update_call` (name only) | `PATCH /call/{id}` `{name}` | documented | documented |
//! | `delete_call` | `DELETE /call/{id}` | documented | documented |
//! | `end_call` | `POST {monitor.controlUrl}` `{"type": "end-call"}` | documented | unsupported |
//! | `transcript`, `recording` | from the call | — | — |
//! | `parse_webhook` | server messages | documented | inferred (relays Vapi's) |
//! | the assistant's number of a call read; [`Vapi::phone_number`] | `GET /phone-number/{id}` (the client's reads look each id up and keep it; the codecs make no request and leave it empty) | documented | unsupported |
//!
//! The client is [`Vapi`] ([`Voicebot`] is the same type; options: [`VapiOptions`]);
//! [`VapiCodec`] and [`VoicebotCodec`] normalize vendor JSON without a key or a network.
//! How every status and end reason is normalized, and what each webhook message becomes, is
//! in [docs/vendors/voicebot.md](https://github.com/voiceport/voiceport/blob/main/docs/vendors/voicebot.md) and
//! [docs/vendors/vapi.md](https://github.com/voiceport/voiceport/blob/main/docs/vendors/vapi.md) in the repository.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
// docs.rs builds with `--cfg docsrs`: feature-gated items show which feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod codec;
mod config;
mod map;
mod number_book;
mod webhook;
mod wire;

pub use client::{Vapi, Voicebot};
pub use codec::{VapiCodec, VoicebotCodec};
pub use config::{Flavor, VAPI_BASE_URL, VOICEBOT_BASE_URL, VapiOptions, VoicebotOptions};
