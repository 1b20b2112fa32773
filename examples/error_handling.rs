//! Errors by kind: what to do with each one.
//!
//! Every operation of every vendor fails with one `voiceport::Error`, whose kinds say what
//! to do next:
//!
//! - `is_retryable()`: rate limits, vendor failures (5xx), timeouts, broken connections,
//!   where sending the request again is safe (for a dial: certainly not applied).
//!   Reads are already retried within the configured budget; past it, try again later
//!   (`retry_after()` says when, if the vendor did). `is_transient()` is the same without
//!   the safety: true for a dial that timed out after it was sent.
//! - `Error::Unsupported`: the vendor has no such operation (`capabilities()` says so up
//!   front), or cannot take a field of it (a dial's `name`, say: the error's `reason`
//!   says what to do instead). Nothing was sent.
//! - `outcome()` for a dial: a phone must not ring twice, so a dial is never retried once it
//!   may have reached the vendor. `NotApplied`: nothing happened, dialing again is safe.
//!   `Unknown`: the call may exist, look it up before dialing again
//!   (`provider.find_dialed(&request, dialed_at)`). `Applied`: the vendor
//!   took it, only its answer was unreadable.
//!
//! The in-process sandbox's faults provoke each case: no account, no network.
//!
//! ```sh
//! cargo run --example error_handling
//! ```

use voiceport::{
    CallId, CallQuery, DialRequest, Error, NoteInput, ProviderKind, RequestOutcome, VoiceProvider,
    VoiceProviderExt,
};
use voiceport_sandbox::{Fault, FaultKind, Sandbox};

/// What an application does with an error, by kind. `Error` is `#[non_exhaustive]`:
/// keep a last arm for kinds added later.
fn advice(err: &Error) -> &'static str {
    match err {
        Error::Unsupported { .. } => {
            "the vendor has no such operation or field: check capabilities() and the reason"
        }
        Error::Unauthorized { .. } => "the key was refused: fix the configuration",
        Error::NotFound { .. } => "no such call: drop it from your records",
        Error::InvalidRequest { .. } => "the vendor refused the request: fix the input",
        Error::Config { .. } => "unusable configuration: the error names the field",
        err if err.is_retryable() => "transient: try again later",
        _ => "report it",
    }
}

fn show(what: &str, err: &Error) {
    println!("{what}\n  error:   {err}\n  advice:  {}", advice(err));
    // The vendor's HTTP status, read without matching on the kind.
    if let Some(status) = err.status() {
        println!("  status:  {status}");
    }
    if let Some(wait) = err.retry_after() {
        println!("  vendor asked to wait {wait:?}");
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kind = ProviderKind::HappyRobot;
    let sandbox = Sandbox::builder().calls(kind, 20).start().await?;
    // Small retry and timeout budgets, so that the example runs in a second.
    let mut config = sandbox.provider_config(kind);
    config.retry.max_attempts = Some(3);
    config.retry.initial_backoff_ms = Some(10);
    config.retry.max_backoff_ms = Some(50);
    config.timeout_secs = Some(1.0);
    let provider = voiceport::connect(&config)?;
    let faults = sandbox.faults();

    // 1. A transient failure within the retry budget: the read just succeeds.
    faults.inject(
        Fault::new(FaultKind::Status(503))
            .vendor(kind)
            .method("GET")
            .times(2),
    );
    let page = provider.list_calls(&CallQuery::default()).await?;
    println!(
        "two 503s absorbed by the retries: {} calls listed\n",
        page.calls.len()
    );

    // 2. Past the budget: a retryable error.
    faults.inject(
        Fault::new(FaultKind::RateLimited {
            retry_after: std::time::Duration::from_secs(1),
        })
        .vendor(kind)
        .method("GET")
        .times(u32::MAX),
    );
    let err = provider
        .list_calls(&CallQuery::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    show("rate limited on every attempt:", &err);
    faults.clear();

    // 3. Not found, and an operation the vendor does not have.
    let err = provider
        .get_call(&CallId::new("65f1c0ffee0123456789abcd"))
        .await
        .unwrap_err();
    show("\na call that does not exist:", &err);
    let rounded = voiceport::connect(&sandbox.provider_config(ProviderKind::Rounded))?;
    println!("\nRounded supports notes: {}", rounded.capabilities().notes);
    let err = rounded
        .add_note(
            &CallId::new("14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3"),
            &NoteInput::new("hi"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }));
    show("a note on a Rounded call:", &err);

    // 4. Dials: what `outcome()` says about the call.
    println!();
    let cases = [
        // (what, the fault, a number the sandbox answers with a conversation)
        (
            "refused before the call was created (401)",
            Fault::new(FaultKind::Status(401)),
            "+14155550197",
        ),
        (
            "a 500 after the call was created",
            Fault::new(FaultKind::Status(500)).after_handler(),
            "+14155550198",
        ),
        (
            "an unreadable answer to a created call",
            Fault::new(FaultKind::Malformed).after_handler(),
            "+14155550199",
        ),
    ];
    for (what, fault, to) in cases {
        dial_and_look(&sandbox, provider.as_ref(), what, fault, to).await?;
    }
    // Retell's time range reads when a call started: `find_dialed` finds the call just
    // dialed, still ringing, by its number alone, its creation time compared here.
    let retell = voiceport::connect(&sandbox.provider_config(ProviderKind::Retell))?;
    let what = "a 500 after the call was created, on Retell";
    let fault = Fault::new(FaultKind::Status(500)).after_handler();
    dial_and_look(&sandbox, retell.as_ref(), what, fault, "+14155550198").await?;
    Ok(())
}

/// Dials `to` on `provider` with `fault` in the way, and says what the error's outcome
/// means; where the call may exist, looks it up before dialing again.
async fn dial_and_look(
    sandbox: &Sandbox,
    provider: &dyn VoiceProvider,
    what: &str,
    fault: Fault,
    to: &str,
) -> voiceport::Result<()> {
    let kind = provider.kind();
    sandbox.faults().inject(fault.vendor(kind).method("POST"));
    let before = sandbox.dialed_count(kind);
    let request = order(to);
    // Taken just before the dial: the look afterwards reads the calls since then.
    let dialed_at = voiceport::chrono::Utc::now();
    let err = provider.dial(&request).await.unwrap_err();
    sandbox.faults().clear();
    let placed = sandbox.dialed_count(kind) - before;
    println!("dial, {what}:\n  error:   {err}");
    match err.outcome() {
        RequestOutcome::NotApplied => {
            println!("  NotApplied: nothing happened, dialing again is safe")
        }
        // The call may exist (Unknown) or does (Applied): look before dialing again.
        outcome => {
            let found = provider.find_dialed(&request, dialed_at).await?.len();
            println!("  {outcome:?}: looked it up before dialing again, found {found}");
            assert_eq!(
                found, placed,
                "the lookup finds the call the vendor created"
            );
        }
    }
    println!("  (calls the vendor really created: {placed})");
    Ok(())
}

/// Your own id for what a dial is for: no vendor filters on metadata, but among the calls
/// to a number `find_dialed` tells yours apart by it, where the vendor reads it back.
const ORDER_ID: &str = "A-1042";

/// A dial to `to`, carrying this example's order id.
fn order(to: &str) -> DialRequest {
    let mut request = DialRequest::to(to);
    request.metadata.insert("order_id".into(), ORDER_ID.into());
    request
}
