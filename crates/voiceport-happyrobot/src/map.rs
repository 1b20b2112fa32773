//! Pure mapping, no I/O: HappyRobot JSON → the normalized model, and voiceport requests →
//! HappyRobot query parameters and bodies.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{
    AgentId, AgentRef, Analysis, Call, CallId, CallKind, CallPage, CallQuery, CallStatus,
    CampaignId, Classification, Cost, CostItem, DialRequest, Direction, EndReason,
    EndReasonCategory, Error, Note, NoteId, NoteInput, Operation, OrganizationId, PageCursor,
    ProviderKind, Rating, Result, SortOrder, Speaker, ToolCall, ToolResult, Transcript, Utterance,
    VendorPayload,
};

use crate::config::HappyRobotOptions;
use crate::wire;

const KIND: ProviderKind = ProviderKind::HappyRobot;

/// The page size used when a query names none.
pub(crate) const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page HappyRobot is known to serve (a third-party script asks for 2000).
pub(crate) const MAX_PAGE_SIZE: u32 = 2000;

// ---------------------------------------------------------------------------------------
// Status table
// ---------------------------------------------------------------------------------------

/// THE status table: a vendor status (either generation) → the normalized status and, for
/// calls that ended without a normal conversation, the end-reason category.
///
/// | vendor status | status | end reason |
/// | --- | --- | --- |
/// | `Scheduled` | scheduled | – |
/// | `Queued` | queued | – |
/// | `Initiated` | ringing | – |
/// | `Ringing` | ringing | – |
/// | `In progress` | in_progress | – |
/// | `Transferred` | transferred | transferred |
/// | `Completed` | completed | – |
/// | `AMD Terminated` | voicemail | voicemail |
/// | `Busy` | busy | busy |
/// | `No answer` | no_answer | no_answer |
/// | `Canceled` | canceled | canceled |
/// | `Failed` | failed | error |
/// | `Dialing` (older) | ringing | – |
/// | `Connected` (older) | in_progress | – |
/// | `Ended` (older) | completed | – |
/// | `Missed` (older) | no_answer | no_answer |
/// | `Abandoned` (older) | canceled | customer_hung_up (the caller hung up before it was answered) |
/// | anything else | unknown | – |
pub fn status_of(status: &wire::Status) -> (CallStatus, Option<EndReasonCategory>) {
    use EndReasonCategory as R;
    use wire::Status as S;
    match status {
        S::Scheduled => (CallStatus::Scheduled, None),
        S::Queued => (CallStatus::Queued, None),
        S::Initiated | S::Ringing => (CallStatus::Ringing, None),
        S::InProgress => (CallStatus::InProgress, None),
        S::Transferred => (CallStatus::Transferred, Some(R::Transferred)),
        S::Completed => (CallStatus::Completed, None),
        S::AmdTerminated => (CallStatus::Voicemail, Some(R::Voicemail)),
        S::Busy => (CallStatus::Busy, Some(R::Busy)),
        S::NoAnswer => (CallStatus::NoAnswer, Some(R::NoAnswer)),
        S::Canceled => (CallStatus::Canceled, Some(R::Canceled)),
        S::Failed => (CallStatus::Failed, Some(R::Error)),
        S::Dialing => (CallStatus::Ringing, None),
        S::Connected => (CallStatus::InProgress, None),
        S::Ended => (CallStatus::Completed, None),
        S::Missed => (CallStatus::NoAnswer, Some(R::NoAnswer)),
        S::Abandoned => (CallStatus::Canceled, Some(R::CustomerHungUp)),
        S::Other(_) => (CallStatus::Unknown, None),
    }
}

/// The current-generation vendor statuses that mean `status` (for the `statuses` list
/// filter). Empty for [`CallStatus::Unknown`], which no vendor value is.
pub fn vendor_statuses(status: CallStatus) -> &'static [&'static str] {
    match status {
        CallStatus::Scheduled => &["Scheduled"],
        CallStatus::Queued => &["Queued"],
        CallStatus::Ringing => &["Initiated", "Ringing"],
        CallStatus::InProgress => &["In progress"],
        CallStatus::Transferred => &["Transferred"],
        CallStatus::Completed => &["Completed"],
        CallStatus::NoAnswer => &["No answer"],
        CallStatus::Busy => &["Busy"],
        CallStatus::Voicemail => &["AMD Terminated"],
        CallStatus::Canceled => &["Canceled"],
        CallStatus::Failed => &["Failed"],
        _ => &[],
    }
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

/// Parses a vendor timestamp leniently: RFC 3339 (any offset, with or without fractions),
/// or a zone-less ISO 8601 date-time read as UTC. Anything else is `None`.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

fn time(text: Option<&String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| parse_time(t))
}

fn rfc3339(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty())
}

/// Unix seconds (fractional) → UTC, when in range.
fn unix_time(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() {
        return None;
    }
    let millis = (seconds * 1000.0).round();
    if millis.abs() > 8.0e15 {
        return None;
    }
    DateTime::from_timestamp_millis(millis as i64)
}

// ---------------------------------------------------------------------------------------
// Call
// ---------------------------------------------------------------------------------------

/// A HappyRobot call (either generation) → the normalized call (without its vendor
/// payload, which the decoders attach).
pub fn call_from_wire(wire: wire::Call) -> Call {
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
    call.created_at = time(wire.created.as_ref());
    call.scheduled_for = time(wire.scheduled_for.as_ref());
    call.started_at = time(wire.started.as_ref());
    call.duration_secs = finite(wire.duration);
    call.analysis = analysis(wire.extraction, wire.questions, wire.classification);
    call.notes = wire
        .notes
        .unwrap_or_default()
        .into_iter()
        .map(|note| Note {
            id: NoteId::new(note.id.unwrap_or_default()),
            content: note.content.unwrap_or_default(),
            author: note.user_id,
            flagged: note.flagged.unwrap_or(false),
            created_at: time(note.created_at.as_ref()),
        })
        .collect();
    call.ratings = wire
        .ratings
        .unwrap_or_default()
        .into_iter()
        .filter_map(|rating| {
            Some(Rating {
                value: rating.emoji?,
                by: rating.email,
                created_at: time(rating.created.as_ref()),
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

fn agent(agent: Option<wire::AgentRef>, assistant: Option<wire::Assistant>) -> Option<AgentRef> {
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
    let breakdown: Vec<CostItem> = sections
        .into_iter()
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

// ---------------------------------------------------------------------------------------
// Transcript
// ---------------------------------------------------------------------------------------

/// A HappyRobot transcript → the normalized transcript. `start`/`end` are read as seconds
/// from the call start (inferred, reference §1.3); `at` is `start_time + start`.
pub fn transcript_from_wire(transcript: wire::Transcript) -> Transcript {
    let start_time = finite(transcript.start_time);
    messages_to_transcript(transcript.messages.unwrap_or_default(), start_time)
}

pub(crate) fn messages_to_transcript(
    messages: Vec<wire::Message>,
    start_time: Option<f64>,
) -> Transcript {
    Transcript {
        utterances: messages
            .into_iter()
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
    let mut utterance = Utterance::new(speaker(message.role), non_empty(message.content));
    utterance.start_secs = start;
    utterance.end_secs = finite(message.end);
    utterance.at = match (start_time, start) {
        (Some(base), Some(offset)) => unix_time(base + offset),
        _ => None,
    };
    utterance.tool_calls = message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .map(|call| {
            let function = call.function.unwrap_or_default();
            ToolCall {
                id: call.id,
                name: function.name,
                arguments: function.arguments.and_then(|args| match args {
                    Value::Null => None,
                    Value::String(text) => Some(text),
                    other => Some(other.to_string()),
                }),
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

// ---------------------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------------------

/// Decodes one call object (`raw`, at `path` in the body), maps it and keeps its JSON.
pub(crate) fn call_from_raw(operation: Operation, raw: &RawValue, path: &str) -> Result<Call> {
    let wire: wire::Call = decode_raw(KIND, operation, raw, path)?;
    let mut call = call_from_wire(wire);
    call.set_vendor_payload(VendorPayload::from_raw(raw));
    Ok(call)
}

pub(crate) fn decode_call_for(operation: Operation, body: &[u8]) -> Result<Call> {
    let raw: &RawValue = decode_json(KIND, operation, body)?;
    call_from_raw(operation, raw, "")
}

/// Decodes the body of `GET /calls/{id}` (a bare Call object; also the body of the note,
/// viewed and dial responses) into a normalized call that keeps its vendor JSON.
///
/// ```
/// let call = voiceport_happyrobot::decode_call(br#"{"id": "65a1f0c2b3d4e5f601234567", "status": "No answer"}"#)?;
/// assert_eq!(call.status, voiceport_core::CallStatus::NoAnswer);
/// # Ok::<(), voiceport_core::Error>(())
/// ```
pub fn decode_call(body: &[u8]) -> Result<Call> {
    decode_call_for(Operation::GetCall, body)
}

#[derive(Deserialize)]
struct ListEnvelope<'a> {
    #[serde(borrow)]
    calls: Vec<&'a RawValue>,
    #[serde(default)]
    count: Option<u64>,
}

/// The number of calls to skip, from the query's cursor.
pub(crate) fn skip_of(query: &CallQuery) -> Result<u64> {
    match &query.cursor {
        None => Ok(0),
        Some(PageCursor::Offset { skip }) => Ok(*skip),
        Some(other) => Err(Error::invalid_input(
            KIND,
            Operation::ListCalls,
            format!("cursor {other} is not a HappyRobot cursor (expected an offset)"),
        )),
    }
}

/// The page size sent as `limit`: `page_size`, 100 by default, within 1..=2000.
pub(crate) fn limit_of(query: &CallQuery) -> u32 {
    query
        .page_size
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE)
}

/// Decodes the body of `GET /calls` (`{calls, count, limit, offset}`, or the older
/// `{calls, count, currentPage}`) for `query`.
///
/// The filters HappyRobot cannot apply (kind, agent, numbers) are applied here; so are
/// the server-side ones, where the normalized meaning is stricter (every tag, not any).
/// `search` is left to the vendor. The next cursor skips every call the vendor returned,
/// filtered out or not; `total` is the vendor's `count`.
pub fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
    let envelope: ListEnvelope<'_> = decode_json(KIND, Operation::ListCalls, body)?;
    let skip = match &query.cursor {
        Some(PageCursor::Offset { skip }) => *skip,
        _ => 0,
    };
    let limit = u64::from(limit_of(query));
    let returned = envelope.calls.len() as u64;
    let local = CallQuery {
        search: None,
        ..query.clone()
    };
    let mut calls = Vec::with_capacity(envelope.calls.len());
    for (i, raw) in envelope.calls.iter().enumerate() {
        let call = call_from_raw(Operation::ListCalls, raw, &format!("calls[{i}]"))?;
        if local.matches(&call) {
            calls.push(call);
        }
    }
    let seen = skip.saturating_add(returned);
    let more = returned > 0
        && match envelope.count {
            Some(count) => seen < count,
            None => returned >= limit,
        };
    Ok(CallPage {
        calls,
        next: more.then_some(PageCursor::Offset { skip: seen }),
        total: envelope.count,
    })
}

/// Decodes the body of `GET /calls/{id}/transcript`.
pub fn decode_transcript(body: &[u8]) -> Result<Transcript> {
    let wire: wire::Transcript = decode_json(KIND, Operation::GetTranscript, body)?;
    Ok(transcript_from_wire(wire))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RecordingBody {
    Url(Option<String>),
    Object {
        #[serde(default)]
        url: Option<String>,
    },
}

/// Decodes the body of `GET /calls/{id}/recording`: `{url}` or a bare JSON string
/// (`null`/absent URL: no recording).
pub fn decode_recording(body: &[u8]) -> Result<Option<voiceport_core::Recording>> {
    let parsed: RecordingBody = decode_json(KIND, Operation::GetRecording, body)?;
    let url = match parsed {
        RecordingBody::Url(url) | RecordingBody::Object { url } => non_empty(url),
    };
    Ok(url.map(|url| voiceport_core::Recording {
        mono_url: Some(url),
        stereo_url: None,
        expires_at: None,
    }))
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

fn direction_value(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "Inbound",
        Direction::Outbound => "Outbound",
    }
}

/// The `statuses` parameter for the normalized statuses asked (current-generation vendor
/// strings, comma-separated). A status no vendor value means is refused.
pub(crate) fn statuses_param(statuses: &[CallStatus], operation: Operation) -> Result<String> {
    let mut values: Vec<&str> = Vec::new();
    for status in statuses {
        let vendor = vendor_statuses(*status);
        if vendor.is_empty() {
            return Err(Error::invalid_input(
                KIND,
                operation,
                format!("HappyRobot has no call status meaning `{status}`; it cannot be listed"),
            ));
        }
        for value in vendor {
            if !values.contains(value) {
                values.push(value);
            }
        }
    }
    Ok(values.join(","))
}

/// The server-side filters of a query as `GET /calls` parameters (no paging).
pub(crate) fn filter_params(
    query: &CallQuery,
    operation: Operation,
) -> Result<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    if let Some(direction) = query.direction {
        params.push(("type", direction_value(direction).to_owned()));
    }
    if !query.statuses.is_empty() {
        params.push(("statuses", statuses_param(&query.statuses, operation)?));
    }
    if !query.tags.is_empty() {
        params.push(("tags", query.tags.join(",")));
    }
    if let Some(campaign) = &query.campaign_id {
        params.push(("campaigns", campaign.as_str().to_owned()));
    }
    if let Some(since) = &query.since {
        params.push(("from", rfc3339(since)));
    }
    if let Some(until) = &query.until {
        params.push(("to", rfc3339(until)));
    }
    if let Some(sort) = query.sort {
        let value = match sort {
            SortOrder::Ascending => "asc",
            SortOrder::Descending => "desc",
        };
        params.push(("sort", value.to_owned()));
    }
    if let Some(search) = &query.search {
        params.push(("search", search.clone()));
    }
    Ok(params)
}

/// `GET /calls` parameters for a query: `limit`, `skip`, then the server-side filters.
pub fn list_params(query: &CallQuery) -> Result<Vec<(&'static str, String)>> {
    let mut params = vec![
        ("limit", limit_of(query).to_string()),
        ("skip", skip_of(query)?.to_string()),
    ];
    params.extend(filter_params(query, Operation::ListCalls)?);
    Ok(params)
}

/// A dial request → the `POST /dial/outbound` body (with `extra` merged at the top level).
///
/// Refused (naming the field): `from_number` (HappyRobot dials from a purchased number
/// id), `name` (calls have none), no `phone_number_id` and no `number_id` option, and a
/// zero `max_duration_secs`.
pub fn dial_body(request: &DialRequest, options: &HappyRobotOptions) -> Result<Map<String, Value>> {
    let refuse = |message: &str| Error::invalid_input(KIND, Operation::Dial, message);
    request.validate(KIND)?;
    if request.from_number.is_some() {
        return Err(refuse(
            "`from_number` is not accepted: HappyRobot dials from a purchased number; set `phone_number_id` (or the `number_id` option)",
        ));
    }
    if request.name.is_some() {
        return Err(refuse(
            "`name` is not accepted: HappyRobot calls have no name",
        ));
    }
    let number_id = request
        .phone_number_id
        .clone()
        .or_else(|| options.number_id.clone())
        .ok_or_else(|| {
            refuse("`phone_number_id` is required: HappyRobot needs the id of the purchased number that places the call (or set the `number_id` option)")
        })?;
    let max_duration_mins = match request.max_duration_secs {
        None => None,
        Some(0) => return Err(refuse("`max_duration_secs` must be positive")),
        Some(secs) => Some(secs.div_ceil(60)),
    };
    let body = wire::DialBody {
        phone_number: request.to.clone(),
        number_id: Some(number_id),
        use_case_id: options.use_case_id.clone(),
        agent_id: request.agent_id.as_ref().map(|a| a.as_str().to_owned()),
        language: request.language.clone(),
        params: (!request.variables.is_empty())
            .then(|| Value::Object(request.variables.clone().into_iter().collect())),
        metadata: (!request.metadata.is_empty())
            .then(|| request.metadata.clone().into_iter().collect()),
        campaign_id: request.campaign_id.as_ref().map(|c| c.as_str().to_owned()),
        scheduled_for: request.scheduled_for.as_ref().map(rfc3339),
        max_duration_mins,
        ..wire::DialBody::default()
    };
    let mut object = match serde_json::to_value(&body) {
        Ok(Value::Object(object)) => object,
        _ => return Err(refuse("cannot encode the dial body")),
    };
    for (key, value) in &request.extra {
        object.insert(key.clone(), value.clone());
    }
    Ok(object)
}

/// A note → the notes body.
pub fn note_body(note: &NoteInput) -> wire::NoteBody {
    wire::NoteBody {
        content: note.content.clone(),
        flagged: note.flagged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(value: Value) -> Call {
        decode_call(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn status_table_covers_every_known_value() {
        use CallStatus as C;
        use EndReasonCategory as R;
        let cases: [(&str, CallStatus, Option<EndReasonCategory>); 18] = [
            ("Scheduled", C::Scheduled, None),
            ("Queued", C::Queued, None),
            ("Initiated", C::Ringing, None),
            ("Ringing", C::Ringing, None),
            ("In progress", C::InProgress, None),
            ("Transferred", C::Transferred, Some(R::Transferred)),
            ("Completed", C::Completed, None),
            ("AMD Terminated", C::Voicemail, Some(R::Voicemail)),
            ("Busy", C::Busy, Some(R::Busy)),
            ("No answer", C::NoAnswer, Some(R::NoAnswer)),
            ("Canceled", C::Canceled, Some(R::Canceled)),
            ("Failed", C::Failed, Some(R::Error)),
            ("Dialing", C::Ringing, None),
            ("Connected", C::InProgress, None),
            ("Ended", C::Completed, None),
            ("Missed", C::NoAnswer, Some(R::NoAnswer)),
            ("Abandoned", C::Canceled, Some(R::CustomerHungUp)),
            ("Voicemail left", C::Unknown, None),
        ];
        for (vendor, status, reason) in cases {
            let parsed = wire::Status::parse(vendor);
            assert_eq!(parsed.is_known(), status != C::Unknown, "{vendor}");
            assert_eq!(status_of(&parsed), (status, reason), "{vendor}");
            let call = call(json!({"id": "a", "status": vendor}));
            assert_eq!(call.status, status, "{vendor}");
            assert_eq!(call.vendor_status.as_deref(), Some(vendor));
            assert_eq!(
                call.end_reason,
                reason.map(|r| EndReason::new(r, Some(vendor.to_owned())))
            );
        }
    }

    #[test]
    fn every_normalized_status_but_unknown_has_vendor_values_that_map_back() {
        for status in CallStatus::ALL {
            let values = vendor_statuses(status);
            assert_eq!(values.is_empty(), status == CallStatus::Unknown, "{status}");
            for value in values {
                assert_eq!(status_of(&wire::Status::parse(value)).0, status, "{value}");
            }
        }
        assert_eq!(
            statuses_param(
                &[
                    CallStatus::Ringing,
                    CallStatus::Voicemail,
                    CallStatus::Ringing
                ],
                Operation::ListCalls
            )
            .unwrap(),
            "Initiated,Ringing,AMD Terminated"
        );
        let err = statuses_param(&[CallStatus::Unknown], Operation::ListCalls).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { status: None, .. }),
            "{err:?}"
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
        assert!(unix_time(f64::NAN).is_none());
        assert!(unix_time(1e300).is_none());
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
        let parts: Vec<(&str, f64)> = cost
            .breakdown
            .iter()
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
        let t = transcript_from_wire(t);
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
    fn list_params_map_every_server_side_filter() {
        let query = CallQuery {
            direction: Some(Direction::Outbound),
            statuses: vec![CallStatus::Completed, CallStatus::NoAnswer],
            tags: vec!["a".into(), "b".into()],
            campaign_id: Some(CampaignId::new("camp")),
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-03-02T00:00:00.5Z".parse().unwrap()),
            sort: Some(SortOrder::Ascending),
            search: Some("RF-1".into()),
            page_size: Some(5000),
            cursor: Some(PageCursor::Offset { skip: 40 }),
            ..CallQuery::default()
        };
        let params = list_params(&query).unwrap();
        let expected: Vec<(&str, &str)> = vec![
            ("limit", "2000"),
            ("skip", "40"),
            ("type", "Outbound"),
            ("statuses", "Completed,No answer"),
            ("tags", "a,b"),
            ("campaigns", "camp"),
            ("from", "2026-03-01T00:00:00Z"),
            ("to", "2026-03-02T00:00:00.500Z"),
            ("sort", "asc"),
            ("search", "RF-1"),
        ];
        let got: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(got, expected);
        let default = list_params(&CallQuery::default()).unwrap();
        assert_eq!(default, vec![("limit", "100".into()), ("skip", "0".into())]);
        let bad = CallQuery {
            cursor: Some(PageCursor::Page { number: 2 }),
            ..CallQuery::default()
        };
        assert!(matches!(
            list_params(&bad),
            Err(Error::InvalidRequest { status: None, .. })
        ));
    }

    #[test]
    fn paging_uses_count_or_a_full_page() {
        let body = json!({"calls": [{"id": "a"}, {"id": "b"}], "count": 5}).to_string();
        let query = CallQuery {
            page_size: Some(2),
            cursor: Some(PageCursor::Offset { skip: 2 }),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query).unwrap();
        assert_eq!(page.next, Some(PageCursor::Offset { skip: 4 }));
        assert_eq!(page.total, Some(5));
        let last = json!({"calls": [{"id": "a"}], "count": 5}).to_string();
        let q = CallQuery {
            cursor: Some(PageCursor::Offset { skip: 4 }),
            ..query.clone()
        };
        assert_eq!(decode_page(last.as_bytes(), &q).unwrap().next, None);
        // No count: a full page means there may be more.
        let full = json!({"calls": [{"id": "a"}, {"id": "b"}]}).to_string();
        let page = decode_page(full.as_bytes(), &query).unwrap();
        assert_eq!(page.next, Some(PageCursor::Offset { skip: 4 }));
        assert_eq!(page.total, None);
        let short = json!({"calls": [{"id": "a"}]}).to_string();
        assert_eq!(decode_page(short.as_bytes(), &query).unwrap().next, None);
        // An empty page never points further, whatever the count says.
        let empty = json!({"calls": [], "count": 100}).to_string();
        assert_eq!(decode_page(empty.as_bytes(), &query).unwrap().next, None);
    }

    #[test]
    fn client_side_filters_apply_but_the_cursor_counts_every_vendor_call() {
        let body = json!({"calls": [
            {"id": "a", "provider": "Web", "metadata": {"from": "+1"}},
            {"id": "b", "provider": "Twilio", "metadata": {"from": "+2"}}
        ], "count": 10})
        .to_string();
        let query = CallQuery {
            kind: Some(CallKind::Phone),
            search: Some("nothing-local-matches".into()),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query).unwrap();
        let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b"]);
        assert_eq!(page.next, Some(PageCursor::Offset { skip: 2 }));
    }

    #[test]
    fn dial_body_maps_and_refuses() {
        let options = HappyRobotOptions {
            number_id: Some("num-default".into()),
            use_case_id: Some("uc".into()),
            ..HappyRobotOptions::default()
        };
        let mut request = DialRequest::to("+14155550123");
        request.agent_id = Some(AgentId::new("ag"));
        request.variables.insert("first_name".into(), json!("Ada"));
        request.metadata.insert("crm".into(), json!(7));
        request.scheduled_for = Some("2026-03-01T10:00:00Z".parse().unwrap());
        request.max_duration_secs = Some(61);
        request.language = Some("en-US".into());
        request.campaign_id = Some(CampaignId::new("camp"));
        request.extra.insert("prompt_id".into(), json!("p1"));
        let body = dial_body(&request, &options).unwrap();
        assert_eq!(
            Value::Object(body),
            json!({
                "phone_number": "+14155550123", "number_id": "num-default", "use_case_id": "uc",
                "agent_id": "ag", "params": {"first_name": "Ada"}, "metadata": {"crm": 7},
                "scheduled_for": "2026-03-01T10:00:00Z", "max_duration_mins": 2,
                "language": "en-US", "campaign_id": "camp", "prompt_id": "p1"
            })
        );
        request.phone_number_id = Some("num-explicit".into());
        assert_eq!(
            dial_body(&request, &options).unwrap()["number_id"],
            "num-explicit"
        );

        let refused = |r: &DialRequest, o: &HappyRobotOptions, needle: &str| {
            let err = dial_body(r, o).unwrap_err();
            assert!(
                matches!(err, Error::InvalidRequest { status: None, .. }),
                "{err:?}"
            );
            assert!(err.to_string().contains(needle), "{err}");
        };
        let plain = DialRequest::to("+14155550123");
        refused(&plain, &HappyRobotOptions::default(), "phone_number_id");
        refused(
            &DialRequest {
                from_number: Some("+1".into()),
                ..plain.clone()
            },
            &options,
            "from_number",
        );
        refused(
            &DialRequest {
                name: Some("n".into()),
                ..plain.clone()
            },
            &options,
            "name",
        );
        refused(
            &DialRequest {
                max_duration_secs: Some(0),
                ..plain.clone()
            },
            &options,
            "max_duration_secs",
        );
        refused(&DialRequest::to(" "), &options, "to");
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
}
