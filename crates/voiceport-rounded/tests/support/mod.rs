//! Helpers shared by the Rounded adapter's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use voiceport_core::{ProviderConfig, ProviderKind};
use voiceport_rounded::Rounded;
use wiremock::MockServer;

/// The API key every test uses; asserted never to leak.
pub const KEY: &str = "rk-test-5e4d3c2b1a";

/// Where Rounded's API lives on the mock server (like `/v1` in production).
pub const PREFIX: &str = "/v1";

/// A call id of the right shape (the one of `get_call.json`).
pub const CALL_ID: &str = "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3";

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rounded")
}

pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A config for the mock server, retries off (one attempt).
pub fn config(server: &MockServer) -> ProviderConfig {
    let mut config = ProviderConfig::new(ProviderKind::Rounded)
        .with_api_key(KEY)
        .with_base_url(format!("{}{PREFIX}", server.uri()));
    config.retry.max_attempts = Some(1);
    config
}

/// A config with retries on, but fast (to show what is and is not retried).
pub fn config_with_fast_retries(server: &MockServer) -> ProviderConfig {
    let mut config = config(server);
    config.retry.max_attempts = Some(3);
    config.retry.initial_backoff_ms = Some(1);
    config.retry.max_backoff_ms = Some(2);
    config
}

pub fn client(server: &MockServer) -> Rounded {
    Rounded::from_config(&config(server)).unwrap()
}

/// A client whose dial defaults are set in its options.
pub fn client_with_dial_defaults(server: &MockServer) -> Rounded {
    let config = config(server)
        .with_option("from_number", "+33199001234")
        .with_option("agent_id", "3407d20e-0e63-4a9f-9837-dd4df2fa2aee");
    Rounded::from_config(&config).unwrap()
}
