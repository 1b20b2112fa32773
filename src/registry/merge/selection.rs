//! Which providers a merged walk covers, and how it goes.

use super::MergedCursor;

/// Which providers a merged walk covers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selection {
    /// Every configured provider.
    All,
    /// These providers, by name.
    Named(Vec<String>),
}

impl Selection {
    /// These providers, by name, from any strings: `Selection::named(["sales", "support"])`
    /// (`Selection::Named` takes a `Vec<String>`).
    ///
    /// ```
    /// use voiceport::Selection;
    /// assert_eq!(
    ///     Selection::named(["sales", "support"]),
    ///     Selection::Named(vec!["sales".to_owned(), "support".to_owned()])
    /// );
    /// ```
    #[must_use]
    pub fn named<I, S>(names: I) -> Selection
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Selection::Named(names.into_iter().map(Into::into).collect())
    }

    /// `all`, or a comma-separated list of names (`sales,support`). Only `all` selects
    /// every provider: blank text selects none, as `,` does (so `--providers "$UNSET"`
    /// is refused by the walk, not taken for all of them).
    #[must_use]
    pub fn parse(text: &str) -> Selection {
        match text.trim() {
            "all" => Selection::All,
            list => Selection::Named(
                list.split(',')
                    .map(|name| name.trim().to_owned())
                    .filter(|name| !name.is_empty())
                    .collect(),
            ),
        }
    }
}

impl std::str::FromStr for Selection {
    type Err = std::convert::Infallible;

    /// [`Selection::parse`]: every text is a selection.
    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        Ok(Selection::parse(text))
    }
}

/// Where a merged walk starts, and how it treats providers that cannot take part.
///
/// ```
/// use voiceport::{MergeOptions, MergedCursor};
///
/// # fn main() -> voiceport::Result<()> {
/// # let token = MergedCursor::default().to_token();
/// // `token`: a `MergedCursor::to_token` kept from a walk stopped earlier.
/// let options = MergeOptions::default()
///     .keep_going(true)
///     .resume_from(MergedCursor::from_token(&token)?);
/// assert!(options.resume.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MergeOptions {
    /// Leave out a provider that cannot apply the query's filters (see
    /// [`MergedCalls::left_out`]) instead of refusing the whole walk. A walk that would
    /// leave out every provider is still refused, with the first one's error.
    ///
    /// [`MergedCalls::left_out`]: super::MergedCalls::left_out
    pub skip_unsupported: bool,
    /// Keep walking the other providers when one fails mid-walk (see
    /// [`MergedCalls::failures`]) instead of ending the stream with its error.
    ///
    /// [`MergedCalls::failures`]: super::MergedCalls::failures
    pub keep_going: bool,
    /// Where a stopped walk resumes: its [`MergedCalls::cursor`]. `None`: from the start.
    ///
    /// [`MergedCalls::cursor`]: super::MergedCalls::cursor
    pub resume: Option<MergedCursor>,
}

impl MergeOptions {
    /// Leave out providers that cannot apply the filters.
    #[must_use]
    pub fn skip_unsupported(mut self, yes: bool) -> Self {
        self.skip_unsupported = yes;
        self
    }

    /// Keep going when a provider fails.
    #[must_use]
    pub fn keep_going(mut self, yes: bool) -> Self {
        self.keep_going = yes;
        self
    }

    /// Resume a stopped walk from `cursor` (its [`MergedCalls::cursor`], or one read back
    /// with [`MergedCursor::from_token`]); `None` starts from the beginning.
    ///
    /// [`MergedCalls::cursor`]: super::MergedCalls::cursor
    #[must_use]
    pub fn resume_from(mut self, cursor: impl Into<Option<MergedCursor>>) -> Self {
        self.resume = cursor.into();
        self
    }
}
