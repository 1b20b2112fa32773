//! `[routes.NAME]`: where a dial goes when an application runs several providers.

use serde::Deserialize;

use crate::{Error, Result};

/// A dial route, as configured:
///
/// ```toml
/// [routes.outbound]
/// providers = ["primary", "backup"]    # names from [providers]
/// policy = "failover"                  # first | failover | weighted
/// # weights = [90, 10]                 # weighted: one per provider
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table ([routes.NAME])")]
#[non_exhaustive]
pub struct RouteConfig {
    /// The providers, in order.
    pub providers: Vec<String>,
    /// How a dial picks among them.
    #[serde(default)]
    pub policy: RoutePolicy,
    /// `weighted`: one weight per provider (their sum is the whole).
    #[serde(default)]
    pub weights: Vec<u32>,
}

/// How a route picks the provider that places a dial.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RoutePolicy {
    /// Always the first provider.
    #[default]
    First,
    /// The first provider; the next only when a dial failed **and** the failure proves no
    /// call was placed (`Error::outcome() == NotApplied`). A provider that cannot be set up
    /// (`Error::Config`), a request refused for what it holds (`Error::InvalidArgument`), a
    /// dial missing a setting its account needs (an agent, a number) and an interrupted
    /// dial end the route instead: the next would hide the mistake, or not dial either.
    Failover,
    /// One provider chosen by weight; by the dial's key (the destination number unless
    /// another is given), so that the same key always goes the same way.
    Weighted,
}

impl RouteConfig {
    /// A route over `providers` (names of `[providers]`), picking by `policy`, with one
    /// weight per provider for [`RoutePolicy::Weighted`] (else none).
    pub fn new(providers: Vec<String>, policy: RoutePolicy, weights: Vec<u32>) -> Self {
        RouteConfig {
            providers,
            policy,
            weights,
        }
    }

    /// Checks the route named `name` against the provider names it may use (`known`), which
    /// `listed` quotes for an error naming another.
    pub(crate) fn check(
        &self,
        name: &str,
        known: impl Fn(&str) -> bool,
        listed: impl Fn() -> String,
    ) -> Result<()> {
        let field = |key: &str| format!("routes.{name}.{key}");
        if self.providers.is_empty() {
            return Err(Error::config(
                field("providers"),
                "a route needs at least one provider",
            ));
        }
        if let Some(unknown) = self.providers.iter().find(|p| !known(p)) {
            return Err(Error::config(
                field("providers"),
                format!("no provider named {unknown:?} in [providers]: {}", listed()),
            ));
        }
        // Twice in a failover route, one account would be dialed again after refusing.
        let twice = (self.providers.iter().enumerate())
            .find(|(i, name)| self.providers[..*i].contains(name));
        if let Some((_, name)) = twice {
            return Err(Error::config(
                field("providers"),
                format!("{name:?} is listed twice: name each provider once"),
            ));
        }
        match self.policy {
            RoutePolicy::Weighted if self.weights.len() != self.providers.len() => {
                Err(Error::config(
                    field("weights"),
                    format!(
                        "{} weights for {} providers: give one weight per provider",
                        self.weights.len(),
                        self.providers.len()
                    ),
                ))
            }
            RoutePolicy::Weighted if self.weights.iter().all(|w| *w == 0) => Err(Error::config(
                field("weights"),
                "at least one weight must be above 0",
            )),
            RoutePolicy::First | RoutePolicy::Failover if !self.weights.is_empty() => {
                Err(Error::config(
                    field("weights"),
                    "weights only apply to policy = \"weighted\"",
                ))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Error, ProvidersFile, RoutePolicy};

    const PROVIDERS: &str = "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n\
                             [providers.b]\nkind = \"vapi\"\napi_key = \"k\"\n";

    fn file(routes: &str) -> crate::Result<ProvidersFile> {
        ProvidersFile::from_toml_str(&format!("{PROVIDERS}{routes}"))
    }

    fn field_of(result: crate::Result<ProvidersFile>) -> String {
        match result {
            Err(Error::Config { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn routes_parse_with_their_policy() {
        let parsed = file(
            "[routes.out]\nproviders = [\"a\", \"b\"]\npolicy = \"weighted\"\nweights = [90, 10]\n\
             [routes.plain]\nproviders = [\"b\"]\n",
        )
        .unwrap();
        assert_eq!(parsed.routes["out"].policy, RoutePolicy::Weighted);
        assert_eq!(parsed.routes["out"].weights, [90, 10]);
        assert_eq!(parsed.routes["plain"].policy, RoutePolicy::First);
    }

    #[test]
    fn bad_routes_name_the_field() {
        let cases = [
            ("[routes.r]\nproviders = []\n", "routes.r.providers"),
            (
                "[routes.r]\nproviders = [\"ghost\"]\n",
                "routes.r.providers",
            ),
            (
                "[routes.r]\nproviders = [\"a\", \"b\"]\npolicy = \"weighted\"\nweights = [1]\n",
                "routes.r.weights",
            ),
            (
                "[routes.r]\nproviders = [\"a\"]\npolicy = \"weighted\"\nweights = [0]\n",
                "routes.r.weights",
            ),
            (
                "[routes.r]\nproviders = [\"a\"]\npolicy = \"failover\"\nweights = [3]\n",
                "routes.r.weights",
            ),
            // Twice: a failover would dial one account again.
            (
                "[routes.r]\nproviders = [\"a\", \"b\", \"a\"]\npolicy = \"failover\"\n",
                "routes.r.providers",
            ),
        ];
        for (routes, field) in cases {
            assert_eq!(field_of(file(routes)), field, "{routes}");
        }
        assert!(file("[routes.r]\nproviders = [\"a\"]\npolicy = \"random\"\n").is_err());
    }
}
