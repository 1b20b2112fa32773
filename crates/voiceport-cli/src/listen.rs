//! `voiceport listen`: the webhook receiver for every configured provider, printing each
//! verified, normalized event as it arrives (and re-posting it with `--forward`).

use voiceport::Registry;
use voiceport::webhooks::{Delivery, Receiver};

use crate::cli::ListenArgs;
use crate::{Failure, Outcome, output};

pub(crate) async fn run(registry: Registry, args: ListenArgs, json: bool) -> Outcome {
    let mut builder = Receiver::builder(&registry);
    if !args.providers.is_empty() {
        builder = builder.providers(args.providers.clone());
    }
    let served = builder.served()?;
    if served.is_empty() {
        return Err(Failure::Usage(
            "no provider has a [providers.NAME.webhook] table: nothing to listen for".into(),
        ));
    }
    let (router, mut events) = builder.channel(1024)?;
    let listener = tokio::net::TcpListener::bind((args.bind.as_str(), args.port))
        .await
        .map_err(|e| Failure::Io(format!("listening on {}:{}", args.bind, args.port), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Io("the listening address".into(), e))?;
    // On standard error, so that standard output holds events only.
    eprintln!(
        "listening on http://{addr}/webhooks/{{provider}} for: {}",
        served.join(", ")
    );
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    });
    let forward = args.forward.map(|url| (reqwest::Client::new(), url));
    while let Some(delivery) = events.recv().await {
        print(&delivery, json)?;
        if let Some((client, url)) = &forward {
            // A local app being down must not stop the listener: say so and go on.
            let body = serde_json::to_vec(&record(&delivery)).unwrap_or_default();
            let sent = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => eprintln!("warning: {url} answered {}", response.status()),
                Err(error) => eprintln!("warning: forwarding to {url} failed: {error}"),
            }
        }
    }
    match server.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Failure::Io("serving webhooks".into(), error)),
        Err(_) => Ok(()),
    }
}

/// What `--json` prints and `--forward` posts: the provider, its vendor and the event.
fn record(delivery: &Delivery) -> serde_json::Value {
    serde_json::json!({
        "provider": delivery.provider,
        "kind": delivery.kind,
        "event": delivery.event,
    })
}

fn print(delivery: &Delivery, json: bool) -> Outcome {
    if json {
        let line = serde_json::to_string(&record(delivery))
            .map_err(|e| Failure::Usage(format!("cannot print JSON: {e}")))?;
        return output::line(&line);
    }
    let event = &delivery.event;
    let call = event.call_id().map_or("-", |id| id.as_str());
    let status = event
        .status()
        .map_or_else(|| "-".to_owned(), |s| s.to_string());
    let at = event
        .occurred_at
        .unwrap_or_else(chrono::Utc::now)
        .format("%H:%M:%S");
    output::line(&format!(
        "{at}  {:<12} {:<24} {:<38} {status}",
        delivery.provider, event.vendor_event, call
    ))
}
