//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use voiceport::{CallKind, CallStatus, Direction, ProviderKind};

/// The help of every argument naming a call: how `commands::provider_of_id` reads it.
const CALL_ID: &str = "The call's id, or `provider:call_id` as merged listings print it \
    (give an id that holds a `:` in that form).";

/// The help of every argument naming a note.
const NOTE_ID: &str =
    "The note's id, as the notes commands (column NOTE) and `calls get` print it.";

/// The heading of the options every command takes, below each command's own.
const GLOBAL: &str = "Global options";

/// One command line over HappyRobot, Voicebot Studio, Rounded, Vapi and Retell AI.
#[derive(Debug, Parser)]
#[command(name = "voiceport", version, about, long_about = None, after_help = crate::EXIT_CODES)]
pub(crate) struct Cli {
    /// The configuration file (default: $VOICEPORT_CONFIG, then ./voiceport.toml, then the
    /// user's config folder; with none, one provider read from the environment:
    /// VOICEPORT_KIND, VOICEPORT_API_KEY and the other VOICEPORT_… variables).
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub(crate) config: Option<PathBuf>,
    /// Which configured provider to use (default: the file's `default`, or its only one).
    #[arg(long, short = 'p', global = true, value_name = "NAME", help_heading = GLOBAL)]
    pub(crate) provider: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub(crate) json: bool,
    /// Print JSON on one line, even on a terminal (the layout when standard output is a
    /// file or a pipe).
    #[arg(long, global = true, conflicts_with = "pretty", help_heading = GLOBAL)]
    pub(crate) compact: bool,
    /// Print JSON indented, even into a file or a pipe (the layout on a terminal).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub(crate) pretty: bool,
    /// Print the detail of errors, and log on standard error what voiceport does: each
    /// operation and request with its provider, operation and call id (`-vv`: more).
    /// `RUST_LOG` (for example `RUST_LOG=voiceport=debug`) chooses the logging instead.
    /// Keys are never logged.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub(crate) verbose: u8,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The global options that mean nothing to some commands, and those commands: hidden
/// from their help and completions (being global, still parsed there). `normalize`
/// prints JSON whatever is asked and reads no configuration; the sandbox and the demo
/// build their own; the sandbox prints its configuration as TOML. `listen` and `export`
/// write one JSON value a line, and refuse `--pretty` (exit 2); `export` chooses JSON or
/// CSV with `--format`, and refuses `--json` with `--format csv`.
const HIDDEN_ON: [(&str, &[&str]); 5] = [
    ("config", &["normalize", "sandbox", "demo", "completions"]),
    ("provider", &["normalize", "sandbox", "demo", "completions"]),
    ("json", &["normalize", "sandbox", "completions", "export"]),
    ("compact", &["sandbox", "completions", "listen", "export"]),
    ("pretty", &["sandbox", "completions", "listen", "export"]),
];

/// The command line as clap reads it, each global option hidden where it means nothing
/// ([`HIDDEN_ON`]). clap copies a global argument into each subcommand that has none of
/// the same id when it builds the command: those subcommands get their hidden copy first.
pub(crate) fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut command = Cli::command();
    for (id, commands) in HIDDEN_ON {
        let Some(global) = command
            .get_arguments()
            .find(|arg| arg.get_id() == id)
            .cloned()
        else {
            continue;
        };
        for sub in command.get_subcommands_mut() {
            if commands.contains(&sub.get_name()) {
                *sub = std::mem::take(sub).arg(global.clone().hide(true));
            }
        }
    }
    command
}

/// The arguments of this process, or the end of it with clap's message (exit code 2).
pub(crate) fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List, fetch, dial, change and end calls.
    ///
    /// Example: `voiceport calls list --status completed --limit 10`
    #[command(subcommand)]
    Calls(CallsCommand),
    /// Add, change and delete notes on calls.
    ///
    /// Example: `voiceport notes add CALL_ID "Call back on Monday"`
    #[command(subcommand)]
    Notes(NotesCommand),
    /// Export calls to JSON Lines or CSV, written page by page as they arrive.
    ///
    /// CSV is spreadsheet-safe: a field that begins with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return is written with a `'` in front, so that a spreadsheet shows it as
    /// text instead of running it as a formula (plain numbers such as `+14155550123` or
    /// `-0.5` are left as they are), and a field holding a `;` or a tab is quoted, so that
    /// a spreadsheet splitting on those starts no cell inside it. If a page fails, the rows
    /// written so far stay and the command to resume with is printed; if the output cannot
    /// be written (a full disk), an `-o` file is cut back to its last whole page and the
    /// command to resume after it is printed.
    ///
    /// Example: `voiceport export --format csv --since 2026-01-01 -o calls.csv`
    Export(ExportArgs),
    /// Print the normalized JSON of a vendor payload (no network).
    ///
    /// Example: `voiceport normalize --vendor vapi call.json`
    Normalize(NormalizeArgs),
    /// Show what each configured provider supports.
    ///
    /// Example: `voiceport capabilities --json`
    Capabilities,
    /// Run the conformance suite against a configured account: read-only, plus one dial
    /// when `--dial` is given. Prints pass / fail / unsupported / not run per case.
    ///
    /// Example: `voiceport check -p sales --dial +14155550199`
    Check(CheckArgs),
    /// Receive webhooks for every provider with a `[providers.NAME.webhook]` table:
    /// verify, normalize and print each event once (one line each; JSON Lines with
    /// `--json`). Refused deliveries are said on standard error.
    ///
    /// Example: `voiceport listen --port 8787 --forward http://127.0.0.1:3000/events`
    Listen(ListenArgs),
    /// Serve local emulators of every vendor API voiceport knows.
    ///
    /// Example: `voiceport sandbox --port 8700 --seed 7`
    Sandbox(SandboxArgs),
    /// Run the same code against every vendor on the built-in sandbox.
    ///
    /// Example: `voiceport demo --webhooks`
    Demo(DemoArgs),
    /// Print a shell completion script on standard output.
    ///
    /// Example: `voiceport completions bash > ~/.local/share/bash-completion/completions/voiceport`
    Completions(CompletionsArgs),
}

/// A shell `voiceport completions` writes a script for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Also receive each vendor's webhooks: a receiver on loopback, every emulator pointed
    /// at it, and the events printed as they arrive and after the table.
    #[arg(long)]
    pub(crate) webhooks: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CallsCommand {
    /// List calls.
    ///
    /// Example: `voiceport calls list --since 2026-03-01 --all --json`
    List(ListArgs),
    /// Show one call.
    ///
    /// Example: `voiceport calls get CALL_ID --json`
    Get {
        #[arg(help = CALL_ID)]
        id: String,
        /// Print the vendor's own JSON of the call instead of the normalized call: as it
        /// came when piped (or with `--compact`), laid out for reading on a terminal.
        #[arg(long)]
        vendor_json: bool,
    },
    /// Show a call's transcript.
    ///
    /// Example: `voiceport calls transcript CALL_ID`
    Transcript {
        #[arg(help = CALL_ID)]
        id: String,
    },
    /// Show a call's recording URL(s).
    ///
    /// Example: `voiceport calls recording CALL_ID`
    Recording {
        #[arg(help = CALL_ID)]
        id: String,
    },
    /// Place an outbound call.
    ///
    /// Example: `voiceport calls dial --to +14155550187 --agent AGENT_ID --var name=Ada`
    Dial(DialArgs),
    /// Change a call's name or metadata.
    ///
    /// Example: `voiceport calls update CALL_ID --metadata ticket=4521`
    Update(UpdateArgs),
    /// Hang up a live call.
    ///
    /// Example: `voiceport calls end CALL_ID`
    End {
        #[arg(help = CALL_ID)]
        id: String,
    },
    /// Cancel a scheduled call.
    ///
    /// Example: `voiceport calls cancel CALL_ID`
    Cancel {
        #[arg(help = CALL_ID)]
        id: String,
    },
    /// Delete a call.
    ///
    /// Example: `voiceport calls delete CALL_ID`
    Delete {
        #[arg(help = CALL_ID)]
        id: String,
    },
}

impl CallsCommand {
    /// The call id the command names (`None` for a listing or a dial), to read or rewrite.
    pub(crate) fn call_id_mut(&mut self) -> Option<&mut String> {
        match self {
            CallsCommand::Get { id, .. }
            | CallsCommand::Transcript { id }
            | CallsCommand::Recording { id }
            | CallsCommand::End { id }
            | CallsCommand::Cancel { id }
            | CallsCommand::Delete { id } => Some(id),
            CallsCommand::Update(args) => Some(&mut args.id),
            CallsCommand::List(_) | CallsCommand::Dial(_) => None,
        }
    }
}

#[derive(Debug, Args, Default)]
pub(crate) struct FilterArgs {
    /// Only these normalized statuses (repeatable, or separated by commas; any case, `-` for
    /// `_`).
    #[arg(
        long = "status",
        value_name = "STATUS",
        value_delimiter = ',',
        value_parser = statuses()
    )]
    pub(crate) statuses: Vec<String>,
    /// Only calls that went this way (any case; `in` and `out` are taken too).
    #[arg(long, value_parser = directions())]
    pub(crate) direction: Option<String>,
    /// Only calls of this medium.
    #[arg(long, value_parser = kinds())]
    pub(crate) kind: Option<String>,
    /// Created at or after (RFC 3339, or YYYY-MM-DD: that day's 00:00 UTC). Rounded and
    /// Retell filter on when a call started instead: a call that never connected (or still
    /// rings) may be in no range of theirs.
    #[arg(long)]
    pub(crate) since: Option<String>,
    /// Created before (RFC 3339, or YYYY-MM-DD: that day's 00:00 UTC, so the day itself is
    /// left out: --since 2026-03-01 --until 2026-03-02 is March 1st, UTC). Rounded and
    /// Retell: started before, as for --since.
    #[arg(long)]
    pub(crate) until: Option<String>,
    /// Handled by this agent / assistant / use case: its id, as `calls get` shows it in
    /// parentheses.
    #[arg(long)]
    pub(crate) agent: Option<String>,
    /// Of this campaign.
    #[arg(long)]
    pub(crate) campaign: Option<String>,
    /// Carrying this tag (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Free-text search. Where the vendor searches (HappyRobot), what it looks at
    /// is its own; where voiceport does, the numbers, the call's and the customer's names,
    /// the summary, the tags and extracted values, not the transcript.
    #[arg(long)]
    pub(crate) search: Option<String>,
    /// From this number (E.164, `+14155550187`, as vendors store it, or written with spaces
    /// or dashes after its `+`; or a SIP URI).
    #[arg(long = "from")]
    pub(crate) from_number: Option<String>,
    /// To this number (as `--from`).
    #[arg(long = "to")]
    pub(crate) to_number: Option<String>,
    /// newest (first; the default) or oldest first. A vendor that lists newest first only
    /// (Voicebot Studio, Vapi, Rounded) refuses oldest (exit 4).
    #[arg(long, value_enum)]
    pub(crate) sort: Option<SortArg>,
}

/// The values a filter flag takes, offered in its help and in completions: taken as the
/// text given, which `values::query` reads as it always has (the core type's `str::parse`,
/// or for `--kind` its exact names) and refuses there, naming every value. A
/// `PossibleValuesParser` would refuse what is read loosely today (`No-Answer`, `OUT`,
/// `completed, busy`).
#[derive(Clone)]
struct Offered(Vec<&'static str>);

impl clap::builder::TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(command, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0
                .iter()
                .map(|name| clap::builder::PossibleValue::new(*name)),
        ))
    }
}

/// `--status`: every `CallStatus`, by the name it serializes to.
fn statuses() -> Offered {
    Offered(
        CallStatus::ALL
            .iter()
            .map(|status| status.as_str())
            .collect(),
    )
}

/// `--direction`: `inbound` and `outbound`.
fn directions() -> Offered {
    Offered(crate::values::DIRECTIONS.map(Direction::as_str).to_vec())
}

/// `--kind`: the kinds the filter takes (`phone`, `web`, `chat`).
fn kinds() -> Offered {
    Offered(crate::values::KINDS.iter().map(CallKind::as_str).collect())
}

/// `--sort`: which calls come first.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SortArg {
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// Calls per page (and at most this many without --all); at least 1, and at most the
    /// vendor's largest page (`capabilities` says it: more is asked as that). A page a
    /// vendor sends longer is cut, without a cursor (it would skip the calls not shown):
    /// --json says `"truncated": N`. With --providers: at most this many calls (50 by
    /// default), with a cursor to go on.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) limit: Option<u32>,
    /// Walk every page, printing each as it arrives (JSON Lines with --json). If a page
    /// fails, the calls printed so far stay and the cursor to resume from is printed.
    #[arg(long)]
    pub(crate) all: bool,
    /// Resume from a cursor printed by an earlier listing.
    #[arg(long)]
    pub(crate) cursor: Option<String>,
    /// List several providers at once, merged newest first: `all`, or names separated by
    /// commas (not with -p). Tables print ids as `provider:call_id`; JSON gives each call
    /// its `provider_name` beside the vendor's `id`.
    #[arg(long, value_name = "all|NAME,…")]
    pub(crate) providers: Option<String>,
    #[command(flatten)]
    pub(crate) merge: MergeArgs,
}

/// How a walk of several providers (`--providers`) takes one that cannot take part.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct MergeArgs {
    /// With --providers: leave out a provider that cannot apply the filters (a --tag only
    /// HappyRobot filters on), each named on standard error, rather than refusing the
    /// walk. A walk that would leave out every provider is still refused.
    #[arg(long, requires = "providers")]
    pub(crate) skip_unsupported: bool,
    /// With --providers: when a provider fails mid-walk (a revoked key, an outage), go on
    /// with the others. The failures are said at the end on standard error, with a cursor
    /// that resumes the failed providers where they stopped, and the exit code is the
    /// first failure's.
    #[arg(long, requires = "providers")]
    pub(crate) keep_going: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DialArgs {
    /// Dial through a `[routes.NAME]` of the configuration (first, failover or weighted)
    /// instead of one provider (not with -p). --json prints `provider_name`, `call_id`,
    /// `qualified_id` and `call`.
    #[arg(long, value_name = "NAME")]
    pub(crate) route: Option<String>,
    /// The number to call (E.164: `+`, then 7 to 15 digits, the first not 0; spaces,
    /// dashes, dots and parentheses after the `+` are left out: `+1 (415) 555-0187`).
    #[arg(long, value_name = "E164", value_parser = e164)]
    pub(crate) to: String,
    /// The caller id to call from (vendors that take a number): E.164 (`+14155550100`,
    /// written as `--to` may be), or a SIP URI.
    #[arg(long = "from", value_parser = caller_id)]
    pub(crate) from_number: Option<String>,
    /// The vendor's id of the number to call from.
    #[arg(long)]
    pub(crate) number_id: Option<String>,
    /// The agent / assistant.
    #[arg(long)]
    pub(crate) agent: Option<String>,
    /// A prompt variable, `key=value` (value parsed as JSON when it is JSON and reads back
    /// as written: `n=3` a number, `v=1.10` text); repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub(crate) vars: Vec<String>,
    /// Metadata, `key=value` (value parsed as JSON when it is JSON and reads back as
    /// written: `n=3` a number, `v=1.10` text); repeatable.
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    pub(crate) metadata: Vec<String>,
    /// Place the call at this time (RFC 3339, or YYYY-MM-DD for midnight UTC). A time more
    /// than five minutes past is refused: the call would be placed at once.
    #[arg(long)]
    pub(crate) at: Option<String>,
    /// Hang up after this many seconds (at least 1).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_duration: Option<u32>,
    /// The conversation language.
    #[arg(long)]
    pub(crate) language: Option<String>,
    /// A display name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// A field of the vendor's own dial body, `key=value` (value parsed as JSON when it is
    /// JSON), sent as given: what voiceport has no option for (Retell's `agent_override`,
    /// Vapi's `assistantOverrides`); repeatable. A key voiceport sets itself is refused.
    #[arg(long = "extra", value_name = "KEY=VALUE")]
    pub(crate) extra: Vec<String>,
    /// Then wait for the call to end, looking at it every 2 seconds, and print it as it
    /// ended (--json: `call` is the ended call). Ctrl-C stops the wait, not the call.
    #[arg(long)]
    pub(crate) wait: bool,
    /// With --wait: give up after this many seconds (default 3600), exit 3; the call goes
    /// on.
    #[arg(long, value_name = "SECONDS", requires = "wait", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) wait_timeout: Option<u64>,
    /// Check the dial as the provider does before sending it, and send nothing: says
    /// whether it would be sent, or what the provider refuses (a field its vendor takes no
    /// value for, a schedule it cannot keep), exiting as that dial would. The vendor may
    /// still refuse an agent, number or campaign it does not know.
    #[arg(long, conflicts_with_all = ["route", "wait"])]
    pub(crate) check: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    #[arg(help = CALL_ID)]
    pub(crate) id: String,
    /// A new display name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Metadata, `key=value` (value parsed as JSON when it is JSON and reads back as
    /// written: `n=3` a number, `v=1.10` text); repeatable.
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    pub(crate) metadata: Vec<String>,
    /// Replace the metadata instead of merging into it: with no --metadata, remove it all.
    #[arg(long)]
    pub(crate) replace: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum NotesCommand {
    /// Add a note to a call.
    ///
    /// Example: `voiceport notes add CALL_ID "Asked for a callback" --flag`
    Add {
        #[arg(help = CALL_ID)]
        call: String,
        /// The note's text.
        text: String,
        /// Flag it for attention.
        #[arg(long)]
        flag: bool,
    },
    /// Change a note's text, its flag or both; what is left out stays as it is.
    ///
    /// Example: `voiceport notes update CALL_ID NOTE_ID "Called back" --unflag`
    Update {
        #[arg(help = CALL_ID)]
        call: String,
        #[arg(help = NOTE_ID)]
        note: String,
        /// The new text (left out, the text stays as it is).
        text: Option<String>,
        /// Flag it for attention.
        #[arg(long, conflicts_with = "unflag")]
        flag: bool,
        /// Remove its flag.
        #[arg(long)]
        unflag: bool,
    },
    /// Delete a note.
    ///
    /// Example: `voiceport notes delete CALL_ID NOTE_ID`
    Delete {
        #[arg(help = CALL_ID)]
        call: String,
        #[arg(help = NOTE_ID)]
        note: String,
    },
}

impl NotesCommand {
    /// The call id the command names, to read or rewrite.
    pub(crate) fn call_id_mut(&mut self) -> &mut String {
        match self {
            NotesCommand::Add { call, .. }
            | NotesCommand::Update { call, .. }
            | NotesCommand::Delete { call, .. } => call,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ExportFormat {
    /// One normalized call per line.
    Jsonl,
    /// One row per call.
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
    /// jsonl (every field of each call), or csv: id, provider, status, vendor_status,
    /// direction, from, to, created_at, duration_secs, summary, tags, cost, end_reason,
    /// transfer_destination, cost_currency (after provider_name with --providers; later
    /// columns are added at the end). With --append, a file whose first line is not this
    /// export's header (or, for jsonl, no JSON) is refused. Spreadsheet-safe: fields that begin with = + - @ or a tab are written
    /// with a leading ', plain numbers excepted; fields holding ; or a tab are quoted;
    /// control characters are escaped.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub(crate) format: ExportFormat,
    /// Write here instead of standard output. An existing file is replaced once the first
    /// page is in: an export refused before that leaves it as it was.
    #[arg(long, short = 'o')]
    pub(crate) output: Option<PathBuf>,
    /// Add to the --output file instead of replacing it, without a CSV header (a file new
    /// or empty gets one): for resuming. A file that ends in a half-written row (an export
    /// killed mid-write) is refused. Without --output, the rows go to standard output
    /// without a header (for `>> calls.csv`).
    #[arg(long)]
    pub(crate) append: bool,
    /// Export several providers at once, merged newest first: `all`, or names separated by
    /// commas (not with -p); each call gains `provider_name` (a first CSV column).
    #[arg(long, value_name = "all|NAME,…")]
    pub(crate) providers: Option<String>,
    #[command(flatten)]
    pub(crate) merge: MergeArgs,
    /// Calls per page; at least 1.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) page_size: Option<u32>,
    /// Resume from a cursor printed by an export that failed or was interrupted.
    #[arg(long)]
    pub(crate) cursor: Option<String>,
}

/// A vendor named as `ProviderKind` spells it, offered from `ProviderKind::ALL`: a vendor
/// added to core is one here too.
fn vendor_kind() -> impl clap::builder::TypedValueParser<Value = ProviderKind> {
    let names = ProviderKind::ALL.iter().map(|kind| kind.as_str());
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names).try_map(|name| name.parse::<ProviderKind>())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum What {
    /// Decide from the payload's shape.
    Auto,
    /// A single call (a get-call response).
    Call,
    /// A list response.
    List,
    /// A webhook delivery.
    Webhook,
    /// A transcript (HappyRobot's transcript endpoint).
    Transcript,
    /// A dial response (Rounded answers with the new call's id only).
    Dial,
    /// A response that carries no call (Rounded's terminate).
    Ack,
}

#[derive(Debug, Args)]
pub(crate) struct NormalizeArgs {
    /// Whose JSON it is (any case).
    #[arg(long, value_parser = vendor_kind(), ignore_case = true)]
    pub(crate) vendor: ProviderKind,
    /// What the payload is.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) what: What,
    /// The file, or `-` for standard input.
    pub(crate) file: PathBuf,
    /// Redact what changes from one fetch to the next (a signed URL's query, a recording's
    /// expiry), as the library's snapshot settings do: for golden files.
    #[arg(long)]
    pub(crate) redact: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Also place one real call to this number (E.164: `+`, then 7 to 15 digits, the first
    /// not 0; spaces, dashes, dots and parentheses after the `+` are left out) and watch
    /// it end.
    #[arg(long, value_name = "E164", value_parser = e164)]
    pub(crate) dial: Option<String>,
}

/// An IP address, or `localhost` (the IPv4 loopback). Other host names are not looked up:
/// which address a name resolves to is the resolver's, and a listener should say where it
/// listens.
fn bind_address(text: &str) -> Result<std::net::IpAddr, String> {
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(std::net::Ipv4Addr::LOCALHOST.into());
    }
    text.parse()
        .map_err(|_| "expected an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost".into())
}

/// An E.164 number: `+`, then 7 to 15 digits, the first not 0. Checked before anything is
/// sent: a vendor may dial what it makes of another form (`12345`), and a vendor refusing
/// the number would read as a failed conformance case.
fn e164(text: &str) -> Result<String, String> {
    // Written with spaces, dashes, dots or parentheses after its `+`, as the filters take
    // it too.
    let number = voiceport_core::adapter::dial_number(text);
    if is_e164(&number) {
        Ok(number.into_owned())
    } else {
        Err(
            "expected an E.164 number: `+`, then 7 to 15 digits, the first not 0 (+14155550187)"
                .into(),
        )
    }
}

/// A dial's `--from`: a phone number in E.164 (one written otherwise would reach the vendor
/// as it is, refused there or taken for another), else passed on (a SIP URI).
fn caller_id(text: &str) -> Result<String, String> {
    match crate::values::written_otherwise(text) {
        true => e164(text),
        false => Ok(text.to_owned()),
    }
}

/// Whether `text` is an E.164 number: `+`, then 7 to 15 digits, the first not 0 (the
/// adapters' own check).
pub(crate) use voiceport_core::adapter::is_e164;

#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// The port to listen on (0: any free port; the address is printed on standard error).
    #[arg(long, default_value_t = 8787)]
    pub(crate) port: u16,
    /// The IP address to bind, or `localhost` (0.0.0.0 to accept deliveries from other
    /// hosts; `::` for IPv6 too).
    #[arg(long, value_name = "IP", default_value = "127.0.0.1", value_parser = bind_address)]
    pub(crate) bind: std::net::IpAddr,
    /// Re-post each verified, normalized event as JSON to this URL before the vendor is
    /// answered. Unless it answers 2xx within 5 seconds, the event is printed all the same,
    /// marked as not forwarded (`"forwarded": false` with --json), and the vendor gets 500:
    /// Retell retries (the event is then forwarded again, not printed twice), Vapi and
    /// Voicebot Studio do not by default, HappyRobot's and Rounded's policies are unknown.
    /// For an event the vendor waits on (`"expects_reply": true`, Vapi's tool calls) it has
    /// until half a second before the vendor stops waiting (20 seconds by default, the
    /// provider's `reply_timeout_secs`, 7.5 for Vapi's `assistant-request`, 10 for Retell's
    /// inbound webhook), and the JSON object it answers goes back to the vendor.
    #[arg(long, value_name = "URL")]
    pub(crate) forward: Option<String>,
    /// Serve only these providers: names separated by commas (or the flag repeated), or `all`
    /// alone, every provider with a webhook table (the default). `-p NAME` also names one.
    #[arg(
        long = "only",
        visible_alias = "providers",
        value_name = "all|NAME,…",
        value_delimiter = ','
    )]
    pub(crate) providers: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8700)]
    pub(crate) port: u16,
    /// The seed of the generated calls.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Seeded calls per vendor, at most 100,000 (the sandbox keeps them in memory).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub(crate) calls: u32,
    /// Post each vendor's webhook deliveries to URL/webhooks/VENDOR, signed with the
    /// secrets of the printed configuration (so that `voiceport listen` with it, at URL,
    /// verifies them), retried as each vendor retries. The address `listen` prints
    /// (`…/webhooks/{provider}`) may be given as it is.
    #[arg(long, value_name = "URL")]
    pub(crate) webhooks: Option<String>,
    /// How long a dialed call is queued, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub(crate) queued_ms: u64,
    /// How long a dialed call rings before it is answered (or not), in milliseconds
    /// (HappyRobot shows its first quarter as `Initiated`: placed, not ringing yet).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub(crate) ringing_ms: u64,
    /// How long a dialed call that is answered talks, in milliseconds (a call dialed to a
    /// number ending in 6 talks until it is ended, or for its maximum duration).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub(crate) talk_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command below `command`, itself included.
    fn every_command(command: &clap::Command) -> Vec<&clap::Command> {
        let below = command.get_subcommands().flat_map(every_command);
        std::iter::once(command).chain(below).collect()
    }

    /// No positional argument is a bare `<ID>` in help: each says what it takes, and a
    /// call's id says it may be `provider:call_id` (as `commands::provider_of_id` reads it).
    #[test]
    fn every_positional_argument_says_what_it_takes() {
        let root = command();
        let mut call_ids = 0;
        for sub in every_command(&root) {
            for arg in sub.get_positionals() {
                let help = arg.get_help().map(ToString::to_string);
                let help = help.unwrap_or_else(|| panic!("{} {}", sub.get_name(), arg.get_id()));
                let names_a_call = matches!(arg.get_id().as_str(), "id" | "call");
                if names_a_call {
                    call_ids += 1;
                    assert!(
                        help.contains("`provider:call_id` as merged listings print it"),
                        "{} {}: {help}",
                        sub.get_name(),
                        arg.get_id()
                    );
                }
            }
        }
        // get, transcript, recording, update, end, cancel, delete; notes add, update, delete.
        assert_eq!(call_ids, 10);
    }

    /// The names listed in `error`'s `expected a, b or c`.
    fn expected_in(error: &str) -> Vec<String> {
        let (_, names) = error.rsplit_once("expected ").expect(error);
        let names = names.replace(" or ", ", ");
        names.split(", ").map(str::to_owned).collect()
    }

    fn offered(parser: &Offered) -> Vec<String> {
        use clap::builder::TypedValueParser;
        let values = parser.possible_values().into_iter().flatten();
        values.map(|value| value.get_name().to_owned()).collect()
    }

    /// The help offers what the parsers take: every name `str::parse` names when it
    /// refuses a value, each read back as itself.
    #[test]
    fn the_filters_offer_what_their_parsers_name() {
        let refused = "sideways".parse::<CallStatus>().unwrap_err().to_string();
        assert_eq!(offered(&statuses()), expected_in(&refused));
        for name in offered(&statuses()) {
            assert_eq!(
                name.parse::<CallStatus>().map(CallStatus::as_str),
                Ok(&*name)
            );
        }
        let refused = "sideways".parse::<Direction>().unwrap_err().to_string();
        assert_eq!(offered(&directions()), expected_in(&refused));
        for name in offered(&directions()) {
            assert_eq!(name.parse::<Direction>().map(Direction::as_str), Ok(&*name));
        }
        assert_eq!(offered(&kinds()), ["phone", "web", "chat"]);
        assert!(crate::values::KINDS.iter().all(CallKind::is_known));
    }

    /// Offering values refuses none: what is read loosely (`No-Answer`, ` busy` after a
    /// comma, `OUT`) still reaches `values::query`, which reads or refuses it.
    #[test]
    fn offered_values_are_taken_as_given() {
        let argv = [
            "voiceport",
            "calls",
            "list",
            "--status",
            "No-Answer, busy",
            "--direction",
            "OUT",
            "--kind",
            "fax",
        ];
        let matches = command()
            .try_get_matches_from(argv)
            .expect("refused by clap");
        let (_, calls) = matches.subcommand().unwrap();
        let (_, list) = calls.subcommand().unwrap();
        let statuses: Vec<&String> = list.get_many("statuses").unwrap().collect();
        assert_eq!(statuses, ["No-Answer", " busy"]);
        assert_eq!(list.get_one::<String>("direction").unwrap(), "OUT");
        assert_eq!(list.get_one::<String>("kind").unwrap(), "fax");
    }
}
