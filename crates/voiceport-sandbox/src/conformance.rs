//! One conformance suite, written once, run against every adapter through the sandbox.
//!
//! Each case is chosen by the provider's [`Capabilities`]: a case the provider declares
//! supported must work, and one it declares unsupported must return
//! [`Error::Unsupported`]. The returned [`Report`] lists what ran and what was checked as
//! unsupported, so nothing is skipped silently.
//!
//! ```no_run
//! # async fn run(provider: std::sync::Arc<dyn voiceport_core::VoiceProvider>, sandbox: &voiceport_sandbox::Sandbox) {
//! let report = voiceport_sandbox::conformance::run(provider.as_ref(), sandbox).await;
//! println!("{report}");
//! # }
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures::TryStreamExt;
use serde_json::json;
use voiceport_core::{
    Call, CallId, CallKind, CallQuery, CallStatus, CallUpdate, Capabilities, DialRequest,
    Direction, Error, MetadataMode, NoteId, NoteInput, SortOrder, VoiceProvider, VoiceProviderExt,
};

use crate::Sandbox;

/// What happened to one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The provider supports it and it worked.
    Passed,
    /// The provider declares it unsupported, and it returned `Unsupported` as it must.
    Unsupported,
}

/// The cases run against one provider.
#[derive(Debug, Default)]
pub struct Report {
    /// Which vendor.
    pub provider: String,
    /// Case name → outcome, in the order run.
    pub cases: Vec<(String, Outcome)>,
}

impl Report {
    fn record(&mut self, case: impl Into<String>, outcome: Outcome) {
        self.cases.push((case.into(), outcome));
    }

    /// The cases that ran fully.
    pub fn passed(&self) -> usize {
        self.cases
            .iter()
            .filter(|(_, o)| *o == Outcome::Passed)
            .count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "conformance: {} ({} passed, {} checked as unsupported)",
            self.provider,
            self.passed(),
            self.cases.len() - self.passed()
        )?;
        for (case, outcome) in &self.cases {
            let mark = match outcome {
                Outcome::Passed => "ran        ",
                Outcome::Unsupported => "unsupported",
            };
            writeln!(f, "  {mark} {case}")?;
        }
        Ok(())
    }
}

/// How long to wait for a dialed call to end.
const CALL_DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);

/// Runs every case against `provider`, which must be connected to `sandbox`. Panics with
/// the case's name on the first failure.
pub async fn run(provider: &dyn VoiceProvider, sandbox: &Sandbox) -> Report {
    let caps = provider.capabilities();
    let mut report = Report {
        provider: provider.kind().to_string(),
        cases: Vec::new(),
    };

    get_call(provider, &caps, &mut report).await;
    filters(provider, &caps, &mut report).await;
    full_walk(provider, sandbox, &caps, &mut report).await;
    let dialed = dial_and_watch(provider, sandbox, &caps, &mut report).await;
    if let Some(call) = &dialed {
        transcript_and_recording(provider, call, &caps, &mut report).await;
        update(provider, &call.id, &caps, &mut report).await;
        notes(provider, &call.id, &caps, &mut report).await;
    }
    end_cancel_delete(provider, &caps, &mut report).await;
    report
}

fn expect_unsupported<T: fmt::Debug>(
    case: &str,
    result: voiceport_core::Result<T>,
    report: &mut Report,
) {
    match result {
        Err(Error::Unsupported { .. }) => report.record(case, Outcome::Unsupported),
        other => panic!("{case}: declared unsupported, but got {other:?}"),
    }
}

async fn first_calls(provider: &dyn VoiceProvider, count: u32) -> Vec<Call> {
    let query = CallQuery {
        page_size: Some(count),
        ..CallQuery::default()
    };
    provider
        .list_calls(&query)
        .await
        .unwrap_or_else(|e| panic!("list_calls: {e}"))
        .calls
}

async fn get_call(provider: &dyn VoiceProvider, caps: &Capabilities, report: &mut Report) {
    let case = "get_call";
    if !caps.get_call {
        return expect_unsupported(case, provider.get_call(&CallId::new("x")).await, report);
    }
    let listed = first_calls(provider, 5).await;
    let first = listed
        .first()
        .unwrap_or_else(|| panic!("{case}: the sandbox holds no calls"));
    let fetched = provider
        .get_call(&first.id)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(fetched.id, first.id, "{case}");
    assert_eq!(fetched.provider, provider.kind(), "{case}");
    assert!(
        fetched.vendor_payload().is_some(),
        "{case}: vendor payload lost"
    );
    report.record(case, Outcome::Passed);

    let missing = provider.get_call(&missing_id(&first.id)).await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "get_call of a missing id: {missing:?}"
    );
    report.record("get_call (missing id is NotFound)", Outcome::Passed);
}

/// An id of the same shape as `like` that no call has.
fn missing_id(like: &CallId) -> CallId {
    let id: String = like
        .as_str()
        .chars()
        .map(|c| if c.is_ascii_hexdigit() { '0' } else { c })
        .collect();
    CallId::new(id)
}

async fn filters(provider: &dyn VoiceProvider, caps: &Capabilities, report: &mut Report) {
    let sample = first_calls(provider, 50).await;
    let some = |f: &dyn Fn(&Call) -> bool| sample.iter().find(|c| f(c)).cloned();
    let since = Utc::now() - TimeDelta::days(45);
    let cases: Vec<(&str, bool, CallQuery)> = vec![
        (
            "direction",
            caps.filter_direction,
            CallQuery {
                direction: Some(Direction::Outbound),
                ..Default::default()
            },
        ),
        (
            "kind",
            caps.filter_kind,
            CallQuery {
                kind: Some(CallKind::Phone),
                ..Default::default()
            },
        ),
        (
            "statuses",
            caps.filter_statuses,
            CallQuery {
                statuses: vec![CallStatus::Completed, CallStatus::NoAnswer],
                ..Default::default()
            },
        ),
        (
            "time_range",
            caps.filter_time_range,
            CallQuery {
                since: Some(since - TimeDelta::days(30)),
                until: Some(since),
                ..Default::default()
            },
        ),
        (
            "agent_id",
            caps.filter_agent,
            CallQuery {
                agent_id: some(&|c| c.agent.as_ref().is_some_and(|a| a.id.is_some()))
                    .and_then(|c| c.agent.and_then(|a| a.id)),
                ..Default::default()
            },
        ),
        (
            "campaign_id",
            caps.filter_campaign,
            CallQuery {
                campaign_id: some(&|c| c.campaign_id.is_some()).and_then(|c| c.campaign_id),
                ..Default::default()
            },
        ),
        (
            "tags",
            caps.filter_tags,
            CallQuery {
                tags: vec!["vip".into()],
                ..Default::default()
            },
        ),
        (
            "search",
            caps.filter_search,
            CallQuery {
                search: some(&|c| c.to.is_some()).and_then(|c| c.to),
                ..Default::default()
            },
        ),
        (
            "from_number",
            caps.filter_from_number,
            CallQuery {
                from_number: some(&|c| c.from.is_some()).and_then(|c| c.from),
                ..Default::default()
            },
        ),
        (
            "to_number",
            caps.filter_to_number,
            CallQuery {
                to_number: some(&|c| c.to.is_some()).and_then(|c| c.to),
                ..Default::default()
            },
        ),
        (
            "sort",
            caps.sort,
            CallQuery {
                sort: Some(SortOrder::Ascending),
                ..Default::default()
            },
        ),
    ];
    for (filter, supported, mut query) in cases {
        let case = format!("list_calls filter {filter}");
        if query.filters_used().is_empty() {
            // The sample had nothing to filter on (e.g. no campaign ids); use a value no call has.
            query.campaign_id = Some("no-such-campaign".into());
            if filter != "campaign_id" {
                panic!("{case}: the sandbox sample offers no value to filter on");
            }
        }
        if !supported {
            expect_unsupported(&case, provider.list_calls(&query).await, report);
            continue;
        }
        query.page_size = Some(100);
        let page = provider
            .list_calls(&query)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        for call in &page.calls {
            assert!(
                query.matches(call),
                "{case}: {} does not match {query:?}",
                call.id
            );
        }
        if filter == "sort" {
            let times: Vec<_> = page.calls.iter().filter_map(|c| c.created_at).collect();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "{case}: not ascending"
            );
        }
        report.record(case, Outcome::Passed);
    }
}

async fn full_walk(
    provider: &dyn VoiceProvider,
    sandbox: &Sandbox,
    caps: &Capabilities,
    report: &mut Report,
) {
    let case = "stream every page";
    if !caps.list_calls {
        return expect_unsupported(
            case,
            provider.list_calls(&CallQuery::default()).await,
            report,
        );
    }
    let query = CallQuery {
        page_size: Some(caps.max_page_size.clamp(1, 37)),
        ..CallQuery::default()
    };
    let calls: Vec<Call> = provider
        .calls(query)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let ids: HashSet<&CallId> = calls.iter().map(|c| &c.id).collect();
    assert_eq!(ids.len(), calls.len(), "{case}: a call came twice");
    assert_eq!(
        calls.len(),
        sandbox.call_count(provider.kind()),
        "{case}: not every call was seen"
    );
    report.record(format!("{case} ({} calls)", calls.len()), Outcome::Passed);
}

/// A dial the sandbox answers with a conversation (the number does not end in 0–5).
fn dial_request() -> DialRequest {
    let mut request = DialRequest::to("+14155550199");
    request.variables.insert("first_name".into(), json!("Ada"));
    request
}

async fn dial_and_watch(
    provider: &dyn VoiceProvider,
    sandbox: &Sandbox,
    caps: &Capabilities,
    report: &mut Report,
) -> Option<Call> {
    let case = "dial, then watch it complete";
    if !caps.dial {
        expect_unsupported(case, provider.dial(&dial_request()).await, report);
        return None;
    }
    let before = sandbox.dialed_count(provider.kind());
    let outcome = provider
        .dial(&dial_request())
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        sandbox.dialed_count(provider.kind()),
        before + 1,
        "{case}: one dial, one call"
    );
    let call = provider
        .wait_until_ended(&outcome.call_id, POLL, CALL_DEADLINE)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        call.status,
        CallStatus::Completed,
        "{case}: {:?}",
        call.vendor_status
    );
    assert!(
        call.duration_secs.is_some_and(|d| d > 0.0),
        "{case}: no duration"
    );
    report.record(case, Outcome::Passed);

    let case = "dial a busy line";
    let busy = provider
        .dial(&DialRequest {
            to: "+14155550121".into(),
            ..dial_request()
        })
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let busy = provider
        .wait_until_ended(&busy.call_id, POLL, CALL_DEADLINE)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        busy.status,
        CallStatus::Busy,
        "{case}: {:?}",
        busy.vendor_status
    );
    report.record(case, Outcome::Passed);
    Some(call)
}

async fn transcript_and_recording(
    provider: &dyn VoiceProvider,
    call: &Call,
    caps: &Capabilities,
    report: &mut Report,
) {
    let case = "transcript";
    if caps.transcript {
        let transcript = provider
            .transcript(&call.id)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(transcript.utterances.len() >= 4, "{case}: {transcript:?}");
        let offsets: Vec<f64> = transcript
            .utterances
            .iter()
            .filter_map(|u| u.start_secs)
            .collect();
        assert!(
            offsets.windows(2).all(|w| w[0] <= w[1]),
            "{case}: offsets out of order"
        );
        report.record(case, Outcome::Passed);
    } else {
        expect_unsupported(case, provider.transcript(&call.id).await, report);
    }
    let case = "recording URL";
    if caps.recording {
        let recording = provider
            .recording(&call.id)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let url = recording.and_then(|r| r.mono_url.or(r.stereo_url));
        assert!(url.is_some_and(|u| u.starts_with("https://")), "{case}");
        report.record(case, Outcome::Passed);
    } else {
        expect_unsupported(case, provider.recording(&call.id).await, report);
    }
}

async fn update(
    provider: &dyn VoiceProvider,
    id: &CallId,
    caps: &Capabilities,
    report: &mut Report,
) {
    let name = CallUpdate {
        name: Some("Renewal follow-up".into()),
        ..CallUpdate::default()
    };
    let case = "update name";
    if caps.update_name {
        let call = provider
            .update_call(id, &name)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(call.name.as_deref(), Some("Renewal follow-up"), "{case}");
        report.record(case, Outcome::Passed);
    } else {
        expect_unsupported(case, provider.update_call(id, &name).await, report);
    }

    let metadata = |pairs: &[(&str, serde_json::Value)], mode| CallUpdate {
        metadata: Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        ),
        metadata_mode: mode,
        ..CallUpdate::default()
    };
    let case = "update metadata (merge)";
    if caps.update_metadata_merge {
        provider
            .update_call(
                id,
                &metadata(&[("a", json!(1)), ("b", json!(2))], MetadataMode::Merge),
            )
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let call = provider
            .update_call(id, &metadata(&[("b", json!(3))], MetadataMode::Merge))
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(call.metadata.get("a"), Some(&json!(1)), "{case}");
        assert_eq!(call.metadata.get("b"), Some(&json!(3)), "{case}");
        report.record(case, Outcome::Passed);
    } else {
        expect_unsupported(
            case,
            provider
                .update_call(id, &metadata(&[("a", json!(1))], MetadataMode::Merge))
                .await,
            report,
        );
    }
    let case = "update metadata (replace)";
    if caps.update_metadata_replace {
        let call = provider
            .update_call(id, &metadata(&[("z", json!(true))], MetadataMode::Replace))
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(call.metadata.len(), 1, "{case}: {:?}", call.metadata);
        assert_eq!(call.metadata.get("z"), Some(&json!(true)), "{case}");
        report.record(case, Outcome::Passed);
    } else {
        expect_unsupported(
            case,
            provider
                .update_call(id, &metadata(&[("z", json!(true))], MetadataMode::Replace))
                .await,
            report,
        );
    }
}

async fn notes(
    provider: &dyn VoiceProvider,
    id: &CallId,
    caps: &Capabilities,
    report: &mut Report,
) {
    let case = "notes: add, update, delete";
    if !caps.notes {
        return expect_unsupported(
            case,
            provider.add_note(id, &NoteInput::new("hello")).await,
            report,
        );
    }
    let call = provider
        .add_note(id, &NoteInput::new("Asked for a callback"))
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let note = call
        .notes
        .iter()
        .find(|n| n.content == "Asked for a callback")
        .unwrap_or_else(|| panic!("{case}: note missing"));
    let note_id: NoteId = note.id.clone();
    let edited = NoteInput {
        content: "Callback on Friday".into(),
        flagged: true,
    };
    let call = provider
        .update_note(id, &note_id, &edited)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert!(
        call.notes
            .iter()
            .any(|n| n.id == note_id && n.content == "Callback on Friday" && n.flagged),
        "{case}"
    );
    let call = provider
        .delete_note(id, &note_id)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert!(call.notes.iter().all(|n| n.id != note_id), "{case}");
    let persisted = provider
        .get_call(id)
        .await
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert!(persisted.notes.iter().all(|n| n.id != note_id), "{case}");
    report.record(case, Outcome::Passed);
}

async fn end_cancel_delete(provider: &dyn VoiceProvider, caps: &Capabilities, report: &mut Report) {
    let case = "end a live call";
    if caps.end_call && caps.dial {
        let dialed = provider
            .dial(&dial_request())
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        provider
            .end_call(&dialed.call_id)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let call = provider
            .get_call(&dialed.call_id)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(call.status.is_terminal(), "{case}: still {:?}", call.status);
        report.record(case, Outcome::Passed);
    } else if !caps.end_call {
        expect_unsupported(case, provider.end_call(&CallId::new("x")).await, report);
    }

    let case = "cancel a scheduled call";
    if caps.cancel_call && caps.dial_scheduled {
        let request = DialRequest {
            scheduled_for: Some(Utc::now() + TimeDelta::hours(2)),
            ..dial_request()
        };
        let dialed = provider
            .dial(&request)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let call = provider
            .get_call(&dialed.call_id)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(call.status, CallStatus::Scheduled, "{case}");
        provider
            .cancel_call(&dialed.call_id)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let call = provider
            .get_call(&dialed.call_id)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(call.status, CallStatus::Canceled, "{case}");
        report.record(case, Outcome::Passed);
    } else if !caps.cancel_call {
        expect_unsupported(case, provider.cancel_call(&CallId::new("x")).await, report);
    }

    let case = "delete a call";
    if caps.delete_call {
        let victim = first_calls(provider, 1)
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{case}: no call"));
        provider
            .delete_call(&victim.id)
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let gone = provider.get_call(&victim.id).await;
        assert!(
            matches!(gone, Err(Error::NotFound { .. })),
            "{case}: {gone:?}"
        );
        report.record(case, Outcome::Passed);
    } else {
        expect_unsupported(case, provider.delete_call(&CallId::new("x")).await, report);
    }
}
