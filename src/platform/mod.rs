//! The cloud-neutral platform layer: describe the platform once
//! ([`Platform`]), realize it on any cloud ([`realize`]).

pub mod aws;
pub mod azure;
pub mod defaults;
pub mod gcp;
pub mod outputs;
pub mod spec;
pub mod validate;

pub use spec::*;

use crate::core::environment::Cloud;
use crate::core::stack::Stack;

/// Realizes `platform` on `cloud` with that cloud's builders. The returned stack
/// may be extended with the cloud's own builders before `app::finish`. Problems are
/// recorded on the stack and reported by `finish`.
pub fn realize(platform: &Platform, cloud: Cloud) -> Stack {
    match cloud {
        Cloud::Aws => aws::realize(platform),
        Cloud::Gcp => gcp::realize(platform),
        Cloud::Azure => azure::realize(platform),
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
