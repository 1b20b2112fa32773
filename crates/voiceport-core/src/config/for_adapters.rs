//! What an adapter reads from its [`ProviderConfig`]: the key, the transport settings and a
//! ready HTTP client, its vendor options. Applications never call these; they live on a
//! trait in [`crate::adapter`] so that an application's view of `ProviderConfig` is the
//! configuration alone.

use secrecy::SecretString;
use serde::de::DeserializeOwned;
use std::time::Duration;

use super::{ProviderConfig, env, positive_seconds, secret_given_or_from_env};
use crate::http::{Auth, AuthStyle, HttpClient, HttpSettings, RetryPolicy};
use crate::{Error, ProviderKind, Result};

/// What an adapter reads from its [`ProviderConfig`] (`use voiceport_core::adapter::AdapterConfig`).
///
/// Sealed: `ProviderConfig` is its only implementation, so methods can be added.
pub trait AdapterConfig: sealed::Sealed {
    /// Refuses a config meant for another vendor (an adapter's first check).
    fn ensure_kind(&self, expected: ProviderKind) -> Result<()>;

    /// The API key: `api_key`, or the variable `api_key_env` names (both set is a
    /// configuration error: a sandbox's `api_key` left beside a real account's variable
    /// would send the sandbox's key to the vendor); without the spaces
    /// around it (servers ignore them in a header, so a key pasted with a trailing space
    /// works, and must be masked in what the vendor echoes of it as the key it is).
    fn resolve_api_key(&self) -> Result<SecretString>;

    /// The transport settings, checked.
    fn http_settings(&self) -> Result<HttpSettings>;

    /// Builds the HTTP client an adapter uses: key resolved, base URL checked, settings
    /// applied, the provider's [name](ProviderConfig::name) given to its request spans.
    /// `default_base_url` is the vendor's production URL.
    fn http_client(&self, default_base_url: &str, auth_style: AuthStyle) -> Result<HttpClient>;

    /// Like [`AdapterConfig::http_client`], for a second host of the same vendor (same key
    /// and settings) at `base_url`; `field` names where that URL came from, for messages.
    fn http_client_at(
        &self,
        base_url: &str,
        field: &str,
        auth_style: AuthStyle,
    ) -> Result<HttpClient>;

    /// Checks a second base URL of the same vendor (https, or http to loopback unless
    /// insecure HTTP is allowed), for requests sent with
    /// [`Request::with_base`](crate::http::Request::with_base) over the one connection
    /// pool. `field` names the option it came from, in errors.
    fn second_base_url(&self, raw: &str, field: &str) -> Result<url::Url>;

    /// Reads the vendor options into the adapter's own type; errors name the option
    /// (`providers.sales.options.number_id`, or `VOICEPORT_OPTIONS_NUMBER_ID` for a config
    /// read from the environment).
    ///
    /// An option read from a variable as a number or a flag is read as the text written
    /// where `T` takes text (`from_number = "+14155550123"`). A blank text option
    /// (`agent_id = ""`) is an error, whatever `T`.
    ///
    /// ```
    /// use voiceport_core::adapter::AdapterConfig;
    /// use voiceport_core::{ProviderConfig, ProviderKind};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Options {
    ///     from_number: Option<String>,
    /// }
    /// let config = ProviderConfig::new(ProviderKind::Rounded).with_option("from_number", "+331");
    /// let options: Options = config.options()?;
    /// assert_eq!(options.from_number.as_deref(), Some("+331"));
    /// # Ok::<(), voiceport_core::Error>(())
    /// ```
    fn options<T: DeserializeOwned>(&self) -> Result<T>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ProviderConfig {}
}

impl AdapterConfig for ProviderConfig {
    fn ensure_kind(&self, expected: ProviderKind) -> Result<()> {
        if self.kind == expected {
            return Ok(());
        }
        Err(Error::config(
            self.field_name("kind"),
            format!(
                "the {expected} adapter cannot serve a `{}` provider",
                self.kind
            ),
        ))
    }

    fn resolve_api_key(&self) -> Result<SecretString> {
        let key = secret_given_or_from_env(
            self.api_key.as_ref(),
            self.api_key_env.as_deref(),
            ("api_key", "api_key_env"),
            |name| self.field_name(name),
            |name| self.setting(name),
            "key",
        )?;
        key.ok_or_else(|| {
            let (key, key_env) = match self.from_env {
                true => (self.field_name("api_key"), self.field_name("api_key_env")),
                false => (self.setting("api_key"), self.setting("api_key_env")),
            };
            Error::config(
                self.field_name("api_key"),
                format!("no API key: set {key} or {key_env}"),
            )
        })
    }

    fn http_settings(&self) -> Result<HttpSettings> {
        let defaults = HttpSettings::default();
        let retry_defaults = RetryPolicy::default();
        let seconds = |value: Option<f64>, name: &str, default: Duration| -> Result<Duration> {
            Ok(positive_seconds(value, || self.field_name(name))?.unwrap_or(default))
        };
        let max_attempts = self
            .retry
            .max_attempts
            .unwrap_or(retry_defaults.max_attempts);
        if max_attempts == 0 {
            return Err(Error::config(
                self.field_name("retry.max_attempts"),
                "must be at least 1",
            ));
        }
        let max_body_bytes = self.max_body_bytes.unwrap_or(defaults.max_body_bytes);
        if max_body_bytes == 0 {
            return Err(Error::config(
                self.field_name("max_body_bytes"),
                "must be at least 1",
            ));
        }
        // A zero backoff would send every attempt left at once to a vendor answering 503,
        // and a ceiling under the first wait would make the first wait a fiction.
        let initial_backoff_ms = self.retry.initial_backoff_ms;
        let max_backoff_ms = self.retry.max_backoff_ms;
        if initial_backoff_ms == Some(0) {
            return Err(Error::config(
                self.field_name("retry.initial_backoff_ms"),
                "must be at least 1",
            ));
        }
        let initial_backoff = initial_backoff_ms
            .map(Duration::from_millis)
            .unwrap_or(retry_defaults.initial_backoff);
        let max_backoff = max_backoff_ms
            .map(Duration::from_millis)
            .unwrap_or(retry_defaults.max_backoff);
        if max_backoff < initial_backoff {
            // The field the user set, of the two (the other is its default).
            let (field, message) = match max_backoff_ms {
                Some(_) => (
                    "retry.max_backoff_ms",
                    format!(
                        "must be at least the first backoff ({} ms)",
                        initial_backoff.as_millis()
                    ),
                ),
                None => (
                    "retry.initial_backoff_ms",
                    format!(
                        "must be at most the longest backoff ({} ms)",
                        max_backoff.as_millis()
                    ),
                ),
            };
            return Err(Error::config(self.field_name(field), message));
        }
        Ok(HttpSettings {
            timeout: seconds(self.timeout_secs, "timeout_secs", defaults.timeout)?,
            timeout_configured: self.timeout_secs.is_some(),
            connect_timeout: seconds(
                self.connect_timeout_secs,
                "connect_timeout_secs",
                defaults.connect_timeout,
            )?,
            max_body_bytes,
            retry: RetryPolicy {
                max_attempts,
                initial_backoff,
                max_backoff,
                max_elapsed: seconds(
                    self.retry.max_elapsed_secs,
                    "retry.max_elapsed_secs",
                    retry_defaults.max_elapsed,
                )?,
            },
            allow_insecure_http: self.allow_insecure_http,
        })
    }

    fn http_client(&self, default_base_url: &str, auth_style: AuthStyle) -> Result<HttpClient> {
        let base_url = self.base_url.as_deref().unwrap_or(default_base_url);
        self.http_client_at(base_url, "base_url", auth_style)
    }

    fn http_client_at(
        &self,
        base_url: &str,
        field: &str,
        auth_style: AuthStyle,
    ) -> Result<HttpClient> {
        let key = self.resolve_api_key()?;
        let key_field = if self.api_key.is_some() {
            "api_key"
        } else {
            "api_key_env"
        };
        let auth = Auth::new(auth_style, key, &self.field_name(key_field))?;
        let client = HttpClient::new(
            self.kind,
            base_url,
            &self.field_name(field),
            auth,
            self.http_settings()?,
        )?;
        let mut client = client.with_provider_name(self.name());
        // The webhook secret is hidden as the key is: a vendor may send it back.
        if let Some(mask) = self
            .webhook
            .as_ref()
            .and_then(crate::webhook::WebhookConfig::secret_mask)
        {
            client = client.also_hiding(mask);
        }
        Ok(client)
    }

    fn second_base_url(&self, raw: &str, field: &str) -> Result<url::Url> {
        let url =
            crate::http::parse_base_url(raw, self.allow_insecure_http, &self.field_name(field))?;
        // Both go through one client, which refuses plain http beside an https API (a proxy
        // would read the key): said now rather than at every request. The API's base is the
        // vendor's (https) unless `base_url` says otherwise.
        let api_is_http = (self.base_url.as_deref())
            .and_then(|base| url::Url::parse(base.trim()).ok())
            .is_some_and(|base| base.scheme() == "http");
        if url.scheme() == "http" && !api_is_http {
            return Err(Error::config(
                self.field_name(field),
                "plain http beside an https base_url: use https, or set base_url to http too",
            ));
        }
        Ok(url)
    }

    fn options<T: DeserializeOwned>(&self) -> Result<T> {
        // A blank id or number would be sent to the vendor as it is (`agent_id = ""`): an
        // option left blank is a mistake, said where it is.
        let blank = (self.options.iter())
            .find(|(_, value)| value.as_str().is_some_and(|text| text.trim().is_empty()));
        if let Some((key, _)) = blank {
            let keys = vec!["options".to_owned(), key.clone()];
            return Err(env::locate(
                &self.path,
                self.from_env,
                keys,
                "is empty".into(),
            ));
        }
        let mut options = self.options.clone();
        loop {
            let value = serde_json::Value::Object(options.clone());
            let e = match serde_path_to_error::deserialize(value) {
                Ok(options) => return Ok(options),
                Err(e) => e,
            };
            let keys = env::segments(e.path());
            let message = e.into_inner().to_string();
            // A number or a flag where text is expected: the text as written, when the
            // value is still the one read from that text.
            if message.starts_with("invalid type")
                && let Some(key) = keys.first()
                && let Some(text) = self.option_texts.get(key)
                && let Some(current) = options.get_mut(key)
                && !current.is_string()
                && *current == env::option_value(text)
            {
                *current = serde_json::Value::String(text.clone());
                continue;
            }
            // A table's keys are unique: a field read twice is an option given under its
            // name and an alias of it (`agent_id` beside `use_case_id`), which serde names
            // by the field alone.
            let message = if message.starts_with("duplicate field") {
                format!(
                    "{message}: the option is set twice, under its name and another name it is read by (an alias such as `agent_id`): set it once"
                )
            } else {
                message
            };
            let keys = [vec!["options".to_owned()], keys].concat();
            return Err(env::locate(&self.path, self.from_env, keys, message));
        }
    }
}
