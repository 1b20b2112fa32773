//! The Rounded client over HTTP, against the core's vendor test kit (wiremock): paths,
//! auth, query and body shapes, response mapping, error statuses, and what is refused
//! before sending.

mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::{CALL_ID, fixture};
use voiceport_core::testing::http::{
    Auth, KEY, VendorApi, assert_key_hidden, assert_refused_locally, assert_unsupported,
    assert_unsupported_field, collect_calls, json_response,
};
use voiceport_core::{
    AgentId, CallId, CallKind, CallQuery, CallStatus, CallUpdate, DialRequest, Direction,
    EndReasonCategory, Error, FieldError, MetadataMode, NoteId, NoteInput, NoteUpdate, Operation,
    PageCursor, ProviderConfig, ProviderKind, RequestOutcome, SortOrder, Speaker, VoiceProvider,
};
use voiceport_rounded::Rounded;
use wiremock::matchers::{body_json, header, query_param, query_param_is_missing};

async fn api() -> VendorApi {
    VendorApi::start(ProviderKind::Rounded, "/v1", Auth::Header("X-Api-Key")).await
}

/// A client without retries or options.
fn client(api: &VendorApi) -> Rounded {
    Rounded::from_config(&api.config()).unwrap()
}

fn with_dial_defaults(config: ProviderConfig) -> ProviderConfig {
    config
        .with_option("from_number", "+33199001234")
        .with_option("agent_id", "3407d20e-0e63-4a9f-9837-dd4df2fa2aee")
}

/// A client whose dial defaults are set in its options.
fn client_with_dial_defaults(api: &VendorApi) -> Rounded {
    Rounded::from_config(&with_dial_defaults(api.config())).unwrap()
}

/// A client with retries on (tiny backoffs) and the dial defaults.
fn retrying(api: &VendorApi) -> Rounded {
    Rounded::from_config(&with_dial_defaults(api.config_with_retries())).unwrap()
}

fn call_path(id: &str) -> String {
    format!("/calls/{id}")
}

/// The query pairs of the only request the server received.
async fn query_of_only_request(api: &VendorApi) -> BTreeMap<String, String> {
    api.only_request()
        .await
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn error_envelope(status: u16, message: &str) -> String {
    json!({
        "message": message,
        "data": null,
        "error": {"details": [], "message": message, "status": status, "type": "generic_error"},
        "status": status
    })
    .to_string()
}

// ---------------------------------------------------------------------------------------
// get_call, transcript, recording

#[tokio::test]
async fn get_call_sends_the_key_and_maps_the_call() {
    let api = api().await;
    api.respond_json("GET", &call_path(CALL_ID), 200, &fixture("get_call.json"))
        .await;
    let call = client(&api).get_call(&CallId::new(CALL_ID)).await.unwrap();

    assert_eq!(call.id.as_str(), CALL_ID);
    assert_eq!(call.provider, ProviderKind::Rounded);
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.vendor_status.as_deref(), Some("completed"));
    assert_eq!(call.end_reason, None);
    assert_eq!(call.kind, CallKind::Phone);
    assert_eq!(call.direction, Some(Direction::Outbound));
    assert_eq!(call.from.as_deref(), Some("+16175550142"));
    assert_eq!(call.to.as_deref(), Some("+16175550187"));
    assert_eq!(
        call.agent
            .as_ref()
            .and_then(|a| a.id.as_ref())
            .map(AgentId::as_str),
        Some("3407d20e-0e63-4a9f-9837-dd4df2fa2aee")
    );
    assert_eq!(call.duration_secs, Some(38.0));
    assert_eq!(call.cost.as_ref().and_then(|c| c.total), Some(0.019));
    assert_eq!(
        call.started_at,
        Some("2026-03-23T18:04:11Z".parse().unwrap())
    );
    assert_eq!(call.created_at, call.started_at);
    assert_eq!(call.ended_at, Some("2026-03-23T18:04:49Z".parse().unwrap()));
    assert_eq!(call.metadata.get("store_id"), Some(&json!("BOS-014")));
    let transcript = call.transcript.as_ref().unwrap();
    assert_eq!(transcript.utterances.len(), 7);
    assert_eq!(transcript.utterances[0].speaker, Speaker::Agent);
    assert_eq!(transcript.utterances[0].start_secs, Some(1.0));
    assert_eq!(transcript.utterances[1].speaker, Speaker::Customer);
    assert!(transcript.text.as_deref().unwrap().starts_with("Agent: Hi"));
    assert_eq!(
        call.analysis.extracted.get("patient_name"),
        Some(&json!("Michael Torres"))
    );
    assert_eq!(
        call.analysis.extracted.get("pickup_plan"),
        Some(&json!("Tomorrow after work"))
    );
    assert!(
        call.recording
            .as_ref()
            .unwrap()
            .mono_url
            .as_deref()
            .unwrap()
            .starts_with("https://")
    );
    let payload = call.vendor_payload().unwrap().to_value();
    assert_eq!(payload["secure_recording_url"], json!(false));
}

#[tokio::test]
async fn an_error_object_next_to_data_is_ignored() {
    let api = api().await;
    let id = "e65aaebf-d14b-44fc-b3d7-e52e64b49888";
    api.respond_json(
        "GET",
        &call_path(id),
        200,
        &fixture("get_error_present.json"),
    )
    .await;
    let call = client(&api).get_call(&CallId::new(id)).await.unwrap();
    assert_eq!(call.status, CallStatus::Completed);
}

#[tokio::test]
async fn a_2xx_with_null_data_and_an_error_is_invalid_request() {
    let api = api().await;
    api.respond_json(
        "GET",
        &call_path(CALL_ID),
        200,
        &fixture("error_envelope_400.json"),
    )
    .await;
    let err = client(&api)
        .get_call(&CallId::new(CALL_ID))
        .await
        .unwrap_err();
    match &err {
        Error::InvalidRequest {
            provider,
            operation,
            status,
            message,
            details,
            ..
        } => {
            assert_eq!(*provider, ProviderKind::Rounded);
            assert_eq!(*operation, Operation::GetCall);
            assert_eq!(*status, Some(400));
            assert_eq!(message, "An error occurred while processing your request");
            assert_eq!(details.len(), 2);
            assert_eq!(details[0].field, "to_number");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_2xx_with_null_data_and_no_error_is_a_decode_error() {
    let api = api().await;
    let body = json!({"message": "ok", "data": null, "error": null, "status": 200});
    api.respond_json("GET", &call_path(CALL_ID), 200, &body.to_string())
        .await;
    let err = client(&api)
        .get_call(&CallId::new(CALL_ID))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "data"),
        "{err:?}"
    );
    assert_eq!(err.outcome(), RequestOutcome::Applied);
}

#[tokio::test]
async fn a_broken_call_names_the_json_path() {
    let api = api().await;
    let body = json!({"data": {"id": CALL_ID, "transcript": [{"role": ["agent"]}]}});
    api.respond_json("GET", &call_path(CALL_ID), 200, &body.to_string())
        .await;
    let err = client(&api)
        .get_call(&CallId::new(CALL_ID))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "data.transcript[0].role"),
        "{err:?}"
    );
}

#[tokio::test]
async fn transcript_and_recording_come_from_the_call() {
    let api = api().await;
    let id = "354eb5c1-5624-4aaf-a5b7-7fb94405d8a1";
    api.on("GET", &call_path(id))
        .respond_with(json_response(
            200,
            &fixture("get_call_transcript_variables.json"),
        ))
        .expect(2)
        .mount(&api.server)
        .await;
    let rounded = client(&api);
    let id = CallId::new(id);
    let transcript = rounded.get_transcript(&id).await.unwrap();
    let speakers: Vec<&Speaker> = transcript.utterances.iter().map(|u| &u.speaker).collect();
    assert_eq!(speakers.iter().filter(|s| ***s == Speaker::Tool).count(), 2);
    assert_eq!(transcript.utterances[3].start_secs, Some(12.0));
    let recording = rounded.get_recording(&id).await.unwrap().unwrap();
    assert!(
        recording
            .mono_url
            .unwrap()
            .contains("354eb5c1-5624-4aaf-a5b7-7fb94405d8a1.mp3")
    );
    assert_eq!(recording.stereo_url, None);
}

// ---------------------------------------------------------------------------------------
// list_calls

#[tokio::test]
async fn list_in_cursor_mode_sends_every_parameter_explicitly() {
    let api = api().await;
    api.respond_json("GET", "/calls", 200, &fixture("list_cursor.json"))
        .await;
    let query = CallQuery {
        kind: Some(CallKind::Phone),
        agent_id: Some(AgentId::new("3407d20e-0e63-4a9f-9837-dd4df2fa2aee")),
        // Written with spaces, dashes and parentheses: sent as E.164, as a dial's are.
        from_number: Some("+1 617-555-0142".into()),
        to_number: Some("+1 (617) 555-0120".into()),
        since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
        until: Some("2026-03-24T00:00:00Z".parse().unwrap()),
        page_size: Some(3),
        ..CallQuery::default()
    };
    let page = client(&api).list_calls(&query).await.unwrap();
    let sent = query_of_only_request(&api).await;
    let expected: BTreeMap<String, String> = [
        ("agent_id", "3407d20e-0e63-4a9f-9837-dd4df2fa2aee"),
        ("call_type", "phone_call"),
        ("from_number", "+16175550142"),
        ("to_number", "+16175550120"),
        // `since` is inclusive, Rounded's filter is "greater than": one millisecond before.
        ("start_time_gt", "2026-02-28T23:59:59.999Z"),
        ("start_time_lt", "2026-03-24T00:00:00Z"),
        ("limit", "3"),
        ("use_cursor", "true"),
        ("include_transcript", "true"),
        ("include_variable_values", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(sent, expected);

    // The answer also holds calls to two other numbers: every filter is checked again on
    // what Rounded returned, so that one it ignored never widens the result.
    let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c339f184-2c0c-4d58-a928-bccda6079bf4"]);
    assert!(page.calls.iter().all(|c| c.vendor_payload().is_some()));
    assert_eq!(
        page.next,
        Some(PageCursor::Token {
            token: "2026-03-23T17:51:03Z".into()
        })
    );
    assert_eq!(page.total, None);
}

#[tokio::test]
async fn list_walks_cursor_pages_to_the_end() {
    let api = api().await;
    api.on("GET", "/calls")
        .and(query_param_is_missing("cursor"))
        .respond_with(json_response(200, &fixture("list_cursor.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    api.on("GET", "/calls")
        .and(query_param("cursor", "2026-03-23T17:51:03Z"))
        .and(query_param("use_cursor", "true"))
        .and(query_param_is_missing("page"))
        .respond_with(json_response(200, &fixture("list_cursor_last_page.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let rounded = client(&api);
    let calls = collect_calls(&rounded, CallQuery::default()).await.unwrap();
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[3].id.as_str(), "5a481377-303a-4a9c-b914-4960958f473e");
}

#[tokio::test]
async fn list_in_page_mode_uses_page_numbers_and_reports_the_total() {
    let api = api().await;
    api.on("GET", "/calls")
        .and(query_param("use_cursor", "false"))
        .and(query_param("page", "2"))
        .and(query_param("include_transcript", "false"))
        .and(query_param("include_variable_values", "true"))
        .and(query_param_is_missing("cursor"))
        .respond_with(json_response(200, &fixture("list_page_mode.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let config = api
        .config()
        .with_option("paging", "page")
        .with_option("include_transcript", false);
    let rounded = Rounded::from_config(&config).unwrap();
    let query = CallQuery {
        cursor: Some(PageCursor::Page { number: 2 }),
        page_size: Some(3),
        ..CallQuery::default()
    };
    let page = rounded.list_calls(&query).await.unwrap();
    assert_eq!(page.calls.len(), 3);
    assert_eq!(page.next, Some(PageCursor::Page { number: 3 }));
    assert_eq!(page.total, Some(13));
    // The voicemail call of the page.
    let voicemail = &page.calls[1];
    assert_eq!(voicemail.status, CallStatus::Voicemail);
    assert_eq!(
        voicemail.end_reason.as_ref().map(|r| r.category),
        Some(EndReasonCategory::Voicemail)
    );
}

#[tokio::test]
async fn first_page_in_page_mode_sends_use_cursor_false() {
    let api = api().await;
    api.on("GET", "/calls")
        .and(query_param("use_cursor", "false"))
        .and(query_param("limit", "50"))
        .and(query_param_is_missing("page"))
        .respond_with(json_response(200, &fixture("list_page_mode.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let rounded = Rounded::from_config(&api.config().with_option("paging", "page")).unwrap();
    let page = rounded.list_calls(&CallQuery::default()).await.unwrap();
    assert_eq!(page.next, Some(PageCursor::Page { number: 3 }));
}

#[tokio::test]
async fn direction_status_and_search_are_filtered_client_side() {
    let api = api().await;
    api.on("GET", "/calls")
        .respond_with(json_response(200, &fixture("list_page_mode.json")))
        .mount(&api.server)
        .await;
    let rounded = Rounded::from_config(&api.config().with_option("paging", "page")).unwrap();
    let caps = rounded.capabilities();
    assert!(
        caps.client_side_filtering
            && caps.filter_direction
            && caps.filter_statuses
            && caps.filter_search
    );

    let inbound = CallQuery {
        direction: Some(Direction::Inbound),
        ..CallQuery::default()
    };
    let page = rounded.list_calls(&inbound).await.unwrap();
    assert_eq!(page.calls.len(), 1);
    assert_eq!(page.calls[0].direction, Some(Direction::Inbound));
    // Paging is the server's: the next cursor is still there.
    assert_eq!(page.next, Some(PageCursor::Page { number: 3 }));

    let voicemail = CallQuery {
        statuses: vec![CallStatus::Voicemail],
        ..CallQuery::default()
    };
    let page = rounded.list_calls(&voicemail).await.unwrap();
    assert_eq!(page.calls.len(), 1);
    assert_eq!(
        page.calls[0].id.as_str(),
        "4b2db56b-c6f0-4829-bc4e-0897250c0ece"
    );

    let search = CallQuery {
        search: Some("HP-20902".into()),
        ..CallQuery::default()
    };
    let page = rounded.list_calls(&search).await.unwrap();
    assert_eq!(page.calls.len(), 1);
    assert_eq!(
        page.calls[0].id.as_str(),
        "d403b58e-c301-4897-9386-8a2df8f23b4f"
    );

    // None of these went to Rounded.
    for request in api.server.received_requests().await.unwrap() {
        let keys: Vec<String> = request
            .url
            .query_pairs()
            .map(|(k, _)| k.into_owned())
            .collect();
        for filter in ["direction", "status", "statuses", "search"] {
            assert!(!keys.iter().any(|k| k == filter), "{filter} sent: {keys:?}");
        }
    }
}

#[tokio::test]
async fn unsupported_filters_are_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let rounded = client(&api);
    let cases = [
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
        (
            "sort",
            CallQuery {
                sort: Some(SortOrder::Ascending),
                ..CallQuery::default()
            },
        ),
    ];
    for (filter, query) in cases {
        let result = rounded.list_calls(&query).await;
        assert_unsupported(&result, ProviderKind::Rounded);
        assert!(
            matches!(result, Err(Error::Unsupported { operation: Operation::ListFilter(f), .. }) if f.name() == filter),
            "{filter}"
        );
    }
    let chat = CallQuery {
        kind: Some(CallKind::Chat),
        ..CallQuery::default()
    };
    // No call of the vendor is a chat: none listed, nothing asked (a merged walk over
    // several vendors lists the others' chats).
    let page = rounded.list_calls(&chat).await.unwrap();
    assert!(page.calls.is_empty() && page.next.is_none(), "{page:?}");
    let foreign = CallQuery {
        cursor: Some(PageCursor::Offset { skip: 10 }),
        ..CallQuery::default()
    };
    let err = rounded.list_calls(&foreign).await.unwrap_err();
    assert_refused_locally(&err, Operation::ListCalls, "not a Rounded cursor");
}

#[tokio::test]
async fn web_calls_are_listed_with_call_type_web_call() {
    let api = api().await;
    api.on("GET", "/calls")
        .and(query_param("call_type", "web_call"))
        .respond_with(json_response(
            200,
            &json!({"message": "Calls retrieved successfully", "data": [], "error": null, "status": 200}).to_string(),
        ))
        .expect(1)
        .mount(&api.server)
        .await;
    let query = CallQuery {
        kind: Some(CallKind::Web),
        ..CallQuery::default()
    };
    let page = client(&api).list_calls(&query).await.unwrap();
    assert!(page.calls.is_empty());
    assert_eq!(page.next, None);
}

// ---------------------------------------------------------------------------------------
// dial

#[tokio::test]
async fn dial_posts_the_start_call_body_and_returns_the_id_only() {
    let api = api().await;
    api.on("POST", "/calls/phone")
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "from_number": "+33199001234",
            "to_number": "+33639981234",
            "agent_id": "3407d20e-0e63-4a9f-9837-dd4df2fa2aee",
            "dynamic_variables_values": {"first_name": "Ada", "visits": 3},
            "sip_headers": {"X-Campaign": "spring"}
        })))
        .respond_with(json_response(201, &fixture("start_call_response.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let mut request = DialRequest::to("+33639981234");
    request.variables.insert("first_name".into(), json!("Ada"));
    request.variables.insert("visits".into(), json!(3));
    request
        .extra
        .insert("sip_headers".into(), json!({"X-Campaign": "spring"}));
    let outcome = client_with_dial_defaults(&api)
        .dial(&request)
        .await
        .unwrap();
    assert_eq!(
        outcome.call_id.as_str(),
        "b48d0eec-c2e3-4b12-85c6-2aa47f65badb"
    );
    assert!(
        outcome.call.is_none(),
        "Rounded returns only the id; voiceport does not fetch the call"
    );
}

#[tokio::test]
async fn dial_request_fields_win_over_options_and_empty_variables_are_omitted() {
    let api = api().await;
    api.on("POST", "/calls/phone")
        .and(body_json(json!({
            "from_number": "+16175550142",
            "to_number": "+16175550187",
            "agent_id": "96732211-e885-487b-acef-36938e075878"
        })))
        .respond_with(json_response(201, &fixture("start_call_response.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let request = DialRequest {
        from_number: Some("+16175550142".into()),
        agent_id: Some(AgentId::new("96732211-e885-487b-acef-36938e075878")),
        ..DialRequest::to("+16175550187")
    };
    client_with_dial_defaults(&api)
        .dial(&request)
        .await
        .unwrap();
}

#[tokio::test]
async fn dial_is_sent_exactly_once_on_a_500() {
    let api = api().await;
    // Retries are on for this client: the dial must still go out once.
    let rounded = retrying(&api);
    let request = DialRequest::to("+33639981234");
    api.check_sent_once_on_500("POST", "/calls/phone", rounded.dial(&request))
        .await;
}

/// The HTTP status decides success: a dial answered 201 whose envelope names a 400 may
/// have placed the call, so its outcome is unknown (a failover route must not dial again).
#[tokio::test]
async fn dial_refused_inside_a_success_answer_has_an_unknown_outcome() {
    let api = api().await;
    api.respond_json(
        "POST",
        "/calls/phone",
        201,
        &fixture("error_envelope_400.json"),
    )
    .await;
    let err = client_with_dial_defaults(&api)
        .dial(&DialRequest::to("+33639981234"))
        .await
        .unwrap_err();
    match &err {
        Error::InvalidRequest {
            operation: Operation::Dial,
            status: Some(200),
            message,
            details,
            ..
        } => {
            assert_eq!(message, "An error occurred while processing your request");
            assert_eq!(details.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.outcome(), RequestOutcome::Unknown);
}

#[tokio::test]
async fn dial_fields_rounded_cannot_take_are_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let rounded = client_with_dial_defaults(&api);
    let base = DialRequest::to("+33639981234");
    let cases: Vec<(&str, DialRequest)> = vec![
        (
            "phone_number_id",
            DialRequest {
                phone_number_id: Some("pn".into()),
                ..base.clone()
            },
        ),
        (
            "metadata",
            DialRequest {
                metadata: BTreeMap::from([("a".into(), json!(1))]),
                ..base.clone()
            },
        ),
        (
            "max_duration_secs",
            DialRequest {
                max_duration_secs: Some(300),
                ..base.clone()
            },
        ),
        (
            "language",
            DialRequest {
                language: Some("fr-FR".into()),
                ..base.clone()
            },
        ),
        (
            "name",
            DialRequest {
                name: Some("Spring".into()),
                ..base.clone()
            },
        ),
        (
            "campaign_id",
            DialRequest {
                campaign_id: Some("c1".into()),
                ..base.clone()
            },
        ),
        (
            "agent_id",
            DialRequest {
                extra: BTreeMap::from([("agent_id".into(), json!("x"))]),
                ..base.clone()
            },
        ),
        // The guard's: a dial needs a destination.
        ("`to`", DialRequest::to("")),
    ];
    for (field, request) in cases {
        let err = rounded.dial(&request).await.unwrap_err();
        match ["agent_id", "`to`"].contains(&field) {
            // An `extra` key colliding with ours, no destination: local refusals.
            true => assert_refused_locally(&err, Operation::Dial, field),
            false => assert_unsupported_field(&err, ProviderKind::Rounded, field),
        }
    }
    // `dial_scheduled` is false: the guard answers Unsupported, naming the option.
    let scheduled = DialRequest {
        scheduled_for: Some("2099-01-01T00:00:00Z".parse().unwrap()),
        ..base.clone()
    };
    let result = rounded.dial(&scheduled).await;
    assert_unsupported(&result, ProviderKind::Rounded);
    assert!(
        matches!(
            result,
            Err(Error::Unsupported {
                operation: Operation::DialOption("scheduled_for"),
                ..
            })
        ),
        "{result:?}"
    );
    // Without defaults, the caller id and the agent are required.
    let bare = client(&api);
    let err = bare.dial(&base).await.unwrap_err();
    assert_refused_locally(&err, Operation::Dial, "from_number");
    let err = bare
        .dial(&DialRequest {
            from_number: Some("+33199001234".into()),
            ..base
        })
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::Dial, "agent_id");
}

// ---------------------------------------------------------------------------------------
// update_call

fn metadata_update(mode: MetadataMode) -> CallUpdate {
    CallUpdate {
        metadata: Some(BTreeMap::from([
            ("source".into(), json!("marketing_campaign")),
            ("utm_medium".into(), json!("email")),
        ])),
        metadata_mode: mode,
        ..CallUpdate::default()
    }
}

#[tokio::test]
async fn update_merges_with_override_false_and_replaces_with_override_true() {
    let api = api().await;
    let id = "123e4567-e89b-12d3-a456-426614174000";
    for (replace, mode) in [(false, MetadataMode::Merge), (true, MetadataMode::Replace)] {
        api.on("PATCH", &call_path(id))
            .and(body_json(json!({
                "metadata": {"source": "marketing_campaign", "utm_medium": "email"},
                "override": replace
            })))
            .respond_with(json_response(200, &fixture("update_seed.json")))
            .expect(1)
            .named(format!("override {replace}"))
            .mount(&api.server)
            .await;
        let call = client(&api)
            .update_call(&CallId::new(id), &metadata_update(mode))
            .await
            .unwrap();
        assert_eq!(call.id.as_str(), id);
        assert_eq!(call.metadata.get("utm_medium"), Some(&json!("email")));
        // The seed's placeholder URL is kept verbatim.
        assert_eq!(
            call.recording.unwrap().mono_url.as_deref(),
            Some("<string>")
        );
    }
}

#[tokio::test]
async fn update_with_a_name_is_unsupported_and_an_empty_update_is_invalid() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let rounded = client(&api);
    let id = CallId::new(CALL_ID);
    let name_only = CallUpdate {
        name: Some("Renewal".into()),
        ..CallUpdate::default()
    };
    let name_and_metadata = CallUpdate {
        name: Some("Renewal".into()),
        ..metadata_update(MetadataMode::Merge)
    };
    for update in [name_only, name_and_metadata] {
        let result = rounded.update_call(&id, &update).await;
        assert_unsupported(&result, ProviderKind::Rounded);
        assert!(
            matches!(
                result,
                Err(Error::Unsupported {
                    operation: Operation::UpdateField("name"),
                    ..
                })
            ),
            "{result:?}"
        );
    }
    let err = rounded
        .update_call(&id, &CallUpdate::default())
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::UpdateCall, "nothing");
}

// ---------------------------------------------------------------------------------------
// end_call

#[tokio::test]
async fn end_call_posts_terminate() {
    let api = api().await;
    let tail = format!("/calls/{CALL_ID}/terminate");
    api.respond_json("POST", &tail, 200, &fixture("terminate_response.json"))
        .await;
    client(&api).end_call(&CallId::new(CALL_ID)).await.unwrap();
    let requests = api.server.received_requests().await.unwrap();
    assert!(requests[0].body.is_empty(), "terminate has no body");
}

/// A terminate answered 2xx with a body that is no envelope (which could hold no refusal)
/// is the success its status says, as every other vendor's end (whose body is not read).
/// One whose body breaks off may have been a refusal: the call is read back, and the end
/// succeeds when it is over, else fails as cut off.
#[tokio::test]
async fn end_call_answered_2xx_without_a_readable_envelope() {
    let api = api().await;
    let tail = format!("/calls/{CALL_ID}/terminate");
    api.respond_json("POST", &tail, 200, "Call terminated")
        .await;
    client(&api).end_call(&CallId::new(CALL_ID)).await.unwrap();

    for (status, ended) in [("completed", true), ("in_progress", false)] {
        // The terminate announces 1000 bytes, sends 14 and hangs up; the read-back that
        // follows gets the call with `status`.
        let mut call: Value = serde_json::from_str(&fixture("get_call.json")).unwrap();
        call["data"]["status"] = json!(status);
        let call = call.to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let cut = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"message\": \"C".to_owned();
            let whole = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{call}",
                call.len()
            );
            for answer in [cut, whole] {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut request = vec![0; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        let config = ProviderConfig::new(ProviderKind::Rounded)
            .with_api_key("rk_test")
            .with_base_url(format!("http://{address}/v1"));
        let result = Rounded::from_config(&config)
            .unwrap()
            .end_call(&CallId::new(CALL_ID))
            .await;
        match ended {
            true => result.unwrap(),
            false => assert!(matches!(result, Err(Error::AnswerCut { .. })), "{result:?}"),
        }
    }
}

/// A terminate refused inside a 2xx envelope is read against the call: a call that is
/// there and live is a conflict, as every vendor's refused end; one that reads back as
/// missing is not found; one that cannot be read back keeps the refusal, an invalid
/// request whose outcome is unknown (the answer was a 200).
#[tokio::test]
async fn end_call_refused_in_a_2xx_envelope_is_read_against_the_call() {
    let body = json!({"message": "Error", "data": null, "status": 400,
        "error": {"details": [], "message": "Only phone calls can be terminated", "status": 400, "type": "generic_error"}});
    let tail = format!("/calls/{CALL_ID}/terminate");
    let mut live: Value = serde_json::from_str(&fixture("get_web_call.json")).unwrap();
    live["data"]["id"] = json!(CALL_ID);
    live["data"]["status"] = json!("in_progress");
    let missing = json!({"message": "Error", "data": null, "status": 404,
        "error": {"details": [], "message": "Call not found", "status": 404, "type": "generic_error"}});
    for (read_back, read_status) in [
        (live.to_string(), 200),
        (missing.to_string(), 404),
        (String::new(), 503),
    ] {
        let api = api().await;
        api.respond_json("POST", &tail, 200, &body.to_string())
            .await;
        api.respond_json("GET", &call_path(CALL_ID), read_status, &read_back)
            .await;
        let err = client(&api)
            .end_call(&CallId::new(CALL_ID))
            .await
            .unwrap_err();
        match read_status {
            200 => assert!(
                matches!(&err, Error::Conflict { message: Some(m), operation: Operation::EndCall, .. }
                    if m == "the call exists, in_progress; the vendor answered: Only phone calls can be terminated"),
                "{err:?}"
            ),
            404 => assert!(
                matches!(
                    &err,
                    Error::NotFound {
                        operation: Operation::EndCall,
                        ..
                    }
                ),
                "{err:?}"
            ),
            _ => {
                assert!(
                    matches!(&err, Error::InvalidRequest { status: Some(200), message, operation: Operation::EndCall, .. } if message == "Only phone calls can be terminated"),
                    "{err:?}"
                );
                assert_eq!(err.outcome(), RequestOutcome::Unknown);
            }
        }
    }
}

/// Rounded's generated examples show an `error` object in success answers too (its own
/// status 400): a terminate answered 200 whose envelope repeats the 200 is done, without
/// reading the call back, which would find it live for a moment yet and say conflict.
#[tokio::test]
async fn end_call_with_an_error_object_in_a_success_envelope_is_done() {
    let api = api().await;
    let body = json!({"message": "Call terminated successfully", "data": null, "status": 200,
        "error": {"details": [{"field": "email", "message": "Invalid email format"}],
                  "message": "An error occurred while processing your request",
                  "status": 400, "type": "generic_error"}});
    let tail = format!("/calls/{CALL_ID}/terminate");
    api.respond_json("POST", &tail, 200, &body.to_string())
        .await;
    client(&api).end_call(&CallId::new(CALL_ID)).await.unwrap();
    // The terminate alone: the call was not read back.
    assert_eq!(api.only_request().await.method.as_str(), "POST");
}

// ---------------------------------------------------------------------------------------
// Error statuses (mapped by the core from Rounded's error envelope), retries

#[tokio::test]
async fn every_endpoint_maps_error_statuses() {
    let api = api().await;
    let rounded = client_with_dial_defaults(&api);
    let id = CallId::new(CALL_ID);
    let body = |status| error_envelope(status, "Something went wrong");
    let call = call_path(CALL_ID);
    api.check_error_statuses("GET", &call, Operation::GetCall, body, || {
        rounded.get_call(&id)
    })
    .await;
    let query = CallQuery::default();
    api.check_error_statuses("GET", "/calls", Operation::ListCalls, body, || {
        rounded.list_calls(&query)
    })
    .await;
    let dial = DialRequest::to("+33639981234");
    api.check_error_statuses("POST", "/calls/phone", Operation::Dial, body, || {
        rounded.dial(&dial)
    })
    .await;
    let update = metadata_update(MetadataMode::Merge);
    api.check_error_statuses("PATCH", &call, Operation::UpdateCall, body, || {
        rounded.update_call(&id, &update)
    })
    .await;
    let terminate = format!("{call}/terminate");
    api.check_error_statuses("POST", &terminate, Operation::EndCall, body, || {
        rounded.end_call(&id)
    })
    .await;
}

#[tokio::test]
async fn error_statuses_carry_the_vendor_message_and_details() {
    let cases: Vec<(u16, String)> = vec![
        (400, fixture("error_envelope_400.json")),
        (401, error_envelope(401, "Invalid API key")),
        (404, fixture("error_envelope_404.json")),
        (422, fixture("error_envelope_422.json")),
        (429, error_envelope(429, "Too many requests")),
        (500, error_envelope(500, "Internal server error")),
    ];
    let api = api().await;
    let rounded = client(&api);
    for (status, body) in cases {
        api.server.reset().await;
        api.on("GET", "/calls")
            .respond_with(json_response(status, &body).insert_header("Retry-After", "7"))
            .expect(1)
            .mount(&api.server)
            .await;
        let err = rounded.list_calls(&CallQuery::default()).await.unwrap_err();
        assert_eq!(err.provider(), Some(ProviderKind::Rounded));
        assert_eq!(err.operation(), Some(Operation::ListCalls));
        match (status, &err) {
            (
                400,
                Error::InvalidRequest {
                    status: Some(400),
                    message,
                    details,
                    ..
                },
            ) => {
                assert_eq!(message, "An error occurred while processing your request");
                assert_eq!(
                    details,
                    &vec![
                        FieldError { field: "to_number".into(), message: "Phone number must be in E.164 format, e.g. +33612345678".into() },
                        FieldError { field: "agent_id".into(), message: "Agent 7b1e52c4-0f3d-4c1a-9a51-2d8e6f0b9c33 has no published version".into() },
                    ]
                );
            }
            (
                401,
                Error::Unauthorized {
                    status: 401,
                    message,
                    ..
                },
            ) => {
                assert_eq!(message.as_deref(), Some("Invalid API key"));
            }
            // The details added to the message: a not-found has no place of its own for them.
            (404, Error::NotFound { message, .. }) => {
                assert_eq!(
                    message.as_deref(),
                    Some(
                        "Call not found; call_id: No call with id 3ee99247-5c98-4fbf-b927-ed25867488b0 exists in this organization"
                    )
                );
            }
            (
                422,
                Error::InvalidRequest {
                    status: Some(422),
                    message,
                    details,
                    ..
                },
            ) => {
                assert_eq!(message, "Request validation failed");
                let fields: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
                assert_eq!(fields, ["limit", "start_time_gt"]);
                assert!(
                    err.to_string()
                        .contains("limit: Input should be less than or equal to 1000"),
                    "{err}"
                );
            }
            (
                429,
                Error::RateLimited {
                    retry_after,
                    message,
                    ..
                },
            ) => {
                assert_eq!(*retry_after, Some(std::time::Duration::from_secs(7)));
                assert_eq!(message.as_deref(), Some("Too many requests"));
            }
            (
                500,
                Error::Server {
                    status: 500,
                    message,
                    ..
                },
            ) => {
                assert_eq!(message.as_deref(), Some("Internal server error"));
            }
            (status, other) => panic!("HTTP {status}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn reads_are_retried() {
    let api = api().await;
    let rounded = retrying(&api);
    let id = CallId::new(CALL_ID);
    let call = api
        .check_read_retried_on_503(
            "GET",
            &call_path(CALL_ID),
            &fixture("get_call.json"),
            rounded.get_call(&id),
        )
        .await;
    assert_eq!(call.id.as_str(), CALL_ID);
    let query = CallQuery::default();
    let page = api
        .check_read_retried_on_503(
            "GET",
            "/calls",
            &fixture("list_cursor.json"),
            rounded.list_calls(&query),
        )
        .await;
    assert_eq!(page.calls.len(), 3);

    // A 500 too.
    api.on("GET", &call_path(CALL_ID))
        .respond_with(json_response(
            500,
            &error_envelope(500, "Internal server error"),
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&api.server)
        .await;
    api.respond_json("GET", &call_path(CALL_ID), 200, &fixture("get_call.json"))
        .await;
    let call = rounded.get_call(&id).await.unwrap();
    assert_eq!(call.id.as_str(), CALL_ID);
}

// ---------------------------------------------------------------------------------------
// Ids, secrets, configuration, unsupported operations

#[tokio::test]
async fn malformed_ids_are_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let rounded = client(&api);
    let update = metadata_update(MetadataMode::Merge);
    for bad in [
        "",
        "not-a-uuid",
        "../calls",
        "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3/terminate",
        "14abe6f5_01bd_4eff_a6ed_8eb555b6c5c3",
    ] {
        let id = CallId::new(bad);
        let results = [
            (Operation::GetCall, rounded.get_call(&id).await.map(drop)),
            (
                Operation::UpdateCall,
                rounded.update_call(&id, &update).await.map(drop),
            ),
            (Operation::EndCall, rounded.end_call(&id).await),
            (
                Operation::GetTranscript,
                rounded.get_transcript(&id).await.map(drop),
            ),
            (
                Operation::GetRecording,
                rounded.get_recording(&id).await.map(drop),
            ),
        ];
        for (operation, result) in results {
            assert_refused_locally(&result.unwrap_err(), operation, "malformed");
        }
    }
}

#[tokio::test]
async fn debug_never_shows_the_key() {
    let api = api().await;
    let rounded = client_with_dial_defaults(&api);
    let debug = format!("{rounded:?}");
    assert_key_hidden(&debug);
    assert!(
        debug.contains("+33199001234"),
        "options are visible: {debug}"
    );
}

#[tokio::test]
async fn unsupported_operations_say_so() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let rounded = client(&api);
    let caps = rounded.capabilities();
    assert!(
        !caps.cancel_call
            && !caps.delete_call
            && !caps.notes
            && !caps.update_name
            && !caps.dial_scheduled
    );
    let id = CallId::new(CALL_ID);
    let note = NoteId::new("n1");
    let results: Vec<(Operation, voiceport_core::Result<()>)> = vec![
        (Operation::CancelCall, rounded.cancel_call(&id).await),
        (Operation::DeleteCall, rounded.delete_call(&id).await),
        (
            Operation::AddNote,
            rounded.add_note(&id, &NoteInput::new("x")).await.map(drop),
        ),
        (
            Operation::UpdateNote,
            rounded
                .update_note(&id, &note, &NoteUpdate::text("x"))
                .await
                .map(drop),
        ),
        (
            Operation::DeleteNote,
            rounded.delete_note(&id, &note).await.map(drop),
        ),
    ];
    for (operation, result) in results {
        assert_unsupported(&result, ProviderKind::Rounded);
        assert!(
            matches!(result, Err(Error::Unsupported { operation: op, .. }) if op == operation),
            "{operation}: {result:?}"
        );
    }
}

/// A client that never reaches a server (for what needs no network).
fn offline() -> Rounded {
    let config = ProviderConfig::new(ProviderKind::Rounded)
        .with_api_key(KEY)
        .with_base_url("http://127.0.0.1:9/v1");
    Rounded::from_config(&config).unwrap()
}

#[test]
fn capabilities_are_as_documented() {
    let caps = offline().capabilities();
    assert!(caps.get_call && caps.list_calls && caps.dial && caps.end_call && caps.webhooks);
    assert!(caps.update_metadata_merge && caps.update_metadata_replace);
    assert!(
        caps.transcript && caps.recording && caps.inline_transcript && caps.cost && caps.analysis
    );
    assert!(
        caps.filter_kind
            && caps.filter_time_range
            && caps.filter_agent
            && caps.filter_from_number
            && caps.filter_to_number
    );
    assert!(!caps.filter_tags && !caps.filter_campaign && !caps.sort);
    assert!(caps.server_paging);
    assert_eq!(caps.max_page_size, 1000);
    assert_eq!(caps.default_page_size, 50);
}

#[test]
fn the_client_parses_webhooks() {
    let event = offline()
        .parse_webhook(fixture("webhook_phone_call_ended.json").as_bytes())
        .unwrap();
    assert_eq!(
        event.call_id().map(CallId::as_str),
        Some("97adfced-7c9c-4776-8915-cda3cd23b993")
    );
}

#[test]
fn config_is_checked() {
    let other = ProviderConfig::new(ProviderKind::Voicebot).with_api_key(KEY);
    match Rounded::from_config(&other).unwrap_err() {
        Error::Config { field, .. } => assert_eq!(field, "kind"),
        other => panic!("{other:?}"),
    }
    let typo = ProviderConfig::new(ProviderKind::Rounded)
        .with_api_key(KEY)
        .with_option("from_numbr", "+1");
    match Rounded::from_config(&typo).unwrap_err() {
        Error::Config { field, message, .. } => {
            assert_eq!(field, "options.from_numbr");
            assert!(message.contains("unknown field"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let paging = ProviderConfig::new(ProviderKind::Rounded)
        .with_api_key(KEY)
        .with_option("paging", "offset");
    match Rounded::from_config(&paging).unwrap_err() {
        Error::Config { field, .. } => assert_eq!(field, "options.paging"),
        other => panic!("{other:?}"),
    }
    let no_key = ProviderConfig::new(ProviderKind::Rounded);
    assert!(matches!(
        Rounded::from_config(&no_key),
        Err(Error::Config { .. })
    ));
    let rounded =
        Rounded::from_config(&ProviderConfig::new(ProviderKind::Rounded).with_api_key(KEY))
            .unwrap();
    assert_eq!(
        rounded.options(),
        &voiceport_rounded::RoundedOptions::default()
    );
    assert_eq!(
        voiceport_rounded::DEFAULT_BASE_URL,
        "https://api.callrounded.com/v1"
    );
}
