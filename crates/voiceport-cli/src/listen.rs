//! `voiceport listen`: the webhook receiver for every configured provider, printing each
//! verified, normalized event as it arrives (and re-posting it with `--forward`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use voiceport::webhooks::{Delivery, EventKey, HandlerError, Receiver};
use voiceport::{CallEvent, ProviderKind, Registry};

use crate::cli::ListenArgs;
use crate::interrupts::StopSignal;
use crate::serve::Limits;
use crate::urls::{shown_origin, shown_url};
use crate::{Failure, Outcome, lock, output};

/// How long the local app of `--forward` has to answer: well within the time vendors give
/// a delivery (Retell 10 s, Vapi 20 s), so that its failure reaches the vendor as ours.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// What a request the vendor waits on (a tool call may take a while) leaves of its
/// [deadline](Delivery::reply_deadline) for the answer's way back: the local app has the
/// rest, so that the vendor hears of its failure as a 500 rather than a timeout.
const REQUEST_FORWARD_MARGIN: Duration = Duration::from_millis(500);

/// The pauses before posting again to a local app that refused the connection (it is
/// restarting): nothing reached it, so posting again is safe, within the forward's time.
const FORWARD_RECONNECT_PAUSES: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_millis(400),
    Duration::from_millis(800),
];

/// The largest reply of the local app passed on to the vendor: a tool call's results or
/// an assistant's id take a few KiB. More is not read (nor held), and the vendor gets no
/// answer.
const FORWARD_REPLY_LIMIT: usize = 64 * 1024;

/// The providers of `served` whose webhook table checks nothing (`verify = "none"`).
fn unverified<'a>(registry: &Registry, served: &'a [String]) -> Vec<&'a str> {
    let providers = &registry.file().providers;
    (served.iter())
        .filter(|name| {
            let webhook = providers
                .get(name.as_str())
                .and_then(|p| p.webhook.as_ref());
            webhook.is_some_and(|w| w.verify == Some(voiceport::webhooks::Scheme::None))
        })
        .map(String::as_str)
        .collect()
}

pub(crate) async fn run(
    registry: Registry,
    args: ListenArgs,
    provider: Option<String>,
    json: bool,
) -> Outcome {
    // Heard from the start: a Ctrl-C sent once the address is printed drains, as any.
    let ctrl_c = StopSignal::listen()?;
    // Served on its own: other paths are refused (and warned of) by the receiver too.
    let mut builder = Receiver::builder(&registry).refuse_other_paths();
    // `-p NAME` serves that provider, as `--only NAME` does.
    let only: Vec<String> = args.providers.iter().cloned().chain(provider).collect();
    // `--only all`, as the walks read it (`Selection::parse`): every provider with a
    // webhook table. Names that come to none (`--only ""`, an unset variable) are refused
    // as the walks refuse them, rather than read as no choice, which would serve them all.
    if !only.is_empty() {
        match voiceport::Selection::parse(&only.join(",")) {
            voiceport::Selection::Named(names) if names.is_empty() => {
                return Err(Failure::Usage(
                    "no provider selected: `--only` (or `-p`) names none".into(),
                ));
            }
            voiceport::Selection::Named(names) => builder = builder.providers(names),
            // `all`: the receiver's default, every provider with a webhook table.
            _ => {}
        }
    }
    let served = builder.served()?;
    if served.is_empty() {
        return Err(Failure::Usage(format!(
            "no provider has a [providers.NAME.webhook] table: nothing to listen for \
             (the sandbox writes them into its configuration when started with \
             `--webhooks {}`, where this listens)",
            listening_url(args.bind, args.port)
        )));
    }
    let forward = args.forward.map(forward_to_url).transpose()?;
    // Bound, and said on standard error, before the receiver is built: its warnings (a
    // provider not verified) come after the address a script reads from the first line.
    let address = std::net::SocketAddr::new(args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| Failure::cannot_listen("listen", address, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Io("the listening address".into(), e))?;
    output::say(&format!(
        "listening on http://{addr}/webhooks/{{provider}} for: {}",
        served.join(", ")
    ));
    // The receiver warns of it as it is built, unless a log filter (`RUST_LOG=error`)
    // hides that warning: then it is said here, as nobody should serve unverified
    // deliveries unawares (and nobody needs to be told twice).
    let receiver_warns = tracing::enabled!(target: "voiceport::webhooks", tracing::Level::WARN);
    if !receiver_warns {
        for name in unverified(&registry, &served) {
            output::say(&format!(
                "provider `{name}`: webhook deliveries are NOT verified (verify = \"none\"): anyone who can reach this address can post events"
            ));
        }
    }
    let state = Arc::new(Listening {
        forward,
        json,
        printing: Arc::new(tokio::sync::Semaphore::new(1)),
        seen: Mutex::new(Seen::default()),
        unprinted: Mutex::new(Unprinted::default()),
        output_closed: Arc::new(tokio::sync::Notify::new()),
        said_closed: std::sync::atomic::AtomicBool::new(false),
    });
    // A closed standard output stops `listen` as Ctrl-C does (below), not the process.
    output::closed_output_returned();
    // The deliveries being handled: one whose vendor hung up goes on on a task of its own,
    // which the server's drain does not wait for.
    let running = builder.running_handlers();
    let handled = state.clone();
    let router = builder.handler(move |delivery| {
        let state = handled.clone();
        async move { state.handle(delivery).await }
    })?;
    let stops = Stops {
        ctrl_c,
        output_closed: state.output_closed.clone(),
    };
    serve_until_stopped(listener, router, stops, running).await;
    state.report_at_end()
}

/// What stops `listen`: a Ctrl-C (or SIGTERM, SIGHUP), or its standard output closing.
struct Stops {
    ctrl_c: StopSignal,
    output_closed: Arc<tokio::sync::Notify>,
}

/// Serves `router` on `listener` until a Ctrl-C or a closed standard output; then, for a
/// while, finishes the deliveries it holds (one whose sender never finishes its body, or
/// whose printing is stuck, would hold it for ever) and the handlers that outlived their
/// request. A second Ctrl-C ends it at once.
async fn serve_until_stopped(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    stops: Stops,
    running: voiceport::webhooks::RunningHandlers,
) {
    let Stops {
        mut ctrl_c,
        output_closed,
    } = stops;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = crate::serve::serve(listener, router, Limits::default(), async {
        let _ = stopped.await;
    });
    let drained = async {
        // "Ctrl-C again" only where one was pressed.
        let again = tokio::select! {
            () = ctrl_c.received() => " again",
            () = output_closed.notified() => "",
        };
        let _ = stop.send(());
        output::say_detached(format!(
            "stopping: finishing the deliveries in progress for up to {} s (Ctrl-C{again} to quit now)",
            DRAIN.as_secs()
        ));
        // Said when something was cut off: the deliveries still held then get no answer.
        let cut = tokio::select! {
            () = ctrl_c.received() => format!("quitting now (Ctrl-C{again}): the deliveries still in progress get no answer"),
            () = tokio::time::sleep(DRAIN) => format!(
                "stopped after {} s: the deliveries still in progress get no answer",
                DRAIN.as_secs()
            ),
        };
        output::say_detached(cut);
    };
    // Done once the server has drained its connections and the handlers that outlived
    // their request have ended (an event being forwarded or printed), within the drain.
    let finished = async move {
        serving.await;
        running.finished(Duration::MAX).await;
    };
    tokio::select! {
        () = finished => {}
        () = drained => {}
    }
    // Said after the notice that it is stopping, which may still be on its way.
    output::settle_detached(LAST_WORD);
}

/// The client and URL of `--forward`, checked before anything is served: a URL that
/// cannot be posted to would fail every delivery, each retried.
fn forward_to_url(url: String) -> Result<Forward, Failure> {
    let parsed = crate::urls::http_url("--forward", &url)?;
    // Each forward sets its own timeout (a request the vendor waits on gets longer). A
    // redirect is not followed: reqwest would turn the POST into a bodiless GET (301-303),
    // whose 2xx would count as taken, or re-post the event elsewhere.
    let mut client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    // The local app is reached directly, never through the environment's proxy (which
    // would see every event, and often cannot reach this machine's loopback).
    if is_loopback(&parsed) {
        client = client.no_proxy();
    }
    let client = client
        .build()
        .map_err(|e| Failure::Usage(format!("cannot forward: {e}")))?;
    Ok(Forward {
        client,
        // The path of a local app's URL names the route; another host's may hold a secret.
        shown: match is_loopback(&parsed) {
            true => shown_url(&parsed),
            false => shown_origin(&parsed),
        },
        url,
        gave_up_at: Mutex::new(None),
        explained: Mutex::new(std::collections::BTreeSet::new()),
    })
}

/// What `listen`'s handler shares across deliveries.
///
/// Each event is forwarded, then printed, before the vendor gets its answer (a request is
/// answered as soon as the local app's reply is in: its printing follows). An event the
/// local app does not take is printed all the same, marked as not forwarded, and the
/// vendor is answered 500: one that retries (Retell) sends it again, forwarded again then
/// but not printed twice; most do not (see `forward_to`). Deliveries are handled as they
/// come, several at a time, so the local app may receive a call's events in another order
/// than the vendor sent them.
struct Listening {
    forward: Option<Forward>,
    /// JSON Lines rather than readable lines.
    json: bool,
    /// One event is printed at a time: a stalled standard output holds the others back
    /// without a thread each (one whose vendor hangs up before its turn is printed in its
    /// turn all the same).
    printing: Arc<tokio::sync::Semaphore>,
    /// What was printed and forwarded, by event: looked at when `listen` ends too, where
    /// the events printed as not forwarded that no retry brought to the local app are said
    /// last, so that whoever reads only the end of its output learns of them.
    seen: Mutex<Seen>,
    /// Events that could not be written (a full disk): said at the first, counted, and
    /// `listen` then ends with the exit code of a local I/O failure.
    unprinted: Mutex<Unprinted>,
    /// Told when standard output is found closed (`listen --json | head -1` has read
    /// enough): `listen` stops then, and ends with 0, as a reader that read enough is no
    /// failure. The events it could not print are answered 500 (the vendor may send them
    /// again), not counted as unwritten.
    output_closed: Arc<tokio::sync::Notify>,
    /// Whether that was said.
    said_closed: std::sync::atomic::AtomicBool,
}

impl Listening {
    /// Forwards `delivery` (unless an earlier attempt of it was taken), then prints it
    /// (unless it was printed before).
    async fn handle(self: Arc<Self>, delivery: Delivery) -> Result<(), HandlerError> {
        // Before the forward, which may take seconds: the line's time where the vendor
        // gives none.
        let arrived = chrono::Utc::now();
        let key = remembered_key(&delivery);
        let before = key
            .map(|key| lock(&self.seen).fate(&key))
            .unwrap_or_default();
        let forwarded = match self.forward.as_ref() {
            None => None,
            // Taken by the local app on an earlier attempt that failed after it (its
            // printing): not posted twice.
            Some(_) if before.forwarded => Some(Ok(())),
            Some(forward) => Some(forward_to(forward, &delivery).await),
        };
        if let (Some(Ok(())), Some(key)) = (&forwarded, key) {
            lock(&self.seen).mark(key, |fate| fate.forwarded = true);
        }
        let vendor_event = delivery.event.vendor_event.clone();
        let earlier = self
            .print_once(delivery, forwarded.as_ref().map(Result::is_ok), arrived)
            .await?;
        // Printed before as not forwarded, taken now: the line printed then is out of
        // date, and said so.
        if let (Some(Some(false)), Some(Ok(())), Some(forward)) =
            (earlier, &forwarded, self.forward.as_ref())
        {
            output::say_queued(&format!(
                "note: a `{}` printed earlier as not forwarded reached {} on the vendor's retry",
                output::cell(&vendor_event),
                forward.shown
            ));
        }
        forwarded.unwrap_or(Ok(()))
    }

    /// Prints `delivery` (`taken` by the local app or not, when forwarded; `arrived` then),
    /// unless it was printed before: then what was said of its forward then.
    ///
    /// Standard output may be a slow pipe: written from the blocking pool, not from the
    /// runtime's workers. Only an unwritable output fails here (a closed pipe stops
    /// `listen`, as Ctrl-C does): the vendor is told, and may retry. What was printed is remembered, and
    /// looked up with the turn held, so that news is printed once however often it comes
    /// (a request, handed over at each delivery, is printed each time: see
    /// `remembered_key`).
    async fn print_once(
        self: &Arc<Self>,
        delivery: Delivery,
        taken: Option<bool>,
        arrived: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Option<bool>>, HandlerError> {
        let unprintable = || HandlerError::new("cannot print the event");
        let turn = (self.printing.clone().acquire_owned().await).map_err(|_| unprintable())?;
        let state = self.clone();
        let printed = tokio::task::spawn_blocking(move || {
            // Held while the event is written, should this handler be dropped meanwhile.
            let _turn = turn;
            let key = remembered_key(&delivery);
            if let Some(key) = key
                && let Some(earlier) = lock(&state.seen).fate(&key).printed
            {
                return Ok::<_, Failure>(Some(earlier));
            }
            print(&delivery, state.json, taken, arrived)?;
            if let Some(key) = key {
                lock(&state.seen).mark(key, |fate| fate.printed = Some(taken));
            }
            Ok(None)
        })
        .await;
        // A failure to print, or a panic in the printing (counted as one: the event was not
        // printed, and `listen` must not end with 0 as if it were).
        let error = match printed {
            Ok(Ok(earlier)) => return Ok(earlier),
            Ok(Err(Failure::Io(_, error))) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                self.stop_on_closed_output();
                return Err(unprintable());
            }
            Ok(Err(Failure::Io(_, error))) => error,
            Ok(Err(Failure::Usage(message))) => std::io::Error::other(message),
            Ok(Err(_)) => std::io::Error::other("the event could not be printed"),
            Err(_) => std::io::Error::other("printing the event panicked"),
        };
        if let Some(first) = lock(&self.unprinted).count(error) {
            output::say_queued(&format!(
                "warning: cannot write events to standard output ({first}): each is answered 500 (the vendor may send it again) and `listen` will end with exit code 1"
            ));
        }
        Err(unprintable())
    }

    /// Standard output is closed: `listen` stops (said once), finishing the deliveries in
    /// progress, each answered 500 as its event cannot be printed.
    fn stop_on_closed_output(&self) {
        if !self
            .said_closed
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            output::say_queued(
                "standard output is closed: stopping (the events not printed are answered 500, and the vendor may send them again)",
            );
            // A permit kept for the stop's wait, should it not be waiting yet.
            self.output_closed.notify_one();
        }
    }

    /// What `listen` says last: the events the local app never took, and the events that
    /// could not be written (then exit code 1).
    fn report_at_end(&self) -> Outcome {
        let missed = lock(&self.seen).missed();
        if let (Some(forward), 1..) = (&self.forward, missed) {
            let events = if missed == 1 { "event" } else { "events" };
            // After the lines still queued, and not dropped as they may be: waited for a
            // while (standard error may be a pipe nobody drains).
            output::drain_log_lines(LAST_WORD);
            output::say_within(
                &format!(
                    "warning: {missed} {events} printed as not forwarded were not taken by {} (one it answered late, or with an error, may have reached it all the same): reconcile with `voiceport calls list`",
                    forward.shown
                ),
                LAST_WORD,
            );
        }
        let unprinted = std::mem::take(&mut *lock(&self.unprinted));
        match unprinted.first {
            Some(error) => {
                let events = if unprinted.events == 1 {
                    "event"
                } else {
                    "events"
                };
                let what = format!(
                    "{} {events} could not be written to standard output",
                    unprinted.events
                );
                Err(Failure::Io(what, error))
            }
            None => Ok(()),
        }
    }
}

/// The events `listen` could not write to standard output: how many, and the first error.
#[derive(Default)]
struct Unprinted {
    events: usize,
    first: Option<std::io::Error>,
}

impl Unprinted {
    /// Counts one more; the error's text when it is the first, to be said then.
    fn count(&mut self, error: std::io::Error) -> Option<String> {
        self.events = self.events.saturating_add(1);
        if self.first.is_some() {
            return None;
        }
        let text = error.to_string();
        self.first = Some(error);
        Some(text)
    }
}

/// How long `listen`'s last warning (and the lines queued before it) waits for standard
/// error to take it: long enough for a loaded machine to schedule the writer, short
/// enough that a standard error nobody reads holds the exit only that long.
const LAST_WORD: Duration = Duration::from_secs(5);

/// How long `listen` finishes the deliveries in progress after Ctrl-C.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// How many events `listen` remembers having forwarded or printed: far more than a vendor
/// retries within its retry window, at about 100 bytes each.
const REMEMBERED: usize = 20_000;

/// What became of the newest [`REMEMBERED`] events (by [`Delivery::key`]), so that an
/// event the vendor sends again after hanging up on an attempt that went on (forwarded,
/// printed) is neither posted nor printed twice.
#[derive(Default)]
struct Seen {
    fates: HashMap<EventKey, Fate>,
    /// The keys, oldest first, for forgetting the oldest.
    order: VecDeque<EventKey>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Fate {
    /// The local app of `--forward` took it.
    forwarded: bool,
    /// It was printed: `Some(taken)`, `taken` as the line said (`None` without --forward).
    printed: Option<Option<bool>>,
}

impl Seen {
    /// How many of the events remembered were printed as not forwarded, and never taken
    /// by the local app on a retry.
    fn missed(&self) -> usize {
        let missed = |fate: &&Fate| fate.printed == Some(Some(false)) && !fate.forwarded;
        self.fates.values().filter(missed).count()
    }

    fn fate(&self, key: &EventKey) -> Fate {
        self.fates.get(key).copied().unwrap_or_default()
    }

    fn mark(&mut self, key: EventKey, change: impl FnOnce(&mut Fate)) {
        let fate = self.fates.entry(key).or_insert_with(|| {
            self.order.push_back(key);
            Fate::default()
        });
        change(fate);
        while self.order.len() > REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.fates.remove(&oldest);
            }
        }
    }
}

/// Where `--forward` posts, and how the URL is said in warnings.
struct Forward {
    client: reqwest::Client,
    url: String,
    /// The URL without its user, password and query, which may hold credentials; on
    /// another host than this machine, its scheme, host and port alone (a relay's path may
    /// hold its secret).
    shown: String,
    /// When a post last gave up on an app refusing the connection: for a while after, an
    /// app that refuses is taken as down, not restarting, and not waited for (a flood of
    /// events would each wait out every pause).
    gave_up_at: Mutex<Option<tokio::time::Instant>>,
    /// The vendors of which a failed forward was said in full (what becomes of the event,
    /// and whether the vendor sends it again): the failures after it are said in a short
    /// line each, as an app that is down fails every event, and each of a vendor's retries.
    explained: Mutex<std::collections::BTreeSet<ProviderKind>>,
}

impl Forward {
    /// Whether a post refused its connection may wait and try again: not within a
    /// forward's time of one that gave up.
    fn may_wait_for_the_app(&self) -> bool {
        let gave_up_at = *lock(&self.gave_up_at);
        gave_up_at.is_none_or(|at| at.elapsed() >= FORWARD_TIMEOUT)
    }

    /// Records how a post's connection went: refused after every pause, or made.
    fn connected(&self, made: bool) {
        let mut gave_up_at = lock(&self.gave_up_at);
        *gave_up_at = (!made).then(tokio::time::Instant::now);
    }
}

/// Whether `url` names this machine: `localhost` (a final dot or not), a loopback
/// address (IPv4-mapped too), or the unspecified address a dev server prints
/// (`0.0.0.0`, `::`), which a connection reaches this machine at.
fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback() || ip.is_unspecified(),
        Err(_) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

/// The key `listen` remembers an event's forward and printing by: news only. A request
/// the vendor waits on is forwarded and printed each time it comes: its reply is the
/// local app's, asked again (with the same `Idempotency-Key`, which tells a retry).
fn remembered_key(delivery: &Delivery) -> Option<voiceport::webhooks::EventKey> {
    delivery.key().filter(|_| !delivery.event.expects_reply)
}

/// Posts the event to the local app; anything but a 2xx in time is a failure the vendor
/// hears of (a 500, which only some vendors retry), said on standard error too.
async fn forward_to(forward: &Forward, delivery: &Delivery) -> Result<(), HandlerError> {
    let (client, url, shown) = (&forward.client, forward.url.as_str(), &forward.shown);
    let body = serde_json::to_vec(&record(delivery))
        .map_err(|_| HandlerError::new("the event could not be written as JSON"))?;
    let request = delivery.event.expects_reply;
    let timeout = match delivery.reply_deadline() {
        Some(deadline) => {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            // A short configured wait keeps half for the app.
            left.saturating_sub(REQUEST_FORWARD_MARGIN).max(left / 2)
        }
        None => FORWARD_TIMEOUT,
    };
    // The same for every redelivery of the event: the vendor sends it again when the local
    // app failed or was too slow, and the app may have taken it meanwhile.
    let key = delivery.key().map(|key| key.to_string());
    let started = tokio::time::Instant::now();
    let mut pauses = FORWARD_RECONNECT_PAUSES.iter();
    if !forward.may_wait_for_the_app() {
        pauses.by_ref().for_each(drop);
    }
    let sent = loop {
        let left = timeout.saturating_sub(started.elapsed());
        let mut post = client
            .post(url)
            .header("content-type", "application/json")
            .timeout(left);
        if let Some(key) = &key {
            post = post.header("idempotency-key", key);
        }
        let sent = post.body(body.clone()).send().await;
        match (&sent, pauses.next()) {
            (Err(error), Some(pause))
                if error.is_connect() && started.elapsed() + *pause < timeout =>
            {
                let pause_ms = pause.as_millis();
                tracing::debug!(
                    pause_ms,
                    "the local app refused the connection: posting again after a pause"
                );
                tokio::time::sleep(*pause).await;
            }
            _ => break sent,
        }
    };
    match &sent {
        Err(error) if error.is_connect() => forward.connected(false),
        Ok(_) => forward.connected(true),
        Err(_) => {}
    }
    let failure = match sent {
        Ok(response) if response.status().is_success() && !request => return Ok(()),
        // A request the vendor waits on (Vapi's tool calls) is answered with the local app's
        // JSON object; without one it is answered 204, and said. An answer that broke off
        // (or did not finish in time) is no answer: a failure, as one that never came.
        Ok(response) if response.status().is_success() => {
            let event = output::cell(&delivery.event.vendor_event);
            match reply_body(response).await {
                Ok(body) => {
                    match serde_json::from_slice::<serde_json::Value>(&body) {
                        Ok(reply) if reply.is_object() => {
                            delivery.reply(reply);
                        }
                        _ => output::say_queued(&format!(
                            "warning: {shown} answered a `{event}` the vendor waits on without a JSON object; the vendor gets no answer (204)"
                        )),
                    }
                    return Ok(());
                }
                Err(Unread::TooLong) => {
                    output::say_queued(&format!(
                        "warning: {shown} answered a `{event}` the vendor waits on with more than {} KiB; the vendor gets no answer (204)",
                        FORWARD_REPLY_LIMIT / 1024
                    ));
                    return Ok(());
                }
                Err(Unread::Broken(error)) if error.is_timeout() => {
                    format!("{shown} did not finish its answer in time")
                }
                Err(Unread::Broken(error)) => {
                    // reqwest says what broke only in its causes.
                    let cause = voiceport::chain_text(&error.without_url());
                    format!("{shown}'s answer broke off: {cause}")
                }
            }
        }
        Ok(response) if response.status().is_redirection() => format!(
            "{shown} answered {} (redirects are not followed: forward to the final URL)",
            response.status()
        ),
        Ok(response) => format!("{shown} answered {}", response.status()),
        Err(error) if error.is_timeout() => format!("{shown} did not answer in time"),
        Err(error) => {
            let cause = voiceport::chain_text(&error.without_url());
            format!("forwarding to {shown} failed: {cause}")
        }
    };
    let explained = !lock(&forward.explained).insert(delivery.provider);
    output::say_queued(&match explained {
        false => format!(
            "warning: {failure}; the event is printed marked not forwarded, and the vendor is answered 500: {}",
            resend(delivery.provider)
        ),
        true => format!(
            "warning: {failure}; `{}` printed as not forwarded, answered 500",
            output::cell(&delivery.event.vendor_event)
        ),
    });
    // The vendor is told no more: the local URL (and whatever it holds) is not its business.
    Err(HandlerError::new("the local app did not take the event"))
}

/// Why the local app's reply was not read whole.
enum Unread {
    /// Longer than [`FORWARD_REPLY_LIMIT`] (the rest is not read).
    TooLong,
    /// It broke off, or did not finish within the forward's timeout.
    Broken(reqwest::Error),
}

/// The local app's reply, read a chunk at a time up to [`FORWARD_REPLY_LIMIT`].
async fn reply_body(mut response: reqwest::Response) -> Result<Vec<u8>, Unread> {
    if response
        .content_length()
        .is_some_and(|length| length > FORWARD_REPLY_LIMIT as u64)
    {
        return Err(Unread::TooLong);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Unread::Broken)? {
        if body.len() + chunk.len() > FORWARD_REPLY_LIMIT {
            return Err(Unread::TooLong);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Whether a vendor answered 500 sends the event again, as its documentation says.
fn resend(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Retell => {
            "Retell sends it again (up to 3 times), forwarded again then, not printed twice"
        }
        ProviderKind::Vapi | ProviderKind::Voicebot => {
            "it does not send it again unless the server's backoffPlan says so; reconcile with `voiceport calls list`"
        }
        _ => "whether it sends it again is not documented; reconcile with `voiceport calls list`",
    }
}

/// What `--json` prints and `--forward` posts (and the demo's `--json` lists): the event,
/// its vendor and the provider (keys in that order, as they have always been printed),
/// borrowed from the delivery.
#[derive(Serialize)]
pub(crate) struct Record<'a> {
    event: &'a CallEvent,
    kind: ProviderKind,
    provider_name: &'a str,
    /// With `--forward`, in what `--json` prints: whether the local app took the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    forwarded: Option<bool>,
}

pub(crate) fn record(delivery: &Delivery) -> Record<'_> {
    Record {
        event: &delivery.event,
        kind: delivery.provider,
        provider_name: &delivery.provider_name,
        forwarded: None,
    }
}

/// Prints the event, which `arrived` then; `forwarded` says whether the local app of
/// `--forward` took it (`None` without `--forward`).
fn print(
    delivery: &Delivery,
    json: bool,
    forwarded: Option<bool>,
    arrived: chrono::DateTime<chrono::Utc>,
) -> Outcome {
    if json {
        return output::json_line(&Record {
            forwarded,
            ..record(delivery)
        });
    }
    let event = &delivery.event;
    let call = event.call_id().map_or("-", |id| id.as_str());
    let status = event
        .status()
        .map_or_else(|| "-".to_owned(), |s| s.to_string());
    let at = time_column(event.occurred_at, arrived);
    // Vendor text, escaped: a line break in an event type must not fake a line.
    let not_taken = match forwarded {
        Some(false) => "  (not forwarded: the local app did not take it)",
        _ => "",
    };
    output::line(&format!(
        "{at}  {:<12} {:<28} {:<38} {}{not_taken}",
        delivery.provider_name,
        output::cell(&event.vendor_event),
        output::cell(call),
        output::cell(&status),
    ))
}

/// The URL a sandbox on this machine posts to for `listen --bind IP --port PORT`: an
/// address that binds every interface is reached on loopback; port 0 is any port, said as
/// `PORT`.
fn listening_url(bind: std::net::IpAddr, port: u16) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    let host = match bind {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    // Written as `listening on` writes the bound address (an IPv6 one in brackets).
    let address = SocketAddr::new(host, port).to_string();
    match address.strip_suffix(":0") {
        Some(host) => format!("http://{host}:PORT"),
        None => format!("http://{address}"),
    }
}

/// A line's time: the vendor's, in UTC (`12:03:04Z`); where it sends none (Retell's
/// `call_analyzed`), `~` and the time the event arrived (`~12:03:05`), which is not the
/// same thing. As wide either way.
fn time_column(
    occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    arrived: chrono::DateTime<chrono::Utc>,
) -> String {
    match occurred_at {
        Some(at) => at.format("%H:%M:%SZ").to_string(),
        None => arrived.format("~%H:%M:%S").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a sandbox on this machine reaches `listen`: its address, loopback for one
    /// that binds every interface, an IPv6 one in brackets.
    #[test]
    fn the_listening_url_is_the_bound_address_as_a_sandbox_reaches_it() {
        let ip = |text: &str| text.parse::<std::net::IpAddr>().unwrap();
        assert_eq!(
            listening_url(ip("127.0.0.1"), 8787),
            "http://127.0.0.1:8787"
        );
        assert_eq!(listening_url(ip("0.0.0.0"), 8787), "http://127.0.0.1:8787");
        assert_eq!(listening_url(ip("::"), 9000), "http://[::1]:9000");
        assert_eq!(
            listening_url(ip("192.168.1.20"), 0),
            "http://192.168.1.20:PORT"
        );
    }

    #[test]
    fn a_line_s_time_is_the_vendor_s_in_utc_or_marked_as_the_arrival() {
        let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        let arrived = at("2026-12-05T12:03:05Z");
        let vendor = at("2026-12-05T13:03:04+01:00");
        assert_eq!(time_column(Some(vendor), arrived), "12:03:04Z");
        assert_eq!(time_column(None, arrived), "~12:03:05");
    }

    fn url(text: &str) -> reqwest::Url {
        reqwest::Url::parse(text).unwrap()
    }

    #[test]
    fn loopback_hosts_are_reached_without_a_proxy() {
        for local in [
            "http://127.0.0.1:3000/events",
            "http://127.8.0.1/e",
            "http://[::1]:3000/e",
            "http://localhost:3000/e",
            "http://LocalHost/e",
            "http://app.localhost/e",
            "http://localhost.:3000/e",
            "http://0.0.0.0:3000/e",
            "http://[::ffff:127.0.0.1]:3000/e",
            "http://[::]:3000/e",
        ] {
            assert!(is_loopback(&url(local)), "{local}");
        }
        for remote in [
            "http://10.0.0.5/e",
            "https://hooks.example.com/e",
            "http://localhost.example.com/e",
            "http://[::ffff:10.0.0.5]/e",
        ] {
            assert!(!is_loopback(&url(remote)), "{remote}");
        }
    }

    #[test]
    fn the_shown_url_keeps_no_credentials() {
        let shown = shown_url(&url(
            "https://ops:p4ss@hooks.example.com:8443/in?token=s3cr3t#x",
        ));
        assert_eq!(shown, "https://hooks.example.com:8443/in");
        let relay = url("https://hooks.example.com/services/T0/B0/s3cr3t?x=1");
        assert_eq!(shown_origin(&relay), "https://hooks.example.com/…");
        assert_eq!(
            shown_origin(&url("http://10.0.0.5:8080/")),
            "http://10.0.0.5:8080"
        );
    }
}
