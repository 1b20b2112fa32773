//! `voiceport normalize`: vendor JSON in, normalized JSON out, no network.

use std::io::Read;

use serde_json::Value;
use voiceport::CallQuery;

use crate::cli::{NormalizeArgs, Vendor, What};
use crate::{Failure, Outcome, output};

pub(crate) fn run(args: &NormalizeArgs) -> Outcome {
    let bytes = read(&args.file)?;
    let what = match args.what {
        What::Auto => detect(args.vendor, &bytes),
        chosen => chosen,
    };
    let query = CallQuery::default();
    match (args.vendor, what) {
        (Vendor::Happyrobot, What::List) => output::json(&voiceport::happyrobot::decode_page(&bytes, &query)?.calls),
        (Vendor::Happyrobot, What::Webhook) => output::json(&voiceport::happyrobot::parse_webhook(&bytes)?),
        (Vendor::Happyrobot, What::Transcript) => output::json(&voiceport::happyrobot::decode_transcript(&bytes)?),
        (Vendor::Rounded, What::Dial) => {
            let outcome = voiceport::rounded::map::decode_start_call(&bytes)?;
            output::json(&serde_json::json!({ "call_id": outcome.call_id, "call": outcome.call }))
        }
        (Vendor::Rounded, What::Ack) => {
            voiceport::rounded::map::decode_terminate(&bytes)?;
            output::json(&serde_json::json!({ "ok": true }))
        }
        (_, What::Ack) => Err(Failure::Usage("--what ack is for Rounded's envelope responses".into())),
        (_, What::Transcript) => Err(Failure::Usage(
            "--what transcript is for HappyRobot; the other vendors carry the transcript inside the call".into(),
        )),
        (Vendor::Happyrobot, _) => output::json(&voiceport::happyrobot::decode_call(&bytes)?),
        (Vendor::Voicebot, What::List) => output::json(&voiceport::voicebot::decode_page(&bytes, &query)?.calls),
        (Vendor::Voicebot, What::Webhook) => output::json(&voiceport::voicebot::parse_webhook(&bytes)?),
        (Vendor::Voicebot, _) => output::json(&voiceport::voicebot::decode_call(&bytes)?),
        (Vendor::Rounded, What::List) => output::json(&voiceport::rounded::decode_page(&bytes, &query)?.calls),
        (Vendor::Rounded, What::Webhook) => output::json(&voiceport::rounded::parse_webhook(&bytes)?),
        (Vendor::Rounded, _) => output::json(&voiceport::rounded::decode_call(&bytes)?),
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

/// Guesses what a payload is from its top-level shape.
fn detect(vendor: Vendor, bytes: &[u8]) -> What {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return What::Call; // the decoder reports the syntax error with its position
    };
    let has = |key: &str| value.get(key).is_some();
    match vendor {
        Vendor::Happyrobot if has("calls") => What::List,
        Vendor::Happyrobot if has("call") && has("type") => What::Webhook,
        Vendor::Happyrobot if has("messages") && has("call_id") => What::Transcript,
        Vendor::Voicebot if value.is_array() => What::List,
        Vendor::Voicebot if value.get("message").is_some_and(Value::is_object) => What::Webhook,
        Vendor::Rounded if has("event") => What::Webhook,
        Vendor::Rounded if value.get("data").is_some_and(Value::is_array) => What::List,
        Vendor::Rounded
            if value.pointer("/data/call_id").is_some() && value.pointer("/data/id").is_none() =>
        {
            What::Dial
        }
        Vendor::Rounded
            if value.get("data").is_some_and(Value::is_null)
                && value.get("error").is_none_or(Value::is_null) =>
        {
            What::Ack
        }
        _ => What::Call,
    }
}
