//! A wire call → the normalized [`Call`] (without its vendor payload: the codec attaches
//! that with `decode_call_with`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use voiceport_core::adapter::{finite, non_empty, parse_time};
use voiceport_core::{
    AgentId, AgentRef, Call, CallId, CallKind, Cost, Direction, OrganizationId, Recording, Speaker,
    Transcript, Utterance,
};

use crate::config::KIND;
use crate::map::status::status_of;
use crate::wire;

/// Maps a wire call to the normalized [`Call`].
pub(crate) fn map_call(wire: wire::Call) -> Call {
    let mut call = Call::new(CallId::new(wire.id), KIND);
    call.organization_id = wire.organization_id.map(OrganizationId::new);
    call.kind = match wire.call_type {
        Some(wire::CallType::PhoneCall) | None => CallKind::Phone,
        Some(wire::CallType::WebCall) => CallKind::Web,
        Some(wire::CallType::Other(raw)) => CallKind::Other(raw),
    };
    call.direction = match wire.direction {
        Some(wire::Direction::Inbound) => Some(Direction::Inbound),
        Some(wire::Direction::Outbound) => Some(Direction::Outbound),
        _ => None,
    };
    (call.status, call.end_reason) = status_of(wire.status.as_ref(), wire.answer_type.as_ref());
    call.vendor_status = wire.status.map(|s| s.as_str().to_owned());
    call.from = wire.from_number;
    call.to = wire.to_number;
    call.agent = wire.agent_id.map(|id| AgentRef {
        id: Some(AgentId::new(id)),
        name: None,
    });
    let started_at = wire.start_time.as_deref().and_then(parse_time);
    call.started_at = started_at;
    // Rounded has no creation time: the start time stands in for it.
    call.created_at = started_at;
    call.ended_at = wire.end_time.as_deref().and_then(parse_time);
    call.duration_secs = finite(wire.duration_seconds);
    call.cost = finite(wire.cost).map(|total| Cost {
        total: Some(total),
        currency: None,
        breakdown: Vec::new(),
    });
    call.recording = wire.recording_url.map(|url| Recording {
        mono_url: Some(url),
        stereo_url: None,
        expires_at: None,
    });
    call.metadata = match wire.metadata {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => map.into_iter().collect(),
        // Documented as an object; anything else is kept under one key.
        Some(other) => BTreeMap::from([("metadata".to_owned(), other)]),
    };
    call.transcript = map_transcript(
        wire.transcript.unwrap_or_default(),
        wire.transcript_string,
        started_at,
    );
    call.analysis.extracted = map_extracted(
        wire.variable_values.unwrap_or_default(),
        wire.post_call_answers.unwrap_or_default(),
    );
    call
}

fn map_transcript(
    entries: Vec<wire::TranscriptEntry>,
    text: Option<String>,
    call_start: Option<DateTime<Utc>>,
) -> Option<Transcript> {
    let utterances: Vec<Utterance> = entries
        .into_iter()
        .map(|entry| map_utterance(entry, call_start))
        .collect();
    let text = text.filter(|t| !t.trim().is_empty());
    if utterances.is_empty() && text.is_none() {
        return None;
    }
    Some(Transcript { utterances, text })
}

/// One transcript entry → utterance; `start_secs` is relative to the call's start when
/// both times parse (webhook entries come without one).
pub(crate) fn map_utterance(
    entry: wire::TranscriptEntry,
    call_start: Option<DateTime<Utc>>,
) -> Utterance {
    let speaker = entry
        .role
        .as_ref()
        .map_or_else(|| Speaker::Other(String::new()), map_role);
    let at = entry.start_time.as_deref().and_then(parse_time);
    let mut utterance = Utterance::new(speaker, entry.content);
    utterance.at = at;
    utterance.start_secs = at
        .zip(call_start)
        .map(|(at, start)| seconds_between(start, at));
    utterance
}

/// Transcript role → speaker (`user` documented, the rest inferred).
fn map_role(role: &wire::Role) -> Speaker {
    use wire::Role as R;
    match role {
        R::User => Speaker::Customer,
        R::Agent | R::Assistant | R::Bot => Speaker::Agent,
        R::Tool | R::ToolCall | R::ToolResult | R::Function => Speaker::Tool,
        R::System => Speaker::System,
        R::Other(raw) => Speaker::Other(raw.clone()),
    }
}

fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    let delta = to - from;
    let millis = || delta.num_milliseconds() as f64 / 1e3;
    delta
        .num_microseconds()
        .map_or_else(millis, |micros| micros as f64 / 1e6)
}

/// Variables (`name` → `value`), then answered post-call questions (`question.name`, else
/// `question.id` → the answer). A post-call answer wins over a variable of the same name.
fn map_extracted(
    variables: Vec<wire::VariableValue>,
    answers: Vec<wire::PostCallAnswer>,
) -> BTreeMap<String, Value> {
    let mut extracted = BTreeMap::new();
    for variable in variables {
        if let Some(name) = non_empty(&variable.name) {
            extracted.insert(name.to_owned(), variable.value.unwrap_or(Value::Null));
        }
    }
    for answer in answers {
        let key = answer
            .question
            .as_ref()
            .and_then(|q| non_empty(&q.name).or(non_empty(&q.id)));
        let Some(key) = key else {
            continue;
        };
        let value = answer_value(&answer);
        let answered = answer.has_answer.unwrap_or(value.is_some());
        if let (true, Some(value)) = (answered, value) {
            extracted.insert(key.to_owned(), value);
        }
    }
    extracted
}

fn answer_value(answer: &wire::PostCallAnswer) -> Option<Value> {
    if let Some(text) = &answer.answer_text {
        return Some(Value::String(text.clone()));
    }
    if let Some(number) = &answer.answer_number {
        return Some(Value::Number(number.clone()));
    }
    if let Some(flag) = answer.answer_boolean {
        return Some(Value::Bool(flag));
    }
    let options: Vec<Value> = answer
        .selected_options
        .iter()
        .flatten()
        .filter_map(|s| s.option.as_ref()?.value.clone())
        .collect();
    (!options.is_empty()).then_some(Value::Array(options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::CallStatus;

    #[test]
    fn roles_map_to_speakers() {
        let table = [
            ("user", Speaker::Customer),
            ("agent", Speaker::Agent),
            ("assistant", Speaker::Agent),
            ("bot", Speaker::Agent),
            ("tool", Speaker::Tool),
            ("tool_call", Speaker::Tool),
            ("tool_result", Speaker::Tool),
            ("function", Speaker::Tool),
            ("system", Speaker::System),
            ("narrator", Speaker::Other("narrator".into())),
        ];
        for (role, speaker) in table {
            assert_eq!(map_role(&wire::Role::parse(role)), speaker, "{role}");
        }
    }

    fn wire_call(value: Value) -> wire::Call {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn call_fields_map() {
        let call = map_call(wire_call(json!({
            "id": "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3",
            "organization_id": "org",
            "type": "web_call",
            "agent_id": "agent",
            "status": "completed",
            "metadata": {"a": 1},
            "start_time": "2026-03-23T18:04:11Z",
            "end_time": "2026-03-23T18:04:49.5Z",
            "duration_seconds": 38,
            "cost": 0.019,
            "transcript_string": "Agent: hi",
            "transcript": [
                {"role": "agent", "start_time": "2026-03-23T18:04:12.250Z", "content": "hi"},
                {"role": "user", "start_time": "not a time", "content": "yo"}
            ],
            "variable_values": [{"name": "x", "type": "number", "value": 2}],
            "post_call_answers": [
                {"question": {"name": "q1"}, "has_answer": true, "answer_boolean": false},
                {"question": {"id": "q2-id"}, "has_answer": true, "answer_number": 4.5},
                {"question": {"name": "q3"}, "has_answer": true,
                 "selected_options": [{"option": {"id": "o1", "value": "red"}}, {"option": {"value": "blue"}}]},
                {"question": {"name": "q4"}, "has_answer": false, "answer_text": null},
                {"question": {"name": "x"}, "has_answer": true, "answer_text": "wins"}
            ],
            "direction": "inbound",
            "recording_url": "https://example.com/r.mp3"
        })));
        assert_eq!(call.kind, CallKind::Web);
        assert_eq!(call.direction, Some(Direction::Inbound));
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.vendor_status.as_deref(), Some("completed"));
        assert_eq!(call.created_at, call.started_at);
        // `duration_seconds` as given, even where the timestamps are 38.5 s apart.
        assert_eq!(call.duration_secs, Some(38.0));
        assert_eq!(call.cost.as_ref().and_then(|c| c.total), Some(0.019));
        assert_eq!(call.metadata.get("a"), Some(&json!(1)));
        let transcript = call.transcript.as_ref().unwrap();
        assert_eq!(transcript.text.as_deref(), Some("Agent: hi"));
        assert_eq!(transcript.utterances[0].speaker, Speaker::Agent);
        assert_eq!(transcript.utterances[0].start_secs, Some(1.25));
        assert_eq!(transcript.utterances[1].start_secs, None);
        assert_eq!(transcript.utterances[1].at, None);
        let extracted = &call.analysis.extracted;
        assert_eq!(extracted.get("q1"), Some(&json!(false)));
        assert_eq!(extracted.get("q2-id"), Some(&json!(4.5)));
        assert_eq!(extracted.get("q3"), Some(&json!(["red", "blue"])));
        assert_eq!(extracted.get("q4"), None);
        assert_eq!(extracted.get("x"), Some(&json!("wins")));
        assert_eq!(
            call.recording.as_ref().and_then(|r| r.mono_url.as_deref()),
            Some("https://example.com/r.mp3")
        );
    }

    #[test]
    fn odd_metadata_and_kinds() {
        let call = map_call(wire_call(
            json!({"id": "x", "metadata": "text", "type": "sip_call"}),
        ));
        assert_eq!(call.metadata.get("metadata"), Some(&json!("text")));
        assert_eq!(call.kind, CallKind::Other("sip_call".into()));
        let call = map_call(wire_call(
            json!({"id": "x", "metadata": null, "direction": "sideways"}),
        ));
        assert!(call.metadata.is_empty());
        assert_eq!(call.kind, CallKind::Phone);
        assert_eq!(call.direction, None);
        assert_eq!(call.transcript, None);
        assert_eq!(call.status, CallStatus::Unknown);
    }

    #[test]
    fn timestamps_parse_leniently() {
        // Rounded's forms, through the core's one parser.
        let expected: DateTime<Utc> = "2026-03-23T18:04:11Z".parse().unwrap();
        assert_eq!(parse_time("2026-03-23T18:04:11Z"), Some(expected));
        assert_eq!(parse_time("2026-03-23T19:04:11+01:00"), Some(expected));
        assert_eq!(parse_time("2026-03-23T18:04:11"), Some(expected));
        assert_eq!(parse_time("2026-03-23 18:04:11.000"), Some(expected));
        assert_eq!(parse_time("2026-13-45T99:99:99Z"), None);
        assert_eq!(parse_time(""), None);
    }
}
