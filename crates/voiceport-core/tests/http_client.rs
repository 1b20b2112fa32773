//! The shared HTTP plumbing over a real loopback HTTP server (wiremock), and against a
//! hostile vendor: what it sends back is bounded, flattened and masked, and what could
//! never be sent is not retried.

mod support;

use std::time::{Duration, Instant};

use serde::Deserialize;
use voiceport_core::adapter::AdapterConfig;
use voiceport_core::http::{Auth, AuthStyle, HttpClient, HttpSettings, Request, RetryPolicy};
use voiceport_core::{
    Error, FieldError, Operation, ProviderConfig, ProviderKind, RequestOutcome, SecretString,
};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use support::{
    RefusingPort, SECRET, capture_logs, client_for, config_for, loopback_client, raw_server,
};

#[derive(Debug, Deserialize, PartialEq)]
struct Thing {
    id: String,
}

#[tokio::test]
async fn bearer_auth_header_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/calls/abc"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "abc"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "/api/v1", AuthStyle::Bearer, |_| {});
    let response = client
        .send(Request::get(Operation::GetCall, ["calls", "abc"]))
        .await
        .unwrap();
    assert_eq!(
        response.json::<Thing>().unwrap(),
        Thing { id: "abc".into() }
    );
}

#[tokio::test]
async fn named_key_header_is_sent_with_query_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/v1/calls/c1"))
        .and(header("x-api-key", SECRET))
        .and(header("content-type", "application/json"))
        .and(query_param("use_cursor", "true"))
        .and(body_json(
            serde_json::json!({"metadata": {"a": 1}, "override": false}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "c1"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "/v1", AuthStyle::Header("X-Api-Key"), |_| {});
    let request = Request::patch(Operation::UpdateCall, ["calls", "c1"])
        .query("use_cursor", true)
        .query_opt("absent", None::<u32>)
        .json(&serde_json::json!({"metadata": {"a": 1}, "override": false}));
    client.send(request).await.unwrap();
}

#[tokio::test]
async fn path_segments_are_percent_encoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/calls/a%2F..%2Fb"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "x"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "/v1", AuthStyle::Bearer, |_| {});
    client
        .send(Request::get(Operation::GetCall, ["calls", "a/../b"]))
        .await
        .unwrap();
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let server = MockServer::start().await;
    get_fails_then_succeeds(&server, 503, 2).await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(4));
    reads_the_ok_call(&client).await;
}

/// GETs answered `status` `times` times, then once 200 with the call `ok`.
async fn get_fails_then_succeeds(server: &MockServer, status: u16, times: u64) {
    get_answered_then_succeeds(server, ResponseTemplate::new(status), times).await;
}

/// GETs answered `answer` `times` times, then once 200 with the call `ok`.
async fn get_answered_then_succeeds(server: &MockServer, answer: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .respond_with(answer)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "ok"})))
        .expect(1)
        .mount(server)
        .await;
}

/// Reads call 1, which is the call `ok`.
async fn reads_the_ok_call(client: &voiceport_core::http::HttpClient) {
    let response = client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap();
    assert_eq!(response.json::<Thing>().unwrap().id, "ok");
}

/// An answer's `x-should-retry` (what Stainless-built APIs send, and Retell's SDK follows)
/// decides over the status: `false` stops the retries of a 503, `true` has a 409 of a
/// read sent again, and nothing makes a dial that may have arrived go again.
#[tokio::test]
async fn the_vendor_s_x_should_retry_is_followed_where_retrying_is_safe() {
    let told = |status: u16, retry: &str| {
        ResponseTemplate::new(status).insert_header("x-should-retry", retry)
    };
    // `false`: one attempt of a read the status alone would retry.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(told(503, "false"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(4));
    let err = client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { status: 503, .. }), "{err:?}");
    drop(server);

    // `true` (in any case): a read refused 409, which the status alone would not retry.
    let server = MockServer::start().await;
    get_answered_then_succeeds(&server, told(409, "True"), 1).await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(4));
    reads_the_ok_call(&client).await;
    drop(server);

    // `true` on a dial that may have arrived (a 503): never sent again.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(told(503, "true"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(4));
    let dial = Request::post(Operation::Dial, ["calls"]).not_retried_after_send();
    let err = client.send(dial).await.unwrap_err();
    assert_eq!(err.outcome(), RequestOutcome::Unknown, "{err:?}");
}

/// A 408 (the vendor stopped waiting for the request) is retried for a read, as RFC 9110
/// allows, and never for a dial.
#[tokio::test]
async fn a_408_is_retried_for_reads_only() {
    let server = MockServer::start().await;
    get_fails_then_succeeds(&server, 408, 1).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(408))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(3));
    reads_the_ok_call(&client).await;
    let err = client
        .send(Request::post(Operation::Dial, ["calls"]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedStatus { status: 408, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

/// A write whose first attempt may have taken effect (a 502), then refused outright on
/// every retry (429): the error is the attempt that may have taken effect, whose outcome
/// is unknown, not the last refusal's "not applied". A read reports its last error.
#[tokio::test]
async fn a_write_refused_after_an_attempt_that_may_have_applied_is_not_said_unapplied() {
    // A 429 or a 408 (the server gave up waiting for the request) is no word on the
    // request itself: the 502 before it may have applied it.
    for unheard in [429, 408] {
        let server = MockServer::start().await;
        for verb in ["PATCH", "GET"] {
            Mock::given(method(verb))
                .respond_with(ResponseTemplate::new(502))
                .up_to_n_times(1)
                .mount(&server)
                .await;
            Mock::given(method(verb))
                .respond_with(ResponseTemplate::new(unheard))
                .mount(&server)
                .await;
        }
        let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(3));
        let update = Request::patch(Operation::UpdateCall, ["calls", "c1"]);
        let err = client.send(update).await.unwrap_err();
        assert!(
            matches!(err, Error::Server { status: 502, .. }),
            "{unheard}: {err:?}"
        );
        assert_eq!(err.outcome(), voiceport_core::RequestOutcome::Unknown);
        let read = client.send(Request::get(Operation::GetCall, ["calls", "c1"]));
        let err = read.await.unwrap_err();
        let status = match err {
            Error::RateLimited { .. } => 429,
            Error::UnexpectedStatus { status, .. } => status,
            other => panic!("{other:?}"),
        };
        assert_eq!(status, unheard);
    }
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream broke"))
        .expect(3)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(3));
    let err = client
        .send(Request::get(Operation::ListCalls, ["calls"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server { status: 500, message: Some(m), .. } if m == "upstream broke"),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0.3"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "later"})))
        .expect(1)
        .mount(&server)
        .await;
    // The computed backoff would be 1 ms; only Retry-After explains a 300 ms wait.
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(3));
    let started = Instant::now();
    client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_beyond_the_budget_gives_up_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(5));
    // At once: a client that waited out the hour first would fail here, not hang CI.
    let send = client.send(Request::get(Operation::GetCall, ["calls", "1"]));
    let err = tokio::time::timeout(Duration::from_secs(10), send)
        .await
        .expect("gives up without waiting")
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(matches!(err, Error::RateLimited { .. }));
}

#[tokio::test]
async fn a_dial_is_never_retried_after_it_was_sent() {
    for status in [429u16, 500, 502, 503] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).insert_header("retry-after", "0"))
            .expect(1)
            .mount(&server)
            .await;
        let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(5));
        let request = Request::post(Operation::Dial, ["dial", "outbound"])
            .json(&serde_json::json!({"phone_number": "+14155550123"}))
            .not_retried_after_send();
        let err = client.send(request).await.unwrap_err();
        let expected = if status == 429 {
            RequestOutcome::NotApplied
        } else {
            RequestOutcome::Unknown
        };
        assert_eq!(err.outcome(), expected, "HTTP {status}");
    }
}

#[tokio::test]
async fn a_dial_that_times_out_is_not_retried_and_its_outcome_is_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .expect(1)
        .mount(&server)
        .await;
    // Three seconds: connecting (given four fifths of it) ends in time on a loaded machine,
    // so the timeout is the answer's, after the request was sent.
    let client = client_for(&server, "", AuthStyle::Bearer, |c| {
        fast_retries(5)(c);
        c.timeout_secs = Some(3.0);
    });
    let request = Request::post(Operation::Dial, ["dial"]).not_retried_after_send();
    let err = client.send(request).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { sent: true, .. }), "{err:?}");
    assert_eq!(err.outcome(), RequestOutcome::Unknown);
}

#[tokio::test]
async fn reads_that_time_out_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(10)))
        .expect(2)
        .mount(&server)
        .await;
    // As above: each attempt is sent, then times out waiting for the answer.
    let client = client_for(&server, "", AuthStyle::Bearer, |c| {
        fast_retries(2)(c);
        c.timeout_secs = Some(3.0);
    });
    let err = client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { sent: true, .. }), "{err:?}");
}

/// A vendor's longer wait for a slow endpoint replaces the connection's default timeout,
/// never a configured one, and never shortens it.
#[tokio::test]
async fn a_vendor_s_wait_lengthens_the_default_timeout_only() {
    let server = MockServer::start().await;
    for (tail, delay) in [("slow", 2_500), ("brisk", 300)] {
        Mock::given(method("GET"))
            .and(path(format!("/{tail}")))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(delay)))
            .mount(&server)
            .await;
    }
    let client = |millis: u64, configured: bool| {
        let settings = HttpSettings {
            timeout: Duration::from_millis(millis),
            timeout_configured: configured,
            retry: RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
            ..HttpSettings::default()
        };
        let auth = Auth::new(AuthStyle::Bearer, SecretString::from("k"), "api_key").unwrap();
        HttpClient::new(
            ProviderKind::Retell,
            &server.uri(),
            "base_url",
            auth,
            settings,
        )
        .unwrap()
    };
    let waiting = |tail: &str, millis: u64| {
        Request::get(Operation::ListCalls, [tail]).vendor_timeout(Duration::from_millis(millis))
    };
    // 2.5 s, past the default 1 s but within the vendor's 10 s: the default is lengthened.
    // (A second, not less: connecting takes part of it, which a loaded machine may slow.)
    let slow = waiting("slow", 10_000);
    assert_eq!(client(1_000, false).send(slow).await.unwrap().status, 200);
    // A configured timeout holds.
    let slow = waiting("slow", 10_000);
    let err = client(1_000, true).send(slow).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { sent: true, .. }), "{err:?}");
    // 300 ms, past the vendor's 20 ms but well within the default 2 s: a vendor's wait
    // never shortens the default (shortened, it would time out at 20 ms).
    let brisk = waiting("brisk", 20);
    assert_eq!(client(2_000, false).send(brisk).await.unwrap().status, 200);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_dial() {
    let refusing = RefusingPort::new();
    let client = loopback_client(refusing.port(), fast_retries(3));
    // A path that holds a secret, as a Vapi control URL does.
    let secret_path = ["calls", "ctl-7f3b9d2e-s3cr3t", "control"];
    let (err, logs) = capture_logs(|_| async {
        let dial = Request::post(Operation::Dial, secret_path).not_retried_after_send();
        // Only against a hang: a refusal is no timeout, and the backoff is milliseconds.
        tokio::time::timeout(HANG_GUARD, client.send(dial))
            .await
            .expect("a refused connection hung")
            .unwrap_err()
    })
    .await;
    // Every attempt was made: two retries after the first refusal, then the last one.
    let log = logs.join("\n");
    assert_eq!(log.matches("retrying").count(), 2, "{log}");
    assert_eq!(log.matches("giving up").count(), 1, "{log}");
    assert!(
        matches!(err, Error::Transport { sent: false, .. }),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
    // Nothing of the URL is in the error's text, its `Debug` or its causes.
    let mut texts = vec![err.to_string(), format!("{err:?}")];
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        texts.push(format!("{cause} {cause:?}"));
        source = cause.source();
    }
    for text in texts {
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}

/// An interrupted [`Interrupt`] stops a dial not sent yet: its first attempt, and the retry
/// after a refused connection. Other requests go on.
#[tokio::test]
async fn an_interrupt_stops_a_dial_not_sent_yet() {
    use voiceport_core::Interrupt;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"id": "c1"})))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "c1"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, |_| {});
    let interrupt = Interrupt::new();
    interrupt.interrupt();
    let dial = Request::post(Operation::Dial, ["calls"]).not_retried_after_send();
    let err = interrupt.run(client.send(dial)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Interrupted {
                operation: Operation::Dial,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
    assert!(!err.is_retryable());
    let read = Request::get(Operation::GetCall, ["calls", "c1"]);
    assert!(interrupt.run(client.send(read)).await.is_ok());

    // Refused at connect, then interrupted during the wait before the retry (300 s or more):
    // the wait ends, and no second try is made. Waited out, the backoff would outlast the
    // guard against hangs many times over, failing the test.
    let refusing = RefusingPort::new();
    let client = loopback_client(refusing.port(), |config| {
        config.retry.max_attempts = Some(3);
        config.retry.initial_backoff_ms = Some(600_000);
        config.retry.max_backoff_ms = Some(600_000);
        config.retry.max_elapsed_secs = Some(3_600.0);
    });
    let interrupt = Interrupt::new();
    let (err, logs) = capture_logs(|captured| async move {
        let dial = Request::post(Operation::Dial, ["calls"]).not_retried_after_send();
        let dialing = interrupt.run(client.send(dial));
        tokio::pin!(dialing);
        // Refused, and waiting to retry (however long the refusal took to come).
        let refused = tokio::select! {
            result = &mut dialing => Some(result),
            () = captured.wait_for("retrying") => None,
        };
        assert!(refused.is_none(), "still waiting to retry: {refused:?}");
        interrupt.interrupt();
        tokio::time::timeout(HANG_GUARD, dialing)
            .await
            .expect("the interrupt did not end the wait before the retry")
            .unwrap_err()
    })
    .await;
    assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
    let log = logs.join("\n");
    assert_eq!(log.matches("retrying").count(), 1, "{log}");
    assert!(log.contains("interrupted: the dial is not sent"), "{log}");
}

/// A 200 whose body breaks off (announces 1000 bytes, sends 11 and hangs up): the vendor
/// answered, so the request took effect. A read (a GET, or a read the vendor takes as a
/// POST) is tried again; a write, even one safe to repeat, is not (ending a call again
/// would be refused as "not in progress"), nor is a dial, and either says it was applied.
#[tokio::test]
async fn a_success_whose_body_breaks_off_was_applied_and_only_a_read_is_tried_again() {
    let cut_answer = || async {
        raw_server(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"calls\": [".to_vec(),
            Duration::ZERO,
        )
        .await
    };
    let (port, accepted) = cut_answer().await;
    let client = loopback_client(port, fast_retries(3));
    let err = client
        .send(Request::get(Operation::ListCalls, ["calls"]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::AnswerCut {
                status: 200,
                received: 11,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(err.to_string().contains("answered 200"), "{err}");

    let writes = [
        (
            Operation::EndCall,
            Request::post(Operation::EndCall, ["calls", "c1", "end"]),
        ),
        (
            Operation::Dial,
            Request::post(Operation::Dial, ["calls"]).not_retried_after_send(),
        ),
    ];
    for (operation, request) in writes {
        let (port, accepted) = cut_answer().await;
        let client = loopback_client(port, fast_retries(3));
        let err = client.send(request).await.unwrap_err();
        assert!(
            matches!(err, Error::AnswerCut { .. }),
            "{operation}: {err:?}"
        );
        assert_eq!(err.outcome(), RequestOutcome::Applied, "{operation}");
        assert!(!err.is_retryable(), "{operation}");
        assert_eq!(
            accepted.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{operation}"
        );
    }

    // A write whose answer is not read: done is done, whatever became of the body.
    let (port, accepted) = cut_answer().await;
    let client = loopback_client(port, fast_retries(3));
    let ended = Request::post(Operation::EndCall, ["calls", "c1", "end"]);
    assert!(client.send_only(ended).await.is_ok());
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);

    // A GET is a read whatever the operation it serves (an extension's, a look before a
    // write): tried again.
    let (port, accepted) = cut_answer().await;
    let client = loopback_client(port, fast_retries(3));
    let logs = Request::get(
        Operation::ExtensionRead("call_logs"),
        ["calls", "c1", "logs"],
    );
    let err = client.send(logs).await.unwrap_err();
    assert!(
        matches!(err, Error::AnswerCut { read: true, .. }),
        "{err:?}"
    );
    // A vendor's read is as safe to try again as a get.
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);

    // A read sent as a POST (Retell lists calls with `POST /v3/list-calls`) is a read:
    // tried again, and not said to have taken effect.
    let (port, accepted) = cut_answer().await;
    let client = loopback_client(port, fast_retries(3));
    let list = Request::post(Operation::ListCalls, ["v3", "list-calls"]);
    let err = client.send(list).await.unwrap_err();
    assert!(
        matches!(err, Error::AnswerCut { read: true, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable(), "{err:?}");
    assert!(!err.to_string().contains("took effect"), "{err}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_body_cap_is_enforced() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, |c| {
        c.max_body_bytes = Some(1024)
    });
    let err = client
        .send(Request::get(Operation::ListCalls, ["calls"]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1024, .. }),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::Applied);
    // A write whose answer is not read is done, however large that answer.
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    let delete = Request::delete(Operation::DeleteCall, ["calls", "c1"]);
    client.send_only(delete).await.unwrap();
}

#[tokio::test]
async fn decode_errors_carry_the_json_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id": 42}"#))
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, |_| {});
    let response = client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap();
    let err = response.json::<Thing>().unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, excerpt, .. } if path == "id" && excerpt.contains("42")),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirects_are_not_followed_and_are_errors_naming_the_host() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calls/1/mono-recording"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", "https://bucket.example/rec.wav?sig=1"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Header("X-API-Key"), |_| {});
    let err = client
        .send(Request::get(
            Operation::GetRecording,
            ["calls", "1", "mono-recording"],
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Redirected { status: 302, location: Some(host), .. } if host == "bucket.example"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("redirected (HTTP 302) to bucket.example"),
        "{text}"
    );
    assert!(text.contains("not followed"), "{text}");
    // Never the path or query of the target, which may carry a signature.
    assert!(
        !text.contains("sig=1") && !text.contains("rec.wav"),
        "{text}"
    );
}

/// Every error the client returns is masked, not only the bodies it reads: a redirect
/// whose target host spells the key (no body is read from a redirect) names that host
/// with the key hidden.
#[tokio::test]
async fn an_error_built_from_headers_is_masked_too() {
    let server = MockServer::start().await;
    let target = format!("https://{}.files.example/x", SECRET.to_ascii_lowercase());
    Mock::given(method("GET"))
        .and(path("/calls/1"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", target.as_str()))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Header("X-API-Key"), |_| {});
    let err = client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Redirected { .. }), "{err:?}");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(&SECRET.to_ascii_lowercase()), "{text}");
        assert!(text.contains("[REDACTED].files.example"), "{text}");
    }
}

#[tokio::test]
async fn every_redirect_status_is_an_error_and_a_dial_outcome_is_unknown() {
    for status in [301u16, 302, 303, 307, 308] {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(status).insert_header("location", "/v2/elsewhere"))
            .mount(&server)
            .await;
        let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(3));
        // A write: ending, cancelling or deleting a call must not look done.
        let err = client
            .send(Request::delete(Operation::DeleteCall, ["calls", "c1"]))
            .await
            .unwrap_err();
        let own_host = server.address().to_string();
        assert!(
            matches!(&err, Error::Redirected { location: Some(host), .. } if *host == own_host),
            "HTTP {status}: {err:?}"
        );
        // A dial: the call may exist, and the dial was sent once.
        let request = Request::post(Operation::Dial, ["dial"])
            .json(&serde_json::json!({"to": "+14155550123"}))
            .not_retried_after_send();
        let err = client.send(request).await.unwrap_err();
        assert!(matches!(err, Error::Redirected { .. }), "{err:?}");
        assert_eq!(err.outcome(), RequestOutcome::Unknown, "HTTP {status}");
        assert!(!err.is_retryable());
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "HTTP {status}"
        );
    }
}

#[tokio::test]
async fn dot_empty_and_control_segments_are_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let client = client_for(&server, "/api/v1", AuthStyle::Bearer, |_| {});
    let bad = [".", "..", "", "a\nb", "\u{1b}[2J", "x\u{7f}"];
    for segment in bad {
        for segments in [
            vec!["calls", segment],
            vec!["calls", "c1", "notes", segment],
            vec![segment, "c1"],
        ] {
            let err = client
                .send(Request::delete(Operation::DeleteNote, segments.clone()))
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::InvalidRequest { status: None, .. }),
                "{segments:?}: {err:?}"
            );
            assert!(err.is_refused_locally(), "{segments:?}");
            assert_eq!(err.outcome(), RequestOutcome::NotApplied);
            // The refused value is quoted escaped: no raw control character reaches a terminal.
            assert!(!err.to_string().chars().any(char::is_control), "{err}");
        }
    }
    // And cut short: a megabyte segment makes no megabyte error.
    let long = format!("\u{1b}{}", "x".repeat(1 << 20));
    let refused = client.send(Request::delete(
        Operation::DeleteNote,
        ["calls", long.as_str()],
    ));
    let said = refused.await.unwrap_err().to_string();
    assert!(said.len() < 400, "{} bytes", said.len());
    assert!(said.contains("(1048497 more characters)"), "{said}");
    // `...` and percent signs are ordinary segments.
    Mock::given(method("GET"))
        .and(path("/api/v1/calls/..."))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "x"})))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    client
        .send(Request::get(Operation::GetCall, ["calls", "..."]))
        .await
        .unwrap();
}

#[tokio::test]
async fn statuses_map_to_error_kinds_with_vendor_details() {
    let rounded_400 = serde_json::json!({
        "message": "Bad request", "data": null, "status": 400,
        "error": {"details": [{"field": "to_number", "message": "Invalid phone number"}],
                  "message": "Validation failed", "status": 400, "type": "generic_error"}
    });
    let cases: Vec<(u16, ResponseTemplate)> = vec![
        (400, ResponseTemplate::new(400).set_body_json(rounded_400)),
        (401, ResponseTemplate::new(401).set_body_json(serde_json::json!({"message": "Invalid API key"}))),
        (403, ResponseTemplate::new(403)),
        (404, ResponseTemplate::new(404).set_body_json(serde_json::json!({"detail": "Call not found"}))),
        (409, ResponseTemplate::new(409)),
        (422, ResponseTemplate::new(422).set_body_json(serde_json::json!({"detail": [{"loc": ["body", "name"], "msg": "too long", "type": "x"}]}))),
        (429, ResponseTemplate::new(429).insert_header("retry-after", "120")),
        (500, ResponseTemplate::new(500)),
        (418, ResponseTemplate::new(418)),
    ];
    for (status, template) in cases {
        let err = error_from(template, AuthStyle::Header("X-Api-Key"), |_| {}).await;
        match (status, &err) {
            (
                400,
                Error::InvalidRequest {
                    status: Some(400),
                    message,
                    details,
                    ..
                },
            ) => {
                assert_eq!(message, "Validation failed");
                assert_eq!(
                    details,
                    &vec![FieldError {
                        field: "to_number".into(),
                        message: "Invalid phone number".into()
                    }]
                );
            }
            (
                401,
                Error::Unauthorized {
                    status: 401,
                    message: Some(m),
                    ..
                },
            ) => assert_eq!(m, "Invalid API key"),
            (403, Error::Unauthorized { status: 403, .. }) => {}
            (
                404,
                Error::NotFound {
                    message: Some(m), ..
                },
            ) => assert_eq!(m, "Call not found"),
            (409, Error::Conflict { .. }) => {}
            (
                422,
                Error::InvalidRequest {
                    status: Some(422),
                    details,
                    ..
                },
            ) => assert_eq!(details[0].field, "name"),
            (
                429,
                Error::RateLimited {
                    retry_after: Some(d),
                    ..
                },
            ) => assert_eq!(*d, Duration::from_secs(120)),
            (500, Error::Server { status: 500, .. }) => {}
            (418, Error::UnexpectedStatus { status: 418, .. }) => {}
            _ => panic!("HTTP {status} mapped to {err:?}"),
        }
        assert_eq!(err.provider(), Some(ProviderKind::HappyRobot));
        assert_eq!(err.operation(), Some(Operation::GetCall));
    }
}

#[tokio::test]
async fn the_key_never_appears_in_errors_or_logs() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("bad key"))
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(1));
    let (err, logs) = capture_logs(|_| async {
        client
            .send(Request::get(Operation::GetCall, ["calls", "1"]).call_id("1"))
            .await
            .unwrap_err()
    })
    .await;
    assert!(!logs.is_empty(), "tracing captured nothing");
    assert!(logs.iter().any(|l| l.contains("get_call")), "{logs:?}");
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{client:?}"),
        logs.join("\n"),
    ] {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
    }
    let config = config_for(&server.uri(), |_| {});
    assert!(!format!("{config:?}").contains(SECRET));
}

#[tokio::test]
async fn a_key_the_vendor_echoes_is_masked_in_every_error_and_body() {
    // A prefix of the key is as bad as the key: check a piece of each end too.
    let pieces = [SECRET, "sk-test-9f8e", "7d6c5b4a"];
    let leaked = |text: &str| pieces.iter().any(|p| text.contains(p));
    // The key straddling the 300-character cut of a long message.
    let long = format!("{} key {SECRET}", "x".repeat(280));
    let cases: Vec<(u16, ResponseTemplate)> = vec![
        (401, ResponseTemplate::new(401).set_body_json(serde_json::json!({"message": format!("Invalid API key: {SECRET}")}))),
        (403, ResponseTemplate::new(403).set_body_string(format!("forbidden for key {SECRET}"))),
        (401, ResponseTemplate::new(401).set_body_json(serde_json::json!({"message": long}))),
        (400, ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {"message": "Validation failed",
                      "details": [{"field": SECRET, "message": format!("key {SECRET} has no access")}]}}))),
        (422, ResponseTemplate::new(422).set_body_json(serde_json::json!({"detail": [{"loc": ["body", SECRET], "msg": SECRET}]}))),
        (500, ResponseTemplate::new(500).set_body_string(format!("<pre>Authorization: Bearer {SECRET}</pre>"))),
    ];
    for (status, template) in cases {
        let err = error_from(template, AuthStyle::Bearer, |_| {}).await;
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!leaked(&text), "HTTP {status}: key leaked: {text}");
        }
        assert!(
            err.to_string().contains("[REDACTED]"),
            "HTTP {status}: {err}"
        );
    }

    // A 2xx body that echoes the key: masked in the body, and so in a decode error.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(format!(r#"{{"id": 7, "note": "your key is {SECRET}"}}"#)),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Header("X-Api-Key"), |_| {});
    let response = client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap();
    assert!(!leaked(&String::from_utf8_lossy(&response.body)));
    let err = response.json::<Thing>().unwrap_err();
    assert!(!leaked(&err.to_string()), "{err}");
    let value: serde_json::Value = response.json().unwrap();
    assert_eq!(value["note"], "your key is [REDACTED]");
}

/// The provider's webhook secret is hidden as the key is: HappyRobot's calls repeat the
/// headers configured on a use case's hooks, and an error quoting the body beside them
/// would quote it. In a 2xx body before anything reads it, and in an error's text.
#[tokio::test]
async fn a_webhook_secret_the_vendor_sends_back_is_hidden_as_the_key_is() {
    const HOOK_SECRET: &str = "whk_live_7Qm2Lx9Pz4";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calls/1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"id": "1", "use_case": {{"hooks": [{{"headers": [{{"key": "x-hook-token", "value": "{HOOK_SECRET}"}}]}}]}}}}"#
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/calls/2"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "message": format!("hook header value {HOOK_SECRET} is not allowed")
        })))
        .mount(&server)
        .await;
    // A client of a HappyRobot account with `webhook` as its webhook table, if any.
    let client_with = |webhook: Option<String>| {
        let mut config = ProviderConfig::new(ProviderKind::HappyRobot)
            .with_api_key("hr-key-3b8f61c2")
            .with_base_url(server.uri());
        config.webhook = webhook.map(|table| toml::from_str(&table).unwrap());
        (config.http_client("https://unused.example", AuthStyle::Bearer)).unwrap()
    };
    // The body of call 1 as `client` reads it.
    let body_of = async |client: &HttpClient| {
        let response = (client.send(Request::get(Operation::GetCall, ["calls", "1"])))
            .await
            .unwrap();
        String::from_utf8_lossy(&response.body).into_owned()
    };
    let client = client_with(Some(format!(
        "verify = \"header\"\nheader = \"x-hook-token\"\nsecret = \"{HOOK_SECRET}\"\n"
    )));
    let body = body_of(&client).await;
    assert!(!body.contains(HOOK_SECRET), "{body}");
    assert!(body.contains("[REDACTED]"), "{body}");
    let err = (client.send(Request::get(Operation::GetCall, ["calls", "2"])))
        .await
        .unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(HOOK_SECRET), "{text}");
    }
    // A secret too short to tell from the vendor's own words (`status`, `id`) is not
    // hidden: it would rewrite them.
    let short = client_with(Some("header = \"x-hook-token\"\nsecret = \"id\"\n".into()));
    assert!(body_of(&short).await.starts_with(r#"{"id": "1""#));
    // Without a webhook table, nothing else is hidden: the same body comes as it was.
    assert!(body_of(&client_with(None)).await.contains(HOOK_SECRET));
}

#[tokio::test]
async fn a_body_announced_over_the_cap_is_refused_before_it_is_read() {
    // Announces 10^15 bytes, then sends nothing: a reader that waited for the body would
    // time out instead.
    let (port, _) = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000000000\r\n\r\n".to_vec(),
        STALL,
    )
    .await;
    let list = Request::get(Operation::ListCalls, ["calls"]);
    let err = error_unhurried(port, list, "the body was waited for").await;
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
}

/// The error of a get-call request, sent once with `style` from a client set by `tweak`,
/// to a server that answers every `GET` with `template`.
async fn error_from(
    template: ResponseTemplate,
    style: AuthStyle,
    tweak: impl Fn(&mut ProviderConfig),
) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(template)
        .mount(&server)
        .await;
    let config = |c: &mut ProviderConfig| {
        fast_retries(1)(c);
        tweak(c);
    };
    client_for(&server, "", style, config)
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap_err()
}

/// How long a test waits before calling a request hung: far beyond any loaded machine's
/// delays, far short of the waits the behaviour under test must not make (ten minutes).
const HANG_GUARD: Duration = Duration::from_secs(120);

/// How long a [`raw_server`] that stalls holds a connection: far past [`HANG_GUARD`].
const STALL: Duration = Duration::from_secs(3_600);

/// The error of `request`, sent once with a 600 s timeout to the server on `port`: a
/// reader that waited for the body would wait that out, far past [`HANG_GUARD`], and fail
/// the test with `hung`.
async fn error_unhurried(port: u16, request: Request, hung: &str) -> Error {
    let client = loopback_client(port, |c| {
        fast_retries(1)(c);
        c.timeout_secs = Some(600.0);
    });
    tokio::time::timeout(HANG_GUARD, client.send(request))
        .await
        .expect(hung)
        .unwrap_err()
}

fn fast_retries(attempts: u32) -> impl Fn(&mut ProviderConfig) {
    move |config: &mut ProviderConfig| {
        config.retry.max_attempts = Some(attempts);
        config.retry.initial_backoff_ms = Some(1);
        config.retry.max_backoff_ms = Some(5);
        config.retry.max_elapsed_secs = Some(10.0);
    }
}

/// A dial is never sent twice once it may have arrived, even when its adapter forgot to
/// say so (`not_retried_after_send`): a 503 is not retried for it, as it is for a read.
#[tokio::test]
async fn a_dial_is_not_retried_after_send_by_default() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(3));
    let dial = Request::post(Operation::Dial, ["calls"]);
    assert_eq!(
        dial.retry_mode(),
        voiceport_core::http::RetryMode::NotAfterSend
    );
    let err = client.send(dial).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 503, .. }), "{err:?}");
    assert_eq!(err.outcome(), RequestOutcome::Unknown);
}

/// A delete retried after an attempt that may have done it (a 503 after sending) and then
/// answered not-found succeeded; a delete answered not-found at once stays not found.
#[tokio::test]
async fn a_delete_that_finds_its_work_done_on_a_retry_succeeded() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/calls/gone"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404))
        .expect(2)
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(3));
    let delete = |id: &str| Request::delete(Operation::DeleteCall, ["calls", id]).done_if_gone();
    let done = client.send(delete("gone")).await.unwrap();
    assert_eq!(done.status, 204);
    assert!(done.body.is_empty());
    let err = client.send(delete("never")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// A vendor whose not-found is another status (Retell's 422) declares it per request: that
/// status is then `NotFound` with the vendor's message; a request without it keeps the
/// usual mapping, and a 404 is not found either way.
#[tokio::test]
async fn a_request_names_its_vendors_not_found_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calls/missing"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_string(r#"{"message": "Cannot find requested asset"}"#),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/calls/gone"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, fast_retries(3));
    let get = |id: &str| Request::get(Operation::GetCall, ["calls", id]);
    let err = client
        .send(get("missing").not_found_status(422))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { message: Some(m), .. } if m == "Cannot find requested asset"),
        "{err:?}"
    );
    let err = client.send(get("missing")).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidRequest {
                status: Some(422),
                ..
            }
        ),
        "{err:?}"
    );
    let err = client
        .send(get("gone").not_found_status(422))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// A connection that is never made ends as a connect error, known not sent, even when the
/// attempt's timeout is shorter than the connect timeout: a dial can then go elsewhere.
/// (A listening socket whose accept queue is full drops new connections' SYNs, so they
/// hang as to an unreachable host.)
#[tokio::test]
async fn a_connection_never_made_is_not_sent_whatever_the_timeouts() {
    let (listener, held) = full_accept_queue().await;
    let addr = listener.local_addr().unwrap();
    let client = loopback_client(addr.port(), |config| {
        // Connecting gets four seconds of these five (a second to spare on a slow
        // machine), not the 600 s asked: only that cut ends the attempt within the guard.
        config.timeout_secs = Some(5.0);
        config.connect_timeout_secs = Some(600.0);
        // One attempt: a connection refused or never made is retried otherwise.
        config.retry.max_attempts = Some(1);
    });
    let dial = client.send(Request::post(Operation::Dial, ["calls"]));
    let err = tokio::time::timeout(HANG_GUARD, dial)
        .await
        .expect("the attempt outlived its timeout")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout { sent: false, .. } | Error::Transport { sent: false, .. }
        ),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
    drop((held, listener));
}

/// A request sent to another base of the same vendor over plain http, from a client of an
/// https API (which may use a proxy from the environment), is refused before sending.
#[tokio::test]
async fn a_plain_http_base_is_refused_on_a_client_of_an_https_api() {
    let client = config_for("https://api.example.invalid", |config| {
        config.allow_insecure_http = true;
    })
    .http_client("https://unused.example", AuthStyle::Bearer)
    .unwrap();
    let control = url::Url::parse("http://control.example.invalid/x/control").unwrap();
    let err = client
        .send(Request::post(Operation::EndCall, [""; 0]).with_base(control))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { status: None, message, .. } if message.contains("plain-http")),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
}

/// A dial whose interrupt is set off while its connection is being made is not sent on
/// that connection: the connection is dropped before a byte of the request is written,
/// and the dial fails as interrupted. (The connection hangs on a full accept queue, whose
/// place is freed after the throw, so that it is made then.) Linux only: it relies on
/// Linux dropping the SYNs to a full accept queue, and reads the socket states from the
/// kernel's TCP table (procfs `net/tcp`).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_dial_interrupted_while_connecting_is_not_sent() {
    use tokio::io::AsyncReadExt;
    let (listener, held) = full_accept_queue().await;
    let addr = listener.local_addr().unwrap();
    let client = loopback_client(addr.port(), |config| {
        config.timeout_secs = Some(20.0);
        config.connect_timeout_secs = Some(15.0);
    });
    // So that the SYN_SENT seen below is the dial's.
    assert!(!syn_sent_to(addr.port()), "a connection is already waiting");
    let interrupt = voiceport_core::Interrupt::new();
    let dial = tokio::spawn(interrupt.run(async move {
        client
            .send(Request::post(Operation::Dial, ["calls"]).json(&serde_json::json!({})))
            .await
    }));
    // Thrown once the dial is connecting: its socket waits in SYN_SENT, its SYN dropped.
    let mut polls = 0;
    while !syn_sent_to(addr.port()) {
        polls += 1;
        assert!(polls < 1_000, "the dial never started connecting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    interrupt.interrupt();
    // Free the queue: the dial's connection is made at its next attempt to connect.
    for _ in 0..held.len() {
        let _ = listener.accept().await.unwrap();
    }
    let (mut connection, _) = tokio::time::timeout(Duration::from_secs(15), listener.accept())
        .await
        .expect("the dial's connection is made once there is room")
        .unwrap();
    let mut first = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), connection.read(&mut first)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the dial was written on a connection made after the interrupt: {read:?}"
    );
    let result = tokio::time::timeout(Duration::from_secs(15), dial)
        .await
        .expect("the dial ends")
        .unwrap();
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
    drop(held);
}

/// Whether a socket of this machine is in SYN_SENT towards `port` on 127.0.0.1 (from
/// the kernel's TCP table, procfs `net/tcp`: addresses in hex, the IPv4 one
/// little-endian; state 02 is SYN_SENT).
#[cfg(target_os = "linux")]
fn syn_sent_to(port: u16) -> bool {
    let remote = format!("0100007F:{port:04X}");
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(2) == Some(&remote.as_str()) && fields.get(3) == Some(&"02")
    })
}

/// A listener on the loopback whose accept queue is full (the connections filling it held,
/// never accepted): a new connection to it hangs, its SYNs dropped, as to an unreachable
/// host, until a place is freed by accepting one.
async fn full_accept_queue() -> (tokio::net::TcpListener, Vec<tokio::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    loop {
        let connect = tokio::net::TcpStream::connect(addr);
        // A loopback connection with room is made at once; one that hangs a second has none.
        match tokio::time::timeout(Duration::from_secs(1), connect).await {
            Ok(stream) => held.push(stream.unwrap()),
            Err(_) => break,
        }
        assert!(held.len() < 64, "the accept queue never filled");
    }
    (listener, held)
}

/// Every dial makes a connection of its own (kept by nobody after): one taken from a pool
/// could carry a dial interrupted while it waited for it. Reads share theirs.
#[tokio::test]
async fn each_dial_makes_its_own_connection() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    // Answers every request on a connection with a small JSON body, keeping it open.
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                let mut held = Vec::new();
                loop {
                    let Ok(read) = stream.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    held.extend_from_slice(&buffer[..read]);
                    // A request without a body, or with `{}`: answered once its head is in.
                    while let Some(end) = held.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&held[..end]).to_ascii_lowercase();
                        let body = if head.contains("content-length: 2") {
                            2
                        } else {
                            0
                        };
                        if held.len() < end + 4 + body {
                            break;
                        }
                        held.drain(..end + 4 + body);
                        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"id\":\"c\"}\n";
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    let client = loopback_client(port, |_| {});
    for _ in 0..2 {
        client
            .send(Request::get(Operation::GetCall, ["calls", "c"]))
            .await
            .unwrap();
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "reads share a connection"
    );
    for _ in 0..2 {
        client
            .send(Request::post(Operation::Dial, ["calls"]).json(&serde_json::json!({})))
            .await
            .unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 3, "each dial connects");
}

// Hostile servers: what a vendor sends back (errors, redirects, bodies, decode paths) is
// bounded, flattened and masked, and what could never be sent is not retried.

/// Sets the body cap to 1,000 bytes, well under the error bodies the tests send.
fn small_body_cap(config: &mut ProviderConfig) {
    config.max_body_bytes = Some(1_000);
}

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
    let (err, logs) = capture_logs(|_| async {
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
    for (status, body, kept) in [(400, json, "line1"), (503, plain, "plain")] {
        let template = ResponseTemplate::new(status).set_body_string(body);
        let err = error_from(template, AuthStyle::Bearer, |_| {}).await;
        let text = err.to_string();
        let unsafe_char = |c: char| {
            c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        };
        assert!(!text.chars().any(unsafe_char), "HTTP {status}: {text:?}");
        assert!(text.contains(kept), "{text:?}");
    }
}

/// A redirect's error names where it pointed, with a host of bounded length.
#[tokio::test]
async fn a_redirect_to_a_huge_host_gives_a_short_error() {
    let host = format!("{}.example.com", vec!["a".repeat(60); 200].join("."));
    let template =
        ResponseTemplate::new(302).insert_header("location", format!("https://{host}/x"));
    let err = error_from(template, AuthStyle::Bearer, |_| {}).await;
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
    // Announces 10 MiB, sends 100 KiB of text, then nothing: a reader of the whole body
    // would wait for the rest until the timeout.
    let head: &[u8] =
        b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 10485760\r\n\r\n";
    let (port, _) = raw_server([head, &[b'x'; 100 * 1024]].concat(), STALL).await;
    let get = Request::get(Operation::GetCall, ["calls", "x"]);
    let err = error_unhurried(port, get, "the rest of the error body was waited for").await;
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
    let body = format!("Invalid phone number {}", "x".repeat(4_000));
    let template = ResponseTemplate::new(400).set_body_string(body);
    let err = error_from(template, AuthStyle::Bearer, small_body_cap).await;
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
        let template = ResponseTemplate::new(401).set_body_string(body);
        let err = error_from(template, AuthStyle::Bearer, small_body_cap).await;
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

/// A JSON body behind a UTF-8 byte-order mark (which some servers send) decodes: the mark
/// is no part of the JSON, and every decoder would refuse it.
#[tokio::test]
async fn a_byte_order_mark_before_the_json_is_left_out() {
    let server = MockServer::start().await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(br#"{"id": "ok"}"#);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    reads_the_ok_call(&client_for(&server, "/api/v1", AuthStyle::Bearer, |_| {})).await;
}

/// The captures above hold under `cargo test`, where tests are threads of one process: a
/// line first reached by a thread without a subscriber, while a capture is on, still
/// reaches the capture (see `keep_every_log_line_on`).
#[tokio::test]
async fn a_line_another_thread_reaches_first_is_still_captured() {
    fn probe(from: &str) {
        tracing::info!(from, "probe");
    }
    let ((), logs) = capture_logs(|_| async {
        std::thread::spawn(|| probe("a thread without a subscriber"))
            .join()
            .unwrap();
        probe("the capture");
    })
    .await;
    let log = logs.join("\n");
    assert!(log.contains("\"the capture\""), "{log}");
}

/// A TLS handshake that fails (here a plain-HTTP server behind an `https` base URL, as a
/// certificate refused or a proxy in the way would) fails the same way every time: not
/// retried, and not transient.
#[tokio::test]
async fn a_failed_tls_handshake_is_not_retried() {
    let (port, accepted) = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec(),
        Duration::from_millis(10),
    )
    .await;
    let client = config_for(&format!("https://127.0.0.1:{port}"), fast_retries(4))
        .http_client("https://unused.example", AuthStyle::Bearer)
        .unwrap();
    let err = client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap_err();
    let mut chain = vec![err.to_string()];
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        chain.push(format!("{cause} [{cause:?}]"));
        source = cause.source();
    }
    assert!(
        matches!(err, Error::Transport { sent: false, .. }),
        "{chain:#?}"
    );
    assert!(!err.is_transient(), "{chain:#?}");
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "{chain:#?}"
    );
}

/// A response's `Debug` shows its status, header names and body length, not the body (a
/// transcript, a phone number) nor header values.
#[tokio::test]
async fn a_response_s_debug_keeps_its_contents_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "session=abc123")
                .set_body_string(r#"{"to": "+14155550187"}"#),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, "", AuthStyle::Bearer, |_| {});
    let response = client
        .send(Request::get(Operation::GetCall, ["calls", "1"]))
        .await
        .unwrap();
    let shown = format!("{response:?}");
    assert!(
        shown.contains("200") && shown.contains("set-cookie"),
        "{shown}"
    );
    assert!(
        !shown.contains("14155550187") && !shown.contains("abc123"),
        "{shown}"
    );
}
