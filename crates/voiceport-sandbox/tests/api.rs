//! The emulated vendor APIs, spoken to over HTTP as a client would.

use std::time::Duration;

use serde_json::{Value, json};
use voiceport_core::ProviderKind::{self, HappyRobot, Retell, Rounded, Vapi, Voicebot};
use voiceport_sandbox::{Fault, FaultKind, MAX_RECORDED_URI_PART, Sandbox, Timing};

fn fast() -> Timing {
    Timing::default()
        .with_queued(Duration::from_millis(20))
        .with_ringing(Duration::from_millis(20))
        .with_talk(Duration::from_millis(40))
}

/// An HTTP client for the loopback sandbox and receivers: never through a proxy named in
/// the environment (`HTTP_PROXY`, `ALL_PROXY`), which reqwest's defaults would use.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn sandbox() -> Sandbox {
    seeded(1).await
}

/// [`sandbox`] with another seed.
async fn seeded(seed: u64) -> Sandbox {
    Sandbox::builder()
        .seed(seed)
        .calls(HappyRobot, 30)
        .calls(Voicebot, 30)
        .calls(Rounded, 30)
        .calls(Vapi, 30)
        .calls(Retell, 30)
        .timing(fast())
        .start()
        .await
        .unwrap()
}

fn request(
    sandbox: &Sandbox,
    kind: ProviderKind,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    let client = http_client();
    let builder = client.request(method, format!("{}{path}", sandbox.base_url(kind)));
    match kind {
        HappyRobot | Vapi | Retell => {
            builder.header("authorization", format!("Bearer {}", sandbox.api_key(kind)))
        }
        Voicebot | Rounded => builder.header("x-api-key", sandbox.api_key(kind)),
        other => panic!("the sandbox does not emulate {other}"),
    }
}

/// The request that lists `kind`'s calls (its first page), without a key: Retell's list
/// is a `POST` with a JSON body.
fn list_request(sandbox: &Sandbox, kind: ProviderKind) -> reqwest::RequestBuilder {
    let client = http_client();
    let base = sandbox.base_url(kind);
    match kind {
        Retell => client
            .post(format!("{base}/v3/list-calls"))
            .json(&json!({})),
        Vapi => client.get(format!("{base}/call")),
        _ => client.get(format!("{base}/calls")),
    }
}

/// The same with `kind`'s key, as its client sends it.
fn list_with_key(sandbox: &Sandbox, kind: ProviderKind) -> reqwest::RequestBuilder {
    let key = sandbox.api_key(kind);
    match kind {
        HappyRobot | Vapi | Retell => {
            list_request(sandbox, kind).header("authorization", format!("Bearer {key}"))
        }
        _ => list_request(sandbox, kind).header("x-api-key", key),
    }
}

/// A Rounded start-call request, to be sent: a valid dial from the sandbox's number.
fn rounded_dial(sandbox: &Sandbox) -> reqwest::RequestBuilder {
    request(sandbox, Rounded, reqwest::Method::POST, "/calls/phone").json(&json!({
        "from_number": "+16285550142",
        "to_number": "+14155550177",
        "agent_id": "123e4567-e89b-12d3-a456-426614174002"
    }))
}

/// A HappyRobot dial of `body` (`POST /dial/outbound`): its status and JSON.
async fn happyrobot_dial(sandbox: &Sandbox, body: &Value) -> (u16, Value) {
    let dial = request(sandbox, HappyRobot, reqwest::Method::POST, "/dial/outbound");
    json_of(dial.json(body).send().await.unwrap()).await
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET path` of `kind`'s API with its key: the status and the JSON answered.
async fn get_json(sandbox: &Sandbox, kind: ProviderKind, path: &str) -> (u16, Value) {
    json_of(
        request(sandbox, kind, reqwest::Method::GET, path)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn wrong_or_missing_keys_get_the_vendors_401() {
    let sandbox = sandbox().await;
    let client = http_client();
    for &kind in voiceport_sandbox::EMULATED {
        let (status, body) = json_of(list_request(&sandbox, kind).send().await.unwrap()).await;
        assert_eq!(status, 401, "{kind}");
        match kind {
            HappyRobot => assert!(body["message"].is_string()),
            Voicebot => assert!(body["detail"].is_string()),
            Rounded => assert_eq!(body["error"]["status"], 401),
            // NestJS's shape.
            Vapi => {
                assert_eq!(body["statusCode"], 401);
                assert_eq!(body["error"], "Unauthorized");
                assert!(body["message"].is_string());
            }
            // Retell's documented body.
            Retell => assert_eq!(
                body,
                json!({"status": "error", "message": "API key is missing or invalid."})
            ),
            other => panic!("the sandbox does not emulate {other}"),
        }
    }
    // A key in the other vendor's header is no key.
    let (status, _) = json_of(
        list_request(&sandbox, Vapi)
            .header("x-api-key", sandbox.api_key(Vapi))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let wrong = client
        .get(format!("{}/calls", sandbox.base_url(Rounded)))
        .header("x-api-key", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // A bearer scheme is named in any case, but its key must be the key.
    for (scheme, key, status) in [
        ("bearer", sandbox.api_key(Vapi).to_owned(), 200),
        ("BEARER", sandbox.api_key(Vapi).to_owned(), 200),
        ("Basic", sandbox.api_key(Vapi).to_owned(), 401),
        ("Bearer", sandbox.api_key(Vapi).to_uppercase(), 401),
    ] {
        let answer = list_request(&sandbox, Vapi)
            .header("authorization", format!("{scheme} {key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{scheme} {key}");
    }
}

#[tokio::test]
async fn every_kind_is_emulated_at_its_own_address_with_its_own_key() {
    let sandbox = sandbox().await;
    let mut urls = std::collections::HashSet::new();
    let mut keys = std::collections::HashSet::new();
    for &kind in voiceport_sandbox::EMULATED {
        assert!(sandbox.emulates(kind), "{kind}");
        assert!(
            urls.insert(sandbox.base_url(kind)),
            "{kind}: base URL shared"
        );
        assert!(keys.insert(sandbox.api_key(kind)), "{kind}: key shared");
        assert_ne!(sandbox.api_key(kind), voiceport_sandbox::NOT_EMULATED_KEY);
        assert!(!sandbox.base_url(kind).contains("/_not_emulated"), "{kind}");
    }
}

/// The TOML table reads back as the provider's config, whatever the name (quoted where
/// TOML needs it), and further tables can follow it.
#[tokio::test]
async fn each_provider_toml_reads_back_as_its_config() {
    use voiceport_core::{ExposeSecret, ProvidersFile};
    let sandbox = sandbox().await;
    for &kind in voiceport_sandbox::EMULATED {
        let name = "sales team.eu";
        let mut toml = sandbox.provider_toml(name, kind);
        toml.push_str("[providers.\"sales team.eu\".retry]\nmax_attempts = 1\n");
        let file = ProvidersFile::from_toml_str(&toml).unwrap();
        let (read, config) = (&file.providers[name], sandbox.provider_config(kind));
        assert_eq!(read.kind, kind, "{toml}");
        let key = |c: &voiceport_core::ProviderConfig| {
            c.api_key.as_ref().map(|k| k.expose_secret().to_owned())
        };
        assert_eq!(key(read), key(&config), "{kind}");
        assert_eq!(read.base_url, config.base_url, "{kind}");
        assert!(!config.options.is_empty(), "{kind}: the dial's options");
        assert_eq!(read.options, config.options, "{toml}");
        assert_eq!(read.retry.max_attempts, Some(1), "{kind}");
    }
}

/// Every `ProviderKind` is emulated today, so no kind leads here yet; the address a kind
/// the sandbox does not emulate gets (`/_not_emulated/{kind}`) is checked by hand, for a
/// made-up kind.
#[tokio::test]
async fn a_kind_that_is_not_emulated_gets_404_everywhere() {
    let sandbox = sandbox().await;
    let client = http_client();
    let base = format!("http://{}/_not_emulated/bland", sandbox.addr());
    for (method, path) in [
        (reqwest::Method::GET, ""),
        (reqwest::Method::GET, "/calls"),
        (reqwest::Method::POST, "/calls"),
        (
            reqwest::Method::DELETE,
            "/calls/3f9a6c21-8d4e-4b7a-a5c3-61e0b2d8f4a7",
        ),
    ] {
        let response = client
            .request(method.clone(), format!("{base}{path}"))
            .header("x-api-key", voiceport_sandbox::NOT_EMULATED_KEY)
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(response).await;
        assert_eq!(status, 404, "{method} {path}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains("does not emulate"), "{message}");
        assert!(message.contains("`bland`"), "{message}");
        assert_eq!(body["not_emulated"], "bland");
    }
    // No emulator accepts the not-emulated key.
    for &kind in voiceport_sandbox::EMULATED {
        let response = list_request(&sandbox, kind)
            .header(
                "authorization",
                format!("Bearer {}", voiceport_sandbox::NOT_EMULATED_KEY),
            )
            .header("x-api-key", voiceport_sandbox::NOT_EMULATED_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{kind}");
    }
}

#[tokio::test]
async fn happyrobot_pages_with_limit_and_skip() {
    let sandbox = sandbox().await;
    let (status, first) = get_json(&sandbox, HappyRobot, "/calls?limit=20").await;
    assert_eq!(status, 200);
    assert_eq!(first["count"], 30);
    assert_eq!(first["calls"].as_array().unwrap().len(), 20);
    let (_, second) = get_json(&sandbox, HappyRobot, "/calls?limit=20&skip=20").await;
    assert_eq!(second["calls"].as_array().unwrap().len(), 10);
    assert_eq!(second["offset"], 20);
    let first_ids: Vec<&Value> = first["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert!(
        second["calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !first_ids.contains(&&c["id"]))
    );
    let (_, completed) =
        get_json(&sandbox, HappyRobot, "/calls?statuses=Completed&limit=100").await;
    let completed = completed["calls"].as_array().unwrap();
    assert!(!completed.is_empty() && completed.iter().all(|c| c["status"] == "Completed"));
}

#[tokio::test]
async fn the_same_seed_gives_the_same_calls() {
    let a = sandbox().await;
    let b = sandbox().await;
    // Vapi's live calls point at their own sandbox (`monitor`): everything else is equal.
    let without_monitors = |mut page: Value| {
        for call in page.as_array_mut().into_iter().flatten() {
            call.as_object_mut().map(|c| c.remove("monitor"));
        }
        page
    };
    // Another seed, other calls: the seed is what decides them.
    let other = seeded(2).await;
    // The calls of a listing, whatever its envelope.
    let calls = |page: &Value| -> Vec<Value> {
        let list = ["calls", "data", "items"]
            .iter()
            .find_map(|key| page.get(*key))
            .unwrap_or(page);
        list.as_array().cloned().unwrap_or_default()
    };
    for &kind in voiceport_sandbox::EMULATED {
        let (status_x, x) = json_of(list_with_key(&a, kind).send().await.unwrap()).await;
        let (status_y, y) = json_of(list_with_key(&b, kind).send().await.unwrap()).await;
        let (_, z) = json_of(list_with_key(&other, kind).send().await.unwrap()).await;
        assert_eq!((status_x, status_y), (200, 200), "{kind}: {x}");
        let (x, y, z) = (
            without_monitors(x),
            without_monitors(y),
            without_monitors(z),
        );
        assert!(!calls(&x).is_empty(), "{kind}: {x}");
        assert!(x == y, "{kind}");
        assert!(
            calls(&x) != calls(&z),
            "{kind}: another seed gave the same calls"
        );
    }
}

/// The language and maximum duration a HappyRobot dial asks for are the call's, as its
/// reads show them.
#[tokio::test]
async fn a_happyrobot_dial_s_language_and_maximum_are_the_call_s() {
    let sandbox = sandbox().await;
    let dial = json!({
        "phone_number": "+14155550187",
        "number_id": "6650cc00cc00cc00cc00cc01",
        "language": "es-ES",
        "max_duration_mins": 12,
    });
    let (status, call) = happyrobot_dial(&sandbox, &dial).await;
    assert_eq!(status, 200, "{call}");
    let id = call["id"].as_str().unwrap();
    let (_, read) = get_json(&sandbox, HappyRobot, &format!("/calls/{id}")).await;
    assert_eq!(
        (&read["language"], &read["max_duration_mins"]),
        (&json!("es-ES"), &json!(12))
    );
}

#[tokio::test]
async fn a_dialed_call_moves_through_its_statuses_to_the_end() {
    let sandbox = sandbox().await;
    let dial = json!({"phone_number": "+14155550188", "number_id": "6650cc00cc00cc00cc00cc01", "metadata": {"crm": "X1"}});
    let (status, call) = happyrobot_dial(&sandbox, &dial).await;
    assert_eq!(status, 200);
    assert_eq!(call["status"], "Queued");
    // As the docs' example of the answer: without what a client learns by reading the call.
    for absent in ["type", "provider", "agent", "language", "viewed_by"] {
        assert!(call.get(absent).is_none(), "{absent}: {call}");
    }
    assert_eq!(call["metadata"]["custom"]["crm"], "X1", "{call}");
    let id = call["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (_, ended) = get_json(&sandbox, HappyRobot, &format!("/calls/{id}")).await;
    assert_eq!(ended["status"], "Completed");
    // No language nor maximum asked for: the agent's, and none.
    assert_eq!(ended["language"], "en-US");
    assert_eq!(ended["max_duration_mins"], Value::Null);
    assert!(ended["costs"]["total_costs"].as_f64().unwrap() >= 0.0);
    let (_, transcript) = get_json(&sandbox, HappyRobot, &format!("/calls/{id}/transcript")).await;
    let messages = transcript["messages"].as_array().unwrap();
    assert!(messages.len() > 3);
    // Its prompt names the agent who then introduces themselves.
    let prompt = messages[0]["content"].as_str().unwrap();
    let name = prompt.split([' ', ',']).nth(2).unwrap();
    let spoken = messages.iter().find(|m| m["role"] == "assistant").unwrap();
    let spoken = spoken["content"].as_str().unwrap();
    assert!(
        spoken.contains(&format!("{name} from")),
        "{prompt} / {spoken}"
    );
    assert_eq!(sandbox.dialed_count(HappyRobot), 1);
    assert_eq!(sandbox.call_count(HappyRobot), 31);
}

/// A call ended through the API before anyone answered did not complete: Rounded and
/// HappyRobot show it canceled (the value each documents; when it is used is inferred),
/// with no answer type, whether it was still queued or being placed (HappyRobot's
/// `Initiated`, Rounded's `ringing`); HappyRobot's `cancel` refuses a call being placed.
#[tokio::test]
async fn a_call_stopped_before_it_is_answered_is_canceled() {
    let minute = Duration::from_secs(60);
    let queued = Timing::default()
        .with_queued(minute)
        .with_ringing(minute)
        .with_talk(minute);
    stopped_before_it_is_answered(queued, "created", "Queued").await;
    // Being placed: the first quarter of its ringing.
    let dialing = queued.with_queued(Duration::ZERO);
    stopped_before_it_is_answered(dialing, "ringing", "Initiated").await;
}

/// A Rounded and a HappyRobot call, each dialed with `timing`, seen in the status each
/// vendor names it by (`rounded`, `happyrobot`) and stopped through its API.
async fn stopped_before_it_is_answered(timing: Timing, rounded: &str, happyrobot: &str) {
    let sandbox = Sandbox::builder()
        .seed(1)
        .timing(timing)
        .start()
        .await
        .unwrap();
    let started = rounded_dial(&sandbox).send().await.unwrap();
    let (_, started) = json_of(started).await;
    let id = started["data"]["call_id"].as_str().unwrap().to_owned();
    let path = format!("/calls/{id}");
    let (_, call) = get_json(&sandbox, Rounded, &path).await;
    assert_eq!(call["data"]["status"], rounded, "{call}");
    let terminate = format!("/calls/{id}/terminate");
    let (status, _) = json_of(
        (request(&sandbox, Rounded, reqwest::Method::POST, &terminate).send())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, call) = get_json(&sandbox, Rounded, &path).await;
    assert_eq!(call["data"]["status"], "canceled", "{call}");
    assert_eq!(call["data"]["answer_type"], Value::Null, "{call}");

    let dial = json!({"phone_number": "+14155550177", "number_id": "6650cc00cc00cc00cc00cc01"});
    let (_, dialed) = happyrobot_dial(&sandbox, &dial).await;
    let id = dialed["id"]
        .as_str()
        .or(dialed["call_id"].as_str())
        .unwrap()
        .to_owned();
    let path = format!("/calls/{id}");
    let (_, call) = get_json(&sandbox, HappyRobot, &path).await;
    assert_eq!(call["status"], happyrobot, "{call}");
    let post = |action: &str| {
        request(
            &sandbox,
            HappyRobot,
            reqwest::Method::POST,
            &format!("{path}/{action}"),
        )
        .send()
    };
    if happyrobot != "Queued" {
        let canceled = post("cancel").await.unwrap();
        assert_eq!(canceled.status(), 400, "cancel while {happyrobot}");
    }
    let stopped = post("stop").await.unwrap();
    assert!(stopped.status().is_success(), "{}", stopped.status());
    let (_, call) = get_json(&sandbox, HappyRobot, &path).await;
    assert_eq!(call["status"], "Canceled", "{call}");
}

#[tokio::test]
async fn rounded_metadata_merges_or_replaces() {
    let sandbox = sandbox().await;
    let started = rounded_dial(&sandbox).send().await.unwrap();
    let (_, started) = json_of(started).await;
    assert_eq!(started["status"], 201);
    let id = started["data"]["call_id"].as_str().unwrap().to_owned();
    let patch = |body: Value| {
        request(
            &sandbox,
            Rounded,
            reqwest::Method::PATCH,
            &format!("/calls/{id}"),
        )
        .json(&body)
        .send()
    };
    json_of(
        patch(json!({"metadata": {"a": 1, "b": 2}, "override": false}))
            .await
            .unwrap(),
    )
    .await;
    let (_, merged) = json_of(
        patch(json!({"metadata": {"b": 3, "c": null}, "override": false}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        merged["data"]["metadata"],
        json!({"a": 1, "b": 3, "c": null})
    );
    let (_, replaced) = json_of(
        patch(json!({"metadata": {"z": true}, "override": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(replaced["data"]["metadata"], json!({"z": true}));
    let (status, invalid) = json_of(
        request(&sandbox, Rounded, reqwest::Method::POST, "/calls/phone")
            .json(&json!({"to_number": "12"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(invalid["error"]["details"].as_array().unwrap().len(), 3);
}

/// The ids of Rounded's calls, walked by its time cursor `limit` at a time (at most 100
/// pages).
async fn rounded_cursor_walk(sandbox: &Sandbox, limit: usize) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/calls?use_cursor=true&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", urlencode(c)));
        }
        let (_, page) = json_of(
            request(sandbox, Rounded, reqwest::Method::GET, &path)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let calls = page["data"].as_array().unwrap();
        seen.extend(calls.iter().map(|c| c["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    seen
}

#[tokio::test]
async fn rounded_cursor_and_page_modes_walk_every_call_once() {
    let sandbox = sandbox().await;
    let seen = rounded_cursor_walk(&sandbox, 7).await;
    assert_eq!(seen.len(), 30);
    let (_, page3) = get_json(&sandbox, Rounded, "/calls?use_cursor=false&limit=7&page=5").await;
    assert_eq!(page3["total_pages"], 5);
    assert_eq!(page3["total_items"], 30);
    assert_eq!(page3["data"].as_array().unwrap().len(), 2);
    // A page far past the end is empty, not a panic on its offset.
    let (status, far) = get_json(
        &sandbox,
        Rounded,
        &format!("/calls?use_cursor=false&limit=7&page={}", usize::MAX),
    )
    .await;
    assert_eq!(status, 200, "{far}");
    assert_eq!(far["data"].as_array().unwrap().len(), 0);
}

/// Calls dialed back to back, several in one millisecond, are each walked once by
/// Rounded's time cursor (written to the millisecond).
#[tokio::test]
async fn rounded_calls_dialed_in_one_burst_are_each_walked_once() {
    let sandbox = sandbox().await;
    let dials = (0..12).map(|_| rounded_dial(&sandbox).send());
    for response in futures::future::join_all(dials).await {
        assert_eq!(response.unwrap().status(), 201);
    }
    let walked = rounded_cursor_walk(&sandbox, 1).await;
    let seen: std::collections::BTreeSet<String> = walked.iter().map(Value::to_string).collect();
    assert_eq!(seen.len(), walked.len(), "a call twice: {walked:?}");
    assert_eq!(seen.len(), 30 + 12);
}

fn urlencode(text: &str) -> String {
    text.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn voicebot_lists_a_bare_array_and_pages_by_time() {
    let sandbox = sandbox().await;
    let (_, page) = get_json(&sandbox, Voicebot, "/calls?limit=10").await;
    let calls = page.as_array().unwrap();
    assert_eq!(calls.len(), 10);
    let oldest = calls.last().unwrap()["createdAt"].as_str().unwrap();
    let (_, next) = json_of(
        request(
            &sandbox,
            Voicebot,
            reqwest::Method::GET,
            &format!("/calls?limit=100&createdAtLt={}", urlencode(oldest)),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(next.as_array().unwrap().len(), 20);
}

/// Rounded's `start_time_gt` / `start_time_lt` filter on the call's `start_time`, as
/// documented (not on when the call was created): a call that never started is left out
/// by either bound.
#[tokio::test]
async fn rounded_time_filters_apply_to_the_start_time() {
    let sandbox = sandbox().await;
    let list = async |query: &str| {
        let path = format!("/calls?use_cursor=false&limit=1000{query}");
        let (status, page) = get_json(&sandbox, Rounded, &path).await;
        assert_eq!(status, 200, "{query}: {page}");
        page["data"].as_array().unwrap().clone()
    };
    let all = list("").await;
    assert_eq!(all.len(), 30);
    let start = |call: &Value| call["start_time"].as_str().map(str::to_owned);
    let mut starts: Vec<String> = all.iter().filter_map(start).collect();
    starts.sort();
    let never_started = all.iter().filter(|c| start(c).is_none()).count();
    assert!(
        never_started > 0,
        "the seeded calls include unanswered ones"
    );
    // The middle start time: calls after it, calls before it, none of the unanswered.
    let middle = &starts[starts.len() / 2];
    let after = list(&format!("&start_time_gt={}", urlencode(middle))).await;
    let before = list(&format!("&start_time_lt={}", urlencode(middle))).await;
    let later = starts.iter().filter(|s| *s > middle).count();
    let earlier = starts.iter().filter(|s| *s < middle).count();
    assert_eq!(after.len(), later);
    assert_eq!(before.len(), earlier);
    for call in after.iter().chain(&before) {
        assert!(start(call).is_some(), "{call}");
    }
}

/// Voicebot Studio's validator (FastAPI's) answers a body it refuses with 422 and
/// `{detail: [...]}`, whatever is wrong with it; Vapi's with 400.
#[tokio::test]
async fn validation_errors_have_each_flavors_status() {
    let sandbox = sandbox().await;
    for (kind, path, expected) in [(Voicebot, "/calls", 422), (Vapi, "/call", 400)] {
        for body in [
            json!({}),
            json!({"customer": {"number": "+14155550177"}}),
            json!([1]),
        ] {
            let response = request(&sandbox, kind, reqwest::Method::POST, path)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), expected, "{kind} {body}");
        }
    }
    // Voicebot Studio's problems say where the field is, as FastAPI's `loc` does: in the
    // body, segment by segment, or in the query string (inferred, as its 422s are).
    let refused = |method, path: &str, body: Option<Value>| {
        let mut request = request(&sandbox, Voicebot, method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let (status, answer) = json_of(request.send().await.unwrap()).await;
            assert_eq!(status, 422, "{answer}");
            answer["detail"][0]["loc"].clone()
        }
    };
    let body = json!({"assistantId": "a", "customer": {"number": "+1"}});
    let loc = refused(reqwest::Method::POST, "/calls", Some(body)).await;
    assert_eq!(loc, json!(["body", "customer", "number"]));
    let loc = refused(reqwest::Method::GET, "/calls?limit=5000", None).await;
    assert_eq!(loc, json!(["query", "limit"]));
    let loc = refused(reqwest::Method::GET, "/calls?createdAtGt=soon", None).await;
    assert_eq!(loc, json!(["query", "createdAtGt"]));
}

/// A batch dial (`customers[]`, documented by Vapi) is not emulated: the refusal says so,
/// rather than answer as if the body were wrong, and nothing is dialed.
#[tokio::test]
async fn a_batch_dial_is_refused_as_not_emulated() {
    let sandbox = sandbox().await;
    let body = json!({
        "assistantId": sandbox.provider_config(Vapi).options["assistant_id"],
        "phoneNumberId": sandbox.provider_config(Vapi).options["phone_number_id"],
        "customers": [{"number": "+14155550177"}, {"number": "+14155550178"}],
    });
    for (kind, path, expected) in [(Voicebot, "/calls", 422), (Vapi, "/call", 400)] {
        let response = request(&sandbox, kind, reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, refused) = json_of(response).await;
        assert_eq!(status, expected, "{kind}: {refused}");
        assert!(
            refused.to_string().contains("not emulated by the sandbox"),
            "{kind}: {refused}"
        );
        assert_eq!(sandbox.dialed_count(kind), 0, "{kind}");
    }
}

/// Vapi's calls name the number they are on by id only; `GET /phone-number/{id}` gives it,
/// for the account's two numbers, and the number of a seeded or dialed call is the one its
/// messages carry. Voicebot Studio documents no such endpoint, and has none.
#[tokio::test]
async fn vapi_numbers_are_looked_up_by_id() {
    let sandbox = sandbox().await;
    let options = &sandbox.provider_config(Vapi).options;
    let default = options["phone_number_id"].as_str().unwrap().to_owned();
    let second = "0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f";
    let number_of = |id: String| {
        let request = request(
            &sandbox,
            Vapi,
            reqwest::Method::GET,
            &format!("/phone-number/{id}"),
        );
        async move { json_of(request.send().await.unwrap()).await }
    };
    let (status, main) = number_of(default.clone()).await;
    assert_eq!((status, main["id"].as_str()), (200, Some(default.as_str())));
    assert_eq!(main["provider"], "twilio");
    let (status, other) = number_of(second.into()).await;
    assert_eq!(status, 200);
    assert_ne!(other["number"], main["number"]);
    let (status, _) = number_of("00000000-0000-4000-8000-000000000000".into()).await;
    assert_eq!(status, 404);
    // The seeded calls are on the default number: the outbound ones from it.
    let (_, page) = json_of(list_with_key(&sandbox, Vapi).send().await.unwrap()).await;
    let calls = page.as_array().unwrap();
    let outbound: Vec<&Value> = (calls.iter())
        .filter(|c| c["type"] == "outboundPhoneCall")
        .collect();
    assert!(!outbound.is_empty());
    let delivered_number = |id: &str| {
        let delivery = sandbox.webhook_delivery(Vapi, id).expect("a delivery");
        let delivery: Value = serde_json::from_slice(&delivery).unwrap();
        delivery["message"]["phoneNumber"]["number"].clone()
    };
    for call in outbound {
        assert_eq!(call["phoneNumberId"].as_str(), Some(default.as_str()));
        assert!(call.get("phoneNumber").is_none(), "{call}");
        let id = call["id"].as_str().unwrap();
        assert_eq!(delivered_number(id), main["number"], "{id}");
    }
    // A call dialed from the second number is on it.
    let dial = |from: (&str, Value)| {
        let mut body = json!({
            "assistantId": options["assistant_id"],
            "customer": {"number": "+14155550177"},
        });
        body[from.0] = from.1;
        let request = request(&sandbox, Vapi, reqwest::Method::POST, "/call").json(&body);
        async move {
            let (status, dialed) = json_of(request.send().await.unwrap()).await;
            assert_eq!(status, 201, "{dialed}");
            dialed
        }
    };
    let dialed = dial(("phoneNumberId", json!(second))).await;
    assert_eq!(dialed["phoneNumberId"], second);
    assert_eq!(
        delivered_number(dialed["id"].as_str().unwrap()),
        other["number"]
    );
    // One dialed from a transient number (`phoneNumber`, no id) shows it, without its
    // auth token, and no `phoneNumberId`.
    let transient = json!({
        "twilioPhoneNumber": "+14155550150",
        "twilioAccountSid": "AC0123456789abcdef0123456789abcdef",
        "twilioAuthToken": "twilio-secret-token",
    });
    let dialed = dial(("phoneNumber", transient)).await;
    assert!(dialed.get("phoneNumberId").is_none(), "{dialed}");
    assert_eq!(dialed["phoneNumber"]["twilioPhoneNumber"], "+14155550150");
    assert!(
        !dialed.to_string().contains("twilio-secret-token"),
        "{dialed}"
    );
    let id = dialed["id"].as_str().unwrap();
    let delivery = sandbox.webhook_delivery(Vapi, id).expect("a delivery");
    let delivery: Value = serde_json::from_slice(&delivery).unwrap();
    let number = &delivery["message"]["phoneNumber"];
    assert_eq!(number["twilioPhoneNumber"], "+14155550150", "{number}");
    // It shows no `phoneNumberId`, so the list by the account's number leaves it out.
    let path = format!("/call?limit=1000&phoneNumberId={default}");
    let listed = request(&sandbox, Vapi, reqwest::Method::GET, &path);
    let (status, listed) = json_of(listed.send().await.unwrap()).await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed.as_array().unwrap();
    assert!(!listed.is_empty());
    for call in listed {
        assert_eq!(
            call["phoneNumberId"].as_str(),
            Some(default.as_str()),
            "{call}"
        );
    }
    // Voicebot Studio: no such endpoint, for its own number's id either.
    let voicebot = &sandbox.provider_config(Voicebot).options["phone_number_id"];
    let path = format!("/phone-number/{}", voicebot.as_str().unwrap());
    let response = request(&sandbox, Voicebot, reqwest::Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

/// The end delivery the sandbox builds for a Rounded call says whether the call connected,
/// as its live deliveries do.
#[tokio::test]
async fn rounded_end_deliveries_say_whether_the_call_connected() {
    let sandbox = sandbox().await;
    let (_, page) = json_of(
        (request(
            &sandbox,
            Rounded,
            reqwest::Method::GET,
            "/calls?use_cursor=false&limit=100",
        )
        .send())
        .await
        .unwrap(),
    )
    .await;
    let calls = page["data"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for call in calls {
        let id = call["id"].as_str().unwrap();
        let body = sandbox.webhook_delivery(Rounded, id).expect("a delivery");
        let delivery: Value = serde_json::from_slice(&body).unwrap();
        let expected = match (call["type"].as_str(), call["status"].as_str()) {
            (Some("web_call"), _) => "event_web_call_ended",
            (_, Some("completed")) => "event_phone_call_ended",
            _ => "event_phone_call_did_not_connect",
        };
        assert_eq!(delivery["event"], expected, "{call}");
        seen.insert(expected);
    }
    assert_eq!(seen.len(), 3, "the seeded calls have every kind: {seen:?}");
}

/// A time filter that does not read is refused, as the vendors refuse it: taken for no
/// filter, it would let an adapter that writes times wrongly pass its filter tests.
#[tokio::test]
async fn an_unreadable_time_filter_is_refused() {
    let sandbox = sandbox().await;
    for (kind, path) in [
        (HappyRobot, "/calls?from=yesterday"),
        (HappyRobot, "/calls?to=2026-13-01T00:00:00Z"),
        (Vapi, "/call?createdAtGt=soon"),
        (Voicebot, "/calls?createdAtLe=1773940807"),
        (Rounded, "/calls?start_time_gt=monday"),
    ] {
        let response = request(&sandbox, kind, reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(matches!(status, 400 | 422), "{kind} {path}: {status}");
    }
    let fine = request(
        &sandbox,
        HappyRobot,
        reqwest::Method::GET,
        "/calls?from=2026-01-01T00:00:00Z",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(fine.status(), 200);
}

/// A fault's path is matched against the whole path the client sent: the vendor's
/// documented path (`/api/v1/calls`) works as well as a piece of it (`/calls`).
#[tokio::test]
async fn a_fault_path_may_be_the_vendors_documented_path() {
    let sandbox = sandbox().await;
    let get = || request(&sandbox, HappyRobot, reqwest::Method::GET, "/calls?limit=5").send();
    for path in ["/api/v1/calls", "/calls", "/happyrobot/api/v1/calls"] {
        sandbox.faults().inject(
            Fault::new(FaultKind::Status(503))
                .vendor(HappyRobot)
                .path(path),
        );
        assert_eq!(get().await.unwrap().status(), 503, "{path}");
        assert_eq!(get().await.unwrap().status(), 200, "{path}: once");
    }
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(503))
            .vendor(HappyRobot)
            .path("/api/v1/dial"),
    );
    assert_eq!(get().await.unwrap().status(), 200);
    // The second mounts are matched by their own path too: HappyRobot's platform API.
    let usage = || {
        http_client()
            .get(format!("{}/usage", sandbox.happyrobot_platform_url()))
            .header(
                "authorization",
                format!("Bearer {}", sandbox.api_key(HappyRobot)),
            )
            .send()
    };
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(503))
            .vendor(HappyRobot)
            .path("/happyrobot-platform/"),
    );
    assert_eq!(usage().await.unwrap().status(), 503);
    assert_eq!(
        get().await.unwrap().status(),
        200,
        "the fault was the platform's"
    );
}

/// Retell lists calls with a `POST`: a cut or dropped list still carries the real list,
/// as for every other vendor's `GET`.
#[tokio::test]
async fn a_truncated_retell_list_is_the_real_list_cut() {
    let sandbox = sandbox().await;
    let whole = list_with_key(&sandbox, Retell).send().await.unwrap();
    let whole = whole.text().await.unwrap();
    sandbox.faults().inject(
        Fault::new(FaultKind::Truncated)
            .vendor(Retell)
            .path("/v3/list-calls"),
    );
    let cut = list_with_key(&sandbox, Retell).send().await.unwrap();
    let cut = cut.text().await.unwrap();
    assert!(
        !cut.is_empty() && whole.starts_with(&cut),
        "{cut} is not the start of {whole}"
    );
}

#[tokio::test]
async fn every_fault_kind_is_served() {
    let sandbox = sandbox().await;
    let get = || request(&sandbox, Voicebot, reqwest::Method::GET, "/calls?limit=5").send();

    sandbox.faults().inject(
        Fault::new(FaultKind::RateLimited {
            retry_after: Duration::from_secs(2),
        })
        .vendor(Voicebot),
    );
    let response = get().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");

    for status in [500, 502, 503] {
        sandbox
            .faults()
            .inject(Fault::new(FaultKind::Status(status)).vendor(Voicebot));
        assert_eq!(get().await.unwrap().status().as_u16(), status);
    }

    sandbox
        .faults()
        .inject(Fault::new(FaultKind::Malformed).vendor(Voicebot));
    let text = get().await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());

    sandbox
        .faults()
        .inject(Fault::new(FaultKind::Truncated).vendor(Voicebot));
    let text = get().await.unwrap().text().await.unwrap();
    assert!(!text.is_empty() && serde_json::from_str::<Value>(&text).is_err());
    // A read's real body, cut: Voicebot Studio's list is a bare array.
    let whole = get().await.unwrap().text().await.unwrap();
    assert!(whole.starts_with('['), "{whole}");
    assert!(
        whole.starts_with(&text),
        "{text} is not the start of {whole}"
    );

    sandbox
        .faults()
        .inject(Fault::new(FaultKind::DropConnection).vendor(Voicebot));
    let dropped = match get().await {
        Ok(response) => response.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(dropped, "the body should break off");

    // A delay answers with the real response once it has passed …
    sandbox
        .faults()
        .inject(Fault::new(FaultKind::Delay(Duration::from_millis(1))).vendor(Voicebot));
    assert_eq!(get().await.unwrap().status(), 200);
    // … and not before: a ten-minute one, once the request has taken it, is still held a
    // second later (an answer, say one that ignored the delay, fails the test).
    sandbox
        .faults()
        .inject(Fault::new(FaultKind::Delay(Duration::from_secs(600))).vendor(Voicebot));
    let mut held = tokio::spawn(get());
    until_taken(&sandbox).await;
    let answered = tokio::time::timeout(Duration::from_secs(1), &mut held).await;
    assert!(answered.is_err(), "answered before its delay: {answered:?}");
    held.abort();

    // With none armed, the next request is served normally.
    assert_eq!(get().await.unwrap().status(), 200);
}

/// Waits until a request has taken the only fault armed (none is left).
async fn until_taken(sandbox: &Sandbox) {
    let taken = async {
        while !sandbox.faults().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), taken)
        .await
        .expect("the request never reached the sandbox");
}

/// A request held by a delay fault does not keep a stopped sandbox serving: it is answered
/// 503 as the sandbox stops, not when the hour is up.
#[tokio::test]
async fn a_delay_ends_when_the_sandbox_stops() {
    let mut sandbox = sandbox().await;
    sandbox
        .faults()
        .inject(Fault::new(FaultKind::Delay(Duration::from_secs(3600))).vendor(Voicebot));
    let held = tokio::spawn(list_with_key(&sandbox, Voicebot).send());
    // Until the request has taken the fault (none armed is left).
    until_taken(&sandbox).await;
    sandbox.stop();
    let answered = tokio::time::timeout(Duration::from_secs(10), held)
        .await
        .expect("the delay outlived the sandbox")
        .unwrap();
    assert_eq!(answered.unwrap().status(), 503);
}

/// A phase of any length, `Duration::MAX` included, is served: the call rings for as long
/// as a test can wait (taken as 30 days) rather than panicking the server.
#[tokio::test]
async fn a_phase_of_any_length_rings_without_panicking() {
    let sandbox = Sandbox::builder()
        .seed(1)
        .timing(
            Timing::default()
                .with_queued(Duration::ZERO)
                .with_ringing(Duration::MAX)
                .with_talk(Duration::MAX),
        )
        .start()
        .await
        .unwrap();
    let started = rounded_dial(&sandbox).send().await.unwrap();
    let (status, started) = json_of(started).await;
    assert_eq!(status, 201, "{started}");
    let id = started["data"]["call_id"].as_str().unwrap().to_owned();
    let path = format!("/calls/{id}");
    let get = request(&sandbox, Rounded, reqwest::Method::GET, &path).send();
    let (status, call) = json_of(get.await.unwrap()).await;
    assert_eq!(status, 200, "{call}");
    assert!(call.to_string().contains("ringing"), "{call}");
    let list = request(&sandbox, Rounded, reqwest::Method::GET, "/calls").send();
    assert_eq!(list.await.unwrap().status(), 200);
}

/// Each emulator records the requests it answered: a key refused, a fault's answer (with
/// the fault) and a request served, with their queries; a reset clears the record.
#[tokio::test]
async fn the_requests_served_are_recorded_with_their_faults() {
    let sandbox = sandbox().await;
    let get = |key: &str| {
        http_client()
            .get(format!("{}/calls?limit=2", sandbox.base_url(Voicebot)))
            .header("x-api-key", key.to_owned())
            .send()
    };
    assert_eq!(get("wrong-key").await.unwrap().status(), 401);
    sandbox
        .faults()
        .inject(Fault::new(FaultKind::Status(503)).vendor(Voicebot));
    let key = sandbox.api_key(Voicebot);
    assert_eq!(get(key).await.unwrap().status(), 503);
    assert_eq!(get(key).await.unwrap().status(), 200);
    let served = sandbox.requests(Voicebot);
    let seen: Vec<(&str, Option<u16>, Option<FaultKind>)> = (served.iter())
        .map(|r| (r.method.as_str(), r.status, r.fault.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", Some(401), None),
            ("GET", Some(503), Some(FaultKind::Status(503))),
            ("GET", Some(200), None),
        ]
    );
    assert!(
        served.iter().all(|r| r.path.ends_with("/calls")),
        "{served:?}"
    );
    assert!(served.iter().all(|r| r.query.as_deref() == Some("limit=2")));
    assert!(sandbox.requests(Retell).is_empty());
    // A client that gives up during a delay: recorded with the fault and no status.
    let delay = FaultKind::Delay(Duration::from_secs(600));
    sandbox
        .faults()
        .inject(Fault::new(delay.clone()).vendor(Voicebot));
    let request = http_client()
        .get(format!("{}/calls?limit=2", sandbox.base_url(Voicebot)))
        .header("x-api-key", key)
        .send();
    // Given up once the request is held (not after a fixed time, which a loaded machine
    // may spend before the request is even sent).
    let held = tokio::spawn(request);
    until_taken(&sandbox).await;
    held.abort();
    let recorded = async {
        loop {
            if let Some(last) = sandbox.requests(Voicebot).get(3).cloned() {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let last = tokio::time::timeout(Duration::from_secs(10), recorded)
        .await
        .unwrap();
    assert_eq!((last.status, last.fault), (None, Some(delay)));
    // The same over the control API.
    let url = format!("http://{}/_sandbox/requests/voicebot", sandbox.addr());
    let (status, shown) = json_of(http_client().get(url).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let statuses: Vec<&Value> = (shown["requests"].as_array().unwrap().iter())
        .map(|r| &r["status"])
        .collect();
    assert_eq!(
        statuses,
        [&json!(401), &json!(503), &json!(200), &Value::Null]
    );
    let fault = &shown["requests"][1]["fault"];
    assert_eq!(fault, &json!({"fault": "status", "status": 503}));
    assert_eq!(
        shown["requests"][3]["fault"],
        json!({"fault": "delay", "delay_ms": 600_000})
    );
    assert_eq!(shown["total"], 4);
    // The newest `?limit=`, oldest first; the total still counts them all.
    let url = format!(
        "http://{}/_sandbox/requests/voicebot?limit=2",
        sandbox.addr()
    );
    let (_, newest) = json_of(http_client().get(url).send().await.unwrap()).await;
    let statuses: Vec<&Value> = (newest["requests"].as_array().unwrap().iter())
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, [&json!(200), &Value::Null]);
    assert_eq!(newest["total"], 4);
    let url = format!(
        "http://{}/_sandbox/requests/voicebot?limit=x",
        sandbox.addr()
    );
    let (status, refused) = json_of(http_client().get(url).send().await.unwrap()).await;
    assert_eq!(status, 400, "{refused}");
    sandbox.reset();
    assert!(sandbox.requests(Voicebot).is_empty());
}

/// A client cannot grow the record without bound: a long path or query is recorded cut,
/// saying so.
#[tokio::test]
async fn a_long_request_is_recorded_cut() {
    let sandbox = sandbox().await;
    let long = "é".repeat(3_000);
    let answered = http_client()
        .get(format!(
            "{}/calls/{long}?q={long}",
            sandbox.base_url(Voicebot)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 401);
    let served = sandbox.requests(Voicebot);
    let [request] = served.as_slice() else {
        panic!("{served:?}");
    };
    assert!(request.path.ends_with('…'), "{}", request.path);
    let cut = request.path.trim_end_matches('…').len();
    assert!(
        cut <= MAX_RECORDED_URI_PART && cut > MAX_RECORDED_URI_PART - 8,
        "{cut}"
    );
    let query = request.query.as_deref().unwrap_or_default();
    assert!(query.starts_with("q=") && query.ends_with('…'), "{query}");
    assert!(query.len() <= MAX_RECORDED_URI_PART + '…'.len_utf8());
}

/// A request still being answered when the sandbox is reset belongs to the test before:
/// it is not recorded after the reset, even when its client goes away only then.
#[tokio::test]
async fn a_request_from_before_a_reset_is_not_recorded_after_it() {
    let sandbox = sandbox().await;
    let delay = FaultKind::Delay(Duration::from_secs(600));
    sandbox.faults().inject(Fault::new(delay).vendor(Voicebot));
    let held = tokio::spawn(list_with_key(&sandbox, Voicebot).send());
    until_taken(&sandbox).await;
    sandbox.reset();
    // Its client goes away now: the request's future is dropped and would be recorded.
    held.abort();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            sandbox.requests(Voicebot).is_empty(),
            "recorded after the reset"
        );
    }
    // A request after the reset is recorded.
    let served = list_with_key(&sandbox, Voicebot).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(sandbox.requests(Voicebot).len(), 1);
}

/// A detached sandbox serves on a runtime of its own: it outlives the runtime of a test
/// that used it (one shared by a suite through a `static`), deliveries included, and
/// stops when dropped.
#[test]
fn a_detached_sandbox_outlives_the_runtimes_that_use_it() {
    let sandbox = Sandbox::builder()
        .seed(1)
        .calls(Rounded, 3)
        .timing(fast())
        .start_detached()
        .unwrap();
    for round in 0..2 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            // A receiver on this round's runtime, which ends with it.
            let app = axum::Router::new().fallback(|| async { axum::http::StatusCode::NO_CONTENT });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/hooks", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            let config: voiceport_core::webhook::WebhookConfig =
                serde_json::from_value(json!({"verify": "query", "secret": "s-7d01"})).unwrap();
            let target = voiceport_sandbox::WebhookTarget::new(&url, config);
            sandbox.set_webhook(Rounded, target).unwrap();
            let listed = request(&sandbox, Rounded, reqwest::Method::GET, "/calls").send();
            assert_eq!(listed.await.unwrap().status(), 200, "round {round}");
            let (status, dialed) = json_of(rounded_dial(&sandbox).send().await.unwrap()).await;
            assert_eq!(status, 201, "round {round}");
            let id = dialed["data"]["call_id"].as_str().unwrap().to_owned();
            // The deliveries go out from the sandbox's runtime, this round's or not.
            let attempts = sandbox
                .wait_for_deliveries(Rounded, &id, Duration::from_secs(10))
                .await
                .expect("the deliveries did not settle");
            assert!(!attempts.is_empty(), "round {round}");
            assert!(
                attempts.iter().all(|a| a.accepted()),
                "round {round}: {attempts:?}"
            );
        });
        // This runtime ends here; the sandbox goes on.
    }
    assert_eq!(sandbox.dialed_count(Rounded), 2);
    let addr = sandbox.addr();
    drop(sandbox);
    // Dropped, it has stopped: its port no longer answers.
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still serving at {addr}"
    );
}

/// An injected error answers in the vendor's own shape, as its real errors do: an adapter
/// that reads error bodies wrongly does not pass the retry tests on a generic body.
#[tokio::test]
async fn an_injected_error_has_the_vendors_body() {
    let sandbox = sandbox().await;
    let rate_limited = FaultKind::RateLimited {
        retry_after: Duration::from_secs(1),
    };
    for (kind, field, value) in [
        (Retell, "/status", json!("error")),
        // Retell documents its message; the others' stay the sandbox's.
        (
            Retell,
            "/message",
            json!("Account rate limited, please throttle your requests."),
        ),
        (Rounded, "/error/status", json!(429)),
        (Vapi, "/statusCode", json!(429)),
        (Voicebot, "/detail", json!("sandbox fault: rate limited")),
        (HappyRobot, "/message", json!("sandbox fault: rate limited")),
    ] {
        sandbox
            .faults()
            .inject(Fault::new(rate_limited.clone()).vendor(kind));
        let (status, body) = json_of(list_with_key(&sandbox, kind).send().await.unwrap()).await;
        assert_eq!(status, 429, "{kind}");
        assert_eq!(body.pointer(field), Some(&value), "{kind}: {body}");
    }
}

#[tokio::test]
async fn a_fault_after_the_handler_leaves_the_call_created() {
    let sandbox = sandbox().await;
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(502))
            .vendor(Voicebot)
            .method("POST")
            .after_handler(),
    );
    let response = request(&sandbox, Voicebot, reqwest::Method::POST, "/calls")
        .json(&json!({"assistantId": "5b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "customer": {"number": "+14155550166"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(sandbox.dialed_count(Voicebot), 1);
}

#[tokio::test]
async fn seeds_the_twelve_thousand_calls_of_the_docs() {
    let sandbox = Sandbox::builder()
        .calls(HappyRobot, voiceport_sandbox::HAPPYROBOT_DOCS_CALL_COUNT)
        .start()
        .await
        .unwrap();
    let (_, page) = get_json(&sandbox, HappyRobot, "/calls?limit=1").await;
    assert_eq!(page["count"], 12_993);
}

#[tokio::test]
async fn faults_are_injected_and_cleared_over_the_control_api() {
    let sandbox = sandbox().await;
    let control = format!("http://{}/_sandbox", sandbox.addr());
    let client = http_client();
    let post = |body: Value| client.post(format!("{control}/faults")).json(&body).send();

    // Two 503s on HappyRobot's list, then normal service.
    let (status, body) = json_of(
        post(
            json!({"fault": "status", "status": 503, "vendor": "happyrobot",
                    "method": "GET", "path": "/calls", "times": 2}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, body), (201, json!({"faults": 1})));
    let list = || request(&sandbox, HappyRobot, reqwest::Method::GET, "/calls").send();
    assert_eq!(list().await.unwrap().status().as_u16(), 503);
    assert_eq!(list().await.unwrap().status().as_u16(), 503);
    assert_eq!(list().await.unwrap().status().as_u16(), 200);
    // Other vendors were never touched.
    let other = request(&sandbox, Rounded, reqwest::Method::GET, "/calls");
    assert_eq!(other.send().await.unwrap().status().as_u16(), 200);

    // A rate limit that never expires until cleared, with its Retry-After.
    post(json!({"fault": "rate_limited", "retry_after_secs": 2, "vendor": "voicebot", "times": 1000}))
        .await
        .unwrap();
    let limited = request(&sandbox, Voicebot, reqwest::Method::GET, "/calls")
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");
    let (_, summary) = json_of(client.get(&control).send().await.unwrap()).await;
    assert_eq!(summary["faults"], 1);
    assert_eq!(summary["calls"]["happyrobot"], 30);
    assert_eq!(summary["dialed"]["rounded"], 0);

    let cleared = client
        .delete(format!("{control}/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 204);
    let again = request(&sandbox, Voicebot, reqwest::Method::GET, "/calls");
    assert_eq!(again.send().await.unwrap().status().as_u16(), 200);
    assert!(sandbox.faults().is_empty());

    // A bad fault is refused with the reason, and nothing is armed.
    let (status, body) = json_of(post(json!({"fault": "status"})).await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("needs `status`"),
        "{body}"
    );
    let (status, body) = json_of(
        post(json!({"fault": "malformed", "vendor": "twilio"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("twilio"),
        "{body}"
    );
    assert!(sandbox.faults().is_empty());
}

#[tokio::test]
async fn vapi_serves_the_call_resource_with_nestjs_errors() {
    let sandbox = sandbox().await;
    let get = |path: &str| request(&sandbox, Vapi, reqwest::Method::GET, path).send();
    let (status, page) = json_of(get("/call?limit=10").await.unwrap()).await;
    assert_eq!(status, 200);
    let calls = page.as_array().unwrap();
    assert_eq!(calls.len(), 10);
    // Vapi's call: the conversation in `artifact`, nothing flattened, unset fields absent.
    for call in calls {
        for key in ["transcript", "recordingUrl", "summary", "organizationId"] {
            assert!(call.get(key).is_none(), "{key}: {call}");
        }
        assert!(call.as_object().unwrap().values().all(|v| !v.is_null()));
    }
    let talked = calls
        .iter()
        .find(|c| c["artifact"]["transcript"].is_string() && c["type"] != "webCall")
        .expect("a phone call with a conversation");
    assert!(
        talked["artifact"]["recording"]["mono"]["combinedUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    // Its cost three ways, which agree: the total, `costBreakdown` and the items of `costs`.
    let items = talked["costs"].as_array().expect("costs[]");
    let of = |kind: &str| {
        let item = items.iter().find(|item| item["type"] == kind);
        item.and_then(|item| item["cost"].as_f64()).expect(kind)
    };
    let breakdown = &talked["costBreakdown"];
    for (item, part) in [
        ("transport", "transport"),
        ("transcriber", "stt"),
        ("model", "llm"),
    ]
    .into_iter()
    .chain([("voice", "tts"), ("vapi", "vapi")])
    {
        assert_eq!(Some(of(item)), breakdown[part].as_f64(), "{item}");
    }
    let analyses = &breakdown["analysisCostBreakdown"];
    assert_eq!(Some(of("analysis")), analyses["summary"].as_f64());
    let sum: f64 = items.iter().filter_map(|item| item["cost"].as_f64()).sum();
    assert!(
        (sum - talked["cost"].as_f64().unwrap()).abs() < 1e-9,
        "{sum}"
    );
    let model = items.iter().find(|item| item["type"] == "model");
    assert_eq!(
        model.map(|item| &item["promptTokens"]),
        Some(&breakdown["llmPromptTokens"]),
        "the model's tokens"
    );
    let id = talked["id"].as_str().unwrap();
    let (status, one) = json_of(get(&format!("/call/{id}")).await.unwrap()).await;
    assert_eq!((status, &one), (200, talked));
    // The Voicebot Studio path is not Vapi's.
    let (status, _) = json_of(get(&format!("/calls/{id}")).await.unwrap()).await;
    assert_eq!(status, 404);

    let (status, missing) = json_of(
        get("/call/00000000-0000-0000-0000-000000000000")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(missing["statusCode"], 404);
    assert_eq!(missing["error"], "Not Found");
    let (status, refused) = json_of(get("/call?limit=5000").await.unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(refused["statusCode"], 400);
    assert!(refused["message"].is_array(), "{refused}");
    // A name is at most 40 UTF-16 units: 39 letters and an emoji are 41.
    let long = format!("{}📞", "x".repeat(39));
    let (status, refused) = json_of(
        request(
            &sandbox,
            Vapi,
            reqwest::Method::PATCH,
            &format!("/call/{id}"),
        )
        .json(&json!({"name": long}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    let (status, renamed) = json_of(
        request(
            &sandbox,
            Vapi,
            reqwest::Method::PATCH,
            &format!("/call/{id}"),
        )
        .json(&json!({"name": "Renewal"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, renamed["name"].as_str()), (200, Some("Renewal")));
    // The list narrows by assistant and by time.
    let assistant = talked["assistantId"].as_str().unwrap();
    let (_, mine) = json_of(
        get(&format!("/call?limit=1000&assistantId={assistant}"))
            .await
            .unwrap(),
    )
    .await;
    let mine = mine.as_array().unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|c| c["assistantId"] == assistant));
    assert!(mine.len() < 30);
}

/// A dial's maximum duration is taken (HappyRobot's `max_duration_mins`, Vapi's
/// `assistantOverrides.maxDurationSeconds`), within the vendor's range; outside it the dial
/// is refused. How it ends the call is the store's unit test (it takes a minute at least).
#[tokio::test]
async fn a_dial_takes_its_maximum_duration_within_the_vendor_s_range() {
    let sandbox = sandbox().await;
    for (minutes, status) in [
        (json!(2), 200),
        (json!(0), 400),
        (json!(1.5), 400),
        (json!("2"), 400),
    ] {
        let dial = json!({"phone_number": "+14155550186", "number_id": "6650cc00cc00cc00cc00cc01",
                          "max_duration_mins": minutes});
        let (answered, _) = happyrobot_dial(&sandbox, &dial).await;
        assert_eq!(answered, status, "{minutes}");
    }
    let vapi = |seconds: Value| {
        request(&sandbox, Vapi, reqwest::Method::POST, "/call")
            .json(
                &json!({"assistantId": "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e01",
                          "phoneNumberId": "4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c",
                          "customer": {"number": "+14155550186"},
                          "assistantOverrides": {"maxDurationSeconds": seconds}}),
            )
            .send()
    };
    for (seconds, status) in [(json!(90), 201), (json!(5), 400), (json!(50_000), 400)] {
        let (got, body) = json_of(vapi(seconds.clone()).await.unwrap()).await;
        assert_eq!(got, status, "{seconds}: {body}");
        if status == 201 {
            assert_eq!(body["assistantOverrides"]["maxDurationSeconds"], seconds);
        }
    }
}

#[tokio::test]
async fn vapi_live_calls_end_through_their_control_url() {
    let sandbox = Sandbox::builder()
        .calls(Vapi, 3)
        .timing(fast().with_queued(Duration::from_secs(30)))
        .start()
        .await
        .unwrap();
    let dial = |body: Value| {
        request(&sandbox, Vapi, reqwest::Method::POST, "/call")
            .json(&body)
            .send()
    };
    // Vapi dials from one of the account's numbers.
    let (status, refused) = json_of(
        dial(
            json!({"assistantId": "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e01",
                    "customer": {"number": "+14155550199"}}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, &refused["statusCode"]), (400, &json!(400)));
    let (status, call) = json_of(
        dial(
            json!({"assistantId": "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e01",
                    "phoneNumberId": "4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c",
                    "customer": {"number": "+14155550199"},
                    "assistantOverrides": {"variableValues": {"first_name": "Ada"}}}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(call["status"], "queued");
    assert_eq!(
        call["assistantOverrides"]["variableValues"]["first_name"],
        "Ada"
    );
    let id = call["id"].as_str().unwrap().to_owned();
    let control = call["monitor"]["controlUrl"].as_str().unwrap().to_owned();
    assert_eq!(
        control,
        format!("http://{}/vapi-live/{id}/control", sandbox.addr())
    );
    assert!(
        call["monitor"]["listenUrl"]
            .as_str()
            .unwrap()
            .starts_with("ws://")
    );
    // No key: the URL is the secret. An unknown message type is refused.
    let http = http_client();
    let post = |body: Value| http.post(&control).json(&body).send();
    assert_eq!(
        post(json!({"type": "explode"})).await.unwrap().status(),
        400
    );
    assert_eq!(
        post(json!({"type": "say", "content": "One moment"}))
            .await
            .unwrap()
            .status(),
        200
    );
    // Recorded without the path that is the URL's secret.
    let live: Vec<(String, Option<u16>)> = (sandbox.requests(Vapi).into_iter())
        .filter(|r| r.path.starts_with("/vapi-live"))
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(
        live,
        [
            ("/vapi-live/…".to_owned(), Some(400)),
            ("/vapi-live/…".to_owned(), Some(200))
        ]
    );
    let still = vapi_call(&sandbox, &id).await;
    assert_eq!(still["status"], "queued");
    assert_eq!(
        post(json!({"type": "end-call"})).await.unwrap().status(),
        200
    );
    let ended = vapi_call(&sandbox, &id).await;
    assert_eq!(ended["status"], "ended");
    assert_eq!(ended["endedReason"], "manually-canceled");
    assert!(ended.get("monitor").is_none(), "{ended}");
    // Over: the control URL has nothing to control.
    let (status, gone) = json_of(post(json!({"type": "end-call"})).await.unwrap()).await;
    assert_eq!((status, &gone["statusCode"]), (404, &json!(404)));
    // A fault on Vapi reaches its control URLs too.
    sandbox.faults().inject(
        Fault::new(FaultKind::Status(503))
            .vendor(Vapi)
            .path("/control"),
    );
    assert_eq!(post(json!({"type": "say"})).await.unwrap().status(), 503);
    sandbox.faults().clear();
    // The third assistant's calls show no monitor: a control URL built by hand for one
    // finds no live call, and the call goes on.
    let (status, uncontrolled) = json_of(
        dial(
            json!({"assistantId": "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e03",
                    "phoneNumberId": "4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c",
                    "customer": {"number": "+14155550199"}}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    assert!(uncontrolled.get("monitor").is_none(), "{uncontrolled}");
    let id = uncontrolled["id"].as_str().unwrap();
    let built = format!("http://{}/vapi-live/{id}/control", sandbox.addr());
    let answer = http.post(&built).json(&json!({"type": "end-call"})).send();
    assert_eq!(answer.await.unwrap().status(), 404);
    let still = vapi_call(&sandbox, id).await;
    assert_eq!(still["status"], "queued", "{still}");
}

/// A Vapi call of the sandbox, as `GET /call/{id}` answers it.
async fn vapi_call(sandbox: &Sandbox, id: &str) -> Value {
    let read = request(sandbox, Vapi, reqwest::Method::GET, &format!("/call/{id}"));
    json_of(read.send().await.unwrap()).await.1
}

/// Retell's list, as its client sends it.
async fn retell_list(sandbox: &Sandbox, body: Value) -> (u16, Value) {
    json_of(
        request(sandbox, Retell, reqwest::Method::POST, "/v3/list-calls")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn retell_walks_every_call_once_by_pagination_key() {
    let sandbox = sandbox().await;
    let walk = |order: &'static str| {
        let sandbox = &sandbox;
        async move {
            let mut seen = Vec::new();
            let mut key: Option<String> = None;
            // Five pages hold the 30 calls; a key that never runs out fails, not loops.
            for _ in 0..20 {
                let mut body = json!({"limit": 7, "sort_order": order});
                if let Some(key) = &key {
                    body["pagination_key"] = json!(key);
                }
                let (status, page) = retell_list(sandbox, body).await;
                assert_eq!(status, 200, "{page}");
                seen.extend(ids(&page));
                if page["has_more"] == true {
                    key = Some(page["pagination_key"].as_str().unwrap().to_owned());
                } else {
                    assert_eq!(page["pagination_key"], Value::Null);
                    return seen;
                }
            }
            panic!("the walk did not end: {} ids", seen.len())
        }
    };
    let newest_first = walk("descending").await;
    assert_eq!(newest_first.len(), 30);
    let unique: std::collections::HashSet<&String> = newest_first.iter().collect();
    assert_eq!(unique.len(), 30);
    let mut oldest_first = walk("ascending").await;
    oldest_first.reverse();
    assert_eq!(oldest_first, newest_first);

    // List items carry no transcript; the default page is 50; `total` when asked.
    let (_, page) = retell_list(&sandbox, json!({"include_total": true})).await;
    assert_eq!(page["total"], 30);
    assert_eq!(page["has_more"], false);
    for item in page["items"].as_array().unwrap() {
        for key in [
            "transcript",
            "transcript_object",
            "transcript_with_tool_calls",
        ] {
            assert!(item.get(key).is_none(), "{key}");
        }
    }
    let starts: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["start_timestamp"].as_i64())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // An empty body is the default request.
    let empty = request(&sandbox, Retell, reqwest::Method::POST, "/v3/list-calls")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 200);

    for bad in [
        json!({"limit": 0}),
        json!({"limit": 1001}),
        json!({"sort_order": "newest"}),
        json!({"skip": 2, "pagination_key": page["pagination_key"].as_str().unwrap_or("7b7d")}),
        json!({"pagination_key": "not a key"}),
    ] {
        let (status, body) = retell_list(&sandbox, bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["status"], "error", "{bad}");
    }
    let (_, skipped) = retell_list(&sandbox, json!({"skip": 25})).await;
    assert_eq!(ids(&skipped), newest_first[25..]);
}

#[tokio::test]
async fn retell_filters_on_the_server() {
    let sandbox = sandbox().await;
    let (_, all) = retell_list(&sandbox, json!({"limit": 1000})).await;
    let items = all["items"].as_array().unwrap().clone();
    let filtered = |criteria: Value| {
        let sandbox = &sandbox;
        async move {
            let (status, page) =
                retell_list(sandbox, json!({"limit": 1000, "filter_criteria": criteria})).await;
            assert_eq!(status, 200, "{page}");
            page["items"].as_array().unwrap().clone()
        }
    };
    let web =
        filtered(json!({"call_type": {"type": "enum", "op": "in", "value": ["web_call"]}})).await;
    assert!(!web.is_empty() && web.iter().all(|c| c["call_type"] == "web_call"));
    let inbound =
        filtered(json!({"direction": {"type": "enum", "op": "in", "value": ["inbound"]}})).await;
    assert!(!inbound.is_empty() && inbound.iter().all(|c| c["direction"] == "inbound"));
    assert!(inbound.len() + web.len() < items.len());
    let phone = items.iter().find(|c| c["from_number"].is_string()).unwrap();
    let from = phone["from_number"].as_str().unwrap();
    let same =
        filtered(json!({"from_number": {"type": "string", "op": "eq", "value": from}})).await;
    assert!(same.iter().any(|c| c["call_id"] == phone["call_id"]));
    assert!(same.iter().all(|c| c["from_number"] == from));
    let agent = phone["agent_id"].as_str().unwrap();
    let by_agent = filtered(json!({"agent": [{"agent_id": agent}]})).await;
    assert!(!by_agent.is_empty() && by_agent.iter().all(|c| c["agent_id"] == agent));
    let started = items
        .iter()
        .find_map(|c| c["start_timestamp"].as_i64())
        .unwrap();
    let window = filtered(
        json!({"start_timestamp": {"type": "range", "op": "bt", "value": [started, started]}}),
    )
    .await;
    assert_eq!(window.len(), 1);
    let since =
        filtered(json!({"start_timestamp": {"type": "number", "op": "ge", "value": started}}))
            .await;
    // Calls that never started are in no time window.
    assert!(!since.is_empty() && since.len() < items.len());
    assert!(
        since
            .iter()
            .all(|c| c["start_timestamp"].as_i64() >= Some(started))
    );
    let busy = filtered(json!({"disconnection_reason":
        {"type": "enum", "op": "in", "value": ["dial_busy", "dial_no_answer"]}}))
    .await;
    assert!(!busy.is_empty() && busy.iter().all(|c| c["call_status"] == "not_connected"));

    // A documented filter the sandbox does not emulate is refused, not ignored.
    let (status, refused) = retell_list(
        &sandbox,
        json!({"filter_criteria": {"metadata": [{"key": "crm_id", "type": "string", "op": "eq", "value": "x"}]}}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        refused["message"].as_str().unwrap().contains("`metadata`"),
        "{refused}"
    );
    let (status, _) = retell_list(
        &sandbox,
        json!({"filter_criteria": {"direction": {"type": "string", "op": "eq", "value": "inbound"}}}),
    )
    .await;
    assert_eq!(status, 400);
    // A call status Retell's list does not filter on (a call still dialing) is refused.
    let (status, refused) = retell_list(
        &sandbox,
        json!({"filter_criteria": {"call_status": {"type": "enum", "op": "in", "value": ["ongoing", "registered"]}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("not `registered`"),
        "{refused}"
    );
    let live =
        filtered(json!({"call_status": {"type": "enum", "op": "in", "value": ["ongoing"]}})).await;
    assert!(
        live.iter().all(|c| c["call_status"] == "ongoing"),
        "{live:?}"
    );
}

/// A listed call is the call get-call reads, less the four transcript fields Retell's v3
/// list leaves out: in particular the same `call_analysis` and
/// `collected_dynamic_variables`, which the adapter merges into `analysis.extracted`, so a
/// call reads the same extracted values listed or by id.
#[tokio::test]
async fn retell_a_listed_call_is_the_call_less_its_transcripts() {
    let sandbox = sandbox().await;
    let (status, page) = retell_list(&sandbox, json!({"limit": 1000})).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 30);
    let mut collected = 0;
    for item in items {
        let id = item["call_id"].as_str().unwrap();
        let read = request(
            &sandbox,
            Retell,
            reqwest::Method::GET,
            &format!("/v2/get-call/{id}"),
        );
        let (status, mut call) = json_of(read.send().await.unwrap()).await;
        assert_eq!(status, 200, "{call}");
        for key in ["collected_dynamic_variables", "call_analysis"] {
            assert_eq!(item.get(key), call.get(key), "{id}: {key}");
        }
        collected += usize::from(item["collected_dynamic_variables"].is_object());
        for key in [
            "transcript",
            "transcript_object",
            "transcript_with_tool_calls",
            "scrubbed_transcript_with_tool_calls",
        ] {
            assert!(item.get(key).is_none(), "{id}: {key}");
            call.as_object_mut().unwrap().remove(key);
        }
        assert_eq!(item, &call, "{id}");
    }
    // The calls that talked carry what their agent collected.
    assert!(collected > 0);
}

/// Stopped before it connected: not connected, `manual_stopped`, and still so once it
/// would have ended by itself. The call rings for two seconds, so that the stop surely
/// comes first on a loaded machine.
#[tokio::test]
async fn retell_a_call_stopped_before_it_connects_is_manual_stopped() {
    let sandbox = Sandbox::builder()
        .seed(1)
        .timing(
            Timing::default()
                .with_queued(Duration::from_secs(1))
                .with_ringing(Duration::from_secs(1))
                .with_talk(Duration::from_millis(100)),
        )
        .start()
        .await
        .unwrap();
    let send = |method: reqwest::Method, path: String, body: Option<Value>| {
        let builder = request(&sandbox, Retell, method, &path);
        match body {
            Some(body) => builder.json(&body).send(),
            None => builder.send(),
        }
    };
    let dial = json!({"from_number": "+16285550143", "to_number": "+14155550198"});
    let (status, live) = json_of(
        send(
            reqwest::Method::POST,
            "/v2/create-phone-call".into(),
            Some(dial),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{live}");
    let live_id = live["call_id"].as_str().unwrap().to_owned();
    let stopped = send(
        reqwest::Method::POST,
        format!("/v2/stop-call/{live_id}"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(stopped.status(), 204);
    assert!(stopped.bytes().await.unwrap().is_empty());
    let get = || {
        send(
            reqwest::Method::GET,
            format!("/v2/get-call/{live_id}"),
            None,
        )
    };
    let (_, after) = json_of(get().await.unwrap()).await;
    assert_eq!(after["call_status"], "not_connected", "{after}");
    assert_eq!(after["disconnection_reason"], "manual_stopped");
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let (_, later) = json_of(get().await.unwrap()).await;
    assert_eq!(later["call_status"], "not_connected", "{later}");
    assert_eq!(later["disconnection_reason"], "manual_stopped");
}

#[tokio::test]
async fn retell_calls_are_dialed_updated_stopped_and_deleted() {
    let sandbox = sandbox().await;
    let send = |method: reqwest::Method, path: String, body: Option<Value>| {
        let builder = request(&sandbox, Retell, method, &path);
        match body {
            Some(body) => builder.json(&body).send(),
            None => builder.send(),
        }
    };
    let post = reqwest::Method::POST;
    let dial = |to: &str| {
        send(
            reqwest::Method::POST,
            "/v2/create-phone-call".into(),
            Some(json!({"from_number": "+16285550143", "to_number": to,
                        "metadata": {"crm": "X1"},
                        "retell_llm_dynamic_variables": {"first_name": "Ada"}})),
        )
    };
    let (status, created) = json_of(dial("+14155550199").await.unwrap()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["call_status"], "registered");
    assert_eq!(created["agent_id"], "agent_6b0e2d94c17a5f38e21d09c4a6");
    assert_eq!(created["metadata"], json!({"crm": "X1"}));
    let id = created["call_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("call_"));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let get = |id: &str| send(reqwest::Method::GET, format!("/v2/get-call/{id}"), None);
    let (_, ended) = json_of(get(&id).await.unwrap()).await;
    assert_eq!(ended["call_status"], "ended");
    assert_eq!(ended["disconnection_reason"], "user_hangup");
    assert!(ended["duration_ms"].as_i64() > Some(0));
    assert!(ended["transcript_object"][0]["words"][0]["word"].is_string());
    // Cents (zero for the sandbox's 40 ms of talk, rounded).
    assert!(ended["call_cost"]["combined_cost"].is_number());
    assert!(
        ended["call_cost"]["product_costs"]
            .as_array()
            .unwrap()
            .len()
            == 4
    );
    assert!(ended["call_analysis"]["call_summary"].is_string());

    // Metadata is replaced, not merged.
    let (status, updated) = json_of(
        send(
            reqwest::Method::PATCH,
            format!("/v2/update-call/{id}"),
            Some(json!({"metadata": {"z": true}})),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(updated["metadata"], json!({"z": true}));
    assert!(updated["transcript"].is_string(), "the full call");

    // The busy number: never connected.
    let (_, busy) = json_of(dial("+14155550121").await.unwrap()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, busy) = json_of(get(busy["call_id"].as_str().unwrap()).await.unwrap()).await;
    assert_eq!(busy["call_status"], "not_connected");
    assert_eq!(busy["disconnection_reason"], "dial_busy");
    assert!(busy.get("start_timestamp").is_none());

    // Deleted: 204, then Retell's 422 not-found.
    let deleted = send(
        reqwest::Method::DELETE,
        format!("/v2/delete-call/{id}"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(deleted.status(), 204);
    let (status, missing) = json_of(get(&id).await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(
        missing,
        json!({"status": "error", "message": "Cannot find requested asset under given api key."})
    );
    for (method, path) in [
        (reqwest::Method::DELETE, format!("/v2/delete-call/{id}")),
        (post.clone(), format!("/v2/stop-call/{id}")),
        (reqwest::Method::PATCH, format!("/v2/update-call/{id}")),
    ] {
        let body = (method == reqwest::Method::PATCH).then(|| json!({"metadata": {}}));
        let response = send(method.clone(), path, body).await.unwrap();
        assert_eq!(response.status(), 422, "{method}");
    }

    // A dial needs both numbers, in E.164; variables are strings.
    for bad in [
        json!({"to_number": "+14155550199"}),
        json!({"from_number": "+16285550143", "to_number": "4155550199"}),
        json!({"from_number": "+16285550143", "to_number": "+14155550199",
               "retell_llm_dynamic_variables": {"visits": 3}}),
    ] {
        let (status, body) = json_of(
            send(
                post.clone(),
                "/v2/create-phone-call".into(),
                Some(bad.clone()),
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(
            body["message"],
            "Invalid request format, please check API reference."
        );
    }
    // The completed call and the busy one.
    assert_eq!(sandbox.dialed_count(Retell), 2);
}

/// A dial each vendor accepts: its path and body.
fn valid_dial(kind: ProviderKind) -> (&'static str, Value) {
    match kind {
        HappyRobot => (
            "/dial/outbound",
            json!({"phone_number": "+14155550199", "number_id": "6650cc00cc00cc00cc00cc01"}),
        ),
        Voicebot => (
            "/calls",
            json!({"assistantId": "5b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                   "customer": {"number": "+14155550199"}}),
        ),
        Rounded => (
            "/calls/phone",
            json!({"from_number": "+16285550142", "to_number": "+14155550199",
                   "agent_id": "123e4567-e89b-12d3-a456-426614174002"}),
        ),
        Vapi => (
            "/call",
            json!({"assistantId": "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e01",
                   "phoneNumberId": "4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c",
                   "customer": {"number": "+14155550199"}}),
        ),
        Retell => (
            "/v2/create-phone-call",
            json!({"from_number": "+16285550143", "to_number": "+14155550199"}),
        ),
        other => panic!("the sandbox does not emulate {other}"),
    }
}

/// `kind`'s valid dial with its body sent as `content_type` (none: no header).
async fn dial_typed(sandbox: &Sandbox, kind: ProviderKind, content_type: Option<&str>) -> u16 {
    let (path, body) = valid_dial(kind);
    let mut builder = request(sandbox, kind, reqwest::Method::POST, path).body(body.to_string());
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.send().await.unwrap().status().as_u16()
}

/// A JSON body sent as another type, or untyped, is not parsed by the vendors' frameworks
/// (Express's JSON parser for Vapi; FastAPI for Voicebot Studio): it is refused as each
/// refuses a body that is no object, and nothing is dialed. A charset is fine.
#[tokio::test]
async fn a_json_body_needs_a_json_content_type() {
    let sandbox = sandbox().await;
    for (kind, refused, accepted) in [
        (HappyRobot, 400, 200),
        (Voicebot, 422, 201),
        (Rounded, 400, 201),
        (Vapi, 400, 201),
        (Retell, 400, 201),
    ] {
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let status = dial_typed(&sandbox, kind, content_type).await;
            assert_eq!(status, refused, "{kind} {content_type:?}");
        }
        assert_eq!(sandbox.dialed_count(kind), 0, "{kind}");
        for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
            let status = dial_typed(&sandbox, kind, Some(content_type)).await;
            assert_eq!(status, accepted, "{kind} {content_type}");
        }
    }
    // FastAPI takes any `application/*+json`; Express's JSON parser only `application/json`.
    let suffixed = Some("application/merge-patch+json");
    assert_eq!(dial_typed(&sandbox, Voicebot, suffixed).await, 201);
    assert_eq!(dial_typed(&sandbox, Vapi, suffixed).await, 400);
    // The other JSON bodies too: an update, a note, Retell's list (which takes no body).
    let (id, note) = ("00000000-0000-0000-0000-000000000000", "/calls/x/notes");
    for (kind, method, path, body) in [
        (
            Vapi,
            reqwest::Method::PATCH,
            format!("/call/{id}"),
            json!({"name": "A"}),
        ),
        (
            Rounded,
            reqwest::Method::PATCH,
            format!("/calls/{id}"),
            json!({"metadata": {}}),
        ),
        (
            HappyRobot,
            reqwest::Method::POST,
            note.to_owned(),
            json!({"content": "hi"}),
        ),
        (
            Retell,
            reqwest::Method::POST,
            "/v3/list-calls".into(),
            json!({"limit": 5}),
        ),
    ] {
        let response = request(&sandbox, kind, method, &path)
            .header("content-type", "text/plain")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{kind} {path}");
    }
    let empty = request(&sandbox, Retell, reqwest::Method::POST, "/v3/list-calls");
    assert_eq!(empty.send().await.unwrap().status(), 200);
}

/// A schedule time that does not read as an RFC 3339 time (no zone, a number, a word) is
/// refused with the vendor's validation error, not dialed at once; a plan without its
/// `earliestAt` too (Vapi requires it).
#[tokio::test]
async fn a_schedule_time_that_does_not_read_is_refused() {
    let sandbox = sandbox().await;
    let dial = |kind: ProviderKind, extra: (&str, Value)| {
        let (path, mut body) = valid_dial(kind);
        body[extra.0] = extra.1;
        request(&sandbox, kind, reqwest::Method::POST, path)
            .json(&body)
            .send()
    };
    let unreadable = [
        json!("2026-12-01T10:00:00"),
        json!(1796119200),
        json!("tomorrow"),
        json!("2026-02-30T10:00:00Z"),
    ];
    for at in &unreadable {
        let (status, body) = json_of(
            dial(HappyRobot, ("scheduled_for", at.clone()))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 400, "{at}: {body}");
        for (kind, expected) in [(Vapi, 400), (Voicebot, 422)] {
            let plan = ("schedulePlan", json!({"earliestAt": at}));
            let (status, body) = json_of(dial(kind, plan).await.unwrap()).await;
            assert_eq!(status, expected, "{kind} {at}: {body}");
        }
    }
    for plan in [
        json!({}),
        json!({"latestAt": "2036-12-01T10:00:00Z"}),
        json!("soon"),
    ] {
        let (status, body) =
            json_of(dial(Vapi, ("schedulePlan", plan.clone())).await.unwrap()).await;
        assert_eq!(status, 400, "{plan}");
        assert_eq!(body["statusCode"], 400);
        assert!(
            body["message"][0]
                .as_str()
                .unwrap()
                .contains("schedulePlan.earliestAt")
        );
    }
    for kind in [HappyRobot, Vapi, Voicebot] {
        assert_eq!(sandbox.dialed_count(kind), 0, "{kind}: dialed at once");
    }
    // A time that reads schedules the call; none (or null) dials now.
    let later = json!("2036-12-01T10:00:00+01:00");
    let (_, call) = json_of(
        dial(HappyRobot, ("scheduled_for", later.clone()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(call["status"], "Scheduled");
    let (_, call) = json_of(
        dial(HappyRobot, ("scheduled_for", Value::Null))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(call["status"], "Queued");
    let plan = ("schedulePlan", json!({"earliestAt": later}));
    let (_, call) = json_of(dial(Vapi, plan).await.unwrap()).await;
    assert_eq!(call["status"], "scheduled");
    assert_eq!(
        call["schedulePlan"]["earliestAt"],
        "2036-12-01T09:00:00.000Z"
    );
}

/// The call a Vapi dial creates names the number and the assistant the dial named (the
/// account's second number here), and the list finds it by that number.
#[tokio::test]
async fn vapi_calls_show_the_number_and_assistant_they_were_dialed_with() {
    let sandbox = sandbox().await;
    let (number, assistant) = (
        "0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
        "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e03",
    );
    let (status, call) = json_of(
        request(&sandbox, Vapi, reqwest::Method::POST, "/call")
            .json(&json!({"assistantId": assistant, "phoneNumberId": number,
                          "customer": {"number": "+14155550199"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(
        (call["phoneNumberId"].as_str(), call["assistantId"].as_str()),
        (Some(number), Some(assistant))
    );
    let id = call["id"].as_str().unwrap();
    let get = |path: String| request(&sandbox, Vapi, reqwest::Method::GET, &path).send();
    let (_, shown) = json_of(get(format!("/call/{id}")).await.unwrap()).await;
    assert_eq!(shown["phoneNumberId"], number);
    let (_, listed) = json_of(get(format!("/call?phoneNumberId={number}")).await.unwrap()).await;
    let listed: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(listed, [&json!(id)]);
    // The account's number lists the seeded calls, not this one.
    let (_, ours) = json_of(
        get("/call?limit=1000&phoneNumberId=4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c".into())
            .await
            .unwrap(),
    )
    .await;
    let ours = ours.as_array().unwrap();
    assert!(!ours.is_empty() && ours.iter().all(|c| c["id"] != id));
}

/// Retell checks both numbers as E.164 unless `ignore_e164_validation` (custom telephony)
/// says not to; a flag that is not a boolean is refused.
#[tokio::test]
async fn retell_takes_a_number_that_is_not_e164_when_told_to() {
    let sandbox = sandbox().await;
    let dial = |body: Value| {
        request(
            &sandbox,
            Retell,
            reqwest::Method::POST,
            "/v2/create-phone-call",
        )
        .json(&body)
        .send()
    };
    let local = json!({"from_number": "+16285550143", "to_number": "4155550199"});
    let (status, answer) = json_of(dial(local.clone()).await.unwrap()).await;
    assert_eq!(status, 400, "{answer}");
    let mut told = local.clone();
    told["ignore_e164_validation"] = json!(true);
    let (status, created) = json_of(dial(told).await.unwrap()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["to_number"], "4155550199");
    let mut garbled = local;
    garbled["ignore_e164_validation"] = json!("yes");
    let (status, answer) = json_of(dial(garbled).await.unwrap()).await;
    assert_eq!(status, 400, "{answer}");
}

/// Vapi's update takes `{name}` and requires nothing: `{}` answers the call unchanged, a
/// name that is not text is refused.
#[tokio::test]
async fn vapi_updates_a_name_and_takes_an_empty_update() {
    let sandbox = sandbox().await;
    let (_, dialed) = json_of(
        request(&sandbox, Vapi, reqwest::Method::POST, "/call")
            .json(
                &json!({"assistantId": sandbox.provider_config(Vapi).options["assistant_id"],
                          "phoneNumberId": sandbox.provider_config(Vapi).options["phone_number_id"],
                          "customer": {"number": "+14155550177"}}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    let path = format!("/call/{}", dialed["id"].as_str().unwrap());
    let update = |body: Value| {
        request(&sandbox, Vapi, reqwest::Method::PATCH, &path)
            .json(&body)
            .send()
    };
    let (status, named) =
        json_of(update(json!({"name": "Renewal follow-up"})).await.unwrap()).await;
    assert_eq!((status, &named["name"]), (200, &json!("Renewal follow-up")));
    let (status, same) = json_of(update(json!({})).await.unwrap()).await;
    assert_eq!(
        (status, &same["name"]),
        (200, &json!("Renewal follow-up")),
        "{same}"
    );
    let (status, refused) = json_of(update(json!({"name": 7})).await.unwrap()).await;
    assert_eq!(status, 400, "{refused}");
}

/// Vapi's dial requires no field by its schema: a SIP party (`customer.sipUri`, with no
/// number to call from) and a squad, a workflow or an inline assistant in place of an
/// `assistantId` are taken, as the adapter sends them; a dial naming no party or no agent
/// is refused (which fields Vapi then names is inferred).
#[tokio::test]
async fn vapi_dials_a_sip_party_and_agents_other_than_an_assistant() {
    let sandbox = sandbox().await;
    let number = sandbox.provider_config(Vapi).options["phone_number_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dial = |body: Value| {
        request(&sandbox, Vapi, reqwest::Method::POST, "/call")
            .json(&body)
            .send()
    };
    let sip = "sip:reception@pbx.example.com";
    let (status, call) = json_of(
        dial(
            json!({"squadId": "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "customer": {"sipUri": sip}}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["customer"], json!({"sipUri": sip}));
    // Carried over Vapi's SIP trunk, not a Twilio line (inferred).
    let carried = |call: &Value| {
        (
            call["phoneCallTransport"].clone(),
            call["transport"]["provider"].clone(),
        )
    };
    assert_eq!(carried(&call), (json!("sip"), json!("vapi.sip")), "{call}");
    assert!(call["phoneCallProviderId"].is_null(), "{call}");
    let workflow = json!({"workflowId": "8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a",
                          "phoneNumberId": number, "customer": {"number": "+14155550177"}});
    let (status, call) = json_of(dial(workflow).await.unwrap()).await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["customer"], json!({"number": "+14155550177"}));
    assert_eq!(carried(&call), (json!("pstn"), json!("twilio")), "{call}");
    // A number not E.164 (an extension of a PBX behind a trunk) with the check turned off.
    let unchecked = json!({"workflowId": "8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a",
                           "phoneNumberId": number,
                           "customer": {"number": "2041", "numberE164CheckEnabled": false}});
    let (status, call) = json_of(dial(unchecked).await.unwrap()).await;
    assert_eq!(status, 201, "{call}");
    let refused = [
        // No agent of any kind.
        json!({"phoneNumberId": number, "customer": {"number": "+14155550177"}}),
        // No party: a saved customer is not emulated, a `sipUri` must be one.
        json!({"squadId": "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "customerId": "c-1"}),
        json!({"squadId": "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "customer": {"sipUri": "+14155550177"}}),
        // A number still needs one to call from.
        json!({"squadId": "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "customer": {"number": "+14155550177"}}),
        // A transient number without its number, to a number or to a SIP address.
        json!({"squadId": "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "customer": {"number": "+14155550177"},
               "phoneNumber": {"twilioAccountSid": "AC0123456789abcdef0123456789abcdef"}}),
        json!({"squadId": "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "customer": {"sipUri": sip},
               "phoneNumber": {"twilioAccountSid": "AC0123456789abcdef0123456789abcdef"}}),
    ];
    for body in refused {
        let before = sandbox.dialed_count(Vapi);
        let (status, answer) = json_of(dial(body.clone()).await.unwrap()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        if body.get("phoneNumber").is_some() {
            assert!(answer.to_string().contains("twilioPhoneNumber"), "{answer}");
        }
        assert_eq!(
            sandbox.dialed_count(Vapi),
            before,
            "{body}: a call was placed"
        );
    }
}

/// Rounded's `GET /calls?{query}`: its status and JSON.
async fn rounded_calls(sandbox: &Sandbox, query: String) -> (u16, Value) {
    let path = format!("/calls?{query}");
    let response = request(sandbox, Rounded, reqwest::Method::GET, &path).send();
    json_of(response.await.unwrap()).await
}

/// Rounded's boolean query flags read as FastAPI reads a `bool` (any case; `1`/`0`,
/// `yes`/`no`, `on`/`off` …), and anything else is refused with a 422 naming the flag
/// rather than taken for false.
#[tokio::test]
async fn rounded_flags_read_as_fastapi_reads_them() {
    let sandbox = sandbox().await;
    let list = |query: String| rounded_calls(&sandbox, format!("limit=5&{query}"));
    for off in ["false", "FALSE", "0", "no", "Off", "f", "n"] {
        let (status, page) = list(format!("use_cursor={off}")).await;
        assert_eq!(status, 200, "{off}");
        assert!(page["current_page"].is_number(), "{off}: page mode");
    }
    for on in ["true", "True", "1", "YES", "on", "t", "y"] {
        let (status, page) = list(format!("include_transcript={on}")).await;
        assert_eq!(status, 200, "{on}");
        assert!(
            page["next_cursor"].is_string(),
            "{on}: cursor mode by default"
        );
        assert!(
            page["data"][0]["transcript"].is_array(),
            "{on}: transcripts included"
        );
    }
    for (key, value) in [
        ("use_cursor", "maybe"),
        ("include_transcript", "2"),
        ("include_variable_values", ""),
    ] {
        let (status, body) = list(format!("{key}={value}")).await;
        assert_eq!(status, 422, "{key}={value}");
        assert_eq!(body["error"]["details"][0]["field"], key, "{body}");
    }
}

/// Rounded's `call_type` is an enum: a value it does not name is refused with a 422 naming
/// the parameter, where a filter on it would match nothing; the two it names filter.
#[tokio::test]
async fn rounded_refuses_a_call_type_it_does_not_name() {
    let sandbox = sandbox().await;
    let list = |call_type: &str| rounded_calls(&sandbox, format!("limit=50&call_type={call_type}"));
    let (status, body) = list("sip_call").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "call_type", "{body}");
    for call_type in ["phone_call", "web_call"] {
        let (status, page) = list(call_type).await;
        assert_eq!(status, 200, "{call_type}");
        let calls = page["data"].as_array().unwrap();
        assert!(!calls.is_empty(), "{call_type}: seeded calls of that type");
        assert!(calls.iter().all(|c| c["type"] == call_type), "{call_type}");
    }
}

/// Rounded's calls carry `redirect_duration_seconds` as its examples do: a number on every
/// call, 0 where the call was not handed over, more only for a transferred one.
#[tokio::test]
async fn rounded_redirect_durations_are_numbers_and_above_zero_for_transfers_only() {
    let sandbox = sandbox().await;
    let (status, page) = rounded_calls(&sandbox, "limit=1000".into()).await;
    assert_eq!(status, 200);
    let calls = page["data"].as_array().unwrap();
    let mut handed_over = 0;
    for call in calls {
        let redirect = call["redirect_duration_seconds"].as_i64();
        assert!(redirect.is_some_and(|secs| secs >= 0), "{call}");
        if redirect > Some(0) {
            handed_over += 1;
            assert_eq!(call["status"], "completed", "{call}");
        }
    }
    assert!(
        handed_over > 0 && handed_over < calls.len(),
        "{handed_over}"
    );
}

/// `Retry-After` is whole seconds, as HTTP writes it: a fraction asked for is rounded up.
/// A plain `Status(429)` answers the vendor's 429 without the header.
#[tokio::test]
async fn rate_limits_ask_for_whole_seconds_and_a_bare_429_for_none() {
    let sandbox = sandbox().await;
    for (asked, sent) in [(0.5, "1"), (0.01, "1"), (1.2, "2"), (3.0, "3"), (0.0, "0")] {
        sandbox.faults().inject(
            Fault::new(FaultKind::RateLimited {
                retry_after: Duration::from_secs_f64(asked),
            })
            .vendor(Vapi),
        );
        let response = list_with_key(&sandbox, Vapi).send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], sent, "{asked}");
    }
    sandbox
        .faults()
        .inject(Fault::new(FaultKind::Status(429)).vendor(Vapi));
    let response = list_with_key(&sandbox, Vapi).send().await.unwrap();
    assert!(response.headers().get("retry-after").is_none());
    let (status, body) = json_of(response).await;
    assert_eq!((status, &body["statusCode"]), (429, &json!(429)));
    assert_eq!(body["error"], "Too Many Requests");
}

/// The agents of a listed history are agents the emulator's dial takes: a Rounded call's
/// agent is a UUID (Rounded's dial refuses any other id), as is a Voicebot Studio call's
/// assistant (Vapi's `assistantId`), and the configuration's agent is among them.
#[tokio::test]
async fn listed_agents_are_agents_the_dial_takes() {
    let sandbox = sandbox().await;
    let (status, page) = json_of(list_with_key(&sandbox, Rounded).send().await.unwrap()).await;
    assert_eq!(status, 200, "{page}");
    let agents: std::collections::BTreeSet<String> = (page["data"].as_array().unwrap().iter())
        .filter_map(|call| call["agent_id"].as_str().map(str::to_owned))
        .collect();
    assert!(agents.len() > 1, "{agents:?}");
    let configured = sandbox.provider_config(Rounded).options["agent_id"].clone();
    assert!(agents.contains(configured.as_str().unwrap()), "{agents:?}");
    for agent in &agents {
        let dial = request(&sandbox, Rounded, reqwest::Method::POST, "/calls/phone").json(&json!({
            "from_number": "+16285550142",
            "to_number": "+14155550177",
            "agent_id": agent
        }));
        let (status, body) = json_of(dial.send().await.unwrap()).await;
        assert_eq!(status, 201, "{agent}: {body}");
    }
    let (_, calls) = json_of(list_with_key(&sandbox, Voicebot).send().await.unwrap()).await;
    for call in calls.as_array().unwrap() {
        let assistant = call["assistantId"].as_str().unwrap_or_default();
        assert!(voiceport_core::IdFormat::Uuid.matches(assistant), "{call}");
    }
}

/// HappyRobot's usage report counts the calls of the window asked for (`start`, `end`),
/// every call without one; a window that is no date-time is refused.
#[tokio::test]
async fn happyrobot_usage_counts_the_calls_of_its_window() {
    let sandbox = sandbox().await;
    let usage = |query: &str| {
        http_client()
            .get(format!(
                "{}/usage{query}",
                sandbox.happyrobot_platform_url()
            ))
            .header(
                "authorization",
                format!("Bearer {}", sandbox.api_key(HappyRobot)),
            )
            .header("x-organization-id", "0196f0a2-0000-7000-8000-000000000001")
            .send()
    };
    let calls = |body: &Value| body[0]["calls"].as_u64().unwrap();
    let (status, all) = json_of(usage("").await.unwrap()).await;
    assert_eq!((status, calls(&all)), (200, 30), "{all}");
    let (_, none) = json_of(
        usage("?start=2020-01-01T00:00:00Z&end=2020-02-01T00:00:00Z")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(calls(&none), 0, "{none}");
    assert_eq!(none[0]["start"], "2020-01-01T00:00:00.000Z", "{none}");
    // The history's calls split at a time between them: the two sides add up.
    let (_, list) = json_of(list_with_key(&sandbox, HappyRobot).send().await.unwrap()).await;
    let created = list["calls"][10]["created"].as_str().unwrap().to_owned();
    let (_, before) = json_of(usage(&format!("?end={created}")).await.unwrap()).await;
    let (_, after) = json_of(usage(&format!("?start={created}")).await.unwrap()).await;
    assert!(calls(&before) > 0 && calls(&after) > 0, "{before} {after}");
    assert_eq!(calls(&before) + calls(&after), 30);
    let (status, _) = json_of(usage("?start=yesterday").await.unwrap()).await;
    assert_eq!(status, 400);
    // The organization header is for a user of several: one account needs none.
    let (status, without) = json_of(
        http_client()
            .get(format!("{}/usage", sandbox.happyrobot_platform_url()))
            .bearer_auth(sandbox.api_key(HappyRobot))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, calls(&without)), (200, 30), "{without}");
}

/// A dial naming an agent, assistant, number or number id the account does not have is
/// refused, as the vendors refuse a dial of a missing resource, and places no call: code
/// passing the sandbox with a wrong id in its configuration would fail on its first real
/// call.
#[tokio::test]
async fn a_dial_naming_what_the_account_lacks_is_refused() {
    let sandbox = sandbox().await;
    let post = |kind, path: &str, body: Value| {
        request(&sandbox, kind, reqwest::Method::POST, path)
            .json(&body)
            .send()
    };
    let stranger = "9f0e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f";
    let option = |kind, key: &str| {
        let config = sandbox.provider_config(kind);
        config.options[key].as_str().unwrap().to_owned()
    };
    let vapi_number = option(Vapi, "phone_number_id");
    let cases = [
        (
            Rounded,
            "/calls/phone",
            json!({"from_number": "+16285550142", "to_number": "+14155550177", "agent_id": stranger}),
            400,
        ),
        (
            Retell,
            "/v2/create-phone-call",
            json!({"from_number": "+16285550143", "to_number": "+14155550177",
                   "override_agent_id": "agent_00000000000000000000000000"}),
            422,
        ),
        (
            Vapi,
            "/call",
            json!({"assistantId": stranger, "phoneNumberId": vapi_number, "customer": {"number": "+14155550177"}}),
            400,
        ),
        // Numbers the account does not own: a call is placed from one of its own.
        (
            Rounded,
            "/calls/phone",
            json!({"from_number": "+16285550100", "to_number": "+14155550177",
                   "agent_id": option(Rounded, "agent_id")}),
            400,
        ),
        (
            Retell,
            "/v2/create-phone-call",
            json!({"from_number": "+16285550100", "to_number": "+14155550177"}),
            422,
        ),
        (
            Vapi,
            "/call",
            json!({"assistantId": option(Vapi, "assistant_id"), "phoneNumberId": "+16285550100",
                   "customer": {"number": "+14155550177"}}),
            400,
        ),
        (
            Voicebot,
            "/calls",
            json!({"assistantId": stranger, "customer": {"number": "+14155550177"}}),
            422,
        ),
        // A customer number Vapi's schema refuses (3 to 40 characters), and one that is
        // not E.164, checked unless `numberE164CheckEnabled` is false (inferred).
        (
            Vapi,
            "/call",
            json!({"assistantId": option(Vapi, "assistant_id"), "phoneNumberId": vapi_number,
                   "customer": {"number": "+1"}}),
            400,
        ),
        (
            Vapi,
            "/call",
            json!({"assistantId": option(Vapi, "assistant_id"), "phoneNumberId": vapi_number,
                   "customer": {"number": "4155550177"}}),
            400,
        ),
        (
            HappyRobot,
            "/dial/outbound",
            json!({"phone_number": "+14155550177", "number_id": "6650cc00cc00cc00cc00cc99"}),
            400,
        ),
    ];
    for (kind, path, body, status) in cases {
        let before = sandbox.dialed_count(kind);
        let (got, answer) = json_of(post(kind, path, body).await.unwrap()).await;
        assert_eq!(got, status, "{kind}: {answer}");
        assert_eq!(
            sandbox.dialed_count(kind),
            before,
            "{kind}: a call was placed"
        );
    }
}

/// Every vendor core knows has an emulator: the conformance suite, the fault tests and the
/// command line's tests run over `EMULATED`, and a vendor missing from it would be left
/// out of all of them in silence.
#[test]
fn every_provider_kind_is_emulated() {
    for kind in ProviderKind::ALL {
        assert!(
            voiceport_sandbox::EMULATED.contains(kind),
            "{kind} has no emulator"
        );
    }
}

/// The control API arms a bounded number of faults, each with bounded text: every request
/// is matched against them all.
#[tokio::test]
async fn the_faults_armed_over_http_are_bounded() {
    let sandbox = sandbox().await;
    let url = format!("http://{}/_sandbox/faults", sandbox.addr());
    let client = http_client();
    let long = json!({"fault": "status", "status": 503, "path": "x".repeat(257)});
    let (status, refused) = json_of(client.post(&url).json(&long).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`path`"),
        "{refused}"
    );
    // Armed in process up to the bound (posting a thousand would only be slower).
    for _ in 0..999 {
        sandbox
            .faults()
            .inject(Fault::new(FaultKind::Status(503)).path("/never"));
    }
    let one = json!({"fault": "status", "status": 503, "path": "/never"});
    let (status, _) = json_of(client.post(&url).json(&one).send().await.unwrap()).await;
    assert_eq!(status, 201);
    let (status, refused) = json_of(client.post(&url).json(&one).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1000 faults"),
        "{refused}"
    );
    assert_eq!(sandbox.faults().len(), 1_000);
}

/// Vapi answers a dial naming a missing resource with its message as a string, as NestJS
/// does for an error thrown by hand; a validation error lists its problems.
#[tokio::test]
async fn vapi_a_missing_resource_is_one_message_and_validation_a_list() {
    let sandbox = sandbox().await;
    let options = &sandbox.provider_config(Vapi).options;
    let (assistant, number) = (&options["assistant_id"], &options["phone_number_id"]);
    let stranger = "9f0e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f";
    let cases = [
        (
            json!({"assistantId": stranger, "phoneNumberId": number,
                   "customer": {"number": "+14155550177"}}),
            json!("Couldn't Get Assistant. `assistantId` Does Not Exist."),
        ),
        (
            json!({"assistantId": assistant, "phoneNumberId": stranger,
                   "customer": {"number": "+14155550177"}}),
            json!("Couldn't Get Phone Number. `phoneNumberId` Does Not Exist."),
        ),
    ];
    for (body, message) in cases {
        let response = request(&sandbox, Vapi, reqwest::Method::POST, "/call").json(&body);
        let (status, refused) = json_of(response.send().await.unwrap()).await;
        assert_eq!((status, &refused["statusCode"]), (400, &json!(400)));
        assert_eq!(refused["message"], message, "{refused}");
    }
    let invalid = json!({"assistantId": assistant, "phoneNumberId": number,
                         "customer": {"number": "+1"}});
    let response = request(&sandbox, Vapi, reqwest::Method::POST, "/call").json(&invalid);
    let (status, refused) = json_of(response.send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(refused["message"].is_array(), "{refused}");
    // Voicebot Studio's validator (inferred) names the missing resource's field.
    let body = json!({"assistantId": stranger, "customer": {"number": "+14155550177"}});
    let response = request(&sandbox, Voicebot, reqwest::Method::POST, "/calls").json(&body);
    let (status, refused) = json_of(response.send().await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(
        refused["detail"][0]["loc"],
        json!(["body", "assistantId"]),
        "{refused}"
    );
}

/// Vapi's `updatedAt` bounds narrow the list on the `updatedAt` each call shows, in
/// either flavour (Voicebot Studio takes Vapi's parameters).
#[tokio::test]
async fn the_vapi_family_lists_by_update_time() {
    let sandbox = sandbox().await;
    for (kind, path) in [(Vapi, "/call"), (Voicebot, "/calls")] {
        let get = |query: String| {
            let request = request(
                &sandbox,
                kind,
                reqwest::Method::GET,
                &format!("{path}?limit=1000{query}"),
            );
            async move {
                let (status, page) = json_of(request.send().await.unwrap()).await;
                assert_eq!(status, 200, "{kind}: {page}");
                page.as_array().cloned().unwrap_or_default()
            }
        };
        let all = get(String::new()).await;
        let updated = |call: &Value| call["updatedAt"].as_str().unwrap_or_default().to_owned();
        // A call that ended after it was created, whose update time its creation does not
        // stand for; its time as shown, to the millisecond.
        let pivot = (all.iter())
            .filter(|call| call["updatedAt"] != call["createdAt"])
            .nth(all.len() / 4)
            .map(updated)
            .expect("an ended call");
        let millis = |at: &str| {
            chrono::DateTime::parse_from_rfc3339(at)
                .unwrap()
                .timestamp_millis()
        };
        let at = millis(&pivot);
        for key in ["updatedAtLt", "updatedAtLe", "updatedAtGt", "updatedAtGe"] {
            let keeps = |t: i64, at: i64| match key {
                "updatedAtLt" => t < at,
                "updatedAtLe" => t <= at,
                "updatedAtGt" => t > at,
                _ => t >= at,
            };
            let got: Vec<Value> = get(format!("&{key}={pivot}"))
                .await
                .iter()
                .map(|call| call["id"].clone())
                .collect();
            let expected: Vec<Value> = (all.iter())
                .filter(|call| keeps(millis(&updated(call)), at))
                .map(|call| call["id"].clone())
                .collect();
            assert!(
                !expected.is_empty() && expected.len() < all.len(),
                "{kind} {key}"
            );
            assert_eq!(got, expected, "{kind} {key}={pivot}");
        }
    }
}
