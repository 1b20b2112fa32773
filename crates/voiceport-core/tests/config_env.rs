//! `ProviderConfig::from_env` reads the process environment itself, not only the
//! variables a test hands it. (Alone in its binary: it sets variables for the whole
//! process.)

use voiceport_core::adapter::AdapterConfig;
use voiceport_core::{ExposeSecret, ProviderConfig, ProviderKind};

#[test]
fn from_env_reads_the_variables_of_the_process() {
    // SAFETY: this binary's only test sets the variables before anything reads them, and
    // no other thread of this process reads the environment meanwhile.
    unsafe {
        std::env::set_var("VOICEPORT_ENVTEST_KIND", "retell");
        std::env::set_var("VOICEPORT_ENVTEST_API_KEY", "key_from_the_environment");
        std::env::set_var("VOICEPORT_ENVTEST_TIMEOUT_SECS", "7");
    }
    let config = ProviderConfig::from_env("VOICEPORT_ENVTEST_").unwrap();
    assert_eq!(config.kind, ProviderKind::Retell);
    assert_eq!(
        config.resolve_api_key().unwrap().expose_secret(),
        "key_from_the_environment"
    );
    assert_eq!(
        config.http_settings().unwrap().timeout,
        std::time::Duration::from_secs(7)
    );
}
