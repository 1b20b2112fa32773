//! `calls dial`: the request its flags describe, the dial, Ctrl-C during it, `--wait`, and
//! what it prints.

use voiceport::{
    CallId, DialRequest, Interrupt, RequestOutcome, VoiceProvider, VoiceProviderExt, Wait,
};

use crate::cli::DialArgs;
use crate::commands::Invocation;
use crate::interrupts::StopSignal;
use crate::walk::{printed_despite, unless_interrupted};
use crate::{Failure, Outcome, output, values};

/// How long a dial interrupted by Ctrl-C is still waited for: its answer carries the new
/// call's id. Ten seconds: a vendor may take a few to answer a dial (and a loaded machine
/// to pass it on), a second Ctrl-C quits at once, and a command that cannot hear the stop
/// is ended 15 s after it.
const DIAL_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// How often `calls dial --wait` looks at the call.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// How long `calls dial --wait` waits unless `--wait-timeout` says: an hour.
const DEFAULT_WAIT: std::time::Duration = std::time::Duration::from_secs(3600);

/// How long `calls dial --wait` is to wait for the end, or `None` without `--wait`.
pub(crate) fn wait_limit(args: &DialArgs) -> Option<std::time::Duration> {
    args.wait.then(|| {
        args.wait_timeout
            .map_or(DEFAULT_WAIT, std::time::Duration::from_secs)
    })
}

/// `calls dial --wait`: waits (at most `limit`) for the call `id` to end, and returns it as
/// it ended. Ctrl-C stops the wait, not the call; a timeout or a failure to look at the
/// call (the call was placed all the same) says how to look at it (`get`: the command that
/// shows it).
pub(crate) async fn wait_for_end(
    provider: &dyn VoiceProvider,
    id: &CallId,
    limit: std::time::Duration,
    ctrl_c: &mut StopSignal,
    get: &str,
) -> Result<voiceport::Call, Failure> {
    let shown = output::cell(id.as_str());
    output::say(&format!(
        "waiting for call {shown} to end (Ctrl-C stops waiting, not the call)"
    ));
    tokio::select! {
        biased;
        () = ctrl_c.received() => Err(Failure::Interrupted(format!(
            "stopped waiting: call {shown} goes on; to see it, run: {get}"
        ))),
        ended = provider.wait_until_ended(id, Wait::at_most(limit).polling_every(WAIT_POLL)) => ended.map_err(|error| match error {
            // Nothing failed: the call is still live, and goes on.
            voiceport::Error::WaitTimedOut { .. } => Failure::Hinted {
                error: Box::new(error),
                hint: format!("the call goes on; to see it, run: {get}"),
            },
            error => Failure::Hinted {
                error: Box::new(error),
                hint: format!("call {shown} was placed; to see it, run: {get}"),
            },
        }),
    }
}

/// The dial request the arguments describe.
pub(crate) fn dial_request(args: DialArgs) -> Result<DialRequest, Failure> {
    Ok(DialRequest {
        to: args.to,
        from_number: args.from_number,
        phone_number_id: args.number_id,
        agent_id: args.agent.map(Into::into),
        variables: values::pairs(&args.vars, "--var", true)?,
        metadata: values::pairs(&args.metadata, "--metadata", true)?,
        scheduled_for: args
            .at
            .as_deref()
            .map(|t| values::time(t, "--at"))
            .transpose()?,
        max_duration_secs: args.max_duration,
        language: args.language,
        name: args.name,
        extra: values::pairs(&args.extra, "--extra", false)?,
        ..DialRequest::default()
    })
}

pub(crate) async fn dial(
    provider: &dyn VoiceProvider,
    named: Invocation<'_>,
    args: DialArgs,
    json: bool,
) -> Outcome {
    let wait = wait_limit(&args);
    let check = args.check;
    let request = dial_request(args)?;
    if check {
        provider.check_dial(&request)?;
        return match json {
            true => output::json(&serde_json::json!({ "would_dial": true })),
            false => output::line(&format!(
                "{} would send this dial (nothing was sent)",
                provider.kind()
            )),
        };
    }
    // The same provider is searched.
    let look = look_for_call(&named.command("calls list"), &request.to);
    let interrupt = Interrupt::new();
    let dialing = interrupt.run(provider.dial(&request));
    tokio::pin!(dialing);
    // Ctrl-C is listened for before the dial starts: dropping an in-flight dial would leave
    // the user not knowing whether a phone rings.
    let mut ctrl_c = StopSignal::listen()?;
    // Polled by reference: an interrupted dial is still waited for below (`dial_grace`).
    let answered = unless_interrupted(&mut ctrl_c, &mut dialing).await;
    match (answered, wait) {
        (Some(Ok(outcome)), None) => return print_dial(outcome, json),
        (Some(Ok(outcome)), Some(limit)) => {
            let id = outcome.call_id.clone();
            if !json {
                print_dialed_id(&id)?;
            }
            let get = named.command(&format!("calls get {}", output::shell_quote(id.as_str())));
            let ended = match wait_for_end(provider, &id, limit, &mut ctrl_c, &get).await {
                Ok(ended) => ended,
                // The call was placed: a script reading the JSON learns it, as after an
                // interrupted dial.
                Err(failure) if json => {
                    return Err(printed_despite(failure, || print_dial(outcome, true)));
                }
                Err(failure) => return Err(failure),
            };
            let outcome = voiceport::DialOutcome::new(id, Some(ended));
            return print_dial(outcome, json);
        }
        (Some(Err(error)), _) => return Err(Failure::sent(error, look)),
        (None, _) => {}
    }
    let whose = format!("{}'s", provider.kind());
    let answer = dial_grace(dialing, &interrupt, &mut ctrl_c, &whose).await;
    // Vendor text: a line break in an error must not fake a line.
    let message = match answer {
        Some(Ok(outcome)) => {
            let id = output::cell(outcome.call_id.as_str()).into_owned();
            let message = format!("the call was placed before the interruption: call id {id}");
            let interrupted = Failure::Interrupted(message);
            return Err(printed_despite(interrupted, || print_dial(outcome, json)));
        }
        Some(Err(error)) => match error.outcome() {
            RequestOutcome::NotApplied => {
                format!("no call was placed ({})", output::cell(&error.to_string()))
            }
            RequestOutcome::Unknown | RequestOutcome::Applied => {
                let error = output::cell(&error.to_string()).into_owned();
                format!("the call may have been placed ({error}); {look}")
            }
        },
        None => format!(
            "the dial request may have reached {}, so the call may have been placed; its id is not known: {look}",
            provider.kind()
        ),
    };
    Err(Failure::Interrupted(message))
}

/// After a first Ctrl-C during a dial run under `interrupt`: throws it, so that no dial
/// not sent yet is sent (a retry, a route's next provider), says so, and waits up to
/// [`DIAL_GRACE`] for the answer of `whose` dial (a second Ctrl-C gives up at once). The
/// answer, if it came.
pub(crate) async fn dial_grace<F: Future>(
    dialing: std::pin::Pin<&mut F>,
    interrupt: &Interrupt,
    ctrl_c: &mut StopSignal,
    whose: &str,
) -> Option<F::Output> {
    interrupt.interrupt();
    output::say_detached(format!(
        "interrupted: waiting up to {} s for {whose} answer to learn whether a call was placed (Ctrl-C again to quit now)",
        DIAL_GRACE.as_secs()
    ));
    tokio::select! {
        biased;
        () = ctrl_c.received() => None,
        answer = tokio::time::timeout(DIAL_GRACE, dialing) => answer.ok(),
    }
}

/// What to run before dialing again, pasteable as it is: `list` (`voiceport calls list`,
/// with the providers to search) and the number, as the shell reads it.
pub(crate) fn look_for_call(list: &str, to: &str) -> String {
    let to = output::shell_quote(to);
    format!("look for it ({list} --to {to}) before dialing again")
}

/// A dial's outcome. As JSON, one shape whatever the vendor answers: `call_id`, and `call`
/// (null when the vendor answers with the id only, as Rounded does).
pub(crate) fn print_dial(outcome: voiceport::DialOutcome, json: bool) -> Outcome {
    match (&outcome.call, json) {
        // `call_id`, then `call`, as `DialOutcome` writes them.
        (_, true) => output::json(&outcome),
        (Some(call), false) => output::call(call, false),
        (None, false) => print_dialed_id(&outcome.call_id),
    }
}

/// The line that says a dial was placed when there is no call to show (yet).
fn print_dialed_id(id: &CallId) -> Outcome {
    output::line(&format!("dialed {}", output::cell(id.as_str())))
}
