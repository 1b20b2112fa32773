//! Helpers shared by the facade's integration tests (each binary uses a part of them).

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Keeps every log line a capture waits for from being switched off for the whole
/// process. `tracing` caches one interest per line of code, process-wide, decided when a
/// thread first reaches it; with one subscriber registered it asks that thread's own
/// default, so a test thread without a capture reaching a line first while another test
/// captures (its subscriber the only one) would cache `never`, and the capture would miss
/// the line. A global subscriber that wants every line and keeps none makes the answer
/// for such a thread `always`. Not for a binary that sets its own global subscriber.
pub fn keep_every_log_line_on() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| {
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    });
}

/// A `tracing` writer into a shared buffer: what the `fmt` subscriber writes, the log a
/// user reads.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
