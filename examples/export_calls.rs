//! Walk every call of an account lazily, page by page, and write them as JSON Lines.
//!
//! `provider.calls(query)` is a stream: it fetches the next page only when the previous
//! one has been consumed, so memory stays at one page however many calls the account has.
//! Each line is a normalized `Call` (the same fields for every vendor); the vendor's own
//! JSON stays reachable through `call.vendor_payload()`. Runs against the in-process
//! sandbox: no account, no network.
//!
//! ```sh
//! cargo run --example export_calls               # writes calls.jsonl in the temp directory
//! cargo run --example export_calls -- out.jsonl  # or where you say
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use futures::TryStreamExt;
use voiceport::{CallQuery, ProviderKind, VoiceProviderExt};
use voiceport_sandbox::Sandbox;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("calls.jsonl"));

    // A HappyRobot account holding 1,000 calls (any vendor works the same way).
    let kind = ProviderKind::HappyRobot;
    let sandbox = Sandbox::builder().calls(kind, 1_000).start().await?;
    let provider = voiceport::connect(&sandbox.provider_config(kind))?;

    // Every call, 100 per request; add filters (statuses, since/until, agent …) as needed.
    let query = CallQuery {
        page_size: Some(100),
        ..CallQuery::default()
    };
    let mut calls = provider.calls(query);
    let mut out = BufWriter::new(File::create(&path)?);
    let mut written = 0usize;
    while let Some(call) = calls.try_next().await? {
        voiceport::serde_json::to_writer(&mut out, &call)?;
        out.write_all(b"\n")?;
        written += 1;
    }
    out.flush()?;
    println!("{written} {kind} calls written to {}", path.display());
    Ok(())
}
