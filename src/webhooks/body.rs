//! Reading a delivery's body within its limits: the declared length, the size cap, the
//! time allowed and the budget of bodies not yet verified and decoded.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::refusals::refusal;
use super::serve::{Shared, busy, closing};

/// The answer to a delivery whose headers say its body cannot be taken, before it is read:
/// 415 for a body encoded (compressed) other than as sent, which would be checked and
/// parsed as its encoded bytes; 413 for a `Content-Length` over the cap.
pub(super) fn refuse_body(
    shared: &Shared,
    provider: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    let identity = (headers.get_all(header::CONTENT_ENCODING).iter()).all(|value| {
        let codings = value.to_str().map(|text| text.split(',').map(str::trim));
        codings.is_ok_and(|mut codings| {
            codings.all(|coding| coding.is_empty() || coding.eq_ignore_ascii_case("identity"))
        })
    });
    if !identity {
        refusal!(shared.refusals, provider, provider_name = %provider, "webhook body with a Content-Encoding: refused");
        let message = "a Content-Encoding other than identity is not accepted";
        return Some(closing(
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                [(header::ACCEPT_ENCODING, "identity")],
                message,
            )
                .into_response(),
        ));
    }
    match declared_length(headers) {
        Some(length) if length > shared.body_limit as u64 => {
            refusal!(shared.refusals, provider, provider_name = %provider, length, "webhook body announced over the size limit: refused");
            Some(too_large())
        }
        _ => None,
    }
}

/// The body's length as its `Content-Length` says (hyper refuses a request whose
/// `Content-Length` is not a number, or whose body does not match it).
pub(super) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(header::CONTENT_LENGTH)?;
    value.to_str().ok()?.trim().parse().ok()
}

/// Why a body was not read whole.
pub(super) enum Unread {
    /// Over the size limit: 413.
    TooLarge,
    /// Over what the budget of bodies not yet verified and decoded has left: 503.
    OverBudget,
    /// The connection failed while it arrived: 400.
    Broken,
}

impl Unread {
    pub(super) fn answer(self, shared: &Shared, provider: &str) -> Response {
        match self {
            // Counted as it arrived (a chunked body, without `Content-Length`).
            Unread::TooLarge => {
                refusal!(shared.refusals, provider, provider_name = %provider, limit = shared.body_limit, "webhook body over the size limit: refused");
                too_large()
            }
            Unread::OverBudget => {
                refusal!(shared.refusals, provider, provider_name = %provider, "webhook bodies not yet verified are at their budget (where nothing is verified, with the bodies being handled): delivery refused for now");
                busy("too many deliveries are being received: send it again later")
            }
            Unread::Broken => {
                refusal!(shared.refusals, provider, provider_name = %provider, "webhook body cut off: the connection failed before it was whole");
                closing((StatusCode::BAD_REQUEST, "the body could not be read").into_response())
            }
        }
    }
}

/// 413, for a body over the size limit.
fn too_large() -> Response {
    let message = "the body is over the size limit";
    closing((StatusCode::PAYLOAD_TOO_LARGE, message).into_response())
}

/// The share of the budget of bodies not yet verified and decoded that one body holds, in
/// KiB: released when dropped. Owned, so that it can go with the body's decode to the
/// blocking pool, and stay counted there when the request that brought it is dropped.
pub(super) struct Held {
    pub(super) budget: Option<Arc<Semaphore>>,
    pub(super) permit: Option<OwnedSemaphorePermit>,
    pub(super) kib: usize,
}

impl Held {
    /// Takes what `bytes` need beyond what is held already; `false` when the budget has not
    /// that much left (nothing is waited for). Always `true` without a budget.
    fn cover(&mut self, bytes: u64) -> bool {
        let Some(budget) = &self.budget else {
            return true;
        };
        let kib = usize::try_from(bytes.div_ceil(1024)).unwrap_or(usize::MAX);
        let Some(more) = kib.checked_sub(self.kib).filter(|&more| more > 0) else {
            return true;
        };
        let Ok(more_permits) = u32::try_from(more) else {
            return false;
        };
        let Ok(taken) = Arc::clone(budget).try_acquire_many_owned(more_permits) else {
            return false;
        };
        match &mut self.permit {
            Some(permit) => permit.merge(taken),
            None => self.permit = Some(taken),
        }
        self.kib = kib;
        true
    }
}

/// Reads `body` up to `limit` bytes. With a `budget`, each KiB is taken from it as it
/// arrives (what a sender announces but does not send takes nothing), and a body the
/// budget cannot cover is not read further: one whose `declared` length is over what the
/// budget has left is refused before any of it is read.
pub(super) async fn read_body(
    body: Body,
    declared: Option<u64>,
    limit: usize,
    budget: Option<&Arc<Semaphore>>,
) -> std::result::Result<(Bytes, Held), Unread> {
    if let (Some(budget), Some(declared)) = (budget, declared)
        && declared.div_ceil(1024) > budget.available_permits() as u64
    {
        return Err(Unread::OverBudget);
    }
    let mut held = Held {
        budget: budget.cloned(),
        permit: None,
        kib: 0,
    };
    let mut stream = body.into_data_stream();
    // No buffer is allocated ahead of the bytes: a size announced is not trusted.
    let mut joined = Joined::default();
    let mut received = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Unread::Broken)?;
        received = received.saturating_add(chunk.len());
        if received > limit {
            return Err(Unread::TooLarge);
        }
        if !held.cover(received as u64) {
            return Err(Unread::OverBudget);
        }
        joined.push(chunk, limit);
        // What the joined buffer holds, its spare room included (it grows by doubling, never
        // past the limit: a body of any size accepted fits a budget as large as the limit).
        if !held.cover(joined.holds() as u64) {
            return Err(Unread::OverBudget);
        }
    }
    Ok((joined.into_bytes(), held))
}

/// A body's chunks, joined as they arrive: the first kept as it came (most bodies are one
/// chunk), the others copied into one buffer with it. A body sent in many small chunks so
/// holds its bytes and the buffer's spare room (less than as much again), which the budget
/// counts ([`Joined::holds`]); kept apart, each chunk would hold a handle and the connection's read buffer
/// it was cut from (twelve times the bytes, sent a byte a chunk).
#[derive(Default)]
enum Joined {
    #[default]
    Empty,
    One(Bytes),
    Many(Vec<u8>),
}

impl Joined {
    /// Adds `chunk`, the joined buffer growing as a `Vec` does (doubling) but never to more
    /// than `limit` bytes, the most a body may have.
    fn push(&mut self, chunk: Bytes, limit: usize) {
        if chunk.is_empty() {
            return;
        }
        let grown = |bytes: &mut Vec<u8>, more: usize| {
            let needed = bytes.len() + more;
            if needed > bytes.capacity() {
                let capacity = bytes
                    .capacity()
                    .saturating_mul(2)
                    .max(needed)
                    .min(limit.max(needed));
                bytes.reserve_exact(capacity - bytes.len());
            }
        };
        *self = match std::mem::take(self) {
            Joined::Empty => Joined::One(chunk),
            Joined::One(first) => {
                let mut bytes = Vec::new();
                grown(&mut bytes, first.len() + chunk.len());
                bytes.extend_from_slice(&first);
                bytes.extend_from_slice(&chunk);
                Joined::Many(bytes)
            }
            Joined::Many(mut bytes) => {
                grown(&mut bytes, chunk.len());
                bytes.extend_from_slice(&chunk);
                Joined::Many(bytes)
            }
        };
    }

    /// The bytes it holds: a buffer's whole capacity.
    fn holds(&self) -> usize {
        match self {
            Joined::Empty => 0,
            Joined::One(bytes) => bytes.len(),
            Joined::Many(bytes) => bytes.capacity(),
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Joined::Empty => Bytes::new(),
            Joined::One(bytes) => bytes,
            Joined::Many(bytes) => Bytes::from(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One chunk is kept as it came; from the second on, the chunks are copied, and none
    /// holds on to the buffer it was cut from.
    #[test]
    fn chunks_are_joined_as_they_arrive() {
        let read_buffer = Bytes::from((0..=255).collect::<Vec<u8>>());
        let mut one = Joined::default();
        one.push(Bytes::new(), 256);
        one.push(read_buffer.slice(0..3), 256);
        let kept = one.into_bytes();
        assert_eq!(kept.as_ptr(), read_buffer.as_ptr(), "copied");
        drop(kept);
        let mut many = Joined::default();
        for at in 0..256 {
            many.push(read_buffer.slice(at..at + 1), 256);
        }
        assert!(
            read_buffer.is_unique(),
            "a chunk still holds the read buffer"
        );
        // Grown by doubling, but never past the limit.
        assert_eq!(many.holds(), 256);
        assert_eq!(many.into_bytes(), read_buffer);
        assert!(Joined::default().into_bytes().is_empty());
    }
}
