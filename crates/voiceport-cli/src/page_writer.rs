//! An export's rows, written on a thread of their own: the next page is fetched and decoded
//! while this one is serialized and written, so that writing costs next to nothing on top
//! of the walk.

use std::io::Write;

use tokio::sync::mpsc;
use voiceport::{Call, CallPage};

use crate::Failure;
use crate::cli::ExportFormat;
use crate::export_sink::Sink;

/// Pages handed over but not yet written: one, so memory stays at two pages (the one being
/// written, the one being fetched) whatever the number of calls.
const QUEUED_PAGES: usize = 1;

/// Writes the pages it is given, in order, each flushed before the next is started: rows
/// on the sink are always whole pages, which is what a resume cursor counts on. A page
/// whose writing fails is taken back ([`Sink::failed`]).
pub(crate) struct PageWriter {
    pages: mpsc::Sender<Handed>,
    thread: tokio::task::JoinHandle<Result<(), Failure>>,
}

/// A page handed over, and the cursor it was fetched with: where to resume should its
/// writing fail.
struct Handed {
    page: CallPage,
    cursor: Option<String>,
}

impl PageWriter {
    /// Starts writing to `sink` as `format` rows, what was written to it so far flushed
    /// and kept whatever happens after; `extra` is what the resume advice of a failed
    /// write adds to `--cursor …`.
    pub(crate) fn start(
        mut sink: Sink,
        format: ExportFormat,
        extra: &'static str,
    ) -> Result<Self, Failure> {
        let mut whole = sink
            .mark()
            .map_err(|e| Failure::Io(sink.name().to_owned(), e))?;
        let (pages, mut queued) = mpsc::channel::<Handed>(QUEUED_PAGES);
        let thread = tokio::task::spawn_blocking(move || {
            let mut written = 0;
            while let Some(Handed { page, cursor }) = queued.blocking_recv() {
                match write_page(&mut sink, &page.calls, format).and_then(|()| sink.mark()) {
                    Ok(mark) => {
                        whole = mark;
                        written += page.calls.len();
                    }
                    Err(e) => return Err(sink.failed(e, whole, written, cursor.as_deref(), extra)),
                }
            }
            Ok(())
        });
        Ok(PageWriter { pages, thread })
    }

    /// Hands `page`, fetched with `cursor`, over; `false` when the writer has stopped (on
    /// a write error, which [`finish`](Self::finish) returns).
    pub(crate) async fn write(&self, page: CallPage, cursor: Option<String>) -> bool {
        self.pages.send(Handed { page, cursor }).await.is_ok()
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
    use crate::export_sink::Sink;
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
        let sink_out = Sink::new(Box::new(sink.clone()), None, "out");
        let writer = PageWriter::start(sink_out, ExportFormat::Jsonl, "").expect("started");
        for ids in [&["a", "b"][..], &["c"], &[], &["d"]] {
            assert!(writer.write(page(ids), None).await);
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
    async fn a_write_error_stops_the_writer_and_says_where_to_resume() {
        // A little more than the first page's row: the second page fails part-way.
        let sink = Shared {
            bytes: Arc::default(),
            fail_after: 120,
        };
        let out = Sink::new(Box::new(sink), None, "standard output");
        let writer = PageWriter::start(out, ExportFormat::Jsonl, " --append").expect("started");
        let mut accepted = 0;
        for n in 0..10 {
            let cursor = (n > 0).then(|| format!("page-{n}"));
            if !writer.write(page(&["a"]), cursor).await {
                break;
            }
            accepted += 1;
        }
        assert!(accepted < 10, "the writer kept taking pages after failing");
        match writer.finish().await {
            Err(Failure::Unwritten {
                target,
                error,
                hint,
            }) => {
                assert_eq!(target, "standard output");
                assert_eq!(error.to_string(), "disk full");
                // Standard output cannot be cut back: the whole rows are counted, and the
                // cursor is the failed page's own.
                assert_eq!(
                    hint,
                    "1 calls were written whole, and part of the next page may follow them: \
                     delete it before resuming; to resume after them, run the same command \
                     with --cursor 'page-1' --append"
                );
            }
            other => panic!("{:?}", other.err()),
        }
    }
}
