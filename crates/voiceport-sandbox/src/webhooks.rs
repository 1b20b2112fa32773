//! Webhook deliveries: each emulator posts the events its vendor sends as a dialed call
//! moves through its statuses, signed as configured, to the target it was given.
//!
//! One tokio task follows each call dialed while its vendor has a target, and posts to that
//! target for the whole call, retries included (a target set or removed later applies to
//! calls dialed after it; deleting the call ends its deliveries): it sleeps until
//! the call's next phase (see [`Timing`](crate::Timing)), builds that vendor's deliveries
//! for the phases passed, and posts them in order with reqwest, never holding a lock while
//! it waits. Nothing of this runs on the request path: a dial answers as soon as the call
//! exists.
//!
//! What each vendor posts (Vapi's, Retell's and HappyRobot's shapes are documented, but
//! for HappyRobot's hook the call inside, rendered as `GET /calls/{id}` shows it today,
//! where HappyRobot's only example embeds an older call shape: inferred; Voicebot Studio's
//! are inferred as Vapi's, which it relays, and Rounded's are inferred altogether: it
//! documents none; see each vendor module):
//!
//! | vendor | ringing | in progress | ended |
//! | --- | --- | --- | --- |
//! | Vapi, Voicebot Studio (*inferred* for it: its example sets `serverMessages` to the report alone) | `status-update` `ringing` | `status-update` `in-progress` | `status-update` `ended` (+ `endedReason`), then `end-of-call-report`; a transferred call's `status-update` `forwarding` (+ `destination`) first |
//! | HappyRobot | — | `start` (use-case hook) | `end` (use-case hook, with the conversation) |
//! | Rounded | `event_call_status_updated` | `event_call_status_updated` | `event_call_status_updated`, then `event_phone_call_ended` (answered) or `event_phone_call_did_not_connect` |
//! | Retell | — | `call_started` | `call_ended`, then `call_analyzed` (answered) |
//!
//! A Vapi or Voicebot Studio target built with [`WebhookTarget::tool_calls`] also gets, in
//! progress, the `tool-calls` request of a call whose assistant uses its tool (about half
//! of them); the receiver's answer is recorded ([`DeliveryAttempt::reply`]). One built
//! with [`WebhookTarget::every_event`] gets the events beyond the lifecycle: Vapi's
//! `speech-update` in progress, then line by line a `speech-update` as each speaker starts
//! and stops and a `conversation-update` at each line committed (tool lines too), before
//! the end (both types in a default assistant's `serverMessages`), Retell's `transcript_updated` at each
//! line spoken and a last one with the call ended (all posted as the call ends: the
//! sandbox's calls have no turns in time) and a transferred call's `transfer_started`, `transfer_bridged` (before `call_ended`)
//! and `transfer_ended` (after it), about one in four first trying a transfer that is
//! cancelled (`transfer_started`, `transfer_cancelled`) half-way through its turns.
//!
//! Retries: [`WebhookTarget::for_vendor`] (which the builder, the control API and the demo
//! use) follows each vendor's delivery policy, or the sandbox's choice where the vendor
//! documents none (the crate's docs, [Webhook deliveries](crate#webhook-deliveries), say
//! which is which); [`WebhookTarget::new`] makes one attempt, and
//! [`WebhookTarget::retries`] asks for more, so that a test can exercise a receiver's
//! failure path.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::watch;
use voiceport_core::webhook::{Scheme, Verifier, WebhookConfig};
use voiceport_core::{Error, ProviderKind, SecretString};

use crate::common::{lock, read, write};
use crate::faults::DeliveryFaultKind;
use crate::sim::{Outcome, Phase, SimCall, View};
use crate::store::State;
use crate::vapi::{Family, Flavor};
use crate::vendor::{PerVendor, Vendor};
use crate::{happyrobot, retell, rounded};

/// How long a delivery may take before it counts as failed, by default: Vapi's default
/// `server.timeoutSeconds` (20), used too for HappyRobot and Rounded, which document no
/// timeout (the sandbox's choice).
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long Retell waits for a 2xx before it retries (its agents' `webhook_timeout_ms`
/// default).
pub const RETELL_DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The pause before a retry, by default.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// The most retries a target may ask for per delivery: Vapi's `backoffPlan.maxRetries`
/// allows 0 to 10, and no emulated vendor retries more.
pub const MAX_RETRIES: u32 = 10;

/// The longest an attempt may take: Vapi's `server.timeoutSeconds` allows 1 to 300.
pub const MAX_DELIVERY_TIMEOUT: Duration = Duration::from_secs(300);

/// The longest pause a target may ask for before a retry.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);

/// The most of a receiver's answer an attempt keeps ([`DeliveryAttempt::reply`]); the rest
/// is not read, so that a receiver answering at length cannot grow the record unbounded.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// The most delivery attempts the sandbox keeps per vendor: past it (or past
/// [`MAX_RECORDED_ATTEMPT_BYTES`] of them), the oldest are dropped first, so that a
/// long-running sandbox's record (every attempt's body) stays bounded.
pub const MAX_RECORDED_ATTEMPTS: usize = 10_000;

/// The most bytes of bodies and replies the sandbox keeps per vendor's attempts: past it,
/// the oldest attempts are dropped first (calls dialed with large metadata post it in every
/// delivery, a dozen times a call with `every_event`).
pub const MAX_RECORDED_ATTEMPT_BYTES: usize = 256 * 1024 * 1024;

/// The longest a following task sleeps between two looks at its call, so that a call ended
/// through the API is reported promptly.
const MAX_NAP: Duration = Duration::from_millis(250);

/// Where an emulator posts its webhook deliveries, and how it signs them.
///
/// ```
/// use std::time::Duration;
/// # mod voiceport { pub use voiceport_core::*; pub mod webhooks { pub use voiceport_core::webhook::*; } }
/// use voiceport::webhooks::WebhookConfig;
/// use voiceport_sandbox::WebhookTarget;
///
/// let config = WebhookConfig::with_secret("s3cret");
/// let target = WebhookTarget::new("http://127.0.0.1:3000/webhooks/support", config)
///     .retries(2)
///     .timeout(Duration::from_secs(2));
/// assert_eq!(target.url(), "http://127.0.0.1:3000/webhooks/support");
/// ```
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    url: TargetUrl,
    config: WebhookConfig,
    retries: u32,
    timeout: Duration,
    retry_delay: Duration,
    tool_calls: bool,
    every_event: bool,
}

/// A target's URL: posted to as it is, shown (by `Debug`, the control API and the attempts
/// recorded) as scheme, host, port and path, with `?…` in place of a query (a token may
/// travel there; Rounded's secret does).
#[derive(Clone)]
pub(crate) struct TargetUrl(String);

impl TargetUrl {
    /// The URL as shown; `[not a URL]` for one that does not parse (refused as a target).
    pub(crate) fn shown(&self) -> String {
        let Ok(mut shown) = reqwest::Url::parse(&self.0) else {
            return "[not a URL]".into();
        };
        let query = shown.query().is_some();
        shown.set_query(None);
        shown.set_fragment(None);
        match query {
            true => format!("{shown}?…"),
            false => shown.to_string(),
        }
    }
}

impl std::fmt::Debug for TargetUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.shown(), f)
    }
}

impl WebhookTarget {
    /// Deliveries to `url`, signed as `config` describes (the same table as the
    /// receiving provider's `[providers.NAME.webhook]`: a vendor signs with what the
    /// receiver checks). No retry, a 20 second timeout.
    #[must_use]
    pub fn new(url: impl Into<String>, config: WebhookConfig) -> Self {
        WebhookTarget {
            url: TargetUrl(url.into()),
            config,
            retries: 0,
            timeout: DEFAULT_DELIVERY_TIMEOUT,
            retry_delay: DEFAULT_RETRY_DELAY,
            tool_calls: false,
            every_event: false,
        }
    }

    /// The delivery policy of `kind`, to `url`: the vendor's where it documents one, the
    /// sandbox's choice where not (see [Webhook deliveries](crate#webhook-deliveries)).
    /// Vapi and Voicebot Studio wait for an answer as long as the table's
    /// `reply_timeout_secs` says (their `server.timeoutSeconds`, up to
    /// [`MAX_DELIVERY_TIMEOUT`]), 20 seconds without it. A kind the sandbox does not
    /// emulate gets [`new`](Self::new)'s defaults.
    #[must_use]
    pub fn for_vendor(kind: ProviderKind, url: impl Into<String>, config: WebhookConfig) -> Self {
        let configured = (config.reply_timeout_secs)
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
            .filter(|wait| !wait.is_zero())
            .map(|wait| wait.min(MAX_DELIVERY_TIMEOUT));
        let target = WebhookTarget::new(url, config);
        let Some(vendor) = Vendor::of(kind) else {
            return target;
        };
        let (retries, timeout) = vendor.delivery_policy();
        let timeout = match vendor {
            Vendor::Vapi | Vendor::Voicebot => configured.unwrap_or(timeout),
            _ => timeout,
        };
        target.retries(retries).timeout(timeout)
    }

    /// Retry a delivery answered with a non-2xx status (or not answered in time) up to
    /// `n` times (default 0; see [`for_vendor`](Self::for_vendor) for each vendor's), at
    /// most [`MAX_RETRIES`]: more is refused when the target is set.
    #[must_use]
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }

    /// How long an attempt may take (default [`DEFAULT_DELIVERY_TIMEOUT`]): from 1 ms to
    /// [`MAX_DELIVERY_TIMEOUT`], else the target is refused when it is set.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The pause before each retry (default [`DEFAULT_RETRY_DELAY`]), at most
    /// [`MAX_RETRY_DELAY`]: more is refused when the target is set.
    #[must_use]
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// Vapi and Voicebot Studio: also post the `tool-calls` request of a call whose
    /// assistant uses its tool, as an assistant with a server-side tool does, when the
    /// call is in progress (default off). The receiver's answer, the tool's result, is
    /// recorded as the attempt's [`reply`](DeliveryAttempt::reply). The request is posted
    /// in turn with the call's other deliveries, so a slow answer delays those after it
    /// (up to the target's timeout); the out-of-order fault never holds it back. Other
    /// vendors send no such request: for them this is ignored.
    #[must_use]
    pub fn tool_calls(mut self, on: bool) -> Self {
        self.tool_calls = on;
        self
    }

    /// Vapi, Voicebot Studio and Retell: also post the events their defaults or
    /// subscriptions add to the lifecycle (default off, so that a call's deliveries read at
    /// a glance): Vapi's `speech-update` and `conversation-update` (in a default
    /// assistant's `serverMessages`), Retell's `transcript_updated` and, for a transferred
    /// call, `transfer_started`, `transfer_bridged`, `transfer_ended` and, where a first
    /// attempt does not bridge (about one call in four), `transfer_cancelled` (an agent
    /// subscribed to all its `webhook_events`). Those the vendor sends at every turn come
    /// turn by turn, all as the call ends (the sandbox's calls have no turns in time).
    /// Ignored for the other vendors. A Vapi assistant that sets no `serverMessages`
    /// sends these live: test with it on to meet them before production does.
    #[must_use]
    pub fn every_event(mut self, on: bool) -> Self {
        self.every_event = on;
        self
    }

    /// The URL deliveries go to.
    pub fn url(&self) -> &str {
        &self.url.0
    }

    /// The retries allowed per delivery.
    pub fn retry_count(&self) -> u32 {
        self.retries
    }

    /// Checks the URL, the attempts' limits and the signing configuration for `kind`,
    /// ready to post. Errors name the field as `webhooks.{kind}.…`.
    pub(crate) fn resolve(self, kind: ProviderKind) -> Result<Target, Error> {
        let field = format!("webhooks.{kind}");
        // Unbounded retries with no timeout or pause would post in a tight loop for ever,
        // holding back the call's later deliveries: the vendors' own bounds apply.
        if self.retries > MAX_RETRIES {
            return Err(Error::config(
                format!("{field}.retries"),
                format!(
                    "at most {MAX_RETRIES} (as Vapi's maxRetries), not {}",
                    self.retries
                ),
            ));
        }
        if self.timeout < Duration::from_millis(1) || self.timeout > MAX_DELIVERY_TIMEOUT {
            return Err(Error::config(
                format!("{field}.timeout_ms"),
                format!(
                    "must be 1 to {} ms (Vapi's timeoutSeconds is 1 to 300), not {} ms",
                    MAX_DELIVERY_TIMEOUT.as_millis(),
                    self.timeout.as_millis()
                ),
            ));
        }
        if self.retry_delay > MAX_RETRY_DELAY {
            return Err(Error::config(
                format!("{field}.retry_delay_ms"),
                format!(
                    "at most {} ms, not {} ms",
                    MAX_RETRY_DELAY.as_millis(),
                    self.retry_delay.as_millis()
                ),
            ));
        }
        // Not quoted: a URL that does not parse may still hold a password.
        let url = reqwest::Url::parse(&self.url.0)
            .map_err(|e| Error::config(format!("{field}.url"), format!("not a URL: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config(
                format!("{field}.url"),
                "holds a user or password: the sandbox shows its targets and records where \
                 each attempt went, so it takes none",
            ));
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::config(
                format!("{field}.url"),
                format!("must be http or https, not {}", url.scheme()),
            ));
        }
        // Only a check the vendor's deliveries can pass: a receiver set up otherwise would
        // take the emulator's deliveries and refuse the vendor's.
        let scheme = self.config.verify.unwrap_or(Scheme::default_for(kind));
        let never_sent = match Vendor::of(kind) {
            Some(_) => scheme.never_sent_by(kind),
            None => Some("the sandbox does not emulate it"),
        };
        if let Some(why) = never_sent {
            return Err(Error::config(
                format!("{field}.verify"),
                format!(
                    "{kind} does not send deliveries that `verify = \"{scheme}\"` checks ({why}), \
                     so the sandbox does not either"
                ),
            ));
        }
        let key = SecretString::from(crate::api_key(kind));
        let signer = Verifier::from_config(kind, &self.config, &field, Some(&key))?;
        // A setting a header cannot carry (a prefix or secret with a line break) would be
        // dropped when signing, and every delivery go out unsigned: sign a sample and check
        // it as the receiver would.
        if !signs_verifiably(&signer, &self.url.0) {
            return Err(Error::config(
                field,
                "a delivery signed with this configuration does not verify: a header name, \
                 `signature_prefix` or secret holds characters a header (or URL) cannot carry",
            ));
        }
        // The same scheme with a secret the receiver does not know.
        let mut wrong = self.config.clone();
        wrong.secret = Some(SecretString::from("sandbox-wrong-signature"));
        wrong.secret_env = None;
        wrong.secret_is_base64 = false;
        // No scheme, nothing to forge: the wrong-signature fault then sends as usual, and
        // is not recorded as forged.
        let forger = Verifier::from_config(kind, &wrong, &field, Some(&key))
            .ok()
            .filter(|forger| forger.scheme() != Scheme::None);
        Ok(Target {
            url: self.url,
            scheme: signer.scheme(),
            header: self.config.header.clone(),
            signer,
            forger,
            retries: self.retries,
            timeout: self.timeout,
            retry_delay: self.retry_delay,
            tool_calls: self.tool_calls,
            every_event: self.every_event,
        })
    }
}

/// Whether a sample signed by `signer` for `url` verifies with it, as posted.
fn signs_verifiably(signer: &Verifier, url: &str) -> bool {
    let sample = br#"{"message":{"type":"sandbox-self-check"}}"#;
    let at = Utc::now();
    let headers = signer.sign(sample, at);
    if signer.scheme() != Scheme::Query {
        // Checked as of the signing time: a tolerance of 0 s still passes.
        return signer.verify_at(&headers, sample, at).is_ok();
    }
    // The secret goes in the query, checked as it is sent.
    let Ok(url) = reqwest::Url::parse(&signer.signed_url(url)) else {
        return false;
    };
    signer.verify_request(url.query(), &headers, sample).is_ok()
}

/// A target ready to post to.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) url: TargetUrl,
    pub(crate) scheme: Scheme,
    pub(crate) header: Option<String>,
    signer: Verifier,
    /// Signs with a wrong secret (the wrong-signature fault); `None` when the scheme has
    /// nothing to get wrong.
    forger: Option<Verifier>,
    pub(crate) retries: u32,
    pub(crate) timeout: Duration,
    retry_delay: Duration,
    /// Whether a Vapi-family call's tool call is posted as a `tool-calls` request.
    tool_calls: bool,
    /// Whether the events beyond the lifecycle are posted ([`WebhookTarget::every_event`]).
    every_event: bool,
}

/// One attempt at posting one delivery, as the sandbox recorded it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// Where it was posted: scheme, host, port and path, with `?…` in place of a query
    /// (where a token may travel).
    pub url: String,
    /// The call it is about.
    pub call_id: String,
    /// The vendor's event type (`status-update`, `end`, `event_phone_call_ended`,
    /// `call_ended` …).
    pub event: String,
    /// The call status the delivery reports, in the vendor's words (`in-progress`,
    /// `In progress`, `completed` …).
    pub vendor_status: Option<String>,
    /// 1 for the first attempt, 2 for the first retry …
    pub attempt: u32,
    /// The receiver's answer; `None` when there was none (timeout, refused connection).
    pub status_code: Option<u16>,
    /// The body of that answer, when it had one: a request's reply (the results of a
    /// `tool-calls`), or whatever else the receiver said (a refusal's reason). At most its
    /// first [`MAX_REPLY_BYTES`]: the rest is not read.
    pub reply: Option<Bytes>,
    /// Why there was no answer.
    pub error: Option<String>,
    /// Whether it was signed with a wrong secret (the wrong-signature fault).
    pub wrong_signature: bool,
    /// Whether it was signed at a time past the scheme's tolerance (the stale-signature
    /// fault).
    pub stale_signature: bool,
    /// Whether it was a second posting of the same delivery (the duplicate fault).
    pub duplicate: bool,
    /// The body posted.
    pub body: Bytes,
    /// When the attempt was made.
    pub at: DateTime<Utc>,
}

impl DeliveryAttempt {
    /// The bytes it holds: its body and reply, as the record counts them.
    fn size(&self) -> usize {
        self.body.len() + self.reply.as_ref().map_or(0, Bytes::len)
    }

    /// Whether the receiver answered 2xx, and its answer arrived whole: a 200 whose body
    /// broke off or timed out is a failed attempt (a request's reply is in that body), and
    /// is retried as one.
    pub fn accepted(&self) -> bool {
        self.error.is_none() && (self.status_code).is_some_and(|code| (200..300).contains(&code))
    }
}

/// A phase of a call that vendors report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    Ringing,
    InProgress,
    Ended,
}

/// One delivery a vendor sends, before it is signed and posted.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) event: String,
    pub(crate) vendor_status: Option<String>,
    pub(crate) body: Value,
    /// A request the vendor waits on for an answer (a tool call), rather than news.
    pub(crate) request: bool,
}

impl Outgoing {
    pub(crate) fn new(event: &str, vendor_status: Option<&str>, body: Value) -> Self {
        Outgoing {
            event: event.to_owned(),
            vendor_status: vendor_status.map(str::to_owned),
            body,
            request: false,
        }
    }

    /// A request the vendor waits on: posted when it arises, whatever the order faults.
    pub(crate) fn request(event: &str, body: Value) -> Self {
        Outgoing {
            request: true,
            ..Outgoing::new(event, None, body)
        }
    }
}

/// The era the sandbox's stop sets: every era is over.
const STOPPED: u64 = u64::MAX;

/// The webhook side of the sandbox's state: targets, the record of attempts, the calls
/// still being followed.
#[derive(Debug)]
pub(crate) struct Hooks {
    targets: PerVendor<RwLock<Option<Arc<Target>>>>,
    /// Per vendor, so that reading one vendor's record never goes through the others'.
    attempts: PerVendor<Mutex<Record>>,
    /// Per call followed: how many tasks still deliver about it (its follower, and its
    /// retries running on their own).
    following: Mutex<HashMap<(Vendor, String), usize>>,
    /// Bumped at every attempt, every call followed to its end, and every reset.
    changes: watch::Sender<u64>,
    /// The era deliveries are made in: a reset begins the next ([`Hooks::reset`]), the
    /// sandbox's stop ends them all ([`STOPPED`]). A task of an era that is over posts
    /// nothing more and ends.
    era: watch::Sender<u64>,
    /// Built when the first call is followed (most sandboxes never post anything).
    client: OnceLock<Option<reqwest::Client>>,
}

/// One vendor's record of delivery attempts.
#[derive(Debug, Default)]
struct Record {
    /// The newest attempts (at most [`MAX_RECORDED_ATTEMPTS`], of at most
    /// [`MAX_RECORDED_ATTEMPT_BYTES`]), oldest first.
    kept: VecDeque<DeliveryAttempt>,
    /// The bytes of `kept`'s bodies and replies.
    bytes: usize,
    /// Every attempt made, those dropped from `kept` included.
    made: u64,
}

impl Record {
    /// Keeps `attempt`, dropping the oldest as the bounds require (never `attempt` itself).
    fn keep(&mut self, attempt: DeliveryAttempt) {
        self.bytes = self.bytes.saturating_add(attempt.size());
        self.kept.push_back(attempt);
        while self.kept.len() > 1
            && (self.kept.len() > MAX_RECORDED_ATTEMPTS || self.bytes > MAX_RECORDED_ATTEMPT_BYTES)
        {
            if let Some(dropped) = self.kept.pop_front() {
                self.bytes = self.bytes.saturating_sub(dropped.size());
            }
        }
    }
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            targets: PerVendor::from_fn(|_| RwLock::new(None)),
            attempts: PerVendor::from_fn(|_| Mutex::new(Record::default())),
            following: Mutex::new(HashMap::new()),
            changes: watch::channel(0).0,
            era: watch::channel(0).0,
            client: OnceLock::new(),
        }
    }
}

impl Hooks {
    pub(crate) fn set(&self, vendor: Vendor, target: Option<Target>) {
        *write(&self.targets[vendor]) = target.map(Arc::new);
    }

    pub(crate) fn target(&self, vendor: Vendor) -> Option<Arc<Target>> {
        read(&self.targets[vendor]).clone()
    }

    /// The vendor's recorded attempts (the newest [`MAX_RECORDED_ATTEMPTS`]), oldest first.
    pub(crate) fn attempts(&self, vendor: Vendor) -> Vec<DeliveryAttempt> {
        lock(&self.attempts[vendor]).kept.iter().cloned().collect()
    }

    /// The newest `limit` recorded attempts (about `call_id` only, when given), oldest
    /// first, and how many recorded attempts match in all.
    pub(crate) fn recent(
        &self,
        vendor: Vendor,
        call_id: Option<&str>,
        limit: usize,
    ) -> (Vec<DeliveryAttempt>, usize) {
        let record = lock(&self.attempts[vendor]);
        let matching =
            || (record.kept.iter().rev()).filter(|a| call_id.is_none_or(|id| a.call_id == id));
        let mut newest: Vec<DeliveryAttempt> = matching().take(limit).cloned().collect();
        let total = matching().count();
        drop(record);
        newest.reverse();
        (newest, total)
    }

    /// The recorded attempts about one call, oldest first.
    fn call_attempts(&self, vendor: Vendor, call_id: &str) -> Vec<DeliveryAttempt> {
        self.recent(vendor, Some(call_id), usize::MAX).0
    }

    /// How many attempts the vendor's emulator has made, those no longer recorded included.
    pub(crate) fn count(&self, vendor: Vendor) -> u64 {
        lock(&self.attempts[vendor]).made
    }

    /// The HTTP client deliveries go out with; `None` if none can be built.
    fn client(&self) -> Option<&reqwest::Client> {
        self.client
            .get_or_init(|| {
                // No proxy: the sandbox posts to loopback receivers, which a proxy from the
                // environment must not intercept. No redirect: the vendors follow none, and
                // following one would re-send the secret headers to another host.
                reqwest::Client::builder()
                    .no_proxy()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .ok()
            })
            .as_ref()
    }

    pub(crate) fn stop(&self) {
        self.era.send_replace(STOPPED);
    }

    /// Resolves once the sandbox has stopped.
    pub(crate) fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut era = self.era.subscribe();
        async move {
            let _ = era.wait_for(|era| *era == STOPPED).await;
        }
    }

    /// The era deliveries about calls dialed now belong to (read under the store's lock
    /// the call is placed under: [`State::place_dialed`]).
    pub(crate) fn era(&self) -> u64 {
        *self.era.borrow()
    }

    /// Whether `era` is over (a reset or the stop came since).
    fn over(&self, era: u64) -> bool {
        self.era() != era
    }

    /// Ready once `era` is over: what a task waiting on something else selects against.
    async fn ended(&self, era: u64) {
        let mut eras = self.era.subscribe();
        // An error is the sender dropped with the state: nothing is left to wait for.
        let _ = eras.wait_for(|now| *now != era).await;
    }

    /// Ends the deliveries about the calls dialed so far (their tasks post nothing more)
    /// and forgets the attempts recorded; the targets stay.
    pub(crate) fn reset(&self) {
        self.era.send_modify(|era| {
            if *era != STOPPED {
                *era += 1;
            }
        });
        for vendor in Vendor::ALL {
            *lock(&self.attempts[vendor]) = Record::default();
        }
        self.changes.send_modify(|n| *n += 1);
    }

    /// Records an attempt of `era`; none of an era that is over (checked under the record's
    /// lock, which a reset clears after it ends the era: an attempt answered as the reset
    /// came is either cleared with the rest or not recorded).
    fn record(&self, vendor: Vendor, attempt: DeliveryAttempt, era: u64) {
        {
            let mut record = lock(&self.attempts[vendor]);
            if self.over(era) {
                return;
            }
            record.keep(attempt);
            record.made = record.made.saturating_add(1);
        }
        self.changes.send_modify(|n| *n += 1);
    }

    /// One more task delivers about the call, until the guard is dropped (however the
    /// task ends: done, aborted or panicked).
    fn hold(state: &Arc<State>, vendor: Vendor, call_id: &str) -> Pending {
        *lock(&state.hooks.following)
            .entry((vendor, call_id.to_owned()))
            .or_default() += 1;
        Pending {
            state: state.clone(),
            vendor,
            call_id: call_id.to_owned(),
        }
    }

    /// A task delivering about the call is over; the call is settled when none is left.
    fn done(&self, vendor: Vendor, call_id: &str) {
        let key = (vendor, call_id.to_owned());
        let mut following = lock(&self.following);
        if let Some(holders) = following.get_mut(&key) {
            *holders = holders.saturating_sub(1);
            if *holders == 0 {
                following.remove(&key);
            }
        }
        drop(following);
        self.changes.send_modify(|n| *n += 1);
    }

    /// Waits until no delivery about the call is pending (every attempt, retries
    /// included, made), then gives its attempts; `None` when `timeout` passes first.
    pub(crate) async fn settled(
        &self,
        vendor: Vendor,
        call_id: &str,
        timeout: Duration,
    ) -> Option<Vec<DeliveryAttempt>> {
        let key = (vendor, call_id.to_owned());
        self.until(timeout, |following| !following.contains_key(&key))
            .await?;
        Some(self.call_attempts(vendor, call_id))
    }

    /// Waits until no delivery of `vendor` is pending, about any call; then gives all its
    /// attempts recorded; `None` when `timeout` passes first.
    pub(crate) async fn idle(
        &self,
        vendor: Vendor,
        timeout: Duration,
    ) -> Option<Vec<DeliveryAttempt>> {
        self.until(timeout, |following| {
            !following.keys().any(|(followed, _)| *followed == vendor)
        })
        .await?;
        Some(self.attempts(vendor))
    }

    /// Waits until `done` says so of the calls followed (checked at each change); `None`
    /// when `timeout` passes first.
    async fn until(
        &self,
        timeout: Duration,
        done: impl Fn(&HashMap<(Vendor, String), usize>) -> bool,
    ) -> Option<()> {
        let mut changes = self.changes.subscribe();
        let wait = async {
            loop {
                let _ = changes.borrow_and_update();
                if done(&lock(&self.following)) {
                    return;
                }
                if changes.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.ok()
    }
}

/// Starts following a call just dialed in `era`, if its vendor has a webhook target: the
/// call's deliveries all go to that target. Call it after the call is in the store and its
/// lock released; a reset since the dial (`era` over) leaves it unfollowed.
pub(crate) fn follow(state: &Arc<State>, vendor: Vendor, call_id: &str, era: u64) {
    let Some(target) = state.hooks.target(vendor) else {
        return;
    };
    if state.hooks.client().is_none() {
        return;
    }
    // Stopped, or reset since the dial.
    if era == STOPPED || state.hooks.over(era) {
        return;
    }
    let pending = Hooks::hold(state, vendor, call_id);
    // Decided at the dial, so that a fault armed before it is the one that applies.
    let reversed = state
        .faults
        .take_delivery(vendor.kind(), call_id, None, |kind| {
            kind == DeliveryFaultKind::OutOfOrder
        });
    let task = Follow {
        state: state.clone(),
        vendor,
        call_id: call_id.to_owned(),
        target,
        reversed: reversed.is_some(),
        era,
    };
    tokio::spawn(async move {
        let _pending = pending;
        task.run().await;
    });
}

/// A task delivering about a call ([`Hooks::hold`]); the call is settled once none is
/// left.
struct Pending {
    state: Arc<State>,
    vendor: Vendor,
    call_id: String,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.state.hooks.done(self.vendor, &self.call_id);
    }
}

/// The task that follows one dialed call.
struct Follow {
    state: Arc<State>,
    vendor: Vendor,
    call_id: String,
    /// The vendor's target when the call was dialed: every delivery about the call goes
    /// there, whatever target the vendor is given (or loses) meanwhile.
    target: Arc<Target>,
    /// The out-of-order fault: hold every delivery until the call ends, then post them
    /// newest first (the end before the in-progress); a request is posted when it arises.
    reversed: bool,
    /// The era it was dialed in: once over, nothing more is posted about it.
    era: u64,
}

/// How far along a call is, as vendors report it.
fn rank(phase: Phase) -> u8 {
    match phase {
        Phase::Scheduled | Phase::Queued => 0,
        Phase::Dialing | Phase::Ringing => 1,
        Phase::InProgress => 2,
        Phase::Ended(_) | Phase::Canceled => 3,
    }
}

/// The stages a call passed between `from` (a rank) and `now`. Stages skipped between two
/// looks (a late wake-up) are filled in when the call went through them on its own; a call
/// ended or canceled through the API reports only what was seen.
fn stages_passed(from: u8, view: &View) -> Vec<Stage> {
    let to = rank(view.phase);
    let natural = !matches!(
        view.phase,
        Phase::Canceled | Phase::Ended(Outcome::EndedByApi)
    );
    let mut stages = Vec::new();
    if from < 1 && (to == 1 || (to > 1 && natural)) {
        stages.push(Stage::Ringing);
    }
    // A call that connected was in progress, however it ended (a stop through the API
    // just after it connected included): its start is reported.
    if from < 2 && (to == 2 || (to > 2 && view.started_at.is_some())) {
        stages.push(Stage::InProgress);
    }
    if from < 3 && to == 3 {
        stages.push(Stage::Ended);
    }
    stages
}

/// The call as vendors described it when it reached `stage` (`now` is how it stands now).
fn view_at(stage: Stage, now: &View) -> View {
    match stage {
        Stage::Ringing => View {
            phase: Phase::Ringing,
            started_at: None,
            ended_at: None,
            duration_secs: None,
        },
        Stage::InProgress => View {
            phase: Phase::InProgress,
            started_at: now.started_at,
            ended_at: None,
            duration_secs: None,
        },
        Stage::Ended => *now,
    }
}

/// What `vendor` posts to `target` when `call` reaches `stage`.
fn deliveries(
    state: &State,
    vendor: Vendor,
    target: &Target,
    call: &SimCall,
    view: &View,
    stage: Stage,
) -> Vec<Outgoing> {
    let at = Utc::now();
    let family = |flavor| Family {
        flavor,
        origin: state.origin(),
    };
    let tool_calls = stage == Stage::InProgress && target.tool_calls;
    let vapi_family = |flavor| {
        let family = family(flavor);
        let mut outgoing = family.stage_deliveries(call, view, stage, at);
        if target.every_event {
            family.add_every_event(&mut outgoing, call, view, stage, at);
        }
        outgoing.extend(
            tool_calls
                .then(|| family.tool_calls(call, view, at))
                .flatten(),
        );
        outgoing
    };
    match vendor {
        Vendor::HappyRobot => happyrobot::stage_deliveries(call, view, stage),
        Vendor::Voicebot => vapi_family(Flavor::Voicebot),
        Vendor::Rounded => rounded::stage_deliveries(call, view, stage, at),
        Vendor::Vapi => vapi_family(Flavor::Vapi),
        Vendor::Retell => retell::stage_deliveries(call, view, stage, target.every_event),
    }
}

/// Whether the call was deleted: nothing more is posted about it.
fn deleted(state: &State, vendor: Vendor, call_id: &str) -> bool {
    state.calls(vendor).get(call_id).is_none()
}

impl Follow {
    async fn run(self) {
        let hooks = &self.state.hooks;
        let mut reached = 0;
        let mut held = Vec::new();
        loop {
            let now = Instant::now();
            let (outgoing, ended, next) = {
                let store = self.state.calls(self.vendor);
                // Deleted: nothing more to say about it, held deliveries included.
                let Some(call) = store.get(&self.call_id) else {
                    held.clear();
                    break;
                };
                let view = call.view(now, &self.state.timing);
                let outgoing: Vec<Outgoing> = stages_passed(reached, &view)
                    .into_iter()
                    .flat_map(|stage| {
                        deliveries(
                            &self.state,
                            self.vendor,
                            &self.target,
                            call,
                            &view_at(stage, &view),
                            stage,
                        )
                    })
                    .collect();
                reached = reached.max(rank(view.phase));
                let next = call.next_change(now, &self.state.timing);
                (outgoing, reached == 3, next)
            };
            for delivery in outgoing {
                // Stopped (or reset) while sending: nothing more goes out.
                if hooks.over(self.era) {
                    held.clear();
                    break;
                }
                // A request waits for its answer mid-call: it is never held back.
                if self.reversed && !delivery.request {
                    held.push(delivery);
                } else {
                    self.send(delivery).await;
                }
            }
            if hooks.over(self.era) || ended {
                break;
            }
            let nap = next.map_or(MAX_NAP, |at| at.saturating_duration_since(now).min(MAX_NAP));
            let wake = tokio::time::Instant::from_std(now + nap);
            tokio::select! {
                // The stop first, even when the nap is over too.
                biased;
                () = hooks.ended(self.era) => {
                    held.clear();
                    break;
                }
                () = tokio::time::sleep_until(wake) => {}
            }
        }
        for delivery in held.into_iter().rev() {
            if hooks.over(self.era) {
                break;
            }
            self.send(delivery).await;
        }
    }

    /// Posts one delivery (twice under the duplicate fault), with the target's retries.
    async fn send(&self, delivery: Outgoing) {
        // Deleted since the last look (while an earlier delivery was being posted), or the
        // sandbox stopped: nothing more goes out about it (nor are faults used up).
        if self.state.hooks.over(self.era) || deleted(&self.state, self.vendor, &self.call_id) {
            return;
        }
        let target = &self.target;
        let kind = self.vendor.kind();
        let faults = &self.state.faults;
        let event = Some(delivery.event.as_str());
        let call_id = self.call_id.as_str();
        // Without a scheme there is no signature to get wrong: the fault stays unused.
        let forged = target.forger.is_some()
            && faults
                .take_delivery(kind, call_id, event, |k| {
                    k == DeliveryFaultKind::WrongSignature
                })
                .is_some();
        // Without a signing time there is nothing to go stale: the fault stays unused.
        let stale = target.signer.tolerance().is_some()
            && faults
                .take_delivery(kind, call_id, event, |k| {
                    k == DeliveryFaultKind::StaleSignature
                })
                .is_some();
        let twice = faults
            .take_delivery(kind, call_id, event, |k| k == DeliveryFaultKind::Duplicate)
            .is_some();
        let body = Bytes::from(serde_json::to_vec(&delivery.body).unwrap_or_default());
        let spoiled = Spoiled { forged, stale };
        for duplicate in [false, true].into_iter().take(if twice { 2 } else { 1 }) {
            self.post(target, &delivery, body.clone(), spoiled, duplicate)
                .await;
        }
    }

    async fn post(
        &self,
        target: &Arc<Target>,
        delivery: &Outgoing,
        body: Bytes,
        spoiled: Spoiled,
        duplicate: bool,
    ) {
        let attempts = Attempts {
            state: self.state.clone(),
            vendor: self.vendor,
            call_id: self.call_id.clone(),
            target: target.clone(),
            event: delivery.event.clone(),
            vendor_status: delivery.vendor_status.clone(),
            body,
            spoiled,
            duplicate,
            era: self.era,
        };
        if attempts.make(1).await {
            return;
        }
        let retries = 2..=target.retries.saturating_add(1);
        if retries.is_empty() {
            return;
        }
        if self.vendor.retries_in_background() {
            // The call's later deliveries go out meanwhile; the call stays pending (for
            // `wait_for_deliveries`) until its retries are over.
            let pending = Hooks::hold(&self.state, self.vendor, &self.call_id);
            tokio::spawn(async move {
                let _pending = pending;
                attempts.retry(retries).await;
            });
        } else {
            attempts.retry(retries).await;
        }
    }
}

/// One delivery's attempts, owned, so that its retries can go on on their own task.
struct Attempts {
    state: Arc<State>,
    vendor: Vendor,
    call_id: String,
    target: Arc<Target>,
    event: String,
    vendor_status: Option<String>,
    body: Bytes,
    spoiled: Spoiled,
    duplicate: bool,
    /// The era of its call ([`Follow::era`]).
    era: u64,
}

/// How a delivery's signature is spoiled by the faults that fired on it.
#[derive(Debug, Clone, Copy, Default)]
struct Spoiled {
    /// Signed with a wrong secret.
    forged: bool,
    /// Signed at a time past the scheme's tolerance.
    stale: bool,
}

impl Attempts {
    /// The retries numbered `numbers`, each after the target's delay, until one is taken,
    /// the call is deleted or the sandbox stops.
    async fn retry(&self, numbers: std::ops::RangeInclusive<u32>) {
        for attempt in numbers {
            tokio::select! {
                // The stop (or a reset) first: a zero delay is ready at once too.
                biased;
                () = self.state.hooks.ended(self.era) => return,
                () = tokio::time::sleep(self.target.retry_delay) => {}
            }
            // A call deleted meanwhile posts nothing more (its follower stops too; Retell's
            // retries run on their own task and must see it themselves).
            if deleted(&self.state, self.vendor, &self.call_id) {
                return;
            }
            if self.make(attempt).await {
                return;
            }
        }
    }

    /// Posts attempt number `attempt` and records it; whether the receiver took it.
    async fn make(&self, attempt: u32) -> bool {
        // Stopped (during the previous attempt, say, before a duplicate): nothing is sent.
        // Checked before the request exists, as its first poll may already send it.
        if self.state.hooks.over(self.era) {
            return true;
        }
        let Some(client) = self.state.hooks.client() else {
            return true;
        };
        let target = &self.target;
        let at = Utc::now();
        let signer = match (&target.forger, self.spoiled.forged) {
            (Some(forger), true) => forger,
            _ => &target.signer,
        };
        // A minute past the tolerance: what a replayed delivery was signed at.
        let signed_at = match (self.spoiled.stale, signer.tolerance()) {
            (true, Some(tolerance)) => {
                let past = tolerance + Duration::from_secs(60);
                at - chrono::TimeDelta::from_std(past).unwrap_or(chrono::TimeDelta::hours(1))
            }
            _ => at,
        };
        let request = client
            .post(signer.signed_url(&target.url.0))
            .timeout(target.timeout)
            .header("content-type", "application/json")
            .headers(signer.sign(&self.body, signed_at))
            .body(self.body.clone());
        let exchange = async {
            match request.send().await {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    match read_capped(&mut response).await {
                        Ok(body) => (Some(status), Some(body).filter(|b| !b.is_empty()), None),
                        Err(error) => {
                            let error = format!("reading the answer: {}", describe(&error));
                            (Some(status), None, Some(error))
                        }
                    }
                }
                Err(error) => (None, None, Some(describe(&error))),
            }
        };
        // The sandbox stopping ends an attempt still waiting (its timeout may be long):
        // nothing is recorded, nothing retried.
        let (status_code, reply, error) = tokio::select! {
            // The stop (or a reset) first: an exchange polled after it could still send.
            biased;
            () = self.state.hooks.ended(self.era) => return true,
            answered = exchange => answered,
        };
        let record = DeliveryAttempt {
            url: target.url.shown(),
            call_id: self.call_id.clone(),
            event: self.event.clone(),
            vendor_status: self.vendor_status.clone(),
            attempt,
            status_code,
            reply,
            error,
            wrong_signature: self.spoiled.forged,
            stale_signature: self.spoiled.stale,
            duplicate: self.duplicate,
            body: self.body.clone(),
            at,
        };
        let accepted = record.accepted();
        self.state.hooks.record(self.vendor, record, self.era);
        accepted
    }
}

/// The first [`MAX_REPLY_BYTES`] of an answer's body; the rest is left unread.
async fn read_capped(response: &mut reqwest::Response) -> reqwest::Result<Bytes> {
    let mut reply = Vec::new();
    while reply.len() < MAX_REPLY_BYTES {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let room = MAX_REPLY_BYTES - reply.len();
        reply.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(Bytes::from(reply))
}

/// Why an attempt got no answer, in a few words (never the URL's credentials).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        "the request failed".into()
    }
}

/// The target as JSON for the control API, without its secret.
pub(crate) fn describe_target(target: &Target) -> Value {
    serde_json::json!({
        "url": target.url.shown(),
        "verify": target.scheme.as_str(),
        "header": target.header,
        "retries": target.retries,
        "timeout_ms": target.timeout.as_millis() as u64,
        "retry_delay_ms": target.retry_delay.as_millis() as u64,
        "tool_calls": target.tool_calls,
        "every_event": target.every_event,
    })
}

/// An attempt as the control API shows it. The body and a JSON reply are written as the
/// text they were, checked but not parsed into a tree: the record may hold up to
/// [`MAX_RECORDED_ATTEMPT_BYTES`] of them, which as trees would take several times that.
#[derive(Serialize)]
pub(crate) struct AttemptShown<'a> {
    url: &'a str,
    call_id: &'a str,
    event: &'a str,
    vendor_status: Option<&'a str>,
    attempt: u32,
    status_code: Option<u16>,
    error: Option<&'a str>,
    wrong_signature: bool,
    stale_signature: bool,
    duplicate: bool,
    at: String,
    /// `null` where it is not JSON.
    body: Option<&'a RawValue>,
    reply: Option<ReplyShown<'a>>,
}

/// A reply: JSON where it is, else its text.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum ReplyShown<'a> {
    Json(&'a RawValue),
    Text(std::borrow::Cow<'a, str>),
}

/// An attempt for the control API ([`AttemptShown`]).
pub(crate) fn describe_attempt(attempt: &DeliveryAttempt) -> AttemptShown<'_> {
    let reply = (attempt.reply.as_deref()).map(|reply| match serde_json::from_slice(reply) {
        Ok(json) => ReplyShown::Json(json),
        Err(_) => ReplyShown::Text(String::from_utf8_lossy(reply)),
    });
    AttemptShown {
        url: &attempt.url,
        call_id: &attempt.call_id,
        event: &attempt.event,
        vendor_status: attempt.vendor_status.as_deref(),
        attempt: attempt.attempt,
        status_code: attempt.status_code,
        error: attempt.error.as_deref(),
        wrong_signature: attempt.wrong_signature,
        stale_signature: attempt.stale_signature,
        duplicate: attempt.duplicate,
        at: crate::common::iso(attempt.at),
        body: serde_json::from_slice(&attempt.body).ok(),
        reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(secret: &str) -> WebhookConfig {
        WebhookConfig::with_secret(secret)
    }

    /// Vapi's family waits as long as its `server.timeoutSeconds` (the table's
    /// `reply_timeout_secs`) says, at most the longest a target may; the others keep
    /// their own policy.
    #[test]
    fn the_vapi_family_waits_as_its_configured_reply_timeout_says() {
        let waiting = |secs: f64| {
            let mut config = secret("s");
            config.reply_timeout_secs = Some(secs);
            config
        };
        let url = "http://127.0.0.1:9/webhooks/x";
        for kind in [ProviderKind::Vapi, ProviderKind::Voicebot] {
            let target = WebhookTarget::for_vendor(kind, url, waiting(60.0));
            assert_eq!(target.timeout, Duration::from_secs(60), "{kind}");
            let target = WebhookTarget::for_vendor(kind, url, waiting(900.0));
            assert_eq!(target.timeout, MAX_DELIVERY_TIMEOUT, "{kind}");
            let target = WebhookTarget::for_vendor(kind, url, secret("s"));
            assert_eq!(target.timeout, DEFAULT_DELIVERY_TIMEOUT, "{kind}");
        }
        let retell = WebhookTarget::for_vendor(ProviderKind::Retell, url, waiting(60.0));
        assert_eq!(
            (retell.retries, retell.timeout),
            (3, RETELL_DELIVERY_TIMEOUT)
        );
    }

    fn view(phase: Phase, answered: bool) -> View {
        View {
            phase,
            started_at: answered.then(Utc::now),
            ended_at: matches!(phase, Phase::Ended(_) | Phase::Canceled).then(Utc::now),
            duration_secs: None,
        }
    }

    #[test]
    fn skipped_stages_are_filled_in_only_when_the_call_went_through_them() {
        let ended = Phase::Ended(Outcome::CustomerEnded);
        assert_eq!(
            stages_passed(0, &view(ended, true)),
            [Stage::Ringing, Stage::InProgress, Stage::Ended]
        );
        assert_eq!(stages_passed(2, &view(ended, true)), [Stage::Ended]);
        // Never answered: no in-progress.
        assert_eq!(
            stages_passed(1, &view(Phase::Ended(Outcome::NoAnswer), false)),
            [Stage::Ended]
        );
        assert_eq!(
            stages_passed(0, &view(Phase::Ended(Outcome::Busy), false)),
            [Stage::Ringing, Stage::Ended]
        );
        // Canceled or stopped through the API: no ringing that was not seen, but a call that
        // connected reports its start, as the vendor did when it connected.
        assert_eq!(
            stages_passed(0, &view(Phase::Canceled, false)),
            [Stage::Ended]
        );
        assert_eq!(
            stages_passed(1, &view(Phase::Ended(Outcome::EndedByApi), true)),
            [Stage::InProgress, Stage::Ended]
        );
        assert_eq!(
            stages_passed(1, &view(Phase::Ended(Outcome::EndedByApi), false)),
            [Stage::Ended]
        );
        assert_eq!(stages_passed(0, &view(Phase::Queued, false)), []);
        assert_eq!(
            stages_passed(0, &view(Phase::Ringing, false)),
            [Stage::Ringing]
        );
        // Placed, not ringing yet: the vendors that post ringing post it from here, and
        // the ringing after it posts nothing more.
        assert_eq!(
            stages_passed(0, &view(Phase::Dialing, false)),
            [Stage::Ringing]
        );
        assert_eq!(
            stages_passed(rank(Phase::Dialing), &view(Phase::Ringing, false)),
            []
        );
        assert_eq!(stages_passed(3, &view(ended, true)), []);
    }

    fn attempt(n: usize) -> DeliveryAttempt {
        DeliveryAttempt {
            url: "http://127.0.0.1:9/hook".into(),
            call_id: format!("call-{n}"),
            event: "call_ended".into(),
            vendor_status: None,
            attempt: 1,
            status_code: Some(204),
            reply: None,
            error: None,
            wrong_signature: false,
            stale_signature: false,
            duplicate: false,
            body: Bytes::from_static(b"{}"),
            at: Utc::now(),
        }
    }

    /// A 2xx is an accepted attempt only when its answer arrived whole.
    #[test]
    fn a_2xx_whose_answer_broke_off_is_not_accepted() {
        let mut answered = attempt(0);
        assert!(answered.accepted());
        answered.error = Some("reading the answer: timed out".into());
        assert!(!answered.accepted());
        answered.error = None;
        answered.status_code = Some(503);
        assert!(!answered.accepted());
    }

    /// The record keeps the newest attempts, per vendor, up to its cap; the count says
    /// how many were made.
    #[test]
    fn the_record_keeps_the_newest_attempts_up_to_its_cap() {
        let hooks = Hooks::default();
        let over = 7;
        for n in 0..MAX_RECORDED_ATTEMPTS + over {
            hooks.record(Vendor::Retell, attempt(n), 0);
        }
        hooks.record(Vendor::Vapi, attempt(0), 0);
        let kept = hooks.attempts(Vendor::Retell);
        assert_eq!(kept.len(), MAX_RECORDED_ATTEMPTS);
        assert_eq!(kept[0].call_id, format!("call-{over}"));
        let newest = MAX_RECORDED_ATTEMPTS + over - 1;
        assert_eq!(kept[kept.len() - 1].call_id, format!("call-{newest}"));
        assert_eq!(
            hooks.count(Vendor::Retell),
            (MAX_RECORDED_ATTEMPTS + over) as u64
        );
        // Another vendor's record is its own.
        assert_eq!(hooks.attempts(Vendor::Vapi).len(), 1);
        assert_eq!(hooks.count(Vendor::Vapi), 1);
        // A call's attempts come from what is kept.
        assert!(hooks.call_attempts(Vendor::Retell, "call-0").is_empty());
        let last = hooks.call_attempts(Vendor::Retell, &format!("call-{newest}"));
        assert_eq!(last.len(), 1);
    }

    #[test]
    fn a_target_needs_a_url_and_a_usable_signing_config() {
        let config = secret("s");
        assert!(
            WebhookTarget::new("http://127.0.0.1:9/hook", config.clone())
                .resolve(ProviderKind::Voicebot)
                .is_ok()
        );
        let err = WebhookTarget::new("not a url", config.clone())
            .resolve(ProviderKind::Voicebot)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a URL"), "{err}");
        let err = WebhookTarget::new("ftp://127.0.0.1/hook", config)
            .resolve(ProviderKind::Voicebot)
            .unwrap_err()
            .to_string();
        assert!(err.contains("http"), "{err}");
        // The header scheme without a secret cannot sign.
        let err = WebhookTarget::new("http://127.0.0.1:9/hook", WebhookConfig::default())
            .resolve(ProviderKind::HappyRobot)
            .unwrap_err()
            .to_string();
        assert!(err.contains("secret"), "{err}");
    }

    /// The vendors' bounds: unbounded retries with no timeout or pause would post in a
    /// tight loop for ever.
    #[test]
    fn a_target_past_the_vendors_bounds_is_refused() {
        let target = || WebhookTarget::new("http://127.0.0.1:9/hook", secret("s"));
        let at_the_bounds = target()
            .retries(MAX_RETRIES)
            .timeout(MAX_DELIVERY_TIMEOUT)
            .retry_delay(MAX_RETRY_DELAY);
        assert!(at_the_bounds.resolve(ProviderKind::Vapi).is_ok());
        let shortest = target()
            .timeout(Duration::from_millis(1))
            .retry_delay(Duration::ZERO);
        assert!(shortest.resolve(ProviderKind::Vapi).is_ok());
        for (beyond, says) in [
            (target().retries(MAX_RETRIES + 1), "webhooks.vapi.retries"),
            (target().retries(u32::MAX), "at most 10"),
            (target().timeout(Duration::ZERO), "webhooks.vapi.timeout_ms"),
            (
                target().timeout(Duration::from_micros(999)),
                "1 to 300000 ms",
            ),
            (
                target().timeout(MAX_DELIVERY_TIMEOUT + Duration::from_millis(1)),
                "timeout_ms",
            ),
            (target().timeout(Duration::MAX), "timeout_ms"),
            (
                target().retry_delay(MAX_RETRY_DELAY + Duration::from_millis(1)),
                "retry_delay_ms",
            ),
            (target().retry_delay(Duration::MAX), "retry_delay_ms"),
        ] {
            let err = beyond.resolve(ProviderKind::Vapi).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
    }

    /// A setting that a header cannot carry would be dropped when signing: every delivery
    /// would go out unsigned.
    #[test]
    fn a_target_whose_signature_cannot_be_sent_is_refused() {
        let config = |json: Value| -> WebhookConfig { serde_json::from_value(json).unwrap() };
        // A prefix is the HMAC scheme's own: nothing else checks it.
        for prefix in ["sha256=\n", "sha256=\r\nx-injected: 1", "é="] {
            let unsendable = config(
                serde_json::json!({"verify": "hmac", "secret": "k", "signature_prefix": prefix}),
            );
            let err = WebhookTarget::new("http://127.0.0.1:9/hook", unsendable.clone())
                .resolve(ProviderKind::Vapi)
                .unwrap_err()
                .to_string();
            assert!(err.contains("does not verify"), "{unsendable:?}: {err}");
        }
        // A tolerance no delivery could meet: the receiver would refuse every one.
        let refusing =
            config(serde_json::json!({"verify": "hmac", "secret": "k", "tolerance_secs": 0}));
        let err = WebhookTarget::new("http://127.0.0.1:9/hook", refusing)
            .resolve(ProviderKind::Vapi)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tolerance_secs"), "{err}");
        // Every scheme that can sign passes its own check, the URL's secret included.
        for (kind, json) in [
            (
                ProviderKind::Vapi,
                serde_json::json!({"verify": "hmac", "secret": "k", "signature_prefix": "sha256="}),
            ),
            (
                ProviderKind::Vapi,
                serde_json::json!({"verify": "bearer", "secret": "k"}),
            ),
            (
                ProviderKind::Rounded,
                serde_json::json!({"verify": "query", "secret": "k"}),
            ),
            (ProviderKind::Retell, serde_json::json!({})),
            (
                ProviderKind::HappyRobot,
                serde_json::json!({"verify": "none"}),
            ),
            (
                ProviderKind::Vapi,
                serde_json::json!({"verify": "hmac", "secret": "k", "tolerance_secs": 1}),
            ),
        ] {
            let target = WebhookTarget::new("http://127.0.0.1:9/hook?a=1", config(json.clone()));
            assert!(target.resolve(kind).is_ok(), "{kind}: {json}");
        }
        // A check the vendor's own deliveries cannot pass is not emulated: Retell signs
        // every delivery its one way, HappyRobot's hooks carry headers and no signature,
        // Rounded's agents take a URL and no headers, and only Retell writes its signature.
        for (kind, json) in [
            (
                ProviderKind::Rounded,
                serde_json::json!({"verify": "header", "secret": "k"}),
            ),
            (
                ProviderKind::Rounded,
                serde_json::json!({"verify": "hmac", "secret": "k"}),
            ),
            (
                ProviderKind::Vapi,
                serde_json::json!({"verify": "retell", "secret": "k"}),
            ),
            (
                ProviderKind::Retell,
                serde_json::json!({"verify": "header", "secret": "k"}),
            ),
            (ProviderKind::Retell, serde_json::json!({"verify": "none"})),
            (
                ProviderKind::HappyRobot,
                serde_json::json!({"verify": "hmac", "secret": "k"}),
            ),
            (
                ProviderKind::HappyRobot,
                serde_json::json!({"verify": "retell", "secret": "k"}),
            ),
        ] {
            let target = WebhookTarget::new("http://127.0.0.1:9/hook", config(json.clone()));
            let err = target
                .resolve(kind)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains(".verify") && err.contains("does not send"),
                "{kind}: {json}: {err}"
            );
        }
    }

    /// Nothing is posted once the sandbox stops, a duplicate due after the first posting
    /// included.
    #[tokio::test]
    async fn an_attempt_after_the_stop_sends_nothing() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let timing = crate::Timing::default();
        let state = Arc::new(State::new(
            3,
            PerVendor::from_fn(|_| crate::store::History { count: 0, burst: 1 }),
            timing,
        ));
        let target = WebhookTarget::new(&url, secret("s"))
            .resolve(ProviderKind::Vapi)
            .unwrap();
        let attempts = Attempts {
            state: state.clone(),
            vendor: Vendor::Vapi,
            call_id: "call-1".into(),
            target: Arc::new(target),
            event: "end-of-call-report".into(),
            vendor_status: None,
            body: Bytes::from_static(b"{}"),
            spoiled: Spoiled::default(),
            duplicate: true,
            era: state.hooks.era(),
        };
        state.hooks.stop();
        // An unbiased `select!` polls the request first about half the time, which
        // connects: enough tries that one would.
        for _ in 0..32 {
            assert!(attempts.make(1).await, "a stopped attempt is over");
        }
        let accepted = listener.accept();
        assert!(
            matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a connection was made after the stop: {accepted:?}"
        );
        assert!(state.hooks.attempts(Vendor::Vapi).is_empty());
    }

    /// The record is bounded by its bytes as well as its count: large bodies push the
    /// oldest attempts out, and one larger than the whole budget is kept alone.
    #[test]
    fn the_record_keeps_its_bytes_bounded() {
        let mut record = Record::default();
        let large = |n: usize| DeliveryAttempt {
            // Zeroed: the pages are never touched (the record reads only the length).
            body: Bytes::from(vec![0u8; MAX_RECORDED_ATTEMPT_BYTES / 4]),
            ..attempt(n)
        };
        for n in 0..6 {
            record.keep(large(n));
        }
        let kept: Vec<&str> = record.kept.iter().map(|a| a.call_id.as_str()).collect();
        assert_eq!(kept, ["call-2", "call-3", "call-4", "call-5"]);
        assert_eq!(record.bytes, MAX_RECORDED_ATTEMPT_BYTES);
        record.keep(DeliveryAttempt {
            body: Bytes::from(vec![0u8; MAX_RECORDED_ATTEMPT_BYTES + 1]),
            ..attempt(6)
        });
        assert_eq!(record.kept.len(), 1);
        assert_eq!(record.bytes, MAX_RECORDED_ATTEMPT_BYTES + 1);
        // The count bound holds as before.
        let mut record = Record::default();
        for n in 0..MAX_RECORDED_ATTEMPTS + 3 {
            record.keep(attempt(n));
        }
        assert_eq!(record.kept.len(), MAX_RECORDED_ATTEMPTS);
        assert_eq!(
            record.kept.front().map(|a| a.call_id.as_str()),
            Some("call-3")
        );
    }

    #[test]
    fn recent_attempts_are_the_newest_matching_ones_oldest_first() {
        let hooks = Hooks::default();
        for n in 0..10 {
            let mut made = attempt(n % 2);
            made.attempt = n as u32;
            hooks.record(Vendor::Vapi, made, 0);
        }
        let numbers = |(attempts, total): (Vec<DeliveryAttempt>, usize)| {
            let numbers: Vec<u32> = attempts.iter().map(|a| a.attempt).collect();
            (numbers, total)
        };
        assert_eq!(
            numbers(hooks.recent(Vendor::Vapi, None, 3)),
            (vec![7, 8, 9], 10)
        );
        assert_eq!(
            numbers(hooks.recent(Vendor::Vapi, Some("call-0"), 2)),
            (vec![6, 8], 5)
        );
        assert_eq!(
            numbers(hooks.recent(Vendor::Vapi, Some("call-1"), usize::MAX)),
            (vec![1, 3, 5, 7, 9], 5)
        );
        assert_eq!(
            numbers(hooks.recent(Vendor::Vapi, Some("other"), 5)),
            (vec![], 0)
        );
        assert_eq!(numbers(hooks.recent(Vendor::Vapi, None, 0)), (vec![], 10));
    }

    #[test]
    fn the_forger_signs_with_a_wrong_secret_and_the_signer_with_the_right_one() {
        let config = secret("right");
        let target = WebhookTarget::new("http://127.0.0.1:9/hook", config)
            .resolve(ProviderKind::Voicebot)
            .unwrap();
        let checker = Verifier::with_secret(ProviderKind::Voicebot, SecretString::from("right"));
        let now = Utc::now();
        let good = target.signer.sign(b"{}", now);
        assert!(checker.verify(&good, b"{}").is_ok());
        let bad = target.forger.as_ref().unwrap().sign(b"{}", now);
        assert!(checker.verify(&bad, b"{}").is_err());
        // The description never shows the secret.
        let text = describe_target(&target).to_string();
        assert!(!text.contains("right"), "{text}");
    }
}
