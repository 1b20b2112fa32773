//! Webhook deliveries, normalized.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::adapter::non_blank;
use crate::{Call, CallId, CallStatus, ToolCall, Utterance, VendorPayload};

/// One webhook delivery, normalized: what happened ([`CallEvent::kind`]) plus what every
/// delivery carries whatever its kind: the vendor's event type verbatim, the call it
/// concerns when the delivery says, and the delivery's own id and time where the vendor
/// gives them. A receiver de-duplicates redeliveries on the delivery's id, else (for a
/// start, a status change or an end) on the event type, the call, the status and
/// [`distinct_by`](Self::distinct_by), else on the body: not on the time, which a vendor
/// may set anew on each attempt.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::{CallEvent, CallId, CallStatus, EventKind};
/// let mut event = CallEvent::new(
///     "status-update",
///     EventKind::status_changed(CallStatus::Ringing, Some("ringing".into()), None),
/// );
/// event.call_id = Some(CallId::new("c-1"));
/// assert_eq!(event.vendor_event, "status-update");
/// assert_eq!(event.status(), Some(CallStatus::Ringing));
/// ```
///
/// Its JSON (`voiceport listen --json`, the body `--forward` posts) reads back into a
/// `CallEvent`, without [`distinct_by`](Self::distinct_by), which is not written, and with
/// payloads as serde_json writes them rather than byte for byte; see
/// [`Forwarded`](crate::webhook::Forwarded).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CallEvent {
    /// The vendor's event type, verbatim (`end-of-call-report`, `session.status_changed`,
    /// `call_ended` …), known to voiceport or not.
    pub vendor_event: String,
    /// The call the delivery concerns, when it says (some deliveries carry a call without
    /// an id, or no call at all).
    pub call_id: Option<CallId>,
    /// The vendor's id of this delivery, when it has one (a CloudEvents `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// When the vendor says the event happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub occurred_at: Option<DateTime<Utc>>,
    /// What tells this delivery apart from others of the same type for the same call,
    /// where a vendor may send several (a Retell transfer event: the transfer's
    /// destination, as its documentation advises). Part of the de-duplication key of a
    /// start, status change or end; not serialized.
    #[serde(skip)]
    pub distinct_by: Option<String>,
    /// Whether the vendor waits for an answer in the body of its HTTP response, as Vapi
    /// does for `tool-calls` (the tools' results), `assistant-request` (the assistant to
    /// use) and its other requests, and Retell for its inbound webhook (`call_inbound`:
    /// the agent and variables of a call still ringing). Such a delivery is a request
    /// rather than news: a receiver hands every one of them to the application, retries
    /// included, and answers with its reply. Serialized only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expects_reply: bool,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What a webhook delivery says happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A call started.
    #[non_exhaustive]
    Started {
        /// The call as the delivery describes it.
        call: Box<Call>,
    },
    /// A call's status changed.
    #[non_exhaustive]
    StatusChanged {
        /// The new normalized status.
        #[serde(deserialize_with = "crate::model::status_or_unknown")]
        status: CallStatus,
        /// The vendor's status string the status was read from.
        vendor_status: Option<String>,
        /// The call, when the delivery includes it.
        call: Option<Box<Call>>,
    },
    /// A call ended; the call carries its outcome, and, where the vendor sends them with
    /// the event, transcript, recording, cost and analysis.
    #[non_exhaustive]
    Ended {
        /// The call as the delivery describes it.
        call: Box<Call>,
    },
    /// A new piece of transcript.
    #[non_exhaustive]
    TranscriptUpdate {
        /// What was said.
        utterance: Utterance,
        /// The call as the delivery describes it, where the vendor sends the whole call
        /// with each piece (Retell's `transcript_updated`: the call and its transcript so
        /// far, of which `utterance` is the newest spoken entry). Such a vendor's advice is
        /// to keep the latest: its transcript has every entry, those said in the same turn
        /// before `utterance` included.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call: Option<Box<Call>>,
    },
    /// Any other delivery, kept whole.
    #[non_exhaustive]
    Other {
        /// The delivery's JSON.
        payload: VendorPayload,
    },
    /// An event of a kind this release does not know, read from JSON a newer release
    /// wrote (a forward of `voiceport listen`, say): the event's call id, vendor event and
    /// time read back, the fields of its kind do not. No codec produces it.
    #[serde(other)]
    Unknown,
}

impl CallEvent {
    /// An event of type `vendor_event`; its call id is the id of the call `kind` carries,
    /// if any and not blank (set [`CallEvent::call_id`] where the delivery names the call
    /// otherwise).
    pub fn new(vendor_event: impl Into<String>, kind: EventKind) -> Self {
        let call_id = (kind.call())
            .filter(|call| non_blank(call.id.as_str()).is_some())
            .map(|call| call.id.clone());
        CallEvent {
            vendor_event: vendor_event.into(),
            call_id,
            event_id: None,
            occurred_at: None,
            distinct_by: None,
            expects_reply: false,
            kind,
        }
    }

    /// The call id the event concerns, where known.
    pub fn call_id(&self) -> Option<&CallId> {
        self.call_id.as_ref()
    }

    /// The call the delivery carries, if any.
    pub fn call(&self) -> Option<&Call> {
        self.kind.call()
    }

    /// The tool invocations the event carries: those of a piece of transcript, as Vapi's
    /// `tool-calls` request brings them (with [`expects_reply`](Self::expects_reply) set:
    /// the results go in the reply); empty for any other event.
    pub fn tool_calls(&self) -> &[ToolCall] {
        match &self.kind {
            EventKind::TranscriptUpdate { utterance, .. } => &utterance.tool_calls,
            _ => &[],
        }
    }

    /// The call's normalized status after this event, where the event tells it: the new
    /// status of a status change, the ended call's status, the started call's status.
    pub fn status(&self) -> Option<CallStatus> {
        match &self.kind {
            EventKind::StatusChanged { status, .. } => Some(*status),
            EventKind::Started { call } | EventKind::Ended { call } => Some(call.status),
            EventKind::TranscriptUpdate { .. } | EventKind::Other { .. } | EventKind::Unknown => {
                None
            }
        }
    }
}

/// Read by hand rather than derived: serde's derived reading of a flattened, tagged kind
/// goes through its own buffer, which cannot read a number back where serde_json's
/// `arbitrary_precision` feature is on in the build (another crate may turn it on:
/// features are unified). The fields are read from the object one by one, as the derived
/// reading would: the kind by its `event` tag, an unknown tag as
/// [`EventKind::Unknown`], other keys ignored.
impl<'de> Deserialize<'de> for CallEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        use serde_json::Value;
        let mut fields = serde_json::Map::deserialize(deserializer)?;
        // A field read as `T`: absent is `null`, which an `Option` reads as `None`.
        fn field<T: serde::de::DeserializeOwned, E: serde::de::Error>(
            fields: &mut serde_json::Map<String, Value>,
            name: &str,
        ) -> Result<T, E> {
            let value = fields.remove(name).unwrap_or(Value::Null);
            T::deserialize(value).map_err(|e| E::custom(format_args!("`{name}`: {e}")))
        }
        let vendor_event: Option<String> = field(&mut fields, "vendor_event")?;
        let vendor_event = vendor_event.ok_or_else(|| D::Error::missing_field("vendor_event"))?;
        let tag: Option<String> = field(&mut fields, "event")?;
        let kind = match tag.as_deref() {
            Some("started") => EventKind::Started {
                call: field(&mut fields, "call")?,
            },
            Some("status_changed") => EventKind::StatusChanged {
                status: crate::model::status_or_unknown(
                    fields.remove("status").unwrap_or(Value::Null),
                )
                .map_err(|e| D::Error::custom(format_args!("`status`: {e}")))?,
                vendor_status: field(&mut fields, "vendor_status")?,
                call: field(&mut fields, "call")?,
            },
            Some("ended") => EventKind::Ended {
                call: field(&mut fields, "call")?,
            },
            Some("transcript_update") => EventKind::TranscriptUpdate {
                utterance: field(&mut fields, "utterance")?,
                call: field(&mut fields, "call")?,
            },
            Some("other") => EventKind::Other {
                payload: field(&mut fields, "payload")?,
            },
            Some(_) => EventKind::Unknown,
            None => return Err(D::Error::missing_field("event")),
        };
        let occurred_at: Option<DateTime<Utc>> = field(&mut fields, "occurred_at")?;
        let expects_reply: Option<bool> = field(&mut fields, "expects_reply")?;
        Ok(CallEvent {
            vendor_event,
            call_id: field(&mut fields, "call_id")?,
            event_id: field(&mut fields, "event_id")?,
            occurred_at,
            distinct_by: None,
            expects_reply: expects_reply.unwrap_or(false),
            kind,
        })
    }
}

/// The kinds' constructors, for a vendor's codec: the variants are `#[non_exhaustive]`, so
/// that a field can be added to one after 0.2 (match them with `..`).
impl EventKind {
    /// A call started: `call` as the delivery describes it.
    pub fn started(call: impl Into<Box<Call>>) -> Self {
        EventKind::Started { call: call.into() }
    }

    /// A call's status changed to `status`, read from the vendor's `vendor_status`; `call`
    /// where the delivery includes it.
    pub fn status_changed(
        status: CallStatus,
        vendor_status: Option<String>,
        call: Option<Box<Call>>,
    ) -> Self {
        EventKind::StatusChanged {
            status,
            vendor_status,
            call,
        }
    }

    /// A call ended: `call` as the delivery describes it, with its outcome.
    pub fn ended(call: impl Into<Box<Call>>) -> Self {
        EventKind::Ended { call: call.into() }
    }

    /// A new piece of transcript, `utterance`; `call` where the vendor sends the whole call
    /// with each piece (see [`EventKind::TranscriptUpdate`]).
    pub fn transcript_update(utterance: Utterance, call: Option<Box<Call>>) -> Self {
        EventKind::TranscriptUpdate { utterance, call }
    }

    /// Any other delivery, kept whole as `payload`.
    pub fn other(payload: VendorPayload) -> Self {
        EventKind::Other { payload }
    }

    /// [`Other`](EventKind::Other), the delivery `body` kept whole as its payload. For a
    /// decoder that has just read `body` in full as one JSON value (a typed pass over the
    /// whole delivery): the body is kept as it is, not delimited again
    /// ([`VendorPayload::from_decoded_body`]).
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::EventKind;
    /// let EventKind::Other { payload, .. } = EventKind::kept_whole(br#" {"type": "hang"} "#) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(payload.get(), r#"{"type": "hang"}"#);
    /// ```
    pub fn kept_whole(body: &[u8]) -> EventKind {
        EventKind::Other {
            payload: VendorPayload::from_decoded_body(body),
        }
    }

    /// The call this kind of event carries, if any.
    pub fn call(&self) -> Option<&Call> {
        match self {
            EventKind::Started { call } | EventKind::Ended { call } => Some(call),
            EventKind::StatusChanged { call, .. } | EventKind::TranscriptUpdate { call, .. } => {
                call.as_deref()
            }
            EventKind::Other { .. } | EventKind::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderKind;

    #[test]
    fn tool_calls_are_those_of_a_piece_of_transcript_only() {
        let mut utterance = Utterance::new(crate::Speaker::Agent, None);
        let call = ToolCall::new(
            Some("call_8f2e1c".into()),
            Some("book_appointment".into()),
            Some(r#"{"day":"Tuesday"}"#.into()),
        );
        utterance.tool_calls.push(call.clone());
        let event = CallEvent::new(
            "tool-calls",
            EventKind::TranscriptUpdate {
                utterance,
                call: None,
            },
        );
        assert_eq!(event.tool_calls(), [call]);
        let status = EventKind::StatusChanged {
            status: CallStatus::InProgress,
            vendor_status: None,
            call: None,
        };
        assert!(
            CallEvent::new("status-update", status)
                .tool_calls()
                .is_empty()
        );
    }

    #[test]
    fn the_call_id_comes_from_the_call_and_serializes_flat() {
        let call = Call::new(CallId::new("c-9"), ProviderKind::Voicebot);
        let event = CallEvent::new(
            "end-of-call-report",
            EventKind::Ended {
                call: Box::new(call),
            },
        );
        assert_eq!(event.call_id().map(CallId::as_str), Some("c-9"));
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "ended");
        assert_eq!(json["vendor_event"], "end-of-call-report");
        assert_eq!(json["call_id"], "c-9");
        assert!(json.get("event_id").is_none());
    }

    #[test]
    fn a_piece_of_transcript_reads_back_with_its_call_or_without() {
        let utterance = Utterance::new(crate::Speaker::Customer, Some("Tuesday works.".into()));
        let alone = EventKind::TranscriptUpdate {
            utterance: utterance.clone(),
            call: None,
        };
        let json = serde_json::to_value(CallEvent::new("transcript", alone)).unwrap();
        assert!(json.get("call").is_none(), "{json}");
        let call = Call::new(CallId::new("call_45802f"), ProviderKind::Retell);
        let with_call = EventKind::TranscriptUpdate {
            utterance,
            call: Some(Box::new(call)),
        };
        let event = CallEvent::new("transcript_updated", with_call);
        assert_eq!(event.call_id().map(CallId::as_str), Some("call_45802f"));
        let json = serde_json::to_string(&event).unwrap();
        let read: CallEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(read, event);
        assert_eq!(read.call().map(|c| c.id.as_str()), Some("call_45802f"));
    }

    #[test]
    fn a_blank_call_id_names_no_call() {
        for blank in ["", " \t"] {
            let call = Call::new(CallId::new(blank), ProviderKind::HappyRobot);
            let event = CallEvent::new("start", EventKind::Started { call: call.into() });
            assert_eq!(event.call_id(), None, "{blank:?}");
        }
    }

    #[test]
    fn an_event_of_a_newer_kind_reads_back_as_unknown() {
        let json = r#"{"vendor_event": "transfer-update", "call_id": "c-4",
            "occurred_at": "2026-03-19T17:20:07.746Z", "event": "transferred",
            "destination": "+16175550187"}"#;
        let event: CallEvent = serde_json::from_str(json).unwrap();
        assert_eq!(event.kind, EventKind::Unknown);
        assert_eq!(event.call_id().map(CallId::as_str), Some("c-4"));
        assert_eq!(event.vendor_event, "transfer-update");
        assert!(event.occurred_at.is_some() && event.status().is_none());
    }

    #[test]
    fn an_event_without_a_call_has_no_id_and_no_status() {
        let payload = VendorPayload::from_value(&serde_json::json!({"type": "hang"}));
        let event = CallEvent::new("hang", EventKind::Other { payload });
        assert!(event.call_id().is_none());
        assert!(event.status().is_none());
    }
}
