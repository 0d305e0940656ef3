//! Synthesizing one stack into its directory, and what that reports.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::definition::{StackDefinition, SynthOptions};
use super::output::{bootstrap_dir, output_dir, owner, write_owned};
use crate::core::diagnostics::Diagnostics;
use crate::core::environment::{Cloud, Environment};
use crate::core::synth::BlockCounts;

/// What one successful synth wrote.
#[derive(Debug)]
pub struct SynthReport {
    /// `<stack>/<cloud>/<env>`.
    pub label: String,
    /// Where the files went.
    pub dir: PathBuf,
    /// Resources, data sources and outputs in the document.
    pub counts: BlockCounts,
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: usize,
    /// Wall time of realize + check + render + write.
    pub elapsed: Duration,
    /// Warnings that did not stop the synth.
    pub warnings: Diagnostics,
    /// Where the document keeps its state, in one line (`s3://bucket/key`,
    /// `local (...)`), and whether the local backend override was written.
    pub state: String,
}

impl fmt::Display for SynthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "synthesized {}: {} resources, {} data sources, {} outputs, {} files ({} bytes) -> {} in {:.1} ms",
            self.label,
            self.counts.resources,
            self.counts.data_sources,
            self.counts.outputs,
            self.files,
            self.bytes,
            self.dir.display(),
            self.elapsed.as_secs_f64() * 1000.0
        )
    }
}

/// Why a synth wrote nothing.
#[derive(Debug)]
pub enum SynthFailure {
    /// The stack is invalid; every diagnostic is listed.
    Invalid {
        /// `<stack>/<cloud>/<env>`.
        label: String,
        /// Every error and warning.
        diagnostics: Diagnostics,
    },
    /// The output directory holds another stack's output.
    Occupied {
        /// The output directory.
        dir: PathBuf,
        /// The message naming both owners and the fix.
        message: String,
    },
    /// Writing failed; the message says what it left in the directory (the
    /// whole previous output unless the swap was already done, see
    /// [`crate::core::output::left_by`]).
    Io {
        /// The output directory.
        dir: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

impl fmt::Display for SynthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthFailure::Invalid { label, diagnostics } => write!(
                f,
                "{diagnostics}\nsynth of {label} failed; nothing was written"
            ),
            SynthFailure::Occupied { message, .. } => {
                write!(f, "error: {message}; nothing was written")
            }
            SynthFailure::Io { dir, error } => write!(
                f,
                "error: writing {}: {}",
                dir.display(),
                crate::core::output::describe(error)
            ),
        }
    }
}

impl std::error::Error for SynthFailure {}

/// Synthesizes `definition` for `cloud`/`env` and writes it below the output
/// root `root`, into [`output_dir`] (`<root>/<stack>/<cloud>/<env>/`), exactly
/// as `synth` on the command line does.
///
/// # Errors
///
/// [`SynthFailure::Invalid`] with every diagnostic when the stack is invalid,
/// [`SynthFailure::Occupied`] when the directory holds another stack's output,
/// [`SynthFailure::Io`] when writing fails. Nothing is written in the first
/// two cases; the third says what it left.
pub fn synth_to_dir(
    definition: &StackDefinition,
    cloud: Cloud,
    env: Environment,
    root: &Path,
) -> Result<SynthReport, SynthFailure> {
    synth_to_dir_with(definition, cloud, env, root, &SynthOptions::default())
}

/// [`synth_to_dir`] with `options`, as `synth --local-backend` does.
///
/// # Errors
///
/// As [`synth_to_dir`].
pub fn synth_to_dir_with(
    definition: &StackDefinition,
    cloud: Cloud,
    env: Environment,
    root: &Path,
    options: &SynthOptions,
) -> Result<SynthReport, SynthFailure> {
    let started = Instant::now();
    let label = owner(definition.name(), cloud, env);
    let synthesized = definition
        .synthesize_with(cloud, env, options)
        .map_err(|diagnostics| SynthFailure::Invalid {
            label: label.clone(),
            diagnostics,
        })?;
    let platform = definition.platform(env);
    let backend = definition.state_backend(env, cloud);
    let mut state = backend.describe(&definition.state_target(cloud, env, &platform.regions));
    if synthesized
        .file(crate::core::backend::LOCAL_BACKEND_OVERRIDE)
        .is_some()
    {
        state = format!(
            "local, for credential-free checks ({} replaces {state}); never apply from this directory",
            crate::core::backend::LOCAL_BACKEND_OVERRIDE
        );
    }
    let dir = output_dir(root, definition.name(), cloud, env);
    let stack = format!("{}-{}", definition.name(), env);
    let mut warnings = with_renames(&dir, &stack, &synthesized);
    for warning in unreachable_charts(&dir, &stack, &synthesized) {
        warnings.push(warning);
    }
    write_report(&dir, root, label, &synthesized, started, state, warnings)
}

/// `path` without `.` and `..`, resolved by name: the output directory may
/// not exist yet (the first synth), and the OS resolves `..` only through
/// directories that do.
fn lexical(path: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A warning per helmfile release whose chart is a path (`../../../../../
/// charts/<project>`, written for `--out` at the repository's root) that
/// does not lead to a directory from where the helmfile is written: with
/// `--out` elsewhere, `helmfile apply` would fail to find the chart.
fn unreachable_charts(
    dir: &Path,
    stack: &str,
    synthesized: &crate::core::synth::Synthesized,
) -> Vec<crate::core::diagnostics::Diagnostic> {
    let Some(text) = synthesized.file("helm/helmfile.yaml") else {
        return Vec::new();
    };
    let Ok(helmfile) = crate::helm::helmfile::Helmfile::parse(&String::from_utf8_lossy(text))
    else {
        return Vec::new();
    };
    // Absolute first, so `..` past a relative `--out` (such as `.`) is kept.
    let helm_dir = std::path::absolute(dir)
        .unwrap_or_else(|_| dir.to_path_buf())
        .join(crate::helm::HELM_DIR);
    helmfile
        .releases
        .iter()
        .filter(|r| r.chart.starts_with("../") && !lexical(&helm_dir.join(&r.chart)).is_dir())
        .map(|r| crate::core::diagnostics::Diagnostic {
            severity: crate::core::diagnostics::Severity::Warning,
            stack: stack.to_string(),
            resource: "helm/helmfile.yaml".to_string(),
            field: format!("releases.{}.chart", r.name),
            message: format!(
                "chart `{}` is not a directory from {}: the helmfile's local chart paths assume `--out` is a directory at the repository's root",
                r.chart,
                helm_dir.display()
            ),
            hint: format!(
                "with the default `--out out`, the chart itself is missing: create `{}` at the repository's root (copy infrasynth's generic chart `charts/workloads` there, as README's Getting started says); with `--out` elsewhere, synthesize with `--out` at the repository's root, or install that release by hand",
                r.chart.trim_start_matches("../")
            ),
            fix: None,
        })
        .collect()
}

/// Synthesizes the bootstrap of `definition`'s state storage in `env` on
/// `cloud` (see [`StackDefinition::bootstrap`]) and writes it into
/// [`bootstrap_dir`] (`<root>/<stack>/bootstrap/<cloud>/<env>/`), as
/// `bootstrap` on the command line does.
///
/// # Errors
///
/// As [`synth_to_dir`]; [`SynthFailure::Invalid`] also when the stack keeps
/// its state locally there.
pub fn bootstrap_to_dir(
    definition: &StackDefinition,
    cloud: Cloud,
    env: Environment,
    root: &Path,
    remote_state: bool,
) -> Result<SynthReport, SynthFailure> {
    let started = Instant::now();
    let label = format!("{}/bootstrap/{cloud}/{env}", definition.name());
    let synthesized = definition
        .bootstrap(cloud, env, remote_state)
        .map_err(|diagnostics| SynthFailure::Invalid {
            label: label.clone(),
            diagnostics,
        })?;
    let platform = definition.platform(env);
    let target = definition
        .state_target(cloud, env, &platform.regions)
        .for_bootstrap();
    let state = if remote_state {
        definition.state_backend(env, cloud).describe(&target)
    } else {
        crate::state::StateBackend::Local.describe(&target)
    };
    let dir = bootstrap_dir(root, definition.name(), cloud, env);
    let warnings = with_renames(
        &dir,
        &format!("{}-bootstrap-{}", definition.name(), env),
        &synthesized,
    );
    write_report(&dir, root, label, &synthesized, started, state, warnings)
}

/// The synth's warnings plus the likely renames against the document
/// already in `dir` (see [`super::renames::rename_warnings`]).
fn with_renames(
    dir: &Path,
    stack: &str,
    synthesized: &crate::core::synth::Synthesized,
) -> Diagnostics {
    let mut warnings = synthesized.warnings().clone();
    warnings.extend(super::renames::rename_warnings(dir, stack, synthesized));
    warnings
}

fn write_report(
    dir: &Path,
    root: &Path,
    label: String,
    synthesized: &crate::core::synth::Synthesized,
    started: Instant,
    state: String,
    warnings: Diagnostics,
) -> Result<SynthReport, SynthFailure> {
    write_owned(dir, &label, synthesized).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            SynthFailure::Occupied {
                dir: dir.to_path_buf(),
                // Name the owner's real directory below this output root.
                message: error
                    .to_string()
                    .replace("<out>", &root.display().to_string()),
            }
        } else {
            SynthFailure::Io {
                dir: dir.to_path_buf(),
                error,
            }
        }
    })?;
    Ok(SynthReport {
        label,
        counts: synthesized.counts(),
        files: synthesized.files().len(),
        bytes: synthesized.files().values().map(Vec::len).sum(),
        dir: dir.to_path_buf(),
        elapsed: started.elapsed(),
        warnings,
        state,
    })
}
