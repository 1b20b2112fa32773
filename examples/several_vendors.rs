//! Several vendors at once through one `Registry`: one merged call stream, and a dial
//! route that fails over to a second vendor only when the first provably placed nothing.
//!
//! The configuration names three providers (HappyRobot, Voicebot Studio, Rounded) served
//! by the in-process sandbox, and a `failover` route over two of them: no account, no
//! network.
//!
//! ```sh
//! cargo run --example several_vendors
//! ```

use futures::TryStreamExt;
use voiceport::{
    CallQuery, DialRequest, MergeOptions, MergedCursor, ProviderKind, Registry, Selection,
};
use voiceport_sandbox::{Fault, FaultKind, Sandbox};

/// A number the sandbox answers with a conversation.
const TO: &str = "+14155550188";

/// `[providers.NAME]` for `kind`, pointing at the sandbox. Against real accounts it is
/// `kind`, `api_key_env` and the vendor's options.
fn provider_toml(sandbox: &Sandbox, name: &str, kind: ProviderKind) -> String {
    let mut toml = sandbox.provider_toml(name, kind);
    // One attempt per request, so that the failover below is immediate.
    toml.push_str(&format!("[providers.{name}.retry]\nmax_attempts = 1\n"));
    toml
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder()
        .calls(ProviderKind::HappyRobot, 12)
        .calls(ProviderKind::Voicebot, 9)
        .calls(ProviderKind::Rounded, 7)
        .start()
        .await?;
    let mut toml = String::from("default = \"sales\"\n");
    toml.push_str(&provider_toml(&sandbox, "sales", ProviderKind::HappyRobot));
    toml.push_str(&provider_toml(&sandbox, "studio", ProviderKind::Voicebot));
    toml.push_str(&provider_toml(&sandbox, "support", ProviderKind::Rounded));
    toml.push_str(
        "[routes.outbound]\nproviders = [\"sales\", \"studio\"]\npolicy = \"failover\"\n",
    );
    let registry = Registry::from_toml_str(&toml)?;

    // Every provider's calls in one stream, newest first, fetched page by page.
    let query = CallQuery {
        page_size: Some(5),
        ..CallQuery::default()
    };
    let mut walk = registry.calls(&Selection::All, query.clone(), MergeOptions::default())?;
    println!("the five newest calls of all three providers:");
    for _ in 0..5 {
        if let Some(merged) = walk.try_next().await? {
            let created = merged
                .call
                .created_at
                .map(|at| at.to_rfc3339())
                .unwrap_or_default();
            println!(
                "  {:<50} {:<12} {created}",
                merged.qualified_id(),
                merged.call.status
            );
        }
    }
    // Stop anywhere; the cursor (text, to keep in a job queue or a file) resumes exactly there.
    let token = walk.cursor().to_token();
    drop(walk);
    let rest: Vec<_> = registry
        .calls(
            &Selection::All,
            query,
            MergeOptions::default().resume_from(MergedCursor::from_token(&token)?),
        )?
        .try_collect()
        .await?;
    println!(
        "resumed from the cursor: {} more calls (12 + 9 + 7 in all)\n",
        rest.len()
    );

    // The route dials `sales` first. A 401 proves no call was placed, so it fails over.
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(401))
            .vendor(ProviderKind::HappyRobot)
            .method("POST"),
    );
    let dialed = registry.dial("outbound", &DialRequest::to(TO)).await?;
    for refusal in &dialed.refused {
        println!("`{}` refused: {}", refusal.provider_name, refusal.error);
    }
    println!(
        "placed by `{}` as {}",
        dialed.provider_name,
        dialed.qualified_id()
    );
    // A provider-qualified id reaches the call whichever provider holds it.
    let call = registry.get_call(&dialed.qualified_id()).await?;
    println!("fetched back: {} {}\n", call.id, call.status);

    // A 500 after the vendor created the call: the call may exist, so no failover.
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(500))
            .vendor(ProviderKind::HappyRobot)
            .method("POST")
            .after_handler(),
    );
    match registry.dial("outbound", &DialRequest::to(TO)).await {
        Ok(dialed) => println!("placed by `{}`", dialed.provider_name),
        Err(err) if err.call_may_exist() => {
            // The provider that may have placed it: the one whose answer was unclear.
            let suspect = err
                .provider_name
                .as_deref()
                .unwrap_or("the route's providers");
            println!("not retried elsewhere; look on `{suspect}` first:\n  {err}")
        }
        Err(err) => println!("no provider placed the call: {err}"),
    }
    Ok(())
}
