//! Checking that a delivery comes from the vendor.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::config::{HmacAlgorithm, Scheme, SignatureEncoding, WebhookConfig};
use super::encoding::{
    MAX_SIGNATURES, canonical_digits, hex_decode, parse_retell, percent_decode, query_value,
    split_signatures, strip_prefix_ignoring_case,
};
use super::payload::{self, Part};
use super::rule::{RETELL_HEADER, RETELL_PAYLOAD, Rule};
use crate::{ProviderKind, Result};

/// The tolerance for signing times when the configuration does not say: five minutes.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

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

/// The fewest bytes a webhook secret is expected to have: 16, what 128 random bits take
/// as raw bytes. A shorter one still works; the receiver warns of it
/// ([`Verifier::secret_is_short`]).
pub const SHORT_SECRET_BELOW: usize = 16;

/// One provider's delivery check, built from its [`WebhookConfig`]. `Debug` never shows
/// the secret.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub(super) rule: Rule,
}

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

    /// The vendor's usual check with `secret` (see [`Scheme::default_for`]). An empty
    /// secret (an unset variable read as `""`), or for a header scheme one a header cannot
    /// carry (anything but printable ASCII, or spaces around it), checks nothing: every
    /// delivery is refused. [`Verifier::try_with_secret`] and [`Verifier::from_config`]
    /// say why instead.
    pub fn with_secret(kind: ProviderKind, secret: SecretString) -> Self {
        // The default schemes need nothing but the secret: an error means it was empty, or
        // one a header cannot carry.
        Self::try_with_secret(kind, secret).unwrap_or_else(|_| Verifier {
            rule: Rule::Refuse(Scheme::default_for(kind)),
        })
    }

    /// [`Verifier::with_secret`], but a secret that would check nothing (empty, or for a
    /// header scheme one a header cannot carry) is an error saying why, never showing
    /// the secret: what to call at start-up with a secret read from the environment, so
    /// that a missing one stops the application rather than refusing every delivery.
    ///
    /// ```
    /// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
    /// use voiceport::webhooks::Verifier;
    /// use voiceport::{ProviderKind, SecretString};
    ///
    /// let secret = std::env::var("VAPI_WEBHOOK_SECRET").unwrap_or_default(); // unset here
    /// let refused = Verifier::try_with_secret(ProviderKind::Vapi, SecretString::from(secret));
    /// assert!(refused.is_err());
    /// let verifier = Verifier::try_with_secret(ProviderKind::Vapi, "a-long-random-secret".into());
    /// assert!(verifier.is_ok());
    /// ```
    pub fn try_with_secret(kind: ProviderKind, secret: SecretString) -> Result<Self> {
        let config = WebhookConfig {
            secret: Some(secret),
            ..WebhookConfig::default()
        };
        Verifier::from_config(kind, &config, "webhook", None)
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

    /// Whether the secret is shorter than [`SHORT_SECRET_BELOW`] bytes, few enough that a
    /// sender could guess it, or that it was typed as a word (`"secret"`, `"test"`) rather
    /// than generated. The receiver warns of it when it starts. `false` without a secret,
    /// and for the `retell` scheme, whose key (the provider's API key, or a `secret` given
    /// in its place) is a Retell API key, of Retell's making.
    pub fn secret_is_short(&self) -> bool {
        match &self.rule {
            Rule::Retell { .. } => false,
            _ => self
                .secret_bytes()
                .is_some_and(|secret| secret.len() < SHORT_SECRET_BELOW),
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
        self.verify_body_as_of(body, self.now.unwrap_or_else(Utc::now))
    }

    /// [`verify_body`](Self::verify_body) with the signing time checked as of `now`.
    fn verify_body_as_of(
        &self,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> std::result::Result<(), VerifyError> {
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
            Some((_, at, tolerance_secs)) => fresh(at, now, tolerance_secs),
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

/// Checks a delivery against the vendor's usual scheme ([`Scheme::default_for`]) with
/// `secret`: a shared-secret header (`X-Vapi-Secret` for Vapi and Voicebot Studio,
/// `X-Webhook-Secret` for HappyRobot and Rounded), or for Retell its signature
/// (`X-Retell-Signature`, an HMAC keyed with `secret`, the account's API key). Usable from
/// any web framework; for another scheme or header build a [`Verifier`] from a
/// [`WebhookConfig`]. A Rounded agent's webhook takes a URL and no headers, so only a
/// proxy in front of the application adds that header: for Rounded itself, a secret in
/// the URL (`verify = "query"`) is the check its deliveries can pass.
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

/// The headers of a request from any web framework, as [`verify`] and a [`Verifier`] read
/// them: from `(name, value)` pairs, in order (a name given twice keeps both values), each
/// side text or bytes (`&str`, `String`, `&[u8]`, `Vec<u8>`). A pair that is not a valid
/// header is left out, and a check that needs it then refuses the delivery as missing it.
/// For a framework on another version of the `http` crate (actix-web 4, warp 0.3), whose
/// `HeaderMap` is not this one.
///
/// ```
/// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
/// use voiceport::webhooks::{header_map, verify};
/// use voiceport::{ProviderKind, SecretString};
/// // With actix-web: req.headers().iter().map(|(n, v)| (n.as_str(), v.as_bytes()))
/// let pairs = [("content-type", "application/json"), ("X-Vapi-Secret", "s3cret")];
/// let headers = header_map(pairs);
/// let secret = SecretString::from("s3cret");
/// assert!(verify(ProviderKind::Vapi, &headers, b"{}", &secret).is_ok());
/// ```
pub fn header_map<N: AsRef<[u8]>, V: AsRef<[u8]>>(
    pairs: impl IntoIterator<Item = (N, V)>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_ref()),
            http::HeaderValue::from_bytes(value.as_ref()),
        ) {
            headers.append(name, value);
        }
    }
    headers
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

pub(super) fn compute_mac(algorithm: HmacAlgorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::webhook::WebhookConfig;

    /// A secret that would check nothing is an error from `try_with_secret` (never quoting
    /// it), where `with_secret` builds a verifier that refuses every delivery.
    #[test]
    fn a_secret_that_checks_nothing_is_an_error_when_tried() {
        let body = br#"{"event":"call_ended"}"#;
        // A header carries no line break: HappyRobot's usual scheme is a header.
        let cases = [
            (ProviderKind::Vapi, ""),
            (ProviderKind::HappyRobot, "hidden-part\nof-the-secret"),
        ];
        for (kind, secret) in cases {
            let error = Verifier::try_with_secret(kind, secret.into()).unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(shown.contains("webhook"), "{kind}: {shown}");
            if !secret.is_empty() {
                assert!(!shown.contains("hidden-part"), "{kind}: {shown}");
            }
            let refusing = Verifier::with_secret(kind, secret.into());
            let signed = refusing.sign(body, Utc::now());
            assert!(refusing.verify(&signed, body).is_err(), "{kind}");
        }
        let good = Verifier::try_with_secret(ProviderKind::HappyRobot, "0123456789abcdef".into());
        let good = good.unwrap();
        assert!(good.verify(&good.sign(body, Utc::now()), body).is_ok());
    }

    /// The signing time is checked again once the body is in: a body that takes its time
    /// to come does not stretch the tolerance. A head checked through `check_head` leaves
    /// the time open, so that `verify_body` reads the clock when the body has come.
    #[test]
    fn a_body_that_comes_late_is_checked_against_the_tolerance_too() {
        let body = br#"{"message":{"type":"status-update"}}"#;
        let secret = "s3cr3t-s3cr3t-s3cr3t";
        for (kind, table) in [
            (ProviderKind::Voicebot, "verify = \"hmac\"\n"),
            (ProviderKind::Retell, ""),
        ] {
            // A minute's tolerance: the head is checked in time however slow the machine.
            let text = format!("{table}secret = \"{secret}\"\ntolerance_secs = 60");
            let config: WebhookConfig = toml::from_str(&text).unwrap();
            let verifier = Verifier::from_config(kind, &config, "w", None).unwrap();
            let signed_at = Utc::now();
            let signed = verifier.sign(body, signed_at);
            let head = verifier.check_head(None, &signed).unwrap();
            assert_eq!(
                head.now, None,
                "{kind}: the body's time fixed with the head's"
            );
            // Its `Debug` shows neither the key nor the signature (nor any header sent).
            let shown = format!("{head:?}");
            assert!(!shown.contains(secret), "{shown}");
            for value in signed.values() {
                let value = value.to_str().unwrap_or_default();
                assert!(!value.is_empty() && !shown.contains(value), "{shown}");
            }
            let late = signed_at + TimeDelta::seconds(61);
            assert!(
                matches!(
                    head.verify_body_as_of(body, late),
                    Err(VerifyError::Stale { .. })
                ),
                "{kind}"
            );
            let in_time = signed_at + TimeDelta::seconds(30);
            assert_eq!(head.verify_body_as_of(body, in_time), Ok(()), "{kind}");
        }
    }
}
