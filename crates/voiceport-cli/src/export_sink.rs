//! Where an export writes, and how a write that fails part-way (a full disk) is undone: an
//! output file is cut back to its last whole page, so that the cursor printed resumes
//! exactly after the rows it holds.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::Failure;
use crate::cli::ExportArgs;
use crate::commands::resume_hint;

/// An export's output: the `--output` file (appended to with `--append`) or standard
/// output, buffered.
pub(crate) struct Sink {
    out: BufWriter<Box<dyn Write + Send>>,
    /// A second handle on the output file, to read its length and cut it back; standard
    /// output cannot be taken back.
    file: Option<File>,
    /// Its name in messages.
    name: String,
}

/// How much of the output is whole: its length when it is a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark(Option<u64>);

impl Sink {
    /// Opens the output `args` name.
    pub(crate) fn open(args: &ExportArgs) -> Result<Sink, Failure> {
        let Some(path) = &args.output else {
            return Ok(Sink::new(Box::new(io::stdout()), None, "standard output"));
        };
        let name = path.display().to_string();
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .append(args.append)
            .truncate(!args.append)
            .open(path)
            .and_then(|file| Ok((file.try_clone()?, file)));
        let (file, handle) = opened.map_err(|e| Failure::Io(name.clone(), e))?;
        Ok(Sink::new(Box::new(file), Some(handle), &name))
    }

    /// Writes to `out`, named `name`; `file`, a handle on the same file, lets a failed
    /// write be taken back.
    pub(crate) fn new(out: Box<dyn Write + Send>, file: Option<File>, name: &str) -> Sink {
        Sink {
            out: BufWriter::new(out),
            file,
            name: name.to_owned(),
        }
    }

    /// The output's name in messages.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Flushes what was written, and marks it whole.
    pub(crate) fn mark(&mut self) -> io::Result<Mark> {
        self.out.flush()?;
        match &self.file {
            Some(file) => Ok(Mark(Some(file.metadata()?.len()))),
            None => Ok(Mark(None)),
        }
    }

    /// The failure of a write (`error`) made after `mark`, `written` calls whole before it:
    /// what was written since `mark` is taken back (a file's, cut back to it; the rows not
    /// yet flushed, dropped), and the failure says where to resume (`resume`, the cursor of
    /// the rows after `mark`; `extra` added to the command).
    pub(crate) fn failed(
        self,
        error: io::Error,
        mark: Mark,
        written: usize,
        resume: Option<&str>,
        extra: &str,
    ) -> Failure {
        let name = self.name;
        // A reader that closed standard output (`| head`) has what it wanted.
        if self.file.is_none() && error.kind() == io::ErrorKind::BrokenPipe {
            return Failure::Io(name, error);
        }
        // Not flushed on drop: the rows it holds would land after the cut.
        let (out, _unflushed) = self.out.into_parts();
        drop(out);
        let left = match (&self.file, mark) {
            (Some(file), Mark(Some(length))) => match file.set_len(length) {
                Ok(()) => format!(
                    "the rows after the last whole page were removed; {written} calls are in it"
                ),
                Err(cut) => format!(
                    "the rows after the last {written} calls could not be removed ({cut}): delete them before resuming"
                ),
            },
            _ => format!(
                "{written} calls were written whole, and part of the next page may follow them: delete it before resuming"
            ),
        };
        let next = match resume {
            Some(token) => resume_hint(token, extra),
            None if written == 0 => "run the same command again to start over".to_owned(),
            None => "run the same command again (without --append) to start over".to_owned(),
        };
        Failure::Unwritten {
            target: name,
            error,
            hint: format!("{left}; {next}"),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.out.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
