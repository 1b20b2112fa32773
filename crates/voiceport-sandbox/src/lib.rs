//! Local emulators of the HappyRobot, Voicebot Studio, Rounded, Vapi and Retell AI APIs,
//! for voiceport's demo, CLI, tests and benchmarks.
//!
//! One axum server on loopback answers as each vendor does — the same paths, auth headers,
//! JSON shapes, status codes, paging and error bodies — from in-memory, seeded,
//! deterministic state. It is a test double of the *vendors*: the adapters under test are
//! the real ones, over real HTTP.
//!
//! ```
//! # async fn run() -> std::io::Result<()> {
//! # mod voiceport { pub use voiceport_core::*; pub mod webhooks { pub use voiceport_core::webhook::*; } }
//! use voiceport::ProviderKind;
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
//! `voiceport::connect(&sandbox.provider_config(kind))` gives the real adapter, pointed at
//! the emulator with its key and dial options ([`Sandbox::provider_toml`] writes the same
//! as a `voiceport.toml` table). The examples name types as an application does, through
//! `voiceport` (`voiceport::ProviderKind`, `voiceport::webhooks::WebhookConfig`): they are
//! `voiceport-core`'s, which `voiceport` re-exports. By default the sandbox seeds 200 calls a
//! vendor from seed 42, on a free loopback port ([`Sandbox::addr`]); [`Sandbox::builder`]
//! starts it inside a Tokio runtime, and dropping the [`Sandbox`] stops it. It serves on
//! the runtime that started it: one shared by several tests (in a `static`) would die
//! with the first test's runtime, so start one per test (they are cheap; ports are their
//! own), or share one started with [`SandboxBuilder::start_detached`], on a thread and
//! runtime of its own. Its calls move on the real clock (`std::time::Instant`),
//! not Tokio's: a test with paused time (`start_paused`) sees them stand still while its
//! own timers jump. The
//! [`conformance::SandboxEnv`] runs voiceport's conformance suite against it.
//!
//! Calls dialed through the API move through their statuses in real time (see
//! [`Timing`]: 100 ms queued, 200 ms ringing, 500 ms talking by default; HappyRobot shows
//! the first quarter of the ringing as `Initiated`, placed and not ringing yet); how they end
//! depends on the last digit of the number called ([`DIAL_OUTCOMES`]): `0` no answer, `1`
//! busy, `2` voicemail, `3` failed, `4` ended by the agent, `5` transferred, `6` a
//! conversation that goes on until it is ended through the API (or by the maximum
//! duration: the dial's, HappyRobot's `max_duration_mins` or Vapi's
//! `assistantOverrides.maxDurationSeconds`, else ten minutes), anything else a
//! conversation the customer ends (or the dial's maximum duration, when it is shorter than
//! the talk). A [`Fault`] (see [`FaultKind`]), added with `sandbox.faults().inject(…)`,
//! makes chosen requests fail:
//!
//! ```no_run
//! # fn run(sandbox: &voiceport_sandbox::Sandbox) {
//! # mod voiceport { pub use voiceport_core::*; pub mod webhooks { pub use voiceport_core::webhook::*; } }
//! use voiceport::ProviderKind;
//! use voiceport_sandbox::{Fault, FaultKind};
//!
//! // The next two Rounded requests answer 503; the adapter's retries see them.
//! sandbox.faults().inject(Fault::new(FaultKind::Status(503)).vendor(ProviderKind::Rounded).times(2));
//! # }
//! ```
//!
//! Every sandbox takes faults over HTTP too, at `sandbox.addr()` (`POST /_sandbox/faults`,
//! see [the control API](#control-api)). Each emulator records the requests it answered, with the fault
//! that answered one ([`Sandbox::requests`]: what a test reads to see a client retry
//! after a 503), and the webhook deliveries it made ([`Sandbox::deliveries`],
//! [`Sandbox::wait_for_deliveries`], [`Sandbox::wait_for_all_deliveries`]). HappyRobot's list honours `use_cases` (the use case that ran the call,
//! which a dial sets with `use_case_id`).
//!
//! Vapi and Voicebot Studio (a white-label of Vapi) are one emulator in two flavours,
//! differing where the vendors do: paths (`/call` against `/calls`), the key's header, the
//! error shape, and the call (Vapi keeps the transcript and recordings in `artifact`).
//! Each live Vapi call of an assistant with live control (all but the third of the
//! seeded assistants) has a `monitor.controlUrl` on the sandbox, which ends it on
//! `POST {"type": "end-call"}`, as Vapi's live call control does. Retell's emulator answers
//! its v2/v3 endpoints (`/v2/get-call/{id}`, `POST /v3/list-calls` with its
//! `filter_criteria` and `pagination_key`, `create-phone-call`, `update-call`, `stop-call`,
//! `delete-call`), an unknown call with Retell's 422.
//!
//! # Webhook deliveries
//!
//! Give an emulator a webhook target — a URL and the [`WebhookConfig`] it signs with, the
//! same table as the receiving provider's `[providers.NAME.webhook]` — and every call
//! dialed through it afterwards (nothing is posted before a dial) posts the events that
//! vendor sends as it moves through its statuses, in that vendor's shape (inferred for
//! Voicebot Studio, as Vapi's, and for Rounded, which documents none), signed with
//! [`Verifier::sign`] (`X-Vapi-Secret` for Vapi and Voicebot Studio by default,
//! `X-Retell-Signature` keyed with the API key for Retell, the configured header for
//! HappyRobot, the secret in the URL's query for Rounded, which sends no headers:
//! `verify = "query"`):
//!
//! | vendor | ringing | in progress | ended |
//! | --- | --- | --- | --- |
//! | Vapi, Voicebot Studio | `status-update` `ringing` | `status-update` `in-progress` | `status-update` `ended`, then `end-of-call-report` (Vapi's schema puts `endedReason`, `analysis`, `artifact`, the costs and the times at the message level; the other top-level copies and a stale `message.call` are inferred: no delivery was captured) |
//! | HappyRobot | — | `start` use-case hook | `end` use-case hook (the conversation in `content.messages`) |
//! | Rounded | `event_call_status_updated` | `event_call_status_updated` | `event_call_status_updated`, then `event_phone_call_ended`, or `event_phone_call_did_not_connect` when nobody answered |
//! | Retell | — | `call_started` | `call_ended` (the call without its analysis), then `call_analyzed` when it had connected |
//!
//! A Vapi or Voicebot Studio target with [`WebhookTarget::tool_calls`] also gets, in
//! progress, the `tool-calls` request of a call whose assistant uses its tool, and records
//! the receiver's answer.
//!
//! The end-of-call delivery describes the call as `GET` of it does at that moment (id,
//! status, end reason, conversation). Each call is followed by its own task, apart from
//! the request that dialed it: deliveries never slow a request down, and (as with real
//! vendors) one may arrive before the dial's answer does, for a call placed at once or
//! a dial held up by a `delay` fault; the call can be read from the moment it is
//! dialed. Only calls dialed
//! while the vendor has a target are followed (seeded history posts nothing), and a call
//! deleted meanwhile posts nothing more, retries included. A call keeps the target it was
//! dialed with for all its deliveries: setting or removing a target applies to calls
//! dialed from then on.
//!
//! Retries follow each vendor where it documents them ([`WebhookTarget::for_vendor`],
//! what [`SandboxBuilder::webhook`] and the control API start from): Retell retries a
//! delivery not answered 2xx within 10 seconds up to three times, while the call's later
//! deliveries go out (ordered per call, not blocking, as Retell documents); Vapi (and
//! Voicebot Studio, inferred as its relay) waits 20 seconds and retries only when its
//! server has a `backoffPlan` (none by default). HappyRobot and Rounded document no
//! delivery policy at all (no retries, no timeout): for them one attempt of 20 seconds
//! (Vapi's default borrowed), a non-2xx answer or a timeout losing it, is the sandbox's
//! choice, not the vendors' documented behaviour.
//! A target's `.retries(n)` and `.timeout(…)` change that ([`WebhookTarget::new`] starts
//! from one attempt for any vendor), within the vendors' bounds: at most [`MAX_RETRIES`]
//! retries, a timeout of 1 ms to [`MAX_DELIVERY_TIMEOUT`], a pause of at most
//! [`MAX_RETRY_DELAY`]. A redirect is not followed (it is a failed attempt), and at most
//! [`MAX_REPLY_BYTES`] of an answer are kept. Every attempt is recorded, the newest
//! [`MAX_RECORDED_ATTEMPTS`] (10,000) per vendor kept, within
//! [`MAX_RECORDED_ATTEMPT_BYTES`] (256 MiB) of bodies and replies, the oldest dropped first:
//! [`Sandbox::deliveries`], [`Sandbox::wait_for_deliveries`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! # mod voiceport { pub use voiceport_core::*; pub mod webhooks { pub use voiceport_core::webhook::*; } }
//! use voiceport::webhooks::WebhookConfig;
//! use voiceport::ProviderKind;
//! use voiceport_sandbox::{DeliveryFault, DeliveryFaultKind, Sandbox, WebhookTarget};
//!
//! let config = WebhookConfig::with_secret("s3cret");
//! let sandbox = Sandbox::builder()
//!     .webhook(ProviderKind::Voicebot, "http://127.0.0.1:3000/webhooks/support", config)
//!     .start()
//!     .await?;
//! // Every end-of-call report is posted twice.
//! sandbox.faults().inject_delivery(
//!     DeliveryFault::new(DeliveryFaultKind::Duplicate)
//!         .event("end-of-call-report")
//!         .times(u32::MAX),
//! );
//! # Ok(()) }
//! ```
//!
//! Delivery faults ([`DeliveryFault`]): a duplicate delivery, out-of-order deliveries (the
//! end before the in-progress), a wrong signature, a stale signature (signed past the
//! scheme's tolerance). A slow or failing receiver is the
//! receiver's doing; the emulator answers it with the target's timeout and retries.
//!
//! # Control API
//!
//! Every sandbox takes all of this over HTTP, under `/_sandbox` at its address (no key: it
//! listens on loopback); the table shows `voiceport sandbox`'s default port, 8700:
//!
//! | request | effect |
//! | --- | --- |
//! | `GET http://127.0.0.1:8700/_sandbox` | `{"calls", "dialed", "deliveries"}` per vendor (`deliveries`: every attempt made, those no longer recorded included), and the number of faults armed |
//! | `POST http://127.0.0.1:8700/_sandbox/faults` | arms a fault (below): on requests, or on deliveries |
//! | `DELETE http://127.0.0.1:8700/_sandbox/faults` | disarms every fault |
//! | `POST http://127.0.0.1:8700/_sandbox/reset` | back to the state it started with ([`Sandbox::reset`]): seeded calls as generated, dialed ones, faults and the record of requests and deliveries gone; the webhook targets stay |
//! | `GET http://127.0.0.1:8700/_sandbox/requests/{vendor}` | the newest `?limit=` requests the vendor's emulator answered ([`Sandbox::requests`]; default 100), oldest first, with `total` |
//! | `PUT http://127.0.0.1:8700/_sandbox/webhooks/{vendor}` | sets the vendor's webhook target for calls dialed from now on (a call already dialed keeps its own): `{"url": …, "retries": …, "timeout_ms": …, "retry_delay_ms": …, "tool_calls": false, "every_event": false}` (a key left out takes the vendor's default: Retell 3 retries and 10,000 ms, the others 0 and 20,000, documented for Vapi and Voicebot Studio and the sandbox's choice for HappyRobot and Rounded, which document none; a 100 ms pause) plus the signing keys of [`WebhookConfig`] (`verify`, `secret`, `header`, `timestamp_header` …; not its `url`); `retries` at most 10, `timeout_ms` 1 to 300,000, `retry_delay_ms` at most 60,000, and a configuration that cannot sign is refused (400) |
//! | `GET http://127.0.0.1:8700/_sandbox/webhooks/{vendor}?call_id=…&limit=…` | the target (never its secret) and the delivery attempts (`event`, `call_id`, `attempt`, `status_code`, `body` …), oldest first: the newest `limit` (default 100) of those recorded (about `call_id` only, when given), and `total`, how many recorded ones match; the sandbox records the newest [`MAX_RECORDED_ATTEMPTS`] (10,000) within [`MAX_RECORDED_ATTEMPT_BYTES`], older ones dropped |
//! | `DELETE http://127.0.0.1:8700/_sandbox/webhooks/{vendor}` | no deliveries for calls dialed from now on; a call already dialed keeps posting to the target it was dialed with |
//!
//! `{vendor}` is `happyrobot`, `voicebot`, `rounded`, `vapi` or `retell`.
//!
//! A fault is a JSON object (unknown keys refused):
//!
//! ```json
//! {"fault": "status", "status": 503, "vendor": "happyrobot", "method": "GET",
//!  "path": "/calls", "skip": 0, "times": 3}
//! ```
//!
//! `fault` is one of `status` (with `status`, 400 to 599), `rate_limited` (with
//! `retry_after_secs`, default 1, sent rounded up to whole seconds), `delay` (with
//! `delay_ms`), `drop_connection`, `malformed`, `truncated`, `ignore_query`, as
//! [`FaultKind`]'s variants; `vendor`, `method`, `path`, `skip` and `times` narrow it as
//! [`Fault`]'s builder methods do (`times` defaults to 1), and `"after_handler": true` lets
//! the request take effect before its response is spoiled. On deliveries
//! ([`DeliveryFault`]): `duplicate_delivery`, `out_of_order_delivery`, `wrong_signature`
//! and `stale_signature`, narrowed by `vendor`, `event` (the vendor's event type:
//! `end-of-call-report`, `end` …), `call_id`, `skip` and `times`; `out_of_order_delivery`
//! is decided when a call is dialed, for all its deliveries, so it takes no `event` and its
//! `skip` and `times` count dialed calls.
//!
//! The sandbox emulates HappyRobot, Voicebot Studio, Rounded, Vapi and Retell
//! ([`Sandbox::emulates`]).
//! [`ProviderKind`] grows with voiceport; a kind the sandbox does not emulate is never
//! served as another vendor. The methods that take a kind answer for it as for an empty,
//! unreachable account: no calls, no dials, no webhook delivery, a key no emulated API
//! accepts ([`NOT_EMULATED_KEY`]), and a base URL under `/_not_emulated/{kind}` where every
//! request answers 404 with a JSON message saying the sandbox does not emulate that vendor.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
// docs.rs builds with `--cfg docsrs`: feature-gated items show which feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Handlers return ready HTTP responses as their error values; one per request, never hot.
#![allow(clippy::result_large_err)]

mod common;
pub mod conformance;
mod content;
mod control;
mod faults;
mod happyrobot;
mod requests;
mod retell;
mod rng;
mod rounded;
mod sim;
mod store;
mod vapi;
mod vendor;
mod webhooks;

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
#[cfg(doc)]
use voiceport_core::webhook::Verifier;
use voiceport_core::webhook::WebhookConfig;
use voiceport_core::{ProviderConfig, ProviderKind, ProvidersFile};

pub use common::NOT_EMULATED_KEY;
use common::api_key;
pub use faults::{DeliveryFault, DeliveryFaultKind, Fault, FaultKind, Faults};
pub use requests::{MAX_RECORDED_REQUESTS, MAX_RECORDED_URI_PART, ServedRequest};
pub use sim::Timing;
pub use webhooks::{
    DEFAULT_DELIVERY_TIMEOUT, DEFAULT_RETRY_DELAY, DeliveryAttempt, MAX_DELIVERY_TIMEOUT,
    MAX_RECORDED_ATTEMPT_BYTES, MAX_RECORDED_ATTEMPTS, MAX_REPLY_BYTES, MAX_RETRIES,
    MAX_RETRY_DELAY, RETELL_DELIVERY_TIMEOUT, WebhookTarget,
};

use common::Ctx;
use store::{History, State};
use vendor::{PerVendor, Vendor};

/// The vendors whose APIs the sandbox emulates, in [`ProviderKind::ALL`]'s order.
pub const EMULATED: &[ProviderKind] = &[
    ProviderKind::HappyRobot,
    ProviderKind::Voicebot,
    ProviderKind::Rounded,
    ProviderKind::Vapi,
    ProviderKind::Retell,
];

/// The number of HappyRobot calls the vendor's own docs show for one account.
pub const HAPPYROBOT_DOCS_CALL_COUNT: usize = 12_993;

/// How the sandbox ends a dialed call, by the last digit of the number called (what
/// `voiceport sandbox` prints beside its configuration). A test keeps it in step with the
/// emulators.
pub const DIAL_OUTCOMES: &[(&str, &str)] = &[
    ("0", "no answer"),
    ("1", "busy"),
    ("2", "voicemail"),
    ("3", "failed"),
    ("4", "completed: the agent ends the conversation"),
    ("5", "transferred"),
    (
        "6",
        "in progress until ended through the API, else by the maximum duration (the dial's, or 10 minutes)",
    ),
    ("7-9", "completed: the customer ends the conversation"),
];

/// Where the base URL of a kind the sandbox does not emulate points: every request under
/// it answers 404 (see [`not_emulated`]).
const NOT_EMULATED: &str = "/_not_emulated";

/// The path of the HappyRobot platform API (usage), another host in production.
const HAPPYROBOT_PLATFORM: &str = "/happyrobot-platform/api/v1";

/// How to build a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    seed: u64,
    histories: PerVendor<History>,
    timing: Timing,
    addr: SocketAddr,
    webhooks: Vec<(ProviderKind, WebhookTarget)>,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            seed: 42,
            histories: PerVendor::from_fn(|_| History::default()),
            timing: Timing::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            webhooks: Vec::new(),
        }
    }
}

impl SandboxBuilder {
    /// The seed of the generated history (default 42): the same seed, the same calls. The
    /// seeded calls were created over the 90 days before 2026-11-01 (whatever today's
    /// date): a time filter relative to now may find none of them; calls dialed through
    /// the API are created now. A dialed call's id and conversation come of the seed, its
    /// vendor and how many calls were dialed at that vendor before it since the start or
    /// the last [`reset`](Sandbox::reset) (nothing else): a vendor's first dialed call (and
    /// its third, fifth …) talks through a tool call, the others not.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many seeded calls `kind` holds (default 200 each). Ignored for a kind the
    /// sandbox does not emulate.
    #[must_use]
    pub fn calls(mut self, kind: ProviderKind, count: usize) -> Self {
        if let Some(vendor) = Vendor::of(kind) {
            self.histories[vendor].count = count;
        }
        self
    }

    /// Seeds `kind`'s calls in bursts of `size` created in the same millisecond, as a
    /// campaign places its calls (default 1: no two seeded calls share one). A page that
    /// ends inside a burst is where time-keyed paging loses or repeats calls: Vapi's and
    /// Voicebot Studio's list (`createdAtLt`) and Retell's `pagination_key` walk every call
    /// once all the same. Rounded's cursor is a time and nothing more (as Rounded documents
    /// it, without saying which of the call's times; the adapter passes it back untouched):
    /// the emulator lists and pages on its calls' creation, which its calls do not show
    /// (*inferred*: a call never answered has no `start_time` to page by, and Rounded's
    /// phone-number list pages by `created_at`); the emulator's next page starts before it, so in cursor mode the rest of
    /// a burst cut by a page is not listed (what Rounded does there is not documented);
    /// page mode lists every call. The ids and everything else seeded stay as
    /// they are without bursts. Ignored for a kind the sandbox does not emulate.
    #[must_use]
    pub fn creation_bursts(mut self, kind: ProviderKind, size: usize) -> Self {
        if let Some(vendor) = Vendor::of(kind) {
            self.histories[vendor].burst = size.max(1);
        }
        self
    }

    /// How long the phases of a dialed call last, each at most [`Timing::LONGEST`] (30
    /// days: longer is taken as that, a call that rings "for ever" within any test).
    #[must_use]
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing.bounded();
        self
    }

    /// Listen on this address (default `127.0.0.1:0`, an ephemeral port).
    #[must_use]
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Posts `kind`'s webhook deliveries to `url`, signed as `config` says, retried as
    /// `kind` retries them ([`WebhookTarget::for_vendor`]; for other retries and timeouts,
    /// [`SandboxBuilder::webhook_target`]).
    /// A configuration that cannot sign (no secret for the `header` scheme …), or that
    /// checks what the vendor cannot send (a header from Rounded, whose agents take a URL
    /// only; Retell's signature from any other vendor; a signature from HappyRobot; no
    /// signature from Retell), makes [`start`](Self::start) fail.
    #[must_use]
    pub fn webhook(
        self,
        kind: ProviderKind,
        url: impl Into<String>,
        config: WebhookConfig,
    ) -> Self {
        self.webhook_target(kind, WebhookTarget::for_vendor(kind, url, config))
    }

    /// Posts `kind`'s webhook deliveries to `target`.
    #[must_use]
    pub fn webhook_target(mut self, kind: ProviderKind, target: WebhookTarget) -> Self {
        self.webhooks.push((kind, target));
        self
    }

    /// Generates the state and starts serving in the background of the current tokio
    /// runtime. Fails when the address cannot be bound, and (`InvalidInput`) when a
    /// webhook target cannot be used (its URL, or a configuration that cannot sign).
    pub async fn start(self) -> std::io::Result<Sandbox> {
        let state = Arc::new(State::new(self.seed, self.histories, self.timing));
        for (kind, target) in self.webhooks {
            set_target(&state, kind, target)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        state.set_origin(format!("http://{addr}"));
        let app = app(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
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
            server: Some(server),
            thread: None,
        })
    }

    /// As [`start`](Self::start), but on a thread and Tokio runtime of its own, which live
    /// until the sandbox is stopped or dropped: a sandbox that outlives the runtime of the
    /// code that started it (one shared by a suite's tests through a `static`, each
    /// `#[tokio::test]` with a runtime of its own), and one a test without a runtime can
    /// start. Nothing in it runs on the caller's runtime; its waits
    /// ([`Sandbox::wait_for_deliveries`]) still need one. Stopping it gives the requests
    /// being answered a second to end, then ends the runtime; dropping it waits for that
    /// (so that its port is free once the drop returns), blocking the dropping thread up to
    /// about two seconds: in async code, drop it inside `tokio::task::spawn_blocking`, so
    /// that the runtime's other tasks (a receiver taking its last deliveries) go on.
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use voiceport_sandbox::Sandbox;
    ///
    /// static SANDBOX: LazyLock<Sandbox> = LazyLock::new(|| {
    ///     Sandbox::builder().start_detached().expect("a loopback port")
    /// });
    /// assert!(SANDBOX.addr().ip().is_loopback());
    /// ```
    pub fn start_detached(self) -> std::io::Result<Sandbox> {
        static DETACHED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let detached = DETACHED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (started, sandbox) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(SANDBOX_THREAD.into())
            .spawn(move || {
                OWN_SANDBOX.set(detached);
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name(SANDBOX_THREAD)
                    .on_thread_start(move || OWN_SANDBOX.set(detached))
                    .enable_all()
                    .build();
                let runtime = match runtime {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = started.send(Err(error));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match self.start().await {
                        Ok(mut sandbox) => {
                            let stopped = sandbox.state.hooks.stopped();
                            let server = sandbox.server.take();
                            let _ = started.send(Ok(sandbox));
                            // Until the sandbox stops; then a second for the server's
                            // graceful shutdown (the answers being written).
                            stopped.await;
                            if let Some(server) = server {
                                let grace = std::time::Duration::from_secs(1);
                                let _ = tokio::time::timeout(grace, server).await;
                            }
                        }
                        Err(error) => {
                            let _ = started.send(Err(error));
                        }
                    }
                });
                runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            })?;
        let mut sandbox = sandbox
            .recv()
            .map_err(|_| std::io::Error::other("the sandbox's thread ended before it started"))??;
        sandbox.thread = Some((thread, detached));
        Ok(sandbox)
    }
}

/// The name of a detached sandbox's threads (its own and its runtime's).
const SANDBOX_THREAD: &str = "voiceport-sandbox";

thread_local! {
    /// On a detached sandbox's threads, its number (0 elsewhere): the drop that would
    /// wait for those threads does not, on one of them.
    static OWN_SANDBOX: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// `name` as one segment of a URL's path: every byte but the unreserved ones
/// (`A-Z a-z 0-9 - . _ ~`) percent-encoded, as the receiver's router decodes it. (Provider
/// names may hold spaces, `/` or `?`; a dependency for these few lines was not worth it.)
fn path_segment(name: &str) -> String {
    let mut segment = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            segment.push(char::from(byte));
        } else {
            segment.push_str(&format!("%{byte:02X}"));
        }
    }
    segment
}

/// Resolves and installs `kind`'s webhook target.
fn set_target(
    state: &State,
    kind: ProviderKind,
    target: WebhookTarget,
) -> voiceport_core::Result<()> {
    let Some(vendor) = Vendor::of(kind) else {
        return Err(voiceport_core::Error::config(
            format!("webhooks.{kind}"),
            "the sandbox does not emulate this vendor",
        ));
    };
    state.hooks.set(vendor, Some(target.resolve(kind)?));
    Ok(())
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
            Vendor::Voicebot => vapi::voicebot_router,
            Vendor::Rounded => rounded::router,
            Vendor::Vapi => vapi::vapi_router,
            Vendor::Retell => retell::router,
        };
        app = app.nest(vendor.prefix(), emulator(vendor, router));
    }
    // Vapi's live-call control URLs: another host in production, and no key.
    let live = Ctx {
        state: state.clone(),
        vendor: Vendor::Vapi,
    };
    app.nest(
        HAPPYROBOT_PLATFORM,
        emulator(Vendor::HappyRobot, happyrobot::platform_router),
    )
    .nest(
        vapi::LIVE,
        vapi::live_router(live.clone()).layer(from_fn_with_state(live, common::faults_only)),
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

/// The options a Vapi-family provider dials with: the flavour's assistant and number.
fn vapi_options(config: ProviderConfig, flavor: vapi::Flavor) -> ProviderConfig {
    config
        .with_option("assistant_id", flavor.assistant_id())
        .with_option("phone_number_id", flavor.phone_number_id())
}

/// A running sandbox. Stops serving when dropped.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    /// The server's task (taken by a detached sandbox's thread, which waits for it).
    server: Option<tokio::task::JoinHandle<()>>,
    /// A detached sandbox's thread, joined on drop, and its number (see `OWN_SANDBOX`).
    thread: Option<(std::thread::JoinHandle<()>, u64)>,
}

impl Sandbox {
    /// A builder with the defaults (seed 42, 200 calls per vendor, an ephemeral port).
    #[must_use]
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the sandbox emulates `kind`'s API (one of [`EMULATED`]).
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
                .with_option("number_id", happyrobot::NUMBER_ID)
                .with_option("use_case_id", "6650bb00bb00bb00bb00bb00")
                .with_option("organization_id", "0196f0a2-0000-7000-8000-000000000001")
                .with_option("usage_base_url", self.happyrobot_platform_url()),
            Vendor::Voicebot => vapi_options(config, vapi::Flavor::Voicebot),
            Vendor::Vapi => vapi_options(config, vapi::Flavor::Vapi),
            Vendor::Rounded => config
                .with_option("from_number", store::ROUNDED_FROM_NUMBER)
                .with_option("agent_id", store::ROUNDED_AGENTS[0]),
            Vendor::Retell => config
                .with_option("from_number", store::RETELL_FROM_NUMBER)
                .with_option("agent_id", store::RETELL_AGENTS[0]),
        }
    }

    /// [`provider_config`](Self::provider_config) as a `voiceport.toml` provider table
    /// named `name`: `[providers.NAME]` with its `kind`, `api_key` and `base_url`, then
    /// `[providers.NAME.options]`. Further tables of the provider (`webhook`, `retry`) can
    /// follow it as text. Against a real account the table holds `kind`, `api_key_env` and
    /// the vendor's options, and no `base_url`.
    ///
    /// No `webhook` table, even when `kind` has a target: the receiver's table comes first
    /// (the receiver is built from it, and a target needs the URL it then listens on), and
    /// the target is made from that table, as a vendor is set up with what the receiver
    /// checks ([`WebhookTarget::for_vendor`] with the provider's parsed `webhook`). What
    /// is written here does not change with the targets set meanwhile, so a table appended
    /// to it is never there twice.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// # mod voiceport { pub use voiceport_core::*; pub mod webhooks { pub use voiceport_core::webhook::*; } }
    /// use voiceport::{ProviderKind, ProvidersFile};
    /// use voiceport_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::builder().start().await?;
    /// let mut toml = sandbox.provider_toml("sales", ProviderKind::HappyRobot);
    /// toml.push_str("[providers.sales.retry]\nmax_attempts = 1\n");
    /// // As `voiceport::Registry::from_toml_str` reads it.
    /// let file = ProvidersFile::from_toml_str(&toml)?;
    /// assert_eq!(file.providers["sales"].retry.max_attempts, Some(1));
    /// # Ok(()) }
    /// ```
    pub fn provider_toml(&self, name: &str, kind: ProviderKind) -> String {
        let config = self.provider_config(kind);
        let mut provider = toml::Table::new();
        provider.insert("kind".into(), kind.as_str().into());
        provider.insert("api_key".into(), api_key(kind).into());
        provider.insert("base_url".into(), self.base_url(kind).into());
        // Every option the sandbox sets is a string; TOML has no null, so none is dropped.
        // (The table keeps the order written: `kind` first, as people write it.)
        let options: toml::Table = (config.options.iter())
            .filter_map(|(key, value)| Some((key.clone(), toml::Value::try_from(value).ok()?)))
            .collect();
        if !options.is_empty() {
            provider.insert("options".into(), options.into());
        }
        let providers = toml::Table::from_iter([(name.to_owned(), provider.into())]);
        toml::Table::from_iter([("providers".to_owned(), providers.into())]).to_string()
    }

    /// The faults in force; add some with [`Faults::inject`].
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// Puts the sandbox back as it started, for the next test of a suite that shares one:
    /// every vendor's seeded history as generated (dialed calls, deletions, notes and
    /// changes gone; the dial counts at zero, so the next dial gets the first dial's id
    /// again), no fault, no request or delivery attempt recorded, and nothing more posted
    /// about the calls dialed before (their deliveries and retries end). The webhook
    /// targets stay.
    /// Over HTTP: `POST /_sandbox/reset`.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// How many calls `kind` holds now (deleted ones excluded); 0 for a kind the sandbox
    /// does not emulate.
    pub fn call_count(&self, kind: ProviderKind) -> usize {
        Vendor::of(kind).map_or(0, |vendor| self.state.calls(vendor).len())
    }

    /// How many calls were created through `kind`'s dial endpoint; 0 for a kind the
    /// sandbox does not emulate.
    pub fn dialed_count(&self, kind: ProviderKind) -> usize {
        Vendor::of(kind).map_or(0, |vendor| self.state.calls(vendor).dialed)
    }

    /// The webhook body `kind` would post when the call `call_id` ends, in that vendor's
    /// shape, as of now (`None`: no such call, or a kind the sandbox does not emulate).
    pub fn webhook_delivery(
        &self,
        kind: ProviderKind,
        call_id: impl AsRef<str>,
    ) -> Option<Vec<u8>> {
        let vendor = Vendor::of(kind)?;
        let store = self.state.calls(vendor);
        let call = store.get(call_id.as_ref())?;
        let view = call.view(std::time::Instant::now(), &self.state.timing);
        let family = |flavor| vapi::Family {
            flavor,
            origin: self.state.origin(),
        };
        let body = match vendor {
            Vendor::HappyRobot => happyrobot::end_delivery(call, &view),
            Vendor::Voicebot => family(vapi::Flavor::Voicebot).end_delivery(call, &view),
            Vendor::Rounded => rounded::end_delivery(call, &view),
            Vendor::Vapi => family(vapi::Flavor::Vapi).end_delivery(call, &view),
            Vendor::Retell => retell::end_delivery(call, &view),
        };
        serde_json::to_vec(&body).ok()
    }

    /// Posts `kind`'s webhook deliveries for calls dialed from now on to `target`
    /// (replacing any target it had; a call already dialed keeps posting to the target it
    /// was dialed with, retries included). Refused when the target cannot be used (its URL, a
    /// configuration that cannot sign or that checks what `kind` cannot send, as for
    /// [`SandboxBuilder::webhook`]) or the sandbox does not emulate `kind`.
    pub fn set_webhook(
        &self,
        kind: ProviderKind,
        target: WebhookTarget,
    ) -> voiceport_core::Result<()> {
        set_target(&self.state, kind, target)
    }

    /// Points the emulator of every provider in `providers` that has a `webhook` table at
    /// one receiver: `url` with `{provider}` replaced by the provider's name
    /// (percent-encoded), as the receiver serves it (`http://127.0.0.1:8787/webhooks/{provider}`,
    /// the address `voiceport listen` prints). Each emulator signs as its provider's table
    /// says, which is what the receiver built from the same file checks, and delivers as
    /// its vendor does ([`WebhookTarget::for_vendor`]: its retries and timeout). The names
    /// of the providers pointed, in order of name.
    ///
    /// Refused, with no emulator changed, when `url` has no `{provider}` (written so, or
    /// percent-encoded as a URL parser writes it), when two
    /// providers of one vendor have a `webhook` table (the sandbox runs one emulator of
    /// each vendor), or when a target cannot be used (as for [`set_webhook`](Self::set_webhook)).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use voiceport_core::{ProviderKind, ProvidersFile};
    /// use voiceport_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::builder().start().await?;
    /// let mut toml = sandbox.provider_toml("support", ProviderKind::Retell);
    /// toml.push_str("[providers.support.webhook]\nsecret = \"key_3f9c0a6d2b5e4817\"\n");
    /// let file = ProvidersFile::from_toml_str(&toml)?;
    /// // A receiver built from `file` serves this address.
    /// let pointed = sandbox.point_webhooks_at("http://127.0.0.1:8787/webhooks/{provider}", &file)?;
    /// assert_eq!(pointed, ["support"]);
    /// # Ok(()) }
    /// ```
    pub fn point_webhooks_at(
        &self,
        url: &str,
        providers: &ProvidersFile,
    ) -> voiceport_core::Result<Vec<String>> {
        self.point_webhooks_at_with(url, providers, |target| target)
    }

    /// [`point_webhooks_at`](Self::point_webhooks_at), each target changed by `adjust`
    /// first (`|target| target.tool_calls(true)`, or other retries).
    pub fn point_webhooks_at_with(
        &self,
        url: &str,
        providers: &ProvidersFile,
        mut adjust: impl FnMut(WebhookTarget) -> WebhookTarget,
    ) -> voiceport_core::Result<Vec<String>> {
        const PLACEHOLDER: &str = "{provider}";
        // As a URL parser writes it (`%7Bprovider%7D`), too.
        let url = ["%7Bprovider%7D", "%7bprovider%7d"]
            .iter()
            .fold(url.to_owned(), |url, encoded| {
                url.replace(encoded, PLACEHOLDER)
            });
        if !url.contains(PLACEHOLDER) {
            return Err(voiceport_core::Error::config(
                "url",
                "the receiver's URL names where each provider's name goes: `{provider}`, as in `http://127.0.0.1:8787/webhooks/{provider}`",
            ));
        }
        // Every target is checked before any is set: nothing changes on a refusal.
        let mut targets: Vec<(&String, ProviderKind, Vendor, _)> = Vec::new();
        for (name, config) in &providers.providers {
            let Some(webhook) = config.webhook.clone() else {
                continue;
            };
            let kind = config.kind;
            if let Some((other, ..)) = targets.iter().find(|(_, other, ..)| *other == kind) {
                return Err(voiceport_core::Error::config(
                    format!("providers.{name}.webhook"),
                    format!(
                        "the sandbox runs one {kind} emulator, and provider {other:?} has a webhook table too: point one of them, with `set_webhook`"
                    ),
                ));
            }
            let Some(vendor) = Vendor::of(kind) else {
                return Err(voiceport_core::Error::config(
                    format!("providers.{name}"),
                    "the sandbox does not emulate this vendor",
                ));
            };
            let at = url.replace(PLACEHOLDER, &path_segment(name));
            let target = adjust(WebhookTarget::for_vendor(kind, at, webhook));
            targets.push((name, kind, vendor, target.resolve(kind)?));
        }
        let pointed = targets
            .iter()
            .map(|(name, ..)| String::clone(name))
            .collect();
        for (_, _, vendor, target) in targets {
            self.state.hooks.set(vendor, Some(target));
        }
        Ok(pointed)
    }

    /// No webhook deliveries for `kind`'s calls dialed from now on. A call already dialed
    /// keeps posting to the target it was dialed with until it ends (deleting the call, a
    /// [`reset`](Self::reset), or stopping the sandbox, ends its deliveries).
    pub fn clear_webhook(&self, kind: ProviderKind) {
        if let Some(vendor) = Vendor::of(kind) {
            self.state.hooks.set(vendor, None);
        }
    }

    /// The webhook delivery attempts `kind`'s emulator has made, oldest first (retries and
    /// duplicates included, each a separate attempt): the newest [`MAX_RECORDED_ATTEMPTS`]
    /// (within [`MAX_RECORDED_ATTEMPT_BYTES`]), older ones dropped.
    pub fn deliveries(&self, kind: ProviderKind) -> Vec<DeliveryAttempt> {
        Vendor::of(kind).map_or_else(Vec::new, |vendor| self.state.hooks.attempts(vendor))
    }

    /// Waits until the emulator is done with the call `call_id` (a `&str` or the `CallId` a
    /// dial returned) — it ended, and each of its
    /// deliveries was attempted as often as it will be — then gives its attempts (those
    /// still recorded: see [`deliveries`](Self::deliveries)). `None`
    /// when `timeout` passes first (or the sandbox does not emulate `kind`): the attempts
    /// made so far are still in [`deliveries`](Self::deliveries). A call dialed while
    /// `kind` had no target, or not dialed at all, is done at once, with no attempt.
    ///
    /// A receiver that hands each event over before answering (as voiceport's does) has
    /// every accepted event in hand by the time this returns: tests need no sleep.
    pub async fn wait_for_deliveries(
        &self,
        kind: ProviderKind,
        call_id: impl AsRef<str>,
        timeout: std::time::Duration,
    ) -> Option<Vec<DeliveryAttempt>> {
        let vendor = Vendor::of(kind)?;
        let call_id = call_id.as_ref();
        self.state.hooks.settled(vendor, call_id, timeout).await
    }

    /// The requests `kind`'s emulator answered, in the order they arrived (those refused
    /// for their key, those a fault answered, and those whose client went away first, with
    /// no status, included): the newest [`MAX_RECORDED_REQUESTS`] to end, older ones
    /// dropped; a reset clears them (a request still being answered then is left out). What a test reads to see that a client retried
    /// after a 503, or sent the query it should.
    pub fn requests(&self, kind: ProviderKind) -> Vec<ServedRequest> {
        Vendor::of(kind).map_or_else(Vec::new, |vendor| self.state.requests.of(vendor))
    }

    /// Waits until the emulator of `kind` is done with every call it follows (each ended,
    /// each delivery attempted as often as it will be: for an application that dials
    /// without telling the test which call), then gives all its attempts (those still
    /// recorded: see [`deliveries`](Self::deliveries)). `None` when `timeout` passes
    /// first (or the sandbox does not emulate `kind`). A call is followed once its dial is
    /// answered: a dial still on its way when the wait finds nothing pending is not waited
    /// for (wait for the dial first). On a sandbox shared by several tests, it waits for
    /// their calls too.
    pub async fn wait_for_all_deliveries(
        &self,
        kind: ProviderKind,
        timeout: std::time::Duration,
    ) -> Option<Vec<DeliveryAttempt>> {
        let vendor = Vendor::of(kind)?;
        self.state.hooks.idle(vendor, timeout).await
    }

    /// Stops serving (also done on drop), and stops following calls. A sandbox started
    /// with [`SandboxBuilder::start`] serves on the caller's runtime: its listener closes
    /// once that runtime next runs its server task, not before `stop` (or the drop)
    /// returns, so a sandbox started again on the same port at once may find it taken.
    /// One started with [`SandboxBuilder::start_detached`] has freed its port when its
    /// drop returns.
    pub fn stop(&mut self) {
        self.state.hooks.stop();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
        // A detached sandbox: its runtime's end (at most about two seconds), so that the
        // port is free once the drop returns. Never from one of its own threads, which the
        // join would wait on.
        if let Some((thread, detached)) = self.thread.take()
            && OWN_SANDBOX.get() != detached
        {
            let _ = thread.join();
        }
    }
}
