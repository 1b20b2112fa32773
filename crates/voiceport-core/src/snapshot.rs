//! Ready-made [insta](https://insta.rs) settings for snapshot tests of normalized calls.
//!
//! Pre-signed recording URLs change on every fetch (signature, expiry); these settings keep
//! their stable part and replace the query string, so snapshots stay deterministic.
//!
//! ```
//! # use voiceport_core as voiceport;
//! # use voiceport::{Call, CallId, ProviderKind, Recording};
//! let mut call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
//! let mut recording = Recording::default();
//! recording.mono_url = Some("https://bucket.s3.amazonaws.com/rec.wav?X-Amz-Signature=abc".into());
//! call.recording = Some(recording);
//! voiceport::snapshot::insta_settings().bind(|| {
//!     insta::assert_json_snapshot!(call.recording, @r#"
//!     {
//!       "mono_url": "https://bucket.s3.amazonaws.com/rec.wav?[signed]",
//!       "stereo_url": null,
//!       "expires_at": null
//!     }
//!     "#);
//! });
//! ```

use insta::internals::Content;

/// Selectors of the volatile values in a `Call`, a `[Call]`, or a `CallEvent` holding one.
const SIGNED_URL_FIELDS: [&str; 3] = ["mono_url", "stereo_url", "recording"];

/// insta settings that redact volatile values of normalized calls: pre-signed URL query
/// strings (anywhere in the value) and recording expiry times (when present).
pub fn insta_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for field in SIGNED_URL_FIELDS {
        settings.add_dynamic_redaction(&format!(".**.{field}"), redact_query);
        settings.add_dynamic_redaction(&format!(".{field}"), redact_query);
    }
    settings.add_dynamic_redaction(".**.expires_at", redact_present("[expiry]"));
    settings.set_sort_maps(true);
    settings
}

/// Replaces the query string of a URL with `[signed]`, keeping the rest.
pub fn strip_signature(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?[signed]"),
        None => url.to_owned(),
    }
}

fn redact_present(
    replacement: &'static str,
) -> impl Fn(Content, insta::internals::ContentPath<'_>) -> Content + Send + Sync + 'static {
    move |value, _path| match value.as_str() {
        Some(_) => Content::from(replacement),
        None => value,
    }
}

fn redact_query(value: Content, _path: insta::internals::ContentPath<'_>) -> Content {
    match value.as_str() {
        Some(url) => Content::from(strip_signature(url)),
        None => value,
    }
}
