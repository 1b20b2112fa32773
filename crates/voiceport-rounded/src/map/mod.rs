//! Pure translation between Rounded's wire types and voiceport's model. No I/O here.

pub(crate) mod call;
pub(crate) mod envelope;
pub(crate) mod page;
pub(crate) mod request;
pub(crate) mod status;
