//! `voiceport`: list, fetch, dial, annotate and export calls from any configured voice-AI
//! vendor; normalize vendor JSON; run the sandbox and the demo.
//!
//! Its exit codes are one table for every command: `voiceport --help` prints it
//! ([`EXIT_CODES`]), and docs/cli.md gives it with what each code means in more detail.

mod check;
mod cli;
mod commands;
mod config;
mod csv;
mod demo;
mod dial;
mod export_sink;
mod interrupts;
mod listen;
mod multi;
mod normalize;
mod output;
mod page_writer;
mod progress;
mod sandbox;
mod serve;
mod urls;
mod values;
mod walk;

use std::process::ExitCode;

use voiceport::{Operation, RequestOutcome};

/// The exit codes, as `--help` prints them.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0    success (also when the reader of standard output closes it
       early, as `| head` does)
  1    a local file or standard output could not be read or written, or
       the port to listen on could not be bound (`listen`, `sandbox`: in
       use, not allowed)
  2    usage: bad arguments or configuration (a configuration file that
       cannot be read too), an id or value refused before anything was
       sent, a local file that is not the vendor JSON it should be
       (`normalize`), or is not there
  3    the vendor or the network failed, or the vendor answered that
       there is no such call or note (or conformance cases failed:
       `check`)
  4    the vendor does not support the operation or one of its fields
  130  interrupted (Ctrl-C); after a dial or a note added, whether it
       was done is printed; after a walk (`calls list --all`, `export`),
       where to resume
  143  the same, stopped by SIGTERM (as a service manager or `timeout`
       sends it)
  129  the same, stopped by SIGHUP (its terminal closed, an SSH session
       dropped)

`listen` and `sandbox`, which run until stopped, end with 0 when they
stop in time (`listen` with 1 when it could not write events; it stops
as on Ctrl-C when its standard output closes).";

/// `mutex` locked, though a thread panicked holding it: what the command's mutexes hold
/// (counts, queues, a note to say) stays usable, and a panic is reported where it
/// happened, not again at each lock.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What went wrong, and which exit code it earns.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad arguments or input.
    Usage(String),
    /// From voiceport.
    Voice(voiceport::Error),
    /// A vendor error and what to do next: how to resume a walk that failed after some
    /// pages were printed, how to look at a call a wait gave up on.
    Hinted {
        error: Box<voiceport::Error>,
        hint: String,
    },
    /// A request that creates something (a dial, a note) failed: the error, its text as
    /// said (a route's names the provider it reached), and what to run to look for what it
    /// may have created.
    Sent {
        error: Box<voiceport::Error>,
        said: String,
        look: String,
    },
    /// Reading or writing local files.
    Io(String, std::io::Error),
    /// Local I/O that failed, and what to do next: how to go on from the rows an export's
    /// unwritten output holds whole; another port for one in use.
    IoHinted {
        target: String,
        error: std::io::Error,
        hint: String,
    },
    /// Conformance cases failed (`voiceport check`); the table says which.
    Check(usize),
    /// Ctrl-C: what it interrupted, and what is known about it.
    Interrupted(String),
}

impl From<voiceport::Error> for Failure {
    fn from(error: voiceport::Error) -> Self {
        Failure::Voice(error)
    }
}

/// The exit code of a voiceport error.
fn voice_exit_code(error: &voiceport::Error) -> u8 {
    match error {
        voiceport::Error::Unsupported { .. } => 4,
        // A malformed id, an empty destination, a value the vendor cannot take, bad
        // configuration: the input is wrong, not the vendor.
        error if error.is_refused_locally() => 2,
        _ => 3,
    }
}

impl Failure {
    /// A request that creates something failed with `error`; `look` is what to run to
    /// look for what it may have created.
    pub(crate) fn sent(error: voiceport::Error, look: String) -> Failure {
        Failure::Sent {
            said: error.to_string(),
            error: Box::new(error),
            look,
        }
    }

    /// A port `command` could not listen on at `address`; for one in use (a redirect such
    /// as `sandbox > voiceport.toml` has emptied the file by then), where to look and how
    /// to take another.
    pub(crate) fn cannot_listen(
        command: &str,
        address: std::net::SocketAddr,
        error: std::io::Error,
    ) -> Failure {
        let target = format!("cannot listen on {address}");
        if error.kind() != std::io::ErrorKind::AddrInUse {
            return Failure::Io(target, error);
        }
        let hint = format!(
            "hint: another `voiceport {command}` (or another server) may be listening there; \
             stop it, or give `--port 0` to take a free port (printed once listening)"
        );
        Failure::IoHinted {
            target,
            error,
            hint,
        }
    }

    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Io(..) | Failure::IoHinted { .. } => 1,
            Failure::Check(_) => 3,
            Failure::Voice(error) => voice_exit_code(error),
            Failure::Hinted { error, .. } | Failure::Sent { error, .. } => voice_exit_code(error),
            Failure::Interrupted(_) => interrupts::interrupted_exit_code(),
        }
    }

    fn report(&self, verbose: bool) {
        // Vendor text reaches these lines: `say` escapes every line for people.
        use output::say;
        match self {
            Failure::Usage(message) => say(&format!("error: {message}")),
            Failure::Io(what, error) => say(&format!("error: {what}: {error}")),
            Failure::IoHinted {
                target,
                error,
                hint,
            } => {
                say(&format!("error: {target}: {error}"));
                say(hint);
            }
            Failure::Check(failed) => say(&format!("error: {failed} conformance case(s) failed")),
            Failure::Interrupted(message) => say(&interrupts::said(message)),
            Failure::Voice(error) => report_error(error, &error.to_string(), None, verbose),
            Failure::Hinted { error, hint } => {
                report_error(error, &error.to_string(), None, verbose);
                say(hint);
            }
            Failure::Sent { error, said, look } => report_error(error, said, Some(look), verbose),
        }
    }
}

/// Says `error` (as `said`: its text, or a fuller one naming where it happened) and, for a
/// dial or a note added, whether it was done and how to `look` for it (the command to run).
fn report_error(error: &voiceport::Error, said: &str, look: Option<&str>, verbose: bool) {
    use output::say;
    // The error's own text holds vendor text (an error body's message): each of its lines
    // breaks escaped, so that it cannot fake a line such as the dial advice below.
    let say_escaped = |text: &str| output::say(&output::cell(text));
    say_escaped(&format!("error: {said}"));
    // Which configuration the field is of (a file found in the user's folder, say).
    // (An error read from the file says which already: `… (in PATH)`.)
    if let voiceport::Error::Config { .. } = error
        && let Some(source) = config::source()
        && !said.contains(&format!("(in {source})"))
    {
        say_escaped(&format!("  configuration: {source}"));
    }
    // Which configured provider answered, where several are (the error names its vendor
    // only), and which key setting to look at when the vendor refused the key.
    if let Some(chosen) = config::chosen()
        && error.provider() == Some(chosen.kind)
    {
        let name = &chosen.name;
        // Where a connection failed or timed out, the address tried: a `base_url` set
        // wrong (a typo, the sandbox not running) is the usual cause.
        // (Not for a request sent elsewhere: Vapi's end of a call to its control URL, an
        // extension's to a base URL of its own.)
        let elsewhere = matches!(
            error.operation(),
            Some(Operation::EndCall | Operation::Extension(_) | Operation::ExtensionRead(_))
        );
        let tried = match error {
            voiceport::Error::Transport { .. } | voiceport::Error::Timeout { .. } if !elsewhere => {
                chosen.origin.as_deref()
            }
            _ => None,
        };
        if let voiceport::Error::Unauthorized { .. } = error {
            let key_from = &chosen.key_from;
            say_escaped(&format!("  provider `{name}`: check its key, {key_from}"));
        } else if let Some(origin) = tried {
            say_escaped(&format!("  provider `{name}` at {origin} (its base_url)"));
        } else if chosen.among_others {
            say_escaped(&format!("  provider `{name}`"));
        }
    }
    // A dial refused for a field of the request: the flag that sets it.
    if let Some(flags) = dial_flags_named(error, said) {
        say(&format!("  on the command line: {flags}"));
    }
    // Whether a phone may ring matters more than any detail: said without -v. So does
    // whether a note was added, which a second run would add again (neither is retried
    // once it may have reached the vendor).
    let created = match error.operation() {
        Some(Operation::Dial) => Some((
            "call",
            "placed",
            "look for it (voiceport calls list --to NUMBER) before dialing again".to_owned(),
        )),
        Some(Operation::AddNote) => Some((
            "note",
            "added",
            commands::look_for_note("voiceport calls get CALL_ID"),
        )),
        _ => None,
    };
    if let Some((what, done, usual_look)) = created {
        let look = look.unwrap_or(&usual_look);
        say(&match error.outcome() {
            RequestOutcome::NotApplied => format!("  no {what} was {done}"),
            RequestOutcome::Unknown => format!("  the {what} may have been {done}: {look}"),
            RequestOutcome::Applied => {
                format!("  the {what} was {done}, but the answer could not be read: {look}")
            }
        });
    }
    // Why a connection failed (refused, a name not found, a certificate refused) is what
    // to act on: its innermost cause is said without -v.
    if !verbose && let voiceport::Error::Transport { .. } = error {
        let causes = std::iter::successors(std::error::Error::source(error), |e| e.source());
        if let Some(cause) = causes.last() {
            say_escaped(&format!("  cause: {cause}"));
        }
    }
    if verbose {
        // Its kind by its stable name (`Error::name`), not Rust's `Debug` of it.
        say_escaped(&format!("  kind: {}", error.name()));
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            say_escaped(&format!("  caused by: {cause}"));
            source = cause.source();
        }
        say(&format!(
            "  transient: {}, safe to retry: {}, outcome: {}",
            error.is_transient(),
            error.is_retryable(),
            error.outcome()
        ));
    } else if let voiceport::Error::Unsupported { provider, .. } = error {
        // The library names the operation (`add_note`); the user typed a command.
        if let Some(typed) = error.operation().and_then(command_of) {
            say(&format!("  on the command line: `voiceport {typed}`"));
        }
        // And a filter as the query names it (`tags`); the user typed a flag.
        if let Some(Operation::ListFilter(filter)) = error.operation()
            && let Some(flag) = filter_flag(filter)
        {
            say(&format!("  on the command line: {flag}"));
        }
        // A dial field's refusal names its flag already (above); `capabilities` has no row
        // for dial fields but a schedule's (`dial_scheduled`).
        if let Some(Operation::DialOption(field)) = error.operation()
            && field != "scheduled_for"
        {
            return;
        }
        // What -v would add (its kind) says less than where to look: a command to paste,
        // on the same file, for the provider that refused where it is known by name.
        let mut command = String::from("voiceport");
        if let Some(file) = config::file() {
            command += &format!(" --config {}", output::shell_quote(file));
        }
        if let Some(chosen) = config::chosen().filter(|c| c.kind == *provider) {
            command += &format!(" -p {}", output::shell_quote(&chosen.name));
        }
        say_escaped(&format!("  what it supports: {command} capabilities"));
    } else if std::error::Error::source(error).is_some() || error.is_transient() {
        // Only where -v says more than the line: a cause, or whether to try again.
        say("  (run with -v for details)");
    }
}

/// The command that runs `operation` (where one does), for an error that names the
/// operation as the library does (`add_note`).
fn command_of(operation: Operation) -> Option<&'static str> {
    Some(match operation {
        Operation::GetCall => "calls get",
        Operation::UpdateCall | Operation::UpdateField(_) => "calls update",
        Operation::GetTranscript => "calls transcript",
        Operation::GetRecording => "calls recording",
        Operation::EndCall => "calls end",
        Operation::CancelCall => "calls cancel",
        Operation::DeleteCall => "calls delete",
        Operation::AddNote => "notes add",
        Operation::UpdateNote => "notes update",
        Operation::DeleteNote => "notes delete",
        // A dial's refusal is of the command just typed, and a listing's of `calls list`
        // or `export`, one provider or merged; a webhook's and a vendor's own operations
        // have none.
        _ => return None,
    })
}

/// The flag of `calls list` and `export` that sets `filter` (as a refusal names it).
fn filter_flag(filter: voiceport::Filter) -> Option<&'static str> {
    use voiceport::Filter;
    Some(match filter {
        Filter::Direction => "--direction",
        Filter::Kind => "--kind",
        Filter::Statuses => "--status",
        Filter::TimeRange => "--since / --until",
        Filter::Agent => "--agent",
        Filter::Campaign => "--campaign",
        Filter::Tags => "--tag",
        Filter::Search => "--search",
        Filter::FromNumber => "--from",
        Filter::ToNumber => "--to",
        // Today refused only as `--sort oldest`, where a vendor lists newest first and
        // cannot sort (a walk asking no order is refused too, by a vendor that declares
        // none: no vendor does).
        Filter::Sort => "--sort oldest (this vendor lists newest first only)",
        _ => return None,
    })
}

/// The request's fields (as the library names them) that `voiceport dial` sets by a flag.
const DIAL_FLAGS: [(&str, &str); 10] = [
    ("from_number", "--from"),
    ("phone_number_id", "--number-id"),
    ("agent_id", "--agent"),
    ("variables", "--var"),
    ("metadata", "--metadata"),
    ("scheduled_for", "--at"),
    ("max_duration_secs", "--max-duration"),
    ("language", "--language"),
    ("name", "--name"),
    ("extra", "--extra"),
];

/// For a dial's error naming request fields in backquotes (`` `scheduled_for` ``), which
/// flag sets each: `` `scheduled_for` is --at``.
fn dial_flags_named(error: &voiceport::Error, said: &str) -> Option<String> {
    let dial = matches!(
        error.operation(),
        Some(Operation::Dial | Operation::DialOption(_))
    );
    let mut named: Vec<String> = (DIAL_FLAGS.iter())
        .filter(|(field, _)| dial && said.contains(&format!("`{field}`")))
        .map(|(field, flag)| format!("`{field}` is {flag}"))
        .collect();
    // Where the library's advice names its own method (Rounded: set metadata after the
    // dial with update_call), the command that does it.
    if dial && said.contains("update_call") {
        named.push("`update_call` is `voiceport calls update CALL_ID`".to_owned());
    }
    (!named.is_empty()).then(|| named.join(", "))
}

pub(crate) type Outcome = Result<(), Failure>;

/// The logging of `-v` when `RUST_LOG` is not set: the library's operation and request
/// spans (provider, operation, call id) and their events are at debug level. Configuration
/// warnings are left out: the CLI prints them itself, once.
const VERBOSE_LOG: &str = "warn,voiceport=debug,voiceport::config=off";
/// The logging of `-vv`: everything voiceport records.
const VERY_VERBOSE_LOG: &str = "warn,voiceport=trace,voiceport::config=off";
/// The logging of `voiceport listen` without `-v`: the receiver's warnings (a delivery
/// refused and why, a provider whose deliveries are not verified, connections that cannot
/// be accepted), which a listener must see; they carry no secret, and no body's content
/// (that is at debug level).
const LISTEN_LOG: &str = "warn,voiceport=off,voiceport::webhooks=warn";

/// Logs on standard error through `tracing-subscriber`: as `RUST_LOG` says when it is set,
/// else as `-v` / `-vv` say; without either, nothing is logged but `listen`'s warnings.
/// Only voiceport's spans and events are shown by default, and they carry no key (other
/// crates log at `warn`).
fn init_logging(verbose: u8, listening: bool) {
    use tracing_subscriber::EnvFilter;
    // `listen`'s own warnings, by default, without the module they come from: a reader
    // of its refusals wants the provider and the reason, not `voiceport::webhooks::serve`.
    let mut with_target = true;
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ => match verbose {
            0 if listening => {
                with_target = false;
                EnvFilter::new(LISTEN_LOG)
            }
            0 => return,
            1 => EnvFilter::new(VERBOSE_LOG),
            _ => EnvFilter::new(VERY_VERBOSE_LOG),
        },
    };
    // Without colours: a log line holds vendor text (an error body's message), so every
    // control character in it is printed escaped (`output::LogWriter`), and the colours'
    // escape sequences would be too. Fails only when a subscriber is already set, which
    // nothing else here does.
    let set = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| output::LogWriter)
        .with_ansi(false)
        .with_target(with_target)
        .try_init();
    // `listen` logs a warning per refused delivery: written on a thread of their own, a
    // standard error nobody reads cannot stop it answering deliveries.
    if set.is_ok() && listening {
        output::queue_log_lines();
    }
}

fn main() -> ExitCode {
    let cli = cli::parse();
    init_logging(cli.verbose, matches!(cli.command, cli::Command::Listen(_)));
    output::choose_json_layout(cli.compact, cli.pretty);
    // No network, no runtime: starting one would cost more than a small file's whole run.
    if let cli::Command::Normalize(args) = &cli.command {
        return finish(normalize::run(args, cli.verbose > 0), cli.verbose);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            output::say(&format!("error: cannot start the async runtime: {error}"));
            return ExitCode::from(1);
        }
    };
    let verbose = cli.verbose;
    let outcome = runtime.block_on(commands::run(cli));
    // Dropping the runtime would wait for its blocking threads, and one may never end (a
    // print stuck on a full pipe when `listen` is stopped): what matters is done.
    runtime.shutdown_background();
    // A notice said after Ctrl-C comes before the outcome, and is not lost at the exit.
    output::settle_detached(std::time::Duration::from_secs(1));
    output::drain_log_lines(std::time::Duration::from_secs(1));
    finish(outcome, verbose)
}

/// The exit code of `outcome`, its failure reported on standard error.
fn finish(outcome: Outcome, verbose: u8) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // Standard output closed by its reader (`| head`): the reader has what it wanted,
        // whichever command was writing (a single provider's export writes on a thread of its
        // own, a merged one on the runtime).
        Err(Failure::Io(_, error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(failure) => {
            failure.report(verbose > 0);
            ExitCode::from(failure.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    /// The exit codes as `--help` prints them: each code and its meaning, in order.
    fn help_codes() -> Vec<(String, String)> {
        let table = super::EXIT_CODES
            .lines()
            .skip(1)
            .take_while(|line| !line.is_empty());
        let mut codes: Vec<(String, String)> = Vec::new();
        for line in table {
            let text = line.trim();
            let code = text.split_whitespace().next().unwrap_or_default();
            match (code.parse::<u8>(), codes.last_mut()) {
                (Ok(_), _) => codes.push((code.to_owned(), text[code.len()..].to_owned())),
                (Err(_), Some((_, meaning))) => *meaning += &format!(" {text}"),
                (Err(_), None) => panic!("a meaning before any code: {line}"),
            }
        }
        codes
    }

    /// `--help` and docs/cli.md give one table of exit codes, word for word (read from the
    /// workspace: a packaged crate has no docs to compare with).
    #[test]
    fn help_and_docs_give_the_same_exit_codes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md");
        let Ok(docs) = std::fs::read_to_string(path) else {
            return;
        };
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let documented: Vec<(String, String)> = (docs.lines())
            .filter_map(|line| {
                let row = line.strip_prefix("| ")?.strip_suffix(" |")?;
                let (code, meaning) = row.split_once(" | ")?;
                code.parse::<u8>().ok()?;
                Some((code.to_owned(), words(&meaning.replace("\\|", "|"))))
            })
            .collect();
        let helped: Vec<(String, String)> = (help_codes().into_iter())
            .map(|(code, meaning)| (code, words(&meaning)))
            .collect();
        assert_eq!(documented.len(), 8, "{documented:?}");
        assert_eq!(helped, documented);
    }
}
