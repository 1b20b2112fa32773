//! voiceport: one API over several voice-AI call platforms.
//!
//! Code against one trait, [`VoiceProvider`], and one model, [`Call`]; which vendor
//! answers (HappyRobot, Voicebot Studio, Rounded, Vapi, Retell AI) is a line of
//! configuration.
//!
//! ```no_run
//! use voiceport::futures::TryStreamExt;
//! use voiceport::{CallQuery, CallStatus, DialRequest, VoiceProviderExt};
//!
//! # async fn run() -> voiceport::Result<()> {
//! // Named providers from a TOML file; change `kind` to change vendor.
//! let registry = voiceport::Registry::from_toml_str(r#"
//!     [providers.sales]
//!     kind = "happyrobot"
//!     api_key_env = "HAPPYROBOT_API_KEY"
//! "#)?;
//! let provider = registry.connect("sales")?;
//!
//! // Place a call. A dial that failed may still have placed it: `call_may_exist` says.
//! match provider.dial(&DialRequest::to("+14155550187")).await {
//!     Ok(dialed) => println!("dialed {}", dialed.call_id),
//!     Err(error) if error.call_may_exist() => {
//!         println!("{error}: look the call up before dialing again")
//!     }
//!     Err(error) => println!("{error}"),
//! }
//!
//! // Read every completed call, page by page.
//! let query = CallQuery { statuses: vec![CallStatus::Completed], ..Default::default() };
//! let mut calls = provider.calls(query);
//! while let Some(call) = calls.try_next().await? {
//!     println!("{} {} {:?}", call.id, call.status, call.duration_secs);
//! }
//! # Ok(()) }
//! ```
//!
//! Each vendor is a cargo feature (`happyrobot`, `voicebot`, `rounded`, `vapi`, `retell`,
//! all on by default); each adapter crate is re-exported under its vendor's name
//! ([`happyrobot`], [`voicebot`], [`rounded`], [`vapi`], [`retell`]; Vapi and Voicebot
//! Studio, a white-labelled Vapi, share one crate, which both names re-export) for its
//! vendor extensions, which the trait object reaches too:
//!
//! ```no_run
//! # #[cfg(feature = "happyrobot")]
//! # fn run(registry: voiceport::Registry) -> voiceport::Result<()> {
//! let provider = registry.connect("sales")?;
//! if let Some(happyrobot) = provider.extension::<voiceport::happyrobot::HappyRobot>() {
//!     // HappyRobot-only: ratings, viewed-by, logs, tags, CSV export by email, usage.
//!     let _ = happyrobot.options();
//! }
//! # Ok(()) }
//! ```
//!
//! One provider without a file: [`connect`] takes a [`ProviderConfig`] built in code
//! (`ProviderConfig::new(kind).with_api_key(…)`). Several accounts at once: a [`Registry`]
//! holds named providers, merges their calls into one stream ([`Registry::calls`]) and
//! dials through routes that fail over or split traffic ([`Registry::dial`]).
//! [`webhooks`] verifies and parses what vendors post; with the `axum` feature its
//! `Receiver` serves the deliveries of every provider that has a `[providers.NAME.webhook]`
//! table, verified and de-duplicated. An [`Interrupt`], set off by your code (on Ctrl-C,
//! say), stops dials not yet sent while one already sent is still answered.
//!
//! [`codec`] decodes any vendor's JSON without a key or a network. The `insta` feature
//! adds `snapshot::insta_settings()` for your own snapshot tests; the `conformance` feature
//! the suite every provider must pass; `native-roots` trusts the operating system's
//! certificate store besides the built-in roots. `axum`, `insta`, `conformance` and
//! `native-roots` are off by default. Everything runs on a Tokio runtime. To try it all
//! without an account, the `voiceport-sandbox` crate (and `voiceport sandbox` on the
//! command line) serves local emulators of every vendor's API.
//!
// A vendor's link leads to its module when its feature is on, else to the crate's page.
#![cfg_attr(feature = "happyrobot", doc = "[`happyrobot`]: crate::happyrobot")]
#![cfg_attr(not(feature = "happyrobot"), doc = "[`happyrobot`]: self")]
#![cfg_attr(feature = "voicebot", doc = "[`voicebot`]: crate::voicebot")]
#![cfg_attr(not(feature = "voicebot"), doc = "[`voicebot`]: self")]
#![cfg_attr(feature = "rounded", doc = "[`rounded`]: crate::rounded")]
#![cfg_attr(not(feature = "rounded"), doc = "[`rounded`]: self")]
#![cfg_attr(feature = "vapi", doc = "[`vapi`]: crate::vapi")]
#![cfg_attr(not(feature = "vapi"), doc = "[`vapi`]: self")]
#![cfg_attr(feature = "retell", doc = "[`retell`]: crate::retell")]
#![cfg_attr(not(feature = "retell"), doc = "[`retell`]: self")]
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
// docs.rs builds with `--cfg docsrs`: feature-gated items show which feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::sync::Arc;

// What applications use. Adapter authors find the HTTP toolkit and the `Adapter` trait in
// `voiceport-core` itself (`voiceport_core::http`, `voiceport_core::adapter`).
/// A shared, cheaply cloned byte buffer: a body for [`Codec::decode_shared`].
pub use voiceport_core::Bytes;
pub use voiceport_core::{
    AgentId, AgentRef, Analysis, Call, CallEvent, CallId, CallKind, CallPage, CallQuery,
    CallStatus, CallUpdate, CampaignId, Capabilities, Classification, Codec, Cost, CostCategory,
    CostItem, Decoded, DialOutcome, DialRequest, Direction, EachCall, EndReason, EndReasonCategory,
    Error, ErrorSource, EventKind, ExposeSecret, FieldError, Filter, Interrupt, MAX_WARNINGS,
    MetadataMode, NormalizationWarning, Note, NoteId, NoteInput, NoteUpdate, Operation,
    OrganizationId, PageCursor, PageIds, PayloadKind, ProviderConfig, ProviderKind, ProvidersFile,
    Rating, Recording, RequestOutcome, Result, RetrySettings, RouteConfig, RoutePolicy, SecretMask,
    SecretString, SortOrder, Speaker, ToolCall, ToolResult, Transcript, UnknownNameError,
    Utterance, VendorPayload, VoiceProvider, VoiceProviderExt, Wait, WarningKind, async_trait,
    call_stream, chain_text, page_stream, sharing_body,
};

// The crates whose types voiceport's signatures use, at the versions it uses, so that an
// application can name them without pinning its own copy: `voiceport::chrono::Utc`,
// `voiceport::serde_json::Value`, `voiceport::futures::StreamExt`. Secrets are `secrecy`'s
// types (`SecretString`, `ExposeSecret`, re-exported above); the receiver (`axum` feature)
// returns an `axum::Router` and hands deliveries over a `tokio::sync::mpsc` channel, with
// `tokio::time::Instant` deadlines, of the axum and tokio an application serving it has.
pub use chrono;
pub use futures;
pub use serde_json;

/// The conformance suite every provider must pass, against the sandbox or a live account
/// (`voiceport check` runs it).
#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub use voiceport_core::conformance;
pub mod webhooks;

mod registry;
pub use registry::{
    MergeOptions, MergedCall, MergedCalls, MergedCursor, ProviderError, Registry, Resolved,
    RouteError, RoutedDial, Selection,
};

/// Redactions for snapshot tests of normalized calls: insta settings (`insta` feature), and
/// the same on JSON.
pub use voiceport_core::snapshot;

/// The HappyRobot adapter: its client, options, codec and vendor-extension types.
#[cfg(feature = "happyrobot")]
#[cfg_attr(docsrs, doc(cfg(feature = "happyrobot")))]
pub use voiceport_happyrobot as happyrobot;
/// The Retell AI adapter: its client, options and codec.
#[cfg(feature = "retell")]
#[cfg_attr(docsrs, doc(cfg(feature = "retell")))]
pub use voiceport_retell as retell;
/// The Rounded adapter: its client, options and codec.
#[cfg(feature = "rounded")]
#[cfg_attr(docsrs, doc(cfg(feature = "rounded")))]
pub use voiceport_rounded as rounded;
/// The Vapi adapter (the Vapi-family crate, which serves Voicebot Studio too): its client
/// `Vapi`, options, codec `VapiCodec` and `Flavor`.
#[cfg(feature = "vapi")]
#[cfg_attr(docsrs, doc(cfg(feature = "vapi")))]
pub use voiceport_voicebot as vapi;
/// The Voicebot Studio adapter: its client, options and codec. The same crate as
/// `vapi`: `Voicebot` is `Vapi` by another name, so
/// `provider.extension::<Voicebot>()` is `Some` for a Vapi provider too; tell the two by
/// [`VoiceProvider::kind`] or `Vapi::flavor`.
#[cfg(feature = "voicebot")]
#[cfg_attr(docsrs, doc(cfg(feature = "voicebot")))]
pub use voiceport_voicebot as voicebot;

/// The stateless codec of `kind`: decode its calls, pages and webhook deliveries without a
/// key or a network.
///
/// ```
/// # #[cfg(feature = "rounded")] {
/// use voiceport::{PayloadKind, ProviderKind};
///
/// let codec = voiceport::codec(ProviderKind::Rounded)?;
/// let body = br#"{"data": {"id": "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3", "status": "completed"}}"#;
/// assert_eq!(codec.detect(body), PayloadKind::Call);
/// let call = codec.decode_call(body)?;
/// assert_eq!(call.id.as_str(), "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3");
/// # }
/// # Ok::<(), voiceport::Error>(())
/// ```
///
/// Fails with [`Error::Config`] when this build lacks the vendor's cargo feature.
pub fn codec(kind: ProviderKind) -> Result<&'static dyn Codec> {
    codec_named(kind, || "kind".into())
}

/// [`codec`], its error naming the configuration `field` that chose `kind` (a provider's
/// `providers.NAME.kind`).
pub(crate) fn codec_named(
    kind: ProviderKind,
    field: impl FnOnce() -> String,
) -> Result<&'static dyn Codec> {
    match kind {
        #[cfg(feature = "happyrobot")]
        ProviderKind::HappyRobot => Ok(&voiceport_happyrobot::HappyRobotCodec),
        #[cfg(feature = "voicebot")]
        ProviderKind::Voicebot => Ok(&voiceport_voicebot::VoicebotCodec),
        #[cfg(feature = "rounded")]
        ProviderKind::Rounded => Ok(&voiceport_rounded::RoundedCodec),
        #[cfg(feature = "vapi")]
        ProviderKind::Vapi => Ok(&voiceport_voicebot::VapiCodec),
        #[cfg(feature = "retell")]
        ProviderKind::Retell => Ok(&voiceport_retell::RetellCodec),
        #[allow(unreachable_patterns)]
        other => Err(Error::config(
            field(),
            format!("this build of voiceport lacks the `{other}` feature"),
        )),
    }
}

/// Connects to the vendor `config.kind` names.
///
/// Fails with [`Error::Config`] naming the field when the key, base URL or options are
/// unusable, or when this build lacks the vendor's cargo feature.
pub fn connect(config: &ProviderConfig) -> Result<Arc<dyn VoiceProvider>> {
    match config.kind {
        #[cfg(feature = "happyrobot")]
        ProviderKind::HappyRobot => Ok(Arc::new(voiceport_happyrobot::HappyRobot::from_config(
            config,
        )?)),
        #[cfg(feature = "voicebot")]
        ProviderKind::Voicebot => Ok(Arc::new(voiceport_voicebot::Voicebot::from_config(config)?)),
        #[cfg(feature = "rounded")]
        ProviderKind::Rounded => Ok(Arc::new(voiceport_rounded::Rounded::from_config(config)?)),
        #[cfg(feature = "vapi")]
        ProviderKind::Vapi => Ok(Arc::new(voiceport_voicebot::Vapi::from_config(config)?)),
        #[cfg(feature = "retell")]
        ProviderKind::Retell => Ok(Arc::new(voiceport_retell::Retell::from_config(config)?)),
        #[allow(unreachable_patterns)]
        other => Err(Error::config(
            config.field_name("kind"),
            format!("this build of voiceport lacks the `{other}` feature"),
        )),
    }
}

/// The README's Rust examples, compiled with the doctests (each is `no_run`: they talk to
/// vendor accounts), so that they cannot drift from the API. Its webhook receiver needs
/// the `axum` feature, which the workspace's tests turn on (the CLI asks for it).
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The Rust examples of `docs/webhooks.md`, compiled as the README's are.
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../docs/webhooks.md")]
struct WebhookDocDoctests;

/// The Rust examples of `docs/library.md`, compiled as the README's are.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
struct LibraryDocDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    /// What an application keeps in shared state, moves into tasks or returns from them
    /// crosses threads: each of these must stay `Send + Sync + 'static` (a field added
    /// without it fails this build), and a merged walk `Send + 'static`, to be spawned.
    #[test]
    fn what_applications_share_crosses_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        fn sendable<T: Send + 'static>() {}
        shareable::<Error>();
        shareable::<ProviderError>();
        shareable::<RouteError>();
        shareable::<UnknownNameError>();
        shareable::<Registry>();
        shareable::<ProviderConfig>();
        shareable::<Arc<dyn VoiceProvider>>();
        shareable::<&'static dyn Codec>();
        shareable::<Call>();
        shareable::<CallEvent>();
        shareable::<CallPage>();
        shareable::<MergedCursor>();
        shareable::<RoutedDial>();
        shareable::<webhooks::Verifier>();
        shareable::<webhooks::VerifyError>();
        shareable::<Interrupt>();
        sendable::<MergedCalls>();
        #[cfg(feature = "axum")]
        {
            shareable::<webhooks::Delivery>();
            shareable::<webhooks::HandlerError>();
        }
    }

    /// Every file the library's docs include is in the published package, whose
    /// `cargo test --doc` would not compile without it (the package lists its files).
    #[test]
    fn the_package_holds_every_file_the_docs_include() {
        let root = env!("CARGO_MANIFEST_DIR");
        let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}"));
        let manifest: toml::Table = read("Cargo.toml").unwrap().parse().unwrap();
        let packaged: Vec<&str> = manifest["package"]["include"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry.as_str().unwrap().trim_start_matches('/'))
            .collect();
        let lib = read("src/lib.rs").unwrap();
        let included: Vec<&str> = lib
            .split("include_str!(\"../")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .collect();
        assert!(included.contains(&"docs/webhooks.md"), "{included:?}");
        for file in included {
            let covered = packaged
                .iter()
                .any(|entry| entry == &file || (entry.ends_with('/') && file.starts_with(entry)));
            assert!(
                covered,
                "{file} is included by src/lib.rs but not packaged: {packaged:?}"
            );
        }
    }
}
