//! The capability guard: every request is checked against the adapter's capabilities and id
//! formats before any adapter code runs.

use crate::{
    CallId, CallQuery, CallUpdate, DialRequest, Error, MetadataMode, NoteId, NoteInput, NoteUpdate,
    Operation, Result,
};

use super::Adapter;

/// `Unsupported` unless the capabilities say `operation` is supported
/// ([`Capabilities::supports`](crate::Capabilities::supports), the one table of which flag allows what).
pub(super) fn flag<A: Adapter>(adapter: &A, operation: Operation) -> Result<()> {
    match adapter.capabilities().supports(operation) {
        Some(true) => Ok(()),
        _ => Err(Error::unsupported(adapter.kind(), operation)),
    }
}

/// A per-call operation: its flag, then the call id's shape.
pub(super) fn call<A: Adapter>(adapter: &A, operation: Operation, id: &CallId) -> Result<()> {
    flag(adapter, operation)?;
    call_id(adapter, operation, id)
}

/// The call id's shape.
fn call_id<A: Adapter>(adapter: &A, operation: Operation, id: &CallId) -> Result<()> {
    let checked =
        (adapter.call_id_format()).check(adapter.kind(), operation, "call id", id.as_str());
    // Quoted in the refusal: hidden should it be the key, passed by mistake.
    super::hidden(adapter, checked)
}

/// A note operation: the notes flag, the call id, the note id.
pub(super) fn note<A: Adapter>(
    adapter: &A,
    operation: Operation,
    id: &CallId,
    note_id: &NoteId,
) -> Result<()> {
    call(adapter, operation, id)?;
    let checked =
        (adapter.note_id_format()).check(adapter.kind(), operation, "note id", note_id.as_str());
    super::hidden(adapter, checked)
}

/// A new note's text: a note that says nothing (`notes add ID ""`) is refused, not
/// stored. (A change to a note may leave its text as it is, and only flag it.)
pub(super) fn note_text<A: Adapter>(
    adapter: &A,
    operation: Operation,
    note: &NoteInput,
) -> Result<()> {
    if note.content.trim().is_empty() {
        let message = "the note's `content` is empty: give the note's text";
        return Err(Error::invalid_input(adapter.kind(), operation, message));
    }
    Ok(())
}

/// A note update that changes something: new text or a flag.
pub(super) fn note_update<A: Adapter>(
    adapter: &A,
    operation: Operation,
    update: &NoteUpdate,
) -> Result<()> {
    if update.changes_nothing() {
        let message = "the note update changes nothing: give new `content` or a `flagged` value";
        return Err(Error::invalid_input(adapter.kind(), operation, message));
    }
    Ok(())
}

/// A listing: the flag, every filter used, a time range that holds some time, and the page
/// size set within the vendor's bounds. A number filter is written as a dial writes the
/// number called (`+1 (415) 555-0187` as `+14155550187`): vendors store and compare
/// numbers in E.164, so the number a call was dialed to finds it.
pub(super) fn list<A: Adapter>(adapter: &A, query: &CallQuery) -> Result<CallQuery> {
    let caps = adapter.capabilities();
    flag(adapter, Operation::ListCalls)?;
    query.ensure_supported(adapter.kind(), &caps)?;
    // Its refusals quote the filters' values: hidden should one be the key.
    super::hidden(adapter, query.validate(adapter.kind()))?;
    let mut query = query.clone();
    query.page_size = Some(caps.page_size(&query));
    for number in [&mut query.from_number, &mut query.to_number] {
        if let Some(written) = number.as_deref()
            && let std::borrow::Cow::Owned(e164) = super::dial_number(written)
        {
            *number = Some(e164);
        }
    }
    Ok(query)
}

/// A dial: the flag, a destination, and a schedule only where the vendor takes one.
pub(super) fn dial<A: Adapter>(adapter: &A, request: &DialRequest) -> Result<()> {
    let refused = adapter.capabilities().refuse_dial(adapter.kind(), request);
    // Its refusals quote the request's values: hidden should one be the key.
    super::hidden(adapter, refused)
}

/// An update: each part it changes needs its flag, and it must change something; the
/// call id is checked last, so that what the vendor cannot do is said first.
pub(super) fn update<A: Adapter>(adapter: &A, id: &CallId, update: &CallUpdate) -> Result<()> {
    let caps = adapter.capabilities();
    let supports = |operation| caps.supports(operation) == Some(true);
    flag(adapter, Operation::UpdateCall)?;
    if update.name.is_some() {
        flag(adapter, Operation::UpdateField("name"))?;
    }
    if update.metadata.is_some() {
        // Where the vendor takes the other mode, the refusal says so.
        let (other, instead) = match update.metadata_mode {
            MetadataMode::Merge => (
                MetadataMode::Replace,
                "only replacing the metadata whole is: send all of it with `MetadataMode::Replace`",
            ),
            MetadataMode::Replace => (
                MetadataMode::Merge,
                "only merging into the metadata is: `MetadataMode::Merge`",
            ),
        };
        let operation = Operation::UpdateField(update.metadata_mode.update_field());
        if !supports(operation) {
            let other = supports(Operation::UpdateField(other.update_field()));
            return Err(match other {
                true => Error::unsupported_because(adapter.kind(), operation, instead),
                false => Error::unsupported(adapter.kind(), operation),
            });
        }
    }
    if update.changes_nothing() {
        return Err(Error::invalid_input(
            adapter.kind(),
            Operation::UpdateCall,
            "the update changes nothing: set `name` or `metadata`",
        ));
    }
    call_id(adapter, Operation::UpdateCall, id)
}
