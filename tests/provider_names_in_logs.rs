//! The operation and request spans name the provider as its providers file does, so that
//! two accounts of one vendor are told apart in the log; a provider connected from a lone
//! `ProviderConfig` has no name, and its spans none.

mod support;

use std::collections::BTreeMap;

use tracing_subscriber::fmt::format::FmtSpan;
use voiceport::{CallQuery, Error, ProviderKind, ProvidersFile, Registry};
use voiceport_sandbox::Sandbox;

use support::Captured;

/// Every vendor under a name of its own, and a second Rounded account beside the first.
const ACCOUNTS: [(&str, ProviderKind); 6] = [
    ("leads", ProviderKind::HappyRobot),
    ("studio", ProviderKind::Voicebot),
    ("sales", ProviderKind::Rounded),
    ("support", ProviderKind::Rounded),
    ("outbound", ProviderKind::Vapi),
    ("renewals", ProviderKind::Retell),
];

/// Every debug event of this thread, and a line for each span as it closes (which shows
/// its fields), captured until the guard is dropped.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    support::keep_every_log_line_on();
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE)
        .finish();
    (log, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn spans_name_the_configured_provider_and_a_lone_config_names_none() {
    let sandbox = Sandbox::builder().seed(11).start().await.unwrap();
    let providers = ACCOUNTS
        .iter()
        .map(|(name, kind)| (name.to_string(), sandbox.provider_config(*kind)))
        .collect();
    let registry = Registry::from_file(ProvidersFile::new(
        Some("sales".into()),
        providers,
        BTreeMap::new(),
    ))
    .unwrap();
    let query = CallQuery {
        page_size: Some(1),
        ..CallQuery::default()
    };

    let (log, guard) = capture();
    for (name, _) in ACCOUNTS {
        let provider = registry.connect(name).unwrap();
        provider.list_calls(&query).await.unwrap();
    }
    let lone = voiceport::connect(&sandbox.provider_config(ProviderKind::HappyRobot)).unwrap();
    lone.list_calls(&query).await.unwrap();
    drop(guard);
    let text = log.text();

    // Each span's closing line, which shows its fields and those of the spans around it.
    let closed: Vec<&str> = text
        .lines()
        .filter(|line| line.contains(": close "))
        .collect();
    let (requests, operations): (Vec<&str>, Vec<&str>) =
        (closed.iter()).partition(|line| line.contains("voiceport.request{"));
    for (name, kind) in ACCOUNTS {
        let named = format!("{{provider={kind} provider_name=\"{name}\" operation=list_calls");
        let operation = format!("voiceport.operation{named}}}: ");
        let request = format!("voiceport.request{named} ");
        let count =
            |lines: &[&str], wanted: &str| lines.iter().filter(|l| l.contains(wanted)).count();
        assert_eq!(count(&operations, &operation), 1, "{operation} in:\n{text}");
        assert_eq!(count(&requests, &request), 1, "{request} in:\n{text}");
    }
    // One operation and one listing request per provider, and Vapi's lookup of the number
    // its calls name by id (inside the listing, named too); the lone provider's name
    // neither.
    let lookup =
        "voiceport.request{provider=vapi provider_name=\"outbound\" operation=phone_number ";
    assert_eq!(
        requests.iter().filter(|l| l.contains(lookup)).count(),
        1,
        "{text}"
    );
    assert_eq!(operations.len(), ACCOUNTS.len() + 1, "{text}");
    assert_eq!(requests.len(), ACCOUNTS.len() + 2, "{text}");
    let unnamed: Vec<&&str> = (closed.iter())
        .filter(|line| !line.contains("provider_name="))
        .collect();
    assert_eq!(unnamed.len(), 2, "{text}");
    for line in unnamed {
        assert!(
            line.contains("voiceport.operation{provider=happyrobot operation=list_calls}"),
            "{line}"
        );
    }
}

/// A dial's operation span records the call it placed (an event of it shows the call id),
/// and an operation that fails says why at debug level, in its span.
#[tokio::test]
async fn a_dial_logs_the_call_it_placed_and_a_failure_says_why() {
    use voiceport::{CallId, DialRequest};
    let sandbox = Sandbox::builder().seed(11).start().await.unwrap();
    let provider = voiceport::connect(&sandbox.provider_config(ProviderKind::Vapi)).unwrap();
    let (log, guard) = capture();
    let dialed = provider
        .dial(&DialRequest::to("+14155550123"))
        .await
        .unwrap();
    let missing = CallId::new("00000000-0000-4000-8000-000000000000");
    let err = provider.get_call(&missing).await.unwrap_err();
    drop(guard);
    let text = log.text();
    let placed = format!("call_id=\"{}\"", dialed.call_id.as_str());
    assert!(
        text.lines()
            .any(|line| line.contains("call placed") && line.contains(&placed)),
        "{text}"
    );
    let failed: Vec<&str> = (text.lines())
        .filter(|line| line.contains("operation failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{text}");
    assert!(failed[0].contains("operation=get_call"), "{}", failed[0]);
    assert!(failed[0].contains(&err.to_string()), "{}", failed[0]);
    // The operation's span closes with the kind of its failure; the dial's, with none.
    let closed = |operation: &str| {
        let name = format!("voiceport.operation{{provider=vapi operation={operation}");
        (text.lines())
            .find(|line| line.contains(&name) && line.contains(" close time.busy"))
            .unwrap_or_else(|| panic!("no close of {operation} in {text}"))
            .to_owned()
    };
    assert!(
        closed("get_call").contains("error_kind=\"not_found\""),
        "{text}"
    );
    assert!(
        closed("get_call").contains("otel.status_code=\"ERROR\""),
        "{text}"
    );
    assert!(!closed("dial").contains("error_kind"), "{text}");
    assert!(!closed("dial").contains("otel.status_code"), "{text}");
}

/// A vendor-only operation (reached through `extension`, outside the trait and its guard)
/// runs in an operation span as the trait's do: named for the account, its operation and
/// its call, and its failure said there.
#[tokio::test]
async fn a_vendor_only_operation_runs_in_its_own_operation_span() {
    use voiceport::CallId;
    use voiceport::happyrobot::HappyRobot;
    let sandbox = Sandbox::builder().seed(11).start().await.unwrap();
    let providers = [(
        "leads".to_string(),
        sandbox.provider_config(ProviderKind::HappyRobot),
    )];
    let registry =
        Registry::from_file(ProvidersFile::new(None, providers.into(), BTreeMap::new())).unwrap();
    let provider = registry.connect("leads").unwrap();
    let happyrobot = provider
        .extension::<HappyRobot>()
        .expect("a HappyRobot client");
    let query = CallQuery::default();
    let id = provider.list_calls(&query).await.unwrap().calls[0]
        .id
        .clone();
    let missing = CallId::new("6650dd00dd00dd00dd00dd99");

    let (log, guard) = capture();
    happyrobot.set_viewed(&id, "ops@example.com").await.unwrap();
    let err = happyrobot.call_logs(&missing).await.unwrap_err();
    // An id that cannot be one is refused before any span records it, as the guard does.
    let junk = CallId::new("j".repeat(300));
    let refused = happyrobot.set_viewed(&junk, "ops@example.com").await;
    assert!(
        // Refused here (no status: no vendor answered it).
        matches!(refused, Err(Error::InvalidRequest { status: None, .. })),
        "{refused:?}"
    );
    drop(guard);
    let text = log.text();
    assert!(!text.contains(junk.as_str()), "{text}");
    // The operation span's own closing line (the request's is inside it).
    let viewed = format!(
        "voiceport.operation{{provider=happyrobot provider_name=\"leads\" operation=set_viewed call_id=\"{id}\"}}: "
    );
    let closed =
        (text.lines()).filter(|l| l.contains(&viewed) && !l.contains("voiceport.request{"));
    assert_eq!(
        closed.filter(|l| l.contains(": close ")).count(),
        1,
        "{viewed} in:\n{text}"
    );
    let failed: Vec<&str> = (text.lines())
        .filter(|line| line.contains("operation failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{text}");
    assert!(failed[0].contains("operation=call_logs"), "{}", failed[0]);
    assert!(failed[0].contains(&err.to_string()), "{}", failed[0]);
}

/// The sandbox's providers named `named`, each making one attempt per request (a fault
/// answers the request, not a retry of it).
fn one_attempt_each<const N: usize>(
    sandbox: &Sandbox,
    named: [(&str, ProviderKind); N],
) -> [(String, voiceport::ProviderConfig); N] {
    named.map(|(name, kind)| {
        let mut config = sandbox.provider_config(kind);
        config.retry.max_attempts = Some(1);
        (name.to_owned(), config)
    })
}

/// A failover says at warn level which provider did not place the call and of what kind
/// its refusal was (a provider down or a request refused), without the vendor's message
/// or the number called (the message, at debug level, may quote it).
#[tokio::test]
async fn a_failover_says_the_kind_of_refusal_it_moved_on_from() {
    use voiceport::{DialRequest, RouteConfig, RoutePolicy};
    use voiceport_sandbox::{Fault, FaultKind};
    let sandbox = Sandbox::builder().seed(11).start().await.unwrap();
    let providers = one_attempt_each(
        &sandbox,
        [
            ("leads", ProviderKind::HappyRobot),
            ("studio", ProviderKind::Voicebot),
        ],
    );
    let route = RouteConfig::new(
        vec!["leads".into(), "studio".into()],
        RoutePolicy::Failover,
        Vec::new(),
    );
    let registry = Registry::from_file(ProvidersFile::new(
        None,
        BTreeMap::from(providers),
        BTreeMap::from([("out".to_owned(), route)]),
    ))
    .unwrap();
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(401))
            .vendor(ProviderKind::HappyRobot)
            .method("POST"),
    );
    let (log, guard) = capture();
    let dialed = registry
        .dial("out", &DialRequest::to("+14155550188"))
        .await
        .unwrap();
    drop(guard);
    assert_eq!(dialed.provider_name, "studio");
    let text = log.text();
    let warned: Vec<&str> = (text.lines())
        .filter(|line| line.contains(" WARN ") && line.contains("trying the next provider"))
        .collect();
    assert_eq!(warned.len(), 1, "{text}");
    for field in [
        "route=\"out\"",
        "provider_name=\"leads\"",
        "error_kind=\"unauthorized\"",
        "status=401",
        "transient=false",
    ] {
        assert!(warned[0].contains(field), "{field} in {}", warned[0]);
    }
    assert!(!warned[0].contains("4155550188"), "{}", warned[0]);
    // Each provider's dial runs in the route's span, which ties the two together.
    for provider in [
        "provider=happyrobot provider_name=\"leads\"",
        "provider=voicebot provider_name=\"studio\"",
    ] {
        let nested = format!(
            "voiceport.route{{route=\"out\"}}:voiceport.operation{{{provider} operation=dial"
        );
        assert!(
            text.lines().any(|line| line.contains(&nested)),
            "{nested} in {text}"
        );
    }
}

/// A merged walk fetches each provider's pages on tasks of their own, in the span and to
/// the subscriber of the code that walks (here one set for this thread alone, while the
/// fetches run on the runtime's workers); a provider failing in a walk that goes on
/// without it is said at warn level as it fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merged_walk_logs_in_the_walker_s_span_and_says_a_provider_left_behind() {
    use futures::TryStreamExt;
    use tracing::Instrument;
    use voiceport::{MergeOptions, Selection};
    use voiceport_sandbox::{Fault, FaultKind};
    let sandbox = Sandbox::builder()
        .seed(11)
        .calls(ProviderKind::Vapi, 3)
        .start()
        .await
        .unwrap();
    let providers = one_attempt_each(
        &sandbox,
        [
            ("studio", ProviderKind::Voicebot),
            ("outbound", ProviderKind::Vapi),
        ],
    );
    let registry = Registry::from_file(ProvidersFile::new(
        None,
        BTreeMap::from(providers),
        BTreeMap::new(),
    ))
    .unwrap();
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(500))
            .vendor(ProviderKind::Vapi)
            .method("GET")
            .times(u32::MAX),
    );
    let (log, guard) = capture();
    let query = CallQuery {
        page_size: Some(2),
        ..CallQuery::default()
    };
    let walking = async {
        let mut walk = registry
            .calls(
                &Selection::All,
                query,
                MergeOptions::default().keep_going(true),
            )
            .unwrap();
        let mut count = 0;
        while walk.try_next().await.unwrap().is_some() {
            count += 1;
        }
        (count, walk.failures().len())
    };
    let (count, failed) = walking
        .instrument(tracing::info_span!("nightly_export"))
        .await;
    drop(guard);
    assert!(count > 0);
    assert_eq!(failed, 1);
    let text = log.text();
    let in_walker_span = "nightly_export:voiceport.operation{provider=";
    for name in ["studio", "outbound"] {
        let named = format!("provider_name=\"{name}\" operation=list_calls");
        assert!(
            text.lines()
                .any(|line| line.contains(in_walker_span) && line.contains(&named)),
            "{name}'s fetches in the walker's span, in:\n{text}"
        );
    }
    let warned: Vec<&str> = (text.lines())
        .filter(|line| line.contains(" WARN ") && line.contains("goes on without it"))
        .collect();
    assert_eq!(warned.len(), 1, "{text}");
    for field in [
        "provider_name=outbound",
        "error_kind=\"server\"",
        "status=500",
    ] {
        assert!(warned[0].contains(field), "{field} in {}", warned[0]);
    }
}

/// A dial that fails after it may have reached the vendor (a 500) warns that a call may
/// have been placed, naming the account in its own fields (the operation span is at debug
/// level, off where only warnings are on) and never the number called; a dial refused
/// unapplied (a 401) does not.
#[tokio::test]
async fn a_dial_that_may_have_placed_a_call_warns_naming_the_account() {
    use voiceport::DialRequest;
    use voiceport_sandbox::{Fault, FaultKind};
    let sandbox = Sandbox::builder().seed(11).start().await.unwrap();
    let [(name, config)] = one_attempt_each(&sandbox, [("outbound", ProviderKind::Vapi)]);
    let registry = Registry::from_file(ProvidersFile::new(
        None,
        BTreeMap::from([(name, config)]),
        BTreeMap::new(),
    ))
    .unwrap();
    let provider = registry.connect("outbound").unwrap();
    let warnings = async |status: u16| {
        sandbox.faults().inject(
            Fault::new(FaultKind::Status(status))
                .vendor(ProviderKind::Vapi)
                .method("POST"),
        );
        let (log, guard) = capture();
        let err = provider
            .dial(&DialRequest::to("+14155550177"))
            .await
            .unwrap_err();
        drop(guard);
        let text = log.text();
        let warned: Vec<String> = (text.lines())
            .filter(|line| line.contains(" WARN ") && line.contains("a call may have been placed"))
            .map(str::to_owned)
            .collect();
        (err, warned)
    };
    let (err, warned) = warnings(500).await;
    assert!(err.call_may_exist(), "{err:?}");
    assert_eq!(warned.len(), 1, "{warned:?}");
    for field in [
        "provider=vapi",
        "provider_name=\"outbound\"",
        "error_kind=\"server\"",
        "status=500",
        "outcome=unknown",
    ] {
        assert!(warned[0].contains(field), "{field} in {}", warned[0]);
    }
    assert!(!warned[0].contains("4155550177"), "{}", warned[0]);
    let (err, warned) = warnings(401).await;
    assert!(!err.call_may_exist(), "{err:?}");
    assert!(warned.is_empty(), "{warned:?}");
}

/// A key passed where a call or note id belongs (a caller's mistake) is hidden everywhere
/// the id would be quoted: in the error, whether the id is refused before sending (a
/// malformed HappyRobot, Rounded or Vapi id, and HappyRobot's extensions' own check) or
/// sent and refused by the vendor, and in the spans and events logged on the way (which
/// the ids sent reach: Voicebot Studio's and Retell's).
#[tokio::test]
async fn a_key_given_as_a_call_id_is_hidden_in_errors_and_logs() {
    let sandbox = Sandbox::builder().seed(11).start().await.unwrap();
    let (log, guard) = capture();
    let mut keys = Vec::new();
    // The error's text and its `Debug`, neither holding `key`.
    let unsaid = |name: &str, error: voiceport::Error, key: &str| {
        let said = format!("{error} {error:?}");
        assert!(!said.contains(key), "{name}: {said}");
    };
    for (name, kind) in ACCOUNTS {
        let key = sandbox.api_key(kind).to_owned();
        let provider = voiceport::connect(&sandbox.provider_config(kind)).unwrap();
        unsaid(
            name,
            provider
                .get_call(&voiceport::CallId::new(key.as_str()))
                .await
                .unwrap_err(),
            &key,
        );
        // A note id too, where the vendor has notes.
        if provider.capabilities().notes {
            let call = voiceport::CallId::new("65a1f0c2b3d4e5f601234567");
            let note = voiceport::NoteId::new(key.as_str());
            unsaid(
                name,
                provider.delete_note(&call, &note).await.unwrap_err(),
                &key,
            );
        }
        // A vendor's own operation checks its ids itself (HappyRobot's extensions).
        if let Some(happyrobot) = provider.extension::<voiceport::happyrobot::HappyRobot>() {
            let id = voiceport::CallId::new(key.as_str());
            unsaid(
                name,
                happyrobot
                    .set_viewed(&id, "ops@example.com")
                    .await
                    .unwrap_err(),
                &key,
            );
        }
        keys.push(key);
    }
    drop(guard);
    let text = log.text();
    assert!(
        text.contains("voiceport.operation"),
        "nothing was logged: {text}"
    );
    for key in keys {
        assert!(!text.contains(&key), "{key} in the log:\n{text}");
    }
}
