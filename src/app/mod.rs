//! The app pipeline: from a stack definition to files on disk (realize,
//! customize, check, render, write atomically).

use std::path::{Path, PathBuf};

use crate::core::diagnostics::Diagnostics;
use crate::core::diagnostics::Severity;
use crate::core::environment::{Cloud, Environment};
use crate::core::output::write_atomically;
use crate::core::stack::Stack;
use crate::core::synth::Synthesized;
use crate::platform::Platform;

/// A named stack the CLI can synthesize: a platform description per
/// environment, realized on any cloud, plus optional per-cloud additions.
///
/// ```
/// use infrasynth::app::StackDefinition;
/// # fn my_platform(env: infrasynth::Environment) -> infrasynth::platform::Platform { unimplemented!() }
/// let stack = StackDefinition::new("mlops", "ML platform", my_platform);
/// assert_eq!(stack.name, "mlops");
/// ```
#[derive(Clone, Copy)]
pub struct StackDefinition {
    /// The stack's name on the command line.
    pub name: &'static str,
    /// One line for `list`.
    pub description: &'static str,
    /// The platform in an environment.
    pub platform: fn(Environment) -> Platform,
    /// Extra per-cloud resources added with the cloud's own builders.
    pub customize: Option<fn(Cloud, &Platform, &mut Stack)>,
}

impl StackDefinition {
    /// A definition without per-cloud additions.
    pub fn new(
        name: &'static str,
        description: &'static str,
        platform: fn(Environment) -> Platform,
    ) -> Self {
        StackDefinition {
            name,
            description,
            platform,
            customize: None,
        }
    }

    /// Adds per-cloud additions.
    pub fn with_customize(mut self, customize: fn(Cloud, &Platform, &mut Stack)) -> Self {
        self.customize = Some(customize);
        self
    }

    /// Realizes and renders the stack for `cloud` and `env`, without writing.
    pub fn synthesize(&self, cloud: Cloud, env: Environment) -> Result<Synthesized, Diagnostics> {
        let platform = (self.platform)(env);
        // The handles are for customize hooks, which do not take them yet.
        let (mut stack, _realized) = crate::platform::realize(&platform, cloud);
        if let Some(customize) = self.customize {
            customize(cloud, &platform, &mut stack);
        }
        finish(&platform, cloud, &stack)
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

/// Where a cloud and environment's files go below the output root.
pub fn output_dir(root: &Path, cloud: Cloud, env: Environment) -> PathBuf {
    root.join(cloud.as_str()).join(env.as_str())
}

/// Writes a synthesized stack's files below `dir` atomically.
pub fn write(dir: &Path, synthesized: &Synthesized) -> std::io::Result<()> {
    write_atomically(dir, synthesized.files())
}
