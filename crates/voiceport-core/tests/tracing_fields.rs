//! What the `voiceport.request` span records, as a `tracing-subscriber` subscriber sees it,
//! and that no log line carries the key.

mod support;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};

use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use voiceport_core::adapter::AdapterConfig;
use voiceport_core::http::{AuthStyle, HttpClient, Request};
use voiceport_core::{Operation, ProviderConfig, ProviderKind};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use support::RefusingPort;

const KEY: &str = "sk-live-7c1e9a4b2d8f6053";
const CALL: &str = "9b2f6a51-3c4d-4e8f-a1b2-c3d4e5f60718";

/// A span's fields: the last value recorded for each.
type Fields = HashMap<String, String>;

/// Every span opened, by name, with its fields.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(String, Fields)>>>);

struct Values<'a>(&'a mut Fields);

impl Visit for Values<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// Where a span's values are kept, in the registry's extensions.
struct Index(usize);

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut values = HashMap::new();
        attrs.record(&mut Values(&mut values));
        let mut spans = self.0.lock().unwrap();
        spans.push((attrs.metadata().name().to_owned(), values));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Index(spans.len() - 1));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let extensions = span.extensions();
        let Some(Index(index)) = extensions.get::<Index>() else {
            return;
        };
        let mut spans = self.0.lock().unwrap();
        values.record(&mut Values(&mut spans[*index].1));
    }
}

impl Spans {
    /// The fields of the only span named `name`.
    fn only(&self, name: &str) -> Fields {
        let spans = self.0.lock().unwrap();
        let found: Vec<_> = spans.iter().filter(|(n, _)| n == name).collect();
        assert_eq!(found.len(), 1, "{name}: {:?}", *spans);
        found[0].1.clone()
    }
}

/// What the `fmt` subscriber writes: the log a user reads.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

/// Runs `body` under a subscriber with both recorders: the spans' values, and the `fmt`
/// output at debug level with a line for each span's close (which shows its final fields).
async fn traced<T>(body: impl Future<Output = T>) -> (T, Spans, String) {
    support::keep_every_log_line_on();
    let spans = Spans::default();
    let log = Log::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone()).with(
        tracing_subscriber::fmt::layer()
            .with_writer(log.clone())
            .with_ansi(false)
            .with_span_events(FmtSpan::CLOSE),
    );
    let guard = tracing::subscriber::set_default(subscriber);
    let result = body.await;
    drop(guard);
    (result, spans, log.text())
}

fn client(server: &MockServer) -> HttpClient {
    let mut config = ProviderConfig::new(ProviderKind::Rounded)
        .with_api_key(KEY)
        .with_base_url(format!("{}/v1", server.uri()));
    config.retry.max_attempts = Some(3);
    config.retry.initial_backoff_ms = Some(20);
    config.retry.max_backoff_ms = Some(40);
    config
        .http_client("https://unused.example", AuthStyle::Header("X-Api-Key"))
        .unwrap()
}

fn get_call() -> Request {
    Request::get(Operation::GetCall, ["calls", CALL]).call_id(CALL)
}

#[tokio::test]
async fn the_request_span_records_attempts_status_delay_duration_and_call_id() {
    let server = MockServer::start().await;
    // Two 503s first (retried), then the call.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": CALL})))
        .mount(&server)
        .await;
    let client = client(&server);
    let (response, spans, log) = traced(client.send(get_call())).await;
    assert_eq!(response.unwrap().status, 200);

    let span = spans.only("voiceport.request");
    assert_eq!(span["provider"], "rounded", "{span:?}");
    assert_eq!(span["operation"], "get_call", "{span:?}");
    assert_eq!(span["method"], "GET", "{span:?}");
    assert_eq!(span["call_id"], CALL, "{span:?}");
    assert_eq!(span["attempt"], "3", "{span:?}");
    assert_eq!(span["status"], "200", "{span:?}");
    // The jittered backoff: between half and all of the 40 ms asked for the second wait
    // (the first asked for 20); `retry_wait_ms` holds both.
    let delay: u64 = span["retry_delay_ms"].parse().unwrap();
    assert!((20..=40).contains(&delay), "{span:?}");
    let waited: u64 = span["retry_wait_ms"].parse().unwrap();
    // (Each recorded in whole milliseconds.)
    assert!((delay + 9..=delay + 21).contains(&waited), "{span:?}");
    let duration: u64 = span["duration_ms"].parse().unwrap();
    assert!(duration >= waited, "{span:?}");

    // The fmt output shows the same fields, the final ones on the span's close.
    let close = log
        .lines()
        .find(|line| line.contains("close"))
        .unwrap_or_else(|| panic!("no close line: {log}"));
    for field in [
        format!("call_id=\"{CALL}\""),
        "attempt=3".into(),
        "status=200".into(),
        format!("retry_delay_ms={delay}"),
        format!("retry_wait_ms={waited}"),
        "duration_ms=".into(),
    ] {
        assert!(close.contains(&field), "{field}: {close}");
    }
    assert!(log.contains("retrying"), "{log}");
}

#[tokio::test]
async fn a_request_that_never_got_an_answer_has_no_status_and_one_without_a_call_no_call_id() {
    // A port nothing listens on: the connection is refused, so no response arrives. (A
    // dropped `MockServer` goes back to wiremock's pool, still listening, for another test.)
    let refusing = RefusingPort::new();
    let port = refusing.port();
    let mut config = ProviderConfig::new(ProviderKind::Rounded)
        .with_api_key(KEY)
        .with_base_url(format!("http://127.0.0.1:{port}/v1"));
    config.retry.max_attempts = Some(3);
    config.retry.initial_backoff_ms = Some(1);
    config.retry.max_backoff_ms = Some(2);
    let client = config
        .http_client("https://unused.example", AuthStyle::Header("X-Api-Key"))
        .unwrap();
    let request = Request::get(Operation::ListCalls, ["calls"]);
    let (result, spans, log) = traced(client.send(request)).await;
    assert!(result.is_err());
    // The log says why the connection failed, not only that it did.
    let giving_up = (log.lines().find(|line| line.contains("giving up")))
        .unwrap_or_else(|| panic!("no giving-up line: {log}"));
    assert!(
        giving_up.contains("cause=") && giving_up.to_lowercase().contains("refused"),
        "{giving_up}"
    );
    // And why it gave up: its three attempts were made.
    assert!(giving_up.contains("reason=\"attempts\""), "{giving_up}");
    let span = spans.only("voiceport.request");
    assert!(!span.contains_key("status"), "{span:?}");
    assert!(!span.contains_key("call_id"), "{span:?}");
    assert_eq!(span["attempt"], "3", "{span:?}");
    assert!(span.contains_key("duration_ms"), "{span:?}");

    // A dial is retried too while nothing was sent: every attempt was refused at connect.
    let dial = Request::post(Operation::Dial, ["calls"]).not_retried_after_send();
    let (result, spans, _) = traced(client.send(dial)).await;
    assert!(
        matches!(
            result,
            Err(voiceport_core::Error::Transport { sent: false, .. })
        ),
        "{result:?}"
    );
    assert_eq!(spans.only("voiceport.request")["attempt"], "3");
}

/// The vendor's id of the request, from its answer's `x-request-id` (else `request-id`,
/// else `cf-ray`), is recorded on the span and the response event: what its support asks
/// for. A line break in it is escaped, and an answer without one records none.
#[tokio::test]
async fn the_vendor_s_request_id_is_recorded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("cf-ray", "8e1f2a3b4c5d6e7f-SJC")
                .insert_header("x-request-id", "req_01JF8Q2M9X")
                .set_body_json(serde_json::json!({"id": CALL})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": CALL})))
        .mount(&server)
        .await;
    let client = client(&server);
    let (response, spans, log) = traced(client.send(get_call())).await;
    assert_eq!(response.unwrap().status, 200);
    let span = spans.only("voiceport.request");
    assert_eq!(span["vendor_request_id"], "req_01JF8Q2M9X", "{span:?}");
    let answered = (log.lines().find(|line| line.contains(" response")))
        .unwrap_or_else(|| panic!("no response line: {log}"));
    assert!(
        answered.contains("vendor_request_id=\"req_01JF8Q2M9X\""),
        "{answered}"
    );
    let (response, spans, _) = traced(client.send(get_call())).await;
    assert_eq!(response.unwrap().status, 200);
    let span = spans.only("voiceport.request");
    assert!(!span.contains_key("vendor_request_id"), "{span:?}");
}

/// A request dropped before its answer (a timeout around it) records its duration and
/// that it was cancelled; a dial says at warn level that it may have placed a call, any
/// other request at debug level that it was dropped.
#[tokio::test]
async fn a_request_dropped_before_its_answer_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(std::time::Duration::from_secs(30)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(30)))
        .mount(&server)
        .await;
    let dialer = client(&server);
    for (request, level, said) in [
        (
            Request::post(Operation::Dial, ["calls"]).not_retried_after_send(),
            "WARN",
            "a call may have been placed",
        ),
        (get_call(), "DEBUG", "request dropped before it completed"),
    ] {
        // Far shorter than the answer's delay (sent by then or not, the drop is said).
        let bounded =
            tokio::time::timeout(std::time::Duration::from_millis(300), dialer.send(request));
        let (result, spans, log) = traced(bounded).await;
        assert!(result.is_err(), "the request was not dropped");
        let span = spans.only("voiceport.request");
        assert_eq!(span["cancelled"], "true", "{span:?}");
        assert!(span.contains_key("duration_ms"), "{span:?}");
        let line = (log.lines().find(|line| line.contains(said)))
            .unwrap_or_else(|| panic!("{said:?} not in: {log}"));
        assert!(line.contains(level), "{line}");
    }
    // One that completes records no cancellation.
    let answered = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": CALL})))
        .mount(&answered)
        .await;
    let (response, spans, _) = traced(client(&answered).send(get_call())).await;
    assert_eq!(response.unwrap().status, 200);
    let span = spans.only("voiceport.request");
    assert!(!span.contains_key("cancelled"), "{span:?}");
    assert!(!span.contains_key("error_kind"), "{span:?}");
    assert!(!span.contains_key("otel.status_code"), "{span:?}");
}

/// A request that fails records the error's kind on its span (a trace shows which
/// failed); one that succeeds records none.
#[tokio::test]
async fn a_failed_request_records_its_error_kind() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let (result, spans, _) = traced(client(&server).send(get_call())).await;
    assert!(result.is_err());
    let span = spans.only("voiceport.request");
    assert_eq!(span["error_kind"], "not_found");
    // OpenTelemetry's span status, as tracing-opentelemetry reads it.
    assert_eq!(span["otel.status_code"], "ERROR");
}

/// The warning of a dropped dial names its provider and how long it waited in its own
/// fields: where only warnings are on, the request's span (at debug level) is not there
/// to name them.
#[tokio::test]
async fn a_dropped_dial_s_warning_names_its_provider_where_only_warnings_are_on() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(std::time::Duration::from_secs(30)))
        .mount(&server)
        .await;
    let dialer = client(&server).with_provider_name(Some("outbound"));
    let dial = Request::post(Operation::Dial, ["calls"]).not_retried_after_send();
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let bounded = tokio::time::timeout(std::time::Duration::from_millis(300), dialer.send(dial));
    assert!(bounded.await.is_err(), "the dial was not dropped");
    drop(guard);
    let log = log.text();
    let line = (log
        .lines()
        .find(|line| line.contains("a call may have been placed")))
    .unwrap_or_else(|| panic!("no warning in: {log}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("provider=rounded"), "{line}");
    assert!(line.contains("provider_name=\"outbound\""), "{line}");
    assert!(line.contains("duration_ms="), "{line}");
}

#[tokio::test]
async fn a_key_the_vendor_echoes_never_reaches_the_log() {
    let server = MockServer::start().await;
    let echo = |status: u16| {
        ResponseTemplate::new(status).set_body_json(serde_json::json!({
            "message": format!("upstream refused key {KEY}"),
            "error": {"message": format!("X-Api-Key: {KEY}")},
        }))
    };
    // Retried ("retrying" logs the error), then refused for good ("giving up" logs it).
    Mock::given(method("GET"))
        .respond_with(echo(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(echo(401))
        .mount(&server)
        .await;
    let client = client(&server);
    let (result, spans, log) = traced(client.send(get_call())).await;
    let error = result.unwrap_err();
    assert!(log.contains("retrying"), "{log}");
    assert!(log.contains("giving up"), "{log}");
    assert!(log.contains("[REDACTED]"), "{log}");
    assert_eq!(spans.only("voiceport.request")["status"], "401");
    let pieces = [KEY, "sk-live-7c1e", "9a4b2d8f6053"];
    for text in [log, error.to_string(), format!("{error:?}")] {
        for piece in pieces {
            assert!(!text.contains(piece), "the key in: {text}");
        }
    }
}
