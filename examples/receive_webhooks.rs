//! Receive vendors' webhook deliveries: verified, normalized into `CallEvent`s, and handed
//! to the application once each.
//!
//! `voiceport::webhooks::Receiver` (feature `axum`) is an axum router serving
//! `POST /webhooks/{provider}` for every provider with a `[providers.NAME.webhook]` table.
//! Here it listens on loopback for a few seconds while the in-process sandbox dials one
//! call per vendor and posts each vendor's deliveries to it, signed as the vendor would
//! sign them: no account, no network. The example stops once every call has ended.
//!
//! ```sh
//! cargo run --example receive_webhooks --features axum
//! ```

use std::collections::BTreeSet;
use std::time::Duration;

use voiceport::webhooks::Receiver;
use voiceport::{DialRequest, EventKind, ProviderKind, Registry};
use voiceport_sandbox::Sandbox;

/// The shared secret each vendor is configured to send (in production: `secret_env`).
const SECRET: &str = "whsec-example-7d41";
/// A number the sandbox answers with a conversation the customer ends.
const TO: &str = "+14155550199";

/// `[providers.NAME]` for `kind` on the sandbox, with a `webhook` table.
fn provider_toml(sandbox: &Sandbox, name: &str, kind: ProviderKind) -> String {
    let mut toml = sandbox.provider_toml(name, kind);
    // How the sandbox's deliveries prove they come from the vendor: Voicebot Studio and
    // Vapi send the secret in X-Vapi-Secret, HappyRobot in X-Webhook-Secret (or the
    // `header` you name), Retell signs each body with it (X-Retell-Signature; with the API
    // key when the table sets no secret). A Rounded agent sends no headers: the secret
    // travels in the URL it posts to (`?token=…`), as the sandbox does.
    toml.push_str(&format!(
        "[providers.{name}.webhook]\nsecret = \"{SECRET}\"\n"
    ));
    if kind == ProviderKind::Rounded {
        toml.push_str("verify = \"query\"\n");
    }
    toml
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder().start().await?;
    let vendors = [
        ("sales", ProviderKind::HappyRobot),
        ("studio", ProviderKind::Voicebot),
        ("support", ProviderKind::Rounded),
        ("vapi", ProviderKind::Vapi),
        ("retell", ProviderKind::Retell),
    ];
    let toml: String = vendors
        .iter()
        .map(|(name, kind)| provider_toml(&sandbox, name, *kind))
        .collect();
    let registry = Registry::from_toml_str(&toml)?;

    // The receiver, served on an ephemeral loopback port until `stop` fires.
    let (router, mut events) = Receiver::builder(&registry).channel(256)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    // Each vendor posts to its provider's path, signed with that provider's webhook table
    // (what you would configure in the vendor's dashboard), then one call is dialed each.
    let receiver = format!("http://{addr}/webhooks/{{provider}}");
    sandbox.point_webhooks_at(&receiver, registry.file())?;
    let mut waiting = BTreeSet::new();
    for (name, _) in vendors {
        let provider = registry.connect(name)?;
        let dialed = provider.dial(&DialRequest::to(TO)).await?;
        waiting.insert((name.to_owned(), dialed.call_id));
    }

    // The application's side: one event per delivery, until every call has ended.
    while !waiting.is_empty() {
        let Ok(Some(delivery)) = tokio::time::timeout(Duration::from_secs(10), events.recv()).await
        else {
            return Err("no webhook delivery within 10 s".into());
        };
        let event = &delivery.event;
        match &event.kind {
            EventKind::Ended { call, .. } => {
                let said = call.transcript.as_ref().map_or(0, |t| t.utterances.len());
                println!(
                    "{:<8} {:<26} call {} ended: {}, {said} utterances",
                    delivery.provider_name, event.vendor_event, call.id, call.status
                );
                waiting.remove(&(delivery.provider_name.clone(), call.id.clone()));
            }
            _ => println!(
                "{:<8} {:<26} call {} {}",
                delivery.provider_name,
                event.vendor_event,
                event.call_id().map_or("-", |id| id.as_str()),
                event
                    .status()
                    .map_or(String::new(), |status| status.to_string()),
            ),
        }
    }

    let _ = stop.send(());
    server.await??;
    Ok(())
}
