//! The assistant's own numbers by id. A Vapi call read from the API names the number it is
//! on by `phoneNumberId` only; the client looks each id up (`GET /phone-number/{id}`),
//! keeps the answer, and hands what it knows to the mapping, which notes the ids it does
//! not know yet.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use voiceport_core::{Call, WarningKind};

/// What is known of one phone number id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Known {
    /// Its number (E.164), or the SIP URI of a SIP number.
    Number(String),
    /// It could not be learned, and why; until when that holds (`None`: for good, as for
    /// a number that no longer exists), after which it is looked up again.
    Unlearned { why: String, until: Option<Instant> },
}

/// What one decode knows of the account's numbers: the client's book as the read began,
/// and what the read itself learned; in a first decode, the ids met that neither knows
/// (or whose failure has run out), for the client to look up.
#[derive(Debug, Default)]
pub(crate) struct KnownNumbers {
    book: Arc<HashMap<String, Known>>,
    /// This read's lookups' answers and the ids it did not ask: after the book's numbers
    /// (another read may have learned one meanwhile), before its failures.
    this_read: HashMap<String, Known>,
    /// A read's last decode: an id known to neither is said, not noted (nothing will ask).
    last: bool,
    /// A decode runs on one thread (the caller's, or the blocking pool's).
    unknown: RefCell<BTreeSet<String>>,
}

impl KnownNumbers {
    /// For a first decode, or one that will not look anything up (a write's answer):
    /// the numbers of `book`.
    pub(crate) fn first(book: Arc<HashMap<String, Known>>) -> Self {
        KnownNumbers {
            book,
            ..KnownNumbers::default()
        }
    }

    /// For a read's last decode: the numbers of `book`, and what the read learned.
    pub(crate) fn last(
        book: Arc<HashMap<String, Known>>,
        this_read: HashMap<String, Known>,
    ) -> Self {
        KnownNumbers {
            book,
            this_read,
            last: true,
            unknown: RefCell::default(),
        }
    }

    fn get(&self, id: &str) -> Option<&Known> {
        match self.book.get(id) {
            Some(number @ Known::Number(_)) => Some(number),
            in_book => self.this_read.get(id).or(in_book),
        }
    }

    /// The number of `id`, named by the call at `field`. Where it could not be learned, or
    /// a last decode does not know it: none, and a warning on `call`. Where a first decode
    /// does not know it: none, and `id` is noted.
    pub(crate) fn number_of(
        &self,
        call: &mut Call,
        field: impl FnOnce() -> String,
        id: &str,
    ) -> Option<String> {
        let why = match self.get(id) {
            Some(Known::Number(number)) => return Some(number.clone()),
            Some(Known::Unlearned { why, until })
                if self.last || until.is_none_or(|t| Instant::now() < t) =>
            {
                why.as_str()
            }
            _ if self.last => "not looked up",
            _ => {
                self.unknown.borrow_mut().insert(id.to_owned());
                return None;
            }
        };
        let message = format!("the number of this phone number id was not learned: {why}");
        call.warn(WarningKind::NotLookedUp, field(), id, message);
        None
    }

    /// The ids met that were not known.
    pub(crate) fn into_unknown(self) -> BTreeSet<String> {
        self.unknown.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use voiceport_core::{CallId, ProviderKind};

    use super::*;

    #[test]
    fn known_numbers_unlearned_ones_and_ids_to_look_up() {
        let later = Instant::now() + Duration::from_secs(60);
        let past = Instant::now().checked_sub(Duration::from_secs(1));
        let mut known = HashMap::from([
            ("n1".to_owned(), Known::Number("+15125550100".into())),
            (
                "gone".to_owned(),
                Known::Unlearned {
                    why: "404".into(),
                    until: None,
                },
            ),
            (
                "down".to_owned(),
                Known::Unlearned {
                    why: "503".into(),
                    until: Some(later),
                },
            ),
        ]);
        if let Some(past) = past {
            known.insert(
                "stale".into(),
                Known::Unlearned {
                    why: "503".into(),
                    until: Some(past),
                },
            );
        }
        let known = KnownNumbers::first(Arc::new(known));
        let mut call = Call::new(CallId::new("c"), ProviderKind::Vapi);
        let field = || "phoneNumberId".to_owned();
        assert_eq!(
            known.number_of(&mut call, field, "n1").as_deref(),
            Some("+15125550100")
        );
        assert_eq!(known.number_of(&mut call, field, "gone"), None);
        assert_eq!(known.number_of(&mut call, field, "down"), None);
        assert_eq!(known.number_of(&mut call, field, "new"), None);
        assert_eq!(known.number_of(&mut call, field, "stale"), None);
        // The unlearned ones warn, saying why; the unknown and run-out ones are noted.
        let warned: Vec<_> = call
            .warnings
            .iter()
            .map(|w| (w.kind.clone(), w.value.as_str()))
            .collect();
        assert_eq!(
            warned,
            [
                (WarningKind::NotLookedUp, "gone"),
                (WarningKind::NotLookedUp, "down")
            ]
        );
        assert!(
            call.warnings[0].message.ends_with(": 404"),
            "{}",
            call.warnings[0].message
        );
        let mut expected = BTreeSet::from(["new".to_owned()]);
        if past.is_some() {
            expected.insert("stale".into());
        }
        assert_eq!(known.into_unknown(), expected);
    }
}
