//! What a walk over calls (`calls list --all`, `export`) says when it stops short: a
//! failure, an interruption or an output that cannot be written, and where to resume.

use voiceport::{PageCursor, ProviderKind};
use voiceport_core::SeenCursors;

use crate::cli::ExportArgs;
use crate::interrupts::StopSignal;
use crate::{Failure, Outcome, output};

/// The failure of a walk that printed or wrote (`said`) `count` calls before `error`;
/// `resume` is the cursor of the page that failed.
pub(crate) fn walk_failure(
    error: voiceport::Error,
    count: usize,
    resume: Option<&PageCursor>,
    said: Said<'_>,
) -> Failure {
    let (done, extra) = (said.done, said.extra);
    if count == 0 && resume.is_none() {
        // Nothing was printed: the plain error says it all.
        return Failure::Voice(error);
    }
    let hint = match resume {
        // The vendor's cursors came round again: resuming would go round too.
        _ if error.is_cursor_cycle() => format!(
            "{count} calls were {done} before the failure; {}",
            no_further(CURSORS_CAME_ROUND)
        ),
        // The cursor that would resume is the one refused: too long to follow or to print.
        _ if error.is_cursor_too_long() => format!(
            "{count} calls were {done} before the failure; {}",
            no_further(CURSOR_TOO_LONG)
        ),
        Some(cursor) => format!(
            "{count} calls were {done} before the failure; {}",
            resume_hint(&cursor.to_token(), extra)
        ),
        None => format!(
            "{count} calls were {done} before the failure; run the same command again to start over"
        ),
    };
    Failure::Hinted {
        error: Box::new(error),
        hint,
    }
}

/// The `failure` to write a walk's next calls to standard output (a full disk) after
/// `count` calls printed whole (`said`): where to resume (`resume`, the cursor of the calls
/// that failed; `None`: from the start, as when nothing was printed and the walk did not
/// begin at a `--cursor`). Those calls may have been printed in part, their last line cut
/// short: resuming prints them again.
pub(crate) fn unwritten(
    failure: Failure,
    count: usize,
    resume: Option<String>,
    said: Said<'_>,
) -> Failure {
    let Failure::Io(target, error) = failure else {
        return failure;
    };
    let done = said.done;
    let again = match resume {
        Some(token) => resume_hint(&token, said.extra),
        None => "run the same command again to start over".to_owned(),
    };
    let hint = format!(
        "{count} calls were {done} whole before the failure; the calls after them may be {done} in part (the last line cut short): {again}"
    );
    Failure::IoHinted {
        target,
        error,
        hint,
    }
}

/// `failure`, once `print` has printed on standard output what a script reads there (a
/// placed call's id or JSON, the rows of a walk so far), as when nothing failed. An output
/// that cannot be written loses it there only: the exit code stays the failure's (not a
/// closed pipe's quiet success), and an interruption's message is said on standard error
/// also when a closed pipe (its reader got the same Ctrl-C) ends the program at the write.
pub(crate) fn printed_despite(failure: Failure, print: impl FnOnce() -> Outcome) -> Failure {
    match &failure {
        Failure::Interrupted(message) => output::exit_on_closed_output_saying(
            failure.exit_code(),
            crate::interrupts::said(message),
        ),
        _ => output::exit_on_closed_output(failure.exit_code()),
    }
    let _ = print();
    failure
}

/// The output of `next`, unless Ctrl-C comes first (`None`).
pub(crate) async fn unless_interrupted<F: Future>(
    ctrl_c: &mut StopSignal,
    next: F,
) -> Option<F::Output> {
    tokio::select! {
        biased;
        () = ctrl_c.received() => None,
        output = next => Some(output),
    }
}

/// What a walk stopped by Ctrl-C says, for one provider or merged: `count` calls were
/// printed or written (`said`), `resume` the cursor token after them (none before any call
/// unless the walk began at a `--cursor`).
pub(crate) fn interrupted_walk(count: usize, resume: Option<&str>, said: Said<'_>) -> Failure {
    let (done, extra) = (said.done, said.extra);
    Failure::Interrupted(match resume {
        Some(token) => format!("{count} calls were {done}; {}", resume_hint(token, extra)),
        None if count == 0 => format!("no call was {done}"),
        None => format!("{count} calls were {done}; run the same command again to start over"),
    })
}

/// Where a one-provider walk resumes: at the next cursor of the last page it handed on,
/// judged as the page walk judges it ([`SeenCursors`]). A cursor the walk will refuse (one
/// it followed already, one too long to follow) resumes nothing: the walk fails on it when
/// it asks for the next page, and a Ctrl-C that comes first must not offer it either.
#[derive(Debug)]
pub(crate) struct ResumePoint {
    seen: SeenCursors,
    /// The cursor after the pages handed on (`None`: the last page was), or why there is
    /// none to follow.
    at: Result<Option<PageCursor>, &'static str>,
}

impl ResumePoint {
    /// Before a walk's first page: at `cursor`, the `--cursor` it begins at, if any.
    pub(crate) fn starting_at(cursor: Option<&PageCursor>) -> Self {
        ResumePoint {
            seen: SeenCursors::starting_at(cursor),
            at: Ok(cursor.cloned()),
        }
    }

    /// Past a page handed on whose next cursor (of `kind`'s vendor) is `next`.
    pub(crate) fn past(&mut self, kind: ProviderKind, next: Option<&PageCursor>) {
        self.at = match next.map(|next| (next, self.seen.follow(kind, next))) {
            None => Ok(None),
            Some((next, Ok(true))) => Ok(Some(next.clone())),
            Some((_, Ok(false))) => Err(CURSORS_CAME_ROUND),
            Some((_, Err(_))) => Err(CURSOR_TOO_LONG),
        };
    }

    /// The cursor to resume at, when there is one to follow.
    pub(crate) fn cursor(&self) -> Option<&PageCursor> {
        self.at.as_ref().ok().and_then(Option::as_ref)
    }

    /// Whether the last page handed on named no next (or, before any page, the walk
    /// began at no cursor).
    pub(crate) fn is_end(&self) -> bool {
        matches!(self.at, Ok(None))
    }

    /// What the walk says when a Ctrl-C stops it after `count` calls (`said`).
    pub(crate) fn interrupted(&self, count: usize, said: Said<'_>) -> Failure {
        match self.at {
            Err(why) => Failure::Interrupted(format!(
                "{count} calls were {}; {}",
                said.done,
                no_further(why)
            )),
            Ok(_) => interrupted_walk(
                count,
                self.cursor().map(PageCursor::to_token).as_deref(),
                said,
            ),
        }
    }
}

/// Why a walk cannot go on from the cursor its vendor gave: it came round again.
const CURSORS_CAME_ROUND: &str = "the vendor's cursors came round again";

/// Why a walk cannot go on from the cursor its vendor gave: too long to follow or print.
const CURSOR_TOO_LONG: &str = "the vendor's next cursor is too long to follow";

/// `why`, as the end of what a walk that cannot go further says (failed or interrupted).
fn no_further(why: &str) -> String {
    format!("{why}, so the walk cannot go further")
}

/// How a walk that stopped short says so: what it did with its calls (`calls list` printed
/// them; an export wrote them, to a file or standard output), and what the command that
/// resumes it adds to `--cursor …` (`extra`: an export's [`resume_extra`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Said<'a> {
    done: &'static str,
    pub(crate) extra: &'a str,
}

impl<'a> Said<'a> {
    /// `calls list`'s: it printed its calls, and is resumed by `--cursor` alone.
    pub(crate) const LISTED: Said<'static> = Said {
        done: "printed",
        extra: "",
    };

    /// An export's, whose resume command adds `extra`.
    pub(crate) fn exported(extra: &'a str) -> Self {
        Said {
            done: "written",
            extra,
        }
    }

    /// What was done with the calls: `printed` or `written`.
    pub(crate) fn done(&self) -> &'static str {
        self.done
    }
}

/// Whether a walk that printed `count` calls and has nothing left (`done`: one provider's
/// last page named no next, or a merged cursor is done) is complete: a Ctrl-C then comes
/// after its end, and telling the user to start over would print (or `--append`) every
/// call again.
pub(crate) fn walk_complete(count: usize, done: bool) -> bool {
    count > 0 && done
}

/// After a walk's Ctrl-C, the failure of flushing its output: as it is, unless the
/// output's reader is gone (a pipe whose reader got the same Ctrl-C), which would
/// otherwise end the command as a quiet success; then the interruption is said (exit 130).
pub(crate) fn output_closed_on_interrupt(failure: Failure) -> Failure {
    match failure {
        Failure::Io(_, error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            Failure::Interrupted(
                "interrupted; the output's reader had closed too, so the last rows may not have reached it".into(),
            )
        }
        failure => failure,
    }
}

/// How a walk that printed calls says to go on after them: with the cursor `token`,
/// `extra` added to the suggested command.
pub(crate) fn resume_hint(token: &str, extra: &str) -> String {
    format!(
        "to resume after them, run the same command with --cursor {}{extra}",
        output::shell_quote(token)
    )
}

/// What the resume advice of a failed export adds to `--cursor …`: `--append` (once), so
/// that the rest joins what was written without a second CSV header, and `>>` when the rows
/// went to standard output.
pub(crate) fn resume_extra(args: &ExportArgs) -> &'static str {
    match (args.output.is_some(), args.append) {
        (true, false) => " --append",
        (true, true) => "",
        (false, false) => " --append (and >> to add to the same file)",
        (false, true) => " (and >> to add to the same file)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> PageCursor {
        PageCursor::Token {
            token: text.to_owned(),
        }
    }

    /// A walk resumes at the next cursor of its last page, unless the walk would refuse
    /// it: one it followed already (the one it began at included), one too long.
    #[test]
    fn a_resume_point_offers_only_a_cursor_the_walk_would_follow() {
        let kind = ProviderKind::Rounded;
        let interrupted = |point: &ResumePoint| match point.interrupted(5, Said::LISTED) {
            Failure::Interrupted(message) => message,
            other => panic!("{other:?}"),
        };
        let mut point = ResumePoint::starting_at(Some(&token("A")));
        assert_eq!(point.cursor(), Some(&token("A")));
        assert!(!point.is_end());
        point.past(kind, Some(&token("B")));
        assert_eq!(point.cursor(), Some(&token("B")));
        assert!(interrupted(&point).contains("--cursor"));
        // Back to the cursor it began at.
        point.past(kind, Some(&token("A")));
        assert_eq!(point.cursor(), None);
        assert!(!point.is_end(), "refused is not the end");
        let message = interrupted(&point);
        assert!(message.contains("came round again"), "{message}");
        assert!(!message.contains("--cursor"), "{message}");
        let huge = "2".repeat(voiceport_core::MAX_CURSOR_TOKEN_BYTES + 1);
        point.past(kind, Some(&token(&huge)));
        let message = interrupted(&point);
        assert!(message.contains("too long to follow"), "{message}");
        assert!(!message.contains("--cursor"), "{message}");
        point.past(kind, None);
        assert!(point.is_end());
        assert_eq!(ResumePoint::starting_at(None).cursor(), None);
    }

    /// A Ctrl-C after the last page (it named no next) ends a walk that printed calls as
    /// complete; before any call, or with a next page, it is an interruption.
    #[test]
    fn a_walk_is_complete_once_its_last_page_was_printed() {
        assert!(walk_complete(3, true));
        assert!(!walk_complete(3, false));
        // Nothing printed yet (or a walk resumed at a cursor, before its first page).
        assert!(!walk_complete(0, true));
        assert!(!walk_complete(0, false));
    }
}
