//! An export's rows, written on a thread of their own: the next page is fetched and decoded
//! while this one is serialized and written, so that writing costs next to nothing on top
//! of the walk.

use std::io::Write;

use tokio::sync::mpsc;
use voiceport::{Call, CallPage};

use crate::Failure;
use crate::cli::ExportFormat;

/// Pages handed over but not yet written: one, so memory stays at two pages (the one being
/// written, the one being fetched) whatever the number of calls.
const QUEUED_PAGES: usize = 1;

/// Writes the pages it is given, in order, each flushed before the next is started: rows
/// on the sink are always whole pages, which is what a resume cursor counts on.
pub(crate) struct PageWriter {
    pages: mpsc::Sender<CallPage>,
    thread: tokio::task::JoinHandle<Result<(), Failure>>,
}

impl PageWriter {
    /// Starts writing to `sink` (named `sink_name` in errors) as `format` rows.
    pub(crate) fn start(
        mut sink: Box<dyn Write + Send>,
        sink_name: String,
        format: ExportFormat,
    ) -> Self {
        let (pages, mut queued) = mpsc::channel::<CallPage>(QUEUED_PAGES);
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(page) = queued.blocking_recv() {
                write_page(&mut sink, &page.calls, format)
                    .and_then(|()| sink.flush())
                    .map_err(|e| Failure::Io(sink_name.clone(), e))?;
            }
            Ok(())
        });
        PageWriter { pages, thread }
    }

    /// Hands `page` over; `false` when the writer has stopped (on a write error, which
    /// [`finish`](Self::finish) returns).
    pub(crate) async fn write(&self, page: CallPage) -> bool {
        self.pages.send(page).await.is_ok()
    }

    /// Waits until every page handed over is written and flushed.
    pub(crate) async fn finish(self) -> Result<(), Failure> {
        drop(self.pages);
        match self.thread.await {
            Ok(written) => written,
            Err(e) => Err(Failure::Usage(format!("the export writer stopped: {e}"))),
        }
    }
}

fn write_page(sink: &mut dyn Write, calls: &[Call], format: ExportFormat) -> std::io::Result<()> {
    for call in calls {
        match format {
            ExportFormat::Jsonl => {
                serde_json::to_writer(&mut *sink, call).map_err(std::io::Error::from)?;
                sink.write_all(b"\n")?;
            }
            ExportFormat::Csv => writeln!(sink, "{}", crate::commands::csv_row(call))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use voiceport::{CallId, ProviderKind};

    /// A sink the test can read back, failing once it holds `fail_after` bytes.
    #[derive(Clone)]
    struct Shared {
        bytes: Arc<Mutex<Vec<u8>>>,
        fail_after: usize,
    }

    impl Write for Shared {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            let mut bytes = self.bytes.lock().expect("not poisoned");
            if bytes.len() >= self.fail_after {
                return Err(std::io::Error::other("disk full"));
            }
            bytes.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn page(ids: &[&str]) -> CallPage {
        CallPage {
            calls: ids
                .iter()
                .map(|id| Call::new(CallId::new(*id), ProviderKind::Rounded))
                .collect(),
            next: None,
            total: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pages_are_written_in_order_as_json_lines() {
        let sink = Shared {
            bytes: Arc::default(),
            fail_after: usize::MAX,
        };
        let writer = PageWriter::start(Box::new(sink.clone()), "out".into(), ExportFormat::Jsonl);
        for ids in [&["a", "b"][..], &["c"], &[], &["d"]] {
            assert!(writer.write(page(ids)).await);
        }
        writer.finish().await.expect("written");
        let text = String::from_utf8(sink.bytes.lock().expect("not poisoned").clone()).unwrap();
        let ids: Vec<String> = text
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["id"].to_string())
            .collect();
        assert_eq!(ids, ["\"a\"", "\"b\"", "\"c\"", "\"d\""]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_error_stops_the_writer_and_is_returned() {
        let sink = Shared {
            bytes: Arc::default(),
            fail_after: 1,
        };
        let writer = PageWriter::start(Box::new(sink), "calls.jsonl".into(), ExportFormat::Jsonl);
        let mut accepted = 0;
        for _ in 0..10 {
            if !writer.write(page(&["a"])).await {
                break;
            }
            accepted += 1;
        }
        assert!(accepted < 10, "the writer kept taking pages after failing");
        match writer.finish().await {
            Err(Failure::Io(name, e)) => {
                assert_eq!(name, "calls.jsonl");
                assert_eq!(e.to_string(), "disk full");
            }
            other => panic!("{:?}", other.err()),
        }
    }
}
