//! The `infrasynth` command line: `synth`, `values`, `list`.
//!
//! The binary passes in the stack definitions it was compiled with; everything
//! else lives here so `src/main.rs` stays a few lines.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::app::{self as pipeline, output_dir, StackDefinition};
use crate::core::diagnostics::Diagnostics;
use crate::core::environment::{Cloud, Environment};
use crate::core::synth::BlockCounts;

/// Synthesizes Terraform JSON and Helm values from typed Rust stacks.
#[derive(Debug, Parser)]
#[command(name = "infrasynth", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes DIR/<cloud>/<env>/main.tf.json (and Helm values) for one stack.
    ///
    /// Output is written atomically: on any error nothing is written and the
    /// previous output stays as it was.
    Synth {
        /// aws, gcp or azure.
        cloud: Cloud,
        /// dev, staging or production.
        env: Environment,
        /// The output root.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Which stack (default: the only one, or the first listed).
        #[arg(long)]
        stack: Option<String>,
    },
    /// Renders the Helm values templates `synth` wrote, with the outputs of
    /// `terraform apply`, into DIR/<cloud>/<env>/helm/<chart>.values.yaml.
    ///
    /// Nothing is written unless every template renders; sensitive outputs
    /// are never written (the charts read secrets from Kubernetes Secrets).
    Values {
        /// aws, gcp or azure.
        cloud: Cloud,
        /// dev, staging or production.
        env: Environment,
        /// The output of `terraform output -json`; `-` reads standard input.
        #[arg(long)]
        outputs: PathBuf,
        /// The output root `synth` wrote to.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Lists the stacks, clouds and environments.
    List,
}

/// Parses the command line and runs it against `stacks`.
pub fn run(stacks: &[StackDefinition]) -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Synth {
            cloud,
            env,
            out,
            stack,
        } => synth(stacks, cloud, env, &out, stack.as_deref()),
        Command::Values {
            cloud,
            env,
            outputs,
            out,
        } => match values(cloud, env, &outputs, &out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("{message}");
                ExitCode::FAILURE
            }
        },
        Command::List => {
            list(stacks);
            ExitCode::SUCCESS
        }
    }
}

fn list(stacks: &[StackDefinition]) {
    println!("stacks:");
    for stack in stacks {
        println!("  {:<12} {}", stack.name, stack.description);
    }
    let clouds: Vec<&str> = Cloud::ALL.iter().map(|c| c.as_str()).collect();
    let envs: Vec<&str> = Environment::DEFAULTS.iter().map(|e| e.as_str()).collect();
    println!("clouds:       {}", clouds.join(", "));
    println!("environments: {}", envs.join(", "));
}

/// Finds a stack by name (or the first one).
pub fn find_stack<'a>(
    stacks: &'a [StackDefinition],
    name: Option<&str>,
) -> Result<&'a StackDefinition, String> {
    let names = || stacks.iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
    match name {
        None => stacks
            .first()
            .ok_or_else(|| "no stacks are defined; add one in stacks/mod.rs".to_string()),
        Some(name) => stacks
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("unknown stack `{name}`; defined stacks: {}", names())),
    }
}

fn synth(
    stacks: &[StackDefinition],
    cloud: Cloud,
    env: Environment,
    out: &Path,
    stack: Option<&str>,
) -> ExitCode {
    let definition = match find_stack(stacks, stack) {
        Ok(definition) => definition,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match synth_to_dir(definition, cloud, env, out) {
        Ok(report) => {
            for warning in report.warnings.iter() {
                eprintln!("{warning}");
            }
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}

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
    pub elapsed: std::time::Duration,
    /// Warnings that did not stop the synth.
    pub warnings: Diagnostics,
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
    /// Writing failed; the previous output was left as it was.
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
            SynthFailure::Io { dir, error } => write!(
                f,
                "error: writing {}: {error}; the previous output was left as it was",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for SynthFailure {}

/// Synthesizes `definition` for `cloud`/`env` and writes it below the output
/// root `out` (into `out/<cloud>/<env>/`), exactly as `infrasynth synth` does.
pub fn synth_to_dir(
    definition: &StackDefinition,
    cloud: Cloud,
    env: Environment,
    out: &Path,
) -> Result<SynthReport, SynthFailure> {
    let started = Instant::now();
    let label = format!("{}/{cloud}/{env}", definition.name);
    let synthesized =
        definition
            .synthesize(cloud, env)
            .map_err(|diagnostics| SynthFailure::Invalid {
                label: label.clone(),
                diagnostics,
            })?;
    let dir = output_dir(out, cloud, env);
    pipeline::write(&dir, &synthesized).map_err(|error| SynthFailure::Io {
        dir: dir.clone(),
        error,
    })?;
    Ok(SynthReport {
        label,
        counts: synthesized.counts(),
        files: synthesized.files().len(),
        bytes: synthesized.files().values().map(Vec::len).sum(),
        dir,
        elapsed: started.elapsed(),
        warnings: synthesized.warnings().clone(),
    })
}

/// Phase two of the Helm flow: renders `DIR/<cloud>/<env>/helm/*.values.yaml.hbs`
/// with `terraform output -json` read from `outputs` (`-` for stdin).
pub fn values(
    cloud: Cloud,
    env: Environment,
    outputs: &std::path::Path,
    out: &std::path::Path,
) -> Result<(), String> {
    use std::io::Read;

    let helm_dir = output_dir(out, cloud, env).join(crate::helm::HELM_DIR);
    let (json, source) = if outputs.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("error: reading outputs from standard input: {e}"))?;
        (text, "standard input".to_string())
    } else {
        let text = std::fs::read_to_string(outputs)
            .map_err(|e| format!("error: reading outputs file {}: {e}", outputs.display()))?;
        (text, outputs.display().to_string())
    };
    let parsed =
        crate::helm::TerraformOutputs::parse(&json, &source).map_err(|e| format!("error: {e}"))?;
    let templates = read_templates(&helm_dir)?;
    if templates.is_empty() {
        return Err(format!(
            "error: no Helm values templates (*{}) in {}; run `infrasynth synth {cloud} {env} --out {}` first",
            crate::helm::render::TEMPLATE_SUFFIX,
            helm_dir.display(),
            out.display()
        ));
    }
    let rendered = crate::helm::render_all(&templates, &parsed).map_err(|errors| {
        format!("{errors}\nrendering Helm values for {cloud}/{env} failed; nothing was written")
    })?;
    for (name, text) in &rendered {
        write_file(&helm_dir.join(name), text.as_bytes())
            .map_err(|e| format!("error: writing {}: {e}", helm_dir.join(name).display()))?;
        println!("rendered {}", helm_dir.join(name).display());
    }
    Ok(())
}

fn read_templates(
    dir: &std::path::Path,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut templates = std::collections::BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(templates),
        Err(e) => return Err(format!("error: reading {}: {e}", dir.display())),
    };
    for entry in entries {
        let entry = entry.map_err(|e| format!("error: reading {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(crate::helm::render::TEMPLATE_SUFFIX) {
            let text = std::fs::read_to_string(entry.path())
                .map_err(|e| format!("error: reading {}: {e}", entry.path().display()))?;
            templates.insert(name, text);
        }
    }
    Ok(templates)
}

/// Writes a file through a temporary beside it and a rename, so a reader
/// never sees half a values file.
fn write_file(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.infrasynth-tmp"));
    std::fs::write(&temporary, contents)?;
    std::fs::rename(&temporary, path)
}
