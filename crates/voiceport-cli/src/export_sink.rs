//! Where an export writes, and how a write that fails part-way (a full disk) is undone: an
//! output file is cut back to its last whole page, so that the cursor printed resumes
//! exactly after the rows it holds. An existing file is emptied only once the walk has
//! something to write (its first page, or its end): an export refused before that (a
//! filter the vendor lacks, a wrong key, no network) leaves yesterday's file as it was.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::Failure;
use crate::cli::ExportArgs;
use crate::walk::{resume_extra, resume_hint};

/// An export's output: the `--output` file (appended to with `--append`) or standard
/// output, buffered; and what of it is whole, as of its last [mark](Sink::mark).
pub(crate) struct Sink {
    out: BufWriter<Box<dyn Write + Send>>,
    /// A second handle on the output file, to read its length and cut it back; standard
    /// output cannot be taken back.
    file: Option<File>,
    /// Its name in messages.
    name: String,
    /// Whether the walk has begun writing ([`Sink::begin`]): before, nothing is written,
    /// and the file is as it was.
    begun: bool,
    /// Written first when the walk begins: the CSV header (not with `--append`).
    header: Option<String>,
    /// Whether the file is emptied when the walk begins (not with `--append`).
    truncate: bool,
    /// What the resume advice of a failed write adds to `--cursor …` ([`resume_extra`]).
    extra: &'static str,
    /// The output file, when this export created it: removed should the export end
    /// before it begins writing, so that a refused export leaves no file where there was
    /// none (as it leaves an existing one as it was).
    created: CreatedFile,
    /// The output's length at the last mark (a file's only).
    whole_length: Option<u64>,
    /// The calls written whole at the last mark, and the cursor the walk resumes after
    /// them from (`None`: from the start).
    whole_calls: usize,
    resume: Option<String>,
}

impl Sink {
    /// Opens the output `args` name (created if missing, not yet emptied), to begin with
    /// `header` (a CSV header line, without its line break) unless `--append` is given to a
    /// file that has something in it already; a failed write before any row resumes the
    /// walk from `start` (`None`: from the start).
    pub(crate) fn open(
        args: &ExportArgs,
        header: Option<String>,
        start: Option<String>,
    ) -> Result<Sink, Failure> {
        let mut sink = Sink::opened(args, header)?;
        sink.mark(0, start)
            .map_err(|e| Failure::Io(sink.name().to_owned(), e))?;
        Ok(sink)
    }

    fn opened(args: &ExportArgs, header: Option<String>) -> Result<Sink, Failure> {
        let extra = resume_extra(args);
        let Some(path) = &args.output else {
            let header = header.filter(|_| !args.append);
            let sink = Sink::new(Box::new(io::stdout()), None, "standard output", extra);
            return Ok(sink.beginning_with(header, false));
        };
        let name = path.display().to_string();
        // Opened now, so that a path that cannot be written is said before any request;
        // emptied when the walk begins.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).append(args.append).truncate(false);
        // Calls hold numbers, names and what was said: a file this creates is its owner's
        // alone (an existing file keeps its mode).
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        // Created here, or there already: which, known without a race, by asking for a new
        // file first. A path that exists (or is a link to a file yet to be made) is opened
        // as before, creating where the link points, and is never taken back.
        let (opened, created) = match options.clone().create_new(true).open(path) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                (options.create(true).open(path), CreatedFile(None))
            }
            opened => (opened, CreatedFile(Some(path.clone()))),
        };
        let opened = opened.and_then(|file| Ok((file.try_clone()?, file)));
        let (file, handle) = opened.map_err(|e| Failure::Io(name.clone(), e))?;
        if args.append && ends_in_a_cut_row(path) {
            return Err(Failure::Usage(format!(
                "{} ends in a half-written row (an export stopped without its end, by a kill or a crash): the rows after it would join it; delete that row, then resume from the last call written in full, or export again without --append",
                crate::output::cell(&name)
            )));
        }
        if args.append
            && let Some(first) = first_line(path)
            && let Some(unlike) = unlike_this_export(&first, header.as_deref())
        {
            return Err(Failure::Usage(format!(
                "{} {unlike}: export to a new file, or without --append",
                crate::output::cell(&name)
            )));
        }
        // Appended to a file just created (or empty), the rows still need their header.
        let regular = handle.metadata().ok().filter(std::fs::Metadata::is_file);
        let empty = regular.as_ref().is_some_and(|file| file.len() == 0);
        // A resume that left out the `--append` its advice gave replaces what the export
        // wrote before: said, as it may not be meant (the file is replaced only once the
        // first page is in, so a Ctrl-C now keeps it).
        if args.cursor.is_some() && !args.append && regular.is_some_and(|file| file.len() > 0) {
            crate::output::say(&format!(
                "warning: {} is replaced once the first page is in; to add to it, as a resumed export does, give --append",
                crate::output::cell(&name)
            ));
        }
        let header = header.filter(|_| !args.append || empty);
        let mut sink = Sink::new(Box::new(file), Some(handle), &name, extra);
        sink.created = created;
        Ok(sink.beginning_with(header, !args.append))
    }

    /// This sink, writing `header` first and emptying its file (`truncate`) when the walk
    /// begins.
    fn beginning_with(mut self, header: Option<String>, truncate: bool) -> Sink {
        self.begun = false;
        self.header = header.map(|line| line + "\n");
        self.truncate = truncate;
        self
    }

    /// The walk has something to write (a page, or its end): the file is emptied (not
    /// with `--append`; a regular file only, as opening with truncation does: a pipe or
    /// `/dev/null` has nothing to empty) and the header written and flushed, so that a
    /// failed write is taken back to just after it. Writing calls it, and so does the page
    /// writer for each page, an empty one too (an export of no call still writes its
    /// header); the merged export calls it at its end. Once only.
    pub(crate) fn begin(&mut self) -> io::Result<()> {
        if self.begun {
            return Ok(());
        }
        self.begun = true;
        if let (true, Some(file)) = (self.truncate, &self.file)
            && file.metadata()?.is_file()
        {
            file.set_len(0)?;
            // A failed write is taken back to the emptied file, not the old length.
            self.whole_length = Some(0);
        }
        if let Some(header) = self.header.take() {
            self.out.write_all(header.as_bytes())?;
        }
        self.out.flush()?;
        self.whole_length = match &self.file {
            Some(file) => Some(file.metadata()?.len()),
            None => None,
        };
        // Begun, its header written: the file is the export's now, whatever follows.
        self.created.0 = None;
        Ok(())
    }

    /// What the resume advice of a walk stopped now adds to `--cursor …`
    /// ([`resume_extra`]); nothing before anything was written (or the file emptied): the
    /// output is then as it was, and the same command resumes the walk.
    pub(crate) fn resume_extra(&self) -> &'static str {
        if self.begun { self.extra } else { "" }
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
            // Large writes: an export is many MiB, written a page at a time.
            out: BufWriter::with_capacity(256 * 1024, out),
            file,
            name: name.to_owned(),
            begun: true,
            header: None,
            truncate: false,
            extra,
            created: CreatedFile(None),
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
        self.flush()?;
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
            begun: _,
            created: _,
            header: _,
            truncate: _,
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
                    "the rows after the last whole page were removed; {written} calls of this export are in it"
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
        Failure::IoHinted {
            target: name,
            error,
            hint: format!("{left}; {next}"),
        }
    }
}

/// The first line of the file at `path` (up to 64 KiB of it), a regular file with
/// something in it; `None` for an empty file, or one that cannot be read (written only).
fn first_line(path: &std::path::Path) -> Option<String> {
    use std::io::{BufRead, Read};
    let file = File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut line = Vec::new();
    let mut start = io::BufReader::new(file.take(64 * 1024));
    start.read_until(b'\n', &mut line).ok()?;
    let line = String::from_utf8_lossy(&line);
    let line = line.trim_end_matches(['\n', '\r']);
    (!line.is_empty()).then(|| line.to_owned())
}

/// How a file whose first line is `first` differs from what this export writes (`header`:
/// its CSV header; `None`: JSON Lines), so that the rows appended would not read with the
/// rows there; `None` when they agree.
fn unlike_this_export(first: &str, header: Option<&str>) -> Option<&'static str> {
    match header {
        Some(header) if first == header => None,
        Some(_) if first.starts_with('{') => {
            Some("holds JSON Lines, not CSV (give --format jsonl to append to it)")
        }
        Some(_) => Some(
            "begins with other CSV columns than this export writes (an export of another version, or with or without --providers): the rows appended would not line up with them",
        ),
        None if first.starts_with('{') => None,
        None => Some("does not hold JSON Lines (give --format csv to append CSV rows to it)"),
    }
}

/// Whether the file at `path`, a regular file with something in it, ends without a line
/// break: the last row of an export stopped mid-write by something it could not answer (a
/// kill, a crash, a lost machine). Every export that ends by itself leaves whole lines. A
/// file that cannot be read (written only) is not checked.
fn ends_in_a_cut_row(path: &std::path::Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let last_byte = || -> io::Result<Option<u8>> {
        let mut file = File::open(path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() || metadata.len() == 0 {
            return Ok(None);
        }
        file.seek(SeekFrom::End(-1))?;
        let mut last = [0u8; 1];
        file.read_exact(&mut last)?;
        Ok(Some(last[0]))
    };
    matches!(last_byte(), Ok(Some(byte)) if byte != b'\n')
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.begin()?;
        self.out.write(bytes)
    }

    /// Before the walk begins there is nothing to flush (the header waits).
    fn flush(&mut self) -> io::Result<()> {
        if !self.begun {
            return Ok(());
        }
        self.out.flush()
    }
}

/// The output file an export created, removed when dropped: an export that ends before it
/// begins writing (refused, interrupted, its first page failed) takes back the file, as
/// there was none before it. Emptied once the export begins.
struct CreatedFile(Option<std::path::PathBuf>);

impl Drop for CreatedFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}
