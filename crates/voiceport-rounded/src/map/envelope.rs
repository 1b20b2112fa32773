//! The one place that judges a 2xx Rounded envelope: a success, a vendor error, or a
//! broken body. (The core HTTP client maps non-2xx statuses, from the same error object.)

use voiceport_core::http::{MAX_VENDOR_DETAILS, vendor_text};
use voiceport_core::{Error, FieldError, Operation, RequestOutcome, Result};

use crate::config::KIND;
use crate::wire;

/// The envelope's `data` where it must be there (get, update, list, start call): as
/// [`open`], and a null or absent `data` without an `error` is a decode error at `data`.
pub(crate) fn required<T>(
    operation: Operation,
    envelope: wire::Envelope<T>,
    body: &[u8],
) -> Result<T> {
    open(operation, envelope)?.ok_or_else(|| {
        let message = "`data` is null or missing, and the response names no error";
        Error::decode(KIND, operation, "data", message, body)
    })
}

/// The envelope's `data`, which may be null (terminate's is documented as `any`).
///
/// An `error` object next to `data` (the generated doc examples show one on every 200) is
/// ignored, and logged. Without `data`, an `error` is the error its status stands for
/// over HTTP ([`Error::from_status`]: 404 not found, 409 conflict, 5xx server error …),
/// the status taken from `error.status`, else the envelope's; with the vendor's message
/// and every `{field, message}` detail. A status below 400 (or none: 200, the answer was a
/// success, and a status-less `InvalidRequest` is voiceport's own refusal) gives an
/// [`Error::InvalidRequest`] whose [`Error::outcome`] leaves unknown whether a write took
/// effect.
///
/// The HTTP status decides success, and the body reaches here only in a success answer
/// (the core maps any other first): a write refused inside one, whatever 4xx the body
/// names, may still have taken effect. Where the error that status stands for would say
/// the write was not applied (a 400, 404, 429 …), it is an [`Error::InvalidRequest`]
/// carrying the success status instead (the envelope's `status` when it is a 2xx, else
/// 200), with the same message and details, so that its outcome is unknown and a failover
/// route does not place a second call. A read applies nothing: its errors keep their class.
pub(crate) fn open<T>(operation: Operation, envelope: wire::Envelope<T>) -> Result<Option<T>> {
    let wire::Envelope {
        message,
        data,
        error,
        status,
    } = envelope;
    match (data, error) {
        (Some(data), error) => {
            if let Some(error) = &error {
                log_ignored(operation, error);
            }
            Ok(Some(data))
        }
        (None, Some(error)) => Err(vendor_error(operation, error, message, status)),
        (None, None) => Ok(None),
    }
}

/// Terminate's answer: done when its envelope repeats a 2xx status, whatever `error` object
/// stands beside a null `data` (the docs' generated examples put one, `status: 400`, in
/// every 200); else as [`open`], an error inside it being read as a refusal whose outcome
/// is not known. Terminate answers 200 both when it ended the call and when the call was
/// over already, so the two statuses agreeing on success leave nothing to doubt; reading
/// the call back instead would find it live for a moment after a terminate that worked,
/// and report that as a conflict.
pub(crate) fn acknowledged<T>(operation: Operation, envelope: wire::Envelope<T>) -> Result<()> {
    match (&envelope.data, &envelope.error, envelope.status) {
        (None, Some(error), Some(200..=299)) => {
            log_ignored(operation, error);
            Ok(())
        }
        _ => open(operation, envelope).map(drop),
    }
}

/// Says at debug level that `error` was ignored in a successful answer: bounded and
/// flattened as in an error, since the vendor's text reaches the log.
fn log_ignored(operation: Operation, error: &wire::ApiError) {
    let vendor_error = vendor_text(error.message.as_deref().unwrap_or(""));
    tracing::debug!(
        provider = %KIND,
        operation = %operation,
        vendor_error = vendor_error.as_str(),
        "ignoring the `error` object of a successful Rounded response"
    );
}

fn vendor_error(
    operation: Operation,
    error: wire::ApiError,
    envelope_message: Option<String>,
    envelope_status: Option<u16>,
) -> Error {
    // The limits core puts on an error body (over HTTP, the same error object): a few
    // short details and a short message, without control characters.
    let details = error
        .details
        .unwrap_or_default()
        .into_iter()
        .filter_map(|detail| match (detail.field, detail.message) {
            (None, None) => None,
            (field, message) => Some(FieldError {
                field: vendor_text(field.as_deref().unwrap_or_default()),
                message: vendor_text(message.as_deref().unwrap_or_default()),
            }),
        })
        .take(MAX_VENDOR_DETAILS)
        .collect();
    let message = error
        .message
        .filter(|m| !m.trim().is_empty())
        .or(envelope_message.filter(|m| !m.trim().is_empty()))
        .map(|m| vendor_text(&m))
        .unwrap_or_else(|| "Rounded answered with an error and no data".to_owned());
    // The answer's own (success) status: what the envelope repeats, when it is one.
    let answered = envelope_status
        .filter(|status| (200..300).contains(status))
        .unwrap_or(200);
    let invalid = |status: u16, message: String, details: Vec<FieldError>| {
        Error::invalid_request(KIND, operation, Some(status), message, details)
    };
    match error.status.or(envelope_status).unwrap_or(answered) {
        // An error inside a success: whether a write took effect is not known.
        status @ ..=399 => invalid(status, message, details),
        // As over HTTP, unless that would say a write was not applied: inside a success
        // answer, that is not known.
        status => {
            let over_http = Error::from_status(
                KIND,
                operation,
                status,
                Some(message.clone()),
                details.clone(),
            );
            if operation.is_read() || over_http.outcome() != RequestOutcome::NotApplied {
                over_http
            } else {
                invalid(answered, message, details)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_rules() {
        let op = Operation::GetCall;
        let ok = wire::Envelope {
            message: None,
            data: Some(1),
            error: Some(wire::ApiError {
                message: Some("ignored".into()),
                status: Some(400),
                ..wire::ApiError::default()
            }),
            status: Some(200),
        };
        assert_eq!(required(op, ok, b"{}").unwrap(), 1);

        let failed: wire::Envelope<i32> = serde_json::from_value(json!({
            "message": "Bad", "data": null, "status": 200,
            "error": {"message": "Validation failed", "details": [{"field": "to_number", "message": "bad"}]}
        }))
        .unwrap();
        match open(op, failed).unwrap_err() {
            Error::InvalidRequest {
                status,
                message,
                details,
                ..
            } => {
                assert_eq!(status, Some(200));
                assert_eq!(message, "Validation failed");
                assert_eq!(
                    details,
                    vec![FieldError {
                        field: "to_number".into(),
                        message: "bad".into()
                    }]
                );
            }
            other => panic!("{other:?}"),
        }

        // Without any status: still the vendor's error, never voiceport's own refusal.
        let bare: wire::Envelope<i32> =
            serde_json::from_value(json!({"data": null, "error": {"message": "No"}})).unwrap();
        let error = open(Operation::Dial, bare).unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidRequest {
                    status: Some(200),
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(!error.is_refused_locally());
        assert_eq!(error.outcome(), voiceport_core::RequestOutcome::Unknown);
        // A 409 there is a conflict, as over HTTP: a dial's outcome is unknown.
        let conflict: wire::Envelope<i32> = serde_json::from_value(json!({
            "data": null, "status": 200, "error": {"message": "Already calling", "status": 409}
        }))
        .unwrap();
        let error = open(Operation::Dial, conflict).unwrap_err();
        assert!(matches!(error, Error::Conflict { .. }), "{error:?}");
        assert_eq!(error.outcome(), voiceport_core::RequestOutcome::Unknown);
        // Any other status too: a 404 is not found, a 503 a server error.
        let named = |status: u16| -> wire::Envelope<i32> {
            serde_json::from_value(json!({
                "data": null, "status": 200, "error": {"message": "No", "status": status}
            }))
            .unwrap()
        };
        let error = open(Operation::GetCall, named(404)).unwrap_err();
        assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
        let error = open(Operation::Dial, named(503)).unwrap_err();
        assert!(
            matches!(error, Error::Server { status: 503, .. }),
            "{error:?}"
        );
        assert_eq!(error.outcome(), voiceport_core::RequestOutcome::Unknown);

        let empty: wire::Envelope<i32> = serde_json::from_value(json!({"data": null})).unwrap();
        assert!(matches!(
            required(op, empty.clone(), b"{\"data\":null}"),
            Err(Error::Decode { ref path, .. }) if path == "data"
        ));
        assert_eq!(open(op, empty).unwrap(), None);
    }

    /// An error inside a 2xx answer gets the limits core puts on an error body: a short
    /// message and a few short details, without control characters (the reviewer's
    /// 1 MiB message and 5,000 details made a 2 MiB error).
    #[test]
    fn an_error_inside_a_success_answer_is_bounded() {
        let detail = json!({"field": "f\u{1b}[2J", "message": "m".repeat(200)});
        let huge: wire::Envelope<i32> = serde_json::from_value(json!({
            "data": null, "status": 200,
            "error": {"message": format!("\u{1b}]0;x\n{}", "x".repeat(1 << 20)),
                      "status": 400, "details": vec![detail; 5_000]}
        }))
        .unwrap();
        let error = open(Operation::Dial, huge).unwrap_err();
        let text = error.to_string();
        assert!(text.len() < 10_000, "{} bytes", text.len());
        assert!(!text.chars().any(char::is_control), "{text:?}");
        match error {
            Error::InvalidRequest {
                message, details, ..
            } => {
                assert!(message.chars().count() <= 301, "{message}");
                assert!(message.starts_with(" ]0;x xxx"), "{message}");
                assert_eq!(details.len(), voiceport_core::http::MAX_VENDOR_DETAILS);
                assert_eq!(details[0].field, "f [2J");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_write_refused_inside_a_success_answer_has_an_unknown_outcome() {
        let refused = |status: u16, envelope: Option<u16>| -> wire::Envelope<i32> {
            serde_json::from_value(json!({
                "message": "Error", "data": null, "status": envelope,
                "error": {"message": "Invalid number", "status": status,
                          "details": [{"field": "to_number", "message": "bad"}]}
            }))
            .unwrap()
        };
        let writes = [Operation::Dial, Operation::UpdateCall, Operation::EndCall];
        for operation in writes {
            for status in [400, 401, 403, 404, 410, 418, 422, 429] {
                let error = open(operation, refused(status, Some(201))).unwrap_err();
                assert_eq!(
                    error.outcome(),
                    RequestOutcome::Unknown,
                    "{operation} {status}: {error:?}"
                );
                // The answer's success status, the vendor's message and details.
                match error {
                    Error::InvalidRequest {
                        status: Some(201),
                        message,
                        details,
                        ..
                    } => {
                        assert_eq!(message, "Invalid number");
                        assert_eq!(details.len(), 1);
                    }
                    other => panic!("{operation} {status}: {other:?}"),
                }
            }
            // The envelope's status repeating a refusal, or none: the answer was a 200.
            for envelope in [Some(400), None] {
                let error = open(operation, refused(400, envelope)).unwrap_err();
                assert!(
                    matches!(
                        error,
                        Error::InvalidRequest {
                            status: Some(200),
                            ..
                        }
                    ),
                    "{error:?}"
                );
            }
        }
        // Kept as over HTTP where the outcome is unknown already, and for reads.
        let error = open(Operation::Dial, refused(409, Some(201))).unwrap_err();
        assert!(matches!(error, Error::Conflict { .. }), "{error:?}");
        let error = open(Operation::EndCall, refused(503, Some(200))).unwrap_err();
        assert!(
            matches!(error, Error::Server { status: 503, .. }),
            "{error:?}"
        );
        let error = open(Operation::GetCall, refused(404, Some(200))).unwrap_err();
        assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
        let error = open(Operation::ListCalls, refused(400, Some(200))).unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidRequest {
                    status: Some(400),
                    ..
                }
            ),
            "{error:?}"
        );
    }
}
