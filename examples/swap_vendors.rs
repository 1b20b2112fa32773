//! The same application code against every vendor: only the configuration changes.
//!
//! Starts the in-process sandbox (local emulators of the vendors' APIs: no account, no
//! network), writes a `voiceport.toml`-style provider table for each vendor it emulates,
//! and runs one function, written once against `dyn VoiceProvider`, on each: dial, wait
//! for the end, read the transcript, list recent calls.
//!
//! ```sh
//! cargo run --example swap_vendors
//! ```

use std::time::Duration;

use voiceport::{
    CallQuery, DialRequest, ProviderKind, Registry, Speaker, VoiceProvider, VoiceProviderExt, Wait,
};
use voiceport_sandbox::Sandbox;

/// A number the sandbox answers with a conversation the customer ends (it decides how a
/// call ends by the last digit: 0 no answer, 1 busy, 2 voicemail, 3 failed …).
const TO: &str = "+14155550199";

/// The application: written once, for any vendor.
async fn application(provider: &dyn VoiceProvider) -> voiceport::Result<()> {
    let dialed = provider.dial(&DialRequest::to(TO)).await?;
    let call = provider
        .wait_until_ended(
            &dialed.call_id,
            Wait::at_most(Duration::from_secs(10)).polling_every(Duration::from_millis(100)),
        )
        .await?;
    let transcript = provider.get_transcript(&call.id).await?;
    let recent = provider
        .list_calls(&CallQuery {
            page_size: Some(10),
            ..CallQuery::default()
        })
        .await?;
    println!(
        "{:<10} {:<38} {:<10} {:<18} {:>2} utterances, {} calls on the first page",
        provider.kind(),
        call.id,
        call.status,
        call.end_reason
            .as_ref()
            .map_or("-", |reason| reason.category.as_str()),
        transcript.utterances.len(),
        recent.calls.len(),
    );
    // The first thing said on the call (the system prompt, where a vendor reports one, aside).
    if let Some(first) = transcript
        .utterances
        .iter()
        .find(|u| u.speaker != Speaker::System)
    {
        println!(
            "{:<10} first line: {}: {}",
            "",
            first.speaker,
            first.shown_text()
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder().start().await?;
    for &kind in ProviderKind::ALL {
        if !sandbox.emulates(kind) {
            continue;
        }
        // Only this text differs from one vendor to the next: the provider table as you
        // would write it in `voiceport.toml`. Against a real account it is `kind` and
        // `api_key_env` (and the vendor's options): no `base_url`.
        let toml = sandbox.provider_toml("main", kind);
        let registry = Registry::from_toml_str(&toml)?;
        let provider = registry.connect("main")?;
        application(provider.as_ref()).await?;
    }
    Ok(())
}
