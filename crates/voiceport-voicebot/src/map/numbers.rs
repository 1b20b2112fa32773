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

/// What one decode knows of the account's numbers, and the ids it met that it does not
/// know (or whose last failure has run out), for the client to look up.
#[derive(Debug, Default)]
pub(crate) struct NumberLookup {
    known: Arc<HashMap<String, Known>>,
    /// A decode runs on one thread (the caller's, or the blocking pool's).
    unknown: RefCell<BTreeSet<String>>,
}

impl NumberLookup {
    /// Numbers as `known` has them.
    pub(crate) fn new(known: Arc<HashMap<String, Known>>) -> Self {
        NumberLookup {
            known,
            unknown: RefCell::default(),
        }
    }

    /// The number of `id`, named by the call at `field`: where it could not be learned,
    /// none and a warning on `call`; where it is not known, none, and `id` is noted.
    pub(crate) fn number_of(
        &self,
        call: &mut Call,
        field: impl FnOnce() -> String,
        id: &str,
    ) -> Option<String> {
        match self.known.get(id) {
            Some(Known::Number(number)) => Some(number.clone()),
            Some(Known::Unlearned { why, until }) if until.is_none_or(|t| Instant::now() < t) => {
                let message = format!("the number of this phone number id was not learned: {why}");
                call.warn(WarningKind::NotLookedUp, field(), id, message);
                None
            }
            _ => {
                self.unknown.borrow_mut().insert(id.to_owned());
                None
            }
        }
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
        let ids = NumberLookup::new(Arc::new(known));
        let mut call = Call::new(CallId::new("c"), ProviderKind::Vapi);
        let field = || "phoneNumberId".to_owned();
        assert_eq!(
            ids.number_of(&mut call, field, "n1").as_deref(),
            Some("+15125550100")
        );
        assert_eq!(ids.number_of(&mut call, field, "gone"), None);
        assert_eq!(ids.number_of(&mut call, field, "down"), None);
        assert_eq!(ids.number_of(&mut call, field, "new"), None);
        assert_eq!(ids.number_of(&mut call, field, "stale"), None);
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
        assert_eq!(ids.into_unknown(), expected);
    }
}
