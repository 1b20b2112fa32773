//! [`Receiver`]: the axum router in front of verification, decoding and de-duplication,
//! and [`ReceiverBuilder`], which configures it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use tokio::sync::{Semaphore, mpsc};
use voiceport_core::Result;
use voiceport_core::webhook::{
    DEFAULT_IN_FLIGHT_LIMIT, DEFAULT_KEEP_FOR, DEFAULT_WINDOW, Deduplicator, SHORT_SECRET_BELOW,
    Scheme, Verifier, WebhookConfig,
};

use super::delivery::{Delivery, Handler, HandlerError, HandlerResult};
use super::refusals::Refusals;
use super::running::RunningHandlers;
use super::serve::{Endpoint, HELD_BODY_MIN_KIB, Shared, not_a_post, receive, unrouted};
use crate::Registry;

/// Serves `POST /webhooks/{provider}` (or the [path](ReceiverBuilder::path) it is given)
/// for every provider with a webhook table. Build it with [`Receiver::builder`].
///
/// The router it gives is a [`Router`] (`Router<()>`): it holds its own state, so that it
/// can be served alone. An application's router with a state of its own merges it after
/// `.with_state(state)`, or, still a `Router<AppState>`, with
/// `.merge(webhooks.with_state(()))`: axum's `with_state` lets the caller pick the state
/// the router it returns still lacks.
#[derive(Debug)]
pub struct Receiver;

impl Receiver {
    /// A receiver for the providers of `registry` that have a `[providers.NAME.webhook]`
    /// table.
    #[must_use]
    pub fn builder(registry: &Registry) -> ReceiverBuilder<'_> {
        ReceiverBuilder {
            registry,
            only: None,
            body_limit: DEFAULT_BODY_LIMIT,
            window: DEFAULT_WINDOW,
            keep_for: DEFAULT_KEEP_FOR,
            in_flight_limit: DEFAULT_IN_FLIGHT_LIMIT,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            unverified_budget: DEFAULT_UNVERIFIED_BODY_BUDGET,
            handled_budget: DEFAULT_HANDLED_BODY_BUDGET,
            refuse_other_paths: false,
            path: DEFAULT_PATH.to_owned(),
            running: RunningHandlers::new(),
        }
    }
}

/// Where deliveries are posted by default, `{provider}` standing for the provider's name
/// in the configuration.
pub const DEFAULT_PATH: &str = "/webhooks/{provider}";

/// The largest delivery accepted by default: 4 MiB (an end-of-call report with a long
/// transcript and every message is a few hundred KiB).
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// How long a delivery's body may take to arrive by default, from the request's start:
/// 15 seconds. A vendor posts a few KiB at once; a body that trickles in longer is
/// answered 408 and delivers nothing, so that a sender that never finishes does not hold
/// its connection and buffer for good.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(15);

/// How many bytes of bodies still arriving, or not yet verified and decoded, the
/// deliveries to one provider may hold together by default: 64 MiB. Where a provider's
/// scheme signs the body (Retell's signature, an HMAC), the headers prove only that a
/// signature is well formed and fresh, which anyone can forge: its body must be read to be
/// checked. Such bodies share their provider's budget while they arrive (so do those of a
/// scheme that reads the headers alone, whose secret travels in every delivery and may
/// have been seen); a delivery whose body would go over it is answered 503 with
/// `Retry-After` at once, without reading more of it, and a body's share is released as
/// soon as it is verified and decoded, or refused. Each provider has a budget of its own,
/// so that forgeries posted to one cannot refuse another's deliveries. A vendor's
/// deliveries take a few KiB each.
pub const DEFAULT_UNVERIFIED_BODY_BUDGET: usize = 64 * 1024 * 1024;

/// How many bytes the bodies of the deliveries being handled may hold together by
/// default, across the receiver: 256 MiB. A verified delivery holds its body (its event's
/// payloads are slices of it) until it is answered: while the handler runs, while a full
/// event channel makes it wait, while a request the vendor waits on waits for its reply. A
/// slow application, or a sender with the credentials, could otherwise make the receiver
/// hold any number of them; a delivery that would go over the budget is answered 503 with
/// `Retry-After` and is not handed over.
pub const DEFAULT_HANDLED_BODY_BUDGET: usize = 256 * 1024 * 1024;

/// How long a delivery that expects a reply waits for the handler and the application's
/// reply by default: 20 seconds, Vapi's default server timeout. A vendor's shorter fixed
/// limit applies in any case ([`Delivery::reply_deadline`]).
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// Options of a [`Receiver`]; finish with [`channel`](Self::channel) or
/// [`handler`](Self::handler).
#[derive(Debug)]
pub struct ReceiverBuilder<'a> {
    registry: &'a Registry,
    only: Option<Vec<String>>,
    body_limit: usize,
    window: usize,
    keep_for: Duration,
    in_flight_limit: Duration,
    reply_timeout: Duration,
    body_timeout: Duration,
    unverified_budget: usize,
    handled_budget: usize,
    refuse_other_paths: bool,
    path: String,
    running: RunningHandlers,
}

impl ReceiverBuilder<'_> {
    /// The handlers the router built from this builder will be running: to wait, after
    /// the server stops, for those that outlived their request (see [`RunningHandlers`]).
    pub fn running_handlers(&self) -> RunningHandlers {
        self.running.clone()
    }

    /// Serves deliveries at `path` instead of [`DEFAULT_PATH`]: a path of its own
    /// segments, one of them `{provider}` (the provider's name), as `/hooks/{provider}`.
    /// Refused when the router is built otherwise (an [`Error::InvalidArgument`] naming
    /// `path`). Under a prefix of the application's, `nest` the router instead.
    ///
    /// [`Error::InvalidArgument`]: voiceport_core::Error::InvalidArgument
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Serves only these providers (each must have a webhook table).
    #[must_use]
    pub fn providers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Also answers requests to the paths it does not serve (404: a webhook URL with
    /// `/webhooks` twice, a scanner), logged as refused deliveries are: ten warnings a
    /// minute, counted with the provider names it does not serve. For a router served on
    /// its own, as `voiceport listen` serves it; leave it off for a router merged into an
    /// application's, whose other paths it would take.
    #[must_use]
    pub fn refuse_other_paths(mut self) -> Self {
        self.refuse_other_paths = true;
        self
    }

    /// The largest body accepted (413 beyond it, at once when its `Content-Length` says
    /// so); [`DEFAULT_BODY_LIMIT`] by default.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long a body may take to arrive, from the request's start (408 beyond it, nothing
    /// delivered); [`DEFAULT_BODY_TIMEOUT`] by default.
    #[must_use]
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How many bytes the bodies not yet verified and decoded may hold together, for each
    /// provider
    /// (503 with `Retry-After` for a delivery that would go over its provider's; see
    /// [`DEFAULT_UNVERIFIED_BODY_BUDGET`], the default). Never less than the body limit, nor
    /// than 8 KiB, so that one body of any size accepted fits; counted in KiB (a body arriving in
    /// several chunks counts the buffer it is joined in, which never grows past the body
    /// limit). It covers every body while it arrives and until it is decoded: those whose
    /// signature must be checked against them, those of a scheme that reads the headers
    /// alone (its secret travels in every delivery), those not verified (`verify =
    /// "none"`). Each provider has a budget of this size, so that a flood of forgeries (or
    /// of bodies to a provider not verified) at one endpoint cannot refuse the deliveries
    /// of the others: such bodies may hold up to this many bytes times the number of
    /// providers served. A provider not verified holds the bodies of its deliveries being
    /// handled in it too, not in the [budget](Self::handled_body_budget) that verified
    /// providers share: anyone can post to it.
    #[must_use]
    pub fn unverified_body_budget(mut self, bytes: usize) -> Self {
        self.unverified_budget = bytes;
        self
    }

    /// How many bytes the bodies of the deliveries being handled may hold together, across
    /// the receiver (503 with `Retry-After` for a delivery that would go over it; see
    /// [`DEFAULT_HANDLED_BODY_BUDGET`], the default). Never less than the body limit, nor
    /// than 8 KiB, so that one body of any size accepted fits; counted in KiB, and a body at least as 8 KiB
    /// (what it holds of the connection's read buffer, which it shares). A delivery holds its share
    /// from when its body is verified until it is answered; in [`channel`](Self::channel)
    /// mode, the events waiting in the channel hold their bodies besides (the channel's
    /// capacity bounds them). A provider that verifies nothing (`verify = "none"`) holds
    /// them in its own [budget of bodies not verified](Self::unverified_body_budget)
    /// instead, so that strangers posting to it cannot fill this one.
    #[must_use]
    pub fn handled_body_budget(mut self, bytes: usize) -> Self {
        self.handled_budget = bytes;
        self
    }

    /// How many deliveries the de-duplication window of each provider remembers;
    /// [`DEFAULT_WINDOW`] by default. Each provider has its own, so that a busy one (or one
    /// posted to without verification) cannot push another's deliveries out of it, and in
    /// each a call's start, status changes and end are kept apart from other events (as
    /// many again), so that a flood of transcript messages cannot push them out.
    #[must_use]
    pub fn dedup_window(mut self, deliveries: usize) -> Self {
        self.window = deliveries;
        self
    }

    /// How long each provider's de-duplication window keeps a delivery at least, however
    /// many come after it (up to [`WINDOW_CEILING`](super::WINDOW_CEILING) times the
    /// window's size), for the providers whose scheme signs no time or signs it with a
    /// shorter tolerance;
    /// [`DEFAULT_KEEP_FOR`] by default. Twice a provider's signing tolerance is the least,
    /// whatever is set here: a replay its signature still accepts is recognized. With
    /// `Duration::ZERO`, the window of a provider whose scheme signs no time is kept to
    /// its size alone.
    #[must_use]
    pub fn dedup_keep_for(mut self, least: Duration) -> Self {
        self.keep_for = least;
        self
    }

    /// How long a delivery's handler may run before a redelivery of it is handed over
    /// again (taken for a handler that will never end); until then a redelivery is
    /// answered 503 with `Retry-After`. [`DEFAULT_IN_FLIGHT_LIMIT`] (5 minutes) by default:
    /// a handler that may take longer (a channel the application reads slowly) needs a
    /// longer limit, or a redelivery is handled twice (which is warned of).
    #[must_use]
    pub fn dedup_in_flight_for(mut self, limit: Duration) -> Self {
        self.in_flight_limit = limit;
        self
    }

    /// How long a delivery that expects a reply ([`Delivery::reply`]) waits for the handler
    /// and the reply before the vendor is answered 504 (a handler still working then goes
    /// on to its end on a task of its own; in channel mode, a request not yet queued is
    /// not queued, nor is one whose vendor hung up first), for the providers whose webhook table sets no `reply_timeout_secs`;
    /// [`DEFAULT_REPLY_TIMEOUT`] by default. Keep it within the vendor's own timeout
    /// (Vapi's `server.timeoutSeconds`); a vendor's shorter fixed limit (Vapi's
    /// `assistant-request`, Retell's inbound webhook) applies in any case.
    #[must_use]
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// The names of the providers this receiver would serve.
    pub fn served(&self) -> Result<Vec<String>> {
        Ok(self.endpoints()?.into_keys().collect())
    }

    /// The router, and the channel each event arrives on. A full channel holds the
    /// vendor's request until there is room; a dropped receiving end answers 503.
    ///
    /// News is answered 204 once it is in the channel, before the application takes it:
    /// events still in the channel when the receiving end is dropped (or the process ends)
    /// are lost, and the vendor does not send them again. Where an event must be handled
    /// before it is acknowledged, use [`handler`](Self::handler), whose `Err` the vendor is
    /// told of. A request the vendor waits on ([`Delivery::reply`]) is answered with the
    /// reply, 204 once every copy of it is dropped unanswered, or 503 when it is dropped
    /// with the closed channel, untaken.
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config): a provider named in
    /// [`providers`](Self::providers) that is unknown or has no webhook table, a secret
    /// that cannot be read (its environment variable unset), a webhook table that does not
    /// make a verifier, or no provider to serve at all;
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) of `path`: a
    /// [`path`](Self::path) that is not one (as that method says).
    pub fn channel(self, capacity: usize) -> Result<(Router, mpsc::Receiver<Delivery>)> {
        let (sender, events) = mpsc::channel(capacity.max(1));
        let probe = sender.clone();
        let closed: Box<dyn Fn() -> bool + Send + Sync> = Box::new(move || probe.is_closed());
        let handler: Handler = Arc::new(move |delivery| {
            let sender = sender.clone();
            Box::pin(async move {
                sender
                    .send(delivery)
                    .await
                    .map_err(|_| HandlerError::channel_closed())
            })
        });
        Ok((self.router(handler, Some(closed))?, events))
    }

    /// The router, handing each event to `handler`; an `Err` (or a panic, which the
    /// receiver catches) answers 500 so that the vendor retries.
    ///
    /// A handler runs to its end, even when the vendor stops waiting first (its timeout
    /// passed, and it hung up): it goes on on a task of its own rather than being cut at
    /// an `.await`, which a server's graceful shutdown does not wait for
    /// ([`running_handlers`](Self::running_handlers) does). A redelivery of the event meanwhile is answered 503 (the same event is
    /// being delivered); once the handler has succeeded, 204 as a duplicate; once it has
    /// failed (logged as a warning), it is handed over again. Until it ends, its body
    /// counts against the budget of bodies being handled: a handler that never returns
    /// holds that share for good. Work longer than the vendor waits is better taken off
    /// the request ([`channel`](Self::channel), or a task of the handler's own).
    ///
    /// # Errors
    ///
    /// As [`channel`](Self::channel).
    pub fn handler<F, Fut>(self, handler: F) -> Result<Router>
    where
        F: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |delivery| Box::pin(handler(delivery)));
        self.router(handler, None)
    }

    fn endpoints(&self) -> Result<BTreeMap<String, Endpoint>> {
        let mut endpoints = BTreeMap::new();
        // Every provider whose table cannot be used (a secret's variable unset, say) is
        // said at once, not one per start.
        let mut unusable = Vec::new();
        for (name, config) in &self.registry.file().providers {
            let named = self.only.as_ref().map(|only| only.contains(name));
            // A provider left out is not looked at: its secret need not be set.
            if named == Some(false) {
                continue;
            }
            let verifier = match config.webhook_verifier() {
                Ok(Some(verifier)) => verifier,
                Err(error) => {
                    unusable.push(error);
                    continue;
                }
                Ok(None) if named == Some(true) => {
                    let table = config.field_name("webhook");
                    let message =
                        format!("no webhook table: add [{table}] to receive its deliveries");
                    return Err(voiceport_core::Error::config(table, message));
                }
                Ok(None) => continue,
            };
            let codec = crate::codec_named(config.kind, || config.field_name("kind"))?;
            let reply_timeout = match &config.webhook {
                Some(table) => table.reply_timeout(&config.field_name("webhook"))?,
                None => None,
            };
            // A delivery one provider's check passes, another's passes too where they
            // share the secret (two providers of one Retell account): a delivery posted to
            // both (a replay to the other URL) is one event, handed over once. They share
            // the first one's window, and key their events under its name.
            let sharing = (endpoints.values()).find(|other: &&Endpoint| {
                other.kind == config.kind && other.verifier.shares_secret_with(&verifier)
            });
            let (window, window_name) = match sharing {
                Some(other) => (Arc::clone(&other.window), Arc::clone(&other.window_name)),
                None => (
                    Arc::new(Mutex::new(self.window_for(&verifier))),
                    Arc::from(name.as_str()),
                ),
            };
            let secret_mask = config.webhook.as_ref().and_then(WebhookConfig::secret_mask);
            endpoints.insert(
                name.clone(),
                Endpoint {
                    name: Arc::from(name.as_str()),
                    kind: config.kind,
                    codec,
                    verifier,
                    reply_timeout: reply_timeout.unwrap_or(self.reply_timeout),
                    window,
                    window_name,
                    unverified: Arc::new(Semaphore::new(self.budget_kib(self.unverified_budget))),
                    secret_mask,
                },
            );
        }
        if let Some(error) = unusable_tables(unusable) {
            return Err(error);
        }
        if let Some(only) = &self.only
            && let Some(unknown) = only.iter().find(|name| !endpoints.contains_key(*name))
        {
            // No provider is named `all` (the name is refused): `sales,all` meant something.
            if unknown == "all" {
                let message = "`all` serves every provider with a webhook table and names none: give it alone, or the names";
                return Err(voiceport_core::Error::invalid_argument(
                    "providers",
                    message,
                ));
            }
            return Err(self.registry.file().unknown_provider(unknown));
        }
        Ok(endpoints)
    }

    /// A de-duplication window for a provider checked by `verifier`: it keeps what its
    /// signature still accepts. A signing time up to the tolerance ahead of this clock is
    /// accepted, and stays so for as long again: twice the tolerance.
    fn window_for(&self, verifier: &Verifier) -> Deduplicator {
        Deduplicator::for_verifier(self.window, self.keep_for, verifier)
            .in_flight_for(self.in_flight_limit)
    }

    /// The KiB of a budget of `bytes`: as many as a semaphore holds, and never less than
    /// one body of the largest size, counted as a held body is (at least
    /// [`HELD_BODY_MIN_KIB`]): a smaller budget would refuse every delivery.
    fn budget_kib(&self, bytes: usize) -> usize {
        let kib = |bytes: usize| bytes.div_ceil(1024).min(Semaphore::MAX_PERMITS);
        (kib(bytes).max(kib(self.body_limit))).max(HELD_BODY_MIN_KIB)
    }

    fn router(
        self,
        handler: Handler,
        channel_closed: Option<Box<dyn Fn() -> bool + Send + Sync>>,
    ) -> Result<Router> {
        check_path(&self.path)?;
        let endpoints = self.endpoints()?;
        // A router serving nothing would answer every delivery 404: a configuration that
        // forgot its webhook tables, said now rather than by the vendor's failures.
        if endpoints.is_empty() {
            return Err(voiceport_core::Error::config(
                "providers",
                "no provider has a [providers.NAME.webhook] table: the receiver would serve nothing",
            ));
        }
        for (name, endpoint) in &endpoints {
            let scheme = endpoint.verifier.scheme();
            if scheme == Scheme::None {
                // Under the receiver's target, which `listen` checks to say it only once.
                tracing::warn!(target: "voiceport::webhooks", provider_name = %name, "webhook deliveries are NOT verified (verify = \"none\"): anyone who can reach the receiver can post events");
            }
            // Signed without a time, a delivery seen once passes its check for good: only
            // the de-duplication window (bounded) stands in the way of its replay.
            if scheme == Scheme::Hmac && endpoint.verifier.tolerance().is_none() {
                tracing::warn!(provider_name = %name, "webhook signatures checked without a signing time (timestamp_header = \"\"): a delivery seen once can be sent again and pass, once it has left the de-duplication window; sign a timestamp where the vendor allows");
            }
            // Still checked: a short secret is the user's to lengthen, not the receiver's
            // to refuse (a vendor may have set it, a test may use one).
            if endpoint.verifier.secret_is_short() {
                tracing::warn!(provider_name = %name, verify = %scheme, "the webhook secret is shorter than {SHORT_SECRET_BELOW} bytes: a sender could guess it; use a longer, generated one (`openssl rand -hex 32`)");
            }
            // A check the vendor's deliveries never pass refuses every one that comes
            // straight (no check at all, warned of above, passes them all).
            if let Some(why) = scheme
                .never_sent_by(endpoint.kind)
                .filter(|_| scheme != Scheme::None)
            {
                tracing::warn!(provider_name = %name, verify = %scheme, "{why}; as set, this check refuses every delivery that comes straight from the vendor");
            }
        }
        // Named, never shown: the secret stays out of the line.
        let served: Vec<_> = endpoints.iter().collect();
        for (i, (name, endpoint)) in served.iter().enumerate() {
            for (other, other_endpoint) in served.iter().skip(i + 1) {
                if !endpoint
                    .verifier
                    .shares_secret_with(&other_endpoint.verifier)
                {
                    continue;
                }
                // Two providers of one Retell account (other agents, other defaults): its
                // deliveries are signed with the account's key, nothing to change.
                let retell = [endpoint, other_endpoint]
                    .iter()
                    .all(|e| e.verifier.scheme() == Scheme::Retell);
                if retell {
                    tracing::info!(provider_name = %name, other = %other, "two providers verify webhooks with the same Retell key: each passes the other's deliveries (Retell signs with the account's key), and a delivery posted to both is handed over once");
                } else {
                    tracing::warn!(provider_name = %name, other = %other, "two providers verify webhooks with the same secret: a delivery made for one can be made to pass the other's check; give each its own");
                }
            }
        }
        let refusals = Arc::new(Refusals::new(endpoints.keys().map(String::as_str)));
        let shared = Arc::new(Shared {
            refusals,
            endpoints,
            handler,
            channel_closed,
            body_timeout: self.body_timeout,
            body_limit: self.body_limit,
            handled: Arc::new(Semaphore::new(self.budget_kib(self.handled_budget))),
            running: self.running.clone(),
        });
        let deliveries = post(receive).fallback(not_a_post);
        let router = Router::new().route(&self.path, deliveries);
        let router = match self.refuse_other_paths {
            true => router.fallback(unrouted),
            false => router,
        };
        Ok(router.with_state(shared))
    }
}

/// Refuses a path axum would not route (its router panics on one) or that names no
/// provider: `/`, then segments of their own, exactly one of them `{provider}`, none with
/// another parameter or a wildcard.
fn check_path(path: &str) -> Result<()> {
    let refuse = |why: &str| {
        Err(voiceport_core::Error::invalid_argument(
            "path",
            format!("{path:?}: {why}"),
        ))
    };
    let Some(segments) = path.strip_prefix('/') else {
        return refuse("a path starts with `/`");
    };
    let segments: Vec<&str> = segments.split('/').collect();
    let named = segments.iter().filter(|s| **s == "{provider}").count();
    if named != 1 {
        return refuse("one segment is `{provider}`, the provider's name");
    }
    let bad = |s: &&str| {
        *s != "{provider}"
            && (s.is_empty() || s.contains(['{', '}', '*', ':']) || s.chars().any(char::is_control))
    };
    if segments.iter().any(bad) {
        return refuse("its other segments are plain names (not empty, no `{`, `}`, `*` or `:`)");
    }
    Ok(())
}

/// The errors of the providers whose webhook tables cannot be used, as one: the one
/// itself, or for several a configuration error that says each, and that `only` serves
/// the others alone.
fn unusable_tables(mut unusable: Vec<voiceport_core::Error>) -> Option<voiceport_core::Error> {
    if unusable.len() < 2 {
        return unusable.pop();
    }
    let each: Vec<String> = (unusable.iter())
        .map(|error| match error {
            voiceport_core::Error::Config { field, message, .. } => format!("`{field}`: {message}"),
            other => other.to_string(),
        })
        .collect();
    let message = format!(
        "{} providers' webhook tables cannot be used: {} (name the others with `only` to serve them alone)",
        unusable.len(),
        each.join("; ")
    );
    Some(voiceport_core::Error::config("providers", message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_provider_is_refused_with_the_configured_ones() {
        let with = |text: &str| {
            let registry = Registry::from_toml_str(text).unwrap();
            let error = Receiver::builder(&registry)
                .providers(["ghost"])
                .served()
                .unwrap_err()
                .to_string();
            (error, registry.file().names_listed())
        };
        let (error, listed) = with(
            "[providers.sales]\nkind = \"rounded\"\napi_key = \"rd-secret-key\"\n\
             [providers.sales.webhook]\nsecret = \"wh-secret\"\n",
        );
        assert!(error.contains("providers.ghost"), "{error}");
        assert!(error.ends_with(&listed), "{error}");
        assert!(listed.contains("\"sales\""), "{listed}");
        assert!(!error.contains("secret"), "{error}");
        let (error, listed) = with("");
        assert!(
            error.ends_with("no such provider; no provider is configured"),
            "{error}"
        );
        assert_eq!(listed, "no provider is configured");
        // `all` among names is said for what it is.
        let registry = Registry::from_toml_str(
            "[providers.sales]\nkind = \"rounded\"\napi_key = \"k\"\n\
             [providers.sales.webhook]\nsecret = \"wh-secret\"\n",
        )
        .unwrap();
        let builder = Receiver::builder(&registry).providers(["sales", "all"]);
        let error = builder.served().unwrap_err().to_string();
        assert!(error.contains("`all` serves every provider"), "{error}");
    }
}
