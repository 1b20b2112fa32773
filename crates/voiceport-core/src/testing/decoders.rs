//! One vendor's decoders, fed every input of the [`corpus`].

use serde_json::Value;

use super::DecoderCheck;
use super::corpus::{self, Fixture};

/// What an adapter's `feed` looks like: it hands `body` to every decoder of the vendor and
/// checks each result with the [`DecoderCheck`] it is given; `what` names the case.
pub type Feed = fn(DecoderCheck, &[u8], &str);

/// One vendor's decoders under the property-test inputs: a [`DecoderCheck`] and the
/// adapter's `feed`, which hands a body to every decoder and checks each result with the
/// check it is given. Each input is fed with the check, except a truncated body, which is
/// fed with [`DecoderCheck::refusing`]: no decoder may accept a body cut off mid-transfer.
/// (The [module](super) shows one in use.)
#[derive(Clone, Copy)]
pub struct Decoders<F = Feed> {
    check: DecoderCheck,
    feed: F,
}

impl<F> std::fmt::Debug for Decoders<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoders")
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

impl<F: Fn(DecoderCheck, &[u8], &str)> Decoders<F> {
    /// The decoders `feed` reaches, their results checked with `check`.
    pub const fn new(check: DecoderCheck, feed: F) -> Self {
        Decoders { check, feed }
    }

    /// Feeds one body to every decoder.
    pub fn feed(&self, body: &[u8], what: &str) {
        // What budgets the test set before is not this body's decode.
        crate::adapter::bounded::take_budgets_set();
        (self.feed)(self.check, body, what);
    }

    /// Every fixture, then `per_fixture` mutants of each ([`corpus::each_mutant`]).
    pub fn each_mutant(&self, fixtures: &[Fixture], seed: u64, per_fixture: usize) {
        corpus::each_mutant(fixtures, seed, per_fixture, |body, what| {
            self.feed(body, what)
        });
    }

    /// `count` arbitrary JSON values, alone and planted in each of `wrap`'s shapes
    /// ([`corpus::each_arbitrary`]).
    pub fn each_arbitrary(&self, seed: u64, count: usize, wrap: impl Fn(&Value) -> Vec<Value>) {
        corpus::each_arbitrary(seed, count, wrap, |body, what| self.feed(body, what));
    }

    /// `count` runs of random bytes, then the near misses ([`corpus::each_garbage`]).
    pub fn each_garbage(&self, seed: u64, count: usize) {
        corpus::each_garbage(seed, count, |body, what| self.feed(body, what));
    }

    /// Strict prefixes of every fixture ([`corpus::each_truncation`]), each of which every
    /// decoder must refuse.
    pub fn each_truncation(&self, fixtures: &[Fixture]) {
        let refusing = self.check.refusing();
        corpus::each_truncation(fixtures, |body, what| {
            crate::adapter::bounded::take_budgets_set();
            (self.feed)(refusing, body, what);
        });
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;
    use crate::http::decode_json;
    use crate::{Operation, ProviderKind};

    const CHECK: DecoderCheck = DecoderCheck::new(ProviderKind::Rounded).without_payload();

    fn decode(check: DecoderCheck, body: &[u8], what: &str) {
        let result = decode_json::<Value>(ProviderKind::Rounded, Operation::GetCall, body);
        check.value(body, result, what);
    }

    fn fixture() -> Fixture {
        Fixture {
            name: "call.json".into(),
            body: br#"{"id": "c1", "tags": ["a", "b"]}"#.to_vec(),
        }
    }

    #[test]
    fn every_input_reaches_the_feed_with_the_check() {
        let seen = RefCell::new(Vec::new());
        let decoders = Decoders::new(CHECK, |check: DecoderCheck, body: &[u8], what: &str| {
            decode(check, body, what);
            seen.borrow_mut().push(what.to_owned());
        });
        decoders.feed(b"{}", "one");
        decoders.each_mutant(&[fixture()], 1, 3);
        decoders.each_arbitrary(2, 2, |v| vec![v.clone()]);
        decoders.each_garbage(3, 2);
        let seen = seen.into_inner();
        assert_eq!(seen[..2], ["one", "call.json"]);
        assert_eq!(seen.iter().filter(|w| w.contains("mutant")).count(), 3);
        assert_eq!(seen.iter().filter(|w| w.contains("in shape")).count(), 2);
        assert!(seen.iter().any(|w| w == "garbage 1"));
        assert!(seen.iter().any(|w| w.starts_with("near miss")));
    }

    #[test]
    fn truncated_bodies_are_fed_with_a_refusing_check() {
        // Every strict prefix of a JSON object is refused: the check passes.
        const DECODERS: Decoders = Decoders::new(CHECK, decode);
        DECODERS.each_truncation(&[fixture()]);
        // A feed that accepts anything fails the refusing check.
        let lenient = Decoders::new(CHECK, |check: DecoderCheck, body: &[u8], what: &str| {
            check.value(body, Ok(()), what);
        });
        let accepted = catch_unwind(AssertUnwindSafe(|| lenient.each_truncation(&[fixture()])));
        assert!(accepted.is_err());
    }
}
