//! The client over HTTP against wiremock (the core's vendor test kit): every endpoint, its
//! auth, query and body shape, response mapping, and error statuses.

mod support;

use futures::TryStreamExt;
use serde_json::json;
use support::fixture;
use voiceport_core::testing::http::{
    Auth, KEY, VendorApi, assert_key_hidden, assert_refused_locally, assert_unsupported,
    json_response,
};
use voiceport_core::{
    AgentId, CallId, CallKind, CallQuery, CallStatus, CallUpdate, CampaignId, DialRequest,
    Direction, EndReasonCategory, Error, EventKind, Filter, MetadataMode, NoteId, NoteInput,
    Operation, PageCursor, ProviderConfig, ProviderKind, SortOrder, Speaker, VoiceProvider,
    VoiceProviderExt,
};
use voiceport_voicebot::{DEFAULT_BASE_URL, Voicebot};
use wiremock::matchers::{body_json, header, query_param, query_param_is_missing};

const SEED_ID: &str = "019cf72b-2008-72f2-9228-bc1f965cbb09";

async fn api() -> VendorApi {
    VendorApi::start(ProviderKind::Voicebot, "/api/v1", Auth::Header("X-API-Key")).await
}

/// A client without retries and with a default assistant and number.
fn client(api: &VendorApi) -> Voicebot {
    let config = api
        .config()
        .with_option("assistant_id", "asst-default")
        .with_option("phone_number_id", "num-default");
    Voicebot::from_config(&config).unwrap()
}

/// A client with retries on (tiny backoffs) and no options.
fn retrying(api: &VendorApi) -> Voicebot {
    let mut config = api.config_with_retries();
    config.retry.initial_backoff_ms = Some(1);
    config.retry.max_backoff_ms = Some(2);
    Voicebot::from_config(&config).unwrap()
}

fn call_path(id: &str) -> String {
    format!("/calls/{id}")
}

#[tokio::test]
async fn get_call_sends_key_and_maps_the_call() {
    let api = api().await;
    api.on("GET", &call_path(SEED_ID))
        .and(header("accept", "application/json"))
        .respond_with(json_response(200, &fixture("call_seed.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let call = client(&api).get_call(&CallId::new(SEED_ID)).await.unwrap();
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
    let api = api().await;
    api.respond_json("GET", "/calls/nope", 404, r#"{"detail": "Call not found"}"#)
        .await;
    let err = client(&api)
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
    let api = api().await;
    api.expect_nothing_sent().await;
    let voicebot = client(&api);
    let rename = CallUpdate {
        name: Some("x".into()),
        ..Default::default()
    };
    for bad in ["", "a\nb", "\u{0}"] {
        let id = CallId::new(bad);
        let results = [
            (Operation::GetCall, voicebot.get_call(&id).await.map(|_| ())),
            (Operation::DeleteCall, voicebot.delete_call(&id).await),
            (
                Operation::UpdateCall,
                voicebot.update_call(&id, &rename).await.map(|_| ()),
            ),
            (
                Operation::GetTranscript,
                voicebot.transcript(&id).await.map(|_| ()),
            ),
            (
                Operation::GetRecording,
                voicebot.recording(&id).await.map(|_| ()),
            ),
        ];
        for (op, result) in results {
            assert_refused_locally(&result.unwrap_err(), op, "call id");
        }
    }
}

#[tokio::test]
async fn ids_are_one_path_segment() {
    let api = api().await;
    api.respond_json("GET", "/calls/a%2F..%2Fb", 200, r#"{"id": "a/../b"}"#)
        .await;
    let call = client(&api).get_call(&CallId::new("a/../b")).await.unwrap();
    assert_eq!(call.id.as_str(), "a/../b");
}

#[tokio::test]
async fn list_sends_vapi_params_and_pages_by_creation_time() {
    let api = api().await;
    // First page: full (4 of limit 4).
    api.on("GET", "/calls")
        .and(query_param("limit", "4"))
        .and(query_param_is_missing("createdAtLt"))
        .respond_with(json_response(200, &fixture("list.json")))
        .expect(2)
        .mount(&api.server)
        .await;
    // Second page: before the oldest call of the first, empty.
    api.on("GET", "/calls")
        .and(query_param("limit", "4"))
        .and(query_param("createdAtLt", "2026-03-16T15:29:40.332Z"))
        .respond_with(json_response(200, "[]"))
        .expect(1)
        .mount(&api.server)
        .await;
    let voicebot = client(&api);
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
    let api = api().await;
    api.on("GET", "/calls")
        .and(query_param("limit", "100"))
        .and(query_param("createdAtGe", "2026-03-01T00:00:00.000Z"))
        .and(query_param("createdAtLt", "2026-04-01T00:00:00.000Z"))
        .and(query_param(
            "assistantId",
            "83e6398d-2080-44a1-8c0e-12bedcc33d1e",
        ))
        .respond_with(json_response(200, &fixture("list.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let query = CallQuery {
        since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
        until: Some("2026-04-01T00:00:00Z".parse().unwrap()),
        agent_id: Some(AgentId::new("83e6398d-2080-44a1-8c0e-12bedcc33d1e")),
        ..Default::default()
    };
    let page = client(&api).list_calls(&query).await.unwrap();
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
    let api = api().await;
    api.on("GET", "/calls")
        .respond_with(json_response(200, &fixture("list.json")))
        .mount(&api.server)
        .await;
    let voicebot = client(&api);
    let caps = voicebot.capabilities();
    assert!(caps.client_side_filtering && caps.server_paging);
    assert_eq!(caps.max_page_size, 1000);
    let q = CallQuery::default;
    let cases: Vec<(bool, CallQuery, usize)> = vec![
        (
            caps.filter_direction,
            CallQuery {
                direction: Some(Direction::Inbound),
                ..q()
            },
            1,
        ),
        (
            caps.filter_kind,
            CallQuery {
                kind: Some(CallKind::Web),
                ..q()
            },
            0,
        ),
        (
            caps.filter_kind,
            CallQuery {
                kind: Some(CallKind::Phone),
                ..q()
            },
            4,
        ),
        (
            caps.filter_statuses,
            CallQuery {
                statuses: vec![CallStatus::NoAnswer],
                ..q()
            },
            1,
        ),
        (
            caps.filter_time_range,
            CallQuery {
                since: Some("2026-03-16T15:40:00Z".parse().unwrap()),
                ..q()
            },
            2,
        ),
        (
            caps.filter_agent,
            CallQuery {
                agent_id: Some(AgentId::new("nobody")),
                ..q()
            },
            0,
        ),
        (
            caps.filter_campaign,
            CallQuery {
                campaign_id: Some(CampaignId::new("k1")),
                ..q()
            },
            0,
        ),
        (
            caps.filter_search,
            CallQuery {
                search: Some("olivia".into()),
                ..q()
            },
            1,
        ),
        (
            caps.filter_from_number,
            CallQuery {
                from_number: Some("+15125550191".into()),
                ..q()
            },
            0,
        ),
        (
            caps.filter_to_number,
            CallQuery {
                to_number: Some("+15125550191".into()),
                ..q()
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
    let api = api().await;
    api.expect_nothing_sent().await;
    let voicebot = client(&api);
    let caps = voicebot.capabilities();
    assert!(!caps.filter_tags && !caps.sort);
    let tags = CallQuery {
        tags: vec!["vip".into()],
        ..Default::default()
    };
    let sort = CallQuery {
        sort: Some(SortOrder::Ascending),
        ..Default::default()
    };
    for (query, filter) in [(tags, Filter::Tags), (sort, Filter::Sort)] {
        let result = voicebot.list_calls(&query).await;
        assert_unsupported(&result, ProviderKind::Voicebot);
        assert_eq!(
            result.unwrap_err().operation(),
            Some(Operation::ListFilter(filter))
        );
    }
    let foreign = CallQuery {
        cursor: Some(PageCursor::Page { number: 2 }),
        ..Default::default()
    };
    let err = voicebot.list_calls(&foreign).await.unwrap_err();
    assert_refused_locally(&err, Operation::ListCalls, "cursor");
}

#[tokio::test]
async fn list_decode_error_names_the_item() {
    let api = api().await;
    api.respond_json(
        "GET",
        "/calls",
        200,
        r#"[{"id":"a"},{"id":"b","messages":"oops"}]"#,
    )
    .await;
    let err = client(&api)
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
    let api = api().await;
    api.on("POST", "/calls")
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
        .respond_with(json_response(201, &fixture("call_scheduled.json")))
        .expect(1)
        .mount(&api.server)
        .await;
    let voicebot = client(&api);
    assert!(voicebot.capabilities().dial_scheduled);
    let mut request = DialRequest::to("+15125550133");
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
    let api = api().await;
    api.on("POST", "/calls")
        .and(body_json(json!({
            "assistantId": "asst-default",
            "phoneNumberId": "num-override",
            "customer": {"number": "+14155550199"}
        })))
        .respond_with(json_response(
            200,
            r#"{"id": "new-1", "status": "queued", "type": "outboundPhoneCall"}"#,
        ))
        .expect(1)
        .mount(&api.server)
        .await;
    let mut request = DialRequest::to("+14155550199");
    request.phone_number_id = Some("num-override".into());
    let outcome = client(&api).dial(&request).await.unwrap();
    assert_eq!(outcome.call_id.as_str(), "new-1");
    assert_eq!(outcome.call.unwrap().status, CallStatus::Queued);
}

#[tokio::test]
async fn dial_is_sent_once_on_a_500() {
    let api = api().await;
    let mut request = DialRequest::to("+14155550199");
    request.agent_id = Some(AgentId::new("a1"));
    // Retries are on: a dial must still go once.
    api.check_sent_once_on_500("POST", "/calls", retrying(&api).dial(&request))
        .await;
}

#[tokio::test]
async fn dial_refusals_send_nothing() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let voicebot = client(&api);
    let base = DialRequest::to("+14155550199");
    let cases = [
        (
            DialRequest {
                from_number: Some("+1".into()),
                ..base.clone()
            },
            "from_number",
        ),
        (
            DialRequest {
                language: Some("fr-FR".into()),
                ..base.clone()
            },
            "language",
        ),
        (
            DialRequest {
                campaign_id: Some(CampaignId::new("c")),
                ..base.clone()
            },
            "campaign_id",
        ),
        (DialRequest::to(""), "`to`"),
        (DialRequest::to(" "), "`to`"),
        // Vapi's 40-character limit on `name`.
        (
            DialRequest {
                name: Some("Spring cleaning reminder for the Alvarez family".into()),
                ..base.clone()
            },
            "`name`",
        ),
    ];
    for (request, field) in cases {
        let err = voicebot.dial(&request).await.unwrap_err();
        assert_refused_locally(&err, Operation::Dial, field);
    }
    // No assistant anywhere.
    let err = retrying(&api).dial(&base).await.unwrap_err();
    assert_refused_locally(&err, Operation::Dial, "assistant");
}

#[tokio::test]
async fn update_patches_the_name() {
    let api = api().await;
    let mut renamed: serde_json::Value = serde_json::from_str(&fixture("call_seed.json")).unwrap();
    renamed["name"] = json!("Renewal follow-up");
    api.on("PATCH", &call_path(SEED_ID))
        .and(body_json(json!({"name": "Renewal follow-up"})))
        .respond_with(json_response(200, &renamed.to_string()))
        .expect(1)
        .mount(&api.server)
        .await;
    let voicebot = client(&api);
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
async fn a_name_over_40_characters_is_refused_before_sending() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let update = CallUpdate {
        name: Some("Renewal follow-up call for the spring promo".into()),
        ..Default::default()
    };
    let err = client(&api)
        .update_call(&CallId::new(SEED_ID), &update)
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::UpdateCall, "`name`");
    let Error::InvalidRequest { details, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(details[0].field, "name");
}

/// A call that is being forwarded is still live: `wait_until_ended` waits for the end,
/// and comes back with the outcome.
#[tokio::test]
async fn waiting_goes_through_a_forward_to_the_end() {
    let api = api().await;
    let forwarding = fixture("call_forwarding.json");
    let id: String = serde_json::from_str::<serde_json::Value>(&forwarding).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ended: serde_json::Value = serde_json::from_str(&forwarding).unwrap();
    ended["status"] = json!("ended");
    ended["endedReason"] = json!("assistant-forwarded-call");
    ended["endedAt"] = json!("2026-03-29T14:06:41.902Z");
    api.on("GET", &call_path(&id))
        .respond_with(json_response(200, &forwarding))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&api.server)
        .await;
    api.on("GET", &call_path(&id))
        .respond_with(json_response(200, &ended.to_string()))
        .with_priority(2)
        .mount(&api.server)
        .await;
    let poll = std::time::Duration::from_millis(1);
    let call = client(&api)
        .wait_until_ended(&CallId::new(&id), poll, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(call.status, CallStatus::Transferred);
    assert_eq!(
        call.end_reason.unwrap().category,
        EndReasonCategory::Transferred
    );
    assert_eq!(api.server.received_requests().await.unwrap().len(), 3);
}

/// `not-found` and `deletion-failed` are final: waiting stops at once.
#[tokio::test]
async fn waiting_stops_on_not_found_and_deletion_failed() {
    for (status, expected) in [
        ("not-found", CallStatus::Failed),
        ("deletion-failed", CallStatus::Completed),
    ] {
        let api = api().await;
        let mut call: serde_json::Value = serde_json::from_str(&fixture("call_seed.json")).unwrap();
        call["status"] = json!(status);
        api.on("GET", &call_path(SEED_ID))
            .respond_with(json_response(200, &call.to_string()))
            .expect(1)
            .mount(&api.server)
            .await;
        let poll = std::time::Duration::from_secs(5);
        let call = client(&api)
            .wait_until_ended(
                &CallId::new(SEED_ID),
                poll,
                std::time::Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert_eq!(call.status, expected, "{status}");
        assert_eq!(call.vendor_status.as_deref(), Some(status));
    }
}

#[tokio::test]
async fn metadata_updates_are_unsupported_and_empty_updates_invalid() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let voicebot = client(&api);
    let caps = voicebot.capabilities();
    assert!(!caps.update_metadata_merge && !caps.update_metadata_replace);
    let id = CallId::new(SEED_ID);
    for (mode, field) in [
        (MetadataMode::Merge, "metadata (merge)"),
        (MetadataMode::Replace, "metadata (replace)"),
    ] {
        let update = CallUpdate {
            name: Some("N".into()),
            metadata: Some([("a".to_owned(), json!(1))].into_iter().collect()),
            metadata_mode: mode,
        };
        let result = voicebot.update_call(&id, &update).await;
        assert_unsupported(&result, ProviderKind::Voicebot);
        assert_eq!(
            result.unwrap_err().operation(),
            Some(Operation::UpdateField(field))
        );
    }
    let err = voicebot
        .update_call(&id, &CallUpdate::default())
        .await
        .unwrap_err();
    assert_refused_locally(&err, Operation::UpdateCall, "changes nothing");
}

#[tokio::test]
async fn delete_sends_delete() {
    let api = api().await;
    api.respond_json(
        "DELETE",
        &call_path(SEED_ID),
        200,
        &fixture("call_seed.json"),
    )
    .await;
    let voicebot = client(&api);
    assert!(voicebot.capabilities().delete_call);
    voicebot.delete_call(&CallId::new(SEED_ID)).await.unwrap();
}

#[tokio::test]
async fn transcript_and_recording_come_from_the_call() {
    let api = api().await;
    let id = CallId::new("019d02e2-357a-7dc0-866c-f327b28ce150");
    api.on("GET", &call_path(id.as_str()))
        .respond_with(json_response(200, &fixture("call_tool_calls.json")))
        .expect(2)
        .mount(&api.server)
        .await;
    let voicebot = client(&api);
    let caps = voicebot.capabilities();
    assert!(
        caps.transcript && caps.recording && caps.inline_transcript && caps.cost && caps.analysis
    );
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
    let api = api().await;
    let id = CallId::new("019d01b1-e82e-7aa4-9fc2-835e8561f584");
    api.respond_json(
        "GET",
        &call_path(id.as_str()),
        200,
        &fixture("call_max_duration.json"),
    )
    .await;
    let call = client(&api).get_call(&id).await.unwrap();
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

/// Vapi's (FastAPI-style) error bodies: `detail` as text, or as a list of field errors.
fn error_body(status: u16) -> String {
    match status {
        422 => json!({"detail": [{"loc": ["query", "limit"], "msg": "must be <= 1000", "type": "value_error"}]}),
        400 => json!({"detail": "bad request"}),
        _ => json!({"detail": format!("HTTP {status}")}),
    }
    .to_string()
}

#[tokio::test]
async fn error_statuses_map_to_error_kinds() {
    let api = api().await;
    let voicebot = client(&api);
    let id = CallId::new(SEED_ID);
    let path = call_path(SEED_ID);
    api.check_error_statuses("GET", &path, Operation::GetCall, error_body, || {
        voicebot.get_call(&id)
    })
    .await;
    // The vendor's error text and field errors are kept.
    api.respond_json("GET", &path, 400, &error_body(400)).await;
    match voicebot.get_call(&id).await.unwrap_err() {
        Error::InvalidRequest { message, .. } => assert_eq!(message, "bad request"),
        other => panic!("{other:?}"),
    }
    api.server.reset().await;
    api.respond_json("GET", &path, 422, &error_body(422)).await;
    match voicebot.get_call(&id).await.unwrap_err() {
        Error::InvalidRequest { details, .. } => {
            assert_eq!(details.len(), 1, "{details:?}");
            assert!(details[0].message.contains("1000"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn reads_are_retried_on_a_503() {
    let api = api().await;
    let id = CallId::new(SEED_ID);
    let voicebot = retrying(&api);
    let body = fixture("call_seed.json");
    let call = api
        .check_read_retried_on_503("GET", &call_path(SEED_ID), &body, voicebot.get_call(&id))
        .await;
    assert_eq!(call.id.as_str(), SEED_ID);
}

#[tokio::test]
async fn webhooks_parse_through_the_client() {
    let api = api().await;
    api.expect_nothing_sent().await;
    let voicebot = client(&api);
    assert!(voicebot.capabilities().webhooks);
    let event = voicebot
        .parse_webhook(fixture("webhook_end_of_call_report.json").as_bytes())
        .unwrap();
    match event.kind {
        EventKind::Ended { call } => {
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
    let api = api().await;
    api.expect_nothing_sent().await;
    let voicebot = client(&api);
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
        assert_unsupported(&result, ProviderKind::Voicebot);
    }
}

#[tokio::test]
async fn debug_hides_the_key() {
    let api = api().await;
    let text = format!("{:?}", client(&api));
    assert_key_hidden(&text);
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
