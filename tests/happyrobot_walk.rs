//! All 12,993 calls of the HappyRobot account the vendor's docs show, walked through the
//! lazy stream at the largest page size: each exactly once.

use std::collections::HashSet;

use futures::TryStreamExt;
use voiceport::{CallQuery, ProviderKind, VoiceProviderExt};
use voiceport_sandbox::{HAPPYROBOT_DOCS_CALL_COUNT, Sandbox};

#[tokio::test]
async fn walks_every_seeded_happyrobot_call_once() {
    let sandbox = Sandbox::builder()
        .calls(ProviderKind::HappyRobot, HAPPYROBOT_DOCS_CALL_COUNT)
        .start()
        .await
        .unwrap();
    let provider = voiceport::connect(&sandbox.provider_config(ProviderKind::HappyRobot)).unwrap();
    let page_size = provider.capabilities().max_page_size;
    let query = CallQuery {
        page_size: Some(page_size),
        ..CallQuery::default()
    };
    let mut seen = HashSet::with_capacity(HAPPYROBOT_DOCS_CALL_COUNT);
    let mut calls = provider.calls(query);
    while let Some(call) = calls.try_next().await.unwrap() {
        assert!(seen.insert(call.id.clone()), "{} came twice", call.id);
    }
    assert_eq!(seen.len(), HAPPYROBOT_DOCS_CALL_COUNT);
}
