//! A Retell call → [`Call`]: parties, times, transcript, recording, cost and analysis.

use std::collections::{BTreeMap, HashMap};

use chrono::{TimeDelta, Utc};
use serde_json::Value;
use voiceport_core::adapter::{
    check_call, elapsed_secs, field_path, finite, non_blank, non_empty, read_amount,
    read_amount_at, read_destination, read_direction, read_epoch_millis, read_id, recording_at,
    round_to, time_after, value_text,
};
use voiceport_core::http::decode_raw_at;
use voiceport_core::{
    AgentId, AgentRef, Call, CallId, CallKind, Cost, CostCategory, CostItem, Operation, Recording,
    Result, Speaker, ToolCall, ToolResult, Transcript, Utterance,
};

use super::status::{StatusFields, status_of};
use crate::config::KIND;
use crate::wire::{self, Role};

/// Retell bills in US dollars and states its costs in cents; the currency itself is not
/// written on the call (inferred from its pricing pages and dashboard).
const CURRENCY: &str = "USD";

/// Normalizes a call (the caller attaches the vendor payload). Its warnings name their
/// fields as paths into that payload, the call object, wherever it was found: the same
/// `duration_ms` from `get-call`, a list and a webhook's `call`.
///
/// Values that cannot be true are dropped with a warning, never kept silently nor made a
/// failed decode: a negative or non-finite duration or cost, a blank `agent_id`, an
/// `end_timestamp` before `start_timestamp`. A blank `call_id` is kept (the call has no
/// other), with a warning.
///
/// Of the transcript's copies, the first non-empty one is decoded (at its path under `at`,
/// the call's place in the body, written only for a malformed one: an [`Error::Decode`] of
/// `operation` there); the later ones are not read at all.
///
/// [`Error::Decode`]: voiceport_core::Error::Decode
pub(crate) fn map_call<P: AsRef<str>>(
    wire: wire::Call<'_>,
    operation: Operation,
    at: impl Fn() -> P,
) -> Result<Call> {
    let entries = transcript_entries(&wire, operation, at)?;
    Ok(map_call_with_transcript(wire, entries))
}

/// The entries of the transcript: `transcript_with_tool_calls` (which has the tool calls),
/// else `transcript_object`, else `scrubbed_transcript_with_tool_calls`, the first of them
/// that is neither absent, `null` nor empty. Each is decoded only when the ones before it
/// were found empty.
fn transcript_entries<P: AsRef<str>>(
    wire: &wire::Call<'_>,
    operation: Operation,
    at: impl Fn() -> P,
) -> Result<Vec<wire::Utterance>> {
    let copies = [
        (
            "transcript_with_tool_calls",
            wire.transcript_with_tool_calls,
        ),
        ("transcript_object", wire.transcript_object),
        (
            "scrubbed_transcript_with_tool_calls",
            wire.scrubbed_transcript_with_tool_calls,
        ),
    ];
    for (field, raw) in copies {
        let Some(raw) = raw else { continue };
        let path = || field_path(at().as_ref(), field);
        let copy: wire::Entries = decode_raw_at(KIND, operation, raw, path)?;
        if let Some(entries) = copy.entries.filter(|e| !e.is_empty()) {
            return Ok(entries);
        }
    }
    Ok(Vec::new())
}

/// [`map_call`] once the transcript's entries are decoded: the call, with `entries` as its
/// transcript's utterances.
fn map_call_with_transcript(wire: wire::Call<'_>, entries: Vec<wire::Utterance>) -> Call {
    let mut call = Call::new(CallId::new(wire.call_id), KIND);
    let analysis = wire.call_analysis.unwrap_or_default();
    (call.status, call.end_reason) = status_of(StatusFields {
        status: wire.call_status.as_ref(),
        reason: wire.disconnection_reason.as_deref(),
        in_voicemail: analysis.in_voicemail == Some(true),
    });
    call.vendor_status = wire.call_status.map(|s| s.as_str().to_owned());
    if let Some(destination) = &wire.transfer_destination {
        call.transfer_destination =
            read_destination(&mut call, "transfer_destination", destination);
    }
    call.kind = match wire.call_type {
        Some(wire::CallType::PhoneCall) | None => CallKind::Phone,
        Some(wire::CallType::WebCall) => CallKind::Web,
        Some(wire::CallType::Other(raw)) => CallKind::parse(&raw),
    };
    call.direction = read_direction(&mut call, "direction", wire.direction.as_deref());
    // A blank number names no one to call, as every adapter reads numbers.
    call.from = wire.from_number.and_then(non_blank);
    call.to = wire.to_number.and_then(non_blank);
    let agent_id = read_id(&mut call, "agent_id", wire.agent_id);
    let agent_name = non_empty(wire.agent_name);
    if agent_id.is_some() || agent_name.is_some() {
        call.agent = Some(AgentRef::new(agent_id.map(AgentId::new), agent_name));
    }

    let start = wire.start_timestamp.as_ref();
    call.started_at = read_epoch_millis(&mut call, "start_timestamp", start);
    call.ended_at = read_epoch_millis(&mut call, "end_timestamp", wire.end_timestamp.as_ref());
    // Retell has no creation time: the start stands in, as the list endpoint filters, sorts
    // and pages on it. A call that never connected has neither (inferred).
    call.created_at = call.started_at;
    // The call documents its duration, so it comes before the times (Vapi's has none).
    call.duration_secs = read_amount(&mut call, "duration_ms", wire.duration_ms)
        .map(|ms| round_to(ms / 1000.0, 1e6))
        .or_else(|| elapsed_secs(call.started_at, call.ended_at));

    let whole = non_empty(wire.transcript).filter(|t| !t.trim().is_empty());
    let mut utterances = map_utterances(&entries);
    // Offsets count seconds of the call's audio, which begins at its start.
    if let Some(start) = call.started_at {
        for utterance in &mut utterances {
            utterance.at = utterance
                .start_secs
                .and_then(|secs| time_after(start, secs));
        }
    }
    let transcript = Transcript::new(utterances, whole);
    call.transcript = (!transcript.is_empty()).then_some(transcript);
    call.recording = recording(
        non_empty(wire.recording_url).or(non_empty(wire.scrubbed_recording_url)),
        non_empty(wire.recording_multi_channel_url)
            .or(non_empty(wire.scrubbed_recording_multi_channel_url)),
        wire.opt_in_signed_url == Some(true),
    );
    call.cost = wire.call_cost.and_then(|cost| call_cost(&mut call, cost));

    call.analysis.summary = non_empty(analysis.call_summary);
    call.analysis.success_evaluation = analysis.call_successful.map(|ok| ok.to_string());
    call.analysis.extracted = extracted(
        analysis.custom_analysis_data,
        wire.collected_dynamic_variables,
        analysis.user_sentiment,
    );
    // Any JSON is allowed; anything but an object is kept under one key.
    call.metadata = wire
        .metadata
        .map(|m| m.into_entries("metadata"))
        .unwrap_or_default();
    check_call(&mut call, "call_id", "end_timestamp");
    call
}

/// Transcript entries → utterances, in order. A tool result is named after the invocation
/// with its `tool_call_id`.
fn map_utterances(entries: &[wire::Utterance]) -> Vec<Utterance> {
    let names: HashMap<&str, &str> = entries
        .iter()
        .filter(|e| e.role == Some(Role::ToolCallInvocation))
        .filter_map(|e| Some((e.tool_call_id.as_deref()?, e.name.as_deref()?)))
        .collect();
    entries.iter().map(|e| utterance(e, &names)).collect()
}

/// One entry. Speakers: `agent` → agent, `user` → customer, `injected` (context added
/// through the API) → system, tool invocations and results → tool; `transfer_target`,
/// `node_transition`, `dtmf`, `sms` and unknown roles keep their name (`Other`). Offsets
/// come from the word timings (first start, last end, seconds of call audio), or from
/// `time_sec`.
fn utterance(entry: &wire::Utterance, names: &HashMap<&str, &str>) -> Utterance {
    let said = entry
        .content
        .as_ref()
        .and_then(value_text)
        .filter(|t| !t.is_empty());
    // Through `parse`, so that a role spelled as a unified speaker (`system`) is that
    // speaker, as it reads back.
    let other = Speaker::parse;
    let (speaker, text) = match &entry.role {
        Some(Role::Agent) => (Speaker::Agent, said),
        Some(Role::User) => (Speaker::Customer, said),
        Some(Role::Injected) => (Speaker::System, said),
        Some(Role::ToolCallInvocation) => (Speaker::Tool, None),
        Some(Role::ToolCallResult) => (Speaker::Tool, said),
        Some(Role::NodeTransition) => {
            let node = non_empty(entry.new_node_name.as_deref())
                .or(non_empty(entry.new_node_id.as_deref()));
            (other("node_transition"), node.map(str::to_owned))
        }
        Some(Role::Dtmf) => (
            other("dtmf"),
            non_empty(entry.digit.as_deref()).map(str::to_owned),
        ),
        Some(role @ (Role::TransferTarget | Role::Sms | Role::Other(_))) => {
            (other(role.as_str()), said)
        }
        None => (other(""), said),
    };
    let mut utterance = Utterance::new(speaker, text);
    let words = entry.words.as_deref().unwrap_or_default();
    utterance.start_secs = words
        .iter()
        .find_map(|w| finite(w.start))
        .or(finite(entry.time_sec));
    utterance.end_secs = words.iter().rev().find_map(|w| finite(w.end));
    match entry.role {
        Some(Role::ToolCallInvocation) => utterance.tool_calls.push(ToolCall::new(
            non_empty(entry.tool_call_id.as_deref()).map(str::to_owned),
            non_empty(entry.name.as_deref()).map(str::to_owned),
            entry.arguments.as_ref().and_then(value_text),
        )),
        Some(Role::ToolCallResult) => {
            let id = entry.tool_call_id.as_deref().filter(|id| !id.is_empty());
            let name = id.and_then(|id| names.get(id)).map(|n| (*n).to_owned());
            let result = ToolResult::new(id.map(str::to_owned), name);
            utterance.tool_result = Some(result.with_succeeded(entry.successful));
        }
        _ => {}
    }
    utterance
}

/// The mixed and the multi-channel recordings, with the expiry of pre-signed URLs. An
/// agent with `opt_in_signed_url` (`signed`) gets URLs that expire 24 hours after they are
/// handed out: where the URL does not say when (not an S3 pre-signed one), they are taken
/// to expire 24 hours from now, when the call is read (*inferred*: Retell says when they
/// expire, not how the URL says it).
fn recording(mono: Option<String>, stereo: Option<String>, signed: bool) -> Option<Recording> {
    let mut recording = recording_at(mono, stereo)?;
    if signed && recording.expires_at.is_none() {
        recording.expires_at = Utc::now().checked_add_signed(TimeDelta::hours(24));
    }
    Some(recording)
}

/// What a `product_costs` product pays for, read from its name (*inferred*: Retell lists no
/// products; its prices are its own fee, the model, the voice and the phone line, and its
/// products are named after them: `retell_platform`, `gpt-4.1-mini`, `elevenlabs_tts`,
/// `twilio`). The name is read by its words (split at `_`, `-` and spaces), never by
/// parts of a word; a name none of them places is in no category.
fn category(product: &str) -> Option<CostCategory> {
    let name = product.to_ascii_lowercase();
    let words: Vec<&str> = name.split(['_', '-', ' ']).collect();
    let has = |set: &[&str]| words.iter().any(|word| set.contains(word));
    // `split` yields at least one word (an empty one for an empty name).
    let first = words.first().copied().unwrap_or_default();
    let model = ["gpt", "claude", "gemini", "llama", "mistral", "deepseek"];
    Some(if has(&["tts"]) {
        CostCategory::Speech
    } else if has(&["stt", "transcriber", "transcription"]) {
        CostCategory::Transcription
    } else if has(&[
        "twilio",
        "telnyx",
        "vonage",
        "plivo",
        "telephony",
        "sip",
        "voip",
    ]) {
        CostCategory::Telephony
    } else if has(&["llm"]) || model.contains(&first) || is_reasoning_model(first) {
        CostCategory::Llm
    } else if first == "retell" {
        // Retell's own products (`retell_platform`, `retell_platform_v2`) once they name
        // nothing above.
        CostCategory::Platform
    } else {
        return None;
    })
}

/// OpenAI's reasoning models: `o1`, `o3`, `o4` and their variants' first word.
fn is_reasoning_model(word: &str) -> bool {
    let digits = word.strip_prefix('o');
    digits.is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `call_cost` (cents) → a cost in dollars: `combined_cost` and one item per
/// `product_costs` entry, in Retell's order. A transfer leg's item is named
/// `<product> (transfer leg)`, so that it stays apart from the same product's cost on the
/// agent's leg. Each item is in the [`category`] its product names. A negative or
/// non-finite amount is left out with a warning on `call`.
fn call_cost(call: &mut Call, cost: wire::CallCost) -> Option<Cost> {
    let dollars = |cents: f64| round_to(cents / 100.0, 1e9);
    let items = cost.product_costs.unwrap_or_default().into_iter();
    let mut breakdown = Vec::new();
    for (i, item) in items.enumerate() {
        let field = || format!("call_cost.product_costs[{i}].cost");
        let Some(cents) = read_amount_at(call, item.cost, field) else {
            continue;
        };
        let product = item.product.unwrap_or_default();
        let category = category(&product);
        let component = match item.is_transfer_leg_cost {
            Some(true) => format!("{product} (transfer leg)"),
            _ => product,
        };
        let mut item = CostItem::new(component, dollars(cents));
        item.category = category;
        breakdown.push(item);
    }
    let total = read_amount(call, "call_cost.combined_cost", cost.combined_cost).map(dollars);
    if total.is_none() && breakdown.is_empty() {
        return None;
    }
    Some(Cost::new(total, Some(CURRENCY.to_owned()), breakdown))
}

/// `custom_analysis_data` (an object's keys; anything else under `custom_analysis_data`),
/// then the `collected_dynamic_variables` it has no key for (likewise), then
/// `user_sentiment` unless either has a key of that name.
fn extracted(
    custom: Option<Value>,
    collected: Option<Value>,
    sentiment: Option<String>,
) -> BTreeMap<String, Value> {
    let mut extracted = BTreeMap::new();
    for (name, value) in [
        ("custom_analysis_data", custom),
        ("collected_dynamic_variables", collected),
    ] {
        let entries = match value {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map.into_iter().collect(),
            Some(other) => vec![(name.to_owned(), other)],
        };
        for (key, value) in entries {
            extracted.entry(key).or_insert(value);
        }
    }
    if let Some(sentiment) = non_empty(sentiment) {
        extracted
            .entry("user_sentiment".to_owned())
            .or_insert(Value::String(sentiment));
    }
    extracted
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use serde_json::json;
    use voiceport_core::Direction;
    use voiceport_core::{CallStatus, EndReasonCategory, NormalizationWarning, WarningKind};

    /// A call's wire form, borrowed from its text (leaked: tests only).
    fn wire_call(value: Value) -> wire::Call<'static> {
        serde_json::from_str(String::leak(value.to_string())).unwrap()
    }

    fn map(wire: wire::Call<'_>) -> Call {
        map_call(wire, Operation::GetCall, || "").unwrap()
    }

    /// Products are put in categories by their names (inferred: Retell lists none).
    #[test]
    fn cost_products_fall_into_categories_by_name() {
        use CostCategory::{Llm, Platform, Speech, Telephony, Transcription};
        for (product, expected) in [
            ("retell_platform", Some(Platform)),
            ("retell_platform_v2", Some(Platform)),
            ("retell_twilio", Some(Telephony)),
            ("retell_tts", Some(Speech)),
            ("elevenlabs_tts", Some(Speech)),
            ("openai_tts", Some(Speech)),
            ("deepgram_stt", Some(Transcription)),
            ("twilio", Some(Telephony)),
            ("Telnyx", Some(Telephony)),
            ("custom_telephony", Some(Telephony)),
            ("gpt-4.1-mini", Some(Llm)),
            ("claude-3.7-sonnet", Some(Llm)),
            ("gemini-2.0-flash", Some(Llm)),
            ("o3-mini", Some(Llm)),
            ("o1", Some(Llm)),
            ("custom_llm", Some(Llm)),
            // Words are not read inside other words.
            ("deepgram_aura", None),
            ("gossip", None),
            ("phone_lookup", None),
            ("first_llmish", None),
            ("o", None),
            ("oxford", None),
            ("knowledge_base", None),
            ("", None),
        ] {
            assert_eq!(category(product), expected, "{product}");
        }
        // A transfer leg's item is in its product's category.
        let call = map(wire_call(json!({
            "call_id": "call_1",
            "call_cost": {"combined_cost": 12, "product_costs": [
                {"product": "twilio", "cost": 2, "is_transfer_leg_cost": true},
                {"product": "mystery", "cost": 10}
            ]}
        })));
        let items = call.cost.unwrap().breakdown;
        assert_eq!(items[0].component, "twilio (transfer leg)");
        assert_eq!(items[0].category, Some(Telephony));
        assert_eq!(items[1].category, None);
    }

    /// A blank number is no number, as every adapter reads numbers.
    #[test]
    fn a_blank_number_is_none() {
        let call = map(wire_call(json!({
            "call_id": "c", "from_number": " ", "to_number": "", "direction": "outbound"
        })));
        assert_eq!((call.from, call.to), (None, None));
    }

    #[test]
    fn call_fields_map() {
        let call = map(wire_call(json!({
            "call_id": "call_1",
            "call_type": "phone_call",
            "agent_id": "agent_1",
            "agent_name": "Front desk",
            "agent_version": 3,
            "call_status": "ended",
            "direction": "inbound",
            "from_number": "+14155550142",
            "to_number": "+16175550187",
            "start_timestamp": 1773157327318_i64,
            "end_timestamp": 1773157389818_i64,
            "duration_ms": 62500,
            "disconnection_reason": "user_hangup",
            "metadata": {"crm_id": "A-17"},
            "call_analysis": {
                "call_summary": "Booked.",
                "call_successful": true,
                "in_voicemail": false,
                "user_sentiment": "Positive",
                "custom_analysis_data": {"slot": "Tue 10:00"}
            },
            "collected_dynamic_variables": {"slot": "Tue 09:00", "patient_dob": "1984-07-12"}
        })));
        assert_eq!(call.provider, KIND);
        assert_eq!(call.status, CallStatus::Completed);
        assert_eq!(call.vendor_status.as_deref(), Some("ended"));
        assert_eq!(
            call.end_reason.as_ref().map(|r| r.category),
            Some(EndReasonCategory::CustomerHungUp)
        );
        assert_eq!(call.direction, Some(Direction::Inbound));
        assert_eq!(call.from.as_deref(), Some("+14155550142"));
        let agent = call.agent.as_ref().unwrap();
        assert_eq!(agent.id.as_ref().map(AgentId::as_str), Some("agent_1"));
        assert_eq!(agent.name.as_deref(), Some("Front desk"));
        let started: DateTime<Utc> = "2026-03-10T15:42:07.318Z".parse().unwrap();
        assert_eq!(call.started_at, Some(started));
        assert_eq!(call.created_at, Some(started));
        assert_eq!(
            call.ended_at,
            Some("2026-03-10T15:43:09.818Z".parse().unwrap())
        );
        assert_eq!(call.duration_secs, Some(62.5));
        assert_eq!(call.analysis.summary.as_deref(), Some("Booked."));
        assert_eq!(call.analysis.success_evaluation.as_deref(), Some("true"));
        // The analysis has the last word over a variable of the same name.
        assert_eq!(
            call.analysis.extracted.get("slot"),
            Some(&json!("Tue 10:00"))
        );
        assert_eq!(
            call.analysis.extracted.get("patient_dob"),
            Some(&json!("1984-07-12"))
        );
        assert_eq!(
            call.analysis.extracted.get("user_sentiment"),
            Some(&json!("Positive"))
        );
        assert_eq!(call.metadata.get("crm_id"), Some(&json!("A-17")));
        assert!(call.warnings.is_empty());
        assert_eq!(call.transcript, None);
        assert_eq!(call.cost, None);
    }

    #[test]
    fn the_duration_falls_back_to_the_timestamps() {
        let call = map(wire_call(json!({
            "call_id": "c", "start_timestamp": 1773157327000_i64, "end_timestamp": 1773157331500_i64
        })));
        assert_eq!(call.duration_secs, Some(4.5));
        let call = map(wire_call(json!({
            "call_id": "c", "start_timestamp": 1773157331500_i64, "end_timestamp": 1773157327000_i64
        })));
        assert_eq!(call.duration_secs, None);
        let call = map(wire_call(json!({"call_id": "c", "duration_ms": -5})));
        assert_eq!(call.duration_secs, None);
    }

    /// The fields of the call's warnings, in order.
    fn warned(call: &Call) -> Vec<&str> {
        call.warnings.iter().map(|w| w.field.as_str()).collect()
    }

    #[test]
    fn impossible_values_are_dropped_with_a_warning() {
        let call = map(wire_call(json!({
            "call_id": "", "agent_id": " ", "agent_name": "Front desk",
            "start_timestamp": 1773157331500_i64, "end_timestamp": 1773157327000_i64,
            "duration_ms": -4500,
            "call_cost": {"combined_cost": -11.7, "product_costs": [
                {"product": "retell_platform", "cost": -7.02},
                {"product": "twilio", "cost": 4.68}
            ]}
        })));
        // The call is kept, its id too (it has no other).
        assert_eq!(call.id.as_str(), "");
        let agent = call.agent.clone().unwrap();
        assert_eq!(
            (agent.id, agent.name.as_deref()),
            (None, Some("Front desk"))
        );
        assert!(call.started_at.is_some());
        assert_eq!(call.ended_at, None);
        assert_eq!(call.duration_secs, None);
        let cost = call.cost.clone().unwrap();
        assert_eq!(cost.total, None);
        let items: Vec<(&str, f64)> = (cost.breakdown.iter())
            .map(|i| (i.component.as_str(), i.amount))
            .collect();
        assert_eq!(items, [("twilio", 0.0468)]);
        assert_eq!(
            warned(&call),
            [
                "agent_id",
                "duration_ms",
                "call_cost.product_costs[0].cost",
                "call_cost.combined_cost",
                "call_id",
                "end_timestamp",
            ]
        );
        let last = call.warnings.last().unwrap();
        assert!(last.message.starts_with("ends before the call started"));
        assert_eq!(last.value, "2026-03-10T15:42:07+00:00");

        // Not finite (no JSON sends it, but nothing else may either); and a huge finite
        // amount is not made infinite by rounding.
        let mut wire = wire_call(json!({"call_id": "c", "call_cost": {"combined_cost": 1e308}}));
        wire.duration_ms = Some(f64::INFINITY);
        let call = map(wire);
        assert_eq!(call.duration_secs, None);
        assert_eq!(call.cost.as_ref().unwrap().total, Some(1e306));
        assert_eq!(warned(&call), ["duration_ms"]);

        // Possible values pass without a word: zero costs and durations among them.
        let call = map(wire_call(json!({
            "call_id": "c", "agent_id": "agent_1", "duration_ms": 0,
            "start_timestamp": 1773157327000_i64, "end_timestamp": 1773157327000_i64,
            "call_cost": {"combined_cost": 0, "product_costs": [{"product": "twilio", "cost": 0}]}
        })));
        assert_eq!(call.duration_secs, Some(0.0));
        assert!(call.ended_at.is_some());
        assert_eq!(call.cost.unwrap().total, Some(0.0));
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
        // Nothing possible left: no cost at all.
        let call = map(wire_call(
            json!({"call_id": "c", "call_cost": {"combined_cost": -1}}),
        ));
        assert_eq!(call.cost, None);
    }

    #[test]
    fn unreadable_times_are_left_out_with_a_warning() {
        let call = map(wire_call(json!({
            "call_id": "c",
            "start_timestamp": "2026-03-10T15:42:07Z",
            "end_timestamp": "soon",
            "transfer_end_timestamp": null
        })));
        assert_eq!(
            call.started_at,
            Some("2026-03-10T15:42:07Z".parse().unwrap())
        );
        assert_eq!(call.ended_at, None);
        assert_eq!(call.warnings.len(), 1);
        assert_eq!(call.warnings[0].field, "end_timestamp");
        assert_eq!(call.warnings[0].value, "soon");

        let mut call = Call::new(CallId::new("c"), KIND);
        let read = |call: &mut Call, value: Value| read_epoch_millis(call, "t", Some(&value));
        assert_eq!(
            read(&mut call, json!("1773157327318")),
            Some("2026-03-10T15:42:07.318Z".parse().unwrap())
        );
        assert_eq!(read(&mut call, json!(null)), None);
        assert_eq!(read(&mut call, json!("")), None);
        assert!(call.warnings.is_empty());
        assert_eq!(read(&mut call, json!(1e300)), None);
        assert_eq!(read(&mut call, json!({"ms": 1})), None);
        assert_eq!(read(&mut call, json!(true)), None);
        // Seconds where milliseconds are documented, and "not yet": not January 1970.
        assert_eq!(read(&mut call, json!(1773157327)), None);
        assert_eq!(read(&mut call, json!("0")), None);
        assert_eq!(read(&mut call, json!(-1)), None);
        // Microseconds: not the year 58,000.
        assert_eq!(read(&mut call, json!(1773157327318000_i64)), None);
        let values: Vec<&str> = call.warnings.iter().map(|w| w.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "1e+300",
                "{\"ms\":1}",
                "true",
                "1773157327",
                "0",
                "-1",
                "1773157327318000"
            ]
        );
    }

    #[test]
    fn transcript_prefers_tool_calls_and_takes_word_timings() {
        let call = map(wire_call(json!({
            "call_id": "c",
            "start_timestamp": 1773157327318_i64,
            "transcript": "Agent: Hi\nUser: Book me in\n",
            "transcript_object": [
                {"role": "agent", "content": "Hi", "words": []}
            ],
            "transcript_with_tool_calls": [
                {"role": "agent", "content": "Hi", "words": [
                    {"word": "Hi", "start": 0.42, "end": 0.71}
                ]},
                {"role": "user", "content": "Book me in", "words": [
                    {"word": "Book", "start": 1.5, "end": 1.7},
                    {"word": "me", "start": 1.7},
                    {"word": "in"}
                ]},
                {"role": "tool_call_invocation", "tool_call_id": "t1", "name": "book",
                 "arguments": "{\"day\":\"Tue\"}"},
                {"role": "tool_call_result", "tool_call_id": "t1", "content": "booked", "successful": true},
                {"role": "tool_call_result", "tool_call_id": "t9", "content": "orphan"},
                {"role": "node_transition", "former_node_id": "a", "former_node_name": "Start",
                 "new_node_id": "b", "new_node_name": "Booking"},
                {"role": "dtmf", "digit": "5"},
                {"role": "sms", "content": "late", "time_sec": 12.5},
                {"role": "injected", "content": "VIP", "time_sec": 3},
                {"role": "transfer_target", "content": "Hello?"},
                {"role": "hold_music", "content": 5},
                // A variant after this version's, reusing the entries' field names with
                // other types: read, those fields left out, the call kept.
                {"role": "keypad_menu", "digit": 5, "name": {"menu": "main"},
                 "tool_call_id": [1], "new_node_name": true, "new_node_id": 7}
            ]
        })));
        let transcript = call.transcript.unwrap();
        assert_eq!(
            transcript.text.as_deref(),
            Some("Agent: Hi\nUser: Book me in\n")
        );
        let u = &transcript.utterances;
        assert_eq!(u.len(), 12);
        assert_eq!(
            (u[0].speaker.clone(), u[0].start_secs, u[0].end_secs),
            (Speaker::Agent, Some(0.42), Some(0.71))
        );
        // Its time: the call's start plus the offset into the call's audio.
        let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().ok();
        assert_eq!(u[0].at, at("2026-03-10T15:42:07.738Z"));
        assert_eq!(u[1].at, at("2026-03-10T15:42:08.818Z"));
        // The last word without an end: the end is the last one known.
        assert_eq!(
            (u[1].speaker.clone(), u[1].start_secs, u[1].end_secs),
            (Speaker::Customer, Some(1.5), Some(1.7))
        );
        assert_eq!(u[2].speaker, Speaker::Tool);
        assert_eq!(u[2].text, None);
        assert_eq!(
            u[2].tool_calls,
            [ToolCall::new(
                Some("t1".into()),
                Some("book".into()),
                Some("{\"day\":\"Tue\"}".into())
            )]
        );
        assert_eq!(u[3].text.as_deref(), Some("booked"));
        assert_eq!(
            u[3].tool_result,
            Some(
                ToolResult::new(Some("t1".into()), Some("book".into())).with_succeeded(Some(true))
            )
        );
        let orphan = u[4].tool_result.as_ref().unwrap();
        assert_eq!((orphan.name.as_ref(), orphan.succeeded), (None, None));
        assert_eq!(u[5].speaker, Speaker::Other("node_transition".into()));
        assert_eq!(u[5].text.as_deref(), Some("Booking"));
        assert_eq!(u[6].speaker, Speaker::Other("dtmf".into()));
        assert_eq!(u[6].text.as_deref(), Some("5"));
        assert_eq!(
            (u[7].speaker.clone(), u[7].start_secs),
            (Speaker::Other("sms".into()), Some(12.5))
        );
        assert_eq!(
            (u[8].speaker.clone(), u[8].start_secs),
            (Speaker::System, Some(3.0))
        );
        assert_eq!(u[9].speaker, Speaker::Other("transfer_target".into()));
        assert_eq!(u[10].speaker, Speaker::Other("hold_music".into()));
        assert_eq!(u[10].text.as_deref(), Some("5"));
        assert_eq!(u[11].speaker, Speaker::Other("keypad_menu".into()));
        assert_eq!((u[11].text.as_ref(), u[11].tool_calls.len()), (None, 0));
    }

    #[test]
    fn transcript_falls_back_to_the_object_then_the_scrubbed_copy() {
        let call = map(wire_call(json!({
            "call_id": "c",
            "transcript_with_tool_calls": [],
            "transcript_object": [{"role": "user", "content": "Hi", "words": []}]
        })));
        assert_eq!(
            call.transcript.unwrap().utterances[0].speaker,
            Speaker::Customer
        );
        let call = map(wire_call(json!({
            "call_id": "c",
            "scrubbed_transcript_with_tool_calls": [{"role": "agent", "content": "Hi [NAME]"}]
        })));
        assert_eq!(
            call.transcript.unwrap().utterances[0].text.as_deref(),
            Some("Hi [NAME]")
        );
        let call = map(wire_call(json!({"call_id": "c", "transcript": ""})));
        assert_eq!(call.transcript, None);
    }

    #[test]
    fn cost_is_converted_from_cents() {
        let call = map(wire_call(json!({
            "call_id": "c",
            "call_cost": {
                "combined_cost": 11.7,
                "product_costs": [
                    {"product": "retell_platform", "unit_price": 0.0117, "cost": 7.02},
                    {"product": "twilio", "cost": 4.68, "is_transfer_leg_cost": false},
                    {"product": "bad", "cost": null},
                    {"product": "twilio", "cost": 1.5, "is_transfer_leg_cost": true}
                ],
                "total_duration_seconds": 60,
                "total_duration_unit_price": 0.195
            }
        })));
        let cost = call.cost.unwrap();
        assert_eq!(cost.total, Some(0.117));
        assert_eq!(cost.currency.as_deref(), Some("USD"));
        let items: Vec<(&str, f64)> = cost
            .breakdown
            .iter()
            .map(|i| (i.component.as_str(), i.amount))
            .collect();
        assert_eq!(
            items,
            [
                ("retell_platform", 0.0702),
                ("twilio", 0.0468),
                ("twilio (transfer leg)", 0.015)
            ]
        );
        let call = map(wire_call(json!({"call_id": "c", "call_cost": {}})));
        assert_eq!(call.cost, None);
    }

    #[test]
    fn recordings_and_their_expiry() {
        let signed = "https://retell-call-recordings.s3.us-west-2.amazonaws.com/c/recording.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260310%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Date=20260310T154500Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=ab";
        let call = map(wire_call(json!({
            "call_id": "c",
            "recording_url": signed,
            "recording_multi_channel_url": "https://example.com/multi.wav"
        })));
        let recording = call.recording.unwrap();
        assert_eq!(recording.mono_url.as_deref(), Some(signed));
        assert_eq!(
            recording.stereo_url.as_deref(),
            Some("https://example.com/multi.wav")
        );
        assert_eq!(
            recording.expires_at,
            Some("2026-03-11T15:45:00Z".parse().unwrap())
        );
        // Signed by the agent's choice (`opt_in_signed_url`), in a form that says no time:
        // 24 hours from when the call is read; a URL that says its time keeps it.
        let before = Utc::now();
        let call = map(wire_call(json!({
            "call_id": "c", "opt_in_signed_url": true,
            "recording_url": "https://recordings.retellai.com/c/recording.wav?token=4f9a2c7e1b"
        })));
        let expires = call.recording.unwrap().expires_at.unwrap();
        let day = TimeDelta::hours(24);
        assert!(
            before + day <= expires && expires <= Utc::now() + day,
            "{expires}"
        );
        let cloudfront = "https://dxc03zgurdly9.cloudfront.net/c/recording.wav?Expires=1773300000&Signature=x&Key-Pair-Id=K2JCJMDEHXQW5F";
        for (url, expiry) in [
            (signed, "2026-03-11T15:45:00Z"),
            (cloudfront, "2026-03-12T07:20:00Z"),
        ] {
            let call = map(wire_call(json!({
                "call_id": "c", "opt_in_signed_url": true, "recording_url": url
            })));
            let expires_at = call.recording.unwrap().expires_at;
            assert_eq!(expires_at, Some(expiry.parse().unwrap()), "{url}");
        }
        let unsigned = json!({"call_id": "c", "recording_url": "https://example.com/r.wav"});
        assert_eq!(map(wire_call(unsigned)).recording.unwrap().expires_at, None);
        // The scrubbed copies stand in when they are all there is.
        let call = map(wire_call(json!({
            "call_id": "c", "recording_url": "", "scrubbed_recording_url": "https://example.com/s.wav"
        })));
        assert_eq!(
            call.recording.unwrap().mono_url.as_deref(),
            Some("https://example.com/s.wav")
        );
    }

    #[test]
    fn kinds_directions_metadata_and_analysis_shapes() {
        let call = map(wire_call(json!({
            "call_id": "c", "call_type": "web_call", "direction": null, "metadata": [1, 2],
            "call_analysis": {"custom_analysis_data": "free text", "user_sentiment": "Neutral",
                              "call_successful": false}
        })));
        assert_eq!(call.kind, CallKind::Web);
        assert_eq!(call.direction, None);
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
        assert_eq!(call.metadata.get("metadata"), Some(&json!([1, 2])));
        assert_eq!(call.analysis.success_evaluation.as_deref(), Some("false"));
        assert_eq!(
            call.analysis.extracted.get("custom_analysis_data"),
            Some(&json!("free text"))
        );
        // The custom data's own `user_sentiment` wins.
        let call = map(wire_call(json!({
            "call_id": "c", "call_type": "sip_call", "direction": "sideways",
            "call_analysis": {"custom_analysis_data": {"user_sentiment": "mine"}, "user_sentiment": "Negative"}
        })));
        assert_eq!(call.kind, CallKind::Other("sip_call".into()));
        assert_eq!(call.direction, None);
        // An unknown direction is not lost silently; an absent one (above) says nothing.
        let warning = NormalizationWarning::new(
            WarningKind::UnknownValue,
            "direction",
            "sideways",
            "not a known direction (inbound or outbound)",
        );
        assert_eq!(call.warnings, [warning]);
        // A type spelled as a unified kind is that kind, as for every vendor.
        let chat = map(wire_call(json!({"call_id": "c", "call_type": "chat"})));
        assert_eq!(chat.kind, CallKind::Chat);
        assert_eq!(
            call.analysis.extracted.get("user_sentiment"),
            Some(&json!("mine"))
        );
        assert_eq!(call.status, CallStatus::Unknown);
        assert_eq!(call.agent, None);
    }
    #[test]
    fn a_transferred_call_says_where_it_went() {
        let mapped = |destination: Value| {
            let call = map(wire_call(
                json!({"call_id": "call_1", "call_status": "ended",
                "disconnection_reason": "call_transfer", "transfer_destination": destination}),
            ));
            (call.transfer_destination, call.warnings.len())
        };
        assert_eq!(
            mapped(json!("+16175550199")),
            (Some("+16175550199".into()), 0)
        );
        let sip = "sip:desk@pbx.example.com;transport=tls";
        assert_eq!(mapped(json!(sip)), (Some(sip.into()), 0));
        assert_eq!(mapped(Value::Null), (None, 0));
        // The transfer events' object form, should a call carry it: its extension too.
        assert_eq!(
            mapped(json!({"number": "+16175550199", "extension": "12"})),
            (Some("+16175550199;ext=12".into()), 0)
        );
        assert_eq!(
            mapped(json!({"number": "+16175550199", "extension": 12})),
            (Some("+16175550199;ext=12".into()), 0)
        );
        assert_eq!(
            mapped(json!({"number": "+16175550199", "extension": " "})),
            (Some("+16175550199".into()), 0)
        );
        assert_eq!(mapped(json!(42)), (None, 1));
    }
}
