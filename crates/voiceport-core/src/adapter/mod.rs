//! What an adapter author implements, and what the core does around it.
//!
//! An adapter implements [`Adapter`]: the vendor's requests and nothing else. The core turns
//! every `Adapter` into a [`VoiceProvider`] that checks each call against
//! [`Adapter::capabilities`] and the vendor's id formats *before* any adapter code runs
//! (the capability guard), and that wraps each operation in a tracing span with the
//! provider, its configured name, the operation and the call id. A `false` flag is therefore always
//! [`Error::Unsupported`], for every adapter, without the adapter writing a check.
//!
//! The adapter's operations run only behind the guard: each takes a [`Guarded`], which only
//! the core makes, once the guard has let the call through. Code holding a vendor's client
//! cannot call `Adapter::dial` around the guard by mistake (which would let a dial
//! scheduled in the past, or a malformed id, reach the vendor): it calls
//! [`VoiceProvider::dial`]. (An adapter is handed tokens, and could keep one: the token
//! stops mistakes, not an adapter written to get around the guard.)
//!
//! The helpers here ([`parse_time`], [`decode_call_with`], …) are what every vendor's
//! mapping needs; `docs/adding-a-vendor.md` in the repository walks through a new adapter.
//!
//! Application code never needs this module: it uses [`VoiceProvider`].

pub(crate) mod bounded;
mod bounded_json;
mod call_fields;
mod decode;
mod dial;
mod field;
mod guard;
mod json;
mod json_map;
pub(crate) mod number;
mod off_runtime;
mod text;
mod time;

use async_trait::async_trait;
use tracing::Instrument;

pub use crate::config::AdapterConfig;
pub use bounded::{
    ENTRY_BYTES_PER_BODY_BYTE, MAX_LIST_ITEMS, bounded_items, bounded_list, list_has_room,
    take_entry, within_entry_budget,
};
pub use bounded_json::{bounded_json, bounded_object, bounded_value, json_within_budget, or_none};
pub use call_fields::{
    check_call, field_path, names_no_other, not_over_yet, read_destination, read_direction,
    read_id, recording_at,
};
pub use decode::{
    collect_page, decode_call_body, decode_call_with, decode_list_item, hand_over_items,
    keep_whole_delivery, try_decode_call_with, try_decode_list_item,
};
pub use dial::{
    check_extra_keys, check_unsupported, extra_key_collides, missing_setting, required_setting,
};
pub use field::{call_id_at, call_id_field, text_field};
pub use json::{canonical_json, canonical_raw, is_object, strip_bom, value_text};
pub use json_map::{AnyJson, event_name};
pub use number::{amount, count, finite, read_amount, read_amount_at, round_to};
pub use off_runtime::{DECODE_OFF_RUNTIME_BYTES, decode_off_runtime};
pub use text::{
    Text, dial_number, is_e164, non_blank, non_empty, number_key, same_number, shorten,
    written_otherwise_than_e164,
};
pub use time::{
    elapsed_secs, epoch_by_size, epoch_millis, epoch_secs, format_time, millisecond_before,
    millisecond_of, parse_time, presigned_expiry, read_epoch_millis, read_time, read_time_at,
    recent_epoch_millis, seconds_between, time_after, time_from_json, up_to_millisecond,
};

use crate::{
    Call, CallEvent, CallId, CallPage, CallQuery, CallStatus, CallUpdate, Capabilities, Codec,
    DialOutcome, DialRequest, Error, IdFormat, NoteId, NoteInput, NoteUpdate, Operation,
    ProviderKind, Recording, Result, Transcript, VoiceProvider,
};

/// Proof that the capability guard let an operation through: only the core makes one, in
/// front of each [`VoiceProvider`] operation, so an [`Adapter`]'s operations cannot be
/// called around the guard. An adapter hands on the one it was given when an operation
/// calls another (a read-back through [`Adapter::get_call`]); it never needs to make one.
///
/// Outside `voiceport-core` the type can be named:
///
/// ```
/// let _: Option<voiceport_core::adapter::Guarded> = None;
/// ```
///
/// but not built:
///
/// ```compile_fail,E0603
/// let _ = voiceport_core::adapter::Guarded(());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Guarded(());

/// One vendor's requests. Implement this, not [`VoiceProvider`]: the core derives
/// `VoiceProvider` from it with the capability guard in front.
///
/// Each operation's last parameter is a [`Guarded`], which only the core makes, once the
/// guard has passed: the operations run behind the guard, and code outside the core calls
/// them through `VoiceProvider`. An operation that calls another (a read-back) passes on
/// the one it was given.
///
/// Operations whose capability flag is `false` are never called (the guard answers
/// [`Error::Unsupported`]), so their default bodies are only a safety net. Ids reaching an
/// operation already match [`Adapter::call_id_format`] / [`Adapter::note_id_format`], a
/// query's filters are all supported and its page size is set within the vendor's bounds,
/// a dial has a destination, and an update changes something.
#[async_trait]
pub trait Adapter: Send + Sync + std::fmt::Debug + 'static {
    /// Which vendor this is: its [codec](Adapter::codec)'s kind by default.
    fn kind(&self) -> ProviderKind {
        self.codec().kind()
    }

    /// What the vendor supports; the guard enforces it.
    fn capabilities(&self) -> Capabilities;

    /// The vendor's stateless codec.
    fn codec(&self) -> &'static dyn Codec;

    /// The adapter's [`HttpClient`](crate::http::HttpClient), from which the operations
    /// take the name the provider is configured under and what hides its key (see
    /// [`provider_name`](Adapter::provider_name) and [`secret_mask`](Adapter::secret_mask)):
    /// return `Some(&self.http)`. `None` by default, for an adapter without one (a test
    /// double).
    fn http(&self) -> Option<&crate::http::HttpClient> {
        None
    }

    /// The name the provider is configured under (`sales`), which the operation's span
    /// records as `provider_name`: its [`http`](Adapter::http) client's by default.
    fn provider_name(&self) -> Option<&str> {
        self.http().and_then(crate::http::HttpClient::provider_name)
    }

    /// What hides the provider's key: its [`http`](Adapter::http) client's by default. The
    /// guard's refusals and the errors an adapter builds before sending quote the caller's
    /// values (a malformed call id, a filter), and the operation's span records the call
    /// id: a key passed there by mistake is hidden in all of them, as in every error the
    /// client returns. `None` for an adapter without a client: the caller's values are
    /// then shown as given.
    fn secret_mask(&self) -> Option<&crate::SecretMask> {
        self.http().map(crate::http::HttpClient::secret_mask)
    }

    /// The shape of the vendor's call ids (checked before every per-call request).
    fn call_id_format(&self) -> IdFormat {
        IdFormat::NonEmpty
    }

    /// The shape of the vendor's note ids.
    fn note_id_format(&self) -> IdFormat {
        IdFormat::NonEmpty
    }

    /// Fetches one call.
    async fn get_call(&self, id: &CallId, guarded: Guarded) -> Result<Call>;

    /// Fetches one page of calls (`query.page_size` is set, within the vendor's bounds; a
    /// number filter written with separators after its `+` is E.164 already).
    async fn list_calls(&self, query: &CallQuery, guarded: Guarded) -> Result<CallPage>;

    /// Places an outbound call: one request, never retried once it may have been sent.
    async fn dial(&self, request: &DialRequest, guarded: Guarded) -> Result<DialOutcome> {
        let _ = (request, guarded);
        Err(Error::unsupported(self.kind(), Operation::Dial))
    }

    /// What [`dial`](Adapter::dial) refuses before sending, sending nothing
    /// ([`VoiceProvider::check_dial`], after the guard): an adapter that dials builds its
    /// request here with the builder its `dial` uses, so that the two refuse alike. The
    /// default, for an adapter without a dial (which the guard refuses first), checks
    /// nothing more.
    fn check_dial(&self, request: &DialRequest, guarded: Guarded) -> Result<()> {
        let _ = (request, guarded);
        Ok(())
    }

    /// Changes a call's name or metadata.
    async fn update_call(
        &self,
        id: &CallId,
        update: &CallUpdate,
        guarded: Guarded,
    ) -> Result<Call> {
        let _ = (id, update, guarded);
        Err(Error::unsupported(self.kind(), Operation::UpdateCall))
    }

    /// Fetches a call's transcript; by default from the call (its errors named for
    /// `get_transcript`).
    async fn get_transcript(&self, id: &CallId, guarded: Guarded) -> Result<Transcript> {
        let call = self.get_call(id, guarded).await;
        let call = call.map_err(|e| e.for_operation(Operation::GetTranscript))?;
        Ok(call.transcript.unwrap_or_default())
    }

    /// Fetches a call's recording; by default from the call (its errors named for
    /// `get_recording`).
    async fn get_recording(&self, id: &CallId, guarded: Guarded) -> Result<Option<Recording>> {
        let call = self.get_call(id, guarded).await;
        Ok(call
            .map_err(|e| e.for_operation(Operation::GetRecording))?
            .recording)
    }

    /// Hangs up a live call.
    async fn end_call(&self, id: &CallId, guarded: Guarded) -> Result<()> {
        let _ = (id, guarded);
        Err(Error::unsupported(self.kind(), Operation::EndCall))
    }

    /// Cancels a scheduled or queued call.
    async fn cancel_call(&self, id: &CallId, guarded: Guarded) -> Result<()> {
        let _ = (id, guarded);
        Err(Error::unsupported(self.kind(), Operation::CancelCall))
    }

    /// Deletes a call.
    async fn delete_call(&self, id: &CallId, guarded: Guarded) -> Result<()> {
        let _ = (id, guarded);
        Err(Error::unsupported(self.kind(), Operation::DeleteCall))
    }

    /// Adds a note.
    async fn add_note(&self, id: &CallId, note: &NoteInput, guarded: Guarded) -> Result<Call> {
        let _ = (id, note, guarded);
        Err(Error::unsupported(self.kind(), Operation::AddNote))
    }

    /// Changes a note (never an update that changes nothing: the guard refuses it).
    async fn update_note(
        &self,
        id: &CallId,
        note_id: &NoteId,
        update: &NoteUpdate,
        guarded: Guarded,
    ) -> Result<Call> {
        let _ = (id, note_id, update, guarded);
        Err(Error::unsupported(self.kind(), Operation::UpdateNote))
    }

    /// Deletes a note.
    async fn delete_note(&self, id: &CallId, note_id: &NoteId, guarded: Guarded) -> Result<Call> {
        let _ = (id, note_id, guarded);
        Err(Error::unsupported(self.kind(), Operation::DeleteNote))
    }
}

/// The span every guarded operation runs in.
fn span(adapter: &impl Adapter, operation: Operation, call_id: Option<&CallId>) -> tracing::Span {
    let span = tracing::debug_span!(
        "voiceport.operation",
        provider = %Adapter::kind(adapter),
        // Left out when the provider was not connected from a providers file.
        provider_name = Adapter::provider_name(adapter),
        operation = %operation,
        // Left out when the operation is not about one call (yet: a dial records the call
        // it placed), as in `voiceport.request`.
        call_id = tracing::field::Empty,
        // Set when it fails (`Error::name`): a trace shows which operations failed.
        error_kind = tracing::field::Empty,
        // `ERROR` when it fails: OpenTelemetry's span status, as tracing-opentelemetry
        // reads it (a span exported as failed, whatever its events' levels).
        otel.status_code = tracing::field::Empty,
    );
    if let Some(id) = call_id {
        // Hidden should it hold the key (a caller's mistake): spans reach logs.
        let shown = match adapter.secret_mask() {
            Some(mask) => mask.mask_str(id.as_str()),
            None => std::borrow::Cow::Borrowed(id.as_str()),
        };
        span.record("call_id", shown.as_ref());
    }
    span
}

/// `result` with its error's key hidden ([`Adapter::secret_mask`]): the guard's refusals
/// and the errors an adapter builds before sending quote the caller's values (an id, a
/// filter), which may hold the key by mistake.
pub(super) fn hidden<T>(adapter: &impl Adapter, result: Result<T>) -> Result<T> {
    match adapter.secret_mask() {
        Some(mask) => result.map_err(|error| error.masked(mask)),
        None => result,
    }
}

/// Runs a vendor-only operation (a method of the adapter outside [`VoiceProvider`], which
/// the capability guard does not see) as the guarded ones run: in a `voiceport.operation`
/// span naming the provider, its configured name, `operation` and the call it is about,
/// its failure logged there at debug level (HappyRobot's `set_viewed`, `usage` and the rest
/// run so). Its checks are its own to make, before it, as the guard checks before the
/// trait's. The span records `call_id`, and every error is returned and logged, with the
/// key hidden ([`Adapter::secret_mask`]).
pub async fn run_operation<A: Adapter, T>(
    adapter: &A,
    operation: Operation,
    call_id: Option<&CallId>,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    run(adapter, span(adapter, operation, call_id), work).await
}

/// Runs an operation of `adapter` in `span`, and logs its failure there at debug level: a
/// response that came (its status logged by the request) but did not decode says why, as
/// does any other error, the key hidden in it first.
async fn run<T>(
    adapter: &impl Adapter,
    span: tracing::Span,
    operation: impl Future<Output = Result<T>>,
) -> Result<T> {
    let result = hidden(adapter, operation.instrument(span.clone()).await);
    if let Err(error) = &result {
        error.record_on(&span);
        span.in_scope(|| tracing::debug!(error = %error, "operation failed"));
    }
    result
}

/// Each operation runs the guard first, and makes the [`Guarded`] the adapter's operation
/// takes only once it has passed.
#[async_trait]
impl<A: Adapter> VoiceProvider for A {
    fn kind(&self) -> ProviderKind {
        Adapter::kind(self)
    }

    fn capabilities(&self) -> Capabilities {
        Adapter::capabilities(self)
    }

    async fn get_call(&self, id: &CallId) -> Result<Call> {
        let op = Operation::GetCall;
        guard::call(self, op, id)?;
        let guarded = Guarded(());
        run_operation(self, op, Some(id), Adapter::get_call(self, id, guarded)).await
    }

    async fn list_calls(&self, query: &CallQuery) -> Result<CallPage> {
        let op = Operation::ListCalls;
        let query = guard::list(self, query)?;
        let guarded = Guarded(());
        run_operation(self, op, None, Adapter::list_calls(self, &query, guarded)).await
    }

    async fn dial(&self, request: &DialRequest) -> Result<DialOutcome> {
        let op = Operation::Dial;
        guard::dial(self, request)?;
        let guarded = Guarded(());
        let span = span(self, op, None);
        let dialed = run(self, span.clone(), Adapter::dial(self, request, guarded))
            .await
            .inspect_err(|error| {
                // Said where only warnings are on (the span is at debug level): a call may
                // be live at the vendor, and whoever reads the log must know where.
                if error.call_may_exist() {
                    tracing::warn!(
                        provider = %Adapter::kind(self),
                        provider_name = Adapter::provider_name(self),
                        error_kind = error.name(),
                        status = error.status(),
                        outcome = %error.outcome(),
                        "dial failed after it may have reached the vendor: a call may have been placed"
                    );
                }
            })?;
        // The call placed, in the span (for a subscriber that reports spans when they
        // close) and in an event of it (for one that prints events with their spans).
        span.record("call_id", dialed.call_id.as_str());
        span.in_scope(|| tracing::debug!("call placed"));
        Ok(dialed)
    }

    fn check_dial(&self, request: &DialRequest) -> Result<()> {
        guard::dial(self, request)?;
        // Its refusals may quote the request's values: hidden should one be the key.
        hidden(self, Adapter::check_dial(self, request, Guarded(())))
    }

    async fn update_call(&self, id: &CallId, update: &CallUpdate) -> Result<Call> {
        let op = Operation::UpdateCall;
        guard::update(self, id, update)?;
        let guarded = Guarded(());
        let updated = Adapter::update_call(self, id, update, guarded);
        run_operation(self, op, Some(id), updated).await
    }

    async fn get_transcript(&self, id: &CallId) -> Result<Transcript> {
        let op = Operation::GetTranscript;
        guard::call(self, op, id)?;
        let guarded = Guarded(());
        let transcript = Adapter::get_transcript(self, id, guarded);
        run_operation(self, op, Some(id), transcript).await
    }

    async fn get_recording(&self, id: &CallId) -> Result<Option<Recording>> {
        let op = Operation::GetRecording;
        guard::call(self, op, id)?;
        let guarded = Guarded(());
        let recording = Adapter::get_recording(self, id, guarded);
        run_operation(self, op, Some(id), recording).await
    }

    async fn end_call(&self, id: &CallId) -> Result<()> {
        let op = Operation::EndCall;
        guard::call(self, op, id)?;
        let guarded = Guarded(());
        let ended = Adapter::end_call(self, id, guarded);
        // A refused end of a call that is there and not over is a conflict (see
        // `unless_already`).
        let ended = unless_already(self, id, ended, CallStatus::is_terminal, true, guarded);
        run_operation(self, op, Some(id), ended).await
    }

    async fn cancel_call(&self, id: &CallId) -> Result<()> {
        let op = Operation::CancelCall;
        guard::call(self, op, id)?;
        let guarded = Guarded(());
        let canceled = Adapter::cancel_call(self, id, guarded);
        // A scheduled call refused as missing keeps the not-found: a wrong path or id reads
        // so too, and a conflict would say it is too late to cancel what still waits.
        let canceled_already = |s| s == CallStatus::Canceled;
        let canceled = unless_already(self, id, canceled, canceled_already, false, guarded);
        run_operation(self, op, Some(id), canceled).await
    }

    async fn delete_call(&self, id: &CallId) -> Result<()> {
        let op = Operation::DeleteCall;
        guard::call(self, op, id)?;
        let guarded = Guarded(());
        run_operation(self, op, Some(id), Adapter::delete_call(self, id, guarded)).await
    }

    async fn add_note(&self, id: &CallId, note: &NoteInput) -> Result<Call> {
        let op = Operation::AddNote;
        guard::call(self, op, id)?;
        guard::note_text(self, op, note)?;
        let guarded = Guarded(());
        let added = Adapter::add_note(self, id, note, guarded);
        run_operation(self, op, Some(id), added).await
    }

    async fn update_note(
        &self,
        id: &CallId,
        note_id: &NoteId,
        update: &NoteUpdate,
    ) -> Result<Call> {
        let op = Operation::UpdateNote;
        guard::note(self, op, id, note_id)?;
        guard::note_update(self, op, update)?;
        let guarded = Guarded(());
        let updated = Adapter::update_note(self, id, note_id, update, guarded);
        run_operation(self, op, Some(id), updated).await
    }

    async fn delete_note(&self, id: &CallId, note_id: &NoteId) -> Result<Call> {
        let op = Operation::DeleteNote;
        guard::note(self, op, id, note_id)?;
        let guarded = Guarded(());
        let deleted = Adapter::delete_note(self, id, note_id, guarded);
        run_operation(self, op, Some(id), deleted).await
    }

    fn parse_webhook(&self, body: &[u8]) -> Result<CallEvent> {
        guard::flag(self, Operation::ParseWebhook)?;
        Adapter::codec(self).decode_webhook(body)
    }
}

/// The result of a request that moves a call to a state (`reached`: over, canceled), where
/// the vendor's refusal (a conflict, a 4xx it gives as an invalid request or as another
/// status, but 408, or a not-found: Retell's catch-all 422 reads as one) is read again
/// against the call: already in that
/// state, the request has nothing left to do and succeeds. Vendors differ on ending a call
/// that is over (Rounded documents a 200; HappyRobot's answer is undocumented, and the
/// sandbox refuses it), and the call may be over because of this very request, whose
/// first answer was lost before a retry was refused. An answer cut off is read back the
/// same way (it may have held a refusal): done if the call is in that state, else the cut
/// answer stands.
/// A call that reads back as missing turns a refusal inside a success answer (Rounded's
/// error in a 200, an invalid request with that status) into that not-found. Any other
/// error, or a call not in that state (or not readable, or a vendor without `get_call`),
/// keeps the refusal; but where `refusal_is_conflict` (ending), a not-found, an
/// invalid-request or another 4xx refusal of a call that reads back, not in that state, is a conflict,
/// with the call's status and the vendor's message: the call is there, and cannot be
/// ended as it is (live, yet refused; still scheduled). Every vendor's refusal then reads
/// the same, and an application reading a not-found would stop following a call still
/// under way. `guarded` is the request's, passed on to the read.
async fn unless_already<A: Adapter + ?Sized>(
    adapter: &A,
    id: &CallId,
    request: impl std::future::Future<Output = Result<()>>,
    reached: impl Fn(CallStatus) -> bool,
    refusal_is_conflict: bool,
    guarded: Guarded,
) -> Result<()> {
    let refusal = match request.await {
        Err(
            refusal @ (Error::Conflict { .. }
            | Error::NotFound { .. }
            | Error::InvalidRequest {
                status: Some(_), ..
            }
            // Another 4xx refusal (405, 412, 423 …), but a timeout's 408, which says
            // nothing of the call.
            | Error::UnexpectedStatus {
                status: 400..=407 | 409..=499,
                ..
            }
            // A 2xx whose body broke off, where the adapter reads the answer (Rounded's
            // end): it may have carried a refusal, so the call says what happened.
            | Error::AnswerCut { .. }),
        ) => refusal,
        other => return other,
    };
    // Read through the adapter itself, with the request's proof of the guard (the id is
    // checked already): only where reading a call is one of its capabilities.
    if !adapter.capabilities().get_call {
        return Err(refusal);
    }
    match (adapter.get_call(id, guarded).await, refusal) {
        (Ok(call), _) if reached(call.status) => {
            tracing::debug!(call_status = %call.status, "refused, but the call is there already: done");
            Ok(())
        }
        (
            Ok(call),
            refusal @ (Error::NotFound { .. }
            | Error::InvalidRequest { .. }
            | Error::UnexpectedStatus { .. }),
        ) if refusal_is_conflict => Err(conflict_with(refusal, call.status)),
        (
            Err(Error::NotFound { message, .. }),
            Error::InvalidRequest {
                provider,
                operation,
                status: Some(200..=299),
                ..
            },
        ) => Err(Error::NotFound {
            provider,
            operation,
            message,
        }),
        (_, refusal) => Err(refusal),
    }
}

/// `refusal` (a not-found, an invalid request or another 4xx status) of a call that is
/// there, `status`, as the conflict it is: the call's status first, then the vendor's words
/// (with the fields an invalid request named, or the status, which a conflict has no place
/// for).
fn conflict_with(refusal: Error, status: CallStatus) -> Error {
    let (provider, operation, said) = match refusal {
        Error::NotFound {
            provider,
            operation,
            message,
        } => (provider, operation, message),
        Error::UnexpectedStatus {
            provider,
            operation,
            status,
            message,
        } => {
            let said = message.map_or_else(
                || format!("HTTP {status}"),
                |m| format!("HTTP {status}: {m}"),
            );
            (provider, operation, Some(said))
        }
        Error::InvalidRequest {
            provider,
            operation,
            message,
            details,
            ..
        } => {
            let fields = details.iter().map(crate::FieldError::said);
            let said = std::iter::once(message)
                .filter(|message| !message.trim().is_empty())
                .chain(fields);
            (
                provider,
                operation,
                Some(said.collect::<Vec<_>>().join("; ")),
            )
        }
        other => return other,
    };
    let status = format!("the call exists, {status}");
    let message = match said.filter(|said| !said.trim().is_empty()) {
        Some(said) => format!("{status}; the vendor answered: {said}"),
        None => status,
    };
    Error::Conflict {
        provider,
        operation,
        message: Some(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldError;

    /// A refusal read as a conflict keeps everything the vendor said: its message, then
    /// the fields an invalid request named; a not-found without words says the status.
    #[test]
    fn a_conflict_keeps_the_vendor_s_words_and_fields() {
        let refusal = Error::InvalidRequest {
            provider: ProviderKind::HappyRobot,
            operation: Operation::EndCall,
            status: Some(400),
            message: "Call is not in progress".into(),
            details: vec![FieldError {
                field: "status".into(),
                message: "must be in progress".into(),
            }],
        };
        let Error::Conflict { message, .. } = conflict_with(refusal, CallStatus::Scheduled) else {
            panic!("not a conflict");
        };
        assert_eq!(
            message.as_deref(),
            Some(
                "the call exists, scheduled; the vendor answered: Call is not in progress; \
                 status: must be in progress"
            )
        );
        let missing = Error::NotFound {
            provider: ProviderKind::Retell,
            operation: Operation::EndCall,
            message: None,
        };
        let Error::Conflict { message, .. } = conflict_with(missing, CallStatus::InProgress) else {
            panic!("not a conflict");
        };
        assert_eq!(message.as_deref(), Some("the call exists, in_progress"));
    }
}
