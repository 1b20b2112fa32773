//! The account's phone numbers, learned by id once per client: a Vapi call read from the
//! API names the assistant's number by `phoneNumberId` only, and its side of the call
//! (`from` of an outbound call, `to` of an inbound one) would be empty without them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use voiceport_core::Result;

use crate::map::numbers::{Known, NumberIds};

/// The most numbers one read looks up (at once): a page names one or two, a hostile one
/// could name a thousand.
pub(crate) const MOST_LOOKUPS_PER_READ: usize = 16;

/// The most numbers a book keeps: an account has a handful.
const MOST_KEPT: usize = 1_000;

/// How long a lookup that failed on its way (a 5xx, a timeout) is not tried again, so that
/// a walk of many pages does not wait on a failing endpoint page after page.
const RETRY_FAILED_AFTER: Duration = Duration::from_secs(60);

/// What a client has learned of its account's numbers, shared by its clones. Ids are
/// never reused, so a number learned stays true; a failure is kept for
/// [`RETRY_FAILED_AFTER`] when it may pass, for good when it will not (a number deleted).
#[derive(Debug, Default)]
pub(crate) struct NumberBook {
    /// Swapped whole on an update, so that a decode reads a snapshot without a lock.
    known: RwLock<Arc<HashMap<String, Known>>>,
}

impl NumberBook {
    /// What a decode starts with: the numbers known now.
    pub(crate) fn ids(&self) -> NumberIds {
        NumberIds::new(self.snapshot())
    }

    fn snapshot(&self) -> Arc<HashMap<String, Known>> {
        // A panic while the lock was held left a whole map (it is swapped, not edited).
        match self.known.read() {
            Ok(known) => Arc::clone(&known),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Keeps what one read learned (`answers`: each id asked, with its lookup's answer) and
    /// returns what a second decode of that read needs: the book's numbers, these answers,
    /// and `left` (the ids met but not asked) unlearned for this read only.
    pub(crate) fn learn(
        &self,
        answers: Vec<(String, Result<Option<String>>)>,
        left: impl IntoIterator<Item = String>,
    ) -> NumberIds {
        let now = Instant::now();
        let learned: Vec<(String, Known)> = answers
            .into_iter()
            .map(|(id, answer)| (id, known_of(answer, now)))
            .collect();
        let mut known = match self.known.write() {
            Ok(known) => known,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut kept = HashMap::clone(&known);
        for (id, value) in &learned {
            if kept.len() < MOST_KEPT || kept.contains_key(id) {
                kept.insert(id.clone(), value.clone());
            }
        }
        *known = Arc::new(kept);
        let mut for_this_read = HashMap::clone(&known);
        drop(known);
        for_this_read.extend(learned);
        for_this_read.extend(left.into_iter().map(|id| {
            let why = format!(
                "not looked up: one answer named more than {MOST_LOOKUPS_PER_READ} numbers"
            );
            (id, Known::Unlearned { why, until: None })
        }));
        NumberIds::new(Arc::new(for_this_read))
    }
}

/// What a lookup's answer says of its id.
fn known_of(answer: Result<Option<String>>, now: Instant) -> Known {
    match answer {
        Ok(Some(number)) => Known::Number(number),
        Ok(None) => Known::Unlearned {
            why: "the phone number has neither a `number` nor a `sipUri`".into(),
            until: None,
        },
        Err(error) => Known::Unlearned {
            until: error.is_transient().then(|| now + RETRY_FAILED_AFTER),
            why: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use voiceport_core::{Call, CallId, Error, Operation, ProviderKind};

    use super::*;

    fn number_of(ids: &NumberIds, id: &str) -> (Option<String>, Vec<String>) {
        let mut call = Call::new(CallId::new("c"), ProviderKind::Vapi);
        let number = ids.number_of(&mut call, || "phoneNumberId".into(), id);
        (
            number,
            call.warnings.into_iter().map(|w| w.message).collect(),
        )
    }

    #[test]
    fn a_book_keeps_numbers_and_lasting_failures_and_retries_passing_ones() {
        let book = NumberBook::default();
        let op = Operation::ExtensionRead("phone_number");
        let gone = Error::from_status(ProviderKind::Vapi, op, 404, None, Vec::new());
        let down = Error::from_status(ProviderKind::Vapi, op, 503, None, Vec::new());
        let answers = vec![
            ("n1".to_owned(), Ok(Some("+15125550100".to_owned()))),
            ("bare".to_owned(), Ok(None)),
            ("gone".to_owned(), Err(gone)),
            ("down".to_owned(), Err(down)),
        ];
        let read = book.learn(answers, ["many".to_owned()]);
        // The read that learned them: every id answered, the one not asked unlearned.
        assert_eq!(number_of(&read, "n1").0.as_deref(), Some("+15125550100"));
        for id in ["bare", "gone", "down", "many"] {
            let (number, warnings) = number_of(&read, id);
            assert_eq!((number, warnings.len()), (None, 1), "{id}");
        }
        assert!(number_of(&read, "many").1[0].contains("more than 16 numbers"));
        assert!(number_of(&read, "bare").1[0].contains("neither a `number` nor a `sipUri`"));
        // The book keeps each, the passing failure with a time: none of them is looked
        // up again for now, and the one not asked is unknown (it will be asked next).
        let next = book.ids();
        assert_eq!(number_of(&next, "n1").0.as_deref(), Some("+15125550100"));
        for id in ["bare", "gone", "down"] {
            assert_eq!(number_of(&next, id).1.len(), 1, "{id}");
        }
        assert_eq!(number_of(&next, "many").1.len(), 0);
        assert_eq!(next.into_unknown(), ["many".to_owned()].into());
        let kept = book.snapshot();
        assert!(matches!(
            &kept["gone"],
            Known::Unlearned { until: None, .. }
        ));
        assert!(matches!(
            &kept["down"],
            Known::Unlearned { until: Some(_), .. }
        ));
    }

    #[test]
    fn a_full_book_keeps_no_more() {
        let book = NumberBook::default();
        let answers = (0..MOST_KEPT + 5)
            .map(|i| (format!("n{i}"), Ok(Some(format!("+1512555{i:04}")))))
            .collect();
        let read = book.learn(answers, []);
        assert_eq!(book.snapshot().len(), MOST_KEPT);
        // The read itself has them all.
        let last = format!("n{}", MOST_KEPT + 4);
        assert!(number_of(&read, &last).0.is_some());
    }
}
