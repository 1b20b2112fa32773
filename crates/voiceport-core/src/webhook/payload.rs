//! What an HMAC signs: Vapi's `payloadFormat`, a template over the delivery.

use crate::{Error, Result};

/// One piece of a signed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    /// Text between placeholders, signed as it is.
    Text(String),
    /// `{body}`: the raw body.
    Body,
    /// `{timestamp}`: the timestamp header's value, as sent.
    Timestamp,
    /// `{method}`: the request's method; deliveries are `POST`s.
    Method,
    /// `{url}`: the URL the vendor posts to, as configured there.
    Url,
    /// `{svix-id}`: the message id header's value.
    MessageId,
}

impl Part {
    /// Whether the sender chooses its value (the body, the time, the message id), not the
    /// configuration.
    fn is_sent(&self) -> bool {
        matches!(self, Part::Body | Part::Timestamp | Part::MessageId)
    }
}

/// The placeholders a format may hold.
const PLACEHOLDERS: [(&str, Part); 5] = [
    ("{body}", Part::Body),
    ("{timestamp}", Part::Timestamp),
    ("{method}", Part::Method),
    ("{url}", Part::Url),
    ("{svix-id}", Part::MessageId),
];

/// A payload format read into its parts; `field` (the config path of the format) names
/// an unknown placeholder in the error.
pub(super) fn parse(format: &str, field: &str) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        let (before, from_brace) = rest.split_at(open);
        text.push_str(before);
        let known = PLACEHOLDERS
            .iter()
            .find(|(placeholder, _)| from_brace.starts_with(placeholder));
        match known {
            Some((placeholder, part)) => {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                } else if part.is_sent() && parts.last().is_some_and(Part::is_sent) {
                    // Two values of the delivery side by side could be split another way
                    // under the same signature (`msg_17` + `80…` or `msg_178` + `0…`).
                    let message =
                        format!("{placeholder} follows another placeholder: separate them");
                    return Err(Error::config(field, message));
                }
                parts.push(part.clone());
                rest = &from_brace[placeholder.len()..];
            }
            None => {
                let name = from_brace
                    .find('}')
                    .map_or(from_brace, |close| &from_brace[..=close]);
                return Err(Error::config(
                    field,
                    format!(
                        "unknown placeholder {name}: expected {{body}}, {{timestamp}}, \
                         {{method}}, {{url}} or {{svix-id}}"
                    ),
                ));
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    if !parts.contains(&Part::Body) {
        return Err(Error::config(field, "must sign the {body}"));
    }
    Ok(parts)
}

/// The values a delivery gives the placeholders.
pub(super) struct Values<'a> {
    pub(super) body: &'a [u8],
    pub(super) timestamp: &'a [u8],
    pub(super) url: &'a [u8],
    pub(super) message_id: &'a [u8],
}

/// The payload as the pieces to hash in order: the body is hashed in place, never copied.
pub(super) fn pieces<'a>(parts: &'a [Part], values: &Values<'a>) -> Vec<&'a [u8]> {
    parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => text.as_bytes(),
            Part::Body => values.body,
            Part::Timestamp => values.timestamp,
            Part::Method => b"POST".as_slice(),
            Part::Url => values.url,
            Part::MessageId => values.message_id,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_into_their_parts() {
        let parts = parse("{timestamp}.{body}", "f").unwrap();
        assert_eq!(parts, [Part::Timestamp, Part::Text(".".into()), Part::Body]);
        let parts = parse("{svix-id}.{timestamp}.{method} {url}|{body}", "f").unwrap();
        assert_eq!(
            parts,
            [
                Part::MessageId,
                Part::Text(".".into()),
                Part::Timestamp,
                Part::Text(".".into()),
                Part::Method,
                Part::Text(" ".into()),
                Part::Url,
                Part::Text("|".into()),
                Part::Body,
            ]
        );
        let values = Values {
            body: b"{}",
            timestamp: b"17",
            url: b"https://x/y",
            message_id: b"msg_1",
        };
        assert_eq!(
            pieces(&parts, &values).concat(),
            b"msg_1.17.POST https://x/y|{}"
        );
    }

    #[test]
    fn unknown_placeholders_and_formats_without_the_body_are_refused() {
        let err = parse("{time}.{body}", "w.payload_format").unwrap_err();
        assert!(err.to_string().contains("{time}"), "{err}");
        assert!(err.to_string().contains("w.payload_format"), "{err}");
        assert!(parse("{timestamp}", "f").is_err());
        assert!(parse("{body", "f").is_err());
        let err = parse("{svix-id}{timestamp}.{body}", "f").unwrap_err();
        assert!(err.to_string().contains("separate"), "{err}");
        assert!(parse("{method}:{body}", "f").is_ok());
        // Beside a value the configuration fixes, nothing can shift.
        assert!(parse("{url}{body}", "f").is_ok());
    }
}
