//! Webhook deliveries, normalized.

use serde::Serialize;

use crate::{Call, CallId, CallStatus, Utterance, VendorPayload};

/// What a vendor's webhook delivery says happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallEvent {
    /// A call started.
    Started {
        /// The call as the vendor sent it.
        call: Box<Call>,
    },
    /// A call's status changed.
    StatusChanged {
        /// Which call.
        call_id: CallId,
        /// The new normalized status.
        status: CallStatus,
        /// The vendor's status string.
        vendor_status: Option<String>,
        /// The call, when the delivery includes it.
        call: Option<Box<Call>>,
    },
    /// A call ended; the call carries its outcome, transcript and analysis.
    Ended {
        /// The call as the vendor sent it.
        call: Box<Call>,
    },
    /// A new piece of transcript.
    TranscriptUpdate {
        /// Which call, when the delivery says.
        call_id: Option<CallId>,
        /// What was said.
        utterance: Utterance,
    },
    /// Any other delivery, kept whole.
    Other {
        /// The vendor's event type.
        event_type: String,
        /// Which call, when the delivery says.
        call_id: Option<CallId>,
        /// The delivery's JSON.
        payload: VendorPayload,
    },
}

impl CallEvent {
    /// The call id the event concerns, where known.
    pub fn call_id(&self) -> Option<&CallId> {
        match self {
            CallEvent::Started { call } | CallEvent::Ended { call } => Some(&call.id),
            CallEvent::StatusChanged { call_id, .. } => Some(call_id),
            CallEvent::TranscriptUpdate { call_id, .. } | CallEvent::Other { call_id, .. } => {
                call_id.as_ref()
            }
        }
    }
}
