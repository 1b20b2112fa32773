//! A HappyRobot call (either generation) → `Call`, its transcript → `Transcript`, and the
//! recording endpoint's answer → `Recording`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::adapter::{
    decode_call_with, epoch_secs, finite, non_empty, parse_time, value_text,
};
use voiceport_core::http::decode_json;
use voiceport_core::{
    AgentId, AgentRef, Analysis, Call, CallId, CallKind, CampaignId, Classification, Cost,
    CostItem, Direction, EndReason, Note, NoteId, Operation, OrganizationId, Rating, Recording,
    Result, Speaker, ToolCall, ToolResult, Transcript, Utterance,
};

use super::status::status_of;
use crate::config::KIND;
use crate::wire;

/// Decodes the call object `raw` (at `path` in the body), maps it and keeps its JSON.
pub(crate) fn decode_call(operation: Operation, raw: &RawValue, path: &str) -> Result<Call> {
    decode_call_with(KIND, operation, raw, path, map_call)
}

fn time(text: &Option<String>) -> Option<chrono::DateTime<chrono::Utc>> {
    text.as_deref().and_then(parse_time)
}

/// A wire call → the normalized call (without its vendor payload, which the decoders attach).
pub(crate) fn map_call(wire: wire::Call) -> Call {
    let mut call = Call::new(CallId::new(wire.id), KIND);
    call.organization_id = wire.organization_id.map(OrganizationId::new);
    call.parent_call_id = wire.parent_call_id.map(CallId::new);
    call.campaign_id = wire.campaign_id.map(CampaignId::new);
    // The use case's name is not the call's name: HappyRobot calls have none.
    call.name = None;
    call.kind = match wire.provider {
        Some(wire::CallProvider::Twilio) | None => CallKind::Phone,
        Some(wire::CallProvider::Web) => CallKind::Web,
        Some(wire::CallProvider::Chat) => CallKind::Chat,
        Some(wire::CallProvider::Other(raw)) => CallKind::Other(raw),
    };
    call.direction = match wire.call_type {
        Some(wire::CallType::Inbound) => Some(Direction::Inbound),
        Some(wire::CallType::Outbound) => Some(Direction::Outbound),
        _ => None,
    };
    if let Some(status) = &wire.status {
        let (normalized, reason) = status_of(status);
        call.status = normalized;
        call.vendor_status = Some(status.as_str().to_owned());
        call.end_reason =
            reason.map(|category| EndReason::new(category, Some(status.as_str().to_owned())));
    }
    if let Some(metadata) = wire.metadata {
        call.from = metadata.from;
        call.to = metadata.to;
        call.tags = metadata.tags.unwrap_or_default();
        call.metadata = object_entries(metadata.custom, "custom");
    }
    call.agent = agent(wire.agent, wire.assistant);
    call.language = wire.language;
    call.created_at = time(&wire.created);
    call.scheduled_for = time(&wire.scheduled_for);
    call.started_at = time(&wire.started);
    call.duration_secs = finite(wire.duration);
    call.analysis = analysis(wire.extraction, wire.questions, wire.classification);
    call.notes = (wire.notes.unwrap_or_default().into_iter())
        .map(|note| Note {
            created_at: time(&note.created_at),
            id: NoteId::new(note.id.unwrap_or_default()),
            content: note.content.unwrap_or_default(),
            author: note.user_id,
            flagged: note.flagged.unwrap_or(false),
        })
        .collect();
    call.ratings = (wire.ratings.unwrap_or_default().into_iter())
        .filter_map(|rating| {
            Some(Rating {
                created_at: time(&rating.created),
                value: rating.emoji?,
                by: rating.email,
            })
        })
        .collect();
    call.cost = wire.costs.and_then(cost);
    call
}

/// An object's entries; a non-object value (other than `null`) is kept under `key`.
fn object_entries(value: Option<Value>, key: &str) -> BTreeMap<String, Value> {
    match value {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => map.into_iter().collect(),
        Some(other) => BTreeMap::from([(key.to_owned(), other)]),
    }
}

/// The current `agent`, else the older `assistant`.
fn agent(agent: Option<wire::AgentRef>, assistant: Option<wire::AgentRef>) -> Option<AgentRef> {
    let (id, name) = match (agent, assistant) {
        (Some(agent), _) if agent.id.is_some() || agent.name.is_some() => (agent.id, agent.name),
        (_, Some(assistant)) => (assistant.id, assistant.name),
        _ => (None, None),
    };
    (id.is_some() || name.is_some()).then(|| AgentRef {
        id: id.map(AgentId::new),
        name,
    })
}

/// `extraction` and the older `questions` both land in `extracted`.
fn analysis(
    extraction: Option<Value>,
    questions: Option<Vec<wire::Question>>,
    classification: Option<wire::Classification>,
) -> Analysis {
    let mut extracted = object_entries(extraction, "extraction");
    for question in questions.unwrap_or_default() {
        if let Some(text) = question.question {
            extracted.insert(text, question.answer.unwrap_or(Value::Null));
        }
    }
    Analysis {
        summary: None,
        success_evaluation: None,
        classification: classification.and_then(|c| {
            Some(Classification {
                tag: c.tag?,
                reasoning: c.reasoning,
            })
        }),
        extracted,
    }
}

fn cost(costs: wire::Costs) -> Option<Cost> {
    let sections = [
        ("voip", costs.voip.and_then(|c| c.total_cost)),
        ("transcriber", costs.transcriber.and_then(|c| c.total_cost)),
        ("llm", costs.llm.and_then(|c| c.total_cost)),
        ("tts", costs.tts.and_then(|c| c.total_cost)),
    ];
    let breakdown: Vec<CostItem> = (sections.into_iter())
        .filter_map(|(component, amount)| {
            Some(CostItem {
                component: component.to_owned(),
                amount: finite(amount)?,
            })
        })
        .collect();
    let total = finite(costs.total_costs);
    (total.is_some() || !breakdown.is_empty()).then_some(Cost {
        total,
        // HappyRobot does not state a currency.
        currency: None,
        breakdown,
    })
}

/// A wire transcript → the normalized transcript. `start`/`end` are read as seconds from
/// the call start (inferred, reference §1.3); `at` is `start_time + start`.
pub(crate) fn map_transcript(transcript: wire::Transcript) -> Transcript {
    let start_time = finite(transcript.start_time);
    map_messages(transcript.messages.unwrap_or_default(), start_time)
}

/// Messages (of a transcript or an `end` delivery) → a transcript; `start_time` is unix
/// seconds, when known.
pub(crate) fn map_messages(messages: Vec<wire::Message>, start_time: Option<f64>) -> Transcript {
    Transcript {
        utterances: (messages.into_iter())
            .map(|m| utterance(m, start_time))
            .collect(),
        text: None,
    }
}

fn speaker(role: Option<wire::Role>) -> Speaker {
    match role {
        Some(wire::Role::Assistant) => Speaker::Agent,
        Some(wire::Role::User) => Speaker::Customer,
        Some(wire::Role::System) => Speaker::System,
        Some(wire::Role::Tool) => Speaker::Tool,
        Some(wire::Role::Other(raw)) => Speaker::Other(raw),
        None => Speaker::Other(String::new()),
    }
}

fn utterance(message: wire::Message, start_time: Option<f64>) -> Utterance {
    let is_tool = matches!(message.role, Some(wire::Role::Tool));
    let start = finite(message.start);
    let text = non_empty(&message.content).map(str::to_owned);
    let mut utterance = Utterance::new(speaker(message.role), text);
    utterance.start_secs = start;
    utterance.end_secs = finite(message.end);
    utterance.at = start_time
        .zip(start)
        .and_then(|(base, at)| epoch_secs(base + at));
    utterance.tool_calls = (message.tool_calls.unwrap_or_default().into_iter())
        .map(|call| {
            let function = call.function.unwrap_or_default();
            ToolCall {
                id: call.id,
                name: function.name,
                arguments: function.arguments.as_ref().and_then(value_text),
            }
        })
        .collect();
    if is_tool || message.tool_call_id.is_some() {
        utterance.tool_result = Some(ToolResult {
            tool_call_id: message.tool_call_id,
            name: message.name,
        });
    }
    utterance
}

/// `GET /calls/{id}/recording` answers `{url}` or a bare JSON string.
#[derive(Deserialize)]
#[serde(untagged)]
enum RecordingBody {
    Url(Option<String>),
    Object {
        #[serde(default)]
        url: Option<String>,
    },
}

/// Decodes the recording endpoint's answer; a `null` or absent URL is no recording.
pub(crate) fn decode_recording(body: &[u8]) -> Result<Option<Recording>> {
    let parsed: RecordingBody = decode_json(KIND, Operation::GetRecording, body)?;
    let (RecordingBody::Url(url) | RecordingBody::Object { url }) = parsed;
    Ok(non_empty(&url).map(recording))
}

/// A recording at `url` (HappyRobot serves one mono file, with no stated expiry).
pub(crate) fn recording(url: &str) -> Recording {
    Recording {
        mono_url: Some(url.to_owned()),
        stereo_url: None,
        expires_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::Codec;
    use voiceport_core::testing::{DecoderCheck, corpus};

    fn call(value: Value) -> Call {
        crate::HappyRobotCodec
            .decode_call(value.to_string().as_bytes())
            .unwrap()
    }

    #[test]
    fn kind_direction_agent_and_extraction() {
        let c = call(json!({
            "id": "a", "provider": "Chat", "type": "Inbound",
            "assistant": {"id": "as1", "name": "Old"},
            "extraction": "free text",
            "questions": [{"question": "Q1", "answer": "A1"}, {"question": "Q2", "answer": null}],
            "classification": {"reasoning": "no tag"}
        }));
        assert_eq!(c.kind, CallKind::Chat);
        assert_eq!(c.direction, Some(Direction::Inbound));
        assert_eq!(
            c.agent.as_ref().and_then(|a| a.name.as_deref()),
            Some("Old")
        );
        assert_eq!(c.analysis.extracted["extraction"], json!("free text"));
        assert_eq!(c.analysis.extracted["Q1"], json!("A1"));
        assert_eq!(c.analysis.extracted["Q2"], Value::Null);
        assert!(c.analysis.classification.is_none());
        assert!(c.name.is_none());

        let c = call(json!({"id": "a", "provider": "Telnyx", "type": "Sideways",
            "agent": {"id": "ag", "name": null}, "assistant": {"id": "as"}}));
        assert_eq!(c.kind, CallKind::Other("Telnyx".into()));
        assert_eq!(c.direction, None);
        assert_eq!(c.agent.unwrap().id.unwrap().as_str(), "ag");
    }

    #[test]
    fn times_parse_leniently() {
        assert!(parse_time("2026-03-10T15:42:07.318Z").is_some());
        assert!(parse_time("2026-03-10T15:42:07+02:00").is_some());
        assert!(parse_time("2026-03-10T15:42:07").is_some());
        assert!(parse_time("2026-13-45T99:99:99Z").is_none());
        assert!(parse_time("").is_none());
        let c =
            call(json!({"id": "a", "created": "yesterday", "started": "2026-01-20T17:58:49.012Z"}));
        assert!(c.created_at.is_none());
        assert_eq!(
            c.started_at.unwrap().to_rfc3339(),
            "2026-01-20T17:58:49.012+00:00"
        );
        assert!(epoch_secs(f64::NAN).is_none());
        assert!(epoch_secs(1e300).is_none());
    }

    #[test]
    fn costs_map_to_total_and_sections() {
        let c = call(
            json!({"id": "a", "costs": {"total_costs": 0.5, "voip": {"total_cost": 0.1},
            "llm": {"input_cost": 0.2, "total_cost": 0.3}, "per-minute": {}}}),
        );
        let cost = c.cost.unwrap();
        assert_eq!(cost.total, Some(0.5));
        assert_eq!(cost.currency, None);
        let parts: Vec<(&str, f64)> = (cost.breakdown.iter())
            .map(|i| (i.component.as_str(), i.amount))
            .collect();
        assert_eq!(parts, vec![("voip", 0.1), ("llm", 0.3)]);
        assert!(call(json!({"id": "a", "costs": {}})).cost.is_none());
    }

    #[test]
    fn transcript_speakers_offsets_and_tools() {
        let t: wire::Transcript = serde_json::from_value(json!({
            "start_time": 1000,
            "messages": [
                {"role": "assistant", "content": "", "start": 1.5, "end": 2.0,
                 "tool_calls": [{"type": "function", "id": "t1", "function": {"name": "f", "arguments": {"a": 1}}}]},
                {"role": "tool", "content": "ok", "name": "f", "tool_call_id": "t1"},
                {"role": "narrator", "content": "x"},
                {"content": "no role"}
            ]
        }))
        .unwrap();
        let t = map_transcript(t);
        let u = &t.utterances;
        assert_eq!(u[0].speaker, Speaker::Agent);
        assert_eq!(u[0].text, None);
        assert_eq!(u[0].start_secs, Some(1.5));
        assert_eq!(u[0].at.unwrap().timestamp_millis(), 1_001_500);
        assert_eq!(u[0].tool_calls[0].arguments.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(
            u[1].tool_result,
            Some(ToolResult {
                tool_call_id: Some("t1".into()),
                name: Some("f".into())
            })
        );
        assert!(u[1].at.is_none());
        assert_eq!(u[2].speaker, Speaker::Other("narrator".into()));
        assert_eq!(u[3].speaker, Speaker::Other(String::new()));
    }

    #[test]
    fn recording_body_shapes() {
        let url = |b: &str| {
            decode_recording(b.as_bytes())
                .unwrap()
                .and_then(|r| r.mono_url)
        };
        assert_eq!(
            url(r#"{"url": "https://x/y.mp3"}"#).as_deref(),
            Some("https://x/y.mp3")
        );
        assert_eq!(
            url(r#""https://x/z.mp3""#).as_deref(),
            Some("https://x/z.mp3")
        );
        assert_eq!(url(r#"{"url": null}"#), None);
        assert_eq!(url("null"), None);
        assert!(decode_recording(b"[1]").is_err());
    }

    /// The recording decoder is crate-private, so its no-panic check lives here rather
    /// than in `tests/properties.rs`.
    #[test]
    fn recording_decoder_never_panics() {
        let check = DecoderCheck::new(KIND);
        let feed = |body: &[u8], what: &str| {
            if let Some(Some(recording)) = check.value(body, decode_recording(body), what) {
                assert!(recording.mono_url.is_some_and(|u| !u.is_empty()), "{what}");
            }
        };
        corpus::each_garbage(7, 500, feed);
        corpus::each_arbitrary(2026, 500, |v| vec![json!({"url": v}), v.clone()], feed);
        let fixtures = corpus::fixture_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/happyrobot"),
        );
        corpus::each_mutant(&fixtures, 1, 50, feed);
        corpus::each_truncation(&fixtures, |body, what| {
            check.refusing().value(body, decode_recording(body), what);
        });
    }
}
