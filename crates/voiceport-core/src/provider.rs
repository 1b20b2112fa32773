//! The port: `VoiceProvider`, what each provider can do, and conveniences on top.

use std::any::Any;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::Serialize;

use crate::{
    Call, CallEvent, CallId, CallPage, CallQuery, CallUpdate, DialOutcome, DialRequest, Error,
    Filter, MetadataMode, NoteId, NoteInput, NoteUpdate, Operation, ProviderKind, Recording,
    Result, SortOrder, Transcript,
};

/// What a provider supports: operations, list filters and artifacts, as flat flags.
///
/// An operation whose flag is `false` returns [`Error::Unsupported`]; one whose flag is
/// `true` works. A conformance test checks every flag against the behaviour.
///
/// Its fields are public so that an adapter declares its flags as a `const`, starting from
/// [`Capabilities::NONE`] (`..Capabilities::NONE`, which a new flag then defaults to
/// `false` in). A struct literal without that base, or a pattern without `..`, breaks when
/// a flag is added: flags are added in minor releases only, never in a patch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// `get_call`.
    pub get_call: bool,
    /// `list_calls` and the streams over it.
    pub list_calls: bool,
    /// `dial` now.
    pub dial: bool,
    /// `dial` with `scheduled_for`.
    pub dial_scheduled: bool,
    /// `update_call` with a `name`.
    pub update_name: bool,
    /// `update_call` with metadata, merged.
    pub update_metadata_merge: bool,
    /// `update_call` with metadata, replaced.
    pub update_metadata_replace: bool,
    /// `get_transcript`.
    pub transcript: bool,
    /// `get_recording`.
    pub recording: bool,
    /// `end_call` (hang up a live call).
    pub end_call: bool,
    /// `cancel_call` (a scheduled or queued call).
    pub cancel_call: bool,
    /// `delete_call`.
    pub delete_call: bool,
    /// `add_note`, `update_note`, `delete_note`.
    pub notes: bool,
    /// `parse_webhook`.
    pub webhooks: bool,

    /// `CallQuery::direction`.
    pub filter_direction: bool,
    /// `CallQuery::kind`.
    pub filter_kind: bool,
    /// `CallQuery::statuses`.
    pub filter_statuses: bool,
    /// `CallQuery::since` / `until`.
    pub filter_time_range: bool,
    /// The time range filters on the start time (`Call::started_at`), not the creation
    /// time: a call that never started is then out of every range the vendor applies
    /// (Rounded, Retell).
    pub time_range_on_start: bool,
    /// `CallQuery::agent_id`.
    pub filter_agent: bool,
    /// `CallQuery::campaign_id`.
    pub filter_campaign: bool,
    /// `CallQuery::tags`.
    pub filter_tags: bool,
    /// `CallQuery::search`.
    pub filter_search: bool,
    /// `CallQuery::from_number`.
    pub filter_from_number: bool,
    /// `CallQuery::to_number`.
    pub filter_to_number: bool,
    /// `CallQuery::sort`, either order.
    pub sort: bool,
    /// The order the vendor lists calls in when asked for none, where voiceport relies on
    /// it: a query asking for this order is taken even when `sort` is `false` (nothing is
    /// sent; the listing comes so already). The other order is then refused.
    pub listing_order: Option<SortOrder>,
    /// Some supported filters are applied by voiceport after fetching, not by the vendor
    /// (pages may then hold fewer calls than `page_size`).
    pub client_side_filtering: bool,
    /// The vendor pages server-side (otherwise the listing is one page).
    pub server_paging: bool,
    /// The largest page the vendor serves.
    pub max_page_size: u32,
    /// The page size used when the query sets none.
    pub default_page_size: u32,

    /// Calls carry the transcript inline: those of `get_call` at least (a vendor's listing
    /// may leave it out, as Retell's does: fetch each call, or its transcript, for it).
    pub inline_transcript: bool,
    /// Calls carry cost figures.
    pub cost: bool,
    /// Calls carry a summary or analysis.
    pub analysis: bool,
}

impl Capabilities {
    /// Nothing supported: the base of an adapter's `const` capabilities
    /// (`Capabilities { get_call: true, ..Capabilities::NONE }`).
    pub const NONE: Capabilities = Capabilities {
        get_call: false,
        list_calls: false,
        dial: false,
        dial_scheduled: false,
        update_name: false,
        update_metadata_merge: false,
        update_metadata_replace: false,
        transcript: false,
        recording: false,
        end_call: false,
        cancel_call: false,
        delete_call: false,
        notes: false,
        webhooks: false,
        filter_direction: false,
        filter_kind: false,
        filter_statuses: false,
        filter_time_range: false,
        time_range_on_start: false,
        filter_agent: false,
        filter_campaign: false,
        filter_tags: false,
        filter_search: false,
        filter_from_number: false,
        filter_to_number: false,
        sort: false,
        listing_order: None,
        client_side_filtering: false,
        server_paging: false,
        max_page_size: 0,
        default_page_size: 0,
        inline_transcript: false,
        cost: false,
        analysis: false,
    };

    /// Whether `filter` can be applied (server-side or client-side).
    pub fn supports_filter(&self, filter: Filter) -> bool {
        match filter {
            Filter::Direction => self.filter_direction,
            Filter::Kind => self.filter_kind,
            Filter::Statuses => self.filter_statuses,
            Filter::TimeRange => self.filter_time_range,
            Filter::Agent => self.filter_agent,
            Filter::Campaign => self.filter_campaign,
            Filter::Tags => self.filter_tags,
            Filter::Search => self.filter_search,
            Filter::FromNumber => self.filter_from_number,
            Filter::ToNumber => self.filter_to_number,
            Filter::Sort => self.sort,
        }
    }

    /// What the flags say of `operation`: `Some(true)` or `Some(false)` for each operation
    /// of [`VoiceProvider`] (`UpdateCall` when any part of a call can be updated), for a
    /// list filter ([`supports_filter`](Self::supports_filter)), a dial's schedule and an
    /// update's field; `None` where no flag says: a vendor extension (reached through
    /// [`extension`](trait.VoiceProvider.html#method.extension)) and a dial field other than `scheduled_for`, which an
    /// adapter refuses, if it must, as it builds the request. The capability guard refuses
    /// by the same answers.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Capabilities, Filter, Operation};
    ///
    /// let caps = Capabilities { get_call: true, notes: true, ..Capabilities::NONE };
    /// assert_eq!(caps.supports(Operation::GetCall), Some(true));
    /// assert_eq!(caps.supports(Operation::DeleteNote), Some(true));
    /// assert_eq!(caps.supports(Operation::ListFilter(Filter::Tags)), Some(false));
    /// assert_eq!(caps.supports(Operation::ExtensionRead("usage")), None);
    /// ```
    pub fn supports(&self, operation: Operation) -> Option<bool> {
        let supported = match operation {
            Operation::GetCall => self.get_call,
            Operation::ListCalls => self.list_calls,
            Operation::ListFilter(filter) => self.supports_filter(filter),
            Operation::Dial => self.dial,
            Operation::DialOption("scheduled_for") => self.dial && self.dial_scheduled,
            Operation::UpdateCall => {
                self.update_name || self.update_metadata_merge || self.update_metadata_replace
            }
            // The fields as `MetadataMode::update_field` names them.
            Operation::UpdateField("name") => self.update_name,
            Operation::UpdateField(field) if field == MetadataMode::Merge.update_field() => {
                self.update_metadata_merge
            }
            Operation::UpdateField(field) if field == MetadataMode::Replace.update_field() => {
                self.update_metadata_replace
            }
            Operation::GetTranscript => self.transcript,
            Operation::GetRecording => self.recording,
            Operation::EndCall => self.end_call,
            Operation::CancelCall => self.cancel_call,
            Operation::DeleteCall => self.delete_call,
            Operation::AddNote | Operation::UpdateNote | Operation::DeleteNote => self.notes,
            Operation::ParseWebhook => self.webhooks,
            Operation::DialOption(_)
            | Operation::UpdateField(_)
            | Operation::Extension(_)
            | Operation::ExtensionRead(_) => return None,
        };
        Some(supported)
    }

    /// Whether a listing can come in `order`: the vendor sorts, or lists so anyway.
    pub fn supports_sort(&self, order: SortOrder) -> bool {
        self.sort || self.listing_order == Some(order)
    }

    /// Whether the flags allow `request`: the vendor dials, and schedules a call where the
    /// request asks for it. (Fields a vendor's dial has no place for, a `language` say,
    /// are refused by its adapter as it builds the request.)
    pub fn supports_dial(&self, request: &DialRequest) -> bool {
        self.unsupported_in_dial(request).is_none()
    }

    /// What of `request` the flags refuse ([`supports`](Self::supports)): the dial itself,
    /// else its schedule.
    fn unsupported_in_dial(&self, request: &DialRequest) -> Option<Operation> {
        let schedule =
            (request.scheduled_for.is_some()).then_some(Operation::DialOption("scheduled_for"));
        (std::iter::once(Operation::Dial).chain(schedule))
            .find(|operation| self.supports(*operation) != Some(true))
    }

    /// What a dial of `request` is refused for before any adapter code runs, by a provider
    /// of `kind` with these flags: a dial or a schedule they do not allow, else what the
    /// request's own rules refuse (no destination, a schedule in the past). One rule for
    /// the capability guard and [`VoiceProvider::check_dial`]'s default.
    pub(crate) fn refuse_dial(&self, kind: ProviderKind, request: &DialRequest) -> Result<()> {
        match self.unsupported_in_dial(request) {
            Some(operation) => Err(Error::unsupported(kind, operation)),
            None => request.validate(kind),
        }
    }

    /// The page size to ask the vendor for: the query's, else the vendor's default, within
    /// `1..=max_page_size`.
    pub fn page_size(&self, query: &CallQuery) -> u32 {
        let wanted = query.page_size.unwrap_or(self.default_page_size);
        wanted.clamp(1, self.max_page_size.max(1))
    }
}

/// One voice-AI vendor account, behind one API.
///
/// Object-safe: use it as `Arc<dyn VoiceProvider>` (what [`voiceport::connect`] returns).
/// Operations a vendor lacks return [`Error::Unsupported`]; see [`capabilities`].
///
/// The methods, as they read without the `async_trait` machinery rustdoc shows below
/// (each `async fn` returns a boxed future that is `Send`):
///
/// | method | |
/// |---|---|
/// | `fn kind(&self) -> ProviderKind` | which vendor |
/// | `fn capabilities(&self) -> Capabilities` | what it supports |
/// | `async fn get_call(&self, id: &CallId) -> Result<Call>` | one call |
/// | `async fn list_calls(&self, query: &CallQuery) -> Result<CallPage>` | one page (every page: [`VoiceProviderExt::calls`]) |
/// | `async fn dial(&self, request: &DialRequest) -> Result<DialOutcome>` | place a call, never retried once sent |
/// | `fn check_dial(&self, request: &DialRequest) -> Result<()>` | whether `dial` would send it, sending nothing |
/// | `async fn update_call(&self, id: &CallId, update: &CallUpdate) -> Result<Call>` | rename, set metadata |
/// | `async fn get_transcript(&self, id: &CallId) -> Result<Transcript>` | its transcript |
/// | `async fn get_recording(&self, id: &CallId) -> Result<Option<Recording>>` | its recording's URLs |
/// | `async fn end_call(&self, id: &CallId) -> Result<()>` | hang up a live call |
/// | `async fn cancel_call(&self, id: &CallId) -> Result<()>` | cancel a scheduled call |
/// | `async fn delete_call(&self, id: &CallId) -> Result<()>` | delete a call |
/// | `async fn add_note(&self, id: &CallId, note: &NoteInput) -> Result<Call>` | add a note |
/// | `async fn update_note(&self, id: &CallId, note_id: &NoteId, update: &NoteUpdate) -> Result<Call>` | change a note |
/// | `async fn delete_note(&self, id: &CallId, note_id: &NoteId) -> Result<Call>` | delete a note |
/// | `fn parse_webhook(&self, body: &[u8]) -> Result<CallEvent>` | a webhook body as an event (verify it first) |
/// | `fn wrapped(&self) -> Option<&dyn VoiceProvider>` | for middleware: the provider it forwards to |
///
/// [`VoiceProviderExt`] adds `calls` and `pages` (every page, lazily), `transcript_of`, `recording_of` and
/// `wait_until_ended`.
///
/// # Errors
///
/// Every operation may fail with what the vendor answered ([`Error::Unauthorized`],
/// [`Error::NotFound`] for an unknown call or note, [`Error::RateLimited`] and
/// [`Error::Server`] once retries are spent, [`Error::InvalidRequest`],
/// [`Error::Conflict`]), with what the network did ([`Error::Timeout`],
/// [`Error::Transport`]), or with an answer it could not read ([`Error::Decode`],
/// [`Error::BodyTooLarge`], [`Error::AnswerCut`]). Refused before anything is sent: an
/// operation, filter or field the provider does not support ([`Error::Unsupported`]),
/// and an id malformed for the vendor, such as a call id that is not a UUID where the
/// vendor's are ([`Error::InvalidRequest`] with no `status`). Only vendors whose ids have
/// a documented shape refuse them so (HappyRobot, Vapi, Rounded); Voicebot Studio's and
/// Retell's are opaque, so any id is sent but a blank one, one holding a slash (`/` or
/// `\\`, which a server decoding `%2F` before routing would read as a path) and one that
/// is no path segment ([`IdFormat::NonEmpty`](crate::IdFormat::NonEmpty)), and a
/// malformed one comes back as the vendor answers an unknown id ([`Error::NotFound`]). [`Error::outcome`] says, for a write,
/// whether the vendor may have acted. No operation panics on anything a vendor sends.
///
/// [`voiceport::connect`]: https://docs.rs/voiceport/latest/voiceport/fn.connect.html
/// [`capabilities`]: VoiceProvider::capabilities
#[async_trait]
pub trait VoiceProvider: Any + Send + Sync + std::fmt::Debug {
    /// Which vendor this is.
    fn kind(&self) -> ProviderKind;

    /// What this provider supports.
    fn capabilities(&self) -> Capabilities;

    /// Fetches one call.
    async fn get_call(&self, id: &CallId) -> Result<Call>;

    /// Fetches one page of calls. Use [`VoiceProviderExt::calls`] to walk every page.
    async fn list_calls(&self, query: &CallQuery) -> Result<CallPage>;

    /// Places an outbound call. Never retried once the request may have reached the vendor;
    /// on failure, [`Error::outcome`] tells whether the call may exist. A request field the
    /// vendor cannot take (`scheduled_for`, `language`, `name` …) is [`Error::Unsupported`]
    /// for [`Operation::DialOption`] naming it, before
    /// anything is sent.
    ///
    /// # Dropping the future
    ///
    /// A dial future dropped before it completes (a `tokio::time::timeout` running out, the
    /// losing branch of a `select!`, Ctrl-C, a cancelled task) returns nothing at all, so
    /// no [`Error::outcome`] either: the request may already have reached the vendor, and
    /// **the call may have been placed** without its id ever reaching you. Treat a dropped
    /// dial like [`RequestOutcome::Unknown`](crate::RequestOutcome::Unknown): look the call
    /// up before dialing again ([`find_dialed`](VoiceProviderExt::find_dialed), with the
    /// time taken just before the dial). To bound a dial's time without
    /// losing its outcome, set the provider's
    /// `timeout_secs` instead: a timeout then comes back as [`Error::Timeout`], whose
    /// outcome says whether the request was sent. To stop on a signal (Ctrl-C), run the
    /// dial under an [`Interrupt`](crate::Interrupt) and interrupt it instead of dropping the
    /// future: a dial not sent yet is not sent, and the one in flight still answers.
    async fn dial(&self, request: &DialRequest) -> Result<DialOutcome> {
        let _ = request;
        Err(Error::unsupported(self.kind(), Operation::Dial))
    }

    /// Checks `request` as [`dial`](Self::dial) does before it sends anything, and sends
    /// nothing: `Ok` where the dial would be sent, else the error the dial would return
    /// first (a dial or schedule the provider lacks, a field its vendor takes no value
    /// for, a value it cannot take, a request without a destination). What an application
    /// asks before dialing one request through several providers, whose vendors take
    /// different fields ([`Capabilities::supports_dial`] reads the flags alone). An `Ok`
    /// is no promise of the vendor's answer: the agent, the number or the campaign may
    /// still be unknown there.
    ///
    /// The default, for a provider written without the adapter kit, checks the flags and
    /// the request's own rules.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// # fn check(provider: &dyn voiceport::VoiceProvider) -> voiceport::Result<()> {
    /// use voiceport::DialRequest;
    ///
    /// let request = DialRequest::to("+14155550187").with_language("es-MX");
    /// if let Err(refusal) = provider.check_dial(&request) {
    ///     println!("{} would refuse it: {refusal}", provider.kind());
    /// }
    /// # Ok(()) }
    /// ```
    fn check_dial(&self, request: &DialRequest) -> Result<()> {
        self.capabilities().refuse_dial(self.kind(), request)
    }

    /// Changes a call's name or metadata.
    ///
    /// An update that changes nothing is [`Error::InvalidRequest`]; a part the vendor
    /// cannot change is [`Error::Unsupported`] for
    /// [`Operation::UpdateField`] naming it. Both are
    /// refused before anything is sent.
    async fn update_call(&self, id: &CallId, update: &CallUpdate) -> Result<Call> {
        let _ = (id, update);
        Err(Error::unsupported(self.kind(), Operation::UpdateCall))
    }

    /// Fetches a call's transcript. By default, from the call itself.
    async fn get_transcript(&self, id: &CallId) -> Result<Transcript> {
        Ok(self.get_call(id).await?.transcript.unwrap_or_default())
    }

    /// Fetches where to download a call's recording (`None`: no recording). By default,
    /// from the call itself.
    async fn get_recording(&self, id: &CallId) -> Result<Option<Recording>> {
        Ok(self.get_call(id).await?.recording)
    }

    /// Hangs up a live call. A call that is over already (ended by this request or by
    /// anything else) needs no ending: `Ok`. When the vendor refuses the end (a conflict,
    /// not found, another 4xx refusal), voiceport reads the call back: a call over by then
    /// is `Ok`; a call that is there but not over (live, or still scheduled: cancel that
    /// one) is [`Error::Conflict`] with every vendor, its status and the vendor's words in
    /// the message; a refusal inside a success answer (Rounded's) of a call that reads
    /// back as missing is [`Error::NotFound`]. Any other failure (a 5xx, a timeout, a call
    /// that cannot be read back) is the error, as it came.
    async fn end_call(&self, id: &CallId) -> Result<()> {
        let _ = id;
        Err(Error::unsupported(self.kind(), Operation::EndCall))
    }

    /// Cancels a scheduled or queued call. A call canceled already is `Ok` (read back
    /// when the vendor refuses); one that has started keeps the vendor's refusal.
    async fn cancel_call(&self, id: &CallId) -> Result<()> {
        let _ = id;
        Err(Error::unsupported(self.kind(), Operation::CancelCall))
    }

    /// Deletes a call. Unlike [`end_call`](Self::end_call) and
    /// [`cancel_call`](Self::cancel_call), a repeat is not read back: a second delete gets
    /// the vendor's answer for an unknown call ([`Error::NotFound`] where it answers 404).
    async fn delete_call(&self, id: &CallId) -> Result<()> {
        let _ = id;
        Err(Error::unsupported(self.kind(), Operation::DeleteCall))
    }

    /// Adds a note; returns the call with its notes. A note whose `content` is blank is
    /// refused ([`Error::InvalidRequest`]) before anything is sent.
    async fn add_note(&self, id: &CallId, note: &NoteInput) -> Result<Call> {
        let _ = (id, note);
        Err(Error::unsupported(self.kind(), Operation::AddNote))
    }

    /// Changes a note's text, its flag or both, as `update` says; returns the call with
    /// its notes. What `update` leaves unset stays as it is; an update that changes nothing
    /// ([`NoteUpdate::changes_nothing`]) is refused ([`Error::InvalidRequest`]) before
    /// anything is sent.
    async fn update_note(
        &self,
        id: &CallId,
        note_id: &NoteId,
        update: &NoteUpdate,
    ) -> Result<Call> {
        let _ = (id, note_id, update);
        Err(Error::unsupported(self.kind(), Operation::UpdateNote))
    }

    /// Deletes a note; returns the call with its remaining notes.
    async fn delete_note(&self, id: &CallId, note_id: &NoteId) -> Result<Call> {
        let _ = (id, note_id);
        Err(Error::unsupported(self.kind(), Operation::DeleteNote))
    }

    /// Turns the body of a webhook delivery from this vendor into an event.
    ///
    /// This reads the body; it does not check who sent it. Verify the delivery first
    /// (`voiceport::webhooks::verify`, or the receiver, which does both), or a forged
    /// body is taken as the vendor's word.
    fn parse_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        let _ = body;
        Err(Error::unsupported(self.kind(), Operation::ParseWebhook))
    }

    /// The provider this one forwards to, for a wrapper (middleware of the application's:
    /// logging, metrics, a rate limiter): [`extension`](trait.VoiceProvider.html#method.extension)
    /// looks through it to the vendor's client. `None`, the default, for a provider that
    /// wraps none.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use std::sync::Arc;
    /// use voiceport::{CallId, CallPage, CallQuery, Call, Capabilities, ProviderKind, Result, VoiceProvider};
    ///
    /// /// Counts the calls read, forwarding everything else.
    /// #[derive(Debug)]
    /// struct Counted(Arc<dyn VoiceProvider>);
    ///
    /// #[voiceport::async_trait]
    /// impl VoiceProvider for Counted {
    ///     fn kind(&self) -> ProviderKind { self.0.kind() }
    ///     fn capabilities(&self) -> Capabilities { self.0.capabilities() }
    ///     async fn get_call(&self, id: &CallId) -> Result<Call> { self.0.get_call(id).await }
    ///     async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> { self.0.list_calls(query).await }
    ///     // … and the other operations the application uses.
    ///     fn wrapped(&self) -> Option<&dyn VoiceProvider> { Some(self.0.as_ref()) }
    /// }
    /// ```
    fn wrapped(&self) -> Option<&dyn VoiceProvider> {
        None
    }
}

impl dyn VoiceProvider {
    /// The concrete client behind this provider, for its vendor extensions: `None` when
    /// the provider is another type. A type, not a vendor: where two vendors share a client
    /// (Vapi and Voicebot Studio, `Voicebot` being `Vapi` by another name), the vendor is
    /// [`kind`](VoiceProvider::kind).
    ///
    /// ```no_run
    /// # use voiceport_core as voiceport;
    /// # fn run(provider: std::sync::Arc<dyn voiceport::VoiceProvider>) {
    /// # #[derive(Debug)] struct HappyRobot;
    /// # impl HappyRobot { fn options(&self) {} }
    /// // With `provider` from `voiceport::connect`:
    /// if let Some(happyrobot) = provider.extension::<HappyRobot>() {
    ///     happyrobot.options(); // and every other HappyRobot-only method
    /// }
    /// # }
    /// ```
    ///
    /// A provider wrapped in middleware of the application's (logging, metrics, a rate
    /// limiter) is looked through where the wrapper says what it wraps
    /// ([`VoiceProvider::wrapped`]).
    pub fn extension<T: Any>(&self) -> Option<&T> {
        let mut provider = self;
        // A few wrappers deep at most: one that names itself would otherwise be followed
        // for ever.
        for _ in 0..MAX_WRAPPERS {
            // `Any` is a supertrait: the trait object upcasts to it.
            let any: &dyn Any = provider;
            if let Some(found) = any.downcast_ref::<T>() {
                return Some(found);
            }
            provider = provider.wrapped()?;
        }
        None
    }
}

/// How many wrappers deep [`extension`](trait.VoiceProvider.html#method.extension) looks.
const MAX_WRAPPERS: usize = 16;

/// Conveniences built on [`VoiceProvider`], for every provider.
#[async_trait]
pub trait VoiceProviderExt: VoiceProvider {
    /// Every call matching `query`, across pages, fetched lazily page by page. The stream
    /// borrows the provider; to move it into a task (`tokio::spawn`), take one that owns
    /// its provider: [`call_stream`](crate::call_stream)`(provider.clone(), query)`.
    #[must_use = "a stream does nothing unless polled"]
    fn calls(&self, query: CallQuery) -> BoxStream<'_, Result<Call>> {
        crate::paging::call_stream(self, query)
    }

    /// Every page matching `query`, fetched lazily (each carries the cursor to resume from).
    #[must_use = "a stream does nothing unless polled"]
    fn pages(&self, query: CallQuery) -> BoxStream<'_, Result<CallPage>> {
        crate::paging::page_stream(self, query)
    }

    /// The calls `request`, dialed at `dialed_at` (a time taken just before the dial), may
    /// have placed: the look to take before dialing again after a dial whose outcome is
    /// not known ([`Error::call_may_exist`]), or whose future was dropped.
    ///
    /// It lists the calls to `request.to` created since two minutes before `dialed_at`
    /// (the vendor's clock may be behind), by the vendor's filters where it has them and
    /// compared here where it does not: a vendor that ranges by the start time (see
    /// [`Capabilities::time_range_on_start`]) is asked for every call to the number,
    /// since a call still ringing has no start; a listing that comes newest first stops
    /// at the first older call. Of those, a call that reads back one of the request's
    /// metadata keys with another value is left out; one without the key is kept, since
    /// not every vendor reads a dial's metadata back (set a key of your own, an order id,
    /// on every dial, to tell calls to one number apart where it does). Empty: no call
    /// has been placed so far; a dial that timed out may still be at work at the vendor,
    /// so look again a little later (a minute) before dialing again.
    ///
    /// ```no_run
    /// # use voiceport_core as voiceport;
    /// use voiceport::{DialRequest, VoiceProviderExt};
    ///
    /// # async fn run(provider: &dyn voiceport::VoiceProvider) -> voiceport::Result<()> {
    /// let mut request = DialRequest::to("+14155550187");
    /// request.metadata.insert("order_id".into(), "A-1042".into());
    /// let dialed_at = chrono::Utc::now();
    /// match provider.dial(&request).await {
    ///     Ok(dialed) => println!("placed {}", dialed.call_id),
    ///     Err(error) if error.call_may_exist() => {
    ///         match provider.find_dialed(&request, dialed_at).await?.as_slice() {
    ///             [] => println!("no call so far: look again in a minute, then dial"),
    ///             [call] => println!("placed after all: {}", call.id),
    ///             calls => println!("{} calls may be this dial's: look before dialing", calls.len()),
    ///         }
    ///     }
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(()) }
    /// ```
    async fn find_dialed(
        &self,
        request: &DialRequest,
        dialed_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::Call>> {
        crate::find_dialed::find_dialed(self, request, dialed_at).await
    }

    /// The transcript of a call already read (from a listing, a webhook, `get_call`): the
    /// one it carries, else the vendor's ([`get_transcript`](VoiceProvider::get_transcript)), one
    /// request. Whether a listed call carries its transcript depends on the vendor
    /// (Retell's and HappyRobot's listings carry none): this reads every call's the same
    /// way, asking only for those that lack it. A call that never started (no answer, busy,
    /// canceled before it was answered) or has not yet (scheduled, queued, ringing), with
    /// no start time and no duration, has nothing said in it: its transcript is empty,
    /// without a request. A request that fails is the error, for that call alone.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use voiceport_core::{CallQuery, VoiceProviderExt};
    /// # async fn run(provider: &dyn voiceport_core::VoiceProvider) -> voiceport_core::Result<()> {
    /// let mut calls = provider.calls(CallQuery::default());
    /// while let Some(call) = calls.try_next().await? {
    ///     let transcript = provider.transcript_of(&call).await?;
    ///     println!("{}: {} utterances", call.id, transcript.utterances.len());
    /// }
    /// # Ok(()) }
    /// ```
    async fn transcript_of(&self, call: &crate::Call) -> Result<Transcript> {
        match &call.transcript {
            Some(transcript) => Ok(transcript.clone()),
            None if never_talked(call) => Ok(Transcript::default()),
            None => self.get_transcript(&call.id).await,
        }
    }

    /// The recording of a call already read, as [`transcript_of`](Self::transcript_of)
    /// reads its transcript: the one it carries, else the vendor's
    /// ([`get_recording`](VoiceProvider::get_recording)), one request; `None` without a request
    /// for a call that never started (no answer, busy, canceled before it was answered) or
    /// has not yet. A request that fails is the error, for that call alone.
    ///
    /// ```no_run
    /// use voiceport_core::{CallId, VoiceProviderExt};
    /// # async fn run(provider: &dyn voiceport_core::VoiceProvider) -> voiceport_core::Result<()> {
    /// let call = provider.get_call(&CallId::new("call_45802f38266558e95adfd9466093")).await?;
    /// if let Some(recording) = provider.recording_of(&call).await? {
    ///     println!("{:?}", recording.mono_url);
    /// }
    /// # Ok(()) }
    /// ```
    async fn recording_of(&self, call: &crate::Call) -> Result<Option<Recording>> {
        match &call.recording {
            Some(recording) => Ok(Some(recording.clone())),
            None if never_talked(call) => Ok(None),
            None => self.get_recording(&call.id).await,
        }
    }

    /// Polls a call every [`wait.poll()`](crate::Wait::poll) until it reaches a terminal
    /// status ([`CallStatus::is_terminal`](crate::CallStatus::is_terminal)), or has an end
    /// time under a status voiceport does not know (`Unknown`: one the vendor added since),
    /// and returns it.
    /// `Transferred` is one: the AI's part is over, though the customer may still be on
    /// the line with whoever took the call. Gives up with [`Error::WaitTimedOut`] after
    /// [`wait.timeout()`](crate::Wait::timeout), once a last look at the deadline finds the
    /// call still live ([`Wait::forever`](crate::Wait::forever): no limit).
    /// A look still running one poll interval after the deadline (a vendor slow to answer,
    /// its retries) is given up too: the wait never outlasts its timeout by more than that.
    ///
    /// A look that fails with an error [worth trying again](Error::is_transient) (a
    /// vendor's 5xx or 429, a timeout, a dropped connection, once the HTTP client's own
    /// retries are spent) does not end the wait: the next poll looks again, no sooner than
    /// the failure's `Retry-After` (a 429's or a 503's; one asking for a pause past the
    /// deadline ends the wait with that failure at once, as no look is left that it
    /// allows). The third such failure in a row ends it with that error (a vendor that
    /// keeps failing is said at once, not at the deadline), and so does one at the
    /// deadline; a rate limit that says when to look again is not counted among them when
    /// the wait has a deadline (the vendor is pacing the wait, not failing it: its pauses
    /// are kept, up to the deadline; a wait without a limit counts them, as it would
    /// otherwise follow a vendor that never stops pacing it for ever). Any other error
    /// (the call not found, a wrong key) ends it at once.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime with its time driver enabled (`#[tokio::main]` has it; a
    /// runtime built by hand needs `enable_time`): it sleeps with `tokio::time`.
    async fn wait_until_ended(&self, id: &CallId, wait: crate::Wait) -> Result<Call> {
        let (poll, timeout) = (wait.poll(), wait.timeout());
        let started = tokio::time::Instant::now();
        // `None`: a limit too far to count, which is none.
        let deadline = started.checked_add(timeout);
        let cutoff = deadline.and_then(|deadline| deadline.checked_add(poll));
        let mut last_status = crate::CallStatus::Unknown;
        let mut failed_in_a_row = 0;
        let gave_up = |last_status| {
            Error::wait_timed_out(self.kind(), id.clone(), last_status, started.elapsed())
        };
        // A vendor pacing the looks is followed up to the deadline; with none (no limit),
        // its 429s count as failures, or it could hold the wait for ever.
        let followed = |error: &Error| paced(error) && deadline.is_some();
        loop {
            let look = self.get_call(id);
            let looked = match cutoff {
                Some(cutoff) => match tokio::time::timeout_at(cutoff, look).await {
                    Ok(looked) => looked,
                    Err(_) => return Err(gave_up(last_status)),
                },
                None => look.await,
            };
            let now = tokio::time::Instant::now();
            let past_deadline = deadline.is_some_and(|deadline| now >= deadline);
            let mut pause = poll;
            match looked {
                Ok(call) if has_ended(&call) => return Ok(call),
                Ok(call) if past_deadline => return Err(gave_up(call.status)),
                Ok(call) => {
                    last_status = call.status;
                    failed_in_a_row = 0;
                }
                // A passing failure: the call goes on meanwhile, and so does the wait.
                Err(error)
                    if error.is_transient()
                        && !past_deadline
                        && (followed(&error) || failed_in_a_row < FAILED_LOOKS_TOLERATED) =>
                {
                    if !followed(&error) {
                        failed_in_a_row += 1;
                    }
                    let asked = error.retry_after();
                    // A vendor asking for a pause (429, 503) past the deadline is not
                    // asked again before it: the wait ends with what it answered.
                    let asked_until = asked.and_then(|asked| now.checked_add(asked));
                    if let (Some(until), Some(deadline)) = (asked_until, deadline)
                        && until > deadline
                    {
                        return Err(error);
                    }
                    pause = asked.map_or(poll, |asked| asked.max(poll));
                }
                Err(error) => return Err(error),
            }
            // The next look, or the last one at the deadline.
            let next = now.checked_add(pause);
            match (next, deadline) {
                (Some(next), Some(deadline)) => tokio::time::sleep_until(next.min(deadline)).await,
                (Some(at), None) | (None, Some(at)) => tokio::time::sleep_until(at).await,
                (None, None) => tokio::time::sleep(Duration::from_secs(86_400)).await,
            }
        }
    }
}

/// Whether a call has had nothing said or recorded in it: one that never started (no
/// answer, busy, canceled before it was answered) or has not yet (scheduled, queued,
/// ringing), with no start time and no duration. A call canceled once answered (where a
/// vendor says so) did talk.
fn never_talked(call: &crate::Call) -> bool {
    use crate::CallStatus as S;
    let unanswered = matches!(
        call.status,
        S::NoAnswer | S::Busy | S::Canceled | S::Scheduled | S::Queued | S::Ringing
    );
    let talked = call.started_at.is_some() || call.duration_secs.is_some_and(|d| d > 0.0);
    unanswered && !talked
}

/// Whether a call looked at has ended: a terminal status, or one voiceport does not know
/// (a status the vendor added since) with an end time.
fn has_ended(call: &crate::Call) -> bool {
    let unknown_but_over = call.status == crate::CallStatus::Unknown && call.ended_at.is_some();
    call.status.is_terminal() || unknown_but_over
}

/// Whether a failed look is a rate limit that says when to look again: the vendor pacing
/// the looks, which [`VoiceProviderExt::wait_until_ended`] follows without counting it as
/// a failure.
fn paced(error: &Error) -> bool {
    matches!(
        error,
        Error::RateLimited {
            retry_after: Some(_),
            ..
        }
    )
}

/// How many looks in a row [`VoiceProviderExt::wait_until_ended`] lets fail with an error
/// worth trying again before it ends with the next one.
const FAILED_LOOKS_TOLERATED: u32 = 2;

impl<P: VoiceProvider + ?Sized> VoiceProviderExt for P {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetadataMode;

    /// The operations whose flag `supports` reads, each with a capabilities value where only
    /// that flag is set.
    fn one_flag_each() -> Vec<(Operation, Capabilities)> {
        let none = Capabilities::NONE;
        vec![
            (
                Operation::GetCall,
                Capabilities {
                    get_call: true,
                    ..none
                },
            ),
            (
                Operation::ListCalls,
                Capabilities {
                    list_calls: true,
                    ..none
                },
            ),
            (Operation::Dial, Capabilities { dial: true, ..none }),
            (
                Operation::UpdateField("name"),
                Capabilities {
                    update_name: true,
                    ..none
                },
            ),
            (
                Operation::GetTranscript,
                Capabilities {
                    transcript: true,
                    ..none
                },
            ),
            (
                Operation::GetRecording,
                Capabilities {
                    recording: true,
                    ..none
                },
            ),
            (
                Operation::EndCall,
                Capabilities {
                    end_call: true,
                    ..none
                },
            ),
            (
                Operation::CancelCall,
                Capabilities {
                    cancel_call: true,
                    ..none
                },
            ),
            (
                Operation::DeleteCall,
                Capabilities {
                    delete_call: true,
                    ..none
                },
            ),
            (
                Operation::AddNote,
                Capabilities {
                    notes: true,
                    ..none
                },
            ),
            (
                Operation::UpdateNote,
                Capabilities {
                    notes: true,
                    ..none
                },
            ),
            (
                Operation::DeleteNote,
                Capabilities {
                    notes: true,
                    ..none
                },
            ),
            (
                Operation::ParseWebhook,
                Capabilities {
                    webhooks: true,
                    ..none
                },
            ),
            (
                Operation::ListFilter(Filter::Tags),
                Capabilities {
                    filter_tags: true,
                    ..none
                },
            ),
        ]
    }

    #[test]
    fn supports_reads_each_operation_from_its_own_flag() {
        let flags = one_flag_each();
        for (operation, caps) in &flags {
            assert_eq!(caps.supports(*operation), Some(true), "{operation:?}");
            assert_eq!(
                Capabilities::NONE.supports(*operation),
                Some(false),
                "{operation:?}"
            );
            // No other operation's flag allows it (the notes share one).
            for (other, other_caps) in &flags {
                let shares = caps == other_caps;
                if !shares {
                    assert_eq!(
                        other_caps.supports(*operation),
                        Some(false),
                        "{operation:?} by {other:?}'s flag"
                    );
                }
            }
        }
    }

    #[test]
    fn an_update_is_supported_where_any_part_is_and_each_mode_by_its_own_flag() {
        let none = Capabilities::NONE;
        for mode in [MetadataMode::Merge, MetadataMode::Replace] {
            let only = Capabilities {
                update_metadata_merge: mode == MetadataMode::Merge,
                update_metadata_replace: mode == MetadataMode::Replace,
                ..none
            };
            let field = |m: MetadataMode| Operation::UpdateField(m.update_field());
            let other = match mode {
                MetadataMode::Merge => MetadataMode::Replace,
                MetadataMode::Replace => MetadataMode::Merge,
            };
            assert_eq!(only.supports(field(mode)), Some(true), "{mode:?}");
            assert_eq!(only.supports(field(other)), Some(false), "{mode:?}");
            assert_eq!(only.supports(Operation::UpdateCall), Some(true), "{mode:?}");
        }
        assert_eq!(none.supports(Operation::UpdateCall), Some(false));
    }

    #[test]
    fn a_schedule_needs_the_dial_too_and_flags_say_nothing_of_extensions_or_other_fields() {
        let scheduled = Operation::DialOption("scheduled_for");
        let schedules = Capabilities {
            dial: true,
            dial_scheduled: true,
            ..Capabilities::NONE
        };
        assert_eq!(schedules.supports(scheduled), Some(true));
        let without_dial = Capabilities {
            dial: false,
            ..schedules
        };
        assert_eq!(without_dial.supports(scheduled), Some(false));
        for unsaid in [
            Operation::DialOption("language"),
            Operation::UpdateField("tags"),
            Operation::Extension("set_rating"),
            Operation::ExtensionRead("usage"),
        ] {
            assert_eq!(schedules.supports(unsaid), None, "{unsaid:?}");
        }
    }
}
