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
    let sales = file.default_provider().unwrap();
    assert_eq!(sales.kind, ProviderKind::HappyRobot);
    assert_eq!(
        sales.resolve_api_key().unwrap().expose_secret(),
        "hr-secret-key"
    );
    let settings = sales.http_settings().unwrap();
    assert_eq!(settings.timeout, Duration::from_millis(12_500));
    let support = file.get("support").unwrap();
    assert_eq!(support.kind, ProviderKind::Rounded);
    assert_eq!(support.http_settings().unwrap().retry.max_attempts, 2);
    assert_eq!(support.options["use_cursor"], serde_json::Value::Bool(true));
    assert_eq!(support.field_name("base_url"), "providers.support.base_url");
    assert_eq!(
        (sales.name(), support.name()),
        (Some("sales"), Some("support"))
    );
    // The name reaches the client's request spans.
    let client = sales
        .http_client("https://api.example.com", AuthStyle::Bearer)
        .unwrap();
    assert_eq!(client.provider_name(), Some("sales"));
}

/// A provider read alone has no name; one built in code gets its name when its file is
/// checked.
#[test]
fn providers_are_named_by_their_file_only() {
    let lone = ProviderConfig::from_toml_str("kind = \"rounded\"").unwrap();
    assert_eq!(lone.name(), None);
    let client = (lone.clone().with_api_key("rk-test-1"))
        .http_client("https://api.example.com", AuthStyle::Bearer)
        .unwrap();
    assert_eq!(client.provider_name(), None);
    let providers = BTreeMap::from([("sales".to_owned(), lone)]);
    let file = ProvidersFile::new(None, providers, BTreeMap::new()).checked();
    assert_eq!(
        file.unwrap().default_provider().unwrap().name(),
        Some("sales")
    );
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
        .get("sales")
        .unwrap()
        .http_client("https://app.happyrobot.ai/api/v1", AuthStyle::Bearer)
        .unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains("hr-secret-key"), "{text}");
}

/// A key pasted where a variable's name belongs, or into a URL, never shows in `Debug`
/// either; a name that looks like one, and the URL's host and path, do.
#[test]
fn debug_never_shows_what_may_be_a_key() {
    let file = ProvidersFile::from_toml_str(
        r#"
[providers.pasted]
kind = "vapi"
api_key_env = "sk-live-51f0c2e9a7"
base_url = "https://ops:hunter2@proxy.example.com/vapi?token=tok-9d1e#frag"
[providers.pasted.webhook]
secret_env = "whsec-8c2f44"
verify = "hmac"
url = "https://app.example.com/webhooks/pasted?token=tok-77aa"
[providers.pasted.options]
usage_base_url = "https://u:pw-3e1b@platform.example.com/?t=tok-5c0d"
assistant_id = "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
[providers.named]
kind = "vapi"
api_key_env = "VAPI_API_KEY"
base_url = "http://127.0.0.1:9/vapi"
[providers.named.webhook]
secret_env = "VAPI_WEBHOOK_SECRET"
"#,
    )
    .unwrap();
    let text = format!("{file:?}");
    for hidden in [
        "sk-live-51f0c2e9a7",
        "hunter2",
        "ops:",
        "tok-9d1e",
        "frag",
        "whsec-8c2f44",
        "tok-77aa",
        "pw-3e1b",
        "tok-5c0d",
    ] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }
    for shown in [
        "platform.example.com",
        "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "VAPI_API_KEY",
        "VAPI_WEBHOOK_SECRET",
        "\"https://proxy.example.com/vapi\" (parts not shown)",
        "\"https://app.example.com/webhooks/pasted\" (parts not shown)",
        "\"http://127.0.0.1:9/vapi\"",
    ] {
        assert!(text.contains(shown), "{shown} not in {text}");
    }
}

/// A name that names no provider (the default, a route's) is said with the names there are.
#[test]
fn a_missing_provider_name_is_said_with_those_configured() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "default = \"salse\"\n[providers.sales]\nkind = \"vapi\"\n",
    ));
    assert_eq!(field, "default");
    assert_eq!(
        message,
        r#"no provider named "salse" in [providers]: the configured ones are "sales""#
    );
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.sales]\nkind = \"vapi\"\n[routes.out]\nproviders = [\"sales\", \"suport\"]\n",
    ));
    assert_eq!(field, "routes.out.providers");
    assert!(
        message.ends_with(r#""suport" in [providers]: the configured ones are "sales""#),
        "{message}"
    );
}

#[test]
fn unknown_kind_names_the_field() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"bland\"\napi_key = \"k\"\n",
    ));
    assert_eq!(field, "providers.a.kind");
    // The value, a word (a key pasted there, which has digits, is not shown), the kinds
    // there are, and where it is.
    assert!(
        message.starts_with("unknown variant `bland`, expected one of `happyrobot`"),
        "{message}"
    );
    assert!(message.contains("at line 2, column 8"), "{message}");
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

/// A key pasted into `api_key_env` (or a webhook's `secret_env`) instead of a variable's
/// name is not echoed in the error; a name with spaces around it is read trimmed.
#[test]
fn a_key_written_as_a_variable_name_is_not_echoed() {
    let pasted = "sk-live-4f9a0c1e8b7d6a5f";
    let toml = format!(
        "[providers.a]\nkind = \"rounded\"\napi_key_env = \"{pasted}\"\n\
         [providers.b]\nkind = \"rounded\"\napi_key_env = \"key_4f9a0c1e8b7d6a5f\"\n\
         [providers.c]\nkind = \"rounded\"\napi_key_env = \" VOICEPORT_TEST_KEY_UNSET_71 \"\n"
    );
    let file = ProvidersFile::from_toml_str(&toml).unwrap();
    for name in ["a", "b"] {
        let (field, message) = config_error(file.get(name).unwrap().resolve_api_key());
        assert_eq!(field, format!("providers.{name}.api_key_env"));
        assert!(!message.contains("4f9a0c1e8b7d6a5f"), "{message}");
        assert!(message.contains("is not set"), "{message}");
    }
    let (_, message) = config_error(file.get("c").unwrap().resolve_api_key());
    assert_eq!(
        message,
        "environment variable VOICEPORT_TEST_KEY_UNSET_71 is not set"
    );
    // An empty name is said to be empty, not a variable "not set".
    let blank =
        ProvidersFile::from_toml_str("[providers.d]\nkind = \"rounded\"\napi_key_env = \" \"\n")
            .unwrap();
    let (field, message) = config_error(blank.get("d").unwrap().resolve_api_key());
    assert_eq!(field, "providers.d.api_key_env");
    assert!(message.starts_with("is empty"), "{message}");

    let webhook: crate::webhook::WebhookConfig =
        toml::from_str(&format!("secret_env = \"{pasted}\"")).unwrap();
    let error = webhook.resolve_secret("providers.a.webhook").unwrap_err();
    assert!(!error.to_string().contains(pasted), "{error}");
}

/// A provider naming both a key and a variable is refused, not read with the key: the
/// sandbox's printed `api_key` left beside a real account's `api_key_env` would send the
/// sandbox's key to the vendor. A key set in code replaces the variable.
#[test]
fn a_key_and_a_key_variable_together_are_refused() {
    let file = ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"sandbox-key-41\"\napi_key_env = \"PATH\"\n",
    )
    .unwrap();
    let config = file.get("a").unwrap();
    let (field, message) = config_error(config.resolve_api_key());
    assert_eq!(field, "providers.a.api_key_env");
    assert!(
        message.contains("both api_key and api_key_env"),
        "{message}"
    );
    assert!(!message.contains("sandbox-key-41"), "{message}");
    let in_code = config.clone().with_api_key("from-code");
    assert_eq!(
        in_code.resolve_api_key().unwrap().expose_secret(),
        "from-code"
    );
    // And a variable set in code replaces the key.
    let from_env = in_code.with_api_key_env("PATH");
    // A key read from a variable is used without the spaces around it.
    let path = std::env::var("PATH").unwrap();
    assert_eq!(
        from_env.resolve_api_key().unwrap().expose_secret(),
        path.trim()
    );
}

#[test]
fn missing_key_and_unset_env_name_their_fields() {
    let file = ProvidersFile::from_toml_str("[providers.a]\nkind = \"rounded\"\n").unwrap();
    let (field, _) = config_error(file.default_provider().unwrap().resolve_api_key());
    assert_eq!(field, "providers.a.api_key");

    let file = ProvidersFile::from_toml_str(FILE).unwrap();
    let (field, message) = config_error(file.get("support").unwrap().resolve_api_key());
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

/// The `Duration` builders set what the file's numbers set, and are checked as those are.
#[test]
fn duration_builders_reach_the_transport_settings() {
    use std::time::Duration;
    let config = ProviderConfig::new(ProviderKind::Retell)
        .with_api_key("k")
        .with_timeout(Duration::from_millis(250))
        .with_connect_timeout(Duration::from_secs(3))
        .with_retry(
            RetrySettings::default()
                .with_max_attempts(6)
                .with_initial_backoff(Duration::from_micros(50_900))
                .with_max_backoff(Duration::from_secs(4))
                .with_max_elapsed(Duration::from_secs(90)),
        );
    let settings = config.http_settings().unwrap();
    assert_eq!(settings.timeout, Duration::from_millis(250));
    assert!(settings.timeout_configured);
    assert_eq!(settings.connect_timeout, Duration::from_secs(3));
    assert_eq!(settings.retry.max_attempts, 6);
    // Whole milliseconds, as `initial_backoff_ms` holds them.
    assert_eq!(settings.retry.initial_backoff, Duration::from_millis(50));
    assert_eq!(settings.retry.max_backoff, Duration::from_secs(4));
    assert_eq!(settings.retry.max_elapsed, Duration::from_secs(90));

    let once = ProviderConfig::new(ProviderKind::Retell)
        .with_api_key("k")
        .with_retry(RetrySettings::none());
    assert_eq!(once.http_settings().unwrap().retry.max_attempts, 1);

    // Out of range, each is refused where the file's number would be.
    let built = |config: ProviderConfig| config_error(config.with_api_key("k").http_settings()).0;
    let vapi = || ProviderConfig::new(ProviderKind::Vapi);
    assert_eq!(built(vapi().with_timeout(Duration::ZERO)), "timeout_secs");
    assert_eq!(
        built(vapi().with_connect_timeout(Duration::MAX)),
        "connect_timeout_secs"
    );
    let forever = RetrySettings::default().with_max_elapsed(Duration::MAX);
    assert_eq!(built(vapi().with_retry(forever)), "retry.max_elapsed_secs");
    let never = RetrySettings::default().with_max_attempts(0);
    assert_eq!(built(vapi().with_retry(never)), "retry.max_attempts");
    // A backoff too long for `u64` milliseconds is held at the largest.
    let longest = RetrySettings::default().with_max_backoff(Duration::MAX);
    assert_eq!(longest.max_backoff_ms, Some(u64::MAX));
}

#[test]
fn bad_numbers_name_the_field() {
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.timeout_secs = Some(-1.0);
    assert_eq!(config_error(config.http_settings()).0, "timeout_secs");
    // Positive, but a zero `Duration`: every request would time out at once.
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.connect_timeout_secs = Some(1e-20);
    let (field, message) = config_error(config.http_settings());
    assert_eq!(field, "connect_timeout_secs");
    assert!(message.contains("from 0.001 up"), "{message}");
    config.connect_timeout_secs = Some(0.001);
    assert!(config.http_settings().is_ok());
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.retry.max_attempts = Some(0);
    assert_eq!(config_error(config.http_settings()).0, "retry.max_attempts");
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.max_body_bytes = Some(0);
    assert_eq!(config_error(config.http_settings()).0, "max_body_bytes");
    // A zero backoff would send every attempt at once; a ceiling under the first wait
    // names the one of the two that was set.
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.retry.initial_backoff_ms = Some(0);
    assert_eq!(
        config_error(config.http_settings()).0,
        "retry.initial_backoff_ms"
    );
    config.retry.initial_backoff_ms = Some(1);
    config.retry.max_backoff_ms = Some(0);
    let (field, message) = config_error(config.http_settings());
    assert_eq!(field, "retry.max_backoff_ms");
    assert!(message.contains("(1 ms)"), "{message}");
    config.retry.max_backoff_ms = Some(1);
    assert!(config.http_settings().is_ok());
    let mut config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("k");
    config.retry.initial_backoff_ms = Some(3_600_000);
    assert_eq!(
        config_error(config.http_settings()).0,
        "retry.initial_backoff_ms"
    );
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
    assert_eq!(config_error(file.default_provider()).0, "default");
    assert_eq!(config_error(file.get("c")).0, "providers.c");
    let single = ProvidersFile::from_toml_str("[providers.only]\nkind = \"rounded\"\n").unwrap();
    assert_eq!(
        single.default_provider().unwrap().kind,
        ProviderKind::Rounded
    );
}

#[test]
fn a_file_without_providers_says_where_they_go() {
    let empty = ProvidersFile::from_toml_str("").unwrap();
    let (field, message) = config_error(empty.default_provider());
    assert_eq!(field, "providers");
    assert!(!message.contains("several"), "{message}");
    assert!(message.contains("names no provider"), "{message}");
    assert!(message.contains("`[providers.NAME]`"), "{message}");
    assert!(message.contains("`kind = \"KIND\"`"), "{message}");
    for kind in ProviderKind::ALL {
        assert!(message.contains(kind.as_str()), "{message}");
    }
    let (field, message) = config_error(empty.get("sales"));
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
    let error = file.default_provider().unwrap_err().to_string();
    assert!(
        error.contains("; the configured ones are \"sales\", \"support\""),
        "{error}"
    );
    assert!(error.contains("`-p NAME`"), "{error}");
    assert!(error.contains("Registry::connect(\"NAME\")"), "{error}");
    assert!(error.contains("`default = \"NAME\"`"), "{error}");
    assert!(
        !error.contains("secret-key") && !error.contains('\n'),
        "{error}"
    );

    let error = file.get("billing").unwrap_err().to_string();
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
    let error = file.get("x\ny").unwrap_err().to_string();
    assert!(!error.contains('\n'), "{error}");
    assert!(error.contains("\"a\\nb\""), "{error}");
}

/// An option given under its name and an alias of it is refused saying so, not only as
/// serde's "duplicate field" of the name the user may not have written.
#[test]
fn an_option_given_under_two_of_its_names_is_refused_saying_so() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Options {
        #[serde(alias = "agent_id")]
        use_case_id: Option<String>,
    }
    let file = ProvidersFile::from_toml_str(
        "[providers.h]\nkind = \"happyrobot\"\n[providers.h.options]\nagent_id = \"a\"\nuse_case_id = \"b\"\n",
    )
    .unwrap();
    let (field, message) = config_error(file.default_provider().unwrap().options::<Options>());
    assert_eq!(field, "providers.h.options", "{message}");
    assert!(
        message.contains("duplicate field `use_case_id`"),
        "{message}"
    );
    assert!(message.contains("set it once"), "{message}");
}

/// A blank option would be sent to the vendor as it is (`override_agent_id: ""`): refused
/// where it is written, in a file as in code.
#[test]
fn a_blank_option_is_refused_at_its_name() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Options {
        agent_id: Option<String>,
    }
    let file = ProvidersFile::from_toml_str(
        "[providers.r]\nkind = \"retell\"\n[providers.r.options]\nagent_id = \"  \"\n",
    )
    .unwrap();
    let (field, message) = config_error(file.default_provider().unwrap().options::<Options>());
    assert_eq!(
        (field.as_str(), message.as_str()),
        ("providers.r.options.agent_id", "is empty")
    );
    let built = ProviderConfig::new(ProviderKind::Retell).with_option("agent_id", "");
    let (field, _) = config_error(built.options::<Options>());
    assert_eq!(field, "options.agent_id");
    let set = ProviderConfig::new(ProviderKind::Retell).with_option("agent_id", "agent_1");
    assert_eq!(
        set.options::<Options>().unwrap().agent_id.as_deref(),
        Some("agent_1")
    );
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
    let (field, _) = config_error(file.default_provider().unwrap().options::<Options>());
    assert_eq!(field, "providers.s.options.number_id");
    let file = ProvidersFile::from_toml_str(
        "[providers.s]\nkind = \"happyrobot\"\n[providers.s.options]\nnumbr = \"x\"\n",
    )
    .unwrap();
    let (field, message) = config_error(file.default_provider().unwrap().options::<Options>());
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
}

#[test]
fn toml_syntax_errors_keep_the_line_column_and_key_but_never_the_value() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "default = \"a\"\n\n[providers.a]\nkind = \"rounded\"\napi_key = sk-live-4f9a8b7c6d5e\n",
    ));
    assert_eq!(field, "providers.a.api_key");
    assert!(message.contains("line 5, column 11"), "{message}");
    assert!(!message.contains("4f9a"), "{message}");
    // A comment after the table's header, as the README writes them.
    let (field, _) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n\
         [providers.a.retry]              # all optional\nmax_attempts = 4x\n",
    ));
    assert_eq!(field, "providers.a.retry.max_attempts");
    // A header left open names the table it was naming, not `.`.
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "default = \"sales\"\n[providers.sales\nkind = \"rounded\"\n",
    ));
    assert_eq!(field, "providers.sales");
    assert!(message.contains("line 2"), "{message}");
}

/// A table given twice is reported at the table's path, quoted parts unquoted, not at
/// `.`; a syntax error under a quoted header is named under it.
#[test]
fn a_duplicate_table_is_named_by_its_path() {
    let cases = [
        (
            "[providers.sales]\nkind = \"rounded\"\n[providers.sales]\nkind = \"rounded\"\n",
            "providers.sales",
        ),
        (
            "[providers.\"eu-sales\"]\nkind = \"rounded\"\n\
             [ providers . 'eu-sales' ]  # again\nkind = \"rounded\"\n",
            "providers.eu-sales",
        ),
        (
            "[providers.\"eu-sales\"]\nkind = \"rounded\"\ntimeout_secs = 3x\n",
            "providers.eu-sales.timeout_secs",
        ),
    ];
    for (text, at) in cases {
        let (field, message) = config_error(ProvidersFile::from_toml_str(text));
        assert_eq!(field, at, "{text}: {message}");
        assert!(message.contains(", at line 3, column "), "{message}");
    }
    let (_, message) = config_error(ProvidersFile::from_toml_str(cases[0].0));
    assert!(message.starts_with("duplicate key"), "{message}");
}

#[test]
fn toml_type_errors_keep_the_position_too() {
    let (field, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\ntimeout_secs = \"soon\"\n",
    ));
    assert_eq!(field, "providers.a.timeout_secs");
    assert!(message.contains("line 4"), "{message}");
    // The type expected in words, not Rust's (`f64`).
    assert!(message.contains("expected a number"), "{message}");
    let (_, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n[providers.a.retry]\nmax_attempts = -1\n",
    ));
    assert!(
        !message.contains("u32") && !message.contains("usize"),
        "{message}"
    );
    // Past its bound, the bound is said.
    let (_, message) = config_error(ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n[providers.a.retry]\nmax_attempts = 5000000000\n",
    ));
    assert!(message.contains("from 0 to 4294967295"), "{message}");
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

/// A parser's message about a secret field says what is wrong (a duplicate key, a syntax
/// error, a value of the wrong type) without showing the secret; a provider whose name
/// ends in `secret` is no secret field, and keeps its message (`kind` missing).
#[test]
fn errors_at_secret_fields_say_what_is_wrong_without_the_secret() {
    const KEY: &str = "sk-live-4f9a8b7c6d5e";
    let cases = [
        (
            format!(
                "[providers.a]\nkind = \"rounded\"\napi_key = \"{KEY}\"\napi_key = \"{KEY}\"\n"
            ),
            "providers.a.api_key",
            "duplicate key",
        ),
        (
            format!("[providers.a]\nkind = \"rounded\"\napi_key = \"{KEY}\" junk\n"),
            "providers.a.api_key",
            "unexpected key or value",
        ),
        (
            format!(
                "[providers.a]\nkind = \"rounded\"\n[providers.a.webhook]\nverify = \"hmac\"\n\
                 secret = \"{KEY}\"\nsecret = \"{KEY}\"\n"
            ),
            "providers.a.webhook.secret",
            "duplicate key",
        ),
        (
            format!("[providers.topsecret]\napi_key = \"{KEY}\"\n"),
            "providers.topsecret",
            "missing field `kind`",
        ),
        (
            "[providers.a]\nkind = \"rounded\"\n\"api_key\" = 4096123377\n".to_owned(),
            "providers.a.api_key",
            "invalid type: integer (the value is not shown: it is a secret), expected a string",
        ),
        // A secret of words where a word belongs: not quoted either.
        (
            "[providers.a]\nkind = \"rounded\"\n[providers.a.webhook]\nverify = \"correct-horse\"\n"
                .to_owned(),
            "providers.a.webhook.verify",
            "unknown variant (the value is not shown",
        ),
        // A key where a word belongs (`verify` for `secret`): not quoted either.
        (
            format!(
                "[providers.a]\nkind = \"rounded\"\n[providers.a.webhook]\nverify = \"{KEY}\"\n"
            ),
            "providers.a.webhook.verify",
            "unknown variant (the value is not shown",
        ),
        (
            format!("[providers.a]\nkind = \"{KEY}\"\n"),
            "providers.a.kind",
            "unknown variant (the value is not shown",
        ),
        // A key where a table belongs: the field is no secret, the string may be one.
        (
            format!("[providers.a]\nkind = \"rounded\"\nwebhook = \"{KEY}\"\n"),
            "providers.a.webhook",
            "invalid type: string (the value is not shown",
        ),
        (
            format!("[providers]\nsales = \"{KEY}\"\n"),
            "providers.sales",
            "invalid type: string (the value is not shown",
        ),
        // What belongs there in the file's words, not a Rust type's name.
        (
            "[providers.a]\nkind = \"rounded\"\nretry = 3\n".to_owned(),
            "providers.a.retry",
            "invalid type: integer `3`, expected a table ([providers.NAME.retry])",
        ),
    ];
    for (text, at, says) in &cases {
        let (field, message) = config_error(ProvidersFile::from_toml_str(text));
        assert_eq!(field, *at, "{message}");
        assert!(message.contains(says), "{message}");
        for secret in [KEY, "4f9a", "4096123377", "correct-horse"] {
            assert!(!message.contains(secret), "{message}");
        }
    }
    // JSON: a key given twice, a secret of the wrong type.
    let twice = format!(r#"{{"kind": "voicebot", "api_key": "{KEY}", "api_key": "{KEY}"}}"#);
    let (_, message) = config_error(ProviderConfig::from_json_str(&twice));
    assert!(message.contains("duplicate field `api_key`"), "{message}");
    assert!(!message.contains("4f9a"), "{message}");
    let flag = r#"{"kind": "voicebot", "webhook": {"secret": true}}"#;
    let (field, message) = config_error(ProviderConfig::from_json_str(flag));
    assert_eq!(field, "webhook.secret");
    assert!(
        message.starts_with("invalid type: boolean (the value"),
        "{message}"
    );
    assert!(!message.contains("true"), "{message}");
}

/// The value a type error quotes is cut out with its quotes, escaped quotes within it too;
/// a message quoting nothing is kept, as is one about no secret field.
#[test]
fn a_secret_s_quoted_value_is_cut_out_whole() {
    let hidden = "(the value is not shown: it is a secret)";
    let cases = [
        (
            "invalid type: integer `4096123377`, expected a string",
            format!("invalid type: integer {hidden}, expected a string"),
        ),
        (
            r#"invalid value: string "a\"b`c, d", expected x"#,
            format!("invalid value: string {hidden}, expected x"),
        ),
        (
            "invalid type: character `unclosed",
            format!("invalid type: character {hidden}"),
        ),
        (
            "invalid type: sequence, expected a string",
            "invalid type: sequence, expected a string".to_owned(),
        ),
    ];
    for (message, shown) in cases {
        assert_eq!(
            unless_secret("providers.a.api_key", message.to_owned()),
            shown
        );
    }
    let quoting = "invalid type: integer `7`, expected a string".to_owned();
    for not_secret in [
        "providers.api_key",
        "providers.a.secret",
        "providers.topsecret",
    ] {
        assert_eq!(unless_secret(not_secret, quoting.clone()), quoting);
    }
    // A string is hidden at any field: it may be a secret written in the wrong place.
    let string = r#"invalid type: string "whsec-0c9a", expected struct WebhookConfig"#;
    for field in [
        "providers.a.webhook",
        "providers.sales",
        "providers.a.timeout_secs",
    ] {
        let shown = unless_secret(field, string.to_owned());
        assert!(!shown.contains("whsec"), "{shown}");
        assert!(shown.ends_with("expected struct WebhookConfig"), "{shown}");
    }
}

/// An empty file (or one of blanks), most often one `voiceport sandbox > FILE` has not
/// written yet, is refused at its path saying so, not read as naming no provider.
#[test]
fn an_empty_file_is_refused_saying_what_fills_it() {
    let dir = std::env::temp_dir().join(format!("voiceport-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [("empty.toml", ""), ("blank.toml", " \n\t\n")] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let error = ProvidersFile::from_path(&path).unwrap_err();
        let shown = error.to_string();
        assert!(
            shown.contains(&path.display().to_string()) && shown.contains("is empty"),
            "{shown}"
        );
        assert!(shown.contains("voiceport sandbox > FILE"), "{shown}");
    }
    // A comment is not emptiness: the file names no provider, said as such where used.
    let commented = dir.join("comment.toml");
    std::fs::write(&commented, "# filled in later\n").unwrap();
    assert!(ProvidersFile::from_path(&commented).is_ok());
    std::fs::remove_dir_all(&dir).ok();
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
    // A file others can change is warned of, whatever it holds: its base_url could be
    // pointed elsewhere, with the key read from the environment.
    std::fs::set_permissions(&without_key, std::fs::Permissions::from_mode(0o664)).unwrap();
    assert_eq!(
        file.permission_warning(&without_key),
        None,
        "group write alone"
    );
    std::fs::set_permissions(&without_key, std::fs::Permissions::from_mode(0o666)).unwrap();
    let warning = file.permission_warning(&without_key).expect("a warning");
    assert!(
        warning.contains("0666") && warning.contains("chmod go-w"),
        "{warning}"
    );
    // A key pasted into `api_key_env` is a key held in the file.
    let pasted = dir.join("pasted.toml");
    std::fs::write(
        &pasted,
        "[providers.a]\nkind = \"rounded\"\napi_key_env = \"rk_live_5f2a9c0e7b\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&pasted, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = ProvidersFile::from_path(&pasted).unwrap();
    assert!(file.holds_secrets());
    let warning = file.permission_warning(&pasted).expect("a warning");
    assert!(warning.contains("chmod 600"), "{warning}");
    assert!(!warning.contains("rk_live"), "{warning}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A provider whose key would travel over plain http to another host is warned of, by
/// name; loopback and https are not.
#[test]
fn plain_http_to_another_host_is_warned_of() {
    let file = ProvidersFile::from_toml_str(
        "[providers.lab]\nkind = \"rounded\"\napi_key = \"k\"\n\
         base_url = \"http://api.lab.example:8080\"\nallow_insecure_http = true\n\
         [providers.local]\nkind = \"rounded\"\napi_key = \"k\"\n\
         base_url = \"http://127.0.0.1:9000\"\nallow_insecure_http = true\n\
         [providers.prod]\nkind = \"rounded\"\napi_key = \"k\"\n\
         base_url = \"https://api.example\"\nallow_insecure_http = true\n",
    )
    .unwrap();
    let warnings = file.plain_http_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("providers.lab.base_url") && warnings[0].contains("api.lab.example"),
        "{warnings:?}"
    );
    // A file built in code and not yet checked names its providers the same.
    let lab = file.providers["lab"].clone().at_path("");
    let unplaced = ProvidersFile::new(None, [("lab".to_owned(), lab)].into(), Default::default());
    let warnings = unplaced.plain_http_warnings();
    assert!(
        warnings[0].starts_with("providers.lab.base_url is plain http"),
        "{warnings:?}"
    );
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
    let (field, message) = config_error(file.get("r").unwrap().webhook_verifier());
    assert_eq!(field, "providers.r.api_key_env");
    assert!(
        message.contains("VOICEPORT_TEST_RETELL_KEY_UNSET"),
        "{message}"
    );
    // With a readable key the empty table is enough.
    let verifier = file.get("s").unwrap().webhook_verifier().unwrap();
    assert_eq!(
        verifier.map(|v| v.scheme()),
        Some(crate::webhook::Scheme::Retell)
    );
    // A scheme that does not use the key still asks for its own secret.
    let (field, _) = config_error(file.get("h").unwrap().webhook_verifier());
    assert_eq!(field, "providers.h.webhook.secret");
}

#[test]
fn an_api_key_pasted_with_spaces_is_used_and_masked_without_them() {
    let file = ProvidersFile::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \" sk-live-4f9a8b7c6d5e\\t\"\n",
    )
    .unwrap();
    let key = file.default_provider().unwrap().resolve_api_key().unwrap();
    assert_eq!(key.expose_secret(), "sk-live-4f9a8b7c6d5e");
    // What the vendor echoes of it is masked as the key it is.
    let mask = crate::SecretMask::new(key.expose_secret());
    let echoed = mask.mask_str("Invalid API key: sk-live-4f9a8b7c6d5e");
    assert_eq!(echoed, "Invalid API key: [REDACTED]");
}

/// `ProviderConfig::from_vars` over `pairs`, with the prefix `P_`.
fn from_vars(pairs: &[(&str, &str)]) -> Result<ProviderConfig> {
    ProviderConfig::from_vars("P_", pairs.iter().copied())
}

#[test]
fn from_env_reads_the_process_environment() {
    // No test of this binary sets a variable: this prefix is set by no one. (That the
    // variables set are read: `tests/config_env.rs`, alone in its binary.)
    let (field, message) = config_error(ProviderConfig::from_env("VOICEPORT_CFGTEST_NONE_"));
    assert_eq!(field, "VOICEPORT_CFGTEST_NONE_KIND");
    assert_eq!(message, "not set");
}

#[test]
fn the_first_variables_keep_working() {
    let config = from_vars(&[
        ("P_KIND", "rounded"),
        ("P_API_KEY", "env-key"),
        ("P_TIMEOUT_SECS", "3"),
    ])
    .unwrap();
    assert_eq!(config.kind, ProviderKind::Rounded);
    assert_eq!(config.resolve_api_key().unwrap().expose_secret(), "env-key");
    assert_eq!(
        config.http_settings().unwrap().timeout,
        Duration::from_secs(3)
    );
    assert!(!format!("{config:?}").contains("env-key"));

    // A template's empty variables count as unset, and errors name the variables.
    let template = [
        ("P_KIND", "retell"),
        ("P_API_KEY", ""),
        ("P_API_KEY_ENV", "VOICEPORT_TEST_ROUNDED_KEY_UNSET"),
        ("P_BASE_URL", " "),
        ("P_TIMEOUT_SECS", "soon"),
    ];
    let (field, _) = config_error(from_vars(&template));
    assert_eq!(field, "P_TIMEOUT_SECS");
    let config = from_vars(&template[..4]).unwrap();
    assert_eq!(
        config.api_key_env.as_deref(),
        Some("VOICEPORT_TEST_ROUNDED_KEY_UNSET")
    );
    assert_eq!(config.base_url, None);
    let (field, message) = config_error(config.resolve_api_key());
    assert_eq!(field, "P_API_KEY_ENV");
    assert!(
        message.contains("VOICEPORT_TEST_ROUNDED_KEY_UNSET"),
        "{message}"
    );
    assert_eq!(config.field_name("kind"), "P_KIND");
    // Every field has its variable; placed in a file, the config names its fields as the
    // file does.
    assert_eq!(
        config.field_name("options.organization_id"),
        "P_OPTIONS_ORGANIZATION_ID"
    );
    assert_eq!(
        config.field_name("retry.max_attempts"),
        "P_RETRY_MAX_ATTEMPTS"
    );
    let placed = config.clone().at_path("providers.sales.");
    assert_eq!(placed.field_name("api_key"), "providers.sales.api_key");
    let config = from_vars(&template[..2]).unwrap();
    let (field, message) = config_error(config.resolve_api_key());
    assert_eq!(field, "P_API_KEY");
    assert!(
        message.contains("set P_API_KEY or P_API_KEY_ENV"),
        "{message}"
    );
}

/// A prefix written without its trailing `_` reads the variables it names, and errors
/// name them as they are spelt, never `VOICEPORTKIND`.
#[test]
fn a_prefix_without_its_underscore_reads_the_same_variables() {
    let vars = [
        ("VOICEPORT_KIND", "rounded"),
        ("VOICEPORT_API_KEY", "env-key"),
        ("VOICEPORT_RETRY_MAX_ATTEMPTS", "2"),
    ];
    let config = ProviderConfig::from_vars("VOICEPORT", vars).unwrap();
    assert_eq!(config.kind, ProviderKind::Rounded);
    assert_eq!(config.retry.max_attempts, Some(2));
    assert_eq!(config.field_name("timeout_secs"), "VOICEPORT_TIMEOUT_SECS");
    let (field, message) = config_error(ProviderConfig::from_vars(
        "VOICEPORT",
        [("VOICEPORT_API_KEY", "env-key")],
    ));
    assert_eq!(
        (field.as_str(), message.as_str()),
        ("VOICEPORT_KIND", "not set")
    );
    let (field, _) = config_error(ProviderConfig::from_vars(
        "VOICEPORT",
        [("VOICEPORT_KIND", "rounded"), ("VOICEPORT_TIMEOUT", "3")],
    ));
    assert_eq!(field, "VOICEPORT_TIMEOUT");
    let (field, _) = config_error(ProviderConfig::from_env("VOICEPORT_CFGTEST_NONE"));
    assert_eq!(field, "VOICEPORT_CFGTEST_NONE_KIND");
}

/// Every setting of the TOML form has its variable, and reads to the same config.
#[test]
fn the_variables_set_what_a_file_sets() {
    let file = ProviderConfig::from_toml_str(
        r#"
kind = "happyrobot"
api_key_env = "HAPPYROBOT_API_KEY"
base_url = "http://proxy.internal/api/v1"
timeout_secs = 12.5
connect_timeout_secs = 2
max_body_bytes = 1048576
allow_insecure_http = true
[retry]
max_attempts = 3
initial_backoff_ms = 50
max_backoff_ms = 2000
max_elapsed_secs = 30
[options]
number_id = "65f1c0de9a"
use_case_id = "uc_7"
include_transcript = false
[webhook]
verify = "hmac"
secret_env = "HAPPYROBOT_WEBHOOK_SECRET"
header = "x-signature"
timestamp_header = ""
algorithm = "sha512"
encoding = "base64"
signature_prefix = "sha512="
secret_is_base64 = true
tolerance_secs = 120
reply_timeout_secs = 7.5
"#,
    )
    .unwrap();
    let env = from_vars(&[
        ("P_KIND", "happyrobot"),
        ("P_API_KEY_ENV", "HAPPYROBOT_API_KEY"),
        ("P_BASE_URL", "http://proxy.internal/api/v1"),
        ("P_TIMEOUT_SECS", "12.5"),
        ("P_CONNECT_TIMEOUT_SECS", "2"),
        ("P_MAX_BODY_BYTES", "1048576"),
        ("P_ALLOW_INSECURE_HTTP", "true"),
        ("P_RETRY_MAX_ATTEMPTS", "3"),
        ("P_RETRY_INITIAL_BACKOFF_MS", "50"),
        ("P_RETRY_MAX_BACKOFF_MS", "2000"),
        ("P_RETRY_MAX_ELAPSED_SECS", "30"),
        ("P_OPTIONS_NUMBER_ID", "65f1c0de9a"),
        ("P_OPTIONS_USE_CASE_ID", "\"uc_7\""),
        ("P_OPTIONS_INCLUDE_TRANSCRIPT", "false"),
        ("P_WEBHOOK_VERIFY", "hmac"),
        ("P_WEBHOOK_SECRET_ENV", "HAPPYROBOT_WEBHOOK_SECRET"),
        ("P_WEBHOOK_HEADER", "x-signature"),
        ("P_WEBHOOK_TIMESTAMP_HEADER", "\"\""),
        ("P_WEBHOOK_ALGORITHM", "sha512"),
        ("P_WEBHOOK_ENCODING", "base64"),
        ("P_WEBHOOK_SIGNATURE_PREFIX", "sha512="),
        ("P_WEBHOOK_SECRET_IS_BASE64", "true"),
        ("P_WEBHOOK_TOLERANCE_SECS", "120"),
        ("P_WEBHOOK_REPLY_TIMEOUT_SECS", "7.5"),
    ])
    .unwrap();
    assert_eq!(env.kind, file.kind);
    assert_eq!(env.api_key_env, file.api_key_env);
    assert_eq!(env.base_url, file.base_url);
    assert_eq!(env.timeout_secs, file.timeout_secs);
    assert_eq!(env.connect_timeout_secs, file.connect_timeout_secs);
    assert_eq!(env.max_body_bytes, file.max_body_bytes);
    assert_eq!(env.allow_insecure_http, file.allow_insecure_http);
    assert_eq!(env.retry, file.retry);
    assert_eq!(env.options, file.options);
    assert_eq!(format!("{:?}", env.webhook), format!("{:?}", file.webhook));
    let settings = env.http_settings().unwrap();
    assert_eq!(settings.connect_timeout, Duration::from_secs(2));
    assert_eq!(settings.max_body_bytes, 1 << 20);
    assert!(settings.allow_insecure_http);
    assert_eq!(settings.retry.max_attempts, 3);
    assert_eq!(settings.retry.max_backoff, Duration::from_secs(2));
    // No webhook variable: no webhook table, as in a file without one.
    let bare = from_vars(&[("P_KIND", "vapi")]).unwrap();
    assert!(bare.webhook.is_none());
    assert_eq!(bare.retry, RetrySettings::default());
}

#[test]
fn options_are_scalars_or_the_text_written() {
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Options {
        from_number: Option<String>,
        agent_id: Option<String>,
        label: Option<String>,
        include_transcript: Option<bool>,
        page_size: Option<u32>,
        ratio: Option<f64>,
    }
    let config = from_vars(&[
        ("P_KIND", "rounded"),
        ("P_OPTIONS_FROM_NUMBER", "+14155550123"),
        ("P_OPTIONS_AGENT_ID", "1_000"),
        ("P_OPTIONS_LABEL", "\"007\""),
        ("P_OPTIONS_INCLUDE_TRANSCRIPT", "false"),
        ("P_OPTIONS_PAGE_SIZE", "50"),
        ("P_OPTIONS_RATIO", "0.5"),
    ])
    .unwrap();
    // As TOML reads them…
    assert_eq!(config.options["from_number"], 14155550123_i64);
    assert_eq!(config.options["include_transcript"], false);
    // …and as the adapter takes them: the text as written where it takes text.
    let options: Options = config.options().unwrap();
    assert_eq!(options.from_number.as_deref(), Some("+14155550123"));
    assert_eq!(options.agent_id.as_deref(), Some("1_000"));
    assert_eq!(options.label.as_deref(), Some("007"));
    assert_eq!(options.include_transcript, Some(false));
    assert_eq!(options.page_size, Some(50));
    assert_eq!(options.ratio, Some(0.5));

    // An option replaced in code is not read from the variable's text.
    let replaced = config.clone().with_option("from_number", 5);
    let (field, _) = config_error(replaced.options::<Options>());
    assert_eq!(field, "P_OPTIONS_FROM_NUMBER");
    // Errors name the variable, and an unknown option the variables expected.
    let (field, message) = config_error(
        from_vars(&[
            ("P_KIND", "rounded"),
            ("P_OPTIONS_INCLUDE_TRANSCRIPT", "yes"),
        ])
        .unwrap()
        .options::<Options>(),
    );
    assert_eq!(field, "P_OPTIONS_INCLUDE_TRANSCRIPT");
    assert!(message.contains("boolean"), "{message}");
    let (field, message) = config_error(
        from_vars(&[("P_KIND", "rounded"), ("P_OPTIONS_FROM_NUMBR", "+1415")])
            .unwrap()
            .options::<Options>(),
    );
    assert_eq!(field, "P_OPTIONS_FROM_NUMBR");
    assert!(message.contains("P_OPTIONS_FROM_NUMBER"), "{message}");
    // In a file, an unknown option is named too.
    let file = ProviderConfig::from_toml_str("kind = \"rounded\"\n[options]\nnumbr = 1\n")
        .unwrap()
        .at_path("providers.r.");
    let (field, message) = config_error(file.options::<Options>());
    assert_eq!(field, "providers.r.options.numbr");
    assert!(message.contains("from_number"), "{message}");
}

#[test]
fn every_variable_error_names_the_variable() {
    let base = [("P_KIND", "rounded")];
    let with = |extra: (&str, &str)| from_vars(&[base[0], extra]);
    for (name, value) in [
        ("P_MAX_BODY_BYTES", "-1"),
        ("P_MAX_BODY_BYTES", "lots"),
        ("P_ALLOW_INSECURE_HTTP", "yes"),
        ("P_CONNECT_TIMEOUT_SECS", "true"),
        ("P_RETRY_MAX_ATTEMPTS", "4.5"),
        ("P_RETRY_INITIAL_BACKOFF_MS", "-3"),
        ("P_WEBHOOK_VERIFY", "hmca"),
        ("P_WEBHOOK_ALGORITHM", "md5"),
        ("P_WEBHOOK_TOLERANCE_SECS", "soon"),
        ("P_WEBHOOK_SECRET_IS_BASE64", "1"),
    ] {
        let (field, _) = config_error(with((name, value)));
        assert_eq!(field, name, "{value}");
    }
    let (field, message) = config_error(from_vars(&[("P_KIND", "bland")]));
    assert_eq!(field, "P_KIND");
    assert!(
        message.contains("expected one of `happyrobot`"),
        "{message}"
    );
    let (field, message) = config_error(from_vars(&[("P_API_KEY", "k")]));
    assert_eq!((field.as_str(), message.as_str()), ("P_KIND", "not set"));

    // Checked later, named the same way.
    let (field, _) = config_error(with(("P_RETRY_MAX_ATTEMPTS", "0")).unwrap().http_settings());
    assert_eq!(field, "P_RETRY_MAX_ATTEMPTS");
    let (field, _) = config_error(
        with(("P_CONNECT_TIMEOUT_SECS", "0"))
            .unwrap()
            .http_settings(),
    );
    assert_eq!(field, "P_CONNECT_TIMEOUT_SECS");
    let (field, _) = config_error(
        with(("P_RETRY_MAX_ELAPSED_SECS", "-1"))
            .unwrap()
            .http_settings(),
    );
    assert_eq!(field, "P_RETRY_MAX_ELAPSED_SECS");
    let (field, _) = config_error(
        from_vars(&[
            ("P_KIND", "rounded"),
            ("P_API_KEY", "k"),
            ("P_BASE_URL", "http://api.example.com/v1"),
        ])
        .unwrap()
        .http_client("https://x", AuthStyle::Bearer),
    );
    assert_eq!(field, "P_BASE_URL");
    // The webhook verifier's errors too.
    let (field, _) = config_error(
        with(("P_WEBHOOK_VERIFY", "hmac"))
            .unwrap()
            .webhook_verifier(),
    );
    assert_eq!(field, "P_WEBHOOK_SECRET");
    let (field, message) = config_error(
        with((
            "P_WEBHOOK_SECRET_ENV",
            "VOICEPORT_TEST_UNSET_WEBHOOK_SECRET",
        ))
        .unwrap()
        .webhook_verifier(),
    );
    assert_eq!(field, "P_WEBHOOK_SECRET_ENV");
    assert!(
        message.contains("VOICEPORT_TEST_UNSET_WEBHOOK_SECRET"),
        "{message}"
    );
    let (field, _) = config_error(
        from_vars(&[
            ("P_KIND", "happyrobot"),
            ("P_WEBHOOK_SECRET", "s"),
            ("P_WEBHOOK_HEADER", "bad header"),
        ])
        .unwrap()
        .webhook_verifier(),
    );
    assert_eq!(field, "P_WEBHOOK_HEADER");
}

#[test]
fn unknown_variables_that_look_like_settings_are_refused() {
    for name in [
        "P_RETRY_MAX_ATTEMPT",
        "P_WEBHOOK_SECRETENV",
        "P_TIMEOUT",
        "P_TIMEOUT_SEC",
        "P_TIMOUT_SECS",
        "P_API_TOKEN",
        "P_MAX_ATTEMPTS",
        "P_OPTION_NUMBER_ID",
        "P_RETRY",
        "P_OPTIONS",
        "P_KIND_",
        // Underscores left out: a base URL ignored would send a sandbox's requests to
        // the vendor.
        "P_BASEURL",
        "P_TIMEOUTSECS",
        "P_CONNECTTIMEOUT_SECS",
        "P_MAXBODYBYTES",
        "P_RETRYMAX_ATTEMPTS",
        "P_APIKEY",
        "P_WEBHOOKSECRET",
        "P_BASE_URLL",
    ] {
        let (field, message) = config_error(from_vars(&[("P_KIND", "rounded"), (name, "3")]));
        assert_eq!(field, name);
        assert!(message.starts_with("not a setting"), "{name}: {message}");
        assert!(!message.contains('\n'), "{message}");
    }
    let (_, message) = config_error(from_vars(&[
        ("P_KIND", "rounded"),
        ("P_RETRY_MAX_ATTEMPT", "3"),
    ]));
    assert!(message.contains("P_RETRY_MAX_ATTEMPTS"), "{message}");
    let (_, message) = config_error(from_vars(&[("P_KIND", "rounded"), ("P_TIMEOUT", "3")]));
    assert!(message.contains("P_TIMEOUT_SECS"), "{message}");
    assert!(message.contains("P_OPTIONS_<NAME>"), "{message}");

    // Unrelated variables sharing the prefix are left alone: another provider's, one
    // that `API_KEY_ENV` names, ones no setting starts like.
    let config = from_vars(&[
        ("P_KIND", "rounded"),
        ("P_API_KEY_ENV", "P_API_KEY_SALES"),
        ("P_API_KEY_SALES", "sk-sales"),
        ("P_WEBHOOK_SECRET_ENV", "P_WEBHOOK_SALES"),
        ("P_SALES_KIND", "vapi"),
        ("P_LOG", "debug"),
        ("P_", "x"),
        ("OTHER_TIMEOUT", "x"),
    ])
    .unwrap();
    assert_eq!(config.kind, ProviderKind::Rounded);
    // Without a prefix, only the settings' own names are read.
    let config = ProviderConfig::from_vars(
        "",
        [("KIND", "vapi"), ("MAX_OPEN_FILES", "4"), ("TIMEOUT", "x")],
    )
    .unwrap();
    assert_eq!(config.kind, ProviderKind::Vapi);
    // Two spellings of one setting.
    let (field, message) = config_error(from_vars(&[("P_KIND", "rounded"), ("P_kind", "vapi")]));
    assert_eq!(field, "P_kind");
    assert!(message.contains("P_KIND"), "{message}");
}

#[test]
fn secrets_from_variables_are_never_shown() {
    const KEY: &str = "73914025518";
    const SECRET: &str = "\"wh-secret-9d2f\"";
    let pairs = [
        ("P_KIND", "happyrobot"),
        ("P_API_KEY", KEY),
        ("P_WEBHOOK_SECRET", SECRET),
        ("P_WEBHOOK_VERIFY", "hmac"),
        ("P_WEBHOOK_SECRET_IS_BASE64", "true"),
    ];
    // Taken as written: digits stay text, quotes stay.
    let config = from_vars(&pairs).unwrap();
    assert_eq!(config.resolve_api_key().unwrap().expose_secret(), KEY);
    let webhook = config.webhook.as_ref().unwrap();
    assert_eq!(webhook.secret.as_ref().unwrap().expose_secret(), SECRET);
    let shown = [
        format!("{config:?}"),
        format!("{:?}", config.http_client("https://x", AuthStyle::Bearer)),
        config.webhook_verifier().unwrap_err().to_string(),
        from_vars(&[pairs[0], pairs[1], pairs[2], ("P_TIMEOUT_SECS", "x")])
            .unwrap_err()
            .to_string(),
        from_vars(&[pairs[0], pairs[1], ("P_api_key", KEY)])
            .unwrap_err()
            .to_string(),
    ];
    for text in shown {
        assert!(!text.contains(KEY), "{text}");
        assert!(!text.contains("wh-secret"), "{text}");
    }
    assert_eq!(
        config_error(config.webhook_verifier()).0,
        "P_WEBHOOK_SECRET"
    );
}

#[cfg(unix)]
#[test]
fn a_variable_that_is_not_utf8_is_named_not_shown() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let bad = || OsString::from_vec(vec![b's', b'k', 0xff]);
    let vars = |name: &str| {
        [
            (OsString::from("P_KIND"), OsString::from("rounded")),
            (OsString::from(name), bad()),
            (OsString::from_vec(vec![b'P', b'_', 0xff]), bad()),
        ]
    };
    let (field, message) = config_error(ProviderConfig::from_vars("P_", vars("P_API_KEY")));
    assert_eq!(field, "P_API_KEY");
    assert_eq!(message, "is not valid UTF-8");
    // One no setting reads is none of this config's business.
    assert!(ProviderConfig::from_vars("P_", vars("P_LOG")).is_ok());
}

#[test]
fn a_variable_named_by_an_env_setting_is_never_a_setting() {
    const KEY: &str = "sk-named-7d41c9";
    // The documented case: the variable holding the webhook secret shares the prefix and
    // starts like a setting, yet is ignored rather than refused.
    let config = from_vars(&[
        ("P_KIND", "rounded"),
        ("P_WEBHOOK_SECRET_ENV", "P_WEBHOOK_TOKEN"),
        ("P_WEBHOOK_TOKEN", "wh-secret-3a8e"),
    ])
    .unwrap();
    assert_eq!(config.kind, ProviderKind::Rounded);
    assert!(!format!("{config:?}").contains("wh-secret"), "{config:?}");

    // The variable holding the API key is no vendor option: nothing of it is kept.
    let config = from_vars(&[
        ("P_KIND", "rounded"),
        ("P_API_KEY_ENV", "P_OPTIONS_KEY"),
        ("P_OPTIONS_KEY", KEY),
    ])
    .unwrap();
    assert!(config.options.is_empty(), "{:?}", config.options);
    assert!(config.option_texts.is_empty());
    assert_eq!(config.api_key_env.as_deref(), Some("P_OPTIONS_KEY"));
    let debug = format!("{config:?}");
    assert!(!debug.contains(KEY), "{debug}");

    // Named with spaces around it, or naming a variable that would be refused or read as
    // a setting: never read, so never quoted by an error.
    for (setting, named) in [
        ("P_API_KEY_ENV", " P_TIMEOUT_SECS "),
        ("P_API_KEY_ENV", "P_RETRY_MAX_ATTEMPTS"),
        ("P_API_KEY_ENV", "P_API_TOKEN"),
        ("P_WEBHOOK_SECRET_ENV", "P_WEBHOOK_VERIFY"),
    ] {
        let pairs = [("P_KIND", "rounded"), (setting, named), (named.trim(), KEY)];
        let config = from_vars(&pairs).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains(KEY), "{debug}");
        // Another variable's error still comes, without the key.
        let error = from_vars(&[pairs[0], pairs[1], pairs[2], ("P_TIMEOUT", "x")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("P_TIMEOUT"), "{error}");
        assert!(!error.contains(KEY), "{error}");
    }
}

#[test]
fn the_configured_providers_are_listed_in_one_wording() {
    let mut file = ProvidersFile::from_toml_str(
        "[providers.support]\nkind = \"rounded\"\napi_key = \"rd-secret-key\"\n\
         [providers.sales]\nkind = \"happyrobot\"\napi_key = \"hr-secret-key\"\n",
    )
    .unwrap();
    let listed = file.names_listed();
    assert_eq!(listed, r#"the configured ones are "sales", "support""#);
    // Every message naming the providers ends with that very text.
    for error in [file.default_provider(), file.get("billing")] {
        let error = error.unwrap_err().to_string();
        assert!(error.ends_with(&listed), "{error}");
    }
    // A name built in code stays on one line.
    file.providers
        .insert("a\nb".to_owned(), ProviderConfig::new(ProviderKind::Vapi));
    let listed = file.names_listed();
    assert!(
        !listed.contains('\n') && listed.contains(r#""a\nb""#),
        "{listed}"
    );
    assert_eq!(
        ProvidersFile::default().names_listed(),
        "no provider is configured"
    );
}

/// `from_path`'s errors: at the path when the file cannot be read, else the text's own,
/// saying which file.
#[test]
fn a_file_s_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("voiceport-from-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.toml");
    let (field, message) = config_error(ProvidersFile::from_path(&missing));
    assert_eq!(field, missing.display().to_string());
    assert!(message.starts_with("cannot read: "), "{message}");

    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "default = \"nobody\"\n[providers.a]\nkind = \"vapi\"\n",
    )
    .unwrap();
    let (field, message) = config_error(ProvidersFile::from_path(&bad));
    assert_eq!(field, "default");
    assert!(
        message.ends_with(&format!("(in {})", bad.display())),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
