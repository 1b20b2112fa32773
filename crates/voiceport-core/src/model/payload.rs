//! Lossless access to the vendor JSON a normalized value came from.

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// The exact JSON text the vendor sent for one object (a call, an event).
///
/// Normalization never loses anything: whatever voiceport does not model is still here.
/// Normalized serialization leaves it out; reach it through
/// [`Call::vendor_payload`](crate::Call::vendor_payload).
#[derive(Clone)]
pub struct VendorPayload(Box<RawValue>);

impl VendorPayload {
    /// Copies a borrowed raw JSON value.
    pub fn from_raw(raw: &RawValue) -> Self {
        VendorPayload(raw.to_owned())
    }

    /// Serializes a JSON value (used when the vendor object was built, not received).
    pub fn from_value(value: &serde_json::Value) -> Self {
        // A `Value` always serializes, and always to valid JSON.
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        VendorPayload(RawValue::from_string(text).unwrap_or_else(|_| null_raw()))
    }

    /// The JSON text, byte for byte as received.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parses the payload into a generic JSON tree.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }

    /// Parses the payload into any type (for example the adapter's wire type).
    pub fn deserialize<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.0.get())
    }
}

fn null_raw() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("`null` is valid JSON")
}

impl std::fmt::Debug for VendorPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0.get();
        if text.len() <= 120 {
            write!(f, "VendorPayload({text})")
        } else {
            write!(f, "VendorPayload({} bytes)", text.len())
        }
    }
}

impl PartialEq for VendorPayload {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl serde::Serialize for VendorPayload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
