//! [`Registry`]: named providers from one configuration, and what an application that runs
//! several of them at once needs: one merged call stream, dial routes with safe failover,
//! and provider-qualified call ids.

mod merge;
mod route;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub use merge::{MergeOptions, MergedCall, MergedCalls, MergedCursor, ProviderError, Selection};
pub use route::{RouteError, RoutedDial};
use tracing::Instrument;
use voiceport_core::{
    Call, CallId, CallQuery, DialRequest, Error, Interrupt, Operation, ProvidersFile,
    RequestOutcome, Result, VoiceProvider, VoiceProviderExt, Wait,
};

use crate::connect;

/// Named providers from a configuration file, connected on first use.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use voiceport::{CallQuery, DialRequest, MergeOptions, Registry, Selection};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::from_path("voiceport.toml")?;
/// // Every provider's calls, newest first, in one stream.
/// let mut calls = registry.calls(&Selection::All, CallQuery::default(), MergeOptions::default())?;
/// while let Some(merged) = calls.try_next().await? {
///     println!("{} {}", merged.qualified_id(), merged.call.status);
/// }
/// // A dial through `[routes.outbound]`, failing over only when no call was placed.
/// let dialed = registry.dial("outbound", &DialRequest::to("+14155550187")).await?;
/// let call = registry.get_call(&dialed.qualified_id()).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct Registry {
    file: ProvidersFile,
    connected: std::sync::Mutex<BTreeMap<String, Arc<dyn VoiceProvider>>>,
}

impl Registry {
    /// Reads providers (and routes) from TOML text (see [`ProvidersFile`] for the format).
    pub fn from_toml_str(text: &str) -> Result<Self> {
        Registry::from_file(ProvidersFile::from_toml_str(text)?)
    }

    /// Reads providers from a TOML file.
    ///
    /// # Errors
    ///
    /// [`Error::Config`]: at the file's path when it cannot be read, at the offending
    /// field when it does not parse or names something unknown.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        Registry::from_file(ProvidersFile::from_path(path)?)
    }

    /// Wraps an already parsed file, or one built in code: its providers are then named
    /// in errors as a parsed file's are (`providers.NAME.api_key`), and it is checked as a
    /// parsed one is ([`ProvidersFile::checked`]).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a provider name that qualified call ids (`NAME:ID`) or
    /// selections (`a,b`) could not address, a `default` naming no provider, or a route
    /// naming one that is not there.
    pub fn from_file(file: ProvidersFile) -> Result<Self> {
        Ok(Registry {
            file: file.checked()?,
            connected: Default::default(),
        })
    }

    /// The configured provider names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.file.providers.keys().map(String::as_str)
    }

    /// The parsed configuration.
    pub fn file(&self) -> &ProvidersFile {
        &self.file
    }

    /// The provider named `name`, connected once and shared after.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an unknown name, a key that cannot be read (its environment
    /// variable unset), or options the vendor's adapter refuses. Nothing is sent:
    /// connecting makes no request.
    pub fn connect(&self, name: &str) -> Result<Arc<dyn VoiceProvider>> {
        // Kept by name: one connection per provider.
        let key = name;
        let config = self.file.get(key)?;
        let connected = || {
            self.connected
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(provider) = connected().get(key) {
            return Ok(provider.clone());
        }
        // Built without the lock, which every other provider's use takes: building reads
        // the key and may read the system's certificates. Of two built at once, or one
        // built while another was put in its place, the first one in is kept.
        let provider = connect(config)?;
        Ok(connected()
            .entry(key.to_owned())
            .or_insert(provider)
            .clone())
    }

    /// The default provider (the one the file's `default` names, or the only one),
    /// connected once and shared after, as [`connect`](Self::connect) connects it.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect)'s, and [`Error::Config`] when several providers are
    /// configured and none is the default.
    pub fn connect_default(&self) -> Result<Arc<dyn VoiceProvider>> {
        self.connect(self.file.default_name()?)
    }

    /// Connects every configured provider, so that an application learns at its start,
    /// not at its first call, of a key that cannot be read (an environment variable
    /// unset) or options a vendor's adapter refuses. Nothing is sent.
    ///
    /// ```
    /// # #[cfg(feature = "rounded")]
    /// # fn main() {
    /// let registry = voiceport::Registry::from_toml_str(
    ///     "[providers.sales]\nkind = \"rounded\"\napi_key_env = \"VOICEPORT_DOC_UNSET_KEY\"\n",
    /// )
    /// .unwrap(); // read, not yet connected
    /// let error = registry.connect_all().unwrap_err();
    /// assert!(error.to_string().contains("VOICEPORT_DOC_UNSET_KEY"), "{error}");
    /// # }
    /// # #[cfg(not(feature = "rounded"))]
    /// # fn main() {}
    /// ```
    ///
    /// # Errors
    ///
    /// The first provider's (in name order) that [`connect`](Self::connect) refuses.
    pub fn connect_all(&self) -> Result<()> {
        for name in self.names() {
            self.connect(name)?;
        }
        Ok(())
    }

    /// Puts `provider` in the place of the configured provider `name`: `connect`, the
    /// merged walks, the routes and qualified ids reach it from now on, as they would the
    /// connection the file describes. For a test double of one account (an application's
    /// tests, without the vendor or the sandbox), or a provider wrapped in middleware of the
    /// application's own.
    ///
    /// ```
    /// use voiceport::{ProviderConfig, ProviderKind, Registry};
    ///
    /// # #[cfg(feature = "rounded")]
    /// # fn main() -> voiceport::Result<()> {
    /// let registry = Registry::from_toml_str(
    ///     "[providers.sales]\nkind = \"rounded\"\napi_key = \"rd-test\"\n",
    /// )?;
    /// // In a test: a double of your own, or (here) another account's client.
    /// let config = ProviderConfig::new(ProviderKind::Rounded).with_api_key("rd-other");
    /// let other = voiceport::connect(&config)?;
    /// registry.replace_provider("sales", other.clone())?;
    /// assert!(std::sync::Arc::ptr_eq(&registry.connect("sales")?, &other));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "rounded"))]
    /// # fn main() {}
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no provider is configured under `name`, or when `provider`
    /// is of another kind than the file says (its cursors, routes and messages would
    /// speak of one vendor and reach another).
    pub fn replace_provider(&self, name: &str, provider: Arc<dyn VoiceProvider>) -> Result<()> {
        let configured = self.file.get(name)?.kind;
        if provider.kind() != configured {
            let message = format!(
                "the provider put in its place is {}, where the file says {configured}",
                provider.kind()
            );
            return Err(Error::config(format!("providers.{name}.kind"), message));
        }
        let mut connected = self
            .connected
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        connected.insert(name.to_owned(), provider);
        Ok(())
    }

    /// The provider and call id a possibly qualified id names: `sales:abc` is call `abc`
    /// of provider `sales`; an id without a `:` belongs to the default provider. An id
    /// whose part before the first `:` is no configured provider is refused (a misspelt
    /// name would otherwise ask another account): qualify a call id that holds a `:`
    /// itself (`sales:abc:1`).
    ///
    /// ```
    /// # #[cfg(feature = "rounded")]
    /// # fn main() -> voiceport::Result<()> {
    /// let registry = voiceport::Registry::from_toml_str(
    ///     "[providers.sales]\nkind = \"rounded\"\napi_key = \"rd-test\"\n",
    /// )?;
    /// let resolved = registry.resolve("sales:7b0e3c1a")?;
    /// assert_eq!(resolved.provider_name, "sales");
    /// assert_eq!(resolved.call_id.as_str(), "7b0e3c1a");
    /// assert_eq!(registry.resolve("7b0e3c1a")?.provider_name, "sales"); // the default
    /// # Ok(()) }
    /// # #[cfg(not(feature = "rounded"))]
    /// # fn main() {}
    /// ```
    pub fn resolve(&self, id: &str) -> Result<Resolved> {
        if let Some((name, call)) = id.split_once(':') {
            if !self.file.providers.contains_key(name) {
                return Err(Error::invalid_argument(
                    "id",
                    // The part after the `:` is not quoted: whatever it is (a key pasted
                    // by mistake), no configured provider's mask would know it. The name
                    // is quoted short: an id of megabytes is no provider's name.
                    format!(
                        "no such provider: the id names provider `{}` (qualify a call id that holds a `:`, as NAME:ID); {}",
                        voiceport_core::adapter::shorten(name),
                        self.file.names_listed()
                    ),
                ));
            }
            return Ok(Resolved {
                provider_name: name.to_owned(),
                provider: self.connect(name)?,
                call_id: CallId::new(call),
            });
        }
        let name = self.file.default_name()?;
        Ok(Resolved {
            provider_name: name.to_owned(),
            provider: self.connect(name)?,
            call_id: CallId::new(id),
        })
    }

    /// One call by a possibly qualified id (`sales:abc`, see [`Registry::resolve`]).
    pub async fn get_call(&self, id: &str) -> Result<Call> {
        let Resolved {
            provider, call_id, ..
        } = self.resolve(id)?;
        provider.get_call(&call_id).await
    }

    /// Waits for the call a possibly qualified id names to end (a routed dial's
    /// [`RoutedDial::qualified_id`], say), as
    /// [`wait_until_ended`](VoiceProviderExt::wait_until_ended) does on its
    /// provider, for as long and as often as `wait` says.
    pub async fn wait_until_ended(&self, id: &str, wait: Wait) -> Result<Call> {
        let Resolved {
            provider, call_id, ..
        } = self.resolve(id)?;
        provider.wait_until_ended(&call_id, wait).await
    }

    /// Every call of the selected providers matching `query`, merged in one time order
    /// (see [`MergedCalls`]), from the start or from [`MergeOptions::resume_from`]'s cursor. A filter a provider cannot
    /// apply refuses the walk with [`Error::Unsupported`], unless
    /// [`MergeOptions::skip_unsupported`] leaves that provider out (when it would leave
    /// out every selected provider, the walk is refused with the first one's error).
    ///
    /// # Errors
    ///
    /// Before anything is fetched: [`Error::Unsupported`] as above; [`Error::Config`] for
    /// an unknown provider, or one that cannot be connected (an unset key variable), with
    /// any options; [`Error::InvalidArgument`] of the `query` for one every provider
    /// would refuse alike (a blank filter, a time range holding no time), with any
    /// options; [`Error::InvalidArgument`] for an empty selection, for the
    /// `cursor` when the resume cursor was taken from a walk with other filters or another
    /// order or `query` sets a page cursor (a merged walk resumes from its
    /// [`MergedCursor`] only), and for the
    /// `runtime` when called outside a Tokio runtime (each provider fetches on a task of
    /// its own). A provider failing
    /// during the walk is a [`ProviderError`] item of the stream, which converts into
    /// [`Error`]; with [`MergeOptions::keep_going`] it is not an item: the walk goes on
    /// without that provider, and [`MergedCalls::failures`] holds what failed.
    pub fn calls(
        &self,
        selection: &Selection,
        query: CallQuery,
        options: MergeOptions,
    ) -> Result<MergedCalls> {
        // One provider's page cursor names no place in a merged walk: it would be dropped
        // and the walk started over, the filters' promise (never silently ignored) broken.
        if query.cursor.is_some() {
            return Err(Error::invalid_argument(
                "cursor",
                "a merged walk resumes from a MergedCursor (`MergeOptions::resume_from`), not from a page cursor in the query",
            ));
        }
        MergedCalls::new(self.selected(selection)?, query, options)
    }

    /// The providers `selection` names that can take part in a merged walk of `query`:
    /// those a walk with [`MergeOptions::skip_unsupported`] keeps (it leaves out a provider
    /// that cannot list, apply a filter of `query`, or list newest first where `query`
    /// asks no order). Each is connected; nothing is sent.
    pub fn walkable(&self, selection: &Selection, query: &CallQuery) -> Result<Vec<String>> {
        let selected = self.selected(selection)?;
        Ok((selected.into_iter())
            .filter(|(_, provider)| merge::cannot_walk(provider.as_ref(), query).is_none())
            .map(|(name, _)| name)
            .collect())
    }

    /// The providers `selection` names, each once, connected.
    fn selected(&self, selection: &Selection) -> Result<Vec<(String, Arc<dyn VoiceProvider>)>> {
        let mut names: Vec<String> = match selection {
            Selection::All => self.names().map(str::to_owned).collect(),
            // No provider is named `all` (the name is refused): `sales,all` meant something.
            Selection::Named(names) if names.iter().any(|name| name == "all") => {
                return Err(Error::invalid_argument(
                    "selection",
                    "`all` selects every provider and names none: give it alone, or the names",
                ));
            }
            Selection::Named(names) => names.clone(),
        };
        // A provider named twice is walked once: its calls would come twice otherwise.
        let mut named = std::collections::BTreeSet::new();
        names.retain(|name| named.insert(name.clone()));
        if names.is_empty() {
            return Err(Error::invalid_argument("selection", "no provider selected"));
        }
        let mut providers = Vec::with_capacity(names.len());
        for name in names {
            let provider = self.connect(&name)?;
            providers.push((name, provider));
        }
        Ok(providers)
    }

    /// Places `request` through the route `route` (`[routes.NAME]`). A `weighted` route
    /// picks by the destination number, written as its digits (`+1 415-555-0187` is
    /// `+14155550187`; [`dial_with_key`](Self::dial_with_key) picks by a key of your own):
    /// the same number always takes the same provider,
    /// unless that one's capabilities do not allow the request
    /// ([`Capabilities::supports_dial`](voiceport_core::Capabilities::supports_dial): a
    /// dial now or a scheduled one, not each field; a field a vendor takes no value for,
    /// a call `name` on HappyRobot, is refused by the provider picked), when it takes one
    /// of those that do (among all when none do). The other keys stay where they are. A `failover` route moves to the next provider only when the
    /// vendor refused the dial in a way that proves no call was placed
    /// ([`RequestOutcome::NotApplied`]); a dial is never sent twice. A provider that cannot
    /// be set up ([`Error::Config`]: an option its adapter refuses, a bad `base_url`, an
    /// unset `api_key_env` variable, all checked when it is first connected) ends the route
    /// with that error rather than failing over, which would hide it on every dial; so do
    /// a request refused for what it holds ([`Error::InvalidArgument`]; one that every
    /// provider would refuse alike, no number to call or a `scheduled_for` in the past, is
    /// refused before the first dial, naming no provider: the error's vendor is the first
    /// the route would have tried), a dial missing a
    /// setting its account needs (an agent, a number) or holding a value its vendor cannot
    /// take (both [`Error::InvalidRequest`] without a status: refused before sending), a
    /// field of the request its vendor takes no value for ([`Error::Unsupported`] of an [`Operation::DialOption`]: it would
    /// refuse every such dial), and an interrupted dial. A failover route leaves out the
    /// providers whose capabilities do not allow the dial (a scheduled one, where it does
    /// not schedule), unless none do.
    ///
    /// Run under an interrupted [`Interrupt`], it dials no further provider and still waits for
    /// the dial in flight. The route ends with [`Error::Interrupted`], naming no provider
    /// when none was dialing (before the route started, or after a refusal) and the one
    /// dialing when its own dial was interrupted.
    ///
    /// On a route that can reach several providers (failover, or weighted between more
    /// than one), `request` names no resource of one account (`agent_id`,
    /// `phone_number_id`, `from_number`, `campaign_id`, `extra`): each provider dials with
    /// the defaults of its `[providers.NAME.options]`, and such a request is refused
    /// before any is dialed.
    ///
    /// # Errors
    ///
    /// A [`RouteError`] naming the route, the provider whose failure ended it (none when
    /// the route failed before dialing: [`Error::InvalidArgument`] for an unknown route or
    /// a request that sets one account's fields, [`Error::InvalidRequest`] for one that no
    /// provider would take, with no number or a schedule in the past; or was
    /// interrupted between two dials) and those that refused before it;
    /// [`RouteError::call_may_exist`] says whether a call may have been placed, and where
    /// to look for it.
    ///
    /// # Dropping the future
    ///
    /// As for [`VoiceProvider::dial`]: a route future dropped before it completes (a
    /// `tokio::time::timeout`, the losing branch of a `select!`) returns nothing, not even
    /// which provider it was dialing, and **a call may have been placed**. Bound its time
    /// with the providers' `timeout_secs`, and stop it with [`Interrupt::interrupt`] rather
    /// than by dropping it: the route then ends with an answer that says what happened.
    pub async fn dial(
        &self,
        route: &str,
        request: &DialRequest,
    ) -> std::result::Result<RoutedDial, RouteError> {
        let key = voiceport_core::adapter::number_key(&request.to);
        self.dial_with_key(route, request, &key).await
    }

    /// [`dial`](Self::dial), a `weighted` route picking by `key` rather than by the
    /// destination number: a customer's id, so that each customer's calls go through one
    /// vendor whatever number they are placed to. The same key always takes the same
    /// provider (as `dial` says, unless that one cannot take the request). Routes of
    /// other policies do not read it.
    ///
    /// # Errors
    ///
    /// As [`dial`](Self::dial)'s.
    pub async fn dial_with_key(
        &self,
        route: &str,
        request: &DialRequest,
        key: &str,
    ) -> std::result::Result<RoutedDial, RouteError> {
        // Each provider's dial opens its own operation span: this one ties them to the
        // route that tried them in turn.
        let span = tracing::debug_span!("voiceport.route", route);
        self.dial_through(route, request, key)
            .instrument(span)
            .await
    }

    /// [`dial`](Self::dial), in its route's span.
    async fn dial_through(
        &self,
        route: &str,
        request: &DialRequest,
        key: &str,
    ) -> std::result::Result<RoutedDial, RouteError> {
        let fail = |provider_name: Option<String>, error, refused| RouteError {
            route: route.to_owned(),
            provider_name,
            error,
            refused,
        };
        let Some(config) = self.file.routes.get(route) else {
            // The name comes from the caller (a `--route`), not from the file. A provider's
            // name is dialed through the provider itself.
            let hint = match self.file.providers.contains_key(route) {
                true => format!(
                    "; {route:?} is a provider, not a route: dial it directly (`-p {route}` on the command line)"
                ),
                false => String::new(),
            };
            let error = Error::invalid_argument(
                "route",
                format!(
                    "no route named {route:?} in [routes]: {}{hint}",
                    self.file.routes_listed()
                ),
            );
            return Err(fail(None, error, Vec::new()));
        };
        if let Some(error) = route::account_fields_refused(route, config, request) {
            return Err(fail(None, error, Vec::new()));
        }
        // A provider that cannot be connected is not left out here: picked, it says why.
        let can_take = |name: &str| {
            (self.connect(name)).map_or(true, |p| p.capabilities().supports_dial(request))
        };
        let candidates = route::candidates(config, key, can_take);
        // What every provider's guard would refuse alike (no number, a schedule in the
        // past) ends the route once, before any dial, rather than at each provider in turn.
        let first = (candidates.first()).and_then(|name| self.file.providers.get(*name));
        if let Some(Err(error)) = first.map(|config| request.validate(config.kind)) {
            return Err(fail(None, error, Vec::new()));
        }
        let mut refused: Vec<ProviderError> = Vec::new();
        let last = candidates.len().saturating_sub(1);
        for (index, name) in candidates.into_iter().enumerate() {
            // Interrupted (before the route started, or after a refusal): no provider is
            // dialed any more, whatever its adapter checks. The route names none: `name`
            // was never dialed, and the CLI would send the user to look for a call there.
            if let (true, Some(config)) = (
                Interrupt::current_is_interrupted(),
                self.file.providers.get(name),
            ) {
                let error = Error::interrupted(config.kind, Operation::Dial);
                return Err(fail(None, error, refused));
            }
            let attempt = match self.connect(name) {
                Ok(provider) => provider.dial(request).await,
                Err(error) => Err(error),
            };
            match attempt {
                Ok(outcome) => {
                    return Ok(RoutedDial {
                        provider_name: name.to_owned(),
                        outcome,
                        refused,
                    });
                }
                // An interrupted dial stops the route: its next provider would not dial
                // either. So does a setup error of ours (a misspelt option, an unset key
                // variable, an option a dial needs left out), a field of the request the
                // provider takes no value for, or a value it refuses before sending:
                // failing over would hide it behind the next provider, dial after dial.
                Err(error)
                    if error.outcome() == RequestOutcome::NotApplied
                        && index < last
                        && !route::refused_before_sending(&error)
                        && !route::refuses_a_field(&error)
                        && !matches!(
                            error,
                            Error::Interrupted { .. }
                                | Error::Config { .. }
                                | Error::InvalidArgument { .. }
                        ) =>
                {
                    tracing_note(route, name, &error);
                    refused.push(ProviderError::new(name, error));
                }
                Err(error) => return Err(fail(Some(name.to_owned()), error, refused)),
            }
        }
        let error = Error::config(format!("routes.{route}"), "the route picked no provider");
        Err(fail(None, error, refused))
    }
}

/// What a possibly qualified call id names ([`Registry::resolve`]): the provider, by its
/// configured name and connected, and the call's id at that provider.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Resolved {
    /// The configured name of the provider (`sales` of `sales:abc`, or the default's).
    pub provider_name: String,
    /// That provider, connected.
    pub provider: Arc<dyn VoiceProvider>,
    /// The call's id at that provider (`abc` of `sales:abc`).
    pub call_id: CallId,
}

/// A failover, said once: the refusal's kind and status, not its message (the caller has
/// it in the route's answer, and a vendor's message about a dial may quote the number
/// called). The kind tells a provider down (`transport`, `timeout`, `server`) from one
/// that refused this request (`invalid_request`, `unsupported`).
fn tracing_note(route: &str, provider: &str, error: &Error) {
    tracing::warn!(
        route,
        provider_name = provider,
        error_kind = error.name(),
        status = error.status(),
        transient = error.is_transient(),
        "dial not placed; trying the next provider"
    );
    tracing::debug!(route, provider_name = provider, %error, "the refusal");
}

#[cfg(test)]
mod tests;
