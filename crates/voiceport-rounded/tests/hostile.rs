//! The Rounded client against a hostile server (the core's vendor test kit, on the
//! loopback): what the vendor sends back is bounded and masked, and a walk stops at a
//! cursor it must not follow.

mod support;

use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use support::{CALL_ID, fixture};
use voiceport_core::testing::http::{
    Auth, KEY, VendorApi, assert_key_hidden, collect_calls, json_response,
};
use voiceport_core::{CallId, CallQuery, Error, ProviderKind, VoiceProvider, VoiceProviderExt};
use voiceport_rounded::Rounded;

async fn api() -> VendorApi {
    VendorApi::start(ProviderKind::Rounded, "/v1", Auth::Header("X-Api-Key")).await
}

fn client(api: &VendorApi) -> Rounded {
    Rounded::from_config(&api.config()).unwrap()
}

/// An error inside a 200 (Rounded's envelope) with a 1 MiB message and 5,000 details
/// gives an error as short as the same object over an HTTP 400 does.
#[tokio::test]
async fn an_error_inside_a_success_answer_is_as_bounded_as_over_http() {
    let detail = json!({"field": "f", "message": "m".repeat(200)});
    let body = json!({
        "data": null,
        "error": {"message": "x".repeat(1 << 20), "status": 400, "details": vec![detail; 5_000]}
    })
    .to_string();
    let api = api().await;
    api.respond_json("GET", &format!("/calls/{CALL_ID}"), 200, &body)
        .await;
    let err = client(&api)
        .get_call(&CallId::new(CALL_ID))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.len() < 10_000, "{} bytes", text.len());
    assert!(
        matches!(err, Error::NotFound { .. } | Error::InvalidRequest { .. }),
        "{err:?}"
    );
}

/// The key, one of its letters written as a JSON `\u` escape.
fn escaped_key() -> String {
    KEY.replacen('v', "\\u0076", 1)
}

/// A key the vendor spells with JSON escapes reaches neither the call (decoded values,
/// the payload kept) nor an error the adapter builds from the body.
#[tokio::test]
async fn a_key_spelled_with_json_escapes_reaches_no_call_and_no_error() {
    let escaped = escaped_key();
    assert!(!escaped.contains(KEY));
    let call: serde_json::Value = serde_json::from_str(&fixture("get_call.json")).unwrap();
    let with = |field: &str| {
        let mut call = call.clone();
        call["data"][field] = json!("@KEY@");
        call.to_string().replace("@KEY@", &escaped)
    };
    // A text field the call keeps, then one whose type is wrong (a decode error quoting
    // the value).
    for (field, fails) in [("to_number", false), ("duration_seconds", true)] {
        let api = api().await;
        api.respond_json("GET", &format!("/calls/{CALL_ID}"), 200, &with(field))
            .await;
        let result = client(&api).get_call(&CallId::new(CALL_ID)).await;
        assert_eq!(result.is_err(), fails, "{field}: {result:?}");
        let text = match &result {
            Ok(call) => format!("{call:?} {:?}", call.vendor_payload().map(|p| p.get())),
            Err(err) => format!("{err} {err:?}"),
        };
        assert_key_hidden(&text);
        assert!(!text.contains(&escaped), "{field}: the key leaked: {text}");
        assert!(text.contains("[REDACTED]"), "{field}: {text}");
    }
}

/// A cursor longer than a walk follows (70,000 characters, which no URL could carry)
/// ends the walk after its page, with one request sent.
#[tokio::test]
async fn a_walk_stops_at_a_cursor_too_long_to_follow() {
    let mut page: serde_json::Value = serde_json::from_str(&fixture("list_cursor.json")).unwrap();
    page["next_cursor"] = json!("2".repeat(70_000));
    let api = api().await;
    api.on("GET", "/calls")
        .respond_with(json_response(200, &page.to_string()))
        .expect(1)
        .mount(&api.server)
        .await;
    let err = collect_calls(&client(&api), CallQuery::default())
        .await
        .unwrap_err();
    assert!(err.is_cursor_too_long(), "{err:?}");
    assert!(err.to_string().starts_with("rounded list_calls:"), "{err}");
    api.server.verify().await;
}

/// In page mode, a server sending no calls while claiming four billion pages ends the
/// walk at its first empty page: one page, no cursor to follow. (Before, each page
/// named the next; the walk is cut at three pages here so that a regression fails.)
#[tokio::test]
async fn an_empty_page_ends_a_page_number_walk() {
    let mut page: serde_json::Value =
        serde_json::from_str(&fixture("list_page_mode.json")).unwrap();
    page["data"] = json!([]);
    page["current_page"] = serde_json::Value::Null;
    page["total_pages"] = json!(4_000_000_000u64);
    let api = api().await;
    api.on("GET", "/calls")
        .respond_with(json_response(200, &page.to_string()))
        .mount(&api.server)
        .await;
    let config = api.config().with_option("paging", "page");
    let rounded = Rounded::from_config(&config).unwrap();
    let pages: Vec<_> = rounded
        .pages(CallQuery::default())
        .take(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(pages[0].next, None);
}

/// In page mode, a server that ignores `page` (and says no `current_page`) answers the
/// same page to every request while claiming four billion pages. With a filter applied
/// client-side (the statuses) that keeps none of its calls, each page the walk reads is
/// empty, under a page number that is each time new: the walk stops on the third such
/// page, having compared the calls Rounded sent, not the ones kept. (The server answers a
/// 500 after 50 pages, so that a walk that does not stop fails, not hangs.)
#[tokio::test]
async fn a_server_ignoring_the_page_number_ends_a_walk_whose_filter_empties_every_page() {
    let mut page: serde_json::Value =
        serde_json::from_str(&fixture("list_page_mode.json")).unwrap();
    page["current_page"] = serde_json::Value::Null;
    page["total_pages"] = json!(4_000_000_000u64);
    let api = api().await;
    let answer = json_response(200, &page.to_string());
    api.answer_then_fail("GET", "/calls", answer, 50).await;
    let config = api.config().with_option("paging", "page");
    let rounded = Rounded::from_config(&config).unwrap();
    let query = CallQuery {
        statuses: vec![voiceport_core::CallStatus::Failed],
        ..CallQuery::default()
    };
    api.assert_walk_stops_on_a_repeated_page(&rounded, query, 3)
        .await;
}
