//! An export's rows, written on a thread of their own: the next page is fetched and decoded
//! while this one is serialized and written, so that writing costs next to nothing on top
//! of the walk.

use std::io::Write;
use std::panic::AssertUnwindSafe;

use tokio::sync::mpsc;
use voiceport::{Call, CallPage, PageCursor};

use crate::Failure;
use crate::cli::ExportFormat;
use crate::export_sink::Sink;

/// Pages handed over but not yet written: one, so memory stays at three pages at most (the
/// one being written, the one queued, the one being fetched or waiting to be queued),
/// whatever the number of calls.
const QUEUED_PAGES: usize = 1;

/// Writes the pages it is given, in order, each flushed before the next is started: rows
/// on the sink are always whole pages, which is what a resume cursor counts on. A page
/// whose writing fails is taken back ([`Sink::failed`]).
pub(crate) struct PageWriter {
    pages: mpsc::Sender<CallPage>,
    thread: tokio::task::JoinHandle<Result<&'static str, Failure>>,
}

impl PageWriter {
    /// Starts writing to `sink` as `format` rows, what was written to it so far flushed
    /// and kept whatever happens after (a failure before the first page resumes from
    /// where the sink was opened to).
    pub(crate) fn start(mut sink: Sink, format: ExportFormat) -> Self {
        let (pages, mut queued) = mpsc::channel::<CallPage>(QUEUED_PAGES);
        let thread = tokio::task::spawn_blocking(move || {
            let mut written = 0;
            while let Some(page) = queued.blocking_recv() {
                written += page.calls.len();
                // Written whole, the page's own next cursor resumes after it.
                let next = page.next.as_ref().map(PageCursor::to_token);
                // A page is in, empty or not: the walk begins writing. A panic part way
                // through a page is a failed write, taken back as one: unwound, the sink's
                // buffer would be flushed on drop, half a page after the last whole one.
                let done = sink.begin().and_then(|()| {
                    let writing = AssertUnwindSafe(|| write_page(&mut sink, &page.calls, format));
                    std::panic::catch_unwind(writing)
                        .unwrap_or_else(|_| Err(std::io::Error::other("writing a call panicked")))
                });
                if let Err(e) = done.and_then(|()| sink.mark(written, next)) {
                    return Err(sink.failed(e));
                }
            }
            Ok(sink.resume_extra())
        });
        PageWriter { pages, thread }
    }

    /// Hands `page` over; `false` when the writer has stopped (on a write error, which
    /// [`finish`](Self::finish) returns).
    pub(crate) async fn write(&self, page: CallPage) -> bool {
        self.pages.send(page).await.is_ok()
    }

    /// Waits until every page handed over is written and flushed; what a resume command
    /// adds to `--cursor …` ([`Sink::resume_extra`]: nothing when nothing was written).
    pub(crate) async fn finish(self) -> Result<&'static str, Failure> {
        drop(self.pages);
        match self.thread.await {
            Ok(written) => written,
            // Its thread panicked: a failure to write (exit 1), not of how it was called.
            Err(e) => Err(Failure::Io(
                "the export writer".into(),
                std::io::Error::other(format!("it stopped: {e}")),
            )),
        }
    }
}

fn write_page(sink: &mut dyn Write, calls: &[Call], format: ExportFormat) -> std::io::Result<()> {
    // Each call is written into `line` first and handed to the sink whole: the JSON
    // writer's few hundred small writes a call go to a `Vec`, not through the sink.
    let mut line = Vec::with_capacity(4096);
    for call in calls {
        line.clear();
        match format {
            ExportFormat::Jsonl => {
                // Escaped as all JSON output (a terminal, a reader splitting on U+2028).
                crate::output::to_writer_safe(&mut line, call, true)
                    .map_err(std::io::Error::from)?;
                line.push(b'\n');
            }
            ExportFormat::Csv => writeln!(line, "{}", crate::csv::csv_row(call))?,
        }
        sink.write_all(&line)?;
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

    /// A page of calls `ids`, naming `next` as the next page's cursor.
    fn page(ids: &[&str], next: Option<&str>) -> CallPage {
        CallPage::new(
            ids.iter()
                .map(|id| Call::new(CallId::new(*id), ProviderKind::Rounded))
                .collect(),
            next.map(|token| PageCursor::Token {
                token: token.to_owned(),
            }),
            None,
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pages_are_written_in_order_as_json_lines() {
        let sink = Shared {
            bytes: Arc::default(),
            fail_after: usize::MAX,
        };
        let sink_out = Sink::new(Box::new(sink.clone()), None, "out", "");
        let writer = PageWriter::start(sink_out, ExportFormat::Jsonl);
        for ids in [&["a", "b"][..], &["c"], &[], &["d"]] {
            assert!(writer.write(page(ids, None)).await);
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
        let out = Sink::new(Box::new(sink), None, "standard output", " --append");
        let writer = PageWriter::start(out, ExportFormat::Jsonl);
        let mut accepted = 0;
        for n in 0..10 {
            let next = format!("page-{}", n + 1);
            if !writer.write(page(&["a"], Some(&next))).await {
                break;
            }
            accepted += 1;
        }
        assert!(accepted < 10, "the writer kept taking pages after failing");
        match writer.finish().await {
            Err(Failure::IoHinted {
                target,
                error,
                hint,
            }) => {
                assert_eq!(target, "standard output");
                assert_eq!(error.to_string(), "disk full");
                // Standard output cannot be cut back: the whole rows are counted, and the
                // cursor is the failed page's own (the one before it named as next).
                assert_eq!(
                    hint,
                    "1 calls were written whole, and part of the next page may follow them: \
                     delete it before resuming; to resume after them, run the same command \
                     with --cursor '{\"mode\":\"token\",\"token\":\"page-1\"}' --append"
                );
            }
            other => panic!("{:?}", other.err()),
        }
    }
}
