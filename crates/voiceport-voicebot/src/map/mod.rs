//! Pure mapping, no I/O, the same for every flavor: Vapi-family JSON → the voiceport model,
//! and voiceport requests → Vapi parameters and bodies.

pub(crate) mod call;
pub(crate) mod conversation;
pub(crate) mod numbers;
pub(crate) mod page;
pub(crate) mod request;
pub(crate) mod status;
