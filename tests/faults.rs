//! Retries and the no-double-dial rule under faults injected by the sandbox, for every
//! vendor, through the real adapters.

use std::sync::Arc;
use std::time::Duration;

use voiceport::{
    CallQuery, DialRequest, Error, ProviderKind, RequestOutcome, VoiceProvider, VoiceProviderExt,
    Wait,
};
use voiceport_sandbox::{Fault, FaultKind, Sandbox};

async fn setup(kind: ProviderKind, max_attempts: u32) -> (Sandbox, Arc<dyn VoiceProvider>) {
    setup_timed(kind, max_attempts, &FaultKind::Malformed).await
}

/// As [`setup`], with the requests' timeout `fault` calls for (see [`timeout_for`]).
async fn setup_timed(
    kind: ProviderKind,
    max_attempts: u32,
    fault: &FaultKind,
) -> (Sandbox, Arc<dyn VoiceProvider>) {
    let sandbox = Sandbox::builder().calls(kind, 20).start().await.unwrap();
    let mut config = sandbox.provider_config(kind);
    config.retry.max_attempts = Some(max_attempts);
    config.retry.initial_backoff_ms = Some(5);
    config.retry.max_backoff_ms = Some(20);
    config.timeout_secs = Some(timeout_for(fault).as_secs_f64());
    let provider = voiceport::connect(&config).unwrap();
    (sandbox, provider)
}

/// The requests' timeout under `fault`: under a slow answer, half its delay (`SLOW`), which
/// every attempt waits out; else ten seconds, which only a request meant to succeed could
/// wait, and no loaded machine makes it.
fn timeout_for(fault: &FaultKind) -> Duration {
    match fault {
        FaultKind::Delay(_) => SLOW / 2,
        _ => Duration::from_secs(10),
    }
}

/// How long a slow answer takes: twice the requests' timeout under it.
const SLOW: Duration = Duration::from_secs(3);

/// `fault`, narrowed to `kind`'s list requests: `GET` everywhere but on Retell, whose list
/// is a read sent as `POST /v3/list-calls`.
fn on_list(fault: FaultKind, kind: ProviderKind) -> Fault {
    let fault = Fault::new(fault).vendor(kind);
    match kind {
        ProviderKind::Retell => fault.method("POST").path("/v3/list-calls"),
        _ => fault.method("GET"),
    }
}

fn transient_faults() -> Vec<(&'static str, FaultKind)> {
    vec![
        (
            "429",
            FaultKind::RateLimited {
                retry_after: Duration::from_secs(0),
            },
        ),
        ("500", FaultKind::Status(500)),
        ("502", FaultKind::Status(502)),
        ("503", FaultKind::Status(503)),
        ("dropped connection", FaultKind::DropConnection),
        ("slow response", FaultKind::Delay(SLOW)),
    ]
}

#[tokio::test]
async fn reads_survive_transient_faults_within_the_retry_budget() {
    for &kind in voiceport_sandbox::EMULATED {
        for (name, fault) in transient_faults() {
            let (sandbox, provider) = setup_timed(kind, 4, &fault).await;
            sandbox.faults().inject(on_list(fault, kind).times(2));
            let page = provider.list_calls(&CallQuery::default()).await;
            let page = page.unwrap_or_else(|e| panic!("{kind} list under {name}: {e:?}"));
            assert!(!page.calls.is_empty(), "{kind} list under {name}");
            // Both faults fired: the listing went through the retries, not around them.
            assert!(
                sandbox.faults().is_empty(),
                "{kind} under {name}: faults left"
            );
        }
    }
}

#[tokio::test]
async fn reads_report_a_clear_error_past_the_budget() {
    for &kind in voiceport_sandbox::EMULATED {
        for (name, fault) in transient_faults() {
            let (sandbox, provider) = setup_timed(kind, 2, &fault).await;
            sandbox
                .faults()
                .inject(on_list(fault.clone(), kind).times(u32::MAX));
            let err = provider
                .list_calls(&CallQuery::default())
                .await
                .unwrap_err();
            let expected = match fault {
                FaultKind::RateLimited { .. } => matches!(err, Error::RateLimited { .. }),
                FaultKind::Status(_) => matches!(err, Error::Server { .. }),
                FaultKind::DropConnection => matches!(err, Error::Transport { sent: true, .. }),
                _ => matches!(err, Error::Timeout { sent: true, .. }),
            };
            assert!(expected, "{kind} under {name}: {err:?}");
            assert!(err.is_retryable());
            assert_eq!(err.provider(), Some(kind));
        }
    }
}

#[tokio::test]
async fn broken_bodies_are_decode_errors() {
    for &kind in voiceport_sandbox::EMULATED {
        for fault in [FaultKind::Malformed, FaultKind::Truncated] {
            let (sandbox, provider) = setup(kind, 4).await;
            sandbox.faults().inject(on_list(fault.clone(), kind));
            let err = provider
                .list_calls(&CallQuery::default())
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::Decode { .. }),
                "{kind} {fault:?}: {err:?}"
            );
        }
    }
}

/// A dial the sandbox accepts for every vendor (its config carries the default ids).
fn dial() -> DialRequest {
    DialRequest::to("+14155550199")
}

#[tokio::test]
async fn a_dial_never_creates_two_calls_and_says_what_is_known() {
    let after_handler: Vec<(&str, FaultKind, RequestOutcome)> = vec![
        (
            "500 after the call was created",
            FaultKind::Status(500),
            RequestOutcome::Unknown,
        ),
        (
            "502 after the call was created",
            FaultKind::Status(502),
            RequestOutcome::Unknown,
        ),
        (
            "503 after the call was created",
            FaultKind::Status(503),
            RequestOutcome::Unknown,
        ),
        (
            "connection dropped mid-answer",
            FaultKind::DropConnection,
            RequestOutcome::Unknown,
        ),
        (
            "answer slower than the timeout",
            FaultKind::Delay(SLOW),
            RequestOutcome::Unknown,
        ),
        (
            "malformed answer",
            FaultKind::Malformed,
            RequestOutcome::Applied,
        ),
        (
            "truncated answer",
            FaultKind::Truncated,
            RequestOutcome::Applied,
        ),
    ];
    for &kind in voiceport_sandbox::EMULATED {
        for (name, fault, outcome) in &after_handler {
            let (sandbox, provider) = setup_timed(kind, 5, fault).await;
            sandbox.faults().inject(
                Fault::new(fault.clone())
                    .vendor(kind)
                    .method("POST")
                    .after_handler()
                    .times(u32::MAX),
            );
            let err = provider.dial(&dial()).await.unwrap_err();
            assert_eq!(
                sandbox.dialed_count(kind),
                1,
                "{kind}, {name}: one dial must create exactly one call"
            );
            assert_eq!(err.outcome(), *outcome, "{kind}, {name}: {err:?}");
        }
        // Refused before it took effect: nothing created, and the caller is told so. Once
        // only: a dial sent again would get through and create a call.
        let (sandbox, provider) = setup(kind, 5).await;
        sandbox.faults().inject(
            Fault::new(FaultKind::RateLimited {
                retry_after: Duration::from_secs(0),
            })
            .vendor(kind)
            .method("POST")
            .times(1),
        );
        let err = provider.dial(&dial()).await.unwrap_err();
        assert_eq!(
            sandbox.dialed_count(kind),
            0,
            "{kind}: a refused dial was sent again and created a call"
        );
        assert_eq!(err.outcome(), RequestOutcome::NotApplied, "{kind}: {err:?}");
        // A 5xx before the handler: nothing created, but the client cannot know that (and
        // once only, as above).
        let (sandbox, provider) = setup(kind, 5).await;
        sandbox.faults().inject(
            Fault::new(FaultKind::Status(503))
                .vendor(kind)
                .method("POST")
                .times(1),
        );
        let err = provider.dial(&dial()).await.unwrap_err();
        assert_eq!(sandbox.dialed_count(kind), 0, "{kind}: a dial was retried");
        assert_eq!(err.outcome(), RequestOutcome::Unknown, "{kind}: {err:?}");
    }
}

/// `wait_until_ended` keeps to its timeout when the vendor is slow: a look still running
/// one poll interval after the deadline is given up, with the status seen last. Each look
/// here would take ten minutes (the connection's timeout too), so a wait that waited for
/// one is stopped by the guard against hangs and fails.
#[tokio::test]
async fn waiting_for_the_end_keeps_to_its_timeout_when_the_vendor_is_slow() {
    use voiceport::VoiceProviderExt;
    const SLOW: Duration = Duration::from_secs(600);
    let kind = ProviderKind::HappyRobot;
    let sandbox = Sandbox::builder()
        .calls(kind, 3)
        .timing(
            voiceport_sandbox::Timing::default()
                .with_queued(Duration::from_millis(10))
                .with_ringing(Duration::from_millis(10))
                .with_talk(Duration::from_secs(600)),
        )
        .start()
        .await
        .unwrap();
    let mut config = sandbox.provider_config(kind);
    config.retry.max_attempts = Some(4);
    config.timeout_secs = Some(SLOW.as_secs_f64());
    let provider = voiceport::connect(&config).unwrap();
    let mut request = dial();
    request.phone_number_id = Some("6650cc00cc00cc00cc00cc01".into());
    let dialed = provider.dial(&request).await.unwrap();
    // Every later look takes ten minutes, far past the 0.3-second wait.
    sandbox.faults().inject(
        Fault::new(FaultKind::Delay(SLOW))
            .vendor(kind)
            .method("GET")
            .times(u32::MAX),
    );
    let waiting = provider.wait_until_ended(
        &dialed.call_id,
        Wait::at_most(Duration::from_millis(300)).polling_every(Duration::from_millis(100)),
    );
    let err = tokio::time::timeout(Duration::from_secs(120), waiting)
        .await
        .expect("the wait waited for a slow look")
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimedOut { .. }), "{err:?}");
}

/// A delete whose answer is lost after the vendor did it (a 503 after the handler) is
/// retried, finds the call gone, and succeeded: it does not report "not found" for work
/// it did. Every adapter that deletes calls (Rounded does not).
#[tokio::test]
async fn a_delete_whose_answer_was_lost_succeeds_on_its_retry() {
    for kind in [
        ProviderKind::HappyRobot,
        ProviderKind::Voicebot,
        ProviderKind::Vapi,
        ProviderKind::Retell,
    ] {
        let (sandbox, provider) = setup(kind, 3).await;
        let page = provider.list_calls(&CallQuery::default()).await.unwrap();
        let id = page.calls.first().expect("a seeded call").id.clone();
        sandbox.faults().inject(
            Fault::new(FaultKind::Status(503))
                .vendor(kind)
                .method("DELETE")
                .after_handler(),
        );
        provider.delete_call(&id).await.unwrap();
        let gone = provider.get_call(&id).await.unwrap_err();
        assert!(matches!(gone, Error::NotFound { .. }), "{kind}: {gone:?}");
        // Deleted already: a delete now is not found, as it should be.
        let again = provider.delete_call(&id).await.unwrap_err();
        assert!(matches!(again, Error::NotFound { .. }), "{kind}: {again:?}");
    }
}

/// Voicebot Studio documents no parameter for its list of calls: should it ignore the
/// page size and time window voiceport sends, it answers every call at once, and a walk
/// reads that page as the last, giving every call once, as a walk it honours does.
#[tokio::test]
async fn a_voicebot_list_that_ignores_its_parameters_still_walks_every_call_once() {
    use futures::TryStreamExt;
    use std::collections::BTreeSet;
    use voiceport::VoiceProviderExt;
    let kind = ProviderKind::Voicebot;
    let (sandbox, provider) = setup(kind, 1).await;
    let ids = |calls: Vec<voiceport::Call>| {
        let ids: Vec<String> = calls.into_iter().map(|c| c.id.to_string()).collect();
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "a call came twice: {ids:?}");
        ids
    };
    let query = || CallQuery {
        page_size: Some(7),
        ..CallQuery::default()
    };
    let honoured = ids(provider.calls(query()).try_collect().await.unwrap());
    assert_eq!(honoured.len(), 20);
    sandbox
        .faults()
        .inject(on_list(FaultKind::IgnoreQuery, kind).times(u32::MAX));
    // One page of every call, longer than asked for: the last.
    let page = provider.list_calls(&query()).await.unwrap();
    assert_eq!((page.calls.len(), page.next.is_none()), (20, true));
    let ignored = ids(provider.calls(query()).try_collect().await.unwrap());
    assert_eq!(ignored, honoured);
    assert!(!sandbox.faults().is_empty(), "the fault stays armed");
}

/// After a dial whose answer was lost (the call placed, a 500 sent instead), `find_dialed`
/// finds the call it placed on every vendor: by the number and the time, a vendor ranging
/// by the start time included (the call still ringing has none), and leaves out another
/// call to the same number whose order id reads back otherwise. A call to another number,
/// or one placed before the time given, is not this dial's.
#[tokio::test]
async fn find_dialed_finds_the_call_a_lost_answer_placed() {
    let number = "+14155550177";
    let with_order = |order: &str| {
        let mut request = DialRequest::to(number);
        request.metadata.insert("order_id".into(), order.into());
        request
    };
    for &kind in voiceport_sandbox::EMULATED {
        let (sandbox, provider) = setup(kind, 5).await;
        // Rounded takes no metadata on a dial: its calls are told apart by time alone.
        let takes_metadata = provider.check_dial(&with_order("A-1")).is_ok();
        let ours = match takes_metadata {
            true => with_order("A-2"),
            false => DialRequest::to(number),
        };
        let started = voiceport::chrono::Utc::now();
        let other = match takes_metadata {
            true => provider.dial(&with_order("A-1")).await.unwrap(),
            false => provider.dial(&DialRequest::to(number)).await.unwrap(),
        };
        sandbox.faults().inject(
            Fault::new(FaultKind::Status(500))
                .vendor(kind)
                .method("POST")
                .after_handler()
                .times(1),
        );
        let dialed_at = voiceport::chrono::Utc::now();
        let err = provider.dial(&ours).await.unwrap_err();
        assert!(err.call_may_exist(), "{kind}: {err:?}");
        assert_eq!(sandbox.dialed_count(kind), 2, "{kind}");

        // Every call to the number since the first dial: the other, and the one placed.
        let both = provider
            .find_dialed(&DialRequest::to(number), started)
            .await
            .unwrap();
        assert_eq!(both.len(), 2, "{kind}: {both:#?}");
        let placed = (both.iter())
            .find(|call| call.id != other.call_id)
            .unwrap_or_else(|| panic!("{kind}: {both:#?}"));
        let found = provider.find_dialed(&ours, dialed_at).await.unwrap();
        assert!(
            found.iter().any(|call| call.id == placed.id),
            "{kind}: the call placed was not found: {found:#?}"
        );
        // The other call reads back another order id where the vendor reads metadata
        // back (it is left out), and is kept where it does not (it may be this dial's).
        let other_call = (both.iter()).find(|call| call.id == other.call_id).unwrap();
        let told_apart = other_call.metadata.contains_key("order_id");
        let other_found = found.iter().any(|call| call.id == other.call_id);
        assert_eq!(other_found, !told_apart, "{kind}: {found:#?}");
        assert!(!told_apart || takes_metadata, "{kind}");

        // Another number: nothing. A time after both calls were created (past the
        // clocks' margin): nothing, where the calls say when they were created.
        let elsewhere = DialRequest::to("+14155550166");
        assert!(
            (provider.find_dialed(&elsewhere, started).await.unwrap()).is_empty(),
            "{kind}"
        );
        if both.iter().all(|call| call.created_at.is_some()) {
            let later = dialed_at + voiceport::chrono::TimeDelta::minutes(10);
            let found = provider.find_dialed(&ours, later).await.unwrap();
            assert!(found.is_empty(), "{kind}: {found:#?}");
        }
    }
}
