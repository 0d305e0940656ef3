//! The stacks this project synthesizes, written with infrasynth's public API
//! only, as any user would write theirs.

pub mod mlops;

use infrasynth::app::StackDefinition;

/// Every stack the `infrasynth` binary knows.
pub fn all() -> Vec<StackDefinition> {
    vec![mlops::definition()]
}
