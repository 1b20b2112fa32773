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
    /// the answer (its timeout during a delay, say).
    pub status: Option<u16>,
    /// The fault the request took, if one did.
    pub fault: Option<FaultKind>,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

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

    /// The vendor's recorded requests, in the order they arrived (they are recorded as
    /// they end).
    pub(crate) fn of(&self, vendor: Vendor) -> Vec<ServedRequest> {
        let mut served: Vec<ServedRequest> = lock(&self.0[vendor]).iter().cloned().collect();
        served.sort_by_key(|request| request.at);
        served
    }

    pub(crate) fn clear(&self) {
        for vendor in Vendor::ALL {
            lock(&self.0[vendor]).clear();
        }
    }
}
