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
    use serde_json::{Value, json};

    use crate::testing::temp_folder;

    fn normalize(name: &str, body: &[u8]) -> Value {
        let value: Value = serde_json::from_slice(body).unwrap();
        json!({ "file": name, "recording": value["url"] })
    }

    /// Each fixture is normalized, redacted, and compared with its own snapshot, named
    /// after the test and the file.
    #[test]
    fn every_fixture_is_checked_against_its_snapshot() {
        let fixtures = temp_folder("snapshot-inputs");
        let url = "https://bucket.s3.amazonaws.com/rec.wav";
        for name in ["a", "b"] {
            let body = json!({ "url": format!("{url}?X-Amz-Signature={name}") });
            std::fs::write(fixtures.join(format!("{name}.json")), body.to_string()).unwrap();
        }
        std::fs::write(fixtures.join("notes.txt"), "not a fixture").unwrap();
        let snapshots = temp_folder("snapshot-files");
        for name in ["a", "b"] {
            let snapshot = format!(
                "---\nsource: x\nexpression: value\n---\n{{\n  \"file\": \"{name}.json\",\n  \"recording\": \"{url}?[signed]\"\n}}\n"
            );
            let file = format!(
                "voiceport_core__testing__snapshots__tests__every_fixture_is_checked_against_its_snapshot@{name}.json.snap"
            );
            std::fs::write(snapshots.join(file), snapshot).unwrap();
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&snapshots);
        settings.bind(|| crate::snapshot_fixtures!(&fixtures, normalize));
        std::fs::remove_dir_all(fixtures).unwrap();
        std::fs::remove_dir_all(snapshots).unwrap();
    }
}
