//! Pure mapping, no I/O: Voicebot Studio (Vapi) JSON → the voiceport model, and voiceport
//! requests → Voicebot Studio parameters and bodies.

pub(crate) mod call;
pub(crate) mod page;
pub(crate) mod request;
pub(crate) mod status;
