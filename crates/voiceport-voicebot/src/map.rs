//! Pure mapping, no I/O: Voicebot Studio (Vapi) JSON to the voiceport model, voiceport
//! requests to Voicebot Studio bodies and parameters, and the `decode_*` functions.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{
    AgentId, AgentRef, Call, CallId, CallKind, CallPage, CallQuery, CallStatus, CallUpdate,
    CampaignId, Cost, CostItem, DialRequest, Direction, EndReason, EndReasonCategory, Error,
    Operation, OrganizationId, PageCursor, ProviderKind, Recording, Result, Speaker, ToolCall,
    ToolResult, Transcript, Utterance, VendorPayload,
};

use crate::VoicebotOptions;
use crate::wire;

const KIND: ProviderKind = ProviderKind::Voicebot;

/// The page size used when the query sets none (Vapi's default `limit`).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page Vapi serves (`limit` ≤ 1000).
pub const MAX_PAGE_SIZE: u32 = 1000;

// ---------------------------------------------------------------------------------------
// Status and end reason
// ---------------------------------------------------------------------------------------

/// The normalized status and end reason of a call, from its `status` and `endedReason`
/// together. This is the whole mapping table.
///
/// | `status` | normalized status |
/// | --- | --- |
/// | `scheduled` | `Scheduled` |
/// | `queued` | `Queued` |
/// | `ringing` | `Ringing` |
/// | `in-progress` | `InProgress` |
/// | `forwarding` | `Transferred` |
/// | `not-found`, `deletion-failed`, anything unknown | `Unknown` |
/// | `ended` | by `endedReason`, see [`ended_outcome`]; without a reason `Completed` |
/// | absent | by `endedReason` when there is one (only ended calls have one), else `Unknown` |
///
/// The end reason is returned whenever the vendor gave one (its category from
/// [`ended_outcome`], its text verbatim), whatever the status; an `ended` call without
/// a reason has none.
pub fn status_and_reason(
    status: Option<&wire::Status>,
    ended_reason: Option<&str>,
) -> (CallStatus, Option<EndReason>) {
    use wire::Status as S;
    let reason = ended_reason.filter(|r| !r.trim().is_empty());
    let outcome = reason.map(ended_outcome);
    let end_reason =
        outcome.map(|(_, category)| EndReason::new(category, reason.map(str::to_owned)));
    let status = match status {
        Some(S::Scheduled) => CallStatus::Scheduled,
        Some(S::Queued) => CallStatus::Queued,
        Some(S::Ringing) => CallStatus::Ringing,
        Some(S::InProgress) => CallStatus::InProgress,
        Some(S::Forwarding) => CallStatus::Transferred,
        Some(S::Ended) => outcome.map_or(CallStatus::Completed, |(status, _)| status),
        Some(S::NotFound | S::DeletionFailed | S::Other(_)) => CallStatus::Unknown,
        None => outcome.map_or(CallStatus::Unknown, |(status, _)| status),
    };
    (status, end_reason)
}

/// What an `endedReason` says about an ended call: its normalized status and the reason's
/// category. Rules, first match wins:
///
/// | `endedReason` | status / category |
/// | --- | --- |
/// | `customer-did-not-answer`, `call.ringing.sip-inbound-caller-hungup-before-call-connect` | `NoAnswer` / `NoAnswer` |
/// | `customer-busy` | `Busy` / `Busy` |
/// | `voicemail` | `Voicemail` / `Voicemail` |
/// | `silence-timed-out` | `Completed` / `Silence` |
/// | `exceeded-max-duration` | `Completed` / `MaxDuration` |
/// | `manually-canceled`, `scheduled-call-deleted`, `call-deleted` | `Canceled` / `Canceled` |
/// | `assistant-forwarded-call`, `assistant-request-returned-forwarding-phone-number`, `call.forwarding.*`, `*hook-executed-transfer` | `Transferred` / `Transferred` |
/// | `customer-ended-call*` | `Completed` / `CustomerHungUp` |
/// | `assistant-ended-call*`, `assistant-said-end-call-phrase` | `Completed` / `AgentEnded` |
/// | containing `error`, `fault` or `failed` (`pipeline-error-*`, `call.start.error-*`, `call.in-progress.error-*`, `*-failed-to-connect-*`, `assistant-request-failed`) | `Failed` / `Error` |
/// | `assistant-not-found`, `assistant-not-valid`, `assistant-request-returned-no-assistant`, `assistant-request-returned-invalid-assistant`, `assistant-join-timed-out`, `worker-shutdown`, `twilio-reported-customer-misdialed`, `vonage-rejected`, `customer-did-not-give-microphone-permission`, `phone-call-provider-bypass-enabled-but-no-call-received` | `Failed` / `Error` |
/// | anything else (`vonage-completed`, `call.in-progress.twilio-completed-call`, unknown values …) | `Completed` / `Other` |
pub fn ended_outcome(reason: &str) -> (CallStatus, EndReasonCategory) {
    use CallStatus as St;
    use EndReasonCategory as Cat;
    match reason {
        "customer-did-not-answer"
        | "call.ringing.sip-inbound-caller-hungup-before-call-connect" => {
            (St::NoAnswer, Cat::NoAnswer)
        }
        "customer-busy" => (St::Busy, Cat::Busy),
        "voicemail" => (St::Voicemail, Cat::Voicemail),
        "silence-timed-out" => (St::Completed, Cat::Silence),
        "exceeded-max-duration" => (St::Completed, Cat::MaxDuration),
        "manually-canceled" | "scheduled-call-deleted" | "call-deleted" => {
            (St::Canceled, Cat::Canceled)
        }
        "assistant-forwarded-call" | "assistant-request-returned-forwarding-phone-number" => {
            (St::Transferred, Cat::Transferred)
        }
        r if r.starts_with("call.forwarding.") || r.ends_with("hook-executed-transfer") => {
            (St::Transferred, Cat::Transferred)
        }
        r if r.starts_with("customer-ended-call") => (St::Completed, Cat::CustomerHungUp),
        "assistant-said-end-call-phrase" => (St::Completed, Cat::AgentEnded),
        r if r.starts_with("assistant-ended-call") => (St::Completed, Cat::AgentEnded),
        r if r.contains("error") || r.contains("fault") || r.contains("failed") => {
            (St::Failed, Cat::Error)
        }
        "assistant-not-found"
        | "assistant-not-valid"
        | "assistant-request-returned-no-assistant"
        | "assistant-request-returned-invalid-assistant"
        | "assistant-join-timed-out"
        | "worker-shutdown"
        | "twilio-reported-customer-misdialed"
        | "vonage-rejected"
        | "customer-did-not-give-microphone-permission"
        | "phone-call-provider-bypass-enabled-but-no-call-received" => (St::Failed, Cat::Error),
        _ => (St::Completed, Cat::Other),
    }
}

// ---------------------------------------------------------------------------------------
// Call
// ---------------------------------------------------------------------------------------

/// Normalizes a Voicebot Studio call (without attaching the vendor payload).
pub fn call_from_wire(wire: &wire::Call) -> Call {
    let mut call = Call::new(CallId::new(wire.id.clone()), KIND);
    call.organization_id = non_empty(&wire.org_id)
        .or_else(|| non_empty(&wire.organization_id))
        .map(OrganizationId::new);
    call.campaign_id = non_empty(&wire.campaign_id).map(CampaignId::new);
    call.name = non_empty(&wire.name).map(str::to_owned);

    let (status, end_reason) = status_and_reason(
        wire.status.as_ref(),
        wire.ended_reason.as_ref().map(wire::EndedReason::as_str),
    );
    call.status = status;
    call.end_reason = end_reason;
    call.vendor_status = wire.status.as_ref().map(|s| s.as_str().to_owned());

    let (kind, direction) = kind_and_direction(wire.call_type.as_ref());
    call.kind = kind;
    call.direction = direction;
    let customer_number = wire
        .customer
        .as_ref()
        .and_then(|c| non_empty(&c.number))
        .map(str::to_owned);
    match direction {
        Some(Direction::Outbound) => call.to = customer_number,
        Some(Direction::Inbound) => call.from = customer_number,
        None => {}
    }
    call.agent = non_empty(&wire.assistant_id).map(|id| AgentRef {
        id: Some(AgentId::new(id)),
        name: None,
    });

    call.created_at = wire.created_at.as_deref().and_then(parse_time);
    call.started_at = wire.started_at.as_deref().and_then(parse_time);
    call.ended_at = wire.ended_at.as_deref().and_then(parse_time);
    call.scheduled_for = wire
        .schedule_plan
        .as_ref()
        .and_then(|p| p.earliest_at.as_deref())
        .and_then(parse_time);
    call.duration_secs = match (call.started_at, call.ended_at) {
        (Some(start), Some(end)) if end >= start => {
            Some((end - start).num_milliseconds() as f64 / 1000.0)
        }
        _ => None,
    };

    call.transcript = transcript(wire);
    call.recording = recording(wire);

    let analysis = wire.analysis.as_ref();
    call.analysis.summary = non_empty(&wire.summary)
        .or_else(|| analysis.and_then(|a| non_empty(&a.summary)))
        .map(str::to_owned);
    call.analysis.success_evaluation = analysis
        .and_then(|a| non_empty(&a.success_evaluation))
        .map(str::to_owned);
    if let Some(Value::Object(data)) = analysis.and_then(|a| a.structured_data.as_ref()) {
        call.analysis.extracted = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    }
    if let Some(Value::Object(metadata)) = wire
        .assistant_overrides
        .as_ref()
        .and_then(|o| o.metadata.as_ref())
    {
        call.metadata = metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
    call.cost = cost(
        wire.cost,
        wire.cost_breakdown.as_ref(),
        wire.costs.as_deref(),
    );
    call
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

/// The transcript: utterances from `messages` (else `artifact.messages`), text from
/// `transcript` (else `artifact.transcript`). `None` when both are empty.
fn transcript(wire: &wire::Call) -> Option<Transcript> {
    let artifact = wire.artifact.as_ref();
    let messages = wire
        .messages
        .as_deref()
        .filter(|m| !m.is_empty())
        .or_else(|| artifact.and_then(|a| a.messages.as_deref()))
        .unwrap_or_default();
    let text = non_empty(&wire.transcript)
        .or_else(|| artifact.and_then(|a| non_empty(&a.transcript)))
        .map(str::to_owned);
    let transcript = Transcript {
        utterances: messages.iter().map(utterance).collect(),
        text,
    };
    (!transcript.is_empty()).then_some(transcript)
}

/// Who speaks for a role (`bot`/`assistant` → agent, `user` → customer, `system`, the two
/// tool roles → tool; anything else kept verbatim).
pub fn speaker(role: Option<&wire::Role>) -> Speaker {
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
pub fn utterance(message: &wire::Message) -> Utterance {
    let is_result = matches!(message.role, Some(wire::Role::ToolCallResult));
    let text = if is_result {
        message.result.as_ref().and_then(value_text)
    } else {
        non_empty(&message.message).map(str::to_owned)
    };
    let mut utterance = Utterance::new(speaker(message.role.as_ref()), text);
    utterance.start_secs = message.seconds_from_start.filter(|s| s.is_finite());
    utterance.end_secs = match (utterance.start_secs, message.time, message.end_time) {
        (Some(start), Some(time), Some(end)) if end >= time => {
            // Rounded to the microsecond: drops float noise (3.9800000000000004).
            Some(((start + (end - time) / 1000.0) * 1e6).round() / 1e6).filter(|s| s.is_finite())
        }
        _ => None,
    };
    utterance.at = message.time.and_then(epoch_millis);
    utterance.tool_calls = message
        .tool_calls
        .iter()
        .flatten()
        .map(|call| ToolCall {
            id: non_empty(&call.id).map(str::to_owned),
            name: call
                .function
                .as_ref()
                .and_then(|f| non_empty(&f.name))
                .map(str::to_owned),
            arguments: call
                .function
                .as_ref()
                .and_then(|f| f.arguments.as_ref())
                .and_then(value_text),
        })
        .collect();
    if is_result {
        utterance.tool_result = Some(ToolResult {
            tool_call_id: non_empty(&message.tool_call_id).map(str::to_owned),
            name: non_empty(&message.name).map(str::to_owned),
        });
    }
    utterance
}

/// Recording URLs: `recordingUrl`/`stereoRecordingUrl`, else the `artifact` ones. The
/// expiry is read from S3 pre-signed URLs (`X-Amz-Date` + `X-Amz-Expires`) when present.
fn recording(wire: &wire::Call) -> Option<Recording> {
    let artifact = wire.artifact.as_ref();
    let mono = non_empty(&wire.recording_url)
        .or_else(|| artifact.and_then(|a| non_empty(&a.recording_url)))
        .map(str::to_owned);
    let stereo = non_empty(&wire.stereo_recording_url)
        .or_else(|| artifact.and_then(|a| non_empty(&a.stereo_recording_url)))
        .map(str::to_owned);
    if mono.is_none() && stereo.is_none() {
        return None;
    }
    let expires_at = [mono.as_deref(), stereo.as_deref()]
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
pub fn presigned_expiry(url: &str) -> Option<DateTime<Utc>> {
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

/// The cost, in USD (Vapi documents USD): total from `cost` (else `costBreakdown.total`),
/// breakdown from `costBreakdown` (else from `costs[]`, summed per `type`).
fn cost(
    total: Option<f64>,
    breakdown: Option<&wire::CostBreakdown>,
    costs: Option<&[wire::CostEntry]>,
) -> Option<Cost> {
    if total.is_none() && breakdown.is_none() && costs.is_none_or(<[_]>::is_empty) {
        return None;
    }
    let mut items = Vec::new();
    if let Some(b) = breakdown {
        let parts = [
            ("transport", b.transport),
            ("stt", b.stt),
            ("llm", b.llm),
            ("tts", b.tts),
            ("vapi", b.vapi),
        ];
        items.extend(parts.into_iter().filter_map(|(component, amount)| {
            amount.map(|amount| CostItem {
                component: component.to_owned(),
                amount,
            })
        }));
    }
    if items.is_empty() {
        for entry in costs.unwrap_or_default() {
            let (Some(component), Some(amount)) = (non_empty(&entry.cost_type), entry.cost) else {
                continue;
            };
            match items.iter_mut().find(|i| i.component == component) {
                Some(item) => item.amount += amount,
                None => items.push(CostItem {
                    component: component.to_owned(),
                    amount,
                }),
            }
        }
    }
    Some(Cost {
        total: total.or_else(|| breakdown.and_then(|b| b.total)),
        currency: Some("USD".to_owned()),
        breakdown: items,
    })
}

/// Parses a vendor timestamp leniently: RFC 3339, or an ISO date-time without offset
/// (read as UTC). Anything else is `None`.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// Epoch milliseconds (possibly fractional) → UTC time.
fn epoch_millis(ms: f64) -> Option<DateTime<Utc>> {
    if !ms.is_finite() {
        return None;
    }
    let micros = (ms * 1000.0).round();
    if micros.abs() >= i64::MAX as f64 {
        return None;
    }
    DateTime::from_timestamp_micros(micros as i64)
}

fn non_empty(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.is_empty())
}

/// A JSON value as text: strings verbatim, `null` as `None`, anything else as JSON.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/// Decodes the body of `GET /calls/{call_id}` (a bare Call) into a normalized call that
/// keeps the vendor JSON.
pub fn decode_call(body: &[u8]) -> Result<Call> {
    decode_call_as(Operation::GetCall, body)
}

/// [`decode_call`] for the body of another operation (dial, update), named in errors.
pub(crate) fn decode_call_as(operation: Operation, body: &[u8]) -> Result<Call> {
    let raw: &RawValue = decode_json(KIND, operation, body)?;
    decode_raw_call(operation, raw, "")
}

/// Decodes one raw call object; `path` prefixes error paths.
pub(crate) fn decode_raw_call(operation: Operation, raw: &RawValue, path: &str) -> Result<Call> {
    let wire: wire::Call = decode_raw(KIND, operation, raw, path)?;
    let mut call = call_from_wire(&wire);
    call.set_vendor_payload(VendorPayload::from_raw(raw));
    Ok(call)
}

/// Decodes the body of `GET /calls` (a bare JSON array of calls) into a page.
///
/// Every filter of `query` is applied here, client-side, to the decoded calls (Voicebot
/// Studio documents no list parameters; the Vapi ones sent may be ignored). The next
/// cursor is `CreatedBefore` the oldest `createdAt` of the page when the page is full
/// (as many calls as the `limit` sent), else `None`; a full page with a call whose
/// `createdAt` is missing or unreadable ends the walk (no safe window to continue from).
pub fn decode_page(body: &[u8], query: &CallQuery) -> Result<CallPage> {
    let items: Vec<&RawValue> = decode_json(KIND, Operation::ListCalls, body)?;
    let limit = page_limit(query) as usize;
    let mut effective = query.clone();
    effective.until = effective_until(query);
    let mut oldest: Option<DateTime<Utc>> = None;
    let mut all_dated = true;
    let mut calls = Vec::with_capacity(items.len());
    for (i, raw) in items.iter().enumerate() {
        let call = decode_raw_call(Operation::ListCalls, raw, &format!("[{i}]"))?;
        match call.created_at {
            Some(created) => oldest = Some(oldest.map_or(created, |o| o.min(created))),
            None => all_dated = false,
        }
        if effective.matches(&call) {
            calls.push(call);
        }
    }
    let next = match oldest {
        Some(before) if items.len() >= limit && all_dated => {
            Some(PageCursor::CreatedBefore { before })
        }
        _ if items.len() >= limit => {
            tracing::warn!(
                "voicebot list_calls: a full page without readable createdAt on every call; paging stops here"
            );
            None
        }
        _ => None,
    };
    Ok(CallPage {
        calls,
        next,
        total: None,
    })
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/// The `limit` sent: the query's page size (default 100), between 1 and 1000.
pub fn page_limit(query: &CallQuery) -> u32 {
    query
        .page_size
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE)
}

/// The upper bound of the creation-time window: the earlier of the cursor and `until`.
fn effective_until(query: &CallQuery) -> Option<DateTime<Utc>> {
    let cursor = match &query.cursor {
        Some(PageCursor::CreatedBefore { before }) => Some(*before),
        _ => None,
    };
    match (cursor, query.until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The query parameters of `GET /calls`: Vapi's `limit`, `createdAtLt` (cursor or
/// `until`), `createdAtGe` (`since`, inclusive like the query) and `assistantId`. Voicebot Studio documents no list
/// parameters, so these are inferred from Vapi; every filter is also applied client-side
/// by [`decode_page`]. A cursor of another vendor's kind is refused.
pub fn list_params(query: &CallQuery) -> Result<Vec<(&'static str, String)>> {
    match &query.cursor {
        None | Some(PageCursor::CreatedBefore { .. }) => {}
        Some(other) => {
            return Err(Error::invalid_input(
                KIND,
                Operation::ListCalls,
                format!(
                    "cursor {other} is not a Voicebot Studio cursor (expected mode `created_before`)"
                ),
            ));
        }
    }
    let mut params = vec![("limit", page_limit(query).to_string())];
    if let Some(before) = effective_until(query) {
        params.push(("createdAtLt", format_time(before)));
    }
    if let Some(since) = query.since {
        params.push(("createdAtGe", format_time(since)));
    }
    if let Some(agent) = &query.agent_id {
        params.push(("assistantId", agent.as_str().to_owned()));
    }
    Ok(params)
}

/// The body of `POST /calls` (Vapi's `CreateCallDTO`, inferred for Voicebot Studio).
///
/// `assistantId` is the request's `agent_id`, else `options.assistant_id` (required);
/// `phoneNumberId` the request's, else `options.phone_number_id`. `from_number`,
/// `language` and `campaign_id` are refused (Vapi dials from a phone-number id; the other
/// two are not documented for Voicebot Studio). `extra` is merged at the top level last,
/// so its keys win.
pub fn dial_body(request: &DialRequest, options: &VoicebotOptions) -> Result<Map<String, Value>> {
    request.validate(KIND)?;
    let refuse = |field: &str, why: &str| {
        Err(Error::invalid_input(
            KIND,
            Operation::Dial,
            format!("`{field}` is not supported by Voicebot Studio: {why}"),
        ))
    };
    if request.from_number.is_some() {
        return refuse(
            "from_number",
            "calls are placed from a phone number id; set `phone_number_id` (or options.phone_number_id)",
        );
    }
    if request.language.is_some() {
        return refuse(
            "language",
            "the language is part of the assistant's transcriber settings",
        );
    }
    if request.campaign_id.is_some() {
        return refuse("campaign_id", "campaigns cannot be set when dialing");
    }
    let assistant_id = request
        .agent_id
        .as_ref()
        .map(|a| a.as_str().to_owned())
        .or_else(|| options.assistant_id.clone())
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            Error::invalid_input(
                KIND,
                Operation::Dial,
                "no assistant: set `agent_id` on the request or `options.assistant_id` (Vapi `assistantId`)",
            )
        })?;
    let to_map = |m: &BTreeMap<String, Value>| -> Option<Map<String, Value>> {
        (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    };
    let overrides = wire::CreateAssistantOverrides {
        variable_values: to_map(&request.variables),
        metadata: to_map(&request.metadata),
        max_duration_seconds: request.max_duration_secs,
    };
    let has_overrides = overrides.variable_values.is_some()
        || overrides.metadata.is_some()
        || overrides.max_duration_seconds.is_some();
    let body = wire::CreateCall {
        assistant_id,
        phone_number_id: request
            .phone_number_id
            .clone()
            .or_else(|| options.phone_number_id.clone()),
        customer: wire::CreateCustomer {
            number: request.to.clone(),
        },
        name: request.name.clone(),
        schedule_plan: request.scheduled_for.map(|at| wire::CreateSchedulePlan {
            earliest_at: format_time(at),
        }),
        assistant_overrides: has_overrides.then_some(overrides),
    };
    let mut map = match serde_json::to_value(&body) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(Error::invalid_input(
                KIND,
                Operation::Dial,
                "cannot encode the request body",
            ));
        }
    };
    for (key, value) in &request.extra {
        map.insert(key.clone(), value.clone());
    }
    Ok(map)
}

/// The body of `PATCH /calls/{call_id}`: `{name}`. Voicebot Studio (like Vapi) updates
/// only the name, so metadata is refused as unsupported; an update with nothing to change
/// is refused as invalid.
pub fn update_body(update: &CallUpdate) -> Result<wire::UpdateCall> {
    if update.metadata.is_some() {
        return Err(Error::unsupported(KIND, Operation::UpdateCall));
    }
    match &update.name {
        Some(name) => Ok(wire::UpdateCall { name: name.clone() }),
        None => Err(Error::invalid_input(
            KIND,
            Operation::UpdateCall,
            "nothing to update: set `name` (Voicebot Studio updates only the name)",
        )),
    }
}

/// Reads only a call's id from a raw call object (for events that do not need more);
/// `None` when it has none or is not an object.
pub(crate) fn raw_call_id(raw: &RawValue) -> Option<CallId> {
    serde_json::from_str::<wire::CallIdOnly>(raw.get())
        .ok()
        .and_then(|c| c.id)
        .filter(|id| !id.is_empty())
        .map(CallId::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::{CallStatus as St, EndReasonCategory as Cat};

    fn status(text: &str) -> wire::Status {
        wire::Status::parse(text)
    }

    #[test]
    fn statuses_without_reason() {
        let cases = [
            ("scheduled", St::Scheduled),
            ("queued", St::Queued),
            ("ringing", St::Ringing),
            ("in-progress", St::InProgress),
            ("forwarding", St::Transferred),
            ("ended", St::Completed),
            ("not-found", St::Unknown),
            ("deletion-failed", St::Unknown),
            ("archived", St::Unknown),
            ("", St::Unknown),
        ];
        for (vendor, expected) in cases {
            let (got, reason) = status_and_reason(Some(&status(vendor)), None);
            assert_eq!(got, expected, "{vendor}");
            assert_eq!(reason, None, "{vendor}");
        }
        assert_eq!(status_and_reason(None, None), (St::Unknown, None));
    }

    /// Appendix A values (all families, old and new) and unknown ones.
    #[test]
    fn ended_reason_table() {
        let cases: &[(&str, St, Cat)] = &[
            ("customer-did-not-answer", St::NoAnswer, Cat::NoAnswer),
            (
                "call.ringing.sip-inbound-caller-hungup-before-call-connect",
                St::NoAnswer,
                Cat::NoAnswer,
            ),
            ("customer-busy", St::Busy, Cat::Busy),
            ("voicemail", St::Voicemail, Cat::Voicemail),
            ("silence-timed-out", St::Completed, Cat::Silence),
            ("exceeded-max-duration", St::Completed, Cat::MaxDuration),
            ("customer-ended-call", St::Completed, Cat::CustomerHungUp),
            (
                "customer-ended-call-before-warm-transfer",
                St::Completed,
                Cat::CustomerHungUp,
            ),
            (
                "customer-ended-call-after-warm-transfer-attempt",
                St::Completed,
                Cat::CustomerHungUp,
            ),
            (
                "customer-ended-call-during-transfer",
                St::Completed,
                Cat::CustomerHungUp,
            ),
            ("assistant-ended-call", St::Completed, Cat::AgentEnded),
            (
                "assistant-said-end-call-phrase",
                St::Completed,
                Cat::AgentEnded,
            ),
            (
                "assistant-ended-call-with-hangup-task",
                St::Completed,
                Cat::AgentEnded,
            ),
            (
                "assistant-ended-call-after-message-spoken",
                St::Completed,
                Cat::AgentEnded,
            ),
            (
                "assistant-forwarded-call",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "assistant-request-returned-forwarding-phone-number",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "call.forwarding.operator-busy",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "call.forwarding.no-answer",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "call.ringing.hook-executed-transfer",
                St::Transferred,
                Cat::Transferred,
            ),
            (
                "call.ending.hook-executed-transfer",
                St::Transferred,
                Cat::Transferred,
            ),
            ("manually-canceled", St::Canceled, Cat::Canceled),
            ("scheduled-call-deleted", St::Canceled, Cat::Canceled),
            ("call-deleted", St::Canceled, Cat::Canceled),
            ("pipeline-error-openai-voice-failed", St::Failed, Cat::Error),
            (
                "pipeline-error-eleven-labs-voice-failed",
                St::Failed,
                Cat::Error,
            ),
            ("call.start.error-vapifault-get-org", St::Failed, Cat::Error),
            (
                "call.start.error-subscription-concurrency-limit-reached",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.start.error-fraud-check-failed",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.start.assistant-version-error-validation",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.in-progress.error-vapifault-openai-429-rate-limit-reached",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.in-progress.error-providerfault-outbound-sip-503-service-unavailable",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.in-progress.error-transfer-failed",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.in-progress.error-warm-transfer-max-duration",
                St::Failed,
                Cat::Error,
            ),
            (
                "call.ringing.error-sip-inbound-call-failed-to-connect",
                St::Failed,
                Cat::Error,
            ),
            ("twilio-failed-to-connect-call", St::Failed, Cat::Error),
            ("vonage-failed-to-connect-call", St::Failed, Cat::Error),
            ("assistant-request-failed", St::Failed, Cat::Error),
            ("assistant-request-returned-error", St::Failed, Cat::Error),
            (
                "call-start-error-neither-assistant-nor-server-set",
                St::Failed,
                Cat::Error,
            ),
            ("assistant-not-found", St::Failed, Cat::Error),
            ("assistant-not-valid", St::Failed, Cat::Error),
            (
                "assistant-request-returned-no-assistant",
                St::Failed,
                Cat::Error,
            ),
            ("worker-shutdown", St::Failed, Cat::Error),
            ("twilio-reported-customer-misdialed", St::Failed, Cat::Error),
            ("vonage-rejected", St::Failed, Cat::Error),
            (
                "customer-did-not-give-microphone-permission",
                St::Failed,
                Cat::Error,
            ),
            ("vonage-completed", St::Completed, Cat::Other),
            ("vonage-disconnected", St::Completed, Cat::Other),
            (
                "call.in-progress.twilio-completed-call",
                St::Completed,
                Cat::Other,
            ),
            (
                "call.in-progress.sip-completed-call",
                St::Completed,
                Cat::Other,
            ),
            ("call.ringing.hook-executed-say", St::Completed, Cat::Other),
            (
                "phone-call-provider-closed-websocket",
                St::Completed,
                Cat::Other,
            ),
            ("some-reason-from-2027", St::Completed, Cat::Other),
            (
                "call.in-progress.error-some-future-reason-2027",
                St::Failed,
                Cat::Error,
            ),
        ];
        for (reason, expected_status, expected_category) in cases {
            let (got, end) = status_and_reason(Some(&wire::Status::Ended), Some(reason));
            assert_eq!(got, *expected_status, "{reason}");
            let end = end.unwrap_or_else(|| panic!("{reason}: no end reason"));
            assert_eq!(end.category, *expected_category, "{reason}");
            assert_eq!(
                end.vendor.as_deref(),
                Some(*reason),
                "{reason}: vendor text kept"
            );
            assert_eq!(
                wire::EndedReason(reason.to_string()).is_error(),
                *expected_category == Cat::Error,
                "{reason}"
            );
        }
    }

    #[test]
    fn reason_with_other_statuses() {
        // A reason without a status: only ended calls have one.
        let (got, end) = status_and_reason(None, Some("customer-busy"));
        assert_eq!(got, St::Busy);
        assert_eq!(end.unwrap().category, Cat::Busy);
        // An unknown status stays unknown; the reason is still reported.
        let (got, end) =
            status_and_reason(Some(&status("archived")), Some("call.in-progress.error-x"));
        assert_eq!(got, St::Unknown);
        assert_eq!(end.unwrap().category, Cat::Error);
        // An empty reason is no reason.
        assert_eq!(
            status_and_reason(Some(&wire::Status::Ended), Some("")),
            (St::Completed, None)
        );
    }

    fn wire_call(value: serde_json::Value) -> wire::Call {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn messages_become_utterances_with_offsets() {
        let call = call_from_wire(&wire_call(json!({
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
        let call = call_from_wire(&wire_call(json!({
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
            let call = call_from_wire(&wire_call(
                json!({"id": "c", "analysis": {"successEvaluation": value}}),
            ));
            assert_eq!(call.analysis.success_evaluation.as_deref(), expected);
        }
    }

    #[test]
    fn numbers_direction_agent_and_times() {
        let out = call_from_wire(&wire_call(json!({
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

        let inbound = call_from_wire(&wire_call(json!({
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

        let other = call_from_wire(&wire_call(json!({"id": "c", "type": "smsChat"})));
        assert_eq!(other.kind, CallKind::Other("smsChat".into()));
        let ws = call_from_wire(&wire_call(json!({"id": "c", "type": "vapi.websocketCall"})));
        assert_eq!(ws.kind, CallKind::Web);
    }

    #[test]
    fn cost_from_breakdown_or_items() {
        let breakdown = call_from_wire(&wire_call(json!({
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

        let items = call_from_wire(&wire_call(json!({
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

        let total_only = call_from_wire(&wire_call(json!({
            "id": "c", "costBreakdown": {"total": 2.5}
        })))
        .cost
        .unwrap();
        assert_eq!(total_only.total, Some(2.5));
        assert!(
            call_from_wire(&wire_call(json!({"id": "c"})))
                .cost
                .is_none()
        );
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

    #[test]
    fn dial_body_shape_and_refusals() {
        let options = VoicebotOptions {
            assistant_id: Some("opt-assistant".into()),
            phone_number_id: Some("opt-number".into()),
        };
        let mut request = DialRequest::to("+14155550123");
        assert_eq!(
            Value::Object(dial_body(&request, &options).unwrap()),
            json!({"assistantId": "opt-assistant", "phoneNumberId": "opt-number",
                   "customer": {"number": "+14155550123"}})
        );
        request.agent_id = Some(AgentId::new("a1"));
        request.phone_number_id = Some("n1".into());
        request.name = Some("Reminder".into());
        request.scheduled_for = Some("2026-03-20T15:00:00Z".parse().unwrap());
        request.variables.insert("first_name".into(), json!("Ada"));
        request.metadata.insert("crm".into(), json!(7));
        request.max_duration_secs = Some(300);
        request
            .extra
            .insert("transport".into(), json!({"provider": "twilio"}));
        assert_eq!(
            Value::Object(dial_body(&request, &options).unwrap()),
            json!({
                "assistantId": "a1", "phoneNumberId": "n1", "customer": {"number": "+14155550123"},
                "name": "Reminder", "schedulePlan": {"earliestAt": "2026-03-20T15:00:00.000Z"},
                "assistantOverrides": {"variableValues": {"first_name": "Ada"}, "metadata": {"crm": 7},
                                        "maxDurationSeconds": 300},
                "transport": {"provider": "twilio"}
            })
        );

        let refused = |request: DialRequest, options: &VoicebotOptions, needle: &str| {
            let err = dial_body(&request, options).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidRequest {
                        status: None,
                        operation: Operation::Dial,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(err.to_string().contains(needle), "{err}");
        };
        let base = DialRequest::to("+14155550123");
        refused(
            DialRequest {
                from_number: Some("+1".into()),
                ..base.clone()
            },
            &options,
            "from_number",
        );
        refused(
            DialRequest {
                language: Some("en".into()),
                ..base.clone()
            },
            &options,
            "language",
        );
        refused(
            DialRequest {
                campaign_id: Some(CampaignId::new("k")),
                ..base.clone()
            },
            &options,
            "campaign_id",
        );
        refused(base.clone(), &VoicebotOptions::default(), "agent_id");
        refused(DialRequest::to(" "), &options, "`to`");
    }

    #[test]
    fn update_body_is_name_only() {
        let body = update_body(&CallUpdate {
            name: Some("N".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(serde_json::to_value(body).unwrap(), json!({"name": "N"}));
        let err = update_body(&CallUpdate {
            name: Some("N".into()),
            metadata: Some(BTreeMap::new()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(matches!(
            err,
            Error::Unsupported {
                operation: Operation::UpdateCall,
                ..
            }
        ));
        let err = update_body(&CallUpdate::default()).unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { status: None, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn list_params_and_cursor_window() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            list_params(&CallQuery::default()).unwrap(),
            [("limit", "100".to_owned())]
        );
        let query = CallQuery {
            page_size: Some(5000),
            since: Some(at("2026-01-01T00:00:00Z")),
            until: Some(at("2026-03-01T00:00:00Z")),
            agent_id: Some(AgentId::new("a1")),
            cursor: Some(PageCursor::CreatedBefore {
                before: at("2026-02-01T00:00:00Z"),
            }),
            ..Default::default()
        };
        assert_eq!(
            list_params(&query).unwrap(),
            [
                ("limit", "1000".to_owned()),
                ("createdAtLt", "2026-02-01T00:00:00.000Z".to_owned()),
                ("createdAtGe", "2026-01-01T00:00:00.000Z".to_owned()),
                ("assistantId", "a1".to_owned()),
            ]
        );
        let query = CallQuery {
            page_size: Some(0),
            ..Default::default()
        };
        assert_eq!(page_limit(&query), 1);
        let foreign = CallQuery {
            cursor: Some(PageCursor::Offset { skip: 5 }),
            ..Default::default()
        };
        assert!(matches!(
            list_params(&foreign),
            Err(Error::InvalidRequest { .. })
        ));
    }

    fn page_body(times: &[Option<&str>]) -> Vec<u8> {
        let calls: Vec<Value> = times
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"id": format!("c{i}"), "createdAt": t, "type": "outboundPhoneCall",
                                 "status": "ended", "endedReason": if i % 2 == 0 { "customer-busy" } else { "voicemail" }}))
            .collect();
        serde_json::to_vec(&calls).unwrap()
    }

    #[test]
    fn page_cursor_and_client_side_filters() {
        let body = page_body(&[
            Some("2026-03-03T00:00:00Z"),
            Some("2026-03-02T00:00:00Z"),
            Some("2026-03-01T00:00:00Z"),
        ]);
        let full = CallQuery {
            page_size: Some(3),
            ..Default::default()
        };
        let page = decode_page(&body, &full).unwrap();
        assert_eq!(page.calls.len(), 3);
        assert_eq!(
            page.next,
            Some(PageCursor::CreatedBefore {
                before: "2026-03-01T00:00:00Z".parse().unwrap()
            })
        );
        assert!(page.calls.iter().all(|c| c.vendor_payload().is_some()));

        let short = CallQuery {
            page_size: Some(4),
            ..Default::default()
        };
        assert_eq!(decode_page(&body, &short).unwrap().next, None);

        // Filters apply to the calls; the cursor still follows the vendor's page.
        let busy = CallQuery {
            page_size: Some(3),
            statuses: vec![St::Busy],
            ..Default::default()
        };
        let page = decode_page(&body, &busy).unwrap();
        assert_eq!(page.calls.len(), 2);
        assert!(page.next.is_some());

        // The cursor bounds the window client-side too.
        let resumed = CallQuery {
            cursor: Some(PageCursor::CreatedBefore {
                before: "2026-03-02T00:00:00Z".parse().unwrap(),
            }),
            ..Default::default()
        };
        assert_eq!(decode_page(&body, &resumed).unwrap().calls.len(), 1);

        // A full page with an undated call ends the walk.
        let undated = page_body(&[Some("2026-03-03T00:00:00Z"), None]);
        let q = CallQuery {
            page_size: Some(2),
            ..Default::default()
        };
        assert_eq!(decode_page(&undated, &q).unwrap().next, None);
    }

    #[test]
    fn decode_errors_name_the_path() {
        let err = decode_page(
            br#"[{"id":"a"},{"id":"b","cost":"x"}]"#,
            &CallQuery::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "[1].cost"),
            "{err:?}"
        );
        let err = decode_page(br#"{"results":[]}"#, &CallQuery::default()).unwrap_err();
        assert!(matches!(&err, Error::Decode { .. }), "{err:?}");
        let err = decode_call(br#"{"type":"webCall"}"#).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Decode {
                    operation: Operation::GetCall,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = decode_call_as(Operation::Dial, b"").unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Decode {
                    operation: Operation::Dial,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
