//! The error of reading a name voiceport knows: a call status, a direction, a provider kind.

/// A text that names none of the values of the type it was parsed as, from `str::parse`
/// of [`CallStatus`](crate::CallStatus), [`Direction`](crate::Direction),
/// [`EndReasonCategory`](crate::EndReasonCategory), [`ProviderKind`](crate::ProviderKind)
/// or [`SortOrder`](crate::SortOrder). It is a standard error, so `?` takes it into
/// `anyhow`, `Box<dyn Error>` or an application's own error type.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::ProviderKind;
///
/// let error = "twilio".parse::<ProviderKind>().unwrap_err();
/// assert_eq!(error.text(), "twilio");
/// assert!(error.to_string().starts_with(r#"unknown provider kind "twilio": expected happyrobot"#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?}: expected {expected}")]
pub struct UnknownNameError {
    what: &'static str,
    text: String,
    expected: String,
}

impl UnknownNameError {
    /// `text`, read as a `what`, is none of `names` (listed in the message).
    pub(crate) fn new<'a>(
        what: &'static str,
        text: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let names: Vec<&str> = names.into_iter().collect();
        let expected = match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => "nothing".to_owned(),
        };
        UnknownNameError {
            what,
            text: text.to_owned(),
            expected,
        }
    }

    /// The text that was parsed, as it was given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What it was read as: `call status`, `direction`, `end reason category` or
    /// `provider kind`.
    pub fn what(&self) -> &'static str {
        self.what
    }
}

/// A name read from an application's input (a provider kind in its own settings, a
/// status in a query string) is an argument: `?` takes the error into voiceport's
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument), named by what was read.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::{Error, ProviderKind};
///
/// fn kind_of(setting: &str) -> voiceport::Result<ProviderKind> {
///     Ok(setting.parse()?)
/// }
/// assert_eq!(kind_of("retell")?, ProviderKind::Retell);
/// let error = kind_of("twilio").unwrap_err();
/// assert!(matches!(&error, Error::InvalidArgument { argument, .. } if argument == "provider kind"));
/// # Ok::<(), Error>(())
/// ```
impl From<UnknownNameError> for crate::Error {
    fn from(error: UnknownNameError) -> Self {
        crate::Error::invalid_argument(error.what, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallStatus, Direction, ProviderKind};

    #[test]
    fn each_message_lists_every_name_the_type_takes() {
        let status = "paused".parse::<CallStatus>().unwrap_err();
        assert_eq!(status.what(), "call status");
        let names: Vec<&str> = CallStatus::ALL.iter().map(|s| s.as_str()).collect();
        let (last, rest) = names.split_last().unwrap();
        assert_eq!(
            status.to_string(),
            format!(
                "unknown call status \"paused\": expected {} or {last}",
                rest.join(", ")
            )
        );

        let direction = " Sideways ".parse::<Direction>().unwrap_err();
        assert_eq!(direction.text(), " Sideways ");
        assert_eq!(
            direction.to_string(),
            "unknown direction \" Sideways \": expected inbound or outbound"
        );

        let kind = "Twilio".parse::<ProviderKind>().unwrap_err();
        assert_eq!(
            kind.to_string(),
            "unknown provider kind \"Twilio\": expected happyrobot, voicebot, rounded, vapi or retell"
        );
    }

    #[test]
    fn it_is_a_standard_error() {
        fn boxed() -> Result<ProviderKind, Box<dyn std::error::Error + Send + Sync>> {
            Ok("nope".parse::<ProviderKind>()?)
        }
        let error = boxed().unwrap_err();
        assert!(error.downcast_ref::<UnknownNameError>().is_some());
    }

    #[test]
    fn a_list_of_one_or_none_reads_plainly() {
        assert_eq!(
            UnknownNameError::new("mode", "x", ["only"]).to_string(),
            "unknown mode \"x\": expected only"
        );
        assert_eq!(
            UnknownNameError::new("mode", "x", []).to_string(),
            "unknown mode \"x\": expected nothing"
        );
    }
}
