//! The [Retell AI](https://www.retellai.com) adapter of voiceport.
//!
//! ```
//! use voiceport_core::{CallStatus, Codec, EndReasonCategory, Speaker};
//! use voiceport_retell::RetellCodec;
//!
//! // The body of `GET /v2/get-call/{call_id}` (times in epoch milliseconds, cost in cents),
//! // decoded offline.
//! let body = br#"{
//!   "call_id": "call_5e2b9d0c41f87a36e9d1c0b4a7f2",
//!   "call_type": "phone_call",
//!   "agent_id": "agent_3f9a12c7e45b8d01f6a2c9e7b4",
//!   "call_status": "ended",
//!   "direction": "outbound",
//!   "from_number": "+14155550142",
//!   "to_number": "+16175550187",
//!   "start_timestamp": 1773157327318,
//!   "end_timestamp": 1773157389818,
//!   "duration_ms": 62500,
//!   "disconnection_reason": "user_hangup",
//!   "transcript_object": [
//!     {"role": "agent", "content": "Hi, this is Maya.",
//!      "words": [{"word": "Hi,", "start": 0.42, "end": 0.61}, {"word": "Maya.", "start": 1.2, "end": 1.55}]}
//!   ],
//!   "call_cost": {"combined_cost": 11.7, "product_costs": []}
//! }"#;
//! let call = RetellCodec.decode_call(body)?;
//! assert_eq!(call.status, CallStatus::Completed);
//! assert_eq!(call.vendor_status.as_deref(), Some("ended"));
//! assert_eq!(call.end_reason.as_ref().unwrap().category, EndReasonCategory::CustomerHungUp);
//! assert_eq!(call.duration_secs, Some(62.5));
//! assert_eq!(call.cost.as_ref().unwrap().total, Some(0.117)); // dollars
//! let first = &call.transcript.as_ref().unwrap().utterances[0];
//! assert_eq!((first.speaker.clone(), first.start_secs, first.end_secs), (Speaker::Agent, Some(0.42), Some(1.55)));
//! assert!(call.vendor_payload().is_some()); // the raw call, byte for byte
//! # Ok::<(), voiceport_core::Error>(())
//! ```
//!
//! Connect with [`Retell::from_config`] (or `voiceport::connect` with `kind = "retell"`),
//! vendor settings in [`RetellOptions`]; [`RetellCodec`] decodes Retell's JSON without a
//! key or a network. Base URL [`DEFAULT_BASE_URL`], auth `Authorization: Bearer <key>`,
//! call ids are opaque strings. What to know about Retell:
//!
//! * **Statuses:** `registered` is queued, `ongoing` in progress; `ended`, `not_connected`
//!   and `error` are read together with `disconnection_reason` (~35 values, matched by
//!   family: hang-ups, transfers, voicemail, dial failures, limits, `error_…`). A completed
//!   call whose analysis says `in_voicemail` is a voicemail. The full table is in
//!   [docs/vendors/retell.md](https://github.com/voiceport/voiceport/blob/main/docs/vendors/retell.md).
//! * **Times and money:** times are epoch milliseconds, durations milliseconds, costs cents:
//!   `Cost::total` is in dollars (`currency` `USD`, *inferred*: Retell does not write it
//!   on the call). Retell has no creation time; `created_at` is the start time.
//! * **Transcripts:** `transcript_with_tool_calls` (else `transcript_object`) with word
//!   timings for offsets, tool invocations and results as tool utterances. **List items
//!   carry no transcript**: fetch the call for it.
//! * **Listing** is `POST /v3/list-calls`, paged by `pagination_key`. The agent, call type (web
//!   or phone), direction, numbers, time range (on the start time) and sort order are sent, and so is
//!   `call_status` where every status asked for is one of Retell's (`in_progress` is
//!   `ongoing`, `canceled` is `not_connected`); statuses are checked client-side as well,
//!   and search is client-side.
//! * **Errors** are `{"status": "error", "message"}`; an unknown call id is a **422**,
//!   which this adapter reports as [`Error::NotFound`](voiceport_core::Error::NotFound).
//! * **Writes:** `dial` needs a caller id (`from_number`) and returns the new call (its
//!   id alone where the answer does not decode as a call);
//!   metadata updates replace (*inferred*: Retell does not say whether it merges; no
//!   name); `end_call` is stop-call, `delete_call`
//!   deletes the call and its data. No schedule, cancel or notes.
//! * **Webhooks** are `{event, call}` (`call_started`, `call_ended`, `call_analyzed`,
//!   `transcript_updated`, `transfer_*` …), signed with `X-Retell-Signature`; the signature
//!   is checked by `voiceport_core::webhook` (scheme `retell`), the body parsed by
//!   [`RetellCodec`].

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
// docs.rs builds with `--cfg docsrs`: feature-gated items show which feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod codec;
mod config;
mod map;
mod webhook;
mod wire;

pub use client::Retell;
pub use codec::RetellCodec;
pub use config::{DEFAULT_BASE_URL, RetellOptions};
