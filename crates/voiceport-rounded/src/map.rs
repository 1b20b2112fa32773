//! Pure translation between Rounded's wire types and voiceport's model. No I/O here.
//!
//! * the envelope check (`open_envelope`): the one place that decides whether a 2xx
//!   envelope is a success, a vendor error, or a broken body;
//! * the status table ([`map_status`]);
//! * wire call → [`Call`] ([`map_call`]), and the `decode_*` functions over whole bodies;
//! * [`CallQuery`] → list query parameters, [`DialRequest`] → start-call body,
//!   [`CallUpdate`] → update body.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{
    AgentId, AgentRef, Call, CallId, CallKind, CallPage, CallQuery, CallStatus, CallUpdate, Cost,
    DialOutcome, DialRequest, Direction, EndReason, EndReasonCategory, Error, FieldError,
    MetadataMode, Operation, OrganizationId, PageCursor, ProviderKind, Recording, Result, Speaker,
    Transcript, Utterance, VendorPayload,
};

use crate::config::{Paging, RoundedOptions};
use crate::wire;

const KIND: ProviderKind = ProviderKind::Rounded;

/// The default `limit` of the list endpoint.
pub(crate) const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest `limit` the list endpoint accepts.
pub(crate) const MAX_PAGE_SIZE: u32 = 1000;

// ---------------------------------------------------------------------------------------
// The envelope

/// Whether an operation's response must carry `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Data {
    /// `data` must be there (get, update, list, start call).
    Required,
    /// `data` may be null (terminate: documented as `any`).
    Optional,
}

/// The one place where a 2xx Rounded envelope is judged.
///
/// * `data` present → success. An `error` object next to it (the generated doc examples
///   show one on every 200) is ignored, and logged at debug level.
/// * `data` null or absent, `error` non-null → [`Error::InvalidRequest`] with the status from
///   `error.status` (else the envelope's `status`), the vendor's message and every
///   `{field, message}` detail.
/// * `data` null or absent, no error, where `data` is required → [`Error::Decode`] at `data`.
///
/// Non-2xx statuses never get here: the core HTTP client maps them, reading the same
/// `error.message` / `error.details`.
pub(crate) fn open_envelope<T>(
    operation: Operation,
    envelope: wire::Envelope<T>,
    need: Data,
    body: &[u8],
) -> Result<Option<T>> {
    let wire::Envelope {
        message,
        data,
        error,
        status,
    } = envelope;
    match (data, error) {
        (Some(data), error) => {
            if let Some(error) = error {
                tracing::debug!(
                    provider = %KIND,
                    operation = %operation,
                    vendor_error = error.message.as_deref().unwrap_or(""),
                    "ignoring the `error` object of a successful Rounded response"
                );
            }
            Ok(Some(data))
        }
        (None, Some(error)) => Err(vendor_error(operation, error, message, status)),
        (None, None) => match need {
            Data::Optional => Ok(None),
            Data::Required => Err(Error::Decode {
                provider: KIND,
                operation,
                path: "data".to_owned(),
                message: "`data` is null or missing, and the response names no error".to_owned(),
                excerpt: excerpt(body),
            }),
        },
    }
}

fn vendor_error(
    operation: Operation,
    error: wire::ApiError,
    envelope_message: Option<String>,
    envelope_status: Option<u16>,
) -> Error {
    let details = error
        .details
        .unwrap_or_default()
        .into_iter()
        .filter_map(|detail| match (detail.field, detail.message) {
            (None, None) => None,
            (field, message) => Some(FieldError {
                field: field.unwrap_or_default(),
                message: message.unwrap_or_default(),
            }),
        })
        .collect();
    let message = error
        .message
        .filter(|m| !m.trim().is_empty())
        .or(envelope_message.filter(|m| !m.trim().is_empty()))
        .unwrap_or_else(|| "Rounded answered with an error and no data".to_owned());
    Error::InvalidRequest {
        provider: KIND,
        operation,
        status: error.status.or(envelope_status),
        message,
        details,
    }
}

/// Up to ~120 characters of the body, on one line.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 120;
    let text = String::from_utf8_lossy(body);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    match flat.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------
// Decoding whole bodies

/// Decodes the body of `GET /v1/calls/{call_id}` (envelope included) into a [`Call`].
pub fn decode_call(body: &[u8]) -> Result<Call> {
    decode_call_as(Operation::GetCall, body)
}

/// Decodes an envelope whose `data` is a call (get, update).
pub(crate) fn decode_call_as(operation: Operation, body: &[u8]) -> Result<Call> {
    let envelope: wire::Envelope<&RawValue> = decode_json(KIND, operation, body)?;
    match open_envelope(operation, envelope, Data::Required, body)? {
        Some(raw) => call_from_raw(operation, raw, "data"),
        None => Err(Error::Decode {
            provider: KIND,
            operation,
            path: "data".to_owned(),
            message: "`data` is missing".to_owned(),
            excerpt: excerpt(body),
        }),
    }
}

/// Decodes one raw call object, maps it, and attaches it as the vendor payload. `path` is
/// where the object sits in the body (`data`, `data[3]`), for error messages.
pub(crate) fn call_from_raw(operation: Operation, raw: &RawValue, path: &str) -> Result<Call> {
    let wire: wire::Call = decode_raw(KIND, operation, raw, path)?;
    let mut call = map_call(wire);
    call.set_vendor_payload(VendorPayload::from_raw(raw));
    Ok(call)
}

/// Decodes the body of `GET /v1/calls` into a page. The filters Rounded cannot apply
/// (`direction`, `statuses`, `search`) are applied here, client-side.
///
/// The next cursor follows the mode of `query.cursor` (a `Token` → cursor mode, a `Page`
/// → page mode); on a first page it follows what the response carries.
pub fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
    let mode = match &query.cursor {
        Some(PageCursor::Token { .. }) => Some(Paging::Cursor),
        Some(PageCursor::Page { .. }) => Some(Paging::Page),
        _ => None,
    };
    decode_page_as(body, query, mode)
}

/// [`decode_page`] with the paging mode the request used.
pub(crate) fn decode_page_as(
    body: &[u8],
    query: &CallQuery,
    mode: Option<Paging>,
) -> Result<CallPage> {
    let operation = Operation::ListCalls;
    let list: wire::ListResponse<&RawValue> = decode_json(KIND, operation, body)?;
    let (envelope, paging) = list.into_envelope();
    let items = open_envelope(operation, envelope, Data::Required, body)?.unwrap_or_default();
    let filter = client_side_filter(query);
    let mut calls = Vec::with_capacity(items.len());
    for (i, raw) in items.iter().enumerate() {
        let call = call_from_raw(operation, raw, &format!("data[{i}]"))?;
        if filter.matches(&call) {
            calls.push(call);
        }
    }
    let requested_page = match &query.cursor {
        Some(PageCursor::Page { number }) => Some(u64::from(*number)),
        _ => None,
    };
    let next = next_cursor(mode, &paging, items.is_empty(), requested_page);
    Ok(CallPage {
        calls,
        next,
        total: paging.total_items,
    })
}

/// The filters of `query` applied client-side, as a query of their own: the ones Rounded
/// cannot apply (`direction`, `statuses`, `search`), plus a re-check of the time range.
///
/// The time range is also sent (`start_time_gt` / `start_time_lt`); it is checked again on
/// the normalized `created_at` (which is Rounded's `start_time`) so that a call the server
/// lets through without a start time (one that never connected) is not returned for a
/// time-bounded query it does not provably match.
fn client_side_filter(query: &CallQuery) -> CallQuery {
    CallQuery {
        direction: query.direction,
        statuses: query.statuses.clone(),
        search: query.search.clone(),
        since: query.since,
        until: query.until,
        ..CallQuery::default()
    }
}

fn next_cursor(
    mode: Option<Paging>,
    paging: &wire::ListPaging,
    empty_page: bool,
    requested_page: Option<u64>,
) -> Option<PageCursor> {
    let token = || {
        paging
            .next_cursor
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty() && !empty_page)
            .map(|t| PageCursor::Token {
                token: t.to_owned(),
            })
    };
    let page = || {
        let current = paging.current_page.or(requested_page).unwrap_or(1);
        let total = paging.total_pages?;
        if current >= total {
            return None;
        }
        let number = u32::try_from(current.checked_add(1)?).ok()?;
        Some(PageCursor::Page { number })
    };
    match mode {
        Some(Paging::Cursor) => token(),
        Some(Paging::Page) => page(),
        None => token().or_else(page),
    }
}

/// Decodes the body of `POST /v1/calls/phone` (201 `{data: {call_id}}`).
///
/// Rounded answers with the id only, so `call` is `None`: voiceport does not fetch the
/// call, because a dial must stay a single request. Call `get_call` when you need it.
pub fn decode_start_call(body: &[u8]) -> Result<DialOutcome> {
    let operation = Operation::Dial;
    let envelope: wire::Envelope<wire::StartCallData> = decode_json(KIND, operation, body)?;
    let data = open_envelope(operation, envelope, Data::Required, body)?;
    let call_id = data.map(|d| d.call_id).unwrap_or_default();
    if call_id.trim().is_empty() {
        return Err(Error::Decode {
            provider: KIND,
            operation,
            path: "data.call_id".to_owned(),
            message: "the new call's id is empty".to_owned(),
            excerpt: excerpt(body),
        });
    }
    Ok(DialOutcome {
        call_id: CallId::new(call_id),
        call: None,
    })
}

/// Checks the body of `POST /v1/calls/{call_id}/terminate` (`data` is documented as `any`;
/// an empty body is accepted too).
pub fn decode_terminate(body: &[u8]) -> Result<()> {
    let operation = Operation::EndCall;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let envelope: wire::Envelope<&RawValue> = decode_json(KIND, operation, body)?;
    open_envelope(operation, envelope, Data::Optional, body)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The status table

/// The status table: Rounded `status` (and `answer_type`) → normalized status and reason.
///
/// Only `created` and `completed` are documented (reference §3.4); **every other status
/// value below is inferred** from common vendor vocabularies and kept so that a real value
/// lands in the right place the day it shows up. Unknown values map to
/// [`CallStatus::Unknown`]; the vendor string is always kept in `vendor_status`.
///
/// Rounded documents no end reason. The only reasons given are:
/// * `failed` / `error` → [`EndReasonCategory::Error`] (vendor string: the status);
/// * a `completed` call whose `answer_type` is `voicemail` / `machine` /
///   `answering_machine` (inferred values) → status [`CallStatus::Voicemail`], reason
///   [`EndReasonCategory::Voicemail`] (vendor string: the answer type).
///
/// `answer_type: human` adds nothing; other answer types are kept only in the payload.
pub fn map_status(
    status: Option<&wire::CallStatus>,
    answer_type: Option<&wire::AnswerType>,
) -> (CallStatus, Option<EndReason>) {
    use wire::CallStatus as S;
    let Some(status) = status else {
        return (CallStatus::Unknown, None);
    };
    let normalized = match status {
        S::Created | S::Queued => CallStatus::Queued,
        S::Ringing => CallStatus::Ringing,
        S::InProgress | S::Ongoing | S::Active => CallStatus::InProgress,
        S::Transferred => CallStatus::Transferred,
        S::Completed | S::Ended => CallStatus::Completed,
        S::Failed | S::Error => {
            let reason = EndReason::new(EndReasonCategory::Error, Some(status.as_str().to_owned()));
            return (CallStatus::Failed, Some(reason));
        }
        S::NoAnswer | S::NotAnswered => CallStatus::NoAnswer,
        S::Busy => CallStatus::Busy,
        S::Canceled | S::Cancelled => CallStatus::Canceled,
        S::Other(_) => CallStatus::Unknown,
    };
    let machine = matches!(
        answer_type,
        Some(
            wire::AnswerType::Voicemail
                | wire::AnswerType::Machine
                | wire::AnswerType::AnsweringMachine
        )
    );
    match (normalized, answer_type) {
        (CallStatus::Completed, Some(answer)) if machine => (
            CallStatus::Voicemail,
            Some(EndReason::new(
                EndReasonCategory::Voicemail,
                Some(answer.as_str().to_owned()),
            )),
        ),
        (normalized, _) => (normalized, None),
    }
}

/// Transcript role → speaker (`user` documented, the rest inferred).
pub fn map_role(role: &wire::Role) -> Speaker {
    use wire::Role as R;
    match role {
        R::User => Speaker::Customer,
        R::Agent | R::Assistant | R::Bot => Speaker::Agent,
        R::Tool | R::ToolCall | R::ToolResult | R::Function => Speaker::Tool,
        R::System => Speaker::System,
        R::Other(raw) => Speaker::Other(raw.clone()),
    }
}

// ---------------------------------------------------------------------------------------
// Call

/// Maps a wire call to the normalized [`Call`] (without the vendor payload; see
/// [`decode_call`] for that).
pub fn map_call(wire: wire::Call) -> Call {
    let mut call = Call::new(CallId::new(wire.id), KIND);
    call.organization_id = wire.organization_id.map(OrganizationId::new);
    call.kind = match &wire.call_type {
        Some(wire::CallType::PhoneCall) | None => CallKind::Phone,
        Some(wire::CallType::WebCall) => CallKind::Web,
        Some(wire::CallType::Other(raw)) => CallKind::Other(raw.clone()),
    };
    call.direction = match &wire.direction {
        Some(wire::Direction::Inbound) => Some(Direction::Inbound),
        Some(wire::Direction::Outbound) => Some(Direction::Outbound),
        _ => None,
    };
    let (status, end_reason) = map_status(wire.status.as_ref(), wire.answer_type.as_ref());
    call.status = status;
    call.end_reason = end_reason;
    call.vendor_status = wire.status.as_ref().map(|s| s.as_str().to_owned());
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
    call.duration_secs = wire.duration_seconds;
    call.cost = wire.cost.map(|total| Cost {
        total: Some(total),
        currency: None,
        breakdown: Vec::new(),
    });
    call.recording = wire.recording_url.map(|url| Recording {
        mono_url: Some(url),
        stereo_url: None,
        expires_at: None,
    });
    call.metadata = map_metadata(wire.metadata);
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

fn map_metadata(metadata: Option<Value>) -> BTreeMap<String, Value> {
    match metadata {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => map.into_iter().collect(),
        Some(other) => BTreeMap::from([("metadata".to_owned(), other)]),
    }
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
/// both times parse.
pub(crate) fn map_utterance(
    entry: wire::TranscriptEntry,
    call_start: Option<DateTime<Utc>>,
) -> Utterance {
    let speaker = entry
        .role
        .as_ref()
        .map(map_role)
        .unwrap_or_else(|| Speaker::Other(String::new()));
    let at = entry.start_time.as_deref().and_then(parse_time);
    let mut utterance = Utterance::new(speaker, entry.content);
    utterance.at = at;
    utterance.start_secs = match (at, call_start) {
        (Some(at), Some(start)) => Some(seconds_between(start, at)),
        _ => None,
    };
    utterance
}

fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    let delta = to.signed_duration_since(from);
    match delta.num_microseconds() {
        Some(micros) => micros as f64 / 1e6,
        None => delta.num_milliseconds() as f64 / 1e3,
    }
}

/// Variables (`name` → `value`), then answered post-call questions (`question.name`, else
/// `question.id` → the answer). A post-call answer wins over a variable of the same name.
fn map_extracted(
    variables: Vec<wire::VariableValue>,
    answers: Vec<wire::PostCallAnswer>,
) -> BTreeMap<String, Value> {
    let mut extracted = BTreeMap::new();
    for variable in variables {
        if let Some(name) = variable.name.filter(|n| !n.is_empty()) {
            extracted.insert(name, variable.value.unwrap_or(Value::Null));
        }
    }
    for answer in answers {
        let key = answer
            .question
            .as_ref()
            .and_then(|q| q.name.clone().filter(|n| !n.is_empty()).or(q.id.clone()));
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            continue;
        };
        let value = answer_value(&answer);
        let answered = answer.has_answer.unwrap_or(value.is_some());
        if let (true, Some(value)) = (answered, value) {
            extracted.insert(key, value);
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

/// Parses a Rounded timestamp leniently: RFC 3339, or an ISO date-time without an offset
/// (taken as UTC). Anything else is `None`.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

// ---------------------------------------------------------------------------------------
// Requests

/// The query parameters of `GET /v1/calls` for `query`.
///
/// Server-side: `agent_id`, `call_type` (from `kind`), `from_number`, `to_number`,
/// `start_time_gt` / `start_time_lt` (from `since` / `until`), `limit`, and the paging
/// parameters. `use_cursor` and both include flags are always sent explicitly. The paging
/// mode follows the cursor given (`Token` → cursor, `Page` → page), else `options.paging`.
///
/// The caller checks the unsupported filters first (`CallQuery::ensure_supported`); the
/// client-side ones (`direction`, `statuses`, `search`) are applied by [`decode_page`].
pub fn list_params(
    query: &CallQuery,
    options: &RoundedOptions,
) -> Result<(Vec<(&'static str, String)>, Paging)> {
    let mut params: Vec<(&'static str, String)> = Vec::new();
    if let Some(agent) = &query.agent_id {
        params.push(("agent_id", agent.as_str().to_owned()));
    }
    if let Some(kind) = &query.kind {
        let call_type = match kind {
            CallKind::Phone => wire::CallType::PhoneCall,
            CallKind::Web => wire::CallType::WebCall,
            other => {
                return Err(Error::invalid_input(
                    KIND,
                    Operation::ListCalls,
                    format!(
                        "`kind` {:?} cannot be listed: Rounded has only phone and web calls",
                        other.as_str()
                    ),
                ));
            }
        };
        params.push(("call_type", call_type.as_str().to_owned()));
    }
    if let Some(number) = &query.from_number {
        params.push(("from_number", number.clone()));
    }
    if let Some(number) = &query.to_number {
        params.push(("to_number", number.clone()));
    }
    if let Some(since) = query.since {
        params.push(("start_time_gt", iso(since)));
    }
    if let Some(until) = query.until {
        params.push(("start_time_lt", iso(until)));
    }
    let limit = query
        .page_size
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    params.push(("limit", limit.to_string()));
    let mode = match &query.cursor {
        None => options.paging,
        Some(PageCursor::Token { token }) => {
            params.push(("cursor", token.clone()));
            Paging::Cursor
        }
        Some(PageCursor::Page { number }) => {
            params.push(("page", number.to_string()));
            Paging::Page
        }
        Some(other) => {
            return Err(Error::invalid_input(
                KIND,
                Operation::ListCalls,
                format!("cursor {other} is not a Rounded cursor (expected a token or a page)"),
            ));
        }
    };
    params.push(("use_cursor", (mode == Paging::Cursor).to_string()));
    // Name inferred: the transcript include flag's name was not captured; the variables
    // flag `include_variable_values` is confirmed by a third-party script (reference §3.3).
    params.push(("include_transcript", options.include_transcript.to_string()));
    params.push((
        "include_variable_values",
        options.include_variable_values.to_string(),
    ));
    Ok((params, mode))
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The body of `POST /v1/calls/phone` for `request`.
///
/// `from_number` and `agent_id` come from the request, else from the options; both are
/// required. Fields Rounded cannot take are refused, never dropped: `phone_number_id`,
/// `metadata`, `scheduled_for`, `max_duration_secs`, `language`, `name`, `campaign_id`.
/// `extra` is merged into the body (the SIP-headers object, whose field name Rounded does
/// not document, goes there); an `extra` key that collides with a field voiceport sets is
/// refused.
pub fn dial_body(request: &DialRequest, options: &RoundedOptions) -> Result<wire::StartCallBody> {
    request.validate(KIND)?;
    let refuse = |field: &str, why: &str| {
        Err(Error::invalid_input(
            KIND,
            Operation::Dial,
            format!("`{field}` is not supported by Rounded's start-call endpoint: {why}"),
        ))
    };
    if request.phone_number_id.is_some() {
        return refuse(
            "phone_number_id",
            "Rounded takes the caller id as a number; set `from_number`",
        );
    }
    if !request.metadata.is_empty() {
        return refuse(
            "metadata",
            "set it after the dial with update_call (PATCH /calls/{call_id})",
        );
    }
    if request.scheduled_for.is_some() {
        return refuse("scheduled_for", "Rounded places calls immediately");
    }
    if request.max_duration_secs.is_some() {
        return refuse(
            "max_duration_secs",
            "the maximum duration is a setting of the agent",
        );
    }
    if request.language.is_some() {
        return refuse("language", "the language is a setting of the agent");
    }
    if request.name.is_some() {
        return refuse("name", "Rounded calls have no name");
    }
    if request.campaign_id.is_some() {
        return refuse("campaign_id", "Rounded calls have no campaign");
    }
    let from_number = request
        .from_number
        .clone()
        .or_else(|| options.from_number.clone())
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            Error::invalid_input(
                KIND,
                Operation::Dial,
                "`from_number` is required: set it on the request or as the `from_number` option",
            )
        })?;
    let agent_id = request
        .agent_id
        .as_ref()
        .map(|a| a.as_str().to_owned())
        .or_else(|| options.agent_id.clone())
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            Error::invalid_input(
                KIND,
                Operation::Dial,
                "`agent_id` is required: set it on the request or as the `agent_id` option",
            )
        })?;
    const SET: [&str; 4] = [
        "from_number",
        "to_number",
        "agent_id",
        "dynamic_variables_values",
    ];
    if let Some(key) = request.extra.keys().find(|k| SET.contains(&k.as_str())) {
        return Err(Error::invalid_input(
            KIND,
            Operation::Dial,
            format!(
                "`extra` key `{key}` collides with a field voiceport sets from the request; use the request field"
            ),
        ));
    }
    Ok(wire::StartCallBody {
        from_number,
        to_number: request.to.clone(),
        agent_id,
        dynamic_variables_values: (!request.variables.is_empty())
            .then(|| request.variables.clone()),
        extra: request
            .extra
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// The body of `PATCH /v1/calls/{call_id}` for `update`: `{metadata, override}` with
/// `override` always explicit ([`MetadataMode::Merge`] → `false`, `Replace` → `true`).
///
/// A `name` is [`Error::Unsupported`] (Rounded calls have none); an update with neither
/// name nor metadata is refused as invalid.
pub fn update_body(update: &CallUpdate) -> Result<wire::UpdateCallBody> {
    if update.name.is_some() {
        return Err(Error::unsupported(KIND, Operation::UpdateCall));
    }
    let Some(metadata) = &update.metadata else {
        return Err(Error::invalid_input(
            KIND,
            Operation::UpdateCall,
            "nothing to update: set `metadata`",
        ));
    };
    Ok(wire::UpdateCallBody {
        metadata: metadata.clone(),
        override_metadata: update.metadata_mode == MetadataMode::Replace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(text: &str, answer: Option<&str>) -> (CallStatus, Option<EndReason>) {
        map_status(
            Some(&wire::CallStatus::parse(text)),
            answer.map(wire::AnswerType::parse).as_ref(),
        )
    }

    #[test]
    fn status_table_covers_every_known_value_and_unknown() {
        let table = [
            ("created", CallStatus::Queued),
            ("queued", CallStatus::Queued),
            ("ringing", CallStatus::Ringing),
            ("in_progress", CallStatus::InProgress),
            ("ongoing", CallStatus::InProgress),
            ("active", CallStatus::InProgress),
            ("transferred", CallStatus::Transferred),
            ("completed", CallStatus::Completed),
            ("ended", CallStatus::Completed),
            ("failed", CallStatus::Failed),
            ("error", CallStatus::Failed),
            ("no_answer", CallStatus::NoAnswer),
            ("not_answered", CallStatus::NoAnswer),
            ("busy", CallStatus::Busy),
            ("canceled", CallStatus::Canceled),
            ("cancelled", CallStatus::Canceled),
            ("transferring", CallStatus::Unknown),
            ("", CallStatus::Unknown),
        ];
        for (text, expected) in table {
            let (normalized, reason) = status(text, None);
            assert_eq!(normalized, expected, "{text}");
            if expected == CallStatus::Failed {
                assert_eq!(
                    reason,
                    Some(EndReason::new(
                        EndReasonCategory::Error,
                        Some(text.to_owned())
                    ))
                );
            } else {
                assert_eq!(reason, None, "{text}");
            }
        }
        assert_eq!(map_status(None, None), (CallStatus::Unknown, None));
    }

    #[test]
    fn machine_answer_on_completed_call_is_voicemail() {
        for answer in ["voicemail", "machine", "answering_machine"] {
            let (normalized, reason) = status("completed", Some(answer));
            assert_eq!(normalized, CallStatus::Voicemail, "{answer}");
            assert_eq!(
                reason,
                Some(EndReason::new(
                    EndReasonCategory::Voicemail,
                    Some(answer.to_owned())
                ))
            );
        }
        assert_eq!(
            status("completed", Some("human")),
            (CallStatus::Completed, None)
        );
        assert_eq!(
            status("completed", Some("fax_machine")),
            (CallStatus::Completed, None)
        );
        // Only a completed call becomes voicemail.
        assert_eq!(
            status("in_progress", Some("voicemail")),
            (CallStatus::InProgress, None)
        );
        assert_eq!(status("failed", Some("voicemail")).0, CallStatus::Failed);
    }

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
        let expected: DateTime<Utc> = "2026-03-23T18:04:11Z".parse().unwrap();
        assert_eq!(parse_time("2026-03-23T18:04:11Z"), Some(expected));
        assert_eq!(parse_time("2026-03-23T19:04:11+01:00"), Some(expected));
        assert_eq!(parse_time("2026-03-23T18:04:11"), Some(expected));
        assert_eq!(parse_time("2026-03-23 18:04:11.000"), Some(expected));
        assert_eq!(parse_time("2026-13-45T99:99:99Z"), None);
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn envelope_rules() {
        let op = Operation::GetCall;
        let ok = wire::Envelope {
            message: None,
            data: Some(1),
            error: Some(wire::ApiError {
                details: None,
                message: Some("ignored".into()),
                status: Some(400),
                error_type: None,
            }),
            status: Some(200),
        };
        assert_eq!(
            open_envelope(op, ok, Data::Required, b"{}").unwrap(),
            Some(1)
        );

        let failed: wire::Envelope<i32> = serde_json::from_value(json!({
            "message": "Bad", "data": null, "status": 200,
            "error": {"message": "Validation failed", "details": [{"field": "to_number", "message": "bad"}]}
        }))
        .unwrap();
        match open_envelope(op, failed, Data::Optional, b"{}").unwrap_err() {
            Error::InvalidRequest {
                status,
                message,
                details,
                ..
            } => {
                assert_eq!(status, Some(200));
                assert_eq!(message, "Validation failed");
                assert_eq!(
                    details,
                    vec![FieldError {
                        field: "to_number".into(),
                        message: "bad".into()
                    }]
                );
            }
            other => panic!("{other:?}"),
        }

        let empty: wire::Envelope<i32> = serde_json::from_value(json!({"data": null})).unwrap();
        assert!(matches!(
            open_envelope(op, empty.clone(), Data::Required, b"{\"data\":null}"),
            Err(Error::Decode { ref path, .. }) if path == "data"
        ));
        assert_eq!(
            open_envelope(op, empty, Data::Optional, b"{}").unwrap(),
            None
        );
    }

    #[test]
    fn list_params_cursor_and_page_modes() {
        let options = RoundedOptions::default();
        let query = CallQuery {
            kind: Some(CallKind::Phone),
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            until: Some("2026-03-02T00:00:00.5Z".parse().unwrap()),
            agent_id: Some(AgentId::new("a")),
            from_number: Some("+1".into()),
            to_number: Some("+2".into()),
            page_size: Some(5000),
            cursor: Some(PageCursor::Page { number: 3 }),
            ..CallQuery::default()
        };
        let (params, mode) = list_params(&query, &options).unwrap();
        assert_eq!(mode, Paging::Page);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("call_type"), Some("phone_call"));
        assert_eq!(get("start_time_gt"), Some("2026-03-01T00:00:00Z"));
        assert_eq!(get("start_time_lt"), Some("2026-03-02T00:00:00.500Z"));
        assert_eq!(get("limit"), Some("1000"));
        assert_eq!(get("page"), Some("3"));
        assert_eq!(get("use_cursor"), Some("false"));
        assert_eq!(get("include_transcript"), Some("true"));
        assert_eq!(get("include_variable_values"), Some("true"));

        let (params, mode) = list_params(&CallQuery::default(), &options).unwrap();
        assert_eq!(mode, Paging::Cursor);
        assert!(params.contains(&("use_cursor", "true".into())));
        assert!(params.contains(&("limit", "50".into())));

        let chat = CallQuery {
            kind: Some(CallKind::Chat),
            ..CallQuery::default()
        };
        assert!(matches!(
            list_params(&chat, &options),
            Err(Error::InvalidRequest { .. })
        ));
        let offset = CallQuery {
            cursor: Some(PageCursor::Offset { skip: 5 }),
            ..CallQuery::default()
        };
        assert!(matches!(
            list_params(&offset, &options),
            Err(Error::InvalidRequest { .. })
        ));
    }

    #[test]
    fn time_range_is_rechecked_on_the_start_time() {
        let body = json!({
            "data": [
                {"id": "a", "status": "completed", "start_time": "2026-03-10T00:00:00Z"},
                {"id": "b", "status": "no_answer", "start_time": null},
                {"id": "c", "status": "completed", "start_time": "2026-02-10T00:00:00Z"}
            ],
            "next_cursor": "2026-02-10T00:00:00Z"
        })
        .to_string();
        let query = CallQuery {
            since: Some("2026-03-01T00:00:00Z".parse().unwrap()),
            ..CallQuery::default()
        };
        let page = decode_page(body.as_bytes(), &query).unwrap();
        let ids: Vec<&str> = page.calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a"]);
        // Paging is the server's: the cursor survives client-side filtering.
        assert!(page.next.is_some());
        let all = decode_page(body.as_bytes(), &CallQuery::default()).unwrap();
        assert_eq!(all.calls.len(), 3);
    }

    #[test]
    fn next_cursor_rules() {
        let paging = wire::ListPaging {
            next_cursor: Some("2026-03-23T17:51:03Z".into()),
            current_page: Some(2),
            total_pages: Some(5),
            total_items: Some(13),
        };
        assert_eq!(
            next_cursor(Some(Paging::Cursor), &paging, false, None),
            Some(PageCursor::Token {
                token: "2026-03-23T17:51:03Z".into()
            })
        );
        assert_eq!(next_cursor(Some(Paging::Cursor), &paging, true, None), None);
        assert_eq!(
            next_cursor(Some(Paging::Page), &paging, false, None),
            Some(PageCursor::Page { number: 3 })
        );
        let last = wire::ListPaging {
            current_page: Some(5),
            ..paging.clone()
        };
        assert_eq!(next_cursor(Some(Paging::Page), &last, false, None), None);
        assert_eq!(
            next_cursor(None, &wire::ListPaging::default(), false, None),
            None
        );
    }

    #[test]
    fn dial_body_shapes_and_refusals() {
        let options = RoundedOptions {
            from_number: Some("+33199001234".into()),
            agent_id: Some("agent-from-options".into()),
            ..RoundedOptions::default()
        };
        let mut request = DialRequest::to("+33639981234");
        request.variables.insert("first_name".into(), json!("Ada"));
        request
            .extra
            .insert("sip_headers".into(), json!({"X-Campaign": "spring"}));
        let body = serde_json::to_value(dial_body(&request, &options).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "from_number": "+33199001234",
                "to_number": "+33639981234",
                "agent_id": "agent-from-options",
                "dynamic_variables_values": {"first_name": "Ada"},
                "sip_headers": {"X-Campaign": "spring"}
            })
        );

        let bare =
            serde_json::to_value(dial_body(&DialRequest::to("+1"), &options).unwrap()).unwrap();
        assert!(bare.get("dynamic_variables_values").is_none());

        let no_defaults = RoundedOptions::default();
        let err = dial_body(&DialRequest::to("+1"), &no_defaults).unwrap_err();
        assert!(err.to_string().contains("from_number"), "{err}");
        let with_from = DialRequest {
            from_number: Some("+2".into()),
            ..DialRequest::to("+1")
        };
        let err = dial_body(&with_from, &no_defaults).unwrap_err();
        assert!(err.to_string().contains("agent_id"), "{err}");

        let cases: Vec<(&str, DialRequest)> = vec![
            (
                "phone_number_id",
                DialRequest {
                    phone_number_id: Some("p".into()),
                    ..DialRequest::to("+1")
                },
            ),
            (
                "metadata",
                DialRequest {
                    metadata: BTreeMap::from([("a".into(), json!(1))]),
                    ..DialRequest::to("+1")
                },
            ),
            (
                "scheduled_for",
                DialRequest {
                    scheduled_for: Some(Utc::now()),
                    ..DialRequest::to("+1")
                },
            ),
            (
                "max_duration_secs",
                DialRequest {
                    max_duration_secs: Some(60),
                    ..DialRequest::to("+1")
                },
            ),
            (
                "language",
                DialRequest {
                    language: Some("fr".into()),
                    ..DialRequest::to("+1")
                },
            ),
            (
                "name",
                DialRequest {
                    name: Some("n".into()),
                    ..DialRequest::to("+1")
                },
            ),
            (
                "campaign_id",
                DialRequest {
                    campaign_id: Some("c".into()),
                    ..DialRequest::to("+1")
                },
            ),
            (
                "to_number",
                DialRequest {
                    extra: BTreeMap::from([("to_number".into(), json!("+3"))]),
                    ..DialRequest::to("+1")
                },
            ),
            ("`to`", DialRequest::to(" ")),
        ];
        for (field, request) in cases {
            let err = dial_body(&request, &options).unwrap_err();
            assert!(
                matches!(err, Error::InvalidRequest { status: None, .. }),
                "{field}: {err:?}"
            );
            assert!(err.to_string().contains(field), "{field}: {err}");
        }
    }

    #[test]
    fn update_body_modes() {
        let metadata = BTreeMap::from([("a".to_owned(), json!(1))]);
        let merge = CallUpdate {
            metadata: Some(metadata.clone()),
            ..CallUpdate::default()
        };
        assert_eq!(
            serde_json::to_value(update_body(&merge).unwrap()).unwrap(),
            json!({"metadata": {"a": 1}, "override": false})
        );
        let replace = CallUpdate {
            metadata: Some(metadata),
            metadata_mode: MetadataMode::Replace,
            ..CallUpdate::default()
        };
        assert_eq!(
            serde_json::to_value(update_body(&replace).unwrap()).unwrap(),
            json!({"metadata": {"a": 1}, "override": true})
        );
        let name = CallUpdate {
            name: Some("n".into()),
            ..merge.clone()
        };
        assert!(matches!(
            update_body(&name),
            Err(Error::Unsupported {
                operation: Operation::UpdateCall,
                ..
            })
        ));
        assert!(matches!(
            update_body(&CallUpdate::default()),
            Err(Error::InvalidRequest { status: None, .. })
        ));
    }

    #[test]
    fn start_call_and_terminate_bodies() {
        let outcome = decode_start_call(
            br#"{"message":"Phone call started successfully","data":{"call_id":"b48d0eec-c2e3-4b12-85c6-2aa47f65badb"},"status":201}"#,
        )
        .unwrap();
        assert_eq!(
            outcome.call_id.as_str(),
            "b48d0eec-c2e3-4b12-85c6-2aa47f65badb"
        );
        assert!(outcome.call.is_none());
        assert!(matches!(
            decode_start_call(br#"{"data":{"call_id":""}}"#),
            Err(Error::Decode { ref path, .. }) if path == "data.call_id"
        ));
        assert!(matches!(
            decode_start_call(br#"{"data":null,"error":null}"#),
            Err(Error::Decode { ref path, .. }) if path == "data"
        ));
        decode_terminate(
            br#"{"message":"Call terminated successfully","data":null,"error":null,"status":200}"#,
        )
        .unwrap();
        decode_terminate(b"").unwrap();
        assert!(matches!(
            decode_terminate(br#"{"data":null,"error":{"message":"Only phone calls"}}"#),
            Err(Error::InvalidRequest { .. })
        ));
    }
}
