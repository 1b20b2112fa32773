//! The inputs of a decoder property test, each handed to a `feed(body, what)` closure;
//! `what` names the case for the assertion message.

use std::path::Path;

use serde_json::Value;

use super::random::{Rng, arbitrary_json, mutations};

/// One fixture file: its name and its bytes.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The file name (`get_call.json`).
    pub name: String,
    /// The file's contents.
    pub body: Vec<u8>,
}

impl Fixture {
    /// The fixture file at `path`.
    ///
    /// # Panics
    /// When the file cannot be read.
    pub fn read(path: &Path) -> Fixture {
        Fixture {
            name: path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            body: std::fs::read(path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display())),
        }
    }

    /// The fixture parsed as JSON.
    ///
    /// # Panics
    /// When the fixture is not JSON (a broken fixture is a bug in the test suite).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", self.name))
    }
}

/// Every `*.json` file of `dir`, sorted by name.
///
/// # Panics
/// When `dir` cannot be read.
pub fn fixture_files(dir: &Path) -> Vec<Fixture> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("fixture folder {}: {e}", dir.display()));
    let mut fixtures: Vec<Fixture> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| Fixture::read(&path))
        .collect();
    fixtures.sort_by(|a, b| a.name.cmp(&b.name));
    fixtures
}

/// [`fixture_files`], and at least `minimum` of them (so that a fixture folder moved or
/// emptied fails the test instead of testing nothing).
///
/// # Panics
/// When `dir` cannot be read or holds fewer than `minimum` fixtures.
pub fn fixture_files_at_least(dir: &Path, minimum: usize) -> Vec<Fixture> {
    let fixtures = fixture_files(dir);
    assert!(
        fixtures.len() >= minimum,
        "fixtures missing: {} in {}, at least {minimum} expected",
        fixtures.len(),
        dir.display()
    );
    fixtures
}

/// Each fixture as it is, then `per_fixture` mutants of it (a few nodes replaced, removed
/// or emptied, the structure around them kept so the mutants reach deep into a mapper).
pub fn each_mutant(
    fixtures: &[Fixture],
    seed: u64,
    per_fixture: usize,
    mut feed: impl FnMut(&[u8], &str),
) {
    for (index, fixture) in fixtures.iter().enumerate() {
        feed(&fixture.body, &fixture.name);
        let mutants = mutations(
            &fixture.json(),
            seed.wrapping_add(index as u64),
            per_fixture,
        );
        for (i, mutant) in mutants.iter().enumerate() {
            feed(&to_bytes(mutant), &format!("{} mutant {i}", fixture.name));
        }
    }
}

/// `count` arbitrary JSON values, each alone and then planted in every shape `wrap`
/// returns for it (the places a vendor's decoders look: a call's fields, a list item, a
/// webhook's body …).
pub fn each_arbitrary(
    seed: u64,
    count: usize,
    wrap: impl Fn(&Value) -> Vec<Value>,
    mut feed: impl FnMut(&[u8], &str),
) {
    let mut rng = Rng::new(seed);
    for i in 0..count {
        let value = arbitrary_json(&mut rng, 4);
        feed(&to_bytes(&value), &format!("arbitrary {i}"));
        for (j, wrapped) in wrap(&value).iter().enumerate() {
            feed(&to_bytes(wrapped), &format!("arbitrary {i} in shape {j}"));
        }
    }
}

/// Bodies that are not what any API sends: `count` runs of random bytes, then a fixed set
/// of near-misses (empty, whitespace, bare scalars, HTML error pages, invalid UTF-8,
/// trailing text after a value).
pub fn each_garbage(seed: u64, count: usize, mut feed: impl FnMut(&[u8], &str)) {
    let mut rng = Rng::new(seed);
    for i in 0..count {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        feed(&bytes, &format!("garbage {i}"));
    }
    const NEAR_MISSES: [&[u8]; 13] = [
        b"",
        b"   ",
        b"null",
        b"[]",
        b"{}",
        b"\"\"",
        b"0",
        b"{",
        b"<html>502 Bad Gateway</html>",
        b"\xff\xfe",
        b"{\"id\": null}",
        b"{\"id\": \"a\"} trailing",
        b"[{\"id\": \"a\"}] trailing",
    ];
    for body in NEAR_MISSES {
        feed(
            body,
            &format!("near miss {}", String::from_utf8_lossy(body)),
        );
    }
}

/// About 40 strict prefixes of each fixture (a body cut off mid-transfer). A strict prefix
/// of a JSON object or array is never valid JSON, so every decoder must refuse it.
pub fn each_truncation(fixtures: &[Fixture], mut feed: impl FnMut(&[u8], &str)) {
    for fixture in fixtures {
        let body = fixture.body.trim_ascii_end();
        let step = (body.len() / 40).max(1);
        for cut in (0..body.len()).step_by(step) {
            let prefix = body.get(..cut).unwrap_or_default();
            feed(prefix, &format!("{} cut at {cut}", fixture.name));
        }
    }
}

fn to_bytes(value: &Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail (its keys are strings).
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::panic::catch_unwind;
    use std::path::PathBuf;

    use super::*;

    /// A fresh folder with two JSON fixtures and a file that is not one.
    fn folder(test: &str) -> PathBuf {
        let dir = super::super::temp_folder(test);
        std::fs::write(dir.join("b.json"), br#"{"id": "b"}"#).unwrap();
        std::fs::write(dir.join("a.json"), br#"{"id": "a"}"#).unwrap();
        std::fs::write(dir.join("README.md"), "not a fixture").unwrap();
        dir
    }

    #[test]
    fn fixtures_are_the_json_files_by_name() {
        let dir = folder("corpus-files");
        let fixture = Fixture::read(&dir.join("a.json"));
        assert_eq!(fixture.name, "a.json");
        assert_eq!(fixture.json()["id"], "a");
        let names: Vec<String> = fixture_files(&dir).into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["a.json", "b.json"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_minimum_of_fixtures_is_required() {
        let dir = folder("corpus-minimum");
        assert_eq!(fixture_files_at_least(&dir, 2).len(), 2);
        assert!(catch_unwind(|| fixture_files_at_least(&dir, 3)).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
