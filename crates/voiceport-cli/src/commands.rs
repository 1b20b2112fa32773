//! The commands, each from its parsed arguments to its output (a command of its own
//! file aside: `calls dial` in `dial`, `check`, `demo`, `listen`, `normalize`, `sandbox`,
//! merged walks in `multi`; what a walk says when it stops short is in `walk`).

use std::path::Path;
use std::sync::Arc;

use futures::TryStreamExt;
use voiceport::{
    CallId, CallQuery, CallUpdate, Filter, MetadataMode, NoteId, NoteInput, NoteUpdate, PageCursor,
    VoiceProvider, VoiceProviderExt,
};

use crate::cli::{
    CallsCommand, Cli, Command, ExportArgs, ExportFormat, ListArgs, NotesCommand, Shell, UpdateArgs,
};
use crate::csv::CSV_COLUMNS;
use crate::export_sink::Sink;
use crate::interrupts::StopSignal;
use crate::page_writer::PageWriter;
use crate::progress::Progress;
use crate::walk::{
    ResumePoint, Said, output_closed_on_interrupt, printed_despite, unless_interrupted, unwritten,
    walk_complete, walk_failure,
};
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
            // Refused by its arguments (before the configuration is read), rather than by
            // the library by its fields.
            if let NotesCommand::Update {
                text: None,
                flag: false,
                unflag: false,
                ..
            } = &command
            {
                let message =
                    "`notes update` changes nothing without a new TEXT, --flag or --unflag";
                return Err(Failure::Usage(message.into()));
            }
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
        Command::Sandbox(args) => crate::sandbox::run(args).await,
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
            output::transcript(&provider.get_transcript(&id(&call)).await?, json)
        }
        CallsCommand::Recording { id: call } => {
            let recording = provider.get_recording(&id(&call)).await?;
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
        CallsCommand::Dial(args) => crate::dial::dial(provider.as_ref(), named, args, json).await,
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
        // A cursor a page walk would not follow (too long: a command line holds no
        // argument of that length) is neither printed nor given; the page is shown, then
        // the listing fails as `--all` does, so that no script takes it for the last.
        let unfollowable = match (cut, &page.next) {
            (0, Some(next)) => voiceport_core::SeenCursors::default()
                .follow(provider.kind(), next)
                .err(),
            _ => None,
        };
        let next = match cut {
            0 if unfollowable.is_some() => None,
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
            output::json(&Listed {
                calls,
                next_cursor: next.map(PageCursor::to_token),
                total: page.total,
                truncated: (cut > 0).then_some(cut),
            })?;
            return unfollowable.map_or(Ok(()), |error| Err(error.into()));
        }
        output::calls(calls, false)?;
        if let Some(error) = unfollowable {
            return Err(error.into());
        }
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
        } else if calls.is_empty() {
            output::say_none_matched(&args.filters, args.cursor.is_some());
        }
        return Ok(());
    }
    // Every page is printed as it arrives (JSON Lines with --json): a failure on page N
    // loses nothing already fetched, and says where to resume.
    let mut resume = ResumePoint::starting_at(query.cursor.as_ref());
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
            if walk_complete(count, resume.is_end()) {
                break;
            }
            // Every page printed is whole: the walk resumes after them.
            progress.finish();
            let interrupted = resume.interrupted(count, Said::LISTED);
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
                return Err(walk_failure(error, count, resume.cursor(), Said::LISTED));
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
            return Err(unwritten(
                failure,
                count,
                resume.cursor().map(PageCursor::to_token),
                Said::LISTED,
            ));
        }
        count += page.calls.len();
        resume.past(provider.kind(), page.next.as_ref());
        progress.show(count, page.total);
    }
    progress.finish();
    if !json {
        table.finish()?;
        if count == 0 {
            output::say_none_matched(&args.filters, args.cursor.is_some());
        }
    }
    Ok(())
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
        if *field == MetadataMode::Merge.update_field() {
            *reason = "it only replaces the metadata whole: pass all of it with --replace".into();
        } else if *field == MetadataMode::Replace.update_field() {
            *reason = "it only merges into the metadata: leave out --replace".into();
        }
    }
    error.into()
}

/// What to run before adding a note again: `shown`, the command that shows its call.
pub(crate) fn look_for_note(shown: &str) -> String {
    format!("look at the call's notes ({shown}) before adding it again")
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
            let look = look_for_note(shown);
            // A Ctrl-C while the note is sent leaves it unknown whether it was added: said,
            // as after a dial, since a second run would add it again.
            let mut ctrl_c = StopSignal::listen()?;
            let id = CallId::new(call);
            let adding = provider.add_note(&id, &note);
            let Some(added) = unless_interrupted(&mut ctrl_c, adding).await else {
                let said = format!("the note may have been added: {look}");
                return Err(Failure::Interrupted(said));
            };
            // Where the note may have been added, the command that shows it.
            added.map_err(|error| Failure::sent(error, look))?
        }
        NotesCommand::Update {
            call,
            note,
            text,
            flag,
            unflag,
        } => {
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
    let mut resume = ResumePoint::starting_at(query.cursor.as_ref());
    let mut pages = provider.pages(query);
    let mut ctrl_c = StopSignal::listen()?;
    loop {
        let Some(next) = unless_interrupted(&mut ctrl_c, pages.try_next()).await else {
            // The last page was handed over (it named no next): the export is complete.
            if walk_complete(count, resume.is_end()) {
                break;
            }
            // The pages handed over are written whole, and resumed after.
            let extra = writer.finish().await.map_err(output_closed_on_interrupt)?;
            progress.finish();
            return Err(resume.interrupted(count, Said::exported(extra)));
        };
        let page = match next {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(error) => {
                // What was fetched stays written: every page handed over, whole.
                let extra = writer.finish().await?;
                progress.finish();
                return Err(walk_failure(
                    error,
                    count,
                    resume.cursor(),
                    Said::exported(extra),
                ));
            }
        };
        count += page.calls.len();
        resume.past(provider.kind(), page.next.as_ref());
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
    // A file of headers alone (or nothing on standard output) reads as a failure.
    if count == 0 {
        output::say_none_matched(&args.filters, args.cursor.is_some());
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
    let error = match registry.connect(name) {
        Ok(provider) => return Ok(provider),
        Err(error) => error,
    };
    let config = registry.file().get(name)?;
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
