//! The app pipeline: from a stack definition to files on disk (realize,
//! customize, check, render, write atomically).

mod definition;
pub mod drift;
#[cfg(feature = "hcl")]
mod hcl;
mod output;
mod program;
mod renames;
mod report;
mod review;
mod support_date;
mod validate;
mod values;

pub use definition::{Customize, DocumentFormat, StackDefinition, SynthOptions};
#[cfg(feature = "hcl")]
pub use hcl::{to_hcl, HclError, HCL_FILE};
pub use output::{bootstrap_dir, output_dir, write, write_owned};
pub use program::{App, AppError};
pub use renames::rename_warnings;
pub use report::{bootstrap_to_dir, synth_to_dir, synth_to_dir_with, SynthFailure, SynthReport};
pub use review::{diff_against_dir, diff_against_dir_with, StackDiff};
pub use support_date::{support_date, SOURCE_DATE_EPOCH};
pub use validate::{check_stack, check_stack_in, Check, Outcome, StackChecks};
pub use values::{render_values, ValuesError};

use crate::core::diagnostics::{Diagnostics, Severity};
use crate::core::environment::Cloud;
use crate::core::stack::Stack;
use crate::core::synth::Synthesized;
use crate::helm::HelmSettings;
use crate::platform::Platform;

/// Checks and renders a realized stack with the cloud's built-in policies, and
/// adds the files that go beside the Terraform document: the Helm values
/// (`helm/<chart>.values.yaml`) and, for charts that need Terraform outputs,
/// their templates (`helm/<chart>.values.yaml.hbs`, rendered by `values`),
/// the `helm/helmfile.yaml` that installs every release in order and the
/// local chart some releases use (see [`crate::helm::install_files`]).
///
/// # Errors
///
/// Every diagnostic, when the stack has errors or a policy finding; a
/// template needing an output the stack does not declare, or a sensitive
/// one, is an error, as is every problem of the Helm settings (see
/// [`crate::helm::values`]).
pub fn finish(
    platform: &Platform,
    cloud: Cloud,
    stack: &Stack,
    helm: &HelmSettings,
) -> Result<Synthesized, Diagnostics> {
    let policies = crate::policy::for_cloud(cloud);
    let policies: Vec<&dyn crate::core::policy::Policy> =
        policies.iter().map(|p| p.as_ref()).collect();
    finish_with(platform, cloud, stack, helm, &policies)
}

/// [`finish`] with `policies` instead of the cloud's built-in ones (`validate`
/// runs the policies on their own, to report them as their own check).
pub(crate) fn finish_with(
    platform: &Platform,
    cloud: Cloud,
    stack: &Stack,
    helm: &HelmSettings,
    policies: &[&dyn crate::core::policy::Policy],
) -> Result<Synthesized, Diagnostics> {
    let synthesized = stack.synth_with(policies);
    let mut helm_errors = Diagnostics::new();
    let helm_error = |resource: &str, field: &str, message: String, hint: &str| {
        stack.diagnostic(Severity::Error, resource, field, message, hint)
    };
    let files = match crate::helm::values(platform, cloud, helm) {
        Ok(files) => files,
        Err(errors) => {
            for error in errors.0 {
                helm_errors.push(helm_error(
                    "helm",
                    &error.field(),
                    error.to_string(),
                    "see docs/helm.md (settings)",
                ));
            }
            Vec::new()
        }
    };
    match synthesized {
        // Outputs are only checked against a stack that realized cleanly; a
        // failed realization would report every output as missing.
        Err(mut diagnostics) => {
            // Helm settings are judged against the platform's fields; once
            // those are wrong (a workload renamed to an invalid name), the
            // settings' mismatches derive from that one mistake.
            if !stack.input_failed() {
                diagnostics.extend(helm_errors);
            }
            Err(diagnostics)
        }
        Ok(mut synthesized) => {
            for problem in crate::helm::check_outputs(&files, stack.outputs()) {
                helm_errors.push(helm_error(
                    &problem.file,
                    &problem.key,
                    problem.message,
                    &problem.hint,
                ));
            }
            let install = crate::helm::install_files(platform, cloud, helm, &files).unwrap_or_else(
                |message| {
                    helm_errors.push(helm_error(
                        "helm",
                        "helmfile",
                        format!("the helmfile cannot be written: {message}"),
                        "report this as a bug",
                    ));
                    Vec::new()
                },
            );
            if helm_errors.has_errors() {
                return Err(helm_errors);
            }
            for (path, text) in install {
                synthesized.insert_file(&path, text.into_bytes());
            }
            for file in files {
                synthesized.insert_file(&file.path(), file.yaml.text.into_bytes());
            }
            Ok(synthesized)
        }
    }
}
