//! `voiceport demo`: the same code path against all three vendors, on the built-in
//! sandbox, printed side by side.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use voiceport::{
    CallQuery, CallUpdate, DialRequest, NoteInput, ProviderKind, Registry, VoiceProvider,
    VoiceProviderExt,
};
use voiceport_sandbox::{Sandbox, Timing};

use crate::{Failure, Outcome, output};

/// A `voiceport.toml` that points one provider per vendor at `sandbox`.
pub(crate) fn sandbox_toml(sandbox: &Sandbox) -> String {
    let mut text = String::new();
    for kind in ProviderKind::ALL {
        let config = sandbox.provider_config(kind);
        text.push_str(&format!(
            "[providers.{kind}]\nkind = \"{kind}\"\napi_key = \"{}\"\nbase_url = \"{}\"\n[providers.{kind}.options]\n",
            sandbox.api_key(kind),
            sandbox.base_url(kind),
        ));
        for (key, value) in &config.options {
            text.push_str(&format!("{key} = {value}\n"));
        }
        text.push('\n');
    }
    text
}

/// How one row of the side-by-side table reads a vendor's result.
type Cell = fn(&Seen) -> String;

/// What the scenario saw for one vendor.
#[derive(Debug, Serialize)]
struct Seen {
    vendor: String,
    call_id: String,
    status: String,
    vendor_status: String,
    end_reason: String,
    duration_secs: String,
    utterances: usize,
    first_words: String,
    annotation: String,
    listed: String,
    payload_bytes: usize,
}

pub(crate) async fn run(json: bool) -> Outcome {
    let sandbox = Sandbox::builder()
        .calls(ProviderKind::HappyRobot, 25)
        .calls(ProviderKind::Voicebot, 25)
        .calls(ProviderKind::Rounded, 25)
        .timing(Timing {
            queued: Duration::from_millis(100),
            ringing: Duration::from_millis(200),
            talk: Duration::from_millis(700),
        })
        .start()
        .await
        .map_err(|e| Failure::Io("cannot start the sandbox".into(), e))?;
    eprintln!(
        "sandbox on http://{}; one provider per vendor, the same code for each\n",
        sandbox.addr()
    );
    let registry = Registry::from_toml_str(&sandbox_toml(&sandbox))?;
    let mut seen = Vec::new();
    for name in registry.names() {
        let provider = registry.connect(Some(name))?;
        seen.push(scenario(provider).await?);
    }
    if json {
        return output::json(&seen);
    }
    let fields: [(&str, Cell); 11] = [
        ("vendor", |s| s.vendor.clone()),
        ("dialed call", |s| s.call_id.clone()),
        ("status", |s| s.status.clone()),
        ("vendor status", |s| s.vendor_status.clone()),
        ("end reason", |s| s.end_reason.clone()),
        ("duration", |s| s.duration_secs.clone()),
        ("utterances", |s| s.utterances.to_string()),
        ("first words", |s| s.first_words.clone()),
        ("annotated by", |s| s.annotation.clone()),
        ("listed", |s| s.listed.clone()),
        ("vendor JSON", |s| format!("{} bytes", s.payload_bytes)),
    ];
    let rows: Vec<Vec<String>> = fields
        .iter()
        .skip(1)
        .map(|(label, cell)| {
            let mut row = vec![(*label).to_owned()];
            row.extend(seen.iter().map(|s| {
                let mut text = cell(s);
                if text.chars().count() > 36 {
                    text = text.chars().take(35).collect::<String>() + "…";
                }
                text
            }));
            row
        })
        .collect();
    let mut headers = vec![""];
    headers.extend(seen.iter().map(|s| s.vendor.as_str()));
    output::table(&headers, &rows)
}

/// Dial, wait for the end, fetch, read the transcript, annotate, list: written once.
async fn scenario(provider: Arc<dyn VoiceProvider>) -> Result<Seen, Failure> {
    let kind = provider.kind();
    let mut request = DialRequest::to("+14155550199");
    request.variables.insert("first_name".into(), "Ada".into());
    let dialed = provider.dial(&request).await?;
    eprintln!("{kind:<10} dialed {}", dialed.call_id);
    let call = provider
        .wait_until_ended(
            &dialed.call_id,
            Duration::from_millis(100),
            Duration::from_secs(30),
        )
        .await?;
    eprintln!(
        "{kind:<10} ended: {} ({})",
        call.status,
        call.vendor_status.clone().unwrap_or_default()
    );
    let transcript = provider.transcript(&call.id).await?;

    let caps = provider.capabilities();
    let annotation = if caps.notes {
        provider
            .add_note(&call.id, &NoteInput::new("Demo: follow up next week"))
            .await?;
        "a note"
    } else if caps.update_metadata_merge {
        let update = CallUpdate {
            metadata: Some(
                [("follow_up".to_owned(), serde_json::json!("next week"))]
                    .into_iter()
                    .collect(),
            ),
            ..CallUpdate::default()
        };
        provider.update_call(&call.id, &update).await?;
        "metadata"
    } else if caps.update_name {
        provider
            .update_call(
                &call.id,
                &CallUpdate {
                    name: Some("Demo follow-up".into()),
                    ..CallUpdate::default()
                },
            )
            .await?;
        "a name"
    } else {
        "-"
    };
    let page = provider
        .list_calls(&CallQuery {
            page_size: Some(10),
            ..CallQuery::default()
        })
        .await?;
    let total = page.total.map(|t| format!(" of {t}")).unwrap_or_default();
    let fetched = provider.get_call(&call.id).await?;
    Ok(Seen {
        vendor: kind.to_string(),
        call_id: call.id.to_string(),
        status: call.status.to_string(),
        vendor_status: call.vendor_status.clone().unwrap_or_else(|| "-".into()),
        end_reason: call
            .end_reason
            .as_ref()
            .and_then(|r| serde_json::to_value(r.category).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "-".into()),
        duration_secs: call
            .duration_secs
            .map(|d| format!("{d:.1}s"))
            .unwrap_or_else(|| "-".into()),
        utterances: transcript.utterances.len(),
        first_words: transcript
            .utterances
            .iter()
            .find_map(|u| {
                u.text
                    .clone()
                    .filter(|t| !t.is_empty() && u.speaker == voiceport::Speaker::Agent)
            })
            .unwrap_or_else(|| "-".into()),
        annotation: annotation.to_owned(),
        listed: format!("{} calls{total}", page.calls.len()),
        payload_bytes: fetched.vendor_payload().map_or(0, |p| p.get().len()),
    })
}
