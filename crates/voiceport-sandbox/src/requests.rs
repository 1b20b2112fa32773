//! The record of the requests each emulator served: what a test asserts on to see that a
//! client retried after a 503, waited out a `Retry-After`, or sent the query it should.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::FaultKind;
use crate::common::lock;
use crate::vendor::{PerVendor, Vendor};

/// How many requests the sandbox records per vendor: the newest, older ones dropped.
pub const MAX_RECORDED_REQUESTS: usize = 10_000;

/// One request an emulator answered (or a fault answered in its place).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ServedRequest {
    /// `GET`, `POST` …
    pub method: String,
    /// The path, as the client sent it; for Vapi's live-call control URLs, whose path is
    /// their secret, `/vapi-live/…` (and no query).
    pub path: String,
    /// The query, without its `?`, when there was one (never a key: no vendor takes one
    /// there).
    pub query: Option<String>,
    /// The status answered; a fault's where one fired (a connection dropped mid-answer
    /// counts the status the client never saw). `None` when the client went away before
    /// the answer (its timeout during a delay, say), or the handler panicked.
    pub status: Option<u16>,
    /// The fault the request took, if one did.
    pub fault: Option<FaultKind>,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// Each vendor's record: the newest [`MAX_RECORDED_REQUESTS`] requests to end, and the
/// generation they belong to (a reset starts the next).
#[derive(Debug)]
pub(crate) struct RequestLog(PerVendor<Mutex<Record>>);

#[derive(Debug, Default)]
pub(crate) struct Record {
    generation: u64,
    served: VecDeque<ServedRequest>,
}

impl RequestLog {
    pub(crate) fn new() -> Self {
        RequestLog(PerVendor::from_fn(|_| Mutex::new(Record::default())))
    }

    /// The generation a request arriving now belongs to.
    pub(crate) fn generation(&self, vendor: Vendor) -> u64 {
        lock(&self.0[vendor]).generation
    }

    /// Records `request`, which arrived in `generation`: unless a reset came since (a
    /// request still being answered, or whose client went away, as a test reset the
    /// sandbox it shares is not the next test's).
    pub(crate) fn record(&self, vendor: Vendor, generation: u64, request: ServedRequest) {
        let mut record = lock(&self.0[vendor]);
        if record.generation != generation {
            return;
        }
        if record.served.len() >= MAX_RECORDED_REQUESTS {
            record.served.pop_front();
        }
        record.served.push_back(request);
    }

    /// The vendor's recorded requests, in the order they arrived (they are recorded as
    /// they end).
    pub(crate) fn of(&self, vendor: Vendor) -> Vec<ServedRequest> {
        let mut served: Vec<ServedRequest> = lock(&self.0[vendor]).served.iter().cloned().collect();
        served.sort_by_key(|request| request.at);
        served
    }

    pub(crate) fn clear(&self) {
        for vendor in Vendor::ALL {
            let mut record = lock(&self.0[vendor]);
            record.generation = record.generation.wrapping_add(1);
            record.served.clear();
        }
    }
}
