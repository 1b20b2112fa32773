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
/// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
/// use voiceport::webhooks::Forwarded;
/// use voiceport::{CallStatus, EventKind, ProviderKind};
///
/// // The body of one forward (its `Idempotency-Key` header tells redeliveries apart).
/// let body = br#"{"event": {"vendor_event": "status-update", "call_id": "c-1",
///     "occurred_at": "2026-03-19T17:20:07.746Z", "event": "status_changed",
///     "status": "in_progress", "vendor_status": "in-progress", "call": null},
///     "kind": "vapi", "provider_name": "support"}"#;
/// let forwarded: Forwarded = serde_json::from_slice(body)?;
/// assert_eq!(forwarded.provider, ProviderKind::Vapi);
/// assert_eq!(forwarded.provider_name, "support");
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
    /// The vendor that sent it (written `kind`, as a provider's configuration names it).
    #[serde(rename = "kind")]
    pub provider: ProviderKind,
    /// The provider's name in the configuration (`support`). Read from `provider` too, the
    /// key `listen` wrote before it said `provider_name`.
    #[serde(alias = "provider")]
    pub provider_name: String,
}

impl Forwarded {
    /// `event`, received through the provider named `provider_name`, of the vendor
    /// `provider` (the order of [`Delivery::new`](https://docs.rs/voiceport/latest/voiceport/webhooks/struct.Delivery.html#method.new)).
    pub fn new(provider_name: impl Into<String>, provider: ProviderKind, event: CallEvent) -> Self {
        Forwarded {
            event,
            provider,
            provider_name: provider_name.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An app built against an older `listen`, which wrote the name as `provider`, still
    /// reads its body; what is written is `provider_name`.
    #[test]
    fn the_name_is_read_under_its_old_key_too() {
        let event = r#"{"vendor_event": "hang", "call_id": null, "occurred_at": null,
            "event": "other", "payload": {}}"#;
        let old = format!(r#"{{"event": {event}, "kind": "vapi", "provider": "support"}}"#);
        let read: Forwarded = serde_json::from_str(&old).unwrap();
        assert_eq!(read.provider_name, "support");
        let written = serde_json::to_value(&read).unwrap();
        assert_eq!(written["provider_name"], "support");
        assert!(written.get("provider").is_none(), "{written}");
    }
}
