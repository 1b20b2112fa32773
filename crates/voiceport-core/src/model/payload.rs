//! Lossless access to the vendor JSON a normalized value came from.

use std::cell::RefCell;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// The exact JSON text the vendor sent for one object (a call, an event).
///
/// Normalization never loses anything: whatever voiceport does not model is still here.
/// Normalized serialization leaves it out; reach it through
/// [`Call::vendor_payload`](crate::Call::vendor_payload).
///
/// A call's payload is all it was normalized from: the call object, or the whole webhook
/// delivery when the call took something from the rest of it. Decoded again by its
/// vendor's codec (`codec.decode(codec.detect(payload), payload)`), it gives the same call;
/// its warnings' fields are paths into it.
///
/// A payload either owns its text or shares the body it was decoded from (see
/// [`sharing_body`]): then the calls of a page hold one buffer between them, not a copy
/// each.
#[derive(Clone)]
pub struct VendorPayload(Text);

#[derive(Clone)]
enum Text {
    Owned(Box<RawValue>),
    /// Text cut from a `str` (so UTF-8) that a decoder read as one JSON value: a slice of
    /// a shared body, or a copy of text decoded in full ([`VendorPayload::from_decoded_text`]).
    Shared(Bytes),
}

thread_local! {
    /// The body [`sharing_body`] is decoding on this thread, if any.
    static SHARED_BODY: RefCell<Option<Bytes>> = const { RefCell::new(None) };
}

/// Runs `decode` so that every payload it takes from `body` ([`VendorPayload::from_raw`]
/// of a value inside it) shares `body` instead of copying its part.
///
/// Decoding is synchronous, so the scope is exactly the decode: payloads made from other
/// text, or on other threads, are copied as usual. A page of 2,000 calls then costs one
/// buffer (the body, which the caller already holds) instead of 2,000 copies of it; see
/// [`Codec::decode_shared`](crate::Codec::decode_shared).
///
/// The other side of sharing: each payload keeps the whole body alive. Share when the calls
/// of a body live and go together (a page printed, written out or checked); copy (the
/// default, outside this scope) when a few calls are kept from many pages, or one kept call
/// would hold its whole page in memory.
pub fn sharing_body<R>(body: &Bytes, decode: impl FnOnce() -> R) -> R {
    /// Puts back what was shared before, even if `decode` panics.
    struct Restore(Option<Bytes>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SHARED_BODY.with(|shared| *shared.borrow_mut() = previous);
        }
    }
    let previous = SHARED_BODY.with(|shared| shared.borrow_mut().replace(body.clone()));
    let _restore = Restore(previous);
    decode()
}

/// `text` as a slice of the body being shared, when it lies inside it.
fn shared_slice(text: &str) -> Option<Bytes> {
    SHARED_BODY.with(|shared| {
        let shared = shared.borrow();
        let body = shared.as_ref()?;
        // Addresses compared as numbers: `text` is either inside the body or elsewhere.
        let start = (text.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
        let end = start.checked_add(text.len())?;
        (end <= body.len()).then(|| body.slice(start..end))
    })
}

impl VendorPayload {
    /// Keeps a borrowed raw JSON value: a slice of the shared body inside
    /// [`sharing_body`], else a copy.
    pub fn from_raw(raw: &RawValue) -> Self {
        match shared_slice(raw.get()) {
            Some(bytes) => VendorPayload(Text::Shared(bytes)),
            None => VendorPayload(Text::Owned(raw.to_owned())),
        }
    }

    /// Keeps `text`, which the caller has just decoded in full as one JSON value (a whole
    /// delivery read by a typed pass), without delimiting it a second time: a slice of the
    /// shared body inside [`sharing_body`], else a copy. Whitespace around the value is
    /// left out, as a [`RawValue`] leaves it out.
    ///
    /// Not checked again here: text that is not JSON after all never panics, but fails
    /// when the payload is serialized (and [`to_value`](Self::to_value) reads `null`).
    pub fn from_decoded_text(text: &str) -> Self {
        let text = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        match shared_slice(text) {
            Some(bytes) => VendorPayload(Text::Shared(bytes)),
            None => VendorPayload(Text::Shared(Bytes::copy_from_slice(text.as_bytes()))),
        }
    }

    /// [`from_decoded_text`](Self::from_decoded_text) for a body held as bytes (a webhook
    /// delivery a decoder has read in full): such a body is UTF-8; other bytes read as
    /// `null`.
    pub fn from_decoded_body(body: &[u8]) -> Self {
        match std::str::from_utf8(body) {
            Ok(text) => Self::from_decoded_text(text),
            Err(_) => Self::from_value(&serde_json::Value::Null),
        }
    }

    /// Serializes a JSON value (used when the vendor object was built, not received).
    pub fn from_value(value: &serde_json::Value) -> Self {
        // A `Value` always serializes, and always to valid JSON.
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        VendorPayload(Text::Owned(
            RawValue::from_string(text).unwrap_or_else(|_| null_raw()),
        ))
    }

    /// The JSON text, byte for byte as received.
    pub fn get(&self) -> &str {
        match &self.0 {
            Text::Owned(raw) => raw.get(),
            // Cut from a `str`, so this cannot fail; checked rather than assumed.
            Text::Shared(bytes) => std::str::from_utf8(bytes).unwrap_or("null"),
        }
    }

    /// Parses the payload into a generic JSON tree. A payload kept from a [`RawValue`] or
    /// by a codec was checked (or decoded in full) as one JSON value, so this can fail only
    /// past serde_json's nesting limit (128 levels), where it gives `Null`;
    /// `deserialize::<Value>()` returns that error instead. Text given to
    /// [`from_decoded_text`](Self::from_decoded_text) or
    /// [`from_decoded_body`](Self::from_decoded_body) that was not JSON reads as `Null` too.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.get()).unwrap_or(serde_json::Value::Null)
    }

    /// Parses the payload into any type (for example the adapter's wire type).
    pub fn deserialize<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.get())
    }
}

fn null_raw() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("`null` is valid JSON")
}

impl std::fmt::Debug for VendorPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.get();
        if text.len() <= 120 {
            write!(f, "VendorPayload({text})")
        } else {
            write!(f, "VendorPayload({} bytes)", text.len())
        }
    }
}

impl PartialEq for VendorPayload {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// Writes the payload as the JSON value it is, not as the vendor's text: every serializer
/// then sees a value (insta's and YAML's would see serde_json's private raw-text wrapper,
/// and snapshots would hold one escaped string), and serde_json writes it compact, on one
/// line whatever the vendor's layout (a JSON Lines stream stays one line an event). Only
/// an [`EventKind::Other`](crate::EventKind::Other) payload is written (a call's is not),
/// so the parse this costs is rare.
impl serde::Serialize for VendorPayload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value = self.deserialize().map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }
}

/// Reads any JSON value: a normalized event written out (`voiceport listen --json`, or the
/// body `--forward` posts) reads back with its payload. The text is the value as
/// serde_json writes it (compact), not the vendor's bytes, which were not kept.
impl<'de> serde::Deserialize<'de> for VendorPayload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Through a `Value`, not a `RawValue`: the payload of an event sits under the
        // event's flattened kind, where serde buffers the fields and a `RawValue` cannot
        // be read.
        let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
        Ok(VendorPayload::from_value(&value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(body: &Bytes) -> Vec<&RawValue> {
        serde_json::from_slice(body).expect("an array")
    }

    /// Written, a payload is its JSON value: compact and on one line with serde_json
    /// whatever the vendor's layout, and a plain value to any other serializer.
    #[test]
    fn a_payload_is_written_as_its_value() {
        let pretty = b"{\n  \"type\": \"hang\",\n  \"call\": {\"id\": \"c1\"}\n}";
        let payload = VendorPayload::from_decoded_body(pretty);
        let written = serde_json::to_string(&payload).unwrap();
        assert_eq!(written, r#"{"call":{"id":"c1"},"type":"hang"}"#);
        // What a serializer other than serde_json's sees: the object, not serde_json's
        // private wrapper around one escaped string.
        #[cfg(feature = "insta")]
        insta::assert_json_snapshot!(payload, @r#"
        {
          "call": {
            "id": "c1"
          },
          "type": "hang"
        }
        "#);
    }

    #[test]
    fn payloads_inside_the_shared_body_are_slices_of_it() {
        let body = Bytes::from_static(br#"[{"id": "a", "n": 1}, {"id": "b\u0021"}]"#);
        let payloads: Vec<VendorPayload> = sharing_body(&body, || {
            items(&body)
                .into_iter()
                .map(VendorPayload::from_raw)
                .collect()
        });
        assert_eq!(payloads[0].get(), r#"{"id": "a", "n": 1}"#);
        assert_eq!(payloads[1].get(), r#"{"id": "b\u0021"}"#);
        for payload in &payloads {
            let Text::Shared(bytes) = &payload.0 else {
                panic!("copied: {payload:?}");
            };
            let offset = bytes.as_ptr() as usize - body.as_ptr() as usize;
            assert!(offset + bytes.len() <= body.len());
        }
        // Written as an owned one is: the values, compact.
        let json = serde_json::to_string(&payloads).expect("serializes");
        assert_eq!(json, r#"[{"id":"a","n":1},{"id":"b!"}]"#);
        assert_eq!(payloads[1].to_value()["id"], "b!");
    }

    #[test]
    fn decoded_text_is_kept_without_its_surrounding_whitespace() {
        let body = Bytes::from_static(b" {\"message\": {\"type\": \"hang\"}}\r\n");
        let text = std::str::from_utf8(&body).expect("UTF-8");
        let shared = sharing_body(&body, || VendorPayload::from_decoded_text(text));
        let copied = VendorPayload::from_decoded_text(text);
        for payload in [&shared, &copied] {
            assert_eq!(payload.get(), r#"{"message": {"type": "hang"}}"#);
            let json = serde_json::to_string(payload).expect("serializes");
            assert_eq!(json, r#"{"message":{"type":"hang"}}"#);
        }
        let Text::Shared(bytes) = &shared.0 else {
            panic!("not a slice: {shared:?}");
        };
        assert_eq!(bytes.as_ptr() as usize, body.as_ptr() as usize + 1);
        let from_bytes = VendorPayload::from_decoded_body(&body);
        assert_eq!(from_bytes.get(), r#"{"message": {"type": "hang"}}"#);
        assert_eq!(VendorPayload::from_decoded_body(b"\xff").get(), "null");
        // Text that is not JSON after all fails when serialized, and reads as null.
        let wrong = VendorPayload::from_decoded_text("{not json");
        assert!(serde_json::to_string(&wrong).is_err());
        assert_eq!(wrong.to_value(), serde_json::Value::Null);
    }

    #[test]
    fn other_text_and_other_scopes_are_copied() {
        let body = Bytes::from_static(br#"[{"id": "a"}]"#);
        let elsewhere = br#"{"id": "z"}"#.to_vec();
        let outside: &RawValue = serde_json::from_slice(&elsewhere).expect("JSON");
        let inside = sharing_body(&body, || VendorPayload::from_raw(outside));
        assert!(matches!(inside.0, Text::Owned(_)));
        // After the scope, even text of the body is copied: nothing is shared by accident.
        let after = VendorPayload::from_raw(items(&body)[0]);
        assert!(matches!(after.0, Text::Owned(_)));
        assert_eq!(after, VendorPayload::from_raw(items(&body)[0]));
    }

    #[test]
    fn the_scope_ends_even_when_decoding_panics() {
        let body = Bytes::from_static(br#"[{"id": "a"}]"#);
        let panicked = std::panic::catch_unwind(|| sharing_body(&body, || panic!("decoder bug")));
        assert!(panicked.is_err());
        assert!(matches!(
            VendorPayload::from_raw(items(&body)[0]).0,
            Text::Owned(_)
        ));
    }
}
