//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

use voiceport_core::{ProviderConfig, ProviderKind};
use voiceport_happyrobot::HappyRobot;
use wiremock::MockServer;

/// The API key every test uses; asserted never to leak.
pub const KEY: &str = "hr-test-key-5c1d9e";
/// The path prefix of the emulated legacy app API.
pub const PREFIX: &str = "/api/v1";
/// A well-formed call id.
pub const CALL_ID: &str = "69b03bcf7a81a64cbcab500b";

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/happyrobot")
}

pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A config pointing at `server`, with retries off and the dial options set.
pub fn config(server: &MockServer) -> ProviderConfig {
    let mut config = ProviderConfig::new(ProviderKind::HappyRobot)
        .with_api_key(KEY)
        .with_base_url(format!("{}{PREFIX}", server.uri()))
        .with_option("number_id", "65f1ce217a81a64cbcab4f10")
        .with_option("use_case_id", "690a36427a81a64cbcab4fd5")
        .with_option("organization_id", "0196f0a2-0000-7000-8000-000000000001")
        .with_option(
            "usage_base_url",
            format!("{}/platform/api/v1", server.uri()),
        );
    config.retry.max_attempts = Some(1);
    config
}

pub fn client(server: &MockServer) -> HappyRobot {
    HappyRobot::from_config(&config(server)).unwrap()
}
