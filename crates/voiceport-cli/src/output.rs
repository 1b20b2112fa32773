//! Tables for people, JSON for machines.
//!
//! Everything printed for people goes through [`clean`] or [`cell`]: vendor strings are
//! not trusted with the terminal (`\e]0;…\a\e[2J` in a call's status would retitle and
//! clear it), so control characters are printed escaped, as `\u001b`. JSON output is
//! exact: the same JSON values, with what JSON leaves raw but a terminal acts on (DEL and
//! the C1 controls, bidirectional overrides, invisible characters, line separators)
//! written as `\uXXXX` escapes inside its strings ([`TerminalSafe`]).

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use voiceport::{Call, Transcript};

use crate::{Failure, Outcome, lock};

/// Whether `c` could move the cursor, rewrite the screen, reorder what is shown or hide in
/// it: C0 and C1 controls, DEL, and what JSON output escapes too (bidirectional marks,
/// overrides and isolates, zero-width characters: `+1415\u{200b}5550123` would look like
/// another number; line and paragraph separators).
fn unsafe_char(c: char) -> bool {
    c.is_control() || escaped_in_json(c)
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| unsafe_char(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) && !keep(c) {
            // The JSON spelling: readable, and still valid inside a JSON string.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// What JSON output escapes beyond what JSON must: characters JSON allows raw in a string
/// but a terminal acts on or hides (DEL and the C1 controls, `\u{9b}` being a one-character
/// CSI), the bidirectional marks, overrides and isolates, invisible characters that make
/// two numbers look alike, and the line and paragraph separators some JSON Lines readers
/// split on.
fn escaped_in_json(c: char) -> bool {
    matches!(c,
        '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}')
}

/// A serde_json formatter (compact or pretty, `F`) that writes [`escaped_in_json`]
/// characters as `\uXXXX`: the JSON reads back as the same values. Raw fragments (a
/// vendor's JSON text kept as it came) are escaped the same way: such a character can only
/// stand inside a string in valid JSON.
pub(crate) struct TerminalSafe<F>(pub(crate) F);

impl<F: serde_json::ser::Formatter> TerminalSafe<F> {
    /// `text` with its [`escaped_in_json`] characters escaped, as [`escape`] spells them.
    /// Every such character is DEL or not ASCII: ASCII text without DEL (nearly all of a
    /// call's JSON) is written as it is, checked a byte at a time rather than decoded.
    fn escaped<W: ?Sized + Write>(writer: &mut W, text: &str) -> std::io::Result<()> {
        if text.bytes().all(|byte| byte.is_ascii() && byte != 0x7f) {
            return writer.write_all(text.as_bytes());
        }
        writer.write_all(escape(text, |c| !escaped_in_json(c)).as_bytes())
    }
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        Self::escaped(writer, fragment)
    }
    fn write_raw_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        Self::escaped(writer, fragment)
    }
    // The layout is `F`'s.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `value` as JSON into `out`, compact or pretty, through [`TerminalSafe`].
pub(crate) fn to_writer_safe<W: Write, T: Serialize + ?Sized>(
    out: W,
    value: &T,
    compact: bool,
) -> serde_json::Result<()> {
    match compact {
        true => {
            let mut json = serde_json::Serializer::with_formatter(
                out,
                TerminalSafe(serde_json::ser::CompactFormatter),
            );
            value.serialize(&mut json)
        }
        false => {
            let mut json = serde_json::Serializer::with_formatter(
                out,
                TerminalSafe(serde_json::ser::PrettyFormatter::new()),
            );
            value.serialize(&mut json)
        }
    }
}

/// `text` safe for a terminal, its line breaks and tabs kept: every other control
/// character escaped (`\u001b`).
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

/// `text` with its control characters escaped (`\u001b`), tabs and line breaks (`\n`,
/// `\r`) kept, and nothing else touched: for data written where a terminal may show it (a
/// CSV export), which must stay the vendor's text otherwise.
pub(crate) fn without_controls(text: &str) -> Cow<'_, str> {
    escape(text, |c| matches!(c, '\n' | '\r' | '\t') || !c.is_control())
}

/// Writes `text` and a line break to standard error, escaped as [`clean`] escapes every
/// line for people (its own line breaks kept; use [`cell`] first for vendor text that must
/// stay on one line). A standard error that is closed or broken (`2>&1 | head -1`) loses
/// the line rather than panicking, as `eprintln!` would: the exit code still says what
/// happened.
pub(crate) fn say(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(clean(text).as_bytes())
        .and_then(|()| stderr.write_all(b"\n"));
}

/// [`say`] for what a handler of `listen` says while deliveries come in (a forward that
/// failed): through the log queue when one runs ([`queue_log_lines`]), so that a standard
/// error nobody reads holds up no worker, and with it every other delivery's answer;
/// dropped and counted with the log lines when the queue is full.
pub(crate) fn say_queued(text: &str) {
    queue_or_write(format!("{}\n", clean(text)));
}

/// `line` (ending in its line break) to the log queue when one runs, else to standard
/// error; the queue's lock let go before standard error is written, so that a write that
/// blocks does not hold up [`drain_log_lines`], whose patience would then never apply.
fn queue_or_write(line: String) {
    let unqueued = match lock(&LOG_QUEUE).as_ref() {
        Some(queue) => {
            queue.push(line);
            None
        }
        None => Some(line),
    };
    if let Some(line) = unqueued {
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// [`say`], waiting at most `patience` for standard error to take the line: a last word
/// before the program ends, when standard error may be a pipe nobody drains.
pub(crate) fn say_within(text: &str, patience: std::time::Duration) {
    if let Some(said) = say_on_a_thread(text.to_owned()) {
        let _ = said.recv_timeout(patience);
    }
}

/// [`say`] on a thread of its own; what it returns hears when the line is written (`None`
/// when no thread could start).
fn say_on_a_thread(text: String) -> Option<std::sync::mpsc::Receiver<()>> {
    let (done, said) = std::sync::mpsc::channel();
    let writer = std::thread::Builder::new().spawn(move || {
        say(&text);
        let _ = done.send(());
    });
    writer.ok().map(|_| said)
}

/// [`say`] from a thread of its own, not waited for: a notice after Ctrl-C, which must not
/// hold what follows it (the second Ctrl-C, a deadline) should standard error be a pipe
/// nobody drains. [`settle_detached`] waits for it before a later line.
pub(crate) fn say_detached(text: String) {
    if let Some(said) = say_on_a_thread(text) {
        lock(&DETACHED).push(said);
    }
}

/// The notices of [`say_detached`] not known to be written yet.
static DETACHED: Mutex<Vec<std::sync::mpsc::Receiver<()>>> = Mutex::new(Vec::new());

/// Waits, at most `patience` in all, for the notices of [`say_detached`] to be written, so
/// that a line said next comes after them: the last words of a program, which would
/// otherwise end before a notice's thread ran (and lose it) or write before it.
pub(crate) fn settle_detached(patience: std::time::Duration) {
    let deadline = std::time::Instant::now() + patience;
    for said in std::mem::take(&mut *lock(&DETACHED)) {
        let _ = said.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()));
    }
}

/// Where log lines go: standard error, each line's control characters escaped (its own
/// line break kept), so that vendor text in a log line cannot fake a line or reach the
/// terminal as an escape sequence. A broken standard error loses the line, as [`say`]
/// does. Once [`queue_log_lines`] has run, lines go through its queue instead.
pub(crate) struct LogWriter;

impl Write for LogWriter {
    /// `tracing-subscriber` writes each event whole, ending in a line break.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (text, ended) = match buf.strip_suffix(b"\n") {
            Some(text) => (text, true),
            None => (buf, false),
        };
        let text = String::from_utf8_lossy(text);
        let mut line = cell(&text).into_owned();
        if ended {
            line.push('\n');
        }
        queue_or_write(line);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if lock(&LOG_QUEUE).is_none() {
            let _ = std::io::stderr().flush();
        }
        Ok(())
    }
}

/// Log lines waiting for the thread that writes them (`listen`), when one runs.
static LOG_QUEUE: Mutex<Option<LogQueue>> = Mutex::new(None);

/// How many log lines may wait: a burst of refused deliveries is written whole.
const QUEUED_LOG_LINES: usize = 4096;

/// Log lines handed to a thread of their own, so that a standard error nobody reads (a
/// paused terminal, a full pipe) never holds up the runtime's workers: `listen` keeps
/// answering deliveries. Past [`QUEUED_LOG_LINES`] waiting, lines are dropped and counted,
/// and the count is written once standard error takes lines again.
///
/// By hand rather than `tracing-appender`'s non-blocking writer, which does the same and
/// would bring the `time` crate and crossbeam's channels for it.
struct LogQueue {
    lines: std::sync::mpsc::SyncSender<String>,
    dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Told when the writer has written every line it was given.
    drained: std::sync::mpsc::Receiver<()>,
}

impl LogQueue {
    fn push(&self, line: String) {
        use std::sync::mpsc::TrySendError;
        match self.lines.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // The writer is gone (it cannot be, short of a panic): written here.
            Err(TrySendError::Disconnected(line)) => {
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
        }
    }
}

/// From now on, log lines and [`say_queued`]'s are written by a thread of their own
/// ([`LogQueue`]). Lines written with [`say`] are not: they are few, and some must be out
/// before what follows.
pub(crate) fn queue_log_lines() {
    use std::sync::atomic::AtomicU64;
    let (lines, queued) = std::sync::mpsc::sync_channel::<String>(QUEUED_LOG_LINES);
    let (done, drained) = std::sync::mpsc::channel();
    let dropped = std::sync::Arc::new(AtomicU64::new(0));
    let counted = dropped.clone();
    let writer = std::thread::Builder::new()
        .name("voiceport-log".into())
        .spawn(move || {
            for line in queued {
                let mut stderr = std::io::stderr().lock();
                let lost = counted.swap(0, Ordering::Relaxed);
                if lost > 0 {
                    let _ = writeln!(stderr, "{}", dropped_lines(lost));
                }
                let _ = stderr.write_all(line.as_bytes());
            }
            let _ = done.send(());
        });
    // Without the thread, lines are written where they are logged, as before.
    if writer.is_ok() {
        *lock(&LOG_QUEUE) = Some(LogQueue {
            lines,
            dropped,
            drained,
        });
    }
}

/// Writes the log lines still queued, waiting at most `patience` for a standard error
/// that takes them (one nobody reads keeps them); then lines are written where they are
/// logged again.
pub(crate) fn drain_log_lines(patience: std::time::Duration) {
    let Some(queue) = lock(&LOG_QUEUE).take() else {
        return;
    };
    let LogQueue {
        lines,
        dropped,
        drained,
    } = queue;
    drop(lines);
    // Still stuck: the writer holds standard error, and so much as a line would wait.
    if drained.recv_timeout(patience).is_err() {
        return;
    }
    let lost = dropped.load(Ordering::Relaxed);
    if lost > 0 {
        say(&dropped_lines(lost));
    }
}

/// What is said of `lost` log lines the queue dropped.
fn dropped_lines(lost: u64) -> String {
    format!("voiceport: {lost} log lines were dropped while standard error was not being read")
}

/// A vendor value for one cell or one line: every control character escaped, line breaks
/// and tabs too, so that a value cannot break a table's layout or fake a line.
pub(crate) fn cell(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// How JSON output is laid out, chosen once from the command line: indented for a person at
/// a terminal, one compact line for a program or a file (smaller and faster to write).
static COMPACT_JSON: OnceLock<bool> = OnceLock::new();

/// Sets the JSON layout: `--compact` or `--pretty` when given, else pretty exactly when
/// standard output is a terminal.
pub(crate) fn choose_json_layout(compact: bool, pretty: bool) {
    let compact = compact || (!pretty && !std::io::stdout().is_terminal());
    let _ = COMPACT_JSON.set(compact);
}

fn compact_json() -> bool {
    COMPACT_JSON.get().copied().unwrap_or(false)
}

/// Prints `value` as JSON on standard output, exactly, in the chosen layout (see
/// [`choose_json_layout`]).
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Outcome {
    write_json(value, compact_json())
}

/// Prints `value` as one line of JSON (JSON Lines), exactly: built in a buffer of its own
/// size and written at once (a walk prints one line per call; the 64 KiB writer of
/// [`json`] would be set up for each).
pub(crate) fn json_line<T: Serialize + ?Sized>(value: &T) -> Outcome {
    let mut line = Vec::with_capacity(512);
    to_writer_safe(&mut line, value, true)
        .map_err(|e| Failure::Usage(format!("cannot print JSON: {e}")))?;
    line.push(b'\n');
    let mut out = std::io::stdout().lock();
    ended(out.write_all(&line).and_then(|()| out.flush()))
}

/// Prints `values` as JSON Lines through one buffered writer: a page of calls costs a few
/// system calls, not one per call (standard output is line-buffered even into a pipe),
/// and is never held twice, as values and as text.
pub(crate) fn json_lines<T: Serialize>(values: &[T]) -> Outcome {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    for value in values {
        match to_writer_safe(&mut out, value, true) {
            Ok(()) => ended(out.write_all(b"\n"))?,
            Err(e) => match e.io_error_kind() {
                Some(kind) => return ended(Err(kind.into())),
                None => return Err(Failure::Usage(format!("cannot print JSON: {e}"))),
            },
        }
    }
    ended(out.flush())
}

/// `value` serialized straight into a buffered standard output, then a line break: a page
/// of calls is never held twice, once as values and once as text.
fn write_json<T: Serialize + ?Sized>(value: &T, compact: bool) -> Outcome {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = to_writer_safe(&mut out, value, compact);
    match written {
        Ok(()) => ended(writeln!(out).and_then(|()| out.flush())),
        Err(e) => match e.io_error_kind() {
            Some(kind) => ended(Err(kind.into())),
            None => Err(Failure::Usage(format!("cannot print JSON: {e}"))),
        },
    }
}

/// Prints one line for people on standard output, control characters escaped (see
/// [`clean`]).
pub(crate) fn line(text: &str) -> Outcome {
    raw_line(&clean(text))
}

/// Prints one line as it is.
pub(crate) fn raw_line(text: &str) -> Outcome {
    let mut out = std::io::stdout().lock();
    ended(writeln!(out, "{text}").and_then(|()| out.flush()))
}

/// The exit code of a program whose standard output closed: 0, as a reader that has read
/// enough (`| head`) is no failure, unless a verdict was already reached.
static EXIT_ON_CLOSED_OUTPUT: AtomicU8 = AtomicU8::new(0);

/// What a program whose standard output closed says on standard error before it ends.
static SAID_ON_CLOSED_OUTPUT: Mutex<Option<String>> = Mutex::new(None);

/// Sets the exit code for a closed standard output from here on: a verdict already
/// reached (`check`'s failed cases) is kept however much of it is read.
pub(crate) fn exit_on_closed_output(code: u8) {
    EXIT_ON_CLOSED_OUTPUT.store(code, Ordering::Relaxed);
}

/// As [`exit_on_closed_output`], and `note` is said on standard error should standard
/// output be closed: an interrupted dial's call id, whose reader got the same Ctrl-C and
/// closed the pipe before the id could reach it.
pub(crate) fn exit_on_closed_output_saying(code: u8, note: String) {
    exit_on_closed_output(code);
    *lock(&SAID_ON_CLOSED_OUTPUT) = Some(note);
}

/// Whether a closed standard output is an error given back to the writer, rather than
/// the program's end ([`closed_output_returned`]).
static CLOSED_OUTPUT_RETURNED: AtomicBool = AtomicBool::new(false);

/// From here on, a write to a closed standard output fails as any other write does rather
/// than ending the program: `listen` then stops as on Ctrl-C, answering the deliveries it
/// holds instead of dropping their connections.
pub(crate) fn closed_output_returned() {
    CLOSED_OUTPUT_RETURNED.store(true, Ordering::Relaxed);
}

/// The outcome of a write to standard output: a closed pipe (`| head`) ends the program
/// quietly (with the [verdict](exit_on_closed_output) reached, if any), unless
/// [`closed_output_returned`] was called; any other error is reported.
fn ended(written: std::io::Result<()>) -> Outcome {
    match written {
        Err(e)
            if e.kind() == std::io::ErrorKind::BrokenPipe
                && !CLOSED_OUTPUT_RETURNED.load(Ordering::Relaxed) =>
        {
            crate::progress::clear_for_exit();
            let note = lock(&SAID_ON_CLOSED_OUTPUT).take();
            if let Some(note) = note {
                say(&note);
            }
            std::process::exit(EXIT_ON_CLOSED_OUTPUT.load(Ordering::Relaxed).into())
        }
        result => result.map_err(|e| Failure::Io("standard output".into(), e)),
    }
}

/// Left-aligned columns, as wide as their widest cell; cells escaped with [`cell`].
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> Outcome {
    let mut table = Table::new(headers);
    table.rows(rows)?;
    table.finish()
}

/// A table printed as its rows arrive (a walk over many pages): the columns are as wide
/// as the widest cell seen so far, so rows already printed are never re-aligned.
pub(crate) struct Table {
    headers: Vec<String>,
    widths: Vec<usize>,
    printed_header: bool,
}

impl Table {
    pub(crate) fn new(headers: &[&str]) -> Self {
        let headers: Vec<String> = headers.iter().map(|h| cell(h).into_owned()).collect();
        Table {
            widths: headers.iter().map(|h| h.chars().count()).collect(),
            headers,
            printed_header: false,
        }
    }

    /// Makes `column` at least `width` characters wide: a column whose widest value is
    /// known before the rows arrive (a streamed table's) is never widened by a later row.
    pub(crate) fn at_least(mut self, column: usize, width: usize) -> Self {
        if let Some(current) = self.widths.get_mut(column) {
            *current = (*current).max(width);
        }
        self
    }

    /// Prints `rows` (and the header before the first ones).
    pub(crate) fn rows(&mut self, rows: &[Vec<String>]) -> Outcome {
        let rows: Vec<Vec<Cow<'_, str>>> = rows
            .iter()
            .map(|row| row.iter().map(|c| cell(c)).collect())
            .collect();
        for row in &rows {
            for (width, cell) in self.widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        // One write for the header and the rows (a page of them), not one per line.
        let mut text = String::new();
        if !self.printed_header {
            self.printed_header = true;
            let headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
            text.push_str(&self.render(&headers));
            text.push('\n');
        }
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(|c| c.as_ref()).collect();
            text.push_str(&self.render(&cells));
            text.push('\n');
        }
        if text.is_empty() {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        ended(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
    }

    /// Prints the header if no row came.
    pub(crate) fn finish(&mut self) -> Outcome {
        self.rows(&[])
    }

    /// One line: each cell padded to its column's width, two spaces between columns.
    /// Padded by hand: a width given to `format!` at run time panics past 65,535, and a
    /// vendor value (an id, a note's text) can be longer than that.
    fn render(&self, cells: &[&str]) -> String {
        let mut line = String::new();
        for (column, (cell, width)) in cells.iter().zip(&self.widths).enumerate() {
            if column > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let padding = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', padding));
        }
        line.truncate(line.trim_end().len());
        line
    }
}

pub(crate) fn or_dash(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "-".into())
}

/// After a table of calls with no row, which reads as a failure: that nothing matched,
/// with the usual slip where `--agent` was given; or, for a walk `resumed` from a
/// `--cursor`, that nothing came after it (the calls before it may well have matched).
pub(crate) fn say_none_matched(filters: &crate::cli::FilterArgs, resumed: bool) {
    let agent = match filters.agent {
        Some(_) => " (if --agent was given a name: it takes the agent's id)",
        None => "",
    };
    let after = if resumed { " after the cursor" } else { "" };
    say(&format!("note: no call{after} matched{agent}"));
}

/// One call as a table row.
pub(crate) fn call_row(call: &Call) -> Vec<String> {
    vec![
        call.id.to_string(),
        call.status.to_string(),
        or_dash(call.vendor_status.clone()),
        or_dash(call.direction.map(|d| d.as_str().to_owned())),
        or_dash(call.from.clone()),
        or_dash(call.to.clone()),
        or_dash(
            call.created_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        ),
        or_dash(call.duration_secs.map(listed_duration)),
    ]
}

/// A call's duration in a listing: whole seconds, but tenths under ten seconds (a
/// half-second call is `0.5s`, not `0s`, as `calls get` shows it).
fn listed_duration(seconds: f64) -> String {
    // Decided on the tenths shown: 9.96 s is `10s`, not `10.0s`.
    let tenths = (seconds * 10.0).round() / 10.0;
    match tenths < 10.0 {
        true => format!("{tenths:.1}s"),
        false => format!("{seconds:.0}s"),
    }
}

/// The widest value of each column of [`call_row`] whose values are known in advance, as
/// (column, width): the status (a normalized status), the direction and the creation time.
pub(crate) fn known_call_widths() -> [(usize, usize); 3] {
    let status = voiceport::CallStatus::ALL
        .iter()
        .map(|s| s.to_string().chars().count())
        .max()
        .unwrap_or(0);
    let direction = [
        voiceport::Direction::Inbound,
        voiceport::Direction::Outbound,
    ]
    .map(|d| d.as_str().len())
    .into_iter()
    .max()
    .unwrap_or(0);
    // `%Y-%m-%d %H:%M`.
    [(1, status), (3, direction), (6, 16)]
}

pub(crate) const CALL_HEADERS: [&str; 8] = [
    "ID",
    "STATUS",
    "VENDOR STATUS",
    "DIR",
    "FROM",
    "TO",
    "CREATED (UTC)",
    "DURATION",
];

/// Prints calls as a table, or as a JSON array.
pub(crate) fn calls(calls: &[Call], as_json: bool) -> Outcome {
    if as_json {
        return json(calls);
    }
    let rows: Vec<Vec<String>> = calls.iter().map(call_row).collect();
    table(&CALL_HEADERS, &rows)
}

/// `text` quoted for a POSIX shell, so that a printed command can be pasted as it is
/// whatever the vendor put in it (a cursor token holding `'` or `;`).
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `customer_hung_up (customer-ended-call)`: the category as in JSON, then the vendor's
/// reason; its explanation, when it gives one, after a colon.
fn end_reason(reason: &voiceport::EndReason) -> String {
    let category = reason.category.as_str();
    let shown = match &reason.vendor {
        Some(vendor) => format!("{category} ({vendor})"),
        None => category.to_owned(),
    };
    match &reason.message {
        Some(message) => format!("{shown}: {message}"),
        None => shown,
    }
}

/// Prints the vendor's own JSON of `call`: as it came, byte for byte, in the compact
/// layout (for a program: key order and numbers as the vendor wrote them), laid out for
/// reading in the pretty one (a terminal); either way with what a terminal would act on
/// escaped ([`TerminalSafe`]).
pub(crate) fn vendor_json(call: &Call) -> Outcome {
    match call.vendor_payload() {
        Some(payload) if compact_json() => {
            let raw = serde_json::value::RawValue::from_string(payload.get().to_owned())
                .map_err(|e| Failure::Usage(format!("cannot print JSON: {e}")))?;
            json(&raw)
        }
        Some(payload) => json(payload),
        None => Err(Failure::Usage(format!(
            "{} sent no JSON of its own for call {}",
            call.provider,
            cell(call.id.as_str())
        ))),
    }
}

/// Prints one call as `field: value` lines, or as JSON.
pub(crate) fn call(call: &Call, as_json: bool) -> Outcome {
    if as_json {
        return json(call);
    }
    let fields: Vec<(&str, String)> = vec![
        ("id", call.id.to_string()),
        ("name", or_dash(call.name.clone())),
        ("provider", call.provider.to_string()),
        (
            "status",
            format!("{} ({})", call.status, or_dash(call.vendor_status.clone())),
        ),
        (
            "end reason",
            or_dash(call.end_reason.as_ref().map(end_reason)),
        ),
        ("kind", call.kind.to_string()),
        (
            "direction",
            or_dash(call.direction.map(|d| d.as_str().to_owned())),
        ),
        ("from", or_dash(call.from.clone())),
        ("to", or_dash(call.to.clone())),
        (
            "agent",
            or_dash(call.agent.as_ref().map(|a| {
                format!(
                    "{} {}",
                    a.name.clone().unwrap_or_default(),
                    a.id.as_ref().map(|i| format!("({i})")).unwrap_or_default()
                )
                .trim()
                .to_owned()
            })),
        ),
        ("created", or_dash(call.created_at.map(|t| t.to_rfc3339()))),
        // When a scheduled call is to be placed: a row only for a call that has the time.
        (
            "scheduled",
            call.scheduled_for
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ),
        ("started", or_dash(call.started_at.map(|t| t.to_rfc3339()))),
        ("ended", or_dash(call.ended_at.map(|t| t.to_rfc3339()))),
        (
            "duration",
            or_dash(call.duration_secs.map(|d| format!("{d:.1}s"))),
        ),
        ("summary", or_dash(call.analysis.summary.clone())),
        ("tags", or_dash(Some(call.tags.join(", ")))),
        ("notes", call.notes.len().to_string()),
        (
            "cost",
            or_dash(call.cost.as_ref().and_then(|c| c.total).map(|t| {
                format!(
                    "{t:.4} {}",
                    call.cost
                        .as_ref()
                        .and_then(|c| c.currency.clone())
                        .unwrap_or_default()
                )
                .trim()
                .to_owned()
            })),
        ),
        (
            "metadata",
            if call.metadata.is_empty() {
                "-".into()
            } else {
                serde_json::to_string(&call.metadata).unwrap_or_default()
            },
        ),
    ];
    // A row without a value is left out: every other row says `-` (`or_dash`).
    let fields: Vec<(&str, String)> = (fields.into_iter())
        .filter(|(_, value)| !value.is_empty())
        .collect();
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in fields {
        line(&format!("{key:<width$}  {}", cell(&value)))?;
    }
    for note in &call.notes {
        line(&format!(
            "  note {}{}: {}",
            cell(note.id.as_str()),
            if note.flagged { " [flagged]" } else { "" },
            cell(&note.content)
        ))?;
    }
    Ok(())
}

/// Prints a transcript as `[offset] speaker: text` lines, or as JSON.
pub(crate) fn transcript(transcript: &Transcript, as_json: bool) -> Outcome {
    if as_json {
        return json(transcript);
    }
    if transcript.utterances.is_empty() {
        // The transcript's own line breaks are kept; every other control is escaped.
        return line(transcript.text.as_deref().unwrap_or("(no transcript)"));
    }
    for utterance in &transcript.utterances {
        let at = utterance
            .start_secs
            .map(|s| format!("[{s:>6.1}s] "))
            .unwrap_or_default();
        line(&format!(
            "{at}{}: {}",
            cell(&utterance.speaker.to_string()),
            cell(&utterance.shown_text())
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A short call's duration keeps its tenths in a listing; a longer one is whole
    /// seconds.
    #[test]
    fn a_listing_shows_short_durations_in_tenths() {
        assert_eq!(listed_duration(0.5), "0.5s");
        assert_eq!(listed_duration(9.94), "9.9s");
        assert_eq!(listed_duration(9.96), "10s");
        assert_eq!(listed_duration(42.5), "42s");
        assert_eq!(listed_duration(187.0), "187s");
    }

    /// A cell of any length is padded and printed: past 65,535 characters, `format!`'s
    /// run-time width panics ("Formatting argument out of range").
    #[test]
    fn a_table_takes_a_cell_longer_than_a_format_width() {
        let long = "a".repeat(70_000);
        let mut table = Table::new(&["ID", "STATUS"]);
        table.widths = vec![long.len(), 6];
        assert_eq!(table.render(&[&long, "ended"]), format!("{long}  ended"));
        assert_eq!(
            table.render(&["c1", "ended"]),
            format!("c1{}  ended", " ".repeat(69_998))
        );
        assert_eq!(table.render(&["c1", ""]), "c1");
        let table = Table::new(&["ID", "STATUS"]);
        assert_eq!(table.render(&["é", "x"]), "é   x");
    }

    #[test]
    fn terminal_controls_are_escaped_and_plain_text_is_borrowed() {
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}done";
        assert_eq!(
            cell(hostile),
            "\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202edone"
        );
        assert!(!cell(hostile).chars().any(unsafe_char));
        assert_eq!(cell("a\nb\tc\rd"), "a\\u000ab\\u0009c\\u000dd");
        assert_eq!(clean("a\nb\tc\rd"), "a\nb\tc\\u000dd");
        assert!(matches!(cell("é 🙂 +14155550123"), Cow::Borrowed(_)));
        // Invisible: two numbers that would look alike.
        assert_eq!(cell("+1415\u{200b}5550123"), "+1415\\u200b5550123");
        assert_eq!(clean("a\u{2028}b\u{feff}"), "a\\u2028b\\ufeff");
    }

    #[test]
    fn an_escaped_json_line_is_still_the_same_json() {
        let value = serde_json::json!({"status": "\u{7f}\u{9b}2J\u{1b}x"});
        let text = serde_json::to_string(&value).unwrap();
        let cleaned = clean(&text);
        assert!(!cleaned.chars().any(unsafe_char));
        let back: serde_json::Value = serde_json::from_str(&cleaned).unwrap();
        assert_eq!(back, value);
    }

    /// JSON output, compact and pretty, with a raw vendor fragment too: nothing a terminal
    /// acts on or hides goes out raw, and the JSON reads back as the same value.
    #[test]
    fn json_output_escapes_what_a_terminal_acts_on_and_stays_the_same_json() {
        let hostile =
            "\u{7f}\u{9b}2J \u{85} \u{202e}lave \u{2066} +1415\u{200b}555 \u{2028}\u{feff} é 漢";
        let value = serde_json::json!({"name": hostile, hostile: [hostile]});
        let raw =
            serde_json::value::RawValue::from_string(format!(r#"{{"v": "{hostile}"}}"#)).unwrap();
        for compact in [true, false] {
            let mut out = Vec::new();
            to_writer_safe(&mut out, &value, compact).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(!text.chars().any(escaped_in_json), "{text}");
            assert!(
                text.contains("\\u009b") && text.contains("\\u202e"),
                "{text}"
            );
            assert!(
                text.contains("é 漢"),
                "printable text stays as it is: {text}"
            );
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&text).unwrap(),
                value
            );
            let mut out = Vec::new();
            to_writer_safe(&mut out, &*raw, compact).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(!text.chars().any(escaped_in_json), "{text}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back["v"], hostile);
        }
        // The layout is the inner formatter's.
        let mut pretty = Vec::new();
        to_writer_safe(&mut pretty, &serde_json::json!({"a": [1]}), false).unwrap();
        assert_eq!(
            String::from_utf8(pretty).unwrap(),
            "{\n  \"a\": [\n    1\n  ]\n}"
        );
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(
            shell_quote(r#"{"mode":"offset","skip":5}"#),
            r#"'{"mode":"offset","skip":5}'"#
        );
    }
}
