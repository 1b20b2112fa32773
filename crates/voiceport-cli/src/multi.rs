//! Several providers at once: `--providers` on `calls list` and `export` (one merged,
//! resumable walk), `--route` on `calls dial`, and `provider:call_id` ids.

use std::io::Write;

use futures::TryStreamExt;
use serde::Serialize;
use voiceport::{
    CallQuery, Interrupt, MergeOptions, MergedCall, MergedCursor, ProviderError, Registry,
    Selection,
};

use crate::cli::{DialArgs, ExportArgs, ExportFormat, FilterArgs, ListArgs, MergeArgs};
use crate::commands::Invocation;
use crate::dial::{dial_grace, look_for_call, wait_for_end};
use crate::export_sink::Sink;
use crate::interrupts::StopSignal;
use crate::progress::Progress;
use crate::walk::{
    Said, interrupted_walk, printed_despite, resume_hint, unless_interrupted, walk_complete,
};
use crate::{Failure, Outcome, output, values};

/// A merged walk's rows carry the provider's name and the provider-qualified id.
fn row(merged: &MergedCall) -> Vec<String> {
    let mut row = output::call_row(&merged.call);
    row[0] = merged.qualified_id();
    row.insert(0, merged.provider_name.clone());
    row
}

fn headers() -> Vec<&'static str> {
    let mut headers = vec!["PROVIDER"];
    headers.extend(output::CALL_HEADERS);
    headers[1] = "ID (provider:call)";
    headers
}

/// A merged page as printed: its calls, and the cursor to go on from.
#[derive(Serialize)]
struct MergedPage<'a> {
    calls: &'a [MergedCall],
    next_cursor: Option<String>,
}

impl<'a> MergedPage<'a> {
    fn of(calls: &'a [MergedCall], next_cursor: Option<String>) -> Self {
        MergedPage { calls, next_cursor }
    }
}

/// The failure of a merged walk that printed `count` calls; `resumed` says whether it
/// started from a `--cursor`.
fn walk_failure(
    failure: ProviderError,
    count: usize,
    cursor: &MergedCursor,
    resumed: bool,
    said: Said<'_>,
) -> Failure {
    let extra = said.extra;
    if count == 0 && !resumed {
        // Nothing was printed, so there is nothing to resume after; the error names the
        // vendor, not which of the configured providers it was.
        let hint = format!("provider `{}` failed", failure.provider_name);
        return Failure::Hinted {
            error: Box::new(failure.error),
            hint,
        };
    }
    // A provider whose cursors came round again, or whose next one is too long, is done in
    // the cursor: it resumes the others, if any is left.
    let rest = match (cannot_go_further(&failure.error), cursor.is_done()) {
        (None, _) => resume_hint(&cursor.to_token(), extra),
        (Some(why), true) => format!("{why}, so the walk cannot go further"),
        (Some(why), false) => format!(
            "{why}, so it cannot go further; the other providers can: {}",
            resume_hint(&cursor.to_token(), extra)
        ),
    };
    let hint = format!(
        "{count} calls were {} before `{}` failed; {rest}",
        said.done(),
        failure.provider_name,
    );
    Failure::Hinted {
        error: Box::new(failure.error),
        hint,
    }
}

/// Why a provider's walk that failed with `error` cannot go on from any cursor: its
/// vendor's cursors came round again, or its next cursor is too long to follow.
fn cannot_go_further(error: &voiceport::Error) -> Option<&'static str> {
    if error.is_cursor_cycle() {
        Some("its cursors came round again")
    } else if error.is_cursor_too_long() {
        Some("its next cursor is too long to follow")
    } else {
        None
    }
}

/// A merged walk stopped by Ctrl-C after `count` calls were printed (or written);
/// `resumed` says whether it started from a `--cursor`. Said as one provider's walk is.
fn interrupted(count: usize, cursor: &MergedCursor, resumed: bool, said: Said<'_>) -> Failure {
    // Before any call (and no --cursor), the cursor is the start: nothing to resume after.
    let resume = (count > 0 || resumed).then(|| cursor.to_token());
    interrupted_walk(count, resume.as_deref(), said)
}

/// The width of the longest provider name `providers` selects, as printed.
fn name_width(registry: &Registry, providers: &str) -> usize {
    let width = |name: &str| output::cell(name).chars().count();
    match Selection::parse(providers) {
        Selection::Named(names) => names.iter().map(|n| width(n)).max().unwrap_or(0),
        // Every provider, or a selection of a kind this command does not know: the
        // widest of them all.
        _ => registry.names().map(width).max().unwrap_or(0),
    }
}

/// The merged walk of `providers` over the calls `filters` select, in pages of
/// `page_size`, from `cursor`; the providers `--skip-unsupported` left out are said on
/// standard error.
fn start(
    registry: &Registry,
    providers: &str,
    filters: &FilterArgs,
    page_size: Option<u32>,
    cursor: Option<&str>,
    merge: MergeArgs,
) -> Result<voiceport::MergedCalls, Failure> {
    let query = CallQuery {
        page_size,
        ..values::query(filters)?
    };
    let resume =
        (cursor.map(MergedCursor::from_token).transpose()).map_err(values::cursor_refused)?;
    let options = MergeOptions::default()
        .skip_unsupported(merge.skip_unsupported)
        .keep_going(merge.keep_going);
    let selection = Selection::parse(providers);
    // Whether leaving out the providers that cannot walk the query would leave any.
    let some_can = (registry.walkable(&selection, &query)).is_ok_and(|names| !names.is_empty());
    // A cursor of a walk with other filters is refused here too, as a `--cursor` error.
    let walk = registry.calls(&selection, query, options.resume_from(resume));
    let walk = walk.map_err(|error| match error {
        // A filter one provider cannot apply: the walk can go on without that provider.
        voiceport::Error::Unsupported { .. } if !merge.skip_unsupported && some_can => {
            Failure::Hinted {
                error: Box::new(error),
                hint:
                    "  --skip-unsupported walks the providers that can, and says which it left out"
                        .into(),
            }
        }
        other => values::cursor_refused(other),
    })?;
    for left_out in walk.left_out() {
        output::say(&format!(
            "left out `{}`: {}",
            output::cell(&left_out.provider_name),
            left_out.error
        ));
    }
    Ok(walk)
}

/// The providers that failed mid-walk so far (`--keep-going`), said before an interrupted
/// walk's own message: the cursor it prints resumes them too.
fn say_failures(walk: &voiceport::MergedCalls) {
    for failure in walk.failures() {
        output::say(&format!(
            "`{}` failed mid-walk: {}",
            output::cell(&failure.provider_name),
            failure.error
        ));
    }
}

/// After a walk that went on past failed providers (`--keep-going`): the failures after
/// the first said on standard error, the first as the command's error, with the cursor
/// that resumes the failed providers where they stopped (but those whose cursors came
/// round again, which nothing resumes).
fn failures_kept(walk: voiceport::MergedCalls, count: usize, said: Said<'_>) -> Outcome {
    let extra = said.extra;
    let cursor = walk.cursor();
    let mut failures = walk.into_failures().into_iter();
    let Some(first) = failures.next() else {
        return Ok(());
    };
    let name = |failure: &ProviderError| format!("`{}`", output::cell(&failure.provider_name));
    let mut names = vec![name(&first)];
    let mut ended = Vec::new();
    if let Some(why) = cannot_go_further(&first.error) {
        ended.push(format!("{} ({why})", name(&first)));
    }
    for failure in failures {
        output::say(&format!("{} failed too: {}", name(&failure), failure.error));
        names.push(name(&failure));
        if let Some(why) = cannot_go_further(&failure.error) {
            ended.push(format!("{} ({why})", name(&failure)));
        }
    }
    let resume = match cursor.is_done() {
        true => "what they had left cannot be resumed".to_owned(),
        false if ended.is_empty() => resume_hint(&cursor.to_token(), extra),
        false => format!(
            "{} cannot go further; {}",
            ended.join(", "),
            resume_hint(&cursor.to_token(), extra)
        ),
    };
    let hint = format!(
        "{count} calls were {}; {} failed mid-walk; {resume}",
        said.done(),
        names.join(", ")
    );
    Err(Failure::Hinted {
        error: Box::new(first.error),
        hint,
    })
}

/// `calls list --providers …`: one merged listing, newest first unless `--sort oldest`; `--limit` calls (or all
/// of them with `--all`), then the cursor to go on from.
pub(crate) async fn list(
    registry: &Registry,
    providers: &str,
    args: ListArgs,
    json: bool,
) -> Outcome {
    let mut walk = start(
        registry,
        providers,
        &args.filters,
        args.limit,
        args.cursor.as_deref(),
        args.merge,
    )?;
    let limit = match (args.all, args.limit) {
        (true, _) => usize::MAX,
        (false, Some(limit)) => limit as usize,
        (false, None) => 50,
    };
    // Without --all, the page is printed whole at its end, its columns as wide as its
    // widest cells. With --all, rows are printed as they come: the columns whose widths
    // are known before any row (the provider's name, the status, the direction, the time)
    // are that wide from the start, so a later row does not shift them.
    let mut table = output::Table::new(&headers()).at_least(0, name_width(registry, providers));
    for (column, width) in output::known_call_widths() {
        // After the PROVIDER column.
        table = table.at_least(column + 1, width);
    }
    let mut rows = Vec::new();
    // One page (without --all) is one JSON object, as for a single provider; every call
    // (--all) is a JSON line as it comes.
    let mut page = Vec::new();
    let mut count = 0;
    // A page without --all is printed whole or not at all: Ctrl-C ends it as it always has.
    let mut ctrl_c = if args.all {
        Some(StopSignal::listen()?)
    } else {
        None
    };
    while count < limit {
        // With --all, where the walk resumes should the next call not be written.
        let before = args.all.then(|| walk.cursor());
        let next = match ctrl_c.as_mut() {
            Some(ctrl_c) => unless_interrupted(ctrl_c, walk.try_next()).await,
            None => Some(walk.try_next().await),
        };
        let Some(next) = next else {
            let cursor = walk.cursor();
            if walk_complete(count, cursor.is_done()) {
                break;
            }
            say_failures(&walk);
            let stopped = interrupted(count, &cursor, args.cursor.is_some(), Said::LISTED);
            if !json {
                // The header at least, when no row came yet.
                return Err(printed_despite(stopped, || table.finish()));
            }
            return Err(stopped);
        };
        let merged = match next {
            Ok(Some(merged)) => merged,
            Ok(None) => break,
            Err(failure) => {
                let cursor = walk.cursor();
                // The page gathered so far is printed, with the cursor after it: the hint
                // says those calls were printed, and resuming skips them.
                let resumed = args.cursor.is_some();
                if json && !args.all && (count > 0 || resumed) {
                    let next = (!cursor.is_done()).then(|| cursor.to_token());
                    output::json(&MergedPage::of(&page, next))?;
                }
                if !json && !args.all && count > 0 {
                    table.rows(&rows)?;
                }
                return Err(walk_failure(failure, count, &cursor, resumed, Said::LISTED));
            }
        };
        let written = match (json, args.all) {
            (true, true) => output::json_line(&merged),
            (false, true) => table.rows(&[row(&merged)]),
            (true, false) => {
                page.push(merged);
                Ok(())
            }
            (false, false) => {
                rows.push(row(&merged));
                Ok(())
            }
        };
        if let Err(failure) = written {
            say_failures(&walk);
            // Before any call (and no --cursor), the cursor is the start: nothing to resume
            // after, as for an interruption.
            let resumed = count > 0 || args.cursor.is_some();
            let resume = before.filter(|_| resumed).map(|cursor| cursor.to_token());
            return Err(crate::walk::unwritten(failure, count, resume, Said::LISTED));
        }
        count += 1;
    }
    let cursor = walk.cursor();
    let more = !cursor.is_done() && count == limit;
    if json && !args.all {
        // A provider that failed still has calls: the page says where to go on, as the
        // error does.
        let resumable = !walk.failures().is_empty() && !cursor.is_done();
        let next_cursor = (more || resumable).then(|| cursor.to_token());
        output::json(&MergedPage::of(&page, next_cursor))?;
        return failures_kept(walk, count, Said::LISTED);
    }
    if !json {
        table.rows(&rows)?;
        table.finish()?;
        // (A provider that failed is said as the error instead.)
        if count == 0 && walk.failures().is_empty() {
            output::say_none_matched(&args.filters, args.cursor.is_some());
        }
    }
    // The failures' cursor resumes them too: said instead.
    if more && walk.failures().is_empty() {
        output::say(&format!(
            "more: the same command with --cursor {}",
            output::shell_quote(&cursor.to_token())
        ));
    }
    failures_kept(walk, count, Said::LISTED)
}

/// How many rows of a merged export are written between two marks of the output as whole
/// (a flush), what a failed write takes back at most, without `--page-size` (with it, a
/// page's worth).
const ROWS_PER_MARK: usize = 100;

/// `export --providers …`: every matching call of the selected providers, merged.
pub(crate) async fn export(registry: &Registry, providers: &str, args: ExportArgs) -> Outcome {
    let mut walk = start(
        registry,
        providers,
        &args.filters,
        args.page_size,
        args.cursor.as_deref(),
        args.merge,
    )?;
    let columns = crate::csv::CSV_COLUMNS.join(",");
    let header =
        matches!(args.format, ExportFormat::Csv).then(|| format!("provider_name,{columns}"));
    // Before any row, a failed write resumes where the walk began.
    let start = args.cursor.is_some().then(|| walk.cursor().to_token());
    let mut sink = Sink::open(&args, header, start)?;
    let rows_per_mark = args.page_size.map_or(ROWS_PER_MARK, |size| size as usize);
    // Shown as one provider's export shows it (ended when dropped, on an early return).
    let progress = Progress::for_rows(args.output.is_none());
    let mut count = 0;
    let mut ctrl_c = StopSignal::listen()?;
    loop {
        let Some(next) = unless_interrupted(&mut ctrl_c, walk.try_next()).await else {
            if walk_complete(count, walk.cursor().is_done()) {
                break;
            }
            progress.finish();
            say_failures(&walk);
            // Every row is written whole.
            if let Err(e) = sink.flush() {
                let failed = sink.failed(e);
                return Err(crate::walk::output_closed_on_interrupt(failed));
            }
            let extra = sink.resume_extra();
            return Err(interrupted(
                count,
                &walk.cursor(),
                args.cursor.is_some(),
                Said::exported(extra),
            ));
        };
        let merged = match next {
            Ok(Some(merged)) => merged,
            // Every provider that gave a page had no call, and some failed (kept going
            // past): as an export refused before its first page, it leaves the file as
            // it was (a night with the network down must not empty yesterday's export).
            Ok(None) if count == 0 && !walk.failures().is_empty() => break,
            // The walk is complete: an export of no call still empties the file (and
            // writes the header).
            Ok(None) => match sink.begin() {
                Ok(()) => break,
                Err(e) => return Err(sink.failed(e)),
            },
            Err(failure) => {
                if let Err(e) = sink.flush() {
                    return Err(sink.failed(e));
                }
                let resumed = args.cursor.is_some();
                let extra = sink.resume_extra();
                return Err(walk_failure(
                    failure,
                    count,
                    &walk.cursor(),
                    resumed,
                    Said::exported(extra),
                ));
            }
        };
        let written = match args.format {
            ExportFormat::Jsonl => crate::output::to_writer_safe(&mut sink, &merged, true)
                .map_err(std::io::Error::from)
                .and_then(|()| sink.write_all(b"\n")),
            ExportFormat::Csv => {
                let name = crate::csv::csv_field(&merged.provider_name);
                let row = crate::csv::csv_row(&merged.call);
                writeln!(sink, "{name},{row}")
            }
        };
        count += 1;
        progress.show(count, None);
        let marked = match written {
            Ok(()) if count % rows_per_mark != 0 => continue,
            Ok(()) => sink.mark(count, Some(walk.cursor().to_token())),
            Err(e) => Err(e),
        };
        if let Err(e) = marked {
            return Err(sink.failed(e));
        }
    }
    if let Err(e) = sink.flush() {
        return Err(sink.failed(e));
    }
    progress.finish();
    // Said as done only when it is: with providers that failed, the error says how many
    // calls were written and how to resume.
    if walk.failures().is_empty() {
        if args.output.is_some() {
            output::say(&format!("exported {count} calls"));
        }
        if count == 0 {
            output::say_none_matched(&args.filters, args.cursor.is_some());
        }
    }
    let extra = sink.resume_extra();
    failures_kept(walk, count, Said::exported(extra))
}

/// `calls dial --route NAME`: the route picks the provider; it says which one placed the
/// call, or where a call may exist when the dial failed after it may have arrived.
pub(crate) async fn dial(
    registry: &Registry,
    named: Invocation<'_>,
    route: &str,
    args: DialArgs,
    json: bool,
) -> Outcome {
    let wait = crate::dial::wait_limit(&args);
    let request = crate::dial::dial_request(args)?;
    let look = |providers: &str| {
        let list = format!("calls list --providers {}", output::shell_quote(providers));
        look_for_call(&named.command(&list), &request.to)
    };
    let interrupt = Interrupt::new();
    let dialing = interrupt.run(registry.dial(route, &request));
    tokio::pin!(dialing);
    let mut ctrl_c = StopSignal::listen()?;
    // Polled by reference: an interrupted dial is still waited for below (`dial_grace`).
    let result = unless_interrupted(&mut ctrl_c, &mut dialing).await;
    // Interrupted: the answer is waited for a few seconds, as for a plain dial, to learn
    // whether (and through which provider) a call was placed.
    let Some(result) = result else {
        let whose = format!("route `{route}`'s");
        let answer = dial_grace(dialing, &interrupt, &mut ctrl_c, &whose).await;
        // Vendor text: a line break in an error must not fake a line.
        return Err(Failure::Interrupted(match answer {
            Some(Ok(dialed)) => {
                let message = format!(
                    "the call was placed through `{}` before the interruption: call id {}",
                    output::cell(&dialed.provider_name),
                    output::cell(&dialed.qualified_id())
                );
                let interrupted = Failure::Interrupted(message);
                return Err(printed_despite(interrupted, || print_routed(&dialed, json)));
            }
            Some(Err(failure)) if !failure.call_may_exist() => {
                format!(
                    "no call was placed ({})",
                    output::cell(&failure.to_string())
                )
            }
            Some(Err(failure)) => {
                let providers = failure
                    .provider_name
                    .clone()
                    .unwrap_or_else(|| "all".into());
                format!(
                    "the call may have been placed ({}); {}",
                    output::cell(&failure.to_string()),
                    look(&providers)
                )
            }
            None => format!(
                "the dial through route `{route}` may have reached a provider, so a call may have been placed; its id is not known: {}",
                look("all")
            ),
        }));
    };
    match result {
        Ok(dialed) => {
            // On standard error, with --json too: the JSON says what was placed.
            for voiceport::ProviderError {
                provider_name: name,
                error,
                ..
            } in &dialed.refused
            {
                let error = output::cell(&error.to_string()).into_owned();
                output::say(&format!("`{name}` refused (no call placed): {error}"));
            }
            let Some(limit) = wait else {
                return print_routed(&dialed, json);
            };
            if !json {
                print_routed(&dialed, false)?;
            }
            // The provider that placed it: a qualified id's get reaches it.
            let get = named.command(&format!(
                "calls get {}",
                output::shell_quote(&dialed.qualified_id())
            ));
            let provider = registry.connect(&dialed.provider_name)?;
            let id = dialed.outcome.call_id.clone();
            let ended = match wait_for_end(&*provider, &id, limit, &mut ctrl_c, &get).await {
                Ok(ended) => ended,
                // The call was placed: a script reading the JSON learns it.
                Err(failure) if json => {
                    return Err(printed_despite(failure, || print_routed(&dialed, true)));
                }
                Err(failure) => return Err(failure),
            };
            if !json {
                return output::call(&ended, false);
            }
            let mut dialed = dialed;
            dialed.outcome.call = Some(ended);
            print_routed(&dialed, true)
        }
        // The route's error says which provider failed; the advice searches that one.
        Err(failure) => Err(Failure::Sent {
            said: failure.to_string(),
            look: look(failure.provider_name.as_deref().unwrap_or("all")),
            error: Box::new(failure.error),
        }),
    }
}

/// A routed dial's outcome: as JSON, `provider_name`, `call_id`, `qualified_id` and `call`.
fn print_routed(dialed: &voiceport::RoutedDial, json: bool) -> Outcome {
    /// In this order, as written.
    #[derive(Serialize)]
    struct Routed<'a> {
        provider_name: &'a str,
        call_id: &'a voiceport::CallId,
        qualified_id: String,
        call: Option<&'a voiceport::Call>,
    }
    if json {
        return output::json(&Routed {
            provider_name: &dialed.provider_name,
            call_id: &dialed.outcome.call_id,
            qualified_id: dialed.qualified_id(),
            call: dialed.outcome.call.as_ref(),
        });
    }
    output::line(&format!(
        "dialed through `{}`: {}",
        output::cell(&dialed.provider_name),
        output::cell(&dialed.qualified_id())
    ))
}
