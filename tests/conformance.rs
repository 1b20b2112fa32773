//! The conformance suite (`voiceport::conformance`), written once, run against each adapter
//! through `voiceport::connect` over the sandbox: only the configuration changes.

use std::time::Duration;

use voiceport::ProviderKind;
use voiceport::conformance::{self, Outcome};
use voiceport_sandbox::conformance::SandboxEnv;
use voiceport_sandbox::{Sandbox, Timing};

/// Every case the suite has: the same list for every provider.
const CASES: usize = 33;

/// Runs the suite on `kind`'s emulator. `unsupported` pins the cases the vendor answers
/// `Unsupported`, as the README's coverage table says: the outcomes are otherwise read off
/// the adapter's own flags, and a flag switched off (to hide a bug) would pass unseen.
async fn run(kind: ProviderKind, unsupported: &[&str]) {
    // More calls than the largest page, so that every page size is checked.
    let sandbox = Sandbox::builder()
        .seed(2026)
        .calls(kind, largest_page(kind).await + 10)
        // Short calls: the dial case waits for the end. ("end a live call" dials the
        // sandbox's number whose call lasts until it is ended.)
        .timing(
            Timing::default()
                .with_queued(Duration::from_millis(30))
                .with_ringing(Duration::from_millis(30))
                .with_talk(Duration::from_millis(300)),
        )
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
    let answered_unsupported: Vec<&str> = (report.cases.iter())
        .filter(|c| c.outcome == Outcome::Unsupported)
        .map(|c| c.case.as_str())
        .collect();
    assert_eq!(answered_unsupported, unsupported, "{report}");
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
        (
            "list_calls filter sort",
            caps.supports_sort(voiceport::SortOrder::Ascending),
        ),
        (
            "list_calls sort newest first",
            caps.supports_sort(voiceport::SortOrder::Descending),
        ),
    ] {
        assert_eq!(outcome(case), expect(flag), "{case}\n{report}");
    }
}

#[tokio::test]
async fn happyrobot_conforms() {
    let unsupported = [
        "inline transcript",
        "update name",
        "update metadata (merge)",
        "update metadata (replace)",
    ];
    run(ProviderKind::HappyRobot, &unsupported).await;
}

#[tokio::test]
async fn voicebot_conforms() {
    let unsupported = [
        "list_calls filter tags",
        "list_calls filter sort",
        "update metadata (merge)",
        "update metadata (replace)",
        "notes: add, update, delete",
        "end a live call",
        "cancel a scheduled call",
    ];
    run(ProviderKind::Voicebot, &unsupported).await;
}

#[tokio::test]
async fn rounded_conforms() {
    let unsupported = [
        "list_calls filter campaign_id",
        "list_calls filter tags",
        "list_calls filter sort",
        "dial scheduled",
        "update name",
        "notes: add, update, delete",
        "cancel a scheduled call",
        "delete a call",
    ];
    run(ProviderKind::Rounded, &unsupported).await;
}

#[tokio::test]
async fn vapi_conforms() {
    let unsupported = [
        "list_calls filter tags",
        "list_calls filter sort",
        "update metadata (merge)",
        "update metadata (replace)",
        "notes: add, update, delete",
        "cancel a scheduled call",
    ];
    run(ProviderKind::Vapi, &unsupported).await;
}

#[tokio::test]
async fn retell_conforms() {
    let unsupported = [
        "list_calls filter campaign_id",
        "list_calls filter tags",
        "dial scheduled",
        "update name",
        "update metadata (merge)",
        "notes: add, update, delete",
        "cancel a scheduled call",
    ];
    run(ProviderKind::Retell, &unsupported).await;
}

/// The sandbox seen as a live account is: its numbers to dial, but no count of its calls
/// or dials, writes only where the test allows them, and the test's wait for a call.
struct LiveRun<'a> {
    sandbox: SandboxEnv<'a>,
    writes: bool,
    deadline: (Duration, Duration),
}

impl<'a> LiveRun<'a> {
    /// A read-only run on `sandbox`, waiting `deadline` (how long, how often) for a call.
    fn new(sandbox: &'a Sandbox, deadline: (Duration, Duration)) -> Self {
        LiveRun {
            sandbox: SandboxEnv::new(sandbox),
            writes: false,
            deadline,
        }
    }
}

impl voiceport::conformance::Environment for LiveRun<'_> {
    fn dial_number(&self) -> Option<String> {
        self.sandbox.dial_number()
    }
    fn lasting_call_number(&self) -> Option<String> {
        self.sandbox.lasting_call_number()
    }
    fn allow_writes(&self) -> bool {
        self.writes
    }
    fn call_deadline(&self) -> (Duration, Duration) {
        self.deadline
    }
}

/// Why `case` failed in `report` (a panic showing the report when it did not fail).
fn failure(report: &conformance::Report, case: &str) -> String {
    let found = report.cases.iter().find(|c| c.case == case);
    match found.map(|c| &c.outcome) {
        Some(Outcome::Failed(why)) => why.clone(),
        _ => panic!("{case} did not fail\n{report}"),
    }
}

/// A live run with one dial (`voiceport check --dial`), on an account whose calls outlast
/// the wait: the dialed call is ended, not left running at the account's cost.
#[tokio::test]
async fn a_dialed_call_that_outlasts_the_wait_is_ended() {
    use futures::TryStreamExt;
    use voiceport::VoiceProviderExt;
    use voiceport::conformance::Environment;

    let kind = ProviderKind::HappyRobot;
    let sandbox = Sandbox::builder()
        .seed(7)
        .calls(kind, 5)
        .timing(
            Timing::default()
                .with_queued(Duration::from_millis(10))
                .with_ringing(Duration::from_millis(10))
                .with_talk(Duration::from_secs(600)),
        )
        .start()
        .await
        .unwrap();
    let provider = voiceport::connect(&sandbox.provider_config(kind)).unwrap();
    let number = SandboxEnv::new(&sandbox).dial_number().unwrap();
    // Read-only, waiting 0.2 s for the call to end.
    let env = LiveRun::new(
        &sandbox,
        (Duration::from_millis(200), Duration::from_millis(20)),
    );
    let report = conformance::run(provider.as_ref(), &env).await;
    let why = failure(&report, "dial, then wait for the end");
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
    use voiceport_sandbox::{Fault, FaultKind};

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
    // Read-only: the one dial fails before any wait.
    let env = LiveRun::new(&sandbox, (Duration::from_secs(300), Duration::from_secs(5)));
    let report = conformance::run(provider.as_ref(), &env).await;
    let why = failure(&report, "dial, then wait for the end");
    assert!(why.contains("the call may have been placed"), "{why}");
}

/// An `end_call` the vendor answers without ending anything fails the end case: the case
/// dials the sandbox's call that lasts until it is ended, which a call that ends by itself
/// within the wait would hide.
#[tokio::test]
async fn an_end_call_that_ends_nothing_fails() {
    use voiceport_sandbox::{Fault, FaultKind};

    let kind = ProviderKind::Retell;
    let sandbox = Sandbox::builder()
        .seed(7)
        .calls(kind, 5)
        .timing(
            Timing::default()
                .with_queued(Duration::from_millis(10))
                .with_ringing(Duration::from_millis(10))
                .with_talk(Duration::from_millis(100)),
        )
        .start()
        .await
        .unwrap();
    // Retell's stop-call answers without a body: a 200 reads as done, and nothing stops.
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(200))
            .vendor(kind)
            .path("stop-call")
            .times(u32::MAX),
    );
    let provider = voiceport::connect(&sandbox.provider_config(kind)).unwrap();
    // Writes allowed, with a short wait for the end.
    let env = LiveRun {
        writes: true,
        ..LiveRun::new(
            &sandbox,
            (Duration::from_secs(2), Duration::from_millis(50)),
        )
    };
    let report = conformance::run(provider.as_ref(), &env).await;
    let why = failure(&report, "end a live call");
    assert!(
        why.contains("end_call answered, but then wait_until_ended")
            && why.contains("may still be live"),
        "{why}"
    );
}

/// The largest page `kind`'s adapter declares (its maximum, or its default if larger).
async fn largest_page(kind: ProviderKind) -> usize {
    let sandbox = Sandbox::builder().calls(kind, 0).start().await.unwrap();
    let caps = voiceport::connect(&sandbox.provider_config(kind))
        .unwrap()
        .capabilities();
    caps.max_page_size.max(caps.default_page_size) as usize
}
