//! The account's phone numbers, learned by id and kept by the client: a Vapi call read
//! from the API names the assistant's number by `phoneNumberId` only, and its side of the
//! call (`from` of an outbound call, `to` of an inbound one) would be empty without them.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use voiceport_core::Result;

use crate::map::numbers::{Known, KnownNumbers};

/// The most numbers one read looks up (at once): a page names one or two, a hostile one
/// could name a thousand.
pub(crate) const MOST_LOOKUPS_PER_READ: usize = 16;

/// The most numbers a book keeps: an account has a handful.
const MOST_KEPT: usize = 1_000;

/// How long a lookup that failed for a reason that may pass (a 5xx, a timeout, a refused
/// key) is not tried again, so that a walk of many pages does not wait on a failing
/// endpoint page after page.
const RETRY_FAILED_AFTER: Duration = Duration::from_secs(60);

/// What a client has learned of its account's numbers, shared by its clones. A number
/// learned stays (an id always names the same number); so does a number that no longer
/// exists (404), one with neither a number nor a URI, and an id that is not one (not a
/// UUID); any other failure for [`RETRY_FAILED_AFTER`]. When the book is full, its failures
/// make room first; past that, what a read learns serves that read only.
#[derive(Default)]
pub(crate) struct NumberBook {
    /// Swapped whole on an update, so that a decode reads a snapshot without a lock.
    known: RwLock<Arc<HashMap<String, Known>>>,
}

/// The numbers are the account's, not secrets, but a client's `Debug` need not list them.
impl fmt::Debug for NumberBook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NumberBook")
            .field("known", &self.snapshot().len())
            .finish()
    }
}

impl NumberBook {
    /// What a decode starts with: the numbers known now.
    pub(crate) fn known_numbers(&self) -> KnownNumbers {
        KnownNumbers::first(self.snapshot())
    }

    fn snapshot(&self) -> Arc<HashMap<String, Known>> {
        // A panic while the lock was held left a whole map (it is swapped, not edited),
        // so a poisoned lock is read (and written, in `learn`) as it is.
        Arc::clone(&self.known.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Keeps what one read learned (`answers`: each id asked, with its lookup's answer) and
    /// returns what the read's last decode needs: the book, these answers, and `left`
    /// (the ids met but not asked) unlearned for this read only. A number the book has is
    /// never replaced by a failure.
    pub(crate) fn learn(
        &self,
        answers: Vec<(String, Result<Option<String>>)>,
        left: impl IntoIterator<Item = String>,
    ) -> KnownNumbers {
        let now = Instant::now();
        let learned: Vec<(String, Known)> = (answers.into_iter())
            .map(|(id, answer)| (id, known_of(answer, now)))
            .collect();
        let mut book = self.known.write().unwrap_or_else(PoisonError::into_inner);
        let mut kept = HashMap::clone(&book);
        for (id, value) in &learned {
            match kept.get(id) {
                Some(Known::Number(_)) => continue,
                Some(_) => {}
                None if kept.len() < MOST_KEPT => {}
                None => {
                    kept.retain(|_, known| matches!(known, Known::Number(_)));
                    if kept.len() >= MOST_KEPT {
                        continue;
                    }
                }
            }
            kept.insert(id.clone(), value.clone());
        }
        *book = Arc::new(kept);
        let book = Arc::clone(&book);
        let why =
            format!("not looked up: one answer named more than {MOST_LOOKUPS_PER_READ} numbers");
        let left = left.into_iter().map(|id| {
            let unasked = Known::Unlearned {
                why: why.clone(),
                until: None,
            };
            (id, unasked)
        });
        KnownNumbers::last(book, learned.into_iter().chain(left).collect())
    }
}

/// What a lookup's answer says of its id: failures that will not pass (the number gone,
/// an id refused before sending) are kept for good, any other for a while.
fn known_of(answer: Result<Option<String>>, now: Instant) -> Known {
    match answer {
        Ok(Some(number)) => Known::Number(number),
        Ok(None) => Known::Unlearned {
            why: "the phone number names no `number`, `twilioPhoneNumber` or `sipUri`".into(),
            until: None,
        },
        Err(error) => {
            let lasting = matches!(error, voiceport_core::Error::NotFound { .. })
                || error.is_refused_locally();
            Known::Unlearned {
                until: (!lasting).then(|| now + RETRY_FAILED_AFTER),
                why: error.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use voiceport_core::{Call, CallId, Error, Operation, ProviderKind};

    use super::*;

    fn number_of(known: &KnownNumbers, id: &str) -> (Option<String>, Vec<String>) {
        let mut call = Call::new(CallId::new("c"), ProviderKind::Vapi);
        let number = known.number_of(&mut call, || "phoneNumberId".into(), id);
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
        assert!(number_of(&read, "bare").1[0].contains("names no `number`"));
        // The last decode says what nothing will ask: an id neither the book nor the read
        // knows (a failure that ran out between the two decodes).
        assert_eq!(
            number_of(&read, "other").1,
            ["the number of this phone number id was not learned: not looked up"]
        );
        // The book keeps each, the passing failure with a time: none of them is looked
        // up again for now, and the one not asked is unknown (it will be asked next).
        let next = book.known_numbers();
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

    /// A number another read learned meanwhile wins over this read's not asking it too.
    #[test]
    fn a_number_in_the_book_wins_over_an_id_left_unasked() {
        let book = NumberBook::default();
        book.learn(vec![("n1".into(), Ok(Some("+15125550100".into())))], []);
        let read = book.learn(Vec::new(), ["n1".to_owned(), "n2".to_owned()]);
        assert_eq!(number_of(&read, "n1").0.as_deref(), Some("+15125550100"));
        assert!(number_of(&read, "n2").1[0].contains("more than 16 numbers"));
        // What was left unasked is not kept: the next read asks it.
        let next = book.known_numbers();
        assert_eq!(number_of(&next, "n2"), (None, Vec::new()));
        assert_eq!(next.into_unknown(), ["n2".to_owned()].into());
    }

    /// A refused key may be mended: kept for a while, not for good; a number another
    /// read learned meanwhile is not taken back by this read's failure.
    #[test]
    fn a_failure_never_takes_back_a_number_learned() {
        let book = NumberBook::default();
        let op = Operation::ExtensionRead("phone_number");
        let refused = || Error::from_status(ProviderKind::Vapi, op, 401, None, Vec::new());
        book.learn(vec![("n1".into(), Ok(Some("+15125550100".into())))], []);
        let read = book.learn(
            vec![("n1".into(), Err(refused())), ("n2".into(), Err(refused()))],
            [],
        );
        assert_eq!(number_of(&read, "n1").0.as_deref(), Some("+15125550100"));
        let kept = book.snapshot();
        assert_eq!(kept["n1"], Known::Number("+15125550100".into()));
        assert!(matches!(
            &kept["n2"],
            Known::Unlearned { until: Some(_), .. }
        ));
        assert!(format!("{book:?}").contains("known: 2"), "{book:?}");
    }

    #[test]
    fn a_full_book_makes_room_by_dropping_failures_then_keeps_no_more() {
        let book = NumberBook::default();
        let op = Operation::ExtensionRead("phone_number");
        let mut answers: Vec<_> = (0..MOST_KEPT - 1)
            .map(|i| (format!("n{i}"), Ok(Some(format!("+1512555{i:04}")))))
            .collect();
        answers.push((
            "gone".into(),
            Err(Error::from_status(
                ProviderKind::Vapi,
                op,
                404,
                None,
                Vec::new(),
            )),
        ));
        book.learn(answers, []);
        assert_eq!(book.snapshot().len(), MOST_KEPT);
        // A new number takes the failure's place; the one after it is not kept.
        let read = book.learn(
            vec![
                ("new".into(), Ok(Some("+15125559998".into()))),
                ("last".into(), Ok(Some("+15125559999".into()))),
            ],
            [],
        );
        let kept = book.snapshot();
        assert_eq!(kept.len(), MOST_KEPT);
        assert!(
            kept.contains_key("new") && !kept.contains_key("gone") && !kept.contains_key("last")
        );
        // The read itself has them all.
        assert_eq!(number_of(&read, "last").0.as_deref(), Some("+15125559999"));
    }
}
