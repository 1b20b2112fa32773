//! [`Text`]: a JSON string that borrows from the body when it can; and the small text
//! helpers vendor values need (blank is absent, a value shortened for a warning, a number
//! routed by its digits).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A JSON string borrowed from the body when it has no escapes, copied when it has: for wire
/// fields that are only inspected (times, enum values), or of which one of several is kept.
///
/// Serde borrows a `Cow<str>` only when it is a field's whole type (an `Option<Cow<str>>`
/// always copies), and a `&str` refuses an escaped string; `Option<Text>` does neither.
///
/// ```
/// use voiceport_core::adapter::Text;
///
/// let body = r#"["2026-03-10T15:42:07Z", "caf\u00e9"]"#;
/// let [time, name]: [Text; 2] = serde_json::from_str(body).unwrap();
/// assert!(matches!(time.0, std::borrow::Cow::Borrowed(_))); // no copy
/// assert_eq!(&*name, "café"); // unescaped, so copied
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned: copied only when it was borrowed.
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

struct TextVisitor<'a>(PhantomData<&'a str>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Borrowed(text)))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(text)))
    }
}

/// At most 80 characters of a vendor value, for a warning or a log line: control
/// characters and text-direction overrides escaped (`\n`, `\u{202e}`), so that a value
/// cannot start a forged line of its own in a log, nor reorder one.
///
/// ```
/// use voiceport_core::adapter::shorten;
/// assert_eq!(shorten("call_ended\nWARN forged"), "call_ended\\nWARN forged");
/// assert_eq!(shorten(&"a".repeat(81)), format!("{}…", "a".repeat(80)));
/// ```
pub fn shorten(text: &str) -> String {
    let mut shown = String::with_capacity(text.len().min(80));
    for (count, c) in text.chars().enumerate() {
        if count == 80 {
            shown.push('…');
            break;
        }
        if crate::http::decode::is_unsafe_char(c) {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// The text when it is present and not empty (whitespace is text: see [`non_blank`] for
/// ids), of whatever string type it is: borrowed, owned or [`Text`].
///
/// ```
/// use voiceport_core::adapter::non_empty;
/// assert_eq!(non_empty(Some("a")), Some("a"));
/// assert_eq!(non_empty(Some(String::new())), None);
/// assert_eq!(non_empty(Some(" ")), Some(" "));
/// ```
pub fn non_empty<S: Deref<Target = str>>(text: Option<S>) -> Option<S> {
    text.filter(|t| !t.is_empty())
}

/// `id` when it can name something: `None` when it is empty or only whitespace (what
/// [`read_id`](super::read_id) and [`check_call`](super::check_call) call blank). For the
/// ids an event is known by (its call, its delivery), where a blank one is no id at all.
///
/// ```
/// use voiceport_core::adapter::non_blank;
/// assert_eq!(non_blank("c1"), Some("c1"));
/// assert_eq!(non_blank(" \t"), None);
/// assert_eq!(non_blank(String::new()), None);
/// ```
pub fn non_blank<S: std::ops::Deref<Target = str>>(id: S) -> Option<S> {
    (!id.trim().is_empty()).then_some(id)
}

/// A number called as one key, however it was typed: written as digits after an optional
/// `+` when it is a phone number (`+1 (415) 555-0187` is `+14155550187`); anything else
/// (a SIP URI) as it is. A route picks a provider by it, so that one customer always goes
/// one way; the conformance suite compares the number dialed with the number a call says
/// it called by it.
///
/// ```
/// use voiceport_core::adapter::number_key;
/// assert_eq!(number_key("+1 (415) 555-0187"), "+14155550187");
/// assert_eq!(number_key("sip:desk@example.com"), "sip:desk@example.com");
/// ```
pub fn number_key(to: &str) -> Cow<'_, str> {
    let to = to.trim();
    let written = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')');
    let body = to.strip_prefix('+').unwrap_or(to);
    if body.is_empty() || !body.chars().all(written) || !body.contains(|c: char| c.is_ascii_digit())
    {
        return Cow::Borrowed(to);
    }
    let digits = body.chars().filter(char::is_ascii_digit);
    let plus = to.starts_with('+').then_some('+');
    Cow::Owned(plus.into_iter().chain(digits).collect())
}

/// Whether two numbers are one, however typed, a vendor that drops the `+` included
/// (`14155550187` is `+1 (415) 555-0187`): [`number_key`] with the `+` left out.
///
/// ```
/// use voiceport_core::adapter::same_number;
/// assert!(same_number("14155550187", "+1 (415) 555-0187"));
/// assert!(!same_number("+14155550188", "+14155550187"));
/// ```
pub fn same_number(a: &str, b: &str) -> bool {
    let key = |number| number_key(number).trim_start_matches('+').to_owned();
    key(a) == key(b)
}

/// The number to call as a vendor takes it: a phone number written with spaces, dashes,
/// dots or parentheses after its `+` (`+1 (415) 555-0187`) as E.164 (`+14155550187`);
/// anything else as written, trimmed. Kept as written: a SIP URI, a `tel:` URI; a number
/// without `+` (which country it is in is the vendor's reading); one with a national trunk
/// prefix in parentheses (`+44 (0)20 7946 0958`, whose `0` is not dialed from abroad); one
/// with anything but digits and those separators (an extension written `ext 2`, `x2`,
/// `;ext=2`); one whose digits are not E.164's 7 to 15, the first not 0: a vendor checking
/// E.164 then refuses it rather than dials another number. Digits are never told apart by
/// their separators: an extension written as more digits after a space (`+1 415 555 0187
/// 22`), or a trunk `0` without parentheses, stays in a number of 15 digits or fewer.
///
/// ```
/// use voiceport_core::adapter::dial_number;
/// assert_eq!(dial_number(" +1 (415) 555-0187 "), "+14155550187");
/// assert_eq!(dial_number("+44 (0)20 7946 0958"), "+44 (0)20 7946 0958");
/// assert_eq!(dial_number("(415) 555-0187"), "(415) 555-0187");
/// assert_eq!(dial_number("sip:desk@example.com"), "sip:desk@example.com");
/// ```
pub fn dial_number(to: &str) -> Cow<'_, str> {
    let to = to.trim();
    if !to.starts_with('+') || to.contains("(0)") {
        return Cow::Borrowed(to);
    }
    match number_key(to) {
        Cow::Owned(digits) if is_e164(&digits) => Cow::Owned(digits),
        _ => Cow::Borrowed(to),
    }
}

/// Whether `text` is a phone number written otherwise than in E.164 (`4155550187`,
/// `+1 (415) 555-0187`): digits and separators (spaces, dashes, dots, parentheses) after
/// an optional `+`, yet not E.164. Vendors store numbers in E.164 and compare them as
/// written: such a number reaches them as E.164 only where [`dial_number`] writes it so.
/// Other text (a SIP URI) is not a phone number so written.
///
/// ```
/// use voiceport_core::adapter::written_otherwise_than_e164;
/// assert!(written_otherwise_than_e164("+1 (415) 555-0187"));
/// assert!(written_otherwise_than_e164("4155550187"));
/// assert!(!written_otherwise_than_e164("+14155550187"));
/// assert!(!written_otherwise_than_e164("sip:desk@example.com"));
/// ```
pub fn written_otherwise_than_e164(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    let phone_like = digits.bytes().any(|b| b.is_ascii_digit())
        && (digits.bytes()).all(|b| b.is_ascii_digit() || b" ()-.".contains(&b));
    phone_like && !is_e164(text)
}

/// Whether `text` is an E.164 number: `+`, then 7 to 15 digits, the first not 0.
///
/// ```
/// use voiceport_core::adapter::is_e164;
/// assert!(is_e164("+14155550187"));
/// assert!(!is_e164("+1 415 555 0187"));
/// ```
pub fn is_e164(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or_default();
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_strings_and_refuses_what_is_not_one() {
        let body = r#"{"a": "plain", "b": "tab\there", "c": null}"#;
        #[derive(serde::Deserialize)]
        struct Wire<'a> {
            #[serde(borrow)]
            a: Option<Text<'a>>,
            #[serde(borrow)]
            b: Option<Text<'a>>,
            #[serde(borrow)]
            c: Option<Text<'a>>,
        }
        let wire: Wire = serde_json::from_str(body).unwrap();
        assert!(matches!(
            wire.a.as_ref().map(|t| &t.0),
            Some(Cow::Borrowed("plain"))
        ));
        assert!(matches!(wire.b.as_ref().map(|t| &t.0), Some(Cow::Owned(_))));
        assert_eq!(wire.b.map(Text::into_owned).as_deref(), Some("tab\there"));
        assert_eq!(wire.c, None);
        let error = serde_json::from_str::<Text>("42").unwrap_err();
        assert!(error.to_string().contains("expected a string"), "{error}");
    }

    /// Only a number written with separators after its `+` is collapsed, and only into
    /// E.164; everything else goes as written (trimmed).
    #[test]
    fn a_number_is_dialed_as_e164_only_where_it_reads_as_one() {
        for (written, dialed) in [
            ("+1 (415) 555-0187", "+14155550187"),
            ("+1.415.555.0187", "+14155550187"),
            ("  +14155550187\t", "+14155550187"),
            ("+44 20 7946 0958", "+442079460958"),
            // Kept: a trunk prefix in parentheses, an extension in words, a URI, no `+`,
            // more than 15 digits, a first digit 0, a `+` alone.
            ("+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
            ("+1-415-555-0187 ext 2", "+1-415-555-0187 ext 2"),
            ("+1 415 555 0187;ext=2", "+1 415 555 0187;ext=2"),
            ("tel:+14155550187", "tel:+14155550187"),
            ("sip:desk@example.com", "sip:desk@example.com"),
            ("(415) 555-0187", "(415) 555-0187"),
            ("+1 415 555 0187 2041 99", "+1 415 555 0187 2041 99"),
            ("+0 415 555 0187", "+0 415 555 0187"),
            ("+", "+"),
            ("＋１ ４１５", "＋１ ４１５"),
        ] {
            assert_eq!(dial_number(written), dialed, "{written:?}");
        }
    }

    #[test]
    fn non_empty_text() {
        assert_eq!(non_empty(Some(String::new())), None);
        assert_eq!(non_empty(Some(String::from("a"))).as_deref(), Some("a"));
    }

    /// The number called is routed by its digits: however it is written, one customer goes
    /// one way. What is not a phone number is taken as it is.
    #[test]
    fn a_number_is_routed_by_its_digits() {
        for written in [
            "+14155550187",
            " +1 415 555 0187",
            "+1 (415) 555-0187",
            "+1.415.555.0187",
        ] {
            assert_eq!(number_key(written), "+14155550187", "{written:?}");
        }
        assert_eq!(number_key("(415) 555-0187"), "4155550187");
        for other in [
            "sip:support@example.com",
            "+",
            "",
            "ext-204",
            "+1 415 555 0187;ext=2",
        ] {
            assert_eq!(number_key(other), other.trim(), "{other:?}");
        }
    }
}
