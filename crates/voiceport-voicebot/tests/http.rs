//! The client over HTTP against wiremock: every endpoint, its auth, query and body shape,
//! response mapping, and error statuses.

mod support;

use futures::TryStreamExt;
use serde_json::json;
use support::{KEY, PREFIX, client, client_no_retry, fixture};
use voiceport_core::{
    AgentId, CallEvent, CallId, CallKind, CallQuery, CallStatus, CallUpdate, CampaignId, Direction,
    EndReasonCategory, Error, MetadataMode, NoteId, NoteInput, Operation, PageCursor,
    ProviderConfig, ProviderKind, RequestOutcome, SortOrder, Speaker, VoiceProvider,
    VoiceProviderExt,
};
use voiceport_voicebot::{DEFAULT_BASE_URL, Voicebot};
use wiremock::matchers::{
    any, body_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SEED_ID: &str = "019cf72b-2008-72f2-9228-bc1f965cbb09";

fn calls_path(id: &str) -> String {
    format!("{PREFIX}/calls/{id}")
}

fn json_body(text: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(text, "application/json")
}

/// A catch-all that must see no request.
async fn no_request(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(server)
        .await;
}

#[tokio::test]
async fn get_call_sends_key_and_maps_the_call() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(calls_path(SEED_ID)))
        .and(header("X-API-Key", KEY))
        .and(header("accept", "application/json"))
        .respond_with(json_body(fixture("call_seed.json")))
        .expect(1)
        .mount(&server)
        .await;
    let call = client(&server)
        .get_call(&CallId::new(SEED_ID))
        .await
        .unwrap();
    assert_eq!(call.id.as_str(), SEED_ID);
    assert_eq!(call.provider, ProviderKind::Voicebot);
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.vendor_status.as_deref(), Some("ended"));
    let reason = call.end_reason.as_ref().unwrap();
    assert_eq!(reason.category, EndReasonCategory::CustomerHungUp);
    assert_eq!(reason.vendor.as_deref(), Some("customer-ended-call"));
    assert_eq!(call.direction, Some(Direction::Outbound));
    assert_eq!(call.kind, CallKind::Phone);
    assert_eq!(call.to.as_deref(), Some("+15125550173"));
    assert_eq!(call.from, None);
    assert!((call.duration_secs.unwrap() - 38.71).abs() < 1e-9);
    let transcript = call.transcript.as_ref().unwrap();
    assert_eq!(transcript.utterances.len(), 9);
    assert_eq!(transcript.utterances[1].speaker, Speaker::Agent);
    assert!(transcript.text.as_deref().unwrap().starts_with("AI: Hi"));
    assert!(call.recording.as_ref().unwrap().mono_url.is_some());
    assert_eq!(call.analysis.success_evaluation.as_deref(), Some("true"));
    assert!(call.analysis.summary.is_some());
    assert!(
        call.vendor_payload()
            .unwrap()
            .get()
            .contains("\"transport\"")
    );
}

#[tokio::test]
async fn get_call_of_a_missing_id_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(calls_path("nope")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": "Call not found"})))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .get_call(&CallId::new("nope"))
        .await
        .unwrap_err();
    match err {
        Error::NotFound {
            provider,
            operation,
            message,
        } => {
            assert_eq!(provider, ProviderKind::Voicebot);
            assert_eq!(operation, Operation::GetCall);
            assert_eq!(message.as_deref(), Some("Call not found"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_ids_are_refused_before_sending() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let voicebot = client(&server);
    for bad in ["", "a\nb", "\u{0}"] {
        let id = CallId::new(bad);
        let results = [
            voicebot.get_call(&id).await.map(|_| ()),
            voicebot.delete_call(&id).await,
            voicebot
                .update_call(
                    &id,
                    &CallUpdate {
                        name: Some("x".into()),
                        ..Default::default()
                    },
                )
                .await
                .map(|_| ()),
            voicebot.transcript(&id).await.map(|_| ()),
            voicebot.recording(&id).await.map(|_| ()),
        ];
        for result in results {
            assert!(
                matches!(result, Err(Error::InvalidRequest { status: None, .. })),
                "{bad:?}: {result:?}"
            );
        }
    }
}

#[tokio::test]
async fn ids_are_one_path_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/calls/a%2F..%2Fb")))
        .respond_with(json_body(json!({"id": "a/../b"}).to_string()))
        .expect(1)
        .mount(&server)
        .await;
    let call = client(&server)
        .get_call(&CallId::new("a/../b"))
        .await
        .unwrap();
    assert_eq!(call.id.as_str(), "a/../b");
}

#[tokio::test]
async fn list_sends_vapi_params_and_pages_by_creation_time() {
    let server = MockServer::start().await;
    // First page: full (4 of limit 4).
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/calls")))
        .and(header("X-API-Key", KEY))
        .and(query_param("limit", "4"))
        .and(query_param_is_missing("createdAtLt"))
        .respond_with(json_body(fixture("list.json")))
        .expect(2)
        .mount(&server)
        .await;
    // Second page: before the oldest call of the first, empty.
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/calls")))
        .and(query_param("limit", "4"))
        .and(query_param("createdAtLt", "2026-03-16T15:29:40.332Z"))
        .respond_with(json_body("[]".into()))
        .expect(1)
        .mount(&server)
        .await;
    let voicebot = client(&server);
    let query = CallQuery {
        page_size: Some(4),
        ..Default::default()
    };
    let page = voicebot.list_calls(&query).await.unwrap();
    assert_eq!(page.calls.len(), 4);
    assert_eq!(page.total, None);
    assert!(page.calls.iter().all(|c| c.vendor_payload().is_some()));
    let next = page.next.clone().unwrap();
    assert_eq!(
        next,
        PageCursor::CreatedBefore {
            before: "2026-03-16T15:29:40.332Z".parse().unwrap()
        }
    );
    // The stream walks both pages and stops on the short one.
    let pages: Vec<_> = voicebot.pages(query).try_collect().await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].calls.len(), 0);
    assert_eq!(pages[1].next, None);
}

#[tokio::test]
async fn list_sends_time_window_and_agent_and_filters_client_side() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/calls")))
        .and(query_param("limit", "100"))
        .and(query_param("createdAtGe", "2026-03-01T00:00:00.000Z"))
        .and(query_param("createdAtLt", "2026-04-01T00:00:00.000Z"))
        .and(query_param(
            "assistantId",
            "83e6398d-2080-44a1-8c0e-12bedcc33d1e",
        ))
        .respond_with(json_body(fixture("list.json")))
        .expect(1)
        .mount(&server)
        .await;
    let query = CallQuery {
        since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
        until: Some("2026-04-01T00:00:00Z".parse().unwrap()),
        agent_id: Some(AgentId::new("83e6398d-2080-44a1-8c0e-12bedcc33d1e")),
        ..Default::default()
    };
    let page = client(&server).list_calls(&query).await.unwrap();
    // The fixture's inbound call has another assistant: VS may ignore `assistantId`, so
    // the filter is applied again here.
    assert_eq!(
        page.calls.len(),
        3,
        "{:?}",
        page.calls.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    assert!(page.calls.iter().all(|c| query.matches(c)));
    assert_eq!(page.next, None, "4 calls of limit 100: last page");
}

/// Every supported filter is applied client-side to what the vendor returned.
#[tokio::test]
async fn every_supported_filter_is_applied() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/calls")))
        .respond_with(json_body(fixture("list.json")))
        .mount(&server)
        .await;
    let voicebot = client(&server);
    let caps = voicebot.capabilities();
    assert!(caps.client_side_filtering && caps.server_paging);
    assert_eq!(caps.max_page_size, 1000);
    let cases: Vec<(bool, CallQuery, usize)> = vec![
        (
            caps.filter_direction,
            CallQuery {
                direction: Some(Direction::Inbound),
                ..Default::default()
            },
            1,
        ),
        (
            caps.filter_kind,
            CallQuery {
                kind: Some(CallKind::Web),
                ..Default::default()
            },
            0,
        ),
        (
            caps.filter_kind,
            CallQuery {
                kind: Some(CallKind::Phone),
                ..Default::default()
            },
            4,
        ),
        (
            caps.filter_statuses,
            CallQuery {
                statuses: vec![CallStatus::NoAnswer],
                ..Default::default()
            },
            1,
        ),
        (
            caps.filter_time_range,
            CallQuery {
                since: Some("2026-03-16T15:40:00Z".parse().unwrap()),
                ..Default::default()
            },
            2,
        ),
        (
            caps.filter_agent,
            CallQuery {
                agent_id: Some(AgentId::new("nobody")),
                ..Default::default()
            },
            0,
        ),
        (
            caps.filter_campaign,
            CallQuery {
                campaign_id: Some(CampaignId::new("k1")),
                ..Default::default()
            },
            0,
        ),
        (
            caps.filter_search,
            CallQuery {
                search: Some("olivia".into()),
                ..Default::default()
            },
            1,
        ),
        (
            caps.filter_from_number,
            CallQuery {
                from_number: Some("+15125550191".into()),
                ..Default::default()
            },
            0,
        ),
        (
            caps.filter_to_number,
            CallQuery {
                to_number: Some("+15125550191".into()),
                ..Default::default()
            },
            1,
        ),
    ];
    for (supported, query, expected) in cases {
        assert!(supported, "{query:?}");
        let page = voicebot.list_calls(&query).await.unwrap();
        assert_eq!(page.calls.len(), expected, "{query:?}");
        assert!(page.calls.iter().all(|c| query.matches(c)), "{query:?}");
    }
}

#[tokio::test]
async fn unsupported_filters_and_foreign_cursors_are_refused_without_a_request() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let voicebot = client(&server);
    let caps = voicebot.capabilities();
    assert!(!caps.filter_tags && !caps.sort);
    let tags = CallQuery {
        tags: vec!["vip".into()],
        ..Default::default()
    };
    assert!(matches!(
        voicebot.list_calls(&tags).await,
        Err(Error::Unsupported {
            operation: Operation::ListFilter(voiceport_core::Filter::Tags),
            ..
        })
    ));
    let sort = CallQuery {
        sort: Some(SortOrder::Ascending),
        ..Default::default()
    };
    assert!(matches!(
        voicebot.list_calls(&sort).await,
        Err(Error::Unsupported {
            operation: Operation::ListFilter(voiceport_core::Filter::Sort),
            ..
        })
    ));
    let foreign = CallQuery {
        cursor: Some(PageCursor::Page { number: 2 }),
        ..Default::default()
    };
    assert!(matches!(
        voicebot.list_calls(&foreign).await,
        Err(Error::InvalidRequest { status: None, .. })
    ));
}

#[tokio::test]
async fn list_decode_error_names_the_item() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/calls")))
        .respond_with(json_body(
            r#"[{"id":"a"},{"id":"b","messages":"oops"}]"#.into(),
        ))
        .mount(&server)
        .await;
    let err = client(&server)
        .list_calls(&CallQuery::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, operation: Operation::ListCalls, .. } if path == "[1].messages"),
        "{err:?}"
    );
}

#[tokio::test]
async fn dial_posts_a_vapi_create_call_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{PREFIX}/calls")))
        .and(header("X-API-Key", KEY))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "assistantId": "83e6398d-2080-44a1-8c0e-12bedcc33d1e",
            "phoneNumberId": "num-default",
            "customer": {"number": "+15125550133"},
            "name": "Reminder - Grace Kim",
            "schedulePlan": {"earliestAt": "2026-03-20T15:00:00.000Z"},
            "assistantOverrides": {
                "variableValues": {"first_name": "Grace"},
                "metadata": {"crm_id": 42},
                "maxDurationSeconds": 600
            },
            "backgroundSound": "off"
        })))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_raw(fixture("call_scheduled.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let voicebot = client(&server);
    assert!(voicebot.capabilities().dial_scheduled);
    let mut request = voiceport_core::DialRequest::to("+15125550133");
    request.agent_id = Some(AgentId::new("83e6398d-2080-44a1-8c0e-12bedcc33d1e"));
    request.name = Some("Reminder - Grace Kim".into());
    request.scheduled_for = Some("2026-03-20T15:00:00Z".parse().unwrap());
    request
        .variables
        .insert("first_name".into(), json!("Grace"));
    request.metadata.insert("crm_id".into(), json!(42));
    request.max_duration_secs = Some(600);
    request.extra.insert("backgroundSound".into(), json!("off"));
    let outcome = voicebot.dial(&request).await.unwrap();
    assert_eq!(
        outcome.call_id.as_str(),
        "019d02fb-50e6-74ce-a4e2-af08f2e4d6e6"
    );
    let call = outcome.call.unwrap();
    assert_eq!(call.status, CallStatus::Scheduled);
    assert_eq!(
        call.scheduled_for,
        Some("2026-03-20T15:00:00Z".parse().unwrap())
    );
    assert!(call.vendor_payload().is_some());
}

#[tokio::test]
async fn dial_uses_the_default_assistant_and_accepts_200() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{PREFIX}/calls")))
        .and(body_json(json!({
            "assistantId": "asst-default",
            "phoneNumberId": "num-override",
            "customer": {"number": "+14155550199"}
        })))
        .respond_with(json_body(
            json!({"id": "new-1", "status": "queued", "type": "outboundPhoneCall"}).to_string(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut request = voiceport_core::DialRequest::to("+14155550199");
    request.phone_number_id = Some("num-override".into());
    let outcome = client(&server).dial(&request).await.unwrap();
    assert_eq!(outcome.call_id.as_str(), "new-1");
    assert_eq!(outcome.call.unwrap().status, CallStatus::Queued);
}

#[tokio::test]
async fn dial_is_sent_once_on_a_500() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{PREFIX}/calls")))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"detail": "boom"})))
        .expect(1)
        .mount(&server)
        .await;
    // Retries are on (default 4 attempts, tiny backoffs): a dial must still go once.
    let err = client(&server)
        .dial(&voiceport_core::DialRequest::to("+14155550199"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
    assert_eq!(err.outcome(), RequestOutcome::Unknown);
}

#[tokio::test]
async fn dial_refusals_send_nothing() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let voicebot = client(&server);
    let base = voiceport_core::DialRequest::to("+14155550199");
    let cases = [
        (
            voiceport_core::DialRequest {
                from_number: Some("+1".into()),
                ..base.clone()
            },
            "from_number",
        ),
        (
            voiceport_core::DialRequest {
                language: Some("fr-FR".into()),
                ..base.clone()
            },
            "language",
        ),
        (
            voiceport_core::DialRequest {
                campaign_id: Some(CampaignId::new("c")),
                ..base.clone()
            },
            "campaign_id",
        ),
        (voiceport_core::DialRequest::to(""), "`to`"),
    ];
    for (request, field) in cases {
        let err = voicebot.dial(&request).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidRequest {
                    status: None,
                    operation: Operation::Dial,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(field), "{err}");
        assert_eq!(err.outcome(), RequestOutcome::NotApplied);
    }
    // No assistant anywhere.
    let bare = client_no_retry(&server);
    let err = bare.dial(&base).await.unwrap_err();
    assert!(err.to_string().contains("assistant"), "{err}");
}

#[tokio::test]
async fn update_patches_the_name() {
    let server = MockServer::start().await;
    let mut renamed: serde_json::Value = serde_json::from_str(&fixture("call_seed.json")).unwrap();
    renamed["name"] = json!("Renewal follow-up");
    Mock::given(method("PATCH"))
        .and(path(calls_path(SEED_ID)))
        .and(header("X-API-Key", KEY))
        .and(body_json(json!({"name": "Renewal follow-up"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(renamed))
        .expect(1)
        .mount(&server)
        .await;
    let voicebot = client(&server);
    assert!(voicebot.capabilities().update_name);
    let call = voicebot
        .update_call(
            &CallId::new(SEED_ID),
            &CallUpdate {
                name: Some("Renewal follow-up".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(call.name.as_deref(), Some("Renewal follow-up"));
    assert_eq!(call.status, CallStatus::Completed);
}

#[tokio::test]
async fn metadata_updates_are_unsupported_and_empty_updates_invalid() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let voicebot = client(&server);
    let caps = voicebot.capabilities();
    assert!(!caps.update_metadata_merge && !caps.update_metadata_replace);
    let id = CallId::new(SEED_ID);
    for mode in [MetadataMode::Merge, MetadataMode::Replace] {
        let update = CallUpdate {
            metadata: Some([("a".to_owned(), json!(1))].into_iter().collect()),
            metadata_mode: mode,
            ..Default::default()
        };
        let err = voicebot.update_call(&id, &update).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Unsupported {
                    operation: Operation::UpdateCall,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let err = voicebot
        .update_call(&id, &CallUpdate::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest { status: None, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn delete_sends_delete() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(calls_path(SEED_ID)))
        .and(header("X-API-Key", KEY))
        .respond_with(json_body(fixture("call_seed.json")))
        .expect(1)
        .mount(&server)
        .await;
    let voicebot = client(&server);
    assert!(voicebot.capabilities().delete_call);
    voicebot.delete_call(&CallId::new(SEED_ID)).await.unwrap();
}

#[tokio::test]
async fn transcript_and_recording_come_from_the_call() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(calls_path("019d02e2-357a-7dc0-866c-f327b28ce150")))
        .respond_with(json_body(fixture("call_tool_calls.json")))
        .expect(2)
        .mount(&server)
        .await;
    let voicebot = client(&server);
    let caps = voicebot.capabilities();
    assert!(
        caps.transcript && caps.recording && caps.inline_transcript && caps.cost && caps.analysis
    );
    let id = CallId::new("019d02e2-357a-7dc0-866c-f327b28ce150");
    let transcript = voicebot.transcript(&id).await.unwrap();
    assert_eq!(transcript.utterances.len(), 8);
    let tool = &transcript.utterances[3];
    assert_eq!(tool.speaker, Speaker::Tool);
    assert_eq!(tool.tool_calls[0].name.as_deref(), Some("lookup_order"));
    let recording = voicebot.recording(&id).await.unwrap().unwrap();
    assert!(recording.mono_url.unwrap().starts_with("https://"));
    assert!(recording.stereo_url.is_some());
    assert_eq!(
        recording.expires_at,
        Some("2026-03-25T21:38:15Z".parse().unwrap())
    );
}

#[tokio::test]
async fn cost_and_analysis_are_mapped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(calls_path("019d01b1-e82e-7aa4-9fc2-835e8561f584")))
        .respond_with(json_body(fixture("call_max_duration.json")))
        .mount(&server)
        .await;
    let call = client(&server)
        .get_call(&CallId::new("019d01b1-e82e-7aa4-9fc2-835e8561f584"))
        .await
        .unwrap();
    let cost = call.cost.unwrap();
    assert_eq!(cost.total, Some(1.0286));
    assert_eq!(cost.currency.as_deref(), Some("USD"));
    assert_eq!(cost.breakdown.len(), 5);
    assert_eq!(
        call.end_reason.unwrap().category,
        EndReasonCategory::MaxDuration
    );
    assert_eq!(call.analysis.success_evaluation.as_deref(), Some("false"));
}

#[tokio::test]
async fn error_statuses_map_to_error_kinds() {
    let cases: Vec<(u16, serde_json::Value)> = vec![
        (400, json!({"detail": "bad request"})),
        (401, json!({"detail": "Invalid API key"})),
        (404, json!({"detail": "Call not found"})),
        (
            422,
            json!({"detail": [{"loc": ["query", "limit"], "msg": "must be <= 1000", "type": "value_error"}]}),
        ),
        (429, json!({"detail": "slow down"})),
        (500, json!({"detail": "boom"})),
    ];
    for (status, body) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(calls_path(SEED_ID)))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = client_no_retry(&server)
            .get_call(&CallId::new(SEED_ID))
            .await
            .unwrap_err();
        assert_eq!(err.provider(), Some(ProviderKind::Voicebot));
        assert_eq!(err.operation(), Some(Operation::GetCall));
        match (status, &err) {
            (
                400,
                Error::InvalidRequest {
                    status: Some(400),
                    message,
                    ..
                },
            ) => assert_eq!(message, "bad request"),
            (401, Error::Unauthorized { status: 401, .. }) => {}
            (404, Error::NotFound { .. }) => {}
            (
                422,
                Error::InvalidRequest {
                    status: Some(422),
                    details,
                    ..
                },
            ) => {
                assert_eq!(details.len(), 1, "{details:?}");
                assert!(details[0].message.contains("1000"));
            }
            (429, Error::RateLimited { .. }) => {}
            (500, Error::Server { status: 500, .. }) => {}
            _ => panic!("HTTP {status}: {err:?}"),
        }
    }
}

#[tokio::test]
async fn reads_are_retried_on_a_503() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(calls_path(SEED_ID)))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(calls_path(SEED_ID)))
        .respond_with(json_body(fixture("call_seed.json")))
        .expect(1)
        .mount(&server)
        .await;
    let call = client(&server)
        .get_call(&CallId::new(SEED_ID))
        .await
        .unwrap();
    assert_eq!(call.id.as_str(), SEED_ID);
}

#[tokio::test]
async fn webhooks_parse_through_the_client() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let voicebot = client(&server);
    assert!(voicebot.capabilities().webhooks);
    let event = voicebot
        .parse_webhook(fixture("webhook_end_of_call_report.json").as_bytes())
        .unwrap();
    match event {
        CallEvent::Ended { call } => {
            assert_eq!(call.status, CallStatus::Completed);
            assert_eq!(
                call.end_reason.unwrap().category,
                EndReasonCategory::CustomerHungUp
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unsupported_operations_say_so() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let voicebot = client(&server);
    let caps = voicebot.capabilities();
    assert!(!caps.end_call && !caps.cancel_call && !caps.notes);
    let id = CallId::new(SEED_ID);
    let note = NoteId::new("n1");
    let results = [
        voicebot.end_call(&id).await,
        voicebot.cancel_call(&id).await,
        voicebot
            .add_note(&id, &NoteInput::new("x"))
            .await
            .map(|_| ()),
        voicebot
            .update_note(&id, &note, &NoteInput::new("x"))
            .await
            .map(|_| ()),
        voicebot.delete_note(&id, &note).await.map(|_| ()),
    ];
    for result in results {
        assert!(
            matches!(
                result,
                Err(Error::Unsupported {
                    provider: ProviderKind::Voicebot,
                    ..
                })
            ),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn debug_hides_the_key() {
    let server = MockServer::start().await;
    let voicebot = client(&server);
    let text = format!("{voicebot:?}");
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("Voicebot"), "{text}");
}

#[test]
fn config_is_checked() {
    // Another vendor's config.
    let other = ProviderConfig::new(ProviderKind::Rounded).with_api_key(KEY);
    assert!(
        matches!(Voicebot::from_config(&other), Err(Error::Config { field, .. }) if field == "kind")
    );
    // Unknown and empty options name the field.
    let unknown = ProviderConfig::new(ProviderKind::Voicebot)
        .with_api_key(KEY)
        .with_option("assistant", "x");
    assert!(
        matches!(Voicebot::from_config(&unknown), Err(Error::Config { field, .. }) if field.starts_with("options"))
    );
    let empty = ProviderConfig::new(ProviderKind::Voicebot)
        .with_api_key(KEY)
        .with_option("assistant_id", " ");
    assert!(
        matches!(Voicebot::from_config(&empty), Err(Error::Config { field, .. }) if field == "options.assistant_id")
    );
    // No key.
    assert!(matches!(
        Voicebot::from_config(&ProviderConfig::new(ProviderKind::Voicebot)),
        Err(Error::Config { .. })
    ));
    // Production defaults.
    let ok = Voicebot::from_config(
        &ProviderConfig::new(ProviderKind::Voicebot)
            .with_api_key(KEY)
            .with_option("assistant_id", "a")
            .with_option("phone_number_id", "n"),
    )
    .unwrap();
    assert_eq!(ok.options().assistant_id.as_deref(), Some("a"));
    assert_eq!(DEFAULT_BASE_URL, "https://api.voicebot.studio/api/v1");
    assert_eq!(ok.kind(), ProviderKind::Voicebot);
}
