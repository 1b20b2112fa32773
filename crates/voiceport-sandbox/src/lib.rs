//! Local emulators of the HappyRobot, Voicebot Studio and Rounded APIs, for voiceport's
//! demo, CLI, tests and benchmarks.
//!
//! One axum server on loopback answers as each vendor does — the same paths, auth headers,
//! JSON shapes, status codes, paging and error bodies — from in-memory, seeded,
//! deterministic state. It is a test double of the *vendors*: the adapters under test are
//! the real ones, over real HTTP.
//!
//! ```
//! # async fn run() -> std::io::Result<()> {
//! use voiceport_core::ProviderKind;
//! use voiceport_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::builder().seed(7).calls(ProviderKind::HappyRobot, 50).start().await?;
//! let config = sandbox.provider_config(ProviderKind::HappyRobot); // base URL + key
//! assert!(config.base_url.unwrap().starts_with("http://127.0.0.1:"));
//! assert_eq!(sandbox.call_count(ProviderKind::HappyRobot), 50);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! Calls dialed through the API move through their statuses in real time (see
//! [`Timing`]); how they end depends on the last digit of the number called: `0` no
//! answer, `1` busy, `2` voicemail, `3` failed, `4` ended by the agent, `5` transferred,
//! anything else a conversation the customer ends. [`Faults`] make chosen requests fail;
//! a standalone sandbox takes them over HTTP too (`POST /_sandbox/faults`, see
//! [`FaultSpec`]).
//!
//! The sandbox emulates HappyRobot, Voicebot Studio and Rounded ([`Sandbox::emulates`]).
//! [`ProviderKind`] grows with voiceport; a kind the sandbox does not emulate is never
//! served as another vendor. The methods that take a kind answer for it as for an empty,
//! unreachable account: no calls, no dials, no webhook delivery, a key no emulated API
//! accepts ([`NOT_EMULATED_KEY`]), and a base URL under `/_not_emulated/{kind}` where every
//! request answers 404 with a JSON message saying the sandbox does not emulate that vendor.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
// Handlers return ready HTTP responses as their error values; one per request, never hot.
#![allow(clippy::result_large_err)]

mod common;
pub mod conformance;
mod content;
mod control;
mod faults;
mod happyrobot;
mod rng;
mod rounded;
mod sim;
mod store;
mod vendor;
mod voicebot;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::any;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use voiceport_core::{ProviderConfig, ProviderKind};

pub use common::{NOT_EMULATED_KEY, api_key};
pub use control::FaultSpec;
pub use faults::{Fault, FaultKind, Faults};
pub use sim::Timing;

use common::Ctx;
use store::State;
use vendor::{PerVendor, Vendor};

/// The number of HappyRobot calls the vendor's own docs show for one account.
pub const HAPPYROBOT_DOCS_CALL_COUNT: usize = 12_993;

/// Where the base URL of a kind the sandbox does not emulate points: every request under
/// it answers 404 (see [`not_emulated`]).
const NOT_EMULATED: &str = "/_not_emulated";

/// The path of the HappyRobot platform API (usage), another host in production.
const HAPPYROBOT_PLATFORM: &str = "/happyrobot-platform/api/v1";

/// How to build a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    seed: u64,
    counts: PerVendor<usize>,
    timing: Timing,
    addr: SocketAddr,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            seed: 42,
            counts: PerVendor::from_fn(|_| 200),
            timing: Timing::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

impl SandboxBuilder {
    /// The seed of the generated history (default 42): the same seed, the same calls.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many seeded calls `kind` holds (default 200 each). Ignored for a kind the
    /// sandbox does not emulate.
    pub fn calls(mut self, kind: ProviderKind, count: usize) -> Self {
        if let Some(vendor) = Vendor::of(kind) {
            self.counts[vendor] = count;
        }
        self
    }

    /// How long the phases of a dialed call last.
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Listen on this address (default `127.0.0.1:0`, an ephemeral port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Generates the state and starts serving in the background of the current tokio
    /// runtime.
    pub async fn start(self) -> std::io::Result<Sandbox> {
        let state = Arc::new(State::new(self.seed, self.counts, self.timing));
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let app = app(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "sandbox server stopped");
            }
        });
        Ok(Sandbox {
            addr,
            state,
            stop: Some(stop),
        })
    }
}

fn app(state: Arc<State>) -> Router {
    let control = control::router(state.clone());
    let emulator = |vendor: Vendor, router: fn(Ctx) -> Router| {
        let ctx = Ctx {
            state: state.clone(),
            vendor,
        };
        router(ctx.clone()).layer(from_fn_with_state(ctx, common::guard))
    };
    let mut app = Router::new();
    for vendor in Vendor::ALL {
        let router: fn(Ctx) -> Router = match vendor {
            Vendor::HappyRobot => happyrobot::router,
            Vendor::Voicebot => voicebot::router,
            Vendor::Rounded => rounded::router,
        };
        app = app.nest(vendor.prefix(), emulator(vendor, router));
    }
    app.nest(
        HAPPYROBOT_PLATFORM,
        emulator(Vendor::HappyRobot, happyrobot::platform_router),
    )
    .route(&format!("{NOT_EMULATED}/{{kind}}"), any(not_emulated))
    .route(
        &format!("{NOT_EMULATED}/{{kind}}/{{*rest}}"),
        any(not_emulated),
    )
    .nest(control::PREFIX, control)
}

/// The answer to any request under the base URL of a kind the sandbox does not emulate.
async fn not_emulated(Path(path): Path<Vec<(String, String)>>) -> Response {
    let kind = path
        .into_iter()
        .find_map(|(name, value)| (name == "kind").then_some(value))
        .unwrap_or_default();
    let message = format!("the voiceport sandbox does not emulate the `{kind}` API");
    common::json_response(
        StatusCode::NOT_FOUND,
        serde_json::json!({ "message": message, "not_emulated": kind }),
    )
}

/// A running sandbox. Stops serving when dropped.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
}

impl Sandbox {
    /// A builder with the defaults (seed 42, 200 calls per vendor, an ephemeral port).
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the sandbox emulates `kind`'s API (today: every kind voiceport knows).
    pub fn emulates(&self, kind: ProviderKind) -> bool {
        Vendor::of(kind).is_some()
    }

    /// The base URL of `kind`'s emulated API. For a kind the sandbox does not emulate, a
    /// URL under `/_not_emulated/{kind}`, where every request answers 404 with a message
    /// saying so.
    pub fn base_url(&self, kind: ProviderKind) -> String {
        match Vendor::of(kind) {
            Some(vendor) => format!("http://{}{}", self.addr, vendor.prefix()),
            None => format!("http://{}{NOT_EMULATED}/{kind}", self.addr),
        }
    }

    /// The base URL of the emulated HappyRobot platform API (usage).
    pub fn happyrobot_platform_url(&self) -> String {
        format!("http://{}{HAPPYROBOT_PLATFORM}", self.addr)
    }

    /// The API key `kind`'s emulated API accepts ([`NOT_EMULATED_KEY`] for a kind the
    /// sandbox does not emulate).
    pub fn api_key(&self, kind: ProviderKind) -> &'static str {
        api_key(kind)
    }

    /// A ready configuration for `kind`: base URL, key, and the vendor options its dial
    /// needs (default numbers and agents). For a kind the sandbox does not emulate, the
    /// not-emulated base URL and key, without options: a client built from it connects,
    /// and every request it sends answers 404.
    pub fn provider_config(&self, kind: ProviderKind) -> ProviderConfig {
        let config = ProviderConfig::new(kind)
            .with_api_key(api_key(kind))
            .with_base_url(self.base_url(kind));
        let Some(vendor) = Vendor::of(kind) else {
            return config;
        };
        match vendor {
            Vendor::HappyRobot => config
                .with_option("number_id", "6650cc00cc00cc00cc00cc01")
                .with_option("use_case_id", "6650bb00bb00bb00bb00bb00")
                .with_option("organization_id", "0196f0a2-0000-7000-8000-000000000001")
                .with_option("usage_base_url", self.happyrobot_platform_url()),
            Vendor::Voicebot => config
                .with_option("assistant_id", "5b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
                .with_option("phone_number_id", "8c7d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"),
            Vendor::Rounded => config
                .with_option("from_number", "+16285550142")
                .with_option("agent_id", "123e4567-e89b-12d3-a456-426614174002"),
        }
    }

    /// The faults in force; add some with [`Faults::inject`].
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// How many calls `kind` holds now (deleted ones excluded); 0 for a kind the sandbox
    /// does not emulate.
    pub fn call_count(&self, kind: ProviderKind) -> usize {
        Vendor::of(kind).map_or(0, |vendor| {
            self.state
                .store(vendor)
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .len()
        })
    }

    /// How many calls were created through `kind`'s dial endpoint; 0 for a kind the
    /// sandbox does not emulate.
    pub fn dialed_count(&self, kind: ProviderKind) -> usize {
        Vendor::of(kind).map_or(0, |vendor| {
            self.state
                .store(vendor)
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .dialed
        })
    }

    /// The webhook body `kind` would post when the call `call_id` ends, in that vendor's
    /// shape, as of now (`None`: no such call, or a kind the sandbox does not emulate).
    pub fn webhook_delivery(&self, kind: ProviderKind, call_id: &str) -> Option<Vec<u8>> {
        let vendor = Vendor::of(kind)?;
        let store = self
            .state
            .store(vendor)
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let call = store.get(call_id)?;
        let view = call.view(std::time::Instant::now(), &self.state.timing);
        let body = match vendor {
            Vendor::HappyRobot => happyrobot::end_delivery(call, &view),
            Vendor::Voicebot => voicebot::end_delivery(call, &view),
            Vendor::Rounded => rounded::end_delivery(call, &view),
        };
        serde_json::to_vec(&body).ok()
    }

    /// Stops serving (also done on drop).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}
