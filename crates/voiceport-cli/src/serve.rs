//! Serving the webhook receiver on a port other hosts can reach: `axum::serve` with the
//! limits a server facing the internet needs and axum's does not set.
//!
//! * A connection must send a request's headers within [`Limits::header_timeout`] of
//!   starting to (an idle keep-alive connection as well): one that trickles them, or opens
//!   and says nothing, is closed rather than held for ever.
//! * At most [`Limits::connections`] connections are served at once; further ones wait in
//!   the kernel's accept queue until one closes.
//!
//! Bodies have their own limit and timeout in the receiver.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// How long a request's headers may take to arrive, counted from the first poll of an
    /// idle connection.
    pub(crate) header_timeout: Duration,
    /// Connections served at once.
    pub(crate) connections: u32,
    /// The most a request's head (its line and headers) may take, checked as it arrives
    /// (431 past it): what a connection's buffer may hold before its head is whole.
    pub(crate) head_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Vendors send a delivery's headers at once. A third of hyper's 30 s: a
            // stranger holding every connection open without a word must open three times
            // as many a second to keep the vendors out. (One that sends a request now and
            // then to stay open is refused, and a refusal closes its connection.)
            header_timeout: Duration::from_secs(10),
            // Far above what the vendors' delivery retries open, far below a default
            // open-files limit (1,024 on most Linux systems, the listener included).
            connections: 512,
            // A delivery's head is a few KiB; without a limit hyper lets a head grow to
            // its buffer's 400 KiB, which across every connection held open is 200 MB.
            head_bytes: 64 * 1024,
        }
    }
}

/// Serves `router` on `listener` until `stop` resolves, then lets each connection finish
/// the request it is serving and waits for them all to close.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.connections as usize));
    let (stopping, stop_seen) = watch::channel(false);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            () = &mut stop => break,
            // Never closed: an error cannot come.
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) if is_per_connection(&error) => continue,
                // Out of file descriptors or memory: wait for some to be given back
                // rather than spin.
                Err(error) => {
                    // Under the receiver's target, which `listen` shows without `-v`.
                    tracing::warn!(
                        target: "voiceport::webhooks",
                        %error,
                        "cannot accept a connection; trying again in a second"
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let mut stop_seen = stop_seen.clone();
        let (header_timeout, head_bytes) = (limits.header_timeout, limits.head_bytes);
        tokio::spawn(async move {
            // Held until the connection is closed.
            let _permit = permit;
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_header_size(head_bytes)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let mut closing = false;
            loop {
                tokio::select! {
                    _ = connection.as_mut() => break,
                    // Finishes the request in progress, then closes. (The sender lives
                    // until every connection is closed.)
                    _ = stop_seen.changed(), if !closing => {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    let _ = stopping.send(true);
    drop(listener);
    // Every permit back: every connection closed.
    let _ = open.acquire_many(limits.connections).await;
}

/// An accept error that concerns only the connection being accepted (the client gave up
/// before it was taken), not the listener.
fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    const REQUEST: &[u8] =
        b"POST /hook HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";

    /// Serves a route answering `ok`; returns its address and a sender that stops it.
    async fn start(limits: Limits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/hook", post(|| async { "ok" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        (addr, stop)
    }

    /// Everything the server sends until it closes the connection (or 10 s pass).
    async fn read_to_close(stream: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
        read.await
            .expect("the server never closed the connection")
            .ok();
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn a_request_is_served() {
        let (addr, _stop) = start(Limits::default()).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(REQUEST).await.unwrap();
        let answer = read_to_close(&mut client).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
    }

    #[tokio::test]
    async fn headers_that_trickle_or_never_come_are_cut_off() {
        let limits = Limits {
            header_timeout: Duration::from_millis(200),
            ..Limits::default()
        };
        let (addr, _stop) = start(limits).await;
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut trickling = TcpStream::connect(addr).await.unwrap();
        // A byte every 50 ms, for a second (five times the timeout): the headers are never
        // whole in time, and the connection is cut while they still come.
        let mut cut = false;
        for byte in b"POST /hook HTTP/1.1\r\nHost: local"
            .iter()
            .cycle()
            .take(20)
        {
            if trickling.write_all(&[*byte]).await.is_err() {
                cut = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(read_to_close(&mut silent).await, "");
        let answer = read_to_close(&mut trickling).await;
        // Cut while the bytes still came: a timeout reset by each byte (an idle timeout)
        // would cut only after the trickle stopped.
        assert!(
            cut,
            "the trickling connection was not cut while it trickled"
        );
        assert!(!answer.contains("200 OK"), "{answer}");
    }

    /// A head past the limit (a header of 100 KiB) is refused before it is whole.
    #[tokio::test]
    async fn a_head_over_the_limit_is_refused() {
        let (addr, _stop) = start(Limits::default()).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /hook HTTP/1.1\r\nHost: local\r\nX-Padding: {}\r\n\r\n",
            "a".repeat(100 * 1024)
        );
        let _ = client.write_all(head.as_bytes()).await;
        let answer = read_to_close(&mut client).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    }

    #[tokio::test]
    async fn connections_past_the_limit_wait_for_one_to_close() {
        let limits = Limits {
            header_timeout: Duration::from_secs(60),
            connections: 1,
            ..Limits::default()
        };
        let (addr, _stop) = start(limits).await;
        let holding = TcpStream::connect(addr).await.unwrap();
        // Accepted by the kernel, not served while the first is open.
        let mut waiting = TcpStream::connect(addr).await.unwrap();
        waiting.write_all(REQUEST).await.unwrap();
        let mut first = [0u8; 1];
        let early = tokio::time::timeout(Duration::from_millis(300), waiting.read(&mut first));
        assert!(early.await.is_err(), "served past the connection limit");
        drop(holding);
        let answer = read_to_close(&mut waiting).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    }

    #[tokio::test]
    async fn stopping_finishes_the_request_in_progress_and_closes_idle_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (entered, mut handler_entered) = tokio::sync::mpsc::channel::<()>(1);
        let release = Arc::new(tokio::sync::Notify::new());
        let gate = release.clone();
        let router = Router::new().route(
            "/hook",
            post(move || {
                let (entered, gate) = (entered.clone(), gate.clone());
                async move {
                    let _ = entered.send(()).await;
                    gate.notified().await;
                    "done"
                }
            }),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, Limits::default(), async {
            let _ = stopped.await;
        }));
        let mut idle = TcpStream::connect(addr).await.unwrap();
        let mut busy = TcpStream::connect(addr).await.unwrap();
        busy.write_all(REQUEST).await.unwrap();
        handler_entered.recv().await.unwrap();
        stop.send(()).unwrap();
        assert_eq!(read_to_close(&mut idle).await, "");
        assert!(!server.is_finished(), "stopped with a request in progress");
        release.notify_one();
        let answer = read_to_close(&mut busy).await;
        assert!(answer.ends_with("done"), "{answer}");
        let served = tokio::time::timeout(Duration::from_secs(10), server).await;
        served.expect("the server never ended").unwrap();
        assert!(TcpStream::connect(addr).await.is_err(), "still listening");
    }
}
