//! A conversation as it is read: the message lists of the Vapi family's calls, reports and
//! updates, and what each reading of them decodes.
//!
//! Messages are mapped while they are read, not after: the body is gone over once (a list
//! page is 1,000 calls of 30 messages). A call's `messages` become utterances as serde
//! decodes them ([`Utterances`], each message moved into its [`utterance`] as soon as it is
//! read): no list of wire messages is built, then walked and dropped. The copies of a
//! conversation read only when the lists before them are empty stay raw ([`RawMessages`]),
//! and a `conversation-update`'s list is only delimited up to its newest message
//! ([`Newest`]).
//!
//! So these are mapping, not wire, types: [`crate::wire`] names them in its structs (its
//! only use of `map`), and they read each message as a wire [`Message`].

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::value::RawValue;
use voiceport_core::Utterance;
use voiceport_core::adapter::{list_has_room, take_entry};

use super::call::utterance;
use crate::wire::Message;

/// A list of messages read raw: a copy of a conversation decoded only when the lists before
/// it are empty (a malformed copy that is never read fails nothing), or a
/// `conversation-update`'s list, of which only the newest message is decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawMessages<'a>(pub(crate) &'a RawValue);

impl RawMessages<'_> {
    /// Whether it certainly holds no message: `[]`. (A value that is not an array is not
    /// empty: decoding it says what is wrong with it.)
    pub(crate) fn is_empty(&self) -> bool {
        let text = self.0.get();
        text.strip_prefix('[')
            .is_some_and(|rest| rest.trim_start().starts_with(']'))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawMessages<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(deserializer).map(RawMessages)
    }
}

thread_local! {
    /// The list [`Utterances`] gathers a conversation in, kept from one call to the next.
    static SCRATCH: Cell<Vec<Utterance>> = const { Cell::new(Vec::new()) };
}

/// The largest scratch list kept for the next conversation (a longer one's is dropped).
const SCRATCH_KEPT: usize = 1024;

/// A list of messages made utterances ([`utterance`]) one by one as they
/// are decoded: no list of wire messages is built, each message is moved into its
/// utterance.
#[derive(Debug, Default)]
pub(crate) struct Utterances(pub(crate) Vec<Utterance>);

impl<'de> Deserialize<'de> for Utterances {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Utterances;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Utterances, A::Error> {
                // The utterances are gathered in this thread's scratch list and then copied
                // once into a list of their exact number, rather than grown in steps (four
                // allocations and copies for a conversation of 30 messages).
                let mut scratch = SCRATCH.take();
                scratch.clear();
                while let Some(message) = seq.next_element::<Message<'de>>()? {
                    // An utterance takes fifty times the bytes of an empty message (`{},`):
                    // a hostile list is refused before it fills memory.
                    list_has_room(scratch.len(), "messages in one conversation")?;
                    take_entry::<Utterance, A::Error>()?;
                    scratch.push(utterance(message));
                }
                let mut utterances = Vec::with_capacity(scratch.len());
                utterances.append(&mut scratch);
                if scratch.capacity() <= SCRATCH_KEPT {
                    SCRATCH.set(scratch);
                }
                Ok(Utterances(utterances))
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

/// A list of messages as one reading of it decodes it: whether it has none.
pub(crate) trait Messages {
    fn is_empty(&self) -> bool;
}

impl Messages for Utterances {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Messages for Newest<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

/// The newest (last) entry of a list of messages, still raw, with its index; `None` for an
/// empty list. A `conversation-update` reports only that one, and it grows with the call
/// (each update carries the whole conversation so far): the others are only delimited,
/// never typed, as the earlier updates reported them.
#[derive(Debug, Default)]
pub(crate) struct Newest<'a>(pub(crate) Option<(usize, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Newest<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(PhantomData<&'a str>);
        impl<'de: 'a, 'a> de::Visitor<'de> for Visitor<'a> {
            type Value = Newest<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Newest<'a>, A::Error> {
                let mut newest = None;
                let mut index = 0;
                while let Some(message) = seq.next_element::<&'a RawValue>()? {
                    newest = Some((index, message));
                    index += 1;
                }
                Ok(Newest(newest))
            }
        }
        deserializer.deserialize_seq(Visitor(PhantomData))
    }
}
