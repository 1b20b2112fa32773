//! The Retell client over HTTP, against the core's vendor test kit (wiremock): paths,
//! auth, body shapes, response mapping, error statuses (Retell's not-found is a 422), and
//! what is refused before sending.

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;

use serde_json::{Value, json};
use support::{CALL_ID, fixture};
use voiceport_core::testing::http::{
    Auth, KEY, VendorApi, assert_key_hidden, assert_refused_locally, assert_unsupported,
    assert_unsupported_field, collect_calls, json_response, maps_as_documented,
};
use voiceport_core::{
    AgentId, CallId, CallKind, CallQuery, CallStatus, CallUpdate, DialRequest, Direction,
    EndReasonCategory, Error, EventKind, MetadataMode, NoteId, NoteInput, NoteUpdate, Operation,
    PageCursor, ProviderConfig, ProviderKind, RequestOutcome, SortOrder, Speaker, VoiceProvider,
};
use voiceport_retell::Retell;
use wiremock::ResponseTemplate;
use wiremock::matchers::body_json;

async fn api() -> VendorApi {
    VendorApi::start(ProviderKind::Retell, "", Auth::Bearer).await
}

/// A client without retries or options.
fn client(api: &VendorApi) -> Retell {
    Retell::from_config(&api.config()).unwrap()
}

fn with_dial_defaults(config: ProviderConfig) -> ProviderConfig {
    config
        .with_option("from_number", "+14155550142")
        .with_option("agent_id", "agent_3f9a12c7e45b8d01f6a2c9e7b4")
}

fn client_with_dial_defaults(api: &VendorApi) -> Retell {
    Retell::from_config(&with_dial_defaults(api.config())).unwrap()
}

/// A client with retries on (tiny backoffs) and the dial defaults.
fn retrying(api: &VendorApi) -> Retell {
    Retell::from_config(&with_dial_defaults(api.config_with_retries())).unwrap()
}

fn get_path(id: &str) -> String {
    format!("/v2/get-call/{id}")
}

/// Retell's error body: `{"status": "error", "message"}`, with the documented messages.
fn retell_error(status: u16) -> String {
    let message = match status {
        400 => "Invalid request format, please check API reference.",
        401 => "API key is missing or invalid.",
        402 => "Trial has ended, please add payment method.",
        422 => "Cannot find requested asset under given api key.",
        429 => "Account rate limited, please throttle your requests.",
        500..=599 => "An unexpected server error occurred.",
        _ => "Something went wrong.",
    };
    json!({"status": "error", "message": message}).to_string()
}

// ---------------------------------------------------------------------------------------
// get_call, transcript, recording

#[tokio::test]
async fn get_call_sends_the_key_and_maps_the_call() {
    let api = api().await;
    let body = fixture("call_phone_outbound_completed.json");
    api.respond_json("GET", &get_path(CALL_ID), 200, &body)
        .await;
    let call = client(&api).get_call(&CallId::new(CALL_ID)).await.unwrap();

    assert_eq!(call.id.as_str(), CALL_ID);
    assert_eq!(call.provider, ProviderKind::Retell);
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.vendor_status.as_deref(), Some("ended"));
    let reason = call.end_reason.as_ref().unwrap();
    assert_eq!(reason.category, EndReasonCategory::CustomerHungUp);
    assert_eq!(reason.vendor.as_deref(), Some("user_hangup"));
    assert_eq!(call.direction, Some(Direction::Outbound));
    assert_eq!(call.from.as_deref(), Some("+14155550142"));
    assert_eq!(call.to.as_deref(), Some("+16175550187"));
    assert_eq!(
        call.started_at,
        Some("2026-03-10T15:42:07.318Z".parse().unwrap())
    );
    assert_eq!(call.duration_secs, Some(40.745));
    let cost = call.cost.as_ref().unwrap();
    assert_eq!(
        (cost.total, cost.currency.as_deref()),
        (Some(0.055046), Some("USD"))
    );
    assert_eq!(call.analysis.success_evaluation.as_deref(), Some("true"));
    assert_eq!(
        call.analysis.extracted.get("confirmation"),
        Some(&json!("BD-88214"))
    );
    let tools: Vec<&str> = call
        .transcript
        .as_ref()
        .unwrap()
        .utterances
        .iter()
        .flat_map(|u| &u.tool_calls)
        .filter_map(|t| t.name.as_deref())
        .collect();
    assert_eq!(tools, ["check_availability", "book_appointment"]);
    assert_eq!(call.vendor_payload().unwrap().get(), body.trim_end());
}

#[tokio::test]
async fn a_broken_call_names_the_json_path() {
    let api = api().await;
    let body = json!({"call_id": CALL_ID, "transcript_object": [{"role": {"name": "agent"}}]});
    api.respond_json("GET", &get_path(CALL_ID), 200, &body.to_string())
        .await;
    let err = client(&api)
        .get_call(&CallId::new(CALL_ID))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, operation: Operation::GetCall, .. } if path == "transcript_object[0].role"),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::Applied);
}

#[tokio::test]
async fn transcript_and_recording_come_from_the_call() {
    let api = api().await;
    let body = fixture("call_inbound_transfer.json");
    let id = "call_a6a80a707dc9ce744b9d625a749d";
    api.on("GET", &get_path(id))
        .respond_with(json_response(200, &body))
        .expect(2)
        .mount(&api.server)
        .await;
    let retell = client(&api);
    let id = CallId::new(id);
    let transcript = retell.get_transcript(&id).await.unwrap();
    let speakers: Vec<&Speaker> = transcript.utterances.iter().map(|u| &u.speaker).collect();
    assert_eq!(speakers.first(), Some(&&Speaker::Agent));
    assert_eq!(
        speakers.last(),
        Some(&&Speaker::Other("transfer_target".into()))
    );
    assert_eq!(transcript.utterances[0].start_secs, Some(0.6));
    let recording = retell.get_recording(&id).await.unwrap().unwrap();
    assert!(recording.mono_url.unwrap().ends_with("/recording.wav"));
    assert!(
        recording
            .stereo_url
            .unwrap()
            .ends_with("/recording_multichannel.wav")
    );
}

// ---------------------------------------------------------------------------------------
// list_calls

#[tokio::test]
async fn list_posts_the_filters_as_json() {
    let api = api().await;
    api.on("POST", "/v3/list-calls")
        .and(body_json(json!({
            "filter_criteria": {
                "agent": [{"agent_id": "agent_3f9a12c7e45b8d01f6a2c9e7b4"}],
                "call_type": {"type": "enum", "op": "in", "value": ["phone_call"]},
                "direction": {"type": "enum", "op": "in", "value": ["outbound"]},
                "from_number": {"type": "string", "op": "eq", "value": "+14155550142"},
                "to_number": {"type": "string", "op": "eq", "value": "+16175550187"},
                "start_timestamp": {"type": "number", "op": "ge", "value": 1772323200000_i64}
            },
            "sort_order": "ascending",
            "limit": 3
        })))
        .respond_with(json_response(200, &fixture("list_page.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let query = CallQuery {
        kind: Some(CallKind::Phone),
        direction: Some(Direction::Outbound),
        agent_id: Some(AgentId::new("agent_3f9a12c7e45b8d01f6a2c9e7b4")),
        from_number: Some("+14155550142".into()),
        to_number: Some("+16175550187".into()),
        since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
        sort: Some(SortOrder::Ascending),
        page_size: Some(3),
        ..CallQuery::default()
    };
    let page = client(&api).list_calls(&query).await.unwrap();
    // The page also holds a web call and calls to other numbers: checked again here.
    let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [CALL_ID]);
    assert_eq!(
        page.calls[0].transcript, None,
        "list items carry no transcript"
    );
    assert!(matches!(page.next, Some(PageCursor::Token { .. })));
    assert_eq!(page.total, None);
}

#[tokio::test]
async fn list_without_a_query_sends_the_page_size_only() {
    let api = api().await;
    api.respond_json(
        "POST",
        "/v3/list-calls",
        200,
        &fixture("list_last_page.json"),
    )
    .await;
    let page = client(&api)
        .list_calls(&CallQuery::default())
        .await
        .unwrap();
    let sent: Value = serde_json::from_slice(&api.only_request().await.body).unwrap();
    assert_eq!(sent, json!({"limit": 50}));
    assert_eq!(page.calls.len(), 2);
    assert_eq!(page.next, None);
    assert_eq!(page.total, Some(5));
}

#[tokio::test]
async fn a_status_of_another_json_type_does_not_fail_the_page() {
    let api = api().await;
    let mut page: Value = serde_json::from_str(&fixture("list_last_page.json")).unwrap();
    let calls = page["items"].as_array_mut().unwrap();
    calls[0]["call_status"] = json!(4);
    calls[1]["call_type"] = json!(false);
    api.respond_json("POST", "/v3/list-calls", 200, &page.to_string())
        .await;
    let page = client(&api)
        .list_calls(&CallQuery::default())
        .await
        .unwrap();
    assert_eq!(page.calls.len(), 2);
    assert_eq!(page.calls[0].status, CallStatus::Unknown);
    assert_eq!(page.calls[0].vendor_status.as_deref(), Some("4"));
}

#[tokio::test]
async fn list_walks_pages_by_pagination_key() {
    let api = api().await;
    let key = "eyJzdGFydF90aW1lc3RhbXAiOjE3NzMyMzQ4OTIwNDYsImNhbGxfaWQiOiJjYWxsXzJkIn0";
    api.on("POST", "/v3/list-calls")
        .and(body_json(json!({"limit": 50})))
        .respond_with(json_response(200, &fixture("list_page.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    api.on("POST", "/v3/list-calls")
        .and(body_json(json!({"limit": 50, "pagination_key": key})))
        .respond_with(json_response(200, &fixture("list_last_page.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let retell = client(&api);
    let calls = collect_calls(&retell, CallQuery::default()).await.unwrap();
    assert_eq!(calls.len(), 5);
    assert_eq!(calls[4].status, CallStatus::Failed);
}

/// A server that ignores `pagination_key` and hands back a new one each time answers
/// the same page to every request. With a search (applied client-side) that keeps none
/// of its calls, each page the walk reads is empty: the walk stops on the third such
/// page, having compared the calls Retell sent, not the ones kept. (The server answers a
/// 500 after 50 pages, so that a walk that does not stop fails, not hangs.)
#[tokio::test]
async fn a_server_ignoring_the_pagination_key_ends_a_walk_whose_filter_empties_every_page() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let api = api().await;
    let page: Value = serde_json::from_str(&fixture("list_page.json")).unwrap();
    let served = AtomicUsize::new(0);
    let fresh_key = move |_: &wiremock::Request| {
        let mut page = page.clone();
        page["pagination_key"] = json!(format!("key-{}", served.fetch_add(1, Ordering::Relaxed)));
        json_response(200, &page.to_string())
    };
    api.answer_then_fail("POST", "/v3/list-calls", fresh_key, 50)
        .await;
    let query = CallQuery {
        search: Some("nothing on the page says this".into()),
        ..CallQuery::default()
    };
    api.assert_walk_stops_on_a_repeated_page(&client(&api), query, 3)
        .await;
}

#[tokio::test]
async fn statuses_and_search_are_filtered_client_side() {
    let api = api().await;
    api.on("POST", "/v3/list-calls")
        .respond_with(json_response(200, &fixture("list_page.json")))
        .mount(&api.server)
        .await;
    let retell = client(&api);
    let no_answer = CallQuery {
        statuses: vec![CallStatus::NoAnswer],
        ..CallQuery::default()
    };
    let page = retell.list_calls(&no_answer).await.unwrap();
    assert_eq!(page.calls.len(), 1);
    assert_eq!(
        page.calls[0].vendor_status.as_deref(),
        Some("not_connected")
    );
    // Paging is Retell's: the cursor survives the filter.
    assert!(page.next.is_some());
    let search = CallQuery {
        search: Some("router".into()),
        ..CallQuery::default()
    };
    let page = retell.list_calls(&search).await.unwrap();
    assert_eq!(page.calls.len(), 1);
    assert_eq!(page.calls[0].kind, CallKind::Web);
    for request in api.server.received_requests().await.unwrap() {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body, json!({"limit": 50}), "nothing client-side is sent");
    }
}

/// Live calls are asked for as such (`call_status` `ongoing`), and what comes back is
/// still checked: a server that answers with ended calls regardless finds none kept.
#[tokio::test]
async fn live_calls_are_asked_for_by_their_status() {
    let api = api().await;
    let live_only = json!({"limit": 50, "filter_criteria": {
        "call_status": {"type": "enum", "op": "in", "value": ["ongoing"]}}});
    api.on("POST", "/v3/list-calls")
        .and(body_json(&live_only))
        .respond_with(json_response(200, &fixture("list_page.json")))
        .mount(&api.server)
        .await;
    let live = CallQuery {
        statuses: vec![CallStatus::InProgress],
        ..CallQuery::default()
    };
    let page = client(&api).list_calls(&live).await.unwrap();
    assert!(page.calls.is_empty(), "{:?}", page.calls);
    assert_eq!(api.server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn unsupported_list_queries_are_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let retell = client(&api);
    for (filter, query) in [
        (
            "tags",
            CallQuery {
                tags: vec!["vip".into()],
                ..CallQuery::default()
            },
        ),
        (
            "campaign_id",
            CallQuery {
                campaign_id: Some("c".into()),
                ..CallQuery::default()
            },
        ),
    ] {
        let result = retell.list_calls(&query).await;
        assert!(
            matches!(result, Err(Error::Unsupported { operation: Operation::ListFilter(f), .. }) if f.name() == filter),
            "{filter}: {result:?}"
        );
    }
    let chat = CallQuery {
        kind: Some(CallKind::Chat),
        ..CallQuery::default()
    };
    // No call of the vendor is a chat: none listed, nothing asked (a merged walk over
    // several vendors lists the others' chats).
    let page = retell.list_calls(&chat).await.unwrap();
    assert!(page.calls.is_empty() && page.next.is_none(), "{page:?}");
    let foreign = CallQuery {
        cursor: Some(PageCursor::Offset { skip: 10 }),
        ..CallQuery::default()
    };
    let err = retell.list_calls(&foreign).await.unwrap_err();
    assert_refused_locally(&err, Operation::ListCalls, "not a Retell cursor");
}

// ---------------------------------------------------------------------------------------
// dial

#[tokio::test]
async fn dial_posts_create_phone_call_and_returns_the_new_call() {
    let api = api().await;
    api.on("POST", "/v2/create-phone-call")
        .and(body_json(json!({
            "from_number": "+14155550142",
            "to_number": "+16175550187",
            "override_agent_id": "agent_3f9a12c7e45b8d01f6a2c9e7b4",
            "metadata": {"patient_id": "PT-40977", "campaign": "spring-recall"},
            "retell_llm_dynamic_variables": {"patient_first_name": "Luis", "clinic_name": "Brightline Dental"},
            "custom_sip_headers": {"X-Campaign": "spring-recall"}
        })))
        .respond_with(json_response(201, &fixture("dial_response.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let mut request = DialRequest::to("+16175550187");
    request
        .variables
        .insert("patient_first_name".into(), json!("Luis"));
    request
        .variables
        .insert("clinic_name".into(), json!("Brightline Dental"));
    request
        .metadata
        .insert("patient_id".into(), json!("PT-40977"));
    request
        .metadata
        .insert("campaign".into(), json!("spring-recall"));
    request.extra.insert(
        "custom_sip_headers".into(),
        json!({"X-Campaign": "spring-recall"}),
    );
    let outcome = client_with_dial_defaults(&api)
        .dial(&request)
        .await
        .unwrap();
    assert_eq!(
        outcome.call_id.as_str(),
        "call_371ec9a07362c7f5ddbcbac2d6eb"
    );
    let call = outcome.call.expect("Retell answers with the call");
    assert_eq!(call.status, CallStatus::Queued);
    assert_eq!(call.vendor_status.as_deref(), Some("registered"));
}

/// A dial answered 201 with the documented answer as `change` leaves it.
async fn dial_answered_with(
    change: impl FnOnce(&mut serde_json::Value),
) -> voiceport_core::Result<voiceport_core::DialOutcome> {
    let api = api().await;
    let mut body: serde_json::Value = serde_json::from_str(&fixture("dial_response.json")).unwrap();
    change(&mut body);
    api.respond_json("POST", "/v2/create-phone-call", 201, &body.to_string())
        .await;
    client_with_dial_defaults(&api)
        .dial(&DialRequest::to("+16175550187"))
        .await
}

/// A 201 whose call drifted from the documented types (`call_analysis` a string) placed a
/// call all the same: the dial answers with its id, not a decode error.
#[tokio::test]
async fn a_dial_answer_that_does_not_decode_as_a_call_keeps_the_call_id() {
    let outcome = dial_answered_with(|body| {
        body["call_analysis"] = json!("pending");
        body["duration_ms"] = json!("0");
    })
    .await
    .unwrap();
    assert_eq!(
        outcome.call_id.as_str(),
        "call_371ec9a07362c7f5ddbcbac2d6eb"
    );
    assert!(outcome.call.is_none());
}

/// A 201 whose call has a blank `call_id` placed a call no one can look up: a decode error
/// at `call_id` whose outcome says the call was placed, not a dial answered with "".
#[tokio::test]
async fn a_dial_answer_with_a_blank_call_id_is_a_decode_error() {
    let err = dial_answered_with(|body| body["call_id"] = json!(" "))
        .await
        .unwrap_err();
    assert_eq!(err.json_path(), Some("call_id"), "{err:?}");
    assert_eq!(err.outcome(), voiceport_core::RequestOutcome::Applied);
}

#[tokio::test]
async fn dial_is_sent_exactly_once_on_a_500() {
    let api = api().await;
    // Retries are on for this client: the dial must still go out once.
    let retell = retrying(&api);
    let request = DialRequest::to("+16175550187");
    api.check_sent_once_on_500("POST", "/v2/create-phone-call", retell.dial(&request))
        .await;
}

#[tokio::test]
async fn dials_retell_cannot_take_are_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let no_defaults = client(&api);
    let err = no_defaults
        .dial(&DialRequest::to("+16175550187"))
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::Dial, "from_number");
    let retell = client_with_dial_defaults(&api);
    let base = || DialRequest::to("+16175550187");
    for (field, request) in [
        (
            "phone_number_id",
            DialRequest {
                phone_number_id: Some("pn".into()),
                ..base()
            },
        ),
        (
            "language",
            DialRequest {
                language: Some("en-US".into()),
                ..base()
            },
        ),
        (
            "name",
            DialRequest {
                name: Some("Spring".into()),
                ..base()
            },
        ),
    ] {
        let err = retell.dial(&request).await.unwrap_err();
        assert_unsupported_field(&err, ProviderKind::Retell, field);
    }
    let scheduled = DialRequest {
        // In the future whatever the date the tests run on: a past one is refused too.
        scheduled_for: Some("2099-04-01T09:00:00Z".parse().unwrap()),
        ..base()
    };
    assert_unsupported(&retell.dial(&scheduled).await, ProviderKind::Retell);
}

// ---------------------------------------------------------------------------------------
// update_call, end_call, delete_call

#[tokio::test]
async fn update_replaces_the_metadata() {
    let api = api().await;
    let metadata = BTreeMap::from([("crm_id".to_owned(), json!("A-17"))]);
    api.on("PATCH", &format!("/v2/update-call/{CALL_ID}"))
        .and(body_json(json!({"metadata": {"crm_id": "A-17"}})))
        .respond_with(json_response(
            200,
            &fixture("call_phone_outbound_completed.json"),
        ))
        .expect(1)
        .mount(&api.server)
        .await;
    let update = CallUpdate {
        metadata: Some(metadata),
        metadata_mode: MetadataMode::Replace,
        ..CallUpdate::default()
    };
    let call = client(&api)
        .update_call(&CallId::new(CALL_ID), &update)
        .await
        .unwrap();
    assert_eq!(call.id.as_str(), CALL_ID);
}

#[tokio::test]
async fn updates_retell_cannot_make_are_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let retell = client(&api);
    let id = CallId::new(CALL_ID);
    let merge = CallUpdate {
        metadata: Some(BTreeMap::from([("a".to_owned(), json!(1))])),
        metadata_mode: MetadataMode::Merge,
        ..CallUpdate::default()
    };
    let result = retell.update_call(&id, &merge).await;
    assert!(
        matches!(
            result,
            Err(Error::Unsupported {
                operation: Operation::UpdateField("metadata (merge)"),
                ..
            })
        ),
        "{result:?}"
    );
    // Retell replaces metadata whole: the refusal says to.
    let said = result.unwrap_err().to_string();
    assert!(said.contains("with `MetadataMode::Replace`"), "{said}");
    let name = CallUpdate {
        name: Some("Renewal".into()),
        ..CallUpdate::default()
    };
    assert_unsupported(&retell.update_call(&id, &name).await, ProviderKind::Retell);
    let err = retell
        .update_call(&id, &CallUpdate::default())
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::UpdateCall, "nothing");
}

#[tokio::test]
async fn end_call_posts_stop_call_and_delete_deletes() {
    let api = api().await;
    for (verb, tail) in [
        ("POST", format!("/v2/stop-call/{CALL_ID}")),
        ("DELETE", format!("/v2/delete-call/{CALL_ID}")),
    ] {
        api.on(verb, &tail)
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&api.server)
            .await;
    }
    let retell = client(&api);
    let id = CallId::new(CALL_ID);
    retell.end_call(&id).await.unwrap();
    retell.delete_call(&id).await.unwrap();
    for request in api.server.received_requests().await.unwrap() {
        assert!(request.body.is_empty(), "{} has no body", request.url);
    }
}

/// Inferred: Retell documents no answer to a stop of a call that is over (the sandbox
/// answers 204); read as its catch-all 422, whatever it is then: for a call that reads
/// back as over, the stop has nothing left to do and succeeds; a call still live is a
/// conflict saying so (it exists: a not-found would have the application stop following
/// it), and a call that does not read back keeps the not-found.
#[tokio::test]
async fn stopping_a_call_that_is_over_succeeds() {
    for (call, ends) in [
        ("call_phone_outbound_completed.json", true),
        ("call_ongoing.json", false),
    ] {
        let api = api().await;
        api.respond_json(
            "POST",
            &format!("/v2/stop-call/{CALL_ID}"),
            422,
            &retell_error(422),
        )
        .await;
        api.respond_json("GET", &get_path(CALL_ID), 200, &fixture(call))
            .await;
        let result = client(&api).end_call(&CallId::new(CALL_ID)).await;
        match (ends, result) {
            (true, Ok(())) => {}
            (
                false,
                Err(Error::Conflict {
                    operation: Operation::EndCall,
                    message: Some(message),
                    ..
                }),
            ) if message.contains("the call exists, in_progress") => {}
            (_, other) => panic!("{call}: {other:?}"),
        }
    }
    // A call that does not read back: the not-found stands.
    let api = api().await;
    let stop = format!("/v2/stop-call/{CALL_ID}");
    api.respond_json("POST", &stop, 422, &retell_error(422))
        .await;
    api.respond_json("GET", &get_path(CALL_ID), 422, &retell_error(422))
        .await;
    let result = client(&api).end_call(&CallId::new(CALL_ID)).await;
    assert!(matches!(result, Err(Error::NotFound { .. })), "{result:?}");
}

// ---------------------------------------------------------------------------------------
// Error statuses, retries

/// Every error status on an endpoint that names a call: Retell's 422 (and a 404, should
/// one come) is `NotFound` with Retell's message, its 400 keeps Retell's message; the rest
/// as the core maps them.
async fn check_per_call_errors<T, Fut>(
    api: &VendorApi,
    verb: &str,
    tail: &str,
    operation: Operation,
    send: impl FnMut() -> Fut,
) where
    T: Debug,
    Fut: Future<Output = voiceport_core::Result<T>>,
{
    let mapped = |status, err: &Error| match status {
        422 => matches!(err, Error::NotFound { message: Some(m), .. }
            if m == "Cannot find requested asset under given api key."),
        400 => matches!(err, Error::InvalidRequest { status: Some(400), message, .. }
            if message == "Invalid request format, please check API reference."),
        _ => maps_as_documented(status, err),
    };
    api.check_error_statuses_mapped(verb, tail, operation, retell_error, mapped, send)
        .await;
}

#[tokio::test]
async fn every_endpoint_maps_error_statuses() {
    let api = api().await;
    let retell = client_with_dial_defaults(&api);
    let id = CallId::new(CALL_ID);
    check_per_call_errors(&api, "GET", &get_path(CALL_ID), Operation::GetCall, || {
        retell.get_call(&id)
    })
    .await;
    // Read from the call, and named for what was asked.
    let transcript = Operation::GetTranscript;
    check_per_call_errors(&api, "GET", &get_path(CALL_ID), transcript, || {
        retell.get_transcript(&id)
    })
    .await;
    let recording = Operation::GetRecording;
    check_per_call_errors(&api, "GET", &get_path(CALL_ID), recording, || {
        retell.get_recording(&id)
    })
    .await;
    let update = CallUpdate {
        metadata: Some(BTreeMap::new()),
        metadata_mode: MetadataMode::Replace,
        ..CallUpdate::default()
    };
    let tail = format!("/v2/update-call/{CALL_ID}");
    check_per_call_errors(&api, "PATCH", &tail, Operation::UpdateCall, || {
        retell.update_call(&id, &update)
    })
    .await;
    let tail = format!("/v2/stop-call/{CALL_ID}");
    check_per_call_errors(&api, "POST", &tail, Operation::EndCall, || {
        retell.end_call(&id)
    })
    .await;
    let tail = format!("/v2/delete-call/{CALL_ID}");
    check_per_call_errors(&api, "DELETE", &tail, Operation::DeleteCall, || {
        retell.delete_call(&id)
    })
    .await;
    // Where no call is named, a 422 stays an invalid request (the kit's mapping).
    let query = CallQuery::default();
    api.check_error_statuses(
        "POST",
        "/v3/list-calls",
        Operation::ListCalls,
        retell_error,
        || retell.list_calls(&query),
    )
    .await;
    let dial = DialRequest::to("+16175550187");
    api.check_error_statuses(
        "POST",
        "/v2/create-phone-call",
        Operation::Dial,
        retell_error,
        || retell.dial(&dial),
    )
    .await;
}

#[tokio::test]
async fn a_402_is_reported_with_retells_message() {
    let api = api().await;
    api.respond_json("POST", "/v2/create-phone-call", 402, &retell_error(402))
        .await;
    let err = client_with_dial_defaults(&api)
        .dial(&DialRequest::to("+16175550187"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus { status: 402, message: Some(m), .. }
            if m == "Trial has ended, please add payment method."),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
}

#[tokio::test]
async fn reads_are_retried() {
    let api = api().await;
    let retell = retrying(&api);
    let id = CallId::new(CALL_ID);
    let call = api
        .check_read_retried_on_503(
            "GET",
            &get_path(CALL_ID),
            &fixture("call_phone_outbound_completed.json"),
            retell.get_call(&id),
        )
        .await;
    assert_eq!(call.id.as_str(), CALL_ID);
    let query = CallQuery::default();
    let page = api
        .check_read_retried_on_503(
            "POST",
            "/v3/list-calls",
            &fixture("list_page.json"),
            retell.list_calls(&query),
        )
        .await;
    assert_eq!(page.calls.len(), 3);
}

/// A 409 is retried as Retell's SDK retries it, on reads and on stop-call alike; an
/// answer's `x-should-retry: false` stops it, and a dial answered 409 goes out once.
#[tokio::test]
async fn a_conflict_is_retried_as_retells_sdk_retries_it() {
    let api = api().await;
    let retell = retrying(&api);
    let id = CallId::new(CALL_ID);
    let conflict = || json_response(409, &retell_error(409));
    // A read: the 409, then the call.
    let call = api
        .check_read_retried_after(
            "GET",
            &get_path(CALL_ID),
            conflict(),
            &fixture("call_phone_outbound_completed.json"),
            retell.get_call(&id),
        )
        .await;
    assert_eq!(call.id, id);
    // Stopping the call: the 409, then 204.
    let stop = format!("/v2/stop-call/{CALL_ID}");
    api.on("POST", &stop)
        .respond_with(conflict())
        .up_to_n_times(1)
        .expect(1)
        .mount(&api.server)
        .await;
    api.on("POST", &stop)
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&api.server)
        .await;
    retell.end_call(&id).await.unwrap();
    api.server.verify().await;
    api.server.reset().await;
    // The vendor's header wins: not sent again.
    api.on("GET", &get_path(CALL_ID))
        .respond_with(conflict().insert_header("x-should-retry", "false"))
        .expect(1)
        .mount(&api.server)
        .await;
    let err = retell.get_call(&id).await.unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    api.server.verify().await;
    api.server.reset().await;
    // A dial answered 409 reached Retell: never sent again.
    api.respond_json("POST", "/v2/create-phone-call", 409, &retell_error(409))
        .await;
    let err = retell
        .dial(&DialRequest::to("+16175550187"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    api.server.verify().await;
}

/// A delete whose first answer is lost (a 503 after sending) and whose retry finds the call
/// gone (Retell's 422) succeeded; a delete answered 422 at once is not found.
#[tokio::test]
async fn a_delete_that_finds_the_call_gone_on_a_retry_succeeded() {
    let api = api().await;
    let tail = format!("/v2/delete-call/{CALL_ID}");
    api.lose_first_answer("DELETE", &tail).await;
    api.on("DELETE", &tail)
        .respond_with(json_response(422, &retell_error(422)))
        .expect(2)
        .mount(&api.server)
        .await;
    let retell = retrying(&api);
    let id = CallId::new(CALL_ID);
    retell.delete_call(&id).await.unwrap();
    let err = retell.delete_call(&id).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { operation: Operation::DeleteCall, message: Some(m), .. }
            if m == "Cannot find requested asset under given api key."),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Secrets, configuration, capabilities, webhooks

#[tokio::test]
async fn debug_never_shows_the_key() {
    let api = api().await;
    let retell = client_with_dial_defaults(&api);
    let debug = format!("{retell:?}");
    assert_key_hidden(&debug);
    assert!(
        debug.contains("+14155550142"),
        "options are visible: {debug}"
    );
}

#[tokio::test]
async fn unsupported_operations_say_so() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let retell = client(&api);
    let id = CallId::new(CALL_ID);
    let note = NoteId::new("n1");
    let results: Vec<(Operation, voiceport_core::Result<()>)> = vec![
        (Operation::CancelCall, retell.cancel_call(&id).await),
        (
            Operation::AddNote,
            retell.add_note(&id, &NoteInput::new("x")).await.map(drop),
        ),
        (
            Operation::UpdateNote,
            retell
                .update_note(&id, &note, &NoteUpdate::text("x"))
                .await
                .map(drop),
        ),
        (
            Operation::DeleteNote,
            retell.delete_note(&id, &note).await.map(drop),
        ),
    ];
    for (operation, result) in results {
        assert!(
            matches!(result, Err(Error::Unsupported { operation: op, .. }) if op == operation),
            "{operation}: {result:?}"
        );
    }
    // Ids are opaque; only an empty one is refused.
    let err = retell.get_call(&CallId::new("")).await.unwrap_err();
    assert_refused_locally(&err, Operation::GetCall, "malformed");
}

/// A client that never reaches a server (for what needs no network).
fn offline() -> Retell {
    let config = ProviderConfig::new(ProviderKind::Retell)
        .with_api_key(KEY)
        .with_base_url("http://127.0.0.1:9");
    Retell::from_config(&config).unwrap()
}

#[test]
fn capabilities_are_as_documented() {
    let caps = offline().capabilities();
    assert!(caps.get_call && caps.list_calls && caps.dial && caps.webhooks);
    assert!(caps.end_call && caps.delete_call && caps.update_metadata_replace);
    assert!(!caps.update_metadata_merge && !caps.update_name && !caps.cancel_call);
    assert!(!caps.notes && !caps.dial_scheduled);
    assert!(caps.transcript && caps.recording && caps.inline_transcript);
    assert!(caps.cost && caps.analysis);
    assert!(
        caps.filter_kind
            && caps.filter_direction
            && caps.filter_time_range
            && caps.filter_agent
            && caps.filter_from_number
            && caps.filter_to_number
            && caps.filter_statuses
            && caps.filter_search
            && caps.sort
    );
    assert!(!caps.filter_tags && !caps.filter_campaign);
    assert!(caps.server_paging && caps.client_side_filtering);
    assert_eq!((caps.max_page_size, caps.default_page_size), (1000, 50));
}

#[test]
fn config_is_checked() {
    let other = ProviderConfig::new(ProviderKind::Rounded).with_api_key(KEY);
    match Retell::from_config(&other).unwrap_err() {
        Error::Config { field, .. } => assert_eq!(field, "kind"),
        other => panic!("{other:?}"),
    }
    let typo = ProviderConfig::new(ProviderKind::Retell)
        .with_api_key(KEY)
        .with_option("from_numbr", "+1");
    match Retell::from_config(&typo).unwrap_err() {
        Error::Config { field, message, .. } => {
            assert_eq!(field, "options.from_numbr");
            assert!(message.contains("unknown field"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Retell::from_config(&ProviderConfig::new(ProviderKind::Retell)),
        Err(Error::Config { .. })
    ));
    let retell =
        Retell::from_config(&ProviderConfig::new(ProviderKind::Retell).with_api_key(KEY)).unwrap();
    assert_eq!(
        retell.options(),
        &voiceport_retell::RetellOptions::default()
    );
    assert_eq!(
        voiceport_retell::DEFAULT_BASE_URL,
        "https://api.retellai.com"
    );
}

#[test]
fn the_client_parses_webhooks() {
    let event = offline()
        .parse_webhook(fixture("webhook_call_ended.json").as_bytes())
        .unwrap();
    assert_eq!(event.call_id().map(CallId::as_str), Some(CALL_ID));
    assert!(matches!(event.kind, EventKind::Ended { .. }));
}

/// Verification is core's (`voiceport_core::webhook`, scheme `retell`, the default for
/// Retell, keyed with the API key): Retell's published test vector passes for a Retell
/// provider, and a delivery signed the same way verifies, then parses with this codec.
#[test]
fn signed_deliveries_verify_then_parse() {
    use voiceport_core::http::{HeaderMap, HeaderValue};
    use voiceport_core::webhook::{Verifier, WebhookConfig};
    use voiceport_core::{Codec, SecretString};
    use voiceport_retell::RetellCodec;

    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap();
    let key = SecretString::from("test-api-key");
    let verifier = Verifier::from_config(
        ProviderKind::Retell,
        &WebhookConfig::default(),
        "providers.retell.webhook",
        Some(&key),
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-retell-signature",
        HeaderValue::from_static(
            "v=1700000000000,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e",
        ),
    );
    let vector = br#"{"event":"call_ended"}"#;
    assert!(
        verifier
            .verify_at(&headers, vector, at(1_700_000_000_000))
            .is_ok()
    );
    // The vector's body has no call: it parses as a delivery kept whole.
    let event = RetellCodec.decode_webhook(vector).unwrap();
    assert!(matches!(event.kind, EventKind::Other { .. }));

    let body = fixture("webhook_call_analyzed.json");
    let now = at(1_773_157_400_000);
    let signed = verifier.sign(body.as_bytes(), now);
    assert!(verifier.verify_at(&signed, body.as_bytes(), now).is_ok());
    assert!(
        verifier
            .verify_at(&signed, body.replace("Dana", "Dina").as_bytes(), now)
            .is_err()
    );
    let event = RetellCodec.decode_webhook(body.as_bytes()).unwrap();
    assert_eq!(event.status(), Some(CallStatus::Completed));
}
