//! The capability guard: a false flag is `Unsupported`, a malformed id is refused, and in
//! both cases no adapter code runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use voiceport_core::adapter::{Adapter, Guarded};
use voiceport_core::{
    Call, CallEvent, CallId, CallPage, CallQuery, CallStatus, CallUpdate, Capabilities, Codec,
    DialOutcome, DialRequest, Error, Filter, IdFormat, MetadataMode, NoteId, NoteInput, NoteUpdate,
    Operation, PayloadKind, ProviderKind, Result, VoiceProvider, VoiceProviderExt, Wait,
    async_trait,
};

/// A codec that decodes nothing (the guard never gets that far).
#[derive(Debug)]
struct NoCodec;

impl Codec for NoCodec {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Rounded
    }
    fn decode_call_as(&self, operation: Operation, body: &[u8]) -> Result<Call> {
        Err(Error::decode(self.kind(), operation, ".", "no codec", body))
    }
    fn decode_page_each(
        &self,
        body: &[u8],
        _: &CallQuery,
        _: voiceport_core::EachCall<'_>,
    ) -> Result<CallPage> {
        Err(Error::decode(
            self.kind(),
            Operation::ListCalls,
            ".",
            "no codec",
            body,
        ))
    }
    fn decode_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        Err(Error::decode(
            self.kind(),
            Operation::ParseWebhook,
            ".",
            "no codec",
            body,
        ))
    }
    fn detect(&self, _: &[u8]) -> PayloadKind {
        PayloadKind::Call
    }
}

/// Counts every call into adapter code; answers with a live call.
#[derive(Debug)]
struct Counting {
    caps: Capabilities,
    ran: AtomicUsize,
    last_page_size: AtomicUsize,
    /// From the third look on, the call has ended with a status voiceport does not know.
    ends_unknown: bool,
}

impl Counting {
    fn new(caps: Capabilities) -> Self {
        Counting {
            caps,
            ran: AtomicUsize::new(0),
            last_page_size: AtomicUsize::new(0),
            ends_unknown: false,
        }
    }
    fn ran(&self) -> usize {
        self.ran.load(Ordering::SeqCst)
    }
    fn live_call(&self, id: &CallId) -> Call {
        let looks = self.ran.fetch_add(1, Ordering::SeqCst) + 1;
        let mut call = Call::new(id.clone(), ProviderKind::Rounded);
        call.status = CallStatus::InProgress;
        if self.ends_unknown && looks >= 3 {
            call.status = CallStatus::Unknown;
            call.vendor_status = Some("archived".into());
            call.ended_at = "2026-12-05T10:00:00Z".parse().ok();
        }
        call
    }
}

#[async_trait]
impl Adapter for Counting {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Rounded
    }
    fn capabilities(&self) -> Capabilities {
        self.caps
    }
    fn codec(&self) -> &'static dyn Codec {
        &NoCodec
    }
    fn call_id_format(&self) -> IdFormat {
        IdFormat::Uuid
    }
    async fn get_call(&self, id: &CallId, _: Guarded) -> Result<Call> {
        Ok(self.live_call(id))
    }
    async fn list_calls(&self, query: &CallQuery, _: Guarded) -> Result<CallPage> {
        self.ran.fetch_add(1, Ordering::SeqCst);
        let size = query.page_size.unwrap_or(0) as usize;
        self.last_page_size.store(size, Ordering::SeqCst);
        Ok(CallPage::new(Vec::new(), None, None))
    }
    async fn dial(&self, _: &DialRequest, _: Guarded) -> Result<DialOutcome> {
        let call = self.live_call(&CallId::new(ID));
        Ok(DialOutcome::new(call.id.clone(), Some(call)))
    }
    async fn update_call(&self, id: &CallId, _: &CallUpdate, _: Guarded) -> Result<Call> {
        Ok(self.live_call(id))
    }
    /// Refused as a vendor refuses ending a call that is not live (not counted: its test
    /// counts the reads that follow the refusal).
    async fn end_call(&self, _: &CallId, _: Guarded) -> Result<()> {
        Err(Error::conflict(
            ProviderKind::Rounded,
            Operation::EndCall,
            Some("call is not in progress".into()),
        ))
    }
}

const ID: &str = "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3";

fn everything() -> Capabilities {
    Capabilities {
        get_call: true,
        list_calls: true,
        dial: true,
        update_metadata_merge: true,
        max_page_size: 50,
        default_page_size: 20,
        ..Capabilities::default()
    }
}

fn unsupported(result: Result<impl std::fmt::Debug>, operation: Operation) {
    match result {
        Err(Error::Unsupported { operation: op, .. }) => assert_eq!(op, operation),
        other => panic!("expected Unsupported {operation}: {other:?}"),
    }
}

#[tokio::test]
async fn false_flags_are_unsupported_before_adapter_code() {
    let adapter = Counting::new(Capabilities::default());
    let provider: &dyn VoiceProvider = &adapter;
    let id = CallId::new(ID);
    let note = NoteId::new("n1");
    unsupported(provider.get_call(&id).await, Operation::GetCall);
    unsupported(
        provider.list_calls(&CallQuery::default()).await,
        Operation::ListCalls,
    );
    unsupported(provider.dial(&DialRequest::to("+1")).await, Operation::Dial);
    unsupported(provider.check_dial(&DialRequest::to("+1")), Operation::Dial);
    let rename = CallUpdate {
        name: Some("x".into()),
        ..Default::default()
    };
    unsupported(
        provider.update_call(&id, &rename).await,
        Operation::UpdateCall,
    );
    unsupported(provider.get_transcript(&id).await, Operation::GetTranscript);
    unsupported(provider.get_recording(&id).await, Operation::GetRecording);
    unsupported(provider.end_call(&id).await, Operation::EndCall);
    unsupported(provider.cancel_call(&id).await, Operation::CancelCall);
    unsupported(provider.delete_call(&id).await, Operation::DeleteCall);
    unsupported(
        provider.add_note(&id, &NoteInput::new("x")).await,
        Operation::AddNote,
    );
    unsupported(
        provider
            .update_note(&id, &note, &NoteUpdate::text("x"))
            .await,
        Operation::UpdateNote,
    );
    unsupported(
        provider.delete_note(&id, &note).await,
        Operation::DeleteNote,
    );
    unsupported(provider.parse_webhook(b"{}"), Operation::ParseWebhook);
    assert_eq!(adapter.ran(), 0);
}

#[tokio::test]
async fn request_parts_are_checked_against_their_flags() {
    let adapter = Counting::new(everything());
    let provider: &dyn VoiceProvider = &adapter;
    let id = CallId::new(ID);

    let tagged = CallQuery {
        tags: vec!["vip".into()],
        ..Default::default()
    };
    unsupported(
        provider.list_calls(&tagged).await,
        Operation::ListFilter(Filter::Tags),
    );

    let scheduled = DialRequest {
        // A day ahead: refused as unsupported, not as a time gone by.
        scheduled_for: Some(chrono::Utc::now() + chrono::Duration::days(1)),
        ..DialRequest::to("+14155550100")
    };
    let err = provider.dial(&scheduled).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "rounded does not support dial (`scheduled_for`)"
    );
    // Checked without dialing, refused alike.
    let checked = provider.check_dial(&scheduled).unwrap_err();
    assert_eq!(checked.to_string(), err.to_string());

    let rename = CallUpdate {
        name: Some("x".into()),
        ..Default::default()
    };
    unsupported(
        provider.update_call(&id, &rename).await,
        Operation::UpdateField("name"),
    );
    // What the vendor cannot do is said before what is wrong with the id.
    unsupported(
        provider
            .update_call(&CallId::new("not-a-uuid"), &rename)
            .await,
        Operation::UpdateField("name"),
    );
    let replace = CallUpdate {
        metadata: Some(Default::default()),
        metadata_mode: MetadataMode::Replace,
        ..Default::default()
    };
    unsupported(
        provider.update_call(&id, &replace).await,
        Operation::UpdateField("metadata (replace)"),
    );
    let nothing = provider
        .update_call(&id, &CallUpdate::default())
        .await
        .unwrap_err();
    assert!(
        matches!(nothing, Error::InvalidRequest { status: None, .. }),
        "{nothing:?}"
    );
    // A schedule in the past would ring now; a moment ago is still taken.
    let adapter_scheduling = Counting::new(Capabilities {
        dial_scheduled: true,
        filter_time_range: true,
        ..everything()
    });
    let scheduling: &dyn VoiceProvider = &adapter_scheduling;
    let at = |ago: chrono::TimeDelta| DialRequest {
        scheduled_for: Some(chrono::Utc::now() - ago),
        ..DialRequest::to("+14155550100")
    };
    // One request for both: its time is quoted in the refusal.
    let a_year_ago = at(chrono::TimeDelta::days(365));
    let checked = scheduling.check_dial(&a_year_ago);
    let past = scheduling.dial(&a_year_ago).await;
    let past = past.unwrap_err();
    assert_eq!(checked.unwrap_err().to_string(), past.to_string());
    // A time still ahead passes the check, which runs no adapter code that sends.
    scheduling
        .check_dial(&at(-chrono::TimeDelta::days(1)))
        .unwrap();
    assert!(
        matches!(past, Error::InvalidRequest { status: None, .. }),
        "{past:?}"
    );
    assert!(past.to_string().contains("in the past"), "{past}");
    assert_eq!(adapter_scheduling.ran(), 0);
    scheduling
        .dial(&at(chrono::TimeDelta::seconds(30)))
        .await
        .unwrap();
    assert_eq!(adapter_scheduling.ran(), 1);
    // A time range that holds no time.
    let now = chrono::Utc::now();
    for until in [now, now - chrono::TimeDelta::days(30)] {
        let inverted = CallQuery {
            since: Some(now),
            until: Some(until),
            ..Default::default()
        };
        let err = scheduling.list_calls(&inverted).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { status: None, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("is not after `since`"), "{err}");
    }
    // A blank value to filter on: no filter to the vendor, or "calls with none".
    let blanks = [
        CallQuery {
            agent_id: Some(voiceport_core::AgentId::new(" ")),
            ..Default::default()
        },
        CallQuery {
            campaign_id: Some(voiceport_core::CampaignId::new("")),
            ..Default::default()
        },
        CallQuery {
            to_number: Some("\t".into()),
            ..Default::default()
        },
        CallQuery {
            tags: vec!["vip".into(), "".into()],
            ..Default::default()
        },
        CallQuery {
            cursor: Some(voiceport_core::PageCursor::Page { number: 0 }),
            ..Default::default()
        },
        CallQuery {
            cursor: Some(voiceport_core::PageCursor::Token { token: " ".into() }),
            ..Default::default()
        },
    ];
    let filtering = Counting::new(Capabilities {
        filter_agent: true,
        filter_campaign: true,
        filter_to_number: true,
        filter_tags: true,
        ..everything()
    });
    let filtering_provider: &dyn VoiceProvider = &filtering;
    let said = [
        "`agent_id` is blank",
        "`campaign_id` is blank",
        "`to_number` is blank",
        "`tags` is blank",
        "the cursor is page 0",
        "the cursor is a blank token",
    ];
    for (query, said) in blanks.iter().zip(said) {
        let err = filtering_provider.list_calls(query).await.unwrap_err();
        assert!(err.to_string().contains(said), "{err}");
    }
    assert_eq!(filtering.ran(), 0);
    assert_eq!(adapter_scheduling.ran(), 1);
    // A note that says nothing.
    let notes = Counting::new(Capabilities {
        notes: true,
        ..everything()
    });
    let notes: &dyn VoiceProvider = &notes;
    for blank in ["", " \n"] {
        let err = notes
            .add_note(&id, &NoteInput::new(blank))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { status: None, .. }),
            "{blank:?}: {err:?}"
        );
    }
    let no_number = provider.dial(&DialRequest::to(" ")).await.unwrap_err();
    assert!(
        matches!(no_number, Error::InvalidRequest { status: None, .. }),
        "{no_number:?}"
    );
    assert_eq!(adapter.ran(), 0);

    // What is supported reaches the adapter.
    let merge = CallUpdate {
        metadata: Some(Default::default()),
        ..Default::default()
    };
    provider.update_call(&id, &merge).await.unwrap();
    provider
        .dial(&DialRequest::to("+14155550100"))
        .await
        .unwrap();
    assert_eq!(adapter.ran(), 2);
}

#[tokio::test]
async fn ids_are_checked_and_page_sizes_bounded() {
    let adapter = Counting::new(everything());
    let provider: &dyn VoiceProvider = &adapter;
    for bad in [
        "",
        ".",
        "..",
        "not-a-uuid",
        "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c\n",
    ] {
        let err = provider.get_call(&CallId::new(bad)).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { status: None, .. }),
            "{bad:?}: {err:?}"
        );
    }
    assert_eq!(adapter.ran(), 0);
    for (asked, sent) in [(None, 20), (Some(0), 1), (Some(7), 7), (Some(5000), 50)] {
        let query = CallQuery {
            page_size: asked,
            ..Default::default()
        };
        provider.list_calls(&query).await.unwrap();
        assert_eq!(
            adapter.last_page_size.load(Ordering::SeqCst),
            sent,
            "{asked:?}"
        );
    }
}

/// Middleware of an application's: forwards what it is asked, and says what it wraps
/// only when told to (`names_inner`); `loops` names itself instead, a bug.
#[derive(Debug)]
struct Wrapper {
    inner: std::sync::Arc<dyn VoiceProvider>,
    names_inner: bool,
    loops: bool,
}

#[async_trait]
impl VoiceProvider for Wrapper {
    fn kind(&self) -> ProviderKind {
        self.inner.kind()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn get_call(&self, id: &CallId) -> Result<Call> {
        self.inner.get_call(id).await
    }
    async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
        self.inner.list_calls(query).await
    }
    fn wrapped(&self) -> Option<&dyn VoiceProvider> {
        match (self.loops, self.names_inner) {
            (true, _) => Some(self),
            (false, true) => Some(self.inner.as_ref()),
            (false, false) => None,
        }
    }
}

/// `extension` looks through wrappers that say what they wrap, however deep (within
/// reason), and never follows a wrapper that names itself for ever.
#[test]
fn extension_looks_through_middleware_that_names_what_it_wraps() {
    let counting: std::sync::Arc<dyn VoiceProvider> =
        std::sync::Arc::new(Counting::new(everything()));
    let wrap = |inner: std::sync::Arc<dyn VoiceProvider>, names_inner: bool| {
        std::sync::Arc::new(Wrapper {
            inner,
            names_inner,
            loops: false,
        }) as std::sync::Arc<dyn VoiceProvider>
    };
    let twice = wrap(wrap(counting.clone(), true), true);
    assert!(twice.extension::<Counting>().is_some());
    assert!(
        twice.extension::<Wrapper>().is_some(),
        "the outer one itself"
    );
    assert!(twice.extension::<String>().is_none());
    let silent = wrap(counting.clone(), false);
    assert!(silent.extension::<Counting>().is_none());
    let looping = Wrapper {
        inner: counting,
        names_inner: true,
        loops: true,
    };
    let looping: &dyn VoiceProvider = &looping;
    assert!(looping.extension::<Counting>().is_none());
}

// On a paused clock: the wait's time is the runtime's, and it passes only when every task
// waits, so no loaded machine can stretch a look past the deadline.
#[tokio::test(start_paused = true)]
async fn extension_reaches_the_concrete_type_and_waiting_gives_up_with_its_own_error() {
    let provider: std::sync::Arc<dyn VoiceProvider> =
        std::sync::Arc::new(Counting::new(everything()));
    assert!(provider.extension::<Counting>().is_some());
    assert!(provider.extension::<String>().is_none());
    let err = provider
        .wait_until_ended(
            &CallId::new(ID),
            Wait::at_most(Duration::from_millis(20)).polling_every(Duration::from_millis(5)),
        )
        .await
        .unwrap_err();
    match &err {
        Error::WaitTimedOut {
            last_status,
            call_id,
            ..
        } => {
            assert_eq!(*last_status, CallStatus::InProgress);
            assert_eq!(call_id.as_str(), ID);
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    // Waiting only reads the call.
    assert_eq!(
        err.operation(),
        Some(Operation::ExtensionRead("wait_until_ended"))
    );
    assert!(err.to_string().contains("still in_progress"), "{err}");
}

/// A call's transcript is the one it carries, without a request; a call without one has
/// it read (here through `get_call`, the default `transcript`).
#[tokio::test]
async fn transcript_of_asks_only_for_a_call_without_one() {
    use voiceport_core::{Transcript, VoiceProviderExt};
    let counting = Counting::new(Capabilities {
        transcript: true,
        ..everything()
    });
    let mut call = Call::new(CallId::new(ID), ProviderKind::Rounded);
    call.transcript = Some(Transcript::new(Vec::new(), Some("Agent: Hello".into())));
    let carried = counting.transcript_of(&call).await.unwrap();
    assert_eq!(carried.text.as_deref(), Some("Agent: Hello"));
    assert_eq!(counting.ran(), 0);
    call.transcript = None;
    counting.transcript_of(&call).await.unwrap();
    assert_eq!(counting.ran(), 1);
    // A call nobody answered has nothing said in it: no request.
    for status in [
        CallStatus::NoAnswer,
        CallStatus::Canceled,
        CallStatus::Scheduled,
    ] {
        call.status = status;
        let unanswered = counting.transcript_of(&call).await.unwrap();
        assert!(unanswered.utterances.is_empty());
        assert_eq!(counting.ran(), 1, "{status}");
    }
    // Canceled once answered (a start time): it did talk, and is asked for.
    call.started_at = "2026-03-10T15:42:07Z".parse().ok();
    counting.transcript_of(&call).await.unwrap();
    assert_eq!(counting.ran(), 2);
}

/// A call's recording is the one it carries, without a request; a call without one has
/// it read (here through `get_call`, the default `recording`), unless it never talked.
#[tokio::test]
async fn recording_of_asks_only_for_a_call_without_one() {
    use voiceport_core::{Recording, VoiceProviderExt};
    let counting = Counting::new(Capabilities {
        recording: true,
        ..everything()
    });
    let mut call = Call::new(CallId::new(ID), ProviderKind::Rounded);
    let mut recording = Recording::default();
    recording.mono_url = Some("https://recordings.example.com/14abe6f5.mp3".into());
    call.recording = Some(recording.clone());
    assert_eq!(counting.recording_of(&call).await.unwrap(), Some(recording));
    assert_eq!(counting.ran(), 0);
    call.recording = None;
    // Asked for: the live call `get_call` answers has none.
    assert_eq!(counting.recording_of(&call).await.unwrap(), None);
    assert_eq!(counting.ran(), 1);
    call.status = CallStatus::Busy;
    assert_eq!(counting.recording_of(&call).await.unwrap(), None);
    assert_eq!(counting.ran(), 1);
    call.duration_secs = Some(12.0);
    counting.recording_of(&call).await.unwrap();
    assert_eq!(counting.ran(), 2);
}

/// A call that ended with a status voiceport does not know (its end time set) has ended:
/// the wait returns it at the look that finds it so, rather than at its timeout.
#[tokio::test(start_paused = true)]
async fn waiting_ends_on_an_unknown_status_with_an_end_time() {
    let counting = std::sync::Arc::new(Counting {
        ends_unknown: true,
        ..Counting::new(everything())
    });
    let provider: std::sync::Arc<dyn VoiceProvider> = counting.clone();
    let call = provider
        .wait_until_ended(
            &CallId::new(ID),
            Wait::at_most(Duration::from_secs(60)).polling_every(Duration::from_millis(5)),
        )
        .await
        .unwrap();
    assert_eq!(call.status, CallStatus::Unknown);
    assert_eq!(counting.ran(), 3);
}

/// A poll longer than the time left does not end the wait early: the last look is at the
/// deadline. A limit too long to count is no limit, not a panic.
#[tokio::test(start_paused = true)]
async fn waiting_looks_a_last_time_at_the_deadline() {
    let counting = std::sync::Arc::new(Counting::new(everything()));
    let provider: std::sync::Arc<dyn VoiceProvider> = counting.clone();
    let timeout = Duration::from_millis(600);
    let err = provider
        .wait_until_ended(
            &CallId::new(ID),
            Wait::at_most(timeout).polling_every(Duration::from_secs(10)),
        )
        .await
        .unwrap_err();
    let Error::WaitTimedOut { waited, .. } = err else {
        panic!("{err:?}")
    };
    // The clock moves only when every task waits: exactly at the deadline.
    assert_eq!(waited, timeout);
    assert_eq!(counting.ran(), 2, "a first look and a last one");
    let id = CallId::new(ID);
    let endless = provider.wait_until_ended(
        &id,
        Wait::at_most(Duration::MAX).polling_every(Duration::from_millis(5)),
    );
    let still_waiting = tokio::time::timeout(Duration::from_millis(50), endless).await;
    assert!(still_waiting.is_err());
}

/// A refused end is read again against the call (over already: done) only where reading a
/// call is a capability: the read goes to the adapter past the guard.
#[tokio::test]
async fn a_refused_end_is_read_again_only_with_get_call() {
    for get_call in [false, true] {
        let counting = Counting::new(Capabilities {
            end_call: true,
            get_call,
            ..everything()
        });
        let err = VoiceProvider::end_call(&counting, &CallId::new(ID))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
        // The call read (with get_call) is live: the refusal stands.
        assert_eq!(
            counting.ran(),
            usize::from(get_call),
            "get_call: {get_call}"
        );
    }
}
