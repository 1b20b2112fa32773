//! What a conformance run found: one line per case.

use std::fmt;

use serde::Serialize;

use crate::ProviderKind;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The provider supports it and it worked.
    Passed,
    /// The provider declares it unsupported, and it answered `Unsupported` as it must.
    Unsupported,
    /// It did not behave as its capability flag says.
    Failed(String),
    /// It could not run here (a read-only run, no number to dial …), with the reason.
    NotRun(String),
}

impl Outcome {
    /// A short label for tables.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "pass",
            Outcome::Unsupported => "unsupported",
            Outcome::Failed(_) => "FAIL",
            Outcome::NotRun(_) => "not run",
        }
    }
}

/// One case and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CaseResult {
    /// The case's name (the same for every provider).
    pub case: String,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Every case run against one provider, in order.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Which vendor.
    pub provider: ProviderKind,
    /// The cases, in the order run.
    pub cases: Vec<CaseResult>,
}

impl Report {
    pub(super) fn record(&mut self, case: &str, outcome: Outcome) {
        self.cases.push(CaseResult {
            case: case.to_owned(),
            outcome,
        });
    }

    fn count(&self, label: &str) -> usize {
        self.cases
            .iter()
            .filter(|c| c.outcome.label() == label)
            .count()
    }

    /// The cases that ran and passed.
    pub fn passed(&self) -> usize {
        self.count("pass")
    }

    /// The cases checked as unsupported.
    pub fn unsupported(&self) -> usize {
        self.count("unsupported")
    }

    /// The cases that did not run, with why.
    pub fn not_run(&self) -> Vec<&CaseResult> {
        self.cases
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::NotRun(_)))
            .collect()
    }

    /// The cases that failed.
    pub fn failures(&self) -> Vec<&CaseResult> {
        self.cases
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
            .collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "conformance: {} — {} passed, {} unsupported, {} failed, {} not run",
            self.provider,
            self.passed(),
            self.unsupported(),
            self.failures().len(),
            self.not_run().len(),
        )?;
        let width = self.cases.iter().map(|c| c.case.len()).max().unwrap_or(0);
        for CaseResult { case, outcome } in &self.cases {
            write!(f, "  {case:<width$}  {:<11}", outcome.label())?;
            match outcome {
                Outcome::Failed(why) | Outcome::NotRun(why) => writeln!(f, "  {why}")?,
                _ => writeln!(f)?,
            }
        }
        Ok(())
    }
}
