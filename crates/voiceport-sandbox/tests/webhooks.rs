//! Webhook deliveries from the emulators, received by a small recording server: what each
//! vendor posts as a dialed call moves on, how it is signed, and the delivery faults.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use voiceport_core::ProviderKind::{self, HappyRobot, Retell, Rounded, Vapi, Voicebot};
use voiceport_core::webhook::{Scheme, Verifier, VerifyError, WebhookConfig};
use voiceport_core::{ProvidersFile, SecretString};
use voiceport_sandbox::{
    DeliveryAttempt, DeliveryFault, DeliveryFaultKind, Sandbox, Timing, WebhookTarget,
};

const SECRET: &str = "sandbox-hook-secret-7f3a";

fn fast() -> Timing {
    Timing::default()
        .with_queued(Duration::from_millis(20))
        .with_ringing(Duration::from_millis(20))
        .with_talk(Duration::from_millis(40))
}

/// What the recording server saw, and how it answers.
#[derive(Default)]
struct Seen {
    received: Mutex<Vec<(HeaderMap, Bytes)>>,
    /// The query of each delivery's URL, in the same order.
    queries: Mutex<Vec<Option<String>>>,
    /// The answers to give, in order (status, after how long); 204 at once when they run
    /// out.
    script: Mutex<VecDeque<(u16, Duration)>>,
    /// The body of every answer (none by default).
    reply: Mutex<Bytes>,
}

impl Seen {
    fn bodies(&self) -> Vec<Value> {
        let received = self.received.lock().unwrap();
        received
            .iter()
            .map(|(_, body)| serde_json::from_slice(body).unwrap())
            .collect()
    }
}

async fn record(
    State(seen): State<Arc<Seen>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Bytes) {
    seen.queries
        .lock()
        .unwrap()
        .push(uri.query().map(str::to_owned));
    seen.received.lock().unwrap().push((headers, body));
    let answer = seen.script.lock().unwrap().pop_front();
    let (status, delay) = answer.unwrap_or((204, Duration::ZERO));
    tokio::time::sleep(delay).await;
    let reply = seen.reply.lock().unwrap().clone();
    (StatusCode::from_u16(status).unwrap(), reply)
}

/// A receiver on loopback: its URL and what it sees (of any method: a redirected
/// delivery may come as a `GET`).
async fn receiver() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = axum::Router::new()
        .route("/hook", axum::routing::any(record))
        .with_state(seen.clone());
    (format!("http://{}/hook", serve(app).await), seen)
}

/// Serves `app` on a loopback port of its own: its address.
async fn serve(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn config(toml_like: &[(&str, &str)]) -> WebhookConfig {
    let mut map = serde_json::Map::new();
    map.insert("secret".into(), json!(SECRET));
    for (key, value) in toml_like {
        map.insert((*key).into(), json!(value));
    }
    serde_json::from_value(Value::Object(map)).unwrap()
}

/// An HTTP client for the loopback sandbox and receivers: never through a proxy named in
/// the environment (`HTTP_PROXY`, `ALL_PROXY`), which reqwest's defaults would use.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn sandbox_to(kind: ProviderKind, target: WebhookTarget) -> Sandbox {
    Sandbox::builder()
        .seed(3)
        .calls(kind, 5)
        .timing(fast())
        .webhook_target(kind, target)
        .start()
        .await
        .unwrap()
}

/// A Vapi sandbox posting to `url`, whose answered calls talk for `talk`.
async fn vapi_talking_for(url: &str, talk: Duration) -> Sandbox {
    Sandbox::builder()
        .seed(3)
        .calls(Vapi, 5)
        .timing(
            Timing::default()
                .with_queued(Duration::from_millis(20))
                .with_ringing(Duration::from_millis(20))
                .with_talk(talk),
        )
        .webhook_target(Vapi, WebhookTarget::new(url, config(&[])))
        .start()
        .await
        .unwrap()
}

/// Dials `to` through `kind`'s API as its client would; the new call's id.
async fn dial(sandbox: &Sandbox, kind: ProviderKind, to: &str) -> String {
    let client = http_client();
    let base = sandbox.base_url(kind);
    let key = sandbox.api_key(kind);
    let response = match kind {
        HappyRobot => client
            .post(format!("{base}/dial/outbound"))
            .header("authorization", format!("Bearer {key}"))
            .json(&json!({"phone_number": to, "number_id": "6650cc00cc00cc00cc00cc01", "use_case_id": "6650bb00bb00bb00bb00bb77"})),
        Voicebot => client
            .post(format!("{base}/calls"))
            .header("x-api-key", key)
            .json(&json!({"customer": {"number": to}, "assistantId": "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e01"})),
        Rounded => client
            .post(format!("{base}/calls/phone"))
            .header("x-api-key", key)
            .json(&json!({"from_number": "+16285550142", "to_number": to,
                "agent_id": "123e4567-e89b-12d3-a456-426614174002"})),
        Vapi => client
            .post(format!("{base}/call"))
            .bearer_auth(key)
            .json(&json!({"customer": {"number": to}, "assistantId": "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e01",
                "phoneNumberId": "4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c"})),
        Retell => client
            .post(format!("{base}/v2/create-phone-call"))
            .bearer_auth(key)
            .json(&json!({"from_number": "+16285550143", "to_number": to})),
        other => panic!("not emulated: {other}"),
    }
    .send()
    .await
    .unwrap();
    assert!(
        response.status().is_success(),
        "{kind}: {}",
        response.status()
    );
    let body: Value = response.json().await.unwrap();
    let id = match kind {
        Rounded => &body["data"]["call_id"],
        Retell => &body["call_id"],
        _ => &body["id"],
    };
    id.as_str().unwrap().to_owned()
}

/// The call as `GET` shows it now (Rounded's unwrapped from its envelope).
async fn get(sandbox: &Sandbox, kind: ProviderKind, id: &str) -> Value {
    let client = http_client();
    let base = sandbox.base_url(kind);
    let key = sandbox.api_key(kind);
    let request = match kind {
        HappyRobot => client.get(format!("{base}/calls/{id}")).bearer_auth(key),
        Vapi => client.get(format!("{base}/call/{id}")).bearer_auth(key),
        Retell => client
            .get(format!("{base}/v2/get-call/{id}"))
            .bearer_auth(key),
        _ => client
            .get(format!("{base}/calls/{id}"))
            .header("x-api-key", key),
    };
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    match kind {
        Rounded => body["data"].clone(),
        _ => body,
    }
}

/// Waits until the receiver has the first delivery (held or not).
async fn first_delivery(seen: &Seen) {
    let arrived = async {
        while seen.received.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), arrived)
        .await
        .expect("the first delivery arrives");
}

async fn settled(sandbox: &Sandbox, kind: ProviderKind, id: &str) -> Vec<DeliveryAttempt> {
    sandbox
        .wait_for_deliveries(kind, id, Duration::from_secs(10))
        .await
        .expect("the deliveries did not settle")
}

fn events(attempts: &[DeliveryAttempt]) -> Vec<(String, Option<String>)> {
    attempts
        .iter()
        .map(|a| (a.event.clone(), a.vendor_status.clone()))
        .collect()
}

fn pair(event: &str, status: &str) -> (String, Option<String>) {
    (event.to_owned(), Some(status.to_owned()))
}

/// With `every_event`, Vapi's default `serverMessages` beyond the lifecycle come in the
/// call's sequence (a `speech-update` in progress; then, turn by turn, the speaker
/// stopping, the conversation so far and the next speaker starting, before the end), and
/// Retell's `transcript_updated` at each line spoken and a transferred call's transfer
/// events around its `call_ended`, the transfer events but the last with Retell's
/// top-level `transfer_destination` object; without it, neither.
#[tokio::test]
async fn every_event_adds_vapi_and_retell_events_beyond_the_lifecycle() {
    let (url, seen) = receiver().await;
    let vapi = sandbox_to(
        Vapi,
        WebhookTarget::new(&url, config(&[])).every_event(true),
    )
    .await;
    let id = dial(&vapi, Vapi, "+14155550199").await;
    let attempts = settled(&vapi, Vapi, &id).await;
    let said = events(&attempts);
    let (lifecycle, rest) = said.split_at(3);
    assert_eq!(
        lifecycle,
        [
            pair("status-update", "ringing"),
            pair("status-update", "in-progress"),
            pair("speech-update", "in-progress"),
        ]
    );
    let (turns, end) = rest.split_at(rest.len() - 2);
    assert_eq!(
        end,
        [
            pair("status-update", "ended"),
            pair("end-of-call-report", "ended"),
        ]
    );
    // Only speech and conversation updates come between, all while the call talks.
    assert!(
        turns.iter().all(|(event, status)| {
            ["speech-update", "conversation-update"].contains(&event.as_str())
                && status.as_deref() == Some("in-progress")
        }),
        "{turns:?}"
    );
    let bodies = seen.bodies();
    let messages = |body: &Value| body["message"]["messages"].as_array().map(Vec::len);
    let turn_bodies = &bodies[3..bodies.len() - 2];
    // One conversation update per line committed (tool lines too), a line longer each
    // time, the last the whole conversation of the report. The assistant's prompt (a
    // `system` message) comes first, with the first line: it is not a commit of its own.
    let updates: Vec<usize> = (turn_bodies.iter())
        .filter(|b| b["message"]["type"] == "conversation-update")
        .filter_map(messages)
        .collect();
    let report = bodies.last().unwrap();
    let whole = report["message"]["artifact"]["messages"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(whole > 3, "{whole}");
    assert_eq!(updates, (2..=whole).collect::<Vec<_>>());
    assert_eq!(
        report["message"]["artifact"]["messages"][0]["role"],
        "system"
    );
    // A vendor's first dialed call uses its tool: its invocation and result are each the
    // newest line of an update.
    let newest: Vec<&str> = (turn_bodies.iter())
        .filter(|b| b["message"]["type"] == "conversation-update")
        .filter_map(|b| b["message"]["messages"].as_array()?.last()?["role"].as_str())
        .collect();
    for role in ["tool_calls", "tool_call_result"] {
        assert!(newest.contains(&role), "{newest:?}");
    }
    for body in turn_bodies {
        let message = &body["message"];
        if message["type"] == "conversation-update" {
            assert!(message["messagesOpenAIFormatted"].is_array());
        }
        assert_eq!(message["call"]["status"], "in-progress");
    }
    // The speech updates count the turns, and are stamped in the call's time, in order.
    let speech: Vec<(String, u64)> = (bodies.iter())
        .filter(|b| b["message"]["type"] == "speech-update")
        .map(|b| {
            let m = &b["message"];
            (
                m["status"].as_str().unwrap().to_owned(),
                m["turn"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(speech[0], ("started".to_owned(), 0));
    // The first to speak starts turn 0, in progress.
    let first_role = (report["message"]["artifact"]["messages"]
        .as_array()
        .unwrap()
        .iter())
    .find_map(|m| match m["role"].as_str()? {
        "bot" => Some("assistant"),
        "user" => Some("user"),
        _ => None,
    });
    assert_eq!(bodies[2]["message"]["role"].as_str(), first_role);
    for (i, pair) in speech.chunks(2).enumerate() {
        let turn = i as u64;
        assert_eq!(pair[0], ("started".to_owned(), turn), "{speech:?}");
        assert_eq!(
            pair.get(1),
            Some(&("stopped".to_owned(), turn)),
            "{speech:?}"
        );
    }
    let times: Vec<i64> = (turn_bodies.iter())
        .map(|b| b["message"]["timestamp"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    let (url, seen) = receiver().await;
    let target = WebhookTarget::for_vendor(Retell, &url, config(&[])).every_event(true);
    let retell = sandbox_to(Retell, target).await;
    // The first dialed call's transfer bridges at its first attempt (of those whose first
    // is cancelled, see the next test).
    let id = dial(&retell, Retell, "+14155550195").await;
    let attempts = settled(&retell, Retell, &id).await;
    let names: Vec<&str> = attempts.iter().map(|a| a.event.as_str()).collect();
    // One update per turn, and the final one as the call ends.
    let turns = names.iter().filter(|n| **n == "transcript_updated").count() - 1;
    assert!(turns > 3, "{names:?}");
    let mut expected = vec!["call_started"];
    expected.extend(std::iter::repeat_n("transcript_updated", turns));
    expected.extend([
        "transfer_started",
        "transfer_bridged",
        "transcript_updated",
        "call_ended",
        "transfer_ended",
        "call_analyzed",
    ]);
    assert_eq!(names, expected);
    // Each turn's update the transcript so far, a line longer each time, live; the final
    // one the whole, the call over.
    let bodies = seen.bodies();
    let updates: Vec<&Value> = (bodies.iter())
        .filter(|b| b["event"] == "transcript_updated")
        .collect();
    let statuses: Vec<&str> = (updates.iter())
        .map(|b| b["call"]["call_status"].as_str().unwrap_or_default())
        .collect();
    let mut live = vec!["ongoing"; turns];
    live.push("ended");
    assert_eq!(statuses, live);
    let lengths: Vec<usize> = (updates.iter())
        .map(|b| {
            let call = &b["call"];
            let spoken = call["transcript_object"].as_array().map_or(0, Vec::len);
            let text = call["transcript"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .count();
            assert_eq!(spoken, text, "{call}");
            spoken
        })
        .collect();
    let mut expected_lengths: Vec<usize> = (1..=turns).collect();
    expected_lengths.push(turns);
    assert_eq!(lengths, expected_lengths);
    let ended = bodies.iter().find(|b| b["event"] == "call_ended").unwrap();
    assert_eq!(
        ended["call"]["transcript_object"].as_array().map(Vec::len),
        Some(turns)
    );
    for body in seen.bodies() {
        let event = body["event"].as_str().unwrap_or_default();
        // The object comes with the transfer events but its end (a `transfer_ended` names
        // no destination).
        let names_it = event.starts_with("transfer_") && event != "transfer_ended";
        assert_eq!(
            body["transfer_destination"].is_object(),
            names_it,
            "{event}"
        );
        // Sent while the call talks: its transcript so far, nothing of its end (the final
        // update, checked above, is the call ended).
        let live = body["call"]["call_status"] != "ended";
        if names_it || (event == "transcript_updated" && live) {
            let call = &body["call"];
            assert_eq!(call["call_status"], "ongoing", "{event}");
            assert!(
                call["transcript_object"]
                    .as_array()
                    .is_some_and(|t| !t.is_empty())
            );
            for over in [
                "transfer_destination",
                "collected_dynamic_variables",
                "recording_url",
            ] {
                assert!(call.get(over).is_none(), "{event}: {over}");
            }
        }
        if event == "transfer_ended" {
            assert!(body["call"]["transfer_end_timestamp"].is_i64(), "{body}");
            assert!(body["call"].get("call_analysis").is_none(), "{body}");
        }
    }
    // A target without it: the lifecycle only.
    let (url, _) = receiver().await;
    let plain = sandbox_to(Retell, WebhookTarget::for_vendor(Retell, &url, config(&[]))).await;
    let id = dial(&plain, Retell, "+14155550195").await;
    let names: Vec<String> = (settled(&plain, Retell, &id).await)
        .into_iter()
        .map(|a| a.event)
        .collect();
    assert_eq!(names, ["call_started", "call_ended", "call_analyzed"]);
}

/// Some transferred Retell calls (by the seed: of these eight dialed, not all and not
/// none) first try a transfer that is cancelled: a target with every event gets
/// `transfer_started` then `transfer_cancelled` (with the destination object) among the
/// turns' updates, before the attempt that bridges; the call still ends transferred there.
/// Every transferred call's leg end, `transfer_end_timestamp`, is the same in get-call,
/// `call_ended`, `transfer_ended` and `call_analyzed`.
#[tokio::test]
async fn a_retell_transfer_attempt_may_be_cancelled_before_one_bridges() {
    let (url, _) = receiver().await;
    let target = WebhookTarget::for_vendor(Retell, &url, config(&[])).every_event(true);
    let sandbox = sandbox_to(Retell, target).await;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(dial(&sandbox, Retell, "+14155550195").await);
    }
    let mut cancelled = 0;
    for id in &ids {
        let attempts = settled(&sandbox, Retell, id).await;
        let names: Vec<&str> = attempts.iter().map(|a| a.event.as_str()).collect();
        let bodies: Vec<Value> = (attempts.iter())
            .map(|a| serde_json::from_slice(&a.body).unwrap())
            .collect();
        let call = get(&sandbox, Retell, id).await;
        assert_eq!(call["disconnection_reason"], "call_transfer");
        assert_eq!(call["transfer_destination"], "+16285550188");
        let leg_end = &call["transfer_end_timestamp"];
        assert!(leg_end.is_i64(), "{call}");
        // `call_ended` goes as the agent's leg ends, before the other leg does.
        for (name, body) in names.iter().zip(&bodies) {
            let shown = &body["call"]["transfer_end_timestamp"];
            match *name {
                "transfer_ended" | "call_analyzed" => assert_eq!(shown, leg_end, "{name}"),
                "call_ended" => assert!(shown.is_null(), "{name}"),
                _ => {}
            }
        }
        let attempts_made = names.iter().filter(|n| **n == "transfer_started").count();
        let Some(at) = names.iter().position(|n| *n == "transfer_cancelled") else {
            assert_eq!(attempts_made, 1, "{names:?}");
            continue;
        };
        cancelled += 1;
        assert_eq!(attempts_made, 2, "{names:?}");
        assert_eq!(names[at - 1], "transfer_started", "{names:?}");
        assert_eq!(attempts[at].vendor_status.as_deref(), Some("ongoing"));
        assert_eq!(
            bodies[at]["transfer_destination"],
            json!({"number": "+16285550188"})
        );
        let bridged = names.iter().position(|n| *n == "transfer_bridged").unwrap();
        assert!(
            names[at + 1..bridged].contains(&"transcript_updated"),
            "{names:?}"
        );
        assert_eq!(names[bridged - 1], "transfer_started", "{names:?}");
    }
    assert!(cancelled > 0 && cancelled < ids.len(), "{cancelled}");
}

/// A test that does not know which calls its application dialed waits for all of a
/// vendor's deliveries: every dialed call's end is in the attempts once it returns.
#[tokio::test]
async fn waiting_for_all_deliveries_covers_every_dialed_call() {
    let (url, _) = receiver().await;
    let sandbox = sandbox_to(Voicebot, WebhookTarget::new(&url, config(&[]))).await;
    let ids = [
        dial(&sandbox, Voicebot, "+14155550199").await,
        dial(&sandbox, Voicebot, "+14155550184").await,
    ];
    let attempts = sandbox
        .wait_for_all_deliveries(Voicebot, Duration::from_secs(10))
        .await
        .expect("the deliveries did not settle");
    for id in &ids {
        let ended = attempts
            .iter()
            .any(|a| a.call_id == *id && a.vendor_status.as_deref() == Some("ended"));
        assert!(ended, "{id}: {attempts:?}");
    }
    // Nothing is pending now: a second wait returns at once, with the same attempts.
    let again = sandbox
        .wait_for_all_deliveries(Voicebot, Duration::ZERO)
        .await;
    assert_eq!(again.map(|a| a.len()), Some(attempts.len()));
    // A vendor the sandbox follows no call of is idle.
    assert!(
        sandbox
            .wait_for_all_deliveries(Retell, Duration::ZERO)
            .await
            .is_some_and(|a| a.is_empty())
    );
}

#[tokio::test]
async fn voicebot_posts_status_updates_then_the_report_signed_with_x_vapi_secret() {
    let (url, seen) = receiver().await;
    let sandbox = sandbox_to(Voicebot, WebhookTarget::new(&url, config(&[]))).await;
    let id = dial(&sandbox, Voicebot, "+14155550199").await;
    let attempts = settled(&sandbox, Voicebot, &id).await;
    assert_eq!(
        events(&attempts),
        [
            pair("status-update", "ringing"),
            pair("status-update", "in-progress"),
            pair("status-update", "ended"),
            pair("end-of-call-report", "ended"),
        ]
    );
    assert!(attempts.iter().all(|a| a.accepted() && a.attempt == 1));
    let received = seen.received.lock().unwrap().clone();
    assert_eq!(received.len(), 4);
    let verifier = Verifier::with_secret(Voicebot, SecretString::from(SECRET));
    for (headers, body) in &received {
        assert_eq!(headers["x-vapi-secret"], SECRET);
        assert!(verifier.verify(headers, body).is_ok());
    }
    let bodies = seen.bodies();
    for (body, status) in bodies.iter().zip(["ringing", "in-progress", "ended"]) {
        assert_eq!(body["message"]["type"], "status-update");
        assert_eq!(body["message"]["status"], status);
        assert_eq!(body["message"]["call"]["id"], id.as_str());
        assert!(body["message"]["timestamp"].as_i64() > Some(1_700_000_000_000));
    }
    assert_eq!(bodies[2]["message"]["endedReason"], "customer-ended-call");
    // The report: results at the message level, agreeing with GET; a stale call.
    let report = &bodies[3]["message"];
    let call = get(&sandbox, Voicebot, &id).await;
    assert_eq!(report["call"]["id"], call["id"]);
    assert_eq!(report["call"]["status"], "queued");
    assert_eq!(report["endedReason"], call["endedReason"]);
    assert_eq!(report["startedAt"], call["startedAt"]);
    assert_eq!(report["endedAt"], call["endedAt"]);
    assert_eq!(report["messages"], call["messages"]);
    assert_eq!(report["artifact"]["messages"], call["messages"]);
    assert_eq!(report["transcript"], call["transcript"]);
    assert_eq!(report["artifact"]["transcript"], call["transcript"]);
    assert_eq!(report["analysis"], call["analysis"]);
    assert_eq!(report["recordingUrl"], call["recordingUrl"]);
    assert!(report["durationSeconds"].as_f64().is_some());
    assert!(report["messages"].as_array().unwrap().len() > 3);
    assert_eq!(
        report["artifact"]["messagesOpenAIFormatted"]
            .as_array()
            .unwrap()
            .len(),
        report["messages"].as_array().unwrap().len()
    );
    // `webhook_delivery` builds the same report.
    let built: Value =
        serde_json::from_slice(&sandbox.webhook_delivery(Voicebot, &id).unwrap()).unwrap();
    assert_eq!(built["message"]["messages"], report["messages"]);
}

/// A call the assistant hands over (a number ending in 5) gets Vapi's `forwarding` update
/// before it ends: the destination and the conversation so far, the call still in
/// progress; what it says agrees with the call as `GET` shows it afterwards.
#[tokio::test]
async fn a_transferred_vapi_call_is_forwarded_before_it_ends() {
    let (url, seen) = receiver().await;
    let sandbox = sandbox_to(Vapi, WebhookTarget::new(&url, config(&[]))).await;
    let id = dial(&sandbox, Vapi, "+14155550195").await;
    let attempts = settled(&sandbox, Vapi, &id).await;
    assert_eq!(
        events(&attempts),
        [
            pair("status-update", "ringing"),
            pair("status-update", "in-progress"),
            pair("status-update", "forwarding"),
            pair("status-update", "ended"),
            pair("end-of-call-report", "ended"),
        ]
    );
    let bodies = seen.bodies();
    let (forwarding, ended) = (&bodies[2]["message"], &bodies[3]["message"]);
    let call = get(&sandbox, Vapi, &id).await;
    assert_eq!(forwarding["status"], "forwarding");
    assert_eq!(forwarding["destination"], call["destination"]);
    assert_eq!(forwarding["destination"]["type"], "number");
    assert_eq!(forwarding["call"]["status"], "in-progress");
    assert_eq!(forwarding["messages"], call["artifact"]["messages"]);
    assert_eq!(forwarding["transcript"], call["artifact"]["transcript"]);
    assert_eq!(forwarding["summary"], call["analysis"]["summary"]);
    assert!(forwarding["summary"].is_string());
    assert!(forwarding["endedReason"].is_null());
    assert!(forwarding["timestamp"].as_i64() < ended["timestamp"].as_i64());
    assert_eq!(ended["endedReason"], "assistant-forwarded-call");
    // Every message names the account's number the call is on, as the report does.
    let report = &bodies[4]["message"];
    assert!(report["phoneNumber"]["number"].is_string(), "{report}");
    for body in &bodies[..4] {
        assert_eq!(body["message"]["phoneNumber"], report["phoneNumber"]);
    }
}

#[tokio::test]
async fn an_unanswered_call_reports_no_in_progress_and_an_empty_conversation() {
    let (url, seen) = receiver().await;
    let sandbox = sandbox_to(Voicebot, WebhookTarget::new(&url, config(&[]))).await;
    let id = dial(&sandbox, Voicebot, "+14155550121").await;
    let attempts = settled(&sandbox, Voicebot, &id).await;
    assert_eq!(
        events(&attempts),
        [
            pair("status-update", "ringing"),
            pair("status-update", "ended"),
            pair("end-of-call-report", "ended"),
        ]
    );
    let report = &seen.bodies()[2]["message"];
    assert_eq!(report["endedReason"], "customer-busy");
    assert_eq!(report["analysis"], json!({}));
    assert_eq!(report["artifact"]["messages"], json!([]));
    assert!(report.get("startedAt").is_none());
}

#[tokio::test]
async fn happyrobot_posts_its_start_and_end_hooks_with_the_configured_header() {
    let (url, seen) = receiver().await;
    let sandbox = sandbox_to(
        HappyRobot,
        WebhookTarget::new(&url, config(&[("header", "x-hook-token")])),
    )
    .await;
    let id = dial(&sandbox, HappyRobot, "+14155550199").await;
    let attempts = settled(&sandbox, HappyRobot, &id).await;
    assert_eq!(
        events(&attempts),
        [pair("start", "In progress"), pair("end", "Completed")]
    );
    for (headers, _) in seen.received.lock().unwrap().iter() {
        assert_eq!(headers["x-hook-token"], SECRET);
    }
    let bodies = seen.bodies();
    assert_eq!(bodies[0]["type"], "start");
    assert_eq!(bodies[0]["call"]["status"], "In progress");
    assert!(bodies[0]["content"]["recording"].is_string());
    let end = &bodies[1];
    let call = get(&sandbox, HappyRobot, &id).await;
    assert_eq!(end["call"], call);
    assert_eq!(end["call"]["use_case"]["id"], "6650bb00bb00bb00bb00bb77");
    // The conversation is the transcript endpoint's, without ids and times.
    let transcript: Value = http_client()
        .get(format!(
            "{}/calls/{id}/transcript",
            sandbox.base_url(HappyRobot)
        ))
        .header(
            "authorization",
            format!("Bearer {}", sandbox.api_key(HappyRobot)),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = end["content"]["messages"].as_array().unwrap();
    let listed = transcript["messages"].as_array().unwrap();
    assert_eq!(messages.len(), listed.len());
    for (hook, listed) in messages.iter().zip(listed) {
        assert_eq!(hook["role"], listed["role"]);
        assert_eq!(hook["content"], listed["content"]);
        assert!(hook.get("id").is_none() && hook.get("start").is_none());
    }
    assert_eq!(messages[0]["role"], "system");
    assert!(end["content"]["tools"].is_object());
}

#[tokio::test]
async fn rounded_posts_each_status_then_ended_or_did_not_connect() {
    let (url, seen) = receiver().await;
    // Rounded's agents take a URL and no headers: the secret travels in it.
    let query = config(&[("verify", "query")]);
    let sandbox = sandbox_to(Rounded, WebhookTarget::new(&url, query)).await;
    let answered = dial(&sandbox, Rounded, "+14155550199").await;
    let attempts = settled(&sandbox, Rounded, &answered).await;
    assert_eq!(
        events(&attempts),
        [
            pair("event_call_status_updated", "ringing"),
            pair("event_call_status_updated", "in_progress"),
            pair("event_call_status_updated", "completed"),
            pair("event_phone_call_ended", "completed"),
        ]
    );
    for (headers, _) in seen.received.lock().unwrap().iter() {
        assert!(headers.get("x-webhook-secret").is_none(), "{headers:?}");
    }
    for query in seen.queries.lock().unwrap().iter() {
        assert_eq!(query.as_deref(), Some(format!("token={SECRET}").as_str()));
    }
    let ended = seen.bodies()[3].clone();
    assert_eq!(ended["data"], get(&sandbox, Rounded, &answered).await);
    assert!(ended["data"]["transcript"].as_array().unwrap().len() > 3);

    let missed = dial(&sandbox, Rounded, "+14155550120").await;
    let attempts = settled(&sandbox, Rounded, &missed).await;
    assert_eq!(
        events(&attempts),
        [
            pair("event_call_status_updated", "ringing"),
            pair("event_call_status_updated", "no_answer"),
            pair("event_phone_call_did_not_connect", "no_answer"),
        ]
    );
}

#[tokio::test]
async fn hmac_targets_sign_with_a_fresh_timestamp() {
    let (url, seen) = receiver().await;
    let hmac = config(&[("verify", "hmac")]);
    let sandbox = sandbox_to(Voicebot, WebhookTarget::new(&url, hmac.clone())).await;
    let id = dial(&sandbox, Voicebot, "+14155550199").await;
    settled(&sandbox, Voicebot, &id).await;
    let verifier = Verifier::from_config(Voicebot, &hmac, "w", None).unwrap();
    assert_eq!(verifier.scheme(), Scheme::Hmac);
    let received = seen.received.lock().unwrap().clone();
    assert_eq!(received.len(), 4);
    for (headers, body) in &received {
        assert!(headers.contains_key("x-signature") && headers.contains_key("x-timestamp"));
        assert!(verifier.verify(headers, body).is_ok());
    }
}

#[tokio::test]
async fn a_duplicate_is_the_same_body_posted_twice() {
    let (url, seen) = receiver().await;
    let sandbox = sandbox_to(Voicebot, WebhookTarget::new(&url, config(&[]))).await;
    sandbox.faults().inject_delivery(
        DeliveryFault::new(DeliveryFaultKind::Duplicate)
            .vendor(Voicebot)
            .event("end-of-call-report"),
    );
    let id = dial(&sandbox, Voicebot, "+14155550199").await;
    let attempts = settled(&sandbox, Voicebot, &id).await;
    assert_eq!(attempts.len(), 5);
    let reports: Vec<&DeliveryAttempt> = attempts
        .iter()
        .filter(|a| a.event == "end-of-call-report")
        .collect();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].body, reports[1].body);
    assert_eq!((reports[0].duplicate, reports[1].duplicate), (false, true));
    assert_eq!(seen.received.lock().unwrap().len(), 5);
    assert!(sandbox.faults().is_empty(), "the fault fired once");
}

#[tokio::test]
async fn out_of_order_posts_the_end_before_the_in_progress() {
    let (url, _seen) = receiver().await;
    let sandbox = sandbox_to(HappyRobot, WebhookTarget::new(&url, config(&[]))).await;
    sandbox
        .faults()
        .inject_delivery(DeliveryFault::new(DeliveryFaultKind::OutOfOrder));
    let id = dial(&sandbox, HappyRobot, "+14155550199").await;
    let attempts = settled(&sandbox, HappyRobot, &id).await;
    assert_eq!(
        events(&attempts),
        [pair("end", "Completed"), pair("start", "In progress")]
    );
    // Only that call: the next one is in order.
    let next = dial(&sandbox, HappyRobot, "+14155550198").await;
    let attempts = settled(&sandbox, HappyRobot, &next).await;
    assert_eq!(
        events(&attempts),
        [pair("start", "In progress"), pair("end", "Completed")]
    );
}

/// A call deleted while its deliveries are held back (out of order) posts nothing more.
#[tokio::test]
async fn a_call_deleted_mid_call_posts_none_of_its_held_deliveries() {
    let (url, seen) = receiver().await;
    let sandbox = vapi_talking_for(&url, Duration::from_secs(600)).await;
    sandbox
        .faults()
        .inject_delivery(DeliveryFault::new(DeliveryFaultKind::OutOfOrder));
    let id = dial(&sandbox, Vapi, "+14155550199").await;
    // Well into the conversation: its status updates so far are held back.
    let talking = async {
        while get(&sandbox, Vapi, &id).await["status"] != "in-progress" {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), talking)
        .await
        .expect("the call is answered");
    let deleted = http_client()
        .delete(format!("{}/call/{id}", sandbox.base_url(Vapi)))
        .bearer_auth(sandbox.api_key(Vapi))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let attempts = settled(&sandbox, Vapi, &id).await;
    assert!(attempts.is_empty(), "{attempts:?}");
    assert!(seen.received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_wrong_signature_does_not_verify() {
    let (url, seen) = receiver().await;
    let query = config(&[("verify", "query")]);
    let sandbox = sandbox_to(Rounded, WebhookTarget::new(&url, query.clone())).await;
    sandbox.faults().inject_delivery(
        DeliveryFault::new(DeliveryFaultKind::WrongSignature).event("event_phone_call_ended"),
    );
    let id = dial(&sandbox, Rounded, "+14155550199").await;
    let attempts = settled(&sandbox, Rounded, &id).await;
    let verifier = Verifier::from_config(Rounded, &query, "webhook", None).unwrap();
    let received = seen.received.lock().unwrap().clone();
    let queries = seen.queries.lock().unwrap().clone();
    assert_eq!(received.len(), 4);
    assert_eq!(attempts.len(), 4);
    assert_eq!(attempts.iter().filter(|a| a.wrong_signature).count(), 1);
    for (((headers, body), query), attempt) in received.iter().zip(&queries).zip(&attempts) {
        let forged = attempt.event == "event_phone_call_ended";
        assert_eq!(attempt.wrong_signature, forged);
        assert_eq!(
            (verifier.verify_request(query.as_deref(), headers, body)).is_err(),
            forged,
            "{attempt:?}"
        );
    }
}

/// A delivery fault aimed at one call (`call_id`) spares the others: a test sharing a
/// sandbox spoils only its own call's deliveries.
#[tokio::test]
async fn a_delivery_fault_aimed_at_one_call_spares_the_others() {
    let (url, _) = receiver().await;
    let sandbox = vapi_talking_for(&url, Duration::from_millis(800)).await;
    let spared = dial(&sandbox, Vapi, "+14155550199").await;
    // A call that goes on until it is ended: the fault is armed before its report, however
    // slow the machine, and the call ended then through its control URL.
    let aimed = dial(&sandbox, Vapi, "+14155550186").await;
    sandbox.faults().inject_delivery(
        DeliveryFault::new(DeliveryFaultKind::WrongSignature)
            .call_id(&aimed)
            .event("end-of-call-report")
            .times(u32::MAX),
    );
    let control = format!("http://{}/vapi-live/{aimed}/control", sandbox.addr());
    let ended = http_client()
        .post(control)
        .json(&json!({"type": "end-call"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    let forged = |attempts: Vec<DeliveryAttempt>| {
        (attempts.into_iter())
            .filter(|a| a.wrong_signature)
            .map(|a| a.event)
            .collect::<Vec<_>>()
    };
    assert!(forged(settled(&sandbox, Vapi, &spared).await).is_empty());
    assert_eq!(
        forged(settled(&sandbox, Vapi, &aimed).await),
        ["end-of-call-report"]
    );
}

/// A stale signature is the right secret's, signed a minute past the tolerance: a
/// receiver that checks the signing time refuses it as a replay, and only it. A scheme
/// that signs no time leaves the fault unused.
#[tokio::test]
async fn a_stale_signature_is_refused_as_a_replay() {
    let (url, seen) = receiver().await;
    let hmac = config(&[("verify", "hmac")]);
    let sandbox = sandbox_to(Vapi, WebhookTarget::new(&url, hmac.clone())).await;
    sandbox.faults().inject_delivery(
        DeliveryFault::new(DeliveryFaultKind::StaleSignature).event("end-of-call-report"),
    );
    let id = dial(&sandbox, Vapi, "+14155550199").await;
    let attempts = settled(&sandbox, Vapi, &id).await;
    let verifier = Verifier::from_config(Vapi, &hmac, "webhook", None).unwrap();
    let received = seen.received.lock().unwrap().clone();
    assert_eq!(received.len(), attempts.len());
    assert_eq!(attempts.iter().filter(|a| a.stale_signature).count(), 1);
    for ((headers, body), attempt) in received.iter().zip(&attempts) {
        let verified = verifier.verify(headers, body);
        match attempt.stale_signature {
            true => assert!(
                matches!(verified, Err(VerifyError::Stale { .. })),
                "{verified:?}"
            ),
            false => assert!(verified.is_ok(), "{attempt:?}: {verified:?}"),
        }
    }
    // The header scheme signs no time: every delivery made, none stale.
    let (url, seen) = receiver().await;
    let sandbox = sandbox_to(Vapi, WebhookTarget::new(&url, config(&[]))).await;
    sandbox
        .faults()
        .inject_delivery(DeliveryFault::new(DeliveryFaultKind::StaleSignature));
    let id = dial(&sandbox, Vapi, "+14155550199").await;
    let attempts = settled(&sandbox, Vapi, &id).await;
    assert!(!attempts.is_empty());
    assert_eq!(seen.received.lock().unwrap().len(), attempts.len());
    assert!(attempts.iter().all(|a| !a.stale_signature), "{attempts:?}");
    assert!(!sandbox.faults().is_empty(), "the fault is still waiting");
}

/// A target that verifies nothing has no signature to get wrong: the fault is not used
/// up, and no attempt is recorded as forged.
#[tokio::test]
async fn a_wrong_signature_fault_waits_for_a_target_that_signs() {
    let (url, seen) = receiver().await;
    let unsigned: WebhookConfig = serde_json::from_value(json!({"verify": "none"})).unwrap();
    let sandbox = sandbox_to(Rounded, WebhookTarget::new(&url, unsigned)).await;
    sandbox
        .faults()
        .inject_delivery(DeliveryFault::new(DeliveryFaultKind::WrongSignature));
    let id = dial(&sandbox, Rounded, "+14155550199").await;
    let attempts = settled(&sandbox, Rounded, &id).await;
    assert_eq!(seen.received.lock().unwrap().len(), attempts.len());
    assert!(!attempts.is_empty());
    assert!(attempts.iter().all(|a| !a.wrong_signature), "{attempts:?}");
    assert!(!sandbox.faults().is_empty(), "the fault is still waiting");
}

#[tokio::test]
async fn failures_are_retried_only_when_the_target_asks() {
    // No retry by default: a 500 loses the delivery.
    let (url, seen) = receiver().await;
    seen.script.lock().unwrap().push_back((500, Duration::ZERO));
    let sandbox = sandbox_to(HappyRobot, WebhookTarget::new(&url, config(&[]))).await;
    let id = dial(&sandbox, HappyRobot, "+14155550199").await;
    let attempts = settled(&sandbox, HappyRobot, &id).await;
    let codes: Vec<(String, u32, Option<u16>)> = attempts
        .iter()
        .map(|a| (a.event.clone(), a.attempt, a.status_code))
        .collect();
    assert_eq!(
        codes,
        [("start".into(), 1, Some(500)), ("end".into(), 1, Some(204))]
    );

    // With retries: a 503, then an answer too slow (a timeout), then accepted. The
    // timeout leaves the quick answers room on a loaded machine; the slow one is slower.
    let (url, seen) = receiver().await;
    seen.script
        .lock()
        .unwrap()
        .extend([(503, Duration::ZERO), (204, Duration::from_secs(10))]);
    let target = WebhookTarget::new(&url, config(&[]))
        .retries(3)
        .retry_delay(Duration::from_millis(10))
        .timeout(Duration::from_secs(4));
    let sandbox = sandbox_to(HappyRobot, target).await;
    let id = dial(&sandbox, HappyRobot, "+14155550199").await;
    let attempts = settled(&sandbox, HappyRobot, &id).await;
    let tries: Vec<(String, u32, Option<u16>, Option<String>)> = attempts
        .iter()
        .map(|a| (a.event.clone(), a.attempt, a.status_code, a.error.clone()))
        .collect();
    assert_eq!(
        tries,
        [
            ("start".into(), 1, Some(503), None),
            ("start".into(), 2, None, Some("timed out".into())),
            ("start".into(), 3, Some(204), None),
            ("end".into(), 1, Some(204), None),
        ]
    );
    // Every attempt carried the same body.
    assert_eq!(attempts[0].body, attempts[2].body);
}

#[tokio::test]
async fn retell_retries_as_retell_does_and_the_others_do_not() {
    // Retell: a delivery not answered 2xx is retried up to three times.
    let (url, seen) = receiver().await;
    seen.script.lock().unwrap().extend([
        (500, Duration::ZERO),
        (502, Duration::ZERO),
        (503, Duration::ZERO),
    ]);
    let target = WebhookTarget::for_vendor(Retell, &url, WebhookConfig::default())
        .retry_delay(Duration::from_millis(10));
    assert_eq!(target.retry_count(), 3);
    // Talk long enough that the call's end comes after these retries (they do not hold
    // it back: see the next test), on a loaded machine too: the receiver answers each
    // request with the next scripted status, whichever event it carries.
    let sandbox = retell_talking(Duration::from_secs(3), target).await;
    let id = dial(&sandbox, Retell, "+14155550199").await;
    let attempts = settled(&sandbox, Retell, &id).await;
    let started: Vec<(u32, Option<u16>)> = attempts
        .iter()
        .filter(|a| a.event == "call_started")
        .map(|a| (a.attempt, a.status_code))
        .collect();
    assert_eq!(
        started,
        [
            (1, Some(500)),
            (2, Some(502)),
            (3, Some(503)),
            (4, Some(204))
        ]
    );
    // The others make one attempt: Vapi's documented default (no `backoffPlan`), and the
    // sandbox's choice for HappyRobot and Rounded, which document no policy.
    for kind in [HappyRobot, Voicebot, Rounded, Vapi] {
        assert_eq!(
            WebhookTarget::for_vendor(kind, &url, config(&[])).retry_count(),
            0,
            "{kind}"
        );
    }
}

/// Retell's deliveries are ordered per call but not blocking: a `call_started` being
/// retried does not hold back the `call_ended` after it.
#[tokio::test]
async fn retell_retries_do_not_hold_back_the_calls_later_events() {
    // The call ends in well under the retry's wait, however the machine is loaded.
    let (_seen, target) = retell_refused_once(Duration::from_secs(4)).await;
    let sandbox = sandbox_to(Retell, target).await;
    let id = dial(&sandbox, Retell, "+14155550199").await;
    let attempts = settled(&sandbox, Retell, &id).await;
    let order: Vec<(&str, u32, Option<u16>)> = (attempts.iter())
        .map(|a| (a.event.as_str(), a.attempt, a.status_code))
        .collect();
    assert_eq!(order[0], ("call_started", 1, Some(500)), "{order:?}");
    let retried = (order.iter())
        .position(|a| *a == ("call_started", 2, Some(204)))
        .expect("the retry");
    let ended = (order.iter())
        .position(|a| a.0 == "call_ended")
        .expect("the end");
    assert!(ended < retried, "the end waited for the retry: {order:?}");
    // Waiting for the call's deliveries waits for its retries too.
    assert_eq!(order.last().map(|a| a.0), Some("call_started"), "{order:?}");
}

/// A receiver that refuses its first delivery (500), and Retell's target for it,
/// retrying after `retry_delay`.
async fn retell_refused_once(retry_delay: Duration) -> (Arc<Seen>, WebhookTarget) {
    let (url, seen) = receiver().await;
    seen.script.lock().unwrap().push_back((500, Duration::ZERO));
    let target =
        WebhookTarget::for_vendor(Retell, &url, WebhookConfig::default()).retry_delay(retry_delay);
    (seen, target)
}

/// A Retell sandbox posting to `target`, whose calls talk for `talk`.
async fn retell_talking(talk: Duration, target: WebhookTarget) -> Sandbox {
    Sandbox::builder()
        .seed(3)
        .calls(Retell, 5)
        .timing(fast().with_talk(talk))
        .webhook_target(Retell, target)
        .start()
        .await
        .unwrap()
}

/// A Retell delivery being retried stops when its call is deleted: a call deleted
/// meanwhile posts nothing more, retries (on their own task) included.
#[tokio::test]
async fn retell_retries_stop_when_the_call_is_deleted() {
    let (seen, target) = retell_refused_once(Duration::from_secs(5)).await;
    let sandbox = retell_talking(Duration::from_secs(600), target).await;
    let id = dial(&sandbox, Retell, "+14155550199").await;
    // `call_started` has arrived (and is refused): its retry waits five seconds.
    first_delivery(&seen).await;
    let deleted = http_client()
        .delete(format!("{}/v2/delete-call/{id}", sandbox.base_url(Retell)))
        .bearer_auth(sandbox.api_key(Retell))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let attempts = settled(&sandbox, Retell, &id).await;
    let tries: Vec<(&str, u32, Option<u16>)> = (attempts.iter())
        .map(|a| (a.event.as_str(), a.attempt, a.status_code))
        .collect();
    assert_eq!(tries, [("call_started", 1, Some(500))]);
    assert_eq!(seen.received.lock().unwrap().len(), 1);
}

/// A call keeps the target it was dialed with for all its deliveries: a target set, or
/// removed, while it is under way applies to the calls dialed after.
#[tokio::test]
async fn a_call_keeps_the_target_it_was_dialed_with() {
    let (first, first_seen) = receiver().await;
    let (second, second_seen) = receiver().await;
    let sandbox = Sandbox::builder()
        .seed(3)
        .calls(Voicebot, 5)
        .timing(fast().with_talk(Duration::from_millis(500)))
        .webhook_target(Voicebot, WebhookTarget::new(&first, config(&[])))
        .start()
        .await
        .unwrap();
    let early = dial(&sandbox, Voicebot, "+14155550199").await;
    first_delivery(&first_seen).await;
    (sandbox.set_webhook(Voicebot, WebhookTarget::new(&second, config(&[])))).unwrap();
    let late = dial(&sandbox, Voicebot, "+14155550198").await;
    first_delivery(&second_seen).await;
    sandbox.clear_webhook(Voicebot);
    let whole = [
        pair("status-update", "ringing"),
        pair("status-update", "in-progress"),
        pair("status-update", "ended"),
        pair("end-of-call-report", "ended"),
    ];
    for (id, url, seen) in [
        (&early, &first, &first_seen),
        (&late, &second, &second_seen),
    ] {
        let attempts = settled(&sandbox, Voicebot, id).await;
        assert_eq!(events(&attempts), whole, "{id}");
        assert!(attempts.iter().all(|a| &a.url == url && a.accepted()));
        let bodies = seen.bodies();
        assert_eq!(bodies.len(), 4, "{id}");
        assert!(
            bodies
                .iter()
                .all(|body| body["message"]["call"]["id"] == id.as_str())
        );
    }
    // Calls dialed with no target post nothing.
    let quiet = dial(&sandbox, Voicebot, "+14155550197").await;
    assert!(settled(&sandbox, Voicebot, &quiet).await.is_empty());
}

/// A delivery waiting on a slow receiver never holds up the API. The receiver holds the
/// first delivery for 290 s (a target waits 300 s at most) and the whole test is bounded
/// far short of that, so an API that waited for it (a lock held while posting) fails the
/// test instead of hanging it (several threads: one blocked still lets the timer run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_never_slows_the_api() {
    const HOLD: Duration = Duration::from_secs(290);
    let test = async {
        let (url, seen) = receiver().await;
        seen.script.lock().unwrap().push_back((204, HOLD));
        let sandbox = sandbox_to(
            Voicebot,
            WebhookTarget::new(&url, config(&[])).timeout(HOLD + Duration::from_secs(10)),
        )
        .await;
        let id = dial(&sandbox, Voicebot, "+14155550199").await;
        // The receiver holds the first delivery; the API answers regardless.
        first_delivery(&seen).await;
        let call = get(&sandbox, Voicebot, &id).await;
        dial(&sandbox, Voicebot, "+14155550198").await;
        assert_eq!(call["id"], id.as_str());
    };
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the API waited for the receiver");
}

#[tokio::test]
async fn targets_are_set_shown_and_removed_over_the_control_api() {
    let (url, seen) = receiver().await;
    let sandbox = Sandbox::builder()
        .calls(Voicebot, 3)
        .timing(fast())
        .start()
        .await
        .unwrap();
    let http = http_client();
    let control = format!("http://{}/_sandbox/webhooks", sandbox.addr());
    let put =
        |body: Value, vendor: &str| http.put(format!("{control}/{vendor}")).json(&body).send();
    // A query of the target's own may hold a token too: shown as `?…`.
    let with_query =
        json!({"url": format!("{url}?team=ops-7f3a"), "secret": SECRET, "verify": "query"});
    let set = put(with_query, "rounded").await.unwrap();
    assert_eq!(set.status(), 200);
    let shown: Value = set.json().await.unwrap();
    assert_eq!(shown["url"], format!("{url}?…"));
    let set = put(
        json!({"url": url, "secret": SECRET, "verify": "query", "param": "key", "retries": 1}),
        "rounded",
    )
    .await
    .unwrap();
    assert_eq!(set.status(), 200);
    let shown: Value = set.json().await.unwrap();
    assert_eq!(shown["url"], url.as_str());
    assert_eq!(shown["verify"], "query");
    assert_eq!(shown["retries"], 1);
    assert!(!shown.to_string().contains(SECRET), "{shown}");
    for (body, vendor, status) in [
        (json!({"url": url}), "rounded", 400),
        // A header Rounded cannot send: refused, not emulated.
        (json!({"url": url, "secret": "k"}), "rounded", 400),
        (json!({"url": "nope", "secret": "k"}), "rounded", 400),
        (json!({"url": url, "secret": "k"}), "twilio", 404),
        // A password in the URL would be shown and recorded: refused, and not repeated
        // (nor when the URL does not parse).
        (
            json!({"url": "http://ops:hunter2@127.0.0.1:9/hook", "secret": "k", "verify": "query"}),
            "rounded",
            400,
        ),
        (
            json!({"url": "http://ops:hun/ter2@127.0.0.1:9/hook", "secret": "k", "verify": "query"}),
            "rounded",
            400,
        ),
    ] {
        let response = put(body.clone(), vendor).await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        let answer = response.text().await.unwrap();
        assert!(
            !answer.contains("hunter2") && !answer.contains("ter2@"),
            "{answer}"
        );
        if status == 404 {
            // The vendors it names are those emulated.
            let refused: Value = serde_json::from_str(&answer).unwrap();
            let message = refused["message"].as_str().unwrap_or_default();
            for kind in voiceport_sandbox::EMULATED {
                assert!(message.contains(kind.as_str()), "{message}");
            }
        }
    }
    // Delivery faults over HTTP too.
    let armed = http
        .post(format!("http://{}/_sandbox/faults", sandbox.addr()))
        .json(&json!({"fault": "duplicate_delivery", "vendor": "rounded", "event": "event_phone_call_ended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), 201);

    let id = dial(&sandbox, Rounded, "+14155550199").await;
    settled(&sandbox, Rounded, &id).await;
    for query in seen.queries.lock().unwrap().iter() {
        assert_eq!(query.as_deref(), Some(format!("key={SECRET}").as_str()));
    }
    let listed: Value = http
        .get(format!("{control}/rounded"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deliveries = listed["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 5, "{listed}");
    assert_eq!(deliveries[4]["duplicate"], true);
    assert_eq!(deliveries[4]["body"]["data"]["id"], id.as_str());
    assert!(deliveries.iter().all(|d| d["status_code"] == 204));
    let summary: Value = http
        .get(format!("http://{}/_sandbox", sandbox.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["deliveries"]["rounded"], 5);
    // The secret travels in the query, which is not recorded.
    assert!(!listed.to_string().contains(SECRET), "{listed}");
    assert_eq!(deliveries[0]["url"], url.as_str());

    let removed = http
        .delete(format!("{control}/rounded"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let quiet = dial(&sandbox, Rounded, "+14155550199").await;
    assert_eq!(settled(&sandbox, Rounded, &quiet).await.len(), 0);
    let listed: Value = http
        .get(format!("{control}/rounded"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["target"], Value::Null);
}

#[tokio::test]
async fn a_target_that_cannot_sign_is_refused() {
    let err = Sandbox::builder()
        .webhook(
            Voicebot,
            "http://127.0.0.1:9/hook",
            WebhookConfig::default(),
        )
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("secret"), "{err}");
    let sandbox = Sandbox::builder().calls(Voicebot, 1).start().await.unwrap();
    let err = sandbox
        .set_webhook(Voicebot, WebhookTarget::new("not a url", config(&[])))
        .unwrap_err();
    assert!(
        matches!(&err, voiceport_core::Error::Config { field, .. } if field.starts_with("webhooks.voicebot")),
        "{err:?}"
    );
}

#[tokio::test]
async fn happyrobot_filters_by_use_case_and_a_note_patch_keeps_the_flag() {
    let sandbox = Sandbox::builder()
        .calls(HappyRobot, 10)
        .timing(fast())
        .start()
        .await
        .unwrap();
    let id = dial(&sandbox, HappyRobot, "+14155550199").await;
    let http = http_client();
    let base = sandbox.base_url(HappyRobot);
    let auth = format!("Bearer {}", sandbox.api_key(HappyRobot));
    let list = |query: &'static str| {
        http.get(format!("{base}/calls?{query}"))
            .header("authorization", &auth)
            .send()
    };
    let only: Value = list("use_cases=6650bb00bb00bb00bb00bb77")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(only["count"], 1, "{only}");
    assert_eq!(only["calls"][0]["id"], id.as_str());
    let seeded: Value = list("use_cases=6650bb00bb00bb00bb00bb00,unknown")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seeded["count"], 10);
    let all: Value = list("").await.unwrap().json().await.unwrap();
    assert_eq!(all["count"], 11);

    let added: Value = http
        .post(format!("{base}/calls/{id}/notes"))
        .header("authorization", &auth)
        .json(&json!({"content": "Call back", "flagged": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let note = added["notes"][0]["id"].as_str().unwrap().to_owned();
    let patch = |body: Value| {
        http.patch(format!("{base}/calls/{id}/notes/{note}"))
            .header("authorization", &auth)
            .json(&body)
            .send()
    };
    let kept: Value = patch(json!({"content": "Call back Friday"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(kept["notes"][0]["content"], "Call back Friday");
    assert_eq!(kept["notes"][0]["flagged"], true, "the flag was not sent");
    let unflagged: Value = patch(json!({"flagged": false}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unflagged["notes"][0]["content"], "Call back Friday");
    assert_eq!(unflagged["notes"][0]["flagged"], false);
    assert_eq!(patch(json!({})).await.unwrap().status(), 400);
}

#[tokio::test]
async fn vapi_posts_what_voicebot_studio_does_with_its_own_call_shape() {
    let (url, seen) = receiver().await;
    let sandbox = sandbox_to(Vapi, WebhookTarget::new(&url, config(&[]))).await;
    let id = dial(&sandbox, Vapi, "+14155550199").await;
    let attempts = settled(&sandbox, Vapi, &id).await;
    assert_eq!(
        events(&attempts),
        [
            pair("status-update", "ringing"),
            pair("status-update", "in-progress"),
            pair("status-update", "ended"),
            pair("end-of-call-report", "ended"),
        ]
    );
    // X-Vapi-Secret by default, as for Voicebot Studio.
    let verifier = Verifier::with_secret(Vapi, SecretString::from(SECRET));
    for (headers, body) in seen.received.lock().unwrap().iter() {
        assert_eq!(headers["x-vapi-secret"], SECRET);
        assert!(verifier.verify(headers, body).is_ok());
    }
    let bodies = seen.bodies();
    // Each update's call is a snapshot from a phase before (the `in-progress` update's
    // call still rings), the report's the call as dialed; a live call's carries its
    // control URL, the stale one of `ended` too.
    let snapshots: Vec<&Value> = (bodies.iter())
        .map(|body| &body["message"]["call"]["status"])
        .collect();
    let statuses = ["queued", "ringing", "in-progress", "queued"];
    assert_eq!(
        snapshots,
        statuses.map(|s| json!(s)).iter().collect::<Vec<_>>()
    );
    for body in &bodies[1..3] {
        let snapshot = &body["message"]["call"];
        let control = snapshot["monitor"]["controlUrl"].as_str().unwrap();
        assert_eq!(
            control,
            format!("http://{}/vapi-live/{id}/control", sandbox.addr())
        );
    }
    let report = &bodies[3]["message"];
    let call = get(&sandbox, Vapi, &id).await;
    assert_eq!(report["call"]["id"], call["id"]);
    assert_eq!(report["endedReason"], call["endedReason"]);
    assert_eq!(report["messages"], call["messages"]);
    assert_eq!(report["artifact"]["messages"], call["artifact"]["messages"]);
    assert_eq!(
        report["artifact"]["transcript"],
        call["artifact"]["transcript"]
    );
    assert_eq!(report["analysis"], call["analysis"]);
    assert!(call.get("transcript").is_none(), "Vapi does not flatten");
    let built: Value =
        serde_json::from_slice(&sandbox.webhook_delivery(Vapi, &id).unwrap()).unwrap();
    assert_eq!(built["message"]["artifact"], report["artifact"]);
}

#[tokio::test]
async fn retell_posts_started_ended_analyzed_signed_with_the_api_key() {
    let (url, seen) = receiver().await;
    // No secret: Retell signs with the account's API key.
    let sandbox = sandbox_to(Retell, WebhookTarget::new(&url, WebhookConfig::default())).await;
    let id = dial(&sandbox, Retell, "+14155550199").await;
    let attempts = settled(&sandbox, Retell, &id).await;
    assert_eq!(
        events(&attempts),
        [
            pair("call_started", "ongoing"),
            pair("call_ended", "ended"),
            pair("call_analyzed", "ended"),
        ]
    );
    let key = SecretString::from(sandbox.api_key(Retell));
    let verifier =
        Verifier::from_config(Retell, &WebhookConfig::default(), "w", Some(&key)).unwrap();
    assert_eq!(verifier.scheme(), Scheme::Retell);
    let wrong = Verifier::with_secret(Retell, SecretString::from("another-key"));
    for (headers, body) in seen.received.lock().unwrap().iter() {
        let signature = headers["x-retell-signature"].to_str().unwrap();
        assert!(
            signature.starts_with("v=") && signature.contains(",d="),
            "{signature}"
        );
        assert!(verifier.verify(headers, body).is_ok());
        assert!(wrong.verify(headers, body).is_err());
    }
    let bodies = seen.bodies();
    assert_eq!(bodies[0]["event"], "call_started");
    assert_eq!(bodies[0]["call"]["call_status"], "ongoing");
    assert!(bodies[0]["call"]["start_timestamp"].is_i64());
    assert!(bodies[0]["call"].get("transcript").is_none());
    let call = get(&sandbox, Retell, &id).await;
    // `call_ended`: everything but the analysis; `call_analyzed`: the call as GET shows it.
    let ended = &bodies[1]["call"];
    assert!(ended.get("call_analysis").is_none());
    assert_eq!(ended["transcript_object"], call["transcript_object"]);
    assert_eq!(ended["end_timestamp"], call["end_timestamp"]);
    assert_eq!(bodies[2]["call"], call);
    let built: Value =
        serde_json::from_slice(&sandbox.webhook_delivery(Retell, &id).unwrap()).unwrap();
    assert_eq!(built, bodies[1]);

    // A call that never connected: only `call_ended`.
    let busy = dial(&sandbox, Retell, "+14155550121").await;
    let attempts = settled(&sandbox, Retell, &busy).await;
    assert_eq!(events(&attempts), [pair("call_ended", "not_connected")]);
    let body: Value = serde_json::from_slice(&attempts[0].body).unwrap();
    assert_eq!(body["call"]["disconnection_reason"], "dial_busy");
}

#[tokio::test]
async fn retell_and_vapi_targets_are_set_over_the_control_api() {
    let (url, seen) = receiver().await;
    let sandbox = Sandbox::builder()
        .calls(Retell, 2)
        .calls(Vapi, 2)
        .timing(fast())
        .start()
        .await
        .unwrap();
    let http = http_client();
    let control = format!("http://{}/_sandbox/webhooks", sandbox.addr());
    // Retell needs no secret (the API key signs); Vapi's bearer credential needs one.
    let set: Value = http
        .put(format!("{control}/retell"))
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set["verify"], "retell");
    let set = http
        .put(format!("{control}/vapi"))
        .json(&json!({"url": url, "verify": "bearer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 400);
    let set: Value = http
        .put(format!("{control}/vapi"))
        .json(&json!({"url": url, "verify": "bearer", "secret": SECRET}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set["verify"], "bearer");
    let call = dial(&sandbox, Vapi, "+14155550199").await;
    settled(&sandbox, Vapi, &call).await;
    for (headers, _) in seen.received.lock().unwrap().iter() {
        assert_eq!(headers["authorization"], format!("Bearer {SECRET}"));
    }
    let call = dial(&sandbox, Retell, "+14155550199").await;
    assert_eq!(settled(&sandbox, Retell, &call).await.len(), 3);
    let summary: Value = http
        .get(format!("http://{}/_sandbox", sandbox.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["deliveries"]["vapi"], 4);
    assert_eq!(summary["deliveries"]["retell"], 3);
    assert_eq!(summary["calls"]["retell"], 3);
}

/// Stopping the sandbox ends a delivery still waiting for a slow receiver: the call
/// settles at once, with nothing recorded for the attempt cut short.
#[tokio::test]
async fn stopping_ends_a_delivery_in_flight() {
    let (url, seen) = receiver().await;
    seen.script
        .lock()
        .unwrap()
        .push_back((204, Duration::from_secs(60)));
    let mut sandbox = sandbox_to(
        Voicebot,
        WebhookTarget::new(&url, config(&[])).timeout(Duration::from_secs(120)),
    )
    .await;
    let id = dial(&sandbox, Voicebot, "+14155550199").await;
    first_delivery(&seen).await;
    sandbox.stop();
    let attempts = sandbox
        .wait_for_deliveries(Voicebot, &id, Duration::from_secs(5))
        .await
        .expect("settled without waiting for the receiver");
    assert!(attempts.is_empty(), "{attempts:?}");
}

/// The control API refuses what would post for ever in a tight loop, past the vendors'
/// bounds (Vapi: `maxRetries` 0–10, `timeoutSeconds` 1–300), and a signing configuration
/// whose signature cannot be sent.
#[tokio::test]
async fn targets_past_the_bounds_or_unable_to_sign_are_refused_over_the_control_api() {
    let sandbox = Sandbox::builder().calls(Vapi, 1).start().await.unwrap();
    let http = http_client();
    let put = |body: Value| {
        http.put(format!("http://{}/_sandbox/webhooks/vapi", sandbox.addr()))
            .json(&body)
            .send()
    };
    let url = "http://127.0.0.1:9/hook";
    for (body, says) in [
        (
            json!({"url": url, "secret": "k", "retries": 4_294_967_295_u64, "retry_delay_ms": 0, "timeout_ms": 0}),
            "retries",
        ),
        (
            json!({"url": url, "secret": "k", "retries": 11}),
            "at most 10",
        ),
        (
            json!({"url": url, "secret": "k", "timeout_ms": 0}),
            "timeout_ms",
        ),
        (
            json!({"url": url, "secret": "k", "timeout_ms": 300_001}),
            "timeout_ms",
        ),
        (
            json!({"url": url, "secret": "k", "timeout_ms": u64::MAX}),
            "timeout_ms",
        ),
        (
            json!({"url": url, "secret": "k", "retry_delay_ms": 60_001}),
            "retry_delay_ms",
        ),
        (
            json!({"url": url, "secret": "k", "retry_delay_ms": u64::MAX}),
            "retry_delay_ms",
        ),
        (
            json!({"url": url, "secret": "k", "verify": "hmac", "signature_prefix": "sha256=\n"}),
            "does not verify",
        ),
    ] {
        let response = put(body.clone()).await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    // Nothing was set.
    assert_eq!(list(&sandbox, "vapi", "").await["target"], Value::Null);
    // The bounds themselves are taken.
    let set = put(
        json!({"url": url, "secret": "k", "retries": 10, "timeout_ms": 300_000,
        "retry_delay_ms": 60_000}),
    )
    .await
    .unwrap();
    assert_eq!(set.status(), 200);
    let shown: Value = set.json().await.unwrap();
    assert_eq!(
        (
            &shown["retries"],
            &shown["timeout_ms"],
            &shown["retry_delay_ms"]
        ),
        (&json!(10), &json!(300_000), &json!(60_000))
    );
    // In process too.
    let beyond = WebhookTarget::new(url, config(&[])).retries(11);
    let err = sandbox.set_webhook(Vapi, beyond).unwrap_err();
    assert!(
        matches!(&err, voiceport_core::Error::Config { field, .. } if field == "webhooks.vapi.retries"),
        "{err:?}"
    );
}

/// A GET of the control API's `_sandbox/webhooks/{vendor}` with its query (`""` or `?…`),
/// as JSON.
async fn list(sandbox: &Sandbox, vendor: &str, query: &str) -> Value {
    let response = http_client()
        .get(format!(
            "http://{}/_sandbox/webhooks/{vendor}{query}",
            sandbox.addr()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

/// A redirect is an answer like any other, not followed: the vendor's secret headers
/// never go to the host it names, and the attempt is not taken.
#[tokio::test]
async fn a_redirect_is_a_failed_attempt_and_is_not_followed() {
    for status in [302, 307] {
        let (elsewhere, elsewhere_seen) = receiver().await;
        let redirect = axum::Router::new().route(
            "/hook",
            axum::routing::any(move || {
                let to = elsewhere.clone();
                async move {
                    let status = StatusCode::from_u16(status).unwrap();
                    (status, [(axum::http::header::LOCATION, to)])
                }
            }),
        );
        let url = format!("http://{}/hook", serve(redirect).await);
        let sandbox = sandbox_to(Voicebot, WebhookTarget::new(&url, config(&[]))).await;
        let id = dial(&sandbox, Voicebot, "+14155550199").await;
        let attempts = settled(&sandbox, Voicebot, &id).await;
        assert_eq!(attempts.len(), 4, "{attempts:?}");
        for attempt in &attempts {
            assert_eq!(attempt.status_code, Some(status), "{attempt:?}");
            assert!(!attempt.accepted(), "{attempt:?}");
        }
        assert!(
            elsewhere_seen.received.lock().unwrap().is_empty(),
            "{status} was followed"
        );
    }
}

/// A receiver answering at length: the attempt keeps the first 64 KiB of the answer.
#[tokio::test]
async fn a_long_reply_is_kept_only_in_part() {
    let (url, seen) = receiver().await;
    seen.script.lock().unwrap().push_back((200, Duration::ZERO));
    *seen.reply.lock().unwrap() = Bytes::from(vec![b'x'; 4 * voiceport_sandbox::MAX_REPLY_BYTES]);
    let sandbox = sandbox_to(Retell, WebhookTarget::new(&url, WebhookConfig::default())).await;
    let id = dial(&sandbox, Retell, "+14155550199").await;
    let attempts = settled(&sandbox, Retell, &id).await;
    let first = &attempts[0];
    assert_eq!(first.status_code, Some(200), "{first:?}");
    let reply = first.reply.as_deref().expect("a reply");
    assert_eq!(reply.len(), 64 * 1024);
    assert!(reply.iter().all(|&b| b == b'x'));
}

/// The attempts listed over the control API: the newest 100 by default, `?limit=` and
/// `?call_id=` narrowing them, `total` counting those recorded that match.
#[tokio::test]
async fn the_listed_deliveries_are_the_newest_by_default_and_narrow_by_call() {
    let (url, seen) = receiver().await;
    // Every delivery refused, each retried ten times at once: 4 × 11 attempts a call.
    (seen.script.lock().unwrap()).extend(std::iter::repeat_n((500, Duration::ZERO), 200));
    let target = WebhookTarget::new(&url, config(&[]))
        .retries(10)
        .retry_delay(Duration::ZERO);
    let sandbox = sandbox_to(Voicebot, target).await;
    let mut calls = Vec::new();
    for to in ["+14155550199", "+14155550198", "+14155550197"] {
        let id = dial(&sandbox, Voicebot, to).await;
        assert_eq!(settled(&sandbox, Voicebot, &id).await.len(), 44);
        calls.push(id);
    }
    let recorded = sandbox.deliveries(Voicebot);
    assert_eq!(recorded.len(), 132);
    // The attempts as listed: (call, event, attempt).
    let keys = |listed: &Value| -> Vec<(String, String, u64)> {
        (listed["deliveries"].as_array().unwrap().iter())
            .map(|d| {
                let text = |key: &str| d[key].as_str().unwrap().to_owned();
                (
                    text("call_id"),
                    text("event"),
                    d["attempt"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let newest = |attempts: &[DeliveryAttempt], n: usize| -> Vec<(String, String, u64)> {
        attempts[attempts.len() - n..]
            .iter()
            .map(|a| (a.call_id.clone(), a.event.clone(), u64::from(a.attempt)))
            .collect()
    };
    let listed = list(&sandbox, "voicebot", "").await;
    assert_eq!(listed["total"], 132);
    assert_eq!(keys(&listed), newest(&recorded, 100));
    let listed = list(&sandbox, "voicebot", "?limit=3").await;
    assert_eq!(keys(&listed), newest(&recorded, 3));
    let listed = list(&sandbox, "voicebot", "?limit=1000").await;
    assert_eq!(keys(&listed), newest(&recorded, 132));
    let first = &calls[0];
    let only = settled(&sandbox, Voicebot, first).await;
    let listed = list(&sandbox, "voicebot", &format!("?call_id={first}")).await;
    assert_eq!(listed["total"], 44);
    assert_eq!(keys(&listed), newest(&only, 44));
    let listed = list(&sandbox, "voicebot", &format!("?call_id={first}&limit=2")).await;
    assert_eq!(keys(&listed), newest(&only, 2));
    let listed = list(&sandbox, "voicebot", "?call_id=unknown").await;
    assert_eq!((&listed["total"], keys(&listed).len()), (&json!(0), 0));
    for query in ["?limit=-1", "?limit=many", "?callid=x"] {
        let response = http_client()
            .get(format!(
                "http://{}/_sandbox/webhooks/voicebot{query}",
                sandbox.addr()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let answer: Value = response.json().await.unwrap();
        assert!(answer["message"].is_string(), "{answer}");
    }
}

/// A reset puts the sandbox back as it started, between the tests of a suite that shares
/// one: the seeded calls as generated (a deleted one back), the dial count at zero (the
/// next dial gets the first dial's id again), no fault and no delivery recorded, and the
/// calls dialed before post nothing more; the targets stay.
#[tokio::test]
async fn a_reset_puts_the_sandbox_back_as_it_started() {
    let (url, seen) = receiver().await;
    let sandbox = Sandbox::builder()
        .seed(3)
        .calls(Vapi, 5)
        // Ringing long: at the reset, just after the first delivery (the ringing), no
        // other is on its way, whose arrival would be counted after the reset (long
        // enough for a loaded machine's stalls; the second call rings as long, within
        // `settled`'s wait).
        .timing(
            fast()
                .with_ringing(Duration::from_secs(3))
                .with_talk(Duration::from_millis(400)),
        )
        .webhook_target(Vapi, WebhookTarget::new(&url, config(&[])))
        .start()
        .await
        .unwrap();
    let calls = || async {
        let listed = http_client()
            .get(format!("{}/call", sandbox.base_url(Vapi)))
            .bearer_auth(sandbox.api_key(Vapi))
            .send()
            .await
            .unwrap();
        listed.json::<Value>().await.unwrap()
    };
    let seeded = calls().await;
    let seeded_id = seeded[0]["id"].as_str().unwrap().to_owned();
    let deleted = http_client()
        .delete(format!("{}/call/{seeded_id}", sandbox.base_url(Vapi)))
        .bearer_auth(sandbox.api_key(Vapi))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let first = dial(&sandbox, Vapi, "+14155550187").await;
    first_delivery(&seen).await;
    sandbox
        .faults()
        .inject(voiceport_sandbox::Fault::new(voiceport_sandbox::FaultKind::Status(503)).times(9));
    assert_eq!(
        (sandbox.call_count(Vapi), sandbox.dialed_count(Vapi)),
        (5, 1)
    );

    let control = format!("http://{}/_sandbox/reset", sandbox.addr());
    let reset = http_client().post(control).send().await.unwrap();
    assert_eq!(reset.status(), 204);
    let posted_before = seen.received.lock().unwrap().len();
    assert_eq!(
        (sandbox.call_count(Vapi), sandbox.dialed_count(Vapi)),
        (5, 0)
    );
    assert!(sandbox.faults().is_empty());
    assert!(sandbox.deliveries(Vapi).is_empty());
    assert_eq!(calls().await, seeded);
    // The next dial is the first one again (its id too), and the target still takes its
    // deliveries: those of that call only, once each. The call dialed before the reset
    // posts nothing more, though its id names the new call.
    let again = dial(&sandbox, Vapi, "+14155550187").await;
    assert_eq!(again, first);
    let attempts = settled(&sandbox, Vapi, &again).await;
    let ended = pair("status-update", "ended");
    let events = events(&attempts);
    assert_eq!(
        events.iter().filter(|e| **e == ended).count(),
        1,
        "{events:?}"
    );
    // Every call the emulator still follows done with: the call dialed before the reset
    // among them, had the reset kept it, whose deliveries would then be counted.
    let all = sandbox
        .wait_for_all_deliveries(Vapi, Duration::from_secs(30))
        .await
        .expect("the emulator is done with its calls");
    assert_eq!(all.len(), attempts.len(), "{events:?}");
    let posted = seen.received.lock().unwrap().len() - posted_before;
    assert_eq!(posted, attempts.len(), "{events:?}");
}

/// What a receiver serving `/webhooks/{provider}` saw: each delivery's provider name (as
/// its router decodes it) and headers.
type ByName = Arc<Mutex<Vec<(String, HeaderMap)>>>;

async fn receiver_by_name() -> (String, ByName) {
    let seen = ByName::default();
    let record = |State(seen): State<ByName>,
                  axum::extract::Path(name): axum::extract::Path<String>,
                  headers: HeaderMap| async move {
        seen.lock().unwrap().push((name, headers));
        StatusCode::NO_CONTENT
    };
    let app = axum::Router::new()
        .route("/webhooks/{provider}", axum::routing::post(record))
        .with_state(seen.clone());
    let addr = serve(app).await;
    (format!("http://{addr}/webhooks/{{provider}}"), seen)
}

/// A sandbox whose calls end fast, aimed at nothing.
async fn fast_sandbox() -> Sandbox {
    Sandbox::builder()
        .seed(3)
        .timing(fast())
        .start()
        .await
        .unwrap()
}

/// `tables` (name, kind, whether it has a webhook table) as a providers file on `sandbox`.
fn providers_file(sandbox: &Sandbox, tables: &[(&str, ProviderKind, bool)]) -> ProvidersFile {
    let mut toml = String::new();
    for (name, kind, webhook) in tables {
        toml.push_str(&sandbox.provider_toml(name, *kind));
        if *webhook {
            toml.push_str(&format!(
                "[providers.{name:?}.webhook]\nsecret = {SECRET:?}\n"
            ));
        }
    }
    ProvidersFile::from_toml_str(&toml).unwrap()
}

/// `point_webhooks_at` points the emulator of each provider with a webhook table at the
/// receiver's path for its name (percent-encoded, decoded back by the receiver's router),
/// signed as its table says; a provider without one posts nothing.
#[tokio::test]
async fn every_provider_with_a_webhook_table_is_pointed_at_its_receiver_path() {
    let (url, seen) = receiver_by_name().await;
    let sandbox = fast_sandbox().await;
    let file = providers_file(
        &sandbox,
        &[
            ("sales team", HappyRobot, true),
            ("support", Retell, true),
            ("outbound", Rounded, false),
        ],
    );
    // As a URL parser writes it, `{provider}` is taken too.
    let encoded = url.replace("{provider}", "%7Bprovider%7D");
    let pointed = sandbox.point_webhooks_at(&encoded, &file).unwrap();
    assert_eq!(pointed, ["sales team", "support"]);
    for kind in [HappyRobot, Retell, Rounded] {
        let id = dial(&sandbox, kind, "+14155550199").await;
        let attempts = settled(&sandbox, kind, &id).await;
        if kind == Rounded {
            assert!(attempts.is_empty(), "{attempts:?}");
            continue;
        }
        assert!(!attempts.is_empty());
        for attempt in &attempts {
            assert_eq!(attempt.status_code, Some(204), "{attempt:?}");
        }
        let path = match kind {
            HappyRobot => "/webhooks/sales%20team",
            _ => "/webhooks/support",
        };
        assert!(attempts[0].url.ends_with(path), "{}", attempts[0].url);
    }
    let seen = seen.lock().unwrap();
    // HappyRobot sends the secret in its default header; Retell signs with it.
    let (mut sales, mut support) = (0, 0);
    for (name, headers) in seen.iter() {
        match name.as_str() {
            "sales team" => {
                assert_eq!(headers["x-webhook-secret"], SECRET);
                sales += 1;
            }
            "support" => {
                assert!(headers.contains_key("x-retell-signature"), "{headers:?}");
                support += 1;
            }
            other => panic!("a delivery for {other:?}"),
        }
    }
    assert!(sales >= 2 && support >= 2, "{sales}, {support}");
}

/// Refused whole, no emulator changed: a URL without `{provider}`, or two providers of
/// one vendor with webhook tables (the sandbox runs one emulator of each).
#[tokio::test]
async fn pointing_webhooks_is_refused_whole() {
    let (url, seen) = receiver_by_name().await;
    let sandbox = fast_sandbox().await;
    let one = providers_file(&sandbox, &[("sales", HappyRobot, true)]);
    let base = url.trim_end_matches("/webhooks/{provider}");
    let error = sandbox.point_webhooks_at(base, &one).unwrap_err();
    assert!(error.to_string().contains("`{provider}`"), "{error}");
    let two = providers_file(
        &sandbox,
        &[
            ("sales", HappyRobot, true),
            ("support", Retell, true),
            ("support-eu", Retell, true),
        ],
    );
    let error = sandbox.point_webhooks_at(&url, &two).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("providers.support-eu.webhook") && message.contains("\"support\""),
        "{message}"
    );
    // HappyRobot, first by name and pointable, was not pointed either.
    let id = dial(&sandbox, HappyRobot, "+14155550199").await;
    assert!(settled(&sandbox, HappyRobot, &id).await.is_empty());
    assert!(seen.lock().unwrap().is_empty());
}
