//! `open_enum!`: string enums that never fail to decode.
//!
//! Vendors add enum values without notice. Every enum that comes from a vendor is declared
//! with this macro: the known values become variants, anything else lands in `Other(String)`
//! with the text kept verbatim, and serialization writes the exact vendor spelling back.
//! A number or a boolean where the vendor usually sends text is kept as text (`3`, `2.5`,
//! `true`; a float as Rust writes it, so `1.0` is `1`), and serialized as a string.

/// Declares a string-backed enum with an `Other(String)` fallback.
///
/// Reading never fails: `parse` and `From<&str>` copy an unknown text into `Other`,
/// `From<String>` keeps it without copying, and `FromStr` (for `str::parse`) has
/// [`Infallible`](std::convert::Infallible) for its error.
///
/// ```
/// voiceport_core::open_enum! {
///     /// How a call ended, as the vendor spells it.
///     pub enum Outcome {
///         /// The call completed.
///         Completed => "Completed",
///         /// Nobody picked up.
///         NoAnswer => "No answer",
///     }
/// }
///
/// assert_eq!(Outcome::parse("No answer"), Outcome::NoAnswer);
/// assert_eq!(Outcome::parse("Voicemail").as_str(), "Voicemail");
/// // `str::parse` never fails either, and an owned `String` is kept as it is.
/// assert_eq!("Completed".parse::<Outcome>(), Ok(Outcome::Completed));
/// assert_eq!(Outcome::from(String::from("Busy")), Outcome::Other("Busy".into()));
/// // Values compare as they are written: an `Other` spelling a known value is that value.
/// assert_eq!(Outcome::Other("Completed".into()), Outcome::Completed);
/// let json = serde_json::to_string(&Outcome::NoAnswer).unwrap();
/// assert_eq!(json, "\"No answer\"");
/// ```
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept verbatim.
            Other(::std::string::String),
        }

        // Equal as written: `Other("x")` built by hand is the known variant spelt "x", as
        // they serialize alike (and a value this version reads into `Other` stays equal
        // to itself once a later one knows it).
        impl ::std::cmp::PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl ::std::cmp::Eq for $name {}

        impl ::std::hash::Hash for $name {
            fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl $name {
            /// The exact string the vendor uses for this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(text) => text,
                }
            }

            /// Reads a value; unknown text becomes `Other`.
            pub fn parse(text: &str) -> Self {
                Self::known(text).unwrap_or_else(|| Self::Other(text.to_owned()))
            }

            /// The known variant `text` spells, if any: what `parse` and `From<String>`
            /// share (the latter keeps an unknown text without copying it).
            fn known(text: &str) -> ::std::option::Option<Self> {
                match text {
                    $( $text => ::std::option::Option::Some(Self::$variant), )+
                    _ => ::std::option::Option::None,
                }
            }

            /// Whether this value is one of the known variants.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::parse(text)
            }
        }

        // An owned text: an unknown value keeps it, without copying it.
        impl ::std::convert::From<::std::string::String> for $name {
            fn from(text: ::std::string::String) -> Self {
                Self::known(&text).unwrap_or(Self::Other(text))
            }
        }

        // Never fails: `str::parse` reads as `parse` does.
        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::parse(text))
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                struct Visitor;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E>(self, text: &str) -> ::std::result::Result<$name, E> {
                        Ok($name::parse(text))
                    }
                    // A vendor that sends a number or a boolean where a string was
                    // expected still gives a value: its JSON text, kept in `Other`.
                    fn visit_i64<E>(self, n: i64) -> ::std::result::Result<$name, E> {
                        Ok($name::parse(&n.to_string()))
                    }
                    fn visit_u64<E>(self, n: u64) -> ::std::result::Result<$name, E> {
                        Ok($name::parse(&n.to_string()))
                    }
                    fn visit_f64<E>(self, n: f64) -> ::std::result::Result<$name, E> {
                        Ok($name::parse(&n.to_string()))
                    }
                    fn visit_bool<E>(self, b: bool) -> ::std::result::Result<$name, E> {
                        Ok($name::parse(if b { "true" } else { "false" }))
                    }
                    // A number, where serde_json's `arbitrary_precision` is on in the
                    // build: a one-entry map holding its text. Any other map is refused.
                    fn visit_map<A>(self, map: A) -> ::std::result::Result<$name, A::Error>
                    where
                        A: $crate::__private::serde::de::MapAccess<'de>,
                    {
                        $crate::__private::arbitrary_precision_text(map, &self)
                            .map(|text| $name::parse(&text))
                    }
                }
                deserializer.deserialize_any(Visitor)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::CallKind;

    #[test]
    fn str_parse_reads_as_parse_does() {
        assert_eq!("web".parse::<CallKind>(), Ok(CallKind::Web));
        let parsed: Result<CallKind, std::convert::Infallible> = "fax".parse();
        assert_eq!(parsed, Ok(CallKind::Other("fax".into())));
    }

    #[test]
    fn an_owned_text_is_matched_first_and_else_kept_as_it_is() {
        assert_eq!(CallKind::from(String::from("chat")), CallKind::Chat);
        let text = String::from("carrier pigeon");
        let buffer = text.as_ptr();
        match CallKind::from(text) {
            CallKind::Other(kept) => {
                assert_eq!(kept, "carrier pigeon");
                assert_eq!(kept.as_ptr(), buffer, "the string was copied");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers_and_booleans_are_kept_as_their_json_text() {
        let read = |json: &str| serde_json::from_str::<CallKind>(json);
        assert_eq!(read(r#""web""#).unwrap(), CallKind::Web);
        assert_eq!(read("3").unwrap(), CallKind::Other("3".into()));
        assert_eq!(read("-1").unwrap(), CallKind::Other("-1".into()));
        assert_eq!(read("2.5").unwrap(), CallKind::Other("2.5".into()));
        assert_eq!(read("true").unwrap(), CallKind::Other("true".into()));
        // Optional: null is absent; an object or a list is still the wrong type.
        assert_eq!(
            serde_json::from_str::<Option<CallKind>>("null").unwrap(),
            None
        );
        assert!(read("{}").is_err());
        assert!(read("[]").is_err());
        assert!(read("null").is_err());
    }
}
