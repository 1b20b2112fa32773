//! What every decoder result must satisfy, whatever the input.

use crate::{Call, CallEvent, CallPage, CallQuery, Error, EventKind, ProviderKind, Result};

/// Checks decoder results for one vendor: a success is a well-formed value of this vendor,
/// a failure is an [`Error::Decode`] of this vendor with a JSON path. Anything else, and
/// any panic on the way, fails the test with the case's name.
#[derive(Debug, Clone, Copy)]
pub struct DecoderCheck {
    provider: ProviderKind,
    payload_required: bool,
    vendor_error: Option<fn(&[u8]) -> bool>,
    refusing: bool,
}

impl DecoderCheck {
    /// Checks for `provider`'s decoders; every call must keep its vendor payload.
    pub const fn new(provider: ProviderKind) -> Self {
        DecoderCheck {
            provider,
            payload_required: true,
            vendor_error: None,
            refusing: false,
        }
    }

    /// Calls need not carry a vendor payload (for decoders that build calls by hand).
    #[must_use]
    pub const fn without_payload(self) -> Self {
        DecoderCheck {
            payload_required: false,
            ..self
        }
    }

    /// Bodies for which `is_vendor_error` is true report an error of the vendor's own (an
    /// error envelope); for them any error kind of this vendor is the right answer.
    #[must_use]
    pub const fn with_vendor_errors(self, is_vendor_error: fn(&[u8]) -> bool) -> Self {
        DecoderCheck {
            vendor_error: Some(is_vendor_error),
            ..self
        }
    }

    /// The same checks, and every result must be an error: for inputs no decoder may
    /// accept, such as a body cut off mid-transfer.
    #[must_use]
    pub const fn refusing(self) -> Self {
        DecoderCheck {
            refusing: true,
            ..self
        }
    }

    /// Checks a decoded call, which must have been decoded within one entry budget of its
    /// whole body (core's `decode_call_body` sets one), just before this check.
    pub fn call(&self, body: &[u8], result: Result<Call>, what: &str) -> Option<Call> {
        assert_whole_body_budgeted(body, "call", what);
        let call = self.value(body, result, what)?;
        self.check_call(&call, what);
        Some(call)
    }

    /// Checks a decoded page; every call in it must pass `local_filters` (the part of the
    /// query the adapter applies client-side). The page must have been decoded within one
    /// entry budget of its whole body ([`within_entry_budget`]), as a codec's
    /// `decode_page_each` runs, just before this check.
    ///
    /// [`within_entry_budget`]: crate::adapter::within_entry_budget
    pub fn page(
        &self,
        body: &[u8],
        result: Result<CallPage>,
        local_filters: &CallQuery,
        what: &str,
    ) -> Option<CallPage> {
        assert_whole_body_budgeted(body, "page", what);
        let page = self.value(body, result, what)?;
        for call in &page.calls {
            self.check_call(call, what);
            assert!(
                local_filters.matches(call),
                "{what}: a call the query filters out came back: {:?}",
                call.id
            );
        }
        Some(page)
    }

    /// Checks a parsed webhook event, which must have been decoded within one entry budget
    /// of its whole body, as a codec's `decode_webhook` runs, just before this check.
    pub fn event(&self, body: &[u8], result: Result<CallEvent>, what: &str) -> Option<CallEvent> {
        assert_whole_body_budgeted(body, "webhook", what);
        let event = self.value(body, result, what)?;
        if let Some(call) = event.call() {
            self.check_call(call, what);
        }
        if let EventKind::Other { payload } = &event.kind {
            assert!(!payload.get().trim().is_empty(), "{what}: empty payload");
        }
        assert!(
            serde_json::to_string(&event).is_ok(),
            "{what}: the event does not serialize"
        );
        Some(event)
    }

    /// Checks any other decoder's result: an error must be this vendor's decode error.
    pub fn value<T>(&self, body: &[u8], result: Result<T>, what: &str) -> Option<T> {
        // Its decode's budgets are not the next check's.
        crate::adapter::bounded::take_budgets_set();
        match result {
            Ok(_) if self.refusing => panic!(
                "{what}: accepted a body it must refuse: {}",
                String::from_utf8_lossy(body)
            ),
            Ok(value) => Some(value),
            Err(err) => {
                self.error(body, &err, what);
                None
            }
        }
    }

    /// Asserts that `err` is what a decoder of this vendor may return for `body`.
    pub fn error(&self, body: &[u8], err: &Error, what: &str) {
        assert_eq!(err.provider(), Some(self.provider), "{what}: {err:?}");
        let vendor_error = self
            .vendor_error
            .is_some_and(|is_vendor_error| is_vendor_error(body));
        match err {
            Error::Decode { path, message, .. } => {
                assert!(!path.is_empty(), "{what}: no JSON path");
                assert_no_rust_type(message, what);
            }
            _ if vendor_error => {}
            other => panic!(
                "{what}: expected a decode error for {}, got {other:?}",
                String::from_utf8_lossy(body)
            ),
        }
    }

    fn check_call(&self, call: &Call, what: &str) {
        assert_eq!(call.provider, self.provider, "{what}");
        for warning in &call.warnings {
            assert_no_rust_type(&warning.message, what);
        }
        // A turn of tool calls alone reads the same with every vendor: the tool's.
        let utterances = call.transcript.iter().flat_map(|t| &t.utterances);
        for utterance in utterances {
            assert!(
                !(utterance.speaker == crate::Speaker::Agent
                    && utterance.text.is_none()
                    && !utterance.tool_calls.is_empty()),
                "{what}: an agent turn of tool calls alone (Utterance::set_tool_calls makes it the tool's)"
            );
        }
        if self.payload_required {
            assert!(call.vendor_payload().is_some(), "{what}: no vendor payload");
        }
        assert!(
            serde_json::to_string(call).is_ok(),
            "{what}: the call does not serialize"
        );
    }
}

/// Asserts that the decode just run (of a `what`, a page, a webhook or a call) ran within
/// one entry budget of the whole `body`: not in none, and not in one per part (core's
/// `decode_raw` budgets what it decodes when no budget is set, so that a page decoded
/// envelope first, then item by item, would give each item a budget of its own, and a
/// body of many items could take many times its size). A byte-order mark left out of what
/// is decoded is allowed for.
fn assert_whole_body_budgeted(body: &[u8], what: &str, case: &str) {
    const BOM: usize = 3;
    let (count, widest) = crate::adapter::bounded::take_budgets_set();
    assert!(
        count == 1 && widest + BOM >= body.len(),
        "{case}: the {what} was not decoded within one entry budget of its whole body ({count} budgets set, the widest for {widest} of {} bytes): run the codec's decode in `adapter::within_entry_budget(body.len(), …)`",
        body.len()
    );
}

/// A message users read says what was expected in the vendor's terms (`a call object`),
/// never with the name serde's derive gives a Rust type (`expected struct Customer`).
fn assert_no_rust_type(message: &str, what: &str) {
    // serde's words for its derived types: `struct`, `tuple struct`, `newtype struct`,
    // `unit struct`, `enum`, and the identifiers of a derived visitor.
    let rust_words = [
        "struct ",
        "tuple struct",
        "newtype struct",
        "unit struct",
        "enum ",
    ];
    let identifiers = ["variant identifier", "field identifier"];
    for expected in message.split("expected ").skip(1) {
        assert!(
            !(rust_words.iter().chain(&identifiers)).any(|word| expected.starts_with(word)),
            "{what}: the message names a Rust type: {message}"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;
    use crate::adapter::within_entry_budget;
    use crate::http::decode_json;
    use crate::{CallId, Operation};

    const CHECK: DecoderCheck = DecoderCheck::new(ProviderKind::Rounded).without_payload();

    fn fails(f: impl FnOnce()) -> bool {
        catch_unwind(AssertUnwindSafe(f)).is_err()
    }

    fn decode_error(body: &[u8]) -> Error {
        decode_json::<u32>(ProviderKind::Rounded, Operation::GetCall, body).unwrap_err()
    }

    /// `result`, made as a codec's decode of `body` runs: within one budget of it.
    fn decoded<T>(body: &[u8], result: impl FnOnce() -> T) -> T {
        within_entry_budget(body.len(), result)
    }

    #[test]
    fn accepts_this_vendors_calls_and_decode_errors() {
        let call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
        assert!(
            CHECK
                .call(b"{}", decoded(b"{}", || Ok(call)), "ok")
                .is_some()
        );
        assert!(CHECK.call(b"x", Err(decode_error(b"x")), "err").is_none());
        CHECK
            .refusing()
            .value(b"x", Err::<(), _>(decode_error(b"x")), "refused");
    }

    #[test]
    fn rejects_what_a_decoder_must_not_return() {
        let other_vendor = Call::new(CallId::new("c1"), ProviderKind::Voicebot);
        assert!(fails(|| {
            CHECK.call(b"{}", decoded(b"{}", || Ok(other_vendor)), "other vendor");
        }));
        let payloadless = Call::new(CallId::new("c1"), ProviderKind::Rounded);
        assert!(fails(|| {
            let result = decoded(b"{}", || Ok(payloadless));
            DecoderCheck::new(ProviderKind::Rounded).call(b"{}", result, "no payload");
        }));
        let refusal = Error::invalid_input(ProviderKind::Rounded, Operation::GetCall, "no");
        assert!(fails(|| {
            CHECK.value::<()>(b"{}", Err(refusal), "not a decode error");
        }));
        assert!(fails(|| {
            CHECK.refusing().value(b"{}", Ok(1), "accepted");
        }));
        let filtered = CallQuery {
            statuses: vec![crate::CallStatus::Completed],
            ..CallQuery::default()
        };
        let page = CallPage {
            calls: vec![Call::new(CallId::new("c1"), ProviderKind::Rounded)],
            next: None,
            total: None,
            vendor_ids: None,
        };
        assert!(fails(|| {
            CHECK.page(
                b"[]",
                decoded(b"[]", || Ok(page)),
                &filtered,
                "filtered out",
            );
        }));
    }

    /// A page, a webhook or a call decoded outside a budget, or in a budget per part, is
    /// refused: a body of many parts could take many times its size.
    #[test]
    fn a_decode_outside_one_budget_of_the_whole_body_is_refused() {
        let body = br#"{"calls": [{"id": "c1"}, {"id": "c2"}]}"#;
        let page = || {
            Ok(CallPage {
                calls: Vec::new(),
                next: None,
                total: None,
                vendor_ids: None,
            })
        };
        let any = CallQuery::default();
        assert!(
            CHECK
                .page(body, decoded(body, page), &any, "whole")
                .is_some()
        );
        // Within a budget of the whole body, parts' budgets are no new ones.
        let nested = decoded(body, || {
            within_entry_budget(10, || ());
            page()
        });
        assert!(CHECK.page(body, nested, &any, "nested").is_some());
        assert!(fails(|| {
            CHECK.page(body, page(), &any, "none");
        }));
        assert!(fails(|| {
            let parts = (
                within_entry_budget(10, || ()),
                within_entry_budget(12, page),
            )
                .1;
            CHECK.page(body, parts, &any, "per part");
        }));
        assert!(fails(|| {
            CHECK.page(body, within_entry_budget(10, page), &any, "a part only");
        }));
        // A budget another decode set before (its result checked as a value) is not this
        // one's.
        CHECK.value(body, decoded(body, || Ok(())), "before");
        let unbudgeted = Error::decode(
            ProviderKind::Rounded,
            Operation::ParseWebhook,
            "event",
            "no event",
            body,
        );
        assert!(fails(|| {
            CHECK.event(body, Err(unbudgeted), "webhook after it");
        }));
    }

    #[test]
    fn vendor_error_envelopes_may_carry_other_kinds() {
        let refusal = || Error::invalid_input(ProviderKind::Rounded, Operation::GetCall, "no");
        let check = CHECK.with_vendor_errors(|body| body.starts_with(b"{\"error\""));
        check.value::<()>(br#"{"error": {}}"#, Err(refusal()), "envelope");
        assert!(fails(|| {
            check.value::<()>(b"{}", Err(refusal()), "not an envelope");
        }));
    }
}
