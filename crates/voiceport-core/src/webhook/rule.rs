//! Building a [`Verifier`]'s rule from a provider's `[providers.NAME.webhook]` table (a
//! [`WebhookConfig`]): what each scheme reads from it, and the keys it refuses.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderName;
use secrecy::{ExposeSecret, SecretSlice, SecretString};

use super::config::{HmacAlgorithm, Scheme, SignatureEncoding, WebhookConfig};
use super::encoding::is_url_safe;
use super::payload::{self, Part};
use super::vendor::VendorWebhooks;
use super::verify::{DEFAULT_TOLERANCE_SECS, Verifier};
use crate::{Error, ProviderKind, Result};

/// The least tolerance for signing times a configuration may set.
const MIN_TOLERANCE_SECS: u64 = 1;

/// The most tolerance: a signature accepted for longer lets a captured delivery be
/// replayed for that long (once out of the de-duplication window); clocks a few minutes
/// apart need nothing near it.
const MAX_TOLERANCE_SECS: u64 = 3_600;

#[derive(Debug, Clone)]
pub(super) enum Rule {
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
pub(super) struct SigningUrl(pub(super) String);

impl fmt::Debug for SigningUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::config::ShownUrl(&self.0).fmt(f)
    }
}

/// The header of Retell's signature.
pub(super) const RETELL_HEADER_NAME: &str = "x-retell-signature";

pub(super) const RETELL_HEADER: HeaderName = HeaderName::from_static(RETELL_HEADER_NAME);

/// What Retell signs: the body, then the signing time in milliseconds as sent.
pub(super) const RETELL_PAYLOAD: &[Part] = &[Part::Body, Part::Timestamp];

impl Verifier {
    /// [`from_config`](Self::from_config), the API key read only when the scheme signs
    /// with it (Retell's, with no secret configured): an unreadable key is an error then,
    /// and only then.
    pub(crate) fn from_config_keyed(
        kind: ProviderKind,
        config: &WebhookConfig,
        field: &str,
        api_key: impl FnOnce() -> Result<Option<SecretString>>,
    ) -> Result<Self> {
        let vendor = VendorWebhooks::of(kind);
        let scheme = config.verify.unwrap_or(vendor.scheme);
        refuse_keys_of_other_schemes(scheme, config, field)?;
        let table = RuleReader {
            config,
            field,
            secret: config.resolve_secret(field)?,
        };
        // The header the scheme reads unless the table's `header` names another.
        let default_header = vendor.header_for(scheme).unwrap_or_default();
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
            Scheme::Hmac => table.hmac_rule(&vendor, tolerance_secs)?,
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
}

/// A provider's `webhook` table being read into a [`Rule`]: what each scheme takes from
/// it, with errors naming the key under `field`.
struct RuleReader<'a> {
    config: &'a WebhookConfig,
    field: &'a str,
    /// `secret`, or the variable `secret_env` names, read.
    secret: Option<SecretString>,
}

impl RuleReader<'_> {
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

    /// An HMAC of the parts the payload format names, each read from where the table says,
    /// else from where `vendor` puts them.
    fn hmac_rule(&self, vendor: &VendorWebhooks, tolerance_secs: u64) -> Result<Rule> {
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
            (None, _) => vendor.payload_format,
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
            // As checked: an environment variable's trailing newline is no part of it.
            (Some(url), _) => SigningUrl(url.trim().to_owned()),
            (None, false) => SigningUrl(String::new()),
            (None, true) => {
                let message = "the payload format signs {url}: give the URL the vendor posts to";
                return Err(self.error("url", message));
            }
        };
        let signature = self.header(vendor.signature_header)?;
        let timestamp = signs_time
            .then(|| {
                self.named(
                    "timestamp_header",
                    timestamp_header,
                    vendor.timestamp_header,
                )
            })
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
            prefix: (config.signature_prefix.as_deref())
                .unwrap_or(vendor.signature_prefix)
                .to_owned(),
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

    /// A vendor's own HMAC conventions (another header, a prefix, the body alone) are
    /// the defaults of a table that names none: a new vendor that signs so is one entry
    /// of `VendorWebhooks::of`, not code here.
    #[test]
    fn an_hmac_table_defaults_to_the_vendors_conventions() {
        let vendor = VendorWebhooks {
            signature_header: "x-dialwave-signature",
            timestamp_header: "",
            payload_format: "{body}",
            signature_prefix: "sha256=",
            ..VendorWebhooks::of(ProviderKind::Vapi)
        };
        let config = WebhookConfig::with_secret("s3cret");
        let table = RuleReader {
            config: &config,
            field: "providers.a.webhook",
            secret: config.secret.clone(),
        };
        let Rule::Hmac {
            signature,
            timestamp,
            payload,
            prefix,
            ..
        } = table.hmac_rule(&vendor, 300).unwrap()
        else {
            panic!("not an HMAC rule");
        };
        assert_eq!(signature, "x-dialwave-signature");
        assert_eq!(timestamp, None);
        assert_eq!(payload, [Part::Body]);
        assert_eq!(prefix, "sha256=");
        // The table still has the last word.
        let mut config = WebhookConfig::with_secret("s3cret");
        config.signature_prefix = Some("v1=".into());
        config.header = Some("x-sig".into());
        let table = RuleReader {
            config: &config,
            field: "providers.a.webhook",
            secret: config.secret.clone(),
        };
        let Rule::Hmac {
            signature, prefix, ..
        } = table.hmac_rule(&vendor, 300).unwrap()
        else {
            panic!("not an HMAC rule");
        };
        assert_eq!((signature.as_str(), prefix.as_str()), ("x-sig", "v1="));
    }

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
