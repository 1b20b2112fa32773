//! [`Text`]: a JSON string that borrows from the body when it can.

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
}
