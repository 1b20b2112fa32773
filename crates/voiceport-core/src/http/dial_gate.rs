//! The last check before a dial is sent: a connection made for a dial whose interrupt was
//! set off while it was being made is dropped before a byte of the request is written.
//!
//! The request loop checks the interrupt before each attempt, but an attempt spends its
//! first part (DNS, TCP, TLS) connecting, not sending anything: a Ctrl-C in that time
//! would otherwise still let the dial go out once the connection is up. The gate is a
//! layer over the connector of the client dials are sent with; the connection's future is
//! polled inside the request's task, so the task-local state of the request is visible
//! there. That client keeps no idle connection and speaks HTTP/1 only, so every dial makes
//! its own connection through the gate (one taken from a pool, or an HTTP/2 connection
//! shared with another request, would not pass it).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Interrupt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the gate answers a dial's connection made after its interrupt was set off: a
/// connect error, so the request is known not sent (the loop then reports the interrupt).
#[derive(Debug)]
struct InterruptedWhileConnecting;

impl std::fmt::Display for InterruptedWhileConnecting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted while connecting: the dial was not sent")
    }
}

impl std::error::Error for InterruptedWhileConnecting {}

/// The layer reqwest's connector is wrapped in.
#[derive(Debug, Clone, Copy)]
pub(super) struct DialGate;

impl<S> tower_layer::Layer<S> for DialGate {
    type Service = Gated<S>;

    fn layer(&self, inner: S) -> Gated<S> {
        Gated(inner)
    }
}

/// reqwest's connector behind the gate.
#[derive(Debug, Clone)]
pub(super) struct Gated<S>(S);

impl<S, R> tower_service::Service<R> for Gated<S>
where
    S: tower_service::Service<R, Error = BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, target: R) -> Self::Future {
        let connecting = self.0.call(target);
        Box::pin(async move {
            let connection = connecting.await?;
            if Interrupt::current_is_interrupted() {
                return Err(Box::new(InterruptedWhileConnecting) as BoxError);
            }
            Ok(connection)
        })
    }
}
