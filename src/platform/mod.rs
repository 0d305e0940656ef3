//! The cloud-neutral platform layer: describe the platform once
//! ([`Platform`]), realize it on any cloud ([`realize`]).

pub mod defaults;
pub mod outputs;
pub mod pipeline;
pub mod spec;
pub mod validate;

pub use pipeline::{output_dir, StackDefinition};
pub use spec::*;

use crate::core::diagnostics::Diagnostics;
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
/// adds the files that go beside the Terraform document.
pub fn finish(
    platform: &Platform,
    cloud: Cloud,
    stack: &Stack,
) -> Result<Synthesized, Diagnostics> {
    let _ = platform;
    let policies = crate::policy::for_cloud(cloud);
    let policies: Vec<&dyn crate::core::policy::Policy> =
        policies.iter().map(|p| p.as_ref()).collect();
    stack.synth_with(&policies)
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

/// A stack that reports `cloud` as not supported yet (used while a cloud's
/// realization is being built).
pub fn unsupported(platform: &Platform, cloud: Cloud) -> Stack {
    let mut stack = new_stack(platform);
    stack.error(
        "platform",
        "cloud",
        &format!("realizing the platform on {cloud} is not supported yet"),
        "synthesize for a supported cloud (aws)",
    );
    stack
}
