//! The [Rounded](https://callrounded.com) adapter of voiceport.
//!
//! ```
//! use voiceport_core::{CallStatus, Codec, Speaker};
//! use voiceport_rounded::RoundedCodec;
//!
//! // The body of `GET /v1/calls/{call_id}`, envelope included, decoded offline.
//! let body = br#"{
//!   "message": "Call retrieved successfully",
//!   "data": {
//!     "id": "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3",
//!     "type": "phone_call",
//!     "status": "completed",
//!     "answer_type": "voicemail",
//!     "start_time": "2026-03-23T18:04:11Z",
//!     "transcript": [
//!       {"role": "agent", "start_time": "2026-03-23T18:04:13Z", "content": "Hi, this is Ava."}
//!     ]
//!   },
//!   "error": null,
//!   "status": 200
//! }"#;
//! let call = RoundedCodec.decode_call(body)?;
//! assert_eq!(call.status, CallStatus::Voicemail);
//! assert_eq!(call.vendor_status.as_deref(), Some("completed"));
//! let first = &call.transcript.as_ref().unwrap().utterances[0];
//! assert_eq!(first.speaker, Speaker::Agent);
//! assert_eq!(first.start_secs, Some(2.0));
//! assert!(call.vendor_payload().is_some()); // the raw call object, byte for byte
//! # Ok::<(), voiceport_core::Error>(())
//! ```
//!
//! Connect with [`Rounded::from_config`] (or `voiceport::connect` with `kind = "rounded"`),
//! vendor settings in [`RoundedOptions`]; [`RoundedCodec`] decodes Rounded's JSON without
//! a key or a network. Base URL [`DEFAULT_BASE_URL`], auth header `X-Api-Key`, call ids
//! are UUIDs. What to know about Rounded:
//!
//! * **Every response is an envelope** `{message, data, error, status}`. Success is keyed on
//!   the HTTP status and on `data`; an `error` next to `data` (as the doc examples show on
//!   200s) is ignored. A 2xx with `data: null` and an `error` is an
//!   [`Error::InvalidRequest`](voiceport_core::Error::InvalidRequest) with the vendor's
//!   message and field details, where the body names no error status or, for a write,
//!   one that would say it was not applied (most 4xx): it carries the success status, so
//!   that its [`outcome`](voiceport_core::Error::outcome) is unknown. Otherwise it is the
//!   error the named status stands for (on a read, 404 not found …; a 5xx, or a dial's
//!   409, on a write too).
//! * **`dial` returns the new call's id only** (`DialOutcome::call` is `None`): voiceport
//!   does not fetch the call, because a dial must stay a single request. `dial` needs a
//!   caller id (`from_number`) and an agent: from the request, or from the options.
//! * **Statuses:** only `created` and `completed` are documented; the rest of the table is
//!   inferred. Rounded documents no end reason: it is read from what the call says. A
//!   completed call answered by a machine (`answer_type` `voicemail`, `machine_…`,
//!   `answering_machine`, a phone menu's `ivr` or `ivr_…`, inferred) is `Voicemail`; one with
//!   `redirect_duration_seconds > 0` was handed over (*inferred*: Rounded does not say what
//!   the field counts, and its own example call has 5 seconds of it): it stays
//!   `Completed`, as Rounded says, with a `Transferred` end reason; any other
//!   answer type but `human` (`fax` …) is kept as an `Other` end reason. The full table is
//!   in
//!   [docs/vendors/rounded.md](https://github.com/voiceport/voiceport/blob/main/docs/vendors/rounded.md).
//! * **Listing** pages by cursor (default) or page number ([`Paging`]). `direction`,
//!   `statuses` and `search` are filtered client-side; the agent, kind and numbers,
//!   which Rounded filters, are checked again where a call names another. The time range is sent on
//!   `start_time` (`since` as `start_time_gt` one millisecond earlier, since Rounded's
//!   filter is exclusive and `since` is not) and checked again on each call's start time,
//!   the field Rounded filters on. A call without one (it never connected) is kept, not
//!   dropped, unless its end proves it began before `since`. Rounded documents no creation
//!   time for calls: `created_at` is a `created_at` Rounded sends, else `start_time`.
//! * **Recordings** are pre-signed S3 URLs; their expiry (`X-Amz-Date` + `X-Amz-Expires`)
//!   fills `Recording::expires_at`. Fetch the call again for a fresh URL.
//! * **Webhook payloads are undocumented**: [`RoundedCodec`] accepts the likely shapes (the
//!   event name under `event` or `type`, the call under `data`, `data.call` or `call`),
//!   keeps any other delivery whole as `EventKind::Other`, and checks no signature
//!   (Rounded documents none).
//! * Metadata updates merge (`override: false`) or replace (`override: true`); calls have no
//!   name. There is no cancel, delete or notes endpoint.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
// docs.rs builds with `--cfg docsrs`: feature-gated items show which feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod codec;
mod config;
mod map;
mod webhook;
mod wire;

pub use client::Rounded;
pub use codec::RoundedCodec;
pub use config::{DEFAULT_BASE_URL, Paging, RoundedOptions};
