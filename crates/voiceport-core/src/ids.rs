//! Identifier newtypes, so that a call id is never passed where a note id is expected.

use serde::{Deserialize, Serialize};

use crate::{Error, Operation, ProviderKind};

macro_rules! id_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a vendor's id string.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as the vendor spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the id string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        // `"id".parse::<CallId>()`, and clap's `value_parser!`: any string is an id.
        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(id: &str) -> Result<Self, Self::Err> {
                Ok(Self(id.to_owned()))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // `call.id == "c-1"` in an application's code and tests, either way round.
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        // A map or set keyed on ids is looked up by `&str`. Sound: `Hash`, `Eq` and `Ord`
        // are derived over the one `String` field, so they agree with `str`'s.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

id_newtype!(
    /// A call's id, as the vendor issued it.
    CallId
);
id_newtype!(
    /// A note's id (HappyRobot notes).
    NoteId
);
id_newtype!(
    /// An agent's or assistant's id.
    AgentId
);
id_newtype!(
    /// A campaign's id.
    CampaignId
);
id_newtype!(
    /// An organization's (account's) id.
    OrganizationId
);

/// Whether `segment` can be sent as one URL path segment as it is: not empty, not `.` or
/// `..` (nor either followed by `;`, which servers that read path parameters strip back
/// to it: `..;`), and without control characters.
///
/// URL builders drop `.` and resolve `..` (so `DELETE /calls/{id}` with the id `..` would
/// become `DELETE /`), and an empty segment addresses the collection instead of one of its
/// items. No vendor issues such ids, so the HTTP client refuses every request with such a
/// segment before sending it ([`Error::InvalidRequest`] without a status).
///
/// ```
/// use voiceport_core::is_path_segment;
/// assert!(is_path_segment("019d2ad0-6eb1-7aac-9377-0fc25d8bc1ad"));
/// assert!(is_path_segment("a/b")); // percent-encoded: still one segment
/// assert!(is_path_segment("..."));
/// for bad in ["", ".", "..", "..;", "..;x", ".;", "a\nb", "\u{1b}[2J"] {
///     assert!(!is_path_segment(bad), "{bad:?}");
/// }
/// ```
pub fn is_path_segment(segment: &str) -> bool {
    !(segment.is_empty() || is_dot_segment(segment) || segment.chars().any(char::is_control))
}

/// Whether `segment` is `.` or `..` to a URL builder or to a server reading path
/// parameters (`name;param`), which takes `..;x` for `..`.
fn is_dot_segment(segment: &str) -> bool {
    matches!(segment.split(';').next(), Some("." | ".."))
}

/// The shape a vendor's path ids must have; checked before any request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdFormat {
    /// Any string without control characters or slashes (`/`, `\`) that is not blank
    /// (empty or whitespace only). A slash is sent percent-encoded, but a server or a
    /// proxy that decodes `%2F` before routing would read `../other-endpoint` in it; no
    /// vendor issues ids with one.
    NonEmpty,
    /// Exactly this many ASCII alphanumeric characters (HappyRobot: 24).
    Alphanumeric(usize),
    /// An RFC 4122 UUID in its 36-character hyphenated form, any version.
    Uuid,
}

impl IdFormat {
    /// Whether `id` has this shape (and can be sent as one URL path segment: see
    /// [`is_path_segment`]).
    pub fn matches(self, id: &str) -> bool {
        if !is_path_segment(id) {
            return false;
        }
        match self {
            // A blank id names no call: " " would be sent as `/calls/%20`.
            IdFormat::NonEmpty => !id.trim().is_empty() && !id.contains(['/', '\\']),
            IdFormat::Alphanumeric(len) => {
                id.len() == len && id.bytes().all(|b| b.is_ascii_alphanumeric())
            }
            IdFormat::Uuid => {
                id.len() == 36
                    && id.bytes().enumerate().all(|(i, b)| match i {
                        8 | 13 | 18 | 23 => b == b'-',
                        _ => b.is_ascii_hexdigit(),
                    })
            }
        }
    }

    /// Returns `Ok` if `id` has this shape, else an invalid-request error naming the id.
    pub fn check(
        self,
        provider: ProviderKind,
        operation: Operation,
        what: &str,
        id: &str,
    ) -> Result<(), Error> {
        if self.matches(id) {
            return Ok(());
        }
        let expected = match self {
            // Say which of the rules the id broke: "non-blank" for `..` misleads.
            IdFormat::NonEmpty if is_dot_segment(id) => {
                "an id other than `.` and `..` (a URL path would drop or resolve it)".to_owned()
            }
            IdFormat::NonEmpty if id.chars().any(char::is_control) => {
                "an id without control characters".to_owned()
            }
            IdFormat::NonEmpty if id.contains(['/', '\\']) => {
                "an id without `/` or `\\` (a server decoding the path would read a route in it)"
                    .to_owned()
            }
            IdFormat::NonEmpty => "a non-blank id".to_owned(),
            IdFormat::Alphanumeric(len) => format!("{len} alphanumeric characters"),
            IdFormat::Uuid => "a UUID".to_owned(),
        };
        Err(Error::InvalidRequest {
            provider,
            operation,
            status: None,
            message: format!("{what} {} is malformed: expected {expected}", quoted(id)),
            details: Vec::new(),
        })
    }
}

/// The longest part of a refused id an error quotes, in characters.
const QUOTED_ID_CHARS: usize = 80;

/// `id` quoted as Rust writes a string (`"a\u{1b}b"`), its first [`QUOTED_ID_CHARS`]
/// characters only, and how many it has past them: an id pasted by mistake (a megabyte of
/// it) would make an error, and every log line of it, as long.
pub(crate) fn quoted(id: &str) -> String {
    match id.char_indices().nth(QUOTED_ID_CHARS) {
        None => format!("{id:?}"),
        Some((cut, _)) => {
            let (shown, rest) = id.split_at(cut);
            format!("{shown:?}… ({} more characters)", rest.chars().count())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused id is quoted whole up to 80 characters, and cut past them, saying how
    /// much was left out.
    #[test]
    fn a_long_refused_id_is_quoted_cut() {
        let refused = |id: &str| {
            let err = IdFormat::Uuid
                .check(ProviderKind::Vapi, Operation::GetCall, "call id", id)
                .unwrap_err();
            err.to_string()
        };
        let eighty = "x".repeat(80);
        assert!(refused(&eighty).contains(&format!("{eighty:?} is malformed")));
        let long = format!("{eighty}{}", "y".repeat(1 << 20));
        let said = refused(&long);
        assert!(
            said.contains(&format!(
                "{eighty:?}… (1048576 more characters) is malformed"
            )),
            "{said}"
        );
        assert!(said.len() < 400, "{} bytes", said.len());
        // Cut on a character, not a byte.
        let wide = "é".repeat(100);
        assert!(refused(&wide).contains("(20 more characters)"));
    }

    /// Any string parses as an id, as `From<&str>` takes it.
    #[test]
    fn ids_parse_from_any_string() {
        assert_eq!("c-1".parse::<CallId>(), Ok(CallId::new("c-1")));
        assert_eq!("".parse::<NoteId>(), Ok(NoteId::new("")));
    }

    /// An id compares with the text it holds, either way round, and with nothing else.
    #[test]
    fn ids_compare_with_text() {
        let id = CallId::new("c-1");
        assert!(id == "c-1");
        assert!("c-1" == id);
        assert!(id == *"c-1");
        assert!(*"c-1" == id);
        assert!(id != "c-2");
        assert!("C-1" != id);
    }

    #[test]
    fn formats_accept_and_reject() {
        assert!(IdFormat::Alphanumeric(24).matches("65a1f0c2b3d4e5f601234567"));
        assert!(!IdFormat::Alphanumeric(24).matches("65a1f0c2b3d4e5f60123456"));
        assert!(!IdFormat::Alphanumeric(24).matches("65a1f0c2b3d4e5f60123456/"));
        assert!(IdFormat::Uuid.matches("019d2ad0-6eb1-7aac-9377-0fc25d8bc1ad"));
        assert!(!IdFormat::Uuid.matches("019d2ad0x6eb1-7aac-9377-0fc25d8bc1ad"));
        assert!(!IdFormat::NonEmpty.matches(""));
        assert!(!IdFormat::NonEmpty.matches("a\nb"));
        for routed in ["../../v2/delete-call/x", "a/b", "a\\b"] {
            assert!(!IdFormat::NonEmpty.matches(routed), "{routed}");
            let err = IdFormat::NonEmpty
                .check(ProviderKind::Retell, Operation::GetCall, "call id", routed)
                .unwrap_err();
            assert!(err.to_string().contains("without `/`"), "{err}");
        }
        assert!(IdFormat::NonEmpty.matches("any-thing_1.2~x"));
        assert!(!IdFormat::NonEmpty.matches("."));
        assert!(!IdFormat::NonEmpty.matches(".."));
        assert!(IdFormat::NonEmpty.matches("..."));
        assert!(IdFormat::NonEmpty.matches(" a "));
    }

    #[test]
    fn a_blank_id_is_malformed() {
        for blank in [" ", "   ", "\u{a0}", "\u{2003}"] {
            assert!(!IdFormat::NonEmpty.matches(blank), "{blank:?}");
            let err = IdFormat::NonEmpty
                .check(ProviderKind::Retell, Operation::GetCall, "call id", blank)
                .unwrap_err();
            assert!(
                matches!(&err, Error::InvalidRequest { status: None, message, .. }
                    if message.contains("is malformed")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn a_refused_id_is_told_the_rule_it_broke() {
        let cases = [
            ("", "a non-blank id"),
            (" ", "a non-blank id"),
            ("..", "other than `.` and `..`"),
            ("..;", "other than `.` and `..`"),
            (".", "other than `.` and `..`"),
            ("a\tb", "without control characters"),
            ("\u{1b}[2J", "without control characters"),
        ];
        for (id, rule) in cases {
            let err = IdFormat::NonEmpty
                .check(ProviderKind::Vapi, Operation::EndCall, "call id", id)
                .unwrap_err();
            let text = err.to_string();
            assert!(text.contains(rule), "{id:?}: {text}");
        }
    }

    #[test]
    fn check_names_the_bad_id() {
        let err = IdFormat::Uuid
            .check(ProviderKind::Rounded, Operation::GetCall, "call id", "nope")
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"nope\""), "{text}");
        assert!(text.contains("rounded"), "{text}");
    }

    #[test]
    fn a_map_keyed_on_ids_is_looked_up_by_str() {
        use std::collections::{BTreeSet, HashMap};
        let mut calls: HashMap<CallId, u32> = HashMap::new();
        calls.insert(CallId::new("c1"), 1);
        calls.insert(CallId::new("c2"), 2);
        assert_eq!(calls.get("c2"), Some(&2));
        assert_eq!(calls.get("c3"), None);
        let notes: BTreeSet<NoteId> = [NoteId::new("n1")].into_iter().collect();
        assert!(notes.contains("n1"));
    }

    #[test]
    fn ids_serialize_transparently() {
        let id = CallId::new("abc");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc\"");
        assert_eq!(format!("{id:?}"), "CallId(\"abc\")");
    }
}
