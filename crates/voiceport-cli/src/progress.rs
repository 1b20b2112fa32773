//! Progress of long commands on standard error: a bar when the total is known, a spinner
//! with a count when it is not. Shown only where a person watches it (see
//! [`progress_enabled`]); elsewhere nothing at all is written.

use std::cell::Cell;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often an animated spinner and the elapsed time are redrawn.
const TICK: Duration = Duration::from_millis(120);

/// Whether progress is shown: only on a terminal, never when the rows are printed on that
/// terminal too (they would mix with it), and never while logging writes to standard
/// error (`-v`, `RUST_LOG`), whose lines would be drawn over.
pub(crate) fn progress_enabled(
    stderr_is_terminal: bool,
    rows_on_terminal: bool,
    logging: bool,
) -> bool {
    stderr_is_terminal && !rows_on_terminal && !logging
}

/// Whether the `-v` / `RUST_LOG` logging is on (it installs the global subscriber; without
/// it none is set).
fn logging() -> bool {
    tracing::dispatcher::has_been_set()
}

/// What the bar shows now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Nothing drawn yet.
    Idle,
    /// A bar: the total is known.
    Bar,
    /// A spinner with a count: the total is unknown.
    Count,
    /// A spinner with a message, for work that is not counted.
    Working,
}

/// The display drawn on standard error now, if any, with the number of the [`Progress`]
/// that draws it.
struct Shown(Mutex<Option<(u64, ProgressBar)>>);

impl Shown {
    /// `bar`, of display number `id`, is drawn (in place of any other).
    fn show(&self, id: u64, bar: &ProgressBar) {
        *crate::lock(&self.0) = Some((id, bar.clone()));
    }

    /// Display number `id` has ended: forgotten, if it is the one shown.
    fn forget(&self, id: u64) {
        let mut shown = crate::lock(&self.0);
        if shown.as_ref().is_some_and(|(shown_id, _)| *shown_id == id) {
            *shown = None;
        }
    }

    /// Clears the display shown, if any.
    fn clear(&self) {
        if let Some((_, bar)) = crate::lock(&self.0).take() {
            bar.finish_and_clear();
        }
    }
}

static SHOWN: Shown = Shown(Mutex::new(None));

/// The number the next [`Progress`] on standard error gets.
static NEXT_DISPLAY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Clears the display on standard error, for a program that ends in place (its standard
/// output closed, `| head`): left as it is, its last line would stay unfinished before the
/// shell's prompt.
pub(crate) fn clear_for_exit() {
    SHOWN.clear();
}

/// A progress display on standard error; does nothing when disabled.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    mode: Cell<Mode>,
    /// Animate between updates (off in tests, where drawing must be deterministic).
    steady: bool,
    /// Its number among the displays on standard error, where it draws there ([`SHOWN`]).
    shown_as: Option<u64>,
}

impl Progress {
    /// A display on standard error when `enabled`, else one that writes nothing.
    pub(crate) fn new(enabled: bool) -> Self {
        if enabled {
            let mut progress = Progress::to(ProgressDrawTarget::stderr(), true);
            progress.shown_as =
                Some(NEXT_DISPLAY.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            return progress;
        }
        Progress {
            bar: None,
            mode: Cell::new(Mode::Idle),
            steady: false,
            shown_as: None,
        }
    }

    /// The display of a command that prints rows, on standard output when
    /// `rows_on_stdout` (else to a file): decided from what standard error and standard
    /// output are.
    pub(crate) fn for_rows(rows_on_stdout: bool) -> Self {
        let rows_on_terminal = rows_on_stdout && std::io::stdout().is_terminal();
        Progress::new(progress_enabled(
            std::io::stderr().is_terminal(),
            rows_on_terminal,
            logging(),
        ))
    }

    fn to(target: ProgressDrawTarget, steady: bool) -> Self {
        Progress {
            bar: Some(ProgressBar::with_draw_target(None, target)),
            mode: Cell::new(Mode::Idle),
            steady,
            shown_as: None,
        }
    }

    /// Switches the display to `mode` (its style) when it shows another.
    fn enter(&self, bar: &ProgressBar, mode: Mode) {
        if self.mode.replace(mode) == mode {
            return;
        }
        // Drawn from here on (again, after an end): what an exit in place clears.
        if let Some(id) = self.shown_as {
            SHOWN.show(id, bar);
        }
        let template = match mode {
            Mode::Bar => "[{bar:30}] fetched {pos} of {len} calls ({elapsed})",
            Mode::Count => "{spinner} fetched {pos} calls ({elapsed})",
            Mode::Working => "{spinner} {msg} ({elapsed})",
            Mode::Idle => return,
        };
        // The templates are constants: one that failed to parse would be a bug caught by
        // the tests; the default style is a harmless fallback.
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        // The spinner turns and the elapsed time counts while a page is awaited.
        if self.steady {
            bar.enable_steady_tick(TICK);
        }
    }

    /// `done` calls fetched so far, of `total` when the vendor says how many there are.
    pub(crate) fn show(&self, done: usize, total: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        match total {
            Some(total) => {
                self.enter(bar, Mode::Bar);
                bar.set_length(total);
            }
            None => {
                self.enter(bar, Mode::Count);
                bar.unset_length();
            }
        }
        bar.set_position(done as u64);
    }

    /// Work that is not counted (a spinner saying `message`) until [`finish`](Self::finish).
    pub(crate) fn working(&self, message: &'static str) {
        let Some(bar) = &self.bar else { return };
        self.enter(bar, Mode::Working);
        bar.set_message(message);
        bar.tick();
    }

    /// Ends the display. A count stays on screen, where the last line said it; a spinner of
    /// uncounted work is cleared (the command prints its results next).
    pub(crate) fn finish(&self) {
        let Some(bar) = &self.bar else { return };
        match self.mode.get() {
            Mode::Idle => {}
            Mode::Bar => bar.finish(),
            Mode::Count => {
                // Without the spinner, which has nothing left to say.
                if let Ok(done) = ProgressStyle::with_template("fetched {pos} calls ({elapsed})") {
                    bar.set_style(done);
                }
                bar.finish();
            }
            Mode::Working => bar.finish_and_clear(),
        }
        // Ended: nothing of it is left to clear.
        if let Some(id) = self.shown_as {
            SHOWN.forget(id);
        }
        // Once: a display ended by hand is not ended again when dropped.
        self.mode.set(Mode::Idle);
    }
}

/// A display left running (a command that returned early, by `?`) ends when dropped,
/// before the caller says why.
impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;

    use super::*;

    #[test]
    fn shown_only_on_a_terminal_that_is_free() {
        assert!(progress_enabled(true, false, false));
        // Not a terminal: a pipe or a file gets nothing.
        assert!(!progress_enabled(false, false, false));
        // The rows are on that terminal: they would mix with the bar.
        assert!(!progress_enabled(true, true, false));
        // Log lines on standard error would be drawn over.
        assert!(!progress_enabled(true, false, true));
        assert!(!progress_enabled(false, true, true));
    }

    #[test]
    fn a_disabled_display_draws_nothing() {
        let progress = Progress::new(false);
        assert!(progress.bar.is_none());
        progress.show(5, Some(30));
        progress.working("running");
        progress.finish();
        assert_eq!(progress.mode.get(), Mode::Idle);
    }

    /// A terminal that records every line drawn, one entry per draw (a draw starts by
    /// clearing the line; the padding after the text is dropped).
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl Screen {
        fn drawn(&self) -> Vec<String> {
            let lines = self.0.lock().unwrap();
            lines
                .iter()
                .map(|line| line.trim_end().to_owned())
                .filter(|line| !line.is_empty())
                .collect()
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            let mut lines = self.0.lock().unwrap();
            match lines.last_mut() {
                Some(line) => line.push_str(s),
                None => lines.push(s.to_owned()),
            }
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            self.0.lock().unwrap().push(String::new());
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    fn on_screen() -> (Progress, Screen) {
        let screen = Screen::default();
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        (Progress::to(target, false), screen)
    }

    #[test]
    fn a_known_total_draws_a_bar_and_an_unknown_one_a_count() {
        let (progress, screen) = on_screen();
        progress.show(10, Some(30));
        let last = screen.drawn().pop().unwrap();
        assert!(last.starts_with("[=========="), "{last}");
        assert!(last.contains("fetched 10 of 30 calls"), "{last}");

        let (progress, screen) = on_screen();
        progress.show(10, None);
        progress.show(25, None);
        let last = screen.drawn().pop().unwrap();
        assert!(last.contains("fetched 25 calls"), "{last}");
        assert!(!last.contains(" of "), "{last}");
        // A total that appears (or disappears) midway switches the display.
        progress.show(30, Some(40));
        let last = screen.drawn().pop().unwrap();
        assert!(last.contains("fetched 30 of 40 calls"), "{last}");
        progress.show(45, None);
        assert!(screen.drawn().pop().unwrap().contains("fetched 45 calls"));
        progress.finish();
        let last = screen.drawn().pop().unwrap();
        assert!(last.starts_with("fetched 45 calls ("), "{last}");
    }

    /// A display still drawn when the program ends in place is cleared: its line does not
    /// stay unfinished.
    #[test]
    fn a_display_shown_is_cleared_for_an_exit() {
        let (progress, screen) = on_screen();
        progress.show(10, None);
        let shown = Shown(Mutex::new(None));
        let bar = progress.bar.as_ref().unwrap();
        shown.show(1, bar);
        // Another display's end leaves it shown.
        shown.forget(2);
        assert!(!bar.is_finished());
        shown.clear();
        assert!(bar.is_finished());
        assert_eq!(
            screen.0.lock().unwrap().last().map(String::as_str),
            Some("")
        );
        // Cleared once: nothing is left to clear, and nothing more is drawn.
        let drawn = screen.0.lock().unwrap().len();
        shown.clear();
        assert_eq!(screen.0.lock().unwrap().len(), drawn);
        // Its own end forgets it.
        let (progress, _) = on_screen();
        shown.show(3, progress.bar.as_ref().unwrap());
        shown.forget(3);
        assert!(crate::lock(&shown.0).is_none());
    }

    /// A display registers itself as it draws, so that `clear_for_exit` finds and clears
    /// it; one that ended by itself is no longer registered.
    #[test]
    fn clear_for_exit_clears_the_display_drawing() {
        let numbered = || {
            let (mut progress, screen) = on_screen();
            let id = NEXT_DISPLAY.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            progress.shown_as = Some(id);
            (progress, screen)
        };
        let (progress, screen) = numbered();
        progress.show(10, None);
        let bar = progress.bar.clone().unwrap();
        assert!(!bar.is_finished());
        clear_for_exit();
        assert!(bar.is_finished());
        assert_eq!(
            screen.0.lock().unwrap().last().map(String::as_str),
            Some("")
        );
        let (progress, _) = numbered();
        progress.working("running the conformance cases");
        progress.finish();
        assert!(crate::lock(&SHOWN.0).is_none());
    }

    #[test]
    fn uncounted_work_shows_its_message_and_clears_at_the_end() {
        let (progress, screen) = on_screen();
        progress.working("running the conformance cases");
        let last = screen.drawn().pop().unwrap();
        assert!(last.contains("running the conformance cases"), "{last}");
        progress.finish();
        assert!(progress.bar.as_ref().unwrap().is_finished());
    }

    /// A display dropped unended (a command that returned early) ends with its count on
    /// screen; one ended by hand is not ended twice.
    #[test]
    fn a_display_ends_when_dropped_and_only_once() {
        let (progress, screen) = on_screen();
        progress.show(7, None);
        drop(progress);
        let last = screen.drawn().pop().unwrap();
        assert!(last.starts_with("fetched 7 calls ("), "{last}");

        let (progress, screen) = on_screen();
        progress.show(7, None);
        progress.finish();
        let drawn = screen.drawn().len();
        drop(progress);
        assert_eq!(screen.drawn().len(), drawn, "{:?}", screen.drawn());
    }

    #[test]
    fn nothing_is_drawn_before_the_first_update() {
        let (progress, screen) = on_screen();
        progress.finish();
        assert!(screen.drawn().is_empty(), "{:?}", screen.drawn());
    }
}
