//! The same application code against every vendor; only the configuration changes.
//!
//! Each vendor's API is served by wiremock from the vendor fixtures, so the real adapters
//! run over real HTTP.

use std::sync::Arc;

use voiceport::{CallId, CallStatus, Error, ProviderKind, Registry, VoiceProvider};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-cross-vendor-test";

struct Vendor {
    kind: &'static str,
    prefix: &'static str,
    auth_header: &'static str,
    auth_value: String,
    call_id: &'static str,
    fixture: &'static str,
}

fn vendors() -> Vec<Vendor> {
    vec![
        Vendor {
            kind: "happyrobot",
            prefix: "/api/v1",
            auth_header: "authorization",
            auth_value: format!("Bearer {KEY}"),
            call_id: "69b03bcf7a81a64cbcab500b",
            fixture: "happyrobot/call_seed.json",
        },
        Vendor {
            kind: "voicebot",
            prefix: "/api/v1",
            auth_header: "x-api-key",
            auth_value: KEY.to_owned(),
            call_id: "019cf72b-2008-72f2-9228-bc1f965cbb09",
            fixture: "voicebot/call_seed.json",
        },
        Vendor {
            kind: "rounded",
            prefix: "/v1",
            auth_header: "x-api-key",
            auth_value: KEY.to_owned(),
            call_id: "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3",
            fixture: "rounded/get_call.json",
        },
        Vendor {
            kind: "vapi",
            prefix: "",
            auth_header: "authorization",
            auth_value: format!("Bearer {KEY}"),
            call_id: "019d685a-b452-78db-8bcf-cb9e057cdc98",
            fixture: "vapi/call_ended.json",
        },
        Vendor {
            kind: "retell",
            prefix: "",
            auth_header: "authorization",
            auth_value: format!("Bearer {KEY}"),
            call_id: "call_45802f38266558e95adfd9466093",
            fixture: "retell/call_phone_outbound_completed.json",
        },
    ]
}

/// Where `vendor` serves one call: `{prefix}/calls/{id}`, except where the vendor names
/// the operation in the path.
fn get_call_path(vendor: &Vendor) -> String {
    match vendor.kind {
        "retell" => format!("{}/v2/get-call/{}", vendor.prefix, vendor.call_id),
        "vapi" => format!("{}/call/{}", vendor.prefix, vendor.call_id),
        _ => format!("{}/calls/{}", vendor.prefix, vendor.call_id),
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Serves one vendor's get-call endpoint and returns a registry whose only change per vendor
/// is the `kind` line (and where its API lives).
async fn serve(vendor: &Vendor) -> (MockServer, Arc<dyn VoiceProvider>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(get_call_path(vendor)))
        .and(header(vendor.auth_header, vendor.auth_value.as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture(vendor.fixture), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let toml = format!(
        "default = \"main\"\n[providers.main]\nkind = \"{}\"\napi_key = \"{KEY}\"\nbase_url = \"{}{}\"\n",
        vendor.kind,
        server.uri(),
        vendor.prefix
    );
    let registry = Registry::from_toml_str(&toml).unwrap();
    let provider = registry.connect(None).unwrap();
    (server, provider)
}

/// Application code, written once.
async fn summarize(provider: &dyn VoiceProvider, id: &str) -> (ProviderKind, CallStatus, bool) {
    let call = provider.get_call(&CallId::new(id)).await.unwrap();
    (call.provider, call.status, call.vendor_payload().is_some())
}

#[tokio::test]
async fn one_code_path_serves_every_vendor() {
    let mut seen = Vec::new();
    for vendor in vendors() {
        let (_server, provider) = serve(&vendor).await;
        let (kind, status, has_payload) = summarize(provider.as_ref(), vendor.call_id).await;
        assert_eq!(kind.as_str(), vendor.kind);
        assert_eq!(status, CallStatus::Completed, "{}", vendor.kind);
        assert!(has_payload, "{}: vendor payload lost", vendor.kind);
        seen.push(kind);
    }
    // Every vendor with an adapter in this build.
    let built: Vec<ProviderKind> = ProviderKind::ALL
        .into_iter()
        .filter(|k| voiceport::codec(*k).is_ok())
        .collect();
    assert_eq!(seen, built);
}

#[tokio::test]
async fn normalized_calls_share_one_shape() {
    let mut shapes = Vec::new();
    for vendor in vendors() {
        let (_server, provider) = serve(&vendor).await;
        let call = provider
            .get_call(&CallId::new(vendor.call_id))
            .await
            .unwrap();
        let json = serde_json::to_value(&call).unwrap();
        let keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
        shapes.push(keys);
        voiceport_core::snapshot::insta_settings().bind(|| {
            insta::assert_json_snapshot!(format!("completed_call_{}", vendor.kind), call);
        });
    }
    assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{shapes:?}");
}

#[test]
fn bad_configs_name_the_field() {
    let cases = [
        // Every known kind has an adapter in the default build: an unknown one.
        ("[providers.a]\nkind = \"vonage\"\n", "providers.a.kind"),
        ("[providers.a]\nkind = \"rounded\"\n", "providers.a.api_key"),
        (
            "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\nbase_url = \"http://api.example.com\"\n",
            "providers.a.base_url",
        ),
        (
            "[providers.a]\nkind = \"rounded\"\napi_key_env = \"VOICEPORT_SURELY_UNSET_VAR\"\n",
            "providers.a.api_key_env",
        ),
        (
            "[providers.a]\nkind = \"happyrobot\"\napi_key = \"k\"\n[providers.a.options]\nnot_an_option = 1\n",
            "providers.a.options",
        ),
    ];
    for (toml, expected) in cases {
        let result = Registry::from_toml_str(toml).and_then(|r| r.connect(None));
        match result {
            Err(Error::Config { field, .. }) => {
                assert!(field.starts_with(expected), "{toml}: {field}")
            }
            other => panic!("{toml}: expected a config error at {expected}, got {other:?}"),
        }
    }
}

#[test]
fn registry_connects_once_and_shares() {
    let toml = format!(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"{KEY}\"\n[providers.b]\nkind = \"voicebot\"\napi_key = \"{KEY}\"\n"
    );
    let registry = Registry::from_toml_str(&toml).unwrap();
    assert_eq!(registry.names().collect::<Vec<_>>(), ["a", "b"]);
    let first = registry.connect(Some("a")).unwrap();
    let again = registry.connect(Some("a")).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(
        registry.connect(Some("b")).unwrap().kind(),
        ProviderKind::Voicebot
    );
    assert!(matches!(registry.connect(None), Err(Error::Config { .. })));
    assert!(!format!("{registry:?}").contains(KEY));
}
