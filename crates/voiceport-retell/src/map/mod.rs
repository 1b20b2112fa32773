//! Pure translation between Retell's wire types and voiceport's model. No I/O here.

pub(crate) mod call;
pub(crate) mod page;
pub(crate) mod request;
pub(crate) mod status;
