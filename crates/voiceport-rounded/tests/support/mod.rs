//! Helpers shared by the Rounded adapter's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A call id of the right shape (the one of `get_call.json`).
pub const CALL_ID: &str = "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3";

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rounded")
}

pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
