//! The HTTP client the benchmarks' baselines and load post with, from whichever package's
//! bench includes this file (the facade's, or the CLI's through `#[path]`).

use std::time::Duration;

/// A client for the in-process servers, built as voiceport's own is for plain http: no
/// proxy from the environment between it and loopback (`HTTP_PROXY` would route the
/// baseline through it), and a timeout, so that a stuck server fails the run instead of
/// hanging it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}
