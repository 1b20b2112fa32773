//! The lazy page and call streams, over a provider that serves fixed pages from memory.
//! (The stream is the code under test; adapters are tested over real HTTP elsewhere.)

use std::sync::Mutex;

use futures::{StreamExt, TryStreamExt};
use voiceport_core::{
    Call, CallId, CallPage, CallQuery, Capabilities, Error, PageCursor, PageIds, ProviderKind,
    Result, VoiceProvider, VoiceProviderExt, async_trait,
};

/// Implements `VoiceProvider` for a test pager of `kind` that lists calls (with its own
/// `serve`) and serves nothing else of note.
macro_rules! listing_provider {
    ($pager:ty, $kind:expr) => {
        #[async_trait]
        impl VoiceProvider for $pager {
            fn kind(&self) -> ProviderKind {
                $kind
            }
            fn capabilities(&self) -> Capabilities {
                Capabilities {
                    list_calls: true,
                    server_paging: true,
                    ..Capabilities::default()
                }
            }
            async fn get_call(&self, id: &CallId) -> Result<Call> {
                Ok(Call::new(id.clone(), self.kind()))
            }
            async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
                self.serve(query)
            }
        }
    };
}

#[derive(Debug)]
struct Pages {
    total: u64,
    page_size: u64,
    stuck_at: Option<u64>,
    fail_at: Option<u64>,
    /// Pages whose calls are those of the page before (`skip` served as `skip - size`),
    /// as an account that gained a page of calls between two requests answers.
    shifted_at: Vec<u64>,
    /// Serves the first page whatever the `skip`, as a vendor that does not read it.
    ignores_skip: bool,
    requests: Mutex<Vec<Option<PageCursor>>>,
}

impl Pages {
    fn new(total: u64, page_size: u64) -> Self {
        Pages {
            total,
            page_size,
            stuck_at: None,
            fail_at: None,
            shifted_at: Vec::new(),
            ignores_skip: false,
            requests: Mutex::new(Vec::new()),
        }
    }

    fn serve(&self, query: &CallQuery) -> Result<CallPage> {
        self.requests.lock().unwrap().push(query.cursor.clone());
        let skip = match &query.cursor {
            None => 0,
            Some(PageCursor::Offset { skip }) => *skip,
            Some(other) => panic!("unexpected cursor {other:?}"),
        };
        if self.fail_at == Some(skip) {
            let operation = voiceport_core::Operation::ListCalls;
            return Err(Error::from_status(
                self.kind(),
                operation,
                500,
                None,
                Vec::new(),
            ));
        }
        let served = match (self.ignores_skip, self.shifted_at.contains(&skip)) {
            (true, _) => 0,
            (false, true) => skip - self.page_size,
            (false, false) => skip,
        };
        let end = (skip + self.page_size).min(self.total);
        let served_end = (served + self.page_size).min(self.total);
        let calls = (served..served_end)
            .map(|i| Call::new(CallId::new(format!("call-{i}")), self.kind()))
            .collect();
        let next = if self.stuck_at == Some(skip) {
            query.cursor.clone()
        } else {
            (end < self.total).then_some(PageCursor::Offset { skip: end })
        };
        Ok(CallPage::new(calls, next, Some(self.total)))
    }
}

listing_provider!(Pages, ProviderKind::HappyRobot);

#[tokio::test]
async fn walks_every_page_once_in_order() {
    let provider = Pages::new(10, 3);
    let ids = every_id(&provider).await;
    assert_eq!(
        ids,
        (0..10).map(|i| format!("call-{i}")).collect::<Vec<_>>()
    );
    let requests = provider.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        vec![
            None,
            Some(PageCursor::Offset { skip: 3 }),
            Some(PageCursor::Offset { skip: 6 }),
            Some(PageCursor::Offset { skip: 9 }),
        ]
    );
}

/// A stream that owns its provider (the `Arc` that `connect` returns) outlives the scope
/// that made it: it can be spawned, or kept in a struct.
#[tokio::test]
async fn a_stream_can_own_its_provider() {
    let provider: std::sync::Arc<dyn VoiceProvider> = std::sync::Arc::new(Pages::new(10, 3));
    let calls = voiceport_core::call_stream(provider.clone(), CallQuery::default());
    let pages = voiceport_core::page_stream(provider, CallQuery::default());
    let counted = tokio::spawn(async move { (calls.count().await, pages.count().await) });
    assert_eq!(counted.await.unwrap(), (10, 4));
}

#[tokio::test]
async fn is_lazy() {
    let provider = Pages::new(100, 10);
    let first_two: Vec<Call> = provider
        .calls(CallQuery::default())
        .take(12)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first_two.len(), 12);
    assert_eq!(
        provider.requests.lock().unwrap().len(),
        2,
        "fetched more pages than consumed"
    );
}

#[tokio::test]
async fn resumes_from_a_saved_cursor() {
    let provider = Pages::new(10, 4);
    let mut pages = provider.pages(CallQuery::default());
    let first = pages.next().await.unwrap().unwrap();
    drop(pages);
    let saved = first.next.unwrap().to_token();
    let query = CallQuery {
        cursor: Some(saved.parse().unwrap()),
        ..CallQuery::default()
    };
    let rest: Vec<Call> = provider.calls(query).try_collect().await.unwrap();
    assert_eq!(rest.len(), 6);
    assert_eq!(rest[0].id.as_str(), "call-4");
}

#[tokio::test]
async fn an_error_is_yielded_and_ends_the_stream() {
    let provider = Pages {
        fail_at: Some(4),
        ..Pages::new(10, 2)
    };
    let items: Vec<Result<Call>> = provider.calls(CallQuery::default()).collect().await;
    assert_eq!(items.len(), 5);
    assert!(items[..4].iter().all(Result::is_ok));
    assert!(matches!(items[4], Err(Error::Server { .. })));
}

/// The ids of every call of a walk over every page, in order.
async fn every_id(provider: &dyn VoiceProvider) -> Vec<String> {
    provider
        .calls(CallQuery::default())
        .map_ok(|call| call.id.into_inner())
        .try_collect()
        .await
        .unwrap()
}

/// The first hundred items of a walk over every page: bounded, so that a regression that
/// pages for ever fails instead of hanging.
async fn first_hundred(provider: &Pages) -> Vec<Result<Call>> {
    provider
        .calls(CallQuery::default())
        .take(100)
        .collect()
        .await
}

#[tokio::test]
async fn a_cursor_that_does_not_advance_is_an_error_not_a_loop() {
    let provider = Pages {
        stuck_at: Some(2),
        ..Pages::new(10, 2)
    };
    let items = first_hundred(&provider).await;
    let err = items.into_iter().find_map(Result::err).expect("an error");
    assert!(err.to_string().contains("cursor"), "{err}");
    assert!(err.is_cursor_cycle(), "{err:?}");
}

/// A vendor that does not read `skip` answers its first page for ever, under offsets
/// each new: the walk stops on the third such page, which it does not yield (nor the
/// second's calls, which the first held).
#[tokio::test]
async fn the_same_page_under_new_cursors_is_an_error_not_a_loop() {
    let provider = Pages {
        ignores_skip: true,
        ..Pages::new(1_000_000, 2)
    };
    let items = first_hundred(&provider).await;
    assert_eq!(items.len(), 3, "one page, then the error: {items:?}");
    let err = items.into_iter().find_map(Result::err).expect("an error");
    assert!(err.is_cursor_cycle(), "{err:?}");
    assert!(err.to_string().contains("same 2 calls on 3 pages"), "{err}");
    assert_eq!(provider.requests.lock().unwrap().len(), 3);
}

/// Counts one more request in `requests`, and returns the count and the offset `query`
/// asks for. A pager that loops fails the test here, rather than hanging it.
fn counted(requests: &Mutex<u64>, query: &CallQuery) -> (u64, u64) {
    let mut requests = requests.lock().unwrap();
    *requests += 1;
    assert!(*requests < 100, "the pager is looping");
    let skip = match query.cursor {
        Some(PageCursor::Offset { skip }) => skip,
        _ => 0,
    };
    (*requests, skip)
}

/// Pages a filter applied client-side emptied: no call kept, the ids of the calls the
/// vendor sent said in `vendor_ids`, the same on every page or each page its own.
#[derive(Debug)]
struct Emptied {
    pages: u64,
    same_calls: bool,
    requests: Mutex<u64>,
}

impl Emptied {
    fn serve(&self, query: &CallQuery) -> Result<CallPage> {
        let (_, skip) = counted(&self.requests, query);
        let first = if self.same_calls { 0 } else { skip };
        let ids = [format!("call-{first}"), format!("call-{}", first + 1)];
        Ok(CallPage::new(
            Vec::new(),
            (skip + 2 < 2 * self.pages).then_some(PageCursor::Offset { skip: skip + 2 }),
            None,
        )
        .with_vendor_ids(PageIds::of(ids.iter().map(String::as_str))))
    }
}

listing_provider!(Emptied, ProviderKind::HappyRobot);

/// A vendor that does not read `skip` answers the same calls under offsets each new, and
/// a filter applied client-side keeps none of them: the walk compares the calls the
/// vendor sent (`vendor_ids`), not the empty pages, and stops on the third.
#[tokio::test]
async fn the_same_calls_filtered_out_under_new_cursors_are_an_error_not_a_loop() {
    let provider = Emptied {
        pages: 1_000_000,
        same_calls: true,
        requests: Mutex::new(0),
    };
    let pages: Vec<Result<CallPage>> = provider
        .pages(CallQuery::default())
        .take(100)
        .collect()
        .await;
    assert_eq!(pages.len(), 3, "two pages, then the error: {pages:?}");
    let err = pages[2].as_ref().unwrap_err();
    assert!(err.is_cursor_cycle(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("same 2 calls on 3 pages"), "{text}");
    assert!(text.contains("none of them kept"), "{text}");
    assert_eq!(*provider.requests.lock().unwrap(), 3);
}

/// Page after page emptied by the filter, each of other calls (a big account, a filter
/// that matches little), is a walk going on: it reaches the last page.
#[tokio::test]
async fn pages_of_other_calls_filtered_out_are_walked_to_the_end() {
    let provider = Emptied {
        pages: 40,
        same_calls: false,
        requests: Mutex::new(0),
    };
    let pages: Vec<CallPage> = provider
        .pages(CallQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 40);
    assert!(pages.iter().all(|page| page.calls.is_empty()));
    assert_eq!(pages.last().and_then(|page| page.next.as_ref()), None);
}

/// A vendor that does not read `skip` and goes round `pages` pages (A, B, A, B … for two)
/// under offsets each new.
#[derive(Debug)]
struct GoesRound {
    pages: u64,
    requests: Mutex<u64>,
}

impl GoesRound {
    fn serve(&self, query: &CallQuery) -> Result<CallPage> {
        let (requests, skip) = counted(&self.requests, query);
        let first = 2 * ((requests - 1) % self.pages);
        let calls = [first, first + 1]
            .map(|i| Call::new(CallId::new(format!("call-{i}")), self.kind()))
            .to_vec();
        Ok(CallPage::new(
            calls,
            Some(PageCursor::Offset { skip: skip + 2 }),
            None,
        ))
    }
}

listing_provider!(GoesRound, ProviderKind::HappyRobot);

/// Going round two pages, or five, is caught as one page repeated is: the walk stops on
/// the second page in a row that holds an earlier page's calls, which it does not yield.
#[tokio::test]
async fn pages_that_go_round_under_new_cursors_are_an_error_not_a_loop() {
    for pages in [2, 5] {
        let provider = GoesRound {
            pages,
            requests: Mutex::new(0),
        };
        let pages_read: Vec<Result<CallPage>> = provider
            .pages(CallQuery::default())
            .take(100)
            .collect()
            .await;
        let expected = usize::try_from(pages).unwrap() + 2;
        assert_eq!(pages_read.len(), expected, "{pages}: {pages_read:?}");
        let err = pages_read.last().unwrap().as_ref().unwrap_err();
        assert!(err.is_cursor_cycle(), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("2 pages in a row holding the calls of an earlier page"),
            "{text}"
        );
        assert_eq!(*provider.requests.lock().unwrap(), pages + 2);
    }
}

/// One page holding the calls of the page before (new calls pushed the list on by a
/// page between two requests) is an answer, not a stuck vendor: the walk goes on, without
/// yielding those calls again. So do two such pages apart.
#[tokio::test]
async fn a_page_repeated_once_does_not_end_the_walk() {
    let provider = Pages {
        shifted_at: vec![2, 6],
        ..Pages::new(8, 2)
    };
    let ids = every_id(&provider).await;
    let expected = ["0", "1", "4", "5"].map(|i| format!("call-{i}"));
    assert_eq!(ids, expected);
}

/// An account listed newest first, by offset, that gains a call while it is walked.
#[derive(Debug)]
struct Growing {
    requests: Mutex<u64>,
}

impl Growing {
    /// Ten calls, `call-9` the newest; `call-10` is placed just after the first request.
    fn serve(&self, query: &CallQuery) -> Result<CallPage> {
        let mut requests = self.requests.lock().unwrap();
        let newest = if *requests == 0 { 9 } else { 10 };
        *requests += 1;
        let skip = match &query.cursor {
            Some(PageCursor::Offset { skip }) => *skip,
            _ => 0,
        };
        let listed: Vec<u64> = (0..=newest).rev().skip(skip as usize).take(3).collect();
        let calls = (listed.iter())
            .map(|i| Call::new(CallId::new(format!("call-{i}")), self.kind()))
            .collect();
        let next = (skip + 3 <= newest).then_some(PageCursor::Offset { skip: skip + 3 });
        Ok(CallPage::new(calls, next, None))
    }
}

listing_provider!(Growing, ProviderKind::HappyRobot);

/// A call placed while an offset-paged listing is walked shifts every page after by one:
/// the next page begins with the last call of the one before, which the walk does not
/// yield again.
#[tokio::test]
async fn a_call_placed_while_offset_pages_are_walked_shifts_no_call_in_twice() {
    let provider = Growing {
        requests: Mutex::new(0),
    };
    let ids = every_id(&provider).await;
    let expected: Vec<String> = (0..=9).rev().map(|i| format!("call-{i}")).collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn unsupported_defaults_name_provider_and_operation() {
    let provider = Pages::new(1, 1);
    let id = CallId::new("x");
    let err = provider.end_call(&id).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Unsupported {
            provider: ProviderKind::HappyRobot,
            operation: voiceport_core::Operation::EndCall,
            ..
        }
    ));
    let dial = provider
        .dial(&voiceport_core::DialRequest::to("+14155550123"))
        .await;
    assert!(
        matches!(
            dial,
            Err(Error::Unsupported {
                provider: ProviderKind::HappyRobot,
                operation: voiceport_core::Operation::Dial,
                ..
            })
        ),
        "{dial:?}"
    );
    let parsed = provider.parse_webhook(b"{}");
    assert!(
        matches!(
            parsed,
            Err(Error::Unsupported {
                provider: ProviderKind::HappyRobot,
                operation: voiceport_core::Operation::ParseWebhook,
                ..
            })
        ),
        "{parsed:?}"
    );
    // The default transcript comes from the call.
    assert!(provider.get_transcript(&id).await.unwrap().is_empty());
}

/// Token cursors that go round in a cycle: none → A → B → C → A → …
#[derive(Debug)]
struct Cycle {
    tokens: Vec<&'static str>,
    requests: Mutex<usize>,
}

impl Cycle {
    fn serve(&self, _: &CallQuery) -> Result<CallPage> {
        let mut requests = self.requests.lock().unwrap();
        *requests += 1;
        // A pager that loops must fail this test, not hang it.
        assert!(*requests < 50, "the pager is looping");
        let token = self.tokens[(*requests - 1) % self.tokens.len()];
        Ok(CallPage::new(
            vec![Call::new(
                CallId::new(format!("call-{requests}")),
                self.kind(),
            )],
            Some(PageCursor::Token {
                token: token.into(),
            }),
            None,
        ))
    }
}

listing_provider!(Cycle, ProviderKind::Rounded);

#[tokio::test]
async fn cursors_that_go_round_in_a_cycle_are_an_error_not_a_loop() {
    for tokens in [vec!["A", "B"], vec!["A", "B", "C", "D", "E"]] {
        let provider = Cycle {
            tokens: tokens.clone(),
            requests: Mutex::new(0),
        };
        let items: Vec<Result<Call>> = provider.calls(CallQuery::default()).collect().await;
        // Every page is served, the one naming a cursor again too (its calls were fetched
        // at a cursor not asked before), then the error ends the walk.
        let calls = items.iter().filter(|item| item.is_ok()).count();
        assert_eq!(calls, tokens.len() + 1, "{tokens:?}");
        assert!(
            items.last().is_some_and(Result::is_err),
            "the error comes last"
        );
        let err = items.into_iter().find_map(Result::err).expect("an error");
        let text = err.to_string();
        assert!(text.contains("already given in this walk"), "{text}");
        assert!(text.contains("\"A\""), "{text}");
        assert_eq!(*provider.requests.lock().unwrap(), tokens.len() + 1);
    }
}

#[tokio::test]
async fn a_walk_resumed_at_a_cursor_that_comes_back_is_an_error_too() {
    let provider = Cycle {
        tokens: vec!["B", "A"],
        requests: Mutex::new(0),
    };
    let query = CallQuery {
        cursor: Some(PageCursor::Token { token: "A".into() }),
        ..CallQuery::default()
    };
    let items: Vec<Result<Call>> = provider.calls(query).collect().await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items[0].is_ok() && items[1].is_ok() && items[2].is_err());
}

/// Fresh token cursors of `length` bytes, page after page (none ever comes again).
#[derive(Debug)]
struct HugeCursors {
    length: usize,
    requests: Mutex<usize>,
}

impl HugeCursors {
    fn serve(&self, _: &CallQuery) -> Result<CallPage> {
        let mut requests = self.requests.lock().unwrap();
        *requests += 1;
        let token = format!("{:08}{}", *requests, "k".repeat(self.length - 8));
        Ok(CallPage::new(
            vec![Call::new(
                CallId::new(format!("call-{requests}")),
                self.kind(),
            )],
            Some(PageCursor::Token { token }),
            None,
        ))
    }
}

listing_provider!(HugeCursors, ProviderKind::Retell);

/// A vendor sending fresh cursors longer than the walk follows (8 MiB a page grew memory
/// without bound) is stopped at the first: its page is yielded, then a decode error that
/// names the provider and the operation. One at the limit is followed.
#[tokio::test]
async fn a_next_cursor_over_the_limit_ends_the_walk() {
    let over = voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1;
    let provider = HugeCursors {
        length: over,
        requests: Mutex::new(0),
    };
    let items: Vec<Result<Call>> = provider
        .calls(CallQuery::default())
        .take(10)
        .collect()
        .await;
    assert_eq!(
        *provider.requests.lock().unwrap(),
        1,
        "the cursor was followed"
    );
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    let err = items[1].as_ref().unwrap_err();
    assert!(err.is_cursor_too_long(), "{err:?}");
    assert!(!err.is_cursor_cycle(), "{err:?}");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("retell list_calls: cannot decode response at `next cursor (length)`"),
        "{text}"
    );
    assert!(text.contains(&over.to_string()), "{text}");
    assert!(text.len() < 400, "{text}");

    let provider = HugeCursors {
        length: voiceport_core::MAX_CURSOR_TOKEN_BYTES,
        requests: Mutex::new(0),
    };
    let calls: Vec<Call> = provider
        .calls(CallQuery::default())
        .take(5)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(calls.len(), 5);
}

/// The walk's record of cursors keeps a digest of each, not the cursor.
#[test]
fn seen_cursors_tell_cursors_apart_by_digest() {
    let token = |t: &str| PageCursor::Token { token: t.into() };
    let mut seen = voiceport_core::SeenCursors::starting_at(Some(&token("A")));
    assert!(!seen.insert(&token("A")));
    assert!(seen.insert(&token("B")));
    assert!(seen.insert(&PageCursor::Offset { skip: 1 }));
    assert!(seen.insert(&PageCursor::Page { number: 1 }));
    assert!(!seen.insert(&PageCursor::Page { number: 1 }));
    assert_eq!(seen.len(), 4);
    let long = token(&"x".repeat(voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1));
    assert!(
        seen.follow(ProviderKind::Rounded, &long)
            .unwrap_err()
            .is_cursor_too_long()
    );
    assert_eq!(seen.len(), 4, "a refused cursor is not recorded");
}
