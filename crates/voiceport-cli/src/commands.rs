//! One function per command.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use futures::TryStreamExt;
use voiceport::{
    CallId, CallQuery, CallUpdate, DialRequest, MetadataMode, NoteId, NoteInput, PageCursor,
    ProviderKind, VoiceProvider, VoiceProviderExt,
};

use crate::cli::{
    CallsCommand, Cli, Command, DialArgs, ExportArgs, ExportFormat, ListArgs, NotesCommand,
    SandboxArgs, UpdateArgs,
};
use crate::{Failure, Outcome, config, output, values};

pub(crate) async fn run(cli: Cli) -> Outcome {
    let connect = || config::provider(cli.config.as_deref(), cli.provider.as_deref());
    let json = cli.json;
    match cli.command {
        Command::Calls(command) => calls(connect()?, command, json).await,
        Command::Notes(command) => notes(connect()?, command, json).await,
        Command::Export(args) => export(connect()?, args).await,
        Command::Normalize(args) => crate::normalize::run(&args, cli.verbose),
        Command::Capabilities => capabilities(&cli.config, json),
        Command::Check(args) => crate::check::run(connect()?, args, json).await,
        Command::Listen(args) => {
            let registry = config::registry(cli.config.as_deref())?;
            crate::listen::run(registry, args, json).await
        }
        Command::Sandbox(args) => sandbox(args).await,
        Command::Demo => crate::demo::run(json).await,
    }
}

async fn calls(provider: Arc<dyn VoiceProvider>, command: CallsCommand, json: bool) -> Outcome {
    let id = |text: &str| CallId::new(text);
    match command {
        CallsCommand::List(args) => list(provider.as_ref(), args, json).await,
        CallsCommand::Get { id: call } => output::call(&provider.get_call(&id(&call)).await?, json),
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
                            output::line(&format!("{label}  {url}"))?;
                        }
                    }
                    Ok(())
                }
                None => output::line("(no recording)"),
            }
        }
        CallsCommand::Dial(args) => dial(provider.as_ref(), args, json).await,
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
        output::line(&format!("{what} {id}"))
    }
}

async fn list(provider: &dyn VoiceProvider, args: ListArgs, json: bool) -> Outcome {
    let mut query = values::query(&args.filters)?;
    query.page_size = args.limit;
    query.cursor = args
        .cursor
        .as_deref()
        .map(PageCursor::from_token)
        .transpose()?;
    if !args.all {
        let page = provider.list_calls(&query).await?;
        let calls = match args.limit {
            Some(limit) => &page.calls[..page.calls.len().min(limit as usize)],
            None => &page.calls[..],
        };
        if json {
            return output::json(&serde_json::json!({
                "calls": calls,
                "next_cursor": page.next.as_ref().map(PageCursor::to_token),
                "total": page.total,
            }));
        }
        output::calls(calls, false)?;
        if let Some(next) = &page.next {
            eprintln!("more: --cursor '{}'", next.to_token());
        }
        return Ok(());
    }
    let mut pages = provider.pages(query);
    let mut all = Vec::new();
    let progress = Progress::new();
    while let Some(page) = pages.try_next().await? {
        all.extend(page.calls);
        progress.show(all.len(), page.total);
    }
    progress.finish();
    output::calls(&all, json)
}

/// A one-line progress report on standard error, only when it is a terminal.
struct Progress(bool);

impl Progress {
    fn new() -> Self {
        Progress(std::io::stderr().is_terminal())
    }

    fn show(&self, done: usize, total: Option<u64>) {
        if self.0 {
            let total = total.map(|t| format!(" of {t}")).unwrap_or_default();
            eprint!("\rfetched {done}{total} calls");
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.0 {
            eprintln!();
        }
    }
}

async fn dial(provider: &dyn VoiceProvider, args: DialArgs, json: bool) -> Outcome {
    let request = DialRequest {
        to: args.to,
        from_number: args.from_number,
        phone_number_id: args.number_id,
        agent_id: args.agent.map(Into::into),
        variables: values::pairs(&args.vars, "--var")?,
        metadata: values::pairs(&args.metadata, "--metadata")?,
        scheduled_for: args
            .at
            .as_deref()
            .map(|t| values::time(t, "--at"))
            .transpose()?,
        max_duration_secs: args.max_duration,
        language: args.language,
        name: args.name,
        ..DialRequest::default()
    };
    let outcome = provider.dial(&request).await?;
    match (&outcome.call, json) {
        (Some(call), true) => output::json(call),
        (None, true) => output::json(&serde_json::json!({ "call_id": outcome.call_id })),
        (Some(call), false) => output::call(call, false),
        (None, false) => output::line(&format!("dialed {}", outcome.call_id)),
    }
}

async fn update(provider: &dyn VoiceProvider, args: UpdateArgs, json: bool) -> Outcome {
    let metadata = values::pairs(&args.metadata, "--metadata")?;
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
    output::call(
        &provider.update_call(&CallId::new(args.id), &update).await?,
        json,
    )
}

async fn notes(provider: Arc<dyn VoiceProvider>, command: NotesCommand, json: bool) -> Outcome {
    let call = match command {
        NotesCommand::Add { call, text, flag } => {
            provider
                .add_note(
                    &CallId::new(call),
                    &NoteInput {
                        content: text,
                        flagged: flag,
                    },
                )
                .await?
        }
        NotesCommand::Update {
            call,
            note,
            text,
            flag,
        } => {
            provider
                .update_note(
                    &CallId::new(call),
                    &NoteId::new(note),
                    &NoteInput {
                        content: text,
                        flagged: flag,
                    },
                )
                .await?
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
    let mut sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| Failure::Io(path.display().to_string(), e))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let io = |e| {
        Failure::Io(
            args.output
                .as_ref()
                .map_or("standard output".into(), |p| p.display().to_string()),
            e,
        )
    };
    if let ExportFormat::Csv = args.format {
        writeln!(sink, "{}", CSV_COLUMNS.join(",")).map_err(io)?;
    }
    let progress = Progress::new();
    let mut count = 0;
    let mut calls = provider.calls(query);
    while let Some(call) = calls.try_next().await? {
        match args.format {
            ExportFormat::Jsonl => {
                let text =
                    serde_json::to_string(&call).map_err(|e| Failure::Usage(e.to_string()))?;
                writeln!(sink, "{text}").map_err(io)?;
            }
            ExportFormat::Csv => writeln!(sink, "{}", csv_row(&call)).map_err(io)?,
        }
        count += 1;
        if count % 100 == 0 {
            progress.show(count, None);
        }
    }
    sink.flush().map_err(io)?;
    progress.finish();
    if args.output.is_some() {
        eprintln!("exported {count} calls");
    }
    Ok(())
}

const CSV_COLUMNS: [&str; 12] = [
    "id",
    "provider",
    "status",
    "vendor_status",
    "direction",
    "from",
    "to",
    "created_at",
    "duration_secs",
    "summary",
    "tags",
    "cost",
];

fn csv_row(call: &voiceport::Call) -> String {
    let fields = [
        call.id.to_string(),
        call.provider.to_string(),
        call.status.to_string(),
        call.vendor_status.clone().unwrap_or_default(),
        call.direction
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        call.from.clone().unwrap_or_default(),
        call.to.clone().unwrap_or_default(),
        call.created_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        call.duration_secs
            .map(|d| d.to_string())
            .unwrap_or_default(),
        call.analysis.summary.clone().unwrap_or_default(),
        call.tags.join(";"),
        call.cost
            .as_ref()
            .and_then(|c| c.total)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    ];
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// RFC 4180 quoting.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn capabilities(config_path: &Option<std::path::PathBuf>, json: bool) -> Outcome {
    let registry = config::registry(config_path.as_deref())?;
    let mut columns = Vec::new();
    for name in registry.names() {
        let provider = registry.connect(Some(name))?;
        let flags = serde_json::to_value(provider.capabilities())
            .map_err(|e| Failure::Usage(e.to_string()))?;
        columns.push((format!("{name} ({})", provider.kind()), flags));
    }
    if json {
        let map: serde_json::Map<String, serde_json::Value> = columns.into_iter().collect();
        return output::json(&map);
    }
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
            for (_, flags) in &columns {
                row.push(match &flags[flag] {
                    serde_json::Value::Bool(true) => "yes".into(),
                    serde_json::Value::Bool(false) => "-".into(),
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
    let mut builder = voiceport_sandbox::Sandbox::builder()
        .seed(args.seed)
        .addr(([127, 0, 0, 1], args.port).into());
    for kind in ProviderKind::ALL {
        builder = builder.calls(kind, args.calls);
    }
    let sandbox = builder
        .start()
        .await
        .map_err(|e| Failure::Io(format!("cannot listen on 127.0.0.1:{}", args.port), e))?;
    output::line(&format!(
        "voiceport sandbox on http://{} (Ctrl-C to stop)\n",
        sandbox.addr()
    ))?;
    output::line("# voiceport.toml for the sandbox")?;
    output::line(&crate::demo::sandbox_toml(&sandbox))?;
    output::line(&format!(
        "# faults: POST http://{0}/_sandbox/faults {{\"fault\": \"status\", \"status\": 503}}; \
         DELETE it to clear; GET http://{0}/_sandbox for counts",
        sandbox.addr()
    ))?;
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}
