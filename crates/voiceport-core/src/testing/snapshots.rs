//! The snapshot test of an adapter's fixtures: [`snapshot_fixtures!`](crate::snapshot_fixtures).

/// Snapshots every `*.json` fixture of a folder (insta): for each file, `normalize(name,
/// body)` gives the value to snapshot, which is checked as `value` under the test's name
/// and the file's name, with the core's redactions ([`snapshot::insta_settings`]).
///
/// `folder` is relative to the calling test file, as for `insta::glob!`. A macro rather than
/// a function, so that the snapshots are the calling test's (its file, module and name).
/// The calling crate needs `insta` (with its `glob` and `json` features) among its
/// dev-dependencies, and the core's `testing` and `insta` features.
///
/// ```no_run
/// use serde_json::{Value, json};
///
/// fn normalize(name: &str, body: &[u8]) -> Value {
///     json!({ "file": name, "bytes": body.len() })
/// }
///
/// // In `crates/voiceport-rounded/tests/snapshots.rs`, in `#[test] fn fixtures_normalize`:
/// voiceport_core::snapshot_fixtures!("../../../fixtures/rounded", normalize);
/// ```
///
/// [`snapshot::insta_settings`]: crate::snapshot::insta_settings
#[cfg_attr(docsrs, doc(cfg(all(feature = "testing", feature = "insta"))))]
#[macro_export]
macro_rules! snapshot_fixtures {
    ($folder:expr, $normalize:expr $(,)?) => {
        ::insta::glob!($folder, "*.json", |path| {
            let fixture = $crate::testing::corpus::Fixture::read(path);
            let value = ($normalize)(fixture.name.as_str(), fixture.body.as_slice());
            $crate::snapshot::insta_settings().bind(|| ::insta::assert_json_snapshot!(value));
        })
    };
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::path::Path;
    use std::process::Command;

    use serde_json::{Value, json};

    use crate::testing::temp_folder;

    /// Set in the child process that runs the checks.
    const CHILD: &str = "VOICEPORT_SNAPSHOT_KIT_CHILD";
    /// The snapshots' name: the module and the function that calls the macro.
    const SNAPSHOT: &str = "voiceport_core__testing__snapshots__tests__check_case";
    const URL: &str = "https://bucket.s3.amazonaws.com/rec.wav";

    fn normalize(name: &str, body: &[u8]) -> Value {
        let value: Value = serde_json::from_slice(body).unwrap();
        json!({ "file": name, "recording": value["url"] })
    }

    /// Writes `recording` as the snapshot of fixture `name`.
    fn write_snapshot(folder: &Path, name: &str, recording: &str) {
        let snapshot = format!(
            "---\nsource: x\nexpression: value\n---\n{{\n  \"file\": \"{name}.json\",\n  \"recording\": \"{recording}\"\n}}\n"
        );
        let file = format!("{SNAPSHOT}@{name}.json.snap");
        std::fs::write(folder.join(file), snapshot).unwrap();
    }

    /// Each fixture is normalized, redacted, and compared with its own snapshot, named
    /// after the test and the file: a wrong snapshot or a missing one fails.
    ///
    /// Each case runs in a child process of this test binary, with insta's environment
    /// set: `INSTA_FORCE_PASS` and `INSTA_UPDATE` (read once per process) would otherwise
    /// turn the failures into passes, and changing them here would change them for the
    /// tests running alongside. One process per case, as insta numbers the snapshots of a
    /// second run in the same test (`a.json-2`), which would fail it for that alone.
    #[test]
    fn every_fixture_is_checked_against_its_snapshot() {
        if let Ok(case) = std::env::var(CHILD) {
            return check_case(&case);
        }
        let workspace = temp_folder("snapshot-workspace");
        let name = module_path!()
            .strip_prefix("voiceport_core::")
            .map(|module| format!("{module}::every_fixture_is_checked_against_its_snapshot"))
            .unwrap();
        let runs: Vec<_> = ["matching", "wrong", "missing"]
            .into_iter()
            .map(|case| {
                let output = Command::new(std::env::current_exe().unwrap())
                    .args([name.as_str(), "--exact", "--test-threads=1"])
                    .env(CHILD, case)
                    .env("INSTA_FORCE_PASS", "0")
                    .env("INSTA_UPDATE", "no")
                    .env("INSTA_REQUIRE_FULL_MATCH", "0")
                    .env("INSTA_GLOB_FAIL_FAST", "0")
                    // No insta.yaml of the project (or the caller's) applies.
                    .env("INSTA_WORKSPACE_ROOT", &workspace)
                    .env_remove("INSTA_FORCE_UPDATE")
                    .env_remove("INSTA_FORCE_UPDATE_SNAPSHOTS")
                    .output()
                    .unwrap();
                (case, output)
            })
            .collect();
        std::fs::remove_dir_all(workspace).unwrap();
        for (case, output) in runs {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            // The child must have run this very test, not zero tests.
            assert!(
                output.status.success() && stdout.contains(&format!("test {name} ... ok")),
                "case {case}: {}\n{stdout}\n{stderr}",
                output.status
            );
        }
    }

    /// Runs the macro once over two fixtures and a text file, their snapshots right but
    /// for `case`, and asserts that it passes only when they all match.
    fn check_case(case: &str) {
        let fixtures = temp_folder("snapshot-inputs");
        for name in ["a", "b"] {
            let body = json!({ "url": format!("{URL}?X-Amz-Signature={name}") });
            std::fs::write(fixtures.join(format!("{name}.json")), body.to_string()).unwrap();
        }
        std::fs::write(fixtures.join("notes.txt"), "not a fixture").unwrap();
        let snapshots = temp_folder("snapshot-files");
        for name in ["a", "b"] {
            write_snapshot(&snapshots, name, &format!("{URL}?[signed]"));
        }
        match case {
            "matching" => {}
            // The signed URL unredacted.
            "wrong" => write_snapshot(&snapshots, "b", &format!("{URL}?X-Amz-Signature=b")),
            "missing" => {
                std::fs::remove_file(snapshots.join(format!("{SNAPSHOT}@a.json.snap"))).unwrap()
            }
            _ => panic!("unknown case {case}"),
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&snapshots);
        let calls = Cell::new(0);
        let counted = |name: &str, body: &[u8]| {
            calls.set(calls.get() + 1);
            normalize(name, body)
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| crate::snapshot_fixtures!(&fixtures, counted))
        }));
        let files = std::fs::read_dir(&snapshots).unwrap().count();
        std::fs::remove_dir_all(fixtures).unwrap();
        std::fs::remove_dir_all(snapshots).unwrap();
        assert_eq!(outcome.is_ok(), case == "matching", "case {case}");
        assert_eq!(calls.get(), 2, "each fixture, not the text file");
        // Nothing updated or added (no `.snap.new`).
        assert_eq!(files, if case == "missing" { 1 } else { 2 });
    }
}
