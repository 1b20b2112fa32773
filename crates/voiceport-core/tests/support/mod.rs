//! Helpers shared by the core's integration tests (each binary uses a part of them).

#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use voiceport_core::adapter::AdapterConfig;
use voiceport_core::http::{AuthStyle, HttpClient};
use voiceport_core::{ProviderConfig, ProviderKind};
use wiremock::MockServer;

/// The API key every test uses; asserted never to leak.
pub const SECRET: &str = "sk-test-9f8e7d6c5b4a";

pub fn config_for(base_url: &str, tweak: impl Fn(&mut ProviderConfig)) -> ProviderConfig {
    let mut config = ProviderConfig::new(ProviderKind::HappyRobot)
        .with_api_key(SECRET)
        .with_base_url(base_url);
    tweak(&mut config);
    config
}

pub fn client_for(
    server: &MockServer,
    prefix: &str,
    style: AuthStyle,
    tweak: impl Fn(&mut ProviderConfig),
) -> HttpClient {
    config_for(&format!("{}{prefix}", server.uri()), tweak)
        .http_client("https://unused.example", style)
        .unwrap()
}

/// A client of a server the test runs itself on `port` of the loopback (bearer auth).
pub fn loopback_client(port: u16, tweak: impl Fn(&mut ProviderConfig)) -> HttpClient {
    config_for(&format!("http://127.0.0.1:{port}"), tweak)
        .http_client("https://unused.example", AuthStyle::Bearer)
        .unwrap()
}

/// Serves `response` raw to each loopback connection, hanging up `hold` later: (port, accepts).
pub async fn raw_server(response: Vec<u8>, hold: Duration) -> (u16, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(&response).await;
                tokio::time::sleep(hold).await;
            });
        }
    });
    (port, accepted)
}

/// A loopback port that refuses connections while this lives: a socket bound to it but
/// never listening. A listener closed again would free the port for a test running
/// alongside; this one keeps it (without `SO_REUSEADDR`, nothing else can bind it).
pub struct RefusingPort(tokio::net::TcpSocket);

impl RefusingPort {
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        RefusingPort(socket)
    }

    pub fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }
}

/// Keeps every log line a capture waits for from being switched off for the whole
/// process. `tracing` caches one interest per line of code, process-wide, decided when a
/// thread first reaches it; with one subscriber registered it asks that thread's own
/// default, so a test thread without a capture (tests are threads of one process under
/// `cargo test`) reaching a line first while another test captures would cache `never`,
/// and the capture would miss the line. A global subscriber that wants every line and
/// keeps none makes the answer for such a thread `always`.
pub fn keep_every_log_line_on() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| {
        // Set already (another helper of this binary did): the same effect.
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    });
}

/// The lines a capture has recorded so far.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<String>>>);

impl Captured {
    /// The lines so far, joined.
    pub fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }

    /// Waits (up to 30 s) for a line holding `wanted`.
    pub async fn wait_for(&self, wanted: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !self.text().contains(wanted) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no line holds {wanted:?}: {}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Runs `body` with a tracing subscriber that records every span and event, fields
/// included, as text; `body` gets the lines recorded so far, to wait for one.
pub async fn capture_logs<F, Fut, T>(body: F) -> (T, Vec<String>)
where
    F: FnOnce(Captured) -> Fut,
    Fut: Future<Output = T>,
{
    keep_every_log_line_on();
    let captured = Captured::default();
    let lines = captured.0.clone();
    let subscriber = Recorder {
        lines: lines.clone(),
        next_id: Default::default(),
    };
    let dispatch = tracing::Dispatch::new(subscriber);
    let result = {
        let _guard = tracing::dispatcher::set_default(&dispatch);
        body(captured).await
    };
    let lines = lines.lock().unwrap().clone();
    (result, lines)
}

struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
    next_id: std::sync::atomic::AtomicU64,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        tracing::span::Id::from_u64(id)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut fields = Fields("record".into());
        values.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(format!("event {}", event.metadata().target()));
        event.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
