//! [`Forwarded`]: one event as `voiceport listen` writes it, for the app that reads it.

use serde::{Deserialize, Serialize};

use crate::{CallEvent, ProviderKind};

/// One verified, normalized event as `voiceport listen --forward URL` posts it to a local
/// app (and as `listen --json` prints it, a line each, with `"forwarded": true|false` added
/// under `--forward`, which reading ignores): the event, its vendor and the name
/// of the provider it came through. An app written in Rust reads the body back with
/// serde_json:
///
/// ```
/// use voiceport_core::webhook::Forwarded;
/// use voiceport_core::{CallStatus, EventKind, ProviderKind};
///
/// // The body of one forward (its `Idempotency-Key` header tells redeliveries apart).
/// let body = br#"{"event": {"vendor_event": "status-update", "call_id": "c-1",
///     "occurred_at": "2026-03-19T17:20:07.746Z", "event": "status_changed",
///     "status": "in_progress", "vendor_status": "in-progress", "call": null},
///     "kind": "vapi", "provider": "support"}"#;
/// let forwarded: Forwarded = serde_json::from_slice(body)?;
/// assert_eq!(forwarded.kind, ProviderKind::Vapi);
/// assert_eq!(forwarded.event.status(), Some(CallStatus::InProgress));
/// assert!(matches!(forwarded.event.kind, EventKind::StatusChanged { .. }));
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// What does not come through: [`CallEvent::distinct_by`] (not written), and the exact
/// bytes of vendor payloads (an [`EventKind::Other`](crate::EventKind::Other) payload reads
/// back as the same JSON value, written compactly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Forwarded {
    /// What happened.
    pub event: CallEvent,
    /// The vendor that sent it.
    pub kind: ProviderKind,
    /// The provider's name in the configuration (`support`).
    pub provider: String,
}

impl Forwarded {
    /// `event`, received from `kind` through the provider named `provider`.
    pub fn new(event: CallEvent, kind: ProviderKind, provider: impl Into<String>) -> Self {
        Forwarded {
            event,
            kind,
            provider: provider.into(),
        }
    }
}
