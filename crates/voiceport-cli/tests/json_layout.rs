//! The layout of JSON output: compact into a file or a pipe, indented with `--pretty`, the
//! same values either way.

use std::process::{Command, Output};

use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/rounded/get_call_transcript_variables.json"
);

/// The binary, without the `RUST_LOG` of the environment (its log lines would join the
/// output a test reads).
fn voiceport() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voiceport"));
    command.env_remove("RUST_LOG");
    command
}

fn normalize(flags: &[&str]) -> Output {
    voiceport()
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

/// A page is printed call by call as it is decoded: byte for byte what serde_json writes
/// for the page the library gathers, compact and indented alike.
#[test]
fn a_streamed_page_is_printed_as_the_gathered_page() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/happyrobot/list_page.json"
    );
    let body = std::fs::read(file).expect("the fixture");
    let codec = voiceport::codec(voiceport::ProviderKind::HappyRobot).expect("a codec");
    let page = codec
        .decode_page(&body, &voiceport::CallQuery::default())
        .expect("the page decodes");
    assert!(page.calls.len() >= 2, "a page of several calls");
    for (flag, expected) in [
        ("--compact", serde_json::to_string(&page.calls)),
        ("--pretty", serde_json::to_string_pretty(&page.calls)),
    ] {
        let output = voiceport()
            .args([
                flag,
                "normalize",
                "--vendor",
                "happyrobot",
                "--what",
                "list",
                file,
            ])
            .output()
            .expect("the binary runs");
        let expected = expected.expect("serializes") + "\n";
        assert_eq!(stdout(&output), expected, "{flag}");
    }
}

/// A call that does not decode ends a streamed page with a usage error naming the file and
/// the call's place (exit 2); the calls before it may have been printed.
#[test]
fn a_call_that_does_not_decode_ends_a_streamed_page() {
    let dir = std::env::temp_dir().join(format!("voiceport-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let file = dir.join("page.json");
    let page = r#"{"calls": [{"id": "a1", "status": "completed"}, {"id": 7}], "count": 2}"#;
    std::fs::write(&file, page).expect("written");
    let output = voiceport()
        .args(["normalize", "--vendor", "happyrobot", "--what", "list"])
        .arg(&file)
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("page.json"), "{stderr}");
    assert!(stderr.contains("calls[1]"), "{stderr}");
}
