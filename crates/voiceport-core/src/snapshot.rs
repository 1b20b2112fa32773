//! Snapshot tests of normalized calls: ready-made [insta](https://insta.rs) settings
//! (feature `insta`), and the same redactions on JSON ([`redact`]) for golden files written
//! without insta (`voiceport normalize --redact`).
//!
//! Pre-signed recording URLs change on every fetch (signature, expiry); these redactions
//! keep their stable part and replace the query string, so snapshots stay deterministic.
//! Ids and times of calls placed during a test change too: `placed_call_settings`
//! (feature `insta`) redacts those as well.
//!
//! Where serde_json's `arbitrary_precision` feature is on in your build (another crate may
//! turn it on: features are unified), insta's JSON snapshots write each number held in a
//! `serde_json::Value` (metadata, extracted data, a payload kept whole) as
//! `{"$serde_json::private::Number": "…"}`, an insta limitation. Snapshot the text
//! serde_json writes instead, redacted with [`redact`]:
//!
//! ```
//! # use voiceport_core as voiceport;
//! # use voiceport::{Call, CallId, ProviderKind};
//! let mut call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
//! call.metadata.insert("attempt".into(), serde_json::json!(2));
//! let mut json = serde_json::to_value(&call)?;
//! voiceport::snapshot::redact(&mut json);
//! let text = serde_json::to_string_pretty(&json)?;
//! assert!(text.contains(r#""attempt": 2"#));
//! // insta::assert_snapshot!(text);
//! # Ok::<(), serde_json::Error>(())
//! ```

#[cfg(feature = "insta")]
use insta::internals::Content;
use serde_json::Value;

/// The keys whose string values are pre-signed URLs (their query a credential that changes
/// on every fetch): the normalized recording's, and each vendor's own where an event keeps
/// its payload whole (`EventKind::Other`): HappyRobot's `recording`; Vapi's recording URLs
/// and `artifact.recording`'s; Retell's recording and log URLs; Rounded's `recording_url`.
const SIGNED_URL_KEYS: [&str; 17] = [
    "mono_url",
    "stereo_url",
    "recording",
    "recordingUrl",
    "stereoRecordingUrl",
    "presignedMonoUrl",
    "presignedStereoUrl",
    "combinedUrl",
    "assistantUrl",
    "customerUrl",
    "stereoUrl",
    "videoUrl",
    "recording_url",
    "recording_multi_channel_url",
    "scrubbed_recording_url",
    "scrubbed_recording_multi_channel_url",
    "public_log_url",
];

/// The keys whose values say when pre-signed URLs stop working, in a payload kept whole:
/// Vapi's `artifact.presignedUrlsExpiresAt`.
const EXPIRY_KEYS: [&str; 1] = ["presignedUrlsExpiresAt"];

/// insta settings that redact the volatile values of normalized calls and events: the
/// query string of a pre-signed URL under any of the keys that carry one (the normalized
/// recording's `mono_url` and `stereo_url`, and the vendors' own keys in a payload kept
/// whole), and the recording's `expires_at` (when present; an `expires_at` elsewhere, in
/// your metadata say, is left as it is). Maps are sorted. Bind them inside `insta::glob!`'s
/// closure, not around it, so that each snapshot keeps its fixture's name.
///
/// ```
/// # use voiceport_core as voiceport;
/// # use voiceport::{Call, CallId, ProviderKind, Recording};
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
/// let mut recording = Recording::default();
/// recording.mono_url = Some("https://bucket.s3.amazonaws.com/rec.wav?X-Amz-Signature=abc".into());
/// call.recording = Some(recording);
/// voiceport::snapshot::insta_settings().bind(|| {
///     insta::assert_json_snapshot!(call.recording, @r#"
///     {
///       "mono_url": "https://bucket.s3.amazonaws.com/rec.wav?[signed]",
///       "stereo_url": null,
///       "expires_at": null
///     }
///     "#);
/// });
/// ```
#[cfg(feature = "insta")]
#[cfg_attr(docsrs, doc(cfg(feature = "insta")))]
pub fn insta_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for key in SIGNED_URL_KEYS {
        settings.add_dynamic_redaction(&format!(".**.{key}"), redact_query);
        settings.add_dynamic_redaction(&format!(".{key}"), redact_query);
    }
    // Every `expires_at`, redacted only under a `recording` (insta matches a selector's
    // end against a path's, so `.**.recording.expires_at` also caught a top-level one).
    let expiry = redact_present("[expiry]");
    settings.add_dynamic_redaction(".**.expires_at", move |value, path| {
        match path.to_string().ends_with(".recording.expires_at") {
            true => expiry(value, path),
            false => value,
        }
    });
    for key in EXPIRY_KEYS {
        settings.add_dynamic_redaction(&format!(".**.{key}"), redact_present("[expiry]"));
        settings.add_dynamic_redaction(&format!(".{key}"), redact_present("[expiry]"));
    }
    settings.set_sort_maps(true);
    settings
}

/// [`insta_settings`], and the values that change each time a test places a call (a dial
/// on the sandbox, or on an account): its id (and a parent call's), its times (created,
/// started, ended, scheduled), when each utterance was said (`at`; its `start_secs` into
/// the call stays), the ids of its tool calls (and of the calls their results answer),
/// its notes' ids and times, its ratings' times, and its recording's URLs, which hold the
/// call's id. Each present value becomes `"[id]"`, `"[time]"` or `"[url]"`; what the call
/// is (status, end reason, numbers, transcript text, analysis, cost) is kept. A call's
/// duration is kept too: the sandbox's are fixed by its timing, a live account's are not
/// (add `.duration_secs` there). The selectors start at the snapshot's root, which must be
/// the `Call` itself (snapshot a page's calls one by one). Calls read from fixtures or
/// seeded data need none of this: use [`insta_settings`].
///
/// ```
/// # use voiceport_core as voiceport;
/// # use voiceport::{Call, CallId, ProviderKind, Speaker, Transcript, Utterance};
/// let mut call = Call::new(CallId::new("019d6d2f-7c1e-7a21-9d0e-3f6a8b2c4e10"), ProviderKind::Vapi);
/// call.created_at = Some(chrono::Utc::now());
/// let mut hello = Utterance::new(Speaker::Agent, Some("Hi, I'm Sam".to_owned()));
/// hello.at = Some(chrono::Utc::now());
/// call.transcript = Some(Transcript::new(vec![hello], None));
/// // Part of the call, for a short example: a whole `call` is snapshot the same way.
/// let part = serde_json::json!({
///     "id": call.id, "created_at": call.created_at, "transcript": call.transcript,
/// });
/// voiceport::snapshot::placed_call_settings().bind(|| {
///     insta::assert_json_snapshot!(part, @r#"
///     {
///       "created_at": "[time]",
///       "id": "[id]",
///       "transcript": {
///         "text": null,
///         "utterances": [
///           {
///             "at": "[time]",
///             "end_secs": null,
///             "speaker": "agent",
///             "start_secs": null,
///             "text": "Hi, I'm Sam",
///             "tool_calls": [],
///             "tool_result": null
///           }
///         ]
///       }
///     }
///     "#);
/// });
/// ```
#[cfg(feature = "insta")]
#[cfg_attr(docsrs, doc(cfg(feature = "insta")))]
pub fn placed_call_settings() -> insta::Settings {
    let mut settings = insta_settings();
    let placed = [
        (".id", "[id]"),
        (".parent_call_id", "[id]"),
        (".created_at", "[time]"),
        (".started_at", "[time]"),
        (".ended_at", "[time]"),
        (".scheduled_for", "[time]"),
        (".transcript.utterances[].at", "[time]"),
        (".transcript.utterances[].tool_calls[].id", "[id]"),
        (".transcript.utterances[].tool_result.tool_call_id", "[id]"),
        (".notes[].id", "[id]"),
        (".notes[].created_at", "[time]"),
        (".ratings[].created_at", "[time]"),
        (".recording.mono_url", "[url]"),
        (".recording.stereo_url", "[url]"),
    ];
    for (selector, replacement) in placed {
        settings.add_dynamic_redaction(selector, redact_present(replacement));
    }
    settings
}

/// The redactions of `insta_settings` (feature `insta`) on JSON (a normalized call or
/// event as `serde_json::to_value` gives it), for a golden file written without insta:
/// each signed URL under the keys that carry one (the recording's, and each vendor's own in
/// a payload kept whole) loses its query ([`strip_signature`]), and a recording's
/// `expires_at` becomes `"[expiry]"`.
///
/// ```
/// use serde_json::json;
/// use voiceport_core::snapshot::redact;
///
/// let mut call = json!({"recording": {
///     "mono_url": "https://b.s3.amazonaws.com/rec.wav?X-Amz-Signature=abc",
///     "expires_at": "2026-12-05T10:00:00Z",
/// }});
/// redact(&mut call);
/// assert_eq!(call, json!({"recording": {
///     "mono_url": "https://b.s3.amazonaws.com/rec.wav?[signed]",
///     "expires_at": "[expiry]",
/// }}));
/// ```
pub fn redact(value: &mut Value) {
    redact_in(value);
    // As insta's settings sort them: the same text with serde_json's `preserve_order` on.
    value.sort_all_objects();
}

fn redact_in(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match field {
                    Value::String(url) if SIGNED_URL_KEYS.contains(&key.as_str()) => {
                        *url = strip_signature(url);
                    }
                    Value::String(_) if EXPIRY_KEYS.contains(&key.as_str()) => {
                        *field = Value::from("[expiry]");
                    }
                    Value::Object(recording) if key == "recording" => {
                        if let Some(expiry @ Value::String(_)) = recording.get_mut("expires_at") {
                            *expiry = Value::from("[expiry]");
                        }
                        redact_in(field);
                    }
                    _ => redact_in(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_in),
        _ => {}
    }
}

/// Replaces the query string of a URL with `[signed]`, keeping the rest.
pub fn strip_signature(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?[signed]"),
        None => url.to_owned(),
    }
}

#[cfg(feature = "insta")]
fn redact_present(
    replacement: &'static str,
) -> impl Fn(Content, insta::internals::ContentPath<'_>) -> Content + Send + Sync + 'static {
    move |value, _path| match value.as_str() {
        Some(_) => Content::from(replacement),
        None => value,
    }
}

#[cfg(feature = "insta")]
fn redact_query(value: Content, _path: insta::internals::ContentPath<'_>) -> Content {
    match value.as_str() {
        Some(url) => Content::from(strip_signature(url)),
        None => value,
    }
}

#[cfg(all(test, feature = "insta"))]
mod tests {
    use super::*;
    use serde_json::json;

    /// What changes when a call is placed is redacted wherever it is present (a recording
    /// URL whole: it holds the call's id), and what is absent stays null.
    #[test]
    fn a_placed_call_s_ids_times_and_urls_are_redacted() {
        let call = json!({
            "id": "c-1", "parent_call_id": null, "status": "completed",
            "created_at": "2026-12-06T10:00:00Z", "started_at": "2026-12-06T10:00:01Z",
            "ended_at": null, "duration_secs": 42.0,
            "recording": {"mono_url": "https://host/c-1/rec.wav?sig=1", "stereo_url": null},
            "notes": [{"id": "n-1", "created_at": "2026-12-06T10:05:00Z", "content": "ok"}],
            "transcript": {"utterances": [
                {"at": "2026-12-06T10:00:02Z", "start_secs": 1.0},
                {"tool_calls": [{"id": "call_7Hc", "name": "book"}, {"id": null, "name": "x"}]},
                {"tool_result": {"tool_call_id": "call_7Hc", "name": "book"}},
            ]},
        });
        placed_call_settings().bind(|| {
            insta::assert_json_snapshot!(call, @r#"
            {
              "created_at": "[time]",
              "duration_secs": 42.0,
              "ended_at": null,
              "id": "[id]",
              "notes": [
                {
                  "content": "ok",
                  "created_at": "[time]",
                  "id": "[id]"
                }
              ],
              "parent_call_id": null,
              "recording": {
                "mono_url": "[url]",
                "stereo_url": null
              },
              "started_at": "[time]",
              "status": "completed",
              "transcript": {
                "utterances": [
                  {
                    "at": "[time]",
                    "start_secs": 1.0
                  },
                  {
                    "tool_calls": [
                      {
                        "id": "[id]",
                        "name": "book"
                      },
                      {
                        "id": null,
                        "name": "x"
                      }
                    ]
                  },
                  {
                    "tool_result": {
                      "name": "book",
                      "tool_call_id": "[id]"
                    }
                  }
                ]
              }
            }
            "#);
        });
    }

    /// A payload kept whole (a vendor event voiceport does not model) has its vendors'
    /// signed URLs redacted by key; an `expires_at` outside a recording is kept. The insta
    /// settings and `redact` agree.
    #[test]
    fn vendor_keys_of_signed_urls_are_redacted_and_other_expiries_kept() {
        let signed = "https://dxc03zgurdly9.cloudfront.net/c1/recording.wav?Expires=1&Signature=s";
        let payload = json!({
            "call": {"recording_url": signed, "public_log_url": signed,
                     "metadata": {"expires_at": "2026-12-31T00:00:00Z"}},
            "artifact": {"recording": {"mono": {"combinedUrl": signed}},
                         "presignedUrlsExpiresAt": "2026-12-05T10:00:00Z"},
            "recording": {"mono_url": signed, "expires_at": "2026-12-05T10:00:00Z"},
            "transcript": "see https://example.com/page?q=1",
            "expires_at": "2027-01-01T00:00:00Z",
        });
        let mut redacted = payload.clone();
        redact(&mut redacted);
        // One snapshot for both: the payload through the insta settings, and `redact`'s
        // output through none.
        let ways = [
            (&payload, insta_settings()),
            (&redacted, insta::Settings::new()),
        ];
        insta::allow_duplicates! {
            for (value, settings) in ways {
                settings.bind(|| {
                    insta::assert_json_snapshot!(value, @r#"
            {
              "artifact": {
                "presignedUrlsExpiresAt": "[expiry]",
                "recording": {
                  "mono": {
                    "combinedUrl": "https://dxc03zgurdly9.cloudfront.net/c1/recording.wav?[signed]"
                  }
                }
              },
              "call": {
                "metadata": {
                  "expires_at": "2026-12-31T00:00:00Z"
                },
                "public_log_url": "https://dxc03zgurdly9.cloudfront.net/c1/recording.wav?[signed]",
                "recording_url": "https://dxc03zgurdly9.cloudfront.net/c1/recording.wav?[signed]"
              },
              "expires_at": "2027-01-01T00:00:00Z",
              "recording": {
                "expires_at": "[expiry]",
                "mono_url": "https://dxc03zgurdly9.cloudfront.net/c1/recording.wav?[signed]"
              },
              "transcript": "see https://example.com/page?q=1"
            }
            "#);
                });
            }
        }
    }
}
