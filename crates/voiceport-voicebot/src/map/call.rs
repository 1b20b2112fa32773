//! A Vapi-family call → [`Call`]: parties, times, transcript, recording, cost and analysis.
//! The same for Vapi and Voicebot Studio; only the kind the call names differs.
//!
//! The wire call's strings are taken out of it and moved (or, when borrowed from the body,
//! copied once) into the normalized call; the wire call itself (a kilobyte) is mapped in
//! place, never moved. JSON paths for warnings are only written when there is a warning.

use std::collections::HashMap;

use serde_json::Value;
use serde_json::value::RawValue;
// Re-exported for the webhook module, which names paths the same way.
pub(crate) use voiceport_core::adapter::field_path;
use voiceport_core::adapter::{
    AnyJson, Text, check_call, elapsed_secs, finite, json_within_budget, non_blank, non_empty,
    parse_time, read_amount_at, read_destination, read_id, read_time_at, recent_epoch_millis,
    recording_at, round_to, try_decode_call_with,
};
use voiceport_core::http::decode_raw;
use voiceport_core::{
    AgentId, AgentRef, Analysis, Call, CallId, CallKind, CampaignId, Cost, CostCategory, CostItem,
    Direction, Error, Operation, OrganizationId, ProviderKind, Recording, Result, Speaker,
    ToolCall, ToolResult, Transcript, Utterance, WarningKind,
};

use super::conversation::{Messages, RawMessages, Utterances};
use super::numbers::KnownNumbers;
use super::status::status_of;
use crate::config::Flavor;
use crate::wire::{self, Role};

/// Decodes the call object `raw`, found at the JSON path `at` of a body from the API, maps
/// it and keeps `raw` as its vendor payload. The API's calls always have an `id` (webhook
/// calls may not): without one it is an [`Error::Decode`] naming `at.id`, checked on the
/// decoded call (no second pass over the JSON). The assistant's number, where the call
/// names it by id only, is taken from `numbers` (see [`map_call_at`]).
///
/// (The mapping can fail: the conversation copies are decoded only when they are read, and
/// their errors name their path.)
pub(crate) fn decode_api_call(
    kind: ProviderKind,
    operation: Operation,
    raw: &RawValue,
    at: &str,
    numbers: Option<&KnownNumbers>,
) -> Result<Call> {
    try_decode_call_with(kind, operation, raw, at, |mut wire: wire::Call<'_>| {
        if wire.id.is_none() {
            return Err(Error::decode(
                kind,
                operation,
                field_path(at, "id"),
                "missing field `id`",
                raw.get().as_bytes(),
            ));
        }
        map_call_at(kind, operation, &mut wire, at, numbers)
    })
}

/// Normalizes a call found at the JSON path `at` (`""`, `message.call`), which prefixes the
/// fields named by the call's normalization warnings: they are paths into the call's
/// vendor payload, the call object itself or a whole webhook delivery.
///
/// Parties: Vapi's `customer` is the remote party and `phoneNumber` the assistant's own
/// number, so an inbound call is from the customer to the number and any other call
/// (outbound, or of unknown `type`: calls made through the API, the usual case) is from the
/// number to the customer. A SIP party without a number is given by its `sipUri`. A call
/// that names the number by `phoneNumberId` only (a call read from the API) has it from
/// `numbers` where they know it (the client's; a codec has none).
///
/// Values that cannot be true are dropped with a warning, never kept silently nor made a
/// failed decode: a negative or non-finite duration or cost, a blank organization,
/// campaign or assistant id, an `endedAt` before `startedAt`. A blank or missing call id
/// (a webhook's call may have none) is kept, with a warning.
///
/// Fails only on a conversation copy that is read (the lists before it being empty) and
/// does not decode: an [`Error::Decode`] naming its path.
pub(crate) fn map_call_at(
    kind: ProviderKind,
    operation: Operation,
    wire: &mut wire::Call<'_>,
    at: &str,
    numbers: Option<&KnownNumbers>,
) -> Result<Call> {
    let messages = conversation(kind, operation, wire, at)?;
    let id = wire.id.take().map(Text::into_owned).unwrap_or_default();
    let mut call = Call::new(CallId::new(id), kind);
    let org = checked_id(&mut call, at, "orgId", wire.org_id.take());
    let organization = checked_id(&mut call, at, "organizationId", wire.organization_id.take());
    // Voicebot Studio's own objects name its tenant `organizationId`; the `orgId` it passes
    // through from Vapi is the platform's organization, likely one for every tenant. Vapi
    // sends `orgId` only.
    // By flavor, so that a new member of the family is a compile error here, not Vapi's
    // order by default.
    let (first, second) = match Flavor::of(kind) {
        Some(Flavor::Voicebot) => (organization, org),
        Some(Flavor::Vapi) | None => (org, organization),
    };
    call.organization_id = first
        .or(second)
        .map(|id| OrganizationId::new(id.into_owned()));
    call.campaign_id = checked_id(&mut call, at, "campaignId", wire.campaign_id.take())
        .map(|id| CampaignId::new(id.into_owned()));
    call.name = owned(wire.name.take());

    parties(&mut call, wire, at, numbers);

    call.created_at = read_time_at(
        &mut call,
        wire.created_at.as_ref().map(Text::as_str),
        || field_path(at, "createdAt"),
    );
    call.started_at = read_time_at(
        &mut call,
        wire.started_at.as_ref().map(Text::as_str),
        || field_path(at, "startedAt"),
    );
    call.ended_at = read_time_at(&mut call, wire.ended_at.as_ref().map(Text::as_str), || {
        field_path(at, "endedAt")
    });
    let reason = wire.ended_reason.as_ref().map(Text::as_str);
    // Whether the call had started: its start, or a line said by the agent or the customer
    // (a status update's snapshot, taken before the start, may lack the start).
    let spoken =
        |u: &Utterance| matches!(u.speaker, Speaker::Agent | Speaker::Customer) && u.text.is_some();
    let started = call.started_at.is_some() || messages.iter().any(spoken);
    (call.status, call.end_reason) = status_of(wire.status.as_ref(), reason, started);
    let message = wire
        .ended_message
        .as_ref()
        .and_then(|m| non_blank(m.as_str()));
    call.end_reason =
        (call.end_reason.take()).map(|reason| reason.with_message(message.map(str::to_owned)));
    if let Some(raw) = wire.destination {
        call.transfer_destination = destination(&mut call, &field_path(at, "destination"), raw);
    }
    call.vendor_status = wire.status.take().map(|status| match status {
        wire::Status::Other(text) => text,
        known => known.as_str().to_owned(),
    });
    let earliest = wire
        .schedule_plan
        .as_ref()
        .and_then(|p| p.earliest_at.as_ref());
    call.scheduled_for = read_time_at(&mut call, earliest.map(Text::as_str), || {
        field_path(at, "schedulePlan.earliestAt")
    });
    call.duration_secs = duration(&mut call, wire, at);

    let mut artifact = wire.artifact.take().unwrap_or_default();
    let whole = owned(wire.transcript.take()).or_else(|| owned(artifact.transcript.take()));
    let transcript = Transcript::new(messages, whole);
    call.transcript = (!transcript.is_empty()).then_some(transcript);
    call.recording = recording(wire, &mut artifact);
    call.cost = cost(&mut call, wire, at);
    call.analysis = analysis(wire, &artifact);
    let overrides = wire.assistant_overrides.take();
    if let Some(metadata) = overrides.and_then(|o| o.metadata) {
        call.metadata = metadata.into_entries("metadata");
    }
    check(&mut call, at);
    Ok(call)
}

/// The kind and direction, the parties' numbers (`from`, `to`), the customer's name and the
/// agent: the assistant (`assistantId`, else the inline `assistant`'s id, and its name),
/// else the squad (`squadId`, `squad`) or the workflow (`workflowId`, `workflow`) that ran
/// the call in its place, read alike. See [`map_call_at`] for whose number is which.
fn parties(call: &mut Call, wire: &mut wire::Call<'_>, at: &str, numbers: Option<&KnownNumbers>) {
    (call.kind, call.direction) = kind_and_direction(wire.call_type.take());
    let customer = wire
        .customer
        .as_mut()
        .and_then(|c| number(c.number.take()).or_else(|| number(c.sip_uri.take())));
    let mut own_number = wire.phone_number.as_mut().and_then(own_number);
    let own_id = wire.phone_number_id.take().and_then(non_blank);
    if let (None, Some(numbers), Some(id)) = (&own_number, numbers, own_id) {
        let field = || field_path(at, "phoneNumberId");
        own_number = numbers.number_of(call, field, id.as_str());
    }
    (call.from, call.to) = match call.direction {
        Some(Direction::Inbound) => (customer, own_number),
        _ => (own_number, customer),
    };
    call.customer_name = wire.customer.as_mut().and_then(|c| owned(c.name.take()));
    // Vapi runs a call with one of an assistant, a squad and a workflow: the first named
    // is the agent, its id and its name from the same one (a squad's name never stands
    // beside an assistant's id).
    let agents = [
        (
            ("assistantId", wire.assistant_id.take()),
            ("assistant.id", wire.assistant.take()),
        ),
        (
            ("squadId", wire.squad_id.take()),
            ("squad.id", wire.squad.take()),
        ),
        (
            ("workflowId", wire.workflow_id.take()),
            ("workflow.id", wire.workflow.take()),
        ),
    ];
    for ((id_field, id), (inline_id_field, inline)) in agents {
        let inline = inline.unwrap_or_default();
        let id = checked_id(call, at, id_field, id)
            .or_else(|| checked_id(call, at, inline_id_field, inline.id));
        let name = owned(inline.name);
        if id.is_some() || name.is_some() {
            let id = id.map(|id| AgentId::new(id.into_owned()));
            call.agent = Some(AgentRef::new(id, name));
            return;
        }
    }
}

/// The summary (`summary`, else `analysis.summary`), the success evaluation and what was
/// extracted: `analysis.structuredData` (and `structuredDataMulti`), then what the artifact
/// collected.
fn analysis(wire: &mut wire::Call<'_>, artifact: &wire::Artifact<'_>) -> Analysis {
    let mut analysis = Analysis::default();
    let mut wire_analysis = wire.analysis.take().unwrap_or_default();
    analysis.summary = owned(wire.summary.take()).or_else(|| owned(wire_analysis.summary.take()));
    analysis.success_evaluation = wire_analysis
        .success_evaluation
        .take()
        .and_then(AnyJson::into_text)
        .filter(|text| !text.is_empty());
    // Documented as objects; anything else is kept whole under the field's name.
    if let Some(data) = wire_analysis.structured_data.take() {
        analysis.extracted = data.into_entries("structuredData");
    }
    // Several schemas' results, kept whole beside (or instead of) the single one.
    if let Some(multi) = wire_analysis.structured_data_multi.take() {
        (analysis.extracted)
            .entry("structuredDataMulti".to_owned())
            .or_insert(multi);
    }
    // What the artifact collected (structured outputs replace the analysis plan), kept
    // whole under its name when it holds anything.
    let collected = [
        ("structuredOutputs", artifact.structured_outputs),
        ("variableValues", artifact.variable_values),
    ];
    let holds_something = |value: &Value| match value {
        Value::Null => false,
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    };
    for (name, raw) in collected {
        let value = raw.and_then(|raw| json_within_budget(raw.get()).ok());
        if let Some(value) = value.filter(holds_something) {
            (analysis.extracted).entry(name.to_owned()).or_insert(value);
        }
    }
    analysis
}

/// The conversation: the first list that has any message of `messages`,
/// `artifact.messages`, then the OpenAI-formatted copies (`artifact.messagesOpenAIFormatted`,
/// `messagesOpenAIFormatted`). `messages` was decoded with the call; a copy is decoded
/// only when every list before it is empty, and its errors name its path.
fn conversation(
    kind: ProviderKind,
    operation: Operation,
    wire: &mut wire::Call<'_>,
    at: &str,
) -> Result<Vec<Utterance>> {
    if let Some(Utterances(messages)) = wire.messages.take().filter(|m| !m.0.is_empty()) {
        return Ok(messages);
    }
    let artifact = wire.artifact.as_ref();
    let copies = [
        (artifact.and_then(|a| a.messages), "artifact.messages"),
        (
            artifact.and_then(|a| a.messages_openai),
            "artifact.messagesOpenAIFormatted",
        ),
        (wire.messages_openai, "messagesOpenAIFormatted"),
    ];
    let copies = copies.map(|(raw, field)| (raw, at, field));
    let found = first_conversation(kind, operation, copies)?;
    Ok(found
        .map(|(Utterances(messages), _)| messages)
        .unwrap_or_default())
}

/// The first of `copies` (each raw, with its path: the parent's and the field's) that
/// holds a message, decoded as `T` (the utterances, or only the newest message) with its
/// JSON path; `None` when none does.
pub(crate) fn first_conversation<'a, T, const N: usize>(
    kind: ProviderKind,
    operation: Operation,
    copies: [(Option<RawMessages<'a>>, &str, &str); N],
) -> Result<Option<(T, String)>>
where
    T: serde::Deserialize<'a> + Messages,
{
    for (raw, at, field) in copies {
        let Some(raw) = raw.filter(|raw| !raw.is_empty()) else {
            continue;
        };
        let path = field_path(at, field);
        let messages: T = decode_raw(kind, operation, raw.0, &path)?;
        if !messages.is_empty() {
            return Ok(Some((messages, path)));
        }
    }
    Ok(None)
}

/// A `destination` kept raw (a call's, a message's), read at `field` as
/// [`read_destination`] reads one: leniently, a shape the docs do not give being a warning
/// on `call`, not a failed decode (one over the body's memory budget is read as none).
pub(crate) fn destination(call: &mut Call, field: &str, raw: &RawValue) -> Option<String> {
    let value = json_within_budget(raw.get()).unwrap_or(Value::Null);
    read_destination(call, field, &value)
}

/// A number or SIP URI, owned; `None` when blank (a space names no one to call), as
/// every adapter reads numbers.
fn number(value: Option<Text<'_>>) -> Option<String> {
    value.and_then(non_blank).map(Text::into_owned)
}

/// The number a phone number object names: its `number`, a transient number's
/// `twilioPhoneNumber`, else a SIP number's `sipUri`.
pub(crate) fn own_number(phone_number: &mut wire::PhoneNumber<'_>) -> Option<String> {
    own_number_at(phone_number).map(|(_, number)| number)
}

/// [`own_number`], with the key it was read at.
pub(crate) fn own_number_at(
    phone_number: &mut wire::PhoneNumber<'_>,
) -> Option<(&'static str, String)> {
    let at = |key: &'static str| move |number: String| (key, number);
    number(phone_number.number.take())
        .map(at("number"))
        .or_else(|| number(phone_number.twilio_phone_number.take()).map(at("twilioPhoneNumber")))
        .or_else(|| number(phone_number.sip_uri.take()).map(at("sipUri")))
}

/// [`non_empty`] text, owned (copied only when it was borrowed).
fn owned(value: Option<Text<'_>>) -> Option<String> {
    non_empty(value).map(Text::into_owned)
}

/// [`read_id`] on an id found at `field` of the call at `at`; the path is written only for
/// a warning, and the id stays borrowed.
fn checked_id<'a>(
    call: &mut Call,
    at: &str,
    field: &str,
    value: Option<Text<'a>>,
) -> Option<Text<'a>> {
    let value = value?;
    if value.as_str().trim().is_empty() {
        read_id(call, &field_path(at, field), Some(value.into_owned()));
        return None;
    }
    Some(value)
}

/// [`check_call`], its paths written only when it has something to say.
fn check(call: &mut Call, at: &str) {
    let blank_id = call.id.as_str().trim().is_empty();
    let backwards = (call.started_at.zip(call.ended_at)).is_some_and(|(start, end)| end < start);
    if blank_id || backwards {
        check_call(call, &field_path(at, "id"), &field_path(at, "endedAt"));
    }
}

/// Seconds between `startedAt` and `endedAt`; without both (or with an end before the
/// start, which `check_call` drops), the `durationSeconds` (else `durationMs`) an
/// end-of-call report sends. Both reported values are checked, used or not: an impossible
/// one is a warning.
///
/// The times come first because Vapi's call schema has no duration field: the reported
/// ones come only with a report, outside its schema. Retell's adapter reads it the other
/// way round, as Retell's call documents `duration_ms`.
fn duration(call: &mut Call, wire: &wire::Call<'_>, at: &str) -> Option<f64> {
    let seconds = read_amount_at(call, wire.duration_seconds, || {
        field_path(at, "durationSeconds")
    });
    let millis = read_amount_at(call, wire.duration_ms, || field_path(at, "durationMs"));
    elapsed_secs(call.started_at, call.ended_at)
        .or_else(|| seconds.or(millis.map(|ms| ms / 1000.0)).map(micros))
}

/// Seconds rounded to the microsecond: without float noise (3.9800000000000004).
fn micros(secs: f64) -> f64 {
    round_to(secs, 1e6)
}

/// `type` → kind and direction.
fn kind_and_direction(call_type: Option<wire::CallType>) -> (CallKind, Option<Direction>) {
    use wire::CallType as T;
    match call_type {
        Some(T::InboundPhoneCall) => (CallKind::Phone, Some(Direction::Inbound)),
        Some(T::OutboundPhoneCall) => (CallKind::Phone, Some(Direction::Outbound)),
        Some(T::WebCall | T::WebsocketCall) => (CallKind::Web, None),
        Some(T::Other(raw)) => (CallKind::parse(&raw), None),
        // No type: nothing says otherwise, and most calls are phone calls.
        None => (CallKind::Phone, None),
    }
}

/// Who speaks for a role; an unknown role is kept verbatim.
pub(crate) fn speaker(role: Option<&Role>) -> Speaker {
    match role {
        Some(Role::Bot | Role::Assistant) => Speaker::Agent,
        Some(Role::User) => Speaker::Customer,
        Some(Role::System) => Speaker::System,
        Some(
            Role::ToolCalls
            | Role::ToolCallResult
            | Role::Tool
            | Role::Function
            | Role::FunctionCall
            | Role::FunctionResult,
        ) => Speaker::Tool,
        // Through `parse`: a role spelled as a unified speaker (`agent`) is that speaker.
        Some(Role::Other(raw)) => Speaker::parse(raw),
        None => Speaker::Other(String::new()),
    }
}

/// One message (Vapi's or OpenAI-formatted) as an utterance. Offsets: `start_secs =
/// secondsFromStart`, `end_secs = secondsFromStart + (endTime - time) / 1000` (both epoch
/// milliseconds; `duration`, documented in seconds but read as milliseconds by third-party
/// code, is not used), `at = time`.
pub(crate) fn utterance(message: wire::Message<'_>) -> Utterance {
    let wire::Message {
        role,
        message: said,
        content,
        time,
        end_time,
        seconds_from_start,
        tool_calls,
        tool_call_id,
        mut name,
        args,
        result,
    } = message;
    let is_result = matches!(
        role,
        Some(Role::ToolCallResult | Role::Tool | Role::Function | Role::FunctionResult)
    );
    let said = || owned(said).or_else(|| content.and_then(content_text));
    let text = match is_result {
        true => result.and_then(AnyJson::into_text).or_else(said),
        false => said(),
    };
    let mut utterance = Utterance::new(speaker(role.as_ref()), text);
    utterance.start_secs = finite(seconds_from_start);
    utterance.end_secs = match (utterance.start_secs, time, end_time) {
        (Some(start), Some(time), Some(end)) if end >= time => {
            finite(Some(micros(start + (end - time) / 1000.0)))
        }
        _ => None,
    };
    // A `time` in seconds (or 0) is no time: not January 1970.
    utterance.at = time.and_then(recent_epoch_millis);
    // An OpenAI-formatted assistant turn that only calls tools becomes a tool turn, as
    // Vapi's own messages give it (`tool_calls`).
    utterance.set_tool_calls(tool_calls.into_iter().flatten().map(tool_call).collect());
    if matches!(role, Some(Role::FunctionCall)) {
        // 2024: `{role: "function_call", name, args}`, one invocation without an id.
        let arguments = args.and_then(AnyJson::into_text);
        (utterance.tool_calls).push(ToolCall::new(None, owned(name.take()), arguments));
    }
    utterance.tool_result = is_result.then(|| ToolResult::new(owned(tool_call_id), owned(name)));
    utterance
}

/// One tool invocation; arguments as JSON text whether sent as text or as an object,
/// from `function` (the schema's shape) or, without one, from `name` and `arguments`
/// (the flat shape of Vapi's custom-tools page) or `parameters` (its server-events page).
pub(crate) fn tool_call(call: wire::ToolCall<'_>) -> ToolCall {
    let (name, arguments) = match call.function {
        Some(function) => (function.name, function.arguments),
        None => (call.name, call.arguments.or(call.parameters)),
    };
    let (name, arguments) = (owned(name), arguments.and_then(AnyJson::into_text));
    ToolCall::new(owned(call.id), name, arguments)
}

/// OpenAI `content`: a string, or the texts of an array of `{type: "text", text}` parts.
fn content_text(content: AnyJson<'_>) -> Option<String> {
    match content {
        AnyJson::Text(text) => Some(text.into_owned()).filter(|t| !t.is_empty()),
        AnyJson::Other(serde_json::Value::Array(parts)) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|part| part.get("text").and_then(serde_json::Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join(""))
        }
        other => other.into_text(),
    }
}

/// `artifact.recording`'s URLs (Vapi's current fields), else the deprecated
/// `recordingUrl`/`stereoRecordingUrl` (the call's, which Voicebot Studio documents, then
/// the artifact's), then the short-lived `presigned…Url`s, which Vapi regenerates in each
/// answer; the
/// expiry Vapi gives the pre-signed ones (`presignedUrlsExpiresAt`) where one is used,
/// else the expiry from S3 pre-signed URLs when they are.
fn recording(wire: &mut wire::Call<'_>, artifact: &mut wire::Artifact<'_>) -> Option<Recording> {
    // The first that is there and not empty, the current field first: a deprecated URL
    // left beside it may be stale, and an empty one hides nothing.
    let current = artifact.recording.as_mut();
    let (current_mono, current_stereo) = match current {
        Some(recording) => (
            (recording.mono.as_mut()).and_then(|mono| owned(mono.combined_url.take())),
            owned(recording.stereo_url.take()),
        ),
        None => (None, None),
    };
    let lasting_mono = current_mono
        .or_else(|| owned(wire.recording_url.take()))
        .or_else(|| owned(artifact.recording_url.take()));
    let lasting_stereo = current_stereo
        .or_else(|| owned(wire.stereo_recording_url.take()))
        .or_else(|| owned(artifact.stereo_recording_url.take()));
    let presigned_mono = owned(artifact.presigned_mono_url.take());
    let presigned_stereo = owned(artifact.presigned_stereo_url.take());
    let presigned_used = (lasting_mono.is_none() && presigned_mono.is_some())
        || (lasting_stereo.is_none() && presigned_stereo.is_some());
    let mono = lasting_mono.or(presigned_mono);
    let stereo = lasting_stereo.or(presigned_stereo);
    let mut recording = recording_at(mono, stereo)?;
    let stated = (artifact.presigned_urls_expires_at.as_ref())
        .and_then(|at| parse_time(at.as_str()))
        .filter(|_| presigned_used);
    if stated.is_some() {
        recording.expires_at = stated;
    }
    Some(recording)
}

/// The cost in USD (Vapi documents USD): total from `cost` (else `costBreakdown.total`),
/// breakdown from `costBreakdown` (its `analysisCostBreakdown` summed as its `analysis`
/// part; else from `costs[]`, summed per `type`, each named as its part of the breakdown:
/// `transcriber` is `stt`, `model` `llm`, `voice` `tts`), with the `costs[]` items it has no
/// part for (`voicemail-detection`, `knowledge-base` …) beside its parts, so that the
/// breakdown adds up to the total; each item in its [`category`]. Every amount is checked,
/// used or not: a negative or non-finite one is left out with a warning. `None` when no
/// amount is left.
fn cost(call: &mut Call, wire: &wire::Call<'_>, at: &str) -> Option<Cost> {
    let total = read_amount_at(call, wire.cost, || field_path(at, "cost"));
    let mut from_breakdown = Vec::new();
    let mut breakdown_total = None;
    if let Some(b) = &wire.cost_breakdown {
        let parts = [
            ("transport", b.transport),
            ("stt", b.stt),
            ("llm", b.llm),
            ("tts", b.tts),
            ("vapi", b.vapi),
            // Only a chat costs anything here; a voice call says 0.
            ("chat", b.chat.filter(|amount| *amount != 0.0)),
        ];
        for (component, amount) in parts {
            let field = || field_path(at, &format!("costBreakdown.{component}"));
            if let Some(amount) = read_amount_at(call, amount, field) {
                from_breakdown.push(CostItem::new(component.to_owned(), amount));
            }
        }
        // `total` counts the analyses too: their sum is the breakdown's `analysis` part, as
        // `costs[]`'s `analysis` items are (summed as they are; none when they cost
        // nothing, as `chat`).
        if let Some(analysis) = &b.analysis_cost_breakdown {
            let kinds = [
                ("summary", analysis.summary),
                ("structuredData", analysis.structured_data),
                ("successEvaluation", analysis.success_evaluation),
                ("structuredOutput", analysis.structured_output),
            ];
            let (mut summed, mut item_of) = (Vec::new(), HashMap::new());
            for (kind, amount) in kinds {
                let field =
                    || field_path(at, &format!("costBreakdown.analysisCostBreakdown.{kind}"));
                let Some(amount) = read_amount_at(call, amount, field) else {
                    continue;
                };
                if !add(&mut summed, &mut item_of, "analysis", amount) {
                    call.warn(
                        WarningKind::TooLarge,
                        field_path(at, "costBreakdown.analysisCostBreakdown"),
                        amount.to_string(),
                        "the analyses' costs are too large to add up".to_owned(),
                    );
                    summed.clear();
                    break;
                }
            }
            from_breakdown.extend(summed.into_iter().filter(|item| item.amount != 0.0));
        }
        breakdown_total = read_amount_at(call, b.total, || field_path(at, "costBreakdown.total"));
    }
    let mut from_items = Vec::new();
    // Where each component's item is: a list of many entries stays linear.
    let mut item_of = HashMap::new();
    for (i, entry) in wire.costs.iter().flatten().enumerate() {
        let field = || field_path(at, &format!("costs[{i}].cost"));
        let Some(amount) = read_amount_at(call, entry.cost, field) else {
            continue;
        };
        // An item without a type names no component.
        let Some(component) = entry.cost_type.as_ref().map(Text::as_str) else {
            continue;
        };
        if component.is_empty() {
            continue;
        }
        // Named as its part of `costBreakdown` is, so that a call with the breakdown and
        // one without name the same cost alike.
        let component = match component {
            "transcriber" => "stt",
            "model" => "llm",
            "voice" => "tts",
            other => other,
        };
        if !add(&mut from_items, &mut item_of, component, amount) {
            call.warn(
                WarningKind::TooLarge,
                field(),
                amount.to_string(),
                format!("too large to add to the other `{component}` costs"),
            );
        }
    }
    let mut breakdown = if from_breakdown.is_empty() {
        from_items
    } else {
        // A `costs[]` item is left out only when its part is there (a breakdown without
        // `stt` keeps the transcriber's item).
        let given = |part: &str| from_breakdown.iter().any(|item| item.component == part);
        let others: Vec<CostItem> = (from_items.into_iter())
            .filter(|item| !given(&item.component))
            .collect();
        from_breakdown.extend(others);
        from_breakdown
    };
    for item in &mut breakdown {
        item.category = category(&item.component);
    }
    let total = total.or(breakdown_total);
    (total.is_some() || !breakdown.is_empty())
        .then(|| Cost::new(total, Some("USD".to_owned()), breakdown))
}

/// What a cost component (as [`cost`] names them) pays for. Vapi's `chat` (a text chat's
/// cost), `voicemail-detection`, `knowledge-base` and the like are in none.
fn category(component: &str) -> Option<CostCategory> {
    Some(match component {
        "transport" => CostCategory::Telephony,
        "stt" => CostCategory::Transcription,
        "llm" => CostCategory::Llm,
        "tts" => CostCategory::Speech,
        "vapi" => CostCategory::Platform,
        "analysis" => CostCategory::Analysis,
        _ => return None,
    })
}

/// Adds `amount` to the item of `component` (a new one if need be, its place recorded in
/// `item_of`); `false`, and nothing added, when the sum would not be a finite number.
fn add<'t>(
    items: &mut Vec<CostItem>,
    item_of: &mut HashMap<&'t str, usize>,
    component: &'t str,
    amount: f64,
) -> bool {
    match item_of.get(component).and_then(|&at| items.get_mut(at)) {
        // Rounded as Retell's dollars are: a sum keeps no float noise.
        Some(item) if (item.amount + amount).is_finite() => {
            item.amount = round_to(item.amount + amount, 1e9);
        }
        Some(_) => return false,
        None => {
            item_of.insert(component, items.len());
            items.push(CostItem::new(component.to_owned(), amount));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use chrono::SecondsFormat;
    use serde_json::json;
    use voiceport_core::CallStatus;
    use voiceport_core::adapter::presigned_expiry;

    /// A wire call read from `value`'s JSON text (leaked: the call borrows from it).
    fn wire_call(value: serde_json::Value) -> wire::Call<'static> {
        let text: &'static str = Box::leak(value.to_string().into_boxed_str());
        serde_json::from_str(text).unwrap()
    }

    /// A blank number is no number (the SIP URI is read instead), as every adapter reads
    /// numbers.
    #[test]
    fn a_blank_number_is_none() {
        let call = map_call(wire_call(json!({"id": "c", "type": "outboundPhoneCall",
            "customer": {"number": " ", "sipUri": "sip:desk@example.com"},
            "phoneNumber": {"number": "\t"}})));
        assert_eq!(call.to.as_deref(), Some("sip:desk@example.com"));
        assert_eq!(call.from, None);
    }

    /// A message `time` is epoch milliseconds; one in seconds (or 0) is no time rather
    /// than a moment of January 1970.
    #[test]
    fn a_message_time_in_seconds_is_no_time() {
        let call = map_call(wire_call(json!({"id": "c", "messages": [
            {"role": "bot", "message": "Hi", "time": 1773869872318.0_f64, "secondsFromStart": 0},
            {"role": "user", "message": "Hello", "time": 1773869873.3_f64, "secondsFromStart": 1},
            {"role": "bot", "message": "Bye", "time": 0, "secondsFromStart": 2}
        ]})));
        let at: Vec<Option<String>> = (call.transcript.unwrap().utterances.iter())
            .map(|u| {
                u.at.map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true))
            })
            .collect();
        assert_eq!(
            at,
            [Some("2026-03-18T21:37:52.318Z".to_owned()), None, None]
        );
    }

    /// The mapping is the same for both flavors: tested once, as Voicebot Studio's.
    fn map_call(wire: wire::Call<'_>) -> Call {
        map_call_at(wire, "")
    }

    fn map_call_at(mut wire: wire::Call<'_>, at: &str) -> Call {
        super::map_call_at(
            ProviderKind::Voicebot,
            Operation::GetCall,
            &mut wire,
            at,
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_call_names_its_kind() {
        let wire = || wire_call(json!({"id": "c"}));
        let vapi = super::map_call_at(
            ProviderKind::Vapi,
            Operation::GetCall,
            &mut wire(),
            "",
            None,
        );
        assert_eq!(vapi.unwrap().provider, ProviderKind::Vapi);
        assert_eq!(map_call(wire()).provider, ProviderKind::Voicebot);
    }

    #[test]
    fn a_call_canceled_once_live_completed() {
        let canceled = |started: Option<&str>| {
            let mut json =
                json!({"id": "c", "status": "ended", "endedReason": "manually-canceled"});
            if let Some(at) = started {
                json["startedAt"] = json!(at);
            }
            let call = map_call(wire_call(json));
            (call.status, call.end_reason.map(|r| r.category))
        };
        let canceled_category = Some(voiceport_core::EndReasonCategory::Canceled);
        assert_eq!(canceled(None), (CallStatus::Canceled, canceled_category));
        assert_eq!(
            canceled(Some("2026-03-19T17:20:08.000Z")),
            (CallStatus::Completed, canceled_category)
        );
        // Without a start, its conversation says it took place (a status update's snapshot
        // taken before the start); a system prompt alone does not.
        let with = |messages: Value| {
            let call = map_call(wire_call(json!({"id": "c", "status": "ended",
                "endedReason": "manually-canceled", "messages": messages})));
            call.status
        };
        let prompt =
            json!({"role": "system", "message": "You are Riley.", "time": 1773869872286u64});
        let said =
            json!({"role": "bot", "message": "Hi, this is Riley.", "time": 1773869874290u64});
        assert_eq!(with(json!([prompt, said])), CallStatus::Completed);
        assert_eq!(with(json!([prompt])), CallStatus::Canceled);
        let silent = json!({"role": "bot", "message": "", "time": 1773869874290u64});
        assert_eq!(with(json!([prompt, silent])), CallStatus::Canceled);
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
    fn copies_are_read_in_order_when_the_lists_before_are_empty() {
        let said = |value: serde_json::Value| -> Vec<String> {
            let call = map_call(wire_call(value));
            let transcript = call.transcript.unwrap_or_default();
            transcript
                .utterances
                .into_iter()
                .filter_map(|u| u.text)
                .collect()
        };
        let openai = |text: &str| json!([{"role": "assistant", "content": text}]);
        assert_eq!(
            said(
                json!({"id": "c", "messages": [], "messagesOpenAIFormatted": openai("top"),
                        "artifact": {"messages": [], "messagesOpenAIFormatted": openai("artifact")}})
            ),
            ["artifact"]
        );
        assert_eq!(
            said(json!({"id": "c", "messagesOpenAIFormatted": openai("top"),
                        "artifact": {"messagesOpenAIFormatted": []}})),
            ["top"]
        );
        // A copy that is read and broken names its path under the call's.
        let mut wire = wire_call(json!({"id": "c", "messagesOpenAIFormatted": {"role": "user"}}));
        let err = super::map_call_at(
            ProviderKind::Voicebot,
            Operation::GetCall,
            &mut wire,
            "[4]",
            None,
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "[4].messagesOpenAIFormatted"),
            "{err:?}"
        );
    }

    #[test]
    fn several_schemas_results_are_kept_beside_the_single_ones() {
        let call = map_call(wire_call(json!({"id": "c", "analysis": {
            "structuredData": {"outcome": "booked"},
            "structuredDataMulti": [{"slot": "Tue 10:00"}, {"insurer": "Aetna"}]
        }})));
        assert_eq!(
            call.analysis.extracted.get("outcome"),
            Some(&json!("booked"))
        );
        assert_eq!(
            call.analysis.extracted.get("structuredDataMulti"),
            Some(&json!([{"slot": "Tue 10:00"}, {"insurer": "Aetna"}]))
        );
    }

    /// Structured outputs (which replace the analysis plan) and the final variable values
    /// are kept whole under their names; the shape of `structuredOutputs` is inferred
    /// (Vapi's schema names the field, the example here is made up), so it is not read
    /// into. Empty ones, as Vapi sends `variableValues` when nothing was collected, add
    /// nothing.
    #[test]
    fn what_the_artifact_collected_is_kept_under_its_name() {
        let outputs = json!({"5f0b1c9e-7a31-4d2a-9c11-0d6e3b2a8f41": {"name": "appointment", "result": {"slot": "Tue 10:00"}}});
        let call = map_call(wire_call(json!({"id": "c",
            "analysis": {"structuredData": {"outcome": "booked"}},
            "artifact": {"structuredOutputs": outputs, "variableValues": {"insurer": "Aetna"}}
        })));
        let extracted = &call.analysis.extracted;
        assert_eq!(extracted.get("outcome"), Some(&json!("booked")));
        assert_eq!(extracted.get("structuredOutputs"), Some(&outputs));
        assert_eq!(
            extracted.get("variableValues"),
            Some(&json!({"insurer": "Aetna"}))
        );
        let empty = map_call(wire_call(json!({"id": "c",
            "artifact": {"structuredOutputs": null, "variableValues": {}}
        })));
        assert!(empty.analysis.extracted.is_empty(), "{:?}", empty.analysis);
    }

    /// An assistant given inline names the agent (and gives its id when it is a saved one).
    #[test]
    fn an_inline_assistant_names_the_agent() {
        let inline = map_call(wire_call(json!({"id": "c",
            "assistant": {"name": "Riley", "model": {"provider": "openai"}}
        })));
        let agent = inline.agent.expect("an agent");
        assert_eq!((agent.id, agent.name.as_deref()), (None, Some("Riley")));
        let saved = map_call(wire_call(json!({"id": "c",
            "assistantId": "83e6398d-2080-44a1-8c0e-12bedcc33d1e",
            "assistant": {"id": "ignored-when-assistantId-is-set", "name": "Riley"}
        })));
        let agent = saved.agent.expect("an agent");
        assert_eq!(
            agent.id.as_ref().map(|id| id.as_str()),
            Some("83e6398d-2080-44a1-8c0e-12bedcc33d1e")
        );
        assert_eq!(agent.name.as_deref(), Some("Riley"));
        assert!(map_call(wire_call(json!({"id": "c"}))).agent.is_none());
    }

    /// A call run by a squad or a workflow in place of an assistant has it as its agent
    /// (its id, else its name), so that the client-side check of a query for that agent
    /// keeps it (Vapi's list, asked by `assistantId`, sends none such); an assistant,
    /// when the call names one, comes first, and the name is the same one's.
    #[test]
    fn a_squad_or_a_workflow_is_the_agent_of_a_call_without_an_assistant() {
        let agent_of = |call: Call| {
            let agent = call.agent.expect("an agent");
            (agent.id.map(|id| id.as_str().to_owned()), agent.name)
        };
        let squad = map_call(wire_call(json!({"id": "c",
            "squadId": "5d2c8a1e-7b4f-4e9a-b3c6-1f0e9d8c7b6a"})));
        let query = voiceport_core::CallQuery {
            agent_id: Some(AgentId::new("5d2c8a1e-7b4f-4e9a-b3c6-1f0e9d8c7b6a")),
            ..Default::default()
        };
        assert!(query.matches(&squad), "{:?}", squad.agent);
        assert_eq!(
            agent_of(squad),
            (
                Some("5d2c8a1e-7b4f-4e9a-b3c6-1f0e9d8c7b6a".to_owned()),
                None
            )
        );
        let squad = map_call(wire_call(json!({"id": "c",
            "squad": {"name": "Front desk team", "members": [{"assistantId": "a1"}]}})));
        assert_eq!(agent_of(squad), (None, Some("Front desk team".to_owned())));
        let workflow = map_call(wire_call(json!({"id": "c",
            "workflow": {"name": "Appointment triage", "nodes": [], "edges": []}})));
        assert_eq!(
            agent_of(workflow),
            (None, Some("Appointment triage".to_owned()))
        );
        let workflow = map_call(wire_call(json!({"id": "c", "workflowId": "wf-1",
            "workflow": {"id": "wf-1", "name": "Appointment triage"}})));
        assert_eq!(
            agent_of(workflow),
            (
                Some("wf-1".to_owned()),
                Some("Appointment triage".to_owned())
            )
        );
        // The assistant first, with its own name (none here), never the squad's.
        let both = map_call(wire_call(json!({"id": "c", "assistantId": "a1",
            "squadId": "sq-1", "squad": {"name": "Front desk team"}})));
        assert_eq!(agent_of(both), (Some("a1".to_owned()), None));
        // A blank assistant id is warned of, and the squad read in its place.
        let blank = map_call(wire_call(json!({"id": "c", "assistantId": " ",
            "squadId": "sq-1"})));
        assert_eq!(blank.warnings.len(), 1, "{:?}", blank.warnings);
        assert_eq!(blank.warnings[0].field, "assistantId");
        assert_eq!(agent_of(blank), (Some("sq-1".to_owned()), None));
    }

    #[test]
    fn extracted_data_and_metadata_that_are_no_objects_are_kept_under_their_names() {
        let call = map_call(wire_call(json!({
            "id": "c",
            "analysis": {"structuredData": ["not", "an", "object"], "successEvaluation": {"score": 3}},
            "assistantOverrides": {"metadata": "text"}
        })));
        assert_eq!(
            call.analysis.extracted,
            BTreeMap::from([("structuredData".to_owned(), json!(["not", "an", "object"]))])
        );
        assert_eq!(
            call.metadata,
            BTreeMap::from([("metadata".to_owned(), json!("text"))])
        );
        let nulls = map_call(wire_call(json!({
            "id": "c", "analysis": {"structuredData": null}, "assistantOverrides": {"metadata": null}
        })));
        assert!(nulls.analysis.extracted.is_empty() && nulls.metadata.is_empty());
        assert_eq!(
            call.analysis.success_evaluation.as_deref(),
            Some("{\"score\":3}")
        );
        let call = map_call(wire_call(json!({
            "id": "c", "analysis": {"structuredData": {"b": [1, {"c": null}], "a": "say \"hi\""}}
        })));
        let keys: Vec<&str> = call.analysis.extracted.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(call.analysis.extracted["a"], json!("say \"hi\""));
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

    /// Which of `orgId` and `organizationId` is the organization: Voicebot Studio's tenant
    /// (`organizationId`) on Voicebot Studio, Vapi's `orgId` on Vapi; either alone is read
    /// on both.
    #[test]
    fn the_organization_is_each_flavor_s_own() {
        let both = json!({"id": "c", "orgId": "vapi-org", "organizationId": "vs-tenant"});
        let organization = |kind, value: &serde_json::Value| {
            let mut wire = wire_call(value.clone());
            let call = super::map_call_at(kind, Operation::GetCall, &mut wire, "", None).unwrap();
            call.organization_id.map(|id| id.as_str().to_owned())
        };
        let (voicebot, vapi) = (ProviderKind::Voicebot, ProviderKind::Vapi);
        assert_eq!(organization(voicebot, &both).as_deref(), Some("vs-tenant"));
        assert_eq!(organization(vapi, &both).as_deref(), Some("vapi-org"));
        let org_only = json!({"id": "c", "orgId": "vapi-org"});
        assert_eq!(
            organization(voicebot, &org_only).as_deref(),
            Some("vapi-org")
        );
        let tenant_only = json!({"id": "c", "organizationId": "vs-tenant"});
        assert_eq!(
            organization(vapi, &tenant_only).as_deref(),
            Some("vs-tenant")
        );
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
        // Voicebot Studio's tenant, not the Vapi organization it passes through.
        assert_eq!(out.organization_id.unwrap().as_str(), "o2");
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
        assert_eq!(inbound.organization_id.as_ref().unwrap().as_str(), "o2");
        assert_eq!(inbound.created_at, None, "unparseable is None");
        assert!(inbound.started_at.is_some(), "no offset reads as UTC");
        assert_eq!(inbound.duration_secs, None, "ended before it started");
        assert_eq!(inbound.ended_at, None, "an end before the start is dropped");
        // …and never silently: the unreadable value and the impossible end are warnings
        // naming their fields.
        let warned: Vec<_> = (inbound.warnings.iter())
            .map(|w| (w.field.as_str(), w.value.as_str()))
            .collect();
        assert_eq!(
            warned,
            [
                ("createdAt", "not a time"),
                ("endedAt", "2026-03-16T15:02:01+00:00")
            ]
        );

        let other = map_call(wire_call(json!({"id": "c", "type": "smsChat"})));
        assert_eq!(other.kind, CallKind::Other("smsChat".into()));
        // A type spelled as a unified kind is that kind, as for every vendor.
        let chat = map_call(wire_call(json!({"id": "c", "type": "chat"})));
        assert_eq!(chat.kind, CallKind::Chat);
        let ws = map_call(wire_call(json!({"id": "c", "type": "vapi.websocketCall"})));
        assert_eq!(ws.kind, CallKind::Web);
    }

    #[test]
    fn the_destination_is_its_number_else_its_sip_uri() {
        let transferred = |destination: serde_json::Value| {
            let call = map_call(wire_call(json!({"id": "c", "destination": destination})));
            (call.transfer_destination, call.warnings.len())
        };
        assert_eq!(
            transferred(json!({"type": "number", "number": "+16175550100", "extension": "12"})),
            (Some("+16175550100;ext=12".into()), 0)
        );
        assert_eq!(
            transferred(json!({"type": "sip", "sipUri": "sip:desk@pbx.example.com"})),
            (Some("sip:desk@pbx.example.com".into()), 0)
        );
        // Nothing to say, said three ways: no warning.
        for nothing in [
            json!(null),
            json!({}),
            json!({"type": "number", "number": " "}),
        ] {
            assert_eq!(transferred(nothing.clone()), (None, 0), "{nothing}");
        }
        // A bare number is taken as it is; a shape naming nothing is dropped, and said.
        assert_eq!(
            transferred(json!("+16175550100")),
            (Some("+16175550100".into()), 0)
        );
        let odd = map_call(wire_call(json!({"id": "c", "destination": [1]})));
        assert_eq!(odd.transfer_destination, None);
        let warned: Vec<_> = (odd.warnings.iter())
            .map(|w| (w.field.as_str(), w.value.as_str()))
            .collect();
        assert_eq!(warned, [("destination", "[1]")]);
    }

    #[test]
    fn parties_by_direction_number_and_sip() {
        let party = |value: serde_json::Value| {
            let call = map_call(wire_call(value));
            (call.from, call.to)
        };
        let own = json!({"number": "+15125550100"});
        let customer = json!({"number": "+15125550173", "name": "Jennifer Alvarez"});
        let named = map_call(wire_call(json!({"id": "c", "customer": customer})));
        assert_eq!(named.customer_name.as_deref(), Some("Jennifer Alvarez"));
        // Outbound: from the assistant's number to the customer.
        assert_eq!(
            party(
                json!({"id": "c", "type": "outboundPhoneCall", "phoneNumber": own, "customer": customer})
            ),
            (Some("+15125550100".into()), Some("+15125550173".into()))
        );
        // Inbound: the other way round.
        assert_eq!(
            party(
                json!({"id": "c", "type": "inboundPhoneCall", "phoneNumber": own, "customer": customer})
            ),
            (Some("+15125550173".into()), Some("+15125550100".into()))
        );
        // A transient number, as a dial gives it (Vapi's `ImportTwilioPhoneNumberDTO`;
        // inferred that the call shows it as given).
        let transient = json!({"twilioPhoneNumber": "+15125550101", "twilioAccountSid": "AC1"});
        assert_eq!(
            party(
                json!({"id": "c", "type": "outboundPhoneCall", "phoneNumber": transient, "customer": customer})
            ),
            (Some("+15125550101".into()), Some("+15125550173".into()))
        );
        // No `type`: the customer number is kept (as the callee, like an API-made call).
        assert_eq!(
            party(json!({"id": "c", "type": null, "customer": customer})),
            (None, Some("+15125550173".into()))
        );
        // SIP: the URI stands for the number.
        assert_eq!(
            party(json!({"id": "c", "type": "inboundPhoneCall",
                         "customer": {"number": null, "sipUri": "sip:caller@pbx.example.com"},
                         "phoneNumber": {"sipUri": "sip:support@example.sip.vapi.ai"}})),
            (
                Some("sip:caller@pbx.example.com".into()),
                Some("sip:support@example.sip.vapi.ai".into())
            )
        );
        assert_eq!(
            party(json!({"id": "c", "customer": {"number": ""}})),
            (None, None)
        );
    }

    #[test]
    fn openai_formatted_messages_are_utterances() {
        let call = map_call(wire_call(json!({
            "id": "c",
            "messages": [
                {"role": "system", "content": "prompt"},
                {"role": "assistant", "content": "Hi, how can I help?"},
                {"role": "user", "content": [{"type": "text", "text": "Order "}, {"type": "text", "text": "442056"}]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "lookup_order", "arguments": "{\"order\":\"442056\"}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "{\"status\":\"shipped\"}"},
                {"role": "function", "name": "legacy_lookup", "content": "ok"}
            ]
        })));
        let u = call.transcript.unwrap().utterances;
        let speakers: Vec<_> = u.iter().map(|u| u.speaker.clone()).collect();
        assert_eq!(
            speakers,
            [
                Speaker::System,
                Speaker::Agent,
                Speaker::Customer,
                // The assistant's turn of tool calls alone: a tool turn, as with Vapi's
                // own `tool_calls` messages and every other vendor.
                Speaker::Tool,
                Speaker::Tool,
                Speaker::Tool
            ]
        );
        assert_eq!(u[1].text.as_deref(), Some("Hi, how can I help?"));
        assert_eq!(u[2].text.as_deref(), Some("Order 442056"));
        assert_eq!(u[3].text, None);
        assert_eq!(u[3].tool_calls[0].name.as_deref(), Some("lookup_order"));
        assert_eq!(u[4].text.as_deref(), Some("{\"status\":\"shipped\"}"));
        let result = u[4].tool_result.as_ref().unwrap();
        assert_eq!(result.tool_call_id.as_deref(), Some("call_1"));
        assert_eq!(
            u[5].tool_result.as_ref().unwrap().name.as_deref(),
            Some("legacy_lookup")
        );
        assert!(u.iter().all(|u| u.at.is_none() && u.start_secs.is_none()));

        // The OpenAI copy is read when there is no other conversation.
        let call = map_call(wire_call(json!({
            "id": "c", "messages": [],
            "artifact": {"messages": [], "messagesOpenAIFormatted": [{"role": "user", "content": "Yes"}]}
        })));
        let u = call.transcript.unwrap().utterances;
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].text.as_deref(), Some("Yes"));
    }

    #[test]
    fn function_call_role_of_2024() {
        let call = map_call(wire_call(json!({
            "id": "c",
            "messages": [
                {"role": "function_call", "name": "check_availability",
                 "args": "{\"date\":\"2024-07-29\"}", "secondsFromStart": 9.1},
                {"role": "function_call", "name": "book", "args": {"slot": 3}},
                {"role": "function_result", "name": "check_availability", "result": "[\"15:00\"]"}
            ]
        })));
        let u = call.transcript.unwrap().utterances;
        assert_eq!(u[0].speaker, Speaker::Tool);
        assert_eq!(u[0].text, None);
        assert_eq!(u[0].tool_calls.len(), 1);
        assert_eq!(u[0].tool_calls[0].id, None);
        assert_eq!(
            u[0].tool_calls[0].name.as_deref(),
            Some("check_availability")
        );
        assert_eq!(
            u[0].tool_calls[0].arguments.as_deref(),
            Some("{\"date\":\"2024-07-29\"}")
        );
        assert_eq!(
            u[1].tool_calls[0].arguments.as_deref(),
            Some("{\"slot\":3}")
        );
        assert_eq!(u[2].text.as_deref(), Some("[\"15:00\"]"));
        assert_eq!(
            u[2].tool_result.as_ref().unwrap().name.as_deref(),
            Some("check_availability")
        );
    }

    #[test]
    fn exponent_and_fractional_times_and_either_duration_unit() {
        let call = map_call(wire_call(json!({
            "id": "c",
            "messages": [
                // 2024: exponent notation, `duration` in seconds.
                {"role": "bot", "message": "Hi", "time": 1.722115418016999E12,
                 "endTime": 1.722115420466999E12, "secondsFromStart": 0.6, "duration": 2.45},
                // 2026: fractional milliseconds, `duration` in milliseconds.
                {"role": "user", "message": "Yes", "time": 1773940813500.25,
                 "endTime": 1773940814420.75, "secondsFromStart": 4.95, "duration": 920.5},
                // `duration` alone says nothing certain: no end.
                {"role": "bot", "message": "Ok", "time": 1773940815000u64,
                 "secondsFromStart": 6.2, "duration": 1500}
            ]
        })));
        let u = call.transcript.unwrap().utterances;
        assert_eq!(u[0].end_secs, Some(3.05));
        assert_eq!(
            u[0].at
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            "2024-07-27T21:23:38.016999Z"
        );
        assert_eq!(u[1].end_secs, Some(5.8705));
        assert_eq!(
            u[1].at
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            "2026-03-19T17:20:13.500250Z"
        );
        assert_eq!(u[2].end_secs, None);
    }

    #[test]
    fn duration_prefers_the_times_then_the_reported_one() {
        let secs = |value: serde_json::Value| map_call(wire_call(value)).duration_secs;
        let times = json!({"id": "c", "startedAt": "2026-03-19T17:20:08.550Z",
                           "endedAt": "2026-03-19T17:20:28.960Z", "durationSeconds": 99,
                           "durationMs": 99000});
        assert_eq!(secs(times), Some(20.41));
        assert_eq!(
            secs(json!({"id": "c", "durationSeconds": 20.4, "durationMs": 20400})),
            Some(20.4)
        );
        assert_eq!(secs(json!({"id": "c", "durationMs": 20410})), Some(20.41));
        assert_eq!(secs(json!({"id": "c", "durationSeconds": -1})), None);
        assert_eq!(secs(json!({"id": "c"})), None);
    }

    #[test]
    fn call_times_are_read_leniently_with_warnings() {
        let call = map_call_at(
            wire_call(json!({
                "id": "c",
                "createdAt": "2026-03-16 15:02:04",
                "startedAt": "2026-02-30T10:00:00Z",
                "endedAt": "",
                "schedulePlan": {"earliestAt": "next week"}
            })),
            "message.call",
        );
        assert!(call.created_at.is_some(), "space-separated form accepted");
        assert_eq!(
            (call.started_at, call.ended_at, call.scheduled_for),
            (None, None, None)
        );
        let fields: Vec<_> = call.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "message.call.startedAt",
                "message.call.schedulePlan.earliestAt"
            ]
        );
    }

    #[test]
    fn recording_from_the_artifact_recording_object() {
        let urls = |call: serde_json::Value| {
            let recording = map_call(wire_call(call)).recording.unwrap();
            (recording.mono_url, recording.stereo_url)
        };
        let of = |mono: &str, stereo: &str| (Some(mono.to_owned()), Some(stereo.to_owned()));
        let current = of("https://x/m.wav", "https://x/s.wav");
        let recording = json!({"stereoUrl": "https://x/s.wav",
                               "mono": {"combinedUrl": "https://x/m.wav"}});
        assert_eq!(
            urls(json!({"id": "c", "artifact": {"recording": recording}})),
            current
        );
        // The current fields win over the deprecated ones beside them: empty, which hide
        // nothing, or set (the call's and the artifact's), which may be stale.
        let empty = json!({"id": "c",
            "artifact": {"recordingUrl": "", "stereoRecordingUrl": "", "recording": recording}});
        assert_eq!(urls(empty), current);
        let stale = json!({"id": "c",
            "recordingUrl": "https://x/old-call.wav",
            "stereoRecordingUrl": "https://x/old-call-s.wav",
            "artifact": {"recordingUrl": "https://x/old.wav",
                         "stereoRecordingUrl": "https://x/old-s.wav", "recording": recording}});
        assert_eq!(urls(stale), current);
        // Each deprecated one still stands in alone, the call's first.
        let deprecated = json!({"id": "c",
            "recordingUrl": "https://x/call.wav",
            "artifact": {"recordingUrl": "https://x/artifact.wav",
                         "stereoRecordingUrl": "https://x/artifact-s.wav"}});
        assert_eq!(
            urls(deprecated),
            of("https://x/call.wav", "https://x/artifact-s.wav")
        );
    }

    /// The pre-signed copies stand in only for lasting URLs that are missing, and say when
    /// they expire.
    #[test]
    fn presigned_recordings_fill_in_for_missing_urls() {
        let signed = |name: &str| {
            format!(
                "https://vapi-call-recordings-prod.s3.us-west-2.amazonaws.com/c/{name}.wav\
                 ?X-Amz-Date=20260407T143153Z&X-Amz-Expires=3600&X-Amz-Signature=ab"
            )
        };
        let call = map_call(wire_call(json!({
            "id": "c",
            "artifact": {"presignedMonoUrl": signed("mono"), "presignedStereoUrl": signed("stereo"),
                         "presignedUrlsExpiresAt": "2026-04-07T15:31:53.322Z"}
        })));
        let recording = call.recording.unwrap();
        assert_eq!(recording.mono_url, Some(signed("mono")));
        assert_eq!(recording.stereo_url, Some(signed("stereo")));
        // The expiry Vapi states, to the millisecond (the URL's own says whole seconds).
        assert_eq!(
            recording.expires_at,
            Some("2026-04-07T15:31:53.322Z".parse().unwrap())
        );
        // Stated for a link that is no S3 one, it is the only expiry there is.
        let call = map_call(wire_call(json!({
            "id": "c",
            "artifact": {"presignedMonoUrl": "https://storage.vapi.ai/m.wav?token=x",
                         "presignedUrlsExpiresAt": "2026-04-07T15:31:53.322Z"}
        })));
        assert_eq!(
            call.recording.unwrap().expires_at,
            Some("2026-04-07T15:31:53.322Z".parse().unwrap())
        );
        // Without it, the S3 URL's own.
        let call = map_call(wire_call(json!({
            "id": "c",
            "artifact": {"presignedMonoUrl": signed("mono")}
        })));
        assert_eq!(
            call.recording.unwrap().expires_at,
            Some("2026-04-07T15:31:53Z".parse().unwrap())
        );
        // Beside the lasting URLs, they are not used.
        let call = map_call(wire_call(json!({
            "id": "c",
            "artifact": {"recording": {"stereoUrl": "https://x/s.wav",
                                       "mono": {"combinedUrl": "https://x/m.wav"}},
                         "presignedMonoUrl": signed("mono")}
        })));
        let recording = call.recording.unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some("https://x/m.wav"));
        assert_eq!(recording.expires_at, None);
    }

    /// The fields of the call's warnings, in order.
    fn warned(call: &Call) -> Vec<&str> {
        call.warnings.iter().map(|w| w.field.as_str()).collect()
    }

    #[test]
    fn impossible_values_are_dropped_with_a_warning() {
        let call = map_call(wire_call(json!({
            "id": "", "orgId": "", "organizationId": " ", "campaignId": " ", "assistantId": "",
            "startedAt": "2026-03-16T15:02:11Z", "endedAt": "2026-03-16T15:02:01Z",
            "durationSeconds": -3, "durationMs": 7250,
            "cost": -0.5,
            "costBreakdown": {"transport": -0.1, "stt": 0.2, "total": 0.9},
            "costs": [{"type": "vapi", "cost": -1}]
        })));
        // The call is kept, its id too (it has no other).
        assert_eq!(call.id.as_str(), "");
        assert_eq!(call.organization_id, None);
        assert_eq!(call.campaign_id, None);
        assert_eq!(call.agent, None);
        assert!(call.started_at.is_some());
        assert_eq!(call.ended_at, None);
        // The end is dropped, so the reported duration stands; the negative one does not.
        assert_eq!(call.duration_secs, Some(7.25));
        let cost = call.cost.clone().unwrap();
        assert_eq!(cost.total, Some(0.9));
        let items: Vec<(&str, f64)> = (cost.breakdown.iter())
            .map(|i| (i.component.as_str(), i.amount))
            .collect();
        assert_eq!(items, [("stt", 0.2)]);
        assert_eq!(
            warned(&call),
            [
                "orgId",
                "organizationId",
                "campaignId",
                "assistantId",
                "durationSeconds",
                "cost",
                "costBreakdown.transport",
                "costs[0].cost",
                "id",
                "endedAt",
            ]
        );
        let messages: Vec<&str> = call.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(messages[8].starts_with("an empty call id"), "{messages:?}");
        assert!(
            messages[9].starts_with("ends before the call started"),
            "{messages:?}"
        );

        // A blank `orgId` leaves the `organizationId`; a call without an id (a webhook's)
        // is kept with a warning named by its path.
        let call = map_call_at(
            wire_call(json!({"orgId": " ", "organizationId": "o2"})),
            "message.call",
        );
        assert_eq!(call.organization_id.as_ref().unwrap().as_str(), "o2");
        assert_eq!(warned(&call), ["message.call.orgId", "message.call.id"]);

        // Possible values pass without a word: zero costs and durations among them.
        let call = map_call(wire_call(json!({
            "id": "c", "orgId": "o1", "campaignId": "k", "assistantId": "a1",
            "startedAt": "2026-03-16T15:02:11Z", "endedAt": "2026-03-16T15:02:11Z",
            "durationSeconds": 0, "cost": 0, "costBreakdown": {"stt": 0},
            "costs": [{"type": "vapi", "cost": 0}]
        })));
        assert_eq!(call.duration_secs, Some(0.0));
        assert_eq!(call.cost.unwrap().total, Some(0.0));
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
    }

    #[test]
    fn non_finite_and_overflowing_amounts_are_dropped_with_a_warning() {
        // JSON has no infinity; other senders of the same struct (and float arithmetic)
        // can.
        let mut wire = wire_call(json!({
            "id": "c",
            "costs": [{"type": "model", "cost": 1e308}, {"type": "model", "cost": 1e308},
                      {"type": "voice", "cost": 0.25}]
        }));
        wire.cost = Some(f64::INFINITY);
        wire.duration_seconds = Some(f64::NAN);
        wire.duration_ms = Some(1e308);
        let call = map_call(wire);
        // A huge but finite duration is not made infinite by rounding.
        assert_eq!(call.duration_secs, Some(1e305));
        let cost = call.cost.clone().unwrap();
        assert_eq!(cost.total, None);
        let items: Vec<(&str, f64)> = (cost.breakdown.iter())
            .map(|i| (i.component.as_str(), i.amount))
            .collect();
        assert_eq!(items, [("llm", 1e308), ("tts", 0.25)]);
        assert_eq!(warned(&call), ["durationSeconds", "cost", "costs[1].cost"]);
        // Nothing possible left: no cost at all.
        let call = map_call(wire_call(
            json!({"id": "c", "cost": -1, "costBreakdown": {}}),
        ));
        assert_eq!(call.cost, None);
        assert_eq!(warned(&call), ["cost"]);
    }

    /// A `costs` list of many components (a hostile body can hold 100,000 in its 4 MiB)
    /// is summed in one pass: each item is found by its component, not by a scan.
    #[test]
    fn many_cost_components_are_summed_each_once() {
        let mut costs: Vec<serde_json::Value> = (0..20_000)
            .map(|i| json!({"type": format!("t{i}"), "cost": 0.5}))
            .collect();
        costs.push(json!({"type": "t7", "cost": 0.25}));
        let call = map_call(wire_call(json!({"id": "c", "costs": costs})));
        let breakdown = call.cost.expect("a cost").breakdown;
        assert_eq!(breakdown.len(), 20_000);
        let t7 = breakdown
            .iter()
            .find(|item| item.component == "t7")
            .unwrap();
        assert_eq!(t7.amount, 0.75);
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
        // Named as the breakdown names its parts, so that calls with and without it agree.
        assert_eq!(items.breakdown[1].component, "llm");
        // Two items of one component add up without float noise (0.30000000000000004).
        let summed = map_call(wire_call(json!({
            "id": "c", "costs": [{"type": "model", "cost": 0.1}, {"type": "model", "cost": 0.2}]
        })));
        assert_eq!(summed.cost.unwrap().breakdown[0].amount, 0.3);

        let total_only = map_call(wire_call(json!({
            "id": "c", "costBreakdown": {"total": 2.5}
        })))
        .cost
        .unwrap();
        assert_eq!(total_only.total, Some(2.5));
        assert!(map_call(wire_call(json!({"id": "c"}))).cost.is_none());

        // Both: an item stands aside for its part of the breakdown only when that part is
        // there (the transcriber's and the model's are kept, as `stt` and `llm`, beside a
        // transport-only one).
        let both = map_call(wire_call(json!({
            "id": "c",
            "costBreakdown": {"transport": 0.01, "total": 0.05},
            "costs": [{"type": "transport", "cost": 0.01},
                      {"type": "transcriber", "cost": 0.02},
                      {"type": "model", "cost": 0.02},
                      {"type": "analysis", "cost": 0.005}]
        })))
        .cost
        .unwrap();
        let parts: Vec<(&str, f64)> = (both.breakdown.iter())
            .map(|item| (item.component.as_str(), item.amount))
            .collect();
        assert_eq!(
            parts,
            [
                ("transport", 0.01),
                ("stt", 0.02),
                ("llm", 0.02),
                ("analysis", 0.005)
            ]
        );
    }

    /// The analyses' costs in `costBreakdown` are its `analysis` part, so that a breakdown
    /// without `costs[]` adds up to its total as one with it does; an `analysis` item of
    /// `costs[]` stands aside for it, as for any part.
    #[test]
    fn the_breakdown_s_analysis_costs_are_its_analysis_part() {
        let breakdown = json!({
            "transport": 0.01, "stt": 0.02, "llm": 0.03, "tts": 0.04, "vapi": 0.05,
            "total": 0.45,
            "analysisCostBreakdown": {
                "summary": 0.1, "summaryPromptTokens": 1480, "structuredData": 0.2,
                "successEvaluation": 0, "structuredOutput": null
            }
        });
        let parts = |body: serde_json::Value| -> Vec<(String, f64)> {
            let cost = map_call(wire_call(body)).cost.expect("a cost");
            (cost.breakdown.into_iter())
                .map(|item| (item.component, item.amount))
                .collect()
        };
        let alone = parts(json!({"id": "c", "costBreakdown": breakdown}));
        let expected = [
            ("transport", 0.01),
            ("stt", 0.02),
            ("llm", 0.03),
            ("tts", 0.04),
            ("vapi", 0.05),
            ("analysis", 0.3),
        ]
        .map(|(part, amount)| (part.to_owned(), amount));
        assert_eq!(alone, expected);
        let sum: f64 = alone.iter().map(|(_, amount)| amount).sum();
        assert!((sum - 0.45).abs() < 1e-9, "{sum}");
        let with_items = parts(json!({
            "id": "c", "costBreakdown": breakdown,
            "costs": [{"type": "analysis", "analysisType": "summary", "cost": 0.1},
                      {"type": "analysis", "analysisType": "structuredData", "cost": 0.2}]
        }));
        assert_eq!(with_items, expected);
        // Analyses that cost nothing add no part; a negative amount is left out, warned of.
        let free = json!({"transport": 0.01, "analysisCostBreakdown": {"summary": 0}});
        assert_eq!(
            parts(json!({"id": "c", "costBreakdown": free})),
            [("transport".to_owned(), 0.01)]
        );
        let call = map_call(wire_call(json!({
            "id": "c",
            "costBreakdown": {"analysisCostBreakdown": {"summary": -0.1, "structuredData": 0.2}}
        })));
        assert_eq!(
            call.cost.as_ref().expect("a cost").breakdown[0].amount,
            0.2,
            "the negative amount left out"
        );
        assert_eq!(
            warned(&call),
            ["costBreakdown.analysisCostBreakdown.summary"]
        );
        // Amounts each finite whose sum is not: left out, warned of as the items' sums are.
        let call = map_call(wire_call(json!({
            "id": "c",
            "costBreakdown": {"transport": 0.01,
                              "analysisCostBreakdown": {"summary": 1e308, "structuredData": 1e308}}
        })));
        assert_eq!(call.cost.as_ref().expect("a cost").breakdown.len(), 1);
        assert_eq!(warned(&call), ["costBreakdown.analysisCostBreakdown"]);
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
