//! The cloud-neutral platform layer: describe the platform once
//! ([`Platform`]), realize it on any cloud ([`realize`]).

pub mod defaults;
pub mod outputs;
pub mod pipeline;
pub mod spec;
pub mod validate;

pub use pipeline::{output_dir, StackDefinition};
pub use spec::*;

use crate::core::diagnostics::{Diagnostics, Severity};
use crate::core::environment::Cloud;
use crate::core::stack::Stack;
use crate::core::synth::Synthesized;

/// Realizes `platform` on `cloud` with that cloud's builders. The returned stack
/// may be extended with the cloud's own builders before [`finish`]. Problems are
/// recorded on the stack and reported by `finish`.
pub fn realize(platform: &Platform, cloud: Cloud) -> Stack {
    match cloud {
        Cloud::Aws => crate::aws::realize(platform),
        Cloud::Gcp => crate::gcp::realize(platform),
        Cloud::Azure => crate::azure::realize(platform),
    }
}

/// Checks and renders a realized stack with the cloud's built-in policies, and
/// adds the files that go beside the Terraform document: the Helm values
/// (`helm/<chart>.values.yaml`) and, for charts that need Terraform outputs,
/// their templates (`helm/<chart>.values.yaml.hbs`, rendered by `values`).
///
/// A template needing an output the stack does not declare, or a sensitive
/// one, is an error.
pub fn finish(
    platform: &Platform,
    cloud: Cloud,
    stack: &Stack,
) -> Result<Synthesized, Diagnostics> {
    let policies = crate::policy::for_cloud(cloud);
    let policies: Vec<&dyn crate::core::policy::Policy> =
        policies.iter().map(|p| p.as_ref()).collect();
    let synthesized = stack.synth_with(&policies);
    let mut helm_errors = Diagnostics::new();
    let helm_error = |resource: &str, field: &str, message: String, hint: &str| {
        stack.diagnostic(Severity::Error, resource, field, message, hint)
    };
    let files = match crate::helm::values_for(platform, cloud) {
        Ok(files) => files,
        Err(message) => {
            helm_errors.push(helm_error(
                "helm",
                "values",
                message,
                "fix the Helm options or the platform spec",
            ));
            Vec::new()
        }
    };
    match synthesized {
        // Outputs are only checked against a stack that realized cleanly; a
        // failed realization would report every output as missing.
        Err(mut diagnostics) => {
            diagnostics.extend(helm_errors);
            Err(diagnostics)
        }
        Ok(mut synthesized) => {
            for (file, key, message, hint) in crate::helm::check_outputs(&files, stack.outputs()) {
                helm_errors.push(helm_error(&file, &key, message, &hint));
            }
            if helm_errors.has_errors() {
                return Err(helm_errors);
            }
            for file in files {
                synthesized.insert_file(&file.path(), file.yaml.text.into_bytes());
            }
            Ok(synthesized)
        }
    }
}

/// The empty stack every cloud's realization starts from: named
/// `<project>-<env>`, with the environment and the platform's default tags set,
/// and every cloud-neutral problem of `platform` already recorded.
pub fn new_stack(platform: &Platform) -> Stack {
    let mut stack = Stack::new(&platform.stack_name()).with_environment(platform.environment);
    for (key, value) in platform.default_tags() {
        stack.default_tag(&key, &value);
    }
    validate::validate(platform, &mut stack);
    stack
}
