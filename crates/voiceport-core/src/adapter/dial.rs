//! What a vendor's dial body refuses, written once: request fields its endpoint cannot
//! take, a setting that comes from the request or else the options, and `extra` keys that
//! would overwrite what voiceport sets.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{Error, Operation, ProviderKind, Result};

/// Refuses the first of `fields` the request sets with [`Error::Unsupported`] for
/// [`Operation::DialOption`] naming the field, as the capability guard refuses
/// `scheduled_for`: what a vendor cannot do is `Unsupported`, whichever check finds it.
/// Nothing was sent, so its outcome is `NotApplied`. Each field is `(set, field, why)`:
/// whether the request sets it, its `DialRequest` name, and why `by` (the vendor's
/// endpoint, or the vendor) cannot take it, which the error's `reason` says; a field the
/// vendor cannot take is refused, never dropped. The reason also names every other field
/// set that the vendor cannot take, so that one refusal says all there is to change.
///
/// ```
/// use voiceport_core::adapter::check_unsupported;
/// use voiceport_core::{DialRequest, Error, Operation, ProviderKind};
///
/// let request = DialRequest { name: Some("Reminder".into()), ..DialRequest::to("+1") };
/// let err = check_unsupported(ProviderKind::Retell, "Retell's create-phone-call endpoint", &[
///     (request.language.is_some(), "language", "it is a setting of the agent"),
///     (request.name.is_some(), "name", "Retell calls have no name"),
/// ])
/// .unwrap_err();
/// assert!(matches!(err, Error::Unsupported { operation: Operation::DialOption("name"), .. }));
/// let expected = "retell does not support dial (`name`): not taken by Retell's create-phone-call endpoint: Retell calls have no name";
/// assert_eq!(err.to_string(), expected);
///
/// // Two fields set: the first is the one refused, and the other is named too.
/// let both = DialRequest { language: Some("fr".into()), ..request };
/// let err = check_unsupported(ProviderKind::Retell, "Retell's create-phone-call endpoint", &[
///     (both.language.is_some(), "language", "it is a setting of the agent"),
///     (both.name.is_some(), "name", "Retell calls have no name"),
/// ])
/// .unwrap_err();
/// assert!(matches!(err, Error::Unsupported { operation: Operation::DialOption("language"), .. }));
/// assert!(err.to_string().ends_with("agent; nor `name` (Retell calls have no name)"));
/// ```
pub fn check_unsupported(
    kind: ProviderKind,
    by: &str,
    fields: &[(bool, &'static str, &str)],
) -> Result<()> {
    let mut set = fields.iter().filter(|(set, _, _)| *set);
    let Some((_, field, why)) = set.next() else {
        return Ok(());
    };
    let mut reason = format!("not taken by {by}: {why}");
    let others: Vec<String> = set
        .map(|(_, other, why)| format!("`{other}` ({why})"))
        .collect();
    if !others.is_empty() {
        reason.push_str(&format!("; nor {}", others.join(", ")));
    }
    Err(Error::unsupported_because(
        kind,
        Operation::DialOption(field),
        reason,
    ))
}

/// The setting `name`: the request's value, else the option's, and required. A blank one
/// (from wherever it came) counts as none, and is refused with ``"`{name}` is required: set
/// it on the request or as the `{name}` option"``, a [`missing_setting`] error.
///
/// ```
/// use voiceport_core::adapter::required_setting;
/// use voiceport_core::{Operation, ProviderKind};
///
/// let from = |request, option| {
///     required_setting(ProviderKind::Rounded, Operation::Dial, "from_number", request, option)
/// };
/// assert_eq!(from(Some("+2"), Some("+1")).unwrap(), "+2");
/// assert_eq!(from(None, Some("+1")).unwrap(), "+1");
/// assert!(from(None, None).unwrap_err().to_string().contains(
///     "`from_number` is required: set it on the request or as the `from_number` option"
/// ));
/// ```
pub fn required_setting<'a>(
    kind: ProviderKind,
    operation: Operation,
    name: &str,
    request: Option<&'a str>,
    option: Option<&'a str>,
) -> Result<&'a str> {
    match request.or(option) {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(missing_setting(
            kind,
            operation,
            name,
            format!("`{name}` is required: set it on the request or as the `{name}` option"),
        )),
    }
}

/// The refusal, before anything is sent, of a request that lacks the setting `field`
/// (the [`DialRequest`](crate::DialRequest) field, which an option of the provider's may
/// stand in for): an [`Error::InvalidRequest`] without a status, whose details name the
/// field. A failover route reads it so: a provider whose options lack what a dial needs is
/// a setup error, which dialing the next provider would hide.
///
/// ```
/// use voiceport_core::adapter::missing_setting;
/// use voiceport_core::{Error, Operation, ProviderKind};
///
/// let error = missing_setting(ProviderKind::Vapi, Operation::Dial, "agent_id", "no assistant");
/// assert!(matches!(&error, Error::InvalidRequest { status: None, details, .. }
///     if details[0].field == "agent_id"));
/// ```
pub fn missing_setting(
    kind: ProviderKind,
    operation: Operation,
    field: &str,
    message: impl Into<String>,
) -> Error {
    Error::InvalidRequest {
        provider: kind,
        operation,
        status: None,
        message: message.into(),
        details: vec![crate::FieldError {
            field: field.to_owned(),
            message: "required".to_owned(),
        }],
    }
}

/// Refuses an `extra` key that is one of `ours`, the body fields voiceport sets from the
/// request (the first such key, in key order): for vendors whose body takes `extra` beside
/// voiceport's fields rather than letting it overwrite them.
///
/// ```
/// use std::collections::BTreeMap;
/// use serde_json::json;
/// use voiceport_core::adapter::check_extra_keys;
/// use voiceport_core::{Operation, ProviderKind};
///
/// let ours = ["from_number", "to_number"];
/// let extra = BTreeMap::from([("sip_headers".to_owned(), json!({}))]);
/// assert!(check_extra_keys(ProviderKind::Rounded, Operation::Dial, &extra, &ours).is_ok());
/// let extra = BTreeMap::from([("to_number".to_owned(), json!("+3"))]);
/// let err = check_extra_keys(ProviderKind::Rounded, Operation::Dial, &extra, &ours).unwrap_err();
/// assert!(err.to_string().contains("`extra` key `to_number` collides"));
/// ```
pub fn check_extra_keys(
    kind: ProviderKind,
    operation: Operation,
    extra: &BTreeMap<String, Value>,
    ours: &[&str],
) -> Result<()> {
    match extra.keys().find(|key| ours.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(extra_key_collides(kind, operation, key)),
    }
}

/// The error of an `extra` field `key` (a path such as `assistantOverrides.metadata` where
/// an adapter merges one level down) that the request sets already: refused rather than
/// replaced, as [`check_extra_keys`] refuses it.
pub fn extra_key_collides(kind: ProviderKind, operation: Operation, key: &str) -> Error {
    Error::invalid_input(
        kind,
        operation,
        format!(
            "`extra` key `{key}` collides with a field voiceport sets from the request; use the request field"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KIND: ProviderKind = ProviderKind::Rounded;
    const OP: Operation = Operation::Dial;

    /// The message of a local refusal of the dial, whose details name `fields`.
    fn refusal(result: Result<impl std::fmt::Debug>, fields: &[&str]) -> String {
        match result.unwrap_err() {
            Error::InvalidRequest {
                provider: KIND,
                operation: OP,
                status: None,
                message,
                details,
            } if details
                .iter()
                .map(|d| d.field.as_str())
                .eq(fields.iter().copied()) =>
            {
                message
            }
            other => panic!("{other:?}"),
        }
    }

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        refusal(result, &[])
    }

    /// A field the vendor cannot take is `Unsupported`, naming it, as `scheduled_for` is
    /// in the guard; not an `InvalidRequest` (the request is not wrong, the vendor cannot).
    #[test]
    fn the_first_unsupported_field_set_is_refused_and_the_others_named() {
        let by = "Rounded's start-call endpoint";
        assert!(check_unsupported(KIND, by, &[]).is_ok());
        assert!(check_unsupported(KIND, by, &[(false, "name", "no names")]).is_ok());
        let fields = [
            (false, "phone_number_id", "set `from_number`"),
            (true, "metadata", "set it after the dial"),
            (true, "name", "Rounded calls have no name"),
        ];
        let err = check_unsupported(KIND, by, &fields).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Unsupported {
                    provider: KIND,
                    operation: Operation::DialOption("metadata"),
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "rounded does not support dial (`metadata`): not taken by Rounded's start-call endpoint: set it after the dial; nor `name` (Rounded calls have no name)"
        );
        assert_eq!(err.outcome(), crate::RequestOutcome::NotApplied);
    }

    #[test]
    fn a_required_setting_comes_from_the_request_else_the_option() {
        let setting = |request, option| required_setting(KIND, OP, "agent_id", request, option);
        assert_eq!(setting(Some("a"), Some("b")).unwrap(), "a");
        assert_eq!(setting(None, Some("b")).unwrap(), "b");
        assert_eq!(setting(Some(" a "), None).unwrap(), " a ");
        let refused = "`agent_id` is required: set it on the request or as the `agent_id` option";
        // The details name the setting, which a failover route reads as a setup error.
        let missing = |result: Result<&str>| refusal(result, &["agent_id"]);
        assert_eq!(missing(setting(None, None)), refused);
        assert_eq!(missing(setting(None, Some(" "))), refused);
        // A blank request value is not replaced by the option: it is refused.
        assert_eq!(missing(setting(Some(""), Some("b"))), refused);
    }

    #[test]
    fn extra_keys_colliding_with_ours_are_refused() {
        let ours = ["from_number", "to_number", "id"];
        let extra = |keys: &[&str]| -> BTreeMap<String, Value> {
            keys.iter().map(|k| ((*k).to_owned(), json!(1))).collect()
        };
        assert!(check_extra_keys(KIND, OP, &extra(&[]), &ours).is_ok());
        assert!(check_extra_keys(KIND, OP, &extra(&["sip_headers"]), &ours).is_ok());
        assert_eq!(
            message(check_extra_keys(
                KIND,
                OP,
                &extra(&["zz", "to_number", "id"]),
                &ours
            )),
            "`extra` key `id` collides with a field voiceport sets from the request; use the request field"
        );
    }
}
