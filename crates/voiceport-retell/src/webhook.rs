//! Retell webhook deliveries → [`CallEvent`].
//!
//! Every delivery is `{"event": "<type>", "call": { …the call… }}`; transfer events add a
//! top-level `transfer_destination` (an object, unlike the call's string field of the same
//! name) and `transfer_option`. What each event becomes:
//!
//! | `event` | [`EventKind`] | `occurred_at` |
//! | --- | --- | --- |
//! | `call_started` | `Started`, with the call (basic fields only) | the call's `start_timestamp` |
//! | `call_ended` | `Ended`, with the call (everything but `call_analysis`) | its `end_timestamp` |
//! | `call_analyzed` | `Ended`, with the call and its analysis | — |
//! | `transcript_updated` | `TranscriptUpdate`: the transcript's last spoken entry (agent, user or transfer target; a tool call or `node_transition` after it is passed over), with the whole call | — |
//! | `transfer_bridged` | `StatusChanged` to `Transferred`, with the call | — |
//! | `transfer_started`, `transfer_cancelled` | `StatusChanged` to the call's status (live: `InProgress`), with the call | — |
//! | `transfer_ended` | `StatusChanged` to the call's status, with the call | its `transfer_end_timestamp` |
//! | `call_inbound`, `chat_inbound` (the inbound webhook) | `Other`, the body verbatim, with [`CallEvent::expects_reply`]: Retell waits for the agent and variables to use | — |
//! | `chat_started`, `chat_ended`, `chat_analyzed`, any other | `Other`, the body verbatim | — |
//!
//! A known event whose `call` is missing, not an object or without a `call_id` (or with a
//! blank one) is `Other` too (its call id taken from the call when it has one). A body
//! without an `event` is an [`Error::Decode`] at `event`; so is, at its path
//! (`call.duration_ms` …), a malformed call in an event that reads it (the call of an
//! `Other` event is not decoded: only its `call_id` is read). Deliveries carry no time of their
//! own: `occurred_at` is the call's own time of the event, where it has one. A transfer
//! event's destination, with how many turns the transcript had reached (an ended leg's end
//! time, as it names no destination; where no turn counts, the whole call in a canonical
//! form), is
//! its [`CallEvent::distinct_by`], so that a receiver tells two transfers of one call
//! apart, as Retell advises, a second attempt to the same number too; a `call_analyzed`'s
//! is its analysis (in a canonical form), so that a re-run analysis is not taken for a
//! redelivery of the first. A transfer event's call keeps the whole delivery as its vendor
//! payload (the top-level `transfer_destination` and `transfer_option` are in no call),
//! its warnings named by their place in it (`call.duration_ms`).
//!
//! Signatures (`X-Retell-Signature`) are checked before this, by
//! `voiceport_core::webhook` (scheme `retell`, keyed with the API key).
//!
//! [`Error::Decode`]: voiceport_core::Error::Decode

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use serde_json::value::RawValue;
use voiceport_core::adapter::{
    AnyJson, canonical_json, canonical_raw, event_name, is_object, json_within_budget,
    keep_whole_delivery, non_blank, read_destination, read_epoch_millis, try_decode_call_with,
};
use voiceport_core::http::decode_json;
use voiceport_core::{
    Call, CallEvent, CallId, CallStatus, Error, EventKind, Operation, Result, Speaker, Utterance,
};

use crate::config::KIND;
use crate::map::call::map_call;
use crate::wire;

const OP: Operation = Operation::ParseWebhook;

/// The events Retell waits on for a JSON answer in the response's body (the others take
/// any 2xx): its inbound webhook's, whose answer names the agent, dynamic variables and
/// metadata under `call_inbound` (or `chat_inbound`).
const REQUEST_EVENTS: &[&str] = &["call_inbound", "chat_inbound"];

/// How long Retell waits for the inbound webhook's answer before it sends the delivery
/// again (up to three times): *inferred*, from what Retell documents of its other
/// webhooks' deliveries.
const INBOUND_LIMIT: Duration = Duration::from_secs(10);

/// The vendor's own limit on the wait for `event`'s answer ([`Codec::reply_limit`]).
///
/// [`Codec::reply_limit`]: voiceport_core::Codec::reply_limit
pub(crate) fn reply_limit(event: &CallEvent) -> Option<Duration> {
    // Every request Retell sends is the inbound webhook's ([`REQUEST_EVENTS`]).
    event.expects_reply.then_some(INBOUND_LIMIT)
}

/// The call of a `call_ended` or `call_analyzed` event whose `call_status` says it is live
/// (`registered`, `ongoing`): over all the same. A call saying `registered` beside an end
/// time and a `disconnection_reason` (as Retell's sample `call_ended` does, as we read it:
/// *unconfirmed*) the status table reads as ended wherever the call is read
/// (`map::status`); an end event's call is over
/// even without a reason, so it is read as `ended` here, and `vendor_status` still says
/// what Retell sent. The call keeps the whole delivery as its vendor payload, since its
/// own object, without a reason, would read as live again.
fn map_live_as_ended(mut wire: wire::Call<'_>) -> Result<Call> {
    let said = wire.call_status.replace(wire::CallStatus::Ended);
    let mut call = map_call(wire, OP, || "call")?;
    call.vendor_status = said.map(|status| status.as_str().to_owned());
    Ok(call)
}

/// Whether `call_status` is one of a call not over yet.
fn is_live(status: Option<&wire::CallStatus>) -> bool {
    matches!(
        status,
        Some(wire::CallStatus::Registered | wire::CallStatus::Ongoing)
    )
}

/// The family of events a delivery belongs to, for the events that read their call (any
/// other is `Other`, its call not decoded).
enum EventFamily {
    Started,
    Ended,
    Analyzed,
    Transcript,
    Transfer,
}

impl EventFamily {
    fn of(event: &str) -> Option<EventFamily> {
        Some(match event {
            "call_started" => EventFamily::Started,
            "call_ended" => EventFamily::Ended,
            "call_analyzed" => EventFamily::Analyzed,
            "transcript_updated" => EventFamily::Transcript,
            "transfer_started" | "transfer_bridged" | "transfer_cancelled" | "transfer_ended" => {
                EventFamily::Transfer
            }
            _ => return None,
        })
    }
}

/// Turns the body of a Retell webhook delivery into an event (module docs).
pub(crate) fn decode_webhook(body: &[u8]) -> Result<CallEvent> {
    let delivery: wire::Delivery<'_> = decode_json(KIND, OP, body)?;
    let event = event_name(KIND, OP, &[("event", delivery.event.as_ref())], body)?;
    let raw = delivery.call.filter(|raw| is_object(raw));
    let peek: wire::Peek<'_> = raw
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default();
    let call_id = match &peek.call_id {
        Some(AnyJson::Text(id)) => non_blank(id.as_ref()),
        _ => None,
    };
    let (Some(family), Some(raw), Some(_)) = (EventFamily::of(&event), raw, call_id) else {
        let mut parsed = other(event, body);
        parsed.call_id = call_id.map(CallId::new);
        return Ok(parsed);
    };
    let ends = matches!(family, EventFamily::Ended | EventFamily::Analyzed);
    let mut said_live = false;
    let mut call = try_decode_call_with(KIND, OP, raw, "call", |wire: wire::Call<'_>| {
        said_live = ends && is_live(wire.call_status.as_ref());
        match said_live {
            true => map_live_as_ended(wire),
            false => map_call(wire, OP, || "call"),
        }
    })?;
    // Its call alone would read as live again: the delivery says it is over.
    if said_live {
        keep_whole_delivery(&mut call, "call", body);
    }
    let mut occurred_at = None;
    let mut parsed = match family {
        EventFamily::Started => {
            occurred_at = call.started_at;
            CallEvent::new(event, EventKind::started(call))
        }
        EventFamily::Ended => {
            occurred_at = call.ended_at;
            CallEvent::new(event, EventKind::ended(call))
        }
        EventFamily::Analyzed => {
            let mut parsed = CallEvent::new(event, EventKind::ended(call));
            // Analysis can be run again (`rerun-call-analysis`): an event with another
            // analysis is another event, not a redelivery of the first. Compared in a
            // canonical form (keys sorted, no spaces), so that a redelivery serialized
            // afresh is still the same event.
            parsed.distinct_by = peek.call_analysis.map(canonical_raw);
            parsed
        }
        EventFamily::Transcript => transcript_updated(event, call, body),
        EventFamily::Transfer => {
            let destination = delivery.transfer_destination.as_ref();
            let end_timestamp = (peek.transfer_end_timestamp)
                .map(|raw| json_within_budget(raw.get()))
                .transpose()
                .map_err(|e| {
                    let path = "call.transfer_end_timestamp";
                    Error::decode(KIND, OP, path, e.to_string(), body)
                })?;
            let (parsed, at) =
                transfer_leg(event, call, destination, end_timestamp.as_ref(), raw, body);
            occurred_at = at;
            parsed
        }
    };
    parsed.occurred_at = occurred_at;
    Ok(parsed)
}

/// A transfer event (`transfer_started`, `_bridged`, `_cancelled`, `_ended`) of `call`,
/// decoded from `raw` (the delivery's `call`) in `body`, with the delivery's top-level
/// `transfer_destination` and the call's `transfer_end_timestamp`: the event, with what
/// tells this leg from another as its `distinct_by`, and when the leg ended (an ended
/// leg's end, else `None`).
fn transfer_leg(
    event: String,
    mut call: Call,
    destination: Option<&Value>,
    end_timestamp: Option<&Value>,
    raw: &RawValue,
    body: &[u8],
) -> (CallEvent, Option<DateTime<Utc>>) {
    // How far the conversation had got: a second attempt to the same destination
    // (after a cancelled one) comes later in the call, a redelivery does not.
    let turns = call.transcript.as_ref().map_or(0, |t| t.utterances.len());
    // The leg's end, read as every Retell time is (milliseconds as a number or a
    // string of digits, or ISO 8601; unreadable: a warning on the call).
    let leg_end = (event == "transfer_ended")
        .then_some(end_timestamp)
        .flatten();
    let occurred_at = read_epoch_millis(&mut call, "transfer_end_timestamp", leg_end);
    let leg_end = match (occurred_at, leg_end) {
        // The millisecond itself, so that `1773157389818` and `"1773157389818"`
        // are the same event.
        (Some(at), _) => Some(at.timestamp_millis().to_string()),
        (None, Some(Value::String(text))) if text.trim().is_empty() => None,
        // Unreadable, yet still what tells this leg from another.
        (None, end) => end.map(canonical_json),
    };
    // The delivery says more than its call (`transfer_destination`,
    // `transfer_option` at the top): the call keeps all of it.
    keep_whole_delivery(&mut call, "call", body);
    // This transfer's destination (an object at the top), over the call's; read
    // after the call's warnings moved under `call.`, so that its own is at the top.
    if let Some(destination) = destination {
        let to = read_destination(&mut call, "transfer_destination", destination);
        call.transfer_destination = to.or(call.transfer_destination.take());
    }
    let mut parsed = transfer(event, call);
    // Retell's advice: a transfer event is identified by the call and where it
    // transfers to (a call can be transferred more than once), with how far the
    // transcript had got; an ended leg, which names no destination, by when it
    // ended. Where no turn counts, by the whole call (in a canonical form): two
    // legs of one call differ in it, a redelivery does not.
    parsed.distinct_by = Some(match (leg_end, destination) {
        (Some(end), _) => end,
        (None, Some(destination)) => {
            let destination = canonical_json(destination);
            match turns {
                // No turn to count (a call with only its plain `transcript`, or
                // none yet): the whole call, which a later attempt has moved on.
                0 => format!("{destination} of {}", canonical_raw(raw)),
                _ => format!("{destination} after {turns} turns"),
            }
        }
        (None, None) => canonical_raw(raw),
    });
    (parsed, occurred_at)
}

/// The newest spoken entry of the transcript the delivery carries, with the call.
///
/// Retell sends `transcript_updated` at every turn change (and once more at the end) with
/// the whole call and its `transcript_with_tool_calls` so far, not the change alone. Its
/// last entry is often not speech: a tool invocation or result, a `node_transition`, a
/// `dtmf` key, an `sms`. The event's utterance is the last entry someone said: the agent's,
/// the user's or the transfer target's (in a warm transfer). The call goes with it, its
/// transcript whole: a turn may hold several entries (the agent, a tool, the agent again),
/// and Retell's advice is to keep the latest. A delivery whose transcript has no spoken
/// entry (or none at all) is kept whole.
fn transcript_updated(event: String, call: Call, body: &[u8]) -> CallEvent {
    let transcript = call.transcript.as_ref();
    let last = transcript.and_then(|t| t.utterances.iter().rev().find(|u| spoken(u)));
    match last.cloned() {
        Some(utterance) => {
            let call = Some(Box::new(call));
            CallEvent::new(event, EventKind::transcript_update(utterance, call))
        }
        None => {
            let mut parsed = other(event, body);
            parsed.call_id = Some(call.id);
            parsed
        }
    }
}

/// Whether an utterance was said by someone on the call: the agent, the user (customer)
/// or a transfer target (the only `Other` speaker that speaks, see `map::call`).
fn spoken(utterance: &Utterance) -> bool {
    match &utterance.speaker {
        Speaker::Agent | Speaker::Customer => true,
        Speaker::Other(role) => role == "transfer_target",
        _ => false,
    }
}

/// A transfer's progress. Bridged: the agent has handed the call over, so `Transferred`
/// (the line may still be up between the customer and the transfer target). Otherwise the
/// call's own status: live (`InProgress`) while the agent is on it.
fn transfer(event: String, call: Call) -> CallEvent {
    let status = match event.as_str() {
        "transfer_bridged" => CallStatus::Transferred,
        _ => call.status,
    };
    let kind = EventKind::status_changed(status, call.vendor_status.clone(), Some(Box::new(call)));
    CallEvent::new(event, kind)
}

/// An event voiceport does not model, kept whole: its name and the body, verbatim (a
/// [request](REQUEST_EVENTS) among them).
fn other(event: String, body: &[u8]) -> CallEvent {
    let expects_reply = REQUEST_EVENTS.contains(&event.as_str());
    let mut other = CallEvent::new(event, EventKind::kept_whole(body));
    other.expects_reply = expects_reply;
    other
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voiceport_core::Error;

    fn parse(value: Value) -> Result<CallEvent> {
        decode_webhook(value.to_string().as_bytes())
    }

    const ID: &str = "call_8d1e6f3a92c04b7e5a1f0c9d2b47";

    /// Retell's sample `call_ended` says `registered` (the sample's shape is in
    /// `fixtures/retell/webhook_call_ended_registered.json`): an end event's call is over,
    /// whatever live status it carries, and keeps its reason; the status Retell sent stays
    /// in `vendor_status`. Other events read the status as it is.
    #[test]
    fn an_end_event_whose_call_says_a_live_status_is_read_as_ended() {
        for (status, event) in [("registered", "call_ended"), ("ongoing", "call_analyzed")] {
            let call = json!({"call_id": ID, "call_status": status,
                              "start_timestamp": 1714608475945_i64,
                              "end_timestamp": 1714608491736_i64,
                              "disconnection_reason": "user_hangup"});
            let parsed = parse(json!({"event": event, "call": call})).unwrap();
            let call = parsed.call().unwrap();
            assert_eq!(call.status, CallStatus::Completed, "{status} in {event}");
            let reason = call.end_reason.as_ref().expect("the reason is kept");
            assert_eq!(reason.vendor.as_deref(), Some("user_hangup"));
            assert_eq!(call.vendor_status.as_deref(), Some(status));
        }
        // Not an end event: `registered` is still queued.
        let call = json!({"call_id": ID, "call_status": "registered"});
        let parsed = parse(json!({"event": "call_started", "call": call})).unwrap();
        assert_eq!(parsed.status(), Some(CallStatus::Queued));
        // An end event's own end statuses are read as they are.
        let call = json!({"call_id": ID, "call_status": "not_connected",
                          "disconnection_reason": "dial_busy"});
        let parsed = parse(json!({"event": "call_ended", "call": call})).unwrap();
        assert_eq!(parsed.status(), Some(CallStatus::Busy));
    }

    #[test]
    fn lifecycle_events_carry_the_call_and_its_time() {
        let call =
            json!({"call_id": ID, "call_status": "ongoing", "start_timestamp": 1773157327318_i64});
        let parsed = parse(json!({"event": "call_started", "call": call})).unwrap();
        assert_eq!(parsed.vendor_event, "call_started");
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        assert_eq!(parsed.status(), Some(CallStatus::InProgress));
        assert!(matches!(parsed.kind, EventKind::Started { .. }));
        assert_eq!(
            parsed.occurred_at,
            Some("2026-03-10T15:42:07.318Z".parse().unwrap())
        );

        let call = json!({"call_id": ID, "call_status": "ended", "disconnection_reason": "dial_busy",
                          "end_timestamp": 1773157389818_i64});
        let parsed = parse(json!({"event": "call_ended", "call": call})).unwrap();
        assert_eq!(parsed.status(), Some(CallStatus::Busy));
        assert_eq!(
            parsed.occurred_at,
            Some("2026-03-10T15:43:09.818Z".parse().unwrap())
        );
        match parsed.kind {
            EventKind::Ended { call, .. } => assert!(call.vendor_payload().is_some()),
            other => panic!("{other:?}"),
        }

        let call = json!({"call_id": ID, "call_status": "ended", "end_timestamp": 1773157389818_i64,
                          "call_analysis": {"call_summary": "Done.", "in_voicemail": true}});
        let parsed = parse(json!({"event": "call_analyzed", "call": call})).unwrap();
        assert_eq!(parsed.status(), Some(CallStatus::Voicemail));
        assert_eq!(parsed.occurred_at, None);
        assert_eq!(
            parsed.call().and_then(|c| c.analysis.summary.as_deref()),
            Some("Done.")
        );
    }

    #[test]
    fn transcript_updates_carry_the_newest_entry() {
        let call = json!({"call_id": ID, "call_status": "ongoing", "transcript_with_tool_calls": [
            {"role": "agent", "content": "Hello", "words": [{"word": "Hello", "start": 0.3, "end": 0.6}]},
            {"role": "user", "content": "Hi there", "words": [{"word": "Hi", "start": 1.1, "end": 1.3}]}
        ]});
        let parsed = parse(json!({"event": "transcript_updated", "call": call})).unwrap();
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        match parsed.kind {
            EventKind::TranscriptUpdate { utterance, .. } => {
                assert_eq!(utterance.speaker, Speaker::Customer);
                assert_eq!(utterance.text.as_deref(), Some("Hi there"));
                assert_eq!(utterance.start_secs, Some(1.1));
            }
            other => panic!("{other:?}"),
        }
        // The last entry is often not speech: the last spoken one is the update.
        let body = json!({"event": "transcript_updated", "call": {"call_id": "c1",
            "transcript_with_tool_calls": [
                {"role": "agent", "content": "Hi"},
                {"role": "node_transition", "new_node_name": "Booking"}]}});
        match parse(body).unwrap().kind {
            EventKind::TranscriptUpdate { utterance, .. } => {
                assert_eq!(utterance.speaker, Speaker::Agent);
                assert_eq!(utterance.text.as_deref(), Some("Hi"));
            }
            other => panic!("{other:?}"),
        }
        let body = json!({"event": "transcript_updated", "call": {"call_id": "c1",
            "transcript_with_tool_calls": [
                {"role": "user", "content": "Book me in"},
                {"role": "transfer_target", "content": "Front desk, hello?"},
                {"role": "tool_call_invocation", "tool_call_id": "t1", "name": "book"},
                {"role": "tool_call_result", "tool_call_id": "t1", "content": "ok"},
                {"role": "dtmf", "digit": "1"}]}});
        match parse(body).unwrap().kind {
            EventKind::TranscriptUpdate { utterance, .. } => {
                assert_eq!(utterance.speaker, Speaker::parse("transfer_target"));
                assert_eq!(utterance.text.as_deref(), Some("Front desk, hello?"));
            }
            other => panic!("{other:?}"),
        }
        // One turn, two spoken entries around a tool: the event's utterance is the
        // second, and its call's transcript has both (Retell's advice: keep the latest).
        let body = json!({"event": "transcript_updated", "call": {"call_id": "c1",
            "call_status": "ongoing", "transcript_with_tool_calls": [
                {"role": "user", "content": "Is Tuesday free?"},
                {"role": "agent", "content": "Let me check."},
                {"role": "tool_call_invocation", "tool_call_id": "t2", "name": "slots"},
                {"role": "tool_call_result", "tool_call_id": "t2", "content": "[\"10:00\"]"},
                {"role": "agent", "content": "Ten o'clock is free."}]}});
        let EventKind::TranscriptUpdate {
            utterance, call, ..
        } = parse(body).unwrap().kind
        else {
            panic!("not a transcript update")
        };
        assert_eq!(utterance.text.as_deref(), Some("Ten o'clock is free."));
        let call = call.expect("the call goes with the update");
        assert_eq!(call.status, CallStatus::InProgress);
        let said: Vec<_> = (call.transcript.iter())
            .flat_map(|t| &t.utterances)
            .filter_map(|u| u.text.as_deref())
            .collect();
        assert!(said.contains(&"Let me check."), "{said:?}");
        assert_eq!(said.last(), Some(&"Ten o'clock is free."));
        // Nothing spoken yet: kept whole, as an empty transcript is.
        let body = json!({"event": "transcript_updated", "call": {"call_id": "c1",
            "transcript_with_tool_calls": [
                {"role": "node_transition", "new_node_name": "Booking"}]}});
        let parsed = parse(body).unwrap();
        assert!(matches!(parsed.kind, EventKind::Other { .. }), "{parsed:?}");
        assert_eq!(parsed.call_id().map(CallId::as_str), Some("c1"));
        let empty = json!({"call_id": ID, "transcript_with_tool_calls": []});
        let parsed = parse(json!({"event": "transcript_updated", "call": empty})).unwrap();
        assert!(matches!(parsed.kind, EventKind::Other { .. }));
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
    }

    #[test]
    fn a_transfer_event_s_unreadable_destination_is_warned_of_where_it_is() {
        let body = json!({"event": "transfer_started", "transfer_destination": 5,
            "call": {"call_id": ID, "call_status": "ongoing", "transfer_destination": "+16175550199"}});
        let EventKind::StatusChanged {
            call: Some(call), ..
        } = parse(body).unwrap().kind
        else {
            panic!("not a status change")
        };
        // The call's own destination stands; the top-level one is warned of at the top.
        assert_eq!(call.transfer_destination.as_deref(), Some("+16175550199"));
        let warned: Vec<&str> = call.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(warned, ["transfer_destination"]);
    }

    #[test]
    fn transfer_events_are_status_changes() {
        let ongoing = json!({"call_id": ID, "call_status": "ongoing"});
        let status = |event: &str, call: &Value| {
            let body = json!({"event": event, "call": call,
                              "transfer_destination": {"number": "+16175550199"}});
            parse(body).unwrap()
        };
        for (event, expected) in [
            ("transfer_started", CallStatus::InProgress),
            ("transfer_bridged", CallStatus::Transferred),
            ("transfer_cancelled", CallStatus::InProgress),
            ("transfer_ended", CallStatus::InProgress),
        ] {
            let parsed = status(event, &ongoing);
            assert_eq!(parsed.status(), Some(expected), "{event}");
            match &parsed.kind {
                EventKind::StatusChanged {
                    vendor_status,
                    call,
                    ..
                } => {
                    assert_eq!(vendor_status.as_deref(), Some("ongoing"));
                    // The event's destination (an object at the top) is where it went.
                    let to = call
                        .as_ref()
                        .and_then(|c| c.transfer_destination.as_deref());
                    assert_eq!(to, Some("+16175550199"), "{event}");
                }
                other => panic!("{event}: {other:?}"),
            }
        }
        // Two transfers of one call differ by destination; a redelivery does not.
        let to = |number: &str| {
            let body = json!({"event": "transfer_started", "call": ongoing,
                              "transfer_destination": {"number": number}});
            parse(body).unwrap().distinct_by
        };
        assert_eq!(to("+16175550199"), to("+16175550199"));
        assert_ne!(to("+16175550199"), to("+16175550100"));
        assert!(
            to("+16175550199")
                .unwrap()
                .starts_with(r#"{"number":"+16175550199"} of {"#)
        );
        // With no turn to count (only the plain transcript), a second attempt to the same
        // number is told apart by the call, which has moved on; a redelivery is not.
        let plain = |transcript: &str| {
            let mut call = ongoing.clone();
            call["transcript"] = json!(transcript);
            let body = json!({"event": "transfer_started", "call": call,
                              "transfer_destination": {"number": "+16175550199"}});
            parse(body).unwrap().distinct_by
        };
        let (first, again) = (
            "Agent: Let me connect you.\n",
            "Agent: Let me connect you.\nUser: Still there?\nAgent: Trying again.\n",
        );
        assert_eq!(plain(first), plain(first));
        assert_ne!(plain(first), plain(again));
        // A second attempt to the same destination, later in the conversation (after a
        // cancelled one), is another event; a redelivery of either is not.
        let attempt = |turns: usize| {
            let mut call = ongoing.clone();
            call["transcript_object"] = (0..turns)
                .map(|i| json!({"role": if i % 2 == 0 { "agent" } else { "user" }, "content": format!("turn {i}"), "words": []}))
                .collect();
            let body = json!({"event": "transfer_started", "call": call,
                              "transfer_destination": {"number": "+16175550199"}});
            parse(body).unwrap().distinct_by
        };
        assert_eq!(attempt(4), attempt(4));
        assert_ne!(attempt(4), attempt(9));
        assert_eq!(
            attempt(4).as_deref(),
            Some(r#"{"number":"+16175550199"} after 4 turns"#)
        );
        let ended = json!({"call_id": ID, "call_status": "ended",
                           "disconnection_reason": "call_transfer",
                           "transfer_end_timestamp": 1773157389818_i64});
        let parsed = status("transfer_ended", &ended);
        assert_eq!(parsed.status(), Some(CallStatus::Transferred));
        // Two legs of one call ended at different times are two events.
        assert_eq!(parsed.distinct_by.as_deref(), Some("1773157389818"));
        let mut later = ended.clone();
        later["transfer_end_timestamp"] = json!(1773157489818_i64);
        let second = status("transfer_ended", &later);
        assert_ne!(second.distinct_by, parsed.distinct_by);
        assert_eq!(
            parsed.occurred_at,
            Some("2026-03-10T15:43:09.818Z".parse().unwrap())
        );
        // A string of digits is the same time (as every Retell time is read), and the same
        // event; ISO 8601 too.
        for end in [json!("1773157389818"), json!("2026-03-10T15:43:09.818Z")] {
            let mut spelled = ended.clone();
            spelled["transfer_end_timestamp"] = end.clone();
            let other = status("transfer_ended", &spelled);
            assert_eq!(other.occurred_at, parsed.occurred_at, "{end}");
            assert_eq!(other.distinct_by, parsed.distinct_by, "{end}");
            assert!(other.call().unwrap().warnings.is_empty(), "{end}");
        }
        // An unreadable one is a warning on the call (at its place in the delivery), and
        // still tells the leg apart; `null` is no end time.
        let mut odd = ended.clone();
        odd["transfer_end_timestamp"] = json!("soon");
        let odd = status("transfer_ended", &odd);
        assert_eq!(odd.occurred_at, None);
        assert_eq!(odd.distinct_by.as_deref(), Some(r#""soon""#));
        let fields: Vec<_> = odd
            .call()
            .unwrap()
            .warnings
            .iter()
            .map(|w| w.field.as_str())
            .collect();
        assert_eq!(fields, ["call.transfer_end_timestamp"]);
        let mut none = ended.clone();
        none["transfer_end_timestamp"] = json!(null);
        let none = status("transfer_ended", &none);
        assert_eq!(none.occurred_at, None);
        assert!(
            none.distinct_by
                .as_deref()
                .is_some_and(|key| key.starts_with(r#"{"number":"+16175550199"} of {"#)),
            "{:?}",
            none.distinct_by
        );
    }

    #[test]
    fn a_transfer_event_keeps_the_whole_delivery() {
        let body = json!({"event": "transfer_started",
            "call": {"call_id": ID, "call_status": "ongoing", "duration_ms": -5},
            "transfer_destination": {"number": "+16175550199", "extension": "12"},
            "transfer_option": {"type": "warm_transfer"}});
        for event in [
            "transfer_started",
            "transfer_bridged",
            "transfer_cancelled",
            "transfer_ended",
        ] {
            let mut body = body.clone();
            body["event"] = json!(event);
            let parsed = parse(body.clone()).unwrap();
            let call = parsed.call().unwrap();
            assert_eq!(call.vendor_payload().unwrap().to_value(), body, "{event}");
            // Its warnings name their place in the delivery.
            let fields: Vec<_> = call.warnings.iter().map(|w| w.field.as_str()).collect();
            assert_eq!(fields, ["call.duration_ms"], "{event}");
        }
        // Other events keep their call only.
        let parsed = parse(json!({"event": "call_ended", "call": {"call_id": ID}})).unwrap();
        let payload = parsed.call().unwrap().vendor_payload().unwrap().to_value();
        assert_eq!(payload, json!({"call_id": ID}));
    }

    #[test]
    fn two_ended_transfer_legs_without_an_end_time_are_two_events() {
        use voiceport_core::webhook::EventKey;
        let key = |body: &[u8]| EventKey::of("retell", &decode_webhook(body).unwrap(), body);
        // transfer_ended carries no destination; these legs carry no end time either.
        let leg = |turns: usize| {
            let transcript: Vec<Value> = (0..turns)
                .map(|i| json!({"role": "agent", "content": format!("turn {i}"), "words": []}))
                .collect();
            json!({"event": "transfer_ended", "call": {"call_id": ID, "call_status": "ongoing",
                "transcript_object": transcript}})
        };
        let first = leg(2).to_string();
        let second = leg(5).to_string();
        assert_ne!(key(first.as_bytes()), key(second.as_bytes()));
        // A redelivery, serialized afresh, is the same event.
        let spaced = serde_json::to_string_pretty(&leg(2)).unwrap();
        assert_eq!(key(first.as_bytes()), key(spaced.as_bytes()));
        // With an end time, that is what tells legs apart, as before.
        let mut ended = leg(2);
        ended["call"]["transfer_end_timestamp"] = json!(1773157389818_i64);
        let parsed = parse(ended).unwrap();
        assert_eq!(parsed.distinct_by.as_deref(), Some("1773157389818"));
    }

    #[test]
    fn a_rerun_analysis_is_another_event_and_a_redelivery_is_not() {
        let analyzed = |summary: &str| {
            let body = json!({"event": "call_analyzed", "call": {"call_id": ID,
                "call_status": "ended", "call_analysis": {"call_summary": summary}}});
            parse(body).unwrap().distinct_by
        };
        let first = analyzed("Booked a cleaning for Tuesday.");
        assert!(first.is_some());
        assert_eq!(first, analyzed("Booked a cleaning for Tuesday."));
        assert_ne!(first, analyzed("Booked a cleaning for Wednesday."));
        // The same analysis serialized afresh (spaces, key order) is the same event.
        let spaced = br#"{"event": "call_analyzed", "call": {"call_id": "call_8d1e6f3a92c04b7e5a1f0c9d2b47",
            "call_status": "ended", "call_analysis": { "user_sentiment" : "Positive", "call_summary" : "Booked a cleaning for Tuesday." }}}"#;
        let compact = br#"{"event":"call_analyzed","call":{"call_id":"call_8d1e6f3a92c04b7e5a1f0c9d2b47","call_status":"ended","call_analysis":{"call_summary":"Booked a cleaning for Tuesday.","user_sentiment":"Positive"}}}"#;
        assert_eq!(
            decode_webhook(spaced).unwrap().distinct_by,
            decode_webhook(compact).unwrap().distinct_by
        );
    }

    #[test]
    fn other_events_and_calls_without_an_id_are_kept_whole() {
        let body = br#"{"event": "chat_ended", "chat": {"chat_id": "chat_1"}}"#;
        let parsed = decode_webhook(body).unwrap();
        assert_eq!(parsed.vendor_event, "chat_ended");
        assert_eq!(parsed.call_id, None);
        match parsed.kind {
            EventKind::Other { payload, .. } => {
                assert_eq!(payload.get(), std::str::from_utf8(body).unwrap());
            }
            other => panic!("{other:?}"),
        }
        assert!(!parsed.expects_reply);
        let parsed = parse(json!({"event": "call_recorded", "call": {"call_id": ID}})).unwrap();
        assert!(matches!(parsed.kind, EventKind::Other { .. }));
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        assert!(!parsed.expects_reply);
        // The inbound webhook waits for an answer; there is no call yet.
        for event in ["call_inbound", "chat_inbound"] {
            let parsed = parse(json!({"event": event, event: {"from_number": "+14155550137"}}));
            let parsed = parsed.unwrap();
            assert!(parsed.expects_reply, "{event}");
            assert_eq!(parsed.call_id, None);
            assert!(matches!(parsed.kind, EventKind::Other { .. }));
        }
        // The call of an event kept whole is not decoded: only its id is read.
        let parsed = parse(json!({"event": "call_recorded",
                                  "call": {"call_id": ID, "duration_ms": "long"}}))
        .unwrap();
        assert!(matches!(parsed.kind, EventKind::Other { .. }));
        assert_eq!(parsed.call_id().map(CallId::as_str), Some(ID));
        for call in [
            json!(null),
            json!({"call_status": "ended"}),
            json!({"call_id": ""}),
            json!({"call_id": " "}),
            json!([ID]),
        ] {
            let parsed = parse(json!({"event": "call_ended", "call": call})).unwrap();
            assert!(matches!(parsed.kind, EventKind::Other { .. }), "{call}");
            assert_eq!(parsed.call_id, None, "{call}");
        }
        let parsed = parse(json!({"event": "call_ended"})).unwrap();
        assert!(matches!(parsed.kind, EventKind::Other { .. }));
    }

    #[test]
    fn bad_deliveries_are_decode_errors_with_a_path() {
        for body in [
            json!({"call": {"call_id": ID}}),
            json!({"event": null}),
            json!({"event": 5}),
            json!({"event": " "}),
        ] {
            let err = parse(body.clone()).unwrap_err();
            assert!(
                matches!(&err, Error::Decode { path, operation: Operation::ParseWebhook, .. } if path == "event"),
                "{body}: {err:?}"
            );
        }
        // A call's impossible values are warnings named by their place in the call, its
        // vendor payload (as `get-call` names them); a decode error names its place in the
        // delivery.
        let parsed =
            parse(json!({"event": "call_ended", "call": {"call_id": ID, "duration_ms": -5}}))
                .unwrap();
        let EventKind::Ended { call, .. } = parsed.kind else {
            panic!("{parsed:?}")
        };
        let fields: Vec<_> = call.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["duration_ms"]);
        let payload = call.vendor_payload().unwrap().to_value();
        assert_eq!(payload["duration_ms"], -5);
        let err =
            parse(json!({"event": "call_ended", "call": {"call_id": ID, "duration_ms": "long"}}))
                .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "call.duration_ms"),
            "{err:?}"
        );
        assert!(matches!(decode_webhook(b"[]"), Err(Error::Decode { .. })));
        assert!(matches!(decode_webhook(b"{"), Err(Error::Decode { .. })));
    }
}
