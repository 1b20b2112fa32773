//! `[providers.NAME.webhook]`: how a provider's deliveries are authenticated.

use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::VendorWebhooks;
use crate::{ProviderKind, Result};

/// How a provider's webhook deliveries are authenticated, as configured:
///
/// ```toml
/// [providers.support.webhook]
/// verify = "header"                    # header | bearer | hmac | retell | query | none
/// secret_env = "SUPPORT_WEBHOOK_SECRET" # or secret = "…"
/// header = "x-vapi-secret"             # the vendor's usual header by default
/// reply_timeout_secs = 20               # how long the vendor waits for a request's answer
/// ```
///
/// Every field is optional: by default the vendor's usual scheme applies (see
/// [`Scheme`]). `Debug` never shows the secret, nor a `secret_env` that does not look like a
/// variable's name (a secret pasted there by mistake), nor a `url`'s user, password, query
/// and fragment. More keys may come: in code, start from
/// [`WebhookConfig::with_secret`] (or `default()`) and set the fields you need.
///
/// ```
/// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
/// use voiceport::webhooks::{Scheme, WebhookConfig};
///
/// let mut config = WebhookConfig::with_secret("s3cret");
/// config.verify = Some(Scheme::Hmac);
/// ```
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table ([providers.NAME.webhook])")]
#[non_exhaustive]
pub struct WebhookConfig {
    /// The scheme; the vendor's usual one by default.
    pub verify: Option<Scheme>,
    /// The shared secret (or signing key) itself. Prefer `secret_env` outside tests (not
    /// both). Read without the spaces, line ends, byte-order mark or zero-width characters
    /// around it.
    pub secret: Option<SecretString>,
    /// The environment variable holding the secret (not with `secret`).
    pub secret_env: Option<String>,
    /// The header carrying the secret or the signature; the vendor's by default
    /// ([`VendorWebhooks`]).
    pub header: Option<String>,
    /// `query`: the URL query parameter carrying the secret (`token` by default).
    pub param: Option<String>,
    /// `hmac`: the header carrying the signing time (the vendor's by default, `x-timestamp`
    /// for every vendor so far; empty when the vendor signs the body alone).
    pub timestamp_header: Option<String>,
    /// `hmac`: what is signed (Vapi's `payloadFormat`), with the placeholders `{body}`,
    /// `{timestamp}`, `{method}`, `{url}` and `{svix-id}`. By default the vendor's
    /// (`{timestamp}.{body}` for every vendor so far), or `{body}` when `timestamp_header`
    /// is empty.
    pub payload_format: Option<String>,
    /// `hmac` with `{url}` in the payload format: the URL the vendor posts to, exactly as
    /// configured there.
    pub url: Option<String>,
    /// `hmac` with `{svix-id}` in the payload format: the header carrying the message id
    /// (`svix-id` by default).
    pub message_id_header: Option<String>,
    /// `hmac`: `sha256` (default), `sha512` or `sha1`.
    pub algorithm: Option<HmacAlgorithm>,
    /// `hmac`: `hex` (default) or `base64`.
    pub encoding: Option<SignatureEncoding>,
    /// `hmac`: a prefix before the signature in its header (`sha256=`); the vendor's by
    /// default (none for every vendor so far).
    pub signature_prefix: Option<String>,
    /// `hmac`: the secret is base64 (decode it before use); false by default.
    #[serde(default)]
    pub secret_is_base64: bool,
    /// `hmac`, `retell`: how far the signing time may be from now, in seconds (default 300;
    /// at least 1, since 0 would refuse every delivery; at most 3600, since a captured
    /// delivery can be replayed for as long).
    pub tolerance_secs: Option<u64>,
    /// For a request the vendor waits on ([`CallEvent::expects_reply`]): how long it waits
    /// for the answer, as configured there (Vapi's `server.timeoutSeconds`), in seconds. A
    /// receiver answers 504 past it; by default it waits its own `reply_timeout` (20 s). A
    /// vendor's fixed limit ([`Codec::reply_limit`]) applies in any case.
    ///
    /// [`CallEvent::expects_reply`]: crate::CallEvent::expects_reply
    /// [`Codec::reply_limit`]: crate::Codec::reply_limit
    pub reply_timeout_secs: Option<f64>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::config::{ShownEnvName, ShownUrl};
        f.debug_struct("WebhookConfig")
            .field("verify", &self.verify)
            .field("secret", &self.secret)
            .field("secret_env", &self.secret_env.as_deref().map(ShownEnvName))
            .field("header", &self.header)
            .field("param", &self.param)
            .field("timestamp_header", &self.timestamp_header)
            .field("payload_format", &self.payload_format)
            .field("url", &self.url.as_deref().map(ShownUrl))
            .field("message_id_header", &self.message_id_header)
            .field("algorithm", &self.algorithm)
            .field("encoding", &self.encoding)
            .field("signature_prefix", &self.signature_prefix)
            .field("secret_is_base64", &self.secret_is_base64)
            .field("tolerance_secs", &self.tolerance_secs)
            .field("reply_timeout_secs", &self.reply_timeout_secs)
            .finish()
    }
}

/// How deliveries prove they come from the vendor. More schemes may come (a vendor that
/// signs another way): match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Scheme {
    /// A header carries the shared secret verbatim: Vapi's and Voicebot Studio's
    /// `X-Vapi-Secret` (the default for them), the static header configured on a
    /// HappyRobot hook, or one a proxy in front adds (`X-Webhook-Secret` unless `header`
    /// says otherwise; Rounded's agents take no headers).
    Header,
    /// `Authorization: Bearer <secret>` (Vapi's bearer credential).
    Bearer,
    /// An HMAC of `{timestamp}.{body}` (or of the body alone, or of another payload
    /// format) in a header, with the signing time in another (Vapi's HMAC credential:
    /// `x-signature`, `x-timestamp`).
    Hmac,
    /// Retell's `X-Retell-Signature: v=<ms>,d=<hex HMAC-SHA256 of body + ms>`, keyed with
    /// the API key.
    Retell,
    /// The secret in a query parameter of the URL the vendor posts to
    /// (`https://app.example/webhooks/support?token=<secret>`), for a vendor that lets you
    /// set the URL but no header (Rounded's agents have a webhook URL only). Weaker than a
    /// header: URLs are written to access logs. Needs the request's query, so only
    /// [`Verifier::verify_request`](super::Verifier::verify_request) (the receiver uses it)
    /// can pass such a delivery.
    Query,
    /// No verification. Only when set explicitly; the receiver warns each time it starts.
    None,
}

/// The HMAC hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum HmacAlgorithm {
    /// HMAC-SHA256.
    #[default]
    Sha256,
    /// HMAC-SHA512.
    Sha512,
    /// HMAC-SHA1 (offered by Vapi's HMAC credentials; HMAC-SHA1 is still sound, SHA-1 alone
    /// is not).
    Sha1,
}

/// How a signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// Lower- or upper-case hexadecimal.
    #[default]
    Hex,
    /// Standard base64.
    Base64,
}

impl Scheme {
    /// Its name in a configuration's `verify` key (`"hmac"`); `Display` writes the same.
    ///
    /// ```
    /// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
    /// use voiceport::webhooks::Scheme;
    /// assert_eq!(Scheme::Hmac.to_string(), "hmac");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Header => "header",
            Scheme::Bearer => "bearer",
            Scheme::Hmac => "hmac",
            Scheme::Retell => "retell",
            Scheme::Query => "query",
            Scheme::None => "none",
        }
    }

    /// The scheme a vendor uses when the configuration does not say
    /// ([`VendorWebhooks::scheme`]).
    pub fn default_for(kind: ProviderKind) -> Scheme {
        VendorWebhooks::of(kind).scheme
    }

    /// Why `kind`'s deliveries never come as this scheme checks, whatever is configured at
    /// the vendor; `None` when they can ([`VendorWebhooks::sent_as`]). `None` (no check)
    /// counts as a scheme: Retell signs every delivery. A receiver so set refuses every
    /// delivery straight from the vendor (the webhook receiver warns of it when it starts),
    /// and the sandbox, which delivers as the vendors do, refuses to sign so.
    ///
    /// ```
    /// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
    /// use voiceport::ProviderKind;
    /// use voiceport::webhooks::Scheme;
    /// assert!(Scheme::Query.never_sent_by(ProviderKind::Rounded).is_none());
    /// assert!(Scheme::Header.never_sent_by(ProviderKind::Rounded).is_some());
    /// assert!(Scheme::Hmac.never_sent_by(ProviderKind::Vapi).is_none());
    /// ```
    pub fn never_sent_by(self, kind: ProviderKind) -> Option<&'static str> {
        VendorWebhooks::of(kind).why_never(self)
    }
}

impl Scheme {
    /// The header this scheme reads from `kind`'s deliveries when the table's `header`
    /// names no other: the shared secret's (`x-vapi-secret` for the Vapi family,
    /// `x-webhook-secret` for the rest), `authorization` for a bearer credential, the
    /// vendor's HMAC signature header (`x-signature`), Retell's signature; `None` for a
    /// scheme that reads no header (`query`, `none`).
    ///
    /// ```
    /// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
    /// use voiceport::ProviderKind;
    /// use voiceport::webhooks::Scheme;
    /// assert_eq!(Scheme::Header.default_header(ProviderKind::Vapi), Some("x-vapi-secret"));
    /// assert_eq!(Scheme::Query.default_header(ProviderKind::Rounded), None);
    /// ```
    pub fn default_header(self, kind: ProviderKind) -> Option<&'static str> {
        VendorWebhooks::of(kind).header_for(self)
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl WebhookConfig {
    /// A table with this secret and everything else left to the vendor's usual scheme.
    pub fn with_secret(secret: impl Into<String>) -> Self {
        WebhookConfig {
            secret: Some(SecretString::from(secret.into())),
            ..WebhookConfig::default()
        }
    }

    /// `reply_timeout_secs`, checked. `field` is the config path of this table
    /// (`providers.support.webhook`), for the error.
    pub fn reply_timeout(&self, field: &str) -> Result<Option<Duration>> {
        crate::config::positive_seconds(self.reply_timeout_secs, || {
            format!("{field}.reply_timeout_secs")
        })
    }

    /// What hides this table's secret in what a vendor sends back (HappyRobot's calls
    /// repeat the headers configured on a use case's hooks): `None` when no secret is set
    /// or it cannot be read (the receiver refuses such a table itself), and for a secret of
    /// fewer than 8 characters, which a mask would find in the vendor's own words (`"id"`,
    /// a status) and rewrite them.
    pub fn secret_mask(&self) -> Option<crate::SecretMask> {
        let secret = self.resolve_secret("webhook").ok().flatten()?;
        let secret = secrecy::ExposeSecret::expose_secret(&secret);
        (secret.chars().count() >= crate::secret_mask::MASK_ANYWHERE_FROM)
            .then(|| crate::SecretMask::new(secret))
    }

    /// The secret: `secret`, or the variable `secret_env` names (both set is an error: which
    /// is meant cannot be told). `field` is the config path of this table
    /// (`providers.support.webhook`), for the error.
    pub fn resolve_secret(&self, field: &str) -> Result<Option<SecretString>> {
        // Without the spaces around it (a variable read from a file ends in a newline): a
        // header's value is compared trimmed.
        let path = |name: &str| format!("{field}.{name}");
        crate::config::secret_given_or_from_env(
            self.secret.as_ref(),
            self.secret_env.as_deref(),
            ("secret", "secret_env"),
            path,
            path,
            "secret",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(toml_text: &str) -> WebhookConfig {
        toml::from_str(toml_text).expect("a webhook table")
    }

    /// Every scheme.
    const ALL_SCHEMES: [Scheme; 6] = [
        Scheme::Header,
        Scheme::Bearer,
        Scheme::Hmac,
        Scheme::Retell,
        Scheme::Query,
        Scheme::None,
    ];

    /// A scheme's name is what the `verify` key takes for it.
    #[test]
    fn a_scheme_reads_back_from_its_name() {
        for scheme in ALL_SCHEMES {
            let config = table(&format!("verify = \"{}\"", scheme.as_str()));
            assert_eq!(config.verify, Some(scheme));
        }
    }

    /// `Display` writes the name serde reads, and no other scheme's.
    #[test]
    fn a_scheme_displays_as_the_verify_key_spells_it() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, StrDeserializer};
        for scheme in ALL_SCHEMES {
            let shown = scheme.to_string();
            assert_eq!(shown, scheme.as_str());
            let name: StrDeserializer<'_, ValueError> = shown.as_str().into_deserializer();
            assert_eq!(Scheme::deserialize(name), Ok(scheme), "{shown}");
            let config = table(&format!("verify = \"{shown}\""));
            assert_eq!(config.verify, Some(scheme), "{shown}");
        }
    }

    #[test]
    fn a_reply_timeout_is_read_in_seconds() {
        let config = table("reply_timeout_secs = 7.5");
        let timeout = config.reply_timeout("providers.support.webhook");
        assert_eq!(timeout.ok(), Some(Some(Duration::from_millis(7_500))));
        assert!(matches!(table("").reply_timeout("w"), Ok(None)));
    }

    #[test]
    fn a_reply_timeout_that_is_no_duration_names_its_field() {
        for bad in ["0", "-1", "inf"] {
            let config = table(&format!("reply_timeout_secs = {bad}"));
            let error = config
                .reply_timeout("providers.support.webhook")
                .expect_err(bad)
                .to_string();
            assert!(
                error.contains("providers.support.webhook.reply_timeout_secs"),
                "{bad}: {error}"
            );
        }
    }
}
