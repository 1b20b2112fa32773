//! A wire call → the normalized [`Call`] (without its vendor payload: the codec attaches
//! that with `decode_call_with`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use voiceport_core::adapter::{
    AnyJson, check_call, elapsed_secs, non_blank, non_empty, parse_time, read_amount,
    read_direction, read_id, read_time, recording_at, seconds_between,
};
use voiceport_core::{
    AgentId, AgentRef, Call, CallId, CallKind, Cost, OrganizationId, Speaker, Transcript, Utterance,
};

use crate::config::KIND;
use crate::map::status::{StatusFields, status_of};
use crate::wire;

/// Maps a wire call to the normalized [`Call`].
pub(crate) fn map_call(wire: wire::Call<'_>) -> Call {
    let mut call = Call::new(CallId::new(wire.id), KIND);
    call.organization_id =
        read_id(&mut call, "organization_id", wire.organization_id).map(OrganizationId::new);
    call.kind = match wire.call_type {
        Some(wire::CallType::PhoneCall) | None => CallKind::Phone,
        Some(wire::CallType::WebCall) => CallKind::Web,
        // Through `parse`, as HappyRobot's: a type spelled as a unified kind (`phone`) is
        // that kind.
        Some(wire::CallType::Other(raw)) => CallKind::parse(&raw),
    };
    call.direction = read_direction(&mut call, "direction", wire.direction.as_deref());
    let redirect_secs = read_amount(
        &mut call,
        "redirect_duration_seconds",
        wire.redirect_duration_seconds,
    );
    (call.status, call.end_reason) = status_of(StatusFields {
        status: wire.status.as_ref(),
        answer_type: wire.answer_type.as_ref(),
        redirect_secs,
    });
    call.vendor_status = wire.status.map(|s| s.as_str().to_owned());
    call.from = wire.from_number.and_then(non_blank);
    call.to = wire.to_number.and_then(non_blank);
    call.agent = read_id(&mut call, "agent_id", wire.agent_id)
        .map(|id| AgentRef::new(Some(AgentId::new(id)), None));
    let started_at = read_time(&mut call, "start_time", wire.start_time.as_deref());
    call.started_at = started_at;
    // Rounded documents no creation time for calls. One it sends is used; otherwise the
    // start time stands in, as the list endpoint orders, filters and pages on it. A call
    // with neither (one that never connected) has none: `map::page` keeps such calls.
    let created_at = read_time(&mut call, "created_at", wire.created_at.as_deref());
    call.created_at = created_at.or(started_at);
    call.ended_at = read_time(&mut call, "end_time", wire.end_time.as_deref());
    // The call documents its duration; without one, its times give it, as with every vendor.
    call.duration_secs = read_amount(&mut call, "duration_seconds", wire.duration_seconds)
        .or_else(|| elapsed_secs(call.started_at, call.ended_at));
    call.cost = read_amount(&mut call, "cost", wire.cost)
        .map(|total| Cost::new(Some(total), None, Vec::new()));
    call.recording = recording_at(wire.recording_url, None);
    // Documented as an object; anything else is kept under one key.
    call.metadata = wire
        .metadata
        .map(|m| m.into_entries("metadata"))
        .unwrap_or_default();
    call.transcript = map_transcript(
        &mut call,
        wire.transcript.unwrap_or_default(),
        wire.transcript_string,
    );
    call.analysis.extracted = map_extracted(
        wire.variable_values.unwrap_or_default(),
        wire.post_call_answers.unwrap_or_default(),
    );
    check_call(&mut call, "id", "end_time");
    call
}

/// The transcript of `call` (whose `started_at` is set): an entry's unreadable time is
/// left out with a warning on the call.
fn map_transcript(
    call: &mut Call,
    entries: Vec<wire::TranscriptEntry<'_>>,
    text: Option<String>,
) -> Option<Transcript> {
    let call_start = call.started_at;
    let mut utterances = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let text = entry.start_text();
        let at = text.as_deref().and_then(parse_time);
        if at.is_none() && text.is_some() {
            // Only an unreadable time pays for its path (`read_time` warns, or skips a
            // blank one), not every entry.
            read_time(
                call,
                &format!("transcript[{i}].start_time"),
                text.as_deref(),
            );
        }
        drop(text);
        utterances.push(map_utterance(entry, at, call_start));
    }
    let text = text.filter(|t| !t.trim().is_empty());
    if utterances.is_empty() && text.is_none() {
        return None;
    }
    Some(Transcript::new(utterances, text))
}

/// One transcript entry, said at `at` (its `start_time`, read by the caller) → utterance;
/// `start_secs` is relative to the call's start when both are known (webhook entries come
/// without one).
pub(crate) fn map_utterance(
    entry: wire::TranscriptEntry<'_>,
    at: Option<DateTime<Utc>>,
    call_start: Option<DateTime<Utc>>,
) -> Utterance {
    let speaker = entry
        .role
        .as_ref()
        .map_or_else(|| Speaker::Other(String::new()), map_role);
    // Empty text is none, as every vendor's reads.
    let text = non_empty(entry.content.and_then(AnyJson::into_text));
    let mut utterance = Utterance::new(speaker, text);
    utterance.at = at;
    utterance.start_secs = at
        .zip(call_start)
        .map(|(at, start)| seconds_between(start, at));
    utterance
}

/// Transcript role → speaker (`user` documented, the rest inferred). Any other role goes
/// through [`Speaker::parse`], so that one spelled as a unified speaker (`customer`) is that
/// speaker, as it reads back once serialized.
fn map_role(role: &wire::Role) -> Speaker {
    use wire::Role as R;
    match role {
        R::User => Speaker::Customer,
        R::Agent | R::Assistant | R::Bot => Speaker::Agent,
        R::Tool | R::ToolCall | R::ToolResult | R::Function => Speaker::Tool,
        R::System => Speaker::System,
        R::Other(raw) => Speaker::parse(raw),
    }
}

/// Variables (`name` → `value`), then answered post-call questions (`question.name`, else
/// `question.id` → the answer). A post-call answer wins over a variable of the same name.
fn map_extracted(
    variables: Vec<wire::VariableValue>,
    answers: Vec<wire::PostCallAnswer<'_>>,
) -> BTreeMap<String, Value> {
    let mut extracted = BTreeMap::new();
    for variable in variables {
        if let Some(name) = variable.name.filter(|name| !name.is_empty()) {
            extracted.insert(name, variable.value.unwrap_or(Value::Null));
        }
    }
    for mut answer in answers {
        let Some(wire::Question {
            id,
            name,
            question_type,
        }) = answer.question.take()
        else {
            continue;
        };
        let key = name.filter(|n| !n.is_empty());
        let Some(key) = key.or(id.filter(|id| !id.is_empty())) else {
            continue;
        };
        let key = key.0.into_owned();
        let has_answer = answer.has_answer;
        let value = answer_value(answer, question_type.as_ref().map(|t| t.as_str()));
        let answered = has_answer.unwrap_or(value.is_some());
        if let (true, Some(value)) = (answered, value) {
            extracted.insert(key, value);
        }
    }
    extracted
}

/// The answer's value, moved out of it: the field its question's type names (`boolean`
/// the flag; `number`, `text` inferred), else text, else number, else flag, else the
/// selected options' values. The type decides first because a sender may fill the other
/// fields with their defaults (`"answer_text": ""` beside the flag of a yes/no question).
fn answer_value(
    mut answer: wire::PostCallAnswer<'_>,
    question_type: Option<&str>,
) -> Option<Value> {
    let is = |name: &str| question_type.is_some_and(|t| t.trim().eq_ignore_ascii_case(name));
    let typed = if is("boolean") {
        answer.answer_boolean.map(Value::Bool)
    } else if is("number") {
        answer.answer_number.take().map(Value::Number)
    } else if is("text") {
        answer.answer_text.take().map(Value::String)
    } else {
        None
    };
    if typed.is_some() {
        return typed;
    }
    if let Some(text) = answer.answer_text {
        return Some(Value::String(text));
    }
    if let Some(number) = answer.answer_number {
        return Some(Value::Number(number));
    }
    if let Some(flag) = answer.answer_boolean {
        return Some(Value::Bool(flag));
    }
    let options: Vec<Value> = answer
        .selected_options
        .into_iter()
        .flatten()
        .filter_map(|s| s.option?.value)
        .collect();
    (!options.is_empty()).then_some(Value::Array(options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::Direction;
    use voiceport_core::adapter::presigned_expiry;
    use voiceport_core::{CallStatus, NormalizationWarning, WarningKind};

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
            // Not a Rounded role, but a unified speaker's name: that speaker, so that it
            // reads back as it serializes.
            ("customer", Speaker::Customer),
        ];
        for (role, speaker) in table {
            let mapped = map_role(&wire::Role::parse(role));
            assert_eq!(mapped, speaker, "{role}");
            let back: Speaker =
                serde_json::from_value(serde_json::to_value(&mapped).unwrap()).unwrap();
            assert_eq!(back, mapped, "{role}");
        }
    }

    /// The reported `duration_seconds` first; without it, the call's times.
    #[test]
    fn the_duration_falls_back_to_the_times() {
        let times = json!({"id": "c", "start_time": "2026-03-23T17:58:40Z",
                           "end_time": "2026-03-23T17:59:24.5Z"});
        assert_eq!(map_json(times.clone()).duration_secs, Some(44.5));
        let mut reported = times;
        reported["duration_seconds"] = json!(44);
        assert_eq!(map_json(reported).duration_secs, Some(44.0));
        let unended = json!({"id": "c", "start_time": "2026-03-23T17:58:40Z"});
        assert_eq!(map_json(unended).duration_secs, None);
    }

    /// `value` decoded as Rounded's JSON text (the wire call borrows from it), then mapped.
    fn map_json(value: Value) -> Call {
        let text = value.to_string();
        map_call(serde_json::from_str(&text).unwrap())
    }

    /// An empty text is no value: no number, no recording.
    #[test]
    fn blank_texts_are_left_out() {
        let call = map_json(json!({
            "id": "c1", "recording_url": "", "from_number": "", "to_number": " "
        }));
        assert_eq!((call.from, call.to), (None, None));
        assert_eq!(call.recording, None);
    }

    /// A thousand unreadable entries are not a thousand warnings: the call keeps the
    /// first `MAX_WARNINGS` and counts the rest in one more.
    #[test]
    fn warnings_are_bounded() {
        let entries: Vec<_> = (0..1_000)
            .map(|_| json!({"role": "user", "start_time": "x", "content": "yo"}))
            .collect();
        let call = map_json(json!({
            "id": "c", "status": "completed", "start_time": "2026-03-23T18:04:11Z",
            "transcript": entries
        }));
        let utterances = call.transcript.as_ref().map_or(0, |t| t.utterances.len());
        assert_eq!(utterances, 1_000);
        assert_eq!(call.warnings.len(), voiceport_core::MAX_WARNINGS + 1);
        let counted = call.warnings.last().unwrap();
        assert_eq!(counted.kind, voiceport_core::WarningKind::TooMany);
        assert_eq!(
            counted.value,
            (1_000 - voiceport_core::MAX_WARNINGS).to_string()
        );
        assert_eq!(counted.field, "transcript[50].start_time");
    }

    #[test]
    fn impossible_values_are_dropped_with_a_warning() {
        let call = map_json(json!({
            "id": "", "agent_id": "", "organization_id": "",
            "status": "completed",
            "start_time": "2026-03-23T18:04:11Z", "end_time": "2026-03-23T18:03:11Z",
            "duration_seconds": -38, "redirect_duration_seconds": -5, "cost": -0.019
        }));
        assert_eq!(call.agent, None);
        assert_eq!(call.organization_id, None);
        assert!(call.started_at.is_some());
        assert_eq!(call.ended_at, None);
        assert_eq!(call.duration_secs, None);
        assert_eq!(call.cost, None);
        let fields: Vec<&str> = call.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "organization_id",
                "redirect_duration_seconds",
                "agent_id",
                "duration_seconds",
                "cost",
                "id",
                "end_time",
            ]
        );
        // A zero cost and duration, and an end at the start, are possible.
        let call = map_json(json!({
            "id": "c", "start_time": "2026-03-23T18:04:11Z", "end_time": "2026-03-23T18:04:11Z",
            "duration_seconds": 0, "cost": 0
        }));
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
        assert_eq!(call.cost.and_then(|c| c.total), Some(0.0));
    }

    #[test]
    fn call_fields_map() {
        let call = map_json(json!({
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
                {"role": "user", "start_time": "not a time", "content": "yo"},
                {"role": "agent", "start_time": 12.5, "content": "a number is no time"}
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
        }));
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
        // A time that is no ISO text leaves the utterance without one, with a warning,
        // rather than failing the call.
        assert_eq!(transcript.utterances[2].at, None);
        assert_eq!(call.warnings.len(), 2);
        assert_eq!(call.warnings[0].field, "transcript[1].start_time");
        assert_eq!(call.warnings[1].field, "transcript[2].start_time");
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
    fn times_borrow_the_body_and_read_escaped_text_too() {
        // `\u005A` is `Z`: an escaped time is copied, not refused.
        let text = r#"{"id": "x", "start_time": "2026-03-23T18:04:11\u005A",
            "transcript": [{"role": "user", "start_time": "2026-03-23T18:04:12\u005a", "content": "hi"}]}"#;
        let call = map_call(serde_json::from_str(text).unwrap());
        let expected: DateTime<Utc> = "2026-03-23T18:04:11Z".parse().unwrap();
        assert_eq!(call.started_at, Some(expected));
        let utterance = &call.transcript.as_ref().unwrap().utterances[0];
        assert_eq!(utterance.start_secs, Some(1.0));
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
        // A time that is not a string still fails the decode, as before.
        let error = serde_json::from_str::<wire::Call<'_>>(r#"{"id": "x", "end_time": 5}"#);
        assert!(error.unwrap_err().to_string().contains("expected a string"));
    }

    #[test]
    fn metadata_of_any_shape_is_kept() {
        let call = map_json(json!({"id": "x", "metadata": {"a": {"b": [1, null]}, "c": "d"}}));
        assert_eq!(call.metadata.get("a"), Some(&json!({"b": [1, null]})));
        assert_eq!(call.metadata.get("c"), Some(&json!("d")));
        for other in [json!([1, "two"]), json!(4.5), json!(-3), json!(true)] {
            let call = map_json(json!({"id": "x", "metadata": other.clone()}));
            assert_eq!(call.metadata.get("metadata"), Some(&other), "{other}");
        }
        // The last of two equal keys wins, as in a JSON tree.
        let call =
            map_call(serde_json::from_str(r#"{"id":"x","metadata":{"k":1,"k":2}}"#).unwrap());
        assert_eq!(call.metadata.get("k"), Some(&json!(2)));
    }

    /// A question's type picks the field that holds its answer, where the others carry
    /// defaults; without a type (or one not known), the first field that is set.
    #[test]
    fn an_answer_is_read_from_the_field_its_question_type_names() {
        let text = r#"{"id": "x", "post_call_answers": [
            {"question": {"name": "booked", "question_type": "boolean"}, "has_answer": true,
             "answer_text": "", "answer_number": 0, "answer_boolean": true},
            {"question": {"name": "count", "question_type": "number"}, "has_answer": true,
             "answer_text": "", "answer_number": 3, "answer_boolean": false},
            {"question": {"name": "note", "question_type": "text"}, "has_answer": true,
             "answer_text": "call back", "answer_number": 0},
            {"question": {"name": "untyped"}, "has_answer": true,
             "answer_text": "first", "answer_boolean": true},
            {"question": {"name": "other", "question_type": "rating"}, "has_answer": true,
             "answer_number": 4}
        ]}"#;
        let call = map_call(serde_json::from_str(text).unwrap());
        let extracted = &call.analysis.extracted;
        assert_eq!(extracted["booked"], json!(true));
        assert_eq!(extracted["count"], json!(3));
        assert_eq!(extracted["note"], json!("call back"));
        assert_eq!(extracted["untyped"], json!("first"));
        assert_eq!(extracted["other"], json!(4));
    }

    #[test]
    fn answer_keys_are_the_question_name_else_its_id_escapes_included() {
        let text = r#"{"id": "x", "post_call_answers": [
            {"question": {"name": "caf\u00e9", "id": "q1"}, "has_answer": true, "answer_boolean": true},
            {"question": {"name": "", "id": "q\"2"}, "has_answer": true, "answer_number": 3},
            {"question": {"name": null, "id": ""}, "has_answer": true, "answer_text": "lost"}
        ]}"#;
        let call = map_call(serde_json::from_str(text).unwrap());
        let keys: Vec<&str> = call.analysis.extracted.keys().map(String::as_str).collect();
        assert_eq!(keys, ["café", "q\"2"]);
    }

    #[test]
    fn odd_metadata_and_kinds() {
        let call = map_json(json!({"id": "x", "metadata": "text", "type": "sip_call"}));
        assert_eq!(call.metadata.get("metadata"), Some(&json!("text")));
        assert_eq!(call.kind, CallKind::Other("sip_call".into()));
        // A type spelled as a unified kind is that kind.
        for (raw, kind) in [
            ("phone", CallKind::Phone),
            ("web", CallKind::Web),
            ("chat", CallKind::Chat),
        ] {
            assert_eq!(
                map_json(json!({"id": "x", "type": raw})).kind,
                kind,
                "{raw}"
            );
        }
        let call = map_json(json!({"id": "x", "metadata": null, "direction": "sideways"}));
        assert!(call.metadata.is_empty());
        assert_eq!(call.kind, CallKind::Phone);
        assert_eq!(call.direction, None);
        // An unknown direction is not lost silently.
        let warning = NormalizationWarning::new(
            WarningKind::UnknownValue,
            "direction",
            "sideways",
            "not a known direction (inbound or outbound)",
        );
        assert_eq!(call.warnings, [warning]);
        assert_eq!(call.transcript, None);
        assert_eq!(call.status, CallStatus::Unknown);
    }

    #[test]
    fn unreadable_times_are_left_out_with_a_warning() {
        let call = map_json(json!({
            "id": "x",
            "start_time": "2026-03-23 18:04:11.000",
            "end_time": "2026-02-30T10:00:00Z",
            "created_at": "not a date",
            "transcript": [
                {"role": "agent", "start_time": "2026-03-23T18:04:12Z", "content": "hi"},
                {"role": "user", "start_time": "soon", "content": "yo"},
                {"role": "user", "start_time": "", "content": "blank is absent"}
            ]
        }));
        let expected: DateTime<Utc> = "2026-03-23T18:04:11Z".parse().unwrap();
        // The space-separated form reads, through core's one parser.
        assert_eq!(call.started_at, Some(expected));
        assert_eq!(call.ended_at, None);
        // An unreadable `created_at` falls back to the start time.
        assert_eq!(call.created_at, Some(expected));
        let warned: Vec<(&str, &str)> = call
            .warnings
            .iter()
            .map(|w| (w.field.as_str(), w.value.as_str()))
            .collect();
        assert_eq!(
            warned,
            [
                ("created_at", "not a date"),
                ("end_time", "2026-02-30T10:00:00Z"),
                ("transcript[1].start_time", "soon"),
            ]
        );
        let utterances = &call.transcript.as_ref().unwrap().utterances;
        assert_eq!(utterances[0].start_secs, Some(1.0));
        assert_eq!(utterances[1].at, None);
        assert_eq!(utterances[2].at, None);
    }

    #[test]
    fn a_call_that_never_connected_keeps_what_it_has() {
        // No start time: no creation time either, unless Rounded sends one.
        let call = map_json(json!({
            "id": "x", "status": "no_answer", "start_time": null,
            "end_time": "2026-03-24T10:15:31Z", "answer_type": null
        }));
        assert_eq!(call.started_at, None);
        assert_eq!(call.created_at, None);
        assert_eq!(call.ended_at, Some("2026-03-24T10:15:31Z".parse().unwrap()));
        assert_eq!(call.status, CallStatus::NoAnswer);
        assert!(call.warnings.is_empty());
        // A `created_at` (undocumented for calls) is used when sent, over the start time.
        let call = map_json(json!({
            "id": "x", "created_at": "2026-03-24T10:15:02Z", "start_time": "2026-03-24T10:15:09Z"
        }));
        assert_eq!(
            call.created_at,
            Some("2026-03-24T10:15:02Z".parse().unwrap())
        );
        assert_eq!(
            call.started_at,
            Some("2026-03-24T10:15:09Z".parse().unwrap())
        );
    }

    #[test]
    fn a_redirect_ends_a_completed_call_in_a_transfer() {
        let call = map_json(json!({
            "id": "x", "status": "completed", "answer_type": "human",
            "redirect_duration_seconds": 41
        }));
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.vendor_status.as_deref(), Some("completed"));
        assert_eq!(
            call.end_reason.map(|r| r.category),
            Some(voiceport_core::EndReasonCategory::Transferred)
        );
    }

    #[test]
    fn the_recording_expiry_comes_from_the_presigned_url() {
        let url = "https://rounded-call-recordings.s3.eu-west-3.amazonaws.com/o/c.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260324%2Feu-west-3%2Fs3%2Faws4_request&X-Amz-Date=20260324T091502Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=ab";
        let call = map_json(json!({"id": "x", "recording_url": url}));
        let recording = call.recording.unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some(url));
        assert_eq!(
            recording.expires_at,
            Some("2026-03-24T10:15:02Z".parse().unwrap())
        );

        let expiry = |url: &str| presigned_expiry(url).map(|t| t.to_rfc3339());
        assert_eq!(
            expiry("https://x/r?X-Amz-Expires=60&X-Amz-Date=20260324T235930Z#t=5").as_deref(),
            Some("2026-03-25T00:00:30+00:00")
        );
        for url in [
            "https://x/r.mp3",
            "<string>",
            "https://x/r?X-Amz-Date=20260324T091502Z",
            "https://x/r?X-Amz-Expires=3600",
            "https://x/r?X-Amz-Date=bad&X-Amz-Expires=1",
            "https://x/r?X-Amz-Date=20260324T091502Z&X-Amz-Expires=-5",
            "https://x/r?X-Amz-Date=20260324T091502Z&X-Amz-Expires=99999999999999999",
            "https://x/r?x-amz-date=20260324T091502Z&x-amz-expires=3600",
        ] {
            assert_eq!(presigned_expiry(url), None, "{url}");
        }
    }

    #[test]
    fn a_tool_entry_with_structured_content_keeps_it_as_json_text() {
        let call = map_json(json!({"id": "a", "transcript": [
            {"role": "tool_call", "content": {"name": "lookup_order", "arguments": {"order": "A-17"}}},
            {"role": "user", "content": null},
            {"role": "agent", "content": ""}
        ]}));
        let utterances = call.transcript.map(|t| t.utterances).unwrap_or_default();
        let texts: Vec<Option<&str>> = utterances.iter().map(|u| u.text.as_deref()).collect();
        // Empty text is none, as every vendor's reads.
        assert_eq!(
            texts,
            [
                Some(r#"{"arguments":{"order":"A-17"},"name":"lookup_order"}"#),
                None,
                None
            ]
        );
    }
}
