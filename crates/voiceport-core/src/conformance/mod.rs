//! One conformance suite for every provider, against the sandbox or a live account.
//!
//! The suite takes a `&dyn VoiceProvider` and an [`Environment`] (how to find calls,
//! whether it may dial or write) and checks every capability flag both ways: a flag that is
//! `true` must work, a flag that is `false` must answer
//! [`Error::Unsupported`](crate::Error::Unsupported). Every case ends in the [`Report`],
//! passed, unsupported, failed or not run (with the reason): nothing is skipped silently,
//! and the list of cases is the same for every provider.
//!
//! ```no_run
//! # use voiceport_core as voiceport;
//! use voiceport::conformance::{self, Environment};
//!
//! struct ReadOnly;
//! impl Environment for ReadOnly {}
//!
//! # async fn run(provider: &dyn voiceport::VoiceProvider) {
//! let report = conformance::run(provider, &ReadOnly).await;
//! println!("{report}");
//! assert!(report.failures().is_empty());
//! # }
//! ```

mod cases;
mod report;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use report::{CaseResult, Outcome, Report};

use crate::{CallId, ProviderKind, VoiceProvider};

/// What the suite may assume about the account it runs against.
///
/// The defaults describe a read-only run on a live account: no dial, no write, no
/// assumption about what the account holds.
pub trait Environment: Send + Sync {
    /// A number to dial whose call is answered and ends normally, with a conversation;
    /// `None`: the suite places no call.
    fn dial_number(&self) -> Option<String> {
        None
    }

    /// A number whose call, once answered, stays live until it is ended (the sandbox has
    /// one): the end case dials it, so that the call ending shows `end_call` ended it.
    /// `None`: the end case dials [`dial_number`](Self::dial_number), whose call may end by
    /// itself meanwhile, so an `end_call` that does nothing may pass.
    fn lasting_call_number(&self) -> Option<String> {
        None
    }

    /// A number whose call ends busy (the sandbox has one); `None`: that case does not run.
    fn busy_number(&self) -> Option<String> {
        None
    }

    /// Whether the suite may change calls (update, notes, end, cancel, delete). It only
    /// ever changes calls it dialed in the same run: without a dial, those cases do not run.
    fn allow_writes(&self) -> bool {
        false
    }

    /// Whether a scheduled call the suite places may stay scheduled when the provider
    /// cannot cancel it (a throwaway account, like the sandbox). Default: no, so on such
    /// a provider the scheduled-dial case does not run.
    fn may_leave_scheduled_calls(&self) -> bool {
        false
    }

    /// How many calls the account holds, when known (a seeded account no one else uses,
    /// like the sandbox's): a full walk must see exactly these. Known data also means the
    /// suite reads the whole account before any case dials, and then that every filter
    /// case must return calls, and every call that matches (so the calls must not change
    /// meanwhile), that a search returns exactly the calls it matches as voiceport reads a
    /// call (the sandbox searches so; a vendor searching more, a transcript, fails there), and
    /// that a page that points to another holds exactly the size sent.
    /// `None` (the default) on a live account.
    fn expected_calls(&self, kind: ProviderKind) -> Option<usize> {
        let _ = kind;
        None
    }

    /// How many dials the vendor has received, when it can say (the sandbox counts them):
    /// a dial must add exactly one.
    fn dials_received(&self, kind: ProviderKind) -> Option<usize> {
        let _ = kind;
        None
    }

    /// A webhook delivery the vendor would send about `call_id` (the end of the call);
    /// `None`: the webhook case does not run.
    fn webhook_delivery(&self, kind: ProviderKind, call_id: &CallId) -> Option<Vec<u8>> {
        let _ = (kind, call_id);
        None
    }

    /// How long a dialed call may take to end, and how often to look.
    fn call_deadline(&self) -> (Duration, Duration) {
        (Duration::from_secs(300), Duration::from_secs(5))
    }

    /// Told of every call the suite placed (`call_id`, on `kind`), as soon as its dial
    /// answers and before any case waits on it. A run stopped from outside (its future
    /// dropped) does not end the calls it placed: an environment that records them here
    /// can, as `voiceport check` does on Ctrl-C. Does nothing by default.
    fn dialed(&self, kind: ProviderKind, call_id: &CallId) {
        let _ = (kind, call_id);
    }
}

/// Runs every case against `provider` in `env`. Never panics on a provider's behaviour:
/// a failure is a [`Outcome::Failed`] case in the report.
pub async fn run(provider: &dyn VoiceProvider, env: &dyn Environment) -> Report {
    cases::Suite::new(provider, env).run().await
}
