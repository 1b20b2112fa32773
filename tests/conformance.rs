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
        .timing(Timing {
            queued: Duration::from_millis(30),
            ringing: Duration::from_millis(30),
            talk: Duration::from_millis(150),
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
