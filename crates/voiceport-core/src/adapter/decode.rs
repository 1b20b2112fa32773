//! Decoding a call, or each call of a page, so that it keeps its vendor JSON and a mapping
//! that fails is a decode error naming its path.

use std::ops::ControlFlow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::http::decode_raw;
use crate::{Call, CallPage, EachCall, Operation, PageIds, ProviderKind, Result, VendorPayload};

use super::field_path;

/// For a call decoded from the object at `at` of a webhook delivery that then took
/// something from the rest of it (a transcript beside it, a status the event's name
/// decides): the call keeps the whole delivery `body` (read in full by the decoder) as its
/// vendor payload, and its warnings, named inside the object, name their place in the
/// delivery. A call's payload is then all it was normalized from, and its warnings point
/// into it.
///
/// ```
/// use voiceport_core::adapter::keep_whole_delivery;
/// use voiceport_core::{Call, CallId, ProviderKind, WarningKind};
///
/// let body = br#"{"type": "end", "call": {"id": "c1", "created": "soon"}, "content": {}}"#;
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::HappyRobot);
/// call.warn(WarningKind::NotATime, "created", "soon", "not a date");
/// keep_whole_delivery(&mut call, "call", body);
/// assert_eq!(call.warnings[0].field, "call.created");
/// assert_eq!(call.vendor_payload().unwrap().get(), std::str::from_utf8(body).unwrap());
/// ```
pub fn keep_whole_delivery(call: &mut Call, at: &str, body: &[u8]) {
    for warning in &mut call.warnings {
        warning.field = field_path(at, &warning.field);
    }
    call.set_vendor_payload(VendorPayload::from_decoded_body(body));
}

/// A body that is one call object (the answer to get-call): read within the body's
/// [entry budget](super::within_entry_budget), then handed to `decode` (often
/// [`decode_call_with`] at the path `""`), so a body that is no JSON is a decode error of
/// `operation`.
///
/// ```
/// use voiceport_core::adapter::{decode_call_body, decode_call_with};
/// use voiceport_core::{Call, CallId, Operation, ProviderKind};
///
/// #[derive(serde::Deserialize)]
/// struct Wire { id: String }
///
/// let (kind, op) = (ProviderKind::Retell, Operation::GetCall);
/// let map = |wire: Wire| Call::new(CallId::new(wire.id), kind);
/// let body = br#"{"id": "c1"}"#;
/// let call = decode_call_body(kind, op, body, |raw| decode_call_with(kind, op, raw, "", map));
/// assert_eq!(call.unwrap().id.as_str(), "c1");
/// assert!(decode_call_body(kind, op, b"{", |raw| decode_call_with(kind, op, raw, "", map)).is_err());
/// ```
pub fn decode_call_body(
    provider: ProviderKind,
    operation: Operation,
    body: &[u8],
    decode: impl FnOnce(&RawValue) -> Result<Call>,
) -> Result<Call> {
    super::within_entry_budget(body.len(), || {
        decode(crate::http::decode_json(provider, operation, body)?)
    })
}

/// Decodes the call object `raw` (at `path` in the body, for error messages) into the
/// vendor's wire type `W`, maps it with `map`, and keeps `raw` as the call's vendor payload.
pub fn decode_call_with<'de, W: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    path: &str,
    map: impl FnOnce(W) -> Call,
) -> Result<Call> {
    try_decode_call_with(provider, operation, raw, path, |wire| Ok(map(wire)))
}

/// [`decode_call_with`] for a mapping that can fail (a part of the call decoded only when
/// the mapping reads it, an id the vendor's API always sends): its error is returned as
/// it is, and no payload is kept.
pub fn try_decode_call_with<'de, W: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    path: &str,
    map: impl FnOnce(W) -> Result<Call>,
) -> Result<Call> {
    let wire: W = decode_raw(provider, operation, raw, path)?;
    let mut call = map(wire)?;
    call.set_vendor_payload(VendorPayload::from_raw(raw));
    Ok(call)
}

/// A whole page from a streaming page decoder (see
/// [`Codec::decode_page_each`](crate::Codec::decode_page_each)): `decode` hands each call
/// to the sink it is given, and the calls are gathered into the page it returns. It is
/// what [`Codec::decode_page`](crate::Codec::decode_page) does, for a page decoder that
/// takes more than a codec's arguments (a client's paging mode).
///
/// ```
/// use std::ops::ControlFlow;
/// use voiceport_core::adapter::collect_page;
/// use voiceport_core::{Call, CallId, CallPage, ProviderKind};
///
/// let page = collect_page(|each| {
///     for id in ["c1", "c2"] {
///         let _ = each(Call::new(CallId::new(id), ProviderKind::Rounded));
///     }
///     Ok(CallPage::default())
/// })
/// .unwrap();
/// assert_eq!(page.calls.len(), 2);
/// ```
pub fn collect_page(decode: impl FnOnce(EachCall<'_>) -> Result<CallPage>) -> Result<CallPage> {
    let mut calls = Vec::new();
    let mut page = decode(&mut |call| {
        calls.push(call);
        ControlFlow::Continue(())
    })?;
    page.calls = calls;
    Ok(page)
}

/// The loop of a page decoder: each item of the vendor's list decoded by `decode` (given
/// its index, for the error's path: [`decode_list_item`]), its id noted, and handed to
/// `each` when `keep` says so (the filters the vendor cannot apply), until `each` breaks
/// (the items after it are not decoded). Returns the ids of every item decoded, kept or
/// not: the page's [`vendor_ids`](CallPage::vendor_ids), by which the walk catches a
/// server that sends a page again. An item that does not decode fails the page.
///
/// ```
/// use std::ops::ControlFlow;
/// use serde_json::value::RawValue;
/// use voiceport_core::adapter::{decode_list_item, hand_over_items};
/// use voiceport_core::{Call, CallId, Operation, PageIds, ProviderKind};
///
/// #[derive(serde::Deserialize)]
/// struct Wire { id: String }
///
/// let (kind, op) = (ProviderKind::Retell, Operation::ListCalls);
/// let items: Vec<&RawValue> = serde_json::from_str(r#"[{"id": "a"}, {"id": "b"}]"#).unwrap();
/// let decode = |i, raw| {
///     decode_list_item(kind, op, raw, "items", i, |w: Wire| Call::new(CallId::new(w.id), kind))
/// };
/// let mut kept = Vec::new();
/// let ids = hand_over_items(&items, decode, |call| call.id.as_str() == "b", &mut |call| {
///     kept.push(call.id);
///     ControlFlow::Continue(())
/// })
/// .unwrap();
/// assert_eq!(ids, PageIds::of(["a", "b"]));
/// assert_eq!(kept, [CallId::new("b")]);
/// ```
pub fn hand_over_items<'de>(
    items: &[&'de RawValue],
    mut decode: impl FnMut(usize, &'de RawValue) -> Result<Call>,
    keep: impl Fn(&Call) -> bool,
    each: EachCall<'_>,
) -> Result<PageIds> {
    let mut vendor_ids = PageIds::default();
    for (index, raw) in items.iter().enumerate() {
        let call = decode(index, raw)?;
        vendor_ids.push(call.id.as_str());
        if keep(&call) && each(call).is_break() {
            break;
        }
    }
    Ok(vendor_ids)
}

/// Item `index` of the vendor's list `list` (`calls`, `data`): [`decode_call_with`], with
/// the item's JSON path (`calls[3]`) written out only when the item does not decode (a
/// page of 2,000 calls would otherwise format 2,000 paths for nothing).
pub fn decode_list_item<'de, W: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    list: &str,
    index: usize,
    map: impl FnOnce(W) -> Call,
) -> Result<Call> {
    try_decode_list_item(provider, operation, raw, list, index, |wire| Ok(map(wire)))
}

/// [`decode_list_item`] with a mapping that can fail (one that decodes a part of the item
/// itself, as Retell's transcript copies): the same path, written only for an error.
pub fn try_decode_list_item<'de, W: Deserialize<'de>>(
    provider: ProviderKind,
    operation: Operation,
    raw: &'de RawValue,
    list: &str,
    index: usize,
    map: impl FnOnce(W) -> Result<Call>,
) -> Result<Call> {
    let at = || format!("{list}[{index}]");
    let wire: W = crate::http::decode::decode_raw_at(provider, operation, raw, at)?;
    let mut call = map(wire)?;
    call.set_vendor_payload(VendorPayload::from_raw(raw));
    Ok(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_mapping_is_the_decode_error() {
        use crate::{CallId, Error};
        let raw: Box<RawValue> = serde_json::from_str(r#"{"id": ""}"#).unwrap();
        let refuse = |_: serde_json::Value| {
            Err(Error::decode(
                ProviderKind::Rounded,
                Operation::GetCall,
                "id",
                "empty",
                b"",
            ))
        };
        let err = try_decode_call_with(ProviderKind::Rounded, Operation::GetCall, &raw, "", refuse)
            .unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref path, .. } if path == "id"),
            "{err:?}"
        );
        let kept = |_: serde_json::Value| Ok(Call::new(CallId::new("c"), ProviderKind::Rounded));
        let call = try_decode_call_with(ProviderKind::Rounded, Operation::GetCall, &raw, "", kept)
            .unwrap();
        assert_eq!(
            call.vendor_payload().map(|p| p.get()),
            Some(r#"{"id": ""}"#)
        );
    }
}
