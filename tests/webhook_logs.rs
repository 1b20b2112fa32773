//! No webhook secret reaches a log line, an error or `Debug`. Alone in its binary: it
//! installs the process-wide `tracing` subscriber.
#![cfg(feature = "axum")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use voiceport::Registry;
use voiceport::webhooks::Receiver;

const VAPI_SECRET: &str = "vapi-shared-7d41c0e2";

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_reach_logs_or_debug() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let registry = Registry::from_toml_str(&format!(
        "[providers.support]\nkind = \"voicebot\"\napi_key = \"vb-key\"\n\
         [providers.support.webhook]\nsecret = \"{VAPI_SECRET}\"\n"
    ))
    .unwrap();
    assert!(!format!("{registry:?}").contains(VAPI_SECRET));
    let (router, mut events) = Receiver::builder(&registry).channel(16).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/voicebot/webhook_end_of_call_report.json"
    ))
    .unwrap();
    let post = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let url = format!("{base}/support");
        async move {
            let mut request = reqwest::Client::new().post(url).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request.send().await.unwrap().status()
        }
    };
    assert_eq!(
        post(vec![("x-vapi-secret", VAPI_SECRET.into())], body.clone()).await,
        204
    );
    assert_eq!(
        post(
            vec![("x-vapi-secret", format!("{VAPI_SECRET}-wrong"))],
            body.clone()
        )
        .await,
        401
    );
    assert_eq!(
        post(
            vec![("x-vapi-secret", VAPI_SECRET.into())],
            b"{broken".to_vec()
        )
        .await,
        400
    );
    let delivery = events.recv().await.unwrap();
    assert!(!format!("{delivery:?}").contains(VAPI_SECRET));
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("webhook delivery refused"),
        "the refusal is logged: {logs}"
    );
    assert!(logs.contains("webhook body does not parse"), "{logs}");
    assert!(
        !logs.contains(VAPI_SECRET),
        "the secret is in the logs:\n{logs}"
    );
}
