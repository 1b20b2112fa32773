//! Helpers shared by this adapter's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The fixtures directory of this vendor.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/voicebot")
}

/// A fixture's text.
pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
