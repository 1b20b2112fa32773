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
    /// The path, as the client sent it.
    pub path: String,
    /// The query, without its `?`, when there was one (never a key: no vendor takes one
    /// there).
    pub query: Option<String>,
    /// The status answered; a fault's where one fired (a connection dropped mid-answer
    /// counts the status the client never saw).
    pub status: u16,
    /// The fault that spoiled the answer, if one did.
    pub fault: Option<FaultKind>,
    /// When the answer was ready.
    pub at: DateTime<Utc>,
}

/// The fault a response was spoiled by: set on it by the fault layer, read by the record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultApplied(pub(crate) FaultKind);

/// Each vendor's newest [`MAX_RECORDED_REQUESTS`] requests, oldest first.
#[derive(Debug)]
pub(crate) struct RequestLog(PerVendor<Mutex<VecDeque<ServedRequest>>>);

impl RequestLog {
    pub(crate) fn new() -> Self {
        RequestLog(PerVendor::from_fn(|_| Mutex::new(VecDeque::new())))
    }

    pub(crate) fn record(&self, vendor: Vendor, request: ServedRequest) {
        let mut served = lock(&self.0[vendor]);
        if served.len() >= MAX_RECORDED_REQUESTS {
            served.pop_front();
        }
        served.push_back(request);
    }

    /// The vendor's recorded requests, oldest first.
    pub(crate) fn of(&self, vendor: Vendor) -> Vec<ServedRequest> {
        lock(&self.0[vendor]).iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        for vendor in Vendor::ALL {
            lock(&self.0[vendor]).clear();
        }
    }
}
