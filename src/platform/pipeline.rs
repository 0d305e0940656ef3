//! From a stack definition to files on disk: realize, customize, check, render,
//! write atomically.

use std::path::{Path, PathBuf};

use super::spec::Platform;
use crate::core::diagnostics::Diagnostics;
use crate::core::environment::{Cloud, Environment};
use crate::core::output::write_atomically;
use crate::core::stack::Stack;
use crate::core::synth::Synthesized;

/// A named stack the CLI can synthesize: a platform description per
/// environment, realized on any cloud, plus optional per-cloud additions.
///
/// ```
/// use infrasynth::platform::StackDefinition;
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
        let mut stack = super::realize(&platform, cloud);
        if let Some(customize) = self.customize {
            customize(cloud, &platform, &mut stack);
        }
        super::finish(&platform, cloud, &stack)
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
