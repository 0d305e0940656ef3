//! Checks run over a whole stack at synth time ("aspects"): the invariants the
//! builders promise, re-checked after every escape-hatch override.

use super::diagnostics::Diagnostics;
use super::stack::Stack;

/// A rule set checked over the finished stack.
///
/// A policy reads the blocks and records diagnostics; it never changes the stack.
pub trait Policy: Send + Sync {
    /// A short name shown with each finding, such as `aws-secure-defaults`.
    fn name(&self) -> &'static str;

    /// Records every violation found in `stack` into `findings`.
    fn check(&self, stack: &Stack, findings: &mut Diagnostics);
}
