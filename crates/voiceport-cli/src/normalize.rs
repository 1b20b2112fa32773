//! `voiceport normalize`: vendor JSON in, normalized JSON out, through the vendor's codec.
//! No key, no network.

use std::io::Read;

use voiceport::{Call, Decoded, Error, PayloadKind, ProviderKind};

use crate::cli::{NormalizeArgs, Vendor, What};
use crate::{Failure, Outcome, output};

/// `verbose`: also print, on standard error, every value normalization had to leave out.
///
/// A file that is not the vendor JSON it should be is the input's fault: a usage error
/// (exit 2) naming the file, not a vendor's (exit 3). A UTF-8 byte-order mark, which some
/// editors write, is skipped.
pub(crate) fn run(args: &NormalizeArgs, verbose: bool) -> Outcome {
    let mut input = voiceport::Bytes::from(read(&args.file)?);
    if input.starts_with(b"\xEF\xBB\xBF") {
        input = input.slice(3..);
    }
    let codec = voiceport::codec(kind(args.vendor))?;
    let what = match args.what {
        What::Auto => codec.detect(&input),
        What::Call => PayloadKind::Call,
        What::List => PayloadKind::Page,
        What::Webhook => PayloadKind::Webhook,
        What::Transcript => PayloadKind::Transcript,
        What::Dial => PayloadKind::Dial,
        What::Ack => PayloadKind::Ack,
    };
    // The calls' vendor payloads share the input rather than copying it, call by call.
    let decoded = match codec.decode_shared(what, &input) {
        Ok(decoded) => decoded,
        // A payload kind the vendor never sends is a usage error, not a vendor's.
        Err(Error::Unsupported { .. }) => {
            return Err(Failure::Usage(format!(
                "{} sends no `{what}` payload",
                codec.kind()
            )));
        }
        Err(error @ Error::Decode { .. }) => {
            return Err(Failure::Usage(format!(
                "{}: not a {} `{what}` payload: {error}",
                name(&args.file),
                codec.kind()
            )));
        }
        // What a vendor error body stands for (Rounded's error envelope).
        Err(error) => return Err(error.into()),
    };
    if verbose {
        warn_about(&decoded);
    }
    let printed = print(&decoded, what);
    // The process ends after this: freeing a page of calls value by value costs about a
    // tenth of the run, and the system takes the memory back at once.
    std::mem::forget(decoded);
    printed
}

fn print(decoded: &Decoded, what: PayloadKind) -> Outcome {
    match decoded {
        Decoded::Call(call) => output::json(call),
        Decoded::Page(page) => output::json(&page.calls),
        Decoded::Transcript(transcript) => output::json(transcript),
        Decoded::Event(event) => output::json(event),
        Decoded::Dial(outcome) => output::json(&serde_json::json!({
            "call_id": outcome.call_id,
            "call": outcome.call,
        })),
        Decoded::Ack => output::json(&serde_json::json!({ "ok": true })),
        _ => Err(Failure::Usage(format!(
            "this voiceport cannot print a `{what}` payload"
        ))),
    }
}

/// The file as messages name it.
fn name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".into()
    } else {
        path.display().to_string()
    }
}

/// Each normalization warning of the decoded calls, one line each on standard error.
fn warn_about(decoded: &Decoded) {
    let calls: Vec<&Call> = match decoded {
        Decoded::Call(call) => vec![call],
        Decoded::Page(page) => page.calls.iter().collect(),
        Decoded::Event(event) => event.call().into_iter().collect(),
        Decoded::Dial(outcome) => outcome.call.iter().collect(),
        _ => Vec::new(),
    };
    for call in calls {
        for warning in &call.warnings {
            let text = format!("warning: call {}: {warning}", call.id);
            eprintln!("{}", crate::output::clean(&text));
        }
    }
}

fn kind(vendor: Vendor) -> ProviderKind {
    match vendor {
        Vendor::Happyrobot => ProviderKind::HappyRobot,
        Vendor::Voicebot => ProviderKind::Voicebot,
        Vendor::Rounded => ProviderKind::Rounded,
        Vendor::Vapi => ProviderKind::Vapi,
        Vendor::Retell => ProviderKind::Retell,
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Io("standard input".into(), e))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Failure::Io(path.display().to_string(), e))
}
