//! Webhook deliveries ("server messages") → [`CallEvent`].
//!
//! Vapi posts its server messages as `{"message": {"type": …, "call": {…}, "timestamp": …,
//! …}}`; Voicebot Studio documents no webhooks and is inferred to relay Vapi's as they are,
//! so one parser serves both (the events name the flavor's kind). Accepted as well, because
//! senders do it: the `call` (or the `type`) beside `message` instead of inside it, the
//! message itself as the body (a top-level `type`), a call without an `id` (an event
//! without a call id; the call, which no request can name, carries a warning saying so) or
//! no call at all.
//!
//! Every event keeps `message.type` verbatim as [`CallEvent::vendor_event`], the id of the
//! call when it has one, and `message.timestamp` (epoch milliseconds: *inferred*, Vapi
//! does not state the unit) as its time.
//!
//! | `message.type` | event |
//! | --- | --- |
//! | `end-of-call-report` | `Ended`: the call built from the report (`endedReason`, `artifact` then its top-level copies `messages`, `transcript`, `recordingUrl`, `stereoRecordingUrl`; `analysis` then `summary`; costs (`cost`, `costBreakdown`, `costs`: any of them replaces the call's three), `startedAt`/`endedAt`, `durationSeconds`, `customer`, `phoneNumber`) laid over `call`, which is often stale; status `ended` whatever `call.status` says |
//! | `status-update` | `StatusChanged`: status from `message.status` (+ `message.endedReason`), never from the stale `call.status`; the call (when delivered) with the same laid over |
//! | `transcript` (`transcriptType` `final` or absent), `transcript[transcriptType="final"]` | `TranscriptUpdate` |
//! | `conversation-update` | `TranscriptUpdate`: the newest of `messages` (else of the older OpenAI-style `conversation`, else of `messagesOpenAIFormatted`), the only one decoded |
//! | `tool-calls` | `TranscriptUpdate`: a tool utterance with each of `toolCallList` (arguments as JSON text, whether sent as text or as an object) |
//! | `function-call` (its body *inferred*) | `TranscriptUpdate`: a tool utterance with `functionCall` |
//! | anything else (partial transcripts, `speech-update`, `hang`, `assistant-request`, `transfer-destination-request`, `user-interrupted` …) | `Other`, the delivery kept whole |
//!
//! The call of an `Ended` or `StatusChanged` event keeps the whole delivery as its vendor
//! payload; its warnings name fields by their path in the delivery.
//!
//! The requests Vapi waits on for a JSON answer (`tool-calls`, `assistant-request`,
//! `transfer-destination-request`, `knowledge-base-request`, `handoff-destination-request`,
//! `call.endpointing.request`, `campaign.predial`) have [`CallEvent::expects_reply`] set.

use std::time::Duration;

use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::adapter::{AnyJson, Text, call_id_field, canonical_raw, non_blank};
use voiceport_core::http::{decode_json, decode_raw};
use voiceport_core::{
    Call, CallEvent, CallId, CallStatus, Error, EventKind, Operation, ProviderKind, Result,
    Speaker, ToolCall, Utterance, VendorPayload,
};

use crate::map::call::{
    destination, field_path, first_conversation, map_call_at, speaker, tool_call, utterance,
};
use crate::map::conversation::{Newest, RawMessages};
use crate::map::status::status_of;
use crate::wire;

const OP: Operation = Operation::ParseWebhook;

/// The message types Vapi waits on for a JSON answer in the response's body (the others
/// take any 2xx): the five its server-events page names, and the two more its SDKs'
/// `ServerMessageResponse` types answer (`call.endpointing.request`: `{timeoutSeconds}`;
/// `campaign.predial`). `voice-request` is not among them: it wants raw audio back, which
/// a JSON reply cannot give.
const REQUEST_TYPES: &[&str] = &[
    "assistant-request",
    "call.endpointing.request",
    "campaign.predial",
    "handoff-destination-request",
    "knowledge-base-request",
    "tool-calls",
    "transfer-destination-request",
];

/// How long Vapi waits for the answer to an `assistant-request`: 7.5 seconds end to end,
/// whatever the server's `timeoutSeconds` says. The other requests wait as configured
/// there (20 seconds by default).
const ASSISTANT_REQUEST_LIMIT: Duration = Duration::from_millis(7_500);

/// The vendor's own limit on the wait for `event`'s answer ([`Codec::reply_limit`]).
///
/// [`Codec::reply_limit`]: voiceport_core::Codec::reply_limit
pub(crate) fn reply_limit(event: &CallEvent) -> Option<Duration> {
    let assistant_request = event.expects_reply && event.vendor_event == "assistant-request";
    assistant_request.then_some(ASSISTANT_REQUEST_LIMIT)
}

/// Vapi's server-message types (and the `serverMessages` names without a body schema): a
/// body whose top-level `type` is one of them is a message sent without its envelope.
const MESSAGE_TYPES: &[&str] = &[
    "assistant-request",
    "assistant.speechStarted",
    "assistant.started",
    "call.artifact.upload",
    "call.delete.failed",
    "call.deleted",
    "call.endpointing.request",
    "campaign.predial",
    "chat.created",
    "chat.deleted",
    "conversation-update",
    "end-of-call-report",
    "function-call",
    "handoff-destination-request",
    "hang",
    "knowledge-base-request",
    "language-change-detected",
    "language-changed",
    "model-output",
    "phone-call-control",
    "session.created",
    "session.deleted",
    "session.updated",
    "speech-update",
    "status-update",
    "tool-calls",
    "transcript",
    "transfer-destination-request",
    "transfer-update",
    "user-interrupted",
    "voice-input",
    "voice-request",
];

/// Whether a JSON body looks like a delivery (for `detect`): a `message` or `call` object,
/// or a top-level `type` that is a server-message type (a call's `type` never is).
pub(crate) fn looks_like_delivery(body: &Value) -> bool {
    let is_object = |key: &str| body.get(key).is_some_and(Value::is_object);
    let message_type = body.get("type").and_then(Value::as_str);
    is_object("message")
        || is_object("call")
        || message_type.is_some_and(|t| MESSAGE_TYPES.contains(&t) || t.starts_with("transcript["))
}

/// A delivery, its parts located and its message decoded for its type.
struct Parsed<'a> {
    /// `message.type` (else the top-level `type`).
    event_type: Text<'a>,
    /// The message, as its type reads it.
    body: MessageBody<'a>,
    /// The message's JSON path: `message`, or `""` (a message sent as the body).
    at: &'static str,
    /// The call object still raw, when there is one: inside the message, else beside it.
    /// (A report decoded part by part has decoded the call inside it: see
    /// [`wire::CallReport::call`].)
    call: Option<&'a RawValue>,
    /// Its JSON path: `message.call` or `call`.
    call_at: &'static str,
    /// `message.timestamp` (else the top-level one).
    timestamp: Option<AnyJson<'a>>,
}

/// A message, as its type reads it.
enum MessageBody<'a> {
    /// An `end-of-call-report` (`ended`) or a `status-update`.
    Report {
        report: Box<wire::CallReport<'a>>,
        ended: bool,
    },
    /// A `transcript` message.
    Transcript(wire::TranscriptMessage<'a>),
    /// A `conversation-update`: its lists, still raw (`messages`, then the older copies
    /// `conversation` and `messagesOpenAIFormatted`), of which only the first that has a
    /// message is read, and of that only the newest message.
    Conversation([Option<RawMessages<'a>>; 3]),
    /// A `tool-calls` message's `toolCallList`.
    ToolCalls(Vec<wire::ToolCall<'a>>),
    /// A `function-call` message's `functionCall`.
    FunctionCall(Option<wire::FunctionCall<'a>>),
    /// Any other type: kept whole.
    Other,
}

/// A message type, as far as it decides the message's body.
enum MessageType {
    Report { ended: bool },
    Transcript,
    Conversation,
    ToolCalls,
    FunctionCall,
    Other,
}

impl MessageType {
    fn of(message_type: &str) -> MessageType {
        match message_type {
            "end-of-call-report" => MessageType::Report { ended: true },
            "status-update" => MessageType::Report { ended: false },
            "transcript" => MessageType::Transcript,
            t if t.starts_with("transcript[") => MessageType::Transcript,
            "conversation-update" => MessageType::Conversation,
            "tool-calls" => MessageType::ToolCalls,
            "function-call" => MessageType::FunctionCall,
            _ => MessageType::Other,
        }
    }
}

/// Turns the body of a server message from `kind` into an event.
///
/// A body that is not JSON, has no message type (`message.type`, or `type` at the top),
/// or whose parts have the wrong JSON type (a `status` that is not a string, a `call` that
/// is not an object in a report …) is an [`Error::Decode`] naming the path.
///
/// The usual delivery (`{"message": {...}}`, each field of the type a message of any type
/// gives it) is read in one pass, which also proves it is one JSON value (the events that
/// keep the delivery as their vendor payload keep that text as it is); any other is read
/// part by part, as its type reads it.
pub(crate) fn decode_webhook(kind: ProviderKind, body: &[u8]) -> Result<CallEvent> {
    let one_pass = std::str::from_utf8(body)
        .ok()
        .and_then(|text| Some((text, in_one_pass(text)?)));
    match one_pass {
        Some((text, parsed)) => event_of(kind, parsed, Whole::Text(text)),
        None => {
            let whole: &RawValue = decode_json(kind, OP, body)?;
            let parsed = part_by_part(kind, whole, body)?;
            event_of(kind, parsed, Whole::Raw(whole))
        }
    }
}

/// The whole delivery, which the events that keep it (a report's call, `Other`) keep as
/// their vendor payload: already delimited, or text the one pass decoded in full (so one
/// JSON value, never scanned again).
#[derive(Clone, Copy)]
enum Whole<'a> {
    Raw(&'a RawValue),
    Text(&'a str),
}

impl Whole<'_> {
    /// The delivery as a vendor payload: text decoded in full is kept as it is, not
    /// delimited again.
    fn payload(self) -> VendorPayload {
        match self {
            Whole::Raw(raw) => VendorPayload::from_raw(raw),
            Whole::Text(text) => VendorPayload::from_decoded_text(text),
        }
    }
}

/// The event a decoded delivery makes.
fn event_of(kind: ProviderKind, parsed: Parsed<'_>, whole: Whole<'_>) -> Result<CallEvent> {
    let call_id = |call: Option<&RawValue>| call.and_then(|raw| call_id_field(raw, "id"));
    // A status update's destination tells one forwarding of a call from another.
    let mut distinct_by = None;
    let (event, call_id) = match parsed.body {
        MessageBody::Report { mut report, ended } => {
            let found = FoundCall {
                raw: parsed.call,
                at: parsed.call_at,
                message_at: parsed.at,
            };
            if !ended {
                distinct_by = status_update_key(report.destination, &report);
            }
            report_event(kind, &mut report, found, whole, ended)?
        }
        MessageBody::Transcript(message) => (transcript(message), call_id(parsed.call)),
        MessageBody::Conversation(copies) => {
            (conversation(kind, copies, parsed.at)?, call_id(parsed.call))
        }
        MessageBody::ToolCalls(list) => (tool_calls(list), call_id(parsed.call)),
        MessageBody::FunctionCall(function) => (function_call(function), call_id(parsed.call)),
        MessageBody::Other => (None, call_id(parsed.call)),
    };
    let event = match event {
        Some(event) => event,
        None => EventKind::other(whole.payload()),
    };
    let expects_reply = REQUEST_TYPES.contains(&parsed.event_type.as_str());
    let mut event = CallEvent::new(parsed.event_type.into_owned(), event);
    event.expects_reply = expects_reply;
    event.call_id = call_id;
    event.occurred_at = parsed.timestamp.and_then(AnyJson::into_time);
    event.distinct_by = distinct_by;
    Ok(event)
}

/// The usual delivery in one pass over its text ([`wire::Delivery`]), which also checks
/// that the whole text is JSON; `None` when it is not such a delivery, or does not decode
/// so (it is then read [`part_by_part`]).
fn in_one_pass(text: &str) -> Option<Parsed<'_>> {
    let delivery: wire::Delivery<'_> = serde_json::from_str(text).ok()?;
    let mut message = delivery.message?;
    let event_type = message.message_type.take().or(delivery.message_type)?;
    let (call, call_at) = match (message.call.take(), delivery.call) {
        (Some(call), _) => (Some(call), "message.call"),
        (None, Some(call)) => (Some(call), "call"),
        (None, None) => (None, "message.call"),
    };
    let timestamp = message.timestamp.take().or(delivery.timestamp);
    let body = match MessageType::of(event_type.as_str()) {
        MessageType::Report { ended } => MessageBody::Report {
            report: Box::new(message.into_report()),
            ended,
        },
        MessageType::Transcript => MessageBody::Transcript(wire::TranscriptMessage {
            role: message.role,
            transcript_type: message.transcript_type,
            transcript: message.transcript,
        }),
        MessageType::Conversation => MessageBody::Conversation([
            message.messages,
            message.conversation,
            message.messages_openai,
        ]),
        MessageType::ToolCalls => {
            MessageBody::ToolCalls(message.tool_call_list.unwrap_or_default())
        }
        MessageType::FunctionCall => {
            MessageBody::FunctionCall(message.function_call.map(|boxed| *boxed))
        }
        MessageType::Other => MessageBody::Other,
    };
    Some(Parsed {
        event_type,
        body,
        at: "message",
        call,
        call_at,
        timestamp,
    })
}

/// Any delivery, part by part: where the message and the call are, then the message as
/// its type reads it (fields its type does not read are not decoded).
fn part_by_part<'a>(kind: ProviderKind, whole: &'a RawValue, body: &[u8]) -> Result<Parsed<'a>> {
    let top: wire::ServerMessageHead<'_> = decode_raw(kind, OP, whole, "")?;
    let inner: Option<wire::ServerMessageHead<'_>> = match top.message {
        Some(message) => Some(decode_raw(kind, OP, message, "message")?),
        None => None,
    };
    let (message, at) = match top.message {
        Some(message) => (message, "message"),
        None => (whole, ""),
    };
    let (inner_type, inner_call, inner_time) = match inner {
        Some(head) => (head.message_type, head.call, head.timestamp),
        None => (None, None, None),
    };
    let event_type = inner_type
        .or(top.message_type)
        .ok_or_else(|| Error::decode(kind, OP, "message.type", "missing field `type`", body))?;
    // Inside the message, else beside it.
    let (call, call_at) = match (inner_call, top.call) {
        (Some(call), _) => (Some(call), "message.call"),
        (None, Some(call)) => (Some(call), "call"),
        (None, None) => (None, "message.call"),
    };
    let body = match MessageType::of(event_type.as_str()) {
        MessageType::Report { ended } => MessageBody::Report {
            report: Box::new(decode_raw(kind, OP, message, at)?),
            ended,
        },
        MessageType::Transcript => MessageBody::Transcript(decode_raw(kind, OP, message, at)?),
        MessageType::Conversation => {
            let update: wire::ConversationUpdate<'_> = decode_raw(kind, OP, message, at)?;
            MessageBody::Conversation([
                update.messages,
                update.conversation,
                update.messages_openai,
            ])
        }
        MessageType::ToolCalls => {
            let message: wire::ToolCallsMessage<'_> = decode_raw(kind, OP, message, at)?;
            MessageBody::ToolCalls(message.tool_call_list.unwrap_or_default())
        }
        MessageType::FunctionCall => {
            let message: wire::FunctionCallMessage<'_> = decode_raw(kind, OP, message, at)?;
            MessageBody::FunctionCall(message.function_call)
        }
        MessageType::Other => MessageBody::Other,
    };
    Ok(Parsed {
        event_type,
        body,
        at,
        call,
        call_at,
        timestamp: inner_time.or(top.timestamp),
    })
}

/// Where a report's call was found: the call still raw (if anywhere), its JSON path and
/// the message's.
#[derive(Clone, Copy)]
struct FoundCall<'a> {
    /// The call object, when it was not decoded with the report (see
    /// [`wire::CallReport::call`]).
    raw: Option<&'a RawValue>,
    /// The call's JSON path: `message.call` or `call`.
    at: &'static str,
    /// The message's JSON path: `message`, or `""` (a message sent as the body).
    message_at: &'static str,
}

/// An `end-of-call-report` (`ended`) or a `status-update`: the message laid over the call
/// (`found`); and the call's id, when it has a usable one.
fn report_event<'a>(
    kind: ProviderKind,
    report: &mut wire::CallReport<'a>,
    found: FoundCall<'a>,
    whole: Whole<'_>,
    ended: bool,
) -> Result<(Option<EventKind>, Option<CallId>)> {
    // A call inside a message read part by part was decoded with it; any other is read
    // now.
    let stale: Option<Box<wire::Call<'a>>> = match (report.call.take(), found.raw) {
        (Some(call), _) => Some(call),
        (None, Some(raw)) => Some(decode_raw(kind, OP, raw, found.at)?),
        (None, None) => None,
    };
    let call_id = stale
        .as_ref()
        .and_then(|call| call.id.as_ref())
        .and_then(|id| non_blank(id.as_str()))
        .map(CallId::new);
    // A blank time is no time: it does not hide the call's.
    report.started_at = report.started_at.take().and_then(non_blank);
    report.ended_at = report.ended_at.take().and_then(non_blank);
    if !ended && stale.is_none() {
        let (status, vendor_status) = match report.status.take() {
            Some(status) => {
                let reason = report.ended_reason.as_ref().map(Text::as_str);
                // Whether the call had started, as far as the message says: a call canceled
                // after it started ended like any other (as its report will say).
                let started = report.started_at.is_some();
                let (normalized, _) = status_of(Some(&status), reason, started);
                (normalized, Some(status.as_str().to_owned()))
            }
            None => (CallStatus::Unknown, None),
        };
        let event = EventKind::status_changed(status, vendor_status, None);
        return Ok((Some(event), call_id));
    }
    let from_report = [
        ("startedAt", report.started_at.is_some()),
        ("endedAt", report.ended_at.is_some()),
        ("durationSeconds", report.duration_seconds.is_some()),
        ("durationMs", report.duration_ms.is_some()),
        ("cost", report.cost.is_some()),
        ("costBreakdown", report.cost_breakdown.is_some()),
        ("costs", report.costs.is_some()),
    ];
    // The call (a kilobyte) is laid over and mapped where it is, never moved.
    let mut merged = stale.unwrap_or_default();
    lay_over(kind, report, &mut merged, ended, found.message_at)?;
    // A server message names the number as an object (no lookup needed).
    let mut call = map_call_at(kind, OP, &mut merged, found.at, None)?;
    repoint_report_warnings(&mut call, from_report, found);
    // Where a forwarding (or a forwarded call's report) sends the call, when the message
    // names it: over the call's, which an unreadable one leaves as it was.
    if let Some(raw) = report.destination {
        let to = destination(&mut call, &field_path(found.message_at, "destination"), raw);
        fresher(&mut call.transfer_destination, to);
    }
    call.set_vendor_payload(whole.payload());
    let event = if ended {
        EventKind::ended(call)
    } else {
        EventKind::status_changed(
            call.status,
            call.vendor_status.clone(),
            Some(Box::new(call)),
        )
    };
    Ok((Some(event), call_id))
}

/// Values the report supplied (the fields of `from_report` it has) were read from the
/// report, not from the call: their warnings (`message.call.costs[2].cost`, under the
/// call's path) name the report's field (`message.costs[2].cost`, under the message's).
fn repoint_report_warnings(
    call: &mut Call,
    from_report: impl IntoIterator<Item = (&'static str, bool)>,
    found: FoundCall<'_>,
) {
    if !call.warnings.is_empty() {
        for (field, _) in from_report.into_iter().filter(|(_, reported)| *reported) {
            let read_at = field_path(found.at, field);
            for warning in &mut call.warnings {
                let Some(rest) = warning.field.strip_prefix(&read_at) else {
                    continue;
                };
                if rest.is_empty() || rest.starts_with(['.', '[']) {
                    warning.field = format!("{}{rest}", field_path(found.message_at, field));
                }
            }
        }
    }
}

/// What tells one status update of a call from another with the same status: where it
/// forwards the call (its destination, in a canonical form, so that a redelivery serialized
/// afresh is the same) and how far the conversation had got (the messages the update
/// carries), so that a second forward to the same number (or with no destination named),
/// or a call back `in-progress` after a forward that failed, is not taken for a redelivery
/// of the first, where the update carries the conversation so far. `None` when the update
/// names no destination and carries no message: a second `in-progress` that carries
/// nothing (Vapi documents messages on `forwarding` updates only) is then taken for a
/// redelivery of the first. The message's `timestamp` would tell them apart, but whether a
/// retry keeps it is not documented, and a retry delivered twice is the worse mistake.
fn status_update_key(
    destination: Option<&RawValue>,
    report: &wire::CallReport<'_>,
) -> Option<String> {
    let count = |messages: RawMessages<'_>| {
        serde_json::from_str::<Vec<serde::de::IgnoredAny>>(messages.0.get()).map_or(0, |m| m.len())
    };
    let lists = [report.messages, report.messages_openai];
    let after = (lists.into_iter().flatten().map(count))
        .find(|n| *n > 0)
        .map(|n| format!("after {n} messages"));
    match (destination.map(canonical_raw), after) {
        (Some(destination), Some(after)) => Some(format!("{destination} {after}")),
        (destination, after) => destination.or(after),
    }
}

/// `fresh` replaces `stale` when it is there.
fn fresher<T>(stale: &mut Option<T>, fresh: Option<T>) {
    if fresh.is_some() {
        *stale = fresh;
    }
}

/// The first text that is there and not empty.
fn first_text<'a, const N: usize>(candidates: [Option<Text<'a>>; N]) -> Option<Text<'a>> {
    candidates
        .into_iter()
        .flatten()
        .find(|t| !t.as_str().is_empty())
}

/// Lays a report (found at `at`) over the (possibly stale, possibly absent) call it
/// carries: whatever the report says wins, from where Vapi's schema puts it first
/// (`artifact`, `analysis.summary`), then from the copies older senders (and Vapi still,
/// beside the artifact) put at the message's top level. The status is `ended` for an
/// end-of-call report, else the message's (else the call's).
///
/// The report's costs (`cost`, `costBreakdown`, `costs`) are taken together: when it
/// gives any of them, they replace the call's three, so that a fresh total never stands
/// beside a breakdown of the stale call's.
///
/// The report's conversation (the first of `artifact.messages`, `messages`,
/// `artifact.messagesOpenAIFormatted`, `messagesOpenAIFormatted` that has a message)
/// replaces the call's. What the report does not say, the call's own artifact still
/// does. Only the artifact's is decoded with the report: a real report
/// carries the same conversation at the top level as well, which is decoded only when
/// read, like the OpenAI-formatted copies, its errors naming its place in the report.
fn lay_over<'a>(
    kind: ProviderKind,
    report: &mut wire::CallReport<'a>,
    call: &mut wire::Call<'a>,
    ended: bool,
    at: &str,
) -> Result<()> {
    call.status = if ended {
        Some(wire::Status::Ended)
    } else {
        report.status.take().or(call.status.take())
    };
    fresher(
        &mut call.ended_reason,
        report
            .ended_reason
            .take()
            .filter(|r| !r.as_str().is_empty()),
    );
    fresher(&mut call.started_at, report.started_at.take());
    fresher(&mut call.ended_at, report.ended_at.take());
    fresher(&mut call.duration_seconds, report.duration_seconds.take());
    fresher(&mut call.duration_ms, report.duration_ms.take());
    // The costs are one account: a report that gives any of `cost`, `costBreakdown` and
    // `costs` replaces the call's three, those it does not give left out, never mixed
    // field by field (Vapi's report gives `cost` and `costs`, while its stale call may
    // hold an older `costBreakdown`, which would stand beside the fresh total).
    if report.cost.is_some() || report.cost_breakdown.is_some() || report.costs.is_some() {
        call.cost = report.cost.take();
        call.cost_breakdown = report.cost_breakdown.take();
        call.costs = report.costs.take();
    }
    if let Some(fresh) = report.customer.take() {
        let customer = call.customer.get_or_insert_default();
        fresher(&mut customer.number, fresh.number);
        fresher(&mut customer.sip_uri, fresh.sip_uri);
        fresher(&mut customer.name, fresh.name);
    }
    fresher(&mut call.phone_number, report.phone_number.take());

    let mut artifact = report.artifact.take().unwrap_or_default();
    let summary = report.analysis.as_ref().and_then(|a| a.summary.clone());
    fresher(
        &mut call.summary,
        first_text([summary, report.summary.take()]),
    );
    fresher(&mut call.analysis, report.analysis.take());
    fresher(
        &mut call.transcript,
        first_text([artifact.transcript.take(), report.transcript.take()]),
    );
    let recording = artifact.recording.take().unwrap_or_default();
    let mono = recording.mono.and_then(|m| m.combined_url);
    // The current field first: a deprecated URL beside it may be stale.
    let fresh_mono = first_text([
        mono,
        artifact.recording_url.take(),
        report.recording_url.take(),
    ]);
    let fresh_stereo = first_text([
        recording.stereo_url,
        artifact.stereo_recording_url.take(),
        report.stereo_recording_url.take(),
    ]);
    // Kept as the call's current recording, which the mapping reads before any other
    // (the stale call's own among them).
    if fresh_mono.is_some() || fresh_stereo.is_some() {
        let kept = call.artifact.get_or_insert_with(Default::default);
        let current = kept.recording.get_or_insert_with(Default::default);
        if fresh_mono.is_some() {
            current
                .mono
                .get_or_insert_with(Default::default)
                .combined_url = fresh_mono;
        }
        fresher(&mut current.stereo_url, fresh_stereo);
    }
    // The short-lived pre-signed copies stay what they are, with the expiry Vapi states
    // for them: used where no lasting URL is (`map_call`'s `recording`).
    let presigned_mono = first_text([artifact.presigned_mono_url.take()]);
    let presigned_stereo = first_text([artifact.presigned_stereo_url.take()]);
    if presigned_mono.is_some() || presigned_stereo.is_some() {
        let kept = call.artifact.get_or_insert_with(Default::default);
        fresher(&mut kept.presigned_mono_url, presigned_mono);
        fresher(&mut kept.presigned_stereo_url, presigned_stereo);
        fresher(
            &mut kept.presigned_urls_expires_at,
            artifact.presigned_urls_expires_at.take(),
        );
    }
    let conversation = match artifact.messages.filter(|m| !m.0.is_empty()) {
        Some(messages) => Some(messages),
        None => first_conversation(
            kind,
            OP,
            [
                (report.messages.take(), at, "messages"),
                (
                    artifact.messages_openai,
                    at,
                    "artifact.messagesOpenAIFormatted",
                ),
                (report.messages_openai.take(), at, "messagesOpenAIFormatted"),
            ],
        )?
        .map(|(messages, _)| messages),
    };
    if conversation.is_some() {
        call.messages = conversation;
        call.messages_openai = None;
    }
    // The report's parts, now read, are the call's own fields, which the mapping reads
    // before the call's artifact: that artifact stays for what the report leaves out (a
    // status update's call carries its recording and transcript there). What the mapping
    // takes from an artifact whole comes from the report's where it has it.
    let own = call.artifact.get_or_insert_default();
    fresher(&mut own.structured_outputs, artifact.structured_outputs);
    fresher(&mut own.variable_values, artifact.variable_values);
    Ok(())
}

/// A `transcript` message: final ones are utterances, partial ones (`None`) are `Other`.
fn transcript(message: wire::TranscriptMessage<'_>) -> Option<EventKind> {
    if message
        .transcript_type
        .as_ref()
        .is_some_and(|t| t.as_str() != "final")
    {
        return None;
    }
    let text = message
        .transcript
        .filter(|t| !t.as_str().is_empty())
        .map(Text::into_owned);
    let utterance = Utterance::new(speaker(message.role.as_ref()), text);
    Some(EventKind::transcript_update(utterance, None))
}

/// A `conversation-update` (found at `at`): the newest message of its first list that has
/// one (`messages`, else the older `conversation`, else `messagesOpenAIFormatted`) is the
/// new piece of transcript. Only that message is decoded; its errors name its place
/// (`message.messages[7].role`).
fn conversation(
    kind: ProviderKind,
    [messages, conversation, openai]: [Option<RawMessages<'_>>; 3],
    at: &str,
) -> Result<Option<EventKind>> {
    let copies = [
        (messages, at, "messages"),
        (conversation, at, "conversation"),
        (openai, at, "messagesOpenAIFormatted"),
    ];
    let Some((Newest(Some((index, raw))), path)) = first_conversation(kind, OP, copies)? else {
        return Ok(None);
    };
    let message = decode_raw(kind, OP, raw, &format!("{path}[{index}]"))?;
    let utterance = utterance(message);
    Ok(Some(EventKind::transcript_update(utterance, None)))
}

/// A `tool-calls` message: the assistant invokes tools.
fn tool_calls(list: Vec<wire::ToolCall<'_>>) -> Option<EventKind> {
    let calls: Vec<_> = list.into_iter().map(tool_call).collect();
    (!calls.is_empty()).then(|| tool_utterance(calls))
}

/// A `function-call` message: Vapi's older single-function invocation.
fn function_call(function: Option<wire::FunctionCall<'_>>) -> Option<EventKind> {
    function.map(|function| {
        tool_utterance(vec![ToolCall::new(
            None,
            function
                .name
                .filter(|n| !n.as_str().is_empty())
                .map(Text::into_owned),
            function.parameters.and_then(AnyJson::into_text),
        )])
    })
}

/// A tool utterance carrying `calls`.
fn tool_utterance(calls: Vec<ToolCall>) -> EventKind {
    let mut utterance = Utterance::new(Speaker::Tool, None);
    utterance.tool_calls = calls;
    EventKind::transcript_update(utterance, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::{CallStatus, EndReasonCategory, Speaker};

    /// Deliveries are parsed the same for both flavors: tested as Voicebot Studio's.
    const KIND: ProviderKind = ProviderKind::Voicebot;

    fn decode_webhook(body: &[u8]) -> Result<CallEvent> {
        super::decode_webhook(KIND, body)
    }

    fn parse(value: serde_json::Value) -> Result<CallEvent> {
        decode_webhook(&serde_json::to_vec(&value).unwrap())
    }

    /// What a message does not say, the call it carries still does: a status update's
    /// call with its own artifact keeps its recording and transcript.
    #[test]
    fn the_carried_call_s_own_artifact_fills_in_what_the_message_leaves_out() {
        let event = parse(
            json!({"message": {"type": "status-update", "status": "ended",
            "endedReason": "customer-ended-call",
            "call": {"id": "c1", "artifact": {
                "recording": {"mono": {"combinedUrl": "https://r/m.wav"}},
                "transcript": "AI: Hi", "structuredOutputs": {"o": 1}}}}}),
        )
        .unwrap();
        let call = event.call().unwrap();
        let recording = call.recording.as_ref().unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some("https://r/m.wav"));
        let transcript = call.transcript.as_ref().unwrap();
        assert_eq!(transcript.text.as_deref(), Some("AI: Hi"));
        // The message's own artifact still wins where it says something.
        let event = parse(json!({"message": {"type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "artifact": {"recordingUrl": "https://r/new.wav", "transcript": "AI: Bye"},
            "call": {"id": "c1", "artifact": {
                "recording": {"mono": {"combinedUrl": "https://r/old.wav"}},
                "transcript": "AI: Hi"}}}}))
        .unwrap();
        let call = event.call().unwrap();
        let recording = call.recording.as_ref().unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some("https://r/new.wav"));
        let transcript = call.transcript.as_ref().unwrap();
        assert_eq!(transcript.text.as_deref(), Some("AI: Bye"));
        // In the report's artifact, the current `recording` wins over the deprecated URLs
        // beside it, which may be stale.
        let event = parse(json!({"message": {"type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "recordingUrl": "https://r/report-old.wav",
            "artifact": {"recordingUrl": "https://r/old.wav",
                         "stereoRecordingUrl": "https://r/old-s.wav",
                         "recording": {"stereoUrl": "https://r/s.wav",
                                       "mono": {"combinedUrl": "https://r/m.wav"}}},
            "call": {"id": "c1"}}}))
        .unwrap();
        let recording = event.call().unwrap().recording.as_ref().unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some("https://r/m.wav"));
        assert_eq!(recording.stereo_url.as_deref(), Some("https://r/s.wav"));
    }

    #[test]
    fn the_call_and_errors_name_the_kind() {
        let body = br#"{"message": {"type": "end-of-call-report", "call": {"id": "c"}}}"#;
        let event = super::decode_webhook(ProviderKind::Vapi, body).unwrap();
        assert_eq!(event.call().unwrap().provider, ProviderKind::Vapi);
        let err = super::decode_webhook(ProviderKind::Vapi, b"{}").unwrap_err();
        assert_eq!(err.provider(), Some(ProviderKind::Vapi));
    }

    #[test]
    fn end_of_call_report_wins_over_the_stale_call() {
        let event = parse(json!({"message": {
            "type": "end-of-call-report",
            "endedReason": "customer-busy",
            "startedAt": "2026-03-19T17:20:08Z",
            "endedAt": "2026-03-19T17:20:18Z",
            "cost": 0.5,
            "analysis": {"summary": "fresh", "successEvaluation": true},
            "artifact": {"messages": [{"role": "bot", "message": "Hi"}], "transcript": "AI: Hi",
                         "recordingUrl": "https://r/m.wav"},
            "customer": {"number": "+1999"},
            "call": {"id": "c1", "type": "outboundPhoneCall", "status": "ringing", "summary": "stale",
                     "messages": [{"role": "user", "message": "old"}], "endedReason": "voicemail"}
        }}))
        .unwrap();
        let EventKind::Ended { call, .. } = event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(call.status, CallStatus::Busy);
        assert_eq!(call.vendor_status.as_deref(), Some("ended"));
        assert_eq!(
            call.end_reason.as_ref().unwrap().vendor.as_deref(),
            Some("customer-busy")
        );
        assert_eq!(call.duration_secs, Some(10.0));
        assert_eq!(call.cost.as_ref().unwrap().total, Some(0.5));
        assert_eq!(call.analysis.summary.as_deref(), Some("fresh"));
        assert_eq!(call.analysis.success_evaluation.as_deref(), Some("true"));
        let transcript = call.transcript.as_ref().unwrap();
        assert_eq!(transcript.utterances.len(), 1);
        assert_eq!(transcript.utterances[0].speaker, Speaker::Agent);
        assert_eq!(
            call.recording.as_ref().unwrap().mono_url.as_deref(),
            Some("https://r/m.wav")
        );
        assert_eq!(
            call.to.as_deref(),
            Some("+1999"),
            "customer from the report"
        );
        assert!(
            call.vendor_payload()
                .unwrap()
                .get()
                .contains("end-of-call-report")
        );
    }

    /// Vapi's report gives `cost` and `costs[]` (no `costBreakdown`), while the call it
    /// carries, a snapshot taken mid-call, holds an older `cost` and `costBreakdown`: the
    /// event's cost is the report's alone, its items from the report's `costs`, adding up
    /// to the report's total (never the stale breakdown beside the fresh total).
    #[test]
    fn a_report_s_costs_replace_the_stale_call_s_together() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/vapi/webhook_end_of_call_report_costs_only.json"
        );
        // The fixtures are the workspace's: a packaged crate has none to read. In the
        // workspace, the file must be there (a fixture renamed fails the test).
        let folder = std::path::Path::new(path)
            .parent()
            .filter(|dir| dir.is_dir());
        if folder.is_none() {
            return;
        }
        let body = std::fs::read(path).expect("the fixture");
        let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let message = &sent["message"];
        assert!(message.get("costBreakdown").is_none());
        assert!(message["call"]["costBreakdown"].is_object());
        let event = super::decode_webhook(ProviderKind::Vapi, &body).unwrap();
        let call = event.call().unwrap();
        let cost = call.cost.as_ref().unwrap();
        let total = message["cost"].as_f64().unwrap();
        assert_eq!(cost.total, Some(total));
        // One item per entry of the report's `costs`, named as the breakdown's parts are.
        let expected: Vec<(&str, f64)> = (message["costs"].as_array().unwrap().iter())
            .map(|entry| {
                let component = match entry["type"].as_str().unwrap() {
                    "transcriber" => "stt",
                    "model" => "llm",
                    "voice" => "tts",
                    other => other,
                };
                (component, entry["cost"].as_f64().unwrap())
            })
            .collect();
        let items: Vec<(&str, f64)> = (cost.breakdown.iter())
            .map(|item| (item.component.as_str(), item.amount))
            .collect();
        assert_eq!(items, expected);
        let sum: f64 = cost.breakdown.iter().map(|item| item.amount).sum();
        assert!((sum - total).abs() < 1e-9, "{sum} != {total}");
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
    }

    /// The three cost fields are one unit: a report that gives any of them leaves out the
    /// call's others; one that gives none keeps the call's.
    #[test]
    fn a_report_s_costs_are_laid_over_as_one() {
        let stale = json!({"id": "c1", "cost": 0.2,
            "costBreakdown": {"transport": 0.05, "llm": 0.15, "total": 0.2},
            "costs": [{"type": "transport", "cost": 0.05}, {"type": "model", "cost": 0.15}]});
        let cost_of = |fields: serde_json::Value| {
            let mut message = json!({"type": "end-of-call-report", "call": stale.clone()});
            for (key, value) in fields.as_object().unwrap() {
                message[key] = value.clone();
            }
            let event = parse(json!({ "message": message })).unwrap();
            let cost = event.call().unwrap().cost.clone().unwrap();
            let items: Vec<(String, f64)> = (cost.breakdown.into_iter())
                .map(|item| (item.component, item.amount))
                .collect();
            (cost.total, items)
        };
        // A total alone: no stale item beside it.
        assert_eq!(cost_of(json!({"cost": 0.5})), (Some(0.5), vec![]));
        // Items alone: no stale total (nor breakdown) beside them.
        assert_eq!(
            cost_of(json!({"costs": [{"type": "voice", "cost": 0.3}]})),
            (None, vec![("tts".to_owned(), 0.3)])
        );
        // A breakdown alone: its own total, not the stale `cost`.
        assert_eq!(
            cost_of(json!({"costBreakdown": {"stt": 0.1, "total": 0.1}})),
            (Some(0.1), vec![("stt".to_owned(), 0.1)])
        );
        // None of them: the call's stand.
        assert_eq!(
            cost_of(json!({})),
            (
                Some(0.2),
                vec![("transport".to_owned(), 0.05), ("llm".to_owned(), 0.15)]
            )
        );
    }

    #[test]
    fn end_of_call_report_without_reason_is_completed() {
        let event = parse(json!({"message": {"type": "end-of-call-report", "call": {"id": "c1"}}}))
            .unwrap();
        let EventKind::Ended { call, .. } = event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.end_reason, None);
    }

    #[test]
    fn status_update_uses_the_message_status() {
        let event = parse(json!({"message": {
            "type": "status-update", "status": "ended", "endedReason": "silence-timed-out",
            "call": {"id": "c1", "status": "in-progress"}
        }}))
        .unwrap();
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c1"));
        let EventKind::StatusChanged {
            status,
            vendor_status,
            call,
            ..
        } = event.kind
        else {
            panic!("{event:?}")
        };
        assert_eq!(status, CallStatus::Completed);
        assert_eq!(vendor_status.as_deref(), Some("ended"));
        let call = call.unwrap();
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(
            call.end_reason.unwrap().category,
            EndReasonCategory::Silence
        );

        // Without its call, the message's own start time says whether a canceled call had
        // started: ended after it started, it completed, as its report will say.
        let canceled = |started: Option<&str>| {
            let mut message = json!({"type": "status-update", "status": "ended",
                "endedReason": "manually-canceled"});
            if let Some(at) = started {
                message["startedAt"] = json!(at);
            }
            parse(json!({ "message": message })).unwrap().status()
        };
        assert_eq!(canceled(None), Some(CallStatus::Canceled));
        let started = Some("2026-03-16T15:02:11Z");
        assert_eq!(canceled(started), Some(CallStatus::Completed));

        // Forwarding is live: the call ends later, with its outcome.
        let event = parse(json!({"message": {"type": "status-update", "status": "forwarding", "call": {"id": "c1"}}}))
            .unwrap();
        assert!(
            matches!(
                &event.kind,
                EventKind::StatusChanged {
                    status: CallStatus::InProgress,
                    vendor_status: Some(vendor),
                    ..
                } if vendor == "forwarding"
            ),
            "{event:?}"
        );
    }

    /// Two forwardings of one call (to A, then to B) are two events for the receiver's
    /// de-duplication: a status update's destination is its `distinct_by`, in a canonical
    /// form, with the count of messages it carries; a redelivery has the same.
    #[test]
    fn a_forwarding_status_update_is_told_apart_by_its_destination() {
        let forwarding = |destination: serde_json::Value| {
            let message = json!({"message": {"type": "status-update", "status": "forwarding",
                "destination": destination, "call": {"id": "c1"}}});
            parse(message).unwrap().distinct_by
        };
        let to_a = forwarding(json!({"type": "number", "number": "+16175550199"}));
        let reordered = forwarding(json!({"number": "+16175550199", "type": "number"}));
        let to_b = forwarding(json!({"type": "sip", "sipUri": "sip:desk@example.com"}));
        assert_eq!(to_a, reordered);
        assert_ne!(to_a, to_b);
        assert_eq!(
            to_a.as_deref(),
            Some(r#"{"number":"+16175550199","type":"number"}"#)
        );
        // Read part by part (a sender that puts `call` beside the message) it is the same.
        let beside = parse(
            json!({"message": {"type": "status-update", "status": "forwarding",
            "destination": {"type": "number", "number": "+16175550199"}}, "call": {"id": "c1"}}),
        )
        .unwrap();
        assert_eq!(beside.distinct_by, to_a);
        // A second forward to the same number, later in the conversation, is another
        // event; the same update delivered again is not.
        let later = |messages: usize| {
            let messages: Vec<_> = (0..messages)
                .map(|i| json!({"role": "user", "message": format!("m{i}"), "time": i}))
                .collect();
            parse(
                json!({"message": {"type": "status-update", "status": "forwarding",
                "destination": {"type": "number", "number": "+16175550199"},
                "messages": messages, "call": {"id": "c1"}}}),
            )
            .unwrap()
            .distinct_by
        };
        assert_ne!(later(3), later(9));
        assert_eq!(later(3), later(3));
        assert_eq!(
            later(3).as_deref(),
            Some(r#"{"number":"+16175550199","type":"number"} after 3 messages"#)
        );
        // Without a destination, how far the conversation had got still tells two
        // forwardings (or a call back in progress after a failed one) apart.
        let no_destination = |status: &str, messages: usize| {
            let messages: Vec<_> = (0..messages)
                .map(|i| json!({"role": "bot", "message": format!("m{i}"), "time": i}))
                .collect();
            parse(
                json!({"message": {"type": "status-update", "status": status,
                "messages": messages, "call": {"id": "c1"}}}),
            )
            .unwrap()
            .distinct_by
        };
        assert_ne!(
            no_destination("forwarding", 3),
            no_destination("forwarding", 9)
        );
        assert_eq!(
            no_destination("forwarding", 3),
            no_destination("forwarding", 3)
        );
        assert_ne!(
            no_destination("in-progress", 0),
            no_destination("in-progress", 5)
        );
        assert_eq!(
            no_destination("forwarding", 3).as_deref(),
            Some("after 3 messages")
        );
        // With neither, and for a report, there is none.
        assert_eq!(forwarding(serde_json::Value::Null), None);
        assert_eq!(no_destination("forwarding", 0), None);
        let report = parse(json!({"message": {"type": "end-of-call-report",
            "endedReason": "assistant-forwarded-call", "destination": {"number": "+16175550199"},
            "call": {"id": "c1"}}}))
        .unwrap();
        assert_eq!(report.distinct_by, None);
    }

    /// A report whose recordings are only the pre-signed copies keeps the expiry Vapi
    /// states for them; a lasting URL, in the report or on the call, is used before them.
    #[test]
    fn a_report_s_presigned_recordings_keep_their_stated_expiry() {
        let recording = |message: serde_json::Value| match parse(message).unwrap().kind {
            EventKind::Ended { call, .. } => call.recording.expect("a recording"),
            other => panic!("{other:?}"),
        };
        let presigned = json!({"presignedMonoUrl": "https://storage.vapi.ai/c1-mono.wav?token=t",
            "presignedUrlsExpiresAt": "2026-04-07T15:31:53.322Z"});
        let only_presigned = recording(json!({"message": {"type": "end-of-call-report",
            "artifact": presigned.clone(), "call": {"id": "c1"}}}));
        assert_eq!(
            only_presigned.mono_url.as_deref(),
            Some("https://storage.vapi.ai/c1-mono.wav?token=t")
        );
        assert_eq!(
            only_presigned
                .expires_at
                .map(|at| at.to_rfc3339())
                .as_deref(),
            Some("2026-04-07T15:31:53.322+00:00")
        );
        let lasting = "https://storage.vapi.ai/c1-mono-lasting.wav";
        let on_the_call = recording(json!({"message": {"type": "end-of-call-report",
            "artifact": presigned, "call": {"id": "c1", "artifact": {"recordingUrl": lasting}}}}));
        assert_eq!(on_the_call.mono_url.as_deref(), Some(lasting));
        assert_eq!(on_the_call.expires_at, None);
    }

    /// The call of a forwarding status update, and of a forwarded call's report, says
    /// where it went: the message's destination, laid over the call's.
    #[test]
    fn the_message_s_destination_is_where_the_call_went() {
        let transfer_destination = |message: serde_json::Value| match parse(message).unwrap().kind {
            EventKind::StatusChanged { call, .. } => call.and_then(|c| c.transfer_destination),
            EventKind::Ended { call, .. } => call.transfer_destination,
            other => panic!("{other:?}"),
        };
        let forwarding = json!({"message": {"type": "status-update", "status": "forwarding",
            "destination": {"type": "number", "number": "+16175550199"},
            "call": {"id": "c1", "destination": {"type": "number", "number": "+1"}}}});
        assert_eq!(
            transfer_destination(forwarding).as_deref(),
            Some("+16175550199")
        );
        let report = json!({"message": {"type": "end-of-call-report",
            "endedReason": "assistant-forwarded-call",
            "destination": {"type": "sip", "sipUri": "sip:desk@example.com"},
            "call": {"id": "c1"}}});
        assert_eq!(
            transfer_destination(report).as_deref(),
            Some("sip:desk@example.com")
        );
        // A report naming none, or one it cannot read, keeps the call's; the one it cannot
        // read is warned of at its own path.
        let call = json!({"id": "c1", "destination": {"type": "number", "number": "+16175550100"}});
        let kept = json!({"message": {"type": "end-of-call-report", "endedReason": "assistant-forwarded-call",
            "call": call}});
        assert_eq!(transfer_destination(kept).as_deref(), Some("+16175550100"));
        for unread in [
            json!({}),
            json!({"type": "assistant", "assistantName": "Billing"}),
            json!(7),
        ] {
            let message = json!({"message": {"type": "end-of-call-report", "endedReason": "assistant-forwarded-call",
                "destination": unread, "call": call}});
            let EventKind::Ended { call: ended, .. } = parse(message).unwrap().kind else {
                panic!("not an end")
            };
            assert_eq!(
                ended.transfer_destination.as_deref(),
                Some("+16175550100"),
                "{unread}"
            );
            let warned: Vec<&str> = ended.warnings.iter().map(|w| w.field.as_str()).collect();
            let expected: &[&str] = if unread.is_number() {
                &["message.destination"]
            } else {
                &[]
            };
            assert_eq!(warned, expected, "{unread}");
        }
    }

    #[test]
    fn a_stale_call_status_never_wins() {
        // The call says `ringing`; the message says `ended`.
        let event = parse(json!({"message": {
            "type": "status-update", "status": "ended", "endedReason": "customer-ended-call",
            "call": {"id": "c1", "status": "ringing"}
        }}))
        .unwrap();
        assert_eq!(event.status(), Some(CallStatus::Completed));
        let call = event.call().unwrap();
        assert_eq!(call.vendor_status.as_deref(), Some("ended"));
        assert_eq!(
            call.end_reason.as_ref().unwrap().category,
            EndReasonCategory::CustomerHungUp
        );
        // An end-of-call report is `ended` whatever its call says.
        let event = parse(
            json!({"message": {"type": "end-of-call-report", "endedReason": "voicemail",
            "call": {"id": "c1", "status": "queued"}}}),
        )
        .unwrap();
        assert_eq!(event.status(), Some(CallStatus::Voicemail));
        assert_eq!(
            event.call().unwrap().vendor_status.as_deref(),
            Some("ended")
        );
        // Without a status of its own, a status-update reads the call's, and says so.
        let event = parse(json!({"message": {"type": "status-update", "call": {"id": "c1", "status": "ringing"}}}))
            .unwrap();
        assert!(
            matches!(&event.kind, EventKind::StatusChanged { status: CallStatus::Ringing,
                vendor_status: Some(v), .. } if v == "ringing"),
            "{event:?}"
        );
    }

    #[test]
    fn the_report_carries_the_results_at_the_message_level() {
        let event = parse(json!({"message": {
            "type": "end-of-call-report",
            "timestamp": 1.7739408323725E12,
            "endedReason": "customer-ended-call",
            "transcript": "AI: Hello\nUser: Hi",
            "messages": [{"role": "bot", "message": "Hello", "time": 1773940809120.5,
                          "endTime": 1773940810620.5, "secondsFromStart": 0.5},
                         {"role": "user", "message": "Hi", "secondsFromStart": 2.1}],
            "recordingUrl": "https://r/mono.wav",
            "stereoRecordingUrl": "https://r/stereo.wav",
            "summary": "Said hello.",
            "durationSeconds": 12.5,
            "durationMs": 12500,
            "phoneNumber": {"number": "+15125550100"},
            "customer": {"number": "+15125550173", "name": "Dana Whitfield"},
            "call": {"id": "c1", "type": "outboundPhoneCall", "status": "queued",
                     "createdAt": "2026-03-19T17:20:00Z"}
        }}))
        .unwrap();
        assert_eq!(event.vendor_event, "end-of-call-report");
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c1"));
        assert_eq!(
            event.occurred_at.unwrap().to_rfc3339(),
            "2026-03-19T17:20:32.372500+00:00"
        );
        let call = event.call().unwrap();
        let transcript = call.transcript.as_ref().unwrap();
        assert_eq!(transcript.text.as_deref(), Some("AI: Hello\nUser: Hi"));
        assert_eq!(transcript.utterances.len(), 2);
        assert_eq!(transcript.utterances[0].end_secs, Some(2.0));
        let recording = call.recording.as_ref().unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some("https://r/mono.wav"));
        assert_eq!(
            recording.stereo_url.as_deref(),
            Some("https://r/stereo.wav")
        );
        assert_eq!(call.analysis.summary.as_deref(), Some("Said hello."));
        assert_eq!(call.duration_secs, Some(12.5), "no startedAt/endedAt");
        assert_eq!(
            call.from.as_deref(),
            Some("+15125550100"),
            "the assistant's number"
        );
        assert_eq!(call.to.as_deref(), Some("+15125550173"));
        assert_eq!(call.customer_name.as_deref(), Some("Dana Whitfield"));
        assert!(
            call.vendor_payload()
                .unwrap()
                .get()
                .contains("durationSeconds")
        );

        // The report's `artifact` (read first), down to its OpenAI-formatted copy and its
        // `recording` object when it has nothing else.
        let event = parse(json!({"message": {
            "type": "end-of-call-report",
            "artifact": {"messagesOpenAIFormatted": [{"role": "assistant", "content": "Hello"}],
                         "recording": {"stereoUrl": "https://r/s.wav",
                                       "mono": {"combinedUrl": "https://r/m.wav"}}},
            "durationMs": 4200,
            "call": {"id": "c1", "messages": [{"role": "user", "message": "stale"}]}
        }}))
        .unwrap();
        let call = event.call().unwrap();
        let utterances = &call.transcript.as_ref().unwrap().utterances;
        assert_eq!(
            utterances.len(),
            1,
            "the report's conversation replaces the call's"
        );
        assert_eq!(utterances[0].speaker, Speaker::Agent);
        assert_eq!(utterances[0].text.as_deref(), Some("Hello"));
        let recording = call.recording.as_ref().unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some("https://r/m.wav"));
        assert_eq!(recording.stereo_url.as_deref(), Some("https://r/s.wav"));
        assert_eq!(call.duration_secs, Some(4.2));
    }

    #[test]
    fn calls_beside_the_message_without_an_id_or_missing() {
        // `call` beside `message`.
        let event = parse(
            json!({"message": {"type": "status-update", "status": "in-progress"},
                                 "call": {"id": "c2", "type": "inboundPhoneCall",
                                          "customer": {"number": "+15125550111"}}}),
        )
        .unwrap();
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c2"));
        assert_eq!(event.call().unwrap().from.as_deref(), Some("+15125550111"));
        // A `type` beside `message`.
        let event = parse(json!({"type": "hang", "message": {"call": {"id": "c3"}}})).unwrap();
        assert_eq!(event.vendor_event, "hang");
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c3"));
        // The message as the body.
        let event = parse(
            json!({"type": "end-of-call-report", "endedReason": "customer-busy",
                                 "call": {"id": "c4"}}),
        )
        .unwrap();
        assert_eq!(event.status(), Some(CallStatus::Busy));
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c4"));
        // A call without an id: an event without a call id, not a failure.
        let event = parse(
            json!({"message": {"type": "status-update", "status": "ringing",
                                 "call": {"phoneNumber": {"number": "+15125550100"}}}}),
        )
        .unwrap();
        assert_eq!(event.call_id, None);
        assert_eq!(event.status(), Some(CallStatus::Ringing));
        // No call at all: a report still describes its call; a status update has none.
        let event = parse(json!({"message": {"type": "end-of-call-report",
                                 "endedReason": "silence-timed-out"}}))
        .unwrap();
        assert_eq!(event.call_id, None);
        assert_eq!(
            event.call().unwrap().end_reason.as_ref().unwrap().category,
            EndReasonCategory::Silence
        );
        let event =
            parse(json!({"message": {"type": "status-update", "status": "queued"}})).unwrap();
        assert!(
            matches!(
                &event.kind,
                EventKind::StatusChanged {
                    status: CallStatus::Queued,
                    call: None,
                    ..
                }
            ),
            "{event:?}"
        );
    }

    #[test]
    fn unreadable_times_are_warnings_named_where_they_were() {
        let event = parse(json!({"message": {"type": "end-of-call-report",
            "startedAt": "2026-02-30T10:00:00Z",
            "call": {"id": "c1", "createdAt": "not a date", "startedAt": "2026-03-19T17:20:08Z"}}}))
        .unwrap();
        let call = event.call().unwrap();
        let fields: Vec<&str> = call.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["message.call.createdAt", "message.startedAt"]);
        assert_eq!(
            call.started_at, None,
            "the report's value wins, even unreadable"
        );
        // A blank value in the report is no value: the call's stands.
        let event = parse(
            json!({"message": {"type": "end-of-call-report", "endedAt": " ",
            "call": {"id": "c1", "endedAt": "2026-03-19T17:20:28Z"}}}),
        )
        .unwrap();
        let call = event.call().unwrap();
        assert!(call.ended_at.is_some());
        assert!(call.warnings.is_empty());
    }

    #[test]
    fn impossible_values_are_warnings_named_where_they_were() {
        let event = parse(json!({"message": {"type": "end-of-call-report",
            "startedAt": "2026-03-19T17:20:28Z", "endedAt": "2026-03-19T17:20:08Z",
            "cost": -0.5, "costBreakdown": {"llm": -0.1, "tts": 0.2},
            "costs": [{"type": "model", "cost": -1}],
            "call": {"id": " ", "orgId": "", "durationMs": -4, "cost": 0.3}}}))
        .unwrap();
        // A blank id names no call: the event has none, the call keeps it with a warning.
        assert_eq!(event.call_id, None);
        let call = event.call().unwrap();
        assert_eq!(call.id.as_str(), " ");
        assert_eq!(call.ended_at, None);
        assert_eq!(call.duration_secs, None);
        // The report's (impossible) cost replaced the call's, and is dropped.
        let cost = call.cost.as_ref().unwrap();
        assert_eq!((cost.total, cost.breakdown.len()), (None, 1));
        let fields: Vec<&str> = call.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "message.call.orgId",
                "message.call.durationMs",
                "message.cost",
                "message.costBreakdown.llm",
                "message.costs[0].cost",
                "message.call.id",
                "message.endedAt",
            ]
        );
    }

    #[test]
    fn every_type_keeps_its_name_and_the_listed_ones_parse() {
        let call = json!({"id": "c1"});
        let kind_of = |message: serde_json::Value| {
            let mut message = message;
            message["call"] = call.clone();
            let event = parse(json!({ "message": message })).unwrap();
            assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c1"));
            event
        };
        // Tool calls: arguments as text or as an object, both as JSON text.
        let event = kind_of(json!({"type": "tool-calls", "toolCallList": [
            {"id": "call_a", "type": "function", "function": {"name": "lookup", "arguments": "{\"n\":1}"}},
            {"id": "call_b", "type": "function", "function": {"name": "book", "arguments": {"n": 2}}}
        ]}));
        let EventKind::TranscriptUpdate { utterance, .. } = &event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(utterance.speaker, Speaker::Tool);
        let args: Vec<_> = utterance
            .tool_calls
            .iter()
            .map(|c| c.arguments.as_deref())
            .collect();
        assert_eq!(args, [Some("{\"n\":1}"), Some("{\"n\":2}")]);
        assert_eq!(utterance.tool_calls[1].id.as_deref(), Some("call_b"));
        // The flat shape of Vapi's server-events page: `name` and `parameters`.
        let event = kind_of(json!({"type": "tool-calls", "toolCallList": [
            {"id": "abc123", "name": "sendEmail", "parameters": {"emailAddress": "john@example.com"}}
        ]}));
        let EventKind::TranscriptUpdate { utterance, .. } = &event.kind else {
            panic!("{event:?}")
        };
        let flat = &utterance.tool_calls[0];
        assert_eq!(flat.name.as_deref(), Some("sendEmail"));
        assert_eq!(
            flat.arguments.as_deref(),
            Some(r#"{"emailAddress":"john@example.com"}"#)
        );
        // And of its custom-tools page: `name` and `arguments`.
        let event = kind_of(json!({"type": "tool-calls", "toolCallList": [
            {"id": "toolu_01", "name": "get_weather", "arguments": {"location": "San Francisco"}}
        ]}));
        let EventKind::TranscriptUpdate { utterance, .. } = &event.kind else {
            panic!("{event:?}")
        };
        let flat = &utterance.tool_calls[0];
        assert_eq!(flat.name.as_deref(), Some("get_weather"));
        assert_eq!(
            flat.arguments.as_deref(),
            Some(r#"{"location":"San Francisco"}"#)
        );
        // The older function call.
        let event = kind_of(json!({"type": "function-call",
            "functionCall": {"name": "lookup", "parameters": {"order": "442056"}}}));
        let EventKind::TranscriptUpdate { utterance, .. } = &event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(utterance.tool_calls[0].name.as_deref(), Some("lookup"));
        assert_eq!(
            utterance.tool_calls[0].arguments.as_deref(),
            Some("{\"order\":\"442056\"}")
        );
        // Conversation updates: the newest message, new form or old.
        for message in [
            json!({"type": "conversation-update",
                   "messages": [{"role": "bot", "message": "Hi"}, {"role": "user", "message": "Yes"}],
                   "messagesOpenAIFormatted": [{"role": "assistant", "content": "Hi"}]}),
            json!({"type": "conversation-update",
                   "conversation": [{"role": "assistant", "content": "Hi"}, {"role": "user", "content": "Yes"}]}),
        ] {
            let event = kind_of(message);
            let EventKind::TranscriptUpdate { utterance, .. } = &event.kind else {
                panic!("{event:?}")
            };
            assert_eq!(utterance.speaker, Speaker::Customer);
            assert_eq!(utterance.text.as_deref(), Some("Yes"));
        }
        // Kept whole, under their own name.
        for vendor_event in [
            "speech-update",
            "hang",
            "assistant-request",
            "transfer-destination-request",
            "knowledge-base-request",
            "handoff-destination-request",
            "user-interrupted",
            "some-type-from-2027",
        ] {
            let event = kind_of(json!({"type": vendor_event}));
            assert_eq!(event.vendor_event, vendor_event);
            assert!(matches!(event.kind, EventKind::Other { .. }), "{event:?}");
        }
        // Vapi waits for an answer to its requests, and to nothing else.
        for (vendor_event, expects_reply) in [
            ("assistant-request", true),
            ("transfer-destination-request", true),
            ("knowledge-base-request", true),
            ("handoff-destination-request", true),
            ("call.endpointing.request", true),
            ("campaign.predial", true),
            ("voice-request", false),
            ("speech-update", false),
            ("end-of-call-report", false),
            ("some-type-from-2027", false),
        ] {
            let event = kind_of(json!({"type": vendor_event, "call": {"id": "c"}}));
            assert_eq!(event.expects_reply, expects_reply, "{vendor_event}");
        }
        // An empty tool list or conversation has nothing to say: kept whole too. The tool
        // calls still wait for their (empty) answer.
        for (message, expects_reply) in [
            (json!({"type": "tool-calls", "toolCallList": []}), true),
            (
                json!({"type": "conversation-update", "messages": []}),
                false,
            ),
            (json!({"type": "function-call"}), false),
        ] {
            let event = kind_of(message);
            assert!(matches!(event.kind, EventKind::Other { .. }));
            assert_eq!(event.expects_reply, expects_reply, "{event:?}");
        }
    }

    #[test]
    fn timestamps_in_any_form() {
        for (timestamp, expected) in [
            (
                json!(1773940832372u64),
                Some("2026-03-19T17:20:32.372+00:00"),
            ),
            (
                json!(1.773940832372E12),
                Some("2026-03-19T17:20:32.372+00:00"),
            ),
            (json!(1773940832), Some("2026-03-19T17:20:32+00:00")),
            (
                json!("2026-03-19T17:20:32.372Z"),
                Some("2026-03-19T17:20:32.372+00:00"),
            ),
            (json!("yesterday"), None),
            (json!(true), None),
        ] {
            let event =
                parse(json!({"message": {"type": "hang", "timestamp": timestamp}})).unwrap();
            assert_eq!(
                event.occurred_at.map(|t| t.to_rfc3339()).as_deref(),
                expected,
                "{timestamp}"
            );
        }
    }

    #[test]
    fn transcripts_final_partial_and_legacy_type() {
        let event = parse(
            json!({"message": {"type": "transcript", "role": "assistant", "transcript": "Hi",
                                               "call": {"id": "c1"}}}),
        )
        .unwrap();
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c1"));
        let EventKind::TranscriptUpdate { utterance, .. } = event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(utterance.speaker, Speaker::Agent);
        assert_eq!(utterance.text.as_deref(), Some("Hi"));

        let event = parse(
            json!({"message": {"type": "transcript[transcriptType=\"final\"]", "role": "user",
                                               "transcript": "Yes"}}),
        )
        .unwrap();
        assert!(
            event.call_id.is_none()
                && matches!(&event.kind, EventKind::TranscriptUpdate { utterance, .. } if utterance.speaker == Speaker::Customer),
            "{event:?}"
        );

        let event = parse(
            json!({"message": {"type": "transcript", "transcriptType": "partial", "role": "user",
                                               "transcript": "Ye", "call": {"id": "c1"}}}),
        )
        .unwrap();
        assert!(
            event.vendor_event == "transcript"
                && event.call_id.as_ref().is_some_and(|id| id.as_str() == "c1")
                && matches!(&event.kind, EventKind::Other { .. }),
            "{event:?}"
        );
    }

    #[test]
    fn other_types_are_kept_whole() {
        let body = br#"{"message": {"type": "tool-calls", "call": "not an object"}}"#;
        let event = decode_webhook(body).unwrap();
        assert_eq!(event.vendor_event, "tool-calls");
        assert_eq!(event.call_id, None);
        let EventKind::Other { payload, .. } = event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(payload.get().as_bytes(), body);
    }

    /// The event of `body` read part by part (what a delivery the one pass does not take
    /// gets).
    fn part_by_part_event(body: &[u8]) -> Result<CallEvent> {
        let whole: &RawValue = decode_json(KIND, OP, body)?;
        let parsed = part_by_part(KIND, whole, body)?;
        event_of(KIND, parsed, Whole::Raw(whole))
    }

    #[test]
    fn one_pass_and_part_by_part_read_every_fixture_alike() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/voicebot");
        // The fixtures are the workspace's: a packaged crate has none to read.
        if !std::path::Path::new(dir).is_dir() {
            return;
        }
        let mut read = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("webhook_") {
                continue;
            }
            let text = std::fs::read(&path).unwrap();
            // As sent, and re-serialized with its keys sorted (`type` after most of them).
            let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
            for body in [text.clone(), serde_json::to_vec(&value).unwrap()] {
                let enveloped = value.get("message").is_some_and(|m| m.is_object());
                let one_pass = std::str::from_utf8(&body).ok().and_then(in_one_pass);
                assert_eq!(one_pass.is_some(), enveloped, "{name}");
                assert_eq!(
                    decode_webhook(&body).unwrap(),
                    part_by_part_event(&body).unwrap(),
                    "{name}"
                );
            }
            read += 1;
        }
        assert!(read > 20, "{read} webhook fixtures");
    }

    #[test]
    fn a_field_another_type_would_refuse_does_not_fail_a_delivery() {
        // Each decodes in one pass only as part by part, which reads no such field.
        for (message, kind) in [
            (json!({"type": "hang", "cost": "x", "role": []}), "Other"),
            (
                json!({"type": "transcript", "role": "user", "transcript": "Hi", "artifact": 5}),
                "TranscriptUpdate",
            ),
            (
                json!({"type": "tool-calls", "status": {"code": 7}, "toolCallList": [{"id": "t1"}]}),
                "TranscriptUpdate",
            ),
            (
                json!({"type": "speech-update", "call": "not an object", "role": []}),
                "Other",
            ),
        ] {
            let body = serde_json::to_vec(&json!({ "message": message })).unwrap();
            assert!(in_one_pass(std::str::from_utf8(&body).unwrap()).is_none());
            let event = decode_webhook(&body).unwrap();
            assert!(format!("{:?}", event.kind).starts_with(kind), "{event:?}");
            assert_eq!(event, part_by_part_event(&body).unwrap());
        }
        // Invalid UTF-8 in a field nobody reads still fails, as JSON that is not UTF-8.
        let mut body = br#"{"message": {"type": "transcript", "x": "?"}}"#.to_vec();
        let at = body.len() - 4;
        body[at] = 0xff;
        assert!(decode_webhook(&body).is_err());
        body.retain(|b| *b != 0xff);
        assert!(decode_webhook(&body).is_ok());
    }

    #[test]
    fn a_status_or_role_sent_as_a_number_is_kept_not_refused() {
        // A vendor value of an unexpected JSON type is an unknown value, in the one pass
        // and part by part alike; it does not fail the delivery.
        for (message, vendor_status) in [
            (
                json!({"type": "status-update", "status": 3, "call": {"id": "c1"}}),
                "3",
            ),
            (
                json!({"type": "status-update", "status": true, "call": {"id": "c1"}}),
                "true",
            ),
        ] {
            let body = serde_json::to_vec(&json!({ "message": message })).unwrap();
            assert!(in_one_pass(std::str::from_utf8(&body).unwrap()).is_some());
            let event = decode_webhook(&body).unwrap();
            assert_eq!(event.status(), Some(CallStatus::Unknown), "{event:?}");
            let EventKind::StatusChanged {
                vendor_status: Some(text),
                ..
            } = &event.kind
            else {
                panic!("{event:?}")
            };
            assert_eq!(text, vendor_status);
            assert_eq!(event, part_by_part_event(&body).unwrap());
        }
        let event =
            parse(json!({"message": {"type": "transcript", "role": 1, "transcript": "Hi"}}))
                .unwrap();
        let EventKind::TranscriptUpdate { utterance, .. } = &event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(utterance.speaker, Speaker::Other("1".into()));
    }

    /// An end-of-call report of call `c1` with `extra`'s fields in its message.
    fn report(extra: serde_json::Value) -> Result<CallEvent> {
        let mut message = json!({"type": "end-of-call-report", "call": {"id": "c1"}});
        for (key, value) in extra.as_object().unwrap() {
            message[key] = value.clone();
        }
        parse(json!({ "message": message }))
    }

    #[test]
    fn a_report_reads_its_openai_copy_only_when_it_has_no_other_conversation() {
        let openai = json!([{"role": "assistant", "content": "Hello"}]);
        let broken = json!([{"role": {}}]);
        let texts = |event: CallEvent| -> Vec<Option<String>> {
            let call = event.call().unwrap();
            let utterances = &call.transcript.as_ref().unwrap().utterances;
            utterances.iter().map(|u| u.text.clone()).collect()
        };
        // The copy is read when nothing comes before it.
        assert_eq!(
            texts(report(json!({"artifact": {"messagesOpenAIFormatted": openai}})).unwrap()),
            [Some("Hello".to_owned())]
        );
        assert_eq!(
            texts(
                report(json!({"artifact": {"messages": []}, "messagesOpenAIFormatted": openai}))
                    .unwrap()
            ),
            [Some("Hello".to_owned())]
        );
        // A broken copy that is not read does not fail the delivery…
        let event = report(json!({"messages": [{"role": "bot", "message": "Hi"}],
                                  "messagesOpenAIFormatted": broken}));
        assert_eq!(texts(event.unwrap()), [Some("Hi".to_owned())]);
        // …one that is read names its place.
        for (extra, path) in [
            (
                json!({"messagesOpenAIFormatted": broken}),
                "message.messagesOpenAIFormatted[0].role",
            ),
            (
                json!({"artifact": {"messagesOpenAIFormatted": broken}}),
                "message.artifact.messagesOpenAIFormatted[0].role",
            ),
            // The artifact's list is decoded with the report, used or not.
            (
                json!({"artifact": {"messages": broken}}),
                "message.artifact.messages[0].role",
            ),
        ] {
            let err = report(extra).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { path: p, .. } if p == path),
                "{path}: {err:?}"
            );
        }
    }

    #[test]
    fn a_report_reads_its_artifact_first_and_its_top_level_copies_only_when_needed() {
        let hello = json!([{"role": "bot", "message": "Hello"}]);
        let broken = json!([{"role": {}}]);
        // Where both say it, the artifact wins (the top level holds older senders' copies).
        let event = report(json!({
            "artifact": {"messages": hello, "transcript": "AI: Hello",
                         "recordingUrl": "https://r/artifact.wav",
                         "stereoRecordingUrl": "https://r/artifact-stereo.wav"},
            "analysis": {"summary": "From the analysis."},
            "messages": [{"role": "user", "message": "Top"}],
            "transcript": "User: Top",
            "recordingUrl": "https://r/top.wav",
            "stereoRecordingUrl": "https://r/top-stereo.wav",
            "summary": "From the top."
        }))
        .unwrap();
        let call = event.call().unwrap();
        let transcript = call.transcript.as_ref().unwrap();
        assert_eq!(transcript.text.as_deref(), Some("AI: Hello"));
        let texts: Vec<_> = transcript
            .utterances
            .iter()
            .map(|u| u.text.as_deref())
            .collect();
        assert_eq!(texts, [Some("Hello")]);
        let recording = call.recording.as_ref().unwrap();
        assert_eq!(
            recording.mono_url.as_deref(),
            Some("https://r/artifact.wav")
        );
        assert_eq!(
            recording.stereo_url.as_deref(),
            Some("https://r/artifact-stereo.wav")
        );
        assert_eq!(call.analysis.summary.as_deref(), Some("From the analysis."));
        // The top-level conversation is not decoded while the artifact's is used…
        let event = report(json!({"artifact": {"messages": hello}, "messages": broken}));
        let texts: Vec<_> = (event.unwrap().call().unwrap().transcript.as_ref().unwrap())
            .utterances
            .iter()
            .map(|u| u.text.clone())
            .collect();
        assert_eq!(texts, [Some("Hello".to_owned())]);
        // …and is read, its errors naming it, when the artifact's is empty or absent.
        let event = report(json!({"artifact": {"messages": []}, "messages": hello})).unwrap();
        assert_eq!(
            event
                .call()
                .unwrap()
                .transcript
                .as_ref()
                .unwrap()
                .utterances
                .len(),
            1
        );
        let err = report(json!({"artifact": {"messages": []}, "messages": broken})).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "message.messages[0].role"),
            "{err:?}"
        );
    }

    #[test]
    fn a_conversation_update_decodes_only_its_newest_message() {
        let update = |messages: serde_json::Value| {
            parse(
                json!({"message": {"type": "conversation-update", "messages": messages,
                                     "call": {"id": "c1"}}}),
            )
        };
        // The earlier messages were reported by the earlier updates: not decoded again.
        let event = update(json!([{"role": {}}, {"role": "bot", "message": 7},
                                  {"role": "user", "message": "Newest", "secondsFromStart": 3.5}]))
        .unwrap();
        let EventKind::TranscriptUpdate { utterance, .. } = &event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(utterance.text.as_deref(), Some("Newest"));
        assert_eq!(utterance.speaker, Speaker::Customer);
        assert_eq!(utterance.start_secs, Some(3.5));
        assert_eq!(event.call_id.as_ref().map(CallId::as_str), Some("c1"));
        // The newest one is, and its errors name its index.
        let err = update(json!([{"role": "bot", "message": "Hi"}, {"role": "user"},
                                {"role": "user", "message": 7}]))
        .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "message.messages[2].message"),
            "{err:?}"
        );
        // A list that is not a list is still an error.
        let err = update(json!({"role": "user"})).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "message.messages"),
            "{err:?}"
        );
    }

    #[test]
    fn a_conversation_update_reads_its_copies_when_messages_is_empty() {
        let event = parse(
            json!({"message": {"type": "conversation-update", "messages": [],
            "conversation": [{"role": "user", "content": "Old form"}],
            "messagesOpenAIFormatted": [{"role": {}}]}}),
        )
        .unwrap();
        let EventKind::TranscriptUpdate { utterance, .. } = &event.kind else {
            panic!("{event:?}")
        };
        assert_eq!(utterance.text.as_deref(), Some("Old form"));
        let err = parse(json!({"message": {"type": "conversation-update",
            "conversation": [], "messagesOpenAIFormatted": [{"role": {}}]}}))
        .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "message.messagesOpenAIFormatted[0].role"),
            "{err:?}"
        );
    }

    #[test]
    fn missing_parts_are_decode_errors_with_paths() {
        let path_of = |value: serde_json::Value| match parse(value) {
            Err(Error::Decode {
                path,
                operation: Operation::ParseWebhook,
                provider: KIND,
                ..
            }) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            path_of(json!({"message": {"call": {"id": "c"}}})),
            "message.type"
        );
        assert_eq!(path_of(json!({"other": 1})), "message.type");
        assert_eq!(path_of(json!({"message": null})), "message.type");
        assert_eq!(
            path_of(json!({"message": {"type": "status-update", "call": "c1"}})),
            "message.call"
        );
        assert_eq!(
            path_of(json!({"message": {"type": "status-update"}, "call": []})),
            "call"
        );
        assert_eq!(
            path_of(json!({"message": {"type": "tool-calls", "toolCallList": {}}})),
            "message.toolCallList"
        );
        assert_eq!(
            path_of(json!({"type": "end-of-call-report", "cost": "x"})),
            "cost"
        );
        assert_eq!(
            path_of(json!({"message": {"type": "status-update", "call": {"id": 5}}})),
            "message.call.id"
        );
        assert_eq!(
            path_of(
                json!({"message": {"type": "end-of-call-report", "call": {"id": "c"}, "cost": "x"}})
            ),
            "message.cost"
        );
        assert_eq!(path_of(json!({"message": 3})), "message");
    }
}
