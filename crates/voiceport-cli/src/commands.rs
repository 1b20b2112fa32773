//! The commands, each from its parsed arguments to its output (a command of its own
//! file aside: `check`, `demo`, `listen`, `normalize`, merged walks in `multi`).

use std::path::Path;
use std::sync::Arc;

use futures::TryStreamExt;
use voiceport::{
    CallId, CallQuery, CallUpdate, DialRequest, Filter, Interrupt, MetadataMode, NoteId, NoteInput,
    NoteUpdate, PageCursor, RequestOutcome, VoiceProvider, VoiceProviderExt,
};

use crate::cli::{
    CallsCommand, Cli, Command, DialArgs, ExportArgs, ExportFormat, ListArgs, NotesCommand,
    SandboxArgs, Shell, UpdateArgs,
};
use crate::csv::CSV_COLUMNS;
use crate::export_sink::Sink;
use crate::interrupts::StopSignal;
use crate::page_writer::PageWriter;
use crate::progress::Progress;
use crate::urls::receiver_base;
use crate::{Failure, Outcome, config, output, values};

/// Prints the completion script of `shell` for the whole command line.
fn completions(shell: Shell) -> Outcome {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    // Generated into memory first: clap_complete panics when its writer fails, and a closed
    // pipe must end the program quietly, as for every other output.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), "voiceport", &mut script);
    let script = String::from_utf8_lossy(&script);
    output::raw_line(script.trim_end_matches('\n'))
}

pub(crate) async fn run(cli: Cli) -> Outcome {
    let connect = || config::provider(cli.config.as_deref(), cli.provider.as_deref());
    let json = cli.json;
    let registry = || config::registry(cli.config.as_deref());
    let merged_walk = match &cli.command {
        Command::Calls(CallsCommand::List(args)) => args.providers.is_some(),
        Command::Export(args) => args.providers.is_some(),
        _ => false,
    };
    if merged_walk && cli.provider.is_some() {
        let message = "-p names one provider and --providers several: give one of them";
        return Err(Failure::Usage(message.into()));
    }
    if let Command::Calls(CallsCommand::Dial(args)) = &cli.command
        && args.route.is_some()
        && cli.provider.is_some()
    {
        let message = "-p names one provider and --route picks one: give one of them";
        return Err(Failure::Usage(message.into()));
    }
    let config_path = cli.config.as_deref();
    if let Command::Calls(CallsCommand::List(args)) = &cli.command
        && args.all
        && json
        && cli.pretty
    {
        let message =
            "`calls list --all --json` prints JSON Lines, one call a line: --pretty does not apply";
        return Err(Failure::Usage(message.into()));
    }
    if let Command::Export(_) = &cli.command
        && cli.pretty
    {
        let message = "`export` writes JSON Lines or CSV, one call a line: --pretty does not apply";
        return Err(Failure::Usage(message.into()));
    }
    if let Command::Export(args) = &cli.command
        && json
        && matches!(args.format, ExportFormat::Csv)
    {
        let message = "--json asks for JSON and --format csv for CSV: give one of them (--format jsonl writes JSON Lines)";
        return Err(Failure::Usage(message.into()));
    }
    match cli.command {
        Command::Calls(CallsCommand::List(args)) if args.providers.is_some() => {
            let providers = args.providers.clone().unwrap_or_default();
            crate::multi::list(&registry()?, &providers, args, json).await
        }
        Command::Calls(CallsCommand::Dial(mut args)) if args.route.is_some() => {
            let route = args.route.take().unwrap_or_default();
            crate::multi::dial(
                &registry()?,
                Invocation::of(config_path, None),
                &route,
                args,
                json,
            )
            .await
        }
        Command::Export(args) if args.providers.is_some() => {
            let providers = args.providers.clone().unwrap_or_default();
            crate::multi::export(&registry()?, &providers, args).await
        }
        Command::Calls(mut command) => {
            let provider = match command.call_id_mut() {
                Some(id) => provider_of_id(config_path, cli.provider.as_deref(), id)?,
                None => connect()?,
            };
            let named = Invocation::of(config_path, cli.provider.as_deref());
            calls(provider, command, named, json).await
        }
        Command::Notes(mut command) => {
            // The id as given (qualified or not), for the command that shows the call.
            let named = Invocation::of(config_path, cli.provider.as_deref());
            let shown = named.command(&format!(
                "calls get {}",
                output::shell_quote(command.call_id_mut())
            ));
            let provider =
                provider_of_id(config_path, cli.provider.as_deref(), command.call_id_mut())?;
            notes(provider, command, &shown, json).await
        }
        Command::Export(args) => export(connect()?, args).await,
        // Run by `main` before a runtime starts; here for completeness of the match.
        Command::Normalize(args) => crate::normalize::run(&args, cli.verbose > 0),
        Command::Capabilities => capabilities(&cli.config, cli.provider.as_deref(), json),
        Command::Check(args) => {
            let named = Invocation::of(config_path, cli.provider.as_deref());
            crate::check::run(connect()?, named, args, json).await
        }
        Command::Listen(args) => {
            if cli.pretty {
                let message =
                    "`listen --json` prints JSON Lines, one event a line: --pretty does not apply";
                return Err(Failure::Usage(message.into()));
            }
            let registry = config::registry(cli.config.as_deref())?;
            crate::listen::run(registry, args, cli.provider.clone(), json).await
        }
        Command::Sandbox(args) => sandbox(args).await,
        Command::Demo(args) => crate::demo::run(json, args.webhooks).await,
        Command::Completions(args) => completions(args.shell),
    }
}

/// The provider of a command that names one call by `id`: `provider:call_id` names its
/// provider (as merged listings print ids), and `id` becomes the vendor's own; any other id
/// is the -p provider's (`chosen`). An id whose prefix names no provider (`sale:abc`) is
/// refused without -p: a misspelt provider, never the default's call.
fn provider_of_id(
    config: Option<&Path>,
    chosen: Option<&str>,
    id: &mut String,
) -> Result<Arc<dyn VoiceProvider>, Failure> {
    let Some((prefix, call)) = id.split_once(':') else {
        return config::provider(config, chosen);
    };
    let registry = config::registry(config)?;
    if registry.names().any(|known| known == prefix) {
        let (name, call) = (prefix.to_owned(), call.to_owned());
        // `-p sales calls get support:abc`: which one was meant cannot be told.
        if chosen.is_some_and(|chosen| chosen != name) {
            let message = format!(
                "the id names provider `{name}` and -p another: give one of them (an id that holds a `:` of the -p provider is given as `NAME:ID`)"
            );
            return Err(Failure::Usage(message));
        }
        *id = call;
        return config::connect(&registry, Some(&name));
    }
    if chosen.is_none() {
        let message = format!(
            "the id's part before `:`, `{prefix}`, is no configured provider ({}): give -p NAME for a call id that holds a `:`",
            registry.file().names_listed()
        );
        return Err(Failure::Usage(message));
    }
    // The registry already read (its warnings already said).
    config::connect(&registry, chosen)
}

/// A `calls` command through `provider`, the one `named` names.
async fn calls(
    provider: Arc<dyn VoiceProvider>,
    command: CallsCommand,
    named: Invocation<'_>,
    json: bool,
) -> Outcome {
    let id = |text: &str| CallId::new(text);
    match command {
        CallsCommand::List(args) => list(provider.as_ref(), args, json).await,
        CallsCommand::Get {
            id: call,
            vendor_json,
        } => {
            let call = provider.get_call(&id(&call)).await?;
            match vendor_json {
                true => output::vendor_json(&call),
                false => output::call(&call, json),
            }
        }
        CallsCommand::Transcript { id: call } => {
            output::transcript(&provider.transcript(&id(&call)).await?, json)
        }
        CallsCommand::Recording { id: call } => {
            let recording = provider.recording(&id(&call)).await?;
            if json {
                return output::json(&recording);
            }
            match recording {
                Some(r) => {
                    for (label, url) in [("mono", r.mono_url), ("stereo", r.stereo_url)] {
                        if let Some(url) = url {
                            // Vendor text: a line break in it must not fake a line.
                            // The labels in one column, the URLs after them.
                            output::line(&format!("{label:<6}  {}", output::cell(&url)))?;
                        }
                    }
                    Ok(())
                }
                None => output::line("(no recording)"),
            }
        }
        CallsCommand::Dial(args) => dial(provider.as_ref(), named, args, json).await,
        CallsCommand::Update(args) => update(provider.as_ref(), args, json).await,
        CallsCommand::End { id: call } => {
            provider.end_call(&id(&call)).await?;
            done(json, "ended", &call)
        }
        CallsCommand::Cancel { id: call } => {
            provider.cancel_call(&id(&call)).await?;
            done(json, "canceled", &call)
        }
        CallsCommand::Delete { id: call } => {
            provider.delete_call(&id(&call)).await?;
            done(json, "deleted", &call)
        }
    }
}

fn done(json: bool, what: &str, id: &str) -> Outcome {
    if json {
        output::json(&serde_json::json!({ "call_id": id, "result": what }))
    } else {
        output::line(&format!("{what} {}", output::cell(id)))
    }
}

async fn list(provider: &dyn VoiceProvider, args: ListArgs, json: bool) -> Outcome {
    let mut query = values::query(&args.filters)?;
    query.page_size = args.limit;
    query.cursor = args
        .cursor
        .as_deref()
        .map(PageCursor::from_token)
        .transpose()
        .map_err(values::cursor_refused)?;
    if !args.all {
        let page = provider.list_calls(&query).await?;
        let shown = args.limit.map_or(page.calls.len(), |limit| {
            page.calls.len().min(limit as usize)
        });
        let calls = &page.calls[..shown];
        // A vendor that ignores the page size sends more than --limit: the page's cursor
        // goes on after all of them, so it would skip the calls not shown.
        let cut = page.calls.len() - shown;
        let next = match cut {
            0 => page.next.as_ref(),
            cut => {
                output::say(&format!(
                    "note: {} sent {} calls for --limit {shown}; no cursor is given, as it would skip the {cut} not shown (use --all, or a larger --limit)",
                    provider.kind(),
                    page.calls.len()
                ));
                None
            }
        };
        if json {
            /// A page as printed, its calls in their own field order.
            #[derive(serde::Serialize)]
            struct Listed<'a> {
                calls: &'a [voiceport::Call],
                next_cursor: Option<String>,
                total: Option<u64>,
                /// A null cursor alone would read as the last page: how many calls were
                /// not shown says that more exist.
                #[serde(skip_serializing_if = "Option::is_none")]
                truncated: Option<usize>,
            }
            return output::json(&Listed {
                calls,
                next_cursor: next.map(PageCursor::to_token),
                total: page.total,
                truncated: (cut > 0).then_some(cut),
            });
        }
        output::calls(calls, false)?;
        if let Some(next) = next {
            // A vendor filtering on voiceport's side serves pages that may match few calls,
            // or none: a short page is not the end.
            let filtered_here = provider.capabilities().client_side_filtering
                && (query.filters_used().iter()).any(|filter| *filter != Filter::Sort);
            let short = args.limit.is_some_and(|limit| calls.len() < limit as usize);
            if calls.is_empty() {
                output::say(
                    "note: no call on this page matched, but more pages follow (some filters are applied to each page after it is fetched); --all reads them all",
                );
            } else if short && filtered_here {
                let matched = match calls.len() {
                    1 => "1 call".to_owned(),
                    n => format!("{n} calls"),
                };
                output::say(&format!(
                    "note: {matched} of this page matched, fewer than --limit: more pages follow (some filters are applied to each page after it is fetched); --all reads them all"
                ));
            }
            // The cursor goes on from this page of this query: with the same filters.
            output::say(&format!(
                "more: the same command with --cursor {}",
                output::shell_quote(&next.to_token())
            ));
        }
        return Ok(());
    }
    // Every page is printed as it arrives (JSON Lines with --json): a failure on page N
    // loses nothing already fetched, and says where to resume.
    let mut resume = query.cursor.clone();
    let mut pages = provider.pages(query);
    // The columns whose widths are known before any row are that wide from the start, so
    // that a later page's rows do not shift them (as in a merged walk).
    let mut table = output::Table::new(&output::CALL_HEADERS);
    for (column, width) in output::known_call_widths() {
        table = table.at_least(column, width);
    }
    let progress = Progress::for_rows(true);
    let mut count = 0;
    let mut ctrl_c = StopSignal::listen()?;
    loop {
        let Some(next) = unless_interrupted(&mut ctrl_c, pages.try_next()).await else {
            // The last page was printed (it named no next): the walk is complete.
            if walk_complete(count, resume.as_ref()) {
                break;
            }
            // Every page printed is whole: the walk resumes after them.
            progress.finish();
            let token = resume.as_ref().map(PageCursor::to_token);
            let interrupted = interrupted_walk(count, token.as_deref(), "");
            if !json {
                // The header at least, when no row came yet.
                return Err(printed_despite(interrupted, || table.finish()));
            }
            return Err(interrupted);
        };
        let page = match next {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(error) => {
                progress.finish();
                return Err(walk_failure(error, count, resume.as_ref(), ""));
            }
        };
        let written = if json {
            output::json_lines(&page.calls)
        } else {
            let rows: Vec<Vec<String>> = page.calls.iter().map(output::call_row).collect();
            table.rows(&rows)
        };
        if let Err(failure) = written {
            progress.finish();
            return Err(unwritten(failure, count, resume.map(|c| c.to_token()), ""));
        }
        count += page.calls.len();
        resume = page.next.clone();
        progress.show(count, page.total);
    }
    progress.finish();
    if !json {
        table.finish()?;
    }
    Ok(())
}

/// The failure of a walk that printed `count` calls before `error`; `resume` is the
/// cursor of the page that failed. `extra` is added to the suggested command.
fn walk_failure(
    error: voiceport::Error,
    count: usize,
    resume: Option<&PageCursor>,
    extra: &str,
) -> Failure {
    if count == 0 && resume.is_none() {
        // Nothing was printed: the plain error says it all.
        return Failure::Voice(error);
    }
    let hint = match resume {
        // The vendor's cursors came round again: resuming would go round too.
        _ if error.is_cursor_cycle() => format!(
            "{count} calls were printed before the failure; the vendor's cursors came round again, so the walk cannot go further"
        ),
        // The cursor that would resume is the one refused: too long to follow or to print.
        _ if error.is_cursor_too_long() => format!(
            "{count} calls were printed before the failure; the vendor's next cursor is too long to follow, so the walk cannot go further"
        ),
        Some(cursor) => format!(
            "{count} calls were printed before the failure; {}",
            resume_hint(&cursor.to_token(), extra)
        ),
        None => format!(
            "{count} calls were printed before the failure; run the same command again to start over"
        ),
    };
    Failure::Hinted {
        error: Box::new(error),
        hint,
    }
}

/// The `failure` to write a walk's next calls to standard output (a full disk) after
/// `count` calls written whole: where to resume (`resume`, the cursor of the calls that
/// failed; `None`, from the start), with `extra` added to the suggested command. Those
/// calls may have been written in part, their last line cut short: resuming writes them
/// again.
pub(crate) fn unwritten(
    failure: Failure,
    count: usize,
    resume: Option<String>,
    extra: &str,
) -> Failure {
    let Failure::Io(target, error) = failure else {
        return failure;
    };
    let again = match resume {
        Some(token) => format!(
            "run the same command with --cursor {}{extra}",
            output::shell_quote(&token)
        ),
        None => "run the same command again to start over".to_owned(),
    };
    let hint = format!(
        "{count} calls were written whole before the failure; the calls after them may be written in part (the last line cut short): to write them again, {again}"
    );
    Failure::IoHinted {
        target,
        error,
        hint,
    }
}

/// `failure`, once `print` has printed on standard output what a script reads there (a
/// placed call's id or JSON, the rows of a walk so far), as when nothing failed. An output
/// that cannot be written loses it there only: the exit code stays the failure's (not a
/// closed pipe's quiet success), and an interruption's message is said on standard error
/// also when a closed pipe (its reader got the same Ctrl-C) ends the program at the write.
pub(crate) fn printed_despite(failure: Failure, print: impl FnOnce() -> Outcome) -> Failure {
    match &failure {
        Failure::Interrupted(message) => output::exit_on_closed_output_saying(
            failure.exit_code(),
            crate::interrupts::said(message),
        ),
        _ => output::exit_on_closed_output(failure.exit_code()),
    }
    let _ = print();
    failure
}

/// The output of `next`, unless Ctrl-C comes first (`None`).
pub(crate) async fn unless_interrupted<F: Future>(
    ctrl_c: &mut StopSignal,
    next: F,
) -> Option<F::Output> {
    tokio::select! {
        biased;
        () = ctrl_c.received() => None,
        output = next => Some(output),
    }
}

/// What a walk stopped by Ctrl-C says, for one provider or merged: `count` calls were
/// printed (or written), `resume` the cursor token after them (none before any call unless
/// the walk began at a `--cursor`), `extra` added to the suggested command.
pub(crate) fn interrupted_walk(count: usize, resume: Option<&str>, extra: &str) -> Failure {
    Failure::Interrupted(match resume {
        Some(token) => format!("{count} calls were printed; {}", resume_hint(token, extra)),
        None if count == 0 => "no call was printed".to_owned(),
        None => format!("{count} calls were printed; run the same command again to start over"),
    })
}

/// Whether a walk over one provider's pages that printed `count` calls, the last page
/// naming `next` as its next, has nothing left: a Ctrl-C then comes after its end, and
/// telling the user to start over would print (or `--append`) every call again.
fn walk_complete(count: usize, next: Option<&PageCursor>) -> bool {
    count > 0 && next.is_none()
}

/// After a walk's Ctrl-C, the failure of flushing its output: as it is, unless the
/// output's reader is gone (a pipe whose reader got the same Ctrl-C), which would
/// otherwise end the command as a quiet success; then the interruption is said (exit 130).
pub(crate) fn output_closed_on_interrupt(failure: Failure) -> Failure {
    match failure {
        Failure::Io(_, error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            Failure::Interrupted(
                "interrupted; the output's reader had closed too, so the last rows may not have reached it".into(),
            )
        }
        failure => failure,
    }
}

/// How a walk that printed calls says to go on after them: with the cursor `token`,
/// `extra` added to the suggested command.
pub(crate) fn resume_hint(token: &str, extra: &str) -> String {
    format!(
        "to resume after them, run the same command with --cursor {}{extra}",
        output::shell_quote(token)
    )
}

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
        ended = provider.wait_until_ended(id, WAIT_POLL, limit) => ended.map_err(|error| match error {
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

async fn dial(
    provider: &dyn VoiceProvider,
    named: Invocation<'_>,
    args: DialArgs,
    json: bool,
) -> Outcome {
    let wait = wait_limit(&args);
    let request = dial_request(args)?;
    // The same provider is searched.
    let look = look_for_call(&named.command("calls list"), &request.to);
    let interrupt = Interrupt::new();
    let dialing = interrupt.run(provider.dial(&request));
    tokio::pin!(dialing);
    // Ctrl-C is listened for before the dial starts: dropping an in-flight dial would leave
    // the user not knowing whether a phone rings.
    let mut ctrl_c = StopSignal::listen()?;
    let answered = tokio::select! {
        biased;
        () = ctrl_c.received() => None,
        outcome = &mut dialing => Some(outcome),
    };
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
        (Some(Err(error)), _) => {
            return Err(Failure::Sent {
                said: error.to_string(),
                error: Box::new(error),
                look,
            });
        }
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

/// The configuration file (`--config`) and the provider (`-p`) the command line named,
/// for advice that names them again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Invocation<'a> {
    config: Option<&'a Path>,
    provider: Option<&'a str>,
}

impl<'a> Invocation<'a> {
    /// `config` and `provider` as given; `None` for the defaults.
    pub(crate) fn of(config: Option<&'a Path>, provider: Option<&'a str>) -> Self {
        Invocation { config, provider }
    }

    /// `voiceport SUBCOMMAND` on the same configuration file and provider, pasteable as
    /// it is.
    pub(crate) fn command(&self, subcommand: &str) -> String {
        let mut command = String::from("voiceport");
        if let Some(path) = self.config {
            command += &format!(" --config {}", output::shell_quote(&path.to_string_lossy()));
        }
        if let Some(name) = self.provider {
            command += &format!(" -p {}", output::shell_quote(name));
        }
        format!("{command} {subcommand}")
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

async fn update(provider: &dyn VoiceProvider, args: UpdateArgs, json: bool) -> Outcome {
    let metadata = values::pairs(&args.metadata, "--metadata", true)?;
    let update = CallUpdate {
        name: args.name,
        metadata: (!metadata.is_empty() || args.replace).then_some(metadata),
        metadata_mode: if args.replace {
            MetadataMode::Replace
        } else {
            MetadataMode::Merge
        },
    };
    if update.name.is_none() && update.metadata.is_none() {
        return Err(Failure::Usage(
            "nothing to update: pass --name and/or --metadata".into(),
        ));
    }
    let updated = provider.update_call(&CallId::new(args.id), &update).await;
    output::call(&updated.map_err(metadata_mode_hint)?, json)
}

/// A refused metadata mode, where the vendor takes the other (the library's refusal then
/// has a reason), said with the flag that asks for the other rather than the library's
/// name for it (`MetadataMode::Replace`).
fn metadata_mode_hint(mut error: voiceport::Error) -> Failure {
    if let voiceport::Error::Unsupported {
        operation: voiceport::Operation::UpdateField(field),
        reason: Some(reason),
        ..
    } = &mut error
    {
        match *field {
            "metadata (merge)" => {
                *reason =
                    "it only replaces the metadata whole: pass all of it with --replace".into()
            }
            "metadata (replace)" => {
                *reason = "it only merges into the metadata: leave out --replace".into()
            }
            _ => {}
        }
    }
    error.into()
}

/// A `notes` command through `provider`; `shown` is the command that shows its call.
async fn notes(
    provider: Arc<dyn VoiceProvider>,
    command: NotesCommand,
    shown: &str,
    json: bool,
) -> Outcome {
    let call = match command {
        NotesCommand::Add { call, text, flag } => {
            let note = NoteInput {
                content: text,
                flagged: flag,
            };
            match provider.add_note(&CallId::new(call), &note).await {
                Ok(call) => call,
                // Where the note may have been added, the command that shows it.
                Err(error) => {
                    return Err(Failure::Sent {
                        said: error.to_string(),
                        error: Box::new(error),
                        look: format!("look at the call's notes ({shown}) before adding it again"),
                    });
                }
            }
        }
        NotesCommand::Update {
            call,
            note,
            text,
            flag,
            unflag,
        } => {
            // Refused here by its arguments, rather than by the library by its fields.
            if text.is_none() && !flag && !unflag {
                let message =
                    "`notes update` changes nothing without a new TEXT, --flag or --unflag";
                return Err(Failure::Usage(message.into()));
            }
            let update = NoteUpdate {
                content: text,
                flagged: (flag || unflag).then_some(flag),
            };
            (provider.update_note(&CallId::new(call), &NoteId::new(note), &update)).await?
        }
        NotesCommand::Delete { call, note } => {
            provider
                .delete_note(&CallId::new(call), &NoteId::new(note))
                .await?
        }
    };
    if json {
        return output::json(&call.notes);
    }
    let rows: Vec<Vec<String>> = call
        .notes
        .iter()
        .map(|n| {
            vec![
                n.id.to_string(),
                if n.flagged { "yes".into() } else { "".into() },
                n.content.clone(),
            ]
        })
        .collect();
    output::table(&["NOTE", "FLAGGED", "TEXT"], &rows)
}

/// What the resume advice of a failed export adds to `--cursor …`: `--append` (once), so
/// that the rest joins what was written without a second CSV header, and `>>` when the rows
/// went to standard output.
pub(crate) fn resume_extra(args: &ExportArgs) -> &'static str {
    match (args.output.is_some(), args.append) {
        (true, false) => " --append",
        (true, true) => "",
        (false, false) => " --append (and >> to add to the same file)",
        (false, true) => " (and >> to add to the same file)",
    }
}

async fn export(provider: Arc<dyn VoiceProvider>, args: ExportArgs) -> Outcome {
    let mut query: CallQuery = values::query(&args.filters)?;
    query.page_size = args.page_size;
    query.cursor = args
        .cursor
        .as_deref()
        .map(PageCursor::from_token)
        .transpose()
        .map_err(values::cursor_refused)?;
    let header = matches!(args.format, ExportFormat::Csv).then(|| CSV_COLUMNS.join(","));
    let start = query.cursor.as_ref().map(PageCursor::to_token);
    let writer = PageWriter::start(Sink::open(&args, header, start)?, args.format);
    let progress = Progress::for_rows(args.output.is_none());
    let mut count = 0;
    let mut resume = query.cursor.clone();
    let mut pages = provider.pages(query);
    let mut ctrl_c = StopSignal::listen()?;
    loop {
        let Some(next) = unless_interrupted(&mut ctrl_c, pages.try_next()).await else {
            // The last page was handed over (it named no next): the export is complete.
            if walk_complete(count, resume.as_ref()) {
                break;
            }
            // The pages handed over are written whole, and resumed after.
            let extra = writer.finish().await.map_err(output_closed_on_interrupt)?;
            progress.finish();
            return Err(interrupted_walk(
                count,
                resume.as_ref().map(PageCursor::to_token).as_deref(),
                extra,
            ));
        };
        let page = match next {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(error) => {
                // What was fetched stays written: every page handed over, whole.
                let extra = writer.finish().await?;
                progress.finish();
                return Err(walk_failure(error, count, resume.as_ref(), extra));
            }
        };
        count += page.calls.len();
        resume = page.next.clone();
        progress.show(count, page.total);
        if !writer.write(page).await {
            // The writer failed; `finish` says how.
            break;
        }
    }
    writer.finish().await?;
    progress.finish();
    if args.output.is_some() {
        output::say(&format!("exported {count} calls"));
    }
    Ok(())
}

/// The provider `name`, connected with a stand-in key when its own cannot be read (its
/// `api_key_env` unset here): what it supports does not depend on the key, which is never
/// used. Any other error in its table is said.
fn without_key_if_need_be(
    registry: &voiceport::Registry,
    name: &str,
) -> Result<std::sync::Arc<dyn VoiceProvider>, Failure> {
    let error = match registry.connect(Some(name)) {
        Ok(provider) => return Ok(provider),
        Err(error) => error,
    };
    let config = registry.file().get(Some(name))?;
    let key_fields = [
        config.field_name("api_key"),
        config.field_name("api_key_env"),
    ];
    match &error {
        voiceport::Error::Config { field, .. } if key_fields.contains(field) => {
            let keyless = config.clone().with_api_key("capabilities-need-no-key");
            Ok(voiceport::connect(&keyless)?)
        }
        _ => Err(error.into()),
    }
}

/// Every configured provider's capabilities, or with `-p NAME` that provider's. In JSON,
/// keyed by provider name, each with its `kind` beside the flags. A provider that cannot
/// be built (a `base_url` that is no URL) is said on standard error with its error and left
/// out of the table; the others are shown, and the command then fails (exit 2). The one
/// provider `-p` names fails the command with its error, printing nothing (no name
/// configured, or one that cannot be built).
fn capabilities(
    config_path: &Option<std::path::PathBuf>,
    only: Option<&str>,
    json: bool,
) -> Outcome {
    let registry = config::registry(config_path.as_deref())?;
    let names: Vec<&str> = match only {
        Some(name) => vec![name],
        None => registry.names().collect(),
    };
    let mut columns = Vec::new();
    let mut by_name = serde_json::Map::new();
    let mut broken = 0;
    for name in names {
        let provider = match without_key_if_need_be(&registry, name) {
            Ok(provider) => provider,
            Err(Failure::Voice(error)) if only.is_none() => {
                output::say(&format!(
                    "provider `{}` left out: {}",
                    output::cell(name),
                    output::cell(&error.to_string())
                ));
                broken += 1;
                continue;
            }
            Err(failure) => return Err(failure),
        };
        let flags = serde_json::to_value(provider.capabilities())
            .map_err(|e| Failure::Usage(e.to_string()))?;
        if json {
            let mut entry = serde_json::json!({ "kind": provider.kind() });
            if let (Some(entry), Some(flags)) = (entry.as_object_mut(), flags.as_object()) {
                entry.extend(flags.clone());
            }
            by_name.insert(name.to_owned(), entry);
        }
        columns.push((format!("{name} ({})", provider.kind()), flags));
    }
    let shown = match json {
        true => output::json(&by_name),
        // Every provider broken: no table of none (each is said above).
        false if columns.is_empty() && broken > 0 => Ok(()),
        false => capability_table(&columns),
    };
    shown?;
    match broken {
        0 => Ok(()),
        n => Err(Failure::Usage(format!(
            "{n} of the configured providers cannot be built (said above): fix the configuration"
        ))),
    }
}

/// The capabilities table: a row per flag, a column per provider.
fn capability_table(columns: &[(String, serde_json::Value)]) -> Outcome {
    let Some((_, first)) = columns.first() else {
        return output::line("(no providers configured)");
    };
    let names: Vec<String> = first
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|flag| {
            let mut row = vec![flag.clone()];
            for (_, flags) in columns {
                row.push(match &flags[flag] {
                    serde_json::Value::Bool(true) => "yes".into(),
                    serde_json::Value::Bool(false) | serde_json::Value::Null => "-".into(),
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                });
            }
            row
        })
        .collect();
    let mut headers = vec!["CAPABILITY"];
    headers.extend(columns.iter().map(|(name, _)| name.as_str()));
    output::table(&headers, &rows)
}

async fn sandbox(args: SandboxArgs) -> Outcome {
    // Heard from the start: a stop sent once the address is printed ends it with 0.
    let mut stop = StopSignal::listen()?;
    let ms = std::time::Duration::from_millis;
    let mut builder = voiceport_sandbox::Sandbox::builder()
        .seed(args.seed)
        .addr(([127, 0, 0, 1], args.port).into())
        .timing(voiceport_sandbox::Timing {
            queued: ms(args.queued_ms),
            ringing: ms(args.ringing_ms),
            talk: ms(args.talk_ms),
        });
    for &kind in voiceport_sandbox::EMULATED {
        builder = builder.calls(kind, args.calls as usize);
    }
    let receiver = args.webhooks.as_deref().map(receiver_base).transpose()?;
    let sandbox = builder
        .start()
        .await
        .map_err(|e| Failure::cannot_listen("sandbox", ([127, 0, 0, 1], args.port).into(), e))?;
    // Before the keys go in: a file `>` just created (empty) is made its owner's alone, as
    // every command reading a file that holds keys would otherwise ask.
    let made_private = output_file_made_private();
    let mut toml = crate::demo::sandbox_toml(&sandbox);
    if let Some(receiver) = &receiver {
        // The emulators sign with the tables printed below: one text for both.
        toml = crate::demo::with_webhook_tables(&toml);
        let registry = voiceport::Registry::from_toml_str(&toml)?;
        crate::demo::point_webhooks(&sandbox, &registry, receiver, false)?;
    }
    output::line(&format!(
        "# voiceport sandbox on http://{} (Ctrl-C to stop)\n",
        sandbox.addr()
    ))?;
    output::line("# voiceport.toml for the sandbox")?;
    if let Some(first) = voiceport_sandbox::EMULATED.first() {
        // At the top: `default` is a top-level key, so it must come before any [table].
        output::line(&format!(
            "# several providers: commands use `default`, unless `-p NAME` names another\n\
             default = \"{first}\"\n"
        ))?;
    }
    output::line(&toml)?;
    output::line("# dialed calls end by the last digit of the number called:")?;
    for (digits, how) in voiceport_sandbox::DIAL_OUTCOMES {
        output::line(&format!("#   {digits:<4} {how}"))?;
    }
    output::line("# (so +14155550187 has a conversation, with a transcript)")?;
    output::line(&format!(
        "# faults: POST http://{0}/_sandbox/faults {{\"fault\": \"status\", \"status\": 503}}; \
         DELETE it to clear; GET http://{0}/_sandbox for counts, \
         GET http://{0}/_sandbox/requests/{{vendor}} for the requests answered",
        sandbox.addr()
    ))?;
    match receiver {
        Some(receiver) => output::line(&format!(
            "# webhooks: each vendor posts to {receiver}/webhooks/{{vendor}}: `voiceport listen \
             --config FILE` there (FILE holding the configuration above) verifies them; \
             GET http://{}/_sandbox/webhooks/{{vendor}} for the deliveries",
            sandbox.addr()
        ))?,
        None => output::line(&format!(
            "# webhooks: PUT http://{0}/_sandbox/webhooks/{{vendor}} {{\"url\": \"http://127.0.0.1:8787/webhooks/NAME\", \"secret\": \"…\"}} \
             (signed as that [providers.NAME.webhook] table says), or start with --webhooks URL; \
             GET it for the deliveries",
            sandbox.addr()
        ))?,
    }
    // Written to a file (`voiceport sandbox > voiceport.toml`), the configuration leaves
    // the terminal blank: say there that it runs, and where; as a comment, should standard
    // error go into the same file (`2>&1`, nohup).
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        let private = if made_private {
            " (a file, now readable by you alone)"
        } else {
            ""
        };
        output::say(&format!(
            "# voiceport sandbox on http://{}: its configuration went to standard output{private}; Ctrl-C to stop",
            sandbox.addr()
        ));
    }
    // Ctrl-C or SIGTERM ends it, with 0.
    stop.received().await;
    Ok(())
}

/// Narrows standard output to its owner's reading and writing when it is an empty regular
/// file (what `> voiceport.toml` creates), through the descriptor itself; whether it did.
/// Never a file that holds something already (`>> app.log`, whose permissions are the
/// user's choice), a device (`/dev/null`), a pipe or a terminal, nor elsewhere than on
/// Unix.
fn output_file_made_private() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::PermissionsExt;
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
            return false;
        };
        let file = std::fs::File::from(fd);
        let Ok(metadata) = file.metadata() else {
            return false;
        };
        let mode = metadata.permissions().mode();
        // Only narrowed: the group's and others' bits taken away, nothing added.
        metadata.is_file()
            && metadata.len() == 0
            && mode & 0o077 != 0
            && file
                .set_permissions(std::fs::Permissions::from_mode(mode & !0o077))
                .is_ok()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Ctrl-C after the last page (it named no next) ends a walk that printed calls as
    /// complete; before any call, or with a next page, it is an interruption.
    #[test]
    fn a_walk_is_complete_once_its_last_page_was_printed() {
        let next = PageCursor::Offset { skip: 10 };
        assert!(walk_complete(3, None));
        assert!(!walk_complete(3, Some(&next)));
        // Nothing printed yet (or a walk resumed at a cursor, before its first page).
        assert!(!walk_complete(0, None));
        assert!(!walk_complete(0, Some(&next)));
    }
}
