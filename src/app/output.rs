//! Where a stack's files go, and writing them so that no two stacks ever share
//! a directory.

use std::path::{Path, PathBuf};

use crate::core::environment::{Cloud, Environment};
use crate::core::output::{write_atomically, write_owned as write_owned_files};
use crate::core::synth::Synthesized;

/// Where one stack's files for a cloud and environment go below the output
/// root: `<root>/<stack>/<cloud>/<env>/`. Each stack has its own directory, so
/// each has its own Terraform state when state is local.
///
/// ```
/// use std::path::Path;
/// use infrasynth::{app::output_dir, Cloud, Environment};
/// let dir = output_dir(Path::new("out"), "shop", Cloud::Aws, Environment::PRODUCTION);
/// assert_eq!(dir, Path::new("out/shop/aws/production"));
/// ```
pub fn output_dir(root: &Path, stack: &str, cloud: Cloud, env: Environment) -> PathBuf {
    root.join(stack).join(cloud.as_str()).join(env.as_str())
}

/// Where the bootstrap of one stack's state storage goes below the output
/// root: `<root>/<stack>/bootstrap/<cloud>/<env>/`, beside the stack's own
/// directories (no cloud is named `bootstrap`), with its own local state.
///
/// ```
/// use std::path::Path;
/// use infrasynth::{app::bootstrap_dir, Cloud, Environment};
/// let dir = bootstrap_dir(Path::new("out"), "shop", Cloud::Aws, Environment::PRODUCTION);
/// assert_eq!(dir, Path::new("out/shop/bootstrap/aws/production"));
/// ```
pub fn bootstrap_dir(root: &Path, stack: &str, cloud: Cloud, env: Environment) -> PathBuf {
    root.join(stack)
        .join("bootstrap")
        .join(cloud.as_str())
        .join(env.as_str())
}

/// The owner recorded in a directory's manifest: `<stack>/<cloud>/<env>`.
pub(crate) fn owner(stack: &str, cloud: Cloud, env: Environment) -> String {
    format!("{stack}/{cloud}/{env}")
}

/// Writes a synthesized stack's files into `dir` atomically, without
/// recording an owner (for tests and tools that manage directories themselves).
///
/// # Errors
///
/// Any I/O error; the previous output is then left as it was.
pub fn write(dir: &Path, synthesized: &Synthesized) -> std::io::Result<()> {
    write_atomically(dir, synthesized.files())
}

/// Writes a synthesized stack's files into `dir` atomically and records
/// `owner` (`<stack>/<cloud>/<env>`) in its manifest; a directory owned by
/// another stack is refused before anything is written.
///
/// # Errors
///
/// `AlreadyExists` when another owner's output is in `dir`; any other I/O
/// error. The previous output is left as it was in both cases.
pub fn write_owned(dir: &Path, owner: &str, synthesized: &Synthesized) -> std::io::Result<()> {
    write_owned_files(dir, owner, synthesized.files())
}
