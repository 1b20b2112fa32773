//! The emulated vendor APIs, spoken to over HTTP as a client would.

use std::time::Duration;

use serde_json::{Value, json};
use voiceport_core::ProviderKind::{self, HappyRobot, Rounded, Voicebot};
use voiceport_sandbox::{Fault, FaultKind, Sandbox, Timing};

fn fast() -> Timing {
    Timing {
        queued: Duration::from_millis(20),
        ringing: Duration::from_millis(20),
        talk: Duration::from_millis(40),
    }
}

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .seed(1)
        .calls(HappyRobot, 30)
        .calls(Voicebot, 30)
        .calls(Rounded, 30)
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
    let client = reqwest::Client::new();
    let builder = client.request(method, format!("{}{path}", sandbox.base_url(kind)));
    match kind {
        HappyRobot => builder.header("authorization", format!("Bearer {}", sandbox.api_key(kind))),
        Voicebot | Rounded => builder.header("x-api-key", sandbox.api_key(kind)),
        other => panic!("the sandbox does not emulate {other}"),
    }
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn wrong_or_missing_keys_get_the_vendors_401() {
    let sandbox = sandbox().await;
    let client = reqwest::Client::new();
    for kind in ProviderKind::ALL {
        let (status, body) = json_of(
            client
                .get(format!("{}/calls", sandbox.base_url(kind)))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 401, "{kind}");
        match kind {
            HappyRobot => assert!(body["message"].is_string()),
            Voicebot => assert!(body["detail"].is_string()),
            Rounded => assert_eq!(body["error"]["status"], 401),
            other => panic!("the sandbox does not emulate {other}"),
        }
    }
    let wrong = client
        .get(format!("{}/calls", sandbox.base_url(Rounded)))
        .header("x-api-key", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn every_kind_is_emulated_at_its_own_address_with_its_own_key() {
    let sandbox = sandbox().await;
    let mut urls = std::collections::HashSet::new();
    let mut keys = std::collections::HashSet::new();
    for kind in ProviderKind::ALL {
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

/// Every `ProviderKind` is emulated today, so no kind leads here yet; the address a kind
/// the sandbox does not emulate gets (`/_not_emulated/{kind}`) is checked by hand.
#[tokio::test]
async fn a_kind_that_is_not_emulated_gets_404_everywhere() {
    let sandbox = sandbox().await;
    let client = reqwest::Client::new();
    let base = format!("http://{}/_not_emulated/vapi", sandbox.addr());
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
        assert!(message.contains("`vapi`"), "{message}");
        assert_eq!(body["not_emulated"], "vapi");
    }
    // No emulator accepts the not-emulated key.
    for kind in ProviderKind::ALL {
        let response = client
            .get(format!("{}/calls", sandbox.base_url(kind)))
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
    let (status, first) = json_of(
        request(
            &sandbox,
            HappyRobot,
            reqwest::Method::GET,
            "/calls?limit=20",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(first["count"], 30);
    assert_eq!(first["calls"].as_array().unwrap().len(), 20);
    let (_, second) = json_of(
        request(
            &sandbox,
            HappyRobot,
            reqwest::Method::GET,
            "/calls?limit=20&skip=20",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
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
    let (_, completed) = json_of(
        request(
            &sandbox,
            HappyRobot,
            reqwest::Method::GET,
            "/calls?statuses=Completed&limit=100",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert!(
        completed["calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "Completed")
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_calls() {
    let a = sandbox().await;
    let b = sandbox().await;
    for kind in ProviderKind::ALL {
        let (_, x) = json_of(
            request(&a, kind, reqwest::Method::GET, "/calls")
                .send()
                .await
                .unwrap(),
        )
        .await;
        let (_, y) = json_of(
            request(&b, kind, reqwest::Method::GET, "/calls")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(x, y, "{kind}");
    }
}

#[tokio::test]
async fn a_dialed_call_moves_through_its_statuses_to_the_end() {
    let sandbox = sandbox().await;
    let (status, call) = json_of(
        request(&sandbox, HappyRobot, reqwest::Method::POST, "/dial/outbound")
            .json(&json!({"phone_number": "+14155550188", "number_id": "6650cc00cc00cc00cc00cc01", "metadata": {"crm": "X1"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(call["status"], "Queued");
    let id = call["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (_, ended) = json_of(
        request(
            &sandbox,
            HappyRobot,
            reqwest::Method::GET,
            &format!("/calls/{id}"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(ended["status"], "Completed");
    assert!(ended["costs"]["total_costs"].as_f64().unwrap() >= 0.0);
    let (_, transcript) = json_of(
        request(
            &sandbox,
            HappyRobot,
            reqwest::Method::GET,
            &format!("/calls/{id}/transcript"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert!(transcript["messages"].as_array().unwrap().len() > 3);
    assert_eq!(sandbox.dialed_count(HappyRobot), 1);
    assert_eq!(sandbox.call_count(HappyRobot), 31);
}

#[tokio::test]
async fn rounded_metadata_merges_or_replaces() {
    let sandbox = sandbox().await;
    let (_, started) = json_of(
        request(&sandbox, Rounded, reqwest::Method::POST, "/calls/phone")
            .json(&json!({"from_number": "+16285550142", "to_number": "+14155550177", "agent_id": "123e4567-e89b-12d3-a456-426614174002"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
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

#[tokio::test]
async fn rounded_cursor_and_page_modes_walk_every_call_once() {
    let sandbox = sandbox().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/calls?use_cursor=true&limit=7&cursor={}", urlencode(c)),
            None => "/calls?use_cursor=true&limit=7".to_owned(),
        };
        let (_, page) = json_of(
            request(&sandbox, Rounded, reqwest::Method::GET, &path)
                .send()
                .await
                .unwrap(),
        )
        .await;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 30);
    let (_, page3) = json_of(
        request(
            &sandbox,
            Rounded,
            reqwest::Method::GET,
            "/calls?use_cursor=false&limit=7&page=5",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(page3["total_pages"], 5);
    assert_eq!(page3["total_items"], 30);
    assert_eq!(page3["data"].as_array().unwrap().len(), 2);
}

fn urlencode(text: &str) -> String {
    text.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn voicebot_lists_a_bare_array_and_pages_by_time() {
    let sandbox = sandbox().await;
    let (_, page) = json_of(
        request(&sandbox, Voicebot, reqwest::Method::GET, "/calls?limit=10")
            .send()
            .await
            .unwrap(),
    )
    .await;
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

#[tokio::test]
async fn every_fault_kind_is_served() {
    let sandbox = sandbox().await;
    let get = || request(&sandbox, Voicebot, reqwest::Method::GET, "/calls?limit=5").send();

    sandbox.faults().inject(
        Fault::new(FaultKind::RateLimited {
            retry_after_secs: 2.0,
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

    sandbox
        .faults()
        .inject(Fault::new(FaultKind::DropConnection).vendor(Voicebot));
    let dropped = match get().await {
        Ok(response) => response.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(dropped, "the body should break off");

    sandbox
        .faults()
        .inject(Fault::new(FaultKind::Delay(Duration::from_millis(200))).vendor(Voicebot));
    let started = std::time::Instant::now();
    assert_eq!(get().await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(200));

    // Faults expire: the next request is served normally.
    assert_eq!(get().await.unwrap().status(), 200);
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
    let (_, page) = json_of(
        request(&sandbox, HappyRobot, reqwest::Method::GET, "/calls?limit=1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["count"], 12_993);
}

#[tokio::test]
async fn faults_are_injected_and_cleared_over_the_control_api() {
    let sandbox = sandbox().await;
    let control = format!("http://{}/_sandbox", sandbox.addr());
    let client = reqwest::Client::new();
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
