//! Every endpoint the HappyRobot client calls, over real HTTP against wiremock (with
//! `voiceport_core::testing::http`): method, path, auth header, query / body shape,
//! response mapping and error kinds.

mod support;

use serde_json::{Value, json};
use support::{CALL_ID, api, client, config, fixture, retrying_client};
use voiceport_core::testing::http::{
    KEY, assert_key_hidden, assert_refused_locally, assert_unsupported, assert_unsupported_field,
    collect_calls, json_response,
};
use voiceport_core::{
    AgentId, CallId, CallKind, CallQuery, CallStatus, CallUpdate, CampaignId, DialRequest,
    Direction, EndReason, EndReasonCategory, Error, NoteId, NoteInput, NoteUpdate, Operation,
    PageCursor, ProviderConfig, ProviderKind, SortOrder, Speaker, VoiceProvider,
};
use voiceport_happyrobot::{
    CallFilters, HappyRobot, RatingEmoji, RatingOperation, transfer_contact_email,
};
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};

fn call_tail(suffix: &str) -> String {
    format!("/calls/{CALL_ID}{suffix}")
}

fn id() -> CallId {
    CallId::new(CALL_ID)
}

#[tokio::test]
async fn get_call_maps_the_seed_call() {
    let api = api().await;
    api.respond_json("GET", &call_tail(""), 200, &fixture("call_seed.json"))
        .await;
    let call = client(&api).get_call(&id()).await.unwrap();
    assert_eq!(call.id, id());
    assert_eq!(call.provider, ProviderKind::HappyRobot);
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.vendor_status.as_deref(), Some("Completed"));
    // `transfer_contact_email` is null: a plain completed call.
    assert_eq!(call.end_reason, None);
    assert_eq!(transfer_contact_email(&call), None);
    assert_eq!(call.direction, Some(Direction::Outbound));
    assert_eq!(call.kind, CallKind::Phone);
    assert_eq!(call.from.as_deref(), Some("+13125550142"));
    assert_eq!(call.to.as_deref(), Some("+14695550187"));
    assert_eq!(call.tags, ["dry-van", "TX-GA", "coverage-blitz"]);
    assert_eq!(call.metadata["tmsLoadId"], json!("118734"));
    // The agent is the use case (the persona "Kate" is only its voice).
    let agent = call.agent.as_ref().unwrap();
    assert_eq!(
        agent.id.as_ref().unwrap().as_str(),
        "690a36427a81a64cbcab4fd5"
    );
    assert_eq!(agent.name.as_deref(), Some("Outbound Load Coverage"));
    assert_eq!(call.name, None);
    assert_eq!(call.duration_secs, Some(247.0));
    assert_eq!(
        call.created_at.unwrap().to_rfc3339(),
        "2026-03-10T15:42:07.318+00:00"
    );
    assert_eq!(call.analysis.extracted["agreed_rate"], json!(2250));
    assert_eq!(
        call.analysis.classification.as_ref().unwrap().tag,
        "Load booked"
    );
    assert_eq!(call.notes.len(), 1);
    assert_eq!(call.ratings[0].value, "✅");
    assert_eq!(
        call.campaign_id.as_ref().unwrap().as_str(),
        "69af36937a81a64cbcab50a4"
    );
    assert_eq!(
        call.parent_call_id.as_ref().unwrap().as_str(),
        "69b026e77a81a64cbcab5064"
    );
    assert_eq!(call.cost.as_ref().unwrap().total, Some(0.2392));
    assert_eq!(call.cost.as_ref().unwrap().breakdown.len(), 4);
    assert!(call.transcript.is_none());
    assert_eq!(
        call.vendor_payload().unwrap().get(),
        fixture("call_seed.json").trim()
    );
}

#[tokio::test]
async fn list_calls_sends_every_server_side_filter() {
    let api = api().await;
    api.on("GET", "/calls")
        .and(query_param("limit", "5"))
        .and(query_param("skip", "10"))
        .and(query_param("type", "Outbound"))
        .and(query_param("statuses", "Initiated,Ringing,AMD Terminated"))
        .and(query_param("tags", "vip,renewal"))
        .and(query_param("campaigns", "69af36937a81a64cbcab50a4"))
        // The agent is the use case: HappyRobot filters it.
        .and(query_param("use_cases", "690a36427a81a64cbcab4fd5"))
        // `from` may be exclusive (undocumented): the millisecond before `since`.
        .and(query_param("from", "2026-02-28T23:59:59.999Z"))
        .and(query_param("to", "2026-03-02T00:00:00.000Z"))
        .and(query_param("sort", "desc"))
        .and(query_param("search", "RF-118734"))
        // Applied client-side, never sent.
        .and(query_param_is_missing("kind"))
        .and(query_param_is_missing("agent_id"))
        .and(query_param_is_missing("offset"))
        .respond_with(json_response(200, r#"{"calls": [], "count": 10}"#))
        .expect(1)
        .mount(&api.server)
        .await;
    let query = CallQuery {
        direction: Some(Direction::Outbound),
        kind: Some(CallKind::Phone),
        statuses: vec![CallStatus::Ringing, CallStatus::Voicemail],
        tags: vec!["vip".into(), "renewal".into()],
        campaign_id: Some(CampaignId::new("69af36937a81a64cbcab50a4")),
        agent_id: Some(AgentId::new("690a36427a81a64cbcab4fd5")),
        since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
        until: Some("2026-03-02T00:00:00Z".parse().unwrap()),
        sort: Some(SortOrder::Descending),
        search: Some("RF-118734".into()),
        page_size: Some(5),
        cursor: Some(PageCursor::Offset { skip: 10 }),
        ..CallQuery::default()
    };
    let page = client(&api).list_calls(&query).await.unwrap();
    assert!(page.calls.is_empty());
    assert_eq!(page.next, None);
    // The kind, and every tag rather than any, are checked here: HappyRobot's `count` is
    // not the number of matching calls.
    assert_eq!(page.total, None);
}

#[tokio::test]
async fn list_calls_maps_the_page_and_the_next_cursor() {
    let api = api().await;
    api.on("GET", "/calls")
        .and(query_param("limit", "100"))
        .and(query_param("skip", "0"))
        .respond_with(json_response(200, &fixture("list_page.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let page = client(&api)
        .list_calls(&CallQuery::default())
        .await
        .unwrap();
    let statuses: Vec<CallStatus> = page.calls.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            CallStatus::Completed,
            CallStatus::InProgress,
            CallStatus::Transferred,
            CallStatus::NoAnswer,
            CallStatus::Completed
        ]
    );
    let kinds: Vec<CallKind> = page.calls.iter().map(|c| c.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            CallKind::Phone,
            CallKind::Web,
            CallKind::Phone,
            CallKind::Phone,
            CallKind::Chat
        ]
    );
    assert!(page.calls.iter().all(|c| c.vendor_payload().is_some()));
    assert_eq!(page.total, Some(12993));
    assert_eq!(page.next, Some(PageCursor::Offset { skip: 5 }));
}

#[tokio::test]
async fn list_calls_applies_client_side_filters() {
    let api = api().await;
    api.on("GET", "/calls")
        .respond_with(json_response(200, &fixture("list_page.json")))
        .mount(&api.server)
        .await;
    let hr = client(&api);
    let web = hr
        .list_calls(&CallQuery {
            kind: Some(CallKind::Web),
            ..CallQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(web.calls.len(), 1);
    assert_eq!(web.calls[0].kind, CallKind::Web);
    // The cursor still skips every call the vendor returned.
    assert_eq!(web.next, Some(PageCursor::Offset { skip: 5 }));

    let first = hr.list_calls(&CallQuery::default()).await.unwrap().calls;
    let to = first[0].to.clone().unwrap();
    let from = first[0].from.clone().unwrap();
    for query in [
        CallQuery {
            to_number: Some(to),
            ..CallQuery::default()
        },
        CallQuery {
            from_number: Some(from),
            ..CallQuery::default()
        },
    ] {
        let page = hr.list_calls(&query).await.unwrap();
        assert!(!page.calls.is_empty(), "{query:?}");
        assert!(page.calls.len() < 5, "{query:?}");
        assert!(page.calls.iter().all(|c| query.matches(c)), "{query:?}");
    }
}

/// A server that ignores `skip` and sends no `count` answers the same full page to every
/// request. With a filter applied client-side that keeps none of its calls, each page the
/// walk reads is empty, under a cursor that is each time new: the walk stops on the third
/// such page, having compared the calls the vendor sent, not the ones kept. (The server
/// answers a 500 after 50 pages, so that a walk that does not stop fails, not hangs.)
#[tokio::test]
async fn a_server_ignoring_skip_ends_a_walk_whose_filter_empties_every_page() {
    let api = api().await;
    let page = json!({"calls": [{"id": "a"}, {"id": "b"}]}).to_string();
    api.answer_then_fail("GET", "/calls", json_response(200, &page), 50)
        .await;
    let query = CallQuery {
        page_size: Some(2),
        to_number: Some("+16155550134".into()),
        ..CallQuery::default()
    };
    api.assert_walk_stops_on_a_repeated_page(&client(&api), query, 2)
        .await;
}

/// A filter applied client-side that keeps nothing of page after page of other calls (a
/// big account) is no server repeating itself: the walk goes on to the end, to the call
/// it keeps.
#[tokio::test]
async fn a_client_side_filter_walks_past_many_empty_pages_to_the_end() {
    let api = api().await;
    let page = |request: &wiremock::Request| {
        let skip: u64 = (request.url.query_pairs())
            .find(|(name, _)| name == "skip")
            .and_then(|(_, skip)| skip.parse().ok())
            .unwrap_or(0);
        let calls: Vec<Value> = match skip < 40 {
            true => (skip..skip + 2)
                .map(|n| json!({"id": format!("c{n}")}))
                .collect(),
            false => vec![json!({"id": "last", "metadata": {"to": "+16155550134"}})],
        };
        json_response(200, &json!({ "calls": calls }).to_string())
    };
    api.on("GET", "/calls")
        .respond_with(page)
        .mount(&api.server)
        .await;
    let query = CallQuery {
        page_size: Some(2),
        to_number: Some("+16155550134".into()),
        ..CallQuery::default()
    };
    let calls = collect_calls(&client(&api), query).await.unwrap();
    let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["last"]);
    assert_eq!(api.server.received_requests().await.unwrap().len(), 21);
}

#[tokio::test]
async fn the_agent_filter_is_sent_as_use_cases_and_left_to_happyrobot() {
    let api = api().await;
    let use_case = "690a36427a81a64cbcab4fd5";
    // HappyRobot answers with the calls of that use case (3 of list_page.json's 5)…
    let mut page: serde_json::Value = serde_json::from_str(&fixture("list_page.json")).unwrap();
    let calls = page["calls"].as_array_mut().unwrap();
    calls.retain(|c| c["use_case"]["id"] == use_case);
    assert_eq!(calls.len(), 3);
    page["count"] = json!(3);
    api.on("GET", "/calls")
        .and(query_param("use_cases", use_case))
        .and(query_param_is_missing("agent_id"))
        .respond_with(json_response(200, &page.to_string()))
        .expect(1)
        .mount(&api.server)
        .await;
    let query = CallQuery {
        agent_id: Some(AgentId::new(use_case)),
        ..CallQuery::default()
    };
    let page = client(&api).list_calls(&query).await.unwrap();
    // …and every one comes back, with that use case as its agent.
    assert_eq!(page.calls.len(), 3);
    assert!(page.calls.iter().all(|c| query.matches(c)), "{page:?}");
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn happyrobot_filters_ride_along_with_listings_walks_and_export() {
    let api = api().await;
    api.on("GET", "/calls")
        .and(query_param("models", "gpt-4o,gpt-4o-mini"))
        .and(query_param("ratings", "🚨"))
        .and(query_param(
            "transfer_contact_email",
            "tyler.brooks@ridgelinefreight.com",
        ))
        .and(query_param("type", "Outbound"))
        .respond_with(json_response(200, &fixture("call_transfer_contact.json")))
        .expect(2)
        .mount(&api.server)
        .await;
    api.on("POST", "/calls/export")
        .and(query_param("ratings", "🚨"))
        .and(query_param("use_cases", "690a36427a81a64cbcab4fd5"))
        .respond_with(json_response(200, r#"{"message": "Export started"}"#))
        .expect(1)
        .mount(&api.server)
        .await;
    let plain = client(&api);
    let filters = CallFilters {
        models: vec!["gpt-4o".into(), "gpt-4o-mini".into()],
        ratings: vec!["🚨".into()],
        transfer_contact_email: Some("tyler.brooks@ridgelinefreight.com".into()),
    };
    let hr = plain.with_filters(filters.clone()).unwrap();
    assert_eq!(hr.filters(), &filters);
    assert!(plain.filters().is_empty());
    let query = CallQuery {
        direction: Some(Direction::Outbound),
        ..CallQuery::default()
    };
    // Through the trait, one page…
    let page = hr.list_calls(&query).await.unwrap();
    assert_eq!(page.calls[0].status, CallStatus::Transferred);
    // …and the pages of a walk behind `dyn VoiceProvider`.
    let provider: std::sync::Arc<dyn VoiceProvider> = std::sync::Arc::new(hr.clone());
    let walked = collect_calls(provider.as_ref(), query).await.unwrap();
    assert_eq!(walked.len(), 1);
    // The export takes them too, and the agent filter is no longer refused there.
    let export = CallQuery {
        agent_id: Some(AgentId::new("690a36427a81a64cbcab4fd5")),
        ..CallQuery::default()
    };
    hr.export_calls_csv(&export).await.unwrap();
    // A list value with a comma cannot be sent: refused when the filters are set.
    let err = plain
        .with_filters(CallFilters {
            models: vec!["a,b".into()],
            ..CallFilters::default()
        })
        .unwrap_err();
    assert_refused_locally(&err, Operation::ListCalls, "`models`");
}

/// `transfer_contact_email` read as "the contact the call was handed to" is inferred from
/// its name and the list filter of the same name.
#[tokio::test]
async fn calls_handed_to_a_contact_end_in_a_transfer() {
    let api = api().await;
    api.respond_json("GET", "/calls", 200, &fixture("call_transfer_contact.json"))
        .await;
    let page = client(&api)
        .list_calls(&CallQuery::default())
        .await
        .unwrap();
    let outcomes: Vec<_> = (page.calls.iter())
        .map(|c| {
            let reason = c.end_reason.clone().unwrap();
            (c.status, reason.category, transfer_contact_email(c))
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            (
                CallStatus::Transferred,
                EndReasonCategory::Transferred,
                Some("tyler.brooks@ridgelinefreight.com".to_owned())
            ),
            // HappyRobot says `Completed`, and names the contact the call went to.
            (
                CallStatus::Completed,
                EndReasonCategory::Transferred,
                Some("maria.gonzalez@ridgelinefreight.com".to_owned())
            ),
        ]
    );
    assert_eq!(
        page.calls[1].end_reason,
        Some(EndReason::new(EndReasonCategory::Transferred, None))
    );
}

/// A webhook's call keeps the whole delivery (`{type, call, content}`) as its payload: the
/// contact is read from its `call` all the same. A blank email is no transfer, and no
/// contact.
#[test]
fn the_contact_of_a_webhook_s_call_is_read_from_the_delivery() {
    use voiceport_core::Codec;
    let mut delivery: Value = serde_json::from_str(&fixture("webhook_end.json")).unwrap();
    delivery["call"]["status"] = json!("Completed");
    delivery["call"]["transfer_contact_email"] = json!("dispatch@ridgelinefreight.com");
    let body = delivery.to_string();
    let event = voiceport_happyrobot::HappyRobotCodec
        .decode_webhook(body.as_bytes())
        .unwrap();
    let call = event.call().expect("an end hook carries its call");
    let reason = call.end_reason.as_ref().map(|r| r.category);
    assert_eq!(reason, Some(EndReasonCategory::Transferred));
    assert_eq!(
        transfer_contact_email(call).as_deref(),
        Some("dispatch@ridgelinefreight.com")
    );

    delivery["call"]["transfer_contact_email"] = json!("  ");
    let body = delivery.to_string();
    let event = voiceport_happyrobot::HappyRobotCodec
        .decode_webhook(body.as_bytes())
        .unwrap();
    let call = event.call().unwrap();
    let reason = call.end_reason.as_ref().map(|r| r.category);
    assert_ne!(reason, Some(EndReasonCategory::Transferred));
    assert_eq!(transfer_contact_email(call), None);
}

#[tokio::test]
async fn list_calls_reads_the_older_envelope() {
    let api = api().await;
    api.respond_json("GET", "/calls", 200, &fixture("list_page_legacy.json"))
        .await;
    let page = client(&api)
        .list_calls(&CallQuery::default())
        .await
        .unwrap();
    let statuses: Vec<CallStatus> = page.calls.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            CallStatus::Ringing,
            CallStatus::InProgress,
            CallStatus::Completed,
            CallStatus::NoAnswer
        ]
    );
    assert_eq!(
        page.calls[0].agent.as_ref().unwrap().name.as_deref(),
        Some("Kate - Carrier Coverage")
    );
    assert_eq!(page.total, Some(8412));
    assert_eq!(page.next, Some(PageCursor::Offset { skip: 4 }));
}

/// `Unknown` has no HappyRobot status value: the listing sends no `statuses` and keeps
/// the calls asked for itself, as the other vendors answer the same query (a merged walk
/// no longer fails on HappyRobot's first page); an export, which has no client side, is
/// refused.
#[tokio::test]
async fn an_unknown_status_is_filtered_client_side() {
    let api = api().await;
    let body = json!({"calls": [
        {"id": "a", "status": "Completed"},
        {"id": "b", "status": "Voicemail left"},
        {"id": "c", "status": "Busy"}
    ], "count": 3});
    api.on("GET", "/calls")
        .and(query_param_is_missing("statuses"))
        .respond_with(json_response(200, &body.to_string()))
        .expect(2)
        .mount(&api.server)
        .await;
    let hr = client(&api);
    for (statuses, expected) in [
        (vec![CallStatus::Unknown], vec!["b"]),
        (
            vec![CallStatus::Completed, CallStatus::Unknown],
            vec!["a", "b"],
        ),
    ] {
        let query = CallQuery {
            statuses,
            ..CallQuery::default()
        };
        let page = hr.list_calls(&query).await.unwrap();
        let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, expected);
        assert_eq!(page.next, None);
        // Refused before anything is sent: the expectation of two requests holds.
        let err = hr.export_calls_csv(&query).await.unwrap_err();
        assert_refused_locally(&err, Operation::Extension("export_calls_csv"), "`unknown`");
    }
}

#[tokio::test]
async fn list_calls_refuses_what_it_cannot_ask_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let hr = client(&api);
    let foreign_cursor = CallQuery {
        cursor: Some(PageCursor::Page { number: 2 }),
        ..CallQuery::default()
    };
    let err = hr.list_calls(&foreign_cursor).await.unwrap_err();
    assert_refused_locally(&err, Operation::ListCalls, "cursor");
}

#[tokio::test]
async fn dial_posts_the_outbound_body_and_maps_the_lenient_response() {
    let api = api().await;
    api.on("POST", "/dial/outbound")
        .and(body_json(json!({
            "phone_number": "+17705550163",
            "number_id": "65f1ce217a81a64cbcab4f10",
            // The request's agent is the use case; the persona goes through `extra`.
            "use_case_id": "68a4d8a07a81a64cbcab4ff1",
            "agent_id": "683de93d7a81a64cbcab4f5b",
            "params": {"load_number": "RF-118902"},
            "metadata": {"tmsLoadId": "118902"},
            "scheduled_for": "2099-03-13T14:00:00.000Z",
            "max_duration_mins": 5,
            "language": "en-US",
            "campaign_id": "69af36937a81a64cbcab50a4",
            "prompt_id": "69a09f447a81a64cbcab5044"
        })))
        .respond_with(json_response(200, &fixture("dial_response.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let mut request = DialRequest::to("+17705550163");
    request.agent_id = Some(AgentId::new("68a4d8a07a81a64cbcab4ff1"));
    request
        .extra
        .insert("agent_id".into(), json!("683de93d7a81a64cbcab4f5b"));
    request
        .variables
        .insert("load_number".into(), json!("RF-118902"));
    request.metadata.insert("tmsLoadId".into(), json!("118902"));
    request.scheduled_for = Some("2099-03-13T14:00:00Z".parse().unwrap());
    request.max_duration_secs = Some(300);
    request.language = Some("en-US".into());
    request.campaign_id = Some(CampaignId::new("69af36937a81a64cbcab50a4"));
    request
        .extra
        .insert("prompt_id".into(), json!("69a09f447a81a64cbcab5044"));
    let outcome = client(&api).dial(&request).await.unwrap();
    assert_eq!(outcome.call_id.as_str(), "69b3169d7a81a64cbcab5997");
    let call = outcome.call.unwrap();
    assert_eq!(call.status, CallStatus::Queued);
    // The answer has no `type`; the endpoint places outbound calls only.
    assert_eq!(call.direction, Some(Direction::Outbound));
    // The dial answer embeds the use case: it is the agent.
    assert_eq!(
        call.agent.as_ref().and_then(|a| a.name.as_deref()),
        Some("Outbound Load Coverage")
    );
    assert_eq!(call.to.as_deref(), Some("+17705550163"));
    assert!(call.vendor_payload().is_some());
}

#[tokio::test]
async fn writes_that_create_are_sent_once_on_a_500_even_with_retries_on() {
    let api = api().await;
    let hr = retrying_client(&api);
    let dial = DialRequest::to("+17705550163");
    api.check_sent_once_on_500("POST", "/dial/outbound", hr.dial(&dial))
        .await;
    let note = NoteInput::new("x");
    api.check_sent_once_on_500("POST", &call_tail("/notes"), hr.add_note(&id(), &note))
        .await;
    let call_id = id();
    let rating = hr.set_rating(&call_id, RatingEmoji::Check, "a@b.c", RatingOperation::Add);
    api.check_sent_once_on_500("PATCH", &call_tail("/ratings"), rating)
        .await;
}

#[tokio::test]
async fn get_is_retried_on_a_503_when_retries_are_on() {
    let api = api().await;
    let hr = retrying_client(&api);
    let call = api
        .check_read_retried_on_503(
            "GET",
            &call_tail(""),
            &fixture("call_seed.json"),
            hr.get_call(&id()),
        )
        .await;
    assert_eq!(call.status, CallStatus::Completed);
}

#[tokio::test]
async fn dial_refuses_fields_happyrobot_cannot_take() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let hr = client(&api);
    let base = DialRequest::to("+17705550163");
    let cases = [
        (
            DialRequest {
                from_number: Some("+13125550142".into()),
                ..base.clone()
            },
            "from_number",
        ),
        (
            DialRequest {
                name: Some("Renewal".into()),
                ..base.clone()
            },
            "name",
        ),
        (
            DialRequest {
                max_duration_secs: Some(0),
                ..base.clone()
            },
            "max_duration_secs",
        ),
        // HappyRobot takes whole minutes: 90 s is neither sent as 1 nor as 2 minutes.
        (
            DialRequest {
                max_duration_secs: Some(90),
                ..base.clone()
            },
            "whole number of minutes",
        ),
        (DialRequest::to(""), "`to`"),
        (DialRequest::to(" "), "`to`"),
    ];
    for (request, field) in cases {
        let err = hr.dial(&request).await.unwrap_err();
        match ["from_number", "name"].contains(&field) {
            true => assert_unsupported_field(&err, ProviderKind::HappyRobot, field),
            // A value HappyRobot cannot take as it is, or none: a local refusal.
            false => assert_refused_locally(&err, Operation::Dial, field),
        }
    }
    // No number id anywhere.
    let mut config = config(&api);
    config.options.remove("number_id");
    let err = HappyRobot::from_config(&config)
        .unwrap()
        .dial(&base)
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::Dial, "phone_number_id");
}

#[tokio::test]
async fn transcript_maps_speakers_offsets_and_tools() {
    let api = api().await;
    api.respond_json(
        "GET",
        &call_tail("/transcript"),
        200,
        &fixture("transcript.json"),
    )
    .await;
    let transcript = client(&api).get_transcript(&id()).await.unwrap();
    let u = &transcript.utterances;
    assert_eq!(u.len(), 17);
    assert_eq!(u[0].speaker, Speaker::System);
    assert_eq!(u[1].speaker, Speaker::Agent);
    assert_eq!(u[2].speaker, Speaker::Customer);
    assert_eq!(u[1].start_secs, Some(0.42));
    assert_eq!(u[1].end_secs, Some(4.87));
    assert_eq!(u[1].at.unwrap().timestamp_millis(), 1_773_237_925_420);
    assert_eq!(u[6].tool_calls[0].name.as_deref(), Some("verify_carrier"));
    assert_eq!(u[7].speaker, Speaker::Tool);
    assert_eq!(
        u[7].tool_result.as_ref().unwrap().tool_call_id.as_deref(),
        Some("call_D3f6qKDSU9TAJBdfg4hLf4to")
    );
}

#[tokio::test]
async fn recording_reads_an_object_or_a_bare_string() {
    let api = api().await;
    let tail = call_tail("/recording");
    api.on("GET", &tail)
        .respond_with(json_response(
            200,
            r#"{"url": "https://rec.example.com/a.mp3?sig=1"}"#,
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&api.server)
        .await;
    api.respond_json("GET", &tail, 200, "\"https://rec.example.com/b.mp3\"")
        .await;
    let hr = client(&api);
    // Through the trait…
    let first = VoiceProvider::get_recording(&hr, &id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.mono_url.as_deref(),
        Some("https://rec.example.com/a.mp3?sig=1")
    );
    // …and the inherent method.
    let second = hr.get_recording(&id()).await.unwrap().unwrap();
    assert_eq!(
        second.mono_url.as_deref(),
        Some("https://rec.example.com/b.mp3")
    );
}

/// HappyRobot answers 404 for a call that has no recording (yet) (*inferred*): the call
/// read back is there, its metadata naming no recording, so there is no recording
/// (`None`), as with the vendors that read it off the call.
#[tokio::test]
async fn a_recording_404_for_a_call_that_exists_is_no_recording() {
    let api = api().await;
    let missing = r#"{"message": "Recording not found"}"#;
    api.on("GET", &call_tail("/recording"))
        .respond_with(json_response(404, missing))
        .expect(2)
        .mount(&api.server)
        .await;
    // Inferred: a call with no `recording_sid` in its metadata was not recorded.
    api.on("GET", &call_tail(""))
        .respond_with(json_response(200, &fixture("call_inbound_web.json")))
        .expect(2)
        .mount(&api.server)
        .await;
    let hr = client(&api);
    // Through the trait…
    assert_eq!(
        VoiceProvider::get_recording(&hr, &id()).await.unwrap(),
        None
    );
    // …and the inherent method.
    assert_eq!(hr.get_recording(&id()).await.unwrap(), None);
}

/// A recording 404 for a call whose metadata names a recording (`recording_sid`) stands:
/// the recording is there but not served, which `None` would hide (were the inferred path
/// wrong, every recorded call would read as unrecorded).
#[tokio::test]
async fn a_recording_404_for_a_recorded_call_is_not_found() {
    let err = recording_error_when_the_call_answers(200, &fixture("call_seed.json")).await;
    assert!(
        matches!(
            err,
            Error::NotFound {
                operation: Operation::GetRecording,
                ..
            }
        ),
        "{err:?}"
    );
}

/// The error of `recording` when the recording endpoint answers 404 and the call, read
/// back once, answers `status` with `body`.
async fn recording_error_when_the_call_answers(status: u16, body: &str) -> Error {
    let api = api().await;
    let missing = r#"{"message": "Recording not found"}"#;
    api.respond_json("GET", &call_tail("/recording"), 404, missing)
        .await;
    api.on("GET", &call_tail(""))
        .respond_with(json_response(status, body))
        .expect(1)
        .mount(&api.server)
        .await;
    client(&api).get_recording(&id()).await.unwrap_err()
}

/// A recording 404 stands when the call read back is not found either; any other error of
/// the read-back is returned as is.
#[tokio::test]
async fn a_recording_404_stands_when_the_call_is_not_found() {
    let err = recording_error_when_the_call_answers(404, r#"{"message": "Call not found"}"#).await;
    assert!(
        matches!(
            &err,
            Error::NotFound {
                operation: Operation::GetRecording,
                message: Some(m),
                ..
            } if m == "Recording not found"
        ),
        "{err:?}"
    );
    let err = recording_error_when_the_call_answers(401, r#"{"message": "bad key"}"#).await;
    assert!(
        matches!(
            &err,
            Error::Unauthorized {
                operation: Operation::GetRecording,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn end_cancel_and_delete_hit_their_paths() {
    let api = api().await;
    for (verb, suffix) in [("POST", "/stop"), ("POST", "/cancel"), ("DELETE", "")] {
        api.respond_json(verb, &call_tail(suffix), 200, r#"{"message": "ok"}"#)
            .await;
    }
    let hr = client(&api);
    hr.end_call(&id()).await.unwrap();
    hr.cancel_call(&id()).await.unwrap();
    hr.delete_call(&id()).await.unwrap();
}

/// A cancel refused as not found (the inferred path or id wrong, or the call gone) of a
/// call that reads back scheduled keeps the not-found: a conflict would say it is too
/// late to cancel what still waits. An end refused so of a call that reads back live is a
/// conflict: the call is there, talking.
#[tokio::test]
async fn a_call_refused_as_missing_but_read_back_is_said_by_what_it_is() {
    let missing = r#"{"message": "Not Found"}"#;
    let waiting = api().await;
    waiting
        .respond_json("POST", &call_tail("/cancel"), 404, missing)
        .await;
    let scheduled = call_with_status("Scheduled");
    waiting
        .respond_json("GET", &call_tail(""), 200, &scheduled)
        .await;
    let err = client(&waiting).cancel_call(&id()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let talking = api().await;
    talking
        .respond_json("POST", &call_tail("/stop"), 404, missing)
        .await;
    let live = call_with_status("In progress");
    talking
        .respond_json("GET", &call_tail(""), 200, &live)
        .await;
    let err = client(&talking).end_call(&id()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { message: Some(m), .. } if m.contains("the call exists")),
        "{err:?}"
    );
}

/// The seed call with another status (its id is `CALL_ID`).
fn call_with_status(status: &str) -> String {
    let mut call: Value = serde_json::from_str(&fixture("call_seed.json")).unwrap();
    call["status"] = json!(status);
    call.to_string()
}

/// A stop refused for a call that is not in progress (the 400 and its text are a guess,
/// the sandbox's: HappyRobot documents no error for it): a call over already needs no
/// ending, and a stop whose first answer was lost (a 503 after sending) and whose
/// retry is refused so has ended the call. Both succeed once the call reads as over.
#[tokio::test]
async fn ending_a_call_that_is_over_succeeds() {
    let refused = r#"{"message": "Call is not in progress"}"#;
    for lost_answer in [false, true] {
        let api = api().await;
        if lost_answer {
            api.lose_first_answer("POST", &call_tail("/stop")).await;
        }
        api.respond_json("POST", &call_tail("/stop"), 400, refused)
            .await;
        api.respond_json("GET", &call_tail(""), 200, &call_with_status("Completed"))
            .await;
        let hr = if lost_answer {
            retrying_client(&api)
        } else {
            client(&api)
        };
        hr.end_call(&id()).await.unwrap();
    }
}

/// A stop refused with another 4xx status than those voiceport names (a 423, here) is read
/// back as any refusal is: done for a call over, a conflict saying so for a call live.
#[tokio::test]
async fn a_stop_refused_with_another_4xx_reads_the_call_back() {
    for (status, ended) in [("Completed", true), ("In progress", false)] {
        let api = api().await;
        let locked = r#"{"message": "Call is locked"}"#;
        api.respond_json("POST", &call_tail("/stop"), 423, locked)
            .await;
        api.respond_json("GET", &call_tail(""), 200, &call_with_status(status))
            .await;
        let result = client(&api).end_call(&id()).await;
        match ended {
            true => result.unwrap(),
            false => {
                let err = result.unwrap_err();
                assert!(
                    matches!(&err, Error::Conflict { message: Some(m), .. }
                        if m.starts_with("the call exists, in_progress") && m.contains("HTTP 423: Call is locked")),
                    "{err:?}"
                );
            }
        }
    }
}

/// A cancel refused for a call that reads back as canceled already has nothing left to
/// do: it succeeds.
#[tokio::test]
async fn canceling_a_call_canceled_already_succeeds() {
    let api = api().await;
    let refused = r#"{"message": "Only scheduled or queued calls can be canceled"}"#;
    api.respond_json("POST", &call_tail("/cancel"), 400, refused)
        .await;
    api.respond_json("GET", &call_tail(""), 200, &call_with_status("Canceled"))
        .await;
    client(&api).cancel_call(&id()).await.unwrap();
}

/// A refusal stands when the call read back is not where the request would put it (a
/// cancel refused for a call in progress), and when the call cannot be read back.
#[tokio::test]
async fn a_refusal_stands_when_the_call_is_not_there_yet() {
    let cases = [
        (
            "/cancel",
            "Only scheduled or queued calls can be canceled",
            Some("In progress"),
        ),
        ("/stop", "Call is not in progress", None),
    ];
    for (action, message, status) in cases {
        let api = api().await;
        let refused = json!({ "message": message }).to_string();
        api.respond_json("POST", &call_tail(action), 400, &refused)
            .await;
        match status {
            Some(status) => {
                api.respond_json("GET", &call_tail(""), 200, &call_with_status(status))
                    .await
            }
            None => api.respond_json("GET", &call_tail(""), 503, "").await,
        }
        let hr = client(&api);
        let err = if action == "/cancel" {
            hr.cancel_call(&id()).await.unwrap_err()
        } else {
            hr.end_call(&id()).await.unwrap_err()
        };
        assert!(
            matches!(&err, Error::InvalidRequest { status: Some(400), message: m, .. } if m == message),
            "{action} {status:?}: {err:?}"
        );
    }
}

/// A stop refused (a 400, inferred) for a call still scheduled is a conflict, as every vendor's
/// refused end of a call that is there: the call exists, and cannot be ended as it is.
#[tokio::test]
async fn a_stop_refused_for_a_scheduled_call_is_a_conflict() {
    let api = api().await;
    let refused = json!({ "message": "Call is not in progress" }).to_string();
    api.respond_json("POST", &call_tail("/stop"), 400, &refused)
        .await;
    api.respond_json("GET", &call_tail(""), 200, &call_with_status("Scheduled"))
        .await;
    let err = client(&api).end_call(&id()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { operation: Operation::EndCall, message: Some(m), .. }
            if m == "the call exists, scheduled; the vendor answered: Call is not in progress"),
        "{err:?}"
    );
}

#[tokio::test]
async fn notes_are_added_updated_and_deleted() {
    let api = api().await;
    let note_id = "69af27497a81a64cbcab564f";
    let note_tail = call_tail(&format!("/notes/{note_id}"));
    api.on("POST", &call_tail("/notes"))
        .and(body_json(
            json!({"content": "Call back Friday", "flagged": false}),
        ))
        .respond_with(json_response(200, &fixture("call_notes_ratings.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    api.on("PATCH", &note_tail)
        .and(body_json(
            json!({"content": "Check authority", "flagged": true}),
        ))
        .respond_with(json_response(200, &fixture("call_notes_ratings.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    // New text only: the flag is not sent, so HappyRobot keeps it (the note stays flagged;
    // that a PATCH leaves out what it does not send is inferred).
    let new_text = "FMCSA shows MC granted 4 months ago, not the 2 years the caller claimed. Compliance is reviewing; do not tender to this carrier until cleared.";
    api.on("PATCH", &note_tail)
        .and(body_json(json!({ "content": new_text })))
        .respond_with(json_response(200, &fixture("call_note_updated.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    // An update can unflag, sending that alone.
    api.on("PATCH", &note_tail)
        .and(body_json(json!({"flagged": false})))
        .respond_with(json_response(200, &fixture("call_notes_ratings.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    api.respond_json("DELETE", &note_tail, 200, &fixture("call_seed.json"))
        .await;
    let hr = client(&api);
    let call = hr
        .add_note(&id(), &NoteInput::new("Call back Friday"))
        .await
        .unwrap();
    assert_eq!(call.notes.len(), 2);
    assert!(call.notes[0].flagged);
    assert_eq!(call.notes[0].id.as_str(), note_id);
    assert_eq!(
        call.notes[0].author.as_deref(),
        Some("678fc1e77a81a64cbcab4f2c")
    );
    let edited = NoteUpdate::text("Check authority").with_flagged(true);
    let call = hr
        .update_note(&id(), &NoteId::new(note_id), &edited)
        .await
        .unwrap();
    assert!(call.vendor_payload().is_some());
    let call = hr
        .update_note(&id(), &NoteId::new(note_id), &NoteUpdate::text(new_text))
        .await
        .unwrap();
    assert_eq!(call.notes[0].content, new_text);
    assert!(call.notes[0].flagged, "the note was unflagged");
    let unflag = NoteUpdate::flagged(false);
    hr.update_note(&id(), &NoteId::new(note_id), &unflag)
        .await
        .unwrap();
    let call = hr.delete_note(&id(), &NoteId::new(note_id)).await.unwrap();
    assert!(call.notes.iter().all(|n| n.id.as_str() != note_id));
}

/// A note delete whose first answer was lost (a 503 after sending) and whose retry finds
/// the note gone was done by that first attempt: it succeeds with the call read back. A
/// first attempt answered not-found stays an error (nothing says the delete was done).
#[tokio::test]
async fn a_note_delete_whose_retry_finds_it_gone_succeeds() {
    let note_id = NoteId::new("69af27497a81a64cbcab564f");
    let note_tail = call_tail(&format!("/notes/{}", note_id.as_str()));
    let gone = r#"{"message": "Note not found"}"#;
    for lost_answer in [true, false] {
        let api = api().await;
        if lost_answer {
            api.lose_first_answer("DELETE", &note_tail).await;
        }
        api.respond_json("DELETE", &note_tail, 404, gone).await;
        api.on("GET", &call_tail(""))
            .respond_with(json_response(200, &fixture("call_seed.json")))
            .expect(u64::from(lost_answer))
            .mount(&api.server)
            .await;
        let result = retrying_client(&api).delete_note(&id(), &note_id).await;
        if lost_answer {
            let call = result.unwrap();
            assert_eq!(call.id.as_str(), CALL_ID);
            assert!(call.notes.iter().all(|n| n.id != note_id));
        } else {
            let err = result.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::NotFound {
                        operation: Operation::DeleteNote,
                        ..
                    }
                ),
                "{err:?}"
            );
        }
    }
}

/// The delete done, the call it answered with lost, and the call's read back failing: the
/// error is named for the delete asked for, not for a `get_call` the caller never made,
/// and stays retryable (a retry finds the note gone: done).
#[tokio::test]
async fn a_note_delete_whose_read_back_fails_names_the_delete() {
    let note_id = NoteId::new("69af27497a81a64cbcab564f");
    let note_tail = call_tail(&format!("/notes/{}", note_id.as_str()));
    let api = api().await;
    api.lose_first_answer("DELETE", &note_tail).await;
    api.respond_json(
        "DELETE",
        &note_tail,
        404,
        r#"{"message": "Note not found"}"#,
    )
    .await;
    // Retried by the client, and failing each time.
    api.on("GET", &call_tail(""))
        .respond_with(json_response(503, r#"{"message": "unavailable"}"#))
        .mount(&api.server)
        .await;
    let err = retrying_client(&api)
        .delete_note(&id(), &note_id)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Server {
                operation: Operation::DeleteNote,
                status: 503,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_note_update_that_changes_nothing_is_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let hr = client(&api);
    let note_id = NoteId::new("69af27497a81a64cbcab564f");
    for nothing in [NoteUpdate::default(), NoteUpdate::text(" \n")] {
        let err = hr.update_note(&id(), &note_id, &nothing).await.unwrap_err();
        assert_refused_locally(&err, Operation::UpdateNote, "changes nothing");
    }
    let err = hr
        .update_note(&CallId::new("../x"), &note_id, &NoteUpdate::flagged(true))
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::UpdateNote, "call id");
}

#[tokio::test]
async fn viewed_and_rating_extensions() {
    let api = api().await;
    api.on("PATCH", &call_tail("/viewed"))
        .and(body_json(
            json!({"email": "maria.gonzalez@ridgelinefreight.com"}),
        ))
        .respond_with(json_response(200, &fixture("call_notes_ratings.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    api.on("PATCH", &call_tail("/ratings"))
        .and(body_json(json!({
            "emoji": "👎",
            "email": "tyler.brooks@ridgelinefreight.com",
            "operation": "remove"
        })))
        // Documented: a 200 with no body.
        .respond_with(json_response(200, ""))
        .expect(1)
        .mount(&api.server)
        .await;
    let hr = client(&api);
    let call = hr
        .set_viewed(&id(), "maria.gonzalez@ridgelinefreight.com")
        .await
        .unwrap();
    assert_eq!(call.ratings.len(), 3);
    assert_eq!(call.ratings[1].value, "👎");
    assert_eq!(
        call.ratings[1].by.as_deref(),
        Some("tyler.brooks@ridgelinefreight.com")
    );
    hr.set_rating(
        &id(),
        RatingEmoji::ThumbsDown,
        "tyler.brooks@ridgelinefreight.com",
        RatingOperation::Remove,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn logs_tags_and_export_extensions() {
    let api = api().await;
    let logs = r#"[{"level": "info", "message": "call created"}]"#;
    api.respond_json("GET", &call_tail("/logs"), 200, logs)
        .await;
    api.respond_json("GET", "/calls/tags", 200, r#"["dry-van", "vip"]"#)
        .await;
    api.on("POST", "/calls/export")
        .and(query_param("type", "Inbound"))
        .and(query_param("statuses", "Completed"))
        .and(query_param_is_missing("limit"))
        .respond_with(json_response(200, r#"{"message": "Export started"}"#))
        .expect(1)
        .mount(&api.server)
        .await;
    let hr = client(&api);
    let logs = hr.call_logs(&id()).await.unwrap();
    assert_eq!(logs[0]["message"], "call created");
    assert_eq!(hr.call_tags().await.unwrap(), ["dry-van", "vip"]);
    let query = CallQuery {
        direction: Some(Direction::Inbound),
        statuses: vec![CallStatus::Completed],
        ..CallQuery::default()
    };
    hr.export_calls_csv(&query).await.unwrap();
    // A filter HappyRobot cannot apply to an export is refused, not dropped.
    let err = hr
        .export_calls_csv(&CallQuery {
            kind: Some(CallKind::Web),
            ..CallQuery::default()
        })
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::Extension("export_calls_csv"), "`kind`");
    // HappyRobot's `tags` keeps a call carrying any of them; a query's tags mean every
    // one (as a listing applies them): two tags are refused, one is sent.
    let tags = |tags: &[&str]| CallQuery {
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
        ..CallQuery::default()
    };
    let err = hr
        .export_calls_csv(&tags(&["vip", "reefer"]))
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::Extension("export_calls_csv"), "every tag");
    // What the guard refuses of a listing, an export refuses too.
    let now = chrono::Utc::now();
    let empty_range = CallQuery {
        since: Some(now),
        until: Some(now),
        ..CallQuery::default()
    };
    let err = hr.export_calls_csv(&empty_range).await.unwrap_err();
    assert_refused_locally(
        &err,
        Operation::Extension("export_calls_csv"),
        "is not after",
    );
    let err = hr.export_calls_csv(&tags(&[" "])).await.unwrap_err();
    assert_refused_locally(&err, Operation::Extension("export_calls_csv"), "is blank");
}

/// A bare list of more entries than core's ceiling (`MAX_LIST_ITEMS`) is refused as it is
/// read, as every vendor list is: a body of empty entries would otherwise take gigabytes.
/// Empty objects read as usage rows are refused sooner, once they would take more than
/// the body's budget (eight times its size).
#[tokio::test]
async fn bare_lists_beyond_the_ceiling_are_decode_errors() {
    let api = api().await;
    let endless = |entry: &str| format!("[{}]", vec![entry; 100_001].join(","));
    api.respond_json("GET", "/calls/tags", 200, &endless(r#""vip""#))
        .await;
    Mock::given(method("GET"))
        .and(path("/platform/api/v1/usage"))
        .respond_with(json_response(200, &endless("{}")))
        .mount(&api.server)
        .await;
    let hr = client(&api);
    let refused = |err: Error, operation: &str, why: &str| match err {
        Error::Decode {
            provider: ProviderKind::HappyRobot,
            operation: Operation::ExtensionRead(op),
            message,
            ..
        } if op == operation => assert!(message.contains(why), "{message}"),
        other => panic!("{other:?}"),
    };
    let tags = hr.call_tags().await.unwrap_err();
    refused(tags, "call_tags", "more than 100000");
    let (start, end) = usage_period();
    let usage = hr.usage(start..end).await.unwrap_err();
    refused(usage, "usage", "times its size in memory");
}

#[tokio::test]
async fn usage_goes_to_the_platform_api_with_the_organization_header() {
    let api = api().await;
    let usage = json!([{
        "org_id": "0196f0a2-0000-7000-8000-000000000001",
        "use_case_id": "0196f0a2-0000-7000-8000-000000000002",
        "start": "2026-08-01T00:00:00Z",
        "end": "2026-11-01T00:00:00Z",
        "calls": 412,
        "minutes": 1210.5
    }]);
    // Another host in production: here the same server, outside the app API's prefix.
    Mock::given(method("GET"))
        .and(path("/platform/api/v1/usage"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header(
            "x-organization-id",
            "0196f0a2-0000-7000-8000-000000000001",
        ))
        .and(query_param("start", "2026-08-01T00:00:00.000Z"))
        .and(query_param("end", "2026-11-01T00:00:00.000Z"))
        .respond_with(json_response(200, &usage.to_string()))
        .expect(1)
        .mount(&api.server)
        .await;
    let (start, end) = usage_period();
    let usage = client(&api).usage(start..end).await.unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].calls, Some(412));
    assert_eq!(usage[0].minutes, Some(1210.5));
    assert_eq!(usage[0].start_time(), Some(start));
    assert_eq!(usage[0].end_time(), Some(end));
}

/// The quarter the usage tests ask about.
fn usage_period() -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let start = "2026-08-01T00:00:00Z".parse().unwrap();
    let end = "2026-11-01T00:00:00Z".parse().unwrap();
    (start, end)
}

/// A `base_url` of your own (a gateway, a mock) without a `usage_base_url`: the usage report
/// is refused before anything is sent, rather than sending the key to the production
/// platform host past the gateway.
#[tokio::test]
async fn usage_is_not_sent_to_production_past_a_base_url_of_your_own() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let mut config = config(&api);
    config.options.remove("usage_base_url");
    let hr = HappyRobot::from_config(&config).unwrap();
    let (start, end) = usage_period();
    let err = hr.usage(start..end).await.unwrap_err();
    assert!(
        matches!(&err, Error::Config { field, message, .. }
            if field == "options.usage_base_url" && message.contains("`base_url` is set")),
        "{err:?}"
    );
}

/// An empty period (the two times swapped, or one instant) is refused before anything is
/// sent: the mock expects no request.
#[tokio::test]
async fn usage_refuses_an_empty_period_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let hr = HappyRobot::from_config(&config(&api)).unwrap();
    let (start, end) = usage_period();
    for period in [end..start, start..start] {
        let err = hr.usage(period).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { message, .. } if message.contains("the period is empty")),
            "{err:?}"
        );
    }
}

/// The organization id is needed only by a user of several organizations (the API
/// reference's description of the header it marks required): without the option the
/// report is asked for without the header.
#[tokio::test]
async fn usage_without_an_organization_id_sends_no_organization_header() {
    let api = api().await;
    Mock::given(method("GET"))
        .and(path("/platform/api/v1/usage"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(|request: &wiremock::Request| !request.headers.contains_key("x-organization-id"))
        .respond_with(json_response(200, "[]"))
        .expect(1)
        .mount(&api.server)
        .await;
    let mut config = config(&api);
    config.options.remove("organization_id");
    let (start, end) = usage_period();
    let hr = HappyRobot::from_config(&config).unwrap();
    assert!(hr.usage(start..end).await.unwrap().is_empty());

    // An id a header cannot carry (or a blank one) is refused when connecting, naming
    // the option, rather than at the first `usage`.
    for id in ["line\nbreak", "  "] {
        config.options.insert("organization_id".into(), id.into());
        let Err(err) = HappyRobot::from_config(&config) else {
            panic!("{id:?} was taken");
        };
        assert!(
            matches!(&err, Error::Config { field, .. } if field == "options.organization_id"),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn error_statuses_map_to_error_kinds() {
    let api = api().await;
    let hr = client(&api);
    let call_id = id();
    let body = |_| r#"{"message": "bad thing"}"#.to_owned();
    api.check_error_statuses("GET", &call_tail(""), Operation::GetCall, body, || {
        hr.get_call(&call_id)
    })
    .await;
    // Every other endpoint too: the core maps them alike, each error naming its operation.
    let query = CallQuery::default();
    api.check_error_statuses("GET", "/calls", Operation::ListCalls, body, || {
        hr.list_calls(&query)
    })
    .await;
    let dial = DialRequest::to("+17705550163");
    api.check_error_statuses("POST", "/dial/outbound", Operation::Dial, body, || {
        hr.dial(&dial)
    })
    .await;
    let transcript = call_tail("/transcript");
    api.check_error_statuses("GET", &transcript, Operation::GetTranscript, body, || {
        hr.get_transcript(&call_id)
    })
    .await;
    // A refused end or cancel is read against the call, which cannot be read here: the
    // refusal stands as it came.
    api.check_error_statuses(
        "POST",
        &call_tail("/stop"),
        Operation::EndCall,
        body,
        || hr.end_call(&call_id),
    )
    .await;
    let cancel = call_tail("/cancel");
    api.check_error_statuses("POST", &cancel, Operation::CancelCall, body, || {
        hr.cancel_call(&call_id)
    })
    .await;
    api.check_error_statuses(
        "DELETE",
        &call_tail(""),
        Operation::DeleteCall,
        body,
        || hr.delete_call(&call_id),
    )
    .await;
    let note = NoteInput::new("Asked for a callback");
    api.check_error_statuses(
        "POST",
        &call_tail("/notes"),
        Operation::AddNote,
        body,
        || hr.add_note(&call_id, &note),
    )
    .await;
    // The vendor's message is kept.
    for status in [400, 401] {
        api.respond_json("GET", &call_tail(""), status, &body(status))
            .await;
        let err = hr.get_call(&id()).await.unwrap_err();
        let kept = match &err {
            Error::InvalidRequest { message, .. } => message == "bad thing",
            Error::Unauthorized {
                message: Some(m), ..
            } => m == "bad thing",
            _ => false,
        };
        assert!(kept, "{status}: {err:?}");
        api.server.reset().await;
    }
}

#[tokio::test]
async fn a_broken_body_is_a_decode_error_naming_the_path() {
    let api = api().await;
    let body = json!({"calls": [{"id": "a"}, {"id": "b", "duration": "long"}], "count": 2});
    api.respond_json("GET", "/calls", 200, &body.to_string())
        .await;
    let err = client(&api)
        .list_calls(&CallQuery::default())
        .await
        .unwrap_err();
    match err {
        Error::Decode { path, provider, .. } => {
            assert_eq!(path, "calls[1].duration");
            assert_eq!(provider, ProviderKind::HappyRobot);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_ids_are_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let hr = client(&api);
    let bad = CallId::new("../../dial/outbound");
    let short = CallId::new("69b03bcf");
    let good_note = NoteId::new("n1");
    let note = NoteInput::new("x");
    let update = NoteUpdate::text("x");
    let ext = Operation::Extension;
    let results: Vec<(Operation, &str, voiceport_core::Result<()>)> = vec![
        (
            Operation::GetCall,
            "call id",
            hr.get_call(&bad).await.map(drop),
        ),
        (
            Operation::GetCall,
            "call id",
            hr.get_call(&short).await.map(drop),
        ),
        (
            Operation::GetTranscript,
            "call id",
            hr.get_transcript(&bad).await.map(drop),
        ),
        (
            Operation::GetRecording,
            "call id",
            hr.get_recording(&bad).await.map(drop),
        ),
        (Operation::EndCall, "call id", hr.end_call(&bad).await),
        (Operation::CancelCall, "call id", hr.cancel_call(&bad).await),
        (Operation::DeleteCall, "call id", hr.delete_call(&bad).await),
        (
            Operation::AddNote,
            "call id",
            hr.add_note(&bad, &note).await.map(drop),
        ),
        (
            Operation::UpdateNote,
            "call id",
            hr.update_note(&bad, &good_note, &update).await.map(drop),
        ),
        (
            Operation::UpdateNote,
            "note id",
            hr.update_note(&id(), &NoteId::new(""), &update)
                .await
                .map(drop),
        ),
        (
            Operation::DeleteNote,
            "note id",
            hr.delete_note(&id(), &NoteId::new("a\nb")).await.map(drop),
        ),
        (
            ext("set_viewed"),
            "call id",
            hr.set_viewed(&bad, "a@b.c").await.map(drop),
        ),
        (
            ext("set_rating"),
            "call id",
            hr.set_rating(&bad, RatingEmoji::Check, "a@b.c", RatingOperation::Add)
                .await,
        ),
        (
            Operation::ExtensionRead("call_logs"),
            "call id",
            hr.call_logs(&bad).await.map(drop),
        ),
    ];
    for (operation, what, result) in results {
        assert_refused_locally(&result.unwrap_err(), operation, what);
    }
}

#[tokio::test]
async fn unsupported_operations_say_so() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let hr = client(&api);
    let caps = hr.capabilities();
    assert!(!caps.update_name && !caps.update_metadata_merge && !caps.update_metadata_replace);
    let rename = CallUpdate {
        name: Some("x".into()),
        ..CallUpdate::default()
    };
    let retag = CallUpdate {
        metadata: Some([("k".to_owned(), json!(1))].into()),
        ..CallUpdate::default()
    };
    for update in [rename, retag] {
        let result = hr.update_call(&id(), &update).await;
        assert_unsupported(&result, ProviderKind::HappyRobot);
        // No update endpoint at all: the guard refuses the operation itself.
        let err = result.unwrap_err();
        assert_eq!(err.operation(), Some(Operation::UpdateCall), "{err:?}");
    }
}

/// The declared capabilities, pinned: a flag changed by mistake fails here. (That each
/// flag is what works, both ways, is the conformance suite's check: `tests/conformance.rs`
/// at the top of the workspace.)
#[test]
fn capabilities_are_the_declared_set() {
    let server_less = ProviderConfig::new(ProviderKind::HappyRobot).with_api_key(KEY);
    let caps = HappyRobot::from_config(&server_less)
        .unwrap()
        .capabilities();
    let json = serde_json::to_value(caps).unwrap();
    assert_eq!(
        json,
        json!({
            "get_call": true, "list_calls": true, "dial": true, "dial_scheduled": true,
            "update_name": false, "update_metadata_merge": false, "update_metadata_replace": false,
            "transcript": true, "recording": true, "end_call": true, "cancel_call": true,
            "delete_call": true, "notes": true, "webhooks": true,
            "filter_direction": true, "filter_kind": true, "filter_statuses": true,
            "filter_time_range": true, "time_range_on_start": false,
            "filter_agent": true, "filter_campaign": true,
            "filter_tags": true, "filter_search": true, "filter_from_number": true,
            "filter_to_number": true, "sort": true, "listing_order": null, "client_side_filtering": true,
            "server_paging": true, "max_page_size": 2000, "default_page_size": 100,
            "inline_transcript": false, "cost": true, "analysis": true
        })
    );
}

#[tokio::test]
async fn webhooks_parse_through_the_trait() {
    let api = api().await;
    let hr = client(&api);
    match hr
        .parse_webhook(fixture("webhook_end.json").as_bytes())
        .unwrap()
        .kind
    {
        voiceport_core::EventKind::Ended { call, .. } => {
            assert_eq!(call.status, CallStatus::Completed);
            assert_eq!(call.transcript.unwrap().utterances.len(), 8);
        }
        other => panic!("{other:?}"),
    }
    let event = hr
        .parse_webhook(fixture("webhook_session_status_changed.json").as_bytes())
        .unwrap();
    assert_eq!(event.vendor_event, "session.status_changed");
    assert_eq!(event.status(), Some(CallStatus::Completed));
    assert_eq!(
        event.call_id.as_ref().map(CallId::as_str),
        Some("019ce781-0fa8-7537-852d-1ea20493d982")
    );
}

#[test]
fn debug_never_shows_the_key_and_config_is_checked() {
    let config = ProviderConfig::new(ProviderKind::HappyRobot).with_api_key(KEY);
    let hr = HappyRobot::from_config(&config).unwrap();
    let text = format!("{hr:?}");
    assert_key_hidden(&text);
    assert!(text.contains("app.happyrobot.ai"), "{text}");
    assert!(text.contains("platform.happyrobot.ai"), "{text}");

    let other = ProviderConfig::new(ProviderKind::Rounded).with_api_key(KEY);
    let err = HappyRobot::from_config(&other).unwrap_err();
    assert!(
        matches!(&err, Error::Config { field, .. } if field == "kind"),
        "{err:?}"
    );

    let typo = config.clone().with_option("numberid", "x");
    let err = HappyRobot::from_config(&typo).unwrap_err();
    assert!(
        matches!(&err, Error::Config { field, .. } if field.starts_with("options")),
        "{err:?}"
    );

    let insecure =
        (config.clone()).with_option("usage_base_url", "http://platform.example.com/api/v1");
    let err = HappyRobot::from_config(&insecure).unwrap_err();
    assert!(
        matches!(&err, Error::Config { field, .. } if field == "options.usage_base_url"),
        "{err:?}"
    );
    // Plain http to loopback is allowed, but not beside the https API: one client serves
    // both, and would refuse every usage report.
    let mut halfway = config.with_option("usage_base_url", "http://127.0.0.1:9/api/v2");
    halfway.base_url = None;
    let err = HappyRobot::from_config(&halfway).unwrap_err();
    assert!(
        matches!(&err, Error::Config { field, message, .. } if field == "options.usage_base_url"
            && message.contains("beside an https base_url")),
        "{err:?}"
    );
    halfway.base_url = Some("http://127.0.0.1:9/api/v1".into());
    assert!(HappyRobot::from_config(&halfway).is_ok());
}
