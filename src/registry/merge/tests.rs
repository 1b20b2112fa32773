//! The merged walk, its cursor and its selection, against providers in memory.

use super::*;
use futures::TryStreamExt;
use voiceport_core::{Call, CallId, Capabilities, ProviderKind};

/// Each message of `error`'s chain, outermost first.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    std::iter::successors(Some(error), |error| error.source())
        .map(ToString::to_string)
        .collect()
}

/// A connection failure caused by `cause`.
pub(crate) fn broken(cause: &str) -> Error {
    Error::transport(ProviderKind::Rounded, Operation::ListCalls, true, cause)
}

#[test]
fn a_provider_error_says_each_message_of_its_chain_once() {
    let failure = ProviderError {
        provider_name: "sales".into(),
        error: broken("connection reset by peer"),
    };
    assert_eq!(
        chain(&failure),
        [
            "provider `sales`: rounded list_calls: connection failed",
            "connection reset by peer",
        ]
    );
}

/// A field unknown to this version (a newer one's) refuses the cursor rather than
/// being ignored, at the top, within a provider's place and within its page cursor.
#[test]
fn a_cursor_with_a_field_this_version_does_not_know_is_refused() {
    let known = r#"{"positions":{"sales":{"skip":2,"kind":"rounded"}},"page_size":50}"#;
    assert!(MergedCursor::from_token(known).is_ok());
    let paged = r#"{"positions":{"sales":{"page":{"mode":"offset","skip":100},"kind":"rounded"}}}"#;
    assert!(MergedCursor::from_token(paged).is_ok());
    for token in [
        r#"{"positions":{"sales":{"skip":2,"kind":"rounded"}},"page_size":50,"stood":1}"#,
        r#"{"positions":{"sales":{"skip":2,"kind":"rounded","stood":1}},"page_size":50}"#,
        r#"{"positions":{},"walked_to":{"time":"2026-11-20T09:00:00Z","provider":"sales","n":1}}"#,
        // Within the page cursor a place holds.
        r#"{"positions":{"sales":{"page":{"mode":"offset","skip":100,"n":1},"kind":"rounded"}}}"#,
    ] {
        let error = MergedCursor::from_token(token).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidArgument { argument, .. } if argument == "cursor"),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains("unknown field"), "{text}");
    }
}

#[test]
fn a_selection_parses_as_text_does() {
    assert_eq!("all".parse::<Selection>(), Ok(Selection::All));
    assert_eq!(
        " sales, ,support ".parse::<Selection>(),
        Ok(Selection::Named(vec!["sales".into(), "support".into()]))
    );
    // Blank text (an unset variable) selects none, as a lone comma does: only `all`
    // means every provider.
    for blank in ["", "  ", ",", " , "] {
        assert_eq!(
            Selection::parse(blank),
            Selection::Named(vec![]),
            "{blank:?}"
        );
    }
}

/// A provider whose listing answers its n-th request (from 1) with `page(n)`.
struct Listing {
    page: Box<dyn Fn(usize) -> CallPage + Send + Sync>,
    requests: std::sync::atomic::AtomicUsize,
    /// The listing order it declares (it sorts nothing).
    order: Option<SortOrder>,
}

impl Listing {
    /// Declared to list newest first, as its pages do.
    fn new(page: impl Fn(usize) -> CallPage + Send + Sync + 'static) -> Arc<Self> {
        Listing::ordered(page, Some(SortOrder::Descending))
    }

    /// Empty pages, declaring `order` (`None`: an order it does not say).
    fn listing_in(order: Option<SortOrder>) -> Arc<Self> {
        Listing::ordered(|_| CallPage::default(), order)
    }

    fn ordered(
        page: impl Fn(usize) -> CallPage + Send + Sync + 'static,
        order: Option<SortOrder>,
    ) -> Arc<Self> {
        Arc::new(Listing {
            page: Box::new(page),
            requests: Default::default(),
            order,
        })
    }

    /// Every page names a fresh next cursor `length` bytes long.
    fn huge_cursors(length: usize) -> Arc<Self> {
        Listing::new(move |n| {
            CallPage::new(
                vec![Call::new(
                    CallId::new(format!("c{n}")),
                    ProviderKind::Retell,
                )],
                Some(PageCursor::Token {
                    token: format!("{n:08}{}", "k".repeat(length - 8)),
                }),
                None,
            )
        })
    }
}

impl std::fmt::Debug for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listing").finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl VoiceProvider for Listing {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Retell
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            list_calls: true,
            listing_order: self.order,
            ..Capabilities::default()
        }
    }
    async fn get_call(&self, _id: &CallId) -> Result<Call> {
        Err(Error::unsupported(self.kind(), Operation::GetCall))
    }
    async fn list_calls(&self, _query: &CallQuery) -> Result<CallPage> {
        use std::sync::atomic::Ordering;
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        Ok((self.page)(n))
    }
}

/// A provider, listing newest first, whose listing never answers, or always fails; or
/// never answers, telling its watch when it starts and when it is dropped.
#[derive(Debug)]
enum Unlisting {
    Hanging,
    Broken,
    Watched(Arc<Watch>),
}

/// What a watched listing tells: `started` when it starts, `dropped` set when its
/// request's future is dropped.
#[derive(Debug, Default)]
struct Watch {
    started: tokio::sync::Notify,
    dropped: Arc<std::sync::atomic::AtomicBool>,
}

#[async_trait::async_trait]
impl VoiceProvider for Unlisting {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Retell
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            list_calls: true,
            listing_order: Some(SortOrder::Descending),
            ..Capabilities::default()
        }
    }
    async fn get_call(&self, _id: &CallId) -> Result<Call> {
        Err(Error::unsupported(self.kind(), Operation::GetCall))
    }
    async fn list_calls(&self, _query: &CallQuery) -> Result<CallPage> {
        match self {
            Unlisting::Hanging => futures::future::pending().await,
            Unlisting::Broken => Err(broken("connection reset by peer")),
            Unlisting::Watched(watch) => {
                let _dropped = SetOnDrop(Arc::clone(&watch.dropped));
                watch.started.notify_one();
                futures::future::pending().await
            }
        }
    }
}

/// Sets its flag when dropped.
struct SetOnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A walk dropped while a provider's page is being fetched stops that fetch (its task
/// aborted), rather than leaving it to run, and hold its connection, to its timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_dropped_mid_fetch_stops_the_fetch() {
    use std::sync::atomic::Ordering;
    let watch = Arc::new(Watch::default());
    let mut walk = walk_of("slow", Arc::new(Unlisting::Watched(watch.clone())));
    assert!(futures::poll!(walk.try_next()).is_pending());
    watch.started.notified().await;
    assert!(!watch.dropped.load(Ordering::SeqCst));
    drop(walk);
    let stopped = async {
        while !watch.dropped.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), stopped)
        .await
        .expect("the fetch was left running");
}

/// A merged walk over `provider` alone, named `name`, with no filter.
fn walk_of(name: &str, provider: Arc<dyn VoiceProvider>) -> MergedCalls {
    let providers = vec![(name.to_owned(), provider)];
    MergedCalls::new(providers, CallQuery::default(), MergeOptions::default()).unwrap()
}

/// A lane whose vendor sends a next cursor longer than a walk follows yields that
/// page's calls, then the provider's error, and never asks for the cursor: memory
/// cannot grow page after page with fresh huge cursors. One at the limit is followed.
#[tokio::test]
async fn a_next_cursor_over_the_limit_ends_the_lane() {
    use std::sync::atomic::Ordering;
    let provider = Listing::huge_cursors(voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1);
    let walk = walk_of("huge", provider.clone());
    let items: Vec<_> = futures::StreamExt::collect(futures::StreamExt::take(walk, 10)).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    let failure = items[1].as_ref().unwrap_err();
    assert_eq!(failure.provider_name, "huge");
    assert!(failure.error.is_cursor_too_long(), "{failure}");
    assert_eq!(provider.requests.load(Ordering::SeqCst), 1);

    let provider = Listing::huge_cursors(voiceport_core::MAX_CURSOR_TOKEN_BYTES);
    let walk = walk_of("ok", provider);
    let items: Vec<_> = futures::StreamExt::collect(futures::StreamExt::take(walk, 5)).await;
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    assert_eq!(items.len(), 5);
}

/// A fetch cancelled by its runtime shutting down (the walk read on after it) is said
/// as a request that may have gone, not as one interrupted before it was sent.
#[test]
fn a_fetch_its_runtime_cancelled_may_have_been_sent() {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let first = runtime();
    let mut walk = first.block_on(async {
        let mut walk = walk_of("slow", Arc::new(Unlisting::Hanging));
        // The fetch is spawned (a current-thread runtime never runs it before the
        // shutdown: what is tested is how the cancellation is said).
        assert!(futures::poll!(walk.try_next()).is_pending());
        walk
    });
    first.shutdown_background();
    let failure = runtime().block_on(walk.try_next()).unwrap_err();
    assert_eq!(failure.provider_name, "slow");
    assert!(
        matches!(failure.error, Error::Transport { sent: true, .. }),
        "{:?}",
        failure.error
    );
}

/// A merged walk without a sort is newest first: a provider that cannot list so (it
/// lists oldest first, or in an order it does not declare, and cannot sort) is refused
/// before anything is fetched, rather than merged out of order.
#[tokio::test]
async fn a_provider_that_cannot_list_newest_first_is_refused_for_a_merged_walk() {
    use voiceport_core::Filter;
    for order in [None, Some(SortOrder::Ascending)] {
        let provider: Arc<dyn VoiceProvider> = Listing::listing_in(order);
        let providers = vec![("p".to_owned(), provider)];
        let options = MergeOptions::default();
        let refused = MergedCalls::new(providers, CallQuery::default(), options);
        assert!(
            matches!(
                refused.as_ref().map(|_| ()),
                Err(Error::Unsupported {
                    operation: Operation::ListFilter(Filter::Sort),
                    ..
                })
            ),
            "{order:?}: {:?}",
            refused.map(|_| ())
        );
    }
    // Asked oldest first, one that lists so is merged.
    let provider: Arc<dyn VoiceProvider> = Listing::listing_in(Some(SortOrder::Ascending));
    let oldest_first = CallQuery {
        sort: Some(SortOrder::Ascending),
        ..CallQuery::default()
    };
    let providers = vec![("p".to_owned(), provider)];
    assert!(MergedCalls::new(providers, oldest_first, MergeOptions::default()).is_ok());
}

/// Asked to leave out the providers that cannot apply the filters, a walk that would
/// leave out every one is refused with the first one's error: an empty walk would
/// read as "no call matches".
#[tokio::test]
async fn a_walk_that_would_leave_out_every_provider_is_refused() {
    use voiceport_core::Filter;
    let listing = || -> Arc<dyn VoiceProvider> { Listing::new(|_| CallPage::default()) };
    let providers = vec![("a".to_owned(), listing()), ("b".to_owned(), listing())];
    let tagged = CallQuery {
        tags: vec!["vip".into()],
        ..CallQuery::default()
    };
    let options = MergeOptions::default().skip_unsupported(true);
    let refused = MergedCalls::new(providers, tagged, options).map(|_| ());
    assert!(
        matches!(
            refused,
            Err(Error::Unsupported {
                operation: Operation::ListFilter(Filter::Tags),
                ..
            })
        ),
        "{refused:?}"
    );
}

/// A cursor taken after the last call a lane yields before its pending error (a next
/// cursor too long to follow) is not done: resumed, the walk reads that page again,
/// yields nothing of it, and reports the error.
#[tokio::test]
async fn a_cursor_taken_before_a_pending_error_is_reported_resumes_to_it() {
    use std::sync::atomic::Ordering;
    let too_long = || Listing::huge_cursors(voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1);
    let mut walk = walk_of("huge", too_long());
    let first = walk.try_next().await.unwrap().unwrap();
    assert_eq!(first.call.id.as_str(), "c1");
    let cursor = walk.cursor();
    assert!(!cursor.is_done(), "{cursor}");
    let provider = too_long();
    let providers: Vec<(String, Arc<dyn VoiceProvider>)> = vec![("huge".into(), provider.clone())];
    let options = MergeOptions::default();
    let resumed = MergedCalls::new(providers, CallQuery::default(), options.resume_from(cursor));
    let items: Vec<_> = futures::StreamExt::collect(resumed.unwrap()).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let failure = items[0].as_ref().unwrap_err();
    assert!(failure.error.is_cursor_too_long(), "{failure}");
    assert_eq!(provider.requests.load(Ordering::SeqCst), 1);
}

/// A query every provider would refuse alike (a time range holding no time, a blank
/// filter) is refused as the walk is built, whatever its options, nothing asked of any
/// vendor: it is not one provider's failure, nor an empty listing.
#[tokio::test]
async fn a_query_every_provider_refuses_alike_is_refused_before_any_fetch() {
    use std::sync::atomic::Ordering;
    let at = DateTime::from_timestamp(1_780_000_000, 0);
    let queries = [
        CallQuery {
            since: at,
            until: at,
            ..CallQuery::default()
        },
        CallQuery {
            agent_id: Some(voiceport_core::AgentId::new(" ")),
            ..CallQuery::default()
        },
    ];
    for query in queries {
        let (a, b) = (Listing::listing_in(None), Listing::listing_in(None));
        let providers: Vec<(String, Arc<dyn VoiceProvider>)> =
            vec![("a".into(), a.clone()), ("b".into(), b.clone())];
        let options = MergeOptions::default()
            .keep_going(true)
            .skip_unsupported(true);
        let refused = MergedCalls::new(providers, query.clone(), options);
        let error = refused.expect_err("refused");
        assert!(
            matches!(&error, Error::InvalidArgument { argument, .. } if argument == "query"),
            "{query:?}: {error}"
        );
        assert!(error.provider().is_none(), "{error}");
        let asked = a.requests.load(Ordering::SeqCst) + b.requests.load(Ordering::SeqCst);
        assert_eq!(asked, 0, "{query:?}");
    }
}

/// A walk resumed when none of a provider's calls was yielded yet leaves out that
/// provider's calls placed since, ahead of where the walk stood in the merged order (a
/// call as old as the last one yielded too, where its provider breaks the tie first),
/// a whole first page of them and the next page read on; the calls the order had yet
/// to come to are all yielded, a call as old from a provider after it among them.
#[tokio::test]
async fn a_resumed_walk_leaves_out_calls_placed_since_on_a_provider_it_had_not_begun() {
    let (listing, walk) = (timed_listing, merged_from);
    let a = || listing(vec![vec![("a100", 100), ("a99", 99), ("a98", 98)]]);
    let mut first = walk(
        vec![
            ("0", listing(vec![vec![("o10", 10)]])),
            ("a", a()),
            ("b", listing(vec![vec![("b99", 99), ("b50", 50)]])),
        ],
        None,
    );
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(first.try_next().await.unwrap().unwrap().call.id.to_string());
    }
    assert_eq!(ids, ["a100", "a99"]);
    let cursor = MergedCursor::from_token(&first.cursor().to_token()).unwrap();
    drop(first);
    // Since: "0" has a call as old as `a99`, which the tie puts before it; "b" a
    // page of newer calls, then its calls of before on the next page.
    let resumed = walk(
        vec![
            ("0", listing(vec![vec![("o99", 99), ("o10", 10)]])),
            ("a", a()),
            (
                "b",
                listing(vec![
                    vec![("b300", 300), ("b200", 200)],
                    vec![("b99", 99), ("b50", 50)],
                ]),
            ),
        ],
        Some(cursor),
    );
    let rest: Vec<MergedCall> = resumed.try_collect().await.unwrap();
    let rest: Vec<String> = rest.iter().map(|m| m.call.id.to_string()).collect();
    assert_eq!(rest, ["b99", "a98", "b50", "o10"]);
}

/// A provider whose pages are `(id, minute)` pairs, newest first: each request gets
/// the next page, the last one with no next cursor.
fn timed_listing(pages: Vec<Vec<(&'static str, i64)>>) -> Arc<Listing> {
    let count = pages.len();
    Listing::new(move |n| {
        let calls = (pages.get(n - 1).into_iter().flatten())
            .map(|(id, minute)| {
                let mut call = Call::new(CallId::new(*id), ProviderKind::Retell);
                call.created_at = DateTime::from_timestamp(1_780_000_000 + minute * 60, 0);
                call
            })
            .collect();
        let next = (n < count).then(|| PageCursor::Token {
            token: format!("page-{}", n + 1),
        });
        CallPage::new(calls, next, None)
    })
}

/// A merged walk of `lanes` (by name), from `cursor` if given, with no filter.
fn merged_from(lanes: Vec<(&str, Arc<Listing>)>, cursor: Option<MergedCursor>) -> MergedCalls {
    let lanes = (lanes.into_iter())
        .map(|(name, provider)| (name, provider as Arc<dyn VoiceProvider>))
        .collect();
    merged_with(lanes, cursor, MergeOptions::default())
}

fn merged_with(
    lanes: Vec<(&str, Arc<dyn VoiceProvider>)>,
    cursor: Option<MergedCursor>,
    options: MergeOptions,
) -> MergedCalls {
    let providers = (lanes.into_iter())
        .map(|(name, provider)| (name.to_owned(), provider))
        .collect();
    let options = options.resume_from(cursor);
    MergedCalls::new(providers, CallQuery::default(), options).unwrap()
}

/// The ids of the next `n` calls of `walk`.
async fn take_ids(walk: &mut MergedCalls, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(walk.try_next().await.unwrap().unwrap().call.id.to_string());
    }
    ids
}

/// The cursor of `walk`, as text and back, as a CLI keeps it.
fn cursor_of(walk: &MergedCalls) -> MergedCursor {
    MergedCursor::from_token(&walk.cursor().to_token()).unwrap()
}

/// A walk stopped twice while a provider has yielded nothing keeps leaving out its
/// calls placed since: the second cursor says where the walk stood too.
#[tokio::test]
async fn a_walk_stopped_twice_before_a_provider_yields_keeps_leaving_out_its_new_calls() {
    let a = || {
        timed_listing(vec![vec![
            ("a100", 100),
            ("a99", 99),
            ("a98", 98),
            ("a97", 97),
        ]])
    };
    let mut first = merged_from(
        vec![("a", a()), ("b", timed_listing(vec![vec![("b50", 50)]]))],
        None,
    );
    assert_eq!(take_ids(&mut first, 2).await, ["a100", "a99"]);
    let cursor = cursor_of(&first);
    drop(first);
    let b = timed_listing(vec![vec![("b300", 300), ("b50", 50)]]);
    let mut second = merged_from(vec![("a", a()), ("b", b)], Some(cursor));
    assert_eq!(take_ids(&mut second, 1).await, ["a98"]);
    let cursor = cursor_of(&second);
    drop(second);
    let b = timed_listing(vec![vec![("b400", 400), ("b300", 300), ("b50", 50)]]);
    let third = merged_from(vec![("a", a()), ("b", b)], Some(cursor));
    let rest: Vec<MergedCall> = third.try_collect().await.unwrap();
    let rest: Vec<String> = rest.iter().map(|m| m.call.id.to_string()).collect();
    assert_eq!(rest, ["a97", "b50"]);
}

/// A provider whose first page failed (the walk going on without it) yielded none of
/// its calls, and none of them is taken for placed since: resumed, it gives them all,
/// the newer ones out of the merged order.
#[tokio::test]
async fn a_provider_that_failed_its_first_page_gives_every_call_when_resumed() {
    let a = || timed_listing(vec![vec![("a100", 100), ("a99", 99), ("a98", 98)]]);
    let keep_going = MergeOptions::default().keep_going(true);
    let lanes: Vec<(&str, Arc<dyn VoiceProvider>)> =
        vec![("a", a()), ("b", Arc::new(Unlisting::Broken))];
    let mut first = merged_with(lanes, None, keep_going.clone());
    assert_eq!(take_ids(&mut first, 2).await, ["a100", "a99"]);
    assert_eq!(first.failures().len(), 1);
    let cursor = cursor_of(&first);
    drop(first);
    let b = timed_listing(vec![vec![("b150", 150), ("b50", 50)]]);
    let resumed = merged_from(vec![("a", a()), ("b", b)], Some(cursor));
    let rest: Vec<MergedCall> = resumed.try_collect().await.unwrap();
    let rest: Vec<String> = rest.iter().map(|m| m.call.id.to_string()).collect();
    assert_eq!(rest, ["b150", "a98", "b50"]);
}

/// A merged walk asks a vendor for its next page once more than half of the page being
/// merged is yielded, not as soon as it arrives: one page of merged calls split evenly
/// between two vendors paged at its size (the CLI's `calls list --providers a,b
/// --limit N`) asks each vendor once. The page after comes in before it is needed.
#[tokio::test]
async fn the_next_page_is_asked_for_once_more_than_half_of_this_one_is_yielded() {
    use std::sync::atomic::Ordering;
    // Ten calls a page, a minute apart, newest first; the two vendors' interleaved.
    let listing = |offset: i64| {
        Listing::new(move |n| {
            CallPage::new(
                (0..10)
                    .map(|i| {
                        let at = 1_000_000 - 2 * (10 * (n as i64 - 1) + i) * 60 - offset;
                        let mut call = Call::new(
                            CallId::new(format!("c{offset}-{n}-{i}")),
                            ProviderKind::Retell,
                        );
                        call.created_at = DateTime::from_timestamp(at * 60, 0);
                        call
                    })
                    .collect(),
                Some(PageCursor::Token {
                    token: format!("page-{}", n + 1),
                }),
                None,
            )
        })
    };
    let (a, b) = (listing(0), listing(60));
    let providers: Vec<(String, Arc<dyn VoiceProvider>)> =
        vec![("a".into(), a.clone()), ("b".into(), b.clone())];
    let mut walk =
        MergedCalls::new(providers, CallQuery::default(), MergeOptions::default()).unwrap();
    // The fetches are tasks: each gets to run before the count is read.
    let requests = || async {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let count = |listing: &Listing| listing.requests.load(Ordering::SeqCst);
        (count(&a), count(&b))
    };
    let mut ids = Vec::new();
    let mut take = async |n: usize| {
        for _ in 0..n {
            let next = walk.try_next().await.unwrap().unwrap();
            ids.push(next.call.id.to_string());
        }
    };
    // a0 b0 a1 b1 …: four of each, under half of either page.
    take(8).await;
    assert_eq!(requests().await, (1, 1), "asked ahead before half a page");
    // A merged page of ten, five of each: exactly half of either page, asked once.
    take(2).await;
    assert_eq!(
        requests().await,
        (1, 1),
        "asked ahead at exactly half a page"
    );
    // a's sixth: past half its page; then b's.
    take(1).await;
    assert_eq!(
        requests().await,
        (2, 1),
        "a's next page not asked for past its half"
    );
    take(1).await;
    assert_eq!(
        requests().await,
        (2, 2),
        "b's next page not asked for past its half"
    );
    // The rest of both first pages, and all of both second ones: their thirds asked
    // for past their halves, once each.
    take(28).await;
    assert_eq!(requests().await, (3, 3));
    let second_pages = ids.iter().filter(|id| id.contains("-2-")).count();
    assert_eq!((ids.len(), second_pages), (40, 20));
}

/// A page of no calls that names a next cursor is past any half: the next page is asked
/// for, and its calls come.
#[tokio::test]
async fn a_page_of_no_calls_leads_to_the_next() {
    let provider = Listing::new(|n| {
        CallPage::new(
            (n > 1)
                .then(|| Call::new(CallId::new(format!("c{n}")), ProviderKind::Retell))
                .into_iter()
                .collect(),
            (n < 3).then(|| PageCursor::Token {
                token: format!("page-{}", n + 1),
            }),
            None,
        )
    });
    let walk = walk_of("sparse", provider.clone());
    let calls: Vec<MergedCall> = walk.try_collect().await.unwrap();
    let ids: Vec<&str> = calls.iter().map(|c| c.call.id.as_str()).collect();
    assert_eq!(ids, ["c2", "c3"]);
}

/// A walk started in a runtime can be read from a thread without one (another
/// executor): its fetches are spawned on the runtime it was started in, not on the
/// reader's, which `tokio::spawn` would look for and panic without.
#[test]
fn a_walk_is_read_from_a_thread_without_a_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    // One call a page: each page after the first is asked for by the reader's polls.
    let provider = Listing::new(|n| {
        CallPage::new(
            vec![Call::new(
                CallId::new(format!("c{n}")),
                ProviderKind::Retell,
            )],
            (n < 3).then(|| PageCursor::Token {
                token: format!("page-{}", n + 1),
            }),
            None,
        )
    });
    let walk = {
        let _entered = runtime.enter();
        walk_of("plain", provider)
    };
    let reader = std::thread::spawn(move || {
        // An executor of its own, on a thread with no Tokio runtime entered.
        let calls: Vec<MergedCall> = futures::executor::block_on(walk.try_collect()).unwrap();
        Vec::from_iter(calls.into_iter().map(|c| c.call.id.to_string()))
    });
    let ids = reader.join().expect("the reader panicked");
    assert_eq!(ids, ["c1", "c2", "c3"]);
}

/// A panic in a provider's page fetch reaches the walk's reader as a panic, as it does
/// a caller of `list_calls`: not an error that says the configuration is wrong.
#[tokio::test]
async fn a_panicking_page_fetch_panics_the_reader() {
    let mut walk = walk_of("broken", Listing::new(|_| panic!("the listing's own bug")));
    let reader = tokio::spawn(async move { walk.try_next().await.map(|_| ()) });
    let stopped = reader.await.expect_err("the reader did not panic");
    let panic = stopped.into_panic();
    let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(message, "the listing's own bug");
}
