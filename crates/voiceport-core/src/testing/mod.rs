//! What the adapters' property tests share ("no input makes a decoder panic"). Enabled by
//! the `testing` feature; not for production use.
//!
//! - [`random`]: reproducible arbitrary JSON and mutants of a fixture;
//! - [`corpus`]: the inputs: fixture files, their mutants and truncations, arbitrary JSON,
//!   garbage bytes, each fed to a closure with a name for the failure message;
//! - [`DecoderCheck`]: what every decoder result must satisfy, whatever the input;
//! - [`http`]: a wiremock server that speaks as one vendor, and the HTTP checks every
//!   adapter must pass.
//!
//! An adapter's `tests/properties.rs` then only says which decoders it has and where in
//! its vendor's shapes an arbitrary value should be planted:
//!
//! ```
//! use voiceport_core::http::decode_json;
//! use voiceport_core::testing::{DecoderCheck, corpus};
//! use voiceport_core::{Call, CallId, Operation, ProviderKind, Result};
//!
//! // A small decoder: `{"id": "..."}` is a call.
//! #[derive(serde::Deserialize)]
//! struct Wire { id: String }
//!
//! fn decode_call(body: &[u8]) -> Result<Call> {
//!     let wire: Wire = decode_json(ProviderKind::Rounded, Operation::GetCall, body)?;
//!     Ok(Call::new(CallId::new(wire.id), ProviderKind::Rounded))
//! }
//!
//! // The check accepts a call of this vendor or a decode error of this vendor, nothing else.
//! let check = DecoderCheck::new(ProviderKind::Rounded).without_payload();
//! corpus::each_arbitrary(7, 50, |v| vec![serde_json::json!({ "id": v })], |body, what| {
//!     check.call(body, decode_call(body), what);
//! });
//! corpus::each_garbage(7, 50, |body, what| {
//!     check.call(body, decode_call(body), what);
//! });
//! //! ```

pub mod corpus;
pub mod http;
mod invariants;
pub mod random;

pub use invariants::DecoderCheck;
pub use random::{Rng, arbitrary_json, mutations};
