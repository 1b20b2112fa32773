//! The layout of JSON output: compact into a file or a pipe, indented with `--pretty`, the
//! same values either way.

use std::process::{Command, Output};

use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/rounded/get_call_transcript_variables.json"
);

fn normalize(flags: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_voiceport"))
        .args(flags)
        .args(["normalize", "--vendor", "rounded", FIXTURE])
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> &str {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::str::from_utf8(&output.stdout).expect("UTF-8 output")
}

#[test]
fn piped_output_is_one_compact_line() {
    // Standard output is a pipe here, not a terminal.
    let output = normalize(&[]);
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.ends_with("}\n"), "ends with one line break: {text:?}");
    let call: Value = serde_json::from_str(text).expect("JSON");
    assert_eq!(call["id"], "354eb5c1-5624-4aaf-a5b7-7fb94405d8a1");
}

#[test]
fn pretty_indents_and_says_the_same() {
    let pretty = normalize(&["--pretty"]);
    let compact = normalize(&["--compact"]);
    let (pretty, compact) = (stdout(&pretty), stdout(&compact));
    assert!(pretty.lines().count() > 20, "{pretty}");
    assert!(pretty.contains("\n  \"id\": \""), "{pretty}");
    assert_eq!(compact.lines().count(), 1);
    let (a, b): (Value, Value) = (
        serde_json::from_str(pretty).expect("JSON"),
        serde_json::from_str(compact).expect("JSON"),
    );
    assert_eq!(a, b);
}

#[test]
fn compact_and_pretty_together_are_a_usage_error() {
    let output = normalize(&["--compact", "--pretty"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--pretty"));
}
