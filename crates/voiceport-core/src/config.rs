//! Configuration: one provider (`ProviderConfig`), or a file of named providers
//! (`ProvidersFile`), from TOML, JSON or environment variables.
//!
//! ```toml
//! default = "sales"
//!
//! [providers.sales]
//! kind = "happyrobot"
//! api_key_env = "HAPPYROBOT_API_KEY"   # or api_key = "…"
//!
//! [providers.support]
//! kind = "rounded"
//! api_key_env = "ROUNDED_API_KEY"
//! timeout_secs = 20
//! [providers.support.retry]
//! max_attempts = 3
//! [providers.support.webhook]             # deliveries to the receiver
//! verify = "header"
//! header = "x-webhook-secret"
//! secret_env = "ROUNDED_WEBHOOK_SECRET"
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::route::RouteConfig;
use crate::webhook::{Verifier, WebhookConfig};
use crate::{Error, ProviderKind, Result};

/// How to reach one vendor account.
///
/// `Debug` never shows the API key, nor what may be one: an `api_key_env` that does not
/// look like a variable's name (a key pasted there by mistake), a `base_url`'s user,
/// password, query and fragment.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table ([providers.NAME])")]
pub struct ProviderConfig {
    /// Which vendor: `happyrobot`, `voicebot`, `rounded`, `vapi` or `retell`.
    pub kind: ProviderKind,
    /// The API key itself. Prefer `api_key_env` outside tests.
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// The environment variable holding the API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Another base URL (a sandbox, a proxy); the vendor's own by default.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The longest one attempt may take, in seconds (default 30; where a vendor's endpoint
    /// is known to take longer, its own longer wait: Retell's list 300 and dial 120,
    /// Vapi's dial 60).
    #[serde(default)]
    pub timeout_secs: Option<f64>,
    /// The longest connecting may take, in seconds (default 10).
    #[serde(default)]
    pub connect_timeout_secs: Option<f64>,
    /// The largest response body accepted, in bytes (default 64 MiB).
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
    /// Allow plain `http` to hosts other than loopback (default false).
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Retry bounds.
    #[serde(default)]
    pub retry: RetrySettings,
    /// Vendor-specific options, read by the vendor's adapter.
    #[serde(default)]
    pub options: serde_json::Map<String, serde_json::Value>,
    /// How this account's webhook deliveries are verified (`[providers.NAME.webhook]`);
    /// `None`: the webhook receiver does not serve this provider.
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
    /// Where this config sits in its file (`providers.sales.`), for error messages; for a
    /// config read by [`from_env`](Self::from_env), the variables' prefix.
    #[serde(skip)]
    path: String,
    /// The name this provider has in its providers file (`sales`), for logs.
    #[serde(skip)]
    name: Option<String>,
    /// Read from environment variables: its fields are named as the variables are.
    #[serde(skip)]
    from_env: bool,
    /// The text of each option read from a variable as a number or a flag
    /// (`OPTIONS_FROM_NUMBER=+14155550123`), used where the adapter takes text.
    #[serde(skip)]
    option_texts: BTreeMap<String, String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field("api_key", &self.api_key)
            .field(
                "api_key_env",
                &self.api_key_env.as_deref().map(ShownEnvName),
            )
            .field("base_url", &self.base_url.as_deref().map(ShownUrl))
            .field("timeout_secs", &self.timeout_secs)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("retry", &self.retry)
            .field(
                "options",
                &ShownOptions(
                    self.options
                        .iter()
                        .map(|(k, v)| (k, v.as_str(), v as _))
                        .collect(),
                ),
            )
            .field("webhook", &self.webhook)
            .field("path", &self.path)
            .field("name", &self.name)
            .field("from_env", &self.from_env)
            .field(
                "option_texts",
                &ShownOptions(
                    (self.option_texts.iter())
                        .map(|(k, v)| (k, Some(&**v), v as _))
                        .collect(),
                ),
            )
            .finish()
    }
}

/// Options as `Debug` shows them, each (name, value as text where it is text, value): as
/// written, but for the URLs (`usage_base_url`), shown as [`ShownUrl`] shows a base URL (a
/// user, password or query may hold a token).
struct ShownOptions<'a>(Vec<(&'a String, Option<&'a str>, &'a dyn std::fmt::Debug)>);

impl std::fmt::Debug for ShownOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for &(key, text, value) in &self.0 {
            match text.filter(|_| key.ends_with("_url")) {
                Some(url) => map.entry(key, &ShownUrl(url)),
                None => map.entry(key, value),
            };
        }
        map.finish()
    }
}

/// An environment variable's name as `Debug` shows it: as written when it looks like one,
/// else hidden (it may be the secret itself, pasted in the wrong place).
pub(crate) struct ShownEnvName<'a>(pub(crate) &'a str);

impl std::fmt::Debug for ShownEnvName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match looks_like_a_variable(self.0.trim()) {
            true => std::fmt::Debug::fmt(self.0, f),
            false => f.write_str("[not shown: not a variable's name]"),
        }
    }
}

/// A configured URL as `Debug` shows it: its scheme, host, port and path, without a user,
/// password, query or fragment (where a token may travel); one that does not parse is not
/// shown.
pub(crate) struct ShownUrl<'a>(pub(crate) &'a str);

impl std::fmt::Debug for ShownUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Ok(mut url) = url::Url::parse(self.0.trim()) else {
            return f.write_str("[not shown: not a URL]");
        };
        let hidden = !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some();
        // Setting these fails only for URLs that cannot have them, which have none.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_query(None);
        url.set_fragment(None);
        match hidden {
            true => write!(f, "\"{url}\" (parts not shown)"),
            false => write!(f, "\"{url}\""),
        }
    }
}

/// Retry bounds, as configured.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table ([providers.NAME.retry])")]
#[non_exhaustive]
pub struct RetrySettings {
    /// Attempts in all, the first included (default 4; 1 disables retries).
    pub max_attempts: Option<u32>,
    /// First backoff in milliseconds (default 200; at least 1).
    pub initial_backoff_ms: Option<u64>,
    /// Largest computed backoff in milliseconds (default 10 000; at least the first).
    pub max_backoff_ms: Option<u64>,
    /// Total retry budget in seconds (default 60).
    pub max_elapsed_secs: Option<f64>,
}

impl RetrySettings {
    /// No retries: every request is tried once (`max_attempts = 1`).
    #[must_use]
    pub fn none() -> Self {
        RetrySettings::default().with_max_attempts(1)
    }

    /// Sets the attempts in all, the first included (at least 1, checked when the
    /// provider is built).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Sets the first backoff, in whole milliseconds (a part below one is dropped).
    #[must_use]
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff_ms = Some(whole_millis(backoff));
        self
    }

    /// Sets the largest computed backoff, in whole milliseconds.
    #[must_use]
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff_ms = Some(whole_millis(backoff));
        self
    }

    /// Sets the total retry budget (above zero and under about 31 years, checked when the
    /// provider is built).
    #[must_use]
    pub fn with_max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed_secs = Some(budget.as_secs_f64());
        self
    }
}

/// `duration` in whole milliseconds, the longest beyond `u64` held at `u64::MAX`.
fn whole_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl ProviderConfig {
    /// A config for `kind` with everything else default (set a key before connecting).
    #[must_use]
    pub fn new(kind: ProviderKind) -> Self {
        ProviderConfig {
            kind,
            api_key: None,
            api_key_env: None,
            base_url: None,
            timeout_secs: None,
            connect_timeout_secs: None,
            max_body_bytes: None,
            allow_insecure_http: false,
            webhook: None,
            retry: RetrySettings::default(),
            options: serde_json::Map::new(),
            path: String::new(),
            name: None,
            from_env: false,
            option_texts: BTreeMap::new(),
        }
    }

    /// Sets the API key, in place of any `api_key_env` (a configuration naming both is
    /// refused).
    #[must_use]
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self.api_key_env = None;
        self
    }

    /// Sets the environment variable the API key is read from when the provider is built
    /// (`api_key_env`, the way to give a key outside tests), in place of any `api_key`.
    ///
    /// ```
    /// use voiceport_core::{ProviderConfig, ProviderKind};
    /// let config = ProviderConfig::new(ProviderKind::Retell).with_api_key_env("RETELL_API_KEY");
    /// assert_eq!(config.api_key_env.as_deref(), Some("RETELL_API_KEY"));
    /// ```
    #[must_use]
    pub fn with_api_key_env(mut self, variable: impl Into<String>) -> Self {
        self.api_key_env = Some(variable.into());
        self.api_key = None;
        self
    }

    /// Sets the base URL.
    #[must_use]
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Sets the longest one attempt may take (`timeout_secs`; it then holds for every
    /// request, even where the vendor's own wait is longer). Checked when the provider is
    /// built: above zero and under about 31 years.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout_secs = Some(timeout.as_secs_f64());
        self
    }

    /// Sets the longest connecting may take (`connect_timeout_secs`), checked as
    /// [`with_timeout`](Self::with_timeout)'s.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout_secs = Some(timeout.as_secs_f64());
        self
    }

    /// Sets the retry bounds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use voiceport_core::{ProviderConfig, ProviderKind, RetrySettings};
    ///
    /// let config = ProviderConfig::new(ProviderKind::Vapi)
    ///     .with_api_key("test-key")
    ///     .with_timeout(Duration::from_secs(10))
    ///     .with_retry(RetrySettings::default().with_max_elapsed(Duration::from_secs(20)));
    /// assert_eq!(config.timeout_secs, Some(10.0));
    /// assert_eq!(config.retry.max_elapsed_secs, Some(20.0));
    /// ```
    #[must_use]
    pub fn with_retry(mut self, retry: RetrySettings) -> Self {
        self.retry = retry;
        self
    }

    /// Sets one vendor option.
    #[must_use]
    pub fn with_option(
        mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.options.insert(key.into(), value.into());
        self
    }

    /// Sets the vendor options from a typed value, such as an adapter's options struct
    /// built with `Default` and its fields set, in place of any set before. Fields left
    /// `None` are left out, as a configuration file leaves them.
    ///
    /// ```
    /// use voiceport_core::{ProviderConfig, ProviderKind};
    ///
    /// #[derive(serde::Serialize, Default)]
    /// struct Options {
    ///     from_number: Option<String>,
    ///     agent_id: Option<String>,
    /// }
    /// let options = Options { from_number: Some("+33155550142".into()), ..Default::default() };
    /// let config = ProviderConfig::new(ProviderKind::Rounded).with_options(&options)?;
    /// assert_eq!(config.options["from_number"], "+33155550142");
    /// assert!(!config.options.contains_key("agent_id"));
    /// # Ok::<(), voiceport_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `options` is not a table (a struct or a map).
    pub fn with_options(mut self, options: &impl Serialize) -> Result<Self> {
        let refused = |why: String| Error::invalid_argument("options", why);
        match serde_json::to_value(options) {
            Ok(serde_json::Value::Object(mut table)) => {
                table.retain(|_, value| !value.is_null());
                self.options = table;
                Ok(self)
            }
            Ok(other) => Err(refused(format!(
                "not a table of options: {}",
                crate::adapter::shorten(&other.to_string())
            ))),
            Err(error) => Err(refused(error.to_string())),
        }
    }

    /// Reads one provider from TOML text.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the text is no provider table (a syntax error, an unknown
    /// key, a missing or unknown `kind`, a value of the wrong type): at the path of the key
    /// at fault (`retry.max_attempts`), else at the key or the table header on the line the
    /// error points to (a table given twice: `providers.sales`), else `.`. The message
    /// gives the line and column, and never quotes a secret's value. Values are only read
    /// here: whether they are usable (a timeout above zero, a key that is set) is checked
    /// when the provider is built.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        parse_toml(text)
    }

    /// Reads one provider from JSON text.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the text is no provider object, at the path where reading
    /// stopped (`timeout_secs`, `retry.max_attempts`; `.` for the object itself, as when
    /// `kind` is missing; ending in `?` for a syntax error). The message gives the line and
    /// column; as in [`from_toml_str`](Self::from_toml_str), a secret's value is never
    /// quoted.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let field = e.path().to_string();
            let message = unless_secret(&field, e.into_inner().to_string());
            Error::config(field, message)
        })
    }

    /// The full name of one of this config's fields, for messages (`providers.sales.base_url`;
    /// `VOICEPORT_BASE_URL` for a config read from the environment): where the field is
    /// written, not its value.
    pub fn field_name(&self, name: &str) -> String {
        format!("{}{}", self.path, self.setting(name))
    }

    /// The name this provider has in its providers file (`sales` for `[providers.sales]`),
    /// which the `voiceport.operation` and `voiceport.request` spans of its connection
    /// record as `provider_name`; `None` for a config read alone (from TOML, JSON or the
    /// environment) or built in code.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// A field as the user sets it: its name in a file (`retry.max_attempts`), or its
    /// variable without the prefix (`RETRY_MAX_ATTEMPTS`) for a config read from the
    /// environment.
    fn setting(&self, name: &str) -> String {
        setting_name(name.split('.'), self.from_env)
    }

    /// Places this config at `path` (such as `providers.sales.`) for error messages.
    #[must_use]
    pub fn at_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        // Placed in a file: its fields are named as a file names them.
        self.from_env = false;
        self
    }

    /// The verifier of this provider's webhook deliveries, when a `webhook` table is
    /// configured (`None` otherwise). The secret is read now, so a missing variable is an
    /// error at start-up, not at the first delivery.
    pub fn webhook_verifier(&self) -> Result<Option<Verifier>> {
        let Some(config) = &self.webhook else {
            return Ok(None);
        };
        let field = self.field_name("webhook");
        // Read only by a scheme that signs with it: an unset `api_key_env` is then the
        // error, and no other scheme minds it.
        let api_key = || self.resolve_api_key().map(Some);
        Verifier::from_config_keyed(self.kind, config, &field, api_key)
            .map(Some)
            .map_err(|e| self.named_as_set(e, "webhook"))
    }

    /// An error about a field of `table` named as the user sets it: the verifier names
    /// `VOICEPORT_WEBHOOK.secret` by the table's path, a variable is `VOICEPORT_WEBHOOK_SECRET`.
    fn named_as_set(&self, error: Error, table: &str) -> Error {
        match error {
            Error::Config { field, message } if self.from_env => {
                let inner = field
                    .strip_prefix(&self.field_name(table))
                    .and_then(|rest| rest.strip_prefix('.'));
                match inner {
                    Some(inner) => {
                        Error::config(self.field_name(&format!("{table}.{inner}")), message)
                    }
                    None => Error::Config { field, message },
                }
            }
            other => other,
        }
    }
}

/// A file of named providers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table of [providers.NAME] tables")]
#[non_exhaustive]
pub struct ProvidersFile {
    /// The provider to use when none is named.
    #[serde(default)]
    pub default: Option<String>,
    /// The providers, by name.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Dial routes over several providers, by name (`[routes.NAME]`).
    #[serde(default)]
    pub routes: BTreeMap<String, RouteConfig>,
}

/// Why an empty configuration file is refused, and what fills it.
const EMPTY_FILE: &str = "is empty: write a `[providers.NAME]` table in it (`voiceport sandbox > FILE` fills it once the sandbox listens, a moment after it starts)";

impl ProvidersFile {
    /// A file built in code: its `providers` by name, the `default` one, and its `routes`.
    /// [`checked`](Self::checked) (which `Registry::from_file` calls) checks it as a file
    /// read from TOML is.
    pub fn new(
        default: Option<String>,
        providers: BTreeMap<String, ProviderConfig>,
        routes: BTreeMap<String, RouteConfig>,
    ) -> Self {
        ProvidersFile {
            default,
            providers,
            routes,
        }
    }

    /// Places every provider at `providers.NAME.`, the path its errors name (a file read
    /// from TOML is placed so already; one built in code is placed by
    /// [`checked`](Self::checked), which `Registry::from_file` calls). A provider read
    /// from environment variables ([`ProviderConfig::from_env`]) keeps naming its
    /// variables (`VOICEPORT_API_KEY`): there is no file to find `providers.NAME.` in.
    pub fn place_providers(&mut self) {
        for (name, config) in &mut self.providers {
            if !config.from_env {
                config.path = format!("providers.{name}.");
            }
            config.name = Some(name.clone());
        }
    }

    /// Reads TOML text.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] in each case, naming the field:
    /// - the text does not read as a providers file, as in
    ///   [`ProviderConfig::from_toml_str`] (at the key's path, `providers.sales.kind`);
    /// - a provider's name is empty or `all`, has spaces around it, or holds a `:`, a `,`
    ///   or a control character (at `providers.NAME`);
    /// - `default` names no provider of `[providers]` (at `default`);
    /// - a route names no provider, or one not in `[providers]` (at
    ///   `routes.NAME.providers`), or has weights its policy does not take (at
    ///   `routes.NAME.weights`).
    pub fn from_toml_str(text: &str) -> Result<Self> {
        parse_toml::<ProvidersFile>(text)?.checked()
    }

    /// This file, its providers placed at `providers.NAME.` for errors
    /// ([`place_providers`](Self::place_providers)), once checked as a file read from TOML
    /// is: for a file built in code.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a provider's name, the `default` or a route, as
    /// [`from_toml_str`](Self::from_toml_str) says.
    pub fn checked(mut self) -> Result<Self> {
        self.place_providers();
        // A qualified call id is `NAME:ID`, split at its first `:`, and a selection of
        // providers is `a,b`: a name holding either would address another provider.
        if let Some(name) = (self.providers.keys()).find(|name| {
            name.trim() != name.as_str()
                || name.is_empty()
                || name.as_str() == "all"
                || name.contains([':', ','])
                || name.chars().any(char::is_control)
        }) {
            return Err(Error::config(
                format!("providers.{}", name.escape_debug()),
                "a provider's name is not empty nor `all`, has no space around it and holds no `:`, `,` or control character (call ids are qualified as NAME:ID, and `-p` takes names separated by commas, or `all`)",
            ));
        }
        if let Some(default) = &self.default
            && !self.providers.contains_key(default)
        {
            return Err(Error::config(
                "default",
                format!(
                    "no provider named {default:?} in [providers]: {}",
                    self.names_listed()
                ),
            ));
        }
        for (name, route) in &self.routes {
            route.check(
                name,
                |provider| self.providers.contains_key(provider),
                || self.names_listed(),
            )?;
        }
        Ok(self)
    }

    /// Reads a TOML file.
    ///
    /// A file that holds a secret itself (an `api_key`, a webhook `secret`) and that other
    /// users can read is still read, with a warning logged (`tracing`, target
    /// `voiceport::config`); [`ProvidersFile::permission_warning`] gives its text, for a
    /// program to print (the `voiceport` command line does).
    ///
    /// # Errors
    ///
    /// [`Error::Config`]: at the file's path when it cannot be read (missing, a directory,
    /// not UTF-8, not permitted) or holds nothing but blanks; otherwise
    /// [`from_toml_str`](Self::from_toml_str)'s errors, their message ending with
    /// `(in PATH)`.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(path.display().to_string(), format!("cannot read: {e}")))?;
        // Most often one `voiceport sandbox > FILE` has not written yet (the shell creates
        // it at once; the sandbox writes it once it listens): said so, rather than that
        // the configuration names no provider.
        if text.trim().is_empty() {
            return Err(Error::config(path.display().to_string(), EMPTY_FILE));
        }
        let file = Self::from_toml_str(&text).map_err(|e| match e {
            Error::Config { field, message } => {
                Error::config(field, format!("{message} (in {})", path.display()))
            }
            other => other,
        })?;
        if let Some(warning) = file.permission_warning(path) {
            tracing::warn!(target: "voiceport::config", "{warning}");
        }
        Ok(file)
    }

    /// Whether this file holds a secret itself (an `api_key`, or a webhook `secret`) rather
    /// than the name of a variable holding it; an `api_key_env` or `secret_env` that does
    /// not look like a variable's name counts as one (a key pasted there by mistake).
    pub fn holds_secrets(&self) -> bool {
        let pasted = |name: &Option<String>| {
            (name.as_deref()).is_some_and(|n| !n.trim().is_empty() && !looks_like_a_variable(n))
        };
        self.providers.values().any(|p| {
            p.api_key.is_some()
                || pasted(&p.api_key_env)
                || (p.webhook.as_ref()).is_some_and(|w| w.secret.is_some() || pasted(&w.secret_env))
        })
    }

    /// A one-line warning, like ssh's, when any user may change this file (read from
    /// `path`; world write permission: one could point a `base_url` at a host of theirs,
    /// and receive the key read from your environment), or users other than its owner may
    /// read it while it holds a secret (group or world read permission); on Unix. (Group
    /// write alone is left alone: with a group of one's own, as most Linux systems give
    /// each user, it is the default.)
    /// `None` elsewhere, when neither is so, or when `path` cannot be read.
    pub fn permission_warning(&self, path: &Path) -> Option<String> {
        let mode = permissions_of(path)?;
        let shown = path.display();
        if mode & 0o002 != 0 {
            let fix = if self.holds_secrets() {
                "chmod 600"
            } else {
                "chmod go-w"
            };
            return Some(format!(
                "{shown} can be changed by other users (permissions {mode:04o}): one could send your API keys to a host of theirs; run `{fix} {shown}`"
            ));
        }
        if mode & 0o044 != 0 && self.holds_secrets() {
            return Some(format!(
                "{shown} holds an API key or secret and other users can read it (permissions {mode:04o}); run `chmod 600 {shown}` or use api_key_env / secret_env"
            ));
        }
        None
    }

    /// A one-line warning for each provider whose API key would travel unencrypted: a
    /// plain `http` base URL to a host other than this machine, which
    /// `allow_insecure_http` lets through (the client logs the same at `warn`, target
    /// `voiceport::config`, when it is built).
    pub fn plain_http_warnings(&self) -> Vec<String> {
        let plain = |raw: &Option<String>| {
            let url = url::Url::parse(raw.as_deref()?.trim()).ok()?;
            crate::http::plain_http_to_another_host(&url)
                .then(|| url.host_str().map(str::to_owned))?
        };
        (self.providers.iter())
            .filter(|(_, config)| config.allow_insecure_http)
            .filter_map(|(name, config)| {
                let host = plain(&config.base_url)?;
                // Named as the provider's errors name it: its variable when it was read
                // from the environment, else its key in this file (placed there or not).
                let field = |key: &str| match config.from_env {
                    true => config.field_name(key),
                    false => format!("providers.{name}.{key}"),
                };
                Some(format!(
                    "{} is plain http to {host}: its API key and its calls travel unencrypted ({})",
                    field("base_url"),
                    field("allow_insecure_http"),
                ))
            })
            .collect()
    }

    /// The provider named `name`.
    ///
    /// Its error names the configured providers (their names only, sorted); a file
    /// without providers is refused with where they go.
    pub fn get(&self, name: &str) -> Result<&ProviderConfig> {
        self.providers.get(name).ok_or_else(|| {
            if self.providers.is_empty() {
                Error::config(
                    format!("providers.{}", name.escape_debug()),
                    format!("no such provider: {}", no_providers()),
                )
            } else {
                self.unknown_provider(name)
            }
        })
    }

    /// The default provider: the one `default` names, or the only one when there is just
    /// one.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::ProvidersFile;
    ///
    /// let file = ProvidersFile::from_toml_str("[providers.sales]\nkind = \"vapi\"\n")?;
    /// assert_eq!(file.default_name()?, "sales");
    /// assert_eq!(file.default_provider()?.name(), Some("sales"));
    /// # Ok::<(), voiceport::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when several providers are configured and none is the default
    /// (the message says how to choose one and names them), or when none is configured.
    pub fn default_provider(&self) -> Result<&ProviderConfig> {
        self.get(self.default_name()?)
    }

    /// The name of the [default provider](Self::default_provider).
    ///
    /// # Errors
    ///
    /// As [`default_provider`](Self::default_provider)'s, but for a `default` that names
    /// no configured provider, which this does not look up.
    pub fn default_name(&self) -> Result<&str> {
        if let Some(default) = &self.default {
            return Ok(default);
        }
        match self.providers.keys().next() {
            None => Err(Error::config("providers", no_providers())),
            Some(only) if self.providers.len() == 1 => Ok(only),
            Some(_) => Err(Error::config(
                "default",
                format!(
                    "several providers and no default: name one (`-p NAME` on the command line, `Registry::connect(\"NAME\")` in code), or set `default = \"NAME\"` at the top of the file, before any [table]; {}",
                    self.names_listed()
                ),
            )),
        }
    }

    /// The error refusing `name` as no configured provider: at field `providers.NAME`
    /// (its control characters escaped), `no such provider; ` then
    /// [`names_listed`](Self::names_listed).
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::ProvidersFile;
    ///
    /// let file = ProvidersFile::from_toml_str("[providers.sales]\nkind = \"vapi\"\n")?;
    /// let error = file.unknown_provider("sale").to_string();
    /// assert!(error.contains("providers.sale"), "{error}");
    /// assert!(error.ends_with(&file.names_listed()), "{error}");
    /// # Ok::<(), voiceport::Error>(())
    /// ```
    pub fn unknown_provider(&self, name: &str) -> Error {
        Error::config(
            format!("providers.{}", name.escape_debug()),
            format!("no such provider; {}", self.names_listed()),
        )
    }

    /// Which providers are configured, as errors say it:
    /// `the configured ones are "sales", "support"`, or `no provider is configured`.
    ///
    /// The names only (never a key or any other setting), sorted, each quoted with a
    /// control character escaped, so the text is always one line. The messages naming the
    /// configured providers ([`get`](Self::get)'s, `voiceport::Registry`'s, the webhook
    /// receiver's) end with it.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::ProvidersFile;
    ///
    /// let file = ProvidersFile::from_toml_str(
    ///     "[providers.support]\nkind = \"rounded\"\n[providers.sales]\nkind = \"vapi\"\n",
    /// )?;
    /// assert_eq!(file.names_listed(), r#"the configured ones are "sales", "support""#);
    /// assert_eq!(ProvidersFile::default().names_listed(), "no provider is configured");
    /// # Ok::<(), voiceport::Error>(())
    /// ```
    pub fn names_listed(&self) -> String {
        listed(self.providers.keys(), "no provider is configured")
    }

    /// The routes of the file, quoted, for an error about a route it does not have.
    pub fn routes_listed(&self) -> String {
        listed(
            self.routes.keys(),
            "no route is configured (`[routes.NAME]`)",
        )
    }
}

/// `names` quoted, for an error about a name that is not among them; `none` when there are
/// none.
fn listed<'a>(names: impl ExactSizeIterator<Item = &'a String>, none: &str) -> String {
    if names.len() == 0 {
        return none.to_owned();
    }
    let quoted: Vec<String> = names.map(|name| format!("{name:?}")).collect();
    format!("the configured ones are {}", quoted.join(", "))
}

/// A setting's name from its `keys` (`["retry", "max_attempts"]`) as the user sets it:
/// dotted in a file (`retry.max_attempts`), upper-cased and joined by `_` when read from
/// variables (`RETRY_MAX_ATTEMPTS`, without the prefix).
fn setting_name<'a>(keys: impl IntoIterator<Item = &'a str>, from_env: bool) -> String {
    let keys: Vec<&str> = keys.into_iter().collect();
    if from_env {
        keys.join("_").to_ascii_uppercase()
    } else {
        keys.join(".")
    }
}

/// Why a file without providers cannot be used, and where its providers go.
fn no_providers() -> String {
    let kinds: Vec<&str> = ProviderKind::ALL.iter().map(|kind| kind.as_str()).collect();
    format!(
        "the configuration names no provider: add one as a `[providers.NAME]` table with `kind = \"KIND\"` (KIND one of {}) and `api_key_env = \"VARIABLE\"`",
        kinds.join(", ")
    )
}

/// The file's permission bits when its group or other users may read it.
#[cfg(unix)]
fn permissions_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::metadata(path).ok()?.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn permissions_of(_: &Path) -> Option<u32> {
    None
}

/// A configured number of seconds, checked: finite, from a millisecond (a smaller one, say
/// `1e-20`, would be a zero timeout that fails every request) and below 10^9; `field`
/// names the option in the error.
pub(crate) fn positive_seconds(
    value: Option<f64>,
    field: impl FnOnce() -> String,
) -> Result<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(s) if s.is_finite() && (0.001..1e9).contains(&s) => {
            Ok(Some(Duration::from_secs_f64(s)))
        }
        Some(s) => Err(Error::config(
            field(),
            format!("{s} is not a number of seconds from 0.001 up"),
        )),
    }
}

mod env;
mod for_adapters;
mod secrets;
mod toml_text;
pub use for_adapters::AdapterConfig;
use secrets::looks_like_a_variable;
pub(crate) use secrets::secret_given_or_from_env;
use toml_text::{parse_toml, unless_secret};

#[cfg(test)]
mod tests;
