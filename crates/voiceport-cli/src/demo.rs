//! `voiceport demo`: the same code path against all five vendors (HappyRobot, Voicebot
//! Studio, Rounded, Vapi, Retell AI), on the built-in sandbox, printed side by side. With
//! `--webhooks`, the other direction too: a receiver on loopback, each emulator posting its
//! vendor's webhooks to it, and the verified, normalized events printed as they arrive (on
//! standard error) and after the table. The Vapi-family emulators also post the tool calls
//! their assistants make, which the demo's receiver answers (the vendor waits for the
//! results).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use voiceport::webhooks::{Delivery, Receiver};
use voiceport::{
    CallQuery, CallUpdate, DialRequest, NoteInput, ProviderKind, Registry, VoiceProvider,
    VoiceProviderExt, Wait,
};
use voiceport_sandbox::{Sandbox, Timing};

use crate::{Failure, Outcome, output};

/// How one row of the side-by-side table reads a vendor's result.
type Cell = fn(&Seen) -> String;

/// What the scenario saw for one vendor.
#[derive(Debug, Serialize)]
struct Seen {
    vendor: String,
    call_id: String,
    status: String,
    vendor_status: Option<String>,
    end_reason: Option<String>,
    duration_secs: Option<f64>,
    utterances: usize,
    first_words: Option<String>,
    annotation: String,
    /// The calls on the first page listed, and how many the vendor says there are.
    listed: usize,
    listed_of: Option<u64>,
    payload_bytes: usize,
}

/// The receiving end of `--webhooks`: the events, as they arrive.
struct Arrivals {
    events: mpsc::UnboundedReceiver<Delivery>,
}

/// Serves the receiver for every provider of `registry` on loopback, points each emulator
/// at it, and echoes each event to standard error as it arrives.
async fn listen(sandbox: &Sandbox, registry: &Registry) -> Result<Arrivals, Failure> {
    let (router, mut arriving) = Receiver::builder(registry).channel(256)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::Io("cannot start the webhook receiver".into(), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Io("the webhook receiver's address".into(), e))?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    crate::sandbox::point_webhooks(sandbox, registry, &format!("http://{addr}"), true)?;
    output::say(&format!(
        "webhook receiver on http://{addr}/webhooks/{{provider}}; each emulator posts its vendor's events there\n"
    ));
    let (sender, events) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(delivery) = arriving.recv().await {
            let answered = if delivery.reply_to_tool_calls(|_| Ok("done".to_string())) {
                "  → answered"
            } else {
                ""
            };
            output::say(&format!(
                "{:<10} ← webhook {}{answered}",
                delivery.provider_name,
                describe(&delivery)
            ));
            let _ = sender.send(delivery);
        }
    });
    Ok(Arrivals { events })
}

/// An event in a few words: its type, the status it reports, the call.
fn describe(delivery: &Delivery) -> String {
    let event = &delivery.event;
    let status = event
        .status()
        .map_or_else(|| "-".to_owned(), |s| s.to_string());
    // The vendor's status beside the status the event reports (a piece of transcript
    // reports none, though Retell's carries its call).
    let vendor_status = match &event.kind {
        voiceport::EventKind::StatusChanged { vendor_status, .. } => vendor_status.clone(),
        voiceport::EventKind::Started { call, .. } | voiceport::EventKind::Ended { call, .. } => {
            call.vendor_status.clone()
        }
        _ => None,
    };
    let vendor_status = vendor_status.map(|v| format!(" ({v})")).unwrap_or_default();
    let status = format!("{status}{vendor_status}");
    let call = event.call_id().map_or("-", |id| id.as_str());
    format!("{:<26} {status:<28} {call}", event.vendor_event)
}

impl Arrivals {
    /// Every event the dialed calls produced: waits until the sandbox has delivered all of
    /// them (each accepted delivery is on the channel by then), then takes them.
    async fn collect(mut self, sandbox: &Sandbox, seen: &[Seen]) -> Vec<Delivery> {
        let mut expected = 0;
        for s in seen {
            let Ok(kind) = s.vendor.parse::<ProviderKind>() else {
                continue;
            };
            let attempts = sandbox
                .wait_for_deliveries(kind, &s.call_id, Duration::from_secs(15))
                .await
                .unwrap_or_default();
            expected += attempts.iter().filter(|a| a.accepted()).count();
        }
        let mut received = Vec::new();
        while received.len() < expected {
            match tokio::time::timeout(Duration::from_secs(5), self.events.recv()).await {
                Ok(Some(delivery)) => received.push(delivery),
                _ => break,
            }
        }
        received
    }
}

pub(crate) async fn run(json: bool, webhooks: bool) -> Outcome {
    // Said, as every command says its interruption: the demo's calls were all placed on its
    // own sandbox, which ends with it.
    let mut ctrl_c = crate::interrupts::StopSignal::listen()?;
    tokio::select! {
        shown = demo(json, webhooks) => shown,
        () = ctrl_c.received() => Err(Failure::Interrupted(
            "the demo stopped; its calls were placed on its own sandbox, which stops with it".into(),
        )),
    }
}

/// The demo, run to its end.
async fn demo(json: bool, webhooks: bool) -> Outcome {
    let mut builder = Sandbox::builder();
    for &kind in voiceport_sandbox::EMULATED {
        builder = builder.calls(kind, 25);
    }
    let sandbox = builder
        .timing(
            Timing::default()
                .with_queued(Duration::from_millis(100))
                .with_ringing(Duration::from_millis(200))
                .with_talk(TALK),
        )
        .start()
        .await
        .map_err(|e| Failure::Io("cannot start the sandbox".into(), e))?;
    output::say(&format!(
        "sandbox on http://{}; one provider per vendor, the same code for each\n",
        sandbox.addr()
    ));
    let mut toml = crate::sandbox::sandbox_toml(&sandbox);
    if webhooks {
        toml = crate::sandbox::with_webhook_tables(&toml);
    }
    let registry = Registry::from_toml_str(&toml)?;
    let listening = if webhooks {
        Some(listen(&sandbox, &registry).await?)
    } else {
        None
    };
    let mut seen = Vec::new();
    for name in registry.names() {
        let provider = registry.connect(name)?;
        seen.push(scenario(provider).await?);
    }
    let received = match listening {
        Some(listening) => Some(listening.collect(&sandbox, &seen).await),
        None => None,
    };
    if json {
        return match received {
            Some(received) => output::json(&serde_json::json!({
                "calls": seen,
                "webhooks": received.iter().map(crate::listen::record).collect::<Vec<_>>(),
            })),
            None => output::json(&seen),
        };
    }
    // Narrow enough for a terminal of about a hundred columns: the dialed calls' ids were
    // said as they were dialed, and the first words follow the table, a line each.
    let fields: [(&str, Cell); 8] = [
        ("status", |s| s.status.clone()),
        ("vendor status", |s| {
            output::or_dash(s.vendor_status.clone())
        }),
        ("end reason", |s| output::or_dash(s.end_reason.clone())),
        ("duration", |s| {
            s.duration_secs
                .map_or_else(|| "-".into(), |d| format!("{d:.1}s"))
        }),
        ("utterances", |s| s.utterances.to_string()),
        ("annotated by", |s| s.annotation.clone()),
        ("listed", |s| {
            let of = s.listed_of.map(|t| format!(" of {t}")).unwrap_or_default();
            format!("{} calls{of}", s.listed)
        }),
        ("vendor JSON", |s| format!("{} bytes", s.payload_bytes)),
    ];
    let rows: Vec<Vec<String>> = fields
        .iter()
        .map(|(label, cell)| {
            let mut row = vec![(*label).to_owned()];
            row.extend(seen.iter().map(|s| shortened(cell(s), 16)));
            row
        })
        .collect();
    let mut headers = vec![""];
    headers.extend(seen.iter().map(|s| s.vendor.as_str()));
    output::table(&headers, &rows)?;
    // What a newcomer asks of the table: why the vendors' rows differ where they do.
    output::line("")?;
    for note in table_notes() {
        output::line(&note)?;
    }
    output::line("\nfirst words of each transcript:")?;
    for s in &seen {
        let words = output::or_dash(s.first_words.clone());
        output::line(&format!("{:<10} {}", s.vendor, shortened(words, 66)))?;
    }
    if let Some(received) = received {
        output::line(&format!(
            "\nwebhooks received: {} events, verified, normalized and de-duplicated by the receiver",
            received.len()
        ))?;
        for delivery in &received {
            output::line(&format!(
                "{:<10} {}",
                delivery.provider_name,
                describe(delivery)
            ))?;
        }
    }
    Ok(())
}

/// How long the demo's calls talk.
const TALK: Duration = Duration::from_millis(700);
/// How many calls the demo lists of each vendor (its first page).
const LISTED: u32 = 10;

/// Under the table: where the vendors' rows differ, and why.
fn table_notes() -> [String; 3] {
    [
        "- end reason: `-` where the vendor says only that a call completed, not who ended it"
            .to_owned(),
        format!(
            "- listed: the first page ({LISTED} calls), and the account's total where the vendor says it"
        ),
        format!(
            "- duration: the sandbox's calls talk for {:.1} s; Rounded counts whole seconds",
            TALK.as_secs_f64()
        ),
    ]
}

/// `text` in at most `chars` characters, its end cut to `…` when longer.
fn shortened(text: String, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text;
    }
    text.chars().take(chars - 1).collect::<String>() + "…"
}

/// Dial, wait for the end, fetch, read the transcript, annotate, list: written once.
async fn scenario(provider: Arc<dyn VoiceProvider>) -> Result<Seen, Failure> {
    let kind = provider.kind();
    let request = DialRequest::to("+14155550199").with_variable("first_name", "Ada");
    let dialed = provider.dial(&request).await?;
    output::say(&format!("{kind:<10} dialed {}", dialed.call_id));
    let call = provider
        .wait_until_ended(
            &dialed.call_id,
            Wait::at_most(Duration::from_secs(30)).polling_every(Duration::from_millis(100)),
        )
        .await?;
    output::say(&format!(
        "{kind:<10} ended: {} ({})",
        call.status,
        call.vendor_status.clone().unwrap_or_default()
    ));
    let transcript = provider.get_transcript(&call.id).await?;

    let caps = provider.capabilities();
    let annotation = if caps.notes {
        provider
            .add_note(&call.id, &NoteInput::new("Demo: follow up next week"))
            .await?;
        "a note"
    } else if caps.update_metadata_merge || caps.update_metadata_replace {
        // Merged where the vendor can; else the call's metadata is replaced (Retell).
        let follow_up = [("follow_up".to_owned(), serde_json::json!("next week"))].into();
        let update = match caps.update_metadata_merge {
            true => CallUpdate::merge_metadata(follow_up),
            false => CallUpdate::replace_metadata(follow_up),
        };
        provider.update_call(&call.id, &update).await?;
        "metadata"
    } else if caps.update_name {
        let renamed = CallUpdate::rename("Demo follow-up");
        provider.update_call(&call.id, &renamed).await?;
        "a name"
    } else {
        "-"
    };
    let page = provider
        .list_calls(&CallQuery {
            page_size: Some(LISTED),
            ..CallQuery::default()
        })
        .await?;
    let fetched = provider.get_call(&call.id).await?;
    Ok(Seen {
        vendor: kind.to_string(),
        call_id: call.id.to_string(),
        status: call.status.to_string(),
        vendor_status: call.vendor_status.clone(),
        end_reason: (call.end_reason.as_ref()).map(|r| r.category.as_str().to_owned()),
        duration_secs: call.duration_secs,
        utterances: transcript.utterances.len(),
        first_words: transcript.utterances.iter().find_map(|u| {
            u.text
                .clone()
                .filter(|t| !t.is_empty() && u.speaker == voiceport::Speaker::Agent)
        }),
        annotation: annotation.to_owned(),
        listed: page.calls.len(),
        listed_of: page.total,
        payload_bytes: fetched.vendor_payload().map_or(0, |p| p.get().len()),
    })
}
