//! The stateless face of a vendor: its JSON in, normalized values out. No key, no network.
//!
//! Every adapter has one [`Codec`] value. The client uses it to read the vendor's responses;
//! `voiceport normalize`, the snapshot and property tests and the webhook receiver use it
//! directly, without credentials (`voiceport::codec(kind)`).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::ControlFlow;
use std::time::Duration;

use bytes::Bytes;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{
    Call, CallEvent, CallPage, CallQuery, DialOutcome, Error, Operation, ProviderKind, Result,
    Transcript,
};

/// The answer to a dial that is the new call: decoded whole, or, where it does not decode
/// as a call (a field of another type than documented) but its id reads (at
/// [`Codec::call_id_key`]), the id alone (`call: None`): the call is placed, and a decode
/// error would lose the id of a call that rings. Without a readable id, the decode error;
/// a call that decodes with a blank id is one too (at [`Codec::call_id_key`]): no call can
/// be looked up by it. Any other error (a refusal inside the answer) is returned as it is.
pub fn dial_outcome<C: Codec + ?Sized>(codec: &C, body: &[u8]) -> Result<DialOutcome> {
    dial_outcome_of(codec, body, codec.decode_call_as(Operation::Dial, body))
}

/// [`dial_outcome`] for an answer already decoded (`decoded`, from `body`): for a client
/// that decodes a dial's answer with more than its codec knows (the Vapi client fills in
/// the numbers it has learned), so that the answer is decoded once and read by the same
/// rules.
pub fn dial_outcome_of<C: Codec + ?Sized>(
    codec: &C,
    body: &[u8],
    decoded: Result<Call>,
) -> Result<DialOutcome> {
    match decoded {
        Ok(call) if crate::adapter::non_blank(call.id.as_str()).is_some() => Ok(DialOutcome {
            call_id: call.id.clone(),
            call: Some(call),
        }),
        Ok(_) => Err(Error::decode(
            codec.kind(),
            Operation::Dial,
            codec.call_id_key(),
            "the placed call's id is blank",
            body,
        )),
        // Only a body that does not decode may still name the call: a refusal the answer
        // carries is no call, whatever `id` it holds (a request's or an error's).
        Err(error @ Error::Decode { .. }) => {
            match crate::adapter::call_id_at(body, &[codec.call_id_key()]) {
                Some(call_id) => Ok(DialOutcome {
                    call_id,
                    call: None,
                }),
                None => Err(error),
            }
        }
        Err(error) => Err(error),
    }
}

/// What a vendor payload is: which response or delivery it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayloadKind {
    /// One call (the body of get-call, and of most write operations).
    Call,
    /// One page of a call listing.
    Page,
    /// A transcript on its own (vendors that serve it apart from the call).
    Transcript,
    /// A webhook delivery.
    Webhook,
    /// The answer to a dial.
    Dial,
    /// A bare acknowledgement (an envelope without a call).
    Ack,
}

impl PayloadKind {
    /// Every kind, in a fixed order.
    pub const ALL: &'static [PayloadKind] = &[
        PayloadKind::Call,
        PayloadKind::Page,
        PayloadKind::Transcript,
        PayloadKind::Webhook,
        PayloadKind::Dial,
        PayloadKind::Ack,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadKind::Call => "call",
            PayloadKind::Page => "page",
            PayloadKind::Transcript => "transcript",
            PayloadKind::Webhook => "webhook",
            PayloadKind::Dial => "dial",
            PayloadKind::Ack => "ack",
        }
    }
}

impl fmt::Display for PayloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A payload decoded by [`Codec::decode`]. It serializes as an object naming what it is
/// (`{"call": {…}}`, `{"page": {…}}`, `"ack"`), so that one snapshot covers a folder of
/// mixed payloads.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::{Codec, Decoded};
/// # fn snapshot(codec: &dyn Codec, body: &[u8]) -> voiceport::Result<()> {
/// let decoded: Decoded = codec.decode(codec.detect(body), body)?;
/// let json = serde_json::to_value(&decoded).expect("a decoded payload serializes");
/// assert!(json.is_object() || json == "ack");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Decoded {
    /// A call.
    Call(Box<Call>),
    /// A page of calls.
    Page(CallPage),
    /// A transcript.
    Transcript(Transcript),
    /// A webhook event.
    Event(Box<CallEvent>),
    /// The answer to a dial.
    Dial(Box<DialOutcome>),
    /// An acknowledgement that carried nothing else.
    Ack,
}

/// Where a streaming page decoder hands each call as soon as it is decoded
/// ([`Codec::decode_page_each`]); answering [`ControlFlow::Break`] stops the decoding.
pub type EachCall<'a> = &'a mut dyn FnMut(Call) -> ControlFlow<()>;

/// Decodes one vendor's JSON into the normalized model. Stateless: a codec is a plain
/// value, shared by every connection to that vendor.
///
/// ```
/// # use voiceport_core as voiceport;
/// # #[derive(Debug)] struct Example;
/// # impl voiceport::Codec for Example {
/// #   fn kind(&self) -> voiceport::ProviderKind { voiceport::ProviderKind::Rounded }
/// #   fn decode_call_as(
/// #       &self, op: voiceport::Operation, body: &[u8],
/// #   ) -> voiceport::Result<voiceport::Call> {
/// #       Err(voiceport::Error::decode(self.kind(), op, ".", "example", body)) }
/// #   fn decode_page_each(
/// #       &self, _: &[u8], _: &voiceport::CallQuery, _: voiceport::EachCall<'_>,
/// #   ) -> voiceport::Result<voiceport::CallPage> { unreachable!() }
/// #   fn decode_webhook(&self, _: &[u8]) -> voiceport::Result<voiceport::CallEvent> {
/// #       unreachable!() }
/// #   fn detect(&self, _: &[u8]) -> voiceport::PayloadKind { voiceport::PayloadKind::Call }
/// # }
/// use voiceport::{Codec, PayloadKind};
///
/// fn normalize(codec: &dyn Codec, body: &[u8]) -> voiceport::Result<()> {
///     let what = codec.detect(body);
///     let decoded = codec.decode(what, body)?;
///     println!("{what}: {decoded:?}");
///     Ok(())
/// }
/// assert!(normalize(&Example, b"{}").is_err());
/// ```
pub trait Codec: Send + Sync + fmt::Debug {
    /// The vendor whose JSON this is.
    fn kind(&self) -> ProviderKind;

    /// Decodes a body that holds one call, naming `operation` in errors (a dial or an update
    /// answers with a call too). The call keeps its exact vendor JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when `body` is not the vendor's call: it names the provider,
    /// `operation` and the JSON path of the offending value (`data.status`), with an
    /// excerpt of the body. An error the vendor reports inside a success answer (Rounded's
    /// envelope) is the error its status stands for ([`Error::from_status`]:
    /// [`Error::NotFound`], [`Error::InvalidRequest`] …).
    fn decode_call_as(&self, operation: Operation, body: &[u8]) -> Result<Call>;

    /// Decodes the body of the vendor's get-call endpoint.
    ///
    /// # Errors
    ///
    /// As [`decode_call_as`](Codec::decode_call_as), naming [`Operation::GetCall`]:
    /// [`Error::Decode`] with the provider and the JSON path.
    fn decode_call(&self, body: &[u8]) -> Result<Call> {
        self.decode_call_as(Operation::GetCall, body)
    }

    /// Decodes one page of a listing made for `query`, handing each call to `each` as soon
    /// as it is decoded: the filters the vendor cannot apply are applied here, and the
    /// cursor to the next page is derived. A page then costs the memory of one normalized
    /// call at a time, not of all of them (`voiceport normalize` prints a page so). The page
    /// returned has the cursor and total, and no calls; [`decode_page`](Codec::decode_page)
    /// gathers them. It has the ids of every call the vendor sent too, the ones filtered
    /// out included ([`CallPage::vendor_ids`]), which a page walk compares.
    ///
    /// `each` answering [`ControlFlow::Break`] stops the decoding there (the cursor of the
    /// page returned is then not to be followed: it may depend on calls not read). A call
    /// that does not decode is an error after the calls before it were handed over.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use std::ops::ControlFlow;
    /// use voiceport::{CallQuery, Codec};
    ///
    /// fn ids(codec: &dyn Codec, page: &[u8]) -> voiceport::Result<Vec<String>> {
    ///     let mut ids = Vec::new();
    ///     codec.decode_page_each(page, &CallQuery::default(), &mut |call| {
    ///         ids.push(call.id.to_string());
    ///         ControlFlow::Continue(())
    ///     })?;
    ///     Ok(ids)
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] naming the provider, [`Operation::ListCalls`] and the JSON path of
    /// the offending value (`calls[3].status`), for the page's envelope or a call in it; a
    /// page the walk cannot go on from is one too, at `next cursor`
    /// ([`Error::cursor_cycle`]). A vendor error inside a success answer is as in
    /// [`decode_call_as`](Codec::decode_call_as); a `query` whose cursor is not this
    /// vendor's may be refused as [`Error::InvalidRequest`] without a status.
    fn decode_page_each(
        &self,
        body: &[u8],
        query: &CallQuery,
        each: EachCall<'_>,
    ) -> Result<CallPage>;

    /// Decodes one page of a listing made for `query`, its calls gathered:
    /// [`decode_page_each`](Codec::decode_page_each) through
    /// [`collect_page`](crate::adapter::collect_page).
    ///
    /// # Errors
    ///
    /// [`decode_page_each`](Codec::decode_page_each)'s: [`Error::Decode`] naming the
    /// provider, [`Operation::ListCalls`] and the JSON path.
    fn decode_page(&self, body: &[u8], query: &CallQuery) -> Result<CallPage> {
        crate::adapter::collect_page(|each| self.decode_page_each(body, query, each))
    }

    /// Decodes a transcript. By default the vendor serves it inside the call.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] naming the provider, [`Operation::GetTranscript`] and the JSON
    /// path of the offending value (by default, as [`decode_call_as`](Codec::decode_call_as)
    /// reports it).
    fn decode_transcript(&self, body: &[u8]) -> Result<Transcript> {
        let call = self.decode_call_as(Operation::GetTranscript, body)?;
        Ok(call.transcript.unwrap_or_default())
    }

    /// Decodes a webhook delivery into an event.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] naming the provider, [`Operation::ParseWebhook`] and the JSON path
    /// of the offending value, with an excerpt of the body. Its [`outcome`](Error::outcome)
    /// is [`NotApplied`](crate::RequestOutcome::NotApplied): no request was sent.
    fn decode_webhook(&self, body: &[u8]) -> Result<CallEvent>;

    /// How long the vendor waits for the answer to `event`, a request
    /// ([`CallEvent::expects_reply`]), when that limit is the vendor's own and fixed
    /// (Vapi's 7.5 seconds for an `assistant-request`, Retell's 10 seconds for its inbound
    /// webhook); `None` when the wait is the one configured at the vendor, or the event is
    /// no request. A receiver waits no longer than this for the application's answer.
    fn reply_limit(&self, event: &CallEvent) -> Option<Duration> {
        let _ = event;
        None
    }

    /// The key of a call's id in the vendor's JSON (`id`; Retell's `call_id`).
    fn call_id_key(&self) -> &'static str {
        "id"
    }

    /// Decodes the answer to a dial. By default the vendor answers with the new call
    /// ([`dial_outcome`]).
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] naming the provider, [`Operation::Dial`] and the JSON path, when
    /// not even the new call's id reads (a call that does not decode whole but whose id
    /// reads is an outcome without the call). A vendor error inside a success answer is as
    /// in [`decode_call_as`](Codec::decode_call_as).
    fn decode_dial(&self, body: &[u8]) -> Result<DialOutcome> {
        dial_outcome(self, body)
    }

    /// Checks a bare acknowledgement. By default the vendor sends none.
    ///
    /// # Errors
    ///
    /// By default [`Error::Unsupported`], for `Operation::Extension("decode_ack")`. A vendor
    /// that acknowledges: [`Error::Decode`] naming the provider, the operation acknowledged
    /// (Rounded's [`Operation::EndCall`]) and the JSON path, or the vendor error the
    /// acknowledgement carries, as in [`decode_call_as`](Codec::decode_call_as).
    fn decode_ack(&self, body: &[u8]) -> Result<()> {
        let _ = body;
        Err(Error::unsupported(
            self.kind(),
            Operation::Extension("decode_ack"),
        ))
    }

    /// Guesses what `body` is from its shape; [`PayloadKind::Call`] when unsure (the
    /// decoder then says what is wrong, with its JSON path).
    fn detect(&self, body: &[u8]) -> PayloadKind;

    /// Decodes `body` as `what` (a page as for an empty query). A leading UTF-8
    /// byte-order mark is skipped, as [`detect`](Codec::detect) skips it: a file saved by
    /// an editor that writes one decodes as it is detected.
    ///
    /// # Errors
    ///
    /// Those of the `decode_*` method for `what` ([`decode_call`](Codec::decode_call),
    /// [`decode_page`](Codec::decode_page) …): [`Error::Decode`] naming the provider, the
    /// operation and the JSON path.
    fn decode(&self, what: PayloadKind, body: &[u8]) -> Result<Decoded> {
        let body = crate::adapter::strip_bom(body);
        Ok(match what {
            PayloadKind::Call => Decoded::Call(Box::new(self.decode_call(body)?)),
            PayloadKind::Page => Decoded::Page(self.decode_page(body, &CallQuery::default())?),
            PayloadKind::Transcript => Decoded::Transcript(self.decode_transcript(body)?),
            PayloadKind::Webhook => Decoded::Event(Box::new(self.decode_webhook(body)?)),
            PayloadKind::Dial => Decoded::Dial(Box::new(self.decode_dial(body)?)),
            PayloadKind::Ack => {
                self.decode_ack(body)?;
                Decoded::Ack
            }
        })
    }

    /// [`decode`](Codec::decode), the calls' vendor payloads sharing `body` instead of
    /// copying their part of it: for a large page already held as [`Bytes`], half the
    /// memory and no copy per call. The result is the same; only where the payload text
    /// lives differs (see [`sharing_body`](crate::sharing_body)).
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Bytes, Codec, Decoded, PayloadKind};
    ///
    /// fn count_calls(codec: &dyn Codec, page: Vec<u8>) -> voiceport::Result<usize> {
    ///     let body = Bytes::from(page); // takes the vector over, no copy
    ///     Ok(match codec.decode_shared(PayloadKind::Page, &body)? {
    ///         Decoded::Page(page) => page.calls.len(),
    ///         _ => 0,
    ///     })
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`decode`](Codec::decode)'s: [`Error::Decode`] naming the provider, the operation
    /// and the JSON path.
    fn decode_shared(&self, what: PayloadKind, body: &Bytes) -> Result<Decoded> {
        crate::sharing_body(body, || self.decode(what, body))
    }
}

/// The shape of a JSON body, for [`Codec::detect`]: its objects with every key and value,
/// but every array empty; `None` when it is not JSON.
///
/// Detection looks at keys, never at the items of a list, and a list page is almost all
/// items: they are checked and skipped rather than built, so detecting a large page costs a
/// scan, not a parse. Detection looks near the top too: a value inside more than 16
/// nested objects is checked and skipped as well, and is `null` in the shape.
///
/// A value that is JSON but that no typed read takes (a number out of range, such as
/// `1e999`, or an escape of half a UTF-16 pair, such as `"\ud800"`) is `null` in the shape
/// too: the decoders skip such a value in a field they do not read, so a body holding one
/// there is still detected as what it is.
pub fn json_shape(body: &[u8]) -> Option<serde_json::Value> {
    use serde::de::DeserializeSeed;
    let body = crate::adapter::strip_bom(body);
    let mut reader = serde_json::Deserializer::from_slice(body);
    let quick = Shape { depth: 0 }
        .deserialize(&mut reader)
        .and_then(|shape| reader.end().map(|()| shape));
    match quick {
        Ok(shape) => Some(shape),
        // Rare: read again, value by value, only where the quick read failed.
        Err(_) => lenient_shape(serde_json::from_slice(body).ok()?, 0),
    }
}

/// How many nested objects [`json_shape`] keeps: detectors look two or three deep.
const SHAPE_DEPTH: usize = 16;

/// [`json_shape`] of `raw`, `depth` objects down, its objects read key by key and each
/// value as raw text (each nested object's text is read once more, [`SHAPE_DEPTH`] times
/// at most): a scalar no typed read takes is `null`. `None` for a key that is not text.
fn lenient_shape(raw: &RawValue, depth: usize) -> Option<serde_json::Value> {
    use serde_json::Value;
    if depth > SHAPE_DEPTH {
        return Some(Value::Null);
    }
    Some(match raw.get().as_bytes().first() {
        Some(b'{') => {
            // The last of a key given twice, as the quick read's map keeps it.
            let entries: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get()).ok()?;
            let object = (entries.into_iter())
                .map(|(key, value)| Some((key, lenient_shape(value, depth + 1)?)))
                .collect::<Option<serde_json::Map<_, _>>>()?;
            Value::Object(object)
        }
        Some(b'[') => Value::Array(Vec::new()),
        _ => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
    })
}

/// Reads a JSON value [`depth`](Shape::depth) objects down as [`json_shape`] keeps it.
#[derive(Clone, Copy)]
struct Shape {
    /// The objects around the value.
    depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Shape {
    type Value = serde_json::Value;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        if self.depth > SHAPE_DEPTH {
            // Skipped, which checks it without nesting deeper (serde_json stops at 128).
            return serde::de::IgnoredAny::deserialize(deserializer)
                .map(|_| serde_json::Value::Null);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Shape {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(serde_json::Value::Array(Vec::new()))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        let inner = Shape {
            depth: self.depth + 1,
        };
        while let Some(key) = map.next_key::<String>()? {
            // A number, where serde_json's `arbitrary_precision` is on in the build: a
            // one-entry map holding its text.
            if object.is_empty() && key == crate::adapter::number::ARBITRARY_PRECISION_NUMBER {
                let number = crate::adapter::number::arbitrary_precision_number(&mut map)?;
                return Ok(serde_json::Value::Number(number));
            }
            object.insert(key, map.next_value_seed(inner)?);
        }
        Ok(serde_json::Value::Object(object))
    }
}

#[cfg(test)]
mod shape_tests {
    use super::json_shape;
    use serde_json::json;

    #[test]
    fn objects_are_kept_and_arrays_come_back_empty() {
        let body = br#"{"calls": [{"id": "a"}, {"id": "b"}], "count": 2, "next": null,
            "data": {"call_id": "c", "tags": ["x"], "n": -1.5, "ok": true}}"#;
        assert_eq!(
            json_shape(body),
            Some(json!({"calls": [], "count": 2, "next": null,
                "data": {"call_id": "c", "tags": [], "n": -1.5, "ok": true}}))
        );
        assert_eq!(json_shape(b"[1, 2, {\"a\": 3}]"), Some(json!([])));
        assert_eq!(
            json_shape(b"\xEF\xBB\xBF{\"a\": \"b\"}"),
            Some(json!({"a": "b"}))
        );
    }

    /// JSON no typed read takes, in a value: `null` in the shape, every other key kept;
    /// the same in a key: no shape. Values deeper than `SHAPE_DEPTH` objects are skipped,
    /// however deep they go.
    #[test]
    fn a_value_no_typed_read_takes_is_null() {
        let body = br#"{"type": "end", "big": 1e999, "half": "\ud800",
            "call": {"id": "c-1", "tiny": -1e400, "tags": [1e999]}}"#;
        assert_eq!(
            json_shape(body),
            Some(json!({"type": "end", "big": null, "half": null,
                "call": {"id": "c-1", "tiny": null, "tags": []}}))
        );
        assert_eq!(json_shape(br#"{"\ud800": 1}"#), None);
        assert_eq!(json_shape(b"{\"a\": 1e999"), None);
        let nested = |n: usize, value: &str| {
            let body = format!("{}{value}{}", "{\"a\":".repeat(n), "}".repeat(n));
            json_shape(body.as_bytes())
        };
        for (value, expected) in [("1", json!(1)), ("1e999", json!(null))] {
            // The value itself is inside n objects: kept up to the depth, then skipped.
            let kept = nested(super::SHAPE_DEPTH, value).unwrap();
            let inner = "/a".repeat(super::SHAPE_DEPTH);
            assert_eq!(kept.pointer(&inner), Some(&expected), "{value}");
            let deep = nested(100_000, value).unwrap();
            let past = "/a".repeat(super::SHAPE_DEPTH + 1);
            assert_eq!(deep.pointer(&past), Some(&json!(null)), "{value}");
        }
        assert_eq!(nested(100_000, "x"), None);
    }

    #[test]
    fn what_is_not_json_has_no_shape() {
        // A broken item inside a list is still seen: skipping checks the syntax.
        for body in [
            &b"not json"[..],
            b"[1, }",
            b"{\"calls\": [{\"id\": }]}",
            b"",
            b"{} {}",
        ] {
            assert_eq!(json_shape(body), None, "{body:?}");
        }
    }
}
