//! Secrets read from the file or the environment, without what pads them, and never
//! echoed in an error.

use secrecy::SecretString;

use crate::{Error, Result};

/// A secret (an API key, a webhook secret) without the whitespace around it: servers
/// ignore it in a header, and what a vendor echoes of the secret is masked as it is used.
pub(crate) fn trimmed(secret: &str) -> SecretString {
    SecretString::from(without_padding(secret).to_owned())
}

/// `secret` without what may pad it and is never part of one: spaces and line ends, a
/// byte-order mark (a file saved "with BOM"), zero-width characters (pasted from a web
/// page). A secret of nothing else is empty, and refused as such.
pub(crate) fn without_padding(secret: &str) -> &str {
    secret.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}'
            )
    })
}

/// A secret given in the file (`given`, its setting named `names.0`), or read from the
/// variable named by `env` (setting `names.1`), without the padding around it; `None` when
/// neither is set, an error when both are (which is meant cannot be told). `field` gives
/// a setting's config path, `shown` how a message names it; `what` is the secret
/// (`key`, `secret`).
pub(crate) fn secret_given_or_from_env(
    given: Option<&SecretString>,
    env: Option<&str>,
    names: (&str, &str),
    field: impl Fn(&str) -> String,
    shown: impl Fn(&str) -> String,
    what: &str,
) -> Result<Option<SecretString>> {
    use secrecy::ExposeSecret;
    match (given, env) {
        (Some(_), Some(_)) => Err(Error::config(
            field(names.1),
            format!(
                "both {} and {} are set: keep one (which {what} is meant cannot be told)",
                shown(names.0),
                shown(names.1)
            ),
        )),
        (Some(given), None) => Ok(Some(trimmed(given.expose_secret()))),
        (None, Some(variable)) => secret_from_env(variable, || field(names.1)).map(Some),
        (None, None) => Ok(None),
    }
}

/// The secret in the environment variable `name` (an `api_key_env`, a `secret_env`),
/// trimmed; `field` names the setting in the error. The name is trimmed too. It is shown
/// in an error only when it looks like a variable's name (capitals, digits, `_`): a key
/// pasted there by mistake is never echoed.
pub(crate) fn secret_from_env(name: &str, field: impl FnOnce() -> String) -> Result<SecretString> {
    let name = name.trim();
    if name.is_empty() {
        let message = "is empty: set it to the name of the environment variable holding the secret";
        return Err(Error::config(field(), message));
    }
    let shown = if looks_like_a_variable(name) {
        format!("environment variable {name}")
    } else {
        "the environment variable it names (the name is not shown: it does not look like a \
         variable's, and may be a secret itself)"
            .to_owned()
    };
    let problem = match std::env::var(name) {
        Ok(value) if !without_padding(&value).is_empty() => return Ok(trimmed(&value)),
        Ok(_) => "is empty",
        Err(std::env::VarError::NotUnicode(_)) => "is not valid UTF-8",
        Err(std::env::VarError::NotPresent) => "is not set",
    };
    Err(Error::config(field(), format!("{shown} {problem}")))
}

/// Whether `name` is written as environment variables' names conventionally are:
/// `[A-Z_][A-Z0-9_]*`, at most 128 characters.
pub(super) fn looks_like_a_variable(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_uppercase() || first == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 128
}
