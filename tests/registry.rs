//! Several providers at once, through the registry, against the sandbox: one merged call
//! stream (exactly once, in order, resumable anywhere), dial routes that fail over only
//! when no call was placed, and provider-qualified ids.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::TryStreamExt;
use voiceport::{
    CallQuery, CallStatus, DialRequest, Error, MergeOptions, MergedCall, MergedCalls, MergedCursor,
    ProviderConfig, ProviderError, ProviderKind, ProvidersFile, Registry, RouteConfig, RoutePolicy,
    Selection, SortOrder, VoiceProviderExt, Wait,
};
use voiceport_sandbox::{Fault, FaultKind, Sandbox};

const PAGE: u32 = 5;

/// Two sandboxes: the three emulators, and a second HappyRobot account.
struct Accounts {
    main: Sandbox,
    second: Sandbox,
}

async fn start_accounts() -> Accounts {
    let main = Sandbox::builder()
        .seed(7)
        .calls(ProviderKind::HappyRobot, 23)
        .calls(ProviderKind::Voicebot, 17)
        .calls(ProviderKind::Rounded, 19)
        .start()
        .await
        .unwrap();
    let second = Sandbox::builder()
        .seed(8)
        .calls(ProviderKind::HappyRobot, 11)
        .calls(ProviderKind::Voicebot, 0)
        .calls(ProviderKind::Rounded, 0)
        .start()
        .await
        .unwrap();
    Accounts { main, second }
}

fn config(sandbox: &Sandbox, kind: ProviderKind, name: &str) -> ProviderConfig {
    let mut config = sandbox
        .provider_config(kind)
        .at_path(format!("providers.{name}."));
    config.retry.max_attempts = Some(1);
    // Far longer than a loopback request to the sandbox takes on a loaded machine; the
    // case that needs a request to time out sets a shorter one.
    config.timeout_secs = Some(10.0);
    config
}

fn registry_of(accounts: &Accounts, routes: BTreeMap<String, RouteConfig>) -> Registry {
    let providers = BTreeMap::from([
        (
            "hr".to_owned(),
            config(&accounts.main, ProviderKind::HappyRobot, "hr"),
        ),
        (
            "hr2".to_owned(),
            config(&accounts.second, ProviderKind::HappyRobot, "hr2"),
        ),
        (
            "studio".to_owned(),
            config(&accounts.main, ProviderKind::Voicebot, "studio"),
        ),
        (
            "support".to_owned(),
            config(&accounts.main, ProviderKind::Rounded, "support"),
        ),
    ]);
    // `from_file` checks the routes against the providers.
    Registry::from_file(ProvidersFile::new(Some("hr".into()), providers, routes)).unwrap()
}

fn query() -> CallQuery {
    CallQuery {
        page_size: Some(PAGE),
        ..CallQuery::default()
    }
}

/// Every call of a merged walk of `selection` for `query` (from `resume`, if given).
async fn walk_all(
    registry: &Registry,
    selection: &Selection,
    query: CallQuery,
    resume: Option<MergedCursor>,
) -> Vec<MergedCall> {
    let walk = registry.calls(
        selection,
        query,
        MergeOptions::default().resume_from(resume),
    );
    walk.unwrap().try_collect().await.unwrap()
}

/// Every call of every provider, walked one provider at a time: `name:id`.
async fn expected(registry: &Registry) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for name in registry.names() {
        let provider = registry.connect(name).unwrap();
        let calls: Vec<_> = provider.calls(query()).try_collect().await.unwrap();
        eprintln!("{name}: {}", calls.len());
        all.extend(calls.into_iter().map(|c| format!("{name}:{}", c.id)));
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn the_merged_stream_yields_every_call_once_newest_first() {
    let accounts = start_accounts().await;
    let registry = registry_of(&accounts, BTreeMap::new());
    let expected = expected(&registry).await;
    assert_eq!(expected.len(), 23 + 11 + 17 + 19);
    let merged = walk_all(&registry, &Selection::All, query(), None).await;
    let ids: Vec<String> = merged.iter().map(|m| m.qualified_id()).collect();
    assert_eq!(
        ids.len(),
        expected.len(),
        "a call came twice or went missing"
    );
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), expected);
    let times: Vec<_> = merged.iter().filter_map(|m| m.call.created_at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "not newest first");
    // Providers really interleave (the walk is a merge, not a concatenation).
    let switches = merged
        .windows(2)
        .filter(|w| w[0].provider_name != w[1].provider_name)
        .count();
    assert!(switches > 4, "{switches} switches");

    let named = Selection::parse("studio,hr2");
    let some = walk_all(&registry, &named, query(), None).await;
    assert_eq!(some.len(), 17 + 11);
    assert!(
        some.iter()
            .all(|m| m.provider_name == "studio" || m.provider_name == "hr2")
    );

    // A provider named twice is walked once.
    let twice = Selection::parse("hr2, hr2");
    let once = walk_all(&registry, &twice, query(), None).await;
    assert_eq!(once.len(), 11, "hr2's calls, each once");
}

/// A call placed while a merged walk reads an offset-paged provider (HappyRobot's
/// `skip`) shifts its next page by one, onto a call already yielded: it comes once.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_placed_mid_walk_on_an_offset_listing_comes_in_no_call_twice() {
    let accounts = start_accounts().await;
    let registry = registry_of(&accounts, BTreeMap::new());
    let hr = Selection::parse("hr");
    let before: BTreeSet<String> = (walk_all(&registry, &hr, query(), None).await.iter())
        .map(MergedCall::qualified_id)
        .collect();
    let mut walk = (registry.calls(&hr, query(), MergeOptions::default())).unwrap();
    let mut ids = Vec::new();
    // Under half of the first page: the second is not asked for yet.
    for _ in 0..2 {
        ids.push(walk.try_next().await.unwrap().unwrap().qualified_id());
    }
    let provider = registry.connect("hr").unwrap();
    provider
        .dial(&DialRequest::to("+14155550187"))
        .await
        .unwrap();
    while let Some(merged) = walk.try_next().await.unwrap() {
        ids.push(merged.qualified_id());
    }
    let distinct: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(distinct.len(), ids.len(), "a call came twice: {ids:?}");
    assert_eq!(distinct, before);
}

/// A walk stopped inside a provider's first page resumes after the last call it yielded,
/// although calls placed since push that page down (a first page starts at the newest
/// call): no call comes twice, none is skipped, and the new ones stay out. So many may be
/// placed that the call is pushed off the first page (4, with pages of 5 and 2 calls
/// yielded), or off the second too (12).
#[tokio::test]
async fn a_walk_stopped_in_a_first_page_resumes_after_its_last_call_despite_new_calls() {
    for placed_since in [2, 4, 12] {
        let sandbox = Sandbox::builder()
            .seed(3)
            .calls(ProviderKind::Vapi, 12)
            .start()
            .await
            .unwrap();
        let registry = Registry::from_file(ProvidersFile::new(
            None,
            BTreeMap::from([("v".to_owned(), config(&sandbox, ProviderKind::Vapi, "v"))]),
            BTreeMap::new(),
        ))
        .unwrap();
        let mut walk = (registry.calls(&Selection::All, query(), MergeOptions::default())).unwrap();
        let mut ids = Vec::new();
        for _ in 0..2 {
            ids.push(walk.try_next().await.unwrap().unwrap().call.id);
        }
        let cursor = walk.cursor();
        drop(walk);
        // Calls placed since: the first page now begins with them.
        let provider = registry.connect("v").unwrap();
        let mut placed = BTreeSet::new();
        for _ in 0..placed_since {
            let dialed = provider
                .dial(&DialRequest::to("+14155550187"))
                .await
                .unwrap();
            placed.insert(dialed.call_id);
        }
        let rest = walk_all(&registry, &Selection::All, query(), Some(cursor)).await;
        ids.extend(rest.into_iter().map(|merged| merged.call.id));
        let distinct: BTreeSet<_> = ids.iter().collect();
        assert_eq!(
            distinct.len(),
            ids.len(),
            "{placed_since}: a call came twice: {ids:?}"
        );
        assert!(
            ids.iter().all(|id| !placed.contains(id)),
            "{placed_since}: {ids:?}"
        );
        // Every call the account held when the walk began.
        assert_eq!(ids.len(), 12, "{placed_since}: {ids:?}");
    }
}

/// A walk resumed with another page size reads the pages it was started with: a page
/// number (Rounded's page mode) means other calls at another size.
#[tokio::test(flavor = "multi_thread")]
async fn a_walk_resumed_with_another_page_size_keeps_its_own() {
    let accounts = start_accounts().await;
    let mut support = config(&accounts.main, ProviderKind::Rounded, "support");
    support.options.insert("paging".into(), "page".into());
    let providers = BTreeMap::from([
        ("support".to_owned(), support),
        (
            "hr".to_owned(),
            config(&accounts.main, ProviderKind::HappyRobot, "hr"),
        ),
    ]);
    let registry = Registry::from_file(ProvidersFile::new(
        Some("hr".into()),
        providers,
        BTreeMap::new(),
    ))
    .unwrap();
    let all = Selection::All;
    let expected = expected(&registry).await;
    assert_eq!(expected.len(), 19 + 23);
    for stop in [3, 7, 12, 20, 31] {
        let mut walk = registry
            .calls(&all, query(), MergeOptions::default())
            .unwrap();
        let mut seen = Vec::new();
        for _ in 0..stop {
            seen.push(walk.try_next().await.unwrap().unwrap().qualified_id());
        }
        let token = walk.cursor().to_token();
        let bigger = CallQuery {
            page_size: Some(PAGE * 4),
            ..CallQuery::default()
        };
        let cursor = MergedCursor::from_token(&token).unwrap();
        let rest = walk_all(&registry, &all, bigger, Some(cursor)).await;
        seen.extend(rest.iter().map(|m| m.qualified_id()));
        assert_eq!(seen.len(), expected.len(), "stop {stop}: {token}");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
    }
}

/// A cursor resumed with fewer providers than it has places in is refused: the places of
/// the others would be lost, and a later resume selecting them would start them over.
#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_is_refused_for_a_walk_that_leaves_out_a_provider_it_holds_a_place_in() {
    let accounts = start_accounts().await;
    let registry = registry_of(&accounts, BTreeMap::new());
    let both = Selection::parse("hr,hr2");
    let mut walk = (registry.calls(&both, query(), MergeOptions::default())).unwrap();
    for _ in 0..3 {
        walk.try_next().await.unwrap().unwrap();
    }
    let cursor = walk.cursor();
    let fourth = walk.try_next().await.unwrap().unwrap().qualified_id();
    drop(walk);
    let narrower = Selection::parse("hr2");
    let refused = (registry.calls(
        &narrower,
        query(),
        MergeOptions::default().resume_from(cursor.clone()),
    ))
    .expect_err("a cursor resumed without one of its providers");
    assert!(
        matches!(&refused, Error::InvalidArgument { argument, .. } if argument == "cursor"),
        "{refused}"
    );
    assert!(refused.to_string().contains("provider `hr`"), "{refused}");
    // Nor with one it was not started with: its newest calls would come after older ones.
    let wider = Selection::parse("hr,hr2,support");
    let refused = (registry.calls(
        &wider,
        query(),
        MergeOptions::default().resume_from(cursor.clone()),
    ))
    .expect_err("a cursor resumed with a provider it does not know");
    assert!(
        matches!(&refused, Error::InvalidArgument { argument, .. } if argument == "cursor"),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .contains("a walk without provider `support`"),
        "{refused}"
    );
    // With every provider it holds a place in, it resumes where it stopped.
    let mut resumed =
        (registry.calls(&both, query(), MergeOptions::default().resume_from(cursor))).unwrap();
    let next = resumed.try_next().await.unwrap().unwrap();
    assert_eq!(next.qualified_id(), fourth);
}

/// A cursor resumes only the walk it was taken from: another sort order or other filters
/// would read its positions in another listing, skipping and repeating calls.
#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_is_refused_for_a_walk_with_other_filters_or_order() {
    let accounts = start_accounts().await;
    let registry = registry_of(&accounts, BTreeMap::new());
    // The two HappyRobot accounts, which sort either way.
    let both = Selection::parse("hr,hr2");
    let oldest_first = CallQuery {
        sort: Some(SortOrder::Ascending),
        ..query()
    };
    let mut walk = registry
        .calls(&both, oldest_first.clone(), MergeOptions::default())
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(walk.try_next().await.unwrap().unwrap().qualified_id());
    }
    let token = walk.cursor().to_token();
    let cursor = || MergedCursor::from_token(&token).unwrap();
    let answered = CallQuery {
        statuses: vec![CallStatus::Completed],
        ..oldest_first.clone()
    };
    for other in [query(), answered] {
        let refused = registry
            .calls(&both, other, MergeOptions::default().resume_from(cursor()))
            .expect_err("a cursor resumed with another query");
        assert!(
            matches!(&refused, Error::InvalidArgument { argument, .. } if argument == "cursor"),
            "{refused}"
        );
    }
    // The same selection asked another way is the same walk: the digest sees through it.
    let mut walk = registry
        .calls(&both, query(), MergeOptions::default())
        .unwrap();
    walk.try_next().await.unwrap().unwrap();
    let newest_first = MergedCursor::from_token(&walk.cursor().to_token()).unwrap();
    let spelled_out = CallQuery {
        sort: Some(SortOrder::Descending),
        ..query()
    };
    let resumed = registry.calls(
        &both,
        spelled_out,
        MergeOptions::default().resume_from(newest_first),
    );
    assert!(resumed.is_ok(), "{:?}", resumed.err());
    let two = |statuses: Vec<CallStatus>| CallQuery {
        statuses,
        ..query()
    };
    let walk = registry
        .calls(
            &both,
            two(vec![CallStatus::Completed, CallStatus::Failed]),
            MergeOptions::default(),
        )
        .unwrap();
    let resumed = registry.calls(
        &both,
        two(vec![CallStatus::Failed, CallStatus::Completed]),
        MergeOptions::default().resume_from(walk.cursor()),
    );
    assert!(resumed.is_ok(), "{:?}", resumed.err());
    // A number written with spaces and dashes is the number the guard sends (E.164).
    let to = |number: &str| CallQuery {
        to_number: Some(number.into()),
        ..query()
    };
    let walk = (registry.calls(&both, to("+14155550188"), MergeOptions::default())).unwrap();
    let resumed = registry.calls(
        &both,
        to("+1 415-555-0188"),
        MergeOptions::default().resume_from(walk.cursor()),
    );
    assert!(resumed.is_ok(), "{:?}", resumed.err());
    let other = registry.calls(
        &both,
        to("+14155550189"),
        MergeOptions::default().resume_from(walk.cursor()),
    );
    assert!(other.is_err(), "another number is another walk");
    // With its own query (another page size is the cursor's business), the rest comes.
    let rest = walk_all(&registry, &both, oldest_first.clone(), Some(cursor())).await;
    seen.extend(rest.iter().map(|m| m.qualified_id()));
    let all = walk_all(&registry, &both, oldest_first, None).await;
    let all: Vec<String> = all.iter().map(|m| m.qualified_id()).collect();
    assert_eq!(seen, all);
}

/// A registry built in code, its providers never placed at a config path, still keeps
/// one connection per provider.
#[tokio::test(flavor = "multi_thread")]
async fn a_registry_built_in_code_connects_each_provider_apart() {
    let accounts = start_accounts().await;
    let providers = BTreeMap::from([
        (
            "a".to_owned(),
            accounts.main.provider_config(ProviderKind::Rounded),
        ),
        (
            "b".to_owned(),
            accounts.main.provider_config(ProviderKind::Voicebot),
        ),
    ]);
    let registry = Registry::from_file(ProvidersFile::new(
        Some("b".into()),
        providers,
        BTreeMap::new(),
    ))
    .unwrap();
    let a = registry.connect("a").unwrap();
    let b = registry.connect("b").unwrap();
    assert_eq!(a.kind(), ProviderKind::Rounded);
    assert_eq!(b.kind(), ProviderKind::Voicebot);
    assert_eq!(
        registry.connect_default().unwrap().kind(),
        ProviderKind::Voicebot
    );
    // Errors name the provider's place in the configuration, as a parsed file's do.
    let config = registry.file().get("a").unwrap();
    assert_eq!(config.field_name("api_key"), "providers.a.api_key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_walk_stopped_anywhere_resumes_with_the_rest_exactly_once() {
    let accounts = start_accounts().await;
    let registry = registry_of(&accounts, BTreeMap::new());
    let expected = expected(&registry).await;
    let total = expected.len();
    // Stop points across the walk: the start, page edges, the middle, the last call.
    let mut stops: Vec<usize> = vec![
        0,
        1,
        4,
        5,
        6,
        9,
        10,
        11,
        25,
        33,
        total / 2,
        total - 2,
        total - 1,
        total,
    ];
    stops.extend((0..total).step_by(7));
    stops.sort_unstable();
    stops.dedup();
    for stop in stops {
        let mut walk = registry
            .calls(&Selection::All, query(), MergeOptions::default())
            .unwrap();
        let mut seen = Vec::new();
        for _ in 0..stop {
            seen.push(walk.try_next().await.unwrap().unwrap().qualified_id());
        }
        // Right after the last call, the cursor says so: nothing is left to ask for.
        assert_eq!(walk.cursor().is_done(), stop == total, "stop {stop}");
        // The cursor travels as text, as a CLI or a job queue would keep it.
        let token = walk.cursor().to_token();
        drop(walk);
        let cursor = MergedCursor::from_token(&token).unwrap();
        let rest = walk_all(&registry, &Selection::All, query(), Some(cursor)).await;
        seen.extend(rest.iter().map(|m| m.qualified_id()));
        assert_eq!(
            seen.len(),
            total,
            "stop {stop}: a call came twice or went missing"
        );
        assert_eq!(
            seen.into_iter().collect::<BTreeSet<_>>(),
            expected,
            "stop {stop}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unsupported_filters_refuse_or_leave_out_and_failures_name_the_provider() {
    let accounts = start_accounts().await;
    let registry = registry_of(&accounts, BTreeMap::new());
    // Voicebot Studio cannot filter by tag; HappyRobot and Rounded can (see capabilities).
    let tagged = CallQuery {
        tags: vec!["vip".into()],
        ..query()
    };
    let studio = registry.connect("studio").unwrap();
    assert!(
        !studio.capabilities().filter_tags,
        "the test needs a provider without tag filters"
    );
    let err = registry
        .calls(&Selection::All, tagged.clone(), MergeOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    let walk = registry
        .calls(
            &Selection::All,
            tagged,
            MergeOptions::default().skip_unsupported(true),
        )
        .unwrap();
    let left_out: Vec<&str> = walk
        .left_out()
        .iter()
        .map(|e| e.provider_name.as_str())
        .collect();
    assert_eq!(
        left_out,
        ["studio", "support"],
        "only HappyRobot filters by tag"
    );
    // What such a walk would keep, asked without starting one (nothing is fetched).
    let tagged = CallQuery {
        tags: vec!["vip".into()],
        ..query()
    };
    let walkable = registry.walkable(&Selection::All, &tagged).unwrap();
    let kept: Vec<String> = (registry.names())
        .filter(|name| !left_out.contains(name))
        .map(str::to_owned)
        .collect();
    assert_eq!(walkable, kept);
    let pair = Selection::parse("studio,support");
    assert!(registry.walkable(&pair, &tagged).unwrap().is_empty());
    assert_eq!(
        registry.walkable(&pair, &query()).unwrap(),
        ["studio", "support"]
    );
    let all_and_one = Selection::parse("studio,all");
    assert!(registry.walkable(&all_and_one, &query()).is_err());

    // Newest first spelled out: Voicebot Studio and Rounded, which cannot sort, list so
    // anyway (their declared order) and stay in; HappyRobot is asked to.
    let newest_first = CallQuery {
        sort: Some(SortOrder::Descending),
        ..query()
    };
    let options = MergeOptions::default().skip_unsupported(true);
    let mut walk = (registry.calls(&Selection::All, newest_first, options)).unwrap();
    assert!(walk.left_out().is_empty(), "{:?}", walk.left_out());
    let (mut from_studio, mut from_support) = (0, 0);
    while let Some(merged) = walk.try_next().await.unwrap() {
        from_studio += usize::from(merged.provider_name == "studio");
        from_support += usize::from(merged.provider_name == "support");
        // As an application logs it: the provider's name beside the call.
        let logged = serde_json::to_value(&merged).unwrap();
        assert_eq!(logged["provider_name"], merged.provider_name.as_str());
        assert_eq!(logged["id"], merged.call.id.as_str());
    }
    assert_eq!(from_studio, 17);
    assert!(from_support > 0);

    // A walk begun with one query and resumed with another (a filter added, which would
    // also leave Voicebot Studio out) is refused, not continued on other calls.
    let pair = Selection::parse("studio,support");
    let mut walk = (registry.calls(&pair, query(), MergeOptions::default())).unwrap();
    while walk.try_next().await.unwrap().unwrap().provider_name != "support" {}
    let cursor = walk.cursor();
    let options = MergeOptions::default().skip_unsupported(true);
    let tagged = CallQuery {
        tags: vec!["vip".into()],
        ..query()
    };
    let refused = (registry.calls(&pair, tagged, options.resume_from(cursor.clone()))).unwrap_err();
    assert!(
        matches!(&refused, Error::InvalidArgument { argument, message, .. } if argument == "cursor" && message.contains("other filters")),
        "{refused}"
    );
    assert!(
        registry
            .calls(&pair, query(), MergeOptions::default().resume_from(cursor))
            .is_ok()
    );

    // A provider failing mid-walk ends the stream with its name, or is reported at the end.
    accounts.second.faults().inject(
        Fault::new(FaultKind::Status(500))
            .vendor(ProviderKind::HappyRobot)
            .method("GET")
            .skip(1)
            .times(u32::MAX),
    );
    let failed = registry
        .calls(&Selection::All, query(), MergeOptions::default())
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(failed.provider_name, "hr2");
    assert!(failed.to_string().contains("hr2"), "{failed}");
    // `?` in a function returning `voiceport::Result` keeps the vendor's error.
    async fn count_all(registry: &Registry) -> voiceport::Result<usize> {
        let mut walk = registry.calls(&Selection::All, query(), MergeOptions::default())?;
        let mut count = 0;
        while walk.try_next().await?.is_some() {
            count += 1;
        }
        Ok(count)
    }
    let error = count_all(&registry).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Server {
                provider: ProviderKind::HappyRobot,
                status: 500,
                ..
            }
        ),
        "{error}"
    );
    accounts.second.faults().clear();
    accounts.second.faults().inject(
        Fault::new(FaultKind::Status(500))
            .vendor(ProviderKind::HappyRobot)
            .method("GET")
            .skip(1)
            .times(u32::MAX),
    );
    let mut walk = registry
        .calls(
            &Selection::All,
            query(),
            MergeOptions::default().keep_going(true),
        )
        .unwrap();
    let mut count = 0;
    while walk.try_next().await.unwrap().is_some() {
        count += 1;
    }
    assert_eq!(walk.failures().len(), 1);
    assert_eq!(walk.failures()[0].provider_name, "hr2");
    assert_eq!(
        count,
        23 + 17 + 19 + PAGE as usize,
        "the others in full, hr2's first page"
    );
    // The cursor resumes the failed provider at the page that failed, once it answers.
    let cursor = walk.cursor();
    assert!(!cursor.is_done(), "{cursor}");
    accounts.second.faults().clear();
    let rest = walk_all(&registry, &Selection::All, query(), Some(cursor)).await;
    assert_eq!(
        rest.len(),
        11 - PAGE as usize,
        "hr2's calls after its first page"
    );
    assert!(rest.iter().all(|m| m.provider_name == "hr2"));
}

fn route(
    policy: RoutePolicy,
    providers: &[&str],
    weights: Vec<u32>,
) -> BTreeMap<String, RouteConfig> {
    BTreeMap::from([(
        "out".to_owned(),
        RouteConfig::new(
            providers.iter().map(|p| p.to_string()).collect(),
            policy,
            weights,
        ),
    )])
}

/// A number the sandbox answers with a conversation.
const TO: &str = "+14155550188";

#[tokio::test(flavor = "multi_thread")]
async fn failover_moves_on_only_when_no_call_was_placed() {
    // Faults that prove nothing was placed: the next provider dials.
    let refusals = [
        ("401", FaultKind::Status(401)),
        ("400", FaultKind::Status(400)),
        ("422", FaultKind::Status(422)),
        (
            "429",
            FaultKind::RateLimited {
                retry_after: Duration::from_secs(0),
            },
        ),
    ];
    for (name, fault) in refusals {
        let accounts = start_accounts().await;
        let registry = registry_of(
            &accounts,
            route(RoutePolicy::Failover, &["hr", "studio"], vec![]),
        );
        accounts.main.faults().inject(
            Fault::new(fault)
                .vendor(ProviderKind::HappyRobot)
                .method("POST"),
        );
        let dialed = registry
            .dial("out", &DialRequest::to(TO))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(dialed.provider_name, "studio", "{name}");
        assert_eq!(dialed.refused.len(), 1, "{name}");
        assert_eq!(
            accounts.main.dialed_count(ProviderKind::HappyRobot),
            0,
            "{name}"
        );
        assert_eq!(
            accounts.main.dialed_count(ProviderKind::Voicebot),
            1,
            "{name}"
        );
        let call = registry.get_call(&dialed.qualified_id()).await.unwrap();
        assert_eq!(call.id, dialed.outcome.call_id, "{name}");
        // A misspelt provider is refused, not asked of the default provider's account.
        let misspelt = format!("studoi:{}", dialed.outcome.call_id);
        let err = registry.get_call(&misspelt).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { argument, message, .. } if argument == "id" && message.contains("`studoi`")),
            "{err}"
        );
    }
    // A request every provider refuses alike (a schedule in the past, no number) ends
    // the route before any dial, naming no provider, instead of refusing it at each.
    let accounts = start_accounts().await;
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::Failover, &["hr", "studio"], vec![]),
    );
    let past = chrono::Utc::now() - chrono::TimeDelta::days(365);
    for request in [
        DialRequest::to(TO).with_scheduled_for(past),
        DialRequest::to(" "),
    ] {
        let err = registry.dial("out", &request).await.unwrap_err();
        assert!(matches!(err.error, Error::InvalidRequest { .. }), "{err}");
        assert_eq!(err.provider_name, None, "{err}");
        assert!(err.refused.is_empty(), "{err}");
        assert!(!err.call_may_exist(), "{err}");
    }
    assert_eq!(accounts.main.dialed_count(ProviderKind::HappyRobot), 0);
    assert_eq!(accounts.main.dialed_count(ProviderKind::Voicebot), 0);
    // Faults after the dial may have arrived: stop, say where the call may exist.
    let maybe_placed = [
        ("500 after the handler", FaultKind::Status(500), true),
        (
            "dropped connection after the handler",
            FaultKind::DropConnection,
            true,
        ),
        (
            "slow answer",
            FaultKind::Delay(Duration::from_secs(5)),
            false,
        ),
    ];
    for (name, fault, after) in maybe_placed {
        let accounts = start_accounts().await;
        let mut file = registry_of(
            &accounts,
            route(RoutePolicy::Failover, &["hr", "studio"], vec![]),
        )
        .file()
        .clone();
        // The slow answer (5 s) comes after the dial's time is up.
        file.providers.get_mut("hr").expect("hr").timeout_secs = Some(2.0);
        let registry = Registry::from_file(file).unwrap();
        let mut injected = Fault::new(fault)
            .vendor(ProviderKind::HappyRobot)
            .method("POST");
        if after {
            injected = injected.after_handler();
        }
        accounts.main.faults().inject(injected);
        let err = registry
            .dial("out", &DialRequest::to(TO))
            .await
            .unwrap_err();
        assert!(err.call_may_exist(), "{name}: {err}");
        assert_eq!(err.provider_name.as_deref(), Some("hr"), "{name}");
        assert!(
            err.to_string().contains("`hr` may have placed a call"),
            "{name}: {err}"
        );
        // Placed exactly once where the fault came after the handler; a slow answer may
        // be cut before the emulator counts the dial, never counted twice.
        let placed = accounts.main.dialed_count(ProviderKind::HappyRobot);
        match after {
            true => assert_eq!(placed, 1, "{name}: placed {placed} times"),
            false => assert!(placed <= 1, "{name}: sent twice"),
        }
        assert_eq!(
            accounts.main.dialed_count(ProviderKind::Voicebot),
            0,
            "{name}: failed over"
        );
    }
    // A success answer that cannot be read: the call was placed, and the route says so.
    let accounts = start_accounts().await;
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::Failover, &["hr", "studio"], vec![]),
    );
    accounts.main.faults().inject(
        Fault::new(FaultKind::Malformed)
            .vendor(ProviderKind::HappyRobot)
            .method("POST")
            .after_handler(),
    );
    let err = registry
        .dial("out", &DialRequest::to(TO))
        .await
        .unwrap_err();
    assert!(err.call_may_exist(), "{err}");
    assert!(
        err.to_string()
            .contains("the dial through `hr` placed a call, but its answer could not be read"),
        "{err}"
    );
    assert_eq!(accounts.main.dialed_count(ProviderKind::HappyRobot), 1);
    assert_eq!(accounts.main.dialed_count(ProviderKind::Voicebot), 0);
    // A provider that cannot be reached at all (connection refused) placed nothing.
    let accounts = start_accounts().await;
    let mut registry_file = registry_of(
        &accounts,
        route(RoutePolicy::Failover, &["hr", "studio"], vec![]),
    )
    .file()
    .clone();
    // Bound and not listening: refuses every connection, and no other server takes it.
    let closed = tokio::net::TcpSocket::new_v4().unwrap();
    closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let dead = format!("http://{}/api/v1", closed.local_addr().unwrap());
    registry_file.providers.get_mut("hr").expect("hr").base_url = Some(dead);
    let registry = Registry::from_file(registry_file).unwrap();
    let dialed = registry.dial("out", &DialRequest::to(TO)).await.unwrap();
    assert_eq!(dialed.provider_name, "studio");
    // The call it placed is waited for by its qualified id.
    let (poll, limit) = (Duration::from_millis(50), Duration::from_secs(30));
    let ended = registry
        .wait_until_ended(
            &dialed.qualified_id(),
            Wait::at_most(limit).polling_every(poll),
        )
        .await
        .unwrap();
    assert_eq!(ended.id, dialed.outcome.call_id);
    assert!(ended.status.is_terminal(), "{:?}", ended.status);
    // Everything refused: the error lists each refusal and says no call was placed.
    let accounts = start_accounts().await;
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::Failover, &["hr", "studio"], vec![]),
    );
    for kind in [ProviderKind::HappyRobot, ProviderKind::Voicebot] {
        accounts.main.faults().inject(
            Fault::new(FaultKind::Status(401))
                .vendor(kind)
                .method("POST"),
        );
    }
    let err = registry
        .dial("out", &DialRequest::to(TO))
        .await
        .unwrap_err();
    assert!(!err.call_may_exist(), "{err}");
    assert!(
        err.to_string().contains("no provider placed the call"),
        "{err}"
    );
}

/// A failover route whose first provider cannot be set up (a misspelt option, an unset key
/// variable: checked only when it is connected) ends with that configuration error, naming
/// it: failing over would place every dial through the next provider and hide the mistake.
/// So does one whose options lack what its dial needs (the number to call from), which a
/// route's request may not carry: its refusal names the setting.
#[tokio::test(flavor = "multi_thread")]
async fn a_misconfigured_provider_ends_a_failover_route_instead_of_failing_over() {
    type Misconfigure = fn(&mut ProviderConfig);
    type Expected<'a> = &'a dyn Fn(&Error) -> bool;
    let configuration = |error: &Error| matches!(error, Error::Config { field, .. } if field.starts_with("providers.hr."));
    let lacking_the_number = |error: &Error| {
        matches!(error, Error::InvalidRequest { status: None, details, .. }
            if details.iter().any(|d| d.field == "phone_number_id"))
    };
    let misconfigurations: [(&str, Misconfigure, Expected); 3] = [
        (
            "a misspelt option",
            |hr| {
                hr.options
                    .insert("numbr_id".into(), "6650cc00cc00cc00cc00cc01".into());
            },
            &configuration,
        ),
        (
            "an unset key variable",
            |hr| {
                hr.api_key = None;
                hr.api_key_env = Some("VOICEPORT_TEST_FAILOVER_KEY_UNSET".into());
            },
            &configuration,
        ),
        (
            "no number to call from",
            |hr| {
                assert!(hr.options.remove("number_id").is_some());
            },
            &lacking_the_number,
        ),
    ];
    for (name, misconfigure, expected) in misconfigurations {
        let accounts = start_accounts().await;
        let routes = route(RoutePolicy::Failover, &["hr", "studio"], vec![]);
        let mut file = registry_of(&accounts, routes).file().clone();
        misconfigure(file.providers.get_mut("hr").expect("hr"));
        let registry = Registry::from_file(file).unwrap();
        let err = registry
            .dial("out", &DialRequest::to(TO))
            .await
            .unwrap_err();
        assert_eq!(err.provider_name.as_deref(), Some("hr"), "{name}: {err}");
        assert!(expected(&err.error), "{name}: {:?}", err.error);
        assert!(err.refused.is_empty(), "{name}: {err}");
        assert!(!err.call_may_exist(), "{name}: {err}");
        let dialed = |kind| accounts.main.dialed_count(kind);
        assert_eq!(dialed(ProviderKind::Voicebot), 0, "{name}: failed over");
        assert_eq!(dialed(ProviderKind::HappyRobot), 0, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn first_and_weighted_routes_dial_once_where_they_say() {
    let accounts = start_accounts().await;
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::First, &["support", "hr"], vec![]),
    );
    accounts.main.faults().inject(
        Fault::new(FaultKind::Status(401))
            .vendor(ProviderKind::Rounded)
            .method("POST"),
    );
    let err = registry
        .dial("out", &DialRequest::to(TO))
        .await
        .unwrap_err();
    assert_eq!(
        err.provider_name.as_deref(),
        Some("support"),
        "`first` never fails over"
    );
    assert_eq!(accounts.main.dialed_count(ProviderKind::HappyRobot), 0);

    let registry = registry_of(
        &accounts,
        route(RoutePolicy::Weighted, &["hr", "studio"], vec![50, 50]),
    );
    let mut by_provider = BTreeMap::new();
    for n in 0..20 {
        let to = format!("+1415555{:04}", 7000 + n);
        let first = registry
            .dial("out", &DialRequest::to(to.clone()))
            .await
            .unwrap();
        let again = registry.dial("out", &DialRequest::to(to)).await.unwrap();
        assert_eq!(
            first.provider_name, again.provider_name,
            "the same number, the same provider"
        );
        *by_provider.entry(first.provider_name).or_insert(0) += 1;
    }
    assert_eq!(by_provider.len(), 2, "{by_provider:?}");
    // Forty dials, forty calls: none was sent twice.
    let dialed = |kind| accounts.main.dialed_count(kind);
    assert_eq!(
        dialed(ProviderKind::HappyRobot) + dialed(ProviderKind::Voicebot),
        40
    );
    // Keyed by customer: each customer's calls go one way whatever the number, and the
    // customers are split between the two.
    let mut by_customer = BTreeMap::new();
    for n in 0..20 {
        let customer = format!("customer-{}", n % 10);
        let to = format!("+1415555{:04}", 7200 + n);
        let placed = registry
            .dial_with_key("out", &DialRequest::to(to), &customer)
            .await
            .unwrap();
        let first = by_customer
            .entry(customer)
            .or_insert(placed.provider_name.clone());
        assert_eq!(
            *first, placed.provider_name,
            "the same key, the same provider"
        );
    }
    let ways: BTreeSet<_> = by_customer.values().collect();
    assert_eq!(ways.len(), 2, "{by_customer:?}");
    let err = registry
        .dial("nowhere", &DialRequest::to(TO))
        .await
        .unwrap_err();
    // The routes there are, as an unknown provider's error lists the providers.
    assert!(
        err.to_string().contains(
            r#"invalid route: no route named "nowhere" in [routes]: the configured ones are "out""#
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("is a provider"), "{err}");
    // A provider's name where a route's goes: the way to dial it is said.
    let err = registry.dial("hr", &DialRequest::to(TO)).await.unwrap_err();
    assert!(
        err.to_string().contains(
            r#""hr" is a provider, not a route: dial it directly (`-p hr` on the command line)"#
        ),
        "{err}"
    );
}

/// A weighted route picks among the providers that can take the dial: Rounded schedules
/// nothing, so a scheduled dial always goes to Voicebot Studio, while the same numbers
/// dialed now are split between the two. A number however written goes one way.
#[tokio::test(flavor = "multi_thread")]
async fn a_weighted_route_sends_a_scheduled_dial_only_where_it_can_be_scheduled() {
    let accounts = start_accounts().await;
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::Weighted, &["support", "studio"], vec![50, 50]),
    );
    let numbers: Vec<String> = (0..12)
        .map(|n| format!("+1415555{:04}", 7100 + n))
        .collect();
    let mut now = BTreeSet::new();
    for to in &numbers {
        let placed = registry
            .dial("out", &DialRequest::to(to.clone()))
            .await
            .unwrap();
        now.insert(placed.provider_name);
    }
    assert_eq!(now.len(), 2, "dialed now, the numbers split: {now:?}");
    let rounded_dials = accounts.main.dialed_count(ProviderKind::Rounded);
    for to in &numbers {
        let mut request = DialRequest::to(to.clone());
        request.scheduled_for = Some(chrono::Utc::now() + chrono::TimeDelta::hours(1));
        let placed = registry.dial("out", &request).await.unwrap();
        assert_eq!(placed.provider_name, "studio", "{to}");
        assert!(placed.refused.is_empty(), "{to}: {:?}", placed.refused);
    }
    assert_eq!(
        accounts.main.dialed_count(ProviderKind::Rounded),
        rounded_dials
    );
    let way = async |to: &str| {
        let placed = registry.dial("out", &DialRequest::to(to)).await.unwrap();
        placed.provider_name
    };
    for (n, number) in numbers.iter().enumerate().take(6) {
        let typed = format!("+1 (415) 555-{:04}", 7100 + n);
        assert_eq!(way(&typed).await, way(number).await, "{typed}");
    }
}

/// A failover route whose provider refuses a value of the request before sending it
/// (HappyRobot takes a maximum duration in whole minutes) ends with that refusal, naming
/// the provider, nothing dialed: the next provider would take every such dial.
#[tokio::test(flavor = "multi_thread")]
async fn a_failover_route_ends_on_a_value_its_provider_refuses_before_sending() {
    let accounts = start_accounts().await;
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::Failover, &["hr", "studio"], vec![]),
    );
    let request = DialRequest::to(TO).with_max_duration_secs(90);
    let err = registry.dial("out", &request).await.unwrap_err();
    assert!(
        matches!(&err.error, Error::InvalidRequest { status: None, .. }),
        "{err}"
    );
    assert_eq!(err.provider_name.as_deref(), Some("hr"), "{err}");
    assert!(!err.call_may_exist(), "{err}");
    for kind in [ProviderKind::HappyRobot, ProviderKind::Voicebot] {
        assert_eq!(accounts.main.dialed_count(kind), 0, "{kind}");
    }
}

/// A failover route whose provider takes no value for a field the request sets (Rounded,
/// dial `metadata`) ends with that refusal, nothing dialed: failing over would send every
/// such dial to the next provider, the first never dialed. A scheduled dial leaves out a
/// provider that cannot schedule, as a weighted route does, so that the route ends with
/// the refusal of the one that can (here a rate limit), not with "unsupported".
#[tokio::test(flavor = "multi_thread")]
async fn a_failover_route_ends_on_a_field_its_provider_cannot_take() {
    let accounts = start_accounts().await;
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::Failover, &["support", "studio"], vec![]),
    );
    let mut request = DialRequest::to(TO);
    request
        .metadata
        .insert("order_id".into(), serde_json::json!("ord-20931"));
    let err = registry.dial("out", &request).await.unwrap_err();
    assert!(
        matches!(
            &err.error,
            Error::Unsupported {
                provider: ProviderKind::Rounded,
                operation: voiceport::Operation::DialOption("metadata"),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.provider_name.as_deref(), Some("support"), "{err}");
    assert!(!err.call_may_exist(), "{err}");
    let dialed = |kind| accounts.main.dialed_count(kind);
    assert_eq!(
        dialed(ProviderKind::Rounded) + dialed(ProviderKind::Voicebot),
        0
    );

    accounts.main.faults().inject(
        Fault::new(FaultKind::RateLimited {
            retry_after: Duration::from_secs(30),
        })
        .vendor(ProviderKind::Voicebot)
        .method("POST"),
    );
    let mut scheduled = DialRequest::to(TO);
    scheduled.scheduled_for = Some(chrono::Utc::now() + chrono::TimeDelta::hours(1));
    let err = registry.dial("out", &scheduled).await.unwrap_err();
    assert!(matches!(&err.error, Error::RateLimited { .. }), "{err}");
    assert_eq!(err.provider_name.as_deref(), Some("studio"), "{err}");
    assert!(err.refused.is_empty(), "{:?}", err.refused);
    // Once the limit passes, the scheduled dial goes to the one that schedules.
    accounts.main.faults().clear();
    let placed = registry.dial("out", &scheduled).await.unwrap();
    assert_eq!(placed.provider_name, "studio");
    assert!(placed.refused.is_empty(), "{:?}", placed.refused);
    assert_eq!(dialed(ProviderKind::Rounded), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_route_of_several_providers_refuses_one_accounts_ids_before_dialing() {
    let accounts = start_accounts().await;
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::Failover, &["studio", "hr"], vec![]),
    );
    // A Vapi-family assistant id would reach HappyRobot on failover, as an id of nothing.
    let mut request = DialRequest::to(TO);
    request.agent_id = Some("83e6398d-2080-44a1-8c0e-12bedcc33d1e".into());
    request.from_number = Some("+14155550100".to_owned());
    let err = registry.dial("out", &request).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err.error, Error::InvalidArgument { argument, .. } if argument == "request"),
        "{text}"
    );
    assert!(text.contains("route `out`"), "{text}");
    assert!(text.contains("agent_id, from_number"), "{text}");
    assert!(text.contains("[providers.NAME.options]"), "{text}");
    assert!(!err.call_may_exist(), "{text}");
    let dialed = |kind| accounts.main.dialed_count(kind);
    assert_eq!(
        dialed(ProviderKind::Voicebot) + dialed(ProviderKind::HappyRobot),
        0
    );

    // A weighted route that gives all its weight to one provider reaches that one only.
    let only_hr = route(RoutePolicy::Weighted, &["hr", "studio"], vec![1, 0]);
    let registry = registry_of(&accounts, only_hr);
    let mut request = DialRequest::to(TO);
    request.phone_number_id = Some("6650cc00cc00cc00cc00cc01".to_owned());
    let dialed_before = dialed(ProviderKind::HappyRobot);
    let placed = registry.dial("out", &request).await;
    assert_eq!(placed.map(|d| d.provider_name).ok().as_deref(), Some("hr"));
    assert_eq!(dialed(ProviderKind::HappyRobot), dialed_before + 1);

    // A `first` route (the default policy) dials its first provider only: its ids are its own.
    let registry = registry_of(
        &accounts,
        route(RoutePolicy::First, &["hr", "studio"], vec![]),
    );
    let mut request = DialRequest::to(TO);
    request.phone_number_id = Some("6650cc00cc00cc00cc00cc01".to_owned());
    let dialed_before = dialed(ProviderKind::HappyRobot);
    let dialed_through = registry.dial("out", &request).await.unwrap();
    assert_eq!(dialed_through.provider_name, "hr");
    assert_eq!(dialed(ProviderKind::HappyRobot), dialed_before + 1);
}

/// A vendor of one call a page whose cursors go round: A, then B, then A again.
async fn round_vendor() -> (wiremock::MockServer, Registry) {
    looping_vendor(&[
        (None, "A", &["c339f184-2c0c-4d58-a928-bccda6079bf4"]),
        (Some("A"), "B", &["5cc2aaac-3c19-46af-a20d-d9299758ee3a"]),
        (Some("B"), "A", &["0f3e1b2a-7c44-4d1e-9a55-2b8f6c3d9e10"]),
    ])
    .await
}

/// A vendor whose page cursors go round (A → B → A) ends its part of a merged walk with an
/// error after its pages were yielded once (the last one too); it is not paged forever,
/// and a walk resumed afterwards does not go round again.
#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_whose_cursors_go_round_ends_the_walk_with_an_error() {
    let (server, registry) = round_vendor().await;
    let mut walk = walk_from(&registry, None);
    let (ids, failure) = walk_to_failure(&mut walk).await;
    let yielded = ids.len();
    assert_eq!(failure.provider_name, "looping");
    let text = failure.to_string();
    assert!(text.contains("already given in this walk"), "{text}");
    assert_eq!(
        yielded, 3,
        "every page fetched, the one that names A again too"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    // Resumed from where it stopped, the walk does not go round again.
    resumes_with_nothing_left(&registry, walk.cursor()).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

/// A vendor that answers the same page whatever cursor it is given, handing back a new
/// cursor each time, ends its part of a merged walk on the third such page, which is not
/// yielded; a walk resumed afterwards finds the vendor done (resumed at that page, it
/// would yield the same call again, twice, and fail on the next page once more).
#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_answering_one_page_under_new_cursors_ends_the_walk_with_an_error() {
    let id: &[&str] = &["c339f184-2c0c-4d58-a928-bccda6079bf4"];
    let (server, registry) = looping_vendor(&[
        (None, "A", id),
        (Some("A"), "B", id),
        (Some("B"), "C", id),
        (Some("C"), "D", id),
    ])
    .await;
    let mut walk = walk_from(&registry, None);
    let (ids, failure) = walk_to_failure(&mut walk).await;
    // The call once: the second page's copy of it is dropped.
    assert_eq!(ids.len(), 1);
    assert_eq!(failure.provider_name, "looping");
    assert!(failure.error.is_cursor_cycle(), "{failure}");
    let text = failure.to_string();
    assert!(text.contains("the same call on 3 pages"), "{text}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert!(walk.cursor().is_done(), "{}", walk.cursor());
    resumes_with_nothing_left(&registry, walk.cursor()).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

/// Stopped in the middle of the last page of a vendor whose cursors go round, a walk
/// resumes with the rest of that page, then reports the cycle: the cursor that came round
/// is not followed (it would fetch and yield an earlier page again). Resumed after that,
/// the walk finds the vendor done.
#[tokio::test(flavor = "multi_thread")]
async fn a_walk_stopped_on_the_page_before_a_cycle_resumes_with_its_rest_then_the_cycle() {
    let last = [
        "0f3e1b2a-7c44-4d1e-9a55-2b8f6c3d9e10",
        "7d2a4b6c-1e3f-4a5b-8c9d-0e1f2a3b4c5d",
    ];
    let (server, registry) = looping_vendor(&[
        (None, "A", &["c339f184-2c0c-4d58-a928-bccda6079bf4"]),
        (Some("A"), "B", &["5cc2aaac-3c19-46af-a20d-d9299758ee3a"]),
        (Some("B"), "A", &last),
    ])
    .await;
    let mut walk = walk_from(&registry, None);
    // Stopped after the first call of the last page.
    for _ in 0..3 {
        walk.try_next().await.unwrap().expect("a call");
    }
    let fetched = server.received_requests().await.unwrap().len();
    let cursor = walk.cursor();
    drop(walk);
    let mut resumed = walk_from(&registry, Some(cursor));
    let (ids, failure) = walk_to_failure(&mut resumed).await;
    assert_eq!(ids, [last[1]]);
    assert!(failure.error.is_cursor_cycle(), "{failure}");
    // The last page again, for the rest of its calls, and nothing else.
    assert_eq!(server.received_requests().await.unwrap().len(), fetched + 1);
    // Resumed after the error, the vendor is done.
    resumes_with_nothing_left(&registry, resumed.cursor()).await;
    assert_eq!(server.received_requests().await.unwrap().len(), fetched + 1);
}

/// A cursor taken right after the last call of a vendor whose cursors go round, before
/// the walk reports the cycle, is not done: a walk resumed from it reads that last page
/// again and reports the cycle, where it used to end without a word (the CLI printed no
/// cursor and no error).
#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_taken_before_a_cycle_is_reported_resumes_to_the_cycle() {
    let (server, registry) = round_vendor().await;
    let mut walk = walk_from(&registry, None);
    for _ in 0..3 {
        walk.try_next().await.unwrap().expect("a call");
    }
    let cursor = walk.cursor();
    assert!(!cursor.is_done(), "{cursor}");
    let fetched = server.received_requests().await.unwrap().len();
    let mut resumed = walk_from(&registry, Some(cursor));
    let (ids, failure) = walk_to_failure(&mut resumed).await;
    assert!(ids.is_empty(), "{ids:?}");
    assert!(failure.error.is_cursor_cycle(), "{failure}");
    // The last page once more, and nothing else.
    assert_eq!(server.received_requests().await.unwrap().len(), fetched + 1);
    // The first walk reports it too, and a cursor taken after that is done.
    let failure = walk.try_next().await.unwrap_err();
    assert!(failure.error.is_cursor_cycle(), "{failure}");
    assert!(walk.cursor().is_done());
}

/// A merged walk over every provider, from the start or from `cursor`.
fn walk_from(registry: &Registry, cursor: Option<MergedCursor>) -> MergedCalls {
    registry
        .calls(
            &Selection::All,
            CallQuery::default(),
            MergeOptions::default().resume_from(cursor),
        )
        .unwrap()
}

/// The ids `walk` yields until it fails, and the failure (it must fail within 30 s).
async fn walk_to_failure(walk: &mut MergedCalls) -> (Vec<String>, ProviderError) {
    let mut ids = Vec::new();
    let failure = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match walk.try_next().await {
                Ok(Some(call)) => ids.push(call.call.id.as_str().to_owned()),
                Ok(None) => panic!("the walk ended without failing"),
                Err(failure) => break failure,
            }
        }
    })
    .await
    .expect("the walk ends");
    (ids, failure)
}

/// A walk resumed at `cursor` yields nothing.
async fn resumes_with_nothing_left(registry: &Registry, cursor: MergedCursor) {
    let rest: Vec<MergedCall> = walk_from(registry, Some(cursor))
        .try_collect()
        .await
        .unwrap();
    assert!(rest.is_empty(), "{rest:?}");
}

/// A registry of one provider, `name` of `kind`, at `base_url` (a wiremock server), tried
/// once per request.
fn one_provider_at(name: &str, kind: &str, base_url: &str) -> Registry {
    Registry::from_toml_str(&format!(
        "[providers.{name}]\nkind = \"{kind}\"\napi_key = \"test-key\"\nbase_url = \"{base_url}\"\n\
         [providers.{name}.retry]\nmax_attempts = 1\n"
    ))
    .unwrap()
}

/// A Rounded account on a wiremock server whose pages are `pages`: each the cursor that
/// asks for it (`None`: the first page), the cursor it names as the next, its call ids.
async fn looping_vendor(
    pages: &[(Option<&str>, &str, &[&str])],
) -> (wiremock::MockServer, Registry) {
    use wiremock::matchers::{method, query_param, query_param_is_missing};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    for (cursor, next, ids) in pages {
        let calls: Vec<_> = (ids.iter())
            .map(|id| {
                serde_json::json!({
                    "id": id, "type": "phone_call", "status": "completed",
                    "start_time": "2026-03-23T17:58:40Z", "end_time": "2026-03-23T17:59:24Z",
                    "from_number": "+16175550142", "to_number": "+16175550120",
                })
            })
            .collect();
        let page = serde_json::json!({"message": "Calls retrieved successfully",
            "data": calls, "error": null, "status": 200, "next_cursor": next});
        let mock = Mock::given(method("GET"));
        let mock = match cursor {
            None => mock.and(query_param_is_missing("cursor")),
            Some(cursor) => mock.and(query_param("cursor", *cursor)),
        };
        (mock.respond_with(ResponseTemplate::new(200).set_body_json(page)))
            .mount(&server)
            .await;
    }
    let registry = one_provider_at("looping", "rounded", &server.uri());
    (server, registry)
}

/// A merged walk without a sort is newest first, and asks that of every provider that can
/// sort, rather than taking a vendor's default order on trust (HappyRobot documents a
/// `sort` parameter, not the order it lists in without one).
#[tokio::test]
async fn a_merged_walk_without_a_sort_asks_for_newest_first() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/happyrobot/list_page.json"
    ))
    .unwrap();
    // The account holds the page's five calls only (the fixture's `count` is the whole
    // account's).
    let mut page: serde_json::Value = serde_json::from_str(&page).unwrap();
    page["count"] = 5.into();
    // Only a request that asks for newest first is answered.
    Mock::given(method("GET"))
        .and(path("/calls"))
        .and(query_param("sort", "desc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .expect(1..)
        .mount(&server)
        .await;
    let registry = one_provider_at("hr", "happyrobot", &server.uri());
    let walk = registry.calls(
        &Selection::All,
        CallQuery::default(),
        MergeOptions::default(),
    );
    let calls: Vec<MergedCall> = walk.unwrap().try_collect().await.unwrap();
    assert_eq!(calls.len(), 5);
}

/// A merged walk started outside a Tokio runtime is a configuration error, not a panic.
#[test]
fn a_merged_walk_outside_a_runtime_is_refused() {
    let registry = voiceport::Registry::from_toml_str(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\n\
         [providers.b]\nkind = \"voicebot\"\napi_key = \"k\"\n",
    )
    .unwrap();
    let started = registry.calls(
        &voiceport::Selection::All,
        voiceport::CallQuery::default(),
        voiceport::MergeOptions::default(),
    );
    let Err(error) = started else {
        panic!("a walk started without a runtime")
    };
    assert!(
        matches!(&error, voiceport::Error::InvalidArgument { argument, .. } if argument == "runtime"),
        "{error:?}"
    );
    assert!(error.to_string().contains("Tokio runtime"), "{error}");
}

/// Once interrupted (Ctrl-C), a failover route waits for the dial in flight and places
/// no other: the first provider's refusal, arriving after the interrupt, does not move
/// the dial on to the next one.
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_route_places_no_further_dial() {
    use voiceport::{Interrupt, RequestOutcome};
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    // The first provider refuses (429), slowly.
    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(serde_json::json!({"message": "Too many requests"}))
                // Long enough that a loaded machine still interrupts before the answer.
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&slow)
        .await;
    let rounded = |name: &str, server: &MockServer| {
        let mut config = ProviderConfig::new(ProviderKind::Rounded)
            .with_api_key("k")
            .with_base_url(server.uri())
            .at_path(format!("providers.{name}."));
        config.retry.max_attempts = Some(1);
        config
    };
    let first = rounded("first", &slow)
        .with_option("from_number", "+16175550142")
        .with_option("agent_id", "3407d20e-0e63-4a9f-9837-dd4df2fa2aee");
    // The next one would refuse the dial itself (no number to call from), before any
    // request: only the route's own check can say it was interrupted.
    let next = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&next)
        .await;
    let providers = BTreeMap::from([
        ("first".to_owned(), first),
        ("next".to_owned(), rounded("next", &next)),
    ]);
    let registry = Registry::from_file(ProvidersFile::new(
        Some("first".into()),
        providers,
        route(RoutePolicy::Failover, &["first", "next"], vec![]),
    ))
    .unwrap();

    let interrupt = Interrupt::new();
    let request = DialRequest::to(TO);
    let dialing = interrupt.run(registry.dial("out", &request));
    tokio::pin!(dialing);
    // Thrown once the first dial has reached its provider (which answers 3 s later).
    let reached = async {
        while slow
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        () = reached => {}
        done = &mut dialing => panic!("answered before it was interrupted: {done:?}"),
    }
    interrupt.interrupt();
    let err = dialing.await.unwrap_err();
    // `next` was never dialed: the route names no provider (the CLI would say to look for
    // a call there), and says the refusal before the interrupt.
    assert_eq!(err.provider_name, None, "{err}");
    assert!(
        matches!(err.error, Error::Interrupted { .. }),
        "{:?}",
        err.error
    );
    assert_eq!(err.error.outcome(), RequestOutcome::NotApplied);
    assert_eq!(err.refused.len(), 1, "{err}");
    assert!(!err.call_may_exist(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("no provider placed the call; `first`: "),
        "{text}"
    );
    assert!(!text.contains("`next`"), "{text}");
    assert!(
        text.ends_with("; interrupted before the next provider was dialed"),
        "{text}"
    );

    // Interrupted before it starts: no provider dials, nor is named.
    let err = interrupt
        .run(registry.dial("out", &request))
        .await
        .unwrap_err();
    assert_eq!(err.provider_name, None, "{err}");
    assert!(
        matches!(err.error, Error::Interrupted { .. }),
        "{:?}",
        err.error
    );
    assert!(err.refused.is_empty(), "{err}");
    assert_eq!(
        err.to_string(),
        "route `out`: interrupted before any provider was dialed"
    );
}

/// A provider put in the place of a configured one (a test double, a wrapped provider) is
/// what `connect`, qualified ids and merged walks reach; a name the file does not
/// configure is refused.
#[tokio::test]
async fn a_replaced_provider_is_the_one_every_way_in_reaches() {
    let sandbox = Sandbox::builder()
        .seed(7)
        .calls(ProviderKind::Rounded, 6)
        .start()
        .await
        .unwrap();
    // Configured at an address where nothing listens: only the replacement answers.
    let registry = Registry::from_toml_str(
        "[providers.sales]\nkind = \"rounded\"\napi_key = \"rd-test\"\n\
         base_url = \"http://127.0.0.1:9\"\nallow_insecure_http = true\n",
    )
    .unwrap();
    let replacement = voiceport::connect(&sandbox.provider_config(ProviderKind::Rounded)).unwrap();
    registry
        .replace_provider("sales", replacement.clone())
        .unwrap();
    let connected = registry.connect("sales").unwrap();
    assert!(std::sync::Arc::ptr_eq(&connected, &replacement));
    let walked: Vec<MergedCall> = registry
        .calls(
            &Selection::All,
            CallQuery::default(),
            MergeOptions::default(),
        )
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(walked.len(), 6);
    let qualified = walked[0].qualified_id();
    let resolved = registry.resolve(&qualified).unwrap();
    assert_eq!(resolved.provider_name, "sales");
    assert!(std::sync::Arc::ptr_eq(&resolved.provider, &replacement));
    let got = registry.get_call(&qualified).await.unwrap();
    assert_eq!(got.id, resolved.call_id);
    let refused = (registry.replace_provider("ghost", replacement.clone())).unwrap_err();
    assert!(matches!(refused, Error::Config { .. }), "{refused:?}");
    // Another vendor in a Rounded account's place: refused.
    let vapi = voiceport::connect(&sandbox.provider_config(ProviderKind::Vapi)).unwrap();
    let refused = registry.replace_provider("sales", vapi).unwrap_err();
    assert!(
        refused.to_string().contains("providers.sales.kind"),
        "{refused}"
    );
}

/// A merged cursor keeps the vendor of each provider it holds a place in: resumed after
/// the configuration pointed that name at another vendor (whose page cursors and offsets
/// name other places), the walk is refused rather than skipping or repeating calls. The
/// same configuration resumes.
#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_is_refused_once_its_provider_is_of_another_vendor() {
    let accounts = start_accounts().await;
    let registry_with = |sales: ProviderKind| {
        let providers = BTreeMap::from([
            ("sales".to_owned(), config(&accounts.main, sales, "sales")),
            (
                "studio".to_owned(),
                config(&accounts.main, ProviderKind::Voicebot, "studio"),
            ),
        ]);
        Registry::from_file(ProvidersFile::new(None, providers, BTreeMap::new())).unwrap()
    };
    let registry = registry_with(ProviderKind::Rounded);
    let mut walk = registry
        .calls(&Selection::All, query(), MergeOptions::default())
        .unwrap();
    // Into both providers' first pages.
    let (mut seen, mut yielded) = (BTreeSet::new(), 0);
    while seen.len() < 2 {
        let call = walk.try_next().await.unwrap().expect("calls of both");
        seen.insert(call.provider_name);
        yielded += 1;
    }
    let cursor = walk.cursor();
    drop(walk);
    let moved = registry_with(ProviderKind::HappyRobot);
    // The refusal of a walk resumed from `cursor` after `sales` moved.
    let refused = |cursor: &voiceport::MergedCursor| {
        let resumed = moved.calls(
            &Selection::All,
            query(),
            MergeOptions::default().resume_from(cursor.clone()),
        );
        match resumed {
            Err(err) => err,
            Ok(_) => panic!("resumed in another vendor"),
        }
    };
    let err = refused(&cursor);
    let text = err.to_string();
    assert!(
        matches!(&err, Error::InvalidArgument { argument, .. } if argument == "cursor"),
        "{text}"
    );
    assert!(
        text.contains("`sales`")
            && text.contains("of rounded when the walk stopped and of happyrobot now"),
        "{text}"
    );
    let rest = walk_all(&registry, &Selection::All, query(), Some(cursor)).await;
    assert_eq!(rest.len(), 19 + 17 - yielded, "the rest of both, once");
    // A walk to its end keeps each provider's vendor too: the new vendor's calls were not
    // the ones walked.
    let mut walk = registry
        .calls(&Selection::All, query(), MergeOptions::default())
        .unwrap();
    while walk.try_next().await.unwrap().is_some() {}
    let finished = walk.cursor();
    assert!(finished.is_done());
    let err = refused(&finished);
    assert!(
        err.to_string().contains("of rounded when the walk stopped"),
        "{err}"
    );
    let again = walk_all(&registry, &Selection::All, query(), Some(finished)).await;
    assert!(again.is_empty(), "{again:?}");
}

/// Every configuration the docs show reads as a providers file (its keys, values and
/// tables are those the parser takes; a README block of webhook tables alone is read with
/// the providers it is about, which the block beside it describes), and each provider in
/// it connects and builds its webhook check. What a new user copies must not be refused.
#[test]
fn the_configurations_in_the_docs_are_read() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut pages = vec![format!("{root}/README.md")];
    let vendors = std::fs::read_dir(format!("{root}/docs/vendors")).unwrap();
    pages.extend(vendors.map(|entry| entry.unwrap().path().display().to_string()));
    let mut read = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for (n, block) in text.split("```toml\n").skip(1).enumerate() {
            let block = block.split("```").next().unwrap_or_default();
            if !block.contains("[providers.") {
                continue;
            }
            // The providers a block of webhook tables alone is about, with their kinds.
            let mut file = String::new();
            for (name, kind) in [
                ("studio", "voicebot"),
                ("sales", "happyrobot"),
                ("support", "rounded"),
            ] {
                let own = format!("[providers.{name}]");
                let webhook = format!("[providers.{name}.webhook]");
                if block.contains(&webhook) && !block.contains(&own) {
                    file += &format!("{own}\nkind = \"{kind}\"\napi_key = \"k\"\n");
                }
            }
            file += block;
            let parsed = ProvidersFile::from_toml_str(&file);
            let Ok(parsed) = parsed else {
                panic!("{page}, toml block {n}: {parsed:?}\n{block}");
            };
            // Each provider connects (its vendor options checked) and builds its webhook
            // check (the keys its scheme takes), with its secrets given in place of the
            // variables named.
            for (name, config) in parsed.providers {
                let mut config = config.with_api_key("k");
                if let Some(webhook) = config.webhook.as_mut()
                    && webhook.secret_env.take().is_some()
                {
                    webhook.secret = Some("a-webhook-secret".to_owned().into());
                }
                let connected = voiceport::connect(&config);
                assert!(connected.is_ok(), "{page}, {name}: {connected:?}");
                let verifier = config.webhook_verifier();
                assert!(verifier.is_ok(), "{page}, {name}: {verifier:?}");
            }
            read += 1;
        }
    }
    // The README's three and one per vendor page, at least.
    assert!(read >= 3 + 5, "{read} blocks read");
}

/// A registry of two providers (`sales`, Rounded; `studio`, Voicebot Studio) that no test
/// here sends a request to.
fn sales_and_studio() -> Registry {
    Registry::from_toml_str(
        "[providers.sales]\nkind = \"rounded\"\napi_key = \"rd-test\"\n\
         [providers.studio]\nkind = \"voicebot\"\napi_key = \"vb-test\"\n",
    )
    .unwrap()
}

/// A provider is built outside the registry's lock, so several threads connecting one name
/// at once may each build one: the first put in is kept, and every caller gets that one,
/// never a second connection of the same name.
#[test]
fn threads_connecting_one_name_at_once_share_one_provider() {
    let registry = sales_and_studio();
    for round in 0..10 {
        let registry = Registry::from_file(registry.file().clone()).unwrap();
        let start = std::sync::Barrier::new(8);
        let connected: Vec<_> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..8)
                .map(|i| {
                    let (registry, start) = (&registry, &start);
                    scope.spawn(move || {
                        start.wait();
                        // Half of them ask for the other provider, whose building takes
                        // the lock too.
                        let name = if i % 2 == 0 { "sales" } else { "studio" };
                        (name, registry.connect(name).unwrap())
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        for name in ["sales", "studio"] {
            let kept = registry.connect(name).unwrap();
            for (_, provider) in connected.iter().filter(|(n, _)| *n == name) {
                assert!(
                    std::sync::Arc::ptr_eq(provider, &kept),
                    "round {round}: {name}"
                );
            }
        }
    }
}

/// `connect_all` connects every provider up front (each once: `connect` then shares it),
/// and names the provider it cannot connect, so an application fails at its start.
#[test]
fn connect_all_connects_every_provider_or_names_the_one_it_cannot() {
    let registry = sales_and_studio();
    registry.connect_all().unwrap();
    let first = registry.connect("studio").unwrap();
    registry.connect_all().unwrap();
    assert!(std::sync::Arc::ptr_eq(
        &first,
        &registry.connect("studio").unwrap()
    ));

    let broken = Registry::from_toml_str(
        "[providers.sales]\nkind = \"rounded\"\napi_key = \"rd-test\"\n\
         [providers.support]\nkind = \"rounded\"\napi_key_env = \"VOICEPORT_TEST_UNSET_SUPPORT_KEY\"\n",
    )
    .unwrap();
    let error = broken.connect_all().unwrap_err();
    let said = error.to_string();
    assert!(
        said.contains("support") && said.contains("VOICEPORT_TEST_UNSET_SUPPORT_KEY"),
        "{said}"
    );
}
