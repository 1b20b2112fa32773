//! `voiceport normalize`: vendor JSON in, normalized JSON out, through the vendor's codec.
//! No key, no network.

use std::io::Read;

use voiceport::{Call, Decoded, Error, PayloadKind, ProviderKind};

use crate::cli::{NormalizeArgs, Vendor, What};
use crate::{Failure, Outcome, output};

/// `verbose`: also print, on standard error, every value normalization had to leave out.
pub(crate) fn run(args: &NormalizeArgs, verbose: bool) -> Outcome {
    let bytes = read(&args.file)?;
    let codec = voiceport::codec(kind(args.vendor))?;
    let what = match args.what {
        What::Auto => codec.detect(&bytes),
        What::Call => PayloadKind::Call,
        What::List => PayloadKind::Page,
        What::Webhook => PayloadKind::Webhook,
        What::Transcript => PayloadKind::Transcript,
        What::Dial => PayloadKind::Dial,
        What::Ack => PayloadKind::Ack,
    };
    let decoded = codec.decode(what, &bytes);
    if verbose && let Ok(decoded) = &decoded {
        warn_about(decoded);
    }
    match decoded {
        Ok(Decoded::Call(call)) => output::json(&call),
        Ok(Decoded::Page(page)) => output::json(&page.calls),
        Ok(Decoded::Transcript(transcript)) => output::json(&transcript),
        Ok(Decoded::Event(event)) => output::json(&event),
        Ok(Decoded::Dial(outcome)) => output::json(&serde_json::json!({
            "call_id": outcome.call_id,
            "call": outcome.call,
        })),
        Ok(Decoded::Ack) => output::json(&serde_json::json!({ "ok": true })),
        Ok(_) => Err(Failure::Usage(format!(
            "this voiceport cannot print a `{what}` payload"
        ))),
        // A payload kind the vendor never sends is a usage error, not a vendor's.
        Err(Error::Unsupported { .. }) => Err(Failure::Usage(format!(
            "{} sends no `{what}` payload",
            codec.kind()
        ))),
        Err(error) => Err(error.into()),
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
            eprintln!("warning: call {}: {warning}", call.id);
        }
    }
}

fn kind(vendor: Vendor) -> ProviderKind {
    match vendor {
        Vendor::Happyrobot => ProviderKind::HappyRobot,
        Vendor::Voicebot => ProviderKind::Voicebot,
        Vendor::Rounded => ProviderKind::Rounded,
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
