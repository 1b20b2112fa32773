//! A HappyRobot call (either generation) → `Call`, its transcript → `Transcript`, and the
//! recording endpoint's answer → `Recording`.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::adapter::{
    AnyJson, Text, check_call, decode_call_with, epoch_by_size, finite, non_blank, non_empty,
    read_amount, read_id, read_time_at, recording_at, seconds_between, shorten, time_after,
    value_text,
};
use voiceport_core::http::decode_json;
use voiceport_core::{
    AgentId, AgentRef, Analysis, Call, CallId, CallKind, CampaignId, Classification, Cost,
    CostCategory, CostItem, Direction, Error, Note, NoteId, Operation, OrganizationId, Rating,
    Recording, Result, Speaker, ToolCall, ToolResult, Transcript, Utterance, WarningKind,
};

use super::status::status_of;
use crate::config::KIND;
use crate::wire;

/// Decodes the call object `raw` (at `path` in the body), maps it and keeps its JSON.
pub(crate) fn decode_call(operation: Operation, raw: &RawValue, path: &str) -> Result<Call> {
    decode_call_with(KIND, operation, raw, path, map_call)
}

/// A wire call → the normalized call (without its vendor payload, which the decoders attach).
pub(crate) fn map_call(wire: wire::Call<'_>) -> Call {
    let mut call = Call::new(CallId::new(wire.id), KIND);
    call.organization_id =
        read_id(&mut call, "organization_id", wire.organization_id).map(OrganizationId::new);
    call.parent_call_id =
        read_id(&mut call, "parent_call_id", wire.parent_call_id).map(CallId::new);
    call.campaign_id = read_id(&mut call, "campaign_id", wire.campaign_id).map(CampaignId::new);
    // The use case's name is not the call's name: HappyRobot calls have none.
    call.name = None;
    // `provider` names the carrier of a phone call (`Twilio`) or the medium of another.
    let number = |n: &Option<String>| n.as_deref().and_then(non_blank).is_some();
    let numbered = (wire.metadata.as_ref()).is_some_and(|m| number(&m.from) || number(&m.to));
    call.kind = match wire.provider {
        Some(wire::CallProvider::Twilio) | None => CallKind::Phone,
        Some(wire::CallProvider::Web) => CallKind::Web,
        Some(wire::CallProvider::Chat) => CallKind::Chat,
        // Through `parse`: a provider spelled as a unified kind (`phone`) is that kind. A
        // carrier named since (`Telnyx`) carries a phone call, which has its numbers.
        Some(wire::CallProvider::Other(raw)) => match CallKind::parse(&raw) {
            CallKind::Other(_) if numbered => CallKind::Phone,
            kind => kind,
        },
    };
    call.direction = match wire.call_type {
        Some(wire::CallType::Inbound) => Some(Direction::Inbound),
        Some(wire::CallType::Outbound) => Some(Direction::Outbound),
        _ => None,
    };
    if let Some(status) = &wire.status {
        let transfer_contact = wire.transfer_contact_email.as_deref();
        (call.status, call.end_reason) = status_of(status, transfer_contact);
        call.vendor_status = Some(status.as_str().to_owned());
    }
    if let Some(metadata) = wire.metadata {
        call.from = metadata.from.and_then(non_blank);
        call.to = metadata.to.and_then(non_blank);
        call.tags = metadata.tags.unwrap_or_default();
        call.metadata = metadata
            .custom
            .map(|c| c.into_entries("custom"))
            .unwrap_or_default();
    }
    call.agent = agent(
        &mut call,
        [
            ("use_case.id", wire.use_case),
            ("assistant.id", wire.assistant),
            // The persona's id is no use case's: its name alone is taken.
            (
                "agent.id",
                wire.agent.map(|persona| wire::AgentRef {
                    id: None,
                    ..persona
                }),
            ),
        ],
    );
    call.language = wire.language.and_then(non_blank);
    call.created_at = time(&mut call, || "created".into(), wire.created);
    call.scheduled_for = time(&mut call, || "scheduled_for".into(), wire.scheduled_for);
    call.started_at = time(&mut call, || "started".into(), wire.started);
    call.duration_secs = read_amount(&mut call, "duration", wire.duration);
    // Older calls say when they connected and for how long; the end follows. A live call's
    // duration (if any) is still growing, so it gives no end.
    if !call.status.is_live() {
        call.ended_at = call.started_at.zip(call.duration_secs).and_then(ended_at);
    }
    call.analysis = analysis(wire.extraction, wire.questions, wire.classification);
    let notes = wire.notes.unwrap_or_default().into_iter().enumerate();
    for (i, note) in notes {
        let field = || format!("notes[{i}].created_at");
        let created_at = time(&mut call, field, note.created_at);
        // Kept (a note has no other id), but no request can name it: said whether the id is
        // blank or missing.
        if let Some(id) = note
            .id
            .as_deref()
            .map_or(Some(""), |id| id.trim().is_empty().then_some(id))
        {
            let problem = match note.id {
                Some(_) => "an empty note id",
                None => "a note without an id",
            };
            call.warn(WarningKind::EmptyId, format!("notes[{i}].id"), id, problem);
        }
        let id = NoteId::new(note.id.unwrap_or_default());
        let mut kept = Note::new(id, note.content.unwrap_or_default());
        kept.author = note.user_id;
        kept.flagged = note.flagged.unwrap_or(false);
        kept.created_at = created_at;
        call.notes.push(kept);
    }
    let ratings = wire.ratings.unwrap_or_default().into_iter().enumerate();
    for (i, rating) in ratings {
        let Some(value) = rating.emoji else { continue };
        let field = || format!("ratings[{i}].created");
        let created_at = time(&mut call, field, rating.created);
        let mut kept = Rating::new(value);
        kept.by = rating.email;
        kept.created_at = created_at;
        call.ratings.push(kept);
    }
    call.cost = wire.costs.and_then(|costs| cost(&mut call, costs));
    // The end is derived from the start and a non-negative duration, so only the id can
    // be impossible here.
    check_call(&mut call, "id", "duration");
    call
}

/// A call-level timestamp at `field`, read with [`read_time_at`]: a value that is not a
/// readable date-time string (a number, an object, `"2026-02-30…"`) leaves the field empty
/// and a warning on the call, never a failed decode. The field's name is only built for a
/// warning (most are paths with an index).
fn time(
    call: &mut Call,
    field: impl FnOnce() -> String,
    value: Option<AnyJson<'_>>,
) -> Option<DateTime<Utc>> {
    match value {
        None | Some(AnyJson::Other(Value::Null)) => None,
        // Unreadable (a warning) or blank (none): `read_time_at` decides.
        Some(AnyJson::Text(text)) => read_time_at(call, Some(&text), field),
        Some(other) => {
            let text = shorten(&other.into_value().to_string());
            call.warn(WarningKind::NotATime, field(), text, "not a date and time");
            None
        }
    }
}

/// `started + duration`, when the duration is a plausible length (not negative, under a
/// year).
pub(crate) fn ended_at((started, duration): (DateTime<Utc>, f64)) -> Option<DateTime<Utc>> {
    if !(0.0..31_536_000.0).contains(&duration) {
        return None;
    }
    let millis = (duration * 1000.0).round() as i64;
    started.checked_add_signed(TimeDelta::try_milliseconds(millis)?)
}

/// The first of `use_case`, the older `assistant` and `agent` that names something (each
/// with the path of its id; `agent` comes without its id); a blank id is left out with a
/// warning on the call.
///
/// The use case is what runs the conversation (the older generation called it the
/// assistant); `agent` is only the voice persona it speaks with. The use case is also what
/// the `use_cases` list filter (the normalized agent filter) matches, and what a dial's
/// agent is sent as (`use_case_id`). A persona's id is an id of another resource (`GET
/// /agents`), which neither takes: a call that names only its persona gets the persona's
/// name and no agent id (the id stays in the vendor payload, `agent.id`), so that an agent
/// id read from a call always finds that call again.
///
/// Only the candidate chosen is copied.
fn agent(call: &mut Call, candidates: [(&str, Option<wire::AgentRef<'_>>); 3]) -> Option<AgentRef> {
    for (id_field, found) in candidates {
        let Some(found) = found else { continue };
        // A candidate whose only id is blank (warned of) gives way to the next one.
        let id = found.id.map(Text::into_owned);
        let id = read_id(call, id_field, id).map(AgentId::new);
        let name = non_empty(found.name.map(Text::into_owned));
        if id.is_some() || name.is_some() {
            return Some(AgentRef::new(id, name));
        }
    }
    None
}

/// `extraction` and the older `questions` both land in `extracted`.
fn analysis(
    extraction: Option<AnyJson<'_>>,
    questions: Option<Vec<wire::Question>>,
    classification: Option<wire::Classification>,
) -> Analysis {
    let mut extracted = extraction
        .map(|e| e.into_entries("extraction"))
        .unwrap_or_default();
    for question in questions.unwrap_or_default() {
        if let Some(text) = question.question {
            extracted.insert(text, question.answer.unwrap_or(Value::Null));
        }
    }
    let mut analysis = Analysis::default();
    analysis.classification = classification.and_then(|c| {
        Some(Classification::new(
            non_empty(c.tag)?,
            non_empty(c.reasoning),
        ))
    });
    analysis.extracted = extracted;
    analysis
}

/// The costs: `total_costs` and each known section's `total_cost` (the component, the
/// section's path and its total's path, for warnings). Their shape is undocumented, so
/// what does not have the expected shape or type (and an impossible amount: negative, not
/// finite) is left out with a warning, never a failed decode.
fn cost(call: &mut Call, costs: &RawValue) -> Option<Cost> {
    // `null` is no cost; another shape is no cost, with a warning.
    let costs = object::<wire::Costs<'_>>(call, "costs", costs)??;
    use CostCategory::{Llm, Speech, Telephony, Transcription};
    let sections = [
        (
            "voip",
            Telephony,
            costs.voip,
            "costs.voip",
            "costs.voip.total_cost",
        ),
        (
            "transcriber",
            Transcription,
            costs.transcriber,
            "costs.transcriber",
            "costs.transcriber.total_cost",
        ),
        ("llm", Llm, costs.llm, "costs.llm", "costs.llm.total_cost"),
        (
            "tts",
            Speech,
            costs.tts,
            "costs.tts",
            "costs.tts.total_cost",
        ),
    ];
    let mut breakdown = Vec::with_capacity(sections.len());
    for (component, category, section, section_field, field) in sections {
        let Some(Some(section)) =
            section.and_then(|raw| object::<wire::CostSection<'_>>(call, section_field, raw))
        else {
            continue;
        };
        if let Some(amount) = amount(call, field, section.total_cost) {
            breakdown.push(CostItem::new(component, amount).with_category(category));
        }
    }
    let total = amount(call, "costs.total_costs", costs.total_costs);
    // HappyRobot does not state a currency.
    (total.is_some() || !breakdown.is_empty()).then_some(Cost::new(total, None, breakdown))
}

/// The object `raw` at `field` read as `T`: `None` for `null`; `Some(None)` with a warning
/// when it is not an object.
fn object<'a, T: Deserialize<'a>>(
    call: &mut Call,
    field: &str,
    raw: &'a RawValue,
) -> Option<Option<T>> {
    let text = raw.get();
    if text == "null" {
        return None;
    }
    // Only an object reads as `T` (a struct of optional fields): anything else is the
    // wrong shape, whatever `T` would make of it.
    match text
        .starts_with('{')
        .then(|| serde_json::from_str::<T>(text).ok())
    {
        Some(Some(read)) => Some(Some(read)),
        _ => {
            call.warn(
                WarningKind::WrongShape,
                field,
                shorten(text),
                "not an object",
            );
            Some(None)
        }
    }
}

/// A cost amount at `field`, read with [`read_amount`]; a value that is not a number is
/// left out with a warning.
fn amount(call: &mut Call, field: &str, raw: Option<&RawValue>) -> Option<f64> {
    let text = raw?.get();
    if text == "null" {
        return None;
    }
    match serde_json::from_str::<f64>(text) {
        Ok(number) => read_amount(call, field, Some(number)),
        Err(_) => {
            call.warn(
                WarningKind::NotANumber,
                field,
                shorten(text),
                "not a number",
            );
            None
        }
    }
}

/// A wire transcript → the normalized transcript; `at` is the wall-clock time of each
/// message, `start_secs` / `end_secs` its offsets from `start_time` (see [`moment`] for how
/// the two docs generations' units are told apart).
pub(crate) fn map_transcript(transcript: wire::Transcript<'_>) -> Transcript {
    let start = finite(transcript.start_time).and_then(|at| match moment(at)? {
        Moment::At(at) => Some(at),
        // A call that started a few seconds after 1970 is no start time.
        Moment::Offset(_) => None,
    });
    map_messages(transcript.messages.unwrap_or_default(), start)
}

/// Messages (of a transcript or an `end` delivery) → a transcript; `start` is when the call
/// started, when known.
pub(crate) fn map_messages(
    messages: Vec<wire::Message<'_>>,
    start: Option<DateTime<Utc>>,
) -> Transcript {
    let utterances = (messages.into_iter()).map(|m| utterance(m, start));
    Transcript::new(utterances.collect(), None)
}

/// Transcript times at or above this are unix times (in seconds, 2001-09-09); below,
/// offsets. Their unit is read by their size, as core's `epoch_by_size` reads it
/// (milliseconds from 10^11, microseconds from 10^14).
const UNIX_SECONDS_FROM: f64 = 1e9;

/// A transcript time, read by its size: one docs generation gives message `start` / `end`
/// as seconds from the call start, another as unix times (docs/vendors/happyrobot.md). No
/// call lasts the 31 years an offset of 10⁹ seconds would be, and no call took place before
/// 2001, so the two ranges cannot be confused.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// Seconds from the call start.
    Offset(f64),
    /// A wall-clock time.
    At(DateTime<Utc>),
}

/// `None` for a value of a unix time's size that is no date (`1e25`): no offset either.
fn moment(value: f64) -> Option<Moment> {
    match value >= UNIX_SECONDS_FROM {
        true => epoch_by_size(value).map(Moment::At),
        false => Some(Moment::Offset(value)),
    }
}

/// `value` as (seconds from the call start, wall-clock time), each where it can be known.
fn offset_and_time(
    value: Option<f64>,
    start: Option<DateTime<Utc>>,
) -> (Option<f64>, Option<DateTime<Utc>>) {
    match finite(value).and_then(moment) {
        None => (None, None),
        Some(Moment::Offset(secs)) => (Some(secs), start.and_then(|start| time_after(start, secs))),
        Some(Moment::At(at)) => {
            let secs = start.map(|start| seconds_between(start, at));
            (secs, Some(at))
        }
    }
}

fn speaker(role: Option<wire::Role>) -> Speaker {
    match role {
        Some(wire::Role::Assistant) => Speaker::Agent,
        Some(wire::Role::User) => Speaker::Customer,
        Some(wire::Role::System) => Speaker::System,
        Some(wire::Role::Tool) => Speaker::Tool,
        Some(wire::Role::Other(raw)) => Speaker::parse(&raw),
        None => Speaker::Other(String::new()),
    }
}

fn utterance(message: wire::Message<'_>, start: Option<DateTime<Utc>>) -> Utterance {
    let is_tool = matches!(message.role, Some(wire::Role::Tool));
    // Non-text content (a tool's object result) is kept as its JSON text.
    let text = (message.content.and_then(AnyJson::into_text)).filter(|t| !t.is_empty());
    let mut utterance = Utterance::new(speaker(message.role), text);
    (utterance.start_secs, utterance.at) = offset_and_time(message.start, start);
    (utterance.end_secs, _) = offset_and_time(message.end, start);
    // The assistant's turn that only calls tools (no words) becomes a tool turn.
    utterance.set_tool_calls(
        (message.tool_calls.unwrap_or_default().into_iter())
            .map(|call| {
                let function = call.function.unwrap_or_default();
                ToolCall::new(
                    call.id,
                    function.name,
                    function.arguments.as_ref().and_then(value_text),
                )
            })
            .collect(),
    );
    if is_tool || message.tool_call_id.is_some() {
        utterance.tool_result = Some(ToolResult::new(message.tool_call_id, message.name));
    }
    utterance
}

/// `GET /calls/{id}/recording` answers `{url}` or a bare JSON string (*inferred*: the
/// endpoint's shape is not documented).
#[derive(Deserialize)]
#[serde(untagged)]
#[serde(expecting = "a recording URL, or an object with a `url`")]
enum RecordingBody {
    Url(Option<String>),
    Object {
        /// `None`: the object has no `url` key at all; `Some(None)`: `"url": null`.
        #[serde(default, deserialize_with = "present")]
        url: Option<Option<String>>,
    },
}

/// A key that is there, `null` or not.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Decodes the recording endpoint's answer; a `null` URL is no recording. An object
/// without `url` is a decode error rather than no recording: the shape is inferred, and
/// one that differs (`signed_url`, say) must not make every call read as unrecorded.
pub(crate) fn decode_recording(body: &[u8]) -> Result<Option<Recording>> {
    let op = Operation::GetRecording;
    let url = match decode_json(KIND, op, body)? {
        RecordingBody::Url(url) | RecordingBody::Object { url: Some(url) } => url,
        RecordingBody::Object { url: None } => {
            let message = "the recording answer is an object without `url`";
            return Err(Error::decode(KIND, op, "url", message, body));
        }
    };
    Ok(recording(url))
}

/// The recording at `url` (HappyRobot serves one mono file; a blank URL is none), its
/// expiry read from the URL when it is S3 pre-signed, as the vendor's are.
pub(crate) fn recording(url: Option<String>) -> Option<Recording> {
    recording_at(url, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::testing::{DecoderCheck, corpus};
    use voiceport_core::{Codec, EndReasonCategory};

    fn call(value: Value) -> Call {
        crate::HappyRobotCodec
            .decode_call(value.to_string().as_bytes())
            .unwrap()
    }

    /// The fields of the call's warnings, in order.
    fn warned(call: &Call) -> Vec<&str> {
        call.warnings.iter().map(|w| w.field.as_str()).collect()
    }

    #[test]
    fn impossible_values_are_dropped_with_a_warning() {
        let c = call(json!({
            "id": "", "status": "Completed", "started": "2026-01-19T20:14:37Z",
            "duration": -12, "parent_call_id": "", "campaign_id": " ",
            "use_case": {"id": "", "name": "Renewals"},
            "costs": {"total_costs": -0.5, "voip": {"total_cost": 0.1}, "llm": {"total_cost": -1}},
            "notes": [{"id": "", "content": "x"}]
        }));
        assert_eq!(c.duration_secs, None);
        assert_eq!(c.ended_at, None);
        assert_eq!(c.parent_call_id, None);
        assert_eq!(c.campaign_id, None);
        let agent = c.agent.clone().unwrap();
        assert_eq!((agent.id, agent.name.as_deref()), (None, Some("Renewals")));
        let cost = c.cost.clone().unwrap();
        assert_eq!(cost.total, None);
        assert_eq!(cost.breakdown.len(), 1);
        assert_eq!(
            warned(&c),
            [
                "parent_call_id",
                "campaign_id",
                "use_case.id",
                "duration",
                "notes[0].id",
                "costs.llm.total_cost",
                "costs.total_costs",
                "id",
            ]
        );
        // A note without an id is kept, and said, as one with a blank id is.
        let c = call(json!({"id": "a", "notes": [{"content": "no id"}]}));
        assert_eq!(c.notes[0].id.as_str(), "");
        assert_eq!(warned(&c), ["notes[0].id"]);
        assert_eq!(c.warnings[0].message, "a note without an id");
        // Possible values pass without a word.
        let c = call(json!({"id": "a", "duration": 0, "costs": {"total_costs": 0}}));
        assert_eq!(c.duration_secs, Some(0.0));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    /// An empty text is no value: no number, no language, no recording.
    #[test]
    fn blank_texts_are_left_out() {
        let c = call(json!({
            "id": "a", "language": "",
            "metadata": {"from": "", "to": " "}
        }));
        assert_eq!((c.from, c.to, c.language), (None, None, None));
        for body in [&br#"{"url":" "}"#[..], br#""""#] {
            assert_eq!(decode_recording(body).ok(), Some(None));
        }
    }

    #[test]
    fn odd_shapes_of_free_form_fields() {
        // Any JSON is accepted where the docs promise an object; an object is kept as is.
        let c = call(json!({
            "id": "a",
            "metadata": {"custom": {"k": {"deep": [1, null]}, "n": 2}},
            "extraction": ["one", 2],
            "created": {"at": "2026-03-10T15:42:07Z"},
            "scheduled_for": [1],
            "started": true
        }));
        assert_eq!(c.metadata["k"], json!({"deep": [1, null]}));
        assert_eq!(c.metadata["n"], json!(2));
        assert_eq!(c.analysis.extracted["extraction"], json!(["one", 2]));
        let warned: Vec<(&str, &str)> = (c.warnings.iter())
            .map(|w| (w.field.as_str(), w.value.as_str()))
            .collect();
        assert_eq!(
            warned,
            [
                ("created", r#"{"at":"2026-03-10T15:42:07Z"}"#),
                ("scheduled_for", "[1]"),
                ("started", "true"),
            ]
        );
        let c = call(json!({"id": "a", "metadata": {"custom": "free text"}, "extraction": null}));
        assert_eq!(c.metadata["custom"], json!("free text"));
        assert!(c.analysis.extracted.is_empty());
    }

    #[test]
    fn escaped_text_reads_where_the_body_is_borrowed() {
        let body = br#"{"id": "a", "created": "2026-03-10T15:42:07\u005A",
            "use_case": {"id": "uc\u0031", "name": "Load \"coverage\""},
            "transfer_contact_email": "\u0064@example.com", "status": "Completed"}"#;
        let c = crate::HappyRobotCodec.decode_call(body).unwrap();
        assert_eq!(
            c.created_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-03-10T15:42:07+00:00")
        );
        let agent = c.agent.unwrap();
        assert_eq!(agent.id.unwrap().as_str(), "uc1");
        assert_eq!(agent.name.as_deref(), Some("Load \"coverage\""));
        assert_eq!(
            c.end_reason.map(|r| r.category),
            Some(EndReasonCategory::Transferred)
        );
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
        // Empty text is none, as every vendor's reads: an empty tag is no classification,
        // an empty name no name.
        let c = call(
            json!({"id": "a", "classification": {"tag": "", "reasoning": ""},
            "use_case": {"id": "uc", "name": ""}}),
        );
        assert!(c.analysis.classification.is_none());
        assert_eq!(c.agent.as_ref().map(|a| a.name.clone()), Some(None));
        let c = call(json!({"id": "a", "classification": {"tag": "Booked", "reasoning": ""}}));
        let classification = c.analysis.classification.unwrap();
        assert_eq!(classification.tag, "Booked");
        assert_eq!(classification.reasoning, None);

        let c = call(json!({"id": "a", "provider": "Telnyx", "type": "Sideways",
            "agent": {"id": "ag", "name": null}, "assistant": {"id": "as"}}));
        assert_eq!(c.kind, CallKind::Other("Telnyx".into()));
        assert_eq!(c.direction, None);
        // The older assistant (the use case of its day) before the voice persona.
        assert_eq!(c.agent.unwrap().id.unwrap().as_str(), "as");
        // A carrier named since, on a call with its numbers: a phone call.
        let c = call(json!({"id": "a", "provider": "Telnyx",
            "metadata": {"from": "+14155550142", "to": "+16175550187"}}));
        assert_eq!(c.kind, CallKind::Phone);
        let blank =
            call(json!({"id": "a", "provider": "Telnyx", "metadata": {"from": " ", "to": ""}}));
        assert_eq!(
            blank.kind,
            CallKind::Other("Telnyx".into()),
            "blank numbers are none"
        );
        let c = call(json!({"id": "a", "provider": "web", "metadata": {"to": "+16175550187"}}));
        assert_eq!(c.kind, CallKind::Web, "a unified kind stays itself");
    }

    #[test]
    fn unreadable_times_leave_the_field_empty_and_a_warning() {
        let c = call(json!({
            "id": "a", "created": "yesterday", "started": "2026-01-20T17:58:49.012Z",
            "scheduled_for": "2026-02-30T10:00:00Z", "duration": 12,
            "notes": [{"id": "n1", "created_at": "2026-03-10 15:42:07"},
                      {"id": "n2", "created_at": "soon"}],
            "ratings": [{"emoji": "✅", "created": 17}, {"emoji": "👎", "created": "never"}]
        }))
        .clone();
        assert!(c.created_at.is_none());
        assert!(c.scheduled_for.is_none());
        assert_eq!(
            c.started_at.unwrap().to_rfc3339(),
            "2026-01-20T17:58:49.012+00:00"
        );
        assert!(c.notes[0].created_at.is_some());
        assert!(c.notes[1].created_at.is_none());
        assert!(c.ratings[1].created_at.is_none());
        let fields: Vec<(&str, &str)> = (c.warnings.iter())
            .map(|w| (w.field.as_str(), w.value.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("created", "yesterday"),
                ("scheduled_for", "2026-02-30T10:00:00Z"),
                ("notes[1].created_at", "soon"),
                ("ratings[0].created", "17"),
                ("ratings[1].created", "never"),
            ]
        );
        // A clean call has no warnings.
        let clean =
            call(json!({"id": "a", "created": "2026-03-10T15:42:07.318Z", "scheduled_for": null}));
        assert!(clean.warnings.is_empty());
    }

    #[test]
    fn the_agent_is_the_use_case_then_the_assistant_then_the_persona() {
        let agent = |value: Value| {
            let c = call(value);
            let a = c.agent.unwrap();
            (a.id.map(|i| i.as_str().to_owned()), a.name)
        };
        let persona = json!({"id": "persona", "name": "Kate"});
        assert_eq!(
            agent(json!({"id": "a", "agent": persona,
                "use_case": {"id": "uc", "name": "Outbound Load Coverage", "model": "gpt-4o"}})),
            (Some("uc".into()), Some("Outbound Load Coverage".into()))
        );
        assert_eq!(
            agent(
                json!({"id": "a", "agent": persona, "use_case": {"id": null},
                "assistant": {"id": "as", "name": "Dock Reminder"}})
            ),
            (Some("as".into()), Some("Dock Reminder".into()))
        );
        // The persona alone: its name, not its id, which is no use case's (the agent
        // filter sends `use_cases`, a dial's agent `use_case_id`).
        assert_eq!(
            agent(json!({"id": "a", "agent": persona})),
            (None, Some("Kate".into()))
        );
        assert!(
            call(json!({"id": "a", "agent": {"id": "persona"}}))
                .agent
                .is_none()
        );
        // A use case named only by a blank id gives way (with a warning) to the persona.
        let blank = call(json!({"id": "a", "agent": persona, "use_case": {"id": " "}}));
        let chosen = blank
            .agent
            .as_ref()
            .map(|a| (a.id.clone(), a.name.as_deref()));
        assert_eq!(chosen, Some((None, Some("Kate"))));
        assert!(blank.warnings.iter().any(|w| w.field == "use_case.id"));
        assert!(
            call(json!({"id": "a", "use_case": {}, "agent": null}))
                .agent
                .is_none()
        );
    }

    #[test]
    fn a_value_spelled_as_a_unified_one_is_that_one() {
        // Not HappyRobot roles or providers, but the unified spellings: read back as such.
        assert_eq!(speaker(Some(wire::Role::parse("agent"))), Speaker::Agent);
        assert_eq!(
            speaker(Some(wire::Role::parse("narrator"))),
            Speaker::Other("narrator".into())
        );
        let web = call(json!({"id": "a", "provider": "phone"}));
        assert_eq!(web.kind, CallKind::Phone);
        let round_trip: CallKind = serde_json::from_value(json!(web.kind)).unwrap();
        assert_eq!(round_trip, web.kind);
    }

    #[test]
    fn older_calls_end_at_started_plus_duration() {
        let ended = |value: Value| call(value).ended_at.map(|t| t.to_rfc3339());
        assert_eq!(
            ended(json!({"id": "a", "status": "Ended",
                "started": "2026-01-19T20:14:37.221Z", "duration": 73.5})),
            Some("2026-01-19T20:15:50.721+00:00".into())
        );
        // No start, no duration, an absurd duration, or a live call: no end.
        for value in [
            json!({"id": "a", "status": "Completed", "created": "2026-01-19T20:14:37Z", "duration": 73}),
            json!({"id": "a", "status": "Completed", "started": "2026-01-19T20:14:37Z"}),
            json!({"id": "a", "started": "2026-01-19T20:14:37Z", "duration": -1}),
            json!({"id": "a", "started": "2026-01-19T20:14:37Z", "duration": 1e300}),
            json!({"id": "a", "status": "Connected", "started": "2026-01-19T20:14:37Z", "duration": 5}),
        ] {
            assert_eq!(ended(value.clone()), None, "{value}");
        }
    }

    #[test]
    fn a_completed_call_with_a_transfer_contact_ended_in_a_transfer() {
        use voiceport_core::{CallStatus, EndReasonCategory as R};
        let reason = |value: Value| {
            let c = call(value);
            (c.status, c.end_reason.map(|r| (r.category, r.vendor)))
        };
        let email = "dispatch@example.com";
        assert_eq!(
            reason(json!({"id": "a", "status": "Completed", "transfer_contact_email": email})),
            (CallStatus::Completed, Some((R::Transferred, None)))
        );
        assert_eq!(
            reason(json!({"id": "a", "status": "Ended", "transfer_contact_email": email})),
            (CallStatus::Completed, Some((R::Transferred, None)))
        );
        assert_eq!(
            reason(json!({"id": "a", "status": "Transferred", "transfer_contact_email": email})),
            (
                CallStatus::Transferred,
                Some((R::Transferred, Some("Transferred".into())))
            )
        );
        // Another outcome stands; an empty email is no transfer.
        assert_eq!(
            reason(json!({"id": "a", "status": "Failed", "transfer_contact_email": email})),
            (CallStatus::Failed, Some((R::Error, Some("Failed".into()))))
        );
        assert_eq!(
            reason(json!({"id": "a", "status": "Completed", "transfer_contact_email": ""})),
            (CallStatus::Completed, None)
        );
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

    /// `costs` has no documented shape: what is not the expected shape leaves its part
    /// (or the whole cost) empty with a warning, never a failed call or page.
    #[test]
    fn odd_cost_shapes_leave_the_cost_empty_with_warnings() {
        let odd = call(
            json!({"id": "a", "costs": {"voip": 0.12, "llm": {"total_cost": "0.3"},
            "tts": {"total_cost": 0.05}, "total_costs": [1]}}),
        );
        let cost = odd.cost.as_ref().unwrap();
        assert_eq!(cost.total, None);
        let parts: Vec<(&str, f64)> = (cost.breakdown.iter())
            .map(|i| (i.component.as_str(), i.amount))
            .collect();
        assert_eq!(parts, vec![("tts", 0.05)]);
        assert_eq!(
            warned(&odd),
            ["costs.voip", "costs.llm.total_cost", "costs.total_costs"]
        );
        for costs in [json!("0.5"), json!([0.5]), json!(7)] {
            let odd = call(json!({"id": "a", "costs": costs}));
            assert!(odd.cost.is_none(), "{costs}");
            assert_eq!(warned(&odd), ["costs"], "{costs}");
        }
        let null = call(json!({"id": "a", "costs": null}));
        assert!(null.cost.is_none() && null.warnings.is_empty());
        // The reviewer's page: it decodes, and its call says what was left out.
        let body = br#"{"calls":[{"id":"a","costs":{"voip":0.12}}]}"#;
        let page = crate::HappyRobotCodec
            .decode_page(body, &voiceport_core::CallQuery::default())
            .unwrap();
        assert!(page.calls[0].cost.is_none());
        assert_eq!(warned(&page.calls[0]), ["costs.voip"]);
    }

    /// A message whose `content` is not text (a tool's object result) is kept as its JSON
    /// text, as Rounded keeps its entries', rather than failing the whole transcript.
    #[test]
    fn message_content_that_is_not_text_is_kept_as_json_text() {
        let t = transcript(json!({"messages": [
            {"role": "tool", "content": {"verified": true, "mc": ["123"]}, "tool_call_id": "t1"},
            {"role": "tool", "content": [1, 2]},
            {"role": "user", "content": 7},
            {"role": "user", "content": null},
            {"role": "user", "content": "Yes."}
        ]}));
        let texts: Vec<Option<&str>> = (t.utterances.iter()).map(|u| u.text.as_deref()).collect();
        assert_eq!(
            texts,
            [
                Some(r#"{"mc":["123"],"verified":true}"#),
                Some("[1,2]"),
                Some("7"),
                None,
                Some("Yes.")
            ]
        );
    }

    #[test]
    fn transcript_speakers_offsets_and_tools() {
        let t = transcript(json!({
            "start_time": 1_773_237_925,
            "messages": [
                {"role": "assistant", "content": "", "start": 1.5, "end": 2.0,
                 "tool_calls": [{"type": "function", "id": "t1", "function": {"name": "f", "arguments": {"a": 1}}}]},
                {"role": "tool", "content": "ok", "name": "f", "tool_call_id": "t1"},
                {"role": "narrator", "content": "x"},
                {"content": "no role"},
                {"role": "assistant", "content": "Let me check.",
                 "tool_calls": [{"type": "function", "id": "t2", "function": {"name": "g"}}]}
            ]
        }));
        let u = &t.utterances;
        // A turn of tool calls only is the tool's, as other vendors give it; one that also
        // speaks stays the agent's, with its calls.
        assert_eq!(u[0].speaker, Speaker::Tool);
        assert_eq!(u[4].speaker, Speaker::Agent);
        assert_eq!(u[4].tool_calls[0].name.as_deref(), Some("g"));
        assert_eq!(u[0].text, None);
        assert_eq!(u[0].start_secs, Some(1.5));
        assert_eq!(u[0].at.unwrap().timestamp_millis(), 1_773_237_926_500);
        assert_eq!(u[0].tool_calls[0].arguments.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(
            u[1].tool_result,
            Some(ToolResult::new(Some("t1".into()), Some("f".into())))
        );
        assert!(u[1].at.is_none());
        assert_eq!(u[2].speaker, Speaker::Other("narrator".into()));
        assert_eq!(u[3].speaker, Speaker::Other(String::new()));
    }

    /// The transcript endpoint's answer `value`, decoded from its text (as the codec does)
    /// and mapped.
    fn transcript(value: Value) -> Transcript {
        let body = value.to_string();
        map_transcript(serde_json::from_str(&body).unwrap())
    }

    #[test]
    fn absolute_message_times_are_told_from_offsets() {
        let start = 1_773_237_925_i64;
        let t = transcript(json!({
            "start_time": start,
            "messages": [
                {"role": "system", "content": "x", "start": 0.0, "end": 0.0},
                {"role": "assistant", "content": "Hi", "start": 1_773_237_925.42, "end": 1_773_237_929.87},
                {"role": "user", "content": "Yes", "start": 1_773_237_930_610_i64, "end": 1_773_237_931_380_i64},
                {"role": "user", "content": "ok", "start": 6.5, "end": 7.25},
                {"role": "user", "content": "fine", "start": 1_773_237_932_000_000_i64}
            ]
        }));
        let u = &t.utterances;
        let at = |i: usize| u[i].at.map(|t| t.timestamp_micros());
        // An offset of zero is the call start, not 1970.
        assert_eq!(u[0].start_secs, Some(0.0));
        assert_eq!(at(0), Some(start * 1_000_000));
        // Unix seconds: the time as given, and the offset from `start_time`.
        assert_eq!(at(1), Some(1_773_237_925_420_000));
        assert_eq!((u[1].start_secs, u[1].end_secs), (Some(0.42), Some(4.87)));
        // Unix milliseconds.
        assert_eq!(at(2), Some(1_773_237_930_610_000));
        assert_eq!((u[2].start_secs, u[2].end_secs), (Some(5.61), Some(6.38)));
        // Offsets, in the same transcript.
        assert_eq!(at(3), Some(1_773_237_931_500_000));
        assert_eq!((u[3].start_secs, u[3].end_secs), (Some(6.5), Some(7.25)));
        // Unix microseconds (read as milliseconds they were the year 58,000).
        assert_eq!(at(4), Some(1_773_237_932_000_000));
        assert_eq!(u[4].start_secs, Some(7.0));
        for utterance in u {
            let year = utterance.at.unwrap().format("%Y").to_string();
            assert_eq!(year, "2026");
        }
    }

    /// A time of a unix time's size that is no date is neither a time nor an offset: it
    /// was kept as an offset of 10²⁵ seconds.
    #[test]
    fn a_time_too_large_for_a_date_is_no_offset_either() {
        let t = transcript(json!({
            "start_time": 1_773_237_925_i64,
            "messages": [{"role": "user", "content": "Yes", "start": 1e25, "end": 3.5}]
        }));
        let u = &t.utterances[0];
        assert_eq!((u.start_secs, u.at), (None, None));
        assert_eq!(u.end_secs, Some(3.5));
        let t =
            transcript(json!({"start_time": 1e25, "messages": [{"role": "user", "start": 2.0}]}));
        assert_eq!(
            (t.utterances[0].start_secs, t.utterances[0].at),
            (Some(2.0), None)
        );
    }

    #[test]
    fn without_a_start_time_absolute_times_still_give_the_time() {
        let t = transcript(json!({"messages": [
            {"role": "user", "start": 1_773_237_925.5, "end": 1_773_237_926.0},
            {"role": "user", "start": 3.0, "end": 4.0}
        ]}));
        let u = &t.utterances;
        assert_eq!(u[0].at.unwrap().timestamp_millis(), 1_773_237_925_500);
        assert_eq!((u[0].start_secs, u[0].end_secs), (None, None));
        assert_eq!(u[1].at, None);
        assert_eq!((u[1].start_secs, u[1].end_secs), (Some(3.0), Some(4.0)));
        // A start time of a few seconds is no start time; huge and odd values are refused
        // quietly rather than wrapped.
        let t = transcript(json!({"start_time": 12, "messages": [
            {"start": 1.0}, {"start": -1e300}, {"start": 1e300}
        ]}));
        let u = &t.utterances;
        assert_eq!((u[0].start_secs, u[0].at), (Some(1.0), None));
        assert_eq!((u[1].start_secs, u[1].at), (Some(-1e300), None));
        assert_eq!(u[2].at, None);
        let t = transcript(json!({"start_time": 1_773_237_925, "messages": [{"start": -1e300}]}));
        assert_eq!(t.utterances[0].at, None);
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
        // Another shape is said, not read as no recording.
        let other = decode_recording(br#"{"signed_url": "https://x/y.mp3"}"#).unwrap_err();
        assert!(
            matches!(&other, Error::Decode { path, .. } if path == "url"),
            "{other:?}"
        );
        assert!(other.to_string().contains("without `url`"), "{other}");
    }

    /// HappyRobot's recording URLs are S3 pre-signed: their expiry is read from them
    /// (core's `recording_at`), as the other vendors' are.
    #[test]
    fn a_presigned_recording_url_carries_its_expiry() {
        let signed = "https://happyrobot-recordings.s3.amazonaws.com/calls/a.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260322T101500Z&X-Amz-Expires=3600&X-Amz-Signature=5d67";
        let body = json!({ "url": signed }).to_string();
        let recording = decode_recording(body.as_bytes()).unwrap().unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some(signed));
        let expiry = recording.expires_at.map(|t| t.to_rfc3339());
        assert_eq!(expiry.as_deref(), Some("2026-03-22T11:15:00+00:00"));
        // An unsigned URL states no expiry; an empty one is no recording.
        let unsigned = decode_recording(br#""https://x/y.mp3""#).unwrap().unwrap();
        assert_eq!(unsigned.expires_at, None);
        assert!(decode_recording(br#"{"url": ""}"#).unwrap().is_none());
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
        // The seeds are inline, not read from the repository's fixtures: this test also runs
        // from the packaged crate, which holds no file outside it.
        let seed = |name: &str, body: Value| corpus::Fixture {
            name: name.to_owned(),
            body: body.to_string().into_bytes(),
        };
        let fixtures = [
            seed(
                "object",
                json!({"url": "https://happyrobot-recordings.s3.amazonaws.com/calls/6a1f0c2e9b4d7e3f8a5c1b20.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260322%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260322T101500Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"}),
            ),
            seed(
                "bare string",
                json!(
                    "https://happyrobot-recordings.s3.amazonaws.com/calls/6a1f0c2e9b4d7e3f8a5c1b20.mp3"
                ),
            ),
            seed("null url", json!({"url": null})),
            // An answer with more than the URL: the mutants reach into nested values too.
            seed(
                "object with extra fields",
                json!({"url": "https://example.com/r.mp3", "call": {"id": "6a1f0c2e9b4d7e3f8a5c1b20", "duration": [1, 2.5]}}),
            ),
        ];
        corpus::each_mutant(&fixtures, 1, 50, feed);
        corpus::each_truncation(&fixtures, |body, what| {
            check.refusing().value(body, decode_recording(body), what);
        });
    }
}
