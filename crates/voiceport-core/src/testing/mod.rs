//! What the adapters' property tests share ("no input makes a decoder panic"). Enabled by
//! the `testing` feature; not for production use.
//!
//! - [`random`]: reproducible arbitrary JSON and mutants of a fixture;
//! - [`corpus`]: the inputs: fixture files, their mutants and truncations, arbitrary JSON,
//!   garbage bytes, each fed to a closure with a name for the failure message;
//! - [`DecoderCheck`]: what every decoder result must satisfy, whatever the input;
//! - [`Decoders`]: one vendor's decoders, fed each of those inputs;
//! - [`http`]: a wiremock server that speaks as one vendor, and the HTTP checks every
//!   adapter must pass;
//! - `snapshot_fixtures!` (with the `insta` feature too): every fixture of a folder
//!   normalized and snapshotted.
//!
//! An adapter's `tests/properties.rs` then only says which decoders it has (its `feed`)
//! and where in its vendor's shapes an arbitrary value should be planted:
//!
//! ```
//! use voiceport_core::adapter::within_entry_budget;
//! use voiceport_core::http::decode_json;
//! use voiceport_core::testing::{DecoderCheck, Decoders};
//! use voiceport_core::{Call, CallId, Operation, ProviderKind, Result};
//!
//! // A small decoder: `{"id": "..."}` is a call. Its errors say what it expects in the
//! // vendor's terms (the check refuses `expected struct Wire`).
//! #[derive(serde::Deserialize)]
//! #[serde(expecting = "a call object")]
//! struct Wire { id: String }
//!
//! // As a codec's decoders do, it runs within one entry budget of the whole body (the
//! // check refuses a decode in none, or in one per part).
//! fn decode_call(body: &[u8]) -> Result<Call> {
//!     within_entry_budget(body.len(), || {
//!         let wire: Wire = decode_json(ProviderKind::Rounded, Operation::GetCall, body)?;
//!         Ok(Call::new(CallId::new(wire.id), ProviderKind::Rounded))
//!     })
//! }
//!
//! // Every decoder gets the body; `check` accepts a call of this vendor or a decode error
//! // of this vendor, nothing else.
//! fn feed(check: DecoderCheck, body: &[u8], what: &str) {
//!     check.call(body, decode_call(body), what);
//! }
//!
//! const CHECK: DecoderCheck = DecoderCheck::new(ProviderKind::Rounded).without_payload();
//! const DECODERS: Decoders = Decoders::new(CHECK, feed);
//! DECODERS.each_arbitrary(7, 50, |v| vec![serde_json::json!({ "id": v })]);
//! DECODERS.each_garbage(7, 50);
//! ```

pub mod corpus;
mod decoders;
pub mod http;
mod invariants;
pub mod random;
#[cfg(feature = "insta")]
mod snapshots;

pub use decoders::{Decoders, Feed};
pub use invariants::DecoderCheck;
pub use random::{Rng, arbitrary_json, mutations};

/// A fresh, empty folder for the kit's own tests, named after `test`.
#[cfg(test)]
fn temp_folder(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("voiceport-kit-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
