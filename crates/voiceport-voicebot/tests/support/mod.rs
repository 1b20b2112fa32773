//! Helpers shared by this adapter's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use voiceport_core::{ProviderConfig, ProviderKind};
use voiceport_voicebot::Voicebot;
use wiremock::MockServer;

/// The API key every test uses; asserted never to leak.
pub const KEY: &str = "vbs-test-key-5e4d3c2b1a";
/// Where the API lives under the mock server (as in production: `/api/v1`).
pub const PREFIX: &str = "/api/v1";

/// The fixtures directory of this vendor.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/voicebot")
}

/// A fixture's text.
pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A config for the mock server: retries fast (tiny backoffs), options set by `tweak`.
pub fn config(server: &MockServer, tweak: impl FnOnce(&mut ProviderConfig)) -> ProviderConfig {
    let mut config = ProviderConfig::new(ProviderKind::Voicebot)
        .with_api_key(KEY)
        .with_base_url(format!("{}{PREFIX}", server.uri()));
    config.retry.initial_backoff_ms = Some(1);
    config.retry.max_backoff_ms = Some(2);
    tweak(&mut config);
    config
}

/// A client with the default test config plus a default assistant.
pub fn client(server: &MockServer) -> Voicebot {
    Voicebot::from_config(&config(server, |c| {
        c.options
            .insert("assistant_id".into(), "asst-default".into());
        c.options
            .insert("phone_number_id".into(), "num-default".into());
    }))
    .unwrap()
}

/// A client that never retries.
pub fn client_no_retry(server: &MockServer) -> Voicebot {
    Voicebot::from_config(&config(server, |c| c.retry.max_attempts = Some(1))).unwrap()
}
