//! Dial routes: which provider places a call, and when the next one may try.

use std::fmt;

use crate::ProviderError;

use voiceport_core::{
    DialOutcome, DialRequest, Error, Operation, RequestOutcome, RouteConfig, RoutePolicy,
};

/// A dial placed through a route: the outcome, the provider that placed it, and the
/// providers tried before it (each refused the dial without placing a call).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RoutedDial {
    /// The name of the provider that placed the call.
    pub provider_name: String,
    /// What the vendor answered.
    pub outcome: DialOutcome,
    /// Providers that refused first, with why (failover only).
    pub refused: Vec<ProviderError>,
}

impl RoutedDial {
    /// A dial `provider_name` placed with `outcome`, no provider refusing first: what an
    /// application's test double of a dialing service returns.
    ///
    /// ```
    /// use voiceport::{CallId, DialOutcome, RoutedDial};
    ///
    /// let outcome = DialOutcome::new(CallId::new("c-1"), None);
    /// let dial = RoutedDial::new("sales", outcome);
    /// assert_eq!(dial.qualified_id(), "sales:c-1");
    /// assert!(dial.refused.is_empty());
    /// ```
    pub fn new(provider_name: impl Into<String>, outcome: DialOutcome) -> Self {
        RoutedDial {
            provider_name: provider_name.into(),
            outcome,
            refused: Vec::new(),
        }
    }

    /// `provider:call_id`, the form [`Registry::get_call`](crate::Registry::get_call) and
    /// the CLI take.
    #[must_use]
    pub fn qualified_id(&self) -> String {
        format!("{}:{}", self.provider_name, self.outcome.call_id)
    }
}

/// A dial through a route that placed no call it could confirm.
///
/// Unlike [`ProviderError`], it does not convert into
/// [`Error`]: that would drop [`provider_name`](Self::provider_name), the account on which a call
/// may exist ([`call_may_exist`](Self::call_may_exist)), which is what to check before
/// dialing again.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RouteError {
    /// The route's name.
    pub route: String,
    /// The name of the provider whose failure ended the route (`None`: the route itself is
    /// unknown, refused the request before dialing, or was interrupted while no provider
    /// was dialing).
    pub provider_name: Option<String>,
    /// That failure.
    pub error: Error,
    /// Providers that refused before it, with why.
    pub refused: Vec<ProviderError>,
}

impl RouteError {
    /// Route `route` failed before any provider was dialed (unknown, or the request
    /// refused): no call exists.
    pub fn before_dialing(route: impl Into<String>, error: Error) -> Self {
        RouteError {
            route: route.into(),
            provider_name: None,
            error,
            refused: Vec::new(),
        }
    }

    /// Route `route` ended at `provider_name` with `error`; whether a call may exist there
    /// is [`error`'s outcome](Error::outcome) ([`call_may_exist`](Self::call_may_exist)).
    /// Providers that refused before it go in [`refused`](Self::refused).
    ///
    /// ```
    /// use voiceport::{Error, Operation, ProviderKind, RouteError};
    ///
    /// let timeout = Error::timeout(ProviderKind::Vapi, Operation::Dial, true);
    /// let failure = RouteError::at_provider("outbound", "vapi-eu", timeout);
    /// assert!(failure.call_may_exist());
    /// let unknown = RouteError::before_dialing("outbound", Error::config("routes", "unknown"));
    /// assert!(!unknown.call_may_exist());
    /// ```
    pub fn at_provider(
        route: impl Into<String>,
        provider_name: impl Into<String>,
        error: Error,
    ) -> Self {
        RouteError {
            provider_name: Some(provider_name.into()),
            ..RouteError::before_dialing(route, error)
        }
    }

    /// Whether a call may exist on [`RouteError::provider_name`] (the dial may have reached it):
    /// check that account before dialing again.
    pub fn call_may_exist(&self) -> bool {
        self.provider_name.is_some() && self.error.call_may_exist()
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Interrupted with no provider named: the error's own words would name the vendor
        // of the provider next in line, which was never dialed.
        let interrupted = matches!(self.error, Error::Interrupted { .. });
        match &self.provider_name {
            None if interrupted && self.refused.is_empty() => {
                write!(
                    f,
                    "route `{}`: interrupted before any provider was dialed",
                    self.route
                )
            }
            None if self.refused.is_empty() => write!(f, "route `{}`: {}", self.route, self.error),
            // Interrupted after refusals: they are said as when the last provider refused.
            None => {
                write!(f, "route `{}`: no provider placed the call; ", self.route)?;
                for ProviderError {
                    provider_name: name,
                    error,
                } in &self.refused
                {
                    write!(f, "`{name}`: {error}; ")?;
                }
                match interrupted {
                    true => write!(f, "interrupted before the next provider was dialed"),
                    false => write!(f, "{}", self.error),
                }
            }
            // A success answer came (its body unread or unreadable): the call was placed.
            Some(provider) if self.error.outcome() == RequestOutcome::Applied => write!(
                f,
                "route `{}`: the dial through `{provider}` placed a call, but its answer could not be read (not retried elsewhere): {}",
                self.route, self.error
            ),
            Some(provider) if self.call_may_exist() => write!(
                f,
                "route `{}`: the dial through `{provider}` may have placed a call (not retried elsewhere): {}",
                self.route, self.error
            ),
            Some(provider) => {
                write!(f, "route `{}`: no provider placed the call; ", self.route)?;
                for ProviderError {
                    provider_name: name,
                    error,
                } in &self.refused
                {
                    write!(f, "`{name}`: {error}; ")?;
                }
                write!(f, "`{provider}`: {}", self.error)
            }
        }
    }
}

// The message already says `error`'s: the chain goes on from its source, so that a report
// walking it says each message once.
impl std::error::Error for RouteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

/// The fields of a dial that belong to one account (its agent, its numbers, its campaign):
/// a route that may reach several providers takes them from each provider's options.
const ACCOUNT_FIELDS: [&str; 4] = ["agent_id", "phone_number_id", "from_number", "campaign_id"];

/// Whether `error` is a provider's refusal of a dial before sending it: one that lacks a
/// setting of the account (one of the [account fields](ACCOUNT_FIELDS), which a route's
/// request may not carry: the provider's options lack it), or one of its values the
/// vendor cannot take (HappyRobot's maximum duration in whole minutes, a Retell variable
/// that is null). It refuses every such dial alike, so dialing the next provider would
/// hide it, dial after dial, behind a warning.
pub(crate) fn refused_before_sending(error: &Error) -> bool {
    matches!(error, Error::InvalidRequest { status: None, .. })
}

/// Whether `error` is a provider's refusal, before sending, of a field the request sets
/// that its vendor takes no value for (`metadata` on Rounded, a call `name` on
/// HappyRobot): it refuses every dial that sets it, so failing over would send each one to
/// the next provider, the first never dialed, said only in a warning. Not scheduling,
/// which its capabilities say (a failover route leaves out a provider that cannot
/// schedule a scheduled dial, as a weighted one does).
pub(crate) fn refuses_a_field(error: &Error) -> bool {
    matches!(
        error,
        Error::Unsupported { operation: Operation::DialOption(field), .. } if *field != "scheduled_for"
    )
}

/// Refuses, before any provider is dialed, a request that names a resource of one account
/// on a route that can reach several providers (failover, or weighted between more than
/// one): an agent, a number or a campaign id of one account means nothing (or another
/// thing) on the next, and `extra` fields are one vendor's API. Each provider's defaults
/// (`[providers.NAME.options]`) say what it dials with. A `first` route dials one
/// provider, whose ids they are.
pub(crate) fn account_fields_refused(
    route: &str,
    config: &RouteConfig,
    request: &DialRequest,
) -> Option<Error> {
    let reachable = reachable(config);
    if reachable < 2 {
        return None;
    }
    let [agent, number_id, from, campaign] = ACCOUNT_FIELDS;
    let set = [
        (agent, request.agent_id.is_some()),
        (number_id, request.phone_number_id.is_some()),
        (from, request.from_number.is_some()),
        (campaign, request.campaign_id.is_some()),
        ("extra", !request.extra.is_empty()),
    ];
    let named: Vec<&str> = set.iter().filter(|(_, on)| *on).map(|(f, _)| *f).collect();
    if named.is_empty() {
        return None;
    }
    Some(Error::invalid_argument(
        "request",
        format!(
            "the request sets {}, which belong to one account, but route `{route}` can dial {reachable} providers: leave them unset and give each provider its own in `[providers.NAME.options]`",
            named.join(", "),
        ),
    ))
}

/// How many providers a dial through `route` may reach, whatever its key.
fn reachable(route: &RouteConfig) -> usize {
    let names: std::collections::BTreeSet<&str> = match route.policy {
        RoutePolicy::First => route.providers.iter().take(1).map(String::as_str).collect(),
        RoutePolicy::Failover => route.providers.iter().map(String::as_str).collect(),
        RoutePolicy::Weighted => weighted(route)
            .filter(|(_, weight)| *weight > 0)
            .map(|(name, _)| name)
            .collect(),
        // A policy core knows and this release does not (the two ship together): as many
        // as the route lists, the most any policy reaches.
        _ => route.providers.iter().map(String::as_str).collect(),
    };
    names.len()
}

/// The providers a dial with `key` tries, in order: all of them that `can_take` it for
/// `failover` (all when none can), one for `first` and `weighted`. A provider listed twice (a route built in code: a file's is
/// refused) is tried once. A weighted route keeps the provider the key usually lands on
/// when it `can_take` the dial; else it picks among those that can (the others' weights
/// counting as none), and when none can, the usual one, whose refusal says why. (Picking
/// among the able ones first would move keys between able providers too: the sum of the
/// weights the hash is scaled into changes.)
pub(crate) fn candidates<'a>(
    route: &'a RouteConfig,
    key: &str,
    can_take: impl Fn(&str) -> bool,
) -> Vec<&'a str> {
    match route.policy {
        RoutePolicy::First => route.providers.iter().take(1).map(String::as_str).collect(),
        RoutePolicy::Failover => {
            let mut names: Vec<&str> = Vec::with_capacity(route.providers.len());
            for name in &route.providers {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
            // Those whose capabilities allow the dial (when none do, all: the first's
            // refusal says why), so that the route ends with a refusal of the dial, not
            // with a provider's "unsupported" behind it.
            if names.iter().any(|name| can_take(name)) {
                names.retain(|name| can_take(name));
            }
            names
        }
        RoutePolicy::Weighted => {
            let usual = weighted_pick(route, key);
            if usual.is_some_and(&can_take) {
                return usual.into_iter().collect();
            }
            let able: Vec<(&str, u32)> = weighted(route)
                .map(|(name, weight)| (name, if can_take(name) { weight } else { 0 }))
                .collect();
            (pick_by_weight(&able, key).or(usual)).into_iter().collect()
        }
        // A policy core knows and this release does not (the two ship together): the
        // first provider alone, as `first` dials, never two.
        _ => route.providers.iter().take(1).map(String::as_str).collect(),
    }
}

/// Each provider of `route` with its weight. Only the weights of listed providers count:
/// a route built in code with more weights than providers (`RouteConfig::check` refuses
/// it in a file) never lands past them.
fn weighted(route: &RouteConfig) -> impl Iterator<Item = (&str, u32)> {
    (route.providers.iter().map(String::as_str)).zip(route.weights.iter().copied())
}

/// The provider `key` lands on: the key's stable hash, scaled into the sum of the weights.
/// The same key always lands on the same provider, on every machine and version.
pub(crate) fn weighted_pick<'a>(route: &'a RouteConfig, key: &str) -> Option<&'a str> {
    pick_by_weight(&weighted(route).collect::<Vec<_>>(), key)
}

fn pick_by_weight<'a>(weighted: &[(&'a str, u32)], key: &str) -> Option<&'a str> {
    let total: u64 = weighted.iter().map(|(_, w)| u64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    // 64-bit FNV-1a, its bits mixed by MurmurHash3's finalizer (FNV alone leaves the high
    // bits nearly unchanged by the last characters: `+14155557000` and `…7001` would land
    // together), then a multiply-shift into 0..total.
    let mut hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    let point = ((u128::from(hash) * u128::from(total)) >> 64) as u64;
    let mut upper = 0;
    for (provider, weight) in weighted {
        upper += u64::from(*weight);
        if point < upper {
            return Some(provider);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::merge::tests::{broken, chain};

    #[test]
    fn a_route_error_says_each_message_of_its_chain_once() {
        let failure = RouteError::at_provider("outbound", "sales", broken("connection reset"));
        let messages = chain(&failure);
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("route `outbound`: the dial through `sales`"));
        assert!(!messages[0].contains("connection reset"), "{messages:?}");
        assert_eq!(messages[1], "connection reset");
    }

    fn route(policy: RoutePolicy, weights: Vec<u32>) -> RouteConfig {
        RouteConfig::new(vec!["a".into(), "b".into(), "c".into()], policy, weights)
    }

    #[test]
    fn weighted_routing_follows_the_split_and_is_stable_per_key() {
        let split = route(RoutePolicy::Weighted, vec![70, 20, 10]);
        let mut counts = [0usize; 3];
        for n in 0..10_000 {
            let key = format!("+1415555{n:04}");
            let picked = weighted_pick(&split, &key).unwrap();
            assert_eq!(
                weighted_pick(&split, &key),
                Some(picked),
                "the same key, the same way"
            );
            counts[["a", "b", "c"].iter().position(|p| *p == picked).unwrap()] += 1;
        }
        for (count, expected) in counts.iter().zip([70.0, 20.0, 10.0]) {
            let share = *count as f64 / 100.0;
            assert!((share - expected).abs() <= 2.0, "{counts:?}");
        }
        let zero = route(RoutePolicy::Weighted, vec![0, 5, 0]);
        assert!((0..100).all(|n| weighted_pick(&zero, &n.to_string()) == Some("b")));
        // A weight past the providers (a route built in code, unchecked) counts for none,
        // rather than sending most keys to the last provider, whose own weight is 0.
        let extra = route(RoutePolicy::Weighted, vec![1, 0, 0, 5]);
        assert!((0..100).all(|n| weighted_pick(&extra, &n.to_string()) == Some("a")));
    }

    /// The same key lands on the same provider on every machine and in every version: the
    /// picks of fixed keys are pinned (worked out apart, from the hash's definition), so a
    /// change to the hash, its seed or its scaling fails here, not in production, where it
    /// would move customers to another vendor.
    #[test]
    fn weighted_picks_of_fixed_keys_never_change() {
        let split = route(RoutePolicy::Weighted, vec![70, 20, 10]);
        let even = route(RoutePolicy::Weighted, vec![1, 1, 1]);
        let pinned = [
            ("+14155557000", "a", "a"),
            ("+14155557001", "b", "c"),
            ("+14155557002", "a", "a"),
            ("+33612345678", "a", "a"),
            ("+442071838750", "a", "b"),
            ("cust-4711", "a", "c"),
            ("order-2026-0042", "b", "c"),
            ("", "c", "c"),
        ];
        for (key, on_split, on_even) in pinned {
            assert_eq!(
                weighted_pick(&split, key),
                Some(on_split),
                "{key:?} on 70/20/10"
            );
            assert_eq!(weighted_pick(&even, key), Some(on_even), "{key:?} on 1/1/1");
        }
    }

    #[test]
    fn policies_give_their_candidates() {
        assert_eq!(
            candidates(&route(RoutePolicy::First, vec![]), "k", |_| true),
            ["a"]
        );
        assert_eq!(
            candidates(&route(RoutePolicy::Failover, vec![]), "k", |_| true),
            ["a", "b", "c"]
        );
        assert_eq!(
            candidates(&route(RoutePolicy::Weighted, vec![1, 1, 1]), "k", |_| true).len(),
            1
        );
        // Built in code with a provider twice: each is tried once.
        let mut twice = route(RoutePolicy::Failover, vec![]);
        twice.providers = ["a", "b", "a", "c", "b"].map(String::from).to_vec();
        assert_eq!(candidates(&twice, "k", |_| true), ["a", "b", "c"]);
    }

    /// A weighted route picks among the providers that can take the dial, by the same
    /// hash: a key that lands on one that can keeps it, one that landed on one that cannot
    /// goes to another; with none able, the pick is the usual one (whose refusal says why).
    /// Whichever provider cannot (first, middle, last; weights even or not): the middle
    /// one of even weights was once the only case tested, the one case where re-scaling
    /// the hash over the able providers' weights moves no other key.
    #[test]
    fn a_weighted_route_picks_among_the_providers_that_can_take_the_dial() {
        for weights in [vec![1, 1, 1], vec![70, 20, 10]] {
            let split = route(RoutePolicy::Weighted, weights.clone());
            for unable in ["a", "b", "c"] {
                let can_take = |name: &str| name != unable;
                let mut moved = 0;
                for n in 0..600 {
                    let key = format!("+1415555{n:04}");
                    let usual = weighted_pick(&split, &key).unwrap();
                    let picked = candidates(&split, &key, can_take);
                    assert_eq!(picked.len(), 1);
                    assert_ne!(picked[0], unable, "{key}");
                    if usual == unable {
                        moved += 1;
                    } else {
                        assert_eq!(
                            picked[0], usual,
                            "{key} on {weights:?} without {unable}: an able provider keeps its keys"
                        );
                    }
                    assert_eq!(candidates(&split, &key, |_| false), [usual]);
                }
                assert!(moved > 20, "{moved} keys landed on {unable} of {weights:?}");
            }
        }
        // The case found: `+14155550003` lands on b of three even weights, and went to c
        // when a could not take the dial.
        let even = route(RoutePolicy::Weighted, vec![1, 1, 1]);
        let key = "+14155550003";
        assert_eq!(weighted_pick(&even, key), Some("b"));
        assert_eq!(candidates(&even, key, |name| name != "a"), ["b"]);
    }
}
