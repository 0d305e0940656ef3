//! Errors and warnings found while building or synthesizing a stack.
//!
//! Builders do not stop at the first problem: they record a [`Diagnostic`] on the
//! stack and carry on, so one synth reports every problem at once. Each names the
//! stack, the resource, the field, what is wrong and how to fix it.

use std::fmt;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Synth goes on; the message is printed.
    Warning,
    /// Synth fails and writes nothing.
    Error,
}

/// One problem, located precisely enough to fix it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stack's name, with its environment (`mlops-production`).
    pub stack: String,
    /// The resource's address or the builder's logical name.
    pub resource: String,
    /// The field (builder setter or Terraform attribute) at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What would be valid.
    pub hint: String,
    /// A value of the user's field that passes, as the hint suggests it,
    /// when one value fixes the mistake (`10.20.0.0/16` for a CIDR, `16`
    /// for a database version); `None` when the fix is not one value (remove
    /// a duplicate, rename one of two). Machine-applicable: tools and tests
    /// set the field to it and synthesize again.
    pub fix: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{level}: stack `{}`, resource `{}`, field `{}`: {}",
            self.stack, self.resource, self.field, self.message
        )?;
        if !self.hint.is_empty() {
            write!(f, "\n  help: {}", self.hint)?;
        }
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: `{fix}`")?;
        }
        Ok(())
    }
}

/// Every diagnostic of one synth.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// No diagnostics yet.
    pub fn new() -> Self {
        Diagnostics::default()
    }

    /// Records one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// All diagnostics, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Only the errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    /// Only the warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many were recorded.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether some diagnostic's message or hint contains `text` (for tests).
    pub fn mentions(&self, text: &str) -> bool {
        self.items.iter().any(|d| d.to_string().contains(text))
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            writeln!(f, "{item}")?;
        }
        let errors = self.errors().count();
        let warnings = self.items.len() - errors;
        write!(f, "{errors} error(s), {warnings} warning(s)")
    }
}

impl std::error::Error for Diagnostics {}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// A value that a cloud or provider rejects: the message says why and what is
/// valid (for example "`us-central-1` is not a GCP region; did you mean
/// us-central1?"). Returned by the free-standing checks builders also run, so
/// callers can check a value before building with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidValue {
    /// What is wrong and what is valid, as one sentence.
    pub message: String,
}

impl InvalidValue {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        InvalidValue {
            message: message.into(),
        }
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InvalidValue {}

impl From<String> for InvalidValue {
    fn from(message: String) -> Self {
        InvalidValue { message }
    }
}
