//! The unified model: what a call looks like whichever vendor placed it.

mod call;
mod payload;
mod status;
pub(crate) use status::{named_loosely, optional_status_or_unknown, status_or_unknown};
pub(crate) mod time;
mod transcript;

pub use call::{
    AgentRef, Analysis, Call, Classification, Cost, CostCategory, CostItem, MAX_WARNINGS,
    NormalizationWarning, Note, Rating, Recording, WarningKind,
};
pub use payload::{VendorPayload, sharing_body};
pub use status::{CallKind, CallStatus, Direction, EndReason, EndReasonCategory};
pub use transcript::{Speaker, ToolCall, ToolResult, Transcript, Utterance};
