//! The HTTP client against a hostile vendor (over the loopback): what it sends back is
//! bounded, flattened and masked, and what could never be sent is not retried.

mod support;

use std::time::Duration;

use serde::Deserialize;
use voiceport_core::http::{AuthStyle, Request};
use voiceport_core::{Error, Operation, ProviderConfig, RequestOutcome};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use support::{SECRET, capture_logs, client_for, loopback_client};

fn fast_retries(attempts: u32) -> impl Fn(&mut ProviderConfig) {
    move |config: &mut ProviderConfig| {
        config.retry.max_attempts = Some(attempts);
        config.retry.initial_backoff_ms = Some(1);
        config.retry.max_backoff_ms = Some(5);
        config.retry.max_elapsed_secs = Some(10.0);
    }
}

/// How long a test waits before calling a request hung: far beyond any loaded machine's
/// delays, far short of the waits the behaviour under test must not make (ten minutes).
const HANG_GUARD: Duration = Duration::from_secs(120);

/// A request whose URL is past the URI length limit is refused by the HTTP client before
/// connecting: not sent, its outcome known (nothing happened), and not tried again.
#[tokio::test]
async fn a_request_the_client_cannot_build_is_not_sent_nor_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(4));
    let cursor = "2".repeat(70_000);
    let (err, logs) = capture_logs(|| async {
        client
            .send(Request::get(Operation::ListCalls, ["calls"]).query("cursor", &cursor))
            .await
            .unwrap_err()
    })
    .await;
    assert!(
        matches!(err, Error::Transport { sent: false, .. }),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
    assert!(!err.is_retryable());
    let attempts = logs.iter().filter(|l| l.contains("attempt=")).count();
    let retries = logs.iter().filter(|l| l.contains("retrying")).count();
    assert_eq!(retries, 0, "retried: {logs:#?}");
    assert!(attempts >= 1, "{logs:#?}");
}

/// A vendor's error text reaches terminals and logs: its control characters (ESC, C1,
/// newlines) and bidi overrides are gone, in the message and in each field detail.
#[tokio::test]
async fn control_characters_of_an_error_body_never_reach_the_error() {
    let json = "{\"message\":\"\\u001b]0;pwned\\u0007\\u001b[2Jline1\\nvoiceport: call placed OK \\u202eevil\",\"error\":{\"details\":[{\"field\":\"\\u001b[31mto\",\"message\":\"x\\u009b1m\"}]}}";
    let plain = "\u{1b}[2J plain \u{9b}31m text \u{2066}x";
    for (status, body) in [(400, json), (503, plain)] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_string(body))
            .mount(&server)
            .await;
        let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(1));
        let err = client
            .send(Request::get(Operation::GetCall, ["calls", "x"]))
            .await
            .unwrap_err();
        let text = err.to_string();
        let unsafe_char = |c: char| {
            c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        };
        assert!(!text.chars().any(unsafe_char), "HTTP {status}: {text:?}");
        assert!(text.contains("line1") || text.contains("plain"), "{text:?}");
    }
}

/// A redirect's error names where it pointed, with a host of bounded length.
#[tokio::test]
async fn a_redirect_to_a_huge_host_gives_a_short_error() {
    let server = MockServer::start().await;
    let host = format!("{}.example.com", vec!["a".repeat(60); 200].join("."));
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("https://{host}/x")),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(1));
    let err = client
        .send(Request::get(Operation::GetCall, ["calls", "x"]))
        .await
        .unwrap_err();
    let Error::Redirected {
        location: Some(location),
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(location.chars().count(), 253, "{location}");
    assert!(location.starts_with("aaaa") && location.ends_with('…'));
    assert!(err.to_string().len() < 600, "{err}");
}

/// Only the start of an error body is read, whatever its length: a vendor that sends
/// more (or announces more and stalls) does not hold the reader, and its status is still
/// reported with what was read.
#[tokio::test]
async fn only_the_start_of_an_error_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                // Announces 10 MiB, sends 100 KiB of text, then nothing: a reader of the
                // whole body would wait for the rest until the timeout.
                let _ = socket
                    .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 10485760\r\n\r\n")
                    .await;
                let _ = socket.write_all(&vec![b'x'; 100 * 1024]).await;
                tokio::time::sleep(Duration::from_secs(3_600)).await;
            });
        }
    });
    let client = loopback_client(port, |c| {
        fast_retries(1)(c);
        c.timeout_secs = Some(600.0);
    });
    let get = client.send(Request::get(Operation::GetCall, ["calls", "x"]));
    let err = tokio::time::timeout(HANG_GUARD, get)
        .await
        .expect("the rest of the error body was waited for")
        .unwrap_err();
    match &err {
        Error::NotFound {
            message: Some(message),
            ..
        } => assert!(message.starts_with("xxxx"), "{message}"),
        other => panic!("{other:?}"),
    }
}

/// An error body longer than the (small) configured body cap still gives its status
/// and the start of its message: the cap bounds what is read, it does not lose the error.
#[tokio::test]
async fn an_error_body_over_the_body_cap_still_reports_its_message() {
    let server = MockServer::start().await;
    let body = format!("Invalid phone number {}", "x".repeat(4_000));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string(body))
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, |c| {
        fast_retries(1)(c);
        c.max_body_bytes = Some(1_000);
    });
    let err = client
        .send(Request::get(Operation::GetCall, ["calls", "x"]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Invalid phone number"), "{err:?}");
}

/// The body is handed back as the vendor sent it: a gzip body is not inflated, and no
/// `Accept-Encoding` asks for one, even where another crate of the build turns
/// reqwest's decompression features on.
#[tokio::test]
async fn bodies_are_never_decompressed() {
    // `{"id":"z"}`, gzipped.
    const GZIP: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0xca, 0x4c, 0x51,
        0xb2, 0x52, 0xaa, 0x52, 0xaa, 0x05, 0x00, 0xd2, 0xaa, 0xd7, 0x8a, 0x0a, 0x00, 0x00, 0x00,
    ];
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_bytes(GZIP),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(1));
    let response = client
        .send(Request::get(Operation::GetCall, ["calls", "x"]))
        .await
        .unwrap();
    assert_eq!(response.body, GZIP);
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| !r.headers.contains_key("accept-encoding")),
        "{:?}",
        requests.first().map(|r| &r.headers)
    );
}

/// The key as the support module's client has it, its `9` written `\u0039`.
fn escaped_key() -> String {
    SECRET.replacen('9', "\\u0039", 1)
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Call {
    call_id: String,
    duration_ms: Option<u64>,
    agent_name: Option<String>,
}

/// A vendor that spells the key with JSON escapes does not get it through: not into
/// decoded values, not into decode errors (serde quotes the decoded value), not into an
/// error an adapter builds after `send`, not into the body kept as the payload.
#[tokio::test]
async fn a_key_spelled_with_json_escapes_is_masked_in_values_and_errors() {
    let escaped = escaped_key();
    assert!(escaped.contains("\\u0039") && !escaped.contains(SECRET));
    let cases = [
        (
            200,
            format!(r#"{{"call_id":"c1","duration_ms":"{escaped}"}}"#),
        ),
        (
            200,
            format!(r#"{{"call_id":"c1","agent_name":"{escaped}"}}"#),
        ),
        (200, format!(r#"{{"call_id":"c1","{escaped}":1}}"#)),
        (400, format!(r#"{{"message":"bad key {escaped}"}}"#)),
    ];
    for (status, body) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_string(body.clone()))
            .mount(&server)
            .await;
        let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(1));
        let texts = match client
            .send(Request::get(Operation::GetCall, ["calls", "c1"]))
            .await
        {
            Ok(response) => {
                let mut texts = vec![String::from_utf8_lossy(&response.body).into_owned()];
                let value: serde_json::Value = response.json().unwrap();
                texts.push(value.to_string());
                match response.json::<Call>() {
                    Ok(call) => texts.push(format!("{call:?}")),
                    Err(err) => texts.extend([err.to_string(), format!("{err:?}")]),
                }
                // As an adapter does after `send`: quotes a decoded value in its error.
                let built = Error::decode(
                    client.provider(),
                    Operation::GetCall,
                    "agent_name",
                    format!("not an agent: {value}"),
                    &response.body,
                );
                texts.extend([built.to_string(), format!("{built:?}")]);
                texts
            }
            Err(err) => vec![err.to_string(), format!("{err:?}")],
        };
        for text in texts {
            assert!(!text.contains(SECRET), "{body}: key leaked: {text}");
            assert!(!text.contains(&escaped), "{body}: key leaked: {text}");
        }
    }
}

/// A decode error at a path through a vendor's huge map key stays short, on one line.
#[tokio::test]
async fn a_decode_error_under_a_huge_key_is_short() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Shape {
        vars: std::collections::BTreeMap<String, u64>,
    }
    let key = format!("K\u{1b}[2J\n{}", "K".repeat(1 << 20));
    let body = serde_json::json!({ "vars": { key.clone(): "not a number" } }).to_string();
    let err = voiceport_core::http::decode_json::<Shape>(
        voiceport_core::ProviderKind::Retell,
        Operation::GetCall,
        body.as_bytes(),
    )
    .unwrap_err();
    let Error::Decode { path, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(path.chars().count() <= 201, "{} chars", path.len());
    assert!(path.starts_with("vars.K\\u{1b}[2J\\nKKK"), "{path}");
    assert!(path.ends_with('…'), "{path}");
    let text = err.to_string();
    assert!(text.len() < 2_000, "{} bytes", text.len());
    assert!(!text.chars().any(char::is_control), "{text:?}");
    // Built by hand (an adapter's), the same.
    let built = Error::decode(
        voiceport_core::ProviderKind::Retell,
        Operation::GetCall,
        format!("vars.{key}"),
        "bad",
        b"{}",
    );
    assert!(built.to_string().len() < 1_000);
}

/// Runs `work` on a thread, failing if it takes longer than [`HANG_GUARD`]: linear work
/// takes far less on any machine, quadratic work many minutes.
fn within_hang_guard<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || send.send(work()));
    receive
        .recv_timeout(HANG_GUARD)
        .expect("hung: the work is not linear in the input")
}

/// serde quotes the whole value it could not read, and an adapter may quote one in its
/// own error: a value of 8 MiB of `a:// a:// …` gives a short message, at once (a
/// search of the whole rest for each URL would take many minutes).
#[test]
fn a_huge_value_full_of_urls_gives_a_short_decode_error_at_once() {
    let value = "a:// ".repeat((8 << 20) / 5);
    let body = format!(r#"{{"call_id":"c1","duration_ms":"{value}"}}"#);
    let (decoded, built) = within_hang_guard(move || {
        let decoded = voiceport_core::http::decode_json::<Call>(
            voiceport_core::ProviderKind::Retell,
            Operation::GetCall,
            body.as_bytes(),
        )
        .unwrap_err();
        let built = Error::decode(
            voiceport_core::ProviderKind::Retell,
            Operation::GetCall,
            "duration_ms",
            format!("not a duration: {value}"),
            b"{}",
        );
        (decoded, built)
    });
    for err in [decoded, built] {
        let Error::Decode { message, .. } = &err else {
            panic!("{err:?}");
        };
        assert!(message.chars().count() <= 500, "{} chars", message.len());
        assert!(message.contains("a:// a://"), "{message}");
    }
}

/// A key the error-body limit cuts leaves no prefix of itself: the read goes past the
/// limit until the key is whole, is masked, and only then cut.
#[tokio::test]
async fn a_key_cut_by_the_error_body_limit_leaves_no_prefix() {
    // The key as a JSON string with every character a `\u` escape (six times its length).
    let spelled: String = SECRET
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let cases = [
        // The limit (1,000 bytes) cuts the key after `sk-test-`.
        format!("{}invalid key {SECRET}", " ".repeat(980)),
        // Two spelled keys, masked, shorten the body by 220 bytes: a key cut by the read
        // (past the limit) would come before the limit.
        format!(
            "\"{spelled}\" \"{spelled}\" {}invalid key {SECRET} more",
            " ".repeat(1_120 - 12 - 12 - 2 * (spelled.len() + 3))
        ),
    ];
    for body in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401).set_body_string(body.clone()))
            .mount(&server)
            .await;
        let client = client_for(&server, "", AuthStyle::Bearer, |c| {
            fast_retries(1)(c);
            c.max_body_bytes = Some(1_000);
        });
        let err = client
            .send(Request::get(Operation::GetCall, ["calls", "x"]))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("sk-test"), "a prefix of the key: {text}");
            assert!(
                !text.contains("\\u0073\\u006b"),
                "a prefix of the key: {text}"
            );
        }
    }
}
