//! Large bodies decoded off the async runtime's workers.

use crate::{Error, Operation, ProviderKind, Result};

/// Bodies of at least this many bytes are decoded on Tokio's blocking pool
/// ([`decode_off_runtime`]): about 400 calls of a page, a few milliseconds of decoding.
pub const DECODE_OFF_RUNTIME_BYTES: usize = 1024 * 1024;

/// `decode(body)`: at once for a body under [`DECODE_OFF_RUNTIME_BYTES`], else on Tokio's
/// blocking pool. A page of a thousand calls or more (several MiB) takes tens of
/// milliseconds to decode; on one of the runtime's workers it would hold up every other
/// task meanwhile (a webhook receiver in the same process, the other providers of a merged
/// walk). It runs in the caller's span and to its subscriber, so what it logs is said as
/// at once; a panic in `decode` reaches the caller as it would at once. `body` is any
/// owned bytes (a `Vec<u8>`, or `Bytes` whose slices the decoded value keeps).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> voiceport_core::Result<()> {
/// use voiceport_core::adapter::decode_off_runtime;
/// use voiceport_core::{Operation, ProviderKind};
///
/// let body = br#"{"calls": []}"#.to_vec();
/// let (kind, operation) = (ProviderKind::HappyRobot, Operation::ListCalls);
/// let length = decode_off_runtime(kind, operation, body, |body| Ok(body.len())).await?;
/// assert_eq!(length, 13);
/// # Ok(())
/// # }
/// ```
pub async fn decode_off_runtime<B, T, F>(
    kind: ProviderKind,
    operation: Operation,
    body: B,
    decode: F,
) -> Result<T>
where
    B: AsRef<[u8]> + Send + 'static,
    T: Send + 'static,
    F: FnOnce(&B) -> Result<T> + Send + 'static,
{
    if body.as_ref().len() < DECODE_OFF_RUNTIME_BYTES {
        return decode(&body);
    }
    // In the caller's span and to its subscriber (a scoped one too): what the decoder logs
    // names the provider and the operation, as it would decoded at once.
    let span = tracing::Span::current();
    let dispatch = tracing::dispatcher::get_default(tracing::Dispatch::clone);
    let decoding = move || {
        let _subscriber = tracing::dispatcher::set_default(&dispatch);
        span.in_scope(|| decode(&body))
    };
    match tokio::task::spawn_blocking(decoding).await {
        Ok(decoded) => decoded,
        Err(join) => match join.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only a runtime shutting down cancels it: the answer came and was not read.
            Err(cancelled) => Err(Error::transport(kind, operation, true, cancelled)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large body is decoded on a thread of the blocking pool, a small one where it is
    /// awaited; a panic in the decoder reaches the caller either way.
    #[tokio::test(flavor = "current_thread")]
    async fn a_large_body_is_decoded_off_the_runtime_s_thread() {
        let here = std::thread::current().id();
        let (kind, operation) = (ProviderKind::Retell, Operation::ListCalls);
        let thread_of = |size: usize| {
            decode_off_runtime(kind, operation, vec![b' '; size], |_| {
                Ok(std::thread::current().id())
            })
        };
        assert_eq!(thread_of(16).await.unwrap(), here);
        assert_ne!(thread_of(DECODE_OFF_RUNTIME_BYTES).await.unwrap(), here);
        let large = vec![b' '; DECODE_OFF_RUNTIME_BYTES];
        let decoding =
            decode_off_runtime::<_, (), _>(kind, operation, large, |_| panic!("decoder bug"));
        let panicked = tokio::spawn(decoding).await;
        assert!(panicked.is_err_and(|join| join.is_panic()));
    }

    /// What a decoder logs off the runtime reaches the caller's subscriber, in its span.
    #[tokio::test(flavor = "current_thread")]
    async fn a_decoder_off_the_runtime_logs_in_the_caller_s_span() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Lines(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _scoped = tracing::subscriber::set_default(subscriber);
        let span = tracing::info_span!("voiceport.operation", provider = "retell");
        let large = vec![b' '; DECODE_OFF_RUNTIME_BYTES];
        let decoding =
            decode_off_runtime(ProviderKind::Retell, Operation::ListCalls, large, |_| {
                tracing::warn!("a field that does not read");
                Ok(())
            });
        tracing::Instrument::instrument(decoding, span)
            .await
            .unwrap();
        let logged = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("a field that does not read"), "{logged}");
        assert!(logged.contains("provider=\"retell\""), "{logged}");
    }
}
