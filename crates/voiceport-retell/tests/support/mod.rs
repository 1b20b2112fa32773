//! Helpers shared by the Retell adapter's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The id of `call_phone_outbound_completed.json`.
pub const CALL_ID: &str = "call_45802f38266558e95adfd9466093";

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/retell")
}

pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
