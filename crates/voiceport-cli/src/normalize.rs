//! `voiceport normalize`: vendor JSON in, normalized JSON out, through the vendor's codec.
//! No key, no network.

use std::cell::RefCell;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;

use serde::ser::{Serialize, SerializeSeq, Serializer};
use voiceport::{Bytes, Call, CallQuery, Codec, Decoded, Error, PayloadKind};

use crate::cli::{NormalizeArgs, What};
use crate::{Failure, Outcome, output};

/// `verbose`: also print, on standard error, every value normalization had to leave out.
/// `args.redact`: the snapshot redactions first ([`voiceport::snapshot::redact`]).
///
/// A file that is not the vendor JSON it should be is the input's fault: a usage error
/// (exit 2) naming the file, not a vendor's (exit 3). A UTF-8 byte-order mark, which some
/// editors write, is skipped.
pub(crate) fn run(args: &NormalizeArgs, verbose: bool) -> Outcome {
    let mut input = voiceport::Bytes::from(read(&args.file)?);
    if input.starts_with(b"\xEF\xBB\xBF") {
        input = input.slice(3..);
    }
    let codec = voiceport::codec(args.vendor)?;
    let what = match args.what {
        What::Auto => codec.detect(&input),
        What::Call => PayloadKind::Call,
        What::List => PayloadKind::Page,
        What::Webhook => PayloadKind::Webhook,
        What::Transcript => PayloadKind::Transcript,
        What::Dial => PayloadKind::Dial,
        What::Ack => PayloadKind::Ack,
    };
    if what == PayloadKind::Page {
        return print_page(codec, &input, &args.file, verbose, args.redact);
    }
    // The calls' vendor payloads share the input rather than copying it, call by call.
    let decoded = match codec.decode_shared(what, &input) {
        Ok(decoded) => decoded,
        Err(error) => return Err(failure(error, codec, what, &args.file)),
    };
    if verbose {
        warn_about(&decoded);
    }
    let printed = print(&decoded, what, args.redact);
    // The process ends after this: freeing a page of calls value by value costs about a
    // tenth of the run, and the system takes the memory back at once.
    std::mem::forget(decoded);
    printed
}

/// What a decoding error means here: a payload kind the vendor never sends, a file that is
/// not the payload it should be, or one that holds the vendor's error answer (Rounded's
/// error envelope) is a usage error naming the file. Nothing was asked of the vendor, so
/// none of them is a vendor's failure (exit 3).
fn failure(error: Error, codec: &dyn Codec, what: PayloadKind, file: &Path) -> Failure {
    match error {
        Error::Unsupported { .. } => {
            Failure::Usage(format!("{} sends no `{what}` payload", codec.kind()))
        }
        // Said as what it is, a local file that is not the payload, not as the network
        // error its text reads as (`vapi get_call: cannot decode response at …`). The
        // file's text (the excerpt, a key in the path) may hold a line break: escaped, so
        // that it cannot fake a line.
        Error::Decode {
            path,
            message,
            excerpt,
            ..
        } => {
            let at = match path.as_str() {
                "" => String::new(),
                path => format!(" at `{}`", output::cell(path)),
            };
            Failure::Usage(format!(
                "cannot decode {} as a {} {}{at}: {} (body: {})",
                output::cell(&name(file)),
                codec.kind(),
                what_name(what),
                output::cell(&message),
                output::cell(&excerpt)
            ))
        }
        // Its text reads as a request's failure (`rounded get_call: not found: …`): said
        // as what the file holds.
        error => Failure::Usage(format!(
            "{} holds a {} error answer, not a {}: {}",
            output::cell(&name(file)),
            codec.kind(),
            what_name(what),
            output::cell(&error.to_string())
        )),
    }
}

/// A page, printed call by call as each is decoded (one normalized call in memory at a
/// time, not the page's), as one JSON array. A call that does not decode ends the output
/// there, unfinished, and the error says which.
fn print_page(
    codec: &dyn Codec,
    input: &Bytes,
    file: &Path,
    verbose: bool,
    redact: bool,
) -> Outcome {
    let calls = StreamedCalls {
        codec,
        input,
        verbose,
        redact,
        failed: RefCell::new(None),
    };
    let printed = output::json(&calls);
    match calls.failed.into_inner() {
        Some(error) => Err(failure(error, codec, PayloadKind::Page, file)),
        None => printed,
    }
}

/// The calls of a page, serialized as they are decoded (see [`print_page`]); a decoding
/// error is kept in `failed` and stops the serialization.
struct StreamedCalls<'a> {
    codec: &'a dyn Codec,
    input: &'a Bytes,
    verbose: bool,
    redact: bool,
    failed: RefCell<Option<Error>>,
}

impl Serialize for StreamedCalls<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The list is begun at its first call (or at its end): a payload that fails before
        // any call decodes leaves no `[` behind.
        let mut serializer = Some(serializer);
        let mut seq: Option<S::SerializeSeq> = None;
        let mut written = Ok(());
        let query = CallQuery::default();
        // The calls' vendor payloads share the input rather than copying it.
        let decoded = voiceport::sharing_body(self.input, || {
            self.codec
                .decode_page_each(self.input, &query, &mut |call| {
                    if self.verbose {
                        warn_about_call(&call);
                    }
                    written = begun(&mut serializer, &mut seq).and_then(|seq| {
                        // Written, then freed while still in the cache: the memory is
                        // reused by the next call.
                        match self.redact {
                            true => redacted(&call).and_then(|call| seq.serialize_element(&call)),
                            false => seq.serialize_element(&call),
                        }
                    });
                    match written {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(_) => ControlFlow::Break(()),
                    }
                })
        });
        written?;
        if let Err(error) = decoded {
            let message = error.to_string();
            *self.failed.borrow_mut() = Some(error);
            return Err(serde::ser::Error::custom(message));
        }
        begun(&mut serializer, &mut seq)?;
        match seq {
            Some(seq) => seq.end(),
            None => Err(serde::ser::Error::custom("the list was not begun")),
        }
    }
}

/// The list `serializer` begins, begun now unless it was already (`seq`).
fn begun<'s, S: Serializer>(
    serializer: &mut Option<S>,
    seq: &'s mut Option<S::SerializeSeq>,
) -> Result<&'s mut S::SerializeSeq, S::Error> {
    if seq.is_none()
        && let Some(serializer) = serializer.take()
    {
        *seq = Some(serializer.serialize_seq(None)?);
    }
    seq.as_mut()
        .ok_or_else(|| serde::ser::Error::custom("the list was not begun"))
}

fn print(decoded: &Decoded, what: PayloadKind, redact: bool) -> Outcome {
    match decoded {
        Decoded::Call(call) => emit(call, redact),
        Decoded::Transcript(transcript) => emit(transcript, redact),
        Decoded::Event(event) => emit(event, redact),
        Decoded::Dial(outcome) => emit(
            &serde_json::json!({
                "call_id": outcome.call_id,
                "call": outcome.call,
            }),
            redact,
        ),
        Decoded::Ack => output::json(&serde_json::json!({ "ok": true })),
        _ => Err(Failure::Usage(format!(
            "this voiceport cannot print a `{what}` payload"
        ))),
    }
}

/// Prints `value`, redacted (its keys then sorted, as a snapshot's are) when asked.
fn emit<T: Serialize>(value: &T, redact: bool) -> Outcome {
    match redact {
        true => output::json(
            &redacted::<_, serde_json::Error>(value)
                .map_err(|e| Failure::Usage(format!("cannot print JSON: {e}")))?,
        ),
        false => output::json(value),
    }
}

/// `value` as JSON with the snapshot redactions ([`voiceport::snapshot::redact`]).
fn redacted<T: Serialize, E: serde::ser::Error>(value: &T) -> Result<serde_json::Value, E> {
    let mut value = serde_json::to_value(value).map_err(E::custom)?;
    voiceport::snapshot::redact(&mut value);
    Ok(value)
}

/// What `--what` calls a payload kind.
fn what_name(what: PayloadKind) -> String {
    match what {
        PayloadKind::Page => "list".into(),
        what => what.to_string(),
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
        Decoded::Event(event) => event.call().into_iter().collect(),
        Decoded::Dial(outcome) => outcome.call.iter().collect(),
        _ => Vec::new(),
    };
    for call in calls {
        warn_about_call(call);
    }
}

fn warn_about_call(call: &Call) {
    for warning in &call.warnings {
        // Vendor text (the id, the value in the warning) stays on its line.
        let text = output::cell(&format!("warning: call {}: {warning}", call.id)).into_owned();
        output::say(&text);
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
    // A file that is not there is a mistake in the arguments, as a missing config file is.
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failure::Usage(format!(
            "no such file: {}",
            output::cell(&path.display().to_string())
        )),
        std::io::ErrorKind::IsADirectory => Failure::Usage(format!(
            "{} is a folder: give the file of a vendor payload",
            output::cell(&path.display().to_string())
        )),
        _ => Failure::Io(path.display().to_string(), e),
    })
}
