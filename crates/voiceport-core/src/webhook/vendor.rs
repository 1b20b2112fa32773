//! [`VendorWebhooks`]: what each vendor's deliveries carry, in one place. A new vendor is
//! one arm of [`VendorWebhooks::of`]; the defaults of a `[providers.NAME.webhook]` table,
//! the receiver's warnings and the sandbox's signing all read it.

use super::config::Scheme;
use super::rule::RETELL_HEADER_NAME;
use crate::ProviderKind;

/// How a vendor authenticates its webhook deliveries: what a provider's
/// `[providers.NAME.webhook]` table checks where it says nothing, and the schemes the
/// vendor's deliveries can come as.
///
/// Every vendor has every field: the `header` and `hmac` fields are what those schemes
/// read for it should a table name them, even for a vendor whose deliveries never come so
/// ([`sent_as`](Self::sent_as) says which do: Retell's only as `retell`, whatever the
/// `header` and `hmac` fields hold).
///
/// ```
/// # mod voiceport { pub use voiceport_core::*; pub use voiceport_core::webhook as webhooks; }
/// use voiceport::ProviderKind;
/// use voiceport::webhooks::{Scheme, VendorWebhooks};
///
/// let vapi = VendorWebhooks::of(ProviderKind::Vapi);
/// assert_eq!(vapi.scheme, Scheme::Header);
/// assert_eq!(vapi.secret_header, "x-vapi-secret");
/// assert!(vapi.sent_as.contains(&Scheme::Hmac));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VendorWebhooks {
    /// The scheme checked when the table names none.
    pub scheme: Scheme,
    /// `header`: the header the shared secret travels in.
    pub secret_header: &'static str,
    /// `hmac`: the header carrying the signature.
    pub signature_header: &'static str,
    /// `hmac`: the header carrying the signing time, when the payload signs one.
    pub timestamp_header: &'static str,
    /// `hmac`: what is signed (see [`WebhookConfig::payload_format`]); `{body}` alone where
    /// the table empties `timestamp_header`.
    ///
    /// [`WebhookConfig::payload_format`]: super::WebhookConfig::payload_format
    pub payload_format: &'static str,
    /// `hmac`: what stands before the signature in its header (`sha256=`), if anything.
    pub signature_prefix: &'static str,
    /// The schemes the vendor's deliveries can come as, whatever is configured at the
    /// vendor. `none` is among them unless the vendor signs every delivery.
    pub sent_as: &'static [Scheme],
    /// Why its deliveries never come as another scheme.
    pub why_not_others: &'static str,
}

/// What every vendor shares: Vapi's HMAC credential (`x-signature`, `x-timestamp`,
/// `{timestamp}.{body}`, no prefix), and a static header of the user's choosing.
const COMMON: VendorWebhooks = VendorWebhooks {
    scheme: Scheme::Header,
    secret_header: "x-webhook-secret",
    signature_header: "x-signature",
    timestamp_header: "x-timestamp",
    payload_format: "{timestamp}.{body}",
    signature_prefix: "",
    sent_as: &[
        Scheme::Header,
        Scheme::Bearer,
        Scheme::Hmac,
        Scheme::Query,
        Scheme::None,
    ],
    why_not_others: "a vendor's own signature is written by that vendor alone",
};

impl VendorWebhooks {
    /// `kind`'s conventions.
    pub const fn of(kind: ProviderKind) -> VendorWebhooks {
        // By kind, with no wildcard: a vendor added to core says what it sends.
        match kind {
            // The Vapi family sends its secret in `X-Vapi-Secret`, or signs with an HMAC
            // credential, or sends a bearer token.
            ProviderKind::Voicebot | ProviderKind::Vapi => VendorWebhooks {
                secret_header: "x-vapi-secret",
                ..COMMON
            },
            // A use-case hook sends whatever static headers the user set on it.
            ProviderKind::HappyRobot => VendorWebhooks {
                sent_as: &[Scheme::Header, Scheme::Bearer, Scheme::Query, Scheme::None],
                why_not_others: "a HappyRobot hook carries the static headers set on it, never a signature",
                ..COMMON
            },
            // An agent's webhook is a URL and nothing else, and no signature is documented.
            ProviderKind::Rounded => VendorWebhooks {
                sent_as: &[Scheme::Query, Scheme::None],
                why_not_others: "Rounded documents no webhook headers or signature, and an agent \
                                 takes only a URL: give Rounded the receiver's URL with the \
                                 secret in it (verify = \"query\")",
                ..COMMON
            },
            // Every delivery is signed with the account's API key.
            ProviderKind::Retell => VendorWebhooks {
                scheme: Scheme::Retell,
                sent_as: &[Scheme::Retell],
                why_not_others: "Retell signs every delivery one way (X-Retell-Signature)",
                ..COMMON
            },
        }
    }

    /// The header `scheme` reads from this vendor's deliveries when the table's `header`
    /// names no other ([`Scheme::default_header`]); `None` for a scheme that reads none.
    pub fn header_for(&self, scheme: Scheme) -> Option<&'static str> {
        match scheme {
            Scheme::Header => Some(self.secret_header),
            Scheme::Bearer => Some("authorization"),
            Scheme::Hmac => Some(self.signature_header),
            Scheme::Retell => Some(RETELL_HEADER_NAME),
            Scheme::Query | Scheme::None => None,
        }
    }

    /// Why this vendor's deliveries never come as `scheme` checks; `None` when they can
    /// ([`Scheme::never_sent_by`]).
    pub fn why_never(&self, scheme: Scheme) -> Option<&'static str> {
        (!self.sent_as.contains(&scheme)).then_some(self.why_not_others)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vendor's usual scheme is one its deliveries come as, but for Rounded: the
    /// webhook issue asks for a configured header there, as for HappyRobot, though
    /// Rounded's agents take a URL alone (the receiver warns of it when it starts).
    #[test]
    fn every_vendor_but_rounded_is_sent_as_its_own_default() {
        for &kind in ProviderKind::ALL {
            let vendor = VendorWebhooks::of(kind);
            let sent = vendor.scheme.never_sent_by(kind).is_none();
            assert_eq!(sent, kind != ProviderKind::Rounded, "{kind}");
            assert_eq!(sent, vendor.sent_as.contains(&vendor.scheme), "{kind}");
        }
    }

    /// An entry's HMAC defaults agree: the payload signs the time exactly when there is a
    /// header to read it from.
    #[test]
    fn every_vendors_hmac_defaults_are_whole() {
        for &kind in ProviderKind::ALL {
            let vendor = VendorWebhooks::of(kind);
            let payload = crate::webhook::payload::parse(vendor.payload_format, "payload")
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let signs_time = payload.contains(&crate::webhook::payload::Part::Timestamp);
            assert_eq!(signs_time, !vendor.timestamp_header.is_empty(), "{kind}");
            assert!(!vendor.signature_header.is_empty(), "{kind}");
        }
    }

    #[test]
    fn only_retell_is_sent_as_retells_signature() {
        for &kind in ProviderKind::ALL {
            let sent = VendorWebhooks::of(kind).sent_as.contains(&Scheme::Retell);
            assert_eq!(sent, kind == ProviderKind::Retell, "{kind}");
        }
    }
}
