//! URLs given on the command line (`--forward`, the sandbox's `--webhooks`): checked,
//! and shown without what may be a credential.

use crate::Failure;

/// The value of `flag`, an http or https URL (one that parses has a host); a usage error
/// naming the flag otherwise.
pub(crate) fn http_url(flag: &str, text: &str) -> Result<reqwest::Url, Failure> {
    // The URL may hold credentials (`https://user:password@host/…?token=…`): said without.
    let refuse = |why: &str| Failure::Usage(format!("{flag} {}: {why}", redacted_url(text)));
    // `localhost:8787` parses, as a URL of the scheme `localhost`: said plainly.
    if !text.contains("://") {
        return Err(refuse(
            "expected an http or https URL: write `http://` (or `https://`) before the host",
        ));
    }
    let url = reqwest::Url::parse(text).map_err(|e| refuse(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("expected an http or https URL with a host"));
    }
    Ok(url)
}

/// `text`, a URL that may not parse, as it can be said (quoted), with a note when not all
/// of it is said. Its user and password (`***@` instead), query and fragment may hold
/// credentials: only what the URL parses to is said, without them. Where a user and
/// password end is not known in a URL that does not parse (`https://ops:p4/ss@host`), or
/// has no host, or an `@` in its path (which may have ended a password): then only its
/// scheme is said.
fn redacted_url(text: &str) -> String {
    let scheme_only = |why: &str| match scheme_of(text) {
        Some(scheme) => format!("{:?} (the rest not shown: {why})", format!("{scheme}://…")),
        None => format!("(not shown: {why})"),
    };
    let url = match reqwest::Url::parse(text) {
        Ok(url) => url,
        Err(_) => return scheme_only("it does not parse"),
    };
    if url.host_str().is_none() {
        return scheme_only("it has no host");
    }
    if url.path().contains('@') {
        return scheme_only("an @ in its path may end a password");
    }
    let shown = shown_url(&url);
    if url.username().is_empty() && url.password().is_none() {
        format!("{shown:?}")
    } else {
        // After `scheme://`: a scheme holds no `:`.
        format!("{:?}", shown.replacen("://", "://***@", 1))
    }
}

/// `scheme://host[:port]/path` of `url`.
pub(crate) fn shown_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// `scheme://host[:port]` of `url`, then `/…` for a path not shown: a relay's URL often
/// holds its secret in the path (`/services/T0/B0/<secret>`).
pub(crate) fn shown_origin(url: &reqwest::Url) -> String {
    let origin = url.origin().ascii_serialization();
    match url.path() {
        "" | "/" => origin,
        _ => format!("{origin}/…"),
    }
}

/// The scheme `text` begins with, when followed by `://` (before anything that could be a
/// user or password).
fn scheme_of(text: &str) -> Option<&str> {
    let (scheme, rest) = text.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (valid && rest.starts_with("//")).then_some(scheme)
}

/// The base URL of `--webhooks`, without a trailing `/`: http or https, and nothing after
/// the path (each vendor's path is added to it).
pub(crate) fn receiver_base(text: &str) -> Result<String, Failure> {
    let refuse = |why: &str| Failure::Usage(format!("--webhooks {}: {why}", redacted_url(text)));
    let url = http_url("--webhooks", text)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            "a query or fragment would swallow the path added to it",
        ));
    }
    // It is printed, and shown by the control API with every delivery.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "a user or password in it would be printed and recorded with every delivery",
        ));
    }
    let base = url.as_str().trim_end_matches('/');
    // `listen` says where it listens as `…/webhooks/{provider}`: a URL copied from that
    // line, whole or up to `/webhooks/`, is taken for its base (deliveries would otherwise
    // go to a path with `webhooks` twice, which no receiver serves).
    let base = [
        "/webhooks/{provider}",
        "/webhooks/%7Bprovider%7D",
        "/webhooks",
    ]
    .iter()
    .find_map(|tail| base.strip_suffix(tail))
    .unwrap_or(base);
    Ok(base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sandbox's `--webhooks`: a base, or the address `listen` prints (whole, or up
    /// to `/webhooks/`), gives the same base.
    #[test]
    fn a_webhooks_url_copied_from_listen_is_taken_for_its_base() {
        for given in [
            "http://127.0.0.1:8787",
            "http://127.0.0.1:8787/",
            "http://127.0.0.1:8787/webhooks",
            "http://127.0.0.1:8787/webhooks/",
            "http://127.0.0.1:8787/webhooks/{provider}",
        ] {
            let base = receiver_base(given).map_err(|f| format!("{f:?}"));
            assert_eq!(base.as_deref(), Ok("http://127.0.0.1:8787"), "{given}");
        }
        let base = receiver_base("http://127.0.0.1:8787/app/hooks/").map_err(|f| format!("{f:?}"));
        assert_eq!(base.as_deref(), Ok("http://127.0.0.1:8787/app/hooks"));
    }

    /// A user or password would be printed with the base and recorded with every
    /// delivery: refused, and not repeated in the refusal.
    #[test]
    fn a_webhooks_url_with_credentials_is_refused_unrepeated() {
        for given in [
            "https://ops:hunter2@tunnel.example/",
            "https://ops@tunnel.example/",
        ] {
            let Err(failure) = receiver_base(given) else {
                panic!("{given} was taken");
            };
            let said = format!("{failure:?}");
            assert!(said.contains("user or password"), "{said}");
            assert!(
                !said.contains("hunter2") && !said.contains("ops@"),
                "{said}"
            );
        }
    }

    /// A host and port without a scheme is told to take one, without being repeated (it
    /// may hold a user and password).
    #[test]
    fn a_url_without_its_scheme_is_told_to_take_one() {
        for given in ["localhost:8787", "ops:hunter2@tunnel.example:443/hooks"] {
            let Err(failure) = receiver_base(given) else {
                panic!("{given} was taken");
            };
            let said = format!("{failure:?}");
            assert!(said.contains("write `http://`"), "{said}");
            assert!(!said.contains("hunter2"), "{said}");
        }
    }
}
