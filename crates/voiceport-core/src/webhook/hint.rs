//! What a refused delivery's headers suggest of the scheme its vendor signed it with.

use super::{HeaderMap, Scheme, VerifyError};
use crate::ProviderKind;

/// For a delivery refused as missing the header its scheme reads: the scheme whose header
/// ([`Scheme::default_header`]) it carries instead, when `kind`'s deliveries can come so,
/// as a sentence for the log (the built-in receiver logs it beside the refusal; an
/// application verifying deliveries itself can too). A Vapi server set up today with a
/// credential sends `Authorization: Bearer` or an HMAC signature, which the default
/// (legacy) scheme refuses as missing `X-Vapi-Secret`. Only header names are looked at
/// (and a bearer's prefix), never their values: the sentence is safe to log.
///
/// ```
/// use voiceport_core::ProviderKind;
/// use voiceport_core::webhook::{HeaderMap, HeaderValue, Scheme, VerifyError, scheme_hint};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-signature", HeaderValue::from_static("9f2c"));
/// let refused = VerifyError::Missing { header: "x-vapi-secret".into() };
/// let hint = scheme_hint(ProviderKind::Vapi, Scheme::Header, &refused, &headers);
/// assert_eq!(
///     hint.as_deref(),
///     Some("the delivery carries x-signature: an HMAC credential is checked with verify = \"hmac\"")
/// );
/// ```
pub fn scheme_hint(
    kind: ProviderKind,
    configured: Scheme,
    refused: &VerifyError,
    headers: &HeaderMap,
) -> Option<String> {
    if !matches!(refused, VerifyError::Missing { .. }) {
        return None;
    }
    let carries = |scheme: Scheme, name: &str| match scheme {
        Scheme::Bearer => (headers.get(name))
            .and_then(|value| value.as_bytes().get(..7))
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"bearer ")),
        _ => headers.contains_key(name),
    };
    [Scheme::Header, Scheme::Bearer, Scheme::Hmac]
        .into_iter()
        .filter(|scheme| *scheme != configured && scheme.never_sent_by(kind).is_none())
        .find_map(|scheme| {
            let name = scheme.default_header(kind)?;
            let what = match scheme {
                Scheme::Header => "a shared secret",
                Scheme::Bearer => "a Bearer credential",
                _ => "an HMAC credential",
            };
            carries(scheme, name).then(|| {
                format!("the delivery carries {name}: {what} is checked with verify = \"{scheme}\"")
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::HeaderValue;

    /// The hint names the check whose header a refused delivery carries, where its vendor
    /// sends that check so: never for a check configured already, a vendor that cannot
    /// send it, or a refusal other than a missing header.
    #[test]
    fn a_refusal_hints_at_the_check_whose_header_the_delivery_carries() {
        let missing = VerifyError::Missing {
            header: "x-vapi-secret".into(),
        };
        let carrying = |name: &'static str, value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static(value));
            headers
        };
        let bearer = carrying("authorization", "Bearer cred-5e1b9a77");
        let signed = carrying("x-signature", "9f2c");
        let secret = carrying("x-vapi-secret", "s3cr3t");
        let hint = |kind, configured, headers: &HeaderMap| {
            scheme_hint(kind, configured, &missing, headers).map(|hint| {
                let (_, setting) = hint.rsplit_once("verify = ").unwrap();
                setting.trim_matches('"').to_owned()
            })
        };
        use ProviderKind::{HappyRobot, Retell, Rounded, Vapi, Voicebot};
        for kind in [Vapi, Voicebot] {
            assert_eq!(
                hint(kind, Scheme::Header, &bearer).as_deref(),
                Some("bearer")
            );
            assert_eq!(hint(kind, Scheme::Header, &signed).as_deref(), Some("hmac"));
            assert_eq!(
                hint(kind, Scheme::Bearer, &secret).as_deref(),
                Some("header")
            );
            assert_eq!(hint(kind, Scheme::Bearer, &bearer), None);
        }
        // HappyRobot sends the headers set on its hook (a Bearer one may be), no
        // signature, and X-Vapi-Secret is not the header it is checked by.
        assert_eq!(
            hint(HappyRobot, Scheme::Header, &bearer).as_deref(),
            Some("bearer")
        );
        assert_eq!(hint(HappyRobot, Scheme::Header, &signed), None);
        assert_eq!(hint(HappyRobot, Scheme::Bearer, &secret), None);
        // Its own header, read by `header`, is (the scheme's header for each vendor).
        let hook = carrying("x-webhook-secret", "s3cr3t");
        assert_eq!(
            hint(HappyRobot, Scheme::Bearer, &hook).as_deref(),
            Some("header")
        );
        for kind in [Rounded, Retell] {
            for headers in [&bearer, &signed, &secret] {
                assert_eq!(hint(kind, Scheme::Header, headers), None, "{kind}");
            }
        }
        let mismatch = VerifyError::Mismatch;
        assert_eq!(scheme_hint(Vapi, Scheme::Header, &mismatch, &bearer), None);
        for text in [&bearer, &signed, &secret] {
            let said = scheme_hint(Vapi, Scheme::Query, &missing, text).unwrap_or_default();
            assert!(
                !said.contains("cred-") && !said.contains("s3cr3t"),
                "{said}"
            );
        }
    }
}
