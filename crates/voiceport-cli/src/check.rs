//! `voiceport check`: the conformance suite against a configured account.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use voiceport::conformance::{self, Environment, Outcome};
use voiceport::{CallId, CallQuery, ProviderKind, VoiceProvider};

use crate::cli::CheckArgs;
use crate::commands::Invocation;
use crate::dial::look_for_call;
use crate::interrupts::StopSignal;
use crate::progress::Progress;
use crate::{Failure, output};

/// A live account: nothing is known about its calls; nothing is changed; one dial only
/// when asked for.
struct LiveAccount {
    dial: Option<String>,
    /// The calls the suite placed, to end if the check is stopped while they may be live.
    placed: Mutex<Vec<CallId>>,
    /// Whether the suite asked for the number to dial, which it does just before dialing:
    /// stopped before, the check placed no call.
    dialing: std::sync::atomic::AtomicBool,
}

impl LiveAccount {
    fn placed(&self) -> Vec<CallId> {
        let placed = crate::lock(&self.placed);
        placed.clone()
    }

    fn dialing(&self) -> bool {
        self.dialing.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// How long the dial case waits for the call it placed to end.
const CALL_DEADLINE: Duration = Duration::from_secs(600);

impl Environment for LiveAccount {
    fn dial_number(&self) -> Option<String> {
        if self.dial.is_some() {
            self.dialing
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        self.dial.clone()
    }

    // Looked at as the library's waits look: a person is on the line for a minute or
    // two, and the account's rate limit is production's too.
    fn call_deadline(&self) -> (Duration, Duration) {
        (CALL_DEADLINE, voiceport::Wait::DEFAULT_POLL)
    }

    fn dialed(&self, _kind: ProviderKind, call_id: &CallId) {
        let mut placed = crate::lock(&self.placed);
        placed.push(call_id.clone());
    }
}

/// How long ending the calls a stopped check placed may take, in all.
const END_TIMEOUT: Duration = Duration::from_secs(10);

/// The mark of a case no option of `check` can run, explained once under the table.
const NOT_FROM_THE_CLI_MARK: &str = "(*)";

/// The cases (by their names, the same for every provider) that need what the command
/// line never gives the suite: a number known to be busy, permission for a second call (a
/// scheduled dial), a sample webhook delivery, and permission to change calls (the check
/// never writes to a call: not even to the one its `--dial` placed, which it only ends, as
/// a call left running costs the account, when its wait for the end fails). When not run,
/// their table row is marked so, since no option of `check` would run them.
const NOT_FROM_THE_CLI: [&str; 10] = [
    "dial a busy line",
    "dial scheduled",
    "webhooks",
    "update name",
    "update metadata (merge)",
    "update metadata (replace)",
    "notes: add, update, delete",
    "end a live call",
    "cancel a scheduled call",
    "delete a call",
];

/// Whether the account answers at all: a listing that cannot connect, times out, breaks
/// off, whose key is refused, that is rate limited or that the vendor fails (an outage)
/// is returned, as that error, instead
/// of the same error in every case of the table (a rate-limited account would have each
/// case retried against a key production is using, and the adapter blamed). Any other
/// answer is left to the cases to judge.
async fn reachable(provider: &dyn VoiceProvider) -> Result<(), voiceport::Error> {
    if !provider.capabilities().list_calls {
        return Ok(());
    }
    let query = CallQuery {
        page_size: Some(1),
        ..CallQuery::default()
    };
    match provider.list_calls(&query).await {
        Err(
            error @ (voiceport::Error::Unauthorized { .. }
            | voiceport::Error::Transport { .. }
            | voiceport::Error::Timeout { .. }
            | voiceport::Error::AnswerCut { .. }
            | voiceport::Error::RateLimited { .. }
            | voiceport::Error::Server { .. }),
        ) => Err(error),
        _ => Ok(()),
    }
}

/// Ends the calls a stopped check placed, all within [`END_TIMEOUT`], and says for each
/// whether it did: a call left live runs at the account's cost. A call already over (the
/// person called hung up) is said to be over, not ended; a second stop request gives up
/// at once, naming the calls not ended.
async fn end_placed(
    provider: &dyn VoiceProvider,
    placed: &[CallId],
    named: &Invocation<'_>,
    stop: &mut StopSignal,
) -> String {
    let deadline = tokio::time::Instant::now() + END_TIMEOUT;
    let caps = provider.capabilities();
    let mut said = Vec::new();
    for (index, id) in placed.iter().enumerate() {
        let shown = output::cell(id.as_str());
        let end = named.command(&format!("calls end {}", output::shell_quote(id.as_str())));
        let ending = async {
            if caps.get_call
                && let Ok(call) = provider.get_call(id).await
                && call.status.is_terminal()
            {
                return Ending::Over;
            }
            match caps.end_call {
                false => Ending::Cannot,
                true => match provider.end_call(id).await {
                    Ok(()) => Ending::Ended,
                    Err(error) => Ending::Failed(error),
                },
            }
        };
        let ending = tokio::select! {
            biased;
            () = stop.received() => None,
            ending = tokio::time::timeout_at(deadline, ending) => Some(ending),
        };
        let line = match ending {
            Some(Ok(Ending::Over)) => format!("call {shown} is over"),
            Some(Ok(Ending::Ended)) => format!("call {shown} was ended"),
            Some(Ok(Ending::Cannot)) => format!(
                "call {shown} may still be live, and {} cannot end a call",
                provider.kind()
            ),
            Some(Ok(Ending::Failed(error))) => format!(
                "call {shown} may still be live: ending it failed ({}); to try again: {end}",
                output::cell(&error.to_string())
            ),
            Some(Err(_)) => format!(
                "call {shown} may still be live: ending it took over {} s; to try again: {end}",
                END_TIMEOUT.as_secs()
            ),
            None => {
                let left = (placed[index..].iter())
                    .map(|id| output::cell(id.as_str()).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ");
                let (calls, may) = match placed.len() - index {
                    1 => ("call", "which may still be live"),
                    _ => ("calls", "which may all still be live"),
                };
                said.push(format!(
                    "stopped again before ending {calls} {left}, {may}: {}",
                    named.command("calls end ID")
                ));
                break;
            }
        };
        said.push(line);
    }
    format!("the check was stopped: {}", said.join("; "))
}

/// What became of a call a stopped check placed.
enum Ending {
    /// Over before it was ended (its status read back so).
    Over,
    /// Ended now.
    Ended,
    /// The provider cannot end calls.
    Cannot,
    /// The end failed.
    Failed(voiceport::Error),
}

/// Runs the suite against `provider`, the one `named` names.
pub(crate) async fn run(
    provider: Arc<dyn VoiceProvider>,
    named: Invocation<'_>,
    args: CheckArgs,
    json: bool,
) -> crate::Outcome {
    let env = LiveAccount {
        dial: args.dial.clone(),
        placed: Mutex::new(Vec::new()),
        dialing: std::sync::atomic::AtomicBool::new(false),
    };
    // The suite reports only at its end, which a dial can put minutes away: a spinner
    // says it is running. The results are printed after it, so they never mix.
    let mut stop = StopSignal::listen()?;
    // Said first: the run then waits on a person, silently but for the spinner.
    if let Some(number) = &args.dial {
        output::say(&format!(
            "the dial case calls {} and waits up to {} minutes for the call to end (and up to \
             two more for its analysis and cost): answer it, say a few words, and hang up",
            output::cell(number),
            CALL_DEADLINE.as_secs() / 60
        ));
    }
    let progress = Progress::for_rows(false);
    progress.working("running the conformance cases");
    let checked = async {
        reachable(provider.as_ref()).await?;
        Ok::<_, voiceport::Error>(conformance::run(provider.as_ref(), &env).await)
    };
    let report = tokio::select! {
        report = checked => match report {
            Ok(report) => report,
            Err(error) => {
                progress.finish();
                return Err(Failure::Voice(error));
            }
        },
        // Stopped mid-run, a dialed call may still be live at the account's cost.
        () = stop.received() => {
            progress.finish();
            let message = match (&args.dial, env.placed()) {
                (Some(number), placed) if placed.is_empty() && env.dialing() => format!(
                    "the check was stopped; the call it may have dialed to {number} could still be live: {}, and end it ({} ID)",
                    look_for_call(&named.command("calls list"), number),
                    named.command("calls end"),
                ),
                (Some(_), placed) if placed.is_empty() => {
                    "the check was stopped before its dial; it placed no call and changed nothing"
                        .to_owned()
                }
                (_, placed) if placed.is_empty() => {
                    "the check was stopped before it ended; it changed nothing".to_owned()
                }
                (_, placed) => end_placed(provider.as_ref(), &placed, &named, &mut stop).await,
            };
            return Err(Failure::Interrupted(message));
        }
    };
    progress.finish();
    // The call placed stays in the account's history, and is billed: said, so that it can
    // be found.
    for id in env.placed() {
        output::say(&format!(
            "the dial case placed call {} (billed, and kept in the account's history)",
            output::cell(id.as_str()),
        ));
    }
    // A reader that stops early (`check | head -3`) must not turn failures into success.
    let failed = report.failures().len();
    if failed > 0 {
        output::exit_on_closed_output(Failure::Check(failed).exit_code());
    }
    if json {
        output::json(&report)?;
    } else {
        // The cases no option of `check` can run are marked, and said once below.
        let mut marked = false;
        let rows: Vec<Vec<String>> = report
            .cases
            .iter()
            .map(|c| {
                let why = match &c.outcome {
                    Outcome::Failed(why) | Outcome::NotRun(why) => why.clone(),
                    _ => String::new(),
                };
                let why = match &c.outcome {
                    Outcome::NotRun(_) if NOT_FROM_THE_CLI.contains(&c.case.as_str()) => {
                        marked = true;
                        format!("{why} {NOT_FROM_THE_CLI_MARK}")
                    }
                    _ => why,
                };
                vec![c.case.clone(), c.outcome.label().to_owned(), why]
            })
            .collect();
        output::table(&["CASE", "RESULT", "WHY"], &rows)?;
        if marked {
            output::line(&format!(
                "{NOT_FROM_THE_CLI_MARK} not from the CLI: the library's `conformance` feature runs it where an `Environment` allows"
            ))?;
        }
        output::line(&format!(
            "{}: {} passed, {} unsupported, {} failed, {} not run",
            report.provider,
            report.passed(),
            report.unsupported(),
            failed,
            report.not_run().len()
        ))?;
    }
    match failed {
        0 => Ok(()),
        failed => Err(Failure::Check(failed)),
    }
}
