//! Best-effort reading of a vendor's error body: a message and per-field details.
//!
//! One reader for the shapes these vendors use: Rounded's envelope
//! (`{message, error: {message, details: [{field, message}]}}`), NestJS
//! (`{statusCode, message: string | string[], error}`), FastAPI
//! (`{detail: string | [{loc, msg}]}`), `{message}`, and plain text.

use serde_json::Value;

use crate::FieldError;

const MAX_MESSAGE: usize = 300;

/// What a vendor said about its refusal.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct VendorError {
    pub(crate) message: Option<String>,
    pub(crate) details: Vec<FieldError>,
}

pub(crate) fn parse_error_body(body: &[u8]) -> VendorError {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => from_object(&object),
        Ok(_) => VendorError::default(),
        Err(_) => VendorError {
            message: plain_text(body),
            details: Vec::new(),
        },
    }
}

fn from_object(object: &serde_json::Map<String, Value>) -> VendorError {
    let mut out = VendorError::default();
    match object.get("error") {
        Some(Value::Object(error)) => {
            out.message = text_of(error.get("message"));
            out.details = field_details(error.get("details"));
        }
        Some(Value::String(error)) => out.message = Some(error.clone()),
        _ => {}
    }
    if let Some(Value::Array(items)) = object.get("detail") {
        out.details.extend(items.iter().filter_map(fastapi_detail));
    }
    let top = text_of(object.get("message")).or_else(|| text_of(object.get("detail")));
    // A specific top-level message beats a generic error name such as "Bad Request".
    if top.is_some() && (out.message.is_none() || object.get("statusCode").is_some()) {
        out.message = top;
    }
    out.message = out.message.map(|m| truncate(&m));
    out
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Array(items) => {
            let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!texts.is_empty()).then(|| texts.join("; "))
        }
        _ => None,
    }
}

fn field_details(value: Option<&Value>) -> Vec<FieldError> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let message = item.get("message").and_then(Value::as_str)?;
            let field = item
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some(FieldError {
                field: field.to_owned(),
                message: message.to_owned(),
            })
        })
        .collect()
}

fn fastapi_detail(item: &Value) -> Option<FieldError> {
    let message = item.get("msg").and_then(Value::as_str)?;
    let field = item
        .get("loc")
        .and_then(Value::as_array)
        .map(|loc| {
            loc.iter()
                .filter(|part| part.as_str() != Some("body"))
                .map(|part| match part {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .unwrap_or_default();
    Some(FieldError {
        field,
        message: message.to_owned(),
    })
}

fn plain_text(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!flat.is_empty()).then(|| truncate(&flat))
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_envelope_details() {
        let body = br#"{"message":"Bad request","data":null,"status":400,
            "error":{"details":[{"field":"to_number","message":"Invalid phone number"}],
                     "message":"Validation failed","status":400,"type":"generic_error"}}"#;
        let parsed = parse_error_body(body);
        assert_eq!(parsed.message.as_deref(), Some("Validation failed"));
        assert_eq!(
            parsed.details,
            vec![FieldError {
                field: "to_number".into(),
                message: "Invalid phone number".into()
            }]
        );
    }

    #[test]
    fn nestjs_fastapi_and_plain() {
        let nest =
            br#"{"statusCode":400,"message":["name must be shorter"],"error":"Bad Request"}"#;
        assert_eq!(
            parse_error_body(nest).message.as_deref(),
            Some("name must be shorter")
        );

        let fastapi = br#"{"detail":[{"loc":["body","customer","number"],"msg":"field required","type":"value_error.missing"}]}"#;
        let parsed = parse_error_body(fastapi);
        assert_eq!(
            parsed.details,
            vec![FieldError {
                field: "customer.number".into(),
                message: "field required".into()
            }]
        );

        assert_eq!(
            parse_error_body(br#"{"detail":"Not Found"}"#)
                .message
                .as_deref(),
            Some("Not Found")
        );
        assert_eq!(
            parse_error_body(b"<h1>Bad   Gateway</h1>\n")
                .message
                .as_deref(),
            Some("<h1>Bad Gateway</h1>")
        );
        assert_eq!(parse_error_body(b""), VendorError::default());
        let long = "x".repeat(1000);
        assert!(
            parse_error_body(long.as_bytes())
                .message
                .unwrap()
                .chars()
                .count()
                <= MAX_MESSAGE + 1
        );
    }
}
