//! Where an export writes, and how a write that fails part-way (a full disk) is undone: an
//! output file is cut back to its last whole page, so that the cursor printed resumes
//! exactly after the rows it holds.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::Failure;
use crate::cli::ExportArgs;
use crate::commands::{resume_extra, resume_hint};

/// An export's output: the `--output` file (appended to with `--append`) or standard
/// output, buffered; and what of it is whole, as of its last [mark](Sink::mark).
pub(crate) struct Sink {
    out: BufWriter<Box<dyn Write + Send>>,
    /// A second handle on the output file, to read its length and cut it back; standard
    /// output cannot be taken back.
    file: Option<File>,
    /// Its name in messages.
    name: String,
    /// What the resume advice of a failed write adds to `--cursor …` ([`resume_extra`]).
    extra: &'static str,
    /// The output's length at the last mark (a file's only).
    whole_length: Option<u64>,
    /// The calls written whole at the last mark, and the cursor the walk resumes after
    /// them from (`None`: from the start).
    whole_calls: usize,
    resume: Option<String>,
}

impl Sink {
    /// Opens the output `args` name.
    pub(crate) fn open(args: &ExportArgs) -> Result<Sink, Failure> {
        let extra = resume_extra(args);
        let Some(path) = &args.output else {
            return Ok(Sink::new(
                Box::new(io::stdout()),
                None,
                "standard output",
                extra,
            ));
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
        Ok(Sink::new(Box::new(file), Some(handle), &name, extra))
    }

    /// Writes to `out`, named `name`; `file`, a handle on the same file, lets a failed
    /// write be taken back; `extra` is added to the resume advice of a failed write.
    pub(crate) fn new(
        out: Box<dyn Write + Send>,
        file: Option<File>,
        name: &str,
        extra: &'static str,
    ) -> Sink {
        Sink {
            out: BufWriter::new(out),
            file,
            name: name.to_owned(),
            extra,
            whole_length: None,
            whole_calls: 0,
            resume: None,
        }
    }

    /// The output's name in messages.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Flushes what was written, and marks it whole: `calls` calls in all, after which the
    /// walk resumes from `resume` (`None`: from the start).
    pub(crate) fn mark(&mut self, calls: usize, resume: Option<String>) -> io::Result<()> {
        self.out.flush()?;
        self.whole_length = match &self.file {
            Some(file) => Some(file.metadata()?.len()),
            None => None,
        };
        (self.whole_calls, self.resume) = (calls, resume);
        Ok(())
    }

    /// The failure of a write (`error`) made after the last mark: what was written since
    /// is taken back (a file's, cut back to the mark; the rows not yet flushed, dropped),
    /// and the failure says where to resume.
    pub(crate) fn failed(self, error: io::Error) -> Failure {
        let Sink {
            out,
            file,
            name,
            extra,
            whole_length,
            whole_calls: written,
            resume,
        } = self;
        // A reader that closed standard output (`| head`) has what it wanted.
        if file.is_none() && error.kind() == io::ErrorKind::BrokenPipe {
            return Failure::Io(name, error);
        }
        // Not flushed on drop: the rows it holds would land after the cut.
        let (out, _unflushed) = out.into_parts();
        drop(out);
        let left = match (&file, whole_length) {
            (Some(file), Some(length)) => match file.set_len(length) {
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
            Some(token) => resume_hint(&token, extra),
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
