//! The suite against an in-memory provider whose faults each test picks: what the suite
//! must say about a provider (or an account) that misbehaves in one way.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::cases::{missing_id, unplaceable_dial};
use super::{Environment, Outcome, Report, run};
use crate::{
    AgentRef, Call, CallId, CallKind, CallPage, CallQuery, CallStatus, CallUpdate, Capabilities,
    Cost, DialOutcome, DialRequest, Direction, Error, Filter, IdFormat, MetadataMode, Note, NoteId,
    NoteInput, NoteUpdate, Operation, PageCursor, ProviderKind, Recording, Result, SortOrder,
    Speaker, Transcript, Utterance, VendorPayload, VoiceProvider,
};

const KIND: ProviderKind = ProviderKind::HappyRobot;
/// Every case the suite has.
const CASES: usize = 33;
/// A number the fake answers with a conversation, and one it answers busy.
const ANSWERS: &str = "+14155550199";
const BUSY: &str = "+14155550121";
/// A number whose calls fail (the provider's fault, not the line's).
const FAILS: &str = "+14155550133";

fn server_error(operation: Operation) -> Error {
    Error::Server {
        provider: KIND,
        operation,
        status: 503,
        retry_after: None,
        message: None,
    }
}

/// A call the account held before the run: a customer's.
fn listed_call(i: usize, at: DateTime<Utc>) -> Call {
    let mut call = Call::new(CallId::new(format!("listed-{i}")), KIND);
    call.status = CallStatus::Completed;
    call.direction = Some(Direction::Outbound);
    call.created_at = Some(at + TimeDelta::minutes(i64::try_from(i).unwrap()));
    // A completed call started a moment after it was created.
    call.started_at = call
        .created_at
        .map(|created| created + TimeDelta::seconds(5));
    call.to = Some(format!("+1415555{i:04}"));
    call.from = Some("+14155550000".into());
    call.agent = Some(AgentRef {
        id: Some("agent-1".into()),
        name: None,
    });
    call.campaign_id = Some("campaign-1".into());
    call.tags = vec!["renewal".into()];
    call.duration_secs = Some(30.0);
    call.set_vendor_payload(VendorPayload::from_value(&serde_json::json!({"id": i})));
    call
}

/// Calls a vendor returned for a filter on a field they do not carry: no direction,
/// number, agent, campaign or tag, a creation time a month old and no start time.
fn bare_calls() -> Vec<Call> {
    (0..2)
        .map(|i| {
            let mut call = Call::new(CallId::new(format!("bare-{i}")), KIND);
            call.status = CallStatus::Completed;
            call.created_at = Some(Utc::now() - TimeDelta::days(30));
            call.set_vendor_payload(VendorPayload::from_value(&serde_json::json!({})));
            call
        })
        .collect()
}

/// A call that contradicts every filter value read off a listed call.
fn other_call() -> Call {
    let mut call = Call::new(CallId::new("other"), KIND);
    call.kind = CallKind::Web;
    call.status = CallStatus::Busy;
    call.direction = Some(Direction::Inbound);
    let long_ago = Utc::now() - TimeDelta::days(300);
    call.created_at = Some(long_ago);
    call.started_at = Some(long_ago);
    call.to = Some("+16175550000".into());
    call.from = Some("+16175550001".into());
    call.agent = Some(AgentRef {
        id: Some("agent-2".into()),
        name: None,
    });
    call.campaign_id = Some("campaign-2".into());
    call.tags = vec!["other".into()];
    call.set_vendor_payload(VendorPayload::from_value(&serde_json::json!({})));
    call
}

/// An account in memory. Dialed calls are live until looked at (`get_call`) once, or
/// until ended; the faults are off unless a test sets them.
#[derive(Debug)]
struct Fake {
    max_page_size: u32,
    calls: Mutex<Vec<Call>>,
    /// Dialed calls still live: how many more looks until each shows as ended.
    live: Mutex<BTreeMap<CallId, usize>>,
    /// Every listing fails.
    list_fails: bool,
    /// Every `get_call` fails.
    get_fails: bool,
    /// How many more `get_call`s of a dialed call fail (a passing outage), before they
    /// work again.
    dialed_reads_failing: AtomicUsize,
    /// After the last call, empty pages with ever new cursors.
    endless: bool,
    /// A filtered listing finds nothing, whatever the value.
    filters_find_nothing: bool,
    /// A filtered listing starts with an empty page (a vendor filtering each page after
    /// fetching it), then serves the calls.
    filters_start_empty: bool,
    /// A listing filtered on a field also returns `bare` calls, which lack every field
    /// (a page decoder keeping what the vendor filtered on a field it does not show).
    keeps_bare: bool,
    /// A filtered listing returns every call, the filter ignored.
    ignores_filters: bool,
    /// A listing filtered on several statuses filters on the first alone.
    first_status_only: bool,
    /// Every listing counts all its calls (`total`), but says no page follows the first.
    stops_after_first_page: bool,
    /// A page holds at most this many calls, whatever size is asked for.
    serves_at_most: Option<usize>,
    /// With `stops_after_first_page`: the page says no count of the calls.
    counts_nothing: bool,
    /// `get_call` of a dialed call answers another id (an adapter reading the wrong id).
    misreads_dialed: bool,
    /// A time range is applied without its `until` (an adapter that drops it).
    ignores_until: bool,
    /// The next page starts one call early (an adapter's cursor off by one).
    overlaps_pages: bool,
    /// The `server_paging` and `client_side_filtering` it declares, where they are not
    /// what it does.
    declares_server_paging: Option<bool>,
    declares_client_side_filtering: Option<bool>,
    /// Declares `dial: false`, but places whatever dial it gets (no capability guard).
    declares_no_dial: bool,
    /// Declares `sort: false` and this listing order (and refuses the other order); lists
    /// in `lists_in` whatever the query asks.
    listing_order: Option<SortOrder>,
    lists_in: Option<SortOrder>,
    /// Every dial request received.
    dial_requests: Mutex<Vec<DialRequest>>,
    /// How many `end_call`s fail before one works, and how many were made.
    end_failures: AtomicUsize,
    end_calls: AtomicUsize,
    /// Looks an ended call stays live for (a vendor ending it a moment later).
    ends_after_looks: usize,
    dialed: AtomicUsize,
    notes: AtomicUsize,
    /// Every call updated, noted or deleted.
    changed: Mutex<Vec<CallId>>,
    /// Declares replacing metadata only (no merge), and merges it.
    merges_on_replace: bool,
    /// Declares scheduled dials, but places a scheduled call at once.
    schedules_now: bool,
    /// Answers an update or a note with the call as changed, but stores nothing (an
    /// adapter that builds its answer without the vendor having done anything).
    forgets_writes: bool,
    /// A call is placed on the account before each page after the first is read (a busy
    /// account during a walk).
    arrivals: bool,
    /// Declares analysis, which a dialed call gains only this many reads after it ended
    /// (as Retell's comes with `call_analyzed`, after `call_ended`).
    analysis_after_looks: Option<AtomicUsize>,
    /// Declares recordings, each call's at this URL.
    recording_url: Option<&'static str>,
    /// Gives no recording for the calls it dialed (an agent that does not record).
    dialed_unrecorded: bool,
    /// Declares `cancel_call`, which cancels a scheduled call and refuses any other.
    cancels: bool,
    /// The largest page size a listing asked for.
    largest_page_asked: AtomicUsize,
    /// How many listings were asked for.
    lists: AtomicUsize,
    /// Listings past this many are answered 429 (the key's rate limit reached).
    rate_limited_after_lists: Option<usize>,
    /// A `get_call` of a call it does not hold is answered 429, not a not-found.
    rate_limits_missing: bool,
    /// Declares no search filter, and refuses a search as unsupported for this operation
    /// (its own filter, or another: an adapter naming the wrong thing).
    refuses_search_as: Option<Operation>,
    /// A search returns its first match alone.
    searches_first_only: bool,
    /// Declares that a time range compares the start time, but compares the creation
    /// time too (as `CallQuery::matches` does).
    declares_start_filtering: bool,
    /// Declares that a time range compares the creation time (the default), but leaves
    /// out every call that never started.
    filters_on_start: bool,
}

impl Fake {
    fn with_calls(n: usize) -> Self {
        let at = Utc::now() - TimeDelta::days(1);
        Fake {
            largest_page_asked: AtomicUsize::new(0),
            lists: AtomicUsize::new(0),
            rate_limited_after_lists: None,
            rate_limits_missing: false,
            max_page_size: 100,
            calls: Mutex::new((0..n).map(|i| listed_call(i, at)).collect()),
            live: Mutex::new(BTreeMap::new()),
            list_fails: false,
            get_fails: false,
            dialed_reads_failing: AtomicUsize::new(0),
            endless: false,
            filters_find_nothing: false,
            filters_start_empty: false,
            keeps_bare: false,
            ignores_filters: false,
            first_status_only: false,
            stops_after_first_page: false,
            serves_at_most: None,
            counts_nothing: false,
            misreads_dialed: false,
            ignores_until: false,
            overlaps_pages: false,
            declares_server_paging: None,
            declares_client_side_filtering: None,
            declares_no_dial: false,
            listing_order: None,
            lists_in: None,
            dial_requests: Mutex::new(Vec::new()),
            end_failures: AtomicUsize::new(0),
            end_calls: AtomicUsize::new(0),
            ends_after_looks: 0,
            dialed: AtomicUsize::new(0),
            notes: AtomicUsize::new(0),
            changed: Mutex::new(Vec::new()),
            merges_on_replace: false,
            schedules_now: false,
            forgets_writes: false,
            analysis_after_looks: None,
            arrivals: false,
            recording_url: None,
            dialed_unrecorded: false,
            cancels: false,
            refuses_search_as: None,
            searches_first_only: false,
            declares_start_filtering: false,
            filters_on_start: false,
        }
    }

    fn changed(&self) -> Vec<CallId> {
        self.changed.lock().unwrap().clone()
    }

    fn ids(&self) -> Vec<CallId> {
        let calls = self.calls.lock().unwrap();
        calls.iter().map(|c| c.id.clone()).collect()
    }

    /// Applies `change` to the call `id` and returns it.
    fn change(&self, id: &CallId, change: impl FnOnce(&mut Call)) -> Result<Call> {
        self.changed.lock().unwrap().push(id.clone());
        let mut calls = self.calls.lock().unwrap();
        let call = calls
            .iter_mut()
            .find(|c| &c.id == id)
            .ok_or_else(|| not_found(Operation::UpdateCall))?;
        if self.forgets_writes {
            let mut answered = call.clone();
            change(&mut answered);
            return Ok(answered);
        }
        change(call);
        Ok(call.clone())
    }
}

fn not_found(operation: Operation) -> Error {
    Error::NotFound {
        provider: KIND,
        operation,
        message: None,
    }
}

#[async_trait]
impl VoiceProvider for Fake {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            get_call: true,
            list_calls: true,
            dial: !self.declares_no_dial,
            dial_scheduled: self.schedules_now,
            cancel_call: self.cancels,
            update_name: true,
            // A replace-only vendor (as Retell) when it merges in secret.
            update_metadata_merge: !self.merges_on_replace,
            update_metadata_replace: true,
            end_call: true,
            delete_call: true,
            notes: true,
            filter_direction: true,
            filter_kind: true,
            filter_statuses: true,
            filter_time_range: true,
            // The calls it keeps bare are Rounded's: created, never started, filtered on
            // the start time.
            time_range_on_start: self.keeps_bare || self.declares_start_filtering,
            filter_agent: true,
            filter_campaign: true,
            filter_tags: true,
            filter_search: self.refuses_search_as.is_none(),
            filter_from_number: true,
            filter_to_number: true,
            sort: self.listing_order.is_none(),
            listing_order: self.listing_order,
            analysis: self.analysis_after_looks.is_some(),
            recording: self.recording_url.is_some(),
            // Its empty first pages are what filtering after the fetch serves.
            client_side_filtering: (self.declares_client_side_filtering)
                .unwrap_or(self.filters_start_empty),
            server_paging: self.declares_server_paging.unwrap_or(true),
            max_page_size: self.max_page_size,
            default_page_size: self.max_page_size,
            ..Capabilities::NONE
        }
    }

    async fn get_call(&self, id: &CallId) -> Result<Call> {
        if self.get_fails {
            return Err(server_error(Operation::GetCall));
        }
        let failing = &self.dialed_reads_failing;
        if id.as_str().starts_with("dialed-")
            && failing
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return Err(server_error(Operation::GetCall));
        }
        let mut live = self.live.lock().unwrap();
        let mut calls = self.calls.lock().unwrap();
        let call = calls.iter_mut().find(|c| &c.id == id).ok_or_else(|| {
            match self.rate_limits_missing {
                true => rate_limited(Operation::GetCall),
                false => not_found(Operation::GetCall),
            }
        })?;
        if let Some(looks) = live.get_mut(id) {
            *looks = looks.saturating_sub(1);
            if *looks == 0 {
                live.remove(id);
                call.status = CallStatus::Completed;
                call.duration_secs = Some(30.0);
            }
        } else if let Some(late) = &self.analysis_after_looks
            && call.status == CallStatus::Completed
            && call.id.as_str().starts_with("dialed-")
            && late.fetch_sub(1, Ordering::SeqCst) <= 1
        {
            late.store(0, Ordering::SeqCst);
            call.analysis.summary = Some("The caller booked a visit.".into());
        }
        if self.misreads_dialed && call.id.as_str().starts_with("dialed-") {
            let mut misread = call.clone();
            misread.id = CallId::new(format!("misread-{}", call.id));
            return Ok(misread);
        }
        Ok(call.clone())
    }

    async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
        let asked = query.page_size.unwrap_or_default() as usize;
        self.largest_page_asked.fetch_max(asked, Ordering::SeqCst);
        let listed = self.lists.fetch_add(1, Ordering::SeqCst);
        if self
            .rate_limited_after_lists
            .is_some_and(|limit| listed >= limit)
        {
            return Err(rate_limited(Operation::ListCalls));
        }
        if self.list_fails {
            return Err(server_error(Operation::ListCalls));
        }
        if let Some(operation) = self.refuses_search_as
            && query.search.is_some()
        {
            return Err(Error::unsupported(KIND, operation));
        }
        if self.listing_order.is_some() {
            // Only this knob's cases rely on the guard; the others check what a provider
            // without one does.
            query.ensure_supported(KIND, &self.capabilities())?;
        }
        // Tags go as a comma-separated list, as HappyRobot's do: one holding a comma cannot.
        if query.tags.iter().any(|tag| tag.contains(',')) {
            return Err(Error::invalid_input(
                KIND,
                Operation::ListCalls,
                "a tag holds a comma",
            ));
        }
        let bare = CallQuery {
            page_size: None,
            cursor: None,
            ..query.clone()
        };
        let filtered = bare != CallQuery::default();
        if self.arrivals && query.cursor.is_some() {
            let mut calls = self.calls.lock().unwrap();
            let n = calls.len();
            calls.push(listed_call(n, Utc::now()));
        }
        if filtered && self.filters_start_empty && query.cursor.is_none() {
            return Ok(CallPage {
                calls: Vec::new(),
                next: Some(PageCursor::Offset { skip: 0 }),
                total: None,
                vendor_ids: None,
            });
        }
        let matching: Vec<Call> = if filtered && self.filters_find_nothing {
            Vec::new()
        } else if filtered && self.ignores_filters {
            self.calls.lock().unwrap().clone()
        } else {
            let field_filters = [
                Filter::Direction,
                Filter::TimeRange,
                Filter::Agent,
                Filter::Campaign,
                Filter::Tags,
                Filter::FromNumber,
                Filter::ToNumber,
            ];
            let on_fields = (query.filters_used().iter()).all(|f| field_filters.contains(f));
            let mut matching = if filtered && self.keeps_bare && on_fields {
                bare_calls()
            } else {
                Vec::new()
            };
            let calls = self.calls.lock().unwrap();
            let query = match self.first_status_only {
                true => &CallQuery {
                    statuses: query.statuses.iter().take(1).copied().collect(),
                    ..query.clone()
                },
                false => query,
            };
            let query = match self.ignores_until {
                true => &CallQuery {
                    until: None,
                    ..query.clone()
                },
                false => query,
            };
            matching.extend(calls.iter().filter(|c| query.matches(c)).cloned());
            if self.searches_first_only && query.search.is_some() {
                matching.truncate(1);
            }
            if self.filters_on_start && (query.since.is_some() || query.until.is_some()) {
                matching.retain(|call| call.started_at.is_some());
            }
            // Kept oldest first.
            if self.lists_in.or(query.sort) == Some(SortOrder::Descending) {
                matching.reverse();
            }
            matching
        };
        let size = self.capabilities().page_size(query) as usize;
        let size = self.serves_at_most.map_or(size, |most| size.min(most));
        let skip = match &query.cursor {
            Some(PageCursor::Offset { skip }) => usize::try_from(*skip).unwrap(),
            _ => 0,
        };
        let end = (skip + size).min(matching.len());
        let calls = matching
            .get(skip.min(end)..end)
            .unwrap_or_default()
            .to_vec();
        let more = (end < matching.len() && !self.stops_after_first_page) || self.endless;
        let step = size - usize::from(self.overlaps_pages && size > 1);
        let next = more.then(|| PageCursor::Offset {
            skip: u64::try_from(skip + step).unwrap(),
        });
        let total = (self.stops_after_first_page && !self.counts_nothing)
            .then(|| u64::try_from(matching.len()).unwrap());
        Ok(CallPage {
            calls,
            next,
            total,
            vendor_ids: None,
        })
    }

    async fn dial(&self, request: &DialRequest) -> Result<DialOutcome> {
        self.dial_requests.lock().unwrap().push(request.clone());
        if request.scheduled_for.is_some() && !self.schedules_now {
            return Err(Error::unsupported(KIND, Operation::Dial));
        }
        if request.to.is_empty() {
            // What a vendor answers a dial without a number.
            return Err(Error::invalid_input(KIND, Operation::Dial, "no `to`"));
        }
        let n = self.dialed.fetch_add(1, Ordering::SeqCst);
        let id = CallId::new(format!("dialed-{n}"));
        let mut call = Call::new(id.clone(), KIND);
        call.to = Some(request.to.clone());
        call.created_at = Some(Utc::now());
        call.set_vendor_payload(VendorPayload::from_value(&serde_json::json!({})));
        if request.to == BUSY {
            call.status = CallStatus::Busy;
        } else if request.to == FAILS {
            call.status = CallStatus::Failed;
        } else {
            call.status = CallStatus::InProgress;
            // A call placed now although scheduled stays live a few looks, long enough
            // to be seen ringing.
            let looks = if request.scheduled_for.is_some() {
                3
            } else {
                1
            };
            self.live.lock().unwrap().insert(id.clone(), looks);
        }
        self.calls.lock().unwrap().push(call);
        Ok(DialOutcome {
            call_id: id,
            call: None,
        })
    }

    async fn update_call(&self, id: &CallId, update: &CallUpdate) -> Result<Call> {
        let merge = update.metadata.is_some() && update.metadata_mode == MetadataMode::Merge;
        if merge && self.merges_on_replace {
            return Err(Error::unsupported(KIND, Operation::UpdateCall));
        }
        self.change(id, |call| {
            if let Some(name) = &update.name {
                call.name = Some(name.clone());
            }
            if let Some(metadata) = &update.metadata {
                if update.metadata_mode == MetadataMode::Replace && !self.merges_on_replace {
                    call.metadata.clear();
                }
                call.metadata.extend(metadata.clone());
            }
        })
    }

    async fn get_transcript(&self, _id: &CallId) -> Result<Transcript> {
        Err(Error::unsupported(KIND, Operation::GetTranscript))
    }

    async fn get_recording(&self, id: &CallId) -> Result<Option<Recording>> {
        let Some(url) = self.recording_url else {
            return Err(Error::unsupported(KIND, Operation::GetRecording));
        };
        if self.dialed_unrecorded && id.as_str().starts_with("dialed-") {
            return Ok(None);
        }
        Ok(Some(Recording {
            mono_url: Some(url.to_owned()),
            ..Recording::default()
        }))
    }

    async fn cancel_call(&self, id: &CallId) -> Result<()> {
        if !self.cancels {
            return Err(Error::unsupported(KIND, Operation::CancelCall));
        }
        let mut calls = self.calls.lock().unwrap();
        let call = (calls.iter_mut())
            .find(|c| &c.id == id)
            .ok_or_else(|| not_found(Operation::CancelCall))?;
        if call.status != CallStatus::Scheduled {
            let message = "only a scheduled call can be canceled";
            return Err(Error::invalid_input(KIND, Operation::CancelCall, message));
        }
        call.status = CallStatus::Canceled;
        Ok(())
    }

    async fn end_call(&self, id: &CallId) -> Result<()> {
        self.end_calls.fetch_add(1, Ordering::SeqCst);
        let failing = self.end_failures.load(Ordering::SeqCst);
        if failing > 0 {
            self.end_failures.store(failing - 1, Ordering::SeqCst);
            return Err(server_error(Operation::EndCall));
        }
        let mut live = self.live.lock().unwrap();
        if live.contains_key(id) {
            if self.ends_after_looks == 0 {
                live.remove(id);
                let mut calls = self.calls.lock().unwrap();
                if let Some(call) = calls.iter_mut().find(|c| &c.id == id) {
                    call.status = CallStatus::Completed;
                }
            } else {
                live.insert(id.clone(), self.ends_after_looks);
            }
        }
        Ok(())
    }

    async fn delete_call(&self, id: &CallId) -> Result<()> {
        self.changed.lock().unwrap().push(id.clone());
        self.calls.lock().unwrap().retain(|c| &c.id != id);
        Ok(())
    }

    async fn add_note(&self, id: &CallId, note: &NoteInput) -> Result<Call> {
        let n = self.notes.fetch_add(1, Ordering::SeqCst);
        self.change(id, |call| {
            call.notes.push(Note {
                id: NoteId::new(format!("note-{n}")),
                content: note.content.clone(),
                author: None,
                flagged: note.flagged,
                created_at: None,
            });
        })
    }

    async fn update_note(
        &self,
        id: &CallId,
        note_id: &NoteId,
        update: &NoteUpdate,
    ) -> Result<Call> {
        self.change(id, |call| {
            for n in call.notes.iter_mut().filter(|n| &n.id == note_id) {
                if let Some(text) = update.new_text() {
                    n.content = text.to_owned();
                }
                if let Some(flagged) = update.flagged {
                    n.flagged = flagged;
                }
            }
        })
    }

    async fn delete_note(&self, id: &CallId, note_id: &NoteId) -> Result<Call> {
        self.change(id, |call| call.notes.retain(|n| &n.id != note_id))
    }
}

/// What the run may do: by default, a live account's read-only run.
#[derive(Default)]
struct Env {
    expected: Option<usize>,
    writes: bool,
    dial: bool,
    /// What `dials_received` answers, one value a question.
    dial_counts: Mutex<Vec<usize>>,
    /// The number said to answer, when it is not [`ANSWERS`]: [`BUSY`] (a live account's
    /// `--dial` number not answered) or [`FAILS`].
    dial_to: Option<&'static str>,
    /// Scheduled calls may be left behind (the provider cannot cancel them).
    leave_scheduled: bool,
    /// The calls the suite said it placed ([`Environment::dialed`]).
    told: Mutex<Vec<CallId>>,
}

impl Env {
    /// An account said to hold `calls` calls.
    fn expecting(calls: usize) -> Env {
        Env {
            expected: Some(calls),
            ..Env::default()
        }
    }

    /// A run that may dial and write.
    fn dialing_and_writing() -> Env {
        Env {
            writes: true,
            dial: true,
            ..Env::default()
        }
    }
}

impl Environment for Env {
    fn dial_number(&self) -> Option<String> {
        self.dial
            .then(|| self.dial_to.unwrap_or(ANSWERS).to_owned())
    }

    fn busy_number(&self) -> Option<String> {
        self.dial.then(|| BUSY.to_owned())
    }

    fn allow_writes(&self) -> bool {
        self.writes
    }

    fn expected_calls(&self, _kind: ProviderKind) -> Option<usize> {
        self.expected
    }

    fn dials_received(&self, _kind: ProviderKind) -> Option<usize> {
        let mut counts = self.dial_counts.lock().unwrap();
        (!counts.is_empty()).then(|| counts.remove(0))
    }

    fn call_deadline(&self) -> (Duration, Duration) {
        (Duration::from_secs(5), Duration::from_millis(10))
    }

    fn may_leave_scheduled_calls(&self) -> bool {
        self.leave_scheduled
    }

    fn dialed(&self, kind: ProviderKind, call_id: &CallId) {
        assert_eq!(kind, KIND);
        self.told.lock().unwrap().push(call_id.clone());
    }
}

/// The vendor's 429 to `operation`: its rate limit reached.
fn rate_limited(operation: Operation) -> Error {
    let said = Some("Too many requests".into());
    Error::from_status(KIND, operation, 429, said, Vec::new())
}

/// A case answered 429 (the key's rate limit, once the client's retries are spent) fails,
/// and the cases after it are not run: nothing more is sent against a key production may
/// be using.
#[tokio::test]
async fn a_rate_limited_case_stops_the_run() {
    let provider = Fake {
        rate_limited_after_lists: Some(4),
        ..Fake::with_calls(50)
    };
    let report = check(&provider, &Env::default()).await;
    let failures = report.failures();
    assert_eq!(failures.len(), 1, "{report}");
    let failed = failures[0];
    let (case, why) = match &failed.outcome {
        Outcome::Failed(why) => (&failed.case, why),
        other => panic!("{other:?}"),
    };
    assert!(why.contains("rate limited"), "{case}: {why}");
    // One listing answered 429, and nothing asked after it.
    assert_eq!(provider.lists.load(Ordering::SeqCst), 5, "{report}");
    not_run_after(&report, case);

    // A case that reads the answer itself (a missing call's, which must be a not-found)
    // stops the run as well.
    let provider = Fake {
        rate_limits_missing: true,
        ..Fake::with_calls(50)
    };
    let report = check(&provider, &Env::default()).await;
    let why = failure(&report, "get_call of a missing id is NotFound");
    assert!(why.contains("rate limited"), "{why}");
    not_run_after(&report, "get_call of a missing id is NotFound");
}

/// Every case of `report` after `case` was not run, for an earlier rate limit.
#[track_caller]
fn not_run_after(report: &Report, case: &str) {
    let at = report.cases.iter().position(|c| c.case == case).unwrap();
    assert!(
        at + 1 < report.cases.len(),
        "no case after {case}: {report}"
    );
    for later in &report.cases[at + 1..] {
        assert!(
            matches!(&later.outcome, Outcome::NotRun(why) if why.contains("rate limited an earlier case")),
            "{}: {:?}",
            later.case,
            later.outcome
        );
    }
}

/// A read-only run on a large live account sends a bounded number of listings: the
/// filters of a large account fill every page, and the case of filtering after the
/// fetch stops at its budget rather than reading 20 pages of each of its listings.
#[tokio::test]
async fn a_read_only_run_on_a_large_account_lists_a_bounded_number_of_pages() {
    let provider = Fake::with_calls(5_000);
    let report = check(&provider, &Env::default()).await;
    let lists = provider.lists.load(Ordering::SeqCst);
    // 203 before the case had a budget.
    assert!(lists <= 45, "{lists} listings\n{report}");
}

async fn check(provider: &Fake, env: &Env) -> Report {
    let report = run(provider, env).await;
    assert_eq!(report.cases.len(), CASES, "{report}");
    report
}

fn outcome(report: &Report, case: &str) -> Outcome {
    let found = report.cases.iter().find(|c| c.case == case);
    found
        .map(|c| c.outcome.clone())
        .unwrap_or_else(|| panic!("no case {case}\n{report}"))
}

fn failure(report: &Report, case: &str) -> String {
    match outcome(report, case) {
        Outcome::Failed(why) => why,
        other => panic!("{case}: {other:?}\n{report}"),
    }
}

fn not_run(report: &Report, case: &str) -> String {
    match outcome(report, case) {
        Outcome::NotRun(why) => why,
        other => panic!("{case}: {other:?}\n{report}"),
    }
}

/// The fake behaving, every case allowed: all pass or are unsupported, and only calls
/// the run dialed were changed.
#[tokio::test]
async fn a_run_that_dials_and_writes_changes_only_the_calls_it_dialed() {
    // More calls than a page holds, so that the page sizes are checked.
    let provider = Fake::with_calls(120);
    let listed = provider.ids();
    let env = Env {
        expected: Some(120),
        writes: true,
        dial: true,
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    assert!(report.failures().is_empty(), "{report}");
    assert!(report.not_run().is_empty(), "{report}");
    assert_eq!(report.passed(), 24, "{report}");
    assert_eq!(report.unsupported(), 9, "{report}");
    let changed = provider.changed();
    // Name, merge (2), replace (2), notes (add, update, unflag, delete) on the dialed
    // call; one delete.
    assert_eq!(changed.len(), 10, "{changed:?}");
    // The environment was told of every call placed, as each was placed.
    let placed = provider.dialed.load(Ordering::SeqCst);
    let told = env.told.lock().unwrap().clone();
    let every_call_placed: Vec<CallId> = (0..placed)
        .map(|n| CallId::new(format!("dialed-{n}")))
        .collect();
    assert!(placed >= 2, "{placed}");
    assert_eq!(told, every_call_placed);
    assert!(changed.iter().all(|id| !listed.contains(id)), "{changed:?}");
    // Every call the account held before is still there.
    let ids = provider.ids();
    assert!(listed.iter().all(|id| ids.contains(id)), "{ids:?}");
}

/// Writes are judged on the call as stored, read again: an adapter that answers with the
/// call as changed but stores nothing fails every update and note case.
#[tokio::test]
async fn a_write_answered_but_not_stored_fails() {
    let provider = Fake {
        forgets_writes: true,
        ..Fake::with_calls(80)
    };
    let env = Env {
        expected: Some(80),
        writes: true,
        dial: true,
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    for case in [
        "update name",
        "update metadata (merge)",
        "update metadata (replace)",
        "notes: add, update, delete",
    ] {
        // The second of two writes shows the first missing even on the call returned.
        let why = failure(&report, case);
        assert!(
            why.contains("stored call") || why.contains("returned call"),
            "{case}: {why}"
        );
    }
    assert!(failure(&report, "update name").contains("stored call"));
}

/// A scheduled dial the vendor places at once fails, and the ringing call is ended rather
/// than left to a cancel that cannot stop a call under way.
#[tokio::test]
async fn a_scheduled_dial_placed_at_once_is_ended() {
    let provider = Fake {
        schedules_now: true,
        ..Fake::with_calls(80)
    };
    let env = Env {
        leave_scheduled: true,
        ..Env::dialing_and_writing()
    };
    let report = check(&provider, &env).await;
    let why = failure(&report, "dial scheduled");
    assert!(why.contains("not scheduled; ended it"), "{why}");
    // The call ended, no scheduled call is left to cancel: the cancel case is not run,
    // rather than failing a second time on a call no cancel could stop.
    let cancelling = Fake {
        schedules_now: true,
        cancels: true,
        ..Fake::with_calls(80)
    };
    let report = check(&cancelling, &Env::dialing_and_writing()).await;
    assert!(failure(&report, "dial scheduled").contains("not scheduled; ended it"));
    let why = not_run(&report, "cancel a scheduled call");
    assert!(why.contains("no scheduled call"), "{why}");
}

/// A run allowed to write but that dialed nothing changes nothing: the listed calls are
/// a customer's. The write cases say why they did not run.
#[tokio::test]
async fn write_cases_leave_the_listed_calls_alone() {
    let provider = Fake::with_calls(5);
    let env = Env {
        writes: true,
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    assert!(report.failures().is_empty(), "{report}");
    for case in [
        "update name",
        "update metadata (merge)",
        "update metadata (replace)",
        "notes: add, update, delete",
        "delete a call",
    ] {
        let why = not_run(&report, case);
        assert!(why.contains("only a call this run dialed"), "{case}: {why}");
    }
    assert_eq!(provider.changed(), Vec::<CallId>::new());
    assert_eq!(provider.ids().len(), 5);
}

/// A read-only run (what `voiceport check` does without `--dial`) against a provider that
/// supports every write sends none: no dial of any kind, no end, no update, no note, no
/// delete; every write case says why it did not run.
#[tokio::test]
async fn a_read_only_run_writes_nothing_whatever_the_provider_supports() {
    let provider = Fake {
        schedules_now: true,
        ..Fake::with_calls(12)
    };
    let caps = provider.capabilities();
    assert!(caps.dial && caps.dial_scheduled && caps.end_call && caps.delete_call && caps.notes);
    let report = check(&provider, &Env::default()).await;
    assert!(report.failures().is_empty(), "{report}");
    assert!(provider.dial_requests.lock().unwrap().is_empty());
    assert_eq!(provider.dialed.load(Ordering::SeqCst), 0);
    assert_eq!(provider.end_calls.load(Ordering::SeqCst), 0);
    assert_eq!(provider.notes.load(Ordering::SeqCst), 0);
    assert_eq!(provider.changed(), Vec::<CallId>::new());
    assert_eq!(provider.ids().len(), 12);
    // Nor the vendor's largest answer: no page over the maximum is asked of a live account.
    let largest = provider.largest_page_asked.load(Ordering::SeqCst);
    assert!(largest <= 100, "{largest}");
    let known = Fake::with_calls(12);
    check(&known, &Env::expecting(12)).await;
    assert_eq!(known.largest_page_asked.load(Ordering::SeqCst), 101);
    for case in [
        "dial, then wait for the end",
        "dial a busy line",
        "dial scheduled",
        "end a live call",
        "delete a call",
        "update name",
        "notes: add, update, delete",
    ] {
        let why = not_run(&report, case);
        assert!(
            why.contains("read-only") || why.contains("no number"),
            "{case}: {why}"
        );
    }
}

/// On a live account (nothing seeded), a filter value read off a listed call must find
/// that call: an empty answer is a failure, not a pass.
#[tokio::test]
async fn a_filter_on_a_listed_calls_value_that_finds_nothing_fails() {
    let provider = Fake {
        filters_find_nothing: true,
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::default()).await;
    // The values read off a listed call; the others may be empty (kind, statuses, sort;
    // and search, whose reach the vendor decides).
    let from_sample = [
        "direction",
        "time_range",
        "agent_id",
        "campaign_id",
        "tags",
        "from_number",
        "to_number",
    ];
    for filter in from_sample {
        let why = failure(&report, &format!("list_calls filter {filter}"));
        assert!(why.contains("taken from a listed call"), "{filter}: {why}");
    }
    // The others checked nothing: not a pass.
    for filter in ["kind", "statuses", "sort", "search"] {
        let why = not_run(&report, &format!("list_calls filter {filter}"));
        assert!(why.contains("nothing was checked"), "{filter}: {why}");
    }
    assert_eq!(report.failures().len(), from_sample.len(), "{report}");
}

/// On an empty account, no case that compares calls passes: each says it checked nothing
/// (or had no call), and none fails.
#[tokio::test]
async fn an_empty_account_passes_nothing_it_did_not_check() {
    let provider = Fake::with_calls(0);
    let report = check(&provider, &Env::default()).await;
    assert!(report.failures().is_empty(), "{report}");
    for filter in Filter::ALL {
        not_run(&report, &format!("list_calls filter {filter}"));
    }
    for filter in ["direction", "kind", "statuses", "sort"] {
        let why = not_run(&report, &format!("list_calls filter {filter}"));
        assert!(why.contains("nothing was checked"), "{filter}: {why}");
    }
    // Declared absent (the fake carries neither), but no call was read to show it.
    for case in ["cost", "analysis"] {
        let why = not_run(&report, case);
        assert!(why.contains("nothing was checked"), "{case}: {why}");
    }
    not_run(&report, "inline transcript");
    let why = not_run(&report, "stream every page");
    assert!(why.contains("nothing to page through"), "{why}");
    // Said where the account should hold calls.
    let report = check(&provider, &Env::expecting(5)).await;
    for case in ["cost", "analysis", "inline transcript"] {
        failure(&report, case);
    }
}

/// A direction filter whose calls carry no direction checked nothing.
#[tokio::test]
async fn a_direction_filter_over_calls_without_one_checks_nothing() {
    let provider = Fake::with_calls(3);
    for call in provider.calls.lock().unwrap().iter_mut() {
        call.direction = None;
    }
    let report = check(&provider, &Env::default()).await;
    let why = not_run(&report, "list_calls filter direction");
    assert!(why.contains("nothing was checked"), "{why}");
    assert!(report.failures().is_empty(), "{report}");
}

/// Sorting one call shows no order: not a pass.
#[tokio::test]
async fn a_sort_over_fewer_than_two_dated_calls_is_not_run() {
    let provider = Fake::with_calls(1);
    let report = check(&provider, &Env::default()).await;
    let why = not_run(&report, "list_calls filter sort");
    assert!(why.contains("fewer than two"), "{why}");
    passes_alone(&report, "list_calls filter agent_id");
}

/// A vendor that lists newest first and cannot sort passes the newest-first case and
/// refuses the other order; one that declares so but lists oldest first fails it.
#[tokio::test]
async fn a_listing_order_is_checked_both_ways() {
    let newest_first = Fake {
        listing_order: Some(SortOrder::Descending),
        lists_in: Some(SortOrder::Descending),
        ..Fake::with_calls(5)
    };
    let report = check(&newest_first, &Env::expecting(5)).await;
    assert_eq!(
        outcome(&report, "list_calls sort newest first"),
        Outcome::Passed
    );
    assert_eq!(
        outcome(&report, "list_calls filter sort"),
        Outcome::Unsupported,
        "{report}"
    );
    assert!(report.failures().is_empty(), "{report}");

    let oldest_first = Fake {
        listing_order: Some(SortOrder::Descending),
        lists_in: Some(SortOrder::Ascending),
        ..Fake::with_calls(5)
    };
    let report = check(&oldest_first, &Env::expecting(5)).await;
    let why = failure(&report, "list_calls sort newest first");
    assert!(why.contains("not newest first"), "{why}");

    // A vendor listing oldest first: the sort case (oldest first) passes, newest first is
    // refused.
    let ascending = Fake {
        listing_order: Some(SortOrder::Ascending),
        lists_in: Some(SortOrder::Ascending),
        ..Fake::with_calls(5)
    };
    let report = check(&ascending, &Env::expecting(5)).await;
    assert_eq!(outcome(&report, "list_calls filter sort"), Outcome::Passed);
    assert_eq!(
        outcome(&report, "list_calls sort newest first"),
        Outcome::Unsupported
    );
    assert!(report.failures().is_empty(), "{report}");
}

/// Calls lacking the field filtered on are the vendor's call to keep (HappyRobot without
/// an agent or campaign, Rounded without a start time): they fail no filter case.
#[tokio::test]
async fn a_filter_keeps_calls_lacking_its_field() {
    let provider = Fake {
        keeps_bare: true,
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::expecting(5)).await;
    assert!(report.failures().is_empty(), "{report}");
    let filters = report
        .cases
        .iter()
        .filter(|c| c.case.starts_with("list_calls filter"));
    assert!(
        filters.clone().all(|c| c.outcome == Outcome::Passed),
        "{report}"
    );
    assert_eq!(filters.count(), 11, "{report}");
}

/// A call without the time its vendor filters on says nothing of the time range; one that
/// has it out of range contradicts it, whatever other time it lacks.
#[test]
fn the_time_range_is_judged_on_the_vendors_own_time() {
    use super::cases::{Verdict, verdict};
    let since = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let query = CallQuery {
        since: Some(since),
        ..CallQuery::default()
    };
    // Created before the range, never started (a queued call).
    let mut queued = Call::new(CallId::new("q"), ProviderKind::HappyRobot);
    queued.created_at = Some(since - chrono::Duration::days(2));
    let on_creation = Capabilities::NONE;
    let on_start = Capabilities {
        time_range_on_start: true,
        ..Capabilities::NONE
    };
    assert_eq!(
        verdict(&query, Filter::TimeRange, &queued, &on_creation),
        Verdict::Contradicts
    );
    assert_eq!(
        verdict(&query, Filter::TimeRange, &queued, &on_start),
        Verdict::Lacks
    );
}

/// A call whose field contradicts the filter still fails it.
#[tokio::test]
async fn a_filter_ignored_by_the_vendor_fails() {
    let provider = Fake {
        ignores_filters: true,
        ..Fake::with_calls(5)
    };
    provider.calls.lock().unwrap().push(other_call());
    let report = check(&provider, &Env::default()).await;
    for filter in [
        "direction",
        "kind",
        "statuses",
        "time_range",
        "agent_id",
        "campaign_id",
        "tags",
        "search",
        "from_number",
        "to_number",
    ] {
        let why = failure(&report, &format!("list_calls filter {filter}"));
        let expected = match filter {
            // What a search matches is the vendor's to say: ignored, it gives the listing.
            "search" => "the search gave the unfiltered listing back",
            _ => "does not match the filter",
        };
        assert!(why.contains(expected), "{filter}: {why}");
    }
    // The customer's number searched for is described, not quoted (the first listed
    // call's, +14155550000).
    let why = failure(&report, "list_calls filter search");
    assert!(
        why.contains("number searched (ending 00)") && !why.contains("555"),
        "{why}"
    );
    // Where the calls are known (the sandbox searches as voiceport reads), every call a
    // search returns must match it.
    let report = check(&provider, &Env::expecting(6)).await;
    let why = failure(&report, "list_calls filter search");
    assert!(
        why.contains("hold no trace of the listed call's number searched"),
        "{why}"
    );
    assert!(!why.contains("555"), "{why}");
}

/// A provider sending only the first of two statuses returns nothing wrong, only too
/// little: on an account whose calls are known, the filter case finds the calls left out.
#[tokio::test]
async fn a_filter_that_leaves_matching_calls_out_fails_on_a_known_account() {
    let provider = Fake {
        first_status_only: true,
        ..Fake::with_calls(30)
    };
    for call in provider.calls.lock().unwrap().iter_mut().skip(20) {
        call.status = CallStatus::NoAnswer;
    }
    let report = check(&provider, &Env::expecting(30)).await;
    let why = failure(&report, "list_calls filter statuses");
    assert!(
        why.contains("10 matching call(s) missing") && why.contains("listed-20"),
        "{why}"
    );
    // Where the account's calls are not known, only what came back can be judged.
    let report = check(&provider, &Env::default()).await;
    assert_eq!(
        outcome(&report, "list_calls filter statuses"),
        Outcome::Passed,
        "{report}"
    );
}

/// A filtered listing whose first page is empty but says more follow is read on: the
/// match on the next page passes.
#[tokio::test]
async fn a_filter_reads_past_an_empty_first_page() {
    let provider = Fake {
        filters_start_empty: true,
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::default()).await;
    let filters = report
        .cases
        .iter()
        .filter(|c| c.case.starts_with("list_calls filter"));
    assert!(
        filters.clone().all(|c| c.outcome == Outcome::Passed),
        "{report}"
    );
    assert_eq!(filters.count(), 11, "{report}");
    assert!(report.failures().is_empty(), "{report}");
}

/// `case` passed, and nothing else in the report failed.
fn passes_alone(report: &Report, case: &str) {
    assert_eq!(outcome(report, case), Outcome::Passed, "{report}");
    assert!(report.failures().is_empty(), "{report}");
}

/// Pages of 10 over 100 calls take 10 pages (11 with a last empty one): the walk's budget
/// follows the page size it asked for.
#[tokio::test]
async fn the_walk_budgets_the_page_size_it_asked_for() {
    let provider = Fake {
        max_page_size: 10,
        ..Fake::with_calls(100)
    };
    let env = Env::expecting(100);
    let report = check(&provider, &env).await;
    passes_alone(&report, "stream every page");
}

/// Server paging declared with no maximum (what `..Capabilities::NONE` leaves), which the
/// guard reads as pages of one call: the page-size case fails, naming both settings.
#[tokio::test]
async fn server_paging_without_a_maximum_page_size_fails() {
    let provider = Fake {
        max_page_size: 0,
        ..Fake::with_calls(20)
    };
    let report = check(&provider, &Env::expecting(20)).await;
    let why = failure(&report, "pages of the size asked");
    assert!(
        why.contains("max_page_size 0 and default_page_size 0"),
        "{why}"
    );
}

/// A walk that serves every call, then empty pages forever, fails: the budget is not what
/// stops it.
#[tokio::test]
async fn a_walk_that_never_ends_fails() {
    let provider = Fake {
        max_page_size: 37,
        endless: true,
        ..Fake::with_calls(100)
    };
    let env = Env::expecting(100);
    let report = check(&provider, &env).await;
    let why = failure(&report, "stream every page");
    assert!(why.contains("did not end within 4 pages"), "{why}");
}

/// On an account of unknown size, a walk serving empty pages with new cursors forever
/// fails: the few pages read do not make it pass.
#[tokio::test]
async fn a_walk_of_unknown_length_serving_empty_pages_forever_fails() {
    let provider = Fake {
        endless: true,
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::default()).await;
    let why = failure(&report, "stream every page");
    assert!(why.contains("empty, yet each pointed to another"), "{why}");
}

/// On an account of unknown size, a walk that ends short of the vendor's own count fails:
/// it ended, but pages were left out.
#[tokio::test]
async fn a_walk_ending_short_of_the_vendors_count_fails() {
    let provider = Fake {
        max_page_size: 10,
        stops_after_first_page: true,
        ..Fake::with_calls(25)
    };
    let report = check(&provider, &Env::default()).await;
    let why = failure(&report, "stream every page");
    assert!(
        why.contains("ended after 10 calls, but the vendor counts 25"),
        "{why}"
    );
}

/// A cursor that never points further, from a vendor that counts nothing (Rounded, the
/// Vapi family): the walk ends after one page, without calls the first listing showed.
#[tokio::test]
async fn a_walk_ending_without_calls_the_first_listing_showed_fails() {
    let provider = Fake {
        stops_after_first_page: true,
        counts_nothing: true,
        ..Fake::with_calls(120)
    };
    let report = check(&provider, &Env::default()).await;
    let why = failure(&report, "stream every page");
    assert!(
        why.contains("ended after 37 calls in 1 pages of 37, without 63 of the 100 calls one page of 100 listed"),
        "{why}"
    );
}

/// On a seeded account, the listing every filter's completeness is judged against must
/// hold every call: short, it would excuse filters short the same way.
#[tokio::test]
async fn a_baseline_listing_short_of_the_account_fails_the_filters() {
    let provider = Fake {
        stops_after_first_page: true,
        counts_nothing: true,
        ..Fake::with_calls(120)
    };
    let report = check(&provider, &Env::expecting(120)).await;
    let why = failure(&report, "list_calls filter direction");
    assert!(
        why.contains("the listing at 100 a page holds 100 calls of the 120 on the account"),
        "{why}"
    );
}

/// The call read after a dial must be the call dialed: an adapter reading another id
/// fails the dial, and no case writes to (or deletes) the call it read instead.
#[tokio::test]
async fn a_dialed_call_read_under_another_id_fails_and_nothing_is_written() {
    let provider = Fake {
        misreads_dialed: true,
        ..Fake::with_calls(3)
    };
    let report = check(&provider, &Env::dialing_and_writing()).await;
    let why = failure(&report, "dial, then wait for the end");
    assert!(
        why.contains("the dial answered id dialed-0, but reading it gave call misread-dialed-0"),
        "{why}"
    );
    let changed = provider.changed();
    assert!(
        changed
            .iter()
            .all(|id| !id.as_str().starts_with("misread-")),
        "{changed:?}"
    );
}

/// The time range is drawn between listed calls, with calls after its end: a provider
/// that drops `until` returns them, and fails (with calls a minute apart, on an account
/// of unknown size as on a known one).
#[tokio::test]
async fn a_time_range_without_its_until_fails() {
    let provider = Fake {
        ignores_until: true,
        ..Fake::with_calls(5)
    };
    for env in [Env::default(), Env::expecting(5)] {
        let report = check(&provider, &env).await;
        let why = failure(&report, "list_calls filter time_range");
        assert!(why.contains("does not match the filter"), "{why}");
    }
    let report = check(&Fake::with_calls(5), &Env::expecting(5)).await;
    assert_eq!(
        outcome(&report, "list_calls filter time_range"),
        Outcome::Passed,
        "{report}"
    );
}

/// A recording URL that is not https fails the case, and the failure shows it without its
/// query: a pre-signed URL's query is a credential.
#[tokio::test]
async fn a_recording_url_not_https_fails_without_showing_its_query() {
    let provider = Fake {
        recording_url: Some("http://rec.example.com/r.wav?X-Amz-Signature=0f3c9a"),
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::default()).await;
    let why = failure(&report, "recording");
    assert!(why.contains(r#""http://rec.example.com/r.wav""#), "{why}");
    assert!(
        !why.contains("Signature") && !why.contains("0f3c9a"),
        "{why}"
    );
    let provider = Fake {
        recording_url: Some("https://rec.example.com/r.wav?X-Amz-Signature=0f3c9a"),
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::default()).await;
    assert_eq!(outcome(&report, "recording"), Outcome::Passed, "{report}");
}

/// A call dialed here without the recording the provider declares fails the case where
/// the environment knows its calls (the sandbox), and is not run on a live account, whose
/// agent may not record, the message saying so.
#[tokio::test]
async fn a_dialed_call_without_its_recording_fails_only_where_calls_are_known() {
    let unrecorded = || Fake {
        recording_url: Some("https://rec.example.com/r.wav"),
        dialed_unrecorded: true,
        ..Fake::with_calls(5)
    };
    let report = check(&unrecorded(), &Env::dialing_and_writing()).await;
    let why = not_run(&report, "recording");
    assert!(
        why.contains("carries no recording") && why.contains("turns it off"),
        "{why}"
    );
    let known = Env {
        expected: Some(5),
        ..Env::dialing_and_writing()
    };
    let report = check(&unrecorded(), &known).await;
    assert_eq!(
        failure(&report, "recording"),
        "the call dialed here carries no recording"
    );
}

/// A cursor off by one (each page starting with the last call of the one before) repeats
/// calls just where pages meet, as calls placed during the walk would; but the first page,
/// read again, is as it was: the walk fails rather than asking for a quiet account.
#[tokio::test]
async fn a_cursor_overlapping_the_pages_fails_the_walk() {
    let provider = Fake {
        max_page_size: 10,
        overlaps_pages: true,
        ..Fake::with_calls(30)
    };
    let report = check(&provider, &Env::default()).await;
    let why = failure(&report, "stream every page");
    assert!(why.contains("the cursor overlaps the pages"), "{why}");
    // Calls placed during the walk (each read of a next page adds one on top of the
    // list, newest first) still make it "not run".
    let provider = Fake {
        max_page_size: 10,
        arrivals: true,
        lists_in: Some(SortOrder::Descending),
        ..Fake::with_calls(30)
    };
    let report = check(&provider, &Env::default()).await;
    let why = not_run(&report, "stream every page");
    assert!(why.contains("run again when the account is quiet"), "{why}");
}

/// A provider declaring a default and maximum page larger than it serves fails the page
/// size case where the account's calls are known, and passes on what it serves elsewhere.
#[tokio::test]
async fn page_sizes_larger_than_served_fail_on_a_known_account() {
    let provider = Fake {
        serves_at_most: Some(50),
        ..Fake::with_calls(120)
    };
    let report = check(&provider, &Env::expecting(120)).await;
    let why = failure(&report, "pages of the size asked");
    assert!(
        why.contains("a page asked for no size holds 50 calls, not the 100 sent"),
        "{why}"
    );
    let report = check(&provider, &Env::default()).await;
    assert_eq!(
        outcome(&report, "pages of the size asked"),
        Outcome::Passed,
        "{report}"
    );
}

/// The sizes expected are the ones the guard sends: a provider whose maximum is 5 holds
/// pages of 5 when asked for 7, and passes.
#[tokio::test]
async fn page_sizes_are_judged_on_the_size_sent() {
    let provider = Fake {
        max_page_size: 5,
        ..Fake::with_calls(30)
    };
    let report = check(&provider, &Env::expecting(30)).await;
    assert_eq!(
        outcome(&report, "pages of the size asked"),
        Outcome::Passed,
        "{report}"
    );
    assert_eq!(
        outcome(&report, "filtering after the fetch"),
        Outcome::Unsupported,
        "{report}"
    );
}

/// On an account smaller than a page, the sizes above it are not checked: not a pass.
#[tokio::test]
async fn page_sizes_over_the_account_are_not_run() {
    let provider = Fake::with_calls(30);
    let why = not_run(
        &check(&provider, &Env::default()).await,
        "pages of the size asked",
    );
    assert!(why.contains("no more than 100 calls"), "{why}");
}

/// Declared without server paging, a provider whose listing points to a second page fails.
#[tokio::test]
async fn server_paging_declared_false_is_checked() {
    let provider = Fake {
        declares_server_paging: Some(false),
        ..Fake::with_calls(30)
    };
    let why = failure(
        &check(&provider, &Env::default()).await,
        "pages of the size asked",
    );
    assert!(why.contains("declared without server paging"), "{why}");
}

/// Filtering after the fetch, both ways: a short filtered page that points further fails a
/// provider declaring the vendor filters, and a provider declaring it filters after the
/// fetch without showing such a page is not a pass (its account's values may all be
/// filtered by the vendor).
#[tokio::test]
async fn client_side_filtering_is_checked_both_ways() {
    let hidden = Fake {
        filters_start_empty: true,
        declares_client_side_filtering: Some(false),
        ..Fake::with_calls(5)
    };
    let why = failure(
        &check(&hidden, &Env::default()).await,
        "filtering after the fetch",
    );
    assert!(
        why.contains("declared filtering on the vendor's side"),
        "{why}"
    );
    let claimed = Fake {
        declares_client_side_filtering: Some(true),
        ..Fake::with_calls(30)
    };
    let why = not_run(
        &check(&claimed, &Env::expecting(30)).await,
        "filtering after the fetch",
    );
    assert!(why.contains("no filtered page came back short"), "{why}");
    let why = not_run(
        &check(&claimed, &Env::default()).await,
        "filtering after the fetch",
    );
    assert!(why.contains("no filtered page came back short"), "{why}");
}

/// A walk of unknown length cut before its end checked duplicates only: not a pass.
#[tokio::test]
async fn a_walk_cut_before_its_end_is_not_run() {
    let provider = Fake {
        max_page_size: 10,
        ..Fake::with_calls(100)
    };
    let report = check(&provider, &Env::default()).await;
    let why = not_run(&report, "stream every page");
    assert!(
        why.contains("walk not finished after 6 pages; duplicates checked only"),
        "{why}"
    );
    // Ended within the pages read: a pass.
    let provider = Fake {
        max_page_size: 10,
        ..Fake::with_calls(45)
    };
    let report = check(&provider, &Env::default()).await;
    passes_alone(&report, "stream every page");
}

/// A provider declaring no dial but without the guard (a user's own) is sent no dial
/// with a number, even by a run allowed to dial and write.
#[tokio::test]
async fn a_false_dial_flag_is_checked_without_dialing_a_number() {
    let provider = Fake {
        declares_no_dial: true,
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::dialing_and_writing()).await;
    let requests = provider.dial_requests.lock().unwrap().clone();
    assert!(!requests.is_empty(), "{report}");
    assert!(requests.iter().all(|r| r.to.is_empty()), "{requests:?}");
    // The fake refuses it as a vendor would, which is not `Unsupported`: said, not passed.
    let why = failure(&report, "dial, then wait for the end");
    assert!(why.contains("declared unsupported, but got"), "{why}");
}

/// A search that returns only part of what it matches fails on an account whose calls are
/// known (the sandbox searches as voiceport reads a call); elsewhere only what came back
/// is judged.
#[tokio::test]
async fn a_search_that_leaves_matching_calls_out_fails_on_a_known_account() {
    let provider = Fake {
        searches_first_only: true,
        ..Fake::with_calls(30)
    };
    for call in provider.calls.lock().unwrap().iter_mut() {
        call.to = Some("+14155550188".into());
    }
    let report = check(&provider, &Env::expecting(30)).await;
    let why = failure(&report, "list_calls filter search");
    assert!(why.contains("29 matching call(s) missing"), "{why}");
    let report = check(&provider, &Env::default()).await;
    assert_eq!(
        outcome(&report, "list_calls filter search"),
        Outcome::Passed,
        "{report}"
    );
}

/// On a known account, the time a time range compares is checked against the flag: a
/// call created in a range but never started is returned by a vendor filtering on the
/// creation time, and not by one filtering on the start.
#[tokio::test]
async fn the_time_a_range_compares_is_the_one_declared() {
    let cases = [
        // Declared the creation time (the fake's default), and so it filters: a pass.
        (Fake::with_calls(30), None),
        // Declared the start, yet the never-started call comes back.
        (
            Fake {
                declares_start_filtering: true,
                ..Fake::with_calls(30)
            },
            Some("declared to filter on the start time, but listed-10"),
        ),
        // Declared the creation time, yet the never-started call is left out.
        (
            Fake {
                filters_on_start: true,
                ..Fake::with_calls(30)
            },
            Some("declared to filter on the creation time, but listed-10"),
        ),
    ];
    for (provider, failed) in cases {
        {
            let mut calls = provider.calls.lock().unwrap();
            calls[10].started_at = None;
            calls[10].status = CallStatus::NoAnswer;
        }
        let report = check(&provider, &Env::expecting(30)).await;
        let case = "list_calls filter time_range";
        match failed {
            None => assert_eq!(outcome(&report, case), Outcome::Passed, "{report}"),
            Some(said) => {
                let why = failure(&report, case);
                assert!(why.contains(said), "{why}");
            }
        }
    }
}

/// A filter declared absent passes as unsupported only when its refusal names it: an
/// `Unsupported` for another filter says nothing of this one.
#[tokio::test]
async fn a_false_filter_passes_only_on_its_own_refusal() {
    let provider = Fake {
        refuses_search_as: Some(Operation::ListFilter(Filter::Search)),
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::default()).await;
    assert_eq!(
        outcome(&report, "list_calls filter search"),
        Outcome::Unsupported,
        "{report}"
    );
    let provider = Fake {
        refuses_search_as: Some(Operation::ListFilter(Filter::Direction)),
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::default()).await;
    let why = failure(&report, "list_calls filter search");
    assert!(
        why.contains("refused as unsupported for ListFilter(Direction)"),
        "{why}"
    );
}

/// A provider whose calls carry a cost, an analysis and a transcript it declares it does
/// not give fails those cases: a `false` flag is checked against what calls carry.
#[tokio::test]
async fn what_calls_carry_against_flags_declared_false() {
    let provider = Fake::with_calls(5);
    {
        let mut calls = provider.calls.lock().unwrap();
        for call in calls.iter_mut() {
            call.cost = Some(Cost::new(Some(0.12), Some("USD".into()), Vec::new()));
            call.analysis.summary = Some("The caller asked for a callback.".into());
            let line = Utterance::new(
                Speaker::Agent,
                "Hello, this is Ridgeline Freight.".to_owned(),
            );
            call.transcript = Some(Transcript::new(vec![line], None));
        }
    }
    let report = check(&provider, &Env::default()).await;
    for (case, said) in [
        ("cost", "declared absent, but a call carries cost"),
        ("analysis", "declared absent, but a call carries analysis"),
        (
            "inline transcript",
            "declared not inline, but get_call carries a transcript",
        ),
    ] {
        let why = failure(&report, case);
        assert!(why.contains(said), "{case}: {why}");
    }
    // Without them, the same cases are unsupported.
    let report = check(&Fake::with_calls(5), &Env::default()).await;
    for case in ["cost", "analysis", "inline transcript"] {
        assert_eq!(outcome(&report, case), Outcome::Unsupported, "{case}");
    }
}

/// The dial those checks send is one the guard refuses whatever the flags: with `dial`
/// true it is invalid, so only a `false` flag can make the guard answer first.
#[test]
fn the_unplaceable_dial_is_invalid() {
    assert!(unplaceable_dial().validate(KIND).is_err());
}

/// An id with nothing to zero still gives another id of its shape.
#[test]
fn a_missing_id_differs_from_the_one_it_is_shaped_like() {
    let shapes = [
        ("xyz", IdFormat::NonEmpty),
        ("call_zzz", IdFormat::NonEmpty),
        ("+-_", IdFormat::NonEmpty),
        ("0", IdFormat::NonEmpty),
        ("listed-3", IdFormat::NonEmpty),
        ("00000000-0000-0000-0000-000000000000", IdFormat::Uuid),
        ("019d2ad0-6eb1-7aac-9377-0fc25d8bc1ad", IdFormat::Uuid),
        ("ghijklmnopqrstuvwxyzGHIJ", IdFormat::Alphanumeric(24)),
        ("000000000000000000000000", IdFormat::Alphanumeric(24)),
    ];
    for (id, format) in shapes {
        let missing = missing_id(&CallId::new(id));
        assert_ne!(missing.as_str(), id);
        assert!(format.matches(missing.as_str()), "{id} -> {missing}");
    }
}

/// The missing-call case passes on an account whose ids have no hex digit.
#[tokio::test]
async fn the_missing_call_case_works_on_ids_without_hex_digits() {
    let provider = Fake::with_calls(1);
    provider.calls.lock().unwrap()[0].id = CallId::new("xyz");
    let report = check(&provider, &Env::default()).await;
    passes_alone(&report, "get_call of a missing id is NotFound");
}

/// A missing-call case that gets another error names it as the error says it, not as
/// its `Debug` form.
#[tokio::test]
async fn the_missing_call_case_names_the_error_it_got() {
    let provider = Fake {
        get_fails: true,
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::default()).await;
    let why = failure(&report, "get_call of a missing id is NotFound");
    let expected = format!(
        "expected NotFound, got: {}",
        server_error(Operation::GetCall)
    );
    assert_eq!(why, expected);
}

/// A dialed call that ends otherwise than expected is named by its status and the
/// vendor's, quoted, not by an `Option`'s `Debug` form: a line that did not answer (busy)
/// leaves the case not run, a call that failed fails it.
#[tokio::test]
async fn a_dial_that_ends_otherwise_says_how() {
    let provider = Fake::with_calls(5);
    let env = Env {
        dial_to: Some(BUSY),
        ..Env::dialing_and_writing()
    };
    let report = check(&provider, &env).await;
    let why = not_run(&report, "dial, then wait for the end");
    assert_eq!(
        why,
        "the call dialed-0 ended busy (vendor status: none): answer it, for a conversation to check"
    );
    let env = Env {
        dial_to: Some(FAILS),
        ..Env::dialing_and_writing()
    };
    let report = check(&Fake::with_calls(5), &env).await;
    let why = failure(&report, "dial, then wait for the end");
    assert_eq!(why, "ended failed (vendor status: none)");
}

/// An `end_call` that fails is tried once more, and the failure says how that went.
#[tokio::test]
async fn an_end_call_that_fails_is_tried_again() {
    let provider = Fake {
        end_failures: AtomicUsize::new(1),
        ..Fake::with_calls(5)
    };
    let env = Env::dialing_and_writing();
    let report = check(&provider, &env).await;
    let why = failure(&report, "end a live call");
    assert!(why.contains("a second end_call ended it"), "{why}");
    assert_eq!(provider.end_calls.load(Ordering::SeqCst), 2);
    // The call is over, not left running.
    assert!(provider.live.lock().unwrap().is_empty());
    assert_eq!(report.failures().len(), 1, "{report}");

    // Both tries fail: the call may still be live, and the report says which one.
    let provider = Fake {
        end_failures: AtomicUsize::new(2),
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &env).await;
    let why = failure(&report, "end a live call");
    assert!(
        why.contains("a second end_call failed too") && why.contains("may still be live"),
        "{why}"
    );
    assert_eq!(provider.end_calls.load(Ordering::SeqCst), 2);
}

/// A vendor that ends the call a moment after `end_call` answers passes: the case waits
/// for the end instead of reading the call once.
#[tokio::test]
async fn an_end_that_shows_a_moment_later_passes() {
    let provider = Fake {
        ends_after_looks: 3,
        ..Fake::with_calls(5)
    };
    let env = Env::dialing_and_writing();
    let report = check(&provider, &env).await;
    passes_alone(&report, "end a live call");
}

/// The first listing's error is in the reason of every case it left without a call, and
/// those cases fail where the environment says the account holds calls.
#[tokio::test]
async fn a_failed_first_listing_is_named_where_it_left_cases_without_a_call() {
    let provider = Fake {
        list_fails: true,
        ..Fake::with_calls(5)
    };
    let cases = [
        "get_call",
        "get_call of a missing id is NotFound",
        "inline transcript",
    ];
    left_without_a_call(&provider, &cases, "the first listing failed: list_calls").await;
}

/// `cases` say `reason`: not run on an account of unknown size, failed on one the
/// environment says holds calls.
async fn left_without_a_call(provider: &Fake, cases: &[&str], reason: &str) {
    let report = check(provider, &Env::default()).await;
    for case in cases {
        let why = not_run(&report, case);
        assert!(why.contains(reason), "{case}: {why}");
    }
    let env = Env::expecting(5);
    let report = check(provider, &env).await;
    for case in cases {
        let why = failure(&report, case);
        assert!(why.contains(reason), "{case}: {why}");
    }
}

/// A dial counter that goes down is reported with both counts, not subtracted (which
/// would underflow).
#[tokio::test]
async fn a_dial_count_that_goes_down_is_reported() {
    let provider = Fake::with_calls(5);
    let env = Env {
        dial: true,
        dial_counts: Mutex::new(vec![5, 4]),
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    let why = failure(&report, "dial, then wait for the end");
    assert!(why.contains("from 5 to 4"), "{why}");
}

/// A `get_call` of the completed call listed that fails is named where it left cases
/// without a call, and those cases fail on any account: the call was just listed.
#[tokio::test]
async fn a_failed_get_call_of_a_listed_call_is_named_where_it_left_cases_without_one() {
    let provider = Fake {
        get_fails: true,
        ..Fake::with_calls(5)
    };
    let reason = "reading the completed call listed failed: get_call";
    for env in [Env::default(), Env::expecting(5)] {
        let report = check(&provider, &env).await;
        let why = failure(&report, "inline transcript");
        assert!(why.contains(reason), "{why}");
    }
}

/// A wait that fails reading the dialed call (not only one that runs out) ends the call,
/// rather than leaving it live at the account's cost.
#[tokio::test]
async fn a_wait_that_cannot_read_the_dialed_call_ends_it() {
    let provider = Fake {
        get_fails: true,
        ..Fake::with_calls(5)
    };
    let env = Env {
        dial: true,
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    let why = failure(&report, "dial, then wait for the end");
    assert!(
        why.contains("wait_until_ended") && why.contains("the call was ended"),
        "{why}"
    );
    // Every call dialed (by this case and the others that dial) is over.
    assert!(provider.end_calls.load(Ordering::SeqCst) >= 1);
    assert!(provider.live.lock().unwrap().is_empty());
}

/// A wait whose reads of the dialed call fail for a while (more than the wait itself lets
/// pass in a row: an outage, a rate limit) goes on until the call's deadline rather than
/// ending the call, whose person may still be talking: the call ends by itself, and the
/// dial case passes.
#[tokio::test]
async fn a_passing_outage_while_waiting_does_not_end_the_dialed_call() {
    let provider = Fake {
        dialed_reads_failing: AtomicUsize::new(6),
        ..Fake::with_calls(5)
    };
    let env = Env {
        dial: true,
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    passes_alone(&report, "dial, then wait for the end");
    assert_eq!(provider.end_calls.load(Ordering::SeqCst), 0, "{report}");
    assert_eq!(provider.dialed_reads_failing.load(Ordering::SeqCst), 0);
}

/// Calls placed during a walk of an offset-paged, newest-first list push the rest on: a
/// page starts with the end of the one before. On an account of unknown size that is not
/// the provider's fault (the walk case is not run, saying why); where the account is known
/// to be quiet, a call that comes twice fails it.
#[tokio::test]
async fn a_walk_shifted_by_calls_placed_meanwhile_is_not_blamed_on_the_provider() {
    let busy = || Fake {
        max_page_size: 10,
        lists_in: Some(SortOrder::Descending),
        arrivals: true,
        ..Fake::with_calls(40)
    };
    let report = check(&busy(), &Env::default()).await;
    let why = not_run(&report, "stream every page");
    assert!(why.contains("calls placed during the walk"), "{why}");
    // On an account said to hold 40 calls, the walk fails: the calls placed while the
    // filter cases read the whole account (for the calls a filter must return) have
    // grown it past the pages 40 fill, else a call comes twice.
    let report = check(&busy(), &Env::expecting(40)).await;
    let why = failure(&report, "stream every page");
    assert!(
        why.contains("a call came twice") || why.contains("did not end within 6 pages"),
        "{why}"
    );
}

/// The tag asked for is one the vendor can be asked for: the first tagged call's first tag
/// holds a comma (a comma-separated list cannot carry it), so another is taken.
#[tokio::test]
async fn the_tag_filtered_on_is_one_a_comma_list_can_carry() {
    let provider = Fake::with_calls(5);
    if let Some(first) = provider.calls.lock().unwrap().first_mut() {
        first.tags = vec!["callback, urgent".into(), "renewal".into()];
    }
    let report = check(&provider, &Env::expecting(5)).await;
    assert_eq!(
        outcome(&report, "list_calls filter tags"),
        Outcome::Passed,
        "{report}"
    );
}

/// A dialed call whose analysis comes a few reads after its end (Retell's `call_analyzed`
/// follows `call_ended`) is judged as it settled: the analysis case passes.
#[tokio::test]
async fn a_dialed_call_s_late_analysis_is_waited_for() {
    let provider = Fake {
        analysis_after_looks: Some(AtomicUsize::new(3)),
        ..Fake::with_calls(5)
    };
    let env = Env {
        dial: true,
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    assert_eq!(outcome(&report, "analysis"), Outcome::Passed, "{report}");
}

/// A vendor said to replace metadata that merges it fails the replace case: the case
/// writes something first, which a merge would keep.
#[tokio::test]
async fn a_replace_that_merges_fails() {
    let provider = Fake {
        merges_on_replace: true,
        ..Fake::with_calls(5)
    };
    let report = check(&provider, &Env::dialing_and_writing()).await;
    let why = failure(&report, "update metadata (replace)");
    assert!(why.contains("replaced metadata is"), "{why}");
    assert_eq!(
        outcome(&report, "update metadata (merge)"),
        Outcome::Unsupported
    );
}

/// A wrong dial count fails the dial case, but the call it dialed is ended first, and the
/// failure says whether that worked.
#[tokio::test]
async fn a_wrong_dial_count_ends_the_call_it_dialed() {
    let provider = Fake::with_calls(5);
    let env = Env {
        dial: true,
        dial_counts: Mutex::new(vec![5, 7]),
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    let why = failure(&report, "dial, then wait for the end");
    assert!(
        why.contains("from 5 to 7") && why.contains("the call was ended"),
        "{why}"
    );
    assert_eq!(provider.end_calls.load(Ordering::SeqCst), 1);
    // The call is over, not left running.
    assert!(provider.live.lock().unwrap().is_empty());

    // Ending it fails: the call may still be live, and the report says which one.
    let provider = Fake {
        end_failures: AtomicUsize::new(1),
        ..Fake::with_calls(5)
    };
    let env = Env {
        dial: true,
        dial_counts: Mutex::new(vec![5, 7]),
        ..Env::default()
    };
    let report = check(&provider, &env).await;
    let why = failure(&report, "dial, then wait for the end");
    assert!(
        why.contains("ending the call failed too")
            && why.contains("call dialed-0 may still be live"),
        "{why}"
    );
}
