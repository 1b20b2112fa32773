//! Snapshot-test normalized calls with insta.
//!
//! A snapshot of a normalized `Call` pins down everything your code relies on (status,
//! end reason, parties, times, transcript) in one readable assertion. Recording URLs are
//! pre-signed, so their signature and expiry change on every fetch:
//! `voiceport::snapshot::insta_settings()` (feature `insta`) replaces those, and sorts
//! maps, so that the snapshot stays the same from one run to the next. Add redactions of
//! your own on top of it for anything else that varies.
//!
//! In a test you would write `#[tokio::test] async fn …` and keep the snapshot in a file
//! (`assert_json_snapshot!(call)`, reviewed with `cargo insta review`); this example
//! keeps it inline so that it runs with `cargo run`, against a seeded in-process sandbox
//! (the same seed, the same calls): no account, no network.
//!
//! ```sh
//! cargo run --example snapshot_test --features insta
//! ```
//!
//! `Cargo.toml` of your project:
//!
//! ```toml
//! [dependencies]
//! voiceport = { git = "https://github.com/voiceport/voiceport" }   # "0.2" once published
//! [dev-dependencies]
//! # The feature for tests only: insta stays out of the application's own build.
//! voiceport = { git = "https://github.com/voiceport/voiceport", features = ["insta"] }
//! # The sandbox this example runs against (or your own configuration instead).
//! voiceport-sandbox = { git = "https://github.com/voiceport/voiceport" }
//! insta = { version = "1", features = ["json", "redactions"] }
//! tokio = { version = "1", features = ["macros", "rt"] } # for `#[tokio::test]`
//! ```

use voiceport::{CallQuery, ProviderKind};
use voiceport_sandbox::Sandbox;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kind = ProviderKind::Rounded;
    let sandbox = Sandbox::builder().seed(7).calls(kind, 3).start().await?;
    let provider = voiceport::connect(&sandbox.provider_config(kind))?;
    let page = provider
        .list_calls(&CallQuery {
            page_size: Some(3),
            ..CallQuery::default()
        })
        .await?;
    let first = page.calls.first().ok_or("the sandbox has no calls")?;
    let call = provider.get_call(&first.id).await?;

    // `insta_settings()` redacts the recording URL's signature (`?[signed]`) and expiry.
    // Redactions of your own come on top: here the transcript is left out, to keep the
    // example short (a snapshot of its own would pin it down).
    voiceport::snapshot::insta_settings().bind(|| {
        insta::assert_json_snapshot!(call, { ".transcript" => "[transcript]" }, @r#"
        {
          "id": "fba4bc4b-13ef-4f52-acb8-6fcc180fde7b",
          "provider": "rounded",
          "organization_id": "123e4567-e89b-12d3-a456-426614174001",
          "parent_call_id": null,
          "campaign_id": null,
          "name": null,
          "kind": "phone",
          "direction": "outbound",
          "status": "completed",
          "vendor_status": "completed",
          "end_reason": null,
          "from": "+16285553603",
          "to": "+14155552607",
          "agent": {
            "id": "123e4567-e89b-12d3-a456-426614174004",
            "name": null
          },
          "language": null,
          "created_at": "2026-10-05T10:54:40.256Z",
          "scheduled_for": null,
          "started_at": "2026-10-05T10:54:40.256Z",
          "ended_at": "2026-10-05T10:56:56.106Z",
          "duration_secs": 136.0,
          "transcript": "[transcript]",
          "recording": {
            "mono_url": "https://recordings.sandbox.voiceport.invalid/rounded/fba4bc4b-13ef-4f52-acb8-6fcc180fde7b-mono.wav?[signed]",
            "stereo_url": null,
            "expires_at": null
          },
          "analysis": {
            "summary": null,
            "success_evaluation": null,
            "classification": null,
            "extracted": {
              "call_successful": true,
              "order_id": "ORD-7781",
              "tracking_sent": true
            }
          },
          "notes": [],
          "ratings": [],
          "tags": [],
          "metadata": {},
          "cost": {
            "total": 0.18,
            "currency": null,
            "breakdown": []
          }
        }
        "#);
    });
    println!("the snapshot of {kind} call {} matches", call.id);
    Ok(())
}
