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

/// The most of a request's path, and of its query, that is recorded, in bytes: a longer
/// one is cut (ending `…`), so that the record stays small whatever a client sends.
pub const MAX_RECORDED_URI_PART: usize = 2_048;

/// One request an emulator answered (or a fault answered in its place).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ServedRequest {
    /// `GET`, `POST` … (its first [`MAX_RECORDED_URI_PART`] bytes).
    pub method: String,
    /// The path, as the client sent it (its first [`MAX_RECORDED_URI_PART`] bytes); for
    /// Vapi's live-call control URLs, whose path is their secret, `/vapi-live/…` (and no
    /// query).
    pub path: String,
    /// The query, without its `?`, when there was one (its first
    /// [`MAX_RECORDED_URI_PART`] bytes; never a key: no vendor takes one there).
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
        self.newest(vendor, usize::MAX).0
    }

    /// The newest `limit` of the vendor's recorded requests to end, in the order they
    /// arrived, and how many are recorded: only those are copied under the lock, which
    /// every request to the vendor takes.
    pub(crate) fn newest(&self, vendor: Vendor, limit: usize) -> (Vec<ServedRequest>, usize) {
        let record = lock(&self.0[vendor]);
        let total = record.served.len();
        let mut served: Vec<ServedRequest> = (record.served.iter())
            .skip(total.saturating_sub(limit))
            .cloned()
            .collect();
        drop(record);
        served.sort_by_key(|request| request.at);
        (served, total)
    }

    pub(crate) fn clear(&self) {
        for vendor in Vendor::ALL {
            let mut record = lock(&self.0[vendor]);
            record.generation = record.generation.wrapping_add(1);
            record.served.clear();
        }
    }
}

/// `part` of a request's URI as recorded: its first [`MAX_RECORDED_URI_PART`] bytes (on a
/// character's boundary), followed by `…` when it was longer.
pub(crate) fn recorded_uri_part(part: &str) -> String {
    if part.len() <= MAX_RECORDED_URI_PART {
        return part.to_owned();
    }
    let mut end = MAX_RECORDED_URI_PART;
    while !part.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &part[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(path: &str) -> ServedRequest {
        ServedRequest {
            method: "GET".into(),
            path: path.into(),
            query: None,
            status: Some(200),
            fault: None,
            at: Utc::now(),
        }
    }

    /// A request that arrived before a reset is never recorded after it, however late it
    /// ends; one that arrived after it is (the integration test shows the same through a
    /// client that goes away, within the time it watches).
    #[test]
    fn a_request_of_an_earlier_generation_is_not_recorded() {
        let log = RequestLog::new();
        let before = log.generation(Vendor::Voicebot);
        log.record(Vendor::Voicebot, before, served("/before"));
        assert_eq!(log.of(Vendor::Voicebot).len(), 1);
        log.clear();
        assert!(log.of(Vendor::Voicebot).is_empty());
        let after = log.generation(Vendor::Voicebot);
        assert_ne!(after, before);
        log.record(Vendor::Voicebot, before, served("/late"));
        assert!(log.of(Vendor::Voicebot).is_empty());
        log.record(Vendor::Voicebot, after, served("/after"));
        let paths: Vec<String> = (log.of(Vendor::Voicebot).into_iter())
            .map(|request| request.path)
            .collect();
        assert_eq!(paths, ["/after"]);
    }
}
