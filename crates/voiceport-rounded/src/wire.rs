//! Rounded's JSON, exactly as Rounded spells it (docs/vendors/rounded.md).
//!
//! Every v1 response is wrapped in an [`Envelope`]; the call object is [`Call`]. Every
//! field Rounded may leave out or send as `null` is an `Option`; unknown fields are
//! ignored here (the raw vendor payload kept on each normalized call still has them).
//! Only the fields voiceport reads are declared. Vendor enums are open: a value this
//! version does not know lands in `Other(String)`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};
use voiceport_core::adapter::{
    AnyJson, Text, amount, bounded_json, bounded_list, bounded_value, count, or_none,
};

voiceport_core::open_enum! {
    /// A call's `type` (and the list filter `call_type`).
    pub(crate) enum CallType {
        PhoneCall => "phone_call",
        WebCall => "web_call",
    }
}

voiceport_core::open_enum! {
    /// A call's `status`. Documented: `created` and `completed`. Every other value is
    /// **inferred** (the docs do not list the whole set; docs/vendors/rounded.md); they are
    /// listed so that the status table can name them.
    pub(crate) enum CallStatus {
        // Grouped as the status table maps them.
        Created => "created", Queued => "queued",
        Ringing => "ringing",
        InProgress => "in_progress", Ongoing => "ongoing", Active => "active",
        Transferred => "transferred",
        Completed => "completed", Ended => "ended",
        Failed => "failed", Error => "error",
        NoAnswer => "no_answer", NotAnswered => "not_answered",
        Busy => "busy",
        Canceled => "canceled", Cancelled => "cancelled",
    }
}

voiceport_core::open_enum! {
    /// Who (or what) answered: `answer_type`. Documented: `human` (first enum member); the
    /// machine values are **inferred**. Other machine-detection outcomes (`machine_start`,
    /// `machine_end_beep`, `fax`, `unknown` …) arrive as `Other` and are sorted into
    /// families by the status table.
    pub(crate) enum AnswerType {
        Human => "human",
        Voicemail => "voicemail",
        Machine => "machine",
        AnsweringMachine => "answering_machine",
    }
}

voiceport_core::open_enum! {
    /// A transcript entry's `role`. Documented: `user`; the agent-side and tool role names
    /// are **inferred** (docs/vendors/rounded.md).
    pub(crate) enum Role {
        User => "user",
        Agent => "agent", Assistant => "assistant", Bot => "bot",
        Tool => "tool", ToolCall => "tool_call", ToolResult => "tool_result", Function => "function",
        System => "system",
    }
}

/// The wrapper around every v1 response: `{message, data, error, status}`.
///
/// `error` may be present on a successful response (the generated doc examples show one);
/// success is keyed on the HTTP status and on `data`. What surrounds `data` is read
/// leniently: a `message`, `error` or `status` of another type than documented (a status
/// `"201"` or `201.0`, an error `"none"`) is left out rather than failing the response,
/// since a failed decode of a started call's answer would lose its id. Only an object is
/// an envelope (serde's derive would take an array too, its items in field order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Envelope<T> {
    /// Human-readable (`"Call retrieved successfully"` …). Don't match on it.
    pub(crate) message: Option<String>,
    pub(crate) data: Option<T>,
    pub(crate) error: Option<ApiError>,
    /// The HTTP status, repeated in the body.
    pub(crate) status: Option<u16>,
}

/// [`Envelope`]'s fields as read from its object. Not `#[serde(default)]` as a whole,
/// which would need `T: Default`; a missing `data` reads as `None` anyway.
#[derive(Deserialize)]
#[serde(expecting = "a response object")]
struct EnvelopeFields<T> {
    #[serde(default, deserialize_with = "or_none")]
    message: Option<String>,
    data: Option<T>,
    #[serde(default, deserialize_with = "or_none")]
    error: Option<ApiError>,
    #[serde(default, deserialize_with = "status_or_none")]
    status: Option<u16>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Envelope<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectOnly<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ObjectOnly<T> {
            type Value = Envelope<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a response envelope (an object)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let fields = EnvelopeFields::<T>::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(Envelope {
                    message: fields.message,
                    data: fields.data,
                    error: fields.error,
                    status: fields.status,
                })
            }
        }
        deserializer.deserialize_map(ObjectOnly(std::marker::PhantomData))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "an error object")]
pub(crate) struct ApiError {
    #[serde(default, deserialize_with = "bounded_list")]
    pub(crate) details: Option<Vec<ErrorDetail>>,
    #[serde(deserialize_with = "or_none")]
    pub(crate) message: Option<String>,
    #[serde(deserialize_with = "status_or_none")]
    pub(crate) status: Option<u16>,
}

/// An HTTP status as a number (`201`, `201.0`) or a string of digits (`"201"`); `None`
/// for anything else.
fn status_or_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u16>, D::Error> {
    // Read as any count is (core's `count`), then anything else is left out too.
    let status = count(bounded_json(deserializer)?).ok().flatten();
    Ok(status.and_then(|status| u16::try_from(status).ok()))
}

/// One problem with one field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "an error detail object")]
pub(crate) struct ErrorDetail {
    pub(crate) field: Option<String>,
    pub(crate) message: Option<String>,
}

/// A call: `data` of get-call and update-call, and each item of a list (documented).
/// Times are ISO 8601, numbers E.164, durations seconds; the cost's currency is not
/// stated. Web calls lack the phone fields. Not `#[serde(default)]`: `id` is required.
///
/// Times are only parsed, so they borrow from the body (`Cow`: an escaped string is the
/// rare one that needs a copy); text the normalized call keeps is decoded owned and moved.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(expecting = "a call object")]
pub(crate) struct Call<'a> {
    pub(crate) id: String,
    pub(crate) organization_id: Option<String>,
    #[serde(rename = "type")]
    pub(crate) call_type: Option<CallType>,
    pub(crate) agent_id: Option<String>,
    pub(crate) status: Option<CallStatus>,
    /// Documented as an object; any other JSON value is kept whole.
    #[serde(borrow)]
    pub(crate) metadata: Option<AnyJson<'a>>,
    /// Not documented for calls (the phone-number list pages by a `created_at`): read when
    /// Rounded sends it, so that a call that never connected still has a creation time.
    #[serde(borrow)]
    pub(crate) created_at: Option<Text<'a>>,
    /// When the call started; the list's time filter and cursor are on this field.
    #[serde(borrow)]
    pub(crate) start_time: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) end_time: Option<Text<'a>>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) duration_seconds: Option<f64>,
    /// Seconds the call spent redirected (transferred) to another party; `0` without a
    /// redirect. The meaning is inferred from the name (docs/vendors/rounded.md).
    #[serde(default, deserialize_with = "amount")]
    pub(crate) redirect_duration_seconds: Option<f64>,
    #[serde(default, deserialize_with = "amount")]
    pub(crate) cost: Option<f64>,
    /// Lines prefixed `Agent:` / `User:`.
    pub(crate) transcript_string: Option<String>,
    /// List items carry it only with `include_transcript`.
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) transcript: Option<Vec<TranscriptEntry<'a>>>,
    #[serde(default, deserialize_with = "bounded_list")]
    pub(crate) variable_values: Option<Vec<VariableValue>>,
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    pub(crate) post_call_answers: Option<Vec<PostCallAnswer<'a>>>,
    pub(crate) answer_type: Option<AnswerType>,
    pub(crate) from_number: Option<String>,
    pub(crate) to_number: Option<String>,
    /// Documented: `inbound`; `outbound` is inferred.
    pub(crate) direction: Option<String>,
    /// Pre-signed, valid about an hour (inferred).
    pub(crate) recording_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "a transcript entry object")]
pub(crate) struct TranscriptEntry<'a> {
    pub(crate) role: Option<Role>,
    /// Wall clock, as ISO 8601 text (documented); anything else is read as no time.
    #[serde(borrow)]
    pub(crate) start_time: Option<AnyJson<'a>>,
    /// What was said, or the tool call or result: text, or any JSON (a tool's entry may
    /// carry an object; it is kept as its JSON text rather than failing the call).
    #[serde(borrow)]
    pub(crate) content: Option<AnyJson<'a>>,
}

impl TranscriptEntry<'_> {
    /// Its `start_time` as text: a string as sent; anything else (a number, which the
    /// vendor does not document) as its JSON text, which reads as no time.
    pub(crate) fn start_text(&self) -> Option<Cow<'_, str>> {
        match self.start_time.as_ref()? {
            AnyJson::Text(text) => Some(Cow::Borrowed(text)),
            AnyJson::Other(Value::Null) => None,
            other => Some(Cow::Owned(other.clone().into_value().to_string())),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "a variable object")]
pub(crate) struct VariableValue {
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) value: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "a post-call answer object")]
pub(crate) struct PostCallAnswer<'a> {
    #[serde(borrow)]
    pub(crate) question: Option<Question<'a>>,
    pub(crate) has_answer: Option<bool>,
    pub(crate) answer_text: Option<String>,
    pub(crate) answer_number: Option<Number>,
    pub(crate) answer_boolean: Option<bool>,
    #[serde(default, deserialize_with = "bounded_list")]
    pub(crate) selected_options: Option<Vec<SelectedOption>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "a question object")]
pub(crate) struct Question<'a> {
    /// The key of the extracted value when `name` is missing or empty.
    #[serde(borrow)]
    pub(crate) id: Option<Text<'a>>,
    /// The key of the extracted value.
    #[serde(borrow)]
    pub(crate) name: Option<Text<'a>>,
    /// Which of the answer's fields holds the answer: `boolean` documented, the others
    /// (`text`, `number` …) inferred.
    #[serde(borrow)]
    pub(crate) question_type: Option<Text<'a>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "an option object")]
pub(crate) struct SelectedOption {
    pub(crate) option: Option<QuestionOption>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[serde(expecting = "an option object")]
pub(crate) struct QuestionOption {
    #[serde(default, deserialize_with = "bounded_value")]
    pub(crate) value: Option<Value>,
}

/// A `GET /v1/calls` body, read in one pass: the envelope's fields (each call kept as raw
/// JSON, decoded one by one so that an error names `data[i]`) and the paging fields next to
/// them. [`ListBody::split`] hands out the two halves.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a response object")]
pub(crate) struct ListBody<'a> {
    // Read as leniently as [`Envelope`]'s.
    #[serde(default, deserialize_with = "or_none")]
    message: Option<String>,
    #[serde(borrow, default, deserialize_with = "bounded_list")]
    data: Option<Vec<&'a RawValue>>,
    #[serde(default, deserialize_with = "or_none")]
    error: Option<ApiError>,
    #[serde(default, deserialize_with = "status_or_none")]
    status: Option<u16>,
    next_cursor: Option<String>,
    #[serde(default, deserialize_with = "count")]
    current_page: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    total_pages: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    total_items: Option<u64>,
}

impl<'a> ListBody<'a> {
    /// The envelope and the paging fields.
    pub(crate) fn split(self) -> (Envelope<Vec<&'a RawValue>>, ListPaging) {
        let envelope = Envelope {
            message: self.message,
            data: self.data,
            error: self.error,
            status: self.status,
        };
        let paging = ListPaging {
            next_cursor: self.next_cursor,
            current_page: self.current_page,
            total_pages: self.total_pages,
            total_items: self.total_items,
        };
        (envelope, paging)
    }
}

/// The paging fields of a `GET /v1/calls` body, next to its envelope: `next_cursor` in
/// cursor mode only, the page fields in page mode only. Read by [`ListBody`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ListPaging {
    /// An ISO timestamp.
    pub(crate) next_cursor: Option<String>,
    /// 1-based.
    pub(crate) current_page: Option<u64>,
    pub(crate) total_pages: Option<u64>,
    pub(crate) total_items: Option<u64>,
}

/// The body of `POST /v1/calls/phone`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct StartCallBody {
    /// E.164, a number of your organization.
    pub(crate) from_number: String,
    pub(crate) to_number: String,
    pub(crate) agent_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dynamic_variables_values: Option<BTreeMap<String, Value>>,
    /// Other body fields, passed through (the SIP headers object, whose name is
    /// undocumented, for example).
    #[serde(flatten)]
    pub(crate) extra: Map<String, Value>,
}

/// `data` of the start-call answer (HTTP 201).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(expecting = "a started call object")]
pub(crate) struct StartCallData {
    pub(crate) call_id: String,
}

/// The body of `PATCH /v1/calls/{call_id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct UpdateCallBody {
    pub(crate) metadata: BTreeMap<String, Value>,
    /// `true` replaces the stored metadata; `false` merges into it. Always sent.
    #[serde(rename = "override")]
    pub(crate) override_metadata: bool,
}

// Webhook deliveries: nothing of their shape is documented (see `webhook`).

/// The (inferred) outer shape of a delivery. Names and times are read as any JSON (text
/// borrowed from the body), so that a field of an unexpected type is a clear error (names)
/// or ignored (times).
#[derive(Debug, Deserialize)]
#[serde(expecting = "a webhook delivery (an object)")]
pub(crate) struct Delivery<'a> {
    #[serde(borrow)]
    pub(crate) event: Option<AnyJson<'a>>,
    #[serde(borrow, rename = "type")]
    pub(crate) event_type: Option<AnyJson<'a>>,
    #[serde(borrow)]
    pub(crate) data: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) call: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) call_id: Option<AnyJson<'a>>,
    #[serde(borrow)]
    pub(crate) timestamp: Option<AnyJson<'a>>,
    #[serde(borrow)]
    pub(crate) time: Option<AnyJson<'a>>,
}

/// What the parser reads of an object that may be the subject, in one pass that skips the
/// rest: its ids, and a call nested in it (`data.call`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "an event subject object")]
pub(crate) struct SubjectHead<'a> {
    #[serde(borrow)]
    pub(crate) id: Option<AnyJson<'a>>,
    #[serde(borrow)]
    pub(crate) call_id: Option<AnyJson<'a>>,
    #[serde(borrow)]
    pub(crate) call: Option<&'a RawValue>,
}

impl<'a> SubjectHead<'a> {
    /// The head of `raw`, an object. A key given twice, which the one pass refuses, is read
    /// as a JSON tree would keep it: the last one counts.
    pub(crate) fn of(raw: &'a RawValue) -> SubjectHead<'a> {
        serde_json::from_str(raw.get()).unwrap_or_else(|_| Self::last_of_each(raw))
    }

    fn last_of_each(raw: &'a RawValue) -> SubjectHead<'a> {
        let fields: BTreeMap<String, &'a RawValue> =
            serde_json::from_str(raw.get()).unwrap_or_default();
        let any = |key: &str| {
            let value: &'a RawValue = fields.get(key).copied()?;
            serde_json::from_str::<AnyJson<'a>>(value.get()).ok()
        };
        SubjectHead {
            id: any("id"),
            call_id: any("call_id"),
            call: fields.get("call").copied(),
        }
    }
}

/// The fields of a subject a status update needs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[serde(expecting = "a status object")]
pub(crate) struct StatusData {
    pub(crate) status: Option<CallStatus>,
    pub(crate) answer_type: Option<AnswerType>,
    /// Read as a call's is: a number, or text holding one.
    #[serde(deserialize_with = "amount")]
    pub(crate) redirect_duration_seconds: Option<f64>,
}
