//! The body reader reserves memory as bytes arrive, not as `Content-Length` announces:
//! measured with a counting allocator, over a loopback server that lies about the length.
//! (Alone in its binary, so that no other test's allocations are counted; its tests take
//! turns.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod support;

use support::loopback_client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use voiceport_core::http::Request;
use voiceport_core::{Error, Operation, ProviderConfig};

/// Records the largest single allocation.
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Held by each test: one at a time counts.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A server that answers every request with `status`, a `content-length` of `length`, and
/// `body` (which may be shorter: a server that lies), then hangs up.
async fn answering(status: &'static str, length: usize, body: Vec<u8>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&body).await;
        }
    });
    port
}

/// A server that announces `length` bytes, sends 12 and hangs up.
async fn liar(length: u64) -> u16 {
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    answering("200 OK", length, br#"{"calls": []"#.to_vec()).await
}

/// A list request to the server on `port`, sent once from a client set by `tweak`, that
/// must fail: its error, and the largest allocation made while it ran.
async fn failing_get(port: u16, tweak: impl Fn(&mut ProviderConfig)) -> (Error, usize) {
    let client = loopback_client(port, |config| {
        config.retry.max_attempts = Some(1);
        tweak(config);
    });
    LARGEST.store(0, Ordering::SeqCst);
    let err = client
        .send(Request::get(Operation::ListCalls, ["calls"]))
        .await
        .unwrap_err();
    (err, LARGEST.load(Ordering::SeqCst))
}

#[tokio::test]
async fn an_announced_length_is_not_reserved_up_front() {
    const MIB: usize = 1024 * 1024;
    let _turn = TURN.lock().await;
    // 50 MiB announced, under the default 64 MiB cap.
    let port = liar(50 * MIB as u64).await;
    let (err, largest) = failing_get(port, |_| {}).await;
    // The vendor answered 200, then its body broke off: the bytes that came are counted.
    assert!(
        matches!(
            err,
            Error::AnswerCut {
                status: 200,
                received: 12,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable(), "a read is tried again");
    assert!(
        largest < 4 * MIB,
        "reserved {largest} bytes for a body of 12"
    );

    // 10^15 bytes announced under a cap that allows it: reserving it would abort.
    let port = liar(1_000_000_000_000_000).await;
    let (err, largest) = failing_get(port, |c| c.max_body_bytes = Some(usize::MAX)).await;
    assert!(matches!(err, Error::AnswerCut { .. }), "{err:?}");
    assert!(largest < 4 * MIB);
}

/// A server that refuses every request with 400 and `body`.
async fn refusing(body: Vec<u8>) -> u16 {
    answering("400 Bad Request", body.len(), body).await
}

/// An error body of 8 MiB of `[0,0,…]` costs about its own size, not a tree of four
/// million values (128 MiB in one vector), and its error stays short.
#[tokio::test]
async fn a_huge_error_body_is_not_read_as_a_tree() {
    const MIB: usize = 1024 * 1024;
    let _turn = TURN.lock().await;
    let mut body = b"[0".to_vec();
    while body.len() < 8 * MIB {
        body.extend_from_slice(b",0");
    }
    body.push(b']');
    let port = refusing(body).await;
    let (err, largest) = failing_get(port, |_| {}).await;
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(largest < 40 * MIB, "{largest} bytes in one allocation");
    assert!(err.to_string().len() < 1_000, "{err}");
}
