//! The sandbox as an [`Environment`] of the conformance suite (which lives in
//! `voiceport::conformance` and runs against live accounts too).
//!
//! ```no_run
//! # mod voiceport { pub use voiceport_core::*; pub mod webhooks { pub use voiceport_core::webhook::*; } }
//! # async fn run(provider: std::sync::Arc<dyn voiceport::VoiceProvider>, sandbox: &voiceport_sandbox::Sandbox) {
//! use voiceport_sandbox::conformance::SandboxEnv;
//! let report = voiceport::conformance::run(provider.as_ref(), &SandboxEnv::new(sandbox)).await;
//! println!("{report}");
//! # }
//! ```

use std::time::Duration;

use voiceport_core::conformance::Environment;
use voiceport_core::{CallId, ProviderKind};

use crate::Sandbox;

/// Everything the suite may do here: dial (a number that completes, one that is busy, one
/// whose call lasts until it is ended),
/// write, count calls and dials, and build webhook deliveries.
#[derive(Debug, Clone, Copy)]
pub struct SandboxEnv<'a> {
    sandbox: &'a Sandbox,
}

impl<'a> SandboxEnv<'a> {
    /// The suite's view of `sandbox`.
    pub fn new(sandbox: &'a Sandbox) -> Self {
        SandboxEnv { sandbox }
    }
}

impl Environment for SandboxEnv<'_> {
    fn dial_number(&self) -> Option<String> {
        // The sandbox answers numbers ending in 7–9 with a conversation.
        Some("+14155550199".into())
    }

    fn lasting_call_number(&self) -> Option<String> {
        // …and numbers ending in 6 with one that goes on until it is ended.
        Some("+14155550196".into())
    }

    fn busy_number(&self) -> Option<String> {
        // …and numbers ending in 1 with a busy line.
        Some("+14155550121".into())
    }

    fn allow_writes(&self) -> bool {
        true
    }

    fn may_leave_scheduled_calls(&self) -> bool {
        true
    }

    fn expected_calls(&self, kind: ProviderKind) -> Option<usize> {
        Some(self.sandbox.call_count(kind))
    }

    fn dials_received(&self, kind: ProviderKind) -> Option<usize> {
        Some(self.sandbox.dialed_count(kind))
    }

    fn webhook_delivery(&self, kind: ProviderKind, call_id: &CallId) -> Option<Vec<u8>> {
        self.sandbox.webhook_delivery(kind, call_id.as_str())
    }

    fn call_deadline(&self) -> (Duration, Duration) {
        (Duration::from_secs(20), Duration::from_millis(50))
    }
}
