use super::*;
use crate::http::AuthStyle;
use secrecy::ExposeSecret;

const FILE: &str = r#"
default = "sales"

[providers.sales]
kind = "happyrobot"
api_key = "hr-secret-key"
timeout_secs = 12.5

[providers.support]
kind = "rounded"
api_key_env = "VOICEPORT_TEST_ROUNDED_KEY_UNSET"
base_url = "http://127.0.0.1:9999/v1"
[providers.support.retry]
max_attempts = 2
initial_backoff_ms = 10
[providers.support.options]
use_cursor = true
"#;

fn config_error(result: Result<impl std::fmt::Debug>) -> (String, String) {
    match result {
        Err(Error::Config { field, message }) => (field, message),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn parses_named_providers() {
    let file = ProvidersFile::from_toml_str(FILE).unwrap();
    assert_eq!(file.providers.len(), 2);
    let sales = file.get(None).unwrap();
    assert_eq!(sales.kind, ProviderKind::HappyRobot);
    assert_eq!(
        sales.resolve_api_key().unwrap().expose_secret(),
        "hr-secret-key"
    );
    let settings = sales.http_settings().unwrap();
    assert_eq!(settings.timeout, Duration::from_millis(12_500));
    let support = file.get(Some("support")).unwrap();
    assert_eq!(support.kind, ProviderKind::Rounded);
    assert_eq!(support.http_settings().unwrap().retry.max_attempts, 2);
    assert_eq!(support.options["use_cursor"], serde_json::Value::Bool(true));
    assert_eq!(support.field("base_url"), "providers.support.base_url");
}

/// A provider's name that a qualified call id (`NAME:ID`) or a selection (`a,b`) could
/// not address is refused when the file is read.
#[test]
fn provider_names_that_ids_cannot_address_are_refused() {
    for (name, field) in [
        ("acme:eu", "providers.acme:eu"),
        ("acme,eu", "providers.acme,eu"),
        (" ", "providers. "),
        (" acme", "providers. acme"),
        ("all", "providers.all"),
        ("acme\teu", r"providers.acme\teu"),
    ] {
        let text = format!("[providers.\"{name}\"]\nkind = \"rounded\"\napi_key = \"k\"\n");
        let (at, message) = config_error(ProvidersFile::from_toml_str(&text));
        assert_eq!(at, field, "{name:?}");
        assert!(message.contains("`:`"), "{message}");
    }
    let fine = "[providers.acme-eu_2]\nkind = \"rounded\"\napi_key = \"k\"\n";
    assert!(ProvidersFile::from_toml_str(fine).is_ok());
}

#[test]
fn debug_never_shows_the_key() {
    let file = ProvidersFile::from_toml_str(FILE).unwrap();
    let text = format!("{file:?}");
    assert!(!text.contains("hr-secret-key"), "{text}");
    let client = file
        .get(Some("sales"))
        .unwrap()
        .http_client("https://app.happyrobot.ai/api/v1", AuthStyle::Bearer)
        .unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains("hr-secret-key"), "{text}");
}

#[test]
fn unknown_kind_names_the_field() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"bland\"\napi_key = \"k\"\n",
    ));
    assert_eq!(field, "providers.a.kind");
    assert!(message.contains("bland"), "{message}");
}

#[test]
fn misspelled_field_is_refused() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_kee = \"k\"\n",
    ));
    assert!(field.starts_with("providers.a"), "{field}");
    assert!(message.contains("api_kee"), "{message}");
}

#[test]
fn missing_kind_is_refused() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\napi_key = \"k\"\n",
    ));
    assert!(field.starts_with("providers.a"), "{field}");
    assert!(message.contains("kind"), "{message}");
}

#[test]
fn wrong_type_names_the_field() {
    let (field, _) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\ntimeout_secs = \"soon\"\n",
    ));
    assert_eq!(field, "providers.a.timeout_secs");
}

#[test]
fn toml_syntax_error_is_a_config_error() {
    config_error(ProvidersFile::from_toml_str("[providers.a\nkind = "));
}

#[test]
fn missing_key_and_unset_env_name_their_fields() {
    let file = ProvidersFile::from_toml_str("[providers.a]\nkind = \"rounded\"\n").unwrap();
    let (field, _) = config_error(file.get(None).unwrap().resolve_api_key());
    assert_eq!(field, "providers.a.api_key");

    let file = ProvidersFile::from_toml_str(FILE).unwrap();
    let (field, message) = config_error(file.get(Some("support")).unwrap().resolve_api_key());
    assert_eq!(field, "providers.support.api_key_env");
    assert!(
        message.contains("VOICEPORT_TEST_ROUNDED_KEY_UNSET"),
        "{message}"
    );
}

#[test]
fn bad_base_urls_name_the_field() {
    for url in [
        "not a url",
        "http://api.example.com/v1",
        "ftp://x.example.com",
    ] {
        let config = ProviderConfig::new(ProviderKind::Voicebot)
            .with_api_key("k")
            .with_base_url(url)
            .at_path("providers.v.");
        let (field, _) = config_error(config.http_client(
            "https://api.voicebot.studio/api/v1",
            AuthStyle::Header("X-API-Key"),
        ));
        assert_eq!(field, "providers.v.base_url", "{url}");
    }
    let mut config = ProviderConfig::new(ProviderKind::Voicebot)
        .with_api_key("k")
        .with_base_url("http://api.example.com/v1");
    config.allow_insecure_http = true;
    assert!(
        config
            .http_client("https://x", AuthStyle::Header("X-API-Key"))
            .is_ok()
    );
}

#[test]
fn bad_numbers_name_the_field() {
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.timeout_secs = Some(-1.0);
    assert_eq!(config_error(config.http_settings()).0, "timeout_secs");
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.retry.max_attempts = Some(0);
    assert_eq!(config_error(config.http_settings()).0, "retry.max_attempts");
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.max_body_bytes = Some(0);
    assert_eq!(config_error(config.http_settings()).0, "max_body_bytes");
}

#[test]
fn default_must_exist_and_selection_is_clear() {
    let (field, _) = config_error(ProvidersFile::from_toml_str(
        "default = \"x\"\n[providers.a]\nkind = \"rounded\"\n",
    ));
    assert_eq!(field, "default");
    let file = ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\n[providers.b]\nkind = \"voicebot\"\n",
    )
    .unwrap();
    assert_eq!(config_error(file.get(None)).0, "default");
    assert_eq!(config_error(file.get(Some("c"))).0, "providers.c");
    let single = ProvidersFile::from_toml_str("[providers.only]\nkind = \"rounded\"\n").unwrap();
    assert_eq!(single.get(None).unwrap().kind, ProviderKind::Rounded);
}

#[test]
fn a_file_without_providers_says_where_they_go() {
    let empty = ProvidersFile::from_toml_str("").unwrap();
    let (field, message) = config_error(empty.get(None));
    assert_eq!(field, "providers");
    assert!(!message.contains("several"), "{message}");
    assert!(message.contains("names no provider"), "{message}");
    assert!(message.contains("`[providers.NAME]`"), "{message}");
    assert!(message.contains("`kind = \"KIND\"`"), "{message}");
    for kind in ProviderKind::ALL {
        assert!(message.contains(kind.as_str()), "{message}");
    }
    let (field, message) = config_error(empty.get(Some("sales")));
    assert_eq!(field, "providers.sales");
    assert!(message.contains("names no provider"), "{message}");
}

#[test]
fn several_providers_without_default_are_listed_with_how_to_choose() {
    // Declared out of order, each with a key: the names come sorted, the keys never.
    let file = ProvidersFile::from_toml_str(
        "[providers.support]\nkind = \"rounded\"\napi_key = \"rd-secret-key\"\n\
         [providers.sales]\nkind = \"happyrobot\"\napi_key = \"hr-secret-key\"\n",
    )
    .unwrap();
    let error = file.get(None).unwrap_err().to_string();
    assert!(error.contains("(\"sales\", \"support\")"), "{error}");
    assert!(error.contains("`-p NAME`"), "{error}");
    assert!(
        error.contains("Registry::connect(Some(\"NAME\"))"),
        "{error}"
    );
    assert!(error.contains("`default = \"NAME\"`"), "{error}");
    assert!(
        !error.contains("secret-key") && !error.contains('\n'),
        "{error}"
    );

    let error = file.get(Some("billing")).unwrap_err().to_string();
    assert!(error.contains("`providers.billing`"), "{error}");
    assert!(error.contains("no such provider"), "{error}");
    assert!(error.contains("\"sales\", \"support\""), "{error}");
    assert!(
        !error.contains("secret-key") && !error.contains('\n'),
        "{error}"
    );
}

#[test]
fn an_unknown_name_built_in_code_stays_on_one_line() {
    let mut file = ProvidersFile::default();
    file.providers
        .insert("a\nb".to_owned(), ProviderConfig::new(ProviderKind::Vapi));
    let error = file.get(Some("x\ny")).unwrap_err().to_string();
    assert!(!error.contains('\n'), "{error}");
    assert!(error.contains("\"a\\nb\""), "{error}");
}

#[test]
fn vendor_options_errors_name_the_option() {
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Options {
        number_id: Option<String>,
    }
    let file = ProvidersFile::from_toml_str(
        "[providers.s]\nkind = \"happyrobot\"\n[providers.s.options]\nnumber_id = 5\n",
    )
    .unwrap();
    let (field, _) = config_error(file.get(None).unwrap().options::<Options>());
    assert_eq!(field, "providers.s.options.number_id");
    let file = ProvidersFile::from_toml_str(
        "[providers.s]\nkind = \"happyrobot\"\n[providers.s.options]\nnumbr = \"x\"\n",
    )
    .unwrap();
    let (field, message) = config_error(file.get(None).unwrap().options::<Options>());
    assert!(field.starts_with("providers.s.options"), "{field}");
    assert!(message.contains("numbr"), "{message}");
}

#[test]
fn json_and_env_sources() {
    let config =
        ProviderConfig::from_json_str(r#"{"kind": "voicebot", "api_key": "k", "timeout_secs": 5}"#)
            .unwrap();
    assert_eq!(config.kind, ProviderKind::Voicebot);
    let (field, _) = config_error(ProviderConfig::from_json_str(
        r#"{"kind": "voicebot", "timeout_secs": "x"}"#,
    ));
    assert_eq!(field, "timeout_secs");
    // A secret of the wrong type is never quoted, in JSON as in TOML.
    for (json, at) in [
        (r#"{"kind": "voicebot", "api_key": 73914025518}"#, "api_key"),
        (
            r#"{"kind": "voicebot", "api_key": "k", "webhook": {"verify": "hmac", "secret": 73914025518}}"#,
            "webhook.secret",
        ),
    ] {
        let (field, message) = config_error(ProviderConfig::from_json_str(json));
        assert_eq!(field, at);
        assert!(!message.contains("73914025518"), "{message}");
        let shown = ProviderConfig::from_json_str(json).unwrap_err().to_string();
        assert!(!shown.contains("73914025518"), "{shown}");
    }

    // Variables unique to this test, so parallel tests do not race on them.
    let (field, _) = config_error(ProviderConfig::from_env("VOICEPORT_CFGTEST_NONE_"));
    assert_eq!(field, "VOICEPORT_CFGTEST_NONE_KIND");
    // SAFETY: only this test reads or writes these variables.
    unsafe {
        std::env::set_var("VOICEPORT_CFGTEST_A_KIND", "rounded");
        std::env::set_var("VOICEPORT_CFGTEST_A_API_KEY", "env-key");
        std::env::set_var("VOICEPORT_CFGTEST_A_TIMEOUT_SECS", "3");
    }
    let config = ProviderConfig::from_env("VOICEPORT_CFGTEST_A_").unwrap();
    assert_eq!(config.kind, ProviderKind::Rounded);
    assert_eq!(config.resolve_api_key().unwrap().expose_secret(), "env-key");
    assert_eq!(
        config.http_settings().unwrap().timeout,
        Duration::from_secs(3)
    );
    assert!(!format!("{config:?}").contains("env-key"));

    // A template's empty variables count as unset, and errors name the variables.
    // SAFETY: only this test reads or writes these variables.
    unsafe {
        std::env::set_var("VOICEPORT_CFGTEST_B_KIND", "retell");
        std::env::set_var("VOICEPORT_CFGTEST_B_API_KEY", "");
        std::env::set_var(
            "VOICEPORT_CFGTEST_B_API_KEY_ENV",
            "VOICEPORT_CFGTEST_B_REAL_KEY",
        );
        std::env::set_var("VOICEPORT_CFGTEST_B_REAL_KEY", "real-key");
        std::env::set_var("VOICEPORT_CFGTEST_B_BASE_URL", " ");
        std::env::set_var("VOICEPORT_CFGTEST_B_TIMEOUT_SECS", "soon");
    }
    let (field, _) = config_error(ProviderConfig::from_env("VOICEPORT_CFGTEST_B_"));
    assert_eq!(field, "VOICEPORT_CFGTEST_B_TIMEOUT_SECS");
    // SAFETY: as above.
    unsafe { std::env::remove_var("VOICEPORT_CFGTEST_B_TIMEOUT_SECS") };
    let config = ProviderConfig::from_env("VOICEPORT_CFGTEST_B_").unwrap();
    assert_eq!(
        config.resolve_api_key().unwrap().expose_secret(),
        "real-key"
    );
    assert_eq!(config.base_url, None);
    assert_eq!(config.field("kind"), "VOICEPORT_CFGTEST_B_KIND");
    // A field no variable sets keeps its name; placed in a file, the config names its
    // fields as the file does.
    assert_eq!(
        config.field("options.organization_id"),
        "VOICEPORT_CFGTEST_B_options.organization_id"
    );
    let placed = config.clone().at_path("providers.sales.");
    assert_eq!(placed.field("api_key"), "providers.sales.api_key");
    // SAFETY: as above.
    unsafe { std::env::remove_var("VOICEPORT_CFGTEST_B_API_KEY_ENV") };
    let config = ProviderConfig::from_env("VOICEPORT_CFGTEST_B_").unwrap();
    let (field, message) = config_error(config.resolve_api_key());
    assert_eq!(field, "VOICEPORT_CFGTEST_B_API_KEY");
    assert!(
        message.contains("set VOICEPORT_CFGTEST_B_API_KEY or VOICEPORT_CFGTEST_B_API_KEY_ENV"),
        "{message}"
    );
}

#[test]
fn toml_syntax_errors_keep_the_line_column_and_key_but_never_the_value() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "default = \"a\"\n\n[providers.a]\nkind = \"rounded\"\napi_key = sk-live-4f9a8b7c6d5e\n",
    ));
    assert_eq!(field, "providers.a.api_key");
    assert!(message.contains("line 5, column 11"), "{message}");
    assert!(!message.contains("4f9a"), "{message}");
}

#[test]
fn toml_type_errors_keep_the_position_too() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\ntimeout_secs = \"soon\"\n",
    ));
    assert_eq!(field, "providers.a.timeout_secs");
    assert!(message.contains("line 4"), "{message}");
}

#[test]
fn a_secret_of_the_wrong_type_is_not_quoted() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = 4096123377\n",
    ));
    assert_eq!(field, "providers.a.api_key");
    assert!(!message.contains("4096123377"), "{message}");
    assert!(message.contains("line 3"), "{message}");
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("voiceport-perm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let with_key = dir.join("key.toml");
    std::fs::write(&with_key, FILE).unwrap();
    let without_key = dir.join("env.toml");
    std::fs::write(
        &without_key,
        "[providers.a]\nkind = \"rounded\"\napi_key_env = \"X\"\n",
    )
    .unwrap();
    for path in [&with_key, &without_key] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let file = ProvidersFile::from_path(&with_key).unwrap();
    let warning = file.permission_warning(&with_key).expect("a warning");
    assert!(
        warning.contains("0644") && warning.contains("chmod 600"),
        "{warning}"
    );
    assert!(!warning.contains("hr-secret-key"), "{warning}");
    assert_eq!(warning.lines().count(), 1);

    std::fs::set_permissions(&with_key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(file.permission_warning(&with_key), None);
    let file = ProvidersFile::from_path(&without_key).unwrap();
    assert_eq!(file.permission_warning(&without_key), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_retell_webhook_keyed_with_an_unreadable_api_key_says_why() {
    let file = ProvidersFile::from_toml_str(
        "[providers.r]\nkind = \"retell\"\napi_key_env = \"VOICEPORT_TEST_RETELL_KEY_UNSET\"\n\
         [providers.r.webhook]\n\
         [providers.s]\nkind = \"retell\"\napi_key = \"key_1c9b\"\n[providers.s.webhook]\n\
         [providers.h]\nkind = \"happyrobot\"\napi_key_env = \"VOICEPORT_TEST_RETELL_KEY_UNSET\"\n\
         [providers.h.webhook]\n",
    )
    .unwrap();
    let (field, message) = config_error(file.get(Some("r")).unwrap().webhook_verifier());
    assert_eq!(field, "providers.r.api_key_env");
    assert!(
        message.contains("VOICEPORT_TEST_RETELL_KEY_UNSET"),
        "{message}"
    );
    // With a readable key the empty table is enough.
    let verifier = file.get(Some("s")).unwrap().webhook_verifier().unwrap();
    assert_eq!(
        verifier.map(|v| v.scheme()),
        Some(crate::webhook::Scheme::Retell)
    );
    // A scheme that does not use the key still asks for its own secret.
    let (field, _) = config_error(file.get(Some("h")).unwrap().webhook_verifier());
    assert_eq!(field, "providers.h.webhook.secret");
}

#[test]
fn an_api_key_pasted_with_spaces_is_used_and_masked_without_them() {
    let file = ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \" sk-live-4f9a8b7c6d5e\\t\"\n",
    )
    .unwrap();
    let key = file.get(None).unwrap().resolve_api_key().unwrap();
    assert_eq!(key.expose_secret(), "sk-live-4f9a8b7c6d5e");
    // What the vendor echoes of it is masked as the key it is.
    let mask = crate::SecretMask::new(key.expose_secret());
    let echoed = mask.mask_str("Invalid API key: sk-live-4f9a8b7c6d5e");
    assert_eq!(echoed, "Invalid API key: [REDACTED]");
}
