//! Pure mapping, no I/O: HappyRobot JSON → the normalized model, and voiceport requests →
//! HappyRobot query parameters and bodies.

pub(crate) mod call;
pub(crate) mod page;
pub(crate) mod request;
pub(crate) mod status;
