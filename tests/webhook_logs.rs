//! No webhook secret reaches a log line, an error or `Debug`. Alone in its binary: it
//! installs the process-wide `tracing` subscriber.

mod support;

use chrono::Utc;
use reqwest::header::HeaderMap;
use voiceport::webhooks::{Delivery, HandlerError, Receiver, Verifier, WebhookConfig};
use voiceport::{ProviderKind, Registry, SecretString};

use support::Captured;

/// One provider per scheme: its name, kind, `webhook` table, the secret it must never log,
/// and a delivery it accepts.
const PROVIDERS: [(&str, &str, &str, &str, &str); 7] = [
    (
        "shared",
        "voicebot",
        "secret = \"vapi-shared-7d41c0e2\"",
        "vapi-shared-7d41c0e2",
        "voicebot/webhook_end_of_call_report.json",
    ),
    (
        "bearer",
        "vapi",
        "verify = \"bearer\"\nsecret = \"vapi-bearer-0f6a13c9\"",
        "vapi-bearer-0f6a13c9",
        "voicebot/webhook_status_update.json",
    ),
    (
        "signed",
        "voicebot",
        "verify = \"hmac\"\nsecret = \"hmac-key-52ab9e10f3\"",
        "hmac-key-52ab9e10f3",
        "voicebot/webhook_end_of_call_report.json",
    ),
    (
        "sales",
        "happyrobot",
        "header = \"x-hook-token\"\nsecret = \"hook-token-0c9a77d1\"",
        "hook-token-0c9a77d1",
        "happyrobot/webhook_end.json",
    ),
    (
        "rounded",
        "rounded",
        "secret = \"rounded-hook-6b2e90aa\"",
        "rounded-hook-6b2e90aa",
        "rounded/webhook_phone_call_ended.json",
    ),
    // A secret holding a space: an error's excerpt cut inside its first word would drop
    // that word and keep the rest (below).
    (
        "spaced",
        "voicebot",
        "secret = \"vapishared41c0 e27d9b5a\"",
        "vapishared41c0 e27d9b5a",
        "voicebot/webhook_status_update.json",
    ),
    // Retell signs with the account's API key.
    (
        "retell",
        "retell",
        "",
        "key_retell_3f0c7b2e91d4",
        "retell/webhook_call_ended.json",
    ),
];

/// The verifier of `PROVIDERS[index]` (one whose secret is its webhook table's), to sign
/// deliveries to it.
fn signer(index: usize) -> Verifier {
    let (name, kind, table, _, _) = PROVIDERS[index];
    let kind: ProviderKind = kind.parse().unwrap();
    Verifier::from_config(kind, &toml::from_str(table).unwrap(), name, None).unwrap()
}

/// The debug lines of `logs` that say a body does not parse and quote it where it holds
/// `marker`; at least one.
fn quoting<'a>(logs: &'a str, marker: &str) -> Vec<&'a str> {
    let quoted: Vec<&str> = (logs.lines())
        .filter(|l| l.contains("DEBUG") && l.contains("does not parse") && l.contains(marker))
        .collect();
    assert!(!quoted.is_empty(), "the body is quoted: {logs}");
    quoted
}

/// An HTTP client for the loopback receivers: never through a proxy named in the
/// environment (`HTTP_PROXY`, `ALL_PROXY`), which reqwest's defaults would use.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_reach_logs_or_debug() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let toml_text: String = PROVIDERS
        .iter()
        .map(|(name, kind, table, secret, _)| {
            // Retell's API key is its webhook secret; the others' keys are not secrets here.
            let api_key = if *kind == "retell" {
                *secret
            } else {
                "api-key"
            };
            format!(
                "[providers.{name}]\nkind = \"{kind}\"\napi_key = \"{api_key}\"\n\
                 [providers.{name}.webhook]\n{table}\n"
            )
        })
        .collect();
    let registry = Registry::from_toml_str(&toml_text).unwrap();
    let (router, mut events) = Receiver::builder(&registry).channel(64).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let post = |name: &str, headers: HeaderMap, body: Vec<u8>| {
        let request = http_client()
            .post(format!("{base}/{name}"))
            .headers(headers)
            .body(body);
        async move { request.send().await.unwrap().status() }
    };
    let mut debug_texts = vec![format!("{registry:?}")];
    for (name, kind, table, secret, fixture) in PROVIDERS {
        let kind: ProviderKind = kind.parse().unwrap();
        let config: WebhookConfig = toml::from_str(table).unwrap();
        let api_key = SecretString::from(secret);
        let verifier = Verifier::from_config(kind, &config, name, Some(&api_key)).unwrap();
        let body =
            std::fs::read(format!("{}/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let signed = verifier.sign(&body, Utc::now());
        assert_eq!(
            post(name, signed.clone(), body.clone()).await,
            204,
            "{name}"
        );
        // A forgery that presents the secret with something added, and one signed with
        // another secret.
        let mut near_miss = signed.clone();
        for value in near_miss.values_mut() {
            let text = format!("{}-wrong", value.to_str().unwrap());
            *value = text.parse().unwrap();
        }
        assert_eq!(post(name, near_miss, body.clone()).await, 401, "{name}");
        let other = SecretString::from(format!("{secret}-other"));
        let forged = Verifier::with_secret(kind, other).sign(&body, Utc::now());
        assert_eq!(post(name, forged, body.clone()).await, 401, "{name}");
        let broken = b"{broken".to_vec();
        let signed_broken = verifier.sign(&broken, Utc::now());
        assert_eq!(post(name, signed_broken, broken).await, 400, "{name}");
        let delivery = events.recv().await.unwrap();
        assert_eq!(delivery.provider_name, name);
        debug_texts.push(format!("{delivery:?}"));
        debug_texts.push(format!("{verifier:?}"));
    }
    // A verified body that does not parse is warned of by where it breaks, not by what it
    // says (a caller's number here): that is at debug level only.
    // The first provider's verifier, which signs for the failing receiver below too.
    let shared = signer(0);
    let personal =
        br#"{"message": {"type": "status-update", "customer": {"number": "+14155550187"#.to_vec();
    let status = post("shared", shared.sign(&personal, Utc::now()), personal).await;
    assert_eq!(status, 400);
    let logs = captured.text();
    let unparsable: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("does not parse"))
        .collect();
    let warned = unparsable.iter().filter(|line| line.contains("WARN"));
    assert!(warned.clone().count() >= 7, "{unparsable:#?}");
    assert!(
        warned.clone().all(|line| !line.contains("14155550187")),
        "{unparsable:#?}"
    );
    assert!(
        warned.clone().any(|line| line.contains("path=")),
        "{unparsable:#?}"
    );
    let told = unparsable.iter().filter(|line| line.contains("DEBUG"));
    assert!(
        told.clone().any(|line| line.contains("14155550187")),
        "{unparsable:#?}"
    );
    // A body that sends the provider's own secret back (as HappyRobot's calls repeat a use
    // case's hook headers), broken just after it: the debug line quotes the body there,
    // the secret hidden.
    let echoing =
        br#"{"message": {"type": "status-update", "server": {"secret": "vapi-shared-7d41c0e2"#
            .to_vec();
    let status = post("shared", shared.sign(&echoing, Utc::now()), echoing).await;
    assert_eq!(status, 400);
    let logs = captured.text();
    let quoted = quoting(&logs, "\"server\"");
    assert!(
        quoted
            .iter()
            .all(|l| !l.contains("vapi-shared-7d41c0e2") && l.contains("[REDACTED]")),
        "{quoted:#?}"
    );

    // The same where the excerpt's start cuts the secret inside its first word: the
    // excerpt drops the cut word, so a mask laid over the error would no longer find the
    // secret and leave its second word; the body is decoded again with the secret hidden.
    let (_, _, _, secret, _) = PROVIDERS[5];
    let spaced = signer(5);
    let mut cut = br#"{"message": {"type": "status-update", "server": {"secret": ""#.to_vec();
    // The body ends (where it breaks) 67 bytes after the secret's start: the excerpt,
    // the 60 bytes before that, starts 7 bytes into the secret's first word.
    let url = r#"", "url": "https://hooks.example.com/"#;
    let filler = 67 - secret.len() - url.len();
    cut.extend_from_slice(format!("{secret}{url}{}", "v".repeat(filler)).as_bytes());
    let status = post("spaced", spaced.sign(&cut, Utc::now()), cut).await;
    assert_eq!(status, 400);
    let logs = captured.text();
    let quoted = quoting(&logs, "hooks.");
    assert!(
        quoted
            .iter()
            .all(|l| !l.contains("e27d9b5a") && !l.contains("41c0")),
        "{quoted:#?}"
    );

    // A flood of forgeries is warned of ten times a minute per provider, the rest at debug
    // level: `sales` has refused three deliveries above, and now fifteen more.
    let stranger = Verifier::with_secret(ProviderKind::HappyRobot, SecretString::from("guess"));
    for _ in 0..15 {
        let body = b"{}".to_vec();
        let forged = stranger.sign(&body, Utc::now());
        assert_eq!(post("sales", forged, body).await, 401);
    }
    let logs = captured.text();
    let refusals_of_sales = |level: &str| {
        let lines = logs.lines().filter(|line| line.contains(level));
        let of_sales = lines.filter(|line| line.contains("provider_name=sales"));
        of_sales
            .filter(|line| line.contains("refused") || line.contains("does not parse"))
            .count()
    };
    assert_eq!(refusals_of_sales("WARN"), 10, "{logs}");
    assert_eq!(
        refusals_of_sales("DEBUG"),
        8 + 1,
        "the quiet ones, and a body's error"
    );

    // A Vapi server set up today sends a Bearer credential, which the default (legacy)
    // check refuses as missing its header: the warning says which check reads the header
    // the delivery carries, and never quotes the credential.
    let mut bearer = HeaderMap::new();
    bearer.insert("authorization", "Bearer cred-5e1b9a77".parse().unwrap());
    assert_eq!(post("shared", bearer, b"{}".to_vec()).await, 401);
    let logs = captured.text();
    let hinted: Vec<&str> = (logs.lines())
        .filter(|line| line.contains("provider_name=shared") && line.contains("hint="))
        .collect();
    assert_eq!(hinted.len(), 1, "{logs}");
    assert!(
        hinted[0].contains("no `x-vapi-secret` header"),
        "{}",
        hinted[0]
    );
    // Debug-quoted in the line: `verify = "bearer"`, ready to paste into the file.
    assert!(
        hinted[0].contains(r#"verify = \"bearer\""#),
        "{}",
        hinted[0]
    );
    assert!(!logs.contains("cred-5e1b9a77"), "{logs}");

    // A body over the size limit sent in chunks (no `Content-Length` to refuse it by) is
    // refused as it arrives, and said so, as one announced over the limit is; a request
    // with another method than POST is refused (405) and said so.
    let (_, _, table, _, _) = PROVIDERS[1];
    let bearer_verifier = Verifier::from_config(
        ProviderKind::Vapi,
        &toml::from_str(table).unwrap(),
        "bearer",
        None,
    )
    .unwrap();
    let address = base
        .trim_start_matches("http://")
        .trim_end_matches("/webhooks")
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut head = format!(
        "POST /webhooks/bearer HTTP/1.1\r\nHost: {address}\r\nTransfer-Encoding: chunked\r\n"
    );
    for (name, value) in &bearer_verifier.sign(b"", Utc::now()) {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, " ".repeat(1 << 20));
    // Five chunks of 1 MiB, over the 4 MiB limit; the receiver may answer and close first.
    for _ in 0..5 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    // The answer (413, tested with the receiver's other answers) may be lost to a reset,
    // as the rest of the body is left unread: the log is what is looked at here.
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let probe = http_client()
        .get(format!("{base}/bearer"))
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 405);
    assert_eq!(probe.headers()["allow"], "POST");
    let logs = captured.text();
    assert!(
        logs.lines().any(|line| line.contains("WARN")
            && line.contains("provider_name=bearer")
            && line.contains("over the size limit")),
        "{logs}"
    );
    assert!(
        logs.lines()
            .any(|line| line.contains("WARN") && line.contains("deliveries are POSTs")),
        "{logs}"
    );

    // An application that fails: its message goes to the log, not to the vendor. A tool
    // call is answered first, and its handler fails after.
    let failing = Receiver::builder(&registry)
        .providers(["shared"])
        .handler(|delivery: Delivery| async move {
            match delivery.event.vendor_event.as_str() {
                "tool-calls" => {
                    assert!(delivery.reply(serde_json::json!({"results": []})));
                    tokio::task::yield_now().await;
                    Err(HandlerError::new("tool audit unreachable"))
                }
                "assistant-request" => Err(HandlerError::new("no assistant on duty")),
                // An application's error may quote an address with its password.
                _ => Err(HandlerError::new(
                    "orders db unreachable at postgres://app:hunter2@db.internal:5432/orders",
                )),
            }
        })
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let failing_url = format!("http://{}/webhooks/shared", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, failing).await });
    let (fixture, verifier) = (PROVIDERS[0].4, &shared);
    // One signed delivery of a fixture to the failing receiver.
    let post = async |fixture: &str| {
        let body =
            std::fs::read(format!("{}/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        http_client()
            .post(&failing_url)
            .headers(verifier.sign(&body, Utc::now()))
            .body(body)
            .send()
            .await
            .unwrap()
    };
    let answer = post(fixture).await;
    assert_eq!(answer.status(), 500);
    let told = answer.text().await.unwrap();
    assert!(!told.contains("orders db"), "{told}");
    for (fixture, status) in [
        ("voicebot/webhook_assistant_request.json", 500),
        ("voicebot/webhook_tool_calls_object_arguments.json", 200),
    ] {
        assert_eq!(post(fixture).await.status(), status, "{fixture}");
    }
    // A failure's log names the provider and the event (a listener logs without spans).
    let line_of = |text: &str| {
        let logs = captured.text();
        logs.lines()
            .find(|line| line.contains(text))
            .map(str::to_owned)
    };
    for (error, event, message) in [
        (
            "orders db unreachable",
            "end-of-call-report",
            "did not take",
        ),
        ("no assistant on duty", "assistant-request", "did not take"),
        (
            "tool audit unreachable",
            "tool-calls",
            "failed after its delivery was answered",
        ),
    ] {
        // The failure after a reply is logged by a task of its own.
        let mut attempts = 0;
        let line = loop {
            if let Some(line) = line_of(error) {
                break line;
            }
            attempts += 1;
            assert!(attempts < 600, "the failure {error:?} was never logged");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert!(line.contains(message), "{line}");
        // The application's words at debug level only: they may quote a vendor's, which
        // may quote a customer. Above it, the failure without them.
        assert!(line.contains("DEBUG"), "{line}");
        let logs = captured.text();
        assert!(
            logs.lines()
                .any(|l| l.contains(message) && !l.contains("DEBUG")),
            "the failure is said above debug level too: {logs}"
        );
        assert!(
            !logs
                .lines()
                .any(|l| l.contains(error) && !l.contains("DEBUG")),
            "{error:?} logged above debug level: {logs}"
        );
        assert!(line.contains("provider_name=shared"), "{line}");
        assert!(
            line.contains(&format!("vendor_event=\"{event}\"")),
            "{line}"
        );
    }
    // A secret that travels in the URL (Rounded's `verify = "query"`) reaches no log line
    // on any path the request takes: accepted, refused for a wrong or missing one, a GET
    // (405), a provider that is not served (404).
    let query_secret = "rounded-query-1f7c33";
    let in_query = Registry::from_toml_str(&format!(
        "[providers.token]\nkind = \"rounded\"\napi_key = \"api-key\"\n\
         [providers.token.webhook]\nverify = \"query\"\nsecret = \"{query_secret}\"\n"
    ))
    .unwrap();
    let (router, mut token_events) = Receiver::builder(&in_query).channel(4).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let token_base = format!("http://{}/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let token_verifier = Verifier::from_config(
        ProviderKind::Rounded,
        &toml::from_str(&format!("verify = \"query\"\nsecret = \"{query_secret}\"")).unwrap(),
        "token",
        None,
    )
    .unwrap();
    let body = std::fs::read(format!(
        "{}/fixtures/rounded/webhook_phone_call_ended.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let signed = token_verifier.signed_url(&format!("{token_base}/token"));
    assert!(signed.contains(query_secret), "{signed}");
    let wrong = signed.replace(query_secret, &format!("{query_secret}-wrong"));
    let unknown = token_verifier.signed_url(&format!("{token_base}/elsewhere"));
    let client = http_client();
    for (method, url, status) in [
        (reqwest::Method::POST, signed.as_str(), 204),
        (reqwest::Method::POST, wrong.as_str(), 401),
        (reqwest::Method::POST, &format!("{token_base}/token"), 401),
        (reqwest::Method::GET, signed.as_str(), 405),
        (reqwest::Method::POST, unknown.as_str(), 404),
    ] {
        let request = client.request(method.clone(), url).body(body.clone());
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), status, "{method} {url}");
        assert!(!answer.text().await.unwrap().contains(query_secret));
    }
    let delivery = token_events.recv().await.unwrap();
    assert_eq!(delivery.provider_name, "token");
    let logs = captured.text();
    assert!(
        logs.lines()
            .any(|line| line.contains("provider_name=token")),
        "{logs}"
    );
    // The name a sender put in the URL is no provider's: logged apart from theirs.
    let unserved = (logs.lines())
        .find(|line| line.contains("a provider this receiver does not serve"))
        .unwrap_or_else(|| panic!("{logs}"));
    assert!(
        unserved.contains("requested_name=\"elsewhere\""),
        "{unserved}"
    );
    assert!(!unserved.contains("provider_name"), "{unserved}");
    assert!(!logs.contains(query_secret), "{logs}");

    // Two providers sharing a secret are warned of, by name, when a receiver starts.
    let sharing = Registry::from_toml_str(
        "[providers.east]\nkind = \"voicebot\"\napi_key = \"k1\"\n\
         [providers.east.webhook]\nsecret = \"vapi-shared-7d41c0e2\"\n\
         [providers.west]\nkind = \"vapi\"\napi_key = \"k2\"\n\
         [providers.west.webhook]\nverify = \"bearer\"\nsecret = \"vapi-shared-7d41c0e2\"\n\
         [providers.north]\nkind = \"voicebot\"\napi_key = \"k3\"\n\
         [providers.north.webhook]\nsecret = \"another-secret-1\"\n",
    )
    .unwrap();
    let _ = Receiver::builder(&sharing).channel(1).unwrap();
    let shared_line = line_of("with the same secret").expect("the shared secret is warned of");
    assert!(
        shared_line.contains("provider_name=east") && shared_line.contains("other=west"),
        "{shared_line}"
    );
    // A Rounded provider checking a header Rounded cannot send is warned of, by name.
    let rounded_line = line_of("Rounded documents no webhook headers or signature")
        .expect("a header check for Rounded is warned of");
    assert!(
        rounded_line.contains("provider_name=rounded"),
        "{rounded_line}"
    );
    let logs = captured.text();
    assert_eq!(
        logs.matches("Rounded documents no webhook headers or signature")
            .count(),
        1,
        "only the Rounded provider: {logs}"
    );
    assert_eq!(
        logs.matches("with the same secret").count(),
        1,
        "only east and west share: {logs}"
    );
    // A secret of fewer than 16 bytes is warned of, by name, never quoted; one of 16
    // ("another-secret-1") is not.
    assert!(!logs.contains("webhook secret is shorter"), "{logs}");
    let short = Registry::from_toml_str(
        "[providers.tiny]\nkind = \"vapi\"\napi_key = \"k4\"\n\
         [providers.tiny.webhook]\nsecret = \"hunter2-4a\"\n",
    )
    .unwrap();
    let _ = Receiver::builder(&short).channel(1).unwrap();
    let short_line =
        line_of("webhook secret is shorter than 16 bytes").expect("a short secret is warned of");
    assert!(short_line.contains("provider_name=tiny"), "{short_line}");
    assert!(!captured.text().contains("hunter2"), "{}", captured.text());
    // Two providers of one Retell account share its key by design: said, not warned of.
    let one_account = Registry::from_toml_str(
        "[providers.renewals]\nkind = \"retell\"\napi_key = \"key_5e1f0c9a2b7d\"\n\
         [providers.renewals.webhook]\n\
         [providers.winback]\nkind = \"retell\"\napi_key = \"key_5e1f0c9a2b7d\"\n\
         [providers.winback.webhook]\n",
    )
    .unwrap();
    let _ = Receiver::builder(&one_account).channel(1).unwrap();
    let retell_line =
        line_of("with the same Retell key").expect("a shared Retell key is said at info level");
    assert!(
        retell_line.contains(" INFO ") && retell_line.contains("provider_name=renewals"),
        "{retell_line}"
    );
    // An HMAC signed without a time is warned of: a delivery seen once passes for good.
    let untimed = Registry::from_toml_str(
        "[providers.signed]\nkind = \"vapi\"\napi_key = \"k4\"\n\
         [providers.signed.webhook]\nverify = \"hmac\"\nsecret = \"hmac-secret-51f0\"\n\
         timestamp_header = \"\"\n",
    )
    .unwrap();
    let _ = Receiver::builder(&untimed).channel(1).unwrap();
    let untimed_line = line_of("checked without a signing time")
        .expect("an HMAC without a signing time is warned of");
    assert!(
        untimed_line.contains(" WARN ") && untimed_line.contains("provider_name=signed"),
        "{untimed_line}"
    );
    assert!(!captured.text().contains("hmac-secret-51f0"));

    // The application's troubles with a provider's deliveries (here a channel it stopped
    // receiving from) are warned of ten times a minute too, counted apart from the
    // refusals: fourteen deliveries, ten warnings, four at debug level.
    let closing = Registry::from_toml_str(
        "[providers.closed]\nkind = \"voicebot\"\napi_key = \"k5\"\n\
         [providers.closed.webhook]\nsecret = \"closed-secret-0b7e\"\n",
    )
    .unwrap();
    let (router, receiving) = Receiver::builder(&closing).channel(4).unwrap();
    drop(receiving);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/closed", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    for n in 0..14 {
        let body = format!(
            r#"{{"message":{{"type":"status-update","status":"in-progress","call":{{"id":"c-closed-{n}"}}}}}}"#
        );
        let status = http_client()
            .post(&url)
            .header("x-vapi-secret", "closed-secret-0b7e")
            .body(body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 503, "delivery {n}");
    }
    let logs = captured.text();
    let stopped = |level: &str| {
        (logs.lines())
            .filter(|l| l.contains(level) && l.contains("stopped receiving webhook events"))
            .filter(|l| l.contains("provider_name=closed"))
            .count()
    };
    assert_eq!((stopped("WARN"), stopped("DEBUG")), (10, 4), "{logs}");

    // What the application logs in its handler is in the delivery's span, which names the
    // provider: on the request's task, and on the task a handler goes on with once its
    // reply is sent.
    let named = Registry::from_toml_str(
        "[providers.billing]\nkind = \"voicebot\"\napi_key = \"k6\"\n\
         [providers.billing.webhook]\nsecret = \"billing-secret-3c1d\"\n",
    )
    .unwrap();
    let (went_on, mut gone_on) = tokio::sync::mpsc::channel::<()>(1);
    let router = Receiver::builder(&named)
        .handler(move |delivery: Delivery| {
            let went_on = went_on.clone();
            async move {
                tracing::info!(event = %delivery.event.vendor_event, "application at work");
                if delivery.reply(serde_json::json!({"results": []})) {
                    tokio::task::yield_now().await;
                    tracing::info!("application still at work after its reply");
                    let _ = went_on.send(()).await;
                }
                Ok::<(), HandlerError>(())
            }
        })
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/billing", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    for fixture in [
        "webhook_status_update.json",
        "webhook_tool_calls_object_arguments.json",
    ] {
        let body = std::fs::read(format!(
            "{}/fixtures/voicebot/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let response = http_client()
            .post(&url)
            .header("x-vapi-secret", "billing-secret-3c1d")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{fixture}");
    }
    tokio::time::timeout(std::time::Duration::from_secs(10), gone_on.recv())
        .await
        .unwrap();
    // A redelivery handed over while the first delivery's handler still runs past the
    // in-flight limit is warned of: that handler may be stuck, and two now run.
    let stuck = Registry::from_toml_str(
        "[providers.stuck]\nkind = \"voicebot\"\napi_key = \"k7\"\n\
         [providers.stuck.webhook]\nsecret = \"stuck-secret-8e2a\"\n",
    )
    .unwrap();
    let handled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&handled);
    let router = Receiver::builder(&stuck)
        .dedup_in_flight_for(std::time::Duration::from_millis(100))
        .handler(move |_: Delivery| {
            let first = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            async move {
                if first {
                    std::future::pending::<()>().await;
                }
                Ok::<(), HandlerError>(())
            }
        })
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/stuck", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let body = std::fs::read(format!(
        "{}/fixtures/voicebot/webhook_status_update.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let deliver = || {
        http_client()
            .post(&url)
            .header("x-vapi-secret", "stuck-secret-8e2a")
            .timeout(std::time::Duration::from_secs(10))
            .body(body.clone())
            .send()
    };
    // The first delivery reaches its handler (seen, not assumed from a time), which never
    // ends; the redelivery comes past the in-flight limit.
    let first = tokio::spawn(deliver());
    let reached = async {
        while handled.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), reached)
        .await
        .expect("the first delivery never reached its handler");
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let again = deliver().await.unwrap();
    first.abort();
    assert_eq!(again.status(), 204);
    assert_eq!(handled.load(std::sync::atomic::Ordering::SeqCst), 2);
    let logs = captured.text();
    let reclaimed: Vec<&str> = (logs.lines())
        .filter(|line| line.contains("is handed over again"))
        .collect();
    assert_eq!(reclaimed.len(), 1, "{logs}");
    assert!(
        reclaimed[0].contains(" WARN ") && reclaimed[0].contains("provider_name=stuck"),
        "{}",
        reclaimed[0]
    );

    let logs = captured.text();
    let at_work: Vec<&str> = (logs.lines())
        .filter(|line| line.contains("application at work") || line.contains("still at work"))
        .collect();
    assert_eq!(at_work.len(), 3, "{logs}");
    for line in at_work {
        assert!(
            line.contains("voiceport.webhook{") && line.contains("provider_name=billing"),
            "{line}"
        );
        // The span names the event and its call, once the body decoded.
        assert!(
            line.contains("vendor_event=") && line.contains("call_id="),
            "{line}"
        );
    }
    assert!(
        logs.contains("webhook delivery refused"),
        "the refusal is logged: {logs}"
    );
    // With its reason, which the caller is not told.
    assert!(logs.contains("does not match"), "{logs}");
    assert!(logs.contains("orders db unreachable"), "{logs}");
    assert!(!logs.contains("hunter2"), "{logs}");
    assert!(logs.contains("webhook body does not parse"), "{logs}");
    for (name, _, _, secret, _) in PROVIDERS {
        assert!(
            !logs.contains(secret),
            "{name}'s secret is in the logs:\n{logs}"
        );
        for text in &debug_texts {
            assert!(
                !text.contains(secret),
                "{name}'s secret is in a Debug: {text}"
            );
        }
    }
}
