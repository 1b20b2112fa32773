//! The conformance suite (`voiceport::conformance`), written once, run against each adapter
//! through `voiceport::connect` over the sandbox: only the configuration changes.

use std::time::Duration;

use voiceport::ProviderKind;
use voiceport::conformance::{self, Outcome};
use voiceport_sandbox::conformance::SandboxEnv;
use voiceport_sandbox::{Sandbox, Timing};

/// Every case the suite has: the same list for every provider.
const CASES: usize = 30;

async fn run(kind: ProviderKind) {
    let sandbox = Sandbox::builder()
        .seed(2026)
        .calls(kind, 80)
        // "end a live call" dials, then ends the call: two seconds of talk keep it live
        // until then on a loaded machine (a call over first is refused by some vendors
        // and would pass unended with others); the dial case waits them out.
        .timing(Timing {
            queued: Duration::from_millis(30),
            ringing: Duration::from_millis(30),
            talk: Duration::from_secs(2),
        })
        .start()
        .await
        .unwrap();
    let provider = voiceport::connect(&sandbox.provider_config(kind)).unwrap();
    let report = conformance::run(provider.as_ref(), &SandboxEnv::new(&sandbox)).await;
    // Printed, not hidden: `cargo test -- --nocapture` shows the table per vendor.
    println!("{report}");
    assert_eq!(report.cases.len(), CASES, "{report}");
    assert!(report.failures().is_empty(), "{report}");
    assert!(
        report.not_run().is_empty(),
        "the sandbox runs every case: {report}"
    );
    // Every flag was checked one way or the other, and what is declared is what happened.
    let caps = provider.capabilities();
    let outcome = |case: &str| {
        report
            .cases
            .iter()
            .find(|c| c.case == case)
            .map(|c| c.outcome.clone())
            .unwrap_or_else(|| panic!("no case {case}"))
    };
    let expect = |flag: bool| {
        if flag {
            Outcome::Passed
        } else {
            Outcome::Unsupported
        }
    };
    for (case, flag) in [
        ("dial scheduled", caps.dial_scheduled),
        ("transcript", caps.transcript),
        ("inline transcript", caps.inline_transcript),
        ("recording", caps.recording),
        ("cost", caps.cost),
        ("analysis", caps.analysis),
        ("update name", caps.update_name),
        ("update metadata (merge)", caps.update_metadata_merge),
        ("update metadata (replace)", caps.update_metadata_replace),
        ("notes: add, update, delete", caps.notes),
        ("end a live call", caps.end_call),
        ("cancel a scheduled call", caps.cancel_call),
        ("delete a call", caps.delete_call),
        ("webhooks", caps.webhooks),
        ("list_calls filter tags", caps.filter_tags),
        ("list_calls filter campaign_id", caps.filter_campaign),
        ("list_calls filter sort", caps.sort),
    ] {
        assert_eq!(outcome(case), expect(flag), "{case}\n{report}");
    }
}

#[tokio::test]
async fn happyrobot_conforms() {
    run(ProviderKind::HappyRobot).await;
}

#[tokio::test]
async fn voicebot_conforms() {
    run(ProviderKind::Voicebot).await;
}

#[tokio::test]
async fn rounded_conforms() {
    run(ProviderKind::Rounded).await;
}

#[tokio::test]
async fn vapi_conforms() {
    run(ProviderKind::Vapi).await;
}

#[tokio::test]
async fn retell_conforms() {
    run(ProviderKind::Retell).await;
}

/// A live run with one dial (`voiceport check --dial`), on an account whose calls outlast
/// the wait: the dialed call is ended, not left running at the account's cost.
#[tokio::test]
async fn a_dialed_call_that_outlasts_the_wait_is_ended() {
    use futures::TryStreamExt;
    use voiceport::VoiceProviderExt;
    use voiceport::conformance::Environment;

    /// A read-only run that may dial once, and waits 0.2 s for the call to end.
    struct Impatient(String);
    impl Environment for Impatient {
        fn dial_number(&self) -> Option<String> {
            Some(self.0.clone())
        }
        fn call_deadline(&self) -> (Duration, Duration) {
            (Duration::from_millis(200), Duration::from_millis(20))
        }
    }

    let kind = ProviderKind::HappyRobot;
    let sandbox = Sandbox::builder()
        .seed(7)
        .calls(kind, 5)
        .timing(Timing {
            queued: Duration::from_millis(10),
            ringing: Duration::from_millis(10),
            talk: Duration::from_secs(600),
        })
        .start()
        .await
        .unwrap();
    let provider = voiceport::connect(&sandbox.provider_config(kind)).unwrap();
    let number = SandboxEnv::new(&sandbox).dial_number().unwrap();
    let report = conformance::run(provider.as_ref(), &Impatient(number.clone())).await;
    let dial = (report.cases.iter())
        .find(|c| c.case == "dial, then wait for the end")
        .expect("a dial case");
    let Outcome::Failed(why) = &dial.outcome else {
        panic!("{report}")
    };
    assert!(why.contains("the call was ended"), "{why}");
    let calls: Vec<_> = provider
        .calls(Default::default())
        .try_collect()
        .await
        .unwrap();
    let dialed: Vec<_> = (calls.iter())
        .filter(|c| c.to.as_deref() == Some(number.as_str()))
        .collect();
    assert_eq!(dialed.len(), 1, "{calls:?}");
    assert!(dialed[0].status.is_terminal(), "{:?}", dialed[0]);
}

/// A live run whose dial fails after it may have reached the vendor says so: run again,
/// the check could place a second call.
#[tokio::test]
async fn a_dial_that_may_have_placed_a_call_says_so() {
    use voiceport::conformance::Environment;
    use voiceport_sandbox::{Fault, FaultKind};

    /// A read-only run that dials once.
    struct DialsOnce(String);
    impl Environment for DialsOnce {
        fn dial_number(&self) -> Option<String> {
            Some(self.0.clone())
        }
    }

    let kind = ProviderKind::Rounded;
    let sandbox = Sandbox::builder()
        .seed(7)
        .calls(kind, 5)
        .start()
        .await
        .unwrap();
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(503))
            .vendor(kind)
            .method("POST")
            .times(u32::MAX),
    );
    let provider = voiceport::connect(&sandbox.provider_config(kind)).unwrap();
    let number = SandboxEnv::new(&sandbox).dial_number().unwrap();
    let report = conformance::run(provider.as_ref(), &DialsOnce(number)).await;
    let dial = (report.cases.iter())
        .find(|c| c.case == "dial, then wait for the end")
        .expect("a dial case");
    let Outcome::Failed(why) = &dial.outcome else {
        panic!("{report}")
    };
    assert!(why.contains("the call may have been placed"), "{why}");
}
