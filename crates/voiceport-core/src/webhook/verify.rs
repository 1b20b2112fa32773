//! Checking that a delivery comes from the vendor, and signing one the way a vendor does
//! (for the sandbox and for tests).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::config::{HmacAlgorithm, Scheme, SignatureEncoding, WebhookConfig};
use super::encoding::{
    MAX_SIGNATURES, canonical_digits, hex_decode, hex_encode, is_url_safe, parse_retell,
    percent_decode, query_value, split_signatures, strip_prefix_ignoring_case,
};
use super::payload::{self, Part};
use crate::{Error, ProviderKind, Result};

/// The tolerance for signing times when the configuration does not say: five minutes.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// The least tolerance for signing times a configuration may set.
const MIN_TOLERANCE_SECS: u64 = 1;

/// The most tolerance: a signature accepted for longer lets a captured delivery be
/// replayed for that long (once out of the de-duplication window); clocks a few minutes
/// apart need nothing near it.
const MAX_TOLERANCE_SECS: u64 = 3_600;

/// Why a delivery was refused. Never names the secret, nor echoes what the sender put in
/// the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The header that must carry the secret or signature is absent.
    #[error("no `{header}` header")]
    Missing {
        /// The header's name.
        header: String,
    },
    /// The header is there but cannot be read.
    #[error("the `{header}` header is malformed: {reason}")]
    Malformed {
        /// The header's name.
        header: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The secret or the signature does not match (a forgery, a tampered body, the wrong
    /// secret or the wrong scheme).
    #[error("the secret or signature does not match")]
    Mismatch,
    /// The query parameter that must carry the secret is absent (or the query was not
    /// given to the check).
    #[error("no `{param}` query parameter")]
    MissingParameter {
        /// The parameter's name.
        param: String,
    },
    /// The signature is good but was made too long ago (or in the future): a replay.
    #[error("signed {}, beyond the {tolerance_secs} s tolerance", when(*.age_secs))]
    Stale {
        /// How long ago the signing time is, in seconds: negative for a time in the
        /// future.
        age_secs: i64,
        /// The tolerance in force, in seconds.
        tolerance_secs: u64,
    },
}

/// `age_secs` of [`VerifyError::Stale`] in words: how long ago, or how far ahead.
fn when(age_secs: i64) -> String {
    if age_secs < 0 {
        format!("{} s in the future", age_secs.unsigned_abs())
    } else {
        format!("{age_secs} s ago")
    }
}

/// The refusal of more than [`MAX_SIGNATURES`] (a [`VerifyError::Malformed`] reason is a
/// `&'static str`, so the number is written out; the assertion keeps the two together).
const TOO_MANY_SIGNATURES: &str = "more than 8 signatures";
const _: () = assert!(MAX_SIGNATURES == 8, "reword TOO_MANY_SIGNATURES");

/// One provider's delivery check, built from its [`WebhookConfig`]. `Debug` never shows
/// the secret.
#[derive(Debug, Clone)]
pub struct Verifier {
    rule: Rule,
}

#[derive(Debug, Clone)]
enum Rule {
    Header {
        name: HeaderName,
        prefix: &'static str,
        secret: SecretString,
    },
    Hmac {
        signature: HeaderName,
        /// When the payload signs `{timestamp}`: the header carrying it.
        timestamp: Option<HeaderName>,
        /// When the payload signs `{svix-id}`: the header carrying it.
        message_id: Option<HeaderName>,
        /// For `{url}`: shown in `Debug` as the configuration shows it (a query may hold a
        /// token).
        url: SigningUrl,
        payload: Vec<Part>,
        algorithm: HmacAlgorithm,
        encoding: SignatureEncoding,
        prefix: String,
        key: SecretSlice<u8>,
        tolerance_secs: u64,
    },
    Retell {
        key: SecretString,
        tolerance_secs: u64,
    },
    Query {
        param: String,
        secret: SecretString,
    },
    /// No secret to check with (an empty one given): every delivery is refused.
    Refuse(Scheme),
    None,
}

/// The URL an HMAC payload signs (`{url}`); `Debug` shows it as the configuration does,
/// without its query (where a token may travel).
#[derive(Clone)]
struct SigningUrl(String);

impl fmt::Debug for SigningUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::config::ShownUrl(&self.0).fmt(f)
    }
}

const RETELL_HEADER: HeaderName = HeaderName::from_static("x-retell-signature");

/// What Retell signs: the body, then the signing time in milliseconds as sent.
const RETELL_PAYLOAD: &[Part] = &[Part::Body, Part::Timestamp];

impl Verifier {
    /// The check `config` describes for a provider of `kind`. `field` is the table's config
    /// path (`providers.support.webhook`) for errors; `api_key` is the provider's key, the
    /// signing key of the `retell` scheme when no secret is configured.
    pub fn from_config(
        kind: ProviderKind,
        config: &WebhookConfig,
        field: &str,
        api_key: Option<&SecretString>,
    ) -> Result<Self> {
        Self::from_config_keyed(kind, config, field, || Ok(api_key.cloned()))
    }

    /// [`from_config`](Self::from_config), the API key read only when the scheme signs
    /// with it (Retell's, with no secret configured): an unreadable key is an error then,
    /// and only then.
    pub(crate) fn from_config_keyed(
        kind: ProviderKind,
        config: &WebhookConfig,
        field: &str,
        api_key: impl FnOnce() -> Result<Option<SecretString>>,
    ) -> Result<Self> {
        let scheme = config.verify.unwrap_or(Scheme::default_for(kind));
        refuse_keys_of_other_schemes(scheme, config, field)?;
        let table = Table {
            config,
            field,
            secret: config.resolve_secret(field)?,
        };
        // The header the scheme reads unless the table's `header` names another.
        let default_header = scheme.default_header(kind).unwrap_or_default();
        let tolerance_secs = table.tolerance_secs(scheme)?;
        let rule = match scheme {
            Scheme::Header => Rule::Header {
                name: table.header(default_header)?,
                prefix: "",
                secret: table.header_secret()?,
            },
            Scheme::Bearer => Rule::Header {
                name: table.header(default_header)?,
                prefix: "Bearer ",
                secret: table.header_secret()?,
            },
            Scheme::Hmac => table.hmac_rule(default_header, tolerance_secs)?,
            Scheme::Retell => Rule::Retell {
                key: match table.secret {
                    Some(_) => table.required()?,
                    None => match api_key()? {
                        Some(key) if !key.expose_secret().trim().is_empty() => key,
                        _ => table.required()?,
                    },
                },
                tolerance_secs,
            },
            Scheme::Query => table.query_rule()?,
            Scheme::None => Rule::None,
        };
        Ok(Verifier { rule })
    }

    /// The vendor's usual check with `secret` (see [`Scheme::default_for`]). An empty
    /// secret (an unset variable read as `""`) checks nothing: every delivery is refused.
    pub fn with_secret(kind: ProviderKind, secret: SecretString) -> Self {
        let config = WebhookConfig {
            secret: Some(secret),
            ..WebhookConfig::default()
        };
        match Verifier::from_config(kind, &config, "webhook", None) {
            Ok(verifier) => verifier,
            // The default schemes need nothing but the secret: it was empty.
            Err(_) => Verifier {
                rule: Rule::Refuse(Scheme::default_for(kind)),
            },
        }
    }

    /// Whether `other` checks deliveries with the same secret (compared in constant
    /// time): a delivery made for one can be made to pass the other's check (replayed to
    /// the other provider's endpoint, in that scheme's form), unknown to that provider's
    /// de-duplication window.
    /// The receiver warns of such pairs when it starts. `false` where either has no secret.
    pub fn shares_secret_with(&self, other: &Verifier) -> bool {
        match (self.secret_bytes(), other.secret_bytes()) {
            (Some(mine), Some(theirs)) => bool::from(mine.ct_eq(theirs)),
            _ => false,
        }
    }

    /// The secret compared or signed with, as bytes; `None` without one.
    fn secret_bytes(&self) -> Option<&[u8]> {
        match &self.rule {
            Rule::Header { secret, .. } | Rule::Query { secret, .. } => {
                Some(secret.expose_secret().as_bytes())
            }
            Rule::Hmac { key, .. } => Some(key.expose_secret()),
            Rule::Retell { key, .. } => Some(key.expose_secret().as_bytes()),
            Rule::Refuse(_) | Rule::None => None,
        }
    }

    /// The scheme in force.
    pub fn scheme(&self) -> Scheme {
        match &self.rule {
            Rule::Header { prefix: "", .. } => Scheme::Header,
            Rule::Header { .. } => Scheme::Bearer,
            Rule::Hmac { .. } => Scheme::Hmac,
            Rule::Retell { .. } => Scheme::Retell,
            Rule::Query { .. } => Scheme::Query,
            Rule::Refuse(scheme) => *scheme,
            Rule::None => Scheme::None,
        }
    }

    /// How far from now a signing time is accepted, where the scheme signs one (an HMAC
    /// over a timestamp, Retell's signature): a delivery replayed later than that is
    /// refused by its signature alone. `None` for the schemes that sign no time.
    pub fn tolerance(&self) -> Option<std::time::Duration> {
        match &self.rule {
            Rule::Hmac {
                timestamp: Some(_),
                tolerance_secs,
                ..
            }
            | Rule::Retell { tolerance_secs, .. } => {
                Some(std::time::Duration::from_secs(*tolerance_secs))
            }
            _ => None,
        }
    }

    /// Checks a delivery's headers and raw body, now. The `query` scheme needs the URL's
    /// query too: see [`verify_request`](Self::verify_request).
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> std::result::Result<(), VerifyError> {
        self.verify_at(headers, body, Utc::now())
    }

    /// Checks a delivery as of `now` (signing times are compared with it).
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> std::result::Result<(), VerifyError> {
        self.check(None, headers, body, now)
    }

    /// Checks a delivery with the query of the URL it was posted to (`token=…`, without
    /// the `?`), for every scheme, now.
    ///
    /// ```
    /// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
    /// use voiceport::ProviderKind;
    /// use voiceport::webhooks::{HeaderMap, Verifier, WebhookConfig};
    /// let config: WebhookConfig = toml::from_str("verify = \"query\"\nsecret = \"a1b2c3\"").unwrap();
    /// let verifier = Verifier::from_config(ProviderKind::Rounded, &config, "webhook", None).unwrap();
    /// let headers = HeaderMap::new();
    /// assert!(verifier.verify_request(Some("token=a1b2c3"), &headers, b"{}").is_ok());
    /// assert!(verifier.verify_request(Some("token=guess"), &headers, b"{}").is_err());
    /// assert!(verifier.verify_request(None, &headers, b"{}").is_err());
    /// ```
    pub fn verify_request(
        &self,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> std::result::Result<(), VerifyError> {
        self.check(query, headers, body, Utc::now())
    }

    fn check(
        &self,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> std::result::Result<(), VerifyError> {
        let mut head = self.check_head_at(query, headers, now)?;
        // The body is checked as of the same time.
        head.now = Some(now);
        head.verify_body(body)
    }

    /// Checks what a delivery's URL query and headers prove before its body is read: the
    /// whole check for the schemes that do not sign the body (`header`, `bearer`, `query`,
    /// `none`); for those that do, that the signature is there and readable and that its
    /// signing time is within the tolerance. A receiver that checks this first refuses a
    /// stranger's delivery without reading (and holding) its body where the scheme does not
    /// sign the body; where it does, anyone can send a well-formed signature of a fresh
    /// time, so the check says nothing of the sender yet
    /// ([`HeadChecked::signs_body`]): bound what such bodies may hold before they are
    /// checked with [`HeadChecked::verify_body`].
    ///
    /// ```
    /// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
    /// use voiceport::ProviderKind;
    /// use voiceport::webhooks::{HeaderMap, Verifier, WebhookConfig};
    /// let config: WebhookConfig = toml::from_str("verify = \"hmac\"\nsecret = \"a1b2c3\"").unwrap();
    /// let verifier = Verifier::from_config(ProviderKind::Voicebot, &config, "webhook", None).unwrap();
    /// // No signature: refused before any body is read.
    /// assert!(verifier.check_head(None, &HeaderMap::new()).is_err());
    /// let body = br#"{"message":{"type":"status-update"}}"#;
    /// let headers = verifier.sign(body, chrono::Utc::now());
    /// let head = verifier.check_head(None, &headers).unwrap();
    /// assert!(head.verify_body(body).is_ok());
    /// assert!(head.verify_body(b"{}").is_err());
    /// ```
    pub fn check_head<'a>(
        &'a self,
        query: Option<&'a str>,
        headers: &'a HeaderMap,
    ) -> std::result::Result<HeadChecked<'a>, VerifyError> {
        self.check_head_at(query, headers, Utc::now())
    }

    fn check_head_at<'a>(
        &'a self,
        query: Option<&'a str>,
        headers: &'a HeaderMap,
        now: DateTime<Utc>,
    ) -> std::result::Result<HeadChecked<'a>, VerifyError> {
        let signed_body = match &self.rule {
            Rule::None => None,
            Rule::Refuse(_) => return Err(VerifyError::Mismatch),
            Rule::Query { param, secret } => {
                let missing = || VerifyError::MissingParameter {
                    param: param.clone(),
                };
                let given = query_value(query.ok_or_else(missing)?, param).ok_or_else(missing)?;
                // Percent-decoded: `tok%31` is `tok1` (RFC 3986), as a URL may be re-encoded
                // on its way.
                same_secret(&percent_decode(given), secret)?;
                None
            }
            Rule::Header {
                name,
                prefix,
                secret,
            } => {
                let value = header_text(headers, name)?;
                let given = strip_prefix_ignoring_case(value.trim(), prefix)
                    .ok_or(VerifyError::Mismatch)?;
                same_secret(given.as_bytes(), secret)?;
                None
            }
            Rule::Hmac {
                signature,
                timestamp,
                message_id,
                url,
                payload,
                algorithm,
                encoding,
                prefix,
                key,
                tolerance_secs,
            } => {
                let given = signatures(headers, signature, prefix, *encoding)?;
                // A time is only checked when it is signed: else anyone could change it.
                // A stale one is refused here, before the body: signed or forged, it is
                // refused either way.
                let signed_at = match timestamp {
                    Some(name) => {
                        let (text, at) = read_timestamp(headers, name)?;
                        fresh(at, now, *tolerance_secs)?;
                        Some((text, at, *tolerance_secs))
                    }
                    None => None,
                };
                let message_id = match message_id {
                    Some(name) => header_text(headers, name)?.trim(),
                    None => "",
                };
                Some(SignedBody {
                    algorithm: *algorithm,
                    key: key.expose_secret(),
                    payload,
                    url: &url.0,
                    message_id,
                    signed_at,
                    given,
                })
            }
            Rule::Retell {
                key,
                tolerance_secs,
            } => {
                let value = header_text(headers, &RETELL_HEADER)?;
                let malformed = |reason| VerifyError::Malformed {
                    header: RETELL_HEADER.to_string(),
                    reason,
                };
                let (millis, digest) = parse_retell(value.trim())
                    .ok_or_else(|| malformed("expected v=<milliseconds>,d=<64 hex digits>"))?;
                let given =
                    vec![hex_decode(digest).ok_or_else(|| malformed("the digest is not hex"))?];
                let at = millis
                    .parse::<i64>()
                    .ok()
                    .and_then(DateTime::from_timestamp_millis)
                    .ok_or_else(|| malformed("the time is out of range"))?;
                fresh(at, now, *tolerance_secs)?;
                Some(SignedBody {
                    algorithm: HmacAlgorithm::Sha256,
                    key: key.expose_secret().as_bytes(),
                    payload: RETELL_PAYLOAD,
                    url: "",
                    message_id: "",
                    signed_at: Some((millis, at, *tolerance_secs)),
                    given,
                })
            }
        };
        Ok(HeadChecked {
            signed_body,
            now: None,
        })
    }

    /// The headers a vendor using this scheme would send with `body` signed at `at`: what
    /// the sandbox sends, and what tests forge deliveries with. Empty for `none`. A
    /// message id header, where the scheme has one, is derived from the body: the same
    /// for a redelivery of it, another for another body.
    pub fn sign(&self, body: &[u8], at: DateTime<Utc>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put = |name: &HeaderName, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name.clone(), value);
            }
        };
        match &self.rule {
            // The secret goes in the URL: see `signed_url`.
            Rule::None | Rule::Refuse(_) | Rule::Query { .. } => {}
            Rule::Header {
                name,
                prefix,
                secret,
            } => put(name, format!("{prefix}{}", secret.expose_secret())),
            Rule::Hmac {
                signature,
                timestamp,
                message_id,
                url,
                payload,
                algorithm,
                encoding,
                prefix,
                key,
                ..
            } => {
                // Vapi does not say whether its timestamp is in seconds or milliseconds;
                // the verifier takes both, the sandbox sends milliseconds.
                let millis = at.timestamp_millis().to_string();
                // As a Svix-style sender's: the same for every posting of one message
                // (retries, duplicates), and another for another message.
                let id = message_id_of(body);
                let values = payload::Values {
                    body,
                    timestamp: millis.as_bytes(),
                    url: url.0.as_bytes(),
                    message_id: id.as_bytes(),
                };
                let parts = payload::pieces(payload, &values);
                let mac = compute_mac(*algorithm, key.expose_secret(), &parts);
                let text = match encoding {
                    SignatureEncoding::Hex => hex_encode(&mac),
                    SignatureEncoding::Base64 => BASE64.encode(&mac),
                };
                put(signature, format!("{prefix}{text}"));
                if let Some(name) = timestamp {
                    put(name, millis);
                }
                if let Some(name) = message_id {
                    put(name, id);
                }
            }
            Rule::Retell { key, .. } => {
                let millis = at.timestamp_millis().to_string();
                let values = payload::Values {
                    body,
                    timestamp: millis.as_bytes(),
                    url: b"",
                    message_id: b"",
                };
                let parts = payload::pieces(RETELL_PAYLOAD, &values);
                let key = key.expose_secret().as_bytes();
                let mac = compute_mac(HmacAlgorithm::Sha256, key, &parts);
                put(&RETELL_HEADER, format!("v={millis},d={}", hex_encode(&mac)));
            }
        }
        headers
    }

    /// The URL to give the vendor: `url` with the secret in its query under the `query`
    /// scheme (in place of any value the parameter has there already, which would be read
    /// first), `url` itself under any other.
    pub fn signed_url(&self, url: &str) -> String {
        match &self.rule {
            Rule::Query { param, secret } => {
                let (base, fragment) = url
                    .split_once('#')
                    .map_or((url, None), |(b, f)| (b, Some(f)));
                let (path, query) = base.split_once('?').unwrap_or((base, ""));
                let secret_pair = format!("{param}={}", secret.expose_secret());
                let mut pairs: Vec<&str> = (query.split('&'))
                    .filter(|pair| {
                        // Compared percent-decoded, as the check reads the parameter.
                        let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
                        !pair.is_empty() && percent_decode(name) != param.as_bytes()
                    })
                    .collect();
                pairs.push(&secret_pair);
                let mut signed = format!("{path}?{}", pairs.join("&"));
                if let Some(fragment) = fragment {
                    signed.push('#');
                    signed.push_str(fragment);
                }
                signed
            }
            _ => url.to_owned(),
        }
    }
}

/// A delivery whose URL and headers passed [`Verifier::check_head`]; its body is still to
/// be checked. `Debug` shows neither the key nor the signature.
#[must_use = "the body is not checked yet: call `verify_body` with it"]
pub struct HeadChecked<'a> {
    /// The signature over the body to check, when the scheme signs it.
    signed_body: Option<SignedBody<'a>>,
    /// The time the body is checked as of (`None`: the clock's, when it is checked).
    now: Option<DateTime<Utc>>,
}

/// A signature read from the headers, and what it must be the MAC of: the pieces
/// `payload` names, the body among them (Retell's too: body, then time).
struct SignedBody<'a> {
    algorithm: HmacAlgorithm,
    key: &'a [u8],
    payload: &'a [Part],
    url: &'a str,
    message_id: &'a str,
    /// The signing time as sent, as read, and its tolerance: still checked once the body
    /// is in.
    signed_at: Option<(&'a str, DateTime<Utc>, u64)>,
    /// The signatures sent (several while the vendor rotates its key): one must match.
    given: Vec<Vec<u8>>,
}

impl fmt::Debug for HeadChecked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeadChecked")
            .field("signs_body", &self.signed_body.is_some())
            .finish_non_exhaustive()
    }
}

impl HeadChecked<'_> {
    /// Whether the body is still to be checked against a signature: the headers proved
    /// only that it is well formed and (where a time is signed) fresh, not who sent it.
    /// `false` once the head check was the whole check (a shared secret, `none`).
    pub fn signs_body(&self) -> bool {
        self.signed_body.is_some()
    }

    /// Checks the delivery's raw body against the signature its headers carry, and that
    /// the signing time is still within the tolerance (a body that took its time to come
    /// counts): the rest of [`Verifier::verify_request`].
    pub fn verify_body(&self, body: &[u8]) -> std::result::Result<(), VerifyError> {
        let Some(signed) = &self.signed_body else {
            return Ok(());
        };
        let values = payload::Values {
            body,
            timestamp: signed.signed_at.map_or("", |(text, ..)| text).as_bytes(),
            url: signed.url.as_bytes(),
            message_id: signed.message_id.as_bytes(),
        };
        let parts = payload::pieces(signed.payload, &values);
        if !mac_matches(signed.algorithm, signed.key, &parts, &signed.given) {
            return Err(VerifyError::Mismatch);
        }
        match signed.signed_at {
            Some((_, at, tolerance_secs)) => {
                fresh(at, self.now.unwrap_or_else(Utc::now), tolerance_secs)
            }
            None => Ok(()),
        }
    }
}

/// Whether `given` is the secret, in constant time. Digests first, so that the comparison
/// time says nothing about the length.
fn same_secret(given: &[u8], secret: &SecretString) -> std::result::Result<(), VerifyError> {
    let given = Sha256::digest(given);
    let expected = Sha256::digest(secret.expose_secret().as_bytes());
    bool::from(given.ct_eq(&expected))
        .then_some(())
        .ok_or(VerifyError::Mismatch)
}

/// A provider's `webhook` table being read into a [`Rule`]: what each scheme takes from
/// it, with errors naming the key under `field`.
struct Table<'a> {
    config: &'a WebhookConfig,
    field: &'a str,
    /// `secret`, or the variable `secret_env` names, read.
    secret: Option<SecretString>,
}

impl Table<'_> {
    /// An error at `key` of the table.
    fn error(&self, key: &str, message: impl Into<String>) -> Error {
        Error::config(format!("{}.{key}", self.field), message)
    }

    /// The secret, which the scheme needs.
    fn required(&self) -> Result<SecretString> {
        match &self.secret {
            // An empty secret would make an empty header, or an HMAC anyone can compute.
            Some(secret) if secret.expose_secret().trim().is_empty() => {
                Err(self.error("secret", "the webhook secret is empty"))
            }
            Some(secret) => Ok(secret.clone()),
            None => Err(self.error(
                "secret",
                "no webhook secret: set secret, or secret_env naming the variable that holds it",
            )),
        }
    }

    /// The secret as a header carries it, as the check reads it (trimmed): any other
    /// secret would refuse every delivery.
    fn header_secret(&self) -> Result<SecretString> {
        let secret = self.required()?;
        let text = secret.expose_secret();
        if !text.bytes().all(|b| (b' '..=b'~').contains(&b)) || text.trim() != text {
            let message =
                "a secret sent in a header must be printable ASCII, without spaces around it";
            return Err(self.error("secret", message));
        }
        Ok(secret)
    }

    /// The header the table names under `key` (`value`), else `default`.
    fn named(&self, key: &str, value: Option<&str>, default: &str) -> Result<HeaderName> {
        HeaderName::try_from(value.unwrap_or(default).trim())
            .map_err(|_| self.error(key, "not a header name"))
    }

    /// The table's `header`, else `default`.
    fn header(&self, default: &str) -> Result<HeaderName> {
        self.named("header", self.config.header.as_deref(), default)
    }

    /// How old a signing time may be, for a scheme that signs one.
    fn tolerance_secs(&self, scheme: Scheme) -> Result<u64> {
        let tolerance_secs = self.config.tolerance_secs.unwrap_or(DEFAULT_TOLERANCE_SECS);
        // No signing time is ever exactly now: a zero tolerance would refuse every delivery.
        if tolerance_secs < MIN_TOLERANCE_SECS && matches!(scheme, Scheme::Hmac | Scheme::Retell) {
            let message = "at least 1 second: a tolerance of 0 would refuse every delivery";
            return Err(self.error("tolerance_secs", message));
        }
        if tolerance_secs > MAX_TOLERANCE_SECS {
            let message = "at most 3600 seconds: a signature accepted for longer lets a captured delivery be replayed for as long";
            return Err(self.error("tolerance_secs", message));
        }
        Ok(tolerance_secs)
    }

    /// An HMAC of the parts the payload format names, each read from where the table says.
    fn hmac_rule(&self, default_header: &str, tolerance_secs: u64) -> Result<Rule> {
        let config = self.config;
        let secret = self.required()?;
        let key = if config.secret_is_base64 {
            (BASE64.decode(secret.expose_secret().trim()))
                .map_err(|_| self.error("secret", "not base64"))?
        } else {
            secret.expose_secret().as_bytes().to_vec()
        };
        if key.is_empty() {
            return Err(self.error("secret", "the key is empty"));
        }
        let timestamp_header = config.timestamp_header.as_deref();
        let format = match (&config.payload_format, timestamp_header) {
            (Some(format), _) => format.as_str(),
            (None, Some("")) => "{body}",
            (None, _) => "{timestamp}.{body}",
        };
        let payload = payload::parse(format, &format!("{}.payload_format", self.field))?;
        let signs_time = payload.contains(&Part::Timestamp);
        match timestamp_header {
            Some("") if signs_time => {
                let message = "the payload format signs {timestamp}: name its header";
                return Err(self.error("timestamp_header", message));
            }
            // A time that is not signed cannot be trusted, so it would not be checked: say
            // so rather than accept replays without a word.
            Some(name) if !name.is_empty() && !signs_time => {
                let message = "the payload format does not sign {timestamp}, so the time \
                               would not be checked: leave this out or sign it";
                return Err(self.error("timestamp_header", message));
            }
            _ => {}
        }
        self.refuse_keys_not_signed(&payload)?;
        let url = match (&config.url, payload.contains(&Part::Url)) {
            // Signed, the URL must be the one the vendor posts to: a blank one or one that
            // is no URL would refuse every delivery as a mismatch.
            (Some(url), true) if url::Url::parse(url.trim()).is_err() => {
                let message = "the payload format signs {url}: give the full URL the vendor posts to (https://…)";
                return Err(self.error("url", message));
            }
            (Some(url), _) => SigningUrl(url.clone()),
            (None, false) => SigningUrl(String::new()),
            (None, true) => {
                let message = "the payload format signs {url}: give the URL the vendor posts to";
                return Err(self.error("url", message));
            }
        };
        let signature = self.header(default_header)?;
        let timestamp = signs_time
            .then(|| self.named("timestamp_header", timestamp_header, "x-timestamp"))
            .transpose()?;
        let message_id = (payload.contains(&Part::MessageId))
            .then(|| {
                let name = config.message_id_header.as_deref();
                self.named("message_id_header", name, "svix-id")
            })
            .transpose()?;
        // Two parts of the delivery in one header cannot both be read from it.
        let in_use = [
            Some(("header", &signature)),
            timestamp.as_ref().map(|name| ("timestamp_header", name)),
            message_id.as_ref().map(|name| ("message_id_header", name)),
        ];
        let in_use: Vec<_> = in_use.into_iter().flatten().collect();
        for (i, (key, name)) in in_use.iter().enumerate() {
            if in_use[..i].iter().any(|(_, earlier)| earlier == name) {
                let message = format!("`{name}` already carries another part of the delivery");
                return Err(self.error(key, message));
            }
        }
        Ok(Rule::Hmac {
            signature,
            timestamp,
            message_id,
            url,
            payload,
            algorithm: config.algorithm.unwrap_or_default(),
            encoding: config.encoding.unwrap_or_default(),
            prefix: config.signature_prefix.clone().unwrap_or_default(),
            key: key.into(),
            tolerance_secs,
        })
    }

    /// A key only a part of the payload reads, given for a payload without that part,
    /// would be ignored without a word (a tolerance would check no time): refused.
    fn refuse_keys_not_signed(&self, payload: &[Part]) -> Result<()> {
        let config = self.config;
        let unread = [
            (
                "tolerance_secs",
                config.tolerance_secs.is_some(),
                Part::Timestamp,
                "{timestamp}",
            ),
            ("url", config.url.is_some(), Part::Url, "{url}"),
            (
                "message_id_header",
                config.message_id_header.is_some(),
                Part::MessageId,
                "{svix-id}",
            ),
        ];
        match unread
            .into_iter()
            .find(|(_, set, part, _)| *set && !payload.contains(part))
        {
            Some((key, _, _, part)) => Err(self.error(
                key,
                format!(
                    "the payload format does not sign {part}, so this would not be read: \
                     leave it out or sign it"
                ),
            )),
            None => Ok(()),
        }
    }

    /// The secret in a query parameter of the URL.
    fn query_rule(&self) -> Result<Rule> {
        let param = self.config.param.as_deref().unwrap_or("token").trim();
        if param.is_empty() || !param.bytes().all(is_url_safe) {
            let message = "a query parameter name of letters, digits and -._~";
            return Err(self.error("param", message));
        }
        let secret = self.required()?;
        // A secret that needs no percent-encoding is sent as it is (and compared
        // percent-decoded, as a URL may be re-encoded on its way).
        if !secret.expose_secret().bytes().all(is_url_safe) {
            let message = "a secret sent in a URL must be letters, digits and -._~ only";
            return Err(self.error("secret", message));
        }
        Ok(Rule::Query {
            param: param.to_owned(),
            secret,
        })
    }
}

/// Checks a delivery against the vendor's usual scheme ([`Scheme::default_for`]) with
/// `secret`: a shared-secret header (`X-Vapi-Secret` for Vapi and Voicebot Studio,
/// `X-Webhook-Secret` for HappyRobot and Rounded), or for Retell its signature
/// (`X-Retell-Signature`, an HMAC keyed with `secret`, the account's API key). Usable from
/// any web framework; for another scheme or header build a [`Verifier`] from a
/// [`WebhookConfig`].
///
/// ```
/// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
/// use voiceport::webhooks::{HeaderMap, HeaderValue, VerifyError, verify};
/// use voiceport::{ProviderKind, SecretString};
/// let mut headers = HeaderMap::new();
/// headers.insert("x-vapi-secret", HeaderValue::from_static("s3cret"));
/// let secret = SecretString::from("s3cret");
/// assert!(verify(ProviderKind::Voicebot, &headers, b"{}", &secret).is_ok());
/// let wrong = SecretString::from("other");
/// assert_eq!(verify(ProviderKind::Voicebot, &headers, b"{}", &wrong), Err(VerifyError::Mismatch));
/// ```
pub fn verify(
    kind: ProviderKind,
    headers: &HeaderMap,
    body: &[u8],
    secret: &SecretString,
) -> std::result::Result<(), VerifyError> {
    Verifier::with_secret(kind, secret.clone()).verify(headers, body)
}

fn header_text<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> std::result::Result<&'a str, VerifyError> {
    let value = headers.get(name).ok_or_else(|| VerifyError::Missing {
        header: name.to_string(),
    })?;
    value.to_str().map_err(|_| VerifyError::Malformed {
        header: name.to_string(),
        reason: "not visible ASCII",
    })
}

/// A signing time in seconds or milliseconds since the epoch (Vapi does not say which:
/// a value past 10^11 is read as milliseconds), kept as sent for the signed message.
fn read_timestamp<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> std::result::Result<(&'a str, DateTime<Utc>), VerifyError> {
    let text = header_text(headers, name)?.trim();
    let malformed = || VerifyError::Malformed {
        header: name.to_string(),
        reason: "not a time in seconds or milliseconds",
    };
    if !canonical_digits(text) {
        return Err(malformed());
    }
    let number: i64 = text.parse().map_err(|_| malformed())?;
    let at = if number.unsigned_abs() > 100_000_000_000 {
        DateTime::from_timestamp_millis(number)
    } else {
        DateTime::from_timestamp(number, 0)
    };
    Ok((text, at.ok_or_else(malformed)?))
}

fn fresh(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    tolerance_secs: u64,
) -> std::result::Result<(), VerifyError> {
    // To the millisecond: 300.5 s is beyond a 300 s tolerance (Retell signs in
    // milliseconds and says so).
    let age_ms = (now - at).num_milliseconds();
    if age_ms.unsigned_abs() > tolerance_secs.saturating_mul(1000) {
        // Reported away from zero, so that the figure is beyond the tolerance too.
        let age_secs = age_ms / 1000 + (age_ms % 1000).signum();
        return Err(VerifyError::Stale {
            age_secs,
            tolerance_secs,
        });
    }
    Ok(())
}

fn compute_mac(algorithm: HmacAlgorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match <M as KeyInit>::new_from_slice(key) {
            Ok(mut mac) => {
                parts.iter().for_each(|part| mac.update(part));
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    match algorithm {
        HmacAlgorithm::Sha256 => run::<Hmac<Sha256>>(key, parts),
        HmacAlgorithm::Sha512 => run::<Hmac<Sha512>>(key, parts),
        HmacAlgorithm::Sha1 => run::<Hmac<Sha1>>(key, parts),
    }
}

/// Whether one of `given` is the MAC of `parts`, each compared in constant time
/// (`subtle`; a length that differs is no match), all of them whichever matches.
fn mac_matches(algorithm: HmacAlgorithm, key: &[u8], parts: &[&[u8]], given: &[Vec<u8>]) -> bool {
    let expected = compute_mac(algorithm, key, parts);
    let matched = (given.iter()).fold(subtle::Choice::from(0), |matched, signature| {
        matched | expected.as_slice().ct_eq(signature.as_slice())
    });
    !expected.is_empty() && bool::from(matched)
}

/// Every signature the `name` headers carry, without `prefix`, decoded: a vendor rotating
/// its key signs with both keys (Svix's `v1,<a> v1,<b>`, or `sha256=<a>,sha256=<b>`), in
/// one header or in several. Signatures are separated by commas and spaces, which no hex
/// or base64 signature holds (a prefix may hold them: it is read as a whole). Pieces
/// without the prefix, or not encoded as configured, are passed over; refused when none
/// is left, or when there are more than [`MAX_SIGNATURES`] pieces.
fn signatures(
    headers: &HeaderMap,
    name: &HeaderName,
    prefix: &str,
    encoding: SignatureEncoding,
) -> std::result::Result<Vec<Vec<u8>>, VerifyError> {
    let malformed = |reason| VerifyError::Malformed {
        header: name.to_string(),
        reason,
    };
    let mut values = headers.get_all(name).iter().peekable();
    if values.peek().is_none() {
        return Err(VerifyError::Missing {
            header: name.to_string(),
        });
    }
    let mut pieces = Vec::new();
    for value in values {
        let text = value.to_str().map_err(|_| malformed("not visible ASCII"))?;
        if !split_signatures(text, prefix, &mut pieces) {
            return Err(malformed(TOO_MANY_SIGNATURES));
        }
    }
    let (mut unprefixed, mut undecoded) = (false, false);
    let mut found = Vec::new();
    for (prefixed, piece) in pieces {
        if !prefixed {
            unprefixed = true;
            continue;
        }
        let decoded = match encoding {
            SignatureEncoding::Hex => hex_decode(piece),
            SignatureEncoding::Base64 => BASE64.decode(piece).ok(),
        };
        match decoded {
            Some(signature) => found.push(signature),
            None => undecoded = true,
        }
    }
    match (found.is_empty(), undecoded, unprefixed) {
        (false, ..) => Ok(found),
        (true, true, _) => Err(malformed("the signature is not encoded as configured")),
        (true, false, true) => Err(malformed("the signature lacks its configured prefix")),
        (true, false, false) => Err(malformed("no signature")),
    }
}

/// The message id [`Verifier::sign`] gives `body`: `msg_` and 24 hex digits of its SHA-256.
fn message_id_of(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body);
    format!("msg_{}", hex_encode(digest.get(..12).unwrap_or(&digest)))
}

/// Refuses a key of the webhook table that `scheme` does not read: it would be ignored
/// without a word, and what it asks for not done (a `tolerance_secs` under a shared-secret
/// header checks no time; a `param` without `verify = "query"` reads no URL).
fn refuse_keys_of_other_schemes(scheme: Scheme, config: &WebhookConfig, field: &str) -> Result<()> {
    // Each key, whether it is set, and the schemes that read it.
    // Every scheme but `none` checks a secret: one given with `none` would be ignored,
    // and the deliveries it was meant to check taken unchecked.
    let checking = &[
        Scheme::Header,
        Scheme::Bearer,
        Scheme::Hmac,
        Scheme::Retell,
        Scheme::Query,
    ];
    let keys: [(&str, bool, &[Scheme]); 13] = [
        ("secret", config.secret.is_some(), checking),
        ("secret_env", config.secret_env.is_some(), checking),
        (
            "header",
            config.header.is_some(),
            &[Scheme::Header, Scheme::Bearer, Scheme::Hmac],
        ),
        ("param", config.param.is_some(), &[Scheme::Query]),
        (
            "timestamp_header",
            config.timestamp_header.is_some(),
            &[Scheme::Hmac],
        ),
        (
            "payload_format",
            config.payload_format.is_some(),
            &[Scheme::Hmac],
        ),
        ("url", config.url.is_some(), &[Scheme::Hmac]),
        (
            "message_id_header",
            config.message_id_header.is_some(),
            &[Scheme::Hmac],
        ),
        ("algorithm", config.algorithm.is_some(), &[Scheme::Hmac]),
        ("encoding", config.encoding.is_some(), &[Scheme::Hmac]),
        (
            "signature_prefix",
            config.signature_prefix.is_some(),
            &[Scheme::Hmac],
        ),
        ("secret_is_base64", config.secret_is_base64, &[Scheme::Hmac]),
        (
            "tolerance_secs",
            config.tolerance_secs.is_some(),
            &[Scheme::Hmac, Scheme::Retell],
        ),
    ];
    let ignored = keys
        .into_iter()
        .find(|(_, set, read_by)| *set && !read_by.contains(&scheme));
    match ignored {
        Some((key, _, read_by)) => {
            let schemes: Vec<&str> = read_by.iter().map(|s| s.as_str()).collect();
            let message = format!(
                "not read with verify = \"{scheme}\" (only with {}): remove it, or set the \
                 scheme it belongs to",
                schemes.join(" or ")
            );
            Err(Error::config(format!("{field}.{key}"), message))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key of another scheme is refused at its name, not ignored: a tolerance under a
    /// shared-secret header would check no time.
    #[test]
    fn keys_another_scheme_reads_are_refused() {
        let refused = |kind, table: &str| {
            let config: WebhookConfig = toml::from_str(table).unwrap();
            match Verifier::from_config(kind, &config, "providers.a.webhook", None) {
                Err(Error::Config { field, message }) => (field, message),
                other => panic!("{table}: {other:?}"),
            }
        };
        let cases = [
            (
                ProviderKind::Voicebot,
                "secret = \"s\"\ntolerance_secs = 60",
                "tolerance_secs",
            ),
            (
                ProviderKind::Rounded,
                "secret = \"s\"\nparam = \"token\"",
                "param",
            ),
            (
                ProviderKind::Vapi,
                "verify = \"query\"\nsecret = \"s\"\nalgorithm = \"sha512\"",
                "algorithm",
            ),
            (
                ProviderKind::Retell,
                "secret = \"s\"\nsecret_is_base64 = true",
                "secret_is_base64",
            ),
            (
                ProviderKind::Retell,
                "secret = \"s\"\nheader = \"x-sig\"",
                "header",
            ),
            (
                ProviderKind::HappyRobot,
                "verify = \"none\"\ntimestamp_header = \"x-t\"",
                "timestamp_header",
            ),
        ];
        for (kind, table, key) in cases {
            let (field, message) = refused(kind, table);
            assert_eq!(field, format!("providers.a.webhook.{key}"), "{table}");
            assert!(message.contains("not read with verify"), "{message}");
        }
        // Each where it is read.
        for (kind, table) in [
            (
                ProviderKind::Voicebot,
                "verify = \"hmac\"\nsecret = \"s\"\ntolerance_secs = 60\nalgorithm = \"sha512\"",
            ),
            (ProviderKind::Retell, "secret = \"s\"\ntolerance_secs = 60"),
            (
                ProviderKind::Rounded,
                "verify = \"query\"\nsecret = \"s\"\nparam = \"key\"",
            ),
            (
                ProviderKind::HappyRobot,
                "secret = \"s\"\nheader = \"x-hook-secret\"",
            ),
        ] {
            let config: WebhookConfig = toml::from_str(table).unwrap();
            let verifier = Verifier::from_config(kind, &config, "providers.a.webhook", None);
            assert!(verifier.is_ok(), "{table}: {verifier:?}");
        }
    }
}
