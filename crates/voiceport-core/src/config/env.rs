//! One provider from environment variables: [`ProviderConfig::from_env`] and
//! [`ProviderConfig::from_vars`].
//!
//! The variables are gathered into the table the TOML form would hold, and that table is
//! read through the same `Deserialize` as a file's, so the same values are accepted and the
//! same ones refused; only the names in errors differ (`VOICEPORT_RETRY_MAX_ATTEMPTS` for
//! `retry.max_attempts`).

use std::collections::BTreeMap;
use std::ffi::OsString;

use toml::{Table, Value};

use super::{ProviderConfig, setting_name, unless_secret};
use crate::{Error, Result};

/// The top-level settings, each read from `{prefix}` and its upper-cased name.
const SCALARS: [&str; 8] = [
    "kind",
    "api_key",
    "api_key_env",
    "base_url",
    "timeout_secs",
    "connect_timeout_secs",
    "max_body_bytes",
    "allow_insecure_http",
];

/// The tables, each field read from `{prefix}{TABLE}_{FIELD}`.
const TABLES: [&str; 3] = ["retry", "webhook", "options"];

/// Secrets: taken as written, never read as TOML (so never quoted by a parser's message).
const VERBATIM: [&str; 2] = ["api_key", "webhook.secret"];

/// The settings whose value names another variable: that variable may share the prefix
/// without being a setting itself.
const NAMES_A_VARIABLE: [&str; 2] = ["API_KEY_ENV", "WEBHOOK_SECRET_ENV"];

impl ProviderConfig {
    /// Reads one provider from environment variables: [`from_vars`](Self::from_vars) over
    /// the process environment.
    ///
    /// ```no_run
    /// # use voiceport_core as voiceport;
    /// use voiceport::ProviderConfig;
    ///
    /// // VOICEPORT_KIND=happyrobot VOICEPORT_API_KEY_ENV=HAPPYROBOT_API_KEY
    /// // VOICEPORT_OPTIONS_NUMBER_ID=65f1c0de VOICEPORT_RETRY_MAX_ATTEMPTS=3
    /// let config = ProviderConfig::from_env("VOICEPORT_")?;
    /// # Ok::<(), voiceport::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable at fault (`VOICEPORT_TIMEOUT_SECS`), as
    /// [`from_vars`](Self::from_vars) says: `{prefix}KIND` not set (or set to nothing), a
    /// value that is not UTF-8 or that its setting does not take, two variables setting the
    /// same setting, or a `{prefix}…` variable that looks like a setting and is none.
    pub fn from_env(prefix: &str) -> Result<Self> {
        Self::from_vars(prefix, std::env::vars_os())
    }

    /// Reads one provider from `(name, value)` pairs named as environment variables are,
    /// everything the TOML form sets:
    ///
    /// - each top-level setting by its upper-cased name: `{prefix}KIND`, `API_KEY`,
    ///   `API_KEY_ENV`, `BASE_URL`, `TIMEOUT_SECS`, `CONNECT_TIMEOUT_SECS`,
    ///   `MAX_BODY_BYTES`, `ALLOW_INSECURE_HTTP`;
    /// - the `retry` table as `{prefix}RETRY_<FIELD>` (`RETRY_MAX_ATTEMPTS`), the `webhook`
    ///   table as `{prefix}WEBHOOK_<FIELD>` (`WEBHOOK_VERIFY`, `WEBHOOK_SECRET_ENV`, …);
    /// - each vendor option as `{prefix}OPTIONS_<NAME>`, its key the name lower-cased
    ///   (`OPTIONS_NUMBER_ID` sets `number_id`).
    ///
    /// A value is read as a TOML scalar (`false`, `3`, `2.5`, `"quoted text"`), else as
    /// text; where the setting or the vendor option takes text, the text as written is
    /// used, so `OPTIONS_FROM_NUMBER=+14155550123` stays a phone number. `API_KEY` and
    /// `WEBHOOK_SECRET` are secrets, always taken as written and never shown. A variable
    /// set to nothing (or spaces) counts as unset, as a template's `VOICEPORT_API_KEY=`
    /// means.
    ///
    /// Errors name the variable. A `{prefix}RETRY_…` or `{prefix}WEBHOOK_…` variable that is
    /// no field of its table is refused, as is any other `{prefix}…` variable whose name
    /// starts like a setting's (`VOICEPORT_TIMEOUT`, `VOICEPORT_API_TOKEN`,
    /// `VOICEPORT_OPTION_X`); other variables sharing the prefix (`VOICEPORT_LOG`,
    /// another provider's `VOICEPORT_SALES_KIND`) are ignored. The variable `API_KEY_ENV`
    /// or `WEBHOOK_SECRET_ENV` names holds a secret and is always ignored, whatever its
    /// name (`VOICEPORT_WEBHOOK_TOKEN`, even `VOICEPORT_OPTIONS_KEY`): it is read only
    /// when the secret is. With an empty prefix, only the settings' own names are read
    /// and nothing is refused. A prefix that does not end with `_` is read as if it did:
    /// `VOICEPORT` reads `VOICEPORT_KIND`, never `VOICEPORTKIND`.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::ProviderKind;
    /// use voiceport::ProviderConfig;
    ///
    /// let config = ProviderConfig::from_vars("VOICEPORT_", [
    ///     ("VOICEPORT_KIND", "rounded"),
    ///     ("VOICEPORT_API_KEY_ENV", "ROUNDED_API_KEY"),
    ///     ("VOICEPORT_RETRY_MAX_ATTEMPTS", "2"),
    ///     ("VOICEPORT_OPTIONS_FROM_NUMBER", "+14155550123"),
    ///     ("VOICEPORT_OPTIONS_INCLUDE_TRANSCRIPT", "false"),
    ///     ("HOME", "/home/ada"),
    /// ])?;
    /// assert_eq!(config.kind, ProviderKind::Rounded);
    /// assert_eq!(config.retry.max_attempts, Some(2));
    /// assert_eq!(config.options["include_transcript"], false);
    ///
    /// let error = ProviderConfig::from_vars("VOICEPORT_", [
    ///     ("VOICEPORT_KIND", "rounded"),
    ///     ("VOICEPORT_TIMEOUT_SECS", "soon"),
    /// ]).unwrap_err();
    /// assert!(error.to_string().contains("VOICEPORT_TIMEOUT_SECS"));
    /// # Ok::<(), voiceport::Error>(())
    /// ```
    pub fn from_vars<I, K, V>(prefix: &str, vars: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        // `VOICEPORT` for `VOICEPORT_`: read as written, it would match none of the
        // variables meant and then ask for `VOICEPORTKIND`.
        let prefix = &match prefix {
            "" => String::new(),
            written if written.ends_with('_') => written.to_owned(),
            written => format!("{written}_"),
        };
        // The variables under the prefix, in name order (so the first error is always the
        // same one).
        let mut under: Vec<(String, String, OsString)> = vars
            .into_iter()
            .filter_map(|(name, value)| {
                let name = name.into().into_string().ok()?;
                let rest = name.strip_prefix(prefix)?.to_owned();
                (!rest.is_empty()).then(|| (name, rest, value.into()))
            })
            .collect();
        under.sort_by(|a, b| a.0.cmp(&b.0));
        let named: Vec<String> = (under.iter())
            .filter(|(_, rest, _)| names_a_variable(rest))
            .filter_map(|(_, _, value)| Some(value.to_str()?.trim().to_owned()))
            .collect();

        let mut root = Table::new();
        // The text of each value read as a non-string TOML scalar, by its key path.
        let mut texts: BTreeMap<Vec<String>, String> = BTreeMap::new();
        let mut set_by: BTreeMap<Vec<String>, String> = BTreeMap::new();
        for (name, rest, value) in under {
            // The variable an `…_ENV` setting names holds a secret: it is no setting, read
            // for nothing (neither stored, as an option would be, nor quoted by an error),
            // whatever its name looks like. The `…_ENV` settings themselves are still read.
            if named.contains(&name) && !names_a_variable(&rest) {
                continue;
            }
            let Some(keys) = setting_keys(&rest) else {
                if !prefix.is_empty() && looks_like_a_setting(&rest) {
                    return Err(Error::config(name, not_a_setting(prefix)));
                }
                continue;
            };
            // Its value is not quoted: it may be a key.
            let value =
                (value.into_string()).map_err(|_| Error::config(&name, "is not valid UTF-8"))?;
            if value.trim().is_empty() {
                continue;
            }
            if let Some(other) = set_by.insert(keys.clone(), name.clone()) {
                return Err(Error::config(
                    name,
                    format!("sets the same setting as {other}"),
                ));
            }
            let typed = if VERBATIM.contains(&keys.join(".").as_str()) {
                Value::String(value)
            } else {
                let typed = scalar(&value);
                if !typed.is_str() {
                    texts.insert(keys.clone(), value);
                }
                typed
            };
            place(&mut root, &keys, typed);
        }

        let mut config: ProviderConfig = loop {
            let table = Value::Table(root.clone());
            match serde_path_to_error::deserialize(table) {
                Ok(config) => break config,
                Err(e) => {
                    let keys = segments(e.path());
                    let message = e.inner().message().trim().to_owned();
                    // A number or a flag where text is expected: the text as written.
                    if message.starts_with("invalid type")
                        && let Some(text) = texts.remove(&keys)
                    {
                        place(&mut root, &keys, Value::String(text));
                        continue;
                    }
                    return Err(locate(prefix, true, keys, message));
                }
            }
        };
        config.option_texts = (texts.into_iter())
            .filter_map(|(keys, text)| match keys.as_slice() {
                [table, key] if table == "options" => Some((key.clone(), text)),
                _ => None,
            })
            .collect();
        config.path = prefix.to_owned();
        config.from_env = true;
        Ok(config)
    }
}

/// The key path a variable sets (`["retry", "max_attempts"]` for `RETRY_MAX_ATTEMPTS`),
/// from its name without the prefix; `None` for no setting.
fn setting_keys(rest: &str) -> Option<Vec<String>> {
    let lower = rest.to_ascii_lowercase();
    if SCALARS.contains(&lower.as_str()) {
        return Some(vec![lower]);
    }
    TABLES.iter().find_map(|table| {
        let field = lower.strip_prefix(table)?.strip_prefix('_')?;
        (!field.is_empty()).then(|| vec![(*table).to_owned(), field.to_owned()])
    })
}

/// Whether a variable (its name without the prefix) sets a setting whose value names
/// another variable (`API_KEY_ENV`, `WEBHOOK_SECRET_ENV`).
fn names_a_variable(rest: &str) -> bool {
    NAMES_A_VARIABLE.contains(&rest.to_ascii_uppercase().as_str())
}

/// Whether a variable under the prefix that sets nothing looks like a misspelled setting:
/// its first `_`-word is the first word of a setting's name (of [`SCALARS`] or [`TABLES`]),
/// or one edit away from one of five letters or more; or, its underscores left out, it is
/// a setting's name (`BASEURL`, `TIMEOUTSECS`) or one edit away from one, or begins with a
/// table's (`RETRYMAX_ATTEMPTS`). Any other is left to whoever else reads it. A misspelled
/// `BASE_URL` ignored would send the requests meant for a sandbox to the vendor.
fn looks_like_a_setting(rest: &str) -> bool {
    let lower = rest.to_ascii_lowercase();
    let first = lower.split('_').next().unwrap_or_default();
    let near = |a: &str, b: &str| a == b || (b.len() >= 5 && one_edit_apart(a, b));
    let flat = lower.replace('_', "");
    (SCALARS.iter().chain(&TABLES))
        .map(|name| name.split('_').next().unwrap_or_default())
        .any(|word| near(first, word))
        || SCALARS
            .iter()
            .any(|name| near(&flat, &name.replace('_', "")))
        || TABLES.iter().any(|table| flat.starts_with(table))
}

/// Whether `a` becomes `b` by inserting, deleting or replacing one byte (or none).
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let same = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if same == short.len() {
        return true;
    }
    let skip = usize::from(short.len() == long.len());
    short.get(same + skip..) == long.get(same + 1..)
}

/// The message refusing an unknown variable that looks like a setting.
fn not_a_setting(prefix: &str) -> String {
    let scalars: Vec<String> = SCALARS
        .iter()
        .map(|name| format!("{prefix}{}", name.to_ascii_uppercase()))
        .collect();
    format!(
        "not a setting: the settings are {}, {prefix}RETRY_<FIELD>, {prefix}WEBHOOK_<FIELD> and {prefix}OPTIONS_<NAME>",
        scalars.join(", ")
    )
}

/// A value read as a TOML scalar (a flag, a finite number, a quoted string), else the
/// text itself.
fn scalar(text: &str) -> Value {
    match text.trim().parse::<Value>() {
        Ok(value @ (Value::Boolean(_) | Value::Integer(_) | Value::String(_))) => value,
        Ok(Value::Float(x)) if x.is_finite() => Value::Float(x),
        _ => Value::String(text.to_owned()),
    }
}

/// The JSON value of an option read from `text`, as [`scalar`] reads it.
pub(super) fn option_value(text: &str) -> serde_json::Value {
    match scalar(text) {
        Value::Boolean(b) => b.into(),
        Value::Integer(n) => n.into(),
        Value::Float(x) => x.into(),
        Value::String(s) => s.into(),
        _ => text.into(),
    }
}

/// Sets `keys` (one or two deep) of `root` to `value`.
fn place(root: &mut Table, keys: &[String], value: Value) {
    match keys {
        [key] => {
            root.insert(key.clone(), value);
        }
        [table, key] => {
            let entry = (root.entry(table.clone())).or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(table) = entry {
                table.insert(key.clone(), value);
            }
        }
        _ => {}
    }
}

/// A deserializer's path as keys (an index as its number).
pub(super) fn segments(path: &serde_path_to_error::Path) -> Vec<String> {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|segment| match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } | Segment::Enum { variant: key } => key.clone(),
            Segment::Unknown => "?".to_owned(),
        })
        .collect()
}

/// A deserializer's `message` at `keys` as a config error naming the setting, under
/// `path` (a file's `providers.sales.`, or the variables' prefix when `from_env`). An
/// unknown or missing field is named itself (`retry.max_attemps`, not `retry`); a
/// variable's message names the variables expected.
pub(super) fn locate(path: &str, from_env: bool, mut keys: Vec<String>, message: String) -> Error {
    let name = |keys: &[String]| {
        let keys = keys.iter().map(String::as_str);
        format!("{path}{}", setting_name(keys, from_env))
    };
    let message = match field_named(&message) {
        Some((missing, field, expected)) => {
            // An unknown field's path names it already; a missing one's, its table.
            if keys.last() != Some(&field) {
                keys.push(field);
            }
            match (from_env, missing) {
                (false, _) => message,
                (true, true) => "not set".to_owned(),
                (true, false) if expected.is_empty() => "not a setting".to_owned(),
                (true, false) => {
                    let parent = &keys[..keys.len() - 1];
                    let expected: Vec<String> = (expected.iter())
                        .map(|field| name(&[parent, std::slice::from_ref(field)].concat()))
                        .collect();
                    format!("not a setting; expected one of {}", expected.join(", "))
                }
            }
        }
        None => unless_secret(&keys.join("."), message),
    };
    let field = match path.trim_end_matches(['.', '_']) {
        "" if keys.is_empty() => ".".to_owned(),
        whole if keys.is_empty() => whole.to_owned(),
        _ => name(&keys),
    };
    Error::config(field, message)
}

/// The field a serde message names, when it is about a field rather than a value:
/// `(missing, field, expected)` for ``missing field `kind` `` and ``unknown field `x`,
/// expected one of `a`, `b` ``.
fn field_named(message: &str) -> Option<(bool, String, Vec<String>)> {
    let (missing, rest) = match message.strip_prefix("missing field `") {
        Some(rest) => (true, rest),
        None => (false, message.strip_prefix("unknown field `")?),
    };
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((missing, field.to_owned(), expected))
}
