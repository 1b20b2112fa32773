//! The conformance suite, written once (`voiceport_sandbox::conformance`), run against each
//! adapter through `voiceport::connect`: only the configuration changes.

use std::time::Duration;

use voiceport::ProviderKind;
use voiceport_sandbox::{Sandbox, Timing, conformance};

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
    let report = conformance::run(provider.as_ref(), &sandbox).await;
    // Printed, not hidden: `cargo test -- --nocapture` shows what ran per vendor.
    println!("{report}");
    assert!(report.passed() >= 8, "{report}");
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
