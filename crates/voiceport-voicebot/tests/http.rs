//! The client over HTTP against wiremock (the core's vendor test kit), for both flavors:
//! every endpoint, its auth, query and body shape, response mapping, and error statuses.
//! Most tests run once per flavor, with that flavor's base path, auth header, paths,
//! error bodies and fixtures; what only one flavor has is tested for it alone.

mod support;

use futures::TryStreamExt;
use serde_json::{Value, json};
use support::{Family, VAPI, VOICEBOT};
use voiceport_core::testing::http::{
    Auth, KEY, VendorApi, assert_key_hidden, assert_refused_locally, assert_unsupported,
    assert_unsupported_field, json_response,
};
use voiceport_core::{
    AgentId, CallId, CallKind, CallQuery, CallStatus, CallUpdate, CampaignId, DialRequest,
    Direction, EndReasonCategory, Error, EventKind, Filter, MetadataMode, NoteId, NoteInput,
    NoteUpdate, Operation, PageCursor, ProviderConfig, ProviderKind, RequestOutcome, SortOrder,
    Speaker, VoiceProvider, VoiceProviderExt, Wait, WarningKind,
};
use voiceport_voicebot::{Flavor, VAPI_BASE_URL, VOICEBOT_BASE_URL, Vapi, Voicebot};
use wiremock::matchers::{body_json, header, query_param, query_param_is_missing};

/// One flavor as these tests serve it.
#[derive(Debug, Clone, Copy)]
struct Vendor {
    family: Family,
    /// The base path of the API on the mock server.
    prefix: &'static str,
    auth: Auth,
    /// The calls resource: `/calls` or `/call`.
    calls: &'static str,
    /// The get-call fixture, and its id.
    seed: (&'static str, &'static str),
}

const VS: Vendor = Vendor {
    family: VOICEBOT,
    prefix: "/api/v1",
    auth: Auth::Header("X-API-Key"),
    calls: "/calls",
    seed: ("call_seed.json", "019cf72b-2008-72f2-9228-bc1f965cbb09"),
};

const VP: Vendor = Vendor {
    family: VAPI,
    prefix: "",
    auth: Auth::Bearer,
    calls: "/call",
    seed: ("call_ended.json", "019d685a-b452-78db-8bcf-cb9e057cdc98"),
};

const BOTH: [Vendor; 2] = [VS, VP];

/// An id no fixture has, of the shape both flavors accept (Vapi's ids are UUIDs).
const MISSING: &str = "019d0000-0000-7000-8000-000000000000";

/// The number Vapi's phone number lookups answer with, unless a test says otherwise.
const OWN_NUMBER: &str = "+15125550100";

/// Vapi's answer to `GET /phone-number/{id}`: a Twilio number, with `fields` laid over it.
/// The fields are those of Vapi's API reference (`TwilioPhoneNumber`); the values are
/// made up.
fn phone_number(fields: Value) -> String {
    let mut number = json!({
        "id": "3e5d7c9b-1a2f-4e6d-8c0b-9a7f5e3d1c2b",
        "orgId": "6b1f3c0e-7d2a-4b8e-9f4c-2a7e5d9b1c30",
        "provider": "twilio",
        "number": "+15125550100",
        "name": "Front desk",
        "status": "active",
        "twilioAccountSid": "AC3f9e2d1c0b4a5968778695a4b3c2d1e0",
        "createdAt": "2026-01-12T09:30:00.000Z",
        "updatedAt": "2026-01-12T09:30:00.000Z"
    });
    for (key, value) in fields.as_object().into_iter().flatten() {
        number[key] = value.clone();
    }
    number.to_string()
}

/// The requests `api` received, the lookups of the assistant's number left out (a Vapi
/// client asks for each number once: see `vapi_learns_the_assistants_number_by_its_id`).
async fn calls_sent(api: &VendorApi) -> Vec<wiremock::Request> {
    let all = api.server.received_requests().await.unwrap_or_default();
    let lookup = |request: &wiremock::Request| request.url.path().starts_with("/phone-number/");
    all.into_iter().filter(|request| !lookup(request)).collect()
}

impl Vendor {
    fn kind(self) -> ProviderKind {
        self.family.kind()
    }

    /// The flavor's API; Vapi's answers every phone number id with [`OWN_NUMBER`], as a
    /// fallback a test's own mocks outrank.
    async fn api(self) -> VendorApi {
        let api = VendorApi::start(self.kind(), self.prefix, self.auth).await;
        if self.family.flavor == Flavor::Vapi {
            wiremock::Mock::given(wiremock::matchers::method("GET"))
                .and(wiremock::matchers::path_regex("^/phone-number/[^/]+$"))
                .respond_with(json_response(
                    200,
                    &phone_number(json!({"number": OWN_NUMBER})),
                ))
                .with_priority(10)
                .mount(&api.server)
                .await;
        }
        api
    }

    /// An API that must receive no request (checked when it drops), and a client of it.
    async fn silent(self) -> (VendorApi, Vapi) {
        let api = self.api().await;
        api.expect_nothing_sent().await;
        let client = self.client(&api);
        (api, client)
    }

    /// A client without retries and with a default assistant and number.
    fn client(self, api: &VendorApi) -> Vapi {
        let config = api
            .config()
            .with_option("assistant_id", "asst-default")
            .with_option("phone_number_id", "num-default");
        Vapi::from_config(&config).unwrap()
    }

    /// A client with retries on (tiny backoffs) and no options.
    fn retrying(self, api: &VendorApi) -> Vapi {
        Vapi::from_config(&api.config_with_retries()).unwrap()
    }

    fn call_path(self, id: &str) -> String {
        format!("{}/{id}", self.calls)
    }

    fn fixture(self, name: &str) -> String {
        self.family.fixture(name)
    }

    fn json(self, name: &str) -> Value {
        serde_json::from_str(&self.fixture(name)).unwrap()
    }

    fn seed_id(self) -> CallId {
        CallId::new(self.seed.1)
    }

    /// Serves the seed call at its path, as often as it is asked.
    async fn serve_seed(self, api: &VendorApi) {
        let (file, id) = self.seed;
        api.on("GET", &self.call_path(id))
            .respond_with(json_response(200, &self.fixture(file)))
            .mount(&api.server)
            .await;
    }

    /// The vendor's error body for `status`: Voicebot Studio's pages read like FastAPI
    /// (`detail`), Vapi answers like NestJS (`message` as text or a list, `error`,
    /// `statusCode`). Both inferred: neither vendor documents its error body.
    fn error_body(self, status: u16) -> String {
        match (self.family.flavor, status) {
            (Flavor::Voicebot, 422) => json!({"detail": [{"loc": ["query", "limit"],
                "msg": "must be <= 1000", "type": "value_error"}]}),
            (Flavor::Voicebot, 400) => json!({"detail": "bad request"}),
            (Flavor::Voicebot, _) => json!({"detail": format!("HTTP {status}")}),
            (Flavor::Vapi, 400) => json!({"message": ["limit must not be greater than 1000"],
                "error": "Bad Request", "statusCode": 400}),
            (Flavor::Vapi, _) => json!({"message": format!("HTTP {status}"),
                "error": "Error", "statusCode": status}),
            (flavor, _) => panic!("no error body written for {flavor:?}"),
        }
        .to_string()
    }
}

#[tokio::test]
async fn get_call_sends_the_key_to_the_flavors_path() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let (file, id) = vendor.seed;
        api.on("GET", &vendor.call_path(id))
            .and(header("accept", "application/json"))
            .respond_with(json_response(200, &vendor.fixture(file)))
            .expect(1)
            .mount(&api.server)
            .await;
        let call = vendor
            .client(&api)
            .get_call(&vendor.seed_id())
            .await
            .unwrap();
        assert_eq!(call.id.as_str(), id);
        assert_eq!(call.provider, vendor.kind());
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.vendor_status.as_deref(), Some("ended"));
        let reason = call.end_reason.as_ref().unwrap();
        assert_eq!(reason.category, EndReasonCategory::CustomerHungUp);
        assert_eq!(reason.vendor.as_deref(), Some("customer-ended-call"));
        assert_eq!(call.direction, Some(Direction::Outbound));
        assert_eq!(call.kind, CallKind::Phone);
        assert!(call.transcript.as_ref().unwrap().utterances.len() > 4);
        assert!(call.recording.as_ref().unwrap().mono_url.is_some());
        assert_eq!(call.analysis.success_evaluation.as_deref(), Some("true"));
        // The client decodes as the codec does, and keeps the whole vendor JSON. Vapi's
        // client also fills in the assistant's number, which the call names by id only.
        let mut decoded = (vendor.family.codec)
            .decode_call(vendor.fixture(file).as_bytes())
            .unwrap();
        if vendor.family.flavor == Flavor::Vapi {
            assert_eq!(decoded.from, None);
            decoded.from = Some(OWN_NUMBER.into());
        }
        assert_eq!(call, decoded);
        assert!(
            call.vendor_payload()
                .unwrap()
                .get()
                .contains("\"transport\"")
        );
    }
}

#[tokio::test]
async fn the_seed_calls_map_in_detail() {
    // Voicebot Studio: the flattened top-level copies.
    let api = VS.api().await;
    api.respond_json("GET", &VS.call_path(VS.seed.1), 200, &VS.fixture(VS.seed.0))
        .await;
    let call = VS.client(&api).get_call(&VS.seed_id()).await.unwrap();
    assert_eq!(call.to.as_deref(), Some("+15125550173"));
    assert!((call.duration_secs.unwrap() - 38.71).abs() < 1e-9);
    let transcript = call.transcript.as_ref().unwrap();
    assert_eq!(transcript.utterances.len(), 9);
    assert_eq!(transcript.utterances[1].speaker, Speaker::Agent);
    assert!(transcript.text.as_deref().unwrap().starts_with("AI: Hi"));
    assert!(call.analysis.summary.is_some());
    // Vapi: the same read from `artifact` and `analysis` alone.
    let api = VP.api().await;
    api.respond_json("GET", &VP.call_path(VP.seed.1), 200, &VP.fixture(VP.seed.0))
        .await;
    let call = VP.client(&api).get_call(&VP.seed_id()).await.unwrap();
    assert_eq!(call.to.as_deref(), Some("+16175550118"));
    assert_eq!(call.customer_name.as_deref(), Some("Daniel Okafor"));
    assert_eq!(call.name.as_deref(), Some("Reminder - Okafor"));
    assert!((call.duration_secs.unwrap() - 35.287).abs() < 1e-9);
    let transcript = call.transcript.as_ref().unwrap();
    assert_eq!(transcript.utterances.len(), 9);
    assert!(transcript.text.as_deref().unwrap().starts_with("AI: Hi"));
    let recording = call.recording.as_ref().unwrap();
    assert!(
        recording
            .mono_url
            .as_deref()
            .unwrap()
            .ends_with("-mono.wav")
    );
    assert!(
        recording
            .stereo_url
            .as_deref()
            .unwrap()
            .ends_with("-stereo.wav")
    );
    let cost = call.cost.as_ref().unwrap();
    // The five parts of `costBreakdown`, and the analysis item of `costs[]`: the total.
    assert_eq!((cost.total, cost.breakdown.len()), (Some(0.0823), 6));
    let sum: f64 = cost.breakdown.iter().map(|item| item.amount).sum();
    assert!((sum - 0.0823).abs() < 1e-9, "{:?}", cost.breakdown);
    assert_eq!(
        call.analysis.extracted.get("outcome"),
        Some(&json!("rescheduled"))
    );
}

#[tokio::test]
async fn get_call_of_a_missing_id_is_not_found() {
    for vendor in BOTH {
        let api = vendor.api().await;
        api.respond_json(
            "GET",
            &vendor.call_path(MISSING),
            404,
            &vendor.error_body(404),
        )
        .await;
        let err = vendor
            .client(&api)
            .get_call(&CallId::new(MISSING))
            .await
            .unwrap_err();
        match err {
            Error::NotFound {
                provider,
                operation,
                message,
                ..
            } => {
                assert_eq!(provider, vendor.kind());
                assert_eq!(operation, Operation::GetCall);
                assert_eq!(message.as_deref(), Some("HTTP 404"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn malformed_ids_are_refused_before_sending() {
    // Vapi's path ids are UUIDs; Voicebot Studio's any string.
    let not_uuids: &[&str] = &["nope", "019cf72b2008-72f2-9228-bc1f965cbb09", "a/../b"];
    for (vendor, extra) in [(VS, &[][..]), (VP, not_uuids)] {
        let (_api, client) = vendor.silent().await;
        let rename = CallUpdate {
            name: Some("x".into()),
            ..Default::default()
        };
        for bad in ["", "a\nb", "\u{0}"].iter().chain(extra) {
            let id = CallId::new(*bad);
            let results = [
                (Operation::GetCall, client.get_call(&id).await.map(|_| ())),
                (Operation::DeleteCall, client.delete_call(&id).await),
                (
                    Operation::UpdateCall,
                    client.update_call(&id, &rename).await.map(|_| ()),
                ),
                (
                    Operation::GetTranscript,
                    client.get_transcript(&id).await.map(|_| ()),
                ),
                (
                    Operation::GetRecording,
                    client.get_recording(&id).await.map(|_| ()),
                ),
            ];
            for (op, result) in results {
                assert_refused_locally(&result.unwrap_err(), op, "call id");
            }
        }
    }
}

/// Voicebot Studio takes any id (Vapi's are UUIDs), but not one with a slash: sent
/// percent-encoded, a server decoding `%2F` before routing would read a path in it.
/// Refused before anything is sent.
#[tokio::test]
async fn an_id_with_a_slash_is_refused_before_sending() {
    let (api, client) = VS.silent().await;
    for id in ["a/../b", "..\\admin"] {
        let err = client.get_call(&CallId::new(id)).await.unwrap_err();
        assert_refused_locally(&err, Operation::GetCall, "call id");
    }
    assert!(api.server.received_requests().await.unwrap().is_empty());
}

/// The list has no cursor: after a full page, the next window ends just after the
/// millisecond of its oldest call, whose calls come again (with room in the `limit`) and
/// are dropped by id.
#[tokio::test]
async fn list_sends_vapi_params_and_pages_by_creation_time() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let calls = vendor.json("list.json");
        let calls = calls.as_array().unwrap();
        let limit = calls.len().to_string();
        let oldest = calls.last().unwrap();
        let oldest_at: chrono::DateTime<chrono::Utc> =
            oldest["createdAt"].as_str().unwrap().parse().unwrap();
        let next_end = oldest_at + chrono::Duration::milliseconds(1);
        let next_param = voiceport_core::adapter::format_time(next_end);
        // First page: full (as many as the limit).
        api.on("GET", vendor.calls)
            .and(query_param("limit", limit.as_str()))
            .and(query_param_is_missing("createdAtLt"))
            .respond_with(json_response(200, &vendor.fixture("list.json")))
            .expect(2)
            .mount(&api.server)
            .await;
        // Second page: up to the end of the oldest call's millisecond, one more in the
        // limit for it; it comes again, alone: a short page, the last.
        let more = (calls.len() + 1).to_string();
        api.on("GET", vendor.calls)
            .and(query_param("limit", more.as_str()))
            .and(query_param("createdAtLt", next_param.as_str()))
            .respond_with(json_response(200, &json!([oldest]).to_string()))
            .expect(1)
            .mount(&api.server)
            .await;
        let client = vendor.client(&api);
        let query = CallQuery {
            page_size: Some(calls.len() as u32),
            ..Default::default()
        };
        let page = client.list_calls(&query).await.unwrap();
        assert_eq!(page.calls.len(), calls.len(), "{}", vendor.kind());
        assert_eq!(page.total, None);
        assert!(page.calls.iter().all(|c| c.vendor_payload().is_some()));
        assert!(
            matches!(&page.next, Some(PageCursor::Token { token }) if token.contains(oldest["id"].as_str().unwrap())),
            "{:?}",
            page.next
        );
        // The stream walks both pages, every call once, and stops on the short one.
        let pages: Vec<_> = client.pages(query).try_collect().await.unwrap();
        assert_eq!(pages.len(), 2);
        assert!(pages[1].calls.is_empty());
        assert_eq!(pages[1].next, None);
    }
}

/// Calls created in the same millisecond, cut in two by the page size, all arrive once.
#[tokio::test]
async fn calls_at_equal_timestamps_are_walked_once() {
    let call = |i: u32, time: &str| {
        json!({"id": format!("019d7000-0000-7000-8000-00000000000{i}"),
               "orgId": "6b1f3c0e-7d2a-4b8e-9f4c-2a7e5d9b1c30", "createdAt": time,
               "updatedAt": time, "status": "ended"})
    };
    let (newer, tie, older) = (
        "2026-04-02T10:00:01.000Z",
        "2026-04-02T10:00:00.500Z",
        "2026-04-02T09:59:59.000Z",
    );
    for vendor in BOTH {
        let api = vendor.api().await;
        // Pages of 2, newest first; the first cuts the three `tie` calls' millisecond.
        let pages = [
            (None, "2", json!([call(1, newer), call(2, tie)])),
            // Up to the end of `tie`'s millisecond, with room for the one seen.
            (
                Some("2026-04-02T10:00:00.501Z"),
                "3",
                json!([call(2, tie), call(3, tie), call(4, tie)]),
            ),
            // Still that millisecond, three seen now.
            (
                Some("2026-04-02T10:00:00.501Z"),
                "5",
                json!([call(2, tie), call(3, tie), call(4, tie), call(5, older)]),
            ),
        ];
        for (before, limit, body) in pages {
            let mock = api.on("GET", vendor.calls).and(query_param("limit", limit));
            let mock = match before {
                Some(before) => mock.and(query_param("createdAtLt", before)),
                None => mock.and(query_param_is_missing("createdAtLt")),
            };
            mock.respond_with(json_response(200, &body.to_string()))
                .expect(1)
                .mount(&api.server)
                .await;
        }
        let mut query = CallQuery {
            page_size: Some(2),
            ..Default::default()
        };
        let client = vendor.client(&api);
        // Page by page, as the adapter answers each (`calls()` would also drop a call the
        // page before held, hiding the adapter's own work).
        let mut ids = Vec::new();
        loop {
            let page = client.list_calls(&query).await.unwrap();
            ids.extend(page.calls.iter().map(|c| c.id.as_str().to_owned()));
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(
            ids,
            (1..=5)
                .map(|i| format!("019d7000-0000-7000-8000-00000000000{i}"))
                .collect::<Vec<_>>()
        );
    }
}

/// A server that ignores every list parameter (none is documented for Voicebot Studio)
/// and answers all its calls each time: its first page, longer than the `limit` sent, is
/// every call, and the walk yields each once and ends there, without an error.
#[tokio::test]
async fn a_server_ignoring_every_list_parameter_yields_each_call_once() {
    use futures::StreamExt;
    for vendor in BOTH {
        let api = vendor.api().await;
        let calls: Vec<Value> = (0..12)
            .map(|k| {
                json!({"id": format!("019d7000-0000-7000-8000-{k:012}"),
                       "createdAt": format!("2030-01-01T00:00:{:02}.000Z", 59 - k),
                       "status": "ended"})
            })
            .collect();
        api.on("GET", vendor.calls)
            .respond_with(json_response(200, &Value::from(calls).to_string()))
            .mount(&api.server)
            .await;
        let query = CallQuery {
            page_size: Some(5),
            ..Default::default()
        };
        let client = vendor.client(&api);
        let items: Vec<_> = client.calls(query).take(40).collect::<Vec<_>>().await;
        let kind = vendor.kind();
        let (calls, errors): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
        let mut ids: Vec<String> = calls
            .into_iter()
            .map(|call| call.unwrap().id.as_str().to_owned())
            .collect();
        assert_eq!(ids.len(), 12, "{kind}: {ids:?}");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 12, "{kind}: {ids:?}");
        assert!(errors.is_empty(), "{kind}: {errors:?}");
        // One request: the page said it all.
        let asked = api.server.received_requests().await.unwrap_or_default();
        assert_eq!(asked.len(), 1, "{kind}");
    }
}

/// A server that ignores `createdAtLt` and answers each page with full pages of ever newer
/// calls: every call falls outside the window and no cursor repeats, so only the adapter's
/// check that the window's end moves back ends the walk (it went on for ever before).
#[tokio::test]
async fn a_window_that_does_not_move_back_ends_the_walk() {
    use futures::StreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    for vendor in BOTH {
        let api = vendor.api().await;
        let served = AtomicUsize::new(0);
        api.on("GET", vendor.calls)
            .respond_with(move |request: &wiremock::Request| {
                let page = served.fetch_add(1, Ordering::SeqCst);
                let limit: usize = (request.url.query_pairs())
                    .find(|(name, _)| name == "limit")
                    .and_then(|(_, value)| value.parse().ok())
                    .unwrap_or(100);
                // Page `page`, second `page`: later than every call served before.
                let calls: Vec<Value> = (0..limit)
                    .map(|k| {
                        let at = format!("2030-01-01T00:00:{page:02}.{:03}Z", 999 - k);
                        json!({"id": format!("019d7000-0000-7000-8000-{page:06}{k:06}"),
                               "createdAt": at, "status": "ended"})
                    })
                    .collect();
                json_response(200, &Value::from(calls).to_string())
            })
            .mount(&api.server)
            .await;
        let query = CallQuery {
            page_size: Some(5),
            ..Default::default()
        };
        let client = vendor.client(&api);
        // Bounded, so that a walk that never ends fails here rather than hangs.
        let pages: Vec<_> = client.pages(query).take(10).collect::<Vec<_>>().await;
        let kind = vendor.kind();
        // The first page (no end to compare with), then the error on the second.
        assert_eq!(pages.len(), 2, "{kind}: {pages:?}");
        assert!(pages[0].is_ok(), "{kind}: {:?}", pages[0]);
        let err = pages[1].as_ref().unwrap_err();
        assert!(err.is_cursor_cycle(), "{kind}: {err:?}");
        assert_eq!(err.provider(), Some(kind));
        let text = err.to_string();
        assert!(
            text.contains("ignored `createdAtLt`")
                && text.contains("before 2030-01-01T00:00:00.996Z"),
            "{text}"
        );
        assert_eq!(calls_sent(&api).await.len(), 2);
    }
}

#[tokio::test]
async fn list_sends_time_window_and_agent_and_filters_client_side() {
    // The assistant of most calls of each list; the others must be filtered out here.
    for (vendor, assistant, expected) in [
        (VS, "83e6398d-2080-44a1-8c0e-12bedcc33d1e", 3),
        (VP, "a4c1e2d3-5b6f-4a70-8c91-2d3e4f5a6b7c", 4),
    ] {
        let api = vendor.api().await;
        api.on("GET", vendor.calls)
            .and(query_param("limit", "100"))
            .and(query_param("createdAtGe", "2026-03-01T00:00:00.000Z"))
            .and(query_param("createdAtLt", "2026-05-01T00:00:00.000Z"))
            .and(query_param("assistantId", assistant))
            .respond_with(json_response(200, &vendor.fixture("list.json")))
            .expect(1)
            .mount(&api.server)
            .await;
        let query = CallQuery {
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-05-01T00:00:00Z".parse().unwrap()),
            agent_id: Some(AgentId::new(assistant)),
            ..Default::default()
        };
        let page = vendor.client(&api).list_calls(&query).await.unwrap();
        let ids: Vec<_> = page.calls.iter().map(|c| &c.id).collect();
        assert_eq!(page.calls.len(), expected, "{ids:?}");
        assert!(page.calls.iter().all(|c| query.matches(c)));
        assert_eq!(page.next, None, "a short page: the last");
    }
}

/// The phone number id of the Vapi fixtures' calls, which name no number.
const FIXTURE_NUMBER_ID: &str = "3e5d7c9b-1a2f-4e6d-8c0b-9a7f5e3d1c2b";

/// A Vapi call read from the API names the assistant's number by `phoneNumberId` only: the
/// client looks each id up once (`GET /phone-number/{id}`, for it and its clones) and
/// fills in the call's own side (`from` of an outbound call, `to` of an inbound one), so
/// that the number filters find the calls on the account's own numbers. A call that
/// carries its number (a SIP call's `phoneNumber`) is not looked up.
#[tokio::test]
async fn vapi_learns_the_assistants_number_by_its_id() {
    let api = VP.api().await;
    let (file, id) = VP.seed;
    VP.serve_seed(&api).await;
    api.on("GET", "/call")
        .respond_with(json_response(200, &VP.fixture("list.json")))
        .mount(&api.server)
        .await;
    api.on("GET", "/call/019d622d-c49e-7dc2-8ee6-58c3c58e12ce")
        .respond_with(json_response(200, &VP.fixture("call_inbound_sip.json")))
        .mount(&api.server)
        .await;
    // The SIP call names its number by id and carries it too: no lookup.
    api.on("GET", "/phone-number/7c2e9a41-0b3d-4f58-9e6a-1d2c3b4a5f60")
        .respond_with(json_response(500, "{}"))
        .expect(0)
        .mount(&api.server)
        .await;
    let ours = "+15125550142";
    // Once per client: the three readers below are one client and its clones; the writer
    // after them is a client of its own.
    api.on("GET", &format!("/phone-number/{FIXTURE_NUMBER_ID}"))
        .respond_with(json_response(200, &phone_number(json!({"number": ours}))))
        .expect(2)
        .mount(&api.server)
        .await;
    let client = VP.client(&api);
    for reader in [client.clone(), client.clone(), client] {
        let call = reader.get_call(&VP.seed_id()).await.unwrap();
        assert_eq!(call.direction, Some(Direction::Outbound));
        assert_eq!(
            (call.from.as_deref(), call.to.as_deref()),
            (Some(ours), Some("+16175550118"))
        );
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
        // The number filters see it: the calls from it, the inbound ones to it.
        let from_ours = CallQuery {
            from_number: Some(ours.into()),
            ..CallQuery::default()
        };
        let to_ours = CallQuery {
            to_number: Some(ours.into()),
            ..CallQuery::default()
        };
        for (query, count, direction) in [
            (from_ours, 3, Direction::Outbound),
            (to_ours, 2, Direction::Inbound),
        ] {
            let page = reader.list_calls(&query).await.unwrap();
            assert_eq!(page.calls.len(), count, "{direction:?}");
            assert!(page.calls.iter().all(|c| c.direction == Some(direction)));
        }
        // A call that carries its number keeps it, and asks nothing.
        let sip = (reader
            .get_call(&CallId::new("019d622d-c49e-7dc2-8ee6-58c3c58e12ce"))
            .await)
            .unwrap();
        assert_eq!(sip.to.as_deref(), Some("sip:harborstreet@vapi.sip.vapi.ai"));
    }
    // A write's answer is filled in from what the client knows, never looked up (an
    // update applied, a call placed, must not wait on a lookup): known here.
    let client = VP.client(&api);
    api.on("PATCH", &VP.call_path(id))
        .respond_with(json_response(200, &VP.fixture(file)))
        .mount(&api.server)
        .await;
    let rename = CallUpdate {
        name: Some("Reminder".into()),
        ..CallUpdate::default()
    };
    let unknown = client.update_call(&VP.seed_id(), &rename).await.unwrap();
    assert_eq!(unknown.from, None);
    client.get_call(&VP.seed_id()).await.unwrap();
    let known = client.update_call(&VP.seed_id(), &rename).await.unwrap();
    assert_eq!(known.from.as_deref(), Some(ours));
    // Voicebot Studio documents no phone number endpoint: it asks nothing, and says so
    // when asked.
    let api = VS.api().await;
    VS.serve_seed(&api).await;
    let voicebot = VS.client(&api);
    let call = voicebot.get_call(&VS.seed_id()).await.unwrap();
    assert_eq!(call.from, None);
    assert_eq!(calls_sent(&api).await.len(), 1);
    let err = voicebot.phone_number(FIXTURE_NUMBER_ID).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(
        err.operation(),
        Some(Operation::ExtensionRead("phone_number"))
    );
}

/// A lookup that fails never fails the read: the number is left out, with a warning on the
/// call naming the id and why. A number that no longer exists (404) is not asked again; a
/// passing failure (503) not for a minute, so that a walk does not wait on it page after
/// page. A SIP number is its URI; a number with neither is left out, with a warning, and
/// so is one longer than any number (it would be copied onto every call naming it).
#[tokio::test]
async fn a_number_lookup_that_fails_leaves_it_out_with_a_warning() {
    let endless = phone_number(json!({"number": format!("+1{}", "4".repeat(300))}));
    let endless_sip = format!("sip:{}@acme.sip.vapi.ai", "d".repeat(300));
    let endless_sip = phone_number(json!({"number": null, "sipUri": endless_sip}));
    for (status, body, number, warned) in [
        (200, endless, None, Some("more than a phone number's 256")),
        // Named at the key it was read at.
        (200, endless_sip, None, Some("`sipUri`")),
        (404, VP.error_body(404), None, Some("not found")),
        (503, VP.error_body(503), None, Some("HTTP 503")),
        (
            200,
            phone_number(json!({"number": null, "sipUri": "sip:desk@acme.sip.vapi.ai"})),
            Some("sip:desk@acme.sip.vapi.ai"),
            None,
        ),
        (
            200,
            phone_number(json!({"number": " ", "sipUri": null})),
            None,
            Some("names no `number`, `twilioPhoneNumber` or `sipUri`"),
        ),
    ] {
        let api = VP.api().await;
        VP.serve_seed(&api).await;
        api.on("GET", &format!("/phone-number/{FIXTURE_NUMBER_ID}"))
            .respond_with(json_response(status, &body))
            .expect(1)
            .mount(&api.server)
            .await;
        // Retries off, so that the 503 is asked once (a lookup is retried as any read).
        let client = Vapi::from_config(&api.config()).unwrap();
        for _ in 0..2 {
            let call = client.get_call(&VP.seed_id()).await.unwrap();
            assert_eq!(call.from.as_deref(), number, "{status}");
            let warnings: Vec<_> = call
                .warnings
                .iter()
                .filter(|w| w.kind == WarningKind::NotLookedUp)
                .collect();
            match warned {
                Some(why) => {
                    assert_eq!(warnings.len(), 1, "{status}: {:?}", call.warnings);
                    assert_eq!(
                        (warnings[0].field.as_str(), warnings[0].value.as_str()),
                        ("phoneNumberId", FIXTURE_NUMBER_ID)
                    );
                    assert!(warnings[0].message.contains(why), "{}", warnings[0].message);
                    assert_key_hidden(&warnings[0].message);
                }
                None => assert!(warnings.is_empty(), "{warnings:?}"),
            }
        }
    }
}

/// Serves at `GET /call` a page of the ended fixture call, once on each of `number_ids`
/// (by id only, as Vapi's calls name it), all created at the fixture's time.
async fn serve_calls_on_numbers(api: &VendorApi, number_ids: &[impl AsRef<str>]) {
    let call: Value = serde_json::from_str(&VP.fixture("call_ended.json")).unwrap();
    let page: Vec<Value> = (number_ids.iter().enumerate())
        .map(|(i, number_id)| {
            let mut call = call.clone();
            call["id"] = json!(format!("019d685a-b452-78db-8bcf-cb9e057c{i:04}"));
            call["phoneNumberId"] = json!(number_id.as_ref());
            call
        })
        .collect();
    api.on("GET", "/call")
        .respond_with(json_response(200, &Value::from(page).to_string()))
        .mount(&api.server)
        .await;
}

/// One answer naming many numbers looks up at most 16 of them, at once; the calls naming
/// the others get a warning, and the next read looks those up.
#[tokio::test]
async fn a_page_naming_many_numbers_looks_up_sixteen() {
    let api = VP.api().await;
    let number_ids: Vec<String> = (0..18)
        .map(|i| format!("3e5d7c9b-1a2f-4e6d-8c0b-9a7f5e3d{i:04}"))
        .collect();
    serve_calls_on_numbers(&api, &number_ids).await;
    let client = VP.client(&api);
    let lookups = |requests: Vec<wiremock::Request>| {
        requests
            .iter()
            .filter(|r| r.url.path().starts_with("/phone-number/"))
            .count()
    };
    let first = client.list_calls(&CallQuery::default()).await.unwrap();
    assert_eq!(lookups(api.server.received_requests().await.unwrap()), 16);
    let left: Vec<_> = first.calls.iter().filter(|c| c.from.is_none()).collect();
    assert_eq!(left.len(), 2);
    for call in left {
        assert!(
            call.warnings
                .iter()
                .any(|w| w.message.contains("more than 16 numbers")),
            "{:?}",
            call.warnings
        );
    }
    let second = client.list_calls(&CallQuery::default()).await.unwrap();
    assert_eq!(lookups(api.server.received_requests().await.unwrap()), 18);
    assert!(
        second
            .calls
            .iter()
            .all(|c| c.from.as_deref() == Some(OWN_NUMBER) && c.warnings.is_empty())
    );
}

/// Every supported filter is applied client-side to what the vendor returned.
#[tokio::test]
async fn every_supported_filter_is_applied() {
    let api = VS.api().await;
    api.on("GET", "/calls")
        .respond_with(json_response(200, &VS.fixture("list.json")))
        .mount(&api.server)
        .await;
    let voicebot = VS.client(&api);
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
    for vendor in BOTH {
        let (_api, client) = vendor.silent().await;
        assert!(!client.capabilities().filter_tags && !client.capabilities().sort);
        let tags = CallQuery {
            tags: vec!["vip".into()],
            ..Default::default()
        };
        let sort = CallQuery {
            sort: Some(SortOrder::Ascending),
            ..Default::default()
        };
        for (query, filter) in [(tags, Filter::Tags), (sort, Filter::Sort)] {
            let result = client.list_calls(&query).await;
            assert_unsupported(&result, vendor.kind());
            assert_eq!(
                result.unwrap_err().operation(),
                Some(Operation::ListFilter(filter))
            );
        }
        let foreign = CallQuery {
            cursor: Some(PageCursor::Page { number: 2 }),
            ..Default::default()
        };
        let err = client.list_calls(&foreign).await.unwrap_err();
        assert_refused_locally(&err, Operation::ListCalls, "cursor");
    }
}

/// Newest first is the order the family lists in (inferred; the window walk relies on it):
/// asked for, it is taken and the request is the one an unsorted listing sends.
#[tokio::test]
async fn newest_first_is_taken_as_the_listing_order() {
    for vendor in BOTH {
        let caps = vendor.silent().await.1.capabilities();
        assert!(caps.supports_sort(SortOrder::Descending) && !caps.sort);
        let mut sent = Vec::new();
        for sort in [None, Some(SortOrder::Descending)] {
            let api = vendor.api().await;
            api.respond_json("GET", vendor.calls, 200, "[]").await;
            let query = CallQuery {
                sort,
                ..Default::default()
            };
            let page = vendor.client(&api).list_calls(&query).await.unwrap();
            assert!(page.calls.is_empty() && page.next.is_none());
            sent.push(api.only_request().await.url.query().map(str::to_owned));
        }
        assert_eq!(sent[0], sent[1], "{}", vendor.kind());
    }
}

#[tokio::test]
async fn list_decode_error_names_the_item() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let body = r#"[{"id":"a"},{"id":"b","messages":"oops"}]"#;
        api.respond_json("GET", vendor.calls, 200, body).await;
        let err = vendor
            .client(&api)
            .list_calls(&CallQuery::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, operation: Operation::ListCalls, provider, .. }
                if path == "[1].messages" && *provider == vendor.kind()),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn dial_posts_a_vapi_create_call_body() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let answer = vendor.json("call_scheduled.json");
        api.on("POST", vendor.calls)
            .and(header("content-type", "application/json"))
            .and(body_json(json!({
                "assistantId": "83e6398d-2080-44a1-8c0e-12bedcc33d1e",
                "phoneNumberId": "num-default",
                "customer": {"number": "+15125550133"},
                "name": "Reminder - Grace Kim",
                "schedulePlan": {"earliestAt": "2099-03-20T15:00:00.000Z"},
                "assistantOverrides": {
                    "variableValues": {"first_name": "Grace"},
                    "metadata": {"crm_id": 42},
                    "maxDurationSeconds": 600
                },
                "backgroundSound": "off"
            })))
            .respond_with(json_response(201, &answer.to_string()))
            .expect(1)
            .mount(&api.server)
            .await;
        let client = vendor.client(&api);
        assert!(client.capabilities().dial_scheduled);
        let mut request = DialRequest::to("+15125550133");
        request.agent_id = Some(AgentId::new("83e6398d-2080-44a1-8c0e-12bedcc33d1e"));
        request.name = Some("Reminder - Grace Kim".into());
        request.scheduled_for = Some("2099-03-20T15:00:00Z".parse().unwrap());
        request
            .variables
            .insert("first_name".into(), json!("Grace"));
        request.metadata.insert("crm_id".into(), json!(42));
        request.max_duration_secs = Some(600);
        request.extra.insert("backgroundSound".into(), json!("off"));
        let outcome = client.dial(&request).await.unwrap();
        assert_eq!(outcome.call_id.as_str(), answer["id"].as_str().unwrap());
        let call = outcome.call.unwrap();
        assert_eq!(call.status, CallStatus::Scheduled);
        let earliest = answer["schedulePlan"]["earliestAt"].as_str().unwrap();
        assert_eq!(call.scheduled_for, Some(earliest.parse().unwrap()));
        assert!(call.vendor_payload().is_some());
    }
}

#[tokio::test]
async fn dial_answers_with_the_queued_call_and_its_monitor() {
    let api = VP.api().await;
    api.on("POST", "/call")
        .and(body_json(json!({
            "assistantId": "d9e8f7a6-b5c4-4d3e-a2f1-0e9d8c7b6a50",
            "phoneNumberId": "num-default",
            "customer": {"number": "+13125550176"},
            "name": "Overdue bill follow-up",
            "assistantOverrides": {"metadata": {"crm_account": "LE-204118"}}
        })))
        .respond_with(json_response(201, &VP.fixture("call_dial_queued.json")))
        // Dialed twice: before and after the client knows the number.
        .expect(2)
        .mount(&api.server)
        .await;
    let mut request = DialRequest::to("+13125550176");
    request.agent_id = Some(AgentId::new("d9e8f7a6-b5c4-4d3e-a2f1-0e9d8c7b6a50"));
    request.name = Some("Overdue bill follow-up".into());
    request
        .metadata
        .insert("crm_account".into(), json!("LE-204118"));
    let client = VP.client(&api);
    let outcome = client.dial(&request).await.unwrap();
    let call = outcome.call.unwrap();
    assert_eq!(call.status, CallStatus::Queued);
    assert_eq!(call.provider, ProviderKind::Vapi);
    assert_eq!(call.metadata.get("campaign"), Some(&json!("april-arrears")));
    assert!(call.vendor_payload().unwrap().get().contains("controlUrl"));
    // The number it is placed from is named by id: not looked up for the dial's answer
    // (nothing delays it), filled in once the client knows it (here from a read).
    assert_eq!(call.from, None);
    assert_eq!(api.server.received_requests().await.unwrap().len(), 1);
    api.on("GET", &VP.call_path(call.id.as_str()))
        .respond_with(json_response(200, &VP.fixture("call_dial_queued.json")))
        .mount(&api.server)
        .await;
    let read = client.get_call(&call.id).await.unwrap();
    assert_eq!(read.from.as_deref(), Some(OWN_NUMBER));
    let again = client.dial(&request).await.unwrap().call.unwrap();
    assert_eq!(again.from.as_deref(), Some(OWN_NUMBER));
}

/// A phone number endpoint that does not answer holds a read no longer than the lookups'
/// budget (5 s, against the client's 30 s timeout): the read comes back without that
/// number, with a warning that says so, and keeps the numbers that did answer.
#[tokio::test]
async fn a_lookup_that_does_not_answer_holds_the_read_only_so_long() {
    let api = VP.api().await;
    let answering = "4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c";
    serve_calls_on_numbers(&api, &[FIXTURE_NUMBER_ID, answering]).await;
    api.on("GET", &format!("/phone-number/{FIXTURE_NUMBER_ID}"))
        .respond_with(
            json_response(200, &phone_number(json!({})))
                .set_delay(std::time::Duration::from_secs(60)),
        )
        .mount(&api.server)
        .await;
    let started = std::time::Instant::now();
    let page = VP
        .client(&api)
        .list_calls(&CallQuery::default())
        .await
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let [held, answered] = &page.calls[..] else {
        panic!("{:?}", page.calls)
    };
    assert_eq!(held.from, None);
    let warning = (held.warnings.iter())
        .find(|w| w.kind == WarningKind::NotLookedUp)
        .unwrap();
    assert!(warning.message.contains("timed out"), "{}", warning.message);
    assert_eq!(answered.from.as_deref(), Some(OWN_NUMBER));
    assert!(answered.warnings.is_empty(), "{:?}", answered.warnings);
}

#[tokio::test]
async fn dial_uses_the_default_assistant_and_accepts_200() {
    for vendor in BOTH {
        let api = vendor.api().await;
        api.on("POST", vendor.calls)
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
        let outcome = vendor.client(&api).dial(&request).await.unwrap();
        assert_eq!(outcome.call_id.as_str(), "new-1");
        assert_eq!(outcome.call.unwrap().status, CallStatus::Queued);
    }
}

/// `extra.customer` sets the customer's details (Vapi's `customer` takes a `name`, an
/// `email`, an `extension`, `numberE164CheckEnabled` …) beside the number `to` gives; a
/// `number` of its own, which would call another party, is refused before sending.
#[tokio::test]
async fn dial_sends_the_customer_s_details_from_extra_beside_the_number() {
    for vendor in BOTH {
        let api = vendor.api().await;
        api.on("POST", vendor.calls)
            .and(body_json(json!({
                "assistantId": "asst-default",
                "phoneNumberId": "num-default",
                "customer": {
                    "number": "+14155550199",
                    "name": "Dana Whitfield",
                    "numberE164CheckEnabled": false
                }
            })))
            .respond_with(json_response(
                201,
                r#"{"id": "new-1", "status": "queued", "type": "outboundPhoneCall",
                    "customer": {"number": "+14155550199", "name": "Dana Whitfield"}}"#,
            ))
            .expect(1)
            .mount(&api.server)
            .await;
        let mut request = DialRequest::to("+14155550199");
        request.extra.insert(
            "customer".into(),
            json!({"name": "Dana Whitfield", "numberE164CheckEnabled": false}),
        );
        let outcome = vendor.client(&api).dial(&request).await.unwrap();
        let call = outcome.call.unwrap();
        assert_eq!(call.customer_name.as_deref(), Some("Dana Whitfield"));

        let (_silent, client) = vendor.silent().await;
        request.extra.insert(
            "customer".into(),
            json!({"name": "Dana Whitfield", "number": "+14155550100"}),
        );
        let err = client.dial(&request).await.unwrap_err();
        assert_refused_locally(&err, Operation::Dial, "`extra` key `customer.number`");
        assert_eq!(err.provider(), Some(vendor.kind()));
    }
}

#[tokio::test]
async fn dial_is_sent_once_on_a_500() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let mut request = DialRequest::to("+14155550199");
        request.agent_id = Some(AgentId::new("a1"));
        request.phone_number_id = Some("4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c".into());
        // Retries are on: a dial must still go once.
        let dial = vendor.retrying(&api);
        api.check_sent_once_on_500("POST", vendor.calls, dial.dial(&request))
            .await;
    }
}

#[tokio::test]
async fn dial_refusals_send_nothing() {
    for vendor in BOTH {
        let (api, client) = vendor.silent().await;
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
            let err = client.dial(&request).await.unwrap_err();
            match ["from_number", "language", "campaign_id"].contains(&field) {
                true => assert_unsupported_field(&err, vendor.kind(), field),
                false => assert_refused_locally(&err, Operation::Dial, field),
            }
            assert_eq!(err.provider(), Some(vendor.kind()));
        }
        // No assistant anywhere.
        let err = vendor.retrying(&api).dial(&base).await.unwrap_err();
        assert_refused_locally(&err, Operation::Dial, "assistant");
        // Vapi: no number to call from anywhere (Voicebot Studio documents none).
        if vendor.kind() == ProviderKind::Vapi {
            let mut assisted = base.clone();
            assisted.agent_id = Some(AgentId::new("a1"));
            let err = vendor.retrying(&api).dial(&assisted).await.unwrap_err();
            assert_refused_locally(&err, Operation::Dial, "phone_number_id");
            assert!(
                matches!(&err, Error::InvalidRequest { details, .. }
                    if details.iter().any(|d| d.field == "phone_number_id")),
                "{err:?}"
            );
        }
    }
}

#[tokio::test]
async fn update_patches_the_name() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let (file, id) = vendor.seed;
        let mut renamed = vendor.json(file);
        renamed["name"] = json!("Renewal follow-up");
        let client = vendor.client(&api);
        assert!(client.capabilities().update_name);
        api.on("PATCH", &vendor.call_path(id))
            .and(body_json(json!({"name": "Renewal follow-up"})))
            .respond_with(json_response(200, &renamed.to_string()))
            .expect(1)
            .mount(&api.server)
            .await;
        let update = CallUpdate {
            name: Some("Renewal follow-up".into()),
            ..Default::default()
        };
        let call = client
            .update_call(&vendor.seed_id(), &update)
            .await
            .unwrap();
        assert_eq!(call.name.as_deref(), Some("Renewal follow-up"));
        assert_eq!(call.status, CallStatus::Completed);
    }
}

#[tokio::test]
async fn a_name_over_40_characters_is_refused_before_sending() {
    for vendor in BOTH {
        let api = vendor.api().await;
        api.expect_nothing_sent().await;
        let update = CallUpdate {
            name: Some("Renewal follow-up call for the spring promo".into()),
            ..Default::default()
        };
        let err = vendor
            .client(&api)
            .update_call(&vendor.seed_id(), &update)
            .await
            .unwrap_err();
        assert_refused_locally(&err, Operation::UpdateCall, "`name`");
        let Error::InvalidRequest { details, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(details[0].field, "name");
    }
}

/// A call that is being forwarded is still live: `wait_until_ended` waits for the end,
/// and comes back with the outcome.
#[tokio::test]
async fn waiting_goes_through_a_forward_to_the_end() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let forwarding = vendor.json("call_forwarding.json");
        let id = forwarding["id"].as_str().unwrap().to_owned();
        let mut ended = forwarding.clone();
        ended["status"] = json!("ended");
        ended["endedReason"] = json!("assistant-forwarded-call");
        ended["endedAt"] = json!("2026-04-08T14:06:41.902Z");
        api.on("GET", &vendor.call_path(&id))
            .respond_with(json_response(200, &forwarding.to_string()))
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&api.server)
            .await;
        api.on("GET", &vendor.call_path(&id))
            .respond_with(json_response(200, &ended.to_string()))
            .with_priority(2)
            .mount(&api.server)
            .await;
        let poll = std::time::Duration::from_millis(1);
        let call = vendor
            .client(&api)
            .wait_until_ended(
                &CallId::new(&id),
                Wait::at_most(std::time::Duration::from_secs(10)).polling_every(poll),
            )
            .await
            .unwrap();
        assert_eq!(call.status, CallStatus::Transferred);
        assert_eq!(
            call.end_reason.unwrap().category,
            EndReasonCategory::Transferred
        );
        assert_eq!(calls_sent(&api).await.len(), 3);
    }
}

/// A vendor's passing failure while waiting (a 503, a 429 asking for a pause) does not
/// end the wait: the next poll looks again, no sooner than the 429 asked, and the wait
/// ends with the call. The client here makes one attempt per look, so each failure
/// reaches the wait.
#[tokio::test]
async fn waiting_looks_again_after_a_passing_failure() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let (file, id) = vendor.seed;
        let mut ended = vendor.json(file);
        ended["status"] = json!("ended");
        ended["endedReason"] = json!("customer-ended-call");
        api.on("GET", &vendor.call_path(id))
            .respond_with(json_response(503, r#"{"message":"Service Unavailable"}"#))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&api.server)
            .await;
        api.on("GET", &vendor.call_path(id))
            .respond_with(
                json_response(429, r#"{"message":"Too Many Requests"}"#)
                    .insert_header("retry-after", "1"),
            )
            .up_to_n_times(1)
            .with_priority(2)
            .mount(&api.server)
            .await;
        api.on("GET", &vendor.call_path(id))
            .respond_with(json_response(200, &ended.to_string()))
            .with_priority(3)
            .mount(&api.server)
            .await;
        let poll = std::time::Duration::from_millis(1);
        let started = std::time::Instant::now();
        let call = vendor
            .client(&api)
            .wait_until_ended(
                &vendor.seed_id(),
                Wait::at_most(std::time::Duration::from_secs(30)).polling_every(poll),
            )
            .await
            .unwrap();
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(calls_sent(&api).await.len(), 3);
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(1),
            "the look after the 429 came {:?} after the first",
            started.elapsed()
        );
    }
}

/// A vendor pacing the looks with 429s that say when to come back does not end a wait
/// with a deadline, however many come in a row: they are not failures, and the wait ends
/// with the call. The same 429s without a `Retry-After` count as failures, and the third
/// ends it; so do paced ones in a wait without a limit, which would follow them for ever.
#[tokio::test]
async fn waiting_follows_a_vendor_pacing_it() {
    for vendor in BOTH {
        let (file, id) = vendor.seed;
        let mut ended = vendor.json(file);
        ended["status"] = json!("ended");
        ended["endedReason"] = json!("customer-ended-call");
        let poll = std::time::Duration::from_millis(1);
        let cases = [
            (Some("0"), std::time::Duration::from_secs(30)),
            (None, std::time::Duration::from_secs(30)),
            (Some("0"), std::time::Duration::MAX),
        ];
        for (retry_after, timeout) in cases {
            let api = vendor.api().await;
            let mut too_many = json_response(429, r#"{"message":"Too Many Requests"}"#);
            if let Some(seconds) = retry_after {
                too_many = too_many.insert_header("retry-after", seconds);
            }
            api.on("GET", &vendor.call_path(id))
                .respond_with(too_many)
                .up_to_n_times(5)
                .with_priority(1)
                .mount(&api.server)
                .await;
            api.on("GET", &vendor.call_path(id))
                .respond_with(json_response(200, &ended.to_string()))
                .with_priority(2)
                .mount(&api.server)
                .await;
            let waited = vendor
                .client(&api)
                .wait_until_ended(
                    &vendor.seed_id(),
                    Wait::at_most(timeout).polling_every(poll),
                )
                .await;
            let looks = calls_sent(&api).await.len();
            match retry_after.filter(|_| timeout != std::time::Duration::MAX) {
                Some(_) => {
                    assert_eq!(waited.unwrap().status, CallStatus::Completed);
                    assert_eq!(looks, 6);
                }
                None => {
                    let err = waited.unwrap_err();
                    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
                    assert_eq!(looks, 3);
                }
            }
        }
    }
}

/// A vendor that keeps failing ends the wait with its failure at the third look in a row,
/// not at the deadline; a failure at the deadline ends it too (the call's status is not
/// known); a lasting refusal (a 401) ends it at the first look.
#[tokio::test]
async fn waiting_ends_with_a_failure_that_lasts() {
    for vendor in BOTH {
        let (_, id) = vendor.seed;
        let failing = || async {
            let api = vendor.api().await;
            api.on("GET", &vendor.call_path(id))
                .respond_with(json_response(503, r#"{"message":"Service Unavailable"}"#))
                .mount(&api.server)
                .await;
            api
        };
        let poll = std::time::Duration::from_millis(20);
        let api = failing().await;
        let err = vendor
            .client(&api)
            .wait_until_ended(
                &vendor.seed_id(),
                Wait::at_most(std::time::Duration::from_secs(30)).polling_every(poll),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Server { status: 503, .. }), "{err:?}");
        assert_eq!(calls_sent(&api).await.len(), 3);

        // The deadline comes first: a look, then the last one at the deadline (two
        // seconds: a first look slowed by a loaded machine still ends before it).
        let api = failing().await;
        let (poll, timeout) = (
            std::time::Duration::from_secs(60),
            std::time::Duration::from_secs(2),
        );
        let err = vendor
            .client(&api)
            .wait_until_ended(
                &vendor.seed_id(),
                Wait::at_most(timeout).polling_every(poll),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Server { status: 503, .. }), "{err:?}");
        assert_eq!(calls_sent(&api).await.len(), 2);

        let api = vendor.api().await;
        api.on("GET", &vendor.call_path(id))
            .respond_with(json_response(401, r#"{"message":"Invalid Key"}"#))
            .mount(&api.server)
            .await;
        let err = vendor
            .client(&api)
            .wait_until_ended(
                &vendor.seed_id(),
                Wait::at_most(std::time::Duration::from_secs(30)).polling_every(poll),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
        assert_eq!(calls_sent(&api).await.len(), 1);
    }
}

/// A 429 asking for a pause past the wait's deadline ends the wait with it at once: the
/// vendor is not asked again before the time it gave.
#[tokio::test]
async fn waiting_ends_on_a_pause_asked_past_its_deadline() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let (_, id) = vendor.seed;
        api.on("GET", &vendor.call_path(id))
            .respond_with(
                json_response(429, r#"{"message":"Too Many Requests"}"#)
                    .insert_header("retry-after", "30"),
            )
            .mount(&api.server)
            .await;
        let (poll, timeout) = (
            std::time::Duration::from_millis(20),
            std::time::Duration::from_secs(2),
        );
        let err = vendor
            .client(&api)
            .wait_until_ended(
                &vendor.seed_id(),
                Wait::at_most(timeout).polling_every(poll),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
        assert_eq!(calls_sent(&api).await.len(), 1);
    }
}

/// `not-found` and `deletion-failed` are final: waiting stops at once.
#[tokio::test]
async fn waiting_stops_on_not_found_and_deletion_failed() {
    for vendor in BOTH {
        for (status, expected) in [
            ("not-found", CallStatus::Failed),
            ("deletion-failed", CallStatus::Completed),
        ] {
            let api = vendor.api().await;
            let (file, id) = vendor.seed;
            let mut call = vendor.json(file);
            call["status"] = json!(status);
            // Polled once: a poll interval far beyond the test's length.
            api.respond_json("GET", &vendor.call_path(id), 200, &call.to_string())
                .await;
            let (poll, timeout) = (
                std::time::Duration::from_secs(5),
                std::time::Duration::from_secs(60),
            );
            let (client, id) = (vendor.client(&api), vendor.seed_id());
            let call = client
                .wait_until_ended(&id, Wait::at_most(timeout).polling_every(poll))
                .await
                .unwrap();
            assert_eq!(call.status, expected, "{status}");
            assert_eq!(call.vendor_status.as_deref(), Some(status));
        }
    }
}

#[tokio::test]
async fn metadata_updates_are_unsupported_and_empty_updates_invalid() {
    for vendor in BOTH {
        let (_api, client) = vendor.silent().await;
        let caps = client.capabilities();
        assert!(!caps.update_metadata_merge && !caps.update_metadata_replace);
        let id = vendor.seed_id();
        for (mode, field) in [
            (MetadataMode::Merge, "metadata (merge)"),
            (MetadataMode::Replace, "metadata (replace)"),
        ] {
            let update = CallUpdate {
                name: Some("N".into()),
                metadata: Some([("a".to_owned(), json!(1))].into_iter().collect()),
                metadata_mode: mode,
            };
            let result = client.update_call(&id, &update).await;
            assert_unsupported(&result, vendor.kind());
            assert_eq!(
                result.unwrap_err().operation(),
                Some(Operation::UpdateField(field))
            );
        }
        let err = client
            .update_call(&id, &CallUpdate::default())
            .await
            .unwrap_err();
        assert_refused_locally(&err, Operation::UpdateCall, "changes nothing");
    }
}

#[tokio::test]
async fn delete_sends_delete() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let (file, id) = vendor.seed;
        api.respond_json("DELETE", &vendor.call_path(id), 200, &vendor.fixture(file))
            .await;
        let client = vendor.client(&api);
        assert!(client.capabilities().delete_call);
        client.delete_call(&vendor.seed_id()).await.unwrap();
    }
}

/// Vapi refuses a delete whose recordings it could not erase with a 503 (documented),
/// which is retried like any 503 of an idempotent request.
#[tokio::test]
async fn a_vapi_delete_that_could_not_erase_is_retried() {
    let api = VP.api().await;
    let path = VP.call_path(VP.seed.1);
    api.on("DELETE", &path)
        .respond_with(json_response(
            503,
            r#"{"message": "Failed to erase call recordings; the call was not deleted. Retry the request.", "statusCode": 503}"#,
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&api.server)
        .await;
    api.respond_json("DELETE", &path, 200, &VP.fixture(VP.seed.0))
        .await;
    VP.retrying(&api).delete_call(&VP.seed_id()).await.unwrap();
}

#[tokio::test]
async fn transcript_and_recording_come_from_the_call() {
    let api = VS.api().await;
    let id = CallId::new("019d02e2-357a-7dc0-866c-f327b28ce150");
    api.on("GET", &VS.call_path(id.as_str()))
        .respond_with(json_response(200, &VS.fixture("call_tool_calls.json")))
        .expect(2)
        .mount(&api.server)
        .await;
    let voicebot = VS.client(&api);
    let caps = voicebot.capabilities();
    assert!(
        caps.transcript && caps.recording && caps.inline_transcript && caps.cost && caps.analysis
    );
    let transcript = voicebot.get_transcript(&id).await.unwrap();
    assert_eq!(transcript.utterances.len(), 8);
    let tool = &transcript.utterances[3];
    assert_eq!(tool.speaker, Speaker::Tool);
    assert_eq!(tool.tool_calls[0].name.as_deref(), Some("lookup_order"));
    let recording = voicebot.get_recording(&id).await.unwrap().unwrap();
    assert!(recording.mono_url.unwrap().starts_with("https://"));
    assert!(recording.stereo_url.is_some());
    assert_eq!(
        recording.expires_at,
        Some("2026-03-25T21:38:15Z".parse().unwrap())
    );
}

#[tokio::test]
async fn cost_and_analysis_are_mapped() {
    let api = VS.api().await;
    let id = CallId::new("019d01b1-e82e-7aa4-9fc2-835e8561f584");
    api.respond_json(
        "GET",
        &VS.call_path(id.as_str()),
        200,
        &VS.fixture("call_max_duration.json"),
    )
    .await;
    let call = VS.client(&api).get_call(&id).await.unwrap();
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
    for vendor in BOTH {
        let api = vendor.api().await;
        let client = vendor.client(&api);
        let id = vendor.seed_id();
        let path = vendor.call_path(id.as_str());
        let body = |status| vendor.error_body(status);
        api.check_error_statuses("GET", &path, Operation::GetCall, body, || {
            client.get_call(&id)
        })
        .await;
        // Every other endpoint too: the core maps them alike, each error naming its
        // operation.
        let query = CallQuery::default();
        api.check_error_statuses("GET", vendor.calls, Operation::ListCalls, body, || {
            client.list_calls(&query)
        })
        .await;
        let dial = DialRequest::to("+14155550123");
        api.check_error_statuses("POST", vendor.calls, Operation::Dial, body, || {
            client.dial(&dial)
        })
        .await;
        let rename = CallUpdate {
            name: Some("Renewal follow-up".into()),
            ..CallUpdate::default()
        };
        api.check_error_statuses("PATCH", &path, Operation::UpdateCall, body, || {
            client.update_call(&id, &rename)
        })
        .await;
        api.check_error_statuses("DELETE", &path, Operation::DeleteCall, body, || {
            client.delete_call(&id)
        })
        .await;
        // The vendor's error text is kept.
        api.respond_json("GET", &path, 400, &vendor.error_body(400))
            .await;
        let expected = match vendor.family.flavor {
            Flavor::Voicebot => "bad request",
            Flavor::Vapi => "limit must not be greater than 1000",
            flavor => panic!("no error body written for {flavor:?}"),
        };
        match client.get_call(&id).await.unwrap_err() {
            Error::InvalidRequest { message, .. } => assert_eq!(message, expected),
            other => panic!("{other:?}"),
        }
        api.server.reset().await;
    }
    // Voicebot Studio's field errors are kept too.
    let api = VS.api().await;
    let path = VS.call_path(VS.seed.1);
    api.respond_json("GET", &path, 422, &VS.error_body(422))
        .await;
    match VS.client(&api).get_call(&VS.seed_id()).await.unwrap_err() {
        Error::InvalidRequest { details, .. } => {
            assert_eq!(details.len(), 1, "{details:?}");
            assert!(details[0].message.contains("1000"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn reads_are_retried_on_a_503() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let id = vendor.seed_id();
        let client = vendor.retrying(&api);
        let (file, seed) = vendor.seed;
        let body = vendor.fixture(file);
        let call = api
            .check_read_retried_on_503("GET", &vendor.call_path(seed), &body, client.get_call(&id))
            .await;
        assert_eq!(call.id.as_str(), seed);
    }
}

#[tokio::test]
async fn webhooks_parse_through_the_client() {
    for vendor in BOTH {
        let (_api, client) = vendor.silent().await;
        assert!(client.capabilities().webhooks);
        let event = client
            .parse_webhook(vendor.fixture("webhook_end_of_call_report.json").as_bytes())
            .unwrap();
        match event.kind {
            EventKind::Ended { call, .. } => {
                assert_eq!(call.provider, vendor.kind());
                assert_eq!(call.status, CallStatus::Completed);
                assert_eq!(
                    call.end_reason.unwrap().category,
                    EndReasonCategory::CustomerHungUp
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

/// Serves a live Vapi call whose control URL is on the mock server, and answers a POST
/// there with `status` and `body` (any request body). Returns the call's id.
async fn serve_live_call(api: &VendorApi, status: u16, body: &str) -> CallId {
    serve_live_call_at(api, None, status, body).await
}

/// [`serve_live_call`] with the control URL's path `/{token}/control` (the call's id
/// when `token` is `None`).
async fn serve_live_call_at(
    api: &VendorApi,
    token: Option<&str>,
    status: u16,
    body: &str,
) -> CallId {
    let mut live = VP.json("call_in_progress.json");
    let id = live["id"].as_str().unwrap().to_owned();
    let control = format!("/{}/control", token.unwrap_or(&id));
    live["monitor"]["controlUrl"] = json!(format!("{}{control}", api.server.uri()));
    // A refused end reads the call again (still live, so the refusal stands).
    let reads = if (200..300).contains(&status) { 1 } else { 2 };
    api.on("GET", &VP.call_path(&id))
        .respond_with(json_response(200, &live.to_string()))
        .expect(reads)
        .mount(&api.server)
        .await;
    // Not `api.on`: the control URL is its own credential, and the key does not go there.
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(control.as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"type": "end-call"})))
        .respond_with(json_response(status, body))
        .expect(1)
        .mount(&api.server)
        .await;
    CallId::new(id)
}

/// Vapi ends a live call through its `monitor.controlUrl`, read from the call first, with
/// `{"type": "end-call"}`; the answer's own error statuses are errors of `end_call`.
#[tokio::test]
async fn vapi_ends_a_live_call_through_its_control_url() {
    let api = VP.api().await;
    let id = serve_live_call(&api, 200, "{}").await;
    let client = VP.client(&api);
    assert!(client.capabilities().end_call);
    client.end_call(&id).await.unwrap();
    let requests = calls_sent(&api).await;
    let posted = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    assert!(posted.url.path().ends_with("/control"), "{}", posted.url);
    assert!(!posted.headers.contains_key("authorization"), "{posted:?}");

    // The control URL knows no such call while the call reads back live: a conflict with
    // both sides' words, not a not-found that would have the application stop following
    // a call still under way.
    let api = VP.api().await;
    let gone = r#"{"message": "Call not found", "statusCode": 404}"#;
    let id = serve_live_call(&api, 404, gone).await;
    let err = VP.client(&api).end_call(&id).await.unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { operation: Operation::EndCall, message, .. }
            if message.as_deref() == Some("the call exists, in_progress; the vendor answered: Call not found")),
        "{err:?}"
    );

    // Nor is a 401 or 403 of the control URL a word on the API key, which it is not sent
    // (and which the read just took): a refusal of the end, which the live call makes a
    // conflict.
    for status in [401, 403] {
        let api = VP.api().await;
        let id = serve_live_call(&api, status, r#"{"message": "Forbidden"}"#).await;
        let err = VP.client(&api).end_call(&id).await.unwrap_err();
        assert!(
            matches!(&err, Error::Conflict { operation: Operation::EndCall, message, .. }
                if message.as_deref().is_some_and(|m| m.starts_with("the call exists, in_progress")
                    && m.contains(&format!("control URL answered {status}")))),
            "{status}: {err:?}"
        );
    }
}

/// The control URL is a credential: a control server that echoes its path (an Express
/// 404 page: the token masked) or the whole URL (a JSON message: the URL cut to its host)
/// in a refusal leaves no trace of its token in the error, shown or debugged.
#[tokio::test]
async fn a_control_url_echoed_in_a_refusal_is_hidden() {
    let token = "c7e2a91f4b6d4f0e8a35d2b9e1f07c64";
    let express =
        format!("<!DOCTYPE html><html><body><pre>Cannot POST /{token}/control</pre></body></html>");
    for (status, body) in [
        (404, express),
        (
            400,
            json!({"message": format!("no session for https://phone.vapi.ai/{token}/control")})
                .to_string(),
        ),
    ] {
        let api = VP.api().await;
        let id = serve_live_call_at(&api, Some(token), status, &body).await;
        let err = VP.client(&api).end_call(&id).await.unwrap_err();
        let (shown, debugged) = (err.to_string(), format!("{err:?}"));
        for text in [&shown, &debugged] {
            assert!(!text.contains(token), "{text}");
            assert!(!text.contains(&token[..16]), "{text}");
        }
        if status == 404 {
            assert!(shown.contains("[REDACTED]"), "{shown}");
            // The request's route is not a secret, and still shows.
            assert!(shown.contains("/control"), "{shown}");
        } else {
            // A URL in a vendor's message keeps its host only.
            assert!(shown.contains("https://phone.vapi.ai/…"), "{shown}");
        }
    }
}

/// Nor does a control URL that cannot be reached, or whose answer breaks off: the
/// transport's own error (which names the URL it was sending to) reaches the error
/// without the URL.
#[tokio::test]
async fn a_control_url_that_fails_in_transport_is_hidden() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let token = "9b1d0e7c3a5f4e2d8c6b4a29f0e1d3c5";
    // A port bound and not listening refuses every connection, and nothing else takes it.
    let refusing = tokio::net::TcpSocket::new_v4().unwrap();
    refusing.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let refused_at = refusing.local_addr().unwrap();
    // A server whose answer breaks off in its head (any 2xx would be success, whatever
    // its body).
    let cutting = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cut_at = cutting.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = cutting.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-ty").await;
        }
    });
    for at in [refused_at, cut_at] {
        let api = VP.api().await;
        let mut live = VP.json("call_in_progress.json");
        let id = live["id"].as_str().unwrap().to_owned();
        live["monitor"]["controlUrl"] = json!(format!("http://{at}/{token}/control"));
        api.respond_json("GET", &VP.call_path(&id), 200, &live.to_string())
            .await;
        let err = VP
            .client(&api)
            .end_call(&CallId::new(id))
            .await
            .unwrap_err();
        let (shown, debugged) = (err.to_string(), format!("{err:?}"));
        for text in [&shown, &debugged] {
            assert!(!text.contains(&token[..16]), "{at}: {text}");
        }
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    }
    drop(refusing);
}

/// A call that is over already needs no ending: `end_call` succeeds after reading it,
/// without posting anywhere.
#[tokio::test]
async fn vapi_end_call_of_a_call_that_is_over_succeeds() {
    let api = VP.api().await;
    let body = VP.fixture("call_ended.json");
    let id: Value = serde_json::from_str(&body).unwrap();
    let id = CallId::new(id["id"].as_str().unwrap());
    api.respond_json("GET", &VP.call_path(id.as_str()), 200, &body)
        .await;
    VP.client(&api).end_call(&id).await.unwrap();
    assert_eq!(calls_sent(&api).await.len(), 1);
}

/// A call that cannot be read (a 503 on every attempt) is not ended, and the read's error
/// comes back as it is: a server error, retryable, named for `end_call`, its status the
/// vendor's (not a conflict's 409).
#[tokio::test]
async fn vapi_end_call_of_a_call_that_cannot_be_read_sends_nothing() {
    let api = VP.api().await;
    let id = CallId::new("0c6b8e0e-6d1f-4a51-9b7e-2f9d3c4a5b6e");
    api.on("GET", &VP.call_path(id.as_str()))
        .respond_with(json_response(503, &VP.error_body(503)))
        .mount(&api.server)
        .await;
    let err = VP.client(&api).end_call(&id).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 503, .. }), "{err:?}");
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.operation(), Some(Operation::EndCall));
    // The provider and the operation are said once.
    assert_eq!(err.to_string().matches("end_call").count(), 1, "{err}");
    let sent = calls_sent(&api).await;
    assert!(sent.iter().all(|r| r.method.as_str() == "GET"), "{sent:?}");
}

/// A read of the call whose answer breaks off (every attempt of it) is a failure on the
/// way, as a broken connection is: worth trying again, and no end applied nor a conflict
/// (which would not be tried again, though the call may be live). Nothing is sent to the
/// control URL.
#[tokio::test]
async fn vapi_end_call_whose_read_breaks_off_is_worth_trying_again() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    // Every request answered 200 with a body announced as 1,000 bytes, cut after 7.
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = vec![0; 4096];
            let read = socket.read(&mut head).await.unwrap_or(0);
            let line = String::from_utf8_lossy(&head[..read]);
            seen.lock()
                .unwrap()
                .push(line.lines().next().unwrap_or_default().to_owned());
            let cut = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"id\": ";
            let _ = socket.write_all(cut.as_bytes()).await;
        }
    });
    let config = voiceport_core::ProviderConfig::new(voiceport_core::ProviderKind::Vapi)
        .with_api_key("vapi-test-key")
        .with_base_url(&base);
    let id = CallId::new("0c6b8e0e-6d1f-4a51-9b7e-2f9d3c4a5b6e");
    let err = Vapi::from_config(&config)
        .unwrap()
        .end_call(&id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { sent: false, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.outcome(), RequestOutcome::NotApplied, "{err}");
    assert_ne!(err.status(), Some(409), "{err}");
    let chain = voiceport_core::chain_text(&err);
    assert!(chain.contains("the end-call was not sent"), "{chain}");
    let requests = requests.lock().unwrap();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r.starts_with("GET ")),
        "{requests:?}"
    );
}

/// A read of the call that comes back too large (over the configured cap) is no end
/// applied: nothing was sent to the control URL, and the error says so (a conflict, not
/// the over-the-cap error whose outcome is "applied").
#[tokio::test]
async fn vapi_end_call_whose_read_is_too_large_sends_nothing() {
    let api = VP.api().await;
    let id = CallId::new("0c6b8e0e-6d1f-4a51-9b7e-2f9d3c4a5b6e");
    api.on("GET", &VP.call_path(id.as_str()))
        .respond_with(json_response(
            200,
            &format!(
                r#"{{"id": "{id}", "status": "in-progress", "note": "{}"}}"#,
                "x".repeat(4096)
            ),
        ))
        .mount(&api.server)
        .await;
    let mut config = api.config();
    config.max_body_bytes = Some(1024);
    let err = Vapi::from_config(&config)
        .unwrap()
        .end_call(&id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert!(
        err.to_string().contains("the end-call was not sent"),
        "{err}"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied, "{err}");
    let sent = calls_sent(&api).await;
    assert!(sent.iter().all(|r| r.method.as_str() == "GET"), "{sent:?}");
}

/// What `end_call` refuses after reading the call, without posting anywhere; and the
/// call's own errors, named for `end_call`.
#[tokio::test]
async fn vapi_end_call_refusals() {
    let live = VP.json("call_in_progress.json");
    let with_control = |url: &str| {
        let mut call = live.clone();
        call["monitor"]["controlUrl"] = json!(url);
        call.to_string()
    };
    let without_monitor = {
        let mut call = live.clone();
        call.as_object_mut().unwrap().remove("monitor");
        call.to_string()
    };
    // Scheduled: not live yet, so no control URL; deleting it is what calls it off.
    let scheduled = {
        let mut call = live.clone();
        call.as_object_mut().unwrap().remove("monitor");
        call["status"] = json!("scheduled");
        call["schedulePlan"] = json!({"earliestAt": "2026-12-05T09:00:00.000Z"});
        call.to_string()
    };
    let cases = [
        // Live control off.
        ("no `monitor.controlUrl`", 200, without_monitor),
        ("scheduled, not live", 200, scheduled),
        // A control URL off the API's domain is never sent the key.
        (
            "not the API's",
            200,
            with_control("https://control.example.invalid/x/control"),
        ),
        ("not a URL", 200, with_control("control")),
        // A missing call is `NotFound` for `end_call`.
        ("HTTP 404", 404, VP.error_body(404)),
    ];
    for (needle, status, body) in cases {
        let api = VP.api().await;
        let id: Value = serde_json::from_str(&body).unwrap();
        let id = CallId::new(id["id"].as_str().unwrap_or(MISSING));
        // A refusal, a missing call's too, reads the call again (the refusal stands).
        let reads: u64 = 2;
        api.on("GET", &VP.call_path(id.as_str()))
            .respond_with(json_response(status, &body))
            .expect(reads)
            .mount(&api.server)
            .await;
        let err = VP.client(&api).end_call(&id).await.unwrap_err();
        assert_eq!(err.operation(), Some(Operation::EndCall), "{err:?}");
        assert_eq!(err.provider(), Some(ProviderKind::Vapi));
        assert!(
            matches!(err, Error::Conflict { .. } | Error::NotFound { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(needle), "{needle}: {err}");
        // The provider and the operation are said once, a refusal built on a decode
        // error too.
        assert_eq!(err.to_string().matches("end_call").count(), 1, "{err}");
        // Nothing was ended, and the error says so to a caller that checks.
        assert_eq!(err.outcome(), RequestOutcome::NotApplied, "{err}");
        // Only the reads went out.
        let sent = calls_sent(&api).await;
        assert_eq!(sent.len() as u64, reads, "{needle}");
    }
}

#[tokio::test]
async fn unsupported_operations_say_so() {
    for vendor in BOTH {
        let (_api, client) = vendor.silent().await;
        let caps = client.capabilities();
        assert!(!caps.cancel_call && !caps.notes);
        // Only Vapi documents ending a live call.
        assert_eq!(caps.end_call, vendor.family.flavor == Flavor::Vapi);
        let id = vendor.seed_id();
        let note = NoteId::new("n1");
        let mut results = vec![
            client.cancel_call(&id).await,
            client.add_note(&id, &NoteInput::new("x")).await.map(|_| ()),
            client
                .update_note(&id, &note, &NoteUpdate::text("x"))
                .await
                .map(|_| ()),
            client.delete_note(&id, &note).await.map(|_| ()),
        ];
        if !caps.end_call {
            results.push(client.end_call(&id).await);
        }
        for result in results {
            assert_unsupported(&result, vendor.kind());
        }
    }
}

#[tokio::test]
async fn debug_hides_the_key() {
    for vendor in BOTH {
        let api = vendor.api().await;
        let text = format!("{:?}", vendor.client(&api));
        assert_key_hidden(&text);
        assert!(
            text.contains(&format!("{:?}", vendor.family.flavor)),
            "{text}"
        );
    }
}

#[test]
fn config_is_checked() {
    // Another vendor's config.
    let other = ProviderConfig::new(ProviderKind::Rounded).with_api_key(KEY);
    assert!(
        matches!(Vapi::from_config(&other), Err(Error::Config { field, .. }) if field == "kind")
    );
    for kind in [ProviderKind::Voicebot, ProviderKind::Vapi] {
        // Unknown and empty options name the field.
        let unknown = ProviderConfig::new(kind)
            .with_api_key(KEY)
            .with_option("assistant", "x");
        assert!(
            matches!(Vapi::from_config(&unknown), Err(Error::Config { field, .. }) if field.starts_with("options"))
        );
        let empty = ProviderConfig::new(kind)
            .with_api_key(KEY)
            .with_option("assistant_id", " ");
        assert!(
            matches!(Vapi::from_config(&empty), Err(Error::Config { field, .. }) if field == "options.assistant_id")
        );
        // No key.
        assert!(matches!(
            Vapi::from_config(&ProviderConfig::new(kind)),
            Err(Error::Config { .. })
        ));
        // The flavor comes from the kind.
        let ok = Voicebot::from_config(
            &ProviderConfig::new(kind)
                .with_api_key(KEY)
                .with_option("assistant_id", "a")
                .with_option("phone_number_id", "n"),
        )
        .unwrap();
        assert_eq!(ok.options().assistant_id.as_deref(), Some("a"));
        assert_eq!(ok.kind(), kind);
        assert_eq!(ok.flavor(), Flavor::of(kind).unwrap());
    }
    // Production defaults.
    assert_eq!(VOICEBOT_BASE_URL, "https://api.voicebot.studio/api/v1");
    assert_eq!(VAPI_BASE_URL, "https://api.vapi.ai");
    assert_eq!(Flavor::Vapi.default_base_url(), VAPI_BASE_URL);
}
