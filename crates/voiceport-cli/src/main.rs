//! `voiceport`: list, fetch, dial, annotate and export calls from any configured voice-AI
//! vendor; normalize vendor JSON; run the sandbox and the demo.
//!
//! Exit codes: 0 success, 1 local I/O failure, 2 usage or configuration error, 3 vendor or
//! network error (or failed conformance cases), 4 the vendor does not support the
//! operation.

mod check;
mod cli;
mod commands;
mod config;
mod demo;
mod listen;
mod normalize;
mod output;
mod values;

use std::process::ExitCode;

use clap::Parser;

/// What went wrong, and which exit code it earns.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad arguments.
    Usage(String),
    /// From voiceport.
    Voice(voiceport::Error),
    /// Reading or writing local files.
    Io(String, std::io::Error),
    /// Conformance cases failed (`voiceport check`); the table says which.
    Check(usize),
}

impl From<voiceport::Error> for Failure {
    fn from(error: voiceport::Error) -> Self {
        Failure::Voice(error)
    }
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Io(..) => 1,
            Failure::Check(_) => 3,
            Failure::Voice(voiceport::Error::Config { .. }) => 2,
            Failure::Voice(voiceport::Error::Unsupported { .. }) => 4,
            Failure::Voice(_) => 3,
        }
    }

    fn report(&self, verbose: bool) {
        match self {
            Failure::Usage(message) => eprintln!("error: {message}"),
            Failure::Io(what, error) => eprintln!("error: {what}: {error}"),
            Failure::Check(failed) => eprintln!("error: {failed} conformance case(s) failed"),
            Failure::Voice(error) => {
                eprintln!("error: {error}");
                if verbose {
                    eprintln!("  kind: {error:?}");
                    let mut source = std::error::Error::source(error);
                    while let Some(cause) = source {
                        eprintln!("  caused by: {cause}");
                        source = cause.source();
                    }
                    eprintln!(
                        "  retryable: {}, outcome: {:?}",
                        error.is_retryable(),
                        error.outcome()
                    );
                } else {
                    eprintln!("  (run with -v for details)");
                }
            }
        }
    }
}

pub(crate) type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let verbose = cli.verbose;
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report(verbose);
            ExitCode::from(failure.exit_code())
        }
    }
}
