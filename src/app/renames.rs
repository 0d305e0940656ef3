//! Rename warnings: the document a synth is about to write compared with the
//! one already in its output directory (`core::refactor::detect_renames`).

use std::path::Path;

use crate::core::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::core::refactor::detect_renames;
use crate::core::synth::{Synthesized, MAIN_FILE};

/// A warning for each resource that `synthesized` would make Terraform
/// destroy and recreate under a new name, compared with the `main.tf.json`
/// already in `dir`, naming the `moved` line that keeps it. Nothing when
/// `dir` has no previous document or it cannot be read or parsed: a warning
/// is never worth failing a synth for.
pub fn rename_warnings(dir: &Path, stack: &str, synthesized: &Synthesized) -> Diagnostics {
    let mut warnings = Diagnostics::new();
    let Ok(previous) = std::fs::read(dir.join(MAIN_FILE)) else {
        return warnings;
    };
    let Ok(previous) = serde_json::from_slice::<serde_json::Value>(&previous) else {
        return warnings;
    };
    let Ok(current) = serde_json::from_str::<serde_json::Value>(synthesized.main_tf_json()) else {
        return warnings;
    };
    for rename in detect_renames(&previous, &current) {
        warnings.push(Diagnostic {
            severity: Severity::Warning,
            stack: stack.to_string(),
            resource: format!("{}.{}", rename.resource_type, rename.from),
            field: "name".to_string(),
            message: format!(
                "{rename}: terraform will destroy it and create a new one unless it is moved"
            ),
            hint: format!(
                "if it was renamed, add `{}` in a customize hook, or the entry {} under \"moved\"",
                rename.moved_line(),
                rename.moved_json()
            ),
            fix: None,
        });
    }
    warnings
}
