//! Retell's JSON, exactly as Retell spells it (its API reference and SDKs, `call` resource).
//!
//! A call (`PhoneCallResponse` / `WebCallResponse`, told apart by `call_type`) comes bare,
//! without an envelope. Only `call_id` is required here: Retell documents `agent_id`,
//! `agent_version`, `call_status` and `call_type` as always present, but a webhook's
//! `call_started` carries "basic call info" only, and list items are slimmer than get-call,
//! so everything else is an `Option`. Unknown fields are ignored (the vendor payload kept
//! on each normalized call still has them); only the fields voiceport reads are declared.
//! Vendor enums are open: a value this version does not know lands in `Other(String)`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use voiceport_core::adapter::{
    AnyJson, amount, bounded_items, bounded_list, bounded_value, count, or_none,
};

voiceport_core::open_enum! {
    /// `call_type`.
    pub(crate) enum CallType {
        PhoneCall => "phone_call",
        WebCall => "web_call",
    }
}

voiceport_core::open_enum! {
    /// `call_status`. `not_connected` dates from 2025-07.
    pub(crate) enum CallStatus {
        Registered => "registered",
        NotConnected => "not_connected",
        Ongoing => "ongoing",
        Ended => "ended",
        Error => "error",
    }
}

voiceport_core::open_enum! {
    /// The `role` of an entry of `transcript_object` (the first three) or of
    /// `transcript_with_tool_calls` (all of them).
    pub(crate) enum Role {
        Agent => "agent",
        User => "user",
        TransferTarget => "transfer_target",
        ToolCallInvocation => "tool_call_invocation",
        ToolCallResult => "tool_call_result",
        NodeTransition => "node_transition",
        Dtmf => "dtmf",
        Sms => "sms",
        Injected => "injected",
    }
}

/// A call: the body of get-call, create-phone-call and update-call, each item of a list,
/// and the `call` of a webhook delivery.
///
/// Times are epoch **milliseconds** (read as JSON values, so that an odd one becomes a
/// warning on the call rather than a failed decode), `duration_ms` milliseconds, costs
/// **cents**. `disconnection_reason` is kept as text: its ~35 values grow with every
/// release, and the status table matches them by family.
#[derive(Debug, Clone, Deserialize)]
#[serde(expecting = "a call object")]
pub(crate) struct Call<'a> {
    pub(crate) call_id: String,
    pub(crate) call_type: Option<CallType>,
    pub(crate) agent_id: Option<String>,
    pub(crate) agent_name: Option<String>,
    pub(crate) call_status: Option<CallStatus>,
    /// `inbound` or `outbound` (phone calls only).
    pub(crate) direction: Option<String>,
    pub(crate) from_number: Option<String>,
    pub(crate) to_number: Option<String>,
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) start_timestamp: Option<Value>,
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) end_timestamp: Option<Value>,
    // `transfer_end_timestamp` (the end of a transfer leg, epoch milliseconds) is read by
    // the `transfer_ended` webhook alone (`webhook::Peek`).
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration_ms: Option<f64>,
    pub(crate) disconnection_reason: Option<String>,
    /// Where a `call_transfer` went: a number or a `sip:` URI (the transfer events'
    /// top-level copy is an object); read leniently.
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) transfer_destination: Option<Value>,
    /// `Agent: …\nUser: …\n`.
    pub(crate) transcript: Option<String>,
    /// The three copies of the transcript are kept as raw JSON, borrowed from the body:
    /// only the first non-empty one (in the order `map::call::transcript_entries` prefers
    /// them) is decoded, as [`Entries`], so that a call carrying three copies of 100 000
    /// entries each does not take three times the memory of one.
    #[serde(borrow)]
    pub(crate) transcript_object: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) transcript_with_tool_calls: Option<&'a RawValue>,
    /// The same without PII, when the agent scrubs it.
    #[serde(borrow)]
    pub(crate) scrubbed_transcript_with_tool_calls: Option<&'a RawValue>,
    pub(crate) recording_url: Option<String>,
    /// One channel per party.
    pub(crate) recording_multi_channel_url: Option<String>,
    pub(crate) scrubbed_recording_url: Option<String>,
    pub(crate) scrubbed_recording_multi_channel_url: Option<String>,
    /// The agent's URLs are signed, and expire 24 hours after they are handed out.
    pub(crate) opt_in_signed_url: Option<bool>,
    pub(crate) call_analysis: Option<CallAnalysis>,
    /// The dynamic variables the call collected (a map of strings), once it ended.
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) collected_dynamic_variables: Option<Value>,
    pub(crate) call_cost: Option<CallCost>,
    /// Any JSON, stored as given at creation or update (an object read straight into the
    /// map the normalized call keeps).
    #[serde(borrow)]
    pub(crate) metadata: Option<AnyJson<'a>>,
}

/// A copy of the transcript, decoded (`null` is `None`; more than `MAX_LIST_ITEMS` entries
/// is an error at the field's path).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct Entries {
    #[serde(deserialize_with = "bounded_list")]
    pub(crate) entries: Option<Vec<Utterance>>,
}

/// One entry of `transcript_object` or `transcript_with_tool_calls`. The latter is a union
/// tagged by `role`; every variant's fields are here, all optional, so that a variant this
/// version does not know still decodes.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "an utterance object")]
pub(crate) struct Utterance {
    pub(crate) role: Option<Role>,
    /// What was said, a tool's result, an SMS or injected text (normally a string).
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) content: Option<Value>,
    /// Word timings, in seconds of call audio.
    #[serde(default, deserialize_with = "bounded_list")]
    pub(crate) words: Option<Vec<Word>>,
    // The entries' own fields are read leniently (`or_none`): a variant added after this
    // version may use one of their names with another type, and must not fail the call.
    // Their text is boxed (two words, not three): a transcript holds many entries, each
    // charged to the body's memory budget.
    /// `tool_call_invocation` and `tool_call_result`.
    #[serde(default, deserialize_with = "or_none")]
    pub(crate) tool_call_id: Option<Box<str>>,
    /// `tool_call_invocation`: the function.
    #[serde(default, deserialize_with = "or_none")]
    pub(crate) name: Option<Box<str>>,
    /// `tool_call_result`: whether the tool says it succeeded.
    #[serde(default, deserialize_with = "or_none")]
    pub(crate) successful: Option<bool>,
    /// `tool_call_invocation`: a JSON object as text.
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) arguments: Option<Value>,
    /// `node_transition`.
    #[serde(default, deserialize_with = "or_none")]
    pub(crate) new_node_name: Option<Box<str>>,
    #[serde(default, deserialize_with = "or_none")]
    pub(crate) new_node_id: Option<Box<str>>,
    /// `dtmf`: the key pressed.
    #[serde(default, deserialize_with = "or_none")]
    pub(crate) digit: Option<Box<str>>,
    /// `sms` and `injected`: seconds from the start of the call.
    #[serde(default, deserialize_with = "amount")]
    pub(crate) time_sec: Option<f64>,
}

/// A word and when it was said, in seconds of call audio (approximate).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "a word object")]
pub(crate) struct Word {
    #[serde(default, deserialize_with = "amount")]
    pub(crate) start: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) end: Option<f64>,
}

/// `call_analysis`, present once post-call analysis has run (`call_analyzed`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "a call analysis object")]
pub(crate) struct CallAnalysis {
    pub(crate) call_summary: Option<String>,
    pub(crate) call_successful: Option<bool>,
    pub(crate) in_voicemail: Option<bool>,
    /// `Negative`, `Positive`, `Neutral`, `Unknown`.
    pub(crate) user_sentiment: Option<String>,
    /// Whatever the agent's post-call analysis schema extracts.
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) custom_analysis_data: Option<Value>,
}

/// `call_cost`, in cents.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "a call cost object")]
pub(crate) struct CallCost {
    #[serde(default, deserialize_with = "amount")]
    pub(crate) combined_cost: Option<f64>,
    #[serde(default, deserialize_with = "bounded_list")]
    pub(crate) product_costs: Option<Vec<ProductCost>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "a product cost object")]
pub(crate) struct ProductCost {
    pub(crate) product: Option<String>,
    /// Cents.
    #[serde(default, deserialize_with = "amount")]
    pub(crate) cost: Option<f64>,
    /// The cost of a transfer leg (the call to the transfer target).
    pub(crate) is_transfer_leg_cost: Option<bool>,
}

/// The body of `POST /v3/list-calls`: `{items, has_more, pagination_key, total?}`.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a list of calls")]
pub(crate) struct ListPage<'a> {
    #[serde(borrow, deserialize_with = "bounded_items")]
    pub(crate) items: Vec<&'a RawValue>,
    pub(crate) has_more: Option<bool>,
    /// Opaque: send it back as is for the next page.
    pub(crate) pagination_key: Option<String>,
    /// Only with `include_total`, which voiceport does not send (it costs Retell a query).
    #[serde(default, deserialize_with = "count")]
    pub(crate) total: Option<u64>,
}

/// The request of `POST /v3/list-calls`. `skip` is never sent: it must not go with
/// `pagination_key`, and voiceport pages by cursor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ListRequest {
    #[serde(skip_serializing_if = "FilterCriteria::is_empty")]
    pub(crate) filter_criteria: FilterCriteria,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sort_order: Option<&'static str>,
    pub(crate) limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pagination_key: Option<String>,
}

/// `filter_criteria`: every condition set is ANDed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct FilterCriteria {
    /// Agents, ORed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) agent: Option<Vec<AgentFilter>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) call_type: Option<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) call_status: Option<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) direction: Option<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) from_number: Option<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) to_number: Option<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) start_timestamp: Option<Filter>,
}

impl FilterCriteria {
    fn is_empty(&self) -> bool {
        self == &FilterCriteria::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct AgentFilter {
    pub(crate) agent_id: String,
}

/// One filter condition: `{type, op, value}` (`string`/`eq`, `enum`/`in`, `number`/`ge`,
/// `range`/`bt` …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Filter {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) op: &'static str,
    pub(crate) value: Value,
}

/// The body of `POST /v2/create-phone-call`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CreatePhoneCall {
    /// E.164, a number of the account.
    pub(crate) from_number: String,
    pub(crate) to_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) override_agent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metadata: Option<BTreeMap<String, Value>>,
    /// Prompt variables: strings only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retell_llm_dynamic_variables: Option<BTreeMap<String, String>>,
    /// Other body fields, passed through (`custom_sip_headers`, `agent_override` …).
    #[serde(flatten)]
    pub(crate) extra: Map<String, Value>,
}

/// The body of `PATCH /v2/update-call/{call_id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct UpdateCall {
    pub(crate) metadata: BTreeMap<String, Value>,
}

// Webhook deliveries (`{event, call}`).

/// The outer shape of a delivery. The name is read as any JSON (text borrowed from the
/// body), so that one of the wrong type is a clear error at `event`.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a webhook delivery (an object)")]
pub(crate) struct Delivery<'a> {
    #[serde(borrow)]
    pub(crate) event: Option<AnyJson<'a>>,
    #[serde(borrow)]
    pub(crate) call: Option<&'a RawValue>,
    /// A transfer event's destination (`{"number": …}`): what tells two transfers of one
    /// call apart.
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) transfer_destination: Option<Value>,
}

/// The fields of the call the envelope needs before (or besides) decoding it, read in one
/// pass that skips the rest.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a webhook delivery (an object)")]
pub(crate) struct Peek<'a> {
    #[serde(borrow)]
    pub(crate) call_id: Option<AnyJson<'a>>,
    /// Kept raw, and read only for a `transfer_ended`: this pass is lenient (a call it
    /// cannot read is no call), and a value over the body's budget must refuse the delivery.
    #[serde(borrow)]
    pub(crate) transfer_end_timestamp: Option<&'a RawValue>,
    /// A `call_analyzed`'s analysis, which tells a re-run's event from a redelivery.
    #[serde(borrow)]
    pub(crate) call_analysis: Option<&'a RawValue>,
}
