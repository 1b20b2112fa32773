//! Base URLs: which are allowed, and how paths are joined onto them.

use url::{Host, Url};

use crate::Error;

/// Whether `url` is plain `http` to a host other than this machine: what only
/// `allow_insecure_http` lets through.
pub(crate) fn plain_http_to_another_host(url: &Url) -> bool {
    url.scheme() == "http" && !is_loopback(url)
}

/// Parses and checks a base URL: `https`, or plain `http` only to a loopback host or when
/// `allow_insecure_http` is set. `field` names the config field in errors.
pub(crate) fn parse_base_url(
    raw: &str,
    allow_insecure_http: bool,
    field: &str,
) -> Result<Url, Error> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        let message = match e {
            url::ParseError::RelativeUrlWithoutBase => {
                "not a URL: write it whole, starting with https://".to_owned()
            }
            e => format!("not a URL ({e})"),
        };
        Error::config(field, message)
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" if allow_insecure_http => {
            tracing::warn!(
                target: "voiceport::config",
                field,
                host = url.host_str().unwrap_or_default(),
                "plain http to a host other than this machine (allow_insecure_http): the API key and the calls travel unencrypted"
            );
        }
        "http" => {
            return Err(Error::config(
                field,
                "plain http is only allowed to a loopback host; use https or set allow_insecure_http = true",
            ));
        }
        other => {
            return Err(Error::config(
                field,
                format!("scheme {other:?} is not http(s)"),
            ));
        }
    }
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::config(field, "the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            field,
            "credentials do not belong in the URL; use api_key or api_key_env",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(
            field,
            "a base URL takes no query or fragment",
        ));
    }
    Ok(url)
}

/// Whether the URL's host is this machine.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `base` + percent-encoded `segments` + `query`. A segment can never add a path level:
/// `/`, `?`, `#` and `%` inside it are encoded.
pub(crate) fn join(base: &Url, segments: &[String], query: &[(String, String)]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        for segment in segments {
            path.push(segment);
        }
    }
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (key, value) in query {
            pairs.append_pair(key, value);
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_always_allowed_and_http_only_to_loopback() {
        assert!(parse_base_url("https://app.happyrobot.ai/api/v1", false, "base_url").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080/api", false, "base_url").is_ok());
        assert!(parse_base_url("http://127.8.0.1:8080/api", false, "base_url").is_ok());
        assert!(parse_base_url("http://localhost:8080", false, "base_url").is_ok());
        assert!(parse_base_url("http://[::1]:8080", false, "base_url").is_ok());
        let err =
            parse_base_url("http://api.example.com", false, "providers.a.base_url").unwrap_err();
        assert!(err.to_string().contains("providers.a.base_url"), "{err}");
        assert!(parse_base_url("http://api.example.com", true, "base_url").is_ok());
        assert!(parse_base_url("ftp://example.com", true, "base_url").is_err());
        assert!(parse_base_url("not a url", true, "base_url").is_err());
        // A host without its scheme is told how to write it.
        let bare = parse_base_url("api.vapi.ai", false, "base_url").unwrap_err();
        assert!(
            bare.to_string()
                .ends_with("not a URL: write it whole, starting with https://"),
            "{bare}"
        );
        assert!(parse_base_url("https://user:pw@example.com", true, "base_url").is_err());
        assert!(parse_base_url("https://example.com/?key=1", true, "base_url").is_err());
    }

    #[test]
    fn segments_are_percent_encoded() {
        let base = Url::parse("https://api.example.com/api/v1").unwrap();
        let url = join(&base, &["calls".into(), "a/b?c#d%".into()], &[]);
        assert_eq!(
            url.as_str(),
            "https://api.example.com/api/v1/calls/a%2Fb%3Fc%23d%25"
        );
        let base = Url::parse("https://api.example.com/api/v1/").unwrap();
        let url = join(
            &base,
            &["calls".into()],
            &[("limit".into(), "5".into()), ("q".into(), "a b&c".into())],
        );
        assert_eq!(
            url.as_str(),
            "https://api.example.com/api/v1/calls?limit=5&q=a+b%26c"
        );
    }
}
