//! Calls created in the same millisecond, walked page by page through the sandbox: where a
//! page ends inside such a burst, a time-keyed list (Vapi's and Voicebot Studio's
//! `createdAtLt`) must neither lose nor repeat the burst's other calls, nor may the other
//! vendors' cursors. Each walk is compared, call for call, with the whole list read as one
//! page.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use voiceport::{CallQuery, ProviderConfig, ProviderKind, VoiceProviderExt};
use voiceport_sandbox::Sandbox;

/// Calls per account, and how many share one creation millisecond: the page sizes below
/// cut the bursts at every offset (pages of `BURST` end where bursts end).
const CALLS: usize = 42;
const BURST: usize = 6;
const PAGE_SIZES: [u32; 5] = [1, 2, 4, 5, 7];

type Created = DateTime<Utc>;

async fn sandbox_with_bursts() -> Sandbox {
    let mut builder = Sandbox::builder();
    for &kind in voiceport_sandbox::EMULATED {
        builder = builder.calls(kind, CALLS).creation_bursts(kind, BURST);
    }
    builder.start().await.expect("the sandbox starts")
}

/// Every call `config`'s account lists (its id and creation time), walked `page_size`
/// calls a page.
async fn walk(config: &ProviderConfig, page_size: u32) -> Vec<(String, Option<Created>)> {
    let provider = voiceport::connect(config).expect("a provider");
    let query = CallQuery {
        page_size: Some(page_size),
        ..CallQuery::default()
    };
    let calls: Vec<voiceport::Call> = provider.calls(query).try_collect().await.expect("a walk");
    let listed = |call: voiceport::Call| (call.id.to_string(), call.created_at);
    calls.into_iter().map(listed).collect()
}

#[tokio::test]
async fn pages_cut_inside_a_burst_lose_and_repeat_nothing() {
    let sandbox = sandbox_with_bursts().await;
    let rounded_by_page = sandbox
        .provider_config(ProviderKind::Rounded)
        .with_option("paging", "page");
    let configs = [
        sandbox.provider_config(ProviderKind::HappyRobot),
        sandbox.provider_config(ProviderKind::Voicebot),
        sandbox.provider_config(ProviderKind::Vapi),
        sandbox.provider_config(ProviderKind::Retell),
        rounded_by_page,
    ];
    for config in &configs {
        let kind = config.kind;
        let whole = walk(config, 100).await;
        assert_eq!(whole.len(), CALLS, "{kind}: one page of every call");
        // The bursts are there to be cut, where a call shows its creation time (Retell's
        // shows its start, which its list is sorted on; Rounded's shows none).
        if !matches!(kind, ProviderKind::Retell | ProviderKind::Rounded) {
            let times: HashSet<_> = whole.iter().map(|(_, created)| *created).collect();
            assert_eq!(times.len(), CALLS / BURST, "{kind}: bursts of {BURST}");
        }
        let ids = |calls: Vec<(String, Option<Created>)>| -> Vec<String> {
            calls.into_iter().map(|(id, _)| id).collect()
        };
        let whole = ids(whole);
        for size in PAGE_SIZES {
            assert_eq!(
                ids(walk(config, size).await),
                whole,
                "{kind}: pages of {size}"
            );
        }
    }
}

/// The emulator's Rounded cursor is a creation time only (Rounded documents a time, not
/// which one): in cursor mode the emulator's next page holds the calls created before it,
/// so a page that ends inside a burst leaves the burst's other calls out (what the
/// builder's documentation says; Rounded documents no more).
#[tokio::test]
async fn rounded_cursor_mode_skips_the_rest_of_a_cut_burst() {
    let sandbox = sandbox_with_bursts().await;
    let config = sandbox.provider_config(ProviderKind::Rounded);
    assert_eq!(walk(&config, 100).await.len(), CALLS);
    // Pages of 6 end where bursts end; pages of 4 cut every other burst.
    assert_eq!(walk(&config, 6).await.len(), CALLS);
    let cut = walk(&config, 4).await;
    assert!(cut.len() < CALLS, "{} calls", cut.len());
}
