//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

use voiceport_core::testing::http::{Auth, VendorApi};
use voiceport_core::{ProviderConfig, ProviderKind};
use voiceport_happyrobot::HappyRobot;

/// A well-formed call id.
pub const CALL_ID: &str = "69b03bcf7a81a64cbcab500b";

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/happyrobot")
}

pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The emulated legacy app API (`/api/v1`, bearer key).
pub async fn api() -> VendorApi {
    VendorApi::start(ProviderKind::HappyRobot, "/api/v1", Auth::Bearer).await
}

/// `config` with the dial options set and the platform API on the same server.
pub fn with_options(api: &VendorApi, config: ProviderConfig) -> ProviderConfig {
    config
        .with_option("number_id", "65f1ce217a81a64cbcab4f10")
        .with_option("use_case_id", "690a36427a81a64cbcab4fd5")
        .with_option("organization_id", "0196f0a2-0000-7000-8000-000000000001")
        .with_option(
            "usage_base_url",
            format!("{}/platform/api/v1", api.server.uri()),
        )
}

/// A config for `api` with retries off and the options set.
pub fn config(api: &VendorApi) -> ProviderConfig {
    with_options(api, api.config())
}

/// A client with retries off.
pub fn client(api: &VendorApi) -> HappyRobot {
    HappyRobot::from_config(&config(api)).unwrap()
}

/// A client with retries on (fast backoff).
pub fn retrying_client(api: &VendorApi) -> HappyRobot {
    let mut config = with_options(api, api.config_with_retries());
    config.retry.max_attempts = Some(4);
    HappyRobot::from_config(&config).unwrap()
}
