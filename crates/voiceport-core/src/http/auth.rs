//! How a request proves who it is from. Keys are secrets: never printed.

use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::{Error, SecretMask};

/// Where the API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>` (HappyRobot).
    Bearer,
    /// `<name>: <key>` (`X-API-Key` for Voicebot Studio, `X-Api-Key` for Rounded).
    Header(&'static str),
}

/// An API key and where to put it. `Debug` shows the style, never the key.
#[derive(Clone)]
pub struct Auth {
    style: AuthStyle,
    header_name: HeaderName,
    header_value: HeaderValue,
    mask: SecretMask,
    _key: SecretString,
}

impl Auth {
    /// Prepares the header once. Fails (without echoing the key) if the key has characters
    /// an HTTP header cannot carry. `field` names the config field in that error.
    ///
    /// The key is used without the spaces around it: servers drop them from a header's
    /// value, so the key they read (and may echo back) is the trimmed one, and it is that
    /// one which must be masked.
    pub fn new(style: AuthStyle, key: SecretString, field: &str) -> Result<Self, Error> {
        let trimmed = key.expose_secret().trim();
        let key = match trimmed.len() == key.expose_secret().len() {
            true => key,
            false => SecretString::from(trimmed.to_owned()),
        };
        let (header_name, text) = match style {
            AuthStyle::Bearer => (AUTHORIZATION, format!("Bearer {}", key.expose_secret())),
            AuthStyle::Header(name) => (
                HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| Error::config(field, format!("{name:?} is not a header name")))?,
                key.expose_secret().to_owned(),
            ),
        };
        if key.expose_secret().trim().is_empty() {
            return Err(Error::config(field, "the API key is empty"));
        }
        let mut header_value = HeaderValue::from_str(&text).map_err(|_| {
            Error::config(
                field,
                "the API key contains characters an HTTP header cannot carry",
            )
        })?;
        header_value.set_sensitive(true);
        Ok(Auth {
            style,
            header_name,
            header_value,
            mask: SecretMask::new(key.expose_secret()),
            _key: key,
        })
    }

    /// Where the key goes.
    pub fn style(&self) -> AuthStyle {
        self.style
    }

    pub(crate) fn header(&self) -> (&HeaderName, &HeaderValue) {
        (&self.header_name, &self.header_value)
    }

    /// What hides the key in anything a vendor sends back.
    pub fn mask(&self) -> &SecretMask {
        &self.mask
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("style", &self.style)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let auth = Auth::new(
            AuthStyle::Bearer,
            SecretString::from("sk-secret-123"),
            "api_key",
        )
        .unwrap();
        let text = format!("{auth:?}");
        assert!(!text.contains("sk-secret-123"), "{text}");
        assert!(text.contains("REDACTED"));
        let (name, value) = auth.header();
        assert_eq!(name, AUTHORIZATION);
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("sk-secret"));
    }

    /// A key given with spaces around it is sent and masked without them: the vendor reads
    /// (and echoes) the trimmed key.
    #[test]
    fn a_key_with_spaces_around_it_is_sent_and_masked_trimmed() {
        let auth = Auth::new(
            AuthStyle::Header("X-Api-Key"),
            SecretString::from(" sk-live-abcdef123456 "),
            "api_key",
        )
        .unwrap();
        assert_eq!(
            auth.mask()
                .mask_str("Invalid API key: sk-live-abcdef123456"),
            "Invalid API key: [REDACTED]"
        );
        assert_eq!(auth.header().1.as_bytes(), b"sk-live-abcdef123456");
    }

    #[test]
    fn bad_keys_are_refused_without_echo() {
        let err = Auth::new(
            AuthStyle::Header("X-Api-Key"),
            SecretString::from("abc\ndef"),
            "providers.x.api_key",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("providers.x.api_key"));
        assert!(!text.contains("abc"));
        assert!(Auth::new(AuthStyle::Bearer, SecretString::from("  "), "api_key").is_err());
    }
}
