//! What a merged walk yields: each call with its provider's name, and a provider's failure.

use std::fmt;

use serde::{Deserialize, Serialize};
use voiceport_core::{Call, Error, Result};

/// A call of a merged walk, with the name of the provider it came from.
///
/// Its JSON is the call's normalized JSON with `provider_name` after its fields, as
/// `voiceport calls list --providers … --json` and `export` write each call:
///
/// ```
/// use voiceport::{Call, CallId, MergedCall, ProviderKind};
/// let merged = MergedCall::new("renewals", Call::new(CallId::new("c1"), ProviderKind::Retell));
/// let json = serde_json::to_value(&merged)?;
/// assert_eq!((json["id"].as_str(), json["provider_name"].as_str()), (Some("c1"), Some("renewals")));
/// assert_eq!(serde_json::from_value::<MergedCall>(json)?, merged);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MergedCall {
    /// The call.
    #[serde(flatten)]
    pub call: Call,
    /// The provider's name in the configuration.
    pub provider_name: String,
}

/// Read by hand rather than derived: serde's derived reading of a flattened field goes
/// through its own buffer, which cannot read a number back where serde_json's
/// `arbitrary_precision` feature is on in the build (features are unified). The call is
/// read from the object without `provider_name`, as a `Call` reads its own JSON.
impl<'de> Deserialize<'de> for MergedCall {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut fields = serde_json::Map::deserialize(deserializer)?;
        let provider_name = match fields.remove("provider_name") {
            Some(serde_json::Value::String(name)) => name,
            Some(_) => return Err(D::Error::custom("`provider_name` is not a string")),
            None => return Err(D::Error::missing_field("provider_name")),
        };
        let call =
            Call::deserialize(serde_json::Value::Object(fields)).map_err(D::Error::custom)?;
        Ok(MergedCall {
            call,
            provider_name,
        })
    }
}

impl MergedCall {
    /// `call`, from the provider configured as `provider_name`.
    #[must_use]
    pub fn new(provider_name: impl Into<String>, call: Call) -> Self {
        MergedCall {
            call,
            provider_name: provider_name.into(),
        }
    }

    /// `provider:call_id`, the form [`Registry::get_call`](crate::Registry::get_call) and
    /// the CLI take.
    #[must_use]
    pub fn qualified_id(&self) -> String {
        format!("{}:{}", self.provider_name, self.call.id)
    }
}

/// A provider's failure during a merged walk, with its name.
///
/// It converts into [`Error`] (so `?` works in a function returning
/// [`voiceport::Result`](crate::Result)) by keeping the error and dropping the name; the
/// error still names the vendor. Match on it to keep the name.
///
/// Its message is the provider's name and the error's message; its
/// [`source`](std::error::Error::source) is the error's own source, so that a report
/// walking the chain says each message once.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderError {
    /// The provider's name in the configuration.
    pub provider_name: String,
    /// What went wrong.
    pub error: Error,
}

impl ProviderError {
    /// `error`, met by the provider named `provider_name` in the configuration: for a
    /// test double of a merged walk, or a walk of an application's own.
    pub fn new(provider_name: impl Into<String>, error: Error) -> Self {
        ProviderError {
            provider_name: provider_name.into(),
            error,
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "provider `{}`: {}", self.provider_name, self.error)
    }
}

impl std::error::Error for ProviderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

impl From<ProviderError> for Error {
    fn from(failure: ProviderError) -> Error {
        failure.error
    }
}
