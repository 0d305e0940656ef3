//! Phase two of the Helm flow: rendering the values templates `synth` wrote
//! with the outputs of `terraform apply`.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::helm::{render, RenderErrors, TerraformOutputs};

/// Why `values` wrote nothing.
#[derive(Debug)]
pub enum ValuesError {
    /// Reading the outputs file, a template, or writing the values files
    /// failed; the message says what the write left (all previous files, or
    /// all new ones).
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The outputs are not `terraform output -json` output.
    Outputs(crate::helm::OutputsError),
    /// There is nothing to render: `synth` has not written templates there.
    NoTemplates {
        /// The Helm directory searched.
        dir: PathBuf,
        /// The command that writes them.
        synth_command: String,
    },
    /// Some templates did not render (missing or mistyped outputs); every
    /// problem is listed.
    Render {
        /// `<stack>/<cloud>/<env>`.
        label: String,
        /// Every problem.
        errors: RenderErrors,
    },
}

impl fmt::Display for ValuesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValuesError::Io { path, error } => write!(
                f,
                "error: {}: {}",
                path.display(),
                crate::core::output::describe(error)
            ),
            ValuesError::Outputs(message) => write!(f, "error: {message}; nothing was written"),
            ValuesError::NoTemplates { dir, synth_command } => write!(
                f,
                "error: no Helm values templates (*{}) in {}; run `{synth_command}` first",
                render::TEMPLATE_SUFFIX,
                dir.display()
            ),
            ValuesError::Render { label, errors } => write!(
                f,
                "{errors}\nrendering Helm values for {label} failed; nothing was written"
            ),
        }
    }
}

impl std::error::Error for ValuesError {}

/// Renders every `*.values.yaml.hbs` in `helm_dir` with `terraform output
/// -json` read from `outputs` (`-` reads standard input) into the
/// `*.values.yaml` beside it, and returns the files written. Nothing is
/// written unless every template renders; sensitive outputs are never
/// written (the charts read secrets from Kubernetes Secrets).
///
/// `label` (`<stack>/<cloud>/<env>`) and `synth_command` only shape messages.
///
/// # Errors
///
/// See [`ValuesError`].
pub fn render_values(
    helm_dir: &Path,
    outputs: &Path,
    label: &str,
    synth_command: &str,
) -> Result<Vec<PathBuf>, ValuesError> {
    let (json, source) = if outputs.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| ValuesError::Io {
                path: PathBuf::from("<standard input>"),
                error,
            })?;
        (text, "standard input".to_string())
    } else {
        let text = std::fs::read_to_string(outputs).map_err(|error| ValuesError::Io {
            path: outputs.to_path_buf(),
            error,
        })?;
        (text, outputs.display().to_string())
    };
    let parsed = TerraformOutputs::parse(&json, &source).map_err(ValuesError::Outputs)?;
    let templates = read_templates(helm_dir)?;
    if templates.is_empty() {
        return Err(ValuesError::NoTemplates {
            dir: helm_dir.to_path_buf(),
            synth_command: synth_command.to_string(),
        });
    }
    let rendered =
        crate::helm::render_all(&templates, &parsed).map_err(|errors| ValuesError::Render {
            label: label.to_string(),
            errors,
        })?;
    // One commit for every values file, through the output directory's
    // lock: all are written or none, and no temporary is left behind.
    let output_dir = match helm_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let helm_name = helm_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| crate::helm::HELM_DIR.to_string());
    let files: BTreeMap<String, Vec<u8>> = rendered
        .iter()
        .map(|(name, text)| (format!("{helm_name}/{name}"), text.clone().into_bytes()))
        .collect();
    crate::core::output::write_beside(&output_dir, &files).map_err(|error| ValuesError::Io {
        path: helm_dir.to_path_buf(),
        error,
    })?;
    let written = rendered.keys().map(|name| helm_dir.join(name)).collect();
    Ok(written)
}

fn read_templates(dir: &Path) -> Result<BTreeMap<String, String>, ValuesError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| ValuesError::Io { path, error }
    };
    let mut templates = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(templates),
        Err(e) => return Err(io(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(render::TEMPLATE_SUFFIX) {
            let text = std::fs::read_to_string(entry.path()).map_err(io(&entry.path()))?;
            templates.insert(name, text);
        }
    }
    Ok(templates)
}
