//! `validate`: the checks a stack passes before anything is written, each
//! reported on its own: the stack itself (references, cycles, Helm values),
//! the built-in policies, and the provider schema.

use std::fmt;

use super::definition::StackDefinition;
use super::output::owner;
use crate::core::diagnostics::{Diagnostics, Severity};
use crate::core::environment::{Cloud, Environment};
use crate::core::synth::Synthesized;
use crate::schema::SkipReason;

/// How one check ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No error (warnings may be listed in the details).
    Passed,
    /// At least one error.
    Failed,
    /// Not run, and why (`no provider`, `terraform not installed`): never a
    /// pass.
    Skipped(String),
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// `stack`, `policies`, `schema`, `terraform`.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What it found, one line each (errors and warnings).
    pub details: Vec<String>,
    /// How many of the details are warnings.
    pub warnings: usize,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let warnings = match self.warnings {
            0 => String::new(),
            1 => " (1 warning)".to_string(),
            n => format!(" ({n} warnings)"),
        };
        match &self.outcome {
            Outcome::Passed => write!(f, "{:<10} passed{warnings}", self.name),
            Outcome::Failed => write!(
                f,
                "{:<10} FAILED: {} error(s){warnings}",
                self.name,
                self.details.len() - self.warnings
            ),
            Outcome::Skipped(why) => write!(f, "{:<10} skipped: {why}", self.name),
        }
    }
}

impl Check {
    fn from_diagnostics(name: &str, diagnostics: &Diagnostics) -> Check {
        let errors = diagnostics.has_errors();
        let details: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        let warnings = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        Check {
            name: name.to_string(),
            outcome: if errors {
                Outcome::Failed
            } else {
                Outcome::Passed
            },
            details,
            warnings,
        }
    }
}

/// The checks of one stack, and its synthesized files when it synthesized
/// (for checks that need them on disk, such as `terraform validate`).
#[derive(Debug)]
pub struct StackChecks {
    /// `<stack>/<cloud>/<env>`.
    pub label: String,
    /// Each check in the order run.
    pub checks: Vec<Check>,
    /// The files `synth` would write, when the stack check passed.
    pub synthesized: Option<Synthesized>,
}

impl StackChecks {
    /// Whether any check failed (a skipped one is not a failure).
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.outcome == Outcome::Failed)
    }
}

/// Runs the in-process checks of `definition` for `cloud`/`env`, writing
/// nothing: `stack` (realize, references, cycles, outputs, Helm values),
/// `policies` (the cloud's built-in policies, on their own) and `schema`
/// (every block of the document against the bundled provider schema; a
/// type the bundled subset lacks is a warning, as `terraform validate`
/// knows it and the bundled schema does not).
pub fn check_stack(definition: &StackDefinition, cloud: Cloud, env: Environment) -> StackChecks {
    check_stack_in(definition, cloud, env, None)
}

/// [`check_stack`] with the facts `context` holds for the stack (`lookup`),
/// as `synth` realizes it.
pub fn check_stack_in(
    definition: &StackDefinition,
    cloud: Cloud,
    env: Environment,
    context: Option<&crate::core::context::Context>,
) -> StackChecks {
    let label = owner(definition.name(), cloud, env);
    let (platform, stack) = definition.realize_in(cloud, env, context);
    let mut checks = Vec::new();

    let policies = crate::policy::for_cloud(cloud);
    let mut findings = Diagnostics::new();
    for policy in &policies {
        policy.check(&stack, &mut findings);
    }

    let helm = definition.helm_settings(env, cloud);
    let synthesized = match super::finish_with(&platform, cloud, &stack, &helm, &[]) {
        Ok(synthesized) => {
            checks.push(Check::from_diagnostics("stack", synthesized.warnings()));
            Some(synthesized)
        }
        Err(diagnostics) => {
            checks.push(Check::from_diagnostics("stack", &diagnostics));
            None
        }
    };
    checks.push(Check::from_diagnostics("policies", &findings));

    checks.push(match &synthesized {
        None => Check {
            name: "schema".into(),
            outcome: Outcome::Skipped("the stack did not synthesize".into()),
            details: Vec::new(),
            warnings: 0,
        },
        Some(synthesized) => schema_check(cloud, synthesized),
    });
    StackChecks {
        label,
        checks,
        synthesized,
    }
}

/// Every block of the document against the bundled schema of its own
/// provider (`schema::check_document`): violations are errors; blocks of a
/// provider with no bundled schema (hashicorp/time...) are listed as
/// warnings, never passed silently.
fn schema_check(_cloud: Cloud, synthesized: &Synthesized) -> Check {
    let document: serde_json::Value = match serde_json::from_str(synthesized.main_tf_json()) {
        Ok(document) => document,
        Err(e) => {
            return Check {
                name: "schema".into(),
                outcome: Outcome::Failed,
                details: vec![format!("main.tf.json is not JSON: {e}")],
                warnings: 0,
            }
        }
    };
    let report = crate::schema::check_document(&document);
    let mut details: Vec<String> = report
        .violations
        .iter()
        .map(|v| format!("error: {v}"))
        .collect();
    details.extend(report.skipped.iter().map(|s| {
        let why = match &s.reason {
            SkipReason::NoBundledSchema => format!("no bundled schema of `{}`", s.provider),
            SkipReason::TypeNotListed => {
                format!("the bundled `{}` schema lists only some types", s.provider)
            }
            SkipReason::OtherSource(source) => {
                format!("`{}` is {source}, not hashicorp's", s.provider)
            }
        };
        format!(
            "warning: {} not checked: {why}; `terraform validate` checks it",
            s.address
        )
    }));
    Check {
        name: "schema".into(),
        outcome: if report.violations.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
        details,
        warnings: report.skipped.len(),
    }
}
