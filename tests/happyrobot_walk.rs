//! HappyRobot's listing through the sandbox: all 12,993 calls of the account the vendor's
//! docs show, walked through the lazy stream at the largest page size (each exactly once),
//! and HappyRobot's own list filters.

use std::collections::HashSet;

use futures::TryStreamExt;
use voiceport::{CallQuery, ProviderKind, VoiceProvider, VoiceProviderExt};
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

/// HappyRobot's own list filters (`CallFilters`), sent by the adapter reached through the
/// trait object and applied by the emulator: a rating set on one call finds that call.
#[tokio::test]
async fn happyrobot_filters_by_rating_model_and_transfer_contact() {
    use voiceport::happyrobot::{CallFilters, HappyRobot, RatingEmoji, RatingOperation};
    let sandbox = Sandbox::builder()
        .calls(ProviderKind::HappyRobot, 12)
        .start()
        .await
        .unwrap();
    let provider = voiceport::connect(&sandbox.provider_config(ProviderKind::HappyRobot)).unwrap();
    let happyrobot = provider
        .extension::<HappyRobot>()
        .expect("a HappyRobot client");
    let ids = |page: voiceport::CallPage| -> Vec<String> {
        page.calls.iter().map(|c| c.id.to_string()).collect()
    };
    let all = ids(happyrobot.list_calls(&CallQuery::default()).await.unwrap());
    assert_eq!(all.len(), 12);
    let rated = voiceport::CallId::new(all[3].clone());
    (happyrobot.set_rating(
        &rated,
        RatingEmoji::Alert,
        "qa@example.com",
        RatingOperation::Add,
    ))
    .await
    .unwrap();
    let listed = async |filters: CallFilters| {
        let filtered = happyrobot.with_filters(filters).unwrap();
        ids(filtered.list_calls(&CallQuery::default()).await.unwrap())
    };
    let ratings = |emoji: &[&str]| CallFilters {
        ratings: emoji.iter().map(|e| e.to_string()).collect(),
        ..CallFilters::default()
    };
    assert_eq!(listed(ratings(&["🚨"])).await, [rated.to_string()]);
    assert_eq!(listed(ratings(&["✅", "🚨"])).await, [rated.to_string()]);
    assert!(listed(ratings(&["👎"])).await.is_empty());
    let models = |names: &[&str]| CallFilters {
        models: names.iter().map(|n| n.to_string()).collect(),
        ..CallFilters::default()
    };
    assert_eq!(listed(models(&["gpt-4o"])).await, all);
    assert!(listed(models(&["gpt-4.1-mini"])).await.is_empty());
    let contact = CallFilters {
        transfer_contact_email: Some("dispatch@example.com".into()),
        ..CallFilters::default()
    };
    assert!(listed(contact).await.is_empty());
}
