//! The [HappyRobot](https://happyrobot.ai) adapter of voiceport (legacy app API,
//! `https://app.happyrobot.ai/api/v1`).
//!
//! ```
//! use voiceport_core::{CallStatus, Codec, Direction, EndReasonCategory, PayloadKind};
//! use voiceport_happyrobot::HappyRobotCodec;
//!
//! // A call as HappyRobot sends it (display-text enums, ISO timestamps)…
//! let body = br#"{
//!     "id": "69b175267a81a64cbcab5181",
//!     "type": "Outbound",
//!     "status": "No answer",
//!     "provider": "Twilio",
//!     "metadata": {"from": "+13125550142", "to": "+14695550187", "tags": ["dry-van"]},
//!     "use_case": {"id": "690a36427a81a64cbcab4fd5", "name": "Outbound Load Coverage"},
//!     "agent": {"id": "683de93d7a81a64cbcab4f5b", "name": "Kate"},
//!     "created": "2026-03-10T15:42:07.318Z"
//! }"#;
//!
//! // …normalized by the codec (no key, no network), with the vendor JSON kept.
//! assert_eq!(HappyRobotCodec.detect(body), PayloadKind::Call);
//! let call = HappyRobotCodec.decode_call(body)?;
//! assert_eq!(call.status, CallStatus::NoAnswer);
//! assert_eq!(call.vendor_status.as_deref(), Some("No answer"));
//! assert_eq!(call.end_reason.as_ref().map(|r| r.category), Some(EndReasonCategory::NoAnswer));
//! assert_eq!(call.direction, Some(Direction::Outbound));
//! assert_eq!(call.to.as_deref(), Some("+14695550187"));
//! // The agent is the use case that ran the call ("Kate" is only its voice).
//! let agent = call.agent.as_ref().and_then(|a| a.name.as_deref());
//! assert_eq!(agent, Some("Outbound Load Coverage"));
//! assert!(call.vendor_payload().is_some());
//! # Ok::<(), voiceport_core::Error>(())
//! ```
//!
//! Connect with a [`ProviderConfig`](voiceport_core::ProviderConfig) of kind `happyrobot`
//! ([`HappyRobot::from_config`]); its `options` are [`HappyRobotOptions`] (`number_id`, the
//! number a dial without `phone_number_id` calls from; `use_case_id`; `organization_id` and
//! `usage_base_url` for the usage report).
//!
//! Beyond the `VoiceProvider` trait, [`HappyRobot`] has HappyRobot's own operations:
//! `set_viewed`, `set_rating`, `call_logs`, `call_tags`, `export_calls_csv` (by email),
//! `usage`, and `with_filters` for the
//! list filters only HappyRobot has. From the `Arc<dyn VoiceProvider>` the `voiceport`
//! crate connects, reach them with `provider.extension::<HappyRobot>()`.
//!
//! What maps where:
//! - both generations of the Call (current `use_case`, `agent`, `costs`,
//!   `transfer_contact_email`; older `assistant`, `questions`, `started`) and both status
//!   sets;
//! - the agent is the use case (older: the assistant) that ran the call, falling back to
//!   the agent object's name (a voice persona, *inferred*) only when neither is there, never
//!   its id, which names no use case; the agent filter is sent as `use_cases`, and a
//!   dial's `agent_id` as `use_case_id` (HappyRobot's own dial `agent_id`, a persona, goes
//!   through `DialRequest::extra`);
//! - older calls end at `started + duration`; a `Completed` call with a
//!   `transfer_contact_email` ended in a transfer ([`transfer_contact_email`] reads the
//!   email back);
//! - `metadata.custom` → [`Call::metadata`](voiceport_core::Call::metadata), `metadata.tags` → tags,
//!   `extraction` (and older `questions`) → `analysis.extracted`;
//! - an unreadable timestamp leaves its field empty and a warning on the call;
//! - transcripts come from their own endpoint, so listed calls carry none. A message's
//!   `start`/`end` is read as seconds from the call start when small, and as a unix time
//!   (seconds or milliseconds) when it is one: the docs say both;
//! - list filters HappyRobot cannot apply (kind, numbers) are applied after fetching; its
//!   own filters (models, ratings, transfer contact) come with [`HappyRobot::with_filters`];
//! - webhooks: the legacy use-case hooks (`start`, `end`) and the current platform's
//!   CloudEvents (`session.status_changed` → a status change of the session).

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
// docs.rs builds with `--cfg docsrs`: feature-gated items show which feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod codec;
mod config;
mod extension;
mod map;
mod webhook;
mod wire;

pub use client::HappyRobot;
pub use codec::HappyRobotCodec;
pub use config::{DEFAULT_BASE_URL, DEFAULT_USAGE_BASE_URL, HappyRobotOptions};
pub use extension::{
    CallFilters, RatingEmoji, RatingOperation, UsageRecord, transfer_contact_email,
};
