//! The vendors the sandbox emulates, as a closed set.
//!
//! [`ProviderKind`] is `#[non_exhaustive]` and grows as voiceport learns new vendors; the
//! sandbox does not grow with it. Every match inside the sandbox is on [`Vendor`], and
//! exhaustive, so that a kind added to core is never silently served as another vendor:
//! [`Vendor::of`] is the one place a `ProviderKind` is matched with a wildcard, and it
//! answers `None` for a kind the sandbox does not emulate.

use std::ops::{Index, IndexMut};
use std::time::Duration;

use voiceport_core::ProviderKind;

use crate::webhooks::{DEFAULT_DELIVERY_TIMEOUT, RETELL_DELIVERY_TIMEOUT};

/// A vendor whose API the sandbox emulates.
///
/// The discriminants are the seeds' vendor numbers (`vendor as u64`): keep them, or every
/// seeded history changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Vendor {
    HappyRobot = 0,
    Voicebot = 1,
    Rounded = 2,
    Vapi = 3,
    Retell = 4,
}

impl Vendor {
    /// Every emulated vendor, in [`crate::EMULATED`]'s order.
    pub(crate) const ALL: [Vendor; 5] = [
        Vendor::HappyRobot,
        Vendor::Voicebot,
        Vendor::Rounded,
        Vendor::Vapi,
        Vendor::Retell,
    ];

    /// The emulated vendor of `kind`; `None` for a kind the sandbox does not emulate.
    pub(crate) fn of(kind: ProviderKind) -> Option<Vendor> {
        match kind {
            ProviderKind::HappyRobot => Some(Vendor::HappyRobot),
            ProviderKind::Voicebot => Some(Vendor::Voicebot),
            ProviderKind::Rounded => Some(Vendor::Rounded),
            ProviderKind::Vapi => Some(Vendor::Vapi),
            ProviderKind::Retell => Some(Vendor::Retell),
            // A kind core added after this sandbox was written has no emulator, and must
            // not borrow another's: the sandbox matches on `Vendor` elsewhere.
            _ => None,
        }
    }

    /// The kind this vendor is to voiceport.
    pub(crate) fn kind(self) -> ProviderKind {
        match self {
            Vendor::HappyRobot => ProviderKind::HappyRobot,
            Vendor::Voicebot => ProviderKind::Voicebot,
            Vendor::Rounded => ProviderKind::Rounded,
            Vendor::Vapi => ProviderKind::Vapi,
            Vendor::Retell => ProviderKind::Retell,
        }
    }

    /// Where the vendor's API lives on the sandbox server. Vapi and Retell have no version
    /// prefix (Retell's paths carry their own: `/v2/get-call/…`, `/v3/list-calls`).
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Vendor::HappyRobot => "/happyrobot/api/v1",
            Vendor::Voicebot => "/voicebot/api/v1",
            Vendor::Rounded => "/rounded/v1",
            Vendor::Vapi => "/vapi",
            Vendor::Retell => "/retell",
        }
    }

    /// Whether a request reads only: a `GET`, or Retell's list of calls (a `POST`).
    pub(crate) fn is_read(self, method: &str, path: &str) -> bool {
        method == "GET" || (self == Vendor::Retell && path.ends_with("/v3/list-calls"))
    }

    /// How the sandbox delivers the vendor's webhooks: (retries, time allowed per
    /// attempt), as the crate's docs say under "Webhook deliveries" (which of these the
    /// vendor documents, and which are the sandbox's choice).
    pub(crate) fn delivery_policy(self) -> (u32, Duration) {
        match self {
            Vendor::Retell => (3, RETELL_DELIVERY_TIMEOUT),
            Vendor::HappyRobot | Vendor::Voicebot | Vendor::Rounded | Vendor::Vapi => {
                (0, DEFAULT_DELIVERY_TIMEOUT)
            }
        }
    }

    /// Whether a delivery's retries go on beside the call's later deliveries rather than
    /// before them: Retell's deliveries are "ordered per call but not blocking" (a failing
    /// `call_started` does not hold back `call_ended`). The others document no retries of
    /// their own (Vapi's, when configured, say nothing of order).
    pub(crate) fn retries_in_background(self) -> bool {
        self == Vendor::Retell
    }

    /// The API key the vendor's emulated API accepts.
    pub(crate) fn api_key(self) -> &'static str {
        match self {
            Vendor::HappyRobot => "sandbox-happyrobot-key",
            Vendor::Voicebot => "sandbox-voicebot-key",
            Vendor::Rounded => "sandbox-rounded-key",
            Vendor::Vapi => "sandbox-vapi-key",
            Vendor::Retell => "sandbox-retell-key",
        }
    }
}

/// One `T` per emulated vendor, indexed by [`Vendor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PerVendor<T>([T; 5]);

impl<T> PerVendor<T> {
    /// A value for each vendor, made by `make`.
    pub(crate) fn from_fn(mut make: impl FnMut(Vendor) -> T) -> Self {
        PerVendor(Vendor::ALL.map(&mut make))
    }
}

impl<T> Index<Vendor> for PerVendor<T> {
    type Output = T;

    fn index(&self, vendor: Vendor) -> &T {
        &self.0[vendor as usize]
    }
}

impl<T> IndexMut<Vendor> for PerVendor<T> {
    fn index_mut(&mut self, vendor: Vendor) -> &mut T {
        &mut self.0[vendor as usize]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_vendor() {
        for &kind in crate::EMULATED {
            let vendor = Vendor::of(kind).unwrap_or_else(|| panic!("{kind} is not emulated"));
            assert_eq!(vendor.kind(), kind);
        }
        let others = ProviderKind::ALL
            .iter()
            .copied()
            .filter(|k| !crate::EMULATED.contains(k));
        for kind in others {
            assert_eq!(Vendor::of(kind), None, "{kind}");
        }
        for vendor in Vendor::ALL {
            assert_eq!(Vendor::of(vendor.kind()), Some(vendor));
        }
        let kinds: Vec<ProviderKind> = Vendor::ALL.map(Vendor::kind).to_vec();
        assert_eq!(kinds, crate::EMULATED.to_vec());
    }

    #[test]
    fn each_vendor_has_its_own_prefix_and_key() {
        let prefixes: HashSet<&str> = Vendor::ALL.iter().map(|v| v.prefix()).collect();
        let keys: HashSet<&str> = Vendor::ALL.iter().map(|v| v.api_key()).collect();
        assert_eq!(prefixes.len(), Vendor::ALL.len());
        assert_eq!(keys.len(), Vendor::ALL.len());
        // No prefix is inside another's, so no request can reach the wrong emulator.
        for a in Vendor::ALL {
            for b in Vendor::ALL {
                if a != b {
                    assert!(!a.prefix().starts_with(&format!("{}/", b.prefix())));
                }
            }
        }
    }

    #[test]
    fn the_seed_numbers_stay_those_of_provider_kind() {
        // Seeded histories are derived from these numbers; they must not move.
        assert_eq!(Vendor::HappyRobot as u64, 0);
        assert_eq!(Vendor::Voicebot as u64, 1);
        assert_eq!(Vendor::Rounded as u64, 2);
        // Added later, with new numbers: the first three histories did not move.
        assert_eq!(Vendor::Vapi as u64, 3);
        assert_eq!(Vendor::Retell as u64, 4);
        // `PerVendor` indexes by the number: `ALL` is in that order.
        for (i, vendor) in Vendor::ALL.into_iter().enumerate() {
            assert_eq!(vendor as usize, i);
        }
    }

    #[test]
    fn per_vendor_values_are_indexed_by_vendor() {
        let mut counts = PerVendor::from_fn(|v| v as usize * 10);
        counts[Vendor::Voicebot] += 1;
        assert_eq!(counts[Vendor::HappyRobot], 0);
        assert_eq!(counts[Vendor::Voicebot], 11);
        assert_eq!(counts[Vendor::Rounded], 20);
        assert_eq!(counts[Vendor::Retell], 40);
    }
}
