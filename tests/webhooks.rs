//! The webhook receiver over real HTTP: verified deliveries arrive once, everything else is
//! refused with the status vendors expect, and no secret reaches a log or an error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use reqwest::StatusCode;
use tokio::sync::mpsc;
use voiceport::webhooks::{Delivery, HandlerError, Receiver, Verifier, WebhookConfig};
use voiceport::{EventKind, ProviderKind, Registry};

const VAPI_SECRET: &str = "vapi-shared-7d41c0e2";
const HMAC_SECRET: &str = "hmac-key-52ab9e10f3";
const HOOK_SECRET: &str = "hook-token-0c9a77d1";

/// `support`, a Voicebot Studio provider whose deliveries carry `VAPI_SECRET`.
fn support_toml() -> String {
    format!(
        "[providers.support]\nkind = \"voicebot\"\napi_key = \"vb-key\"\n\
         [providers.support.webhook]\nsecret = \"{VAPI_SECRET}\"\n"
    )
}

fn registry() -> Registry {
    Registry::from_toml_str(&format!(
        r#"{}
        [providers.signed]
        kind = "voicebot"
        api_key = "vb-key-2"
        [providers.signed.webhook]
        verify = "hmac"
        secret = "{HMAC_SECRET}"

        [providers.sales]
        kind = "happyrobot"
        api_key = "hr-key"
        [providers.sales.webhook]
        header = "x-hook-token"
        secret = "{HOOK_SECRET}"

        [providers.quiet]
        kind = "rounded"
        api_key = "rd-key"
        "#,
        support_toml()
    ))
    .unwrap()
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/webhooks")
}

/// An HTTP client for the loopback receivers: never through a proxy named in the
/// environment (`HTTP_PROXY`, `ALL_PROXY`), which reqwest's defaults would use.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn post(url: &str, headers: &[(&str, String)], body: Vec<u8>) -> (StatusCode, String) {
    let mut request = http_client().post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The same delivery posted twice at once, as a vendor's retry can overtake the first.
async fn post_twice(
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> [(StatusCode, String); 2] {
    let (first, second) = tokio::join!(post(url, headers, body.clone()), post(url, headers, body));
    [first, second]
}

fn signed_headers(
    toml_text: &str,
    body: &[u8],
    at: chrono::DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    signed_for(ProviderKind::Voicebot, toml_text, None, body, at)
}

/// The headers `kind`'s scheme (from the webhook table `toml_text`, keyed with `api_key`
/// where the scheme uses the API key) signs `body` with at `at`.
fn signed_for(
    kind: ProviderKind,
    toml_text: &str,
    api_key: Option<&str>,
    body: &[u8],
    at: chrono::DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    let config: WebhookConfig = toml::from_str(toml_text).unwrap();
    let key = api_key.map(voiceport::SecretString::from);
    let verifier = Verifier::from_config(kind, &config, "w", key.as_ref()).unwrap();
    let signed = verifier.sign(body, at);
    ["x-signature", "x-timestamp", "x-retell-signature"]
        .into_iter()
        .filter_map(|name| Some((name, signed.get(name)?.to_str().ok()?.to_owned())))
        .collect()
}

/// The next event on the channel, which must come within five seconds.
async fn next(events: &mut mpsc::Receiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("no event arrived")
        .expect("channel closed")
}

/// A delivery that is certainly new, to prove that nothing was queued before it. Posted
/// while the channel is read: on a full channel, something queued before it would hold
/// it back until read.
async fn sentinel(base: &str, events: &mut mpsc::Receiver<Delivery>) {
    let body = br#"{"message":{"type":"hang","call":{"id":"sentinel-call"}}}"#.to_vec();
    let url = format!("{base}/support");
    let posting =
        tokio::spawn(
            async move { post(&url, &[("x-vapi-secret", VAPI_SECRET.into())], body).await },
        );
    let delivery = next(events).await;
    let (status, _) = posting.await.unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        delivery.event.vendor_event, "hang",
        "something else was delivered first: {delivery:?}"
    );
    assert_eq!(
        delivery.event.call_id().map(|id| id.as_str()),
        Some("sentinel-call")
    );
}

/// Posts a Voicebot Studio status update to the provider `signed` under `base`, signed
/// now with the HMAC secret; its answer's status.
async fn post_signed_status_update(base: &str) -> StatusCode {
    let body = fixture("voicebot/webhook_status_update.json");
    let headers = signed_headers(
        &format!("verify = \"hmac\"\nsecret = \"{HMAC_SECRET}\""),
        &body,
        Utc::now(),
    );
    post(&format!("{base}/signed"), &headers, body).await.0
}

#[tokio::test]
async fn verified_deliveries_arrive_once_with_their_provider() {
    let (router, mut events) = Receiver::builder(&registry()).channel(16).unwrap();
    let base = serve(router).await;
    let body = fixture("voicebot/webhook_end_of_call_report.json");
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let (status, _) = post(&format!("{base}/support"), &secret, body.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let delivery = next(&mut events).await;
    assert_eq!(delivery.provider_name, "support");
    assert_eq!(delivery.provider, ProviderKind::Voicebot);
    assert_eq!(delivery.event.vendor_event, "end-of-call-report");
    assert!(matches!(delivery.event.kind, EventKind::Ended { .. }));

    // The vendor redelivers (a timeout on its side): acknowledged, not passed on.
    let (status, _) = post(&format!("{base}/support"), &secret, body.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    sentinel(&base, &mut events).await;

    // HappyRobot through the header its hook was configured with.
    let hook = [("x-hook-token", HOOK_SECRET.to_owned())];
    let (status, _) = post(
        &format!("{base}/sales"),
        &hook,
        fixture("happyrobot/webhook_end.json"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let delivery = next(&mut events).await;
    assert_eq!(
        (delivery.provider_name.as_str(), delivery.provider),
        ("sales", ProviderKind::HappyRobot)
    );

    // HMAC-signed deliveries, signed now.
    let status = post_signed_status_update(&base).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(next(&mut events).await.provider_name, "signed");
}

/// A delivery of more than a MiB (a long call's report), decoded off the runtime's
/// workers, arrives whole, its payloads intact, as a small one does.
#[tokio::test]
async fn a_delivery_of_more_than_a_mib_arrives_whole() {
    let (router, mut events) = Receiver::builder(&registry()).channel(16).unwrap();
    let base = serve(router).await;
    let mut report: serde_json::Value =
        serde_json::from_slice(&fixture("voicebot/webhook_end_of_call_report.json")).unwrap();
    let summary = "The caller asked about the renewal. ".repeat(40_000);
    report["message"]["analysis"]["summary"] = serde_json::json!(summary);
    let body = serde_json::to_vec(&report).unwrap();
    assert!(body.len() > voiceport_core::adapter::DECODE_OFF_RUNTIME_BYTES);
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let (status, _) = post(&format!("{base}/support"), &secret, body).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let delivery = next(&mut events).await;
    let call = delivery.event.call().expect("the report's call");
    assert_eq!(call.analysis.summary.as_deref(), Some(summary.as_str()));
    let payload = call.vendor_payload().expect("the vendor's JSON");
    assert!(
        payload.get().len() > summary.len(),
        "{}",
        payload.get().len()
    );
}

#[tokio::test]
async fn forged_tampered_stale_and_wrong_scheme_deliveries_are_refused() {
    let (router, mut events) = Receiver::builder(&registry()).channel(16).unwrap();
    let base = serve(router).await;
    let body = fixture("voicebot/webhook_end_of_call_report.json");
    let support = format!("{base}/support");
    let signed = format!("{base}/signed");
    let hmac = format!("verify = \"hmac\"\nsecret = \"{HMAC_SECRET}\"");

    // (case, url, headers, body)
    type Case<'a> = (&'a str, &'a str, Vec<(&'static str, String)>, Vec<u8>);
    let cases: Vec<Case> = vec![
        (
            "forged secret",
            &support,
            vec![("x-vapi-secret", "guess".into())],
            body.clone(),
        ),
        ("missing header", &support, vec![], body.clone()),
        (
            "wrong scheme",
            &support,
            vec![("authorization", format!("Bearer {VAPI_SECRET}"))],
            body.clone(),
        ),
        (
            "tampered body",
            &signed,
            signed_headers(&hmac, &body, Utc::now()),
            String::from_utf8(body.clone())
                .unwrap()
                .replace("customer-ended-call", "assistant-ended-call")
                .into_bytes(),
        ),
        (
            "stale timestamp",
            &signed,
            signed_headers(&hmac, &body, Utc::now() - TimeDelta::minutes(10)),
            body.clone(),
        ),
        (
            "signed with another key",
            &signed,
            signed_headers(
                "verify = \"hmac\"\nsecret = \"not-the-key\"",
                &body,
                Utc::now(),
            ),
            body.clone(),
        ),
        (
            "shared secret to a signed provider",
            &signed,
            vec![("x-vapi-secret", VAPI_SECRET.into())],
            body.clone(),
        ),
    ];
    for (case, url, headers, body) in cases {
        let (status, text) = post(url, &headers, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {text}");
        // Why is for the log: a stranger learns neither the headers expected nor this
        // clock's offset.
        assert_eq!(text, "unauthorized", "{case}");
    }
    sentinel(&base, &mut events).await;
}

#[tokio::test]
async fn bad_bodies_unknown_providers_and_oversize_get_their_statuses() {
    let (router, mut events) = Receiver::builder(&registry())
        .body_limit(64 * 1024)
        .channel(16)
        .unwrap();
    let base = serve(router).await;
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let support = format!("{base}/support");
    for body in [&b"{not json"[..], b"", b"[]", br#"{"message": 5}"#] {
        let (status, answer) = post(&support, &secret, body.to_vec()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(body)
        );
        // Where it failed, never the body quoted back.
        assert!(answer.starts_with("the body does not parse"), "{answer}");
        assert!(!answer.contains("not json"), "{answer}");
    }
    let mut huge = br#"{"message":{"type":"hang","pad":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', 70 * 1024));
    huge.extend_from_slice(br#""}}"#);
    let (status, _) = post(&support, &secret, huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Not configured for webhooks, or not configured at all.
    for name in ["quiet", "nobody"] {
        let (status, _) = post(&format!("{base}/{name}"), &secret, b"{}".to_vec()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
    }
    sentinel(&base, &mut events).await;
}

/// `verify = "query"`: the secret comes in the URL the vendor posts to (a vendor with a
/// webhook URL and no header, as Rounded's agents have).
#[tokio::test]
async fn a_secret_in_the_url_is_checked_by_the_receiver() {
    const TOKEN: &str = "rd-url-token-5e1f90";
    let registry = Registry::from_toml_str(&format!(
        "[providers.support]\nkind = \"rounded\"\napi_key = \"rd-key\"\n\
         [providers.support.webhook]\nverify = \"query\"\nsecret = \"{TOKEN}\"\n"
    ))
    .unwrap();
    let (router, mut events) = Receiver::builder(&registry).channel(8).unwrap();
    let base = serve(router).await;
    let body = fixture("rounded/webhook_phone_call_ended.json");
    for (query, expected) in [
        ("", StatusCode::UNAUTHORIZED),
        ("?token=rd-url-token-guess", StatusCode::UNAUTHORIZED),
        (
            &format!("?source=rounded&token={TOKEN}")[..],
            StatusCode::NO_CONTENT,
        ),
        // The same token percent-encoded (RFC 3986: `%30` is `0`), as a proxy may send
        // it: the same delivery again, not passed on twice.
        ("?token=rd-url-token-5e1f9%30", StatusCode::NO_CONTENT),
    ] {
        let (status, text) = post(&format!("{base}/support{query}"), &[], body.clone()).await;
        assert_eq!(status, expected, "{query}: {text}");
        assert!(!text.contains(TOKEN), "{text}");
    }
    let delivery = next(&mut events).await;
    assert_eq!(delivery.provider_name, "support");
    assert!(events.try_recv().is_err(), "one delivery passed");
}

#[tokio::test]
async fn a_failing_handler_gets_the_retry_and_a_closed_channel_is_503() {
    let attempts = Arc::new(Mutex::new(0));
    let seen = attempts.clone();
    let router = Receiver::builder(&registry())
        .providers(["support"])
        .handler(move |_delivery| {
            let seen = seen.clone();
            async move {
                let mut count = seen.lock().unwrap();
                *count += 1;
                if *count == 1 {
                    Err(HandlerError::new("database down"))
                } else {
                    Ok(())
                }
            }
        })
        .unwrap();
    let base = serve(router).await;
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let body = fixture("voicebot/webhook_end_of_call_report.json");
    let (status, text) = post(&format!("{base}/support"), &secret, body.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    // The application's message is logged, not sent to the vendor.
    assert!(!text.contains("database down"), "{text}");
    let (status, _) = post(&format!("{base}/support"), &secret, body.clone()).await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "the vendor's retry goes through"
    );
    let (status, _) = post(&format!("{base}/support"), &secret, body.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(*attempts.lock().unwrap(), 2, "the third was a duplicate");

    let (router, events) = Receiver::builder(&registry()).channel(1).unwrap();
    drop(events);
    let base = serve(router).await;
    let (status, text) = post(&format!("{base}/support"), &secret, body).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!text.contains("stopped receiving"), "{text}");
}

#[test]
fn the_builder_names_what_it_serves_and_refuses_what_it_cannot() {
    let registry = registry();
    let served = Receiver::builder(&registry).served().unwrap();
    assert_eq!(served, ["sales", "signed", "support"]);
    let err = Receiver::builder(&registry)
        .providers(["quiet"])
        .served()
        .unwrap_err();
    assert!(err.to_string().contains("providers.quiet.webhook"), "{err}");
    let err = Receiver::builder(&registry)
        .providers(["ghost"])
        .served()
        .unwrap_err();
    assert!(err.to_string().contains("ghost"), "{err}");
    assert!(
        err.to_string()
            .contains(r#"configured ones are "quiet", "sales""#),
        "{err}"
    );
    let unset = Registry::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n[providers.a.webhook]\nsecret_env = \"VOICEPORT_TEST_NO_SUCH_SECRET\"\n",
    )
    .unwrap();
    let err = Receiver::builder(&unset).served().unwrap_err();
    assert!(
        err.to_string().contains("VOICEPORT_TEST_NO_SUCH_SECRET"),
        "{err}"
    );
    // A provider left out (`listen -p b`) is not looked at: its unset secret does not
    // keep the others from being served.
    let two = Registry::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n[providers.a.webhook]\nsecret_env = \"VOICEPORT_TEST_NO_SUCH_SECRET\"\n\
         [providers.b]\nkind = \"rounded\"\napi_key = \"k\"\n[providers.b.webhook]\nsecret = \"s3cret-b\"\n",
    )
    .unwrap();
    let served = Receiver::builder(&two).providers(["b"]).served().unwrap();
    assert_eq!(served, ["b"]);
    // Several providers whose secrets are unset are said at once, not one per start.
    let both_unset = Registry::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n[providers.a.webhook]\nsecret_env = \"VOICEPORT_TEST_NO_SUCH_SECRET\"\n\
         [providers.b]\nkind = \"rounded\"\napi_key = \"k\"\n[providers.b.webhook]\nsecret_env = \"VOICEPORT_TEST_NO_SUCH_SECRET_B\"\n\
         [providers.c]\nkind = \"rounded\"\napi_key = \"k\"\n[providers.c.webhook]\nsecret = \"s3cret-c\"\n",
    )
    .unwrap();
    let err = Receiver::builder(&both_unset).served().unwrap_err();
    let said = err.to_string();
    assert!(
        said.contains("2 providers' webhook tables cannot be used"),
        "{said}"
    );
    assert!(said.contains("`providers.a.webhook"), "{said}");
    assert!(
        said.contains("VOICEPORT_TEST_NO_SUCH_SECRET is not set"),
        "{said}"
    );
    assert!(
        said.contains("VOICEPORT_TEST_NO_SUCH_SECRET_B is not set"),
        "{said}"
    );
    assert!(said.contains("`only`"), "{said}");
    let served = Receiver::builder(&both_unset)
        .providers(["c"])
        .served()
        .unwrap();
    assert_eq!(served, ["c"]);
    // No provider to serve: refused, not a router answering every delivery 404.
    let none =
        Registry::from_toml_str("[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n").unwrap();
    assert_eq!(
        Receiver::builder(&none).served().unwrap(),
        Vec::<String>::new()
    );
    let err = Receiver::builder(&none).channel(8).unwrap_err();
    assert!(err.to_string().contains("would serve nothing"), "{err}");
}

/// A receiver served at a path of the application's: deliveries arrive there, and a path
/// axum could not route (its router would panic) or that names no provider is refused
/// when the router is built.
#[tokio::test]
async fn a_receiver_serves_the_path_it_is_given() {
    let registry = registry();
    let (router, mut events) = Receiver::builder(&registry)
        .path("/hooks/v1/{provider}")
        .channel(8)
        .unwrap();
    let base = serve(router).await.replace("/webhooks", "/hooks/v1");
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let body = fixture("voicebot/webhook_end_of_call_report.json");
    let (status, _) = post(&format!("{base}/support"), &secret, body.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(next(&mut events).await.provider_name, "support");
    let default = base.replace("/hooks/v1", "/webhooks");
    let (status, _) = post(&format!("{default}/support"), &secret, body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        "hooks/{provider}",
        "/hooks",
        "/{provider}/{provider}",
        "/x{provider}",
        "/a//{provider}",
        "/*rest/{provider}",
        "/{name}/{provider}",
        "/a:b/{provider}",
    ] {
        let err = Receiver::builder(&registry)
            .path(path)
            .channel(8)
            .unwrap_err();
        assert!(
            matches!(&err, voiceport::Error::InvalidArgument { argument, .. } if argument == "path"),
            "{path}: {err:?}"
        );
    }
}

/// The application state of [`a_receiver_merges_into_an_app_router_with_state`].
#[derive(Clone)]
struct AppState {
    name: &'static str,
}

/// A receiver merged into an application's `Router<AppState>` before that router is given
/// its state, as the receiver's docs say (`.with_state(())`): the app's route still reads
/// its state, and a verified delivery reaches the handler, over real HTTP.
#[tokio::test]
async fn a_receiver_merges_into_an_app_router_with_state() {
    use axum::extract::State;

    let registry = registry();
    let (sender, mut events) = mpsc::channel(8);
    let webhooks = Receiver::builder(&registry)
        .handler(move |delivery| {
            let sender = sender.clone();
            async move {
                sender
                    .send(delivery)
                    .await
                    .map_err(|_| HandlerError::new("test ended"))
            }
        })
        .unwrap();
    let app: axum::Router<AppState> = axum::Router::new()
        .route(
            "/health",
            axum::routing::get(|State(app): State<AppState>| async move { app.name }),
        )
        .merge(webhooks.with_state(()));
    let base = serve(app.with_state(AppState { name: "calls" })).await;

    let health = base.replace("/webhooks", "/health");
    let response = http_client().get(&health).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "calls");

    let status = post_signed_status_update(&base).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let delivery = next(&mut events).await;
    assert_eq!(delivery.provider_name, "signed");
    assert_eq!(delivery.event.vendor_event, "status-update");
    // A forgery to the same path is refused: the merged router verifies as it does alone.
    let forged = vec![
        ("x-signature", "0".repeat(64)),
        ("x-timestamp", Utc::now().timestamp().to_string()),
    ];
    let body = fixture("voicebot/webhook_status_update.json");
    let (status, _) = post(&format!("{base}/signed"), &forged, body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Retell's API key, which signs its deliveries ([`retell_registry`]).
const RETELL_KEY: &str = "key_retell_3f9e1b7c";

/// One Retell provider, `voice`, whose deliveries are signed with its API key.
fn retell_registry() -> Registry {
    Registry::from_toml_str(&format!(
        "[providers.voice]\nkind = \"retell\"\napi_key = \"{RETELL_KEY}\"\n[providers.voice.webhook]\n"
    ))
    .unwrap()
}

/// Posts `body` to the receiver at `base` for [`retell_registry`]'s provider, signed as
/// Retell signs (one header, now); the answer's status.
async fn deliver_to_voice(base: &str, body: Vec<u8>) -> StatusCode {
    deliver_to_retell(base, "voice", body).await
}

/// Posts `body` to the receiver at `base` for the Retell provider `name`, signed with
/// [`RETELL_KEY`] as Retell signs (one header, now); the answer's status.
async fn deliver_to_retell(base: &str, name: &str, body: Vec<u8>) -> StatusCode {
    let headers = signed_for(
        ProviderKind::Retell,
        "",
        Some(RETELL_KEY),
        &body,
        Utc::now(),
    );
    assert_eq!(headers.len(), 1, "Retell signs with one header");
    post(&format!("{base}/{name}"), &headers, body).await.0
}

/// Two providers of one Retell account verify with its key, so each passes the other's
/// deliveries: one posted to both (a captured delivery replayed to the other URL) is one
/// event, handed over once, under the name it came to first. Each provider's own events
/// come under its name.
#[tokio::test]
async fn a_delivery_posted_to_two_providers_of_one_retell_account_is_handed_over_once() {
    let registry = Registry::from_toml_str(&format!(
        "[providers.renewals]\nkind = \"retell\"\napi_key = \"{RETELL_KEY}\"\n\
         [providers.renewals.webhook]\n\
         [providers.winback]\nkind = \"retell\"\napi_key = \"{RETELL_KEY}\"\n\
         [providers.winback.webhook]\n"
    ))
    .unwrap();
    let (router, mut events) = Receiver::builder(&registry).channel(16).unwrap();
    let base = serve(router).await;
    let ended = |call_id: &str| {
        serde_json::to_vec(&serde_json::json!({
            "event": "call_ended",
            "call": {"call_id": call_id, "call_status": "ended",
                     "disconnection_reason": "user_hangup"},
        }))
        .unwrap()
    };
    let post_to = |name: &'static str, body: Vec<u8>| deliver_to_retell(&base, name, body);
    let body = ended("call_7d2e9f0a1b3c");
    assert_eq!(
        post_to("renewals", body.clone()).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(post_to("winback", body).await, StatusCode::NO_CONTENT);
    assert_eq!(
        post_to("winback", ended("call_0c1d2e3f4a5b")).await,
        StatusCode::NO_CONTENT
    );
    let first = next(&mut events).await;
    let second = next(&mut events).await;
    assert_eq!(first.provider_name, "renewals");
    assert_eq!(
        first.event.call_id().map(|id| id.as_str()),
        Some("call_7d2e9f0a1b3c")
    );
    assert_eq!(second.provider_name, "winback");
    assert_eq!(
        second.event.call_id().map(|id| id.as_str()),
        Some("call_0c1d2e3f4a5b")
    );
    assert!(events.try_recv().is_err(), "the replay was handed over");
}

/// Retell transfer events are told apart by destination: two transfers of one call both
/// arrive, and a redelivery of the first (re-serialized) does not.
#[tokio::test]
async fn two_retell_transfers_of_one_call_are_two_events() {
    let (router, mut events) = Receiver::builder(&retell_registry()).channel(16).unwrap();
    let base = serve(router).await;
    let transfer = |number: &str, pretty: bool| {
        let body = serde_json::json!({
            "event": "transfer_started",
            "call": {"call_id": "call_5a1e0c9d7b3f", "call_status": "ongoing"},
            "transfer_destination": {"number": number},
        });
        match pretty {
            true => serde_json::to_vec_pretty(&body).unwrap(),
            false => serde_json::to_vec(&body).unwrap(),
        }
    };
    let deliver = |body: Vec<u8>| deliver_to_voice(&base, body);
    assert_eq!(
        deliver(transfer("+16175550199", false)).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        deliver(transfer("+16175550199", true)).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        deliver(transfer("+16175550100", false)).await,
        StatusCode::NO_CONTENT
    );
    let first = next(&mut events).await.event;
    let second = next(&mut events).await.event;
    // Their calls carry no transcript turns: each is told by its destination and its call.
    for (event, number) in [(&first, "+16175550199"), (&second, "+16175550100")] {
        assert_eq!(event.vendor_event, "transfer_started");
        let key = event.distinct_by.as_deref().unwrap_or_default();
        assert!(
            key.starts_with(&format!(r#"{{"number":"{number}"}} of {{"call_id""#)),
            "{key}"
        );
    }
    // Nothing else was queued: the re-serialized redelivery was not passed on.
    assert!(events.try_recv().is_err());
}

/// A signed replay is recognized while its signature is accepted, however small the
/// window and whatever it is told to keep: two others between leave it in the window
/// (its size is at least one, and it keeps what the signature still accepts, up to ten
/// times that).
#[tokio::test]
async fn a_signed_replay_is_recognized_in_the_smallest_window() {
    let (router, mut events) = Receiver::builder(&retell_registry())
        .dedup_window(0)
        .dedup_keep_for(Duration::ZERO)
        .channel(16)
        .unwrap();
    let base = serve(router).await;
    let ended = |call: &str| {
        let body = serde_json::json!({"event": "call_ended",
            "call": {"call_id": call, "call_status": "ended"}});
        serde_json::to_vec(&body).unwrap()
    };
    let deliver = |body: Vec<u8>| deliver_to_voice(&base, body);
    for call in ["call_a", "call_b", "call_c", "call_a"] {
        assert_eq!(deliver(ended(call)).await, StatusCode::NO_CONTENT, "{call}");
    }
    let mut delivered = Vec::new();
    while let Ok(delivery) = events.try_recv() {
        delivered.push(delivery.event.call_id().map(|id| id.to_string()));
    }
    assert_eq!(delivered.len(), 3, "{delivered:?}");
}

/// Waits for the handler of `holding_the_first` to start, failing the test after ten
/// seconds rather than hanging it should the delivery never reach the handler.
/// Posts `body` to `url` as the `support` provider's vendor, and hangs up (drops the
/// request) once the handler has `started`, before any answer.
async fn hang_up_once_started(
    url: &str,
    body: Vec<u8>,
    started: tokio::sync::oneshot::Receiver<()>,
) {
    let request = http_client().post(url).header("x-vapi-secret", VAPI_SECRET);
    let hanging = tokio::spawn(async move { request.body(body).send().await });
    until_started(started).await;
    hanging.abort();
    assert!(
        hanging.await.is_err_and(|e| e.is_cancelled()),
        "the delivery was answered before the hang-up"
    );
}

async fn until_started(started: tokio::sync::oneshot::Receiver<()>) {
    tokio::time::timeout(Duration::from_secs(10), started)
        .await
        .expect("the delivery did not reach its handler within ten seconds")
        .expect("the handler went without starting");
}

/// A receiver for `support` whose handler counts its calls in `calls`: the first says on
/// `started` that it runs, waits for `release`, then ends as `first_ends` says; the others
/// succeed at once.
fn holding_the_first(
    calls: &Arc<Mutex<u32>>,
    release: &Arc<tokio::sync::Notify>,
    started: tokio::sync::oneshot::Sender<()>,
    first_ends: impl Fn() -> Result<(), HandlerError> + Clone + Send + Sync + 'static,
) -> axum::Router {
    let started = Arc::new(Mutex::new(Some(started)));
    let (seen, gate) = (calls.clone(), release.clone());
    Receiver::builder(&registry())
        .providers(["support"])
        .handler(move |_delivery| {
            let (seen, gate, started) = (seen.clone(), gate.clone(), started.clone());
            let first_ends = first_ends.clone();
            async move {
                let first = {
                    let mut count = seen.lock().unwrap();
                    *count += 1;
                    *count == 1
                };
                if !first {
                    return Ok(());
                }
                if let Some(tx) = started.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                gate.notified().await;
                first_ends()
            }
        })
        .unwrap()
}

#[tokio::test]
async fn a_duplicate_of_a_delivery_in_flight_is_not_acknowledged_and_a_failed_first_lets_the_retry_through()
 {
    let calls = Arc::new(Mutex::new(0));
    let release = Arc::new(tokio::sync::Notify::new());
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let router = holding_the_first(&calls, &release, started_tx, || {
        Err(HandlerError::new("database down"))
    });
    let url = format!("{}/support", serve(router).await);
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let body = fixture("voicebot/webhook_end_of_call_report.json");
    let first = tokio::spawn({
        let (url, secret, body) = (url.clone(), secret.clone(), body.clone());
        async move { post(&url, &secret, body).await.0 }
    });
    until_started(started).await;
    let response = http_client()
        .post(&url)
        .header("x-vapi-secret", VAPI_SECRET)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    release.notify_one();
    assert_eq!(first.await.unwrap(), StatusCode::INTERNAL_SERVER_ERROR);
    let (status, _) = post(&url, &secret, body.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "the retry goes through");
    let (status, _) = post(&url, &secret, body).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        *calls.lock().unwrap(),
        2,
        "the last was a duplicate of a delivered event"
    );
}

/// A handler whose vendor hangs up (its timeout passed) runs to its end on its own task:
/// cut at an `.await`, its work would be half done at every attempt, and a slow handler
/// would never finish. A redelivery meanwhile is 503 (in flight), then 204 (delivered);
/// when the handler then fails, the next redelivery is handed over again.
#[tokio::test]
async fn a_delivery_the_vendor_hangs_up_on_is_handled_to_its_end_and_once() {
    for fails in [false, true] {
        let calls = Arc::new(Mutex::new(0));
        let finished = Arc::new(Mutex::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let done = finished.clone();
        // Slower than the vendor waits.
        let router = holding_the_first(&calls, &release, started_tx, move || {
            *done.lock().unwrap() += 1;
            match fails {
                true => Err(HandlerError::new("the CRM refused it")),
                false => Ok(()),
            }
        });
        let url = format!("{}/support", serve(router).await);
        let body = fixture("voicebot/webhook_end_of_call_report.json");
        // The vendor hangs up once the handler has started: its request is dropped.
        hang_up_once_started(&url, body.clone(), started).await;
        let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
        let (status, _) = post(&url, &secret, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "the first is still being handled"
        );
        release.notify_one();
        // The first handler, whose request is gone, ends on its own task.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while *finished.lock().unwrap() == 0 {
            assert!(std::time::Instant::now() < deadline, "the handler was cut");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Settled just after it ends: the answer to a redelivery is 204 either way, as a
        // duplicate or handed over again; the count of calls tells which.
        let mut status = StatusCode::SERVICE_UNAVAILABLE;
        while status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(std::time::Instant::now() < deadline, "never settled");
            status = post(&url, &secret, body.clone()).await.0;
        }
        assert_eq!(status, StatusCode::NO_CONTENT);
        let expected = if fails { 2 } else { 1 };
        assert_eq!(*calls.lock().unwrap(), expected, "fails: {fails}");
    }
}

/// A handler that outlives its request (the vendor hung up) is counted as running until
/// it ends, so that an application can wait for it once its server has stopped, where
/// the server's graceful shutdown, its connection gone, does not.
#[tokio::test]
async fn handlers_that_outlive_their_request_can_be_waited_for() {
    let release = Arc::new(tokio::sync::Notify::new());
    let done = Arc::new(Mutex::new(false));
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let started_tx = Arc::new(Mutex::new(Some(started_tx)));
    let registry = registry();
    let builder = Receiver::builder(&registry).providers(["support"]);
    let running = builder.running_handlers();
    let router = builder
        .handler({
            let (release, done) = (release.clone(), done.clone());
            move |_delivery| {
                let (release, done, started) = (release.clone(), done.clone(), started_tx.clone());
                async move {
                    if let Some(tx) = started.lock().unwrap().take() {
                        let _ = tx.send(());
                    }
                    release.notified().await;
                    *done.lock().unwrap() = true;
                    Ok(())
                }
            }
        })
        .unwrap();
    assert_eq!(running.count(), 0);
    let url = format!("{}/support", serve(router).await);
    let body = fixture("voicebot/webhook_end_of_call_report.json");
    hang_up_once_started(&url, body, started).await;
    assert_eq!(running.count(), 1);
    assert!(!running.finished(Duration::from_millis(100)).await);
    release.notify_one();
    assert!(
        running.finished(Duration::from_secs(10)).await,
        "{}",
        running.count()
    );
    assert!(*done.lock().unwrap(), "waited for before its work was done");
    assert_eq!(running.count(), 0);
}

/// A handler still running past the in-flight limit (`dedup_in_flight_for`) is taken for
/// one that will never end: a redelivery of its event is handed over again; within the
/// limit it is 503. Two receivers, so that neither case hangs on how fast the machine is:
/// a limit far longer than the test for the 503, one far shorter for the handover.
#[tokio::test]
async fn a_redelivery_past_the_in_flight_limit_is_handed_over_again() {
    for (limit, expected, calls_after) in [
        (Duration::from_secs(600), StatusCode::SERVICE_UNAVAILABLE, 1),
        (Duration::from_millis(200), StatusCode::NO_CONTENT, 2),
    ] {
        let calls = Arc::new(Mutex::new(0_u32));
        let release = Arc::new(tokio::sync::Notify::new());
        let (seen, gate) = (calls.clone(), release.clone());
        let router = Receiver::builder(&registry())
            .providers(["support"])
            .dedup_in_flight_for(limit)
            .handler(move |_delivery| {
                let (seen, gate) = (seen.clone(), gate.clone());
                async move {
                    let first = {
                        let mut count = seen.lock().unwrap();
                        *count += 1;
                        *count == 1
                    };
                    if first {
                        gate.notified().await;
                    }
                    Ok(())
                }
            })
            .unwrap();
        let url = format!("{}/support", serve(router).await);
        let body = fixture("voicebot/webhook_end_of_call_report.json");
        let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
        let first = tokio::spawn({
            let (url, secret, body) = (url.clone(), secret.clone(), body.clone());
            async move { post(&url, &secret, body).await.0 }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while *calls.lock().unwrap() == 0 {
            assert!(std::time::Instant::now() < deadline, "never handed over");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Past the short limit for certain; far within the long one.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, _) = post(&url, &secret, body.clone()).await;
        assert_eq!(status, expected, "limit {limit:?}");
        assert_eq!(*calls.lock().unwrap(), calls_after, "limit {limit:?}");
        release.notify_one();
        assert_eq!(first.await.unwrap(), StatusCode::NO_CONTENT);
    }
}

/// The tool call ids of a Vapi `tool-calls` event.
fn tool_call_ids(delivery: &Delivery) -> Vec<String> {
    let calls = delivery.event.tool_calls();
    assert!(!calls.is_empty(), "not a tool call: {delivery:?}");
    calls.iter().filter_map(|call| call.id.clone()).collect()
}

#[tokio::test]
async fn a_request_the_vendor_waits_on_is_answered_with_the_application_reply() {
    // Not what is tested: room for the application's task on a loaded machine.
    let (router, mut events) = Receiver::builder(&registry())
        .reply_timeout(Duration::from_secs(10))
        .channel(8)
        .unwrap();
    let base = serve(router).await;
    let url = format!("{base}/support");
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    // The application answers each tool call with its result, from the channel.
    let answering = tokio::spawn(async move {
        let mut answered = Vec::new();
        while let Some(delivery) = events.recv().await {
            assert!(delivery.event.expects_reply, "{delivery:?}");
            let results: Vec<serde_json::Value> = (tool_call_ids(&delivery).into_iter())
                .map(|id| serde_json::json!({"toolCallId": id, "result": "booked for 10:30"}))
                .collect();
            assert!(delivery.reply(serde_json::json!({ "results": results })));
            // Only the first reply counts.
            assert!(!delivery.reply(serde_json::json!({"results": []})));
            answered.push(delivery);
            if answered.len() == 2 {
                return answered;
            }
        }
        answered
    });
    let body = fixture("voicebot/webhook_tool_calls_string_arguments.json");
    let (status, text) = post(&url, &headers, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let reply: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = reply["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["result"] == "booked for 10:30"));
    assert!(
        results[0]["toolCallId"]
            .as_str()
            .unwrap()
            .starts_with("call_")
    );
    // The same request again (a vendor's retry) asks again: it is not a duplicate. Its
    // key tells it is the same request, so that the application can answer as before.
    let (status, again) = post(&url, &headers, body).await;
    assert_eq!((status, again), (StatusCode::OK, text));
    let answered = answering.await.unwrap();
    assert_eq!(answered.len(), 2);
    let keys: Vec<_> = answered.iter().map(Delivery::key).collect();
    assert!(keys[0].is_some(), "{keys:?}");
    assert_eq!(keys[0], keys[1]);
}

#[tokio::test]
async fn a_request_left_unanswered_gets_204_when_dropped_and_504_when_kept() {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let keeper = kept.clone();
    // Long enough for the dropped request's 204 to come first on a loaded machine.
    let router = Receiver::builder(&registry())
        .reply_timeout(Duration::from_secs(2))
        .handler(move |delivery: Delivery| {
            // The application keeps assistant requests without answering; it drops the rest.
            if delivery.event.vendor_event == "assistant-request" {
                keeper.lock().unwrap().push(delivery);
            }
            async { Ok(()) }
        })
        .unwrap();
    let base = serve(router).await;
    let url = format!("{base}/support");
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let tool_calls = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let (status, _) = post(&url, &headers, tool_calls).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let assistant_request = fixture("voicebot/webhook_assistant_request.json");
    let (status, text) = post(&url, &headers, assistant_request).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{text}");
    let kept = kept.lock().unwrap();
    assert_eq!(kept.len(), 1);
    // Too late: the vendor was answered already.
    assert!(!kept[0].reply(serde_json::json!({"assistantId": "a-1"})));
}

/// A handler still at work when the vendor's deadline passes (504) is not cut: its work
/// (a tool run) ends on its own task, and a reply it gives then is refused as too late.
#[tokio::test]
async fn a_request_handler_past_the_deadline_ends_its_work() {
    let (finished_tx, finished) = tokio::sync::oneshot::channel();
    let finished_tx = Arc::new(Mutex::new(Some(finished_tx)));
    let router = Receiver::builder(&registry())
        .reply_timeout(Duration::from_millis(200))
        .handler(move |delivery: Delivery| {
            let finished_tx = finished_tx.clone();
            async move {
                // Ten times the deadline: it passes first however the machine is loaded.
                tokio::time::sleep(Duration::from_secs(2)).await;
                let late = delivery.reply(serde_json::json!({"results": []}));
                if let Some(tx) = finished_tx.lock().unwrap().take() {
                    let _ = tx.send(late);
                }
                Ok(())
            }
        })
        .unwrap();
    let url = format!("{}/support", serve(router).await);
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let tool_calls = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let (status, text) = post(&url, &headers, tool_calls).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{text}");
    let late = tokio::time::timeout(Duration::from_secs(10), finished)
        .await
        .expect("the handler was cut at the deadline")
        .unwrap();
    assert!(!late, "a reply after the 504 is not taken");
}

/// A request queued on the channel, then dropped with it when the application stops
/// listening, was never taken: the vendor hears 503 (as for news on a closed channel), not
/// a 204 it would take for an answer.
#[tokio::test]
async fn a_request_dropped_with_its_closed_channel_gets_503() {
    let (router, events) = Receiver::builder(&registry())
        .reply_timeout(Duration::from_secs(10))
        .channel(4)
        .unwrap();
    let base = serve(router).await;
    let url = format!("{base}/support");
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let body = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let asking = tokio::spawn(async move { post(&url, &headers, body).await });
    // Queued, not taken: then the application stops listening.
    let queued = async {
        while events.is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), queued)
        .await
        .expect("the request was not queued within ten seconds");
    drop(events);
    let (status, text) = asking.await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
}

/// A refusal closes its connection (`Connection: close`): a stranger cannot keep one open
/// by sending a refused request every few seconds. A delivery taken leaves it open.
#[tokio::test]
async fn a_refusal_closes_its_connection() {
    let (router, mut events) = Receiver::builder(&registry())
        .refuse_other_paths()
        .channel(4)
        .unwrap();
    let url = format!("{}/support", serve(router).await);
    let client = http_client();
    let body = fixture("voicebot/webhook_status_update.json");
    let unknown = url.replace("/support", "/nobody");
    let base = url.trim_end_matches("/webhooks/support").to_owned();
    let refused = [
        client.post(&url).body(body.clone()),
        client
            .post(&url)
            .header("x-vapi-secret", "guess")
            .body(body.clone()),
        client.get(&url),
        client.post(&unknown).body(body.clone()),
        client.post(format!("{base}/elsewhere")).body(body.clone()),
        // A provider name that is no text once decoded: axum's own refusal otherwise.
        client
            .post(format!("{base}/webhooks/%FF"))
            .body(body.clone()),
        client
            .post(&url)
            .header("x-vapi-secret", VAPI_SECRET)
            .body("{not json"),
    ];
    for request in refused {
        let answer = request.send().await.unwrap();
        assert!(answer.status().is_client_error(), "{}", answer.status());
        assert_eq!(
            answer.headers()["connection"],
            "close",
            "{}",
            answer.status()
        );
    }
    let taken = client
        .post(&url)
        .header("x-vapi-secret", VAPI_SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::NO_CONTENT);
    assert!(taken.headers().get("connection").is_none());
    assert!(events.recv().await.is_some());
}

/// A body of nearly the limit, arriving in uneven chunks, fits a budget as large as the
/// limit (the least the builder allows): the buffer it is joined in grows by doubling,
/// never past the limit, which would refuse it with 503 at every attempt.
#[tokio::test]
async fn a_body_in_chunks_fits_a_budget_as_large_as_the_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const LIMIT: usize = 16 * 1024;
    let (router, mut events) = Receiver::builder(&registry())
        .body_limit(LIMIT)
        .unverified_body_budget(LIMIT)
        .channel(4)
        .unwrap();
    let base = serve(router).await;
    let addr = host_of(&base);
    // A status update padded to 14 KiB (whitespace after the JSON value).
    let mut body = fixture("voicebot/webhook_status_update.json");
    body.resize(14 * 1024, b' ');
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /webhooks/support HTTP/1.1\r\nHost: {addr}\r\nx-vapi-secret: {VAPI_SECRET}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut at = 0;
    for size in [8 * 1024, 2 * 1024, 4 * 1024] {
        let chunk = &body[at..at + size];
        at += size;
        stream
            .write_all(format!("{size:x}\r\n").as_bytes())
            .await
            .unwrap();
        stream.write_all(chunk).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
        stream.flush().await.unwrap();
        // Apart, so that each arrives as a chunk of its own.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert!(events.recv().await.is_some());
}

/// In channel mode, a request still waiting for room in a full channel when its deadline
/// passes is answered 504 and never queued: taken later, its tool would run for nobody.
#[tokio::test]
async fn a_request_that_timed_out_waiting_for_room_is_never_queued() {
    let (router, mut events) = Receiver::builder(&registry())
        .reply_timeout(Duration::from_millis(300))
        .channel(1)
        .unwrap();
    let base = serve(router).await;
    let url = format!("{base}/support");
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    // News fills the channel; the application does not read it yet.
    let news = fixture("voicebot/webhook_status_update.json");
    assert_eq!(post(&url, &headers, news).await.0, StatusCode::NO_CONTENT);
    let request = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let (status, _) = post(&url, &headers, request).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    // Room is made: the news is there, the request that timed out is not.
    let first = events.recv().await.unwrap();
    assert!(!first.event.expects_reply, "{first:?}");
    // Room goes to those waiting for it in turn: a stale request still waiting would come
    // before the sentinel.
    sentinel(&base, &mut events).await;
}

/// In channel mode, a request still waiting for room when the vendor hangs up (a timeout of
/// its own shorter than the receiver's, a proxy dropping the connection) is never queued
/// either: hyper drops the request, and the delivery with it.
#[tokio::test]
async fn a_request_the_vendor_hung_up_on_waiting_for_room_is_never_queued() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::sync::oneshot;

    /// A request's future that says when it first waits and when it is dropped.
    struct Watched<F: Future> {
        inner: Pin<Box<F>>,
        waiting: Option<oneshot::Sender<()>>,
        dropped: Option<oneshot::Sender<()>>,
    }
    impl<F: Future> Future for Watched<F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let poll = self.inner.as_mut().poll(cx);
            if poll.is_pending()
                && let Some(waiting) = self.waiting.take()
            {
                let _ = waiting.send(());
            }
            poll
        }
    }
    impl<F: Future> Drop for Watched<F> {
        fn drop(&mut self) {
            if let Some(dropped) = self.dropped.take() {
                let _ = dropped.send(());
            }
        }
    }

    type Signals = (oneshot::Sender<()>, oneshot::Sender<()>);
    let watch: Arc<Mutex<Option<Signals>>> = Arc::default();
    let (router, mut events) = Receiver::builder(&registry())
        .reply_timeout(Duration::from_secs(60))
        .channel(1)
        .unwrap();
    let signals = watch.clone();
    // The body is read here first, so that the receiver's only wait is for room.
    let router = router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let signals = signals.lock().unwrap().take();
            async move {
                let (parts, body) = request.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                let request = axum::extract::Request::from_parts(parts, bytes.into());
                let Some((waiting, dropped)) = signals else {
                    return next.run(request).await;
                };
                let inner = Box::pin(next.run(request));
                let (waiting, dropped) = (Some(waiting), Some(dropped));
                Watched {
                    inner,
                    waiting,
                    dropped,
                }
                .await
            }
        },
    ));
    let base = serve(router).await;
    let url = format!("{base}/support");
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    // News fills the channel; the application does not read it yet.
    let news = fixture("voicebot/webhook_status_update.json");
    assert_eq!(post(&url, &headers, news).await.0, StatusCode::NO_CONTENT);
    let (waiting_tx, waiting) = oneshot::channel();
    let (dropped_tx, dropped) = oneshot::channel();
    *watch.lock().unwrap() = Some((waiting_tx, dropped_tx));
    let body = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let hanging = tokio::spawn(async move {
        let request = http_client()
            .post(&url)
            .header("x-vapi-secret", VAPI_SECRET);
        request.body(body).send().await
    });
    waiting.await.unwrap();
    hanging.abort();
    assert!(hanging.await.is_err_and(|e| e.is_cancelled()));
    // hyper sees the connection close and drops the request.
    tokio::time::timeout(Duration::from_secs(30), dropped)
        .await
        .expect("the request was not dropped")
        .unwrap();
    // Room is made: the news is there, the request the vendor hung up on is not.
    let first = events.recv().await.unwrap();
    assert!(!first.event.expects_reply, "{first:?}");
    // Room goes to those waiting for it in turn: the request, had it been kept waiting,
    // would come before the sentinel.
    sentinel(&base, &mut events).await;
}

/// A handler that panics is answered 500, as one that fails (a vendor that retries sends
/// the event again), and its future is never polled again; the redelivery is handed over.
/// A handler that panics before it returns its future is answered 500 too.
#[tokio::test]
async fn a_handler_that_panics_is_answered_500_and_dropped() {
    use futures::FutureExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = Arc::new(AtomicUsize::new(0));
    let resumed = Arc::new(AtomicUsize::new(0));
    let (counter, after) = (calls.clone(), resumed.clone());
    let router = Receiver::builder(&registry())
        .handler(move |_delivery: Delivery| {
            let call = counter.fetch_add(1, Ordering::SeqCst) + 1;
            if call == 2 {
                panic!("the handler's bug, before its future");
            }
            let after = after.clone();
            async move {
                if call == 1 {
                    // Yields once, so that the panic comes of a later poll.
                    tokio::task::yield_now().await;
                    panic!("the handler's bug");
                }
                Ok(())
            }
            .inspect(move |_| {
                after.fetch_add(1, Ordering::SeqCst);
            })
        })
        .unwrap();
    let url = format!("{}/support", serve(router).await);
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let body = fixture("voicebot/webhook_status_update.json");
    let (status, answer) = post(&url, &headers, body.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    // Its key was forgotten: the redelivery is handed over, and panics before its future.
    let (status, answer) = post(&url, &headers, body.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    assert_eq!(post(&url, &headers, body).await.0, StatusCode::NO_CONTENT);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // Only the third run's future ended: the first was dropped where it panicked.
    assert_eq!(resumed.load(Ordering::SeqCst), 1);
}

/// A request whose body arrives after its reply deadline (a slow sender) is answered 504
/// and never handed over: the vendor has hung up, and a tool run for it would be for
/// nobody.
#[tokio::test]
async fn a_request_whose_body_comes_after_its_deadline_is_not_handed_over() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let handed = Arc::new(Mutex::new(0));
    let counter = handed.clone();
    let router = Receiver::builder(&registry())
        .reply_timeout(Duration::from_millis(200))
        .handler(move |_delivery: Delivery| {
            *counter.lock().unwrap() += 1;
            async { Ok(()) }
        })
        .unwrap();
    let base = serve(router).await;
    let address = base
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let path = base.splitn(4, '/').nth(3).unwrap_or_default().to_owned();
    let body = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /{path}/support HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         x-vapi-secret: {VAPI_SECRET}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    socket.write_all(first).await.unwrap();
    // Ten times the deadline, which passes first however the machine is loaded.
    tokio::time::sleep(Duration::from_secs(2)).await;
    socket.write_all(rest).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
    assert_eq!(*handed.lock().unwrap(), 0);
}

/// A request waits as long as its vendor does: the provider's configured wait, the
/// receiver's otherwise, never past the vendor's fixed limit (Vapi's 7.5 seconds for an
/// `assistant-request`, Retell's 10 seconds for its inbound webhook).
#[tokio::test]
async fn a_request_waits_as_long_as_its_vendor_does() {
    use tokio::time::Instant;
    const RETELL_KEY: &str = "key_retell_8c2d4e6f";
    let registry = Registry::from_toml_str(&format!(
        r#"{}
        [providers.brief]
        kind = "vapi"
        api_key = "vapi-key"
        [providers.brief.webhook]
        secret = "{VAPI_SECRET}"
        reply_timeout_secs = 0.3

        [providers.voice]
        kind = "retell"
        api_key = "{RETELL_KEY}"
        [providers.voice.webhook]
        "#,
        support_toml()
    ))
    .unwrap();
    // Every request is kept unanswered, with its deadline.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keeper = seen.clone();
    let router = Receiver::builder(&registry)
        .reply_timeout(Duration::from_secs(30))
        .handler(move |delivery: Delivery| {
            let deadline = delivery.reply_deadline().expect("a request has a deadline");
            keeper.lock().unwrap().push((delivery, deadline));
            async { Ok(()) }
        })
        .unwrap();
    let base = serve(router).await;
    let deadline = |vendor_event: &str| {
        let seen = seen.lock().unwrap();
        let found = seen
            .iter()
            .find(|(d, _)| d.event.vendor_event == vendor_event);
        found.map(|(_, deadline)| *deadline).expect(vendor_event)
    };
    // The deadline counts from the request's arrival, between its sending and its answer:
    // exact bounds, which no slow machine can miss, and a wrong wait misses by seconds.
    let waits = |vendor_event: &str, wait: Duration, (sent, answered): (Instant, Instant)| {
        let deadline = deadline(vendor_event);
        assert!(
            sent + wait <= deadline && deadline <= answered + wait,
            "{vendor_event}: deadline {:?} after sending, {wait:?} expected",
            deadline - sent
        );
    };
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];

    // The provider's own wait: 0.3 s, not the receiver's 30 (which would outlast the client).
    let tool_calls = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let brief = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let sent = Instant::now();
    let answered = brief
        .post(format!("{base}/brief"))
        .header("x-vapi-secret", VAPI_SECRET)
        .body(tool_calls.clone())
        .send()
        .await
        .expect("answered within the provider's wait");
    assert_eq!(answered.status(), StatusCode::GATEWAY_TIMEOUT);
    waits(
        "tool-calls",
        Duration::from_millis(300),
        (sent, Instant::now()),
    );
    {
        let mut seen = seen.lock().unwrap();
        let kept_too_long = &seen[0].0;
        assert!(!kept_too_long.reply(serde_json::json!({"results": []})));
        seen.clear();
    }

    // The receiver's wait for a provider without its own, short of Vapi's fixed limit for
    // an assistant request. Both are answered while the test reads their deadlines.
    let answer_all = |seen: Arc<Mutex<Vec<(Delivery, Instant)>>>| async move {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            for (delivery, _) in seen.lock().unwrap().iter() {
                delivery.reply(serde_json::json!({"ok": true}));
            }
        }
    };
    let answering = tokio::spawn(answer_all(seen.clone()));
    // Posts `body` with `headers` to `provider`, answered 200; when it was sent and answered.
    let timed_post = async |provider: &str, headers: &[(&str, String)], body: Vec<u8>| {
        let sent = Instant::now();
        let (status, _) = post(&format!("{base}/{provider}"), headers, body).await;
        assert_eq!(status, StatusCode::OK);
        (sent, Instant::now())
    };
    let tool_calls_times = timed_post("support", &secret, tool_calls).await;
    let assistant_request = fixture("voicebot/webhook_assistant_request.json");
    let assistant_times = timed_post("support", &secret, assistant_request).await;
    let inbound = fixture("retell/webhook_call_inbound.json");
    let headers = signed_for(
        ProviderKind::Retell,
        "",
        Some(RETELL_KEY),
        &inbound,
        Utc::now(),
    );
    let inbound_times = timed_post("voice", &headers, inbound).await;
    answering.abort();
    waits("tool-calls", Duration::from_secs(30), tool_calls_times);
    waits(
        "assistant-request",
        Duration::from_millis(7_500),
        assistant_times,
    );
    waits("call_inbound", Duration::from_secs(10), inbound_times);
    // Keys: the requests naming a call have one; Retell's inbound webhook, which names
    // none (its agent and two numbers, alike for another call between them), has none.
    let seen = seen.lock().unwrap();
    let key_of = |vendor_event: &str| {
        let found = seen
            .iter()
            .find(|(d, _)| d.event.vendor_event == vendor_event);
        found.expect(vendor_event).0.key()
    };
    assert!(key_of("tool-calls").is_some());
    assert!(key_of("call_inbound").is_none());
}

/// The vendor is answered as soon as the application replies: a handler that goes on
/// working (printing, storing) past the vendor's deadline, or fails after replying, does
/// not turn the reply into a 504 or a 500; it finishes on its own.
#[tokio::test]
async fn a_reply_is_sent_at_once_whatever_the_handler_does_next() {
    let finished = Arc::new(Mutex::new(Vec::new()));
    let finishing = finished.clone();
    // The work after the reply waits for the test to have the reply: were the reply held
    // until the handler ends, the request would end at the reply timeout (504).
    let replied = Arc::new(tokio::sync::Notify::new());
    let told = replied.clone();
    let router = Receiver::builder(&registry())
        .reply_timeout(Duration::from_secs(10))
        .handler(move |delivery: Delivery| {
            let (finishing, told) = (finishing.clone(), told.clone());
            async move {
                let event = delivery.event.vendor_event.clone();
                delivery.reply(serde_json::json!({ "for": event }));
                drop(delivery);
                if event == "tool-calls" {
                    told.notified().await;
                    finishing.lock().unwrap().push(event);
                    Ok(())
                } else {
                    Err(HandlerError::new("could not store the request"))
                }
            }
        })
        .unwrap();
    let url = format!("{}/support", serve(router).await);
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let tool_calls = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let (status, text) = post(&url, &headers, tool_calls).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::OK, r#"{"for":"tool-calls"}"#)
    );
    replied.notify_one();
    let assistant_request = fixture("voicebot/webhook_assistant_request.json");
    let (status, text) = post(&url, &headers, assistant_request).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::OK, r#"{"for":"assistant-request"}"#)
    );
    // The handler that went on working was not dropped with the request.
    tokio::time::timeout(Duration::from_secs(5), async {
        while finished.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the handler finished its work");
    assert_eq!(*finished.lock().unwrap(), ["tool-calls"]);
}

/// A reply timeout too long to count (`Duration::MAX`, "no limit") is a long wait, not a
/// panic on the first request.
#[tokio::test]
async fn an_endless_reply_timeout_still_answers() {
    let router = Receiver::builder(&registry())
        .reply_timeout(Duration::MAX)
        .handler(|delivery: Delivery| {
            delivery.reply(serde_json::json!({"results": []}));
            async { Ok(()) }
        })
        .unwrap();
    let url = format!("{}/support", serve(router).await);
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let body = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let (status, text) = post(&url, &headers, body).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::OK, r#"{"results":[]}"#)
    );
}

#[tokio::test]
async fn news_takes_no_reply() {
    let (router, mut events) = Receiver::builder(&registry()).channel(8).unwrap();
    let base = serve(router).await;
    let body = fixture("voicebot/webhook_status_update.json");
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let (status, _) = post(&format!("{base}/support"), &headers, body).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let delivery = next(&mut events).await;
    assert!(!delivery.event.expects_reply);
    assert!(!delivery.reply(serde_json::json!({})));
}

#[tokio::test]
async fn requests_are_handed_over_each_time_and_a_kept_copy_does_not_hold_the_vendor() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (kept, gate) = (seen.clone(), Arc::new(tokio::sync::Barrier::new(2)));
    let router = Receiver::builder(&registry())
        .reply_timeout(Duration::from_secs(5))
        .handler(move |delivery: Delivery| {
            // A copy is kept (it cannot reply); the original is dropped unanswered.
            kept.lock().unwrap().push(delivery.clone());
            let gate = gate.clone();
            async move {
                // Both copies of the request are in the handler at once: neither waited for
                // the other, nor was refused as a duplicate in flight.
                gate.wait().await;
                if delivery.event.vendor_event == "assistant-request" {
                    return Err(HandlerError::new("no assistant today"));
                }
                Ok(())
            }
        })
        .unwrap();
    let base = serve(router).await;
    let url = format!("{base}/support");
    let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let body = fixture("voicebot/webhook_tool_calls_object_arguments.json");
    let [first, second] = post_twice(&url, &headers, body).await;
    assert_eq!(first.0, StatusCode::NO_CONTENT, "{first:?}");
    assert_eq!(second.0, StatusCode::NO_CONTENT, "{second:?}");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert!(!seen[0].reply(serde_json::json!({"results": []})));
    }
    // A handler that fails a request gets the vendor's retry, as for any event.
    let assistant_request = fixture("voicebot/webhook_assistant_request.json");
    let [failed, again] = post_twice(&url, &headers, assistant_request).await;
    assert_eq!(failed.0, StatusCode::INTERNAL_SERVER_ERROR, "{failed:?}");
    assert_eq!(again.0, StatusCode::INTERNAL_SERVER_ERROR, "{again:?}");
}

/// A request the vendor waits on is timed from its arrival: a body that comes slowly uses
/// up the vendor's wait, and the application's deadline says so.
#[tokio::test]
async fn the_reply_deadline_counts_from_the_request_s_arrival() {
    use tokio::io::AsyncWriteExt;
    let (deadlines, seen) = tokio::sync::mpsc::unbounded_channel();
    let timeout = Duration::from_secs(6);
    let router = Receiver::builder(&registry())
        .reply_timeout(timeout)
        .handler(move |delivery: Delivery| {
            let deadlines = deadlines.clone();
            async move {
                let _ = deadlines.send(delivery.reply_deadline());
                delivery.reply(serde_json::json!({"results": []}));
                Ok(())
            }
        })
        .unwrap();
    let base = serve(router).await;
    let addr = host_of(&base);
    let body = fixture("voicebot/webhook_tool_calls_string_arguments.json");
    let (head, tail) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let started = tokio::time::Instant::now();
    let request = request_head(&addr, body.len());
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(head).await.unwrap();
    // The second half comes three seconds later.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tail_sent = tokio::time::Instant::now();
    stream.write_all(tail).await.unwrap();
    let deadline = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = seen;
        seen.recv().await
    })
    .await
    .expect("the delivery is handed over")
    .flatten()
    .expect("a request the vendor waits on has a deadline");
    // From the arrival, after the request was begun and before its body's end was sent;
    // counted from the body read whole, it would be after that end.
    let after = deadline.saturating_duration_since(started);
    assert!(deadline >= started + timeout, "{after:?}");
    assert!(deadline < tail_sent + timeout, "{after:?}");
}

/// A body that stops arriving is answered 408 once the body timeout (counted from the
/// request's start) has passed, and delivers nothing; a body that comes in time, slowly,
/// is delivered.
#[tokio::test]
async fn a_body_that_never_finishes_is_refused_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (events, mut seen) = tokio::sync::mpsc::unbounded_channel();
    // A receiver with the given body timeout, handing its events to `seen`.
    let receiver = async |timeout: Duration| {
        let events = events.clone();
        let router = Receiver::builder(&registry())
            .body_timeout(timeout)
            .handler(move |delivery: Delivery| {
                let events = events.clone();
                async move {
                    let _ = events.send(delivery.event.vendor_event.clone());
                    Ok(())
                }
            })
            .unwrap();
        host_of(&serve(router).await)
    };
    let addr = receiver(Duration::from_secs(2)).await;
    let body = fixture("voicebot/webhook_status_update.json");
    let (head, tail) = body.split_at(body.len() / 2);
    let post = |addr: &str| request_head(addr, body.len());
    // Half a body, then nothing.
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let started = tokio::time::Instant::now();
    stalled.write_all(post(&addr).as_bytes()).await.unwrap();
    stalled.write_all(head).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(30), stalled.read_to_string(&mut answer))
        .await
        .expect("the receiver answers a stalled body")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        seen.try_recv().is_err(),
        "a stalled body delivered an event"
    );
    // The same body in two halves half a second apart, well within the timeout (of a
    // receiver whose timeout no loaded machine reaches).
    let addr = receiver(Duration::from_secs(60)).await;
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(post(&addr).as_bytes()).await.unwrap();
    slow.write_all(head).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    slow.write_all(tail).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(30), slow.read_to_string(&mut answer))
        .await
        .expect("the receiver answers")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert_eq!(seen.recv().await.as_deref(), Some("status-update"));
}

/// Each provider has its own de-duplication window: deliveries to one (a busy one, or one
/// anyone can post to) never push another's out of its window, so that its vendor's
/// redelivery still reaches the application once.
#[tokio::test]
async fn each_provider_has_its_own_dedup_window() {
    let (events, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let router = Receiver::builder(&registry())
        .dedup_window(2)
        // The window's size alone: deliveries to another provider could push these out.
        .dedup_keep_for(Duration::ZERO)
        .handler(move |delivery: Delivery| {
            let events = events.clone();
            async move {
                let _ = events.send(delivery.provider_name.clone());
                Ok(())
            }
        })
        .unwrap();
    let base = serve(router).await;
    let support = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let sales = [("x-hook-token", HOOK_SECRET.to_owned())];
    let speech = fixture("voicebot/webhook_other.json");
    let first = post(&format!("{base}/support"), &support, speech.clone()).await;
    assert_eq!(first.0, StatusCode::NO_CONTENT, "{}", first.1);
    // Three distinct messages to another provider: more than the window holds.
    for n in 0..3 {
        let answer = post(&format!("{base}/sales"), &sales, numbered_message(n)).await;
        assert_eq!(answer.0, StatusCode::NO_CONTENT, "{}", answer.1);
    }
    // The first provider's redelivery is still a duplicate.
    let again = post(&format!("{base}/support"), &support, speech).await;
    assert_eq!(again.0, StatusCode::NO_CONTENT, "{}", again.1);
    let mut delivered = Vec::new();
    while let Ok(provider) = seen.try_recv() {
        delivered.push(provider);
    }
    assert_eq!(delivered, ["support", "sales", "sales", "sales"]);
}

/// The `n`th of distinct HappyRobot messages (keyed on their bodies).
fn numbered_message(n: usize) -> Vec<u8> {
    let mut body: serde_json::Value =
        serde_json::from_slice(&fixture("happyrobot/webhook_unknown.json")).unwrap();
    body["content"]["content"] = serde_json::Value::from(format!("message {n}"));
    serde_json::to_vec(&body).unwrap()
}

/// A window keeps each delivery for a least time as well: a vendor's redelivery after a
/// burst of other deliveries, more than the window's size, is still recognized.
#[tokio::test]
async fn a_redelivery_after_a_burst_is_still_recognized() {
    let (router, mut events) = Receiver::builder(&registry())
        .dedup_window(2)
        .channel(16)
        .unwrap();
    let base = serve(router).await;
    let sales = [("x-hook-token", HOOK_SECRET.to_owned())];
    // Five distinct deliveries, then the first again: more than the window's size apart.
    for n in (0..5).chain([0]) {
        let answer = post(&format!("{base}/sales"), &sales, numbered_message(n)).await;
        assert_eq!(answer.0, StatusCode::NO_CONTENT, "{}", answer.1);
    }
    let mut delivered = 0;
    while events.try_recv().is_ok() {
        delivered += 1;
    }
    assert_eq!(delivered, 5, "the redelivery reached the application again");
}

/// A delivery whose headers fail verification is refused before its body is read: a
/// stranger cannot make the receiver wait for (and hold) a large body.
#[tokio::test]
async fn a_delivery_without_its_secret_is_refused_before_its_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let router = Receiver::builder(&registry())
        // Far longer than the wait below: a refusal comes from the headers, not the timer.
        .body_timeout(Duration::from_secs(120))
        .handler(|_delivery: Delivery| async { Ok(()) })
        .unwrap();
    let base = serve(router).await;
    let addr = host_of(&base);
    for secret in ["", "x-vapi-secret: guess\r\n"] {
        let mut stranger = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /webhooks/support HTTP/1.1\r\nHost: {addr}\r\n{secret}\
             Content-Length: 4000000\r\nConnection: close\r\n\r\n"
        );
        stranger.write_all(head.as_bytes()).await.unwrap();
        // The body never comes.
        let mut answer = String::new();
        tokio::time::timeout(
            Duration::from_secs(20),
            stranger.read_to_string(&mut answer),
        )
        .await
        .expect("refused before the body")
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    }
}

/// `host:port` of a receiver served at `base` (`http://host:port/webhooks`).
fn host_of(base: &str) -> String {
    base.trim_start_matches("http://")
        .trim_end_matches("/webhooks")
        .to_owned()
}

/// The head of a Vapi delivery to provider `support` at `addr` (correctly authenticated),
/// for a body of `length` bytes written by hand after it.
fn request_head(addr: &str, length: usize) -> String {
    format!(
        "POST /webhooks/support HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         x-vapi-secret: {VAPI_SECRET}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

/// A `Content-Length` over the body cap is answered 413 at once, without waiting for the
/// body (it would be refused once read anyway).
#[tokio::test]
async fn a_body_announced_over_the_cap_is_refused_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let router = Receiver::builder(&registry())
        .body_limit(64 * 1024)
        // Far longer than the wait below: the refusal comes from the headers.
        .body_timeout(Duration::from_secs(600))
        .handler(|_delivery: Delivery| async { Ok(()) })
        .unwrap();
    let base = serve(router).await;
    let addr = host_of(&base);
    let mut sender = tokio::net::TcpStream::connect(&addr).await.unwrap();
    sender
        .write_all(request_head(&addr, 100_000_000).as_bytes())
        .await
        .unwrap();
    // The body never comes.
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(60), sender.read_to_string(&mut answer))
        .await
        .expect("refused before the body")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

/// A body with a `Content-Encoding` (gzip) would be checked and parsed as its compressed
/// bytes: it is answered 415 before it is read, and nothing is decompressed. `identity`
/// is the body as sent.
#[tokio::test]
async fn an_encoded_body_is_refused_with_415() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (router, mut events) = Receiver::builder(&registry())
        .body_timeout(Duration::from_secs(600))
        .channel(8)
        .unwrap();
    let base = serve(router).await;
    let addr = host_of(&base);
    for coding in ["gzip", "identity, br", "x-custom"] {
        let mut sender = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = request_head(&addr, 1_000).replace(
            "Connection: close\r\n",
            &format!("Connection: close\r\nContent-Encoding: {coding}\r\n"),
        );
        sender.write_all(head.as_bytes()).await.unwrap();
        // The body never comes: refused from the headers.
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(60), sender.read_to_string(&mut answer))
            .await
            .expect("refused before the body")
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 415"), "{coding}: {answer}");
    }
    let secret = ("x-vapi-secret", VAPI_SECRET.to_owned());
    let body = fixture("voicebot/webhook_status_update.json");
    let identity = [secret, ("content-encoding", "identity".to_owned())];
    let (status, text) = post(&format!("{base}/support"), &identity, body).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(next(&mut events).await.event.vendor_event, "status-update");
}

/// For a scheme that signs the body (Retell's), the headers prove only that a signature
/// is well formed and fresh, which anyone can forge: the bodies still to be checked share
/// their provider's budget, and a delivery whose body would go over it is answered 503
/// with `Retry-After` at once, without being read further. The budget comes back once the
/// bodies are verified or refused (here: their senders gave up).
#[tokio::test]
async fn forged_signatures_cannot_make_the_receiver_hold_more_than_its_budget() {
    let registry = retell_registry();
    let forged = format!("v={},d={}", Utc::now().timestamp_millis(), "0".repeat(64));
    let deliver = async |base: &str| {
        deliver_to_voice(base, fixture("retell/webhook_call_started.json")).await
    };
    bodies_held_are_within_the_budget(&registry, "voice", ("x-retell-signature", &forged), deliver)
        .await;
}

/// The same for a scheme that reads only the headers (Vapi's shared secret): its secret
/// travels in every delivery, and whoever saw one cannot make the receiver hold more
/// bodies that never finish than the provider's budget.
#[tokio::test]
async fn a_secret_seen_cannot_make_the_receiver_hold_more_than_its_budget() {
    let registry = registry();
    let deliver = async |base: &str| {
        let headers = [("x-vapi-secret", VAPI_SECRET.to_owned())];
        let body = fixture("voicebot/webhook_status_update.json");
        post(&format!("{base}/support"), &headers, body).await.0
    };
    let secret = ("x-vapi-secret", VAPI_SECRET);
    bodies_held_are_within_the_budget(&registry, "support", secret, deliver).await;
}

/// Budgets set below what a held body counts at least (8 KiB, however small the body)
/// are raised to it: a small delivery goes through, to a verified provider (the budget of
/// bodies handled) and to one not verified (its own budget), where every one was refused
/// 503 for good.
#[tokio::test]
async fn budgets_set_below_a_held_body_s_least_share_still_take_a_delivery() {
    let registry = Registry::from_toml_str(&format!(
        "[providers.support]\nkind = \"voicebot\"\napi_key = \"vb-key\"\n\
         [providers.support.webhook]\nsecret = \"{VAPI_SECRET}\"\n\
         [providers.open]\nkind = \"voicebot\"\napi_key = \"vb-key\"\n\
         [providers.open.webhook]\nverify = \"none\"\n"
    ))
    .unwrap();
    let router = Receiver::builder(&registry)
        .body_limit(4096)
        .handled_body_budget(4096)
        .unverified_body_budget(4096)
        .handler(|_delivery: Delivery| async { Ok(()) })
        .unwrap();
    let base = serve(router).await;
    let body =
        br#"{"message":{"type":"status-update","status":"ringing","call":{"id":"c-small"}}}"#;
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let (status, said) = post(&format!("{base}/support"), &secret, body.to_vec()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{said}");
    let (status, said) = post(&format!("{base}/open"), &[], body.to_vec()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{said}");
}

/// A body decoded on the blocking pool (a MiB or more) stays counted in its provider's
/// budget until it is decoded, even when its sender hangs up meanwhile (hyper then drops
/// the request's future): a second such body is refused 503 while the first still holds
/// the budget, where it was taken and queued behind it, uncounted. The blocking pool is
/// one thread, held by the test, so that the first decode waits there.
#[test]
fn a_body_abandoned_while_it_decodes_stays_counted() {
    use tokio::io::AsyncWriteExt;
    const LIMIT: usize = 2 * 1024 * 1024;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let registry = Registry::from_toml_str(
            "[providers.open]\nkind = \"voicebot\"\napi_key = \"vb-key\"\n\
             [providers.open.webhook]\nverify = \"none\"\n",
        )
        .unwrap();
        let router = Receiver::builder(&registry)
            .body_limit(LIMIT)
            .unverified_body_budget(LIMIT)
            .handler(|_delivery: Delivery| async { Ok(()) })
            .unwrap();
        let base = serve(router).await;
        let addr = host_of(&base);
        // The one blocking thread, held until the test lets it go.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::task::spawn_blocking(move || {
            let _ = held.recv();
        });
        // A status update padded to 1.5 MiB, sent whole; its sender hangs up at once.
        let mut body =
            br#"{"message":{"type":"status-update","status":"ringing","call":{"id":"c-big"}}}"#
                .to_vec();
        body.resize(3 * 1024 * 1024 / 2, b' ');
        let mut first = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /webhooks/open HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        first.write_all(head.as_bytes()).await.unwrap();
        first.write_all(&body).await.unwrap();
        // Read whole and queued for the blocking thread long before (a loopback read of a
        // MiB and a half takes milliseconds).
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(first);
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The second announces as much: the budget, still holding the first, cannot take it.
        let second = http_client()
            .post(format!("{base}/open"))
            .body(body.clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("answered at once");
        assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
        release.send(()).unwrap();
        blocker.await.unwrap();
        // The first decoded and gave its share back: a body of that size goes through.
        let mut attempts = 0;
        loop {
            let (status, said) = post(&format!("{base}/open"), &[], body.clone()).await;
            if status == StatusCode::NO_CONTENT {
                break;
            }
            attempts += 1;
            assert!(attempts < 100, "{status}: {said}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

/// Three bodies that never finish, posted to `provider` with the `credential` header,
/// against a budget of two: one is answered 503 at once; once their senders give up, a
/// delivery (`deliver`, to the receiver's base URL) goes through.
async fn bodies_held_are_within_the_budget(
    registry: &Registry,
    provider: &str,
    credential: (&str, &str),
    deliver: impl AsyncFn(&str) -> StatusCode,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const LIMIT: usize = 16 * 1024;
    let router = Receiver::builder(registry)
        .body_limit(LIMIT)
        .unverified_body_budget(2 * LIMIT)
        // Far longer than the test: bodies held are answered by the budget, not the timer.
        .body_timeout(Duration::from_secs(600))
        .handler(|_delivery: Delivery| async { Ok(()) })
        .unwrap();
    let base = serve(router).await;
    let addr = host_of(&base);
    let (name, value) = credential;
    let head = |framing: &str| {
        format!(
            "POST /webhooks/{provider} HTTP/1.1\r\nHost: {addr}\r\n{name}: {value}\r\n\
             {framing}\r\nConnection: close\r\n\r\n"
        )
    };
    // Three bodies of nearly the limit each, none finished, against a budget of two: two
    // announced, all but their last KiB sent, and one in chunks (the limit's worth, no
    // last chunk). Whatever the order they are read in, one goes over.
    let mut announced = head(&format!("Content-Length: {LIMIT}")).into_bytes();
    announced.extend(std::iter::repeat_n(b' ', LIMIT - 1024));
    let mut chunked = head("Transfer-Encoding: chunked").into_bytes();
    chunked.extend(format!("{LIMIT:x}\r\n").bytes());
    chunked.extend(std::iter::repeat_n(b' ', LIMIT));
    chunked.extend(b"\r\n");
    let mut senders = Vec::new();
    for request in [announced.clone(), chunked, announced] {
        let mut sender = tokio::net::TcpStream::connect(&addr).await.unwrap();
        sender.write_all(&request).await.unwrap();
        senders.push(sender);
    }
    // The first answered is the one over the budget; the others are held for the body
    // timeout, far beyond this wait.
    let answers = senders.iter_mut().map(|sender| {
        Box::pin(async move {
            let mut answer = String::new();
            sender.read_to_string(&mut answer).await.unwrap();
            answer
        })
    });
    let (answer, ..) = tokio::time::timeout(
        Duration::from_secs(60),
        futures::future::select_all(answers),
    )
    .await
    .expect("a delivery over the budget is answered at once");
    assert!(answer.starts_with("HTTP/1.1 503"), "{provider}: {answer}");
    assert!(
        answer.to_ascii_lowercase().contains("\r\nretry-after: "),
        "{answer}"
    );
    // The senders give up: their shares come back, and the vendor's own deliveries go
    // through.
    drop(senders);
    let mut attempts = 0;
    loop {
        let status = deliver(&base).await;
        if status != StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(status, StatusCode::NO_CONTENT, "{provider}");
            break;
        }
        // The held bodies are let go as their connections' ends are noticed.
        attempts += 1;
        assert!(attempts < 600, "the budget never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Verified deliveries hold their bodies until they are answered: with the application
/// slow to take them, those being handled share the receiver's budget, and one that would
/// go over it is answered 503 with `Retry-After`, not handed over, while a redelivery of
/// an event delivered already is still acknowledged. Once the application has taken the
/// others, it goes through.
#[tokio::test]
async fn deliveries_being_handled_hold_no_more_than_their_budget() {
    const LIMIT: usize = 16 * 1024;
    let (url, mut arrivals, release) = holding_receiver(LIMIT, 2 * LIMIT).await;
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    // Status updates of three calls, each padded to 12 KiB: two fit in the budget, the
    // third does not while they are held.
    let delivery = |call: &str| {
        let mut body = in_progress(call);
        body.resize(12 * 1024, b' ');
        body
    };
    // One delivered at once (the application lets it through), before the others.
    release.add_permits(1);
    let (status, text) = post(&url, &secret, delivery("c-done")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    arrivals.recv().await.expect("the first delivery");
    let held = hold_two(
        &url,
        &secret,
        ["c-held-1", "c-held-2"].map(delivery),
        &mut arrivals,
    )
    .await;
    let over = post(&url, &secret, delivery("c-over"));
    let (status, text) = tokio::time::timeout(Duration::from_secs(10), over)
        .await
        .expect("answered at once, not handed over");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert!(text.contains("being handled"), "{text}");
    assert!(arrivals.try_recv().is_err(), "the third was handed over");
    // A redelivery of the one delivered is acknowledged as such, budget or not.
    let (status, text) = post(&url, &secret, delivery("c-done")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert!(
        arrivals.try_recv().is_err(),
        "the redelivery was handed over"
    );
    // The application takes the two: their shares come back, and the third goes through.
    release.add_permits(3);
    for answer in held {
        assert_eq!(answer.await.unwrap().0, StatusCode::NO_CONTENT);
    }
    let (status, text) = post(&url, &secret, delivery("c-over")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
}

/// A receiver of `support` (bodies up to `limit`, a budget of `budget` for those being
/// handled) whose application says when a delivery reaches it, on `arrivals`, and takes it
/// once a permit of `release` lets it: (its URL, arrivals, release).
async fn holding_receiver(
    limit: usize,
    budget: usize,
) -> (
    String,
    mpsc::UnboundedReceiver<()>,
    Arc<tokio::sync::Semaphore>,
) {
    let (entered, arrivals) = mpsc::unbounded_channel::<()>();
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let router = Receiver::builder(&Registry::from_toml_str(&support_toml()).unwrap())
        .body_limit(limit)
        .handled_body_budget(budget)
        .handler({
            let release = release.clone();
            move |_delivery: Delivery| {
                let (entered, release) = (entered.clone(), release.clone());
                async move {
                    let _ = entered.send(());
                    release.acquire().await.map(|permit| permit.forget()).ok();
                    Ok(())
                }
            }
        })
        .unwrap();
    (
        format!("{}/support", serve(router).await),
        arrivals,
        release,
    )
}

/// A Vapi status update of `call`, in progress.
fn in_progress(call: &str) -> Vec<u8> {
    format!(
        r#"{{"message":{{"type":"status-update","status":"in-progress","call":{{"id":"{call}"}}}}}}"#
    )
    .into_bytes()
}

/// Posts `bodies` to `url` at once and waits until both reach the application (held by
/// [`holding_receiver`]); their answers come when it lets them go.
async fn hold_two(
    url: &str,
    secret: &[(&'static str, String); 1],
    bodies: [Vec<u8>; 2],
    arrivals: &mut mpsc::UnboundedReceiver<()>,
) -> [tokio::task::JoinHandle<(StatusCode, String)>; 2] {
    let held = bodies.map(|body| {
        let (url, secret) = (url.to_owned(), secret.clone());
        tokio::spawn(async move { post(&url, &secret, body).await })
    });
    for _ in 0..2 {
        tokio::time::timeout(Duration::from_secs(10), arrivals.recv())
            .await
            .expect("both held deliveries reach the application");
    }
    held
}

/// A small body counts as 8 KiB in the budget of bodies being handled (what it holds of
/// the connection's read buffer): with a budget of 16 KiB, two deliveries of a few hundred
/// bytes are held, and a third is refused, where counted at their length sixteen would be.
#[tokio::test]
async fn a_small_body_counts_as_the_buffer_it_holds() {
    const LIMIT: usize = 16 * 1024;
    let (url, mut arrivals, release) = holding_receiver(LIMIT, LIMIT).await;
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let bodies = ["c-small-1", "c-small-2"].map(in_progress);
    let held = hold_two(&url, &secret, bodies, &mut arrivals).await;
    let (status, text) = post(&url, &secret, in_progress("c-small-3")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    release.add_permits(3);
    for answer in held {
        assert_eq!(answer.await.unwrap().0, StatusCode::NO_CONTENT);
    }
}

/// A browser's request (a web page posting to a local `listen`, as a "simple" request no
/// preflight guards) is refused with 403 by a provider that verifies nothing, and nothing
/// is handed over; the same body from a vendor's server goes through, and a verified
/// provider is left to its verification.
#[tokio::test]
async fn a_browser_cannot_post_to_a_provider_that_verifies_nothing() {
    let registry = Registry::from_toml_str(&format!(
        "[providers.open]\nkind = \"voicebot\"\napi_key = \"vb-key\"\n\
         [providers.open.webhook]\nverify = \"none\"\n{}",
        support_toml()
    ))
    .unwrap();
    let (router, mut events) = Receiver::builder(&registry).channel(8).unwrap();
    let base = serve(router).await;
    let body = fixture("voicebot/webhook_status_update.json");
    for browser in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let (status, text) = post(
            &format!("{base}/open"),
            &[(browser.0, browser.1.to_owned())],
            body.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{browser:?}: {text}");
    }
    // A verified provider: the secret decides, not the browser's headers.
    let verified = [
        ("x-vapi-secret", VAPI_SECRET.to_owned()),
        ("origin", "https://app.example".to_owned()),
    ];
    let (status, text) = post(&format!("{base}/support"), &verified, body.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(events.recv().await.unwrap().provider_name, "support");
    // Nothing of the browser's was handed over; the vendor's own post is (the windows of
    // duplicates are per provider).
    let (status, text) = post(&format!("{base}/open"), &[], body).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert_eq!(events.recv().await.unwrap().provider_name, "open");
    assert!(events.try_recv().is_err());
}

/// Each provider has a budget of its own for bodies not yet verified: slow bodies posted
/// to one (here without credentials, to a provider not verified) spend its budget, and
/// another provider's signed deliveries still go through.
#[tokio::test]
async fn a_flood_at_one_provider_does_not_spend_another_s_budget() {
    use tokio::io::AsyncWriteExt;
    const LIMIT: usize = 16 * 1024;
    let registry = Registry::from_toml_str(&format!(
        "[providers.voice]\nkind = \"retell\"\napi_key = \"{RETELL_KEY}\"\n\
         [providers.voice.webhook]\n\
         [providers.open]\nkind = \"voicebot\"\napi_key = \"vb-key\"\n\
         [providers.open.webhook]\nverify = \"none\"\n"
    ))
    .unwrap();
    let router = Receiver::builder(&registry)
        .body_limit(LIMIT)
        .unverified_body_budget(LIMIT)
        // Far longer than the test: the slow body is held throughout.
        .body_timeout(Duration::from_secs(600))
        .handler(|_delivery: Delivery| async { Ok(()) })
        .unwrap();
    let base = serve(router).await;
    let addr = host_of(&base);
    // A body of the limit announced to `open`, all but its last KiB sent, never finished.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut request = format!(
        "POST /webhooks/open HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {LIMIT}\r\n\
         Connection: close\r\n\r\n"
    )
    .into_bytes();
    request.extend(std::iter::repeat_n(b' ', LIMIT - 1024));
    slow.write_all(&request).await.unwrap();
    // Bodies of half the budget (JSON padded with spaces), more than the slow body leaves.
    let padded = |mut body: Vec<u8>| {
        body.resize(LIMIT / 2, b' ');
        body
    };
    // Once `open` refuses one with 503, its budget has less than that left, and stays so
    // while the slow body is held.
    let probe = padded(br#"{"message":{"type":"hang","call":{"id":"c-probe"}}}"#.to_vec());
    let mut attempts = 0;
    loop {
        let (status, text) = post(&format!("{base}/open"), &[], probe.clone()).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
        // The slow body takes its share as its bytes are read.
        attempts += 1;
        assert!(
            attempts < 600,
            "the slow body never took its share of the budget"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Retell's budget is its own: its delivery of the same size goes through.
    let body = padded(fixture("retell/webhook_call_started.json"));
    assert_eq!(deliver_to_voice(&base, body).await, StatusCode::NO_CONTENT);
    // The slow body is still held: `open`'s budget is still spent.
    let (status, _) = post(&format!("{base}/open"), &[], probe).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    drop(slow);
}

/// A provider that verifies nothing holds the bodies of its deliveries being handled in
/// its own budget: a stranger posting to it while the application is slow fills that
/// budget (503), and the budget the verified providers share still takes theirs.
#[tokio::test]
async fn a_provider_not_verified_holds_its_bodies_in_its_own_budget() {
    const LIMIT: usize = 16 * 1024;
    let registry = Registry::from_toml_str(&format!(
        "[providers.open]\nkind = \"voicebot\"\napi_key = \"vb-key\"\n\
         [providers.open.webhook]\nverify = \"none\"\n{}",
        support_toml()
    ))
    .unwrap();
    let (entered, mut arrivals) = mpsc::unbounded_channel::<String>();
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let router = Receiver::builder(&registry)
        .body_limit(LIMIT)
        .unverified_body_budget(LIMIT)
        .handled_body_budget(LIMIT)
        .handler({
            let release = release.clone();
            move |delivery: Delivery| {
                let (entered, release) = (entered.clone(), release.clone());
                async move {
                    let _ = entered.send(delivery.provider_name);
                    release.acquire().await.map(|permit| permit.forget()).ok();
                    Ok(())
                }
            }
        })
        .unwrap();
    let base = serve(router).await;
    let mut answers = Vec::new();
    // Two small bodies held by the application fill `open`'s 16 KiB (8 KiB each), then
    // two signed deliveries of `support` are held in the budget verified providers share,
    // which `open`'s did not touch.
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    for (provider, headers) in [("open", &[][..]), ("support", &secret[..])] {
        for n in 1..=2 {
            let (url, headers) = (format!("{base}/{provider}"), headers.to_vec());
            let body = in_progress(&format!("c-{provider}-{n}"));
            answers.push(tokio::spawn(
                async move { post(&url, &headers, body).await },
            ));
            let arrived = tokio::time::timeout(Duration::from_secs(10), arrivals.recv())
                .await
                .expect("the delivery reaches the application");
            assert_eq!(arrived.as_deref(), Some(provider));
        }
        if provider == "open" {
            let (status, text) = post(&format!("{base}/open"), &[], in_progress("c-3")).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
        }
    }
    release.add_permits(4);
    for answer in answers {
        assert_eq!(answer.await.unwrap().0, StatusCode::NO_CONTENT);
    }
}

/// A call's end is recognized when the vendor redelivers it after a flood of message
/// events (speech updates, partial transcripts), past the window's ceiling: lifecycle
/// events have their own share of the window.
#[tokio::test]
async fn a_flood_of_messages_does_not_push_a_call_s_end_out_of_the_window() {
    let (router, mut events) = Receiver::builder(&registry())
        .dedup_window(2)
        .channel(64)
        .unwrap();
    let base = serve(router).await;
    let support = format!("{base}/support");
    let secret = [("x-vapi-secret", VAPI_SECRET.to_owned())];
    let end = fixture("voicebot/webhook_end_of_call_report.json");
    assert_eq!(
        post(&support, &secret, end.clone()).await.0,
        StatusCode::NO_CONTENT
    );
    // Twice the ceiling (ten times the window's size) of distinct messages.
    let flood = 2 * 2 * voiceport::webhooks::WINDOW_CEILING;
    for n in 0..flood {
        let message =
            format!(r#"{{"message":{{"type":"hang","n":{n},"call":{{"id":"c-flood"}}}}}}"#);
        let (status, text) = post(&support, &secret, message.into_bytes()).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    }
    // The vendor redelivers the end: recognized.
    assert_eq!(post(&support, &secret, end).await.0, StatusCode::NO_CONTENT);
    let mut ends = 0;
    for _ in 0..=flood {
        let delivery = next(&mut events).await;
        ends += usize::from(delivery.event.vendor_event == "end-of-call-report");
    }
    sentinel(&base, &mut events).await;
    assert_eq!(ends, 1, "the end was passed on again");
}

/// A delivery whose JSON follows a UTF-8 byte-order mark is accepted: the signature is
/// checked over the body as sent, the event decoded from the JSON after the mark.
#[tokio::test]
async fn a_byte_order_mark_before_a_signed_delivery_is_left_out() {
    let (router, mut events) = Receiver::builder(&registry()).channel(16).unwrap();
    let base = serve(router).await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(br#"{"message":{"type":"hang","call":{"id":"bom-call"}}}"#);
    let webhook = format!("verify = \"hmac\"\nsecret = \"{HMAC_SECRET}\"\n");
    let headers = signed_headers(&webhook, &body, Utc::now());
    let (status, answer) = post(&format!("{base}/signed"), &headers, body).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let delivery = next(&mut events).await;
    assert_eq!(
        delivery.event.call_id().map(|id| id.as_str()),
        Some("bom-call")
    );
}
