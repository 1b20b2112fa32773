//! A Voicebot Studio (Vapi) call → [`Call`]: parties, times, transcript, recording, cost
//! and analysis.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use voiceport_core::adapter::{epoch_millis, finite, non_empty, parse_time, value_text};
use voiceport_core::{
    AgentId, AgentRef, Call, CallId, CallKind, CampaignId, Cost, CostItem, Direction,
    OrganizationId, Recording, Speaker, ToolCall, ToolResult, Transcript, Utterance,
};

use super::status::status_of;
use crate::config::KIND;
use crate::wire::{self, Artifact};

/// Normalizes a call (the caller attaches the vendor payload).
pub(crate) fn map_call(wire: wire::Call) -> Call {
    let mut call = Call::new(CallId::new(wire.id.clone()), KIND);
    call.organization_id = non_empty(&wire.org_id)
        .or(non_empty(&wire.organization_id))
        .map(OrganizationId::new);
    call.campaign_id = non_empty(&wire.campaign_id).map(CampaignId::new);
    call.name = text(&wire.name);
    let reason = wire.ended_reason.as_deref();
    (call.status, call.end_reason) = status_of(wire.status.as_ref(), reason);
    call.vendor_status = wire.status.as_ref().map(|s| s.as_str().to_owned());

    (call.kind, call.direction) = kind_and_direction(wire.call_type.as_ref());
    let customer = wire.customer.as_ref().and_then(|c| text(&c.number));
    match call.direction {
        Some(Direction::Outbound) => call.to = customer,
        Some(Direction::Inbound) => call.from = customer,
        None => {}
    }
    call.agent = non_empty(&wire.assistant_id).map(|id| AgentRef {
        id: Some(AgentId::new(id)),
        name: None,
    });

    let time = |text: &Option<String>| text.as_deref().and_then(parse_time);
    call.created_at = time(&wire.created_at);
    call.started_at = time(&wire.started_at);
    call.ended_at = time(&wire.ended_at);
    call.scheduled_for = wire
        .schedule_plan
        .as_ref()
        .and_then(|p| time(&p.earliest_at));
    call.duration_secs = match (call.started_at, call.ended_at) {
        (Some(start), Some(end)) if end >= start => {
            Some((end - start).num_milliseconds() as f64 / 1000.0)
        }
        _ => None,
    };

    call.transcript = transcript(&wire);
    call.recording = recording(&wire);
    call.cost = cost(&wire);
    let analysis = wire.analysis.as_ref();
    call.analysis.summary = text(&wire.summary).or_else(|| analysis.and_then(|a| text(&a.summary)));
    call.analysis.success_evaluation = analysis
        .and_then(|a| a.success_evaluation.as_ref())
        .and_then(value_text)
        .filter(|text| !text.is_empty());
    if let Some(Value::Object(data)) = analysis.and_then(|a| a.structured_data.as_ref()) {
        call.analysis.extracted = data.clone().into_iter().collect();
    }
    let overrides = wire.assistant_overrides.as_ref();
    if let Some(Value::Object(metadata)) = overrides.and_then(|o| o.metadata.as_ref()) {
        call.metadata = metadata.clone().into_iter().collect();
    }
    call
}

/// The text when it is present and not empty, owned.
fn text(value: &Option<String>) -> Option<String> {
    non_empty(value).map(str::to_owned)
}

/// A field VS flattens out of `artifact`: the flattened copy, else the artifact's.
fn flattened(
    wire: &wire::Call,
    own: &Option<String>,
    field: fn(&Artifact) -> &Option<String>,
) -> Option<String> {
    text(own).or_else(|| wire.artifact.as_ref().and_then(|a| text(field(a))))
}

/// `type` → kind and direction.
fn kind_and_direction(call_type: Option<&wire::CallType>) -> (CallKind, Option<Direction>) {
    use wire::CallType as T;
    match call_type {
        Some(T::InboundPhoneCall) => (CallKind::Phone, Some(Direction::Inbound)),
        Some(T::OutboundPhoneCall) => (CallKind::Phone, Some(Direction::Outbound)),
        Some(T::WebCall | T::WebsocketCall) => (CallKind::Web, None),
        Some(T::Other(raw)) => (CallKind::Other(raw.clone()), None),
        // No type: nothing says otherwise, and most calls are phone calls.
        None => (CallKind::Phone, None),
    }
}

/// Utterances from `messages` (else `artifact.messages`), text from `transcript` (else
/// `artifact.transcript`); `None` when both are empty.
fn transcript(wire: &wire::Call) -> Option<Transcript> {
    let messages = wire
        .messages
        .as_deref()
        .filter(|m| !m.is_empty())
        .or_else(|| wire.artifact.as_ref().and_then(|a| a.messages.as_deref()))
        .unwrap_or_default();
    let transcript = Transcript {
        utterances: messages.iter().map(utterance).collect(),
        text: flattened(wire, &wire.transcript, |a| &a.transcript),
    };
    (!transcript.is_empty()).then_some(transcript)
}

/// Who speaks for a role; an unknown role is kept verbatim.
pub(crate) fn speaker(role: Option<&wire::Role>) -> Speaker {
    use wire::Role as R;
    match role {
        Some(R::Bot | R::Assistant) => Speaker::Agent,
        Some(R::User) => Speaker::Customer,
        Some(R::System) => Speaker::System,
        Some(R::ToolCalls | R::ToolCallResult) => Speaker::Tool,
        Some(R::Other(raw)) => Speaker::Other(raw.clone()),
        None => Speaker::Other(String::new()),
    }
}

/// One message as an utterance. Offsets: `start_secs = secondsFromStart`, `end_secs =
/// secondsFromStart + (endTime - time) / 1000` (both epoch milliseconds), `at = time`.
fn utterance(message: &wire::Message) -> Utterance {
    let is_result = matches!(message.role, Some(wire::Role::ToolCallResult));
    let text_of = if is_result {
        message.result.as_ref().and_then(value_text)
    } else {
        text(&message.message)
    };
    let mut utterance = Utterance::new(speaker(message.role.as_ref()), text_of);
    utterance.start_secs = finite(message.seconds_from_start);
    utterance.end_secs = match (utterance.start_secs, message.time, message.end_time) {
        // Rounded to the microsecond: drops float noise (3.9800000000000004).
        (Some(start), Some(time), Some(end)) if end >= time => {
            finite(Some(((start + (end - time) / 1000.0) * 1e6).round() / 1e6))
        }
        _ => None,
    };
    utterance.at = message.time.and_then(epoch_millis);
    let tool_calls = message.tool_calls.iter().flatten();
    utterance.tool_calls = tool_calls
        .map(|call| {
            let function = call.function.as_ref();
            ToolCall {
                id: text(&call.id),
                name: function.and_then(|f| text(&f.name)),
                arguments: function
                    .and_then(|f| f.arguments.as_ref())
                    .and_then(value_text),
            }
        })
        .collect();
    utterance.tool_result = is_result.then(|| ToolResult {
        tool_call_id: text(&message.tool_call_id),
        name: text(&message.name),
    });
    utterance
}

/// `recordingUrl`/`stereoRecordingUrl`, else the `artifact` ones; the expiry from S3
/// pre-signed URLs when they are.
fn recording(wire: &wire::Call) -> Option<Recording> {
    let mono = flattened(wire, &wire.recording_url, |a| &a.recording_url);
    let stereo = flattened(wire, &wire.stereo_recording_url, |a| {
        &a.stereo_recording_url
    });
    if mono.is_none() && stereo.is_none() {
        return None;
    }
    let urls = [mono.as_deref(), stereo.as_deref()];
    let expires_at = urls
        .into_iter()
        .flatten()
        .filter_map(presigned_expiry)
        .min();
    Some(Recording {
        mono_url: mono,
        stereo_url: stereo,
        expires_at,
    })
}

/// When an S3 (SigV4) pre-signed URL stops working: `X-Amz-Date` plus `X-Amz-Expires`.
// Rounded's recordings are S3 URLs too: a candidate for core's helpers.
pub(crate) fn presigned_expiry(url: &str) -> Option<DateTime<Utc>> {
    let (_, query) = url.split_once('?')?;
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.split_once('=').filter(|(k, _)| *k == name))
            .map(|(_, v)| v)
    };
    let signed = NaiveDateTime::parse_from_str(param("X-Amz-Date")?, "%Y%m%dT%H%M%SZ").ok()?;
    let seconds: i64 = param("X-Amz-Expires")?.parse().ok()?;
    let delta = chrono::TimeDelta::try_seconds(seconds)?;
    signed.and_utc().checked_add_signed(delta)
}

/// The cost in USD (Vapi documents USD): total from `cost` (else `costBreakdown.total`),
/// breakdown from `costBreakdown` (else from `costs[]`, summed per `type`).
fn cost(wire: &wire::Call) -> Option<Cost> {
    let (breakdown, costs) = (wire.cost_breakdown.as_ref(), wire.costs.as_deref());
    if wire.cost.is_none() && breakdown.is_none() && costs.is_none_or(<[_]>::is_empty) {
        return None;
    }
    let parts = breakdown.map(|b| [b.transport, b.stt, b.llm, b.tts, b.vapi]);
    let names = ["transport", "stt", "llm", "tts", "vapi"];
    let mut items = Vec::new();
    for (component, amount) in names.into_iter().zip(parts.unwrap_or_default()) {
        add(&mut items, component, amount);
    }
    if items.is_empty() {
        for entry in costs.unwrap_or_default() {
            add(
                &mut items,
                non_empty(&entry.cost_type).unwrap_or(""),
                entry.cost,
            );
        }
    }
    Some(Cost {
        total: wire.cost.or_else(|| breakdown.and_then(|b| b.total)),
        currency: Some("USD".to_owned()),
        breakdown: items,
    })
}

/// Adds `amount` to the item of `component` (a new one if need be); nothing without both.
fn add(items: &mut Vec<CostItem>, component: &str, amount: Option<f64>) {
    let Some(amount) = amount.filter(|_| !component.is_empty()) else {
        return;
    };
    match items.iter_mut().find(|i| i.component == component) {
        Some(item) => item.amount += amount,
        None => items.push(CostItem {
            component: component.to_owned(),
            amount,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SecondsFormat;
    use serde_json::json;

    fn wire_call(value: serde_json::Value) -> wire::Call {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn messages_become_utterances_with_offsets() {
        let call = map_call(wire_call(json!({
            "id": "c1",
            "type": "webCall",
            "messages": [
                {"role": "system", "message": "prompt", "time": 1773869872286u64, "secondsFromStart": 0},
                {"role": "bot", "message": "Hi", "time": 1773869873081u64, "endTime": 1773869876501u64,
                 "secondsFromStart": 0.48, "duration": 3420},
                {"role": "user", "message": "Where?", "time": 1.5e12, "secondsFromStart": 4.72},
                {"role": "tool_calls", "message": "", "time": 1773869881011u64, "secondsFromStart": 8.41,
                 "toolCalls": [{"id": "call_1", "type": "function",
                   "function": {"name": "lookup", "arguments": "{\"a\":1}"}},
                   {"function": {"name": "obj", "arguments": {"b": 2}}}]},
                {"role": "tool_call_result", "toolCallId": "call_1", "name": "lookup",
                 "result": "{\"ok\":true}", "secondsFromStart": 9.37},
                {"role": "narrator", "message": "?"}
            ]
        })));
        assert_eq!(call.kind, CallKind::Web);
        assert_eq!(call.direction, None);
        let t = call.transcript.unwrap();
        let speakers: Vec<_> = t.utterances.iter().map(|u| u.speaker.clone()).collect();
        assert_eq!(
            speakers,
            [
                Speaker::System,
                Speaker::Agent,
                Speaker::Customer,
                Speaker::Tool,
                Speaker::Tool,
                Speaker::Other("narrator".into())
            ]
        );
        let bot = &t.utterances[1];
        assert_eq!(bot.start_secs, Some(0.48));
        assert!(
            (bot.end_secs.unwrap() - 3.9).abs() < 1e-9,
            "{:?}",
            bot.end_secs
        );
        assert_eq!(
            bot.at.unwrap().to_rfc3339_opts(SecondsFormat::Millis, true),
            "2026-03-18T21:37:53.081Z"
        );
        assert_eq!(t.utterances[2].end_secs, None, "no endTime");
        let tools = &t.utterances[3];
        assert_eq!(tools.text, None);
        assert_eq!(tools.tool_calls.len(), 2);
        assert_eq!(tools.tool_calls[0].id.as_deref(), Some("call_1"));
        assert_eq!(tools.tool_calls[0].name.as_deref(), Some("lookup"));
        assert_eq!(tools.tool_calls[0].arguments.as_deref(), Some("{\"a\":1}"));
        assert_eq!(tools.tool_calls[1].arguments.as_deref(), Some("{\"b\":2}"));
        let result = &t.utterances[4];
        assert_eq!(result.text.as_deref(), Some("{\"ok\":true}"));
        let tr = result.tool_result.as_ref().unwrap();
        assert_eq!(tr.tool_call_id.as_deref(), Some("call_1"));
        assert_eq!(tr.name.as_deref(), Some("lookup"));
        assert_eq!(result.at, None);
    }

    #[test]
    fn artifact_fills_in_for_flattened_fields() {
        let call = map_call(wire_call(json!({
            "id": "c1",
            "messages": [],
            "artifact": {
                "messages": [{"role": "bot", "message": "Hello"}],
                "transcript": "AI: Hello",
                "recordingUrl": "https://x/mono.wav",
                "stereoRecordingUrl": "https://x/stereo.wav"
            },
            "analysis": {"summary": "S", "successEvaluation": 8, "structuredData": {"k": "v"}}
        })));
        let t = call.transcript.unwrap();
        assert_eq!(t.utterances.len(), 1);
        assert_eq!(t.text.as_deref(), Some("AI: Hello"));
        let rec = call.recording.unwrap();
        assert_eq!(rec.mono_url.as_deref(), Some("https://x/mono.wav"));
        assert_eq!(rec.stereo_url.as_deref(), Some("https://x/stereo.wav"));
        assert_eq!(rec.expires_at, None);
        assert_eq!(call.analysis.summary.as_deref(), Some("S"));
        assert_eq!(call.analysis.success_evaluation.as_deref(), Some("8"));
        assert_eq!(call.analysis.extracted.get("k"), Some(&json!("v")));
    }

    #[test]
    fn success_evaluation_accepts_scalars() {
        for (value, expected) in [
            (json!("true"), Some("true")),
            (json!(true), Some("true")),
            (json!(false), Some("false")),
            (json!(7.5), Some("7.5")),
            (json!("PASS"), Some("PASS")),
            (json!(null), None),
        ] {
            let call = map_call(wire_call(
                json!({"id": "c", "analysis": {"successEvaluation": value}}),
            ));
            assert_eq!(call.analysis.success_evaluation.as_deref(), expected);
        }
    }

    #[test]
    fn numbers_direction_agent_and_times() {
        let out = map_call(wire_call(json!({
            "id": "c", "type": "outboundPhoneCall", "customer": {"number": "+15125550173"},
            "assistantId": "a1", "orgId": "o1", "organizationId": "o2", "campaignId": "k",
            "createdAt": "2026-03-16T15:02:04.552Z", "startedAt": "2026-03-16T15:02:11.482Z",
            "endedAt": "2026-03-16T15:02:50.192Z", "schedulePlan": {"earliestAt": "2026-03-20T15:00:00Z"},
            "assistantOverrides": {"metadata": {"crm": 5}}
        })));
        assert_eq!(out.to.as_deref(), Some("+15125550173"));
        assert_eq!(out.from, None);
        assert_eq!(out.direction, Some(Direction::Outbound));
        assert_eq!(out.agent.unwrap().id.unwrap().as_str(), "a1");
        assert_eq!(out.organization_id.unwrap().as_str(), "o1");
        assert_eq!(out.campaign_id.unwrap().as_str(), "k");
        assert!((out.duration_secs.unwrap() - 38.71).abs() < 1e-9);
        assert!(out.scheduled_for.is_some());
        assert_eq!(out.metadata.get("crm"), Some(&json!(5)));

        let inbound = map_call(wire_call(json!({
            "id": "c", "type": "inboundPhoneCall", "customer": {"number": "+1"},
            "organizationId": "o2", "createdAt": "not a time", "startedAt": "2026-03-16T15:02:11",
            "endedAt": "2026-03-16T15:02:01Z"
        })));
        assert_eq!(inbound.from.as_deref(), Some("+1"));
        assert_eq!(inbound.to, None);
        assert_eq!(inbound.organization_id.unwrap().as_str(), "o2");
        assert_eq!(inbound.created_at, None, "unparseable is None");
        assert!(inbound.started_at.is_some(), "no offset reads as UTC");
        assert_eq!(inbound.duration_secs, None, "ended before it started");

        let other = map_call(wire_call(json!({"id": "c", "type": "smsChat"})));
        assert_eq!(other.kind, CallKind::Other("smsChat".into()));
        let ws = map_call(wire_call(json!({"id": "c", "type": "vapi.websocketCall"})));
        assert_eq!(ws.kind, CallKind::Web);
    }

    #[test]
    fn cost_from_breakdown_or_items() {
        let breakdown = map_call(wire_call(json!({
            "id": "c", "cost": 1.0,
            "costBreakdown": {"transport": 0.1, "stt": 0.2, "llm": 0.3, "tts": 0.4, "total": 1.0}
        })))
        .cost
        .unwrap();
        assert_eq!(breakdown.total, Some(1.0));
        assert_eq!(breakdown.currency.as_deref(), Some("USD"));
        let names: Vec<_> = breakdown
            .breakdown
            .iter()
            .map(|i| i.component.as_str())
            .collect();
        assert_eq!(names, ["transport", "stt", "llm", "tts"]);

        let items = map_call(wire_call(json!({
            "id": "c",
            "costs": [{"type": "vapi", "subType": "normal", "cost": 0.5},
                      {"type": "model", "cost": 0.25},
                      {"type": "vapi", "subType": "overage", "cost": 0.125},
                      {"cost": 9.0}]
        })))
        .cost
        .unwrap();
        assert_eq!(items.total, None);
        assert_eq!(items.breakdown.len(), 2);
        assert_eq!(items.breakdown[0].component, "vapi");
        assert_eq!(items.breakdown[0].amount, 0.625);

        let total_only = map_call(wire_call(json!({
            "id": "c", "costBreakdown": {"total": 2.5}
        })))
        .cost
        .unwrap();
        assert_eq!(total_only.total, Some(2.5));
        assert!(map_call(wire_call(json!({"id": "c"}))).cost.is_none());
    }

    #[test]
    fn presigned_expiry_is_read() {
        let url = "https://b.s3.amazonaws.com/r.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260317T191257Z&X-Amz-Expires=604800&X-Amz-Signature=ab";
        assert_eq!(
            presigned_expiry(url).unwrap().to_rfc3339(),
            "2026-03-24T19:12:57+00:00"
        );
        assert_eq!(presigned_expiry("https://x/r.wav"), None);
        assert_eq!(
            presigned_expiry("https://x/r?X-Amz-Date=bad&X-Amz-Expires=1"),
            None
        );
        assert_eq!(
            presigned_expiry(
                "https://x/r?X-Amz-Date=20260317T191257Z&X-Amz-Expires=99999999999999999"
            ),
            None
        );
    }
}
